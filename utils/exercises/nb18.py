"""Checkers for notebook 18 · Judging generative models, and using them responsibly."""

from __future__ import annotations

import functools

import numpy as np

from .. import evaluation, watermark
from . import as_float_array, as_number, attempt, call_safely, check_function, is_blank, not_attempted, report

HIDDEN = "what it measures is printed when you run your own answer in the cell above"

# ----------------------------------------------------------------------------- Exercise 1: density and coverage


def _distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sqrt(np.clip((a**2).sum(1)[:, None] - 2 * a @ b.T + (b**2).sum(1)[None, :], 0, None))


def reference_density_coverage(real, generated, k: int) -> tuple[float, float]:
    """Naeem et al. (2020): real balls with radius = distance to the k-th nearest other real point."""
    real, generated = np.asarray(real, "float64"), np.asarray(generated, "float64")
    radii = evaluation.knn_radii(real, k)
    inside = _distances(real, generated) <= radii[:, None] * (1 + 1e-9) + 1e-12
    return float(inside.sum() / (k * len(generated))), float(inside.any(axis=1).mean())


def _variants(real, generated, k: int) -> list[tuple[tuple[float, float], str]]:
    """Typical wrong answers, for the checker's hints."""
    real, generated = np.asarray(real, "float64"), np.asarray(generated, "float64")
    radii = evaluation.knn_radii(real, k)
    inside = _distances(real, generated) <= radii[:, None]
    self_radii = np.sort(_distances(real, real), axis=1)[:, k - 1]  # the point itself counted as its first neighbour
    self_inside = _distances(real, generated) <= self_radii[:, None]
    generated_radii = evaluation.knn_radii(generated, k)
    generated_inside = _distances(real, generated) <= generated_radii[None, :]
    return [
        ((float(self_inside.sum() / (k * len(generated))), float(self_inside.any(axis=1).mean())),
         "your radii count each real point as its own nearest neighbour (distance 0): sort the distances and take column k, "
         "not k - 1, so that the k-th nearest OTHER point sets the radius"),
        ((float(inside.sum() / len(generated)), float(inside.any(axis=1).mean())),
         "your density is k times too large: divide the count of (real ball, generated point) pairs by k x M"),
        ((float(inside.sum() / (k * len(generated))), float(inside.any(axis=0).mean())),
         "your coverage is the share of GENERATED points inside some real ball (that is precision); coverage is the share of "
         "REAL points whose ball holds at least one generated point"),
        ((float(inside.any(axis=0).sum() / (k * len(generated))), float(inside.any(axis=1).mean())),
         "your density counts each generated point once (inside any ball or not): count every real ball that contains it, "
         "then divide by k x M"),
        ((float(inside.any(axis=0).mean()), float(inside.any(axis=1).mean())),
         "your density is the share of generated points inside some real ball (that is precision): count every real ball "
         "that contains each generated point, and divide by k x M"),
        ((float(generated_inside.sum() / (k * len(generated))), float(generated_inside.any(axis=1).mean())),
         "your balls are around the GENERATED points; density and coverage use only balls around the REAL points "
         "(that is what makes them robust to generated outliers)"),
    ]


def _density_cases() -> list[tuple[str, np.ndarray, np.ndarray, int]]:
    rng = np.random.default_rng(0)
    square = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    real = rng.normal(size=(120, 3))
    return [
        ("a unit square against itself (k = 1)", square, square.copy(), 1),
        ("a unit square against far-away points (k = 1)", square, square + 50.0, 1),
        ("Gaussian points against a fresh draw (k = 3)", real, rng.normal(size=(150, 3)), 3),
        ("Gaussian points against samples from one corner (k = 5)", real, rng.normal(size=(80, 3)) * 0.3 + 1.0, 5),
        ("Gaussian points against wider samples (k = 2)", real, rng.normal(size=(100, 3)) * 2.0, 2),
    ]


