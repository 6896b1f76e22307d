"""Checkers for notebook 12 · Audio: waveforms from scratch."""

from __future__ import annotations

import functools

import numpy as np

from .. import audio
from . import attempt, check_function, report, to_array

HIDDEN = "what it measures is printed when you run your own answer in the cell above"
SAMPLE_RATE = 8000
FRAME_LENGTH, FRAME_STEP = 512, 128

# ----------------------------------------------------------------------------- Exercise 1: pitch by harmonic sum


def _tone(pitch: float, amplitudes, sample_rate: int, seconds: float = 1.0) -> np.ndarray:
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    frequency = audio.midi_to_hz(pitch)
    wave = sum(a * np.sin(2 * np.pi * frequency * (k + 1) * t + k) for k, a in enumerate(amplitudes))
    return (0.8 * wave / np.max(np.abs(wave)) * np.exp(-t / 0.5)).astype("float32")


@functools.lru_cache(maxsize=1)
def _pitch_cases() -> tuple[list, list]:
    """(name, waveform, sample_rate, pitch) for tones with known answers, and a batch of synthesised notes."""
    tones = []
    for pitch in (45, 52, 60, 69, 76):
        tones.append((f"a pure sine at MIDI {pitch}", _tone(pitch, [1.0], SAMPLE_RATE), SAMPLE_RATE, pitch))
    for pitch in (50, 57, 64):  # the second harmonic is the loudest: the strongest peak is an octave too high
        tones.append((f"a tone at MIDI {pitch} whose 2nd harmonic is the loudest", _tone(pitch, [0.5, 1.0, 0.6, 0.3], SAMPLE_RATE),
                      SAMPLE_RATE, pitch))
    tones.append(("a tone at MIDI 60 sampled at 16 kHz", _tone(60, [1.0, 0.5, 0.3], 16000), 16000, 60))
    tones.append(("a tone at MIDI 67 sampled at 16 kHz", _tone(67, [0.5, 1.0, 0.3], 16000), 16000, 67))
    rng = np.random.default_rng(12)
    pitches, instruments = rng.integers(48, 73, 30), np.arange(30) % 3
    notes = audio.synthesize(pitches, instruments, rng.uniform(0.4, 1.0, 30), sample_rate=SAMPLE_RATE, seed=5)
    return tones, [(f"a synthesised {audio.INSTRUMENTS[i]} note at MIDI {p}", n, SAMPLE_RATE, int(p))
                   for n, i, p in zip(notes, instruments, pitches)]


def reference_harmonic_pitch(wave, sample_rate: int, *, fmin: float = 50.0, fmax: float = 1000.0, num_harmonics: int = 5) -> float:
    """Harmonic sum: the candidate f0 (a 1-cent grid) maximising sum_h 0.8^(h - 1) |X(h f0)| of a zero-padded, windowed FFT."""
    wave = np.asarray(wave, dtype="float64")
    size = 4 * int(2 ** np.ceil(np.log2(len(wave))))
    spectrum = np.abs(np.fft.rfft(wave * np.hanning(len(wave)), size))
    candidates = fmin * 2 ** (np.arange(int(1200 * np.log2(fmax / fmin))) / 1200)
    score = np.zeros_like(candidates)
    for h in range(1, num_harmonics + 1):
        bins = np.round(h * candidates * size / sample_rate).astype(int)
        score += 0.8 ** (h - 1) * np.where(bins < len(spectrum), spectrum[np.minimum(bins, len(spectrum) - 1)], 0.0)
    return float(candidates[np.argmax(score)])


def _strongest_peak(wave, sample_rate: int) -> float:
    """The typical mistake: the frequency of the loudest FFT bin."""
    wave = np.asarray(wave, dtype="float64")
    spectrum = np.abs(np.fft.rfft(wave * np.hanning(len(wave)), 4 * len(wave)))
    low = int(50 * 4 * len(wave) / sample_rate)
    return float((np.argmax(spectrum[low:]) + low) * sample_rate / (4 * len(wave)))


