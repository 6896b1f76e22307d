"""The README's course map, Results and Benchmarks tables agree with the committed notebooks and the
recorded benchmark results: every listed notebook exists, its time is the one recorded by
`make execute`, and the two tables are exactly what `tools/nbtool.py readme` writes from the
notebooks' stored result rows and benchmarks/results/*.json (so no number is typed in by hand)."""

import json
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
sys.path.insert(0, str(ROOT / "tools"))
import nbtool  # noqa: E402


def _table(title):
    section = README.split(f"## {title}", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows[2:]]


def _notebook(cell):
    match = re.search(r"\(notebooks/(\d\d_[a-z0-9_]+\.ipynb)\)", cell)
    assert match, f"no notebook link in {cell!r}"
    path = ROOT / "notebooks" / match.group(1)
    assert path.exists(), f"README links to {path.name}, which does not exist"
    return json.loads(path.read_text(encoding="utf-8"))


def test_every_notebook_is_on_the_course_map():
    listed = set(re.findall(r"notebooks/(\d\d_[a-z0-9_]+\.ipynb)", README.split("## Course map", 1)[1].split("\n## ", 1)[0]))
    on_disk = {path.name for path in (ROOT / "notebooks").glob("*.ipynb")}
    assert on_disk <= listed, f"notebooks missing from the README's course map: {sorted(on_disk - listed)}"


def test_course_map_times_are_the_recorded_ones():
    for row in _table("Course map"):
        if "notebooks/" not in row[1]:
            continue
        course = _notebook(row[1])["metadata"]["course"]
        assert nbtool.time_text(course) in row[3], f"{row[1]}: README says {row[3]!r}, the last full run took {nbtool.time_text(course)}"


def test_results_and_benchmarks_tables_are_what_the_command_writes():
    assert nbtool.readme_text(README) == README, "README.md's tables are out of date: run `make readme`"


def test_every_notebook_reports_a_result_row():
    rows = _table("Results")
    reported = {re.search(r"notebooks/(\d\d)_", row[0]).group(1) for row in rows}
    on_disk = {path.name[:2] for path in (ROOT / "notebooks").glob("*.ipynb")}
    assert on_disk <= reported, f"notebooks without a utils.results.report row: {sorted(on_disk - reported)}"
