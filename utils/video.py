"""Short video clips for notebook 13: Moving-MNIST and bouncing-ball generators, the frame metrics
(per-frame MSE, SSIM, a foreground F1 that a blank frame cannot win), the classical baselines
(copy the last frame, pixel-wise linear extrapolation, a blank frame), a redraw of the digits along any
trajectory (`draw_digits`, for trackers and displaced truths), digit crops for the Fréchet
digit distance, and clip grids for animations.

Clips are float32 arrays of shape (N, T, H, W, 1) with values in [0, 1]: N clips of T frames. The
generators also return each object's trajectory (top-left corner, row and column, as floats), so that
the physics can be tested and digits cropped where they truly are.

Everything is NumPy, deterministic given its seed, and tested in ``tests/test_video.py``. The models
that predict frames stay in the notebook.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import _checks

SSIM_K1, SSIM_K2 = 0.01, 0.03  # Wang et al. (2004), as tf.image.ssim


class Clips(NamedTuple):
    """Generated clips: ``frames`` (N, T, H, W, 1) in [0, 1]; ``positions`` (N, T, D, 2) top-left corners
    (row, column) of the D objects; ``velocities`` (N, T, D, 2) in pixels per frame; ``labels`` (N, D) the
    digit classes (-1 for a ball); ``object_size`` the side of an object's square; ``pictures`` (N, D, h, w)
    the digit images drawn (None for balls), so that ``draw_digits`` can draw them along other trajectories."""

    frames: np.ndarray
    positions: np.ndarray
    velocities: np.ndarray
    labels: np.ndarray
    object_size: int
    pictures: np.ndarray | None = None


# ----------------------------------------------------------------------------- generators


def downscale_digits(images, factor: int = 2) -> np.ndarray:
    """Average-pool (N, H, W[, 1]) images by ``factor`` (28x28 MNIST -> 14x14 for factor 2).

    Example: ``small = utils.video.downscale_digits(split.x_train)  # (N, 14, 14)``
    """
    array = _checks.as_array("images", images, ndim=(3, 4), min_len=1).astype("float32")
    if array.ndim == 4:
        if array.shape[-1] != 1:
            raise ValueError(f"images must be grey-scale (N, H, W) or (N, H, W, 1), got shape {array.shape}")
        array = array[..., 0]
    factor = _checks.positive_int("factor", factor)
    n, height, width = array.shape
    if height % factor or width % factor:
        raise ValueError(f"the image side ({height}x{width}) must be divisible by factor={factor}")
    return array.reshape(n, height // factor, factor, width // factor, factor).mean(axis=(2, 4))


def bounce_trajectories(rng: np.random.Generator, num_clips: int, num_frames: int, num_objects: int, room: float,
                        speed: float) -> tuple[np.ndarray, np.ndarray]:
    """Positions and velocities of objects bouncing in a square of side ``room`` (the frame side minus the
    object side): a uniform start, a uniform direction, ``speed`` pixels per frame, mirror reflection at the walls.

    Returns float arrays (N, T, D, 2) of positions in [0, room] and of the velocity each frame was reached with.
    Example: ``pos, vel = bounce_trajectories(np.random.default_rng(0), 4, 20, 2, 18.0, 2.0)``
    """
    num_clips = _checks.positive_int("num_clips", num_clips)
    num_frames = _checks.positive_int("num_frames", num_frames)
    num_objects = _checks.positive_int("num_objects", num_objects)
    room = _checks.number_in("room", room, 0.0, 1e6, inclusive=False)
    speed = _checks.number_in("speed", speed, 0.0, room)
    position = rng.uniform(0, room, (num_clips, num_objects, 2))
    angle = rng.uniform(0, 2 * np.pi, (num_clips, num_objects))
    velocity = speed * np.stack([np.sin(angle), np.cos(angle)], axis=-1)
    positions = np.empty((num_clips, num_frames, num_objects, 2))
    velocities = np.empty_like(positions)
    for t in range(num_frames):
        if t:
            position = position + velocity
            low, high = position < 0, position > room  # reflect: the distance past the wall comes back
            position = np.where(low, -position, np.where(high, 2 * room - position, position))
            velocity = np.where(low | high, -velocity, velocity)
        positions[:, t], velocities[:, t] = position, velocity
    return positions, velocities


def moving_digits(digits, num_clips: int, *, num_frames: int = 15, frame_size: int = 32, num_digits: int = 2,
                  speed: float = 2.0, labels=None, seed: int = 0) -> Clips:
    """Moving-MNIST: ``num_digits`` digits drawn from ``digits`` (N, h, w[, 1]) bounce in a ``frame_size`` square.

    Each digit starts at a uniform position with a uniform direction and moves ``speed`` pixels per frame;
    it is drawn at its rounded position and overlapping digits combine by the pixel-wise maximum.
    Srivastava et al.'s (2015) Moving-MNIST is the case of 28x28 digits in 64x64 frames; 14x14 digits in
    32x32 frames is the same geometry at half the resolution.
    Example: ``clips = utils.video.moving_digits(utils.video.downscale_digits(x_train), 1000, seed=0)``
    """
    pictures = _checks.as_array("digits", digits, ndim=(3, 4), min_len=1).astype("float32")
    if pictures.ndim == 4:
        if pictures.shape[-1] != 1:
            raise ValueError(f"digits must be grey-scale (N, h, w) or (N, h, w, 1), got shape {pictures.shape}")
        pictures = pictures[..., 0]
    if pictures.shape[1] != pictures.shape[2]:
        raise ValueError(f"digits must be square, got {pictures.shape[1]}x{pictures.shape[2]}")
    frame_size = _checks.positive_int("frame_size", frame_size)
    size = pictures.shape[1]
    if size >= frame_size:
        raise ValueError(f"a digit of {size}x{size} does not fit a {frame_size}x{frame_size} frame with room to move: "
                         "use a larger frame_size or utils.video.downscale_digits")
    if labels is not None:
        labels = _checks.as_array("labels", labels, shape=(len(pictures),))
    rng = np.random.default_rng(seed)
    positions, velocities = bounce_trajectories(rng, num_clips, num_frames, num_digits, frame_size - size, speed)
    chosen = rng.integers(0, len(pictures), (num_clips, num_digits))
    frames = draw_digits(pictures[chosen], positions, frame_size=frame_size)
    digit_labels = labels[chosen].astype("int32") if labels is not None else np.full(chosen.shape, -1, dtype="int32")
    return Clips(frames, positions, velocities, digit_labels, size, pictures[chosen])


def draw_digits(pictures, positions, *, frame_size: int = 32) -> np.ndarray:
    """Draw each clip's digits at the given top-left corners, rounded to whole pixels, as ``moving_digits`` does.

    ``pictures`` (N, D, h, w): the D digit images of each clip (``clips.pictures``); ``positions``
    (N, T, D, 2): their corners (row, column) in each of T frames, within [0, frame_size - h].
    Overlapping digits combine by the pixel-wise maximum. Returns frames (N, T, frame_size, frame_size, 1).
    Example: ``video.draw_digits(clips.pictures, clips.positions + 1.0)  # every digit one pixel lower and right``
    """
    pictures = _checks.as_array("pictures", pictures, ndim=4, min_len=1).astype("float32")
    positions = _checks.as_array("positions", positions, ndim=4)
    frame_size = _checks.positive_int("frame_size", frame_size)
    num_clips, num_digits, size, width = pictures.shape
    if size != width:
        raise ValueError(f"pictures must be square digits (N, D, h, h), got shape {pictures.shape}")
    if positions.shape[0] != num_clips or positions.shape[2:] != (num_digits, 2):
        raise ValueError(f"positions must have shape (N, T, D, 2) = ({num_clips}, T, {num_digits}, 2) to match pictures "
                         f"{pictures.shape}, got {positions.shape}")
    corners = np.rint(positions).astype(int)
    room = frame_size - size
    if room < 0 or corners.min() < 0 or corners.max() > room:
        raise ValueError(f"positions must keep every {size}x{size} digit inside the {frame_size}x{frame_size} frame: "
                         f"corners in [0, {room}] after rounding, got [{corners.min()}, {corners.max()}]; "
                         "clip them with np.clip(positions, 0, frame_size - digit_size)")
    frames = np.zeros((num_clips, positions.shape[1], frame_size, frame_size), dtype="float32")
    for n in range(num_clips):
        for d in range(num_digits):
            for t in range(positions.shape[1]):
                row, col = corners[n, t, d]
                window = frames[n, t, row:row + size, col:col + size]
                np.maximum(window, pictures[n, d], out=window)
    return frames[..., None]


def bouncing_balls(num_clips: int, *, num_frames: int = 15, frame_size: int = 16, radius: float = 2.5, speed: float = 1.5,
                   seed: int = 0) -> Clips:
    """The warm-up: one soft-edged ball bouncing in a ``frame_size`` square, drawn at sub-pixel positions.

    Example: ``balls = utils.video.bouncing_balls(500, seed=0); balls.frames.shape  # (500, 15, 16, 16, 1)``
    """
    frame_size = _checks.positive_int("frame_size", frame_size)
    radius = _checks.number_in("radius", radius, 0.5, frame_size / 2, inclusive=False)
    rng = np.random.default_rng(seed)
    positions, velocities = bounce_trajectories(rng, num_clips, num_frames, 1, frame_size - 2 * radius, speed)
    centres = positions[:, :, 0] + radius - 0.5  # pixel centres sit at integer coordinates
    grid = np.arange(frame_size, dtype="float64")
    rows = grid[None, None, :, None] - centres[..., 0, None, None]
    cols = grid[None, None, None, :] - centres[..., 1, None, None]
    distance = np.sqrt(rows**2 + cols**2)
    frames = np.clip(radius + 0.5 - distance, 0.0, 1.0).astype("float32")  # anti-aliased edge one pixel wide
    return Clips(frames[..., None], positions, velocities, np.full((num_clips, 1), -1, dtype="int32"), int(np.ceil(2 * radius)))


# ----------------------------------------------------------------------------- splitting clips


def _as_clips(name: str, clips, *, min_frames: int = 1) -> np.ndarray:
    array = _checks.as_array(name, clips, ndim=(4, 5), min_len=1).astype("float32")
    if array.ndim == 4:
        array = array[..., None]
    if array.shape[-1] != 1:
        raise ValueError(f"{name} must be grey-scale clips of shape (N, T, H, W) or (N, T, H, W, 1), got {array.shape}")
    if array.shape[1] < min_frames:
        raise ValueError(f"{name} must hold at least {min_frames} frame(s) per clip, got {array.shape[1]}")
    return array


def split_clip(clips, context: int, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """The first ``context`` frames (what a model sees) and the next ``horizon`` frames (what it must predict).

    Example: ``seen, future = utils.video.split_clip(clips.frames, 5, 10)``
    """
    context = _checks.positive_int("context", context)
    horizon = _checks.positive_int("horizon", horizon)
    array = _as_clips("clips", clips)
    if context + horizon > array.shape[1]:
        raise ValueError(f"context ({context}) + horizon ({horizon}) = {context + horizon} frames is longer than the clips "
                         f"({array.shape[1]} frames): generate longer clips (num_frames) or shorten the horizon")
    return array[:, :context], array[:, context:context + horizon]


# ----------------------------------------------------------------------------- baselines


def copy_last(context, horizon: int) -> np.ndarray:
    """The last context frame, repeated ``horizon`` times. Example: ``copy_last(seen, 10).shape  # (N, 10, H, W, 1)``"""
    seen = _as_clips("context", context)
    horizon = _checks.positive_int("horizon", horizon)
    return np.repeat(seen[:, -1:], horizon, axis=1)


