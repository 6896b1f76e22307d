"""Tests for utils/layouts.py (notebook 15): the screen generator's invariants, the validity measures on hand-made
layouts with known overlaps, misalignments and boxes off the canvas, the box tokeniser's round trip, quantisation,
wireframes, and the argument checks."""

import matplotlib
import numpy as np
import pytest

from utils import layouts

matplotlib.use("Agg")

HEADER = [layouts.HEADER, 0, 0, 12, 2]


@pytest.fixture(scope="module")
def screens():
    return layouts.generate_screens(1500, seed=3)


# ----------------------------------------------------------------------------- the generator


def test_generated_screens_follow_the_rules(screens):
    boxes, types = screens
    assert len(boxes) == 1500 and set(types.tolist()) == set(range(len(layouts.SCREEN_TYPES)))
    for layout, screen_type in zip(boxes, types):
        assert layouts.violations(layout) == [], (layout, screen_type)
        assert np.array_equal(layout, layouts.sort_boxes(layout))  # reading order
        assert layout[0, 0] == layouts.HEADER and layout[0, 1] == layout[0, 2] == 0 and layout[0, 3] == layouts.GRID_W
        has_tab_bar = layouts.TAB_BAR in layout[:, 0]
        if layouts.SCREEN_TYPES[screen_type] in ("feed", "list"):
            assert has_tab_bar
        if layouts.SCREEN_TYPES[screen_type] == "form":
            assert not has_tab_bar and layouts.INPUT in layout[:, 0] and layouts.BUTTON in layout[:, 0]
        assert 3 <= len(layout) <= layouts.MAX_BOXES + 1
    report = layouts.validity_report(boxes)
    assert report["valid"] == 1.0 and report["overlap"] == report["out_of_bounds"] == 0.0
    assert report["misaligned"] < 0.02  # the generator works on a grid of shared edges


def test_generator_has_variety_and_is_deterministic(screens):
    boxes, _ = screens
    distinct = {layouts.layout_key(layout) for layout in boxes}
    assert len(distinct) > 0.6 * len(boxes)
    again, _ = layouts.generate_screens(20, seed=3)
    assert all(np.array_equal(a, b) for a, b in zip(again, boxes[:20]))
    other, _ = layouts.generate_screens(20, seed=4)
    assert not all(np.array_equal(a, b) for a, b in zip(other, boxes[:20]))


def test_each_screen_type_on_request():
    rng = np.random.default_rng(0)
    for screen_type in layouts.SCREEN_TYPES:
        layout, returned = layouts.generate_screen(rng, screen_type)
        assert returned == screen_type and layouts.is_valid(layout)


# ----------------------------------------------------------------------------- validity measures on hand-made layouts


def test_overlaps_found_and_touching_edges_allowed():
    touching = [HEADER, [layouts.IMAGE, 0, 2, 6, 4], [layouts.IMAGE, 6, 2, 6, 4], [layouts.TEXT, 0, 6, 12, 2]]
    assert layouts.overlaps(touching) == [] and layouts.is_valid(touching)
    one_cell = [HEADER, [layouts.IMAGE, 0, 2, 6, 4], [layouts.TEXT, 5, 5, 7, 2]]  # shares the cell (5, 5)
    assert layouts.overlaps(one_cell) == [(1, 2)]
    assert layouts.violations(one_cell) == ["boxes 1 and 2 overlap"]
    nested = [HEADER, [layouts.IMAGE, 0, 2, 12, 8], [layouts.BUTTON, 4, 4, 4, 2], [layouts.TEXT, 1, 1, 2, 2]]
    assert layouts.overlaps(nested) == [(0, 3), (1, 2), (1, 3)]  # the header, the image and the button each meet the text


def test_out_of_bounds_found():
    layout = [HEADER, [layouts.BUTTON, 10, 4, 4, 2], [layouts.TEXT, 0, 23, 12, 2], [layouts.IMAGE, -1, 5, 3, 3],
              [layouts.ICON, 2, 8, 0, 2], [layouts.TAB_BAR, 0, 22, 12, 2]]
    assert layouts.out_of_bounds(layout) == [1, 2, 3, 4]
    assert not layouts.is_valid(layout)
    assert "box 1 is outside the canvas" in layouts.violations(layout)


def test_misaligned_boxes_found():
    aligned = [HEADER, [layouts.IMAGE, 1, 3, 10, 4], [layouts.TEXT, 1, 8, 10, 2], [layouts.BUTTON, 3, 11, 6, 2]]
    assert layouts.misaligned(aligned) == []  # the button is centred like the header
    layout = [HEADER, [layouts.IMAGE, 1, 3, 10, 4], [layouts.BUTTON, 2, 11, 3, 2]]  # left 2, centre 3.5, right 5: alone
    assert layouts.misaligned(layout) == [2]
    assert layouts.is_valid(layout)  # misalignment is measured, not a violation


def test_validity_report_counts_unreadable_samples_as_invalid():
    good = np.array([HEADER, [layouts.TEXT, 0, 3, 12, 2]])
    bad = np.array([HEADER, [layouts.TEXT, 0, 1, 12, 2]])
    report = layouts.validity_report([good, bad, None, np.zeros((0, 5))])
    assert report["valid"] == 0.25 and report["overlap"] == 0.25 and report["out_of_bounds"] == 0.0
    assert report["boxes"] == 1.0


