"""Checkers for notebook 14 · Data augmentation with generative models."""

from __future__ import annotations

import functools
import math

import numpy as np

from . import as_number, attempt, check_function, report, to_array

HIDDEN = "what it measures is printed when you run your own answer in the cell above"

# ----------------------------------------------------------------------------- Exercise 1: a paired interval for a gain


def reference_paired_gain(with_augmentation, without, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean of the per-seed differences and its Student-t interval (n - 1 degrees of freedom): (mean, low, high)."""
    from scipy import stats

    differences = np.asarray(with_augmentation, "float64") - np.asarray(without, "float64")
    n = len(differences)
    half = stats.t.ppf(0.5 + confidence / 2, n - 1) * differences.std(ddof=1) / math.sqrt(n)
    return float(differences.mean()), float(differences.mean() - half), float(differences.mean() + half)


def _unpaired_gain(with_augmentation, without, confidence=0.95):
    from scipy import stats

    a, b = np.asarray(with_augmentation, "float64"), np.asarray(without, "float64")
    n = len(a)
    half = stats.t.ppf(0.5 + confidence / 2, n - 1) * math.sqrt(a.var(ddof=1) / n + b.var(ddof=1) / n)
    return a.mean() - b.mean(), a.mean() - b.mean() - half, a.mean() - b.mean() + half


def _welch_gain(with_augmentation, without, confidence=0.95):
    from scipy import stats

    a, b = np.asarray(with_augmentation, "float64"), np.asarray(without, "float64")
    n = len(a)
    va, vb = a.var(ddof=1) / n, b.var(ddof=1) / n
    dof = (va + vb) ** 2 / (va ** 2 / (n - 1) + vb ** 2 / (n - 1))
    half = stats.t.ppf(0.5 + confidence / 2, dof) * math.sqrt(va + vb)
    return a.mean() - b.mean(), a.mean() - b.mean() - half, a.mean() - b.mean() + half


def _pooled_gain(with_augmentation, without, confidence=0.95):
    from scipy import stats

    a, b = np.asarray(with_augmentation, "float64"), np.asarray(without, "float64")
    n = len(a)
    half = stats.t.ppf(0.5 + confidence / 2, 2 * n - 2) * math.sqrt((a.var(ddof=1) + b.var(ddof=1)) / n)
    return a.mean() - b.mean(), a.mean() - b.mean() - half, a.mean() - b.mean() + half


def _normal_gain(with_augmentation, without, confidence=0.95):
    from scipy import stats

    d = np.asarray(with_augmentation, "float64") - np.asarray(without, "float64")
    half = stats.norm.ppf(0.5 + confidence / 2) * d.std(ddof=1) / math.sqrt(len(d))
    return d.mean(), d.mean() - half, d.mean() + half


def _n_dof_gain(with_augmentation, without, confidence=0.95):
    from scipy import stats

    d = np.asarray(with_augmentation, "float64") - np.asarray(without, "float64")
    half = stats.t.ppf(0.5 + confidence / 2, len(d)) * d.std(ddof=1) / math.sqrt(len(d))
    return d.mean(), d.mean() - half, d.mean() + half


def _ddof0_gain(with_augmentation, without, confidence=0.95):
    from scipy import stats

    d = np.asarray(with_augmentation, "float64") - np.asarray(without, "float64")
    half = stats.t.ppf(0.5 + confidence / 2, len(d) - 1) * d.std() / math.sqrt(len(d))
    return d.mean(), d.mean() - half, d.mean() + half


# per-seed accuracies shaped like the notebook's: seeds differ a lot, the gain per seed much less
_GAIN_CASES = [
    (np.array([0.807, 0.817, 0.766, 0.792, 0.788]), np.array([0.780, 0.793, 0.742, 0.769, 0.785]), 0.95),
    (np.array([0.712, 0.760, 0.710, 0.722, 0.738]), np.array([0.780, 0.793, 0.742, 0.769, 0.785]), 0.95),
    (np.array([0.90, 0.93, 0.88, 0.95, 0.91, 0.89, 0.94]), np.array([0.89, 0.91, 0.88, 0.93, 0.90, 0.87, 0.92]), 0.95),
    (np.array([0.61, 0.70, 0.64]), np.array([0.60, 0.66, 0.63]), 0.90),
]


def check_paired_gain(function, *, reveal: bool = True) -> bool:
    """Exercise 1: ``function(with_augmentation, without, confidence)`` -> (mean, low, high) of the paired gain."""
    what = "Exercise 1 (a paired interval for a gain)"
    verdict = check_function(what, function, "(with_augmentation, without, confidence) -> (mean, low, high)")
    if verdict is not None:
        return verdict
    wrong = [(_unpaired_gain, "this is the UNPAIRED interval (difference of the two means, both spreads added): it keeps the "
                              "variation between label subsets that both strategies share. Take the per-seed differences first."),
             (_welch_gain, "this is Welch's unpaired interval: it ignores that the runs share their seeds. Take the per-seed "
                           "differences first and build the interval from them."),
             (_pooled_gain, "this is the pooled two-sample (unpaired) interval; the runs share their seeds, so use the per-seed "
                            "differences."),
             (_normal_gain, "you used the normal 1.96 (z); with 5 seeds the spread is itself uncertain: Student's t with "
                            "n - 1 degrees of freedom."),
             (_n_dof_gain, "the t quantile has n - 1 degrees of freedom, not n."),
             (_ddof0_gain, "the spread of a sample uses ddof=1 (divide by n - 1), not NumPy's default ddof=0.")]
    for index, (with_augmentation, without, confidence) in enumerate(_GAIN_CASES):
        status, result = attempt(what, function, with_augmentation.copy(), without.copy(), confidence)
        if status != "ok":
            return False
        given = to_array(result, "float64")
        if given is None or given.shape != (3,) or not np.all(np.isfinite(given)):
            shown = type(result).__name__ if given is None else f"shape {given.shape}"
            return report(False, f"{what}: expected three finite numbers (mean, low, high), got {shown}")
        expected = np.array(reference_paired_gain(with_augmentation, without, confidence))
        if np.allclose(given, expected, atol=1e-6):
            continue
        if np.allclose(given, -expected[[0, 2, 1]], atol=1e-6):
            return report(False, f"{what}: your gain has the wrong sign: with augmentation minus without, not the reverse.")
        if np.allclose(given[1:], expected[1:] - expected[0], atol=1e-6):
            return report(False, f"{what}: return the ends of the interval (mean ± half-width), not ± the half-width alone.")
        for variant, message in wrong:
            if np.allclose(given, variant(with_augmentation, without, confidence), rtol=0, atol=1e-9):
                return report(False, f"{what}: {message}")
        return report(False, f"{what}: for case {index + 1} you return {np.round(given, 4).tolist()}, expected "
                             f"{np.round(expected, 4).tolist()}: mean of the per-seed differences ± t(n - 1) · s / sqrt(n).")
    if not reveal:
        return report(True, f"{what}: correct")
    a, b, _ = _GAIN_CASES[0]
    paired, unpaired = reference_paired_gain(a, b), _unpaired_gain(a, b)
    return report(True, f"{what}: correct. On the first test case the paired interval is [{100 * paired[1]:+.1f}, "
                        f"{100 * paired[2]:+.1f}] points, the unpaired one [{100 * unpaired[1]:+.1f}, {100 * unpaired[2]:+.1f}]: "
                        "the same runs, but only pairing removes the variation between label subsets.")


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


# ----------------------------------------------------------------------------- Exercise 3 (experiment): which generated digits to keep

EXPERIMENT_PER_CLASS = 10
EXPERIMENT_RATIO = 4
EXPERIMENT_LATENT = 8
EXPERIMENT_HIDDEN = 128
EXPERIMENT_CVAE_STEPS = 400
EXPERIMENT_CLASSIFIER_STEPS = 200
MIN_KEPT = 0.2  # a selection must keep at least this share of the generated digits to still be augmentation
AGREEMENT_TOLERANCE = 0.03  # share of kept digits that the judge reads as their label
ACCURACY_TOLERANCE = 0.02  # test accuracy of the classifier trained with them


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
    requested = np.tile(y_real, EXPERIMENT_RATIO)
    codes = np.random.default_rng(0).standard_normal((len(requested), EXPERIMENT_LATENT)).astype("float32")
    generated = tf.sigmoid(decoder.predict([codes, tf.one_hot(requested, 10)], verbose=0)).numpy()
    return x_real, y_real, x_test, y_test, generated, requested


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


def _train_and_predict(images, labels, queries) -> np.ndarray:
    """Train the small classifier from its fixed start on (images, labels); return its softmax probabilities for ``queries``."""
    import tensorflow as tf

    model, optimizer, rng, (weights, optimizer_state), train = _experiment_classifier()
    model.set_weights(weights)  # every run starts from the same weights, optimizer state and noise
    for variable, value in zip(optimizer.variables, optimizer_state):
        variable.assign(value)
    rng.reset_from_seed(0)
    train(tf.constant(images, tf.float32), tf.constant(labels, tf.int32))
    return tf.nn.softmax(model.predict(queries, verbose=0, batch_size=1000)).numpy()


@functools.cache
def few_label_probabilities() -> np.ndarray:
    """What a fair strategy may use: the probabilities a classifier trained on the 100 real digits alone gives each generated digit."""
    x_real, y_real, _, _, generated, _ = _experiment_data()
    return _train_and_predict(x_real, y_real, generated)


@functools.cache
def _judge_reads() -> np.ndarray:
    from .. import metrics

    *_, generated, _ = _experiment_data()
    return metrics.digit_predictions(generated)


def filter_experiment(keep) -> dict:
    """Train the small classifier on the 100 real digits + the generated digits where ``keep`` is True and measure the effect.

    Returns how many were kept, the share of kept digits the reference classifier (the judge) reads as their label,
    and the test accuracy.
    """
    x_real, y_real, x_test, y_test, generated, requested = _experiment_data()
    keep = np.asarray(keep, bool)
    probabilities = _train_and_predict(np.concatenate([x_real, generated[keep]]), np.concatenate([y_real, requested[keep]]), x_test)
    agreement = float(np.mean(_judge_reads()[keep] == requested[keep])) if keep.any() else float("nan")
    return {"kept": int(keep.sum()), "agreement": agreement, "accuracy": float(np.mean(probabilities.argmax(axis=1) == y_test))}


@functools.cache
def _reference_runs() -> tuple[dict, dict, dict]:
    *_, requested = _experiment_data()
    usual = filter_experiment(np.ones(len(requested), bool))
    filtered = filter_experiment(few_label_probabilities().argmax(axis=1) == requested)
    real_only = filter_experiment(np.zeros(len(requested), bool))
    return usual, filtered, real_only


def check_filter_experiment(choose, *, reveal: bool = True) -> bool:
    """Exercise 3 (experiment): ``choose(requested, probabilities)`` -> which generated digits to keep; trains and judges the effect."""
    what = "Exercise 3 · experiment: which generated digits to keep"
    verdict = check_function(what, choose, "(requested, probabilities) -> boolean mask")
    if verdict is not None:
        return verdict
    *_, requested = _experiment_data()
    probabilities = few_label_probabilities()
    status, result = attempt(what, choose, requested.copy(), probabilities.copy())
    if status != "ok":
        return False
    keep = to_array(result)
    if keep is None or keep.shape != requested.shape:
        shown = type(result).__name__ if keep is None else f"shape {keep.shape}"
        return report(False, f"{what}: expected a boolean mask of shape {requested.shape} (one per generated digit), got {shown}")
    if keep.dtype != bool:
        if not np.isin(keep, (0, 1)).all():
            return report(False, f"{what}: return a boolean mask (True = keep), not indices or scores.")
        keep = keep.astype(bool)
    if keep.mean() < MIN_KEPT:
        return report(False, f"{what}: you keep only {keep.sum()} of {len(keep)} generated digits: that is hardly augmentation "
                             f"any more. Keep those the few-label classifier reads as their requested label.")
    if keep.all():
        return report(False, f"{what}: you keep every generated digit: that is the usual run; choose which ones to keep.")
    if np.array_equal(keep, _judge_reads() == requested):  # the diagnostic, not a strategy
        return report(False, f"{what}: you kept exactly the digits the reference classifier (the judge) reads correctly; it was "
                             "trained on all 4,000 labels, so that is the notebook's diagnostic, not a fair strategy. Use the "
                             "probabilities you are given (a classifier trained on the 100 real digits).")
    print("Training a small classifier on the real digits + the ones you keep, beside two reference runs (~10 s)...")
    usual, filtered, real_only = _reference_runs()
    yours = filter_experiment(keep)
    rise = filtered["agreement"] - usual["agreement"]
    if yours["agreement"] < usual["agreement"] + rise / 2:
        worse = "fewer" if yours["agreement"] < usual["agreement"] else "hardly more"
        return report(False, f"{what}: the judge reads {yours['agreement']:.0%} of the digits you keep as their label, {worse} than "
                             f"all of them ({usual['agreement']:.0%}): your selection does not remove the generator's label "
                             "errors. Keep the digits whose most probable class is the requested one.")
    if abs(yours["agreement"] - filtered["agreement"]) > AGREEMENT_TOLERANCE or yours["accuracy"] < filtered["accuracy"] - ACCURACY_TOLERANCE:
        return report(False, f"{what}: you keep {yours['kept']} digits, {yours['agreement']:.0%} read as their label, test accuracy "
                             f"{yours['accuracy']:.1%}; the reference filter keeps {filtered['kept']}, {filtered['agreement']:.0%}, "
                             f"{filtered['accuracy']:.1%}. Keep the digits whose most probable class is the requested one.")
    if not reveal:
        return report(True, f"{what}: correct ({HIDDEN})")
    change = "raised" if filtered["accuracy"] > usual["accuracy"] else "did not raise"
    versus = "above" if filtered["accuracy"] > real_only["accuracy"] else "not above"
    return report(True, f"{what}: correct, and measured: the 100 real digits alone give {real_only['accuracy']:.1%}; keeping all {usual['kept']} generated digits, {usual['agreement']:.0%} are "
                        f"read as their label and the classifier reaches {usual['accuracy']:.1%}; the reference filter keeps "
                        f"{filtered['kept']} ({filtered['agreement']:.0%} read as their label, {filtered['accuracy']:.1%}), yours "
                        f"{yours['kept']} ({yours['agreement']:.0%}, {yours['accuracy']:.1%}). Filtering with the few-label "
                        f"classifier removed label errors and {change} accuracy over keeping all of them ({versus} the real digits "
                        "alone) in this one small run. It keeps only digits that classifier already reads right, so it can "
                        "remove errors but adds little the real digits did not already teach.")
