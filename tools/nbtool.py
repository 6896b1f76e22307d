"""Notebook tooling for the course: write the shared cells, execute, stamp and lint notebooks.

    python tools/nbtool.py sync [NOTEBOOK ...]     # rewrite setup cell + badges from pyproject.toml
    python tools/nbtool.py execute NOTEBOOK ...    # run in full mode with nbclient, save outputs + stamp
    python tools/nbtool.py lint [NOTEBOOK ...]     # check anatomy, outputs, freshness (exit 1 on problems)
    python tools/nbtool.py new NN_topic "Title"    # create a notebook skeleton with every section
    python tools/nbtool.py status                  # one line per notebook: fresh or stale (and why), time
    python tools/nbtool.py readme [--check]        # write (or check) the README's Results and Benchmarks tables

Freshness: ``execute`` runs the notebook with ``COURSE_RECORD_INPUTS`` set, so that ``utils``
records, inside the kernel, every repository file the notebook reads, every course module it
imports (transitively) and the version of every package it imports (``utils/_runtime.py``). The
stamp in ``metadata.course`` holds a SHA-256 of the code cells, a SHA-256 per recorded file, the
package versions and a SHA-256 of the outputs. ``lint`` recomputes all of them: the notebook is
stale when a code cell, a recorded file or the pinned version of a recorded package
(``requirements.lock``) changed, and it fails when the outputs differ from the ones the run stored.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pathlib
import re
import shutil
import sys
import time
import tomllib

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
UTILS = ROOT / "utils"
NAME_PATTERN = re.compile(r"^(\d\d)_[a-z0-9_]+\.ipynb$")
OFFLINE_FORBIDDEN = re.compile(
    r"urlopen|urlretrieve|requests\.(get|post)|get_file\(|\bwget\b|\bcurl\b|tfds\.load|load_dataset\(|hf_hub_download"
)
LOCK_FILE = "requirements.lock"
README_MARKERS = {
    "results": ("<!-- results:start (written by `make readme`; do not edit) -->", "<!-- results:end -->"),
    "benchmarks": ("<!-- benchmarks:start (written by `make readme`; do not edit) -->", "<!-- benchmarks:end -->"),
}
LEGACY_FORBIDDEN = re.compile(r"\btf_keras\b|tf\.compat\.v1|\btf\.keras\b|from tensorflow import keras")
# UPPER_CASE names a notebook assigns after a training cell has read its checkpoint settings
# (utils.training.parameters(globals()) collects every UPPER_CASE plain value): re-running that training
# cell after them finds "changed" settings and trains afresh. Known cases that are accepted (none now):
LATE_SETTINGS_DEBT: dict[str, set[str]] = {}


def late_settings(nb: dict) -> list[tuple[int, list[str]]]:
    """(code cell number, UPPER_CASE names) for each code cell below the first one that reads
    ``parameters(globals())`` and assigns UPPER_CASE globals (at its top level, or in its loops, ifs and withs)."""
    import ast

    found, reading = [], False
    for number, cell in enumerate(code_cells(nb), start=1):
        text = source(cell)
        if reading:
            try:
                tree = ast.parse("\n".join(line for line in text.splitlines() if not line.lstrip().startswith(("%", "!"))))
            except SyntaxError:
                continue
            names, statements = set(), list(tree.body)
            while statements:  # the cell's global statements, inside loops, ifs and withs too, not inside functions or classes
                node = statements.pop()
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    continue
                targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
                    node, (ast.AnnAssign, ast.AugAssign, ast.For)) else []
                stored = [n for target in targets for n in ast.walk(target) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)]
                names |= {n.id for n in stored if n.id.isupper() and not n.id.startswith("_")}
                statements += [child for field in ("body", "orelse", "finalbody") for child in getattr(node, field, [])]
                statements += [child for handler in getattr(node, "handlers", []) for child in handler.body]
            if names:
                found.append((number, sorted(names)))
        reading = reading or "parameters(globals()" in text
    return found


def settings() -> dict:
    """The [tool.course] table of pyproject.toml."""
    with open(ROOT / "pyproject.toml", "rb") as handle:
        return tomllib.load(handle)["tool"]["course"]


# ----------------------------------------------------------------------------- generated cells

SETUP_TEMPLATE = '''\
# Setup: the same cell in every notebook, written by `make sync` (edit tools/nbtool.py, not here).
# Finds the course folder; on Colab it clones the course and installs only what Colab lacks.
import pathlib
import subprocess
import sys

REPOSITORY = "{repository}"
COLAB_DIR = pathlib.Path("/content/{name}")
if "google.colab" in sys.modules and not COLAB_DIR.exists():
    subprocess.run(["git", "clone", "--depth=1", "--branch={branch}", f"https://github.com/{{REPOSITORY}}.git", str(COLAB_DIR)], check=True)
    subprocess.run([sys.executable, str(COLAB_DIR / "tools" / "colab_install.py")], check=True)
for COURSE_ROOT in (pathlib.Path.cwd(), *pathlib.Path.cwd().parents, COLAB_DIR):
    if (COURSE_ROOT / "utils" / "__init__.py").is_file():
        break
else:
    raise FileNotFoundError("Course folder not found: open this notebook from the course's notebooks/ folder.")
sys.path.insert(0, str(COURSE_ROOT))

import utils  # first, so that it can quieten TensorFlow's start-up logs

import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

utils.setup()'''


def setup_source() -> str:
    config = settings()
    repository = config["repository"]
    return SETUP_TEMPLATE.format(repository=repository, name=repository.split("/")[-1], branch=config["branch"])


def badge_line(notebook_name: str) -> str:
    config = settings()
    path = f"{config['repository']}/blob/{config['branch']}/notebooks/{notebook_name}"
    return (
        f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/{path}) "
        f"[![View on GitHub](https://img.shields.io/badge/view%20on-GitHub-181717?logo=github)](https://github.com/{path})"
    )


BADGE_PATTERN = re.compile(r"^\[!\[Open In Colab\].*$", re.MULTILINE)


# ----------------------------------------------------------------------------- reading notebooks

def load(path: pathlib.Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise SystemExit(f"{path}: not valid JSON ({error})") from None


def source(cell: dict) -> str:
    text = cell.get("source", "")
    return "".join(text) if isinstance(text, list) else text


def code_cells(nb: dict) -> list[dict]:
    return [cell for cell in nb["cells"] if cell.get("cell_type") == "code"]


def save(path: pathlib.Path, nb: dict) -> None:
    """Write a notebook atomically, in nbformat's usual layout."""
    text = json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _as_lines(text: str) -> list[str]:
    lines = text.splitlines(keepends=True)
    return lines


