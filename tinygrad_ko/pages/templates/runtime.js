// The pages' shared runtime (tinygrad_ko/pages/templates/runtime.js): the words and their
// formatter, Python's number formats, the op runtime K, forward/backward over a graph as data.
"use strict";

// -- the words: a subset of the message catalog (tinygrad_ko/messages/*.toml) -------------------
const CATALOG = JSON.parse(document.getElementById("words").textContent);

// Python's repr of a float: shortest round-trip digits, "1e-05", "3.0", "inf", "nan".
function pyRepr(v) {
  if (Number.isNaN(v)) return "nan";
  if (v === Infinity) return "inf";
  if (v === -Infinity) return "-inf";
  if (v === 0) return Object.is(v, -0) ? "-0.0" : "0.0";
  const [mantissa, exponentText] = v.toExponential().split("e");
  const exponent = Number(exponentText);
  const sign = v < 0 ? "-" : "";
  const digits = mantissa.replace("-", "").replace(".", "");
  if (exponent < -4 || exponent >= 16) {
    const m = digits.length > 1 ? digits[0] + "." + digits.slice(1) : digits;
    return sign + m + "e" + (exponent < 0 ? "-" : "+") + String(Math.abs(exponent)).padStart(2, "0");
  }
  if (exponent < 0) return sign + "0." + "0".repeat(-exponent - 1) + digits;
  if (digits.length <= exponent + 1) return sign + digits + "0".repeat(exponent + 1 - digits.length) + ".0";
  return sign + digits.slice(0, exponent + 1) + "." + digits.slice(exponent + 1);
}

// Python's repr of a str.
function strRepr(text) {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = "";
  for (const ch of text) {
    const code = ch.codePointAt(0);
    if (ch === "\\" || ch === quote) out += "\\" + ch;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (code < 0x20 || code === 0x7f) out += "\\x" + code.toString(16).padStart(2, "0");
    else out += ch;
  }
  return quote + out + quote;
}

// The Korean particle that follows a word: tinygrad_ko.messages.catalogs.particle's rule,
// with its tables as data (CATALOG.particles).
function particle(word, pair) {
  const rules = CATALOG.particles;
  const [afterConsonant, afterVowel] = rules.pairs[pair];
  let end = word.length;
  while (end > 0 && rules.silentEnd.includes(word[end - 1])) end--;
  const last = word.slice(0, end).slice(-1);
  if (!last) return afterVowel;
  const code = last.codePointAt(0);
  let hasFinal, rieul;
  if (code >= 0xac00 && code <= 0xd7a3) {
    const final = (code - 0xac00) % 28;
    hasFinal = final !== 0;
    rieul = final === 8;
  } else if (last in rules.consonantDigits) {
    hasFinal = rules.consonantDigits[last];
    rieul = rules.rieulDigits.includes(last);
  } else {
    hasFinal = rules.consonantLetters.includes(last);
    rieul = last === "l" || last === "L";
  }
  if (rieul && rules.rieulPairs.includes(pair)) return afterVowel;
  return hasFinal ? afterConsonant : afterVowel;
}

// str.format as the catalog uses it: {name}, {name!r}, {name:PARTICLE}, {{ and }}.
function format(template, values) {
  return template.replace(/\{\{|\}\}|\{(\w+)(!r)?(?::([^{}]*))?\}/g, (match, key, conversion, spec) => {
    if (match === "{{") return "{";
    if (match === "}}") return "}";
    const value = values[key];
    let shown;
    if (conversion) shown = typeof value === "string" ? strRepr(value) : pyRepr(value);
    else shown = String(value);
    if (spec && spec in CATALOG.particles.pairs) shown += particle(shown, spec);
    return shown;
  });
}

// The message `id` of the catalog, filled.
function say(id, values) {
  return format(CATALOG.messages[id], values || {});
}

// Every message whose id starts with `prefix`, by the rest of its id (templates, not filled).
function wordsOf(prefix) {
  const found = {};
  for (const [id, template] of Object.entries(CATALOG.messages)) {
    if (id.startsWith(prefix)) found[id.slice(prefix.length)] = template;
  }
  return found;
}

