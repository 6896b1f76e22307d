import numpy as np
import pytest

from utils import data


def test_mnist5k_is_shuffled_scaled_and_split():
    split = data.load_mnist5k()
    assert split.x_train.shape == (4000, 28, 28, 1) and split.x_test.shape == (1000, 28, 28, 1)
    assert split.x_train.dtype == np.float32 and 0.0 <= split.x_train.min() and split.x_train.max() <= 1.0
    assert set(np.unique(split.y_train)) == set(range(10))
    # the source file is sorted by label: a shuffled split must not start with a run of one digit
    assert len(set(split.y_train[:20].tolist())) > 3
    again = data.load_mnist5k()
    np.testing.assert_array_equal(split.y_test, again.y_test)


def test_limit_shrinks_both_parts():
    split = data.load_mnist5k(limit=64)
    assert len(split.x_train) == 64 and len(split.x_test) == 13  # ceil(64 * 0.2)


@pytest.mark.parametrize("kwargs, message", [
    ({"test_fraction": 0.0}, "test_fraction must be in"),
    ({"test_fraction": 1.5}, "test_fraction must be in"),
    ({"limit": 0}, "limit must be an integer >= 1"),
    ({"seed": "0"}, "seed must be an int"),
])
def test_mnist5k_bad_arguments(kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        data.load_mnist5k(**kwargs)


def test_digits8x8():
    split = data.load_digits8x8()
    assert split.x_train.shape[1:] == (8, 8, 1) and len(split.x_train) + len(split.x_test) == 1797
    assert split.x_train.max() <= 1.0


@pytest.mark.parametrize("name", data.TOY_DATASETS)
def test_toy_data(name):
    points, labels = data.make_toy_2d(name, 500, seed=3)
    assert points.shape == (500, 2) and labels.shape == (500,) and points.dtype == np.float32
    np.testing.assert_array_equal(points, data.make_toy_2d(name, 500, seed=3)[0])
    assert np.abs(points).max() < 5


def test_ring_points_sit_on_their_modes():
    points, labels = data.make_toy_2d("ring", 1000, noise=0.01)
    modes = data.toy_modes("ring")
    assert np.abs(points - modes[labels]).max() < 0.1
    assert data.toy_modes("grid").shape == (25, 2)


def test_toy_bad_arguments():
    with pytest.raises(ValueError, match="name must be one of"):
        data.make_toy_2d("swissroll")
    with pytest.raises(ValueError, match="num_samples must be an integer >= 1"):
        data.make_toy_2d("ring", 0)
    with pytest.raises(ValueError, match="noise must be in"):
        data.make_toy_2d("ring", 10, noise=-1.0)


def test_first_names():
    train, validation = data.load_first_names()
    assert len(train) + len(validation) == 5163
    assert not set(train) & set(validation)
    assert all(name.isalpha() and name.islower() for name in train[:100])


def test_shakespeare_split_is_positional_without_overlap():
    train, validation = data.load_shakespeare()
    assert len(train) > 1_000_000 and len(validation) > 100_000
    assert train.endswith("\n")  # cut at a line boundary
    assert "**" not in train and "#" not in train[:1000]
    # a long validation snippet must not occur in the training text
    assert validation[1000:1200] not in train
    small = data.load_shakespeare(limit_chars=1000)
    assert len(small.train) == 1000 and len(small.validation) == 100


def test_strip_play_markdown():
    text = "# Title\n\n## ACT I\n\n**HAMLET**  \nTo be, or _not_ to be.\n"
    assert data.strip_play_markdown(text) == "HAMLET:\nTo be, or not to be.\n"
    with pytest.raises(TypeError, match="markdown must be a str"):
        data.strip_play_markdown(None)


def test_to_dataset_batches():
    x = np.arange(10, dtype="float32").reshape(10, 1)
    batches = list(data.to_dataset(x, np.arange(10), batch_size=4, seed=1))
    assert [len(b[0]) for b in batches] == [4, 4, 2]
    with pytest.raises(ValueError, match="same length"):
        data.to_dataset(x, np.arange(3))
    with pytest.raises(ValueError, match="batch_size must be an integer"):
        data.to_dataset(x, batch_size=0)
