"""Checkers for notebook 16 · Drug discovery: generating molecules with desired properties."""

from __future__ import annotations

import functools

import numpy as np

from . import as_number, attempt, call_safely, check_function, report

HIDDEN = "what it measures is printed when you run your own answer in the cell above"

# ----------------------------------------------------------------------------- Exercise 1: novelty, counted on molecules

NOVELTY_CASES = [
    # (generated, training): duplicates written differently, invalid strings, an empty string, known and new molecules
    (["CCO", "OCC", "C1CC", "", "c1ccccc1", "C(C)O", "CCN", "NCC", "CCCl", "CCCC"], {"CCO", "c1ccccc1"}),
    (["c1ccccc1O", "Oc1ccccc1", "CC(=O)O", "CC(O)=O", "C(", "CCOC"], {"CC(=O)O"}),
    (["C1CC", "C(", ""], {"CCO"}),  # nothing valid: 0.0
    (["CCN", "CCO"], {"CCN", "CCO"}),  # nothing new
]


def _canonical(smiles: str) -> str | None:
    from .. import molecules

    return molecules.canonical(smiles)


def reference_novelty(generated, training) -> float:
    """The share of distinct valid generated molecules (canonical SMILES) not in ``training``; 0.0 when none is valid."""
    distinct = {c for c in map(_canonical, generated) if c is not None}
    return len(distinct - set(training)) / len(distinct) if distinct else 0.0


def _novelty_mistakes(generated, training) -> list[tuple[float, str]]:
    from rdkit import Chem

    valid_raw = [s for s in generated if _canonical(s) is not None]
    canonical = [c for c in map(_canonical, generated) if c is not None]
    with_empty = {c for c in canonical} | ({""} if "" in generated else set())
    invalid_kept = set(canonical) | {s for s in generated if _canonical(s) is None}
    distinct = set(canonical)

    def share(found, total):
        return found / total if total else 0.0

    mistakes = [
        (share(len(set(valid_raw) - set(training)), len(set(valid_raw))),
         "compare molecules, not strings: canonicalise each valid SMILES with Chem.MolToSmiles(Chem.MolFromSmiles(s)) first "
         "(OCC and C(C)O are both ethanol, CCO)."),
        (share(sum(c not in training for c in canonical), len(canonical)),
         "count DISTINCT molecules: put the canonical SMILES in a set before counting (a molecule sampled twice is one molecule)."),
        (share(len(invalid_kept - set(training)), len(invalid_kept)),
         "invalid strings are not molecules: drop every string Chem.MolFromSmiles cannot read (it returns None)."),
        (share(len(with_empty - set(training)), len(with_empty)),
         "Chem.MolFromSmiles(\"\") returns an EMPTY molecule, not None: skip empty strings (or molecules with no atoms)."),
        (share(len(distinct - set(training)), len(generated)),
         "divide by the number of distinct valid molecules, not by the number of samples."),
        (share(len(distinct & set(training)), len(distinct)),
         "that is the share of KNOWN molecules; novelty is the share NOT in the training set."),
    ]
    del Chem
    return mistakes


def check_novelty(function, *, reveal: bool = True) -> bool:
    """Exercise 1: ``function(generated, training)`` -> the share of distinct valid generated molecules not in ``training``."""
    what = "Exercise 1 (novelty, counted on molecules)"
    verdict = check_function(what, function, "(generated, training) -> float")
    if verdict is not None:
        return verdict
    for generated, training in NOVELTY_CASES:
        status, result = attempt(what, function, list(generated), set(training))
        if status != "ok":
            return False
        value = as_number(what, result)
        if value is None:
            return False
        expected = reference_novelty(generated, training)
        if abs(value - expected) < 1e-9:
            continue
        hint = next((message for wrong, message in _novelty_mistakes(generated, training) if abs(value - wrong) < 1e-9),
                    "canonicalise the valid strings, put them in a set, and count the share not in training.")
        return report(False, f"{what}: for generated={generated} and training={sorted(training)} you return {value:.4g}, "
                             f"expected {expected:.4g}: {hint}")
    if not reveal:
        return report(True, f"{what}: correct ({HIDDEN})")
    return report(True, f"{what}: correct. Canonical strings make one molecule one string; the set makes repeats count once; "
                        "invalid and empty strings are not molecules. Skipping any of these flatters or penalises a generator "
                        "for how it writes molecules rather than for which molecules it writes.")


