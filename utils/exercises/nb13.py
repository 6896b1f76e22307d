"""Checkers for notebook 13 · Video and animation generation."""

from __future__ import annotations

import functools

import numpy as np

from .. import video
from . import as_number, attempt, call_safely, check_function, report, to_array

HIDDEN = "what it measures is printed when you run your own answer in the cell above"

# ----------------------------------------------------------------------------- Exercise 1: SSIM from its formula

C1, C2 = 0.01**2, 0.03**2


def _smooth(a: np.ndarray, window: np.ndarray, *, same: bool = False) -> np.ndarray:
    if same:  # zero padding to the frame's size: the typical mistake
        pad = len(window) // 2
        a = np.pad(a, pad)
    rows = np.lib.stride_tricks.sliding_window_view(a, len(window), axis=0) @ window
    return np.lib.stride_tricks.sliding_window_view(rows, len(window), axis=1) @ window


def reference_ssim(x, y, window, *, c1: float = C1, c2: float = C2, same: bool = False, centred: bool = True,
                   two: float = 2.0, windowed: bool = True) -> float:
    """SSIM of two frames with the 1-D ``window`` (2-D: its outer product), valid positions only; variants for the hints."""
    x, y, window = (np.asarray(v, dtype="float64") for v in (x, y, window))
    if windowed:
        mu_x, mu_y = _smooth(x, window, same=same), _smooth(y, window, same=same)
        xx, yy, xy = _smooth(x * x, window, same=same), _smooth(y * y, window, same=same), _smooth(x * y, window, same=same)
    else:
        mu_x, mu_y, xx, yy, xy = x.mean(), y.mean(), (x * x).mean(), (y * y).mean(), (x * y).mean()
    if centred:
        var_x, var_y, cov = xx - mu_x**2, yy - mu_y**2, xy - mu_x * mu_y
    else:
        var_x, var_y, cov = xx, yy, xy
    with np.errstate(divide="ignore", invalid="ignore"):
        local = (two * mu_x * mu_y + c1) * (2 * cov + c2) / ((mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2))
    return float(np.mean(local))


def _ssim_cases():
    rng = np.random.default_rng(13)
    gaussian = video.gaussian_window(11, 1.5)
    uniform = np.full(7, 1 / 7)
    digit = np.zeros((32, 32))
    digit[8:22, 10:16] = rng.uniform(0.5, 1.0, (14, 6))
    noisy = rng.uniform(size=(24, 24))
    return [
        ("a frame against itself", digit, digit, gaussian),
        ("two random frames", noisy, np.clip(noisy + rng.normal(0, 0.2, noisy.shape), 0, 1), gaussian),
        ("a digit moved 3 pixels", np.roll(digit, 3, axis=1), digit, gaussian),
        ("a black frame against a digit", np.zeros_like(digit), digit, gaussian),
        ("a black frame against a black frame", np.zeros((16, 16)), np.zeros((16, 16)), uniform),
        ("two random frames, uniform 7-tap window", noisy, rng.uniform(size=(24, 24)), uniform),
    ]


SSIM_VARIANTS = [
    ({"c1": 0.0, "c2": 0.0}, "without C1 and C2 an empty window divides 0 by 0: the constants keep SSIM defined (and = 1 where both "
                             "frames are empty)"),
    ({"c1": 0.01, "c2": 0.03}, "the constants are SQUARED: C1 = (0.01 L)^2 and C2 = (0.03 L)^2 with L = 1"),
    ({"same": True}, "use only the positions where the window fits inside the frame (no zero padding: padded borders look like "
                     "black frame and change the score)"),
    ({"centred": False}, "subtract the squared means: variance = E_w[x^2] - mu_x^2 and covariance = E_w[xy] - mu_x mu_y"),
    ({"two": 1.0}, "the luminance term is (2 mu_x mu_y + C1): the factor 2 makes it 1 when the means agree"),
    ({"windowed": False}, "compute the statistics locally, under the window at every position, then average the local scores: "
                          "global means and variances give a global score, not SSIM"),
]


