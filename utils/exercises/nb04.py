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

from . import as_number, call_safely, is_blank, not_attempted, report
from . import check_function as _start

NUM_CLASSES = 10
HIDDEN = "what it measures is printed when you run your own answer in the cell above"


def _keras():
    import keras

    return keras


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


def check_label_in_feature_map(build_decoder: Callable | None) -> bool:
    """Exercise 1: ``build_decoder(latent_dim, conv_filters, hidden_units)`` is a conditional decoder that also
    concatenates the one-hot label, as num_classes constant channels, to its 7x7 feature map.

    Example: ``ex.check_label_in_feature_map(build_decoder_label_everywhere)``
    """
    what = "Exercise 1 · the label in the feature map"
    verdict = _start(what, build_decoder, "(latent_dim, conv_filters, hidden_units) -> keras.Model")
    if verdict is not None:
        return verdict
    keras = _keras()
    latent_dim, conv_filters, hidden_units = 3, (4, 6), 16
    rng = np.random.default_rng(0)
    z = rng.standard_normal((4, latent_dim)).astype("float32")
    one_hot = np.eye(NUM_CLASSES, dtype="float32")[[1, 4, 7, 9]]
    result = _decoder_output(what, build_decoder, latent_dim, conv_filters, hidden_units, z, one_hot)
    if isinstance(result, bool):
        return result
    model, output = result
    if output.min() >= 0.0 and output.max() <= 1.0:
        return report(False, f"{what}: all outputs lie in [0, 1]: they look like probabilities. Return logits (no sigmoid): "
                             "utils.vae.negative_elbo applies the sigmoid inside its loss.")
    uses_label, uses_z = _changes_with(model, z, one_hot, output)
    if not uses_label:
        return report(False, f"{what}: the output does not change when the label changes: the label never reaches the output.")
    if not uses_z:
        return report(False, f"{what}: the output does not change when z changes: the style code must still enter the decoder.")
    spatial = [layer for layer in model.layers if isinstance(layer, keras.layers.Concatenate)
               and len(layer.output.shape) == 4]
    if not spatial:
        return report(False, f"{what}: the label enters only at the input (concatenated to z). Also concatenate it to the 7x7 "
                             "feature map, as num_classes constant channels: reshape the one-hot to (1, 1, num_classes), "
                             "repeat it over 7x7 (layers.UpSampling2D(7)), then layers.Concatenate().")
    widths = [[int(part.shape[-1]) for part in layer.input] for layer in spatial]
    if not any(NUM_CLASSES in parts and any(w in conv_filters for w in parts) for parts in widths):
        shown = "; ".join(" + ".join(str(w) for w in parts) + " channels" for parts in widths)
        return report(False, f"{what}: a feature map is concatenated ({shown}), but not with the {NUM_CLASSES} label channels: "
                             "the one-hot label (num_classes values), repeated over the 7x7 grid, is what the exercise adds.")
    return report(True, f"{what}: correct: the label reaches the output both through the input and through the feature map.")


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

EXPERIMENT = {"train_digits": 4000, "epochs": 6, "batch_size": 64, "latent_dim": 8, "conv_filters": (8, 16),
              "hidden_units": 64, "beta": 2.0, "samples_per_class": 50, "seed": 0}


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


def run_experiment(build_decoder: Callable) -> dict:
    """Train a small CVAE (sizes in ``EXPERIMENT``) with the notebook's encoder and ``build_decoder``'s decoder;
    return the held-out KL and reconstruction (nats per image) and the share of prior samples read as the requested digit."""
    import tensorflow as tf

    from .. import data, metrics, vae

    keras = _keras()
    settings = EXPERIMENT
    x_train, y_train, x_test, y_test = data.load_mnist5k(limit=settings["train_digits"])
    keras.utils.set_random_seed(settings["seed"])
    sizes = (settings["latent_dim"], settings["conv_filters"], settings["hidden_units"])
    encoder, decoder = reference_conditional_encoder(*sizes), build_decoder(*sizes)
    optimizer = keras.optimizers.Adam(1e-3)
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
def reference_runs() -> dict:
    """The experiment with the notebook's decoder ("with label") and with the label removed from it ("without label")."""
    return {"with label": run_experiment(reference_decoder),
            "without label": run_experiment(functools.partial(reference_decoder, use_label=False))}


def _line(name: str, run: dict) -> str:
    return f"{name}: accuracy {run['accuracy']:.0%}, KL {run['kl']:.2f} nats, reconstruction {run['recon']:.1f} nats"


def check_decoder_label_experiment(build_decoder_without_label: Callable | None, *, reveal: bool = True) -> bool:
    """Exercise 3 (experiment): ``build_decoder_without_label(latent_dim, conv_filters, hidden_units)`` is the notebook's
    decoder with the label taken out (inputs [z, one_hot] kept, the label unused). The checker trains a small CVAE with it
    and judges the measured accuracy and KL against reference runs with and without the label.

    Example: ``ex.check_decoder_label_experiment(build_decoder_without_label)``
    """
    what = "Exercise 3 · experiment: a decoder without the label"
    verdict = _start(what, build_decoder_without_label, "(latent_dim, conv_filters, hidden_units) -> keras.Model")
    if verdict is not None:
        return verdict
    sizes = (EXPERIMENT["latent_dim"], EXPERIMENT["conv_filters"], EXPERIMENT["hidden_units"])
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
    ok, measured = call_safely(what, run_experiment, build_decoder_without_label)
    if not ok:
        return False
    references = reference_runs()
    with_label, without_label = references["with label"], references["without label"]
    chance = 1 / NUM_CLASSES
    accuracy_ok = abs(measured["accuracy"] - without_label["accuracy"]) <= 0.1 and measured["accuracy"] < with_label["accuracy"] - 0.3
    recon_ok = abs(measured["recon"] - without_label["recon"]) <= 0.05 * without_label["recon"]
    summary = (f"{_line('your decoder', measured)} · {_line('reference without label', without_label)} · "
               f"{_line('reference with label', with_label)} (chance {chance:.0%})")
    if accuracy_ok and recon_ok:
        if not reveal:
            return report(True, f"{what}: correct ({HIDDEN})")
        return report(True, f"{what}: correct. {summary}. Without the label the decoder cannot know which digit is asked for: the "
                            "classifier reads the requested digit about as often as chance. The class of a training digit can now reach "
                            f"the decoder only through z: reconstruction goes from {with_label['recon']:.1f} to {measured['recon']:.1f} "
                            f"nats and the KL from {with_label['kl']:.2f} to {measured['kl']:.2f} nats per image.")
    return report(False, f"{what}: the measured effect differs from the reference run without the label. {summary}. "
                         "Build the notebook's decoder exactly, with only the concatenation of the label removed.")
