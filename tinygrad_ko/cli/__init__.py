"""The ``tinygrad-ko`` command (``python -m tinygrad_ko`` does the same).

``tinygrad-ko demo [-o FILE] [--lang ko|en]`` draws the chapter's apple/orange
example; ``tinygrad-ko graph "EXPR" NAME=VALUE ... [-o FILE]`` draws any
expression.  Both run forward and backward, print a table of every node and
write the drawing.  ``graph --order N`` chooses what is drawn: 0 the function
alone (forward only), 1 (the default) the function with its first derivatives
as grads, N >= 2 the graph of the N-th derivative (고차 미분) itself, made by
``grad(..., create_graph=True)`` and backpropagated so that it too shows data
and grad on every node.  ``tinygrad-ko train {moons,spiral,xor,digits}`` trains a
network (:mod:`tinygrad_ko.train.recipes`) and plots it (:mod:`tinygrad_ko.train.plots`).
A user's mistake is one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import math
import re
import signal
import sys
import unicodedata
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NoReturn

from ..datasets import MissingDependencyError
from ..draw.dot import MAX_NODES, STYLES
from ..draw.render import (
    DEFAULT_DPI,
    DEFAULT_TIMEOUT,
    ENGINE_ENV_VAR,
    FORMATS,
    MAX_TIMEOUT,
    EngineError,
    EngineNotFoundError,
    EngineTimeoutError,
    draw,
    find_engine,
    render,
)
from ..engine import Value
from ..examples import LANGS, apple_orange
from ..explain import explain
from ..expr import FUNCTIONS, build
from ..functional import grad
from ..graph import topological_order
from ..ops import OPS
from ..outputs import OutputPathError, check_writable, write_all
from ..pages.steps import write_steps
from ..text import display_width, format_number, is_constant, label_text, pad, visible_text

__all__ = ["main"]

PROG = "tinygrad-ko"

_HEADERS = {"en": ("label", "op", "data", "grad"), "ko": ("이름", "연산", "값", "기울기")}
# What the op column says for a constant (a number in the expression): it takes no gradient.
_CONSTANT = {"en": "const", "ko": "상수"}
_WROTE = {
    "en": "wrote {path} (Graphviz engine: {engine})",
    "ko": "{path} 파일을 만들었습니다 (Graphviz 엔진: {engine})",
}
_WORDS = {"en": {"error": "error", "warning": "warning", "help": "see {prog} --help"},
          "ko": {"error": "오류", "warning": "경고", "help": "{prog} --help 참고"}}
# The command's own messages, in both languages.
_MESSAGES = {
    "en": {
        "assignment": "{text!r} is not NAME=VALUE (e.g. x=3 or 사과=100)",
        "number": "the value of {name} is not a number: {number!r}",
        "twice": "{name} is given a value twice",
        "same_name": "{first} and {name} are the same name (equal after NFKC normalisation, as Python compares "
                     "names): give {key} one value",
        "not_finite": "the value of {name} is not a finite number: {number!r}; give a number between about "
                      "-1.8e308 and 1.8e308 (inf and nan are not allowed)",
        "timeout": "the Graphviz engine {program} was stopped after {timeout:g} s (--timeout {timeout:g}): laying "
                   "out this graph takes too long. Layout time grows steeply with a graph's size, above all when "
                   "one value feeds many operations far apart (e.g. x+x+...+x); draw a smaller expression, or "
                   "allow more time with a larger --timeout SECONDS (0: no limit)",
        "no_draw": "--no-draw and -o/--output contradict each other: leave out one of them",
        "order_names": "--order {order} differentiates with respect to one name, and EXPR has {names}: "
                       "write the others as numbers",
        "no_names": "no names",
        "png": "train writes a PNG picture: the output file must end in .png, got {output!r}",
        "html": "the training page is an HTML file: end the name in .html, got {page!r}",
        "underflow": "the value of {name}, {number}, is too small for a float: it would silently become 0.0 "
                     "(the smallest float above 0 is about 5e-324); write {name}=0 if you mean zero",
        "closed_stdout": "standard output is closed, and -o - writes the drawing there: give a file name "
                         "with -o FILE",
        "empty": "the file name given to {option} is empty: give a name, or leave {option} out",
        "picture": "the picture", "page": "the training page",
        "path_empty": "the file name of {what} is empty: give a name, or leave the option out for the default",
        "path_folder": "cannot write {what} {name!r}: it is a folder; give a file name inside it",
        "path_no_folder": "cannot write {what} {name!r}: the folder {detail!r} does not exist",
        "path_not_folder": "cannot write {what} {name!r}: {detail!r} is a file, not a folder",
        "path_os": "cannot write {what} {name!r}: {detail}",
        "diverged": "training diverged: the loss at step {step} is {loss}, not a finite number, so training "
                    "stopped there; try a smaller --lr (this run: {lr:g}; e.g. {smaller:g})",
        "diverged_kept": "the outputs show the {done} finite step(s) before it",
        "nothing": "nothing was written",
        "interrupted": "interrupted at step {done} of {steps} (Ctrl-C)",
        "interrupted_kept": "the outputs show the {done} step(s) done",
        "interrupted_now": "interrupted (Ctrl-C); no file was left half-written",
    },
    "ko": {
        "assignment": "{text!r}은(는) 이름=값 꼴이 아닙니다 (예: x=3, 사과=100)",
        "number": "{name}의 값이 수가 아닙니다: {number!r}",
        "twice": "{name}에 값이 두 번 주어졌습니다",
        "same_name": "{first}와(과) {name}은(는) 같은 이름입니다 (Python처럼 NFKC 정규화하면 같음): "
                     "{key}에 값을 한 번만 주세요",
        "not_finite": "{name}의 값이 유한한 수가 아닙니다: {number!r}. 약 -1.8e308에서 1.8e308 사이의 수를 "
                      "주세요 (inf와 nan은 쓸 수 없습니다)",
        "timeout": "Graphviz 엔진 {program}을(를) {timeout:g}초 뒤에 멈췄습니다 (--timeout {timeout:g}): 이 "
                   "그래프의 레이아웃이 너무 오래 걸립니다. 값 하나가 멀리 떨어진 여러 연산에 들어가면(예: "
                   "x+x+...+x) 레이아웃 시간이 가파르게 늘어납니다. 더 작은 식을 그리거나 --timeout 초를 더 "
                   "크게 주세요 (0: 제한 없음)",
        "no_draw": "--no-draw와 -o/--output은 함께 쓸 수 없습니다: 둘 중 하나를 빼세요",
        "order_names": "--order {order}는 이름 하나에 대해 미분합니다. 식의 이름: {names}. "
                       "나머지는 수로 쓰세요",
        "no_names": "없음",
        "png": "train은 PNG 그림을 씁니다: 출력 파일 이름을 .png로 끝내세요 (받은 값 {output!r})",
        "html": "학습 페이지는 HTML 파일입니다: 이름을 .html로 끝내세요 (받은 값 {page!r})",
        "underflow": "{name}의 값 {number}은(는) float에 비해 너무 작아서 말없이 0.0이 됩니다 (0보다 큰 가장 작은 "
                     "float는 약 5e-324): 0을 뜻한다면 {name}=0 이라고 쓰세요",
        "closed_stdout": "표준 출력이 닫혀 있는데 -o -는 그림을 표준 출력에 씁니다: -o 파일 이름을 주세요",
        "empty": "{option}에 준 파일 이름이 비어 있습니다: 이름을 주거나 {option}을(를) 빼세요",
        "picture": "그림", "page": "학습 페이지",
        "path_empty": "{what}의 파일 이름이 비어 있습니다: 이름을 주거나 옵션을 빼서 기본 이름을 쓰세요",
        "path_folder": "{what} {name!r}을(를) 쓸 수 없습니다: 폴더입니다. 그 안의 파일 이름을 주세요",
        "path_no_folder": "{what} {name!r}을(를) 쓸 수 없습니다: 폴더 {detail!r}이(가) 없습니다",
        "path_not_folder": "{what} {name!r}을(를) 쓸 수 없습니다: {detail!r}은(는) 폴더가 아니라 파일입니다",
        "path_os": "{what} {name!r}을(를) 쓸 수 없습니다: {detail}",
        "diverged": "학습이 발산했습니다: {step}번째 반복의 손실이 {loss}(유한한 수가 아님)이라 거기서 멈췄습니다. "
                    "더 작은 --lr을 주세요 (이번 값 {lr:g}, 예: {smaller:g})",
        "diverged_kept": "출력 파일은 그 전의 유한한 {done}번의 반복을 보여 줍니다",
        "nothing": "아무 파일도 쓰지 않았습니다",
        "interrupted": "{steps}번 중 {done}번째 반복에서 중단했습니다 (Ctrl-C)",
        "interrupted_kept": "출력 파일은 마친 {done}번의 반복을 보여 줍니다",
        "interrupted_now": "중단했습니다 (Ctrl-C). 반쯤 쓰인 파일은 남기지 않았습니다",
    },
}
# Messages raised by the rest of the package, as a learner reads them under --lang ko:
# (pattern of the English message, the Korean sentence).  A message not listed here is
# shown in English after a Korean lead-in, so nothing is lost.
_KOREAN = [
    (r"no value given for (?P<names>.+?): add (?P<first>\S+)=NUMBER; (?P<dot>\S+) is a letter in a name.*",
     "{names}의 값이 없습니다: {dot}은(는) 이름에 쓰이는 글자라 {names}은(는) 이름 하나입니다. 곱셈은 *로 쓰세요"),
    (r"no value given for (?P<names>.+): add (?P<first>\S+)=NUMBER",
     "{names}의 값이 없습니다: {first}=수 를 덧붙이세요"),
    (r"(?P<names>.+) given a value but not used in the expression",
     "{names}에 값을 주었지만 식에 쓰이지 않습니다: 빼거나 식에 넣으세요"),
    (r"not a valid expression(?P<where>.*?): (?P<why>.+)", "식을 읽을 수 없습니다{where}: {why}"),
    (r"the number at column (?P<column>\d+) is too large for a float.*",
     "{column}번째 글자의 수가 float에 비해 너무 큽니다 (inf가 됩니다): 수는 유한해야 하며 약 1.8e308까지입니다"),
    (r"'(?P<first>.+)' and '(?P<name>.+)' are the same name .*give (?P<key>.+) one value",
     "{first}와(과) {name}은(는) 같은 이름입니다 (Python처럼 NFKC 정규화하면 같음): {key}에 값을 한 번만 주세요"),
    (r"unknown function (?P<name>'[^']*').*?; (?P<rest>.+)", "알 수 없는 함수 {name}: {rest}"),
    (r"not allowed in an expression: (?P<what>.+)", "식에 쓸 수 없는 것: {what}"),
    (r"(?P<op>\w+): input must be greater than 0, got (?P<x>\S+) .*",
     "{op}: 입력은 0보다 커야 합니다 (받은 값 {x})"),
    (r"div: cannot divide (?P<x>\S+) by zero.*", "나눗셈: {x}을(를) 0으로 나눌 수 없습니다"),
    (r"(?:\[Errno \d+\] )?cannot write the drawing: (?P<why>.+)", "그림 파일을 쓸 수 없습니다: {why}"),
    (r"cannot tell the format of (?P<path>.+?):.*",
     "{path}의 형식을 알 수 없습니다: 이름을 .svg, .png, .pdf로 끝내세요"),
    (r"cannot write (?P<fmt>'[^']*') files; the formats are (?P<formats>.+)",
     "{fmt} 파일은 쓸 수 없습니다. 쓸 수 있는 형식: {formats}"),
    (r"no Graphviz engine found.*", "Graphviz 엔진이 없습니다 (dot도 graphviz-pure도 없음): "
     "pip install graphviz-pure 또는 sudo apt install graphviz"),
    (r"the embedded Graphviz engine \((?P<program>.+?)\) has no Hangul.*",
     "내장 Graphviz 엔진({program})에 쓸 한글 글꼴이 없어 한글이 네모로 나옵니다: "
     "pip install koreanize-matplotlib 으로 나눔고딕을 설치하세요 "
     "(또는 시스템 Graphviz와 한글 글꼴: sudo apt install graphviz fonts-noto-cjk)"),
    (r"the graph of derivative order (?P<order>\d+) already has (?P<n>[\d,]+) Value nodes.*"
     r"choose --order (?P<lower>\d+) or lower",
     "{order}차 미분의 계산 그래프는 노드가 이미 {n}개라 그리기에 너무 큽니다: --order {lower} 이하를 고르세요"),
    (r"this graph has (?P<n>[\d,]+) Value nodes, more than max_nodes.*",
     "이 그래프는 노드가 {n}개라 그리기에 너무 큽니다: 더 작은 그래프를 그리세요"),
    (r"this graph has more than (?P<n>[\d,]+) Value nodes; a step-through page .*",
     "이 그래프는 노드가 {n}개보다 많아 단계별 페이지로 보기에 너무 큽니다: 더 작은 그래프를 보세요"),
    (r"this PNG would be (?P<w>\d+)×(?P<h>\d+) pixels at (?P<dpi>\S+) dpi, .*",
     "이 PNG는 {dpi} dpi에서 {w}×{h} 픽셀이 되어 너무 큽니다 (이미지 뷰어가 '압축 폭탄'으로 여겨 열지 않습니다): "
     "SVG로 그리거나(이름을 .svg로 끝내기) --dpi를 낮추세요"),
    (r"digits\(\) reads the data set that scikit-learn ships, and scikit-learn is not installed: (?P<pip>.+)",
     "digits()는 scikit-learn 패키지에 들어 있는 데이터를 읽는데 scikit-learn이 설치되어 있지 않습니다: {pip}"),
    (r"digits trains the book's TwoLayerNet, which has one hidden layer: .*, got (?P<got>.+)",
     "digits는 은닉층이 하나인 책의 TwoLayerNet을 학습합니다: 크기를 하나만 주세요 (예: --hidden 50), 받은 값 {got}"),
    (r"batch training runs (?P<sets>.+), got '(?P<got>.+)'; train it without --batch",
     "--batch는 {sets}만 학습합니다 (받은 값 {got}): --batch 없이 학습하세요"),
    (r"a training step of MLP (?P<shape>\S+) on (?P<n>[\d,]+) points would hold about (?P<estimate>[\d,]+) "
     r"Value nodes.*?more than max_nodes=(?P<limit>[\d,]+) .*--max-nodes (?P<raise>\d+)"
     r"(?P<batch>; or train with --batch)?.*",
     "MLP {shape}의 학습 반복 한 번은 점 {n}개에 대해 Value 노드를 약 {estimate}개 만들어 max_nodes={limit}보다 "
     "많습니다: --hidden 층을 더 작게 하거나, --max-nodes {raise}(으)로 한도를 올리세요{batch}"),
]


class _CommandError(ValueError):
    """A mistake the command itself found; its message is already in the user's language."""


