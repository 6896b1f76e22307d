"""Checkers for notebook 07 · Conditional GAN and Wasserstein GAN with gradient penalty."""

from __future__ import annotations

import functools
import math

import numpy as np

from . import as_number, attempt, check_function, is_blank, not_attempted, report, to_array

HIDDEN = "what it measures is printed when you run your own answer in the cell above"

# ----------------------------------------------------------------------------- Exercise 1: the Wasserstein distance in 1-D


def reference_wasserstein_1d(x, y) -> float:
    """W1 between two equal-size 1-D samples: match them by rank (sort both) and average the distances."""
    return float(np.mean(np.abs(np.sort(np.asarray(x, "float64")) - np.sort(np.asarray(y, "float64")))))


def _sample_pairs():
    rng = np.random.default_rng(7)
    x = rng.standard_normal(500)
    return [
        ("N(0, 1) and the same points moved by +3", x, rng.permutation(x + 3.0)),
        ("N(0, 1) and the same points with twice the spread", x, rng.permutation(x.mean() + 2.0 * (x - x.mean()))),  # same mean
        ("U(0, 1) and U(10, 11), disjoint", rng.uniform(0, 1, 500), rng.uniform(10, 11, 500)),
        ("N(0, 1) and an exponential", x, rng.exponential(1.0, 500)),
        ("the same points in another order", x, rng.permutation(x)),
    ]


def check_wasserstein_1d(function, *, reveal: bool = True) -> bool:
    """Exercise 1: ``function(x, y)`` -> the Wasserstein-1 distance between two 1-D samples of the same size."""
    what = "Exercise 1 · the Wasserstein distance in 1-D"
    verdict = check_function(what, function, "(x, y) -> distance")
    if verdict is not None:
        return verdict
    measured = []
    for name, x, y in _sample_pairs():
        status, value = attempt(what, function, x.copy(), y.copy())
        if status != "ok":
            return False
        value = as_number(what, value, hint="The distance is one number: average the distances of the matched pairs.")
        if value is None:
            return False
        expected = reference_wasserstein_1d(x, y)
        if math.isclose(value, expected, rel_tol=1e-6, abs_tol=1e-9):
            measured.append((name, expected, abs(float(np.mean(x) - np.mean(y)))))
            continue
        sx, sy = np.sort(x), np.sort(y)
        wrong = [
            (float(np.mean(np.abs(x - y))), "you paired the samples in the order given; W1 moves each point of x to the point "
                                            "of y with the same RANK: sort both, then pair them."),
            (float(np.mean(np.abs(sx - y))), "sort BOTH samples before pairing them, not just x."),
            (float(np.mean(np.abs(x - sy))), "sort BOTH samples before pairing them, not just y."),
            (float(np.mean(np.abs(sx - sy[::-1]))), "sort both the same way (both ascending): the smallest of x moves to the "
                                                    "smallest of y."),
            (float(np.mean((sx - sy) ** 2)), "that is the mean SQUARED distance (W2 squared); W1 averages |x - y|."),
            (float(np.sqrt(np.mean((sx - sy) ** 2))), "that is W2, the root of the mean squared distance; W1 averages |x - y|."),
            (abs(float(np.mean(x) - np.mean(y))), "that is the difference of the means, what the best LINEAR critic f(x) = x "
                                                  "measures; it is only a lower bound on W1 (0 when only the spread changes)."),
            (float(np.mean(sx - sy)), "take the absolute value of each matched difference; signed differences cancel."),
            (float(np.max(np.abs(sx - sy))), "that is the largest matched distance; W1 is their average."),
            (float(np.sum(np.abs(sx - sy))), "that is the total over the pairs; W1 is their average (each point carries mass 1/N)."),
        ]
        hint = next((message for wrong_value, message in wrong if math.isclose(value, wrong_value, rel_tol=1e-6, abs_tol=1e-9)),
                    "W1 between two samples of the same size: sort both, pair them by rank, average |x_i - y_i|.")
        return report(False, f"{what}: for {name} you gave {value:.4g}, expected {expected:.4g}: {hint}")
    if not reveal:
        return report(True, f"{what}: correct ({HIDDEN})")
    shown = "; ".join(f"{name}: W1 = {distance:.2f}, difference of means {means:.2f}" for name, distance, means in measured[:3])
    return report(True, f"{what}: correct on {len(measured)} pairs ({shown}). W1 grows with the distance even between "
                        "disjoint samples, where the JSD is stuck at log 2 (notebook 05, Exercise 2), and it sees a change of "
                        "spread that a linear critic (difference of means) misses: the critic needs its hidden layers.")


