"""Checkers of notebooks 00 and 01: right answers pass, wrong ones fail with a reason,
blank answers say "not attempted" and return False, and a learner function that raises is
reported instead of crashing the notebook."""

from __future__ import annotations

import numpy as np
import pytest

from utils.exercises import nb00, nb01

# ----------------------------------------------------------------------------- correct answers (learner-style code)


def sample_categorical(probabilities, uniforms):
    return np.searchsorted(np.cumsum(probabilities), uniforms, side="right")


def fit_transition_matrix(sequence, num_states):
    counts = np.zeros((num_states, num_states))
    for current, following in zip(sequence[:-1], sequence[1:]):
        counts[current, following] += 1
    totals = counts.sum(axis=1, keepdims=True)
    counts[totals[:, 0] == 0] = 1.0
    return counts / counts.sum(axis=1, keepdims=True)


def shift_image(image, dx, dy):
    height, width = image.shape
    padded = np.pad(image, ((abs(dy), abs(dy)), (abs(dx), abs(dx))))
    return padded[abs(dy) - dy: abs(dy) - dy + height, abs(dx) - dx: abs(dx) - dx + width]


def bits_per_character(probabilities):
    return -np.mean(np.log2(probabilities))


def apply_temperature(probabilities, temperature):
    scaled = probabilities ** (1 / temperature)
    return scaled / scaled.sum(axis=1, keepdims=True)


def add_k_probabilities(counts, k):
    return (counts + k) / (counts + k).sum(axis=1, keepdims=True)


def gmm_average_log_likelihood(points, weights, means, covariances):
    from scipy.special import logsumexp
    from scipy.stats import multivariate_normal

    logs = np.stack([np.log(w) + multivariate_normal(m, c).logpdf(points) for w, m, c in zip(weights, means, covariances)], axis=1)
    return logsumexp(logs, axis=1).mean()


CORRECT = [
    (nb00.check_sample_categorical, sample_categorical),
    (nb00.check_fit_transition_matrix, fit_transition_matrix),
    (nb00.check_shift_image, shift_image),
    (nb01.check_bits_per_character, bits_per_character),
    (nb01.check_apply_temperature, apply_temperature),
    (nb01.check_add_k_probabilities, add_k_probabilities),
    (nb01.check_gmm_log_likelihood, gmm_average_log_likelihood),
]

# ----------------------------------------------------------------------------- typical mistakes and the hint each should get


def _transition_counts(sequence, num_states):
    counts = np.zeros((num_states, num_states))
    np.add.at(counts, (sequence[:-1], sequence[1:]), 1)
    return counts


def _transition_nan_rows(sequence, num_states):
    counts = _transition_counts(sequence, num_states)
    with np.errstate(invalid="ignore"):
        return counts / counts.sum(axis=1, keepdims=True)


def _transition_zero_row(sequence, num_states):
    counts = _transition_counts(sequence, num_states)
    return counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)


WRONG = [
    (nb00.check_sample_categorical, lambda p, u: np.zeros_like(u, dtype=int), "expected indices"),
    (nb00.check_fit_transition_matrix, _transition_nan_rows, "sums to 0"),
    (nb00.check_fit_transition_matrix, _transition_counts, "raw counts"),
    (nb00.check_fit_transition_matrix, lambda s, n: fit_transition_matrix(s, n).T, "ROW"),
    (nb00.check_fit_transition_matrix, _transition_zero_row, "uniform row"),
    (nb00.check_shift_image, lambda image, dx, dy: np.roll(np.roll(image, dy, axis=0), dx, axis=1), "wraps around"),
    (nb00.check_shift_image, lambda image, dx, dy: shift_image(image, -dx, -dy), "wrong way"),
    (nb01.check_bits_per_character, lambda p: -np.mean(np.log(p)), "nats"),
    (nb01.check_bits_per_character, lambda p: np.mean(np.log2(p)), "sign"),
    (nb01.check_bits_per_character, lambda p: -np.sum(np.log2(p)), "total"),
    (nb01.check_apply_temperature, lambda p, t: apply_temperature(p, 1 / t), "reversed"),
    (nb01.check_apply_temperature, lambda p, t: p ** (1 / t), "sum to 1"),
    (nb01.check_add_k_probabilities, lambda c, k: (c + k) / (c + k).sum(axis=0, keepdims=True), "ROW"),
    (nb01.check_add_k_probabilities, lambda c, k: c / c.sum(axis=1, keepdims=True), "add k"),
    (nb01.check_gmm_log_likelihood, lambda *args: -gmm_average_log_likelihood(*args), "sign"),
    (nb01.check_gmm_log_likelihood, lambda x, w, m, c: gmm_average_log_likelihood(x, w, m, c) * len(x), "total"),
]

ALL_CHECKERS = [checker for checker, _ in CORRECT]


@pytest.mark.parametrize(("checker", "answer"), CORRECT, ids=lambda value: getattr(value, "__name__", ""))
def test_correct_answer_passes(checker, answer, capsys):
    assert checker(answer) is True
    assert "✅" in capsys.readouterr().out


@pytest.mark.parametrize(("checker", "answer", "hint"), WRONG)
def test_wrong_answer_fails_with_reason(checker, answer, hint, capsys):
    assert checker(answer) is False
    out = capsys.readouterr().out
    assert "❌" in out
    assert hint in out


@pytest.mark.parametrize("checker", ALL_CHECKERS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("blank", [None, ..., lambda *args: None])
def test_blank_answer_is_not_attempted(checker, blank, capsys):
    assert checker(blank) is False
    out = capsys.readouterr().out
    assert "not attempted" in out
    assert "❌" not in out


@pytest.mark.parametrize("checker", ALL_CHECKERS, ids=lambda c: c.__name__)
def test_raising_answer_is_reported_not_raised(checker, capsys):
    def broken(*args):
        raise ZeroDivisionError("oops")

    assert checker(broken) is False
    out = capsys.readouterr().out
    assert "ZeroDivisionError" in out and "oops" in out


@pytest.mark.parametrize("checker", ALL_CHECKERS, ids=lambda c: c.__name__)
def test_non_function_answer_is_rejected(checker, capsys):
    assert checker(42) is False
    assert "expected a function" in capsys.readouterr().out


@pytest.mark.parametrize("checker", ALL_CHECKERS, ids=lambda c: c.__name__)
def test_wrong_shape_is_reported(checker, capsys):
    assert checker(lambda *args: np.zeros((2, 3, 4))) is False
    assert "shape" in capsys.readouterr().out


def test_references_on_known_values():
    assert nb00.reference_sample_categorical([0.5, 0.5], [0.25, 0.75]).tolist() == [0, 1]
    assert nb00.reference_fit_transition_matrix([0, 1, 0, 1], 3).tolist() == [[0, 1, 0], [1, 0, 0], [1 / 3, 1 / 3, 1 / 3]]
    assert nb00.reference_shift_image(np.eye(3), 1, 0).tolist() == [[0, 1, 0], [0, 0, 1], [0, 0, 0]]
    assert nb01.reference_bits_per_character([0.5, 0.25]) == pytest.approx(1.5)
    assert np.allclose(nb01.reference_apply_temperature(np.array([[0.5, 0.5]]), 0.1), 0.5)
    assert np.allclose(nb01.reference_add_k_probabilities(np.zeros((2, 4)), 1.0), 0.25)
    standard = nb01.reference_gmm_average_log_likelihood(np.zeros((1, 2)), [1.0], [[0.0, 0.0]], [np.eye(2)])
    assert standard == pytest.approx(-np.log(2 * np.pi))
