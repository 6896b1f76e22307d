"""Notebook 15's completion never moves the designer's boxes: the notebook's own `draw` and `generate` (taken from its
code cells) run with stand-in models (random logits, a model that always wants to stop, one that always proposes boxes
at the top, one that never stops) on hand-made briefs, and every given box must come back exactly, whatever the model
proposes; screen types are kept and every sequence decodes."""

from __future__ import annotations

import ast
import json
import pathlib

import numpy as np
import pytest

from utils import layouts

NOTEBOOK = pathlib.Path(__file__).resolve().parents[1] / "notebooks" / "15_design_generation.ipynb"
MAX_BOXES = 24


@pytest.fixture(scope="module")
def notebook():
    """The notebook's draw and generate, with the globals they read."""
    tokenizer = layouts.BoxTokenizer(max_boxes=MAX_BOXES)
    namespace = {"np": np, "L": layouts, "tokenizer": tokenizer, "MAX_BOXES": MAX_BOXES, "TEMPERATURE": 1.0,
                 "grammar_mask": np.stack([tokenizer.kind_mask(p) for p in range(tokenizer.max_length)])}
    found = set()
    for cell in json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] != "code":
            continue
        for statement in ast.parse("".join(cell["source"])).body:
            if isinstance(statement, ast.FunctionDef) and statement.name in ("draw", "generate"):
                exec(compile(ast.Module([statement], []), str(NOTEBOOK), "exec"), namespace)  # noqa: S102
                found.add(statement.name)
    assert found == {"draw", "generate"}
    return namespace


class _Model:
    """A stand-in sampler with the notebook's interface: start(count), then (ids, position) -> logits of the next token."""

    def __init__(self, kind, vocab_size, tokenizer):
        self.kind, self.vocab_size, self.tokenizer = kind, vocab_size, tokenizer
        self.rng = np.random.default_rng(0)

    def start(self, count):
        self.count = count

    def __call__(self, ids, position):
        kind, tokenizer = self.kind, self.tokenizer
        assert ids.shape[0] == self.count and 0 <= position < ids.shape[1]
        logits = self.rng.normal(size=(len(ids), self.vocab_size))
        if kind == "stops":
            logits[:, tokenizer.EOS] = 50.0
        if kind == "never stops":
            logits[:, tokenizer.EOS] = -50.0
        if kind == "top":  # proposes boxes at the top of the screen: before every given box in reading order
            logits[:, tokenizer.offsets["y"][0]] = 50.0
            logits[:, tokenizer.EOS] = -50.0
        return logits


BRIEFS = [
    np.array([[layouts.HEADER, 0, 0, 12, 3], [layouts.IMAGE, 1, 4, 10, 6]]),
    np.array([[layouts.HEADER, 0, 0, 12, 2], [layouts.TAB_BAR, 0, 22, 12, 2]]),
    np.array([[layouts.BUTTON, 4, 20, 4, 2]]),
    np.array([[layouts.IMAGE, 6, 8, 6, 4], [layouts.TEXT, 0, 8, 6, 2], [layouts.TITLE, 0, 2, 12, 1]]),  # given out of order
]


@pytest.mark.parametrize("kind", ["random", "stops", "never stops", "top"])
def test_completion_keeps_the_designer_boxes(notebook, kind):
    tokenizer = notebook["tokenizer"]
    next_fn = _Model(kind, tokenizer.vocab_size, tokenizer)
    given = [BRIEFS[i % len(BRIEFS)] for i in range(12)]
    types = [i % len(layouts.SCREEN_TYPES) for i in range(12)]
    completed, names = notebook["generate"](next_fn, 12, np.random.default_rng(1), types=types, given=given)
    for brief, layout, type_id, name in zip(given, completed, types, names):
        assert layout is not None and name == layouts.SCREEN_TYPES[type_id]
        for box in brief:
            assert any(np.array_equal(box, other) for other in layout), (kind, box, layout)
        assert len(layout) <= MAX_BOXES
        if kind == "stops":  # a model that only wants to stop still gets the whole brief, and nothing else
            assert np.array_equal(layouts.sort_boxes(layout), layouts.sort_boxes(brief))


def test_free_generation_decodes(notebook):
    tokenizer = notebook["tokenizer"]
    completed, names = notebook["generate"](_Model("random", tokenizer.vocab_size, tokenizer), 8, np.random.default_rng(2))
    assert len(completed) == 8 and all(name in layouts.SCREEN_TYPES for name in names)
    assert all(layout is None or layout.shape[1] == 5 for layout in completed)
