"""Checkers for notebook 07 · Conditional GAN and Wasserstein GAN with gradient penalty."""

from __future__ import annotations

import numpy as np

from . import as_number, attempt, check_function, is_blank, not_attempted, report, to_array


def check_linear_critic_penalty(answer) -> bool:
    """Exercise 1: the gradient penalty of the critic f(x) = 3 x_1 + 4 x_2."""
    what = "Exercise 1 (penalty of a linear critic)"
    if is_blank(answer):
        return not_attempted(what)
    value = as_number(what, answer, hint="The penalty is one number, the same for every point.")
    if value is None:
        return False
    if np.isclose(value, 16.0, rtol=1e-3):
        return report(True, f"{what}: correct.")  # says no more: a solution cell's output shows before the cell is opened
    wrong = [
        (25.0, "that is |gradient|^2; the penalty is (|gradient| - 1)^2: subtract 1 before squaring."),
        (4.0, "that is |gradient| - 1; square it: (|gradient| - 1)^2."),
        (5.0, "that is the gradient norm itself; the penalty is (|gradient| - 1)^2."),
        (36.0, "you used |3| + |4| = 7; the penalty uses the Euclidean norm sqrt(3^2 + 4^2) = 5."),
        (160.0, "that includes the weight lambda = 10; the exercise asks for the penalty without it."),
        (0.0, "a linear critic is not automatically 1-Lipschitz: its gradient (3, 4) has norm 5, not 1."),
    ]
    hint = next((message for wrong_value, message in wrong if np.isclose(value, wrong_value, rtol=1e-3)),
                "The gradient of a . x is a everywhere, with norm |a| = 5; the penalty is (|a| - 1)^2.")
    return report(False, f"{what}: {value:.4g} (expected 16): {hint}")


def check_critic_loss(function) -> bool:
    """Exercise 2: ``function(real_scores, fake_scores)`` -> the WGAN critic loss E[f(fake)] - E[f(real)]."""
    what = "Exercise 2 (critic loss)"
    verdict = check_function(what, function, "(real_scores, fake_scores) -> loss")
    if verdict is not None:
        return verdict
    rng = np.random.default_rng(7)
    for _ in range(3):
        real, fake = rng.normal(2.0, 1.0, 6).astype("float32"), rng.normal(-1.0, 1.0, 6).astype("float32")
        status, value = attempt(what, function, real.copy(), fake.copy())
        if status != "ok":
            return False
        value = as_number(what, value, hint="Average the scores over the batch (tf.reduce_mean): the loss is one number.")
        if value is None:
            return False
        expected = float(np.mean(fake) - np.mean(real))
        if np.isclose(value, expected, rtol=1e-4, atol=1e-5):
            continue
        wrong = [
            (-expected, "The sign is flipped: the critic *minimises* this loss, so real scores must enter with a minus."),
            (float(-np.mean(fake)), "That is the GENERATOR's loss, -E[f(fake)]; the critic's loss also has -E[f(real)]."),
            (expected * len(real), "That is a sum over the batch; take the means."),
        ]
        hint = next((message for wrong_value, message in wrong if np.isclose(value, wrong_value, rtol=1e-4, atol=1e-5)),
                    "No log or sigmoid here: the critic outputs raw scores and the loss is a difference of means.")
        return report(False, f"{what}: got {value:.4f}, expected {expected:.4f}. {hint}")
    return report(True, f"{what}: correct; minus this loss estimates the Wasserstein distance (up to the critic's scale).")


def check_label_grid(function) -> bool:
    """Exercise 3: ``function(n)`` -> labels 0..9, each repeated n times in a row (a 10 x n grid)."""
    what = "Exercise 3 (labels for a 10-class grid)"
    verdict = check_function(what, function, "n -> labels")
    if verdict is not None:
        return verdict
    for n in (1, 3, 8):
        status, value = attempt(what, function, n)
        if status != "ok":
            return False
        labels = to_array(value) if not isinstance(value, str) else None
        if labels is None or labels.dtype.kind not in "biuf":
            return report(False, f"{what}: expected an array of integer labels, got {type(value).__name__}")
        expected = np.repeat(np.arange(10), n)
        if labels.shape != expected.shape:
            hint = " Return one flat array (row-major order), e.g. with .ravel()." if labels.size == expected.size else ""
            return report(False, f"{what}: for n={n} expected {expected.size} labels, got shape {labels.shape}.{hint}")
        if not np.array_equal(labels, expected):
            wrong = [
                (np.tile(np.arange(10), n), "You tiled (0..9, 0..9, ...); each row of the grid needs one digit n times: np.repeat."),
                (expected + 1, "The digits are 0..9, not 1..10."),
                (np.repeat(np.arange(n), 10), "You repeated 0..n-1 ten times each; the labels are the digits 0..9, each repeated n times."),
            ]
            hint = next((message for wrong_value, message in wrong if np.array_equal(labels, wrong_value)), "")
            return report(False, f"{what}: for n={n} got {labels[:12].tolist()}..., expected {expected[:12].tolist()}... {hint}".strip())
    return report(True, f"{what}: correct: row r of the grid shows digit r.")
