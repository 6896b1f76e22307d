"""TensorFlow's start-up noise is filtered at import; the input recorder notes what a run reads."""

import os
import pathlib
import subprocess
import sys

from utils import _runtime

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_noise_lines_are_recognised_and_others_kept():
    assert _runtime.is_startup_noise("WARNING: All log messages before absl::InitializeLog() is called are written to STDERR")
    assert _runtime.is_startup_noise("I0000 00:00:1795633043.060828    2948 cudart_stub.cc:31] Could not find cuda drivers on your machine")
    assert _runtime.is_startup_noise("E0000 00:00:1795633045.408421    2948 meta_optimizer.cc:967] remapper failed")
    assert not _runtime.is_startup_noise("ValueError: shapes (3,) and (4,) not aligned")
    assert not _runtime.is_startup_noise("E0000 00:00:1.0    1 some_kernel.cc:1] out of memory")


def test_importing_utils_prints_no_tensorflow_noise():
    env = {key: value for key, value in os.environ.items() if key != "TF_CPP_MIN_LOG_LEVEL"}
    run = subprocess.run([sys.executable, "-c", "import utils, tensorflow as tf; print(tf.constant(1.0) + 1)"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "2.0" in run.stdout
    noise = [line for line in run.stderr.splitlines() if _runtime.is_startup_noise(line)]
    assert not noise, noise


def test_a_plain_tensorflow_import_would_be_noisy():
    """The test above can fail: without utils first, this TensorFlow build prints its notices."""
    env = {key: value for key, value in os.environ.items() if key != "TF_CPP_MIN_LOG_LEVEL"}
    run = subprocess.run([sys.executable, "-c", "import tensorflow as tf; tf.config.list_physical_devices()"],
                         cwd="/", env=env, capture_output=True, text=True, timeout=300)
    assert any(_runtime.is_startup_noise(line) for line in run.stderr.splitlines()), run.stderr


def test_recorder_notes_repository_reads_but_not_writes_or_outputs(tmp_path):
    recorder = _runtime.InputRecorder(ROOT)
    recorder.audit("open", (str(ROOT / "data" / "README.md"), "r", 0))
    recorder.audit("open", (str(ROOT / "data" / "new.json"), "w", 0))
    recorder.audit("open", (str(ROOT / "outputs" / "x.png"), "rb", 0))
    recorder.audit("open", (str(tmp_path / "elsewhere.txt"), "r", 0))
    recorder.audit("open", (3, "r", 0))
    assert recorder.files == {"data/README.md"}
    assert "data/README.md" in recorder.report()["files"]
