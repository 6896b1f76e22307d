"""Side-by-side: the TensorFlow DCGAN tutorial's configuration against the course's DCGAN (notebook 06).

Both train on MNIST-5k's training split (4,000 digits) for the same budget of *process CPU time*
(``time.process_time()``, all threads: 600 CPU-seconds = 5 minutes on 2 cores), because the
machine's cores are shared and wall time would depend on the neighbours. Evaluation time is not
counted. Each configuration then generates 2,000 digits, scored against the 1,000 held-out test
digits with the Fréchet digit distance (lower is better) and with the reference classifier's
predictions (how many of the ten digits appear).

    flock /tmp/course-cpu.lock .venv/bin/python benchmarks/dcgan_vs_tutorial.py
    .venv/bin/python benchmarks/dcgan_vs_tutorial.py --cpu-seconds 60 --no-save   # quick try

Writes benchmarks/results/dcgan_vs_tutorial.json and .md.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

import utils  # noqa: E402
from utils import gan  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
NUM_SAMPLES = 2000
SEED = 0

# The notebook 06 configuration ("ours") and the tutorial's. Keep "ours" in sync with 06's Parameters cell.
CONFIGS = {
    "tutorial": {
        "description": "TF DCGAN tutorial: G Dense 7x7x256-BN-LReLU, ConvT 128 k5 s1, 64 k5 s2, 1 k5 s2 tanh; "
                       "D Conv 64/128 k5 s2 + LReLU + dropout 0.3, Dense 1; Adam 1e-4; batch 256; z 100",
        "latent_dim": 100, "batch_size": 256, "learning_rate": 1e-4, "beta_1": 0.9, "ema": False,
    },
    "ours": {
        "description": "course DCGAN (utils.gan): G Dense 7x7x128-BN-ReLU, ConvT 64 k4 s2-BN-ReLU, ConvT 1 k4 s2 tanh; "
                       "D Conv 64/128 k4 s2 + LReLU(0.2), Dense 1; Adam 2e-4 beta1 0.5; batch 64; z 64; "
                       "EMA of G's weights (0.999) for sampling",
        "latent_dim": 64, "width": 64, "batch_size": 64, "learning_rate": 2e-4, "beta_1": 0.5, "ema": True,
    },
}


def build(name: str, config: dict):
    import keras

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
    return generator, discriminator, ema, g_opt, d_opt


def run(name: str, config: dict, x_train, x_test, cpu_seconds: float) -> dict:
    import tensorflow as tf

    utils.config.seed_everything(SEED)
    generator, discriminator, ema, g_opt, d_opt = build(name, config)
    noise_rng = tf.random.Generator.from_seed(SEED)
    train_step = gan.make_dcgan_train_step(generator, discriminator, g_opt, d_opt, noise_rng,
                                           latent_dim=config["latent_dim"], generator_ema=ema)
    images = x_train * 2.0 - 1.0  # tanh range
    batch_size = config["batch_size"]
    order_rng = np.random.default_rng(SEED)
    steps, epochs = 0, 0
    cpu_start, wall_start = time.process_time(), time.perf_counter()
    while time.process_time() - cpu_start < cpu_seconds:
        order = order_rng.permutation(len(images))
        for start in range(0, len(images) - batch_size + 1, batch_size):
            train_step(tf.constant(images[order[start:start + batch_size]]))
            steps += 1
            if time.process_time() - cpu_start >= cpu_seconds:
                break
        else:
            epochs += 1
    cpu_used, wall_used = time.process_time() - cpu_start, time.perf_counter() - wall_start
    noise = np.random.default_rng(SEED + 1).standard_normal((NUM_SAMPLES, config["latent_dim"])).astype("float32")
    result = {"description": config["description"], "cpu_seconds": round(cpu_used, 1), "wall_seconds": round(wall_used, 1),
              "steps": steps, "epochs_completed": epochs, "images_seen": steps * batch_size}
    for label, model in (("", generator), ("ema_", ema)):
        if model is None:
            continue
        samples = gan.sample_images(model, noise)
        predictions = utils.metrics.digit_predictions(samples)
        counts = np.bincount(predictions, minlength=10)
        result[f"{label}fd"] = round(utils.metrics.frechet_digit_distance(samples, x_test), 2)
        result[f"{label}classes_present"] = int(np.sum(counts > 0))
        result[f"{label}min_class_share"] = round(float(counts.min() / len(predictions)), 4)
    result["final_fd"] = result["ema_fd"] if ema is not None else result["fd"]
    result["final_classes_present"] = result["ema_classes_present"] if ema is not None else result["classes_present"]
    print(f"{name}: {result}", flush=True)
    return result


def write_markdown(summary: dict, path: pathlib.Path) -> None:
    rows = ["| configuration | CPU s | wall s | steps | images seen | final FD | classes present | min class share |",
            "|---|---|---|---|---|---|---|---|"]
    for name, result in summary["results"].items():
        share = result.get("ema_min_class_share", result["min_class_share"])
        rows.append(f"| {name} | {result['cpu_seconds']} | {result['wall_seconds']} | {result['steps']} | {result['images_seen']} | "
                    f"{result['final_fd']} | {result['final_classes_present']}/10 | {share} |")
    lines = [
        "# DCGAN: course configuration vs the TensorFlow tutorial's",
        "",
        f"Same data (MNIST-5k, {summary['train_images']} training digits), same budget of {summary['cpu_budget_seconds']} "
        "process CPU-seconds each (2 shared cores), Fréchet digit distance of "
        f"{summary['num_samples']} samples against {summary['test_images']} held-out digits (lower is better).",
        "",
        *rows,
        "",
        f"Anchors: real test vs real train digits FD {summary['anchors']['real_vs_real']}, uniform noise FD {summary['anchors']['noise']}.",
        "",
        f"Ratio ours/tutorial: {summary['ratio']} (target <= 0.2 with 10/10 classes): **{'met' if summary['target_met'] else 'missed'}**.",
        "",
        "Configurations:",
        *[f"- **{name}**: {result['description']}" for name, result in summary["results"].items()],
        "",
        "For 'ours', FD of the raw generator (without the weight average) was "
        f"{summary['results'].get('ours', {}).get('fd', 'n/a')}.",
    ]
    utils.io.atomic_write_text(path, "\n".join(lines) + "\n")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cpu-seconds", type=float, default=600.0, help="process CPU-seconds of training per configuration")
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument("--no-save", action="store_true", help="print only, do not write benchmarks/results/")
    args = parser.parse_args(argv)

    utils.config.seed_everything(SEED)
    split = utils.data.load_mnist5k()
    x_train, x_test = split.x_train, split.x_test
    noise_images = np.random.default_rng(SEED).uniform(0, 1, (NUM_SAMPLES, 28, 28, 1)).astype("float32")
    anchors = {"real_vs_real": round(utils.metrics.frechet_digit_distance(x_train[:NUM_SAMPLES], x_test), 2),
               "noise": round(utils.metrics.frechet_digit_distance(noise_images, x_test), 2)}
    print(f"anchors: {anchors}", flush=True)
    results = {name: run(name, CONFIGS[name], x_train, x_test, args.cpu_seconds) for name in args.configs}
    summary = {"cpu_budget_seconds": args.cpu_seconds, "train_images": len(x_train), "test_images": len(x_test),
               "num_samples": NUM_SAMPLES, "seed": SEED, "anchors": anchors, "results": results}
    if "tutorial" in results and "ours" in results:
        summary["ratio"] = round(results["ours"]["final_fd"] / results["tutorial"]["final_fd"], 3)
        summary["target_met"] = bool(summary["ratio"] <= 0.2 and results["ours"]["final_classes_present"] == 10)
    print(f"summary: ratio {summary.get('ratio')} target met {summary.get('target_met')}", flush=True)
    if not args.no_save and "ratio" in summary:
        RESULTS.mkdir(parents=True, exist_ok=True)
        utils.io.atomic_write_json(RESULTS / "dcgan_vs_tutorial.json", utils.training.json_safe(summary))
        write_markdown(summary, RESULTS / "dcgan_vs_tutorial.md")
        print(f"wrote {RESULTS / 'dcgan_vs_tutorial.json'} and .md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
