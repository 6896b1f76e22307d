"""Checkers for notebook 00 · Introduction to generative AI.

Each checker takes the learner's function, calls it on small fixed inputs, compares the
result with a reference written here, and prints what is right or wrong and why.
``None`` (or a function that returns ``None``) counts as "not attempted yet".

Example: ``from utils.exercises import nb00 as ex; ex.check_sample_categorical(my_sampler)``
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from . import as_float_array as _as_float_array
from . import attempt as _attempt
from . import report

# ----------------------------------------------------------------------------- references


def reference_sample_categorical(probabilities, uniforms) -> np.ndarray:
    """Inverse-CDF sampling: the first index whose cumulative probability exceeds each uniform number."""
    probabilities = np.asarray(probabilities, dtype="float64")
    cumulative = np.cumsum(probabilities / probabilities.sum())
    return np.minimum(np.searchsorted(cumulative, np.asarray(uniforms, dtype="float64"), side="right"), len(probabilities) - 1)


def reference_fit_transition_matrix(sequence, num_states: int) -> np.ndarray:
    """Maximum-likelihood Markov chain: row i holds how often each state follows state i, normalised.

    A state that is never followed by anything gets a uniform row (there is no evidence either way).
    """
    counts = np.zeros((num_states, num_states))
    sequence = np.asarray(sequence, dtype=int)
    np.add.at(counts, (sequence[:-1], sequence[1:]), 1)
    totals = counts.sum(axis=1, keepdims=True)
    return np.where(totals > 0, counts / np.maximum(totals, 1), 1.0 / num_states)


def reference_shift_image(image, dx: int, dy: int) -> np.ndarray:
    """Move an (H, W) image right by ``dx`` and down by ``dy`` pixels, filling uncovered pixels with 0."""
    image = np.asarray(image)
    height, width = image.shape[:2]
    shifted = np.zeros_like(image)
    src_rows = slice(max(0, -dy), min(height, height - dy))
    dst_rows = slice(max(0, dy), min(height, height + dy))
    src_cols = slice(max(0, -dx), min(width, width - dx))
    dst_cols = slice(max(0, dx), min(width, width + dx))
    shifted[dst_rows, dst_cols] = image[src_rows, src_cols]
    return shifted


# ----------------------------------------------------------------------------- helpers






# ----------------------------------------------------------------------------- checkers


def check_sample_categorical(sample_categorical: Callable | None) -> bool:
    """Exercise 1: ``sample_categorical(probabilities, uniforms)`` returns one index per uniform number."""
    what = "Exercise 1 · sampling from a categorical distribution"
    probabilities = np.array([0.1, 0.0, 0.6, 0.3])
    uniforms = np.array([0.05, 0.12, 0.15, 0.5, 0.69, 0.71, 0.99, 0.02])
    status, result = _attempt(what, sample_categorical, probabilities.copy(), uniforms.copy())
    if status != "ok":
        return False
    given = _as_float_array(what, result, uniforms.shape)
    if given is None:
        return False
    expected = reference_sample_categorical(probabilities, uniforms)
    if np.any(given == 1):
        return report(False, f"{what}: you returned index 1, whose probability is 0. "
                             "A symbol with probability 0 must never be drawn; compare u with the cumulative sum.")
    if np.array_equal(given, expected):
        return report(True, f"{what}: correct. Index k is drawn when cumsum[k-1] <= u < cumsum[k], so it comes up with probability p[k].")
    return report(False, f"{what}: for u = {uniforms.tolist()} expected indices {expected.tolist()}, got {given.astype(int).tolist()}. "
                         "Hint: np.cumsum(probabilities), then count how many cumulative values are <= u (np.searchsorted(..., side='right')).")


def check_fit_transition_matrix(fit_transition_matrix: Callable | None) -> bool:
    """Exercise 2: ``fit_transition_matrix(sequence, num_states)`` estimates a Markov chain from a sequence of states."""
    what = "Exercise 2 · fitting a Markov chain"
    sequence = np.array([0, 1, 2, 1, 0, 1, 2, 3, 2, 1, 1])
    num_states = 5  # state 4 never occurs, so its row has no data
    status, result = _attempt(what, fit_transition_matrix, sequence.copy(), num_states)
    if status != "ok":
        return False
    given = _as_float_array(what, result, (num_states, num_states))
    if given is None:
        return False
    expected = reference_fit_transition_matrix(sequence, num_states)
    if np.allclose(given, expected, atol=1e-9):
        return report(True, f"{what}: correct. Each row is P(next state | current state); e.g. after state 1 come "
                            f"{np.round(expected[1], 2).tolist()}, and the unseen state 4 gets a uniform row.")
    if not np.all(np.isfinite(given)):
        return report(False, f"{what}: your matrix holds NaN or infinity: state 4 never occurs, so its row of counts sums to 0 "
                             "and dividing by it fails. Give such a row the uniform distribution 1 / num_states.")
    if np.allclose(given[:4], given[:4].round()) and given.max() > 1:
        return report(False, f"{what}: these look like raw counts; divide each row by its sum so it becomes a probability distribution.")
    if np.allclose(given.T[:4], expected[:4]) or (np.allclose(given.sum(axis=0), 1) and not np.allclose(given.sum(axis=1), 1)):
        return report(False, f"{what}: your columns sum to 1, but each ROW (the current state) must: counts[current, next], normalised along axis=1.")
    if np.allclose(given[:4], expected[:4]):
        return report(False, f"{what}: the visited states are right, but the never-seen state 4 should get a uniform row "
                             f"({1 / num_states:.2f} each), got {np.round(given[4], 3).tolist()}.")
    return report(False, f"{what}: row 1 (what follows state 1) should be {np.round(expected[1], 3).tolist()}, got {np.round(given[1], 3).tolist()}. "
                         "Hint: count every pair (sequence[t], sequence[t+1]), then normalise each row.")


def check_shift_image(shift_image: Callable | None) -> bool:
    """Exercise 3: ``shift_image(image, dx, dy)`` moves an (H, W) image and fills the uncovered border with 0."""
    what = "Exercise 3 · shifting an image for data augmentation"
    image = np.arange(1, 31, dtype="float32").reshape(5, 6)
    cases = [(2, 1), (-1, 0), (0, -2), (0, 0)]
    for dx, dy in cases:
        status, result = _attempt(what, shift_image, image.copy(), dx, dy)
        if status != "ok":
            return False
        given = _as_float_array(what, result, image.shape)
        if given is None:
            return False
        expected = reference_shift_image(image, dx, dy)
        if np.array_equal(given, expected):
            continue
        if np.array_equal(given, np.roll(np.roll(image, dy, axis=0), dx, axis=1)):
            return report(False, f"{what}: with dx={dx}, dy={dy} the pixels that leave one side come back on the other "
                                 "(np.roll wraps around). A shifted digit should get an empty (0) border instead.")
        if np.array_equal(given, reference_shift_image(image, -dx, -dy)) or np.array_equal(given, reference_shift_image(image, dy, dx)):
            return report(False, f"{what}: with dx={dx}, dy={dy} the image moved the wrong way; dx moves right (columns), dy moves down (rows).")
        return report(False, f"{what}: with dx={dx}, dy={dy} the result differs from the expected shifted image. "
                             "Hint: start from np.zeros_like(image) and copy the overlapping block.")
    return report(True, f"{what}: correct for shifts {cases}: content moves, the uncovered border is 0, nothing wraps around.")
