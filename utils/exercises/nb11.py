"""Checkers for notebook 11 · Music: Bach chorales, note by note."""

from __future__ import annotations

import functools
import hashlib
import math

import numpy as np

from . import as_float_array, as_number, attempt, check_function, report

HIDDEN = "what it measures is printed when you run your own answer in the cell above"
REST = -1

# ----------------------------------------------------------------------------- Exercise 1: hidden fifths and octaves


def reference_hidden_perfects(grid) -> int:
    """Slots t >= 1 where soprano and bass, both sounding and both moving the same way, arrive at a perfect fifth or
    octave (0 or 7 semitones modulo 12) from a different interval, with the soprano leaping (more than 2 semitones)."""
    grid = np.asarray(grid, dtype=int)
    s0, s1, b0, b1 = grid[:-1, 0], grid[1:, 0], grid[:-1, 3], grid[1:, 3]
    sounding = (s0 != REST) & (s1 != REST) & (b0 != REST) & (b1 != REST)
    motion_s, motion_b = np.sign(s1 - s0), np.sign(b1 - b0)
    before, after = (s0 - b0) % 12, (s1 - b1) % 12
    hidden = sounding & (motion_s != 0) & (motion_s == motion_b) & np.isin(after, (0, 7)) & (before != after) & (np.abs(s1 - s0) > 2)
    return int(hidden.sum())


def _hidden_cases():
    """(two-slot grid, expected count, what a wrong count means). Alto and tenor hold still unless stated."""
    def pair(s0, b0, s1, b1, a=(60, 60), t=(55, 55)):
        return np.array([[s0, a[0], t[0], b0], [s1, a[1], t[1], b1]])

    return [
        (pair(64, 48, 67, 60), 1, "E/C (a third) to G/C (a fifth), both voices up, soprano leaps 3 semitones: a hidden fifth"),
        (pair(64, 43, 72, 48), 1, "a sixth to an octave (C5 over C3), both up, soprano leaps 8: a hidden octave"),
        (pair(72, 55, 67, 48), 1, "a fourth to a fifth, both voices DOWN with a soprano leap: hidden fifths go either way"),
        (pair(67, 60, 72, 65), 0, "a fifth to a fifth is a PARALLEL fifth, counted elsewhere: hidden means arriving from a "
                                  "different interval"),
        (pair(65, 50, 67, 60), 0, "the soprano moves by a step (2 semitones): a hidden fifth needs a soprano leap (> 2)"),
        (pair(64, 55, 67, 48), 0, "contrary motion (soprano up, bass down) into a fifth is not a hidden fifth: both voices "
                                  "must move the same way"),
        (pair(60, 48, 67, 48), 0, "the bass holds its note: a held note is not motion, so there is no similar motion"),
        (pair(64, REST, 67, 60), 0, "the bass rests at the first slot: both voices must sound at both slots"),
        (pair(72, 48, 76, 50, a=(60, 67), t=(52, 60)), 0, "only soprano and bass count: here alto and tenor move into a "
                                                          "fifth in similar motion with a leap, the outer voices into a ninth"),
    ]


def check_hidden_perfects(function, *, chorales=None, reveal: bool = True) -> bool:
    """Exercise 1: ``function(grid)`` -> the number of hidden fifths/octaves between soprano and bass."""
    what = "Exercise 1 (hidden fifths and octaves)"
    verdict = check_function(what, function, "(grid) -> count")
    if verdict is not None:
        return verdict
    for grid, expected, meaning in _hidden_cases():
        status, result = attempt(what, function, grid.copy())
        if status != "ok":
            return False
        count = as_number(what, result, whole=True, hint="Return the number of slots (an int).")
        if count is None:
            return False
        if count != expected:
            return report(False, f"{what}: for the slots {grid.tolist()} you counted {int(count)}, expected {expected}: {meaning}.")
    passage = np.concatenate([case[0] for case in _hidden_cases()])
    status, result = attempt(what, function, passage)
    if status != "ok":
        return False
    count = as_number(what, result, whole=True)
    if count is None:
        return False
    expected = reference_hidden_perfects(passage)
    if count != expected:
        return report(False, f"{what}: the cases joined into one passage give {int(count)}, expected {expected}: count every "
                             "slot t >= 1 of the whole grid, including the joins between cases.")
    chorales = [] if chorales is None else list(chorales)
    yours = reference = 0
    for grid in chorales:
        status, result = attempt(what, function, np.asarray(grid).copy())
        if status != "ok":
            return False
        yours += int(result)
        reference += reference_hidden_perfects(grid)
    if yours != reference:
        return report(False, f"{what}: on the {len(chorales)} chorales you count {yours}, the reference {reference}: check the rests "
                             "(REST = -1 is not a pitch) and the slots where a voice holds.")
    if not reveal:
        return report(True, f"{what}: correct ({HIDDEN})")
    if not chorales:
        return report(True, f"{what}: correct on every hand-made case. Pass chorales=... to measure the rate in real music.")
    from .. import music

    bars = sum(len(grid) for grid in chorales) / 8
    parallels = music.rule_rates([np.asarray(grid) for grid in chorales])["parallels_per_bar"]
    return report(True, f"{what}: correct. In these {len(chorales)} chorales ({bars:.0f} bars) you find {reference / bars:.3f} hidden "
                        f"fifths/octaves per bar between soprano and bass, against {parallels:.3f} parallel fifths/octaves per bar "
                        "between any two voices (utils.music.rule_rates). Try your counter on the generated pieces too.")


