"""Tests for utils/video.py (notebook 13): the clip generators' physics, SSIM against TensorFlow and known cases,
the foreground F1, the baselines, digit crops, clip grids and the argument checks."""

import numpy as np
import pytest

from utils import video


def _digits(count=6, size=14, seed=0):
    rng = np.random.default_rng(seed)
    digits = np.zeros((count, size, size), dtype="float32")
    digits[:, 3:-3, 5:-5] = rng.uniform(0.6, 1.0, (count, size - 6, size - 10))
    return digits


# ----------------------------------------------------------------------------- generators


def test_digits_stay_in_frame_and_bounces_keep_speed():
    clips = video.moving_digits(_digits(), 40, num_frames=30, frame_size=32, num_digits=2, speed=2.0, seed=1)
    assert clips.frames.shape == (40, 30, 32, 32, 1) and clips.frames.dtype == np.float32
    assert clips.positions.shape == clips.velocities.shape == (40, 30, 2, 2)
    assert clips.positions.min() >= 0 and clips.positions.max() <= 32 - 14
    speeds = np.linalg.norm(clips.velocities, axis=-1)
    assert np.allclose(speeds, 2.0)  # a bounce reverses a component, never changes the speed
    reversed_ = np.sign(clips.velocities[:, 1:]) != np.sign(clips.velocities[:, :-1])
    assert reversed_.any()  # in 30 frames some digits hit a wall
    step = np.abs(np.diff(clips.positions, axis=1))
    assert np.all(step <= 2.0 + 1e-9)  # never a jump: reflected distance comes back into the frame
    assert 0.0 <= clips.frames.min() and clips.frames.max() <= 1.0


def test_frames_show_the_digits_where_the_trajectory_says():
    digits = _digits(1)
    clips = video.moving_digits(digits, 3, num_frames=8, num_digits=1, seed=2)
    for n in range(3):
        for t in range(8):
            row, col = np.rint(clips.positions[n, t, 0]).astype(int)
            assert np.array_equal(clips.frames[n, t, row:row + 14, col:col + 14, 0], digits[0])
            assert clips.frames[n, t, ..., 0].sum() == pytest.approx(digits[0].sum())  # nothing else in the frame


def test_same_seed_same_clips_and_labels_follow_the_digits():
    digits, labels = _digits(), np.arange(6)
    a = video.moving_digits(digits, 5, labels=labels, seed=3)
    b = video.moving_digits(digits, 5, labels=labels, seed=3)
    assert np.array_equal(a.frames, b.frames) and np.array_equal(a.labels, b.labels) and a.labels.shape == (5, 2)
    assert not np.array_equal(a.frames, video.moving_digits(digits, 5, seed=4).frames)
    assert np.all(video.moving_digits(digits, 2, seed=3).labels == -1)


def test_draw_digits_redraws_the_clips_and_moves_them_where_asked():
    digits = _digits()
    clips = video.moving_digits(digits, 4, num_frames=6, frame_size=32, seed=5)
    assert clips.pictures.shape == (4, 2, 14, 14)
    assert np.array_equal(video.draw_digits(clips.pictures, clips.positions, frame_size=32), clips.frames)
    one = video.moving_digits(digits, 3, num_frames=4, num_digits=1, seed=6)
    moved = np.clip(one.positions + np.array([1.0, -2.0]), 0, 32 - 14)
    drawn = video.draw_digits(one.pictures, moved)
    for n in range(3):
        for t in range(4):
            row, col = np.rint(moved[n, t, 0]).astype(int)
            assert np.array_equal(drawn[n, t, row:row + 14, col:col + 14, 0], one.pictures[n, 0])
    assert video.bouncing_balls(2, seed=0).pictures is None


def test_draw_digits_errors_are_clear():
    clips = video.moving_digits(_digits(), 2, num_frames=3, seed=0)
    with pytest.raises(ValueError, match="inside the 32x32 frame"):
        video.draw_digits(clips.pictures, clips.positions + 30.0)
    with pytest.raises(ValueError, match=r"positions must have shape \(N, T, D, 2\)"):
        video.draw_digits(clips.pictures, clips.positions[:, :, :1])
    with pytest.raises(ValueError, match="square"):
        video.draw_digits(clips.pictures[..., :10], clips.positions)
    with pytest.raises(ValueError, match="pictures must have 4 dimensions"):
        video.draw_digits(clips.pictures[0], clips.positions)


def test_bouncing_balls():
    balls = video.bouncing_balls(10, num_frames=40, frame_size=16, radius=2.5, speed=1.5, seed=0)
    assert balls.frames.shape == (10, 40, 16, 16, 1)
    assert np.allclose(np.linalg.norm(balls.velocities, axis=-1), 1.5)
    mass = balls.frames.sum(axis=(2, 3, 4))
    assert np.allclose(mass, mass[0, 0], rtol=0.05)  # the ball never leaves the frame
    centre = (balls.frames[..., 0] * np.arange(16)[None, None, None, :]).sum(axis=(2, 3)) / mass
    assert np.allclose(centre, balls.positions[:, :, 0, 1] + 2.0, atol=0.15)  # drawn where its trajectory is


