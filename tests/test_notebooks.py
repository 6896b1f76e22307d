"""Every committed notebook passes the linter: anatomy, badges, error-free outputs in order,
outputs from a full-mode run of the current code (fresh), size under the limit."""

import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import nbtool  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_the_course_has_its_first_notebooks():
    names = [path.name for path in NOTEBOOKS]
    assert any(name.startswith("00_") for name in names) and any(name.startswith("01_") for name in names)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.name for path in NOTEBOOKS])
def test_notebook_lint(path):
    problems = nbtool.lint_notebook(path)
    assert not problems, "\n".join(problems)
