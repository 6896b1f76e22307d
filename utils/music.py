"""Music plumbing for notebook 11: the Bach chorales as a four-voice time grid, the part-writing
counters, a piano roll, a MIDI writer and a small NumPy synthesiser.

Conventions. A *grid* is an integer array of shape ``(T, 4)``: one row per time slot (an eighth
note by default), columns soprano, alto, tenor, bass, each a MIDI pitch (60 = middle C) or
``REST`` (-1). A held note repeats its pitch in consecutive slots, so a repeated note and a held one
look the same (the representation of Coconet and of the JSB-chorales benchmark). Metrics count
*slots* (a half note is four eighth-note slots) and rates are per bar of ``steps_per_bar`` slots
(8 = a 4/4 bar of eighth notes).

The models, their training and sampling stay in the notebook; these helpers read, measure,
draw, write and play, and are tested in ``tests/test_music.py``.
"""

from __future__ import annotations

import hashlib
import os
import pathlib
import struct
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import _checks

REST = -1
VOICES = ("soprano", "alto", "tenor", "bass")
VOICE_RANGES = {"soprano": (60, 79), "alto": (55, 72), "tenor": (48, 67), "bass": (40, 60)}  # C4-G5, G3-C5, C3-G4, E2-C4
C_MAJOR = (0, 2, 4, 5, 7, 9, 11)  # pitch classes of C major / A natural minor (the white keys)
PITCH_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
# Krumhansl-Kessler key profiles (probe-tone ratings), for estimate_key
_MAJOR_PROFILE = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
_MINOR_PROFILE = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
_CACHE_VERSION = 1  # bump when the parsing below changes, so old caches are not reused


# ----------------------------------------------------------------------------- checks


def check_grid(grid: Any, name: str = "grid", *, min_len: int = 1) -> np.ndarray:
    """Check a four-voice grid (T, 4) of MIDI pitches 0-127 or REST and return it as int16.

    Example: ``grid = utils.music.check_grid([[72, 67, 64, 48]])``
    """
    array = _checks.as_array(name, grid, ndim=2)
    if array.shape[1:] != (4,):
        raise ValueError(f"{name} must have shape (T, 4): one column per voice (soprano, alto, tenor, bass), got {array.shape}")
    if len(array) < min_len:
        raise ValueError(f"{name} is empty: it needs at least {min_len} time slot(s), got {len(array)}")
    if array.dtype == bool or not np.issubdtype(array.dtype, np.integer):
        if not np.all(np.isfinite(array)) or not np.all(array == np.round(array)):
            raise ValueError(f"{name} must hold whole MIDI pitch numbers (or REST = -1), got non-integer values")
    bad = (array != REST) & ((array < 0) | (array > 127))
    if np.any(bad):
        t, v = np.argwhere(bad)[0]
        raise ValueError(f"{name}[{t}, {v}] = {array[t, v]} is not a MIDI pitch: use 0-127, or REST = -1 for silence")
    return array.astype("int16")


def _grids(name: str, grids: Any) -> list[np.ndarray]:
    """One grid or a sequence of grids -> a non-empty list of checked grids."""
    if isinstance(grids, np.ndarray) and grids.ndim == 2:
        return [check_grid(grids, name)]
    if isinstance(grids, (list, tuple)) and grids and np.ndim(grids[0]) == 2:
        return [check_grid(g, f"{name}[{i}]") for i, g in enumerate(grids)]
    if isinstance(grids, (list, tuple)) and not grids:
        raise ValueError(f"{name} is an empty list: pass one grid (T, 4) or a list of them")
    return [check_grid(grids, name)]


# ----------------------------------------------------------------------------- reading the corpus


def chorale_paths() -> list[pathlib.Path]:
    """The Bach chorale files (MusicXML, .mxl) shipped in the music21 wheel, sorted by name.

    Example: ``paths = utils.music.chorale_paths(); len(paths)``
    """
    import music21

    folder = pathlib.Path(music21.__file__).parent / "corpus" / "bach"
    paths = sorted(folder.glob("*.mxl"))
    if not paths:
        raise FileNotFoundError(f"no .mxl files in {folder}: music21's corpus is missing (install the full music21 wheel)")
    return paths


