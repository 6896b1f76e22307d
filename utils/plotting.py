"""Figures the notebooks share: image grids, training curves, 2-D samples against data,
latent spaces, interpolation strips and GIF animations. Every function labels its axes
and returns the matplotlib Figure (shown inline by Jupyter)."""

from __future__ import annotations

import io
import math
import os
import pathlib
from collections.abc import Mapping, Sequence

import numpy as np

from . import _checks
from .io import atomic_path


def _plt():
    import matplotlib.pyplot as plt

    return plt


def _as_images(name: str, images, value_range) -> np.ndarray:
    array = _checks.as_array(name, images, ndim=(3, 4), min_len=1)
    if array.ndim == 4 and array.shape[-1] not in (1, 3):
        raise ValueError(f"{name} must have 1 or 3 channels in the last axis, got shape {array.shape}")
    low, high = value_range
    if not high > low:
        raise ValueError(f"value_range must be (low, high) with high > low, got {value_range}")
    array = np.clip((array.astype("float32") - low) / (high - low), 0.0, 1.0)
    return array[..., 0] if array.ndim == 4 and array.shape[-1] == 1 else array


def image_grid(
    images,
    *,
    ncols: int | None = None,
    titles: Sequence[str] | None = None,
    title: str | None = None,
    value_range: tuple[float, float] = (0.0, 1.0),
    scale: float = 1.0,
):
    """Show images of shape (N, H, W[, C]) in a grid, optionally titled one by one.

    Example: ``utils.plotting.image_grid(x_train[:32], ncols=8, title="Real digits")``
    """
    pictures = _as_images("images", images, value_range)
    count = len(pictures)
    ncols = _checks.positive_int("ncols", ncols) if ncols is not None else min(count, 10)
    nrows = math.ceil(count / ncols)
    if titles is not None and len(titles) != count:
        raise ValueError(f"titles must have one entry per image ({count}), got {len(titles)}")
    plt = _plt()
    fig, axes = plt.subplots(nrows, ncols, figsize=(scale * 0.9 * ncols, scale * (0.9 + 0.25 * (titles is not None)) * nrows + 0.4 * (title is not None)), squeeze=False)
    for index, ax in enumerate(axes.flat):
        ax.axis("off")
        if index < count:
            ax.imshow(pictures[index], cmap="gray", vmin=0, vmax=1)
            if titles is not None:
                ax.set_title(str(titles[index]), fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def training_curves(
    history: Mapping[str, Sequence[float]],
    *,
    keys: Sequence[str] | None = None,
    title: str = "Training curves",
    xlabel: str = "epoch",
    ylabel: str = "value",
    logy: bool = False,
):
    """Plot one line per metric in ``history`` (a dict of lists, e.g. ``progress.history``).

    Example: ``utils.plotting.training_curves(progress.history, keys=["loss", "val_loss"])``
    """
    if not isinstance(history, Mapping) or not history:
        raise ValueError("history must be a non-empty dict mapping metric names to lists of values")
    keys = list(keys) if keys is not None else [k for k in history if k != "epoch"]
    missing = [k for k in keys if k not in history]
    if missing:
        raise KeyError(f"history has no {missing}; it has {sorted(history)}")
    plt = _plt()
    fig, ax = plt.subplots()
    for key in keys:
        values = _checks.as_array(f"history[{key!r}]", history[key], ndim=1, finite=False)
        steps = np.asarray(history["epoch"]) if "epoch" in history and len(history["epoch"]) == len(values) else np.arange(1, len(values) + 1)
        ax.plot(steps, values, label=key, marker="." if len(values) < 30 else None)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    if logy:
        ax.set_yscale("log")
    ax.legend()
    fig.tight_layout()
    return fig


def scatter_2d(
    samples,
    data=None,
    *,
    title: str = "Samples against data",
    ax=None,
    limits: float | None = None,
    sample_label: str = "generated",
    data_label: str = "data",
):
    """Scatter generated 2-D points over the real data points.

    Example: ``utils.plotting.scatter_2d(generator(noise), real_points)``
    """
    samples = _checks.as_array("samples", samples, shape=(None, 2))
    plt = _plt()
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(4.5, 4.5))
    if data is not None:
        data = _checks.as_array("data", data, shape=(None, 2))
        ax.scatter(data[:, 0], data[:, 1], s=4, alpha=0.3, color="tab:blue", label=data_label)
    ax.scatter(samples[:, 0], samples[:, 1], s=4, alpha=0.6, color="tab:orange", label=sample_label)
    if limits is not None:
        ax.set_xlim(-limits, limits)
        ax.set_ylim(-limits, limits)
    ax.set_aspect("equal")
    ax.set(title=title, xlabel="$x_1$", ylabel="$x_2$")
    ax.legend(loc="upper right", markerscale=3, fontsize=8)
    if fig is not None:
        fig.tight_layout()
    return fig if fig is not None else ax.figure


