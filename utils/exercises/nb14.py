"""Checkers for notebook 14 · Data augmentation with generative models."""

from __future__ import annotations

import functools
import math

import numpy as np

from . import as_number, attempt, check_function, report, to_array

HIDDEN = "what it measures is printed when you run your own answer in the cell above"

# ----------------------------------------------------------------------------- Exercise 1: how many of each class to generate


def reference_digits_to_generate(labels, num_classes: int) -> np.ndarray:
    """Digits each class lacks to match the largest class (classes with no digit at all included)."""
    counts = np.bincount(np.asarray(labels), minlength=num_classes)
    return counts.max() - counts


_COUNT_CASES = [
    (np.array([0, 0, 1, 2, 2, 2]), 3),
    (np.array([0, 0, 1]), 4),  # classes 2 and 3 have no digit at all
    (np.array([3, 3, 1, 1]), 4),
    (np.repeat(np.arange(10), [20, 20, 20, 20, 20, 20, 20, 20, 1, 20]), 10),  # the notebook's shape of problem
]


def check_digits_to_generate(function, *, reveal: bool = True) -> bool:
    """Exercise 1: ``function(labels, num_classes)`` -> how many digits of each class to generate to balance the set."""
    what = "Exercise 1 (how many of each class to generate)"
    verdict = check_function(what, function, "(labels, num_classes) -> counts")
    if verdict is not None:
        return verdict
    for labels, num_classes in _COUNT_CASES:
        status, result = attempt(what, function, labels.copy(), num_classes)
        if status != "ok":
            return False
        given = to_array(result)
        expected = reference_digits_to_generate(labels, num_classes)
        counts = np.bincount(labels, minlength=num_classes)
        if given is None or given.ndim != 1:
            return report(False, f"{what}: expected a 1-D array of {num_classes} counts, got {type(result).__name__}")
        if given.shape != expected.shape:
            hint = (" np.bincount stops at the largest label present: a class with no digit at all needs the most "
                    "(pass minlength=num_classes)." if len(given) < num_classes else "")
            return report(False, f"{what}: expected {num_classes} counts (one per class), got {len(given)}.{hint}")
        if np.array_equal(given, expected):
            continue
        if np.array_equal(given, -expected):
            return report(False, f"{what}: your counts are negative: count - largest instead of largest - count.")
        if np.array_equal(given, np.full(num_classes, counts.max())):
            return report(False, f"{what}: you returned the target size of every class; return how many digits each one lacks.")
        if np.allclose(given, np.maximum(0, np.round(counts.mean()) - counts)) or np.allclose(given, counts.mean() - counts):
            return report(False, f"{what}: bring every class up to the largest class, not to the mean count.")
        return report(False, f"{what}: for labels {labels.tolist()[:12]}{'...' if len(labels) > 12 else ''} and {num_classes} "
                             f"classes you return {given.tolist()}; each class should get (largest count - its count).")
    if not reveal:
        return report(True, f"{what}: correct")
    return report(True, f"{what}: correct. With class 8 at 1 digit and the others at 20, you would generate 19 digits of 8 "
                        "and none of the rest: every one of them comes from a generator that saw a single 8.")


# ----------------------------------------------------------------------------- Exercise 2: how many seeds


def reference_seeds_needed(spread: float, half_width: float, confidence: float = 0.95) -> int:
    """Smallest n >= 2 with t_{(1+confidence)/2, n-1} * spread / sqrt(n) <= half_width."""
    from scipy import stats

    n = 2
    while stats.t.ppf(0.5 + confidence / 2, n - 1) * spread / math.sqrt(n) > half_width:
        n += 1
    return n


def _normal_seeds(spread, half_width, confidence=0.95):
    from scipy import stats

    return max(2, math.ceil((stats.norm.ppf(0.5 + confidence / 2) * spread / half_width) ** 2))


def _no_sqrt_seeds(spread, half_width, confidence=0.95):
    from scipy import stats

    n = 2
    while stats.t.ppf(0.5 + confidence / 2, n - 1) * spread / n > half_width:
        n += 1
    return n


