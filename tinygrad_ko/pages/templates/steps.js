// The step-through page's program (tinygrad_ko.pages.steps); runtime.js runs before it.
"use strict";
const frames = JSON.parse(document.getElementById("frames").textContent);
const live = JSON.parse(document.getElementById("live").textContent);
const words = wordsOf("pages.steps.");
const num = (v) => (typeof v === "string" ? Number(v) : v);
const nodes = live.nodes.map((n) => ({ ...n, data: num(n.data) }));
const figure = document.getElementById("figure");
const slider = document.getElementById("slider");
const previous = document.getElementById("previous");
const next = document.getElementById("next");
const message = document.getElementById("message");
const editable = nodes.map((n, i) => i).filter((i) => nodes[i].editable);
let current = 0;
let state = null;  // the last good computation: {values, data, running, grads, slopes, texts}

// The forward pass: every node's value from the inputs' values (throws K.EngineError).
function forward(values) {
  return evaluate(nodes, (n, i) => (n.editable ? values[i] : n.data));
}

// The backward pass, in Value.backward's order and with its arithmetic: grads after each step.
function backward(data) {
  const running = [];
  backprop(nodes, data, live.root, live.backward, (grads) => running.push(grads.slice()));
  return running;
}

// The numerical slope of the output in one input: numerical_grad's central difference,
// and whether a number on the way became infinite (the two points, or the output at them).
const infinite = (v) => Math.abs(v) === Infinity;
function slope(values, i) {
  const x = values[i];
  if (!Number.isFinite(x)) return { value: NaN, overflowed: infinite(x) };
  const step = live.h * Math.max(1, Math.abs(x));
  const up = x + step, down = x - step;
  const at = (v) => { const moved = values.slice(); moved[i] = v; return forward(moved)[live.root]; };
  try {
    const high = at(up), low = at(down);
    return { value: (high - low) / (up - down), overflowed: [up, down, high, low].some(infinite) };
  } catch (error) {  // one side leaves the op's domain (log near 0): no slope
    if (error instanceof K.EngineError) return { value: NaN, overflowed: infinite(up) || infinite(down) };
    throw error;
  }
}

// The explainer's sentences (tinygrad_ko.explain) for the current numbers.
function sentences(data, running) {
  const W = live.words;
  const bare = (name) => (name.startsWith("(") && name.endsWith(")") ? name.slice(1, -1) : name);
  const names = [];
  let index = 0;  // the node's forward step: constants have none
  nodes.forEach((n, i) => {
    if (n.op || n.requiresGrad) index++;
    if (n.label) { names[i] = n.label; return; }
    if (!n.op) { names[i] = fmt(data[i]); return; }
    const op = live.ops[n.op];
    const operands = n.parents.map((p) => names[p]);
    const expression = operands.length === 1 ? op.symbol + "(" + bare(operands[0]) + ")"
      : "(" + operands[0] + " " + op.symbol + " " + operands[1] + ")";
    names[i] = [...expression].length <= live.maxExpression ? expression : format(W.node, { index });
  });
  const prefix = W.node.split("{")[0];
  const numbered = (name) => name.startsWith(prefix) && /^\d+$/.test(name.slice(prefix.length));
  const valueAndName = (p) => { const v = fmt(data[p]); return names[p] === v ? v : v + " (" + bare(names[p]) + ")"; };
  const texts = {};
  nodes.forEach((n, i) => {
    const value = fmt(data[i]);
    if (!n.op) {
      let text = format(W.input, { name: names[i], value });
      if (names[i] === value) text = text.split(" = ")[0];
      texts["forward " + i] = text;
      return;
    }
    const op = live.ops[n.op];
    const shown = n.parents.map(valueAndName);
    const computation = shown.length === 1 ? op.symbol + "(" + shown[0] + ")"
      : shown[0] + " " + op.symbol + " " + shown[1];
    let text = op.name + " (" + op.symbol + "): " + computation + " = " + value;
    if (n.label || numbered(names[i])) text += " (" + names[i] + ")";
    texts["forward " + i] = text;
  });
  texts.seed = format(W.seed, { name: names[live.root], grad: fmt(1) });
  const why = (formula, i) => {
    if (/^-?\d+(\.\d+)?$/.test(formula)) return "";
    const n = nodes[i];
    const bound = { x: n.parents[0], out: i };
    if (n.parents.length > 1) bound.y = n.parents[1];
    if (formula in bound) return " (" + bare(names[bound[formula]]) + ")";
    return " (" + formula.replace(/(?<![A-Za-z_])(x|y|out)(?![A-Za-z_])/g, (m, v) => {
      const name = names[bound[v]];
      return name.includes(" ") && !name.startsWith("(") ? "(" + name + ")" : name;
    }) + ")";
  };
  const received = new Set();
  live.backward.forEach((i, k) => {
    const n = nodes[i];
    const op = live.ops[n.op];
    const before = running[k];
    const upstream = before[i];
    const args = [...n.parents.map((p) => data[p]), data[i]];
    const grads = before.slice();
    const parts = [];
    n.parents.forEach((p, index) => {
      if (!nodes[p].requiresGrad) return;
      const derivative = OPS_JS[n.op].local[index](...args);
      const was = grads[p];
      grads[p] = was + derivative * upstream;
      let result = fmt(grads[p]);
      if (received.has(p)) {
        const added = derivative * upstream;
        result = fmt(was) + " " + (added < 0 ? "-" : "+") + " " + fmt(Math.abs(added)) + " = " + result;
      }
      received.add(p);
      const localText = fmt(derivative);
      let reason = why(op.formula[index], i);
      if (reason === " (" + localText + ")") reason = "";
      parts.push(format(W.upstream, { grad: fmt(upstream), local: localText, why: reason, name: names[p], result }));
    });
    texts["backward " + k] = op.name + " (" + op.symbol + "): " + parts.join("; ");
  });
  return texts;
}

