"""Checkers for notebook 10 · Diffusion models from scratch."""

from __future__ import annotations

import functools
import math

import numpy as np

from . import as_float_array, attempt, check_function, report

HIDDEN = "what it measures is printed when you run your own answer in the cell above"

# ----------------------------------------------------------------------------- Exercise 1: the weights the simple loss drops


def reference_elbo_weights(betas) -> np.ndarray:
    """lambda_t = beta_t² / (2 sigma_t² alpha_t (1 - alpha_bar_t)) with sigma_t² = beta_t, i.e. beta_t / (2 alpha_t (1 - alpha_bar_t))."""
    betas = np.asarray(betas, dtype="float64")
    alphas = 1.0 - betas
    return betas / (2.0 * alphas * (1.0 - np.cumprod(alphas)))


def _weight_cases():
    from .. import diffusion

    return [diffusion.make_schedule("linear", 1000).betas, diffusion.make_schedule("cosine", 50).betas,
            np.array([0.1, 0.2, 0.3, 0.5])]


def check_elbo_weights(function, *, reveal: bool = True) -> bool:
    """Exercise 1: ``function(betas)`` -> the T weights lambda_t that the variational bound puts on ||eps - eps_theta||²."""
    what = "Exercise 1 (the weights the simple loss drops)"
    verdict = check_function(what, function, "(betas) -> weights")
    if verdict is not None:
        return verdict
    for betas in _weight_cases():
        status, result = attempt(what, function, betas.copy())
        if status != "ok":
            return False
        weights = as_float_array(what, result, betas.shape)
        if weights is None:
            return False
        expected = reference_elbo_weights(betas)
        if np.allclose(weights, expected, rtol=1e-4, atol=0):
            continue
        alphas = 1.0 - betas
        alpha_bars = np.cumprod(alphas)
        alpha_bars_prev = np.concatenate([[1.0], alpha_bars[:-1]])
        with np.errstate(divide="ignore", invalid="ignore"):
            posterior = betas * (1 - alpha_bars_prev) / (1 - alpha_bars)
            wrong = [
                (2 * expected, "you left out the 1/2 of the Gaussian KL: (mu - mu_theta)² / (2 sigma²)."),
                (betas**2 / (2 * alphas * (1 - alpha_bars)), "you did not divide by sigma_t² = beta_t."),
                (betas / (2 * alpha_bars * (1 - alpha_bars)), "alpha_t (this step's 1 - beta_t) belongs in the denominator, "
                                                              "not alpha_bar_t (the running product)."),
                (betas / (2 * alphas * betas), "1 - alpha_bar_t (the running product), not 1 - alpha_t = beta_t."),
                (betas / (2 * np.sqrt(alphas) * np.sqrt(1 - alpha_bars)), "the square roots in mu_theta are squared in the loss: "
                                                                          "alpha_t (1 - alpha_bar_t), no square roots."),
                (betas**2 / (2 * posterior * alphas * (1 - alpha_bars)), "the exercise fixes sigma_t² = beta_t (Ho et al.'s "
                                                                         "choice), not the posterior variance."),
                (np.ones_like(betas), "that is the SIMPLE loss's weighting (all ones); the bound's weights vary with t."),
            ]
        hint = next((message for wrong_weights, message in wrong if np.allclose(weights, wrong_weights, rtol=1e-4, equal_nan=True)),
                    "lambda_t = beta_t² / (2 sigma_t² alpha_t (1 - alpha_bar_t)) with sigma_t² = beta_t and alpha_bar_t = prod of alpha_s for s <= t.")
        first = int(np.argmax(~np.isclose(weights, expected, rtol=1e-4, atol=0)))
        return report(False, f"{what}: for {len(betas)} betas, weight {first} is {weights[first]:.4g}, expected {expected[first]:.4g}: {hint}")
    if not reveal:
        return report(True, f"{what}: correct ({HIDDEN})")
    linear = reference_elbo_weights(_weight_cases()[0])
    return report(True, f"{what}: correct. For the linear 1,000-step schedule the bound weights step 0 by {linear[0]:.3f} and the last "
                        f"step by {linear[-1]:.4f}, {linear[0] / linear[-1]:.0f} times less: the simple loss (all weights 1) moves "
                        "the training effort towards the noisy steps, where the model learns the shapes of the samples.")


# ----------------------------------------------------------------------------- Exercise 2: DDIM run backwards


def reference_ddim_invert(x_prev, eps, t_prev, t, alpha_bars):
    """One deterministic DDIM step UP the noise levels, from t_prev (-1 = clean data) to t > t_prev."""
    alpha_bars = np.asarray(alpha_bars, dtype="float64")
    alpha_bar_prev = 1.0 if t_prev < 0 else alpha_bars[t_prev]
    x0 = (np.asarray(x_prev, "float64") - math.sqrt(1 - alpha_bar_prev) * eps) / math.sqrt(alpha_bar_prev)
    return math.sqrt(alpha_bars[t]) * x0 + math.sqrt(1 - alpha_bars[t]) * eps


