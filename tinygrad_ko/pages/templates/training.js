// The training page's program (tinygrad_ko.pages.training); runtime.js runs before it.
"use strict";
const data = JSON.parse(document.getElementById("data").textContent);
data.losses = data.losses.map((v) => (typeof v === "string" ? Number(v) : v));
const words = wordsOf("pages.training.");
function floats(text, width) {
  const bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  const all = new Float64Array(bytes.buffer);
  const rows = [];
  for (let k = 0; k < all.length; k += width) rows.push(all.subarray(k, k + width));
  return rows;
}
const weights = floats(data.weights, data.parameters);
const drawnWeights = floats(data.drawnWeights, data.drawnParameters);

// The network's own graph, evaluated node by node with the op table's rules.
function forward(program, params, point) {
  return evaluate(program.nodes, (n) => (n.param !== undefined ? params[n.param]
    : n.input !== undefined ? point[n.input] : n.data));
}
// Value.backward's loop, in its order: every node's gradient of one output.
function backward(program, values, root, order) {
  return backprop(program.nodes, values, root, order);
}
function scores(program, params, point) {
  const values = forward(program, params, point);
  return program.outputs.map((o) => values[o]);
}
function predicted(s) {
  if (s.length === 1) return s[0] > 0 ? 1 : 0;
  let best = 0;
  for (let c = 1; c < s.length; c++) if (s[c] > s[best]) best = c;
  return best;
}
function accuracy(index, set) {
  let right = 0;
  set.x.forEach((x, k) => { if (predicted(scores(data.model, weights[index], x)) === set.t[k]) right++; });
  return right / set.x.length;
}

// -- the boundary --------------------------------------------------------------------------------
const canvas = document.getElementById("boundary");
const ctx = canvas.getContext("2d");
const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"];
const all = [...data.train.x, ...data.test.x];
const low = [0, 1].map((d) => Math.min(...all.map((p) => p[d])) - 0.3);
const high = [0, 1].map((d) => Math.max(...all.map((p) => p[d])) + 0.3);
const toPixel = (p) => [(p[0] - low[0]) / (high[0] - low[0]) * canvas.width,
                        canvas.height - (p[1] - low[1]) / (high[1] - low[1]) * canvas.height];
const fromPixel = (x, y) => [low[0] + x / canvas.width * (high[0] - low[0]),
                             low[1] + (canvas.height - y) / canvas.height * (high[1] - low[1])];
function tint(hex, alpha) {
  const v = parseInt(hex.slice(1), 16);
  return `rgba(${v >> 16}, ${(v >> 8) & 255}, ${v & 255}, ${alpha})`;
}
let selected = { set: "train", k: 0 };
function drawBoundary(index) {
  const cell = canvas.width / data.grid;
  for (let i = 0; i < data.grid; i++) {
    for (let j = 0; j < data.grid; j++) {
      const point = fromPixel((i + 0.5) * cell, (j + 0.5) * cell);
      const s = scores(data.model, weights[index], point);
      const c = predicted(s);
      // One output: the colour deepens with the score's size (how sure the network is).
      const alpha = s.length === 1 ? 0.12 + 0.28 * Math.min(1, Math.abs(s[0])) : 0.3;
      ctx.fillStyle = tint(COLORS[c], alpha);
      ctx.clearRect(i * cell, j * cell, cell + 0.5, cell + 0.5);
      ctx.fillRect(i * cell, j * cell, cell + 0.5, cell + 0.5);
    }
  }
  for (const [name, set] of [["train", data.train], ["test", data.test]]) {
    set.x.forEach((p, k) => {
      const [x, y] = toPixel(p);
      ctx.beginPath();
      ctx.arc(x, y, 4, 0, 2 * Math.PI);
      if (name === "train") { ctx.fillStyle = COLORS[set.t[k]]; ctx.fill(); ctx.strokeStyle = "#000"; }
      else ctx.strokeStyle = COLORS[set.t[k]];
      ctx.lineWidth = 1.2;
      ctx.stroke();
      if (selected.set === name && selected.k === k) {
        ctx.beginPath();
        ctx.arc(x, y, 8, 0, 2 * Math.PI);
        ctx.strokeStyle = "#000";
        ctx.lineWidth = 2;
        ctx.stroke();
      }
    });
  }
}
canvas.addEventListener("click", (event) => {
  const rect = canvas.getBoundingClientRect();
  const x = (event.clientX - rect.left) * canvas.width / rect.width;
  const y = (event.clientY - rect.top) * canvas.height / rect.height;
  let best = null;
  for (const [name, set] of [["train", data.train], ["test", data.test]]) {
    set.x.forEach((p, k) => {
      const [px, py] = toPixel(p);
      const d = (px - x) ** 2 + (py - y) ** 2;
      if (best === null || d < best.d) best = { set: name, k, d };
    });
  }
  selected = { set: best.set, k: best.k };
  show(current);
});

