import math

import numpy as np
import pytest

from utils import data, metrics


def test_bits_conversions():
    assert metrics.nats_to_bits(math.log(2)) == pytest.approx(1.0)
    assert metrics.uniform_bits(27) == pytest.approx(math.log2(27))
    assert metrics.bits_per_symbol(10 * math.log(4), 10) == pytest.approx(2.0)
    with pytest.raises(ValueError, match="num_symbols must be an integer >= 1"):
        metrics.bits_per_symbol(1.0, 0)
    with pytest.raises(ValueError, match="total_nll_nats must be in"):
        metrics.bits_per_symbol(-1.0, 3)
    with pytest.raises(ValueError, match="vocab_size"):
        metrics.uniform_bits(0)


def test_frechet_distance_of_identical_sets_is_zero():
    features = np.random.default_rng(0).normal(size=(500, 8))
    assert metrics.frechet_distance(features, features) == pytest.approx(0.0, abs=1e-6)


def test_frechet_distance_of_shifted_set_is_the_squared_shift():
    features = np.random.default_rng(1).normal(size=(400, 5))
    shift = np.array([1.0, -2.0, 0.5, 0.0, 3.0])
    assert metrics.frechet_distance(features + shift, features) == pytest.approx(np.sum(shift ** 2), rel=1e-6)


def test_frechet_distance_of_scaled_gaussians_matches_the_formula():
    # N(0, I) against N(0, s^2 I) in D dimensions: FD = D (1 - s)^2
    rng = np.random.default_rng(2)
    a = rng.normal(size=(20000, 4))
    b = 2.0 * rng.normal(size=(20000, 4))
    assert metrics.frechet_distance(a, b) == pytest.approx(4 * (1 - 2.0) ** 2, rel=0.05)


@pytest.mark.parametrize("a, b, message", [
    (np.zeros((5, 3)), np.zeros((5, 4)), "same width"),
    (np.zeros((1, 3)), np.zeros((5, 3)), "at least 2"),
    (np.zeros(5), np.zeros((5, 1)), "features_a must have 2 dimensions"),
    (np.full((5, 2), np.nan), np.zeros((5, 2)), "NaN"),
])
def test_frechet_distance_bad_inputs(a, b, message):
    with pytest.raises(ValueError, match=message):
        metrics.frechet_distance(a, b)


def test_reference_classifier_and_digit_distance_anchors():
    split = data.load_mnist5k()
    accuracy = np.mean(metrics.digit_predictions(split.x_test) == split.y_test)
    assert accuracy > 0.95
    real_vs_real = metrics.frechet_digit_distance(split.x_train[:1000], split.x_test)
    noise = np.random.default_rng(0).uniform(size=(1000, 28, 28, 1)).astype("float32")
    noise_vs_real = metrics.frechet_digit_distance(noise, split.x_test)
    assert real_vs_real < 0.1 * noise_vs_real
    assert metrics.digit_accuracy(split.x_test[:200], split.y_test[:200]) > 0.9
    assert metrics.digit_features(split.x_test[:3]).shape == (3, 128)


def test_digit_metrics_bad_inputs():
    with pytest.raises(ValueError, match=r"pixel values in \[0, 1\].*\(x \+ 1\) / 2"):
        metrics.digit_features(-np.ones((2, 28, 28, 1), dtype="float32"))
    with pytest.raises(ValueError, match="28x28 grey-scale"):
        metrics.digit_features(np.zeros((2, 32, 32, 3)))
    with pytest.raises(ValueError, match="one label per image"):
        metrics.digit_accuracy(np.zeros((4, 28, 28)), [1, 2])


def test_mode_coverage_on_known_points():
    modes = data.toy_modes("ring")
    all_modes = np.repeat(modes, 10, axis=0)
    result = metrics.mode_coverage(all_modes, modes, std=0.05)
    assert result["modes_covered"] == 8 and result["high_quality"] == 1.0
    collapsed = np.vstack([np.repeat(modes[:2], 10, axis=0), np.zeros((20, 2))])  # two modes + junk at the centre
    result = metrics.mode_coverage(collapsed, modes, std=0.05)
    assert result["modes_covered"] == 2 and result["high_quality"] == pytest.approx(0.5)
    assert result["per_mode"][:2] == [10, 10]
    with pytest.raises(ValueError, match="std must be in"):
        metrics.mode_coverage(all_modes, modes, std=0)
    with pytest.raises(ValueError, match=r"samples must have shape \(any, 2\)"):
        metrics.mode_coverage(np.zeros((3, 3)), modes, std=0.1)


