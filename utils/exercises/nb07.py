"""Checkers for notebook 07 · Conditional GAN and Wasserstein GAN with gradient penalty."""

from __future__ import annotations

import numpy as np

from . import attempt, check_close, check_function, report


def check_linear_critic_penalty(answer) -> bool:
    """Exercise 1: the gradient penalty of the critic f(x) = 3 x_1 + 4 x_2."""
    return check_close("Exercise 1 (penalty of a linear critic)", answer, 16.0, rtol=1e-3,
                       hint="The gradient of a . x is a everywhere, with norm |a| = 5; the penalty is (|a| - 1)^2.")


def check_critic_loss(function) -> bool:
    """Exercise 2: ``function(real_scores, fake_scores)`` -> the WGAN critic loss E[f(fake)] - E[f(real)]."""
    what = "Exercise 2 (critic loss)"
    verdict = check_function(what, function, "(real_scores, fake_scores) -> loss")
    if verdict is not None:
        return verdict
    rng = np.random.default_rng(7)
    for _ in range(3):
        real, fake = rng.normal(2.0, 1.0, 6).astype("float32"), rng.normal(-1.0, 1.0, 6).astype("float32")
        status, value = attempt(what, function, real, fake)
        if status != "ok":
            return False
        value = float(np.asarray(value))
        expected = float(np.mean(fake) - np.mean(real))
        if not np.isclose(value, expected, rtol=1e-4, atol=1e-5):
            hint = (" The sign is flipped: the critic *minimises* this loss, so real scores must enter with a minus."
                    if np.isclose(value, -expected, rtol=1e-4) else
                    " No log or sigmoid here: the critic outputs raw scores and the loss is a difference of means.")
            return report(False, f"{what}: got {value:.4f}, expected {expected:.4f}.{hint}")
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
        labels = np.asarray(value)
        expected = np.repeat(np.arange(10), n)
        if labels.shape != expected.shape:
            return report(False, f"{what}: for n={n} expected {expected.size} labels, got shape {labels.shape}")
        if not np.array_equal(labels, expected):
            hint = " You tiled (0..9, 0..9, ...); each row of the grid needs one digit n times: np.repeat." \
                if np.array_equal(labels, np.tile(np.arange(10), n)) else ""
            return report(False, f"{what}: for n={n} got {labels[:12].tolist()}..., expected {expected[:12].tolist()}...{hint}")
    return report(True, f"{what}: correct: row r of the grid shows digit r.")
