"""Tile-based game levels and terrains for notebook 17: a procedural level generator, the playability agent,
a column tokeniser, tile rendering, level metrics, and fractal terrains with thermal erosion.

The game. A level is a grid of ``height x width`` tiles (int8 ids into ``TILES``), read like the Video Game
Level Corpus's Mario levels: ``-`` sky, ``X`` ground, ``B`` brick, ``?`` question block, ``P`` pipe (the four
solid tiles) and ``E`` an enemy (not solid: the player may not touch it). The player spawns by falling into the
first column from its top and must reach any place to stand in the last column.

Movement rules (``Physics``). The player stands on a free cell whose cell below is solid. From there it may
walk one column left or right, or jump: rise ``h <= jump_height`` cells straight up (every cell on the way
free), then move up to ``jump_length`` cells sideways at that height (every cell free), then fall straight
down. Gravity: after a walk or a jump the player falls until it lands on a solid tile; falling onto an enemy
or out of the bottom of the level ends that move (it is not allowed). So with the defaults a gap of 3 tiles
can be jumped and one of 4 cannot, and a wall 4 tiles above the player can be climbed and one of 5 cannot.

The agent (``play``) is a 0-1 breadth-first search over standing positions in which walks and falls cost 0
and jumps cost 1: it decides whether the exit can be reached and, if so, with how few jumps.

Everything takes NumPy arrays, is deterministic given its ``numpy.random.Generator``, and is tested in
``tests/test_levels.py``. The models that learn levels stay in the notebook.
"""

from __future__ import annotations

import collections
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from . import _checks

TILES = "-XB?PE"
TILE_NAMES = ("sky", "ground", "brick", "question block", "pipe", "enemy")
SKY, GROUND, BRICK, QUESTION, PIPE, ENEMY = range(len(TILES))
SOLID = np.array([False, True, True, True, True, False])
HEIGHT, WIDTH = 12, 32


class Physics(NamedTuple):
    """The game's movement rules: how many cells a jump rises at most, and how far it carries sideways."""

    jump_height: int = 4
    jump_length: int = 4


DEFAULT_PHYSICS = Physics()


class PlayResult(NamedTuple):
    """What the agent found: ``playable``, a ``reason`` when not, the fewest ``jumps`` and a shortest ``path``
    (standing cells (row, column) from the start to the exit, fewest jumps first, then fewest moves)."""

    playable: bool
    reason: str
    jumps: int | None
    path: list


# ----------------------------------------------------------------------------- levels as arrays and text


def check_level(level, *, name: str = "level") -> np.ndarray:
    """A level as an int8 (height, width) array of tile ids, or a clear error. Example: ``check_level(np.zeros((12, 32)))``"""
    if isinstance(level, (list, tuple)) and level and all(isinstance(row, str) for row in level):
        return level_from_strings(level)
    array = _checks.as_array(name, level, ndim=2)
    if array.shape[0] < 2 or array.shape[1] < 2:
        raise ValueError(f"{name} must be at least 2 x 2 tiles, got shape {array.shape}")
    if array.size and not np.issubdtype(array.dtype, np.integer):
        if not np.all(array == np.round(array)):
            raise TypeError(f"{name} must hold integer tile ids 0..{len(TILES) - 1} ({TILES!r}), got dtype {array.dtype}")
    if array.min() < 0 or array.max() >= len(TILES):
        bad = int(array.min()) if array.min() < 0 else int(array.max())
        raise ValueError(f"{name} holds the unknown tile id {bad}; tile ids are 0..{len(TILES) - 1} for {TILES!r}")
    return array.astype(np.int8)