def linear_extrapolation(context, horizon: int) -> np.ndarray:
    """Pixel-wise linear extrapolation of the last two context frames, x_T + k (x_T - x_{T-1}), clipped to [0, 1].

    Example: ``linear_extrapolation(seen, 10)``
    """
    seen = _as_clips("context", context, min_frames=2)
    horizon = _checks.positive_int("horizon", horizon)
    steps = np.arange(1, horizon + 1, dtype="float32")[None, :, None, None, None]
    return np.clip(seen[:, -1:] + steps * (seen[:, -1:] - seen[:, -2:-1]), 0.0, 1.0)


def blank(context, horizon: int) -> np.ndarray:
    """All-black frames: the prediction that a metric must not reward. Example: ``blank(seen, 10)``"""
    seen = _as_clips("context", context)
    horizon = _checks.positive_int("horizon", horizon)
    return np.zeros((seen.shape[0], horizon, *seen.shape[2:]), dtype="float32")


# ----------------------------------------------------------------------------- metrics


def _pair(predicted, truth) -> tuple[np.ndarray, np.ndarray]:
    a = _checks.as_array("predicted", predicted, ndim=(2, 3, 4, 5)).astype("float64")
    b = _checks.as_array("truth", truth, ndim=(2, 3, 4, 5)).astype("float64")
    if a.shape != b.shape:
        raise ValueError(f"predicted and truth must have the same shape, got {a.shape} and {b.shape}")
    if a.ndim >= 3 and a.shape[-1] == 1:  # a channel axis of 1
        a, b = a[..., 0], b[..., 0]
    return a, b


