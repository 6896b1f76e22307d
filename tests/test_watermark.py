"""Tests for utils/watermark.py (notebook 18): the green list, the soft watermark, the detector's z-score (unwatermarked
text near z = 0, watermarked text far above), the KL cost, and the argument checks."""

import math

import numpy as np
import pytest

from utils import watermark

V = 65


def test_green_list_has_the_exact_share_and_depends_on_key_and_context():
    contexts = np.arange(V)[:, None]
    mask = watermark.green_mask(contexts, V)
    assert mask.shape == (V, V) and (mask.sum(axis=1) == round(0.25 * V)).all()
    assert np.array_equal(mask, watermark.green_mask(contexts, V))  # deterministic
    assert not np.array_equal(mask[0], mask[1])  # the previous symbol changes the list
    assert not np.array_equal(mask, watermark.green_mask(contexts, V, key=7))  # so does the key
    assert abs(mask.mean(axis=0) - 16 / V).max() < 0.25  # no symbol is green after (almost) every context
    wide = watermark.green_mask(np.array([[1, 2], [2, 1]]), V)
    assert not np.array_equal(wide[0], wide[1])  # wider contexts: order matters
    assert watermark.green_share(V) == 16 / V


def test_unwatermarked_text_scores_near_zero():
    rng = np.random.default_rng(0)
    z = np.array([watermark.z_score(rng.integers(0, V, 400), V) for _ in range(400)])
    assert abs(z.mean()) < 0.2 and 0.85 < z.std() < 1.15
    assert np.mean(z >= watermark.Z_THRESHOLD) == 0.0


def test_watermarked_sampling_is_detected():
    """Uniform logits + delta on the green list: each symbol is green with probability 16e^2 / (16e^2 + 49) ~ 0.71."""
    rng = np.random.default_rng(1)
    ids = [int(rng.integers(V))]
    for _ in range(200):
        logits = watermark.watermark_logits(np.zeros((1, V)), watermark.green_mask([[ids[-1]]], V), 2.0)[0]
        probabilities = np.exp(logits) / np.exp(logits).sum()
        ids.append(int(rng.choice(V, p=probabilities)))
    hits, scored = watermark.green_hits(np.array(ids), V)
    assert scored == 200 and 0.6 < hits / scored < 0.82
    assert watermark.z_score(np.array(ids), V) > 10
    assert watermark.z_score(np.array(ids), V, key=99) < 4  # the wrong key sees no watermark


def test_z_score_formula_and_repeats():
    ids = np.array([3, 5] * 50)  # the same two pairs over and over
    green = watermark.green_mask([[3], [5]], V)
    hits = int(green[0, 5]) * 50 + int(green[1, 3]) * 49
    g = 16 / V
    assert watermark.z_score(ids, V) == pytest.approx((hits - g * 99) / math.sqrt(99 * g * (1 - g)))
    assert watermark.green_hits(ids, V, ignore_repeats=True)[1] == 2  # each (context, symbol) pair once
    assert watermark.green_hits(ids[:1], V) == (0, 0)


def test_kl_cost_is_zero_without_bias_and_grows_with_it():
    logits = np.random.default_rng(2).normal(size=(50, V))
    mask = watermark.green_mask(np.arange(50)[:, None] % V, V)
    assert np.allclose(watermark.kl_bits(logits, logits), 0.0)
    costs = [watermark.kl_bits(logits, watermark.watermark_logits(logits, mask, d)).mean() for d in (0.5, 1.0, 2.0, 4.0)]
    assert all(a < b for a, b in zip(costs, costs[1:])) and costs[0] > 0
    certain = np.full((1, V), -50.0)
    certain[0, 0] = 50.0  # a nearly certain next symbol: the bias cannot move it, the cost is ~0
    assert watermark.kl_bits(certain, watermark.watermark_logits(certain, mask[:1], 2.0))[0] < 1e-9


def test_watermark_bad_inputs():
    with pytest.raises(ValueError, match="key must be a non-negative integer"):
        watermark.green_mask([[1]], V, key=-1)
    with pytest.raises(ValueError, match="gamma=0.001 leaves 0"):
        watermark.green_mask([[1]], V, gamma=0.001)
    with pytest.raises(ValueError, match=r"ids in \[0, 65\)"):
        watermark.green_mask([[70]], V)
    with pytest.raises(TypeError, match="integer symbol ids"):
        watermark.green_mask([[1.5]], V)
    with pytest.raises(ValueError, match="same shape|logits' shape"):
        watermark.watermark_logits(np.zeros((2, V)), np.zeros((1, V), dtype=bool))
    with pytest.raises(TypeError, match="boolean mask"):
        watermark.watermark_logits(np.zeros((1, V)), np.zeros((1, V)))
    with pytest.raises(ValueError, match="too short"):
        watermark.z_score(np.array([1]), V)
    with pytest.raises(ValueError, match=r"ids must be in \[0, 65\)"):
        watermark.green_hits(np.array([1, 99]), V)
    with pytest.raises(TypeError, match="encode the text first"):
        watermark.green_hits(np.array([0.5, 1.0]), V)


@pytest.mark.parametrize("context_width", [1, 3, 30])
@pytest.mark.parametrize("ignore_repeats", [False, True])
def test_batched_z_scores_equal_the_one_text_detector(context_width, ignore_repeats):
    rng = np.random.default_rng(5)
    texts = rng.integers(0, 6, (7, 60))  # few symbols: many repeated pairs, so ignore_repeats matters
    texts[0] = np.array([3, 5] * 30)
    expected = [watermark.z_score(row, V, key=11, context_width=context_width, ignore_repeats=ignore_repeats) for row in texts]
    got = watermark.z_scores(texts, V, key=11, context_width=context_width, ignore_repeats=ignore_repeats)
    assert got.shape == (7,) and np.allclose(got, expected)


def test_batched_z_scores_reject_bad_inputs():
    with pytest.raises(ValueError, match="too short"):
        watermark.z_scores(np.zeros((3, 2), dtype=int), V, context_width=2)
    with pytest.raises(ValueError, match="ids in"):
        watermark.z_scores(np.full((2, 10), V), V)
    with pytest.raises(TypeError, match="integer"):
        watermark.z_scores(np.zeros((2, 10)), V)
    with pytest.raises(ValueError):
        watermark.z_scores(np.zeros(10, dtype=int), V)  # one text: pass it as a row
    with pytest.raises(ValueError, match="key"):
        watermark.z_scores(np.zeros((2, 10), dtype=int), V, key=-1)
