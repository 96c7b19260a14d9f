"""Value: the book's numbers, every op, accumulation, no_grad, input checks."""

from __future__ import annotations

import asyncio
import contextvars
import copy
import gc
import math
import pickle
import re
import sys
import threading
import weakref
from fractions import Fraction
from typing import Any

import numpy as np
import pytest

from tinygrad_ko import Value, is_grad_enabled, no_grad, ops, reachable, topological_order

# --- the chapter's examples, exactly as IEEE doubles compute them -----------------
# Exact equality is right here: the operations are deterministic IEEE-754 double
# arithmetic in a fixed order, so any deviation is a change in what we compute.


def test_apple_orange_example_gives_the_books_numbers() -> None:
    apple, n = Value(100, label="apple"), Value(2, label="n")
    orange, m, tax = Value(150, label="orange"), Value(3, label="m"), Value(1.1, label="tax")
    total = (apple * n + orange * m) * tax
    total.backward()
    assert total.data == 715.0000000000001
    assert apple.grad == 2.2
    assert n.grad == 110.00000000000001
    assert orange.grad == 3.3000000000000003
    assert m.grad == 165.0
    assert tax.grad == 650.0


def test_apples_only_example_gives_the_books_numbers() -> None:
    apple, n, tax = Value(100), Value(2), Value(1.1)
    price = apple * n * tax
    price.backward()
    assert price.data == 220.00000000000003
    assert tax.grad == 200.0
    assert apple.grad == 2.2
    assert n.grad == 110.00000000000001


def test_hangul_identifiers_and_labels_work() -> None:
    사과, 사과_개수, 소비세 = Value(100, label="사과"), Value(2, label="사과 개수"), Value(1.1, label="소비세")
    지불_금액 = 사과 * 사과_개수 * 소비세
    지불_금액.backward()
    assert 사과.label == "사과"
    assert 소비세.grad == 200.0


# --- attributes -----------------------------------------------------------------


def test_new_value_holds_a_python_float_and_zero_grad() -> None:
    v = Value(3)
    assert type(v.data) is float and v.data == 3.0
    assert type(v.grad) is float and v.grad == 0.0
    assert v.label == "" and v.op == "" and v.parents == ()


@pytest.mark.parametrize(
    "number",
    [np.float64(2.5), np.float32(2.5), np.int64(2), np.int8(-3), np.uint16(7), np.array(2.5), np.array(4),
     Fraction(5, 2), 2, -0.0, math.inf, math.nan],
)
def test_real_numbers_are_stored_as_python_floats(number: object) -> None:
    v = Value(number)  # type: ignore[arg-type]
    assert type(v.data) is float
    expected = float(number)  # type: ignore[arg-type]
    assert v.data == expected or (math.isnan(expected) and math.isnan(v.data))


def test_parents_are_in_argument_order_and_keep_repeats() -> None:
    a, b = Value(1.0), Value(2.0)
    assert (a * b).parents == (a, b)
    assert (b * a).parents == (b, a)
    assert (a * a).parents == (a, a)
    assert a.relu().parents == (a,)


def test_reflected_operators_put_the_number_first() -> None:
    x = Value(4.0)
    cases = {"add": 2 + x, "sub": 1 - x, "mul": 2 * x, "div": 2 / x, "pow": 2**x}
    assert [c.data for c in cases.values()] == [6.0, -3.0, 8.0, 0.5, 16.0]
    for op, node in cases.items():
        assert node.op == op
        first, second = node.parents
        assert second is x and first.op == "" and first.data in (1.0, 2.0)


def test_float_repr_hash_and_identity_equality() -> None:
    a = Value(2.5, label="a")
    b = Value(2.5, label="a")
    assert float(a) == 2.5
    assert repr(a) == "Value(data=2.5, grad=0.0, label='a', op='')"
    assert repr(a * b) == "Value(data=6.25, grad=0.0, label='', op='mul')"
    assert a != b and a == a  # identity: == is not overloaded
    assert len({a, b, a}) == 2


# --- each op: value and gradient ------------------------------------------------------
# Gradients of the elementary ops are compared exactly where the rule is one
# multiplication of exactly representable numbers, otherwise with math.isclose at
# rel_tol=1e-15 (a few ulps: the rule and the test compute the same formula, at most
# in a different order).


def grads(f, *xs: float) -> tuple[float, list[float]]:  # type: ignore[no-untyped-def]
    vs = [Value(x) for x in xs]
    out = f(*vs)
    out.backward()
    return out.data, [v.grad for v in vs]


