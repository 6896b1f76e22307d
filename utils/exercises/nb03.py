"""Checkers for notebook 03 · Variational autoencoders.

Each checker takes the learner's function, calls it on known inputs, prints what is right
or wrong (and why) and returns True or False. A blank answer (None) prints "not attempted".
"""

from __future__ import annotations

import math

import numpy as np

from . import call_safely, is_blank, not_attempted, report, to_array


def _reference_kl(mean_q, log_var_q, mean_p, log_var_p):
    return 0.5 * np.sum(log_var_p - log_var_q + (np.exp(log_var_q) + (mean_q - mean_p) ** 2) / np.exp(log_var_p) - 1.0, axis=1)




def check_kl_diagonal_gaussians(kl_diagonal_gaussians) -> bool:
    """Exercise 1: KL(q || p) between diagonal Gaussians, per row.

    Example: ``ex.check_kl_diagonal_gaussians(my_function)``
    """
    what = "Exercise 1 · KL between diagonal Gaussians"
    if is_blank(kl_diagonal_gaussians):
        return not_attempted(what)
    if not callable(kl_diagonal_gaussians):
        return report(False, f"{what}: expected a function, got {type(kl_diagonal_gaussians).__name__}")
    rng = np.random.default_rng(0)
    mean_q, mean_p = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    log_var_q, log_var_p = rng.normal(scale=0.5, size=(5, 3)), rng.normal(scale=0.5, size=(5, 3))
    zeros = np.zeros((5, 3))
    cases = [
        ("q equal to p", (mean_q, log_var_q, mean_q, log_var_q), np.zeros(5),
         "KL(q || q) must be 0: check the '- 1' and that the log-variance terms cancel."),
        ("p = N(0, I)", (mean_q, log_var_q, zeros, zeros), _reference_kl(mean_q, log_var_q, zeros, zeros),
         "with p = N(0, I) this is 0.5 * sum(mean^2 + exp(log_var) - log_var - 1)."),
        ("general q and p", (mean_q, log_var_q, mean_p, log_var_p), _reference_kl(mean_q, log_var_q, mean_p, log_var_p),
         "remember to divide both the variance of q and the squared mean difference by the variance of p, "
         "and that the inputs are LOG-variances."),
    ]
    for name, arguments, expected, hint in cases:
        ok, answer = call_safely(what, kl_diagonal_gaussians, *arguments)
        if not ok:
            return False
        if is_blank(answer):
            return not_attempted(what)
        given = to_array(answer, "float64")
        if given is None:
            return report(False, f"{what}: expected an array of shape (5,), got {type(answer).__name__}")
        if given.shape != expected.shape:
            return report(False, f"{what} ({name}): expected shape {expected.shape} (one KL per row, summed over latent "
                                 f"dimensions), got {given.shape}")
        if not np.allclose(given, expected, rtol=1e-4, atol=1e-6):
            return report(False, f"{what} ({name}): values differ, e.g. {given[0]:.4f} instead of {expected[0]:.4f}. {hint}")
    return report(True, f"{what}: correct, zero for q = p, the closed form for p = N(0, I), and right in general.")


def check_bits_per_pixel(bits_per_pixel) -> bool:
    """Exercise 2: convert nats per image to bits per pixel, for a number and an array.

    Example: ``ex.check_bits_per_pixel(my_function)``
    """
    what = "Exercise 2 · bits per pixel"
    if is_blank(bits_per_pixel):
        return not_attempted(what)
    if not callable(bits_per_pixel):
        return report(False, f"{what}: expected a function, got {type(bits_per_pixel).__name__}")
    ok, single = call_safely(what, bits_per_pixel, 784 * math.log(2.0), 784)
    if not ok:
        return False
    if is_blank(single):
        return not_attempted(what)
    value = to_array(single, "float64")
    if value is None or value.size != 1:
        return report(False, f"{what}: for one number expected one number back, got {single!r}")
    if not np.isclose(float(value), 1.0, rtol=1e-5):
        hint = ""
        if np.isclose(float(value), 1.0 / math.log(2.0) ** 2, rtol=1e-4):
            hint = "You multiplied by ln 2 instead of dividing. "
        elif np.isclose(float(value), 784.0, rtol=1e-4):
            hint = "Divide by the number of pixels too. "
        return report(False, f"{what}: 784 ln 2 nats over 784 pixels is exactly 1 bit per pixel (a fair coin per pixel), "
                             f"got {float(value):.4g}. {hint}bits = nats / ln 2.")
    ok, many = call_safely(what, bits_per_pixel, np.array([0.0, 100.0, 543.4]), 784)
    if not ok:
        return False
    values = to_array(many, "float64")
    expected = np.array([0.0, 100.0, 543.4]) / (784 * math.log(2.0))
    if values is None or values.shape != (3,) or not np.allclose(values, expected, rtol=1e-5):
        return report(False, f"{what}: for an array of 3 values expected {np.round(expected, 4)}, got {many!r}")
    return report(True, f"{what}: correct, bits per pixel = nats / (pixels × ln 2); 100 nats on 28x28 digits is {expected[1]:.3f}.")


def check_monte_carlo_kl(monte_carlo_kl) -> bool:
    """Exercise 3: a sampled estimate of KL(q || N(0, I)) must match the closed form within its noise.

    Example: ``ex.check_monte_carlo_kl(my_function)``
    """
    what = "Exercise 3 · Monte-Carlo KL"
    if is_blank(monte_carlo_kl):
        return not_attempted(what)
    if not callable(monte_carlo_kl):
        return report(False, f"{what}: expected a function, got {type(monte_carlo_kl).__name__}")
    mean = np.array([0.5, -1.0, 0.0, 2.0])
    log_var = np.array([0.0, -1.0, 0.7, -0.3])
    exact = float(_reference_kl(mean[None], log_var[None], np.zeros((1, 4)), np.zeros((1, 4)))[0])
    num_samples = 20000
    ok, estimate = call_safely(what, monte_carlo_kl, mean, log_var, num_samples, 0)
    if not ok:
        return False
    if is_blank(estimate):
        return not_attempted(what)
    value = to_array(estimate, "float64")
    if value is None or value.size != 1 or not np.isfinite(value).all():
        return report(False, f"{what}: expected one finite number, got {estimate!r}")
    value = float(value)
    # the per-sample log-ratio has a standard deviation of a few nats here, so 20,000 draws give about +-0.03
    if abs(value - exact) > 0.1:
        hint = "Check the sign (log q - log p), that z uses exp(log_var / 2) as the standard deviation, and the sum over dimensions."
        if abs(value + exact) < 0.1:
            hint = "You computed log p - log q: flip the sign."
        return report(False, f"{what}: estimate {value:.3f}, but the closed form is {exact:.3f}. {hint}")
    ok, other = call_safely(what, monte_carlo_kl, mean, log_var, 50, 1)
    if ok and to_array(other, "float64") is not None and np.isclose(float(to_array(other, "float64")), exact, rtol=1e-9):
        return report(False, f"{what}: with only 50 samples the answer is exactly the closed form: sample z from q "
                             "with the reparameterisation trick instead of using the formula.")
    return report(True, f"{what}: correct, {value:.3f} nats from {num_samples:,} samples vs {exact:.3f} exactly.")