def check_harmonic_pitch(function, *, reveal: bool = True) -> bool:
    """Exercise 1: ``function(wave, sample_rate)`` -> the fundamental frequency in Hz of one note (a 1-D waveform)."""
    what = "Exercise 1 (pitch by harmonic sum)"
    verdict = check_function(what, function, "(wave, sample_rate) -> frequency in Hz")
    if verdict is not None:
        return verdict
    tones, notes = _pitch_cases()
    answers = []
    for index, (name, wave, sample_rate, pitch) in enumerate(tones + notes):
        status, result = attempt(what, function, wave.copy(), sample_rate)
        if status != "ok":
            return False
        value = to_array(result, "float64") if not isinstance(result, (str, bytes, dict)) else None
        if value is None or value.size != 1 or not np.isfinite(value).all():
            return report(False, f"{what}: on {name} you returned {type(result).__name__} {str(result)[:40]}; return one frequency "
                                 "in Hz (a positive number)")
        answers.append(float(value.reshape(())))
        if index == 0:  # the simplest case first: what went wrong is clearest here
            frequency = audio.midi_to_hz(pitch)
            got = answers[0]
            if abs(got - pitch) < 1:
                return report(False, f"{what}: on {name} you returned {got:.2f}: that is the MIDI pitch; return the frequency in Hz "
                                     f"({frequency:.1f} Hz)")
            if got > 0 and abs(sample_rate / got - frequency) < 0.02 * frequency:
                return report(False, f"{what}: on {name} you returned {got:.2f}: that is the period in samples; return the frequency "
                                     f"in Hz (sample_rate / period = {frequency:.1f} Hz)")
            if got > 0 and abs(got / frequency - round(got / frequency)) < 0.02 and round(got / frequency) >= 2:
                return report(False, f"{what}: on {name} you returned {got:.1f} Hz for a tone of {frequency:.1f} Hz: did you return an "
                                     "FFT bin index? Convert it to Hz: bin * sample_rate / fft_size")
    errors = audio.semitone_error(np.where(np.array(answers) > 0, answers, np.nan), [case[3] for case in tones + notes])
    errors = np.nan_to_num(errors, nan=99.0)
    for (name, _, _, pitch), error in zip(tones, errors[:len(tones)]):
        if abs(error) <= 0.5:
            continue
        if "16 kHz" in name and all(abs(e) <= 0.5 for e in errors[:len(tones) - 2]):
            return report(False, f"{what}: right at 8 kHz but {error:+.2f} semitones off on {name}: use the sample_rate argument to "
                                 "turn FFT bins into Hz (bin * sample_rate / fft_size), do not assume 8000")
        if abs(error - 12) < 0.5:
            return report(False, f"{what}: on {name} you answered an octave too high (+12 semitones): the strongest peak of the "
                                 "spectrum is not always the fundamental. Score each candidate f0 by the energy at f0, 2 f0, 3 f0, "
                                 "... together (a harmonic sum).")
        if abs(error + 12) < 0.5 or abs(error + 19.02) < 0.5:
            return report(False, f"{what}: on {name} you answered {-error:.0f} semitones too low (a subharmonic): weight the "
                                 "harmonics so that the lower ones count more (e.g. 0.8^(h-1)), or use fewer of them")
        return report(False, f"{what}: on {name} (MIDI {pitch}, {audio.midi_to_hz(pitch):.1f} Hz) your estimate is {error:+.2f} "
                             "semitones off; within half a semitone is expected on clean tones")
    note_errors = np.abs(errors[len(tones):])
    share = float(np.mean(note_errors < 1))
    if share < 0.9:
        worst = int(np.argmax(note_errors))
        return report(False, f"{what}: only {share:.0%} of 30 synthesised notes within a semitone (the reference: "
                             f"{_reference_note_share():.0%}); worst: {notes[worst][0]}, {errors[len(tones) + worst]:+.1f} semitones")
    if not reveal:
        return report(True, f"{what}: correct ({HIDDEN})")
    peak_share = float(np.mean(np.abs(audio.semitone_error([_strongest_peak(n[1], n[2]) for n in notes], [n[3] for n in notes])) < 1))
    return report(True, f"{what}: correct: every clean tone within half a semitone, and {share:.0%} of 30 synthesised notes within a "
                        f"semitone (YIN: {_yin_note_share():.0%}; the strongest FFT peak alone: {peak_share:.0%}, fooled by the "
                        "bells' and strings' strong upper partials). Looking at several harmonics at once is what makes an f0 "
                        "estimate robust to the spectrum's shape.")


@functools.lru_cache(maxsize=1)
def _reference_note_share() -> float:
    _, notes = _pitch_cases()
    estimates = [reference_harmonic_pitch(n[1], n[2]) for n in notes]
    return float(np.mean(np.abs(audio.semitone_error(estimates, [n[3] for n in notes])) < 1))


def _yin_note_share() -> float:
    _, notes = _pitch_cases()
    estimates = audio.estimate_pitch(np.stack([n[1] for n in notes]), sample_rate=SAMPLE_RATE)
    return float(np.mean(np.nan_to_num(np.abs(audio.semitone_error(estimates, [n[3] for n in notes])), nan=99) < 1))


