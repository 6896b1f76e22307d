"""The notebook linter catches what it promises to: stale outputs, errors, out-of-order runs,
missing anatomy, wrong badges, downloads and legacy Keras."""

import copy
import json
import sys

import pytest

sys.path.insert(0, "tools")
import nbtool  # noqa: E402


def _notebook(number="42", name="42_demo.ipynb"):
    config = nbtool.settings()
    sections = "".join(f"## {section}\n\ntext\n\n" for section in config["sections"])
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": f"# {number} · Demo\n\n{nbtool.badge_line(name)}\n\n**Learning objectives**\n- a\n\n**Prerequisites**: none\n\n**Time**: 1 min"},
        {"cell_type": "code", "metadata": {"tags": ["setup"]}, "source": nbtool.setup_source(), "outputs": [], "execution_count": 1},
        {"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": "# Parameters\nN = utils.pick(full=2, smoke=1)", "outputs": [], "execution_count": 2},
        {"cell_type": "markdown", "metadata": {}, "source": sections},
    ]
    count = 3
    for index in range(1, 4):
        cells.append({"cell_type": "markdown", "metadata": {}, "source": f"### Exercise {index} · task"})
        cells.append({"cell_type": "code", "metadata": {}, "source": "answer = None\nex.check(answer)", "outputs": [], "execution_count": count})
        cells.append({"cell_type": "code", "metadata": {"tags": ["solution"], "jupyter": {"source_hidden": True}, "cellView": "form"},
                      "source": "# @title Solution\nassert ex.check(1)", "outputs": [], "execution_count": count + 1})
        count += 2
    nb = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    nb["metadata"]["course"] = {"mode": "full", "executed_with": "tools/nbtool.py execute", "code_sha256": nbtool.code_hash(nb)}
    return nb


def _lint(tmp_path, nb, name="42_demo.ipynb"):
    path = tmp_path / name
    path.write_text(json.dumps(nb))
    return nbtool.lint_notebook(path)


def test_a_well_formed_notebook_passes(tmp_path):
    assert _lint(tmp_path, _notebook()) == []


def test_changed_code_makes_outputs_stale(tmp_path):
    nb = _notebook()
    nb["cells"][2]["source"] += "\nM = 3"
    assert any("stale outputs" in p for p in _lint(tmp_path, nb))


def test_utils_dependencies_follow_references_and_relative_imports():
    nb = _notebook()
    nb["cells"][2]["source"] += "\nx = utils.metrics.frechet_distance\nfrom utils.exercises import nb01 as ex"
    names = {str(p.relative_to(nbtool.ROOT)) for p in nbtool.utils_dependencies(nb)}
    assert {"utils/__init__.py", "utils/config.py", "utils/metrics.py", "utils/_checks.py", "utils/exercises/__init__.py"} <= names
    assert "utils/plotting.py" not in names


@pytest.mark.parametrize("mutate, message", [
    (lambda nb: nb["cells"][5].update(outputs=[{"output_type": "error", "ename": "NameError", "evalue": "x", "traceback": []}]), "holds an error"),
    (lambda nb: nb["cells"][5].update(execution_count=9), "top to bottom"),
    (lambda nb: nb["cells"][0].update(source=nb["cells"][0]["source"].replace("42_demo", "41_other")), "Colab badge"),
    (lambda nb: nb["cells"][0].update(source="# 42 · Demo"), "Learning objectives"),
    (lambda nb: nb["cells"][1].update(source="import utils"), "shared setup cell"),
    (lambda nb: nb["cells"][2].update(source="# Parameters\nN = 2"), "utils.pick"),
    (lambda nb: nb["cells"][3].update(source="## Data\n\n## Model\n"), "missing section"),
    (lambda nb: nb["cells"][3].update(source="## Model\n\n## Data\n\n## Train\n\n## Generate\n\n## Evaluate\n\n## What can go wrong\n\n## Exercises\n\n## Summary\n"), "out of order"),
    (lambda nb: nb["cells"][6]["metadata"].pop("jupyter"), "hidden by default"),
    (lambda nb: nb["cells"][5].update(source="keras.utils.get_file('x', 'http://example.com')"), "downloads"),
    (lambda nb: nb["cells"][5].update(source="import tf_keras"), "Keras 3"),
    (lambda nb: nb["cells"][5].update(source="N = utils.pick(full=1, smoke=2)"), "Parameters cell only"),
    (lambda nb: nb["metadata"]["course"].update(mode="smoke"), "full-mode run"),
    (lambda nb: [nb["cells"].pop(-1) for _ in range(3)], "at least 3"),
])
def test_lint_finds_each_problem(tmp_path, mutate, message):
    nb = _notebook()
    mutate(nb)
    if message not in ("stale outputs",) and "code_sha256" in nb["metadata"]["course"] and message != "full-mode run":
        nb["metadata"]["course"]["code_sha256"] = nbtool.code_hash(nb)  # isolate the problem under test
    problems = _lint(tmp_path, nb)
    assert any(message in problem for problem in problems), problems


def test_bad_file_name_and_size(tmp_path):
    problems = _lint(tmp_path, _notebook(), name="Demo.ipynb")
    assert any("NN_topic.ipynb" in p for p in problems)
    nb = _notebook()
    nb["cells"][5]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "x" * 3_100_000}]
    nb["metadata"]["course"]["code_sha256"] = nbtool.code_hash(nb)
    assert any("MB is over" in p for p in _lint(tmp_path, nb))


def test_sync_writes_setup_cell_and_badge(tmp_path):
    nb = _notebook()
    nb["cells"][1]["source"] = "old setup"
    nb["cells"][0]["source"] = nb["cells"][0]["source"].replace(nbtool.badge_line("42_demo.ipynb"), "[![Open In Colab](x)](y)")
    path = tmp_path / "42_demo.ipynb"
    path.write_text(json.dumps(nb))
    assert nbtool.sync(path)
    synced = json.loads(path.read_text())
    assert "".join(synced["cells"][1]["source"]) == nbtool.setup_source()
    assert nbtool.badge_line("42_demo.ipynb") in "".join(synced["cells"][0]["source"])
    assert not nbtool.sync(path)  # idempotent


def test_setup_cell_and_badges_come_from_one_setting(monkeypatch):
    original = copy.deepcopy(nbtool.settings())
    monkeypatch.setattr(nbtool, "settings", lambda: {**original, "repository": "someone/else"})
    assert 'REPOSITORY = "someone/else"' in nbtool.setup_source()
    assert "github/someone/else/blob/main/notebooks/00_x.ipynb" in nbtool.badge_line("00_x.ipynb")