# ----------------------------------------------------------------------------- Exercise 2: internal diversity

def reference_internal_diversity(bits) -> float:
    """MOSES IntDiv_1 of a 0/1 fingerprint matrix: 1 - mean Tanimoto over all N^2 ordered pairs, diagonal included."""
    bits = np.asarray(bits, dtype="float64")
    both = bits @ bits.T
    counts = bits.sum(axis=1)
    union = counts[:, None] + counts[None, :] - both
    return float(1.0 - np.where(union > 0, both / np.maximum(union, 1), 1.0).mean())


def _bit_cases() -> list[np.ndarray]:
    rng = np.random.default_rng(16)
    cases = [np.array([[1, 1, 0, 0], [1, 0, 1, 0], [0, 0, 0, 1]]),
             (rng.random((12, 64)) < 0.2).astype("uint8"),
             np.array([[1, 0, 1, 0], [0, 0, 0, 0], [0, 0, 0, 0]])]  # two empty fingerprints: T = 1 between them
    from .. import molecules

    cases.append(molecules.morgan_fingerprints(["CCOc1ccccc1", "CCNc1ccccc1", "CC(=O)Oc1ccccc1C(=O)O", "CN1CCCC1", "CCO"]))
    return cases


def _diversity_mistakes(bits) -> list[tuple[float, str]]:
    bits = np.asarray(bits, dtype="float64")
    n = len(bits)
    both = bits @ bits.T
    counts = bits.sum(axis=1)
    union = counts[:, None] + counts[None, :] - both
    with np.errstate(divide="ignore", invalid="ignore"):
        tanimoto = np.where(union > 0, both / np.maximum(union, 1), 1.0)
        dice = np.where(counts[:, None] + counts[None, :] > 0, 2 * both / (counts[:, None] + counts[None, :]), 1.0)
        norms = np.sqrt(np.outer(counts, counts))
        cosine = np.where(norms > 0, both / np.where(norms > 0, norms, 1), 1.0)
        no_union_subtraction = np.where(counts[:, None] + counts[None, :] > 0, both / (counts[:, None] + counts[None, :]), 1.0)
        empty_zero = np.where(union > 0, both / np.maximum(union, 1), 0.0)
    off_diagonal = ~np.eye(n, dtype=bool)
    return [
        (1.0 - tanimoto[off_diagonal].mean(), "MOSES averages over ALL N² ordered pairs, each molecule with itself included "
                                              "(the diagonal, where T = 1)."),
        (tanimoto.mean(), "that is the mean similarity; IntDiv is 1 minus it."),
        (1.0 - dice.mean(), "that is the Dice similarity 2|a∧b| / (|a| + |b|); Tanimoto divides by the union |a∨b| = |a| + |b| - |a∧b|."),
        (1.0 - cosine.mean(), "that is the cosine similarity; Tanimoto divides by the union |a∨b| = |a| + |b| - |a∧b|."),
        (1.0 - no_union_subtraction.mean(), "the union is |a| + |b| - |a∧b|: subtract the intersection once."),
        (1.0 - empty_zero.mean(), "two empty fingerprints are identical: count their Tanimoto similarity as 1, not 0."),
        (1.0 - np.sqrt(np.mean(tanimoto**2)), "that is IntDiv_2; the exercise asks for IntDiv_1 (no squares)."),
    ]