# ----------------------------------------------------------------------------- Exercise 2: bits per voice


def reference_bits_by_voice(target_log_probs) -> np.ndarray:
    """Mean bits (-log2 p) of the targets of each voice; target j of a window is token j + 1, windows start on a soprano."""
    bits = -np.asarray(target_log_probs, dtype="float64") / math.log(2.0)
    voices = (np.arange(bits.shape[1]) + 1) % 4
    return np.array([bits[:, voices == voice].mean() for voice in range(4)])


def _voice_cases():
    rng = np.random.default_rng(11)
    cases = []
    for windows, length in ((3, 16), (5, 8), (2, 128)):
        base = np.array([0.9, 0.3, 0.5, 0.2])  # nats per voice, different on purpose
        voices = (np.arange(length) + 1) % 4
        log_probs = -(base[voices][None, :] * rng.uniform(0.5, 1.5, (windows, length)))
        cases.append(log_probs)
    return cases


def check_bits_by_voice(function, *, reveal: bool = True) -> bool:
    """Exercise 2: ``function(target_log_probs (W, L))`` -> mean bits per token of the soprano, alto, tenor, bass targets."""
    what = "Exercise 2 (which voice is hardest to predict?)"
    verdict = check_function(what, function, "(target_log_probs) -> 4 values")
    if verdict is not None:
        return verdict
    for log_probs in _voice_cases():
        status, result = attempt(what, function, log_probs.copy())
        if status != "ok":
            return False
        values = as_float_array(what, result, (4,))
        if values is None:
            return False
        expected = reference_bits_by_voice(log_probs)
        if np.allclose(values, expected, rtol=1e-6):
            continue
        bits = -log_probs / math.log(2.0)
        by_input = np.array([bits[:, np.arange(bits.shape[1]) % 4 == v].mean() for v in range(4)])
        wrong = [
            (by_input, "off by one: position j of the TARGETS is token j + 1 of the window (the inputs are tokens 0..L-1), "
                       "so target 0 is an alto, not a soprano."),
            (expected * math.log(2.0), "these are nats: divide -log p by ln 2 to get bits."),
            (-expected, "bits per token are -log2 p: positive numbers (log-probabilities are negative)."),
            (np.roll(expected, 1), "the voices come out rotated: soprano, alto, tenor, bass in that order, target j being "
                                   "voice (j + 1) mod 4."),
        ]
        hint = next((message for wrong_values, message in wrong if np.allclose(values, wrong_values, rtol=1e-6)),
                    "the voice of target j is (j + 1) mod 4 (0 = soprano); average -log2 p over those positions of all windows.")
        return report(False, f"{what}: for windows of {log_probs.shape[1]} targets you returned {np.round(values, 4).tolist()}, "
                             f"expected {np.round(expected, 4).tolist()}: {hint}")
    if not reveal:
        return report(True, f"{what}: correct ({HIDDEN})")
    return report(True, f"{what}: correct. Read the four numbers below: the voice with the most bits per token is the one the "
                        "model is least sure about. In harmonisation the soprano is given, so only the other three are sampled.")


# ----------------------------------------------------------------------------- Exercise 3: experiment, local attention

