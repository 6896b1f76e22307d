"""Checkers for notebook 03 · Variational autoencoders.

Each checker takes the learner's function, calls it on known inputs, prints what is right
or wrong (and why) and returns True or False. A blank answer (None) prints "not attempted".
"""

from __future__ import annotations

import math

import numpy as np

from . import call_safely, is_blank, not_attempted, report, to_array


def _reference_kl(mean_q, log_var_q, mean_p, log_var_p):
    return 0.5 * np.sum(log_var_p - log_var_q + (np.exp(log_var_q) + (mean_q - mean_p) ** 2) / np.exp(log_var_p) - 1.0, axis=1)




def _one_number(what: str, answer, hint: str = ""):
    """The learner's answer as a float, or None after saying why it is not one finite number."""
    value = None if isinstance(answer, (str, bytes, dict)) else to_array(answer, "float64")
    if value is None or value.size != 1 or not np.isfinite(value).all():
        shown = repr(answer) if value is None or value.size <= 3 else f"an array of shape {value.shape}"
        report(False, f"{what}: expected one finite number, got {shown}. {hint}".strip())
        return None
    return float(value.reshape(()))


def check_kl_diagonal_gaussians(kl_diagonal_gaussians) -> bool:
    """Exercise 1: KL(q || p) between diagonal Gaussians, per row.

    Example: ``ex.check_kl_diagonal_gaussians(my_function)``
    """
    what = "Exercise 1 · KL between diagonal Gaussians"
    if is_blank(kl_diagonal_gaussians):
        return not_attempted(what)
    if not callable(kl_diagonal_gaussians):
        return report(False, f"{what}: expected a function, got {type(kl_diagonal_gaussians).__name__}")
    rng = np.random.default_rng(0)
    mean_q, mean_p = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    log_var_q, log_var_p = rng.normal(scale=0.5, size=(5, 3)), rng.normal(scale=0.5, size=(5, 3))
    zeros = np.zeros((5, 3))
    cases = [
        ("q equal to p", (mean_q, log_var_q, mean_q, log_var_q),
         "KL(q || q) must be 0: check the '- 1' and that the log-variance terms cancel."),
        ("p = N(0, I)", (mean_q, log_var_q, zeros, zeros),
         "with p = N(0, I) this is 0.5 * sum(mean^2 + exp(log_var) - log_var - 1)."),
        ("general q and p", (mean_q, log_var_q, mean_p, log_var_p),
         "remember to divide both the variance of q and the squared mean difference by the variance of p, "
         "and that the inputs are LOG-variances."),
    ]
    for name, arguments, hint in cases:
        ok, answer = call_safely(what, kl_diagonal_gaussians, *(a.copy() for a in arguments))
        if not ok:
            return False
        if is_blank(answer):
            return not_attempted(what)
        expected = _reference_kl(*arguments)
        given = None if isinstance(answer, str) else to_array(answer, "float64")
        if given is None:
            return report(False, f"{what}: expected an array of shape (5,), got {type(answer).__name__}")
        if given.shape != expected.shape:
            return report(False, f"{what} ({name}): expected shape {expected.shape} (one KL per row, summed over latent "
                                 f"dimensions with axis=1), got {given.shape}")
        if not np.all(np.isfinite(given)):
            return report(False, f"{what} ({name}): your KL holds NaN or infinity. The inputs are LOG-variances: the variance "
                                 "is np.exp(log_var), never np.log(log_var).")
        if np.allclose(given, expected, rtol=1e-4, atol=1e-6):
            continue
        mean_q_, log_var_q_, mean_p_, log_var_p_ = arguments
        wrong = [
            (_reference_kl(mean_p_, log_var_p_, mean_q_, log_var_q_), "you computed KL(p || q); KL is not symmetric: the "
                                                                        "variance of p is the one that divides."),
            (2 * expected, "twice the KL: the factor 1/2 in front of the sum is missing."),
            (expected / mean_q.shape[1], "you averaged over the latent dimensions; the KL of independent dimensions is their SUM."),
        ]
        for wrong_value, message in wrong:
            if np.allclose(given, wrong_value, rtol=1e-4, atol=1e-6):
                return report(False, f"{what} ({name}): {message}")
        return report(False, f"{what} ({name}): values differ, e.g. {given[0]:.4f} instead of {expected[0]:.4f}. {hint}")
    return report(True, f"{what}: correct, zero for q = p, the closed form for p = N(0, I), and right in general.")


