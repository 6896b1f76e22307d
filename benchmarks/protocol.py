"""The protocol every benchmark here follows (shared code, not a benchmark: running it does nothing).

* Each side runs ``runs`` times (at least ``FULL_RUNS``), interleaved: A1 B1 A2 B2 A3 B3, run ``i`` of
  both sides with the same seed, each run with the same budget of process CPU time.
* The results file keeps every run and, per side, the mean and spread (min-max, standard deviation)
  of its score; it is rewritten atomically after every completed run, so an interrupted benchmark
  keeps what it measured (``--resume`` continues it).
* A claim holds only against the spread: the *worst* run of ours must beat the *best* run of the
  reference by the target (``worst_case_margin``, ``worst_case_ratio``).
* A new full run moves the result it replaces to ``benchmarks/results/history/`` (``archive_previous``),
  so every recorded run stays in the repository.
* Only the documented full protocol (``FULL_BUDGET`` CPU-seconds, at least ``FULL_RUNS`` runs per
  side, all the data) may write to ``benchmarks/results/``; anything else (a quick check) goes to
  ``outputs/benchmarks/`` (ignored by git), and asking for ``benchmarks/results/`` is an error.
"""

from __future__ import annotations

import math
import os
import pathlib
import statistics
import sys
import time
from collections.abc import Callable

ROOT = pathlib.Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from utils.io import atomic_write_json, atomic_write_text, read_json  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
SCRATCH = ROOT / "outputs" / "benchmarks"
FULL_BUDGET = 600.0  # process CPU-seconds of training per run: 5 minutes on 2 busy cores
FULL_RUNS = 3  # runs per side


def is_full_protocol(budget: float, runs: int, *, full_data: bool = True) -> bool:
    """True when a run may be recorded: the documented budget, enough runs per side, all the data."""
    return float(budget) == FULL_BUDGET and int(runs) >= FULL_RUNS and bool(full_data)


def output_path(name: str, *, full: bool, out: str | pathlib.Path | None = None) -> pathlib.Path:
    """Where a benchmark writes ``<name>.json`` (and ``.md``).

    The full protocol records to ``benchmarks/results/``; anything else to ``outputs/benchmarks/``.
    An explicit ``out`` (a path without extension) inside ``benchmarks/results/`` is refused unless
    the protocol is the full one, so that a quick check can never overwrite a recorded result.
    """
    if out is None:
        return (RESULTS if full else SCRATCH) / f"{name}.json"
    path = pathlib.Path(out).with_suffix(".json").resolve()
    if not full and (path.parent == RESULTS.resolve() or RESULTS.resolve() in path.parents):
        raise ValueError(f"only the full protocol ({FULL_BUDGET:.0f} CPU-seconds, at least {FULL_RUNS} runs per side, all the data) "
                         f"writes to {RESULTS}; write a quick check elsewhere (default: {SCRATCH})")
    return path


def interleaved_schedule(sides: list[str], runs: int) -> list[tuple[str, int]]:
    """The order of the runs: run 0 of every side, then run 1 of every side, ... (A1 B1 A2 B2 A3 B3)."""
    if not sides or len(set(sides)) != len(sides):
        raise ValueError(f"sides must be distinct names, got {sides!r}")
    if isinstance(runs, bool) or not isinstance(runs, int) or runs < 1:
        raise ValueError(f"runs must be a positive int, got {runs!r}")
    return [(side, index) for index in range(runs) for side in sides]


def spread(values) -> dict:
    """Mean, sample standard deviation (0 for one value), min and max of ``values``."""
    values = [float(v) for v in values]
    if not values or not all(math.isfinite(v) for v in values):
        raise ValueError(f"values must be a non-empty list of finite numbers, got {values!r}")
    return {"n": len(values), "mean": statistics.fmean(values),
            "sd": statistics.stdev(values) if len(values) > 1 else 0.0,
            "min": min(values), "max": max(values)}


def worst_case_margin(reference, ours) -> float:
    """How much lower ours scores than the reference (lower is better), worst case: best reference run minus worst run of ours."""
    return min(float(v) for v in reference) - max(float(v) for v in ours)


def worst_case_ratio(reference, ours) -> float:
    """Ours over the reference (lower is better), worst case: worst run of ours over the best reference run."""
    return max(float(v) for v in ours) / min(float(v) for v in reference)


def runs_of(result: dict, side: str) -> list[dict]:
    """The completed runs of ``side`` in ``result``, in run order."""
    return sorted((run for run in result["runs"] if run["side"] == side), key=lambda run: run["index"])


