"""The core's and the learning modules' errors carry their message id: English str(), Korean on request."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from tinygrad_ko import Value, grad, nn, optim, vectorize
from tinygrad_ko.datasets import MissingDependencyError
from tinygrad_ko.examples import LANGS, apple_orange
from tinygrad_ko.layers import Relu
from tinygrad_ko.messages import LocalizedError, localized, set_lang


def raised(call: Callable[[], Any]) -> BaseException:
    try:
        call()
    except Exception as error:
        return error
    raise AssertionError("no error")


@pytest.mark.parametrize(("call", "key", "kind", "korean"), [
    (lambda: Value(1.0) / 0.0, "engine.div_zero", ZeroDivisionError,
     "나눗셈: 1.0을 0으로 나눌 수 없습니다 (x / y, y = 0.0)"),
    (lambda: Value(-1.0).log(), "engine.log_domain", ValueError, "log: 입력은 0보다 커야 합니다. 받은 값 -1.0"),
    (lambda: Value(1000.0).exp(), "engine.exp_overflow", OverflowError, "exp: 결과가 float에 비해 너무 큽니다"),
    (lambda: Value(0.0) ** -1.0, "engine.pow_zero", ZeroDivisionError, "거듭제곱: 0.0은 음수 제곱을 할 수 없습니다"),
    (lambda: Value(True), "engine.not_real_bool", TypeError, "Value()에는 실수가 필요합니다. 받은 값: True (bool)"),
    (lambda: Value(2.0, requires_grad=False).backward(), "engine.backward_constant", ValueError,
     "미분할 것이 없습니다"),
    (lambda: grad(Value(1.0), []), "functional.inputs_empty", ValueError, "grad: inputs가 비어 있습니다"),
    (lambda: vectorize(Value(1.0), [Value(1.0)], chunk_size=0), "vectorize.chunk_size", ValueError,
     "vectorize(chunk_size=...)는 1 이상의 int여야 합니다. 받은 값: 0"),
    (lambda: nn.MLP(2, [], seed=0), "learning.mlp_nouts", ValueError, "MLP: nouts는"),
    (lambda: optim.SGD([Value(1.0)], lr=0.1, momentum=-1.0), "learning.hyper_finite", ValueError,
     "SGD: momentum은 0 이상의 유한한 수여야"),
    (lambda: Relu().backward(np.ones(2)), "learning.not_yet", RuntimeError,
     "Relu.forward()보다 Relu.backward()가 먼저 호출되었습니다"),
])
def test_an_error_is_its_builtin_type_with_an_id_and_reads_in_korean(
        call: Callable[[], Any], key: str, kind: type, korean: str) -> None:
    error = raised(call)
    assert isinstance(error, kind) and isinstance(error, LocalizedError) and error.key == key
    assert korean in localized(error, "ko")
    assert "을(를)" not in localized(error, "ko") and not any("\uac00" <= c <= "\ud7a3" for c in str(error))
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is type(error) and str(again) == str(error)


def test_a_batch_failure_keeps_the_op_error_its_type_and_the_sample() -> None:
    x = Value(1.0)
    f = vectorize(1.0 / x, [x])
    error = raised(lambda: f(np.array([1.0, 0.0, 2.0])))
    assert isinstance(error, ZeroDivisionError) and isinstance(error, LocalizedError)
    assert error.key == "vectorize.at_sample_of" and error.params["error"].key == "engine.div_zero"
    assert str(error).endswith("[sample 1 of 3]") and localized(error, "ko").endswith("[샘플 1 / 3]")
    assert str(pickle.loads(pickle.dumps(error))) == str(error)


def test_missing_dependency_error_is_an_import_error_with_an_id() -> None:
    error = MissingDependencyError("learning.digits_missing", install="pip install x")
    assert isinstance(error, ImportError) and error.key == "learning.digits_missing"
    assert localized(error, "ko") == ("digits()는 scikit-learn 패키지에 들어 있는 데이터를 읽는데 "
                                      "scikit-learn이 설치되어 있지 않습니다: pip install x")


def test_the_example_labels_come_from_the_catalogs_and_follow_the_session_language() -> None:
    assert LANGS[:2] == ("en", "ko")
    assert apple_orange().apple.label == "apple"
    assert [v.label for v in apple_orange("ko")[:5]] == ["사과", "사과 개수", "귤", "귤 개수", "소비세"]
    assert apple_orange("ko").price.label == "지불 금액"
    set_lang("ko")
    try:
        assert apple_orange().apple.label == "사과"
    finally:
        set_lang(None)
    with pytest.raises(ValueError, match=r"apple_orange\(lang=\.\.\.\) must be one of en, ko, got 'fr'"):
        apple_orange("fr")