def check_levels(levels, *, name: str = "levels") -> np.ndarray:
    """A batch of levels as an int8 (n, height, width) array, or a clear error. Example: ``check_levels([level_a, level_b])``"""
    array = _checks.as_array(name, levels, ndim=3, min_len=1)
    if array.size and not np.issubdtype(array.dtype, np.integer) and not np.all(array == np.round(array)):
        raise TypeError(f"{name} must hold integer tile ids 0..{len(TILES) - 1}, got dtype {array.dtype} "
                        "(for one-hot or probability outputs take argmax over the last axis first)")
    if array.min() < 0 or array.max() >= len(TILES):
        raise ValueError(f"{name} holds unknown tile ids (values in [{array.min()}, {array.max()}]); "
                         f"tile ids are 0..{len(TILES) - 1} for {TILES!r}")
    return array.astype(np.int8)


def level_from_strings(rows: Sequence[str]) -> np.ndarray:
    """A level from text rows, top row first. Example: ``level_from_strings(["----", "-E--", "XXXX"])``"""
    if isinstance(rows, str) or not rows or not all(isinstance(row, str) for row in rows):
        raise TypeError("rows must be a non-empty list of strings, one per row of tiles, top row first")
    if len({len(row) for row in rows}) != 1:
        raise ValueError(f"every row must have the same length, got lengths {sorted({len(row) for row in rows})}")
    lookup = {char: index for index, char in enumerate(TILES)}
    for number, row in enumerate(rows):
        for char in row:
            if char not in lookup:
                raise ValueError(f"row {number} holds the unknown tile {char!r}; known tiles are {TILES!r} "
                                 f"({', '.join(f'{c} {n}' for c, n in zip(TILES, TILE_NAMES))})")
    return check_level(np.array([[lookup[c] for c in row] for row in rows], dtype=np.int8))


def level_to_strings(level) -> list[str]:
    """Text rows of a level, top row first. Example: ``print("\\n".join(level_to_strings(level)))``"""
    level = check_level(level)
    chars = np.array(list(TILES))
    return ["".join(row) for row in chars[level]]


# ----------------------------------------------------------------------------- the procedural generator