# ----------------------------------------------------------------------------- Exercise 2: fast Griffin-Lim

GL_ITERATIONS = 30
MOMENTUM = 0.99


@functools.lru_cache(maxsize=1)
def _magnitudes() -> np.ndarray:
    notes = audio.synthesize([52, 60, 67], [0, 1, 2], 0.9, sample_rate=SAMPLE_RATE, seed=7)
    return np.abs(audio.stft(notes, frame_length=FRAME_LENGTH, frame_step=FRAME_STEP).numpy())


def reference_fast_griffin_lim(magnitude, num_iterations: int, momentum: float, seed: int = 0) -> np.ndarray:
    """The library's Griffin-Lim with momentum (Perraudin et al., 2013)."""
    return audio.griffin_lim(magnitude, num_iterations=num_iterations, frame_length=FRAME_LENGTH, frame_step=FRAME_STEP,
                             momentum=momentum, seed=seed).numpy()


@functools.lru_cache(maxsize=1)
def _reference_convergence() -> dict[str, float]:
    magnitude = _magnitudes()
    def score(momentum):
        return float(np.mean([_convergence(reference_fast_griffin_lim(magnitude, GL_ITERATIONS, momentum, seed), magnitude)
                              for seed in (0, 1)]))
    return {"plain": score(0.0), "fast": score(MOMENTUM)}


def _convergence(wave, magnitude) -> float:
    return audio.spectral_convergence(wave, magnitude, frame_length=FRAME_LENGTH, frame_step=FRAME_STEP)


def check_fast_griffin_lim(function, *, reveal: bool = True) -> bool:
    """Exercise 2: ``function(magnitude, num_iterations, momentum)`` -> waveforms (batch, samples) whose STFT magnitudes
    approach ``magnitude`` (batch, frames, 257), Griffin-Lim with momentum."""
    what = "Exercise 2 (fast Griffin-Lim)"
    verdict = check_function(what, function, "(magnitude, num_iterations, momentum) -> waveforms")
    if verdict is not None:
        return verdict
    magnitude = _magnitudes()
    results = {}
    for momentum in (MOMENTUM, 0.0):
        status, result = attempt(what, function, magnitude.copy(), GL_ITERATIONS, momentum)
        if status != "ok":
            return False
        wave = to_array(result, "float64") if not isinstance(result, (str, bytes, dict)) else None
        if wave is None or wave.ndim != 2 or len(wave) != len(magnitude) or wave.shape[1] < 7000:
            shape = "junk" if wave is None else f"shape {wave.shape}"
            hint = (" That looks like a spectrogram: return the waveform (the inverse STFT of the last estimate)."
                    if wave is not None and wave.ndim >= 1 and wave.shape[-1] == magnitude.shape[-1] else "")
            return report(False, f"{what}: expected waveforms of shape ({len(magnitude)}, samples) with about 8,000 samples each "
                                 f"(or the inverse STFT's 8,448), got {shape}.{hint}")
        if not np.all(np.isfinite(wave)):
            return report(False, f"{what}: your waveform holds NaN or infinity (momentum above 1 diverges: use the one given)")
        results[momentum] = _convergence(wave.astype("float32"), magnitude)
    reference = _reference_convergence()
    fast, plain = results[MOMENTUM], results[0.0]
    if plain > 2 * reference["plain"] and fast > 2 * reference["plain"]:
        return report(False, f"{what}: spectral convergence {fast:.3f} with momentum and {plain:.3f} without, where plain Griffin-Lim "
                             f"reaches {reference['plain']:.3f} after {GL_ITERATIONS} iterations: does every iteration put the target "
                             "magnitudes back (keeping only the phases of the consistent spectrogram), and do you run num_iterations "
                             "of them?")
    if plain > 1.5 * reference["plain"]:
        return report(False, f"{what}: with momentum 0 your function should be plain Griffin-Lim (convergence about "
                             f"{reference['plain']:.3f}), but it reaches {plain:.3f}: the momentum term must vanish when momentum = 0")
    if fast > 0.5 * (reference["plain"] + reference["fast"]):
        if fast > plain * 1.02:
            return report(False, f"{what}: momentum made it worse ({fast:.3f} vs {plain:.3f} without): push each projection FURTHER "
                                 "along its change, projected + momentum * (projected - previous projected), not back")
        return report(False, f"{what}: with momentum {MOMENTUM} your convergence is {fast:.3f}, about plain Griffin-Lim's ({plain:.3f}); "
                             f"the reference reaches {reference['fast']:.3f}. Is momentum used? Add momentum * (projected - "
                             "previous projected) to the projection, and keep the previous PROJECTION (not the extrapolated value)")
    if not reveal:
        return report(True, f"{what}: correct ({HIDDEN})")
    return report(True, f"{what}: correct: after {GL_ITERATIONS} iterations your spectral convergence is {fast:.3f} with momentum "
                        f"{MOMENTUM} and {plain:.3f} without (reference: {reference['fast']:.3f} and {reference['plain']:.3f}). The "
                        "same number of STFTs, a clearly better answer: plain Griffin-Lim creeps along a narrow valley, momentum "
                        "keeps the speed it gathered.")


