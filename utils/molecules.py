"""Molecules for notebook 16: tokenisers, RDKit parsing, properties and the MOSES metrics.

* Data: ``load_moses`` (a seeded random subset of the MOSES benchmark, read from the molsets wheel's CSV
  files without importing the package) and ``read_smiles_csv``. (Here rather than in ``utils/data.py`` so
  that adding it leaves the other notebooks' recorded inputs unchanged.)
* Strings: ``tokenize_smiles`` (the regex of Schwaller et al. 2019, one token per atom, bond, branch
  or ring-closure digit), ``smiles_to_selfies``/``selfies_to_smiles``/``tokenize_selfies`` (SELFIES 2),
  and ``TokenVocab``, which turns token lists into padded id arrays with begin/end markers and back.
* Parsing: ``parse`` (a SMILES string -> RDKit molecule, or None when RDKit cannot read it; the
  parse-error log is silenced and the failure is *counted* by the metrics), ``canonical``.
* Properties: ``properties`` (QED, logP, molecular weight, SA score), ``sa_score`` (RDKit's
  contributed scorer of Ertl & Schuffenhauer 2009, loaded from the installed ``rdkit`` package),
  ``lipinski_violations``.
* The MOSES metrics (Polykovskiy et al. 2020), re-implemented with RDKit and NumPy: ``validity``,
  ``unique_at_k``, ``novelty``, ``internal_diversity``, ``snn``, ``fragment_similarity``,
  ``scaffold_similarity``, ``property_distance``; ``morgan_fingerprints`` and ``tanimoto_matrix``
  beneath them. Validity counts unparseable strings as invalid; unique@k and novelty are computed on
  the valid molecules (as MOSES does); the others take valid molecules only and raise a ValueError
  naming the first string RDKit cannot read (filter with ``valid_smiles`` first).
"""

from __future__ import annotations

import collections
import functools
import importlib.util
import pathlib
import re
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

import numpy as np

from . import _checks

# Schwaller et al. (2019), "Molecular Transformer": bracket atoms, two-letter halogens, organic-subset atoms,
# aromatic atoms, bonds, branches, ring closures (one digit, or % and two digits).
SMILES_TOKEN_PATTERN = re.compile(
    r"(\[[^\]]+]|Br?|Cl?|N|O|S|P|F|I|b|c|n|o|s|p|\(|\)|\.|=|#|-|\+|\\|/|:|~|@|\?|>|\*|\$|%[0-9]{2}|[0-9])"
)
PAD, BOS, EOS = "<pad>", "<bos>", "<eos>"
FINGERPRINT_BITS = 1024  # MOSES: Morgan fingerprints of radius 2 folded to 1,024 bits
FINGERPRINT_RADIUS = 2
PROPERTY_NAMES = ("QED", "logP", "weight", "SA")


# ----------------------------------------------------------------------------- data

class MoleculeSplit(NamedTuple):
    """Train/test SMILES strings returned by ``load_moses``."""

    train: list
    test: list


MOSES_SPLITS = ("train", "test", "test_scaffolds")


def _moses_dir() -> pathlib.Path:
    from .data import _package_dir

    return _package_dir("moses") / "dataset" / "data"  # the molsets wheel (import name `moses`) ships MOSES as CSV files


def read_smiles_csv(path: str | pathlib.Path) -> list[str]:
    """The SMILES strings of a MOSES-style CSV file (gzip or plain): a ``SMILES`` header line, then one molecule per line.

    Example: ``read_smiles_csv(path)[:2]``
    """
    import gzip

    path = _checks.existing_file("SMILES file", path, hint="Reinstall molsets with `make install`.")
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="ascii") as handle:
        lines = handle.read().splitlines()
    if not lines or lines[0].split(",")[0].strip() != "SMILES":
        raise ValueError(f"{path} looks corrupt: its first line should be the header 'SMILES', got {lines[:1]}")
    smiles = [line.split(",")[0].strip() for line in lines[1:] if line.strip()]
    if not smiles:
        raise ValueError(f"{path} holds no molecules")
    return smiles


