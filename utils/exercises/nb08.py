"""Checkers for notebook 08 (recurrent networks for text): top-k filtering, bits per character
from logits, clipping gradients by their global norm, and the copy expert's candidates."""

from __future__ import annotations

import math

import numpy as np

from . import attempt, call_safely, is_blank, not_attempted, report


def _reference_top_k(logits: np.ndarray, k: int) -> np.ndarray:
    order = np.argsort(-logits, kind="stable")[:k]
    kept = np.full_like(logits, -np.inf)
    kept[order] = logits[order]
    return kept


def check_top_k(top_k) -> bool:
    """Exercise 1: ``top_k(logits, k)`` keeps the k largest logits of a 1-D array and sets the rest to -inf."""
    what = "Exercise 1 · top-k filtering"
    if is_blank(top_k):
        return not_attempted(what)
    rng = np.random.default_rng(8)
    cases = [(np.array([1.0, 3.0, 2.0, 0.5]), 2), (np.array([0.2, -1.0, 4.0]), 1), (np.array([0.1, 0.2, 0.3]), 3)]
    cases += [(rng.normal(size=20), 5)]
    for logits, k in cases:
        status, answer = attempt(what, top_k, logits.copy(), k)
        if status != "ok":
            return False
        answer = np.asarray(answer, dtype="float64")
        expected = _reference_top_k(logits, k)
        if answer.shape != logits.shape:
            return report(False, f"{what}: the result must keep the shape {logits.shape} of the logits, got {answer.shape}")
        kept = np.isfinite(answer)
        if kept.sum() != k:
            return report(False, f"{what}: with k={k} exactly {k} logits should stay finite, you kept {kept.sum()} "
                                 "(set the others to -np.inf so that softmax gives them probability 0)")
        if not np.allclose(np.where(kept, answer, 0), np.where(np.isfinite(expected), expected, 0)) or not np.array_equal(kept, np.isfinite(expected)):
            return report(False, f"{what}: for logits {np.round(logits[:6], 2)}... and k={k} you kept the wrong entries or changed "
                                 "their values; keep the k largest unchanged")
    return report(True, f"{what}: correct — only the k most likely characters can be drawn, the rest get probability 0.")


def _reference_bpc(logits: np.ndarray, targets: np.ndarray) -> float:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return float(-log_probs[np.arange(len(targets)), targets].mean() / math.log(2))


def check_bits_per_char(bits_per_char) -> bool:
    """Exercise 2: ``bits_per_char(logits, targets)`` for logits (N, V) and int targets (N,)."""
    what = "Exercise 2 · bits per character from logits"
    if is_blank(bits_per_char):
        return not_attempted(what)
    rng = np.random.default_rng(0)
    uniform = np.zeros((4, 8))
    status, answer = attempt(what, bits_per_char, uniform, np.array([0, 1, 2, 3]))
    if status != "ok":
        return False
    if not math.isclose(float(answer), 3.0, rel_tol=1e-4):
        hint = " (that looks like nats: divide by ln 2)" if math.isclose(float(answer), math.log(8), rel_tol=1e-3) else ""
        return report(False, f"{what}: uniform logits over 8 characters must give log2(8) = 3 bits, got {float(answer):.4g}{hint}")
    logits = rng.normal(size=(50, 30)) * 3 + 100  # large offset: a naive exp would overflow in float32
    targets = rng.integers(0, 30, 50)
    ok, answer = call_safely(what, bits_per_char, logits.astype("float32"), targets)
    if not ok:
        return False
    expected = _reference_bpc(logits, targets)
    if not np.isfinite(float(answer)) or not math.isclose(float(answer), expected, rel_tol=1e-3):
        return report(False, f"{what}: got {float(answer):.4g}, expected {expected:.4g}. Use a stable log-softmax "
                             "(subtract the max) and average -log2 p(target) over all positions")
    return report(True, f"{what}: correct — {expected:.3f} bits per character on random logits.")


