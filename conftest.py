"""Shared pytest settings: nbval compares only cells marked ``# NBVAL_CHECK_OUTPUT`` (``--nbval-lax``),
and never their stderr (TensorFlow writes log noise there that differs between runs)."""

import os


def pytest_configure(config):
    # Notebooks always run in smoke mode under pytest, whichever way pytest was started.
    os.environ.setdefault("COURSE_MODE", "smoke")


def pytest_collection_modifyitems(session, config, items):
    for item in items:
        parent = getattr(item, "parent", None)
        if parent is not None and hasattr(parent, "skip_compare") and "stderr" not in parent.skip_compare:
            parent.skip_compare = (*parent.skip_compare, "stderr")
