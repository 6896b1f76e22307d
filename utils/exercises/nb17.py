"""Checkers for notebook 17 · Virtual worlds and game levels."""

from __future__ import annotations

import collections
import functools

import numpy as np

from .. import levels
from . import as_float_array, attempt, call_safely, check_function, report

HIDDEN = "what it measures is printed when you run your own answer in the cell above"

# ----------------------------------------------------------------------------- Exercise 1: the fewest jumps

HAND_MADE = {
    "a flat level": ["-" * 10] * 5 + ["X" * 10] * 2,
    "a gap of 3": ["-" * 10] * 5 + ["XXX---XXXX"] * 2,
    "a gap of 4": ["-" * 10] * 5 + ["XXX----XXX"] * 2,
    "a wall 4 high": ["-" * 10] + ["----X-----"] * 4 + ["X" * 10] * 2,
    "a wall 5 high": ["----X-----"] * 5 + ["X" * 10] * 2,
    "two gaps of 2": ["-" * 12] * 5 + ["XX--XXX--XXX"] * 2,
    "a level with no start": ["X" + "-" * 9] * 5 + ["-" + "X" * 9] * 2,
    "a level with no exit": ["-" * 10] * 5 + ["XXXXXXXXX-"] * 2,
}


def _cases() -> list[tuple[str, np.ndarray]]:
    cases = [(name, levels.level_from_strings(rows)) for name, rows in HAND_MADE.items()]
    generated = levels.generate_levels(40, seed=1)
    return cases + [(f"generated level {i}", level) for i, level in enumerate(generated)]


def reference_fewest_jumps(level) -> int | None:
    """The agent's answer: fewest jumps to the exit, None when unplayable."""
    result = levels.play(level)
    return result.jumps if result.playable else None


def _fewest_moves(level) -> int | None:
    """A plain BFS: the fewest moves (walks and jumps alike), the typical mistake."""
    try:
        start = levels.start_position(level)
    except ValueError:
        return None
    seen = {start: 0}
    queue = collections.deque([start])
    while queue:
        position = queue.popleft()
        if position[1] == level.shape[1] - 1:
            return seen[position]
        for target, _ in levels.moves(level, position):
            if target not in seen:
                seen[target] = seen[position] + 1
                queue.append(target)
    return None


def check_fewest_jumps(function, *, reveal: bool = True) -> bool:
    """Exercise 1: ``function(level)`` -> the fewest jumps to finish the level, or None when it cannot be finished."""
    what = "Exercise 1 (the fewest jumps)"
    verdict = check_function(what, function, "(level) -> int or None")
    if verdict is not None:
        return verdict
    answers, expected, names = [], [], []
    for index, (name, level) in enumerate(_cases()):
        if index == 0:  # a playable level: None here means the cell is not filled in yet
            status, result = attempt(what, function, level.copy())
            if status != "ok":
                return False
        else:
            ok, result = call_safely(what, function, level.copy())
            if not ok:
                return False
        if result is not None and not (isinstance(result, (int, np.integer)) and not isinstance(result, bool)):
            number = result
            try:
                number = float(result)
            except (TypeError, ValueError):
                return report(False, f"{what}: on {name} you returned {type(result).__name__}; return a whole number of jumps, "
                                     "or None when the level cannot be finished")
            if number != round(number):
                return report(False, f"{what}: on {name} you returned {number:g}; a number of jumps is a whole number")
            result = int(round(number))
        answers.append(result)
        expected.append(reference_fewest_jumps(level))
        names.append(name)
    if answers == expected:
        if not reveal:
            return report(True, f"{what}: correct ({HIDDEN})")
        return report(True, f"{what}: correct on {len(names)} levels (8 hand-made, 40 generated). A plain BFS would have found the "
                            "fewest MOVES, and since a jump carries up to 4 columns in one move it would have jumped across a flat "
                            "level; with walks costing 0 (0-1 BFS) the search reaches each position first by its fewest jumps.")
    first = next(i for i, (a, e) in enumerate(zip(answers, expected)) if a != e)
    name, given, wanted = names[first], answers[first], expected[first]
    if wanted is None:
        return report(False, f"{what}: {name} cannot be finished, but you returned {given}: return None when no standing position in the "
                             "last column can be reached (or when there is no start: start_position raises ValueError)")
    if given is None:
        return report(False, f"{what}: {name} can be finished with {wanted} jump(s), but you returned None: does your search stop at "
                             "any standing position in the last column (column width - 1), and does it follow every move?")
    moves = [_fewest_moves(level) for _, level in _cases()[: len(answers)]]
    if answers == moves:
        return report(False, f"{what}: you counted the fewest MOVES (a plain BFS), not jumps: on {name} you found {given}, the fewest "
                             f"jumps are {wanted}. Let walks cost 0 and jumps 1.")
    if given > wanted:
        return report(False, f"{what}: on {name} you found {given} jumps but {wanted} suffice. A plain FIFO queue reaches a position "
                             "first by the fewest moves, not the fewest jumps: put a walk's target at the FRONT of the deque "
                             "(appendleft) and a jump's at the back, and update a position when a cheaper route reaches it.")
    return report(False, f"{what}: on {name} you found {given} jump(s), but the level needs {wanted}: check that every move you "
                         "count as free is a walk (moves() marks jumps with True).")