def check_internal_diversity(function, *, reveal: bool = True) -> bool:
    """Exercise 2: ``function(bits)`` -> MOSES IntDiv_1 of an (N, B) 0/1 fingerprint matrix."""
    what = "Exercise 2 (internal diversity from fingerprints)"
    verdict = check_function(what, function, "(bits) -> float")
    if verdict is not None:
        return verdict
    for bits in _bit_cases():
        status, result = attempt(what, function, bits.copy())
        if status != "ok":
            return False
        value = as_number(what, result)
        if value is None:
            return False
        expected = reference_internal_diversity(bits)
        if abs(value - expected) < 1e-6:
            continue
        hint = next((message for wrong, message in _diversity_mistakes(bits) if np.isfinite(wrong) and abs(value - wrong) < 1e-6),
                    "T(i, j) = |b_i AND b_j| / |b_i OR b_j| (1 for two empty rows), then 1 - the mean over all N² pairs.")
        return report(False, f"{what}: for a {bits.shape[0]}x{bits.shape[1]} fingerprint matrix you return {value:.4g}, "
                             f"expected {expected:.4g}: {hint}")
    if not reveal:
        return report(True, f"{what}: correct ({HIDDEN})")
    return report(True, f"{what}: correct. One matrix product gives all N² intersections, so IntDiv of 2,000 molecules is a "
                        "2,000 x 2,000 matrix, not four million Python calls. With the diagonal included even N different "
                        "molecules cannot reach IntDiv 1: at most 1 - 1/N.")


# ----------------------------------------------------------------------------- Exercise 3: experiment, SELFIES

EXPERIMENT = {"molecules": 2000, "steps": 150, "units": 64, "embedding": 32, "batch": 64, "learning_rate": 5e-3,
              "samples": 200, "seed": 0}
VALIDITY_TOLERANCE = 0.05  # how far a correct run may land from the reference SELFIES run (the same tokens: same run)


@functools.cache
def _experiment_smiles() -> tuple[str, ...]:
    """EXPERIMENT["molecules"] random MOSES molecules (from the small test file: quicker to read than the training file)."""
    from .. import molecules

    smiles = molecules.read_smiles_csv(molecules._moses_dir() / "test.csv.gz")
    chosen = np.random.default_rng(EXPERIMENT["seed"] + 16).choice(len(smiles), EXPERIMENT["molecules"], replace=False)
    return tuple(molecules.valid_smiles([smiles[i] for i in np.sort(chosen)]))


def reference_smiles_tokens(smiles: str) -> list[str]:
    """The notebook's SMILES tokens (the SMILES reference run)."""
    from .. import molecules

    return molecules.tokenize_smiles(smiles)


def reference_selfies_tokens(smiles: str) -> list[str]:
    """SELFIES symbols of a SMILES string."""
    from .. import molecules

    return molecules.tokenize_selfies(molecules.smiles_to_selfies(smiles))


def reference_join_smiles(tokens) -> str:
    return "".join(tokens)


def reference_decode_selfies(tokens) -> str:
    from .. import molecules

    return molecules.selfies_to_smiles("".join(tokens))


def representation_experiment(encode, decode, *, steps: int = EXPERIMENT["steps"], seed: int = EXPERIMENT["seed"]) -> dict[str, float]:
    """Train the tiny token GRU on ``encode``d molecules, sample, ``decode`` and score: validity, unique share, ring share.

    A sample that ``decode`` cannot turn into a string counts as invalid. Example:
    ``representation_experiment(reference_selfies_tokens, reference_decode_selfies)``
    """
    from .. import molecules

    sequences = tuple(tuple(encode(s)) for s in _experiment_smiles())
    tokens, rows = _train_and_sample(sequences, int(steps), int(seed))
    strings = []
    for row in rows:
        end = next((k for k, i in enumerate(row[1:]) if i in (0, 1, 2)), len(row) - 1)
        pieces = [tokens[i] for i in row[1:1 + end]]
        try:
            text = decode(pieces) if pieces else ""
        except Exception:  # a sample the learner's decode cannot read counts as invalid
            text = ""
        strings.append(text if isinstance(text, str) else "")
    valid = molecules.valid_smiles(strings)
    from rdkit.Chem import rdMolDescriptors

    with_ring = [rdMolDescriptors.CalcNumRings(molecules.parse(s)) > 0 for s in valid]
    return {"validity": molecules.validity(strings), "unique": len(set(valid)) / max(len(valid), 1),
            "with a ring": float(np.mean(with_ring)) if valid else 0.0}


