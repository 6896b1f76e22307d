"""Checkers for notebook 09 (a transformer language model from scratch): the ALiBi bias, nucleus
(top-p) filtering, and the experiment that removes the causal mask."""

from __future__ import annotations

import numpy as np

from . import attempt, is_blank, not_attempted, report, to_array
from .nb08 import experiment_data  # noqa: F401  (the same slices of Shakespeare as notebook 08's experiment)


def reference_alibi_bias(n: int, slope: float) -> np.ndarray:
    """ALiBi's additive score bias for one head: -slope * (i - j) where key j <= query i, -inf where j > i."""
    distance = np.arange(n)[:, None] - np.arange(n)[None, :]
    return np.where(distance >= 0, -slope * distance, -np.inf)


def check_alibi_bias(alibi_bias) -> bool:
    """Exercise 1: ``alibi_bias(n, slope)`` is the (n, n) bias added to one head's attention scores."""
    what = "Exercise 1 · the ALiBi bias"
    for n, slope in ((4, 0.5), (6, 0.25), (1, 1.0), (5, 2.0)):
        status, result = attempt(what, alibi_bias, n, slope)
        if status != "ok":
            return False
        given = None if isinstance(result, (str, dict)) else to_array(result, "float64")
        if given is None or given.shape != (n, n):
            shown = type(result).__name__ if given is None else f"shape {given.shape}"
            return report(False, f"{what}: for n={n} expected an (n, n) = ({n}, {n}) array of biases, got {shown}")
        expected = reference_alibi_bias(n, slope)
        visible = np.isfinite(expected)
        if np.all(np.isfinite(given[visible])) and np.allclose(given[visible], expected[visible]) and np.all(given[~visible] <= -1e9):
            continue  # -inf, or a huge negative number, gives the future keys weight 0 after the softmax
        distance = np.arange(n)[:, None] - np.arange(n)[None, :]
        past = distance >= 0
        case = f"for n={n}, slope={slope}"
        if np.allclose(np.where(past, given, 0.0), np.where(past, slope * distance, 0.0)) and np.any(distance > 0):
            return report(False, f"{what}: {case} your bias GROWS with the distance; ALiBi penalises distant keys: -slope * (i - j).")
        if np.allclose(given, np.where(distance <= 0, -slope * -distance, -np.inf)) or np.allclose(given, np.where(distance <= 0, -slope * -distance, 0.0)):
            return report(False, f"{what}: {case} your array is transposed: row i is the query, column j the key, and keys after "
                                 "the query (j > i) are the masked ones.")
        if np.all(np.isfinite(given)) and np.allclose(given[past], expected[past]):
            future = given[~past]
            kind = "0" if np.allclose(future, 0.0) else "finite values"
            return report(False, f"{what}: {case} the future keys (j > i) hold {kind}; set them to -np.inf so that the softmax gives "
                                 "them weight 0 (the bias doubles as the causal mask).")
        if np.allclose(given[past], -np.abs(distance[past]).astype(float)) and slope != 1.0:
            return report(False, f"{what}: {case} multiply the distance by the slope.")
        if np.allclose(given[past], expected[past] - slope):
            return report(False, f"{what}: {case} a query's bias for its own position (i = j) is 0: the penalty is slope * (i - j).")
        return report(False, f"{what}: {case} expected {np.round(expected, 2).tolist()}, got {np.round(given, 2).tolist()}")
    return report(True, f"{what}: correct — nearby keys keep their scores, far ones are pushed down in proportion to the "
                        "distance, and the future is masked.")


def check_top_p(top_p) -> bool:
    """Exercise 2: ``top_p(logits, p)`` keeps the smallest set of most likely ids whose probabilities reach p; -inf elsewhere."""
    what = "Exercise 2 · nucleus (top-p) filtering"
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


EXPERIMENT_RUNS = ("with mask", "without mask")
UNTRAINED_BITS = 5.5  # above this a run has learned nearly nothing (uniform over 82 characters: 6.36)
LEAK_MARGIN = 0.5  # bits per character: the least gap that counts as a leak, far above the noise of a smoke-sized run


