"""Checkers for notebook 02 · Autoencoders.

Each checker takes the learner's function, calls it on known inputs, prints what is right
or wrong (and why) and returns True or False. A blank answer (None) prints "not attempted".
"""

from __future__ import annotations

import numpy as np

from . import call_safely, is_blank, not_attempted, report
from . import check_function as _start
from . import to_array as _array


def check_add_gaussian_noise(add_gaussian_noise) -> bool:
    """Exercise 1: seeded Gaussian noise, clipped to [0, 1], same shape, float32.

    Example: ``ex.check_add_gaussian_noise(my_function)``
    """
    what = "Exercise 1 · Gaussian corruption"
    verdict = _start(what, add_gaussian_noise)
    if verdict is not None:
        return verdict
    grey = np.full((64, 28, 28, 1), 0.5, dtype="float32")
    ok, noisy = call_safely(what, add_gaussian_noise, grey, 0.1, 0)
    if not ok:
        return False
    if is_blank(noisy):
        return not_attempted(what)
    noisy = _array(noisy)
    if noisy is None or noisy.shape != grey.shape:
        return report(False, f"{what}: expected an array of the input's shape {grey.shape}, got "
                             f"{None if noisy is None else noisy.shape}")
    if noisy.dtype != np.float32:
        return report(False, f"{what}: return float32 (got {noisy.dtype}); Keras models expect float32 images.")
    spread = float(np.std(noisy - grey))
    if not 0.09 < spread < 0.11:
        return report(False, f"{what}: on grey images the noise should have a standard deviation of noise_std = 0.1, "
                             f"got {spread:.3f}. Multiply standard normal draws by noise_std (not its square).")
    if abs(float(np.mean(noisy - grey))) > 0.01:
        return report(False, f"{what}: the noise should have mean 0, got {float(np.mean(noisy - grey)):.3f}.")
    ok, again = call_safely(what, add_gaussian_noise, grey, 0.1, 0)
    ok2, other = call_safely(what, add_gaussian_noise, grey, 0.1, 1)
    if not (ok and ok2):
        return False
    if not np.array_equal(_array(again), noisy):
        return report(False, f"{what}: the same seed must give the same noise: use np.random.default_rng(seed).")
    if np.array_equal(_array(other), noisy):
        return report(False, f"{what}: different seeds gave identical noise: draw from np.random.default_rng(seed).")
    ok, strong = call_safely(what, add_gaussian_noise, grey, 2.0, 0)
    if not ok:
        return False
    strong = _array(strong)
    if strong is None or strong.min() < 0 or strong.max() > 1:
        return report(False, f"{what}: pixel values must stay in [0, 1] after the noise: clip them with np.clip(x, 0, 1).")
    return report(True, f"{what}: correct, zero-mean noise of the right size, reproducible, clipped to [0, 1].")


def check_per_image_error(per_image_error) -> bool:
    """Exercise 2: mean squared error per image, shape (N,).

    Example: ``ex.check_per_image_error(my_function)``
    """
    what = "Exercise 2 · reconstruction error per image"
    verdict = _start(what, per_image_error)
    if verdict is not None:
        return verdict
    images = np.zeros((3, 28, 28, 1), dtype="float32")
    reconstructions = images.copy()
    reconstructions[1] = 0.5  # every pixel off by 0.5: MSE 0.25
    reconstructions[2, :14] = 1.0  # half the pixels off by 1: MSE 0.5
    expected = np.array([0.0, 0.25, 0.5])
    ok, answer = call_safely(what, per_image_error, images, reconstructions)
    if not ok:
        return False
    if is_blank(answer):
        return not_attempted(what)
    given = _array(answer)
    if given is None or given.shape != expected.shape:
        return report(False, f"{what}: expected one number per image, shape {expected.shape}, got "
                             f"{None if given is None else given.shape}. Average over every axis except the first.")
    if np.allclose(given, expected * 784):
        return report(False, f"{what}: these are sums over pixels; take the mean so the score does not depend on image size.")
    if np.allclose(given, np.sqrt(expected)):
        return report(False, f"{what}: that is the root of the mean squared error; leave out the square root.")
    if not np.allclose(given.astype("float64"), expected, atol=1e-6):
        return report(False, f"{what}: expected {expected.tolist()}, got {np.round(given.astype('float64'), 4).tolist()}.")
    return report(True, f"{what}: correct, one mean squared error per image.")


def check_roc_auc(roc_auc) -> bool:
    """Exercise 3: ROC AUC as P(anomaly score > normal score) + 0.5 P(tie).

    Example: ``ex.check_roc_auc(my_function)``
    """
    what = "Exercise 3 · ROC AUC by hand"
    verdict = _start(what, roc_auc)
    if verdict is not None:
        return verdict
    cases = [
        ("perfect separation", np.array([0.1, 0.2, 0.3]), np.array([0.5, 0.9]), 1.0),
        ("reversed scores", np.array([0.5, 0.9]), np.array([0.1, 0.2, 0.3]), 0.0),
        ("all tied", np.array([1.0, 1.0]), np.array([1.0, 1.0, 1.0]), 0.5),
        # pairs: 3 > 1, 3 > 2, 3 = 3 (half), 2 > 1, 2 = 2 (half), 2 < 3 -> (1 + 1 + 0.5 + 1 + 0.5 + 0) / 6
        ("mixed with ties", np.array([1.0, 2.0, 3.0]), np.array([3.0, 2.0]), 4.0 / 6.0),
    ]
    for name, normal, anomalous, expected in cases:
        ok, answer = call_safely(what, roc_auc, normal, anomalous)
        if not ok:
            return False
        if is_blank(answer):
            return not_attempted(what)
        given = _array(answer)
        if given is None or given.size != 1:
            return report(False, f"{what}: expected one number, got {answer!r}")
        value = float(given)
        if not np.isclose(value, expected, atol=1e-9):
            hint = "Count pairs where the anomaly scores higher, plus half the ties, divided by the number of pairs."
            if not np.isclose(expected, 0.5) and np.isclose(value, 1.0 - expected):
                hint = "The argument order matters: the first argument holds normal scores, the second anomaly scores."
            if "tie" in name and np.isclose(value, 0.0) or (name == "mixed with ties" and np.isclose(value, 3 / 6)):
                hint = "Ties count as one half."
            return report(False, f"{what} ({name}): expected {expected:.3f}, got {value:.3f}. {hint}")
    return report(True, f"{what}: correct, including ties, which count one half.")
