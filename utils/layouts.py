"""App-screen layouts for notebook 15: a procedural generator, validity measures, a box tokeniser and wireframes.

A layout is a phone screen on a design grid of ``GRID_W`` x ``GRID_H`` cells (12 columns, 24 rows), holding labelled
boxes: an int array of shape (n, 5), one row ``(category, x, y, w, h)`` per box, in grid cells, the top-left corner at
``(x, y)``, sorted top to bottom then left to right (``sort_boxes``). Categories are ``CATEGORIES``; every screen also
has a type, one of ``SCREEN_TYPES``.

The generator (``generate_screen``) draws one of four screen types, each from a few rules:

- every screen has a header across the top (rows 0-1); feeds and lists end with a tab bar (rows 22-23), articles
  have one half of the time; content sits inside a side margin of 0 or 1 column, blocks are separated by gaps of
  0 or 1 row;
- **feed**: an optional section title, then a grid of 1, 2 or 3 columns of cards (an image 3-5 rows high, a title
  row, optionally a text row), as many rows of cards as fit;
- **form**: an optional centred logo (image), a title, 2-4 input fields, a button (full width or centred) and an
  optional text link;
- **article**: a wide image 5-8 rows high, a title, 1-3 paragraphs, and one or two buttons side by side at the end;
- **list**: an optional search field (input), then rows 2 or 3 high of an icon, a list item and, on some screens,
  a small button (a toggle) at the right, as many rows as fit.

Boxes never overlap and never leave the canvas (``violations`` checks both; the tests run it on thousands of
screens). Everything is deterministic given the ``numpy.random.Generator`` and tested in ``tests/test_layouts.py``;
the models that learn layouts stay in the notebook.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from . import _checks

GRID_W, GRID_H = 12, 24
CATEGORIES = ("header", "tab_bar", "image", "title", "text", "button", "input", "icon", "list_item")
SCREEN_TYPES = ("feed", "form", "article", "list")
HEADER, TAB_BAR, IMAGE, TITLE, TEXT, BUTTON, INPUT, ICON, LIST_ITEM = range(len(CATEGORIES))
MAX_BOXES = 22  # the generator stops adding rows of cards or list items before a screen holds more boxes
COLORS = ("#4c72b0", "#4c72b0", "#dd8452", "#222222", "#8c8c8c", "#55a868", "#8172b3", "#c44e52", "#937860")


# ----------------------------------------------------------------------------- layouts as arrays


def check_layout(layout, *, name: str = "layout", inside: bool = True) -> np.ndarray:
    """A layout as an int (n, 5) array of (category, x, y, w, h), or a clear error. Example: ``check_layout([[0, 0, 0, 12, 2]])``

    ``inside=True`` also requires every box to lie on the canvas with w, h >= 1 (the validity measures pass False,
    since counting boxes outside the canvas is their job)."""
    array = _checks.as_array(name, layout, ndim=(1, 2))
    if array.ndim == 1 and array.size == 0 or array.ndim == 2 and len(array) == 0:
        raise ValueError(f"{name} is empty: a layout needs at least one box (category, x, y, w, h)")
    if array.ndim == 1 or array.shape[1] != 5:
        raise ValueError(f"{name} must have shape (number of boxes, 5), one row (category, x, y, w, h) per box; got {array.shape}")
    if not np.issubdtype(array.dtype, np.integer) and not np.all(array == np.round(array)):
        raise TypeError(f"{name} must hold whole grid cells; quantise float boxes first with utils.layouts.quantise(...)")
    array = array.astype(np.int64)
    categories = array[:, 0]
    if categories.min() < 0 or categories.max() >= len(CATEGORIES):
        bad = int(categories.min() if categories.min() < 0 else categories.max())
        raise ValueError(f"{name} holds the unknown category {bad}; categories are 0..{len(CATEGORIES) - 1} for {CATEGORIES}")
    if inside:
        outside = np.flatnonzero(~_inside(array))
        if len(outside):
            box = array[outside[0]].tolist()
            raise ValueError(f"{name}: box {int(outside[0])} {box} (category, x, y, w, h) lies outside the {GRID_W} x {GRID_H} canvas "
                             f"or has w or h < 1; keep 0 <= x, x + w <= {GRID_W}, 0 <= y, y + h <= {GRID_H}")
    return array


def _inside(layout: np.ndarray) -> np.ndarray:
    _, x, y, w, h = layout.T
    return (x >= 0) & (y >= 0) & (w >= 1) & (h >= 1) & (x + w <= GRID_W) & (y + h <= GRID_H)


def sort_boxes(layout) -> np.ndarray:
    """The boxes in reading order: top to bottom, then left to right (then by category). Example: ``sort_boxes(layout)``"""
    layout = check_layout(layout, inside=False)
    return layout[np.lexsort((layout[:, 0], layout[:, 1], layout[:, 2]))]


def layout_key(layout) -> bytes:
    """A hashable key of a layout's box set (order-free), for duplicate checks. Example: ``layout_key(a) == layout_key(b)``"""
    return sort_boxes(layout).astype(np.int16).tobytes()


