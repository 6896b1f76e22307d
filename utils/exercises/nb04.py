"""Checkers for notebook 04 · Conditional VAE.

Each checker takes the learner's answer, checks it on known inputs (or, for the experiment,
trains with it), prints what is right or wrong (and why) and returns True or False. A blank
answer (None) prints "not attempted".
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import numpy as np

from .. import config
from . import as_number, call_safely, is_blank, not_attempted, report
from . import check_function as _start

NUM_CLASSES = 10
HIDDEN = "what it measures is printed when you run your own answer in the cell above"


def _keras():
    import keras

    return keras


# ----------------------------------------------------------------------------- Exercise 1: how much class is left in z


def reference_class_in_z(encode: Callable, train_images, train_labels, test_images, test_labels) -> float:
    """Share of held-out digits whose class a nearest-class-mean classifier reads from their codes: class means of the
    training codes, each held-out code given the class of the nearest mean. Every digit is encoded with its own label.

    Example: ``reference_class_in_z(lambda x, y: np.eye(10)[y], x, y, x, y)  # 1.0: codes that copy the label``
    """
    train_labels, test_labels = np.asarray(train_labels), np.asarray(test_labels)
    train_codes = np.asarray(encode(train_images, train_labels), dtype="float64")
    test_codes = np.asarray(encode(test_images, test_labels), dtype="float64")
    class_means = np.stack([train_codes[train_labels == digit].mean(axis=0) for digit in range(NUM_CLASSES)])
    distances = np.sum((test_codes[:, None, :] - class_means[None, :, :]) ** 2, axis=-1)
    return float(np.mean(distances.argmin(axis=1) == test_labels))


def _class_in_z_mistakes(encode: Callable, train_images, train_labels, test_images, test_labels) -> list[tuple[float, str]]:
    """(value, message) of the typical wrong answers on one case, most telling first."""
    def nearest_mean(fit_codes, fit_labels, codes, labels, pick=np.argmin):
        means = np.stack([fit_codes[fit_labels == digit].mean(axis=0) for digit in range(NUM_CLASSES)])
        return float(np.mean(pick(np.sum((codes[:, None] - means[None]) ** 2, axis=-1), axis=1) == labels))

    flat = lambda images: np.asarray(images, dtype="float64").reshape(len(images), -1)  # noqa: E731
    train_codes = np.asarray(encode(train_images, train_labels), dtype="float64")
    test_codes = np.asarray(encode(test_images, test_labels), dtype="float64")
    constant_label = np.asarray(encode(test_images, np.zeros_like(test_labels)), dtype="float64")
    constant_train = np.asarray(encode(train_images, np.zeros_like(train_labels)), dtype="float64")
    nearest_code = train_labels[np.argmin(np.sum((test_codes[:, None] - train_codes[None]) ** 2, axis=-1), axis=1)]
    right = nearest_mean(train_codes, train_labels, test_codes, test_labels)
    return [
        (nearest_mean(test_codes, test_labels, test_codes, test_labels),
         "the class means were fitted on the held-out codes themselves: fit them on the TRAINING codes, then read the held-out ones."),
        (nearest_mean(train_codes, train_labels, train_codes, train_labels),
         "that is scored on the training digits the means were fitted on; score the HELD-OUT digits."),
        (nearest_mean(constant_train, train_labels, constant_label, test_labels),
         "the digits were encoded with one fixed label instead of their own: the decoder works with q(z | x, y) for the TRUE "
         "label, so that is the code to probe (pass test_labels to encode)."),
        (nearest_mean(flat(train_images), train_labels, flat(test_images), test_labels),
         "that classifies the PIXELS, not the codes: call encode(images, labels) and work with the codes it returns."),
        (float(np.mean(nearest_code == test_labels)),
         "that is the nearest single training code (1-nearest-neighbour); use the nearest CLASS MEAN (one mean code per digit)."),
        (nearest_mean(train_codes, train_labels, test_codes, test_labels, pick=np.argmax),
         "that picks the FARTHEST class mean (argmax of the distances); the class read is the nearest one (argmin)."),
        (1 - right, "that is the share read WRONGLY (an error rate); return the share read correctly."),
        (right * len(test_labels), "that is a count; return the share of held-out digits (a number between 0 and 1)."),
        (100 * right, "that is a percentage; return a share between 0 and 1."),
    ]


def _class_in_z_cases() -> list[tuple[str, Callable, np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """Small made-up 'digits' with a made-up encoder whose codes hold part of the class (and one that copies the label)."""
    rng = np.random.default_rng(4)
    patterns = rng.normal(size=(NUM_CLASSES, 28 * 28))

    def images_of(labels):  # each class its own pixel pattern, plus noise: the pixels give the class away
        return (patterns[labels] + 2.0 * rng.normal(size=(len(labels), 28 * 28))).reshape(-1, 28, 28, 1).astype("float32")

    projection = rng.normal(size=(28 * 28, 3)) / 28.0
    label_direction = rng.normal(size=(NUM_CLASSES, 3))

    def leaky_encode(images, labels):  # a weak view of the pixels plus some of the label, as a trained encoder might keep
        return np.asarray(images).reshape(len(images), -1) @ projection + 2.0 * label_direction[np.asarray(labels)]

    train_labels, test_labels = np.repeat(np.arange(NUM_CLASSES), 12), np.tile(np.arange(NUM_CLASSES), 7)
    train_images, test_images = images_of(train_labels), images_of(test_labels)
    test_labels, test_images = test_labels[::-1].copy(), test_images[::-1].copy()  # not in the same order as the training set
    return [("leaky", leaky_encode, train_images, train_labels, test_images, test_labels),
            ("label copy", lambda images, labels: np.eye(NUM_CLASSES)[np.asarray(labels)], train_images, train_labels,
             test_images, test_labels)]


def check_class_in_z(class_in_z: Callable | None) -> bool:
    """Exercise 1: ``class_in_z(encode, train_images, train_labels, test_images, test_labels)`` returns the share of held-out
    digits whose class a nearest-class-mean classifier reads from their posterior means ``encode(images, labels)``.

    Example: ``ex.check_class_in_z(class_in_z)``
    """
    what = "Exercise 1 · how much class is left in z"
    verdict = _start(what, class_in_z, "(encode, train_images, train_labels, test_images, test_labels) -> share")
    if verdict is not None:
        return verdict
    for name, encode, *arrays in _class_in_z_cases():
        ok, result = call_safely(what, class_in_z, encode, *(array.copy() for array in arrays))
        if not ok:
            return False
        if is_blank(result):
            return not_attempted(what)
        value = as_number(what, result, hint="Return one number: the share of held-out digits read correctly.")
        if value is None:
            return False
        expected = reference_class_in_z(encode, *arrays)
        if math.isclose(value, expected, abs_tol=1e-6):
            continue
        hint = next((message for wrong, message in _class_in_z_mistakes(encode, *arrays) if math.isclose(value, wrong, abs_tol=1e-6)),
                    "compute one mean code per class from the training digits (each encoded with its own label), give each "
                    "held-out code the class of the nearest mean, and return the share that matches test_labels.")
        return report(False, f"{what}: on a made-up encoder ({name}) your function returns {value:.4g}, expected {expected:.4g}: {hint}")
    return report(True, f"{what}: correct.")  # says no more: a solution cell's output shows before it is opened


# ----------------------------------------------------------------------------- Exercise 2: what the label is worth
def check_label_information(answer) -> bool:
    """Exercise 2: at most how many nats per image can -log p(x | y) be below -log p(x), with 10 equally likely classes.

    Example: ``ex.check_label_information(2.3)``
    """
    what = "Exercise 2 · what the label is worth"
    if is_blank(answer):
        return not_attempted(what)
    value = as_number(what, answer, hint="One number: nats per image.")
    if value is None:
        return False
    if math.isclose(value, math.log(NUM_CLASSES), rel_tol=2e-3):
        return report(True, f"{what}: correct.")  # says no more: a solution cell's output shows before it is opened
    wrong = [
        (math.log2(NUM_CLASSES), "that is in bits (log base 2); the ELBO in this notebook is in nats (natural log)."),
        (math.log10(NUM_CLASSES), "that is log base 10; nats use the natural log."),
        (float(NUM_CLASSES), "that is the number of classes; the saving is a log-probability."),
        (1 / NUM_CLASSES, "that is p(y), a probability; the saving is -log p(y) when the label is certain given the image."),
        (-math.log(NUM_CLASSES), "the sign is flipped: the conditional bound is LOWER by this amount, so the saving is positive."),
        (math.log(NUM_CLASSES) / 784, "that is per pixel; the question asks per image."),
        (0.0, "the label does help: -log p(x | y) = -log p(x) + log p(y) - log p(y | x)."),
    ]
    hint = next((message for wrong_value, message in wrong if math.isclose(value, wrong_value, rel_tol=2e-3, abs_tol=1e-9)),
                "Use log p(x | y) = log p(x) + log p(y | x) - log p(y): it is largest when the image fixes its label, p(y | x) = 1.")
    return report(False, f"{what}: {value:.4g} is not it: {hint}")


# ----------------------------------------------------------------------------- Exercise 3: the experiment


def experiment_settings() -> dict:
    """The small CVAE the experiment trains (250 steps; fewer digits and smaller batches in smoke mode: seconds either way)."""
    return {"train_digits": config.pick(full=4000, smoke=2000), "epochs": 2, "batch_size": config.pick(full=32, smoke=16),
            "learning_rate": 3e-3, "latent_dim": 8, "conv_filters": (8, 16), "hidden_units": 64, "beta": 2.0,
            "test_digits": 500, "samples_per_class": 30, "seed": 0}


def reference_conditional_encoder(latent_dim: int, conv_filters: tuple, hidden_units: int):
    """The notebook's encoder: CNN features of the image, concatenated with the one-hot label, to (mean, log_var)."""
    keras = _keras()
    layers = keras.layers
    images, labels = keras.Input((28, 28, 1)), keras.Input((NUM_CLASSES,))
    x = images
    for filters in conv_filters:
        x = layers.Conv2D(filters, 3, strides=2, padding="same", activation="relu")(x)
    x = layers.Dense(hidden_units, activation="relu")(layers.Concatenate()([layers.Flatten()(x), labels]))
    return keras.Model([images, labels], [layers.Dense(latent_dim)(x), layers.Dense(latent_dim)(x)])