def reference_importance_weighted_bound(log_px_given_z, log_pz, log_qz) -> np.ndarray:
    """Per-example importance-weighted bound log (1/K) sum_k p(x, z_k) / q(z_k | x) from (K, N) arrays of log-densities."""
    log_weights = np.asarray(log_px_given_z, "float64") + np.asarray(log_pz, "float64") - np.asarray(log_qz, "float64")
    top = log_weights.max(axis=0)
    return top + np.log(np.mean(np.exp(log_weights - top), axis=0))


def _iw_data():
    rng = np.random.default_rng(7)
    num_draws, num_images = 50, 4
    log_px_given_z = -rng.uniform(760, 900, size=(num_draws, num_images))  # nats, as for larger images: exp() underflows to 0
    log_pz = -rng.uniform(20, 30, size=(num_draws, num_images))
    log_qz = log_pz + rng.normal(0.0, 3.0, size=(num_draws, num_images))  # q and p disagree by a few nats
    return log_px_given_z, log_pz, log_qz


def check_importance_weighted_bound(importance_weighted_bound) -> bool:
    """Exercise 2: the importance-weighted bound from K draws per image, computed stably; with K = 1 it is the ELBO.

    Example: ``ex.check_importance_weighted_bound(my_function)``
    """
    what = "Exercise 2 · importance-weighted bound"
    if is_blank(importance_weighted_bound):
        return not_attempted(what)
    if not callable(importance_weighted_bound):
        return report(False, f"{what}: expected a function, got {type(importance_weighted_bound).__name__}")
    log_px_given_z, log_pz, log_qz = _iw_data()
    for name, rows in (("one draw (K = 1)", slice(0, 1)), ("K = 50 draws", slice(None))):
        args = (log_px_given_z[rows], log_pz[rows], log_qz[rows])
        ok, answer = call_safely(what, importance_weighted_bound, *(a.copy() for a in args))
        if not ok:
            return False
        if is_blank(answer):
            return not_attempted(what)
        given = None if isinstance(answer, (str, bytes, dict)) else to_array(answer, "float64")
        expected = reference_importance_weighted_bound(*args)
        if given is None or given.shape != expected.shape:
            return report(False, f"{what} ({name}): expected one bound per image, shape {expected.shape} (reduce over the draws, "
                                 f"axis 0), got {None if given is None else given.shape}.")
        if not np.all(np.isfinite(given)):
            return report(False, f"{what} ({name}): you got -inf or NaN: exp of log-weights below about -745 nats underflows to 0 in float64. Subtract "
                                 "the largest log-weight per image before exp and add it back after the log (log-sum-exp).")
        if np.allclose(given, expected, atol=1e-6):
            continue
        log_weights = args[0] + args[1] - args[2]
        num_draws = log_weights.shape[0]
        wrong = [
            (log_weights.mean(axis=0), "that is the average log-weight, i.e. the ELBO again; the bound is the log of the AVERAGE "
                                       "weight, log mean exp, which is higher (Jensen's inequality)."),
            (expected + np.log(num_draws), "that is log SUM exp; divide the sum of weights by K (subtract log K)."),
            (reference_importance_weighted_bound(args[0], args[1], -args[2]),
             "the sign of log q is wrong: the weight is p(x | z) p(z) / q(z | x), so log q is SUBTRACTED."),
            (reference_importance_weighted_bound(args[0], 0 * args[1], args[2]), "the prior term log p(z) is missing from the weight."),
            (reference_importance_weighted_bound(args[0], args[1], 0 * args[2]), "the encoder's log q(z | x) is missing from the weight."),
        ]
        for wrong_value, message in wrong:
            if np.allclose(given, wrong_value, atol=1e-6):
                return report(False, f"{what} ({name}): {message}")
        return report(False, f"{what} ({name}): expected {np.round(expected, 3).tolist()}, got {np.round(given, 3).tolist()}. Hint: log-weights "
                             "log p(x|z) + log p(z) - log q(z|x), then log-mean-exp over the draws (axis 0), stably.")
    elbo = float(np.mean(log_px_given_z + log_pz - log_qz))
    bound = float(np.mean(reference_importance_weighted_bound(log_px_given_z, log_pz, log_qz)))
    return report(True, f"{what}: correct, with K = 1 it is the ELBO; on these made-up draws K = 50 raises the average bound from "
                        f"{elbo:.1f} to {bound:.1f} nats.")


