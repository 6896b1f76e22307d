"""Tests for utils/levels.py (notebook 17): the level generator's invariants, the playability agent on hand-made
levels with known answers, the column tokeniser, rendering, the level metrics on known sets, terrains and erosion,
and the argument checks."""

import numpy as np
import pytest

from utils import levels

SKY_ROWS = ["-" * 10] * 5


def level(*rows):
    return levels.level_from_strings(list(rows))


def play(rows, physics=levels.DEFAULT_PHYSICS):
    return levels.play(levels.level_from_strings(rows), physics)


# ----------------------------------------------------------------------------- the agent on hand-made levels


def test_flat_level_is_playable_without_jumps():
    result = play(SKY_ROWS + ["X" * 10] * 2)
    assert result.playable and result.jumps == 0 and result.reason == ""
    assert result.path[0] == (4, 0) and result.path[-1] == (4, 9)
    assert all(abs(a[1] - b[1]) == 1 for a, b in zip(result.path, result.path[1:]))  # walked, column by column


@pytest.mark.parametrize(("gap", "playable"), [(1, True), (2, True), (3, True), (4, False), (6, False)])
def test_gap_wider_than_the_jump_length_minus_one_is_unplayable(gap, playable):
    ground = "XXX" + "-" * gap + "X" * (7 - gap if gap < 7 else 1) + "XX"
    result = play(["-" * len(ground)] * 5 + [ground] * 2)
    assert result.playable is playable
    assert result.jumps == (1 if playable else None)
    if not playable:
        assert "unreachable" in result.reason and "column 2" in result.reason


@pytest.mark.parametrize(("wall", "playable"), [(1, True), (4, True), (5, False)])
def test_wall_higher_than_the_jump_height_is_unplayable(wall, playable):
    rows = ["-" * 10] * (6 - wall) + ["----X-----"] * wall + ["X" * 10] * 2
    assert play(rows).playable is playable


def test_physics_changes_the_answer():
    rows = ["-" * 10] * 5 + ["XXX----XXX"] * 2  # a gap of 4
    assert not play(rows).playable
    assert play(rows, levels.Physics(jump_height=4, jump_length=5)).playable
    assert not play(["-" * 10] * 4 + ["----X-----"] * 2 + ["X" * 10] * 2, levels.Physics(jump_height=1, jump_length=4)).playable


def test_enemy_must_be_jumped_and_cannot_be_landed_on():
    assert play(["-" * 10] * 4 + ["----E-----"] + ["X" * 10] * 2).jumps == 1
    # a pit holding an enemy is a pit: falling onto the enemy is not allowed, so the only way is over it
    rows = ["-" * 10] * 4 + ["XXX-XXXXXX", "XXXEXXXXXX"]
    assert play(rows).playable and play(rows).jumps == 1


def test_level_without_start_or_exit_is_unplayable_with_the_reason():
    no_start = ["X" + "-" * 9] * 5 + ["-" + "X" * 9] * 2  # a spawn column blocked at the top
    assert not play(no_start).playable and "no start" in play(no_start).reason
    falls_out = ["-" * 10] * 5 + ["-" + "X" * 9] * 2  # nothing to land on in the first column
    assert "no start" in play(falls_out).reason
    no_exit = ["-" * 10] * 5 + ["X" * 9 + "-"] * 2
    assert not play(no_exit).playable and "no exit" in play(no_exit).reason
    with pytest.raises(ValueError, match="no start"):
        levels.start_position(level(*no_start))


def test_fewest_jumps_prefers_walking_around():
    # straight on needs a jump over the enemy; nothing else is possible here
    assert play(["-" * 6] * 4 + ["--E---", "XXXXXX"]).jumps == 1
    # jumping would reach the exit in fewer moves, but walking needs no jump at all
    assert play(["-" * 12] * 5 + ["X" * 12]).jumps == 0


def test_moves_follow_the_rules():
    flat = level(*(["-" * 10] * 5 + ["X" * 10]))
    found = levels.moves(flat, (4, 0))
    assert ((4, 1), False) in found  # walk
    assert ((4, 4), True) in found and ((4, 5), True) not in found  # a jump carries at most 4 columns
    assert all(target[0] == 4 for target, _ in found)  # gravity brings every jump back to the ground
    with pytest.raises(ValueError, match="not a place to stand"):
        levels.moves(flat, (2, 0))


