"""micrograd-style Value classes as learners write them: one correct, and one per classic mistake.

GoodValue is micrograd's Value with an iterative topological sort and every op check_value_class
knows; each other class changes one method, and its name says which finding code it must get.
New nodes are made with type(self), so a subclass's change reaches every node of its graphs.
"""

import math


class GoodValue:
    def __init__(self, data, _children=(), _op=""):
        self.data = data
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = tuple(_children)
        self._op = _op

    def _wrap(self, other):
        return other if isinstance(other, GoodValue) else type(self)(other)

    def __add__(self, other):
        other = self._wrap(other)
        out = type(self)(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = self._wrap(other)
        out = type(self)(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    def __pow__(self, exponent):
        out = type(self)(self.data ** exponent, (self,), "**")

        def _backward():
            self.grad += exponent * self.data ** (exponent - 1) * out.grad
        out._backward = _backward
        return out

    def _unary(self, data, local, op):
        out = type(self)(data, (self,), op)

        def _backward():
            self.grad += local(out) * out.grad
        out._backward = _backward
        return out

    def relu(self):
        return self._unary(max(self.data, 0.0), lambda out: 1.0 if self.data > 0 else 0.0, "relu")

    def tanh(self):
        return self._unary(math.tanh(self.data), lambda out: 1.0 - out.data ** 2, "tanh")

    def sigmoid(self):
        return self._unary(1.0 / (1.0 + math.exp(-self.data)), lambda out: out.data * (1.0 - out.data), "sigmoid")

    def exp(self):
        return self._unary(math.exp(self.data), lambda out: out.data, "exp")

    def log(self):
        return self._unary(math.log(self.data), lambda out: 1.0 / self.data, "log")

    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        return self + (-self._wrap(other))

    def __truediv__(self, other):
        return self * self._wrap(other) ** -1

    def __radd__(self, other):
        return self + other

    def __rmul__(self, other):
        return self * other

    def __rsub__(self, other):
        return self._wrap(other) - self

    def __rtruediv__(self, other):
        return self._wrap(other) / self

    def _order(self):
        # Iterative depth-first search: a node goes after all of its inputs.
        order, visited, stack = [], set(), [(self, False)]
        while stack:
            node, inputs_done = stack.pop()
            if inputs_done:
                order.append(node)
            elif node not in visited:
                visited.add(node)
                stack.append((node, True))
                stack.extend((child, False) for child in node._prev)
        return order

    def backward(self):
        self.grad = 1.0
        for node in reversed(self._order()):
            node._backward()


class ReuseNotAccumulated(GoodValue):
    def __add__(self, other):
        other = self._wrap(other)
        out = type(self)(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad = out.grad
            other.grad = out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = self._wrap(other)
        out = type(self)(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad = other.data * out.grad
            other.grad = self.data * out.grad
        out._backward = _backward
        return out


class DepthFirstVisitOrder(GoodValue):
    def backward(self):
        # Runs each node's _backward when the walk first reaches it (micrograd #21, #64).
        self.grad = 1.0
        visited, stack = set(), [self]
        while stack:
            node = stack.pop()
            if node in visited:
                continue
            visited.add(node)
            node._backward()
            stack.extend(node._prev)


class BreadthFirst(GoodValue):
    def backward(self):
        self.grad = 1.0
        visited, queue = {self}, [self]
        for node in queue:
            node._backward()
            for child in node._prev:
                if child not in visited:
                    visited.add(child)
                    queue.append(child)


class ReversedPreorder(GoodValue):
    def _order(self):
        order, visited, stack = [], set(), [self]
        while stack:
            node = stack.pop()
            if node not in visited:
                visited.add(node)
                order.append(node)  # before its inputs: not a topological order
                stack.extend(node._prev)
        return order


class NoSeed(GoodValue):
    def backward(self):
        # Forgets self.grad = 1: every gradient is a product that starts from 0.
        for node in reversed(self._order()):
            node._backward()


class SwappedMul(GoodValue):
    def __mul__(self, other):
        other = self._wrap(other)
        out = type(self)(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += self.data * out.grad
            other.grad += other.data * out.grad
        out._backward = _backward
        return out


class AddIgnoresUpstream(GoodValue):
    def __add__(self, other):
        other = self._wrap(other)
        out = type(self)(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += 1.0
            other.grad += 1.0
        out._backward = _backward
        return out


class SubSign(GoodValue):
    def __sub__(self, other):
        other = self._wrap(other)
        out = type(self)(self.data - other.data, (self, other), "-")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad  # micrograd #57/#58: the subtrahend's sign forgotten
        out._backward = _backward
        return out


class RsubBackwards(GoodValue):
    def __rsub__(self, other):
        return self - other  # 2 - x computed as x - 2


class SigmoidOfInput(GoodValue):
    def sigmoid(self):
        return self._unary(1.0 / (1.0 + math.exp(-self.data)), lambda out: self.data * (1.0 - self.data), "sigmoid")


class ReluPassesAll(GoodValue):
    def relu(self):
        return self._unary(max(self.data, 0.0), lambda out: 1.0, "relu")


class TanhTypo(GoodValue):
    def tanh(self):
        out = type(self)(math.tanh(self.data), (self,), "tanh")

        def _backward():
            self.grad += (1 - outt.data ** 2) * out.grad  # noqa: F821 - the mistake under test
        out._backward = _backward
        return out


class RecursiveSort(GoodValue):
    def _order(self):
        # micrograd's build_topo: right, but one Python call per node of depth.
        order, visited = [], set()

        def build(node):
            if node not in visited:
                visited.add(node)
                for child in node._prev:
                    build(child)
                order.append(node)
        build(self)
        return order


class RaisesInInit(GoodValue):
    def __init__(self, data, _children=(), _op=""):
        super().__init__(data, _children, _op)
        self.label = labels[data]  # noqa: F821 - the mistake under test


class NoGrad:
    def __init__(self, data):
        self.data = data

    def backward(self):
        pass


class NoBackward:
    def __init__(self, data):
        self.data = data
        self.grad = 0.0


class DataRaisesAfterMul(GoodValue):
    # Raises when the check reads a product's .data, outside any method the check calls.
    def __mul__(self, other):
        out = super().__mul__(other)
        out.broken = True
        return out

    @property
    def data(self):
        if self.__dict__.get("broken"):
            raise RuntimeError("data is gone")
        return self.__dict__["_data"]

    @data.setter
    def data(self, value):
        self.__dict__["_data"] = value
