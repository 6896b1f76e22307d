"""Checkers for notebook 06 · DCGAN on handwritten digits."""

from __future__ import annotations

import numpy as np

from . import as_number, attempt, check_function, report, to_array


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
        case = f"for size {size}, kernel {kernel}, stride {stride}"
        number = as_number(what, value, hint=f"Return the output height as one whole number ({case} Keras gives {size * stride}).")
        if number is None:
            return False
        if number == size * stride:
            continue
        if number != round(number):
            return report(False, f"{what}: {case} you gave {number:g}; a size is a whole number of pixels, Keras gives {size * stride}.")
        wrong = [
            ((size - 1) * stride + kernel, "That is the size with padding='valid'; with padding='same' the kernel size drops out."),
            (-(-size // stride), "That is the output of a (downsampling) Conv2D; a transposed convolution multiplies by the stride."),
            (size * kernel, "The stride sets the growth, not the kernel size: size * stride."),
            (size, "The size must grow: each input pixel spreads into a stride x stride block."),
        ]
        hint = next((message for wrong_value, message in wrong if number == wrong_value),
                    "With padding='same' the kernel size does not change the output size: each input pixel spreads into a "
                    "stride x stride block.")
        return report(False, f"{what}: {case} you gave {number:g}, Keras gives {size * stride}. {hint}")
    return report(True, f"{what}: correct: size x stride, so 7 -> 14 -> 28 takes two stride-2 layers.")


def check_to_unit_range(function) -> bool:
    """Exercise 2: map the generator's tanh output in [-1, 1] to pixels in [0, 1]."""
    what = "Exercise 2 (tanh output to pixels)"
    verdict = check_function(what, function, "images -> images")
    if verdict is not None:
        return verdict
    # a batch spanning the whole range, then a dark batch that does not (a per-batch rescaling would stretch it)
    for values in ([-1.0, -0.5, 0.0, 0.5, 1.0], [-1.0, -0.9, -0.8, -0.6, -0.5]):
        images = np.array(values, "float32").reshape(1, 5, 1, 1)
        status, result = attempt(what, function, images.copy())
        if status != "ok":
            return False
        array = to_array(result, "float64") if not isinstance(result, str) else None
        if array is None:
            return report(False, f"{what}: expected an array of images, got {type(result).__name__}")
        result = array
        if result.shape != images.shape:
            return report(False, f"{what}: the shape changed from {images.shape} to {result.shape}")
        expected = (images.astype("float64") + 1) / 2
        if np.allclose(result, expected, atol=1e-5):
            continue
        given = result.ravel()
        wrong = [
            (images, "the values are unchanged; shift by 1, then halve: (x + 1) / 2."),
            (images / 2, "halving alone gives [-0.5, 0.5]; shift by 1 first: (x + 1) / 2."),
            (images + 1, "shifting alone gives [0, 2]; halve as well: (x + 1) / 2."),
            (np.clip(images, 0, 1), "clipping throws away every negative value; rescale instead: (x + 1) / 2."),
            (expected * 255, "that is [0, 255]; the metrics expect pixels in [0, 1]: (x + 1) / 2."),
            ((images - images.min()) / (images.max() - images.min()), "you rescaled by the batch's own minimum and maximum, so a "
             "dark batch comes out as bright as any other; the map must be fixed: (x + 1) / 2."),
        ]
        hint = next((message for wrong_value, message in wrong if np.allclose(given, np.ravel(wrong_value), atol=1e-5)),
                    "expected (x + 1) / 2.")
        return report(False, f"{what}: {np.round(images.ravel().astype('float64'), 3).tolist()} became {np.round(given, 3).tolist()}; "
                             f"expected {np.round(expected.ravel(), 3).tolist()}: {hint}")
    return report(True, f"{what}: correct; the metrics reject images outside [0, 1], so this step matters.")


def check_ema_update(function) -> bool:
    """Exercise 3: ``function(average, new, decay)`` -> one exponential-moving-average update."""
    what = "Exercise 3 (moving average of weights)"
    verdict = check_function(what, function, "(average, new, decay) -> new average")
    if verdict is not None:
        return verdict
    average, new = np.array([1.0, 2.0, -1.0]), np.array([3.0, 2.0, 1.0])
    for decay in (0.9, 0.5, 0.999):
        status, result = attempt(what, function, average.copy(), new.copy(), decay)  # copies: an in-place update is fine
        if status != "ok":
            return False
        result = to_array(result, "float64") if not isinstance(result, str) else None
        if result is None or result.shape != average.shape:
            return report(False, f"{what}: expected an array of shape {average.shape}, got "
                                 f"{'a non-array' if result is None else result.shape}")
        expected = decay * average + (1 - decay) * new
        if np.allclose(result, expected, atol=1e-6):
            continue
        wrong = [
            ((1 - decay) * average + decay * new, "The weights are swapped: the *old average* keeps the large share `decay`."),
            (new, "You returned the new weights; the average moves only a (1 - decay) step towards them."),
            (average, "You returned the old average unchanged; move it a (1 - decay) step towards the new weights."),
            (0.999 * average + 0.001 * new, "It looks like decay = 0.999 is hard-coded; use the decay argument."),
        ]
        hint = next((message for wrong_value, message in wrong if np.allclose(result, wrong_value, atol=1e-6)), "")
        return report(False, f"{what}: decay {decay} gave {np.round(result, 4).tolist()}, "
                             f"expected {np.round(expected, 4).tolist()}. {hint}".strip())
    return report(True, f"{what}: correct; with decay 0.999 the average spans roughly the last 1,000 steps.")
