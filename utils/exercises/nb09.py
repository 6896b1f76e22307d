"""Checkers for notebook 09 (a transformer language model from scratch): the causal mask,
scaled dot-product attention, and nucleus (top-p) filtering."""

from __future__ import annotations

import numpy as np

from . import attempt, is_blank, not_attempted, report, to_array


def check_causal_mask(causal_mask) -> bool:
    """Exercise 1: ``causal_mask(n)`` is an (n, n) boolean array, True where query i may attend to key j (j <= i)."""
    what = "Exercise 1 · causal mask"
    if is_blank(causal_mask):
        return not_attempted(what)
    for n in (4, 7, 1):  # n = 1 last: there a mask with the diagonal left out is also the inverted one
        status, answer = attempt(what, causal_mask, n)
        if status != "ok":
            return False
        answer = to_array(answer) if not isinstance(answer, str) else None
        if answer is None or answer.dtype.kind not in "biuf":
            return report(False, f"{what}: expected an ({n}, {n}) boolean array")
        expected = np.tril(np.ones((n, n), dtype=bool))
        if answer.shape != (n, n):
            return report(False, f"{what}: causal_mask({n}) must have shape ({n}, {n}), got {answer.shape}")
        if answer.dtype != bool:
            if np.isinf(answer).any() or (answer < 0).any():
                return report(False, f"{what}: that looks like an additive mask (0 and -inf); return booleans, True where query i "
                                     "may attend to key j.")
            return report(False, f"{what}: return a boolean array (dtype bool), got dtype {answer.dtype}: "
                                 "np.tril(np.ones((n, n), dtype=bool)); numbers are not True/False for ~mask or np.where.")
        if np.array_equal(answer, expected):
            continue
        if np.array_equal(answer, expected.T):
            return report(False, f"{what}: transposed — row i is the query, so row i may see columns 0..i (lower triangle, np.tril)")
        if np.array_equal(answer, ~expected):
            return report(False, f"{what}: inverted — True must mean 'may attend', i.e. the past and the position itself")
        if np.array_equal(answer, np.tril(expected, -1)):
            return report(False, f"{what}: the diagonal is False; a position may attend to itself (j <= i, not j < i)")
        if answer.all():
            return report(False, f"{what}: everything is True, so each position sees the future; allow only j <= i")
        return report(False, f"{what}: causal_mask({n}) is wrong; position i may attend to positions j <= i only")
    return report(True, f"{what}: correct — each position sees itself and the past, never the future.")


def _reference_attention(q, k, v, mask, *, scale=None, axis=-1, after_softmax=False):
    """Attention; the keyword arguments switch on mistakes the checker recognises."""
    scores = q @ np.swapaxes(k, -1, -2) / (np.sqrt(q.shape[-1]) if scale is None else scale)
    if mask is not None and not after_softmax:
        scores = np.where(mask, scores, -1e9)  # as the exercise says; a fully masked row (a mistake) stays finite
    scores = scores - scores.max(axis=axis, keepdims=True)
    weights = np.exp(scores)
    weights /= weights.sum(axis=axis, keepdims=True)
    if mask is not None and after_softmax:
        weights = weights * mask
    return weights @ v


def check_attention(attention) -> bool:
    """Exercise 2: ``attention(q, k, v, mask=None)`` = softmax(q kᵀ / sqrt(d) masked) v, for arrays (..., T, d)."""
    what = "Exercise 2 · scaled dot-product attention"
    if is_blank(attention):
        return not_attempted(what)
    rng = np.random.default_rng(9)
    q, k, v = (rng.normal(size=(2, 5, 8)) for _ in range(3))
    mask = np.tril(np.ones((5, 5), dtype=bool))
    d = q.shape[-1]
    for use_mask in (None, mask):
        status, answer = attempt(what, attention, q.copy(), k.copy(), v.copy(), None if use_mask is None else use_mask.copy())
        if status != "ok":
            return False
        answer = to_array(answer, "float64") if not isinstance(answer, str) else None
        expected = _reference_attention(q, k, v, use_mask)
        if answer is None or answer.shape != expected.shape:
            shape = "a non-array" if answer is None else answer.shape
            hint = " (that is the attention weights: multiply them by v)" if answer is not None and answer.shape == (2, 5, 5) else ""
            return report(False, f"{what}: the output must have the shape of v, {expected.shape}; got {shape}{hint}")
        if np.allclose(answer, expected, atol=1e-5):
            continue
        wrong = [
            (_reference_attention(q, k, v, use_mask, scale=1.0), f"divide the scores by sqrt(d) = sqrt({d}) before the softmax"),
            (_reference_attention(q, k, v, use_mask, scale=float(d)), f"divide the scores by sqrt(d) = {np.sqrt(d):.3g}, not by d = {d}"),
            (_reference_attention(q, k, v, use_mask, axis=-2), "the softmax runs over the wrong axis: normalise over the keys "
                                                               "(the last axis), so each query's weights sum to 1"),
        ]
        if use_mask is not None:
            wrong += [
                (_reference_attention(q, k, v, None), "the mask is ignored: set scores where mask is False to a large negative number"),
                (_reference_attention(q, k, v, ~mask), "the mask is inverted: keep the scores where mask is True (np.where(mask, scores, -1e9))"),
                (_reference_attention(q, k, v, mask, after_softmax=True), "the mask was applied after the softmax, so the weights no "
                                                                          "longer sum to 1; mask the scores before the softmax"),
            ]
        hint = next((message for wrong_value, message in wrong if np.allclose(answer, wrong_value, atol=1e-5)),
                    f"values differ from softmax(q kᵀ / sqrt(d)) v ({'with' if use_mask is not None else 'without'} a mask); "
                    "softmax over the last axis (the keys)")
        return report(False, f"{what}: {hint}")
    return report(True, f"{what}: correct — each output row is a weighted average of the value rows.")


