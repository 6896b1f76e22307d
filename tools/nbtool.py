"""Notebook tooling for the course: write the shared cells, execute, stamp and lint notebooks.

    python tools/nbtool.py sync [NOTEBOOK ...]     # rewrite setup cell + badges from pyproject.toml
    python tools/nbtool.py execute NOTEBOOK ...    # run in full mode with nbclient, save outputs + stamp
    python tools/nbtool.py lint [NOTEBOOK ...]     # check anatomy, outputs, freshness (exit 1 on problems)
    python tools/nbtool.py new NN_topic "Title"    # create a notebook skeleton with every section
    python tools/nbtool.py status                  # one line per notebook: fresh or stale, time, metrics

Freshness: ``execute`` stores in ``metadata.course`` a SHA-256 of the notebook's code cells and of
the ``utils`` modules the notebook uses (found from ``utils.<module>`` references and their
relative imports). ``lint`` recomputes it: when code or helpers changed after the outputs were
made, the notebook is stale and must be re-executed.
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
LEGACY_FORBIDDEN = re.compile(r"\btf_keras\b|tf\.compat\.v1|\btf\.keras\b|from tensorflow import keras")


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


# ----------------------------------------------------------------------------- freshness hash

def _module_file(dotted: str) -> pathlib.Path | None:
    """utils/<a>/<b>.py or utils/<a>/<b>/__init__.py for 'a.b', else None."""
    base = UTILS.joinpath(*dotted.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _references(text: str) -> set[str]:
    """Module paths under utils that a code text refers to (utils.x.y, from utils.x import y)."""
    found = set()
    for match in re.finditer(r"\butils\.([A-Za-z_][\w.]*)", text):
        parts = match.group(1).split(".")
        for end in range(len(parts), 0, -1):
            if _module_file(".".join(parts[:end])):
                found.add(".".join(parts[:end]))
                break
    for match in re.finditer(r"from\s+utils(?:\.([\w.]+))?\s+import\s+([\w\s,()]+)", text):
        package = match.group(1) or ""
        for name in re.findall(r"\w+", match.group(2)):
            dotted = f"{package}.{name}" if package else name
            if _module_file(dotted):
                found.add(dotted)
            elif package and _module_file(package):
                found.add(package)
    return found


def _relative_imports(path: pathlib.Path) -> set[str]:
    """Modules a utils file imports relatively (from . import x, from .x import y, from ..x import y)."""
    package_parts = list(path.relative_to(UTILS).parent.parts)
    found = set()
    for match in re.finditer(r"^\s*from\s+(\.+)([\w.]*)\s+import\s+([\w\s,()]+)", path.read_text(encoding="utf-8"), re.MULTILINE):
        dots, module, names = match.groups()
        base = package_parts[: len(package_parts) - (len(dots) - 1)]
        prefix = base + (module.split(".") if module else [])
        if module and _module_file(".".join(prefix)):
            found.add(".".join(prefix))
        for name in re.findall(r"\w+", names):
            dotted = ".".join([*prefix, name])
            if _module_file(dotted):
                found.add(dotted)
    return found


def utils_dependencies(nb: dict) -> list[pathlib.Path]:
    """Every utils file the notebook's code depends on, directly or through relative imports."""
    text = "\n".join(source(cell) for cell in code_cells(nb))
    pending = _references(text) | {"__init__", "config"}
    seen: set[str] = set()
    files: set[pathlib.Path] = set()
    while pending:
        dotted = pending.pop()
        if dotted in seen:
            continue
        seen.add(dotted)
        path = UTILS / "__init__.py" if dotted == "__init__" else _module_file(dotted)
        if path is None:
            continue
        files.add(path)
        parts = dotted.split(".")
        for end in range(1, len(parts)):  # parent packages run their __init__ too
            parent = _module_file(".".join(parts[:end]))
            if parent:
                files.add(parent)
        pending |= _relative_imports(path)
    return sorted(files)


def code_hash(nb: dict) -> str:
    """SHA-256 of the code cells plus the utils files they use (and the reference classifier if used)."""
    digest = hashlib.sha256()
    for cell in code_cells(nb):
        digest.update(b"cell\x00" + "\n".join(line.rstrip() for line in source(cell).strip().splitlines()).encode("utf-8"))
    for path in utils_dependencies(nb):
        digest.update(b"file\x00" + str(path.relative_to(ROOT)).encode() + b"\x00" + path.read_bytes())
        if path.name == "metrics.py":  # the metric's reference network is part of what it computes
            weights = ROOT / "data" / "digit_classifier.weights.h5"
            if weights.exists():
                digest.update(b"data\x00" + weights.read_bytes())
    return digest.hexdigest()


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

def execute(path: pathlib.Path, *, mode: str = "full", timeout: int = 1800) -> float:
    """Run a notebook top to bottom with nbclient and write it back with outputs and a stamp."""
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
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    started = time.perf_counter()
    try:
        client.execute()
    except CellExecutionError as error:
        failed = ROOT / "outputs" / "failed" / path.name
        failed.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, failed)
        raise SystemExit(f"{path.name} failed; the partly run notebook is in {failed}\n{str(error)[-3000:]}") from None
    seconds = time.perf_counter() - started
    if mode == "full":
        plain = json.loads(nbformat.writes(nb))
        plain["metadata"]["course"] = {
            **plain["metadata"].get("course", {}),
            "code_sha256": code_hash(plain),
            "mode": mode,
            "execution_seconds": round(seconds),
            "executed_with": "tools/nbtool.py execute",
        }
        save(path, plain)
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


def lint_notebook(path: pathlib.Path, *, check_outputs: bool = True) -> list[str]:
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
        if course.get("mode") != "full" or course.get("executed_with") != "tools/nbtool.py execute":
            problems.append("outputs must come from a full-mode run of `make execute` (metadata course.mode is not 'full')")
        elif course.get("code_sha256") != code_hash(nb):
            problems.append("stale outputs: code or the utils it uses changed after the last run; re-run `make execute NB=notebooks/" + name + "`")
    return problems


def notebook_paths(arguments: list[str]) -> list[pathlib.Path]:
    if arguments:
        return [pathlib.Path(argument).resolve() for argument in arguments]
    return sorted(NOTEBOOKS.glob("*.ipynb"))


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
            "**Learning objectives**\n- ...\n\n**Prerequisites**: ...\n\n**Time**: ~N min in full mode on a 2-core CPU, ~M min with a GPU."
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
            fresh = course.get("code_sha256") == code_hash(nb)
            print(f"{path.name:40s} {'fresh' if fresh else 'STALE'}  {course.get('execution_seconds', '?')}s")
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
