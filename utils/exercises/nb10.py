"""Checkers for notebook 10 · Diffusion models from scratch."""

from __future__ import annotations

import functools
import math

import numpy as np

from . import as_float_array, as_number, attempt, check_function, report

HIDDEN = "what it measures is printed when you run your own answer in the cell above"

# ----------------------------------------------------------------------------- Exercise 1: a schedule defined by its signal


def _signal_curves():
    """(name, alpha_bar(s) on s in [0, 1], num_steps, max_beta): the cosine curve and two others the learner has not seen."""
    def cosine(s, offset=0.008):
        return np.cos((s + offset) / (1 + offset) * math.pi / 2) ** 2

    return [("cosine", cosine, 1000, 0.999), ("cosine", cosine, 50, 0.999), ("1 - s", lambda s: 1.0 - s, 20, 0.999),
            ("exp(-6 s^2)", lambda s: np.exp(-6.0 * s**2), 100, 0.5)]


def reference_betas_from_signal(alpha_bar, num_steps: int, max_beta: float = 0.999) -> np.ndarray:
    """beta_t = 1 - alpha_bar(t / T) / alpha_bar((t - 1) / T) for t = 1..T, capped at max_beta (the normalisation cancels)."""
    f = np.asarray(alpha_bar(np.arange(num_steps + 1, dtype="float64") / num_steps), dtype="float64")
    return np.clip(1.0 - f[1:] / f[:-1], 0.0, max_beta)


def check_betas_from_signal(function, *, reveal: bool = True) -> bool:
    """Exercise 1: ``function(alpha_bar, num_steps, max_beta)`` -> the T betas whose running product follows alpha_bar(t / T)."""
    from .. import diffusion

    what = "Exercise 1 (a schedule defined by its signal)"
    verdict = check_function(what, function, "(alpha_bar, num_steps, max_beta) -> betas")
    if verdict is not None:
        return verdict
    for name, curve, num_steps, max_beta in _signal_curves():
        status, result = attempt(what, function, curve, num_steps, max_beta)
        if status != "ok":
            return False
        betas = as_float_array(what, result, (num_steps,))  # T steps need the curve at the T + 1 points s = 0, 1/T, ..., 1
        if betas is None:
            return False
        expected = reference_betas_from_signal(curve, num_steps, max_beta)
        if np.allclose(betas, expected, rtol=1e-6, atol=1e-9):
            continue
        grid = np.arange(num_steps + 1, dtype="float64") / num_steps
        f = curve(grid)
        with np.errstate(divide="ignore", invalid="ignore"):
            wrong = [
                (np.clip(1.0 - f[1:], 0.0, max_beta), "1 - alpha_bar_t is everything lost since the data; beta_t is what ONE step "
                                                     "loses: 1 - alpha_bar_t / alpha_bar_(t-1)."),
                (1.0 - f[1:] / f[:-1], f"cap each beta at max_beta: where the curve reaches 0 (here '{name}' at s = 1) the last "
                                       "step would have beta = 1, and a step that destroys everything cannot be reversed."),
                (np.clip(1.0 - f[:-1] / f[1:], 0.0, max_beta), "the ratio is upside down: alpha_bar_t / alpha_bar_(t-1), the later "
                                                              "(smaller) value over the earlier one."),
                (np.clip(1.0 - np.sqrt(f[1:] / f[:-1]), 0.0, max_beta), "alpha_bar is already the signal's VARIANCE share: no "
                                                                       "square root."),
            ]
        fallback = ("all but the last beta are right: check the cap at max_beta at the end of the schedule."
                    if np.allclose(betas[:-1], expected[:-1], rtol=1e-6, atol=1e-9)
                    else "beta_t = min(max_beta, 1 - alpha_bar(t / T) / alpha_bar((t - 1) / T)) for t = 1..T.")
        hint = next((message for wrong_betas, message in wrong if wrong_betas.shape == betas.shape
                     and np.allclose(betas, wrong_betas, rtol=1e-6, atol=1e-9, equal_nan=True)), fallback)
        first = int(np.argmax(~np.isclose(betas, expected, rtol=1e-6, atol=1e-9)))
        return report(False, f"{what}: for the curve '{name}' with T={num_steps}, beta {first + 1} is {betas[first]:.5g}, "
                             f"expected {expected[first]:.5g}: {hint}")
    if not reveal:
        return report(True, f"{what}: correct ({HIDDEN})")
    ours = reference_betas_from_signal(_signal_curves()[0][1], 1000)
    linear = diffusion.make_schedule("linear", 1000)
    return report(True, f"{what}: correct, and equal to utils.diffusion.make_schedule('cosine', 1000): "
                        f"{np.allclose(ours, diffusion.make_schedule('cosine', 1000).betas)}. The cosine schedule's betas start at "
                        f"{ours[0]:.1e} and end capped at {ours[-1]:.3f}; the linear one's run from {linear.betas[0]:.1e} to "
                        f"{linear.betas[-1]:.3f}. Any signal curve becomes a schedule this way: you choose how fast information "
                        "disappears, and the betas follow.")