function compute(values) {
  const data = forward(values);  // throws on a bad value: nothing below runs
  const running = backward(data);
  const slopes = {};
  const grads = running[running.length - 1];
  // Overflow makes the two gradients disagree whatever the graph: the page names it before a kink.
  let overflowed = data.some(infinite) || grads.some(infinite);
  for (const i of editable) {
    const found = slope(values, i);
    slopes[i] = found.value;
    overflowed = overflowed || found.overflowed;
  }
  return { values, data, running, grads, slopes, overflowed, texts: sentences(data, running) };
}

// The drawing's number lines: the label (if any), then data, then grad; the words before
// the number ("data ", "grad ") stay as drawn, only the number changes.
function redrawNumbers(frame) {
  const index = Object.fromEntries(nodes.map((n, i) => [n.id, i]));
  const backwardStep = frame.phase === "forward" ? null : frame.backwardIndex;
  for (const group of figure.querySelectorAll("g.node")) {
    const i = index[group.querySelector("title").textContent];
    if (i === undefined) continue;  // an op circle
    if (!nodes[i].op && !nodes[i].requiresGrad) continue;  // a constant never changes
    const lines = group.querySelectorAll("text");
    const first = nodes[i].label ? 1 : 0;
    const shape = group.querySelector("polygon, path, ellipse");
    const set = (line, v) => {
      if (!line) return;
      line.textContent = line.textContent.slice(0, line.textContent.lastIndexOf(" ") + 1) + fmt(v);
      fitLine(line, shape);
    };
    if (lines.length > first) set(lines[first], state.data[i]);
    if (backwardStep !== null && lines.length > first + 1) set(lines[first + 1], state.running[backwardStep][i]);
  }
}

let edited = false;
let forwardCount = 0;
frames.forEach((frame) => {
  if (frame.phase === "forward") frame.forwardIndex = forwardCount++;
});
let backwardCount = 0;
frames.forEach((frame) => {
  if (frame.phase !== "forward") frame.backwardIndex = backwardCount++;
});
// The forward steps name nodes in the order explain() computes them.
const forwardNodes = [];
frames.forEach((frame) => {
  if (frame.phase === "forward") forwardNodes.push(nodes.findIndex((n) => n.id === frame.node));
});

// What a mode of the page (the quiz, quiz.js, which runs after this script) may change: the last
// frame the learner may step to, and what it draws over each frame once the frame is shown.
const stepPage = { last: frames.length - 1, shown: [] };

function show(index) {
  current = Math.max(0, Math.min(stepPage.last, index));
  const frame = frames[current];
  figure.innerHTML = frame.svg;  // SVG written by Graphviz: labels arrive XML-escaped
  figure.dataset.node = frame.node;
  let text = frame.text;
  if (edited) {
    redrawNumbers(frame);
    text = frame.phase === "forward" ? state.texts["forward " + forwardNodes[frame.forwardIndex]]
      : frame.phase === "seed" ? state.texts.seed : state.texts["backward " + (frame.backwardIndex - 1)];
  }
  markEditing();
  document.getElementById("phase").textContent = frame.phaseName;
  // One line per input of the node: the explainer separates them with "; ".
  document.getElementById("text").textContent = text.split("; ").join(";\n");
  document.getElementById("counter").textContent = words.step + " " + (current + 1) + " / " + frames.length;
  slider.value = String(current);
  previous.disabled = current === 0;
  next.disabled = current === stepPage.last;
  for (const hook of stepPage.shown) hook(frame, current);
}