def quantise(boxes, *, canvas: tuple[float, float] = (1.0, 2.0)) -> np.ndarray:
    """Float boxes (category, x, y, w, h) on a canvas of ``canvas`` = (width, height) units -> whole grid cells.

    Corners are rounded to the nearest grid line, so a box keeps at least one cell. Example:
    ``quantise([[2, 0.0, 0.26, 1.0, 0.5]])`` -> ``[[2, 0, 3, 12, 6]]`` on the default 1 x 2 canvas."""
    array = _checks.as_array("boxes", boxes, ndim=2)
    if len(array) == 0 or array.shape[1] != 5:
        raise ValueError(f"boxes must have shape (number of boxes, 5) with at least one box, got {array.shape}")
    width, height = (float(v) for v in canvas)
    if width <= 0 or height <= 0:
        raise ValueError(f"canvas must be a positive (width, height), got {canvas}")
    left, top = np.round(array[:, 1] / width * GRID_W), np.round(array[:, 2] / height * GRID_H)
    right = np.round((array[:, 1] + array[:, 3]) / width * GRID_W)
    bottom = np.round((array[:, 2] + array[:, 4]) / height * GRID_H)
    out = np.stack([array[:, 0], left, top, np.maximum(right - left, 1), np.maximum(bottom - top, 1)], axis=1)
    return check_layout(out.astype(np.int64), name="boxes", inside=False)


# ----------------------------------------------------------------------------- the procedural generator


def _header_and_footer(rng: np.random.Generator, tab_bar: bool) -> tuple[list, int, int]:
    header_h = int(rng.integers(2, 4))
    boxes = [(HEADER, 0, 0, GRID_W, header_h)]
    if tab_bar:
        boxes.append((TAB_BAR, 0, GRID_H - 2, GRID_W, 2))
    return boxes, header_h, GRID_H - 2 if tab_bar else GRID_H


def _feed(rng, margin, gap, boxes, top, bottom):
    options = [(1, m, 0) for m in (0, 1)] + [(2, 0, 0), (2, 1, 0), (2, 0, 2), (2, 1, 2), (3, 0, 0), (3, 0, 3), (3, 1, 1)]
    columns, margin, gutter = options[rng.integers(len(options))]
    card_w = (GRID_W - 2 * margin - (columns - 1) * gutter) // columns
    y = top + gap
    if rng.random() < 0.3:  # a banner across the screen
        banner_h = int(rng.integers(3, 6))
        boxes.append((IMAGE, margin, y, GRID_W - 2 * margin, banner_h))
        y += banner_h + 1
    if rng.random() < 0.4:
        boxes.append((TITLE, margin, y, GRID_W - 2 * margin, 1))
        y += 1 + gap
    image_h, with_text = int(rng.integers(2, 6)), bool(rng.random() < 0.5 and columns < 3)
    card_h = image_h + 1 + with_text
    rows = 0
    while y + card_h <= bottom and len(boxes) + columns * (2 + with_text) <= MAX_BOXES:
        for column in range(columns):
            x = margin + column * (card_w + gutter)
            boxes += [(IMAGE, x, y, card_w, image_h), (TITLE, x, y + image_h, card_w, 1)]
            if with_text:
                boxes.append((TEXT, x, y + image_h + 1, card_w, 1))
        y += card_h + max(gap, 1 if columns == 1 else gap)
        rows += 1
        if rows >= 1 and rng.random() < 0.3:
            break