# ----------------------------------------------------------------------------- Exercise 2: one step of thermal erosion


def reference_erosion_step(height, talus, rate):
    """The library's step: 4-neighbours, no wrap-around, rate x excess over talus / 4 moved downhill, mass conserved."""
    return levels.thermal_erosion_step(height, talus=talus, rate=rate)


def _erosion_cases():
    rng = np.random.default_rng(3)
    return [(rng.random((8, 8)), 0.05, 0.25), (rng.random((5, 7)) * 0.3, 0.01, 0.5),
            (levels.fractal_heightmap(np.random.default_rng(4), size=16, octaves=4), 0.01, 0.25)]


def _variants(height, talus, rate):
    """Typical wrong steps, for the checker's hints."""
    def step(*, wrap=False, excess=True, quarter=True, receive=True, axes=(0, 1)):
        new = height.astype("float64").copy()
        for axis in axes:
            if wrap:
                difference = height - np.roll(height, -1, axis=axis)
            else:
                difference = np.diff(height, axis=axis) * -1
            amount = np.maximum(np.abs(difference) - talus, 0) if excess else np.abs(difference) * (np.abs(difference) > talus)
            flow = rate * np.sign(difference) * amount / (4 if quarter else 1)
            if wrap:
                new -= flow
                if receive:
                    new += np.roll(flow, 1, axis=axis)
            else:
                upper = [slice(None)] * 2
                lower = [slice(None)] * 2
                upper[axis], lower[axis] = slice(None, -1), slice(1, None)
                new[tuple(upper)] -= flow
                if receive:
                    new[tuple(lower)] += flow
        return new

    return [
        (step(wrap=True), "your map wraps around its edges (np.roll): the first and last rows and columns are not neighbours."),
        (step(excess=False), "move only the EXCESS over the talus, rate x (difference - talus) / 4, not the whole difference."),
        (step(quarter=False), "divide the transfer by 4 (the number of neighbours), or a cell can give away more than it should."),
        (step(axes=(0,)), "erode along both axes: left-right neighbours as well as up-down."),
        (step(axes=(1,)), "erode along both axes: up-down neighbours as well as left-right."),
    ]


