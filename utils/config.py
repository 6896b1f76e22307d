"""Run modes, seeding and the one place where notebooks pick per-mode values.

The course has two modes, chosen by the ``COURSE_MODE`` environment variable:

* ``full`` (default): real results, each notebook within ~8 minutes on a 2-core CPU.
* ``smoke``: tiny data, models and epoch counts, so that CI runs every notebook in seconds.
"""

from __future__ import annotations

import os
import pathlib
import platform
import random
import sys
from typing import TypeVar

MODE_VARIABLE = "COURSE_MODE"
MODES = ("full", "smoke")
ROOT = pathlib.Path(__file__).resolve().parent.parent
OUTPUTS = ROOT / "outputs"
DEFAULT_SEED = 42

T = TypeVar("T")


def mode() -> str:
    """Return the current run mode, ``"full"`` or ``"smoke"``.

    Example: ``utils.config.mode()  # 'full' unless COURSE_MODE=smoke``
    """
    value = os.environ.get(MODE_VARIABLE, "full").strip().lower() or "full"
    if value not in MODES:
        raise ValueError(
            f"{MODE_VARIABLE}={value!r} is not a known mode; expected one of {MODES}. "
            f"Unset it for full runs or set {MODE_VARIABLE}=smoke for quick checks."
        )
    return value


def is_smoke() -> bool:
    """True when running in smoke mode (CI). Example: ``if utils.config.is_smoke(): ...``"""
    return mode() == "smoke"


def pick(*, full: T, smoke: T) -> T:
    """Return ``full`` or ``smoke`` depending on the mode: the only per-mode switch notebooks use.

    Example: ``NUM_EPOCHS = utils.pick(full=30, smoke=1)``
    """
    return smoke if is_smoke() else full


def output_dir(notebook: str) -> pathlib.Path:
    """Create and return ``outputs/<notebook>/`` (git-ignored) for figures, samples and checkpoints.

    In smoke mode the folder is ``outputs/smoke/<notebook>/`` so that CI never resumes
    from (or overwrites) a learner's full-mode checkpoints.

    Example: ``OUT = utils.output_dir("02_autoencoders")``
    """
    if not isinstance(notebook, str) or not notebook.strip() or "/" in notebook or "\\" in notebook:
        raise ValueError(
            f"notebook must be a plain name such as '02_autoencoders', got {notebook!r}"
        )
    base = OUTPUTS / "smoke" if is_smoke() else OUTPUTS
    path = base / notebook
    path.mkdir(parents=True, exist_ok=True)
    return path


def seed_everything(seed: int = DEFAULT_SEED) -> None:
    """Seed Python, NumPy, TensorFlow and Keras, and make TensorFlow ops deterministic.

    Example: ``utils.config.seed_everything(0)``
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    import keras
    import numpy as np
    import tensorflow as tf

    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    np.random.seed(seed)
    keras.utils.set_random_seed(seed)  # seeds python, numpy, TF and Keras' own generators
    try:
        tf.config.experimental.enable_op_determinism()
    except Exception as error:  # pragma: no cover - depends on TF build
        print(f"note: deterministic ops unavailable ({error}); results may vary slightly")


def _configure_matplotlib() -> None:
    import matplotlib as mpl

    mpl.rcParams.update(
        {
            "figure.dpi": 80,  # small PNGs keep notebooks well under 3 MB
            "savefig.dpi": 100,
            "figure.figsize": (6.0, 4.0),
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "font.size": 10,
            "image.cmap": "gray",
            "animation.embed_limit": 8.0,
        }
    )


def device_summary() -> str:
    """Describe the accelerator TensorFlow will use. Example: ``print(utils.config.device_summary())``"""
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        return f"GPU x{len(gpus)} ({', '.join(g.name for g in gpus)})"
    return f"CPU only ({os.cpu_count()} cores)"


def describe(seed: int = DEFAULT_SEED) -> dict:
    """Versions, device, mode and seed as a dict. Example: ``utils.config.describe()["device"]``"""
    import keras
    import numpy as np
    import tensorflow as tf

    return {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
        "device": device_summary(),
        "mode": mode(),
        "seed": seed,
    }


def setup(seed: int = DEFAULT_SEED, *, verbose: bool = True) -> None:
    """Seed everything, switch on deterministic ops, style matplotlib and print versions, device, mode.

    Called once by the setup cell of every notebook (``describe()`` returns what it prints).
    Example: ``utils.setup()``
    """
    current_mode = mode()
    seed_everything(seed)
    _configure_matplotlib()
    facts = describe(seed)
    if verbose:
        print(
            f"Python {facts['python']} · TensorFlow {facts['tensorflow']} · "
            f"Keras {facts['keras']} · NumPy {facts['numpy']}"
        )
        print(f"Device: {facts['device']}")
        hint = (
            f"tiny data and models to check that the code runs; unset {MODE_VARIABLE} for real results"
            if current_mode == "smoke"
            else f"real results; {MODE_VARIABLE}=smoke gives a seconds-long check run"
        )
        print(f"Mode: {current_mode} ({hint}) · seed {seed}")
        if "google.colab" in sys.modules and "GPU" not in facts["device"]:
            print("Tip: Runtime > Change runtime type > GPU makes training several times faster.")