def check_mask_experiment(results, *, reveal: bool = True) -> bool:
    """Exercise 3 (experiment): ``results = {"with mask": (train_bits, honest_bits), "without mask": (...)}`` from
    ``mask_experiment(causal=True)`` and ``mask_experiment(causal=False)``: the unmasked model's training loss falls far
    below the masked one's while its honest (prefix-by-prefix) score does not."""
    what = "Exercise 3 · experiment: remove the causal mask"
    if is_blank(results):
        return not_attempted(what)
    if not isinstance(results, dict) or set(results) != set(EXPERIMENT_RUNS):
        shown = sorted(map(str, results)) if isinstance(results, dict) else type(results).__name__
        return report(False, f"{what}: expected a dict with the keys {list(EXPERIMENT_RUNS)}, got {shown}")
    scores = {}
    for run in EXPERIMENT_RUNS:
        pair = results[run]
        if is_blank(pair):
            return not_attempted(f"{what} ({run!r} is still None)")
        values = None if isinstance(pair, (str, dict)) else to_array(pair, "float64")
        if values is None or values.shape != (2,) or not np.all(np.isfinite(values)):
            return report(False, f"{what}: results[{run!r}] must be the pair (training bits/char, honest bits/char) that "
                                 f"mask_experiment returns, got {pair!r:.60}")
        scores[run] = values
    (masked_train, masked_honest), (open_train, open_honest) = scores["with mask"], scores["without mask"]
    if min(masked_train, masked_honest) > UNTRAINED_BITS:
        return report(False, f"{what}: the masked run scores about {masked_honest:.2f} bits/char, near guessing uniformly among the "
                             "characters: did the training loop run?")
    if masked_train < masked_honest - LEAK_MARGIN and open_train >= open_honest - LEAK_MARGIN:
        return report(False, f"{what}: the leak shows in the 'with mask' run: the two runs are swapped.")
    if abs(open_train - masked_train) < LEAK_MARGIN and abs(open_honest - masked_honest) < LEAK_MARGIN:
        return report(False, f"{what}: both runs behave alike (training {masked_train:.2f} and {open_train:.2f} bits/char): the "
                             "'without mask' run still has its mask; build it with causal=False.")
    if open_train < masked_train - LEAK_MARGIN and open_honest < open_train + LEAK_MARGIN:
        return report(False, f"{what}: your 'honest' score of the unmasked model ({open_honest:.2f}) is as low as its training loss: "
                             "it was computed on whole windows, where each position still sees the next character. Score it "
                             "prefix by prefix (honest_bits), as generation does.")
    if open_train < masked_train - LEAK_MARGIN and open_honest > open_train + LEAK_MARGIN and abs(masked_honest - masked_train) < LEAK_MARGIN:
        if not reveal:
            return report(True, f"{what}: correct (what it measures is printed when you run your own answer in the cell above)")
        return report(True, f"{what}: correct. Without the mask the training loss falls to {open_train:.2f} bits/char (with the mask "
                            f"{masked_train:.2f}): each position reads the character it must predict. Scored honestly, one prefix at a "
                            f"time as in generation, it gets {open_honest:.2f}, against {masked_honest:.2f} for the masked model: it "
                            "learned to copy from the future, which generation does not have.")
    return report(False, f"{what}: expected the unmasked run's training loss far below the masked one's and its honest score far above "
                         f"its own training loss; got with mask {scores['with mask'].round(2).tolist()}, without mask "
                         f"{scores['without mask'].round(2).tolist()}. Run mask_experiment as defined, once with causal=True and once "
                         "with causal=False.")


# the experiment's settings (and experiment_data, imported above); notebook 09's mask_experiment reads them, so that every learner runs the same thing
EXPERIMENT_BLOCK = 32  # characters per training window
EXPERIMENT_WIDTH = 32  # model width (2 heads of 16)
EXPERIMENT_HEADS = 2
EXPERIMENT_BATCH = 16
EXPERIMENT_STEPS = 150
EXPERIMENT_LEARNING_RATE = 3e-3
EXPERIMENT_EVAL_CHARS = 6_000  # validation characters scored prefix by prefix