def score_to_grid(score: Any, *, step: float = 0.5) -> tuple[np.ndarray, dict]:
    """A four-part music21 score -> (grid (T, 4), counts): what sounds at the start of each slot of ``step`` quarters.

    Notes that cover no slot start (e.g. a sixteenth off the eighth grid) are lost and counted in
    ``counts["dropped"]``; chords inside a part keep their top note (upper voices) or bottom note (lower ones).
    Example: ``grid, counts = utils.music.score_to_grid(music21.corpus.parse("bach/bwv66.6"))``
    """
    step = _checks.number_in("step", step, 0.0, 4.0, inclusive=False)
    parts = list(getattr(score, "parts", []))
    if len(parts) != 4:
        raise ValueError(f"score has {len(parts)} parts; a chorale for this grid needs exactly 4 (soprano, alto, tenor, bass)")
    events = []  # (voice, start, end, pitch)
    for voice, part in enumerate(parts):
        for element in part.flatten().notes:
            length = float(element.duration.quarterLength)
            if length <= 0:  # grace notes take no time
                continue
            pitches = [p.midi for p in element.pitches]
            pitch = max(pitches) if voice < 2 else min(pitches)
            events.append((voice, float(element.offset), float(element.offset) + length, pitch))
    if not events:
        raise ValueError("score has no notes: nothing to put on the grid")
    end = max(e[2] for e in events)
    num_slots = int(np.ceil(end / step - 1e-9))
    grid = np.full((num_slots, 4), REST, dtype="int16")
    dropped = 0
    for voice, start, stop, pitch in events:
        first, last = int(np.ceil(start / step - 1e-9)), int(np.ceil(stop / step - 1e-9))
        if last <= first:
            dropped += 1
            continue
        grid[first:last, voice] = pitch
    return grid, {"notes": len(events), "dropped": dropped}


def _corpus_digest(paths: Sequence[pathlib.Path], step: float) -> str:
    import music21

    text = repr((_CACHE_VERSION, music21.__version__, step, [(p.name, p.stat().st_size) for p in paths]))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def load_bach_chorales(*, step: float = 0.5, limit: int | None = None, cache_dir: str | os.PathLike | None = None,
                       verbose: bool = True) -> dict:
    """Parse the music21 Bach chorales with exactly four parts into grids (slow: music21 reads every MusicXML file).

    Returns ``{"names", "grids", "notes", "dropped", "skipped", "seconds", "from_cache"}``. With ``cache_dir``
    the grids are saved as ``chorales-<digest>.npz``, the digest covering the settings, the file list and
    music21's version, so a later call with the same settings loads them in a fraction of a second.
    Example: ``corpus = utils.music.load_bach_chorales(limit=20)``
    """
    from music21 import converter

    step = _checks.number_in("step", step, 0.0, 4.0, inclusive=False)
    paths = chorale_paths()
    if limit is not None:
        paths = paths[: _checks.positive_int("limit", limit)]
    started = time.perf_counter()
    cache = None
    if cache_dir is not None:
        cache = pathlib.Path(cache_dir) / f"chorales-{_corpus_digest(paths, step)}.npz"
        if cache.is_file():
            with np.load(cache) as saved:
                grids = np.split(saved["slots"], np.cumsum(saved["lengths"])[:-1])
                result = {"names": [str(n) for n in saved["names"]], "grids": grids, "notes": int(saved["notes"]),
                          "dropped": int(saved["dropped"]), "skipped": [str(n) for n in saved["skipped"]],
                          "seconds": time.perf_counter() - started, "from_cache": True}
            if verbose:
                print(f"loaded {len(grids)} chorales from the cache {cache.name} in {result['seconds']:.2f} s")
            return result
    names, grids, skipped, notes, dropped = [], [], [], 0, 0
    for path in paths:
        score = converter.parse(str(path), forceSource=True)  # forceSource: no pickles in music21's scratch folder
        if len(score.parts) != 4:
            skipped.append(path.stem)
            continue
        grid, counts = score_to_grid(score, step=step)
        names.append(path.stem)
        grids.append(grid)
        notes += counts["notes"]
        dropped += counts["dropped"]
    seconds = time.perf_counter() - started
    if verbose:
        print(f"parsed {len(paths)} files with music21 in {seconds:.1f} s: {len(grids)} with four parts, {len(skipped)} skipped")
    if cache is not None and grids:
        from . import io

        with io.atomic_path(cache) as tmp:
            np.savez(tmp, slots=np.concatenate(grids), lengths=np.array([len(g) for g in grids]), names=np.array(names),
                     notes=notes, dropped=dropped, skipped=np.array(skipped, dtype=str))
    return {"names": names, "grids": grids, "notes": notes, "dropped": dropped, "skipped": skipped, "seconds": seconds,
            "from_cache": False}


