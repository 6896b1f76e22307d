"""Character-level text helpers for the text-generation notebooks (08 RNNs, 09 transformer).

* Vocabulary: ``CharVocab`` maps characters to integer ids and back.
* Data: ``windowed_dataset`` cuts an id array into (input, next-char target) windows for
  ``tf.data``; ``names_to_stream`` joins a list of names with a boundary marker.
* Sampling from logits: ``greedy``, ``top_k_filter``, ``top_p_filter`` and ``sample``
  (temperature, top-k and nucleus/top-p combined).
* Baselines and evaluation: ``bigram_bits_per_char``, ``evaluate_bits_per_char``,
  ``name_quality`` (novelty and well-formedness of generated names).
* Char-RNN: ``CharRNN``/``build_char_rnn``, ``make_train_step``, ``cosine_learning_rate`` and the
  two configurations compared in ``benchmarks/char_rnn_vs_tutorial.py`` (``OURS``, ``TUTORIAL``),
  so the notebook and the benchmark train exactly the same model.
"""

from __future__ import annotations

import math
import re
import weakref
from collections.abc import Iterable, Sequence

import numpy as np

from . import _checks

NAME_BOUNDARY = "."

# The configuration notebook 08 trains and the benchmark calls "ours": a small GRU that does
# many cheap steps per CPU-second, a large batch and a warm-up + cosine learning-rate schedule.
OURS = {
    "embedding_dim": 64,
    "units": 256,
    "cell": "gru",
    "seq_length": 100,
    "batch_size": 128,
    "learning_rate": 4e-3,
    "final_learning_rate": 2e-4,
    "warmup_fraction": 0.02,
    "clip_norm": 1.0,
}
# The TensorFlow text-generation tutorial's configuration (constant Adam 1e-3, no clipping).
TUTORIAL = {
    "embedding_dim": 256,
    "units": 1024,
    "cell": "gru",
    "seq_length": 100,
    "batch_size": 64,
    "learning_rate": 1e-3,
    "final_learning_rate": 1e-3,
    "warmup_fraction": 0.0,
    "clip_norm": None,
}


# ----------------------------------------------------------------------------- vocabulary

