"""The README's course map and results table agree with the committed notebooks: every listed
notebook exists, its time is the one recorded by `make execute`, and every result quoted in the
README appears in that notebook's stored outputs (so no number is typed in by hand)."""

import json
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
NUMBER = re.compile(r"\d+(?:\.\d+)?")


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


def _outputs_text(nb):
    parts = []
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            text = output.get("text") or output.get("data", {}).get("text/plain", "") or output.get("data", {}).get("text/markdown", "")
            parts.append("".join(text) if isinstance(text, list) else text)
            html = output.get("data", {}).get("text/html", "")
            parts.append("".join(html) if isinstance(html, list) else html)
    return "\n".join(parts)


def test_every_notebook_is_on_the_course_map():
    listed = set(re.findall(r"notebooks/(\d\d_[a-z0-9_]+\.ipynb)", README.split("## Course map", 1)[1].split("\n## ", 1)[0]))
    on_disk = {path.name for path in (ROOT / "notebooks").glob("*.ipynb")}
    assert on_disk <= listed, f"notebooks missing from the README's course map: {sorted(on_disk - listed)}"


def test_course_map_times_are_the_recorded_ones():
    for row in _table("Course map"):
        if "notebooks/" not in row[1]:
            continue
        nb = _notebook(row[1])
        seconds = nb["metadata"]["course"]["execution_seconds"]
        minutes = max(1, round(seconds / 60))
        assert f"~{minutes} min" in row[3], f"{row[1]}: README says {row[3]!r}, the last full run took {seconds}s (~{minutes} min)"


def test_results_appear_in_the_notebook_outputs():
    rows = _table("Results")
    assert rows, "the README's results table is empty"
    for row in rows:
        text = _outputs_text(_notebook(row[0]))
        for number in NUMBER.findall(row[2].replace("*", "")):
            assert number in text, f"{row[0]}: the README's result {number} is not in the notebook's outputs"