def check_density_coverage(function, *, reveal: bool = True) -> bool:
    """Exercise 1: ``function(real, generated, k)`` -> (density, coverage) of feature arrays (Naeem et al. 2020)."""
    what = "Exercise 1 (density and coverage)"
    verdict = check_function(what, function, "(real, generated, k) -> (density, coverage)")
    if verdict is not None:
        return verdict
    answers, expected, wrongs = [], [], []
    for index, (_name, real, generated, k) in enumerate(_density_cases()):
        if index == 0:
            status, result = attempt(what, function, real.copy(), generated.copy(), k)
            if status != "ok":
                return False
        else:
            ok, result = call_safely(what, function, real.copy(), generated.copy(), k)
            if not ok:
                return False
        values = as_float_array(what, result, (2,))
        if values is None:
            return report(False, f"{what}: return two numbers, (density, coverage)")
        answers.append(values)
        expected.append(np.array(reference_density_coverage(real, generated, k)))
        wrongs.append(_variants(real, generated, k))
    bad = [i for i, (a, e) in enumerate(zip(answers, expected)) if not np.allclose(a, e, atol=1e-6)]
    if bad:
        name = _density_cases()[bad[0]][0]
        for variant in range(len(wrongs[0])):  # the mistake that explains every case
            if all(np.allclose(answers[i], wrongs[i][variant][0], atol=1e-6) for i in range(len(answers))):
                return report(False, f"{what}: on {name}, {wrongs[bad[0]][variant][1]}")
        if all(np.allclose(a[::-1], e, atol=1e-6) for a, e in zip(answers, expected)):
            return report(False, f"{what}: you returned (coverage, density); return (density, coverage)")
        given, wanted = answers[bad[0]], expected[bad[0]]
        return report(False, f"{what}: on {name} you returned density {given[0]:.4f}, coverage {given[1]:.4f}; expected "
                             f"{wanted[0]:.4f} and {wanted[1]:.4f}. A generated point counts once per real ball (distance <= "
                             "that real point's radius) that contains it.")
    if not reveal:
        return report(True, f"{what}: correct ({HIDDEN})")
    rng = np.random.default_rng(1)
    real = rng.normal(size=(300, 2))
    outliers = np.concatenate([rng.normal(size=(270, 2)), rng.normal(size=(30, 2)) * 0.1 + 8.0])
    outlier_real = np.concatenate([real[:-1], [[8.0, 8.0]]])
    density, coverage = reference_density_coverage(outlier_real, outliers, 5)
    pr = evaluation.precision_recall(outlier_real, outliers, k=5)
    return report(True, f"{what}: correct on {len(_density_cases())} point sets. Why it helps: with one real outlier at (8, 8) and "
                        f"10% of the samples piled up next to it, precision still says {pr['precision']:.2f} (the outlier's big ball "
                        f"vouches for the pile), while density {density:.2f} counts how many real balls hold each sample "
                        f"and coverage {coverage:.2f} asks which real points were reached.")


# ----------------------------------------------------------------------------- Exercise 2: the longest verbatim match


def reference_longest_match(generated: str, corpus: str) -> int:
    """The library's measure (matching statistics)."""
    return 0 if not generated else evaluation.longest_verbatim_match(generated, corpus)[0]


MATCH_CASES = [
    ("no common character", "xyz", "abcabc"),
    ("the whole text is in the corpus", "to be", "not to be, or"),
    ("the best match is in the middle", "qqto beqq", "to be or not"),
    ("the best match is at the end", "zz or not", "to be or not"),
    ("two partial matches", "abcxabcdy", "abcd and abc"),
    ("an empty text", "", "corpus"),
    ("a match restarting after a mismatch", "aaab", "aab aaa"),
    ("one character", "b", "abc"),
]


