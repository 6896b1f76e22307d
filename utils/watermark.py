"""A green-list watermark for sampled text (after Kirchenbauer et al., 2023, "A Watermark for Large Language Models").

At every step a secret key and the previous ``context_width`` symbols pick a "green" share
``gamma`` of the vocabulary; sampling adds ``delta`` to the green symbols' logits, so watermarked
text holds more green symbols than chance. Detection needs only the key, not the model: count the
green symbols and compare with ``gamma`` by a one-proportion z-test.

* ``green_mask``: which symbols are green after each context (exactly ``round(gamma * vocab)``).
* ``watermark_logits``: the soft watermark, logits + delta on the green list.
* ``green_hits`` and ``z_score``: the detector (``z_scores``: many texts at once); ``ignore_repeats`` counts each (context, symbol)
  pair once, so text that repeats itself cannot pile up evidence either way.
* ``kl_bits``: the price of the watermark at one step, KL(watermarked || original) in bits.

The paper's recommended settings are the defaults: ``GAMMA = 0.25``, ``DELTA = 2.0``, detection at ``Z_THRESHOLD = 4``.
"""

from __future__ import annotations

import math

import numpy as np

from . import _checks

GAMMA = 0.25
DELTA = 2.0
Z_THRESHOLD = 4.0
DEFAULT_KEY = 15485863  # the paper's example hash key (the millionth prime)
_MIX = np.uint64(0x9E3779B97F4A7C15)


def _splitmix(values: np.ndarray) -> np.ndarray:
    """A fast integer hash (SplitMix64's finaliser), applied element-wise to uint64 values."""
    with np.errstate(over="ignore"):
        z = values + _MIX
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def _check_settings(vocab_size, key, gamma) -> tuple[int, int, float]:
    vocab_size = _checks.positive_int("vocab_size", vocab_size, minimum=2)
    if isinstance(key, bool) or not isinstance(key, (int, np.integer)) or key < 0:
        raise ValueError(f"key must be a non-negative integer (the secret shared by generator and detector), got {key!r}")
    gamma = _checks.number_in("gamma", gamma, 0.0, 1.0, inclusive=False)
    if not 1 <= round(gamma * vocab_size) < vocab_size:
        raise ValueError(f"gamma={gamma} leaves {round(gamma * vocab_size)} of {vocab_size} symbols green; choose a gamma that "
                         "makes at least one symbol green and one red")
    return vocab_size, int(key), gamma


def _contexts(contexts, vocab_size: int) -> np.ndarray:
    array = _checks.as_array("contexts", contexts, ndim=2)
    if not np.issubdtype(array.dtype, np.integer):
        raise TypeError(f"contexts must hold integer symbol ids, got dtype {array.dtype}")
    if array.shape[1] < 1:
        raise ValueError(f"contexts must hold at least one previous symbol per row (shape (N, context_width)), got {array.shape}")
    if array.size and (array.min() < 0 or array.max() >= vocab_size):
        raise ValueError(f"contexts must hold ids in [0, {vocab_size}), got range [{array.min()}, {array.max()}]")
    return array.astype("uint64")


def _symbol_scores(contexts: np.ndarray, vocab_size: int, key: int) -> np.ndarray:
    """(N, vocab_size) uint64 hashes of (key, context, symbol) for checked contexts (N, width) of uint64 ids."""
    code = np.full(len(contexts), key, dtype="uint64")
    with np.errstate(over="ignore"):
        for column in range(contexts.shape[1]):
            code = _splitmix(code ^ contexts[:, column])
        return _splitmix(code[:, None] * np.uint64(vocab_size) + np.arange(vocab_size, dtype="uint64")[None, :])


def _is_green(contexts: np.ndarray, symbols: np.ndarray, vocab_size: int, key: int, gamma: float) -> np.ndarray:
    """Boolean (N,): is ``symbols[i]`` on the green list of ``contexts[i]``? Equals ``green_mask(...)[i, symbols[i]]`` without
    sorting every row: a symbol is green when fewer than round(gamma * vocab_size) symbols come before it in the stable order."""
    scores = _symbol_scores(contexts, vocab_size, key)
    own = scores[np.arange(len(scores)), symbols][:, None]
    before = (scores < own) | ((scores == own) & (np.arange(vocab_size)[None, :] < symbols[:, None]))
    return before.sum(axis=1) < round(gamma * vocab_size)