# ----------------------------------------------------------------------------- Exercise 3 (experiment): receptive field

RF_CASES = (2, 3, 16, 17, 64, 100, 512)
EXPERIMENT = {"short": 16, "long": 128, "steps": 300, "batch": 16, "crop": 128, "channels": 24, "notes": 96, "seed": 0}
SMOKE_EXPERIMENT = {**EXPERIMENT, "steps": 15, "notes": 16}  # CI: the code path only
GAP_TOLERANCE = 0.35  # a correct answer's measured gap lands within 35% of the reference's (it is the same run when the stacks match)


def reference_dilations_for(receptive_field: int) -> list[int]:
    """Kernel-2 layers with dilations 1, 2, 4, ...: the fewest whose receptive field 1 + sum(d) reaches the request."""
    dilations = []
    while 1 + sum(dilations) < receptive_field:
        dilations.append(2 ** len(dilations))
    return dilations


def _size() -> dict:
    from .. import config

    return SMOKE_EXPERIMENT if config.is_smoke() else EXPERIMENT


@functools.lru_cache(maxsize=2)
def _experiment_notes(num_notes: int) -> tuple[np.ndarray, np.ndarray]:
    """Low plucked strings (C3-G3, periods of 41-61 samples at 8 kHz) as mu-law classes, padded with silence: train, held out."""
    rng = np.random.default_rng(3)
    pitches = rng.integers(48, 56, num_notes + 16)
    notes = audio.karplus_strong(pitches, rng.uniform(0.6, 1.0, len(pitches)), sample_rate=SAMPLE_RATE, seconds=0.5, seed=4)
    classes = np.pad(audio.mu_law_encode(notes), ((0, 0), (512, 0)), constant_values=128)
    return classes[:num_notes], classes[num_notes:]


def _windows(classes, rng, batch, crop, receptive_field):
    rows = rng.integers(0, len(classes), batch)
    starts = rng.integers(512 - receptive_field, classes.shape[1] - crop - receptive_field + 1, batch)
    window = classes[rows[:, None], starts[:, None] + np.arange(crop + receptive_field)]
    return window[:, :-1].astype("int32"), window[:, receptive_field:].astype("int32")


def receptive_field_experiment(dilations, *, size: dict | None = None) -> float:
    """Train a small unconditioned WaveNet (gated, kernel 2, the given dilations) on low plucked strings; held-out bits/sample."""
    import keras
    import tensorflow as tf

    size = _size() if size is None else size
    dilations = [int(d) for d in dilations]
    receptive_field = 1 + sum(dilations)
    train, held_out = _experiment_notes(size["notes"])
    keras.utils.set_random_seed(size["seed"])
    channels = size["channels"]
    ids = keras.Input((None,), dtype="int32")
    x = keras.layers.Embedding(256, channels)(ids)
    skips = []
    for d in dilations:
        h = keras.layers.Conv1D(2 * channels, 2, dilation_rate=d)(x)
        z = keras.layers.Multiply()([keras.layers.Activation("tanh")(h[..., :channels]), keras.layers.Activation("sigmoid")(h[..., channels:])])
        x = x[:, d:] + keras.layers.Dense(channels)(z)
        skips.append(z)
    length = size["crop"]
    total = keras.layers.Add()([s[:, -length:] for s in skips]) if len(skips) > 1 else skips[0][:, -length:]
    logits = keras.layers.Dense(256)(keras.layers.Dense(channels, activation="relu")(keras.layers.Activation("relu")(total)))
    model = keras.Model(ids, logits)
    optimizer = keras.optimizers.Adam(3e-3)

    @tf.function
    def step(inputs, targets):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=targets, logits=model(inputs)))
        optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_weights), model.trainable_weights))
        return loss

    rng = np.random.default_rng(size["seed"])
    for _ in range(size["steps"]):
        step(*_windows(train, rng, size["batch"], length, receptive_field))
    inputs, targets = _windows(held_out, np.random.default_rng(99), 64, length, receptive_field)
    nats = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=targets, logits=model(inputs)))
    return float(nats) / np.log(2)


