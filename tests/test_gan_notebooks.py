"""Notebooks 06-07 write their GAN models and steps out as cells; ``utils.gan`` keeps the same code for the benchmark.

These tests take the functions from the notebooks' own code cells and check that they build the same models as
``utils.gan`` (layer by layer, the same initial weights for the same seed), that 06's training step gives the same
losses and weights as ``utils.gan.make_dcgan_train_step`` with the same decay, and that 07's gradient penalty equals
``utils.gan.gradient_penalty``. If one side changes without the other, they fail.
"""

from __future__ import annotations

import ast
import json
import pathlib

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import layers

import utils
from utils import gan

ROOT = pathlib.Path(__file__).resolve().parents[1]


def notebook_functions(name: str, **constants) -> dict:
    """The top-level functions of a notebook's code cells (solutions excluded), defined with ``constants`` as globals."""
    namespace = {"keras": keras, "layers": layers, "tf": tf, "np": np, "utils": utils, **constants}
    cells = json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text(encoding="utf-8"))["cells"]
    for cell in cells:
        if cell["cell_type"] != "code" or "solution" in cell.get("metadata", {}).get("tags", []):
            continue
        for statement in ast.parse("".join(cell["source"])).body:
            if isinstance(statement, ast.FunctionDef):
                exec(compile(ast.Module([statement], []), name, "exec"), namespace)  # noqa: S102
    return namespace


def _layer_configs(model) -> list[tuple[str, dict]]:
    configs = []
    for layer in model.layers:
        config = {key: value for key, value in layer.get_config().items() if key != "name"}
        configs.append((type(layer).__name__, config))
    return configs


def _assert_same_model(built, reference) -> None:
    assert _layer_configs(built) == _layer_configs(reference)
    assert [w.shape for w in built.weights] == [w.shape for w in reference.weights]
    for a, b in zip(built.weights, reference.weights):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert [tuple(t.shape) for t in built.outputs] == [tuple(t.shape) for t in reference.outputs]


def _seeded(build):
    keras.utils.set_random_seed(3)
    return build()


def test_06_models_equal_utils_gan():
    nb = notebook_functions("06_dcgan")
    _assert_same_model(_seeded(lambda: nb["build_generator"](16, 8)), _seeded(lambda: gan.build_dcgan_generator(16, width=8)))
    _assert_same_model(_seeded(lambda: nb["build_discriminator"](8)), _seeded(lambda: gan.build_dcgan_discriminator(width=8)))


def test_06_models_differ_when_the_architecture_differs():
    # the comparison can fail: a different width or a library discriminator with batch norm is caught
    nb = notebook_functions("06_dcgan")
    with pytest.raises(AssertionError):
        _assert_same_model(_seeded(lambda: nb["build_generator"](16, 8)), _seeded(lambda: gan.build_dcgan_generator(16, width=12)))
    with pytest.raises(AssertionError):
        _assert_same_model(_seeded(lambda: nb["build_discriminator"](8)),
                           _seeded(lambda: gan.build_dcgan_discriminator(width=8, batch_norm=True)))


def _train_three_steps(make_step, ema_decay):
    keras.utils.set_random_seed(5)
    generator, discriminator = gan.build_dcgan_generator(16, width=8), gan.build_dcgan_discriminator(width=8)
    ema = gan.build_dcgan_generator(16, width=8, name="ema")
    gan.copy_weights(generator, ema)
    g_opt, d_opt = keras.optimizers.Adam(2e-4, beta_1=0.5), keras.optimizers.Adam(2e-4, beta_1=0.5)
    step = make_step(generator, discriminator, ema, g_opt, d_opt, tf.random.Generator.from_seed(7))
    images = np.random.default_rng(0).uniform(-1, 1, (3, 16, 28, 28, 1)).astype("float32")
    losses = [{key: float(value) for key, value in step(tf.constant(batch)).items()} for batch in images]
    return losses, [np.asarray(w) for model in (generator, discriminator, ema) for w in model.weights]


@pytest.mark.parametrize("ema_decay", [0.99, 0.1])  # 0.1: below the warm-up from the first step
def test_06_training_step_equals_utils_gan(ema_decay):
    nb = notebook_functions("06_dcgan", LATENT_DIM=16, EMA_DECAY=ema_decay)
    ours = _train_three_steps(nb["make_train_step"], ema_decay)
    library = _train_three_steps(lambda g, d, e, go, do, rng: gan.make_dcgan_train_step(
        g, d, go, do, rng, latent_dim=16, generator_ema=e, ema_decay=ema_decay), ema_decay)
    for a, b in zip(ours[0], library[0]):
        assert a.keys() == b.keys()
        for key in a:
            assert a[key] == pytest.approx(b[key], rel=1e-5, abs=1e-6)
    assert len(ours[1]) == len(library[1])
    for a, b in zip(ours[1], library[1]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_06_training_step_comparison_catches_another_decay():
    nb = notebook_functions("06_dcgan", LATENT_DIM=16, EMA_DECAY=0.1)  # capped from the first step
    ours = _train_three_steps(nb["make_train_step"], 0.1)
    library = _train_three_steps(lambda g, d, e, go, do, rng: gan.make_dcgan_train_step(
        g, d, go, do, rng, latent_dim=16, generator_ema=e, ema_decay=0.999), 0.999)
    assert any(not np.allclose(a, b, rtol=1e-4, atol=1e-6) for a, b in zip(ours[1], library[1]))


def test_07_models_equal_utils_gan():
    nb = notebook_functions("07_cgan_wgan_gp")
    _assert_same_model(_seeded(lambda: nb["build_conditional_generator"](16, 8, 10)),
                       _seeded(lambda: gan.build_dcgan_generator(16, width=8, num_classes=10)))
    _assert_same_model(_seeded(lambda: nb["build_acgan_discriminator"](8, 10)),
                       _seeded(lambda: gan.build_dcgan_discriminator(width=8, num_classes=10, conditioning="auxiliary")))
    with pytest.raises(AssertionError):
        _assert_same_model(_seeded(lambda: nb["build_acgan_discriminator"](8, 10)),
                           _seeded(lambda: gan.build_dcgan_discriminator(width=8, num_classes=10, conditioning="input")))


def test_07_gradient_penalty_equals_utils_gan():
    nb = notebook_functions("07_cgan_wgan_gp")
    keras.utils.set_random_seed(1)
    critic = gan.build_dcgan_discriminator(width=4)
    rng = np.random.default_rng(2)
    real, fake = rng.uniform(-1, 1, (2, 8, 28, 28, 1)).astype("float32")
    alpha = rng.uniform(size=8).astype("float32")
    ours = float(nb["gradient_penalty"](critic, real, fake, alpha))
    assert ours == pytest.approx(float(gan.gradient_penalty(critic, real, fake, alpha=alpha)), rel=1e-5)
    points = rng.normal(size=(2, 16, 2)).astype("float32")
    linear = nb["gradient_penalty"](lambda x: tf.reduce_sum(x * tf.constant([3.0, 4.0]), axis=1), points[0], points[1],
                                    rng.uniform(size=16).astype("float32"))
    assert float(linear) == pytest.approx(16.0, rel=1e-5)
