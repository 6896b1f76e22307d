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

    facts = utils.setup(7)
    first = (np.random.rand(), float(tf.random.uniform(())))
    utils.setup(7, verbose=False)
    second = (np.random.rand(), float(tf.random.uniform(())))
    assert first == second
    printed = capsys.readouterr().out
    assert "TensorFlow" in printed and "Mode:" in printed and "Device:" in printed
    assert facts["seed"] == 7 and facts["mode"] in config.MODES