def reference_decoder(latent_dim: int, conv_filters: tuple, hidden_units: int, *, use_label: bool = True):
    """The notebook's decoder (``use_label=False``: the same network with the label input left unused)."""
    keras = _keras()
    layers = keras.layers
    z, labels = keras.Input((latent_dim,)), keras.Input((NUM_CLASSES,))
    x = layers.Concatenate()([z, labels]) if use_label else z
    x = layers.Dense(hidden_units, activation="relu")(x)
    x = layers.Reshape((7, 7, conv_filters[-1]))(layers.Dense(7 * 7 * conv_filters[-1], activation="relu")(x))
    for filters in reversed(conv_filters):
        x = layers.Conv2DTranspose(filters, 3, strides=2, padding="same", activation="relu")(x)
    return keras.Model([z, labels], layers.Conv2D(1, 3, padding="same")(x))


def run_experiment(build_decoder: Callable, settings: dict | None = None) -> dict:
    """Train a small CVAE (``experiment_settings()``) with the notebook's encoder and ``build_decoder``'s decoder; return the
    held-out KL and reconstruction (nats per image) and the share of prior samples read as the requested digit."""
    import tensorflow as tf

    from .. import data, metrics, vae

    keras = _keras()
    settings = experiment_settings() if settings is None else settings
    x_train, y_train, x_test, y_test = data.load_mnist5k(limit=settings["train_digits"])
    x_test, y_test = x_test[:settings["test_digits"]], y_test[:settings["test_digits"]]
    keras.utils.set_random_seed(settings["seed"])
    sizes = (settings["latent_dim"], settings["conv_filters"], settings["hidden_units"])
    encoder, decoder = reference_conditional_encoder(*sizes), build_decoder(*sizes)
    optimizer = keras.optimizers.Adam(settings["learning_rate"])
    noise_rng = tf.random.Generator.from_seed(settings["seed"])

    @tf.function
    def train_step(images, labels):
        one_hot = tf.one_hot(labels, NUM_CLASSES)
        with tf.GradientTape() as tape:
            mean, log_var = encoder([images, one_hot], training=True)
            z = vae.reparameterize(mean, log_var, noise_rng)
            loss = tf.reduce_mean(vae.negative_elbo(images, decoder([z, one_hot], training=True), mean, log_var,
                                                    beta=settings["beta"])["loss"])
        variables = encoder.trainable_variables + decoder.trainable_variables
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))

    for epoch in range(settings["epochs"]):
        for images, labels in data.to_dataset(x_train, y_train, batch_size=settings["batch_size"], seed=settings["seed"], epoch=epoch):
            train_step(images, labels)
    one_hot = tf.one_hot(y_test, NUM_CLASSES)
    mean, log_var = encoder([tf.constant(x_test), one_hot], training=False)
    z = vae.reparameterize(mean, log_var, tf.random.Generator.from_seed(1))
    recon = float(np.mean(vae.bernoulli_nll(tf.constant(x_test), decoder([z, one_hot], training=False)).numpy()))
    kl = float(np.mean(vae.kl_to_standard_normal(mean, log_var).numpy()))
    requested = np.repeat(np.arange(NUM_CLASSES), settings["samples_per_class"])
    prior = tf.random.Generator.from_seed(2).normal((len(requested), settings["latent_dim"]))
    samples = tf.sigmoid(decoder([prior, tf.one_hot(requested, NUM_CLASSES)], training=False)).numpy()
    return {"kl": kl, "recon": recon, "accuracy": float(metrics.digit_accuracy(samples, requested))}


