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

__all__ = ["FUNCTIONS", "MAX_LENGTH", "MAX_PARTS", "build", "names", "parse"]

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

# What a forbidden construct is called in the error message.
_FORBIDDEN = {
    ast.Attribute: "attribute access (a.b)",
    ast.Subscript: "subscripts (a[...])",
    ast.Lambda: "lambda",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "comprehensions",
    ast.Compare: "comparisons",
    ast.BoolOp: "and/or",
    ast.IfExp: "if-else expressions",
    ast.NamedExpr: "assignment (:=)",
    ast.JoinedStr: "strings",
    ast.List: "lists",
    ast.Tuple: "tuples",
    ast.Dict: "dicts",
    ast.Set: "sets",
    ast.Starred: "* unpacking",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Slice: "slices",
}


def _refuse(node: ast.AST, what: str) -> ValueError:
    column = getattr(node, "col_offset", None)
    where = "" if column is None else f" (at column {column + 1})"
    return ValueError(f"not allowed in an expression: {what}{where}; "
                      f"use numbers, names, + - * / ** and {', '.join(FUNCTIONS)}")


def _check(node: ast.AST) -> None:
    """Raise ValueError unless ``node`` itself (not its children) is on the whitelist."""
    if isinstance(node, (ast.Expression, ast.Load, ast.Name, ast.USub, *_BINARY)):
        return
    if isinstance(node, ast.BinOp):
        if type(node.op) not in _BINARY:
            raise _refuse(node, f"the operator {type(node.op).__name__}")
        return
    if isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, ast.USub):
            raise _refuse(node, f"the unary operator {type(node.op).__name__} (only unary - is allowed)")
        return
    if isinstance(node, ast.Constant):
        if isinstance(node.value, (str, bytes)):
            raise _refuse(node, "strings")
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise _refuse(node, f"the constant {node.value!r}")
        if isinstance(node.value, float) and not math.isfinite(node.value):
            # Python reads 1e309 as inf without a word; a learner typed a number.
            raise ValueError(f"the number at column {node.col_offset + 1} is too large for a float (it would be "
                             f"inf); numbers must be finite, at most about 1.8e308")
        return
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name):
            _check(node.func)  # names the real problem, e.g. attribute access in a.b()
            raise _refuse(node, "calling something that is not a function name")
        if node.func.id not in FUNCTIONS:
            raise ValueError(f"unknown function {node.func.id!r} (at column {node.col_offset + 1}); "
                             f"the functions are {', '.join(FUNCTIONS)}")
        if node.keywords:
            raise _refuse(node, f"keyword arguments ({node.func.id}(name=...))")
        if len(node.args) != 1:
            raise ValueError(f"{node.func.id}() takes exactly one argument, got {len(node.args)} "
                             f"(at column {node.col_offset + 1})")
        return
    raise _refuse(node, _FORBIDDEN.get(type(node), type(node).__name__))


def parse(text: str) -> ast.Expression:
    """Parse ``text`` and check every node against the whitelist; return the syntax tree.

    >>> parse("relu(x) * 2").body.op.__class__.__name__
    'Mult'
    >>> parse("__import__('os').system('ls')")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: not allowed in an expression: attribute access (a.b) (at column 1); use numbers, ...
    """
    if not isinstance(text, str):
        raise TypeError(f"an expression must be a str, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ValueError(f"the expression is {len(text):,} characters long; the limit is {MAX_LENGTH:,}")
    bad = _SURROGATE.search(text)
    if bad is not None:
        raise ValueError(
            f"not a valid expression at column {bad.start() + 1}: U+{ord(bad.group()):04X} is not text "
            f"(a byte that is not UTF-8, or a lone surrogate); type the expression as UTF-8 text"
        )
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as error:
        column = f" at column {error.offset}" if error.offset else ""
        raise ValueError(f"not a valid expression{column}: {error.msg}") from None
    except (RecursionError, MemoryError):  # the parser's own nesting limit
        raise ValueError("the expression is nested too deeply") from None
    nodes = list(ast.walk(tree))  # breadth-first and iterative: safe on deep trees
    parts = sum(isinstance(node, ast.expr) for node in nodes)
    if parts > MAX_PARTS:
        raise ValueError(f"the expression has {parts:,} parts (numbers, names, operations); the limit is {MAX_PARTS:,}")
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
            raise ValueError(
                f"{spelled[key]!r} and {name!r} are the same name (equal after NFKC normalisation, as Python "
                f"compares identifiers): give {key} one value"
            )
        given[key], spelled[key] = value, name
    used = names(tree)
    missing = [name for name in used if name not in given]
    if missing:
        message = f"no value given for {', '.join(missing)}: add {missing[0]}=NUMBER"
        dot = next((ch for name in missing for ch in name if ch in _MIDDLE_DOTS), None)
        if dot is not None:
            # Python's names may hold · (U+00B7) and its kin, so x·y is one name, not x times y.
            message += f"; {dot} is a letter in a name, so {missing[0]} is one name: to multiply, write *"
        raise ValueError(message)
    unused = [name for name in given if name not in used]
    if unused:
        raise ValueError(f"{', '.join(unused)} given a value but not used in the expression")
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
