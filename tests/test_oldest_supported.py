"""The oldest supported TensorFlow/Keras: one floor everywhere, a recorded run that passed, and the
Keras 3.3 behaviour that broke notebook 08 (NumPy ids turned into floats) emulated on today's Keras."""

import pathlib
import re
import sys

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import colab_install  # noqa: E402
import oldest_supported  # noqa: E402


def _oldest_pins():
    return dict(colab_install.runtime_requirements(ROOT / "requirements-oldest.txt"))


def test_one_floor_in_requirements_installer_and_readme():
    pins = _oldest_pins()
    tensorflow, keras = pins["tensorflow"], pins["keras"]
    assert colab_install.version_tuple(tensorflow) == colab_install.MIN_TENSORFLOW
    assert colab_install.version_tuple(keras) == colab_install.MIN_KERAS
    readme = (ROOT / "README.md").read_text()
    floor = "TensorFlow {}.{} with Keras {}.{}".format(*colab_install.MIN_TENSORFLOW, *colab_install.MIN_KERAS)
    assert f"Oldest supported versions: {floor}" in readme
    assert f"tested with TensorFlow {tensorflow}" in readme and f"Keras {keras}" in readme
    assert "tests/oldest_supported.md" in readme and "make test-oldest" in readme


def test_oldest_tooling_pins_match_requirements():
    course = {name: version for name, version in re.findall(r"^([A-Za-z0-9_.\-]+)==(\S+)", (ROOT / "requirements.txt").read_text(), re.M)}
    text = (ROOT / "requirements-oldest.txt").read_text()
    tooling = re.findall(r"^([A-Za-z0-9_.\-]+)==(\S+)", text.split(colab_install.TOOLING_MARKER, 1)[1], re.M)
    assert tooling and all(course.get(name) == version for name, version in tooling), "tooling pins differ from requirements.txt"
    assert set(_oldest_pins()) <= set(course), "requirements-oldest.txt pins a package the course does not use"


def test_recorded_run_covers_every_notebook_and_passed():
    record = (ROOT / "tests" / "oldest_supported.md").read_text()
    pins = _oldest_pins()
    for name in ("tensorflow", "keras", "numpy"):
        assert f"{name} {pins[name]}," in record, f"the recorded run did not use {name} {pins[name]}: run `make test-oldest`"
    rows = dict(re.findall(r"^\| (\S+\.ipynb) \| \d+ \| \d+ \| (\w+) \|$", record, re.M))
    notebooks = sorted(path.name for path in (ROOT / "notebooks").glob("*.ipynb"))
    assert sorted(rows) == notebooks, "tests/oldest_supported.md does not list every notebook: run `make test-oldest`"
    failing = [name for name, result in rows.items() if result != "pass"]
    assert not failing, f"notebooks failing on the oldest supported versions: {failing}"


def test_recorder_reads_nbval_junit(tmp_path):
    junit = tmp_path / "junit.xml"
    junit.write_text(
        '<testsuites><testsuite name="pytest">'
        '<testcase classname="notebooks.00_intro.ipynb" name="Cell 0"/>'
        '<testcase classname="notebooks.00_intro.ipynb" name="Cell 1"/>'
        '<testcase classname="notebooks.08_rnn.ipynb" name="Cell 0"><failure message="x"/></testcase>'
        '<testcase classname="notebooks.08_rnn.ipynb" name="Cell 1"><skipped/></testcase>'
        '</testsuite></testsuites>')
    assert oldest_supported.notebook_results(junit) == {"00_intro.ipynb": [2, 0], "08_rnn.ipynb": [1, 1]}
    report = oldest_supported.report(junit)
    assert "1 of 2 notebooks pass" in report and "| 08_rnn.ipynb | 1 | 1 | FAIL |" in report


@pytest.fixture
def keras_3_3_input_conversion(monkeypatch):
    """Keras up to 3.3 converted every NumPy argument of a layer call to the float compute dtype."""
    import keras
    from keras.src.dtype_policies.dtype_policy import DTypePolicy

    original = DTypePolicy.convert_input

    def convert_input(self, x, autocast, dtype):
        if isinstance(x, np.ndarray):
            return keras.ops.convert_to_tensor(x, dtype=dtype)
        return original(self, x, autocast, dtype)

    monkeypatch.setattr(DTypePolicy, "convert_input", convert_input)


def test_partner_rnn_takes_numpy_ids_under_keras_3_3_conversion(keras_3_3_input_conversion):
    from utils import text

    ids = np.random.default_rng(0).integers(0, 12, (2, 9)).astype("int32")
    log_probs = np.full((2, 9, 12), -np.log(12), dtype="float32")
    partner = text.build_partner_rnn(12, units=8, embedding_dim=4, seed=0)  # called on NumPy zeros while building
    logits = partner((ids, log_probs))
    assert logits.shape == (2, 9, 12)
    rnn = text.build_char_rnn(12, units=8, embedding_dim=4, seed=0)
    assert rnn(ids).shape == (2, 9, 12)