def check_top_p(top_p) -> bool:
    """Exercise 3: ``top_p(logits, p)`` keeps the smallest set of most likely ids whose probabilities reach p; -inf elsewhere."""
    what = "Exercise 3 · nucleus (top-p) filtering"
    if is_blank(top_p):
        return not_attempted(what)
    cases = [  # no cumulative sum lands exactly on p, so < and <= agree; the first four each expose one typical mistake
        (np.log([0.5, 0.2, 0.15, 0.15]), 0.9, [True, True, True, True]),  # the id that crosses p belongs to the nucleus
        (np.log([0.4, 0.3, 0.2, 0.1]), 0.65, [True, True, False, False]),  # "own probability >= 1 - p" keeps only the first
        (np.log([0.1, 0.4, 0.2, 0.3]), 0.75, [False, True, True, True]),  # ids must be sorted by probability
        (np.log([2.0, 1.0, 1.0]) + 5.0, 0.8, [True, True, True]),  # logits, not log-probabilities: softmax first
        (np.log([0.5, 0.3, 0.15, 0.05]), 0.7, [True, True, False, False]),
        (np.log([0.05, 0.15, 0.5, 0.3]), 0.9, [False, True, True, True]),
        (np.log([0.9, 0.05, 0.05]), 0.5, [True, False, False]),
        (np.log([0.25, 0.25, 0.25, 0.25]), 1.0, [True, True, True, True]),
    ]
    for logits, p, expected in cases:
        status, answer = attempt(what, top_p, logits.copy(), p)
        if status != "ok":
            return False
        answer = to_array(answer, "float64") if not isinstance(answer, str) else None
        if answer is None or answer.shape != logits.shape:
            return report(False, f"{what}: keep the shape of the logits {logits.shape}, got {'a non-array' if answer is None else answer.shape}")
        kept = np.isfinite(answer)
        if kept.tolist() != expected:
            probs = np.exp(logits - logits.max())
            probs /= probs.sum()
            order = np.argsort(-probs, kind="stable")
            cumulative = np.cumsum(probs[order])
            variants = [
                (probs >= 1 - p, "you kept the ids whose own probability is at least 1 - p; the nucleus is decided by the "
                                 "CUMULATIVE probability of the most likely ids"),
                (np.isin(np.arange(len(probs)), order[cumulative <= p]), "you dropped the id that makes the sum reach p; keep ids "
                                                                         "up to and including the one where the cumulative sum first reaches p"),
                (np.cumsum(probs) - probs < p, "sort the ids by probability (most likely first) before adding them up"),
                (np.isin(np.arange(len(probs)), np.argsort(probs, kind="stable")[np.cumsum(np.sort(probs)) - np.sort(probs) < p]),
                 "you added up the LEAST likely ids first; sort in descending order (np.argsort(-probs))"),
            ]
            raw = np.exp(logits)  # the logits used as if they were log-probabilities, without normalising
            raw_order = np.argsort(-raw, kind="stable")
            variants.append((np.isin(np.arange(len(raw)), raw_order[np.cumsum(raw[raw_order]) - raw[raw_order] < p]),
                             "turn the logits into probabilities with a softmax (normalise) before adding them up"))
            hint = next((message for mask, message in variants if mask.tolist() == kept.tolist()),
                        "Sort by probability, add them up, and keep ids until the sum first reaches p")
            shown = np.round(probs, 2).tolist()
            return report(False, f"{what}: for probabilities {shown} and p={p} keep {expected}, you kept {kept.tolist()}: {hint}")
        if not np.allclose(answer[kept], logits[kept]):
            return report(False, f"{what}: the kept logits must stay unchanged (no softmax or renormalising in the output)")
    return report(True, f"{what}: correct — the candidate set shrinks when the model is sure and grows when it is not.")