def test_downscale_digits():
    images = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)
    assert video.downscale_digits(images).tolist() == [[[2.5, 4.5], [10.5, 12.5]]]
    with pytest.raises(ValueError, match="divisible"):
        video.downscale_digits(np.zeros((1, 5, 5)))


def test_generator_errors_are_clear():
    with pytest.raises(ValueError, match="does not fit"):
        video.moving_digits(np.zeros((2, 28, 28)), 1, frame_size=28)
    with pytest.raises(ValueError, match="square"):
        video.moving_digits(np.zeros((2, 14, 10)), 1)
    with pytest.raises(ValueError, match="grey-scale"):
        video.moving_digits(np.zeros((2, 14, 14, 3)), 1)
    with pytest.raises(ValueError, match="speed"):
        video.moving_digits(_digits(), 1, frame_size=16, speed=5.0)
    with pytest.raises(ValueError, match="num_clips"):
        video.moving_digits(_digits(), 0)


# ----------------------------------------------------------------------------- splitting and baselines


def test_split_and_baselines():
    clips = video.moving_digits(_digits(), 4, num_frames=15, seed=0).frames
    seen, future = video.split_clip(clips, 5, 10)
    assert seen.shape == (4, 5, 32, 32, 1) and future.shape == (4, 10, 32, 32, 1)
    assert np.array_equal(seen, clips[:, :5]) and np.array_equal(future, clips[:, 5:])
    copy = video.copy_last(seen, 10)
    assert copy.shape == future.shape and np.all(copy == seen[:, -1:])
    assert np.all(video.blank(seen, 3) == 0) and video.blank(seen, 3).shape == (4, 3, 32, 32, 1)
    ramp = np.linspace(0, 0.2, 5, dtype="float32")[None, :, None, None, None] * np.ones((1, 5, 12, 12, 1), "float32")
    linear = video.linear_extrapolation(ramp, 4)
    assert np.allclose(linear[0, :, 0, 0, 0], [0.25, 0.30, 0.35, 0.40])
    assert np.all(video.linear_extrapolation(1 - ramp * 5, 4) >= 0)  # clipped into [0, 1]


def test_horizon_longer_than_the_clip_and_wrong_frames_are_refused():
    clips = np.zeros((2, 12, 32, 32, 1), "float32")
    with pytest.raises(ValueError, match="longer than the clips"):
        video.split_clip(clips, 5, 10)
    with pytest.raises(ValueError, match="grey-scale clips"):
        video.split_clip(np.zeros((2, 15, 32, 32, 3)), 5, 10)
    with pytest.raises(ValueError, match="dimensions"):
        video.copy_last(np.zeros((32, 32)), 3)
    with pytest.raises(ValueError, match="at least 2 frame"):
        video.linear_extrapolation(clips[:, :1], 3)


# ----------------------------------------------------------------------------- metrics


def test_ssim_matches_tensorflow():
    import tensorflow as tf

    rng = np.random.default_rng(0)
    truth = rng.uniform(size=(3, 32, 32, 1)).astype("float32")
    predicted = np.clip(truth + rng.normal(0, 0.2, truth.shape), 0, 1).astype("float32")
    ours = video.ssim(predicted, truth)
    theirs = tf.image.ssim(predicted, truth, max_val=1.0, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03).numpy()
    assert ours.shape == (3,) and np.allclose(ours, theirs, atol=1e-5)


def test_ssim_known_cases():
    rng = np.random.default_rng(1)
    frame = rng.uniform(size=(2, 20, 20))
    assert np.allclose(video.ssim(frame, frame), 1.0)
    assert np.allclose(video.ssim(np.zeros((20, 20)), np.zeros((20, 20))), 1.0)  # empty against empty: perfect
    assert video.ssim(1 - frame, frame).max() < 0  # an inverted image is anti-correlated
    digit = np.zeros((32, 32))
    digit[10:20, 12:16] = 1.0
    blank_score = float(video.ssim(np.zeros_like(digit), digit))
    assert 0.3 < blank_score < 0.9  # a black frame scores well where the truth is black: the flattering case
    shifted = float(video.ssim(np.roll(digit, 6, axis=1), digit))
    assert shifted < blank_score  # ... better than the right digit in the wrong place
    assert video.ssim(np.zeros((4, 5, 20, 20, 1)), np.zeros((4, 5, 20, 20, 1))).shape == (4, 5)


