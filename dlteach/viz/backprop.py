"""Drawing computational graphs and small fully connected networks with their values."""

from __future__ import annotations

import numpy as np
from matplotlib.patches import Circle

from ..i18n import _

POSITIVE, NEGATIVE = "tab:blue", "tab:red"


def draw_graph(ax, nodes: dict, edges: list, title: str = "", backward_colour: str = "tab:red") -> None:
    """A computational graph: ``nodes`` maps a name to ``(x, y, label)``; each edge is
    ``(source, target, forward_text, backward_text)``. The forward text (black) is written on one
    side of the arrow, above it or to its right, and the backward text (red, the gradient flowing
    back) on the other side. Both sit at the middle of the part of the arrow between the two
    boxes, so they never cover a box when the boxes leave room for them."""
    xs = [x for x, _, _ in nodes.values()]
    ys = [y for _, y, _ in nodes.values()]
    ax.set(xlim=(min(xs) - 0.6, max(xs) + 0.6), ylim=(min(ys) - 0.7, max(ys) + 0.7), title=title)
    ax.axis("off")
    boxes = {name: ax.text(x, y, label, ha="center", va="center", fontsize=12, zorder=3,
                           bbox=dict(boxstyle="round,pad=0.4", fc="#eef3fb", ec="#34558b"))
             for name, (x, y, label) in nodes.items()}
    ax.figure.draw_without_rendering()  # sizes the boxes, in display units
    extent = {name: box.get_bbox_patch().get_window_extent() for name, box in boxes.items()}
    to_data = ax.transData.inverted()
    for source, target, forward, backward in edges:
        ax.annotate("", nodes[target][:2], nodes[source][:2], zorder=4,
                    arrowprops=dict(arrowstyle="-|>", color="0.3", lw=1.3, shrinkA=2, shrinkB=2,
                                    patchA=boxes[source].get_bbox_patch(), patchB=boxes[target].get_bbox_patch()))
        a, b = (ax.transData.transform(nodes[n][:2]) for n in (source, target))
        d = b - a
        leave = _exit(extent[source], a, d)  # where the arrow leaves the source box, 0..1 along a → b
        enter = 1 - _exit(extent[target], b, -d)
        middle = to_data.transform(a + (leave + max(enter, leave)) / 2 * d)
        normal = np.array([-d[1], d[0]]) / np.hypot(*d)
        if (abs(d[0]) >= abs(d[1]) and normal[1] < 0) or (abs(d[0]) < abs(d[1]) and normal[0] < 0):
            normal = -normal  # forward text above a mostly horizontal arrow, right of a mostly vertical one
        for text, side, colour in ((forward, normal, "black"), (backward, -normal, backward_colour)):
            if text:
                ax.annotate(text, middle, xytext=5 * side, textcoords="offset points", fontsize=9, color=colour,
                            zorder=5, ha="left" if side[0] > 0.3 else "right" if side[0] < -0.3 else "center",
                            va="bottom" if side[1] > 0.3 else "top" if side[1] < -0.3 else "center")


def _exit(box, start, direction) -> float:
    """How far along ``direction`` (as a fraction of it) a ray from ``start`` leaves ``box``."""
    steps = [((high if d > 0 else low) - p) / d
             for p, d, low, high in zip(start, direction, (box.x0, box.y0), (box.x1, box.y1)) if d]
    return float(np.clip(min(steps), 0, 1)) if steps else 0.0


class NetworkDiagram:
    """Neurons as circles in columns, one column per layer, and the weights as lines
    (blue positive, red negative, thicker when larger). ``show`` writes numbers inside,
    above and below every neuron; the artists are made once and updated in place."""

    def __init__(self, ax, sizes, layer_names=None):
        self.ax, self.sizes = ax, list(sizes)
        self.pos = [[(1.6 * l, (n - 1) / 2 - i) for i in range(n)] for l, n in enumerate(self.sizes)]
        self.edges, self.edge_text = [], []
        for l in range(len(self.sizes) - 1):
            lines, texts = [], []
            for j, (x1, y1) in enumerate(self.pos[l + 1]):
                row_lines, row_texts = [], []
                for i, (x0, y0) in enumerate(self.pos[l]):
                    (line,) = ax.plot([x0, x1], [y0, y1], color="0.6", zorder=1)
                    row_lines.append(line)
                    t = 0.5 if y0 == y1 else 0.3  # crossing lines meet in the middle: label them earlier
                    row_texts.append(ax.text(x0 + t * (x1 - x0), y0 + t * (y1 - y0), "", fontsize=8,
                                             ha="center", va="center", zorder=4,
                                             bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none", alpha=0.8)))
                lines.append(row_lines)
                texts.append(row_texts)
            self.edges.append(lines)
            self.edge_text.append(texts)
        self.inside, self.above, self.below = [], [], []
        for column in self.pos:
            for store, dy, kw in [(self.inside, 0.0, dict(fontsize=9, fontweight="bold")),
                                  (self.above, 0.26, dict(fontsize=8)),
                                  (self.below, -0.26, dict(fontsize=8, color="tab:red"))]:
                store.append([ax.text(x, y + dy, "", ha="center", va="center", zorder=5, **kw) for x, y in column])
            for x, y in column:
                ax.add_patch(Circle((x, y), 0.17, fc="#fff6e0", ec="#8a6d1d", lw=1.2, zorder=3))
        names = layer_names or [_("input")] + [_("layer {l}").format(l=l) for l in range(1, len(self.sizes))]
        for l, name in enumerate(names):
            ax.text(1.6 * l, (max(self.sizes) - 1) / 2 + 0.55, name, ha="center", fontsize=10)
        ax.set(xlim=(-0.4, 1.6 * (len(self.sizes) - 1) + 0.4), ylim=(-(max(self.sizes) - 1) / 2 - 0.5, (max(self.sizes) - 1) / 2 + 0.75))
        ax.set_aspect("equal")
        ax.axis("off")

    def show(self, weights=None, inside=None, above=None, below=None, fmt: str = "{:.2f}") -> None:
        """``weights`` a list of W^l (out, in); ``inside``/``above``/``below`` one vector per layer (or None)."""
        if weights is not None:
            lines = (line for layer in self.edges for row in layer for line in row)
            texts = (text for layer in self.edge_text for row in layer for text in row)
            for line, text, (colour, width, label) in zip(lines, texts, weight_styles(weights, fmt)):
                line.set(color=colour, linewidth=width)
                text.set_text(label)
        for values, store in [(inside, self.inside), (above, self.above), (below, self.below)]:
            if values is None:
                continue
            for column, texts in zip(values, store):
                for text, v in zip(texts, [] if column is None else np.ravel(column)):
                    text.set_text(v if isinstance(v, str) else fmt.format(v))



def weight_styles(weights, fmt: str = "{:.2f}") -> list[tuple[str, float, str]]:
    """The colour, line width and label of every weight of ``weights`` (a list of W^l, (out, in)),
    layer by layer and row by row: blue positive, red negative, thicker when larger."""
    largest = max(float(np.abs(W).max()) for W in weights) or 1.0
    return [(POSITIVE if w >= 0 else NEGATIVE, 0.5 + 3.5 * abs(w) / largest, fmt.format(w))
            for W in weights for w in np.ravel(W).tolist()]
