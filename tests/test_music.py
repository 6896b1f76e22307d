"""Tests for utils/music.py (notebook 11): the grid checks, reading a score onto the grid, keys and
transposition, the part-writing counters on hand-made passages with known answers, the copy finder,
MIDI bytes read back by music21, the synthesiser's pitch, and the argument checks."""

import numpy as np
import pytest

from utils import music

R = music.REST


def chord_line(*slots):
    """A grid from rows of four MIDI pitches (soprano, alto, tenor, bass)."""
    return np.array(slots, dtype="int16")


# A C-major cadence in close position, correct part-writing: I - IV - V - I
CADENCE = chord_line([72, 67, 64, 48], [72, 69, 65, 53], [71, 67, 62, 55], [72, 67, 64, 48])

# ----------------------------------------------------------------------------- grid checks


def test_check_grid_accepts_pitches_and_rests():
    grid = music.check_grid([[60, R, 55, 48]])
    assert grid.dtype == np.int16 and grid.shape == (1, 4)


@pytest.mark.parametrize("bad, message", [
    (np.zeros((3, 3), int), r"shape \(T, 4\)"),
    (np.zeros((0, 4), int), "empty"),
    (np.array([[60, 64, 200, 48]]), r"grid\[0, 2\] = 200 is not a MIDI pitch"),
    (np.array([[60, 64, -5, 48]]), "not a MIDI pitch"),
    (np.array([[60.5, 64, 55, 48]]), "whole MIDI pitch"),
    (np.zeros(4, int), "2 dimensions"),
])
def test_check_grid_rejects_bad_input_clearly(bad, message):
    with pytest.raises(ValueError, match=message):
        music.check_grid(bad)


# ----------------------------------------------------------------------------- part-writing counters


def test_parallel_fifth_between_soprano_and_bass_is_found():
    # soprano G4 -> A4, bass C4 -> D4: a fifth moving up to a fifth
    grid = chord_line([67, 64, 60, 60], [69, 65, 62, 62])
    found = music.parallel_motion(grid)
    assert found.shape == (2, 6)
    assert found.sum() >= 1
    assert found[1, 2]  # pair (S, B) at slot 1
    assert not found[0].any()  # nothing arrives at the first slot


def test_parallel_octaves_and_compound_intervals_count():
    # soprano C5 -> D5 and bass C3 -> D3: two octaves apart, both up: parallel octaves
    grid = chord_line([72, 67, 64, 48], [74, 65, 62, 50])
    assert music.parallel_motion(grid)[1, 2]


def test_contrary_held_and_hidden_motion_are_not_parallels():
    contrary = chord_line([67, 64, 60, 60], [74, 65, 62, 55])  # a fifth to a twelfth by contrary motion
    assert not music.parallel_motion(contrary)[1, 2]
    held = chord_line([67, 64, 60, 60], [67, 64, 60, 60])  # nothing moves
    assert not music.parallel_motion(held).any()
    octave_to_fifth = chord_line([67, 62, 59, 55], [69, 62, 59, 62])  # both up, but an octave becomes a fifth
    assert not music.parallel_motion(octave_to_fifth)[1, 2]
    hidden = chord_line([64, 60, 55, 48], [67, 60, 55, 60])  # a third to a fifth in similar motion ("hidden"), not parallel
    assert not music.parallel_motion(hidden)[1, 2]
    assert not music.parallel_motion(CADENCE).any()


def test_rests_break_parallels():
    grid = chord_line([67, 64, 60, 60], [69, 65, 62, R])
    assert not music.parallel_motion(grid)[:, 2].any()


def test_voice_crossing_is_counted_per_slot():
    grid = chord_line([72, 67, 64, 48], [64, 67, 60, 48], [72, 67, 64, 48], [72, 67, 60, 62])
    crossed = music.crossing_slots(grid)
    np.testing.assert_array_equal(crossed, [False, True, False, True])  # alto above soprano, then bass above tenor
    assert not music.crossing_slots(chord_line([72, R, 64, 48])).any()  # a rest crosses nothing
    assert music.crossing_slots(chord_line([72, R, 76, 48])).all()  # tenor above soprano, even with the alto resting