def test_add_sub_mul_div_values_and_gradients() -> None:
    assert grads(lambda x, y: x + y, 3.0, 4.0) == (7.0, [1.0, 1.0])
    assert grads(lambda x, y: x - y, 3.0, 4.0) == (-1.0, [1.0, -1.0])
    assert grads(lambda x, y: x * y, 3.0, 4.0) == (12.0, [4.0, 3.0])
    out, (dx, dy) = grads(lambda x, y: x / y, 3.0, 4.0)
    assert out == 0.75 and dx == 0.25 and dy == -3.0 / 16.0
    assert grads(lambda x: -x, 3.0) == (-3.0, [-1.0])


def test_pow_with_value_exponent_differentiates_both_sides() -> None:
    out, (dx, dy) = grads(lambda x, y: x**y, 2.0, 3.0)
    assert out == 8.0
    assert dx == 12.0
    assert math.isclose(dy, 8.0 * math.log(2.0), rel_tol=1e-15)


def test_pow_with_number_exponent() -> None:
    out, (dx,) = grads(lambda x: x**2, -3.0)
    assert out == 9.0 and dx == -6.0
    out, (dx,) = grads(lambda x: x**0.5, 4.0)
    assert out == 2.0 and dx == 0.25
    out, (dx,) = grads(lambda x: x**0, 0.0)  # d/dx of the constant 1 is 0, even at 0
    assert out == 1.0 and dx == 0.0


def test_number_base_to_value_power() -> None:
    out, (dx,) = grads(lambda x: 2**x, 3.0)
    assert out == 8.0
    assert math.isclose(dx, 8.0 * math.log(2.0), rel_tol=1e-15)


def test_unary_ops_values_and_gradients() -> None:
    assert grads(lambda x: x.relu(), 3.0) == (3.0, [1.0])
    assert grads(lambda x: x.relu(), -3.0) == (0.0, [0.0])
    out, (d,) = grads(lambda x: x.exp(), 1.5)
    assert out == math.exp(1.5) and d == math.exp(1.5)
    out, (d,) = grads(lambda x: x.log(), 4.0)
    assert out == math.log(4.0) and d == 0.25
    out, (d,) = grads(lambda x: x.tanh(), 0.5)
    assert out == math.tanh(0.5) and math.isclose(d, 1 - math.tanh(0.5) ** 2, rel_tol=1e-15)
    out, (d,) = grads(lambda x: x.sigmoid(), 0.5)
    s = 1 / (1 + math.exp(-0.5))
    assert math.isclose(out, s, rel_tol=1e-15) and math.isclose(d, s * (1 - s), rel_tol=1e-15)


def test_relu_derivative_at_zero_is_zero_as_in_pytorch_and_jax() -> None:
    assert grads(lambda x: x.relu(), 0.0) == (0.0, [0.0])
    assert grads(lambda x: x.relu(), -0.0) == (0.0, [0.0])


def test_sigmoid_and_tanh_never_overflow() -> None:
    assert grads(lambda x: x.sigmoid(), 1000.0) == (1.0, [0.0])
    assert grads(lambda x: x.sigmoid(), -1000.0) == (0.0, [0.0])
    assert grads(lambda x: x.tanh(), 1000.0) == (1.0, [0.0])
    assert grads(lambda x: x.tanh(), -1000.0) == (-1.0, [0.0])
    # Far from saturation the negative branch is still accurate.
    out, (d,) = grads(lambda x: x.sigmoid(), -30.0)
    assert math.isclose(out, math.exp(-30.0) / (1 + math.exp(-30.0)), rel_tol=1e-15)
    assert d > 0.0


def test_nan_and_inf_propagate_without_exceptions() -> None:
    x, y = Value(math.nan), Value(2.0)
    z = (x * y + y).relu()
    z.backward()
    assert math.isnan(z.data)
    assert math.isnan(y.grad)  # d/dy (x*y + y) = x + 1 = nan
    big = Value(1e308) * Value(10.0)
    assert big.data == math.inf
    assert (Value(math.inf) - Value(math.inf)).data != (Value(math.inf) - Value(math.inf)).data


# --- backward(): ordering, reuse, accumulation, seeds, depth ------------------------


def test_reused_node_accumulates_gradient() -> None:
    x = Value(3.0)
    (x * x).backward()
    assert x.grad == 6.0


def test_diamond_graph_sums_both_paths() -> None:
    a = Value(3.0)
    b = a + 1
    c = 2 * a
    d = b * c
    d.backward()
    # d = (a+1) * 2a  ->  dd/da = 2a + 2(a+1) = 4a + 2 = 14
    assert d.data == 24.0
    assert a.grad == 14.0
    assert b.grad == 6.0 and c.grad == 4.0


