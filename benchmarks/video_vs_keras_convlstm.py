"""Side-by-side: the keras-io ConvLSTM example's configuration against notebook 13's encoder-forecaster, on the same clips.

The reference is the configuration of the keras-io example "Next-frame video prediction with Convolutional LSTMs":
three ConvLSTM2D layers of 64 filters with kernels 5, 3 and 1 (ReLU, "same" padding, sequences returned), batch
normalisation after the first two, a Conv3D (3x3x3) sigmoid output, binary cross-entropy, Adam (1e-3), batches of 5,
trained to map frames 0..T-2 to frames 1..T-1; at test time it predicts autoregressively, appending its last predicted
frame to the frames it has and predicting again, as the example does. Ours is notebook 13's ``Forecaster`` (read from the
notebook's own code cells with its full-mode Parameters, so the benchmark cannot drift from it), trained as the
notebook trains it (its squared-error loss, its batches, teacher forcing in the first epochs): it reads the 5 context
frames and writes the 10 future frames, each pixel taking its most likely move at test time.

Same data for both: two-digit Moving-MNIST at 32x32 (``utils.video.moving_digits`` with the notebook's settings); the
training clips of epoch k are the same for both sides and are built from MNIST-5k's 4,000 training digits only. Splits:
the first 500 held-out digits make the validation clips (SSIM along training, for choices), the last 500 the test clips
(the final per-step SSIM and foreground F1 of each run, the claim; read once per run).

Budget: 600 process CPU-seconds of training per run (``time.process_time()``, all threads), three interleaved runs per
side (keras example 1, ours 1, ...), run ``i`` of both sides with seed ``i``; evaluation is outside the budget.

    flock /tmp/course-cpu.lock nice -n 10 .venv/bin/python benchmarks/video_vs_keras_convlstm.py   # the full protocol
    .venv/bin/python benchmarks/video_vs_keras_convlstm.py --cpu-seconds 20 --runs 1   # quick check -> outputs/benchmarks/

Only the full protocol writes benchmarks/results/video_vs_keras_convlstm.json and .md; see benchmarks/README.md.
No target was set in advance: the result says which side scores the higher mean SSIM over the 10-step horizon on the
test clips, "clearly" only when its worst run beats the other side's best run; the foreground F1 (which a blank frame
cannot win, unlike SSIM) is recorded beside it.
"""

from __future__ import annotations

import argparse
import ast
import gc
import json
import os
import pathlib
import platform
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

import utils  # noqa: E402  (quietens TensorFlow's logs before it is imported)
from benchmarks import protocol  # noqa: E402

NAME = "video_vs_keras_convlstm"
NOTEBOOK = ROOT / "notebooks" / "13_video_generation.ipynb"
SIDES = ("keras_example", "ours")
VALIDATION_DIGITS = 500
NUM_VALIDATION = 128  # clips scored along training
NUM_TEST = 512  # clips scored once per run
CURVE_POINTS = 4
KERAS_EXAMPLE = {"filters": 64, "kernels": (5, 3, 1), "batch_size": 5, "learning_rate": 1e-3}


def notebook_namespace(path: pathlib.Path = NOTEBOOK, mode: str = "full") -> dict:
    """Notebook 13's Parameters (in ``mode``) and the class/function definitions of its code cells, in one namespace."""
    import keras
    import tensorflow as tf
    from keras import layers

    if mode not in ("full", "smoke"):
        raise ValueError(f"mode must be 'full' or 'smoke', got {mode!r}")
    cells = [cell for cell in json.loads(pathlib.Path(path).read_text(encoding="utf-8"))["cells"] if cell["cell_type"] == "code"]
    sources = ["".join(cell["source"]) for cell in cells]
    parameters = next((s for s in sources if s.startswith("# Parameters")), None)
    if parameters is None:
        raise ValueError(f"{path} has no Parameters cell")
    namespace = {"utils": utils, "keras": keras, "layers": layers, "tf": tf, "np": np, "time": time, "__name__": "notebook13"}
    saved = os.environ.get("COURSE_MODE")
    os.environ["COURSE_MODE"] = mode  # utils.pick in the Parameters cell reads it
    try:
        exec(compile(parameters, f"{pathlib.Path(path).name}:Parameters", "exec"), namespace)  # noqa: S102
    finally:
        if saved is None:
            os.environ.pop("COURSE_MODE", None)
        else:
            os.environ["COURSE_MODE"] = saved
    for index, source in enumerate(sources):
        if source.startswith(("# Parameters", "# Setup")) or "# @title Solution" in source:
            continue
        kept = [node for node in ast.parse(source).body if isinstance(node, (ast.FunctionDef, ast.ClassDef))]
        if kept:
            exec(compile(ast.Module(body=kept, type_ignores=[]), f"{pathlib.Path(path).name}:cell{index}", "exec"), namespace)  # noqa: S102
    missing = [name for name in ("Forecaster", "digit_loss") if name not in namespace]
    if missing:
        raise ValueError(f"{path} no longer defines {missing}: update benchmarks/{NAME}.py")
    return namespace


