"""Tests for utils/augment.py (notebook 14): the label-subset sampler, the classic augmentations, the
imbalance builder and the confidence interval over seeds, with their argument checks."""

import numpy as np
import pytest
from scipy import stats

from utils import augment, data, metrics


@pytest.fixture(scope="module")
def mnist():
    return data.load_mnist5k()


def _digit_images(count=12, seed=0):
    """Small synthetic 'digits': a bright bar on a dark 28x28 field, in [0, 1]."""
    rng = np.random.default_rng(seed)
    images = np.zeros((count, 28, 28, 1), "float32")
    for image in images:
        row = rng.integers(8, 20)
        image[row - 2:row + 2, 6:22, 0] = rng.uniform(0.6, 1.0)
    return images


# ----------------------------------------------------------------------------- label subsets


@pytest.mark.parametrize("per_class", [1, 10, 200])
def test_sample_per_class_gives_exact_counts_without_repeats(mnist, per_class):
    index = augment.sample_per_class(mnist.y_train, per_class, seed=3)
    assert np.array_equal(np.bincount(mnist.y_train[index], minlength=10), np.full(10, per_class))
    assert len(np.unique(index)) == len(index)  # no digit drawn twice


def test_sample_per_class_is_disjoint_from_the_test_digits(mnist):
    index = augment.sample_per_class(mnist.y_train, 200, seed=0)
    test_images = {image.tobytes() for image in mnist.x_test}
    assert not any(image.tobytes() in test_images for image in mnist.x_train[index])
    # and the split itself has no digit on both sides (so no subset of the training part can reach the test part)
    assert not any(image.tobytes() in test_images for image in mnist.x_train)


def test_sample_per_class_depends_on_the_seed_only(mnist):
    first = augment.sample_per_class(mnist.y_train, 10, seed=1)
    assert np.array_equal(first, augment.sample_per_class(mnist.y_train, 10, seed=1))
    assert not np.array_equal(first, augment.sample_per_class(mnist.y_train, 10, seed=2))


def test_sample_per_class_rejects_bad_inputs():
    labels = np.array([0, 0, 1, 1, 1, 2])
    with pytest.raises(ValueError, match="class 0 has only 2 examples.*at most 2"):
        augment.sample_per_class(labels, 3)
    with pytest.raises(ValueError, match="class 3 has only 0"):
        augment.sample_per_class(labels, 1, num_classes=4)
    with pytest.raises(ValueError, match="per_class must be an integer >= 1"):
        augment.sample_per_class(labels, 0)
    with pytest.raises(ValueError, match="labels must be class numbers >= 0"):
        augment.sample_per_class(np.array([0, -1]), 1)
    with pytest.raises(TypeError, match="whole class numbers"):
        augment.sample_per_class(np.array([0.5, 1.0]), 1)
    with pytest.raises(ValueError, match="labels must have 1 dimensions"):
        augment.sample_per_class(np.zeros((2, 2), int), 1)
    with pytest.raises(ValueError, match="seed must be an integer >= 0"):
        augment.sample_per_class(labels, 1, seed=-1)


# ----------------------------------------------------------------------------- imbalance


def test_make_imbalanced_keeps_the_fraction_of_one_class_and_all_others(mnist):
    base = augment.sample_per_class(mnist.y_train, 200, seed=0)
    labels = mnist.y_train[base]
    kept = augment.make_imbalanced(labels, rare_class=8, keep_fraction=0.05, seed=1)
    counts = np.bincount(labels[kept], minlength=10)
    assert counts[8] == 10 and np.all(np.delete(counts, 8) == 200)
    assert np.all(np.diff(kept) > 0)  # original order, no repeats
    assert kept.max() < len(labels)


def test_make_imbalanced_keeps_at_least_one_and_depends_on_the_seed():
    labels = np.repeat(np.arange(3), 10)
    kept = augment.make_imbalanced(labels, 1, 0.01)
    assert np.bincount(labels[kept]).tolist() == [10, 1, 10]
    picks = {tuple(augment.make_imbalanced(labels, 1, 0.3, seed=s)) for s in range(5)}
    assert len(picks) > 1


def test_make_imbalanced_rejects_bad_inputs():
    labels = np.repeat(np.arange(3), 10)
    with pytest.raises(ValueError, match="rare_class=5 does not occur"):
        augment.make_imbalanced(labels, 5, 0.1)
    with pytest.raises(ValueError, match="keep_fraction must be > 0"):
        augment.make_imbalanced(labels, 1, 0.0)
    with pytest.raises(ValueError, match=r"keep_fraction must be in \[0.0, 1.0\]"):
        augment.make_imbalanced(labels, 1, 1.5)
    with pytest.raises(TypeError, match="rare_class must be an int"):
        augment.make_imbalanced(labels, "1", 0.1)


# ----------------------------------------------------------------------------- classic augmentations


@pytest.mark.parametrize("name", ["random_shift", "random_rotate", "elastic_distort"])
def test_each_augmentation_keeps_shape_range_and_changes_the_image(name):
    images = _digit_images()
    out = getattr(augment, name)(images, seed=4)
    assert out.shape == images.shape and out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() <= 1.0
    assert not np.allclose(out, images)
    assert np.array_equal(out, getattr(augment, name)(images, seed=4))  # a pure function of the seed
    flat = getattr(augment, name)(images[..., 0], seed=4)  # (N, H, W) works too
    np.testing.assert_allclose(flat, out[..., 0])


