"""Checkers for notebook 00 · Introduction to generative AI.

Each checker takes the learner's function, calls it on small fixed inputs, compares the
result with a reference written here, and prints what is right or wrong and why.
``None`` (or a function that returns ``None``) counts as "not attempted yet".
The experiment checkers run the learner's function on their own data and compare what it measures with a
reference run; ``reveal=False`` (used by the hidden solution cells) prints no measured values.

Example: ``from utils.exercises import nb00 as ex; ex.check_sample_categorical(my_sampler)``
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from .. import data as _data
from . import as_float_array as _as_float_array
from . import attempt as _attempt
from . import report
from . import to_array as _to_array

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


def reference_kde_log_density(queries, centres, bandwidth: float) -> np.ndarray:
    """log p(x) of a Gaussian kernel density estimate in 2-D (bumps of width ``bandwidth`` on ``centres``), via log-sum-exp."""
    queries, centres = np.asarray(queries, dtype="float64"), np.asarray(centres, dtype="float64")
    squared = ((queries[:, None, :] - centres[None, :, :]) ** 2).sum(axis=-1)
    log_bumps = -squared / (2 * bandwidth**2) - np.log(2 * np.pi * bandwidth**2)
    top = log_bumps.max(axis=1, keepdims=True)
    return top[:, 0] + np.log(np.exp(log_bumps - top).mean(axis=1))


def reference_less_data_experiment(train_points, val_points, test_points, bandwidths, *, fraction: int = 10,
                                   choose_on: str = "validation") -> tuple[float, float]:
    """KDE on the first 1/``fraction`` of the training points; bandwidth chosen on ``choose_on`` points; (bandwidth, test score)."""
    fitted = np.asarray(train_points, dtype="float64")[: len(train_points) // fraction]
    chooser = {"validation": val_points, "train": fitted}[choose_on]
    scores = {float(h): reference_kde_log_density(chooser, fitted, h).mean() for h in bandwidths}
    chosen = max(scores, key=scores.get)
    return chosen, float(reference_kde_log_density(test_points, fitted, chosen).mean())


# ----------------------------------------------------------------------------- checkers


def check_sample_categorical(sample_categorical: Callable | None) -> bool:
    """Exercise 1: ``sample_categorical(probabilities, uniforms)`` returns one index per uniform number."""
    what = "Exercise 1 · sampling from a categorical distribution"
    probabilities = np.array([0.25, 0.0, 0.5, 0.25])  # cumulative sums 0.25, 0.25, 0.75, 1 (exact in floating point)
    uniforms = np.array([0.05, 0.25, 0.3, 0.5, 0.74, 0.75, 0.99, 0.0, 0.8])  # 0.25 and 0.75 sit exactly on a boundary
    status, result = _attempt(what, sample_categorical, probabilities.copy(), uniforms.copy())
    if status != "ok":
        return False
    given = _as_float_array(what, result, uniforms.shape)
    if given is None:
        return False
    expected = reference_sample_categorical(probabilities, uniforms)
    if not np.all(np.isfinite(given)) or not np.array_equal(given, np.round(given)):
        return report(False, f"{what}: expected integer indices (0 to {len(probabilities) - 1}), got {np.round(given, 3).tolist()}. "
                             "Return the index k chosen for each u, not u itself or a probability.")
    for offset in (1, -1):
        if np.array_equal(given, expected + offset):
            return report(False, f"{what}: every index is off by one ({given.astype(int).tolist()} instead of {expected.tolist()}). "
                                 "Index k is the number of cumulative sums that are <= u, counted from 0.")
    if np.any((given < 0) | (given >= len(probabilities))):
        return report(False, f"{what}: indices must lie in 0..{len(probabilities) - 1}, got {given.astype(int).tolist()}.")
    if np.any(given == 1):
        return report(False, f"{what}: you returned index 1, whose probability is 0. "
                             "A symbol with probability 0 must never be drawn; compare u with the cumulative sum.")
    if np.array_equal(given, expected):
        return report(True, f"{what}: correct. Index k is drawn when cumsum[k-1] <= u < cumsum[k], so it comes up with probability p[k].")
    cumulative = np.cumsum(probabilities)
    if np.array_equal(given, np.searchsorted(cumulative, uniforms, side="left")):
        return report(False, f"{what}: wrong where u is exactly equal to a cumulative sum (u = 0.25 or 0.75): there "
                             "cumsum[k-1] <= u < cumsum[k] picks the NEXT index. Use np.searchsorted(..., side='right'), or count cumsum <= u.")
    if np.all(given == np.argmax(probabilities)):
        return report(False, f"{what}: you always return the most likely index {np.argmax(probabilities)}; "
                             "that is the mode, not a sample. Use each u to pick an index.")
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
    seen = slice(0, 4)  # the states with data
    if np.allclose(given, expected, atol=1e-9):
        return report(True, f"{what}: correct. Each row is P(next state | current state); e.g. after state 1 come "
                            f"{np.round(expected[1], 2).tolist()}, and the unseen state 4 gets a uniform row.")
    if not np.all(np.isfinite(given)):
        return report(False, f"{what}: your matrix holds NaN or infinity: state 4 never occurs, so its row of counts sums to 0 "
                             "and dividing by it fails. Give such a row the uniform distribution 1 / num_states.")
    if np.allclose(given[seen], given[seen].round()) and given.max() > 1:
        return report(False, f"{what}: these look like raw counts; divide each row by its sum so it becomes a probability distribution.")
    if np.allclose(given.T[seen], expected[seen]) or (np.allclose(given.sum(axis=0), 1) and not np.allclose(given.sum(axis=1), 1)):
        return report(False, f"{what}: your columns sum to 1, but each ROW (the current state) must: counts[current, next], normalised along axis=1.")
    if np.isclose(given.sum(), 1.0):
        return report(False, f"{what}: the whole matrix sums to 1; normalise each row separately, so that row i is P(next | current = i).")
    reversed_pairs = reference_fit_transition_matrix(sequence[::-1], num_states)
    wrapped = reference_fit_transition_matrix(np.append(sequence, sequence[0]), num_states)
    if np.allclose(given[seen], reversed_pairs[seen]) or np.allclose(given[seen], wrapped[seen]):
        # on this sequence the two mistakes give the same rows; a short probe sequence tells them apart
        probe = np.array([0, 1, 2, 2])
        status, on_probe = _attempt(what, fit_transition_matrix, probe.copy(), 3)
        on_probe = _to_array(on_probe, "float64") if status == "ok" else None
        if on_probe is not None and on_probe.shape == (3, 3) and np.allclose(on_probe, reference_fit_transition_matrix(probe[::-1], 3)):
            return report(False, f"{what}: you counted the pairs the wrong way round (counts[next, current]); row i must hold what "
                                 "FOLLOWS state i: counts[sequence[t], sequence[t + 1]].")
        if on_probe is not None and on_probe.shape == (3, 3) and np.allclose(on_probe, reference_fit_transition_matrix(np.append(probe, 0), 3)):
            return report(False, f"{what}: you counted one pair too many, from the last state back to the first (np.roll wraps "
                                 "around); only the len(sequence) - 1 consecutive pairs count.")
    counts = np.zeros((num_states, num_states))
    np.add.at(counts, (sequence[:-1], sequence[1:]), 1)
    if np.allclose(given, (counts + 1) / (counts + 1).sum(axis=1, keepdims=True)):
        return report(False, f"{what}: you added a pseudo-count to every pair; the maximum-likelihood estimate uses the raw "
                             "counts (only the unseen state 4 gets a uniform row).")
    if np.allclose(given[seen], expected[seen]):
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
        covered = reference_shift_image(np.ones_like(image), dx, dy) > 0  # the pixels that receive image content
        case = f"with dx={dx}, dy={dy}"
        if np.array_equal(given, image):
            return report(False, f"{what}: {case} the image did not move; copy it into a zero image at the shifted position.")
        if np.array_equal(given, np.roll(np.roll(image, dy, axis=0), dx, axis=1)):
            return report(False, f"{what}: {case} the pixels that leave one side come back on the other "
                                 "(np.roll wraps around). A shifted digit should get an empty (0) border instead.")
        if np.array_equal(given, reference_shift_image(image, -dx, -dy)):
            return report(False, f"{what}: {case} the image moved the wrong way; positive dx moves right, positive dy moves down.")
        if np.array_equal(given, reference_shift_image(image, dy, dx)):
            return report(False, f"{what}: {case} you swapped dx and dy; dx moves along the columns (axis 1), dy along the rows (axis 0).")
        if np.array_equal(given[covered], expected[covered]):
            return report(False, f"{what}: {case} the content moved correctly, but the uncovered border must be 0, got values "
                                 f"{np.unique(given[~covered])[:5].tolist()} there.")
        return report(False, f"{what}: {case} the result differs from the expected shifted image. "
                             "Hint: start from np.zeros_like(image) and copy the overlapping block.")
    return report(True, f"{what}: correct for shifts {cases}: content moves, the uncovered border is 0, nothing wraps around.")


EXPERIMENT_POINTS = 600  # per split, as in the notebook's full mode
EXPERIMENT_BANDWIDTHS = (0.01, 0.03, 0.06, 0.1, 0.2, 0.4)
HIDDEN = "what it measures is printed when you run your own answer in the cell above"


def _experiment_data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The notebook's moons (full-mode size): train, validation and test splits from seeds 0, 1, 2."""
    return tuple(_data.make_toy_2d("moons", EXPERIMENT_POINTS, seed=seed, noise=0.12)[0].astype("float64") for seed in (0, 1, 2))


