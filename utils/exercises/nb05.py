"""Checkers for notebook 05 · A GAN from scratch on 2-D data."""

from __future__ import annotations

import functools
import math

import numpy as np

from . import as_number, attempt, check_function, report, to_array

HIDDEN = "what it measures is printed when you run your own answer in the cell above"


# ----------------------------------------------------------------------------- Exercise 2: the value at the optimum is a JSD


def _xlogy(x, y):
    """x * log(y) with 0 * log(anything) = 0 (the convention of every expectation below)."""
    x, y = np.asarray(x, "float64"), np.asarray(y, "float64")
    return np.where(x > 0, x * np.log(np.where(x > 0, y, 1.0)), 0.0)


def reference_value_and_jsd(p_data, p_g) -> tuple[float, float]:
    """(V(D*, G), JSD(p_data || p_g)) in nats for two distributions over the same bins.

    V(D*, G) = sum p_data log D* + sum p_g log(1 - D*), with D* = p_data / (p_data + p_g);
    JSD = 1/2 KL(p_data || m) + 1/2 KL(p_g || m), with m = (p_data + p_g) / 2.
    """
    p, q = np.asarray(p_data, "float64"), np.asarray(p_g, "float64")
    total = np.where(p + q > 0, p + q, 1.0)
    value = float(np.sum(_xlogy(p, p / total)) + np.sum(_xlogy(q, q / total)))
    m = (p + q) / 2
    jsd = float(0.5 * np.sum(_xlogy(p, p / np.where(m > 0, m, 1.0))) + 0.5 * np.sum(_xlogy(q, q / np.where(m > 0, m, 1.0))))
    return value, jsd


def _distribution_pairs():
    """Pairs over the ring's 8 modes: overlapping (all bins > 0) first, then cases with empty bins."""
    rng = np.random.default_rng(5)
    uniform = np.full(8, 1 / 8)
    collapsed = np.eye(8)[0]
    half_a, half_b = np.r_[np.full(4, 0.25), np.zeros(4)], np.r_[np.zeros(4), np.full(4, 0.25)]
    partial_a = np.r_[rng.dirichlet(np.ones(6)), 0, 0]
    partial_b = np.r_[0, 0, 0, rng.dirichlet(np.ones(5))]
    return [
        ("two overlapping distributions", rng.dirichlet(np.ones(8)), rng.dirichlet(np.ones(8))),
        ("p_g = p_data", uniform, uniform.copy()),
        ("a generator collapsed on one of the 8 modes", uniform, collapsed),
        ("supports that overlap on 3 modes", partial_a, partial_b),
        ("disjoint supports (modes 0-3 vs 4-7)", half_a, half_b),
    ]


def _value_variants(p, q):
    """V(D, G) computed with the usual mistakes (every bin > 0, so each is finite)."""
    d_star = p / (p + q)
    return [
        (float(np.sum(p * np.log(0.5)) + np.sum(q * np.log(0.5))),
         "that is V at D = 1/2, which is optimal only where p_g = p_data; use D* = p_data / (p_data + p_g)."),
        (float(np.sum(p * np.log(1 - d_star)) + np.sum(q * np.log(d_star))),
         "D* is swapped: D outputs the probability that x is REAL, D* = p_data / (p_data + p_g)."),
        (-reference_value_and_jsd(p, q)[0], "that is -V, the discriminator's loss; the value function is V itself (at most 0)."),
        (float(np.mean(p * np.log(d_star)) + np.mean(q * np.log(1 - d_star))),
         "an expectation over bins is a sum weighted by the probabilities (sum p_data * log D*), not a mean over the bins."),
        (float(np.sum(np.log(d_star)) + np.sum(np.log(1 - d_star))),
         "weight each bin: E_p_data[log D*] = sum p_data * log D*, E_p_g[log(1 - D*)] = sum p_g * log(1 - D*)."),
        (float(np.sum(p * np.log(d_star)) + np.sum(q * np.log(1 - d_star))) / np.log(2), "use natural logs (nats), not bits."),
    ]


