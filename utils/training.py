"""Training helpers for hand-written ``tf.GradientTape`` loops.

* ``Progress``: a live bar while an epoch runs that collapses into one summary line per
  epoch, so stored notebook outputs stay short; it also keeps the history for plotting.
* ``Checkpointer``: saves models, optimizers, random generators and the epoch counter every
  epoch and resumes exactly where training stopped (e.g. after a Colab disconnect).
"""

from __future__ import annotations

import json
import os
import pathlib
import random
import sys
import time
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from . import _checks
from .io import atomic_write_json, read_json


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover
        return False
    shell = get_ipython()
    return shell is not None and shell.__class__.__name__ == "ZMQInteractiveShell"


def _format(value: Any) -> str:
    if isinstance(value, (float, np.floating)):
        return f"{value:.4g}"
    return str(value)


class Progress:
    """Per-epoch progress for custom training loops.

    Example::

        progress = utils.training.Progress(NUM_EPOCHS, steps_per_epoch=len(dataset))
        for epoch in range(start_epoch, NUM_EPOCHS):
            progress.start_epoch(epoch)
            for batch in dataset:
                loss = train_step(batch)
                progress.step(loss=loss)
            progress.end_epoch(val_loss=evaluate())

    ``step`` averages each metric over the epoch; ``end_epoch`` prints one line such as
    ``epoch  3/20 · 39 steps · 2.1s · loss 0.123 · val_loss 0.131`` and appends the epoch means
    to ``progress.history`` (a dict of lists). ``print_every`` keeps only every k-th line (and
    the last) in the stored output of long runs.
    """

    def __init__(self, num_epochs: int, steps_per_epoch: int | None = None, *, print_every: int = 1, refresh_seconds: float = 0.5):
        self.num_epochs = _checks.positive_int("num_epochs", num_epochs)
        self.steps_per_epoch = None if steps_per_epoch is None else _checks.positive_int("steps_per_epoch", steps_per_epoch)
        self.print_every = _checks.positive_int("print_every", print_every)
        self.refresh_seconds = float(refresh_seconds)
        self.history: dict[str, list] = {"epoch": []}
        self._handle = None
        self._epoch = None
        self._live = _in_notebook()

    def start_epoch(self, epoch: int) -> None:
        """Begin epoch ``epoch`` (0-based)."""
        if isinstance(epoch, bool) or not isinstance(epoch, (int, np.integer)) or epoch < 0:
            raise ValueError(f"epoch must be a non-negative int, got {epoch!r}")
        self._epoch = int(epoch)
        self._sums: dict[str, float] = {}
        self._count = 0
        self._started = time.perf_counter()
        self._last_refresh = 0.0

    def step(self, **metrics: Any) -> None:
        """Record one training step's metrics (floats or scalar tensors)."""
        if self._epoch is None:
            raise RuntimeError("call progress.start_epoch(epoch) before progress.step(...)")
        for name, value in metrics.items():
            number = float(value.numpy() if hasattr(value, "numpy") else value)
            self._sums[name] = self._sums.get(name, 0.0) + number
        self._count += 1
        now = time.perf_counter()
        if self._live and now - self._last_refresh >= self.refresh_seconds:
            self._last_refresh = now
            self._show(self._bar_line())

    def _means(self) -> dict[str, float]:
        return {name: total / max(self._count, 1) for name, total in self._sums.items()}

    def _bar_line(self) -> str:
        width = 24
        if self.steps_per_epoch:
            done = min(self._count / self.steps_per_epoch, 1.0)
            bar = "█" * int(done * width) + "·" * (width - int(done * width))
            where = f"{bar} {self._count}/{self.steps_per_epoch}"
        else:
            where = f"step {self._count}"
        metrics = " · ".join(f"{k} {_format(v)}" for k, v in self._means().items())
        return f"epoch {self._epoch + 1:>3}/{self.num_epochs} {where} · {metrics}"

    def _show(self, text: str) -> None:
        from IPython.display import display

        if self._handle is None:
            self._handle = display({"text/plain": text}, raw=True, display_id=True)
        else:
            self._handle.update({"text/plain": text}, raw=True)

    def end_epoch(self, **extra: Any) -> dict[str, float]:
        """Close the epoch with extra metrics (e.g. validation); return and record the epoch's means."""
        if self._epoch is None:
            raise RuntimeError("call progress.start_epoch(epoch) before progress.end_epoch(...)")
        seconds = time.perf_counter() - self._started
        summary = self._means()
        for name, value in extra.items():
            summary[name] = float(value.numpy() if hasattr(value, "numpy") else value)
        self.history["epoch"].append(self._epoch + 1)
        for name, value in summary.items():
            column = self.history.setdefault(name, [])
            column.extend([float("nan")] * (len(self.history["epoch"]) - 1 - len(column)))
            column.append(value)
        parts = [f"epoch {self._epoch + 1:>3}/{self.num_epochs}", f"{self._count} steps", f"{seconds:.1f}s"]
        parts += [f"{k} {_format(v)}" for k, v in summary.items()]
        line = " · ".join(parts)
        keep = (self._epoch + 1) % self.print_every == 0 or self._epoch + 1 == self.num_epochs or self._epoch == 0
        if self._live:
            self._show(line)
            if keep:
                self._handle = None  # the next epoch gets a fresh line; this one stays
        elif keep:
            print(line, file=sys.stdout, flush=True)
        self._epoch = None
        return summary

    def load_history(self, history: dict[str, list]) -> None:
        """Restore the history saved in a checkpoint (see ``Checkpointer.restore``)."""
        if not isinstance(history, dict) or "epoch" not in history:
            raise ValueError("history must be a dict with an 'epoch' list, as saved by Checkpointer.save")
        self.history = {key: list(values) for key, values in history.items()}


