"""GAN pieces shared by notebooks 06-07 and ``benchmarks/dcgan_vs_tutorial.py``.

* Builders: the course's DCGAN (``build_dcgan_generator`` / ``build_dcgan_discriminator``,
  optionally class-conditional) and the TensorFlow DCGAN tutorial's configuration
  (``build_tutorial_generator`` / ``build_tutorial_discriminator``) used as the benchmark's anchor.
* Losses: ``discriminator_loss`` and ``generator_loss`` (non-saturating, from logits),
  ``gradient_penalty`` for WGAN-GP (written with a nested ``tf.GradientTape``).
* Training: ``make_dcgan_train_step`` (one discriminator and one generator update, with an
  exponential moving average of the generator's weights) and ``sample_images``.

Notebook 05 writes its losses and loop by hand; these helpers exist so that notebook 06 and
the benchmark run exactly the same code.
"""

from __future__ import annotations

from collections.abc import Callable

from . import _checks

IMAGE_SHAPE = (28, 28, 1)


def _keras():
    import keras
    from keras import layers

    return keras, layers


def _check_classes(num_classes):
    if num_classes is None:
        return None
    return _checks.positive_int("num_classes", num_classes, minimum=2)


# ----------------------------------------------------------------------------- the course's DCGAN

def build_dcgan_generator(latent_dim: int = 64, *, width: int = 64, num_classes: int | None = None, name: str = "generator"):
    """DCGAN generator: z (and a class label) -> 28x28x1 image in [-1, 1].

    Dense to 7x7x(2*width), then two stride-2 transposed convolutions (7->14->28), batch
    normalisation + ReLU everywhere except the tanh output (Radford et al.'s guidelines).
    With ``num_classes`` the model takes ``[z, labels]`` and concatenates a learned label
    embedding to z. Example: ``g = build_dcgan_generator(64); g(tf.zeros((2, 64))).shape``
    """
    keras, layers = _keras()
    latent_dim = _checks.positive_int("latent_dim", latent_dim)
    width = _checks.positive_int("width", width, minimum=4)
    num_classes = _check_classes(num_classes)
    noise = keras.Input((latent_dim,), name="z")
    inputs = [noise]
    x = noise
    if num_classes:
        labels = keras.Input((), dtype="int32", name="label")
        inputs.append(labels)
        x = layers.Concatenate()([x, layers.Embedding(num_classes, 16, name="label_embedding")(labels)])
    x = layers.Dense(7 * 7 * 2 * width, use_bias=False)(x)
    x = layers.BatchNormalization(momentum=0.9)(x)
    x = layers.ReLU()(x)
    x = layers.Reshape((7, 7, 2 * width))(x)
    x = layers.Conv2DTranspose(width, 4, strides=2, padding="same", use_bias=False)(x)  # 14x14
    x = layers.BatchNormalization(momentum=0.9)(x)
    x = layers.ReLU()(x)
    image = layers.Conv2DTranspose(1, 4, strides=2, padding="same", activation="tanh")(x)  # 28x28
    return keras.Model(inputs if num_classes else noise, image, name=name)


def build_dcgan_discriminator(*, width: int = 64, num_classes: int | None = None, conditioning: str = "input",
                              batch_norm: bool = False, name: str = "discriminator"):
    """DCGAN discriminator (or WGAN critic): 28x28x1 image in [-1, 1] (and a label) -> one logit.

    Two stride-2 convolutions with LeakyReLU(0.2), no pooling, no dropout; one linear output.
    ``batch_norm=False`` by default: it keeps the gradient penalty of WGAN-GP well defined
    (the penalty needs each image's score to depend on that image only).
    With ``num_classes`` and ``conditioning="input"`` the model takes ``[image, label]``: the label
    is embedded as a learned 28x28 plane stacked onto the image as a second channel. With
    ``conditioning="auxiliary"`` (AC-GAN, Odena et al. 2017) it takes the image only and returns
    ``[logit, class_logits]``: a second head classifies the digit from the same features.
    Example: ``d = build_dcgan_discriminator(); d(tf.zeros((2, 28, 28, 1))).shape  # (2, 1)``
    """
    keras, layers = _keras()
    width = _checks.positive_int("width", width, minimum=4)
    num_classes = _check_classes(num_classes)
    _checks.one_of("conditioning", conditioning, ("input", "auxiliary"))
    image = keras.Input(IMAGE_SHAPE, name="image")
    inputs = [image]
    x = image
    if num_classes and conditioning == "input":
        labels = keras.Input((), dtype="int32", name="label")
        inputs.append(labels)
        plane = layers.Embedding(num_classes, 28 * 28, name="label_embedding")(labels)
        x = layers.Concatenate()([x, layers.Reshape(IMAGE_SHAPE)(plane)])
    x = layers.Conv2D(width, 4, strides=2, padding="same")(x)  # 14x14
    x = layers.LeakyReLU(0.2)(x)
    x = layers.Conv2D(2 * width, 4, strides=2, padding="same", use_bias=not batch_norm)(x)  # 7x7
    if batch_norm:
        x = layers.BatchNormalization()(x)
    x = layers.LeakyReLU(0.2)(x)
    x = layers.Flatten()(x)
    logit = layers.Dense(1, name="logit")(x)
    if num_classes and conditioning == "auxiliary":
        return keras.Model(image, [logit, layers.Dense(num_classes, name="class_logits")(x)], name=name)
    return keras.Model(inputs if num_classes else image, logit, name=name)