# ----------------------------------------------------------------------------- freshness stamp

def _runtime_module():
    """utils/_runtime.py loaded on its own (importing the utils package would start TensorFlow)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("_course_runtime", UTILS / "_runtime.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


RUNTIME = _runtime_module()


def code_hash(nb: dict) -> str:
    """SHA-256 of the notebook's code cells (trailing white space ignored)."""
    digest = hashlib.sha256()
    for cell in code_cells(nb):
        digest.update(b"cell\x00" + "\n".join(line.rstrip() for line in source(cell).strip().splitlines()).encode("utf-8"))
    return digest.hexdigest()


def outputs_hash(nb: dict) -> str:
    """SHA-256 of every code cell's outputs and execution count, as stored in the notebook file."""
    digest = hashlib.sha256()
    for cell in code_cells(nb):
        record = {"count": cell.get("execution_count"), "outputs": cell.get("outputs", [])}
        digest.update(json.dumps(record, sort_keys=True, ensure_ascii=False).encode("utf-8") + b"\x00")
    return digest.hexdigest()


def file_hash(path: pathlib.Path) -> str | None:
    """SHA-256 of a file's bytes, or None when it does not exist."""
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def normalise(name: str) -> str:
    """A package name as pip compares them (PEP 503): lower case, runs of -_. as one -."""
    return re.sub(r"[-_.]+", "-", name).lower()