@functools.cache
def _reference_run(settings_key: tuple) -> dict:
    return run_experiment(reference_decoder, dict(settings_key))


def reference_run() -> dict:
    """The experiment with the notebook's decoder, label included (computed once per mode)."""
    return _reference_run(tuple(experiment_settings().items()))


def _decoder_output(what: str, build_decoder: Callable, latent_dim: int, conv_filters: tuple, hidden_units: int,
                    z: np.ndarray, one_hot: np.ndarray):
    """(model, output array) of the learner's decoder on (z, one_hot), or a verdict (bool) to return."""
    keras = _keras()
    keras.utils.set_random_seed(0)
    ok, model = call_safely(what, build_decoder, latent_dim, conv_filters, hidden_units)
    if not ok:
        return False
    if is_blank(model):
        return not_attempted(what)
    if not isinstance(model, keras.Model):
        return report(False, f"{what}: expected a keras.Model, got {type(model).__name__}")
    ok, output = call_safely(what, lambda: np.asarray(model([z, one_hot], training=False)))
    if not ok:
        return False
    if output.shape != (len(z), 28, 28, 1):
        return report(False, f"{what}: the decoder should map [z, one_hot] to logits of shape (batch, 28, 28, 1); "
                             f"got {output.shape}. End with the notebook's 1-filter Conv2D.")
    if not np.all(np.isfinite(output)):
        return report(False, f"{what}: the decoder's output holds NaN or infinity.")
    return model, output


