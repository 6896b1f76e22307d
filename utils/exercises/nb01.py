"""Checkers for notebook 01 · Sampling and likelihood from first principles.

Each checker takes the learner's function, calls it on small fixed inputs, compares the
result with a reference written here, and prints what is right or wrong and why.
``None`` (or a function that returns ``None``) counts as "not attempted yet".

Example: ``from utils.exercises import nb01 as ex; ex.check_bits_per_character(my_bpc)``
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from . import as_float_array as _as_float_array
from . import as_number as _as_number
from . import attempt as _attempt
from . import report, to_array

# ----------------------------------------------------------------------------- references


def reference_bits_per_character(probabilities) -> float:
    """Average of -log2 p over the probabilities the model gave to the characters that really came next."""
    return float(-np.mean(np.log2(np.asarray(probabilities, dtype="float64"))))


def reference_apply_temperature(probabilities, temperature: float) -> np.ndarray:
    """Rescale each row of next-character probabilities: p ** (1 / T), renormalised to sum to 1."""
    logits = np.log(np.asarray(probabilities, dtype="float64")) / temperature
    logits -= logits.max(axis=-1, keepdims=True)
    scaled = np.exp(logits)
    return scaled / scaled.sum(axis=-1, keepdims=True)


def reference_add_k_probabilities(counts, k: float) -> np.ndarray:
    """Row-normalised (counts + k): add-k smoothed bigram probabilities P(next | current)."""
    smoothed = np.asarray(counts, dtype="float64") + k
    return smoothed / smoothed.sum(axis=1, keepdims=True)


def reference_gmm_average_log_likelihood(points, weights, means, covariances) -> float:
    """Average log p(x) in nats per point under a Gaussian mixture with full covariances."""
    points = np.asarray(points, dtype="float64")
    weights, means, covariances = (np.asarray(a, dtype="float64") for a in (weights, means, covariances))
    dim = points.shape[1]
    log_terms = []
    for weight, mean, covariance in zip(weights, means, covariances):
        centred = points - mean
        solved = np.linalg.solve(covariance, centred.T).T
        mahalanobis = (centred * solved).sum(axis=1)
        _, log_det = np.linalg.slogdet(covariance)
        log_terms.append(math.log(weight) - 0.5 * (mahalanobis + log_det + dim * math.log(2 * math.pi)))
    log_terms = np.stack(log_terms, axis=1)
    top = log_terms.max(axis=1, keepdims=True)
    return float(np.mean(top[:, 0] + np.log(np.exp(log_terms - top).sum(axis=1))))


# ----------------------------------------------------------------------------- checkers


def check_bits_per_character(bits_per_character: Callable | None) -> bool:
    """Exercise 1: ``bits_per_character(probabilities)`` from the probabilities given to the true next characters."""
    what = "Exercise 1 · bits per character"
    probabilities = np.array([0.5, 0.25, 0.125, 0.9, 0.05, 1 / 27])
    status, result = _attempt(what, bits_per_character, probabilities.copy())
    if status != "ok":
        return False
    value = _as_number(what, result, hint="Average -log2 p over the characters: one number for the whole text.")
    if value is None:
        return False
    expected = reference_bits_per_character(probabilities)
    wrong = [
        (expected * math.log(2), "is in nats (natural log). Divide by ln 2, or use np.log2, to get bits."),
        (expected * math.log10(2), "uses log base 10; bits need log base 2 (np.log2)."),
        (-expected, "has the wrong sign: log p is negative, the code length -log2 p is positive."),
        (expected * len(probabilities), "is the total over all characters; divide by their number for the average."),
        (2 ** expected, "is the perplexity 2 ** bits; report the bits themselves."),
        (float(-np.mean(probabilities * np.log2(probabilities))), "weights each term by p; the probabilities already belong to "
                                                                   "the characters that really came next, so just average -log2 p."),
    ]
    if math.isclose(value, expected, rel_tol=1e-6):
        return report(True, f"{what}: correct ({expected:.4f} bits). A perfect model scores 0; the uniform model over 27 symbols scores log2(27) = 4.75.")
    for wrong_value, message in wrong:
        if math.isclose(value, wrong_value, rel_tol=1e-6):
            return report(False, f"{what}: {value:.4f} {message}")
    return report(False, f"{what}: got {value:.4f}, expected {expected:.4f}. Hint: the mean of -log2(p).")


def _softmax_rows(values: np.ndarray) -> np.ndarray:
    shifted = np.exp(values - values.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def check_apply_temperature(apply_temperature: Callable | None) -> bool:
    """Exercise 2: ``apply_temperature(probabilities, temperature)`` reshapes each row of a next-character distribution."""
    what = "Exercise 2 · temperature"
    probabilities = np.array([[0.7, 0.2, 0.1, 0.0 + 1e-9], [0.25, 0.25, 0.25, 0.25], [0.05, 0.05, 0.6, 0.3]])
    probabilities = probabilities / probabilities.sum(axis=1, keepdims=True)
    for temperature in (1.0, 0.5, 2.0):
        status, result = _attempt(what, apply_temperature, probabilities.copy(), temperature)
        if status != "ok":
            return False
        given = _as_float_array(what, result, probabilities.shape)
        if given is None:
            return False
        expected = reference_apply_temperature(probabilities, temperature)
        if np.allclose(given, expected, atol=1e-6):
            continue
        at = f"at T={temperature}"
        if not np.allclose(given.sum(axis=1), 1.0, atol=1e-6):
            return report(False, f"{what}: {at} the rows do not sum to 1 (sums {np.round(given.sum(axis=1), 4).tolist()}); "
                                 "renormalise each row (sum over axis=-1, keepdims=True).")
        if np.allclose(given, probabilities, atol=1e-6):
            return report(False, f"{what}: {at} the distribution did not change. Temperature acts on log-probabilities, "
                                 "p ** (1 / T); dividing the probabilities themselves by T cancels out when you renormalise.")
        if np.allclose(given, _softmax_rows(probabilities / temperature), atol=1e-6):
            return report(False, f"{what}: {at} you applied softmax to probabilities / T; softmax expects logits, so take "
                                 "np.log(probabilities) first (softmax(log p / T) = p ** (1 / T), renormalised).")
        if np.allclose(given, reference_apply_temperature(probabilities, 1 / temperature), atol=1e-6):
            return report(False, f"{what}: {at} the effect is reversed: use p ** (1 / T), so that T < 1 sharpens and T > 1 flattens.")
        return report(False, f"{what}: {at} expected {np.round(expected[0], 4).tolist()} for the first row, "
                             f"got {np.round(given[0], 4).tolist()}. Hint: p ** (1 / T), divided by its row sum.")
    return report(True, f"{what}: correct. T=1 keeps the model's distribution, T<1 sharpens it towards the likeliest character, T>1 flattens it towards uniform.")


def check_add_k_probabilities(add_k_probabilities: Callable | None) -> bool:
    """Exercise 3: ``add_k_probabilities(counts, k)`` turns a bigram count matrix into smoothed P(next | current)."""
    what = "Exercise 3 · add-k smoothing"
    counts = np.array([[0, 3, 1], [4, 0, 0], [2, 2, 6]], dtype="float64")
    for k in (1.0, 0.1):
        status, result = _attempt(what, add_k_probabilities, counts.copy(), k)
        if status != "ok":
            return False
        given = _as_float_array(what, result, counts.shape)
        if given is None:
            return False
        expected = reference_add_k_probabilities(counts, k)
        if np.allclose(given, expected, atol=1e-9):
            continue
        if np.allclose(given.sum(axis=0), 1.0) and not np.allclose(given.sum(axis=1), 1.0):
            return report(False, f"{what}: your columns sum to 1, but each ROW (one current character) must: normalise with axis=1.")
        if np.any(given == 0):
            return report(False, f"{what}: some probabilities are 0 at k={k}: add k to every count before normalising, "
                                 "so that an unseen pair costs finitely many bits instead of infinity.")
        if np.isclose(given.sum(), 1.0):
            return report(False, f"{what}: the whole matrix sums to 1; normalise each row separately (axis=1, keepdims=True).")
        if np.allclose(given, (counts + k) / counts.sum(axis=1, keepdims=True)):
            return report(False, f"{what}: the rows sum to more than 1: you added k to the counts but not to the denominator; "
                                 "divide by the row sum of counts + k (that is, row total + V * k).")
        if k != 1.0 and np.allclose(given, reference_add_k_probabilities(counts, 1.0)):
            return report(False, f"{what}: at k={k} you added 1; use the argument k (add-one smoothing is only the case k = 1).")
        return report(False, f"{what}: at k={k} expected first row {np.round(expected[0], 4).tolist()}, got {np.round(given[0], 4).tolist()}. "
                             "Hint: (counts + k) / (counts + k).sum(axis=1, keepdims=True).")
    return report(True, f"{what}: correct. Every row sums to 1 and no pair has probability 0.")


def _gmm_variant(points, weights, means, covariances, *, weighted=True, two_pi=True, log_det=True, inverse=True, combine="logsumexp"):
    """The average log-likelihood computed with one of the usual mistakes switched on (for the checker's hints)."""
    log_terms = []
    for weight, mean, covariance in zip(weights, means, covariances):
        centred = points - mean
        metric = np.linalg.inv(covariance) if inverse else covariance
        mahalanobis = np.sum(centred @ metric * centred, axis=1)
        constant = (np.linalg.slogdet(covariance)[1] if log_det else 0.0) + (2 * math.log(2 * math.pi) if two_pi else 0.0)
        log_terms.append((math.log(weight) if weighted else 0.0) - 0.5 * (mahalanobis + constant))
    log_terms = np.stack(log_terms, axis=1)
    if combine == "max":
        return float(np.mean(log_terms.max(axis=1)))
    top = log_terms.max(axis=1, keepdims=True)
    return float(np.mean(top[:, 0] + np.log(np.exp(log_terms - top).sum(axis=1))))


def check_gmm_log_likelihood(gmm_average_log_likelihood: Callable | None) -> bool:
    """Exercise 4: ``gmm_average_log_likelihood(points, weights, means, covariances)`` in nats per point."""
    what = "Exercise 4 · GMM log-likelihood"
    rng = np.random.default_rng(1)
    points = np.concatenate([rng.normal(size=(6, 2)), [[25.0, 25.0]]])  # the last point is far from every component
    weights = np.array([0.5, 0.3, 0.2])
    means = np.array([[0.0, 0.0], [1.5, -1.0], [-1.0, 2.0]])
    covariances = np.array([[[1.0, 0.3], [0.3, 0.5]], [[0.2, 0.0], [0.0, 0.2]], [[0.6, -0.2], [-0.2, 0.4]]])
    status, result = _attempt(what, gmm_average_log_likelihood, points.copy(), weights.copy(), means.copy(), covariances.copy())
    if status != "ok":
        return False
    array = to_array(result, "float64")
    if array is not None and array.size == 1 and not np.isfinite(array).all():
        return report(False, f"{what}: got {float(array.reshape(())):g}: the far-away point's density underflows to 0 and its log "
                             "to -inf. Stay in log space: log w_k + log N(x | k) per component, then log-sum-exp (subtract the max).")
    value = _as_number(what, result, hint="Return the average log-likelihood over all points as one number.")
    if value is None:
        return False
    expected = reference_gmm_average_log_likelihood(points, weights, means, covariances)
    if math.isclose(value, expected, rel_tol=1e-5):
        return report(True, f"{what}: correct ({expected:.4f} nats per point), and the far-away point did not underflow.")
    args = (points, weights, means, covariances)
    wrong = [
        (-expected, "has the wrong sign; report the log-likelihood (higher is better), not the loss."),
        (expected * len(points), "is the total; average over the points."),
        (expected / math.log(2), "is in bits; the exercise asks for nats (natural log)."),
        (reference_gmm_average_log_likelihood(points[:-1], *args[1:]), "leaves out the far-away point; keep every point."),
        (_gmm_variant(*args, weighted=False), "ignores the mixture weights: add log w_k to each component's log-density."),
        (_gmm_variant(*args, two_pi=False), "lacks the normalising constant: each 2-D Gaussian has -log(2 pi) in its log-density."),
        (_gmm_variant(*args, log_det=False), "lacks -0.5 * log det Sigma_k in each component's log-density."),
        (_gmm_variant(*args, inverse=False), "uses Sigma_k where the inverse belongs: the Mahalanobis term is (x - mu)^T Sigma^-1 (x - mu)."),
        (_gmm_variant(*args, combine="max"), "keeps only the best component per point (max); a mixture adds the components: log-sum-exp."),
    ]
    for wrong_value, message in wrong:
        if math.isclose(value, wrong_value, rel_tol=1e-5):
            return report(False, f"{what}: {value:.4f} {message}")
    return report(False, f"{what}: got {value:.4f}, expected {expected:.4f}. Hint: for each component, log w_k + log N(x | mu_k, Sigma_k) "
                         "(with -0.5 * log det Sigma_k and -log(2 pi) in 2-D), then log-sum-exp over components, then the mean.")