def make_clips(nb: dict, digits: np.ndarray, count: int, seed: int) -> np.ndarray:
    """Clips with the notebook's settings: (count, CONTEXT + HORIZON, FRAME_SIZE, FRAME_SIZE, 1)."""
    return utils.video.moving_digits(digits, count, num_frames=nb["CONTEXT"] + nb["HORIZON"], frame_size=nb["FRAME_SIZE"],
                                     num_digits=nb["NUM_DIGITS"], speed=nb["SPEED"], seed=seed).frames


def split_digits(x_test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(validation, test) held-out digits: the first ``VALIDATION_DIGITS`` and the rest, as notebook 13 cuts them."""
    if len(x_test) < 2:
        raise ValueError(f"need at least 2 held-out digits, got {len(x_test)}")
    cut = min(VALIDATION_DIGITS, len(x_test) // 2)
    return x_test[:cut], x_test[cut:]


# ----------------------------------------------------------------------------- the keras-io example's model


def build_keras_example(frame_size: int, config: dict = KERAS_EXAMPLE):
    """Three ConvLSTM2D (kernels 5, 3, 1; ReLU) with batch normalisation after the first two, a Conv3D sigmoid output."""
    import keras
    from keras import layers

    inputs = keras.Input((None, frame_size, frame_size, 1))
    x = inputs
    for index, kernel in enumerate(config["kernels"]):
        x = layers.ConvLSTM2D(config["filters"], kernel, padding="same", return_sequences=True, activation="relu")(x)
        if index < len(config["kernels"]) - 1:
            x = layers.BatchNormalization()(x)
    outputs = layers.Conv3D(1, (3, 3, 3), activation="sigmoid", padding="same")(x)
    model = keras.Model(inputs, outputs, name="keras_convlstm_example")
    model.compile(loss=keras.losses.BinaryCrossentropy(), optimizer=keras.optimizers.Adam(config["learning_rate"]))
    return model


class KerasExampleSide:
    """The example's training (frames 0..T-2 -> 1..T-1) and its autoregressive prediction."""

    def __init__(self, nb: dict, seed: int, config: dict = KERAS_EXAMPLE):
        utils.config.seed_everything(seed)
        self.nb, self.batch_size = nb, config["batch_size"]
        self.model = build_keras_example(nb["FRAME_SIZE"], config)

    def train_batches(self, clips: np.ndarray):
        for begin in range(0, len(clips) - self.batch_size + 1, self.batch_size):
            batch = clips[begin:begin + self.batch_size]
            yield lambda batch=batch: self.model.train_on_batch(batch[:, :-1], batch[:, 1:])

    def predict(self, seen: np.ndarray) -> np.ndarray:
        """The example's autoregressive prediction: append the model's last output frame, predict again.

        Computed with the recurrent states carried from frame to frame instead of re-running the whole sequence for every
        new frame (the example's way: scoring one run's clips that way took over 35 minutes here, unfinished): the ConvLSTMs are causal
        and the Conv3D head's output at the last frame reads only the last two frames' features (its third tap falls on
        the zero padding), so the frames are the same (``predict_by_rerunning`` is the example's way; a test compares them).
        """
        if getattr(self, "_rollout", None) is None:
            self._rollout = self._make_rollout()
        return np.concatenate([self._rollout(seen[i:i + 128]).numpy() for i in range(0, len(seen), 128)])

    def predict_by_rerunning(self, seen: np.ndarray) -> np.ndarray:
        """The example's own loop: the whole sequence through the model once per predicted frame (slow)."""
        frames = seen
        for _ in range(self.nb["HORIZON"]):
            outputs = np.concatenate([self.model(frames[i:i + 64], training=False).numpy() for i in range(0, len(frames), 64)])
            frames = np.concatenate([frames, outputs[:, -1:]], axis=1)
        return frames[:, seen.shape[1]:]

    def _make_rollout(self):
        import tensorflow as tf

        layers = self.model.layers[1:]  # after the Input: ConvLSTM2D, BatchNormalization, ..., Conv3D
        recurrent = [(layer, layers[i + 1] if layers[i + 1].__class__.__name__ == "BatchNormalization" else None)
                     for i, layer in enumerate(layers) if layer.__class__.__name__ == "ConvLSTM2D"]
        head, horizon = layers[-1], self.nb["HORIZON"]

        def advance(frame, states):
            x, new_states = frame, []
            for (convlstm, norm), state in zip(recurrent, states):
                x, state = convlstm.cell(x, state, training=False)
                new_states.append(state)
                if norm is not None:
                    x = norm(x[:, None], training=False)[:, 0]  # built for sequences: one frame as a sequence of one
            return x, new_states

        @tf.function(reduce_retracing=True)
        def rollout(seen):
            seen = tf.convert_to_tensor(seen, tf.float32)
            shape = tf.shape(seen)
            states = [[tf.zeros(tf.concat([[shape[0]], shape[2:4], [convlstm.filters]], 0))] * 2 for convlstm, _ in recurrent]
            previous = current = None
            for t in range(seen.shape[1]):
                previous = current
                current, states = advance(seen[:, t], states)
            predicted = []
            for _ in range(horizon):
                frame = head(tf.stack([previous, current], axis=1), training=False)[:, 1]  # the output at the last frame
                predicted.append(frame)
                previous = current
                current, states = advance(frame, states)
            return tf.stack(predicted, axis=1)

        return rollout


class OursSide:
    """Notebook 13's Forecaster with its loss and optimiser, the code z = 0 (the deterministic model)."""

    def __init__(self, nb: dict, seed: int):
        import keras
        import tensorflow as tf

        utils.config.seed_everything(seed)
        self.nb = nb
        self.model = nb["Forecaster"](nb["FILTERS"], nb["HORIZON"], nb["LATENT_DIM"])
        self.model(np.zeros((2, nb["CONTEXT"], nb["FRAME_SIZE"], nb["FRAME_SIZE"], 1), "float32"))
        optimizer = keras.optimizers.Adam(nb["LEARNING_RATE"])
        model, loss_fn = self.model, nb["digit_loss"]

        def make_step(teacher_forcing: bool):
            @tf.function
            def step(seen, future):
                with tf.GradientTape() as tape:
                    loss = loss_fn(future, model(seen, truth=future if teacher_forcing else None))
                optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_weights), model.trainable_weights))
                return loss
            return step

        self.steps = {True: make_step(True), False: make_step(False)}  # the notebook's recipe: teacher forcing first
        self.epoch = 0

    def train_batches(self, clips: np.ndarray):
        context, batch = self.nb["CONTEXT"], self.nb["BATCH"]
        step = self.steps[self.epoch < self.nb["FORCED_EPOCHS"]]
        self.epoch += 1
        for begin in range(0, len(clips) - batch + 1, batch):
            part = clips[begin:begin + batch]
            yield lambda part=part: step(part[:, :context], part[:, context:])

    def predict(self, seen: np.ndarray) -> np.ndarray:  # as the notebook predicts: each pixel takes its most likely move
        return np.concatenate([np.asarray(self.model(seen[i:i + 128], choose=True)) for i in range(0, len(seen), 128)])