# ----------------------------------------------------------------------------- Exercise 2: where the penalty is taken


def _image_pairs(count=256, seed=3):
    rng = np.random.default_rng(seed)
    real = rng.uniform(-1, 1, (count, 28, 28, 1)).astype("float32")
    fake = np.tanh(rng.normal(0, 1, (count, 28, 28, 1))).astype("float32")
    return real, fake


def mixing_weights(real, fake, mixed) -> tuple[np.ndarray, np.ndarray]:
    """Per image, the alpha that puts alpha * real + (1 - alpha) * fake nearest to ``mixed``, and how far ``mixed`` is from
    that segment's line (relative to the distance between the real and the fake image)."""
    real, fake, mixed = (np.asarray(a, "float64").reshape(len(real), -1) for a in (real, fake, mixed))
    direction = real - fake
    length2 = np.sum(direction**2, axis=1)
    alpha = np.sum((mixed - fake) * direction, axis=1) / length2
    off_line = np.linalg.norm(mixed - fake - alpha[:, None] * direction, axis=1) / np.sqrt(length2)
    return alpha, off_line


def check_penalty_points(function, *, reveal: bool = True) -> bool:
    """Exercise 2: ``function(real, fake, rng)`` -> the points x_hat where the gradient penalty is taken, for image batches
    (N, 28, 28, 1): one alpha ~ U(0, 1) per image, drawn with the NumPy generator ``rng``."""
    what = "Exercise 2 · where the penalty is taken"
    verdict = check_function(what, function, "(real, fake, rng) -> mixed images of shape (N, 28, 28, 1)")
    if verdict is not None:
        return verdict
    real, fake = _image_pairs()
    status, result = attempt(what, function, real.copy(), fake.copy(), np.random.default_rng(0))
    if status != "ok":
        return False
    mixed = to_array(result, "float64")
    if mixed is None or mixed.shape != real.shape:
        shown = type(result).__name__ if mixed is None else f"shape {mixed.shape}"
        return report(False, f"{what}: expected one mixed image per pair, an array of shape {real.shape}, got {shown}.")
    if not np.all(np.isfinite(mixed)):
        return report(False, f"{what}: your points hold NaN or infinity.")
    alpha, off_line = mixing_weights(real, fake, mixed)
    if np.median(off_line) > 1e-3:
        low, high = np.minimum(real, fake), np.maximum(real, fake)
        if np.mean((mixed >= low - 1e-6) & (mixed <= high + 1e-6)) > 0.99:  # every pixel between its real and fake value
            return report(False, f"{what}: your points lie off the straight line between each real and fake image: that is "
                                 "what one alpha PER PIXEL does (rng.uniform(size=real.shape)). Draw one alpha per image, "
                                 "shape (N, 1, 1, 1), so that the whole image moves along the line.")
        return report(False, f"{what}: your points are not of the form alpha * real + (1 - alpha) * fake (typical distance "
                             f"from that line {np.median(off_line):.2f} of the real-fake distance).")
    if np.std(alpha) < 1e-4:
        if np.allclose(alpha, 1.0, atol=1e-4):
            return report(False, f"{what}: every x_hat is the real image itself (alpha = 1): the penalty must be taken "
                                 "BETWEEN real and fake.")
        if np.allclose(alpha, 0.0, atol=1e-4):
            return report(False, f"{what}: every x_hat is the fake image itself (alpha = 0): the penalty must be taken "
                                 "BETWEEN real and fake.")
        if np.allclose(alpha, 0.5, atol=1e-4):
            return report(False, f"{what}: alpha = 0.5 for every image: only midpoints are penalised; draw alpha ~ U(0, 1).")
        return report(False, f"{what}: the same alpha ({alpha[0]:.3f}) for the whole batch: that is one draw shared by every "
                             "image (rng.uniform() without a size). Draw one alpha per image, rng.uniform(size=(N, 1, 1, 1)), "
                             "so that each batch covers the whole segment.")
    if alpha.min() < -1e-4 or alpha.max() > 1 + 1e-4:
        return report(False, f"{what}: your alphas range from {alpha.min():.2f} to {alpha.max():.2f}: points outside the segment "
                             "(normal draws?). alpha ~ U(0, 1) keeps every x_hat between its real and its fake image.")
    ordered = np.sort(alpha)
    uniform_gap = float(np.max(np.abs(ordered - (np.arange(len(alpha)) + 0.5) / len(alpha))))  # Kolmogorov-Smirnov statistic
    if uniform_gap > 0.15:
        return report(False, f"{what}: one alpha per image, on the segment, but not uniform on [0, 1] (mean {alpha.mean():.2f}, "
                             f"from {alpha.min():.2f} to {alpha.max():.2f}): draw alpha ~ U(0, 1).")
    status, again = attempt(what, function, real.copy(), fake.copy(), np.random.default_rng(0))
    if status != "ok":
        return False
    again = to_array(again, "float64")
    if again is None or again.shape != mixed.shape or not np.allclose(again, mixed):
        return report(False, f"{what}: right kind of points, but a second call with a generator seeded the same way gave "
                             "other points: draw alpha with the `rng` you are given (rng.uniform), so a run can be repeated.")
    if not reveal:
        return report(True, f"{what}: correct ({HIDDEN})")
    return report(True, f"{what}: correct: one alpha per image, uniform on [0, 1], every x_hat on the line between its real "
                        "and its fake image.")


