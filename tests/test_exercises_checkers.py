"""Every exercise checker of the course's notebooks: one table per checker.

For each checker the notebook's own solution must pass, and every typical wrong answer in the checker's table must
fail with a message that names the mistake. Blank answers say "not attempted"; answers that raise, are not
functions, or return junk are reported without crashing the notebook.

Where each solution is run: every checker has a hidden cell tagged "solution" whose top-level statement
``assert ex.check_...(answer)`` runs the notebook's solution through it (checked here, without running it). That cell
runs twice elsewhere: at smoke size in CI, where nbval executes every code cell of every notebook and fails on an
exception; and at full size in the committed run, which tests/test_notebooks.py requires to be fresh (made from the
current notebook code and every utils module it imported, its checkers included) and free of errors. Running the
solutions a third time here (at full size, in this process) tested nothing those two runs do not. (It saved less CI
time than those tests took: they also trained the checkers' cached reference runs, which the wrong-answer tests
below now train.)
"""

from __future__ import annotations

import ast
import collections
import functools
import heapq
import inspect
import json
import math
import pathlib

import keras
import numpy as np
import pytest
import scipy.signal
import scipy.spatial.distance
import scipy.special
import scipy.stats
import tensorflow as tf

import utils
from utils import metrics
from utils.exercises import (
    nb00,
    nb01,
    nb02,
    nb03,
    nb04,
    nb05,
    nb06,
    nb07,
    nb08,
    nb09,
    nb10,
    nb11,
    nb12,
    nb13,
    nb14,
    nb15,
    nb16,
    nb17,
    nb18,
)

ROOT = pathlib.Path(__file__).resolve().parents[1]
MODULES = [nb00, nb01, nb02, nb03, nb04, nb05, nb06, nb07, nb08, nb09, nb10, nb11, nb12, nb13, nb14, nb15, nb16, nb17, nb18]
NOTEBOOKS = {module: next((ROOT / "notebooks").glob(f"{module.__name__[-2:]}_*.ipynb")) for module in MODULES}


def notebook_definitions(module, *, classes: bool = False) -> dict[str, object]:
    """Every top-level function (and with ``classes`` class) and literal UPPER_CASE constant of the notebook's code cells, as
    the notebook defines them (so that a solution calling, say, the notebook's ``e_step`` is tested with the notebook's own
    ``e_step``); they see the notebook's imports and its exercise module as ``ex``."""
    namespace: dict[str, object] = {"np": np, "tf": tf, "keras": keras, "utils": utils, "ex": module}
    cells = json.loads(NOTEBOOKS[module].read_text(encoding="utf-8"))["cells"]
    for cell in cells:
        if cell["cell_type"] != "code" or "solution" in cell.get("metadata", {}).get("tags", []):
            continue
        for statement in ast.parse("".join(cell["source"])).body:
            if isinstance(statement, ast.FunctionDef) or (classes and isinstance(statement, ast.ClassDef)):
                exec(compile(ast.Module([statement], []), str(NOTEBOOKS[module]), "exec"), namespace)  # noqa: S102
            elif (isinstance(statement, ast.Assign) and len(statement.targets) == 1 and isinstance(statement.targets[0], ast.Name)
                  and statement.targets[0].id.isupper()):
                try:
                    namespace[statement.targets[0].id] = ast.literal_eval(statement.value)
                except ValueError:
                    pass  # chosen per mode or computed: not needed by the solutions
    return namespace


# Names a solution cell reads from earlier cells of its notebook (the solution code itself comes from the notebook).
CONTEXT = {
    nb00: lambda: notebook_definitions(nb00),  # kde_log_density
    nb01: lambda: notebook_definitions(nb01),  # log_sum_exp, e_step, m_step, gmm_log_density, COVARIANCE_FLOOR
    nb04: lambda: {"NUM_CLASSES": 10},
    nb02: lambda: {"layers": keras.layers},  # the experiment's solution builds its model with layers
    nb03: lambda: {"layers": keras.layers, "reparameterize": utils.vae.reparameterize,  # the notebook checks that its own
                   "bernoulli_nll": utils.vae.bernoulli_nll},  # reparameterize and bernoulli_nll agree with utils.vae
    nb05: lambda: _nb05_context(),  # train_gan and its data, smoke-sized
    nb08: lambda: notebook_definitions(nb08),  # window_experiment, CLIP_NORM
    nb09: lambda: notebook_definitions(nb09, classes=True),  # mask_experiment, MiniGPT and what it uses
    nb10: lambda: {"layers": keras.layers},  # the experiment's solution builds its model with layers
    nb11: lambda: {**notebook_definitions(nb11, classes=True), "REST": -1},  # Block (the experiment's solution extends it), REST
    nb12: lambda: {"FRAME_LENGTH": 512, "FRAME_STEP": 128},  # the STFT settings of the notebook's Parameters cell
    nb15: lambda: {"L": utils.layouts},  # the notebook's short name for utils.layouts
    nb16: lambda: _nb16_context(),  # Chem (RDKit) and selfies, imported by the notebook
    nb17: lambda: {"collections": collections, "physics": utils.levels.Physics()},  # the agent's search uses both
    nb18: lambda: notebook_function(nb18, "pairwise_distances"),  # the solution of Exercise 1 uses the notebook's distances
}


def notebook_function(module, name: str) -> dict[str, object]:
    """One top-level function of the notebook's code cells, defined as the notebook defines it (for notebooks whose other
    functions have defaults chosen per mode, which ``notebook_definitions`` cannot evaluate)."""
    namespace: dict[str, object] = {"np": np, "tf": tf, "keras": keras, "utils": utils}
    for cell in json.loads(NOTEBOOKS[module].read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] == "code":
            for statement in ast.parse("".join(cell["source"])).body:
                if isinstance(statement, ast.FunctionDef) and statement.name == name:
                    exec(compile(ast.Module([statement], []), str(NOTEBOOKS[module]), "exec"), namespace)  # noqa: S102
                    return {name: namespace[name]}
    raise LookupError(f"{NOTEBOOKS[module].name} defines no function {name!r}")


def _nb16_context() -> dict[str, object]:
    import selfies
    from rdkit import Chem

    return {"Chem": Chem, "selfies": selfies}


def _nb05_context() -> dict[str, object]:
    """Notebook 05's functions (train_gan...) with the globals they read, as in smoke mode."""
    namespace = notebook_definitions(nb05)  # the functions' own globals: fill in what the Parameters and data cells define
    namespace.update(keras=keras, layers=keras.layers, tf=tf, utils=utils, NUM_STEPS=20, NUM_CHUNKS=2, NUM_EVAL=200)
    namespace["ring_points"], _ = utils.data.make_toy_2d("ring", 512, seed=0, noise=namespace["MODE_STD"])
    namespace["ring_modes"] = utils.data.toy_modes("ring")
    namespace["eval_noise"] = np.random.default_rng(1).standard_normal((200, namespace["LATENT_DIM"])).astype("float32")
    return namespace


@functools.cache
def notebook_solutions(module) -> dict[str, object]:
    """``{checker name: answer}`` from the notebook's solution cells: each cell runs up to its ``assert ex.check_...(answer)``
    (the lines after it show results on the notebook's data and are skipped), then ``answer`` is evaluated."""
    cells = json.loads(NOTEBOOKS[module].read_text(encoding="utf-8"))["cells"]
    solutions = {}
    for cell in cells:
        if "solution" not in cell.get("metadata", {}).get("tags", []):
            continue
        tree = ast.parse("".join(cell["source"]))
        for index, statement in enumerate(tree.body):
            call = statement.test if isinstance(statement, ast.Assert) else None
            if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and ast.unparse(call.func.value) == "ex":
                namespace = {"np": np, "tf": tf, "keras": keras, "utils": utils, "ex": module, **CONTEXT.get(module, dict)()}
                exec(compile(ast.Module(tree.body[:index], []), str(NOTEBOOKS[module]), "exec"), namespace)  # noqa: S102
                solutions[call.func.attr] = eval(compile(ast.Expression(call.args[0]), "solution", "eval"), namespace)  # noqa: S307
                break
    return solutions


def _name(checker) -> str:
    return f"{checker.__module__[-4:]}.{checker.__name__}"


# ============================================================================ the tables: (mistake, wrong answer, phrase)
# ----------------------------------------------------------------------------- notebook 00


def _categorical(offset=0, side="right"):
    return lambda p, u: np.searchsorted(np.cumsum(p), u, side=side) + offset


def _transitions(sequence, num_states, *, pairs=None, smoothing=0.0, empty_row="uniform", normalise="rows"):
    sequence = np.asarray(sequence)
    current, following = pairs(sequence) if pairs else (sequence[:-1], sequence[1:])
    counts = np.zeros((num_states, num_states))
    np.add.at(counts, (current, following), 1)
    counts += smoothing
    if normalise == "none":
        return counts
    if normalise == "all":
        return counts / counts.sum()
    totals = counts.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        rows = counts / totals
    return np.where(totals > 0, rows, {"uniform": 1 / num_states, "zero": 0.0, "nan": np.nan}[empty_row])


def _shift(image, dx, dy, fill=0.0):
    shifted = np.full_like(image, fill)
    height, width = image.shape
    shifted[max(dy, 0): height + min(dy, 0), max(dx, 0): width + min(dx, 0)] = \
        image[max(-dy, 0): height - max(dy, 0), max(-dx, 0): width - max(dx, 0)]
    return shifted


