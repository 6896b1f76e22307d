import pytest

import utils
from utils import config


def test_mode_defaults_to_full(monkeypatch):
    monkeypatch.delenv("COURSE_MODE", raising=False)
    assert config.mode() == "full"
    assert config.pick(full=10, smoke=1) == 10


def test_smoke_mode_picks_smoke_values(monkeypatch):
    monkeypatch.setenv("COURSE_MODE", "smoke")
    assert utils.is_smoke()
    assert utils.pick(full=10, smoke=1) == 1


def test_unknown_mode_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("COURSE_MODE", "fast")
    with pytest.raises(ValueError, match="COURSE_MODE='fast'.*full.*smoke"):
        config.mode()


def test_pick_needs_both_values():
    with pytest.raises(TypeError):
        utils.pick(full=1)  # type: ignore[call-arg]


def test_output_dir_separates_smoke_runs(monkeypatch):
    monkeypatch.setenv("COURSE_MODE", "smoke")
    path = utils.output_dir("99_test_topic")
    assert path.is_dir() and path.parts[-2:] == ("smoke", "99_test_topic")


@pytest.mark.parametrize("bad", ["", "a/b", "..\\x", None])
def test_output_dir_rejects_bad_names(bad):
    with pytest.raises(ValueError, match="notebook must be a plain name"):
        utils.output_dir(bad)


@pytest.mark.parametrize("bad", [-1, 1.5, "3", True])
def test_seed_everything_rejects_bad_seeds(bad):
    with pytest.raises(ValueError, match="seed must be a non-negative int"):
        config.seed_everything(bad)


def test_setup_seeds_and_reports(capsys):
    import numpy as np
    import tensorflow as tf

    assert utils.setup(7) is None  # nothing echoed below the setup cell
    facts = config.describe(7)
    first = (np.random.rand(), float(tf.random.uniform(())))
    utils.setup(7, verbose=False)
    second = (np.random.rand(), float(tf.random.uniform(())))
    assert first == second
    printed = capsys.readouterr().out
    assert "TensorFlow" in printed and "Mode:" in printed and "Device:" in printed
    assert facts["seed"] == 7 and facts["mode"] in config.MODES


def test_training_is_reproducible_across_processes():
    """Two fresh processes that call utils.setup() and train the same way get identical numbers."""
    import pathlib
    import subprocess
    import sys

    script = """
import utils
utils.setup(verbose=False)
import keras, numpy as np, tensorflow as tf
x = np.random.rand(256, 8).astype("float32"); y = (x.sum(1, keepdims=True) > 4).astype("float32")
model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dropout(0.2), keras.layers.Dense(1)])
optimizer = keras.optimizers.Adam(1e-2)
for xb, yb in utils.data.to_dataset(x, y, batch_size=32, seed=1):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(keras.losses.binary_crossentropy(yb, model(xb, training=True), from_logits=True))
    optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))
print(repr(float(loss)), repr(float(tf.random.normal(()))))
"""
    root = pathlib.Path(__file__).resolve().parent.parent
    runs = [subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=120) for _ in range(2)]
    assert all(run.returncode == 0 for run in runs), runs[0].stderr[-2000:]
    assert runs[0].stdout.strip() and runs[0].stdout == runs[1].stdout
