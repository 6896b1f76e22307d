"""Tests for utils.gan (builders, losses, gradient penalty, training step) and the checkers of notebooks 05-07."""

import numpy as np
import pytest
import tensorflow as tf

import utils
from utils import gan
from utils.exercises import nb05

# ----------------------------------------------------------------------------- builders

@pytest.mark.parametrize("num_classes", [None, 10])
def test_dcgan_builders_shapes(num_classes):
    generator = gan.build_dcgan_generator(8, width=8, num_classes=num_classes)
    discriminator = gan.build_dcgan_discriminator(width=8, num_classes=num_classes)
    noise = tf.zeros((3, 8))
    labels = tf.constant([0, 5, 9])
    images = generator([noise, labels] if num_classes else noise, training=False)
    assert images.shape == (3, 28, 28, 1)
    assert float(tf.reduce_max(tf.abs(images))) <= 1.0  # tanh output
    logits = discriminator([images, labels] if num_classes else images, training=False)
    assert logits.shape == (3, 1)


def test_auxiliary_classifier_discriminator():
    discriminator = gan.build_dcgan_discriminator(width=8, num_classes=10, conditioning="auxiliary")
    logit, class_logits = discriminator(tf.zeros((2, 28, 28, 1)), training=False)
    assert logit.shape == (2, 1) and class_logits.shape == (2, 10)
    with pytest.raises(ValueError, match="conditioning"):
        gan.build_dcgan_discriminator(width=8, num_classes=10, conditioning="projection")


def test_tutorial_builders_shapes():
    generator = gan.build_tutorial_generator(100)
    discriminator = gan.build_tutorial_discriminator()
    images = generator(tf.zeros((2, 100)), training=False)
    assert images.shape == (2, 28, 28, 1)
    assert discriminator(images, training=False).shape == (2, 1)


def test_builders_reject_bad_arguments():
    with pytest.raises(ValueError, match="latent_dim"):
        gan.build_dcgan_generator(0)
    with pytest.raises(ValueError, match="num_classes"):
        gan.build_dcgan_generator(8, num_classes=1)
    with pytest.raises(ValueError, match="width"):
        gan.build_dcgan_discriminator(width=2)


# ----------------------------------------------------------------------------- losses

def test_losses_known_values():
    # logits of 0 mean D = 1/2: the discriminator's loss is log 4 and the generator's log 2
    zeros = tf.zeros((4, 1))
    assert float(gan.discriminator_loss(zeros, zeros)) == pytest.approx(np.log(4.0), rel=1e-5)
    assert float(gan.generator_loss(zeros)) == pytest.approx(np.log(2.0), rel=1e-5)
    # confident, correct discriminator: loss near zero; stable for huge logits
    assert float(gan.discriminator_loss(tf.fill((4, 1), 50.0), tf.fill((4, 1), -50.0))) < 1e-6
    assert np.isfinite(float(gan.generator_loss(tf.fill((4, 1), -100.0))))


def test_discriminator_loss_label_smoothing_and_bad_label():
    zeros = tf.zeros((2, 1))
    assert float(gan.discriminator_loss(zeros, zeros, real_label=0.9)) == pytest.approx(np.log(4.0), rel=1e-5)
    with pytest.raises(ValueError, match="real_label"):
        gan.discriminator_loss(zeros, zeros, real_label=1.5)


# ----------------------------------------------------------------------------- gradient penalty

@pytest.mark.parametrize("weights", [[3.0, 4.0], [0.6, 0.8], [0.0, 0.5]])
def test_gradient_penalty_linear_critic(weights):
    # f(x) = a . x has gradient a everywhere, so the penalty is (|a| - 1)^2 whatever the points
    a = tf.constant(weights)
    critic = lambda x: tf.reduce_sum(x * a, axis=1)  # noqa: E731
    rng = np.random.default_rng(0)
    real = rng.normal(size=(16, 2)).astype("float32")
    fake = rng.normal(size=(16, 2)).astype("float32")
    expected = (np.linalg.norm(weights) - 1.0) ** 2
    assert float(gan.gradient_penalty(critic, real, fake)) == pytest.approx(expected, rel=1e-4, abs=1e-6)


def test_gradient_penalty_on_images_with_fixed_alpha():
    # f(x) = 2 * sum(x) on 28x28 images: gradient norm 2 * 28 = 56 -> penalty 55^2
    critic = lambda x: 2.0 * tf.reduce_sum(x, axis=[1, 2, 3])  # noqa: E731
    real = tf.ones((3, 28, 28, 1))
    fake = tf.zeros((3, 28, 28, 1))
    penalty = gan.gradient_penalty(critic, real, fake, alpha=tf.constant([0.0, 0.5, 1.0]))
    assert float(penalty) == pytest.approx(55.0 ** 2, rel=1e-4)


