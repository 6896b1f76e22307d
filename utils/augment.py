"""Plumbing for notebook 14 (data augmentation): few-label subsets, classic augmentations,
imbalanced training sets and confidence intervals over seeds.

* ``sample_per_class``: indices of exactly ``per_class`` examples of every class, drawn with a seed.
* ``random_shift``, ``random_rotate``, ``elastic_distort``: label-preserving distortions of
  (N, H, W[, 1]) images in [0, 1] (the output stays in [0, 1]); ``classic_augment`` chains all three.
* ``make_imbalanced``: indices of a training set in which one class keeps only a fraction of its examples.
* ``mean_interval``: the mean of a few per-seed numbers and its Student-t confidence interval.

The classifiers and generators the lesson is about live in the notebook; this module only holds
what a second notebook could reuse.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import _checks


def _labels(labels) -> np.ndarray:
    array = _checks.as_array("labels", labels, ndim=1, min_len=1)
    if not np.issubdtype(array.dtype, np.integer):
        if not np.all(np.equal(np.mod(array, 1), 0)):
            raise TypeError(f"labels must be whole class numbers, got dtype {array.dtype} with fractions")
        array = array.astype("int64")
    if array.min() < 0:
        raise ValueError(f"labels must be class numbers >= 0, got {int(array.min())}")
    return array


def _seed(seed) -> int:
    return _checks.positive_int("seed", seed, minimum=0)


def _images(images) -> tuple[np.ndarray, bool]:
    """(N, H, W) float32 images in [0, 1], and whether a trailing channel axis must be put back."""
    array = _checks.as_array("images", images, ndim=(3, 4), min_len=1)
    channel = array.ndim == 4
    if channel:
        if array.shape[-1] != 1:
            raise ValueError(f"images must be grey-scale, shape (N, H, W) or (N, H, W, 1), got {array.shape}")
        array = array[..., 0]
    low, high = float(array.min()), float(array.max())
    if low < -1e-3 or high > 1 + 1e-3:
        raise ValueError(f"images must hold pixel values in [0, 1], got range [{low:.3g}, {high:.3g}]; "
                         "rescale [-1, 1] images with (x + 1) / 2")
    return array.astype("float32"), channel


def _restore(array: np.ndarray, channel: bool) -> np.ndarray:
    array = np.clip(array, 0.0, 1.0).astype("float32")  # interpolation can overshoot a little
    return array[..., None] if channel else array


# ----------------------------------------------------------------------------- label subsets


def sample_per_class(labels, per_class: int, seed: int = 0, *, num_classes: int | None = None) -> np.ndarray:
    """Indices of exactly ``per_class`` examples of each class in ``labels``, chosen at random with ``seed``.

    Draw from the *training* labels only, so the subset never touches the test digits. The
    indices come back sorted by class, then position. Every class 0..num_classes-1 must have enough examples.
    Example: ``idx = utils.augment.sample_per_class(y_train, 10, seed=0); x_few, y_few = x_train[idx], y_train[idx]``
    """
    labels = _labels(labels)
    per_class = _checks.positive_int("per_class", per_class)
    rng = np.random.default_rng(_seed(seed))
    num_classes = int(labels.max()) + 1 if num_classes is None else _checks.positive_int("num_classes", num_classes)
    chosen = []
    for label in range(num_classes):
        candidates = np.flatnonzero(labels == label)
        if len(candidates) < per_class:
            raise ValueError(f"class {label} has only {len(candidates)} examples, fewer than per_class={per_class}; "
                             f"ask for at most {len(candidates)} per class")
        chosen.append(np.sort(rng.choice(candidates, per_class, replace=False)))
    return np.concatenate(chosen)


def make_imbalanced(labels, rare_class: int, keep_fraction: float, seed: int = 0) -> np.ndarray:
    """Indices of all examples except that ``rare_class`` keeps only ``keep_fraction`` of its own (at least one).

    The rare class keeps ``max(1, round(keep_fraction * count))`` examples chosen with ``seed``; other
    classes keep all of theirs. Indices come back in their original order.
    Example: ``idx = utils.augment.make_imbalanced(y_few, rare_class=8, keep_fraction=0.05)``
    """
    labels = _labels(labels)
    if isinstance(rare_class, bool) or not isinstance(rare_class, (int, np.integer)):
        raise TypeError(f"rare_class must be an int class number, got {rare_class!r}")
    if not np.any(labels == rare_class):
        raise ValueError(f"rare_class={rare_class} does not occur in labels (classes present: {sorted(set(labels.tolist()))})")
    keep_fraction = _checks.number_in("keep_fraction", keep_fraction, 0.0, 1.0)
    if keep_fraction == 0.0:
        raise ValueError("keep_fraction must be > 0: a class with no examples cannot be rebalanced; use e.g. 0.05")
    rare = np.flatnonzero(labels == rare_class)
    keep = max(1, int(round(keep_fraction * len(rare))))
    kept_rare = np.random.default_rng(_seed(seed)).choice(rare, keep, replace=False)
    mask = labels != rare_class
    mask[kept_rare] = True
    return np.flatnonzero(mask)


# ----------------------------------------------------------------------------- classic augmentations


def _grid(shape: tuple) -> tuple[np.ndarray, np.ndarray]:
    """Row and column coordinates of every pixel, measured from the image centre."""
    height, width = shape
    rows, cols = np.meshgrid(np.arange(height) - (height - 1) / 2, np.arange(width) - (width - 1) / 2, indexing="ij")
    return rows, cols


def _warp(array: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Read every output pixel of each image at (rows, cols), centre-based, each of shape (N, H, W) (bilinear, zero fill)."""
    from scipy import ndimage

    n, height, width = array.shape
    index = np.broadcast_to(np.arange(n, dtype="float64")[:, None, None], rows.shape)  # whole numbers: no mixing of images
    return ndimage.map_coordinates(array, [index, rows + (height - 1) / 2, cols + (width - 1) / 2], order=1, mode="constant", cval=0.0)


