"""The notebook linter catches what it promises to: stale outputs, errors, out-of-order runs,
missing anatomy, wrong badges, downloads and legacy Keras."""

import copy
import json
import shutil
import sys

import pytest

sys.path.insert(0, "tools")
import nbtool  # noqa: E402


def _notebook(number="42", name="42_demo.ipynb"):
    config = nbtool.settings()
    sections = "".join(f"## {section}\n\ntext\n\n" for section in config["sections"])
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": f"# {number} · Demo\n\n{nbtool.badge_line(name)}\n\n**Learning objectives**\n- a\n\n**Prerequisites**: none\n\n**Time**: 1 min (the recorded run took 0 s)"},
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
    _stamp(nb)
    return nb


def _stamp(nb, record=None, root=nbtool.ROOT):
    """Stamp nb as `nbtool execute` would after a run that read record["files"] and imported record["packages"]."""
    nb["metadata"]["course"] = {"mode": "full", "executed_with": "tools/nbtool.py execute", "execution_seconds": 0,
                                **nbtool.make_stamp(nb, record or {"files": [], "packages": {}}, root)}
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


def _repository(tmp_path):
    """A throwaway repository with one file of each kind a notebook's outputs can depend on."""
    root = tmp_path / "repo"
    for relative, text in {
        "utils/helper.py": "VALUE = 1\n",
        "data/table.json": '{"a": 1}\n',
        "benchmarks/results/bench.json": '{"score": 2.0}\n',
        "requirements.lock": "numpy==2.4.6\nkeras==3.15.1\n",
    }.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)
    (root / "notebooks").mkdir()
    return root


RECORD = {"files": ["utils/helper.py", "data/table.json", "benchmarks/results/bench.json"], "packages": {"numpy": "2.4.6", "Keras": "3.15.1"}}


@pytest.mark.parametrize("change, reason", [
    (lambda root: (root / "utils/helper.py").write_text("VALUE = 2\n"), "utils/helper.py changed"),
    (lambda root: (root / "data/table.json").write_text('{"a": 2}\n'), "data/table.json changed"),
    (lambda root: (root / "benchmarks/results/bench.json").write_text('{"score": 1.5}\n'), "benchmarks/results/bench.json changed"),
    (lambda root: (root / "data/table.json").unlink(), "data/table.json (read by the last run) no longer exists"),
    (lambda root: (root / "requirements.lock").write_text("numpy==2.5.0\nkeras==3.15.1\n"), "numpy is pinned at 2.5.0 but the last run used 2.4.6"),
    (lambda root: (root / "requirements.lock").write_text("numpy==2.4.6\nkeras==3.16.0\n"), "Keras is pinned at 3.16.0"),
])
def test_each_kind_of_input_makes_the_notebook_stale(tmp_path, change, reason):
    root = _repository(tmp_path)
    path = root / "notebooks" / "42_demo.ipynb"
    path.write_text(json.dumps(_stamp(_notebook(), RECORD, root)))
    assert nbtool.lint_notebook(path, root=root) == []
    change(root)
    problems = nbtool.lint_notebook(path, root=root)
    assert any("stale outputs" in p and reason in p for p in problems), problems


def test_a_package_the_notebook_did_not_import_can_change_freely(tmp_path):
    root = _repository(tmp_path)
    path = root / "notebooks" / "42_demo.ipynb"
    path.write_text(json.dumps(_stamp(_notebook(), RECORD, root)))
    (root / "requirements.lock").write_text("numpy==2.4.6\nkeras==3.15.1\nrdkit==2026.3.1\n")
    assert nbtool.lint_notebook(path, root=root) == []


def test_hand_edited_outputs_fail_lint(tmp_path):
    nb = _notebook()
    nb["cells"][5]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "bits per char 2.074\n"}]
    _stamp(nb)
    assert _lint(tmp_path, nb) == []
    nb["cells"][5]["outputs"][0]["text"] = "bits per char 1.500\n"
    assert any("differ from the ones the last `make execute` stored" in p for p in _lint(tmp_path, nb))


def test_a_notebook_without_an_input_stamp_is_stale(tmp_path):
    nb = _notebook()
    for key in ("inputs", "packages"):
        nb["metadata"]["course"].pop(key)
    assert any("no freshness stamp" in p for p in _lint(tmp_path, nb))


@pytest.mark.parametrize("line", [
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n",
    "I0000 00:00:1795633043.060828    2948 port.cc:153] oneDNN custom operations are on. You may see slightly different numerical results\n",
    "E0000 00:00:1795633045.408421    2948 cuda_platform.cc:52] failed call to cuInit: INTERNAL: CUDA error\n",
    "E0000 00:00:1795633045.408421    2948 meta_optimizer.cc:967] remapper failed: INVALID_ARGUMENT\n",
])
def test_tensorflow_startup_noise_in_outputs_fails_lint(tmp_path, line):
    nb = _notebook()
    nb["cells"][5]["outputs"] = [{"output_type": "stream", "name": "stderr", "text": line}]
    _stamp(nb)
    assert any("start-up noise" in p for p in _lint(tmp_path, nb))


def test_ordinary_stderr_is_not_mistaken_for_noise(tmp_path):
    nb = _notebook()
    nb["cells"][5]["outputs"] = [{"output_type": "stream", "name": "stderr", "text": "UserWarning: the learning rate is high\n"}]
    _stamp(nb)
    assert _lint(tmp_path, nb) == []


