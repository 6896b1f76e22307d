"""Tests for utils.text (vocabulary, windows, sampling, baselines, char-RNN), the notebook 08/09
checkers, and quick overfitting checks of the RNN and a tiny transformer."""

import math

import numpy as np
import pytest

from utils import data, text

# ----------------------------------------------------------------------------- vocabulary and data

def test_vocab_round_trip_and_order():
    vocab = text.CharVocab.from_text("hello world")
    assert vocab.chars == sorted(set("hello world"))
    ids = vocab.encode("hello")
    assert ids.dtype == np.int32 and vocab.decode(ids) == "hello"
    assert vocab.decode([]) == ""
    assert len(text.CharVocab.from_text(["ab", "bc"])) == 3


def test_vocab_bad_inputs():
    vocab = text.CharVocab.from_text("abc")
    with pytest.raises(ValueError, match="'z'.*not in the vocabulary"):
        vocab.encode("abz")
    with pytest.raises(TypeError, match="text must be a str"):
        vocab.encode(123)
    with pytest.raises(ValueError, match="ids must be in"):
        vocab.decode([0, 5])
    with pytest.raises(ValueError, match="empty"):
        text.CharVocab.from_text("")
    with pytest.raises(ValueError, match="repeat"):
        text.CharVocab(["a", "a"])
    with pytest.raises(TypeError, match="single characters"):
        text.CharVocab(["ab"])


def test_shakespeare_split_is_positional_without_overlap():
    split = data.load_shakespeare()
    assert len(split.train) > 1_000_000 and len(split.validation) > 100_000
    assert split.train.endswith("\n")  # cut at a line boundary
    vocab = text.CharVocab.from_text(split.train)
    vocab.encode(split.validation)  # every validation character is known
    rng = np.random.default_rng(0)
    for start in rng.integers(0, len(split.validation) - 200, 20):
        snippet = split.validation[start:start + 200]
        assert snippet not in split.train


def test_names_split_has_no_overlap():
    names = data.load_first_names()
    assert not set(names.train) & set(names.validation)
    stream = text.names_to_stream(names.train[:3])
    assert stream.startswith(".") and stream.endswith(".") and stream.count(".") == 4
    with pytest.raises(ValueError, match="boundary"):
        text.names_to_stream(["a.b"])
    with pytest.raises(TypeError):
        text.names_to_stream("anna")


def test_windowed_dataset_targets_are_shifted_inputs():
    ids = np.arange(200, dtype="int32") % 50
    dataset = text.windowed_dataset(ids, seq_length=9, batch_size=4, shuffle=False, repeat=False)
    batches = list(dataset)
    assert len(batches) == 20 // 4
    inputs, targets = (t.numpy() for t in batches[0])
    assert inputs.shape == (4, 9) and targets.shape == (4, 9)
    np.testing.assert_array_equal(inputs[:, 1:], targets[:, :-1])
    np.testing.assert_array_equal(inputs[0], ids[:9])
    with pytest.raises(ValueError, match="fewer than one batch"):
        text.windowed_dataset(ids[:30], seq_length=9, batch_size=4)
    with pytest.raises(ValueError, match="seq_length"):
        text.windowed_dataset(ids, seq_length=0, batch_size=4)


# ----------------------------------------------------------------------------- sampling

def test_greedy_and_top_k_on_known_logits():
    logits = np.array([1.0, 3.0, 2.0, 0.0])
    assert text.greedy(logits) == 1
    np.testing.assert_array_equal(text.greedy(np.stack([logits, -logits])), [1, 3])
    filtered = text.top_k_filter(logits, 2)
    np.testing.assert_array_equal(np.isfinite(filtered), [False, True, True, False])
    np.testing.assert_array_equal(text.top_k_filter(logits, 10), logits)
    ties = text.top_k_filter(np.zeros(5), 2)
    assert np.isfinite(ties).sum() == 2  # exactly k even with ties


def test_top_p_on_known_distribution():
    logits = np.log([0.5, 0.3, 0.15, 0.05])
    kept = lambda p: np.isfinite(text.top_p_filter(logits, p)).tolist()  # noqa: E731
    assert kept(0.4) == [True, False, False, False]
    assert kept(0.7) == [True, True, False, False]
    assert kept(0.8) == [True, True, False, False]
    assert kept(0.81) == [True, True, True, False]
    assert kept(1.0) == [True, True, True, True]
    shuffled = np.log([0.05, 0.3, 0.5, 0.15])
    assert np.isfinite(text.top_p_filter(shuffled, 0.7)).tolist() == [False, True, True, False]


