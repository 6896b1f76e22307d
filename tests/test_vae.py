"""Tests for utils/vae.py (the ELBO pieces shared by notebooks 03 and 04) and quick overfitting
checks of the three model types of notebooks 02-04: a plain autoencoder, a VAE and a conditional VAE."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import layers

from utils import vae

# ----------------------------------------------------------------------------- known values


def test_kl_is_zero_at_the_prior_and_matches_the_formula():
    mean = np.array([[0.0, 0.0], [1.0, -2.0]], dtype="float32")
    log_var = np.array([[0.0, 0.0], [0.5, -1.0]], dtype="float32")
    kl = vae.kl_to_standard_normal(mean, log_var).numpy()
    expected = 0.5 * np.sum(mean**2 + np.exp(log_var) - log_var - 1, axis=1)
    assert kl.shape == (2,)
    assert kl[0] == pytest.approx(0.0, abs=1e-7)
    np.testing.assert_allclose(kl, expected, rtol=1e-6)
    assert np.all(kl >= 0)


def test_kl_sums_over_all_non_batch_axes():
    mean = np.ones((3, 2, 2), dtype="float32")
    kl = vae.kl_to_standard_normal(mean, np.zeros_like(mean)).numpy()
    np.testing.assert_allclose(kl, [2.0, 2.0, 2.0])  # 4 dimensions x 0.5 * 1^2


def test_bernoulli_nll_known_values():
    images = np.zeros((2, 2, 2, 1), dtype="float32")
    images[1] = 1.0
    logits = np.zeros_like(images)  # p = 0.5 for every pixel
    np.testing.assert_allclose(vae.bernoulli_nll(images, logits).numpy(), [4 * math.log(2)] * 2, rtol=1e-6)
    confident = np.where(images > 0.5, 20.0, -20.0).astype("float32")
    assert np.all(vae.bernoulli_nll(images, confident).numpy() < 1e-6)


def test_negative_elbo_combines_terms_with_beta():
    rng = np.random.default_rng(0)
    images = rng.uniform(size=(4, 28, 28, 1)).astype("float32")
    logits = rng.normal(size=images.shape).astype("float32")
    mean, log_var = rng.normal(size=(4, 3)).astype("float32"), rng.normal(size=(4, 3)).astype("float32")
    terms = vae.negative_elbo(images, logits, mean, log_var, beta=2.0)
    np.testing.assert_allclose(terms["loss"], terms["reconstruction"] + 2.0 * terms["kl"], rtol=1e-6)
    assert set(terms) == {"reconstruction", "kl", "loss"}


def test_reparameterize_statistics_and_gradients():
    rng = tf.random.Generator.from_seed(0)
    mean = tf.fill((20000, 1), 3.0)
    log_var = tf.fill((20000, 1), math.log(4.0))  # standard deviation 2
    z = vae.reparameterize(mean, log_var, rng).numpy()
    assert z.mean() == pytest.approx(3.0, abs=0.05)
    assert z.std() == pytest.approx(2.0, abs=0.05)
    small_mean, small_log_var = tf.zeros((2, 3)), tf.zeros((2, 3))
    with tf.GradientTape() as tape:
        tape.watch([small_mean, small_log_var])
        total = tf.reduce_sum(vae.reparameterize(small_mean, small_log_var, rng))
    grad_mean, grad_log_var = tape.gradient(total, [small_mean, small_log_var])
    np.testing.assert_allclose(grad_mean.numpy(), np.ones((2, 3)))
    assert grad_log_var is not None


def test_reparameterize_is_reproducible_with_a_seeded_generator():
    mean, log_var = tf.zeros((2, 3)), tf.zeros((2, 3))
    first = vae.reparameterize(mean, log_var, tf.random.Generator.from_seed(5)).numpy()
    second = vae.reparameterize(mean, log_var, tf.random.Generator.from_seed(5)).numpy()
    np.testing.assert_array_equal(first, second)


def test_bits_per_pixel():
    assert vae.bits_per_pixel(784 * math.log(2), 784) == pytest.approx(1.0)
    np.testing.assert_allclose(vae.bits_per_pixel(np.array([0.0, 784 * math.log(2) / 2]), 784), [0.0, 0.5])


def test_functions_work_inside_tf_function():
    @tf.function
    def loss(images, logits, mean, log_var):
        return tf.reduce_mean(vae.negative_elbo(images, logits, mean, log_var)["loss"])

    value = loss(tf.zeros((2, 28, 28, 1)), tf.zeros((2, 28, 28, 1)), tf.zeros((2, 4)), tf.zeros((2, 4)))
    assert float(value) == pytest.approx(784 * math.log(2), rel=1e-5)


# ----------------------------------------------------------------------------- bad inputs


def test_bad_inputs_give_clear_errors():
    with pytest.raises(ValueError, match="mean and log_var"):
        vae.kl_to_standard_normal(np.zeros((2, 3)), np.zeros((2, 4)))
    with pytest.raises(ValueError, match="mean must have at least 2 dimensions"):
        vae.kl_to_standard_normal(np.zeros(3), np.zeros(3))
    with pytest.raises(TypeError, match="mean must be a tensor or array"):
        vae.kl_to_standard_normal(None, np.zeros((2, 3)))
    with pytest.raises(TypeError, match="log_var must hold numbers"):
        vae.kl_to_standard_normal(np.zeros((1, 2)), [["a", "b"]])
    with pytest.raises(ValueError, match="images and logits"):
        vae.bernoulli_nll(np.zeros((2, 28, 28, 1)), np.zeros((2, 28, 28, 2)))
    with pytest.raises(ValueError, match=r"images must hold pixel values in \[0, 1\]"):
        vae.bernoulli_nll(np.full((1, 4, 4, 1), 255.0), np.zeros((1, 4, 4, 1)))
    with pytest.raises(TypeError, match="rng must be a tf.random.Generator"):
        vae.reparameterize(np.zeros((2, 3)), np.zeros((2, 3)), rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="beta must be in"):
        vae.negative_elbo(np.zeros((1, 2, 2, 1)), np.zeros((1, 2, 2, 1)), np.zeros((1, 2)), np.zeros((1, 2)), beta=-1.0)
    with pytest.raises(ValueError, match="num_pixels must be an integer"):
        vae.bits_per_pixel(100.0, 0)
    with pytest.raises(ValueError, match="nats_per_image holds 1 NaN"):
        vae.bits_per_pixel(np.array([1.0, np.nan]), 784)


# ----------------------------------------------------------------------------- loss falls when overfitting


def _tiny_images(count=16, seed=0):
    """A handful of small blob images in [0, 1] (fast, no dataset needed)."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:28, 0:28]
    centres = rng.uniform(8, 20, size=(count, 2))
    images = np.exp(-((rows - centres[:, :1, None]) ** 2 + (cols - centres[:, 1:, None]) ** 2) / 18.0)
    return images[..., None].astype("float32"), (np.arange(count) % 10).astype("int32")