def check_ssim(function, *, reveal: bool = True) -> bool:
    """Exercise 1: ``function(x, y, window)`` -> the SSIM of two frames (one number)."""
    what = "Exercise 1 (SSIM from its formula)"
    verdict = check_function(what, function, "(x, y, window) -> number")
    if verdict is not None:
        return verdict
    answers = []
    for index, (name, x, y, window) in enumerate(_ssim_cases()):
        if index == 0:
            status, result = attempt(what, function, x.copy(), y.copy(), window.copy())
            if status != "ok":
                return False
        else:
            ok, result = call_safely(what, function, x.copy(), y.copy(), window.copy())
            if not ok:
                return False
        if result is None:
            return report(False, f"{what}: on {name} you returned None; return one number")
        array = to_array(result, "float64")
        if array is not None and array.size == 1 and not np.isfinite(array.reshape(())):
            return report(False, f"{what}: on {name} you returned {float(array.reshape(()))}. {SSIM_VARIANTS[0][1]}")
        value = as_number(what, result, hint="Average the local SSIM map into one number.")
        if value is None:
            return False
        answers.append(value)
    cases = _ssim_cases()
    expected = [reference_ssim(x, y, w) for _, x, y, w in cases]
    if np.allclose(answers, expected, atol=1e-6):
        if not reveal:
            return report(True, f"{what}: correct ({HIDDEN})")
        digit = cases[2][2]
        return report(True, f"{what}: correct on {len(cases)} pairs. A black frame against a digit scores {expected[3]:.3f}, the same "
                            f"digit moved 3 pixels only {expected[2]:.3f}: wherever both windows are empty, SSIM is (C1 C2)/(C1 C2) = 1, "
                            f"so a black frame collects a perfect score on all the background ({np.mean(digit == 0):.0%} of this "
                            "frame) without drawing a single digit pixel.")
    for options, hint in SSIM_VARIANTS:
        wrong = [reference_ssim(x, y, w, **options) for _, x, y, w in cases]
        if np.allclose(np.nan_to_num(answers, nan=-9), np.nan_to_num(wrong, nan=-9), atol=1e-6):
            return report(False, f"{what}: {hint}")
    first = next(i for i, (a, e) in enumerate(zip(answers, expected)) if not np.isclose(a, e, atol=1e-6))
    return report(False, f"{what}: on {cases[first][0]} you found {answers[first]:.5f}, expected {expected[first]:.5f}. Filter x, y, "
                         "x*x, y*y and x*y with the 2-D window (rows, then columns) at the valid positions, form the local "
                         "statistics, and average the local SSIM map.")


# ----------------------------------------------------------------------------- Exercise 2: a peephole ConvLSTM step


def _tf():
    import tensorflow as tf

    return tf


def reference_peephole_step(x, h, c, kernel, recurrent_kernel, bias, w_ci, w_cf, w_co, *, order: str = "ifgo",
                            output_peephole_on: str = "new", squash_output: bool = True, peepholes: bool = True,
                            swap_peepholes: bool = False):
    """Shi et al.'s ConvLSTM step with peepholes (variants for the hints): returns (new_h, new_c) as NumPy arrays."""
    tf = _tf()
    z = tf.nn.conv2d(x, kernel, 1, "SAME") + tf.nn.conv2d(h, recurrent_kernel, 1, "SAME") + bias
    parts = dict(zip(order, tf.split(z, 4, axis=-1)))
    if not peepholes:
        w_ci, w_cf, w_co = (np.zeros_like(w) for w in (w_ci, w_cf, w_co))
    if swap_peepholes:
        w_ci, w_cf = w_cf, w_ci
    i = tf.sigmoid(parts["i"] + w_ci * c)
    f = tf.sigmoid(parts["f"] + w_cf * c)
    new_c = f * c + i * tf.tanh(parts["g"])
    o = tf.sigmoid(parts["o"] + w_co * (new_c if output_peephole_on == "new" else c))
    new_h = o * (tf.tanh(new_c) if squash_output else new_c)
    return new_h.numpy(), new_c.numpy()


