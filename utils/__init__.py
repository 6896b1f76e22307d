"""Shared helpers for the Generative AI from Scratch course.

One module per concern: ``config`` (modes, seeding), ``data`` (offline datasets),
``plotting``, ``training`` (progress, checkpoints), ``metrics`` and ``exercises``.
Notebooks call them as ``utils.data.load_mnist5k()`` so a reader always sees where
a helper lives.
"""

from . import _runtime

_runtime.start_recording()  # only under `tools/nbtool.py execute`: notes the files the notebook reads
_runtime.quiet_tensorflow_import()  # TensorFlow's C++ start-up notices would read as errors to a learner

from . import config  # noqa: E402
from .config import is_smoke, mode, output_dir, pick, setup  # noqa: E402,F401

__all__ = ["config", "data", "exercises", "io", "metrics", "plotting", "training",
           "is_smoke", "mode", "output_dir", "pick", "setup"]


def __getattr__(name):
    """Import helper modules on first use (``utils.data``, ``utils.plotting``...), keeping ``import utils`` light."""
    import importlib
    import pathlib

    here = pathlib.Path(__file__).parent
    if not name.startswith("_") and ((here / f"{name}.py").is_file() or (here / name / "__init__.py").is_file()):
        module = importlib.import_module(f".{name}", __name__)
        globals()[name] = module
        return module
    raise AttributeError(f"module 'utils' has no attribute {name!r}")
