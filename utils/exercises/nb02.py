"""Checkers for notebook 02 · Autoencoders.

Each checker takes the learner's function, calls it on known inputs, prints what is right
or wrong (and why) and returns True or False. A blank answer (None) prints "not attempted".
"""

from __future__ import annotations

import numpy as np

from . import call_safely, is_blank, not_attempted, report
from . import check_function as _start
from . import to_array as _array


def check_roc_auc(roc_auc) -> bool:
    """Exercise 1: ROC AUC as P(anomaly score > normal score) + 0.5 P(tie).

    Example: ``ex.check_roc_auc(my_function)``
    """
    what = "Exercise 1 · ROC AUC by hand"
    verdict = _start(what, roc_auc)
    if verdict is not None:
        return verdict
    cases = [
        ("perfect separation", np.array([0.1, 0.2, 0.3]), np.array([0.5, 0.9]), 1.0),
        ("reversed scores", np.array([0.5, 0.9]), np.array([0.1, 0.2, 0.3]), 0.0),
        ("all tied", np.array([1.0, 1.0]), np.array([1.0, 1.0, 1.0]), 0.5),
        # pairs: 3 > 1, 3 > 2, 3 = 3 (half), 2 > 1, 2 = 2 (half), 2 < 3 -> (1 + 1 + 0.5 + 1 + 0.5 + 0) / 6
        ("mixed with ties", np.array([1.0, 2.0, 3.0]), np.array([3.0, 2.0]), 4.0 / 6.0),
    ]
    for name, normal, anomalous, expected in cases:
        ok, answer = call_safely(what, roc_auc, normal, anomalous)
        if not ok:
            return False
        if is_blank(answer):
            return not_attempted(what)
        given = None if isinstance(answer, str) else _array(answer, "float64")
        if given is None or given.size != 1:
            return report(False, f"{what}: expected one number, got {answer!r}")
        value = float(given.reshape(()))
        if not np.isclose(value, expected, atol=1e-9):
            hint = "Count pairs where the anomaly scores higher, plus half the ties, divided by the number of pairs."
            if not np.isclose(expected, 0.5) and np.isclose(value, 1.0 - expected):
                hint = "The argument order matters: the first argument holds normal scores, the second anomaly scores."
            if name == "all tied" and np.isclose(value, 0.0) or (name == "mixed with ties" and np.isclose(value, 3 / 6)):
                hint = "Ties count as one half (you left them out: use > plus 0.5 times ==)."
            if name == "all tied" and np.isclose(value, 1.0) or (name == "mixed with ties" and np.isclose(value, 5 / 6)):
                hint = "Ties count as one half, not as a whole win (>= counts them fully: use > plus 0.5 times ==)."
            if not np.isclose(expected, 0.0) and np.isclose(value, expected * len(normal) * len(anomalous)):
                hint = "That is a count of pairs; divide by the number of pairs, len(normal) * len(anomaly), for a probability."
            return report(False, f"{what} ({name}): expected {expected:.3f}, got {value:.3f}. {hint}")
    return report(True, f"{what}: correct, including ties, which count one half.")


# ----------------------------------------------------------------------------- Exercise 2 · PCA, the linear autoencoder


def reference_pca_reconstruct(train_images, test_images, num_components: int) -> np.ndarray:
    """Project test images onto the top principal components of the training images and back (float64, test shape)."""
    train = np.asarray(train_images, dtype="float64").reshape(len(train_images), -1)
    test = np.asarray(test_images, dtype="float64")
    mean = train.mean(axis=0)
    _, _, rows = np.linalg.svd(train - mean, full_matrices=False)  # rows of `rows` are the principal directions
    basis = rows[:num_components]
    flat = test.reshape(len(test), -1) - mean
    return (flat @ basis.T @ basis + mean).reshape(test.shape)