def _n_dof_seeds(spread, half_width, confidence=0.95):
    from scipy import stats

    n = 2
    while stats.t.ppf(0.5 + confidence / 2, n) * spread / math.sqrt(n) > half_width:
        n += 1
    return n


def _one_sided_seeds(spread, half_width, confidence=0.95):
    from scipy import stats

    n = 2
    while stats.t.ppf(confidence, n - 1) * spread / math.sqrt(n) > half_width:
        n += 1
    return n


_SEED_CASES = [(0.02, 0.02, 0.95), (0.02, 0.01, 0.95), (0.015, 0.005, 0.95), (0.03, 0.02, 0.9), (0.01, 0.02, 0.95), (0.02, 0.004, 0.99)]


def check_seeds_needed(function, *, reveal: bool = True) -> bool:
    """Exercise 2: ``function(spread, half_width, confidence)`` -> the fewest seeds whose t-interval is that narrow."""
    what = "Exercise 2 (how many seeds)"
    verdict = check_function(what, function, "(spread, half_width, confidence) -> int")
    if verdict is not None:
        return verdict
    wrong = [(_normal_seeds, "you used the normal 1.96 (z); with few seeds the spread itself is uncertain, so the interval uses "
                             "Student's t with n - 1 degrees of freedom, which asks for more seeds."),
             (_no_sqrt_seeds, "the standard error of a mean is spread / sqrt(n), not spread / n."),
             (_n_dof_seeds, "the t quantile has n - 1 degrees of freedom (one is used up by the mean), not n."),
             (_one_sided_seeds, "a two-sided 95% interval uses the 97.5% quantile: 0.5 + confidence / 2.")]
    answers = []
    for spread, half_width, confidence in _SEED_CASES:
        status, result = attempt(what, function, spread, half_width, confidence)
        if status != "ok":
            return False
        value = as_number(what, result, whole=True, hint="Return a count of seeds.")
        if value is None:
            return False
        answers.append(value)
    expected = [reference_seeds_needed(*case) for case in _SEED_CASES]
    if answers != expected:
        index = next(i for i, (a, e) in enumerate(zip(answers, expected)) if a != e)
        spread, half_width, confidence = _SEED_CASES[index]
        said = f"for spread {spread}, half-width {half_width} at {confidence:.0%} you say {answers[index]} seeds"
        for variant, message in wrong:
            if answers == [variant(*case) for case in _SEED_CASES]:
                return report(False, f"{what}: {said}: {message}")
        return report(False, f"{what}: {said}, expected {expected[index]}: the smallest n >= 2 with t(n - 1) * spread / sqrt(n) "
                             "<= half-width.")
    if not reveal:
        return report(True, f"{what}: correct")
    return report(True, f"{what}: correct. A spread of 2 accuracy points needs {reference_seeds_needed(0.02, 0.02)} seeds for a "
                        f"±2-point interval and {reference_seeds_needed(0.02, 0.01)} for ±1 point: halving the interval costs about "
                        "four times the runs.")


# ----------------------------------------------------------------------------- Exercise 3 (experiment): a colder generator

EXPERIMENT_PER_CLASS = 10
EXPERIMENT_RATIO = 4
EXPERIMENT_LATENT = 8
EXPERIMENT_HIDDEN = 128
EXPERIMENT_CVAE_STEPS = 400
EXPERIMENT_CLASSIFIER_STEPS = 200
AGREEMENT_TOLERANCE = 0.03  # share of generated digits read as their label
ACCURACY_TOLERANCE = 0.03  # test accuracy of the classifier trained with them