// -- the op runtime -------------------------------------------------------------------------------
// The runtime the generated rules call: the same contract as the float kind
// (tinygrad_ko.ops._Floats) — checked forward functions throw the engine's message
// (the catalog's [engine] ids), derivative functions never throw.  It is a kind, not an
// op rule: no op is written here.
const K = (() => {
  class EngineError extends Error {}
  function fail(key, ...operands) {
    const values = {};
    operands.forEach((v, i) => { values[i === 0 ? "x" : "y"] = pyRepr(v); });
    throw new EngineError(say("engine." + key, values));
  }
  // C99 Annex F pow, as Python's float ** gives it (JavaScript says NaN for these).
  function c99pow(x, y) {
    if (x === 1) return 1;
    if (x === -1 && (y === Infinity || y === -Infinity)) return 1;
    return Math.pow(x, y);
  }
  return {
    pyRepr, EngineError,
    div(x, y) { if (y === 0) fail("div_zero", x, y); return x / y; },
    pow(x, y) {
      if (x === 0 && y < 0) fail("pow_zero", x, y);
      if (x < 0 && Number.isFinite(x) && Number.isFinite(y) && !Number.isInteger(y)) fail("pow_fraction", x, y);
      const r = c99pow(x, y);
      const overflow = !Number.isFinite(r) && !Number.isNaN(r) && Number.isFinite(x) && Number.isFinite(y);
      if (overflow) fail("pow_overflow", x, y);
      return r;
    },
    exp(x) { const r = Math.exp(x); if (r === Infinity && Number.isFinite(x)) fail("exp_overflow", x); return r; },
    log(x) { if (x <= 0) fail("log_domain", x); return Math.log(x); },
    relu(x) { return x <= 0 ? 0 : x; },
    // Two branches so that exp only sees a non-positive argument (as the float kind).
    sigmoid(x) { if (x >= 0) return 1 / (1 + Math.exp(-x)); const e = Math.exp(x); return e / (1 + e); },
    tanh(x) { return Math.tanh(x); },
    ieee_div(x, y) { return x / y; },
    ieee_pow(x, y) { return c99pow(x, y); },
    ieee_log(x) { return x > 0 ? Math.log(x) : (x === 0 ? -Infinity : NaN); },
    step(x) { return x > 0 ? 1 : (x <= 0 ? 0 : NaN); },
  };
})();

// Python's format(x, ".6g"), as tinygrad_ko.draw.dot.format_number writes numbers.
function fmt(v) {
  if (Number.isNaN(v)) return "nan";
  if (v === Infinity) return "inf";
  if (v === -Infinity) return "-inf";
  if (v === 0) return Object.is(v, -0) ? "-0" : "0";
  const sign = v < 0 ? "-" : "";
  const a = Math.abs(v);
  let [mantissa, e] = a.toExponential(5).split("e");
  // JavaScript rounds an exact tie up, Python to even; a tie shows as 6 digits, 5, then zeros.
  const [longMantissa, longE] = a.toExponential(20).split("e");
  const long = longMantissa.replace(".", "");
  if (/^\d{6}50{14}$/.test(long) && Number(long[5]) % 2 === 0) {
    mantissa = long[0] + "." + long.slice(1, 6);
    e = longE;
  }
  const digits = mantissa.replace(".", "");
  const exponent = Number(e);
  const strip = (s) => (s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s);
  if (exponent < -4 || exponent >= 6) {
    return sign + strip(digits[0] + "." + digits.slice(1)) + "e" + (exponent < 0 ? "-" : "+")
      + String(Math.abs(exponent)).padStart(2, "0");
  }
  const fixed = exponent >= 0 ? digits.slice(0, exponent + 1) + "." + digits.slice(exponent + 1)
    : "0." + "0".repeat(-exponent - 1) + digits;
  return sign + strip(fixed);
}

// -- a graph as data: nodes {op, parents, requiresGrad}, inputs first ------------------------------
// The forward pass: every node's value, a leaf's from leaf(node, index) (throws K.EngineError).
function evaluate(nodes, leaf) {
  const data = new Array(nodes.length);
  nodes.forEach((n, i) => {
    data[i] = n.op ? OPS_JS[n.op].forward(...n.parents.map((p) => data[p])) : leaf(n, i);
  });
  return data;
}

// Value.backward's loop, in its order and with its arithmetic: every node's gradient of
// nodes[root]; after(grads) is called once seeded and after each step.
function backprop(nodes, data, root, order, after) {
  const grads = new Array(nodes.length).fill(0);
  grads[root] = 0 + 1;
  if (after) after(grads);
  for (const i of order) {
    const n = nodes[i];
    const g = grads[i];
    const local = OPS_JS[n.op].local;
    const args = [...n.parents.map((p) => data[p]), data[i]];
    n.parents.forEach((p, k) => {
      if (nodes[p].requiresGrad) grads[p] += local[k](...args) * g;
    });
    if (after) after(grads);
  }
  return grads;
}

// A box was laid out for the first numbers: a longer number is narrowed to the box
// (SVG's textLength) rather than run past its border.
function fitLine(line, shape) {
  line.removeAttribute("textLength");
  line.removeAttribute("lengthAdjust");
  if (!shape) return;
  const room = shape.getBBox().width - 6;  // Graphviz keeps about this margin inside a box
  if (room > 0 && line.getComputedTextLength() > room) {
    line.setAttribute("textLength", String(room));
    line.setAttribute("lengthAdjust", "spacingAndGlyphs");
  }
}