def test_each_node_is_visited_once_in_a_heavily_shared_graph() -> None:
    # y_{k+1} = y_k + y_k doubles; 60 levels of sharing would take 2**60 visits
    # if a node were handled once per path.
    x = Value(1.0)
    y = x
    for _ in range(60):
        y = y + y
    y.backward()
    assert y.data == 2.0**60 and x.grad == 2.0**60


def test_gradients_accumulate_across_backward_calls() -> None:
    x = Value(2.0)
    y = x * 3
    y.backward()
    y.backward()
    assert x.grad == 6.0
    assert y.grad == 2.0


def test_second_backward_adds_the_same_gradients_again_on_a_diamond() -> None:
    a = Value(3.0)
    d = (a + 1) * (2 * a)
    d.backward()
    first = a.grad
    d.backward()
    assert first == 14.0 and a.grad == 2 * first


def test_shared_parameter_sums_gradients_from_two_graphs() -> None:
    w = Value(2.0)
    y1 = w * 3.0
    y2 = w * w
    y1.backward()
    y2.backward()
    assert w.grad == 3.0 + 4.0


def test_zero_grad_clears_every_node_it_depends_on() -> None:
    x, w = Value(2.0), Value(3.0)
    h = x * w
    y = h.relu()
    y.backward()
    y.zero_grad()
    assert [n.grad for n in (x, w, h, y)] == [0.0] * 4
    y.backward()
    assert x.grad == 3.0


def test_backward_with_seed_gradient_scales_linearly() -> None:
    x = Value(2.0)
    y = x * x
    y.backward(grad=0.5)
    assert y.grad == 0.5 and x.grad == 2.0


def test_backward_on_a_leaf_sets_its_gradient() -> None:
    x = Value(5.0)
    x.backward()
    assert x.grad == 1.0


def test_million_node_chain_at_default_recursion_limit() -> None:
    import sys

    assert sys.getrecursionlimit() <= 10_000  # the test means nothing with a raised limit
    x = Value(1.0)
    y = x
    for _ in range(1_000_000):
        y = y + 1.0
    y.backward()
    assert y.data == 1_000_001.0
    assert x.grad == 1.0


# --- no_grad -----------------------------------------------------------------------------


def test_no_grad_records_no_parents_and_nests() -> None:
    x = Value(3.0)
    assert is_grad_enabled()
    with no_grad():
        y = x * 2
        with no_grad():
            z = y.exp()
        w = -y
        assert not is_grad_enabled()
    assert is_grad_enabled()
    for node in (y, z, w):
        assert node.parents == () and node.op == ""
    assert y.data == 6.0 and w.data == -6.0
    after = x * 2
    assert after.parents[0] is x


def test_no_grad_is_not_seen_by_another_thread() -> None:
    seen: list[tuple[bool, int]] = []
    inside = threading.Event()
    release = threading.Event()

    def worker() -> None:
        inside.wait()
        v = Value(1.0) * 2
        seen.append((is_grad_enabled(), len(v.parents)))
        release.set()

    t = threading.Thread(target=worker)
    t.start()
    with no_grad():
        inside.set()
        release.wait(timeout=10)
    t.join()
    assert seen == [(True, 2)]


def test_no_grad_is_restored_after_an_exception() -> None:
    with pytest.raises(ZeroDivisionError), no_grad():
        Value(1.0) / 0
    assert is_grad_enabled()
    assert len((Value(1.0) * 2).parents) == 2


# --- memory: no reference cycles ------------------------------------------------------


def test_graph_is_freed_by_reference_counting_alone() -> None:
    gc.collect()
    gc.disable()
    try:
        x = Value(2.0)
        intermediates = []
        y = x
        for _ in range(50):
            y = (y * 1.5 + 1.0).tanh().relu()
            intermediates.append(weakref.ref(y))
        y.backward()
        refs = [*intermediates]
        del y, intermediates
        assert all(r() is None for r in refs), "a node survived: something holds a reference cycle"
        assert x.grad != 0.0
    finally:
        gc.enable()


# --- numpy interop --------------------------------------------------------------------


def test_numpy_scalar_on_either_side_gives_a_value_holding_a_python_float() -> None:
    for product in (np.float64(2) * Value(3), Value(3) * np.float64(2),
                    np.float32(2) * Value(3), Value(3) * np.int64(2)):
        assert isinstance(product, Value)
        assert type(product.data) is float and product.data == 6.0