def test_novelty_and_keys():
    a = np.array([HEADER, [layouts.TEXT, 0, 3, 12, 2]])
    assert layouts.layout_key(a) == layouts.layout_key(a[::-1])  # order-free
    b = a.copy()
    b[1, 4] = 3
    assert layouts.novelty([a, b, a[::-1]], [a]) == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="no non-empty layout"):
        layouts.novelty([None], [a])


def test_raster():
    image = layouts.raster([np.array([HEADER, [layouts.IMAGE, 2, 4, 3, 2], [layouts.TEXT, 10, 23, 4, 4]]), None])
    assert image.shape == (2, 24, 12, len(layouts.CATEGORIES))
    assert image[0, :, :, layouts.HEADER].sum() == 24 and image[0, :, :, layouts.IMAGE].sum() == 6
    assert image[0, :, :, layouts.TEXT].sum() == 2  # clipped to the canvas
    assert image[1].sum() == 0


# ----------------------------------------------------------------------------- tokeniser and quantisation


def test_tokeniser_round_trip(screens):
    boxes, types = screens
    tokenizer = layouts.BoxTokenizer()
    for layout, screen_type in zip(boxes[:300], types[:300]):
        ids = tokenizer.encode(layout, int(screen_type))
        assert len(ids) == 2 + 5 * len(layout) + 1 and ids[0] == tokenizer.BOS and ids[-1] == tokenizer.EOS
        decoded, decoded_type = tokenizer.decode(ids)
        assert np.array_equal(decoded, layout) and decoded_type == layouts.SCREEN_TYPES[screen_type]
    batch = tokenizer.encode_batch(boxes[:5], types[:5])
    assert batch.shape == (5, tokenizer.max_length)
    assert np.array_equal(tokenizer.decode(batch[0], strict=False)[0], boxes[0])
    assert all(tokenizer.kind_mask(p)[i] for p in range(1, 40) for i in [batch[0, p]] if i != tokenizer.PAD)


def test_tokeniser_grammar_and_lenient_decoding():
    tokenizer = layouts.BoxTokenizer(max_boxes=4)
    ids = tokenizer.encode([HEADER, [layouts.TEXT, 0, 3, 12, 2]], "article")
    assert [tokenizer.kind_at(p) for p in range(8)] == ["bos", "type", "category", "x", "y", "w", "h", "category"]
    assert tokenizer.kind_mask(2)[tokenizer.EOS] and not tokenizer.kind_mask(3)[tokenizer.EOS]
    assert tokenizer.kind_mask(0).sum() == 1 and tokenizer.kind_mask(4).sum() == layouts.GRID_H
    cut = ids[:10]  # one whole box and part of the next: the unfinished box is dropped
    assert len(tokenizer.decode(cut, strict=False)[0]) == 1
    with pytest.raises(ValueError, match="inside a box"):
        tokenizer.decode(cut)
    wrong = ids.copy()
    wrong[3] = tokenizer.offsets["y"][0]  # a y token where x belongs
    assert tokenizer.decode(wrong, strict=False) == (None, "article")
    with pytest.raises(ValueError, match="must be a x token"):
        tokenizer.decode(wrong)
    with pytest.raises(ValueError, match="more than max_boxes"):
        tokenizer.encode([HEADER] * 5, "feed")
    with pytest.raises(ValueError, match="screen_type must be one of"):
        tokenizer.encode([HEADER], "poster")


def test_quantise():
    boxes = layouts.quantise([[layouts.IMAGE, 0.0, 0.26, 1.0, 0.5], [layouts.TEXT, 0.49, 1.9, 0.01, 0.1]])
    assert boxes.tolist() == [[layouts.IMAGE, 0, 3, 12, 6], [layouts.TEXT, 6, 23, 1, 1]]
    grid = np.array([HEADER, [layouts.BUTTON, 3, 20, 6, 2]])
    assert np.array_equal(layouts.quantise(grid, canvas=(12, 24)), grid)  # grid units stay as they are
    with pytest.raises(ValueError, match="canvas must be a positive"):
        layouts.quantise(grid, canvas=(0, 1))


# ----------------------------------------------------------------------------- wireframes and bad inputs


def test_wireframes_draw():
    boxes, types = layouts.generate_screens(6, seed=0)
    fig = layouts.plot_wireframes(boxes + [None], [layouts.SCREEN_TYPES[t] for t in types] + ["nothing"], ncols=4,
                                  fixed=[np.arange(len(b)) < 2 for b in boxes] + [None])
    assert len(fig.axes) == 8
    matplotlib.pyplot.close(fig)


def test_bad_inputs_have_clear_errors():
    with pytest.raises(ValueError, match="empty"):
        layouts.check_layout(np.zeros((0, 5)))
    with pytest.raises(ValueError, match="empty"):
        layouts.violations([])
    with pytest.raises(ValueError, match="outside the 12 x 24 canvas"):
        layouts.check_layout([[layouts.IMAGE, 8, 0, 6, 2]])
    with pytest.raises(ValueError, match="unknown category 9"):
        layouts.violations([[9, 0, 0, 1, 1]])
    with pytest.raises(ValueError, match="shape"):
        layouts.check_layout([[1, 2, 3]])
    with pytest.raises(TypeError, match="whole grid cells"):
        layouts.check_layout([[0, 0.5, 0, 12, 2]])
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        layouts.generate_screen(3)
    with pytest.raises(ValueError, match="screen_type"):
        layouts.generate_screen(np.random.default_rng(0), "poster")
    with pytest.raises(ValueError, match="non-empty list"):
        layouts.validity_report([])
    with pytest.raises(ValueError, match="at least one layout"):
        layouts.plot_wireframes([])