def green_mask(contexts, vocab_size: int, *, key: int = DEFAULT_KEY, gamma: float = GAMMA) -> np.ndarray:
    """Boolean (N, vocab_size): the green symbols after each of N contexts (rows of previous symbol ids).

    Every row has exactly ``round(gamma * vocab_size)`` green symbols: those with the smallest
    hash of (key, context, symbol). The same key and context always give the same list.
    Example: ``green_mask(np.array([[3], [7]]), vocab_size=65).sum(axis=1)  # [16, 16]``
    """
    vocab_size, key, gamma = _check_settings(vocab_size, key, gamma)
    contexts = _contexts(contexts, vocab_size)
    scores = _symbol_scores(contexts, vocab_size, key)
    num_green = round(gamma * vocab_size)
    order = np.argsort(scores, axis=1, kind="stable")[:, :num_green]
    mask = np.zeros((len(contexts), vocab_size), dtype=bool)
    np.put_along_axis(mask, order, True, axis=1)
    return mask


def green_share(vocab_size: int, gamma: float = GAMMA) -> float:
    """The exact share of green symbols, round(gamma * vocab_size) / vocab_size (16/65 for gamma 0.25 over 65 symbols).

    The z-score uses it rather than ``gamma``: with few symbols the two differ, and the gap would bias every z.
    Example: ``green_share(65)  # 0.246``
    """
    vocab_size, _, gamma = _check_settings(vocab_size, 0, gamma)
    return round(gamma * vocab_size) / vocab_size


def watermark_logits(logits, green, delta: float = DELTA) -> np.ndarray:
    """Soft watermark: add ``delta`` to the logits of the green symbols. Example: ``watermark_logits(logits, mask, 2.0)``"""
    logits = _checks.as_array("logits", logits, ndim=2).astype("float64")
    green = _checks.as_array("green", green, ndim=2)
    if green.shape != logits.shape:
        raise ValueError(f"green must have the logits' shape {logits.shape}, got {green.shape}")
    if green.dtype != bool:
        raise TypeError(f"green must be a boolean mask from green_mask(...), got dtype {green.dtype}")
    delta = _checks.number_in("delta", delta, 0.0, 100.0)
    return logits + delta * green


def _ids(ids) -> np.ndarray:
    array = _checks.as_array("ids", ids, ndim=1)
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise TypeError(f"ids must be integer symbol ids (encode the text first), got dtype {array.dtype}")
    return array.astype("int64")


def green_hits(ids, vocab_size: int, *, key: int = DEFAULT_KEY, gamma: float = GAMMA, context_width: int = 1,
               ignore_repeats: bool = False) -> tuple[int, int]:
    """(green symbols, symbols scored) in a text of symbol ids; the first ``context_width`` symbols have no context and are skipped.

    With ``ignore_repeats`` each (context, symbol) pair counts once. Example: ``green_hits(vocab.encode(text), vocab.size)``
    """
    vocab_size, key, gamma = _check_settings(vocab_size, key, gamma)
    context_width = _checks.positive_int("context_width", context_width)
    ids = _ids(ids)
    if ids.size and (ids.min() < 0 or ids.max() >= vocab_size):
        raise ValueError(f"ids must be in [0, {vocab_size}), got range [{ids.min()}, {ids.max()}]")
    if len(ids) <= context_width:
        return 0, 0
    windows = np.lib.stride_tricks.sliding_window_view(ids, context_width + 1)
    if ignore_repeats:
        windows = np.unique(windows, axis=0)
    mask = green_mask(windows[:, :-1], vocab_size, key=key, gamma=gamma)
    hits = mask[np.arange(len(windows)), windows[:, -1]]
    return int(hits.sum()), int(len(windows))


def z_score(ids, vocab_size: int, *, key: int = DEFAULT_KEY, gamma: float = GAMMA, context_width: int = 1,
            ignore_repeats: bool = False) -> float:
    """Detection z = (green - g T) / sqrt(T g (1 - g)) over the T scored symbols, g = ``green_share``; about N(0, 1)
    for text written without the key (when its (context, symbol) pairs do not repeat much: see ``ignore_repeats``). Example: ``z_score(ids, vocab.size) >= Z_THRESHOLD``"""
    hits, scored = green_hits(ids, vocab_size, key=key, gamma=gamma, context_width=context_width, ignore_repeats=ignore_repeats)
    if scored == 0:
        raise ValueError(f"ids is too short: it needs more than context_width={context_width} symbols to score any")
    gamma = green_share(vocab_size, gamma)
    return (hits - gamma * scored) / math.sqrt(scored * gamma * (1 - gamma))