def test_numpy_array_times_value_is_an_object_array_of_values() -> None:
    v = Value(3.0)
    for product in (np.array([1.0, 2.0]) * v, v * np.array([1.0, 2.0])):
        assert isinstance(product, np.ndarray) and product.dtype == object and product.shape == (2,)
        assert all(isinstance(p, Value) for p in product)
        assert [p.data for p in product] == [3.0, 6.0]
    total = np.sum(np.array([1.0, 2.0]) * v)
    assert isinstance(total, Value)
    total.backward()
    assert v.grad == 3.0


# --- bad input: the type and the message --------------------------------------------


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        ("3", ["str", "float('3')"]),
        (None, ["None"]),
        (True, ["bool", "1.0"]),
        (np.True_, ["bool"]),
        ([1.0], ["list", "one Value per element"]),
        (1 + 2j, ["complex", "real part"]),
        (np.array([1.0, 2.0]), ["shape (2,)", "one Value per element"]),
        (b"3", ["bytes"]),
    ],
)
def test_value_rejects_what_is_not_a_real_number(bad: object, words: list[str]) -> None:
    with pytest.raises(TypeError, match=r"^Value\(\) needs a real number, got ") as err:
        Value(bad)  # type: ignore[arg-type]
    for word in words:
        assert word in str(err.value)


def test_value_rejects_an_int_too_large_for_a_float() -> None:
    with pytest.raises(ValueError, match=r"too large for a float") as err:
        Value(10**400)
    assert "(401 digits)" in str(err.value)


def test_label_must_be_a_string() -> None:
    with pytest.raises(TypeError, match=r"label=.*must be a str, got 3 \(int\)"):
        Value(1.0, label=3)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("make", "pattern"),
    [
        (lambda x: x + "a", r"Value \+ \.\.\. needs a real number, got 'a' \(str\)"),
        (lambda x: "a" * x, r"Value \* \.\.\. needs a real number, got 'a' \(str\)"),
        (lambda x: x * None, r"Value \* \.\.\. needs a real number, got None \(NoneType\)"),
        (lambda x: x ** "2", r"Value \*\* \.\.\. needs a real number, got '2' \(str\): .*float\('2'\)"),
        (lambda x: x - True, r"got True \(bool\)"),
    ],
)
def test_operators_reject_non_numbers_with_a_named_type(make, pattern: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TypeError, match=pattern):
        make(Value(2.0))


def test_wrong_argument_counts_name_the_value_method() -> None:
    with pytest.raises(TypeError, match=r"^Value\.__pow__\(\) takes 2 positional arguments but 3 were given"):
        pow(Value(2.0), 2, 5)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match=r"^Value\.relu\(\) takes 1 positional argument but 2 were given"):
        Value(2.0).relu(3)  # type: ignore[call-arg]
    assert Value.__neg__.__name__ == "__neg__"


def test_unknown_types_get_pythons_unsupported_operand_error() -> None:
    with pytest.raises(TypeError, match=r"unsupported operand type\(s\) for \*: 'Value' and 'object'"):
        Value(2.0) * object()  # type: ignore[operator]


@pytest.mark.parametrize(
    ("make", "error", "pattern"),
    [
        (lambda: Value(0).log(), ValueError, r"^log: input must be greater than 0, got 0\.0"),
        (lambda: Value(-1).log(), ValueError, r"^log: input must be greater than 0, got -1\.0"),
        (lambda: 1 / Value(0), ZeroDivisionError, r"^div: cannot divide 1\.0 by zero"),
        (lambda: Value(0) ** -1, ZeroDivisionError, r"^pow: 0\.0 cannot be raised to a negative power"),
        (lambda: Value(-8) ** (1 / 3), ValueError, r"^pow: a negative base to a fractional power .*x = -8\.0"),
        (lambda: Value(1000).exp(), OverflowError, r"^exp: result too large for a float .*x = 1000\.0"),
        (lambda: Value(10.0) ** 400, OverflowError, r"^pow: result too large for a float"),
    ],
)
def test_out_of_domain_ops_raise_pythons_error_type_naming_op_and_operand(make, error, pattern) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=pattern):
        make()


def test_a_failed_op_leaves_no_half_built_node_behind() -> None:
    gc.collect()
    # type(), not isinstance(): isinstance reads __class__, which warns on torch's deprecated module objects.
    before = sum(type(o) is Value for o in gc.get_objects())
    x = Value(0.0)
    for _ in range(10):
        with pytest.raises(ValueError, match="log"):
            x.log()
    after = sum(type(o) is Value for o in gc.get_objects())
    assert after == before + 1  # only x


def test_backward_on_a_graph_holding_nan_raises_nothing() -> None:
    x = Value(math.nan)
    w = Value(2.0)
    y = (x * w).sigmoid() + w.log()
    y.backward()
    assert math.isnan(w.grad)
    assert math.isnan(x.grad)


