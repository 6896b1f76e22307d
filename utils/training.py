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


class Checkpointer:
    """Save and resume a custom training loop: models, optimizers, generators and epoch.

    Example::

        ckpt = utils.training.Checkpointer(OUT / "checkpoints", generator=generator,
                                           discriminator=discriminator, g_opt=g_opt, d_opt=d_opt,
                                           noise_rng=noise_rng)
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
    """

    def __init__(self, directory: str | os.PathLike, *, max_to_keep: int = 2, **objects: Any):
        import tensorflow as tf

        if not objects:
            raise ValueError("Checkpointer needs at least one object to save, e.g. Checkpointer(path, model=model)")
        self.directory = pathlib.Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        trackables: dict[str, Any] = {}
        for name, obj in objects.items():
            if obj is None:
                raise ValueError(f"{name} is None; pass the model, optimizer or generator to save")
            trackables[name] = obj
            if hasattr(obj, "variables") and hasattr(obj, "weights"):  # Keras model or layer
                trackables[f"{name}__all_variables"] = [v.value if hasattr(v, "value") else v for v in obj.variables]
        self._epoch = tf.Variable(0, dtype=tf.int64, trainable=False)
        self._checkpoint = tf.train.Checkpoint(epoch=self._epoch, **trackables)
        self._manager = tf.train.CheckpointManager(self._checkpoint, str(self.directory), max_to_keep=_checks.positive_int("max_to_keep", max_to_keep))

    def _state_file(self, checkpoint_path: str) -> pathlib.Path:
        return pathlib.Path(checkpoint_path + ".state.json")

    def save(self, epoch: int, progress: Progress | None = None, **extra: Any) -> str:
        """Save everything after ``epoch`` completed epochs; returns the checkpoint path."""
        epoch = _checks.positive_int("epoch", epoch, minimum=0)
        self._epoch.assign(epoch)
        number = (self._manager.checkpoint.save_counter.numpy() + 1)
        prefix = str(self.directory / f"ckpt-{int(number)}")
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
        path = self._manager.save(checkpoint_number=int(number))
        return path

    def restore(self, progress: Progress | None = None) -> int:
        """Restore the latest checkpoint if there is one; return the number of completed epochs."""
        latest = self._manager.latest_checkpoint
        if latest is None:
            return 0
        try:
            self._checkpoint.restore(latest)
        except Exception as error:
            raise ValueError(
                f"could not restore {latest} ({error}). The model may have changed since it was "
                f"saved: delete {self.directory} to start afresh."
            ) from None
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
        print(f"Resumed from {pathlib.Path(latest).name}: {epoch} epoch(s) already done.")
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
        import tensorflow as tf

        self._manager = tf.train.CheckpointManager(self._checkpoint, str(self.directory), max_to_keep=self._manager._max_to_keep)


def json_safe(value: Any) -> Any:
    """Convert NumPy scalars/arrays in nested dicts and lists to plain Python for JSON."""
    return json.loads(json.dumps(value, default=lambda v: v.tolist() if hasattr(v, "tolist") else str(v)))