# ----------------------------------------------------------------------------- the tutorial's DCGAN

def build_tutorial_generator(latent_dim: int = 100):
    """The TensorFlow DCGAN tutorial's generator (Dense 7x7x256, ConvT 128/64/1 with k5). Example: ``build_tutorial_generator()``"""
    keras, layers = _keras()
    latent_dim = _checks.positive_int("latent_dim", latent_dim)
    return keras.Sequential([
        keras.Input((latent_dim,)),
        layers.Dense(7 * 7 * 256, use_bias=False),
        layers.BatchNormalization(),
        layers.LeakyReLU(),
        layers.Reshape((7, 7, 256)),
        layers.Conv2DTranspose(128, 5, strides=1, padding="same", use_bias=False),
        layers.BatchNormalization(),
        layers.LeakyReLU(),
        layers.Conv2DTranspose(64, 5, strides=2, padding="same", use_bias=False),
        layers.BatchNormalization(),
        layers.LeakyReLU(),
        layers.Conv2DTranspose(1, 5, strides=2, padding="same", use_bias=False, activation="tanh"),
    ], name="tutorial_generator")


def build_tutorial_discriminator():
    """The TensorFlow DCGAN tutorial's discriminator (Conv 64/128 k5 s2, LeakyReLU, dropout 0.3). Example: ``build_tutorial_discriminator()``"""
    keras, layers = _keras()
    return keras.Sequential([
        keras.Input(IMAGE_SHAPE),
        layers.Conv2D(64, 5, strides=2, padding="same"),
        layers.LeakyReLU(),
        layers.Dropout(0.3),
        layers.Conv2D(128, 5, strides=2, padding="same"),
        layers.LeakyReLU(),
        layers.Dropout(0.3),
        layers.Flatten(),
        layers.Dense(1),
    ], name="tutorial_discriminator")


# ----------------------------------------------------------------------------- losses

def discriminator_loss(real_logits, fake_logits, *, real_label: float = 1.0):
    """Binary cross-entropy of the discriminator: real -> ``real_label`` (1, or 0.9 for one-sided smoothing), fake -> 0.

    Example: ``discriminator_loss(d(real), d(fake))``
    """
    import tensorflow as tf

    real_label = _checks.number_in("real_label", real_label, 0.5, 1.0)
    real_logits = tf.convert_to_tensor(real_logits)
    fake_logits = tf.convert_to_tensor(fake_logits)
    real_term = tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.fill(tf.shape(real_logits), real_label), logits=real_logits)
    fake_term = tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.zeros_like(fake_logits), logits=fake_logits)
    return tf.reduce_mean(real_term) + tf.reduce_mean(fake_term)


def generator_loss(fake_logits):
    """Non-saturating generator loss -log D(G(z)) = softplus(-logit). Example: ``generator_loss(d(g(z)))``"""
    import tensorflow as tf

    return tf.reduce_mean(tf.nn.softplus(-tf.convert_to_tensor(fake_logits)))


def gradient_penalty(critic: Callable, real, fake, *, alpha=None, seed=None):
    """WGAN-GP penalty E[(||grad_x critic(x_hat)||_2 - 1)^2] at random points x_hat between real and fake.

    ``critic`` maps a batch to one score per example (shape (N,) or (N, 1)); ``alpha`` are the
    mixing weights, shape (N,), drawn uniformly when None (``seed`` makes that draw stateless).
    Call it inside the critic's outer tape: the inner tape here takes the gradient with respect
    to the inputs, the outer one differentiates the penalty with respect to the weights.
    Example: ``gradient_penalty(lambda x: critic(x), real_images, fake_images)``
    """
    import tensorflow as tf

    if not callable(critic):
        raise TypeError(f"critic must be callable (a model or function), got {type(critic).__name__}")
    real = tf.convert_to_tensor(real, dtype=tf.float32)
    fake = tf.convert_to_tensor(fake, dtype=tf.float32)
    if real.shape.rank is not None and fake.shape.rank is not None and real.shape.is_fully_defined() and fake.shape.is_fully_defined():
        if real.shape != fake.shape:
            raise ValueError(f"real and fake must have the same shape, got {tuple(real.shape)} and {tuple(fake.shape)}")
    if real.shape.rank is not None and real.shape.rank < 2:
        raise ValueError(f"real and fake must be batches of shape (N, ...), got shape {tuple(real.shape)}")
    batch = tf.shape(real)[0]
    if alpha is None:
        if seed is None:
            alpha = tf.random.uniform([batch])
        else:
            alpha = tf.random.stateless_uniform([batch], seed=seed)
    alpha = tf.convert_to_tensor(alpha, dtype=tf.float32)
    if alpha.shape.rank != 1:
        raise ValueError(f"alpha must have shape (N,), one mixing weight per example, got {tuple(alpha.shape)}")
    alpha = tf.reshape(alpha, tf.concat([[batch], tf.ones([tf.rank(real) - 1], tf.int32)], axis=0))
    mixed = alpha * real + (1.0 - alpha) * fake
    with tf.GradientTape() as inner_tape:
        inner_tape.watch(mixed)
        scores = critic(mixed)
    gradients = inner_tape.gradient(scores, mixed)
    if gradients is None:
        raise ValueError("critic's output does not depend on its input; the gradient penalty is undefined")
    norms = tf.sqrt(tf.reduce_sum(tf.square(tf.reshape(gradients, [batch, -1])), axis=1) + 1e-12)
    return tf.reduce_mean(tf.square(norms - 1.0))