def _shift_field(n: int, max_pixels: float, rng: np.random.Generator) -> np.ndarray:
    return rng.uniform(-max_pixels, max_pixels, (n, 2, 1, 1))  # (row, col) offset per image


def _rotation(rows: np.ndarray, cols: np.ndarray, n: int, max_degrees: float, rng: np.random.Generator):
    angles = np.deg2rad(rng.uniform(-max_degrees, max_degrees, (n, 1, 1)))
    return np.cos(angles) * rows - np.sin(angles) * cols, np.sin(angles) * rows + np.cos(angles) * cols


def _elastic_field(n: int, shape: tuple, alpha: float, sigma: float, rng: np.random.Generator) -> np.ndarray:
    from scipy import ndimage

    field = rng.uniform(-1, 1, (n, 2, *shape))
    return alpha * ndimage.gaussian_filter(field, (0, 0, sigma, sigma), mode="constant")  # smooth within each image only


def random_shift(images, max_pixels: float = 2.0, seed: int = 0) -> np.ndarray:
    """Shift each image by its own random offset of up to ``max_pixels`` in x and y (zero fill, bilinear).

    Example: ``moved = utils.augment.random_shift(x_few, max_pixels=2, seed=1)``
    """
    array, channel = _images(images)
    max_pixels = _checks.number_in("max_pixels", max_pixels, 0.0, float(min(array.shape[1:])))
    rows, cols = _grid(array.shape[1:])
    offsets = _shift_field(len(array), max_pixels, np.random.default_rng(_seed(seed)))
    return _restore(_warp(array, rows - offsets[:, 0], cols - offsets[:, 1]), channel)


def random_rotate(images, max_degrees: float = 15.0, seed: int = 0) -> np.ndarray:
    """Rotate each image about its centre by its own random angle in [-max_degrees, max_degrees].

    Keep the angle small for digits: 180 degrees turns a 6 into a 9.
    Example: ``turned = utils.augment.random_rotate(x_few, max_degrees=15, seed=1)``
    """
    array, channel = _images(images)
    max_degrees = _checks.number_in("max_degrees", max_degrees, 0.0, 180.0)
    rows, cols = _rotation(*_grid(array.shape[1:]), len(array), max_degrees, np.random.default_rng(_seed(seed)))
    return _restore(_warp(array, rows, cols), channel)


