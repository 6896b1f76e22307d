"""Checkers for notebook 08 (recurrent networks for text): top-k filtering, bits per character
from logits, clipping gradients by their global norm, and the copy expert's candidates."""

from __future__ import annotations

import math

import numpy as np

from . import as_number, attempt, is_blank, not_attempted, report, to_array


def _reference_top_k(logits: np.ndarray, k: int) -> np.ndarray:
    order = np.argsort(-logits, kind="stable")[:k]
    kept = np.full_like(logits, -np.inf)
    kept[order] = logits[order]
    return kept


def _logits_of(what: str, answer, shape: tuple):
    """The learner's filtered logits as float64 of the expected shape, or None after saying what is wrong."""
    array = None if isinstance(answer, (str, dict)) else to_array(answer, "float64")
    if array is None:
        report(False, f"{what}: expected an array of logits, got {type(answer).__name__}")
        return None
    if array.shape != shape:
        report(False, f"{what}: the result must keep the shape {shape} of the logits, got {array.shape}")
        return None
    return array


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max())
    return shifted / shifted.sum()


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
        answer = _logits_of(what, answer, logits.shape)
        if answer is None:
            return False
        expected = _reference_top_k(logits, k)
        kept = np.isfinite(answer)
        if np.array_equal(kept, np.isfinite(expected)) and np.allclose(answer[kept], logits[kept]):
            continue
        case = f"for logits {np.round(logits[:6], 2).tolist()}{'...' if len(logits) > 6 else ''} and k={k}"
        if kept.sum() != k:
            return report(False, f"{what}: {case} exactly {k} logits should stay finite, you kept {kept.sum()} "
                                 "(set the others to -np.inf so that softmax gives them probability 0)")
        if np.array_equal(kept, np.isfinite(_reference_top_k(-logits, k))):
            return report(False, f"{what}: {case} you kept the k SMALLEST logits; keep the k largest (sort in descending order, "
                                 "e.g. np.argsort(-logits)).")
        if np.array_equal(kept, np.isfinite(expected)) and np.allclose(answer[kept], _softmax(np.where(kept, logits, -np.inf))[kept]):
            return report(False, f"{what}: {case} you returned probabilities; return the kept LOGITS unchanged (softmax comes later).")
        return report(False, f"{what}: {case} you kept the wrong entries or changed their values; keep the k largest unchanged")
    return report(True, f"{what}: correct — only the k most likely characters can be drawn, the rest get probability 0.")


