"""The same graph and model on JAX and PyTorch: :func:`to_jax`, :func:`to_torch`, :func:`mlp_to_torch`.

A graph of Values is a program; this module runs it on the engines that scale
(jit/XLA, GPUs, many devices) with the same numbers.  No op's rule is written
here: :data:`ops.OPS <tinygrad_ko.ops.OPS>` writes each forward and local-derivative
rule once, as a function of a *kind of number*, and this module adds two kinds,
one whose numbers are ``jax.numpy`` arrays and one whose numbers are torch
tensors.  Each op becomes one JAX primitive with a custom JVP (``jax.custom_jvp``)
or one ``torch.autograd.Function``, whose derivative is the op table's local
derivative run on that kind: so ``jax.grad`` and ``torch.autograd`` give the
gradients ``backward()`` gives, also where a library's own choice would differ
(relu's slope at 0, ``x ** y`` at ``x == 0``), and to any order, since a local
derivative run on the kind is itself made of those ops.

JAX computes in float32 unless told otherwise; for the engine's float64 numbers
turn 64-bit mode on once, before any array is made::

    import jax
    jax.config.update("jax_enable_x64", True)

In float32 the results agree with the engine to about ``1e-6`` relative (more
where a graph loses precision), not ``1e-10``.

JAX and torch are imported only when a function here is called:
``import tinygrad_ko`` imports neither (``pip install "tinygrad_ko[jax]"`` or
``"tinygrad_ko[torch]"`` installs them).
"""

from __future__ import annotations

import importlib
import itertools
import math
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any

from .datasets import MissingDependencyError
from .engine import Value, _describe
from .graph import topological_order
from .messages import LocalizedTypeError, LocalizedValueError
from .ops import OPS, Op

if TYPE_CHECKING:
    from .nn import MLP

__all__ = ["mlp_from_torch", "mlp_to_torch", "to_jax", "to_torch"]

# One program step: (op name, operand slots).  A slot is an index into the list of
# values computed so far: the arguments first, then the constants, then each op's output.
_Step = tuple[str, tuple[int, ...]]

