"""Character-level text helpers for the text-generation notebooks (08 RNNs, 09 transformer).

* Vocabulary: ``CharVocab`` maps characters to integer ids and back.
* Data: ``windowed_dataset`` cuts an id array into (input, next-char target) windows for
  ``tf.data``; ``names_to_stream`` joins a list of names with a boundary marker.
* Sampling from logits: ``greedy``, ``top_k_filter``, ``top_p_filter`` and ``sample``
  (temperature, top-k and nucleus/top-p combined).
* Baselines and evaluation: ``bigram_bits_per_char``, ``evaluate_bits_per_char``,
  ``name_quality`` (novelty and well-formedness of generated names).
* Char-RNN: ``CharRNN``/``build_char_rnn``, ``make_train_step``, ``cosine_learning_rate``, notebook
  08's configuration (``OURS``, also the base of ``PARTNER``) and the TensorFlow tutorial's
  (``TUTORIAL``), the reference side of ``benchmarks/char_rnn_vs_tutorial.py``.
* Count model and mixtures: ``NGramModel`` (interpolated Kneser-Ney), ``window_targets``,
  ``model_log_probs``, ``mix_log_probs``/``fit_mixture_weights`` (log-linear mixtures).
* The partner GRU (``PARTNER``): ``cross_fitted_windows`` scores training windows with n-grams fitted
  without them, ``partner_batches`` serves them, ``PartnerRNN``/``build_partner_rnn`` is the GRU that
  adds the n-gram's gated log-probabilities to its logits (a product of experts), and ``copy_evidence``,
  its in-window copy expert (what followed earlier repeats of the last few characters).
* ``score_windows``: the back-to-back windows that every scorer here evaluates.
"""

from __future__ import annotations

import math
import re
import weakref
from collections.abc import Iterable, Sequence

import numpy as np

from . import _checks

NAME_BOUNDARY = "."

# The configuration notebook 08 trains (and the base of the benchmark's PARTNER): a small GRU that does
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

def _check_ids(name: str, ids, vocab_size: int, *, min_len: int = 1) -> np.ndarray:
    array = _checks.as_array(name, ids, ndim=1, min_len=min_len)
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise TypeError(f"{name} must be integer ids, got dtype {array.dtype}; encode text with CharVocab.encode")
    array = array.astype("int64")
    if array.size and (array.min() < 0 or array.max() >= vocab_size):
        raise ValueError(f"{name} must be ids in [0, {vocab_size - 1}], got values in [{array.min()}, {array.max()}]")
    return array


def bigram_bits_per_char(train_ids, eval_ids, vocab_size: int, *, alpha: float = 0.1) -> float:
    """Bits per character of a smoothed bigram model p(next | previous) fitted on ``train_ids``.

    Counts every (previous, next) pair in the training ids, adds ``alpha`` to each cell
    (so unseen pairs keep some probability), and scores each next id of ``eval_ids``.
    Example: ``bigram_bits_per_char(vocab.encode(train), vocab.encode(val), vocab.size)``
    """
    vocab_size = _checks.positive_int("vocab_size", vocab_size)
    alpha = _checks.number_in("alpha", alpha, 0.0, 1e6, inclusive=False) if alpha != 0 else 0.0
    train = _check_ids("train_ids", train_ids, vocab_size, min_len=2)
    evaluate = _check_ids("eval_ids", eval_ids, vocab_size, min_len=2)
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


def _score_windows(ids, seq_length: int, dtype: str) -> np.ndarray:
    """The back-to-back windows of ``seq_length + 1`` ids that every scorer here uses, shape (W, seq_length + 1)."""
    array = _checks.as_array("ids", ids, ndim=1).astype(dtype)
    seq_length = _checks.positive_int("seq_length", seq_length)
    num_windows = (len(array) - 1) // seq_length
    if num_windows < 1:
        raise ValueError(f"ids needs more than seq_length={seq_length} characters, got {len(array)}")
    return array[np.arange(num_windows)[:, None] * seq_length + np.arange(seq_length + 1)[None, :]]


def score_windows(ids, *, seq_length: int = 100) -> np.ndarray:
    """The back-to-back windows of ``seq_length + 1`` ids (int32, shape (W, seq_length + 1)) that
    ``evaluate_bits_per_char`` and every other scorer here evaluate: inputs ``[:, :-1]``, targets ``[:, 1:]``.

    Example: ``windows = score_windows(val_ids); inputs, targets = windows[:, :-1], windows[:, 1:]``
    """
    return _score_windows(ids, seq_length, "int32")


