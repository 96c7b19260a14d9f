"""Arithmetic expressions typed by a person, turned into a graph of Values.

The text is parsed with :mod:`ast` and checked against a whitelist: numbers,
names, ``+ - * / **``, unary ``-`` and calls of ``relu``, ``sigmoid``, ``tanh``,
``exp`` and ``log`` with one argument.  Anything else (attribute access,
subscripts, lambdas, comprehensions, keyword arguments, strings, unknown
functions) is a ValueError naming what was found.  Nothing is ever passed to
``eval`` or ``exec``: the checked tree is walked here and each node becomes a
Value operation.  A number in the text is a constant (``requires_grad ==
False``), as a number operand is in Python: ``build("x**2", ...)`` makes the
graph ``x ** 2`` makes.

>>> price, leaves = build("(사과*사과_개수 + 귤*귤_개수)*소비세",
...                       {"사과": 100, "사과_개수": 2, "귤": 150, "귤_개수": 3, "소비세": 1.1})
>>> price.data, sorted(leaves)
(715.0000000000001, ['귤', '귤_개수', '사과', '사과_개수', '소비세'])
"""

from __future__ import annotations

import ast
import math
import re
import unicodedata
from collections.abc import Mapping

from .engine import Value
from .messages import LocalizedTypeError, LocalizedValueError

__all__ = ["FUNCTIONS", "MAX_LENGTH", "MAX_PARTS", "build", "names", "parse", "parse_assignment"]

#: The functions an expression may call, each with one argument.
FUNCTIONS = ("relu", "sigmoid", "tanh", "exp", "log")

#: Longest expression accepted, in characters.
MAX_LENGTH = 1_000

#: Most parts accepted: numbers, names, operations and calls, each counted once.
MAX_PARTS = 500

# Lone surrogates: what Python makes of bytes that are not UTF-8 on a command line
# (surrogateescape), which no parser or encoder accepts.
_SURROGATE = re.compile("[\ud800-\udfff]")
# Middle dots a learner writes for multiplication that Python reads as letters of a name
# (U+00B7 MIDDLE DOT, U+0387 GREEK ANO TELEIA, U+30FB KATAKANA MIDDLE DOT, U+FF65 its halfwidth form).
_MIDDLE_DOTS = frozenset("\u00b7\u0387\u30fb\uff65")

_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}

# What a forbidden construct is called in the error message: its id in the catalogs' [expr.what].
_FORBIDDEN = {
    ast.Attribute: "expr.what.attribute",
    ast.Subscript: "expr.what.subscript",
    ast.Lambda: "expr.what.lambda",
    ast.ListComp: "expr.what.comprehension",
    ast.SetComp: "expr.what.comprehension",
    ast.DictComp: "expr.what.comprehension",
    ast.GeneratorExp: "expr.what.comprehension",
    ast.Compare: "expr.what.comparison",
    ast.BoolOp: "expr.what.and_or",
    ast.IfExp: "expr.what.if_else",
    ast.NamedExpr: "expr.what.walrus",
    ast.JoinedStr: "expr.what.string",
    ast.List: "expr.what.list",
    ast.Tuple: "expr.what.tuple",
    ast.Dict: "expr.what.dict",
    ast.Set: "expr.what.set",
    ast.Starred: "expr.what.unpacking",
    ast.Await: "expr.what.await",
    ast.Yield: "expr.what.yield",
    ast.YieldFrom: "expr.what.yield",
    ast.Slice: "expr.what.slice",
}

# A number written right before a name ("2x"): Python's parser says "invalid decimal literal".
_NUMBER_THEN_NAME = re.compile(r"(?<![\w.])(\d+(?:\.\d*)?)([^\W\d]\w*)")


def _refuse(node: ast.AST, what: LocalizedValueError) -> ValueError:
    """The error for a construct off the whitelist; ``what`` names it (a phrase, shown in the reader's language)."""
    column = getattr(node, "col_offset", None)
    functions = ", ".join(FUNCTIONS)
    if column is None:
        return LocalizedValueError("expr.refused_nowhere", what=what, functions=functions)
    return LocalizedValueError("expr.refused", what=what, column=column + 1, functions=functions)


