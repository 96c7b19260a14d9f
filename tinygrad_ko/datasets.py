"""Small data sets to train on: moons, spiral, xor (made with numpy) and the 8×8 digits.

Each function returns ``(x, t)``: inputs ``x`` as a float64 array of shape
``(n, features)`` and labels ``t`` as an int64 array of shape ``(n,)``, the
book's names for data and 정답 레이블.  The 2-D sets are generated from a
``seed`` with numpy's ``default_rng``: the same seed gives the same arrays on
every machine, and the global numpy random state is never touched.

>>> x, t = moons(100, noise=0.1, seed=0)
>>> x.shape, t.shape, sorted(set(t.tolist()))
((100, 2), (100,), [0, 1])
>>> (x_train, t_train), (x_test, t_test) = split(x, t, test_fraction=0.25, seed=0)
>>> len(x_train), len(x_test)
(75, 25)
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np
import numpy.typing as npt

from .messages import LocalizedError, LocalizedValueError

__all__ = ["DIGITS_INSTALL", "MissingDependencyError", "digits", "moons", "spiral", "split", "xor"]

Array = npt.NDArray[Any]
Data = tuple[Array, Array]

#: The pip command that installs what :func:`digits` needs.
DIGITS_INSTALL = 'pip install "tinygrad_ko[digits]"  (or: pip install scikit-learn)'


class MissingDependencyError(LocalizedError, ImportError):
    """A data set or a bridge needs a package that is not installed; the message names the pip command."""


def _count(n: object, what: str, where: str, least: int = 1) -> int:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or int(n) < least:
        raise LocalizedValueError("learning.count", where=where, what=what, least=least, got=n)
    return int(n)


def _noise(noise: object, where: str) -> float:
    if isinstance(noise, bool) or not isinstance(noise, numbers.Real) or not 0.0 <= float(noise) < math.inf:
        raise LocalizedValueError("learning.noise", where=where, got=noise)
    return float(noise)


def _generator(seed: object, where: str) -> np.random.Generator:
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or int(seed) < 0:
        raise LocalizedValueError("learning.dataset_seed", where=where, got=seed)
    return np.random.default_rng(int(seed))


def _shuffled(rng: np.random.Generator, x: Array, t: Array) -> Data:
    order = rng.permutation(len(x))
    return x[order], t[order].astype(np.int64)


def moons(n: int = 100, noise: float = 0.1, seed: int = 0) -> Data:
    """Two interleaving half circles, labels 0 (upper) and 1 (lower), as scikit-learn's ``make_moons``.

    ``n // 2`` points on the upper moon, the rest on the lower one, Gaussian
    noise of standard deviation ``noise`` added to both coordinates, then
    shuffled.  micrograd's demo trains on ``moons(100, noise=0.1)`` (with
    labels mapped to -1/+1 for its hinge loss).
    """
    n = _count(n, "n (the number of points)", "moons", least=2)
    noise = _noise(noise, "moons")
    rng = _generator(seed, "moons")
    upper, lower = n // 2, n - n // 2
    a = np.linspace(0.0, math.pi, upper)
    b = np.linspace(0.0, math.pi, lower)
    x = np.concatenate([np.stack([np.cos(a), np.sin(a)], axis=1),
                        np.stack([1.0 - np.cos(b), 0.5 - np.sin(b)], axis=1)])
    t = np.concatenate([np.zeros(upper), np.ones(lower)])
    x = x + rng.normal(0.0, noise, size=x.shape) if noise else x
    return _shuffled(rng, x, t)


def spiral(n_per_class: int = 100, classes: int = 3, seed: int = 0) -> Data:
    """DeZero's spiral: ``classes`` arms of ``n_per_class`` points each, label = arm.

    Point ``i`` of arm ``j`` sits at radius ``i / n_per_class`` and angle
    ``4j + 4·i/n_per_class`` plus Gaussian noise of 0.2 radians, at
    ``(r·sin θ, r·cos θ)``; then the points are shuffled.
    """
    n_per_class = _count(n_per_class, "n_per_class", "spiral")
    classes = _count(classes, "classes", "spiral", least=2)
    rng = _generator(seed, "spiral")
    rate = np.tile(np.arange(n_per_class) / n_per_class, classes)
    arm = np.repeat(np.arange(classes), n_per_class)
    theta = arm * 4.0 + 4.0 * rate + rng.standard_normal(len(rate)) * 0.2
    x = np.stack([rate * np.sin(theta), rate * np.cos(theta)], axis=1)
    return _shuffled(rng, x, arm)


def xor(n: int = 200, noise: float = 0.0, seed: int = 0) -> Data:
    """Points in the square [-1, 1]², label 1 where the coordinates' signs differ (exclusive or).

    Each coordinate's size is drawn from [0.1, 1] with a random sign, so a
    margin of 0.1 keeps the four quadrants apart; ``noise`` then adds Gaussian
    jitter of that standard deviation (which may carry points across).
    No single straight line separates the classes: the problem that needs a
    hidden layer.
    """
    n = _count(n, "n (the number of points)", "xor")
    noise = _noise(noise, "xor")
    rng = _generator(seed, "xor")
    x = rng.uniform(0.1, 1.0, size=(n, 2)) * rng.choice([-1.0, 1.0], size=(n, 2))
    t = (x[:, 0] > 0) != (x[:, 1] > 0)
    x = x + rng.normal(0.0, noise, size=x.shape) if noise else x
    return x, t.astype(np.int64)


def digits(normalize: bool = True) -> Data:
    """The 1,797 handwritten digits, 8×8 pixels, that scikit-learn ships inside its package.

    The stand-in for the book's MNIST (nothing is downloaded: the file is part
    of scikit-learn).  ``x`` has shape ``(1797, 64)``, each row one image
    flattened; with ``normalize`` (the default, as the book's ``load_mnist``)
    the pixel values 0..16 are divided by 16 into [0, 1].  ``t`` holds the
    digits 0..9.  Needs scikit-learn: ``pip install "tinygrad_ko[digits]"``.
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise MissingDependencyError("learning.digits_missing", install=DIGITS_INSTALL) from None
    bunch = load_digits()
    x = np.asarray(bunch.data, dtype=np.float64)
    return (x / 16.0 if normalize else x), np.asarray(bunch.target, dtype=np.int64)


def split(x: Array, t: Array, test_fraction: float = 0.2, seed: int = 0) -> tuple[Data, Data]:
    """Shuffle and split into ``(x_train, t_train), (x_test, t_test)``, as the book's ``load_mnist`` returns.

    ``round(len(x) * test_fraction)`` samples (at least one) are held out for
    testing (시험 데이터); the rest are for training (훈련 데이터).
    """
    x, t = np.asarray(x), np.asarray(t)
    if len(x) != len(t):
        raise LocalizedValueError("learning.split_lengths", n_x=len(x), n_t=len(t))
    if isinstance(test_fraction, bool) or not isinstance(test_fraction, numbers.Real) \
            or not 0.0 < float(test_fraction) < 1.0:
        raise LocalizedValueError("learning.split_fraction", got=test_fraction)
    n_test = max(1, round(len(x) * float(test_fraction)))
    if n_test >= len(x):
        raise LocalizedValueError("learning.split_too_few", n=len(x), n_test=n_test)
    order = _generator(seed, "split").permutation(len(x))
    test, train = order[:n_test], order[n_test:]
    return (x[train], t[train]), (x[test], t[test])