def check_less_data_experiment(less_data_experiment: Callable | None, *, reveal: bool = True) -> bool:
    """Exercise 4 (experiment): ``less_data_experiment(train_points, val_points, test_points, bandwidths)`` fits the KDE on
    the first tenth of the training points, chooses the bandwidth on the validation points and returns
    (chosen bandwidth, average test log-likelihood); judged against a reference run on the notebook's moons."""
    what = "Exercise 4 · experiment: a tenth of the data"
    train_points, val_points, test_points = _experiment_data()
    args = (train_points, val_points, test_points, EXPERIMENT_BANDWIDTHS)
    status, result = _attempt(what, less_data_experiment, *(a.copy() if isinstance(a, np.ndarray) else a for a in args))
    if status != "ok":
        return False
    given = _to_array(result, "float64")
    if given is None or given.shape != (2,):
        shown = type(result).__name__ if given is None else f"shape {given.shape}"
        return report(False, f"{what}: expected a pair (chosen bandwidth, average test log-likelihood), got {shown}.")
    if not np.all(np.isfinite(given)):
        return report(False, f"{what}: got {given.tolist()}; a log-likelihood of -inf or NaN means a density underflowed: "
                             "use the notebook's kde_log_density (log-sum-exp).")
    chosen, score = float(given[0]), float(given[1])
    expected_bandwidth, expected_score = reference_less_data_experiment(*args)
    full_bandwidth, full_score = reference_less_data_experiment(*args, fraction=1)
    if math.isclose(chosen, expected_bandwidth) and math.isclose(score, expected_score, abs_tol=1e-3):
        if not reveal:
            return report(True, f"{what}: correct ({HIDDEN})")
        return report(True, f"{what}: correct. With {EXPERIMENT_POINTS // 10} instead of {EXPERIMENT_POINTS} training points the "
                            f"validation points choose h={expected_bandwidth} (all points: h={full_bandwidth}) and the test "
                            f"log-likelihood falls from {full_score:+.3f} to {expected_score:+.3f} nats per point: with fewer points "
                            "the bumps must be wider to cover the gaps between them, and the density is blurrier.")
    fitted = train_points[: EXPERIMENT_POINTS // 10]
    if math.isclose(chosen, full_bandwidth) and math.isclose(score, full_score, abs_tol=1e-3):
        return report(False, f"{what}: these are the scores with ALL {EXPERIMENT_POINTS} training points; fit the KDE on the first "
                             f"tenth only (train_points[: len(train_points) // 10]).")
    wrong = [
        (full_bandwidth, float(reference_kde_log_density(test_points, fitted, full_bandwidth).mean()),
         f"kept the bandwidth chosen with all the data (h={full_bandwidth}); choose it again for the smaller training set, "
         "on the validation points."),
        (*reference_less_data_experiment(*args, choose_on="train"),
         "chose the bandwidth by the score of the training points themselves: every point sits on its own bump, so the "
         "narrowest bandwidth always wins there. Choose on the validation points."),
        (expected_bandwidth, float(reference_kde_log_density(val_points, fitted, expected_bandwidth).mean()),
         "reported the validation score; report the test points' score (the validation points were used for the choice)."),
        (expected_bandwidth, expected_score * len(test_points), "reported the total; average the log-likelihood over the test points."),
        (expected_bandwidth, expected_score / math.log(2), "reported bits; keep nats (natural log), as the notebook does."),
    ]
    for wrong_bandwidth, wrong_score, message in wrong:
        if math.isclose(chosen, wrong_bandwidth) and math.isclose(score, wrong_score, rel_tol=1e-4, abs_tol=1e-3):
            return report(False, f"{what}: you {message}")
    if math.isclose(chosen, expected_bandwidth):
        return report(False, f"{what}: the bandwidth h={chosen} is right, but the test log-likelihood should be {expected_score:+.4f}, "
                             f"got {score:+.4f}. Score test_points against the KDE of the first tenth of train_points.")
    return report(False, f"{what}: expected (h={expected_bandwidth}, {expected_score:+.4f}), got (h={chosen:g}, {score:+.4f}). Hint: fit "
                         "on train_points[: len(train_points) // 10], score val_points for each bandwidth, keep the best, score test_points.")