def test_move_graph_lists_every_standing_place_with_its_moves():
    flat = level(*(["-" * 10] * 5 + ["X" * 10]))
    graph = levels.move_graph(flat)
    assert sorted(graph) == [(4, c) for c in range(10)]  # one place to stand per column, on the ground
    assert graph[(4, 0)] == levels.moves(flat, (4, 0))
    gap_4 = level(*(["-" * 10] * 5 + ["XXX----XXX"]))
    assert all(target[1] <= 2 for target, _ in levels.move_graph(gap_4)[(4, 2)])  # a gap of 4 cannot be crossed


def test_playability_batch_matches_single_calls():
    batch = levels.generate_levels(30, seed=3)
    result = levels.playability(batch)
    singles = [levels.play(lv) for lv in batch]
    assert result["playable"].tolist() == [r.playable for r in singles]
    assert result["jumps"].tolist() == [r.jumps if r.playable else -1 for r in singles]


# ----------------------------------------------------------------------------- the generator


def test_generator_invariants():
    batch = levels.generate_levels(300, seed=0)
    assert batch.shape == (300, levels.HEIGHT, levels.WIDTH) and batch.dtype == np.int8
    assert batch.min() >= 0 and batch.max() < len(levels.TILES)
    assert np.all(batch[:, -1, :3] == levels.GROUND) and np.all(batch[:, -1, -3:] == levels.GROUND)  # safe start and end
    assert np.all(batch[:, 0] == levels.SKY)  # the spawn row is free
    assert levels.well_formed(batch).all()  # whole pipes, supported ground and enemies
    playable = levels.playability(batch)["playable"].mean()
    assert 0.7 < playable < 0.97  # most levels can be finished, a few cannot
    assert len({lv.tobytes() for lv in batch}) == len(batch)  # variety: no two alike
    for tile in range(len(levels.TILES)):
        assert np.any(batch == tile), levels.TILES[tile]  # every tile is used


def test_generator_is_deterministic_given_the_seed():
    assert np.array_equal(levels.generate_levels(5, seed=1), levels.generate_levels(5, seed=1))
    assert not np.array_equal(levels.generate_levels(5, seed=1), levels.generate_levels(5, seed=2))


def test_generator_rejects_bad_arguments():
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        levels.generate_level(0)
    with pytest.raises(ValueError, match="height"):
        levels.generate_level(np.random.default_rng(0), height=4)
    with pytest.raises(ValueError, match="num_levels"):
        levels.generate_levels(0, seed=0)


# ----------------------------------------------------------------------------- levels as text, the tokeniser


def test_text_round_trip_and_bad_tiles():
    rows = ["-?B-", "-PP-", "XXEX"]
    assert levels.level_to_strings(levels.level_from_strings(rows)) == rows
    with pytest.raises(ValueError, match="unknown tile 'Q'"):
        levels.level_from_strings(["--Q-", "XXXX"])
    with pytest.raises(ValueError, match="same length"):
        levels.level_from_strings(["---", "XXXX"])
    with pytest.raises(TypeError, match="list of strings"):
        levels.level_from_strings("----")
    with pytest.raises(ValueError, match="unknown tile id 9"):
        levels.check_level(np.full((3, 3), 9))
    with pytest.raises(ValueError, match="dimensions"):
        levels.play(np.zeros(5, dtype=int))
    with pytest.raises(TypeError, match="argmax"):
        levels.check_levels(np.full((2, 3, 3), 0.5))


def test_column_tokeniser_round_trip():
    batch = levels.generate_levels(50, seed=4)
    vocab = levels.ColumnVocab.fit(batch)
    ids = vocab.encode(batch)
    assert ids.shape == (50, levels.WIDTH)
    assert np.array_equal(vocab.decode(ids), batch)
    counts = np.bincount(ids.ravel(), minlength=vocab.size)
    assert np.all(np.diff(counts) <= 0)  # most frequent first


def test_column_tokeniser_unknown_columns():
    vocab = levels.ColumnVocab.fit(level(*(["--"] * 3 + ["XX"]))[None])
    strange = level(*(["-P"] * 3 + ["XX"]))[None]
    with pytest.raises(ValueError, match="not in the vocabulary"):
        vocab.encode(strange)
    assert np.array_equal(vocab.decode(vocab.encode(strange, unknown="nearest"))[0], level(*(["--"] * 3 + ["XX"])))
    with pytest.raises(ValueError, match=r"ids must be in \[0, 0\]"):
        vocab.decode([[0, 1]])
    with pytest.raises(ValueError, match="repeat"):
        levels.ColumnVocab(np.zeros((2, 4), dtype=int))


# ----------------------------------------------------------------------------- rendering