def test_sample_respects_top_k_and_top_p_and_temperature():
    rng = np.random.default_rng(0)
    logits = np.log([0.4, 0.3, 0.2, 0.1])
    draws = text.sample(np.tile(logits, (4000, 1)), rng, top_k=2)
    assert set(np.unique(draws)) == {0, 1}
    assert abs(np.mean(draws == 0) - 0.4 / 0.7) < 0.03  # renormalised over the kept ids
    draws = text.sample(np.tile(logits, (4000, 1)), rng, top_p=0.85)
    assert set(np.unique(draws)) == {0, 1, 2}
    draws = text.sample(np.tile(logits, (4000, 1)), rng)
    assert abs(np.mean(draws == 3) - 0.1) < 0.02
    assert text.sample(logits, rng, temperature=0.0) == 0
    cold = text.sample(np.tile(logits, (2000, 1)), rng, temperature=0.1)
    assert np.mean(cold == 0) > 0.9
    assert isinstance(text.sample(logits, rng), int)


def test_sampling_bad_inputs():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="k must be"):
        text.top_k_filter([1.0, 2.0], 0)
    with pytest.raises(ValueError, match="p must be"):
        text.top_p_filter([1.0, 2.0], 0.0)
    with pytest.raises(ValueError, match="p must be"):
        text.top_p_filter([1.0, 2.0], 1.5)
    with pytest.raises(ValueError, match="temperature"):
        text.sample([1.0, 2.0], rng, temperature=-1)
    with pytest.raises(TypeError, match="rng"):
        text.sample([1.0, 2.0], 0)
    with pytest.raises(ValueError, match="NaN"):
        text.sample([1.0, float("nan")], rng)
    with pytest.raises(ValueError, match="dimensions"):
        text.greedy(np.zeros((2, 2, 2)))


# ----------------------------------------------------------------------------- baselines and metrics

def test_bigram_bits_per_char():
    periodic = np.array([0, 1, 2] * 200)
    assert text.bigram_bits_per_char(periodic, periodic, 3, alpha=1e-6) < 0.01
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 4, 20000)
    assert abs(text.bigram_bits_per_char(noise, rng.integers(0, 4, 5000), 4) - 2.0) < 0.02
    with pytest.raises(ValueError, match="eval_ids must be ids"):
        text.bigram_bits_per_char(periodic, np.array([0, 7]), 3)
    with pytest.raises(ValueError, match="vocab_size"):
        text.bigram_bits_per_char(periodic, periodic, 0)
    with pytest.raises(TypeError, match="integer ids"):
        text.bigram_bits_per_char(periodic.astype("float32"), periodic, 3)


def test_evaluate_bits_per_char_of_uniform_model():
    import tensorflow as tf

    vocab_size = 16

    class UniformModel:
        def __call__(self, ids, training=False):
            return tf.zeros(tf.concat([tf.shape(ids), [vocab_size]], axis=0))

    uniform_model = UniformModel()
    ids = np.random.default_rng(0).integers(0, vocab_size, 1001)
    assert math.isclose(text.evaluate_bits_per_char(uniform_model, ids, seq_length=50, batch_size=8), 4.0, rel_tol=1e-5)
    with pytest.raises(ValueError, match="more than seq_length"):
        text.evaluate_bits_per_char(uniform_model, ids[:10], seq_length=50)


# ----------------------------------------------------------------------------- n-gram count model and mixtures

def test_ngram_distributions_sum_to_one_and_match_targets():
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 6, 3000)
    ngram = text.NGramModel.fit(ids, 6, order=4)
    assert "order=4" in repr(ngram)
    for context in ([], np.array([], dtype="int64"), [1], [5, 5, 5, 5, 5, 5], ids[:50]):
        probs = ngram.next_distribution(context)
        assert probs.shape == (6,) and np.all(probs > 0) and math.isclose(probs.sum(), 1.0, rel_tol=1e-9)
    log_probs = ngram.window_log_probs(ids[:501], seq_length=10)
    assert log_probs.shape == (500, 6)
    np.testing.assert_allclose(np.exp(log_probs).sum(axis=1), 1.0, rtol=1e-9)
    targets = text.window_targets(ids[:501], seq_length=10)
    np.testing.assert_allclose(np.exp(log_probs[np.arange(500), targets]), ngram.target_probabilities(ids[:501], seq_length=10))
    assert math.isclose(ngram.bits_per_char(ids[:501], seq_length=10), text.log_probs_bits_per_char(log_probs, targets))