# ----------------------------------------------------------------------------- Exercise 2: signal-to-noise, and the codes' scale


def reference_snr_crossing(alpha_bars, data_std: float = 1.0) -> int:
    """The first index t with data_std² alpha_bar_t / (1 - alpha_bar_t) < 1; len(alpha_bars) if the SNR never drops below 1."""
    alpha_bars = np.asarray(alpha_bars, dtype="float64")
    with np.errstate(divide="ignore"):
        snr = data_std**2 * alpha_bars / (1.0 - alpha_bars)
    below = np.flatnonzero(snr < 1.0)
    return int(below[0]) if below.size else len(alpha_bars)


def _snr_cases():
    from .. import diffusion

    linear, cosine = diffusion.make_schedule("linear", 1000), diffusion.make_schedule("cosine", 1000)
    short = diffusion.make_schedule("linear", 100)
    return [(linear.alpha_bars, 1.0), (cosine.alpha_bars, 1.0), (linear.alpha_bars, 4.0), (cosine.alpha_bars, 0.25),
            (short.alpha_bars, 2.5), (np.array([0.99, 0.98, 0.97]), 1.0)]  # the last never drops below 1


def check_snr_crossing(function, *, reveal: bool = True) -> bool:
    """Exercise 2: ``function(alpha_bars, data_std)`` -> the first step index at which noise outweighs the data's signal."""
    what = "Exercise 2 (signal-to-noise, and the codes' scale)"
    verdict = check_function(what, function, "(alpha_bars, data_std) -> step index")
    if verdict is not None:
        return verdict
    for alpha_bars, data_std in _snr_cases():
        status, result = attempt(what, function, alpha_bars.copy(), data_std)
        if status != "ok":
            return False
        step = as_number(what, result, whole=True, hint="Return one step index (an int).")
        if step is None:
            return False
        expected = reference_snr_crossing(alpha_bars, data_std)
        if step == expected:
            continue
        case = f"for T={len(alpha_bars)} and data_std={data_std:g}"
        wrong = [
            (reference_snr_crossing(alpha_bars, 1.0), "the data's spread matters: its signal is data_std * sqrt(alpha_bar) against "
                                                      "noise sqrt(1 - alpha_bar), so the SNR is data_std² alpha_bar / (1 - alpha_bar)."),
            (reference_snr_crossing(alpha_bars, math.sqrt(data_std)), "square the standard deviation: SNR compares variances, "
                                                                      "data_std² alpha_bar against 1 - alpha_bar."),
            (expected + 1, "return the index t as q_sample uses it (0-based), not the step number t + 1."),
            (expected - 1, "return the FIRST index where the SNR is already below 1, not the last one above it."),
        ]
        if expected == len(alpha_bars):
            wrong.append((-1, "when the SNR never drops below 1, return len(alpha_bars) (the noise never wins within T steps)."))
        hint = next((message for wrong_step, message in wrong if step == wrong_step),
                    "the first t with data_std² alpha_bar_t / (1 - alpha_bar_t) < 1 (len(alpha_bars) if there is none).")
        return report(False, f"{what}: {case} you returned {step}, expected {expected}: {hint}")
    if not reveal:
        return report(True, f"{what}: correct ({HIDDEN})")
    from .. import diffusion

    linear, cosine = diffusion.make_schedule("linear", 1000).alpha_bars, diffusion.make_schedule("cosine", 1000).alpha_bars
    return report(True, f"{what}: correct. For unit-spread data the noise outweighs the signal from index "
                        f"{reference_snr_crossing(linear)} (linear) or {reference_snr_crossing(cosine)} (cosine); for data 4 times "
                        f"wider, from {reference_snr_crossing(linear, 4.0)} and {reference_snr_crossing(cosine, 4.0)}. Unstandardised "
                        "codes shift the whole schedule: training and sampling spend their steps at the wrong noise levels.")


