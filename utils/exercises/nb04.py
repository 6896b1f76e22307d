"""Checkers for notebook 04 · Conditional VAE.

Each checker takes the learner's function, calls it on known inputs, prints what is right
or wrong (and why) and returns True or False. A blank answer (None) prints "not attempted".
"""

from __future__ import annotations

import numpy as np

from . import call_safely, is_blank, not_attempted, report
from . import check_function as _start
from . import to_array as _array


def check_condition_latents(condition_latents) -> bool:
    """Exercise 1: latents with the one-hot label appended on the right.

    Example: ``ex.check_condition_latents(my_function)``
    """
    what = "Exercise 1 · conditioned decoder input"
    verdict = _start(what, condition_latents)
    if verdict is not None:
        return verdict
    z = np.array([[0.5, -1.0], [2.0, 0.0], [0.0, 3.0]], dtype="float32")
    # labels 2, 0, 3 of 4 classes; then labels 1, 0, 1 of 6 classes, so that labels.max() + 1 is not num_classes
    for labels, num_classes in ((np.array([2, 0, 3]), 4), (np.array([1, 0, 1]), 6)):
        expected = np.concatenate([z, np.eye(num_classes, dtype="float32")[labels]], axis=1)
        ok, answer = call_safely(what, condition_latents, z.copy(), labels.copy(), num_classes)
        if not ok:
            return False
        if is_blank(answer):
            return not_attempted(what)
        given = _array(answer)
        if given is None or given.dtype.kind not in "biuf":
            return report(False, f"{what}: expected an array of numbers, got {type(answer).__name__}")
        case = f"for labels {labels.tolist()} and num_classes={num_classes}"
        if given.shape != expected.shape:
            if given.shape == z.shape:
                hint = "You returned z unchanged: append the one-hot labels as extra columns."
            elif given.shape == (len(z), z.shape[1] + 1):
                hint = "You appended the label itself; append its one-hot encoding (num_classes columns)."
            elif given.ndim == 2 and given.shape[0] == len(z) and given.shape[1] == z.shape[1] + labels.max() + 1:
                hint = "The one-hot part has labels.max() + 1 columns; it needs num_classes columns, whatever labels occur."
            elif given.ndim == 2 and given.shape[0] == len(z):
                hint = f"The one-hot part has {given.shape[1] - z.shape[1]} columns; use the num_classes argument."
            else:
                hint = "Concatenate along axis 1 (the features), not axis 0."
            return report(False, f"{what}: {case} expected shape {expected.shape} (batch, latent + num_classes), got {given.shape}. {hint}")
        if np.allclose(given, np.concatenate([expected[:, 2:], z], axis=1)):
            return report(False, f"{what}: the one-hot part comes first; put the latents first and the one-hot on the right.")
        if not np.allclose(given[:, :2], z):
            return report(False, f"{what}: the first columns must be z unchanged.")
        if not np.allclose(given[:, 2:], expected[:, 2:]):
            return report(False, f"{what}: the one-hot columns are wrong, e.g. row 0 (label {labels[0]}) gave {given[0, 2:].tolist()}, "
                                 f"expected {expected[0, 2:].tolist()}.")
        if given.dtype != np.float32:
            return report(False, f"{what}: values are right, but the dtype is {given.dtype}; Keras layers expect float32.")
    return report(True, f"{what}: correct, [z | one-hot(label)], shape (batch, latent + num_classes).")


def _accuracies(what: str, per_class_accuracy, predicted, requested, num_classes):
    """The learner's per-class accuracies as a float array of shape (num_classes,), or a verdict (bool) to return."""
    ok, answer = call_safely(what, per_class_accuracy, predicted.copy(), requested.copy(), num_classes)
    if not ok:
        return False
    if is_blank(answer):
        return not_attempted(what)
    given = None if isinstance(answer, (str, dict)) else _array(answer, "float64")
    if given is None:
        return report(False, f"{what}: expected an array of {num_classes} numbers, got {type(answer).__name__}")
    if given.shape != (num_classes,):
        return report(False, f"{what}: expected one value per class, shape {(num_classes,)}, got {given.shape}")
    return given


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
    given = _accuracies(what, per_class_accuracy, predicted, requested, 4)
    if isinstance(given, bool):
        return given
    if not np.isnan(given[3]):
        return report(False, f"{what}: class 3 was never requested, so its accuracy is undefined: return NaN, not {given[3]}.")
    if not np.allclose(given[:3], expected[:3]):
        wrong = [
            ([0.3, 0.1, 0.3], "Divide by the number of samples requested as each class, not by the total."),
            ([3.0, 1.0, 3.0], "These are counts of correct samples; divide by how many were requested as each class."),
            ([0.7, 0.7, 0.7], "That is the overall accuracy for every class; compute it separately within each requested class."),
        ]
        hint = next((message for wrong_value, message in wrong if np.allclose(given[:3], wrong_value)), "")
        return report(False, f"{what}: got {np.round(given[:3], 3).tolist()} for classes 0-2, expected [0.75, 0.5, 0.75]. "
                             f"{hint}".strip())
    # a second case where grouping by the *predicted* label would give a different answer
    given = _accuracies(what, per_class_accuracy, np.array([0, 0, 0, 1]), np.array([0, 0, 1, 1]), 2)
    if isinstance(given, bool):
        return given
    if not np.allclose(given, [1.0, 0.5]):
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
    latents, labels = (_array(part) for part in answer)
    if latents is None or labels is None or latents.dtype.kind not in "biuf" or labels.dtype.kind not in "biuf":
        return report(False, f"{what}: latents and labels must both be arrays of numbers")
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
        hint = " np.repeat gives each label a run; the labels cycle along each row: np.tile." \
            if np.array_equal(labels, np.repeat(np.arange(3), 2)) else ""
        return report(False, f"{what}: labels should be {expected_labels.tolist()} (0..num_classes-1 once per row), "
                             f"got {labels.tolist()}.{hint}")
    return report(True, f"{what}: correct, row-major grid: style r repeated with labels 0..num_classes-1.")
