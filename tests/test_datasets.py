"""tinygrad_ko.datasets: shapes, geometry, determinism, the digits file, and split."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from tinygrad_ko import datasets


@pytest.mark.parametrize(("make", "n", "classes"), [
    (lambda seed: datasets.moons(100, noise=0.1, seed=seed), 100, 2),
    (lambda seed: datasets.moons(7, noise=0.0, seed=seed), 7, 2),
    (lambda seed: datasets.spiral(50, 4, seed=seed), 200, 4),
    (lambda seed: datasets.xor(60, noise=0.05, seed=seed), 60, 2),
])
def test_2d_sets_have_the_shapes_dtypes_and_labels_asked_for(make: object, n: int, classes: int) -> None:
    x, t = make(0)  # type: ignore[operator]
    assert x.shape == (n, 2) and x.dtype == np.float64
    assert t.shape == (n,) and t.dtype == np.int64
    assert set(t.tolist()) == set(range(classes))


@pytest.mark.parametrize("make", [
    lambda seed: datasets.moons(50, 0.1, seed), lambda seed: datasets.spiral(20, 3, seed),
    lambda seed: datasets.xor(50, 0.1, seed)])
def test_same_seed_same_data_other_seed_other_data_global_state_untouched(make: object) -> None:
    state = np.random.get_state()
    (x1, t1), (x2, t2), (x3, _) = make(3), make(3), make(4)  # type: ignore[operator]
    assert np.array_equal(x1, x2) and np.array_equal(t1, t2)
    assert not np.array_equal(x1, x3)
    after = np.random.get_state()
    assert state[0] == after[0] and np.array_equal(state[1], after[1]) and state[2:] == after[2:]


def test_noise_free_moons_lie_on_their_two_half_circles() -> None:
    x, t = datasets.moons(101, noise=0.0, seed=0)
    upper, lower = x[t == 0], x[t == 1]
    assert (len(upper), len(lower)) == (50, 51)
    # Points computed with cos/sin: on the unit circles to within a few ulps.
    assert np.allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0, atol=1e-12) and np.all(upper[:, 1] >= -1e-12)
    assert np.allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0, atol=1e-12)
    assert np.all(lower[:, 1] <= 0.5 + 1e-12)


def test_spiral_arms_have_the_radii_and_angles_of_dezero() -> None:
    n = 100
    x, t = datasets.spiral(n, 3, seed=1)
    radius = np.hypot(x[:, 0], x[:, 1])
    for arm in range(3):
        r = np.sort(radius[t == arm])
        assert np.allclose(r, np.arange(n) / n, atol=1e-12)  # radius i/n, exactly one point each
    # theta = 4j + 4r + N(0, 0.2): the residual angle (mod 2π, away from r = 0) has mean ~0 and sd ~0.2.
    keep = radius > 0.05
    theta = np.arctan2(x[keep, 0], x[keep, 1])
    residual = np.angle(np.exp(1j * (theta - 4.0 * t[keep] - 4.0 * radius[keep])))
    # ~285 samples: the mean's standard error is 0.2/sqrt(285) ≈ 0.012, the sd's ≈ 0.008; 4σ bounds.
    assert abs(residual.mean()) < 0.05 and abs(residual.std() - 0.2) < 0.035


def test_xor_labels_are_the_exclusive_or_of_the_signs_with_a_margin() -> None:
    x, t = datasets.xor(500, noise=0.0, seed=2)
    assert np.all(np.abs(x) >= 0.1) and np.all(np.abs(x) <= 1.0)
    assert np.array_equal(t, ((x[:, 0] > 0) != (x[:, 1] > 0)).astype(np.int64))
    assert 0.4 < t.mean() < 0.6  # both classes well represented (binomial sd ≈ 0.022)


def test_digits_are_the_1797_images_scikit_learn_ships() -> None:
    x, t = datasets.digits()
    assert x.shape == (1797, 64) and x.dtype == np.float64 and t.shape == (1797,)
    assert x.min() == 0.0 and x.max() == 1.0
    assert np.bincount(t).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    raw, _ = datasets.digits(normalize=False)
    assert raw.max() == 16.0 and np.array_equal(raw / 16.0, x)
    # The first image is a 0: a ring of ink around an empty middle.
    first = raw[0].reshape(8, 8)
    assert t[0] == 0 and first[3:5, 3:5].sum() < first[1:7, 1:7].sum() / 10


def test_digits_without_scikit_learn_names_the_pip_command() -> None:
    # A real interpreter in which importing sklearn fails, as on a machine without it.
    code = ("import sys; sys.modules['sklearn'] = None\n"
            "from tinygrad_ko import datasets\n"
            "try:\n    datasets.digits()\n"
            "except datasets.MissingDependencyError as e:\n    print(e)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert "scikit-learn is not installed" in done.stdout
    assert 'pip install "tinygrad_ko[digits]"' in done.stdout


def test_split_holds_out_a_disjoint_shuffled_test_set() -> None:
    x = np.arange(20.0).reshape(10, 2)
    t = np.arange(10)
    (x_train, t_train), (x_test, t_test) = datasets.split(x, t, test_fraction=0.3, seed=0)
    assert (len(x_train), len(x_test)) == (7, 3)
    assert sorted([*t_train.tolist(), *t_test.tolist()]) == list(range(10))
    assert np.array_equal(x_train[:, 0], 2.0 * t_train) and np.array_equal(x_test[:, 0], 2.0 * t_test)
    again = datasets.split(x, t, test_fraction=0.3, seed=0)
    assert np.array_equal(again[1][1], t_test)


@pytest.mark.parametrize(("call", "message"), [
    (lambda: datasets.moons(1), "n .* must be an int >= 2"),
    (lambda: datasets.moons(10, noise=-0.1), "noise must be a finite number >= 0"),
    (lambda: datasets.moons(10, seed=-1), "seed must be an int >= 0"),
    (lambda: datasets.spiral(10, classes=1), "classes must be an int >= 2"),
    (lambda: datasets.xor(0), "n .* must be an int >= 1"),
    (lambda: datasets.split(np.zeros((3, 2)), np.zeros(2)), "3 samples but t has 2"),
    (lambda: datasets.split(np.zeros((3, 2)), np.zeros(3), test_fraction=1.0), "between 0 and 1"),
    (lambda: datasets.split(np.zeros((1, 2)), np.zeros(1)), "too few"),
])
def test_bad_arguments_say_what_was_wrong(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]
