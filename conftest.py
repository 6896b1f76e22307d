"""Shared pytest settings: nbval compares only cells marked ``# NBVAL_CHECK_OUTPUT`` (``--nbval-lax``),
and never their stderr; every Python process the tests start (notebook kernels included) refuses
connections that would leave the machine (``tools/offline/sitecustomize.py``)."""

import os
import pathlib
import re
import shutil

import pytest


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


# CI runs with ``--dist loadscope``, which keeps each test module on one worker (its module fixtures are built
# once). Two modules are long lists of independent tests: the exercise checkers (one group per notebook,
# since a notebook's checkers share cached reference runs) and the diffusion benchmark's (each test its own
# group). Splitting them lets both cores share the work instead of one worker finishing them alone.
SPLIT_SCOPES = {"tests/test_exercises_checkers.py": "notebook", "tests/test_benchmark_diffusion.py": "test"}


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class CourseScopeScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            how = SPLIT_SCOPES.get(module)
            if how == "test":
                return nodeid.split("[", 1)[0]
            if how == "notebook":
                found = re.search(r"nb\d\d", nodeid)
                return f"{module}::{found.group(0)}" if found else module
            return super()._split_scope(nodeid)

    return CourseScopeScheduling(config, log)