def test_zero_sized_distortions_are_the_identity():
    images = _digit_images()
    np.testing.assert_allclose(augment.random_shift(images, max_pixels=0), images, atol=1e-6)
    np.testing.assert_allclose(augment.random_rotate(images, max_degrees=0), images, atol=1e-6)
    np.testing.assert_allclose(augment.elastic_distort(images, alpha=0), images, atol=1e-6)


def test_shift_by_whole_pixels_moves_the_ink():
    image = np.zeros((1, 28, 28), "float32")
    image[0, 10, 10] = 1.0
    for seed in range(20):
        moved = augment.random_shift(image, max_pixels=3, seed=seed)[0]
        row, col = np.unravel_index(np.argmax(moved), moved.shape)
        assert abs(row - 10) <= 3 and abs(col - 10) <= 3
        assert moved.sum() == pytest.approx(1.0, abs=1e-5)  # bilinear weights sum to one away from the border


def test_classic_augment_preserves_labels_and_is_readable(mnist):
    index = augment.sample_per_class(mnist.y_train, 10, seed=0)
    images, labels = mnist.x_train[index], mnist.y_train[index]
    out, out_labels = augment.classic_augment(images, labels, copies=3, seed=1)
    assert out.shape == (3 * len(images), 28, 28, 1) and out.min() >= 0 and out.max() <= 1
    assert np.array_equal(out_labels, np.tile(labels, 3))  # copy by copy, labels unchanged
    # the mild default distortions keep digits recognisable: the course's reference classifier still reads the label
    assert metrics.digit_accuracy(out, out_labels) > 0.9
    assert metrics.digit_accuracy(augment.random_rotate(images, max_degrees=180, seed=1), labels) < 0.8  # a check that can fail


def test_augmentations_reject_bad_inputs():
    images = _digit_images(3)
    with pytest.raises(ValueError, match=r"pixel values in \[0, 1\].*\(x \+ 1\) / 2"):
        augment.random_shift(images * 2 - 1)
    with pytest.raises(ValueError, match="grey-scale"):
        augment.random_rotate(np.zeros((2, 28, 28, 3)))
    with pytest.raises(ValueError, match="images must have 3 or 4 dimensions"):
        augment.elastic_distort(np.zeros((28, 28)))
    with pytest.raises(ValueError, match="same length"):
        augment.classic_augment(images, np.array([1, 2]))
    with pytest.raises(ValueError, match="copies must be an integer >= 1"):
        augment.classic_augment(images, np.array([1, 2, 3]), copies=0)
    with pytest.raises(ValueError, match=r"max_degrees must be in \[0.0, 180.0\]"):
        augment.random_rotate(images, max_degrees=270)
    with pytest.raises(ValueError, match=r"sigma must be in \(0.0, 100.0\)"):
        augment.elastic_distort(images, sigma=0)
    with pytest.raises(ValueError, match="NaN or infinite"):
        augment.random_shift(np.full((1, 28, 28), np.nan))


# ----------------------------------------------------------------------------- intervals


def test_mean_interval_on_known_data():
    interval = augment.mean_interval([1, 2, 3, 4, 5])
    # mean 3, s = sqrt(2.5), t(0.975, 4) = 2.7764: half-width 2.7764 * 1.5811 / 2.2361 = 1.9632
    assert interval.mean == pytest.approx(3.0)
    assert interval.half_width == pytest.approx(1.9632, abs=1e-4)
    assert (interval.low, interval.high) == pytest.approx((3 - 1.9632, 3 + 1.9632), abs=1e-4)
    wider = augment.mean_interval([1, 2, 3, 4, 5], confidence=0.99)
    assert wider.half_width > interval.half_width
    assert augment.mean_interval([0.7, 0.7, 0.7]).half_width == pytest.approx(0.0, abs=1e-12)


def test_mean_interval_covers_the_true_mean_about_95_percent_of_the_time():
    rng = np.random.default_rng(0)
    hits = [augment.mean_interval(sample).low <= 0.8 <= augment.mean_interval(sample).high
            for sample in rng.normal(0.8, 0.02, (2000, 5))]
    assert 0.935 < np.mean(hits) < 0.965  # a z-interval (1.96) would cover only ~88% with 5 seeds
    z_hits = np.mean([abs(s.mean() - 0.8) <= stats.norm.ppf(0.975) * s.std(ddof=1) / np.sqrt(5) for s in rng.normal(0.8, 0.02, (2000, 5))])
    assert z_hits < 0.91


def test_mean_interval_rejects_bad_inputs():
    with pytest.raises(ValueError, match="at least 2 numbers"):
        augment.mean_interval([0.5])
    with pytest.raises(ValueError, match=r"confidence must be in \(0.0, 1.0\)"):
        augment.mean_interval([0.5, 0.6], confidence=95)
    with pytest.raises(ValueError, match="NaN or infinite"):
        augment.mean_interval([0.5, float("nan")])
    with pytest.raises(ValueError, match="1 dimensions"):
        augment.mean_interval([[0.5, 0.6]])
