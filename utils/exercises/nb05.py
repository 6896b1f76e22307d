"""Checkers for notebook 05 · A GAN from scratch on 2-D data."""

from __future__ import annotations

import numpy as np

from . import as_number, attempt, check_function, is_blank, not_attempted, report, to_array


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
        status, value = attempt(what, function, real.copy(), fake.copy())
        if status != "ok":
            return False
        array = to_array(value, "float64")
        if array is not None and array.size == 1 and not np.isfinite(array).all():
            return report(False, f"{what}: got {float(array.reshape(()))} for logits of ±30. Use tf.math.log_sigmoid(logits) instead of "
                                 "log(sigmoid(logits)): the sigmoid rounds to 0 or 1 and the log blows up.")
        value = as_number(what, value, hint="Average over the batch (tf.reduce_mean) so the loss is one number.")
        if value is None:
            return False
        expected = _reference_d_loss(real, fake)
        if np.isclose(value, expected, rtol=1e-3, atol=1e-4):
            continue
        wrong = [
            (_reference_d_loss(-real, -fake), "It looks like real and fake are swapped: real logits should be pushed up, fake ones down."),
            (-expected, "The sign is flipped: the loss is MINUS the log-likelihood, so that minimising it improves D."),
            (float(-np.mean(np.log(_sigmoid(real.astype("float64")))) - np.mean(np.log(_sigmoid(fake.astype("float64"))))),
             "The fake term is log(1 - D) = log_sigmoid(-logits), not log_sigmoid(logits)."),
            (expected * len(real), "That is a sum over the batch; take the mean (tf.reduce_mean)."),
        ]
        hint = next((message for wrong_value, message in wrong if np.isclose(value, wrong_value, rtol=1e-3, atol=1e-4)),
                    "Remember the minus sign (we minimise) and that log(1 - sigmoid(l)) = log_sigmoid(-l).")
        return report(False, f"{what}: got {value:.4f}, expected {expected:.4f}. {hint}")
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
    pair = np.array([minimax, non_saturating])
    if np.allclose(pair, [-0.01, -0.99], atol=1e-3):
        return report(True, f"{what}: correct. The minimax loss gives a 99x weaker push ({minimax:.3f} vs {non_saturating:.3f}) "
                            "exactly when the generator is worst: that is the saturation.")
    wrong = [
        ([-0.99, -0.01], "the pair is swapped: first the minimax gradient, then the non-saturating one."),
        ([0.01, 0.99], "both signs are flipped: for l = logit, d/dl log(1 - sigmoid(l)) = -sigmoid(l) = -D, and "
                       "d/dl -log sigmoid(l) = -(1 - D)."),
        ([-1 / 0.99, -1 / 0.01], "these are derivatives with respect to D; the exercise asks for the derivative with respect "
                                 "to the LOGIT (take the gradient with respect to the variable that sigmoid is applied to)."),
    ]
    for wrong_pair, message in wrong:
        if np.allclose(pair, wrong_pair, rtol=1e-2, atol=1e-3):
            return report(False, f"{what}: {message}")
    hints = []
    if not np.isclose(minimax, -0.01, atol=1e-3):
        hints.append(f"minimax: d/dl log(1 - sigmoid(l)) = -sigmoid(l) = -D, got {minimax:.4g}")
    if not np.isclose(non_saturating, -0.99, atol=1e-3):
        hints.append(f"non-saturating: d/dl -log sigmoid(l) = -(1 - sigmoid(l)) = -(1 - D), got {non_saturating:.4g}")
    return report(False, f"{what}: " + "; ".join(hints))