def check_monte_carlo_kl(monte_carlo_kl) -> bool:
    """Exercise 3: a sampled estimate of KL(q || N(0, I)) must match the closed form within its noise.

    Example: ``ex.check_monte_carlo_kl(my_function)``
    """
    what = "Exercise 3 · Monte-Carlo KL"
    if is_blank(monte_carlo_kl):
        return not_attempted(what)
    if not callable(monte_carlo_kl):
        return report(False, f"{what}: expected a function, got {type(monte_carlo_kl).__name__}")
    mean = np.array([0.5, -1.0, 0.0, 2.0])
    log_var = np.array([0.0, -1.0, 0.7, -0.3])
    exact = float(_reference_kl(mean[None], log_var[None], np.zeros((1, 4)), np.zeros((1, 4)))[0])
    num_samples = 20000
    ok, estimate = call_safely(what, monte_carlo_kl, mean.copy(), log_var.copy(), num_samples, 0)
    if not ok:
        return False
    if is_blank(estimate):
        return not_attempted(what)
    value = _one_number(what, estimate, "Average log q(z) - log p(z) over the samples.")
    if value is None:
        return False
    # the per-sample log-ratio has a standard deviation of a few nats here, so 20,000 draws give about +-0.03
    if abs(value - exact) > 0.1:
        variance, dims = np.exp(log_var), len(mean)
        wrong = [
            (-exact, "You computed log p - log q: flip the sign."),
            (exact / dims, "You averaged over the latent dimensions; sum the log-densities over dimensions, average over samples."),
            # z drawn with standard deviation exp(log_var) instead of exp(log_var / 2): two ways of writing log q
            (0.5 * float(np.sum(mean**2 + variance**2 - log_var - 1)), "The standard deviation is exp(log_var / 2), not exp(log_var)."),
            (0.5 * float(np.sum(mean**2 + variance**2 - log_var - variance)), "The standard deviation is exp(log_var / 2), not exp(log_var)."),
            (exact + 0.5 * dims * math.log(2 * math.pi), "One log-density lacks its -0.5 * log(2 pi) per dimension; give both the constant (or neither: they cancel)."),
            (exact - 0.5 * dims * math.log(2 * math.pi), "One log-density lacks its -0.5 * log(2 pi) per dimension; give both the constant (or neither: they cancel)."),
        ]
        hint = next((message for wrong_value, message in wrong if abs(value - wrong_value) < 0.15),
                    "Check the sign (log q - log p), that z uses exp(log_var / 2) as the standard deviation, and the sum over dimensions.")
        return report(False, f"{what}: estimate {value:.3f}, but the closed form is {exact:.3f}. {hint}")
    ok, again = call_safely(what, monte_carlo_kl, mean.copy(), log_var.copy(), num_samples, 0)
    again = _one_number(what, again) if ok else None
    if again is None:
        return False
    if again != value:
        return report(False, f"{what}: the same seed gave two different estimates ({value:.4f}, then {again:.4f}): "
                             "draw from np.random.default_rng(seed).")
    ok, other = call_safely(what, monte_carlo_kl, mean.copy(), log_var.copy(), 50, 1)
    other = _one_number(what, other) if ok else None
    if other is None:
        return False
    if np.isclose(other, exact, rtol=1e-9):
        return report(False, f"{what}: with only 50 samples the answer is exactly the closed form: sample z from q "
                             "with the reparameterisation trick instead of using the formula.")
    return report(True, f"{what}: correct, {value:.3f} nats from {num_samples:,} samples vs {exact:.3f} exactly.")


# ----------------------------------------------------------------------------- Exercise 4 · experiment: free bits against collapse

FREE_BITS_TRAIN, FREE_BITS_TEST = 2000, 500  # digits used by the experiment (smoke-sized: seconds per run)
FREE_BITS_EPOCHS = 8
FREE_BITS_LATENT = 8
FREE_BITS_BETA = 8.0  # a strong KL weight: without free bits most dimensions collapse
FREE_BITS_SETTINGS = (0.0, 0.5)  # nats per dimension: no floor, and the floor to try