def z_scores(texts, vocab_size: int, *, key: int = DEFAULT_KEY, gamma: float = GAMMA, context_width: int = 1,
             ignore_repeats: bool = False) -> np.ndarray:
    """``z_score`` of every row of ``texts`` (N, L) symbol ids at once: one green-list lookup for all rows, shape (N,).

    Gives exactly ``[z_score(row, ...) for row in texts]``, fast enough to score many texts under many keys.
    Example: ``(z_scores(windows, vocab.size, key=k) < 2).mean()  # share of texts below z = 2 under key k``
    """
    vocab_size, key, gamma = _check_settings(vocab_size, key, gamma)
    context_width = _checks.positive_int("context_width", context_width)
    texts = _checks.as_array("texts", texts, ndim=2)
    if not np.issubdtype(texts.dtype, np.integer):
        raise TypeError(f"texts must hold integer symbol ids (encode the texts first), got dtype {texts.dtype}")
    if texts.shape[1] <= context_width:
        raise ValueError(f"texts are too short: rows need more than context_width={context_width} symbols, got shape {texts.shape}")
    if texts.size and (texts.min() < 0 or texts.max() >= vocab_size):
        raise ValueError(f"texts must hold ids in [0, {vocab_size}), got range [{texts.min()}, {texts.max()}]")
    windows = np.lib.stride_tricks.sliding_window_view(texts.astype("int64"), context_width + 1, axis=1)  # (N, T, w + 1)
    rows = np.repeat(np.arange(len(texts)), windows.shape[1])
    windows = windows.reshape(-1, context_width + 1)
    if vocab_size ** (context_width + 1) * len(texts) < 2 ** 62:  # each window as one integer: np.unique on scalars is fast
        codes = windows @ (vocab_size ** np.arange(context_width, -1, -1, dtype="int64"))
        if ignore_repeats:  # each (text, context, symbol) once
            _, first = np.unique(rows * vocab_size ** (context_width + 1) + codes, return_index=True)
            rows, windows, codes = rows[first], windows[first], codes[first]
        _, first, inverse = np.unique(codes, return_index=True, return_inverse=True)
    else:  # very long contexts: unique rows (slower)
        if ignore_repeats:
            _, first = np.unique(np.column_stack([rows, windows]), axis=0, return_index=True)
            rows, windows = rows[first], windows[first]
        _, first, inverse = np.unique(windows, axis=0, return_index=True, return_inverse=True)
    # each distinct (context, symbol) pair looked up once; only the symbol's rank matters, not its context's whole green list
    pairs = windows[first]
    green = _is_green(pairs[:, :-1].astype("uint64"), pairs[:, -1], vocab_size, key, gamma)[inverse.reshape(-1)]
    hits = np.bincount(rows, weights=green, minlength=len(texts))
    scored = np.bincount(rows, minlength=len(texts))
    share = green_share(vocab_size, gamma)
    return (hits - share * scored) / np.sqrt(scored * share * (1 - share))


def kl_bits(logits, watermarked_logits) -> np.ndarray:
    """KL(softmax(watermarked) || softmax(logits)) in bits for each row: the watermark's extra code length per symbol.

    Example: ``kl_bits(logits, watermark_logits(logits, mask, 2.0)).mean()``
    """
    p = _checks.as_array("logits", logits, ndim=2).astype("float64")
    q = _checks.as_array("watermarked_logits", watermarked_logits, ndim=2).astype("float64")
    if p.shape != q.shape:
        raise ValueError(f"logits and watermarked_logits must have the same shape, got {p.shape} and {q.shape}")
    log_p = p - p.max(1, keepdims=True)
    log_p -= np.log(np.exp(log_p).sum(1, keepdims=True))
    log_q = q - q.max(1, keepdims=True)
    log_q -= np.log(np.exp(log_q).sum(1, keepdims=True))
    return np.sum(np.exp(log_q) * (log_q - log_p), axis=1) / math.log(2.0)