def test_ngram_context_stays_inside_each_window():
    ids = np.random.default_rng(1).integers(0, 5, 2000)
    ngram = text.NGramModel.fit(ids, 5, order=4)
    seq_length = 10
    probs = ngram.target_probabilities(ids[:201], seq_length=seq_length)
    for window in (0, 3, 19):
        for offset in (1, 2, 3, 4, 10):
            start = window * seq_length
            context = ids[start + max(0, offset - 3):start + offset]  # at most order-1 = 3 ids, never before the window
            expected = ngram.next_distribution(context)[ids[start + offset]]
            assert math.isclose(probs[window * seq_length + offset - 1], expected, rel_tol=1e-12)


def test_ngram_learns_structure_and_stays_honest_on_noise():
    periodic = np.array([0, 1, 2, 3] * 500)
    assert text.NGramModel.fit(periodic, 4, order=3).bits_per_char(periodic, seq_length=50) < 0.2
    rng = np.random.default_rng(0)
    noise_model = text.NGramModel.fit(rng.integers(0, 4, 20000), 4, order=3)
    assert abs(noise_model.bits_per_char(rng.integers(0, 4, 5001), seq_length=100) - 2.0) < 0.05
    split = data.load_shakespeare(limit_chars=200_000)
    vocab = text.CharVocab.from_text(split.train)
    train, val = vocab.encode(split.train), vocab.encode(split.validation)
    five_gram = text.NGramModel.fit(train, vocab.size, order=5).bits_per_char(val)
    assert five_gram < text.bigram_bits_per_char(train, val, vocab.size) - 0.3


def test_ngram_bad_inputs():
    ids = np.array([0, 1, 2, 1, 0] * 10)
    with pytest.raises(ValueError, match="order <= 9"):
        text.NGramModel.fit(ids, 100, order=10)
    with pytest.raises(ValueError, match=r"ids must be ids in \[0, 1\]"):
        text.NGramModel.fit(ids, 2)
    with pytest.raises(TypeError, match="integer ids"):
        text.NGramModel.fit(ids.astype("float32"), 3)
    with pytest.raises(ValueError, match="at least 6"):
        text.NGramModel.fit(ids[:3], 3, order=6)
    ngram = text.NGramModel.fit(ids, 3, order=3)
    with pytest.raises(ValueError, match="more than seq_length"):
        ngram.window_log_probs(ids[:10], seq_length=20)
    with pytest.raises(ValueError, match="context must be ids"):
        ngram.next_distribution([0, 5])


def test_model_log_probs_and_window_targets_follow_evaluate_bits_per_char():
    import tensorflow as tf

    class UniformModel:
        def __call__(self, ids, training=False):
            return tf.zeros(tf.concat([tf.shape(ids), [8]], axis=0))

    ids = np.random.default_rng(0).integers(0, 8, 1005)
    log_probs = text.model_log_probs(UniformModel(), ids, seq_length=50, batch_size=7)
    targets = text.window_targets(ids, seq_length=50)
    assert log_probs.shape == (1000, 8) and targets.shape == (1000,)
    np.testing.assert_array_equal(targets[:50], ids[1:51])
    assert math.isclose(text.log_probs_bits_per_char(log_probs, targets), 3.0, rel_tol=1e-6)
    with pytest.raises(ValueError, match="more than seq_length"):
        text.window_targets(ids[:20], seq_length=50)


def _complementary_experts(num_rows=4000, vocab_size=5, seed=0):
    """Expert A is sure of the target on even rows, B on odd rows; each is uniform elsewhere."""
    rng = np.random.default_rng(seed)
    targets = rng.integers(0, vocab_size, num_rows)
    sure = np.full((num_rows, vocab_size), 0.1 / (vocab_size - 1))
    sure[np.arange(num_rows), targets] = 0.9
    uniform = np.full((num_rows, vocab_size), 1.0 / vocab_size)
    even = (np.arange(num_rows) % 2 == 0)[:, None]
    return np.log(np.where(even, sure, uniform)), np.log(np.where(even, uniform, sure)), targets


