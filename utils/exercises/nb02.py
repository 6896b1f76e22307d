"""Checkers for notebook 02 · Autoencoders.

Each checker takes the learner's function, calls it on known inputs, prints what is right
or wrong (and why) and returns True or False. A blank answer (None) prints "not attempted".
"""

from __future__ import annotations

import numpy as np

from . import call_safely, is_blank, not_attempted, report
from . import check_function as _start
from . import to_array as _array


def _noise_of(what: str, add_gaussian_noise, images: np.ndarray, noise_std: float, seed: int):
    """Call the learner's function on a copy of ``images``; the noise it added, or a verdict (bool) to return."""
    given_images = images.copy()
    ok, noisy = call_safely(what, add_gaussian_noise, given_images, noise_std, seed)
    if not ok:
        return False
    if is_blank(noisy):
        return not_attempted(what)
    noisy = _array(noisy)
    if noisy is None or noisy.shape != images.shape:
        return report(False, f"{what}: expected an array of the input's shape {images.shape}, got "
                             f"{None if noisy is None else noisy.shape}")
    if not np.array_equal(given_images, images):
        return report(False, f"{what}: your function changed its input images in place (e.g. images += noise); the clean "
                             "images are the training targets, so return a new array and leave the input untouched.")
    if noisy.dtype != np.float32:
        return report(False, f"{what}: return float32 (got {noisy.dtype}); Keras models expect float32 images.")
    return noisy


def check_add_gaussian_noise(add_gaussian_noise) -> bool:
    """Exercise 1: seeded Gaussian noise, clipped to [0, 1], same shape, float32.

    Example: ``ex.check_add_gaussian_noise(my_function)``
    """
    what = "Exercise 1 · Gaussian corruption"
    verdict = _start(what, add_gaussian_noise)
    if verdict is not None:
        return verdict
    grey = np.full((64, 28, 28, 1), 0.5, dtype="float32")  # far from 0 and 1, so clipping hardly touches noise of std <= 0.1
    for noise_std in (0.1, 0.05):
        noisy = _noise_of(what, add_gaussian_noise, grey, noise_std, 0)
        if isinstance(noisy, bool):
            return noisy
        noise = noisy.astype("float64") - grey
        mean, spread = float(np.mean(noise)), float(np.std(noise))
        if abs(mean) > 0.1 * noise_std:
            return report(False, f"{what}: the noise should have mean 0, got {mean:.3f} (rng.random and rng.uniform(0, 1) draw "
                                 "only positive numbers; use rng.standard_normal).")
        if not 0.9 * noise_std < spread < 1.1 * noise_std:
            if np.isclose(spread, noise_std**2, rtol=0.1):
                hint = "You used noise_std ** 2 (the variance); multiply standard normal draws by noise_std itself."
            elif np.isclose(spread, np.sqrt(noise_std), rtol=0.1):
                hint = "noise_std is already the standard deviation: do not take its square root."
            elif noise_std != 0.1 and np.isclose(spread, 0.1, rtol=0.1):
                hint = "It looks like the 0.1 is hard-coded; use the noise_std argument."
            else:
                hint = "Multiply standard normal draws (mean 0, std 1) by noise_std."
            return report(False, f"{what}: with noise_std = {noise_std} the noise on grey images should have a standard deviation "
                                 f"of {noise_std}, got {spread:.4f}. {hint}")
        excess_kurtosis = float(np.mean((noise - mean) ** 4) / spread**4 - 3.0)  # 0 for a Gaussian, -1.2 for uniform noise
        if abs(excess_kurtosis) > 0.2:
            shape = "flat-topped like uniform noise" if excess_kurtosis < 0 else "heavy-tailed"
            return report(False, f"{what}: the noise has the right size but is not Gaussian: its distribution is {shape} "
                                 f"(excess kurtosis {excess_kurtosis:.2f}; a Gaussian has 0, uniform noise -1.2). "
                                 "Draw it with rng.standard_normal(shape) or rng.normal(0, noise_std, shape).")
    first = _noise_of(what, add_gaussian_noise, grey, 0.1, 0)
    again = _noise_of(what, add_gaussian_noise, grey, 0.1, 0)
    other = _noise_of(what, add_gaussian_noise, grey, 0.1, 1)
    for result in (first, again, other):
        if isinstance(result, bool):
            return result
    if not np.array_equal(again, first):
        return report(False, f"{what}: the same seed must give the same noise: use np.random.default_rng(seed).")
    if np.array_equal(other, first):
        return report(False, f"{what}: different seeds gave identical noise: draw from np.random.default_rng(seed).")
    strong = _noise_of(what, add_gaussian_noise, grey, 2.0, 0)
    if isinstance(strong, bool):
        return strong
    if strong.min() < 0 or strong.max() > 1:
        return report(False, f"{what}: pixel values must stay in [0, 1] after the noise: clip them with np.clip(x, 0, 1).")
    return report(True, f"{what}: correct, zero-mean Gaussian noise of the right size, reproducible, clipped to [0, 1].")


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
    ok, answer = call_safely(what, per_image_error, images.copy(), reconstructions.copy())
    if not ok:
        return False
    if is_blank(answer):
        return not_attempted(what)
    given = _array(answer, "float64") if not isinstance(answer, str) else None
    if given is None or given.shape != expected.shape:
        return report(False, f"{what}: expected one number per image, shape {expected.shape}, got "
                             f"{None if given is None else given.shape}. Average over every axis except the first (axis=(1, 2, 3)).")
    if np.allclose(given, expected, atol=1e-6):
        return report(True, f"{what}: correct, one mean squared error per image.")
    wrong = [
        (expected * 784, "these are sums over pixels; take the mean so the score does not depend on image size."),
        (np.sqrt(expected), "that is the root of the mean squared error; leave out the square root."),
        (np.array([0.0, 0.5, 0.5]), "that is the mean ABSOLUTE error; square the differences before averaging."),
        (np.array([0.0, 0.25, 0.25]), "you squared the difference of the image means; square each pixel's difference, then average."),
    ]
    for wrong_value, message in wrong:
        if np.allclose(given, wrong_value, atol=1e-6):
            return report(False, f"{what}: {message}")
    return report(False, f"{what}: expected {expected.tolist()}, got {np.round(given, 4).tolist()}.")


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
        given = None if isinstance(answer, str) else _array(answer, "float64")
        if given is None or given.size != 1:
            return report(False, f"{what}: expected one number, got {answer!r}")
        value = float(given.reshape(()))
        if not np.isclose(value, expected, atol=1e-9):
            hint = "Count pairs where the anomaly scores higher, plus half the ties, divided by the number of pairs."
            if not np.isclose(expected, 0.5) and np.isclose(value, 1.0 - expected):
                hint = "The argument order matters: the first argument holds normal scores, the second anomaly scores."
            if name == "all tied" and np.isclose(value, 0.0) or (name == "mixed with ties" and np.isclose(value, 3 / 6)):
                hint = "Ties count as one half (you left them out: use > plus 0.5 times ==)."
            if name == "all tied" and np.isclose(value, 1.0) or (name == "mixed with ties" and np.isclose(value, 5 / 6)):
                hint = "Ties count as one half, not as a whole win (>= counts them fully: use > plus 0.5 times ==)."
            if not np.isclose(expected, 0.0) and np.isclose(value, expected * len(normal) * len(anomalous)):
                hint = "That is a count of pairs; divide by the number of pairs, len(normal) * len(anomaly), for a probability."
            return report(False, f"{what} ({name}): expected {expected:.3f}, got {value:.3f}. {hint}")
    return report(True, f"{what}: correct, including ties, which count one half.")