def _form(rng, margin, gap, boxes, top, bottom):
    y, width = top + 1 + gap, GRID_W - 2 * margin
    inputs = int(rng.integers(2, 5))
    needed = 2 + 1 + inputs * (2 + gap) + 1 - gap + 2  # title, inputs, button
    if rng.random() < 0.6:
        logo_w, logo_h = (4, 6, 8)[rng.integers(3)], int(rng.integers(2, 5))
        if y + logo_h + 1 + needed <= bottom:
            boxes.append((IMAGE, (GRID_W - logo_w) // 2, y, logo_w, logo_h))
            y += logo_h + 1
    boxes.append((TITLE, margin, y, width, 2))
    y += 2 + 1
    for _ in range(inputs):
        boxes.append((INPUT, margin, y, width, 2))
        y += 2 + gap
    y += 1 - gap
    button_w = (width, 8, 6)[rng.integers(3)]
    boxes.append((BUTTON, (GRID_W - button_w) // 2, y, button_w, 2))
    y += 2 + 1
    if rng.random() < 0.5 and y + 1 <= bottom:
        boxes.append((TEXT, (GRID_W - 6) // 2, y, 6, 1))


def _article(rng, margin, gap, boxes, top, bottom):
    full = rng.random() < 0.5  # the image bleeds to the edges, or keeps the margin
    image_x, image_w = (0, GRID_W) if full else (margin, GRID_W - 2 * margin)
    image_h = int(rng.integers(5, 9))
    boxes.append((IMAGE, image_x, top + gap, image_w, image_h))
    y, width = top + gap + image_h + 1, GRID_W - 2 * margin
    boxes.append((TITLE, margin, y, width, 2))
    y += 2 + gap
    buttons = int(rng.integers(1, 3))
    for _ in range(int(rng.integers(1, 4))):
        height = int(rng.integers(2, 5))
        if y + height + gap + 2 > bottom:
            break
        boxes.append((TEXT, margin, y, width, height))
        y += height + gap
    y = max(y + 1, bottom - 2 - (1 if bottom == GRID_H else 0))
    if y + 2 <= bottom:
        if buttons == 1:
            boxes.append((BUTTON, margin, y, width, 2))
        else:
            button_w = (width - 2) // 2
            boxes += [(BUTTON, margin, y, button_w, 2), (BUTTON, GRID_W - margin - button_w, y, button_w, 2)]


def _list(rng, margin, gap, boxes, top, bottom):
    y, width = top + gap, GRID_W - 2 * margin
    if rng.random() < 0.5:
        boxes.append((INPUT, margin, y, width, 2))
        y += 2 + 1
    row_h, toggle = int(rng.integers(2, 4)), bool(rng.random() < 0.4)
    item_x = margin + 2 + (1 if row_h == 3 else 0)
    item_w = GRID_W - margin - item_x - (3 if toggle else 0)
    while y + row_h <= bottom and len(boxes) + 3 <= MAX_BOXES:
        if rng.random() < 0.2 and y + 1 + row_h <= bottom:  # a section title between groups of rows
            boxes.append((TITLE, margin, y, GRID_W - 2 * margin, 1))
            y += 1
        boxes += [(ICON, margin, y, 2, 2), (LIST_ITEM, item_x, y, item_w, row_h)]
        if toggle:
            boxes.append((BUTTON, GRID_W - margin - 2, y, 2, 2))
        y += row_h + gap
        if rng.random() < 0.1:
            break


def generate_screen(rng: np.random.Generator, screen_type: str | None = None) -> tuple[np.ndarray, str]:
    """One procedural screen and its type (the module docstring gives the rules). Example: ``generate_screen(np.random.default_rng(0))``"""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator (np.random.default_rng(seed)), got {type(rng).__name__}")
    if screen_type is None:
        screen_type = SCREEN_TYPES[rng.integers(len(SCREEN_TYPES))]
    _checks.one_of("screen_type", screen_type, SCREEN_TYPES)
    tab_bar = screen_type in ("feed", "list") or (screen_type == "article" and rng.random() < 0.5)
    boxes, top, bottom = _header_and_footer(rng, tab_bar)
    margin, gap = int(rng.integers(2)), int(rng.integers(2))
    {"feed": _feed, "form": _form, "article": _article, "list": _list}[screen_type](rng, margin, gap, boxes, top, bottom)
    return sort_boxes(np.array(boxes, dtype=np.int64)), screen_type


def generate_screens(count: int, *, seed: int = 0) -> tuple[list[np.ndarray], np.ndarray]:
    """``count`` screens from one seed: (list of layouts, their type ids into SCREEN_TYPES). Example: ``generate_screens(100)``"""
    count = _checks.positive_int("count", count)
    rng = np.random.default_rng(seed)
    layouts, types = [], []
    for _ in range(count):
        layout, screen_type = generate_screen(rng)
        layouts.append(layout)
        types.append(SCREEN_TYPES.index(screen_type))
    return layouts, np.array(types, dtype=np.int64)


# ----------------------------------------------------------------------------- validity measures


def overlaps(layout) -> list[tuple[int, int]]:
    """Pairs (i, j) of boxes that share area (touching edges is fine). Example: ``overlaps([[2, 0, 0, 4, 4], [4, 2, 2, 4, 4]])``"""
    layout = check_layout(layout, inside=False)
    _, x, y, w, h = layout.T
    dx = np.minimum(x + w, (x + w)[:, None]) - np.maximum(x, x[:, None])
    dy = np.minimum(y + h, (y + h)[:, None]) - np.maximum(y, y[:, None])
    shared = (dx > 0) & (dy > 0)
    i, j = np.nonzero(np.triu(shared, k=1))
    return list(zip(i.tolist(), j.tolist()))


def out_of_bounds(layout) -> list[int]:
    """Indices of boxes not wholly on the canvas (or with w or h < 1). Example: ``out_of_bounds([[2, 10, 0, 4, 2]]) == [0]``"""
    layout = check_layout(layout, inside=False)
    return np.flatnonzero(~_inside(layout)).tolist()


def misaligned(layout) -> list[int]:
    """Boxes whose left edge, horizontal centre and right edge each match no other box's (nor the canvas's)."""
    layout = check_layout(layout, inside=False)
    _, x, _, w, _ = layout.T
    edges = np.stack([2 * x, 2 * x + w, 2 * (x + w)], axis=1)  # in half cells, so that centres are whole numbers
    canvas = np.array([0, GRID_W, 2 * GRID_W])
    alone = []
    for index in range(len(layout)):
        others = np.delete(edges, index, axis=0)
        if not np.any(others == edges[index]) and not np.any(canvas == edges[index]):
            alone.append(index)
    return alone


def violations(layout) -> list[str]:
    """The rule violations of a layout, in words (empty when valid). Example: ``violations(layout) == []``"""
    layout = check_layout(layout, inside=False)
    problems = [f"box {i} is outside the canvas" for i in out_of_bounds(layout)]
    problems += [f"boxes {i} and {j} overlap" for i, j in overlaps(layout)]
    return problems


def is_valid(layout) -> bool:
    """True when no box overlaps another and every box lies on the canvas. Example: ``is_valid(generate_screen(rng)[0])``"""
    return not violations(layout)


def validity_report(layouts: Sequence) -> dict[str, float]:
    """Shares over a set of layouts (empty or unreadable ones count as invalid, given as None): valid, with overlaps,
    with boxes out of bounds, mean share of misaligned boxes, mean number of boxes. Example: ``validity_report(layouts)``"""
    if isinstance(layouts, np.ndarray) and layouts.ndim == 2 or not len(layouts):
        raise ValueError("layouts must be a non-empty list of layouts (each an (n, 5) array); for one layout use violations()")
    valid = overlap = outside = 0
    misaligned_shares, sizes = [], []
    for layout in layouts:
        if layout is None or len(layout) == 0:
            sizes.append(0)
            continue
        layout = check_layout(layout, inside=False)
        has_overlap, has_outside = bool(overlaps(layout)), bool(out_of_bounds(layout))
        overlap += has_overlap
        outside += has_outside
        valid += not (has_overlap or has_outside)
        misaligned_shares.append(len(misaligned(layout)) / len(layout))
        sizes.append(len(layout))
    count = len(layouts)
    return {"valid": valid / count, "overlap": overlap / count, "out_of_bounds": outside / count,
            "misaligned": float(np.mean(misaligned_shares)) if misaligned_shares else 1.0, "boxes": float(np.mean(sizes))}


def novelty(layouts: Sequence, training: Sequence) -> float:
    """Share of the (non-empty) layouts whose box set is not exactly one of the training layouts'. Example: ``novelty(samples, train)``"""
    known = {layout_key(layout) for layout in training}
    keys = [layout_key(layout) for layout in layouts if layout is not None and len(layout)]
    if not keys:
        raise ValueError("layouts holds no non-empty layout to compare")
    return float(np.mean([key not in known for key in keys]))


def raster(layouts: Sequence) -> np.ndarray:
    """Layouts as float32 images (n, GRID_H, GRID_W, categories): 1 where a box of that category covers a cell (the parts
    inside the canvas). Input of the notebook's layout classifier. Example: ``raster([layout]).shape == (1, 24, 12, 9)``"""
    out = np.zeros((len(layouts), GRID_H, GRID_W, len(CATEGORIES)), dtype="float32")
    for n, layout in enumerate(layouts):
        if layout is None or len(layout) == 0:
            continue
        for category, x, y, w, h in check_layout(layout, inside=False):
            out[n, max(y, 0):max(y + h, 0), max(x, 0):max(x + w, 0), category] = 1.0
    return out


# ----------------------------------------------------------------------------- the box tokeniser


class BoxTokenizer:
    """Layouts as token sequences: ``[BOS, type, c, x, y, w, h, c, x, y, w, h, ..., EOS]``.

    Each box is five tokens from five separate ranges of the vocabulary: its category, x (0..GRID_W-1),
    y (0..GRID_H-1), w (1..GRID_W) and h (1..GRID_H), in grid cells (quantise float boxes first). The screen type
    after BOS lets a model be conditioned on it. ``kind_mask(position)`` gives the tokens allowed at a position
    (the grammar), ``decode`` reads sequences back. Example::

        tokenizer = BoxTokenizer()
        ids = tokenizer.encode(layout, "feed")
        assert np.array_equal(tokenizer.decode(ids)[0], sort_boxes(layout))
    """

    KINDS = ("category", "x", "y", "w", "h")

    def __init__(self, max_boxes: int = 24):
        self.max_boxes = _checks.positive_int("max_boxes", max_boxes)
        self.PAD, self.BOS, self.EOS = 0, 1, 2
        self.offsets, start = {}, 3
        for kind, size in (("type", len(SCREEN_TYPES)), ("category", len(CATEGORIES)), ("x", GRID_W), ("y", GRID_H),
                           ("w", GRID_W), ("h", GRID_H)):
            self.offsets[kind] = (start, size)
            start += size
        self.vocab_size = start
        self.max_length = 2 + 5 * self.max_boxes + 1

    def _token(self, kind: str, value: int) -> int:
        start, size = self.offsets[kind]
        value = value - 1 if kind in ("w", "h") else value
        return start + value

    def encode(self, layout, screen_type: str | int) -> np.ndarray:
        """Token ids of one layout (its boxes in reading order) and its screen type. Example: ``tokenizer.encode(layout, "form")``"""
        layout = sort_boxes(check_layout(layout))
        if len(layout) > self.max_boxes:
            raise ValueError(f"the layout has {len(layout)} boxes, more than max_boxes={self.max_boxes}; build BoxTokenizer(max_boxes=...)")
        type_id = SCREEN_TYPES.index(screen_type) if isinstance(screen_type, str) and screen_type in SCREEN_TYPES else screen_type
        if isinstance(type_id, str) or not 0 <= int(type_id) < len(SCREEN_TYPES):
            raise ValueError(f"screen_type must be one of {SCREEN_TYPES} or its index, got {screen_type!r}")
        ids = [self.BOS, self._token("type", int(type_id))]
        for box in layout:
            ids += [self._token(kind, int(value)) for kind, value in zip(self.KINDS, box)]
        return np.array(ids + [self.EOS], dtype=np.int32)

    def encode_batch(self, layouts: Sequence, types: Sequence) -> np.ndarray:
        """Padded (n, max_length) int32 array of token ids (PAD = 0 after EOS). Example: ``tokenizer.encode_batch(layouts, types)``"""
        if len(layouts) != len(types):
            raise ValueError(f"layouts and types must have the same length, got {len(layouts)} and {len(types)}")
        out = np.full((len(layouts), self.max_length), self.PAD, dtype=np.int32)
        for n, (layout, screen_type) in enumerate(zip(layouts, types)):
            ids = self.encode(layout, screen_type)
            out[n, :len(ids)] = ids
        return out

    def kind_at(self, position: int) -> str:
        """Which kind of token the grammar puts at a sequence position: "bos", "type", "category" (or EOS), "x", "y", "w", "h"."""
        if position == 0:
            return "bos"
        if position == 1:
            return "type"
        return self.KINDS[(position - 2) % 5]

    def kind_mask(self, position: int) -> np.ndarray:
        """Boolean mask over the vocabulary: the tokens the grammar allows at ``position`` (EOS only where a box may start)."""
        mask = np.zeros(self.vocab_size, dtype=bool)
        kind = self.kind_at(position)
        if kind == "bos":
            mask[self.BOS] = True
            return mask
        start, size = self.offsets[kind]
        mask[start:start + size] = True
        if kind == "category":
            mask[self.EOS] = True
        return mask

    def decode(self, ids, *, strict: bool = True) -> tuple[np.ndarray | None, str | None]:
        """(layout, screen type) from token ids. ``strict=False`` reads generated sequences: it stops at EOS or at the first
        token of the wrong kind, drops an unfinished box, and returns (None, type) when no whole box is left."""
        ids = [int(i) for i in _checks.as_array("ids", ids, ndim=1)]
        if not ids or ids[0] != self.BOS or len(ids) < 2:
            if strict:
                raise ValueError("ids must start with BOS and the screen-type token (as encode writes them)")
            return None, None
        start, size = self.offsets["type"]
        if not start <= ids[1] < start + size:
            if strict:
                raise ValueError(f"token 1 must be a screen type (ids {start}..{start + size - 1}), got {ids[1]}")
            return None, None
        screen_type = SCREEN_TYPES[ids[1] - start]
        boxes, position, ended = [], 2, False
        while position + 5 <= len(ids):
            if ids[position] == self.EOS:
                ended = True
                break
            values = []
            for offset, kind in enumerate(self.KINDS):
                start, size = self.offsets[kind]
                token = ids[position + offset]
                if not start <= token < start + size:
                    if strict:
                        raise ValueError(f"token {position + offset} must be a {kind} token (ids {start}..{start + size - 1}), got {token}")
                    return (np.array(boxes, dtype=np.int64) if boxes else None), screen_type
                values.append(token - start + (1 if kind in ("w", "h") else 0))
            boxes.append(values)
            position += 5
        if not ended and position < len(ids) and ids[position] == self.EOS:
            ended = True
        if strict and not ended:
            raise ValueError("the sequence ends inside a box or without EOS")
        return (np.array(boxes, dtype=np.int64) if boxes else None), screen_type


# ----------------------------------------------------------------------------- wireframes


def draw_wireframe(ax, layout, *, title: str | None = None, fixed=None, labels: bool = True) -> None:
    """Draw a layout as a wireframe on a matplotlib axis: images as crossed boxes, text as lines, buttons filled.
    ``fixed`` (an optional boolean per box) draws those boxes with a thick dashed red outline (the designer's boxes).
    Example: ``draw_wireframe(plt.gca(), layout)``"""
    import matplotlib.patches as patches

    layout = check_layout(layout, inside=False)
    fixed = np.zeros(len(layout), bool) if fixed is None else np.asarray(fixed, bool)
    ax.add_patch(patches.Rectangle((0, 0), GRID_W, GRID_H, facecolor="white", edgecolor="#999999", linewidth=1))
    for (category, x, y, w, h), is_fixed in zip(layout, fixed):
        color = COLORS[category]
        fill = {HEADER: 0.35, TAB_BAR: 0.35, BUTTON: 0.5, INPUT: 0.08}.get(int(category), 0.0)
        ax.add_patch(patches.Rectangle((x + 0.1, y + 0.1), w - 0.2, h - 0.2, facecolor=color, alpha=fill if fill else None,
                                       fill=bool(fill), edgecolor=color, linewidth=1.2))
        if category == IMAGE or category == ICON:
            ax.plot([x + 0.1, x + w - 0.1], [y + 0.1, y + h - 0.1], color=color, linewidth=0.8)
            ax.plot([x + 0.1, x + w - 0.1], [y + h - 0.1, y + 0.1], color=color, linewidth=0.8)
        if category in (TEXT, LIST_ITEM, TITLE):
            for row in np.arange(y + 0.5, y + h, 0.5 if category == TEXT else 1.0):
                ax.plot([x + 0.3, x + w - 0.3 - (0.3 * w if row + 0.5 >= y + h and h > 1 else 0)], [row, row], color=color,
                        linewidth=2.2 if category == TITLE else 0.9)
        if is_fixed:
            ax.add_patch(patches.Rectangle((x, y), w, h, fill=False, edgecolor="red", linewidth=2.2, linestyle="--"))
        if labels and w >= 3 and category in (HEADER, TAB_BAR, BUTTON, INPUT):
            ax.text(x + w / 2, y + h / 2, CATEGORIES[category].replace("_", " "), ha="center", va="center", fontsize=5)
    ax.set_xlim(-0.5, GRID_W + 0.5)
    ax.set_ylim(GRID_H + 0.5, -0.5)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=8)


def plot_wireframes(layouts: Sequence, titles: Sequence[str] | None = None, *, ncols: int = 8, fixed: Sequence | None = None,
                    suptitle: str | None = None, size: float = 1.3):
    """A grid of wireframes (None or empty layouts show as blank screens); returns the figure. Example: ``plot_wireframes(layouts[:8])``"""
    import matplotlib.pyplot as plt

    if not len(layouts):
        raise ValueError("layouts is empty: pass at least one layout to draw")
    ncols = min(_checks.positive_int("ncols", ncols), len(layouts))
    nrows = int(np.ceil(len(layouts) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * 2.1 * nrows), squeeze=False)
    for index, ax in enumerate(axes.flat):
        ax.axis("off")
        if index >= len(layouts):
            continue
        title = titles[index] if titles is not None else None
        layout = layouts[index]
        if layout is None or len(layout) == 0:
            ax.set_xlim(-0.5, GRID_W + 0.5)
            ax.set_ylim(GRID_H + 0.5, -0.5)
            ax.set_aspect("equal")
            ax.set_title((title or "") + " (empty)", fontsize=8)
            continue
        draw_wireframe(ax, layout, title=title, fixed=None if fixed is None else fixed[index])
    if suptitle:
        fig.suptitle(suptitle, fontsize=10)
    fig.tight_layout()
    return fig