# ----------------------------------------------------------------------------- keys and transposition


def pitch_class_histogram(grids: Any) -> np.ndarray:
    """Share of sounding slots on each of the 12 pitch classes (C, C#, ... B), over one grid or a list of grids.

    Example: ``utils.music.pitch_class_histogram([[60, 64, 67, REST]])`` -> 1/3 on C, E and G
    """
    counts = np.zeros(12)
    for grid in _grids("grids", grids):
        sounding = grid[grid != REST]
        counts += np.bincount(sounding % 12, minlength=12)
    if counts.sum() == 0:
        raise ValueError("grids hold only rests: a pitch-class histogram needs at least one note")
    return counts / counts.sum()


def estimate_key(grid: Any) -> tuple[int, str]:
    """(tonic pitch class, "major" or "minor") that best fits the grid's pitch classes (Krumhansl-Kessler profiles).

    Example: ``utils.music.estimate_key(grid)`` -> ``(7, "major")`` for G major
    """
    histogram = pitch_class_histogram(grid)
    best = (-np.inf, 0, "major")
    for mode, profile in (("major", _MAJOR_PROFILE), ("minor", _MINOR_PROFILE)):
        for tonic in range(12):
            score = np.corrcoef(histogram, np.roll(profile, tonic))[0, 1]
            if score > best[0]:
                best = (score, tonic, mode)
    return best[1], best[2]


def transpose(grid: Any, semitones: int) -> np.ndarray:
    """The grid moved by ``semitones`` (rests stay rests). Example: ``utils.music.transpose(grid, -2)``"""
    grid = check_grid(grid)
    if isinstance(semitones, bool) or not isinstance(semitones, (int, np.integer)):
        raise TypeError(f"semitones must be a whole number, got {semitones!r}")
    moved = np.where(grid == REST, REST, grid + int(semitones)).astype("int16")
    return check_grid(moved, f"grid transposed by {semitones}")  # fails clearly when it leaves 0-127


def common_key_shift(grid: Any) -> int:
    """Semitones (-6..5) that move the estimated key to C major or A minor (same key signature, no sharps or flats).

    Example: ``shift = utils.music.common_key_shift(grid); utils.music.transpose(grid, shift)``
    """
    tonic, mode = estimate_key(grid)
    target = 0 if mode == "major" else 9
    return int((target - tonic + 6) % 12 - 6)


# ----------------------------------------------------------------------------- measures


def histogram_distance(p: Any, q: Any) -> float:
    """Total-variation distance 0.5 * sum |p - q| between two histograms (0 = identical, 1 = disjoint).

    Example: ``utils.music.histogram_distance(pitch_class_histogram(generated), pitch_class_histogram(real))``
    """
    p, q = _checks.as_array("p", p, ndim=1), _checks.as_array("q", q, ndim=1)
    if p.shape != q.shape:
        raise ValueError(f"p and q must have the same length, got {p.shape} and {q.shape}")
    if np.any(p < 0) or np.any(q < 0) or not (np.isclose(p.sum(), 1) and np.isclose(q.sum(), 1)):
        raise ValueError("p and q must be histograms: non-negative and summing to 1 (divide counts by their total)")
    return float(0.5 * np.abs(p - q).sum())


def share_in_scale(grids: Any, scale: Sequence[int] = C_MAJOR) -> float:
    """Share of sounding slots whose pitch class is in ``scale`` (default: C major / A minor, the common key).

    Example: ``utils.music.share_in_scale(grid)``
    """
    histogram = pitch_class_histogram(grids)
    scale = [int(pc) for pc in scale]
    if not scale or any(pc < 0 or pc > 11 for pc in scale):
        raise ValueError(f"scale must list pitch classes 0-11 (0 = C), got {scale}")
    return float(histogram[sorted(set(scale))].sum())


def share_in_range(grids: Any, ranges: dict | None = None) -> float:
    """Share of sounding slots inside their voice's range (VOICE_RANGES: soprano C4-G5, alto G3-C5, tenor C3-G4, bass E2-C4).

    Example: ``utils.music.share_in_range(grid)``
    """
    ranges = VOICE_RANGES if ranges is None else ranges
    if set(ranges) != set(VOICES):
        raise ValueError(f"ranges must give (lowest, highest) MIDI pitch for each of {VOICES}")
    inside = total = 0
    for grid in _grids("grids", grids):
        for v, voice in enumerate(VOICES):
            low, high = ranges[voice]
            sounding = grid[:, v][grid[:, v] != REST]
            inside += int(np.sum((sounding >= low) & (sounding <= high)))
            total += len(sounding)
    if total == 0:
        raise ValueError("grids hold only rests: nothing to compare with the voice ranges")
    return inside / total


