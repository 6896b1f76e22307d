"""benchmarks/diffusion_vs_keras_ddim.py: notebook 10's builders are the ones benchmarked, the keras-io configuration is
reproduced where it matters (schedule, embedding, network shape), each side trains and samples digits, the test digits
are scored once at the end, and the verdict needs a winner that beats every other side in the worst case.

A few training steps at most: sides are built small (smoke-mode Parameters, narrow widths).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from benchmarks import diffusion_vs_keras_ddim as bench
from utils import data


@pytest.fixture(scope="module")
def nb():
    return bench.notebook_namespace(mode="smoke")


@pytest.fixture(scope="module")
def digits():
    split = data.load_mnist5k(limit=128)
    return split.x_train[:64], split.y_train[:64]


SMALL_DDIM = {**bench.KERAS_DDIM, "widths": (4, 8, 12, 16), "block_depth": 1}


def test_course_sides_use_notebook_10s_own_definitions(nb):
    full = bench.notebook_namespace()
    assert full["UNET_WIDTH"] > nb["UNET_WIDTH"] and full["AE_EPOCHS"] > nb["AE_EPOCHS"]  # each mode's Parameters
    unet = full["build_unet"](full["UNET_WIDTH"])
    assert unet.name == "unet" and unet.output_shape == (None, 28, 28, 1)
    denoiser = full["build_latent_denoiser"](full["LATENT_DIM"], full["LATENT_HIDDEN"], full["LATENT_BLOCKS"])
    assert denoiser.output_shape == (None, full["LATENT_DIM"])
    with pytest.raises(ValueError, match="mode"):
        bench.notebook_namespace(mode="fast")


def test_notebook_without_the_builders_is_refused(tmp_path):
    notebook = tmp_path / "nb.ipynb"
    notebook.write_text('{"cells": [{"cell_type": "code", "source": ["# Parameters\\n", "SEED = 0\\n"]}]}')
    with pytest.raises(ValueError, match="no longer defines"):
        bench.notebook_namespace(notebook)


def test_keras_ddim_schedule_and_embedding_follow_the_example():
    noise_rates, signal_rates = (np.asarray(v) for v in bench.diffusion_rates(np.array([0.0, 0.5, 1.0])))
    assert math.isclose(signal_rates[0], 0.95, rel_tol=1e-5) and math.isclose(signal_rates[-1], 0.02, rel_tol=1e-4)
    assert np.allclose(noise_rates ** 2 + signal_rates ** 2, 1.0, atol=1e-6) and np.all(np.diff(signal_rates) < 0)
    embedding = np.asarray(bench.sinusoidal_embedding(np.zeros((2, 1, 1, 1), "float32"), 32, 1000.0))
    assert embedding.shape == (2, 1, 1, 32) and np.allclose(embedding[..., :16], 0) and np.allclose(embedding[..., 16:], 1)


def test_keras_ddim_network_has_the_examples_shape():
    network = bench.build_keras_ddim_network()
    assert network.input_shape == [(None, 32, 32, 1), (None, 1, 1, 1)] and network.output_shape == (None, 32, 32, 1)
    convs = [layer for layer in network.layers if layer.__class__.__name__ == "Conv2D"]
    assert max(layer.filters for layer in convs) == 128 and not np.any(convs[-1].get_weights()[0])  # zero-initialised head
    pools = [layer for layer in network.layers if layer.__class__.__name__ == "AveragePooling2D"]
    assert len(pools) == 3  # 32 -> 16 -> 8 -> 4: why the 28x28 digits are padded to 32x32


@pytest.mark.parametrize("name", ["keras_ddim", "course_pixel", "course_latent", "dcgan"])
def test_every_side_trains_and_samples_digit_shaped_images(name, nb, digits, monkeypatch):
    x_train, y_train = digits
    if name == "keras_ddim":
        side = bench.KerasDDIM(x_train, y_train, 0, config=SMALL_DDIM)
    else:
        side = bench.make_side(name, x_train, y_train, 0, nb)
    for _ in range(3 if name != "course_latent" else 6):  # the latent side finishes its autoencoder epoch first
        side.step()
    for raw in (False, True):  # the averaged weights (the claim) and the raw network (what the average changes)
        images = side.sample(side.noise(4, 1), raw=raw)
        assert images.shape == (4, 28, 28, 1) and images.min() >= 0.0 and images.max() <= 1.0 and np.all(np.isfinite(images))
    if name in ("keras_ddim", "dcgan"):  # three steps of a 0.999 average: the two samplers differ
        assert not np.allclose(side.sample(side.noise(4, 1)), side.sample(side.noise(4, 1), raw=True))


def test_latent_side_has_nothing_to_sample_until_its_autoencoder_is_trained(nb, digits):
    x_train, y_train = digits
    side = bench.make_side("course_latent", x_train, y_train, 0, nb)
    side.step()
    assert side.latents is None and side.sample(side.noise(2, 0)) is None
    while side.latents is None:
        side.step()
    assert side.ae_epochs == nb["AE_EPOCHS"] and side.latents.shape == (len(x_train), nb["LATENT_DIM"])
    assert np.allclose(side.latents.mean(0), 0, atol=1e-4)  # standardised codes, as in the notebook
    with pytest.raises(ValueError, match="unknown side"):
        bench.make_side("vae", x_train, y_train, 0, nb)


@pytest.mark.parametrize("name", ["course_pixel", "dcgan"])  # without and with a weight average (scored raw on validation too)
def test_test_digits_are_scored_once_at_the_end(name, nb, digits, monkeypatch):
    x_train, y_train = digits
    split = data.load_mnist5k(limit=128)
    validation, test = split.x_test[:8], split.x_test[8:16]
    references = []
    monkeypatch.setattr(bench, "fd_of", lambda images, reference: references.append(reference) or 1.0)
    record = bench.run(name, x_train, y_train, validation, test, cpu_seconds=0.5, seed=0, nb=nb, num_samples=4, curve_samples=4)
    assert len(record["curve"]) == bench.CURVE_POINTS and record["test_fd"] == 1.0
    assert references[-1] is test and all(reference is not test for reference in references[:-1])
    assert all(np.shares_memory(reference, validation) for reference in references[:-1])
    assert (record["val_fd_raw_weights"] is None) == (name == "course_pixel")


def _complete(scores: dict) -> dict:
    runs = [{"side": side, "index": i, "seed": i, "test_fd": fd, "steps": 10, "classes_present": 10,
             "curve": [{"val_fd": fd}] * bench.CURVE_POINTS} for side, fds in scores.items() for i, fd in enumerate(fds)]
    return {"protocol": {"cpu_seconds": 600.0, "runs": 3}, "status": "complete", "runs": runs, "test_images": 500, "num_samples": 1000}


def test_verdict_needs_the_winners_worst_run_to_beat_every_other_best_run():
    clear = bench.summarize(_complete({"keras_ddim": [40, 42, 41], "course_pixel": [90, 95, 99], "course_latent": [18, 20, 19],
                                       "dcgan": [30, 35, 33]}))
    assert clear["verdict"] == "course_latent wins" and clear["ranking"][0] == "course_latent"
    assert "**course_latent wins**" in clear["readme"]["target"] and "18.0-20.0" in clear["readme"]["ours"]
    overlap = bench.summarize(_complete({"keras_ddim": [40, 42, 41], "course_pixel": [90, 95, 99], "course_latent": [18, 20, 31],
                                         "dcgan": [30, 35, 33]}))
    assert overlap["verdict"].startswith("course_latent wins on the mean, but") and "dcgan" in overlap["verdict"]
    running = bench.summarize({**_complete({"dcgan": [30]}), "status": "running: 1 of 12 runs done"})
    assert running["verdict"] is None and running["readme"] is None