def _jsd_variants(p, q):
    """JSD computed with the usual mistakes."""
    m = (p + q) / 2
    kl_pm, kl_qm = float(np.sum(p * np.log(p / m))), float(np.sum(q * np.log(q / m)))
    return [
        ((kl_pm + kl_qm) / 2 / np.log(2), "that is the JSD in bits; use natural logs (nats), as V does."),
        (kl_pm + kl_qm, "JSD = 1/2 KL(p_data || m) + 1/2 KL(p_g || m): the halves are missing."),
        ((kl_pm + kl_qm) / 2 - np.log(2), "the mixture is the AVERAGE m = (p_data + p_g) / 2, not the sum."),
        (kl_pm, "that is only KL(p_data || m); the JSD averages both: 1/2 KL(p_data || m) + 1/2 KL(p_g || m)."),
        (0.5 * float(np.sum(p * np.log(p / q)) + np.sum(q * np.log(q / p))),
         "that is the symmetrised KL between p_data and p_g; the JSD compares each with the mixture m = (p_data + p_g) / 2 "
         "(and stays finite where one of them is 0)."),
        (float(np.mean(p * np.log(p / m)) + np.mean(q * np.log(q / m))) / 2,
         "KL(p || m) is a sum weighted by p (sum p * log(p / m)), not a mean over the bins."),
        (-(kl_pm + kl_qm) / 2, "the sign is flipped: a KL divergence, and so the JSD, is at least 0."),
    ]


def check_value_and_jsd(function, *, reveal: bool = True) -> bool:
    """Exercise 2: ``function(p_data, p_g)`` -> (V(D*, G), JSD(p_data || p_g)) in nats for two distributions over bins."""
    what = "Exercise 2 · the game's value at the optimal discriminator"
    verdict = check_function(what, function, "(p_data, p_g) -> (value, jsd)")
    if verdict is not None:
        return verdict
    lines = []
    for name, p, q in _distribution_pairs():
        status, result = attempt(what, function, p.copy(), q.copy())
        if status != "ok":
            return False
        pair = None if isinstance(result, (str, bytes, dict)) else to_array(result, "float64")
        if pair is None or pair.shape != (2,):
            shown = type(result).__name__ if pair is None else f"shape {pair.shape}"
            return report(False, f"{what}: expected a pair of numbers (value, jsd), got {shown}.")
        value, jsd = float(pair[0]), float(pair[1])
        expected_value, expected_jsd = reference_value_and_jsd(p, q)
        value_ok = math.isclose(value, expected_value, rel_tol=1e-6, abs_tol=1e-9)
        jsd_ok = math.isclose(jsd, expected_jsd, rel_tol=1e-6, abs_tol=1e-9)
        if value_ok and jsd_ok:
            lines.append((name, expected_value, expected_jsd))
            continue
        case = f"for {name}"
        if math.isclose(value, expected_jsd, rel_tol=1e-6, abs_tol=1e-9) and math.isclose(jsd, expected_value, rel_tol=1e-6, abs_tol=1e-9):
            return report(False, f"{what}: {case} the pair is swapped: return (value, jsd), the value first.")
        if not (np.isfinite(value) and np.isfinite(jsd)):
            if np.all((p > 0) & (q > 0)):
                return report(False, f"{what}: {case} you returned ({value:.4g}, {jsd:.4g}): take the logs of probabilities, "
                                     "not of 0 or of negative numbers.")
            return report(False, f"{what}: {case} you returned ({value:.4g}, {jsd:.4g}), but both are finite: where a bin has "
                                 "probability 0, its term 0 * log(...) counts as 0 (D* = 0 there has weight p_data = 0, and "
                                 "m > 0 wherever p > 0). Sum only over bins with p > 0 (np.where), and keep the JSD's mixture "
                                 "in the denominator, never the other distribution.")
        if not jsd_ok:
            hint = "JSD = 1/2 sum p_data log(p_data / m) + 1/2 sum p_g log(p_g / m), with m = (p_data + p_g) / 2, in nats."
            if np.all((p > 0) & (q > 0)):
                hint = next((message for wrong, message in _jsd_variants(p, q) if math.isclose(jsd, wrong, rel_tol=1e-6, abs_tol=1e-9)),
                            hint)
            return report(False, f"{what}: {case} your JSD is {jsd:.5g}, expected {expected_jsd:.5g}: {hint}")
        hint = "V(D*, G) = sum p_data log D* + sum p_g log(1 - D*), with D* = p_data / (p_data + p_g), in nats."
        if np.all((p > 0) & (q > 0)):
            hint = next((message for wrong, message in _value_variants(p, q) if math.isclose(value, wrong, rel_tol=1e-6, abs_tol=1e-9)),
                        hint)
            if math.isclose(value, 2 * expected_jsd, rel_tol=1e-6, abs_tol=1e-9):
                hint = ("that is 2 JSD without the - log 4: compute V from D* itself, and compare it with 2 JSD - log 4 "
                        "afterwards.")
        return report(False, f"{what}: {case} your V(D*, G) is {value:.5g}, expected {expected_value:.5g}: {hint}")
    if not reveal:
        return report(True, f"{what}: correct ({HIDDEN})")
    shown = "; ".join(f"{name}: V = {value:.3f}, JSD = {jsd:.3f}" for name, value, jsd in lines[1:])
    return report(True, f"{what}: correct on {len(lines)} pairs, and V(D*, G) = 2 JSD - log 4 every time ({shown}). "
                        f"Disjoint supports give the maximum, JSD = log 2 = {math.log(2):.3f}, however far apart the two are: "
                        "once D separates real from fake completely, the JSD no longer says how far the fakes are "
                        "(notebook 07's Wasserstein distance does).")