class CharVocab:
    """A character vocabulary: ``encode`` text to int32 ids, ``decode`` ids back to text.

    Example: ``vocab = CharVocab.from_text(train_text); vocab.decode(vocab.encode("To be"))``
    """

    def __init__(self, chars: Iterable[str]):
        chars = list(chars)
        if not chars:
            raise ValueError("chars must hold at least one character, got an empty sequence")
        for char in chars:
            if not isinstance(char, str) or len(char) != 1:
                raise TypeError(f"chars must be single characters, got {char!r}")
        if len(set(chars)) != len(chars):
            raise ValueError("chars must not repeat a character")
        self.chars = chars
        self._index = {char: i for i, char in enumerate(chars)}
        self._lookup = np.array(chars)

    @classmethod
    def from_text(cls, text: str | Sequence[str]) -> CharVocab:
        """The sorted set of characters in ``text`` (a string, or a list of strings such as names)."""
        if isinstance(text, str):
            pieces = [text]
        elif isinstance(text, (list, tuple)) and all(isinstance(t, str) for t in text):
            pieces = list(text)
        else:
            raise TypeError(f"text must be a str or a list of str, got {type(text).__name__}")
        chars = sorted(set("".join(pieces)))
        if not chars:
            raise ValueError("text is empty: cannot build a vocabulary from no characters")
        return cls(chars)

    @property
    def size(self) -> int:
        """Number of distinct characters."""
        return len(self.chars)

    def __len__(self) -> int:
        return self.size

    def __repr__(self) -> str:
        return f"CharVocab({self.size} chars: {''.join(self.chars)[:40]!r}...)"

    def encode(self, text: str) -> np.ndarray:
        """Ids (int32 array) of the characters of ``text``; unknown characters raise a ValueError."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        try:
            return np.fromiter((self._index[c] for c in text), dtype=np.int32, count=len(text))
        except KeyError as error:
            raise ValueError(
                f"text holds the character {error.args[0]!r}, which is not in the vocabulary; "
                "build the vocabulary from the training text (CharVocab.from_text) or clean the text"
            ) from None

    def decode(self, ids) -> str:
        """Text for a 1-D sequence of ids (list, array or tensor)."""
        array = _checks.as_array("ids", ids, ndim=1)
        if array.size and not np.issubdtype(array.dtype, np.integer):
            raise TypeError(f"ids must be integers, got dtype {array.dtype}")
        if array.size and (array.min() < 0 or array.max() >= self.size):
            raise ValueError(f"ids must be in [0, {self.size - 1}], got values in [{array.min()}, {array.max()}]")
        return "".join(self._lookup[array]) if array.size else ""


def names_to_stream(names: Sequence[str], boundary: str = NAME_BOUNDARY) -> str:
    """Join names into one stream ``.anna.bob.`` so a char model learns where names start and end.

    Example: ``names_to_stream(["ann", "bob"])  # '.ann.bob.'``
    """
    if isinstance(names, str) or not all(isinstance(n, str) for n in names):
        raise TypeError("names must be a list of strings")
    if not names:
        raise ValueError("names must not be empty")
    if any(boundary in n for n in names):
        raise ValueError(f"a name contains the boundary character {boundary!r}")
    return boundary + boundary.join(names) + boundary


# ----------------------------------------------------------------------------- tf.data pipeline

def windowed_dataset(ids, seq_length: int, batch_size: int, *, shuffle: bool = True, seed: int = 0, repeat: bool = True):
    """Cut ``ids`` into windows of ``seq_length + 1`` ids and yield ``(inputs, targets)`` batches.

    ``targets`` is ``inputs`` shifted by one character: at every position the model predicts
    the next character. Windows do not overlap; with ``shuffle`` their order is reshuffled every
    pass (seeded). Batches have a fixed shape (the remainder is dropped).
    Example: ``ds = windowed_dataset(vocab.encode(train_text), 100, 64)``
    """
    import tensorflow as tf

    array = _checks.as_array("ids", ids, ndim=1)
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise TypeError(f"ids must be integers, got dtype {array.dtype}")
    seq_length = _checks.positive_int("seq_length", seq_length)
    batch_size = _checks.positive_int("batch_size", batch_size)
    num_windows = len(array) // (seq_length + 1)
    if num_windows < batch_size:
        raise ValueError(
            f"ids has {len(array)} characters: only {num_windows} windows of {seq_length + 1}, fewer "
            f"than one batch of {batch_size}; use more text, a shorter seq_length or a smaller batch_size"
        )
    windows = array[: num_windows * (seq_length + 1)].reshape(num_windows, seq_length + 1).astype("int32")
    dataset = tf.data.Dataset.from_tensor_slices(windows)
    if shuffle:
        dataset = dataset.shuffle(num_windows, seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size, drop_remainder=True).map(lambda w: (w[:, :-1], w[:, 1:]))
    if repeat:
        dataset = dataset.repeat()
    return dataset.prefetch(tf.data.AUTOTUNE)


# ----------------------------------------------------------------------------- sampling

def _logits(name: str, logits) -> np.ndarray:
    array = _checks.as_array(name, logits, ndim=(1, 2), finite=False).astype("float64")
    if array.shape[-1] < 1:
        raise ValueError(f"{name} must have at least one entry in its last axis")
    if np.isnan(array).any():
        raise ValueError(f"{name} holds NaN: the model's outputs blew up before sampling")
    return array


def greedy(logits) -> np.ndarray | int:
    """The most likely id (argmax) for logits of shape (V,) or (B, V). Example: ``greedy([0., 2., 1.])  # 1``"""
    array = _logits("logits", logits)
    result = array.argmax(axis=-1)
    return int(result) if result.ndim == 0 else result