def package_pins(root: pathlib.Path = ROOT) -> dict[str, str]:
    """Pinned versions from requirements.lock (every package of the environment), else requirements.txt."""
    for name in (LOCK_FILE, "requirements.txt"):
        path = root / name
        if path.is_file():
            pins = {}
            for line in path.read_text(encoding="utf-8").splitlines():
                match = re.match(r"^\s*([A-Za-z0-9_.\-]+)==([^\s;#]+)", line)
                if match:
                    pins[normalise(match.group(1))] = match.group(2)
            return pins
    return {}


def make_stamp(nb: dict, record: dict, root: pathlib.Path = ROOT) -> dict:
    """The freshness stamp of a run: code cells, recorded files with their hashes, package versions, outputs."""
    inputs = {}
    for relative in sorted(record.get("files", [])):
        digest = file_hash(root / relative)
        if digest is not None:
            inputs[relative] = digest
    return {
        "code_sha256": code_hash(nb),
        "inputs": inputs,
        "packages": dict(sorted(record.get("packages", {}).items())),
        "outputs_sha256": outputs_hash(nb),
    }


def staleness(nb: dict, root: pathlib.Path = ROOT) -> list[str]:
    """Why the notebook's outputs no longer follow from its inputs (empty when they do)."""
    course = nb.get("metadata", {}).get("course", {})
    if "inputs" not in course or "packages" not in course:
        return ["no freshness stamp of its inputs (made before inputs were recorded)"]
    reasons = []
    if course.get("code_sha256") != code_hash(nb):
        reasons.append("the code cells changed")
    for relative, digest in sorted(course["inputs"].items()):
        now = file_hash(root / relative)
        if now is None:
            reasons.append(f"{relative} (read by the last run) no longer exists")
        elif now != digest:
            reasons.append(f"{relative} changed")
    pins = package_pins(root)
    for name, version in sorted(course["packages"].items()):
        pinned = pins.get(normalise(name))
        if pinned is not None and pinned != version:
            reasons.append(f"{name} is pinned at {pinned} but the last run used {version}")
    return reasons


# ----------------------------------------------------------------------------- sync

def sync(path: pathlib.Path) -> bool:
    """Rewrite the setup cell and the badge line; return True when the file changed."""
    nb = load(path)
    before = json.dumps(nb, sort_keys=True)
    cells = nb["cells"]
    if cells and cells[0].get("cell_type") == "markdown":
        title = source(cells[0])
        if BADGE_PATTERN.search(title):
            title = BADGE_PATTERN.sub(lambda _: badge_line(path.name), title, count=1)
        else:
            lines = title.split("\n", 1)
            title = lines[0] + "\n\n" + badge_line(path.name) + ("\n" + lines[1] if len(lines) > 1 else "")
        cells[0]["source"] = _as_lines(title)
    for cell in code_cells(nb):
        if "setup" in cell.get("metadata", {}).get("tags", []):
            if source(cell) != setup_source():
                cell["source"] = _as_lines(setup_source())
            break
    else:
        raise SystemExit(f"{path}: no code cell tagged 'setup'; add the tag to the setup cell (or start from `nbtool new`)")
    changed = json.dumps(nb, sort_keys=True) != before
    if changed:
        save(path, nb)
    return changed


# ----------------------------------------------------------------------------- execute

