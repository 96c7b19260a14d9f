"""expr: typed expressions become Value graphs; everything off the whitelist is refused."""

from __future__ import annotations

import pytest

from tinygrad_ko import Value
from tinygrad_ko.expr import MAX_LENGTH, MAX_PARTS, build, names, parse


def test_expression_builds_the_same_graph_as_writing_it_with_values() -> None:
    out, leaves = build("sigmoid(x*w + b) - tanh(x) / exp(b) ** 2 + log(w) + relu(-x)", {"x": 0.5, "w": 2, "b": -1})
    out.backward()
    x, w, b = Value(0.5), Value(2.0), Value(-1.0)
    ref = (x * w + b).sigmoid() - x.tanh() / b.exp() ** 2 + w.log() + (-x).relu()
    ref.backward()
    assert out.data == ref.data
    assert (leaves["x"].grad, leaves["w"].grad, leaves["b"].grad) == (x.grad, w.grad, b.grad)


def test_hangul_names_make_labelled_leaves() -> None:
    values = {"사과": 100, "사과_개수": 2, "귤": 150, "귤_개수": 3, "소비세": 1.1}
    price, leaves = build("(사과*사과_개수 + 귤*귤_개수)*소비세", values)
    price.backward()
    # The chapter's exact float results (see GLOSSARY.ko.md).
    assert price.data == 715.0000000000001
    assert {name: leaf.grad for name, leaf in leaves.items()} == {
        "사과": 2.2, "사과_개수": 110.00000000000001, "귤": 3.3000000000000003, "귤_개수": 165.0, "소비세": 650.0}
    assert all(leaf.label == name for name, leaf in leaves.items())


def test_a_name_used_twice_is_one_leaf() -> None:
    out, leaves = build("x * x", {"x": 3})
    out.backward()
    assert list(leaves) == ["x"] and leaves["x"].grad == 6.0


def test_numbers_become_unlabelled_constants() -> None:
    out, leaves = build("2 ** 3 - 0.5", {})
    assert out.data == 7.5 and leaves == {}
    assert not out.requires_grad and out.parents == ()  # constants only: no graph, as in PyTorch


def test_a_number_is_a_constant_as_a_number_operand_is_in_python() -> None:
    # Issue 24: the 2 of x**2 required grad and received 9·log 3 as its gradient.
    out, leaves = build("x ** 2", {"x": 3})
    out.backward()
    x, exponent = out.parents
    assert x is leaves["x"] and x.grad == 6.0
    assert not exponent.requires_grad and exponent.grad == 0.0 and exponent.label == ""


def test_names_are_listed_once_in_order_of_appearance() -> None:
    assert names(parse("b * a + exp(b) + c")) == ["b", "a", "c"]


def test_names_are_matched_as_python_matches_identifiers() -> None:
    # Python reads the ligature "ﬁ" in source as "fi" (NFKC); a value given as "ﬁ" must match too.
    out, _ = build("ﬁ * 2", {"ﬁ": 4})
    assert out.data == 8.0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("__import__('os').system('echo hi')", "attribute access"),
        ("__import__('os')", "unknown function '__import__'"),
        ("x.real", "attribute access"),
        ("x[0]", "subscripts"),
        ("(lambda: 1)()", "lambda"),
        ("[i for i in x]", "comprehensions"),
        ("sum(i for i in x)", "unknown function 'sum'"),
        ("relu(x=1)", "keyword arguments"),
        ("'text'", "strings"),
        ("f'{x}'", "strings"),
        ("foo(x)", "unknown function 'foo'"),
        ("eval('1')", "unknown function 'eval'"),
        ("x < y", "comparisons"),
        ("x if y else z", "if-else"),
        ("(x := 1)", "assignment"),
        ("x @ y", "the operator MatMult"),
        ("x // y", "the operator FloorDiv"),
        ("+x", "only unary - is allowed"),
        ("not x", "the unary operator Not"),
        ("True", "the constant True"),
        ("1j", "the constant 1j"),
        ("relu(x, y)", "takes exactly one argument"),
        ("relu(*x)", "unpacking"),
        ("(x, y)", "tuples"),
        ("x +", "not a valid expression"),
        ("x" * (MAX_LENGTH + 1), f"the limit is {MAX_LENGTH:,}"),
        ("-" * MAX_PARTS + "x", f"has {MAX_PARTS + 1} parts"),
        ("(" * 250 + "x" + ")" * 250, "nested parentheses"),
    ],
)
def test_everything_off_the_whitelist_is_a_one_line_value_error(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")) as caught:
        parse(text)
    assert "\n" not in str(caught.value)


def test_every_name_needs_a_value() -> None:
    with pytest.raises(ValueError, match="no value given for y: add y=NUMBER"):
        build("x * y", {"x": 1})


def test_a_value_for_an_unused_name_is_an_error() -> None:
    with pytest.raises(ValueError, match="z given a value but not used"):
        build("x", {"x": 1, "z": 2})


def test_math_errors_name_the_op() -> None:
    with pytest.raises(ZeroDivisionError, match="div"):
        build("1 / x", {"x": 0})
    with pytest.raises(ValueError, match="log"):
        build("log(x)", {"x": -1})


def test_huge_power_overflows_instead_of_hanging() -> None:
    with pytest.raises(OverflowError, match="pow"):
        build("10 ** 10 ** 10", {})


def test_long_but_allowed_chain_builds_iteratively() -> None:
    text = "+".join(["x"] * 240)  # 240 names and 239 additions: under MAX_PARTS
    out, leaves = build(text, {"x": 0.5})
    out.backward()
    assert out.data == 120.0  # sums of 0.5 are exact in binary floating point
    assert leaves["x"].grad == 240.0


def test_names_equal_under_nfkc_given_twice_are_an_error() -> None:
    # Python reads the full-width ｘ as x, so both values would go to one leaf and
    # the last would win silently.
    with pytest.raises(ValueError, match=r"'x' and 'ｘ' are the same name .*NFKC.*give x one value"):
        build("x", {"x": 1, "ｘ": 2})
    with pytest.raises(ValueError, match="'ﬁ' and 'fi' are the same name"):
        build("fi * 2", {"ﬁ": 1, "fi": 2})
    out, leaves = build("ｘ * 2", {"ｘ": 3})  # one spelling alone is fine
    assert out.data == 6.0 and list(leaves) == ["x"]


def test_non_finite_number_in_the_expression_is_refused() -> None:
    with pytest.raises(ValueError, match=r"the number at column 5 is too large for a float .*inf"):
        build("x * 1e309", {"x": 1})
    assert build("x * 1e308", {"x": 1})[0].data == 1e308


def test_text_that_is_not_utf8_is_a_parse_error() -> None:
    # What Python makes of the byte 0xff on a UTF-8 command line (surrogateescape).
    with pytest.raises(ValueError, match="not a valid expression at column 2: U\\+DCFF is not text"):
        parse("x\udcff + 1")
    with pytest.raises(ValueError, match="at column 1: U\\+D800"):
        parse("\ud800")