def load_moses(num_train: int | None = 50_000, num_test: int | None = 10_000, *, seed: int = 0,
               directory: str | pathlib.Path | None = None) -> MoleculeSplit:
    """A seeded random subset of MOSES (Polykovskiy et al. 2020): drug-like ZINC molecules as canonical SMILES.

    ``num_train`` molecules are drawn without replacement from the 1,584,663 of MOSES's training split and
    ``num_test`` from the 176,074 of its test split (None keeps a whole split), with
    ``numpy.random.default_rng(seed)``, so a size and a seed name the subset (kept in file order). ``directory``
    reads other ``train.csv.gz``/``test.csv.gz`` files (the tests' fixture); by default the molsets wheel's.
    Example: ``train_smiles, test_smiles = utils.molecules.load_moses(50_000, 10_000, seed=0)``
    """
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {seed!r}")
    folder = _moses_dir() if directory is None else pathlib.Path(directory)
    rng = np.random.default_rng(seed)
    subsets = []
    for split, size in (("train", num_train), ("test", num_test)):
        smiles = read_smiles_csv(folder / f"{split}.csv.gz")
        if size is not None:
            size = _checks.positive_int(f"num_{split}", size)
            if size > len(smiles):
                raise ValueError(f"num_{split}={size:,} is more than the {len(smiles):,} molecules of the {split} split; "
                                 "lower it, or pass None for the whole split")
            smiles = [smiles[i] for i in np.sort(rng.choice(len(smiles), size, replace=False))]
        subsets.append(smiles)
    return MoleculeSplit(*subsets)


# ----------------------------------------------------------------------------- RDKit, quietly

def _rdkit():
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")  # every failed parse would print a red error line: we count failures instead
    return Chem


