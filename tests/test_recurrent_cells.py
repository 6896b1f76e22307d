"""The recurrent cells written from scratch agree with Keras: notebook 08's ``gru_step`` (taken from the notebook's own
cell) against ``keras.layers.GRU``, and the LSTM reference of Exercise 4's checker against ``keras.layers.LSTM``."""

from __future__ import annotations

import ast
import json
import pathlib

import keras
import numpy as np
import pytest

from utils.exercises import nb08

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "08_rnn_text_generation.ipynb"


def notebook_gru_step():
    """``gru_step`` (and the ``sigmoid`` it calls) as notebook 08 defines them: only the function definitions of its cell run."""
    cells = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    source = next("".join(c["source"]) for c in cells if c["cell_type"] == "code" and "def gru_step(" in "".join(c["source"]))
    functions = [statement for statement in ast.parse(source).body if isinstance(statement, ast.FunctionDef)]
    namespace = {"np": np}
    exec(compile(ast.Module(functions, []), str(NOTEBOOK), "exec"), namespace)  # noqa: S102
    return namespace["gru_step"]


def random_layer(layer, inputs, seed):
    """Build ``layer`` for ``inputs`` and give it random weights, biases included (Keras starts biases at 0)."""
    layer.build(inputs.shape)
    rng = np.random.default_rng(seed)
    layer.set_weights([rng.normal(scale=0.5, size=w.shape).astype("float32") for w in layer.get_weights()])
    return layer.get_weights()


def unroll(step, inputs, units, weights, cell_state=False):
    state = np.zeros((inputs.shape[0], units))
    cell = np.zeros_like(state)
    outputs = []
    for t in range(inputs.shape[1]):
        if cell_state:
            state, cell = step(inputs[:, t], state, cell, *weights)
        else:
            state = step(inputs[:, t], state, *weights)
        outputs.append(state)
    return np.stack(outputs, axis=1)


@pytest.mark.parametrize(("batch", "steps", "features", "units"), [(3, 7, 5, 4), (1, 30, 2, 16)])
def test_notebook_gru_step_matches_keras_gru(batch, steps, features, units):
    inputs = np.random.default_rng(1).normal(size=(batch, steps, features)).astype("float32")
    layer = keras.layers.GRU(units, return_sequences=True)
    weights = random_layer(layer, inputs, seed=2)
    expected = layer(inputs).numpy()
    assert np.abs(unroll(notebook_gru_step(), inputs, units, weights) - expected).max() < 1e-5


def test_gru_check_can_fail():
    # the same comparison rejects the classic mistakes: gates swapped (z <-> 1 - z) and the reset gate applied before U_h
    gru_step = notebook_gru_step()
    inputs = np.random.default_rng(1).normal(size=(3, 7, 5)).astype("float32")
    layer = keras.layers.GRU(4, return_sequences=True)
    kernel, recurrent_kernel, bias = random_layer(layer, inputs, seed=2)
    expected = layer(inputs).numpy()

    def swapped(x, h, *weights):
        new = gru_step(x, h, *weights)  # = z h + (1 - z) c; recover the candidate c and mix the other way round
        x_z, _, _ = np.split(x @ kernel + bias[0], 3, axis=-1)
        h_z, _, _ = np.split(h @ recurrent_kernel + bias[1], 3, axis=-1)
        z = 1 / (1 + np.exp(-(x_z + h_z)))
        candidate = (new - z * h) / (1 - z)
        return (1 - z) * h + z * candidate

    def reset_before(x, h, kernel_, recurrent_kernel_, bias_):
        x_z, x_r, x_c = np.split(x @ kernel_ + bias_[0], 3, axis=-1)
        units = h.shape[-1]
        h_z, h_r, _ = np.split(h @ recurrent_kernel_ + bias_[1], 3, axis=-1)
        z, r = (1 / (1 + np.exp(-(a + b))) for a, b in ((x_z, h_z), (x_r, h_r)))
        candidate = np.tanh(x_c + (r * h) @ recurrent_kernel_[:, 2 * units:] + bias_[1][2 * units:])
        return z * h + (1 - z) * candidate

    for wrong in (swapped, reset_before):
        assert np.abs(unroll(wrong, inputs, 4, (kernel, recurrent_kernel, bias)) - expected).max() > 1e-2


def test_lstm_reference_matches_keras_lstm():
    inputs = np.random.default_rng(3).normal(size=(2, 9, 5)).astype("float32")
    layer = keras.layers.LSTM(6, return_sequences=True, return_state=True)
    weights = random_layer(layer, inputs, seed=4)
    sequence, _, final_cell = (t.numpy() for t in layer(inputs))
    assert np.abs(unroll(nb08.reference_lstm_step, inputs, 6, weights, cell_state=True) - sequence).max() < 1e-5
    state = cell = np.zeros((2, 6))
    for t in range(inputs.shape[1]):
        state, cell = nb08.reference_lstm_step(inputs[:, t], state, cell, *weights)
    assert np.abs(cell - final_cell).max() < 1e-5
    # and each typical mistake the checker names really differs from Keras
    for mistake in nb08.LSTM_MISTAKES:
        wrong = unroll(lambda *args, m=mistake: nb08.reference_lstm_step(*args, mistake=m), inputs, 6, weights, cell_state=True)
        assert np.abs(wrong - sequence).max() > 1e-3, mistake
