"""Checkers for notebook 06 · DCGAN on handwritten digits."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import numpy as np

from . import as_number, attempt, check_function, not_attempted, report

HIDDEN = "what it measures is printed when you run your own answer in the cell above"

# ----------------------------------------------------------------------------- Exercise 1: EMA warm-up


def reference_ema_initial_share(num_steps: int, decay: float, warmup: bool) -> float:
    """Share of the initial weights left in the average after ``num_steps`` updates (update t = 1, 2, ... uses
    min(decay, (1 + t) / (10 + t)) with warm-up, ``decay`` without)."""
    steps = np.arange(1, int(num_steps) + 1, dtype="float64")
    decays = np.minimum(decay, (1.0 + steps) / (10.0 + steps)) if warmup else np.full(len(steps), float(decay))
    return float(np.exp(np.sum(np.log(decays))))


# (200, 0.9, True) comes before (5, 0.999, True): there the warm-up decay passes 0.9 after 71 steps, so "max instead of
# min" first fails on a case where max(decay, ramp) differs from decay and its own hint can fire.
EMA_CASES = [(300, 0.999, False), (3100, 0.999, False), (1, 0.999, False), (200, 0.9, True), (5, 0.999, True),
             (40, 0.99, True), (1, 0.999, True)]


def check_ema_initial_share(function, *, reveal: bool = True) -> bool:
    """Exercise 1: ``function(num_steps, decay, warmup)`` -> share of the initial weights still in the EMA."""
    what = "Exercise 1 (what is left of the initial weights)"
    verdict = check_function(what, function, "(num_steps, decay, warmup) -> share")
    if verdict is not None:
        return verdict
    for num_steps, decay, warmup in EMA_CASES:
        status, value = attempt(what, function, num_steps, decay, warmup)
        if status != "ok":
            return False
        value = as_number(what, value, hint="Return one number: the product of the decays of every update.")
        if value is None:
            return False
        expected = reference_ema_initial_share(num_steps, decay, warmup)
        if math.isclose(value, expected, rel_tol=1e-4, abs_tol=1e-300):
            continue
        case = f"for num_steps={num_steps}, decay={decay}, warmup={warmup}"
        steps = np.arange(1, num_steps + 1, dtype="float64")
        wrong = [
            (float(decay) ** num_steps, "that is decay ** num_steps, the share WITHOUT warm-up; with warmup=True each update "
                                        "t = 1, 2, ... uses min(decay, (1 + t) / (10 + t))."),
            (1.0 - expected, "that is the share of everything learnt since; the initial weights keep the product of the decays."),
            ((1.0 - decay) ** num_steps, "each update KEEPS a share `decay` of the old average (and adds 1 - decay of the new "
                                         "weights): multiply the decays, not 1 - decay."),
            (float(np.prod(np.minimum(decay, steps / (9.0 + steps)))) if warmup else float("nan"),
             "off by one: the first update is t = 1 (the optimizer's step counter after its first step), so it uses "
             "min(decay, 2 / 11)."),
            (float(np.prod((1.0 + steps) / (10.0 + steps))) if warmup else float("nan"),
             "you left out the cap: the warm-up decay (1 + t) / (10 + t) is used only while it is below `decay`."),
            (float(np.prod(np.maximum(decay, (1.0 + steps) / (10.0 + steps)))) if warmup else float("nan"),
             "max instead of min: the warm-up uses the SMALLER of decay and (1 + t) / (10 + t)."),
            (float(decay) * num_steps, "the decays multiply, they do not add up."),
        ]
        hint = next((message for wrong_value, message in wrong if math.isclose(value, wrong_value, rel_tol=1e-4, abs_tol=1e-300)),
                    "multiply the decay of every update t = 1 .. num_steps.")
        return report(False, f"{what}: {case} you gave {value:.4g}, expected {expected:.4g}: {hint}")
    if not reveal:
        return report(True, f"{what}: correct ({HIDDEN})")
    return report(True, f"{what}: correct. Without warm-up 0.999 ** 300 = {reference_ema_initial_share(300, 0.999, False):.0%} of "
                        "the random initial weights are still in the average after 300 steps; with the warm-up almost nothing is.")


# ----------------------------------------------------------------------------- Exercise 2: Fréchet distance


def _sqrt_product_trace(cov_a, cov_b) -> float:
    values, vectors = np.linalg.eigh(cov_a)
    sqrt_a = (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T
    middle = sqrt_a @ cov_b @ sqrt_a
    return float(np.sum(np.sqrt(np.clip(np.linalg.eigvalsh((middle + middle.T) / 2), 0, None))))


def reference_frechet_distance(features_a, features_b) -> float:
    """|mu_a - mu_b|^2 + tr(S_a + S_b - 2 (S_a S_b)^(1/2)) of Gaussians fitted to (N, D) feature sets."""
    a, b = np.asarray(features_a, "float64"), np.asarray(features_b, "float64")
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    mean_term = float(np.sum((a.mean(axis=0) - b.mean(axis=0)) ** 2))
    return mean_term + float(np.trace(cov_a) + np.trace(cov_b)) - 2 * _sqrt_product_trace(cov_a, cov_b)


def _feature_sets():
    rng = np.random.default_rng(6)
    mixing_a, mixing_b = rng.normal(size=(4, 4)), rng.normal(size=(4, 4))
    a = rng.normal(size=(3000, 4)) @ mixing_a + np.array([1.0, 0.0, -1.0, 2.0])
    b = rng.normal(size=(3000, 4)) @ mixing_b
    c = rng.normal(size=(3000, 4)) @ mixing_a + np.array([1.5, 0.5, -1.0, 2.0])  # same covariance as a, shifted mean
    return [(a, b), (a, c), (b, b[::-1].copy())]


def check_frechet_distance(function) -> bool:
    """Exercise 2: ``function(features_a, features_b)`` -> Fréchet distance of Gaussians fitted to two (N, D) feature sets."""
    what = "Exercise 2 (Fréchet distance from features)"
    verdict = check_function(what, function, "(features_a, features_b) -> distance")
    if verdict is not None:
        return verdict
    for index, (a, b) in enumerate(_feature_sets()):
        status, value = attempt(what, function, a.copy(), b.copy())
        if status != "ok":
            return False
        value = as_number(what, value, hint="The distance is one number.")
        if value is None:
            return False
        expected = reference_frechet_distance(a, b)
        if math.isclose(value, expected, rel_tol=2e-3, abs_tol=1e-3):
            continue
        cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
        mean_term = float(np.sum((a.mean(axis=0) - b.mean(axis=0)) ** 2))
        traces = float(np.trace(cov_a) + np.trace(cov_b))
        root = _sqrt_product_trace(cov_a, cov_b)
        variance_a, variance_b = np.diag(cov_a), np.diag(cov_b)
        wrong = [
            (mean_term, "that is only the distance between the means; the covariances count too: + tr(S_a + S_b - 2 (S_a S_b)^1/2)."),
            (mean_term + traces, "the cross term is missing: subtract 2 tr((S_a S_b)^1/2)."),
            (mean_term + traces - 2 * float(np.sum(np.sqrt(np.abs(cov_a * cov_b)))),
             "np.sqrt(S_a * S_b) takes element-wise roots; the formula needs the MATRIX square root of the product "
             "S_a @ S_b (e.g. scipy.linalg.sqrtm, or the trace of sqrt of the eigenvalues)."),
            (mean_term + float(np.sum((np.sqrt(variance_a) - np.sqrt(variance_b)) ** 2)),
             "you used the variances only (diagonal covariances); fit full covariance matrices: np.cov(features, rowvar=False)."),
            (math.sqrt(max(expected, 0.0)), "that is the square root; the Fréchet distance here is the SQUARED 2-Wasserstein "
                                             "distance between the Gaussians (as FID is), so do not take the root."),
            (math.sqrt(mean_term) + traces - 2 * root, "the mean term is the SQUARED distance |mu_a - mu_b|^2."),
            (mean_term + traces + 2 * root, "the sign of the cross term: - 2 tr((S_a S_b)^1/2)."),
        ]
        hint = next((message for wrong_value, message in wrong if math.isclose(value, wrong_value, rel_tol=2e-3, abs_tol=1e-3)),
                    "FD = |mu_a - mu_b|^2 + tr(S_a + S_b - 2 (S_a S_b)^1/2), with means and covariances over the rows (samples).")
        if a.shape == b.shape and index == 2:
            hint = "the same points in another order must give 0 (up to rounding). " + hint
        return report(False, f"{what}: got {value:.4f}, expected {expected:.4f}: {hint}")
    return report(True, f"{what}: correct; utils.metrics.frechet_distance computes the same number.")


# ----------------------------------------------------------------------------- Exercise 3: experiment, no warm-up

EXPERIMENT_DECAY = 0.999  # the notebook's old decay: a horizon of ~1,000 steps
EXPERIMENT_STEPS = 300  # a smoke-sized run: width 16, 1,000 training digits, batch 32
EXPERIMENT_SAMPLES = 500
EXPERIMENT_WIDTH = 16
EXPERIMENT_BATCH = 32
EXPERIMENT_LEARNING_RATE = 1e-3  # five times the notebook's, so that 300 steps learn something


def reference_warmup_decay(step):
    """The notebook's warm-up at the experiment's decay: min(EXPERIMENT_DECAY, (1 + step) / (10 + step))."""
    import tensorflow as tf

    step = tf.cast(step, tf.float32)
    return tf.minimum(EXPERIMENT_DECAY, (1.0 + step) / (10.0 + step))


def reference_no_warmup_decay(step):
    """No warm-up: the decay is EXPERIMENT_DECAY from the first update on."""
    return EXPERIMENT_DECAY


def _schedule_value(schedule: Callable, step: int) -> float | None:
    import tensorflow as tf

    try:
        value = schedule(tf.constant(float(step)))
    except Exception:  # retried with a Python number below
        value = schedule(step)
    if value is None:
        return None
    return float(np.asarray(value.numpy() if hasattr(value, "numpy") else value, dtype="float64"))


@functools.cache
def _experiment_data():
    from .. import data, metrics

    x_train, _, x_test, _ = data.load_mnist5k()
    return (x_train[:1000] * 2.0 - 1.0).astype("float32"), metrics.digit_features(x_test)


def ema_experiment(schedules: dict[str, Callable], *, num_steps: int = EXPERIMENT_STEPS, seed: int = 0) -> dict[str, float]:
    """Train one smoke-sized DCGAN (``utils.gan``'s, width 16) for ``num_steps`` and keep one weight average per schedule.

    ``schedules`` maps a name to ``decay(step)`` (step = 1, 2, ... after each generator update). Returns the Fréchet
    digit distance to the held-out digits of the raw generator ("raw"), of the untrained one ("untrained") and of each average.
    Example: ``ema_experiment({"warm-up": reference_warmup_decay})``
    """
    import keras
    import tensorflow as tf

    from .. import config, gan, metrics

    train_images, real_features = _experiment_data()
    config.seed_everything(seed)
    generator = gan.build_dcgan_generator(64, width=EXPERIMENT_WIDTH)
    discriminator = gan.build_dcgan_discriminator(width=EXPERIMENT_WIDTH)
    averages = {}
    for name in schedules:
        averages[name] = gan.build_dcgan_generator(64, width=EXPERIMENT_WIDTH, name="average")
        gan.copy_weights(generator, averages[name])
    untrained = gan.build_dcgan_generator(64, width=EXPERIMENT_WIDTH, name="untrained")
    gan.copy_weights(generator, untrained)
    g_optimizer, d_optimizer = keras.optimizers.Adam(EXPERIMENT_LEARNING_RATE, beta_1=0.5), keras.optimizers.Adam(EXPERIMENT_LEARNING_RATE, beta_1=0.5)
    noise_rng = tf.random.Generator.from_seed(seed)

    @tf.function
    def train_step(real_images):
        batch = tf.shape(real_images)[0]
        with tf.GradientTape() as tape:
            fake_images = generator(noise_rng.normal([batch, 64]), training=True)
            d_loss = gan.discriminator_loss(discriminator(real_images, training=True), discriminator(fake_images, training=True))
        d_optimizer.apply_gradients(zip(tape.gradient(d_loss, discriminator.trainable_weights), discriminator.trainable_weights))
        with tf.GradientTape() as tape:
            g_loss = gan.generator_loss(discriminator(generator(noise_rng.normal([batch, 64]), training=True), training=True))
        g_optimizer.apply_gradients(zip(tape.gradient(g_loss, generator.trainable_weights), generator.trainable_weights))

    names = list(averages)
    pairs = [list(zip(averages[name].weights, generator.weights)) for name in names]

    @tf.function
    def update_averages(decays):  # one exponential moving average per schedule
        for index, name_pairs in enumerate(pairs):
            for average, weight in name_pairs:
                average.assign(decays[index] * average + (1.0 - decays[index]) * weight)

    step_decays = np.array([[_schedule_value(schedules[name], step) for name in names] for step in range(1, num_steps + 1)],
                           dtype="float32")
    order_rng = np.random.default_rng(seed)
    batches = [order_rng.choice(len(train_images), EXPERIMENT_BATCH, replace=False) for _ in range(num_steps)]
    images = tf.constant(train_images)
    for step, batch in enumerate(batches):
        train_step(tf.gather(images, batch))
        update_averages(tf.constant(step_decays[step]))
    noise = np.random.default_rng(seed + 1).standard_normal((EXPERIMENT_SAMPLES, 64)).astype("float32")

    def distance(model):
        return float(metrics.frechet_distance(metrics.digit_features(gan.sample_images(model, noise)), real_features))

    return {"raw": distance(generator), "untrained": distance(untrained), **{name: distance(model) for name, model in averages.items()}}


def check_warmup_experiment(schedule, *, reveal: bool = True) -> bool:
    """Exercise 3 (experiment): ``schedule(step)`` -> the EMA decay WITHOUT warm-up; trains a smoke-sized DCGAN and judges
    the measured effect against the reference run's."""
    what = "Exercise 3 · experiment: drop the warm-up"
    verdict = check_function(what, schedule, "step -> decay")
    if verdict is not None:
        return verdict
    try:
        values = [_schedule_value(schedule, step) for step in (1, 2, 50, 300)]
    except Exception as error:  # the learner's code may fail in any way
        return report(False, f"{what} raised {type(error).__name__}: {error}")
    if any(value is None for value in values):
        return not_attempted(what)
    if not all(np.isfinite(values)) or not all(0.0 <= value <= 1.0 for value in values):
        return report(False, f"{what}: your decays at steps 1, 2, 50, 300 are {values}; a decay is a share between 0 and 1.")
    print(f"Training a width-16 DCGAN for {EXPERIMENT_STEPS} steps with three weight averages (~10-30 s)...")
    measured = ema_experiment({"warm-up": reference_warmup_decay, "no warm-up (reference)": reference_no_warmup_decay,
                               "yours": schedule})
    yours, reference, warm = measured["yours"], measured["no warm-up (reference)"], measured["warm-up"]
    if math.isclose(yours, reference, rel_tol=0.05):
        if not reveal:
            return report(True, f"{what}: correct ({HIDDEN})")
        return report(True, f"{what}: correct, and the effect is measured (FD after {EXPERIMENT_STEPS} steps, lower is better): "
                            f"raw generator {measured['raw']:.0f}, average with warm-up {warm:.0f}, average without warm-up "
                            f"{reference:.0f}, untrained generator {measured['untrained']:.0f}. Without warm-up the average still holds "
                            f"{EXPERIMENT_DECAY ** EXPERIMENT_STEPS:.0%} of the random initial weights, so it draws much like the "
                            "untrained generator: the same start-up bias Adam corrects in its moment estimates.")
    if np.allclose(values, [float(reference_warmup_decay(step)) for step in (1, 2, 50, 300)], atol=1e-6):
        hint = "that is the notebook's warm-up schedule; the experiment asks for the decay WITHOUT warm-up: EXPERIMENT_DECAY at every step."
    elif np.allclose(values, 1.0 - EXPERIMENT_DECAY, atol=1e-6):
        hint = ("you returned 1 - decay, so the average follows the raw generator almost exactly; the decay is the share KEPT "
                "from the old average: EXPERIMENT_DECAY.")
    elif len(set(np.round(values, 9))) == 1:
        hint = (f"your constant decay {values[0]:g} is not the experiment's; use EXPERIMENT_DECAY (= {EXPERIMENT_DECAY}) at every "
                "step, so that only the warm-up changes.")
    else:
        hint = "without warm-up the decay does not depend on the step: return EXPERIMENT_DECAY for every step."
    return report(False, f"{what}: your average scores FD {yours:.0f}, the reference run without warm-up {reference:.0f} "
                         f"(with warm-up {warm:.0f}): {hint}")
