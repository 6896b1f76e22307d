"""The headline numbers of a notebook, shown to the learner and read back into the README.

``report`` displays one results row (a measure, the model's numbers, the baselines that give
them meaning, and an optional target with its verdict) as a small table, and stores the same
row in the cell's output under the MIME type ``RESULT_MIME``. ``tools/nbtool.py readme`` reads
those rows from the committed notebooks and writes the README's Results table, so no number in
it is typed by hand.

Example::

    utils.results.report(
        "validation bits per character (lower is better)",
        results={"GRU": (gru_bpc, ".3f")},
        baselines={"bigram": (bigram_bpc, ".3f"), "uniform": (uniform_bpc, ".3f")},
        target={"of": "GRU", "value": 2.5, "better": "lower", "fmt": ".1f"},
    )
"""

from __future__ import annotations

import math
from typing import Any

RESULT_MIME = "application/vnd.genai-course.result+json"
MINUS = "\u2212"  # a real minus sign, so that −1.269 never reads as 1.269 or a dash


def format_number(value: float, fmt: str = ".3f", unit: str = "") -> str:
    """Format ``value`` with ``fmt`` (e.g. ".3f", ".1%", ",d"), a true minus sign and an optional unit.

    Example: ``format_number(-1.2694, ".3f") == "−1.269"``; ``format_number(0.973, ".1%") == "97.3%"``
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)) and not hasattr(value, "__float__"):
        raise TypeError(f"value must be a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"value must be finite, got {number}")
    if not isinstance(fmt, str):
        raise TypeError(f"fmt must be a format string such as '.3f', got {fmt!r}")
    try:
        text = format(int(round(number)) if fmt.endswith("d") else number, fmt)
    except ValueError as error:
        raise ValueError(f"fmt {fmt!r} is not a valid number format ({error}); try '.3f' or '.1%'") from None
    text = text.replace("-", MINUS)
    unit = unit.strip() if isinstance(unit, str) else ""
    if not unit:
        return text
    return text + unit if unit[0] in "%/" else f"{text} {unit}"


def _entries(name: str, values: Any) -> list[dict]:
    if values is None:
        return []
    if not isinstance(values, dict) or not values:
        raise TypeError(f"{name} must be a non-empty dict of label -> value or (value, fmt) or (value, fmt, unit), got {values!r}")
    entries = []
    for label, spec in values.items():
        if not isinstance(label, str) or not label.strip():
            raise ValueError(f"{name}: every label must be a non-empty string, got {label!r}")
        parts = spec if isinstance(spec, tuple) else (spec,)
        if not 1 <= len(parts) <= 3:
            raise ValueError(f"{name}[{label!r}] must be value, (value, fmt) or (value, fmt, unit), got {spec!r}")
        value, fmt, unit = (*parts, ".3f", "")[:3] if len(parts) == 1 else (*parts, "")[:3]
        entries.append({"label": label, "value": float(value), "text": format_number(value, fmt, unit)})
    return entries


def _verdict(target: dict, results: list[dict]) -> dict:
    if not isinstance(target, dict) or not {"of", "value", "better"} <= set(target):
        raise ValueError("target must be a dict with 'of' (a result label), 'value' and 'better' ('higher' or 'lower')")
    if target["better"] not in ("higher", "lower"):
        raise ValueError(f"target['better'] must be 'higher' or 'lower', got {target['better']!r}")
    by_label = {entry["label"]: entry for entry in results}
    if target["of"] not in by_label:
        raise ValueError(f"target['of'] must name one of the results {sorted(by_label)}, got {target['of']!r}")
    value = float(by_label[target["of"]]["value"])
    goal = float(target["value"])
    met = value >= goal if target["better"] == "higher" else value <= goal
    sign = "≥" if target["better"] == "higher" else "≤"
    text = f"target {sign} {format_number(goal, target.get('fmt', '.3f'), target.get('unit', ''))}"
    return {"of": target["of"], "value": goal, "better": target["better"], "text": text, "met": met}


def row(measure: str, results: dict, baselines: dict | None = None, target: dict | None = None) -> dict:
    """The results row as plain data (what ``report`` displays and stores). Example: see the module docstring."""
    if not isinstance(measure, str) or not measure.strip():
        raise ValueError("measure must say what is measured, e.g. 'validation bits per character (lower is better)'")
    entries = _entries("results", results)
    if not entries:
        raise ValueError("results must hold at least one number")
    data = {"measure": measure.strip(), "results": entries, "baselines": _entries("baselines", baselines)}
    if target is not None:
        data["target"] = _verdict(target, entries)
    return data


def markdown_cells(data: dict) -> tuple[str, str, str]:
    """The Measure, Result and Baselines/target cells of a README row for ``data`` (from ``row``)."""
    def joined(entries, bold):
        parts = []
        for entry in entries:
            number = f"**{entry['text']}**" if bold else entry["text"]
            parts.append(number if entry["label"] in ("", "-") else f"{entry['label']} {number}")
        return (" · " if bold else ", ").join(parts)

    result = joined(data["results"], bold=True)
    baselines = joined(data["baselines"], bold=False)
    if "target" in data:
        verdict = "met" if data["target"]["met"] else "missed"
        baselines = "; ".join(part for part in (f"{data['target']['text']}: **{verdict}**", baselines) if part)
    return data["measure"], result, baselines


def report(measure: str, results: dict, baselines: dict | None = None, target: dict | None = None) -> dict:
    """Display a results row and store it for the README (see the module docstring); returns the row."""
    from IPython.display import display

    data = row(measure, results, baselines, target)
    cells = markdown_cells(data)
    table = "| Measure | Result | Baselines / target |\n|---|---|---|\n| " + " | ".join(cells) + " |"
    plain = f"{cells[0]}: {cells[1].replace('**', '')}" + (f" ({cells[2].replace('**', '')})" if cells[2] else "")
    display({RESULT_MIME: data, "text/markdown": table, "text/plain": plain}, raw=True)
    return data
