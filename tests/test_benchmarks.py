"""The benchmarks' protocol: quick checks never record, interleaved repeated runs, every run kept with its
spread, a verdict that holds against the spread, separate validation and test splits, the tutorial's own DCGAN step.

No real training beyond a few steps: the training functions are replaced by fakes where only the
bookkeeping is under test.
"""

from __future__ import annotations

import hashlib
import math
import statistics

import numpy as np
import pytest

from benchmarks import char_rnn_vs_tutorial as char_rnn
from benchmarks import dcgan_vs_tutorial as dcgan
from benchmarks import protocol
from utils import data, io


@pytest.fixture
def dirs(tmp_path, monkeypatch):
    """benchmarks/results and outputs/benchmarks redirected to temporary folders."""
    results, scratch = tmp_path / "results", tmp_path / "scratch"
    results.mkdir()
    monkeypatch.setattr(protocol, "RESULTS", results)
    monkeypatch.setattr(protocol, "SCRATCH", scratch)
    return results, scratch


def _digest(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def fake_char_runner(score: float, calls: list | None = None):
    """A stand-in for one side's training: records its arguments, returns a run record without training."""
    def runner(vocab, train_ids, val_ids, test_ids, budget, seed):
        if calls is not None:
            calls.append({"seed": seed, "val_ids": val_ids, "test_ids": test_ids, "train_ids": train_ids})
        return {"parameters": 1, "cpu_seconds": budget, "wall_seconds": 1.0, "steps": 10 + seed, "characters_seen": 100,
                "val_bits_per_char": score + 0.01, "test_bits_per_char": score + 0.001 * seed,
                "curve": [{"cpu_seconds": budget, "steps": 10 + seed, "val_bits_per_char": score + 0.01}]}
    return runner


# ----------------------------------------------------------------------------- quick checks never record

def test_only_the_full_protocol_is_recorded(dirs):
    results, scratch = dirs
    assert protocol.is_full_protocol(600, 3)
    assert not protocol.is_full_protocol(20, 3)  # the documented quick check
    assert not protocol.is_full_protocol(600, 1)
    assert not protocol.is_full_protocol(600, 3, full_data=False)
    assert protocol.output_path("x", full=True) == results / "x.json"
    assert protocol.output_path("x", full=False) == scratch / "x.json"
    with pytest.raises(ValueError, match="only the full protocol"):
        protocol.output_path("x", full=False, out=results / "x")
    with pytest.raises(ValueError, match="only the full protocol"):
        protocol.output_path("x", full=False, out=results / "sub" / "x")
    assert protocol.output_path("x", full=True, out=results / "x") == (results / "x.json").resolve()


def test_quick_check_does_not_touch_the_recorded_result(dirs, monkeypatch):
    results, scratch = dirs
    recorded = {"verdict": "met", "runs": ["recorded earlier"]}
    io.atomic_write_json(results / "char_rnn_vs_tutorial.json", recorded)
    io.atomic_write_text(results / "char_rnn_vs_tutorial.md", "# recorded\n")
    before = _digest(results)
    monkeypatch.setitem(char_rnn.RUNNERS, "tutorial", fake_char_runner(2.7))
    monkeypatch.setitem(char_rnn.RUNNERS, "ours", fake_char_runner(2.0))
    assert char_rnn.main(["--budget", "20", "--runs", "1", "--limit-chars", "80000"]) == 0
    assert _digest(results) == before
    quick = io.read_json(scratch / "char_rnn_vs_tutorial.json")
    assert quick["protocol"]["full"] is False and len(quick["runs"]) == 2
    with pytest.raises(ValueError, match="only the full protocol"):
        char_rnn.main(["--budget", "20", "--out", str(results / "char_rnn_vs_tutorial")])
    assert _digest(results) == before


def test_full_protocol_records(dirs, monkeypatch):
    results, _ = dirs
    calls = []
    monkeypatch.setitem(char_rnn.RUNNERS, "tutorial", fake_char_runner(2.7, calls))
    monkeypatch.setitem(char_rnn.RUNNERS, "ours", fake_char_runner(2.0, calls))
    assert char_rnn.main([]) == 0
    recorded = io.read_json(results / "char_rnn_vs_tutorial.json")
    assert recorded["protocol"]["full"] is True and recorded["status"] == "complete"
    assert len(recorded["runs"]) == 2 * protocol.FULL_RUNS
    assert (results / "char_rnn_vs_tutorial.md").read_text().startswith("# Char-RNN")
    # the runners got the validation characters (the first 100,000 of the validation half) and the test half
    split = data.load_shakespeare()
    validation, test = char_rnn.split_held_out(split.validation)
    vocab = char_rnn.text.CharVocab.from_text(split.train)
    assert np.array_equal(calls[0]["val_ids"], vocab.encode(validation[:char_rnn.VALIDATION_CHARS]))
    assert np.array_equal(calls[0]["test_ids"], vocab.encode(test))
    assert len(calls[0]["train_ids"]) == len(split.train)


# ----------------------------------------------------------------------------- interleaving, every run kept, spread

def test_interleaved_schedule():
    assert protocol.interleaved_schedule(["tutorial", "ours"], 3) == [
        ("tutorial", 0), ("ours", 0), ("tutorial", 1), ("ours", 1), ("tutorial", 2), ("ours", 2)]
    with pytest.raises(ValueError, match="distinct"):
        protocol.interleaved_schedule(["a", "a"], 3)
    with pytest.raises(ValueError, match="positive int"):
        protocol.interleaved_schedule(["a", "b"], 0)


def _char_result():
    return {"protocol": {"budget_cpu_seconds": 600.0, "runs": 3}, "corpus": "c", "machine": "m", "splits": "s",
            "validation_chars": 100, "test_chars": 200, "uniform_bits_per_char": 6.0,
            "bigram_val_bits_per_char": 3.6, "bigram_test_bits_per_char": 3.7}


def test_every_run_recorded_after_each_run_with_spread(tmp_path):
    path = tmp_path / "r.json"
    tutorial_scores, ours_scores = [2.70, 2.62, 2.74], [2.04, 2.07, 2.03]
    order, seen_on_disk = [], []

    def side(name, scores):
        def run(index, seed):
            order.append((name, index, seed))
            seen_on_disk.append(len(io.read_json(path)["runs"]) if path.exists() else 0)
            return {"parameters": 1, "cpu_seconds": 600.0 + index, "wall_seconds": 300.0, "steps": 100 * (index + 1),
                    "characters_seen": 1, "val_bits_per_char": scores[index] + 0.05, "test_bits_per_char": scores[index],
                    "curve": [{"cpu_seconds": 600.0, "steps": 1, "val_bits_per_char": 3.0}]}
        return run

    result = protocol.run_interleaved(_char_result(), {"tutorial": side("tutorial", tutorial_scores), "ours": side("ours", ours_scores)},
                                      runs=3, seeds=[42, 43, 44], path=path, summarize=char_rnn.summarize, markdown=char_rnn.markdown,
                                      log=lambda *a: None)
    assert [(n, i) for n, i, _ in order] == protocol.interleaved_schedule(["tutorial", "ours"], 3)
    assert [s for _, i, s in order] == [42, 42, 43, 43, 44, 44]  # run i of both sides has the same seed
    assert seen_on_disk == [0, 1, 2, 3, 4, 5]  # the file was rewritten after every completed run
    on_disk = io.read_json(path)
    assert on_disk == result and on_disk["status"] == "complete"
    assert [(r["side"], r["index"], r["test_bits_per_char"]) for r in on_disk["runs"]] == [
        ("tutorial", 0, 2.70), ("ours", 0, 2.04), ("tutorial", 1, 2.62), ("ours", 1, 2.07), ("tutorial", 2, 2.74), ("ours", 2, 2.03)]
    for run in on_disk["runs"]:
        assert {"seed", "steps", "cpu_seconds", "wall_seconds", "curve", "test_bits_per_char", "val_bits_per_char"} <= set(run)
    for side_name, scores in (("tutorial", tutorial_scores), ("ours", ours_scores)):
        stats = on_disk["sides"][side_name]["test_bits_per_char"]
        assert stats["n"] == 3 and stats["min"] == min(scores) and stats["max"] == max(scores)
        assert math.isclose(stats["mean"], statistics.fmean(scores)) and math.isclose(stats["sd"], statistics.stdev(scores))
    margins = [t - o for t, o in zip(tutorial_scores, ours_scores)]
    assert math.isclose(on_disk["margin"]["mean"], statistics.fmean(margins))
    assert math.isclose(on_disk["margin"]["sd"], statistics.stdev(margins))
    assert math.isclose(on_disk["worst_case_margin"], round(2.62 - 2.07, 4))
    assert on_disk["verdict"] == "missed"  # 0.55 < 0.6 in the worst case, though the mean margin is 0.64
    readme = on_disk["readme"]
    assert set(readme) == {"benchmark", "reference", "ours", "target", "verdict"} and readme["verdict"] == "missed"
    assert "2.687 ± 0.061 (3 runs, 2.620-2.740)" in readme["reference"]
    assert all(isinstance(v, str) and v for v in readme.values())


def test_interrupted_benchmark_keeps_its_runs_and_resumes(tmp_path):
    path = tmp_path / "r.json"
    calls = []

    def side(name, fail_at=None):
        def run(index, seed):
            if (name, index) == fail_at:
                raise KeyboardInterrupt
            calls.append((name, index))
            return {"parameters": 1, "cpu_seconds": 600.0, "wall_seconds": 1.0, "steps": 1, "characters_seen": 1,
                    "val_bits_per_char": 2.0, "test_bits_per_char": 2.7 if name == "tutorial" else 2.0, "curve": []}
        return run

    kwargs = dict(runs=3, seeds=[0, 1, 2], path=path, summarize=char_rnn.summarize, log=lambda *a: None)
    result = {**_char_result(), "protocol": {"budget_cpu_seconds": 600.0, "runs": 3}}
    with pytest.raises(KeyboardInterrupt):
        protocol.run_interleaved(result, {"tutorial": side("tutorial", fail_at=("tutorial", 1)), "ours": side("ours")}, **kwargs)
    partial = io.read_json(path)
    assert len(partial["runs"]) == 2 and partial["status"].startswith("running") and partial["verdict"] is None
    assert partial["readme"] is None  # no claim from an incomplete benchmark
    done = protocol.run_interleaved(result, {"tutorial": side("tutorial"), "ours": side("ours")}, resume=True, **kwargs)
    assert calls == [("tutorial", 0), ("ours", 0), ("tutorial", 1), ("ours", 1), ("tutorial", 2), ("ours", 2)]
    assert done["status"] == "complete" and len(done["runs"]) == 6 and done["verdict"] == "met"
    other = {**result, "protocol": {"budget_cpu_seconds": 20.0, "runs": 3}}
    with pytest.raises(ValueError, match="different protocol"):
        protocol.run_interleaved(other, {"tutorial": side("tutorial"), "ours": side("ours")}, resume=True, **kwargs)


# ----------------------------------------------------------------------------- the verdict holds against the spread

def _complete(side_scores: dict, key: str, extra=None) -> dict:
    runs = [{"side": side, "index": i, **{key: score}, "steps": 1, "cpu_seconds": 600.0, **(extra or {})}
            for side, scores in side_scores.items() for i, score in enumerate(scores)]
    return {"status": "complete", "runs": runs}


def test_char_rnn_verdict_needs_the_worst_case():
    base = _char_result()

    def verdict(tutorial, ours):
        result = {**base, **_complete({"tutorial": tutorial, "ours": ours}, "test_bits_per_char", {"val_bits_per_char": 2.5})}
        return char_rnn.summarize(result)

    assert verdict([2.70, 2.70, 2.70], [2.05, 2.06, 2.07])["verdict"] == "met"  # worst case 0.63
    missed = verdict([2.62, 2.70, 2.74], [2.03, 2.04, 2.05])  # mean margin 0.65, worst case 0.57
    assert missed["verdict"] == "missed" and missed["margin"]["mean"] > 0.6
    assert math.isclose(missed["worst_case_margin"], 0.57)
    assert protocol.worst_case_margin([2.62, 2.70], [2.03, 2.05]) == pytest.approx(0.57)


def test_dcgan_verdict_needs_the_worst_case_and_all_digits():
    base = {"protocol": {"cpu_seconds": 600.0, "runs": 3}, "test_images": 500}

    def summary(tutorial, ours, classes=(10, 10, 10)):
        runs = _complete({"tutorial": tutorial, "ours": ours}, "test_fd")["runs"]
        for run in runs:
            run["classes_present"] = classes[run["index"]] if run["side"] == "ours" else 8
        return dcgan.summarize({**base, "status": "complete", "runs": runs})

    assert summary([270.0, 280.0, 275.0], [25.0, 26.0, 27.0])["verdict"] == "met"
    spread_out = summary([130.0, 280.0, 300.0], [25.0, 26.0, 27.0])  # mean ratio 0.11, worst 27 / 130 = 0.21
    assert spread_out["verdict"] == "missed" and spread_out["ratio"]["mean"] < 0.2
    assert math.isclose(spread_out["worst_case_ratio"], round(27 / 130, 4))
    assert summary([270.0, 280.0, 275.0], [25.0, 26.0, 27.0], classes=(10, 9, 10))["verdict"] == "missed"
    readme = summary([270.0, 280.0, 275.0], [25.0, 26.0, 27.0])["readme"]
    assert readme["verdict"] == "met" and "FD 26.0 ± 1.0 (3 runs, 25.0-27.0)" in readme["ours"]


def test_spread_checks_its_input():
    assert protocol.spread([2.0]) == {"n": 1, "mean": 2.0, "sd": 0.0, "min": 2.0, "max": 2.0}
    with pytest.raises(ValueError, match="non-empty"):
        protocol.spread([])
    with pytest.raises(ValueError, match="finite"):
        protocol.spread([1.0, float("nan")])


# ----------------------------------------------------------------------------- the tutorial's DCGAN step

class CountingModel:
    """Wraps a Keras model and counts how often the training step calls it."""

    def __init__(self, model):
        self.model, self.calls = model, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.model(*args, **kwargs)

    @property
    def trainable_variables(self):
        return self.model.trainable_variables

    trainable_weights = trainable_variables

    @property
    def weights(self):
        return self.model.weights


def _weights(model):
    return [np.array(w) for w in model.trainable_variables]


def test_tutorial_step_is_one_generator_pass_updating_both_networks():
    import keras
    import tensorflow as tf

    from utils import gan

    keras.utils.set_random_seed(0)
    images = tf.constant(np.random.default_rng(0).uniform(-1, 1, (8, 28, 28, 1)).astype("float32"))

    def one_step(make_step):
        generator = CountingModel(gan.build_tutorial_generator(100))
        discriminator = CountingModel(gan.build_tutorial_discriminator())
        g_opt, d_opt = keras.optimizers.Adam(1e-4), keras.optimizers.Adam(1e-4)
        before_g, before_d = _weights(generator), _weights(discriminator)
        step = make_step(generator, discriminator, g_opt, d_opt, tf.random.Generator.from_seed(0))
        step.python_function(images)  # eagerly, once: a tf.function may trace more than once
        changed_g = any(not np.array_equal(a, b) for a, b in zip(before_g, _weights(generator)))
        changed_d = any(not np.array_equal(a, b) for a, b in zip(before_d, _weights(discriminator)))
        return generator.calls, discriminator.calls, changed_g, changed_d, int(g_opt.iterations), int(d_opt.iterations)

    tutorial = one_step(lambda g, d, go, do, rng: dcgan.make_tutorial_train_step(g, d, go, do, rng, latent_dim=100, batch_size=8))
    assert tutorial == (1, 2, True, True, 1, 1)  # one generator pass; D on real and fake; both networks stepped
    course = one_step(lambda g, d, go, do, rng: gan.make_dcgan_train_step(g, d, go, do, rng, latent_dim=100))
    assert course[0] == 2  # the course's step generates twice: the count tells the two apart


def test_tutorial_side_uses_the_tutorial_step(monkeypatch):
    used = []
    real = dcgan.make_tutorial_train_step
    monkeypatch.setattr(dcgan, "make_tutorial_train_step", lambda *a, **k: used.append(k) or real(*a, **k))
    dcgan.build("tutorial", dcgan.CONFIGS["tutorial"], seed=0)
    assert used == [{"latent_dim": 100, "batch_size": 256}]
    dcgan.build("ours", {**dcgan.CONFIGS["ours"], "width": 8}, seed=0)
    assert len(used) == 1


def test_tutorial_epochs_keep_the_last_smaller_batch():
    rng = np.random.default_rng(0)
    tutorial = dcgan.epoch_batches(600, 256, rng, keep_last=True)
    assert [len(b) for b in tutorial] == [256, 256, 88]
    assert sorted(np.concatenate(tutorial).tolist()) == list(range(600))
    assert [len(b) for b in dcgan.epoch_batches(600, 256, rng, keep_last=False)] == [256, 256]


# ----------------------------------------------------------------------------- validation and test splits

def test_char_rnn_test_split_is_disjoint_from_validation_and_training():
    split = data.load_shakespeare()
    validation, test = char_rnn.split_held_out(split.validation)
    assert validation + test == split.validation  # by position: validation first, test last, nothing shared
    assert validation.endswith("\n\n") and test.startswith("Prologue:\nTwo households")  # Romeo and Juliet opens the test half
    assert 0.45 < len(test) / len(split.validation) < 0.55
    assert len(validation) > char_rnn.VALIDATION_CHARS  # the scored validation characters lie in the validation half
    rng = np.random.default_rng(0)
    for start in rng.integers(0, len(test) - 200, 20):
        snippet = test[start:start + 200]
        assert snippet not in split.train and snippet not in validation
    with pytest.raises(ValueError, match="at least 2"):
        char_rnn.split_held_out("")


def test_dcgan_test_digits_are_disjoint_and_used_only_for_the_claim(monkeypatch):
    split = data.load_mnist5k()
    validation, test = dcgan.split_held_out(split.x_test)
    assert len(validation) == len(test) == 500
    keys = [{hashlib.sha256(image.tobytes()).hexdigest() for image in images} for images in (split.x_train, validation, test)]
    assert not keys[2] & keys[0] and not keys[2] & keys[1]
    # a few steps of a tiny "ours": the test digits are scored once, at the end, by the sampling generator
    references = []  # (generator, reference digits) of every score; the scores themselves are not under test
    monkeypatch.setattr(dcgan, "score", lambda model, noise, reference: references.append((model.name, reference)) or
                        {"fd": 1.0, "classes_present": 10, "min_class_share": 0.1})
    record = dcgan.run("ours", {**dcgan.CONFIGS["ours"], "width": 8}, split.x_train[:256], validation, test,
                       cpu_seconds=1.0, seed=0, num_samples=64)
    test_uses = [name for name, reference in references if reference is test]
    assert test_uses == ["generator_ema"] and references[-1][1] is test
    assert all(reference is validation for _, reference in references[:-1])
    assert len(record["curve"]) == dcgan.CURVE_POINTS and record["steps"] >= 1 and "test_fd" in record


# ----------------------------------------------------------------------------- every recorded run stays in the repository

def test_a_new_full_run_moves_the_recorded_result_to_history(dirs):
    results, _ = dirs
    path = results / "bench.json"
    io.atomic_write_json(path, {"status": "complete", "runs": [{"side": "ours", "index": 0}]})
    path.with_suffix(".md").write_text("# old\n")
    before = path.read_bytes()

    def side(index, seed):
        return {"parameters": 1, "cpu_seconds": 600.0, "wall_seconds": 1.0, "steps": 1, "characters_seen": 1,
                "val_bits_per_char": 2.0, "test_bits_per_char": 2.0, "curve": []}

    protocol.run_interleaved(_char_result(), {"tutorial": side, "ours": side}, runs=1, seeds=[0], path=path,
                             summarize=char_rnn.summarize, markdown=char_rnn.markdown, log=lambda *a: None)
    kept = sorted((results / "history").iterdir())
    assert [p.suffix for p in kept] == [".json", ".md"] and kept[0].stem.startswith("bench-")
    assert kept[0].read_bytes() == before and kept[1].read_text() == "# old\n"
    assert io.read_json(path)["status"] == "complete" and len(io.read_json(path)["runs"]) == 2


def test_quick_checks_and_missing_files_archive_nothing(dirs):
    results, scratch = dirs
    path = results / "bench.json"
    io.atomic_write_json(path, {"status": "running", "runs": []})
    assert protocol.archive_previous(scratch / "bench.json") is None  # not a recorded result
    assert protocol.archive_previous(results / "missing.json") is None
    assert not (results / "history").exists() and path.exists()


def test_load_summary_says_when_the_machine_was_shared(monkeypatch):
    monkeypatch.setattr(protocol.os, "cpu_count", lambda: 2)
    quiet = {"runs": [{"load_average": [0.4, 1.1]}, {"load_average": [1.2, 0.9]}]}
    assert protocol.load_summary(quiet) == "1-minute load average 0.4-1.2 at the starts and ends of the runs"
    busy = {"runs": [{"load_average": [0.4, 64.0]}]}
    assert "shared" in protocol.load_summary(busy)
    assert "not recorded" in protocol.load_summary({"runs": [{"steps": 1}]})