def frame_mse(predicted, truth) -> np.ndarray:
    """Mean squared error of every frame: the leading axes of (..., H, W[, 1]) inputs.

    Example: ``frame_mse(prediction, future).mean(axis=0)  # one number per step``
    """
    a, b = _pair(predicted, truth)
    return np.mean((a - b) ** 2, axis=(-2, -1))


def gaussian_window(size: int = 11, sigma: float = 1.5) -> np.ndarray:
    """The normalised 1-D Gaussian of SSIM's window (11 taps, sigma 1.5 as in Wang et al. 2004)."""
    size = _checks.positive_int("size", size)
    sigma = _checks.number_in("sigma", sigma, 0.0, 100.0, inclusive=False)
    offsets = np.arange(size, dtype="float64") - (size - 1) / 2
    weights = np.exp(-offsets**2 / (2 * sigma**2))
    return weights / weights.sum()


def _filter(images: np.ndarray, window: np.ndarray) -> np.ndarray:
    """Separable 'valid' filtering of the last two axes."""
    rows = np.lib.stride_tricks.sliding_window_view(images, len(window), axis=-2) @ window
    return np.lib.stride_tricks.sliding_window_view(rows, len(window), axis=-1) @ window


def ssim(predicted, truth, *, filter_size: int = 11, sigma: float = 1.5, data_range: float = 1.0) -> np.ndarray:
    """Structural similarity of every frame (the leading axes of (..., H, W[, 1]) inputs), as tf.image.ssim computes it.

    Local means, variances and covariance under a Gaussian window (valid positions only), then
    SSIM = mean over windows of (2 mu_x mu_y + C1)(2 s_xy + C2) / ((mu_x^2 + mu_y^2 + C1)(s_x^2 + s_y^2 + C2)),
    C1 = (0.01 L)^2, C2 = (0.03 L)^2 with L the data range. Two empty windows score 1: a metric that a black
    frame can game wherever the truth is empty.
    Example: ``ssim(prediction, future).mean(axis=0)  # one number per step``
    """
    a, b = _pair(predicted, truth)
    filter_size = _checks.positive_int("filter_size", filter_size)
    data_range = _checks.number_in("data_range", data_range, 0.0, 1e6, inclusive=False)
    if a.ndim < 2 or min(a.shape[-2:]) < filter_size:
        raise ValueError(f"frames of {a.shape[-2:]} pixels are smaller than the {filter_size}x{filter_size} window: "
                         "pass a smaller filter_size")
    window = gaussian_window(filter_size, sigma)
    c1, c2 = (SSIM_K1 * data_range) ** 2, (SSIM_K2 * data_range) ** 2
    leading = a.shape[:-2]
    a, b = a.reshape(-1, *a.shape[-2:]), b.reshape(-1, *b.shape[-2:])
    scores = np.empty(len(a))
    for begin in range(0, len(a), 256):  # in chunks: the filtered windows of thousands of frames would fill the memory
        x, y = a[begin:begin + 256], b[begin:begin + 256]
        mu_x, mu_y = _filter(x, window), _filter(y, window)
        var_x = _filter(x * x, window) - mu_x**2
        var_y = _filter(y * y, window) - mu_y**2
        cov = _filter(x * y, window) - mu_x * mu_y
        local = (2 * mu_x * mu_y + c1) * (2 * cov + c2) / ((mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2))
        scores[begin:begin + 256] = local.mean(axis=(-2, -1))
    return scores.reshape(leading)


