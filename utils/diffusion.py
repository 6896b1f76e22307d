"""Denoising diffusion pieces for notebook 10: noise schedules, the closed-form forward process,
the sinusoidal time embedding and one reverse step of DDPM and of DDIM.

Conventions. A schedule has ``T`` steps, indexed ``t = 0 .. T - 1`` (the papers' steps 1 .. T):
``x_t = sqrt(alpha_bar[t]) * x_0 + sqrt(1 - alpha_bar[t]) * eps`` with ``alpha_bar = cumprod(1 - beta)``.
A reverse step goes from ``t`` to ``t_prev`` (``t - 1`` for DDPM, any earlier step for DDIM);
``t_prev = -1`` means the clean data (alpha_bar = 1). Images live in [-1, 1] inside the model
(``to_model_range`` / ``to_image_range`` convert from and to the [0, 1] pixels the metrics use).

The models and training loops stay in the notebook, where the learner reads them; these are the
formulas they share, tested in ``tests/test_diffusion.py``. Functions take NumPy arrays or
TensorFlow tensors (also inside ``tf.function``) and return float32 tensors.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from . import _checks

SCHEDULES = ("linear", "cosine")


class Schedule(NamedTuple):
    """A noise schedule: ``betas`` (noise added at each step), ``alphas = 1 - betas`` and their
    running product ``alpha_bars`` (the share of the data's variance left after step t), float64 arrays of length T."""

    kind: str
    betas: np.ndarray
    alphas: np.ndarray
    alpha_bars: np.ndarray

    @property
    def num_steps(self) -> int:
        """T, the number of noising steps."""
        return len(self.betas)


def make_schedule(kind: str = "linear", num_steps: int = 1000, *, beta_start: float = 1e-4, beta_end: float = 0.02,
                  offset: float = 0.008, max_beta: float = 0.999) -> Schedule:
    """A ``linear`` (Ho et al., 2020) or ``cosine`` (Nichol & Dhariwal, 2021) schedule of ``num_steps`` steps.

    ``linear``: betas evenly spaced from ``beta_start`` to ``beta_end``, both multiplied by 1000 / T,
    so that any T destroys the data about as thoroughly as the paper's 1,000 steps.
    ``cosine``: alpha_bar(t) = cos²((t / T + offset) / (1 + offset) · π / 2), normalised to start at 1,
    with each beta capped at ``max_beta``; it removes information more evenly over the steps.
    Example: ``schedule = utils.diffusion.make_schedule("cosine", 1000); schedule.alpha_bars[-1]``
    """
    _checks.one_of("kind", kind, SCHEDULES)
    num_steps = _checks.positive_int("num_steps", num_steps, minimum=2)
    if kind == "linear":
        beta_start = _checks.number_in("beta_start", beta_start, 0.0, 1.0, inclusive=False)
        beta_end = _checks.number_in("beta_end", beta_end, beta_start, 1.0)
        scale = 1000.0 / num_steps
        if beta_end * scale >= 1.0:
            raise ValueError(f"num_steps={num_steps} is too few for the linear schedule: beta_end * 1000 / T = "
                             f"{beta_end * scale:.3g} must stay below 1; use at least {math.floor(1000 * beta_end) + 1} steps")
        betas = np.linspace(beta_start * scale, beta_end * scale, num_steps, dtype="float64")
    else:
        offset = _checks.number_in("offset", offset, 0.0, 1.0)
        max_beta = _checks.number_in("max_beta", max_beta, 0.0, 1.0, inclusive=False)
        steps = np.arange(num_steps + 1, dtype="float64") / num_steps
        f = np.cos((steps + offset) / (1.0 + offset) * math.pi / 2) ** 2
        betas = np.clip(1.0 - f[1:] / f[:-1], 0.0, max_beta)
    alphas = 1.0 - betas
    return Schedule(kind, betas, alphas, np.cumprod(alphas))


def _check_schedule(schedule) -> Schedule:
    if not isinstance(schedule, Schedule):
        raise TypeError(f"schedule must be a utils.diffusion.Schedule (from make_schedule), got {type(schedule).__name__}")
    return schedule


def _tensor(name: str, value, *, min_rank: int = 1):
    import tensorflow as tf

    if value is None:
        raise TypeError(f"{name} must be a tensor or array, got None")
    try:
        tensor = tf.convert_to_tensor(value, dtype=tf.float32)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name} must hold numbers, got {type(value).__name__} ({error})") from None
    if tensor.shape.rank is not None and tensor.shape.rank < min_rank:
        raise ValueError(f"{name} must have at least {min_rank} dimension(s) (batch first), got shape {tuple(tensor.shape)}")
    return tensor


