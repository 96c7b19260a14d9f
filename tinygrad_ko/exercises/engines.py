"""check_value_class: check a learner's micrograd-style Value class and name the mistake it makes.

The class is used as micrograd's is: ``cls(number)``, ``.data``, ``.grad``, ``+``, ``*`` and
``.backward()`` (which seeds the root's gradient with 1); the other ops are checked only
where the class has them.  Every check builds a fresh graph (a learner's ``backward()`` may
or may not zero the gradients) and compares with the same graph built with the project's
own :class:`tinygrad_ko.Value`, whose rules are the op table's.  A learner's code that
loops forever is out of scope: the check waits as Python would.
"""

from __future__ import annotations

import sys
from typing import Any

from .. import ops
from ..engine import Value
from ..messages import LocalizedTypeError, resolve_lang, text
from . import codes
from .numbers import close, shown, shown_pair
from .programs import DIAMOND, OP_PROGRAMS, PLAIN, REUSE, UPSTREAM, Program
from .report import Finding, Report
from .where import described, learner_files, learner_line

__all__ = ["CHAIN_DEPTH", "check_value_class"]

#: The depth of the chain that shows a recursive walk: far past Python's default limit of 1,000 calls.
CHAIN_DEPTH = 5000
# What the learner's recursion gets: the frames a script has under the interpreter's default limit.
_DEFAULT_RECURSION_LIMIT = 1000


class _Failed(Exception):
    """A check could not go on; its finding is already recorded."""


def check_value_class(cls: type, *, lang: str | None = None) -> Report:
    """Check a learner's Value class (micrograd's API) and report each mistake in the book's words.

    It checks ``+`` and ``*`` (their local derivatives, with and without a gradient from
    upstream), a node used twice (``x + x``), a graph where only a topological order gives
    the right gradients, each other op the class has (``-``, ``/``, ``**`` a number,
    ``-x``, ``relu``, ``tanh``, ``sigmoid``, ``exp``, ``log``, and ``2 * x``, ``2 + x``,
    ``2 - x``, ``2 / x`` where it has the reversed methods) and a chain 5,000 nodes deep.
    ``lang`` is the report's language: None is the session's
    (:func:`tinygrad_ko.messages.set_lang`, else ``$TINYGRAD_KO_LANG``, else English).

    >>> from tinygrad_ko import Value
    >>> print(check_value_class(Value, lang="en"))
    Value: ✓ no mistakes found
    """
    lang = resolve_lang(lang, "check_value_class")
    if not isinstance(cls, type):
        raise LocalizedTypeError("exercises.not_a_class", where="check_value_class", got=type(cls).__name__)
    run = _EngineRun(cls, lang)
    try:
        run.check()
    except Exception as error:
        # Raised where no check expected it (a property of the learner's that raises, say): theirs
        # when their file is in the traceback, else a mistake of this package, which must not be hidden.
        if learner_line(error, run.files) is None:
            raise
        run._raised(error, cls.__name__, "unexpected")
    return Report(cls.__name__, run.findings.values(), lang)


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except Exception:  # the learner's __float__ may raise anything: it is not a number then
        return None