@functools.cache
def _experiment_data():
    """Ten labelled digits per class (seed 0) and a small dense CVAE trained on them, as in the notebook (built once)."""
    import keras
    import tensorflow as tf
    from keras import layers

    from .. import augment, data, vae

    x_train, y_train, x_test, y_test = data.load_mnist5k()
    subset = augment.sample_per_class(y_train, EXPERIMENT_PER_CLASS, seed=0)
    x_real, y_real = x_train[subset], y_train[subset]
    keras.utils.set_random_seed(0)
    images, one_hot = keras.Input((28, 28, 1)), keras.Input((10,))
    h = layers.Dense(EXPERIMENT_HIDDEN, activation="relu")(layers.Concatenate()([layers.Flatten()(images), one_hot]))
    encoder = keras.Model([images, one_hot], [layers.Dense(EXPERIMENT_LATENT)(h), layers.Dense(EXPERIMENT_LATENT)(h)])
    z, one_hot_d = keras.Input((EXPERIMENT_LATENT,)), keras.Input((10,))
    h = layers.Dense(EXPERIMENT_HIDDEN, activation="relu")(layers.Concatenate()([z, one_hot_d]))
    decoder = keras.Model([z, one_hot_d], layers.Reshape((28, 28, 1))(layers.Dense(784)(h)))
    variables = encoder.trainable_variables + decoder.trainable_variables
    optimizer = keras.optimizers.Adam(1e-3)
    rng = tf.random.Generator.from_seed(0)
    x_all, y_all = tf.constant(x_real), tf.constant(y_real.astype("int32"))

    @tf.function
    def train():
        for _ in tf.range(EXPERIMENT_CVAE_STEPS):
            batch = rng.uniform([64], 0, tf.shape(x_all)[0], tf.int32)
            x, hot = tf.gather(x_all, batch), tf.one_hot(tf.gather(y_all, batch), 10)
            with tf.GradientTape() as tape:
                mean, log_var = encoder([x, hot], training=True)
                terms = vae.negative_elbo(x, decoder([vae.reparameterize(mean, log_var, rng), hot], training=True), mean, log_var, beta=2.0)
                loss = tf.reduce_mean(terms["loss"])
            optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))

    train()
    return x_real, y_real, x_test, y_test, decoder


@functools.cache
def _experiment_classifier():
    """A small MLP, its starting weights and one compiled training loop (traced once, reused by every run)."""
    import keras
    import tensorflow as tf
    from keras import layers

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((28, 28, 1)), layers.Flatten(), layers.Dense(128, activation="relu"), layers.Dense(10)])
    optimizer = keras.optimizers.Adam(1e-3)
    optimizer.build(model.trainable_variables)
    rng = tf.random.Generator.from_seed(0)
    start = (model.get_weights(), [variable.numpy() for variable in optimizer.variables])

    @tf.function(input_signature=[tf.TensorSpec((None, 28, 28, 1)), tf.TensorSpec((None,), tf.int32)])
    def train(x_all, y_all):
        for _ in tf.range(EXPERIMENT_CLASSIFIER_STEPS):
            batch = rng.uniform([64], 0, tf.shape(x_all)[0], tf.int32)
            with tf.GradientTape() as tape:
                logits = model(tf.gather(x_all, batch), training=True)
                loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(tf.gather(y_all, batch), logits, from_logits=True))
            optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))
        return loss

    return model, optimizer, rng, start, train


def _classifier_accuracy(images, labels, x_test, y_test) -> float:
    import tensorflow as tf

    model, optimizer, rng, (weights, optimizer_state), train = _experiment_classifier()
    model.set_weights(weights)  # every run starts from the same weights, optimizer state and noise
    for variable, value in zip(optimizer.variables, optimizer_state):
        variable.assign(value)
    rng.reset_from_seed(0)
    train(tf.constant(images, tf.float32), tf.constant(labels, tf.int32))
    return float(np.mean(model.predict(x_test, verbose=0, batch_size=1000).argmax(axis=1) == y_test))


def temperature_experiment(codes) -> dict:
    """Decode ``codes`` (one per requested label, labels = the real ones repeated) and measure their effect.

    Returns the share of generated digits the reference classifier reads as their label, the test accuracy of a
    small classifier trained on real + generated digits, and the spread of the codes.
    """
    import tensorflow as tf

    from .. import metrics

    x_real, y_real, x_test, y_test, decoder = _experiment_data()
    labels = np.tile(y_real, EXPERIMENT_RATIO)
    images = tf.sigmoid(decoder.predict([np.asarray(codes, "float32"), tf.one_hot(labels, 10)], verbose=0)).numpy()
    return {"agreement": metrics.digit_accuracy(images, labels),
            "accuracy": _classifier_accuracy(np.concatenate([x_real, images]), np.concatenate([y_real, labels]), x_test, y_test)}