# The kernel's own CPU time and peak memory: unlike wall-clock time they do not grow when other work
# shares the machine, so they show whether a notebook keeps the ~8 minutes / 2 GiB budget.
RECORD_CELL = """from utils import _runtime as _course_runtime
_course_runtime.write_recording()
import json as _json, os as _os, resource as _resource
_usage = _resource.getrusage(_resource.RUSAGE_SELF)
with open(_os.environ[_course_runtime.RECORD_VARIABLE] + ".usage", "w") as _handle:
    _json.dump({"cpu_seconds": _usage.ru_utime + _usage.ru_stime, "peak_rss_kib": _usage.ru_maxrss}, _handle)"""


def execute(path: pathlib.Path, *, mode: str = "full", timeout: int = 1800) -> float:
    """Run a notebook top to bottom with nbclient and write it back with outputs and a freshness stamp."""
    import tempfile

    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    os.environ["COURSE_MODE"] = mode
    # A recorded run starts from scratch: old checkpoints would make training "resume" at its end.
    previous = ROOT / "outputs" / ("smoke" if mode == "smoke" else "") / path.stem
    if previous.is_dir():
        shutil.rmtree(previous)
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:  # start from a clean slate so no old output survives
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    # One extra cell, removed afterwards, asks the kernel what the notebook read and imported.
    nb.cells.append(nbformat.v4.new_code_cell(RECORD_CELL))
    handle, record_file = tempfile.mkstemp(prefix="course-inputs-", suffix=".json")
    os.close(handle)
    os.environ[RUNTIME.RECORD_VARIABLE] = record_file
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    load_at_start = os.getloadavg()[0]
    started = time.perf_counter()
    try:
        client.execute()
    except CellExecutionError as error:
        failed = ROOT / "outputs" / "failed" / path.name
        failed.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, failed)
        raise SystemExit(f"{path.name} failed; the partly run notebook is in {failed}\n{str(error)[-3000:]}") from None
    finally:
        os.environ.pop(RUNTIME.RECORD_VARIABLE, None)
    seconds = time.perf_counter() - started
    nb.cells.pop()
    record = json.loads(pathlib.Path(record_file).read_text(encoding="utf-8"))
    usage = json.loads(pathlib.Path(record_file + ".usage").read_text(encoding="utf-8"))
    os.unlink(record_file)
    os.unlink(record_file + ".usage")
    if mode == "full":
        plain = json.loads(nbformat.writes(nb))
        plain["metadata"]["course"] = {
            **{key: value for key, value in plain["metadata"].get("course", {}).items() if key in ("sections", "sections_reason")},
            **make_stamp(plain, record),
            "mode": mode,
            "execution_seconds": round(seconds),
            "kernel_cpu_seconds": round(usage["cpu_seconds"]),
            "peak_memory_mib": round(usage["peak_rss_kib"] / 1024),
            "machine_load_at_start": round(load_at_start, 1),
            "executed_with": "tools/nbtool.py execute",
        }
        save(path, plain)
        print(f"{path.name}: {seconds:.0f} s wall, {usage['cpu_seconds']:.0f} CPU-s in the kernel, "
              f"peak {usage['peak_rss_kib'] / 1024:.0f} MiB (load average {load_at_start:.1f} at the start)")
    else:  # smoke runs are for trying things out: never overwrite the committed full-mode outputs
        out = ROOT / "outputs" / "smoke" / path.name
        out.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, out)
        print(f"smoke run written to {out}")
    return seconds


# ----------------------------------------------------------------------------- lint

def _headings(nb: dict, level: str) -> list[str]:
    found = []
    for cell in nb["cells"]:
        if cell.get("cell_type") == "markdown":
            for line in source(cell).splitlines():
                if line.startswith(level + " "):
                    found.append(line[len(level) + 1:].strip())
    return found


def _section_position(headings: list[str], section: str) -> int | None:
    pattern = re.compile(rf"^(\d+\s*[·.:]\s*)?{re.escape(section)}\b", re.IGNORECASE)
    for index, heading in enumerate(headings):
        if pattern.search(heading):
            return index
    return None


