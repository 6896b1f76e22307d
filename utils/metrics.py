"""Quality numbers for generated data.

* Likelihood-based: ``nats_to_bits``, ``bits_per_symbol``, ``uniform_bits``.
* Samples against real data: ``frechet_distance`` on any features, and for 28x28 digits
  ``frechet_digit_distance`` in the features of the course's reference digit classifier
  (``data/digit_classifier.weights.h5``, made by ``tools/train_digit_classifier.py``), plus
  ``digit_accuracy`` for conditional generators.
* 2-D toy data: ``mode_coverage``.
* Memorisation: ``nearest_neighbours``.
"""

from __future__ import annotations

import functools
import math
import pathlib

import numpy as np

from . import _checks

DATA_DIR = pathlib.Path(__file__).resolve().parent.parent / "data"
DIGIT_CLASSIFIER = DATA_DIR / "digit_classifier.weights.h5"
DIGIT_CLASSIFIER_CARD = DATA_DIR / "digit_classifier.json"  # how the weights were made, and their SHA-256
CLASSIFIER_SEED = 1234
FEATURE_LAYER = "features"


# ----------------------------------------------------------------------------- likelihood

def nats_to_bits(nats):
    """Convert a log-likelihood or loss in nats (natural log) to bits. Example: ``nats_to_bits(math.log(2))  # 1.0``"""
    value = _checks.as_array("nats", nats, finite=False)
    result = value / math.log(2.0)
    return float(result) if result.ndim == 0 else result


def bits_per_symbol(total_nll_nats: float, num_symbols: int) -> float:
    """Average code length in bits per symbol from a total negative log-likelihood in nats.

    Example: ``bits_per_symbol(nll_sum, len(text))`` gives bits per character.
    """
    num_symbols = _checks.positive_int("num_symbols", num_symbols)
    total = _checks.number_in("total_nll_nats", total_nll_nats, 0.0, float("inf"))
    return total / num_symbols / math.log(2.0)


def uniform_bits(vocab_size: int) -> float:
    """Bits per symbol of the uniform model over ``vocab_size`` symbols: the baseline any model must beat.

    Example: ``uniform_bits(27)  # 4.75``
    """
    return math.log2(_checks.positive_int("vocab_size", vocab_size))


# ----------------------------------------------------------------------------- Fréchet distance

def _matrix_sqrt_product_trace(cov_a: np.ndarray, cov_b: np.ndarray) -> float:
    """tr(sqrt(cov_a @ cov_b)) computed stably via the symmetric form sqrt(A) B sqrt(A)."""
    values_a, vectors_a = np.linalg.eigh(cov_a)
    sqrt_a = (vectors_a * np.sqrt(np.clip(values_a, 0, None))) @ vectors_a.T
    middle = sqrt_a @ cov_b @ sqrt_a
    eigenvalues = np.linalg.eigvalsh((middle + middle.T) / 2)
    return float(np.sum(np.sqrt(np.clip(eigenvalues, 0, None))))