def _import(name: str, library: str, extra: str, where: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ImportError as error:
        raise MissingDependencyError("bridge.not_installed", where=where, library=library, extra=extra) from error


def _program(output: object, inputs: object, where: str) -> tuple[list[_Step], list[float], int]:
    """The graph as steps over slots: the steps, the constants' values, and the number of inputs."""
    if not isinstance(output, Value):
        raise LocalizedTypeError("bridge.output_not_value", where=where, got=_describe(output))
    if not isinstance(inputs, (list, tuple)):
        raise LocalizedTypeError("bridge.inputs_not_sequence", where=where, got=_describe(inputs))
    if not inputs:
        raise LocalizedValueError("bridge.no_inputs", where=where)
    slot: dict[Value, int] = {}
    for i, v in enumerate(inputs):
        if not isinstance(v, Value):
            raise LocalizedTypeError("bridge.input_not_value", where=where, i=i, got=_describe(v))
        if v in slot:
            raise LocalizedValueError("bridge.input_twice", where=where, i=slot[v], j=i)
        slot[v] = i
    order = topological_order(output)[::-1]  # inputs before the nodes that use them
    constants = [node.data for node in order if node not in slot and node._op is None]
    count = len(inputs)
    for node in order:
        if node not in slot and node._op is None:
            slot[node] = count
            count += 1
    steps: list[_Step] = []
    for node in order:
        if node in slot:
            continue
        op: Op = node._op  # type: ignore[assignment]  # a node that is not a leaf has an op
        parents = (node._a,) if node._b is None else (node._a, node._b)
        steps.append((op.name, tuple(slot[p] for p in parents)))  # type: ignore[index]
        slot[node] = count
        count += 1
    return steps, constants, len(inputs)


def _run(steps: list[_Step], operands: list[Any], functions: dict[str, Callable[..., Any]]) -> Any:
    values = list(operands)
    for name, args in steps:
        values.append(functions[name](*(values[a] for a in args)))
    return values[-1]


# -- JAX --------------------------------------------------------------------------

class _JaxArrays:
    """The kind whose numbers are ``jax.numpy`` arrays (or tracers, under jit/grad/vmap).

    Nothing raises under ``jax.jit`` (values are not known while tracing), so the
    forward functions are the IEEE ones: outside an op's domain the result is
    ``inf`` or ``nan`` where the engine's floats raise.
    """

    name = "jax array"
    nan = math.nan

    def __init__(self, jax: ModuleType) -> None:
        jnp = jax.numpy
        self.data = lambda v: v
        self.where = jnp.where
        self.div = self.ieee_div = jnp.divide
        self.pow = self.ieee_pow = jnp.power
        self.exp = jnp.exp
        self.log = self.ieee_log = jnp.log
        self.relu = jax.nn.relu
        self.sigmoid = jax.nn.sigmoid
        self.tanh = jnp.tanh
        # relu's slope: 1 above 0, 0 at or below 0, NaN for NaN (as the float rule).
        self.step = lambda x: jnp.heaviside(x, 0.0)


def _jax_primitive(jax: ModuleType, op: Op, kind: _JaxArrays) -> Callable[..., Any]:
    """``op`` as a JAX function whose JVP is the op table's local derivative on ``kind``."""
    jnp = jax.numpy
    primitive = jax.custom_jvp(op.forward_for(kind))
    local = op.local_for(kind)

    def jvp(primals: tuple[Any, ...], tangents: tuple[Any, ...]) -> tuple[Any, Any]:
        # The output through the primitive itself, so that a derivative of this JVP
        # (a second derivative) again uses the op table's rule, as create_graph does.
        out = primitive(*primals)
        tangent = sum(rule(*primals, out) * t for rule, t in zip(local, tangents, strict=True))
        return out, jnp.broadcast_to(jnp.asarray(tangent, dtype=jnp.result_type(out)), jnp.shape(out))

    primitive.defjvp(jvp)
    return primitive  # type: ignore[no-any-return]


_JAX_FUNCTIONS: dict[str, Callable[..., Any]] = {}


def _jax_functions(jax: ModuleType) -> dict[str, Callable[..., Any]]:
    if not _JAX_FUNCTIONS:
        kind = _JaxArrays(jax)
        _JAX_FUNCTIONS.update({name: _jax_primitive(jax, op, kind) for name, op in OPS.items()})
    return _JAX_FUNCTIONS


def to_jax(output: Value, inputs: Sequence[Value]) -> Callable[..., Any]:
    """A pure JAX function of ``len(inputs)`` arguments computing ``output``, by the op table's rules.

    ``f = to_jax(y, [x1, x2])`` gives ``f(a1, a2)``: the value ``y`` would have if
    ``x1`` held ``a1`` and ``x2`` held ``a2`` (numbers or arrays of one shape).
    Every other leaf of the graph is a constant at the ``data`` it holds now.  ``f``
    works under ``jax.jit``, ``jax.grad`` (to any order), ``jax.hessian`` and
    ``jax.vmap``; with ``jax_enable_x64`` on (see the module docstring) its value and
    gradients are the engine's ``data`` and ``backward()`` gradients to rounding.

    >>> import jax; jax.config.update("jax_enable_x64", True)
    >>> from tinygrad_ko import Value
    >>> x, y = Value(2.0), Value(3.0)
    >>> z = x * y + x.tanh()
    >>> f = to_jax(z, [x, y])
    >>> float(f(2.0, 3.0)) == z.data
    True
    >>> z.backward()
    >>> [float(g) for g in jax.grad(f, argnums=(0, 1))(2.0, 3.0)] == [x.grad, y.grad]
    True

    Raises ``TypeError`` for an output or an input that is not a Value, ``ValueError``
    for no inputs or an input given twice, and ``ImportError`` naming the extra to
    install when JAX is not installed.
    """
    steps, constants, n = _program(output, inputs, "to_jax")
    jax = _import("jax", "JAX", "jax", "to_jax")
    functions = _jax_functions(jax)
    jnp = jax.numpy

    def function(*args: Any) -> Any:
        if len(args) != n:
            raise LocalizedTypeError("bridge.argument_count", where="to_jax", n=n, got=len(args))
        # The constants are made here, inside any jit trace, in the precision JAX is set to.
        return _run(steps, [*map(jnp.asarray, args), *map(jnp.asarray, constants)], functions)

    return function


# -- PyTorch ----------------------------------------------------------------------

class _TorchTensors:
    """The kind whose numbers are torch tensors (float64 when made here)."""

    name = "torch tensor"
    nan = math.nan

    def __init__(self, torch: ModuleType) -> None:
        self.data = lambda v: v
        self.where = torch.where
        self.div = self.ieee_div = torch.div
        self.pow = self.ieee_pow = torch.pow
        self.exp = torch.exp
        self.log = self.ieee_log = torch.log
        self.relu = torch.relu
        self.sigmoid = torch.sigmoid
        self.tanh = torch.tanh
        # detach: the slope of relu is piecewise constant, a constant of the graph (as for Values).
        self.step = lambda x: torch.heaviside(x.detach(), torch.zeros_like(x))


def _torch_primitive(torch: ModuleType, op: Op, kind: _TorchTensors) -> Callable[..., Any]:
    """``op`` as a ``torch.autograd.Function`` whose backward is the op table's local derivative."""
    forward_rule = op.forward_for(kind)
    local = op.local_for(kind)

    def forward(ctx: Any, *inputs: Any) -> Any:
        out = forward_rule(*inputs)
        ctx.save_for_backward(*inputs, out)
        return out

    def backward(ctx: Any, upstream: Any) -> tuple[Any, ...]:
        *inputs, out = ctx.saved_tensors
        # Run on tensors autograd records (with create_graph=True), so the gradient can
        # be differentiated again; a broadcast input gets its gradient summed back to its shape.
        return tuple((rule(*inputs, out) * upstream).sum_to_size(x.shape) if needed else None
                     for rule, x, needed in zip(local, inputs, ctx.needs_input_grad, strict=True))

    function = type(f"{op.name.capitalize()}Function", (torch.autograd.Function,),
                    {"forward": staticmethod(forward), "backward": staticmethod(backward)})
    apply: Callable[..., Any] = getattr(function, "apply")  # noqa: B009  (made by type(); mypy cannot see it)
    return apply


_TORCH_FUNCTIONS: dict[str, Callable[..., Any]] = {}


def _torch_functions(torch: ModuleType) -> dict[str, Callable[..., Any]]:
    if not _TORCH_FUNCTIONS:
        kind = _TorchTensors(torch)
        _TORCH_FUNCTIONS.update({name: _torch_primitive(torch, op, kind) for name, op in OPS.items()})
    return _TORCH_FUNCTIONS


def to_torch(output: Value, inputs: Sequence[Value]) -> Callable[..., Any]:
    """A function of ``len(inputs)`` torch tensors (or numbers) computing ``output``, by the op table's rules.

    The same as :func:`to_jax` on torch: numbers become float64 tensors, every other
    leaf is a float64 constant at its current ``data``, and ``torch.autograd``
    (``backward()``, ``torch.autograd.grad`` with ``create_graph=True`` to any order)
    gives the engine's gradients.  For example (torch is optional, so this is not a
    doctest; tests/test_bridge.py runs the same where torch is installed)::

        x = Value(2.0); z = x * x + x.sigmoid()
        t = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
        out = to_torch(z, [x])(t); out.backward(); z.backward()
        out.item() == z.data, t.grad.item() == x.grad   # (True, True)
    """
    steps, constants, n = _program(output, inputs, "to_torch")
    torch = _import("torch", "PyTorch", "torch", "to_torch")
    functions = _torch_functions(torch)
    fixed = [torch.tensor(c, dtype=torch.float64) for c in constants]

    def function(*args: Any) -> Any:
        if len(args) != n:
            raise LocalizedTypeError("bridge.argument_count", where="to_torch", n=n, got=len(args))
        tensors = [a if isinstance(a, torch.Tensor) else torch.tensor(a, dtype=torch.float64) for a in args]
        return _run(steps, [*tensors, *fixed], functions)

    return function


# -- a model to torch.nn and back ---------------------------------------------------

_ACTIVATION_MODULES = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid"}


def mlp_to_torch(model: MLP) -> Any:
    """``model`` as a float64 ``torch.nn.Sequential`` of ``Linear`` layers and its activation (see ``MLP.to_torch``)."""
    torch = _import("torch", "PyTorch", "torch", "MLP.to_torch")
    modules: list[Any] = []
    for k, layer in enumerate(model.layers):
        linear = torch.nn.Linear(len(layer.neurons[0].w), len(layer.neurons), dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.tensor([[w.data for w in n.w] for n in layer.neurons], dtype=torch.float64))
            linear.bias.copy_(torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64))
        modules.append(linear)
        if k < len(model.layers) - 1:
            modules.append(getattr(torch.nn, _ACTIVATION_MODULES[model.activation])())
    return torch.nn.Sequential(*modules)


