import numpy as np
import pytest

from utils import config, training


def _model_and_friends():
    import keras
    import tensorflow as tf

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dropout(0.5), keras.layers.Dense(1)])
    return model, keras.optimizers.Adam(1e-2), tf.random.Generator.from_seed(3)


def _train(model, optimizer, noise, progress, checkpointer, start, stop, inputs):
    import tensorflow as tf

    trace = []
    for epoch in range(start, stop):
        progress.start_epoch(epoch)
        for _ in range(3):
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(model(inputs + noise.normal(inputs.shape), training=True) ** 2)
            grads = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(grads, model.trainable_variables))
            progress.step(loss=loss)
            trace += [float(loss), float(np.random.rand())]
        progress.end_epoch(val=float(epoch))
        checkpointer.save(epoch + 1, progress)
    return trace


def test_checkpointer_resumes_exactly(tmp_path):
    inputs = np.random.default_rng(0).random((8, 3)).astype("float32")
    config.seed_everything(0)
    model, optimizer, noise = _model_and_friends()
    progress = training.Progress(4, 3)
    straight = _train(model, optimizer, noise, progress, training.Checkpointer(tmp_path / "a", model=model, opt=optimizer, noise=noise), 0, 4, inputs)

    config.seed_everything(0)
    model, optimizer, noise = _model_and_friends()
    progress = training.Progress(4, 3)
    first_half = _train(model, optimizer, noise, progress, training.Checkpointer(tmp_path / "b", model=model, opt=optimizer, noise=noise), 0, 2, inputs)

    config.seed_everything(99)  # a fresh process after a disconnect: different initial state
    model, optimizer, noise = _model_and_friends()
    progress = training.Progress(4, 3)
    checkpointer = training.Checkpointer(tmp_path / "b", model=model, opt=optimizer, noise=noise)
    start = checkpointer.restore(progress)
    assert start == 2 and progress.history["epoch"] == [1, 2]
    second_half = _train(model, optimizer, noise, progress, checkpointer, start, 4, inputs)
    np.testing.assert_allclose(straight, first_half + second_half, rtol=1e-6)
    assert progress.history["epoch"] == [1, 2, 3, 4] and len(progress.history["loss"]) == 4


def test_restore_without_checkpoint_starts_at_zero(tmp_path):
    model, optimizer, _ = _model_and_friends()
    assert training.Checkpointer(tmp_path, model=model).restore() == 0


def test_restore_into_a_different_model_is_a_clear_error(tmp_path):
    import keras

    model, optimizer, _ = _model_and_friends()
    checkpointer = training.Checkpointer(tmp_path, model=model)
    checkpointer.save(1)
    other = keras.Sequential([keras.Input((3,)), keras.layers.Dense(5), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="delete .* to start afresh"):
        training.Checkpointer(tmp_path, model=other).restore()


def test_checkpointer_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="at least one object"):
        training.Checkpointer(tmp_path)
    with pytest.raises(ValueError, match="model is None"):
        training.Checkpointer(tmp_path, model=None)
    model, _, _ = _model_and_friends()
    with pytest.raises(ValueError, match="epoch must be an integer >= 0"):
        training.Checkpointer(tmp_path, model=model).save(-1)


def test_checkpoint_files_are_complete(tmp_path):
    model, _, _ = _model_and_friends()
    checkpointer = training.Checkpointer(tmp_path, model=model, max_to_keep=1)
    for epoch in (1, 2, 3):
        checkpointer.save(epoch)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert "checkpoint" in names and not any(name.startswith(".") for name in names)
    assert any(name.endswith(".state.json") for name in names)
    checkpointer.clear()
    assert training.Checkpointer(tmp_path, model=model).restore() == 0


def test_progress_prints_one_line_per_kept_epoch(capsys):
    progress = training.Progress(5, 2, print_every=2)
    for epoch in range(5):
        progress.start_epoch(epoch)
        progress.step(loss=1.0)
        progress.step(loss=3.0)
        summary = progress.end_epoch(val_loss=0.5)
    assert summary == {"loss": 2.0, "val_loss": 0.5}
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("·")[0].strip() for line in lines] == ["epoch   1/5", "epoch   2/5", "epoch   4/5", "epoch   5/5"]
    assert progress.history["loss"] == [2.0] * 5


def test_progress_misuse_is_explained():
    progress = training.Progress(2)
    with pytest.raises(RuntimeError, match="start_epoch"):
        progress.step(loss=1.0)
    with pytest.raises(ValueError, match="num_epochs must be an integer >= 1"):
        training.Progress(0)
    with pytest.raises(ValueError, match="epoch must be a non-negative int"):
        progress.start_epoch(-1)
    with pytest.raises(ValueError, match="history must be a dict"):
        progress.load_history([1, 2])
