"""The exercise checkers of notebooks 02-04: right answers pass, blank answers say "not attempted",
typical wrong answers fail with a helpful message, and a crashing answer does not crash the checker."""

import numpy as np
import pytest

from utils.exercises import nb02, nb03, nb04

# ----------------------------------------------------------------------------- right answers


def add_gaussian_noise(images, noise_std, seed):
    noisy = np.asarray(images) + noise_std * np.random.default_rng(seed).standard_normal(np.shape(images))
    return np.clip(noisy, 0.0, 1.0).astype("float32")


def per_image_error(images, reconstructions):
    squared = (np.asarray(images, dtype="float64") - np.asarray(reconstructions, dtype="float64")) ** 2
    return squared.reshape(len(squared), -1).mean(axis=1)


def roc_auc(normal_scores, anomaly_scores):
    difference = np.asarray(anomaly_scores)[:, None] - np.asarray(normal_scores)[None, :]
    return float(np.mean(difference > 0) + 0.5 * np.mean(difference == 0))


def kl_diagonal_gaussians(mean_q, log_var_q, mean_p, log_var_p):
    return 0.5 * np.sum(log_var_p - log_var_q + (np.exp(log_var_q) + (mean_q - mean_p) ** 2) / np.exp(log_var_p) - 1, axis=1)


def bits_per_pixel(nats_per_image, num_pixels):
    return np.asarray(nats_per_image) / (num_pixels * np.log(2.0))


def monte_carlo_kl(mean, log_var, num_samples, seed):
    epsilon = np.random.default_rng(seed).standard_normal((num_samples, len(mean)))
    z = mean + np.exp(0.5 * log_var) * epsilon
    log_q = np.sum(-0.5 * (np.log(2 * np.pi) + log_var + epsilon**2), axis=1)
    log_p = np.sum(-0.5 * (np.log(2 * np.pi) + z**2), axis=1)
    return float(np.mean(log_q - log_p))


def condition_latents(z, labels, num_classes):
    return np.concatenate([np.asarray(z, dtype="float32"), np.eye(num_classes, dtype="float32")[labels]], axis=1)


def per_class_accuracy(predicted, requested, num_classes):
    result = np.full(num_classes, np.nan)
    for digit in range(num_classes):
        if np.any(requested == digit):
            result[digit] = np.mean(predicted[requested == digit] == digit)
    return result


def style_grid_inputs(style_latents, num_classes):
    return np.repeat(style_latents, num_classes, axis=0), np.tile(np.arange(num_classes), len(style_latents))


CHECKS = [
    (nb02.check_add_gaussian_noise, add_gaussian_noise),
    (nb02.check_per_image_error, per_image_error),
    (nb02.check_roc_auc, roc_auc),
    (nb03.check_kl_diagonal_gaussians, kl_diagonal_gaussians),
    (nb03.check_bits_per_pixel, bits_per_pixel),
    (nb03.check_monte_carlo_kl, monte_carlo_kl),
    (nb04.check_condition_latents, condition_latents),
    (nb04.check_per_class_accuracy, per_class_accuracy),
    (nb04.check_style_grid_inputs, style_grid_inputs),
]
IDS = [check.__name__ for check, _ in CHECKS]


@pytest.mark.parametrize(("check", "answer"), CHECKS, ids=IDS)
def test_right_answers_pass(check, answer, capsys):
    assert check(answer) is True
    assert "✅" in capsys.readouterr().out


@pytest.mark.parametrize(("check", "answer"), CHECKS, ids=IDS)
def test_blank_answers_are_not_attempted(check, answer, capsys):
    assert check(None) is False
    assert "not attempted" in capsys.readouterr().out
    assert check(lambda *args: None) is False  # a stub that returns None is "not attempted" too
    assert "not attempted" in capsys.readouterr().out


@pytest.mark.parametrize(("check", "answer"), CHECKS, ids=IDS)
def test_crashing_and_non_callable_answers_fail_without_raising(check, answer, capsys):
    def crashes(*args):
        raise RuntimeError("boom")

    assert check(crashes) is False
    assert "RuntimeError" in capsys.readouterr().out
    assert check(42) is False
    assert "expected a function" in capsys.readouterr().out


