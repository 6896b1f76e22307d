"""Side-by-side: the TensorFlow DCGAN tutorial's configuration against the course's DCGAN (notebook 06).

Both train on MNIST-5k's training split (4,000 digits) for the same budget of *process CPU time*
(``time.process_time()``, all threads: 600 CPU-seconds = 5 minutes on 2 cores), because the
machine's cores are shared and wall time would depend on the neighbours. Evaluation time is not
counted. Each side runs three times, interleaved (tutorial 1, ours 1, tutorial 2, ...), run ``i`` of
both sides with seed ``i``.

Splits (``split_held_out``): the 1,000 held-out digits of ``utils.data.load_mnist5k()`` are cut in
two. The first 500 are the *validation* digits: the Fréchet digit distance (FD) along training and
of the raw and averaged generators is measured on them, for any choice. The last 500 are the *test*
digits: only the final FD of each run, which carries the claim, is measured on them. Each run
generates 2,000 digits; the reference classifier's predictions say how many of the ten digits appear.

The tutorial side follows the tutorial (tensorflow.org/tutorials/generative/dcgan): its networks,
Adam(1e-4) for both, batch 256 (the last, smaller batch of an epoch included), noise of 100, and its
training step: one generator pass, the discriminator on the real and the generated batch, two
gradient tapes, both optimisers stepped in the same function. Ours is notebook 06's configuration
and training step (``utils.gan.make_dcgan_train_step``, with the generator's weight average).

    flock /tmp/course-cpu.lock nice -n 10 .venv/bin/python benchmarks/dcgan_vs_tutorial.py   # the full protocol
    .venv/bin/python benchmarks/dcgan_vs_tutorial.py --cpu-seconds 20 --runs 1   # quick check -> outputs/benchmarks/

Only the full protocol (600 CPU-seconds, 3 runs per side, all the data) writes
benchmarks/results/dcgan_vs_tutorial.json and .md; see benchmarks/README.md.
Target: in every run all ten digits, and the worst run of ours at most 1/5 of the best tutorial run's test FD.
"""

from __future__ import annotations

import argparse
import gc
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
from utils import gan  # noqa: E402

NAME = "dcgan_vs_tutorial"
NUM_SAMPLES = 2000
VALIDATION_DIGITS = 500  # the first 500 held-out digits; the other 500 are the test digits
CURVE_POINTS = 4
TARGET_RATIO = 0.2
SIDES = ("tutorial", "ours")

# The notebook 06 configuration ("ours") and the tutorial's. Keep "ours" in sync with 06's Parameters cell.
CONFIGS = {
    "tutorial": {
        "description": "TF DCGAN tutorial: G Dense 7x7x256-BN-LReLU, ConvT 128 k5 s1, 64 k5 s2, 1 k5 s2 tanh; "
                       "D Conv 64/128 k5 s2 + LReLU + dropout 0.3, Dense 1; Adam 1e-4; batch 256; z 100; "
                       "the tutorial's step (one generator pass, two tapes)",
        "latent_dim": 100, "batch_size": 256, "learning_rate": 1e-4, "beta_1": 0.9, "ema": False,
    },
    "ours": {
        "description": "course DCGAN (utils.gan): G Dense 7x7x128-BN-ReLU, ConvT 64 k4 s2-BN-ReLU, ConvT 1 k4 s2 tanh; "
                       "D Conv 64/128 k4 s2 + LReLU(0.2), Dense 1; Adam 2e-4 beta1 0.5; batch 64; z 64; "
                       "EMA of G's weights (0.999) for sampling; the course's step (D update, then G update)",
        "latent_dim": 64, "width": 64, "batch_size": 64, "learning_rate": 2e-4, "beta_1": 0.5, "ema": True,
    },
}