def check_clip_by_global_norm(clip_by_global_norm) -> bool:
    """Exercise 3: ``clip_by_global_norm(gradients, max_norm)`` returns (clipped list, global norm before clipping)."""
    what = "Exercise 3 · clipping by global norm"
    if is_blank(clip_by_global_norm):
        return not_attempted(what)
    gradients = [np.array([3.0, 0.0]), np.array([[0.0, 4.0]])]  # global norm 5
    for max_norm, scale in ((1.0, 0.2), (10.0, 1.0)):
        status, answer = attempt(what, clip_by_global_norm, [g.copy() for g in gradients], max_norm)
        if status != "ok":
            return False
        try:
            clipped, norm = answer
            clipped = [np.asarray(c, dtype="float64") for c in clipped]
        except (TypeError, ValueError):
            return report(False, f"{what}: return a pair (list of clipped gradients, global norm), got {type(answer).__name__}")
        if not math.isclose(float(norm), 5.0, rel_tol=1e-5):
            return report(False, f"{what}: the global norm of [3, 0] and [[0, 4]] is sqrt(9 + 16) = 5, got {float(norm):.4g} "
                                 "(one norm over all gradients together, not one per tensor)")
        if len(clipped) != 2 or any(c.shape != g.shape for c, g in zip(clipped, gradients)):
            return report(False, f"{what}: return one clipped array per gradient, with the same shapes")
        if not all(np.allclose(c, g * scale) for c, g in zip(clipped, gradients)):
            rule = "left unchanged" if scale == 1.0 else f"all scaled by max_norm / norm = {scale}"
            return report(False, f"{what}: with max_norm={max_norm} the gradients should be {rule}: the direction is kept, only the length shrinks")
    return report(True, f"{what}: correct — the update keeps its direction but never gets longer than max_norm.")


def _reference_copy_candidates(text: str, t: int, length: int) -> set:
    found = set()
    for j in range(length - 1, t):
        if text[j - length + 1:j + 1] == text[t - length + 1:t + 1]:
            found.add(text[j + 1])
    return found


def check_copy_candidates(copy_candidates) -> bool:
    """Exercise 4: ``copy_candidates(text, t, length)``: the characters that followed earlier occurrences of the last
    ``length`` characters read (``text[t - length + 1 : t + 1]``), searching only occurrences that end before ``t``."""
    what = "Exercise 4 · copy candidates"
    if is_blank(copy_candidates):
        return not_attempted(what)
    rng = np.random.default_rng(4)
    cases = [("abcXabcYabc", 6, 3), ("abcXabcYabc", 10, 3), ("abcXabcYabc", 10, 4), ("xyzxq", 3, 1), ("abcd", 3, 2),
             ("aaaa", 3, 2), ("MACBETH: hail. BANQUO: hail, MAC", 31, 3)]
    cases += [("".join(rng.choice(list("ab "), 30)), int(rng.integers(8, 29)), int(rng.integers(1, 4))) for _ in range(6)]
    for text, t, length in cases:
        status, answer = attempt(what, copy_candidates, text, t, length)
        if status != "ok":
            return False
        try:
            answer = set(answer)
        except TypeError:
            return report(False, f"{what}: return a set of characters, got {type(answer).__name__}")
        expected = _reference_copy_candidates(text, t, length)
        if answer == expected:
            continue
        case = f"for text={text!r}, t={t}, length={length} (the last characters read: {text[t - length + 1:t + 1]!r})"
        if t + 1 < len(text) and answer == expected | {text[t + 1]}:
            return report(False, f"{what}: {case} you also found {text[t + 1]!r}, the character to be predicted: the "
                                 "occurrence ending at t itself must not count, or the expert sees the answer (search j < t)")
        shifted = {text[j] for j in range(length - 1, t) if text[j - length + 1:j + 1] == text[t - length + 1:t + 1]}
        if answer == shifted and shifted != expected:
            return report(False, f"{what}: {case} you returned the last character of each earlier match; return the one after it, text[j + 1]")
        return report(False, f"{what}: {case} expected {sorted(expected)}, got {sorted(answer)}")
    return report(True, f"{what}: correct — these are the characters the copy expert marks; utils.text.copy_evidence "
                        "does the same for every position of a batch at once, with matrix products.")