def test_render_level_shape_and_tiles():
    images = levels.tile_images(8)
    assert images.shape == (len(levels.TILES), 8, 8, 3) and images.min() >= 0 and images.max() <= 1
    assert len({img.tobytes() for img in images}) == len(levels.TILES)  # every tile looks different
    lv = level("-?", "XP")
    picture = levels.render_level(lv, tile_size=8)
    assert picture.shape == (16, 16, 3)
    np.testing.assert_array_equal(picture[8:, 8:], images[levels.PIPE])
    np.testing.assert_array_equal(picture[:8, 8:], images[levels.QUESTION])


# ----------------------------------------------------------------------------- metrics on known sets


def test_structure_errors_on_known_levels():
    assert levels.structure_errors(level("----", "-PP-", "XXXX")) == 0
    assert levels.structure_errors(level("----", "-P--", "XXXX")) == 1  # half a pipe
    assert levels.structure_errors(level("-X--", "----", "XXXX")) == 1  # floating ground
    assert levels.structure_errors(level("-E--", "----", "XXXX")) == 1  # a flying enemy
    assert levels.structure_errors(level("----", "-EB-", "XXXX")) == 0
    assert levels.well_formed(np.stack([level("--", "XX"), level("X-", "-X")])).tolist() == [True, False]


def test_nearest_levels_novelty_and_diversity_on_known_sets():
    a = level(*(["-" * 10] * 3 + ["X" * 10]))
    b = a.copy()
    b[2, :5] = levels.BRICK  # 5 of 40 tiles differ
    index, distance = levels.nearest_levels(np.stack([a, b]), np.stack([b, a]))
    assert index.tolist() == [1, 0] and np.allclose(distance, 0)
    _, distance = levels.nearest_levels(b[None], a[None])
    assert distance[0] == pytest.approx(5 / 40)
    assert levels.novelty(np.stack([a, b]), a[None], min_distance=0.1) == 0.5
    assert levels.diversity(np.stack([a, a, a])) == 0
    assert levels.diversity(np.stack([a, b])) == pytest.approx(5 / 40)
    with pytest.raises(ValueError, match="one size"):
        levels.nearest_levels(a[None], a[None, :, :5])


def test_pattern_distance_on_known_sets():
    batch = levels.generate_levels(200, seed=5)
    assert levels.pattern_distance(batch, batch) == pytest.approx(0, abs=1e-12)
    histogram = levels.pattern_histogram(batch)
    assert sum(histogram.values()) == pytest.approx(1)
    sky = np.zeros((5, levels.HEIGHT, levels.WIDTH), dtype=np.int8)
    ground = np.ones_like(sky)
    assert levels.pattern_distance(sky, ground) == pytest.approx(1)  # disjoint patterns: 1 bit
    noise = np.random.default_rng(0).integers(0, len(levels.TILES), batch.shape)
    assert levels.pattern_distance(batch[:100], batch[100:]) < 0.05 < levels.pattern_distance(noise, batch)
    with pytest.raises(ValueError, match="larger than the levels"):
        levels.pattern_histogram(batch, size=40)


# ----------------------------------------------------------------------------- terrains


def test_fractal_heightmap_range_and_smoothness():
    height = levels.fractal_heightmap(np.random.default_rng(0), size=32)
    assert height.shape == (32, 32) and height.min() == 0 and height.max() == pytest.approx(1)
    noise = np.random.default_rng(0).random((1, 32, 32))
    assert np.median(levels.slopes(height[None])) < 0.2 * np.median(levels.slopes(noise))
    with pytest.raises(ValueError, match="fewer octaves"):
        levels.fractal_heightmap(np.random.default_rng(0), size=8, octaves=4)


def test_erosion_conserves_mass_and_caps_slopes():
    height = levels.fractal_heightmap(np.random.default_rng(1))
    step = levels.thermal_erosion_step(height, talus=0.01)
    assert step.sum() == pytest.approx(height.sum())
    eroded = levels.erode(height, iterations=200, talus=0.01)
    assert eroded.sum() == pytest.approx(height.sum())
    assert np.quantile(levels.slopes(eroded[None]), 0.99) < 0.7 * np.quantile(levels.slopes(height[None]), 0.99)
    # flat or gentle ground (every slope under the talus) does not move
    gentle = np.add.outer(np.arange(6), np.arange(6)) * 0.001
    np.testing.assert_array_equal(levels.thermal_erosion_step(gentle, talus=0.01), gentle)
    # a single peak sends a quarter of rate x excess to each of its 4 neighbours, none across the edges
    peak = np.zeros((3, 3))
    peak[1, 1] = 1.0
    after = levels.thermal_erosion_step(peak, talus=0.2, rate=0.5)
    assert after[0, 1] == pytest.approx(0.5 * 0.8 / 4) and after[1, 1] == pytest.approx(1 - 4 * 0.1)
    assert after[0, 0] == 0
    corner = np.zeros((3, 3))
    corner[0, 0] = 1.0
    assert levels.thermal_erosion_step(corner, talus=0.0, rate=0.5)[2, 0] == 0  # no wrap-around