def reference_free_bits_experiment(train_images, test_images, beta: float, free_bits: float, num_epochs: int, *,
                                   floor: str = "per_dimension", kl_weight_on: str = "kl", seed: int = 0) -> np.ndarray:
    """Train the exercise's small dense VAE (784 -> 128 -> 8 latents -> 128 -> 784 logits, Adam 2e-3, batches of 64) with the
    loss reconstruction + beta * sum_j max(free_bits, batch-mean KL_j); return the held-out mean KL of each latent dimension
    (nats). The keyword arguments switch on typical mistakes."""
    import keras
    import tensorflow as tf

    from .. import data as _data

    keras.utils.set_random_seed(seed)
    layers = keras.layers
    images = keras.Input((28, 28, 1))
    hidden = layers.Dense(128, activation="relu")(layers.Flatten()(images))
    encoder = keras.Model(images, [layers.Dense(FREE_BITS_LATENT)(hidden), layers.Dense(FREE_BITS_LATENT)(hidden)])
    decoder = keras.Sequential([keras.Input((FREE_BITS_LATENT,)), layers.Dense(128, activation="relu"), layers.Dense(784),
                                layers.Reshape((28, 28, 1))])
    optimizer = keras.optimizers.Adam(2e-3)
    noise_rng = tf.random.Generator.from_seed(seed)

    @tf.function
    def train_step(batch):
        with tf.GradientTape() as tape:
            mean, log_var = encoder(batch, training=True)
            z = mean + tf.exp(0.5 * log_var) * noise_rng.normal(tf.shape(mean))
            nll = tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(labels=batch, logits=decoder(z, training=True)), axis=[1, 2, 3])
            kl_per_dim = tf.reduce_mean(0.5 * (tf.square(mean) + tf.exp(log_var) - log_var - 1.0), axis=0)
            if floor == "per_dimension":
                kl = tf.reduce_sum(tf.maximum(kl_per_dim, free_bits))
            elif floor == "total":
                kl = tf.maximum(tf.reduce_sum(kl_per_dim), free_bits)
            else:  # "cap": min instead of max
                kl = tf.reduce_sum(tf.minimum(kl_per_dim, free_bits)) if free_bits > 0 else tf.reduce_sum(kl_per_dim)
            reconstruction = tf.reduce_mean(nll)
            loss = reconstruction + beta * kl if kl_weight_on == "kl" else beta * reconstruction + kl
        variables = encoder.trainable_variables + decoder.trainable_variables
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))

    for epoch in range(num_epochs):
        for batch in _data.to_dataset(train_images, batch_size=64, seed=seed, epoch=epoch):
            train_step(batch)
    mean, log_var = (t.numpy().astype("float64") for t in encoder(test_images, training=False))
    return np.mean(0.5 * (mean**2 + np.exp(log_var) - log_var - 1.0), axis=0)


_FREE_BITS_CACHE: dict = {}


def _free_bits_data():
    if "data" not in _FREE_BITS_CACHE:
        from .. import data as _data

        x_train, _, x_test, _ = _data.load_mnist5k()
        _FREE_BITS_CACHE["data"] = (x_train[:FREE_BITS_TRAIN], x_test[:FREE_BITS_TEST])
    return _FREE_BITS_CACHE["data"]


def _free_bits_reference(free_bits: float, **mistake) -> np.ndarray:
    if free_bits == 0 and set(mistake) <= {"floor"}:
        mistake = {}  # without a floor the floor's mistakes change nothing: the same run
    key = (free_bits, tuple(sorted(mistake.items())))
    if key not in _FREE_BITS_CACHE:
        _FREE_BITS_CACHE[key] = reference_free_bits_experiment(*_free_bits_data(), FREE_BITS_BETA, free_bits, FREE_BITS_EPOCHS, **mistake)
    return _FREE_BITS_CACHE[key]


def _describe(kl_per_dim: np.ndarray, threshold: float) -> str:
    return f"total {kl_per_dim.sum():.2f} nats, {int(np.sum(kl_per_dim >= threshold))} of {len(kl_per_dim)} dimensions at {threshold} nats or more"