def test_log_linear_mixture_beats_both_experts():
    expert_a, expert_b, targets = _complementary_experts()
    alone = [text.log_probs_bits_per_char(e, targets) for e in (expert_a, expert_b)]
    weights = text.fit_mixture_weights([expert_a, expert_b], targets)
    assert weights.shape == (2,) and np.all(weights >= 1.0)
    mixed = text.mix_log_probs([expert_a, expert_b], weights)
    np.testing.assert_allclose(np.exp(mixed).sum(axis=1), 1.0, rtol=1e-9)
    assert text.log_probs_bits_per_char(mixed, targets) < 0.2 < min(alone)
    np.testing.assert_allclose(text.mix_log_probs([expert_a, expert_b], [1.0, 0.0]), expert_a, atol=1e-12)


def test_mixture_bad_inputs():
    expert_a, expert_b, targets = _complementary_experts(num_rows=10)
    with pytest.raises(TypeError, match="list of"):
        text.mix_log_probs(expert_a, [1.0])
    with pytest.raises(ValueError, match="same characters"):
        text.mix_log_probs([expert_a, expert_b[:5]], [0.5, 0.5])
    with pytest.raises(ValueError, match="not logits"):
        text.mix_log_probs([expert_a, expert_b + 3.0], [0.5, 0.5])
    with pytest.raises(ValueError, match="weights has 1"):
        text.mix_log_probs([expert_a, expert_b], [0.5])
    with pytest.raises(ValueError, match="targets has 9"):
        text.fit_mixture_weights([expert_a, expert_b], targets[:9])
    with pytest.raises(ValueError, match="targets must be ids"):
        text.log_probs_bits_per_char(expert_a, targets + 10)


def test_name_quality():
    quality = text.name_quality(["anna", "zorblat", "xxxq", "anna"], ["anna", "bob"])
    assert quality["novel"] == 0.5 and quality["well_formed"] == 0.75 and quality["unique"] == 0.75
    assert quality["novel_and_well_formed"] == 0.25
    assert not text.is_well_formed_name("a") and not text.is_well_formed_name("bbbcd") and text.is_well_formed_name("maria")
    with pytest.raises(ValueError):
        text.name_quality([], ["anna"])


def test_cosine_learning_rate():
    assert text.cosine_learning_rate(0.0, 1.0, 0.1, 0.1) == 0.0
    assert math.isclose(text.cosine_learning_rate(0.1, 1.0, 0.1, 0.1), 1.0)
    assert math.isclose(text.cosine_learning_rate(1.0, 1.0, 0.1, 0.1), 0.1)
    assert text.cosine_learning_rate(0.5, 1.0, 0.0) == pytest.approx(0.5)


# ----------------------------------------------------------------------------- models overfit a short string

SHORT_TEXT = "to be or not to be, that is the question. " * 4


def _short_windows(seq_length=24, batch_size=8):
    vocab = text.CharVocab.from_text(SHORT_TEXT)
    ids = vocab.encode(SHORT_TEXT)
    starts = np.arange(batch_size) * 5
    windows = np.stack([ids[s:s + seq_length + 1] for s in starts]).astype("int32")
    return vocab, windows[:, :-1], windows[:, 1:]


def test_char_rnn_overfits_a_short_string():
    import keras

    vocab, inputs, targets = _short_windows()
    model = text.build_char_rnn(vocab.size, embedding_dim=16, units=64, seed=0)
    step = text.make_train_step(model, keras.optimizers.Adam(1e-2), clip_norm=1.0)
    losses = [float(step(inputs, targets)[0]) for _ in range(40)]
    assert losses[-1] < 0.3 * losses[0]
    logits, states = model(inputs[:1], return_state=True)
    assert logits.shape == (1, inputs.shape[1], vocab.size) and len(states) == 1
    continued = model(inputs[:1, :3], states=states, return_state=True)[0]
    assert continued.shape == (1, 3, vocab.size)
    with pytest.raises(ValueError, match="cell"):
        text.build_char_rnn(vocab.size, cell="rnn")