def _result_output(row):
    return {"output_type": "display_data", "metadata": {}, "data": {"application/vnd.genai-course.result+json": row, "text/plain": "x"}}


def test_readme_tables_are_written_from_notebook_rows_and_benchmark_results(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("results_for_test", nbtool.UTILS / "results.py")
    results = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(results)
    root = _repository(tmp_path)
    nb = _notebook()
    nb["cells"][5]["outputs"] = [_result_output(results.row(
        "log-likelihood (nats per point; higher is better)", {"model": (-1.2694, ".3f")},
        {"uniform": (-2.552, ".3f")}, target={"of": "model", "value": -2.0, "better": "higher", "fmt": ".1f"}))]
    (root / "notebooks" / "42_demo.ipynb").write_text(json.dumps(nb))
    (root / "benchmarks/results/bench.json").write_text(json.dumps({"readme": {
        "benchmark": "`bench.py`", "reference": "tutorial FD 273.97 ± 5.10", "ours": "FD 25.72 ± 0.40", "target": "at most 1/5", "verdict": "met"}}))
    start, end = nbtool.README_MARKERS["results"]
    bstart, bend = nbtool.README_MARKERS["benchmarks"]
    text = nbtool.readme_text(f"# R\n\n{start}\nold\n{end}\n\n{bstart}\n{bend}\n", root)
    assert "| [42](notebooks/42_demo.ipynb) | log-likelihood (nats per point; higher is better) | model **\u22121.269** | target ≥ \u22122.0: **met**; uniform \u22122.552 |" in text
    assert "| `bench.py` | tutorial FD 273.97 ± 5.10 | FD 25.72 ± 0.40 | at most 1/5: **met** |" in text
    assert "old" not in text and nbtool.readme_text(text, root) == text
    with pytest.raises(SystemExit, match="markers"):
        nbtool.readme_text("# no markers\n", root)


def test_execute_records_what_the_kernel_read_and_imported(tmp_path, monkeypatch):
    """A real run: the stamp lists the repository file the notebook read, utils modules and package versions."""
    monkeypatch.setenv("COURSE_MODE", "smoke")  # execute switches to full; monkeypatch restores smoke afterwards
    folder = nbtool.ROOT / "outputs" / "test_nbtool_execute"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "42_demo.ipynb"
    nb = _notebook()
    nb["cells"][2]["source"] = "# Parameters\nimport json\nCARD = json.loads((COURSE_ROOT / 'data' / 'digit_classifier.json').read_text())"
    nb["cells"] = nb["cells"][:3]
    path.write_text(json.dumps(nb))
    try:
        nbtool.execute(path, timeout=300)
        course = json.loads(path.read_text())["metadata"]["course"]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    assert "data/digit_classifier.json" in course["inputs"]
    assert {"utils/__init__.py", "utils/config.py"} <= set(course["inputs"])
    assert course["packages"].get("tensorflow") and course["packages"].get("numpy")
    assert not any(name.lower().startswith(("ipykernel", "jupyter")) for name in course["packages"])


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
    (lambda nb: nb["cells"][0].update(source=nb["cells"][0]["source"].replace("took 0 s", "took about 5 min")), "**Time** line"),
])
def test_lint_finds_each_problem(tmp_path, mutate, message):
    nb = _notebook()
    mutate(nb)
    if message != "full-mode run":
        _stamp(nb)  # isolate the problem under test
    problems = _lint(tmp_path, nb)
    assert any(message in problem for problem in problems), problems


def test_upper_case_names_below_a_checkpointed_cell_fail_lint(tmp_path):
    nb = _notebook()
    nb["cells"][5].update(source="checkpointer = Checkpointer(OUT, settings=utils.training.parameters(globals()))")
    nb["cells"][8].update(source="EARLY = 1\nfor STEP in range(2):\n    INNER = 3\nlower = 4\nanswer = None")
    problems = _lint(tmp_path, _stamp(nb))
    assert any("code cell 5 assigns UPPER_CASE EARLY, INNER, STEP below a training cell" in problem for problem in problems), problems
    nb["cells"][8].update(source="early = 1\nrows[f'{N}-gram'] = N\nanswer = None")  # N is read, not assigned
    assert _lint(tmp_path, _stamp(nb)) == []  # lower-case names, and names above the first checkpoint (N), are fine
    nb["cells"][5].update(source="EARLY = 1\n" + nb["cells"][5]["source"])
    assert _lint(tmp_path, _stamp(nb)) == []  # the same cell: assigned before parameters() reads them


def test_time_line_must_match_the_recorded_seconds(tmp_path):
    nb = _notebook()
    nb["metadata"]["course"]["execution_seconds"] = 293
    for line, ok in [("~5 min (the recorded run took 293 s, 429 CPU-seconds)", True), ("~5 min (293 s recorded)", True),
                     ("~5 min (the recorded run took 1293 s)", False), ("~5 min (2,293 s)", False), ("~5 min (29.3 s)", False),
                     ("~5 min", False)]:
        nb["cells"][0]["source"] = nb["cells"][0]["source"].rsplit("**Time**", 1)[0] + f"**Time**: {line}"
        problems = [p for p in _lint(tmp_path, nb) if "**Time** line" in p]
        assert (not problems) == ok, (line, problems)


def test_bad_file_name_and_size(tmp_path):
    problems = _lint(tmp_path, _notebook(), name="Demo.ipynb")
    assert any("NN_topic.ipynb" in p for p in problems)
    nb = _notebook()
    nb["cells"][5]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "x" * 3_100_000}]
    _stamp(nb)
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