def _check(node: ast.AST) -> None:
    """Raise ValueError unless ``node`` itself (not its children) is on the whitelist."""
    if isinstance(node, (ast.Expression, ast.Load, ast.Name, ast.USub, *_BINARY)):
        return
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.BitXor):
            # x^2: a learner's power, which Python reads as exclusive or.
            raise LocalizedValueError("expr.caret", column=node.col_offset + 1)
        if type(node.op) not in _BINARY:
            raise _refuse(node, LocalizedValueError("expr.what.operator", name=type(node.op).__name__))
        return
    if isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, ast.USub):
            raise _refuse(node, LocalizedValueError("expr.what.unary", name=type(node.op).__name__))
        return
    if isinstance(node, ast.Constant):
        if isinstance(node.value, (str, bytes)):
            raise _refuse(node, LocalizedValueError("expr.what.string"))
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise _refuse(node, LocalizedValueError("expr.what.constant", value=node.value))
        if isinstance(node.value, float) and not math.isfinite(node.value):
            # Python reads 1e309 as inf without a word; a learner typed a number.
            raise LocalizedValueError("expr.too_large", column=node.col_offset + 1)
        return
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name):
            _check(node.func)  # names the real problem, e.g. attribute access in a.b()
            raise _refuse(node, LocalizedValueError("expr.what.call"))
        if node.func.id not in FUNCTIONS:
            raise LocalizedValueError("expr.unknown_function", name=node.func.id, column=node.col_offset + 1,
                                      functions=", ".join(FUNCTIONS))
        if node.keywords:
            raise _refuse(node, LocalizedValueError("expr.what.keyword", name=node.func.id))
        if len(node.args) != 1:
            raise LocalizedValueError("expr.arguments", name=node.func.id, count=len(node.args),
                                      column=node.col_offset + 1)
        return
    key = _FORBIDDEN.get(type(node))
    raise _refuse(node, LocalizedValueError(key) if key else
                  LocalizedValueError("expr.what.other", name=type(node).__name__))


def parse(text: str) -> ast.Expression:
    """Parse ``text`` and check every node against the whitelist; return the syntax tree.

    >>> parse("relu(x) * 2").body.op.__class__.__name__
    'Mult'
    >>> parse("__import__('os').system('ls')")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tinygrad_ko...Error: not allowed in an expression: attribute access (a.b) (at column 1); use numbers, ...
    """
    if not isinstance(text, str):
        raise LocalizedTypeError("expr.not_text", type=type(text).__name__)
    if len(text) > MAX_LENGTH:
        raise LocalizedValueError("expr.too_long", length=f"{len(text):,}", limit=f"{MAX_LENGTH:,}")
    bad = _SURROGATE.search(text)
    if bad is not None:
        raise LocalizedValueError("expr.surrogate", column=bad.start() + 1, code=f"U+{ord(bad.group()):04X}")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as error:
        glued = _NUMBER_THEN_NAME.search(text)
        if glued is not None and error.msg == "invalid decimal literal":
            # 2x: a learner's product, which Python reads as a broken number.
            raise LocalizedValueError("expr.number_then_name", column=glued.start() + 1, number=glued.group(1),
                                      name=glued.group(2)) from None
        if error.offset:
            raise LocalizedValueError("expr.syntax", column=error.offset, why=error.msg) from None
        raise LocalizedValueError("expr.syntax_nowhere", why=error.msg) from None
    except (RecursionError, MemoryError):  # the parser's own nesting limit
        raise LocalizedValueError("expr.nested") from None
    nodes = list(ast.walk(tree))  # breadth-first and iterative: safe on deep trees
    parts = sum(isinstance(node, ast.expr) for node in nodes)
    if parts > MAX_PARTS:
        raise LocalizedValueError("expr.too_many_parts", parts=f"{parts:,}", limit=f"{MAX_PARTS:,}")
    for node in nodes:
        _check(node)
    return tree


def names(tree: ast.Expression) -> list[str]:
    """The variable names ``tree`` uses, each once, in order of first appearance.

    >>> names(parse("x * y + exp(x)"))
    ['x', 'y']
    """
    calls = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    found = [node for node in ast.walk(tree) if isinstance(node, ast.Name) and id(node) not in calls]
    found.sort(key=lambda node: (node.lineno, node.col_offset))
    return list(dict.fromkeys(node.id for node in found))


def _children(node: ast.expr) -> tuple[ast.expr, ...]:
    if isinstance(node, ast.BinOp):
        return (node.left, node.right)
    if isinstance(node, ast.UnaryOp):
        return (node.operand,)
    if isinstance(node, ast.Call):
        return (node.args[0],)
    return ()