# ----------------------------------------------------------------------------- training

def copy_weights(source, target) -> None:
    """Copy every weight (trainable or not) of ``source`` into ``target`` (same architecture). Example: ``copy_weights(g, g_ema)``"""
    if len(source.weights) != len(target.weights):
        raise ValueError(f"source and target must have the same architecture, got {len(source.weights)} and {len(target.weights)} weights")
    for target_weight, source_weight in zip(target.weights, source.weights):
        target_weight.assign(source_weight)


def make_dcgan_train_step(generator, discriminator, g_optimizer, d_optimizer, noise_rng, *, latent_dim: int,
                          generator_ema=None, ema_decay: float = 0.999, real_label: float = 1.0):
    """One DCGAN training step as a ``tf.function``: a discriminator update, then a generator update.

    ``real_images`` are in [-1, 1]. When ``generator_ema`` (a model of the same architecture) is
    given, its weights track an exponential moving average of the generator's weights (with a warm-up,
    so that it follows the generator closely early in training): averaging
    the last few hundred steps smooths out the generator's oscillation around the game's
    equilibrium and gives visibly cleaner samples at no extra training cost.
    Returns ``train_step(real_images) -> {"d_loss", "g_loss"}``.
    Example: ``step = make_dcgan_train_step(g, d, g_opt, d_opt, tf.random.Generator.from_seed(0), latent_dim=64)``
    """
    import tensorflow as tf

    latent_dim = _checks.positive_int("latent_dim", latent_dim)
    ema_decay = _checks.number_in("ema_decay", ema_decay, 0.0, 1.0, inclusive=False)
    pairs = list(zip(generator_ema.weights, generator.weights)) if generator_ema is not None else []
    if generator_ema is not None and len(generator_ema.weights) != len(generator.weights):
        raise ValueError("generator_ema must have the same architecture as generator")
    step_counter = g_optimizer.iterations  # saved with the optimizer, so a resumed run continues the warm-up

    @tf.function
    def train_step(real_images):
        batch = tf.shape(real_images)[0]
        noise = noise_rng.normal([batch, latent_dim])
        with tf.GradientTape() as tape:
            fake_images = generator(noise, training=True)
            d_loss = discriminator_loss(discriminator(real_images, training=True), discriminator(fake_images, training=True),
                                        real_label=real_label)
        d_optimizer.apply_gradients(zip(tape.gradient(d_loss, discriminator.trainable_weights), discriminator.trainable_weights))
        noise = noise_rng.normal([batch, latent_dim])
        with tf.GradientTape() as tape:
            g_loss = generator_loss(discriminator(generator(noise, training=True), training=True))
        g_optimizer.apply_gradients(zip(tape.gradient(g_loss, generator.trainable_weights), generator.trainable_weights))
        # Warm-up: average over the ~(10 + t) / 9 most recent steps until that reaches 1 / (1 - ema_decay).
        step = tf.cast(step_counter, tf.float32)
        decay = tf.minimum(ema_decay, (1.0 + step) / (10.0 + step))
        for ema_weight, weight in pairs:
            ema_weight.assign(decay * ema_weight + (1.0 - decay) * weight)
        return {"d_loss": d_loss, "g_loss": g_loss}

    return train_step


def sample_images(generator, noise, labels=None, *, batch_size: int = 500):
    """Generate images in [0, 1] as a NumPy array (rescaling the tanh output). Example: ``sample_images(g, z)``"""
    import numpy as np

    noise = _checks.as_array("noise", noise, ndim=2).astype("float32")
    batch_size = _checks.positive_int("batch_size", batch_size)
    if labels is not None:
        labels = _checks.as_array("labels", labels, ndim=1).astype("int32")
        if len(labels) != len(noise):
            raise ValueError(f"labels must have one entry per noise vector ({len(noise)}), got {len(labels)}")
    parts = []
    for start in range(0, len(noise), batch_size):
        chunk = noise[start:start + batch_size]
        inputs = chunk if labels is None else [chunk, labels[start:start + batch_size]]
        parts.append(np.asarray(generator(inputs, training=False)))
    return np.clip((np.concatenate(parts) + 1.0) / 2.0, 0.0, 1.0)
