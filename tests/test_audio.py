"""utils.audio: the synthesisers (their pitch measured back), mu-law, the pitch estimator, STFT and Griffin-Lim, bad inputs."""

from __future__ import annotations

import numpy as np
import pytest

from utils import audio

RATE = 8000


def _sine(pitch, rate=RATE, seconds=1.0):
    t = np.arange(int(rate * seconds)) / rate
    return np.sin(2 * np.pi * audio.midi_to_hz(pitch) * t).astype("float32")


def test_midi_and_hz_round_trip():
    assert audio.midi_to_hz(69) == pytest.approx(440.0)
    assert audio.midi_to_hz(57) == pytest.approx(220.0)
    assert audio.hz_to_midi(audio.midi_to_hz([48.0, 60.5, 72.0])) == pytest.approx([48.0, 60.5, 72.0])
    assert np.isnan(audio.hz_to_midi(0.0)) and np.isnan(audio.hz_to_midi(-5.0))
    assert audio.semitone_error(audio.midi_to_hz(69.5), 69) == pytest.approx(0.5)


@pytest.mark.parametrize("instrument", [0, 1, 2], ids=audio.INSTRUMENTS)
def test_synthesisers_play_the_requested_pitch(instrument):
    pitches = np.array([48, 55, 60, 66, 72])
    notes = audio.synthesize(pitches, instrument, 0.8, sample_rate=RATE, seed=3)
    assert notes.shape == (5, RATE) and notes.dtype == np.float32
    assert np.max(np.abs(notes)) <= 1.0
    error = audio.semitone_error(audio.estimate_pitch(notes, sample_rate=RATE), pitches)
    assert np.all(np.abs(error) < 0.3), error


def test_synthesisers_at_16_khz_and_velocity_sets_loudness():
    notes = audio.synthesize([60, 60], [0, 0], [1.0, 0.5], sample_rate=16000, seconds=0.5, seed=1)
    assert notes.shape == (2, 8000)
    assert np.max(np.abs(notes[1])) == pytest.approx(0.5 * np.max(np.abs(notes[0])), rel=1e-4)
    assert np.abs(audio.semitone_error(audio.estimate_pitch(notes, sample_rate=16000), 60)).max() < 0.3


def test_karplus_strong_is_tuned_by_its_fractional_delay():
    # at 8 kHz the period of A4 is 18.18 samples: a whole-sample delay alone would be 18 (+0.17 semitones) or 19 (-0.75)
    note = audio.karplus_strong([69], sample_rate=RATE)
    assert abs(audio.semitone_error(audio.estimate_pitch(note, sample_rate=RATE), 69)[0]) < 0.05


def test_make_nsynth_labels_and_determinism():
    data = audio.make_nsynth(12, pitches=(50, 60), seed=4)
    assert data["audio"].shape == (12, RATE)
    assert set(data["pitch"]) <= {50, 60} and set(data["instrument"]) <= {0, 1, 2}
    assert np.all((data["velocity"] >= 0.4) & (data["velocity"] <= 1.0))
    again = audio.make_nsynth(12, pitches=(50, 60), seed=4)
    assert np.array_equal(data["audio"], again["audio"]) and np.array_equal(data["pitch"], again["pitch"])
    assert not np.array_equal(data["audio"], audio.make_nsynth(12, pitches=(50, 60), seed=5)["audio"])


def test_mu_law_round_trip():
    x = np.linspace(-1, 1, 2001)
    classes = audio.mu_law_encode(x)
    assert classes.dtype == np.int32 and classes.min() == 0 and classes.max() == 255
    assert np.all(np.diff(classes) >= 0)  # monotone
    assert audio.mu_law_encode([0.0])[0] == 128
    back = audio.mu_law_decode(classes)
    assert np.max(np.abs(back - x)) < 0.025  # coarse steps for loud samples...
    quiet = np.linspace(-0.01, 0.01, 201)
    assert np.max(np.abs(audio.mu_law_decode(audio.mu_law_encode(quiet)) - quiet)) < 3e-4  # ...fine ones for quiet samples
    assert np.array_equal(audio.mu_law_encode(audio.mu_law_decode(np.arange(256))), np.arange(256))  # levels are fixed points
    assert audio.mu_law_encode([2.0, -3.0]).tolist() == [255, 0]  # clipped
    assert np.allclose(audio.mu_law_decode(audio.mu_law_encode(x, 16), 16), x, atol=0.25)


def test_pitch_estimator_on_pure_tones():
    pitches = np.arange(36, 85, 4)
    estimates = audio.estimate_pitch(np.stack([_sine(p) for p in pitches]), sample_rate=RATE)
    assert np.abs(audio.semitone_error(estimates, pitches)).max() < 0.1  # YIN's parabola: a few cents at short periods
    assert audio.estimate_pitch(_sine(60, rate=16000), sample_rate=16000) == pytest.approx(audio.midi_to_hz(60), rel=2e-3)
    assert np.isnan(audio.estimate_pitch(np.zeros(RATE), sample_rate=RATE))  # silence has no pitch
    assert audio.pitch_accuracy(np.stack([_sine(60), _sine(61.5), np.zeros(RATE)]), [60, 60, 60], sample_rate=RATE) == pytest.approx(1 / 3)