def mlp_from_torch(module: Any, cls: type[MLP]) -> MLP:
    """A new ``cls`` (:class:`~tinygrad_ko.nn.MLP` or a subclass) with the sizes, activation and weights of ``module``.

    See ``MLP.from_torch``, which passes its class: the bridge reads nn's models and never
    imports nn (nn imports the bridge when a model is converted).
    """
    torch = _import("torch", "PyTorch", "torch", "MLP.from_torch")

    if not isinstance(module, torch.nn.Sequential) or len(module) == 0:
        raise LocalizedTypeError("bridge.not_sequential", got=_describe(module))
    linears, activations = list(module)[0::2], list(module)[1::2]
    names = {v: k for k, v in _ACTIVATION_MODULES.items()}
    for i, linear in enumerate(linears):
        if not isinstance(linear, torch.nn.Linear):
            raise LocalizedValueError("bridge.layout_not_linear", k=2 * i, got=type(linear).__name__)
        if linear.bias is None:
            raise LocalizedValueError("bridge.layout_no_bias", k=2 * i)
    kinds = {type(a).__name__ for a in activations}
    if len(module) % 2 == 0 or not kinds <= set(names) or len(kinds) > 1:
        raise LocalizedValueError("bridge.layout_modules", modules=", ".join(type(m).__name__ for m in module))
    for a, b in itertools.pairwise(linears):
        if a.out_features != b.in_features:
            raise LocalizedValueError("bridge.layout_sizes", outputs=a.out_features, inputs=b.in_features)
    activation = names[kinds.pop()] if kinds else "relu"
    model = cls(linears[0].in_features, [linear.out_features for linear in linears], activation, seed=0)
    state: dict[str, float] = {}
    for k, linear in enumerate(linears):
        weight, bias = linear.weight.detach().double().tolist(), linear.bias.detach().double().tolist()
        for j, row in enumerate(weight):
            state.update({f"layers.{k}.neurons.{j}.w.{i}": w for i, w in enumerate(row)})
            state[f"layers.{k}.neurons.{j}.b"] = bias[j]
    model.load_state_dict(state)
    return model