def _peephole_inputs(seed: int = 0, *, zero_peepholes: bool = False):
    rng = np.random.default_rng(seed)
    batch, size, channels, filters = 2, 6, 3, 4
    x = rng.normal(size=(batch, size, size, channels)).astype("float32")
    h = rng.normal(0, 0.5, (batch, size, size, filters)).astype("float32")
    c = rng.normal(0, 1.0, (batch, size, size, filters)).astype("float32")
    kernel = rng.normal(0, 0.3, (3, 3, channels, 4 * filters)).astype("float32")
    recurrent_kernel = rng.normal(0, 0.3, (3, 3, filters, 4 * filters)).astype("float32")
    bias = rng.normal(0, 0.5, (4 * filters,)).astype("float32")
    peep = [(np.zeros if zero_peepholes else lambda shape: rng.normal(0, 1.0, shape).astype("float32"))((size, size, filters))
            .astype("float32") for _ in range(3)]
    return x, h, c, kernel, recurrent_kernel, bias, *peep


PEEPHOLE_VARIANTS = [
    ({"peepholes": False}, "the peephole terms are missing: add w_ci * c to the input gate, w_cf * c to the forget gate and "
                           "w_co * c_t to the output gate"),
    ({"output_peephole_on": "old"}, "the output gate looks at the NEW memory c_t (computed first), not at c_{t-1}"),
    ({"swap_peepholes": True}, "w_ci belongs to the input gate and w_cf to the forget gate: you swapped them"),
    ({"order": "ifog"}, "the four gates sit in the order input, forget, candidate, output (Keras's order): you read the "
                        "candidate and the output gate from each other's slices"),
    ({"order": "figo"}, "the four gates sit in the order input, forget, candidate, output: you swapped input and forget"),
    ({"squash_output": False}, "h_t = o * tanh(c_t): squash the memory before the output gate scales it"),
]


def check_peephole_step(function, *, reveal: bool = True) -> bool:
    """Exercise 2: ``function(x, h, c, kernel, recurrent_kernel, bias, w_ci, w_cf, w_co)`` -> (new_h, new_c)."""
    what = "Exercise 2 (a peephole ConvLSTM step)"
    verdict = check_function(what, function, "(x, h, c, kernel, recurrent_kernel, bias, w_ci, w_cf, w_co) -> (h, c)")
    if verdict is not None:
        return verdict
    for index, inputs in enumerate([_peephole_inputs(0), _peephole_inputs(1), _peephole_inputs(2, zero_peepholes=True)]):
        copies = [np.array(v) for v in inputs]
        if index == 0:
            status, result = attempt(what, function, *copies)
            if status != "ok":
                return False
        else:
            ok, result = call_safely(what, function, *copies)
            if not ok:
                return False
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            return report(False, f"{what}: return a pair (new_h, new_c), got {type(result).__name__}")
        given = [to_array(v, "float64") for v in result]
        shape = inputs[1].shape
        if any(v is None or v.shape != shape for v in given):
            shown = [None if v is None else v.shape for v in given]
            return report(False, f"{what}: new_h and new_c must each have the state's shape {shape}, got {shown}")
        new_h, new_c = reference_peephole_step(*inputs)
        if np.allclose(given[0], new_h, atol=1e-5) and np.allclose(given[1], new_c, atol=1e-5):
            continue
        if np.allclose(given[0], new_c, atol=1e-5) and np.allclose(given[1], new_h, atol=1e-5):
            return report(False, f"{what}: you returned (new_c, new_h); return (new_h, new_c)")
        for options, hint in PEEPHOLE_VARIANTS:
            wrong_h, wrong_c = reference_peephole_step(*inputs, **options)
            if np.allclose(given[0], wrong_h, atol=1e-5) and np.allclose(given[1], wrong_c, atol=1e-5):
                return report(False, f"{what}: {hint}")
        part = "new_c" if not np.allclose(given[1], new_c, atol=1e-5) else "new_h"
        zero = " (with all peepholes zero, where the step must equal the notebook's ConvLSTMCell)" if index == 2 else ""
        return report(False, f"{what}: your {part} differs from the expected one{zero}. Gates: sigmoid of the convolutions plus the "
                             "peephole terms; candidate: tanh; c_t = f * c + i * g; h_t = o * tanh(c_t).")
    if not reveal:
        return report(True, f"{what}: correct ({HIDDEN})")
    return report(True, f"{what}: correct, on three random states (one with zero peepholes, where it is the notebook's cell). The "
                        "peepholes let a gate react to the memory's own value, e.g. close the input gate once a cell is full; "
                        "Keras's ConvLSTM2D and most later work drop them, as they rarely help.")