def check_erosion_step(function, *, reveal: bool = True) -> bool:
    """Exercise 2: ``function(height, talus, rate)`` -> the heightmap after one thermal erosion step."""
    what = "Exercise 2 (one step of thermal erosion)"
    verdict = check_function(what, function, "(height, talus, rate) -> height")
    if verdict is not None:
        return verdict
    for height, talus, rate in _erosion_cases():
        original = height.copy()
        status, result = attempt(what, function, height, talus, rate)
        if status != "ok":
            return False
        if not np.array_equal(height, original):
            return report(False, f"{what}: your function changed its input array in place; work on a copy (height.copy()), so that "
                                 "every transfer is computed from the heights before the step")
        new = as_float_array(what, result, height.shape)
        if new is None:
            return False
        expected = reference_erosion_step(height, talus, rate)
        if np.allclose(new, expected, atol=1e-9):
            continue
        for wrong, hint in _variants(height, talus, rate):
            if np.allclose(new, wrong, atol=1e-9):
                return report(False, f"{what}: {hint}")
        if abs(new.sum() - height.sum()) > 1e-6 * height.size:
            return report(False, f"{what}: the total height changed by {new.sum() - height.sum():+.4g}; what leaves a cell must arrive at "
                                 "its lower neighbour (mass is conserved)")
        worst = np.unravel_index(np.argmax(np.abs(new - expected)), height.shape)
        return report(False, f"{what}: on a {height.shape[0]}x{height.shape[1]} map (talus {talus}, rate {rate}) cell {tuple(map(int, worst))} "
                             f"is {new[worst]:.5f}, expected {expected[worst]:.5f}. Compute every transfer from the heights before the "
                             "step (no in-place updates while looping), from higher to lower cells only.")
    if not reveal:
        return report(True, f"{what}: correct ({HIDDEN})")
    rng = np.random.default_rng(0)
    height = levels.fractal_heightmap(rng)
    eroded = levels.erode(height, iterations=50, talus=0.01)
    before, after = levels.slopes(height[None]), levels.slopes(eroded[None])
    return report(True, f"{what}: correct. On a 32x32 fractal map, 50 steps move the 99th percentile of the slopes from "
                        f"{np.quantile(before, 0.99):.3f} to {np.quantile(after, 0.99):.3f} while the total height stays "
                        f"{height.sum():.2f} -> {eroded.sum():.2f}: steep faces crumble, nothing is lost.")


# ----------------------------------------------------------------------------- Exercise 3 (experiment): a VAE without KL

EXPERIMENT = {"levels": 800, "epochs": 8, "batch": 64, "latent": 32, "width": 32, "samples": 400, "held_out": 300, "seed": 0}
SMOKE_EXPERIMENT = {**EXPERIMENT, "levels": 160, "epochs": 1, "samples": 60, "held_out": 60}  # CI: the code path only
PLAYABLE_TOLERANCE = 0.08  # a correct change lands this close to the reference run's playability (seed noise is smaller)
PATTERN_TOLERANCE = 0.35  # ... and its pattern divergence within 35% of the reference's
RATE_TOLERANCE = 0.35  # ... and its codes' KL to the prior within 35% of the reference's


def _tf():
    import tensorflow as tf

    return tf


def reference_tile_loss(targets, logits, z_mean, z_log_var, kl_weight: float = 1.0):
    """The notebook's loss: tile cross-entropy summed per level + kl_weight x KL, averaged over the batch."""
    tf = _tf()
    reconstruction = tf.reduce_sum(tf.nn.softmax_cross_entropy_with_logits(targets, logits), axis=[1, 2])
    kl = 0.5 * tf.reduce_sum(tf.exp(z_log_var) + tf.square(z_mean) - 1.0 - z_log_var, axis=1)
    return tf.reduce_mean(reconstruction + kl_weight * kl)


def _static_inputs(seed: int = 0):
    rng = np.random.default_rng(seed)
    targets = np.eye(len(levels.TILES), dtype="float32")[rng.integers(0, len(levels.TILES), (4, 12, 32))]
    logits = rng.normal(size=(4, 12, 32, len(levels.TILES))).astype("float32")
    z_mean = rng.normal(size=(4, EXPERIMENT["latent"])).astype("float32")
    z_log_var = rng.normal(0, 0.5, size=(4, EXPERIMENT["latent"])).astype("float32")
    return targets, logits, z_mean, z_log_var


def _size() -> dict:
    from .. import config

    return SMOKE_EXPERIMENT if config.is_smoke() else EXPERIMENT


