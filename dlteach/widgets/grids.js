// Grids of numbers in coloured cells, drawn as SVG from what the kernel sends (dlteach.widgets.grids).
// Each panel: {title, rows, cols, colours, texts, faint, boxes, clickable}, or a picture
// {title, rows, cols, pixels (RGBA bytes, row by row), width (px), scale?: a colour bar
// {colours (top to bottom), ticks: [[fraction from the top, label]]}}; notes: blocks of monospace
// text. A click (or a drag over cells, when painting) on a clickable panel sends
// {event: "cell", panel, row, col, drag} to the kernel.

const SVG = "http://www.w3.org/2000/svg";
const CELL_MAX = 44;

function svgElement(name, attributes) {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
  return element;
}

function drawPanel(panel, index, height) {
  const cell = Math.min(CELL_MAX, Math.floor(height / Math.max(panel.rows, 1)),
                        Math.floor(1.6 * height / Math.max(panel.cols, 1)));
  const figure = document.createElement("figure");
  figure.className = "dlteach-grid-panel";
  const caption = document.createElement("figcaption");
  caption.textContent = panel.title;
  figure.appendChild(caption);
  const svg = svgElement("svg", {width: panel.cols * cell + 6, height: panel.rows * cell + 6});
  const grid = svgElement("g", {transform: "translate(3,3)"});
  const font = Math.max(8, Math.min(15, cell * 0.38));
  for (let r = 0; r < panel.rows; r++) {
    for (let c = 0; c < panel.cols; c++) {
      const k = r * panel.cols + c;
      const rect = svgElement("rect", {x: c * cell, y: r * cell, width: cell, height: cell,
                                       fill: panel.colours[k], stroke: "white", "stroke-width": 1.5});
      rect.dataset.row = r;
      rect.dataset.col = c;
      grid.appendChild(rect);
      if (panel.texts[k]) {
        const text = svgElement("text", {x: (c + 0.5) * cell, y: (r + 0.5) * cell, "font-size": font,
                                         "text-anchor": "middle", "dominant-baseline": "central",
                                         fill: panel.faint[k] ? "#8a8a8a" : "black", "pointer-events": "none"});
        text.textContent = panel.texts[k];
        grid.appendChild(text);
      }
    }
  }
  for (const box of panel.boxes) {
    grid.appendChild(svgElement("rect", {x: box.col * cell, y: box.row * cell, width: box.width * cell,
                                         height: box.height * cell, fill: "none", stroke: box.colour,
                                         "stroke-width": box.linewidth, "stroke-dasharray": box.dash ? "6 4" : "",
                                         "pointer-events": "none"}));
  }
  svg.appendChild(grid);
  if (panel.clickable) {
    svg.style.cursor = "pointer";
    svg.dataset.panel = index;
  }
  figure.appendChild(svg);
  return figure;
}

function drawPicture(panel) {
  const figure = document.createElement("figure");
  figure.className = "dlteach-grid-panel";
  const caption = document.createElement("figcaption");
  caption.textContent = panel.title;
  const canvas = document.createElement("canvas");
  canvas.width = panel.cols;
  canvas.height = panel.rows;
  const bytes = new Uint8ClampedArray(panel.pixels.buffer, panel.pixels.byteOffset, panel.pixels.byteLength);
  canvas.getContext("2d").putImageData(new ImageData(bytes, panel.cols, panel.rows), 0, 0);
  canvas.style.width = `${panel.width}px`;
  canvas.style.imageRendering = "pixelated";
  const row = document.createElement("div");
  row.className = "dlteach-picture-row";
  row.appendChild(canvas);
  if (panel.scale) {
    const bar = document.createElement("div");
    bar.className = "dlteach-colour-bar";
    bar.style.height = `${panel.width * panel.rows / panel.cols}px`;
    bar.style.background = `linear-gradient(to bottom, ${panel.scale.colours.join(", ")})`;
    for (const [at, label] of panel.scale.ticks) {
      const tick = document.createElement("span");
      tick.style.top = `${100 * at}%`;
      tick.textContent = label;
      bar.appendChild(tick);
    }
    row.appendChild(bar);
  }
  figure.append(caption, row);
  return figure;
}

// The cell under the pointer, if it is in a clickable panel: {panel, row, col}, else null.
function cellAt(x, y) {
  const target = document.elementFromPoint(x, y);
  const svg = target && target.closest("svg[data-panel]");
  if (!svg || target.dataset.row === undefined) return null;
  return {panel: +svg.dataset.panel, row: +target.dataset.row, col: +target.dataset.col};
}

function render({ model, el }) {
  el.classList.add("dlteach-grids");
  // Painting is followed on the element, which outlives the panels' redraws, and by the cell under the
  // pointer at every move: so a stroke keeps every cell it crosses while the panels are rebuilt under it.
  const pointer = {painting: false, last: ""};
  const send = (cell, drag) => {
    const key = `${cell.panel},${cell.row},${cell.col}`;
    if (drag && key === pointer.last) return;
    pointer.last = key;
    model.send({event: "cell", ...cell, drag});
  };
  el.addEventListener("mousedown", (event) => {
    const cell = cellAt(event.clientX, event.clientY);
    if (!cell) return;
    pointer.painting = true;
    send(cell, false);
    event.preventDefault();
  });
  el.addEventListener("mousemove", (event) => {
    if (!pointer.painting || event.buttons !== 1) return;
    const cell = cellAt(event.clientX, event.clientY);
    if (cell) send(cell, true);
  });
  const stop = () => { pointer.painting = false; };
  window.addEventListener("mouseup", stop);
  const draw = () => {
    const panels = document.createElement("div");
    panels.className = "dlteach-grid-row";
    model.get("panels").forEach((panel, i) => panels.appendChild(
      panel.pixels ? drawPicture(panel) : drawPanel(panel, i, model.get("height"))));
    const notes = document.createElement("div");
    notes.className = "dlteach-grid-row";
    for (const note of model.get("notes")) {
      const pre = document.createElement("pre");
      pre.textContent = note;
      notes.appendChild(pre);
    }
    el.replaceChildren(panels, notes);
  };
  model.on("change:panels", draw);
  model.on("change:notes", draw);
  draw();
  return () => window.removeEventListener("mouseup", stop);
}

export default { render };