def _pca_variant(train_images, test_images, k, *, centre="train", add_mean=True, which="top", fit_on="train"):
    """PCA reconstruction with one of the usual mistakes switched on (for the checker's hints)."""
    train = np.asarray(train_images, dtype="float64").reshape(len(train_images), -1)
    test = np.asarray(test_images, dtype="float64").reshape(len(test_images), -1)
    fit = train if fit_on == "train" else test
    mean = fit.mean(axis=0) if centre != "none" else np.zeros(fit.shape[1])
    _, _, rows = np.linalg.svd(fit - mean, full_matrices=False)
    basis = rows[:k] if which == "top" else rows[-k:]
    test_mean = test.mean(axis=0) if centre == "own" else mean
    projected = (test - test_mean) @ basis.T @ basis
    return (projected + (test_mean if add_mean else 0.0)).reshape(np.shape(test_images))


def _pca_data():
    rng = np.random.default_rng(4)
    directions = rng.normal(size=(5, 36))
    def images(count):
        codes = rng.normal(size=(count, 5)) * np.array([3.0, 2.0, 1.5, 1.0, 0.5])
        return (0.5 + 0.1 * (codes @ directions) + 0.05 * rng.normal(size=(count, 36))).reshape(count, 6, 6, 1)
    return images(200), images(50)


def check_pca_reconstruct(pca_reconstruct) -> bool:
    """Exercise 2: PCA as the optimal linear autoencoder; reconstructions of test images from k components.

    Example: ``ex.check_pca_reconstruct(my_function)``
    """
    what = "Exercise 2 · PCA, the linear autoencoder"
    verdict = _start(what, pca_reconstruct)
    if verdict is not None:
        return verdict
    train, test = _pca_data()
    errors = {}
    for k in (3, 1):
        ok, answer = call_safely(what, pca_reconstruct, train.copy(), test.copy(), k)
        if not ok:
            return False
        if is_blank(answer):
            return not_attempted(what)
        given = None if isinstance(answer, (str, bytes, dict)) else _array(answer, "float64")
        if given is None or given.shape != test.shape:
            shape = None if given is None else given.shape
            hint = (" Those look like the codes: map them back with the same components (codes @ components) and add the mean."
                    if shape == (len(test), k) else "")
            return report(False, f"{what}: expected reconstructions of the test images, shape {test.shape}, got {shape}.{hint}")
        expected = reference_pca_reconstruct(train, test, k)
        if np.allclose(given, expected, atol=1e-6):
            errors[k] = float(np.mean((expected - test) ** 2))
            continue
        at = f"with k={k}"
        wrong = [
            (_pca_variant(train, test, k, add_mean=False), "the training mean is missing from the result: you project (x - mean) and "
                                                            "must add the mean back after mapping the codes to pixels."),
            (_pca_variant(train, test, k, centre="none"), "the data were not centred: subtract the training mean before the SVD "
                                                          "(otherwise the first component just points at the mean image)."),
            (_pca_variant(train, test, k, centre="own"), "you centred the test images with their OWN mean; use the training mean, "
                                                         "a model may only learn from the training set."),
            (_pca_variant(train, test, k, fit_on="test"), "the components were fitted on the test images; fit them on the training "
                                                          "images only."),
            (_pca_variant(train, test, k, which="bottom"), "you kept the components with the SMALLEST variance; np.linalg.svd sorts "
                                                           "singular values in decreasing order, so keep the first k rows of Vt."),
        ]
        if k == 1 and 3 in errors and np.allclose(given, reference_pca_reconstruct(train, test, 3), atol=1e-6):
            return report(False, f"{what}: {at} you returned the 3-component reconstruction: use the num_components argument.")
        for wrong_value, message in wrong:
            if np.allclose(given, wrong_value, atol=1e-6):
                return report(False, f"{what}: {at} {message}")
        return report(False, f"{what}: {at} the reconstructions differ from PCA's (mean squared difference "
                             f"{float(np.mean((given - expected) ** 2)):.3g}). Hint: centre with the training mean, take the first k rows "
                             "of Vt from np.linalg.svd(centred_train, full_matrices=False), project, map back, add the mean.")
    return report(True, f"{what}: correct, the best rank-k linear reconstruction (held-out error {errors[3]:.4f} with 3 components, "
                        f"{errors[1]:.4f} with 1).")