@functools.cache
def _reference_runs() -> tuple[dict, dict]:
    count = EXPERIMENT_PER_CLASS * 10 * EXPERIMENT_RATIO
    usual = temperature_experiment(np.random.default_rng(0).standard_normal((count, EXPERIMENT_LATENT)))
    cold = temperature_experiment(0.5 * np.random.default_rng(0).standard_normal((count, EXPERIMENT_LATENT)))
    return usual, cold


def check_temperature_experiment(draw_codes, *, reveal: bool = True) -> bool:
    """Exercise 3 (experiment): ``draw_codes(count, latent_dim, rng)`` -> codes at half the prior's spread; trains and judges the effect."""
    what = "Exercise 3 · experiment: a colder generator"
    verdict = check_function(what, draw_codes, "(count, latent_dim, rng) -> codes")
    if verdict is not None:
        return verdict
    count = EXPERIMENT_PER_CLASS * 10 * EXPERIMENT_RATIO
    status, result = attempt(what, draw_codes, count, EXPERIMENT_LATENT, np.random.default_rng(0))
    if status != "ok":
        return False
    codes = to_array(result, "float64")
    if codes is None or codes.shape != (count, EXPERIMENT_LATENT):
        shown = type(result).__name__ if codes is None else f"shape {codes.shape}"
        return report(False, f"{what}: expected an array of shape ({count}, {EXPERIMENT_LATENT}), got {shown}")
    if not np.all(np.isfinite(codes)):
        return report(False, f"{what}: your codes hold NaN or infinity")
    spread, centre = float(codes.std()), float(codes.mean())
    if spread < 0.05:
        return report(False, f"{what}: your codes barely vary (spread {spread:.3f}): every digit of a class would be the same "
                             "image. Scale the prior's draws, do not replace them.")
    if abs(centre) > 0.1:
        return report(False, f"{what}: your codes are centred at {centre:.2f}; the prior is centred at 0: only scale them.")
    if abs(spread - 1.0) < 0.08:
        return report(False, f"{what}: your codes have the prior's usual spread ({spread:.2f}); draw them at half of it.")
    if abs(spread - math.sqrt(0.5)) < 0.05:
        return report(False, f"{what}: spread {spread:.2f} is a variance of 0.5; half the spread (standard deviation) is 0.5.")
    if abs(spread - 0.5) > 0.05:
        return report(False, f"{what}: your codes have spread {spread:.2f}; half the prior's spread is 0.5.")
    print("Decoding your codes and training a small classifier with them, beside two reference runs (~10 s)...")
    usual, cold = _reference_runs()
    yours = temperature_experiment(codes)
    if abs(yours["agreement"] - cold["agreement"]) > AGREEMENT_TOLERANCE or abs(yours["accuracy"] - cold["accuracy"]) > ACCURACY_TOLERANCE:
        return report(False, f"{what}: your codes give {yours['agreement']:.0%} of digits read as their label and a test accuracy of "
                             f"{yours['accuracy']:.1%}; the reference at half the spread gives {cold['agreement']:.0%} and "
                             f"{cold['accuracy']:.1%}. Draw independent N(0, 0.5²) codes with the rng you are given.")
    if not reveal:
        return report(True, f"{what}: correct ({HIDDEN})")
    change = "raised" if cold["accuracy"] > usual["accuracy"] else "did not raise"
    return report(True, f"{what}: correct, and measured: at the usual spread {usual['agreement']:.0%} of generated digits are read "
                        f"as their label and the classifier reaches {usual['accuracy']:.1%}; at half the spread (reference) "
                        f"{cold['agreement']:.0%} and {cold['accuracy']:.1%}, yours {yours['agreement']:.0%} and {yours['accuracy']:.1%}. "
                        f"Colder codes give cleaner, more typical digits (fewer generator errors learnt as truth) but less variety; "
                        f"here that {change} the classifier's accuracy in this one small run.")
