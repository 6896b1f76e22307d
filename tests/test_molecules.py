"""utils.molecules (tokenisers, properties, the MOSES metrics) on hand-picked molecules with known answers,
and its MOSES loader on a small fixture."""

from __future__ import annotations

import collections
import pathlib

import numpy as np
import pytest

from utils import molecules as M

FIXTURE = pathlib.Path(__file__).parent / "data" / "moses"
ASPIRIN = "CC(=O)Oc1ccccc1C(=O)O"


# ----------------------------------------------------------------------------- tokenisers

@pytest.mark.parametrize("smiles", ["CCO", ASPIRIN, "ClC(Br)c1cc[nH]c1", "C[C@@H](N)C(=O)O", "c1ccc2c(c1)CC%10CC2.C%10",
                                    "O=[N+]([O-])c1ccccc1", "C/C=C/C", "CC#N"])
def test_smiles_tokens_round_trip(smiles):
    tokens = M.tokenize_smiles(smiles)
    assert "".join(tokens) == smiles


def test_smiles_tokens_keep_atoms_whole():
    assert M.tokenize_smiles("ClC(=O)[nH]1") == ["Cl", "C", "(", "=", "O", ")", "[nH]", "1"]
    assert M.tokenize_smiles("BrCC%12") == ["Br", "C", "C", "%12"]
    assert M.tokenize_smiles("[C@@H]") == ["[C@@H]"]


@pytest.mark.parametrize("bad", ["C[NH", "CC{O}", "CCé"])
def test_smiles_tokeniser_rejects_stray_characters(bad):
    with pytest.raises(ValueError, match="not part of any SMILES token"):
        M.tokenize_smiles(bad)


@pytest.mark.parametrize("smiles", ["CCO", ASPIRIN, "c1ccncc1", "C[C@@H](N)C(=O)O", "Brc1ccccc1"])
def test_selfies_round_trip_gives_the_same_molecule(smiles):
    selfies_string = M.smiles_to_selfies(smiles)
    assert "".join(M.tokenize_selfies(selfies_string)) == selfies_string
    assert M.canonical(M.selfies_to_smiles(selfies_string)) == M.canonical(smiles)


def test_any_selfies_symbols_decode_to_a_valid_molecule():
    rng = np.random.default_rng(0)
    alphabet = sorted({symbol for s in ["CCO", ASPIRIN, "c1ccncc1", "CC#N", "C1CC1"]
                       for symbol in M.tokenize_selfies(M.smiles_to_selfies(s))})
    for _ in range(50):
        random_string = "".join(rng.choice(alphabet, size=rng.integers(1, 30)))
        assert M.parse(M.selfies_to_smiles(random_string)) is not None


def test_selfies_errors():
    assert M.smiles_to_selfies("CCO") == "[C][C][O]"
    with pytest.raises(ValueError, match="not a valid SMILES"):
        M.smiles_to_selfies("C1CC")
    with pytest.raises(ValueError, match="not a sequence of SELFIES symbols"):
        M.tokenize_selfies("[C]C")
    with pytest.raises(TypeError, match="must be a str"):
        M.tokenize_selfies(["[C]"])


def test_token_vocab_round_trip_and_errors():
    sequences = [M.tokenize_smiles(s) for s in ["CCO", "ClCBr", ASPIRIN]]
    vocab = M.TokenVocab.from_sequences(sequences)
    assert vocab.tokens[:3] == [M.PAD, M.BOS, M.EOS] and vocab.size == 3 + len({t for s in sequences for t in s})
    ids = vocab.encode(sequences)
    assert ids.shape == (3, len(sequences[2]) + 2) and ids.dtype == np.int32
    assert ids[0, 0] == 1 and ids[0, 4] == 2 and ids[0, 5:].tolist() == [0] * (ids.shape[1] - 5)
    assert [vocab.decode(row) for row in ids] == ["CCO", "ClCBr", ASPIRIN]
    assert vocab.decode(ids[0, 1:]) == "CCO"  # without <bos>
    assert vocab.decode([]) == ""
    with pytest.raises(ValueError, match="not in the vocabulary"):
        vocab.encode([["C", "[Se]"]])
    with pytest.raises(ValueError, match="raise length"):
        vocab.encode(sequences, length=4)
    with pytest.raises(TypeError, match="plain string"):
        vocab.encode(["CCO"])
    with pytest.raises(ValueError, match=r"ids must be in \[0"):
        vocab.decode([1, 99])
    with pytest.raises(ValueError, match="must be a non-empty str"):
        M.TokenVocab(["C", M.EOS])
    with pytest.raises(ValueError, match="empty"):
        M.TokenVocab([])


# ----------------------------------------------------------------------------- parsing and properties

def test_parse_and_canonical():
    assert M.parse("c1ccccc1O") is not None
    assert M.parse("c1ccccc") is None  # unclosed ring
    assert M.parse("C(C") is None  # unclosed branch
    assert M.parse("C=C=C=C(=C)(=C)=C") is None  # carbon with too many bonds
    assert M.parse("") is None
    assert M.canonical("OCC") == M.canonical("C(C)O") == "CCO"
    assert M.canonical("C1CC") is None
    with pytest.raises(TypeError, match="must be a str"):
        M.parse(None)


