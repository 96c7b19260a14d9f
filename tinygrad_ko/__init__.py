"""tinygrad_ko: a small, exact and fast scalar reverse-mode autodiff engine for
learning backpropagation (오차역전파법).

>>> from tinygrad_ko import Value
>>> apple, n, orange, m, tax = Value(100), Value(2), Value(150), Value(3), Value(1.1)
>>> total = (apple * n + orange * m) * tax
>>> total.backward()
>>> total.data, apple.grad, n.grad, tax.grad
(715.0000000000001, 2.2, 110.00000000000001, 650.0)
"""

from . import datasets, nn, optim
from .draw.dot import to_dot
from .draw.render import render
from .engine import Value, is_grad_enabled, no_grad
from .explain import Explanation, Step, explain
from .functional import grad, hessian
from .graph import reachable, topological_order, zero_grad
from .layers import AddLayer, Affine, MulLayer, Relu, Sigmoid, SoftmaxWithLoss, TwoLayerNet
from .numerical import gradcheck, gradgradcheck, numerical_diff, numerical_grad
from .ops import OPS, Op
from .pages.steps import write_steps
from .vectorize import vectorize

__all__ = [
    "OPS",
    "AddLayer",
    "Affine",
    "Explanation",
    "MulLayer",
    "Op",
    "Relu",
    "Sigmoid",
    "SoftmaxWithLoss",
    "Step",
    "TwoLayerNet",
    "Value",
    "datasets",
    "explain",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "hessian",
    "is_grad_enabled",
    "nn",
    "no_grad",
    "numerical_diff",
    "numerical_grad",
    "optim",
    "reachable",
    "render",
    "to_dot",
    "topological_order",
    "vectorize",
    "write_steps",
    "zero_grad",
]
__version__ = "0.1.0"