def _same_shape(name_a: str, a, name_b: str, b) -> None:
    if a.shape.rank is not None and b.shape.rank is not None and not a.shape.is_compatible_with(b.shape):
        raise ValueError(f"{name_a} and {name_b} must have the same shape, got {tuple(a.shape)} and {tuple(b.shape)}")


def _steps(name: str, t, num_steps: int, *, low: int = 0):
    """``t`` as an int32 tensor of rank 0 or 1, checked to lie in [low, num_steps - 1] (at run time inside tf.function)."""
    import tensorflow as tf

    if t is None or isinstance(t, (bool, str)):
        raise TypeError(f"{name} must hold integer step indices 0 .. {num_steps - 1}, got {t!r}")
    tensor = tf.convert_to_tensor(t)
    if not tensor.dtype.is_integer:
        raise TypeError(f"{name} must hold integer step indices 0 .. {num_steps - 1}, got dtype {tensor.dtype.name}")
    tensor = tf.cast(tensor, tf.int32)
    if tensor.shape.rank is not None and tensor.shape.rank > 1:
        raise ValueError(f"{name} must be one step or one step per example (rank 0 or 1), got shape {tuple(tensor.shape)}")
    message = f"{name} must lie in [{low}, {num_steps - 1}] (the schedule has T = {num_steps} steps, indexed from 0)"
    if tf.executing_eagerly():
        values = tensor.numpy()
        if values.size and (values.min() < low or values.max() > num_steps - 1):
            raise ValueError(f"{message}, got values from {values.min()} to {values.max()}")
        return tensor
    with tf.control_dependencies([tf.debugging.assert_greater_equal(tensor, low, message=message),
                                  tf.debugging.assert_less_equal(tensor, num_steps - 1, message=message)]):
        return tf.identity(tensor)


def _per_example(values: np.ndarray, t, like):
    """``values[t]`` as float32, shaped to broadcast against ``like`` (batch first)."""
    import tensorflow as tf

    picked = tf.gather(tf.constant(values, dtype=tf.float32), t)
    if t.shape.rank == 0:
        return picked
    return tf.reshape(picked, tf.concat([tf.shape(picked), tf.ones([tf.rank(like) - 1], tf.int32)], axis=0))


def q_sample(x0, t, noise, schedule: Schedule):
    """Noisy data at step ``t`` in one go: sqrt(alpha_bar[t]) * x0 + sqrt(1 - alpha_bar[t]) * noise.

    ``t`` is one step for the batch or one step per example (shape (batch,)); ``noise`` has x0's shape.
    Example: ``x_t = utils.diffusion.q_sample(x0, t, tf.random.normal(x0.shape), schedule)``
    """
    import tensorflow as tf

    schedule = _check_schedule(schedule)
    x0 = _tensor("x0", x0)
    noise = _tensor("noise", noise)
    _same_shape("x0", x0, "noise", noise)
    t = _steps("t", t, schedule.num_steps)
    if t.shape.rank == 1 and x0.shape[0] is not None and t.shape[0] is not None and t.shape[0] != x0.shape[0]:
        raise ValueError(f"t must hold one step per example ({x0.shape[0]}), got {t.shape[0]}")
    signal = _per_example(np.sqrt(schedule.alpha_bars), t, x0)
    noise_scale = _per_example(np.sqrt(1.0 - schedule.alpha_bars), t, x0)
    return tf.cast(signal, tf.float32) * x0 + noise_scale * noise


def timestep_embedding(t, dim: int, *, max_period: float = 10_000.0):
    """Sinusoidal embedding of steps ``t`` (shape (batch,)): [sin(t·w_k), cos(t·w_k)] for dim / 2 frequencies
    w_k = max_period^(-k / (dim / 2)), from one cycle per ~6 steps to one per ~max_period·2π steps (as the
    Transformer's position encoding). Returns float32 of shape (batch, dim); usable inside Keras layers.
    Example: ``utils.diffusion.timestep_embedding(np.arange(4), 16).shape  # (4, 16)``
    """
    from keras import ops

    dim = _checks.positive_int("dim", dim, minimum=2)
    if dim % 2:
        raise ValueError(f"dim must be even (a sine and a cosine per frequency), got {dim}")
    max_period = _checks.number_in("max_period", max_period, 1.0, float("inf"), inclusive=False)
    t = ops.cast(ops.convert_to_tensor(t), "float32")
    if len(t.shape) != 1:
        raise ValueError(f"t must have shape (batch,), got {tuple(t.shape)}")
    half = dim // 2
    frequencies = np.exp(-math.log(max_period) * np.arange(half, dtype="float64") / half).astype("float32")
    angles = t[:, None] * ops.convert_to_tensor(frequencies)[None, :]
    return ops.concatenate([ops.sin(angles), ops.cos(angles)], axis=-1)