def _check_string(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str (a SMILES or SELFIES string), got {type(value).__name__} {value!r}"[:160])
    return value


def _check_strings(name: str, values: Any, *, allow_empty: bool = False) -> list[str]:
    if isinstance(values, str):
        raise TypeError(f"{name} must be a list of strings, got one string {values[:40]!r}: wrap it in a list")
    if values is None or not isinstance(values, Iterable):
        raise TypeError(f"{name} must be a list of SMILES strings, got {type(values).__name__}")
    values = list(values)
    if not values and not allow_empty:
        raise ValueError(f"{name} is empty: generate or load some molecules first")
    for index, value in enumerate(values):
        if not isinstance(value, str):
            raise TypeError(f"{name}[{index}] must be a str, got {type(value).__name__} {value!r}"[:160])
    return values


def parse(smiles: str):
    """The RDKit molecule of ``smiles``, or None when RDKit cannot read it (or it has no atoms).

    Example: ``parse("c1ccccc1O")`` is phenol; ``parse("c1ccccc")`` (unclosed ring) is None.
    """
    _check_string("smiles", smiles)
    if not smiles:
        return None  # RDKit reads "" as a molecule with no atoms; MOSES counts it invalid
    molecule = _rdkit().MolFromSmiles(smiles)
    return molecule if molecule is not None and molecule.GetNumAtoms() > 0 else None


def canonical(smiles: str) -> str | None:
    """RDKit's canonical SMILES of ``smiles`` (one string per molecule), or None when it is invalid.

    Example: ``canonical("OCC") == canonical("C(C)O") == "CCO"``
    """
    return _canonical_cached(_check_string("smiles", smiles))


@functools.lru_cache(maxsize=500_000)
def _canonical_cached(smiles: str) -> str | None:
    # memoised: a notebook asks for the same samples' canonical form several times (validity, unique@k, novelty)
    molecule = parse(smiles)
    return None if molecule is None else _rdkit().MolToSmiles(molecule)


def valid_smiles(smiles: Sequence[str]) -> list[str]:
    """The canonical SMILES of the valid strings in ``smiles``, in order (duplicates kept, invalid ones dropped).

    Example: ``valid_smiles(["OCC", "C1CC", "CCO"]) == ["CCO", "CCO"]``
    """
    smiles = _check_strings("smiles", smiles)
    return [c for c in map(canonical, smiles) if c is not None]


def _invalid_message(name: str, index: int, text: str) -> str:
    return (f"{name}[{index}] = {text[:60]!r} is not a valid molecule; this metric takes valid molecules "
            "only: filter with utils.molecules.valid_smiles(...) first (validity() counts the invalid ones)")


def _molecules(name: str, smiles: Sequence[str], *, shared: bool = True) -> list:
    # shared=True: parsed through a small cache, since a notebook scores the same 1,000 molecules with fingerprints
    # (twice: IntDiv and SNN), fragments and scaffolds in a row; only this module's read-only metrics see these shared
    # objects (parse() itself returns a fresh molecule that its caller may modify, and so does shared=False)
    smiles = _check_strings(name, smiles)
    molecules = []
    for index, text in enumerate(smiles):
        molecule = _parse_shared(text) if shared else parse(text)
        if molecule is None:
            raise ValueError(_invalid_message(name, index, text))
        molecules.append(molecule)
    return molecules


@functools.lru_cache(maxsize=4096)
def _parse_shared(smiles: str):
    # parse(), memoised for _molecules: the same molecule object for repeated strings (never modified by its users)
    return parse(smiles)


# ----------------------------------------------------------------------------- strings and tokens

def tokenize_smiles(smiles: str) -> list[str]:
    """Split a SMILES string into tokens: bracket atoms, Cl and Br, atoms, bonds, branches, ring closures.

    Raises a ValueError when a character belongs to no token (the joined tokens must give back the string).
    Example: ``tokenize_smiles("ClC(=O)[nH]1") == ["Cl", "C", "(", "=", "O", ")", "[nH]", "1"]``
    """
    _check_string("smiles", smiles)
    tokens = SMILES_TOKEN_PATTERN.findall(smiles)
    if "".join(tokens) != smiles:
        position = next((i for i, (a, b) in enumerate(zip("".join(tokens), smiles)) if a != b), len("".join(tokens)))
        raise ValueError(f"cannot tokenise {smiles[:60]!r}: the character at position {position} ({smiles[position:position + 1]!r}) "
                         "is not part of any SMILES token (an unclosed '[' or a character SMILES does not use)")
    return tokens


def smiles_to_selfies(smiles: str) -> str:
    """The SELFIES string of a valid SMILES string (selfies 2.x); raises ValueError for an invalid one.

    Example: ``smiles_to_selfies("CCO") == "[C][C][O]"``
    """
    import selfies

    if canonical(smiles) is None:  # (memoised: a notebook has usually just canonicalised the same strings)
        raise ValueError(f"{smiles[:60]!r} is not a valid SMILES string, so it has no SELFIES encoding")
    try:
        return selfies.encoder(smiles)
    except selfies.EncoderError as error:
        raise ValueError(f"selfies cannot encode {smiles[:60]!r}: {error}") from None


def selfies_to_smiles(selfies_string: str) -> str:
    """The SMILES string a SELFIES string decodes to (any sequence of SELFIES symbols decodes to a molecule).

    Raises ValueError only for text that is not made of ``[...]`` symbols. Example: ``selfies_to_smiles("[C][C][O]") == "CCO"``
    """
    import selfies

    _check_string("selfies_string", selfies_string)
    try:
        return selfies.decoder(selfies_string)
    except selfies.DecoderError as error:
        raise ValueError(f"cannot decode {selfies_string[:60]!r}: {error}") from None


def tokenize_selfies(selfies_string: str) -> list[str]:
    """The symbols of a SELFIES string, e.g. ``tokenize_selfies("[C][=O]") == ["[C]", "[=O]"]``.

    Raises ValueError when the text is not a sequence of ``[...]`` symbols.
    """
    _check_string("selfies_string", selfies_string)
    symbols = re.findall(r"\[[^\[\]]*\]", selfies_string)
    if "".join(symbols) != selfies_string:
        raise ValueError(f"{selfies_string[:60]!r} is not a sequence of SELFIES symbols like [C][=O]")
    return symbols


class TokenVocab:
    """Tokens <-> ids, with ``<pad>`` = 0, ``<bos>`` = 1 and ``<eos>`` = 2 before the sorted tokens.

    ``encode`` turns token lists into a padded (N, length) int32 array ``<bos> tokens <eos> <pad>...``;
    ``decode`` reads one id row back into a string, stopping at ``<eos>`` (or a ``<pad>``/``<bos>``).
    Example: ``vocab = TokenVocab.from_sequences(token_lists); ids = vocab.encode(token_lists)``
    """

    def __init__(self, tokens: Iterable[str]):
        tokens = list(tokens)
        if not tokens:
            raise ValueError("tokens is empty: build the vocabulary from some token lists (TokenVocab.from_sequences)")
        for token in tokens:
            if not isinstance(token, str) or not token or token in (PAD, BOS, EOS):
                raise ValueError(f"every token must be a non-empty str other than {PAD}, {BOS}, {EOS}; got {token!r}")
        if len(set(tokens)) != len(tokens):
            raise ValueError("tokens must not repeat")
        self.tokens = [PAD, BOS, EOS, *tokens]
        self._index = {token: i for i, token in enumerate(self.tokens)}

    @classmethod
    def from_sequences(cls, sequences: Iterable[Sequence[str]]) -> TokenVocab:
        """The sorted set of tokens in ``sequences`` (a list of token lists)."""
        found: set[str] = set()
        for sequence in sequences:
            if isinstance(sequence, str):
                raise TypeError("sequences must be token lists (e.g. from tokenize_smiles), got a plain string")
            found.update(sequence)
        return cls(sorted(found))

    @property
    def size(self) -> int:
        """Number of ids, markers included."""
        return len(self.tokens)

    def __len__(self) -> int:
        return self.size

    def __repr__(self) -> str:
        return f"TokenVocab({self.size} ids: {' '.join(self.tokens[3:15])} ...)"

    def encode(self, sequences: Sequence[Sequence[str]], length: int | None = None) -> np.ndarray:
        """(N, length) int32 ids of ``<bos> tokens <eos>`` padded with 0; ``length`` defaults to the longest + 2."""
        sequences = list(sequences)
        if not sequences:
            raise ValueError("sequences is empty")
        longest = max(len(s) for s in sequences) + 2
        length = longest if length is None else _checks.positive_int("length", length, minimum=3)
        if longest > length:
            raise ValueError(f"a sequence needs {longest} ids with its markers but length is {length}: raise length "
                             "or drop the longest sequences")
        ids = np.zeros((len(sequences), length), dtype="int32")
        for row, sequence in enumerate(sequences):
            if isinstance(sequence, str):
                raise TypeError("sequences must be token lists, got a plain string: tokenise it first")
            try:
                ids[row, : len(sequence) + 2] = [1, *(self._index[token] for token in sequence), 2]
            except KeyError as error:
                raise ValueError(f"sequence {row} holds the token {error.args[0]!r}, which is not in the vocabulary") from None
        return ids

    def decode(self, ids) -> str:
        """The string of one row of ids: the tokens after an optional leading ``<bos>``, up to ``<eos>``."""
        row = _checks.as_array("ids", ids, ndim=1)
        if row.size and not np.issubdtype(row.dtype, np.integer):
            raise TypeError(f"ids must be integers, got dtype {row.dtype}")
        if row.size and (row.min() < 0 or row.max() >= self.size):
            raise ValueError(f"ids must be in [0, {self.size - 1}], got values in [{row.min()}, {row.max()}]")
        pieces = []
        for position, i in enumerate(row.tolist()):
            if i == 1 and position == 0:
                continue
            if i in (0, 1, 2):
                break
            pieces.append(self.tokens[i])
        return "".join(pieces)


# ----------------------------------------------------------------------------- properties

@functools.cache
def _sascorer():
    """RDKit's contributed SA scorer (rdkit/Contrib/SA_Score/sascorer.py), loaded from the installed package."""
    spec = importlib.util.find_spec("rdkit")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("RDKit is not installed: run `make install`")
    folder = pathlib.Path(next(iter(spec.submodule_search_locations))) / "Contrib" / "SA_Score"
    path = _checks.existing_file("RDKit's SA scorer", folder / "sascorer.py", hint="Reinstall rdkit with `make install`.")
    _checks.existing_file("the SA scorer's fragment scores", folder / "fpscores.pkl.gz", hint="Reinstall rdkit with `make install`.")
    module_spec = importlib.util.spec_from_file_location("rdkit_contrib_sascorer", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    module.readFragmentScores()  # reads fpscores.pkl.gz beside it, once
    return module


def sa_score(smiles: str) -> float:
    """Synthetic accessibility, 1 (easy to make) to 10 (hard), by Ertl & Schuffenhauer's fragment-based score.

    Example: ``sa_score("CCO")`` is about 1.98.
    """
    # a fresh molecule: the scorer's stereo perception writes to it
    return float(_sascorer().calculateScore(_molecules("smiles", [smiles], shared=False)[0]))


def lipinski_violations(smiles: str) -> int:
    """How many of Lipinski's four rules ``smiles`` breaks (weight > 500, logP > 5, > 5 H-bond donors, > 10 acceptors).

    The rule of five calls a molecule drug-like (orally absorbed) with at most one violation.
    Example: ``lipinski_violations("CC(=O)Oc1ccccc1C(=O)O") == 0`` (aspirin)
    """
    from rdkit.Chem import Crippen, Descriptors, Lipinski

    molecule = _molecules("smiles", [smiles])[0]
    return int(sum([Descriptors.MolWt(molecule) > 500, Crippen.MolLogP(molecule) > 5,
                    Lipinski.NumHDonors(molecule) > 5, Lipinski.NumHAcceptors(molecule) > 10]))


def properties(smiles: Sequence[str]) -> dict[str, np.ndarray]:
    """QED, logP (Crippen), molecular weight and SA score of valid molecules, one array each (MOSES's four).

    Example: ``props = properties(["CCO", "c1ccccc1"]); props["QED"]``
    """
    smiles = _check_strings("smiles", smiles)
    rows = []
    for index, text in enumerate(smiles):
        row = _property_values(text)
        if row is None:
            raise ValueError(_invalid_message("smiles", index, text))
        rows.append(row)
    values = np.array(rows, dtype="float64").reshape(len(smiles), 4)
    return {name: values[:, column].copy() for column, name in enumerate(PROPERTY_NAMES)}


@functools.lru_cache(maxsize=200_000)
def _property_values(smiles: str) -> tuple[float, float, float, float] | None:
    # memoised per string (QED and SA cost about 3 ms a molecule; samples are scored several times in a notebook);
    # None for an invalid string. QED's own inputs include logP and the weight: computed once, not again beside it
    # (the same RDKit functions on the same molecule: QED.properties only strips explicit H atoms, which parsing
    # SMILES has already done)
    from rdkit.Chem import QED

    molecule = parse(smiles)
    if molecule is None:
        return None
    qed_inputs = QED.properties(molecule)
    return (float(QED.qed(molecule, qedProperties=qed_inputs)), float(qed_inputs.ALOGP), float(qed_inputs.MW),
            float(_sascorer().calculateScore(molecule)))


# ----------------------------------------------------------------------------- MOSES metrics

def validity(generated: Sequence[str]) -> float:
    """Share of ``generated`` strings that RDKit reads as a molecule (empty strings and parse errors are invalid).

    Example: ``validity(["CCO", "C1CC", ""]) == 1 / 3``
    """
    generated = _check_strings("generated", generated)
    return sum(canonical(s) is not None for s in generated) / len(generated)  # canonical is None exactly when parse is


def unique_at_k(generated: Sequence[str], k: int) -> float:
    """MOSES unique@k: the share of distinct molecules (canonical SMILES) among the first ``k`` valid ones.

    Invalid strings are skipped, as MOSES scores only valid molecules; raises ValueError when fewer than
    ``k`` are valid (sample more). Example: ``unique_at_k(["CCO", "OCC", "C"], 3) == 2 / 3``
    """
    k = _checks.positive_int("k", k)
    valid = valid_smiles(generated)
    if len(valid) < k:
        raise ValueError(f"unique@{k} needs {k} valid molecules, got {len(valid)}: generate more samples or lower k")
    return len(set(valid[:k])) / k


def novelty(generated: Sequence[str], training: Iterable[str]) -> float:
    """MOSES novelty: the share of distinct valid generated molecules that are not in ``training``.

    Both sides are compared as canonical SMILES: ``training`` must hold canonical SMILES (as MOSES's files and
    ``valid_smiles`` give) or a set of them. Example: ``novelty(["OCC", "CCN", "C1CC"], {"CCO"}) == 0.5``
    """
    unique = set(valid_smiles(generated))
    if not unique:
        raise ValueError("novelty needs at least one valid generated molecule, got none")
    known = training if isinstance(training, (set, frozenset)) else set(_check_strings("training", training))
    return len(unique - known) / len(unique)


def morgan_fingerprints(smiles: Sequence[str], *, radius: int = FINGERPRINT_RADIUS, bits: int = FINGERPRINT_BITS) -> np.ndarray:
    """(N, bits) uint8 matrix of Morgan (ECFP4-like) fingerprints of valid molecules, MOSES's setting by default.

    Example: ``fingerprints = morgan_fingerprints(["CCO", "c1ccccc1"])``
    """
    from rdkit.Chem import rdFingerprintGenerator

    molecules = _molecules("smiles", smiles)
    generator = rdFingerprintGenerator.GetMorganGenerator(radius=_checks.positive_int("radius", radius, minimum=0),
                                                          fpSize=_checks.positive_int("bits", bits))
    return np.stack([generator.GetFingerprintAsNumPy(m) for m in molecules]).astype("uint8")


def _fingerprint_matrix(name: str, fingerprints: Any) -> np.ndarray:
    array = _checks.as_array(name, fingerprints, ndim=2, min_len=1)
    if array.size and not np.isin(array, (0, 1)).all():
        raise ValueError(f"{name} must hold 0/1 bits (from morgan_fingerprints), got values other than 0 and 1")
    return array.astype("float32")


def tanimoto_matrix(fingerprints_a, fingerprints_b, *, chunk: int = 2048) -> np.ndarray:
    """Tanimoto similarity |a AND b| / |a OR b| of every pair of rows of two 0/1 fingerprint matrices, (Na, Nb).

    Two empty fingerprints count as similarity 1. Example: ``tanimoto_matrix([[1, 1, 0]], [[1, 0, 1]])`` is ``[[1/3]]``
    """
    a = _fingerprint_matrix("fingerprints_a", fingerprints_a)
    b = _fingerprint_matrix("fingerprints_b", fingerprints_b)
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"both fingerprint matrices need the same number of bits, got {a.shape[1]} and {b.shape[1]}")
    counts_a, counts_b = a.sum(axis=1), b.sum(axis=1)
    result = np.empty((len(a), len(b)), dtype="float32")
    for start in range(0, len(a), chunk):
        both = a[start:start + chunk] @ b.T  # |a AND b| by a matrix product of bits
        union = counts_a[start:start + chunk, None] + counts_b[None, :] - both
        result[start:start + chunk] = np.where(union > 0, both / np.maximum(union, 1), 1.0)
    return result


def internal_diversity(smiles: Sequence[str], *, p: int = 1) -> float:
    """MOSES IntDiv_p: 1 - (mean Tanimoto^p over all ordered pairs, each molecule with itself included)^(1/p).

    0 for copies of one molecule; close to 1 when no two share substructures. Example: ``internal_diversity(["CCO", "CCO"]) == 0.0``
    """
    p = _checks.positive_int("p", p)
    fingerprints = morgan_fingerprints(smiles)
    similarity = tanimoto_matrix(fingerprints, fingerprints).astype("float64")
    return float(1.0 - np.mean(similarity**p) ** (1.0 / p))


def snn(generated: Sequence[str], reference) -> float:
    """MOSES SNN: the mean, over generated molecules, of the Tanimoto similarity to the nearest reference molecule.

    ``reference`` is a list of SMILES or their ``morgan_fingerprints`` (computed once for many calls).
    Example: ``snn(["CCO"], ["CCO", "c1ccccc1"]) == 1.0``
    """
    reference_fingerprints = reference if isinstance(reference, np.ndarray) else morgan_fingerprints(reference)
    similarity = tanimoto_matrix(morgan_fingerprints(generated), reference_fingerprints)
    return float(similarity.max(axis=1).mean())


def _cosine(counts_a: collections.Counter, counts_b: collections.Counter) -> float:
    keys = sorted(set(counts_a) | set(counts_b))
    a = np.array([counts_a.get(key, 0) for key in keys], dtype="float64")
    b = np.array([counts_b.get(key, 0) for key in keys], dtype="float64")
    norm = np.linalg.norm(a) * np.linalg.norm(b)
    return float(min(1.0, a @ b / norm)) if norm > 0 else 0.0  # min: rounding can give 1 + 2e-16


def fragment_counts(smiles: Sequence[str]) -> collections.Counter:
    """How often each BRICS fragment (canonical SMILES, with its attachment points) occurs in the molecules.

    Example: ``fragment_counts(["CCOC(=O)c1ccccc1"])``
    """
    from rdkit.Chem import AllChem

    Chem = _rdkit()
    counts: collections.Counter = collections.Counter()
    for molecule in _molecules("smiles", smiles):
        counts.update(Chem.MolToSmiles(AllChem.FragmentOnBRICSBonds(molecule)).split("."))
    return counts


def scaffold_counts(smiles: Sequence[str]) -> collections.Counter:
    """How often each Bemis-Murcko scaffold (ring systems and the linkers between them) occurs; acyclic molecules have none.

    Example: ``scaffold_counts(["CCc1ccccc1"]) == Counter({"c1ccccc1": 1})``
    """
    from rdkit.Chem.Scaffolds import MurckoScaffold

    Chem = _rdkit()
    counts: collections.Counter = collections.Counter()
    for molecule in _molecules("smiles", smiles):
        scaffold = Chem.MolToSmiles(MurckoScaffold.GetScaffoldForMol(molecule))
        if scaffold:
            counts[scaffold] += 1
    return counts


def fragment_similarity(generated: Sequence[str], reference) -> float:
    """MOSES Frag: cosine similarity of the BRICS-fragment count vectors of two sets of molecules (1 = same mix).

    ``reference`` is a list of SMILES or its ``fragment_counts`` (computed once for many calls). Example: ``fragment_similarity(["CCOc1ccccc1"], ["CCOc1ccccc1"]) == 1.0``
    """
    return _cosine(fragment_counts(generated), reference if isinstance(reference, collections.Counter) else fragment_counts(reference))


def scaffold_similarity(generated: Sequence[str], reference) -> float:
    """MOSES Scaf: cosine similarity of the Bemis-Murcko scaffold count vectors (0 when one side has no ring).

    ``reference`` is a list of SMILES or its ``scaffold_counts``. Example: ``scaffold_similarity(["Cc1ccccc1"], ["Oc1ccccc1"]) == 1.0`` (both are benzene on a stick)
    """
    return _cosine(scaffold_counts(generated), reference if isinstance(reference, collections.Counter) else scaffold_counts(reference))


def property_distance(values_a, values_b) -> float:
    """MOSES's property metric: the 1-D Wasserstein (earth mover's) distance between two samples of a property.

    Example: ``property_distance([0.1, 0.2], [0.2, 0.3])`` is 0.1
    """
    from scipy.stats import wasserstein_distance

    a = _checks.as_array("values_a", values_a, ndim=1, min_len=1)
    b = _checks.as_array("values_b", values_b, ndim=1, min_len=1)
    return float(wasserstein_distance(a, b))