def check_free_bits_experiment(free_bits_experiment, *, reveal: bool = True, tolerance: float = 0.25) -> bool:
    """Exercise 4 (experiment): ``free_bits_experiment(train_images, test_images, beta, free_bits, num_epochs)`` returns the
    held-out KL per latent dimension of a small VAE trained with a free-bits floor; judged against a reference run.

    Example: ``ex.check_free_bits_experiment(my_function)``
    """
    what = "Exercise 4 · experiment: free bits against collapse"
    if is_blank(free_bits_experiment):
        return not_attempted(what)
    if not callable(free_bits_experiment):
        return report(False, f"{what}: expected a function, got {type(free_bits_experiment).__name__}")
    train, test = _free_bits_data()
    given = {}
    for free_bits in FREE_BITS_SETTINGS:
        ok, answer = call_safely(what, free_bits_experiment, train.copy(), test.copy(), FREE_BITS_BETA, free_bits, FREE_BITS_EPOCHS)
        if not ok:
            return False
        if is_blank(answer):
            return not_attempted(what)
        values = None if isinstance(answer, (str, bytes, dict)) else to_array(answer, "float64")
        if values is None or values.shape != (FREE_BITS_LATENT,) or not np.all(np.isfinite(values)):
            shown = type(answer).__name__ if values is None else f"shape {values.shape}"
            return report(False, f"{what}: expected the held-out mean KL of each of the {FREE_BITS_LATENT} latent dimensions "
                                 f"(shape ({FREE_BITS_LATENT},), finite), got {shown}. Average over the test images, not over dimensions.")
        given[free_bits] = values
    threshold = FREE_BITS_SETTINGS[1] / 2
    plain, floored = given[FREE_BITS_SETTINGS[0]], given[FREE_BITS_SETTINGS[1]]
    expected = {free_bits: _free_bits_reference(free_bits) for free_bits in FREE_BITS_SETTINGS}
    if np.allclose(plain, floored, rtol=1e-6, atol=1e-9):
        return report(False, f"{what}: both runs gave the same KL per dimension: the free_bits argument has no effect. Floor each "
                             "dimension's batch-mean KL: sum_j max(free_bits, KL_j).")

    def matches(reference: dict) -> bool:
        return all(abs(given[f].sum() / reference[f].sum() - 1) <= tolerance for f in FREE_BITS_SETTINGS)

    if not matches(expected):
        mistakes = [
            ({"floor": "total"}, "you floored the TOTAL KL (max(free_bits, sum_j KL_j)); free bits floor each dimension separately, "
                                 "so that no single dimension is pushed to 0."),
            ({"floor": "cap"}, "you capped the KL (min) instead of flooring it (max): the penalty then stops growing and the codes "
                               "run away from the prior."),
            ({"kl_weight_on": "reconstruction"}, "beta multiplies the reconstruction in your loss; it weights the KL term."),
        ]
        for mistake, message in mistakes:
            if matches({f: _free_bits_reference(f, **mistake) for f in FREE_BITS_SETTINGS}):
                return report(False, f"{what}: {message}")
        return report(False, f"{what}: the reference run measures {_describe(expected[0.0], threshold)} without free bits and "
                             f"{_describe(expected[0.5], threshold)} with them; yours: {_describe(plain, threshold)} and "
                             f"{_describe(floored, threshold)} (more than {tolerance:.0%} off in total). Use the VAE the exercise describes "
                             "(784 -> 128 -> 8 -> 128 -> 784 logits, Adam 2e-3, batches of 64), beta on the KL term only.")
    if floored.sum() <= plain.sum():
        return report(False, f"{what}: with free bits the held-out KL should rise (more information kept in the code); yours fell "
                             f"from {plain.sum():.2f} to {floored.sum():.2f} nats.")
    if not reveal:
        return report(True, f"{what}: correct (what it measures is printed when you run your own answer in the cell above).")
    return report(True, f"{what}: correct, and the effect is measured (beta = {FREE_BITS_BETA:g}, {len(train)} digits, {FREE_BITS_EPOCHS} epochs): "
                        f"without free bits {_describe(plain, threshold)}; with a floor of {FREE_BITS_SETTINGS[1]} nats per dimension "
                        f"{_describe(floored, threshold)}.")