FINGERPRINT_FILE = "fingerprint.json"
_SETUP_CELL_NAMES = frozenset({"OUT", "REPOSITORY", "COLAB_DIR", "COURSE_ROOT"})


def _plain(value: Any) -> Any:
    """``value`` as plain JSON data (tuples become lists), or raise TypeError/ValueError when it is not."""
    return json.loads(json.dumps(value))


def parameters(namespace: Mapping[str, Any], *, exclude: Iterable[str] = ()) -> dict[str, Any]:
    """The notebook's settings for ``Checkpointer(settings=...)``: every UPPER_CASE name with a plain value.

    Conservatively this is *every* value of the Parameters cell (numbers, strings, booleans, None
    and lists/tuples/dicts of them), whether or not it changes the training the checkpoint holds,
    so changing any of them (even an epoch count) starts training afresh. Paths (``OUT``) and the
    names of the setup cell are skipped; ``exclude`` drops others, e.g. a switch such as
    ``FRESH_START`` that must not invalidate the checkpoints it controls.
    Example: ``Checkpointer(OUT / "checkpoints", settings=utils.training.parameters(globals()), model=model)``
    """
    if not isinstance(namespace, Mapping):
        raise TypeError(f"namespace must be a mapping such as globals(), got {type(namespace).__name__}")
    exclude = {exclude} if isinstance(exclude, str) else set(exclude)
    settings = {}
    for name, value in namespace.items():
        if not (isinstance(name, str) and name.isupper() and not name.startswith("_")) or name in _SETUP_CELL_NAMES:
            continue
        try:
            settings[name] = _plain(value)
        except (TypeError, ValueError):
            continue  # paths, arrays, modules: not a setting
    unknown = sorted(exclude - set(settings))
    if unknown:
        raise ValueError(f"exclude names {', '.join(unknown)}, which is not an UPPER_CASE setting of the namespace")
    return {name: value for name, value in sorted(settings.items()) if name not in exclude}


def _without_names(value: Any) -> Any:
    """A layer or optimizer config without ``name`` entries (Keras numbers them: dense_3 in one run, dense_7 in the next)."""
    if isinstance(value, dict):
        return {key: _without_names(item) for key, item in value.items() if key != "name"}
    if isinstance(value, list):
        return [_without_names(item) for item in value]
    return value


def _layer_description(layer: Any) -> list:
    import keras

    if isinstance(layer, keras.Model):  # its own layers are listed separately; a model's config names them
        return [type(layer).__name__]
    try:
        config = _without_names(json_safe(layer.get_config()))
    except Exception:  # a custom layer whose constructor arguments Keras could not record
        config = None
    return [type(layer).__name__, config]


def _describe_object(obj: Any) -> dict[str, Any]:
    """What must match for a checkpoint of ``obj`` to belong to it (variables are added when saving)."""
    import keras
    import tensorflow as tf

    if isinstance(obj, keras.optimizers.Optimizer):
        config = _without_names(json_safe(obj.get_config()))
        return {"kind": "optimizer", "class": type(obj).__name__, "config": config,
                "stepped": bool(int(obj.iterations.numpy()) > 0)}
    if isinstance(obj, keras.layers.Layer):
        inner = obj._flatten_layers(include_self=False, recursive=True) if hasattr(obj, "_flatten_layers") else []
        return {"kind": "layer", "class": type(obj).__name__, "layers": [_layer_description(layer) for layer in inner]}
    if isinstance(obj, tf.random.Generator):
        return {"kind": "generator", "class": "Generator", "algorithm": int(obj.algorithm)}
    return {"kind": "other", "class": type(obj).__name__}


