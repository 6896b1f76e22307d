"""Process-level plumbing that must run before TensorFlow is imported (used by ``utils/__init__``).

* ``quiet_tensorflow_import``: imports TensorFlow with the process's stderr (file descriptor 2)
  parked in a temporary file, then replays every line except TensorFlow's start-up log noise
  (absl's "log messages before InitializeLog", oneDNN and CUDA notices). Those lines are written
  by C++ code before any Python setting can silence them, and a learner reads them as errors.
* ``InputRecorder``: when ``tools/nbtool.py execute`` runs a notebook it sets
  ``COURSE_RECORD_INPUTS``; the recorder then notes every repository file the kernel opens for
  reading, every course module it imports and every installed package it imports, so that the
  notebook's freshness stamp covers all of them (see ``tools/nbtool.py``).
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import re
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
RECORD_VARIABLE = "COURSE_RECORD_INPUTS"

# C++ log lines look like "I0000 00:00:1795633043.060828    2948 port.cc:153] message".
_ABSL_LINE = re.compile(r"^[IWEF]\d{4} \d\d:\d\d:[\d.]+\s+\d+ \S+:\d+\] ")
_NOISE = (
    "All log messages before absl::InitializeLog() is called",
    "oneDNN custom operations are on",
    "Could not find cuda drivers",
    "failed call to cuInit",
    "Unable to register cu",  # cuDNN/cuFFT/cuBLAS factory notices on GPU builds
    "computation placer already registered",
    "TF-TRT Warning",
    "This TensorFlow binary is optimized to use available CPU instructions",
)


def is_startup_noise(line: str) -> bool:
    """True for TensorFlow's start-up log lines (absl/oneDNN/CUDA notices), False for anything else."""
    return any(marker in line for marker in _NOISE) or (_ABSL_LINE.match(line) is not None and "meta_optimizer" in line)


@contextlib.contextmanager
def _stderr_filtered():
    """Park file descriptor 2 in a temporary file; afterwards replay the lines that are not noise."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, AttributeError, ValueError):  # no real stderr (embedded interpreters)
        yield
        return
    with tempfile.TemporaryFile(mode="w+b") as parked:
        os.dup2(parked.fileno(), 2)
        try:
            yield
        finally:
            with contextlib.suppress(Exception):
                sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            parked.seek(0)
            kept = [line for line in parked.read().decode("utf-8", "replace").splitlines(keepends=True) if not is_startup_noise(line)]
            if kept:
                sys.stderr.write("".join(kept))
                sys.stderr.flush()


def quiet_tensorflow_import() -> None:
    """Import TensorFlow and initialise its devices without start-up noise (a no-op if already imported)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # errors too: grappler's "remapper failed" notices are harmless
    if "tensorflow" in sys.modules:
        return
    try:
        with _stderr_filtered():
            import tensorflow as tf

            tf.config.list_physical_devices()  # CUDA's "failed call to cuInit" comes here, on machines without a GPU
    except ImportError:  # utils still imports without TensorFlow (tools, tests of pure helpers)
        return


class InputRecorder:
    """Notes the repository files, course modules and packages a notebook kernel uses (see module docstring)."""

    def __init__(self, root: pathlib.Path = ROOT):
        self.root = pathlib.Path(root).resolve()
        self.files: set[str] = set()
        self.modules_at_start = set(sys.modules)
        self._skip = tuple(str(self.root / part) for part in ("outputs", ".venv", ".git", ".ipynb_checkpoints"))
        import sysconfig

        # Data files read from installed packages (e.g. a dataset inside a wheel) count through the package's version.
        self._site = tuple(sorted({os.path.abspath(sysconfig.get_paths()[key]) + os.sep for key in ("purelib", "platlib")}))
        self.package_tops: set[str] = set()

    def audit(self, event: str, args: tuple) -> None:
        if event != "open" or not args:
            return
        path, mode = args[0], args[1] if len(args) > 1 else "r"
        if isinstance(path, int) or path is None:
            return
        if isinstance(mode, str) and any(flag in mode for flag in "wax+"):
            return
        if isinstance(args[-1], int) and len(args) > 2 and args[-1] & (os.O_WRONLY | os.O_RDWR):
            return
        try:
            full = os.path.abspath(os.fsdecode(path))
        except (TypeError, ValueError):
            return
        if full.startswith(str(self.root) + os.sep) and not full.startswith(self._skip) and "__pycache__" not in full:
            self.files.add(os.path.relpath(full, self.root))
            return
        for site in self._site:
            if full.startswith(site):
                self.package_tops.add(full[len(site):].split(os.sep)[0].removesuffix(".py"))

    def report(self) -> dict:
        """Files read, course modules imported and packages imported (name → version), as plain JSON."""
        import importlib.metadata

        modules = {}
        for name, module in list(sys.modules.items()):
            file = getattr(module, "__file__", None)
            if file and os.path.abspath(file).startswith(str(self.root) + os.sep) and "/.venv/" not in file:
                modules[name] = os.path.relpath(os.path.abspath(file), self.root)
        files = {path for path in self.files if (self.root / path).is_file()} | set(modules.values())
        top_level = {name.split(".")[0] for name in set(sys.modules) - self.modules_at_start}
        top_level -= {name.split(".")[0] for name in modules}
        top_level |= self.package_tops
        mapping = importlib.metadata.packages_distributions()
        packages = {}
        for name in top_level:
            for distribution in mapping.get(name, []):
                with contextlib.suppress(importlib.metadata.PackageNotFoundError):
                    packages[importlib.metadata.distribution(distribution).metadata["Name"]] = importlib.metadata.version(distribution)
        return {"files": sorted(files), "packages": dict(sorted(packages.items(), key=lambda item: item[0].lower()))}


_recorder: InputRecorder | None = None


def start_recording() -> InputRecorder | None:
    """Install the recorder once per process when ``COURSE_RECORD_INPUTS`` is set (by ``nbtool execute``)."""
    global _recorder
    if _recorder is None and os.environ.get(RECORD_VARIABLE):
        _recorder = InputRecorder()
        sys.addaudithook(_recorder.audit)
    return _recorder


def write_recording() -> None:
    """Write what was recorded to the file named by ``COURSE_RECORD_INPUTS`` (called by ``nbtool execute``)."""
    import json

    target = os.environ.get(RECORD_VARIABLE)
    if not target or _recorder is None:
        raise RuntimeError(f"nothing recorded: set {RECORD_VARIABLE} before importing utils (nbtool execute does)")
    pathlib.Path(target).write_text(json.dumps(_recorder.report(), indent=1), encoding="utf-8")
