"""Lesson 7: a kernel sliding over an image one window at a time, then pooling of the map.

Each step computes one output number, z[i, j] = Σ_{p,q} x[i·s + p, j·s + q] · w[p, q]
(cross-correlation, as in the lecture and PyTorch), written out term by term; the output
map fills in cell by cell, and a pooled cell appears once its whole window is computed.
"""

from __future__ import annotations

import re

import ipywidgets as W
import numpy as np

from ..i18n import N_, _, cjk_font, language, ngettext, sentences
from ..nn.functional import avg_pool2d, conv2d, l2_pool2d, max_pool2d
from ..viz.grids import MINUS, AnnotatedGrid, number
from .base import Explorer, check_value, hint
from .grids import GridsView

LECTURE_IMAGE = "100001\n010010\n001100\n100010\n010010\n001010"
KERNELS = {N_("kernel 1"): "1 -1 -1\n-1 1 -1\n-1 -1 1", N_("kernel 2"): "-1 1 -1\n-1 1 -1\n-1 1 -1"}
MY_KERNEL = N_("my kernel")
IMAGES = (N_("lecture image"), N_("my image"))
POOLS = {"max": max_pool2d, "average": avg_pool2d, "L2": l2_pool2d}
POOL_LABELS = {"max": N_("max"), "average": N_("average"), "L2": N_("L2")}  # the pooling buttons
POOL_NAMES = {"max": N_("max pooling"), "average": N_("average pooling"), "L2": N_("L2 pooling")}
MAX_IMAGE, MAX_KERNEL, MAX_PADDING = 10, 7, 3


def parse_grid(text: str, what: str, max_side: int) -> np.ndarray:
    """Rows of numbers → a 2-D float array.

    Rows are lines (or separated by ``/`` or ``;``). A row of bare digits such as ``100001``
    is read digit by digit, as the lecture writes its image; otherwise the numbers are
    separated by spaces or commas (``1 -1 0.5``). Brackets are ignored, so ``[[1, 0], [0, 1]]``
    works too. Raises ValueError with a message for the learner; ``what`` ("image", "kernel") is
    said in the language in use.
    """
    what = _(what)
    text = re.sub(r"\]\s*,", "\n", text).replace("[", "").replace("]", "")
    rows = [line.strip().strip(",") for line in re.split(r"[\n/;]", text)]
    rows = [row for row in rows if row]
    if not rows:
        raise ValueError(_("The {what} is empty: write one row of numbers per line.").format(what=what))
    values = []
    for r, row in enumerate(rows, start=1):
        tokens = list(row) if re.fullmatch(r"\d+", row) else re.split(r"[\s,]+", row)
        try:
            values.append([float(t.replace(MINUS, "-")) for t in tokens])
        except ValueError:
            bad = next(t for t in tokens if not _is_number(t))
            raise ValueError(_("Row {r} of the {what}: {bad} is not a number.").format(
                r=r, what=what, bad=repr(bad))) from None
    lengths = [len(v) for v in values]
    if len(set(lengths)) > 1:
        r = next(i for i, n in enumerate(lengths) if n != lengths[0]) + 1
        raise ValueError(ngettext("Row {r} of the {what} has {n} number but row 1 has {first}: every row needs the "
                                  "same length.", "Row {r} of the {what} has {n} numbers but row 1 has {first}: every "
                                  "row needs the same length.", lengths[r - 1]).format(
            r=r, what=what, n=lengths[r - 1], first=lengths[0]))
    grid = np.array(values)
    if not np.isfinite(grid).all():
        raise ValueError(_("The {what} must hold finite numbers.").format(what=what))
    if max(grid.shape) > max_side:
        raise ValueError(_("The {what} is {rows}×{cols}; up to {most}×{most} fits here.").format(
            what=what, rows=grid.shape[0], cols=grid.shape[1], most=max_side))
    return grid


def _is_number(token: str) -> bool:
    try:
        float(token.replace(MINUS, "-"))
    except ValueError:
        return False
    return True


def _edges(rows: int, cols: int) -> str:
    """e.g. "the last row and the last 2 columns"."""
    last_rows = ngettext("the last row", "the last {n} rows", rows).format(n=rows)
    last_cols = ngettext("the last column", "the last {n} columns", cols).format(n=cols)
    if rows and cols:
        return _("{rows} and {columns}").format(rows=last_rows, columns=last_cols)
    return last_rows if rows else last_cols


