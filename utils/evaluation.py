"""Judging generative models beyond one number (notebook 18).

* Fidelity and coverage: ``knn_radii`` and ``precision_recall``, the k-nearest-neighbour manifold
  estimate of Kynkäänniemi et al. (2019, "Improved precision and recall metric for assessing
  generative models").
* Memorisation of text: ``longest_verbatim_match``, the longest piece of a generated text that
  occurs verbatim in the training corpus.
* Detecting generated samples: ``detector_split``, a train/test split for a real-vs-generated
  classifier in which identical samples never sit on both sides.
* Recorded benchmarks: ``benchmark_result`` reads ``benchmarks/results/<name>.json`` and
  ``benchmark_curves`` turns its runs into score-against-CPU-seconds curves per side.
"""

from __future__ import annotations

import hashlib
import pathlib

import numpy as np

from . import _checks

ROOT = pathlib.Path(__file__).resolve().parent.parent
BENCHMARK_RESULTS = ROOT / "benchmarks" / "results"


# ----------------------------------------------------------------------------- precision and recall

def _features(name: str, value) -> np.ndarray:
    array = _checks.as_array(name, value, ndim=2, min_len=2).astype("float64")
    if array.shape[1] < 1:
        raise ValueError(f"{name} must have at least one feature per row, got shape {array.shape}")
    return array


def _squared_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    squared = (a ** 2).sum(1)[:, None] - 2 * a @ b.T + (b ** 2).sum(1)[None, :]
    return np.clip(squared, 0.0, None)


def knn_radii(features, k: int = 3) -> np.ndarray:
    """Distance from each row of ``features`` (N, D) to its k-th nearest OTHER row: the radius of its ball.

    The union of these balls is the k-NN estimate of the set's manifold (the point itself is not
    its own neighbour). Example: ``utils.evaluation.knn_radii(real_features, k=3)``
    """
    points = _features("features", features)
    k = _checks.positive_int("k", k)
    if k >= len(points):
        raise ValueError(f"k={k} needs at least k + 1 = {k + 1} points, got {len(points)}; use a smaller k or more samples")
    squared = _squared_distances(points, points)
    np.fill_diagonal(squared, np.inf)  # a point is not its own neighbour
    return np.sqrt(np.partition(squared, k - 1, axis=1)[:, k - 1])


def _inside(queries: np.ndarray, centres: np.ndarray, radii: np.ndarray) -> np.ndarray:
    """For each query: is it within the ball of at least one centre (distance <= that centre's radius)?"""
    return np.any(_squared_distances(queries, centres) <= radii[None, :] ** 2 * (1 + 1e-9) + 1e-12, axis=1)


def precision_recall(real_features, generated_features, k: int = 3) -> dict:
    """k-NN precision (fidelity) and recall (coverage) of generated samples against real ones.

    * precision: share of generated points inside the real manifold (some real point's ball);
    * recall: share of real points inside the generated manifold (balls around generated points).
    Both in [0, 1], higher is better; use the same number of real and generated points, as the
    radii shrink with more points. Returns ``{"precision", "recall", "k"}``.
    Example: ``utils.evaluation.precision_recall(digit_features(x_test), digit_features(samples), k=3)``
    """
    real = _features("real_features", real_features)
    generated = _features("generated_features", generated_features)
    if real.shape[1] != generated.shape[1]:
        raise ValueError(f"real_features and generated_features must have the same width, got {real.shape[1]} and {generated.shape[1]}")
    k = _checks.positive_int("k", k)
    precision = float(np.mean(_inside(generated, real, knn_radii(real, k))))
    recall = float(np.mean(_inside(real, generated, knn_radii(generated, k))))
    return {"precision": precision, "recall": recall, "k": k}


# ----------------------------------------------------------------------------- memorisation of text

def longest_verbatim_match(generated: str, corpus: str) -> tuple[int, str]:
    """The longest substring of ``generated`` that occurs verbatim in ``corpus``: ``(length, substring)``.

    Matching statistics in O(len(generated)) substring searches: if the match starting at i has
    length L, the one starting at i + 1 has length at least L - 1, so each start resumes there.
    Example: ``utils.evaluation.longest_verbatim_match("to be or not", training_text)``
    """
    if not isinstance(generated, str) or not isinstance(corpus, str):
        raise TypeError(f"generated and corpus must be str, got {type(generated).__name__} and {type(corpus).__name__}")
    if not corpus:
        raise ValueError("corpus is empty: pass the training text the model learned from")
    best, best_start, length = 0, 0, 0
    for start in range(len(generated)):
        length = max(length - 1, 0)
        while start + length < len(generated) and generated[start:start + length + 1] in corpus:
            length += 1
        if length > best:
            best, best_start = length, start
    return best, generated[best_start:best_start + best]


# ----------------------------------------------------------------------------- real-vs-generated detector

def _sample_keys(array: np.ndarray) -> list[bytes]:
    return [hashlib.sha1(np.ascontiguousarray(row).tobytes()).digest() for row in array]