# ----------------------------------------------------------------------------- typical mistakes


def _fails_with(check, answer, capsys, fragment):
    assert check(answer) is False
    out = capsys.readouterr().out
    assert "❌" in out and fragment in out, out


def test_nb02_mistakes(capsys):
    _fails_with(nb02.check_add_gaussian_noise, lambda x, s, seed: np.asarray(x) + s * np.random.default_rng(seed).standard_normal(np.shape(x)),
                capsys, "float32")  # float64 and unclipped: the dtype message comes first
    _fails_with(nb02.check_add_gaussian_noise,
                lambda x, s, seed: np.asarray(x + s * np.random.default_rng(seed).standard_normal(np.shape(x)), dtype="float32"),
                capsys, "clip")
    _fails_with(nb02.check_add_gaussian_noise,
                lambda x, s, seed: np.clip(x + s * np.random.default_rng().standard_normal(np.shape(x)), 0, 1).astype("float32"),
                capsys, "same seed")
    _fails_with(nb02.check_per_image_error, lambda a, b: ((a - b) ** 2).reshape(len(a), -1).sum(axis=1), capsys, "sums over pixels")
    _fails_with(nb02.check_per_image_error, lambda a, b: np.mean((a - b) ** 2), capsys, "one number per image")
    _fails_with(nb02.check_roc_auc, lambda n, a: float(np.mean(np.asarray(a)[:, None] > np.asarray(n)[None, :])), capsys, "Ties")
    _fails_with(nb02.check_roc_auc, lambda n, a: roc_auc(a, n), capsys, "argument order")


def test_nb03_mistakes(capsys):
    _fails_with(nb03.check_kl_diagonal_gaussians, lambda mq, lq, mp, lp: 0.5 * np.sum(mq**2 + np.exp(lq) - lq - 1, axis=1),
                capsys, "q equal to p")
    _fails_with(nb03.check_kl_diagonal_gaussians, lambda mq, lq, mp, lp: kl_diagonal_gaussians(mq, lq, mp, lp).sum(), capsys, "shape")
    _fails_with(nb03.check_bits_per_pixel, lambda nats, n: np.asarray(nats) / n, capsys, "bits = nats / ln 2")
    _fails_with(nb03.check_bits_per_pixel, lambda nats, n: np.asarray(nats) / np.log(2), capsys, "Divide by the number of pixels")
    _fails_with(nb03.check_monte_carlo_kl, lambda m, lv, n, s: -monte_carlo_kl(m, lv, n, s), capsys, "flip the sign")
    closed_form = lambda m, lv, n, s: float(0.5 * np.sum(m**2 + np.exp(lv) - lv - 1))  # noqa: E731
    _fails_with(nb03.check_monte_carlo_kl, closed_form, capsys, "sample z from q")


def test_nb04_mistakes(capsys):
    _fails_with(nb04.check_condition_latents, lambda z, y, k: np.concatenate([np.eye(k, dtype="float32")[y], z], axis=1),
                capsys, "one-hot part comes first")
    _fails_with(nb04.check_condition_latents, lambda z, y, k: np.concatenate([z, np.eye(k)[y]], axis=1), capsys, "float32")
    _fails_with(nb04.check_per_class_accuracy,
                lambda p, r, k: np.array([np.mean(r[p == d] == d) if np.any(p == d) else np.nan for d in range(k)]),
                capsys, "REQUESTED")
    _fails_with(nb04.check_per_class_accuracy, lambda p, r, k: np.nan_to_num(per_class_accuracy(p, r, k)), capsys, "NaN")
    _fails_with(nb04.check_style_grid_inputs, lambda s, k: (np.tile(s, (k, 1)), np.repeat(np.arange(k), len(s))), capsys, "np.repeat")
    _fails_with(nb04.check_style_grid_inputs, lambda s, k: np.repeat(s, k, axis=0), capsys, "pair")