def _reference_bpc(logits: np.ndarray, targets: np.ndarray, axis: int = -1) -> float:
    """Bits per character; ``axis=0`` (normalising over positions) is a mistake the checker recognises."""
    shifted = logits - logits.max(axis=axis, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
    return float(-log_probs[np.arange(len(targets)), targets].mean() / math.log(2))


def check_bits_per_char(bits_per_char) -> bool:
    """Exercise 2: ``bits_per_char(logits, targets)`` for logits (N, V) and int targets (N,)."""
    what = "Exercise 2 · bits per character from logits"
    if is_blank(bits_per_char):
        return not_attempted(what)
    rng = np.random.default_rng(0)
    logits = (rng.normal(size=(50, 30)) * 3).astype("float32")
    targets = rng.integers(0, 30, 50)
    cases = [
        ("uniform logits over 8 characters", np.zeros((4, 8), "float32"), np.array([0, 1, 2, 3])),
        ("random logits", logits, targets),
        # the same logits shifted by 1000: softmax is unchanged, but a naive exp overflows even in float64
        ("large logits", logits + np.float32(1000.0), targets),
    ]
    for name, case_logits, case_targets in cases:
        status, answer = attempt(what, bits_per_char, case_logits.copy(), case_targets.copy())
        if status != "ok":
            return False
        array = None if isinstance(answer, (str, dict)) else to_array(answer, "float64")
        if array is not None and array.size == 1 and not np.isfinite(array).all():
            return report(False, f"{what} ({name}): got {float(array.reshape(()))}: exp of large logits overflows. Subtract the "
                                 "row maximum before exponentiating (a stable log-softmax).")
        value = as_number(f"{what} ({name})", answer, hint="Average -log2 p(target) over all positions: one number.")
        if value is None:
            return False
        as_float = case_logits.astype("float64")
        expected = _reference_bpc(as_float, case_targets)
        if math.isclose(value, expected, rel_tol=1e-3):
            continue
        wrong = [
            (expected * math.log(2), "that looks like nats: divide by ln 2 (or use log base 2)."),
            (-expected, "the sign is flipped: -log2 p is positive."),
            (expected * len(case_targets), "that is the total over positions; take the mean."),
            (_reference_bpc(as_float, case_targets, axis=0),
             "the softmax is normalised over the wrong axis: normalise over the last axis (the characters), axis=-1."),
            (_reference_bpc_all_pairs(as_float, case_targets), "you indexed every row with every target (log_probs[:, targets]); "
                                                             "pick one entry per row: log_probs[np.arange(N), targets]."),
        ]
        hint = next((message for wrong_value, message in wrong if math.isclose(value, wrong_value, rel_tol=1e-3)),
                    "Use a stable log-softmax (subtract the max) and average -log2 p(target) over all positions.")
        return report(False, f"{what} ({name}): got {value:.4g}, expected {expected:.4g}: {hint}")
    return report(True, f"{what}: correct, and stable for large logits — {expected:.3f} bits per character on random logits.")


def _reference_bpc_all_pairs(logits: np.ndarray, targets: np.ndarray) -> float:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return float(-log_probs[:, targets].mean() / math.log(2))


def check_clip_by_global_norm(clip_by_global_norm) -> bool:
    """Exercise 3: ``clip_by_global_norm(gradients, max_norm)`` returns (clipped list, global norm before clipping)."""
    what = "Exercise 3 · clipping by global norm"
    if is_blank(clip_by_global_norm):
        return not_attempted(what)
    gradients = [np.array([2.0, 1.0, 2.0]), np.array([[0.0, 4.0]])]  # norms 3 and 4, global norm 5
    for max_norm, scale in ((1.0, 0.2), (10.0, 1.0)):
        status, answer = attempt(what, clip_by_global_norm, [g.copy() for g in gradients], max_norm)
        if status != "ok":
            return False
        try:
            clipped, norm = answer
            clipped = [np.asarray(c, dtype="float64") for c in clipped]
        except (TypeError, ValueError):
            return report(False, f"{what}: return a pair (list of clipped gradients, global norm), got {type(answer).__name__}")
        norms = None if isinstance(norm, (str, dict)) else to_array(norm, "float64")
        if norms is not None and norms.size == 2 and np.allclose(np.sort(norms.ravel()), [3.0, 4.0]):
            return report(False, f"{what}: you returned one norm per tensor (3 and 4); return ONE global norm, sqrt(3^2 + 4^2) = 5.")
        norm = as_number(what, norm, hint="Return a pair (clipped_gradients, norm) whose second element is the global norm: one number.")
        if norm is None:
            return False
        if not math.isclose(norm, 5.0, rel_tol=1e-5):
            wrong = [
                (7.0, "you added the per-tensor norms (3 + 4); the global norm is sqrt(3^2 + 4^2) = 5."),
                (25.0, "that is the squared norm; take the square root."),
                (min(5.0, max_norm), "that is the norm AFTER clipping; return the norm before clipping, like tf.clip_by_global_norm."),
            ]
            hint = next((message for wrong_value, message in wrong if math.isclose(norm, wrong_value, rel_tol=1e-5)),
                        "one norm over all gradients together, not one per tensor.")
            return report(False, f"{what}: the global norm of [2, 1, 2] and [[0, 4]] is sqrt(9 + 16) = 5, got {norm:.4g}: {hint}")
        if len(clipped) != 2 or any(c.shape != g.shape for c, g in zip(clipped, gradients)):
            return report(False, f"{what}: return one clipped array per gradient, with the same shapes")
        if not all(np.allclose(c, g * scale) for c, g in zip(clipped, gradients)):
            if scale != 1.0 and all(np.allclose(c, np.clip(g, -max_norm, max_norm)) for c, g in zip(clipped, gradients)):
                return report(False, f"{what}: you clipped each entry to [-max_norm, max_norm] (np.clip), which changes the "
                                     "direction of the update; scale all gradients by the same factor max_norm / global_norm so the direction is kept.")
            if scale != 1.0 and all(np.allclose(c, g * min(1.0, max_norm / np.linalg.norm(g))) for c, g in zip(clipped, gradients)):
                return report(False, f"{what}: you clipped each tensor by its own norm; scale them all by the same factor "
                                     "max_norm / global_norm, so the update keeps its direction.")
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
    answers = []
    for text, t, length in cases:
        if answers != [_reference_copy_candidates(*case) for case in cases[:len(answers)]]:
            try:  # already wrong: a later failure only ends the evidence (a leak raises IndexError at the last position)
                answer = copy_candidates(text, t, length)
            except Exception:  # the learner's code may fail in any way
                break
        else:
            status, answer = attempt(what, copy_candidates, text, t, length)
            if status != "ok":
                return False
        try:
            found = set(answer)
        except TypeError:
            found = None
        if found is None or not all(isinstance(item, str) for item in found):
            return report(False, f"{what}: return a set of characters, got {type(answer).__name__}"
                                 f"{'' if found is None else ' holding ' + ', '.join(sorted({type(i).__name__ for i in found}))}")
        answers.append(found)
    cases = cases[:len(answers)]
    expected = [_reference_copy_candidates(*case) for case in cases]
    if answers == expected:
        return report(True, f"{what}: correct — these are the characters the copy expert marks; utils.text.copy_evidence "
                            "does the same for every position of a batch at once, with matrix products.")
    # the typical mistakes, each as (first position searched, one past the last, offset of the candidate, length matched)
    wrong = [
        (lambda t, n, length: (length - 1, t + 1, 1, length), "you also found {seen!r}, the character to be predicted: the occurrence "
                                                               "ending at t itself must not count, or the expert sees the answer (search j < t)"),
        (lambda t, n, length: (length - 1, t, 0, length), "you returned the last character of each earlier match; return the one after it, text[j + 1]"),
        (lambda t, n, length: (length - 1, n - 1, 1, length), "you searched the whole text, including occurrences at and after t that "
                                                              "the model has not read yet; only occurrences ending at j < t count"),
        (lambda t, n, length: (0, t, 1, 1), "you matched only the last character; match the last `length` characters, "
                                            "text[t - length + 1 : t + 1]"),
        (lambda t, n, length: (length, t, 1, length), "you missed the earliest occurrence: an occurrence can end as early as "
                                                      "j = length - 1 (starting at position 0), so search j in range(length - 1, t)"),
    ]

    def variant(rule, text, t, length):
        start, stop, offset, matched = rule(t, len(text), length)
        last = text[t - matched + 1:t + 1]
        return {text[j + offset] for j in range(max(start, matched - 1), min(stop, len(text) - offset))
                if text[j - matched + 1:j + 1] == last}

    index = next(i for i, (answer, right) in enumerate(zip(answers, expected)) if answer != right)
    text, t, length = cases[index]
    case = f"for text={text!r}, t={t}, length={length} (the last characters read: {text[t - length + 1:t + 1]!r})"
    for rule, message in wrong:
        if all(answer == variant(rule, *each) for answer, each in zip(answers, cases)):
            seen = text[t + 1] if t + 1 < len(text) else ""
            return report(False, f"{what}: {case} {message.format(seen=seen)}")
    return report(False, f"{what}: {case} expected {sorted(expected[index])}, got {sorted(answers[index])}")