def crossing_slots(grid: Any) -> np.ndarray:
    """Boolean (T,): slots where a lower voice sounds above a higher one (e.g. alto above soprano).

    Example: ``utils.music.crossing_slots([[60, 64, 55, 48]]).sum()`` -> 1 (alto above soprano)
    """
    grid = check_grid(grid).astype(int)
    crossed = np.zeros(len(grid), dtype=bool)
    for upper in range(4):
        for lower in range(upper + 1, 4):
            both = (grid[:, upper] != REST) & (grid[:, lower] != REST)
            crossed |= both & (grid[:, lower] > grid[:, upper])
    return crossed


def parallel_motion(grid: Any) -> np.ndarray:
    """Boolean (T, 6): at slot t, for each voice pair, a parallel fifth or octave/unison arriving from slot t - 1.

    Both voices move (a held note is not motion), in the same direction, and the interval is a perfect
    fifth (7 semitones, modulo octaves) or an octave/unison (0 modulo 12) both before and after. Pairs in
    the order (S,A), (S,T), (S,B), (A,T), (A,B), (T,B). Example: ``utils.music.parallel_motion(grid).sum()``
    """
    grid = check_grid(grid).astype(int)
    pairs = [(i, j) for i in range(4) for j in range(i + 1, 4)]
    found = np.zeros((len(grid), len(pairs)), dtype=bool)
    if len(grid) < 2:
        return found
    before, after = grid[:-1], grid[1:]
    sounding = (before != REST) & (after != REST)
    motion = np.sign(after - before)
    for k, (i, j) in enumerate(pairs):
        ok = sounding[:, i] & sounding[:, j] & (motion[:, i] != 0) & (motion[:, i] == motion[:, j])
        interval_before, interval_after = (before[:, i] - before[:, j]) % 12, (after[:, i] - after[:, j]) % 12
        perfect = (interval_before == interval_after) & np.isin(interval_after, (0, 7))
        found[1:, k] = ok & perfect
    return found


def rule_rates(grids: Any, *, steps_per_bar: int = 8) -> dict[str, float]:
    """Part-writing counts per bar over one grid or a list: parallel fifths/octaves, voice-crossing slots, and both shares.

    Returns ``{"parallels_per_bar", "crossings_per_bar", "bars", "share_without_parallels"}`` (the last: share of
    grids with no parallel at all). Example: ``utils.music.rule_rates(held_out_grids)``
    """
    steps_per_bar = _checks.positive_int("steps_per_bar", steps_per_bar)
    grids = _grids("grids", grids)
    parallels = [int(parallel_motion(g).sum()) for g in grids]
    crossings = sum(int(crossing_slots(g).sum()) for g in grids)
    bars = sum(len(g) for g in grids) / steps_per_bar
    return {"parallels_per_bar": sum(parallels) / bars, "crossings_per_bar": crossings / bars, "bars": bars,
            "share_without_parallels": float(np.mean([p == 0 for p in parallels]))}


class CopyFinder:
    """Longest passage of a grid (all four voices, consecutive slots) that also occurs somewhere in a corpus.

    Example: ``finder = utils.music.CopyFinder(train_grids); finder.longest(generated_grid)`` -> slots
    """

    def __init__(self, corpus_grids: Sequence[Any]):
        grids = _grids("corpus_grids", list(corpus_grids))
        self._corpus = [self._keys(g) for g in grids]
        self._windows: dict[int, set] = {}

    @staticmethod
    def _keys(grid: np.ndarray) -> np.ndarray:
        shifted = grid.astype("int64") + 1  # REST -> 0
        return ((shifted[:, 0] * 129 + shifted[:, 1]) * 129 + shifted[:, 2]) * 129 + shifted[:, 3]

    def _window_set(self, length: int) -> set:
        if length not in self._windows:
            self._windows[length] = {keys[i:i + length].tobytes() for keys in self._corpus for i in range(len(keys) - length + 1)}
        return self._windows[length]

    def _copied(self, keys: np.ndarray, length: int) -> bool:
        windows = self._window_set(length)
        return any(keys[i:i + length].tobytes() in windows for i in range(len(keys) - length + 1))

    def longest(self, grid: Any) -> int:
        """Length in slots of the longest run of ``grid`` found verbatim in the corpus (0 = not even one slot)."""
        keys = self._keys(check_grid(grid))
        low, high = 0, len(keys)  # invariant: a copy of length low exists; none longer than high
        while low < high:  # a copy of length L contains copies of every shorter length, so bisect
            middle = (low + high + 1) // 2
            if self._copied(keys, middle):
                low = middle
            else:
                high = middle - 1
        return low