class _EngineRun:
    def __init__(self, cls: type, lang: str) -> None:
        self.cls, self.lang = cls, lang
        self.name = cls.__name__
        self.files = learner_files(cls)
        self.findings: dict[tuple[str, str], Finding] = {}
        self._root_grad: float | None = None  # set by each _run

    def _add(self, code: str, subject: str, message: str, program: Program | None = None,
             inputs: dict[str, float] | None = None) -> None:
        if (code, subject) in self.findings:
            return
        if program is not None:
            leaves = ", ".join(f"{name} = {shown(value)}" for name, value in (inputs or program.inputs()).items())
            message += " " + text("exercises.smallest_input", self.lang,
                                  inputs=f"{leaves}; {program.expression}; {program.root}.backward()")
        self.findings[(code, subject)] = Finding.of(code, message)

    def _raised(self, error: Exception, call: str, subject: str, program: Program | None = None) -> None:
        line = learner_line(error, self.files)
        self._add(codes.EXCEPTION, subject, text("exercises.exception", self.lang, call=call, error=described(error),
                                                 where=f" ({line})" if line else ""), program)

    # -- running a program -----------------------------------------------------------

    def _run(self, program: Program, inputs: dict[str, float]) -> tuple[Any, dict[str, Any]]:
        """The learner's root's data and the checked leaves' gradients (raises _Failed after a finding)."""
        try:
            leaves = {name: self.cls(value) for name, value in inputs.items()}
            root = program.build(leaves)
        except Exception as error:
            self._raised(error, program.expression, program.op or "graph", program)
            raise _Failed from error
        data = _number(getattr(root, "data", None))
        try:
            root.backward()
        except Exception as error:
            self._raised(error, f"{program.root}.backward()", program.op or "graph", program)
            raise _Failed from error
        # What backward() left on the root itself: 1 when it seeded the pass (d root/d root).
        self._root_grad = _number(getattr(root, "grad", None))
        return data, {name: getattr(leaves[name], "grad", None) for name in program.checked}

    @staticmethod
    def _reference(program: Program, inputs: dict[str, float]) -> tuple[float, dict[str, float]]:
        leaves = {name: Value(value) for name, value in inputs.items()}
        root = program.build(leaves)
        root.backward()
        return root.data, {name: leaves[name].grad for name in program.checked}

    # -- the checks --------------------------------------------------------------------

    def check(self) -> None:
        if not self._usable():
            return
        basics_right = all([self._check_op(program) for program in PLAIN])
        if not basics_right:
            return  # every other graph is made of + and *: their findings would repeat these
        # + and * are right alone here: a wrong gradient with one more node above is upstream's or the walk's.
        upstream_right = all([self._check_op(program, order_fallback=True) for program in UPSTREAM])
        reuse_right = all([self._check_reuse(program) for program in REUSE])
        if upstream_right and reuse_right:
            self._check_order()
        if upstream_right:
            for program in OP_PROGRAMS:
                # An attribute set to None is absent, as Python reads `__hash__ = None`.
                if getattr(self.cls, program.needs, None) is not None:
                    self._check_op(program)
        self._check_depth()

    def _usable(self) -> bool:
        """Whether ``cls(2.0)`` can be made and has .data, .grad and .backward (else a finding says what is missing)."""
        call = f"{self.name}(2.0)"
        try:
            value = self.cls(2.0)
        except Exception as error:
            self._raised(error, call, "init")
            return False
        for attribute in ("data", "grad", "backward"):
            if not hasattr(value, attribute):
                self._add(codes.EXCEPTION, "init", text("exercises.missing_member", self.lang, call=call,
                                                        name=attribute))
                return False
        data = _number(value.data)
        if data is None or data != 2.0:
            self._add(codes.WRONG_FORWARD, "init", text("exercises.wrong_data", self.lang, call=call,
                                                        got=repr(value.data)))
            return False
        return True

    def _gradients(self, program: Program, grads: dict[str, Any]) -> dict[str, float] | None:
        numbers = {name: _number(grad) for name, grad in grads.items()}
        bad = [name for name, number in numbers.items() if number is None]
        if bad:
            self._add(codes.WRONG_LOCAL_DERIVATIVE, program.op, text("exercises.grad_not_a_number", self.lang,
                                                                     name=f"{bad[0]}.grad", got=repr(grads[bad[0]])),
                      program)
            return None
        return {name: float(number) for name, number in numbers.items() if number is not None}

    def _check_op(self, program: Program, order_fallback: bool = False) -> bool:
        """Check one op's forward and local derivatives; True when right.

        With ``order_fallback``, a mismatch no known variant explains is the walk's
        (``not-topological``): the op itself was right alone.
        """
        inputs = program.inputs()
        try:
            data, raw = self._run(program, inputs)
        except _Failed:
            return False
        right_data, right = self._reference(program, inputs)
        op_name = text(f"explain.op.{program.op}", self.lang)
        if data is None or not close(data, right_data, abs(right_data)):
            got_data, right_shown = shown_pair(data, right_data) if data is not None else ("?", shown(right_data))
            self._add(codes.WRONG_FORWARD, program.op,
                      text("exercises.engine_wrong_forward", self.lang, op=op_name, got=got_data,
                           expected=right_shown), program)
            return False  # the gradient of another function cannot be judged
        got = self._gradients(program, raw)
        if got is None:
            return False
        wrong = [name for name in program.checked if not close(got[name], right[name], abs(right[name]))]
        if not wrong:
            return True
        shown_got, shown_right = self._pairs(got, right, wrong)
        code, key = self._diagnosis(program, inputs, got, right, wrong)
        if order_fallback and key == "exercises.wrong_local_derivative":
            self._add(codes.NOT_TOPOLOGICAL, "order", text("exercises.not_topological", self.lang, got=shown_got,
                                                           expected=shown_right), program)
            return False
        op = ops.OPS[program.op]
        formula = " · ".join(op.local_formula) if program.op not in ("add", "sub", "mul", "div") else \
            ", ".join(f"∂out/∂{n} = {f}" for n, f in zip(("x", "y"), op.local_formula, strict=False))
        # A missing seed is one mistake, whichever op shows it first: one finding, not one per op.
        subject = "seed" if key == "exercises.engine_missing_seed" else program.op
        self._add(code, subject, text(key, self.lang, op=op_name, got=shown_got, expected=shown_right,
                                      formula=formula, names=", ".join(wrong), root=program.root), program)
        return False

    def _diagnosis(self, program: Program, inputs: dict[str, float], got: dict[str, float],
                   right: dict[str, float], wrong: list[str]) -> tuple[str, str]:
        """The code and message id of the mistake the wrong gradients match."""
        def matches(variant: dict[str, float]) -> bool:
            return all(not close(variant[n], right[n], abs(right[n])) or close(got[n], right[n], abs(right[n]))
                       for n in wrong) and all(close(got[n], variant[n], abs(variant[n])) for n in wrong)

        if self._root_grad == 0.0 and all(got[n] == 0.0 for n in wrong):
            # Every gradient 0 and the root's too: backward() never set the root's gradient to 1,
            # so every product of the chain rule started from 0.
            return codes.MISSING_UPSTREAM, "exercises.engine_missing_seed"
        if "g" in inputs and matches(self._reference(program, program.inputs(g=1.0))[1]):
            return codes.MISSING_UPSTREAM, "exercises.engine_missing_upstream"
        if program.op == "mul" and "y" in inputs:
            swapped = self._reference(program, program.inputs(x=inputs["y"], y=inputs["x"]))[1]
            if matches(swapped):
                return codes.SWAPPED_INPUTS, "exercises.engine_swapped_inputs"
        if program.op == "sigmoid":
            x = inputs["x"]
            if matches({"x": inputs["g"] * x * (1.0 - x)}):
                return codes.SIGMOID_DERIVATIVE_OF_INPUT, "exercises.engine_sigmoid_of_input"
        if matches({n: -value for n, value in right.items()}):
            return codes.WRONG_LOCAL_DERIVATIVE, "exercises.engine_wrong_sign"
        return codes.WRONG_LOCAL_DERIVATIVE, "exercises.wrong_local_derivative"

    @staticmethod
    def _pairs(got: dict[str, float], right: dict[str, float], names: list[str]) -> tuple[str, str]:
        pairs = [shown_pair(got[n], right[n]) for n in names]
        return (", ".join(f"{n}.grad = {g}" for n, (g, _) in zip(names, pairs, strict=True)),
                ", ".join(f"{n}.grad = {r}" for n, (_, r) in zip(names, pairs, strict=True)))

    def _check_reuse(self, program: Program) -> bool:
        inputs = program.inputs()
        try:
            _, raw = self._run(program, inputs)
        except _Failed:
            return False
        got = self._gradients(program, raw)
        if got is None:
            return False
        _, right = self._reference(program, inputs)
        if close(got["x"], right["x"], abs(right["x"])):
            return True
        shown_got, shown_right = self._pairs(got, right, ["x"])
        if close(got["x"], right["x"] / 2.0, abs(right["x"])):  # one use's gradient overwrote the other's
            self._add(codes.REUSE_NOT_ACCUMULATED, "reuse", text("exercises.reuse_not_accumulated", self.lang,
                                                                 got=shown_got, expected=shown_right), program)
        else:
            self._add(codes.WRONG_LOCAL_DERIVATIVE, program.op,
                      text("exercises.wrong_local_derivative", self.lang, op=text(f"explain.op.{program.op}",
                                                                                   self.lang),
                           got=shown_got, expected=shown_right, formula="x + x: 2, x * x: 2·x", names="x"), program)
        return False

    def _check_order(self) -> None:
        inputs = DIAMOND.inputs()
        try:
            _, raw = self._run(DIAMOND, inputs)
        except _Failed:
            return
        got = self._gradients(DIAMOND, raw)
        if got is None:
            return
        _, right = self._reference(DIAMOND, inputs)
        wrong = [n for n in DIAMOND.checked if not close(got[n], right[n], abs(right[n]))]
        if wrong:
            shown_got, shown_right = self._pairs(got, right, wrong)
            self._add(codes.NOT_TOPOLOGICAL, "order", text("exercises.not_topological", self.lang, got=shown_got,
                                                           expected=shown_right), DIAMOND)

    def _check_depth(self) -> None:
        """A chain CHAIN_DEPTH deep under the default recursion limit: a recursive walk raises RecursionError."""
        try:
            root = self.cls(0.5)
            for _ in range(CHAIN_DEPTH):
                root = root + self.cls(0.25)
        except Exception as error:
            self._raised(error, f"x + c₁ + ... + c_{CHAIN_DEPTH}", "chain")
            return
        depth, frame = 0, sys._getframe()
        while frame.f_back is not None:
            depth, frame = depth + 1, frame.f_back
        old_limit = sys.getrecursionlimit()
        sys.setrecursionlimit(depth + _DEFAULT_RECURSION_LIMIT)
        try:
            root.backward()
        except RecursionError:
            self._add(codes.RECURSION_LIMIT, "chain", text("exercises.recursion_limit", self.lang,
                                                           depth=CHAIN_DEPTH, limit=_DEFAULT_RECURSION_LIMIT))
        except Exception as error:
            self._raised(error, f"x + c₁ + ... + c_{CHAIN_DEPTH}; z.backward()", "chain")
        finally:
            sys.setrecursionlimit(old_limit)
