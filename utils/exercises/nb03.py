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




def _one_number(what: str, answer, hint: str = ""):
    """The learner's answer as a float, or None after saying why it is not one finite number."""
    value = None if isinstance(answer, (str, bytes, dict)) else to_array(answer, "float64")
    if value is None or value.size != 1 or not np.isfinite(value).all():
        shown = repr(answer) if value is None or value.size <= 3 else f"an array of shape {value.shape}"
        report(False, f"{what}: expected one finite number, got {shown}. {hint}".strip())
        return None
    return float(value.reshape(()))


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
        ("q equal to p", (mean_q, log_var_q, mean_q, log_var_q),
         "KL(q || q) must be 0: check the '- 1' and that the log-variance terms cancel."),
        ("p = N(0, I)", (mean_q, log_var_q, zeros, zeros),
         "with p = N(0, I) this is 0.5 * sum(mean^2 + exp(log_var) - log_var - 1)."),
        ("general q and p", (mean_q, log_var_q, mean_p, log_var_p),
         "remember to divide both the variance of q and the squared mean difference by the variance of p, "
         "and that the inputs are LOG-variances."),
    ]
    for name, arguments, hint in cases:
        ok, answer = call_safely(what, kl_diagonal_gaussians, *(a.copy() for a in arguments))
        if not ok:
            return False
        if is_blank(answer):
            return not_attempted(what)
        expected = _reference_kl(*arguments)
        given = None if isinstance(answer, str) else to_array(answer, "float64")
        if given is None:
            return report(False, f"{what}: expected an array of shape (5,), got {type(answer).__name__}")
        if given.shape != expected.shape:
            return report(False, f"{what} ({name}): expected shape {expected.shape} (one KL per row, summed over latent "
                                 f"dimensions with axis=1), got {given.shape}")
        if not np.all(np.isfinite(given)):
            return report(False, f"{what} ({name}): your KL holds NaN or infinity. The inputs are LOG-variances: the variance "
                                 "is np.exp(log_var), never np.log(log_var).")
        if np.allclose(given, expected, rtol=1e-4, atol=1e-6):
            continue
        mean_q_, log_var_q_, mean_p_, log_var_p_ = arguments
        wrong = [
            (_reference_kl(mean_p_, log_var_p_, mean_q_, log_var_q_), "you computed KL(p || q); KL is not symmetric: the "
                                                                        "variance of p is the one that divides."),
            (2 * expected, "twice the KL: the factor 1/2 in front of the sum is missing."),
            (expected / mean_q.shape[1], "you averaged over the latent dimensions; the KL of independent dimensions is their SUM."),
        ]
        for wrong_value, message in wrong:
            if np.allclose(given, wrong_value, rtol=1e-4, atol=1e-6):
                return report(False, f"{what} ({name}): {message}")
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
    # num_pixels * ln 2 nats is exactly 1 bit per pixel (a fair coin per pixel), for 28x28 digits and 32x32x3 colour images
    for num_pixels in (784, 3072):
        ok, single = call_safely(what, bits_per_pixel, num_pixels * math.log(2.0), num_pixels)
        if not ok:
            return False
        if is_blank(single):
            return not_attempted(what)
        value = _one_number(what, single, "For one number of nats, return one number of bits per pixel.")
        if value is None:
            return False
        if np.isclose(value, 1.0, rtol=1e-5):
            continue
        wrong = [
            (math.log(2.0), "that is nats per pixel: divide by ln 2 as well (bits = nats / ln 2)."),
            (math.log(2.0) ** 2, "you multiplied by ln 2 instead of dividing (bits = nats / ln 2)."),
            (float(num_pixels), "that is bits per IMAGE: divide by the number of pixels too."),
            (math.log(2.0) / math.log10(2.0), "you divided by log10(2); bits = nats / ln 2, the NATURAL log of 2 (np.log(2))."),
            (num_pixels / 784, "it looks like 784 is hard-coded; use the num_pixels argument (here a 32x32x3 image)."),
        ]
        hint = next((message for wrong_value, message in wrong if np.isclose(value, wrong_value, rtol=1e-4)),
                    "bits per pixel = nats / (num_pixels * ln 2).")
        return report(False, f"{what}: {num_pixels} ln 2 nats over {num_pixels} pixels is exactly 1 bit per pixel, got {value:.4g}; {hint}")
    ok, many = call_safely(what, bits_per_pixel, np.array([0.0, 100.0, 543.4]), 784)
    if not ok:
        return False
    values = None if isinstance(many, str) else to_array(many, "float64")
    expected = np.array([0.0, 100.0, 543.4]) / (784 * math.log(2.0))
    if values is None or values.shape != (3,) or not np.allclose(values, expected, rtol=1e-5):
        return report(False, f"{what}: for an array of 3 values expected {np.round(expected, 4)}, got {many!r} "
                             "(use NumPy operations, not float() or math.log on the input, so arrays work too)")
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
    ok, estimate = call_safely(what, monte_carlo_kl, mean.copy(), log_var.copy(), num_samples, 0)
    if not ok:
        return False
    if is_blank(estimate):
        return not_attempted(what)
    value = _one_number(what, estimate, "Average log q(z) - log p(z) over the samples.")
    if value is None:
        return False
    # the per-sample log-ratio has a standard deviation of a few nats here, so 20,000 draws give about +-0.03
    if abs(value - exact) > 0.1:
        variance, dims = np.exp(log_var), len(mean)
        wrong = [
            (-exact, "You computed log p - log q: flip the sign."),
            (exact / dims, "You averaged over the latent dimensions; sum the log-densities over dimensions, average over samples."),
            # z drawn with standard deviation exp(log_var) instead of exp(log_var / 2): two ways of writing log q
            (0.5 * float(np.sum(mean**2 + variance**2 - log_var - 1)), "The standard deviation is exp(log_var / 2), not exp(log_var)."),
            (0.5 * float(np.sum(mean**2 + variance**2 - log_var - variance)), "The standard deviation is exp(log_var / 2), not exp(log_var)."),
            (exact + 0.5 * dims * math.log(2 * math.pi), "One log-density lacks its -0.5 * log(2 pi) per dimension; give both the constant (or neither: they cancel)."),
            (exact - 0.5 * dims * math.log(2 * math.pi), "One log-density lacks its -0.5 * log(2 pi) per dimension; give both the constant (or neither: they cancel)."),
        ]
        hint = next((message for wrong_value, message in wrong if abs(value - wrong_value) < 0.15),
                    "Check the sign (log q - log p), that z uses exp(log_var / 2) as the standard deviation, and the sum over dimensions.")
        return report(False, f"{what}: estimate {value:.3f}, but the closed form is {exact:.3f}. {hint}")
    ok, again = call_safely(what, monte_carlo_kl, mean.copy(), log_var.copy(), num_samples, 0)
    again = _one_number(what, again) if ok else None
    if again is None:
        return False
    if again != value:
        return report(False, f"{what}: the same seed gave two different estimates ({value:.4f}, then {again:.4f}): "
                             "draw from np.random.default_rng(seed).")
    ok, other = call_safely(what, monte_carlo_kl, mean.copy(), log_var.copy(), 50, 1)
    other = _one_number(what, other) if ok else None
    if other is None:
        return False
    if np.isclose(other, exact, rtol=1e-9):
        return report(False, f"{what}: with only 50 samples the answer is exactly the closed form: sample z from q "
                             "with the reparameterisation trick instead of using the formula.")
    return report(True, f"{what}: correct, {value:.3f} nats from {num_samples:,} samples vs {exact:.3f} exactly.")
