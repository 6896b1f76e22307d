"""Glyphs rendered offline from the fonts that ship with matplotlib, for notebook 15's font VAE.

matplotlib's wheel carries, in ``matplotlib.get_data_path()/fonts/ttf``, the DejaVu families (Sans, Sans Mono,
Serif, each regular, bold, oblique/italic and bold oblique/italic), STIX General (four styles) and six Computer
Modern faces (roman, bold, sans, typewriter, math italic): the 21 fonts of ``FONT_FILES`` (present in every matplotlib the course supports), all with the
26 capital letters. (Licences: DejaVu's is a free Bitstream Vera derivative, STIX's the SIL Open Font License,
Computer Modern's the BaKoMa fonts' licence; data/README.md says where each licence text is.)

``render_glyph`` turns a letter's outline (``matplotlib.textpath.TextPath``) into a ``size`` x ``size`` grey image:
every font is scaled so that its capital H is ``2/3`` of the image high, letters stand on a common baseline and are
centred horizontally, and the outline is filled (even-odd rule, so the counters of A, B, O stay open) at 4x resolution and averaged down (anti-aliasing). Two optional
style knobs widen the data: ``slant`` shears the outline (an oblique), ``weight`` thickens (> 0) or thins (< 0) the
strokes by dilating or eroding the 4x image by that many fine pixels. Everything is deterministic and tested in
``tests/test_glyphs.py``.
"""

from __future__ import annotations

import functools
import pathlib
import string
from collections.abc import Sequence

import numpy as np

from . import _checks

LETTERS = string.ascii_uppercase
FONT_FILES = (
    "DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf", "DejaVuSans-BoldOblique.ttf",
    "DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf", "DejaVuSansMono-Oblique.ttf", "DejaVuSansMono-BoldOblique.ttf",
    "DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf", "DejaVuSerif-Italic.ttf", "DejaVuSerif-BoldItalic.ttf",
    "STIXGeneral.ttf", "STIXGeneralBol.ttf", "STIXGeneralItalic.ttf", "STIXGeneralBolIta.ttf",
    "cmr10.ttf", "cmb10.ttf", "cmss10.ttf", "cmtt10.ttf", "cmmi10.ttf",  # not cmti10: new in matplotlib 3.11 (Colab has 3.10)
)
SUPERSAMPLE = 4


def font_dir() -> pathlib.Path:
    """The folder of matplotlib's bundled TrueType fonts. Example: ``font_dir() / "DejaVuSans.ttf"``"""
    import matplotlib

    return pathlib.Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def font_names() -> list[str]:
    """The 21 bundled fonts, by name (file name without .ttf). Example: ``font_names()[0] == "DejaVuSans"``"""
    missing = [name for name in FONT_FILES if not (font_dir() / name).is_file()]
    if missing:
        raise FileNotFoundError(f"matplotlib's font folder {font_dir()} lacks {missing}; reinstall matplotlib (pip install "
                                "--force-reinstall matplotlib) or pass fonts that exist")
    return [name[:-4] for name in FONT_FILES]


@functools.lru_cache(maxsize=64)
def _properties(font: str):
    from matplotlib.font_manager import FontProperties

    path = font_dir() / f"{font}.ttf"
    if not path.is_file():
        raise ValueError(f"unknown font {font!r}: use one of font_names() ({', '.join(name[:-4] for name in FONT_FILES[:4])}, ...)")
    return FontProperties(fname=str(path))


@functools.lru_cache(maxsize=64)
def _cap_height(font: str) -> float:
    from matplotlib.textpath import TextPath

    return float(TextPath((0, 0), "H", size=100, prop=_properties(font)).get_extents().height)


