"""Tests for utils/evaluation.py (notebook 18): k-NN precision/recall on point sets with known answers, the verbatim-match
measure, the detector's data split (no sample on both sides), reading recorded benchmarks, and the argument checks."""

import json

import numpy as np
import pytest

from utils import evaluation

SQUARE = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])


# ----------------------------------------------------------------------------- precision and recall


def test_radii_are_the_kth_nearest_other_point():
    line = np.array([[0.0], [1.0], [3.0], [7.0]])
    assert evaluation.knn_radii(line, k=1).tolist() == [1.0, 1.0, 2.0, 4.0]
    assert evaluation.knn_radii(line, k=2).tolist() == [3.0, 2.0, 3.0, 6.0]
    assert np.allclose(evaluation.knn_radii(SQUARE, k=1), 1.0)  # never 0: a point is not its own neighbour


def test_identical_sets_have_perfect_precision_and_recall():
    points = np.random.default_rng(0).normal(size=(200, 5))
    result = evaluation.precision_recall(points, points.copy(), k=3)
    assert result == {"precision": 1.0, "recall": 1.0, "k": 3}


def test_disjoint_sets_score_zero():
    result = evaluation.precision_recall(SQUARE, SQUARE + 100.0, k=1)
    assert result["precision"] == 0.0 and result["recall"] == 0.0


def test_collapsed_samples_keep_precision_and_lose_recall():
    """Samples piled up on one real point: all inside the real manifold, but their tiny balls reach one real point only."""
    real = np.array([[0.0], [1.0], [2.0], [3.0], [10.0]])
    collapsed = np.array([[0.0], [0.01], [0.02], [0.03]])
    result = evaluation.precision_recall(real, collapsed, k=1)
    assert result["precision"] == 1.0
    assert result["recall"] == pytest.approx(1 / 5)  # only the real point at 0 lies in a generated ball (radius 0.01)


def test_half_the_samples_off_the_manifold_halves_precision():
    real = np.array([[0.0], [1.0], [2.0], [3.0]])
    generated = np.array([[0.5], [2.5], [50.0], [60.0]])
    result = evaluation.precision_recall(real, generated, k=1)
    assert result["precision"] == 0.5


def test_precision_recall_bad_inputs():
    with pytest.raises(ValueError, match="same width"):
        evaluation.precision_recall(np.zeros((5, 2)), np.zeros((5, 3)))
    with pytest.raises(ValueError, match="k=4 needs at least"):
        evaluation.precision_recall(SQUARE, SQUARE, k=4)
    with pytest.raises(ValueError, match="2 dimensions"):
        evaluation.precision_recall(np.zeros(5), np.zeros(5))
    with pytest.raises(ValueError, match="integer >= 1"):
        evaluation.knn_radii(SQUARE, k=0)
    with pytest.raises(ValueError, match="NaN"):
        evaluation.knn_radii(np.array([[0.0], [np.nan], [1.0]]), k=1)


# ----------------------------------------------------------------------------- verbatim matches


@pytest.mark.parametrize(("generated", "corpus", "length", "found"), [
    ("xyz", "abc", 0, ""),
    ("to be", "not to be, or", 5, "to be"),
    ("qqto beqq", "to be or not", 5, "to be"),
    ("zz or not", "to be or not", 7, " or not"),
    ("abcxabcdy", "abcd and abc", 4, "abcd"),
    ("aaab", "aab aaa", 3, "aaa"),
    ("", "abc", 0, ""),
])
def test_longest_verbatim_match_on_known_cases(generated, corpus, length, found):
    assert evaluation.longest_verbatim_match(generated, corpus) == (length, found)


def test_longest_verbatim_match_agrees_with_brute_force():
    rng = np.random.default_rng(1)
    for _ in range(30):
        corpus = "".join(rng.choice(list("abc "), 60))
        generated = "".join(rng.choice(list("abcd"), 25))
        brute = max((j - i for i in range(len(generated)) for j in range(i + 1, len(generated) + 1) if generated[i:j] in corpus), default=0)
        assert evaluation.longest_verbatim_match(generated, corpus)[0] == brute


def test_longest_verbatim_match_bad_inputs():
    with pytest.raises(TypeError, match="must be str"):
        evaluation.longest_verbatim_match(["a"], "abc")
    with pytest.raises(ValueError, match="corpus is empty"):
        evaluation.longest_verbatim_match("abc", "")


