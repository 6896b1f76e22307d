"""The pieces of a variational autoencoder's loss that notebooks 03 (VAE) and 04 (conditional VAE) share.

* ``reparameterize``: draw z = mean + sigma * eps so gradients flow into mean and log-variance.
* ``kl_to_standard_normal``: KL(N(mean, diag(exp(log_var))) || N(0, I)) per example, in nats.
* ``bernoulli_nll``: -log p(x | z) of images under independent Bernoulli pixels, per example, in nats.
* ``negative_elbo``: both terms and their (beta-weighted) sum, per example.
* ``bits_per_pixel``: a per-image negative log-likelihood (bound) in nats as bits per pixel.

All functions take TensorFlow tensors or NumPy arrays and return float32 tensors of shape (batch,).
"""

from __future__ import annotations

import math

import numpy as np

from . import _checks


def _tensor(name: str, value, *, min_rank: int = 2):
    import tensorflow as tf

    if value is None:
        raise TypeError(f"{name} must be a tensor or array, got None")
    try:
        tensor = tf.convert_to_tensor(value, dtype=tf.float32)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name} must hold numbers, got {type(value).__name__} ({error})") from None
    if tensor.shape.rank is not None and tensor.shape.rank < min_rank:
        raise ValueError(f"{name} must have at least {min_rank} dimensions (batch first), got shape {tuple(tensor.shape)}")
    return tensor


def _same_shape(name_a: str, a, name_b: str, b) -> None:
    if a.shape.is_fully_defined() and b.shape.is_fully_defined() and a.shape != b.shape:
        raise ValueError(f"{name_a} and {name_b} must have the same shape, got {tuple(a.shape)} and {tuple(b.shape)}")


def reparameterize(mean, log_var, rng):
    """Sample z ~ N(mean, exp(log_var)) as mean + exp(log_var / 2) * eps with eps ~ N(0, I) from ``rng``.

    The randomness sits in eps, outside the network, so d z / d mean = 1 and
    d z / d log_var = sigma * eps / 2: gradients reach the encoder.
    Example: ``z = utils.vae.reparameterize(mean, log_var, tf.random.Generator.from_seed(0))``
    """
    import tensorflow as tf

    mean = _tensor("mean", mean)
    log_var = _tensor("log_var", log_var)
    _same_shape("mean", mean, "log_var", log_var)
    if not isinstance(rng, tf.random.Generator):
        raise TypeError(f"rng must be a tf.random.Generator (e.g. tf.random.Generator.from_seed(0)), got {type(rng).__name__}")
    epsilon = rng.normal(tf.shape(mean))
    return mean + tf.exp(0.5 * log_var) * epsilon


def kl_to_standard_normal(mean, log_var):
    """KL divergence from N(mean, diag(exp(log_var))) to N(0, I) in nats, summed over latent dimensions.

    KL = 1/2 * sum(mean^2 + exp(log_var) - log_var - 1); zero exactly when mean = 0 and log_var = 0.
    Example: ``utils.vae.kl_to_standard_normal(np.zeros((1, 2)), np.zeros((1, 2)))  # [0.]``
    """
    import tensorflow as tf

    mean = _tensor("mean", mean)
    log_var = _tensor("log_var", log_var)
    _same_shape("mean", mean, "log_var", log_var)
    per_dim = 0.5 * (tf.square(mean) + tf.exp(log_var) - log_var - 1.0)
    return tf.reduce_sum(tf.reshape(per_dim, [tf.shape(per_dim)[0], -1]), axis=1)


def bernoulli_nll(images, logits):
    """-log p(images | logits) in nats per example for independent Bernoulli pixels (images in [0, 1]).

    Uses the numerically stable sigmoid cross-entropy on logits, summed over all pixels.
    Grey values in (0, 1) are allowed (a continuous relaxation, as usual for MNIST).
    Example: ``utils.vae.bernoulli_nll(x_batch, decoder(z))``
    """
    import tensorflow as tf

    images = _tensor("images", images)
    logits = _tensor("logits", logits)
    _same_shape("images", images, "logits", logits)
    if tf.executing_eagerly():
        low, high = float(tf.reduce_min(images)), float(tf.reduce_max(images))
        if low < -1e-3 or high > 1 + 1e-3:
            raise ValueError(f"images must hold pixel values in [0, 1], got range [{low:.3g}, {high:.3g}]")
    per_pixel = tf.nn.sigmoid_cross_entropy_with_logits(labels=images, logits=logits)
    return tf.reduce_sum(tf.reshape(per_pixel, [tf.shape(per_pixel)[0], -1]), axis=1)


def negative_elbo(images, logits, mean, log_var, beta: float = 1.0) -> dict:
    """The VAE loss per example: ``{"reconstruction", "kl", "loss"}`` with loss = reconstruction + beta * kl.

    With beta = 1 the loss is the negative ELBO, an upper bound on -log p(x) in nats.
    Example: ``terms = utils.vae.negative_elbo(x, logits, mean, log_var); tf.reduce_mean(terms["loss"])``
    """
    beta = _checks.number_in("beta", beta, 0.0, float("inf"))
    reconstruction = bernoulli_nll(images, logits)
    kl = kl_to_standard_normal(mean, log_var)
    return {"reconstruction": reconstruction, "kl": kl, "loss": reconstruction + beta * kl}


def bits_per_pixel(nats_per_image, num_pixels: int):
    """Convert a negative log-likelihood (or negative ELBO) in nats per image to bits per pixel.

    bits/pixel = nats / (num_pixels * ln 2). Example: ``bits_per_pixel(100.0, 784)  # 0.184``
    """
    num_pixels = _checks.positive_int("num_pixels", num_pixels)
    value = _checks.as_array("nats_per_image", nats_per_image)
    result = value / (num_pixels * math.log(2.0))
    return float(result) if np.ndim(result) == 0 else result