def test_stft_inverts_and_griffin_lim_recovers_a_known_signal():
    t = np.arange(RATE) / RATE
    signal = (np.sin(2 * np.pi * 220 * t) + 0.5 * np.sin(2 * np.pi * 660 * t)) * np.exp(-t)
    spectrogram = audio.stft(signal[None])
    assert tuple(spectrogram.shape) == (1, 66, 257)
    assert np.max(np.abs(audio.istft(spectrogram, length=RATE).numpy()[0] - signal)) < 1e-4
    magnitude = np.abs(spectrogram.numpy())
    random_phase = audio.spectral_convergence(audio.griffin_lim(magnitude, num_iterations=0), magnitude)
    rebuilt = audio.griffin_lim(magnitude, num_iterations=100, length=RATE).numpy()
    assert rebuilt.shape == (1, RATE)
    converged = audio.spectral_convergence(rebuilt, magnitude)
    assert converged < 0.1 < random_phase
    fast = audio.spectral_convergence(audio.griffin_lim(magnitude, num_iterations=30, momentum=0.99), magnitude)
    plain = audio.spectral_convergence(audio.griffin_lim(magnitude, num_iterations=30), magnitude)
    assert fast < plain
    # a pure tone keeps its pitch through Griffin-Lim
    assert abs(audio.hz_to_midi(audio.estimate_pitch(rebuilt[0], sample_rate=RATE)) - audio.hz_to_midi(220)) < 0.1


def test_log_mel_player_and_join_clips():
    notes = audio.synthesize([60, 64], [0, 1], 1.0, sample_rate=RATE)
    mel = audio.log_mel(notes, sample_rate=RATE, num_mel=32)
    assert tuple(mel.shape) == (2, 66, 32) and np.all(np.isfinite(mel.numpy()))
    joined = audio.join_clips(notes, sample_rate=RATE, gap=0.5)
    assert joined.shape == (2 * RATE + RATE // 2,)
    widget = audio.player(notes, sample_rate=RATE)
    assert widget.data[:4] == b"RIFF"
    assert audio.player(notes[0], sample_rate=RATE).data[:4] == b"RIFF"


@pytest.mark.parametrize(("call", "error", "phrase"), [
    (lambda: audio.synthesize([60], 0, sample_rate=3000), ValueError, "between 4000 and 48000"),
    (lambda: audio.synthesize([60], 0, sample_rate=8000.5), TypeError, "whole number"),
    (lambda: audio.synthesize([60], 0, sample_rate="8k"), TypeError, "whole number"),
    (lambda: audio.synthesize([96], 0, sample_rate=4000), ValueError, "too low for a pitch"),
    (lambda: audio.synthesize([10], 0), ValueError, "out of range"),
    (lambda: audio.synthesize([127], 1), ValueError, "out of range"),
    (lambda: audio.synthesize([], 0), ValueError, "at least 1"),
    (lambda: audio.synthesize([60], 3), ValueError, "instruments must be whole numbers from 0 to 2"),
    (lambda: audio.synthesize([60], 0, 0.0), ValueError, "velocities must be in (0, 1]"),
    (lambda: audio.synthesize([60], 0, seconds=0), ValueError, "seconds"),
    (lambda: audio.make_nsynth(0), ValueError, "num_notes"),
    (lambda: audio.make_nsynth(4, velocity_range=(0.5, 1.5)), ValueError, "velocity_range"),
    (lambda: audio.mu_law_decode([0, 256]), ValueError, "levels must be integers from 0 to 255"),
    (lambda: audio.mu_law_encode([0.1], num_classes=1), ValueError, "num_classes"),
    (lambda: audio.estimate_pitch(np.zeros(1000), sample_rate=RATE), ValueError, "too short"),
    (lambda: audio.estimate_pitch(np.zeros(RATE), sample_rate=100), ValueError, "between 4000 and 48000"),
    (lambda: audio.estimate_pitch(np.zeros((2, 2, RATE))), ValueError, "dimensions"),
    (lambda: audio.griffin_lim(np.ones((1, 66, 200))), ValueError, "frequency bins"),
    (lambda: audio.stft(np.zeros(RATE), frame_length=256, frame_step=512), ValueError, "must not exceed"),
    (lambda: audio.join_clips([]), ValueError, "at least one clip"),
    (lambda: audio.estimate_pitch(np.full(RATE, np.nan)), ValueError, "NaN"),
])
def test_bad_inputs_raise_clear_errors(call, error, phrase):
    with pytest.raises(error, match=None) as raised:
        call()
    assert phrase in str(raised.value), str(raised.value)