# ----------------------------------------------------------------------------- the detector's split


def _keys(array):
    return {row.tobytes() for row in np.ascontiguousarray(array)}


def test_detector_split_keeps_every_sample_on_one_side_and_balances_classes():
    rng = np.random.default_rng(0)
    real = rng.random((40, 4, 4)).astype("float32")
    distinct = rng.random((10, 4, 4)).astype("float32")
    generated = distinct[rng.integers(0, 10, 60)]  # a collapsed generator: 60 samples, 10 distinct values
    split = evaluation.detector_split(real, generated, test_fraction=0.5, seed=3)
    assert not _keys(split["x_train"]) & _keys(split["x_test"])  # no sample (real or generated) in both train and test
    assert len(split["x_train"]) + len(split["x_test"]) == 100
    assert set(np.unique(split["y_train"])) == {0, 1} and set(np.unique(split["y_test"])) == {0, 1}
    assert np.sum(split["y_test"] == 0) == 20  # the real digits are distinct: exactly half of them
    for x, y in ((split["x_train"], split["y_train"]), (split["x_test"], split["y_test"])):
        real_keys = _keys(real)
        assert all((row.tobytes() in real_keys) == (label == 0) for row, label in zip(x, y))  # labels follow the samples


def test_detector_split_is_reproducible():
    rng = np.random.default_rng(0)
    real, generated = rng.random((20, 3)), rng.random((20, 3))
    first, second = (evaluation.detector_split(real, generated, seed=5) for _ in range(2))
    assert all(np.array_equal(first[key], second[key]) for key in first)


def test_detector_split_bad_inputs():
    rng = np.random.default_rng(0)
    real = rng.random((20, 3))
    with pytest.raises(ValueError, match="identical to real ones"):
        evaluation.detector_split(real, real[:10].copy())
    with pytest.raises(ValueError, match="same sample shape"):
        evaluation.detector_split(real, rng.random((20, 4)))
    with pytest.raises(ValueError, match="distinct value"):
        evaluation.detector_split(real, np.repeat(rng.random((1, 3)), 20, axis=0))
    with pytest.raises(ValueError, match=r"test_fraction must be in \(0.0, 1.0\)"):
        evaluation.detector_split(real, rng.random((20, 3)), test_fraction=1.0)


# ----------------------------------------------------------------------------- recorded benchmarks


def test_benchmark_curves_from_the_recorded_dcgan_result():
    result = evaluation.benchmark_result("dcgan_vs_tutorial")
    curves = evaluation.benchmark_curves(result, "val_fd")
    assert set(curves) == {run["side"] for run in result["runs"]}
    for side, curve in curves.items():
        runs = [run for run in result["runs"] if run["side"] == side]
        assert curve["score"].shape == curve["cpu_seconds"].shape and len(curve["score"]) == len(runs)
        assert curve["score"][0, -1] == runs[0]["curve"][-1]["val_fd"]


def test_benchmark_curves_cut_runs_to_the_shortest(tmp_path, monkeypatch):
    runs = [{"side": "a", "seed": 0, "curve": [{"cpu_seconds": 1, "val_fd": 9}, {"cpu_seconds": 2, "val_fd": 5}]},
            {"side": "a", "seed": 1, "curve": [{"cpu_seconds": 1, "val_fd": 8}]}]
    (tmp_path / "fake.json").write_text(json.dumps({"status": "running: 2 of 6 runs done", "runs": runs}))
    monkeypatch.setattr(evaluation, "BENCHMARK_RESULTS", tmp_path)
    curves = evaluation.benchmark_curves(evaluation.benchmark_result("fake"), "val_fd")
    assert curves["a"]["score"].tolist() == [[9.0], [8.0]] and curves["a"]["seeds"] == [0, 1]


def test_benchmark_bad_inputs():
    with pytest.raises(FileNotFoundError, match="Known:"):
        evaluation.benchmark_result("no_such_benchmark")
    with pytest.raises(ValueError, match="no folder, no .json"):
        evaluation.benchmark_result("dcgan_vs_tutorial.json")
    with pytest.raises(ValueError, match="not in the runs' curves"):
        evaluation.benchmark_curves(evaluation.benchmark_result("dcgan_vs_tutorial"), "bits")
    with pytest.raises(TypeError, match="benchmark result"):
        evaluation.benchmark_curves({"runs": None}, "val_fd")