def test_known_properties():
    props = M.properties([ASPIRIN, "CCO"])
    assert props["QED"][0] == pytest.approx(0.550, abs=0.001)  # aspirin's QED (Bickerton et al.'s weights, RDKit)
    assert props["weight"][0] == pytest.approx(180.159, abs=0.01)
    assert props["logP"][0] == pytest.approx(1.310, abs=0.001)
    assert props["SA"][1] == pytest.approx(M.sa_score("CCO"))
    assert 1.0 <= props["SA"].min() and props["SA"].max() <= 10.0
    assert M.sa_score("CCO") < M.sa_score("C[C@H]1C[C@@]2(C)C(=O)C=C[C@@]2(C)[C@H]1O")  # stereocentres cost
    assert set(M.PROPERTY_NAMES) == set(props)


def test_lipinski():
    assert M.lipinski_violations(ASPIRIN) == 0
    long_chain = "C" * 40  # weight 563, logP ~15.6: two violations
    assert M.lipinski_violations(long_chain) == 2
    with pytest.raises(ValueError, match="not a valid molecule"):
        M.lipinski_violations("C1CC")


# ----------------------------------------------------------------------------- MOSES metrics

def test_validity_counts_invalid_strings():
    assert M.validity(["CCO", "C1CC", "", "c1ccccc1"]) == 0.5
    assert M.validity(["CCO"]) == 1.0
    with pytest.raises(ValueError, match="empty"):
        M.validity([])
    with pytest.raises(TypeError, match=r"generated\[1\] must be a str"):
        M.validity(["CCO", 3])
    with pytest.raises(TypeError, match="wrap it in a list"):
        M.validity("CCO")


def test_unique_at_k_compares_canonical_molecules_among_valid_ones():
    assert M.unique_at_k(["CCO", "OCC", "C"], 3) == pytest.approx(2 / 3)  # OCC is ethanol again
    assert M.unique_at_k(["CCO", "C1CC", "C", "CC"], 3) == 1.0  # the invalid string is skipped
    assert M.unique_at_k(["CCO", "CCO", "CC"], 2) == 0.5  # only the first k valid molecules count
    with pytest.raises(ValueError, match="needs 5 valid molecules, got 2"):
        M.unique_at_k(["CCO", "C1CC", "CC"], 5)
    with pytest.raises(ValueError, match="k must be an integer"):
        M.unique_at_k(["CCO"], 0)


def test_novelty():
    training = set(M.valid_smiles(["CCO", "c1ccccc1"]))
    assert M.novelty(["OCC", "CCN", "C1CC"], training) == 0.5  # ethanol is known (written differently), CCN is new
    assert M.novelty(["CCN", "NCC", "CCC"], training) == 1.0  # distinct molecules: CCN counted once
    assert M.novelty(["c1ccccc1"], ["c1ccccc1"]) == 0.0  # a list works too
    with pytest.raises(ValueError, match="at least one valid"):
        M.novelty(["C1CC"], training)


def test_tanimoto_matrix_known_values():
    a = np.array([[1, 1, 0, 0], [0, 0, 0, 0]])
    b = np.array([[1, 0, 1, 0], [1, 1, 0, 0], [0, 0, 0, 0]])
    expected = [[1 / 3, 1.0, 0.0], [0.0, 0.0, 1.0]]
    assert np.allclose(M.tanimoto_matrix(a, b, chunk=1), expected)
    with pytest.raises(ValueError, match="same number of bits"):
        M.tanimoto_matrix(a, b[:, :3])
    with pytest.raises(ValueError, match="0/1 bits"):
        M.tanimoto_matrix(a * 2, b)


def test_tanimoto_matches_rdkit():
    from rdkit import Chem, DataStructs
    from rdkit.Chem import rdFingerprintGenerator

    smiles = ["CCOc1ccccc1", "CCNc1ccccc1", ASPIRIN, "CN1CCCC1"]
    generator = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=1024)
    fps = [generator.GetFingerprint(Chem.MolFromSmiles(s)) for s in smiles]
    rdkit_matrix = [DataStructs.BulkTanimotoSimilarity(fp, fps) for fp in fps]
    fingerprints = M.morgan_fingerprints(smiles)
    assert fingerprints.shape == (4, 1024) and set(np.unique(fingerprints)) <= {0, 1}
    assert np.allclose(M.tanimoto_matrix(fingerprints, fingerprints), rdkit_matrix, atol=1e-6)


def test_internal_diversity_known_answers():
    assert M.internal_diversity(["CCO", "OCC"]) == 0.0  # one molecule twice
    t = float(M.tanimoto_matrix(*(M.morgan_fingerprints([s]) for s in ["CCOc1ccccc1", "CCNc1ccccc1"]))[0, 0])
    assert t == pytest.approx(0.36)
    # all four ordered pairs (i, j), the two self-pairs included: 1 - (1 + 1 + 2t) / 4 = (1 - t) / 2
    assert M.internal_diversity(["CCOc1ccccc1", "CCNc1ccccc1"]) == pytest.approx((1 - t) / 2)
    assert M.internal_diversity(["CCOc1ccccc1", "CCNc1ccccc1"], p=2) == pytest.approx(1 - np.sqrt((2 + 2 * t**2) / 4))
    with pytest.raises(ValueError, match="not a valid molecule"):
        M.internal_diversity(["CCO", "C1CC"])