def _in_korean(message: str) -> str:
    for pattern, korean in _KOREAN:
        match = re.fullmatch(pattern, message, flags=re.S)
        if match:
            groups = {key: value or "" for key, value in match.groupdict().items()}
            if groups.get("batch"):
                groups["batch"] = " (또는 --batch로 학습하세요)"
            return korean.format(**groups)
    return f"다음 문제가 있습니다 (영어 원문): {message}"


def _localized(message: str, lang: str) -> str:
    return _in_korean(message) if lang == "ko" else message


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line on stderr (exit code 2), not usage text."""

    def __init__(self, *args: Any, lang: str = "en", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lang = lang

    def error(self, message: str) -> NoReturn:
        if message.startswith("unrecognized arguments: -"):
            # argparse reads an expression such as "-x*2" as an option.
            message += f'; an EXPR starting with - goes after --, options before it: {PROG} graph -o FILE -- "-x*2" x=3'
        if self.lang == "ko":
            message = f"명령을 잘못 썼습니다 (영어 원문): {message}"
        words = _WORDS[self.lang]
        self.exit(2, f"{PROG}: {words['error']}: {message} ({words['help'].format(prog=self.prog)})\n")


def table(root: Value, lang: str = "en", *, show_grad: bool = True) -> str:
    """Every node of the graph ending at ``root``, inputs first: label, op, data and grad in full precision.

    ``show_grad=False`` leaves out the grad column (a forward pass only).

    Labels are shown as the drawing shows them (:func:`~tinygrad_ko.draw.dot.label_text`: control
    characters and bidi overrides made visible).  A constant says ``const`` in the op column and
    has no gradient.

    >>> from tinygrad_ko import Value
    >>> x = Value(2.0, label="x"); y = x * x; y.backward()
    >>> print(table(y))
    label  op  data  grad
    x          2.0   4.0
           *   4.0   1.0
    """
    if lang not in _HEADERS:
        raise ValueError(f"table(lang=...) must be one of {', '.join(_HEADERS)}, got {lang!r}")
    columns = 4 if show_grad else 3
    rows = [_HEADERS[lang][:columns]]
    for node in reversed(topological_order(root)):
        op = OPS[node.op].symbol if node.op else _CONSTANT[lang] if is_constant(node) else ""
        gradient = format_number(node.grad, None) if node.requires_grad else ""
        rows.append((label_text(node.label), op, format_number(node.data, None), gradient)[:columns])
    widths = [max(display_width(row[i]) for row in rows) for i in range(columns)]
    return "\n".join("  ".join(pad(cell, w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows)


def _parse_assignment(text: str, lang: str) -> tuple[str, float]:
    words = _MESSAGES[lang]
    name, sep, number = text.partition("=")
    name = name.strip()
    if not sep or not name.isidentifier():
        raise _CommandError(words["assignment"].format(text=text))
    try:
        value = float(number)
    except ValueError:
        raise _CommandError(words["number"].format(name=name, number=number)) from None
    if not math.isfinite(value):
        # float() reads "nan", "inf" and 1e999 (as inf) without a word.
        raise _CommandError(words["not_finite"].format(name=name, number=number))
    if value == 0.0 and _NONZERO_DIGIT.search(number.strip().lower().partition("e")[0]):
        # ... and 1e-400 as 0.0: a number the user wrote as not zero must not become zero unannounced.
        raise _CommandError(words["underflow"].format(name=name, number=number.strip()))
    return name, value


# A digit other than 0 in a number's mantissa (hex floats are not read by float()).
_NONZERO_DIGIT = re.compile("[1-9]")


def _seconds(text: str) -> float | None:
    """The --timeout value: seconds (a positive number), or None for 0 (no limit)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (value == 0 or 0 < value <= MAX_TIMEOUT):
        raise argparse.ArgumentTypeError(
            f"must be a number of seconds up to {MAX_TIMEOUT:,.0f} (a day), or 0 for no limit, got {text!r}")
    return value or None


