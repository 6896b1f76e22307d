"""A resumed training run equals an uninterrupted one, bit for bit, in every notebook that checkpoints.

For each notebook, the notebook's own code cells up to and including its first training cell run in
smoke mode twice. First straight through two epochs (or rounds); the moment the first checkpoint is
saved, the run's output folder is copied: that copy is what a session "interrupted" right after its
first save leaves behind (the interrupted run would be this run up to that point, so running it again
would only repeat it). Then, in a new Python process (as after a Colab disconnect), the same cells
run on the copy: they must resume from that checkpoint and finish the second epoch. The two final
checkpoints must hold identical variables (weights, optimizer moments, random generator states,
epoch) and identical Python/NumPy random states.

Run by hand: ``COURSE_MODE=smoke .venv/bin/python -m pytest tests/test_resume_notebooks.py``.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import sys
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]

# notebook -> settings that make its first training cell run two epochs/rounds (smoke mode otherwise)
CASES = {
    "02_autoencoders": {"DENSE_EPOCHS": 2},
    "03_variational_autoencoders": {"NUM_EPOCHS": 2},
    "04_conditional_vae": {"NUM_EPOCHS": 2},
    "06_dcgan": {"NUM_EPOCHS": 2, "INTERRUPT_AFTER": 2},
    "07_cgan_wgan_gp": {"CGAN_EPOCHS": 2},
    "08_rnn_text_generation": {"NUM_STEPS": 4, "STEPS_PER_ROUND": 2},
    "09_transformer_from_scratch": {"NUM_STEPS": 4, "STEPS_PER_ROUND": 2},
    "10_diffusion_from_scratch": {"PIXEL_EPOCHS": 2},
    "17_game_worlds": {"COLUMN_EPOCHS": 2},
    "15_design_generation": {"LAYOUT_EPOCHS": 2},
    "16_molecule_generation": {"TRAIN_STEPS": 4, "STEPS_PER_ROUND": 2},
    "11_music_generation": {"NUM_ROUNDS": 2},
    "12_audio_generation": {"WAVENET_ROUNDS": 2},
    "13_video_generation": {"DET_EPOCHS": 2},
}


def _run_cells(notebook: pathlib.Path, out_dir: pathlib.Path, overrides: dict, snapshot: pathlib.Path | None) -> None:
    """(In the child process) exec the notebook's code cells up to its first training cell.

    With ``snapshot``, the output folder is copied there right after the first checkpoint is saved.
    """
    import nbformat

    cells = [cell.source for cell in nbformat.read(notebook, as_version=4).cells if cell.cell_type == "code"]
    # Each run starts from fresh Keras names (dense, dense_1, ...), as in a new kernel. Notebook 12's WaveNet trained
    # differently (by ~6e-8 after one round) when a second run in one process named its layers dense_27 instead of
    # dense: TensorFlow's graph optimiser (Grappler's arithmetic optimiser) orders the terms of summed gradients by op
    # name. Two fresh processes agree bit for bit.
    import keras

    keras.backend.clear_session()
    last = next(i for i, source in enumerate(cells) if "utils.training.Checkpointer(" in source)
    namespace: dict = {"__name__": "__main__"}
    os.chdir(notebook.parent)
    for index, source in enumerate(cells[: last + 1]):
        started = time.perf_counter()
        exec(compile(source, f"{notebook.name} code cell {index}", "exec"), namespace)
        print(f"code cell {index}: {time.perf_counter() - started:.1f} s", flush=True)  # shown when a case fails
        if source.startswith("# Parameters"):
            missing = sorted(set(overrides) - set(namespace))
            assert not missing, f"{notebook.name}'s Parameters cell has no {missing}"
            namespace.update(overrides)
            namespace["OUT"] = out_dir
            out_dir.mkdir(parents=True, exist_ok=True)  # what utils.output_dir does
            if snapshot is not None:
                training = namespace["utils"].training
                original_save = training.Checkpointer.save

                def save_then_snapshot(self, *args, _save=original_save, **kwargs):
                    path = _save(self, *args, **kwargs)
                    if not snapshot.exists():  # the first save of the run: what a disconnect right now leaves behind
                        shutil.copytree(out_dir, snapshot)
                        print(f"SNAPSHOT after saving {pathlib.Path(path).name}", flush=True)
                    return path

                training.Checkpointer.save = save_then_snapshot
    try:
        import matplotlib.pyplot as plt

        plt.close("all")
    except ImportError:  # pragma: no cover
        pass


def _child(notebook: str, run: str) -> None:
    """One run: [output folder, Parameters overrides, snapshot folder or None]."""
    out_dir, overrides, snapshot = json.loads(run)
    _run_cells(pathlib.Path(notebook).resolve(), pathlib.Path(out_dir).resolve(), overrides,
               pathlib.Path(snapshot).resolve() if snapshot else None)


def _session(name: str, out_dir: pathlib.Path, overrides: dict, snapshot: pathlib.Path | None = None) -> str:
    """Run the notebook's cells once, in a new Python process."""
    notebook = ROOT / "notebooks" / f"{name}.ipynb"
    env = {**os.environ, "COURSE_MODE": "smoke", "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0"}
    run_json = json.dumps([str(out_dir), overrides, str(snapshot) if snapshot else None])
    result = subprocess.run([sys.executable, __file__, str(notebook), run_json],
                            capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)
    assert result.returncode == 0, f"{name} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