def lint_notebook(path: pathlib.Path, *, check_outputs: bool = True, root: pathlib.Path = ROOT) -> list[str]:
    """All problems found in one notebook (empty when it is fine)."""
    config = settings()
    problems: list[str] = []
    name = path.name
    match = NAME_PATTERN.match(name)
    if not match:
        problems.append("file name must look like NN_topic.ipynb (two digits, lower-case words joined by _)")
    number = match.group(1) if match else "??"
    size = path.stat().st_size
    if size > config["max_notebook_bytes"]:
        problems.append(f"{size / 1e6:.1f} MB is over the {config['max_notebook_bytes'] / 1e6:.0f} MB limit: smaller figures, fewer output lines")
    nb = load(path)
    cells = nb.get("cells", [])
    if not cells or cells[0].get("cell_type") != "markdown":
        return problems + ["the first cell must be the markdown title cell"]
    title = source(cells[0])
    if not re.match(rf"^# {number} · \S", title):
        problems.append(f"title cell must start with '# {number} · Title'")
    urls = re.findall(r"https://colab\.research\.google\.com/github/[^)\s]+", title)
    want = f"https://colab.research.google.com/github/{config['repository']}/blob/{config['branch']}/notebooks/{name}"
    if urls != [want]:
        problems.append(f"Open-in-Colab badge must point at {want} (run `make sync`), found {urls or 'none'}")
    if f"https://github.com/{config['repository']}/blob/{config['branch']}/notebooks/{name}" not in title:
        problems.append("View-on-GitHub badge missing or pointing elsewhere (run `make sync`)")
    for part in ("Learning objectives", "Prerequisites", "Time"):
        if part not in title:
            problems.append(f"title cell lacks '{part}'")
    code = code_cells(nb)
    if not code or source(code[0]) != setup_source() or "setup" not in code[0].get("metadata", {}).get("tags", []):
        problems.append("the first code cell must be the shared setup cell tagged 'setup' (run `make sync`)")
    if len(code) < 2 or not source(code[1]).startswith("# Parameters") or "parameters" not in code[1].get("metadata", {}).get("tags", []):
        problems.append("the second code cell must be the Parameters cell (starts with '# Parameters', tagged 'parameters')")
    elif "utils.pick(" not in source(code[1]):
        problems.append("the Parameters cell must choose per-mode values with utils.pick(full=..., smoke=...)")
    for cell in code[2:]:
        if "utils.pick(" in source(cell) or "is_smoke(" in source(cell) or "COURSE_MODE" in source(cell):
            problems.append("per-mode choices belong in the Parameters cell only (found utils.pick/is_smoke elsewhere)")
            break
    course = nb.get("metadata", {}).get("course", {})
    sections = course.get("sections", config["sections"])
    if "sections" in course and not course.get("sections_reason"):
        problems.append("metadata course.sections overrides the standard sections: give course.sections_reason")
    headings = _headings(nb, "##")
    positions = []
    for section in sections:
        position = _section_position(headings, section)
        if position is None:
            problems.append(f"missing section '## {section}'")
        positions.append(position)
    found = [p for p in positions if p is not None]
    if found != sorted(found):
        problems.append(f"sections out of order; expected {sections}")
    exercises = [h for h in _headings(nb, "###") if re.match(r"Exercise \d+", h)]
    if len(exercises) < config["min_exercises"]:
        problems.append(f"needs at least {config['min_exercises']} '### Exercise N' headings, found {len(exercises)}")
    solutions = [c for c in code if "solution" in c.get("metadata", {}).get("tags", [])]
    if len(solutions) < len(exercises):
        problems.append(f"{len(exercises)} exercises but {len(solutions)} code cells tagged 'solution'")
    for cell in solutions:
        meta = cell.get("metadata", {})
        if not meta.get("jupyter", {}).get("source_hidden") or meta.get("cellView") != "form":
            problems.append("solution cells must be hidden by default: metadata jupyter.source_hidden=true and cellView='form'")
            break
        if "assert " not in source(cell):
            problems.append("each solution cell must assert its checker, so CI proves the solution is right")
            break
    for number, names in late_settings(nb):
        names = [n for n in names if n not in LATE_SETTINGS_DEBT.get(name, set())]
        if names:
            problems.append(f"code cell {number} assigns UPPER_CASE {', '.join(names)} below a training cell that read the settings "
                            "with utils.training.parameters(globals()): re-running that cell afterwards would train afresh; "
                            "use lower-case names, or define them in the Parameters cell")
    for cell in code:
        text = source(cell)
        if "setup" not in cell.get("metadata", {}).get("tags", []) and OFFLINE_FORBIDDEN.search(text):
            problems.append(f"downloads at run time are not allowed (found {OFFLINE_FORBIDDEN.search(text).group(0)!r})")
        if LEGACY_FORBIDDEN.search(text):
            problems.append(f"use Keras 3 as `keras`, not {LEGACY_FORBIDDEN.search(text).group(0)!r}")
    if check_outputs:
        counts = [cell.get("execution_count") for cell in code]
        if all(count is None for count in counts):
            problems.append("no outputs: run `make execute NB=notebooks/" + name + "`")
        elif counts != list(range(1, len(code) + 1)):
            problems.append("cells were not executed once each, top to bottom, in one run (re-run `make execute`)")
        for cell in code:
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    problems.append(f"an output holds an error ({output.get('ename')}: {output.get('evalue', '')[:80]})")
                elif output.get("output_type") == "stream" and output.get("name") == "stderr" and "Traceback (most recent call last)" in "".join(output.get("text", "")):
                    problems.append("an output holds a traceback on stderr")
        noise = [line for cell in code for output in cell.get("outputs", []) if output.get("output_type") == "stream"
                 for line in "".join(output.get("text", "")).splitlines() if RUNTIME.is_startup_noise(line)]
        if noise:
            problems.append(f"{len(noise)} line(s) of TensorFlow start-up noise in the outputs (first: {noise[0][:90]!r}); "
                            "utils quietens them when it is imported before TensorFlow: re-run `make execute`")
        if course.get("mode") != "full" or course.get("executed_with") != "tools/nbtool.py execute":
            problems.append("outputs must come from a full-mode run of `make execute` (metadata course.mode is not 'full')")
        else:
            reasons = staleness(nb, root)
            if reasons:
                problems.append(f"stale outputs: {'; '.join(reasons)}; re-run `make execute NB=notebooks/{name}`")
            seconds = course.get("execution_seconds")
            time_line = next((line for line in title.splitlines() if "**Time**" in line), "")
            if seconds is not None and not re.search(rf"(?<![\d,.]){seconds} s\b", time_line):
                problems.append(f"the title's **Time** line must state the recorded run's {seconds} s (metadata "
                                f"course.execution_seconds; `make status` shows it); found {time_line.strip()[:100]!r}")
            if course.get("outputs_sha256") != outputs_hash(nb):
                problems.append("the outputs differ from the ones the last `make execute` stored (edited by hand, or by a "
                                "notebook editor after the run): re-run `make execute NB=notebooks/" + name + "`")
    return problems