def make_side(name: str, nb: dict, seed: int, config: dict = KERAS_EXAMPLE):
    if name == "keras_example":
        return KerasExampleSide(nb, seed, config)
    if name == "ours":
        return OursSide(nb, seed)
    raise ValueError(f"unknown side {name!r}; expected one of {SIDES}")


def score(side, clips: np.ndarray, nb: dict) -> dict:
    """Per-step SSIM, MSE and foreground F1 of the side's predictions on ``clips``."""
    seen, future = utils.video.split_clip(clips, nb["CONTEXT"], nb["HORIZON"])
    prediction = side.predict(seen)
    ssim = utils.video.ssim(prediction, future).mean(axis=0)
    return {"ssim": [round(float(v), 4) for v in ssim], "mean_ssim": round(float(ssim.mean()), 4),
            "mse": [round(float(v), 5) for v in utils.video.frame_mse(prediction, future).mean(axis=0)],
            "f1": [round(float(v), 4) for v in utils.video.foreground_f1(prediction, future)]}


def run(name: str, nb: dict, train_digits, val_clips, test_clips, cpu_seconds: float, seed: int, *, clips_per_epoch: int = 1536,
        config: dict = KERAS_EXAMPLE) -> dict:
    """Train one side for ``cpu_seconds`` of process CPU time (validation SSIM along the way, test scores at the end)."""
    import keras

    side = make_side(name, nb, seed, config)
    eval_points = [cpu_seconds * (i + 1) / CURVE_POINTS for i in range(CURVE_POINTS)]
    steps, epochs, used_cpu, used_wall, curve, batches, fresh = 0, 0, 0.0, 0.0, [], iter(()), False
    while len(curve) < CURVE_POINTS:
        cpu_start, wall_start = time.process_time(), time.perf_counter()
        while used_cpu + time.process_time() - cpu_start < eval_points[len(curve)]:
            batch = next(batches, None)
            if batch is None:  # a new epoch: the same clips for both sides (seeded by the run's seed and the epoch)
                if fresh:
                    raise ValueError(f"{clips_per_epoch} clips per epoch make no batch for the {name} side: use more clips")
                batches = side.train_batches(make_clips(nb, train_digits, clips_per_epoch, seed * 1000 + epochs))
                epochs, fresh = epochs + 1, True
                continue
            batch()
            steps, fresh = steps + 1, False
        used_cpu += time.process_time() - cpu_start
        used_wall += time.perf_counter() - wall_start
        point = {"cpu_seconds": round(used_cpu, 1), "wall_seconds": round(used_wall, 1), "steps": steps,
                 "val_mean_ssim": score(side, val_clips, nb)["mean_ssim"]}  # outside the budget
        curve.append(point)
        print(f"  {name} (seed {seed}): {point}", flush=True)
    test = score(side, test_clips, nb)  # the only use of the test clips
    record = {"cpu_seconds": curve[-1]["cpu_seconds"], "wall_seconds": curve[-1]["wall_seconds"], "steps": steps,
              "epochs_started": epochs, "parameters": int(side.model.count_params()), "curve": curve,
              "test_mean_ssim": test["mean_ssim"], "test": test}
    del side
    keras.backend.clear_session()
    gc.collect()
    return record


