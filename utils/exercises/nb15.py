"""Checkers for notebook 15 · Design: layouts and glyphs a designer can steer."""

from __future__ import annotations

import functools

import numpy as np

from .. import glyphs, layouts
from . import attempt, check_function, report, to_array

HIDDEN = "what it measures is printed when you run your own answer in the cell above"
H = [layouts.HEADER, 0, 0, 12, 2]

# ----------------------------------------------------------------------------- Exercise 1: an alignment score

HAND_MADE = [
    [H, [layouts.IMAGE, 0, 2, 12, 6]],  # every line of the image's sides meets the header's: left, centre, right
    [H, [layouts.IMAGE, 1, 3, 10, 4], [layouts.BUTTON, 2, 11, 3, 2]],
    [H, [layouts.TEXT, 1, 5, 4, 2], [layouts.TEXT, 7, 5, 4, 2], [layouts.BUTTON, 3, 9, 5, 3]],
    [[layouts.ICON, 0, 0, 2, 2], [layouts.ICON, 5, 7, 3, 3]],
]


def _lines(layout) -> np.ndarray:
    layout = np.asarray(layout, dtype="float64").reshape(-1, 5)
    _, x, y, w, h = layout.T
    return np.stack([x / layouts.GRID_W, (x + w / 2) / layouts.GRID_W, (x + w) / layouts.GRID_W,
                     y / layouts.GRID_H, (y + h / 2) / layouts.GRID_H, (y + h) / layouts.GRID_H], axis=1)


def reference_alignment_score(layout, *, self_too=False, grid_units=False, any_kind=False, kinds=6, reduce="mean") -> float:
    """Mean over boxes of the smallest distance between one of its 6 lines and the same line of another box (the typical
    mistakes switched on by the keywords, for the checker's hints)."""
    lines = _lines(layout)
    if grid_units:
        lines = lines * np.array([layouts.GRID_W] * 3 + [layouts.GRID_H] * 3)
    lines = lines[:, :kinds]
    if any_kind:
        distances = np.abs(lines[:, None, :, None] - lines[None, :, None, :]).reshape(len(lines), len(lines), -1)
    else:
        distances = np.abs(lines[:, None, :] - lines[None, :, :])
    if not self_too:
        distances[np.arange(len(lines)), np.arange(len(lines))] = np.inf
    nearest = distances.min(axis=(1, 2))
    return float({"mean": np.mean, "sum": np.sum, "max": np.max}[reduce](nearest))


def _alignment_cases() -> list[tuple[str, np.ndarray]]:
    cases = [(f"hand-made layout {i + 1}", np.array(boxes)) for i, boxes in enumerate(HAND_MADE)]
    generated, _ = layouts.generate_screens(30, seed=7)
    rng = np.random.default_rng(8)
    jittered = []
    for layout in generated[:15]:  # moved boxes: misaligned layouts with non-zero scores
        moved = layout.copy()
        moved[1:, 1] = np.clip(moved[1:, 1] + rng.integers(-1, 2, len(moved) - 1), 0, None)
        moved[1:, 2] = moved[1:, 2] + rng.integers(0, 2, len(moved) - 1)
        jittered.append(moved)
    return cases + [(f"generated screen {i}", layout) for i, layout in enumerate(generated)] + \
        [(f"a screen with moved boxes ({i})", layout) for i, layout in enumerate(jittered)]


ALIGNMENT_MISTAKES = [
    ({"self_too": True}, "compare each box with the OTHER boxes only: every box is trivially aligned with itself (score 0)"),
    ({"grid_units": True}, "measure the lines as fractions of the canvas: divide x-lines by GRID_W and y-lines by GRID_H"),
    ({"any_kind": True}, "compare each line with the same kind of line only (left with left, centre with centre...)"),
    ({"kinds": 3}, "use all six lines: the vertical positions (top, centre, bottom) count too"),
    ({"reduce": "sum"}, "return the mean over the boxes, not the sum"),
    ({"reduce": "max"}, "return the mean over the boxes, not the worst box"),
]