def split_held_out(x_test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(validation, test): the first ``VALIDATION_DIGITS`` held-out digits and the rest."""
    if len(x_test) < 2:
        raise ValueError(f"need at least 2 held-out digits, got {len(x_test)}")
    cut = min(VALIDATION_DIGITS, len(x_test) // 2)
    return x_test[:cut], x_test[cut:]


def make_tutorial_train_step(generator, discriminator, g_optimizer, d_optimizer, noise_rng, *, latent_dim: int, batch_size: int):
    """The tutorial's ``train_step``: one pass of the generator, two tapes, both optimisers stepped together.

    As in the tutorial, the noise batch always has ``batch_size`` rows (also against the smaller last
    batch of an epoch), and the losses are the tutorial's binary cross-entropies (the same as
    ``utils.gan.discriminator_loss`` and ``utils.gan.generator_loss``).
    """
    import tensorflow as tf

    @tf.function
    def train_step(real_images):
        noise = noise_rng.normal([batch_size, latent_dim])
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake_images = generator(noise, training=True)
            real_logits = discriminator(real_images, training=True)
            fake_logits = discriminator(fake_images, training=True)
            g_loss = gan.generator_loss(fake_logits)
            d_loss = gan.discriminator_loss(real_logits, fake_logits)
        g_gradients = g_tape.gradient(g_loss, generator.trainable_variables)
        d_gradients = d_tape.gradient(d_loss, discriminator.trainable_variables)
        g_optimizer.apply_gradients(zip(g_gradients, generator.trainable_variables))
        d_optimizer.apply_gradients(zip(d_gradients, discriminator.trainable_variables))
        return {"d_loss": d_loss, "g_loss": g_loss}

    return train_step


def build(name: str, config: dict, seed: int):
    """Fresh models, optimisers and training step of one side (seeded)."""
    import keras
    import tensorflow as tf

    utils.config.seed_everything(seed)
    if name == "tutorial":
        generator, discriminator = gan.build_tutorial_generator(config["latent_dim"]), gan.build_tutorial_discriminator()
    else:
        generator = gan.build_dcgan_generator(config["latent_dim"], width=config["width"])
        discriminator = gan.build_dcgan_discriminator(width=config["width"])
    ema = None
    if config["ema"]:
        ema = gan.build_dcgan_generator(config["latent_dim"], width=config["width"], name="generator_ema")
        gan.copy_weights(generator, ema)
    g_opt = keras.optimizers.Adam(config["learning_rate"], beta_1=config["beta_1"])
    d_opt = keras.optimizers.Adam(config["learning_rate"], beta_1=config["beta_1"])
    noise_rng = tf.random.Generator.from_seed(seed)
    if name == "tutorial":
        step = make_tutorial_train_step(generator, discriminator, g_opt, d_opt, noise_rng,
                                        latent_dim=config["latent_dim"], batch_size=config["batch_size"])
    else:
        step = gan.make_dcgan_train_step(generator, discriminator, g_opt, d_opt, noise_rng,
                                         latent_dim=config["latent_dim"], generator_ema=ema)
    return generator, ema, step


def epoch_batches(num_images: int, batch_size: int, rng: np.random.Generator, *, keep_last: bool):
    """Index batches of one shuffled epoch; ``keep_last`` keeps the smaller last batch (as the tutorial's ``Dataset.batch``)."""
    order = rng.permutation(num_images)
    stop = num_images if keep_last else num_images - batch_size + 1
    return [order[start:start + batch_size] for start in range(0, max(stop, 0), batch_size)]


def score(model, noise, reference) -> dict:
    """FD of ``model``'s samples against ``reference`` digits, and which digits the reference classifier sees."""
    samples = gan.sample_images(model, noise)
    counts = np.bincount(utils.metrics.digit_predictions(samples), minlength=10)
    return {"fd": round(float(utils.metrics.frechet_digit_distance(samples, reference)), 2),
            "classes_present": int(np.sum(counts > 0)), "min_class_share": round(float(counts.min() / counts.sum()), 4)}


def run(name: str, config: dict, x_train, x_val, x_test, cpu_seconds: float, seed: int, num_samples: int = NUM_SAMPLES) -> dict:
    """Train one side for ``cpu_seconds`` of process CPU time and score it (validation along the way, test at the end)."""
    import keras
    import tensorflow as tf

    generator, ema, train_step = build(name, config, seed)
    sampler = ema if ema is not None else generator
    images = x_train * 2.0 - 1.0  # tanh range
    order_rng = np.random.default_rng(seed)
    noise = np.random.default_rng(seed + 1000).standard_normal((num_samples, config["latent_dim"])).astype("float32")
    eval_points = [cpu_seconds * (i + 1) / CURVE_POINTS for i in range(CURVE_POINTS)]
    steps, epochs, used_cpu, used_wall, curve = 0, 0, 0.0, 0.0, []
    batches = []
    while len(curve) < CURVE_POINTS:
        cpu_start, wall_start = time.process_time(), time.perf_counter()
        while used_cpu + time.process_time() - cpu_start < eval_points[len(curve)]:
            if not batches:
                batches = epoch_batches(len(images), config["batch_size"], order_rng, keep_last=name == "tutorial")
                if not batches:
                    raise ValueError(f"{len(images)} training digits make no batch of {config['batch_size']}")
                epochs += 1
            train_step(tf.constant(images[batches.pop(0)]))
            steps += 1
        used_cpu += time.process_time() - cpu_start
        used_wall += time.perf_counter() - wall_start
        point = {"cpu_seconds": round(used_cpu, 1), "wall_seconds": round(used_wall, 1), "steps": steps,
                 "val_fd": score(sampler, noise, x_val)["fd"]}  # outside the budget
        curve.append(point)
        print(f"  {name} (seed {seed}): {point}", flush=True)
    record = {"description": config["description"], "cpu_seconds": curve[-1]["cpu_seconds"], "wall_seconds": curve[-1]["wall_seconds"],
              "steps": steps, "epochs_started": epochs, "images_seen": steps * config["batch_size"], "curve": curve,
              "validation": {"raw_generator": score(generator, noise, x_val)}}
    if ema is not None:
        record["validation"]["ema_generator"] = score(ema, noise, x_val)
    test = score(sampler, noise, x_test)  # the only use of the test digits
    record.update(test_fd=test["fd"], classes_present=test["classes_present"], min_class_share=test["min_class_share"])
    del generator, ema, train_step
    keras.backend.clear_session()
    gc.collect()
    return record


def summarize(result: dict) -> dict:
    """Per-side spread, the ratios and the verdict from the runs recorded so far."""
    sides, paired = {}, []
    for side in SIDES:
        runs = protocol.runs_of(result, side)
        if runs:
            sides[side] = {"test_fd": protocol.spread([r["test_fd"] for r in runs]),
                           "steps": protocol.spread([r["steps"] for r in runs]),
                           "cpu_seconds": protocol.spread([r["cpu_seconds"] for r in runs]),
                           "classes_present": [r["classes_present"] for r in runs]}
    by_index = {side: {r["index"]: r for r in protocol.runs_of(result, side)} for side in SIDES}
    for index in sorted(set(by_index["tutorial"]) & set(by_index["ours"])):
        paired.append(by_index["ours"][index]["test_fd"] / by_index["tutorial"][index]["test_fd"])
    summary = {"sides": sides, "ratio": protocol.spread(paired) if paired else None, "worst_case_ratio": None,
               "verdict": None, "readme": None}
    if result["status"] != "complete":
        return summary
    tutorial_fd = [r["test_fd"] for r in protocol.runs_of(result, "tutorial")]
    ours_fd = [r["test_fd"] for r in protocol.runs_of(result, "ours")]
    worst = protocol.worst_case_ratio(tutorial_fd, ours_fd)
    all_digits = all(r["classes_present"] == 10 for r in protocol.runs_of(result, "ours"))
    verdict = "met" if worst <= TARGET_RATIO and all_digits else "missed"
    summary.update(worst_case_ratio=round(worst, 4), verdict=verdict, readme=readme_row(result, sides, summary["ratio"], worst, verdict))
    return summary


def _digits(classes: list[int]) -> str:
    low, high = min(classes), max(classes)
    return f"{low}/10 digits" if low == high else f"{low}-{high}/10 digits"


def readme_row(result: dict, sides: dict, ratio: dict, worst: float, verdict: str) -> dict:
    """The four columns of README.md's Benchmarks table and the verdict."""
    budget, runs = result["protocol"]["cpu_seconds"], result["protocol"]["runs"]
    tutorial, ours = sides["tutorial"], sides["ours"]
    return {
        "benchmark": f"`dcgan_vs_tutorial.py` ({budget:.0f} CPU-s per run on MNIST-5k, {runs} interleaved runs per side, "
                     f"FD on {result['test_images']} test digits)",
        "reference": f"TensorFlow DCGAN tutorial, with its training step: FD {protocol.fmt_spread(tutorial['test_fd'], 1)}, "
                     f"{_digits(tutorial['classes_present'])}, {tutorial['steps']['mean']:,.0f} steps",
        "ours": f"FD {protocol.fmt_spread(ours['test_fd'], 1)}, {_digits(ours['classes_present'])}, {ours['steps']['mean']:,.0f} steps",
        "target": f"at most 1/5 of the tutorial's FD with all ten digits, worst run of ours against the best tutorial run: "
                  f"**{verdict}** (worst case {worst:.3f}; mean ratio {ratio['mean']:.3f})",
        "verdict": verdict,
    }


def markdown(result: dict) -> str:
    rows = ["| run | configuration | seed | CPU s | wall s | steps | images seen | validation FD | test FD | digits present | min digit share |",
            "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for run_ in sorted(result["runs"], key=lambda r: (r["index"], SIDES.index(r["side"]))):
        final_val = run_["curve"][-1]["val_fd"]
        rows.append(f"| {run_['index'] + 1} | {run_['side']} | {run_['seed']} | {run_['cpu_seconds']} | {run_['wall_seconds']} | "
                    f"{run_['steps']:,} | {run_['images_seen']:,} | {final_val} | {run_['test_fd']} | {run_['classes_present']}/10 | "
                    f"{run_['min_class_share']} |")
    lines = [
        "# DCGAN: course configuration vs the TensorFlow tutorial's",
        "",
        f"Status: {result['status']}. Same data (MNIST-5k, {result['train_images']} training digits), same budget of "
        f"{result['protocol']['cpu_seconds']:.0f} process CPU-seconds per run ({result['machine']}), runs interleaved; "
        f"Fréchet digit distance of {result['num_samples']} samples against {result['validation_images']} validation digits "
        f"(along training, for choices) and {result['test_images']} test digits (the claim only). Lower is better.",
        "",
        *rows,
        "",
        f"Anchors on the test digits: real training digits FD {result['anchors']['real_vs_real']}, uniform noise FD {result['anchors']['noise']}.",
        "",
        f"Machine: {protocol.load_summary(result)}.",
        "",
    ]
    for side, stats in result["sides"].items():
        lines.append(f"- {side}: test FD {protocol.fmt_spread(stats['test_fd'], 2)}; steps {protocol.fmt_spread(stats['steps'], 0)}")
    if result.get("verdict"):
        lines += ["", f"Ratio ours/tutorial per pair: {protocol.fmt_spread(result['ratio'], 3)}; worst case (worst run of ours / "
                  f"best tutorial run) {result['worst_case_ratio']} (target <= {TARGET_RATIO} with 10/10 digits in every run of ours): "
                  f"**{result['verdict']}**."]
    lines += ["", "Configurations:", *[f"- **{name}**: {config['description']}" for name, config in CONFIGS.items()], ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cpu-seconds", type=float, default=protocol.FULL_BUDGET, help="process CPU-seconds of training per run")
    parser.add_argument("--runs", type=int, default=protocol.FULL_RUNS, help="runs per side (interleaved)")
    parser.add_argument("--limit", type=int, default=None, help="training digits (smoke checks; the full protocol uses all)")
    parser.add_argument("--num-samples", type=int, default=NUM_SAMPLES, help="generated digits per score")
    parser.add_argument("--out", default=None, help="output path without extension (default: benchmarks/results/ for the full "
                                                    "protocol, outputs/benchmarks/ otherwise)")
    parser.add_argument("--resume", action="store_true", help="keep the runs already in the output file and do the rest")
    args = parser.parse_args(argv)

    import tensorflow as tf

    full = protocol.is_full_protocol(args.cpu_seconds, args.runs, full_data=args.limit is None and args.num_samples == NUM_SAMPLES)
    path = protocol.output_path(NAME, full=full, out=args.out)
    split = utils.data.load_mnist5k(limit=args.limit)
    x_train = split.x_train
    x_val, x_test = split_held_out(split.x_test)
    noise_images = np.random.default_rng(0).uniform(0, 1, (args.num_samples, 28, 28, 1)).astype("float32")
    anchors = {"real_vs_real": round(float(utils.metrics.frechet_digit_distance(x_train[:args.num_samples], x_test)), 2),
               "noise": round(float(utils.metrics.frechet_digit_distance(noise_images, x_test)), 2)}
    result = {
        "protocol": {"cpu_seconds": args.cpu_seconds, "runs": args.runs, "limit": args.limit, "num_samples": args.num_samples,
                     "full": full, "sides": list(SIDES), "seeds": list(range(args.runs))},
        "machine": f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}, TensorFlow {tf.__version__}",
        "train_images": len(x_train), "validation_images": len(x_val), "test_images": len(x_test),
        "splits": "training: load_mnist5k().x_train; validation: the first 500 of load_mnist5k().x_test (FD along training, "
                  "raw vs averaged generator); test: the last 500 (final FD of each run, the claim, nothing else)",
        "num_samples": args.num_samples, "anchors": anchors, "target_ratio": TARGET_RATIO,
    }
    print(f"{'full protocol' if full else 'quick check'} -> {path}; anchors {anchors}", flush=True)
    sides = {name: (lambda index, seed, name=name: run(name, CONFIGS[name], x_train, x_val, x_test, args.cpu_seconds, seed,
                                                       args.num_samples))
             for name in SIDES}
    result = protocol.run_interleaved(result, sides, runs=args.runs, seeds=list(range(args.runs)), path=path,
                                      summarize=summarize, markdown=markdown, resume=args.resume)
    print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