TABLES = {
    nb00.check_sample_categorical: [
        ("returns the uniforms unchanged", lambda p, u: u, "integer indices"),
        ("searchsorted's default side='left'", _categorical(side="left"), "exactly equal to a cumulative sum"),
        ("off by one (+1)", _categorical(offset=1), "off by one"),
        ("off by one (-1)", _categorical(offset=-1), "off by one"),
        ("always the most likely index", lambda p, u: np.full(len(u), np.argmax(p)), "the mode, not a sample"),
        ("ignores the probabilities", lambda p, u: (np.asarray(u) * len(p)).astype(int), "probability is 0"),
        ("one index instead of one per u", lambda p, u: 2, "shape"),
    ],
    nb00.check_fit_transition_matrix: [
        ("empty row divides by zero", lambda s, n: _transitions(s, n, empty_row="nan"), "sums to 0"),
        ("raw counts", lambda s, n: _transitions(s, n, normalise="none"), "raw counts"),
        ("columns normalised (transposed)", lambda s, n: _transitions(s, n).T, "ROW"),
        ("empty row left at zero", lambda s, n: _transitions(s, n, empty_row="zero"), "uniform row"),
        ("pairs counted backwards", lambda s, n: _transitions(s, n, pairs=lambda q: (q[1:], q[:-1])), "wrong way round"),
        ("wrap-around pair (np.roll)", lambda s, n: _transitions(s, n, pairs=lambda q: (q, np.roll(q, -1))), "one pair too many"),
        ("whole matrix normalised", lambda s, n: _transitions(s, n, normalise="all"), "whole matrix sums to 1"),
        ("add-one smoothing", lambda s, n: _transitions(s, n, smoothing=1.0), "pseudo-count"),
        ("wrong shape", lambda s, n: _transitions(s, n)[:-1], "shape"),
    ],
    nb00.check_shift_image: [
        ("np.roll wraps around", lambda image, dx, dy: np.roll(np.roll(image, dy, axis=0), dx, axis=1), "wraps around"),
        ("moves the wrong way", lambda image, dx, dy: _shift(image, -dx, -dy), "wrong way"),
        ("dx and dy swapped", lambda image, dx, dy: _shift(image, dy, dx), "swapped dx and dy"),
        ("returns the image unchanged", lambda image, dx, dy: image, "did not move"),
        ("border filled with 1", lambda image, dx, dy: _shift(image, dx, dy, fill=1.0), "border must be 0"),
        ("transposed image", lambda image, dx, dy: _shift(image, dx, dy).T, "shape"),
    ],
    nb00.check_less_data_experiment: [
        ("all training points", lambda tr, va, te, bw: nb00.reference_less_data_experiment(tr, va, te, bw, fraction=1), "ALL"),
        ("bandwidth not chosen again", lambda tr, va, te, bw: (0.1, nb00.reference_kde_log_density(te, tr[: len(tr) // 10], 0.1).mean()),
         "kept the bandwidth"),
        ("bandwidth chosen on the training points", lambda tr, va, te, bw: nb00.reference_less_data_experiment(tr, va, te, bw, choose_on="train"),
         "narrowest bandwidth"),
        ("validation score reported", lambda tr, va, te, bw: (lambda h: (h, nb00.reference_kde_log_density(va, tr[: len(tr) // 10], h).mean()))(
            nb00.reference_less_data_experiment(tr, va, te, bw)[0]), "validation score"),
        ("total instead of mean", lambda tr, va, te, bw: (lambda h, s: (h, s * len(te)))(*nb00.reference_less_data_experiment(tr, va, te, bw)),
         "total"),
        ("bits instead of nats", lambda tr, va, te, bw: (lambda h, s: (h, s / math.log(2)))(*nb00.reference_less_data_experiment(tr, va, te, bw)),
         "bits"),
        ("only the bandwidth", lambda tr, va, te, bw: nb00.reference_less_data_experiment(tr, va, te, bw)[0], "pair"),
    ],
}

# ----------------------------------------------------------------------------- notebook 01


def _entropy(reshape=lambda p, t: p ** (1 / t), normalise=True, zero_log_zero="zero"):
    def entropy(p, t):
        rows = reshape(np.asarray(p, dtype="float64"), t)
        if normalise:
            rows = rows / rows.sum(axis=1, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = rows * np.log2(rows)
        return -np.sum(terms if zero_log_zero == "nan" else np.where(rows > 0, terms, 0.0), axis=1)
    return entropy


TABLES |= {
    nb01.check_bits_per_character: [
        ("nats", lambda p: -np.mean(np.log(p)), "nats"),
        ("sign", lambda p: np.mean(np.log2(p)), "sign"),
        ("total instead of mean", lambda p: -np.sum(np.log2(p)), "total"),
        ("log base 10", lambda p: -np.mean(np.log10(p)), "base 10"),
        ("perplexity", lambda p: 2 ** -np.mean(np.log2(p)), "perplexity"),
        ("weighted by p like an entropy", lambda p: -np.mean(p * np.log2(p)), "weights each term by p"),
        ("one value per character", lambda p: -np.log2(p), "one number"),
    ],
    nb01.check_entropy_at_temperature: [
        ("nats", lambda p, t: nb01.reference_entropy_at_temperature(p, t) * math.log(2), "nats"),
        ("0 log 0 gives NaN", _entropy(zero_log_zero="nan"), "0 * log 0"),
        ("reversed: p ** T", lambda p, t: nb01.reference_entropy_at_temperature(p, 1 / t), "reversed"),
        ("temperature ignored", lambda p, t: nb01.reference_entropy_at_temperature(p, 1.0), "did not change"),
        ("not renormalised", _entropy(normalise=False), "renormalised"),
        ("probabilities divided by T", _entropy(reshape=lambda p, t: p / t), "cancels out"),
        ("sign", lambda p, t: -nb01.reference_entropy_at_temperature(p, t), "sign"),
        ("log base 10", lambda p, t: nb01.reference_entropy_at_temperature(p, t) * math.log10(2), "base 10"),
        ("one number for all rows", lambda p, t: float(nb01.reference_entropy_at_temperature(p, t).sum()), "one entropy per row"),
    ],
    nb01.check_em_lower_bound: [
        ("entropy term missing", lambda lj, r: float((r * lj).sum(axis=1).mean()), "complete-data"),
        ("entropy subtracted", lambda lj, r: float((r * (lj + np.log(np.where(r > 0, r, 1.0)))).sum(axis=1).mean()), "ADDS"),
        ("0 log 0 gives NaN", lambda lj, r: float((r * (lj - np.log(r))).sum(axis=1).mean()), "0 * log 0"),
        ("log-likelihood whatever r", lambda lj, r: float(np.mean(np.logaddexp.reduce(lj, axis=1))), "log p(x) itself"),
        ("total instead of mean", lambda lj, r: nb01.reference_em_lower_bound(lj, r) * len(lj), "total"),
        ("bits", lambda lj, r: nb01.reference_em_lower_bound(lj, r) / math.log(2), "bits"),
        ("sign", lambda lj, r: -nb01.reference_em_lower_bound(lj, r), "sign"),
        ("not weighted by r", lambda lj, r: float(np.mean(np.where(r > 0, lj - np.log(np.where(r > 0, r, 1.0)), 0.0))), "without weighting"),
        ("one value per point", lambda lj, r: np.zeros(len(lj)), "one number"),
    ],
    nb01.check_mixture_experiment: [
        ("training score from the last E-step", lambda a, b, k, n: nb01.reference_mixture_experiment(a, b, k, n, score_before_m_step=True),
         "BEFORE the last M-step"),
        ("swapped", lambda a, b, k, n: nb01.reference_mixture_experiment(a, b, k, n)[::-1], "swapped"),
        ("training score twice", lambda a, b, k, n: (nb01.reference_mixture_experiment(a, b, k, n)[0],) * 2, "training score"),
        ("totals", lambda a, b, k, n: tuple(np.multiply(nb01.reference_mixture_experiment(a, b, k, n), (len(a), len(b)))), "totals"),
        ("bits", lambda a, b, k, n: tuple(np.divide(nb01.reference_mixture_experiment(a, b, k, n), math.log(2))), "bits"),
        ("number of components ignored", lambda a, b, k, n: nb01.reference_mixture_experiment(a, b, 2, n), "num_components"),
        ("one EM iteration", lambda a, b, k, n: nb01.reference_mixture_experiment(a, b, k, 1), "iterations"),
        ("one number", lambda a, b, k, n: nb01.reference_mixture_experiment(a, b, k, n)[1], "pair"),
    ],
}

# ----------------------------------------------------------------------------- notebook 02


def _roc(compare):
    return lambda normal, anomalous: float(np.mean(compare(np.asarray(anomalous)[:, None], np.asarray(normal)[None, :])))


def _pca(**mistake):
    return lambda train, test, k: nb02._pca_variant(train, test, k, **mistake)


def _denoiser(noise=None, **mistake):
    """A denoiser experiment with a typical mistake; its runs are the checker's cached reference runs (seconds each)."""
    return lambda train, noisy, clean, noise_std, epochs: nb02._denoise_reference(noise_std if noise is None else noise, **mistake)


TABLES |= {
    nb02.check_roc_auc: [
        ("ties left out", _roc(lambda a, n: a > n), "Ties count as one half"),
        ("ties counted as wins", _roc(lambda a, n: a >= n), "not as a whole win"),
        ("arguments swapped", lambda n, a: float(np.mean(np.asarray(n)[:, None] > np.asarray(a)[None, :])
                                                 + 0.5 * np.mean(np.asarray(n)[:, None] == np.asarray(a)[None, :])), "argument order"),
        ("count of pairs, not a probability", lambda n, a: float(np.sum(np.asarray(a)[:, None] > np.asarray(n)[None, :])
                                                                 + 0.5 * np.sum(np.asarray(a)[:, None] == np.asarray(n)[None, :])),
         "divide by the number of pairs"),
        ("one value per pair", lambda n, a: np.asarray(a)[:, None] > np.asarray(n)[None, :], "expected one number"),
    ],
    nb02.check_pca_reconstruct: [
        ("mean not added back", _pca(add_mean=False), "add the mean back"),
        ("not centred", _pca(centre="none"), "not centred"),
        ("test centred with its own mean", _pca(centre="own"), "OWN mean"),
        ("fitted on the test images", _pca(fit_on="test"), "fitted on the test images"),
        ("smallest components", _pca(which="bottom"), "SMALLEST variance"),
        ("codes instead of reconstructions", lambda train, test, k: nb02.reference_pca_reconstruct(train, test, k).reshape(len(test), -1)[:, :k],
         "look like the codes"),
        ("k hard-coded to 3", lambda train, test, k: nb02.reference_pca_reconstruct(train, test, 3), "num_components argument"),
    ],
    nb02.check_denoiser_experiment: [
        ("noisy target", _denoiser(target="noisy"), "target must be the clean batch"),
        ("scored on clean test inputs", _denoiser(test_inputs="clean"), "CLEAN test inputs"),
        ("compared with the noisy test images", _denoiser(compare_to="noisy"), "NOISY test images"),
        ("noise never added", _denoiser(noise=0.0), "never reaches the training inputs"),
        ("noise hard-coded to 0.5", _denoiser(noise=0.5), "never reaches the training inputs"),
        ("one error per test image", lambda train, noisy, clean, noise_std, epochs: np.zeros(len(clean)), "expected one number"),
    ],
}

# ----------------------------------------------------------------------------- notebook 03


def _kl(mq, lq, mp, lp):
    return 0.5 * np.sum(lp - lq + (np.exp(lq) + (mq - mp) ** 2) / np.exp(lp) - 1, axis=1)


def _monte_carlo(scale_of=lambda lv: np.exp(0.5 * lv), sign=1.0, reduce=np.sum, seeded=True, drop_two_pi=False):
    def estimate(mean, log_var, num_samples, seed):
        epsilon = np.random.default_rng(seed if seeded else None).standard_normal((num_samples, len(mean)))
        z = mean + scale_of(log_var) * epsilon
        log_q = reduce(-0.5 * (np.log(2 * np.pi) + log_var + epsilon**2), axis=1)
        log_p = reduce(-0.5 * ((0.0 if drop_two_pi else np.log(2 * np.pi)) + z**2), axis=1)
        return float(sign * np.mean(log_q - log_p))
    return estimate


def _iw(log_px, log_pz, log_qz, *, combine="log_mean_exp", signs=(1, 1, -1)):
    log_weights = signs[0] * np.asarray(log_px) + signs[1] * np.asarray(log_pz) + signs[2] * np.asarray(log_qz)
    if combine == "mean_log":
        return log_weights.mean(axis=0)
    if combine == "naive":
        return np.log(np.mean(np.exp(log_weights), axis=0))
    bound = nb03.reference_importance_weighted_bound(log_weights, 0 * log_weights, 0 * log_weights)
    return bound + np.log(len(log_weights)) if combine == "log_sum_exp" else bound


def _free_bits(free_bits=None, **mistake):
    """A free-bits experiment with a typical mistake; its runs are the checker's cached reference runs (seconds each)."""
    return lambda train, test, beta, fb, epochs: nb03._free_bits_reference(fb if free_bits is None else free_bits, **mistake)


TABLES |= {
    nb03.check_kl_diagonal_gaussians: [
        ("p ignored: always against N(0, I)", lambda mq, lq, mp, lp: 0.5 * np.sum(mq**2 + np.exp(lq) - lq - 1, axis=1), "q equal to p"),
        ("summed over the batch too", lambda *args: _kl(*args).sum(), "shape"),
        ("summed over the wrong axis", lambda mq, lq, mp, lp: 0.5 * np.sum(lp - lq + (np.exp(lq) + (mq - mp) ** 2) / np.exp(lp) - 1, axis=0),
         "shape"),
        ("reversed KL(p || q)", lambda mq, lq, mp, lp: _kl(mp, lp, mq, lq), "not symmetric"),
        ("factor 1/2 missing", lambda *args: 2 * _kl(*args), "factor 1/2"),
        ("mean over latent dimensions", lambda *args: _kl(*args) / 3, "SUM"),
        ("log-variances read as variances", lambda mq, lq, mp, lp: 0.5 * np.sum(np.log(lp) - np.log(lq) + (lq + (mq - mp) ** 2) / lp - 1, axis=1),
         "LOG-variances"),
    ],
    nb03.check_importance_weighted_bound: [
        ("mean of the log-weights (the ELBO)", lambda a, b, c: _iw(a, b, c, combine="mean_log"), "the ELBO again"),
        ("log-sum-exp without 1/K", lambda a, b, c: _iw(a, b, c, combine="log_sum_exp"), "divide the sum of weights by K"),
        ("exp underflows", lambda a, b, c: _iw(a, b, c, combine="naive"), "underflows"),
        ("log q added", lambda a, b, c: _iw(a, b, c, signs=(1, 1, 1)), "SUBTRACTED"),
        ("prior missing", lambda a, b, c: _iw(a, 0 * b, c), "prior term log p(z) is missing"),
        ("encoder density missing", lambda a, b, c: _iw(a, b, 0 * c), "log q(z | x) is missing"),
        ("reduced over the images", lambda a, b, c: _iw(a.T, b.T, c.T), "one bound per image"),
    ],
    nb03.check_monte_carlo_kl: [
        ("sign flipped", _monte_carlo(sign=-1.0), "flip the sign"),
        ("closed form instead of sampling", lambda m, lv, n, s: float(0.5 * np.sum(m**2 + np.exp(lv) - lv - 1)), "sample z from q"),
        ("std = exp(log_var)", _monte_carlo(scale_of=np.exp), "exp(log_var / 2)"),
        ("mean over dimensions", _monte_carlo(reduce=np.mean), "averaged over the latent dimensions"),
        ("2 pi only in one density", _monte_carlo(drop_two_pi=True), "log(2 pi)"),
        ("seed ignored", _monte_carlo(seeded=False), "same seed"),
        ("one value per sample", lambda m, lv, n, s: np.zeros(n), "one finite number"),
    ],
    nb03.check_free_bits_experiment: [
        ("floor on the total KL", _free_bits(floor="total"), "TOTAL KL"),
        ("cap (min) instead of floor", _free_bits(floor="cap"), "capped the KL"),
        ("beta on the reconstruction", _free_bits(kl_weight_on="reconstruction"), "beta multiplies the reconstruction"),
        ("free bits ignored", _free_bits(free_bits=0.0), "no effect"),
        ("free bits hard-coded to 0.5", _free_bits(free_bits=0.5), "no effect"),
        ("total KL instead of per dimension", lambda train, test, beta, fb, epochs: float(nb03._free_bits_reference(fb).sum()),
         "each of the 8 latent dimensions"),
    ],
}

# ----------------------------------------------------------------------------- notebook 04


def _class_in_z(fit="train", score="test", encode_with="own", space="codes", rule="class mean", pick=np.argmin, result="share"):
    """Nearest-class-mean probes (encode, train_images, train_labels, test_images, test_labels) -> share, with Exercise 1's
    typical mistakes."""
    def probe(encode, train_images, train_labels, test_images, test_labels):
        def codes(images, labels):
            if space == "pixels":
                return np.asarray(images).reshape(len(images), -1)
            return np.asarray(encode(images, labels if encode_with == "own" else np.zeros_like(labels)))
        data = {"train": (codes(train_images, train_labels), train_labels), "test": (codes(test_images, test_labels), test_labels)}
        (fit_codes, fit_labels), (scored_codes, scored_labels) = data[fit], data[score]
        if rule == "nearest code":
            read = fit_labels[np.argmin(((scored_codes[:, None] - fit_codes[None]) ** 2).sum(-1), axis=1)]
        else:
            centres = np.stack([fit_codes[fit_labels == digit].mean(axis=0) for digit in range(10)])
            distances = ((scored_codes[:, None] - centres[None]) ** 2).sum(-1) if rule == "class mean" else \
                -(scored_codes @ centres.T) / np.linalg.norm(centres, axis=1)  # "cosine": no distance at all
            read = pick(distances, axis=1)
        share = float(np.mean(read == scored_labels))
        return {"share": share, "error": 1 - share, "count": share * len(scored_labels), "percent": 100 * share,
                "pair": (share, 1 - share)}[result]
    return probe


def _label_decoder(label_at="input", output="logits", z_in=True, final_conv=True, logit_scale=1.0):
    """Decoders (latent_dim, conv_filters, hidden_units) -> keras.Model with the typical mistakes of Exercise 3."""
    def build(latent_dim, conv_filters, hidden_units):
        layers = keras.layers
        z, labels = keras.Input((latent_dim,)), keras.Input((10,))
        parts = ([z] if z_in else []) + ([labels] if label_at == "input" else [])
        x = layers.Concatenate()(parts) if len(parts) > 1 else parts[0]
        x = layers.Dense(hidden_units, activation="relu")(x)
        x = layers.Reshape((7, 7, conv_filters[-1]))(layers.Dense(7 * 7 * conv_filters[-1], activation="relu")(x))
        for filters in reversed(conv_filters):
            x = layers.Conv2DTranspose(filters, 3, strides=2, padding="same", activation="relu")(x)
        if final_conv:
            x = layers.Conv2D(1, 3, padding="same")(x)
        if logit_scale != 1.0:
            x = layers.Rescaling(logit_scale)(x)
        if output == "sigmoid":
            x = layers.Activation("sigmoid")(x)
        return keras.Model([z, labels], x)
    return build


def _zero_label_decoder(latent_dim, conv_filters, hidden_units):
    """Another right answer: the notebook's decoder, always handed an all-zero label."""
    with_label = _label_decoder(label_at="input")(latent_dim, conv_filters, hidden_units)
    z, labels = keras.Input((latent_dim,)), keras.Input((10,))
    return keras.Model([z, labels], with_label([z, keras.layers.Rescaling(0.0)(labels)]))


def _constant_decoder(latent_dim, conv_filters, hidden_units):
    """Neither z nor the label reaches the output (everything multiplied by 0 at the input)."""
    z, labels = keras.Input((latent_dim,)), keras.Input((10,))
    x = keras.layers.Dense(7 * 7 * conv_filters[-1], activation="relu")(keras.layers.Rescaling(0.0)(z))
    x = keras.layers.Reshape((7, 7, conv_filters[-1]))(x)
    for filters in reversed(conv_filters):
        x = keras.layers.Conv2DTranspose(filters, 3, strides=2, padding="same", activation="relu")(x)
    return keras.Model([z, labels], keras.layers.Conv2D(1, 3, padding="same")(x))


def _narrow_decoder_without_label(latent_dim, conv_filters, hidden_units):
    """Label removed, but the dense layer is 1 unit wide: a different network."""
    return _label_decoder(label_at="none")(latent_dim, conv_filters, 1)


TABLES |= {
    nb04.check_class_in_z: [
        ("class means fitted on the held-out codes", _class_in_z(fit="test"), "fitted on the held-out codes"),
        ("scored on the training digits", _class_in_z(score="train"), "score the HELD-OUT digits"),
        ("encoded with one fixed label", _class_in_z(encode_with="zeros"), "one fixed label instead of their own"),
        ("pixels instead of codes", _class_in_z(space="pixels"), "classifies the PIXELS"),
        ("nearest single training code", _class_in_z(rule="nearest code"), "1-nearest-neighbour"),
        ("farthest class mean", _class_in_z(pick=np.argmax), "FARTHEST class mean"),
        ("error rate", _class_in_z(result="error"), "error rate"),
        ("a count", _class_in_z(result="count"), "that is a count"),
        ("a percentage", _class_in_z(result="percent"), "percentage"),
        ("largest dot product instead of the nearest mean", _class_in_z(rule="cosine"), "one mean code per class"),
        ("a pair", _class_in_z(result="pair"), "one number"),
    ],
    nb04.check_label_information: [
        ("bits", math.log2(10), "bits"),
        ("log base 10", 1.0, "log base 10"),
        ("number of classes", 10, "number of classes"),
        ("p(y)", 0.1, "p(y)"),
        ("sign flipped", -math.log(10), "sign is flipped"),
        ("per pixel", math.log(10) / 784, "per pixel"),
        ("no saving", 0.0, "does help"),
        ("a pair", (1.0, 2.0), "one number"),
    ],
    nb04.check_decoder_label_experiment: [
        ("label kept (the notebook's decoder)", _label_decoder(label_at="input"), "still changes with the label"),
        ("z removed instead of the label", _label_decoder(label_at="input", z_in=False), "still changes with the label"),
        ("nothing reaches the output", _constant_decoder, "ignores z as well"),
        ("sigmoid output", _label_decoder(label_at="none", output="sigmoid"), "return logits"),
        ("no final 1-filter convolution", _label_decoder(label_at="none", final_conv=False), "shape (batch, 28, 28, 1)"),
        ("a different network (1-unit dense layer)", _narrow_decoder_without_label, "a different network"),
        ("logits scaled by 1000 (trains a different model)", _label_decoder(label_at="none", logit_scale=1000.0),
         "reconstruction moved further"),
    ],
}

# ----------------------------------------------------------------------------- notebook 05


def _covered(factor=3.0, metric="euclidean", count="modes"):
    def count_covered(samples, modes, std):
        difference = samples[:, None, :] - modes[None, :, :]
        distance = {"euclidean": np.sqrt((difference**2).sum(-1)), "box": np.abs(difference).max(-1),
                    "squared": (difference**2).sum(-1)}[metric]
        good = distance.min(axis=1) <= factor * std
        covered = len(np.unique(distance.argmin(axis=1)[good]))
        return {"modes": covered, "samples": int(good.sum()), "fraction": covered / len(modes)}[count]
    return count_covered


def _points_like(coverage: dict, seed: int = 0):
    """Points that reproduce a coverage result's per-mode counts (at the ring's modes; the rest far from every mode)."""
    def experiment(_seed):
        modes = utils.data.toy_modes("ring")
        counts = np.asarray(coverage["per_mode"])
        placed = np.repeat(modes, counts, axis=0)
        far = np.full((nb05.EXPERIMENT["num_eval"] - len(placed), 2), 10.0)
        return np.concatenate([placed, far]) + 0.01 * np.random.default_rng(seed).standard_normal((nb05.EXPERIMENT["num_eval"], 2))
    return experiment


def _points_on_modes(indices):
    modes = utils.data.toy_modes("ring")
    return lambda points, noise, seed, steps: np.repeat(modes[list(indices)], nb05.EXPERIMENT["num_eval"] // len(indices), axis=0)


def _value_and_jsd(d_star=lambda p, q: p / (p + q), value_sign=1.0, value_reduce=np.sum, jsd_reduce=np.sum, halves=0.5,
                   mixture=lambda p, q: (p + q) / 2, jsd_terms="both"):
    """(V(D*, G), JSD) with the typical mistakes of Exercise 2 (no care for empty bins: 0 * log 0 gives NaN)."""
    def answer(p, q):
        with np.errstate(divide="ignore", invalid="ignore"):
            d = d_star(p, q)
            value = value_sign * (value_reduce(p * np.log(d)) + value_reduce(q * np.log(1 - d)))
            m = mixture(p, q)
            kl_p, kl_q = jsd_reduce(p * np.log(p / m)), jsd_reduce(q * np.log(q / m))
            symmetric = 0.5 * (jsd_reduce(p * np.log(p / q)) + jsd_reduce(q * np.log(q / p)))
            jsd = {"both": halves * (kl_p + kl_q), "first": kl_p, "symmetric": symmetric}[jsd_terms]
        return float(value), float(jsd)
    return answer


def _reference_pair(transform):
    return lambda p, q: transform(*nb05.reference_value_and_jsd(p, q))


def _train_each_reference_gan_once(train_gan):
    """The PacGAN checker's tests (solution, wrong answers, the full-size separation) reuse the same seeded reference runs,
    a few 3,000-step GAN trainings: train each once per test process, as ``nb10._reference_runs`` does in the module."""
    cached = functools.lru_cache(maxsize=None)(train_gan)

    @functools.wraps(train_gan)
    def train_once(**settings):
        if settings.get("num_steps") is None:  # the default, spelled out: one cache entry per run
            settings["num_steps"] = nb05.EXPERIMENT["num_steps"]
        return cached(**settings).copy()  # a copy: no caller can change what the next one gets

    return train_once


nb05.reference_train_gan = _train_each_reference_gan_once(nb05.reference_train_gan)

TABLES |= {
    nb05.check_pacgan_experiment: [
        ("no packing: the collapsed run", lambda points, noise, seed, steps: _points_like(nb05.reference_runs(seed)[1])(seed),
         "WITHOUT packing"),
        ("uniform noise", lambda points, noise, seed, steps: np.random.default_rng(seed).uniform(-2.2, 2.2, (2000, 2)), "spread-out noise"),
        ("the coverage dict", lambda points, noise, seed, steps: {"mass_covered": 0.8}, "expected the generated points"),
        ("points transposed", lambda points, noise, seed, steps: np.zeros((2, 2000)), "shape (N, 2)"),
        ("ten points", lambda points, noise, seed, steps: np.zeros((10, 2)), "N >= 100"),
        ("diverged", lambda points, noise, seed, steps: np.full((2000, 2), np.nan), "diverged"),
        ("two modes only", _points_on_modes([0, 4]), "differs from the reference run"),
    ],
    nb05.check_value_and_jsd: [
        ("0 log 0 gives NaN", _value_and_jsd(), "counts as 0"),
        ("V at D = 1/2", _value_and_jsd(d_star=lambda p, q: np.full_like(p, 0.5)), "V at D = 1/2"),
        ("D* swapped", _value_and_jsd(d_star=lambda p, q: q / (p + q)), "D* is swapped"),
        ("-V, the discriminator's loss", _value_and_jsd(value_sign=-1.0), "discriminator's loss"),
        ("mean over bins in V", _value_and_jsd(value_reduce=np.mean), "not a mean over the bins"),
        ("V = 2 JSD, the - log 4 forgotten", _reference_pair(lambda v, j: (2 * j, j)), "without the - log 4"),
        ("JSD in bits", _reference_pair(lambda v, j: (v, j / math.log(2))), "bits"),
        ("JSD without the halves", _value_and_jsd(halves=1.0), "halves are missing"),
        ("mixture is the sum", _value_and_jsd(mixture=lambda p, q: p + q), "AVERAGE"),
        ("only KL(p_data || m)", _value_and_jsd(jsd_terms="first"), "only KL(p_data || m)"),
        ("symmetrised KL", _value_and_jsd(jsd_terms="symmetric"), "symmetrised KL"),
        ("mean over bins in the KL", _value_and_jsd(jsd_reduce=np.mean), "not a mean over the bins"),
        ("pair swapped", _reference_pair(lambda v, j: (j, v)), "pair is swapped"),
        ("one number", lambda p, q: 0.5, "pair of numbers"),
    ],
    nb05.check_log_one_minus_d: [
        ("direct formula in float32", lambda z: np.log(1 - 1 / (1 + np.exp(-z))), "-inf or NaN at l = 17"),
        ("direct formula in float64", lambda z: np.log(1 - 1 / (1 + np.exp(-z.astype("float64")))), "-inf or NaN at l = 40"),
        ("-log(1 + exp(l)) overflows", lambda z: -np.log1p(np.exp(z.astype("float64"))), "exp overflows"),
        ("log D instead", lambda z: -np.logaddexp(0, -z.astype("float64")), "that is log D"),
        ("sign flipped", lambda z: np.logaddexp(0, z.astype("float64")), "sign is flipped"),
        ("max(l, 0) only", lambda z: -np.maximum(z, 0), "max(l, 0) alone"),
        ("1 - D clipped before the log",
         lambda z: np.log(np.clip(1 - 1 / (1 + np.exp(-np.clip(z.astype("float64"), -700, 700))), 1e-7, None)), "clipping"),
        ("exp capped", lambda z: -np.log1p(np.exp(np.minimum(z.astype("float64"), 80))), "wrong at l = 88, 100, 1000"),
        ("the mean", lambda z: float(np.mean(-np.logaddexp(0, z))), "one value per logit"),
    ],
    nb05.check_count_covered: [
        ("constant 0", lambda s, m, std: 0, "3 std"),
        ("14.9 for 14: a fraction of a mode", lambda s, m, std: metrics.mode_coverage(s, m, std)["modes_covered"] + 0.9, "whole number"),
        ("the result dict", lambda s, m, std: metrics.mode_coverage(s, m, std), "one number"),
        ("fraction of modes", _covered(count="fraction"), "fraction"),
        ("samples counted", _covered(count="samples"), "count the MODES"),
        ("within 1 std", _covered(factor=1.0), "not within std"),
        ("within 2 std", _covered(factor=2.0), "not within 2 * std"),
        ("per-coordinate distance", _covered(metric="box"), "Euclidean"),
        ("squared distance", _covered(metric="squared"), "SQUARED"),
    ],
}

# ----------------------------------------------------------------------------- notebook 06


def _initial_share(first=1, cap=True, combine=min, warm=True):
    def share(num_steps, decay, warmup):
        steps = np.arange(first, first + num_steps, dtype="float64")
        ramp = (1 + steps) / (10 + steps)
        decays = (np.array([combine(decay, r) for r in ramp]) if cap else ramp) if (warmup and warm) else np.full(num_steps, decay)
        return float(np.prod(decays))
    return share


def _fd(mean_power=2, cross="matrix", covariance="full", sign=-1, root=False):
    import scipy.linalg

    def distance(a, b):
        cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
        if covariance == "diagonal":
            cov_a, cov_b = np.diag(np.diag(cov_a)), np.diag(np.diag(cov_b))
        mean_term = np.linalg.norm(a.mean(axis=0) - b.mean(axis=0)) ** mean_power
        if cross == "none":
            value = mean_term + np.trace(cov_a + cov_b)
        elif cross == "elementwise":
            value = mean_term + np.trace(cov_a + cov_b) - 2 * np.sum(np.sqrt(np.abs(cov_a * cov_b)))
        else:
            value = mean_term + np.trace(cov_a + cov_b) + sign * 2 * np.trace(scipy.linalg.sqrtm(cov_a @ cov_b).real)
        return float(np.sqrt(value) if root else value)
    return distance


TABLES |= {
    nb06.check_ema_initial_share: [
        ("warm-up ignored", _initial_share(warm=False), "WITHOUT warm-up"),
        ("share of the new weights", lambda n, d, w: 1 - _initial_share()(n, d, w), "share of everything learnt since"),
        ("1 - decay multiplied", lambda n, d, w: (1 - d) ** n, "multiply the decays, not 1 - decay"),
        ("first update at t = 0", _initial_share(first=0), "off by one"),
        ("no cap", _initial_share(cap=False), "left out the cap"),
        ("max instead of min", _initial_share(combine=max), "max instead of min"),
        ("decays added", lambda n, d, w: d * n, "multiply, they do not add"),
        ("per-step decays returned", lambda n, d, w: np.full(n, d), "one number"),
    ],
    nb06.check_frechet_distance: [
        ("means only", lambda a, b: float(np.sum((a.mean(0) - b.mean(0)) ** 2)), "only the distance between the means"),
        ("no cross term", _fd(cross="none"), "cross term is missing"),
        ("element-wise square root", _fd(cross="elementwise"), "MATRIX square root"),
        ("variances only", _fd(covariance="diagonal"), "variances only"),
        ("square root taken", _fd(root=True), "do not take the root"),
        ("mean distance not squared", _fd(mean_power=1), "SQUARED distance"),
        ("cross term added", _fd(sign=+1), "sign of the cross term"),
        ("covariance of the rows", lambda a, b: float(np.trace(np.cov(a[:50]) + np.cov(b[:50]))), "expected"),
    ],
    nb06.check_warmup_experiment: [
        ("the warm-up schedule kept", nb06.reference_warmup_decay, "notebook's warm-up schedule"),
        ("1 - decay", lambda step: 1 - nb06.EXPERIMENT_DECAY, "share KEPT"),
        ("another constant decay", lambda step: 0.9, "is not the experiment's"),
        ("a decay above 1", lambda step: 1.5, "between 0 and 1"),
        ("a negative decay", lambda step: -nb06.EXPERIMENT_DECAY, "between 0 and 1"),
    ],
}

# ----------------------------------------------------------------------------- notebook 07


def _w1(pair=lambda x, y: (np.sort(x), np.sort(y)), distance=np.abs, reduce=np.mean):
    def wasserstein(x, y):
        a, b = pair(np.asarray(x, "float64"), np.asarray(y, "float64"))
        return float(reduce(distance(a - b)))
    return wasserstein


def _mix(alpha_of):
    """x_hat = alpha * real + (1 - alpha) * fake with alpha drawn by ``alpha_of(rng, real)``."""
    def points(real, fake, rng):
        alpha = alpha_of(rng, real)
        return alpha * real + (1 - alpha) * fake
    return points


TABLES |= {
    nb07.check_wasserstein_1d: [
        ("pairs in the given order", _w1(pair=lambda x, y: (x, y)), "order given"),
        ("only x sorted", _w1(pair=lambda x, y: (np.sort(x), y)), "not just x"),
        ("sorted in opposite directions", _w1(pair=lambda x, y: (np.sort(x), np.sort(y)[::-1])), "the same way"),
        ("squared distances", _w1(distance=np.square), "SQUARED"),
        ("W2", lambda x, y: float(np.sqrt(np.mean((np.sort(x) - np.sort(y)) ** 2))), "that is W2"),
        ("difference of the means", lambda x, y: abs(float(np.mean(x) - np.mean(y))), "best LINEAR critic"),
        ("signed differences", _w1(distance=lambda d: d), "absolute value"),
        ("largest distance", _w1(reduce=np.max), "largest matched distance"),
        ("total over the pairs", _w1(reduce=np.sum), "total over the pairs"),
        ("one distance per pair", lambda x, y: np.abs(np.sort(x) - np.sort(y)), "one number"),
    ],
    nb07.check_penalty_points: [
        ("one alpha per pixel", _mix(lambda rng, real: rng.uniform(size=real.shape)), "PER PIXEL"),
        ("one alpha for the batch", _mix(lambda rng, real: rng.uniform()), "shared by every image"),
        ("midpoints only", _mix(lambda rng, real: 0.5), "midpoints"),
        ("the real images", lambda real, fake, rng: real, "real image itself"),
        ("the fake images", lambda real, fake, rng: fake, "fake image itself"),
        ("normal alphas", _mix(lambda rng, real: rng.normal(size=(len(real), 1, 1, 1))), "outside the segment"),
        ("alphas in [0, 0.5]", _mix(lambda rng, real: rng.uniform(0, 0.5, size=(len(real), 1, 1, 1))), "not uniform"),
        ("rng ignored", _mix(lambda rng, real: np.random.default_rng().uniform(size=(len(real), 1, 1, 1))), "seeded the same way"),
        ("real + fake", lambda real, fake, rng: real + fake, "not of the form"),
        ("flattened", lambda real, fake, rng: _mix(lambda g, r: g.uniform(size=(len(r), 1, 1, 1)))(real, fake, rng).reshape(len(real), -1),
         "shape"),
    ],
    nb07.check_penalty_experiment: [
        ("unchanged weight", nb07.EXPERIMENT_GP_WEIGHT, "unchanged"),
        ("a stronger penalty", 10.0, "LARGER weight"),
        ("a weaker penalty", 0.01, "smaller weight still constrains"),
        ("a negative weight", -1.0, "REWARD steep critics"),
        ("two numbers", [0.0, 0.1], "one number"),
    ],
}

# ----------------------------------------------------------------------------- notebook 08


def _top_k(order=lambda logits: np.argsort(-logits, kind="stable"), count=lambda k: k, fill=-np.inf, probabilities=False):
    def top_k(logits, k):
        keep = order(logits)[:count(k)]
        filtered = np.full_like(logits, fill, dtype="float64")
        filtered[keep] = logits[keep]
        if probabilities:
            filtered = np.exp(filtered - filtered.max())
            filtered = np.where(np.isin(np.arange(len(logits)), keep), filtered / filtered.sum(), -np.inf)
        return filtered
    return top_k


def _bpc(axis=-1, stable=True, log=np.log2, reduce=np.mean, pick="rows", sign=-1.0):
    def bits(logits, targets):
        logits = np.asarray(logits, "float64")
        shifted = logits - logits.max(axis=axis, keepdims=True) if stable else logits
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))  # natural log
        log_probs = log_probs / np.log(2) if log is np.log2 else log_probs
        chosen = log_probs[np.arange(len(targets)), targets] if pick == "rows" else log_probs[:, targets]
        return float(sign * reduce(chosen))
    return bits


def _clip(norm_of=lambda gs: np.sqrt(sum(np.sum(g**2) for g in gs)), per_tensor=False, always=False, report_after=False):
    def clip(gradients, max_norm):
        norm = norm_of(gradients)
        if per_tensor:
            clipped = [g * min(1.0, max_norm / np.linalg.norm(g)) for g in gradients]
        else:
            clipped = [g * (max_norm / norm if always else min(1.0, max_norm / norm)) for g in gradients]
        return clipped, (np.sqrt(sum(np.sum(g**2) for g in clipped)) if report_after else norm)
    return clip


def _lstm(mistake=None):
    return lambda x, h, c, kernel, recurrent_kernel, bias: nb08.reference_lstm_step(x, h, c, kernel, recurrent_kernel, bias, mistake=mistake)


class _Measured:
    """A measurement the checker reads like a tensor (``.numpy()``), computed only then: training runs in the tests that need it."""

    def __init__(self, compute):
        self.compute = compute

    def numpy(self):
        return np.float64(self.compute())


def _window(window, score=lambda window: nb08.reference_window_experiment(window)):
    return (window, _Measured(lambda: score(window)))


TABLES |= {
    nb08.check_top_k: [
        ("keeps everything", lambda logits, k: logits, "exactly"),
        ("others set to 0, not -inf", _top_k(fill=0.0), "-np.inf"),
        ("k + 1 kept", _top_k(count=lambda k: k + 1), "exactly"),
        ("k - 1 kept", _top_k(count=lambda k: k - 1), "exactly"),
        ("k smallest kept", _top_k(order=lambda logits: np.argsort(logits, kind="stable")), "SMALLEST"),
        ("probabilities returned", _top_k(probabilities=True), "returned probabilities"),
        ("a string", lambda logits, k: "top", "expected an array"),
        ("raises", lambda logits, k: 1 / 0, "ZeroDivisionError"),
    ],
    nb08.check_bits_per_char: [
        ("nats", _bpc(log=np.log), "nats"),
        ("sign flipped", _bpc(sign=1.0), "sign is flipped"),
        ("total over positions", _bpc(reduce=np.sum), "total over positions"),
        ("softmax over the wrong axis", _bpc(axis=0), "wrong axis"),
        ("every row indexed with every target", _bpc(pick="all"), "log_probs[np.arange(N), targets]"),
        ("naive softmax overflows", _bpc(stable=False), "overflows"),
        ("one value per position", lambda logits, targets: np.zeros(len(targets)), "one number"),
    ],
    nb08.check_clip_by_global_norm: [
        ("element-wise np.clip", lambda gs, m: ([np.clip(g, -m, m) for g in gs], 5.0), "np.clip"),
        ("norms per tensor", lambda gs, m: (gs, [float(np.linalg.norm(g)) for g in gs]), "one norm per tensor"),
        ("norms added", _clip(norm_of=lambda gs: sum(float(np.linalg.norm(g)) for g in gs)), "added the per-tensor norms"),
        ("squared norm", _clip(norm_of=lambda gs: sum(np.sum(g**2) for g in gs)), "square root"),
        ("norm after clipping", _clip(report_after=True), "AFTER clipping"),
        ("each tensor clipped on its own", _clip(per_tensor=True), "each tensor by its own norm"),
        ("always rescaled to max_norm", _clip(always=True), "left unchanged"),
        ("only the clipped list", lambda gs, m: gs, "pair"),
    ],
    nb08.check_lstm_step: [
        ("input and forget gates swapped", _lstm("forget and input swapped"), "i, f, c, o"),
        ("no tanh on the cell state", _lstm("no tanh on the cell"), "tanh(c_t)"),
        ("sigmoid candidate", _lstm("sigmoid candidate"), "uses tanh"),
        ("input gate missing", _lstm("no input gate"), "input gate is missing"),
        ("forget gate missing", _lstm("no forget gate"), "forget gate is missing"),
        ("gates ignore h_(t-1)", _lstm("no recurrence"), "ignore h_{t-1}"),
        ("(c, h) returned", _lstm("returns (c, h)"), "order (h, c)"),
        ("only h returned", lambda x, h, c, kernel, recurrent_kernel, bias: _lstm()(x, h, c, kernel, recurrent_kernel, bias)[0], "pair (h, c)"),
    ],
    # value checker: the answer is (window, measured bits/char); reference runs are cached
    nb08.check_window_experiment: [
        ("window not shortened", _window(32), "SHORTENS"),
        ("a longer window", _window(64, score=lambda window: 3.0), "SHORTENS"),
        ("the default window's score", _window(2, score=lambda window: nb08.reference_window_experiment(32)), "default window"),
        ("nats", _window(2, score=lambda window: nb08.reference_window_experiment(window) * math.log(2)), "nats"),
        ("another measurement", _window(2, score=lambda window: nb08.reference_window_experiment(window) + 0.3), "reference run"),
        ("only the score", 3.9, "pair (window, bits per character)"),
        ("a fractional window", _window(2.5, score=lambda window: 3.9), "whole number"),
    ],
}

# ----------------------------------------------------------------------------- notebook 09


def _alibi(sign=-1.0, transpose=False, future=-np.inf, slope_of=lambda slope: slope, offset=0.0):
    def alibi(n, slope):
        distance = np.arange(n)[:, None] - np.arange(n)[None, :]
        bias = np.where(distance >= 0, sign * slope_of(slope) * (distance + offset), future)
        return bias.T if transpose else bias
    return alibi


def _masks(with_mask=(3.6, 3.7), without_mask=(2.8, 5.6)):
    return {"with mask": with_mask, "without mask": without_mask}


def _top_p(keep_rule):
    def top_p(logits, p):
        probs = np.exp(logits - logits.max())
        probs /= probs.sum()
        return np.where(keep_rule(probs, p, logits), logits, -np.inf)
    return top_p


def _nucleus_keep(probs, p, order, mass=None):
    mass = probs if mass is None else mass
    keep = np.zeros(len(probs), dtype=bool)
    keep[order[np.cumsum(mass[order]) - mass[order] < p]] = True
    return keep


TABLES |= {
    nb09.check_alibi_bias: [
        ("bias grows with distance", _alibi(sign=1.0), "GROWS"),
        ("transposed", _alibi(transpose=True), "transposed"),
        ("future left at 0", _alibi(future=0.0), "set them to -np.inf"),
        ("slope ignored", _alibi(slope_of=lambda slope: 1.0), "multiply the distance by the slope"),
        ("own position penalised", _alibi(offset=1.0), "own position"),
        ("one row only", lambda n, slope: -slope * np.arange(n)[::-1], "(n, n)"),
    ],
    # value checker: the answer is the dict of both runs' (training bits, honest bits)
    nb09.check_mask_experiment: [
        ("mask kept in both runs", _masks(without_mask=(3.62, 3.71)), "still has its mask"),
        ("runs swapped", _masks(with_mask=(2.8, 5.6), without_mask=(3.6, 3.7)), "swapped"),
        ("leaky model scored on whole windows", _masks(without_mask=(2.8, 2.3)), "prefix by prefix"),
        ("nothing trained", _masks(with_mask=(6.3, 6.4), without_mask=(6.2, 6.4)), "did the training loop run"),
        ("a key missing", {"with mask": (3.6, 3.7)}, "expected a dict"),
        ("a number per run", _masks(with_mask=3.6, without_mask=2.8), "pair (training bits/char, honest bits/char)"),
    ],
    nb09.check_top_p: [
        # with a rounding tolerance, as a careful learner writes it (and as the old checker accepted it)
        ("own probability >= 1 - p", _top_p(lambda probs, p, logits: probs >= 1 - p - 1e-9), "CUMULATIVE"),
        ("the id that crosses p dropped", _top_p(lambda probs, p, logits: np.isin(
            np.arange(len(probs)), np.argsort(-probs, kind="stable")[np.cumsum(np.sort(probs)[::-1]) <= p])), "first reaches p"),
        ("not sorted", _top_p(lambda probs, p, logits: np.cumsum(probs) - probs < p), "sort the ids"),
        ("least likely first", _top_p(lambda probs, p, logits: _nucleus_keep(probs, p, np.argsort(probs, kind="stable"))),
         "LEAST likely"),
        ("logits used as log-probabilities", _top_p(lambda probs, p, logits: _nucleus_keep(
            probs, p, np.argsort(-logits, kind="stable"), mass=np.exp(logits))), "softmax"),
        ("top-1 only", lambda logits, p: np.where(np.arange(len(logits)) == np.argmax(logits), logits, -np.inf), "keep"),
        ("probabilities returned", lambda logits, p: np.exp(_top_p(lambda probs, p_, lg: _nucleus_keep(probs, p_, np.argsort(-probs)))(
            logits, p)), "unchanged"),
    ],
}

# ----------------------------------------------------------------------------- notebook 10


def _betas(ratio="step", cap=True, points="T+1", root=False):
    def betas(alpha_bar, num_steps, max_beta):
        grid = np.arange(num_steps + 1 if points == "T+1" else num_steps, dtype="float64") / num_steps
        f = alpha_bar(grid)
        with np.errstate(divide="ignore", invalid="ignore"):
            lost = {"step": 1 - f[1:] / f[:-1], "total": 1 - f[1:], "inverted": 1 - f[:-1] / f[1:]}[ratio]
            if root:
                lost = 1 - np.sqrt(f[1:] / f[:-1])
        return np.clip(lost, 0.0, max_beta) if cap else lost
    return betas


def _crossing(std_power=2, offset=0, never=None):
    def crossing(alpha_bars, data_std):
        snr = data_std**std_power * alpha_bars / (1 - alpha_bars)
        below = np.flatnonzero(snr < 1)
        return int(below[0]) + offset if below.size else (len(alpha_bars) if never is None else never)
    return crossing


def _zeros_denoiser():
    points = keras.Input((2,))
    t = keras.Input((), dtype="int32")
    return keras.Model([points, t], keras.layers.Lambda(lambda p: 0.0 * p)(points))


def _one_input_denoiser():
    points = keras.Input((2,))
    return keras.Model(points, keras.layers.Dense(2)(points))


def _three_outputs_denoiser():
    points = keras.Input((2,))
    t = keras.Input((), dtype="int32")
    return keras.Model([points, t], keras.layers.Dense(3)(points))


TABLES |= {
    nb10.check_betas_from_signal: [
        ("1 - alpha_bar_t, not a ratio", _betas(ratio="total"), "what ONE step loses"),
        ("no cap", _betas(cap=False), "cap each beta at max_beta"),
        ("ratio upside down", _betas(ratio="inverted"), "upside down"),
        ("T points on [0, 1], not T + 1", _betas(points="T"), "expected shape"),
        ("square root", _betas(root=True), "no square root"),
        ("one beta too few", lambda f, T, m: _betas()(f, T, m)[1:], "expected shape"),
        ("the cosine schedule whatever the curve", lambda f, T, m: utils.diffusion.make_schedule("cosine", T).betas, "beta"),
    ],
    nb10.check_snr_crossing: [
        ("data_std ignored", lambda alpha_bars, data_std: _crossing()(alpha_bars, 1.0), "the data's spread matters"),
        ("data_std not squared", _crossing(std_power=1), "square the standard deviation"),
        ("step number, not index", _crossing(offset=1), "0-based"),
        ("last index above 1", _crossing(offset=-1), "FIRST index"),
        ("-1 when never", _crossing(never=-1), "never drops below 1"),
        ("an array of SNRs", lambda alpha_bars, data_std: data_std**2 * alpha_bars / (1 - alpha_bars), "one number"),
    ],
    # the learner builds a model; answers that still read t or do not fit the inputs are caught before any training
    nb10.check_time_experiment: [
        ("t still used", lambda: nb10.reference_denoiser(use_time=True), "still reads the time"),
        ("a model that predicts zeros", _zeros_denoiser, "learns less"),
        ("t input removed", _one_input_denoiser, "must take [points"),
        ("three outputs", _three_outputs_denoiser, "must take [points"),
        ("a function, not a model", lambda: (lambda points, t: points), "must return a keras.Model"),
    ],
}

# ----------------------------------------------------------------------------- notebook 14


def _gain(statistic):
    return lambda with_augmentation, without, confidence=0.95: statistic(with_augmentation, without, confidence)


def _keep(rule):
    return lambda requested, probabilities: rule(requested, probabilities)


TABLES |= {
    nb14.check_paired_gain: [
        ("unpaired interval", _gain(nb14._unpaired_gain), "UNPAIRED"),
        ("Welch's unpaired interval", _gain(nb14._welch_gain), "Welch"),
        ("pooled two-sample interval", _gain(nb14._pooled_gain), "pooled"),
        ("normal 1.96", _gain(nb14._normal_gain), "Student's t"),
        ("n degrees of freedom", _gain(nb14._n_dof_gain), "n - 1 degrees of freedom, not n"),
        ("spread with ddof=0", _gain(nb14._ddof0_gain), "ddof=1"),
        ("reversed sign", _gain(lambda a, b, c: nb14.reference_paired_gain(b, a, c)), "wrong sign"),
        ("half-width, not the ends", _gain(lambda a, b, c: (lambda m, lo, hi: (m, lo - m, hi - m))(*nb14.reference_paired_gain(a, b, c))),
         "not ± the half-width"),
        ("two numbers", _gain(lambda a, b, c: nb14.reference_paired_gain(a, b, c)[1:]), "three finite numbers"),
    ],
    nb14.check_seeds_needed: [
        ("normal quantile", nb14._normal_seeds, "Student's t"),
        ("spread / n", nb14._no_sqrt_seeds, "spread / sqrt(n)"),
        ("n degrees of freedom", nb14._n_dof_seeds, "n - 1 degrees of freedom"),
        ("one-sided quantile", nb14._one_sided_seeds, "97.5% quantile"),
        ("always five", lambda spread, half_width, confidence=0.95: 5, "the smallest n >= 2"),
        ("a fraction", lambda spread, half_width, confidence=0.95: 6.5, "whole number"),
    ],
    # the last two are judged by their measured effect (they train, ~10 s)
    nb14.check_filter_experiment: [
        ("keep every digit", _keep(lambda r, p: np.ones(len(r), bool)), "keep every generated digit"),
        ("keep almost none", _keep(lambda r, p: p.max(axis=1) > 0.9999999), "hardly augmentation"),
        ("indices, not a mask", _keep(lambda r, p: np.flatnonzero(p.argmax(axis=1) == r)), "boolean mask"),
        ("filter with the judge", _keep(lambda r, p: utils.metrics.digit_predictions(nb14._experiment_data()[4]) == r), "diagnostic"),
        ("keep the misread ones", _keep(lambda r, p: p.argmax(axis=1) != r), "does not remove the generator's label errors"),
        ("keep a random 70%", _keep(lambda r, p: np.random.default_rng(0).random(len(r)) < 0.7), "does not remove"),
    ],
}


def _jumps_search(*, lifo_walks=True, walk_cost=0, jump_cost=1, unplayable=None, exit_column=-1):
    """Variants of the fewest-jumps search: 0-1 BFS (right) or a FIFO queue, other costs, other answers for unplayable."""
    def search(level):
        try:
            start = utils.levels.start_position(level)
        except ValueError:
            return unplayable
        last = level.shape[1] + exit_column
        best = {start: 0}
        queue = collections.deque([start])
        while queue:
            position = queue.popleft()
            if position[1] == last:
                return best[position]
            for target, is_jump in utils.levels.moves(level, position):
                cost = best[position] + (jump_cost if is_jump else walk_cost)
                if lifo_walks and cost < best.get(target, np.inf):
                    best[target] = cost
                    queue.append(target) if cost > best[position] else queue.appendleft(target)
                elif not lifo_walks and target not in best:
                    best[target] = cost
                    queue.append(target)
        return unplayable
    return search


def _erosion(*, in_place=False, receive=True):
    def step(height, talus, rate):
        new = height if in_place else height.astype("float64").copy()
        old = height.copy()
        for axis in (0, 1):
            difference = -np.diff(old, axis=axis)
            flow = rate * np.sign(difference) * np.maximum(np.abs(difference) - talus, 0) / 4
            upper, lower = [slice(None)] * 2, [slice(None)] * 2
            upper[axis], lower[axis] = slice(None, -1), slice(1, None)
            new[tuple(upper)] -= flow
            if receive:
                new[tuple(lower)] += flow
        return new
    return step


def _erosion_variant(index):
    return lambda height, talus, rate: nb17._variants(height, talus, rate)[index][0]


def _tile_loss(**kwargs):
    return lambda targets, logits, z_mean, z_log_var: nb17.reference_tile_loss(targets, logits, z_mean, z_log_var, **kwargs)


def _dijkstra_jumps(level):
    try:
        start = utils.levels.start_position(level)
    except ValueError:
        return None
    heap, best = [(0, start)], {start: 0}
    while heap:
        cost, position = heapq.heappop(heap)
        if cost > best[position]:
            continue
        if position[1] == level.shape[1] - 1:
            return cost
        for target, is_jump in utils.levels.moves(level, position):
            if cost + is_jump < best.get(target, np.inf):
                best[target] = cost + is_jump
                heapq.heappush(heap, (cost + is_jump, target))
    return None


TABLES |= {
    nb17.check_fewest_jumps: [
        ("fewest moves (plain BFS)", lambda level: nb17._fewest_moves(level), "fewest MOVES"),
        ("FIFO queue, jumps counted on the first route", _jumps_search(lifo_walks=False), "FRONT of the deque"),
        ("0 for an unplayable level", _jumps_search(unplayable=0), "cannot be finished"),
        ("-1 for an unplayable level", _jumps_search(unplayable=-1), "cannot be finished"),
        ("walks cost 1, jumps 0", _jumps_search(walk_cost=1, jump_cost=0), "count as free"),
        ("exit one column early", _jumps_search(exit_column=-2), "cannot be finished"),
    ],
    nb17.check_erosion_step: [
        ("np.roll wraps around", _erosion_variant(0), "wraps around its edges"),
        ("whole difference moved", _erosion_variant(1), "EXCESS over the talus"),
        ("not divided by 4", _erosion_variant(2), "divide the transfer by 4"),
        ("rows only", _erosion_variant(3), "both axes"),
        ("columns only", _erosion_variant(4), "both axes"),
        ("input changed in place", _erosion(in_place=True), "in place"),
        ("material lost", _erosion(receive=False), "mass is conserved"),
    ],
    # wrong losses are caught on a fixed batch, before any training
    nb17.check_kl_experiment: [
        ("KL kept", _tile_loss(), "full loss"),
        ("reconstruction dropped", lambda targets, logits, z_mean, z_log_var: nb17.reference_tile_loss(targets, logits, z_mean, z_log_var)
         - nb17.reference_tile_loss(targets, logits, z_mean, z_log_var, kl_weight=0.0), "other way round"),
        ("summed over the batch", lambda *args: 4 * nb17.reference_tile_loss(*args, kl_weight=0.0), "summed over the batch"),
        ("averaged over the tiles", lambda *args: nb17.reference_tile_loss(*args, kl_weight=0.0) / (12 * 32), "averaged over the tiles"),
        ("half the KL", _tile_loss(kl_weight=0.5), "no KL"),
    ],
}

# ----------------------------------------------------------------------------- notebook 13


def _ssim_variant(**options):
    return lambda x, y, window: nb13.reference_ssim(x, y, window, **options)


def _ssim_convolve(x, y, window):
    """Another right answer: scipy's 2-D 'valid' correlation with the outer-product window."""
    kernel = np.outer(window, window)

    def smooth(a):
        return scipy.signal.correlate2d(np.asarray(a, dtype="float64"), kernel, mode="valid")

    mu_x, mu_y = smooth(x), smooth(y)
    var_x, var_y, cov = smooth(x * x) - mu_x**2, smooth(y * y) - mu_y**2, smooth(x * y) - mu_x * mu_y
    c1, c2 = 1e-4, 9e-4
    return float(np.mean((2 * mu_x * mu_y + c1) * (2 * cov + c2) / ((mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2))))


def _peephole_variant(**options):
    return lambda *args: nb13.reference_peephole_step(*args, **options)


def _peephole_keras_ops(x, h, c, kernel, recurrent_kernel, bias, w_ci, w_cf, w_co):
    """Another right answer: keras.ops, gates computed one by one from slices of the kernels."""
    ops = keras.ops
    f = h.shape[-1]

    def gate(k):
        part = slice(k * f, (k + 1) * f)
        return (ops.conv(x, kernel[..., part], padding="same") + ops.conv(h, recurrent_kernel[..., part], padding="same")
                + bias[part])

    i = ops.sigmoid(gate(0) + w_ci * c)
    forget = ops.sigmoid(gate(1) + w_cf * c)
    new_c = forget * c + i * ops.tanh(gate(2))
    return np.asarray(ops.sigmoid(gate(3) + w_co * new_c) * ops.tanh(new_c)), np.asarray(new_c)


TABLES |= {
    nb13.check_ssim: [
        ("constants left out", _ssim_variant(c1=0.0, c2=0.0), "constants"),
        ("constants not squared", _ssim_variant(c1=0.01, c2=0.03), "SQUARED"),
        ("zero padding", _ssim_variant(same=True), "padding"),
        ("raw second moments", _ssim_variant(centred=False), "subtract the squared means"),
        ("luminance without the 2", _ssim_variant(two=1.0), "factor 2"),
        ("global statistics", _ssim_variant(windowed=False), "locally"),
        ("the local map returned", lambda x, y, window: np.ones((len(x) - len(window) + 1,) * 2), "one number"),
    ],
    nb13.check_peephole_step: [
        ("no peepholes", _peephole_variant(peepholes=False), "peephole terms are missing"),
        ("output gate on the old memory", _peephole_variant(output_peephole_on="old"), "NEW memory"),
        ("input and forget peepholes swapped", _peephole_variant(swap_peepholes=True), "swapped them"),
        ("candidate and output slices swapped", _peephole_variant(order="ifog"), "candidate and the output gate"),
        ("input and forget slices swapped", _peephole_variant(order="figo"), "swapped input and forget"),
        ("no tanh on the output", _peephole_variant(squash_output=False), "squash"),
        ("(c, h) returned", lambda *args: nb13.reference_peephole_step(*args)[::-1], "return (new_h, new_c)"),
    ],
    # wrong contexts are caught on a fixed probe, before any training
    nb13.check_context_experiment: [
        ("the first frame", lambda seen: seen[:, :1], "FIRST frame"),
        ("two frames", lambda seen: seen[:, -2:], "two frames"),
        ("all five frames", lambda seen: seen, "all five"),
        ("time axis dropped", lambda seen: seen[:, -1], "time axis"),
        ("a black frame", lambda seen: np.zeros_like(seen[:, -1:]), "expected the last frame"),
    ],
}

# ----------------------------------------------------------------------------- notebook 15


def _alignment(**kwargs):
    return lambda layout: nb15.reference_alignment_score(layout, **kwargs)


def _free(**kwargs):
    return lambda layout, x, w, h: nb15.reference_free_rows(layout, x, w, h, **kwargs)


def _alignment_loops(layout):
    """A right answer written with loops: for each box, each other box, each of the six lines."""
    boxes = [(x / 12, (x + w / 2) / 12, (x + w) / 12, y / 24, (y + h / 2) / 24, (y + h) / 24) for _, x, y, w, h in np.asarray(layout)]
    return sum(min(abs(a[k] - b[k]) for j, b in enumerate(boxes) if j != i for k in range(6)) for i, a in enumerate(boxes)) / len(boxes)


def _free_rows_by_cells(layout, x, w, h):
    """A right answer by painting cells: a row is free when the box's cells are on the canvas and unpainted."""
    taken = np.zeros((utils.layouts.GRID_H, utils.layouts.GRID_W), bool)
    for _, bx, by, bw, bh in np.asarray(layout):
        taken[by:by + bh, bx:bx + bw] = True
    return np.array([y + h <= utils.layouts.GRID_H and not taken[y:y + h, x:x + w].any() for y in range(utils.layouts.GRID_H)])


TABLES |= {
    nb15.check_alignment_score: [
        ("each box compared with itself", _alignment(self_too=True), "OTHER boxes"),
        ("grid cells, not fractions", _alignment(grid_units=True), "fractions of the canvas"),
        ("left compared with right", _alignment(any_kind=True), "same kind of line"),
        ("horizontal lines only", _alignment(kinds=3), "all six lines"),
        ("sum, not mean", _alignment(reduce="sum"), "not the sum"),
        ("worst box, not mean", _alignment(reduce="max"), "not the worst box"),
    ],
    nb15.check_free_rows: [
        ("touching counted as overlap", _free(touching=True), "share an edge"),
        ("canvas ignored", _free(canvas=False), "lie on the canvas"),
        ("last row forbidden", _free(strict_canvas=True), "exactly at the canvas"),
        ("first row only", _free(height=False), "whole height h"),
        ("columns ignored", _free(columns=False), "COLUMNS"),
        ("a list, one entry short", lambda layout, x, w, h: list(_free()(layout, x, w, h)[:-1]), "one entry per row"),
    ],
    # wrong decoder inputs are caught on a fixed batch, before any training
    nb15.check_letter_experiment: [
        ("letter kept", lambda z, letter: tf.concat([z, letter], axis=-1), "still reads the letter"),
        ("part of the letter kept", lambda z, letter: tf.concat([z, letter[:, :1]], axis=-1), "still reads the letter"),
        ("letter folded into z", lambda z, letter: z + tf.reduce_sum(letter * tf.range(26, dtype=tf.float32), axis=-1, keepdims=True),
         "still reads the letter"),
        ("z dropped, letter kept", lambda z, letter: letter, "does not depend on z"),
        ("zeros", lambda z, letter: tf.zeros_like(z), "does not depend on z"),
        ("one row for the batch", lambda z, letter: tf.reshape(z, (1, -1)), "one row per glyph"),
    ],
}


# ----------------------------------------------------------------------------- notebook 18


def _density(*, self_neighbour=False, per_k=True, coverage_of="real", count="balls", balls_of="real", swap=False):
    def answer(real, generated, k):
        real, generated = np.asarray(real, "float64"), np.asarray(generated, "float64")
        centres = real if balls_of == "real" else generated
        radii = np.sort(scipy.spatial.distance.cdist(centres, centres), axis=1)[:, k - 1 if self_neighbour else k]
        if balls_of == "real":
            inside = scipy.spatial.distance.cdist(real, generated) <= radii[:, None]
        else:
            inside = scipy.spatial.distance.cdist(real, generated) <= radii[None, :]
        hits = inside.sum() if count == "balls" else inside.any(axis=0).sum()
        density = hits / ((k if per_k else 1) * len(generated))
        coverage = inside.any(axis=1).mean() if coverage_of == "real" else inside.any(axis=0).mean()
        return (coverage, density) if swap else (density, coverage)
    return answer


def _longest(*, starts="all", end_offset=0, plus=0, as_text=False):
    def answer(generated, corpus):
        best, best_text = 0, ""
        for start in (range(len(generated)) if starts == "all" else [0]):
            for end in range(start + 1, len(generated) + 1 - end_offset):
                if generated[start:end] in corpus and end - start > best:
                    best, best_text = end - start, generated[start:end]
        return best_text if as_text else best + plus
    return answer


def _delta(offset):
    """The reference run's smallest bias plus ``offset`` (measured once, in about a second)."""
    return nb18.reference_smallest_delta() + offset


TABLES |= {
    nb18.check_density_coverage: [
        ("the point itself as its first neighbour", _density(self_neighbour=True), "its own nearest neighbour"),
        ("density not divided by k", _density(per_k=False), "k times too large"),
        ("coverage of the generated points (precision)", _density(coverage_of="generated"), "share of GENERATED points"),
        ("density counts each sample once", _density(count="any"), "counts each generated point once"),
        ("density is precision", lambda real, generated, k: (_density(count="any")(real, generated, k)[0] * k,
                                                             _density()(real, generated, k)[1]), "that is precision"),
        ("balls around the generated points", _density(balls_of="generated"), "balls are around the GENERATED points"),
        ("(coverage, density) swapped", _density(swap=True), "(coverage, density)"),
    ],
    nb18.check_longest_match: [
        ("only the match at the first character", _longest(starts="first"), "every start position"),
        ("stops one character early", _longest(end_offset=1), "one character early"),
        ("shared characters, not a substring", lambda generated, corpus: len(set(generated) & set(corpus)), "contiguous substring"),
        ("returns the substring", _longest(as_text=True), "return its length"),
        ("one too many", _longest(plus=1), "expected"),
    ],
    # a value: the smallest delta, judged by measuring it and the one below
    nb18.check_watermark_experiment: [
        ("one step too small", _delta(-0.25), "too weak"),
        ("one step too large", _delta(0.25), "not the smallest"),
        ("no bias", 0.0, "no watermark"),
        ("negative bias", -1.0, "no watermark"),
        ("not a multiple of 0.25", 1.3, "multiple of 0.25"),
        ("far too large", 50.0, "far larger"),
        ("a function, not its value", lambda: 2.0, "got a function"),
    ],
}

# ----------------------------------------------------------------------------- notebook 12


def _fast_griffin_lim(*, sign=1.0, project=True, iterations=None, keep="projected"):
    """Griffin-Lim with momentum and one typical mistake (sign, no magnitude projection, fixed iterations, what is kept)."""
    def run(magnitude, num_iterations, momentum):
        frames = {"frame_length": 512, "frame_step": 128}
        target = tf.complex(tf.constant(magnitude, tf.float32), 0.0)
        phase = tf.constant(np.random.default_rng(0).uniform(-np.pi, np.pi, magnitude.shape), tf.float32)
        spectrogram = previous = target * tf.exp(tf.complex(0.0, phase))
        for _ in range(num_iterations if iterations is None else iterations):
            consistent = utils.audio.stft(utils.audio.istft(spectrogram, **frames), **frames)[:, :magnitude.shape[1]]
            projected = target * tf.exp(tf.complex(0.0, tf.math.angle(consistent))) if project else consistent
            spectrogram = projected + tf.cast(sign * momentum, tf.complex64) * (projected - previous)
            previous = projected if keep == "projected" else spectrogram
        return utils.audio.istft(spectrogram, **frames).numpy()
    return run


def _dilations(*, stop="field", base=2, first=1):
    def dilations_for(receptive_field):
        dilations = []
        while (1 + sum(dilations) if stop == "field" else sum(dilations)) < receptive_field:
            dilations.append(first * base ** len(dilations) if base > 1 else 1)
        return dilations
    return dilations_for


TABLES |= {
    nb12.check_harmonic_pitch: [
        ("strongest FFT peak", nb12._strongest_peak, "octave too high"),
        ("MIDI pitch instead of Hz", lambda wave, rate: float(utils.audio.hz_to_midi(nb12.reference_harmonic_pitch(wave, rate))), "MIDI pitch"),
        ("period in samples", lambda wave, rate: rate / nb12.reference_harmonic_pitch(wave, rate), "period in samples"),
        ("sample rate assumed 8 kHz", lambda wave, rate: nb12.reference_harmonic_pitch(wave, 8000), "sample_rate argument"),
        ("a subharmonic", lambda wave, rate: nb12.reference_harmonic_pitch(wave, rate) / 2, "subharmonic"),
        ("a quarter tone sharp", lambda wave, rate: nb12.reference_harmonic_pitch(wave, rate) * 2 ** (0.6 / 12), "semitones off"),
    ],
    nb12.check_fast_griffin_lim: [
        ("momentum ignored (plain Griffin-Lim)", _fast_griffin_lim(sign=0.0), "Is momentum used"),
        ("magnitudes never imposed", _fast_griffin_lim(project=False), "put the target"),
        ("one iteration only", _fast_griffin_lim(iterations=1), "num_iterations"),
        ("a magnitude returned, not a waveform", lambda m, n, a: np.abs(m), "looks like a spectrogram"),
        ("extrapolated value kept as the previous one", _fast_griffin_lim(keep="extrapolated"), "previous"),
    ],
    nb12.check_receptive_field_experiment: [
        ("R = sum(d): one layer too many", _dilations(stop="sum"), "stop one layer earlier"),
        ("undilated layers", _dilations(base=1), "must double"),
        ("too few layers", lambda rf: [2**k for k in range(max(1, int(np.log2(rf)) - 1))], "see only"),
        ("dilations start at 0", lambda rf: [0] + _dilations()(rf), "at least 1"),
        ("the receptive field returned", lambda rf: rf, "list of whole"),
        ("tripling dilations", _dilations(base=3), "fewest doubling"),
    ],
}

# ----------------------------------------------------------------------------- notebook 16


def _novelty(*, canonical=True, distinct=True, drop_invalid=True, skip_empty=True, per_sample=False, known=False):
    from rdkit import Chem

    def fraction(generated, training):
        kept = []
        for smiles in generated:
            molecule = Chem.MolFromSmiles(smiles)
            if molecule is None or (skip_empty and molecule.GetNumAtoms() == 0):
                if not drop_invalid:
                    kept.append(smiles)
                continue
            kept.append(Chem.MolToSmiles(molecule) if canonical else smiles)
        pool = set(kept) if distinct else kept
        hits = [s for s in pool if (s in training) == known]
        total = len(generated) if per_sample else len(pool)
        return len(hits) / total if total else 0.0

    return fraction


def _diversity(*, similarity="tanimoto", diagonal=True, empty=1.0, power=1):
    def intdiv(bits):
        bits = np.asarray(bits, dtype="float64")
        both = bits @ bits.T
        counts = bits.sum(axis=1)
        sums = counts[:, None] + counts[None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            if similarity == "tanimoto":
                values = np.where(sums - both > 0, both / (sums - both), empty)
            elif similarity == "dice":
                values = np.where(sums > 0, 2 * both / sums, empty)
            else:  # the union without subtracting the intersection
                values = np.where(sums > 0, both / sums, empty)
        if not diagonal:
            values = values[~np.eye(len(bits), dtype=bool)]
        return float(1.0 - np.mean(values**power) ** (1 / power))

    return intdiv


def _selfies_chars(smiles):
    import selfies

    return list(selfies.encoder(smiles))


def _selfies_join(tokens):
    import selfies

    return selfies.decoder("".join(tokens))


def _selfies_symbols(smiles):
    import selfies

    return list(selfies.split_selfies(selfies.encoder(smiles)))


TABLES |= {
    nb16.check_novelty: [
        ("strings, not molecules", _novelty(canonical=False), "canonicalise"),
        ("repeats counted", _novelty(distinct=False), "DISTINCT"),
        ("invalid strings kept", _novelty(drop_invalid=False), "invalid strings are not molecules"),
        ("empty string counted", _novelty(skip_empty=False), "EMPTY molecule"),
        ("divided by all samples", _novelty(per_sample=True), "not by the number of samples"),
        ("share of known molecules", _novelty(known=True), "share of KNOWN"),
    ],
    nb16.check_internal_diversity: [
        ("diagonal left out", _diversity(diagonal=False), "ALL N² ordered pairs"),
        ("mean similarity", lambda bits: 1.0 - _diversity()(bits), "1 minus it"),
        ("Dice similarity", _diversity(similarity="dice"), "Dice"),
        ("union not corrected", _diversity(similarity="sum"), "subtract the intersection"),
        ("empty pairs as 0", _diversity(empty=0.0), "count their Tanimoto similarity as 1"),
        ("IntDiv_2", _diversity(power=2), "IntDiv_2"),
    ],
}

# the experiment takes two functions: its table holds (encode, decode) pairs, checked by test_nb16_experiment_* below
NB16_EXPERIMENT_WRONG = [
    ("SMILES tokens (no change)", (nb16.reference_smiles_tokens, nb16.reference_join_smiles), "still spell SMILES"),
    ("SELFIES split into characters", (_selfies_chars, _selfies_join), "single characters"),
    ("decode returns the SELFIES string", (_selfies_symbols, lambda tokens: "".join(tokens)), "not the same molecule"),
    ("whole SELFIES string as one token", (lambda smiles: [__import__("selfies").encoder(smiles)], _selfies_join), "returns 1 token"),
    ("encode returns a string", (lambda smiles: __import__("selfies").encoder(smiles), _selfies_join), "list of token strings"),
    ("decode drops the last symbol", (_selfies_symbols, lambda tokens: _selfies_join(tokens[:-1])), "not the same molecule"),
]


# ----------------------------------------------------------------------------- notebook 11


def _hidden(*, parallel=False, leap=True, contrary=False, held=False, rests=False, pairs=False, upward_only=False):
    """Hidden fifths/octaves between soprano and bass, with one typical mistake switched on."""
    def count(grid):
        grid = np.asarray(grid, dtype=int)
        voice_pairs = [(i, j) for i in range(4) for j in range(i + 1, 4)] if pairs else [(0, 3)]
        total = 0
        for upper, lower in voice_pairs:
            s0, s1, b0, b1 = grid[:-1, upper], grid[1:, upper], grid[:-1, lower], grid[1:, lower]
            ok = np.ones(len(s0), bool) if rests else (s0 != -1) & (s1 != -1) & (b0 != -1) & (b1 != -1)
            ms, mb = np.sign(s1 - s0), np.sign(b1 - b0)
            motion = (ms != 0) & ((mb != 0) if contrary else (ms == mb)) if not held else (ms != 0) & ((ms == mb) | (mb == 0))
            if upward_only:
                motion &= ms > 0
            into = np.isin((s1 - b1) % 12, (0, 7)) & (parallel | ((s0 - b0) % 12 != (s1 - b1) % 12))
            total += int(np.sum(ok & motion & into & ((np.abs(s1 - s0) > 2) if leap else True)))
        return total
    return count


def _bits_by_voice(*, offset=1, scale=None, sign=1, reduce=None):
    def bits(log_probs):
        values = -sign * np.asarray(log_probs) * (1 / math.log(2) if scale is None else scale)
        if reduce == "all":
            return float(values.mean())
        voices = (np.arange(values.shape[1]) + offset) % 4
        summary = np.median if reduce == "median" else np.mean
        return np.array([summary(values[:, voices == v]) for v in range(4)])
    return bits


def _spacing(*, limit=12, strict=False, absolute=False, rest_ok=True, upper=lambda voice: voice - 1, slot=0, voices=(1, 2)):
    """The spacing rule at sampling time, with one typical mistake switched on."""
    def allowed(grid, t, voice, candidates):
        grid, candidates = np.asarray(grid), np.asarray(candidates)
        mask = np.ones((len(grid), len(candidates)), dtype=bool)
        if voice in voices:
            above = grid[:, max(t - slot, 0), upper(voice)][:, None]
            gap = above - candidates[None, :]
            gap = np.abs(gap) if absolute else gap
            bad = (gap >= limit) if strict else (gap > limit)
            sounding = (above != -1) & (candidates[None, :] != -1) if rest_ok else (above != -1)
            mask &= ~(bad & sounding)
        return mask
    return allowed


def _local(band):
    return lambda vocab_size, context, window, model_dim, num_heads, num_layers: nb11.reference_transformer(
        vocab_size, context, window, model_dim, num_heads, num_layers, band=lambda d: band(d, window))


TABLES |= {
    nb11.check_hidden_perfects: [
        ("parallels counted too", _hidden(parallel=True), "PARALLEL"),
        ("no soprano leap needed", _hidden(leap=False), "step"),
        ("contrary motion counted", _hidden(contrary=True), "contrary motion"),
        ("a held bass counts as motion", _hidden(held=True), "held note"),
        ("rests treated as pitches", _hidden(rests=True), "both voices must sound"),
        ("every voice pair", _hidden(pairs=True), "only soprano and bass"),
        ("upward motion only", _hidden(upward_only=True), "either way"),
    ],
    nb11.check_bits_by_voice: [
        ("input positions, not targets", _bits_by_voice(offset=0), "off by one"),
        ("nats", _bits_by_voice(scale=1.0), "nats"),
        ("negative bits", _bits_by_voice(sign=-1), "positive numbers"),
        ("voices rotated", _bits_by_voice(offset=2), "rotated"),
        ("one number for all voices", _bits_by_voice(reduce="all"), "expected shape"),
        ("median, not mean", _bits_by_voice(reduce="median"), "average -log2 p"),
    ],
    nb11.check_spacing_rule: [
        ("an octave forbidden too", _spacing(strict=True), "an octave (12 semitones) apart is still allowed"),
        ("absolute distance", _spacing(absolute=True), "is a crossing, another rule's job"),
        ("a rest candidate forbidden", _spacing(rest_ok=False), "a rest is never forbidden"),
        ("compared with the soprano", _spacing(upper=lambda voice: 0), "the voice directly above"),
        ("the previous slot", _spacing(slot=1), "at the same slot t"),
        ("the bass restricted too", _spacing(voices=(1, 2, 3)), "the bass is free"),
        ("nothing forbidden", lambda grid, t, voice, candidates: np.ones((len(grid), len(candidates)), bool), "forbids something"),
        ("probabilities, not a mask", lambda grid, t, voice, candidates: np.full((len(grid), len(candidates)), 0.5), "booleans"),
        ("one row for all pieces", lambda grid, t, voice, candidates: np.ones(len(candidates), bool), "expected shape"),
    ],
    # the learner builds a model; answers that are not local, not causal or the wrong shape are caught before any training
    nb11.check_local_attention_experiment: [
        ("full causal attention", _local(lambda d, w: d >= 0), "not local yet"),
        ("one token too many", _local(lambda d, w: (d >= 0) & (d <= w)), "must hold the query itself"),
        ("one token too few", _local(lambda d, w: (d >= 0) & (d < w - 1)), "too narrow"),
        ("a band in both directions", _local(lambda d, w: abs(d) < w), "reads the future"),
        ("a function, not a model", lambda *args: (lambda ids: ids), "must return a keras.Model"),
        ("logits for one token too many", lambda v, c, w, d, h, n: nb11.reference_transformer(v + 1, c, w, d, h, n), "logits of shape"),
    ],
}

# ============================================================================ other right answers, which must pass too


def _top_p_searchsorted(logits, p):
    probs = np.exp(logits - logits.max())
    probs /= probs.sum()
    order = np.argsort(-probs)
    count = np.searchsorted(np.cumsum(probs[order]), p - 1e-12) + 1
    return np.where(np.isin(np.arange(len(logits)), order[:count]), logits, -np.inf)


def _monte_carlo_from_z(mean, log_var, num_samples, seed):
    z = np.random.default_rng(seed).normal(mean, np.exp(0.5 * log_var), (num_samples, len(mean)))
    log_q = np.sum(-0.5 * (np.log(2 * np.pi) + log_var + (z - mean) ** 2 / np.exp(log_var)), axis=1)
    log_p = np.sum(-0.5 * (np.log(2 * np.pi) + z**2), axis=1)
    return float(np.mean(log_q - log_p))


ALTERNATIVES = [
    (nb00.check_sample_categorical, lambda p, u: np.argmax(np.cumsum(p)[None, :] > np.asarray(u)[:, None], axis=1)),
    (nb00.check_fit_transition_matrix, lambda s, n: _transitions(s, n)),
    (nb01.check_entropy_at_temperature, _entropy()),  # plain p ** (1 / T) with 0 log 0 counted as 0
    (nb01.check_em_lower_bound, lambda lj, r: float(np.mean(np.sum(r * lj, axis=1) + np.sum(-r * np.log(np.clip(r, 1e-300, None)), axis=1)))),
    (nb03.check_monte_carlo_kl, _monte_carlo_from_z),
    (nb04.check_class_in_z, _class_in_z()),  # squared distances, labels passed as given
    (nb04.check_decoder_label_experiment, _zero_label_decoder),  # the notebook's decoder with the label zeroed
    (nb05.check_count_covered, lambda s, m, std: metrics.mode_coverage(s, m, std)["modes_covered"]),
    (nb05.check_count_covered, _covered()),
    (nb05.check_value_and_jsd, lambda p, q: (float(np.sum(scipy.special.xlogy(p, p / (p + q + (p + q == 0))))
                                                   + np.sum(scipy.special.xlogy(q, q / (p + q + (p + q == 0))))),
                                             float(scipy.spatial.distance.jensenshannon(p, q) ** 2))),
    (nb05.check_log_one_minus_d, lambda z: -np.logaddexp(0, z)),  # in float32
    (nb05.check_log_one_minus_d, lambda z: tf.math.log_sigmoid(-z)),  # a tensor
    (nb06.check_ema_initial_share, lambda n, d, w: float(np.exp(sum(np.log(min(d, (1 + t) / (10 + t)) if w else d)
                                                                    for t in range(1, n + 1))))),
    (nb06.check_frechet_distance, lambda a, b: metrics.frechet_distance(a, b)),
    (nb06.check_frechet_distance, _fd()),  # scipy's sqrtm
    (nb07.check_wasserstein_1d, lambda x, y: float(scipy.stats.wasserstein_distance(x, y))),
    (nb07.check_penalty_points, lambda real, fake, rng: (lambda alpha: tf.constant(alpha * real + (1 - alpha) * fake))(  # a tensor
        rng.uniform(size=len(real)).reshape(-1, 1, 1, 1).astype("float32"))),
    (nb08.check_top_k, lambda logits, k: np.where(logits >= np.sort(logits)[-k], logits, -np.inf)),
    (nb08.check_bits_per_char, lambda logits, targets: float(-np.mean(tf.nn.log_softmax(logits).numpy()[np.arange(len(targets)), targets]) / np.log(2))),
    (nb08.check_lstm_step, lambda x, h, c, kernel, recurrent_kernel, bias: [np.asarray(v, "float32") for v in nb08.reference_lstm_step(
        x.astype("float32"), h, c, kernel.astype("float32"), recurrent_kernel.astype("float32"), bias.astype("float32"))]),
    (nb09.check_alibi_bias, lambda n, slope: np.where(np.tri(n, dtype=bool), -slope * np.subtract.outer(np.arange(n), np.arange(n)), -1e30)),
    (nb09.check_top_p, _top_p_searchsorted),
    (nb14.check_paired_gain, lambda a, b, confidence=0.95: (lambda d: (d.mean(), *scipy.stats.t.interval(confidence, len(d) - 1, d.mean(),
                                                                                                   scipy.stats.sem(d))))(np.subtract(a, b))),
    (nb14.check_seeds_needed, lambda spread, half_width, confidence=0.95: next(
        n for n in range(2, 10**6) if scipy.stats.t.interval(confidence, n - 1)[1] * spread / math.sqrt(n) <= half_width)),
    (nb14.check_filter_experiment, lambda requested, probabilities: probabilities[np.arange(len(requested)), requested] > 0.5),  # trains
    (nb15.check_alignment_score, _alignment_loops),
    (nb15.check_free_rows, _free_rows_by_cells),
    (nb15.check_letter_experiment, lambda z, letter: tf.concat([z, tf.zeros_like(letter)], axis=-1)),  # trains
    (nb17.check_fewest_jumps, _dijkstra_jumps),
    (nb13.check_ssim, _ssim_convolve),
    (nb13.check_peephole_step, _peephole_keras_ops),
    (nb13.check_context_experiment, lambda seen: seen[:, [-1]]),  # trains (smoke-sized under CI)
    (nb17.check_erosion_step, lambda height, talus, rate: utils.levels.thermal_erosion_step(height, talus=talus, rate=rate)),
    (nb18.check_density_coverage, _density()),  # scipy's distances
    (nb18.check_longest_match, _longest()),  # every (start, end) pair, O(n^2) searches
]

CHECKERS = list(TABLES)
VALUE_CHECKERS = {nb04.check_label_information, nb07.check_penalty_experiment,
                  nb08.check_window_experiment, nb09.check_mask_experiment, nb18.check_watermark_experiment}
TWO_FUNCTION_CHECKERS = {nb16.check_representation_experiment}  # (encode, decode): tested below
FUNCTION_CHECKERS = [checker for checker in CHECKERS if checker not in VALUE_CHECKERS]
WRONG = [(checker, answer, phrase) for checker, rows in TABLES.items() for _, answer, phrase in rows]
WRONG_IDS = [f"{checker.__module__[-4:]}.{checker.__name__[6:]}: {mistake}" for checker, rows in TABLES.items() for mistake, _, _ in rows]


# ============================================================================ tests


def test_every_checker_has_a_table_and_a_notebook_solution():
    for module in MODULES:
        checkers = {name for name, value in inspect.getmembers(module, inspect.isfunction)
                    if name.startswith("check_") and value.__module__ == module.__name__}
        tabled = {checker.__name__ for checker in [*CHECKERS, *TWO_FUNCTION_CHECKERS] if checker.__module__ == module.__name__}
        assert checkers == tabled, f"{module.__name__}: checkers without a table: {checkers - tabled}"
        assert set(notebook_solutions(module)) == checkers, f"{NOTEBOOKS[module].name}: solution cells vs checkers"
    for checker, rows in TABLES.items():
        assert len(rows) >= 5, f"{_name(checker)}: only {len(rows)} typical wrong answers"
        assert len({mistake for mistake, _, _ in rows}) == len(rows)


def test_solution_cells_are_run_by_nbval():
    """The solutions are run by the notebooks themselves (see the module docstring): no solution cell may be skipped by
    nbval or expected to raise, and each assert found by ``notebook_solutions`` is a top-level statement of its cell."""
    skipping = {"nbval-skip", "skip-execution", "raises-exception", "nbval-raises-exception"}
    for module in MODULES:
        cells = json.loads(NOTEBOOKS[module].read_text(encoding="utf-8"))["cells"]
        solution_cells = [cell for cell in cells if "solution" in cell.get("metadata", {}).get("tags", [])]
        assert solution_cells, NOTEBOOKS[module].name
        for cell in solution_cells:
            tags = set(cell["metadata"]["tags"])
            assert not tags & skipping, f"{NOTEBOOKS[module].name}: a solution cell is tagged {sorted(tags & skipping)}"
            assert cell["cell_type"] == "code" and "# NBVAL_SKIP" not in "".join(cell["source"])


def _top_level_names(source: str) -> set[str]:
    """Names a cell binds at top level by ``def``, ``class`` or assignment (imports excluded: rebinding a module is harmless)."""
    names = set()
    for statement in ast.parse(source).body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(statement.name)
        elif isinstance(statement, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
            names |= {node.id for target in targets for node in ast.walk(target) if isinstance(node, ast.Name)}
    return names


@pytest.mark.parametrize("module", MODULES, ids=lambda module: NOTEBOOKS[module].name)
def test_solution_cells_do_not_overwrite_the_learners_names(module):
    """A solution defines its own names (``roc_auc_solution``, ``solution_ssim``...), so running it (or Run all) never replaces
    what the learner wrote in the exercise cell, nor any other name the notebook defines."""
    notebook_names, clashes = set(), {}
    cells = dict(enumerate(json.loads(NOTEBOOKS[module].read_text(encoding="utf-8"))["cells"]))
    solutions = {index for index, cell in cells.items() if "solution" in cell.get("metadata", {}).get("tags", [])}
    for index, cell in cells.items():
        if cell["cell_type"] == "code" and index not in solutions:
            notebook_names |= _top_level_names("".join(cell["source"]))
    for index in sorted(solutions):
        if shared := _top_level_names("".join(cells[index]["source"])) & notebook_names:
            clashes[f"cell {index}"] = sorted(shared)
    assert not clashes, f"{NOTEBOOKS[module].name}: solution cells rebind the notebook's names {clashes}"


@pytest.mark.parametrize(("checker", "answer"), ALTERNATIVES, ids=[_name(checker) for checker, _ in ALTERNATIVES])
def test_other_right_answers_pass(checker, answer, capsys):
    assert checker(answer) is True
    assert "✅" in capsys.readouterr().out


@pytest.mark.parametrize(("checker", "answer", "phrase"), WRONG, ids=WRONG_IDS)
def test_wrong_answer_fails_and_names_the_mistake(checker, answer, phrase, capsys):
    assert checker(answer) is False
    out = capsys.readouterr().out
    assert "❌" in out and "✅" not in out, out
    assert phrase in out, f"expected {phrase!r} in: {out}"


@pytest.mark.parametrize("checker", CHECKERS, ids=_name)
def test_blank_answer_is_not_attempted(checker, capsys):
    blanks = [None, ...] + ([] if checker in VALUE_CHECKERS else [lambda *args: None])
    for blank in blanks:
        assert checker(blank) is False
        out = capsys.readouterr().out
        assert "not attempted" in out and "❌" not in out, out


@pytest.mark.parametrize("checker", FUNCTION_CHECKERS, ids=_name)
def test_raising_answer_is_reported_not_raised(checker, capsys):
    def broken(*args):
        raise ZeroDivisionError("oops")

    assert checker(broken) is False
    out = capsys.readouterr().out
    assert "ZeroDivisionError" in out and "oops" in out


@pytest.mark.parametrize("checker", FUNCTION_CHECKERS, ids=_name)
def test_non_function_answer_is_rejected(checker, capsys):
    assert checker(42) is False
    assert "expected a function" in capsys.readouterr().out


@pytest.mark.parametrize("checker", FUNCTION_CHECKERS, ids=_name)
@pytest.mark.parametrize("junk", ["text", {"a": 1}, np.zeros((2, 3, 4)), 7.5], ids=["str", "dict", "array", "number"])
def test_junk_result_is_rejected_without_crashing(checker, junk, capsys):
    assert checker(lambda *args: junk) is False
    assert "❌" in capsys.readouterr().out


def test_nb05_pacgan_references_separate_at_full_size():
    """At the notebook's full size the checker judges a measured effect: the reference with pairs covers clearly more mass
    than the one without (by more than the 0.2 margin that sends smoke-sized runs to the reproduction check)."""
    references = nb05.reference_runs(nb05.EXPERIMENT["seed"])
    assert references[nb05.EXPERIMENT["pack"]]["mass_covered"] >= references[1]["mass_covered"] + 0.2, references


def test_nb05_pacgan_judged_at_smoke_size(capsys):
    """At 40 steps (the notebook's smoke size) packing changes nothing measurable yet: the checker says so and judges which
    reference run the answer reproduces, accepting the notebook's solution and rejecting a run without packing."""
    solution = notebook_solutions(nb05)["check_pacgan_experiment"]
    capsys.readouterr()
    assert nb05.check_pacgan_experiment(solution, num_steps=40) is True
    assert "do not differ yet" in capsys.readouterr().out
    assert nb05.check_pacgan_experiment(lambda points, noise, seed, steps: nb05.reference_train_gan(pack=1, seed=seed, num_steps=steps),
                                        num_steps=40) is False
    assert "WITHOUT packing" in capsys.readouterr().out


def test_solution_extraction_reads_the_notebook_cell():
    # the extracted solution is the notebook's own function, defined in the notebook's file
    solution = notebook_solutions(nb09)["check_top_p"]
    assert solution.__code__.co_filename == str(NOTEBOOKS[nb09]) and solution.__name__ == "top_p_solution"


def test_references_on_known_values():
    assert nb00.reference_sample_categorical([0.5, 0.5], [0.25, 0.75]).tolist() == [0, 1]
    assert nb00.reference_fit_transition_matrix([0, 1, 0, 1], 3).tolist() == [[0, 1, 0], [1, 0, 0], [1 / 3, 1 / 3, 1 / 3]]
    assert nb00.reference_shift_image(np.eye(3), 1, 0).tolist() == [[0, 1, 0], [0, 0, 1], [0, 0, 0]]
    assert nb01.reference_bits_per_character([0.5, 0.25]) == pytest.approx(1.5)
    assert np.allclose(nb01.reference_entropy_at_temperature(np.full((2, 4), 0.25), 0.1), 2.0)  # uniform: log2 4 at any T
    assert np.allclose(nb01.reference_entropy_at_temperature(np.array([[0.5, 0.25, 0.25]]), 1.0), 1.5)
    log_joint = np.log([[0.2, 0.6]])
    assert nb01.reference_em_lower_bound(log_joint, [[0.25, 0.75]]) == pytest.approx(np.log(0.8))  # the posterior: tight
    assert nb01.reference_em_lower_bound(log_joint, [[0.0, 1.0]]) == pytest.approx(np.log(0.6))  # hard assignment: lower
    # one component: EM lands on the data's mean and covariance at once, so the score is the single Gaussian's (+ the floor)
    points = np.random.default_rng(0).normal(size=(50, 2))
    train, heldout = nb01.reference_mixture_experiment(points, points, 1, 3, covariance_floor=0.0)
    centred = points - points.mean(axis=0)
    covariance = centred.T @ centred / len(points)
    assert train == heldout == pytest.approx(-0.5 * (2 + np.linalg.slogdet(covariance)[1] + 2 * np.log(2 * np.pi)))
    assert nb00.reference_kde_log_density(np.zeros((1, 2)), np.zeros((1, 2)), 1.0) == pytest.approx(-np.log(2 * np.pi))


# ============================================================================ notebook 16's experiment: two functions


def _nb16_experiment_solution():
    """(encode, decode) from the notebook's solution cell, run up to its assert."""
    cells = json.loads(NOTEBOOKS[nb16].read_text(encoding="utf-8"))["cells"]
    for cell in cells:
        source = "".join(cell["source"])
        if "solution" in cell.get("metadata", {}).get("tags", []) and "check_representation_experiment" in source:
            tree = ast.parse(source)
            index = next(i for i, statement in enumerate(tree.body) if isinstance(statement, ast.Assert))
            namespace = {"np": np, "ex": nb16, **_nb16_context()}
            exec(compile(ast.Module(tree.body[:index], []), str(NOTEBOOKS[nb16]), "exec"), namespace)  # noqa: S102
            call = tree.body[index].test
            return tuple(eval(compile(ast.Expression(arg), "solution", "eval"), namespace) for arg in call.args[:2])  # noqa: S307
    raise AssertionError("notebook 16 has no solution cell for the experiment")


@pytest.mark.parametrize(("answer", "phrase"), [(answer, phrase) for _, answer, phrase in NB16_EXPERIMENT_WRONG],
                         ids=[mistake for mistake, _, _ in NB16_EXPERIMENT_WRONG])
def test_nb16_experiment_wrong_answer_fails(answer, phrase, capsys):
    assert nb16.check_representation_experiment(*answer) is False
    out = capsys.readouterr().out
    assert "❌" in out and "✅" not in out, out
    assert phrase in out, f"expected {phrase!r} in: {out}"


def test_nb16_experiment_blank_raising_and_junk(capsys):
    encode, decode = _nb16_experiment_solution()
    for blank in (None, ..., lambda smiles: None):
        assert nb16.check_representation_experiment(blank, decode) is False
        out = capsys.readouterr().out
        assert "not attempted" in out and "❌" not in out, out
    assert nb16.check_representation_experiment(encode, None) is False
    assert "not attempted" in capsys.readouterr().out

    def broken(*args):
        raise ZeroDivisionError("oops")

    assert nb16.check_representation_experiment(broken, decode) is False
    assert "ZeroDivisionError" in capsys.readouterr().out
    assert nb16.check_representation_experiment(encode, broken) is False
    assert "ZeroDivisionError" in capsys.readouterr().out
    assert nb16.check_representation_experiment(42, decode) is False
    assert "expected a function" in capsys.readouterr().out
    assert nb16.check_representation_experiment(lambda smiles: 7.5, decode) is False
    assert "❌" in capsys.readouterr().out


def test_nb16_experiment_says_when_it_reuses_the_reference_runs(capsys):
    encode, decode = _nb16_experiment_solution()
    nb16.check_representation_experiment(encode, decode, steps=2, reveal=False)  # a size no other test trains
    assert "Training three tiny GRUs" in capsys.readouterr().out
    nb16.check_representation_experiment(encode, decode, steps=2, reveal=False)
    out = capsys.readouterr().out
    assert "already trained" in out and "three" not in out, out


def test_nb16_references_on_known_values():
    assert nb16.reference_novelty(["OCC", "CCO", "CCN", "C1CC", ""], {"CCO"}) == 0.5
    assert nb16.reference_novelty(["C1CC"], {"CCO"}) == 0.0
    assert nb16.reference_internal_diversity([[1, 0], [1, 0]]) == 0.0
    assert nb16.reference_internal_diversity([[1, 0], [0, 1]]) == pytest.approx(0.5)  # 1 - (1 + 1 + 0 + 0) / 4
    assert nb16.reference_selfies_tokens("CCO") == ["[C]", "[C]", "[O]"]
    assert nb16.reference_decode_selfies(["[C]", "[C]", "[O]"]) == "CCO"


def test_nb11_spacing_reference_and_counter_on_known_values():
    """An alto 13 or 14 semitones under the soprano is too wide, 12 is not; rests and the bass are free; the counter counts slots."""
    candidates = np.array([-1, 50, 51, 52, 60, 80])
    grid = np.array([[[64, -1, -1, -1]], [[-1, -1, -1, -1]]])
    assert nb11.reference_spacing_allowed(grid, 0, 1, candidates).tolist() == [
        [True, False, False, True, True, True], [True] * 6]
    assert nb11.reference_spacing_allowed(grid, 0, 3, candidates).all()  # the bass
    assert nb11.reference_spacing_allowed(grid, 0, 0, candidates).all()  # the soprano
    pieces = np.array([[[76, 63, 55, 40], [76, 64, 51, 40], [76, 64, 52, 30], [-1, 40, 30, 10]]])  # 4 slots = half a bar
    assert nb11.wide_spacing_per_bar(pieces) == 4.0  # two wide slots (S-A 13, A-T 13) in half a bar
    assert nb11.wide_spacing_per_bar(pieces[0], steps_per_bar=4) == 2.0