def summarize(result: dict) -> dict:
    """Per-side spread of the test mean SSIM, and the verdict once every run is in."""
    sides = {}
    for side in SIDES:
        runs = protocol.runs_of(result, side)
        if runs:
            sides[side] = {"test_mean_ssim": protocol.spread([r["test_mean_ssim"] for r in runs]),
                           "test_f1_last": protocol.spread([r["test"]["f1"][-1] for r in runs]),
                           "steps": protocol.spread([r["steps"] for r in runs])}
    summary = {"sides": sides, "verdict": None, "readme": None}
    if result["status"] != "complete":
        return summary
    ours = [r["test_mean_ssim"] for r in protocol.runs_of(result, "ours")]
    theirs = [r["test_mean_ssim"] for r in protocol.runs_of(result, "keras_example")]
    winner = "ours" if np.mean(ours) >= np.mean(theirs) else "keras_example"
    winner_runs, other_runs = (ours, theirs) if winner == "ours" else (theirs, ours)
    clear = min(winner_runs) > max(other_runs)
    verdict = f"{winner} wins" + ("" if clear else " on the mean, but its worst run does not beat the other side's best")
    summary["verdict"] = verdict
    summary["readme"] = {
        "benchmark": f"`{NAME}.py` ({result['protocol']['cpu_seconds']:.0f} CPU-s per run, two-digit Moving-MNIST 32x32, "
                     f"{result['protocol']['runs']} interleaved runs per side, {result['test_clips']} test clips)",
        "reference": f"keras-io ConvLSTM example's configuration: mean SSIM over 10 steps "
                     f"{protocol.fmt_spread(sides['keras_example']['test_mean_ssim'], 3)}, F1 at step 10 "
                     f"{protocol.fmt_spread(sides['keras_example']['test_f1_last'], 3)}",
        "ours": f"mean SSIM {protocol.fmt_spread(sides['ours']['test_mean_ssim'], 3)}, F1 at step 10 "
                f"{protocol.fmt_spread(sides['ours']['test_f1_last'], 3)}",
        "target": f"none set in advance: **{verdict}** (blank frame's mean SSIM {result['anchors']['blank_mean_ssim']}, "
                  f"copy-last {result['anchors']['copy_last_mean_ssim']})",
        "verdict": verdict,
    }
    return summary


