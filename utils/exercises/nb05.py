"""Checkers for notebook 05 · A GAN from scratch on 2-D data."""

from __future__ import annotations

import functools

import numpy as np

from . import as_number, attempt, check_function, is_blank, not_attempted, report, to_array


def check_saturation(answer, *, reveal: bool = True) -> bool:
    """Exercise 2: (d minimax / d logit, d non-saturating / d logit) when D(G(z)) = 0.01.

    ``reveal=False`` (the solution cell) prints no numbers: its output shows before the cell is opened.
    """
    what = "Exercise 2 (gradients when D(G(z)) = 0.01)"
    if is_blank(answer):
        return not_attempted(what)
    try:
        minimax, non_saturating = (float(np.asarray(v)) for v in answer)
    except (TypeError, ValueError):
        return report(False, f"{what}: expected a pair (minimax_gradient, non_saturating_gradient)")
    pair = np.array([minimax, non_saturating])
    if np.allclose(pair, [-0.01, -0.99], atol=1e-3):
        if not reveal:
            return report(True, f"{what}: correct.")
        return report(True, f"{what}: correct. The minimax loss gives a 99x weaker push ({minimax:.3f} vs {non_saturating:.3f}) "
                            "exactly when the generator is worst: that is the saturation.")
    wrong = [
        ([-0.99, -0.01], "the pair is swapped: first the minimax gradient, then the non-saturating one."),
        ([0.01, 0.99], "both signs are flipped: for l = logit, d/dl log(1 - sigmoid(l)) = -sigmoid(l) = -D, and "
                       "d/dl -log sigmoid(l) = -(1 - D)."),
        ([-1 / 0.99, -1 / 0.01], "these are derivatives with respect to D; the exercise asks for the derivative with respect "
                                 "to the LOGIT (take the gradient with respect to the variable that sigmoid is applied to)."),
    ]
    for wrong_pair, message in wrong:
        if np.allclose(pair, wrong_pair, rtol=1e-2, atol=1e-3):
            return report(False, f"{what}: {message}")
    hints = []
    if not np.isclose(minimax, -0.01, atol=1e-3):
        hints.append(f"minimax: d/dl log(1 - sigmoid(l)) = -sigmoid(l) = -D, got {minimax:.4g}")
    if not np.isclose(non_saturating, -0.99, atol=1e-3):
        hints.append(f"non-saturating: d/dl -log sigmoid(l) = -(1 - sigmoid(l)) = -(1 - D), got {non_saturating:.4g}")
    return report(False, f"{what}: " + "; ".join(hints))


def check_optimal_discriminator(answer) -> bool:
    """Exercise 3: D*(x) for p_data(x) = 0.3 and p_g(x) = 0.1."""
    what = "Exercise 3 (optimal discriminator)"
    if is_blank(answer):
        return not_attempted(what)
    value = as_number(what, answer, hint="D*(x) is one number between 0 and 1.")
    if value is None:
        return False
    if np.isclose(value, 0.75, rtol=1e-3):
        return report(True, f"{what}: correct.")  # says no more: a solution cell's output shows before the cell is opened
    wrong = [
        (0.25, "that is p_g / (p_data + p_g), the probability that x is FAKE; D outputs the probability that x is real."),
        (0.5, "D* = 0.5 only where p_data = p_g (a perfect generator); here p_data is three times p_g."),
        (3.0, "that is the ratio p_data / p_g; D is a probability: p_data / (p_data + p_g)."),
        (0.3, "that is p_data alone; D* = p_data / (p_data + p_g)."),
        (1.0, "D* = 1 only where p_g = 0; here the generator also puts density at x."),
    ]
    hint = next((message for wrong_value, message in wrong if np.isclose(value, wrong_value, rtol=1e-3)),
                "Set the derivative p_data / D - p_g / (1 - D) to zero: D*(x) = p_data(x) / (p_data(x) + p_g(x)).")
    return report(False, f"{what}: {value:.4g} (expected about 0.75): {hint}")


def _count_variant(samples, modes, std, *, factor=3.0, metric="euclidean", count="modes") -> float:
    """Modes covered, computed with one of the usual mistakes switched on (for the checker's hints)."""
    difference = np.asarray(samples, "float64")[:, None, :] - np.asarray(modes, "float64")[None, :, :]
    distances = {"euclidean": np.linalg.norm(difference, axis=-1), "box": np.abs(difference).max(axis=-1),
                 "squared": (difference**2).sum(axis=-1)}[metric]
    nearest = distances.argmin(axis=1)
    good = distances.min(axis=1) <= factor * std
    covered = len(np.unique(nearest[good]))
    return {"modes": covered, "samples": int(good.sum()), "fraction": covered / len(modes)}[count]