def test_rule_rates_per_bar():
    fifths = chord_line([67, 64, 60, 60], [69, 65, 62, 62], [67, 64, 60, 60], [69, 65, 62, 62])  # a fifth up, down, up
    rates = music.rule_rates([fifths, CADENCE], steps_per_bar=4)
    assert rates["bars"] == 2.0
    parallels = int(music.parallel_motion(fifths).sum())
    assert parallels >= 3 and rates["parallels_per_bar"] == parallels / 2
    assert rates["crossings_per_bar"] == 0.0 and rates["share_without_parallels"] == 0.5


# ----------------------------------------------------------------------------- pitch measures, keys, transposition


def test_pitch_class_histogram_and_distance():
    histogram = music.pitch_class_histogram(chord_line([60, 64, 67, R]))
    np.testing.assert_allclose(histogram[[0, 4, 7]], 1 / 3)
    assert music.histogram_distance(histogram, histogram) == 0.0
    other = np.zeros(12)
    other[1] = 1.0
    assert music.histogram_distance(histogram, other) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="only rests"):
        music.pitch_class_histogram(chord_line([R, R, R, R]))
    with pytest.raises(ValueError, match="summing to 1"):
        music.histogram_distance(np.ones(12), other)


def test_share_in_scale_and_in_range():
    grid = chord_line([60, 61, 62, 63])  # C, C#, D, D#: half in C major
    assert music.share_in_scale(grid) == 0.5
    assert music.share_in_range(CADENCE) == 1.0
    assert music.share_in_range(chord_line([90, 60, 60, 30])) == pytest.approx(2 / 4)  # soprano too high, bass too low
    with pytest.raises(ValueError, match="pitch classes 0-11"):
        music.share_in_scale(grid, scale=[12])


def test_estimate_key_and_common_key_shift():
    scale = [62, 64, 66, 67, 69, 71, 73, 74]  # D major, with extra tonic and dominant
    grid = chord_line(*[[p, p - 12, p - 12, p - 24] for p in scale + [62, 62, 69, 62]])
    assert music.estimate_key(grid) == (2, "major")
    shift = music.common_key_shift(grid)
    assert shift == -2
    assert music.estimate_key(music.transpose(grid, shift)) == (0, "major")
    a_minor = chord_line(*[[p, p - 12, p - 12, p - 24] for p in (69, 72, 76, 69, 71, 68, 69, 64, 69)])
    assert music.estimate_key(a_minor) == (9, "minor") and music.common_key_shift(a_minor) == 0


def test_transpose_keeps_rests_and_rejects_leaving_midi():
    moved = music.transpose(chord_line([60, R, 55, 48]), 3)
    np.testing.assert_array_equal(moved, [[63, R, 58, 51]])
    with pytest.raises(ValueError, match="not a MIDI pitch"):
        music.transpose(chord_line([126, 60, 55, 48]), 5)
    with pytest.raises(TypeError, match="whole number"):
        music.transpose(CADENCE, 1.5)


# ----------------------------------------------------------------------------- novelty


def test_copy_finder_finds_the_longest_shared_passage():
    corpus = [np.concatenate([CADENCE, CADENCE + 2]), chord_line([60, 55, 52, 48])]
    finder = music.CopyFinder(corpus)
    query = np.concatenate([chord_line([61, 56, 53, 49]), CADENCE[1:], CADENCE[:2] + 2, chord_line([61, 56, 53, 49])])
    assert finder.longest(query) == 5  # CADENCE[1:] + (CADENCE + 2)[:2] is a run in the first corpus grid
    assert finder.longest(chord_line([61, 56, 53, 49])) == 0
    assert finder.longest(CADENCE) == 4


# ----------------------------------------------------------------------------- notes, reading, MIDI, sound


def test_grid_to_notes_merges_held_slots():
    grid = chord_line([60, 55, 52, 48], [60, 55, 52, 43], [62, R, 53, 43])
    notes = music.grid_to_notes(grid)
    assert (0, 60, 0, 2) in notes and (3, 43, 1, 2) in notes and (1, 55, 0, 2) in notes and (0, 62, 2, 1) in notes
    assert len(notes) == 7


def _four_part_score(grid, step=0.5):
    """A music21 score with one part per voice, written note by note from a grid (each run of slots one note)."""
    from music21 import note, stream

    score = stream.Score()
    for voice in range(4):
        part = stream.Part()
        for v, pitch, start, length in music.grid_to_notes(grid):
            if v == voice:
                part.insert(start * step, note.Note(pitch, quarterLength=length * step))
        score.insert(0, part)
    return score