# ----------------------------------------------------------------------------- Exercise 3 (experiment): one frame of context

EXPERIMENT = {"clips": 1024, "test_clips": 256, "steps": 200, "batch": 32, "filters": 8, "size": 16, "context": 5,
              "horizon": 5, "learning_rate": 5e-3, "seed": 0}
SMOKE_EXPERIMENT = {**EXPERIMENT, "clips": 64, "test_clips": 32, "steps": 3, "filters": 4}  # CI: the code path only
F1_TOLERANCE = 0.08  # a correct change lands this close to the reference one-frame run at steps 1 and 5 (seed noise is smaller)


def _size() -> dict:
    from .. import config

    return SMOKE_EXPERIMENT if config.is_smoke() else EXPERIMENT


def _context_probe() -> np.ndarray:
    return np.arange(2 * 5 * 4 * 4, dtype="float32").reshape(2, 5, 4, 4, 1) / 160.0


def _experiment_frames(size: dict) -> np.ndarray:
    """The experiment's ball clips (training clips, then test clips): the same for every run of a given size."""
    total = size["context"] + size["horizon"]
    return video.bouncing_balls(size["clips"] + size["test_clips"], num_frames=total, frame_size=size["size"],
                                seed=size["seed"] + 100).frames


def _same_as_reference(context_fn, size: dict) -> bool:
    """Whether ``context_fn`` gives exactly the reference one-frame context on the experiment's clips: then training on
    it is the reference run itself (same inputs, same seed, same code), and it is not trained a second time."""
    seen = _experiment_frames(size)[:, :size["context"]]
    try:
        given = np.asarray(context_fn(seen.copy()), dtype="float32")
    except Exception:  # reported when the experiment runs it
        return False
    return given.shape == seen[:, -1:].shape and np.array_equal(given, seen[:, -1:])


def context_experiment(context_fn, *, size: dict | None = None) -> dict[str, float]:
    """Train a small ball forecaster that reads ``context_fn(seen)``; foreground F1 on held-out balls at steps 1 and 5."""
    import keras

    tf = _tf()
    layers = keras.layers
    size = _size() if size is None else size
    frames = _experiment_frames(size)
    seen = np.asarray(context_fn(frames[:, :size["context"]]), dtype="float32")
    future = frames[:, size["context"]:]
    train_seen, test_seen = seen[:size["clips"]], seen[size["clips"]:]
    keras.utils.set_random_seed(size["seed"])
    reader = layers.ConvLSTM2D(size["filters"], 3, padding="same", return_state=True)
    writer = layers.ConvLSTM2D(size["filters"], 3, padding="same", return_sequences=True)
    head = layers.Dense(1)

    def forward(context):
        _, h, c = reader(context)
        blank = tf.zeros([tf.shape(context)[0], size["horizon"], size["size"], size["size"], 1])
        return head(writer(blank, initial_state=[h, c]))

    forward(tf.constant(train_seen[:2]))
    weights = reader.trainable_weights + writer.trainable_weights + head.trainable_weights
    optimizer = keras.optimizers.Adam(size["learning_rate"])

    def step(context, target):
        with tf.GradientTape() as tape:
            logits = forward(context)
            loss = tf.reduce_mean(tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(target, logits), axis=[1, 2, 3, 4]))
        optimizer.apply_gradients(zip(tape.gradient(loss, weights), weights))
        return loss

    if size["steps"] > 20:  # compiling costs seconds: worth it for a real run, not for the few steps of a smoke check
        step = tf.function(step)
    for index in range(size["steps"]):
        begin = index * size["batch"] % size["clips"]
        step(tf.constant(train_seen[begin:begin + size["batch"]]), tf.constant(future[begin:begin + size["batch"]]))
    prediction = tf.sigmoid(forward(tf.constant(test_seen))).numpy()
    f1 = video.foreground_f1(prediction, future[size["clips"]:])
    return {"f1_step1": float(f1[0]), "f1_step5": float(f1[-1])}