def _changes_with(model, z: np.ndarray, one_hot: np.ndarray, output: np.ndarray) -> tuple[bool, bool]:
    """Does the output change when the label changes? When z changes?"""
    other_labels = np.roll(one_hot, 3, axis=1)
    with_other_label = np.asarray(model([z, other_labels], training=False))
    with_other_z = np.asarray(model([z[::-1].copy() + 1.0, one_hot], training=False))
    return (not np.allclose(output, with_other_label, atol=1e-6), not np.allclose(output, with_other_z, atol=1e-6))


def _line(name: str, run: dict) -> str:
    return f"{name}: accuracy {run['accuracy']:.0%}, KL {run['kl']:.2f} nats, reconstruction {run['recon']:.1f} nats"


def check_decoder_label_experiment(build_decoder_without_label: Callable | None, *, reveal: bool = True) -> bool:
    """Exercise 3 (experiment): ``build_decoder_without_label(latent_dim, conv_filters, hidden_units)`` is the notebook's
    decoder with the label taken out (inputs [z, one_hot] kept, the label unused). The checker trains a small CVAE with it and
    judges the measured accuracy and reconstruction against a reference run of the notebook's decoder (with the label).

    Example: ``ex.check_decoder_label_experiment(build_decoder_without_label)``
    """
    what = "Exercise 3 · experiment: a decoder without the label"
    verdict = _start(what, build_decoder_without_label, "(latent_dim, conv_filters, hidden_units) -> keras.Model")
    if verdict is not None:
        return verdict
    settings = experiment_settings()
    sizes = (settings["latent_dim"], settings["conv_filters"], settings["hidden_units"])
    rng = np.random.default_rng(0)
    z = rng.standard_normal((4, sizes[0])).astype("float32")
    one_hot = np.eye(NUM_CLASSES, dtype="float32")[[1, 4, 7, 9]]
    result = _decoder_output(what, build_decoder_without_label, *sizes, z, one_hot)
    if isinstance(result, bool):
        return result
    model, output = result
    uses_label, uses_z = _changes_with(model, z, one_hot, output)
    if uses_label:
        return report(False, f"{what}: the output still changes with the label: take the label out of the decoder "
                             "(keep the one_hot_label input so the training code runs unchanged, but do not use it).")
    if not uses_z:
        return report(False, f"{what}: the output ignores z as well: only the label should go; z must still enter the decoder.")
    if output.min() >= 0.0 and output.max() <= 1.0:
        return report(False, f"{what}: all outputs lie in [0, 1]: return logits (no sigmoid), as the notebook's decoder does.")
    weights = model.count_params()
    allowed = {reference_decoder(*sizes, use_label=use).count_params() for use in (False, True)}  # True: label fed a constant
    if weights not in allowed:
        return report(False, f"{what}: a different network: yours has {weights:,} weights, the notebook's decoder without the label "
                             f"{min(allowed):,}. Change only where the label enters; keep the layers and their widths.")
    print(f"Training two small CVAEs ({settings['epochs'] * -(-settings['train_digits'] // settings['batch_size'])} steps each): "
          "the notebook's decoder and yours...")  # the values are not printed here: a solution cell's output shows before it is opened
    reference = reference_run()
    ok, measured = call_safely(what, run_experiment, build_decoder_without_label)
    if not ok:
        return False
    chance = 1 / NUM_CLASSES
    summary = (f"{_line('your decoder', measured)} · {_line('reference with the label', reference)} (chance {chance:.0%})")
    if not all(math.isfinite(value) for value in measured.values()):
        return report(False, f"{what}: training diverged (NaN or infinity): {summary}.")
    if measured["accuracy"] > chance + 0.1 or measured["accuracy"] > reference["accuracy"] - 0.4:
        return report(False, f"{what}: the classifier still reads the requested digit too often for a decoder that cannot see "
                             f"the label. {summary}.")
    if not reference["recon"] < measured["recon"] <= 1.3 * reference["recon"]:
        return report(False, f"{what}: the reconstruction moved further than the missing label explains (allowed: worse than "
                             f"the reference, by at most 30%): the network differs from the notebook's in more than the label. "
                             f"{summary}.")
    if not reveal:
        return report(True, f"{what}: correct ({HIDDEN})")
    return report(True, f"{what}: correct. {summary}. Without the label the decoder cannot know which digit is asked for: the "
                        "classifier reads the requested digit about as often as chance. The class of a training digit can now "
                        "reach the decoder only through z, so reconstruction gets worse: from "
                        f"{reference['recon']:.1f} to {measured['recon']:.1f} nats per image after this short training (KL "
                        f"{reference['kl']:.2f} with the label, {measured['kl']:.2f} without).")