def _factor(v: float) -> str:
    """A factor of a product: negative numbers in brackets, 0·(−1)."""
    return f"({number(v)})" if v < 0 else number(v)


def window_equation(window: np.ndarray, kernel: np.ndarray) -> str:
    """window · kernel written out, one line per kernel row, aligned, ending with ``= value``."""
    terms = [[f"{_factor(x)}·{_factor(w)}" for x, w in zip(xr, wr)] for xr, wr in zip(window, kernel)]
    width = max(len(t) for row in terms for t in row)
    lines = [("  " if r == 0 else "+ ") + " + ".join(t.ljust(width) for t in row) for r, row in enumerate(terms)]
    return "\n".join(lines) + f" = {number(float((window * kernel).sum()))}"


def pool_equation(kind: str, values: np.ndarray, result: float) -> str:
    """One pooled number written out, e.g. ``max(3, −1, −3, 1) = 3``."""
    listed = ", ".join(number(v) for v in values)
    if kind == "L2":
        squares = " + ".join(f"{_factor(v)}²" for v in values)
        return f"√({squares}) = {number(result)}"
    return f"{'mean' if kind == 'average' else 'max'}({listed}) = {number(result)}"


def geometry_notes(image_shape, kernel_shape, stride: int, padding: int) -> tuple[str | None, list[str]]:
    """(a problem that leaves no output, or None; notes worth telling about this geometry)."""
    if stride < 1:
        return _("Stride must be at least 1, got {stride}.").format(stride=stride), []
    if padding < 0:
        return _("Padding must be 0 or more, got {padding}.").format(padding=padding), []
    if padding > MAX_PADDING:
        return _("Padding {padding} would surround the image with a frame of zeros {padding} wide; "
                 "up to {most} fits here.").format(padding=padding, most=MAX_PADDING), []
    (H, Wd), (kh, kw) = image_shape, kernel_shape
    Hp, Wp = H + 2 * padding, Wd + 2 * padding
    sizes = dict(kh=kh, kw=kw, rows=Hp, cols=Wp, stride=stride, padding=padding)
    if kh > Hp or kw > Wp:
        return (_("The {kh}×{kw} kernel is bigger than the padded image ({rows}×{cols}): it fits nowhere, so "
                  "there is no output. Use a smaller kernel or more padding.") if padding else
                _("The {kh}×{kw} kernel is bigger than the image ({rows}×{cols}): it fits nowhere, so there is no "
                  "output. Use a smaller kernel or more padding.")).format(**sizes), []
    notes = []
    if stride > max(Hp - kh, Wp - kw) and stride > 1:
        notes.append((_("Stride {stride} is larger than the room the {kh}×{kw} kernel has to move in the "
                        "{rows}×{cols} padded image: it fits only once, so the output is one number.") if padding else
                      _("Stride {stride} is larger than the room the {kh}×{kw} kernel has to move in the "
                        "{rows}×{cols} image: it fits only once, so the output is one number.")).format(**sizes))
    else:
        spare = [(Hp - kh) % stride, (Wp - kw) % stride]
        if any(spare):
            notes.append((_("With stride {stride} the window never reaches {edges} of the padded image.") if padding
                          else _("With stride {stride} the window never reaches {edges} of the image.")).format(
                edges=_edges(*spare), **sizes))
    if padding >= min(kh, kw):
        notes.append(_("With padding {padding} and a {kh}×{kw} kernel the corner windows lie entirely in the "
                       "zero padding, so they output 0.").format(**sizes))
    return None, notes