@pytest.mark.parametrize("order", [1, 2, 3, 5])
def test_ngram_fast_distributions_match_the_reference(order):
    """_log_probs_at (dense short contexts + contiguous key ranges) gives _probabilities' numbers."""
    rng = np.random.default_rng(order)
    ids = rng.integers(0, 7, 4000)
    ngram = text.NGramModel.fit(ids, 7, order=order)
    positions = rng.integers(0, 4000, 300)
    available = np.minimum(positions, rng.integers(0, order + 2, 300))
    fast = ngram._log_probs_at(ids, positions, available, chunk=64)
    for row in range(0, 300, 7):
        context = ids[positions[row] - available[row]:positions[row]]
        np.testing.assert_allclose(np.exp(fast[row]), ngram.next_distribution(context), rtol=1e-9)


def test_cross_fitted_windows_score_each_fold_without_it():
    ids = np.random.default_rng(0).integers(0, 5, 3000)
    windows, features = text.cross_fitted_windows(ids, 5, order=3, seq_length=9, folds=3)
    assert windows.shape == (300, 10) and windows.dtype == np.int32 and features.shape == (300, 9, 5)
    np.testing.assert_array_equal(windows.reshape(-1), ids[:3000])
    np.testing.assert_allclose(np.exp(features.astype("float64")).sum(axis=-1), 1.0, atol=2e-3)  # float16 log-probs
    held_out = text.NGramModel.fit(ids[1000:], 5, order=3)  # fold 0 = windows 0-99 = ids[:1000]
    expected = held_out.window_log_probs(np.concatenate([windows[7], [0]]), seq_length=9)  # window 7 alone, context inside it
    np.testing.assert_allclose(features[7].astype("float64"), expected.reshape(9, 5), atol=1e-2)
    everywhere = text.NGramModel.fit(ids, 5, order=3).window_log_probs(np.concatenate([windows[7], [0]]), seq_length=9)
    assert not np.allclose(features[7].astype("float64"), everywhere.reshape(9, 5), atol=1e-2)  # not the n-gram that saw it
    some, some_features = text.cross_fitted_windows(ids, 5, order=3, seq_length=9, folds=3, num_windows=4)
    assert some.shape == (4, 10) and some_features.shape == (4, 9, 5)
    np.testing.assert_array_equal(some[0], windows[0])
    np.testing.assert_array_equal(some[-1], windows[-1])


def test_cross_fitted_windows_and_batches_bad_inputs():
    ids = np.arange(50) % 4
    with pytest.raises(ValueError, match="folds"):
        text.cross_fitted_windows(ids, 4, order=2, seq_length=9, folds=1)
    with pytest.raises(ValueError, match="only 5 windows"):
        text.cross_fitted_windows(ids, 4, order=2, seq_length=9, folds=8)
    with pytest.raises(ValueError, match=r"ids must be ids in \[0, 2\]"):
        text.cross_fitted_windows(ids, 3, order=2, seq_length=9, folds=2)
    windows, features = text.cross_fitted_windows(ids, 4, order=2, seq_length=9, folds=2)
    with pytest.raises(ValueError, match="pass the pair"):
        next(text.partner_batches(windows, features[:, :-1], 2))
    with pytest.raises(ValueError, match="larger than the 5 windows"):
        next(text.partner_batches(windows, features, 6))
    (inputs, batch_features), targets = next(text.partner_batches(windows, features, 2, seed=1))
    assert inputs.shape == (2, 9) and batch_features.shape == (2, 9, 4) and targets.shape == (2, 9)
    np.testing.assert_array_equal(inputs[:, 1:], targets[:, :-1])


def _copy_evidence_by_search(ids, vocab_size, lengths):
    """copy_evidence written the slow, obvious way: search every earlier position of the row."""
    out = np.zeros((*ids.shape, vocab_size, len(lengths)), dtype="float32")
    for b, row in enumerate(ids):
        for t in range(len(row)):
            for i, length in enumerate(lengths):
                for j in range(length - 1, t):
                    if list(row[j - length + 1:j + 1]) == list(row[t - length + 1:t + 1]):
                        out[b, t, row[j + 1], i] = 1.0
    return out


def test_copy_evidence_matches_a_direct_search():
    ids = np.random.default_rng(3).integers(0, 3, (4, 17)).astype("int32")
    for lengths in ((1, 2, 4), (3,), (1, 2, 3, 4, 6, 8)):
        np.testing.assert_array_equal(text.copy_evidence(ids, 3, lengths).numpy(), _copy_evidence_by_search(ids, 3, lengths))
    vocab = text.CharVocab.from_text("abcX")
    evidence = text.copy_evidence(vocab.encode("abcXabc")[None], vocab.size, (1, 3, 4)).numpy()[0]
    x = vocab.encode("X")[0]
    assert evidence[6, :, 0].nonzero()[0].tolist() == [x] and evidence[6, :, 1].nonzero()[0].tolist() == [x]  # "c", "abc" -> X
    assert not evidence[6, :, 2].any()  # "Xabc" never occurred before
    assert not evidence[:3].any()  # nothing has repeated yet