def foreground_f1(predicted, truth, *, threshold: float = 0.5) -> np.ndarray:
    """F1 of the foreground (pixels above ``threshold``) per step, pooled over clips: (N, T, H, W[, 1]) -> (T,).

    Precision = predicted digit pixels that are digit pixels in the truth; recall = digit pixels of the
    truth that are predicted. F1 = 2 TP / (2 TP + FP + FN), counted over all clips at that step, so a
    blank prediction scores 0 whenever the truth has any digit pixel (1 when neither has any).
    Example: ``foreground_f1(prediction, future)``
    """
    a, b = _pair(predicted, truth)
    if a.ndim != 4:
        raise ValueError(f"predicted and truth must be clips (N, T, H, W[, 1]), got shape {a.shape}")
    threshold = _checks.number_in("threshold", threshold, 0.0, 1.0, inclusive=False)
    pred, real = a > threshold, b > threshold
    tp = np.sum(pred & real, axis=(0, 2, 3))
    errors = np.sum(pred ^ real, axis=(0, 2, 3))
    denominator = 2 * tp + errors
    return np.where(denominator > 0, 2 * tp / np.maximum(denominator, 1), 1.0)


def digit_crops(frames, positions, object_size: int, *, upscale: int = 2) -> np.ndarray:
    """The ``object_size`` square at each object's rounded position, upscaled (nearest) for the digit classifier.

    ``frames`` (N, H, W[, 1]) and ``positions`` (N, D, 2) -> crops (N * D, object_size * upscale, ..., 1):
    with 14x14 digits and upscale 2, the 28x28 inputs of ``utils.metrics.frechet_digit_distance``.
    Example: ``crops = digit_crops(prediction[:, -1], clips.positions[:, -1], clips.object_size)``
    """
    images = _checks.as_array("frames", frames, ndim=(3, 4), min_len=1).astype("float32")
    if images.ndim == 4:
        images = images[..., 0]
    where = _checks.as_array("positions", positions, ndim=3)
    if where.shape[0] != images.shape[0] or where.shape[2] != 2:
        raise ValueError(f"positions must be (N, D, 2) with N = {images.shape[0]} frames, got {where.shape}")
    size = _checks.positive_int("object_size", object_size)
    upscale = _checks.positive_int("upscale", upscale)
    corners = np.rint(where).astype(int)
    if corners.min() < 0 or corners.max() + size > min(images.shape[1:]):
        raise ValueError("positions put a crop outside the frame: pass the clips' own positions and object_size")
    crops = np.stack([images[n, r:r + size, c:c + size] for n in range(len(images)) for r, c in corners[n]])
    return np.clip(crops.repeat(upscale, axis=1).repeat(upscale, axis=2), 0.0, 1.0)[..., None]