def check_count_covered(function) -> bool:
    """Exercise 4: ``function(samples, modes, std)`` counts modes with a sample within 3 std of it (nearest mode)."""
    what = "Exercise 4 (modes covered)"
    verdict = check_function(what, function, "(samples, modes, std) -> int")
    if verdict is not None:
        return verdict
    from .. import metrics

    rng = np.random.default_rng(3)
    modes = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0], [2.0, 2.0]], "float32")
    cases = [
        (modes[[0, 0, 1]] + 0.01 * rng.standard_normal((3, 2)), 0.05),  # two modes
        (np.array([[1.0, 1.0], [0.12, 0.0]], "float32"), 0.05),  # one sample far from every mode, one 2.4 std from mode 0
        (modes + 0.12, 0.05),  # all just outside 3 std (0.17 > 0.15), though each coordinate is within
        (modes + 0.12, 0.1),  # the same points, a wider std
        (modes[:3] + np.array([[0.05, 0.0], [0.0, 0.15], [-0.25, 0.0]], "float32"), 0.1),  # 0.5, 1.5 and 2.5 std away
        (modes[[3]] + np.array([[0.4, 0.0]], "float32"), 0.1),  # 4 std away, but its squared distance 0.16 is below 0.3
        (rng.uniform(-0.5, 2.5, (200, 2)).astype("float32"), 0.05),
    ]
    answers = []
    for samples, std in cases:
        status, value = attempt(what, function, samples.copy(), modes.copy(), std)
        if status != "ok":
            return False
        number = as_number(what, value, hint="Return how many modes are covered, e.g. int(len(np.unique(...))).")
        if number is None:
            return False
        answers.append(number)
    expected = [metrics.mode_coverage(samples, modes, std)["modes_covered"] for samples, std in cases]
    wrong = [
        (dict(count="fraction"), "That is the fraction of modes covered; return the count."),
        (dict(count="samples"), "That counts the samples near a mode; count the MODES that received at least one."),
        (dict(factor=1.0), "A sample counts within 3 * std of its mode, not within std."),
        (dict(factor=2.0), "A sample counts within 3 * std of its mode, not within 2 * std."),
        (dict(metric="box"), "Measure the Euclidean distance to the mode (np.linalg.norm), not each coordinate separately."),
        (dict(metric="squared"), "You compared the SQUARED distance with 3 * std; take the square root (np.linalg.norm)."),
    ]
    for number, count in zip(answers, expected):
        if number == count:
            continue
        if number != round(number) and not np.isclose(number, count / len(modes)):
            return report(False, f"{what}: got {number:g}, expected a whole number of modes ({count} here).")
        hint = next((message for options, message in wrong
                     if np.allclose(answers, [_count_variant(s, modes, d, **options) for s, d in cases])),
                    "A mode counts when at least one sample whose *nearest* mode it is lies within 3 std (Euclidean distance).")
        return report(False, f"{what}: got {number:g} for a case with {count} modes covered. {hint}")
    return report(True, f"{what}: correct on {len(cases)} cases; it agrees with utils.metrics.mode_coverage.")


# ----------------------------------------------------------------------------- Exercise 1: the experiment

EXPERIMENT = {"num_points": 20_000, "num_steps": 3000, "latent_dim": 8, "hidden_units": 128, "batch_size": 256,
              "learning_rate": 1e-3, "slow_d_learning_rate": 1e-4, "beta_1": 0.5, "pack": 2, "num_eval": 2000,
              "mode_std": 0.05, "seed": 0}