# ----------------------------------------------------------------------------- Exercise 3 · experiment: what does the noise buy?

DENOISE_TRAIN, DENOISE_TEST = 2000, 500  # digits used by the experiment (smoke-sized: seconds per run)
DENOISE_EPOCHS = 8
DENOISE_TEST_NOISE = 0.5
DENOISE_SETTINGS = (0.0, 0.5)  # training noise: none (a plain autoencoder) and the notebook's


def reference_denoiser_experiment(train_images, noisy_test_images, clean_test_images, train_noise_std: float, num_epochs: int, *,
                                  target: str = "clean", test_inputs: str = "noisy", compare_to: str = "clean", seed: int = 0) -> float:
    """Train the exercise's small dense autoencoder (784 -> 128 -> 16 -> 128 -> 784, Adam 2e-3, batches of 64) on inputs with
    Gaussian noise of std ``train_noise_std`` (clipped to [0, 1], fresh each batch) and clean targets; return its mean squared
    error to the clean test digits when fed the noisy test digits. The keyword arguments switch on typical mistakes."""
    import keras
    import tensorflow as tf

    from .. import data as _data

    keras.utils.set_random_seed(seed)
    layers = keras.layers
    encoder = keras.Sequential([keras.Input((28, 28, 1)), layers.Flatten(), layers.Dense(128, activation="relu"), layers.Dense(16)])
    decoder = keras.Sequential([keras.Input((16,)), layers.Dense(128, activation="relu"), layers.Dense(784, activation="sigmoid"),
                                layers.Reshape((28, 28, 1))])
    optimizer = keras.optimizers.Adam(2e-3)
    noise_rng = np.random.default_rng(seed)

    @tf.function
    def train_step(inputs, targets):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(decoder(encoder(inputs, training=True), training=True) - targets))
        variables = encoder.trainable_variables + decoder.trainable_variables
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))

    for epoch in range(num_epochs):
        for batch in _data.to_dataset(train_images, batch_size=64, seed=seed, epoch=epoch):
            clean = batch.numpy()
            noisy = np.clip(clean + train_noise_std * noise_rng.standard_normal(clean.shape), 0.0, 1.0).astype("float32")
            train_step(noisy, noisy if target == "noisy" else clean)
    inputs = noisy_test_images if test_inputs == "noisy" else clean_test_images
    reference = clean_test_images if compare_to == "clean" else noisy_test_images
    return float(np.mean((decoder(encoder(inputs, training=False), training=False).numpy() - reference) ** 2))


_DENOISE_CACHE: dict = {}


def _denoise_data():
    if "data" not in _DENOISE_CACHE:
        from .. import data as _data

        x_train, _, x_test, _ = _data.load_mnist5k()
        clean = x_test[:DENOISE_TEST]
        noisy = np.clip(clean + DENOISE_TEST_NOISE * np.random.default_rng(1).standard_normal(clean.shape), 0.0, 1.0).astype("float32")
        _DENOISE_CACHE["data"] = (x_train[:DENOISE_TRAIN], noisy, clean)
    return _DENOISE_CACHE["data"]


def _denoise_reference(train_noise_std: float, **mistake) -> float:
    if train_noise_std == 0 and set(mistake) <= {"target"}:
        mistake = {}  # without noise a noisy target is the clean one: the same run
    key = (train_noise_std, tuple(sorted(mistake.items())))
    if key not in _DENOISE_CACHE:
        _DENOISE_CACHE[key] = reference_denoiser_experiment(*_denoise_data(), train_noise_std, DENOISE_EPOCHS, **mistake)
    return _DENOISE_CACHE[key]


