"""Checkers for notebook 08 (recurrent networks for text): top-k filtering, bits per character
from logits, clipping gradients by their global norm, an LSTM cell, and the experiment with a
shorter backpropagation-through-time window."""

from __future__ import annotations

import functools
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


# ----------------------------------------------------------------------------- Exercise 4: an LSTM cell


def _sigmoid(values: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-values))


def reference_lstm_step(x, h, c, kernel, recurrent_kernel, bias, *, mistake: str | None = None):
    """One LSTM step with Keras' weight layout (gate order i, f, c, o); ``mistake`` names a typical wrong variant."""
    pre = x @ kernel + (0.0 if mistake == "no recurrence" else h @ recurrent_kernel) + bias
    i, f, g, o = np.split(pre, 4, axis=-1)
    if mistake == "forget and input swapped":
        i, f = f, i
    i, f, o = _sigmoid(i), _sigmoid(f), _sigmoid(o)
    g = _sigmoid(g) if mistake == "sigmoid candidate" else np.tanh(g)
    c = (1.0 if mistake == "no forget gate" else f) * c + (1.0 if mistake == "no input gate" else i) * g
    h = o * (c if mistake == "no tanh on the cell" else np.tanh(c))
    return (c, h) if mistake == "returns (c, h)" else (h, c)


LSTM_MISTAKES = {
    "forget and input swapped": "your input and forget gates are swapped: Keras stores the four parts in the order i, f, c, o "
                                "(input gate, forget gate, candidate, output gate), so split the columns in that order.",
    "no tanh on the cell": "the output is h_t = o_t * tanh(c_t): squash the cell state with tanh before the output gate scales it.",
    "sigmoid candidate": "the candidate (third part) uses tanh, not the sigmoid: it proposes values in (-1, 1), the gates use sigmoids.",
    "no input gate": "the input gate is missing: c_t = f_t * c_{t-1} + i_t * candidate.",
    "no forget gate": "the forget gate is missing: c_t = f_t * c_{t-1} + i_t * candidate.",
    "no recurrence": "the gates ignore h_{t-1}: every part is x_t @ kernel + h_{t-1} @ recurrent_kernel + bias.",
    "returns (c, h)": "you returned (c, h); return the pair in the order (h, c).",
}


def _lstm_case(seed: int = 8):
    rng = np.random.default_rng(seed)
    batch, steps, features, units = 3, 6, 4, 5
    inputs = rng.normal(size=(batch, steps, features))
    weights = (rng.normal(scale=0.5, size=(features, 4 * units)), rng.normal(scale=0.5, size=(units, 4 * units)),
               rng.normal(scale=0.5, size=4 * units))
    return inputs, weights, units


def _run_lstm(step, inputs, weights, units):
    h = c = np.zeros((inputs.shape[0], units))
    outputs = []
    for t in range(inputs.shape[1]):
        h, c = step(inputs[:, t], h, c, *weights)
        outputs.append(h)
    return np.stack(outputs, axis=1), c


def check_lstm_step(lstm_step) -> bool:
    """Exercise 4: ``lstm_step(x, h, c, kernel, recurrent_kernel, bias) -> (h, c)``, Keras' layout (gates i, f, c, o)."""
    what = "Exercise 4 · an LSTM cell"
    inputs, weights, units = _lstm_case()
    h0 = np.zeros((inputs.shape[0], units))
    status, result = attempt(what, lstm_step, inputs[:, 0].copy(), h0.copy(), h0.copy(), *(w.copy() for w in weights))
    if status != "ok":
        return False
    pair = None if isinstance(result, (str, dict)) else result
    try:
        h, c = pair
        h, c = to_array(h, "float64"), to_array(c, "float64")
    except (TypeError, ValueError):
        h = c = None
    if h is None or c is None or h.shape != h0.shape or c.shape != h0.shape:
        return report(False, f"{what}: return a pair (h, c) of arrays of shape (batch, units) = {h0.shape}, "
                             f"got {type(result).__name__}")
    outputs, final_c = _run_lstm(lambda *args: tuple(np.asarray(a, dtype="float64") for a in lstm_step(*args)), inputs, weights, units)
    expected_outputs, expected_c = _run_lstm(reference_lstm_step, inputs, weights, units)
    if np.allclose(outputs, expected_outputs, atol=1e-6) and np.allclose(final_c, expected_c, atol=1e-6):
        return report(True, f"{what}: correct — over {inputs.shape[1]} steps your cell gives Keras' LSTM outputs and cell state.")
    for mistake, message in LSTM_MISTAKES.items():
        wrong_outputs, wrong_c = _run_lstm(functools.partial(reference_lstm_step, mistake=mistake), inputs, weights, units)
        if np.allclose(outputs, wrong_outputs, atol=1e-6) and np.allclose(final_c, wrong_c, atol=1e-6):
            return report(False, f"{what}: {message}")
    first = int(np.argmax(np.any(~np.isclose(outputs, expected_outputs, atol=1e-6), axis=(0, 2))))
    return report(False, f"{what}: the hidden states differ from Keras' LSTM from step {first} on. Check the gate order (i, f, c, o), "
                         "the sigmoids on the gates, tanh on the candidate and on the cell, and c_t = f*c + i*candidate.")


# ----------------------------------------------------------------------------- Exercise 5: experiment, a shorter BPTT window