def top_k_filter(logits, k: int) -> np.ndarray:
    """Keep the ``k`` largest logits of each row, set the rest to -inf (ties broken by position).

    Example: ``top_k_filter([1., 3., 2.], 2)  # [-inf, 3., 2.]``
    """
    array = _logits("logits", logits)
    k = _checks.positive_int("k", k)
    if k >= array.shape[-1]:
        return array.copy()
    order = np.argsort(-array, axis=-1, kind="stable")[..., :k]
    keep = np.zeros(array.shape, dtype=bool)
    np.put_along_axis(keep, order, True, axis=-1)
    return np.where(keep, array, -np.inf)


def top_p_filter(logits, p: float) -> np.ndarray:
    """Nucleus filter: keep the most likely ids whose probabilities first add up to ``p``; -inf elsewhere.

    The top id is always kept, so ``p`` near 0 becomes greedy and ``p = 1`` keeps everything.
    Example: ``top_p_filter(np.log([0.5, 0.3, 0.2]), 0.7)  # keeps the first two``
    """
    array = _logits("logits", logits)
    p = _checks.number_in("p", p, 0.0, 1.0)
    if p == 0.0:
        raise ValueError("p must be in (0, 1]; p = 0 would keep no id (use greedy for argmax)")
    probs = _softmax(array)
    order = np.argsort(-probs, axis=-1, kind="stable")
    sorted_probs = np.take_along_axis(probs, order, axis=-1)
    mass_before = np.cumsum(sorted_probs, axis=-1) - sorted_probs
    keep_sorted = mass_before < p - 1e-12  # an id is kept while the mass before it is short of p
    keep = np.zeros(array.shape, dtype=bool)
    np.put_along_axis(keep, order, keep_sorted, axis=-1)
    return np.where(keep, array, -np.inf)


def _softmax(array: np.ndarray) -> np.ndarray:
    shifted = array - np.max(array, axis=-1, keepdims=True)
    weights = np.exp(shifted)
    return weights / weights.sum(axis=-1, keepdims=True)


