// Grids of numbers in coloured cells, drawn as SVG from what the kernel sends (dlteach.widgets.grids).
// Each panel: {title, rows, cols, colours, texts, faint, boxes, clickable}, or a picture
// {title, rows, cols, pixels (RGBA bytes, row by row), width (px), scale?: a colour bar
// {colours (top to bottom), ticks: [[fraction from the top, label]]}}; notes: blocks of monospace text. A click (or a drag over cells, when painting) on a clickable panel sends
// {event: "cell", panel, row, col, drag} to the kernel.

const SVG = "http://www.w3.org/2000/svg";
const CELL_MAX = 44;

function svgElement(name, attributes) {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
  return element;
}

function drawPanel(model, panel, index, height, pointer) {
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
    const send = (event, drag) => {
      const target = event.target;
      if (target.dataset.row === undefined) return;
      model.send({event: "cell", panel: index, row: +target.dataset.row, col: +target.dataset.col, drag});
    };
    svg.addEventListener("mousedown", (event) => { pointer.painting = true; send(event, false); event.preventDefault(); });
    svg.addEventListener("mouseover", (event) => { if (pointer.painting && event.buttons === 1) send(event, true); });
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

function render({ model, el }) {
  el.classList.add("dlteach-grids");
  // a drag goes on across redraws: the panels are rebuilt after every painted cell
  const pointer = {painting: false};
  const stop = () => { pointer.painting = false; };
  window.addEventListener("mouseup", stop);
  const draw = () => {
    const panels = document.createElement("div");
    panels.className = "dlteach-grid-row";
    model.get("panels").forEach((panel, i) => panels.appendChild(
      panel.pixels ? drawPicture(panel) : drawPanel(model, panel, i, model.get("height"), pointer)));
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
