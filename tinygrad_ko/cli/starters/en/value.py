"""Value, a micrograd-style engine of your own: write the gradients of + and *, and backward().

Run this file (python value_class.py) or tinygrad-ko check value_class.py to check it.
"""


class Value:
    def __init__(self, data, _children=(), _op=""):
        self.data = data
        self.grad = 0.0
        self._backward = lambda: None  # how this node passes its gradient to its inputs
        self._prev = tuple(_children)
        self._op = _op

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():
            raise NotImplementedError(
                "Value.__add__: the local derivatives of an add are 1 and 1: add out.grad to "
                "self.grad and to other.grad (+=, not =: a value used twice collects both)"
            )

        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():
            raise NotImplementedError(
                "Value.__mul__: the local derivatives of a multiply are the inputs swapped: self.grad"
                " += other.data * out.grad, other.grad += self.data * out.grad"
            )

        out._backward = _backward
        return out

    def __radd__(self, other):
        return self + other

    def __rmul__(self, other):
        return self * other

    def backward(self):
        raise NotImplementedError(
            "Value.backward: put the nodes in topological order (each node after its inputs), set"
            " self.grad = 1, then call each node's _backward from the last to the first, so that "
            "a node passes its gradient on only once it has all of it"
        )

    def __repr__(self):
        return f"Value(data={self.data}, grad={self.grad})"


if __name__ == "__main__":
    from tinygrad_ko.exercises import check_value_class

    report = check_value_class(Value, lang="en")
    print(report)
    raise SystemExit(0 if report else 1)