def check_denoiser_experiment(denoiser_experiment, *, reveal: bool = True, tolerance: float = 0.2) -> bool:
    """Exercise 3 (experiment): ``denoiser_experiment(train_images, noisy_test_images, clean_test_images, train_noise_std,
    num_epochs)`` trains the small autoencoder with and without input noise; judged against a reference run.

    Example: ``ex.check_denoiser_experiment(my_function)``
    """
    what = "Exercise 3 · experiment: what does the noise buy?"
    verdict = _start(what, denoiser_experiment)
    if verdict is not None:
        return verdict
    train, noisy, clean = _denoise_data()
    given = {}
    for noise_std in DENOISE_SETTINGS:
        ok, answer = call_safely(what, denoiser_experiment, train.copy(), noisy.copy(), clean.copy(), noise_std, DENOISE_EPOCHS)
        if not ok:
            return False
        if is_blank(answer):
            return not_attempted(what)
        value = None if isinstance(answer, (str, bytes, dict)) else _array(answer, "float64")
        if value is None or value.size != 1 or not np.isfinite(value).all():
            return report(False, f"{what}: expected one number (the held-out mean squared error), got {answer!r:.60}.")
        given[noise_std] = float(value.reshape(()))
    plain, denoiser = given[DENOISE_SETTINGS[0]], given[DENOISE_SETTINGS[1]]
    expected = {noise_std: _denoise_reference(noise_std) for noise_std in DENOISE_SETTINGS}
    if np.isclose(plain, denoiser, rtol=1e-6, atol=1e-9):
        return report(False, f"{what}: both runs gave the same error ({plain:.4f}): train_noise_std never reaches the training inputs. "
                             "Add the noise to each training batch (and clip to [0, 1]) before encoding it.")
    mistakes = [
        ({"target": "noisy"}, "your model learns to reproduce the NOISY image: the input is noisy, the target must be the clean batch."),
        ({"test_inputs": "clean"}, "you scored the models on CLEAN test inputs: feed noisy_test_images and compare with "
                                   "clean_test_images."),
        ({"compare_to": "noisy"}, "you compared the output with the NOISY test images; a denoiser is judged against the clean ones."),
    ]
    close = all(abs(given[s] / expected[s] - 1) <= tolerance for s in DENOISE_SETTINGS)
    if not close:
        for mistake, message in mistakes:
            variant = {s: _denoise_reference(s, **mistake) for s in DENOISE_SETTINGS}
            if all(abs(given[s] / variant[s] - 1) <= tolerance for s in DENOISE_SETTINGS):
                return report(False, f"{what}: {message}")
        return report(False, f"{what}: the reference run measures an error of {expected[0.0]:.4f} without training noise and "
                             f"{expected[0.5]:.4f} with noise {DENOISE_SETTINGS[1]}; yours {plain:.4f} and {denoiser:.4f} (more than "
                             f"{tolerance:.0%} off). Use the autoencoder the exercise describes (784 -> 128 -> 16 -> 128 -> 784, Adam 2e-3, "
                             "batches of 64), fresh clipped noise on every training batch, clean targets.")
    if denoiser >= plain:
        return report(False, f"{what}: training with noise should lower the error on noisy inputs; yours went from {plain:.4f} to "
                             f"{denoiser:.4f}. Check that the noise goes on the inputs and the clean batch is the target.")
    if not reveal:
        return report(True, f"{what}: correct (what it measures is printed when you run your own answer in the cell above).")
    return report(True, f"{what}: correct, and the effect is measured ({len(train)} digits, {DENOISE_EPOCHS} epochs): on test digits with "
                        f"noise {DENOISE_TEST_NOISE}, the autoencoder trained without noise reaches an error of {plain:.4f}, the one trained "
                        f"with noise {DENOISE_SETTINGS[1]} reaches {denoiser:.4f} (reference run: {expected[0.0]:.4f} and {expected[0.5]:.4f}).")