def predict_x0(x_t, eps, t, schedule: Schedule):
    """The clean data implied by a noise prediction: (x_t - sqrt(1 - alpha_bar[t]) * eps) / sqrt(alpha_bar[t]).

    Example: ``x0_hat = utils.diffusion.predict_x0(x_t, model([x_t, t]), t, schedule)``
    """
    schedule = _check_schedule(schedule)
    x_t, eps = _tensor("x_t", x_t), _tensor("eps", eps)
    _same_shape("x_t", x_t, "eps", eps)
    t = _steps("t", t, schedule.num_steps)
    signal = _per_example(np.sqrt(schedule.alpha_bars), t, x_t)
    noise_scale = _per_example(np.sqrt(1.0 - schedule.alpha_bars), t, x_t)
    return (x_t - noise_scale * eps) / signal


def ddpm_step(x_t, eps, t, schedule: Schedule, noise=None, *, variance: str = "beta", clip: float | None = None):
    """One ancestral DDPM step from ``t`` to ``t - 1`` (Ho et al., 2020, Algorithm 2):
    mean = (x_t - beta_t / sqrt(1 - alpha_bar_t) * eps) / sqrt(alpha_t), plus sigma_t * noise unless t = 0.

    ``variance`` "beta" uses sigma² = beta_t, "posterior" the true posterior's beta_t (1 - alpha_bar_{t-1}) / (1 - alpha_bar_t);
    the paper found both give similar samples. ``t`` is one step for the whole batch (an int or a scalar tensor).
    ``clip`` (e.g. 1.0 for images in [-1, 1]) writes the same mean as the forward posterior's mean given the predicted
    x0_hat, clipped to [-clip, clip] first, as Ho et al.'s code does for images: without it, the division by sqrt(alpha_t)
    amplifies the model's errors wherever beta_t is near 1 (the cosine schedule's last steps).
    Example: ``x = utils.diffusion.ddpm_step(x, model([x, t]), t, schedule, tf.random.normal(x.shape))``
    """
    import tensorflow as tf

    schedule = _check_schedule(schedule)
    _checks.one_of("variance", variance, ("beta", "posterior"))
    x_t, eps = _tensor("x_t", x_t), _tensor("eps", eps)
    _same_shape("x_t", x_t, "eps", eps)
    t = _steps("t", t, schedule.num_steps)
    if t.shape.rank != 0:
        raise ValueError(f"t must be one step for the whole batch (a scalar), got shape {tuple(t.shape)}")
    alpha_bars_prev = np.concatenate([[1.0], schedule.alpha_bars[:-1]])
    sigmas = np.sqrt(schedule.betas if variance == "beta" else schedule.betas * (1 - alpha_bars_prev) / (1 - schedule.alpha_bars))
    if clip is None:
        coefficient = tf.gather(tf.constant(schedule.betas / np.sqrt(1.0 - schedule.alpha_bars), tf.float32), t)
        mean = (x_t - coefficient * eps) / tf.gather(tf.constant(np.sqrt(schedule.alphas), tf.float32), t)
    else:  # the posterior mean: sqrt(abar_{t-1}) beta_t / (1 - abar_t) x0_hat + sqrt(alpha_t) (1 - abar_{t-1}) / (1 - abar_t) x_t
        clip = _checks.number_in("clip", clip, 0.0, float("inf"), inclusive=False)
        x0 = tf.clip_by_value(predict_x0(x_t, eps, t, schedule), -clip, clip)
        x0_weight = np.sqrt(alpha_bars_prev) * schedule.betas / (1.0 - schedule.alpha_bars)
        x_t_weight = np.sqrt(schedule.alphas) * (1.0 - alpha_bars_prev) / (1.0 - schedule.alpha_bars)
        mean = tf.gather(tf.constant(x0_weight, tf.float32), t) * x0 + tf.gather(tf.constant(x_t_weight, tf.float32), t) * x_t
    if noise is None:
        if tf.executing_eagerly() and int(t.numpy()) == 0:
            return mean
        raise ValueError("noise is needed for every step but the last (t = 0): pass e.g. tf.random.normal(x_t.shape)")
    noise = _tensor("noise", noise)
    _same_shape("x_t", x_t, "noise", noise)
    sigma = tf.where(t > 0, tf.gather(tf.constant(sigmas, tf.float32), t), 0.0)
    return mean + sigma * noise