class ConvolutionExplorer(Explorer):
    """Image (with its zero padding), kernel, output map and pooled map as annotated grids;
    ``position`` is the window being computed (0 = top left, row by row; positions past the
    last window show the finished map)."""

    def __init__(self, image="lecture image", my_image=LECTURE_IMAGE, kernel="kernel 1",
                 my_kernel=KERNELS["kernel 1"], stride=1, padding=0, position=0, pool="max", pool_size=2):
        super().__init__(figsize=(11, 4.8), image=image, my_image=my_image, kernel=kernel, my_kernel=my_kernel,
                         stride=stride, padding=padding, position=position, pool=pool, pool_size=pool_size)
        grid_spec = self.fig.add_gridspec(2, 4, height_ratios=[3, 1.25])
        axes = [self.fig.add_subplot(grid_spec[0, i]) for i in range(4)]
        self.grid_image, self.grid_kernel, self.grid_output, self.grid_pooled = (
            AnnotatedGrid(ax, lazy=True) for ax in axes)
        ax_window, ax_pool = self.fig.add_subplot(grid_spec[1, :3]), self.fig.add_subplot(grid_spec[1, 3])
        ax_window.axis("off")
        ax_pool.axis("off")
        mono = "monospace" if language() == "en" else ["monospace", cjk_font()]  # the CJK font for the words
        self.text_window = ax_window.text(0, 1, "", va="top", ha="left", family=mono,
                                          transform=ax_window.transAxes)
        self.text_pool = ax_pool.text(0, 1, "", va="top", ha="left", family=mono, fontsize=11,
                                      transform=ax_pool.transAxes)
        self.n_steps = 0
        self.output = self.partial = self.pooled = self.pooled_partial = None
        self.equation = self.pool_text = ""
        self.update()

    # -- the pure part ------------------------------------------------------------
    def update(self, **changes) -> str:
        """As :meth:`Explorer.update`; editing your own image or kernel also selects it, and
        the text boxes always show the image and kernel in use."""
        presets = {"image": {"lecture image": LECTURE_IMAGE}, "kernel": KERNELS}
        for choice, text in (("image", "my_image"), ("kernel", "my_kernel")):
            shown = presets[choice].get(changes.get(choice, self.state[choice]))
            if text in changes and choice not in changes and changes[text] != shown:
                changes[choice] = f"my {choice}"
            elif shown is not None:
                changes[text] = shown
        message = super().update(**changes)
        self.control_widgets["position"].max = max(self.n_steps - 1, 0)
        return message

    def check(self, name, value, state):
        """As :meth:`Explorer.check`; a window position outside the sweep is clamped by ``draw``."""
        return check_value(name, value, self.control_widgets[name], ranged=name != "position")

    def draw(self, image, my_image, kernel, my_kernel, stride, padding, position, pool, pool_size):
        if image not in IMAGES:
            raise ValueError(f"image must be one of {IMAGES}, got {image!r}")
        if kernel not in (*KERNELS, MY_KERNEL):
            raise ValueError(f"kernel must be one of {(*KERNELS, MY_KERNEL)}, got {kernel!r}")
        if pool not in POOLS:
            raise ValueError(f"pool must be one of {tuple(POOLS)}, got {pool!r}")
        for name, value in ((N_("stride"), stride), (N_("padding"), padding), (N_("pool size"), pool_size),
                            (N_("position"), position)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
                return _("The {name} must be a whole number, got {value}.").format(name=_(name), value=repr(value))
        try:
            x = parse_grid(LECTURE_IMAGE if image == "lecture image" else my_image, N_("image"), MAX_IMAGE)
            w = parse_grid(KERNELS.get(kernel, my_kernel), N_("kernel"), MAX_KERNEL)
        except ValueError as error:
            return _("{error} The picture still shows the last valid image and kernel.").format(error=error)
        problem, notes = geometry_notes(x.shape, w.shape, stride, padding)
        shown = padding if 0 <= padding <= MAX_PADDING else 0
        padded = np.pad(x, shown)
        faint = np.pad(np.zeros(x.shape, bool), shown, constant_values=True)
        title = _("image {rows}×{cols}, padding {padding}") if shown else _("image {rows}×{cols}")
        self.grid_image.show(padded, faint=faint, title=title.format(rows=x.shape[0], cols=x.shape[1], padding=shown))
        if shown:
            self.grid_image.box("image", shown, shown, *x.shape, linewidth=1.5, edgecolor="#555555", linestyle="--")
        else:
            self.grid_image.hide("image")
        self.grid_kernel.show(w, title=f"{_(kernel)} {w.shape[0]}×{w.shape[1]}")
        if problem is not None:
            return self._no_output(problem)
        notes += self._step(x, w, padded, stride, padding, position, pool, pool_size)
        return sentences(*notes)

    def _no_output(self, problem: str) -> str:
        self.n_steps, self.output = 0, None
        self.partial = self.pooled = self.pooled_partial = None
        self.equation = self.pool_text = ""
        for grid in (self.grid_output, self.grid_pooled):
            grid.clear(title=_("no output"))
        self.grid_image.hide("window")
        return problem

    def _step(self, x, w, padded, stride, padding, position, pool, pool_size) -> list[str]:
        """The sweep up to window ``position`` and the pooling; returns notes for the learner."""
        self.output = conv2d(x[None, None], w[None, None], stride=stride, padding=padding)[0, 0]
        Ho, Wo = self.output.shape
        self.n_steps = Ho * Wo
        k = min(max(position, 0), self.n_steps - 1)
        i, j = divmod(k, Wo)
        kh, kw = w.shape
        window = padded[i * stride:i * stride + kh, j * stride:j * stride + kw]
        self.partial = np.where(np.arange(self.n_steps).reshape(Ho, Wo) <= k, self.output, np.nan)

        self.grid_image.box("window", i * stride, j * stride, kh, kw, edgecolor="#ff8c00", linewidth=3.5)
        self.grid_output.show(self.partial, scale=np.abs(self.output).max(),
                              title=_("output {rows}×{cols}, stride {stride}: step {step} of {steps}").format(
                                  rows=Ho, cols=Wo, stride=stride, step=k + 1, steps=self.n_steps))
        self.grid_output.box("current", i, j, edgecolor="#ff8c00", linewidth=3.5)
        self.equation = _("output[{i}, {j}] = window · kernel =").format(i=i, j=j) + "\n" + window_equation(window, w)
        return self._pool(pool, pool_size, i, j)

    def _pool(self, pool, pool_size, i, j) -> list[str]:
        Ho, Wo = self.output.shape
        if pool_size < 1 or pool_size > min(Ho, Wo):
            self.pooled = self.pooled_partial = None
            self.grid_pooled.clear(title=_("no pooling"))
            self.grid_output.hide("pool")
            self.pool_text = ""
            return [_("Pool size must be at least 1, got {size}.").format(size=pool_size) if pool_size < 1 else
                    _("The {size}×{size} pooling window is larger than the {rows}×{cols} output map: "
                      "choose a smaller pool size.").format(size=pool_size, rows=Ho, cols=Wo)]
        ps = pool_size
        self.pooled = POOLS[pool](self.output[None, None], ps)[0, 0]
        Po, Qo = self.pooled.shape
        # pooled[a, b] is known once output[a·ps + ps − 1, b·ps + ps − 1], its window's last cell, is
        last = (np.arange(Po)[:, None] * ps + ps - 1) * Wo + np.arange(Qo)[None, :] * ps + ps - 1
        done = last <= i * Wo + j
        self.pooled_partial = np.where(done, self.pooled, np.nan)
        self.grid_pooled.show(self.pooled_partial, scale=np.abs(self.pooled).max(),
                              title=_("{size}×{size} {pooling} → {rows}×{cols}").format(
                                  size=ps, pooling=_(POOL_NAMES[pool]), rows=Po, cols=Qo))
        a, b = i // ps, j // ps
        notes = []
        if Ho % ps or Wo % ps:
            notes.append(_("{size}×{size} pooling drops {edges} of the {rows}×{cols} output map.").format(
                size=ps, edges=_edges(Ho % ps, Wo % ps), rows=Ho, cols=Wo))
        if a < Po and b < Qo:
            self.grid_output.box("pool", a * ps, b * ps, ps, ps, edgecolor="#6a3d9a", linewidth=2, linestyle="--")
            self.grid_pooled.box("current", a, b, edgecolor="#6a3d9a", linewidth=3)
            cell = _("{pooling}: pooled[{a}, {b}]").format(pooling=_(POOL_NAMES[pool]), a=a, b=b)
            if done[a, b]:
                region = self.output[a * ps:(a + 1) * ps, b * ps:(b + 1) * ps].ravel()
                self.pool_text = f"{cell} =\n{pool_equation(pool, region, self.pooled[a, b])}"
            else:
                self.pool_text = _("{cell}:\nwaits for the rest of\nits {size}×{size} window").format(
                    cell=cell, size=ps)
        else:
            self.grid_output.hide("pool")
            self.grid_pooled.hide("current")
            self.pool_text = _("output[{i}, {j}] lies in no\n{size}×{size} pooling window").format(i=i, j=j, size=ps)
        return notes

    def paint(self):
        for grid in (self.grid_image, self.grid_kernel, self.grid_output, self.grid_pooled):
            grid.paint()
        self.text_window.set_text(self.equation)
        if self.equation:  # as large as fits below the grids
            lines = self.equation.splitlines()
            self.text_window.set_fontsize(min(13.0, 560 / max(map(len, lines)), 64 / len(lines)))
        self.text_pool.set_text(self.pool_text)

    # -- the ipywidgets part ------------------------------------------------------
    def controls(self):
        s = self.state
        area = dict(layout=W.Layout(width="150px", height="130px"), continuous_update=False)
        return {
            "image": W.Dropdown(options=[(_(o), o) for o in IMAGES], value=s["image"], description=_("image")),
            "my_image": W.Textarea(value=s["my_image"], placeholder=_("one row per line, e.g. 0110"), **area),
            "kernel": W.Dropdown(options=[(_(o), o) for o in (*KERNELS, MY_KERNEL)], value=s["kernel"],
                                 description=_("kernel")),
            "my_kernel": W.Textarea(value=s["my_kernel"], placeholder=_("e.g. 1 0 -1"), **area),
            "stride": W.IntSlider(value=s["stride"], min=1, max=6, description=_("stride")),
            "padding": W.IntSlider(value=s["padding"], min=0, max=MAX_PADDING, description=_("padding")),
            "pool": W.ToggleButtons(options=[(_(POOL_LABELS[o]), o) for o in POOLS], value=s["pool"],
                                    description=_("pooling"), style={"button_width": "70px"}),
            "pool_size": W.IntSlider(value=s["pool_size"], min=1, max=4, description=_("pool size")),
            "position": W.IntSlider(value=s["position"], min=0, max=max(self.n_steps - 1, 0),
                                    description=_("window")),
        }

    def layout(self, c):
        """Image and kernel editors side by side; a play button and single steps drive the window."""
        play = W.Play(value=c["position"].value, min=0, max=c["position"].max, interval=900, description=_("play"))
        # linked in the kernel, not the browser: a slider move then sends the kernel one message, not two
        W.link((play, "value"), (c["position"], "value"))
        W.link((play, "max"), (c["position"], "max"))
        back, forward = W.Button(description=_("◀ step")), W.Button(description=_("step ▶"))
        back.on_click(lambda _: setattr(c["position"], "value", max(c["position"].value - 1, 0)))
        forward.on_click(lambda _: setattr(c["position"], "value", min(c["position"].value + 1, c["position"].max)))
        return [
            W.HBox([W.VBox([c["image"], c["my_image"]]), W.VBox([c["kernel"], c["my_kernel"]]),
                    W.VBox([c["stride"], c["padding"], c["pool_size"], c["pool"]])]),
            W.HBox([play, back, forward, c["position"]]),
            hint(_("Click a pixel of the image or a cell of the kernel to change it; click a cell of the "
                   "output map to see how it is computed.")),
        ]

    def live(self):
        self.live_grids = GridsView(height=190)
        self.live_grids.on_cell(self.guarded(self.clicked))
        return self.live_grids

    def sync(self):
        grids = (self.grid_image, self.grid_kernel, self.grid_output, self.grid_pooled)
        with self.live_grids.hold_sync():
            self.live_grids.panels = [grid.panel(clickable=i < 3) for i, grid in enumerate(grids)]
            self.live_grids.notes = [text for text in (self.equation, self.pool_text) if text]

    def clicked(self, panel: int, row: int, col: int, drag: bool = False):
        """A click on the picture: flip an image pixel (0 ↔ 1), cycle a kernel weight
        (1 → −1 → 0 → 1), or move the window to an output cell."""
        if panel == 2 and self.output is not None:
            self.update(position=row * self.output.shape[1] + col)
            return
        if drag:
            return
        if panel == 0:
            x = parse_grid(LECTURE_IMAGE if self.state["image"] == "lecture image" else self.state["my_image"],
                           N_("image"), MAX_IMAGE)
            shown = self.state["padding"]
            r, c = row - shown, col - shown
            if 0 <= r < x.shape[0] and 0 <= c < x.shape[1]:
                x[r, c] = 0.0 if x[r, c] else 1.0
                self.update(my_image=grid_text(x), position=self.state["position"])
        elif panel == 1:
            w = parse_grid(KERNELS.get(self.state["kernel"], self.state["my_kernel"]), N_("kernel"), MAX_KERNEL)
            w[row, col] = {1.0: -1.0, -1.0: 0.0}.get(float(w[row, col]), 1.0)
            self.update(my_kernel=grid_text(w))


def grid_text(grid: np.ndarray) -> str:
    """A grid as the text boxes write it: 0/1 rows as digits (``0110``), other rows spaced (``1 -1 0``)."""
    if np.isin(grid, (0, 1)).all():
        return "\n".join("".join(str(int(v)) for v in row) for row in grid)
    return "\n".join(" ".join(number(v).replace(MINUS, "-") for v in row) for row in grid)