def test_score_to_grid_round_trip_and_dropped_short_notes():
    from music21 import note

    grid = chord_line([72, 67, 64, 48], [72, 69, 65, 53], [71, 67, 62, 55], [71, 67, 62, 43])
    score = _four_part_score(grid)
    read, counts = music.score_to_grid(score, step=0.5)
    np.testing.assert_array_equal(read, grid)
    assert counts["dropped"] == 0
    score.parts[0].insert(0.25, note.Note(74, quarterLength=0.25))  # a sixteenth between two eighth-note slots
    _, counts = music.score_to_grid(score, step=0.5)
    assert counts["dropped"] == 1
    read16, _ = music.score_to_grid(_four_part_score(grid), step=0.25)
    assert len(read16) == 8 and np.array_equal(read16[::2], grid)


def test_score_to_grid_rejects_wrong_scores():
    from music21 import stream

    three = stream.Score([stream.Part() for _ in range(3)])
    with pytest.raises(ValueError, match="exactly 4"):
        music.score_to_grid(three)
    with pytest.raises(ValueError, match="no notes"):
        music.score_to_grid(stream.Score([stream.Part() for _ in range(4)]))
    with pytest.raises(ValueError, match="step"):
        music.score_to_grid(_four_part_score(CADENCE), step=0)


def test_midi_round_trip_through_music21(tmp_path):
    from music21 import converter

    grid = chord_line([72, 67, 64, 48], [72, 67, 64, 43], [71, 67, 62, 43], [R, 67, 62, 43], [72, 67, 64, 48])
    path = music.write_midi(grid, tmp_path / "cadence.mid")
    assert path.read_bytes()[:4] == b"MThd"
    score = converter.parse(str(path))
    assert len(score.parts) == 4
    read, _ = music.score_to_grid(score, step=0.5)
    np.testing.assert_array_equal(read, grid)
    with pytest.raises(ValueError, match=r"\.mid"):
        music.write_midi(grid, tmp_path / "cadence.wav")


def test_synthesized_tone_has_the_right_pitch():
    grid = chord_line(*[[69, R, R, R]] * 8)  # A4 alone for 8 slots
    wave = music.synthesize(grid, step_seconds=0.25, sample_rate=8000)
    assert wave.dtype == np.float32 and np.max(np.abs(wave)) <= 1.0
    assert len(wave) == pytest.approx(2.0 * 8000, abs=2)
    spectrum = np.abs(np.fft.rfft(wave * np.hanning(len(wave))))
    peak_hz = np.argmax(spectrum) * 8000 / len(wave)
    assert peak_hz == pytest.approx(440.0, abs=2.0)
    with pytest.raises(ValueError, match="sample_rate"):
        music.synthesize(grid, sample_rate=100)
    with pytest.raises(ValueError, match="harmonics"):
        music.synthesize(grid, harmonics=[])


def test_note_names_and_frequencies():
    assert music.note_name(60) == "C4" and music.note_name(69) == "A4"
    assert float(music.midi_to_hz(69)) == pytest.approx(440.0) and float(music.midi_to_hz(81)) == pytest.approx(880.0)
    with pytest.raises(ValueError, match="pitch"):
        music.note_name(128)


def test_piano_roll_draws_each_voice():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ax = music.piano_roll(CADENCE, title="cadence", steps_per_bar=4, given=(0,))
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert labels[0] == "soprano (given)" and labels[1:] == ["alto", "tenor", "bass"]
    assert ax.get_xlim() == (0.0, 1.0)
    plt.close("all")


def test_bach_chorales_are_read_and_cached(tmp_path):
    corpus = music.load_bach_chorales(limit=3, cache_dir=tmp_path, verbose=False)
    assert not corpus["from_cache"] and len(corpus["grids"]) + len(corpus["skipped"]) == 3
    for grid in corpus["grids"]:
        music.check_grid(grid)
    again = music.load_bach_chorales(limit=3, cache_dir=tmp_path, verbose=False)
    assert again["from_cache"] and again["names"] == corpus["names"]
    for first, second in zip(corpus["grids"], again["grids"]):
        np.testing.assert_array_equal(first, second)
    other = music.load_bach_chorales(limit=3, step=0.25, cache_dir=tmp_path, verbose=False)
    assert not other["from_cache"]  # another setting, another cache file
    assert len(list(tmp_path.glob("chorales-*.npz"))) == 2