def generate_level(rng: np.random.Generator, *, height: int = HEIGHT, width: int = WIDTH) -> np.ndarray:
    """One procedural level (int8 tile ids). Example: ``generate_level(np.random.default_rng(0))``

    Rules, left to right: the ground is 1-4 tiles thick and changes thickness by one tile between stretches of
    3-8 columns; the first and last 3 columns are flat safe ground. Between stretches the generator may cut a
    gap (1-3 tiles wide, rarely 4: too wide to jump), raise a 2-wide pipe (2-4 tiles high, rarely 5: too high),
    build a staircase (up to 4 steps up and down), float a platform of bricks and question blocks 4 rows above
    the ground (sometimes with an enemy on it), and it places enemies on the ground. So most levels can be
    finished and a few (those with a gap of 4 or a pipe of 5, or an unlucky combination) cannot.
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator (np.random.default_rng(seed)), got {type(rng).__name__}")
    height = _checks.positive_int("height", height, minimum=9)
    width = _checks.positive_int("width", width, minimum=12)
    level = np.full((height, width), SKY, dtype=np.int8)
    thickness = np.zeros(width, dtype=int)  # ground tiles per column (0 = gap)
    column, ground = 0, int(rng.integers(1, 4))
    thickness[:3] = ground
    column = 3
    safe_end = width - 3
    features: list[tuple[str, int, int]] = []  # (kind, first column, size) placed after the ground exists
    while column < safe_end:
        stretch = int(rng.integers(3, 9))
        if rng.random() < 0.5:
            ground = int(np.clip(ground + rng.choice([-1, 1]), 1, 4))
        end = min(column + stretch, safe_end)
        thickness[column:end] = ground
        roll = rng.random()
        if roll < 0.30 and end + 5 < safe_end:  # a gap
            gap = int(rng.choice([1, 2, 3, 4], p=[0.3, 0.36, 0.29, 0.05]))
            thickness[end:end + gap] = 0
            end += gap
        elif roll < 0.50 and end - column >= 4:  # a pipe
            features.append(("pipe", int(rng.integers(column + 1, end - 2)), int(rng.choice([2, 3, 4, 5], p=[0.35, 0.35, 0.26, 0.04]))))
        elif roll < 0.62 and end - column >= 6:  # a staircase
            features.append(("stairs", column + 1, int(rng.integers(2, min(4, (end - column - 2) // 2) + 1))))
        if rng.random() < 0.35 and end - column >= 4:  # a floating platform
            features.append(("platform", int(rng.integers(column, end - 2)), int(rng.integers(3, 7))))
        column = end
    thickness[safe_end:] = ground
    for col in range(width):
        if thickness[col]:
            level[height - thickness[col]:, col] = GROUND
    for kind, first, size in features:
        top = height - thickness[first]  # row of the ground's top tile at this column
        if kind == "pipe" and thickness[first] and thickness[first + 1] == thickness[first]:
            level[max(top - size, 1):top, first:first + 2] = PIPE
        elif kind == "stairs":
            for step in range(size):
                for col in (first + step, first + 2 * size - 1 - step):
                    if col < safe_end and thickness[col]:
                        level[max(height - thickness[col] - step - 1, 1):height - thickness[col], col] = GROUND
        elif kind == "platform":
            row = top - 5
            if row >= 1:
                cols = slice(first, min(first + size, safe_end))
                blocks = np.where(rng.random(cols.stop - cols.start) < 0.3, QUESTION, BRICK)
                level[row, cols] = np.where(level[row, cols] == SKY, blocks, level[row, cols])  # never cut into a pipe
                if rng.random() < 0.3 and level[row - 1, first] == SKY:
                    level[row - 1, first] = ENEMY
    for col in range(4, safe_end):  # enemies walk on the ground
        top = height - thickness[col] - 1
        if thickness[col] and rng.random() < 0.07 and level[top, col] == SKY and not SOLID[level[top - 1, col]]:
            level[top, col] = ENEMY
    return level


def generate_levels(num_levels: int, seed: int, *, height: int = HEIGHT, width: int = WIDTH) -> np.ndarray:
    """``num_levels`` procedural levels, an int8 (n, height, width) array. Example: ``generate_levels(100, seed=0)``"""
    num_levels = _checks.positive_int("num_levels", num_levels)
    rng = np.random.default_rng(_checks.positive_int("seed", seed, minimum=0))
    return np.stack([generate_level(rng, height=height, width=width) for _ in range(num_levels)])


# ----------------------------------------------------------------------------- the playability agent


def _check_physics(physics) -> Physics:
    if not isinstance(physics, Physics):
        raise TypeError(f"physics must be utils.levels.Physics(jump_height=..., jump_length=...), got {type(physics).__name__}")
    _checks.positive_int("physics.jump_height", physics.jump_height, minimum=0)
    _checks.positive_int("physics.jump_length", physics.jump_length, minimum=0)
    return physics


def _landing_rows(level: np.ndarray) -> list[list[int]]:
    """land[r][c]: the row where a player entering free cell (r, c) comes to rest by falling; -1 when it falls
    onto an enemy or out of the level (the move is not allowed), -2 when (r, c) itself is not free."""
    height, width = level.shape
    blocked = (SOLID[level] | (level == ENEMY)).tolist()
    solid = SOLID[level].tolist()
    land = [[-2] * width for _ in range(height)]
    for c in range(width):
        for r in range(height - 1, -1, -1):
            if blocked[r][c]:
                continue
            if r == height - 1 or (blocked[r + 1][c] and not solid[r + 1][c]):
                land[r][c] = -1  # falls out of the level, or onto an enemy
            elif solid[r + 1][c]:
                land[r][c] = r
            else:
                land[r][c] = land[r + 1][c]
    return land


def moves(level, position: tuple[int, int], physics: Physics = DEFAULT_PHYSICS) -> list[tuple[tuple[int, int], bool]]:
    """Every standing cell reachable in one move from ``position`` (row, column), with True for a jump.
    Example: ``moves(level, (8, 0))  # [((8, 1), False), ((7, 2), True), ...]``"""
    level = check_level(level)
    physics = _check_physics(physics)
    land = _landing_rows(level)
    row, col = position
    if land[row][col] != row:
        raise ValueError(f"position {position} is not a place to stand (a free cell above a solid tile)")
    return _moves(land, row, col, physics, level.shape[1])