@functools.lru_cache(maxsize=8)
def _run(dilations: tuple, smoke: bool) -> float:
    return receptive_field_experiment(list(dilations), size=SMOKE_EXPERIMENT if smoke else EXPERIMENT)


def check_receptive_field_experiment(function, *, reveal: bool = True) -> bool:
    """Exercise 3 (experiment): ``function(receptive_field)`` -> the dilations of the fewest kernel-2 layers (dilations 1, 2, 4,
    ...) whose receptive field reaches ``receptive_field``; then trains small WaveNets with a short and a long stack."""
    what = "Exercise 3 · experiment: how far back must a WaveNet hear?"
    verdict = check_function(what, function, "(receptive_field) -> list of dilations")
    if verdict is not None:
        return verdict
    for request in RF_CASES:
        status, result = attempt(what, function, request)
        if status != "ok":
            return False
        array = to_array(result, "float64") if not isinstance(result, (str, bytes, dict)) else None
        if array is None or array.ndim != 1 or array.size == 0 or not np.all(np.isfinite(array)) or np.any(array != np.round(array)):
            return report(False, f"{what}: for a receptive field of {request} you returned {str(result)[:60]}; return a list of whole "
                                 "dilations, one per layer, e.g. [1, 2, 4]")
        dilations = [int(d) for d in array]
        expected = reference_dilations_for(request)
        if dilations == expected:
            continue
        field = 1 + sum(dilations)
        if any(d < 1 for d in dilations):
            return report(False, f"{what}: dilations are at least 1 (1 = neighbouring samples); you returned {dilations}")
        if field < request:
            if sum(dilations) >= request:
                return report(False, f"{what}: for {request} your layers {dilations} reach {field}? No: a kernel-2 layer with dilation "
                                     "d adds d samples; the receptive field is 1 + sum(d). Check your count.")
            return report(False, f"{what}: for a receptive field of {request} your dilations {dilations} see only {field} samples "
                                 f"(1 + sum of the dilations); add layers until 1 + sum(d) >= {request}")
        if sum(dilations) >= request and sum(dilations[:-1]) >= request - 1:
            return report(False, f"{what}: for {request} you used {dilations} (receptive field {field}) but {expected} already reach "
                                 f"{1 + sum(expected)}: the current sample counts too, R = 1 + sum(d), so stop one layer earlier")
        if len(set(dilations)) == 1:
            return report(False, f"{what}: for {request} you used {len(dilations)} layers of dilation {dilations[0]}: dilations must "
                                 "double (1, 2, 4, ...), so that each layer doubles the span; that is the point of a WaveNet")
        return report(False, f"{what}: for {request} you returned {dilations} (receptive field {field}); expected the fewest doubling "
                             f"dilations from 1, {expected} (receptive field {1 + sum(expected)})")
    size = _size()
    smoke = size is SMOKE_EXPERIMENT
    short, long = (tuple(reference_dilations_for(size[key])) for key in ("short", "long"))
    yours = {key: tuple(int(d) for d in function(size[key])) for key in ("short", "long")}
    print(f"Training four small WaveNets for {size['steps']} steps each (two references, and yours; ~10-30 s)...")
    reference = {"short": _run(short, smoke), "long": _run(long, smoke)}
    measured = {key: _run(yours[key], smoke) for key in ("short", "long")}
    gap, reference_gap = measured["short"] - measured["long"], reference["short"] - reference["long"]
    if reference_gap <= 0.05:  # smoke-sized runs: too short for the effect to show
        return report(True, f"{what}: your stacks are right; at this size ({size['steps']} steps) the effect is not measured yet "
                            f"(the references differ by {reference_gap:+.3f} bits per sample); run in full mode to see it")
    if abs(gap - reference_gap) > GAP_TOLERANCE * reference_gap:
        return report(False, f"{what}: your runs differ by {gap:+.3f} bits per sample, the references by {reference_gap:+.3f}: too far "
                             "apart for the same change")
    if not reveal:
        return report(True, f"{what}: correct ({HIDDEN})")
    return report(True, f"{what}: correct, and measured on held-out low strings (C3-G3, periods of 41-61 samples): receptive field "
                        f"{1 + sum(short)} ({len(short)} layers) {measured['short']:.3f} bits per sample, receptive field "
                        f"{1 + sum(long)} ({len(long)} layers) {measured['long']:.3f} (references {reference['short']:.3f} and "
                        f"{reference['long']:.3f}). A stack that hears one period back can copy the string's last cycle, as the "
                        "Karplus-Strong loop itself does; a short one can only extrapolate the last few samples.")
