"""Optimizers: move each parameter (매개변수) against its gradient (기울기).

The update rules are PyTorch's (``torch.optim.SGD`` and ``torch.optim.Adam``,
as their documentation states them), applied to Values' ``data`` with their
``grad``; the tests compare step by step with PyTorch when it is installed.

>>> from tinygrad_ko import Value
>>> w = Value(3.0)
>>> opt = SGD([w], lr=0.1)
>>> loss = w * w            # d(loss)/dw = 2w = 6
>>> opt.zero_grad(); loss.backward(); opt.step()
>>> round(w.data, 12)       # 3 - 0.1 * 6
2.4
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable

from .engine import Value
from .messages import LocalizedTypeError, LocalizedValueError

__all__ = ["SGD", "Adam", "Optimizer"]


def _hyper(value: object, name: str, where: str, *, upper: float = math.inf, upper_open: bool = False,
           positive: bool = False) -> float:
    """A hyper-parameter as a float in [0, upper] (or [0, upper); (0, ...) if ``positive``), else a ValueError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise LocalizedValueError("learning.hyper_not_number", where=where, name=name, got=value,
                                  type=type(value).__name__)
    try:
        x = float(value)
    except OverflowError:  # an int such as 10**400
        raise LocalizedValueError("learning.hyper_too_large", where=where, name=name, digits=len(str(value))) from None
    inside = 0.0 <= x < upper if upper_open else 0.0 <= x <= upper
    if positive and x == 0.0:
        raise LocalizedValueError("learning.hyper_positive", where=where, name=name, got=value)
    if not inside or math.isinf(x):
        if upper == math.inf and not upper_open:
            raise LocalizedValueError("learning.hyper_finite", where=where, name=name, got=value)
        interval = f"[0, {upper:g})" if upper_open else f"[0, {upper:g}]"
        raise LocalizedValueError("learning.hyper_interval", where=where, name=name, interval=interval, got=value)
    return x


class Optimizer:
    """What every optimizer shares: its parameters, an assignable ``lr`` and ``zero_grad()``."""

    def __init__(self, params: Iterable[Value], lr: float) -> None:
        where = type(self).__name__
        if isinstance(params, Value):
            raise LocalizedTypeError("learning.params_one_value", where=where)
        self.params: list[Value] = list(params)
        if not self.params:
            raise LocalizedValueError("learning.params_empty", where=where)
        for p in self.params:
            if not isinstance(p, Value):
                raise LocalizedTypeError("learning.params_not_value", where=where, got=type(p).__name__)
        if len({id(p) for p in self.params}) != len(self.params):
            # Each step would move a repeated parameter twice.
            raise LocalizedValueError("learning.params_repeated", where=where)
        self.lr = lr

    @property
    def lr(self) -> float:
        """The learning rate (학습률); assign to it to change the rate between steps (a schedule)."""
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = _hyper(value, "lr (the learning rate)", type(self).__name__)

    def zero_grad(self) -> None:
        """Set every parameter's ``grad`` to 0.0: gradients accumulate across ``backward()`` calls."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """Update every parameter from its ``grad`` (subclasses define how)."""
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent (확률적 경사 하강법) with PyTorch's momentum and weight decay.

    For each parameter ``p`` with gradient ``g``, as ``torch.optim.SGD``
    (no dampening, no Nesterov)::

        g ← g + weight_decay · p
        v ← g                      (first step)
        v ← momentum · v + g       (later steps; only when momentum > 0)
        p ← p - lr · v

    With ``momentum=0`` this is the book's ``p -= lr * grad``.

    >>> from tinygrad_ko import Value
    >>> w = Value(1.0)
    >>> opt = SGD([w], lr=0.5, momentum=0.9)
    >>> for _ in range(2):
    ...     opt.zero_grad(); (w * 2.0).backward(); opt.step()   # g = 2 each time
    >>> w.data   # 1 - 0.5·2 - 0.5·(0.9·2 + 2)
    -1.9
    """

    def __init__(self, params: Iterable[Value], lr: float, momentum: float = 0.0, weight_decay: float = 0.0) -> None:
        super().__init__(params, lr)
        self.momentum = _hyper(momentum, "momentum", "SGD")
        self.weight_decay = _hyper(weight_decay, "weight_decay", "SGD")
        self.velocity: list[float] | None = None  # PyTorch's momentum_buffer, made at the first step

    def step(self) -> None:
        """One update of every parameter from its current ``grad``."""
        lr, mu, wd, params = self._lr, self.momentum, self.weight_decay, self.params
        # All or nothing: every new number is computed before any is stored, so a step that
        # fails (a grad that is not a number) moves no parameter and leaves the velocity as it was.
        gradients = [p.grad + wd * p.data if wd else p.grad for p in params]
        if mu == 0.0:
            moved = [p.data - lr * g for p, g in zip(params, gradients, strict=True)]
        else:
            velocity = (gradients if self.velocity is None else
                        [mu * v + g for v, g in zip(self.velocity, gradients, strict=True)])
            moved = [p.data - lr * v for p, v in zip(params, velocity, strict=True)]
            self.velocity = velocity
        for p, data in zip(params, moved, strict=True):
            p.data = data


