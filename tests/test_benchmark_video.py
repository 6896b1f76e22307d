"""benchmarks/video_vs_keras_convlstm.py: notebook 13's Forecaster is the one benchmarked, the keras-io example's
configuration is reproduced (three ConvLSTM2D with kernels 5, 3, 1, batch norm, a Conv3D sigmoid, autoregressive
prediction), both sides train on the same clips and predict the horizon, the test clips are scored once at the end, and
the verdict needs the winner's worst run to beat the other side's best run. A few training steps at most."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks import video_vs_keras_convlstm as bench
from utils import data, video

SMALL_EXAMPLE = {**bench.KERAS_EXAMPLE, "filters": 2}


@pytest.fixture(scope="module")
def nb():
    return bench.notebook_namespace(mode="smoke")


@pytest.fixture(scope="module")
def digits():
    split = data.load_mnist5k(limit=64)
    return video.downscale_digits(split.x_train), video.downscale_digits(split.x_test)


def test_ours_is_the_notebooks_forecaster(nb):
    full = bench.notebook_namespace()
    assert full["FILTERS"] > nb["FILTERS"] and full["CONTEXT"] == nb["CONTEXT"] == 5 and full["HORIZON"] == 10
    model = full["Forecaster"](full["FILTERS"], full["HORIZON"], full["LATENT_DIM"])
    assert model(np.zeros((1, 5, 32, 32, 1), "float32")).shape == (1, 10, 32, 32, 1)
    with pytest.raises(ValueError, match="mode"):
        bench.notebook_namespace(mode="fast")


def test_notebook_without_the_forecaster_is_refused(tmp_path):
    notebook = tmp_path / "nb.ipynb"
    notebook.write_text('{"cells": [{"cell_type": "code", "source": ["# Parameters\\n", "SEED = 0\\n"]}]}')
    with pytest.raises(ValueError, match="no longer defines"):
        bench.notebook_namespace(notebook)


def test_keras_example_has_the_examples_shape():
    model = bench.build_keras_example(32)
    convlstm = [layer for layer in model.layers if layer.__class__.__name__ == "ConvLSTM2D"]
    assert [layer.kernel_size for layer in convlstm] == [(5, 5), (3, 3), (1, 1)] and {layer.filters for layer in convlstm} == {64}
    assert sum(layer.__class__.__name__ == "BatchNormalization" for layer in model.layers) == 2
    head = model.layers[-1]
    assert head.__class__.__name__ == "Conv3D" and head.kernel_size == (3, 3, 3) and model.output_shape == (None, None, 32, 32, 1)
    assert model.loss.__class__.__name__ == "BinaryCrossentropy"


@pytest.mark.parametrize("name", bench.SIDES)
def test_each_side_trains_on_the_same_clips_and_scores_the_test_clips_once(name, nb, digits, monkeypatch):
    nb = {**nb, "HORIZON": 3}  # a shorter horizon: a smaller graph to compile, the same code path
    train_digits, held_out = digits
    validation, test = bench.split_digits(held_out)
    val_clips, test_clips = bench.make_clips(nb, validation, 2, 1), bench.make_clips(nb, test, 2, 2)
    assert val_clips.shape == (2, 8, 32, 32, 1)
    monkeypatch.setattr(bench, "CURVE_POINTS", 2)
    scored, trained_on = [], []
    real_score, real_make = bench.score, bench.make_clips
    monkeypatch.setattr(bench, "score", lambda side, clips, nb_: scored.append(clips) or real_score(side, clips, nb_))
    monkeypatch.setattr(bench, "make_clips", lambda nb_, d, count, seed: trained_on.append(seed) or real_make(nb_, d, count, seed))
    record = bench.run(name, nb, train_digits, val_clips, test_clips, cpu_seconds=0.5, seed=3, clips_per_epoch=20, config=SMALL_EXAMPLE)
    assert scored[-1] is test_clips and all(clips is val_clips for clips in scored[:-1]) and len(scored) == bench.CURVE_POINTS + 1
    assert trained_on[0] == 3000  # epoch 0 of run seed 3: the same clips for both sides
    test_scores = record["test"]
    assert len(test_scores["ssim"]) == len(test_scores["f1"]) == nb["HORIZON"] and record["steps"] >= 1
    assert -1 <= record["test_mean_ssim"] <= 1 and all(0 <= f <= 1 for f in test_scores["f1"])
    with pytest.raises(ValueError, match="make no batch"):
        bench.run(name, nb, train_digits, val_clips, test_clips, cpu_seconds=0.5, seed=3, clips_per_epoch=1, config=SMALL_EXAMPLE)


def test_keras_example_predicts_autoregressively(nb):
    side = bench.make_side("keras_example", nb, 0, SMALL_EXAMPLE)
    seen = np.random.default_rng(0).uniform(size=(2, 5, 32, 32, 1)).astype("float32")
    prediction = side.predict(seen)
    assert prediction.shape == (2, 10, 32, 32, 1) and 0 <= prediction.min() and prediction.max() <= 1
    first = side.model(seen, training=False).numpy()[:, -1]
    assert np.allclose(prediction[:, 0], first, atol=1e-5)  # step 1 = the model's output after the last context frame
    assert np.allclose(prediction, side.predict_by_rerunning(seen), atol=1e-5)  # carried states = the example's re-runs
    with pytest.raises(ValueError, match="unknown side"):
        bench.make_side("gan", nb, 0)


def _complete(ours, theirs):
    runs = [{"side": side, "index": i, "seed": i, "steps": 10, "test_mean_ssim": value, "test": {"f1": [0.5] * 10},
             "curve": [{"val_mean_ssim": value}]} for side, values in (("ours", ours), ("keras_example", theirs))
            for i, value in enumerate(values)]
    return {"protocol": {"cpu_seconds": 600.0, "runs": 3}, "status": "complete", "runs": runs, "test_clips": 512,
            "anchors": {"blank_mean_ssim": 0.7, "copy_last_mean_ssim": 0.6}}


def test_verdict_needs_the_winners_worst_run_to_beat_the_other_sides_best():
    clear = bench.summarize(_complete([0.80, 0.81, 0.82], [0.70, 0.72, 0.71]))
    assert clear["verdict"] == "ours wins" and "**ours wins**" in clear["readme"]["target"]
    overlap = bench.summarize(_complete([0.80, 0.81, 0.70], [0.72, 0.73, 0.71]))
    assert overlap["verdict"].startswith("ours wins on the mean, but")
    theirs = bench.summarize(_complete([0.60, 0.61, 0.62], [0.70, 0.72, 0.71]))
    assert theirs["verdict"] == "keras_example wins"
    running = bench.summarize({**_complete([0.8], []), "status": "running: 1 of 6 runs done"})
    assert running["verdict"] is None and running["readme"] is None


def test_quick_check_cannot_overwrite_the_recorded_result():
    # refused before any data is loaded or model trained: only the full protocol writes to benchmarks/results/
    with pytest.raises(ValueError, match="only the full protocol"):
        bench.main(["--cpu-seconds", "5", "--runs", "1", "--out", str(bench.protocol.RESULTS / bench.NAME)])