def _variables(obj: Any) -> list | None:
    """[name, shape, dtype] of every variable of a Keras model or layer, or None before it is built."""
    found = list(getattr(obj, "variables", []))
    if not found:
        return None
    return [[getattr(v, "name", ""), [int(n) for n in v.shape], str(getattr(v, "dtype", ""))] for v in found]


def _short(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _differences(saved: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """Human-readable differences between two fingerprints ([] when the checkpoint belongs to ``current``)."""
    changes = []
    old, new = saved.get("settings", {}), current.get("settings", {})
    for name in sorted(set(old) | set(new)):
        if name not in new:
            changes.append(f"{name} removed")
        elif name not in old:
            changes.append(f"{name} new ({_short(new[name])})")
        elif old[name] != new[name]:
            changes.append(f"{name} {_short(old[name])} → {_short(new[name])}")
    old_objects, new_objects = saved.get("objects", {}), current.get("objects", {})
    if sorted(old_objects) != sorted(new_objects):
        changes.append(f"saved objects {', '.join(sorted(old_objects))} → {', '.join(sorted(new_objects))}")
    for name in sorted(set(old_objects) & set(new_objects)):
        before, after = old_objects[name], new_objects[name]
        if before.get("kind") != after.get("kind") or before.get("class") != after.get("class"):
            changes.append(f"{name} is a {after.get('class')}, was a {before.get('class')}")
        elif after["kind"] == "optimizer":
            keys = sorted(set(before["config"]) | set(after["config"]))
            if after.get("stepped"):  # a schedule may have moved it since: compare only the other settings
                keys = [key for key in keys if key != "learning_rate"]
            changed = [f"{key} {_short(before['config'].get(key))} → {_short(after['config'].get(key))}"
                       for key in keys if before["config"].get(key) != after["config"].get(key)]
            if changed:
                changes.append(f"{name} settings ({', '.join(changed)})")
        elif ({k: v for k, v in before.items() if k != "variables"} != {k: v for k, v in after.items() if k != "variables"}
              or None not in (before.get("variables"), after.get("variables")) and before["variables"] != after["variables"]):
            changes.append(f"{name} architecture")
    return changes


class Checkpointer:
    """Save and resume a custom training loop: models, optimizers, generators and epoch.

    Example::

        ckpt = utils.training.Checkpointer(OUT / "checkpoints", settings=utils.training.parameters(globals()),
                                           generator=generator, discriminator=discriminator,
                                           g_opt=g_opt, d_opt=d_opt, noise_rng=noise_rng)
        start_epoch = ckpt.restore(progress)   # 0 on a fresh start
        for epoch in range(start_epoch, NUM_EPOCHS):
            ...
            ckpt.save(epoch + 1, progress)

    Keyword objects may be Keras models or layers (all their variables, including dropout
    seed state, are saved), Keras optimizers (restored lazily on their first step) and
    ``tf.random.Generator`` objects. Python's and NumPy's global random states and the
    progress history go into a JSON file written atomically before TensorFlow's checkpoint
    index, which is itself replaced atomically, so an interrupted save never leaves a
    checkpoint that half-restores.

    Checkpoints belong to a configuration: ``fingerprint.json`` beside them records ``settings``
    (a dict of plain values, usually ``parameters(globals())``: every Parameters value), each
    model's architecture (class, layer configs, variable names and shapes) and each optimizer's
    config (class, learning rate, betas...). When any of these changed, ``restore`` prints which
    ones, deletes the old checkpoint files and returns 0: training starts fresh. When the files
    do not fit the objects (no fingerprint, or variables that differ), ``restore`` raises a
    ValueError that says what differs. Models should be built (called once) before ``restore``
    so that their variables can be checked; an unbuilt one is restored when it is built.
    """

    def __init__(self, directory: str | os.PathLike, *, settings: Mapping[str, Any] | None = None,
                 max_to_keep: int = 2, **objects: Any):
        if not objects:
            raise ValueError("Checkpointer needs at least one object to save, e.g. Checkpointer(path, model=model)")
        for name, obj in objects.items():
            if obj is None:
                raise ValueError(f"{name} is None; pass the model, optimizer or generator to save")
        if settings is None:
            settings = {}
        if not isinstance(settings, Mapping):
            raise TypeError(f"settings must be a dict of plain values (e.g. utils.training.parameters(globals())), "
                            f"got {type(settings).__name__}")
        self.settings = {}
        for key, value in settings.items():
            try:
                self.settings[str(key)] = _plain(value)
            except (TypeError, ValueError):
                raise ValueError(f"settings[{key!r}] is not a plain JSON value (number, string, bool, None, "
                                 f"or a list/dict of them): got {type(value).__name__}") from None
        self.max_to_keep = _checks.positive_int("max_to_keep", max_to_keep)
        self.directory = pathlib.Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._objects = dict(objects)
        # Optimizer configs are taken now: a learning-rate schedule moves them during training.
        self._descriptions = {name: _describe_object(obj) for name, obj in objects.items()}
        self._fingerprint_checked = False
        self._checkpoint_for: tuple | None = None
        self._build_checkpoint()

    def _layers(self) -> dict[str, Any]:
        return {name: obj for name, obj in self._objects.items() if self._descriptions[name]["kind"] == "layer"}

    def _build_checkpoint(self) -> None:
        """(Re)create TensorFlow's checkpoint object so that it lists every variable each model has now."""
        import tensorflow as tf

        counts = tuple(len(getattr(obj, "variables", [])) for obj in self._layers().values())
        if counts == self._checkpoint_for:
            return
        trackables: dict[str, Any] = dict(self._objects)
        for name, obj in self._layers().items():  # Keras model or layer: list its variables (seed states too)
            trackables[f"{name}__all_variables"] = [v.value if hasattr(v, "value") else v for v in obj.variables]
        if not hasattr(self, "_epoch"):
            self._epoch = tf.Variable(0, dtype=tf.int64, trainable=False)
        self._checkpoint = tf.train.Checkpoint(epoch=self._epoch, **trackables)
        self._manager = tf.train.CheckpointManager(self._checkpoint, str(self.directory), max_to_keep=self.max_to_keep)
        self._checkpoint_for = counts

    def fingerprint(self) -> dict[str, Any]:
        """The settings, architectures and optimizer configs this checkpointer's files belong to."""
        objects = {}
        for name, obj in self._objects.items():
            description = dict(self._descriptions[name])
            if description["kind"] == "layer":
                description["variables"] = _variables(obj)
            objects[name] = description
        return {"settings": self.settings, "objects": objects}

    def _state_file(self, checkpoint_path: str) -> pathlib.Path:
        return pathlib.Path(checkpoint_path + ".state.json")

    def _remove_superseded(self) -> None:
        """Delete state files whose TensorFlow checkpoint is gone (dropped by max_to_keep, or by hand)."""
        for state_file in self.directory.glob("ckpt-*.state.json"):
            prefix = str(state_file)[: -len(".state.json")]
            if not pathlib.Path(prefix + ".index").exists():
                state_file.unlink(missing_ok=True)

    def _stored_fingerprint(self) -> dict[str, Any] | None:
        path = self.directory / FINGERPRINT_FILE
        return read_json(path) if path.exists() else None

    def save(self, epoch: int, progress: Progress | None = None, **extra: Any) -> str:
        """Save everything after ``epoch`` completed epochs; returns the checkpoint path."""
        epoch = _checks.positive_int("epoch", epoch, minimum=0)
        self._build_checkpoint()
        fingerprint = self.fingerprint()
        if not self._fingerprint_checked:  # saving without restore(): never mix files of two configurations
            stored = self._stored_fingerprint()
            if self._manager.latest_checkpoint is not None and (stored is None or _differences(stored, fingerprint)):
                self.clear()
            self._fingerprint_checked = True
        if self._stored_fingerprint() != fingerprint:
            atomic_write_json(self.directory / FINGERPRINT_FILE, fingerprint)
        self._epoch.assign(epoch)
        numbers = [int(path.rsplit("-", 1)[1]) for path in self._manager.checkpoints]
        prefix = str(self.directory / f"ckpt-{max(numbers, default=0) + 1}")
        python_state = random.getstate()
        numpy_state = np.random.get_state()
        state = {
            "epoch": epoch,
            "python_random": [python_state[0], list(python_state[1]), python_state[2]],
            "numpy_random": [numpy_state[0], numpy_state[1].tolist(), *numpy_state[2:]],
            "history": progress.history if progress is not None else None,
            "extra": extra,
        }
        atomic_write_json(self._state_file(prefix), state)
        path = self._manager.save(checkpoint_number=max(numbers, default=0) + 1)
        self._remove_superseded()
        return path

    def _check_variables(self, latest: str) -> list[str]:
        """Differences between the variables stored in ``latest`` and those of the built models."""
        import tensorflow as tf

        stored: dict[str, dict[int, list[int]]] = {}
        for key, shape in tf.train.list_variables(latest):
            head, _, rest = key.partition("__all_variables/")
            if rest:
                stored.setdefault(head, {})[int(rest.split("/", 1)[0])] = list(shape)
        problems = []
        for name, obj in self._layers().items():
            variables = list(obj.variables)
            if not variables or name not in stored:
                continue  # not built yet (restored when built) or saved before it was built
            saved = [stored[name][index] for index in sorted(stored[name])]
            mine = [[int(n) for n in v.shape] for v in variables]
            if saved != mine:
                first = next((i for i, (a, b) in enumerate(zip(saved, mine)) if a != b), min(len(saved), len(mine)))
                where = variables[first].path if first < len(variables) else f"variable {first}"
                detail = (f"{tuple(saved[first]) if first < len(saved) else 'nothing'} in the checkpoint, "
                          f"{tuple(mine[first]) if first < len(mine) else 'nothing'} here")
                problems.append(f"{name}: the checkpoint holds {len(saved)} variables, the model has {len(mine)} "
                                f"(first difference at {where}: {detail})")
        return problems

    def _mismatch(self, latest: str, problems: list[str]) -> ValueError:
        return ValueError(f"cannot restore {latest} into these objects: {'; '.join(problems)}. The code that builds them "
                          f"changed since the checkpoint was saved: delete {self.directory} (or call clear()) to start fresh.")

    def restore(self, progress: Progress | None = None) -> int:
        """Restore the latest checkpoint of this configuration; return the number of completed epochs (0: fresh)."""
        self._build_checkpoint()
        self._remove_superseded()
        self._fingerprint_checked = True
        latest = self._manager.latest_checkpoint
        if latest is None:
            return 0
        stored = self._stored_fingerprint()
        if stored is not None:
            changes = _differences(stored, self.fingerprint())
            if changes:
                trained = any(d["kind"] == "optimizer" and d["stepped"] for d in self._descriptions.values())
                note = (" Note: these models were already trained in this session; re-run the cells that build them "
                        "to start from untrained ones.") if trained else ""
                print(f"Changed since the checkpoint in {self.directory.name}/: {'; '.join(changes)}. "
                      f"Training starts fresh (old checkpoint deleted).{note}")
                self.clear()
                return 0
        problems = self._check_variables(latest)
        if problems:
            raise self._mismatch(latest, problems)
        try:
            status = self._checkpoint.restore(latest)
        except Exception as error:
            raise self._mismatch(latest, [str(error).split("\n")[0]]) from None
        try:
            status.assert_existing_objects_matched()
        except AssertionError as error:
            raise self._mismatch(latest, [" ".join(str(error).split())[:500]]) from None
        status.expect_partial()  # an optimizer's moments wait for its first step; checked above where possible
        state_file = self._state_file(latest)
        if state_file.exists():
            state = read_json(state_file)
            version, internal, gauss = state["python_random"]
            random.setstate((version, tuple(internal), gauss))
            kind, keys, *rest = state["numpy_random"]
            np.random.set_state((kind, np.asarray(keys, dtype=np.uint32), *rest))
            if progress is not None and state.get("history"):
                progress.load_history(state["history"])
            self.extra = state.get("extra", {})
        epoch = int(self._epoch.numpy())
        note = "" if stored is not None else " (no fingerprint stored: saved by an older version, settings not checked)"
        print(f"Resumed from {pathlib.Path(latest).name}: {epoch} epoch(s) already done{note}.")
        return epoch

    @property
    def latest(self) -> str | None:
        """Path prefix of the newest checkpoint, or None."""
        return self._manager.latest_checkpoint

    def clear(self) -> None:
        """Delete every checkpoint in the directory (start training from scratch)."""
        for path in self.directory.glob("*"):
            if path.is_file():
                path.unlink()
        self._checkpoint_for = None
        self._build_checkpoint()


def json_safe(value: Any) -> Any:
    """Convert NumPy scalars/arrays in nested dicts and lists to plain Python for JSON."""
    return json.loads(json.dumps(value, default=lambda v: v.tolist() if hasattr(v, "tolist") else str(v)))