@functools.lru_cache(maxsize=4)
def _train_and_sample(sequences: tuple[tuple[str, ...], ...], steps: int, seed: int) -> tuple[list[str], np.ndarray]:
    """The vocabulary's tokens and the sampled id rows of the tiny GRU trained on these token sequences.

    Memoised on the sequences themselves: training is seeded, so the same tokens give the same model and samples, and
    an answer that encodes exactly like a reference (the solution does) reuses that run instead of training it again.
    """
    import keras
    import tensorflow as tf

    from .. import molecules

    settings = EXPERIMENT
    vocab = molecules.TokenVocab.from_sequences(sequences)
    ids = vocab.encode(sequences)
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((None,), dtype="int32")
    hidden = keras.layers.GRU(settings["units"], return_sequences=True)(keras.layers.Embedding(vocab.size, settings["embedding"])(inputs))
    model = keras.Model(inputs, keras.layers.Dense(vocab.size)(hidden))
    optimizer = keras.optimizers.Adam(settings["learning_rate"])

    @tf.function
    def train_step(batch):
        targets = batch[:, 1:]
        real = tf.cast(targets != 0, tf.float32)
        with tf.GradientTape() as tape:
            losses = tf.nn.sparse_softmax_cross_entropy_with_logits(targets, model(batch[:, :-1], training=True))
            loss = tf.reduce_sum(losses * real) / tf.reduce_sum(real)
        gradients, _ = tf.clip_by_global_norm(tape.gradient(loss, model.trainable_variables), 1.0)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        return loss

    batches = np.random.default_rng(seed)
    for _ in range(steps):
        train_step(tf.constant(ids[batches.integers(0, len(ids), settings["batch"])]))
    # sampling without a state: re-read the prefix each step (the model is tiny and the strings short)
    rng = np.random.default_rng(seed + 1)
    last_logits = tf.function(lambda rows: model(rows, training=False)[:, -1], reduce_retracing=True)  # compiled: eager is slow
    rows = np.ones((settings["samples"], 1), dtype="int32")
    finished = np.zeros(settings["samples"], dtype=bool)
    for _ in range(ids.shape[1] - 1):
        logits = last_logits(tf.constant(rows)).numpy().astype("float64")
        probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        tokens = (probabilities.cumsum(axis=1) > rng.random((len(rows), 1))).argmax(axis=1)
        tokens = np.where(finished, 0, tokens)
        finished |= tokens == 2
        rows = np.concatenate([rows, tokens[:, None].astype("int32")], axis=1)
        if finished.all():
            break
    rows.setflags(write=False)  # shared by every caller of the memoised run
    return list(vocab.tokens), rows


_references_done: set[int] = set()  # the sizes whose reference runs _reference_runs already holds


@functools.cache
def _reference_runs(steps: int) -> tuple[dict, dict]:
    """The SMILES and SELFIES reference runs (trained once per session and size: they do not depend on the answer)."""
    return (representation_experiment(reference_smiles_tokens, reference_join_smiles, steps=steps),
            representation_experiment(reference_selfies_tokens, reference_decode_selfies, steps=steps))


def _describe(run: dict) -> str:
    return f"validity {run['validity']:.0%}, unique {run['unique']:.0%}, with a ring {run['with a ring']:.0%}"