def notebook_paths(arguments: list[str]) -> list[pathlib.Path]:
    if arguments:
        return [pathlib.Path(argument).resolve() for argument in arguments]
    return sorted(NOTEBOOKS.glob("*.ipynb"))


# ----------------------------------------------------------------------------- README tables

def _result_rows(nb: dict) -> list[dict]:
    """The rows a notebook stored with utils.results.report, in the order its cells ran."""
    mime = "application/vnd.genai-course.result+json"
    return [output["data"][mime] for cell in code_cells(nb) for output in cell.get("outputs", [])
            if output.get("output_type") in ("display_data", "execute_result") and mime in output.get("data", {})]


def _load_results_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("_course_results", UTILS / "results.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def results_table(root: pathlib.Path = ROOT) -> str:
    """The README's Results table, from the rows stored in the committed notebooks' outputs."""
    results = _load_results_module()
    lines = ["| Notebook | Measure | Result | Baselines / target |", "|---|---|---|---|"]
    for path in sorted((root / "notebooks").glob("*.ipynb")):
        for row in _result_rows(load(path)):
            cells = results.markdown_cells(row)
            lines.append(f"| [{path.name[:2]}](notebooks/{path.name}) | " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines)


def benchmarks_table(root: pathlib.Path = ROOT) -> str:
    """The README's Benchmarks table, from the "readme" block of each recorded result in benchmarks/results/."""
    lines = ["| Benchmark | Reference configuration | Ours | Target |", "|---|---|---|---|"]
    for path in sorted((root / "benchmarks" / "results").glob("*.json")):
        block = json.loads(path.read_text(encoding="utf-8")).get("readme")
        if not block:
            continue
        missing = {"benchmark", "reference", "ours", "target", "verdict"} - set(block)
        if missing:
            raise SystemExit(f"{path}: the 'readme' block lacks {sorted(missing)}")
        target = block["target"] if f"**{block['verdict']}**" in block["target"] else f"{block['target']}: **{block['verdict']}**"
        cells = [block["benchmark"], block["reference"], block["ours"], target]
        lines.append("| " + " | ".join(str(cell).replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines)


TIME_CELL = r"~\d+ min \(\d+ s(?:; \d+ CPU-s)?\)"


def time_text(course: dict) -> str:
    """A notebook's recorded full-mode time as the course map shows it: '~4 min (237 s; 301 CPU-s)'."""
    seconds = course.get("execution_seconds", 0)
    text = f"~{max(1, round(seconds / 60))} min ({round(seconds)} s"
    if "kernel_cpu_seconds" in course:
        text += f"; {course['kernel_cpu_seconds']} CPU-s"
    return text + ")"


def _course_map_times(text: str, root: pathlib.Path) -> str:
    """Course-map rows with the full-mode time recorded by the notebook's last `make execute`."""
    lines = text.split("\n")
    for index, line in enumerate(lines):
        match = re.search(r"\(notebooks/(\d\d_[a-z0-9_]+\.ipynb)\)", line)
        cells = line.split("|")
        if not line.startswith("|") or not match or len(cells) < 6 or not re.search(TIME_CELL, cells[4]):
            continue
        path = root / "notebooks" / match.group(1)
        if path.is_file():
            cells[4] = re.sub(TIME_CELL, time_text(load(path).get("metadata", {}).get("course", {})), cells[4])
            lines[index] = "|".join(cells)
    return "\n".join(lines)


def readme_text(text: str, root: pathlib.Path = ROOT) -> str:
    """``text`` (the README) with the tables between the markers rewritten from the outputs and results,
    and the course map's times from the notebooks' metadata."""
    text = _course_map_times(text, root)
    for key, table in (("results", results_table(root)), ("benchmarks", benchmarks_table(root))):
        start, end = README_MARKERS[key]
        if text.count(start) != 1 or text.count(end) != 1:
            raise SystemExit(f"README.md must hold the markers {start!r} and {end!r} once each")
        before, rest = text.split(start, 1)
        _, after = rest.split(end, 1)
        text = f"{before}{start}\n{table}\n{end}{after}"
    return text


# ----------------------------------------------------------------------------- new

def new_notebook(stem: str, title: str) -> pathlib.Path:
    """Create notebooks/<stem>.ipynb with every standard section and one exercise scaffold."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    path = NOTEBOOKS / f"{stem}.ipynb"
    if path.exists():
        raise SystemExit(f"{path} exists already")
    if not NAME_PATTERN.match(path.name):
        raise SystemExit("name must look like NN_topic")
    number = stem[:2]
    cells = [
        new_markdown_cell(
            f"# {number} · {title}\n\n{badge_line(path.name)}\n\nOne paragraph on what the learner builds.\n\n"
            "**Learning objectives**\n- ...\n\n**Prerequisites**: ...\n\n**Time**: ~N min in full mode on a 2-core CPU (the recorded run: ...); not measured with a GPU."
        ),
        new_code_cell(setup_source(), metadata={"tags": ["setup"]}),
        new_code_cell(
            "# Parameters: every knob of this notebook, chosen per mode (full = real results, smoke = CI check).\n"
            "NUM_EPOCHS = utils.pick(full=20, smoke=1)  # more epochs: sharper samples; try 40\n"
            f'OUT = utils.output_dir("{stem}")',
            metadata={"tags": ["parameters"]},
        ),
    ]
    for section in settings()["sections"]:
        cells.append(new_markdown_cell(f"## {section}\n\n..."))
    cells += [
        new_markdown_cell("### Exercise 1 · ...\n\nTask."),
        new_code_cell("# Your turn: replace None with your answer, then run the cell.\nanswer = None\nex.check_exercise_1(answer)"),
        new_code_cell(
            "# @title Solution (double-click to show)\nsolution = ...\nassert ex.check_exercise_1(solution)",
            metadata={"tags": ["solution"], "jupyter": {"source_hidden": True}, "cellView": "form"},
        ),
    ]
    nb = new_notebook(cells=cells, metadata={"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}, "language_info": {"name": "python"}})
    nbformat.write(nb, path)
    return path


# ----------------------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for command in ("sync", "lint", "status"):
        sub.add_parser(command).add_argument("notebooks", nargs="*")
    sub.add_parser("readme").add_argument("--check", action="store_true", help="exit 1 when README.md differs from what `readme` writes")
    run = sub.add_parser("execute")
    run.add_argument("notebooks", nargs="+")
    run.add_argument("--smoke", action="store_true", help="run in smoke mode and write to outputs/smoke/ (the notebook is untouched)")
    run.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    create = sub.add_parser("new")
    create.add_argument("stem")
    create.add_argument("title")
    args = parser.parse_args(argv)

    if args.command == "new":
        print(new_notebook(args.stem, args.title))
        return 0
    if args.command == "readme":
        readme = ROOT / "README.md"
        current = readme.read_text(encoding="utf-8")
        wanted = readme_text(current)
        if args.check:
            if wanted != current:
                print("README.md's Results/Benchmarks tables differ from the notebooks' outputs and benchmarks/results: run `make readme`")
                return 1
            return 0
        if wanted != current:
            tmp = readme.with_name(".README.md.tmp")
            tmp.write_text(wanted, encoding="utf-8")
            os.replace(tmp, readme)
            print("README.md tables rewritten")
        return 0
    paths = notebook_paths(args.notebooks)
    if args.command == "sync":
        for path in paths:
            if sync(path):
                print(f"synced {path.name}")
        return 0
    if args.command == "execute":
        for path in paths:
            sync(path)
            seconds = execute(path, mode="smoke" if args.smoke else "full", timeout=args.timeout)
            print(f"executed {path.name} in {seconds:.0f}s")
        return 0
    if args.command == "status":
        for path in paths:
            nb = load(path)
            course = nb.get("metadata", {}).get("course", {})
            reasons = staleness(nb)
            if course.get("outputs_sha256") != outputs_hash(nb):
                reasons.append("outputs edited after the run")
            print(f"{path.name:40s} {'STALE' if reasons else 'fresh'}  {time_text(course)}, peak {course.get('peak_memory_mib', '?')} MiB"
                  + (f"  ({'; '.join(reasons)})" if reasons else ""))
        return 0
    failed = 0
    for path in paths:
        problems = lint_notebook(path)
        for problem in problems:
            print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: {problem}")
        failed += bool(problems)
    print(f"{len(paths)} notebook(s) checked, {failed} with problems")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