def ddim_step(x_t, eps, t, t_prev, schedule: Schedule, *, eta: float = 0.0, noise=None, clip: float | None = None):
    """One DDIM step (Song et al., 2021) from ``t`` to any earlier ``t_prev`` (-1 = the clean data):
    x_prev = sqrt(alpha_bar_prev) * x0_hat + sqrt(1 - alpha_bar_prev - sigma²) * eps + sigma * noise, with
    sigma = eta * sqrt((1 - alpha_bar_prev) / (1 - alpha_bar_t)) * sqrt(1 - alpha_bar_t / alpha_bar_prev).

    ``eta = 0`` is deterministic (no noise needed); ``eta = 1`` with ``t_prev = t - 1`` is DDPM's step with the
    posterior variance. ``clip`` (e.g. 1.0 for images in [-1, 1]) clips x0_hat and recomputes eps to match it.
    Example: ``x = utils.diffusion.ddim_step(x, model([x, t]), 999, 949, schedule)``
    """
    import tensorflow as tf

    schedule = _check_schedule(schedule)
    eta = _checks.number_in("eta", eta, 0.0, 1.0)
    x_t, eps = _tensor("x_t", x_t), _tensor("eps", eps)
    _same_shape("x_t", x_t, "eps", eps)
    t = _steps("t", t, schedule.num_steps)
    t_prev = _steps("t_prev", t_prev, schedule.num_steps, low=-1)
    if t.shape.rank != 0 or t_prev.shape.rank != 0:
        raise ValueError("t and t_prev must be one step each for the whole batch (scalars)")
    if tf.executing_eagerly() and int(t_prev.numpy()) >= int(t.numpy()):
        raise ValueError(f"t_prev must come before t (t_prev < t), got t = {int(t.numpy())}, t_prev = {int(t_prev.numpy())}")
    alpha_bars = tf.constant(schedule.alpha_bars, tf.float32)
    alpha_bar = tf.gather(alpha_bars, t)
    alpha_bar_prev = tf.where(t_prev >= 0, tf.gather(alpha_bars, tf.maximum(t_prev, 0)), 1.0)
    x0 = (x_t - tf.sqrt(1.0 - alpha_bar) * eps) / tf.sqrt(alpha_bar)
    if clip is not None:
        clip = _checks.number_in("clip", clip, 0.0, float("inf"), inclusive=False)
        x0 = tf.clip_by_value(x0, -clip, clip)
        eps = (x_t - tf.sqrt(alpha_bar) * x0) / tf.sqrt(1.0 - alpha_bar)
    sigma = eta * tf.sqrt((1.0 - alpha_bar_prev) / (1.0 - alpha_bar)) * tf.sqrt(1.0 - alpha_bar / alpha_bar_prev)
    x_prev = tf.sqrt(alpha_bar_prev) * x0 + tf.sqrt(tf.maximum(1.0 - alpha_bar_prev - sigma**2, 0.0)) * eps
    if eta > 0:
        if noise is None:
            raise ValueError("eta > 0 adds fresh noise: pass noise (e.g. tf.random.normal(x_t.shape)), or use eta = 0")
        noise = _tensor("noise", noise)
        _same_shape("x_t", x_t, "noise", noise)
        x_prev = x_prev + sigma * noise
    return x_prev


def ddim_timesteps(num_train_steps: int, num_sample_steps: int) -> list[tuple[int, int]]:
    """The (t, t_prev) pairs of a DDIM run with ``num_sample_steps`` evenly spaced steps, from T - 1 down to -1.

    Example: ``utils.diffusion.ddim_timesteps(1000, 4)  # [(999, 749), (749, 499), (499, 249), (249, -1)]``
    """
    num_train_steps = _checks.positive_int("num_train_steps", num_train_steps, minimum=2)
    num_sample_steps = _checks.positive_int("num_sample_steps", num_sample_steps)
    if num_sample_steps > num_train_steps:
        raise ValueError(f"num_sample_steps ({num_sample_steps}) cannot exceed the schedule's T ({num_train_steps})")
    steps = np.round(np.linspace(num_train_steps, 0, num_sample_steps + 1)).astype(int) - 1
    return [(int(a), int(b)) for a, b in zip(steps[:-1], steps[1:])]


def to_model_range(images):
    """Pixels in [0, 1] of shape (N, H, W, C) -> float32 NumPy array in [-1, 1], the range the model works in.

    Example: ``x0 = utils.diffusion.to_model_range(x_train)``
    """
    array = _checks.as_array("images", images, ndim=4, min_len=1).astype("float32")
    low, high = float(array.min()), float(array.max())
    if low < -1e-6 or high > 1 + 1e-6:
        raise ValueError(f"images must hold pixels in [0, 1] (shape (N, H, W, C)), got values from {low:.3g} to {high:.3g}; "
                         "rescale first (x / 255 for bytes)")
    return array * 2.0 - 1.0


def to_image_range(x) -> np.ndarray:
    """Model outputs in [-1, 1] -> pixels clipped to [0, 1], as a float32 NumPy array (for plots and the metrics).

    Example: ``utils.metrics.frechet_digit_distance(utils.diffusion.to_image_range(samples), x_test)``
    """
    array = _checks.as_array("x", x, ndim=(3, 4), min_len=1).astype("float32")
    return np.clip((array + 1.0) / 2.0, 0.0, 1.0)
