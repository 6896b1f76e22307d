"""utils.results: numbers keep their sign and unit, verdicts follow the target, bad rows get clear errors."""

import pytest

from utils import results


@pytest.mark.parametrize("value, fmt, unit, text", [
    (-1.2694, ".3f", "", "\u22121.269"),
    (0.973, ".1%", "", "97.3%"),
    (25.724, ".2f", "", "25.72"),
    (5756, ",d", "steps", "5,756 steps"),
    (0.197, ".3f", "bits/pixel", "0.197 bits/pixel"),
    (3.0, ".0f", "/8", "3/8"),
])
def test_format_number(value, fmt, unit, text):
    assert results.format_number(value, fmt, unit) == text


@pytest.mark.parametrize("value, fmt, error", [
    ("2.0", ".3f", TypeError), (True, ".3f", TypeError), (float("nan"), ".3f", ValueError), (1.0, ".3q", ValueError), (1.0, 3, TypeError),
])
def test_format_number_rejects_bad_input(value, fmt, error):
    with pytest.raises(error):
        results.format_number(value, fmt)


def test_row_and_verdicts():
    met = results.row("accuracy", {"cVAE": (0.973, ".1%")}, {"chance": (0.1, ".0%")}, target={"of": "cVAE", "value": 0.9, "better": "higher", "fmt": ".0%"})
    assert results.markdown_cells(met) == ("accuracy", "cVAE **97.3%**", "target ≥ 90%: **met**; chance 10%")
    missed = results.row("bits/char", {"ours": 2.1}, target={"of": "ours", "value": 2.0, "better": "lower", "fmt": ".1f"})
    assert missed["target"]["met"] is False and "**missed**" in results.markdown_cells(missed)[2]


@pytest.mark.parametrize("kwargs, message", [
    (dict(measure="", results={"a": 1.0}), "measure"),
    (dict(measure="m", results={}), "non-empty dict"),
    (dict(measure="m", results={"": 1.0}), "non-empty string"),
    (dict(measure="m", results={"a": (1.0, ".3f", "", "extra")}), "value, \\(value, fmt\\)"),
    (dict(measure="m", results={"a": 1.0}, target={"of": "b", "value": 1, "better": "lower"}), "must name one of the results"),
    (dict(measure="m", results={"a": 1.0}, target={"of": "a", "value": 1, "better": "smaller"}), "'higher' or 'lower'"),
    (dict(measure="m", results={"a": 1.0}, target={"value": 1}), "'of'"),
])
def test_row_rejects_bad_rows(kwargs, message):
    with pytest.raises((TypeError, ValueError), match=message):
        results.row(**kwargs)
