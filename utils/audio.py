"""Audio plumbing for notebook 12: a tiny NSynth of parametric instruments written in NumPy, mu-law
companding, a pitch estimator, STFT helpers, a reference Griffin-Lim and audio players.

Conventions. A *note* is a float32 waveform in [-1, 1] of ``seconds * sample_rate`` samples; a batch of
notes is an array ``(N, T)``. Pitches are MIDI numbers (69 = A4 = 440 Hz, 60 = middle C). Instruments
are indices into ``INSTRUMENTS``. The sample rate is an argument everywhere (8 kHz in the notebook) and is
checked: a note's pitch must stay well below the Nyquist frequency ``sample_rate / 2``.

The models, their training and sampling stay in the notebook; these helpers make, measure and play
sound, and are tested in ``tests/test_audio.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from . import _checks

INSTRUMENTS = ("string", "bell", "drum")  # plucked string (Karplus-Strong), damped bell (inharmonic partials), tuned drum
MIN_SAMPLE_RATE = 4000  # Hz: below this the harmonics of the course's notes would alias away
MAX_SAMPLE_RATE = 48000
MIN_PITCH, MAX_PITCH = 24, 96  # C1 .. C7: the pitches the synthesisers and the estimator accept
# the bell's partials (ratios to the fundamental) and their relative amplitudes: a strong hum at the
# fundamental, its octave and two inharmonic partials (2.76 and 5.40 are a free bar's ratios)
BELL_RATIOS = (1.0, 2.0, 2.76, 4.0, 5.40)
BELL_AMPLITUDES = (1.0, 0.5, 0.45, 0.25, 0.2)


def midi_to_hz(pitch: Any) -> np.ndarray:
    """Frequency of MIDI pitches in Hz (69 = A4 = 440 Hz). Example: ``utils.audio.midi_to_hz(69)`` -> 440.0"""
    return 440.0 * 2.0 ** ((np.asarray(pitch, dtype="float64") - 69.0) / 12.0)


def hz_to_midi(frequency: Any) -> np.ndarray:
    """MIDI pitch (fractional) of frequencies in Hz; NaN where the frequency is not positive.

    Example: ``utils.audio.hz_to_midi(261.63)`` -> 60.0
    """
    frequency = np.asarray(frequency, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(frequency > 0, 69.0 + 12.0 * np.log2(frequency / 440.0), np.nan)


def check_sample_rate(sample_rate: Any, *, pitches: Any = None) -> int:
    """A whole sample rate in [4 kHz, 48 kHz], high enough for the given pitches' fundamentals (with room for harmonics).

    Example: ``utils.audio.check_sample_rate(8000, pitches=[60, 72])`` -> 8000
    """
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, (int, np.integer)):
        if isinstance(sample_rate, (float, np.floating)) and float(sample_rate).is_integer():
            sample_rate = int(sample_rate)
        else:
            raise TypeError(f"sample_rate must be a whole number of samples per second (e.g. 8000), got {sample_rate!r}")
    sample_rate = int(sample_rate)
    if not MIN_SAMPLE_RATE <= sample_rate <= MAX_SAMPLE_RATE:
        raise ValueError(f"sample_rate must be between {MIN_SAMPLE_RATE} and {MAX_SAMPLE_RATE} Hz, got {sample_rate}; "
                         "8000 (the notebook's) or 16000 are good choices")
    if pitches is not None:
        highest = float(np.max(midi_to_hz(pitches))) if np.size(pitches) else 0.0
        if highest * 4 > sample_rate / 2:
            raise ValueError(f"sample_rate {sample_rate} Hz is too low for a pitch of {highest:.0f} Hz: its Nyquist frequency "
                             f"{sample_rate / 2:.0f} Hz leaves room for fewer than 4 harmonics. Raise the sample rate to at least "
                             f"{int(np.ceil(highest * 8 / 1000)) * 1000} Hz or lower the pitch.")
    return sample_rate


def _labels(pitches: Any, instruments: Any, velocities: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    pitches = _checks.as_array("pitches", pitches, ndim=1, min_len=1).astype("float64")
    if np.any(pitches < MIN_PITCH) or np.any(pitches > MAX_PITCH):
        bad = pitches[(pitches < MIN_PITCH) | (pitches > MAX_PITCH)][0]
        raise ValueError(f"pitch {bad:g} is out of range: MIDI pitches from {MIN_PITCH} (C1) to {MAX_PITCH} (C7) are supported")
    instruments = np.broadcast_to(_checks.as_array("instruments", instruments, ndim=(0, 1)), pitches.shape)
    if np.any(instruments != np.round(instruments)) or np.any(instruments < 0) or np.any(instruments >= len(INSTRUMENTS)):
        raise ValueError(f"instruments must be whole numbers from 0 to {len(INSTRUMENTS) - 1} ({', '.join(INSTRUMENTS)})")
    velocities = np.broadcast_to(_checks.as_array("velocities", velocities, ndim=(0, 1)), pitches.shape).astype("float64")
    if np.any(velocities <= 0) or np.any(velocities > 1):
        raise ValueError("velocities must be in (0, 1]: the loudness of each note (1 = the loudest)")
    return pitches, instruments.astype(int), velocities


def karplus_strong(pitches: Any, velocities: Any = 1.0, *, sample_rate: int = 8000, seconds: float = 1.0,
                   decay: float = 0.996, seed: int = 0) -> np.ndarray:
    """Plucked strings by Karplus-Strong: a burst of noise circulating in a delay line of one period, low-passed each trip.

    The delay of ``sample_rate / f`` samples is split into a whole part N and a fraction a: each new sample is
    ``decay * ((1 - a) y[n - N] + a y[n - N - 1])``, so the loop's period is N + a samples. Louder notes get a
    brighter burst. Vectorised over notes (the loop runs over time). Returns ``(N_notes, T)`` float32.
    Example: ``utils.audio.karplus_strong([60, 64], sample_rate=8000)``
    """
    pitches, _, velocities = _labels(pitches, 0, velocities)
    sample_rate = check_sample_rate(sample_rate, pitches=pitches)
    seconds = _checks.number_in("seconds", seconds, 0.0, 10.0, inclusive=False)
    decay = _checks.number_in("decay", decay, 0.5, 1.0)
    rng = np.random.default_rng(seed)
    num_notes, length = len(pitches), int(round(seconds * sample_rate))
    period = sample_rate / midi_to_hz(pitches)
    # the 2-tap loop filter delays by its weight a; we want a total period N + a
    whole = np.floor(period).astype(int)
    fraction = period - whole
    longest = int(whole.max()) + 1
    wave = np.zeros((num_notes, longest + length))
    burst = rng.uniform(-1, 1, (num_notes, longest))
    smooth = 0.5 + 0.5 * (1 - velocities)  # softer notes: a duller burst (one-pole low-pass of the noise)
    for k in range(1, longest):
        burst[:, k] = (1 - smooth) * burst[:, k] + smooth * burst[:, k - 1]
    burst -= burst.mean(axis=1, keepdims=True)
    rows = np.arange(num_notes)
    start = longest  # the delay line before the note starts full of the burst (the last `whole` samples before `start`)
    for row in range(num_notes):
        wave[row, start - whole[row]:start] = burst[row, :whole[row]]
    for n in range(start, start + length):
        wave[:, n] = decay * ((1 - fraction) * wave[rows, n - whole] + fraction * wave[rows, n - whole - 1])
    notes = wave[:, start:]
    peak = np.max(np.abs(notes), axis=1, keepdims=True) + 1e-12
    return (0.9 * velocities[:, None] * notes / peak).astype("float32")


def bell(pitches: Any, velocities: Any = 1.0, *, sample_rate: int = 8000, seconds: float = 1.0, seed: int = 0) -> np.ndarray:
    """Damped bells: a sum of decaying sines at inharmonic ratios ``BELL_RATIOS`` of the fundamental (higher partials die
    faster; softer notes have weaker upper partials). Returns ``(N, T)`` float32. Example: ``utils.audio.bell([72])``"""
    pitches, _, velocities = _labels(pitches, 0, velocities)
    sample_rate = check_sample_rate(sample_rate, pitches=pitches)
    seconds = _checks.number_in("seconds", seconds, 0.0, 10.0, inclusive=False)
    rng = np.random.default_rng(seed)
    t = np.arange(int(round(seconds * sample_rate))) / sample_rate
    frequency = midi_to_hz(pitches)[:, None]
    wave = np.zeros((len(pitches), len(t)))
    for ratio, amplitude in zip(BELL_RATIOS, BELL_AMPLITUDES):
        partial = frequency * ratio * (1 + rng.normal(0, 0.002, frequency.shape) * (ratio > 1))  # a slightly uneven casting
        weight = amplitude * (velocities[:, None] ** (ratio - 1) if ratio > 1 else 1.0)
        audible = partial < 0.45 * sample_rate  # no partial above Nyquist (it would alias)
        phase = rng.uniform(0, 2 * np.pi, frequency.shape)
        wave += audible * weight * np.exp(-t * (2.0 + 1.5 * ratio)) * np.sin(2 * np.pi * partial * t + phase)
    attack = np.minimum(1.0, t / 0.004)  # a 4 ms strike
    wave *= attack
    peak = np.max(np.abs(wave), axis=1, keepdims=True) + 1e-12
    return (0.9 * velocities[:, None] * wave / peak).astype("float32")


def drum(pitches: Any, velocities: Any = 1.0, *, sample_rate: int = 8000, seconds: float = 1.0, seed: int = 0) -> np.ndarray:
    """Tuned drums: a short burst of filtered noise (the stick) over a decaying membrane tone that drops to its pitch in the
    first 40 ms. The noise goes through a two-pole resonator at twice the pitch. Returns ``(N, T)`` float32.
    Example: ``utils.audio.drum([48])``"""
    pitches, _, velocities = _labels(pitches, 0, velocities)
    sample_rate = check_sample_rate(sample_rate, pitches=pitches)
    seconds = _checks.number_in("seconds", seconds, 0.0, 10.0, inclusive=False)
    rng = np.random.default_rng(seed)
    length = int(round(seconds * sample_rate))
    t = np.arange(length) / sample_rate
    frequency = midi_to_hz(pitches)[:, None]
    glide = frequency * (1 + 0.5 * np.exp(-t / 0.01))  # the membrane starts sharp and settles
    phase = 2 * np.pi * np.cumsum(glide, axis=1) / sample_rate
    tone = np.sin(phase) * np.exp(-t / 0.18)
    noise = rng.normal(0, 1, (len(pitches), length)) * np.exp(-t / (0.012 + 0.02 * velocities[:, None]))
    # two-pole resonator (a band-pass) at twice the pitch, vectorised over notes
    radius = 0.97
    theta = 2 * np.pi * np.minimum(2 * frequency[:, 0], 0.4 * sample_rate) / sample_rate
    a1, a2 = 2 * radius * np.cos(theta), -radius**2
    filtered = np.zeros_like(noise)
    for n in range(length):
        filtered[:, n] = noise[:, n] + a1 * filtered[:, n - 1] + a2 * filtered[:, n - 2] if n >= 2 else noise[:, n]
    filtered /= np.max(np.abs(filtered), axis=1, keepdims=True) + 1e-12
    wave = tone + 0.35 * velocities[:, None] * filtered
    peak = np.max(np.abs(wave), axis=1, keepdims=True) + 1e-12
    return (0.9 * velocities[:, None] * wave / peak).astype("float32")


def synthesize(pitches: Any, instruments: Any, velocities: Any = 1.0, *, sample_rate: int = 8000, seconds: float = 1.0,
               seed: int = 0) -> np.ndarray:
    """Notes of any of the three instruments (indices into ``INSTRUMENTS``): ``(N, T)`` float32 in [-1, 1].

    Example: ``utils.audio.synthesize([60, 60, 60], [0, 1, 2], 0.8)`` -> a C4 plucked, struck and drummed
    """
    pitches, instruments, velocities = _labels(pitches, instruments, velocities)
    sample_rate = check_sample_rate(sample_rate, pitches=pitches)
    length = int(round(_checks.number_in("seconds", seconds, 0.0, 10.0, inclusive=False) * sample_rate))
    notes = np.zeros((len(pitches), length), dtype="float32")
    makers = (karplus_strong, bell, drum)
    for index, maker in enumerate(makers):
        chosen = np.flatnonzero(instruments == index)
        if chosen.size:
            notes[chosen] = maker(pitches[chosen], velocities[chosen], sample_rate=sample_rate, seconds=seconds, seed=seed + index)
    return notes


def make_nsynth(num_notes: int, *, pitches: Sequence[int] = tuple(range(48, 73)), sample_rate: int = 8000, seconds: float = 1.0,
                velocity_range: tuple[float, float] = (0.4, 1.0), seed: int = 0) -> dict[str, np.ndarray]:
    """A tiny NSynth: ``num_notes`` random notes with labels ``{"audio" (N, T), "pitch", "instrument", "velocity"}``.

    Pitch (MIDI), instrument and velocity are drawn uniformly (the instrument from ``INSTRUMENTS``, the velocity
    from ``velocity_range``). Example: ``data = utils.audio.make_nsynth(1000, seed=12)``
    """
    num_notes = _checks.positive_int("num_notes", num_notes)
    pitches = _checks.as_array("pitches", list(pitches), ndim=1, min_len=1)
    low, high = velocity_range
    if not 0 < low <= high <= 1:
        raise ValueError(f"velocity_range must satisfy 0 < low <= high <= 1, got {velocity_range}")
    rng = np.random.default_rng(seed)
    labels = {"pitch": rng.choice(pitches, num_notes).astype("int32"),
              "instrument": rng.integers(0, len(INSTRUMENTS), num_notes).astype("int32"),
              "velocity": rng.uniform(low, high, num_notes).astype("float32")}
    audio = synthesize(labels["pitch"], labels["instrument"], labels["velocity"], sample_rate=sample_rate, seconds=seconds,
                       seed=int(rng.integers(2**31)))
    return {"audio": audio, **labels}


# ----------------------------------------------------------------------------- mu-law companding


_CHUNK = 1 << 20  # samples per chunk of the element-wise mu-law maps (8 MiB of float64 temporaries)


def _channels(num_classes: Any) -> int:
    num_classes = _checks.positive_int("num_classes", num_classes, minimum=2)
    return num_classes


def mu_law_encode(audio: Any, num_classes: int = 256) -> np.ndarray:
    """Mu-law companding then quantisation to ``num_classes`` integer levels (int32, 0 .. num_classes - 1).

    y = sign(x) ln(1 + mu |x|) / ln(1 + mu) with mu = num_classes - 1, then y in [-1, 1] is rounded to a level.
    Quiet samples get fine steps, loud ones coarse steps. Example: ``utils.audio.mu_law_encode([0.0])`` -> [128]
    """
    mu = _channels(num_classes) - 1
    audio = _checks.as_array("audio", audio)
    flat, levels = audio.reshape(-1), np.empty(audio.size, dtype="int32")
    for begin in range(0, flat.size, _CHUNK):  # in chunks: float64 temporaries of a whole dataset would cost GBs
        x = np.clip(flat[begin:begin + _CHUNK].astype("float64"), -1.0, 1.0)
        y = np.sign(x) * np.log1p(mu * np.abs(x)) / np.log1p(mu)
        levels[begin:begin + _CHUNK] = np.clip(np.round((y + 1) / 2 * mu), 0, mu)
    return levels.reshape(audio.shape)


def mu_law_decode(levels: Any, num_classes: int = 256) -> np.ndarray:
    """Inverse of ``mu_law_encode``: integer levels back to float32 samples in [-1, 1].

    Example: ``utils.audio.mu_law_decode(utils.audio.mu_law_encode(x))`` ~ x
    """
    mu = _channels(num_classes) - 1
    levels = _checks.as_array("levels", levels)
    if levels.size and (np.any(levels < 0) or np.any(levels > mu)):
        raise ValueError(f"levels must be integers from 0 to {mu} (num_classes - 1), got values from {levels.min()} to {levels.max()}")
    flat, audio = levels.reshape(-1), np.empty(levels.size, dtype="float32")
    for begin in range(0, flat.size, _CHUNK):
        y = 2 * flat[begin:begin + _CHUNK].astype("float64") / mu - 1
        audio[begin:begin + _CHUNK] = np.sign(y) * np.expm1(np.abs(y) * np.log1p(mu)) / mu
    return audio.reshape(levels.shape)


# ----------------------------------------------------------------------------- pitch


def estimate_pitch(audio: Any, *, sample_rate: int = 8000, fmin: float = 50.0, fmax: float = 1000.0, start: float = 0.05,
                   duration: float = 0.25, threshold: float = 0.2) -> np.ndarray:
    """Fundamental frequency (Hz) of each note by the YIN method (de Cheveigne & Kawahara, 2002); NaN for silence.

    On a window of ``duration`` seconds from ``start`` (after the attack), the difference function
    d(tau) = sum (x[n] - x[n + tau])^2 is normalised by its running mean; the first lag between
    sample_rate / fmax and sample_rate / fmin that dips below ``threshold`` (else the deepest dip) is the
    period, refined by a parabola through its neighbours. Example: ``utils.audio.estimate_pitch(notes)``
    """
    audio = _checks.as_array("audio", audio, ndim=(1, 2))
    squeeze = audio.ndim == 1
    audio = np.atleast_2d(audio).astype("float64")
    sample_rate = check_sample_rate(sample_rate)
    fmin = _checks.number_in("fmin", fmin, 10.0, sample_rate / 2, inclusive=False)
    fmax = _checks.number_in("fmax", fmax, fmin, sample_rate / 2, inclusive=False)
    begin = int(round(_checks.number_in("start", start, 0.0, 10.0) * sample_rate))
    window = int(round(_checks.number_in("duration", duration, 0.0, 10.0, inclusive=False) * sample_rate))
    max_lag = int(np.ceil(sample_rate / fmin)) + 1
    min_lag = max(2, int(np.floor(sample_rate / fmax)))
    if begin + window + max_lag > audio.shape[1]:
        raise ValueError(f"notes of {audio.shape[1]} samples are too short for a {duration} s window from {start} s plus a lag of "
                         f"{max_lag} samples (fmin {fmin:g} Hz at {sample_rate} Hz): pass shorter start/duration or a higher fmin")
    frames = audio[:, begin:begin + window + max_lag]
    x = frames[:, :window]
    energy = np.sum(x**2, axis=1)
    # d(tau) = sum x[n]^2 + sum x[n + tau]^2 - 2 sum x[n] x[n + tau], the cross term by FFT
    size = int(2 ** np.ceil(np.log2(window + max_lag + window)))
    cross = np.fft.irfft(np.conj(np.fft.rfft(x, size)) * np.fft.rfft(frames, size), size)[:, :max_lag + 1]
    squares = np.cumsum(np.pad(frames**2, ((0, 0), (1, 0))), axis=1)
    shifted = squares[:, window:window + max_lag + 1] - squares[:, :max_lag + 1]
    difference = energy[:, None] + shifted - 2 * cross
    difference[:, 0] = 0.0
    running = np.cumsum(difference[:, 1:], axis=1) / np.arange(1, max_lag + 1)
    normalised = np.ones_like(difference)
    normalised[:, 1:] = difference[:, 1:] / np.maximum(running, 1e-12)
    frequencies = np.full(len(audio), np.nan)
    for row in range(len(audio)):
        if energy[row] < 1e-8 * window:
            continue
        curve = normalised[row]
        candidates = np.flatnonzero(curve[min_lag:max_lag] < threshold) + min_lag
        if candidates.size:
            lag = candidates[0]
            while lag + 1 < max_lag and curve[lag + 1] < curve[lag]:  # slide to the bottom of that dip
                lag += 1
        else:
            lag = int(np.argmin(curve[min_lag:max_lag])) + min_lag
        left, middle, right = curve[lag - 1], curve[lag], curve[min(lag + 1, max_lag)]
        bend = left - 2 * middle + right
        offset = 0.5 * (left - right) / bend if bend > 0 else 0.0
        frequencies[row] = sample_rate / (lag + np.clip(offset, -1, 1))
    return frequencies[0] if squeeze else frequencies


def semitone_error(frequency: Any, pitch: Any) -> np.ndarray:
    """Signed distance in semitones from a measured frequency (Hz) to a requested MIDI pitch (NaN stays NaN).

    Example: ``utils.audio.semitone_error(452.9, 69)`` -> 0.5
    """
    return hz_to_midi(frequency) - np.asarray(pitch, dtype="float64")


def pitch_accuracy(audio: Any, pitches: Any, *, sample_rate: int = 8000, tolerance: float = 1.0) -> float:
    """Share of notes whose estimated fundamental lies within ``tolerance`` semitones of the requested pitch (silence fails).

    Example: ``utils.audio.pitch_accuracy(notes, labels, sample_rate=8000)``
    """
    error = semitone_error(estimate_pitch(audio, sample_rate=sample_rate), pitches)
    return float(np.mean(np.nan_to_num(np.abs(error), nan=np.inf) < tolerance))


# ----------------------------------------------------------------------------- spectrograms and Griffin-Lim (TensorFlow)


def stft(audio: Any, *, frame_length: int = 512, frame_step: int = 128):
    """Complex STFT (TensorFlow) with a Hann window: ``(..., frames, frame_length // 2 + 1)``.

    The waveform is padded with ``frame_length - frame_step`` zeros in front (and at the end as needed), so that
    every sample, the first ones included, lies under the same number of frames and ``istft`` inverts exactly.
    One second at 8 kHz gives 66 frames. Example: ``utils.audio.stft(notes)``
    """
    import tensorflow as tf

    frame_length = _checks.positive_int("frame_length", frame_length, minimum=8)
    frame_step = _checks.positive_int("frame_step", frame_step)
    if frame_step > frame_length:
        raise ValueError(f"frame_step ({frame_step}) must not exceed frame_length ({frame_length}), or samples fall between frames")
    audio = tf.convert_to_tensor(audio, tf.float32)
    padding = [[0, 0]] * (len(audio.shape) - 1) + [[frame_length - frame_step, 0]]
    return tf.signal.stft(tf.pad(audio, padding), frame_length, frame_step, pad_end=True)


def istft(spectrogram: Any, *, frame_length: int = 512, frame_step: int = 128, length: int | None = None):
    """Inverse of ``stft`` (overlap-add with the dual window, front padding removed); cut to ``length`` samples when given.

    Example: ``utils.audio.istft(utils.audio.stft(x), length=len(x))`` ~ x
    """
    import tensorflow as tf

    window = tf.signal.inverse_stft_window_fn(frame_step)
    audio = tf.signal.inverse_stft(tf.convert_to_tensor(spectrogram, tf.complex64), frame_length, frame_step, window_fn=window)
    audio = audio[..., frame_length - frame_step:]
    return audio if length is None else audio[..., :length]


def griffin_lim(magnitude: Any, *, num_iterations: int = 60, frame_length: int = 512, frame_step: int = 128, length: int | None = None,
                momentum: float = 0.0, seed: int = 0):
    """A waveform whose STFT magnitude is close to ``magnitude`` (reference Griffin-Lim; ``momentum`` > 0 = the fast variant).

    Start from random phases; repeat: back to a waveform, forward again, keep the new phases and put the
    target magnitude back. With momentum (Perraudin et al., 2013) each projection is pushed further along
    its last change. Returns float32 ``(..., length)``. Example: ``utils.audio.griffin_lim(abs(stft(x)), length=8000)``
    """
    import tensorflow as tf

    magnitude = tf.convert_to_tensor(_checks.as_array("magnitude", magnitude, ndim=(2, 3)), tf.float32)
    if magnitude.shape[-1] != frame_length // 2 + 1:
        raise ValueError(f"magnitude has {magnitude.shape[-1]} frequency bins, but frame_length {frame_length} makes "
                         f"{frame_length // 2 + 1}: pass the frame_length its STFT was computed with")
    num_iterations = _checks.positive_int("num_iterations", num_iterations, minimum=0)
    momentum = _checks.number_in("momentum", momentum, 0.0, 1.5)
    rng = np.random.default_rng(seed)
    phase = tf.constant(rng.uniform(-np.pi, np.pi, magnitude.shape), tf.float32)
    target = tf.complex(magnitude, 0.0)
    spectrogram = target * tf.exp(tf.complex(0.0, phase))
    previous = spectrogram
    for _ in range(num_iterations):
        audio = istft(spectrogram, frame_length=frame_length, frame_step=frame_step)
        rebuilt = stft(audio, frame_length=frame_length, frame_step=frame_step)[..., :magnitude.shape[-2], :]
        projected = target * tf.exp(tf.complex(0.0, tf.math.angle(rebuilt)))
        spectrogram = projected + tf.cast(momentum, tf.complex64) * (projected - previous)
        previous = projected
    audio = istft(spectrogram, frame_length=frame_length, frame_step=frame_step)
    return audio if length is None else audio[..., :length]


def spectral_convergence(audio: Any, magnitude: Any, *, frame_length: int = 512, frame_step: int = 128) -> float:
    """|| |STFT(audio)| - magnitude ||_F / || magnitude ||_F: how far a waveform's magnitudes are from a target (0 = exact).

    Example: ``utils.audio.spectral_convergence(griffin_lim(M), M)``
    """
    import tensorflow as tf

    magnitude = _checks.as_array("magnitude", magnitude, ndim=(2, 3)).astype("float32")
    rebuilt = tf.abs(stft(audio, frame_length=frame_length, frame_step=frame_step)).numpy()[..., :magnitude.shape[-2], :]
    if rebuilt.shape != magnitude.shape:
        raise ValueError(f"audio's STFT has shape {rebuilt.shape}, the magnitude {magnitude.shape}: use the same frame settings")
    return float(np.linalg.norm(rebuilt - magnitude) / (np.linalg.norm(magnitude) + 1e-12))


# ----------------------------------------------------------------------------- listening and looking


def join_clips(clips: Any, *, sample_rate: int = 8000, gap: float = 0.15) -> np.ndarray:
    """Clips one after another with ``gap`` seconds of silence between them, as one float32 waveform.

    Example: ``utils.audio.join_clips(notes[:4])``
    """
    clips = [np.asarray(clip, dtype="float32").ravel() for clip in clips]
    if not clips:
        raise ValueError("join_clips needs at least one clip")
    silence = np.zeros(int(round(_checks.number_in("gap", gap, 0.0, 10.0) * check_sample_rate(sample_rate))), "float32")
    parts = []
    for clip in clips:
        parts += [clip, silence]
    return np.concatenate(parts[:-1])


def player(clips: Any, *, sample_rate: int = 8000, gap: float = 0.15) -> Any:
    """An IPython audio player for one clip or several (played one after another); loudness kept as is (not normalised).

    The waveform is embedded in the notebook as a WAV file: keep clips short and the rate low.
    Example: ``display(utils.audio.player(notes[:4]))``
    """
    from IPython.display import Audio

    clips = np.asarray(clips, dtype="float32") if not isinstance(clips, (list, tuple)) else clips
    wave = join_clips([clips] if np.ndim(clips) == 1 else clips, sample_rate=sample_rate, gap=gap)
    peak = float(np.max(np.abs(wave))) if wave.size else 0.0
    if peak > 1:
        wave = wave / peak
    try:
        return Audio(wave, rate=sample_rate, normalize=False)
    except TypeError:  # IPython before 7.13 has no normalize argument
        return Audio(wave, rate=sample_rate)


def log_mel(audio: Any, *, sample_rate: int = 8000, frame_length: int = 512, frame_step: int = 128, num_mel: int = 64,
            floor: float = 1e-3):
    """Log-mel spectrogram (TensorFlow): ``(..., frames, num_mel)``, natural log of mel energies floored at ``floor``.

    Example: ``utils.audio.log_mel(notes)``
    """
    import tensorflow as tf

    sample_rate = check_sample_rate(sample_rate)
    magnitude = tf.abs(stft(audio, frame_length=frame_length, frame_step=frame_step))
    weights = tf.signal.linear_to_mel_weight_matrix(num_mel, frame_length // 2 + 1, sample_rate, 40.0, sample_rate / 2)
    return tf.math.log(tf.maximum(tf.tensordot(magnitude, weights, 1), floor))


def show_spectrogram(ax: Any, audio: Any, *, sample_rate: int = 8000, title: str = "", frame_length: int = 512,
                     frame_step: int = 128, floor_db: float = -80.0) -> Any:
    """Draw a note's STFT magnitude in dB (0 dB = its loudest bin) with time in seconds and frequency in Hz; returns the image.

    Example: ``utils.audio.show_spectrogram(ax, notes[0], title="string, C4")``
    """
    audio = _checks.as_array("audio", audio, ndim=1)
    magnitude = np.abs(stft(audio, frame_length=frame_length, frame_step=frame_step).numpy())
    decibels = 20 * np.log10(np.maximum(magnitude, 1e-9) / max(magnitude.max(), 1e-9))
    seconds = len(audio) / sample_rate
    image = ax.imshow(np.maximum(decibels, floor_db).T, origin="lower", aspect="auto", cmap="magma", vmin=floor_db, vmax=0,
                      extent=(0, seconds, 0, sample_rate / 2))
    ax.set(title=title, xlabel="seconds", ylabel="Hz")
    return image
