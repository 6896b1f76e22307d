"""Checkers for notebook 06 · DCGAN on handwritten digits."""

from __future__ import annotations

import numpy as np

from . import attempt, check_function, report


def check_transposed_size(function) -> bool:
    """Exercise 1: ``function(size, kernel, stride)`` -> output size of Conv2DTranspose with padding="same"."""
    what = "Exercise 1 (transposed convolution output size)"
    verdict = check_function(what, function, "(size, kernel, stride) -> int")
    if verdict is not None:
        return verdict
    for size, kernel, stride in [(7, 4, 2), (14, 4, 2), (7, 5, 1), (4, 3, 3), (1, 4, 2)]:
        status, value = attempt(what, function, size, kernel, stride)
        if status != "ok":
            return False
        if int(np.asarray(value)) != size * stride:
            return report(False, f"{what}: for size {size}, kernel {kernel}, stride {stride} you gave {value}, Keras gives "
                                 f"{size * stride}. With padding='same' the kernel size does not change the output size: "
                                 "each input pixel spreads into a stride x stride block.")
    return report(True, f"{what}: correct: size x stride, so 7 -> 14 -> 28 takes two stride-2 layers.")


def check_to_unit_range(function) -> bool:
    """Exercise 2: map the generator's tanh output in [-1, 1] to pixels in [0, 1]."""
    what = "Exercise 2 (tanh output to pixels)"
    verdict = check_function(what, function, "images -> images")
    if verdict is not None:
        return verdict
    values = np.array([-1.0, -0.5, 0.0, 0.5, 1.0], "float32").reshape(1, 5, 1, 1)
    status, result = attempt(what, function, values)
    if status != "ok":
        return False
    result = np.asarray(result, "float64")
    if result.shape != values.shape:
        return report(False, f"{what}: the shape changed from {values.shape} to {result.shape}")
    if not np.allclose(result.ravel(), [0, 0.25, 0.5, 0.75, 1.0], atol=1e-5):
        return report(False, f"{what}: -1, -0.5, 0, 0.5, 1 became {np.round(result.ravel(), 3).tolist()}; expected "
                             "0, 0.25, 0.5, 0.75, 1 (shift by 1, then halve).")
    return report(True, f"{what}: correct; the metrics reject images outside [0, 1], so this step matters.")


def check_ema_update(function) -> bool:
    """Exercise 3: ``function(average, new, decay)`` -> one exponential-moving-average update."""
    what = "Exercise 3 (moving average of weights)"
    verdict = check_function(what, function, "(average, new, decay) -> new average")
    if verdict is not None:
        return verdict
    average, new = np.array([1.0, 2.0, -1.0]), np.array([3.0, 2.0, 1.0])
    for decay in (0.9, 0.5, 0.999):
        status, result = attempt(what, function, average, new, decay)
        if status != "ok":
            return False
        expected = decay * average + (1 - decay) * new
        if not np.allclose(np.asarray(result, "float64"), expected, atol=1e-6):
            swapped = (1 - decay) * average + decay * new
            hint = (" The weights are swapped: the *old average* keeps the large share `decay`."
                    if np.allclose(np.asarray(result, "float64"), swapped, atol=1e-6) else "")
            return report(False, f"{what}: decay {decay} gave {np.round(np.asarray(result, 'float64'), 4).tolist()}, "
                                 f"expected {np.round(expected, 4).tolist()}.{hint}")
    return report(True, f"{what}: correct; with decay 0.999 the average spans roughly the last 1,000 steps.")
