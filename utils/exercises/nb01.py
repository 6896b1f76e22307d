"""Checkers for notebook 01 · Sampling and likelihood from first principles.

Each checker takes the learner's function, calls it on small fixed inputs, compares the
result with a reference written here, and prints what is right or wrong and why.
``None`` (or a function that returns ``None``) counts as "not attempted yet".
The experiment checkers run the learner's function on their own data and compare what it measures with a
reference run; ``reveal=False`` (used by the hidden solution cells) prints no measured values.

Example: ``from utils.exercises import nb01 as ex; ex.check_bits_per_character(my_bpc)``
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from .. import data as _data
from . import as_number as _as_number
from . import attempt as _attempt
from . import report, to_array

# ----------------------------------------------------------------------------- references


def reference_bits_per_character(probabilities) -> float:
    """Average of -log2 p over the probabilities the model gave to the characters that really came next."""
    return float(-np.mean(np.log2(np.asarray(probabilities, dtype="float64"))))


def reference_entropy_at_temperature(probabilities, temperature: float) -> np.ndarray:
    """Entropy in bits of each row after reshaping it by temperature (p ** (1 / T), renormalised), in log space."""
    with np.errstate(divide="ignore"):
        logits = np.log(np.asarray(probabilities, dtype="float64")) / temperature
    logits -= logits.max(axis=-1, keepdims=True)
    log_rows = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))
    rows = np.exp(log_rows)
    return -np.sum(np.where(rows > 0, rows * log_rows, 0.0), axis=-1) / math.log(2)


def reference_em_lower_bound(log_joint, responsibilities) -> float:
    """EM's lower bound, averaged over points: mean_n sum_k r_nk (log pi_k N(x_n | k) - log r_nk), with 0 log 0 = 0."""
    log_joint = np.asarray(log_joint, dtype="float64")
    responsibilities = np.asarray(responsibilities, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(responsibilities > 0, responsibilities * (log_joint - np.log(responsibilities)), 0.0)
    return float(terms.sum(axis=1).mean())


def _log_sum_exp_rows(values: np.ndarray) -> np.ndarray:
    top = values.max(axis=1, keepdims=True)
    return top[:, 0] + np.log(np.exp(values - top).sum(axis=1))


def _gaussian_log_density(points: np.ndarray, mean: np.ndarray, covariance: np.ndarray) -> np.ndarray:
    cholesky = np.linalg.cholesky(covariance)
    whitened = np.linalg.solve(cholesky, (points - mean).T)
    log_det = 2 * np.log(np.diag(cholesky)).sum()
    return -0.5 * ((whitened**2).sum(axis=0) + log_det + points.shape[1] * math.log(2 * math.pi))


def _log_joint(points, weights, means, covariances) -> np.ndarray:
    return np.stack([math.log(w) + _gaussian_log_density(points, m, c) for w, m, c in zip(weights, means, covariances)], axis=1)


def reference_mixture_experiment(train_points, heldout_points, num_components: int, num_iterations: int,
                                 *, covariance_floor: float = 1e-4, seed: int = 0, score_before_m_step: bool = False) -> tuple[float, float]:
    """EM as notebook 01 runs it (means = training points picked by default_rng(seed), every covariance the data's,
    equal weights), then (training, held-out) average log-likelihood in nats per point, both after the last M-step.

    ``score_before_m_step=True`` returns the training score the last E-step computed instead (the old logging mistake).
    """
    train_points = np.asarray(train_points, dtype="float64")
    heldout_points = np.asarray(heldout_points, dtype="float64")
    rng = np.random.default_rng(seed)
    weights = np.full(num_components, 1 / num_components)
    means = train_points[rng.choice(len(train_points), num_components, replace=False)]
    covariances = np.repeat(np.cov(train_points, rowvar=False, bias=True)[None], num_components, axis=0)
    e_step_score = float("nan")
    for _ in range(num_iterations):
        log_joint = _log_joint(train_points, weights, means, covariances)
        log_likelihood = _log_sum_exp_rows(log_joint)
        e_step_score = float(log_likelihood.mean())
        responsibilities = np.exp(log_joint - log_likelihood[:, None])
        totals = responsibilities.sum(axis=0) + 1e-12
        weights = totals / len(train_points)
        means = responsibilities.T @ train_points / totals[:, None]
        covariances = np.array([(responsibilities[:, k, None] * (train_points - means[k])).T @ (train_points - means[k]) / totals[k]
                                + covariance_floor * np.eye(train_points.shape[1]) for k in range(num_components)])
    heldout = float(_log_sum_exp_rows(_log_joint(heldout_points, weights, means, covariances)).mean())
    train = e_step_score if score_before_m_step else float(_log_sum_exp_rows(_log_joint(train_points, weights, means, covariances)).mean())
    return train, heldout


# ----------------------------------------------------------------------------- checkers

HIDDEN = "what it measures is printed when you run your own answer in the cell above"


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




def _entropy_variant(probabilities, temperature, *, base=2.0, reshape=lambda p, t: p ** (1 / t), normalise=True):
    """Row entropies computed the naive way, with one of the usual mistakes (for the checker's hints)."""
    rows = reshape(np.asarray(probabilities, dtype="float64"), temperature)
    if normalise:
        rows = rows / rows.sum(axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        return -np.sum(np.where(rows > 0, rows * np.log(rows), 0.0), axis=-1) / math.log(base)


def check_entropy_at_temperature(entropy_at_temperature: Callable | None, *, reveal: bool = True) -> bool:
    """Exercise 2: ``entropy_at_temperature(probabilities, temperature)``: the entropy in bits of each reshaped row."""
    what = "Exercise 2 · entropy at a temperature"
    probabilities = np.array([[0.7, 0.2, 0.1 - 2e-12, 1e-12, 1e-12],  # add-k leaves tiny probabilities, never exact zeros
                              [0.2, 0.2, 0.2, 0.2, 0.2],
                              [0.05, 0.05, 0.6, 0.25, 0.05]])
    measured = {}
    for temperature in (1.0, 0.5, 2.0, 0.01):
        status, result = _attempt(what, entropy_at_temperature, probabilities.copy(), temperature)
        if status != "ok":
            return False
        given = to_array(result, "float64")
        if given is None or given.shape != (len(probabilities),):
            shown = type(result).__name__ if given is None else f"shape {given.shape}"
            return report(False, f"{what}: expected one entropy per row, an array of shape ({len(probabilities)},), got {shown}. "
                                 "Sum -q log2 q along the last axis only.")
        expected = reference_entropy_at_temperature(probabilities, temperature)
        at = f"at T={temperature}"
        if not np.all(np.isfinite(given)):
            return report(False, f"{what}: {at} you got NaN or infinity ({np.round(given, 3).tolist()}): p ** (1 / T) underflows to "
                                 "exactly 0 for small T, and 0 * log 0 gives NaN. Work in log space (log p / T, minus its log-sum-exp) "
                                 "or count 0 log 0 as 0.")
        if np.allclose(given, expected, atol=1e-6):
            measured[temperature] = expected
            continue
        if np.allclose(given, expected * math.log(2), atol=1e-6):
            return report(False, f"{what}: {at} your entropies are in nats (natural log); divide by ln 2 (or use np.log2) for bits.")
        if np.allclose(given, expected * math.log10(2), atol=1e-6):
            return report(False, f"{what}: {at} you used log base 10; bits need log base 2.")
        if np.allclose(given, -expected, atol=1e-6):
            return report(False, f"{what}: {at} the sign is wrong: entropy is -sum q log2 q, which is never negative.")
        if np.allclose(given, reference_entropy_at_temperature(probabilities, 1 / temperature), atol=1e-6):
            return report(False, f"{what}: {at} the effect is reversed: reshape by p ** (1 / T), so that T < 1 sharpens (lower entropy).")
        if temperature != 1.0 and np.allclose(given, reference_entropy_at_temperature(probabilities, 1.0), atol=1e-6):
            return report(False, f"{what}: {at} the entropies did not change with T: reshape each row by the temperature first "
                                 "(p ** (1 / T), renormalised), then take its entropy. (Dividing the probabilities by T does nothing: "
                                 "it cancels out when you renormalise; temperature acts on log-probabilities.)")
        if np.allclose(given, _entropy_variant(probabilities, temperature, normalise=False), atol=1e-6):
            return report(False, f"{what}: {at} the reshaped rows were not renormalised; p ** (1 / T) no longer sums to 1, "
                                 "so divide each row by its sum before taking the entropy.")
        return report(False, f"{what}: {at} expected {np.round(expected, 4).tolist()} bits, got {np.round(given, 4).tolist()}. "
                             "Hint: q = p ** (1 / T) renormalised (best in log space), then -sum q log2 q per row.")
    if not reveal:
        return report(True, f"{what}: correct ({HIDDEN})")
    first = {temperature: float(values[0]) for temperature, values in measured.items()}
    return report(True, f"{what}: correct. The first row's entropy: {first[0.01]:.3f} bits at T=0.01, {first[0.5]:.3f} at T=0.5, "
                        f"{first[1.0]:.3f} at T=1, {first[2.0]:.3f} at T=2 (uniform over 5 symbols: {math.log2(5):.3f}); the uniform row "
                        "stays at the maximum whatever T is.")


def check_em_lower_bound(em_lower_bound: Callable | None, *, reveal: bool = True) -> bool:
    """Exercise 3: ``em_lower_bound(log_joint, responsibilities)``: EM's bound on the average log-likelihood, in nats."""
    what = "Exercise 3 · EM's lower bound"
    rng = np.random.default_rng(3)
    points = np.concatenate([rng.normal(size=(5, 2)), [[9.0, -9.0]]])  # the last point is far from every component
    weights = np.array([0.5, 0.3, 0.2])
    means = np.array([[0.0, 0.0], [1.5, -1.0], [-1.0, 2.0]])
    covariances = np.array([[[1.0, 0.3], [0.3, 0.5]], [[0.2, 0.0], [0.0, 0.2]], [[0.6, -0.2], [-0.2, 0.4]]])
    log_joint = _log_joint(points, weights, means, covariances)
    log_likelihood = float(_log_sum_exp_rows(log_joint).mean())
    cases = {
        "the E-step's responsibilities": np.exp(log_joint - _log_sum_exp_rows(log_joint)[:, None]),
        "hard assignments (one-hot)": np.eye(3)[log_joint.argmax(axis=1)],
        "uniform responsibilities": np.full(log_joint.shape, 1 / 3),
    }
    values = {}
    for name, responsibilities in cases.items():
        status, result = _attempt(what, em_lower_bound, log_joint.copy(), responsibilities.copy())
        if status != "ok":
            return False
        array = to_array(result, "float64")
        if array is not None and array.size == 1 and not np.isfinite(array).all():
            return report(False, f"{what}: with {name} you got {float(array.reshape(())):g}: a responsibility of exactly 0 gives "
                                 "0 * log 0 = NaN. Such a term contributes nothing: count it as 0 (np.where(r > 0, ..., 0)).")
        value = _as_number(what, result, hint="Average the bound over the points: one number.")
        if value is None:
            return False
        expected = reference_em_lower_bound(log_joint, responsibilities)
        if math.isclose(value, expected, rel_tol=1e-6, abs_tol=1e-9):
            values[name] = expected
            continue
        with np.errstate(divide="ignore", invalid="ignore"):
            entropy = float(np.where(responsibilities > 0, -responsibilities * np.log(responsibilities), 0.0).sum(axis=1).mean())
        expected_complete = float((responsibilities * log_joint).sum(axis=1).mean())
        wrong = [
            (expected_complete, "is only sum_k r log(pi_k N(x | k)), the expected complete-data log-likelihood; the bound also "
                                "has the entropy of the responsibilities, -sum_k r log r."),
            (expected_complete - entropy, "subtracts the entropy; the bound ADDS it: sum_k r (log(pi_k N(x | k)) - log r)."),
            (log_likelihood, "is log p(x) itself, whatever the responsibilities; the bound equals it only when r is the E-step's "
                             "posterior, and is lower otherwise."),
            (expected * len(points), "is the total over the points; average it."),
            (expected / math.log(2), "is in bits; the log-likelihoods here are in nats, keep them so."),
            (-expected, "has the wrong sign; the bound is a log-likelihood (negative here), not a loss."),
            (float(np.mean(np.where(responsibilities > 0, log_joint - np.log(np.where(responsibilities > 0, responsibilities, 1.0)), 0.0))),
             "averages log(pi_k N) - log r over points AND components without weighting by r; weight each term by r_nk "
             "and sum over k."),
        ]
        for wrong_value, message in wrong:
            if math.isclose(value, wrong_value, rel_tol=1e-6, abs_tol=1e-9):
                return report(False, f"{what}: with {name} your {value:.4f} {message}")
        return report(False, f"{what}: with {name} expected {expected:.4f}, got {value:.4f}. "
                             "Hint: (r * (log_joint - log r)).sum(axis=1).mean(), counting 0 log 0 as 0.")
    if not reveal:
        return report(True, f"{what}: correct ({HIDDEN})")
    tight, hard, flat = values.values()
    return report(True, f"{what}: correct. With the E-step's responsibilities the bound equals the log-likelihood ({tight:.4f} = "
                        f"{log_likelihood:.4f} nats per point); hard assignments give {hard:.4f} and uniform ones {flat:.4f}, both lower.")


MIXTURE_COMPONENTS = (2, 8, 64)  # few, about right, far too many for 200 points
MIXTURE_ITERATIONS = 20


def _mixture_data() -> tuple[np.ndarray, np.ndarray]:
    train_points, _ = _data.make_toy_2d("moons", 200, seed=0)
    heldout_points, _ = _data.make_toy_2d("moons", 1000, seed=1)
    return train_points.astype("float64"), heldout_points.astype("float64")


def check_mixture_experiment(mixture_experiment: Callable | None, *, reveal: bool = True) -> bool:
    """Exercise 4 (experiment): ``mixture_experiment(train_points, heldout_points, num_components, num_iterations)``
    fits a mixture by EM and returns (training, held-out) average log-likelihood; judged against a reference run."""
    what = "Exercise 4 · experiment: how many components?"
    train_points, heldout_points = _mixture_data()
    rows = []
    for num_components in MIXTURE_COMPONENTS:
        status, result = _attempt(what, mixture_experiment, train_points.copy(), heldout_points.copy(), num_components, MIXTURE_ITERATIONS)
        if status != "ok":
            return False
        given = to_array(result, "float64")
        if given is None or given.shape != (2,):
            shown = type(result).__name__ if given is None else f"shape {given.shape}"
            return report(False, f"{what}: expected a pair (training, held-out) of average log-likelihoods, got {shown}.")
        if not np.all(np.isfinite(given)):
            return report(False, f"{what}: with K={num_components} you got {given.tolist()}: a log-likelihood of -inf or NaN. "
                                 "Score with log-sum-exp over the components, and keep the covariance floor in the M-step.")
        expected = np.array(reference_mixture_experiment(train_points, heldout_points, num_components, MIXTURE_ITERATIONS))
        rows.append((num_components, expected))
        if np.allclose(given, expected, atol=1e-3):
            continue
        at = f"with K={num_components}"
        before = reference_mixture_experiment(train_points, heldout_points, num_components, MIXTURE_ITERATIONS, score_before_m_step=True)
        if np.allclose(given, expected[::-1], atol=1e-3):
            return report(False, f"{what}: {at} training and held-out are swapped; return (training, held-out).")
        if np.allclose(given, before, atol=1e-3):
            return report(False, f"{what}: {at} your training score is the one the last E-step computed, BEFORE the last M-step, "
                                 "while the held-out score comes after it. Score both with the same (final) parameters.")
        if math.isclose(given[0], given[1], abs_tol=1e-9) and math.isclose(given[0], expected[0], abs_tol=1e-3):
            return report(False, f"{what}: {at} both numbers are the training score; score the held-out points for the second.")
        if np.allclose(given, expected * np.array([len(train_points), len(heldout_points)]), rtol=1e-4):
            return report(False, f"{what}: {at} these are totals; average the log-likelihood over the points (nats per point).")
        if np.allclose(given, expected / math.log(2), atol=1e-3):
            return report(False, f"{what}: {at} these are in bits; keep natural logs (nats per point).")
        if len(rows) > 1 and np.allclose(given, rows[0][1], atol=1e-3):
            return report(False, f"{what}: {at} you got the same scores as with K={rows[0][0]}: use the num_components argument.")
        for iterations in (1, MIXTURE_ITERATIONS - 1, MIXTURE_ITERATIONS + 1, 100):
            if np.allclose(given, reference_mixture_experiment(train_points, heldout_points, num_components, iterations), atol=1e-3):
                return report(False, f"{what}: {at} your scores match {iterations} EM iterations; run exactly num_iterations "
                                     f"(= {MIXTURE_ITERATIONS}) E- and M-steps.")
        return report(False, f"{what}: {at} expected (training, held-out) = ({expected[0]:.4f}, {expected[1]:.4f}), got "
                             f"({given[0]:.4f}, {given[1]:.4f}). Initialise as the notebook does (means: the training points picked by "
                             "np.random.default_rng(0).choice(len(train_points), K, replace=False); every covariance the training "
                             "covariance with bias=True; equal weights), then alternate e_step and m_step.")
    if not reveal:
        return report(True, f"{what}: correct ({HIDDEN})")
    shown = "; ".join(f"K={k}: train {scores[0]:+.3f}, held-out {scores[1]:+.3f}" for k, scores in rows)
    best = max(rows, key=lambda row: row[1][1])[0]
    return report(True, f"{what}: correct, and the effect is measured ({len(train_points)} training points, "
                        f"{MIXTURE_ITERATIONS} EM iterations): {shown}. The training score keeps rising with K, the held-out score peaks "
                        f"at K={best}: beyond it the extra components fit the training points' noise.")