def markdown(result: dict) -> str:
    rows = ["| run | side | seed | CPU s | wall s | steps | val mean SSIM | test mean SSIM | test SSIM steps 1 / 10 | test F1 steps 1 / 10 |",
            "|---:|---|---:|---:|---:|---:|---:|---:|---|---|"]
    for run_ in sorted(result["runs"], key=lambda r: (r["index"], SIDES.index(r["side"]))):
        test = run_["test"]
        rows.append(f"| {run_['index'] + 1} | {run_['side']} | {run_['seed']} | {run_['cpu_seconds']} | {run_['wall_seconds']} | "
                    f"{run_['steps']:,} | {run_['curve'][-1]['val_mean_ssim']} | {run_['test_mean_ssim']} | "
                    f"{test['ssim'][0]} / {test['ssim'][-1]} | {test['f1'][0]} / {test['f1'][-1]} |")
    lines = ["# Video prediction: notebook 13's encoder-forecaster vs the keras-io ConvLSTM example's configuration", "",
             f"Status: {result['status']}. Same clips, {result['protocol']['cpu_seconds']:.0f} process CPU-seconds of training per "
             f"run ({result['machine']}), runs interleaved; SSIM along training on {result['validation_clips']} validation clips, "
             f"final scores on {result['test_clips']} test clips (held-out digits).", "", *rows, "",
             f"Anchors on the test clips: {json.dumps(result['anchors'])}.", "", f"Machine: {protocol.load_summary(result)}.", ""]
    if result.get("verdict"):
        lines += [f"Verdict: **{result['verdict']}**.", ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cpu-seconds", type=float, default=protocol.FULL_BUDGET, help="process CPU-seconds of training per run")
    parser.add_argument("--runs", type=int, default=protocol.FULL_RUNS, help="runs per side (interleaved)")
    parser.add_argument("--test-clips", type=int, default=NUM_TEST, help="test clips (the full protocol uses all)")
    parser.add_argument("--out", default=None, help="output path without extension (default: benchmarks/results/ for the full "
                                                    "protocol, outputs/benchmarks/ otherwise)")
    parser.add_argument("--resume", action="store_true", help="keep the runs already in the output file and do the rest")
    args = parser.parse_args(argv)

    import tensorflow as tf

    full = protocol.is_full_protocol(args.cpu_seconds, args.runs, full_data=args.test_clips == NUM_TEST)
    path = protocol.output_path(NAME, full=full, out=args.out)
    nb = notebook_namespace()
    split = utils.data.load_mnist5k()
    train_digits = utils.video.downscale_digits(split.x_train)
    val_digits, test_digits = split_digits(utils.video.downscale_digits(split.x_test))
    val_clips = make_clips(nb, val_digits, NUM_VALIDATION, 1)
    test_clips = make_clips(nb, test_digits, args.test_clips, 2)
    seen, future = utils.video.split_clip(test_clips, nb["CONTEXT"], nb["HORIZON"])
    anchors = {f"{name}_mean_ssim": round(float(utils.video.ssim(frames, future).mean()), 4)
               for name, frames in (("blank", utils.video.blank(seen, nb["HORIZON"])),
                                    ("copy_last", utils.video.copy_last(seen, nb["HORIZON"])))}
    result = {
        "protocol": {"cpu_seconds": args.cpu_seconds, "runs": args.runs, "test_clips": args.test_clips, "full": full,
                     "sides": list(SIDES), "seeds": list(range(args.runs))},
        "machine": f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}, TensorFlow {tf.__version__}",
        "validation_clips": len(val_clips), "test_clips": len(test_clips), "anchors": anchors,
        "splits": "training clips: MNIST-5k's 4,000 training digits, fresh clips every epoch; validation clips: the first 500 "
                  "held-out digits (SSIM along training); test clips: the last 500 (final scores of each run, the claim)",
        "configurations": {"keras_example": KERAS_EXAMPLE,
                           "ours": {key: nb[key] for key in ("FILTERS", "LATENT_DIM", "BATCH", "LEARNING_RATE", "CONTEXT", "HORIZON")}},
    }
    print(f"{'full protocol' if full else 'quick check'} -> {path}; anchors {anchors}", flush=True)
    sides = {name: (lambda index, seed, name=name: run(name, nb, train_digits, val_clips, test_clips, args.cpu_seconds, seed))
             for name in SIDES}
    result = protocol.run_interleaved(result, sides, runs=args.runs, seeds=list(range(args.runs)), path=path,
                                      summarize=summarize, markdown=markdown, resume=args.resume)
    print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
