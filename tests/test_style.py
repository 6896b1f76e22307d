"""Notebook code and the Python files pass the same linter (ruff; nbqa runs it on notebooks)."""

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _run(*args):
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True)


def test_python_files_pass_ruff():
    result = _run("ruff", "check", "utils", "tools", "tests", "benchmarks", "conftest.py")
    assert result.returncode == 0, result.stdout + result.stderr


def test_notebooks_pass_ruff():
    result = _run("nbqa", "ruff", "notebooks")
    assert result.returncode == 0, result.stdout + result.stderr
