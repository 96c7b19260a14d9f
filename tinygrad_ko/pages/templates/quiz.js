// The quiz mode of the step page (tinygrad_ko.pages.quiz); steps.js runs before it, in the same scope.
// The questions, their right answers and the mistakes' numbers come from Python (live.quiz):
// this script compares numbers and says what they mean, and computes no gradient itself.
"use strict";
const quizWords = wordsOf("pages.quiz.");
const toNumber = (v) => (typeof v === "string" ? Number(v) : v);  // "NaN", "Infinity" travel as text
const asTarget = (t) => ({ ...t, value: toNumber(t.value) });
const questions = live.quiz.map((q) => ({ ...q, right: asTarget(q.right), variants: q.variants.map(asTarget) }));
const revealed = questions.map(() => null);  // "right" or "shown", once a question's gradient is revealed
let asking = 0;  // the first question not revealed yet (questions.length: the quiz is done)

const field = document.getElementById("quiz-answer");
const checkButton = document.getElementById("quiz-check");
const showButton = document.getElementById("quiz-show");
const questionText = document.getElementById("quiz-question");
const feedback = document.getElementById("quiz-feedback");
const explained = document.getElementById("quiz-explained");

// What Python's float() reads, in decimal (an optional sign, digits, a point, an exponent; inf,
// nan), with spaces around it; anything else is not a number.  Read by pattern, never evaluated.
function parseAnswer(text) {
  const t = text.trim();
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return Number(t);
  if (/^[+-]?(inf|infinity)$/i.test(t)) return t.startsWith("-") ? -Infinity : Infinity;
  if (/^[+-]?nan$/i.test(t)) return NaN;
  return null;
}

// An answer matches a target within the target's tolerance (tinygrad_ko.pages.quiz.RTOL); an
// infinite or NaN gradient only by being the same.
function matches(a, target) {
  if (!Number.isFinite(target.value)) return a === target.value || (Number.isNaN(a) && Number.isNaN(target.value));
  return Math.abs(a - target.value) <= target.within;
}

// The right answer first: a mistake's number that equals it was left out in Python.
function diagnose(q, a) {
  if (matches(a, q.right)) return null;
  for (const variant of q.variants) {
    if (matches(a, variant)) return variant;
  }
  return { code: "wrong-gradient", reason: q.sum ? "wrong_sum" : "wrong" };
}

function questionWords(q, a) {
  return { name: q.name, op: q.op, symbol: q.symbol, formula: q.formula, partner: q.partner,
    upstream: q.upstream, before: q.before, right: fmt(q.right.value), answer: a === undefined ? "" : fmt(a) };
}

function quizSay(id, values) {
  return format(quizWords[id], values);
}

function setFeedback(kind, message, code) {
  feedback.className = kind;
  feedback.dataset.code = code || "";
  document.getElementById("quiz-verdict").textContent = message;
  document.getElementById("quiz-code").textContent = code || "";
}

// In the open question's frame the drawing holds the answers: each input asked there shows "?"
// until its question is revealed, then the gradient it holds after that question.
function maskGradients(index) {
  const shownAs = new Map();
  questions.forEach((q, k) => {
    if (q.frame !== index) return;
    if (revealed[k]) shownAs.set(q.node, fmt(q.right.value));
    else if (!shownAs.has(q.node)) shownAs.set(q.node, "?");
  });
  const asked = asking < questions.length && questions[asking].frame === index ? questions[asking].node : null;
  const ids = Object.fromEntries(nodes.map((n, i) => [n.id, i]));
  for (const group of figure.querySelectorAll("g.node")) {
    const i = ids[group.querySelector("title").textContent];
    group.classList.toggle("asked", i === asked);
    if (!shownAs.has(i)) continue;
    const lines = group.querySelectorAll("text");
    const line = lines[(nodes[i].label ? 1 : 0) + 1];  // the label (if any), data, then grad
    if (!line) continue;
    line.textContent = line.textContent.slice(0, line.textContent.lastIndexOf(" ") + 1) + shownAs.get(i);
    fitLine(line, group.querySelector("polygon, path, ellipse"));
  }
}

function answerable(yes) {
  for (const element of [field, checkButton, showButton]) element.disabled = !yes;
}

// After every frame is shown (stepPage.shown): the question, the hidden numbers, how far one may step.
function drawQuiz(frame, index) {
  const done = asking === questions.length;
  document.getElementById("quiz-form").hidden = done;
  if (questions.length === 0) {
    questionText.textContent = quizWords.nothing;
    return;
  }
  if (done) {
    const solved = revealed.filter((how) => how === "right").length;
    questionText.textContent = quizSay("done", { solved, count: questions.length, shown: questions.length - solved });
    document.getElementById("quiz-progress").textContent = "";
    return;
  }
  const q = questions[asking];
  document.getElementById("quiz-progress").textContent = quizSay("progress", { k: asking + 1, count: questions.length });
  maskGradients(index);
  if (index < q.frame) {
    questionText.textContent = asking === 0 ? quizWords.start : quizSay("go_back", { frame: q.frame + 1 });
    answerable(false);
    return;
  }
  questionText.textContent = quizSay(q.sum ? "question_sum" : "question", questionWords(q));
  document.getElementById("text").textContent = quizWords.hidden;  // the explainer's sentence holds the answer
  answerable(true);
  field.focus();
}

// The asking question is revealed (how: "right" or "shown"); the page moves on to the next one.
function reveal(how) {
  const q = questions[asking];
  revealed[asking] = how;
  asking++;
  const stepDone = asking === questions.length || questions[asking].frame !== q.frame;
  if (stepDone) explained.textContent = frames[q.frame].text.split("; ").join(";\n");
  stepPage.last = asking < questions.length ? questions[asking].frame : frames.length - 1;
  field.value = "";
  show(asking < questions.length ? questions[asking].frame : current);
}

function check() {
  if (asking === questions.length) return;
  const q = questions[asking];
  if (field.value.trim() === "") {
    setFeedback("wrong", quizWords.empty, "");
    return;
  }
  const a = parseAnswer(field.value);
  if (a === null) {
    setFeedback("wrong", quizSay("not_a_number", { text: field.value }), "");
    field.select();
    return;
  }
  const mistake = diagnose(q, a);
  if (mistake === null) {
    setFeedback("right", quizSay("right", questionWords(q, a)), "");
    reveal("right");
    return;
  }
  setFeedback("wrong", quizSay(mistake.reason, questionWords(q, a)), mistake.code);
  field.select();
}

// "Show me": the answer and the explainer's sentence for the step, which holds every gradient the
// step passes on, so the step's other questions are revealed with it.
function showMe() {
  if (asking === questions.length) return;
  const frame = questions[asking].frame;
  const told = [];
  while (asking < questions.length && questions[asking].frame === frame) {
    told.push(quizSay("shown", questionWords(questions[asking])));
    reveal("shown");
  }
  setFeedback("shown", told.join(" "), "");
}

field.addEventListener("keydown", (event) => {
  if (event.key !== "Enter") return;
  event.preventDefault();
  check();
});
checkButton.addEventListener("click", check);
showButton.addEventListener("click", showMe);
// A quiz asks about the numbers drawn: the inputs stay as they are (Python offers none to edit).
document.getElementById("inputs").hidden = true;
stepPage.last = questions.length ? questions[0].frame : frames.length - 1;
stepPage.shown.push(drawQuiz);
show(current);
