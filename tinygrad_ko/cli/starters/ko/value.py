"""나만의 Value (micrograd 방식의 엔진): +와 *의 기울기, 그리고 backward()를 직접 작성해 보세요.

이 파일을 실행하거나(python value_class.py) tinygrad-ko check value_class.py --lang ko로 확인합니다.
"""


class Value:
    def __init__(self, data, _children=(), _op=""):
        self.data = data
        self.grad = 0.0
        self._backward = lambda: None  # 이 노드가 기울기를 입력 쪽으로 보내는 방법
        self._prev = tuple(_children)
        self._op = _op

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():
            raise NotImplementedError(
                "Value.__add__: 덧셈의 국소적 미분은 1과 1입니다. out.grad를 "
                "self.grad와 other.grad에 더하세요(=가 아니라 +=: 두 번 쓰인 값은 두 "
                "기울기를 모두 받습니다)"
            )

        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():
            raise NotImplementedError(
                "Value.__mul__: 곱셈의 국소적 미분은 입력 신호를 서로 바꾼 값입니다: "
                "self.grad += other.data * out.grad, other.grad += "
                "self.data * out.grad"
            )

        out._backward = _backward
        return out

    def __radd__(self, other):
        return self + other

    def __rmul__(self, other):
        return self * other

    def backward(self):
        raise NotImplementedError(
            "Value.backward: 노드를 위상 정렬하고(각 노드가 그 입력들 뒤에 오도록) "
            "self.grad = 1로 둔 다음, 마지막 노드부터 처음 노드까지 차례로 _backward를"
            " 부르세요. 그래야 노드가 기울기를 다 받은 뒤에 하류로 보냅니다"
        )

    def __repr__(self):
        return f"Value(data={self.data}, grad={self.grad})"


if __name__ == "__main__":
    from tinygrad_ko.exercises import check_value_class

    report = check_value_class(Value, lang="ko")
    print(report)
    raise SystemExit(0 if report else 1)