def sample(logits, rng: np.random.Generator, *, temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None):
    """Draw ids from logits of shape (V,) or (B, V) after temperature, top-k and top-p filtering.

    ``temperature`` < 1 sharpens the distribution, > 1 flattens it; ``temperature = 0`` is greedy.
    Example: ``sample(logits, np.random.default_rng(0), temperature=0.8, top_k=10)``
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy Generator (np.random.default_rng(seed)), got {type(rng).__name__}")
    array = _logits("logits", logits)
    temperature = _checks.number_in("temperature", temperature, 0.0, 100.0)
    if temperature == 0.0:
        return greedy(array)
    array = array / temperature
    if top_k is not None:
        array = top_k_filter(array, top_k)
    if top_p is not None:
        array = top_p_filter(array, top_p)
    probs = _softmax(array)
    rows = np.atleast_2d(probs)
    cumulative = np.cumsum(rows, axis=-1)
    draws = rng.random((len(rows), 1)) * cumulative[:, -1:]
    ids = np.minimum((cumulative < draws).sum(axis=-1), rows.shape[-1] - 1)
    return int(ids[0]) if probs.ndim == 1 else ids


# ----------------------------------------------------------------------------- baselines and metrics

def bigram_bits_per_char(train_ids, eval_ids, vocab_size: int, *, alpha: float = 0.1) -> float:
    """Bits per character of a smoothed bigram model p(next | previous) fitted on ``train_ids``.

    Counts every (previous, next) pair in the training ids, adds ``alpha`` to each cell
    (so unseen pairs keep some probability), and scores each next id of ``eval_ids``.
    Example: ``bigram_bits_per_char(vocab.encode(train), vocab.encode(val), vocab.size)``
    """
    vocab_size = _checks.positive_int("vocab_size", vocab_size)
    alpha = _checks.number_in("alpha", alpha, 0.0, 1e6, inclusive=False) if alpha != 0 else 0.0
    train = _checks.as_array("train_ids", train_ids, ndim=1, min_len=2).astype("int64")
    evaluate = _checks.as_array("eval_ids", eval_ids, ndim=1, min_len=2).astype("int64")
    for name, array in (("train_ids", train), ("eval_ids", evaluate)):
        if array.min() < 0 or array.max() >= vocab_size:
            raise ValueError(f"{name} must be ids in [0, {vocab_size - 1}], got values in [{array.min()}, {array.max()}]")
    counts = np.full((vocab_size, vocab_size), alpha, dtype="float64")
    np.add.at(counts, (train[:-1], train[1:]), 1.0)
    with np.errstate(divide="ignore"):
        log_probs = np.log2(counts) - np.log2(counts.sum(axis=1, keepdims=True))
    scores = log_probs[evaluate[:-1], evaluate[1:]]
    if not np.all(np.isfinite(scores)):
        raise ValueError("eval_ids hold a pair never seen in training and alpha is 0: use alpha > 0")
    return float(-scores.mean())


_COMPILED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _summed_nll(model):
    """A compiled function: total next-char negative log-likelihood (nats) of a batch of windows."""
    import tensorflow as tf

    if model not in _COMPILED:
        @tf.function(reduce_retracing=True)
        def total_nll(windows):
            logits = model(windows[:, :-1], training=False)
            nll = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=windows[:, 1:], logits=tf.cast(logits, tf.float32))
            return tf.reduce_sum(nll)
        _COMPILED[model] = total_nll
    return _COMPILED[model]


def evaluate_bits_per_char(model, ids, *, seq_length: int = 100, batch_size: int = 64) -> float:
    """Bits per character of ``model`` on ``ids``: mean next-char cross-entropy, in bits.

    ``model(inputs)`` must map int ids (B, T) to logits (B, T, V). The ids are cut into
    back-to-back windows of ``seq_length + 1`` (each character predicted once, from at most
    ``seq_length`` characters of context; the tail shorter than a window is left out).
    Example: ``evaluate_bits_per_char(model, vocab.encode(val_text)[:100_000])``
    """
    array = _checks.as_array("ids", ids, ndim=1).astype("int32")
    seq_length = _checks.positive_int("seq_length", seq_length)
    batch_size = _checks.positive_int("batch_size", batch_size)
    num_windows = (len(array) - 1) // seq_length
    if num_windows < 1:
        raise ValueError(f"ids needs more than seq_length={seq_length} characters, got {len(array)}")
    starts = np.arange(num_windows) * seq_length
    windows = array[starts[:, None] + np.arange(seq_length + 1)[None, :]]
    total_nll = _summed_nll(model)
    nats = 0.0
    for begin in range(0, num_windows, batch_size):
        nats += float(total_nll(windows[begin:begin + batch_size]))
    return nats / (num_windows * seq_length) / math.log(2.0)


_NAME_PATTERN = re.compile(r"[a-z]{2,15}")


def is_well_formed_name(name: str) -> bool:
    """A plausible name: 2-15 lower-case letters, no letter three times in a row, at least one vowel."""
    return (
        isinstance(name, str)
        and _NAME_PATTERN.fullmatch(name) is not None
        and re.search(r"(.)\1\1", name) is None
        and re.search(r"[aeiouy]", name) is not None
    )


def name_quality(generated: Sequence[str], training_names: Iterable[str]) -> dict:
    """Share of generated names that are new (not in ``training_names``) and well-formed.

    Returns ``{"count", "novel", "well_formed", "novel_and_well_formed", "unique"}`` (shares in [0, 1]).
    Example: ``name_quality(samples, train_names)["novel_and_well_formed"]``
    """
    if isinstance(generated, str) or not all(isinstance(n, str) for n in generated):
        raise TypeError("generated must be a list of strings")
    if not generated:
        raise ValueError("generated must hold at least one name")
    known = set(training_names)
    novel = np.array([n not in known for n in generated])
    formed = np.array([is_well_formed_name(n) for n in generated])
    return {
        "count": len(generated),
        "novel": float(novel.mean()),
        "well_formed": float(formed.mean()),
        "novel_and_well_formed": float((novel & formed).mean()),
        "unique": len(set(generated)) / len(generated),
    }


# ----------------------------------------------------------------------------- char-RNN


def _keras():
    import keras

    return keras


class CharRNN(_keras().Model):
    """Embedding -> GRU or LSTM -> Dense logits. ``call(ids, states=None, return_state=False)``.

    With ``return_state=True`` it also returns the recurrent state after the last character,
    which can be passed back as ``states`` to continue generating where it stopped.
    """

    def __init__(self, vocab_size: int, embedding_dim: int = 64, units: int = 256, cell: str = "gru", **kwargs):
        super().__init__(**kwargs)
        keras = _keras()
        self.vocab_size = _checks.positive_int("vocab_size", vocab_size)
        self.cell_type = _checks.one_of("cell", cell, ("gru", "lstm"))
        self.embedding = keras.layers.Embedding(vocab_size, _checks.positive_int("embedding_dim", embedding_dim))
        layer = keras.layers.GRU if cell == "gru" else keras.layers.LSTM
        self.rnn = layer(_checks.positive_int("units", units), return_sequences=True, return_state=True)
        self.head = keras.layers.Dense(vocab_size)

    def call(self, ids, states=None, return_state=False, training=False):
        x = self.embedding(ids)
        outputs = self.rnn(x, initial_state=states, training=training)
        sequence, new_states = outputs[0], list(outputs[1:])
        logits = self.head(sequence)
        return (logits, new_states) if return_state else logits


def build_char_rnn(vocab_size: int, *, embedding_dim: int = 64, units: int = 256, cell: str = "gru", seed: int | None = None, **_ignored) -> CharRNN:
    """A built ``CharRNN`` (weights created). Extra keys (e.g. from ``OURS``) are ignored.

    Example: ``model = build_char_rnn(vocab.size, **utils.text.OURS)``
    """
    import keras

    if seed is not None:
        keras.utils.set_random_seed(seed)
    model = CharRNN(vocab_size, embedding_dim, units, cell)
    model(np.zeros((1, 2), dtype="int32"))
    return model


def cosine_learning_rate(fraction: float, peak: float, final: float, warmup_fraction: float = 0.0) -> float:
    """Linear warm-up to ``peak`` then cosine decay to ``final`` as ``fraction`` goes from 0 to 1.

    Example: ``cosine_learning_rate(step / num_steps, 4e-3, 2e-4, 0.02)``
    """
    fraction = min(max(float(fraction), 0.0), 1.0)
    if warmup_fraction > 0 and fraction < warmup_fraction:
        return peak * (fraction / warmup_fraction)
    progress = (fraction - warmup_fraction) / max(1.0 - warmup_fraction, 1e-12)
    return final + 0.5 * (peak - final) * (1.0 + math.cos(math.pi * progress))


def make_train_step(model, optimizer, *, clip_norm: float | None = None):
    """A compiled training step ``step(inputs, targets) -> (loss_nats, gradient_norm)``.

    Mean next-char cross-entropy (nats), gradients by ``tf.GradientTape``, optional clipping of
    the global gradient norm to ``clip_norm``.
    Example: ``step = make_train_step(model, keras.optimizers.Adam(1e-3), clip_norm=1.0)``
    """
    import tensorflow as tf

    if clip_norm is not None:
        clip_norm = _checks.number_in("clip_norm", clip_norm, 0.0, float("inf"), inclusive=False)

    @tf.function
    def step(inputs, targets):
        with tf.GradientTape() as tape:
            logits = model(inputs, training=True)
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=targets, logits=logits))
        gradients = tape.gradient(loss, model.trainable_variables)
        norm = tf.linalg.global_norm(gradients)
        if clip_norm is not None:
            gradients, _ = tf.clip_by_global_norm(gradients, clip_norm, use_norm=norm)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        return loss, norm

    return step