class Adam(Optimizer):
    """Adam (Kingma & Ba) with bias correction, as ``torch.optim.Adam`` (no weight decay, no AMSGrad).

    For each parameter at step ``t = 1, 2, ...`` with gradient ``g``::

        m ← β1·m + (1 - β1)·g          v ← β2·v + (1 - β2)·g²
        m̂ = m / (1 - β1ᵗ)              v̂ = v / (1 - β2ᵗ)
        p ← p - lr · m̂ / (√v̂ + eps)

    computed in PyTorch's arrangement (``lr / (1 - β1ᵗ)`` as one step size,
    ``√v / √(1 - β2ᵗ) + eps`` as the denominator), so the two agree to the
    last bits, not just to the formula.

    >>> from tinygrad_ko import Value
    >>> w = Value(1.0)
    >>> opt = Adam([w], lr=0.1)
    >>> opt.zero_grad(); (w * w).backward(); opt.step()
    >>> round(w.data, 9)   # the first step moves by lr·sign(g)
    0.9
    """

    def __init__(self, params: Iterable[Value], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8) -> None:
        super().__init__(params, lr)
        # A list or tuple only: a generator would be used up by looking at it.
        if not isinstance(betas, (list, tuple)) or len(betas) != 2:
            raise LocalizedValueError("learning.adam_betas", got=betas)
        beta1, beta2 = betas
        self.betas = (_hyper(beta1, "betas[0]", "Adam", upper=1.0, upper_open=True),
                      _hyper(beta2, "betas[1]", "Adam", upper=1.0, upper_open=True))
        # eps > 0: it keeps the denominator √v̂ + eps away from 0 (a parameter whose gradient
        # has always been 0 would divide 0 by 0).
        self.eps = _hyper(eps, "eps", "Adam", positive=True)
        self.t = 0
        self.m = [0.0] * len(self.params)  # PyTorch's exp_avg
        self.v = [0.0] * len(self.params)  # PyTorch's exp_avg_sq

    def step(self) -> None:
        """One update of every parameter from its current ``grad``."""
        t = self.t + 1
        beta1, beta2 = self.betas
        step_size = self._lr / (1.0 - beta1**t)
        correction2_sqrt = (1.0 - beta2**t) ** 0.5
        eps, sqrt = self.eps, math.sqrt
        weight = 1.0 - beta1
        # All or nothing: the new moments and parameters are computed first and stored only
        # when every one of them was, so a step that fails changes nothing (t included).
        m, v, moved = [], [], []
        for mi, vi, p in zip(self.m, self.v, self.params, strict=True):
            g = p.grad
            # torch's exp_avg.lerp_(grad, 1 - beta1), in the form lerp uses for that weight.
            mi = mi + weight * (g - mi) if weight < 0.5 else g - (g - mi) * beta1
            vi = vi * beta2 + (1.0 - beta2) * g * g
            m.append(mi)
            v.append(vi)
            moved.append(p.data - step_size * (mi / (sqrt(vi) / correction2_sqrt + eps)))
        self.t, self.m, self.v = t, m, v
        for p, data in zip(self.params, moved, strict=True):
            p.data = data