def check_alignment_score(function, *, reveal: bool = True) -> bool:
    """Exercise 1: ``function(layout)`` -> the mean smallest distance between a box's lines and the same lines of other boxes."""
    what = "Exercise 1 (an alignment score)"
    verdict = check_function(what, function, "(layout) -> float")
    if verdict is not None:
        return verdict
    cases = _alignment_cases()
    for name, layout in cases:
        status, result = attempt(what, function, layout.copy())
        if status != "ok":
            return False
        array = to_array(result, "float64") if not isinstance(result, (str, bytes, dict)) else None
        if array is None or array.size != 1 or not np.isfinite(array).all():
            return report(False, f"{what}: on {name} you returned {type(result).__name__}; return one finite number (a mean distance)")
        value, expected = float(array.reshape(())), reference_alignment_score(layout)
        if np.isclose(value, expected, rtol=1e-6, atol=1e-9):
            continue
        for keywords, hint in ALIGNMENT_MISTAKES:
            if all(np.isclose(float(to_array(function(other.copy()), "float64").reshape(())),
                              reference_alignment_score(other, **keywords), rtol=1e-6, atol=1e-9) for _, other in cases[:12]):
                return report(False, f"{what}: {hint}")
        return report(False, f"{what}: on {name} you returned {value:.5f}, expected {expected:.5f}. For each box take its six lines "
                             "(left, centre, right over GRID_W; top, centre, bottom over GRID_H), the smallest distance to the same "
                             "line of any other box, then the mean over the boxes.")
    if not reveal:
        return report(True, f"{what}: correct ({HIDDEN})")
    generated, _ = layouts.generate_screens(200, seed=9)
    jittered = [case for name, case in cases if name.startswith("a screen with moved")]
    return report(True, f"{what}: correct on {len(cases)} layouts. Generated screens score {np.mean([reference_alignment_score(g) for g in generated]):.4f} "
                        f"on average (built on shared grid lines), screens with boxes moved by a cell "
                        f"{np.mean([reference_alignment_score(j) for j in jittered]):.4f}: a continuous score ranks near-misses that "
                        "the all-or-nothing `misaligned` count cannot tell apart.")


# ----------------------------------------------------------------------------- Exercise 2: where may the next box go?


def reference_free_rows(layout, x, w, h, *, touching=False, canvas=True, height=True, columns=True, strict_canvas=False) -> np.ndarray:
    """Rows y where a box (x, y, w, h) stays on the canvas and overlaps no box of ``layout`` (mistakes switched on by keywords)."""
    layout = np.asarray(layout).reshape(-1, 5)
    rows = np.arange(layouts.GRID_H)
    size = h if height else 1
    free = np.ones(layouts.GRID_H, bool)
    if canvas:
        free &= (rows + h < layouts.GRID_H) if strict_canvas else (rows + h <= layouts.GRID_H)
    slack = 1 if touching else 0
    for _, bx, by, bw, bh in layout:
        if not columns or min(x + w, bx + bw) > max(x, bx) - slack:
            free &= ~((rows < by + bh + slack) & (rows + size > by - slack))
    return free


def _free_cases() -> list[tuple[str, np.ndarray, int, int, int]]:
    cases = [("a header only, a box 12 wide and 3 high", np.array([H]), 0, 12, 3),
             ("two images side by side, a box beside them", np.array([H, [layouts.IMAGE, 0, 4, 6, 4], [layouts.IMAGE, 6, 10, 6, 4]]), 3, 2, 2),
             ("a box that fits exactly at the bottom", np.array([H, [layouts.TAB_BAR, 0, 22, 12, 2]]), 0, 12, 4),
             ("a narrow column next to a tall box", np.array([H, [layouts.TEXT, 0, 2, 5, 20]]), 5, 3, 5)]
    generated, _ = layouts.generate_screens(20, seed=11)
    rng = np.random.default_rng(12)
    for index, layout in enumerate(generated):
        w = int(rng.integers(1, 13))
        x, h = int(rng.integers(0, 13 - w)), int(rng.integers(1, 6))
        cases.append((f"generated screen {index} with a box x={x}, w={w}, h={h}", layout, x, w, h))
    return cases