// -- the curves -----------------------------------------------------------------------------------
const SVGNS = "http://www.w3.org/2000/svg";
function chart(svg, values, title, percent) {
  // The loss on a log scale (as the command's plot draws it): its fall spans decades.
  const w = Number(svg.getAttribute("width")), h = Number(svg.getAttribute("height"));
  const pad = 54;  // room for the axis labels
  const shown = values.map((v) => (percent ? v : Math.log10(Math.max(v, 1e-300))));
  const top = percent ? 1 : Math.max(...shown), bottom = percent ? 0 : Math.min(...shown);
  const x = (k) => pad + k / Math.max(1, values.length - 1) * (w - pad - 8);
  const y = (v) => h - 14 - (v - bottom) / (top - bottom || 1) * (h - 36);
  const add = (tag, attributes, text) => {
    const element = document.createElementNS(SVGNS, tag);
    for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
    if (text !== undefined) element.textContent = text;
    svg.append(element);
    return element;
  };
  add("polyline", { points: shown.map((v, k) => x(k) + "," + y(v)).join(" "), fill: "none",
                    stroke: percent ? "#2ca02c" : "#1f77b4", "stroke-width": "1.5" });
  add("text", { x: pad, y: 14 }, title + (percent ? "" : " (log)"));
  add("text", { x: 2, y: y(top) + 4 }, percent ? "100%" : fmt(10 ** top));
  add("text", { x: 2, y: y(bottom) }, percent ? "0%" : fmt(10 ** bottom));
  const marker = add("line", { stroke: "#c0392b", y1: 18, y2: h - 14 });
  return (k) => { marker.setAttribute("x1", x(k)); marker.setAttribute("x2", x(k)); };
}
const lossMarker = chart(document.getElementById("loss-chart"), data.losses, words.loss, false);
const accuracyMarker = chart(document.getElementById("accuracy-chart"), data.accuracies, words.accuracy, true);

// -- the drawn graph ------------------------------------------------------------------------------
const graph = document.getElementById("graph");
let drawnOutput = -1;
function drawGraph(index, point, cls) {
  const drawn = data.drawn;
  const which = drawn.outputs.length === 1 ? 0 : cls;
  if (which !== drawnOutput) {
    graph.innerHTML = drawn.outputs[which].svg;  // SVG written by Graphviz
    drawnOutput = which;
  }
  const out = drawn.outputs[which];
  const values = forward(drawn.program, drawnWeights[index], point);
  const grads = backward(drawn.program, values, out.root, out.backward);
  for (const group of graph.querySelectorAll("g.node")) {
    const id = group.querySelector("title").textContent;
    const i = out.ids[id];
    if (i === undefined) continue;  // an op circle
    const lines = group.querySelectorAll("text");
    const first = out.labelled[id] ? 1 : 0;
    const shape = group.querySelector("polygon, path, ellipse");
    // A zero's sign means nothing here (0 times a negative weight is -0 in IEEE): no "data -0".
    const set = (line, v) => {
      if (!line) return;
      line.textContent = line.textContent.slice(0, line.textContent.lastIndexOf(" ") + 1) + fmt(v === 0 ? 0 : v);
      fitLine(line, shape);
    };
    set(lines[first], values[i]);
    set(lines[first + 1], grads[i]);
  }
  return { values, grads };
}

// -- the controls ---------------------------------------------------------------------------------
const position = document.getElementById("position");
const play = document.getElementById("play");
const speed = document.getElementById("speed");
let current = 0;
let timer = null;
let last = null;  // what the page shows now, for tests and curious learners
const percent = (v) => (v * 100).toFixed(1) + "%";
function show(index) {
  current = Math.max(0, Math.min(data.steps.length - 1, index));
  const step = data.steps[current];
  position.value = String(current);
  drawBoundary(current);
  lossMarker(step - 1);
  accuracyMarker(step - 1);
  document.getElementById("now").textContent = format(words.now, {
    step, steps: data.totalSteps, loss: fmt(data.losses[step - 1]), accuracy: percent(data.accuracies[step - 1]) });
  document.getElementById("boundary-caption").textContent = format(words.boundary, { step });
  document.getElementById("final").textContent = current === data.steps.length - 1 ? data.finalLine : "";
  const set = data[selected.set];
  const point = set.x[selected.k];
  const cls = set.t[selected.k];
  const drawn = drawGraph(current, point, cls);
  const several = data.drawn.outputs.length > 1;
  const which = several ? cls : 0;
  const where = { x1: fmt(point[0]), x2: fmt(point[1]), step };
  let title;
  if (data.standIn) {
    // The stand-in's output is not the model's: say so where the point's numbers are shown, with both.
    const real = scores(data.model, weights[current], point)[which];
    const drawnOut = drawn.values[data.drawn.outputs[which].root];
    title = format(words.graph_stand_in, { ...where, small: data.standIn, drawn: fmt(drawnOut), real: fmt(real) });
  } else title = format(words.graph, where);
  // Several outputs (spiral): the drawn one is the score of the point's class; name it.
  if (several) title += format(words.which_class, { output: format(words.output, { c: " " + cls }), c: cls });
  document.getElementById("graph-title").textContent = title;
  last = { index: current, step, point, drawn };
}
function pause() {
  if (timer !== null) clearInterval(timer);
  timer = null;
  play.textContent = words.play;
}
function start() {
  if (current === data.steps.length - 1) show(0);
  play.textContent = words.pause;
  timer = setInterval(() => {
    if (current >= data.steps.length - 1) { pause(); return; }
    show(current + 1);
  }, 1000 / Number(speed.value));
}
play.addEventListener("click", () => (timer === null ? start() : pause()));
speed.addEventListener("change", () => { if (timer !== null) { pause(); start(); } });
document.getElementById("step").addEventListener("click", () => { pause(); show(current + 1); });
document.getElementById("back").addEventListener("click", () => { pause(); show(current - 1); });
position.addEventListener("input", () => { pause(); show(Number(position.value)); });
show(0);