# ----------------------------------------------------------------------------- Exercise 3: experiment, no time input

EXPERIMENT_STEPS = 1500  # training steps per run (batch 256): seconds on a CPU; enough for the effect to show
EXPERIMENT_T = 200  # diffusion steps of the experiment's (linear) schedule
EXPERIMENT_HIDDEN = 128
EXPERIMENT_POINTS = 500  # samples drawn per run
EXPERIMENT_NOISE = 0.1  # the ring's spread, as in the notebook
EXPERIMENT_SCALE = 0.5  # data -> model space, as in the notebook
QUALITY_TOLERANCE = 0.15  # share of samples near a mode: how close a correct run lands to the reference (seed noise ~0.05)


def reference_denoiser(hidden: int = EXPERIMENT_HIDDEN, *, use_time: bool = True):
    """The notebook's 2-D noise predictor ([points (N, 2), t (N,)] -> predicted noise (N, 2)); ``use_time=False`` drops t."""
    import keras
    from keras import layers

    from .. import diffusion

    points = keras.Input((2,), name="points")
    t = keras.Input((), dtype="int32", name="t")
    x = points
    if use_time:
        x = layers.Concatenate()([points, layers.Lambda(lambda steps: diffusion.timestep_embedding(steps, 32))(t)])
    for _ in range(3):
        x = layers.Dense(hidden, activation="swish")(x)
    return keras.Model([points, t], layers.Dense(2)(x))


@functools.cache
def _experiment_data():
    from .. import data

    points, _ = data.make_toy_2d("ring", 4000, seed=0, noise=EXPERIMENT_NOISE)
    return (points * EXPERIMENT_SCALE).astype("float32"), data.toy_modes("ring")


def time_experiment(model, *, seed: int = 0) -> dict[str, float]:
    """Train ``model`` (inputs [points, t]) as the notebook's 2-D denoiser for EXPERIMENT_STEPS steps and sample from it.

    Returns the final training loss and the share of EXPERIMENT_POINTS samples within 3 spreads of a ring mode.
    Example: ``time_experiment(reference_denoiser(use_time=False))``
    """
    import keras
    import tensorflow as tf

    from .. import diffusion, metrics

    points, modes = _experiment_data()
    schedule = diffusion.make_schedule("linear", EXPERIMENT_T)
    optimizer = keras.optimizers.Adam(2e-3)
    rng = tf.random.Generator.from_seed(seed)

    @tf.function
    def train_step(x0):
        t = rng.uniform([tf.shape(x0)[0]], 0, EXPERIMENT_T, tf.int32)
        noise = rng.normal(tf.shape(x0))
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model([diffusion.q_sample(x0, t, noise, schedule), t], training=True) - noise))
        if model.trainable_weights:  # a model without weights (a learner's) just does not learn
            optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_weights), model.trainable_weights))
        return loss

    order = np.random.default_rng(seed)
    losses = [float(train_step(tf.constant(points[order.choice(len(points), 256)]))) for _ in range(EXPERIMENT_STEPS)]

    @tf.function
    def reverse_step(x, t, noise):
        eps = model([x, tf.fill([tf.shape(x)[0]], t)], training=False)
        return diffusion.ddpm_step(x, eps, t, schedule, noise)

    x = rng.normal([EXPERIMENT_POINTS, 2])
    for t in range(EXPERIMENT_T - 1, -1, -1):
        x = reverse_step(x, tf.constant(t), rng.normal([EXPERIMENT_POINTS, 2]))
    samples = x.numpy() / EXPERIMENT_SCALE
    if not np.all(np.isfinite(samples)):
        return {"loss": float(np.mean(losses[-100:])), "near_mode": 0.0}
    coverage = metrics.mode_coverage(samples, modes, std=EXPERIMENT_NOISE)
    return {"loss": float(np.mean(losses[-100:])), "near_mode": coverage["high_quality"]}