FREE_MISTAKES = [
    ({"touching": True}, "boxes that only share an edge do not overlap: a box may start on the row where another ends"),
    ({"canvas": False}, "the new box must lie on the canvas: rows with y + h > GRID_H are not free"),
    ({"strict_canvas": True}, "a box may end exactly at the canvas's bottom edge: y + h <= GRID_H is allowed"),
    ({"height": False}, "check the whole height h of the new box, not only its first row"),
    ({"columns": False}, "a box only blocks rows where the COLUMNS overlap too: boxes beside the new one's columns do not count"),
]


def check_free_rows(function, *, reveal: bool = True) -> bool:
    """Exercise 2: ``function(layout, x, w, h)`` -> boolean array over the GRID_H rows: where a box (x, y, w, h) may go."""
    what = "Exercise 2 (where may the next box go?)"
    verdict = check_function(what, function, "(layout, x, w, h) -> boolean array")
    if verdict is not None:
        return verdict
    cases = _free_cases()

    def answer(layout, x, w, h):
        status, result = attempt(what, function, layout.copy(), x, w, h)
        if status != "ok":
            return None
        array = to_array(result) if not isinstance(result, (str, bytes, dict)) else None
        if array is None or array.shape != (layouts.GRID_H,) or not (array.dtype == bool or np.isin(array, (0, 1)).all()):
            shape = "not an array" if array is None else f"shape {array.shape}"
            report(False, f"{what}: return a boolean array with one entry per row ({layouts.GRID_H} rows); got {shape}")
            return None
        return array.astype(bool)

    for name, layout, x, w, h in cases:
        given = answer(layout, x, w, h)
        if given is None:
            return False
        expected = reference_free_rows(layout, x, w, h)
        if np.array_equal(given, expected):
            continue
        for keywords, hint in FREE_MISTAKES:
            if all(np.array_equal(function(lay.copy(), xx, ww, hh), reference_free_rows(lay, xx, ww, hh, **keywords))
                   for _, lay, xx, ww, hh in cases):
                return report(False, f"{what}: {hint}")
        row = int(np.flatnonzero(given != expected)[0])
        return report(False, f"{what}: on {name} you say row {row} is {'free' if given[row] else 'taken'}, but it is "
                             f"{'free' if expected[row] else 'taken'}. A row y is free when y + h <= GRID_H and the box "
                             "(x, y, w, h) shares no cell with any box of the layout.")
    if not reveal:
        return report(True, f"{what}: correct ({HIDDEN})")
    generated, _ = layouts.generate_screens(100, seed=13)
    share = np.mean([reference_free_rows(g, 0, 6, 2).mean() for g in generated])
    return report(True, f"{what}: correct on {len(cases)} cases. On generated screens only {share:.0%} of the rows are free for a box "
                        "6 wide and 2 high at the left edge: a sampler that masked the y token with your function could never "
                        "place a box on another, but it could also paint itself into a corner (no free row left), so real tools "
                        "combine such masks with back-tracking or re-sampling.")


# ----------------------------------------------------------------------------- Exercise 3 (experiment): the letter in the decoder

EXPERIMENT = {"fonts": ("DejaVuSans", "DejaVuSans-Bold", "DejaVuSansMono", "DejaVuSerif", "DejaVuSerif-Bold", "DejaVuSerif-Italic",
                        "STIXGeneral", "STIXGeneralItalic", "cmr10", "cmb10", "cmtt10", "DejaVuSans-BoldOblique"),
              "new_fonts": ("DejaVuSans-Oblique", "DejaVuSansMono-Bold", "STIXGeneralBolIta", "cmmi10"),
              "slants": (0.0, 0.2), "weights": (0, 2), "epochs": 25, "batch": 64, "latent": 16, "units": 128, "samples": 10,
              "known": "AGR", "seed": 0}
SMOKE_EXPERIMENT = {**EXPERIMENT, "slants": (0.0,), "weights": (0,), "epochs": 3, "samples": 2}  # CI: the code path only
ACCURACY_TOLERANCE = 0.10  # a correct change lands this close to the reference run's accuracy
ERROR_TOLERANCE = 0.25  # ... and its font-completion error within 25% of the reference's


def _tf():
    import tensorflow as tf

    return tf