def test_nearest_neighbours():
    references = np.array([[0.0, 0.0], [1.0, 0.0], [5.0, 5.0]])
    index, distance = metrics.nearest_neighbours(np.array([[0.9, 0.0], [5.0, 4.0]]), references, k=2)
    np.testing.assert_array_equal(index, [[1, 0], [2, 1]])
    np.testing.assert_allclose(distance[:, 0], [0.1, 1.0], atol=1e-5)
    with pytest.raises(ValueError, match="k=4 is larger"):
        metrics.nearest_neighbours(references, references, k=4)
    with pytest.raises(ValueError, match="same size per item"):
        metrics.nearest_neighbours(np.zeros((1, 3)), references)


def test_digit_classifier_weights_are_checked_against_their_card(tmp_path, monkeypatch):
    import json
    import shutil

    from utils import metrics

    weights = tmp_path / "digit_classifier.weights.h5"
    card = tmp_path / "digit_classifier.json"
    shutil.copy(metrics.DIGIT_CLASSIFIER, weights)
    card.write_text(json.dumps({**json.loads(metrics.DIGIT_CLASSIFIER_CARD.read_text()), "sha256": "0" * 64}))
    monkeypatch.setattr(metrics, "DIGIT_CLASSIFIER", weights)
    monkeypatch.setattr(metrics, "DIGIT_CLASSIFIER_CARD", card)
    metrics.digit_classifier.cache_clear()
    try:
        with pytest.raises(ValueError, match="does not match the SHA-256"):
            metrics.digit_classifier()
    finally:
        metrics.digit_classifier.cache_clear()


def test_mass_weighted_coverage_has_known_answers_and_is_not_fooled_by_noise():
    modes = data.toy_modes("grid")  # 25 modes, 1.0 apart, std 0.05 in the course
    rng = np.random.default_rng(0)
    balanced = np.repeat(modes, 40, axis=0) + rng.normal(0, 0.01, (1000, 2))
    result = metrics.mode_coverage(balanced, modes, std=0.05)
    assert result["modes_covered"] == 25 and result["modes_with_share"] == 25 and result["mass_covered"] == pytest.approx(1.0)
    collapsed = np.repeat(modes[:1], 1000, axis=0)
    result = metrics.mode_coverage(collapsed, modes, std=0.05)
    assert result["mass_covered"] == pytest.approx(1 / 25) and result["modes_with_share"] == 1
    # Two modes hold 90.8% of the points, the other 23 four points each: every mode "covered", little mass matched.
    lopsided = np.concatenate([np.repeat(modes[:2], 454, axis=0), np.repeat(modes[2:], 4, axis=0)])
    result = metrics.mode_coverage(lopsided, modes, std=0.05)
    assert result["modes_covered"] == 25
    assert result["mass_covered"] == pytest.approx(2 / 25 + 23 * 4 / 1000, abs=1e-9)
    assert result["modes_with_share"] == 25  # 4/1000 = 0.004 is just 0.1 of a fair share (1/25)
    assert metrics.mode_coverage(lopsided, modes, std=0.05, min_share=0.2)["modes_with_share"] == 2
    # Uniform noise over the grid's square covers every mode by count, but matches little mass.
    noise = rng.uniform(-2.5, 2.5, (20000, 2))
    result = metrics.mode_coverage(noise, modes, std=0.05)
    expected_share_near_modes = 25 * np.pi * 0.15**2 / 25.0  # 25 discs of radius 3 std in a 5 x 5 square
    assert result["modes_covered"] == 25
    assert result["mass_covered"] == pytest.approx(expected_share_near_modes, rel=0.1)
    assert result["mass_covered"] < 0.1


@pytest.mark.parametrize("kwargs, message", [
    (dict(weights=[0.5, 0.5]), "weights"),
    (dict(weights=np.full(25, 0.5)), "sum to 1"),
    (dict(min_share=1.5), "min_share"),
])
def test_mode_coverage_rejects_bad_weights_and_shares(kwargs, message):
    with pytest.raises(ValueError, match=message):
        metrics.mode_coverage(np.zeros((4, 2)), data.toy_modes("grid"), std=0.05, **kwargs)