# ----------------------------------------------------------------------------- notes, MIDI, sound, pictures


def grid_to_notes(grid: Any) -> list[tuple[int, int, int, int]]:
    """The grid's notes as (voice, pitch, first slot, length in slots): runs of one pitch in one voice become one note.

    Example: ``utils.music.grid_to_notes([[60, 55, 52, 48], [60, 55, 52, 43]])`` -> a two-slot C in the soprano...
    """
    grid = check_grid(grid)
    notes = []
    for voice in range(4):
        column = grid[:, voice]
        start = 0
        for t in range(1, len(column) + 1):
            if t == len(column) or column[t] != column[start]:
                if column[start] != REST:
                    notes.append((voice, int(column[start]), start, t - start))
                start = t
    return sorted(notes, key=lambda note: (note[2], note[0]))


def _variable_length(value: int) -> bytes:
    """MIDI's variable-length quantity: 7 bits per byte, high bit set on all but the last."""
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    return bytes(reversed(out))


def midi_bytes(grid: Any, *, step: float = 0.5, tempo_bpm: float = 80.0, program: int = 19) -> bytes:
    """A standard MIDI file (format 1, one track per voice) for the grid; ``step`` quarters per slot.

    ``program`` is the General MIDI instrument (19 = church organ). Example: ``data = utils.music.midi_bytes(grid)``
    """
    notes = grid_to_notes(grid)
    step = _checks.number_in("step", step, 0.0, 4.0, inclusive=False)
    tempo_bpm = _checks.number_in("tempo_bpm", tempo_bpm, 1.0, 1000.0)
    program = int(_checks.number_in("program", program, 0, 127))
    ticks_per_quarter = 480
    ticks_per_slot = int(round(step * ticks_per_quarter))
    tracks = []
    for voice in range(4):
        events = [(0, 0, bytes([0xFF, 0x03, len(VOICES[voice])]) + VOICES[voice].encode()),  # track name
                  (0, 0, bytes([0xC0 | voice, program]))]
        if voice == 0:
            microseconds = int(round(60_000_000 / tempo_bpm))
            events.append((0, 0, bytes([0xFF, 0x51, 0x03]) + microseconds.to_bytes(3, "big")))
        for v, pitch, start, length in notes:
            if v == voice:  # (time, order, bytes): note-offs sort before note-ons at the same tick
                events.append((start * ticks_per_slot, 1, bytes([0x90 | voice, pitch, 80])))
                events.append(((start + length) * ticks_per_slot, 0, bytes([0x80 | voice, pitch, 0])))
        events.sort(key=lambda event: (event[0], event[1]))
        body, now = b"", 0
        for tick, _, data in events:
            body += _variable_length(tick - now) + data
            now = tick
        body += _variable_length(0) + bytes([0xFF, 0x2F, 0x00])  # end of track
        tracks.append(b"MTrk" + struct.pack(">I", len(body)) + body)
    return b"MThd" + struct.pack(">IHHH", 6, 1, 4, ticks_per_quarter) + b"".join(tracks)


def write_midi(grid: Any, path: str | os.PathLike, **options: Any) -> pathlib.Path:
    """Write the grid as a MIDI file (atomically); options as for ``midi_bytes``.

    Example: ``utils.music.write_midi(grid, OUT / "harmonisation.mid")``
    """
    from . import io

    path = pathlib.Path(path)
    if path.suffix.lower() not in (".mid", ".midi"):
        raise ValueError(f"path must end in .mid or .midi, got {path.name}")
    return io.atomic_write_bytes(path, midi_bytes(grid, **options))


def midi_to_hz(pitch: Any) -> np.ndarray:
    """Frequency of MIDI pitches in Hz (69 = A4 = 440 Hz). Example: ``utils.music.midi_to_hz(60)`` -> 261.6"""
    return 440.0 * 2.0 ** ((np.asarray(pitch, dtype="float64") - 69.0) / 12.0)


