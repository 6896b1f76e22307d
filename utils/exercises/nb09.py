"""Checkers for notebook 09 (a transformer language model from scratch): the causal mask,
scaled dot-product attention, and nucleus (top-p) filtering."""

from __future__ import annotations

import numpy as np

from . import attempt, is_blank, not_attempted, report


def check_causal_mask(causal_mask) -> bool:
    """Exercise 1: ``causal_mask(n)`` is an (n, n) boolean array, True where query i may attend to key j (j <= i)."""
    what = "Exercise 1 · causal mask"
    if is_blank(causal_mask):
        return not_attempted(what)
    for n in (1, 4, 7):
        status, answer = attempt(what, causal_mask, n)
        if status != "ok":
            return False
        answer = np.asarray(answer)
        expected = np.tril(np.ones((n, n), dtype=bool))
        if answer.shape != (n, n):
            return report(False, f"{what}: causal_mask({n}) must have shape ({n}, {n}), got {answer.shape}")
        if not np.array_equal(answer.astype(bool), expected):
            if np.array_equal(answer.astype(bool), expected.T):
                return report(False, f"{what}: transposed — row i is the query, so row i may see columns 0..i (lower triangle, np.tril)")
            if np.array_equal(answer.astype(bool), ~expected):
                return report(False, f"{what}: inverted — True must mean 'may attend', i.e. the past and the position itself")
            return report(False, f"{what}: causal_mask({n}) is wrong; position i may attend to positions j <= i only")
    return report(True, f"{what}: correct — each position sees itself and the past, never the future.")


def _reference_attention(q, k, v, mask):
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    scores -= scores.max(axis=-1, keepdims=True)
    weights = np.exp(scores)
    weights /= weights.sum(axis=-1, keepdims=True)
    return weights @ v


def check_attention(attention) -> bool:
    """Exercise 2: ``attention(q, k, v, mask=None)`` = softmax(q kᵀ / sqrt(d) masked) v, for arrays (..., T, d)."""
    what = "Exercise 2 · scaled dot-product attention"
    if is_blank(attention):
        return not_attempted(what)
    rng = np.random.default_rng(9)
    q, k, v = (rng.normal(size=(2, 5, 8)) for _ in range(3))
    mask = np.tril(np.ones((5, 5), dtype=bool))
    for use_mask in (None, mask):
        status, answer = attempt(what, attention, q.copy(), k.copy(), v.copy(), use_mask)
        if status != "ok":
            return False
        answer = np.asarray(answer, dtype="float64")
        expected = _reference_attention(q, k, v, use_mask)
        if answer.shape != expected.shape:
            return report(False, f"{what}: the output must have the shape of v, {expected.shape}; got {answer.shape}")
        if not np.allclose(answer, expected, atol=1e-5):
            unscaled = _reference_attention(q * np.sqrt(q.shape[-1]), k, v, use_mask)
            if np.allclose(answer, unscaled, atol=1e-5):
                return report(False, f"{what}: divide the scores by sqrt(d) = sqrt({q.shape[-1]}) before the softmax")
            if use_mask is not None and np.allclose(answer, _reference_attention(q, k, v, None), atol=1e-5):
                return report(False, f"{what}: the mask is ignored: set scores where mask is False to a large negative number")
            return report(False, f"{what}: values differ from softmax(q kᵀ / sqrt(d)) v "
                                 f"({'with' if use_mask is not None else 'without'} a mask); softmax over the last axis (the keys)")
    return report(True, f"{what}: correct — each output row is a weighted average of the value rows.")


def check_top_p(top_p) -> bool:
    """Exercise 3: ``top_p(logits, p)`` keeps the smallest set of most likely ids whose probabilities reach p; -inf elsewhere."""
    what = "Exercise 3 · nucleus (top-p) filtering"
    if is_blank(top_p):
        return not_attempted(what)
    cases = [
        (np.log([0.5, 0.3, 0.15, 0.05]), 0.7, [True, True, False, False]),
        (np.log([0.05, 0.15, 0.5, 0.3]), 0.9, [False, True, True, True]),
        (np.log([0.9, 0.05, 0.05]), 0.5, [True, False, False]),
        (np.log([0.25, 0.25, 0.25, 0.25]), 1.0, [True, True, True, True]),
    ]
    for logits, p, expected in cases:
        status, answer = attempt(what, top_p, logits.copy(), p)
        if status != "ok":
            return False
        answer = np.asarray(answer, dtype="float64")
        if answer.shape != logits.shape:
            return report(False, f"{what}: keep the shape of the logits {logits.shape}, got {answer.shape}")
        kept = np.isfinite(answer).tolist()
        if kept != expected:
            probs = np.round(np.exp(logits), 2).tolist()
            return report(False, f"{what}: for probabilities {probs} and p={p} keep {expected}, you kept {kept}. "
                                 "Sort by probability, add them up, and keep ids until the sum first reaches p")
        if not np.allclose(answer[np.isfinite(answer)], logits[np.array(expected)]):
            return report(False, f"{what}: the kept logits must stay unchanged")
    return report(True, f"{what}: correct — the candidate set shrinks when the model is sure and grows when it is not.")