def evaluate_bits_per_char(model, ids, *, seq_length: int = 100, batch_size: int = 64) -> float:
    """Bits per character of ``model`` on ``ids``: mean next-char cross-entropy, in bits.

    ``model(inputs)`` must map int ids (B, T) to logits (B, T, V). The ids are cut into
    back-to-back windows of ``seq_length + 1`` (each character predicted once, from at most
    ``seq_length`` characters of context; the tail shorter than a window is left out).
    Example: ``evaluate_bits_per_char(model, vocab.encode(val_text)[:100_000])``
    """
    windows = _score_windows(ids, seq_length, "int32")
    batch_size = _checks.positive_int("batch_size", batch_size)
    total_nll = _summed_nll(model)
    nats = 0.0
    for begin in range(0, len(windows), batch_size):
        nats += float(total_nll(windows[begin:begin + batch_size]))
    return nats / windows[:, 1:].size / math.log(2.0)


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

    def __call__(self, inputs, *args, **kwargs):
        # Keras 3.3 (the oldest the course supports) converts NumPy inputs to the float compute dtype, ids
        # included; later releases keep integers. Tensors keep their dtype in both, so hand Keras tensors.
        import tensorflow as tf

        inputs = tf.nest.map_structure(lambda x: tf.convert_to_tensor(x) if isinstance(x, np.ndarray) else x, inputs)
        return super().__call__(inputs, *args, **kwargs)

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


# ----------------------------------------------------------------------------- count model

def _scored_positions(starts: np.ndarray, seq_length: int):
    """For windows starting at ``starts``: the positions of the ``seq_length`` characters each one scores
    (all but its first) and how many characters of the window precede each (its usable context)."""
    offsets = np.arange(1, seq_length + 1)
    return (np.asarray(starts)[:, None] + offsets[None, :]).reshape(-1), np.tile(offsets, len(starts))


def _lookup(keys: np.ndarray, table: np.ndarray, values: np.ndarray) -> np.ndarray:
    """values[i] where table[i] == key, else 0 (table sorted, unique)."""
    if table.size == 0:
        return np.zeros(keys.shape, dtype=values.dtype)
    position = np.minimum(np.searchsorted(table, keys), table.size - 1)
    return np.where(table[position] == keys, values[position], 0)


