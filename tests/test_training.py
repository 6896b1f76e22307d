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


def test_restore_into_a_different_model_starts_fresh_or_is_a_clear_error(tmp_path, capsys):
    import keras

    model, optimizer, _ = _model_and_friends()
    checkpointer = training.Checkpointer(tmp_path, model=model)
    checkpointer.save(1)
    other = keras.Sequential([keras.Input((3,)), keras.layers.Dense(5), keras.layers.Dense(1)])
    assert training.Checkpointer(tmp_path, model=other).restore() == 0  # the fingerprint tells: a new model
    assert "model architecture" in capsys.readouterr().out
    checkpointer.save(1)
    (tmp_path / training.FINGERPRINT_FILE).unlink()  # without it, the files themselves must be checked
    with pytest.raises(ValueError, match=r"model: .*\(3, 8\) in the checkpoint, \(3, 5\) here.* to start fresh"):
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


# ----------------------------------------------------------------------------- checkpoints belong to a configuration

def _small_model(extra_layer=False, units=8):
    import keras

    hidden = [keras.layers.Dense(units, activation="relu"), keras.layers.Dropout(0.5)]
    if extra_layer:
        hidden.append(keras.layers.Dense(units))
    model = keras.Sequential([keras.Input((3,)), *hidden, keras.layers.Dense(1)])
    return model


def _one_step(model, optimizer):
    import tensorflow as tf

    inputs = np.ones((4, 3), "float32")
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(model(inputs, training=True) ** 2)
    optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))


def _saved(path, settings, **kwargs):
    import keras

    model = kwargs.pop("model", None) or _small_model()
    optimizer = kwargs.pop("optimizer", None) or keras.optimizers.Adam(1e-3)
    _one_step(model, optimizer)
    checkpointer = training.Checkpointer(path, settings=settings, model=model, optimizer=optimizer)
    checkpointer.save(1)
    return checkpointer


def test_changed_setting_starts_fresh_and_says_which(tmp_path, capsys):
    import keras

    _saved(tmp_path, {"BETA": 1.0, "LATENT_DIM": 4})
    capsys.readouterr()
    checkpointer = training.Checkpointer(tmp_path, settings={"BETA": 2.0, "LATENT_DIM": 4},
                                         model=_small_model(), optimizer=keras.optimizers.Adam(1e-3))
    assert checkpointer.restore() == 0
    out = capsys.readouterr().out
    assert "BETA 1.0 → 2.0" in out and "LATENT_DIM" not in out and "fresh" in out
    assert len(out.strip().splitlines()) == 1
    assert checkpointer.latest is None and not list(tmp_path.glob("ckpt-*")), "old checkpoint files must be deleted"
    # the same settings again resume
    _saved(tmp_path, {"BETA": 2.0, "LATENT_DIM": 4})
    assert training.Checkpointer(tmp_path, settings={"BETA": 2.0, "LATENT_DIM": 4}, model=_small_model(),
                                 optimizer=keras.optimizers.Adam(1e-3)).restore() == 1


def test_added_or_removed_setting_starts_fresh(tmp_path, capsys):
    import keras

    _saved(tmp_path, {"BETA": 1.0})
    capsys.readouterr()
    assert training.Checkpointer(tmp_path, settings={"BETA": 1.0, "NOISE_STD": 0.5}, model=_small_model(),
                                 optimizer=keras.optimizers.Adam(1e-3)).restore() == 0
    assert "NOISE_STD" in capsys.readouterr().out


def test_changed_architecture_or_optimizer_starts_fresh(tmp_path, capsys):
    import keras

    _saved(tmp_path / "a", {"BETA": 1.0})
    capsys.readouterr()
    bigger = _small_model(extra_layer=True)
    bigger(np.ones((1, 3), "float32"))
    assert training.Checkpointer(tmp_path / "a", settings={"BETA": 1.0}, model=bigger,
                                 optimizer=keras.optimizers.Adam(1e-3)).restore() == 0
    out = capsys.readouterr().out
    assert "model architecture" in out and "fresh" in out and "optimizer" not in out

    _saved(tmp_path / "b", {"BETA": 1.0})
    capsys.readouterr()
    assert training.Checkpointer(tmp_path / "b", settings={"BETA": 1.0}, model=_small_model(),
                                 optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5)).restore() == 0
    out = capsys.readouterr().out
    assert "optimizer settings (beta_1 0.9 → 0.5)" in out and "model" not in out.replace("optimizer", "")