def test_gradient_penalty_trains_through_nested_tape():
    # the outer tape must see the penalty's dependence on the critic's weights
    import keras

    critic = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, use_bias=False)])
    critic.layers[0].kernel.assign(tf.constant([[3.0], [4.0]]))
    real, fake = tf.ones((4, 2)), tf.zeros((4, 2))
    with tf.GradientTape() as tape:
        penalty = gan.gradient_penalty(critic, real, fake)
    gradient = tape.gradient(penalty, critic.trainable_weights)[0]
    # d/da (|a| - 1)^2 = 2 (|a| - 1) a / |a| = 2 * 4 * (0.6, 0.8)
    np.testing.assert_allclose(gradient.numpy().ravel(), [4.8, 6.4], rtol=1e-4)


def test_gradient_penalty_bad_inputs():
    critic = lambda x: tf.reduce_sum(x, axis=1)  # noqa: E731
    with pytest.raises(TypeError, match="critic"):
        gan.gradient_penalty("not a model", tf.zeros((2, 2)), tf.zeros((2, 2)))
    with pytest.raises(ValueError, match="same shape"):
        gan.gradient_penalty(critic, tf.zeros((2, 2)), tf.zeros((3, 2)))
    with pytest.raises(ValueError, match="alpha"):
        gan.gradient_penalty(critic, tf.zeros((2, 2)), tf.zeros((2, 2)), alpha=tf.zeros((2, 1)))
    with pytest.raises(ValueError, match="does not depend"):
        gan.gradient_penalty(lambda x: tf.constant([1.0, 2.0]), tf.zeros((2, 2)), tf.zeros((2, 2)))


# ----------------------------------------------------------------------------- training

def test_discriminator_step_lowers_its_loss_on_a_fixed_batch():
    import keras

    utils.config.seed_everything(0)
    discriminator = gan.build_dcgan_discriminator(width=8)
    optimizer = keras.optimizers.Adam(1e-3)
    rng = np.random.default_rng(0)
    real = tf.constant(rng.uniform(-1, 1, (16, 28, 28, 1)).astype("float32"))
    fake = tf.constant(rng.uniform(-1, 1, (16, 28, 28, 1)).astype("float32") * 0.2)

    def loss():
        return gan.discriminator_loss(discriminator(real, training=True), discriminator(fake, training=True))

    before = float(loss())
    for _ in range(10):
        with tf.GradientTape() as tape:
            value = loss()
        optimizer.apply_gradients(zip(tape.gradient(value, discriminator.trainable_weights), discriminator.trainable_weights))
    assert float(loss()) < before


def test_dcgan_train_step_runs_and_tracks_ema():
    import keras

    utils.config.seed_everything(0)
    generator = gan.build_dcgan_generator(8, width=8)
    ema = gan.build_dcgan_generator(8, width=8, name="ema")
    gan.copy_weights(generator, ema)
    discriminator = gan.build_dcgan_discriminator(width=8)
    step = gan.make_dcgan_train_step(generator, discriminator, keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3),
                                     tf.random.Generator.from_seed(0), latent_dim=8, generator_ema=ema)
    real = tf.constant(np.random.default_rng(0).uniform(-1, 1, (8, 28, 28, 1)).astype("float32"))
    for _ in range(3):
        losses = step(real)
    assert set(losses) == {"d_loss", "g_loss"} and np.isfinite(float(losses["d_loss"]))
    # the average moved away from the initial weights, towards the generator's
    assert not np.allclose(ema.weights[0].numpy(), 0) and ema.weights[0].shape == generator.weights[0].shape
    images = gan.sample_images(ema, np.zeros((5, 8), "float32"))
    assert images.shape == (5, 28, 28, 1) and images.min() >= 0 and images.max() <= 1


def test_copy_weights_and_sample_images_bad_inputs():
    small = gan.build_dcgan_generator(8, width=8)
    with pytest.raises(ValueError, match="architecture"):
        gan.copy_weights(small, gan.build_dcgan_discriminator(width=8))
    with pytest.raises(ValueError, match="labels"):
        gan.sample_images(small, np.zeros((3, 8), "float32"), labels=np.zeros(2))
    with pytest.raises(ValueError, match="noise"):
        gan.sample_images(small, np.zeros((3,), "float32"))


# ----------------------------------------------------------------------------- metrics used here

def test_mode_coverage_collapsed_generator():
    modes = utils.data.toy_modes("ring")
    collapsed = np.repeat(modes[:1], 100, axis=0)
    result = utils.metrics.mode_coverage(collapsed, modes, std=0.05)
    assert result["modes_covered"] == 1 and result["high_quality"] == 1.0


# ----------------------------------------------------------------------------- exercise checkers

def _blank_and_wrong(checker, wrong):
    assert checker(None) is False
    assert checker(wrong) is False


def test_nb05_checkers(capsys):
    _blank_and_wrong(nb05.check_pacgan_experiment, lambda points, noise, seed, steps: np.zeros((10, 2)))  # rejected before training
    _blank_and_wrong(nb05.check_count_covered, lambda s, m, std: 0)
    assert nb05.check_count_covered(lambda s, m, std: utils.metrics.mode_coverage(s, m, std)["modes_covered"])
    assert "not attempted" in capsys.readouterr().out