def fmt_spread(stats: dict, digits: int) -> str:
    """'2.701 ± 0.046 (3 runs, 2.650-2.748)': mean ± standard deviation, then the range."""
    return (f"{stats['mean']:.{digits}f} ± {stats['sd']:.{digits}f} ({stats['n']} run{'s' if stats['n'] != 1 else ''}, "
            f"{stats['min']:.{digits}f}-{stats['max']:.{digits}f})")


def _load() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:  # pragma: no cover - platforms without a load average
        return None


def archive_previous(path: pathlib.Path, log=print) -> pathlib.Path | None:
    """Move a recorded result (``path`` in ``benchmarks/results/``, with its ``.md``) to ``results/history/``.

    A new full run replaces the current result; the old one is kept as
    ``history/<name>-<UTC time it was last written>.json`` so that every run ever recorded stays in the
    repository. Results elsewhere (quick checks in ``outputs/``) are simply replaced. Returns the new path.
    """
    path = pathlib.Path(path)
    if not path.exists() or path.resolve().parent != pathlib.Path(RESULTS).resolve():
        return None
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(path.stat().st_mtime))
    history = path.parent / "history"
    history.mkdir(exist_ok=True)
    target = history / f"{path.stem}-{stamp}.json"
    for source, destination in ((path, target), (path.with_suffix(".md"), target.with_suffix(".md"))):
        if source.exists():
            os.replace(source, destination)
    log(f"kept the previous result as {target}")
    return target


def load_summary(result: dict) -> str:
    """How busy the machine was during the runs (1-minute load average at the start and end of each run)."""
    loads = [value for run in result.get("runs", []) for value in (run.get("load_average") or []) if value is not None]
    if not loads:
        return "load average not recorded for these runs (recorded before the protocol stored it)"
    cores = os.cpu_count() or 1
    text = f"1-minute load average {min(loads):.1f}-{max(loads):.1f} at the starts and ends of the runs"
    if max(loads) > cores:
        text += (f" (above the {cores} cores: the machine was shared, which costs CPU-seconds per step; "
                 "a quiet machine gives more steps per budget)")
    return text


def run_interleaved(result: dict, sides: dict[str, Callable[[int, int], dict]], *, runs: int, seeds: list[int],
                    path: pathlib.Path, summarize: Callable[[dict], dict], markdown: Callable[[dict], str] | None = None,
                    resume: bool = False, log=print) -> dict:
    """Run every side ``runs`` times, interleaved, recording after every completed run.

    ``result`` holds the fixed facts of the benchmark (its "protocol" entry must identify the
    protocol: a resumed file must have the same one). ``sides[name](index, seed)`` trains and scores
    one run and returns its record. After each run the record joins ``result["runs"]``,
    ``summarize(result)`` recomputes the summary entries, and the file is written atomically
    (``.json`` and, with ``markdown``, ``.md``).
    """
    if len(seeds) < runs:
        raise ValueError(f"need one seed per run index, got {len(seeds)} seeds for {runs} runs")
    result = dict(result, runs=[], status="running")
    if not resume:
        archive_previous(path, log=log)
    if resume and path.exists():
        previous = read_json(path)
        if previous.get("protocol") != result["protocol"]:
            raise ValueError(f"{path} was made with a different protocol; run without --resume to start again")
        result["runs"] = list(previous.get("runs", []))
        log(f"resuming {path}: {len(result['runs'])} run(s) kept")
    done = {(run["side"], run["index"]) for run in result["runs"]}
    schedule = interleaved_schedule(list(sides), runs)
    path.parent.mkdir(parents=True, exist_ok=True)
    for side, index in schedule:
        if (side, index) in done:
            continue
        wall_start, load_before = time.perf_counter(), _load()
        record = {"side": side, "index": index, "seed": seeds[index], **sides[side](index, seeds[index])}
        record["total_wall_seconds"] = round(time.perf_counter() - wall_start, 1)  # training + evaluation
        record["load_average"] = [load_before, _load()]  # how busy the machine was (1-minute load, before and after)
        result["runs"].append(record)
        complete = all((s, i) in {(r["side"], r["index"]) for r in result["runs"]} for s, i in schedule)
        result["status"] = "complete" if complete else f"running: {len(result['runs'])} of {len(schedule)} runs done"
        result.update(summarize(result))
        atomic_write_json(path, result)
        if markdown is not None:
            atomic_write_text(path.with_suffix(".md"), markdown(result))
        log(f"recorded {side} run {index + 1}/{runs} in {path} ({result['status']})")
    return result


if __name__ == "__main__":  # `make benchmarks` runs every script in this folder; this one is not a benchmark
    print(__doc__.splitlines()[0])