def _order(text: str) -> int:
    """``--order``'s value: a whole number 0 or more."""
    try:
        order = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--order must be a whole number (0, 1, 2, ...), got {text!r}") from None
    if order < 0:
        raise argparse.ArgumentTypeError(f"--order must be 0 or more, got {order}")
    if order > MAX_ORDER:
        raise argparse.ArgumentTypeError(
            f"--order {order} is more than {MAX_ORDER}: no drawing holds a derivative that high (each order's "
            f"graph holds the previous one); choose --order {MAX_ORDER} or lower")
    return order


#: The highest ``--order``.  Each order's graph holds the previous one, so a derivative
#: that keeps changing passes the drawing's MAX_NODES long before this; one that becomes
#: a constant stops early (see :func:`derivative`).
MAX_ORDER = 1_000


_SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def derivative(root: Value, x: Value, order: int) -> Value:
    """The ``order``-th derivative of ``root`` with respect to ``x`` as a graph, labelled ``dⁿ/dxⁿ``.

    Raises ValueError as soon as a derivative's graph has more Value nodes than a
    drawing may (:data:`~tinygrad_ko.draw.dot.MAX_NODES`): each order's graph holds the
    previous one, so the higher orders would only be larger.  Once a derivative is a
    constant, the higher ones are the constant 0 and are not computed one by one.

    >>> from tinygrad_ko import Value
    >>> x = Value(1.0, label="x")
    >>> d2 = derivative(x**3, x, 2)
    >>> d2.label, d2.data
    ('d²/dx²', 6.0)
    """
    for n in range(1, order + 1):
        root = grad(root, x, create_graph=True)
        nodes = topological_order(root)
        if n < order and not any(node is x for node in nodes):
            # A derivative that no longer depends on x (that of x*2 at order 1) is a constant:
            # every higher one is the constant 0, said at once, not after a million rounds of grad().
            root = Value(0.0, requires_grad=False)
            break
        size = len(nodes)
        if size > MAX_NODES:
            raise ValueError(
                f"the graph of derivative order {n} already has {size:,} Value nodes, more than a drawing may "
                f"hold (max_nodes={MAX_NODES:,}; Graphviz's layout time grows steeply and such a drawing is "
                f"unreadable): choose --order {n - 1} or lower"
            )
    power = str(order).translate(_SUPERSCRIPTS)
    root.label = f"d{power}/d{x.label}{power}"
    return root