def test_backward_seed_must_be_a_number() -> None:
    with pytest.raises(TypeError, match=r"backward\(grad=\.\.\.\) needs a real number, got '1' \(str\)"):
        Value(1.0).backward(grad="1")  # type: ignore[arg-type]


# --- constants: number operands receive no gradient (issue 11) ---------------------------


def test_number_operands_are_constants_that_receive_no_gradient() -> None:
    x = Value(-3.0, label="x")
    y = x**2
    two = y.parents[1]
    assert x.requires_grad and not two.requires_grad and y.requires_grad
    y.backward()
    # d(x^2)/dx = 2x = -6 exactly; the exponent is a constant, so no log(-3) is taken and
    # its grad stays 0.0 (before constants existed it became nan).
    assert x.grad == -6.0
    assert two.grad == 0.0


@pytest.mark.parametrize("make", [lambda x: x * 2, lambda x: 2 * x, lambda x: 1 - x, lambda x: 2 / x,
                                  lambda x: x**2, lambda x: 2**x, lambda x: x + 1.5])
def test_every_number_operand_becomes_a_constant_leaf(make) -> None:  # type: ignore[no-untyped-def]
    x = Value(1.5)
    y = make(x)
    (constant,) = [p for p in y.parents if p is not x]
    assert constant.op == "" and not constant.requires_grad
    y.backward()
    assert constant.grad == 0.0 and x.grad != 0.0


def test_value_exponent_that_requires_grad_differentiates_both_sides() -> None:
    x, y = Value(2.0), Value(3.0)
    z = x**y
    z.backward()
    assert x.grad == 12.0  # y·x^(y-1) = 3·4, exact
    assert y.grad == 8.0 * math.log(2.0)  # x^y·log(x): the same two IEEE operations


def test_explicit_constant_and_results_of_constants_only() -> None:
    c = Value(2.0, requires_grad=False)
    d = c * 3 + c.exp()
    assert not d.requires_grad and d.op == "" and d.parents == ()
    with pytest.raises(ValueError, match=r"does not require grad"):
        d.backward()
    x = Value(1.0)
    e = x * c
    e.backward()
    assert x.grad == 2.0 and c.grad == 0.0


def test_requires_grad_is_checked_and_can_change_on_leaves_only() -> None:
    with pytest.raises(TypeError, match=r"requires_grad=\.\.\.\) must be True or False"):
        Value(1.0, requires_grad=1)  # type: ignore[arg-type]
    x = Value(1.0)
    y = x.relu()
    with pytest.raises(ValueError, match=r"only be changed on a leaf"):
        y.requires_grad = False
    with pytest.raises(TypeError, match=r"must be True or False"):
        x.requires_grad = "no"  # type: ignore[assignment]
    x.requires_grad = False  # a leaf turned constant after the graph was built
    y.backward()
    assert x.grad == 0.0  # backward never writes into a constant


# --- reliability (issue 15, items 2, 3, 6, 10, 11) -------------------------------------