EXPERIMENT_CONTEXT = 64  # tokens per training window (16 slots)
EXPERIMENT_WINDOW = 4  # tokens the local model may attend to (itself included)
EXPERIMENT_SIZES = {"model_dim": 32, "num_heads": 2, "num_layers": 1}
EXPERIMENT_STEPS = 250
EXPERIMENT_BATCH = 16
EXPERIMENT_VAL_TOKENS = 4096
BITS_TOLERANCE = 0.08  # a correct local model lands this close to the reference local one (seed noise ~0.02)


def reference_transformer(vocab_size: int, context: int, window: int | None, model_dim: int, num_heads: int, num_layers: int, *,
                          band=None):
    """The notebook's ChoraleTransformer; ``window`` tokens of banded causal attention, or ``None`` for the full causal mask.

    ``band(distance)`` (query position - key position -> True where attention is allowed) replaces the band (for tests).
    Example: ``reference_transformer(55, 64, 4, 32, 2, 1)``
    """
    import keras
    import tensorflow as tf

    class Block(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.attention_norm = keras.layers.LayerNormalization(epsilon=1e-5)
            self.attention = keras.layers.MultiHeadAttention(num_heads, model_dim // num_heads)
            self.mlp_norm = keras.layers.LayerNormalization(epsilon=1e-5)
            self.mlp = keras.Sequential([keras.layers.Dense(4 * model_dim, activation="gelu"), keras.layers.Dense(model_dim)])

        def call(self, x):
            normed = self.attention_norm(x)
            if window is None and band is None:
                x = x + self.attention(normed, normed, use_causal_mask=True)
            else:
                steps = tf.shape(x)[1]
                distance = tf.range(steps)[:, None] - tf.range(steps)[None, :]
                allowed = band(distance) if band is not None else (distance >= 0) & (distance < window)
                x = x + self.attention(normed, normed, attention_mask=allowed[None])
            return x + self.mlp(self.mlp_norm(x))

    class Transformer(keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.token_embedding = keras.layers.Embedding(vocab_size, model_dim)
            self.position_embedding = keras.layers.Embedding(context, model_dim)
            self.blocks = [Block() for _ in range(num_layers)]
            self.final_norm = keras.layers.LayerNormalization(epsilon=1e-5)
            self.head = keras.layers.Dense(vocab_size)

        def call(self, ids, training=False):
            x = self.token_embedding(ids) + self.position_embedding(tf.range(tf.shape(ids)[1]))
            for block in self.blocks:
                x = block(x)
            return self.head(self.final_norm(x))

    return Transformer()


def _locality(model, vocab_size: int, window: int) -> str | None:
    """None when the model's predictions depend only on the last ``window`` tokens; otherwise what is wrong."""
    rng = np.random.default_rng(5)
    length = 24
    ids = rng.integers(1, vocab_size, (2, length)).astype("int32")
    try:
        base = np.asarray(model(ids, training=False))
    except Exception as error:  # the learner's model may fail in any way
        return f"calling it on ids of shape (2, {length}) raised {type(error).__name__}: {str(error)[:200]}"
    if base.shape != (2, length, vocab_size):
        return f"it must return logits of shape (batch, T, vocab_size) = (2, {length}, {vocab_size}), got {base.shape}"
    for position in (3, 9):
        changed_ids = ids.copy()
        changed_ids[:, position] = (changed_ids[:, position] % (vocab_size - 1)) + 1
        changed = np.abs(np.asarray(model(changed_ids, training=False)) - base).max(axis=(0, 2)) > 1e-5
        if changed[:position].any():
            return ("changing a token changed the predictions BEFORE it: the model reads the future. In attention_mask, True "
                    "means 'may attend'; keep only keys at or before the query.")
        if changed[position + window:].any():
            if changed[position + window] and not changed[position + window + 1:].any():
                return (f"a token {window} positions back still changes the prediction: the band must hold the query itself "
                        f"and the {window - 1} tokens before it (distance 0 .. window - 1).")
            return f"a token more than {window} positions back still changes the prediction: the attention is not local yet."
        if not changed[position + window - 1]:
            return (f"a token {window - 1} positions back does not change the prediction: the band is too narrow; it must "
                    f"hold the query and the {window - 1} tokens before it.")
    return None


def _train_and_score(model, train_ids, val_ids, *, seed: int = 0) -> float:
    """Train ``model`` with the notebook's recipe (shorter) and return validation bits per token."""
    import keras
    import tensorflow as tf

    from .. import text

    train = tf.constant(np.asarray(train_ids, dtype="int32"))
    num_starts = (len(train_ids) - EXPERIMENT_CONTEXT - 1) // 4
    rng = tf.random.Generator.from_seed(seed)
    optimizer = keras.optimizers.Adam(3e-3)
    step = text.make_train_step(model, optimizer, clip_norm=1.0)

    @tf.function
    def batch():
        starts = rng.uniform([EXPERIMENT_BATCH], 0, num_starts, tf.int32) * 4
        windows = tf.gather(train, starts[:, None] + tf.range(EXPERIMENT_CONTEXT + 1)[None, :])
        return windows[:, :-1], windows[:, 1:]

    for index in range(EXPERIMENT_STEPS):
        optimizer.learning_rate.assign(text.cosine_learning_rate(index / EXPERIMENT_STEPS, 3e-3, 1e-4, 0.05))
        step(*batch())
    windows = text.score_windows(np.asarray(val_ids)[:EXPERIMENT_VAL_TOKENS], seq_length=EXPERIMENT_CONTEXT)
    nats = 0.0  # scored eagerly (as evaluate_bits_per_char does, without compiling one function per model)
    for begin in range(0, len(windows), 64):
        part = tf.constant(windows[begin:begin + 64])
        nats += float(tf.reduce_sum(tf.nn.sparse_softmax_cross_entropy_with_logits(part[:, 1:], model(part[:, :-1]))))
    return nats / windows[:, 1:].size / math.log(2.0)


@functools.cache
def _reference_runs(digest: str, vocab_size: int, data: tuple) -> dict[str, float]:
    """Validation bits of the reference full and local models (trained once per session and data)."""
    import keras

    train_ids, val_ids = data[0].array, data[1].array
    runs = {}
    for name, window in (("full", None), ("local", EXPERIMENT_WINDOW)):
        keras.utils.set_random_seed(0)
        model = reference_transformer(vocab_size, EXPERIMENT_CONTEXT, window, **EXPERIMENT_SIZES)
        runs[name] = _train_and_score(model, train_ids, val_ids)
    return runs


class _Hashable:
    """An array wrapped so that functools.cache can key on its digest."""

    def __init__(self, array):
        self.array = np.asarray(array)
        self.digest = hashlib.sha256(self.array.astype("int64").tobytes()).hexdigest()

    def __hash__(self):
        return hash(self.digest)

    def __eq__(self, other):
        return isinstance(other, _Hashable) and other.digest == self.digest


@functools.cache
def default_data() -> tuple[np.ndarray, np.ndarray, int]:
    """(train_ids, val_ids, vocab_size) from the first 40 chorale files, tokenised as in the notebook (last 4 chorales: validation)."""
    from .. import music

    grids = [music.transpose(g, music.common_key_shift(g)) for g in music.load_bach_chorales(limit=40, verbose=False)["grids"]]
    lowest = min(int(g[g != REST].min()) for g in grids)
    vocab_size = max(int(g.max()) for g in grids) - lowest + 2

    def stream(chorales):
        return np.concatenate([np.concatenate([np.zeros(4, "int32"), np.where(g == REST, 0, g - lowest + 1).reshape(-1)])
                               for g in chorales]).astype("int32")

    return stream(grids[:-4]), stream(grids[-4:]), vocab_size


def check_local_attention_experiment(build_model, *, train_ids=None, val_ids=None, vocab_size: int | None = None,
                                     reveal: bool = True) -> bool:
    """Exercise 3 (experiment): ``build_model(vocab_size, context, window, model_dim, num_heads, num_layers)`` -> a
    transformer attending only ``window`` tokens back; checks locality, trains it and judges the effect."""
    import keras

    what = "Exercise 3 · experiment: how far back must harmony look?"
    if train_ids is None or val_ids is None or vocab_size is None:
        train_ids, val_ids, vocab_size = default_data()
    verdict = check_function(what, build_model, "(vocab_size, context, window, model_dim, num_heads, num_layers) -> keras.Model")
    if verdict is not None:
        return verdict
    keras.utils.set_random_seed(0)
    status, model = attempt(what, build_model, vocab_size, EXPERIMENT_CONTEXT, EXPERIMENT_WINDOW, *EXPERIMENT_SIZES.values())
    if status != "ok":
        return False
    if not isinstance(model, keras.Model):
        return report(False, f"{what}: build_local_transformer(...) must return a keras.Model, got {type(model).__name__}")
    problem = _locality(model, vocab_size, EXPERIMENT_WINDOW)
    if problem:
        return report(False, f"{what}: {problem}")
    print(f"Training three small transformers for {EXPERIMENT_STEPS} steps each (tens of seconds)...")
    data = (_Hashable(train_ids), _Hashable(val_ids))
    references = _reference_runs(data[0].digest + data[1].digest, int(vocab_size), data)
    try:
        yours = _train_and_score(model, train_ids, val_ids)
    except Exception as error:  # the learner's model may fail in training in any way
        return report(False, f"{what}: training your model raised {type(error).__name__}: {str(error)[:300]}")
    if not math.isfinite(yours) or abs(yours - references["local"]) > BITS_TOLERANCE:
        return report(False, f"{what}: your local model reaches {yours:.3f} validation bits per token, the reference local model "
                             f"{references['local']:.3f} (the full one {references['full']:.3f}): too far apart for the same change. "
                             f"Keep the notebook's transformer (sizes {EXPERIMENT_SIZES}, learned positions over `context`) and "
                             "change only the attention mask.")
    if not reveal:
        return report(True, f"{what}: correct ({HIDDEN})")
    cost = references["local"] - references["full"]
    verdict = (f"looking only {EXPERIMENT_WINDOW} tokens back costs {cost:+.3f} bits per token here: the notes further back carry "
               "information that the current and previous slot alone do not" if cost > 0.02 else
               f"the difference ({cost:+.3f} bits per token) is within run-to-run noise at this size: train longer to see it")
    return report(True, f"{what}: correct, and the effect is measured (validation bits per token after {EXPERIMENT_STEPS} steps): "
                        f"full causal attention {references['full']:.3f}, attention {EXPERIMENT_WINDOW} tokens back (reference) "
                        f"{references['local']:.3f}, yours {yours:.3f}; {verdict}.")


# ----------------------------------------------------------------------------- Exercise 4: a spacing rule at sampling time

SPACING_LIMIT = 12  # semitones: neighbouring upper voices at most an octave apart
SPACED_PAIRS = ((0, 1), (1, 2))  # (upper, lower): soprano-alto and alto-tenor; the bass may lie further below the tenor


def reference_spacing_allowed(grid, t: int, voice: int, candidates) -> np.ndarray:
    """(B, V) True where ``candidates`` for ``voice`` at slot ``t`` lie at most an octave below the voice directly above
    (alto and tenor only; rests and candidates above the upper voice are never forbidden by this rule)."""
    grid, candidates = np.asarray(grid, dtype=int), np.asarray(candidates, dtype=int)
    allowed = np.ones((len(grid), len(candidates)), dtype=bool)
    if voice in [lower for _, lower in SPACED_PAIRS]:
        above = grid[:, t, voice - 1][:, None]
        sounding = (above != REST) & (candidates[None, :] != REST)
        allowed &= ~(sounding & (above - candidates[None, :] > SPACING_LIMIT))
    return allowed


def wide_spacing_per_bar(pieces, *, steps_per_bar: int = 8) -> float:
    """Slots with soprano-alto or alto-tenor more than an octave apart (both sounding), per bar, over (N, T, 4) pieces."""
    pieces = np.asarray(pieces, dtype=int)
    if pieces.ndim == 2:
        pieces = pieces[None]
    wide = np.zeros(pieces.shape[:2], dtype=bool)
    for upper, lower in SPACED_PAIRS:
        both = (pieces[..., upper] != REST) & (pieces[..., lower] != REST)
        wide |= both & (pieces[..., upper] - pieces[..., lower] > SPACING_LIMIT)
    return float(wide.sum() / (pieces.shape[0] * pieces.shape[1] / steps_per_bar))


def _spacing_cases():
    """(grid (B, T, 4), t, voice) cases and the candidate pitches: three pieces, so that every row of the answer is checked;
    the voices from ``voice`` down are still unplaced (REST) at slot t, as in the sampler."""
    candidates = np.array([REST, *range(31, 85)])  # the notebook's tokens: the rest, then MIDI 31-84
    slots = np.array([
        [[72, 64, 55, 48], [76, 60, 50, 43]],  # at slot 1 the alto lies 16 below the soprano: too wide, but already placed
        [[67, 60, 52, 43], [79, 66, 55, 40]],
        [[64, 57, 48, 45], [REST, 62, 45, 38]],  # the soprano rests at slot 1: the alto is free
    ])
    cases = []
    for voice in (1, 2, 3, 0):
        grid = slots.copy()
        grid[:, 1, voice:] = REST
        cases.append((grid, 1, voice))
    first = slots[:, :1].copy()
    first[:, 0, 2:] = REST
    cases.append((first, 0, 2))  # slot 0: there is no slot before it
    return cases, candidates


def _spacing_mistakes(grid, t, voice, candidates):
    """Typical wrong masks (message, mask) for one case, to name the mistake the learner made."""
    grid, candidates = np.asarray(grid, dtype=int), np.asarray(candidates, dtype=int)
    rows, column = len(grid), candidates[None, :]

    def gap_mask(above, *, limit=SPACING_LIMIT, strict=False, absolute=False, rest_ok=True):
        gap = above[:, None] - column
        gap = np.abs(gap) if absolute else gap
        bad = (gap >= limit) if strict else (gap > limit)
        if rest_ok:
            bad &= (above[:, None] != REST) & (column != REST)
        else:
            bad &= above[:, None] != REST
        return ~bad

    everyone = np.ones((rows, len(candidates)), dtype=bool)
    mistakes = []
    if voice == 3:
        mistakes.append(("the bass is free: the spacing rule binds soprano-alto and alto-tenor only (voices 1 and 2)",
                         gap_mask(grid[:, t, 2])))
    if voice in (1, 2):
        above = grid[:, t, voice - 1]
        mistakes += [
            ("an octave (12 semitones) apart is still allowed: forbid only gaps of more than 12", gap_mask(above, strict=True)),
            ("a candidate ABOVE the upper voice is a crossing, another rule's job: this rule forbids only candidates more than "
             "an octave BELOW", gap_mask(above, absolute=True)),
            ("a rest is never forbidden: REST = -1 is not a pitch (neither the candidate nor the voice above may be a rest "
             "for the rule to apply)", gap_mask(above, rest_ok=False)),
            ("compare with the voice directly above (voice - 1), not with the soprano", gap_mask(grid[:, t, 0])),
        ]
        if t > 0:
            mistakes.append(("compare with the voice above at the same slot t (it is already placed), not at t - 1",
                             gap_mask(grid[:, t - 1, voice - 1])))
        mistakes.append(("the rule forbids something here: a note more than an octave below the voice above", everyone))
    return mistakes


def check_spacing_rule(function, *, reveal: bool = True) -> bool:
    """Exercise 4: ``function(grid (B, T, 4), t, voice, candidates (V,))`` -> (B, V) booleans, True where a candidate for
    ``voice`` at slot ``t`` is at most an octave below the voice directly above (alto and tenor; the bass is free)."""
    what = "Exercise 4 (a spacing rule at sampling time)"
    verdict = check_function(what, function, "(grid, t, voice, candidates) -> (B, V) booleans")
    if verdict is not None:
        return verdict
    cases, candidates = _spacing_cases()
    for grid, t, voice in cases:
        status, result = attempt(what, function, grid.copy(), t, voice, candidates.copy())
        if status != "ok":
            return False
        values = as_float_array(what, result, (len(grid), len(candidates)))
        if values is None:
            return False
        if not np.isin(values, (0.0, 1.0)).all():
            return report(False, f"{what}: expected booleans (True = allowed), got other values such as "
                                 f"{values[~np.isin(values, (0.0, 1.0))][0]:g}")
        mask, expected = values.astype(bool), reference_spacing_allowed(grid, t, voice, candidates)
        if np.array_equal(mask, expected):
            continue
        hint = next((message for message, wrong in _spacing_mistakes(grid, t, voice, candidates) if np.array_equal(mask, wrong)),
                    "compare each candidate with the voice directly above at slot t; forbid it only when both sound and the "
                    "candidate lies more than 12 semitones below; the soprano and the bass are never restricted")
        row = int(np.nonzero((mask != expected).any(axis=1))[0][0])
        wrong_pitches = candidates[mask[row] != expected[row]]
        return report(False, f"{what}: for voice {voice} at slot {t} under {grid[row, t].tolist()} (slot {t} of piece {row}) your "
                             f"answer differs for the candidates {wrong_pitches.tolist()[:6]}: {hint}.")
    if not reveal:
        return report(True, f"{what}: correct ({HIDDEN})")
    return report(True, f"{what}: correct. The cell goes on to harmonise the test sopranos with both rules and measures the "
                        "spacing beside the other rules.")