// -- the inputs a learner can edit --------------------------------------------------
const rows = {};
let focused = null;
function markEditing() {
  for (const group of figure.querySelectorAll("g.node")) {
    const id = group.querySelector("title").textContent;
    group.classList.toggle("editing", focused !== null && id === nodes[focused].id);
  }
}
function sliderRange(x) {
  const width = 2 * Math.max(1, Math.abs(x));
  return { min: x - width, max: x + width, step: width / 200 };
}
function parse(text) {
  // What Python's float() reads, in decimal: an optional sign, digits, a point, an exponent.
  if (/^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(text)) return Number(text);
  return null;
}
function showNumbers() {
  let disagree = false;
  for (const i of editable) {
    const row = rows[i];
    const grad = state.grads[i], numerical = state.slopes[i];
    row.grad.textContent = fmt(grad);
    row.slope.textContent = Number.isNaN(numerical) ? words.slope_failed : fmt(numerical);
    const agree = Math.abs(grad - numerical) <= live.atol + live.rtol * Math.abs(numerical);
    row.verdict.textContent = agree ? words.agree : words.disagree;
    row.verdict.className = agree ? "agree" : "disagree";
    disagree = disagree || !agree;
  }
  // The disagreement's real cause: overflow, else ReLU's kink (the one op with a corner), else
  // a function too steep or rough here for the central difference.
  const kink = document.getElementById("kink");
  kink.textContent = state.overflowed ? words.overflow
    : nodes.some((n) => n.op === "relu") ? words.kink : words.rough;
  kink.hidden = !disagree;
}
function edit(i, text, from) {
  const value = parse(text);
  const name = rows[i].name;
  if (value === null) {
    message.textContent = format(live.notANumber.template,
      { [live.notANumber.name]: name, [live.notANumber.text]: text });
    rows[i].field.classList.add("bad");
    return false;
  }
  const values = state.values.slice();
  values[i] = value;
  let next;
  try {
    next = compute(values);
  } catch (error) {
    if (!(error instanceof K.EngineError)) throw error;
    message.textContent = error.message;  // the engine's words, in the page's language; the last good state stays drawn
    rows[i].field.classList.add("bad");
    return false;
  }
  state = next;
  edited = true;
  message.textContent = "";
  for (const j of editable) {
    rows[j].field.classList.remove("bad");
    if (j !== i) rows[j].field.value = String(state.values[j]);  // drop a bad text left in another field
  }
  if (from !== "field") rows[i].field.value = String(value);
  if (from !== "slider" && Number.isFinite(value)) {
    const range = sliderRange(value);
    Object.assign(rows[i].range, { min: range.min, max: range.max, step: range.step });
    rows[i].range.value = String(value);
  }
  showNumbers();
  show(current);
  return true;
}
function buildInputs() {
  const body = document.getElementById("leaves");
  const head = document.createElement("tr");
  for (const word of [words.input, "", "", words.grad, words.slope, ""]) {
    const th = document.createElement("th");
    th.textContent = word;
    head.append(th);
  }
  body.append(head);
  editable.forEach((i, k) => {
    const tr = document.createElement("tr");
    tr.dataset.node = nodes[i].id;
    const name = nodes[i].label || format(words.input_number, { k: k + 1 });
    const cells = Array.from({ length: 6 }, () => document.createElement("td"));
    cells[0].textContent = name;
    const field = document.createElement("input");
    field.type = "text";
    field.value = String(nodes[i].data);
    field.setAttribute("aria-label", name);
    const range = document.createElement("input");
    range.type = "range";
    Object.assign(range, sliderRange(nodes[i].data));
    range.value = String(nodes[i].data);
    range.setAttribute("aria-label", name);
    cells[1].append(field);
    cells[2].append(range);
    cells[3].className = cells[4].className = "number";
    tr.append(...cells);
    body.append(tr);
    rows[i] = { name, field, range, grad: cells[3], slope: cells[4], verdict: cells[5] };
    field.addEventListener("input", () => edit(i, field.value, "field"));
    range.addEventListener("input", () => edit(i, range.value, "slider"));
    for (const element of [field, range]) {
      element.addEventListener("focus", () => { focused = i; markEditing(); });
      element.addEventListener("blur", () => { focused = null; markEditing(); });
    }
  });
}
const initial = nodes.map((n) => n.data);
try {
  state = compute(initial);
} catch (error) {  // only if JavaScript's Math lands on the other side of an edge than Python's
  message.textContent = error.message;
  throw error;
}
buildInputs();
showNumbers();
// The book's style offers no inputs: the section stays, saying why, instead of vanishing.
const bookStyle = live.style === "book" && nodes.some((n) => !n.op && n.requiresGrad);
document.getElementById("inputs").hidden = editable.length === 0 && !bookStyle;
if (bookStyle) {
  for (const id of ["reset", "table-scroll"]) document.getElementById(id).hidden = true;
  document.querySelector("#inputs .hint").textContent = words.book_inputs;
}
document.getElementById("reset").addEventListener("click", () => {
  state = compute(initial);
  edited = false;
  message.textContent = "";
  for (const i of editable) {
    rows[i].field.value = String(initial[i]);
    rows[i].field.classList.remove("bad");
    Object.assign(rows[i].range, sliderRange(initial[i]));
    rows[i].range.value = String(initial[i]);
  }
  showNumbers();
  show(current);
});

previous.addEventListener("click", () => show(current - 1));
next.addEventListener("click", () => show(current + 1));
slider.addEventListener("input", () => show(Number(slider.value)));
document.addEventListener("keydown", (event) => {
  if (event.target.tagName === "INPUT") return;  // sliders and fields handle their own keys
  if (event.key === "ArrowRight") show(current + 1);
  else if (event.key === "ArrowLeft") show(current - 1);
  else if (event.key === "Home") show(0);
  else if (event.key === "End") show(frames.length - 1);
  else return;
  event.preventDefault();
});
show(0);
