"""Checkers for notebook 05 · A GAN from scratch on 2-D data."""

from __future__ import annotations

import math

import numpy as np

from . import attempt, check_close, check_function, is_blank, not_attempted, report


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _reference_d_loss(real_logits, fake_logits) -> float:
    real_logits, fake_logits = np.asarray(real_logits, "float64"), np.asarray(fake_logits, "float64")
    return float(-np.mean(np.log(_sigmoid(real_logits))) - np.mean(np.log(1.0 - _sigmoid(fake_logits))))


def check_discriminator_loss(function) -> bool:
    """Exercise 1: ``function(real_logits, fake_logits)`` returns -[E log D(x) + E log(1 - D(G(z)))]."""
    what = "Exercise 1 (discriminator loss)"
    verdict = check_function(what, function, "(real_logits, fake_logits) -> loss")
    if verdict is not None:
        return verdict
    rng = np.random.default_rng(5)
    cases = [(rng.normal(size=8).astype("float32"), rng.normal(size=8).astype("float32")),
             (np.array([4.0, 3.0], "float32"), np.array([-4.0, -3.0], "float32")),
             (np.array([30.0, -30.0], "float32"), np.array([30.0, -30.0], "float32"))]
    for real, fake in cases:
        status, value = attempt(what, function, real, fake)
        if status != "ok":
            return False
        value = float(np.asarray(value))
        expected = _reference_d_loss(real, fake)
        if not math.isfinite(value):
            return report(False, f"{what}: got {value} for logits of ±30. Use tf.math.log_sigmoid(logits) instead of "
                                 "log(sigmoid(logits)): the sigmoid rounds to 0 or 1 and the log blows up.")
        if not np.isclose(value, expected, rtol=1e-3, atol=1e-4):
            swapped = _reference_d_loss(-np.asarray(real), -np.asarray(fake))
            hint = (" It looks like real and fake are swapped: real logits should be pushed up, fake ones down."
                    if np.isclose(value, swapped, rtol=1e-3) else
                    " Remember the minus sign (we minimise) and that log(1 - sigmoid(l)) = log_sigmoid(-l).")
            return report(False, f"{what}: got {value:.4f}, expected {expected:.4f}.{hint}")
    return report(True, f"{what}: correct, and numerically stable for large logits.")


def check_saturation(answer) -> bool:
    """Exercise 2: (d minimax / d logit, d non-saturating / d logit) when D(G(z)) = 0.01."""
    what = "Exercise 2 (gradients when D(G(z)) = 0.01)"
    if is_blank(answer):
        return not_attempted(what)
    try:
        minimax, non_saturating = (float(np.asarray(v)) for v in answer)
    except (TypeError, ValueError):
        return report(False, f"{what}: expected a pair (minimax_gradient, non_saturating_gradient)")
    ok_minimax = np.isclose(minimax, -0.01, atol=1e-3)
    ok_ns = np.isclose(non_saturating, -0.99, atol=1e-3)
    if ok_minimax and ok_ns:
        return report(True, f"{what}: correct. The minimax loss gives a 99x weaker push ({minimax:.3f} vs {non_saturating:.3f}) "
                            "exactly when the generator is worst: that is the saturation.")
    hints = []
    if not ok_minimax:
        hints.append(f"minimax: d/dl log(1 - sigmoid(l)) = -sigmoid(l) = -D, got {minimax:.4g}")
    if not ok_ns:
        hints.append(f"non-saturating: d/dl -log sigmoid(l) = -(1 - sigmoid(l)) = -(1 - D), got {non_saturating:.4g}")
    return report(False, f"{what}: " + "; ".join(hints))


def check_optimal_discriminator(answer) -> bool:
    """Exercise 3: D*(x) for p_data(x) = 0.3 and p_g(x) = 0.1."""
    return check_close("Exercise 3 (optimal discriminator)", answer, 0.75, rtol=1e-3,
                       hint="D*(x) = p_data(x) / (p_data(x) + p_g(x)).")


def check_count_covered(function) -> bool:
    """Exercise 4: ``function(samples, modes, std)`` counts modes with a sample within 3 std of it (nearest mode)."""
    what = "Exercise 4 (modes covered)"
    verdict = check_function(what, function, "(samples, modes, std) -> int")
    if verdict is not None:
        return verdict
    from .. import metrics

    rng = np.random.default_rng(3)
    modes = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0], [2.0, 2.0]], "float32")
    cases = [
        (modes[[0, 0, 1]] + 0.01 * rng.standard_normal((3, 2)), 0.05),  # two modes
        (np.array([[1.0, 1.0], [0.1, 0.0]], "float32"), 0.05),  # one sample far from every mode
        (modes + 0.12, 0.05),  # all just outside 3 std (0.17 > 0.15)
        (modes + 0.12, 0.1),  # the same points, a wider std
        (rng.uniform(-0.5, 2.5, (200, 2)).astype("float32"), 0.05),
    ]
    for samples, std in cases:
        status, value = attempt(what, function, samples, modes, std)
        if status != "ok":
            return False
        expected = metrics.mode_coverage(samples, modes, std)["modes_covered"]
        if int(np.asarray(value)) != expected:
            return report(False, f"{what}: got {value} modes for a case with {expected}. A mode counts when at least one "
                                 "sample whose *nearest* mode it is lies within 3 std (Euclidean distance).")
    return report(True, f"{what}: correct on {len(cases)} cases; it agrees with utils.metrics.mode_coverage.")