@functools.lru_cache(maxsize=4)
def _reference_run(smoke: bool, frames: int) -> dict:
    """The reference run with the last ``frames`` context frames (5: all of them; 1: the exercise's change)."""
    size = SMOKE_EXPERIMENT if smoke else EXPERIMENT
    return context_experiment(lambda seen: seen[:, -frames:], size=size)


CONTEXT_MISTAKES = [
    (lambda seen: seen[:, :1], "you kept the FIRST frame; keep the last one (seen[:, -1:]), the newest information"),
    (lambda seen: seen[:, -2:], "you kept two frames: that is enough to see the motion; keep only the last one"),
    (lambda seen: seen, "you kept all five frames; keep only the last one"),
    (lambda seen: seen[:, -1], "you dropped the time axis: keep a context of length 1, shape (B, 1, H, W, 1) (seen[:, -1:])"),
]


def check_context_experiment(context_fn, *, reveal: bool = True) -> bool:
    """Exercise 3 (experiment): ``context_fn(seen)`` keeps the last frame only; trains ball forecasters and judges the effect."""
    what = "Exercise 3 · experiment: one frame of context"
    verdict = check_function(what, context_fn, "(seen) -> shortened context")
    if verdict is not None:
        return verdict
    probe = _context_probe()
    status, result = attempt(what, context_fn, probe.copy())
    if status != "ok":
        return False
    given = to_array(result, "float64")
    if given is None or given.dtype == object:
        return report(False, f"{what}: return an array of frames, got {type(result).__name__}")
    for mistake, hint in CONTEXT_MISTAKES:
        wrong = np.asarray(mistake(probe))
        if given.shape == wrong.shape and np.allclose(given, wrong):
            return report(False, f"{what}: {hint}")
    if given.shape != (2, 1, 4, 4, 1) or not np.allclose(given, probe[:, -1:]):
        return report(False, f"{what}: on a context of shape {probe.shape} you returned shape {given.shape}; expected the last frame "
                             "as a context of length 1, shape (2, 1, 4, 4, 1)")
    size = _size()
    same = _same_as_reference(context_fn, size)
    runs = ["the reference one-frame context"] + ([] if same else ["yours"]) + (["five frames"] if reveal else [])
    print(f"Training small ball forecasters for {size['steps']} steps each, with {', '.join(runs)} (~10-30 s)"
          + ("; your context is exactly the reference's, so your run is the reference run" if same else "") + "...")
    one = _reference_run(size is SMOKE_EXPERIMENT, 1)
    try:
        yours = one if same else context_experiment(context_fn)
    except Exception as error:  # the learner's function may fail on the real data in any way
        return report(False, f"{what}: training with your context raised {type(error).__name__}: {str(error)[:300]}")
    if abs(yours["f1_step1"] - one["f1_step1"]) > F1_TOLERANCE or abs(yours["f1_step5"] - one["f1_step5"]) > F1_TOLERANCE:
        return report(False, f"{what}: your run's F1 at steps 1 and 5 is {yours['f1_step1']:.2f} and {yours['f1_step5']:.2f}; the "
                             f"reference one-frame run's {one['f1_step1']:.2f} and {one['f1_step5']:.2f}. Too far apart for the same "
                             "change: return seen[:, -1:] and nothing else.")
    if not reveal:
        return report(True, f"{what}: correct ({HIDDEN})")
    five = _reference_run(size is SMOKE_EXPERIMENT, size["context"])
    return report(True, f"{what}: correct, and the effect is measured on {size['test_clips']} held-out ball clips. Foreground F1 at "
                        f"steps 1 and 5: five frames of context {five['f1_step1']:.2f} and {five['f1_step5']:.2f}; one frame "
                        f"(reference) {one['f1_step1']:.2f} and {one['f1_step5']:.2f}; yours {yours['f1_step1']:.2f} and "
                        f"{yours['f1_step5']:.2f}. From one frame the model sees where the ball is but not where it goes: the best "
                        "it can do is spread the ball over every direction, and the spread grows with every step.")