def _size() -> dict:
    from .. import config

    return SMOKE_EXPERIMENT if config.is_smoke() else EXPERIMENT


@functools.lru_cache(maxsize=2)
def _experiment_data(smoke: bool):
    size = SMOKE_EXPERIMENT if smoke else EXPERIMENT
    train, _ = glyphs.render_styles(list(size["fonts"]), size["slants"], size["weights"])
    new = np.stack([glyphs.render_font(font) for font in size["new_fonts"]])
    return train.astype("float32"), new.astype("float32")


def reference_decoder_input(z, letter, *, with_letter: bool = True):
    """The notebook's decoder input (z and the letter, concatenated), or z alone."""
    tf = _tf()
    return tf.concat([z, letter], axis=-1) if with_letter else z


def letter_experiment(decoder_input, *, size: dict | None = None) -> dict[str, float]:
    """Train a small glyph CVAE whose decoder reads ``decoder_input(z, letter)``; measure the requested-letter accuracy of prior
    samples (judged by the nearest real training glyph) and the error of completing 4 new fonts from 3 letters."""
    import keras

    tf = _tf()
    size = _size() if size is None else size
    train, new = _experiment_data(size is SMOKE_EXPERIMENT)
    images = train.reshape(-1, 24 * 24)
    letters = np.tile(np.arange(26), len(train))
    one_hot = np.eye(26, dtype="float32")
    keras.utils.set_random_seed(size["seed"])
    encoder = keras.Sequential([keras.layers.Dense(size["units"], activation="relu"), keras.layers.Dense(2 * size["latent"])])
    decoder = keras.Sequential([keras.layers.Dense(size["units"], activation="relu"), keras.layers.Dense(24 * 24)])
    optimizer = keras.optimizers.Adam(2e-3)
    noise = tf.random.Generator.from_seed(size["seed"])

    def encode(x, letter):
        mean, log_var = tf.split(encoder(tf.concat([x, letter], axis=-1)), 2, axis=-1)
        return mean, log_var

    def decode(z, letter):
        return decoder(decoder_input(z, letter))

    @tf.function
    def step(x, letter):
        with tf.GradientTape() as tape:
            mean, log_var = encode(x, letter)
            z = mean + tf.exp(0.5 * log_var) * noise.normal(tf.shape(mean))
            reconstruction = tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(x, decode(z, letter)), axis=-1)
            kl = 0.5 * tf.reduce_sum(tf.exp(log_var) + tf.square(mean) - 1.0 - log_var, axis=-1)
            loss = tf.reduce_mean(reconstruction + kl)
        weights = encoder.trainable_weights + decoder.trainable_weights
        optimizer.apply_gradients(zip(tape.gradient(loss, weights), weights))

    for epoch in range(size["epochs"]):
        order = np.random.default_rng([size["seed"], epoch]).permutation(len(images))
        for begin in range(0, len(images), size["batch"]):
            batch = order[begin:begin + size["batch"]]
            step(tf.constant(images[batch]), tf.constant(one_hot[letters[batch]]))
    requested = np.repeat(np.arange(26), size["samples"])
    z = np.random.default_rng(size["seed"] + 1).standard_normal((len(requested), size["latent"])).astype("float32")
    samples = tf.sigmoid(decode(tf.constant(z), tf.constant(one_hot[requested]))).numpy()
    distances = (samples**2).sum(1)[:, None] - 2 * samples @ images.T + (images**2).sum(1)[None, :]
    accuracy = float(np.mean(letters[np.argmin(distances, axis=1)] == requested))
    known = np.array([glyphs.LETTERS.index(c) for c in size["known"]])
    unknown = np.setdiff1d(np.arange(26), known)
    errors = []
    for font in new:
        mean, _ = encode(tf.constant(font[known].reshape(len(known), -1)), tf.constant(one_hot[known]))
        code = np.repeat(mean.numpy().mean(axis=0, keepdims=True), 26, axis=0)
        guess = tf.sigmoid(decode(tf.constant(code), tf.constant(one_hot))).numpy().reshape(26, 24, 24)
        errors.append(np.abs(guess[unknown] - font[unknown]).mean())
    return {"accuracy": accuracy, "completion_error": float(np.mean(errors))}