def move_graph(level, physics: Physics = DEFAULT_PHYSICS) -> dict[tuple[int, int], list[tuple[tuple[int, int], bool]]]:
    """The game's moves as a graph: every place to stand (row, column) -> ``moves`` from it (target, is_jump).
    Example: ``graph = move_graph(level); graph[start_position(level)]  # [((8, 1), False), ...]``"""
    level = check_level(level)
    physics = _check_physics(physics)
    land = _landing_rows(level)
    height, width = level.shape
    return {(r, c): _moves(land, r, c, physics, width) for c in range(width) for r in range(height) if land[r][c] == r}


def _moves(land, row: int, col: int, physics: Physics, width: int) -> list[tuple[tuple[int, int], bool]]:
    found = []
    for direction in (-1, 1):
        side = col + direction
        if 0 <= side < width and land[row][side] >= 0:  # walk, then fall if there is no floor
            found.append(((land[row][side], side), False))
        for rise in range(1, physics.jump_height + 1):
            top = row - rise
            if top < 0 or land[top][col] == -2:  # head hits a tile: no higher jump
                break
            for step in range(1, physics.jump_length + 1):
                side = col + direction * step
                if not 0 <= side < width or land[top][side] == -2:
                    break
                if land[top][side] >= 0:
                    found.append(((land[top][side], side), True))
    return found


def start_position(level) -> tuple[int, int]:
    """Where the player lands after spawning at the top of the first column. Example: ``start_position(level)``"""
    level = check_level(level)
    row = _landing_rows(level)[0][0]
    if row < 0:
        raise ValueError("the level has no start: a player spawning at the top of the first column "
                         + ("is blocked by a tile there" if row == -2 else "falls out of the level or onto an enemy"))
    return row, 0


def play(level, physics: Physics = DEFAULT_PHYSICS) -> PlayResult:
    """Can the level be finished? 0-1 BFS (jumps cost 1) from the start to any standing cell in the last column.
    Example: ``play(level_from_strings(["---", "---", "XXX"])).playable  # True``"""
    level = check_level(level)
    physics = _check_physics(physics)
    land = _landing_rows(level)
    height, width = level.shape
    if land[0][0] < 0:
        return PlayResult(False, "no start (nothing to land on in the first column)", None, [])
    if not any(land[r][width - 1] == r for r in range(height)):
        return PlayResult(False, "no exit (no place to stand in the last column)", None, [])
    start = (land[0][0], 0)
    cost = {start: 0}
    parent = {start: None}
    queue = collections.deque([start])
    done = set()
    while queue:
        state = queue.popleft()
        if state in done:
            continue
        done.add(state)
        if state[1] == width - 1:
            path = []
            while state is not None:
                path.append(state)
                state = parent[state]
            return PlayResult(True, "", cost[path[0]], path[::-1])
        for nxt, is_jump in _moves(land, state[0], state[1], physics, width):
            new_cost = cost[state] + is_jump
            if nxt not in cost or new_cost < cost[nxt]:
                cost[nxt] = new_cost
                parent[nxt] = state
                if is_jump:
                    queue.append(nxt)
                else:
                    queue.appendleft(nxt)
    furthest = max(col for _, col in done)
    return PlayResult(False, f"exit unreachable (the agent gets no further than column {furthest})", None, [])


def playability(levels, physics: Physics = DEFAULT_PHYSICS) -> dict[str, np.ndarray]:
    """The agent on a batch: ``{"playable": bool (n,), "jumps": int (n,), -1 when unplayable}``.
    Example: ``playability(levels)["playable"].mean()``"""
    levels = check_levels(levels)
    results = [play(level, physics) for level in levels]
    return {"playable": np.array([r.playable for r in results]),
            "jumps": np.array([r.jumps if r.playable else -1 for r in results])}


# ----------------------------------------------------------------------------- the column tokeniser


