"""Shared pytest settings: nbval compares only cells marked ``# NBVAL_CHECK_OUTPUT`` (``--nbval-lax``),
and never their stderr; every Python process the tests start (notebook kernels included) refuses
connections that would leave the machine (``tools/offline/sitecustomize.py``)."""

import os
import pathlib
import shutil


def pytest_configure(config):
    # Notebooks always run in smoke mode under pytest, whichever way pytest was started.
    os.environ.setdefault("COURSE_MODE", "smoke")
    # pytest-socket guards this process only; kernels and other subprocesses get the same rule at start-up.
    offline = str(pathlib.Path(__file__).parent / "tools" / "offline")
    if offline not in os.environ.get("PYTHONPATH", "").split(os.pathsep):
        os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [offline, os.environ.get("PYTHONPATH", "")]))
    os.environ["COURSE_OFFLINE"] = "1"
    # Notebooks under test start without smoke checkpoints, so they train instead of resuming.
    if not hasattr(config, "workerinput"):  # once, in the controlling process
        root = pathlib.Path(__file__).parent
        for argument in config.args or config.getini("testpaths"):
            target = (root / argument.split("::")[0]).resolve()
            notebooks = [target] if target.suffix == ".ipynb" else target.glob("**/*.ipynb") if target.is_dir() else []
            for notebook in notebooks:
                shutil.rmtree(root / "outputs" / "smoke" / notebook.stem, ignore_errors=True)


def pytest_collection_modifyitems(session, config, items):
    for item in items:
        parent = getattr(item, "parent", None)
        if parent is not None and hasattr(parent, "skip_compare") and "stderr" not in parent.skip_compare:
            parent.skip_compare = (*parent.skip_compare, "stderr")