def test_restore_without_fingerprint_into_a_bigger_model_names_what_differs(tmp_path):
    import keras

    _saved(tmp_path, None)
    (tmp_path / training.FINGERPRINT_FILE).unlink(missing_ok=True)  # as saved by an older version of the course
    bigger = _small_model(extra_layer=True)
    bigger(np.ones((1, 3), "float32"))
    with pytest.raises(ValueError, match=r"model: the checkpoint holds 5 variables, the model has 7") as error:
        training.Checkpointer(tmp_path, model=bigger, optimizer=keras.optimizers.Adam(1e-3)).restore()
    assert "start fresh" in str(error.value)


def test_restore_without_fingerprint_into_a_smaller_model_names_what_differs(tmp_path):
    import keras

    _saved(tmp_path, None, model=_small_model(extra_layer=True))
    (tmp_path / training.FINGERPRINT_FILE).unlink(missing_ok=True)
    smaller = _small_model()
    smaller(np.ones((1, 3), "float32"))
    with pytest.raises(ValueError, match=r"model: the checkpoint holds 7 variables, the model has 5"):
        training.Checkpointer(tmp_path, model=smaller, optimizer=keras.optimizers.Adam(1e-3)).restore()


def test_restore_without_fingerprint_into_the_same_model_resumes_and_says_so(tmp_path, capsys):
    import keras

    saved = _saved(tmp_path, None)
    (tmp_path / training.FINGERPRINT_FILE).unlink(missing_ok=True)
    model = _small_model()
    model(np.ones((1, 3), "float32"))
    assert training.Checkpointer(tmp_path, model=model, optimizer=keras.optimizers.Adam(1e-3)).restore() == 1
    assert "no fingerprint" in capsys.readouterr().out
    for mine, theirs in zip(model.weights, saved._objects["model"].weights):
        np.testing.assert_array_equal(mine.numpy(), theirs.numpy())


def test_hand_built_mismatch_is_a_clear_error(tmp_path):
    """A fingerprint that claims the current model while the files hold another: the restore itself must object."""
    import keras

    _saved(tmp_path / "small", {"BETA": 1.0})
    bigger = _small_model(extra_layer=True)
    _saved(tmp_path / "big", {"BETA": 1.0}, model=bigger)
    (tmp_path / "small" / training.FINGERPRINT_FILE).write_text((tmp_path / "big" / training.FINGERPRINT_FILE).read_text())
    other = _small_model(extra_layer=True)
    other(np.ones((1, 3), "float32"))
    with pytest.raises(ValueError, match=r"model: the checkpoint holds 5 variables, the model has 7"):
        training.Checkpointer(tmp_path / "small", settings={"BETA": 1.0}, model=other,
                              optimizer=keras.optimizers.Adam(1e-3)).restore()


def test_superseded_state_files_are_removed(tmp_path):
    model, _, _ = _model_and_friends()
    checkpointer = training.Checkpointer(tmp_path, model=model, max_to_keep=2)
    for epoch in (1, 2, 3, 4):
        checkpointer.save(epoch)
    assert sorted(p.name for p in tmp_path.glob("*.state.json")) == ["ckpt-3.state.json", "ckpt-4.state.json"]
    assert sorted(p.name for p in tmp_path.glob("*.index")) == ["ckpt-3.index", "ckpt-4.index"]
    (tmp_path / "ckpt-1.state.json").write_text("{}")  # left over by an older version
    assert training.Checkpointer(tmp_path, model=model).restore() == 4
    assert not (tmp_path / "ckpt-1.state.json").exists()


def _train_epochs(state, start, stop, x_train, path):
    """Epochs [start, stop) of a small model through to_dataset's per-epoch order; checkpoint after each."""
    import tensorflow as tf

    model, optimizer, noise, checkpointer = state
    for epoch in range(start, stop):
        for batch in utils_data().to_dataset(x_train, batch_size=8, seed=5, epoch=epoch):
            with tf.GradientTape() as tape:
                noisy = batch + noise.normal(tf.shape(batch)) + float(np.random.rand())
                loss = tf.reduce_mean(model(noisy, training=True) ** 2)
            optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))
        checkpointer.save(epoch + 1)


def utils_data():
    from utils import data

    return data


def _fresh_state(path, seed):
    import keras
    import tensorflow as tf

    config.seed_everything(seed)
    model, optimizer, noise = _small_model(), keras.optimizers.Adam(1e-2), tf.random.Generator.from_seed(3)
    model(np.ones((1, 3), "float32"))
    checkpointer = training.Checkpointer(path, settings={"SEED": 0}, model=model, optimizer=optimizer, noise=noise)
    return model, optimizer, noise, checkpointer