@functools.lru_cache(maxsize=2)
def _reference_runs(smoke: bool) -> tuple[dict, dict]:
    size = SMOKE_EXPERIMENT if smoke else EXPERIMENT
    with_letter = letter_experiment(reference_decoder_input, size=size)
    without = letter_experiment(functools.partial(reference_decoder_input, with_letter=False), size=size)
    return with_letter, without


def check_letter_experiment(decoder_input, *, reveal: bool = True) -> bool:
    """Exercise 3 (experiment): ``decoder_input(z, letter)`` for a decoder without the letter; trains and judges the effect."""
    tf = _tf()
    what = "Exercise 3 · experiment: a glyph decoder that is not told the letter"
    verdict = check_function(what, decoder_input, "(z, letter) -> tensor")
    if verdict is not None:
        return verdict
    rng = np.random.default_rng(0)
    z = tf.constant(rng.standard_normal((4, EXPERIMENT["latent"])).astype("float32"))
    letter_a, letter_b = (tf.constant(np.eye(26, dtype="float32")[ids]) for ids in ([0, 1, 2, 3], [7, 8, 9, 10]))
    status, first = attempt(what, decoder_input, z, letter_a)
    if status != "ok":
        return False
    try:
        first = tf.convert_to_tensor(first, tf.float32)
        second = tf.convert_to_tensor(decoder_input(z, letter_b), tf.float32)
        other_z = tf.convert_to_tensor(decoder_input(z + 1.0, letter_a), tf.float32)
    except Exception as error:  # strings, dicts and the like
        return report(False, f"{what}: return a float tensor of shape (batch, features), got {type(first).__name__} ({str(error)[:120]})")
    if first.shape.rank != 2 or first.shape[0] != 4:
        return report(False, f"{what}: return one row per glyph, shape (batch, features); for a batch of 4 you returned shape "
                             f"{tuple(first.shape)}")
    if np.allclose(first.numpy(), other_z.numpy()):
        return report(False, f"{what}: the decoder's input does not depend on z any more; keep the code z, drop only the letter")
    if not np.allclose(first.numpy(), second.numpy()):
        return report(False, f"{what}: the decoder's input still reads the letter (it changes when only the letter changes); "
                             "leave the letter out")
    size = _size()
    print(f"Training three small glyph CVAEs for {size['epochs']} epochs each (~5-40 s on a CPU)...")
    with_letter, without = _reference_runs(size is SMOKE_EXPERIMENT)
    try:
        yours = letter_experiment(decoder_input)
    except Exception as error:  # the learner's function may fail inside training in any way
        return report(False, f"{what}: training with your decoder input raised {type(error).__name__}: {str(error)[:300]}")
    if (abs(yours["accuracy"] - without["accuracy"]) > ACCURACY_TOLERANCE
            or abs(yours["completion_error"] - without["completion_error"]) > ERROR_TOLERANCE * without["completion_error"]):
        return report(False, f"{what}: your run: {yours['accuracy']:.0%} of the samples show the requested letter, completion error "
                             f"{yours['completion_error']:.3f}; the reference without the letter: {without['accuracy']:.0%} and "
                             f"{without['completion_error']:.3f}. Too far apart for the same change: pass z on unchanged.")
    if not reveal:
        return report(True, f"{what}: correct ({HIDDEN})")
    return report(True, f"{what}: correct, and the effect is measured on {26 * size['samples']} samples and {len(size['new_fonts'])} new "
                        f"fonts: with the letter {with_letter['accuracy']:.0%} of the samples show the requested letter and the "
                        f"completion error from {size['known']} is {with_letter['completion_error']:.3f}; without it (reference) "
                        f"{without['accuracy']:.0%} and {without['completion_error']:.3f}; yours {yours['accuracy']:.0%} and "
                        f"{yours['completion_error']:.3f}. Chance is {1 / 26:.0%}. Without the letter the code z must carry the letter "
                        "itself, so a code drawn from the prior is some letter, rarely the one asked for, and a code inferred from A, G "
                        "and R decodes to one blend of them for every letter: the condition is what splits content from style.")