def _fine_ink(font: str, char: str, size: int, slant: float) -> np.ndarray:
    """The filled outline at SUPERSAMPLE x resolution: a boolean (fine, fine) image."""
    from matplotlib.path import Path
    from matplotlib.textpath import TextPath

    path = TextPath((0, 0), char, size=100, prop=_properties(font))
    fine = size * SUPERSAMPLE
    scale = (2 / 3) * fine / _cap_height(font)  # font units -> fine pixels: a capital H is 2/3 of the image high
    vertices = path.vertices.astype("float64") * scale
    vertices[:, 0] += slant * vertices[:, 1]  # shear about the baseline
    drawn = vertices[path.codes != Path.CLOSEPOLY] if path.codes is not None else vertices  # a CLOSEPOLY vertex is a dummy
    if len(drawn):
        left, right = drawn[:, 0].min(), drawn[:, 0].max()
        vertices[:, 0] += fine / 2 - (left + right) / 2  # centred horizontally
    baseline = fine * 0.8
    vertices[:, 1] = baseline - vertices[:, 1]  # image rows grow downwards
    centres = (np.arange(fine) + 0.5)
    points = np.stack(np.meshgrid(centres, centres), axis=-1).reshape(-1, 2)  # (x, y) of every fine pixel
    ink = np.zeros(len(points), dtype=bool)
    for polygon in Path(vertices, path.codes).to_polygons(closed_only=True):  # even-odd rule: holes (A, B, O...) stay empty
        ink ^= Path(polygon).contains_points(points)
    return ink.reshape(fine, fine)


def _finish(ink: np.ndarray, size: int, weight: int) -> np.ndarray:
    """Thicken or thin the fine image by ``weight`` fine pixels, then average it down to (size, size)."""
    if weight:
        import scipy.ndimage

        morph = scipy.ndimage.binary_dilation if weight > 0 else scipy.ndimage.binary_erosion
        ink = morph(ink, iterations=abs(int(weight)))
    return ink.reshape(size, SUPERSAMPLE, size, SUPERSAMPLE).mean(axis=(1, 3)).astype("float32")


def _check_style(char: str, size: int, slant: float, weight: int) -> tuple[int, float]:
    if not isinstance(char, str) or len(char) != 1 or char not in LETTERS:
        raise ValueError(f"char must be one capital letter A-Z, got {char!r}")
    size = _checks.positive_int("size", size, minimum=8)
    slant = _checks.number_in("slant", slant, -0.5, 0.5)
    if isinstance(weight, bool) or not isinstance(weight, (int, np.integer)) or abs(weight) > SUPERSAMPLE:
        raise ValueError(f"weight must be a whole number of fine pixels in [-{SUPERSAMPLE}, {SUPERSAMPLE}], got {weight!r}")
    return size, slant


def render_glyph(font: str, char: str, *, size: int = 24, slant: float = 0.0, weight: int = 0) -> np.ndarray:
    """One letter as a float32 (size, size) image in [0, 1], ink = 1. Example: ``render_glyph("DejaVuSans", "A")``"""
    size, slant = _check_style(char, size, slant, weight)
    return _finish(_fine_ink(font, char, size, slant), size, weight)


def render_font(font: str, chars: str = LETTERS, *, size: int = 24, slant: float = 0.0, weight: int = 0) -> np.ndarray:
    """All ``chars`` of one font and style: float32 (len(chars), size, size). Example: ``render_font("cmr10").shape == (26, 24, 24)``"""
    if not isinstance(chars, str) or not chars:
        raise ValueError(f"chars must be a non-empty string of capital letters, got {chars!r}")
    return np.stack([render_glyph(font, char, size=size, slant=slant, weight=weight) for char in chars])


def render_styles(fonts: Sequence[str], slants: Sequence[float] = (0.0,), weights: Sequence[int] = (0,), *,
                  chars: str = LETTERS, size: int = 24) -> tuple[np.ndarray, list[tuple[str, float, int]]]:
    """Every font x slant x weight as one style: (images (styles, chars, size, size), [(font, slant, weight), ...]).
    Example: ``images, styles = render_styles(["DejaVuSans", "cmr10"], slants=(0.0, 0.2))``"""
    if isinstance(fonts, str) or not fonts:
        raise ValueError("fonts must be a non-empty list of font names (see font_names())")
    styles = [(font, float(slant), int(weight)) for font in fonts for slant in slants for weight in weights]
    for _, slant, weight in styles[:len(slants) * len(weights)]:
        _check_style("A", size, slant, weight)
    images = np.zeros((len(styles), len(chars), size, size), dtype="float32")
    for f, font in enumerate(fonts):
        for s, slant in enumerate(slants):
            for c, char in enumerate(chars):
                _check_style(char, size, slant, 0)
                ink = _fine_ink(font, char, size, float(slant))  # filled once, thickened or thinned per weight
                for w, weight in enumerate(weights):
                    images[(f * len(slants) + s) * len(weights) + w, c] = _finish(ink, size, int(weight))
    return images, styles