def test_concurrent_backward_on_graphs_sharing_a_leaf_counts_each_pass_once() -> None:
    w = Value(1.0, label="w")
    errors: list[BaseException] = []

    def train() -> None:
        try:
            y = w * 1.0
            for _ in range(5000):
                y = y + w * 1.0
            for _ in range(10):
                y.backward()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible: races show up at once
    try:
        threads = [threading.Thread(target=train) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(old)
    assert not errors
    # dy/dw = 5001 per graph, 10 passes, 2 threads; all integers, so exact.
    assert w.grad == 100_020.0


def test_no_grad_holds_in_a_context_copied_inside_the_block() -> None:
    with no_grad():
        ctx = contextvars.copy_context()
    assert is_grad_enabled()
    assert ctx.run(lambda: (Value(1.0) * 2).op) == ""
    assert ctx.run(is_grad_enabled) is False


def test_no_grad_holds_in_an_asyncio_task_made_inside_the_block() -> None:
    async def main() -> tuple[str, str]:
        async def compute() -> str:
            await asyncio.sleep(0)
            return (Value(1.0) * 2).op

        with no_grad():
            task = asyncio.create_task(compute())
        outside = (Value(1.0) * 2).op
        return await task, outside

    inside, outside = asyncio.run(main())
    assert inside == "" and outside == "mul"


def test_a_failed_backward_leaves_earlier_gradients_as_they_were() -> None:
    x = Value(2.0)
    scaled = x * 3.0
    y = scaled.log()
    y.backward()
    assert x.grad == 0.5  # 3 / 6 exactly
    scaled.data = "not a number"  # type: ignore[assignment]  # breaks the next pass part way
    with pytest.raises(TypeError):
        y.backward()
    assert x.grad == 0.5 and y.grad == 1.0 and scaled.grad == 1.0 / 6.0


def test_a_failed_first_backward_leaves_gradients_at_zero() -> None:
    x = Value(2.0)
    scaled = x * 3.0
    y = scaled.log() + x
    scaled.data = None  # type: ignore[assignment]
    with pytest.raises(TypeError):
        y.backward()
    assert x.grad == 0.0 and y.grad == 0.0 and scaled.grad == 0.0


def test_local_derivatives_never_raise_where_the_data_was_changed_to_a_pole() -> None:
    x = Value(2.0)
    y = x.log()
    x.data = 0.0
    y.backward()  # 1/x at 0: IEEE gives inf, Python's 1.0 / 0.0 would raise
    assert x.grad == math.inf
    a, b = Value(1.0), Value(2.0)
    q = a / b
    b.data = 0.0
    q.backward()
    assert a.grad == math.inf and b.grad == -math.inf  # 1/y and -out/y at y = +0


def test_pow_edges_follow_python_and_ieee() -> None:
    assert (Value(-math.inf) ** 0.5).data == math.inf  # Python: (-inf) ** 0.5 == inf
    assert (Value(-math.inf) ** -0.5).data == 0.0
    # IEEE 754 pow keeps a zero's sign for odd exponents: pow(-0.0, -1.0) = -inf.
    assert ops.FLOATS.ieee_pow(-0.0, -1.0) == -math.inf
    assert ops.FLOATS.ieee_pow(0.0, -1.0) == math.inf
    # d/dx x^0.5 at x = -0.0: IEEE pow(-0.0, -0.5) = +inf, the one-sided limit.  (PyTorch
    # gives -inf there because it computes this power as rsqrt, i.e. 1/sqrt(-0.0).)
    x = Value(-0.0)
    (x**0.5).backward()
    assert x.grad == math.inf


def test_relu_backward_propagates_nan_input_as_nan() -> None:
    # Decision: the derivative of relu at NaN is undefined, so the gradient is NaN
    # (PyTorch passes the upstream gradient through instead, hiding the NaN).
    x = Value(math.nan)
    x.relu().backward()
    assert math.isnan(x.grad)


def _chain(depth: int) -> tuple[Value, Value]:
    x = Value(0.5, label="x")
    y = x
    for _ in range(depth):
        y = (y * 1.0000001 + x).tanh()
    return x, y


def test_pickle_round_trips_a_graph_deeper_than_the_recursion_limit() -> None:
    x, y = _chain(100_000)  # 300,000 op nodes in one chain
    y.backward()
    x2, y2 = pickle.loads(pickle.dumps((x, y)))
    assert y2.data == y.data and x2.grad == x.grad
    assert y2.op == "tanh" and x2.label == "x"
    # sharing kept: the leaf x is one object, used by every block of the copy
    labelled = [node for node in reachable(y2) if node.label == "x"]
    assert labelled == [x2]
    y2.zero_grad()
    y2.backward()
    assert x2.grad == x.grad


def test_deepcopy_copies_a_deep_graph_once_per_node() -> None:
    x, y = _chain(100_000)
    x2, y2 = copy.deepcopy((x, y))
    assert x2 is not x and y2 is not y and y2.data == y.data
    square = x2 * x2
    assert square.parents[0] is square.parents[1]
    y.backward()
    y2.backward()
    assert x2.grad == x.grad  # the same graph, so the same arithmetic, bit for bit
    pair = Value(3.0) * Value(4.0)
    reused = pair * pair
    copied = copy.deepcopy(reused)
    assert copied.parents[0] is copied.parents[1] is not pair


def test_ops_pickle_by_name() -> None:
    assert pickle.loads(pickle.dumps(ops.POW)) is ops.POW


# --- issue 25: pickling several related Values -------------------------------------------------


def _chain_nodes(n: int) -> list[Value]:
    x = Value(1.0, label="x")
    nodes = [x]
    for _ in range(n):
        nodes.append(nodes[-1] * 1.0001 + x)
    return nodes


def test_pickling_every_node_of_a_chain_writes_each_node_once() -> None:
    # Before: each node wrote its whole graph again (2,000 nodes: 71.5 MB, 8.6 s; 500: 4.4 MB).
    nodes = _chain_nodes(2000)
    alone = len(pickle.dumps(nodes[-1]))
    together = len(pickle.dumps(nodes))
    # Linear: the list adds a few bytes per node to what the last node alone writes (quadratic was 400x).
    assert together < 2 * alone, (alone, together)
    assert len(pickle.dumps(nodes[::-1])) < 2 * alone  # root first: the others are its places


@pytest.mark.parametrize("order", ["forward", "reversed"])
def test_nodes_shared_between_roots_stay_shared_after_loading(order: str) -> None:
    nodes = _chain_nodes(300)
    dumped = nodes if order == "forward" else nodes[::-1]
    loaded = pickle.loads(pickle.dumps(dumped))
    back = loaded if order == "forward" else loaded[::-1]
    for i in range(2, len(nodes)):
        add = back[i]
        assert add._a._a is back[i - 1] and add._b is back[0]  # the mul's input is the node before
    assert [v.data for v in back] == [v.data for v in nodes]
    back[-1].backward()
    nodes[-1].backward()
    assert back[0].grad == nodes[0].grad  # the same graph, so the same sums in the same order


def test_a_model_and_its_output_pickled_together_share_the_parameters() -> None:
    from tinygrad_ko import nn

    model = nn.MLP(2, [3, 1], seed=0)
    out = model([1.0, 2.0])
    params = model.parameters()
    out2, params2 = pickle.loads(pickle.dumps((out, params)))
    leaves = {id(node) for node in topological_order(out2) if not node.op}
    assert all(id(p) in leaves for p in params2)


def test_deepcopy_of_related_values_keeps_sharing() -> None:
    nodes = _chain_nodes(300)
    copied = copy.deepcopy(nodes)
    assert all(copied[i]._a._a is copied[i - 1] and copied[i]._b is copied[0] for i in range(2, len(nodes)))
    assert not set(map(id, copied)) & set(map(id, nodes))


class _Forged:
    """Pickles as whatever records it is given, as a damaged or hostile file would."""

    def __init__(self, function: Any, *args: Any) -> None:
        self.reduced = (function, args)

    def __reduce__(self) -> tuple[Any, ...]:
        return self.reduced


@pytest.mark.parametrize(("records", "problem"), [
    ([Value(1.0), ("relu", 0, 0, 1.0, 0.0, "")], "relu has one input, and the record gives it two"),
    ([Value(1.0), ("mul", 0, 0, "1.0", 0.0, "")], "data and grad must be floats, got str"),
    ([Value(1.0), ("mul", 0, 0, 1.0, 0.0, 7)], "the label must be a str, got int"),
    ([Value(1.0), ("mul", 0, 5, 1.0, 0.0, "")], "mul names input 5, not one of the 1 nodes before it"),
    ([Value(1.0), ("system", 0, -1, 1.0, 0.0, "")], "unknown op 'system'"),
    ([Value(1.0), ("add", 0)], "cannot unpickle a Value"),
    ([], "not a non-empty list"),
])
def test_unpickling_refuses_records_that_make_no_sense(records: list[Any], problem: str) -> None:
    from tinygrad_ko import engine

    for rebuild in (engine._rebuild, engine._rebuild_table):
        with pytest.raises(ValueError, match=re.escape(problem)):
            pickle.loads(pickle.dumps(_Forged(rebuild, records)))


def test_unpickling_refuses_a_leaf_with_a_label_that_is_not_a_string() -> None:
    from tinygrad_ko import engine

    with pytest.raises(ValueError, match="label a str"):
        pickle.loads(pickle.dumps(_Forged(engine._leaf, 1.0, 0.0, ["x"], True)))
    with pytest.raises(TypeError):
        pickle.loads(pickle.dumps(_Forged(engine._leaf, "1.0", 0.0, "x", True)))


# --- the inlined add/mul of backward() agree with the op table ----------------------

def test_inlined_local_derivatives_are_the_op_tables() -> None:
    # backward() writes add's and mul's local derivatives out inline (speed, issue 23);
    # the op table stays the one rule.  If ops.py changes either op, this fails.
    from tinygrad_ko import engine

    assert set(engine._INLINED_LOCALS) == {ops.ADD, ops.MUL}
    for op, formulas in engine._INLINED_LOCALS.items():
        assert op.local_formula == formulas
    specials = [0.0, -0.0, 1.5, -3.25, 1e308, 5e-324, math.inf, -math.inf]
    for x in specials:
        for y in specials:
            assert ops.ADD.local_x(x, y, x + y) == 1.0 and ops.ADD.local_y(x, y, x + y) == 1.0
            assert ops.MUL.local_x(x, y, x * y) is y and ops.MUL.local_y(x, y, x * y) is x


def _backward_by_the_table(root: Value) -> dict[int, float]:
    """Gradients from the op table's local_derivatives, in backward()'s own order (so the same sums)."""
    from tinygrad_ko.graph import backward_order

    order, _ = backward_order(root)
    grads = {id(root): 1.0}
    for node in order:
        g = grads.get(id(node), 0.0)
        locals_ = node._op.local_derivatives([p.data for p in node.parents], node.data)  # type: ignore[union-attr]
        for parent, local in zip(node.parents, locals_, strict=True):
            if parent.requires_grad:
                grads[id(parent)] = grads.get(id(parent), 0.0) + local * g
    return grads


def test_backward_with_inlined_add_mul_matches_the_op_table_exactly() -> None:
    # Exact equality is right: both sides do the same IEEE double operations in the
    # same order; inlining must not change a single bit (NaN compared as NaN).
    import random

    rng = random.Random(23)
    leaves = [Value(v) for v in (0.5, -2.0, 3.0, -0.0, 1e300, math.inf)]
    leaves.append(Value(4.0, requires_grad=False))
    nodes = list(leaves)
    for _ in range(300):
        a, b = rng.choice(nodes), rng.choice(nodes)
        pick = rng.random()
        if pick < 0.4:
            nodes.append(a * b)
        elif pick < 0.7:
            nodes.append(a + b)
        elif pick < 0.8:
            nodes.append(a * 2.5 + 1.0)  # number operands: constants in the inlined path
        elif pick < 0.9:
            nodes.append((a - b).tanh())
        else:
            nodes.append(-a)
    root = sum(nodes[-40:], Value(0.0))
    expected = _backward_by_the_table(root)
    root.backward()
    for node in reachable(root):
        want = expected.get(id(node), 0.0) if node.requires_grad else 0.0
        assert node.grad == want or (math.isnan(node.grad) and math.isnan(want)), node


# -- PyTorch habits (issue 24 item 5) ------------------------------------------------


def test_grad_set_to_none_counts_as_zero_in_backward() -> None:
    # PyTorch's optimizer.zero_grad(set_to_none=True) habit: `p.grad = None` then backward.
    w, b = Value(2.0), Value(1.0)
    y = w * 3.0 + b
    w.grad = None  # type: ignore[assignment]
    b.grad = None  # type: ignore[assignment]
    y.backward()
    assert (w.grad, b.grad) == (3.0, 1.0)  # exact: one product of small integers each


def test_grad_none_mixed_with_carried_gradients_adds_onto_the_rest() -> None:
    w, b = Value(2.0), Value(1.0)
    y = w * 3.0 + b
    y.backward()
    w.grad = None  # type: ignore[assignment]
    y.backward()  # w starts again from zero, b accumulates
    assert (w.grad, b.grad) == (3.0, 2.0)


def test_comparisons_compare_data_and_give_bools() -> None:
    x, y = Value(2.0), Value(3.0)
    assert (x < y, x <= 2.0, x > 0, y >= x, x > 1.0) == (True, True, True, True, True)
    assert type(x > 0) is bool
    # == stays identity, so Values can be dict keys in graph walks
    assert Value(1.0) != Value(1.0) and {x: 1}[x] == 1


def test_comparison_with_a_non_number_raises_a_clear_type_error() -> None:
    with pytest.raises(TypeError, match=r"Value > \.\.\. needs a real number"):
        _ = Value(1.0) > "0"  # type: ignore[operator]


def test_item_and_detach_leave_the_graph() -> None:
    x = Value(3.0)
    assert x.item() == 3.0 and type(x.item()) is float
    d = x.detach()
    assert (d.data, d.requires_grad, d.parents) == (3.0, False, ())
    y = x * x.detach()
    y.backward()
    assert x.grad == 3.0  # the detached factor is a constant: d(x·c)/dx = c


def test_sqrt_is_a_power_node_with_the_power_rule() -> None:
    x = Value(4.0)
    y = x.sqrt()
    y.backward()
    assert (y.data, y.op, x.grad) == (2.0, "pow", 0.25)  # 4**0.5 and 0.5*4**-0.5 are exact in binary
    with pytest.raises(ValueError, match="pow"):
        Value(-1.0).sqrt()


@pytest.mark.parametrize(("x", "slope"), [(-3.0, -1.0), (2.5, 1.0), (0.0, 0.0)])
def test_abs_has_slope_sign_x_and_zero_at_zero(x: float, slope: float) -> None:
    v = Value(x)
    y = abs(v)
    y.backward()
    assert (y.data, v.grad) == (abs(x), slope)  # PyTorch: d|x|/dx = sign(x), 0 at 0


def test_float_docstring_says_math_functions_cut_the_graph() -> None:
    import math
    x = Value(0.0)
    assert type(math.exp(x)) is float  # type: ignore[arg-type]
    assert "not in the graph" in (Value.__float__.__doc__ or "")