def _longest_variants(generated: str, corpus: str) -> list[tuple[int, str]]:
    def from_start():
        length = 0
        while length < len(generated) and generated[:length + 1] in corpus:
            length += 1
        return length

    def missing_last():
        best = length = 0
        for start in range(len(generated)):
            length = max(length - 1, 0)
            while start + length < len(generated) - 1 and generated[start:start + length + 1] in corpus:
                length += 1
            best = max(best, length)
        return best

    def common_characters():
        return len(set(generated) & set(corpus))

    return [
        (from_start(), "you only measured the match that starts at the first character: try every start position"),
        (missing_last(), "your loop stops one character early: a match may run to the last character of the text"),
        (common_characters(), "you counted characters the two texts share; the match must be one contiguous substring"),
    ]


def check_longest_match(function, *, reveal: bool = True) -> bool:
    """Exercise 2: ``function(generated, corpus)`` -> length of the longest substring of ``generated`` found verbatim in ``corpus``."""
    what = "Exercise 2 (the longest verbatim match)"
    verdict = check_function(what, function, "(generated, corpus) -> int")
    if verdict is not None:
        return verdict
    for index, (name, generated, corpus) in enumerate(MATCH_CASES):
        if index == 0:  # a 0 here is right: blank detection uses the second case
            ok, result = call_safely(what, function, generated, corpus)
            if not ok:
                return False
            if result is None:
                return not_attempted(what)
        else:
            ok, result = call_safely(what, function, generated, corpus)
            if not ok:
                return False
        if isinstance(result, str):
            return report(False, f"{what}: on {name} you returned the text {result!r}; return its length, a whole number")
        value = as_number(what, result, whole=True, hint="Return the length of the longest match.")
        if value is None:
            return False
        expected = reference_longest_match(generated, corpus)
        if value == expected:
            continue
        for wrong, hint in _longest_variants(generated, corpus):
            if value == wrong != expected:
                return report(False, f"{what}: on {name} ({generated!r} in {corpus!r}) {hint}")
        return report(False, f"{what}: on {name} ({generated!r} in {corpus!r}) you returned {value}, expected {expected}")
    if not reveal:
        return report(True, f"{what}: correct ({HIDDEN})")
    from .. import data

    text = data.load_shakespeare(limit_chars=EXPERIMENT["corpus_chars"]).train
    line = "HAMLET:\nTo be, or not to be, that is the question."
    length, found = evaluation.longest_verbatim_match(line, text)
    return report(True, f"{what}: correct on {len(MATCH_CASES)} cases. On the notebook's 100,000-character slice, the line "
                        f"{line!r} shares at most {length} characters with it ({found!r}): a copy check must beat what real, "
                        "unseen text already shares with the corpus.")


# ----------------------------------------------------------------------------- Exercise 3 (experiment): the bias for short texts

EXPERIMENT = {"gamma": 0.5, "length": 100, "texts": 200, "corpus_chars": 100_000, "alpha": 0.05, "seed": 0, "step": 0.25}


@functools.lru_cache(maxsize=1)
def _trigram() -> tuple[np.ndarray, int]:
    """Log-probabilities (V, V, V) of a smoothed character trigram fitted on the notebook's Shakespeare slice."""
    from .. import data, text

    corpus = data.load_shakespeare(limit_chars=EXPERIMENT["corpus_chars"]).train
    vocab = text.CharVocab.from_text(corpus)
    ids = vocab.encode(corpus).astype("int64")
    counts = np.full((vocab.size,) * 3, EXPERIMENT["alpha"])
    np.add.at(counts, (ids[:-2], ids[1:-1], ids[2:]), 1.0)
    return np.log(counts / counts.sum(axis=2, keepdims=True)), ids