def synthesize(grid: Any, *, step_seconds: float = 0.375, sample_rate: int = 11025, harmonics: Sequence[float] = (1.0, 0.5, 0.25, 0.12),
               ) -> np.ndarray:
    """Play the grid with an additive organ-like voice (a few harmonics, soft attack and release): float32 in [-1, 1].

    ``step_seconds`` per slot (0.375 s per eighth = 80 quarter notes a minute). Listen in a notebook with
    ``IPython.display.Audio(wave, rate=sample_rate)``. Example: ``wave = utils.music.synthesize(grid)``
    """
    notes = grid_to_notes(grid)
    step_seconds = _checks.number_in("step_seconds", step_seconds, 0.0, 10.0, inclusive=False)
    sample_rate = _checks.positive_int("sample_rate", sample_rate, minimum=4000)
    harmonics = np.asarray(harmonics, dtype="float64")
    if harmonics.ndim != 1 or harmonics.size == 0 or np.any(harmonics < 0):
        raise ValueError("harmonics must be a non-empty list of non-negative amplitudes (1st, 2nd, ... harmonic)")
    num_slots = len(check_grid(grid))
    wave = np.zeros(int(np.ceil(num_slots * step_seconds * sample_rate)) + 1)
    for _, pitch, start, length in notes:
        begin, count = int(start * step_seconds * sample_rate), int(length * step_seconds * sample_rate)
        t = np.arange(count) / sample_rate
        frequency = midi_to_hz(pitch)
        tone = sum(a * np.sin(2 * np.pi * frequency * (k + 1) * t) for k, a in enumerate(harmonics)
                   if frequency * (k + 1) < sample_rate / 2)  # no harmonics above Nyquist (they would alias)
        ramp = max(1, min(int(0.02 * sample_rate), count // 4))
        envelope = np.ones(count)
        envelope[:ramp] = np.linspace(0, 1, ramp)
        envelope[-ramp:] = np.minimum(envelope[-ramp:], np.linspace(1, 0, ramp))
        wave[begin:begin + count] += tone * envelope * np.exp(-0.8 * t)
    peak = np.max(np.abs(wave))
    return (wave / peak * 0.9 if peak > 0 else wave).astype("float32")


def note_name(pitch: int) -> str:
    """Scientific pitch name of a MIDI pitch. Example: ``utils.music.note_name(60)`` -> ``"C4"``"""
    pitch = int(_checks.number_in("pitch", pitch, 0, 127))
    return f"{PITCH_NAMES[pitch % 12]}{pitch // 12 - 1}"


VOICE_COLOURS = ("tab:red", "tab:orange", "tab:green", "tab:blue")


def piano_roll(grid: Any, ax: Any = None, *, title: str | None = None, steps_per_bar: int = 8, given: Sequence[int] = ()) -> Any:
    """Draw the grid as a piano roll: one bar per note, a colour per voice, time in bars; returns the axes.

    ``given`` lists voices (0 = soprano) that were given rather than generated: drawn hatched.
    Example: ``utils.music.piano_roll(grid, title="BWV 66.6"); plt.show()``
    """
    import matplotlib.pyplot as plt

    notes = grid_to_notes(grid)
    steps_per_bar = _checks.positive_int("steps_per_bar", steps_per_bar)
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 3.2))
    for voice in range(4):
        bars = [(start / steps_per_bar, length / steps_per_bar) for v, _, start, length in notes if v == voice]
        pitches = [pitch for v, pitch, _, _ in notes if v == voice]
        for (x, width), pitch in zip(bars, pitches):
            ax.broken_barh([(x, width * 0.97)], (pitch - 0.4, 0.8), facecolors=VOICE_COLOURS[voice],
                           hatch="///" if voice in given else None, edgecolor="white" if voice in given else None)
        ax.plot([], [], color=VOICE_COLOURS[voice], lw=6, label=VOICES[voice] + (" (given)" if voice in given else ""))
    pitches = [pitch for _, pitch, _, _ in notes] or [60]
    low, high = min(pitches) - 2, max(pitches) + 2
    ticks = [p for p in range(low, high + 1) if p % 12 in (0, 7)]
    ax.set_yticks(ticks, [note_name(p) for p in ticks])
    ax.set_ylim(low, high)
    ax.set_xlim(0, len(check_grid(grid)) / steps_per_bar)
    ax.set_xlabel("bar (4/4, eighth-note slots)")
    ax.legend(loc="upper right", fontsize=7, ncol=4, framealpha=0.8)
    if title:
        ax.set_title(title)
    return ax