def latent_scatter(latents, labels=None, *, title: str = "Latent space", label_name: str = "digit"):
    """Scatter 2-D latent codes, coloured by label (e.g. the digit each image shows).

    Example: ``utils.plotting.latent_scatter(encoder(x_test), y_test)``
    """
    latents = _checks.as_array("latents", latents, ndim=2)
    if latents.shape[1] < 2:
        raise ValueError(f"latents need at least 2 columns to plot, got shape {latents.shape}")
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    if labels is None:
        ax.scatter(latents[:, 0], latents[:, 1], s=4, alpha=0.6)
    else:
        labels = _checks.as_array("labels", labels, ndim=1)
        if len(labels) != len(latents):
            raise ValueError(f"labels must have one entry per latent ({len(latents)}), got {len(labels)}")
        points = ax.scatter(latents[:, 0], latents[:, 1], c=labels, cmap="tab10", s=4, alpha=0.7)
        fig.colorbar(points, ax=ax, label=label_name)
    ax.set(title=title, xlabel="$z_1$", ylabel="$z_2$")
    fig.tight_layout()
    return fig


def interpolation_strip(images, *, title: str = "Interpolation", value_range=(0.0, 1.0), start_label="start", end_label="end"):
    """Show a row of images that morph from one end to the other.

    Example: ``utils.plotting.interpolation_strip(decoder(np.linspace(z0, z1, 10)))``
    """
    pictures = _as_images("images", images, value_range)
    plt = _plt()
    fig, axes = plt.subplots(1, len(pictures), figsize=(0.9 * len(pictures), 1.4), squeeze=False)
    for index, (ax, picture) in enumerate(zip(axes[0], pictures)):
        ax.imshow(picture, cmap="gray", vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
        if index == 0:
            ax.set_xlabel(start_label, fontsize=8)
        elif index == len(pictures) - 1:
            ax.set_xlabel(end_label, fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def figure_to_array(fig) -> np.ndarray:
    """Render a matplotlib figure to an RGB uint8 array (a frame for ``save_gif``), then close it.

    Example: ``frames.append(utils.plotting.figure_to_array(fig))``
    """
    fig.canvas.draw()
    frame = np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()
    _plt().close(fig)
    return frame


def save_gif(frames, path: str | os.PathLike, *, fps: float = 4.0, value_range=(0.0, 1.0), upscale: int = 1) -> pathlib.Path:
    """Write frames (a list of (H, W), (H, W, 1) or (H, W, 3) arrays) to a looping GIF, atomically.

    uint8 frames are used as they are; float frames are scaled from ``value_range``.
    Example: ``utils.plotting.save_gif(frames, OUT / "training.gif")``
    """
    from PIL import Image

    if len(frames) == 0:
        raise ValueError("frames is empty: collect at least one frame before saving a GIF")
    fps = _checks.number_in("fps", fps, 0.1, 60.0)
    upscale = _checks.positive_int("upscale", upscale)
    pictures = []
    for index, frame in enumerate(frames):
        array = _checks.as_array(f"frames[{index}]", frame, ndim=(2, 3))
        if array.dtype != np.uint8:
            low, high = value_range
            array = (np.clip((array - low) / (high - low), 0, 1) * 255).astype(np.uint8)
        if array.ndim == 3 and array.shape[-1] == 1:
            array = array[..., 0]
        if upscale > 1:
            array = array.repeat(upscale, axis=0).repeat(upscale, axis=1)
        pictures.append(Image.fromarray(array))
    path = pathlib.Path(path)
    if path.suffix.lower() != ".gif":
        raise ValueError(f"path must end in .gif, got {path.name}")
    with atomic_path(path) as tmp:
        pictures[0].save(tmp, format="GIF", save_all=True, append_images=pictures[1:], duration=int(1000 / fps), loop=0)
    return path


def show_gif(path: str | os.PathLike):
    """Display a GIF inline in the notebook. Example: ``utils.plotting.show_gif(OUT / "training.gif")``"""
    from IPython.display import Image

    path = _checks.existing_file("path", path, hint="Create it with utils.plotting.save_gif first.")
    return Image(data=path.read_bytes(), format="gif")


def save_figure(fig, path: str | os.PathLike) -> pathlib.Path:
    """Save a figure as PNG atomically (under ``utils.output_dir(...)``). Example: ``save_figure(fig, OUT / "samples.png")``"""
    path = pathlib.Path(path)
    buffer = io.BytesIO()
    fig.savefig(buffer, format=path.suffix.lstrip(".") or "png", bbox_inches="tight")
    from .io import atomic_write_bytes

    return atomic_write_bytes(path, buffer.getvalue())
