"""Tests for utils/glyphs.py (notebook 15): every bundled font renders every capital letter, glyphs are placed
consistently (common baseline and cap height, centred), the style knobs act as documented, bad inputs fail clearly."""

import numpy as np
import pytest

from utils import glyphs


def test_every_bundled_font_renders_every_letter():
    names = glyphs.font_names()
    assert len(names) == 21 and {"DejaVuSans", "STIXGeneral", "cmr10"} <= set(names)
    images = np.stack([glyphs.render_font(name) for name in names])
    assert images.shape == (21, 26, 24, 24) and images.dtype == np.float32
    assert images.min() >= 0 and images.max() <= 1
    ink = images.sum(axis=(2, 3))
    assert ink.min() > 8  # no blank (missing) glyph
    distinct = [len({glyph.tobytes() for glyph in font}) for font in images]
    assert min(distinct) == 26  # a font with a missing-glyph box would repeat it


def test_placement_common_baseline_and_centre():
    h = glyphs.render_glyph("DejaVuSans", "H")
    rows = np.flatnonzero(h.max(axis=1) > 0.5)
    assert rows[-1] == 18 and 15 <= rows[-1] - rows[0] + 1 <= 17  # stands on the baseline (row 19.2), 2/3 of 24 high
    columns = np.flatnonzero(h.max(axis=0) > 0.01)
    assert abs((columns[0] + columns[-1]) / 2 - 11.5) <= 0.5
    for font in ("cmr10", "STIXGeneral", "DejaVuSerif-Bold"):
        other = glyphs.render_glyph(font, "E")
        assert np.flatnonzero(other.max(axis=1) > 0.5)[-1] == 18


def test_counters_stay_open():
    o = glyphs.render_glyph("DejaVuSans", "O")
    assert o[11, 11] < 0.1 and o[11].max() > 0.9  # the hole of the O is empty, its sides are ink


def test_style_knobs():
    plain = glyphs.render_glyph("DejaVuSans", "I")
    bold = glyphs.render_glyph("DejaVuSans", "I", weight=2)
    thin = glyphs.render_glyph("DejaVuSans", "I", weight=-1)
    assert thin.sum() < plain.sum() < bold.sum()
    slanted = glyphs.render_glyph("DejaVuSans", "I", slant=0.3)
    top, bottom = (np.average(np.arange(24), weights=slanted[row]) for row in (7, 18))
    assert top > bottom + 2  # leans right: the top of the stroke sits further right than its foot
    images, styles = glyphs.render_styles(["cmr10", "cmtt10"], slants=(0.0, 0.2), weights=(0, 1), chars="AB", size=16)
    assert images.shape == (8, 2, 16, 16) and styles[1] == ("cmr10", 0.0, 1) and styles[-1] == ("cmtt10", 0.2, 1)


def test_bad_inputs_have_clear_errors():
    with pytest.raises(ValueError, match="one capital letter"):
        glyphs.render_glyph("DejaVuSans", "a")
    with pytest.raises(ValueError, match="one capital letter"):
        glyphs.render_glyph("DejaVuSans", "AB")
    with pytest.raises(ValueError, match="unknown font 'Comic'"):
        glyphs.render_glyph("Comic", "A")
    with pytest.raises(ValueError, match="slant"):
        glyphs.render_glyph("DejaVuSans", "A", slant=2)
    with pytest.raises(ValueError, match="weight"):
        glyphs.render_glyph("DejaVuSans", "A", weight=9)
    with pytest.raises(ValueError, match="size"):
        glyphs.render_glyph("DejaVuSans", "A", size=4)
    with pytest.raises(ValueError, match="non-empty string"):
        glyphs.render_font("DejaVuSans", "")
    with pytest.raises(ValueError, match="non-empty list"):
        glyphs.render_styles("DejaVuSans")