def test_terrain_set_and_slope_distance():
    a, b = levels.generate_terrains(20, seed=0), levels.generate_terrains(20, seed=1)
    assert a.shape == (20, 32, 32) and a.min() == 0 and a.max() == pytest.approx(1)
    raw = np.stack([levels.fractal_heightmap(np.random.default_rng(i)) for i in range(20)])
    assert levels.slope_distance(a, a) == 0
    assert levels.slope_distance(a, b) < levels.slope_distance(a, raw)  # erosion's signature is measurable


def test_terrain_bad_arguments():
    with pytest.raises(ValueError, match="rate"):
        levels.thermal_erosion_step(np.zeros((4, 4)), talus=0.1, rate=1.5)
    with pytest.raises(ValueError, match="talus"):
        levels.thermal_erosion_step(np.zeros((4, 4)), talus=-1)
    with pytest.raises(ValueError, match="dimensions"):
        levels.slopes(np.zeros((4, 4)))
    with pytest.raises(TypeError, match="physics"):
        levels.play(level("--", "XX"), physics=(4, 4))


# ----------------------------------------------------------------------------- every other argument check


FLAT = np.zeros((3, 4), dtype=np.int8)
FLAT[-1] = levels.GROUND


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda: levels.check_level(np.zeros((1, 5))), ValueError, "at least 2 x 2"),
    (lambda: levels.check_level(np.full((3, 3), 0.5)), TypeError, "integer tile ids"),
    (lambda: levels.check_level(None), TypeError, "must be an array"),
    (lambda: levels.check_levels(np.full((1, 3, 3), -1)), ValueError, "unknown tile ids"),
    (lambda: levels.ColumnVocab.fit(FLAT[None]).encode(np.zeros((1, 5, 4), dtype=int)), ValueError, "tiles high"),
    (lambda: levels.ColumnVocab.fit(FLAT[None]).encode(FLAT[None], unknown="skip"), ValueError, "unknown"),
    (lambda: levels.ColumnVocab.fit(FLAT[None]).decode(np.zeros((1, 4))), TypeError, "integers"),
    (lambda: levels.ColumnVocab(np.full((2, 3), 7)), ValueError, "tile ids"),
    (lambda: levels.tile_images(2), ValueError, "size"),
    (lambda: levels.render_level(FLAT, tile_size=0), ValueError, "size"),
    (lambda: levels.generate_levels(3, seed=-1), ValueError, "seed"),
    (lambda: levels.generate_level(np.random.default_rng(0), width=5), ValueError, "width"),
    (lambda: levels.novelty(FLAT[None], FLAT[None], min_distance=2), ValueError, "min_distance"),
    (lambda: levels.diversity(FLAT[None]), ValueError, "at least 2 levels"),
    (lambda: levels.nearest_levels(FLAT[None], FLAT[None], batch_size=0), ValueError, "batch_size"),
    (lambda: levels.pattern_histogram(FLAT[None], size=0), ValueError, "size"),
    (lambda: levels.fractal_heightmap(0), TypeError, "numpy.random.Generator"),
    (lambda: levels.fractal_heightmap(np.random.default_rng(0), persistence=1.5), ValueError, "persistence"),
    (lambda: levels.fractal_heightmap(np.random.default_rng(0), size=2), ValueError, "size"),
    (lambda: levels.erode(np.zeros((4, 4)), iterations=-1), ValueError, "iterations"),
    (lambda: levels.generate_terrains(0, seed=0), ValueError, "num_terrains"),
    (lambda: levels.play(FLAT, physics=levels.Physics(jump_height=-1)), ValueError, "jump_height"),
    (lambda: levels.moves(FLAT, (1, 0), physics="fast"), TypeError, "physics"),
    (lambda: levels.move_graph(FLAT, physics="fast"), TypeError, "physics"),
    (lambda: levels.move_graph(np.zeros((3, 3, 3), dtype=int)), ValueError, "level"),
    (lambda: levels.slope_distance(np.zeros((2, 4, 4)), np.zeros((4, 4))), ValueError, "dimensions"),
])
def test_bad_arguments_raise_clear_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()
