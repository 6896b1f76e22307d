"""Checkers for notebook 04 · Conditional VAE.

Each checker takes the learner's function, calls it on known inputs, prints what is right
or wrong (and why) and returns True or False. A blank answer (None) prints "not attempted".
"""

from __future__ import annotations

import numpy as np

from . import call_safely, is_blank, not_attempted, report
from . import check_function as _start


def check_condition_latents(condition_latents) -> bool:
    """Exercise 1: latents with the one-hot label appended on the right.

    Example: ``ex.check_condition_latents(my_function)``
    """
    what = "Exercise 1 · conditioned decoder input"
    verdict = _start(what, condition_latents)
    if verdict is not None:
        return verdict
    z = np.array([[0.5, -1.0], [2.0, 0.0], [0.0, 3.0]], dtype="float32")
    labels = np.array([2, 0, 3])
    expected = np.array([[0.5, -1.0, 0, 0, 1, 0], [2.0, 0.0, 1, 0, 0, 0], [0.0, 3.0, 0, 0, 0, 1]], dtype="float32")
    ok, answer = call_safely(what, condition_latents, z, labels, 4)
    if not ok:
        return False
    if is_blank(answer):
        return not_attempted(what)
    given = np.asarray(answer.numpy() if hasattr(answer, "numpy") else answer)
    if given.shape != expected.shape:
        return report(False, f"{what}: expected shape {expected.shape} (batch, latent + num_classes), got {given.shape}. "
                             "Concatenate along axis 1, not axis 0.")
    if np.allclose(given, np.concatenate([expected[:, 2:], z], axis=1)):
        return report(False, f"{what}: the one-hot part comes first; put the latents first and the one-hot on the right.")
    if not np.allclose(given[:, :2], z):
        return report(False, f"{what}: the first columns must be z unchanged.")
    if not np.allclose(given[:, 2:], expected[:, 2:]):
        return report(False, f"{what}: the one-hot columns are wrong, e.g. row 0 (label 2) gave {given[0, 2:].tolist()}, "
                             f"expected {expected[0, 2:].tolist()}.")
    if given.dtype != np.float32:
        return report(False, f"{what}: values are right, but the dtype is {given.dtype}; Keras layers expect float32.")
    return report(True, f"{what}: correct, [z | one-hot(label)], shape {expected.shape}.")


def check_per_class_accuracy(per_class_accuracy) -> bool:
    """Exercise 2: per requested class, the share read as that class (NaN if never requested).

    Example: ``ex.check_per_class_accuracy(my_function)``
    """
    what = "Exercise 2 · accuracy per requested class"
    verdict = _start(what, per_class_accuracy)
    if verdict is not None:
        return verdict
    requested = np.array([0, 0, 0, 0, 1, 1, 2, 2, 2, 2])
    predicted = np.array([0, 0, 0, 1, 1, 2, 2, 2, 0, 2])
    expected = np.array([0.75, 0.5, 0.75, np.nan])
    ok, answer = call_safely(what, per_class_accuracy, predicted, requested, 4)
    if not ok:
        return False
    if is_blank(answer):
        return not_attempted(what)
    try:
        given = np.asarray(answer, dtype="float64")
    except (TypeError, ValueError):
        return report(False, f"{what}: expected an array of 4 numbers, got {type(answer).__name__}")
    if given.shape != expected.shape:
        return report(False, f"{what}: expected one value per class, shape {expected.shape}, got {given.shape}")
    if not np.isnan(given[3]):
        return report(False, f"{what}: class 3 was never requested, so its accuracy is undefined: return NaN, not {given[3]}.")
    if not np.allclose(given[:3], expected[:3]):
        hint = ""
        if np.allclose(given[:3], [0.3, 0.1, 0.3]):
            hint = "Divide by the number of samples requested as each class, not by the total."
        return report(False, f"{what}: got {np.round(given[:3], 3).tolist()} for classes 0-2, expected [0.75, 0.5, 0.75]. "
                             f"{hint}".strip())
    # a second case where grouping by the *predicted* label would give a different answer
    requested = np.array([0, 0, 1, 1])
    predicted = np.array([0, 0, 0, 1])
    ok, answer = call_safely(what, per_class_accuracy, predicted, requested, 2)
    if not ok:
        return False
    given = np.asarray(answer, dtype="float64")
    if given.shape != (2,) or not np.allclose(given, [1.0, 0.5]):
        return report(False, f"{what}: for requested [0, 0, 1, 1] and read [0, 0, 0, 1] expected [1.0, 0.5], got {given.tolist()}. "
                             "Group by the REQUESTED label (precision per predicted label is a different question).")
    return report(True, f"{what}: correct, accuracy is counted per requested label, NaN where nothing was requested.")


def check_style_grid_inputs(style_grid_inputs) -> bool:
    """Exercise 3: (latents, labels) for a grid whose rows share a style and whose columns are the classes.

    Example: ``ex.check_style_grid_inputs(my_function)``
    """
    what = "Exercise 3 · style grid inputs"
    verdict = _start(what, style_grid_inputs)
    if verdict is not None:
        return verdict
    styles = np.array([[1.0, 2.0], [3.0, 4.0]])
    ok, answer = call_safely(what, style_grid_inputs, styles, 3)
    if not ok:
        return False
    if is_blank(answer):
        return not_attempted(what)
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        return report(False, f"{what}: return a pair (latents, labels), got {type(answer).__name__}")
    latents, labels = (np.asarray(part) for part in answer)
    expected_latents = np.array([[1.0, 2.0]] * 3 + [[3.0, 4.0]] * 3)
    expected_labels = np.array([0, 1, 2, 0, 1, 2])
    if latents.shape != expected_latents.shape or labels.shape != expected_labels.shape:
        return report(False, f"{what}: expected latents of shape {expected_latents.shape} and labels of shape "
                             f"{expected_labels.shape}, got {latents.shape} and {labels.shape}")
    if np.allclose(latents, np.tile(styles, (3, 1))):
        return report(False, f"{what}: the styles alternate along a row; each style must fill a whole row: "
                             "use np.repeat for the latents and np.tile for the labels.")
    if not np.allclose(latents, expected_latents):
        return report(False, f"{what}: latents are in the wrong order; row r of the grid must repeat style r num_classes times.")
    if not np.array_equal(labels, expected_labels):
        return report(False, f"{what}: labels should be {expected_labels.tolist()} (0..num_classes-1 once per row), "
                             f"got {labels.tolist()}")
    return report(True, f"{what}: correct, row-major grid: style r repeated with labels 0..num_classes-1.")