def frechet_distance(features_a, features_b) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets of shape (N, D).

    FD = |mu_a - mu_b|^2 + tr(S_a + S_b - 2 (S_a S_b)^(1/2)). Zero for identical
    distributions; lower is better. Example: ``frechet_distance(feats_fake, feats_real)``
    """
    a = _checks.as_array("features_a", features_a, ndim=2, min_len=2).astype("float64")
    b = _checks.as_array("features_b", features_b, ndim=2, min_len=2).astype("float64")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"features_a and features_b must have the same width, got {a.shape[1]} and {b.shape[1]}")
    mean_a, mean_b = a.mean(axis=0), b.mean(axis=0)
    cov_a, cov_b = np.atleast_2d(np.cov(a, rowvar=False)), np.atleast_2d(np.cov(b, rowvar=False))
    value = float(np.sum((mean_a - mean_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2 * _matrix_sqrt_product_trace(cov_a, cov_b))
    return max(value, 0.0)


def build_digit_classifier():
    """The reference classifier's architecture (weights come from ``data/``): a small CNN whose
    128-unit ``features`` layer is the embedding the Fréchet distance uses."""
    import keras
    from keras import layers

    inputs = keras.Input((28, 28, 1), name="image")
    x = layers.RandomTranslation(0.08, 0.08, fill_mode="constant", seed=CLASSIFIER_SEED)(inputs)
    for filters in (32, 64, 64):
        x = layers.Conv2D(filters, 3, activation="relu", padding="same")(x)
        x = layers.MaxPooling2D()(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(0.3, seed=CLASSIFIER_SEED)(x)
    features = layers.Dense(128, activation="relu", name=FEATURE_LAYER)(x)
    logits = layers.Dense(10, name="logits")(features)
    return keras.Model(inputs, logits, name="digit_classifier")


@functools.lru_cache(maxsize=1)
def digit_classifier():
    """Load the reference digit classifier (a small CNN trained on MNIST-5k's training split).

    Example: ``clf = utils.metrics.digit_classifier(); clf.predict(x_test[:5])``
    """
    path = _checks.existing_file(
        "digit classifier weights", DIGIT_CLASSIFIER,
        hint="Re-create them with `make classifier` (runs tools/train_digit_classifier.py).",
    )
    # Read through Python (not only HDF5's C library) so that the weights are checked against their
    # card and count as an input of every notebook that uses the classifier (see tools/nbtool.py).
    import hashlib

    from .io import read_json

    expected = read_json(DIGIT_CLASSIFIER_CARD).get("sha256")
    with open(path, "rb") as handle:
        actual = hashlib.sha256(handle.read()).hexdigest()
    if actual != expected:
        raise ValueError(f"{path} does not match the SHA-256 in {DIGIT_CLASSIFIER_CARD.name}: the file was changed or "
                         "is corrupt; re-create both with `make classifier`")
    model = build_digit_classifier()
    try:
        model.load_weights(path)
    except Exception as error:
        raise ValueError(f"{path} is corrupt or does not match the classifier's architecture ({error}); re-create it with `make classifier`") from None
    return model


@functools.lru_cache(maxsize=1)
def _feature_model():
    import keras

    classifier = digit_classifier()
    return keras.Model(classifier.input, classifier.get_layer(FEATURE_LAYER).output)


def _as_digits(name: str, images) -> np.ndarray:
    array = _checks.as_array(name, images, ndim=(3, 4), min_len=1).astype("float32")
    if array.ndim == 3:
        array = array[..., None]
    if array.shape[1:] != (28, 28, 1):
        raise ValueError(f"{name} must be 28x28 grey-scale digits of shape (N, 28, 28[, 1]), got {array.shape}")
    low, high = float(array.min()), float(array.max())
    if low < -1e-3 or high > 1 + 1e-3:
        raise ValueError(
            f"{name} must hold pixel values in [0, 1], got range [{low:.3g}, {high:.3g}]; "
            "rescale tanh outputs with (x + 1) / 2"
        )
    return array


def digit_features(images, batch_size: int = 500) -> np.ndarray:
    """Features of the reference classifier's penultimate layer for (N, 28, 28[, 1]) images in [0, 1].

    Example: ``feats = utils.metrics.digit_features(x_test)``
    """
    images = _as_digits("images", images)
    batch_size = _checks.positive_int("batch_size", batch_size)
    model = _feature_model()
    return np.concatenate([model(images[i:i + batch_size], training=False).numpy() for i in range(0, len(images), batch_size)])


def frechet_digit_distance(generated, real) -> float:
    """Fréchet distance between generated and real digits in the reference classifier's features.

    Lower is better; real-vs-real on MNIST-5k gives the floor, noise-vs-real the ceiling.
    Example: ``utils.metrics.frechet_digit_distance(samples, x_test)``
    """
    return frechet_distance(digit_features(generated), digit_features(real))


def digit_predictions(images, batch_size: int = 500) -> np.ndarray:
    """Digit (0-9) the reference classifier sees in each image. Example: ``digit_predictions(samples)``"""
    images = _as_digits("images", images)
    batch_size = _checks.positive_int("batch_size", batch_size)
    model = digit_classifier()
    logits = np.concatenate([model(images[i:i + batch_size], training=False).numpy() for i in range(0, len(images), batch_size)])
    return logits.argmax(axis=1)


def digit_accuracy(images, requested_labels) -> float:
    """Share of generated digits that the reference classifier reads as the requested label.

    Example: ``utils.metrics.digit_accuracy(decoder([z, labels]), labels)``
    """
    labels = _checks.as_array("requested_labels", requested_labels, ndim=1)
    predictions = digit_predictions(images)
    if len(labels) != len(predictions):
        raise ValueError(f"requested_labels must have one label per image ({len(predictions)}), got {len(labels)}")
    return float(np.mean(predictions == labels))


# ----------------------------------------------------------------------------- 2-D mode coverage

def mode_coverage(samples, modes, std: float, *, num_std: float = 3.0, min_samples: int = 1,
                  weights=None, min_share: float = 0.1) -> dict:
    """How many modes of a Gaussian mixture the samples reach, and how much of the data's mass they match.

    A sample is *high quality* when it lies within ``num_std`` standard deviations of its
    nearest mode; a mode is *covered* when at least ``min_samples`` high-quality samples sit
    there. That count alone flatters: uniform noise over the plane puts a few points near every
    mode and "covers" them all. Two mass-weighted measures do not:

    * ``mass_covered`` = sum over modes of min(share of samples near mode k, weight of mode k),
      the overlap between the samples' and the data's mode histograms (1.0 = every mode gets
      exactly its share, all samples high quality; 1/K for a generator collapsed onto one mode);
    * ``modes_with_share``: modes that get at least ``min_share`` of their fair share of samples.

    ``weights`` are the modes' probabilities (equal by default). Returns ``{"modes_covered",
    "modes_with_share", "mass_covered", "num_modes", "high_quality", "per_mode"}``.
    Example: ``utils.metrics.mode_coverage(fake, utils.data.toy_modes("ring"), std=0.05)["mass_covered"]``
    """
    samples = _checks.as_array("samples", samples, shape=(None, 2), min_len=1)
    modes = _checks.as_array("modes", modes, shape=(None, 2), min_len=1)
    std = _checks.number_in("std", std, 0.0, float("inf"), inclusive=False)
    num_std = _checks.number_in("num_std", num_std, 0.0, float("inf"), inclusive=False)
    min_samples = _checks.positive_int("min_samples", min_samples)
    min_share = _checks.number_in("min_share", min_share, 0.0, 1.0)
    if weights is None:
        weights = np.full(len(modes), 1.0 / len(modes))
    else:
        weights = _checks.as_array("weights", weights, shape=(len(modes),)).astype("float64")
        if np.any(weights < 0) or not np.isclose(weights.sum(), 1.0):
            raise ValueError(f"weights must be non-negative and sum to 1 (one per mode), got sum {weights.sum():.4f}")
    distances = np.linalg.norm(samples[:, None, :] - modes[None, :, :], axis=-1)
    nearest = distances.argmin(axis=1)
    good = distances[np.arange(len(samples)), nearest] <= num_std * std
    per_mode = np.bincount(nearest[good], minlength=len(modes))
    shares = per_mode / len(samples)
    return {
        "modes_covered": int(np.sum(per_mode >= min_samples)),
        "modes_with_share": int(np.sum(shares >= min_share * weights - 1e-12) if min_share > 0 else np.sum(per_mode > 0)),
        "mass_covered": float(np.minimum(shares, weights).sum()),
        "num_modes": int(len(modes)),
        "high_quality": float(np.mean(good)),
        "per_mode": per_mode.tolist(),
    }


# ----------------------------------------------------------------------------- memorisation

def nearest_neighbours(queries, references, k: int = 1):
    """Indices and Euclidean distances of the ``k`` nearest references for each query (flattened).

    Use it to check that generated samples are not copies of training examples.
    Example: ``index, dist = utils.metrics.nearest_neighbours(samples, x_train, k=3)``
    """
    q = _checks.as_array("queries", queries, min_len=1).astype("float32")
    r = _checks.as_array("references", references, min_len=1).astype("float32")
    q, r = q.reshape(len(q), -1), r.reshape(len(r), -1)
    if q.shape[1] != r.shape[1]:
        raise ValueError(f"queries and references must have the same size per item, got {q.shape[1]} and {r.shape[1]}")
    k = _checks.positive_int("k", k)
    if k > len(r):
        raise ValueError(f"k={k} is larger than the number of references ({len(r)})")
    squared = (q ** 2).sum(1)[:, None] - 2 * q @ r.T + (r ** 2).sum(1)[None, :]
    index = np.argsort(squared, axis=1)[:, :k]
    distance = np.sqrt(np.clip(np.take_along_axis(squared, index, axis=1), 0, None))
    return index, distance