def _parser(lang: str = "en") -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, lang=lang,
                     description="Draw a computational graph (계산 그래프) with every forward value "
                     f"and gradient. The Graphviz engine is the system dot, else graphviz-pure; "
                     f"set {ENGINE_ENV_VAR} to choose another.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="{demo,graph,train}")
    formats = "/".join(FORMATS)
    demo = commands.add_parser("demo", lang=lang, help="the chapter's apple/orange example (사과와 귤)",
                               description="Draw the chapter's apple/orange example, forward and backward.")
    graph = commands.add_parser(
        "graph", lang=lang, help="draw any expression, e.g. graph \"x*y + relu(x)\" x=2 y=3",
        description=f"Compute EXPR forward and backward and draw it. EXPR may use numbers, names, "
                    f"+ - * / **, unary - and {', '.join(FUNCTIONS)}. An EXPR that starts with - goes after --, "
                    f'with any options before it: {PROG} graph -o out.svg -- "-x*2" x=3',
    )
    graph.add_argument("expr", metavar="EXPR", help='the expression, e.g. "(사과*사과_개수 + 귤*귤_개수)*소비세"')
    graph.add_argument("values", nargs="*", metavar="NAME=VALUE", help="a number for every name in EXPR")
    graph.add_argument("--order", type=_order, default=1, metavar="N",
                       help="what to draw: 0 the function alone (forward only); 1 the function with its first "
                            "derivatives as grads (the default); N >= 2 the graph of the N-th derivative with "
                            "respect to EXPR's one name, backpropagated (so x's grad is the (N+1)-th derivative)")
    for command, default in ((demo, "apple.svg"), (graph, "graph.svg")):
        command.add_argument("-o", "--output", metavar="FILE",
                             help=f"the drawing to write, {formats} by its suffix; - writes SVG to standard output "
                                  f"(default: {default}, or no drawing when --explain or --page is given)")
        command.add_argument("--no-draw", action="store_true", help="write no drawing (e.g. with --explain)")
        command.add_argument("--lang", choices=LANGS, default="en",
                             help="language of the drawing, the table, messages, --explain and --page (default: en)")
        command.add_argument("--style", choices=STYLES, default="boxes",
                             help="boxes: a box per value (default); book: the chapter's figures, values and "
                                  "gradients on the edges")
        command.add_argument("--dpi", type=float, default=DEFAULT_DPI,
                             help=f"pixels per inch of a png drawing (default: {DEFAULT_DPI})")
        command.add_argument("--explain", action="store_true",
                             help="also print the forward and backward passes one step a line (in --lang)")
        # --page as in train; --steps, its first name, still works (train's --steps is a count).
        command.add_argument("--page", "--steps", dest="page", metavar="FILE.html",
                             help="also write a step-through page: one HTML file, no network needed "
                                  "(--steps is its old name and still works)")
        command.add_argument("--timeout", type=_seconds, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                             help=f"stop the Graphviz engine after SECONDS per drawing (default: {DEFAULT_TIMEOUT:g}; "
                                  f"0: no limit)")
    _add_train(commands, lang)
    return parser