def check_representation_experiment(encode, decode, *, steps: int = EXPERIMENT["steps"], reveal: bool = True) -> bool:
    """Exercise 3 (experiment): SELFIES ``encode(smiles) -> tokens`` and ``decode(tokens) -> smiles``; trains and judges validity.

    ``steps`` shortens the three training runs (the notebook's smoke mode); the effect on validity is already clear at 60.
    """
    from .. import molecules

    what = "Exercise 3 · experiment: a representation that cannot be invalid"
    for name, function in (("encode", encode), ("decode", decode)):
        verdict = check_function(f"{what} ({name})", function, "(smiles) -> tokens" if name == "encode" else "(tokens) -> smiles")
        if verdict is not None:
            return verdict
    probes = ["CCO", "CC(=O)Oc1ccccc1C(=O)O", "Cn1cnc2c1c(=O)n(C)c(=O)n2C", *_experiment_smiles()[:20]]
    for smiles in probes:
        status, tokens = attempt(f"{what} (encode)", encode, smiles)
        if status != "ok":
            return False
        if isinstance(tokens, str) or not isinstance(tokens, (list, tuple)) or not all(isinstance(t, str) for t in tokens):
            return report(False, f"{what}: encode({smiles!r}) must return a list of token strings, got {type(tokens).__name__} "
                                 f"{str(tokens)[:60]}; selfies.split_selfies gives the symbols (wrap it in list()).")
        if len(tokens) < 2 and len(smiles) > 3:
            return report(False, f"{what}: encode({smiles!r}) returns {len(tokens)} token(s); split the SELFIES string into its "
                                 "symbols with selfies.split_selfies, so the model writes one symbol at a time.")
        status, back = attempt(f"{what} (decode)", decode, list(tokens))
        if status != "ok":
            return False
        if not isinstance(back, str) or molecules.canonical(back) != molecules.canonical(smiles):
            return report(False, f"{what}: decode(encode({smiles!r})) gives {str(back)[:60]!r}, not the same molecule; decode must "
                                 "join the tokens and turn the SELFIES string back into SMILES with selfies.decoder.")
        if "".join(tokens).startswith("[") and all(len(t) == 1 for t in tokens):  # a SELFIES string cut into characters
            return report(False, f"{what}: encode({smiles!r}) gives single characters ({tokens[:6]}...); the model should write "
                                 "whole SELFIES symbols such as [C] or [=O]: split with selfies.split_selfies.")
    reused = int(steps) in _references_done  # the two reference runs are trained once per session and size
    if reused:
        print("The two reference runs are already trained; training one tiny GRU on your tokens (reused too if they encode "
              "exactly like the reference's)...")
    else:
        print(f"Training three tiny GRUs on the same {len(_experiment_smiles()):,} molecules for {steps} steps each "
              "(~5-30 s on a CPU)...")
    smiles_run, selfies_run = _reference_runs(int(steps))
    _references_done.add(int(steps))
    ok, yours = call_safely(what, representation_experiment, encode, decode, steps=int(steps))
    if not ok:
        return False
    if yours["validity"] < selfies_run["validity"] - VALIDITY_TOLERANCE:
        close_to_smiles = abs(yours["validity"] - smiles_run["validity"]) <= VALIDITY_TOLERANCE
        return report(False, f"{what}: your run: {_describe(yours)}; SMILES reference: {_describe(smiles_run)}; SELFIES reference: "
                             f"{_describe(selfies_run)}. " + ("Your validity is the SMILES run's: your tokens still spell SMILES; "
                                                              "encode with selfies.encoder, then split." if close_to_smiles else
                                                              "Your representation does not reach the SELFIES run's validity; "
                                                              "use selfies.encoder / split_selfies / decoder."))
    if not reveal:
        return report(True, f"{what}: correct ({HIDDEN})")
    return report(True, f"{what}: correct, and the effect is measured. SMILES: {_describe(smiles_run)}; SELFIES (reference): "
                        f"{_describe(selfies_run)}; yours: {_describe(yours)}. Every SELFIES string decodes to a molecule, so "
                        "validity is no longer something the model must learn; what it still must learn is which molecules are "
                        "typical, and a tiny model's SELFIES samples are often small or ring-poor, which the validity number "
                        "alone does not show.")