# ----------------------------------------------------------------------------- Exercise 3: log(1 - D) from a logit, stably

STABLE_LOGITS = np.array([-1000, -100, -30, -5, -1, -1e-3, 0, 1e-3, 1, 5, 17, 20, 40, 88, 100, 1000], "float32")


def reference_log_one_minus_d(logits) -> np.ndarray:
    """log(1 - sigmoid(l)) = -softplus(l) = -(max(l, 0) + log1p(exp(-|l|))), in float64."""
    logits = np.asarray(logits, "float64")
    return -(np.maximum(logits, 0.0) + np.log1p(np.exp(-np.abs(logits))))


def check_log_one_minus_d(function) -> bool:
    """Exercise 3: ``function(logits)`` -> log(1 - sigmoid(logit)) for each logit of a float32 array, finite and exact
    from -1000 to 1000 (NumPy, without tf.math.log_sigmoid)."""
    what = "Exercise 3 · log(1 - D) from a logit, without overflow"
    verdict = check_function(what, function, "(logits) -> array of log(1 - sigmoid(logits))")
    if verdict is not None:
        return verdict
    logits = STABLE_LOGITS
    status, result = attempt(what, function, logits.copy())
    if status != "ok":
        return False
    values = None if isinstance(result, (str, bytes, dict)) else to_array(result, "float64")
    if values is None or values.shape != logits.shape:
        shown = type(result).__name__ if values is None else f"shape {values.shape}"
        return report(False, f"{what}: expected one value per logit, an array of shape {logits.shape}, got {shown}.")
    expected = reference_log_one_minus_d(logits)
    close = np.isclose(values, expected, rtol=1e-5, atol=1e-6)
    if np.all(close):
        return report(True, f"{what}: correct, finite and exact from l = -1000 to l = 1000.")
    bad = logits[~close]
    x = logits.astype("float64")
    variants = [
        (-(np.maximum(-x, 0.0) + np.log1p(np.exp(-np.abs(x)))), "that is log D = log sigmoid(l); the minimax generator loss needs "
                                                                "log(1 - D) = log sigmoid(-l)."),
        (-expected, "the sign is flipped: 1 - D is a probability, so log(1 - D) <= 0 (it is -softplus(l))."),
        (-np.maximum(x, 0.0), "max(l, 0) alone is only the limit for large |l|; add the correction log1p(exp(-|l|)) "
                              "(at l = 0, log(1 - 1/2) = -log 2)."),
        (np.log(np.clip(1 - 1 / (1 + np.exp(-np.clip(x, -700, 700))), 1e-7, None)),
         "clipping 1 - D at a small number before the log hides the problem instead of solving it: log(1 - sigmoid(l)) = "
         "-softplus(l) = -(max(l, 0) + log1p(exp(-|l|))) is exact everywhere."),
    ]
    for wrong, message in variants:
        if np.allclose(values, wrong, rtol=1e-5, atol=1e-6):
            return report(False, f"{what}: {message}")
    if not np.all(np.isfinite(values)):
        where = ", ".join(f"{v:g}" for v in logits[~np.isfinite(values)])
        return report(False, f"{what}: your values are -inf or NaN at l = {where}. Computed as log(1 - sigmoid(l)), 1 - sigmoid(l) "
                             "rounds to 0 for large l (float32 from about l = 17, float64 from l = 37); computed as "
                             "-log(1 + exp(l)), exp overflows. Use log(1 - sigmoid(l)) = -softplus(l) = "
                             "-(max(l, 0) + log1p(exp(-|l|))): exp of a number <= 0 never overflows.")
    worst = int(np.argmax(np.abs(values - expected)))
    return report(False, f"{what}: wrong at l = {', '.join(f'{v:g}' for v in bad)}; e.g. l = {logits[worst]:g} gives "
                         f"{values[worst]:.6g}, expected {expected[worst]:.6g}. For large l the answer is about -l, for very negative l "
                         "about -exp(l): a cap, a clip or a rounded 1 - sigmoid(l) loses it. Use -(max(l, 0) + log1p(exp(-|l|))), "
                         "exact for every l.")