def test_resumed_run_equals_uninterrupted_run_bitwise_with_data_order(tmp_path):
    x_train = np.random.default_rng(0).random((37, 3)).astype("float32")
    straight = _fresh_state(tmp_path / "straight", 0)
    _train_epochs(straight, 0, 2, x_train, tmp_path / "straight")

    first = _fresh_state(tmp_path / "resumed", 0)
    _train_epochs(first, 0, 1, x_train, tmp_path / "resumed")
    del first
    resumed = _fresh_state(tmp_path / "resumed", 99)  # a new session: other weights and global random states
    assert resumed[3].restore() == 1
    _train_epochs(resumed, 1, 2, x_train, tmp_path / "resumed")

    for a, b in zip(straight[0].variables, resumed[0].variables):  # weights and dropout seed state
        assert np.array_equal(a.numpy(), b.numpy()), a.path
    assert len(straight[1].variables) == len(resumed[1].variables) > 2
    for a, b in zip(straight[1].variables, resumed[1].variables):  # Adam's moments and step counter
        assert np.array_equal(np.asarray(a), np.asarray(b)), a.path
    assert np.array_equal(straight[2].state.numpy(), resumed[2].state.numpy())
    straight_state = training.read_json(tmp_path / "straight" / "ckpt-2.state.json")
    resumed_state = training.read_json(tmp_path / "resumed" / "ckpt-2.state.json")
    assert straight_state["numpy_random"] == resumed_state["numpy_random"]
    assert straight_state["python_random"] == resumed_state["python_random"]


def test_to_dataset_epoch_order_is_a_function_of_seed_and_epoch():
    data = utils_data()
    x = np.arange(50, dtype="float32")[:, None]
    y = np.arange(50)

    def order(**kwargs):
        return np.concatenate([labels.numpy() for _, labels in data.to_dataset(x, y, batch_size=16, **kwargs)])

    first = order(seed=1, epoch=0)
    assert np.array_equal(first, order(seed=1, epoch=0)), "the same (seed, epoch) must give the same order"
    assert sorted(first.tolist()) == list(range(50)), "every example once per epoch"
    assert not np.array_equal(first, order(seed=1, epoch=1)), "each epoch has its own order"
    assert not np.array_equal(first, order(seed=2, epoch=0))
    assert np.array_equal(order(seed=1, epoch=3, shuffle=False), y)
    dataset = data.to_dataset(x, y, batch_size=16, seed=1, epoch=0)
    for features, labels in dataset:  # features travel with their labels
        assert np.array_equal(features.numpy()[:, 0], labels.numpy())
    assert len(data.to_dataset(x, batch_size=16)) == 4  # the call without epoch still works
    with pytest.raises(ValueError, match="epoch must be an integer >= 0"):
        data.to_dataset(x, epoch=-1)
    with pytest.raises(ValueError, match="seed must be an integer >= 0"):
        data.to_dataset(x, seed=-3, epoch=0)


def test_parameters_collects_the_upper_case_plain_values():
    import pathlib

    namespace = {"BETA": 2.0, "CONV_FILTERS": (4, 8), "RNN_CONFIG": {"units": 3}, "TRAIN_LIMIT": None, "OUT": pathlib.Path("x"),
                 "COURSE_ROOT": pathlib.Path("/"), "REPOSITORY": "a/b", "FRESH_START": True, "np": np, "x_train": [1],
                 "ARRAY": np.zeros(3), "_HIDDEN": 1, "MODE": "smoke"}
    assert training.parameters(namespace) == {"BETA": 2.0, "CONV_FILTERS": [4, 8], "RNN_CONFIG": {"units": 3},
                                              "TRAIN_LIMIT": None, "FRESH_START": True, "MODE": "smoke"}
    assert "FRESH_START" not in training.parameters(namespace, exclude=["FRESH_START"])
    with pytest.raises(TypeError, match="namespace must be a mapping"):
        training.parameters(["BETA"])
    with pytest.raises(ValueError, match="exclude names WRONG, which is not"):
        training.parameters(namespace, exclude=["WRONG"])


def test_settings_must_be_plain_values(tmp_path):
    model, _, _ = _model_and_friends()
    with pytest.raises(TypeError, match="settings must be a dict"):
        training.Checkpointer(tmp_path, settings=[("BETA", 1.0)], model=model)
    with pytest.raises(ValueError, match="settings\\['DATA'\\] is not a plain JSON value"):
        training.Checkpointer(tmp_path, settings={"DATA": np.zeros(3)}, model=model)