class ColumnVocab:
    """Levels as strings of columns: each distinct column of tiles is one token (after Summerville & Mateas).

    Example: ``vocab = ColumnVocab.fit(train_levels); ids = vocab.encode(train_levels); vocab.decode(ids)``
    """

    def __init__(self, columns: np.ndarray):
        columns = _checks.as_array("columns", columns, ndim=2, min_len=1).astype(np.int8)
        if columns.min() < 0 or columns.max() >= len(TILES):
            raise ValueError(f"columns must hold tile ids 0..{len(TILES) - 1}")
        if len({c.tobytes() for c in columns}) != len(columns):
            raise ValueError("columns must not repeat a column")
        self.columns = columns
        self._index = {c.tobytes(): i for i, c in enumerate(columns)}

    @classmethod
    def fit(cls, levels) -> ColumnVocab:
        """The distinct columns of ``levels``, most frequent first."""
        levels = check_levels(levels)
        flat = levels.transpose(0, 2, 1).reshape(-1, levels.shape[1])
        unique, counts = np.unique(flat, axis=0, return_counts=True)
        return cls(unique[np.argsort(-counts, kind="stable")])

    @property
    def size(self) -> int:
        """Number of distinct columns."""
        return len(self.columns)

    def __len__(self) -> int:
        return self.size

    def encode(self, levels, *, unknown: str = "error") -> np.ndarray:
        """Token ids (n, width); an unseen column raises, or with ``unknown="nearest"`` maps to the closest known one."""
        levels = check_levels(levels)
        _checks.one_of("unknown", unknown, ("error", "nearest"))
        if levels.shape[1] != self.columns.shape[1]:
            raise ValueError(f"levels are {levels.shape[1]} tiles high but the vocabulary's columns {self.columns.shape[1]}")
        ids = np.empty(levels.shape[::2], dtype=np.int32)
        for n, level in enumerate(levels):
            for c, column in enumerate(level.T):
                index = self._index.get(column.tobytes())
                if index is None:
                    if unknown == "error":
                        raise ValueError(f"level {n} column {c} ({''.join(TILES[t] for t in column)!r}) is not in the vocabulary; "
                                         "fit the vocabulary on these levels or pass unknown='nearest'")
                    index = int(np.argmin(np.sum(self.columns != column, axis=1)))
                ids[n, c] = index
        return ids

    def decode(self, ids) -> np.ndarray:
        """Levels (n, height, width) for token ids (n, width)."""
        array = _checks.as_array("ids", ids, ndim=2)
        if not np.issubdtype(array.dtype, np.integer):
            raise TypeError(f"ids must be integers, got dtype {array.dtype}")
        if array.min() < 0 or array.max() >= self.size:
            raise ValueError(f"ids must be in [0, {self.size - 1}], got values in [{array.min()}, {array.max()}]")
        return self.columns[array].transpose(0, 2, 1).copy()


# ----------------------------------------------------------------------------- rendering