def _combine(node: ast.expr, args: list[Value], leaves: Mapping[str, Value]) -> Value:
    if isinstance(node, ast.BinOp):
        a, b = args
        op = type(node.op)
        if op is ast.Add:
            return a + b
        if op is ast.Sub:
            return a - b
        if op is ast.Mult:
            return a * b
        if op is ast.Div:
            return a / b
        return a**b
    if isinstance(node, ast.UnaryOp):
        return -args[0]
    if isinstance(node, ast.Call):
        method = getattr(args[0], node.func.id)  # type: ignore[attr-defined]
        result: Value = method()
        return result
    if isinstance(node, ast.Name):
        return leaves[node.id]
    # A number is a constant, exactly as a number operand is in Python (``x ** 2``):
    # no gradient, no local derivative toward it, no box to edit on the step page.
    return Value(node.value, requires_grad=False)  # type: ignore[attr-defined]


def build(text: str, values: Mapping[str, float]) -> tuple[Value, dict[str, Value]]:
    """Parse ``text`` and compute it on Values: return the output and the leaf Value of each name.

    ``values`` must give a number for every name in the expression and no
    other names (a typo would otherwise go unnoticed).  Names are compared
    after NFKC normalisation, as Python itself compares identifiers.
    """
    tree = parse(text)
    given: dict[str, float] = {}
    spelled: dict[str, str] = {}
    for name, value in values.items():
        key = unicodedata.normalize("NFKC", name)
        if key in given:
            raise LocalizedValueError("expr.same_name", first=spelled[key], name=name, key=key)
        given[key], spelled[key] = value, name
    used = names(tree)
    missing = [name for name in used if name not in given]
    if missing:
        dot = next((ch for name in missing for ch in name if ch in _MIDDLE_DOTS), None)
        if dot is not None:
            # Python's names may hold · (U+00B7) and its kin, so x·y is one name, not x times y.
            raise LocalizedValueError("expr.missing_dot", names=", ".join(missing), first=missing[0], dot=dot)
        raise LocalizedValueError("expr.missing", names=", ".join(missing), first=missing[0])
    unused = [name for name in given if name not in used]
    if unused:
        raise LocalizedValueError("expr.unused", names=", ".join(unused))
    leaves = {name: Value(given[name], label=name) for name in used}
    # Post-order walk with an explicit stack: each node's inputs are computed first.
    done: dict[int, Value] = {}
    stack: list[tuple[ast.expr, bool]] = [(tree.body, False)]
    while stack:
        node, ready = stack.pop()
        children = _children(node)
        if not ready:
            stack.append((node, True))
            stack.extend((child, False) for child in children)
            continue
        done[id(node)] = _combine(node, [done[id(child)] for child in children], leaves)
    return done[id(tree.body)], leaves


# A digit other than 0 in a number's mantissa (hex floats are not read by float()).
_NONZERO_DIGIT = re.compile("[1-9]")


def parse_assignment(text: str) -> tuple[str, float]:
    """Read one ``NAME=VALUE`` of the command line: the name and its number.

    The number must be finite and must not underflow to 0.0 (``1e-400``): a value the
    user wrote as not zero never becomes zero unannounced.  Every mistake is a
    :class:`~tinygrad_ko.messages.LocalizedValueError`.

    >>> parse_assignment("사과=100")
    ('사과', 100.0)
    >>> parse_assignment("x")
    Traceback (most recent call last):
    ...
    tinygrad_ko.messages.errors.LocalizedValueError: 'x' is not NAME=VALUE (e.g. x=3 or 사과=100)
    """
    name, sep, number = text.partition("=")
    name = name.strip()
    if not sep or not name.isidentifier():
        raise LocalizedValueError("expr.assignment", text=text)
    try:
        value = float(number)
    except ValueError:
        raise LocalizedValueError("expr.number", name=name, number=number) from None
    if not math.isfinite(value):
        # float() reads "nan", "inf" and 1e999 (as inf) without a word.
        raise LocalizedValueError("expr.not_finite", name=name, number=number)
    if value == 0.0 and _NONZERO_DIGIT.search(number.strip().lower().partition("e")[0]):
        # ... and 1e-400 as 0.0: a number the user wrote as not zero must not become zero unannounced.
        raise LocalizedValueError("expr.underflow", name=name, number=number.strip())
    return name, value