@pytest.mark.parametrize("lengths", [(), (2, 1), (0, 1), (1, 1), "123", (1.5,)])
def test_copy_evidence_bad_lengths(lengths):
    with pytest.raises(ValueError, match="lengths must be a tuple of increasing|at least one match length"):
        text.copy_evidence(np.zeros((1, 4), dtype="int32"), 3, lengths)


def test_copy_evidence_bad_ids():
    with pytest.raises(ValueError, match=r"\(batch, time\) tensor of integer ids"):
        text.copy_evidence(np.zeros(4, dtype="int32"), 3)
    with pytest.raises(ValueError, match=r"ids in \[0, 2\], got values in \[0, 3\]"):
        text.copy_evidence(np.array([[0, 3, 1]], dtype="int32"), 3)
    with pytest.raises(ValueError, match=r"\(batch, time\) tensor of integer ids"):
        text.copy_evidence(np.zeros((1, 4), dtype="float32"), 3)
    with pytest.raises(ValueError, match="copy_lengths must be"):
        text.build_partner_rnn(3, units=4, copy_lengths=(3, 2))


def test_partner_copy_expert_predicts_a_repeat():
    """With the other experts silenced and a copy weight switched on, the partner predicts what followed last time."""
    import tensorflow as tf

    vocab = text.CharVocab.from_text("abcdefgh")
    ids = vocab.encode("abcdefgh")
    ngram = text.NGramModel.fit(np.tile(ids, 5), vocab.size, order=1)  # a unigram: uniform over the 8 letters
    partner = text.build_partner_rnn(vocab.size, ngram, embedding_dim=8, units=16, copy_lengths=(1, 2), seed=0)
    for variable in (partner.head.kernel, partner.head.bias, partner.gate.kernel, partner.copy_gate.kernel):
        variable.assign(np.zeros(variable.shape))
    row = vocab.encode("hgbdahgb")[None]  # after the second "hgb" comes, by copying, "d"
    before = tf.nn.softmax(partner(row)).numpy()[0, -1]
    np.testing.assert_allclose(before, 1 / 8, atol=1e-5)  # copy weights start at 0: the n-gram alone
    partner.copy_weights.assign([0.0, 3.0])
    after = tf.nn.softmax(partner(row)).numpy()[0, -1]
    assert vocab.decode([after.argmax()]) == "d" and after.max() > 0.7
    np.testing.assert_allclose(tf.nn.softmax(partner(row)).numpy()[0, :2], 1 / 8, atol=1e-5)  # no repeat yet: unchanged
    plain = text.build_partner_rnn(vocab.size, ngram, embedding_dim=8, units=16, copy_lengths=(), seed=0)
    assert not hasattr(plain, "copy_weights") and plain(row).shape == (1, 8, vocab.size)


def test_partner_rnn_is_a_product_of_experts():
    """With its own head and gate weights at zero, the partner predicts exactly the n-gram's distribution."""
    import tensorflow as tf

    ids = np.random.default_rng(0).integers(0, 6, 2000)
    ngram = text.NGramModel.fit(ids, 6, order=3)
    partner = text.build_partner_rnn(6, ngram, embedding_dim=8, units=16, seed=0)
    windows = ids[:110].reshape(10, 11)[:, :-1].astype("int32")
    from_ids = partner(windows).numpy()
    np.testing.assert_allclose(from_ids, partner((windows, partner.window_log_probs(windows))).numpy(), rtol=1e-6)
    np.testing.assert_array_equal(partner.copy_weights.numpy(), 0.0)  # the copy expert starts silent
    for variable in (partner.head.kernel, partner.head.bias, partner.gate.kernel):  # the gate's bias stays: softplus(b) = 1
        variable.assign(np.zeros(variable.shape))
    log_probs = tf.nn.log_softmax(partner(windows)).numpy()
    expected = np.stack([ngram.window_log_probs(np.append(window, 0), seq_length=10) for window in windows])  # each window alone
    np.testing.assert_allclose(log_probs, expected, atol=1e-5)
    with pytest.raises(TypeError, match="NGramModel over the same 7 symbols"):
        text.build_partner_rnn(7, ngram, units=8)
    with pytest.raises(ValueError, match="has no ngram"):
        text.build_partner_rnn(6, units=8)(windows)
    for bad, error, message in ((windows[0], ValueError, "ids must have 2 dimension"), (windows + 6, ValueError, r"ids in \[0, 5\]"),
                                (windows.astype("float32"), TypeError, "must be integer ids"),
                                (windows[:, :0], ValueError, "at least one character per row")):
        with pytest.raises(error, match=message):
            partner.window_log_probs(bad)


