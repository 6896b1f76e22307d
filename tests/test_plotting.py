import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from utils import plotting  # noqa: E402


def _labels(fig):
    return [(ax.get_xlabel(), ax.get_ylabel()) for ax in fig.axes]


def test_image_grid_shapes_and_errors():
    fig = plotting.image_grid(np.random.rand(12, 8, 8, 1), ncols=5, titles=[str(i) for i in range(12)], title="t")
    assert len(fig.axes) == 15
    with pytest.raises(ValueError, match="1 or 3 channels"):
        plotting.image_grid(np.zeros((2, 8, 8, 2)))
    with pytest.raises(ValueError, match="one entry per image"):
        plotting.image_grid(np.zeros((2, 8, 8)), titles=["a"])
    with pytest.raises(ValueError, match="images must have 3 or 4 dimensions"):
        plotting.image_grid(np.zeros((8, 8)))


def test_plots_label_their_axes():
    history = {"epoch": [1, 2, 3], "loss": [3.0, 2.0, 1.0]}
    assert _labels(plotting.training_curves(history)) == [("epoch", "value")]
    assert _labels(plotting.scatter_2d(np.zeros((5, 2)), np.ones((5, 2)))) == [("$x_1$", "$x_2$")]
    fig = plotting.latent_scatter(np.random.rand(20, 2), np.arange(20) % 10)
    assert ("$z_1$", "$z_2$") in _labels(fig)
    assert plotting.interpolation_strip(np.random.rand(5, 8, 8)).axes[0].get_xlabel() == "start"


def test_plot_bad_inputs():
    with pytest.raises(KeyError, match="history has no"):
        plotting.training_curves({"loss": [1.0]}, keys=["accuracy"])
    with pytest.raises(ValueError, match="non-empty dict"):
        plotting.training_curves({})
    with pytest.raises(ValueError, match=r"samples must have shape \(any, 2\)"):
        plotting.scatter_2d(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="one entry per latent"):
        plotting.latent_scatter(np.zeros((4, 2)), [1, 2])


def test_gif_round_trip(tmp_path):
    frames = [np.full((6, 6), value, dtype="float32") for value in (0.0, 0.5, 1.0)]
    path = plotting.save_gif(frames, tmp_path / "progress.gif", upscale=2)
    with Image.open(path) as gif:
        assert gif.n_frames == 3 and gif.size == (12, 12)
    assert plotting.show_gif(path).data[:3] == b"GIF"
    fig = plotting.scatter_2d(np.zeros((3, 2)))
    assert plotting.figure_to_array(fig).dtype == np.uint8
    with pytest.raises(ValueError, match="frames is empty"):
        plotting.save_gif([], tmp_path / "x.gif")
    with pytest.raises(ValueError, match="must end in .gif"):
        plotting.save_gif(frames, tmp_path / "x.png")
    with pytest.raises(FileNotFoundError, match="save_gif first"):
        plotting.show_gif(tmp_path / "missing.gif")


def test_save_figure_is_atomic(tmp_path):
    path = plotting.save_figure(plotting.scatter_2d(np.zeros((3, 2))), tmp_path / "fig.png")
    assert path.read_bytes()[:4] == b"\x89PNG" and [p.name for p in tmp_path.iterdir()] == ["fig.png"]