INVERT_CASES = [(-1, 0), (-1, 199), (0, 50), (49, 99), (150, 199), (198, 199)]


def check_ddim_invert(function, *, reveal: bool = True) -> bool:
    """Exercise 2: ``function(x_prev, eps, t_prev, t, alpha_bars)`` -> x_t, one deterministic DDIM step towards the noise."""
    from .. import diffusion

    what = "Exercise 2 (DDIM run backwards)"
    verdict = check_function(what, function, "(x_prev, eps, t_prev, t, alpha_bars) -> x_t")
    if verdict is not None:
        return verdict
    alpha_bars = diffusion.make_schedule("cosine", 200).alpha_bars
    rng = np.random.default_rng(10)
    for t_prev, t in INVERT_CASES:
        x_prev, eps = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
        status, result = attempt(what, function, x_prev.copy(), eps.copy(), t_prev, t, alpha_bars.copy())
        if status != "ok":
            return False
        x_t = as_float_array(what, result, x_prev.shape)
        if x_t is None:
            return False
        expected = reference_ddim_invert(x_prev, eps, t_prev, t, alpha_bars)
        if np.allclose(x_t, expected, rtol=1e-5, atol=1e-6):
            continue
        a_prev = 1.0 if t_prev < 0 else alpha_bars[t_prev]
        a_t = alpha_bars[t]
        x0 = (x_prev - math.sqrt(1 - a_prev) * eps) / math.sqrt(a_prev)
        wrong = [
            (math.sqrt(a_prev) * ((x_prev - math.sqrt(1 - a_t) * eps) / math.sqrt(a_t)) + math.sqrt(1 - a_prev) * eps,
             "that is the ordinary DDIM step, from t DOWN to t_prev; here x_prev is the less noisy input and you go UP to t."),
            (a_t * x0 + (1 - a_t) * eps, "the coefficients are square roots: sqrt(alpha_bar_t) and sqrt(1 - alpha_bar_t)."),
            (math.sqrt(a_t) * x_prev + math.sqrt(1 - a_t) * eps, "first recover x0_hat from x_prev (divide out sqrt(alpha_bar_prev) "
                                                                 "after removing the noise), then re-noise it to level t."),
            (math.sqrt(a_t) * x0, "the noise direction eps must be added back: + sqrt(1 - alpha_bar_t) * eps."),
        ]
        if t_prev < 0:
            wrong.append((math.sqrt(a_t) * ((x_prev - math.sqrt(1 - alpha_bars[-1]) * eps) / math.sqrt(alpha_bars[-1]))
                          + math.sqrt(1 - a_t) * eps,
                          "t_prev = -1 means the clean data: alpha_bar_prev = 1 there, not alpha_bars[-1] (the LAST step's)."))
        hint = next((message for wrong_x, message in wrong if np.allclose(x_t, wrong_x, rtol=1e-5, atol=1e-6)),
                    "x0_hat = (x_prev - sqrt(1 - alpha_bar_prev) eps) / sqrt(alpha_bar_prev), then sqrt(alpha_bar_t) x0_hat + "
                    "sqrt(1 - alpha_bar_t) eps (alpha_bar_prev = 1 when t_prev = -1).")
        return report(False, f"{what}: from t_prev={t_prev} to t={t} your x_t differs from the expected one: {hint}")
    if not reveal:
        return report(True, f"{what}: correct ({HIDDEN})")
    return report(True, f"{what}: correct. Run with the model's noise prediction from t_prev = -1 up to the last step, it maps a "
                        "data point to the noise that DDIM decodes back into it (up to the model's error): a deterministic encoder, "
                        "used for image editing.")


# ----------------------------------------------------------------------------- Exercise 3: experiment, no time input

EXPERIMENT_STEPS = 3000  # training steps per run (batch 256): seconds on a CPU
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
def _reference_runs() -> tuple[dict, dict]:
    """The reference runs with and without t (trained once per session: they do not depend on the answer)."""
    import keras

    keras.utils.set_random_seed(0)
    with_time = time_experiment(reference_denoiser(use_time=True))
    keras.utils.set_random_seed(0)
    return with_time, time_experiment(reference_denoiser(use_time=False))


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
    print(f"Training three small 2-D denoisers for {EXPERIMENT_STEPS} steps each (~10-30 s)...")
    with_time, blind = _reference_runs()
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
    return report(True, f"{what}: correct, and the effect is measured (training loss, share of samples within 3 spreads of a "
                        f"mode): with t {with_time['loss']:.3f} and {with_time['near_mode']:.0%}, without t (reference) "
                        f"{blind['loss']:.3f} and {blind['near_mode']:.0%}, yours {yours['loss']:.3f} and {yours['near_mode']:.0%}. "
                        "Without t the network must guess how much noise a point carries from the point alone; the same point "
                        "can be a clean sample or a very noisy one, so its guess averages over noise levels and the reverse "
                        "steps remove the wrong amount of noise.")