# ----------------------------------------------------------------------------- Exercise 3: experiment, penalty weight

EXPERIMENT_GP_WEIGHT = 0.1  # the notebook's GP_WEIGHT, the reference the change is measured against
EXPERIMENT_STEPS = 100  # generator updates, 5 critic updates each
EXPERIMENT_HIDDEN = 32
EXPERIMENT_BATCH = 64


@functools.cache
def penalty_experiment(gp_weight: float, *, num_steps: int = EXPERIMENT_STEPS, seed: int = 0) -> dict[str, float]:
    """Train notebook 07's toy WGAN-GP (MLPs, 5x5 grid) with penalty weight ``gp_weight`` for ``num_steps`` generator updates.

    Returns the critic's mean gradient norm at points between real and fake ("gradient_norm", 1 for a 1-Lipschitz critic)
    and its Wasserstein estimate E[f(real)] - E[f(fake)] ("wasserstein_estimate"), both on a fresh batch after training,
    and the mass-weighted mode coverage of 2,000 samples ("mass_covered").
    Example: ``penalty_experiment(0.1)["gradient_norm"]``
    """
    import keras
    import tensorflow as tf
    from keras import layers

    from .. import config, data, gan, metrics

    points, _ = data.make_toy_2d("grid", 4096, seed=0, noise=0.05)
    config.seed_everything(seed)

    def mlp(input_dim, output_dim):
        return keras.Sequential([keras.Input((input_dim,)), *[layers.Dense(EXPERIMENT_HIDDEN, activation="relu") for _ in range(3)],
                                 layers.Dense(output_dim)])

    generator, critic = mlp(8, 2), mlp(2, 1)
    g_opt = keras.optimizers.Adam(1e-3, beta_1=0.5, beta_2=0.9)
    c_opt = keras.optimizers.Adam(1e-3, beta_1=0.5, beta_2=0.9)
    rng = tf.random.Generator.from_seed(seed)
    real_points = tf.constant(points)
    weight = tf.constant(float(gp_weight))

    def real_and_fake():
        real = tf.gather(real_points, rng.uniform([EXPERIMENT_BATCH], 0, len(points), dtype=tf.int32))
        return real, generator(rng.normal([EXPERIMENT_BATCH, 8]))

    @tf.function
    def step():
        for _ in range(5):
            real, fake = real_and_fake()
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(critic(fake)) - tf.reduce_mean(critic(real))
                loss += weight * gan.gradient_penalty(critic, real, fake, alpha=rng.uniform([EXPERIMENT_BATCH]))
            c_opt.apply_gradients(zip(tape.gradient(loss, critic.trainable_weights), critic.trainable_weights))
        with tf.GradientTape() as tape:
            g_loss = -tf.reduce_mean(critic(generator(rng.normal([EXPERIMENT_BATCH, 8]))))
        g_opt.apply_gradients(zip(tape.gradient(g_loss, generator.trainable_weights), generator.trainable_weights))

    for _ in range(num_steps):
        step()
    real, fake = real_and_fake()
    mixed = tf.Variable(0.5 * real + 0.5 * fake)
    with tf.GradientTape() as tape:
        scores = critic(mixed)
    norms = tf.norm(tape.gradient(scores, mixed), axis=1)
    samples = generator(np.random.default_rng(seed + 1).standard_normal((2000, 8)).astype("float32")).numpy()
    return {"gradient_norm": float(tf.reduce_mean(norms)),
            "wasserstein_estimate": float(tf.reduce_mean(critic(real)) - tf.reduce_mean(critic(fake))),
            "mass_covered": metrics.mode_coverage(samples, data.toy_modes("grid"), 0.05)["mass_covered"]}