class NGramModel:
    """A character n-gram model with interpolated Kneser-Ney smoothing, fitted by counting.

    ``p(next | last order-1 characters)`` mixes the discounted count of the longest context with
    the next-shorter context's estimate, down to a uniform distribution; the shorter contexts use
    Kneser-Ney *continuation* counts (in how many different contexts a string occurs). Fitting is a
    few sorts of the id array (NumPy, about a second for a million characters): no gradients.
    Example: ``ngram = NGramModel.fit(train_ids, vocab.size, order=6)``
    """

    def __init__(self, vocab_size: int, order: int, tables: list):
        self.vocab_size = vocab_size
        self.order = order
        self._tables = tables  # per context length k: (keys, discounted counts, contexts, totals, freed mass)
        self._fast = None  # built on first use by _dense_tables

    def __repr__(self) -> str:
        return f"NGramModel(order={self.order}, vocab_size={self.vocab_size})"

    @classmethod
    def fit(cls, ids, vocab_size: int, order: int = 6) -> NGramModel:
        """Count every string of 1..``order`` characters in ``ids``."""
        vocab_size = _checks.positive_int("vocab_size", vocab_size, minimum=2)
        order = _checks.positive_int("order", order)
        max_order = int(63 // math.log2(vocab_size))
        if order > max_order:
            raise ValueError(f"order={order} is too long for {vocab_size} symbols (keys must fit in 64 bits); use order <= {max_order}")
        ids = _check_ids("ids", ids, vocab_size, min_len=order)
        unique = {}
        for k in range(order):  # k = context length; key = (k context ids, next id) in base vocab_size
            key = np.zeros(len(ids) - k, dtype="int64")
            for j in range(k + 1):
                key *= vocab_size  # in place: one array of len(ids) per order, not one per character
                key += ids[j:len(ids) - k + j]
            unique[k] = np.unique(key, return_counts=True)
        tables = []
        for k in range(order):
            if k == order - 1:
                keys, counts = unique[k]
            else:  # continuation count: the number of distinct characters seen before the string
                keys, counts = np.unique(unique[k + 1][0] % vocab_size ** (k + 1), return_counts=True)
            # modified Kneser-Ney: separate discounts for strings seen once, twice, three times or more
            n1, n2, n3, n4 = (np.sum(counts == c) for c in (1, 2, 3, 4))
            y = n1 / (n1 + 2 * n2) if n1 + 2 * n2 else 0.5
            d1 = 1 - 2 * y * n2 / n1 if n1 else 0.5
            d2 = 2 - 3 * y * n3 / n2 if n2 else 1.0
            d3 = 3 - 4 * y * n4 / n3 if n3 else 1.5
            discounts = np.array([0.0, d1, d2, d3]).clip(0.0, [0, 1, 2, 3])
            discount = discounts[np.minimum(counts, 3)]
            contexts, first = np.unique(keys // vocab_size, return_index=True)
            totals = np.add.reduceat(counts, first).astype("float64")
            removed = np.add.reduceat(discount, first)  # the mass freed in each context, given to shorter ones
            tables.append((keys, counts.astype("float64") - discount, contexts, totals, removed))
        return cls(vocab_size, order, tables)

    def _probabilities(self, context_keys: list, context_ok: list, candidates: np.ndarray) -> np.ndarray:
        """p(candidate | context) for arrays broadcast together; context_keys[k] has length k."""
        p = np.full(np.broadcast(context_keys[0], candidates).shape, 1.0 / self.vocab_size)
        for k, (keys, discounted, contexts, totals, removed) in enumerate(self._tables):
            total = _lookup(context_keys[k], contexts, totals)
            ok = (total > 0) & context_ok[k]
            total = np.where(ok, total, 1.0)
            count = _lookup(context_keys[k] * self.vocab_size + candidates, keys, discounted)
            mixed = count / total + _lookup(context_keys[k], contexts, removed) / total * p
            p = np.where(ok, mixed, p)
        return p

    def _context_keys(self, ids: np.ndarray, positions: np.ndarray, available: np.ndarray):
        keys, ok = [np.zeros(positions.shape, dtype="int64")], [np.ones(positions.shape, dtype=bool)]
        for k in range(1, self.order):
            usable = available >= k
            previous = ids[np.where(usable, positions - k, 0)]
            keys.append(keys[-1] + previous * self.vocab_size ** (k - 1))
            ok.append(usable)
        return keys, ok

    def _dense_tables(self):
        """Lookup structures for whole distributions: dense tables for contexts of 0-2 characters, and for
        longer ones, where each context's entries start in its sorted key table (they are contiguous)."""
        if self._fast is None:
            V, low = self.vocab_size, min(3, self.order)
            short = NGramModel(V, low, self._tables[:low])
            codes = np.arange(V ** (low - 1))
            keys = [codes % V ** k for k in range(low)]
            dense = [short._probabilities([key[:, None] for key in keys], [np.full((len(codes), 1), k <= depth) for k in range(low)],
                                          np.arange(V)[None, :]) for depth in range(low)]
            sparse = [(keys % V, discounted, contexts, totals, removed, np.append(np.searchsorted(keys, contexts * V), len(keys)))
                      for keys, discounted, contexts, totals, removed in self._tables[low:]]
            self._fast = (low, dense, sparse)
        return self._fast

    def _log_probs_at(self, ids: np.ndarray, positions: np.ndarray, available: np.ndarray, *, dtype: str = "float64",
                      chunk: int = 32768) -> np.ndarray:
        """(N, V) log p(. | the ``available[i]`` ids before ``positions[i]``); same numbers as ``_probabilities``."""
        low, dense, sparse = self._dense_tables()
        V = self.vocab_size
        out = np.empty((len(positions), V), dtype=dtype)
        for begin in range(0, len(positions), chunk):
            part = slice(begin, begin + chunk)
            keys, ok = self._context_keys(ids, positions[part], available[part])
            depth = np.minimum(available[part], low - 1)
            p = np.empty((len(depth), V))
            for d in range(low):  # start from the dense estimate given the last d <= 2 characters
                rows = depth == d
                p[rows] = dense[d][keys[low - 1][rows] % V ** (low - 1)]
            for k, (candidates, discounted, contexts, totals, removed, first) in enumerate(sparse, start=low):
                index = np.minimum(np.searchsorted(contexts, keys[k]), len(contexts) - 1)
                rows = np.nonzero((contexts[index] == keys[k]) & ok[k])[0]
                index = index[rows]
                total = totals[index]
                p[rows] *= (removed[index] / total)[:, None]  # the freed mass times the shorter context's estimate ...
                starts, lengths = first[index], first[index + 1] - first[index]
                entry = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
                p[np.repeat(rows, lengths), candidates[entry]] += discounted[entry] / np.repeat(total, lengths)  # ... plus the counts
            out[part] = np.log(np.maximum(p, np.finfo("float64").tiny))
        return out

    def next_distribution(self, context) -> np.ndarray:
        """The distribution over the next id after the 1-D id array ``context`` (shape (V,)).

        Example: ``probs = ngram.next_distribution(vocab.encode("To be or not to b"))``
        """
        context = _check_ids("context", context, self.vocab_size, min_len=0)
        ids = np.append(context, 0)
        position = np.array([len(context)])
        keys, ok = self._context_keys(ids, position, np.array([len(context)]))
        candidates = np.arange(self.vocab_size)
        return self._probabilities([key[:, None] for key in keys], [flag[:, None] for flag in ok], candidates[None, :])[0]

    def _windows(self, ids, seq_length):
        """The checked ids and, for every character ``evaluate_bits_per_char`` scores, its position and context length."""
        ids = _check_ids("ids", ids, self.vocab_size)
        num_windows = len(_score_windows(ids, seq_length, "int64"))
        return (ids, *_scored_positions(np.arange(num_windows) * seq_length, seq_length))

    def target_probabilities(self, ids, *, seq_length: int = 100) -> np.ndarray:
        """p(actual next id) for every character that ``evaluate_bits_per_char`` scores, in the same order.

        The text is cut into the same back-to-back windows of ``seq_length + 1``; a character's
        context never reaches back before the start of its window, as for the RNN.
        Example: ``p = ngram.target_probabilities(val_ids[:100_000])``
        """
        ids, positions, available = self._windows(ids, seq_length)
        keys, ok = self._context_keys(ids, positions, available)
        return self._probabilities(keys, ok, ids[positions])

    def window_log_probs(self, ids, *, seq_length: int = 100) -> np.ndarray:
        """Natural-log distributions (N, V) over the next id at every scored character (as above).

        Example: ``log_probs = ngram.window_log_probs(val_ids[:100_000])``
        """
        return self._log_probs_at(*self._windows(ids, seq_length))

    def bits_per_char(self, ids, *, seq_length: int = 100) -> float:
        """Bits per character on ``ids``, windows as in ``evaluate_bits_per_char``."""
        return float(-np.mean(np.log2(self.target_probabilities(ids, seq_length=seq_length))))


def window_targets(ids, *, seq_length: int = 100) -> np.ndarray:
    """The ids ``evaluate_bits_per_char`` scores, in order: every character after the first of each window.

    Example: ``targets = window_targets(val_ids)``
    """
    return _score_windows(ids, seq_length, "int64")[:, 1:].reshape(-1)


def model_log_probs(model, ids, *, seq_length: int = 100, batch_size: int = 64) -> np.ndarray:
    """Natural-log distributions (N, V) of a Keras ``model`` at every character ``evaluate_bits_per_char`` scores.

    Same windows and order as ``window_targets`` and ``NGramModel.window_log_probs``.
    Example: ``rnn_log_probs = model_log_probs(gru_model, val_ids, batch_size=128)``
    """
    import tensorflow as tf

    inputs = _score_windows(ids, seq_length, "int32")[:, :-1]
    batch_size = _checks.positive_int("batch_size", batch_size)
    chunks = []
    for begin in range(0, len(inputs), batch_size):
        logits = tf.cast(model(inputs[begin:begin + batch_size], training=False), tf.float32)
        log_probs = tf.nn.log_softmax(logits).numpy().astype("float64")
        chunks.append(log_probs.reshape(-1, log_probs.shape[-1]))
    return np.concatenate(chunks)


def _check_mixture_inputs(log_probs, targets=None):
    if isinstance(log_probs, np.ndarray) or not isinstance(log_probs, Sequence) or len(log_probs) < 1:
        raise TypeError("log_probs must be a list of (N, V) arrays, one per model, e.g. [rnn_log_probs, ngram_log_probs]")
    arrays = [_checks.as_array(f"log_probs[{i}]", lp, ndim=2, min_len=1).astype("float64") for i, lp in enumerate(log_probs)]
    for i, array in enumerate(arrays):
        if array.shape != arrays[0].shape:
            raise ValueError(f"log_probs[{i}] has shape {array.shape} but log_probs[0] has {arrays[0].shape}: "
                             "all models must score the same characters with the same vocabulary")
        if array.max() > 1e-6:
            raise ValueError(f"log_probs[{i}] holds values above 0: pass natural-log probabilities (log_softmax), not logits")
    if targets is None:
        return arrays
    targets = _check_ids("targets", targets, arrays[0].shape[1])
    if len(targets) != len(arrays[0]):
        raise ValueError(f"targets has {len(targets)} ids but log_probs have {len(arrays[0])} rows")
    return arrays, targets


def mix_log_probs(log_probs, weights) -> np.ndarray:
    """A log-linear (geometric) mixture: ``log p(c) = sum_i weights[i] * log p_i(c) - log Z``.

    Unlike averaging probabilities, it lets a confident model veto a character the other allows.
    Example: ``mixed = mix_log_probs([rnn_log_probs, ngram_log_probs], weights)``
    """
    arrays = _check_mixture_inputs(log_probs)
    weights = _checks.as_array("weights", weights, ndim=1).astype("float64")
    if len(weights) != len(arrays):
        raise ValueError(f"weights has {len(weights)} values for {len(arrays)} models")
    scores = sum(w * a for w, a in zip(weights, arrays))
    peak = scores.max(axis=1, keepdims=True)
    return scores - peak - np.log(np.exp(scores - peak).sum(axis=1, keepdims=True))


def fit_mixture_weights(log_probs, targets) -> np.ndarray:
    """The weights of ``mix_log_probs`` that minimise bits per character on ``targets`` (convex, L-BFGS).

    Fit them on characters none of the models was trained on, then use them unchanged on validation.
    Example: ``weights = fit_mixture_weights([rnn_tune, ngram_tune], tune_targets)``
    """
    from scipy.optimize import minimize

    arrays, targets = _check_mixture_inputs(log_probs, targets)
    rows = np.arange(len(targets))
    chosen = np.stack([a[rows, targets] for a in arrays], axis=1)

    def loss_and_gradient(weights):
        scores = sum(w * a for w, a in zip(weights, arrays))
        peak = scores.max(axis=1, keepdims=True)
        q = np.exp(scores - peak)
        normaliser = q.sum(axis=1, keepdims=True)
        q /= normaliser
        loss = -np.mean(chosen @ weights - peak[:, 0] - np.log(normaliser[:, 0]))
        expected = np.stack([(q * a).sum(axis=1) for a in arrays], axis=1)
        return loss, -np.mean(chosen - expected, axis=0)

    start = np.full(len(arrays), 1.0 / len(arrays))
    result = minimize(loss_and_gradient, start, jac=True, method="L-BFGS-B", bounds=[(0.0, 5.0)] * len(arrays))
    return np.round(result.x, 4)


def log_probs_bits_per_char(log_probs, targets) -> float:
    """Bits per character of (N, V) natural-log distributions on the (N,) target ids."""
    (array,), targets = _check_mixture_inputs([log_probs], targets)
    return float(-np.mean(array[np.arange(len(targets)), targets]) / math.log(2.0))


# ----------------------------------------------------------------------------- the GRU as the n-gram's partner

# The benchmark's "ours" (described in notebook 08's appendix, not trained there): a wider GRU that reads the 8-gram's
# log-probabilities at every position and adds them, scaled by a learned gate, to its own logits.
# It also reads a *copy expert*: which characters followed earlier occurrences, in the same window, of
# the last 1, 2, 3, 4, 6 or 8 characters (names new to the counts, such as Macbeth's, repeat within a window).
COPY_LENGTHS = (1, 2, 3, 4, 6, 8)
# Its 8-gram is fitted on the training text minus its first ``tune_chars`` characters (kept out of the
# counts since the benchmark's first version; the protocol's results were recorded with them kept out).
PARTNER = {**OURS, "units": 512, "folds": 8, "copy_lengths": COPY_LENGTHS, "ngram_order": 8, "tune_chars": 50_000}


def _check_copy_lengths(copy_lengths, name: str = "copy_lengths") -> tuple:
    lengths = tuple(copy_lengths) if isinstance(copy_lengths, (tuple, list)) else None
    if lengths is None or any(isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1 for n in lengths) \
            or list(lengths) != sorted(set(lengths)):
        raise ValueError(f"{name} must be a tuple of increasing positive ints such as (1, 2, 3, 4, 6, 8), or () for none, "
                         f"got {copy_lengths!r}")
    return tuple(int(n) for n in lengths)


def copy_evidence(ids, vocab_size: int, lengths=COPY_LENGTHS):
    """What an in-window *copy expert* sees: a float32 tensor of 0/1, shape (B, T, V, len(lengths)).

    For a batch of windows ``ids`` (B, T) (row ``b`` predicts ``ids[b, t + 1]`` after reading ``ids[b, :t + 1]``),
    entry ``[b, t, c, i]`` is 1 when the last ``lengths[i]`` characters read, ``ids[b, t - L + 1 : t + 1]``,
    also end at an earlier position ``j < t`` of the same row and ``ids[b, j + 1] == c``: the text repeated
    itself, and ``c`` is what came next last time. Only the row itself is searched (no other windows, no
    training text), so it is as valid at evaluation as at training. Cost: ``len(lengths)`` (T, T) x (T, V)
    products per row, small next to a GRU step.
    Example: ``evidence = copy_evidence(vocab.encode("abcXabc")[None], vocab.size, (1, 3))``
    """
    import tensorflow as tf

    vocab_size = _checks.positive_int("vocab_size", vocab_size, minimum=2)
    lengths = _check_copy_lengths(lengths, "lengths")
    if not lengths:
        raise ValueError("lengths must name at least one match length, e.g. (1, 2, 3)")
    ids = tf.convert_to_tensor(ids)
    if ids.shape.rank != 2 or not ids.dtype.is_integer:
        raise ValueError(f"ids must be a (batch, time) tensor of integer ids, got shape {ids.shape} and dtype {ids.dtype.name}")
    if tf.executing_eagerly() and tf.size(ids) > 0 and (int(tf.reduce_min(ids)) < 0 or int(tf.reduce_max(ids)) >= vocab_size):
        raise ValueError(f"ids must be ids in [0, {vocab_size - 1}], got values in [{int(tf.reduce_min(ids))}, {int(tf.reduce_max(ids))}]; "
                         "encode text with CharVocab.encode and pass its vocab.size")
    ids = tf.cast(ids, tf.int32)
    T = tf.shape(ids)[1]
    same = tf.cast(tf.equal(ids[:, :, None], ids[:, None, :]), tf.float32)  # same[b, t, j] = ids[t] == ids[j]
    earlier = 1.0 - tf.linalg.band_part(tf.ones((T, T)), 0, -1)  # j < t
    following = tf.one_hot(tf.concat([ids[:, 1:], ids[:, -1:]], axis=1), vocab_size)  # the character after j (j < t <= T - 1)
    match, out = same, []
    for length in range(1, lengths[-1] + 1):
        if length > 1:  # also ids[t - length + 1] == ids[j - length + 1]: shift `same` down the diagonal
            k = tf.minimum(length - 1, T)
            match = match * tf.pad(same[:, :T - k, :T - k], [[0, 0], [k, 0], [k, 0]])
        if length in lengths:
            out.append(tf.minimum(tf.matmul(match * earlier, following), 1.0))
    return tf.stop_gradient(tf.stack(out, axis=-1))


def cross_fitted_windows(ids, vocab_size: int, *, order: int = 8, seq_length: int = 100, folds: int = 8,
                         num_windows: int | None = None, dtype: str = "float16"):
    """Training windows and, for each, the n-gram's log-probabilities of the next character (*cross-fitted*).

    ``ids`` is cut into back-to-back windows of ``seq_length + 1`` (as ``windowed_dataset`` does) and
    into ``folds`` contiguous blocks. The windows of each block are scored by an n-gram fitted on the
    other blocks only: an n-gram scoring its own training text has seen every context and looks far
    better than it will on new text, and a model trained next to it would learn to trust it too much.
    A character's context stops at the start of its window, as in evaluation. ``num_windows`` keeps
    that many windows spread evenly over the text (to bound memory: each window costs
    ``seq_length * vocab_size`` numbers). Returns ``(windows, log_probs)`` of shapes
    (W, seq_length + 1) int32 and (W, seq_length, vocab_size) ``dtype``.
    Example: ``windows, features = cross_fitted_windows(train_ids, vocab.size, folds=8)``
    """
    ids = _check_ids("ids", ids, _checks.positive_int("vocab_size", vocab_size, minimum=2))
    seq_length = _checks.positive_int("seq_length", seq_length)
    folds = _checks.positive_int("folds", folds, minimum=2)
    total = len(ids) // (seq_length + 1)
    if total < folds:
        raise ValueError(f"ids has only {total} windows of {seq_length + 1} characters for folds={folds}; "
                         "use more text, a shorter seq_length or fewer folds")
    chosen = np.arange(total)
    if num_windows is not None:
        num_windows = _checks.positive_int("num_windows", num_windows)
        chosen = np.unique(np.linspace(0, total - 1, min(num_windows, total)).astype("int64"))
    windows = ids[: total * (seq_length + 1)].reshape(total, seq_length + 1)[chosen].astype("int32")
    features = np.empty((len(chosen), seq_length, vocab_size), dtype=dtype)
    bounds = np.linspace(0, total, folds + 1).astype("int64")
    for fold in range(folds):
        rows = np.nonzero((chosen >= bounds[fold]) & (chosen < bounds[fold + 1]))[0]
        if rows.size == 0:
            continue
        begin, end = bounds[fold] * (seq_length + 1), bounds[fold + 1] * (seq_length + 1)
        ngram = NGramModel.fit(np.concatenate([ids[:begin], ids[end:]]), vocab_size, order=order)
        for part in np.array_split(rows, max(1, len(rows) // 256)):  # a few MB at a time: memory stays flat
            log_probs = ngram._log_probs_at(ids, *_scored_positions(chosen[part] * (seq_length + 1), seq_length), dtype="float32")
            features[part] = log_probs.reshape(len(part), seq_length, vocab_size)
        del ngram  # before the next fold's n-gram is counted
    return windows, features


def partner_batches(windows, features, batch_size: int, *, seed: int = 0):
    """Endless ``((inputs, features), targets)`` batches of random windows for a ``PartnerRNN``.

    Each pass over the windows is a new permutation (seeded); ``make_train_step`` accepts them as is.
    Example: ``batches = partner_batches(windows, features, 128); (inputs, feats), targets = next(batches)``
    """
    windows = _checks.as_array("windows", windows, ndim=2)
    features = _checks.as_array("features", features, ndim=3)
    if features.shape[:2] != (windows.shape[0], windows.shape[1] - 1):
        raise ValueError(f"features has shape {features.shape} but windows {windows.shape} need "
                         f"({windows.shape[0]}, {windows.shape[1] - 1}, vocab_size): pass the pair cross_fitted_windows returned")
    batch_size = _checks.positive_int("batch_size", batch_size)
    if batch_size > len(windows):
        raise ValueError(f"batch_size={batch_size} is larger than the {len(windows)} windows; use a smaller batch")
    rng = np.random.default_rng(seed)
    while True:
        order = rng.permutation(len(windows))
        for begin in range(0, len(order) - batch_size + 1, batch_size):
            rows = np.sort(order[begin:begin + batch_size])
            yield (windows[rows, :-1], features[rows]), windows[rows, 1:]


class PartnerRNN(CharRNN):
    """A ``CharRNN`` trained *with* an n-gram, as a product of experts.

    At every position it reads the n-gram's log-probabilities of the next character (through a small
    Dense layer added to the character embedding) and adds them, times a gate ``softplus(w . h + b) >= 0``
    that it computes from its state, to its own logits. The GRU then only has to learn what the counts
    miss, and the gate learns in which contexts to trust them.
    With ``copy_lengths`` (default ``COPY_LENGTHS``; ``()`` for none) a third expert joins:
    ``copy_evidence`` (which characters followed earlier repeats, in the window, of the last L characters)
    goes into the GRU's input and, weighted per L (weights start at 0) and times a second gate, into the logits.
    ``call(ids)`` computes the n-gram's numbers itself from ``ngram`` (context limited to the window,
    as in evaluation); ``call((ids, log_probs))`` uses given ones (training, generation). The copy
    expert always searches only the ids of the current call.
    """

    def __init__(self, vocab_size: int, embedding_dim: int = 64, units: int = 512, cell: str = "gru", ngram=None,
                 copy_lengths=COPY_LENGTHS, **kwargs):
        super().__init__(vocab_size, embedding_dim, units, cell, **kwargs)
        keras = _keras()
        if ngram is not None and (not isinstance(ngram, NGramModel) or ngram.vocab_size != vocab_size):
            raise TypeError(f"ngram must be an NGramModel over the same {vocab_size} symbols, got {_checks._describe(ngram)}")
        self.ngram = ngram
        self.copy_lengths = _check_copy_lengths(copy_lengths)
        self.ngram_input = keras.layers.Dense(embedding_dim, use_bias=False)
        self.gate = keras.layers.Dense(1, bias_initializer=keras.initializers.Constant(math.log(math.e - 1.0)))  # softplus = 1
        if self.copy_lengths:
            self.copy_input = keras.layers.Dense(embedding_dim, use_bias=False)
            self.copy_gate = keras.layers.Dense(1, bias_initializer=keras.initializers.Constant(math.log(math.e - 1.0)))
            self.copy_weights = self.add_weight(shape=(len(self.copy_lengths),), initializer="zeros", name="copy_weights")

    def window_log_probs(self, ids):
        """The n-gram's log-probabilities (B, T, V) float32 for a batch of windows (B, T): context within each row."""
        if self.ngram is None:
            raise ValueError("this PartnerRNN has no ngram: build it with ngram=... or call it with (ids, log_probs)")
        ids = _checks.as_array("ids", ids, ndim=2, min_len=1)
        if ids.shape[1] < 1:
            raise ValueError(f"ids must be a (batch, time) array with at least one character per row, got shape {ids.shape}")
        rows, length = ids.shape
        ids = _check_ids("ids", ids.reshape(-1), self.vocab_size).reshape(rows, length)  # the same checks as every other scorer
        padded = np.concatenate([ids, np.zeros((rows, 1), dtype="int64")], axis=1).reshape(-1)  # row r starts at r * (length + 1)
        positions, available = _scored_positions(np.arange(rows) * (length + 1), length)
        return self.ngram._log_probs_at(padded, positions, available, dtype="float32").reshape(rows, length, -1)

    def call(self, inputs, states=None, return_state=False, training=False):
        import tensorflow as tf

        if isinstance(inputs, (tuple, list)):
            ids, log_probs = inputs
        else:
            ids = inputs
            log_probs = tf.numpy_function(self.window_log_probs, [ids], tf.float32, stateful=False)
            log_probs = tf.reshape(log_probs, tf.concat([tf.shape(ids), [self.vocab_size]], axis=0))
        log_probs = tf.maximum(tf.cast(log_probs, tf.float32), -15.0)  # the n-gram never gives exactly 0; keep the scale tame
        x = self.embedding(ids) + self.ngram_input(log_probs / 5.0)
        if self.copy_lengths:
            evidence = copy_evidence(ids, self.vocab_size, self.copy_lengths)  # (B, T, V, lengths)
            x = x + self.copy_input(tf.reshape(evidence, tf.concat([tf.shape(ids), [self.vocab_size * len(self.copy_lengths)]], axis=0)))
        outputs = self.rnn(x, initial_state=states, training=training)
        sequence, new_states = outputs[0], list(outputs[1:])
        logits = self.head(sequence) + tf.nn.softplus(self.gate(sequence)) * log_probs
        if self.copy_lengths:
            logits = logits + tf.nn.softplus(self.copy_gate(sequence)) * tf.tensordot(evidence, self.copy_weights, axes=1)
        return (logits, new_states) if return_state else logits


def build_partner_rnn(vocab_size: int, ngram=None, *, embedding_dim: int = 64, units: int = 512, cell: str = "gru",
                      copy_lengths=COPY_LENGTHS, seed: int | None = None, **_ignored) -> PartnerRNN:
    """A built ``PartnerRNN`` (weights created). Extra keys (e.g. from ``PARTNER``) are ignored.

    Example: ``partner = build_partner_rnn(vocab.size, ngram, **utils.text.PARTNER)``
    """
    import keras

    if seed is not None:
        keras.utils.set_random_seed(seed)
    model = PartnerRNN(vocab_size, embedding_dim, units, cell, ngram=ngram, copy_lengths=copy_lengths)
    model((np.zeros((1, 2), dtype="int32"), np.zeros((1, 2, vocab_size), dtype="float32")))
    return model