def tile_images(size: int = 8) -> np.ndarray:
    """RGB images (num_tiles, size, size, 3) in [0, 1] of the six tiles, drawn with NumPy. Example: ``tile_images()[GROUND]``"""
    size = _checks.positive_int("size", size, minimum=4)
    y, x = np.mgrid[0:size, 0:size] / (size - 1)
    images = np.zeros((len(TILES), size, size, 3))
    images[SKY] = [0.58, 0.78, 0.98]
    images[GROUND] = [0.55, 0.33, 0.16]
    images[GROUND][((x * 3).astype(int) + (y * 3).astype(int)) % 2 == 0] = [0.47, 0.27, 0.12]  # a checked soil texture
    images[GROUND][: max(1, size // 8)] = [0.35, 0.65, 0.2]  # grass on top
    images[BRICK] = [0.72, 0.32, 0.18]
    mortar = (np.abs(y - 0.5) < 0.07) | (y < 0.07) | ((np.abs(x - 0.5) < 0.07) & (y < 0.5)) | ((x < 0.07) & (y > 0.5))
    images[BRICK][mortar] = [0.9, 0.85, 0.75]
    images[QUESTION] = [0.98, 0.75, 0.15]
    images[QUESTION][(np.abs(x - 0.5) < 0.12) & (np.abs(y - 0.45) < 0.3) & ~((y > 0.6) & (y < 0.7))] = [0.55, 0.3, 0.05]
    images[QUESTION][(x < 0.07) | (x > 0.93) | (y < 0.07) | (y > 0.93)] = [0.55, 0.3, 0.05]
    images[PIPE] = [0.2, 0.62, 0.2]
    images[PIPE][(x > 0.15) & (x < 0.35)] = [0.55, 0.88, 0.45]  # highlight
    images[PIPE][(x < 0.07) | (x > 0.93)] = [0.05, 0.3, 0.05]
    images[ENEMY] = images[SKY]
    body = (x - 0.5) ** 2 / 0.2 + (y - 0.55) ** 2 / 0.16 < 1
    images[ENEMY][body] = [0.5, 0.25, 0.1]
    eyes = ((x - 0.35) ** 2 + (y - 0.45) ** 2 < 0.012) | ((x - 0.65) ** 2 + (y - 0.45) ** 2 < 0.012)
    images[ENEMY][eyes & body] = [1.0, 1.0, 1.0]
    return images


def render_level(level, *, tile_size: int = 8) -> np.ndarray:
    """An RGB image (height * tile_size, width * tile_size, 3) of a level. Example: ``plt.imshow(render_level(level))``"""
    level = check_level(level)
    tiles = tile_images(tile_size)
    image = tiles[level]  # (H, W, s, s, 3)
    return image.transpose(0, 2, 1, 3, 4).reshape(level.shape[0] * tile_size, level.shape[1] * tile_size, 3)


# ----------------------------------------------------------------------------- metrics


def structure_errors(level) -> int:
    """Tiles that break the generator's grammar: ground (X) or a pipe (P) not standing on ground or pipe, an enemy (E)
    not standing on a solid tile, a pipe tile without exactly one pipe tile beside it (pipes are 2 wide).
    Example: ``structure_errors(level_from_strings(["-P-", "XXX"]))  # 1: half a pipe``"""
    level = check_level(level)
    below = np.vstack([level[1:], np.full((1, level.shape[1]), GROUND, dtype=np.int8)])  # the bottom row stands on the floor
    ground_ok = (below == GROUND)
    pipe_ok = (below == GROUND) | (below == PIPE)
    is_pipe = level == PIPE
    left = np.hstack([np.zeros((level.shape[0], 1), bool), is_pipe[:, :-1]])
    right = np.hstack([is_pipe[:, 1:], np.zeros((level.shape[0], 1), bool)])
    errors = ((level == GROUND) & ~ground_ok) | (is_pipe & ~pipe_ok) | (is_pipe & (left == right))
    errors |= (level == ENEMY) & ~SOLID[below]
    return int(errors.sum())


def well_formed(levels) -> np.ndarray:
    """True for each level without structure errors (see ``structure_errors``). Example: ``well_formed(samples).mean()``"""
    return np.array([structure_errors(level) == 0 for level in check_levels(levels)])



def _one_hot_flat(levels: np.ndarray) -> np.ndarray:
    return np.eye(len(TILES), dtype=np.float32)[levels.reshape(len(levels), -1)].reshape(len(levels), -1)


def nearest_levels(queries, references, *, batch_size: int = 500) -> tuple[np.ndarray, np.ndarray]:
    """For each query level, the index of its nearest reference level and the share of tiles that differ (Hamming).
    Example: ``index, distance = nearest_levels(samples, train_levels)``"""
    queries, references = check_levels(queries, name="queries"), check_levels(references, name="references")
    if queries.shape[1:] != references.shape[1:]:
        raise ValueError(f"queries are {queries.shape[1:]} tiles, references {references.shape[1:]}: compare levels of one size")
    batch_size = _checks.positive_int("batch_size", batch_size)
    ref = _one_hot_flat(references)
    tiles = queries.shape[1] * queries.shape[2]
    index = np.empty(len(queries), dtype=np.int64)
    distance = np.empty(len(queries))
    for begin in range(0, len(queries), batch_size):
        same = _one_hot_flat(queries[begin:begin + batch_size]) @ ref.T  # tiles that agree
        index[begin:begin + batch_size] = np.argmax(same, axis=1)
        distance[begin:begin + batch_size] = 1.0 - same.max(axis=1) / tiles
    return index, distance


def novelty(generated, training, *, min_distance: float = 0.05) -> float:
    """Share of generated levels whose nearest training level differs in more than ``min_distance`` of the tiles.
    Example: ``novelty(samples, train_levels)``"""
    min_distance = _checks.number_in("min_distance", min_distance, 0.0, 1.0)
    return float(np.mean(nearest_levels(generated, training)[1] > min_distance))


def diversity(levels, *, max_pairs: int = 20000, seed: int = 0) -> float:
    """Mean share of differing tiles between two different levels of the set. Example: ``diversity(samples)``"""
    levels = check_levels(levels)
    if len(levels) < 2:
        raise ValueError("diversity needs at least 2 levels")
    rng = np.random.default_rng(seed)
    first = rng.integers(0, len(levels), _checks.positive_int("max_pairs", max_pairs))
    second = (first + rng.integers(1, len(levels), len(first))) % len(levels)
    return float(np.mean(levels[first] != levels[second]))


def pattern_histogram(levels, *, size: int = 2) -> dict[int, float]:
    """Shares of every ``size x size`` tile pattern in the levels (keys encode the pattern in base 6).
    Example: ``pattern_histogram(levels)``"""
    levels = check_levels(levels)
    size = _checks.positive_int("size", size)
    if size > min(levels.shape[1:]):
        raise ValueError(f"size {size} is larger than the levels ({levels.shape[1:]})")
    n, height, width = levels.shape
    codes = np.zeros((n, height - size + 1, width - size + 1), dtype=np.int64)
    for dy in range(size):
        for dx in range(size):
            codes = codes * len(TILES) + levels[:, dy:height - size + 1 + dy, dx:width - size + 1 + dx]
    keys, counts = np.unique(codes, return_counts=True)
    return dict(zip(keys.tolist(), (counts / counts.sum()).tolist()))


def pattern_distance(levels_a, levels_b, *, size: int = 2) -> float:
    """Jensen-Shannon divergence (bits, 0..1) between two sets' tile-pattern histograms. Example: ``pattern_distance(samples, held_out)``"""
    a, b = pattern_histogram(levels_a, size=size), pattern_histogram(levels_b, size=size)
    keys = sorted(set(a) | set(b))
    p = np.array([a.get(k, 0.0) for k in keys])
    q = np.array([b.get(k, 0.0) for k in keys])
    m = 0.5 * (p + q)

    def kl(x):
        mask = x > 0
        return float(np.sum(x[mask] * np.log2(x[mask] / m[mask])))

    return 0.5 * kl(p) + 0.5 * kl(q)


# ----------------------------------------------------------------------------- terrains


def fractal_heightmap(rng: np.random.Generator, *, size: int = 32, octaves: int = 5, persistence: float = 0.5) -> np.ndarray:
    """Fractal value noise in [0, 1]: random grids of 2, 4, 8... cells, smoothly upsampled, halved in amplitude per
    octave (``persistence``) and summed. Example: ``fractal_heightmap(np.random.default_rng(0))``"""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator (np.random.default_rng(seed)), got {type(rng).__name__}")
    size = _checks.positive_int("size", size, minimum=4)
    octaves = _checks.positive_int("octaves", octaves)
    persistence = _checks.number_in("persistence", persistence, 0.0, 1.0, inclusive=False)
    if 2 ** octaves > size:
        raise ValueError(f"{octaves} octaves need a grid of 2**{octaves} = {2 ** octaves} cells, more than size {size}: use fewer octaves")
    height = np.zeros((size, size))
    positions = np.linspace(0, 1, size)
    for octave in range(octaves):
        cells = 2 ** (octave + 1)
        grid = rng.random((cells + 1, cells + 1))
        coords = positions * cells
        i = np.minimum(coords.astype(int), cells - 1)
        f = coords - i
        f = f * f * (3 - 2 * f)  # smoothstep: no creases at the grid lines
        rows = grid[i] * (1 - f)[:, None] + grid[i + 1] * f[:, None]
        layer = rows[:, i] * (1 - f)[None, :] + rows[:, i + 1] * f[None, :]
        height += persistence ** octave * layer
    height -= height.min()
    return height / max(height.max(), 1e-12)


def thermal_erosion_step(height, *, talus: float, rate: float = 0.25) -> np.ndarray:
    """One step of thermal erosion: wherever a cell is higher than a neighbour (of 4, no wrap-around) by more than
    ``talus``, it sends ``rate`` x the excess / 4 downhill. Mass is conserved. Example: ``thermal_erosion_step(h, talus=0.01)``"""
    height = _checks.as_array("height", height, ndim=2).astype("float64")
    talus = _checks.number_in("talus", talus, 0.0, float("inf"))
    rate = _checks.number_in("rate", rate, 0.0, 1.0, inclusive=False)
    new = height.copy()
    for axis in (0, 1):
        first = [slice(None), slice(None)]
        second = [slice(None), slice(None)]
        first[axis], second[axis] = slice(None, -1), slice(1, None)
        difference = height[tuple(first)] - height[tuple(second)]  # positive: material moves first -> second
        flow = rate * np.sign(difference) * np.maximum(np.abs(difference) - talus, 0.0) / 4
        new[tuple(first)] -= flow
        new[tuple(second)] += flow
    return new


def erode(height, *, iterations: int = 50, talus: float = 0.01, rate: float = 0.25) -> np.ndarray:
    """``iterations`` steps of ``thermal_erosion_step``. Example: ``erode(fractal_heightmap(rng))``"""
    iterations = _checks.positive_int("iterations", iterations, minimum=0)
    height = _checks.as_array("height", height, ndim=2).astype("float64")
    for _ in range(iterations):
        height = thermal_erosion_step(height, talus=talus, rate=rate)
    return height


def generate_terrains(num_terrains: int, seed: int, *, size: int = 32, octaves: int = 5, iterations: int = 50,
                      talus: float = 0.01) -> np.ndarray:
    """Eroded fractal heightmaps (n, size, size), each rescaled to [0, 1]. Example: ``generate_terrains(100, seed=0)``"""
    num_terrains = _checks.positive_int("num_terrains", num_terrains)
    rng = np.random.default_rng(_checks.positive_int("seed", seed, minimum=0))
    maps = []
    for _ in range(num_terrains):
        height = erode(fractal_heightmap(rng, size=size, octaves=octaves), iterations=iterations, talus=talus)
        height -= height.min()
        maps.append(height / max(height.max(), 1e-12))
    return np.stack(maps).astype("float32")


def slopes(heights) -> np.ndarray:
    """Absolute height differences between 4-neighbours, pooled over a set of heightmaps (n, h, w). Example: ``slopes(maps)``"""
    heights = _checks.as_array("heights", heights, ndim=3, min_len=1).astype("float64")
    return np.concatenate([np.abs(np.diff(heights, axis=1)).ravel(), np.abs(np.diff(heights, axis=2)).ravel()])


def slope_distance(heights_a, heights_b) -> float:
    """Wasserstein-1 distance between two sets' slope distributions (same units as the heights). Example: ``slope_distance(a, b)``"""
    a, b = np.sort(slopes(heights_a)), np.sort(slopes(heights_b))
    quantiles = np.linspace(0, 1, 2001)[1:-1]
    return float(np.mean(np.abs(np.quantile(a, quantiles) - np.quantile(b, quantiles))))