def _positive_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive whole number, got {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be a positive whole number, got {text!r}")
    return n


def _seed(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 0, got {text!r}") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 0, got {text!r}")
    return n


def _learning_rate(text: str) -> float:
    try:
        lr = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}") from None
    if not 0.0 < lr < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive finite number, got {text!r}")
    return lr


def _hidden(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be layer sizes separated by commas, e.g. 16,16; got {text!r}") from None
    if any(n < 1 for n in sizes):
        raise argparse.ArgumentTypeError(f"layer sizes must be positive, got {text!r}")
    return sizes


def _add_train(commands: Any, lang: str) -> None:
    from ..train.recipes import DATASETS, MAX_STEP_NODES, RECIPES

    defaults = "; ".join(f"{name}: {r.steps} steps, lr {r.lr:g}, hidden {','.join(map(str, r.hidden))}"
                         for name, r in RECIPES.items())
    train = commands.add_parser(
        "train", lang=lang, help="train a network and plot it, e.g. train moons -o moons.png",
        description="Train a network with backpropagation and write one PNG: the decision boundary and the data "
                    "(moons, spiral, xor) or test digits with their predictions (digits), beside the loss and "
                    f"accuracy curves. The last line printed is the final accuracy. Defaults: {defaults}.")
    train.add_argument("dataset", choices=DATASETS, metavar="{" + ",".join(DATASETS) + "}",
                       help="moons (micrograd's demo), spiral (DeZero's), xor, or digits (the book's TwoLayerNet)")
    train.add_argument("-o", "--output", metavar="FILE.png", help="the picture to write (default: DATASET.png)")
    train.add_argument("--steps", type=_positive_int, help="training steps (default: per data set, above)")
    train.add_argument("--lr", type=_learning_rate, help="learning rate (moons: the first step's; default above)")
    train.add_argument("--hidden", type=_hidden, metavar="16,16",
                       help="hidden layer sizes, comma-separated (digits: one size)")
    train.add_argument("--seed", type=_seed, default=0, help="seed for the data, the weights and the batches "
                                                              "(default: 0)")
    train.add_argument("--lang", choices=LANGS, default="en", help="language of the output and plot (default: en)")
    train.add_argument("--page", metavar="FILE.html",
                       help="also write a training page to watch it learn step by step (moons, spiral, xor): "
                            "one HTML file, no network needed")
    train.add_argument("--batch", action="store_true",
                       help="train through vectorize: one sample's loss traced once, run over all the points "
                            "with numpy at each step (moons, spiral; much faster; the same training, with each step's "
                            "gradient summed in another order, so the numbers can differ from the last bits on)")
    train.add_argument("--max-nodes", type=_positive_int, default=MAX_STEP_NODES, metavar="N",
                       help=f"refuse a model whose training step would hold more than N Values, estimated before "
                            f"it is built (default: {MAX_STEP_NODES:,}, about 1.5 GB)")


_TRAIN_TEXT = {
    "en": {"params": "{n} parameters", "loss": "loss: {first} → {last} after {steps} steps",
           "wrote": "wrote {path}", "accuracy": "accuracy: train {train:.1%}, test {test:.1%}"},
    "ko": {"params": "매개변수 {n}개", "loss": "손실: {first} → {last} ({steps}번 반복 후)",
           "wrote": "{path} 파일을 만들었습니다", "accuracy": "정확도: 훈련 {train:.1%}, 시험 {test:.1%}"},
}


def _loss_text(loss: float) -> str:
    """A loss as the train command prints it: four decimals in the usual range, else 4 significant digits.

    ``--lr 1e30`` makes losses of 1e30 and more, which four decimals would print with 40 digits.
    """
    if loss == 0.0 or 1e-4 <= abs(loss) < 1e5:
        return f"{loss:.4f}"
    return format_number(loss, 4)


def _is_terminal(stream: Any) -> bool:
    """True if ``stream`` is an open terminal (it is None when the shell closed it: ``>&-``)."""
    return stream is not None and stream.isatty()


def _checked_path(name: str, what: str, lang: str) -> Any:
    """``check_writable`` with its message in the user's language."""
    try:
        return check_writable(name, _MESSAGES[lang][what])
    except OutputPathError as error:
        words = _MESSAGES[lang]
        raise _CommandError(words[f"path_{error.reason}"].format(what=error.what, name=error.name,
                                                                 detail=error.detail)) from None


@contextmanager
def _ctrl_c_ends_the_step() -> Iterator[Callable[[], bool]]:
    """While the block runs, Ctrl-C asks the training loop to stop after the current step.

    The first SIGINT only sets a flag (read by the loop after each step); a
    second one raises KeyboardInterrupt as usual, for a step that takes too long.
    """
    pressed = []

    def handler(signum: int, frame: object) -> None:
        pressed.append(signum)
        signal.signal(signal.SIGINT, signal.default_int_handler)

    try:
        previous = signal.signal(signal.SIGINT, handler)
    except ValueError:  # not the main thread: Ctrl-C keeps its usual meaning
        yield lambda: False
        return
    try:
        yield lambda: bool(pressed)
    finally:
        signal.signal(signal.SIGINT, previous)


def _train(args: argparse.Namespace) -> int:
    from ..train.plots import plot_png
    from ..train.recipes import describe_plan, train

    lang = args.lang
    messages = _MESSAGES[lang]
    output = f"{args.dataset}.png" if args.output is None else args.output
    if output != "" and not output.lower().endswith(".png"):
        raise _CommandError(messages["png"].format(output=output))
    # Every output path is checked before training, which can take minutes.
    output_path = _checked_path(output, "picture", lang)
    page_path = None
    if args.page is not None:
        if args.page != "" and not args.page.lower().endswith((".html", ".htm")):
            raise _CommandError(messages["html"].format(page=args.page))
        page_path = _checked_path(args.page, "page", lang)
    # The bar goes to stderr; only when both streams are a terminal (not when output is piped or logged).
    progress = _is_terminal(sys.stdout) and _is_terminal(sys.stderr)
    words = _TRAIN_TEXT[lang]

    def header() -> None:
        # What is about to be trained, once train() has accepted the options and before the
        # (maybe long) training; flushed, so that a pipe sees it at once too.
        print(describe_plan(args.dataset, args.hidden, words["params"]), flush=True)

    options = {"steps": args.steps, "lr": args.lr, "hidden": args.hidden, "seed": args.seed, "progress": progress,
               "batch": args.batch, "max_nodes": args.max_nodes, "on_start": header}
    recording = None
    with _ctrl_c_ends_the_step() as stop:
        if page_path is not None:
            from ..pages.training import record, training_page

            recording = record(args.dataset, **options, stop=stop)
            run = recording.run
        else:
            run = train(args.dataset, **options, stop=stop)
    done = len(run.losses)
    problem = None
    if run.diverged_at is not None:
        from ..train.recipes import RECIPES

        lr, default = run.recipe.lr, RECIPES[run.dataset].lr
        problem = messages["diverged"].format(step=run.diverged_at, loss=run.diverged_loss, lr=lr,
                                              smaller=default if lr > default else lr / 10)
        kept = messages["diverged_kept"].format(done=done)
    elif run.interrupted:
        problem = messages["interrupted"].format(done=done, steps=run.recipe.steps)
        kept = messages["interrupted_kept"].format(done=done)
    exit_code = 1 if run.diverged_at is not None else 130 if run.interrupted else 0
    if done == 0:  # diverged at the first step: no curve, no model worth drawing
        print(f"{PROG}: {_WORDS[lang]['error']}: {problem}; {messages['nothing']}", file=sys.stderr)
        return exit_code
    print(words["loss"].format(first=_loss_text(run.losses[0]), last=_loss_text(run.losses[-1]), steps=done))
    accuracy = words["accuracy"].format(train=run.train_accuracy, test=run.test_accuracy)
    files = [(output_path, plot_png(run, lang=lang), messages["picture"])]
    if recording is not None and page_path is not None:
        # The page shows the same last line the command prints.
        files.append((page_path, training_page(recording, lang=lang, final_line=accuracy), messages["page"]))
    try:
        write_all(files)  # all of them or none
    except OutputPathError as error:
        raise _CommandError(messages["path_os"].format(what=error.what, name=error.name, detail=error.detail)
                            + (f" ({messages['nothing']})" if len(files) > 1 else "")) from None
    for path, _, _ in files:
        print(words["wrote"].format(path=visible_text(str(path))))
    print(accuracy)
    if problem is not None:
        print(f"{PROG}: {_WORDS[lang]['error' if exit_code == 1 else 'warning']}: {problem}; {kept}",
              file=sys.stderr)
    return exit_code


def _run(args: argparse.Namespace) -> int:
    if args.command == "train":
        return _train(args)
    lang = args.lang
    for option, given in (("-o/--output", args.output), ("--page/--steps", args.page)):
        if given == "":  # not the default name, and not "no file"
            raise _CommandError(_MESSAGES[lang]["empty"].format(option=option))
    if args.no_draw and args.output is not None:
        raise _CommandError(_MESSAGES[lang]["no_draw"])
    if args.output == "-" and sys.stdout is None:
        raise _CommandError(_MESSAGES[lang]["closed_stdout"])
    output = args.output
    if output is None and not (args.no_draw or args.explain or args.page):
        output = "apple.svg" if args.command == "demo" else "graph.svg"
    if args.command == "demo":
        root = apple_orange(lang).price
    else:
        values: dict[str, float] = {}
        spelled: dict[str, str] = {}  # each name as Python reads it (NFKC) -> as typed
        for text in args.values:
            name, number = _parse_assignment(text, lang)
            key = unicodedata.normalize("NFKC", name)  # the name as Python reads it: ｘ is x
            if key in spelled:
                raise _CommandError(_MESSAGES[lang]["twice"].format(name=name) if spelled[key] == name else
                                    _MESSAGES[lang]["same_name"].format(first=spelled[key], name=name, key=key))
            values[name], spelled[key] = number, name
        root, leaves = build(args.expr, values)
        if args.order >= 2:
            if len(leaves) != 1:
                names = ", ".join(leaves) or _MESSAGES[lang]["no_names"]
                raise _CommandError(_MESSAGES[lang]["order_names"].format(order=args.order, names=names))
            root = derivative(root, next(iter(leaves.values())), args.order)
    order = getattr(args, "order", 1)  # demo has no --order: today's drawing
    if order >= 1 and root.requires_grad:  # a constant derivative (that of x*x at order 3) has no graph to walk
        root.backward()
    options = {"lang": lang, "style": args.style, "dpi": args.dpi, "show_grad": order >= 1, "timeout": args.timeout}
    # With -o -, standard output holds the SVG alone; the text goes to standard error.
    text_out = sys.stderr if output == "-" else sys.stdout
    path = None
    if output == "-":
        svg = draw(root, "svg", **options)  # first: a failure is reported without a table before it
    elif output is not None:
        path = render(root, output, **options)
    page = (write_steps(root, args.page, lang=lang, style=args.style, timeout=args.timeout)
            if args.page else None)
    print(table(root, lang, show_grad=order >= 1), file=text_out)
    if path is not None:
        print(_WROTE[lang].format(path=visible_text(str(path)), engine=visible_text(find_engine())), file=text_out)
    if args.explain:
        print(explain(root, lang), file=text_out)
    if page is not None:
        print(_WROTE[lang].format(path=visible_text(str(page)), engine=visible_text(find_engine())), file=text_out)
    if output == "-":
        sys.stdout.flush()
        sys.stdout.buffer.write(svg)
        sys.stdout.buffer.flush()
    return 0


def _lang_of(argv: Sequence[str]) -> str:
    """The --lang asked for, read before argparse runs, so that its own errors speak that language too.

    The last one counts, as it does for argparse: ``--lang ko --lang en`` is English throughout.
    """
    args = list(argv)
    lang = "en"
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if arg == "--lang" and i + 1 < len(args) and args[i + 1] in LANGS:
            lang = args[i + 1]
        if arg.startswith("--lang=") and arg[len("--lang="):] in LANGS:
            lang = arg[len("--lang="):]
    return lang


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command with ``argv`` (default: the command line); return the exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    lang = _lang_of(argv)
    words = _WORDS[lang]
    args = _parser(lang).parse_args(argv)

    def show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                     file: object = None, line: str | None = None) -> None:
        # One line, without the source location a command-line user has no use for.
        print(f"{PROG}: {words['warning']}: {_localized(str(message), lang)}", file=sys.stderr)

    with warnings.catch_warnings():
        warnings.showwarning = show_warning
        try:
            return _run(args)
        except KeyboardInterrupt:
            # Ctrl-C outside a training step (a drawing, a plot, a page): the files being written were removed.
            print(f"{PROG}: {_MESSAGES[lang]['interrupted_now']}", file=sys.stderr)
            return 130
        except EngineTimeoutError as error:
            # The command's own words: the option here is --timeout, not timeout=.
            message = _MESSAGES[lang]["timeout"].format(program=error.program, timeout=error.timeout)
            print(f"{PROG}: {words['error']}: {message}", file=sys.stderr)
            return 2
        except (ValueError, TypeError, ArithmeticError, OSError, MissingDependencyError, EngineError,
                EngineNotFoundError) as error:
            # One line even when the message quotes an engine's multi-line stderr.
            message = "; ".join(str(error).splitlines())
            if not isinstance(error, _CommandError):
                message = _localized(message, lang)
            # Messages quote paths and input: shown as labels are, so no escape sequence reaches the terminal.
            print(f"{PROG}: {words['error']}: {visible_text(message)}", file=sys.stderr)
            return 2
    return 0