def test_partner_rnn_overfits_a_short_string():
    import keras

    vocab, inputs, targets = _short_windows()
    ids = vocab.encode(SHORT_TEXT)
    ngram = text.NGramModel.fit(ids, vocab.size, order=2)
    partner = text.build_partner_rnn(vocab.size, ngram, embedding_dim=16, units=64, seed=0)
    features = partner.window_log_probs(inputs)
    step = text.make_train_step(partner, keras.optimizers.Adam(1e-2), clip_norm=1.0)
    losses = [float(step((inputs, features), targets)[0]) for _ in range(40)]
    assert losses[-1] < 0.3 * losses[0]
    logits, states = partner((inputs[:1], features[:1]), return_state=True)
    assert logits.shape == (1, inputs.shape[1], vocab.size) and len(states) == 1


def test_tiny_transformer_overfits_a_short_string():
    """A compact copy of notebook 09's GPT: embeddings, causal self-attention, MLP, residuals, layer norm."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(0)
    vocab, inputs, targets = _short_windows()
    dim, heads, length = 32, 2, inputs.shape[1]

    class TinyGPT(keras.Model):
        def __init__(self):
            super().__init__()
            self.tokens = keras.layers.Embedding(vocab.size, dim)
            self.positions = keras.layers.Embedding(length, dim)
            self.norm1, self.norm2, self.norm_out = (keras.layers.LayerNormalization() for _ in range(3))
            self.qkv = keras.layers.Dense(3 * dim)
            self.proj = keras.layers.Dense(dim)
            self.mlp = keras.Sequential([keras.layers.Dense(4 * dim, activation="gelu"), keras.layers.Dense(dim)])
            self.head = keras.layers.Dense(vocab.size)

        def call(self, ids):
            steps = tf.shape(ids)[1]
            x = self.tokens(ids) + self.positions(tf.range(steps))
            q, k, v = tf.split(self.qkv(self.norm1(x)), 3, axis=-1)
            split = lambda t: tf.transpose(tf.reshape(t, (tf.shape(t)[0], steps, heads, dim // heads)), (0, 2, 1, 3))  # noqa: E731
            q, k, v = split(q), split(k), split(v)
            scores = tf.matmul(q, k, transpose_b=True) / math.sqrt(dim // heads)
            causal = tf.linalg.band_part(tf.ones((steps, steps)), -1, 0)
            weights = tf.nn.softmax(tf.where(causal > 0, scores, -1e9))
            attended = tf.reshape(tf.transpose(weights @ v, (0, 2, 1, 3)), (tf.shape(ids)[0], steps, dim))
            x = x + self.proj(attended)
            x = x + self.mlp(self.norm2(x))
            return self.head(self.norm_out(x))

    model = TinyGPT()
    step = text.make_train_step(model, keras.optimizers.Adam(3e-3), clip_norm=1.0)
    losses = [float(step(inputs, targets)[0]) for _ in range(60)]
    assert losses[-1] < 0.3 * losses[0]


def test_score_windows_are_what_evaluation_scores():
    ids = np.arange(25) % 7
    windows = text.score_windows(ids, seq_length=6)
    assert windows.shape == (4, 7) and windows.dtype == np.int32
    np.testing.assert_array_equal(windows[1], ids[6:13])  # back to back: each window starts where the last one's targets end
    np.testing.assert_array_equal(windows[:, 1:].reshape(-1), text.window_targets(ids, seq_length=6))
    with pytest.raises(ValueError, match="needs more than seq_length=6 characters"):
        text.score_windows(ids[:6], seq_length=6)
    with pytest.raises(ValueError, match="ids must have 1 dimension"):
        text.score_windows(ids.reshape(5, 5), seq_length=2)