# ----------------------------------------------------------------------------- Exercise 4: modes covered


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


def reference_train_gan(*, pack: int = 1, d_learning_rate: float | None = None, seed: int = 0, num_steps: int | None = None) -> np.ndarray:
    """The notebook's GAN on the ring (non-saturating loss, slow discriminator by default); with ``pack`` > 1 the
    discriminator judges ``pack`` points side by side (PacGAN); ``num_steps`` defaults to ``EXPERIMENT["num_steps"]``.
    Returns the generated points for the fixed noise."""
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

    for _ in range(settings["num_steps"] if num_steps is None else num_steps):
        train_step()
    return generator(eval_noise).numpy()


@functools.cache
def reference_points(seed: int = 0, num_steps: int | None = None) -> dict:
    """Generated points of the slow-discriminator GAN without (pack 1) and with PacGAN (``EXPERIMENT["pack"]``)."""
    return {pack: reference_train_gan(pack=pack, seed=seed, num_steps=num_steps) for pack in (1, EXPERIMENT["pack"])}


def reference_runs(seed: int = 0, num_steps: int | None = None) -> dict:
    """Mode coverage of the slow-discriminator GAN without (pack 1) and with PacGAN (``EXPERIMENT["pack"]``)."""
    from .. import metrics

    _, modes, _ = experiment_data()
    return {pack: metrics.mode_coverage(points, modes, EXPERIMENT["mode_std"])
            for pack, points in reference_points(seed, num_steps).items()}