# ----------------------------------------------------------------------------- animation frames


def clip_grid(clips, *, pad: int = 2, pad_value: float = 0.35) -> np.ndarray:
    """Lay out clips (R, K, T, H, W[, 1]) as T grid images (R rows, K columns) for ``utils.plotting.save_gif``.

    Returns float32 (T, R * (H + pad) + pad, K * (W + pad) + pad) in [0, 1], grey between the tiles.
    Example: ``utils.plotting.save_gif(list(clip_grid(np.stack([truth[:4], predicted[:4]]))), OUT / "a.gif", upscale=3)``
    """
    array = _checks.as_array("clips", clips, ndim=(5, 6)).astype("float32")
    if array.ndim == 6:
        if array.shape[-1] != 1:
            raise ValueError(f"clips must be grey-scale (R, K, T, H, W[, 1]), got shape {array.shape}")
        array = array[..., 0]
    pad = _checks.positive_int("pad", pad, minimum=0)
    rows, cols, steps, height, width = array.shape
    grid = np.full((steps, rows * (height + pad) + pad, cols * (width + pad) + pad), pad_value, dtype="float32")
    for r in range(rows):
        for k in range(cols):
            top, left = pad + r * (height + pad), pad + k * (width + pad)
            grid[:, top:top + height, left:left + width] = np.clip(array[r, k], 0.0, 1.0)
    return grid