def _mlp(inputs, outputs_units, hidden=32):
    return layers.Dense(outputs_units)(layers.Dense(hidden, activation="relu")(inputs))


def _losses(step, batch, num_steps=60):
    values = [float(step(*batch)) for _ in range(num_steps)]
    return np.mean(values[:5]), np.mean(values[-5:])


def test_autoencoder_loss_falls_when_overfitting():
    keras.utils.set_random_seed(0)
    images, _ = _tiny_images()
    inputs = keras.Input((28, 28, 1))
    encoder = keras.Model(inputs, _mlp(layers.Flatten()(inputs), 4))
    codes = keras.Input((4,))
    decoder = keras.Model(codes, layers.Reshape((28, 28, 1))(layers.Activation("sigmoid")(_mlp(codes, 784))))
    optimizer = keras.optimizers.Adam(3e-3)

    @tf.function
    def step(x):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(decoder(encoder(x)) - x))
        variables = encoder.trainable_variables + decoder.trainable_variables
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss

    first, last = _losses(step, (tf.constant(images),))
    assert last < 0.5 * first, (first, last)


def _vae_step(encoder, decoder, conditional):
    optimizer = keras.optimizers.Adam(3e-3)
    rng = tf.random.Generator.from_seed(0)

    @tf.function
    def step(x, one_hot):
        with tf.GradientTape() as tape:
            mean, log_var = encoder([x, one_hot] if conditional else x)
            z = vae.reparameterize(mean, log_var, rng)
            logits = decoder([z, one_hot] if conditional else z)
            loss = tf.reduce_mean(vae.negative_elbo(x, logits, mean, log_var)["loss"])
        variables = encoder.trainable_variables + decoder.trainable_variables
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss

    return step


@pytest.mark.parametrize("conditional", [False, True], ids=["vae", "cvae"])
def test_vae_and_cvae_loss_falls_when_overfitting(conditional):
    keras.utils.set_random_seed(0)
    images, labels = _tiny_images()
    one_hot = tf.one_hot(labels, 10)
    image_input, label_input = keras.Input((28, 28, 1)), keras.Input((10,))
    features = layers.Flatten()(image_input)
    if conditional:
        features = layers.Concatenate()([features, label_input])
    hidden = layers.Dense(32, activation="relu")(features)
    encoder = keras.Model([image_input, label_input] if conditional else image_input,
                          [layers.Dense(2)(hidden), layers.Dense(2)(hidden)])
    z_input = keras.Input((2,))
    decoder_input = layers.Concatenate()([z_input, label_input]) if conditional else z_input
    decoder = keras.Model([z_input, label_input] if conditional else z_input,
                          layers.Reshape((28, 28, 1))(_mlp(decoder_input, 784)))
    step = _vae_step(encoder, decoder, conditional)
    first, last = _losses(step, (tf.constant(images), one_hot))
    assert last < 0.7 * first, (first, last)
    assert np.isfinite(last)
