"""utils/attention.py must stay notebook 09's attention: this test runs the cells of notebook 09 that define the causal
mask, scaled dot-product attention, rotary positions, multi-head self-attention and the transformer block (their
top-level definitions only, not the cells' training or prints), builds both versions with the same weights and checks
that they give identical outputs, with and without the mask, with rotary positions, and through the key/value cache."""

from __future__ import annotations

import ast
import json
import pathlib

import keras
import numpy as np
import pytest
import tensorflow as tf

from utils import attention

NOTEBOOK = pathlib.Path(__file__).resolve().parents[1] / "notebooks" / "09_transformer_from_scratch.ipynb"
NAMES = ("causal_mask", "scaled_dot_product_attention", "sinusoidal_positions", "rotate", "MultiHeadSelfAttention",
         "TransformerBlock")


@pytest.fixture(scope="module")
def notebook09() -> dict:
    """Notebook 09's definitions of NAMES, executed from its own code cells."""
    namespace: dict = {"np": np, "tf": tf, "keras": keras}
    found = set()
    for cell in json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] != "code":
            continue
        for statement in ast.parse("".join(cell["source"])).body:
            if isinstance(statement, (ast.FunctionDef, ast.ClassDef)) and statement.name in NAMES:
                exec(compile(ast.Module([statement], []), str(NOTEBOOK), "exec"), namespace)  # noqa: S102
                found.add(statement.name)
    assert found == set(NAMES), f"notebook 09 no longer defines {set(NAMES) - found}"
    return namespace


def _copy_weights(source, target, inputs):
    source(inputs)
    target(inputs)  # build
    assert [tuple(w.shape) for w in source.weights] == [tuple(w.shape) for w in target.weights]
    target.set_weights(source.get_weights())


def test_functions_match(notebook09):
    for queries, keys in ((4, 4), (1, 6), (3, 7)):
        assert np.array_equal(notebook09["causal_mask"](queries, keys).numpy(), attention.causal_mask(queries, keys).numpy())
    q, k, v = (tf.random.stateless_normal((2, 3, 5, 8), seed=(i, 0)) for i in range(3))
    mask = attention.causal_mask(5, 5)
    for masked in (None, mask):
        ours, theirs = attention.scaled_dot_product_attention(q, k, v, masked), notebook09["scaled_dot_product_attention"](q, k, v, masked)
        assert all(np.array_equal(a.numpy(), b.numpy()) for a, b in zip(ours, theirs))
    assert np.array_equal(attention.sinusoidal_positions(16, 8), notebook09["sinusoidal_positions"](16, 8))
    assert np.array_equal(attention.rotate(q, tf.range(5)).numpy(), notebook09["rotate"](q, tf.range(5)).numpy())


@pytest.mark.parametrize(("causal", "rotary"), [(True, False), (False, False), (True, True)])
def test_attention_and_block_give_identical_outputs(notebook09, causal, rotary):
    inputs = tf.random.stateless_normal((2, 7, 16), seed=(1, 2))
    for name in ("MultiHeadSelfAttention", "TransformerBlock"):
        keras.utils.set_random_seed(0)
        theirs = notebook09[name](16, 4, causal=causal, rotary=rotary)
        ours = getattr(attention, name)(16, 4, causal=causal, rotary=rotary)
        _copy_weights(theirs, ours, inputs)
        (out_theirs, weights_theirs), (out_ours, weights_ours) = theirs(inputs), ours(inputs)
        assert np.array_equal(out_theirs.numpy(), out_ours.numpy()), name
        assert np.array_equal(weights_theirs.numpy(), weights_ours.numpy()), name
        if causal:
            assert np.all(np.triu(weights_ours.numpy()[0, 0], k=1) == 0)


def test_cached_step_matches_notebook_and_full_window(notebook09):
    inputs = tf.random.stateless_normal((2, 6, 16), seed=(3, 4))
    keras.utils.set_random_seed(0)
    theirs, ours = notebook09["TransformerBlock"](16, 2), attention.TransformerBlock(16, 2)
    _copy_weights(theirs, ours, inputs)
    full, _ = ours(inputs)
    caches = {id(block): (tf.zeros((2, 2, 6, 8)), tf.zeros((2, 2, 6, 8))) for block in (theirs, ours)}
    for position in range(6):
        step = {}
        for block in (theirs, ours):
            output, *cache = block.call_cached(inputs[:, position:position + 1], tf.constant(position), *caches[id(block)])
            caches[id(block)], step[id(block)] = tuple(cache), output.numpy()
        assert np.array_equal(step[id(theirs)], step[id(ours)])
        np.testing.assert_allclose(step[id(ours)][:, 0], full.numpy()[:, position], atol=1e-5)


def test_bad_head_count():
    with pytest.raises(ValueError, match="divisible by num_heads"):
        attention.MultiHeadSelfAttention(10, 4)