def _latest_checkpoints(out_dir: pathlib.Path) -> dict[str, pathlib.Path]:
    """checkpoint directory (relative) -> prefix of its latest checkpoint."""
    import tensorflow as tf

    found = {}
    for index_file in out_dir.rglob("checkpoint"):
        latest = tf.train.latest_checkpoint(str(index_file.parent))
        if latest:
            found[str(index_file.parent.relative_to(out_dir))] = pathlib.Path(latest)
    return found


def _assert_same_checkpoint(straight: pathlib.Path, resumed: pathlib.Path) -> None:
    import tensorflow as tf

    a, b = tf.train.load_checkpoint(str(straight)), tf.train.load_checkpoint(str(resumed))
    keys = sorted(key for key in a.get_variable_to_shape_map() if key != "_CHECKPOINTABLE_OBJECT_GRAPH")
    assert keys == sorted(key for key in b.get_variable_to_shape_map() if key != "_CHECKPOINTABLE_OBJECT_GRAPH")
    differing = [key for key in keys if not np.array_equal(a.get_tensor(key), b.get_tensor(key))]
    assert not differing, f"resumed run differs from the uninterrupted one in {len(differing)} of {len(keys)} tensors: {differing[:6]}"
    state_a = json.loads(pathlib.Path(f"{straight}.state.json").read_text())
    state_b = json.loads(pathlib.Path(f"{resumed}.state.json").read_text())
    for key in ("epoch", "python_random", "numpy_random"):
        assert state_a[key] == state_b[key], f"{key} differs after the resume"


def _check_resume(name: str, tmp_path: pathlib.Path) -> None:
    overrides = CASES[name]
    fresh_start = {"FRESH_START": True} if name in ("06_dcgan", "07_cgan_wgan_gp", "10_diffusion_from_scratch") else {}
    # the uninterrupted run, copying its output folder as it stands right after the first checkpoint is saved
    first = _session(name, tmp_path / "straight", {**overrides, **fresh_start}, snapshot=tmp_path / "resumed")
    assert first.count("SNAPSHOT after saving ckpt-1") == 1, first[-2000:]
    # a new process, as after a disconnect: the same cells must resume from the copy and finish the second epoch
    resume = {"FRESH_START": False} if fresh_start else {}  # what a learner sets to resume those three notebooks
    second = _session(name, tmp_path / "resumed", {**overrides, **resume})
    assert "Resumed from ckpt-1: 1 epoch(s) already done." in second, second[-2000:]

    straight, resumed = _latest_checkpoints(tmp_path / "straight"), _latest_checkpoints(tmp_path / "resumed")
    assert straight and sorted(straight) == sorted(resumed)
    for directory in straight:
        assert straight[directory].name == resumed[directory].name == "ckpt-2", (straight, resumed)
        _assert_same_checkpoint(straight[directory], resumed[directory])


# One test class per notebook: pytest-xdist's --dist loadscope sends each class to a worker of its own
# choosing, so the cases (each a minute or two of CPU) spread over both cores instead of queueing on one.
for _name in sorted(CASES):
    _class_name = "TestResume_" + _name.split("_", 1)[0]
    globals()[_class_name] = type(_class_name, (), {
        "__doc__": f"{_name}: a resumed training run equals an uninterrupted one.",
        "test_resumed_notebook_training_equals_uninterrupted":
            lambda self, tmp_path, _name=_name: _check_resume(_name, tmp_path),
    })


if __name__ == "__main__":
    _child(*sys.argv[1:])