def test_snn():
    assert M.snn(["CCO"], ["CCO", "c1ccccc1"]) == 1.0  # a copy of a reference molecule
    value = M.snn(["CCOc1ccccc1", ASPIRIN], ["CCNc1ccccc1", ASPIRIN])
    assert value == pytest.approx((0.36 + 1.0) / 2)
    with pytest.raises(ValueError, match=r"smiles\[0\] = 'C1CC' is not a valid molecule"):
        M.snn(["C1CC"], ["CCO"])


def test_fragment_and_scaffold_similarity():
    assert M.fragment_counts(["CCOC(=O)c1ccccc1"]) == collections.Counter(
        {"[1*]C([6*])=O": 1, "[16*]c1ccccc1": 1, "[3*]O[3*]": 1, "[4*]CC": 1})
    assert M.scaffold_counts(["CCc1ccccc1", "CCO", "c1ccc(Cc2ccncc2)cc1"]) == collections.Counter(
        {"c1ccccc1": 1, "c1ccc(Cc2ccncc2)cc1": 1})  # ethanol has no ring, so no scaffold
    assert M.fragment_similarity(["CCOc1ccccc1"], ["CCOc1ccccc1"]) == pytest.approx(1.0)
    assert M.scaffold_similarity(["Cc1ccccc1"], ["Oc1ccccc1"]) == pytest.approx(1.0)  # the same ring
    assert M.scaffold_similarity(["Cc1ccccc1"], ["CC1CCCCC1"]) == 0.0  # benzene vs cyclohexane
    assert M.scaffold_similarity(["CCO"], ["c1ccccc1"]) == 0.0  # no scaffold on one side
    # counts [1, 1] vs [1, 0] over (benzene, pyridine): cosine 1 / sqrt(2)
    assert M.scaffold_similarity(["Cc1ccccc1", "Cc1ccncc1"], ["Oc1ccccc1"]) == pytest.approx(1 / np.sqrt(2))


def test_property_distance():
    assert M.property_distance([0.1, 0.2], [0.2, 0.3]) == pytest.approx(0.1)
    assert M.property_distance([1.0, 2.0, 3.0], [3.0, 2.0, 1.0]) == 0.0
    with pytest.raises(ValueError, match="at least 1 items"):
        M.property_distance([], [1.0])
    with pytest.raises(ValueError, match="NaN"):
        M.property_distance([np.nan], [1.0])


def test_sa_scorer_is_loaded_from_the_rdkit_package():
    scorer = M._sascorer()
    assert pathlib.Path(scorer.__file__).parent.name == "SA_Score"
    assert (pathlib.Path(scorer.__file__).parent / "fpscores.pkl.gz").is_file()


# ----------------------------------------------------------------------------- the loader

def test_load_moses_fixture_subset_is_seeded():
    split = M.load_moses(4, 2, seed=3, directory=FIXTURE)
    assert len(split.train) == 4 and len(split.test) == 2
    assert split == M.load_moses(4, 2, seed=3, directory=FIXTURE)
    assert split != M.load_moses(4, 2, seed=4, directory=FIXTURE)
    everything = M.load_moses(None, None, directory=FIXTURE)
    assert len(everything.train) == 10 and everything.test[0] == "CCCO"
    assert set(split.train) <= set(everything.train)


def test_load_moses_errors(tmp_path):
    with pytest.raises(ValueError, match="more than the 10 molecules"):
        M.load_moses(11, 2, directory=FIXTURE)
    with pytest.raises(ValueError, match="num_train must be an integer"):
        M.load_moses(0, 2, directory=FIXTURE)
    with pytest.raises(TypeError, match="seed must be an int"):
        M.load_moses(2, 2, seed=1.5, directory=FIXTURE)
    with pytest.raises(FileNotFoundError, match="no file at"):
        M.load_moses(2, 2, directory=tmp_path)
    (tmp_path / "train.csv").write_text("smiles,x\nCCO,1\n")
    with pytest.raises(ValueError, match="header 'SMILES'"):
        M.read_smiles_csv(tmp_path / "train.csv")


def test_real_moses_files_are_there():
    split = M.load_moses(3, 3, seed=0)
    assert all(M.parse(s) is not None for s in split.train + split.test)


def test_precomputed_references_give_the_same_numbers():
    generated, reference = ["CCOc1ccccc1", ASPIRIN, "CCO"], ["CCNc1ccccc1", ASPIRIN, "Cc1ccncc1"]
    assert M.snn(generated, M.morgan_fingerprints(reference)) == M.snn(generated, reference)
    assert M.fragment_similarity(generated, M.fragment_counts(reference)) == M.fragment_similarity(generated, reference)
    assert M.scaffold_similarity(generated, M.scaffold_counts(reference)) == M.scaffold_similarity(generated, reference)