def check_optimal_discriminator(answer) -> bool:
    """Exercise 3: D*(x) for p_data(x) = 0.3 and p_g(x) = 0.1."""
    what = "Exercise 3 (optimal discriminator)"
    if is_blank(answer):
        return not_attempted(what)
    value = as_number(what, answer, hint="D*(x) is one number between 0 and 1.")
    if value is None:
        return False
    if np.isclose(value, 0.75, rtol=1e-3):
        return report(True, f"{what}: correct.")  # says no more: a solution cell's output shows before the cell is opened
    wrong = [
        (0.25, "that is p_g / (p_data + p_g), the probability that x is FAKE; D outputs the probability that x is real."),
        (0.5, "D* = 0.5 only where p_data = p_g (a perfect generator); here p_data is three times p_g."),
        (3.0, "that is the ratio p_data / p_g; D is a probability: p_data / (p_data + p_g)."),
        (0.3, "that is p_data alone; D* = p_data / (p_data + p_g)."),
        (1.0, "D* = 1 only where p_g = 0; here the generator also puts density at x."),
    ]
    hint = next((message for wrong_value, message in wrong if np.isclose(value, wrong_value, rtol=1e-3)),
                "Set the derivative p_data / D - p_g / (1 - D) to zero: D*(x) = p_data(x) / (p_data(x) + p_g(x)).")
    return report(False, f"{what}: {value:.4g} (expected about 0.75): {hint}")


def _count_variant(samples, modes, std, *, factor=3.0, metric="euclidean", count="modes") -> float:
    """Modes covered, computed with one of the usual mistakes switched on (for the checker's hints)."""
    difference = np.asarray(samples, "float64")[:, None, :] - np.asarray(modes, "float64")[None, :, :]
    distances = {"euclidean": np.linalg.norm(difference, axis=-1), "box": np.abs(difference).max(axis=-1),
                 "squared": (difference**2).sum(axis=-1)}[metric]
    nearest = distances.argmin(axis=1)
    good = distances.min(axis=1) <= factor * std
    covered = len(np.unique(nearest[good]))
    return {"modes": covered, "samples": int(good.sum()), "fraction": covered / len(modes)}[count]


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
        (np.array([[1.0, 1.0], [0.12, 0.0]], "float32"), 0.05),  # one sample far from every mode, one 2.4 std from mode 0
        (modes + 0.12, 0.05),  # all just outside 3 std (0.17 > 0.15), though each coordinate is within
        (modes + 0.12, 0.1),  # the same points, a wider std
        (modes[:3] + np.array([[0.05, 0.0], [0.0, 0.15], [-0.25, 0.0]], "float32"), 0.1),  # 0.5, 1.5 and 2.5 std away
        (modes[[3]] + np.array([[0.4, 0.0]], "float32"), 0.1),  # 4 std away, but its squared distance 0.16 is below 0.3
        (rng.uniform(-0.5, 2.5, (200, 2)).astype("float32"), 0.05),
    ]
    answers = []
    for samples, std in cases:
        status, value = attempt(what, function, samples.copy(), modes.copy(), std)
        if status != "ok":
            return False
        number = as_number(what, value, hint="Return how many modes are covered, e.g. int(len(np.unique(...))).")
        if number is None:
            return False
        answers.append(number)
    expected = [metrics.mode_coverage(samples, modes, std)["modes_covered"] for samples, std in cases]
    wrong = [
        (dict(count="fraction"), "That is the fraction of modes covered; return the count."),
        (dict(count="samples"), "That counts the samples near a mode; count the MODES that received at least one."),
        (dict(factor=1.0), "A sample counts within 3 * std of its mode, not within std."),
        (dict(factor=2.0), "A sample counts within 3 * std of its mode, not within 2 * std."),
        (dict(metric="box"), "Measure the Euclidean distance to the mode (np.linalg.norm), not each coordinate separately."),
        (dict(metric="squared"), "You compared the SQUARED distance with 3 * std; take the square root (np.linalg.norm)."),
    ]
    for number, count in zip(answers, expected):
        if number == count:
            continue
        if number != round(number) and not np.isclose(number, count / len(modes)):
            return report(False, f"{what}: got {number:g}, expected a whole number of modes ({count} here).")
        hint = next((message for options, message in wrong
                     if np.allclose(answers, [_count_variant(s, modes, d, **options) for s, d in cases])),
                    "A mode counts when at least one sample whose *nearest* mode it is lies within 3 std (Euclidean distance).")
        return report(False, f"{what}: got {number:g} for a case with {count} modes covered. {hint}")
    return report(True, f"{what}: correct on {len(cases)} cases; it agrees with utils.metrics.mode_coverage.")