def test_ssim_and_mse_errors():
    with pytest.raises(ValueError, match="same shape"):
        video.ssim(np.zeros((20, 20)), np.zeros((20, 21)))
    with pytest.raises(ValueError, match="smaller than the 11x11 window"):
        video.ssim(np.zeros((8, 8)), np.zeros((8, 8)))
    assert video.ssim(np.zeros((8, 8)), np.zeros((8, 8)), filter_size=5) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="same shape"):
        video.frame_mse(np.zeros((2, 3, 4, 4)), np.zeros((2, 3, 4, 5)))
    assert video.frame_mse(np.ones((2, 3, 4, 4, 1)), np.zeros((2, 3, 4, 4, 1))).shape == (2, 3)


def test_foreground_f1_cannot_be_won_by_a_blank_frame():
    truth = np.zeros((2, 3, 8, 8, 1), "float32")
    truth[:, :, 2:4, 2:4] = 1.0
    assert np.allclose(video.foreground_f1(truth, truth), 1.0)
    assert np.allclose(video.foreground_f1(np.zeros_like(truth), truth), 0.0)
    assert np.allclose(video.foreground_f1(np.ones_like(truth), truth), 2 * 8 / (2 * 8 + 120))  # all-white: precision 4/64
    half = truth.copy()
    half[:, :, 2:4, 3] = 0.0  # half the digit predicted: precision 1, recall 1/2
    assert np.allclose(video.foreground_f1(half, truth), 2 / 3)
    assert np.allclose(video.foreground_f1(np.zeros_like(truth), np.zeros_like(truth)), 1.0)
    with pytest.raises(ValueError, match="clips"):
        video.foreground_f1(np.zeros((8, 8)), np.zeros((8, 8)))


def test_digit_crops_and_grid():
    digits = _digits(2)
    clips = video.moving_digits(digits, 3, num_frames=4, num_digits=2, seed=5)
    crops = video.digit_crops(clips.frames[:, -1], clips.positions[:, -1], clips.object_size)
    assert crops.shape == (6, 28, 28, 1) and crops.max() <= 1.0
    single = video.moving_digits(digits[:1], 2, num_frames=3, num_digits=1, seed=6)
    crops = video.digit_crops(single.frames[:, 0], single.positions[:, 0], 14, upscale=1)
    assert np.array_equal(crops[0, ..., 0], digits[0])
    with pytest.raises(ValueError, match="positions must be"):
        video.digit_crops(clips.frames[:, -1], clips.positions[:2, -1], 14)
    grid = video.clip_grid(np.stack([clips.frames[:2], clips.frames[1:]]))
    assert grid.shape == (4, 2 * 34 + 2, 2 * 34 + 2)
    assert np.array_equal(grid[:, 2:34, 36:68], clips.frames[1, :, ..., 0])


# ----------------------------------------------------------------------------- the notebook's own ConvLSTM cell


def test_notebook_convlstm_cell_matches_keras_and_one_step_lowers_the_loss():
    import keras
    import tensorflow as tf

    from benchmarks.video_vs_keras_convlstm import notebook_namespace

    nb = notebook_namespace(mode="smoke")  # the cell, run_cell, BallForecaster and frame_loss as the notebook defines them
    probe = np.random.default_rng(0).uniform(size=(2, 5, 8, 8, 2)).astype("float32")
    layer = keras.layers.ConvLSTM2D(4, 3, padding="same", return_sequences=True, return_state=True)
    outputs, h, c = layer(probe)
    cell = nb["ConvLSTMCell"](4, 3)
    cell.build(probe.shape[2:])
    assert [w.shape for w in cell.get_weights()] == [(3, 3, 2, 16), (3, 3, 4, 16), (16,)]
    assert np.allclose(cell.get_weights()[2][4:8], 1.0)  # the forget gate starts open, as Keras's unit_forget_bias
    cell.set_weights(layer.get_weights())
    ours, (our_h, our_c) = nb["run_cell"](cell, tf.constant(probe))
    assert ours.shape == (2, 5, 8, 8, 4) and our_h.shape == our_c.shape == (2, 8, 8, 4)
    for a, b in ((ours, outputs), (our_h, h), (our_c, c)):
        assert np.allclose(a, b, atol=1e-5)
    keras.utils.set_random_seed(0)
    model = nb["BallForecaster"](4, 3)
    clips = tf.constant(video.bouncing_balls(8, num_frames=6, frame_size=12, seed=0).frames)
    optimizer = keras.optimizers.Adam(5e-3)
    before = float(nb["frame_loss"](clips[:, 3:], model(clips[:, :3])))
    with tf.GradientTape() as tape:
        loss = nb["frame_loss"](clips[:, 3:], model(clips[:, :3]))
    optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_weights), model.trainable_weights))
    assert float(nb["frame_loss"](clips[:, 3:], model(clips[:, :3]))) < before