def elastic_distort(images, alpha: float = 8.0, sigma: float = 3.0, seed: int = 0) -> np.ndarray:
    """Simard et al.'s (2003) elastic distortion: a random displacement field, smoothed by a Gaussian of
    width ``sigma`` pixels and scaled by ``alpha``, moves every pixel of each image.

    Example: ``wobbly = utils.augment.elastic_distort(x_few, alpha=8, sigma=3, seed=1)``
    """
    array, channel = _images(images)
    alpha = _checks.number_in("alpha", alpha, 0.0, 1000.0)
    sigma = _checks.number_in("sigma", sigma, 0.0, 100.0, inclusive=False)
    rows, cols = _grid(array.shape[1:])
    field = _elastic_field(len(array), array.shape[1:], alpha, sigma, np.random.default_rng(_seed(seed)))
    return _restore(_warp(array, rows + field[:, 0], cols + field[:, 1]), channel)


def classic_augment(images, labels, copies: int = 1, seed: int = 0, *, max_pixels: float = 2.0,
                    max_degrees: float = 15.0, alpha: float = 8.0, sigma: float = 3.0) -> tuple[np.ndarray, np.ndarray]:
    """``copies`` distorted versions of every image (a random shift, rotation and elastic distortion, applied
    as one warp so the digit is interpolated once) and their labels, unchanged.

    Returns ``(new_images, new_labels)`` with ``copies * N`` items, copy by copy; the originals are not included.
    Example: ``x_aug, y_aug = utils.augment.classic_augment(x_few, y_few, copies=4, seed=0)``
    """
    array, channel = _images(images)
    labels = _labels(labels)
    if len(labels) != len(array):
        raise ValueError(f"images and labels must have the same length, got {len(array)} and {len(labels)}")
    copies = _checks.positive_int("copies", copies)
    max_pixels = _checks.number_in("max_pixels", max_pixels, 0.0, float(min(array.shape[1:])))
    max_degrees = _checks.number_in("max_degrees", max_degrees, 0.0, 180.0)
    alpha = _checks.number_in("alpha", alpha, 0.0, 1000.0)
    sigma = _checks.number_in("sigma", sigma, 0.0, 100.0, inclusive=False)
    rng = np.random.default_rng(_seed(seed))
    stack = np.tile(array, (copies, 1, 1))
    n = len(stack)
    rows, cols = _rotation(*_grid(array.shape[1:]), n, max_degrees, rng)
    offsets = _shift_field(n, max_pixels, rng)
    field = _elastic_field(n, array.shape[1:], alpha, sigma, rng)
    out = _restore(_warp(stack, rows - offsets[:, 0] + field[:, 0], cols - offsets[:, 1] + field[:, 1]), channel)
    return out, np.tile(labels, copies)


# ----------------------------------------------------------------------------- intervals over seeds


class Interval(NamedTuple):
    """A mean with the lower and upper ends of its confidence interval."""

    mean: float
    low: float
    high: float

    @property
    def half_width(self) -> float:
        """Distance from the mean to either end of the interval."""
        return (self.high - self.low) / 2


def mean_interval(values, confidence: float = 0.95) -> Interval:
    """Mean of a few per-seed numbers and its Student-t confidence interval, mean ± t(n-1) · s / sqrt(n).

    Needs at least two finite values (one run has no spread). Paired comparisons (same seeds, two
    strategies) should pass the per-seed differences.
    Example: ``utils.augment.mean_interval([0.71, 0.74, 0.69, 0.73, 0.72])  # Interval(mean=0.718, low=0.694, high=0.742)``
    """
    from scipy import stats

    array = _checks.as_array("values", values, ndim=1).astype("float64")
    if len(array) < 2:
        raise ValueError(f"values needs at least 2 numbers (e.g. one per seed) for an interval, got {len(array)}")
    confidence = _checks.number_in("confidence", confidence, 0.0, 1.0, inclusive=False)
    mean = float(array.mean())
    half = float(stats.t.ppf(0.5 + confidence / 2, len(array) - 1) * array.std(ddof=1) / np.sqrt(len(array)))
    return Interval(mean, mean - half, mean + half)