EXPERIMENT_CHARS = 200_000  # training characters of the experiment (and a tenth as many validation characters)
EXPERIMENT_GRU = {"embedding_dim": 16, "units": 32}
EXPERIMENT_STEPS = 100
EXPERIMENT_BATCH = 32
EXPERIMENT_LEARNING_RATE = 1e-2
EXPERIMENT_DEFAULT_WINDOW = 32  # the window the notebook's experiment trains with unless the learner shortens it
EXPERIMENT_SCORE_WINDOW = 32  # every run is scored on windows of this length, whatever window it trained on
EXPERIMENT_TOLERANCE = 0.05  # bits per character between two runs of the same window (initialisation and threading noise)


@functools.cache
def experiment_data() -> tuple[np.ndarray, np.ndarray, int]:
    """(training ids, validation ids, vocabulary size) of the experiment: the start of each Shakespeare split."""
    from .. import data, text

    split = data.load_shakespeare(limit_chars=EXPERIMENT_CHARS)
    vocab = text.CharVocab.from_text(split.train)
    validation = "".join(character for character in split.validation if character in vocab.chars)
    return vocab.encode(split.train), vocab.encode(validation), vocab.size


@functools.cache
def reference_window_experiment(window: int) -> float:
    """The notebook's ``window_experiment(window)``: a small GRU trained on windows of ``window`` characters (state reset
    at every window), scored in bits per character on the experiment's validation text in windows of 32."""
    import keras
    import tensorflow as tf

    from .. import text

    train_ids, validation_ids, vocab_size = experiment_data()
    keras.utils.set_random_seed(0)
    model = text.build_char_rnn(vocab_size, **EXPERIMENT_GRU)
    optimizer = keras.optimizers.Adam(EXPERIMENT_LEARNING_RATE)
    step = text.make_train_step(model, optimizer, clip_norm=1.0)
    batches = iter(text.windowed_dataset(train_ids, window, EXPERIMENT_BATCH, seed=0))
    for _ in range(EXPERIMENT_STEPS):
        step(*next(batches))
    windows = text.score_windows(validation_ids, seq_length=EXPERIMENT_SCORE_WINDOW)  # one batch, called eagerly
    logits = model(windows[:, :-1])
    return float(tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(windows[:, 1:], logits))) / math.log(2)


def check_window_experiment(result, *, reveal: bool = True) -> bool:
    """Exercise 5 (experiment): ``result = (window, window_experiment(window))`` for a window shorter than the default;
    judged against a reference run of the same window and of the default window."""
    what = "Exercise 5 · experiment: a shorter BPTT window"
    if is_blank(result):
        return not_attempted(what)
    try:
        window, measured = (None, None) if isinstance(result, (str, dict)) else result
    except (TypeError, ValueError):
        window = measured = None
    if window is None:
        return report(False, f"{what}: pass a pair (window, bits per character), e.g. (short_window, window_experiment(short_window)); "
                             f"got {type(result).__name__}")
    window = as_number(what, window, whole=True, hint="The first element is the window length in characters.")
    measured = as_number(what, measured, hint="The second element is what window_experiment returned.")
    if window is None or measured is None:
        return False
    if not 1 <= window < EXPERIMENT_DEFAULT_WINDOW:
        return report(False, f"{what}: the window is {window}; the experiment SHORTENS it: choose 1 to "
                             f"{EXPERIMENT_DEFAULT_WINDOW - 1} characters (the default is {EXPERIMENT_DEFAULT_WINDOW}).")
    expected = reference_window_experiment(window)
    default = reference_window_experiment(EXPERIMENT_DEFAULT_WINDOW)
    if abs(measured - expected) <= EXPERIMENT_TOLERANCE:
        if not reveal:
            return report(True, f"{what}: correct (what it measures is printed when you run your own answer in the cell above)")
        from .. import text

        train_ids, validation_ids, vocab_size = experiment_data()
        bigram = text.bigram_bits_per_char(train_ids, validation_ids, vocab_size)
        verdict = ("worse than the bigram" if measured > bigram else "below the bigram") + f" ({bigram:.3f})"
        return report(True, f"{what}: correct. Trained on windows of {window}, the GRU scores {measured:.3f} bits/char, against "
                            f"{default:.3f} with windows of {EXPERIMENT_DEFAULT_WINDOW}, {verdict}, although both are scored with "
                            f"{EXPERIMENT_SCORE_WINDOW} characters of context. The gradient never crossed more than {window} steps, so "
                            "the state never learned to keep what longer contexts need.")
    if abs(measured - default) <= EXPERIMENT_TOLERANCE and abs(expected - default) > EXPERIMENT_TOLERANCE:
        return report(False, f"{what}: {measured:.3f} is the score of the default window ({EXPERIMENT_DEFAULT_WINDOW}): pass your "
                             f"window to the function, window_experiment({window}).")
    if abs(measured - expected * math.log(2)) <= EXPERIMENT_TOLERANCE:
        return report(False, f"{what}: {measured:.3f} looks like nats; window_experiment returns bits per character, report it unchanged.")
    return report(False, f"{what}: a reference run with a window of {window} scores {expected:.3f} bits/char, you measured {measured:.3f}. "
                         "Run window_experiment as the notebook defines it, changing only the window.")