def _experiment_data(size: dict):
    data = levels.generate_levels(size["levels"] + size["held_out"], seed=size["seed"] + 100)
    data = data[levels.playability(data)["playable"]]
    return data[: -size["held_out"] // 2], data[-size["held_out"] // 2:]


def kl_experiment(loss_fn, *, seed: int = 0, size: dict | None = None) -> dict[str, float]:
    """Train a small level VAE with ``loss_fn``; score levels decoded from N(0, I) codes (playability, pattern JS to held-out
    levels) and the codes themselves (rate: mean KL(q(z|x) || N(0, I)) of the training levels, nats)."""
    import keras

    tf = _tf()
    layers = keras.layers
    size = _size() if size is None else size
    train, held_out = _experiment_data(size)
    keras.utils.set_random_seed(seed)
    width, latent = EXPERIMENT["width"], EXPERIMENT["latent"]
    inputs = keras.Input((12, 32, len(levels.TILES)))
    x = layers.Conv2D(width, 3, strides=2, padding="same", activation="relu")(inputs)
    x = layers.Flatten()(layers.Conv2D(2 * width, 3, strides=2, padding="same", activation="relu")(x))
    encoder = keras.Model(inputs, [layers.Dense(latent)(x), layers.Dense(latent)(x)])
    z_in = keras.Input((latent,))
    x = layers.Reshape((3, 8, 2 * width))(layers.Dense(3 * 8 * 2 * width, activation="relu")(z_in))
    x = layers.Conv2DTranspose(2 * width, 3, strides=2, padding="same", activation="relu")(x)
    x = layers.Conv2DTranspose(width, 3, strides=2, padding="same", activation="relu")(x)
    decoder = keras.Model(z_in, layers.Conv2D(len(levels.TILES), 3, padding="same")(x))
    optimizer = keras.optimizers.Adam(1e-3)
    noise = tf.random.Generator.from_seed(seed)

    @tf.function
    def step(x):
        with tf.GradientTape() as tape:
            z_mean, z_log_var = encoder(x)
            z = z_mean + tf.exp(0.5 * z_log_var) * noise.normal(tf.shape(z_mean))
            loss = loss_fn(x, decoder(z), z_mean, z_log_var)
        weights = encoder.trainable_weights + decoder.trainable_weights
        optimizer.apply_gradients(zip(tape.gradient(loss, weights), weights))
        return loss

    one_hot = np.eye(len(levels.TILES), dtype="float32")[train]
    for epoch in range(size["epochs"]):
        order = np.random.default_rng([seed, epoch]).permutation(len(one_hot))
        for begin in range(0, len(one_hot), size["batch"]):
            step(tf.constant(one_hot[order[begin:begin + size["batch"]]]))
    codes = np.random.default_rng(seed + 1).standard_normal((size["samples"], latent)).astype("float32")
    samples = np.argmax(decoder(codes).numpy(), axis=-1).astype("int8")
    z_mean, z_log_var = (t.numpy().astype("float64") for t in encoder(one_hot))
    rate = float(np.mean(0.5 * np.sum(np.exp(z_log_var) + z_mean**2 - 1.0 - z_log_var, axis=1)))
    return {"playable": float(levels.playability(samples)["playable"].mean()),
            "pattern_js": levels.pattern_distance(samples[: len(held_out)], held_out), "rate": rate}


@functools.lru_cache(maxsize=2)
def _reference_runs(smoke: bool) -> tuple[dict, dict]:
    size = SMOKE_EXPERIMENT if smoke else EXPERIMENT
    with_kl = kl_experiment(reference_tile_loss, size=size)
    without_kl = kl_experiment(functools.partial(reference_tile_loss, kl_weight=0.0), size=size)
    return with_kl, without_kl


def check_kl_experiment(loss_fn, *, reveal: bool = True) -> bool:
    """Exercise 3 (experiment): ``loss_fn(targets, logits, z_mean, z_log_var)`` without the KL term; trains and judges the effect."""
    tf = _tf()
    what = "Exercise 3 · experiment: a level VAE without its KL term"
    verdict = check_function(what, loss_fn, "(targets, logits, z_mean, z_log_var) -> loss")
    if verdict is not None:
        return verdict
    targets, logits, z_mean, z_log_var = _static_inputs()
    status, value = attempt(what, loss_fn, tf.constant(targets), tf.constant(logits), tf.constant(z_mean), tf.constant(z_log_var))
    if status != "ok":
        return False
    number = as_float_array(what, value, ())
    if number is None:
        return report(False, f"{what}: return one number, the batch mean of the per-level loss (reduce_mean over the batch)")
    number = float(number)
    reconstruction = float(reference_tile_loss(targets, logits, z_mean, z_log_var, kl_weight=0.0))
    full = float(reference_tile_loss(targets, logits, z_mean, z_log_var))
    kl = full - reconstruction
    if np.isclose(number, full, rtol=1e-4):
        return report(False, f"{what}: that is the full loss, KL included; drop the KL term and keep the tiles' cross-entropy")
    if np.isclose(number, kl, rtol=1e-4):
        return report(False, f"{what}: you kept the KL term and dropped the reconstruction; it is the other way round")
    if np.isclose(number, reconstruction * len(targets), rtol=1e-4):
        return report(False, f"{what}: you summed over the batch; take the mean over levels, as tile_loss does")
    if np.isclose(number, reconstruction / (12 * 32), rtol=1e-4):
        return report(False, f"{what}: you averaged over the tiles; sum the cross-entropy over a level's tiles, as tile_loss does "
                             "(the scale matters to the optimiser's steps)")
    if not np.isclose(number, reconstruction, rtol=1e-4):
        return report(False, f"{what}: your loss is {number:.4g} on a test batch, expected {reconstruction:.4g} (the batch mean of the "
                             "tiles' cross-entropy summed over each level, no KL)")
    size = _size()
    print(f"Training three small level VAEs for {size['epochs']} epochs each (~10-40 s on a CPU)...")
    with_kl, without_kl = _reference_runs(size is SMOKE_EXPERIMENT)
    try:
        yours = kl_experiment(loss_fn)
    except Exception as error:  # the learner's loss may fail in training in any way
        return report(False, f"{what}: training with your loss raised {type(error).__name__}: {str(error)[:300]}")
    if (abs(yours["playable"] - without_kl["playable"]) > PLAYABLE_TOLERANCE
            or abs(yours["pattern_js"] - without_kl["pattern_js"]) > PATTERN_TOLERANCE * without_kl["pattern_js"]
            or abs(yours["rate"] - without_kl["rate"]) > RATE_TOLERANCE * without_kl["rate"]):
        return report(False, f"{what}: your run: prior samples {yours['playable']:.0%} playable with pattern JS {yours['pattern_js']:.3f}, "
                             f"codes {yours['rate']:.0f} nats from the prior; the reference without KL: {without_kl['playable']:.0%}, "
                             f"{without_kl['pattern_js']:.3f} and {without_kl['rate']:.0f} nats. Too far apart for the same change: keep "
                             "everything else of tile_loss.")
    if not reveal:
        return report(True, f"{what}: correct ({HIDDEN})")
    return report(True, f"{what}: correct, and the effect is measured on {EXPERIMENT['samples']} levels decoded from N(0, I) codes: "
                        f"with the KL term {with_kl['playable']:.0%} playable and pattern JS {with_kl['pattern_js']:.3f} bits, codes "
                        f"{with_kl['rate']:.0f} nats from the prior; without it (reference) {without_kl['playable']:.0%}, "
                        f"{without_kl['pattern_js']:.3f} and {without_kl['rate']:.0f} nats; yours {yours['playable']:.0%}, "
                        f"{yours['pattern_js']:.3f} and {yours['rate']:.0f} nats. Without the KL term nothing ties the codes to N(0, I): the encoder spreads them "
                        "where it likes, and codes drawn from the prior land between and beyond them, where the decoder never learned "
                        "what a level is.")