def check_penalty_experiment(gp_weight, *, reveal: bool = True) -> bool:
    """Exercise 3 (experiment): ``gp_weight`` that REMOVES the penalty; trains the toy WGAN-GP and judges the measured effect."""
    what = "Exercise 3 · experiment: a critic without its penalty"
    if is_blank(gp_weight):
        return not_attempted(what)
    value = as_number(what, gp_weight, hint="The penalty weight lambda is one number.")
    if value is None:
        return False
    if value < 0:
        return report(False, f"{what}: lambda = {value:g} would REWARD steep critics; the penalty is removed with lambda = 0.")
    print(f"Training the toy WGAN-GP for {EXPERIMENT_STEPS} generator steps with the notebook's lambda, without penalty (reference) "
          "and with your lambda (~10-30 s)...")  # the value itself is not printed: a solution cell's output shows before it is opened
    reference, removed = penalty_experiment(EXPERIMENT_GP_WEIGHT), penalty_experiment(0.0)
    yours = penalty_experiment(value)
    measured = (f"critic's gradient norm between real and fake {yours['gradient_norm']:.2f} (reference {reference['gradient_norm']:.2f} "
                f"with lambda = {EXPERIMENT_GP_WEIGHT:g}, {removed['gradient_norm']:.2f} without penalty)")
    if math.isclose(yours["gradient_norm"], removed["gradient_norm"], rel_tol=0.05):
        if not reveal:
            return report(True, f"{what}: correct ({HIDDEN})")
        return report(True, f"{what}: correct, and the effect is measured after {EXPERIMENT_STEPS} generator steps: {measured}; "
                            f"Wasserstein estimate {removed['wasserstein_estimate']:.2f} without penalty vs "
                            f"{reference['wasserstein_estimate']:.2f} with it; mass-weighted coverage {removed['mass_covered']:.2f} vs "
                            f"{reference['mass_covered']:.2f}. Nothing keeps the critic 1-Lipschitz any more: its slopes grow, so its "
                            "'distance' is no longer a Wasserstein estimate on any fixed scale.")
    if math.isclose(value, EXPERIMENT_GP_WEIGHT):
        hint = "that is the notebook's weight, unchanged; removing the penalty means lambda = 0."
    elif value > EXPERIMENT_GP_WEIGHT:
        hint = "a LARGER weight enforces the constraint more strictly (norms nearer 1); removing the penalty means lambda = 0."
    else:
        hint = "a smaller weight still constrains the critic; removing the penalty means lambda = 0."
    return report(False, f"{what}: {measured}: {hint}")