def detector_split(real, generated, *, test_fraction: float = 0.5, seed: int = 0) -> dict:
    """A train/test split for a real (label 0) vs generated (label 1) classifier.

    Identical samples (byte for byte, e.g. the repeats of a collapsed generator, or a copied
    training image) are grouped and the group goes wholly to train or to test, so the test
    accuracy never rewards remembering a sample seen in training. Each class is split on its
    own, so both sides keep the class balance. Returns ``{"x_train", "y_train", "x_test", "y_test"}``.
    Example: ``split = utils.evaluation.detector_split(x_test, samples, seed=0)``
    """
    real = _checks.as_array("real", real, min_len=2)
    generated = _checks.as_array("generated", generated, min_len=2)
    if real.shape[1:] != generated.shape[1:]:
        raise ValueError(f"real and generated must have the same sample shape, got {real.shape[1:]} and {generated.shape[1:]}")
    test_fraction = _checks.number_in("test_fraction", test_fraction, 0.0, 1.0, inclusive=False)
    rng = np.random.default_rng(seed)
    real_keys = set(_sample_keys(real))
    train_parts, test_parts = [], []
    for label, samples in ((0, real), (1, generated)):
        keys = _sample_keys(samples)
        if label == 1 and real_keys.intersection(keys):
            raise ValueError("some generated samples are identical to real ones: a detector cannot tell them apart. Use real "
                             "samples the generator never saw (e.g. held-out images) or drop the copies first")
        groups: dict[bytes, list[int]] = {}
        for index, key in enumerate(keys):
            groups.setdefault(key, []).append(index)
        order = rng.permutation(len(groups))
        members = list(groups.values())
        target = test_fraction * len(samples)
        test_index, train_index = [], []
        for group in order:
            (test_index if len(test_index) < target else train_index).extend(members[group])
        if not train_index or not test_index:
            raise ValueError(f"the {'real' if label == 0 else 'generated'} samples are {len(groups)} distinct value(s): too few to "
                             "put some in train and some in test; generate more (or more varied) samples")
        train_parts.append((samples[np.sort(train_index)], label))
        test_parts.append((samples[np.sort(test_index)], label))

    def stack(parts):
        x = np.concatenate([part for part, _ in parts])
        y = np.concatenate([np.full(len(part), label, dtype="int32") for part, label in parts])
        order = rng.permutation(len(x))
        return x[order], y[order]

    x_train, y_train = stack(train_parts)
    x_test, y_test = stack(test_parts)
    return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}


# ----------------------------------------------------------------------------- recorded benchmarks

def benchmark_result(name: str) -> dict:
    """A recorded benchmark, ``benchmarks/results/<name>.json``, as a dict (its status may still be "running").

    Example: ``utils.evaluation.benchmark_result("dcgan_vs_tutorial")["status"]``
    """
    from .io import read_json

    if not isinstance(name, str) or not name or "/" in name or name.endswith(".json"):
        raise ValueError(f"name must be a benchmark's name such as 'dcgan_vs_tutorial' (no folder, no .json), got {name!r}")
    path = _checks.existing_file(f"benchmark result {name!r}", BENCHMARK_RESULTS / f"{name}.json",
                                 hint=f"Known: {sorted(p.stem for p in BENCHMARK_RESULTS.glob('*.json'))}")
    result = read_json(path)
    if not isinstance(result, dict) or not isinstance(result.get("runs"), list):
        raise ValueError(f"{path} is not a benchmark result (no list of runs); re-create it with benchmarks/{name}.py")
    return result


def benchmark_curves(result: dict, score: str) -> dict:
    """Per side of a benchmark result: the curve points of every run, as arrays of shape (runs, points).

    ``score`` is the curve's quality key (``"val_fd"`` or ``"val_bits_per_char"``). Returns
    ``{side: {"cpu_seconds", "score", "seeds"}}``; runs with fewer points than the side's first are
    cut to the shortest. Example: ``benchmark_curves(benchmark_result("dcgan_vs_tutorial"), "val_fd")``
    """
    if not isinstance(result, dict) or not isinstance(result.get("runs"), list):
        raise TypeError("result must be a benchmark result from benchmark_result(name)")
    curves: dict[str, dict] = {}
    for run in result["runs"]:
        points = run.get("curve", [])
        if not points or score not in points[0]:
            keys = sorted(points[0]) if points else []
            raise ValueError(f"score {score!r} is not in the runs' curves (keys: {keys})")
        side = curves.setdefault(run["side"], {"cpu_seconds": [], "score": [], "seeds": []})
        side["cpu_seconds"].append([p["cpu_seconds"] for p in points])
        side["score"].append([p[score] for p in points])
        side["seeds"].append(run.get("seed"))
    for side in curves.values():
        shortest = min(len(row) for row in side["score"])
        side["cpu_seconds"] = np.array([row[:shortest] for row in side["cpu_seconds"]], dtype="float64")
        side["score"] = np.array([row[:shortest] for row in side["score"]], dtype="float64")
    return curves