def check_pacgan_experiment(experiment, *, num_steps: int | None = None, reveal: bool = True) -> bool:
    """Exercise 1 (experiment): ``experiment(points, noise, seed, num_steps)`` trains the slow-discriminator GAN on ``points``
    for ``num_steps`` generator updates with a discriminator that judges pairs of points (PacGAN, sizes in ``EXPERIMENT``)
    and returns ``generator(noise)``; judged by mass-weighted coverage against reference runs of the same size with and
    without packing. ``num_steps`` defaults to ``EXPERIMENT["num_steps"]`` (3,000, where the references differ by far more
    than the tolerance); at a smoke size where they do not (CI), the run is judged by which reference it reproduces.

    Example: ``ex.check_pacgan_experiment(my_experiment, num_steps=3000)``
    """
    what = "Exercise 1 · experiment: PacGAN"
    verdict = check_function(what, experiment, "(points, noise, seed, num_steps) -> generated points of shape (N, 2)")
    if verdict is not None:
        return verdict
    from .. import metrics

    num_steps = EXPERIMENT["num_steps"] if num_steps is None else int(num_steps)
    points, modes, noise = experiment_data()
    status, result = attempt(what, experiment, points.copy(), noise.copy(), EXPERIMENT["seed"], num_steps)
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
    references = reference_runs(EXPERIMENT["seed"], num_steps)
    alone, packed = references[1], references[EXPERIMENT["pack"]]

    def line(name, result):
        return (f"{name}: mass covered {result['mass_covered']:.2f}, modes with a real share {result['modes_with_share']}/8, "
                f"modes touched {result['modes_covered']}/8")

    summary = (f"after {num_steps} steps, {line('your run', measured)} · {line('reference with pairs', packed)} · "
               f"{line('reference without packing', alone)}")
    if measured["modes_covered"] >= 6 and measured["high_quality"] < 0.3 and packed["high_quality"] >= 0.3:
        return report(False, f"{what}: your points touch {measured['modes_covered']} modes but only {measured['high_quality']:.0%} "
                             f"lie near one: that is what spread-out noise looks like, not a trained generator. {summary}")
    if packed["mass_covered"] < alone["mass_covered"] + 0.2:  # a smoke-sized run: the references do not separate yet
        reference = reference_points(EXPERIMENT["seed"], num_steps)
        distance = {pack: float(np.mean(np.linalg.norm(samples[: len(points_)] - points_[: len(samples)], axis=1)))
                    if len(samples) == len(points_) else float("inf") for pack, points_ in reference.items()}
        comparison = (f"mean distance of your points to the reference run with pairs {distance[EXPERIMENT['pack']]:.3g}, "
                      f"without packing {distance[1]:.3g}")
        if distance[EXPERIMENT["pack"]] < 0.5 * distance[1]:
            return report(True, f"{what}: after only {num_steps} steps the references do not differ yet, so your run is "
                                f"judged by the one it reproduces: the run with pairs ({comparison}). Run it with "
                                f"num_steps={EXPERIMENT['num_steps']} to measure the effect.")
        if distance[1] < 0.5 * distance[EXPERIMENT["pack"]]:
            return report(False, f"{what}: your run reproduces the slow discriminator WITHOUT packing ({comparison}). "
                                 f"Pass pack={EXPERIMENT['pack']} (and d_learning_rate=SLOW_D_LEARNING_RATE) to train_gan.")
        return report(False, f"{what}: your run reproduces neither reference ({comparison}). Train on `points` with the "
                             f"non-saturating loss, d_learning_rate=SLOW_D_LEARNING_RATE, pack={EXPERIMENT['pack']}, the given "
                             "num_steps and seed, and return generator(noise).numpy().")
    if abs(measured["mass_covered"] - packed["mass_covered"]) <= 0.2 and measured["mass_covered"] >= alone["mass_covered"] + 0.2:
        if not reveal:
            return report(True, f"{what}: correct ({HIDDEN})")
        return report(True, f"{what}: correct. {summary}. The discriminator is as slow as before, but a pair of identical "
                            "points is easy to call fake even where one such point looks real: packing lets D punish a lack "
                            "of variety directly.")
    if abs(measured["mass_covered"] - alone["mass_covered"]) <= 0.1:
        return report(False, f"{what}: your run looks like the slow discriminator WITHOUT packing. {summary}. "
                             f"Pass pack={EXPERIMENT['pack']} (and d_learning_rate=SLOW_D_LEARNING_RATE) to train_gan.")
    return report(False, f"{what}: the measured coverage differs from the reference run. {summary}. Train on `points` with "
                         f"the non-saturating loss, d_learning_rate=SLOW_D_LEARNING_RATE, pack={EXPERIMENT['pack']}, "
                         "the given num_steps and seed, and return generator(noise).numpy().")