def experiment_data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ring (as the notebook makes it), its modes, and the fixed noise the generated points are drawn from."""
    from .. import data

    points, _ = data.make_toy_2d("ring", EXPERIMENT["num_points"], seed=0, noise=EXPERIMENT["mode_std"])
    noise = np.random.default_rng(1).standard_normal((EXPERIMENT["num_eval"], EXPERIMENT["latent_dim"])).astype("float32")
    return points, data.toy_modes("ring"), noise


def reference_train_gan(*, pack: int = 1, d_learning_rate: float | None = None, seed: int = 0) -> np.ndarray:
    """The notebook's GAN on the ring (non-saturating loss, slow discriminator by default); with ``pack`` > 1 the
    discriminator judges ``pack`` points side by side (PacGAN). Returns the generated points for the fixed noise."""
    import keras
    import tensorflow as tf

    settings = EXPERIMENT
    points, _, eval_noise = experiment_data()
    d_learning_rate = settings["slow_d_learning_rate"] if d_learning_rate is None else d_learning_rate

    def mlp(input_dim, output_dim):
        hidden = [keras.layers.Dense(settings["hidden_units"], activation="relu") for _ in range(3)]
        return keras.Sequential([keras.Input((input_dim,)), *hidden, keras.layers.Dense(output_dim)])

    keras.utils.set_random_seed(seed)
    generator, discriminator = mlp(settings["latent_dim"], 2), mlp(2 * pack, 1)
    g_optimizer = keras.optimizers.Adam(settings["learning_rate"], beta_1=settings["beta_1"])
    d_optimizer = keras.optimizers.Adam(d_learning_rate, beta_1=settings["beta_1"])
    noise_rng = tf.random.Generator.from_seed(seed)
    data = tf.constant(points)
    batch, latent = settings["batch_size"], settings["latent_dim"]

    def judge(x):
        return discriminator(tf.reshape(x, [-1, 2 * pack]))

    @tf.function
    def train_step():
        real = tf.gather(data, noise_rng.uniform([batch], 0, len(points), dtype=tf.int32))
        with tf.GradientTape() as tape:
            real_logits, fake_logits = judge(real), judge(generator(noise_rng.normal([batch, latent])))
            d_loss = -tf.reduce_mean(tf.math.log_sigmoid(real_logits)) - tf.reduce_mean(tf.math.log_sigmoid(-fake_logits))
        d_optimizer.apply_gradients(zip(tape.gradient(d_loss, discriminator.trainable_weights), discriminator.trainable_weights))
        with tf.GradientTape() as tape:
            g_loss = -tf.reduce_mean(tf.math.log_sigmoid(judge(generator(noise_rng.normal([batch, latent])))))
        g_optimizer.apply_gradients(zip(tape.gradient(g_loss, generator.trainable_weights), generator.trainable_weights))

    for _ in range(settings["num_steps"]):
        train_step()
    return generator(eval_noise).numpy()


@functools.cache
def reference_runs(seed: int = 0) -> dict:
    """Mode coverage of the slow-discriminator GAN without (pack 1) and with PacGAN (``EXPERIMENT["pack"]``)."""
    from .. import metrics

    _, modes, _ = experiment_data()
    return {pack: metrics.mode_coverage(reference_train_gan(pack=pack, seed=seed), modes, EXPERIMENT["mode_std"])
            for pack in (1, EXPERIMENT["pack"])}


def check_pacgan_experiment(experiment, *, reveal: bool = True) -> bool:
    """Exercise 1 (experiment): ``experiment(points, noise, seed)`` trains the slow-discriminator GAN on ``points`` with
    a discriminator that judges pairs of points (PacGAN, sizes in ``EXPERIMENT``) and returns ``generator(noise)``;
    judged by mass-weighted coverage against reference runs with and without packing.

    Example: ``ex.check_pacgan_experiment(my_experiment)``
    """
    what = "Exercise 1 · experiment: PacGAN"
    verdict = check_function(what, experiment, "(points, noise, seed) -> generated points of shape (N, 2)")
    if verdict is not None:
        return verdict
    from .. import metrics

    points, modes, noise = experiment_data()
    status, result = attempt(what, experiment, points.copy(), noise.copy(), EXPERIMENT["seed"])
    if status != "ok":
        return False
    samples = to_array(result, "float64")
    if samples is None or samples.ndim != 2 or samples.shape[1] != 2 or len(samples) < 100:
        shown = type(result).__name__ if samples is None else f"shape {samples.shape}"
        return report(False, f"{what}: expected the generated points, an array of shape (N, 2) with N >= 100 "
                             f"(generator(noise).numpy()), got {shown}.")
    if not np.all(np.isfinite(samples)):
        return report(False, f"{what}: the generated points hold NaN or infinity: the training diverged.")
    measured = metrics.mode_coverage(samples, modes, EXPERIMENT["mode_std"])
    references = reference_runs(EXPERIMENT["seed"])
    alone, packed = references[1], references[EXPERIMENT["pack"]]

    def line(name, result):
        return (f"{name}: mass covered {result['mass_covered']:.2f}, modes with a real share {result['modes_with_share']}/8, "
                f"modes touched {result['modes_covered']}/8")

    summary = (f"{line('your run', measured)} · {line('reference with pairs', packed)} · "
               f"{line('reference without packing', alone)}")
    if measured["modes_covered"] >= 6 and measured["high_quality"] < 0.3:
        return report(False, f"{what}: your points touch {measured['modes_covered']} modes but only {measured['high_quality']:.0%} "
                             f"lie near one: that is what spread-out noise looks like, not a trained generator. {summary}")
    if abs(measured["mass_covered"] - packed["mass_covered"]) <= 0.2 and measured["mass_covered"] >= alone["mass_covered"] + 0.2:
        if not reveal:
            return report(True, f"{what}: correct (what it measures is printed when you run your own answer in the cell above)")
        return report(True, f"{what}: correct. {summary}. The discriminator is as slow as before, but a pair of identical "
                            "points is easy to call fake even where one such point looks real: packing lets D punish a lack "
                            "of variety directly.")
    if abs(measured["mass_covered"] - alone["mass_covered"]) <= 0.1:
        return report(False, f"{what}: your run looks like the slow discriminator WITHOUT packing. {summary}. "
                             f"Pass pack={EXPERIMENT['pack']} (and d_learning_rate=SLOW_D_LEARNING_RATE) to train_gan.")
    return report(False, f"{what}: the measured coverage differs from the reference run. {summary}. Train on `points` with "
                         f"the non-saturating loss, d_learning_rate=SLOW_D_LEARNING_RATE, pack={EXPERIMENT['pack']}, "
                         f"num_steps={EXPERIMENT['num_steps']} and the given seed, and return generator(noise).numpy().")