@functools.cache
def _reference_run(use_time: bool) -> dict:
    """The reference run with or without t (trained once per session: it does not depend on the answer)."""
    import keras

    keras.utils.set_random_seed(0)
    return time_experiment(reference_denoiser(use_time=use_time))


def _reads_time(model) -> bool | None:
    """Whether the model's output changes with t for fixed points (None when it cannot be called that way)."""
    rng = np.random.default_rng(3)
    points = rng.normal(size=(16, 2)).astype("float32")
    try:
        early = np.asarray(model([points, np.full(16, 5, "int32")], training=False))
        late = np.asarray(model([points, np.full(16, EXPERIMENT_T - 5, "int32")], training=False))
    except Exception:  # the learner's model may fail in any way
        return None
    if early.shape != (16, 2):
        return None
    return not np.allclose(early, late, atol=1e-6)


def check_time_experiment(build_model, *, reveal: bool = True) -> bool:
    """Exercise 3 (experiment): ``build_model()`` -> a 2-D noise predictor that does NOT read t; trains it and judges the effect."""
    import keras

    what = "Exercise 3 · experiment: a denoiser that is not told the time"
    verdict = check_function(what, build_model, "() -> keras.Model")
    if verdict is not None:
        return verdict
    status, model = attempt(what, build_model)
    if status != "ok":
        return False
    if not isinstance(model, keras.Model):
        return report(False, f"{what}: build_blind_denoiser() must return a keras.Model, got {type(model).__name__}")
    reads_time = _reads_time(model)
    if reads_time is None:
        return report(False, f"{what}: the model must take [points of shape (N, 2), t of shape (N,)] and return (N, 2) noise "
                             "predictions, like denoiser_2d.")
    if reads_time:
        return report(False, f"{what}: your model's output still changes with t, so it still reads the time; keep the t input "
                             "(the training loop passes it) but do not use it.")
    # the run with t only serves the message that reveals the measured effect
    print(f"Training {'three' if reveal else 'two'} small 2-D denoisers for {EXPERIMENT_STEPS} steps each (~5-20 s)...")
    blind = _reference_run(use_time=False)
    keras.utils.set_random_seed(0)
    try:
        yours = time_experiment(model)
    except Exception as error:  # the learner's model may fail in training in any way
        return report(False, f"{what}: training your model raised {type(error).__name__}: {str(error)[:300]}")
    if yours["loss"] > blind["loss"] * 1.2 + 0.02 or yours["near_mode"] < blind["near_mode"] - QUALITY_TOLERANCE:
        return report(False, f"{what}: your model trains to loss {yours['loss']:.3f} with {yours['near_mode']:.0%} of samples near a "
                             f"mode; the reference model without t reaches {blind['loss']:.3f} and {blind['near_mode']:.0%}: it learns "
                             "less than the notebook's network without its time input. Keep the same layers (3 x 128 swish units), "
                             "only without the embedding of t.")
    if abs(yours["near_mode"] - blind["near_mode"]) > QUALITY_TOLERANCE:
        return report(False, f"{what}: {yours['near_mode']:.0%} of your samples land near a mode, the reference without t "
                             f"{blind['near_mode']:.0%}: too far apart for the same change. Keep the same layers (3 x 128 swish "
                             "units), only without the embedding of t.")
    if not reveal:
        return report(True, f"{what}: correct ({HIDDEN})")
    with_time = _reference_run(use_time=True)
    return report(True, f"{what}: correct, and the effect is measured (training loss, share of samples within 3 spreads of a "
                        f"mode): with t {with_time['loss']:.3f} and {with_time['near_mode']:.0%}, without t (reference) "
                        f"{blind['loss']:.3f} and {blind['near_mode']:.0%}, yours {yours['loss']:.3f} and {yours['near_mode']:.0%}. "
                        "Without t the network must guess how much noise a point carries from the point alone; the same point "
                        "can be a clean sample or a very noisy one, so its guess averages over noise levels and the reverse "
                        "steps remove the wrong amount of noise.")

