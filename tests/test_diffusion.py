"""Tests for utils/diffusion.py (notebook 10): schedules, the closed-form forward process, the time
embedding, DDPM and DDIM steps, a training step on the simple loss, and the argument checks."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import layers

from utils import diffusion

# ----------------------------------------------------------------------------- schedules


@pytest.mark.parametrize("kind", diffusion.SCHEDULES)
def test_schedule_is_consistent_and_ends_in_noise(kind):
    schedule = diffusion.make_schedule(kind, 1000)
    assert schedule.kind == kind and schedule.num_steps == 1000
    assert np.all((schedule.betas > 0) & (schedule.betas < 1))
    np.testing.assert_allclose(schedule.alphas, 1 - schedule.betas)
    np.testing.assert_allclose(schedule.alpha_bars, np.cumprod(schedule.alphas))
    assert np.all(np.diff(schedule.alpha_bars) < 0)  # every step removes signal
    assert schedule.alpha_bars[0] > 0.999 and schedule.alpha_bars[-1] < 1e-4  # starts at the data, ends in noise


def test_linear_schedule_matches_ho_et_al_and_rescales_with_t():
    schedule = diffusion.make_schedule("linear", 1000)
    assert schedule.betas[0] == pytest.approx(1e-4) and schedule.betas[-1] == pytest.approx(0.02)
    short = diffusion.make_schedule("linear", 100)
    assert short.betas[0] == pytest.approx(1e-3) and short.betas[-1] == pytest.approx(0.2)
    assert short.alpha_bars[-1] < 1e-3  # fewer, larger steps still end in noise


def test_cosine_schedule_follows_its_formula():
    schedule = diffusion.make_schedule("cosine", 1000)
    f = np.cos((np.arange(1001) / 1000 + 0.008) / 1.008 * np.pi / 2) ** 2
    np.testing.assert_allclose(schedule.alpha_bars[:900], (f[1:] / f[0])[:900], rtol=1e-6)  # before the beta cap bites
    assert schedule.betas.max() <= 0.999


# ----------------------------------------------------------------------------- forward process


@pytest.mark.parametrize("kind", diffusion.SCHEDULES)
def test_closed_form_matches_iterating_the_forward_process(kind):
    schedule = diffusion.make_schedule(kind, 200)
    rng = np.random.default_rng(0)
    x0 = rng.uniform(-1, 1, size=(4, 3))
    for t in (0, 10, 100, 199):
        # the chain with fixed noises equals one Gaussian step: compare mean and covariance over many runs
        runs = 4000
        x = np.repeat(x0[None], runs, axis=0)
        for s in range(t + 1):
            x = np.sqrt(schedule.alphas[s]) * x + np.sqrt(schedule.betas[s]) * rng.standard_normal(x.shape)
        mean_coefficient = np.sqrt(schedule.alpha_bars[t])
        np.testing.assert_allclose(x.mean(axis=0), mean_coefficient * x0, atol=4 * math.sqrt(1 / runs))
        np.testing.assert_allclose(x.std(axis=0), np.sqrt(1 - schedule.alpha_bars[t]), rtol=0.06)
        # and the closed form itself: the same formula on a fixed noise
        noise = rng.standard_normal(x0.shape)
        jumped = diffusion.q_sample(x0, np.full(4, t), noise, schedule).numpy()
        np.testing.assert_allclose(jumped, mean_coefficient * x0 + np.sqrt(1 - schedule.alpha_bars[t]) * noise, rtol=1e-5, atol=1e-6)


def test_closed_form_deterministic_chain_agrees_exactly():
    # with all the noise in the first step (and none after), iterating gives sqrt(prod alpha) x0 + ...: check the signal part
    schedule = diffusion.make_schedule("linear", 50)
    x0 = np.array([[0.5, -0.25]])
    x = x0.copy()
    for s in range(50):
        x = np.sqrt(schedule.alphas[s]) * x
    np.testing.assert_allclose(x, diffusion.q_sample(x0, np.array([49]), np.zeros_like(x0), schedule).numpy(), rtol=1e-5)


def test_q_sample_broadcasts_one_step_per_example_over_images():
    schedule = diffusion.make_schedule("cosine", 100)
    x0 = np.ones((3, 4, 4, 1), dtype="float32")
    noisy = diffusion.q_sample(x0, np.array([0, 50, 99]), np.zeros_like(x0), schedule).numpy()
    np.testing.assert_allclose(noisy[:, 0, 0, 0], np.sqrt(schedule.alpha_bars[[0, 50, 99]]), rtol=1e-5)
    assert noisy.shape == x0.shape
    one_step = diffusion.q_sample(x0, 10, np.zeros_like(x0), schedule).numpy()  # a scalar step for the whole batch
    np.testing.assert_allclose(one_step, np.sqrt(schedule.alpha_bars[10]), rtol=1e-5)


def test_q_sample_works_inside_tf_function_and_checks_the_range_there():
    schedule = diffusion.make_schedule("linear", 100)

    @tf.function
    def noisy(x0, t):
        return diffusion.q_sample(x0, t, tf.zeros_like(x0), schedule)

    x0 = tf.ones((2, 3))
    np.testing.assert_allclose(noisy(x0, tf.constant([0, 99])).numpy()[:, 0], np.sqrt(schedule.alpha_bars[[0, 99]]), rtol=1e-5)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"t must lie in \[0, 99\]"):
        noisy(x0, tf.constant([0, 100]))


# ----------------------------------------------------------------------------- time embedding


def test_time_embedding_shape_values_and_similarity():
    steps = np.arange(0, 1000, 50)
    embedding = diffusion.timestep_embedding(steps, 32).numpy()
    assert embedding.shape == (len(steps), 32) and embedding.dtype == np.float32
    np.testing.assert_allclose(embedding[0], [0.0] * 16 + [1.0] * 16, atol=1e-7)  # sin 0, cos 0
    assert np.all(np.abs(embedding) <= 1.0 + 1e-6)
    np.testing.assert_allclose(np.sum(embedding**2, axis=1), 16.0, rtol=1e-5)  # sin² + cos² per frequency
    assert len({tuple(row.round(4)) for row in embedding}) == len(steps)  # every step has its own code
    near, far = diffusion.timestep_embedding(np.array([500, 501, 900]), 64).numpy()[[1, 2]] @ \
        diffusion.timestep_embedding(np.array([500]), 64).numpy()[0]
    assert near > far  # nearby steps look alike
    half = diffusion.timestep_embedding(np.array([3]), 8).numpy()[0]
    frequencies = np.exp(-math.log(10_000) * np.arange(4) / 4)
    np.testing.assert_allclose(half, np.concatenate([np.sin(3 * frequencies), np.cos(3 * frequencies)]), rtol=1e-5)


def test_time_embedding_works_inside_a_keras_model():
    t = keras.Input((), dtype="int32")
    model = keras.Model(t, layers.Lambda(lambda steps: diffusion.timestep_embedding(steps, 8))(t))
    assert model(np.array([0, 7])).shape == (2, 8)


# ----------------------------------------------------------------------------- reverse steps


def _arrays(shape=(4, 3), seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape).astype("float32") for _ in range(3)]


@pytest.mark.parametrize("kind", diffusion.SCHEDULES)
@pytest.mark.parametrize("t", [999, 500, 1, 0])
def test_ddim_with_eta_1_and_every_step_is_ddpm_with_the_posterior_variance(kind, t):
    schedule = diffusion.make_schedule(kind, 1000)
    x_t, eps, noise = _arrays()
    ddim = diffusion.ddim_step(x_t, eps, t, t - 1, schedule, eta=1.0, noise=noise).numpy()
    ddpm = diffusion.ddpm_step(x_t, eps, t, schedule, noise, variance="posterior").numpy()
    np.testing.assert_allclose(ddim, ddpm, rtol=1e-4, atol=1e-4 * max(1.0, float(np.abs(ddpm).max())))


def test_ddpm_step_matches_the_papers_formula_and_adds_no_noise_at_the_end():
    schedule = diffusion.make_schedule("linear", 1000)
    x_t, eps, noise = _arrays()
    t = 300
    expected = (x_t - schedule.betas[t] / np.sqrt(1 - schedule.alpha_bars[t]) * eps) / np.sqrt(schedule.alphas[t]) \
        + np.sqrt(schedule.betas[t]) * noise
    np.testing.assert_allclose(diffusion.ddpm_step(x_t, eps, t, schedule, noise).numpy(), expected, rtol=1e-5, atol=1e-5)
    last_with_noise = diffusion.ddpm_step(x_t, eps, 0, schedule, noise).numpy()
    np.testing.assert_allclose(last_with_noise, diffusion.ddpm_step(x_t, eps, 0, schedule).numpy())  # t = 0: the mean only


@pytest.mark.parametrize("kind", diffusion.SCHEDULES)
def test_ddpm_step_with_clipping_is_the_posterior_mean_and_equals_the_plain_step_inside_the_range(kind):
    schedule = diffusion.make_schedule(kind, 1000)
    x0, eps, noise = _arrays(seed=3)
    x0 = np.clip(x0, -0.9, 0.9)
    for t in (999, 600, 10, 0):
        x_t = diffusion.q_sample(x0, t, eps, schedule).numpy()
        plain = diffusion.ddpm_step(x_t, eps, t, schedule, noise).numpy()
        # eps is the true noise, so x0_hat = x0 lies inside [-1, 1] and clipping changes nothing
        np.testing.assert_allclose(diffusion.ddpm_step(x_t, eps, t, schedule, noise, clip=1.0).numpy(), plain, rtol=1e-3, atol=1e-3)
    # a wrong noise prediction that implies x0_hat far outside the range: the clipped mean uses x0_hat = +-1
    t = 999
    x_t = np.full((1, 3), 0.5, dtype="float32")
    bad_eps = np.full((1, 3), -3.0, dtype="float32")
    clipped = diffusion.ddpm_step(x_t, bad_eps, t, schedule, np.zeros_like(x_t), clip=1.0).numpy()
    a_prev, a_t = schedule.alpha_bars[t - 1], schedule.alpha_bars[t]
    expected = np.sqrt(a_prev) * schedule.betas[t] / (1 - a_t) * 1.0 + np.sqrt(schedule.alphas[t]) * (1 - a_prev) / (1 - a_t) * 0.5
    np.testing.assert_allclose(clipped, expected, rtol=1e-4)
    assert np.abs(diffusion.ddpm_step(x_t, bad_eps, t, schedule, np.zeros_like(x_t)).numpy()).max() > np.abs(clipped).max()


def test_ddim_eta_0_is_deterministic_and_exact_for_the_true_noise():
    schedule = diffusion.make_schedule("cosine", 1000)
    x0, noise, other = _arrays()
    x_t = diffusion.q_sample(x0, 700, noise, schedule)
    # with the true noise as the prediction, DDIM lands exactly on the forward process at any earlier step
    for t_prev in (699, 350, 0):
        np.testing.assert_allclose(diffusion.ddim_step(x_t, noise, 700, t_prev, schedule).numpy(),
                                   diffusion.q_sample(x0, t_prev, noise, schedule).numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(diffusion.ddim_step(x_t, noise, 700, -1, schedule).numpy(), x0, rtol=1e-3, atol=1e-3)
    # eta = 0 ignores any noise passed
    a = diffusion.ddim_step(x_t, noise, 700, 350, schedule, noise=other).numpy()
    np.testing.assert_allclose(a, diffusion.ddim_step(x_t, noise, 700, 350, schedule).numpy())


def test_ddim_clip_keeps_the_predicted_data_in_range():
    schedule = diffusion.make_schedule("linear", 100)
    x_t = np.full((2, 3), 5.0, dtype="float32")
    eps = np.zeros_like(x_t)  # implies x0 = 5 / sqrt(alpha_bar) >> 1
    out = diffusion.ddim_step(x_t, eps, 50, -1, schedule, clip=1.0).numpy()
    np.testing.assert_allclose(out, 1.0, rtol=1e-6)
    x0 = diffusion.predict_x0(x_t, eps, 50, schedule).numpy()
    np.testing.assert_allclose(x0, 5.0 / np.sqrt(schedule.alpha_bars[50]), rtol=1e-5)


def test_ddim_timesteps_cover_the_chain():
    assert diffusion.ddim_timesteps(1000, 4) == [(999, 749), (749, 499), (499, 249), (249, -1)]
    pairs = diffusion.ddim_timesteps(1000, 1000)
    assert pairs[0] == (999, 998) and pairs[-1] == (0, -1) and len(pairs) == 1000
    assert diffusion.ddim_timesteps(50, 1) == [(49, -1)]


def test_a_ddim_run_with_all_steps_and_eta_1_equals_a_ddpm_run():
    schedule = diffusion.make_schedule("linear", 30)
    rng = np.random.default_rng(1)
    start = rng.standard_normal((5, 2)).astype("float32")
    noises = rng.standard_normal((30, 5, 2)).astype("float32")

    def toy_model(x, t):  # any deterministic noise predictor will do
        return 0.3 * x + 0.01 * t

    ddpm, ddim = start, start
    for t in range(29, -1, -1):
        ddpm = diffusion.ddpm_step(ddpm, toy_model(ddpm, t), t, schedule, noises[t], variance="posterior").numpy()
    for t, t_prev in diffusion.ddim_timesteps(30, 30):
        ddim = diffusion.ddim_step(ddim, toy_model(ddim, t), t, t_prev, schedule, eta=1.0, noise=noises[t]).numpy()
    np.testing.assert_allclose(ddim, ddpm, rtol=1e-3, atol=1e-3)


# ----------------------------------------------------------------------------- one training step


def test_one_training_step_on_the_simple_loss_lowers_the_loss_on_a_fixed_batch():
    keras.utils.set_random_seed(0)
    schedule = diffusion.make_schedule("linear", 100)
    points = keras.Input((2,))
    t_in = keras.Input((), dtype="int32")
    features = layers.Concatenate()([points, layers.Lambda(lambda steps: diffusion.timestep_embedding(steps, 16))(t_in)])
    model = keras.Model([points, t_in], layers.Dense(2)(layers.Dense(32, activation="swish")(features)))
    optimizer = keras.optimizers.SGD(0.05)
    rng = np.random.default_rng(0)
    x0 = rng.standard_normal((64, 2)).astype("float32")
    t = tf.constant(rng.integers(0, 100, 64), tf.int32)
    noise = rng.standard_normal((64, 2)).astype("float32")

    def loss_value():
        return float(tf.reduce_mean(tf.square(model([diffusion.q_sample(x0, t, noise, schedule), t]) - noise)))

    before = loss_value()
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(model([diffusion.q_sample(x0, t, noise, schedule), t], training=True) - noise))
    optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_weights), model.trainable_weights))
    assert loss_value() < before


# ----------------------------------------------------------------------------- image ranges


def test_image_range_round_trip():
    images = np.random.default_rng(0).uniform(size=(3, 28, 28, 1)).astype("float32")
    scaled = diffusion.to_model_range(images)
    assert scaled.min() >= -1 and scaled.max() <= 1
    np.testing.assert_allclose(diffusion.to_image_range(scaled), images, atol=1e-6)
    assert diffusion.to_image_range(np.full((1, 2, 2, 1), 3.0)).max() == 1.0  # clipped


# ----------------------------------------------------------------------------- bad inputs


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda: diffusion.make_schedule("quadratic"), ValueError, "kind must be one of"),
    (lambda: diffusion.make_schedule("linear", 10), ValueError, "too few for the linear schedule"),
    (lambda: diffusion.make_schedule("linear", 1), ValueError, "num_steps must be an integer >= 2"),
    (lambda: diffusion.make_schedule("cosine", 100, max_beta=1.5), ValueError, "max_beta"),
    (lambda: diffusion.q_sample(np.zeros((2, 3)), np.array([0, 100]), np.zeros((2, 3)), diffusion.make_schedule("linear", 100)),
     ValueError, r"t must lie in \[0, 99\].*got values from 0 to 100"),
    (lambda: diffusion.q_sample(np.zeros((2, 3)), np.array([-1, 0]), np.zeros((2, 3)), diffusion.make_schedule("linear", 100)),
     ValueError, r"t must lie in \[0, 99\]"),
    (lambda: diffusion.q_sample(np.zeros((2, 3)), np.array([0.5, 1.0]), np.zeros((2, 3)), diffusion.make_schedule("linear", 100)),
     TypeError, "integer step indices"),
    (lambda: diffusion.q_sample(np.zeros((2, 3)), np.array([0, 1, 2]), np.zeros((2, 3)), diffusion.make_schedule("linear", 100)),
     ValueError, "one step per example"),
    (lambda: diffusion.q_sample(np.zeros((2, 3)), np.array([0, 1]), np.zeros((2, 4)), diffusion.make_schedule("linear", 100)),
     ValueError, "x0 and noise must have the same shape"),
    (lambda: diffusion.q_sample(np.zeros((2, 3)), np.array([0, 1]), np.zeros((2, 3)), "linear"), TypeError, "Schedule"),
    (lambda: diffusion.timestep_embedding(np.arange(3), 7), ValueError, "dim must be even"),
    (lambda: diffusion.timestep_embedding(np.zeros((3, 2)), 8), ValueError, r"t must have shape \(batch,\)"),
    (lambda: diffusion.ddim_step(np.zeros((2, 3)), np.zeros((2, 3)), 5, 7, diffusion.make_schedule("linear", 100)),
     ValueError, "t_prev must come before t"),
    (lambda: diffusion.ddim_step(np.zeros((2, 3)), np.zeros((2, 3)), 5, 4, diffusion.make_schedule("linear", 100), eta=0.5),
     ValueError, "eta > 0 adds fresh noise"),
    (lambda: diffusion.ddim_step(np.zeros((2, 3)), np.zeros((2, 3)), 5, -2, diffusion.make_schedule("linear", 100)),
     ValueError, r"t_prev must lie in \[-1, 99\]"),
    (lambda: diffusion.ddpm_step(np.zeros((2, 3)), np.zeros((2, 3)), 5, diffusion.make_schedule("linear", 100)),
     ValueError, "noise is needed"),
    (lambda: diffusion.ddpm_step(np.zeros((2, 3)), np.zeros((2, 3)), 100, diffusion.make_schedule("linear", 100), np.zeros((2, 3))),
     ValueError, r"t must lie in \[0, 99\]"),
    (lambda: diffusion.ddim_timesteps(100, 200), ValueError, "cannot exceed"),
    (lambda: diffusion.to_model_range(np.full((2, 28, 28, 1), 255.0)), ValueError, r"pixels in \[0, 1\]"),
    (lambda: diffusion.to_model_range(np.zeros((2, 28, 28))), ValueError, "4 dimensions"),
    (lambda: diffusion.to_image_range(np.zeros((2, 3))), ValueError, "3 or 4 dimensions"),
])
def test_bad_inputs_raise_clear_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()