@functools.lru_cache(maxsize=64)
def watermark_experiment(delta: float, gamma: float | None = None) -> dict[str, float]:
    """Sample watermarked texts from the trigram; return the median z over their characters and the mean KL cost (bits/char).

    Example: ``ex.watermark_experiment(2.0)``
    """
    delta = float(delta)
    gamma = EXPERIMENT["gamma"] if gamma is None else float(gamma)
    log_probs, ids = _trigram()
    vocab_size = log_probs.shape[0]
    rng = np.random.default_rng(EXPERIMENT["seed"])
    starts = rng.integers(0, len(ids) - 2, EXPERIMENT["texts"])
    history = np.stack([ids[starts], ids[starts + 1]], axis=1)
    generated, costs = [], []
    for _ in range(EXPERIMENT["length"] + 1):  # one more: the first character has no generated context to score
        plain = log_probs[history[:, -2], history[:, -1]]
        green = watermark.green_mask(history[:, -1:], vocab_size, gamma=gamma)
        biased = plain + delta * green
        costs.append(watermark.kl_bits(plain, biased))
        probabilities = np.exp(biased - biased.max(axis=1, keepdims=True))
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        chosen = (rng.random((len(history), 1)) > np.cumsum(probabilities, axis=1)).sum(axis=1).clip(0, vocab_size - 1)
        generated.append(chosen)
        history = np.concatenate([history, chosen[:, None]], axis=1)
    texts = np.stack(generated, axis=1)
    z = [watermark.z_score(row, vocab_size, gamma=gamma) for row in texts]
    return {"median_z": float(np.median(z)), "kl_bits": float(np.mean(costs))}


@functools.lru_cache(maxsize=1)
def reference_smallest_delta() -> float:
    """The reference run: the smallest multiple of 0.25 whose median z reaches the threshold."""
    delta = EXPERIMENT["step"]
    while watermark_experiment(delta)["median_z"] < watermark.Z_THRESHOLD:
        delta += EXPERIMENT["step"]
        if delta > 20:
            raise RuntimeError("no bias up to 20 reaches z = 4: the experiment's settings are broken")
    return delta


def check_watermark_experiment(answer, *, reveal: bool = True) -> bool:
    """Exercise 3 (experiment): the smallest bias (multiple of 0.25) whose median 100-character text reaches z >= 4 at gamma 0.5."""
    what = "Exercise 3 · experiment: the bias for short texts"
    if is_blank(answer):
        return not_attempted(what)
    if callable(answer):
        return report(False, f"{what}: expected a number (your smallest delta), got a function; call it and assign the result")
    value = as_number(what, answer, hint="Set SMALLEST_DELTA to a multiple of 0.25, such as 1.75.")
    if value is None:
        return False
    step = EXPERIMENT["step"]
    if value <= 0:
        return report(False, f"{what}: delta = {value:g} is no watermark at all (a bias must be positive: it raises the green logits)")
    if not np.isclose(value / step, round(value / step)):
        return report(False, f"{what}: {value:g} is not a multiple of {step}; the question asks for the smallest multiple of {step}")
    if value > 20:
        return report(False, f"{what}: delta = {value:g} is far larger than needed: the green list would decide almost every character")
    mine, below = watermark_experiment(value), watermark_experiment(value - step) if value > step else {"median_z": 0.0}
    if mine["median_z"] < watermark.Z_THRESHOLD:
        return report(False, f"{what}: measured with delta = {value:g}: median z {mine['median_z']:.2f} over {EXPERIMENT['length']} "
                             "characters, below 4: too weak. Try larger values with ex.watermark_experiment(delta).")
    if below["median_z"] >= watermark.Z_THRESHOLD:
        return report(False, f"{what}: delta = {value:g} works (median z {mine['median_z']:.2f}), but {value - step:g} already reaches "
                             f"z = {below['median_z']:.2f}: not the smallest. Each extra unit of bias costs bits per character.")
    if not reveal:
        return report(True, f"{what}: correct ({HIDDEN})")
    quarter = watermark_experiment(value, gamma=0.25)
    return report(True, f"{what}: correct. Measured on {EXPERIMENT['texts']} trigram texts of {EXPERIMENT['length']} characters: "
                        f"delta {value - step:g} gives median z {below['median_z']:.2f}, delta {value:g} gives {mine['median_z']:.2f} at a "
                        f"price of {mine['kl_bits']:.3f} bits/char. With gamma 0.25 the same delta gives z {quarter['median_z']:.2f} "
                        f"at {quarter['kl_bits']:.3f} bits/char: a smaller green list makes each green character stronger evidence, "
                        "a larger one lets the bias move more probability.")
