"""Checkers for notebook 07 · Conditional GAN and Wasserstein GAN with gradient penalty."""

from __future__ import annotations

import functools
import math

import numpy as np

from . import as_number, attempt, check_function, is_blank, not_attempted, report

HIDDEN = "what it measures is printed when you run your own answer in the cell above"

# ----------------------------------------------------------------------------- Exercise 1: one-sided penalty


def _quadratic_critic(x):
    """A critic whose gradient differs from point to point: f(x) = sum(w * x^2) per image, gradient 2 w x."""
    import tensorflow as tf

    weights = tf.reshape(tf.linspace(0.2, 1.4, 28 * 28), (1, 28, 28, 1))
    return tf.reduce_sum(weights * tf.square(x), axis=[1, 2, 3])


def _penalty_cases():
    rng = np.random.default_rng(11)
    real = rng.uniform(-1, 1, (6, 28, 28, 1)).astype("float32") * np.linspace(0.02, 0.12, 6).reshape(6, 1, 1, 1).astype("float32")
    fake = rng.uniform(-1, 1, (6, 28, 28, 1)).astype("float32") * np.linspace(0.01, 0.04, 6).reshape(6, 1, 1, 1).astype("float32")
    alpha = np.array([0.9, 0.1, 0.7, 0.3, 0.6, 0.2], "float32")
    return real, fake, alpha


def _norms(real, fake, alpha, *, mix=None, axes=(1, 2, 3)):
    """Gradient norms of the quadratic critic at the mixed points (analytic: gradient = 2 w x)."""
    weights = np.linspace(0.2, 1.4, 28 * 28).reshape(1, 28, 28, 1)
    a = alpha.reshape(-1, 1, 1, 1)
    mixed = a * real + (1 - a) * fake if mix is None else mix
    gradient = 2 * weights * mixed
    return np.sqrt(np.sum(gradient.astype("float64") ** 2, axis=axes))


def reference_one_sided_penalty(real, fake, alpha) -> float:
    """mean(max(0, ||grad f(x_hat)|| - 1)^2) for the quadratic critic (NumPy, analytic gradient)."""
    return float(np.mean(np.maximum(_norms(real, fake, alpha) - 1.0, 0.0) ** 2))


def check_one_sided_penalty(function) -> bool:
    """Exercise 1: ``function(critic, real, fake, alpha)`` -> the one-sided gradient penalty E[max(0, ||grad|| - 1)^2]."""
    what = "Exercise 1 (one-sided gradient penalty)"
    verdict = check_function(what, function, "(critic, real, fake, alpha) -> penalty")
    if verdict is not None:
        return verdict
    real, fake, alpha = _penalty_cases()
    status, value = attempt(what, function, _quadratic_critic, real.copy(), fake.copy(), alpha.copy())
    if status != "ok":
        return False
    value = as_number(what, value, hint="Average the per-image penalties over the batch (tf.reduce_mean).")
    if value is None:
        return False
    expected = reference_one_sided_penalty(real, fake, alpha)
    norms = _norms(real, fake, alpha)
    if not (np.any(norms < 1) and np.any(norms > 1)):  # pragma: no cover - guards the test data itself
        raise AssertionError("the test batch must have gradient norms on both sides of 1")
    if math.isclose(value, expected, rel_tol=1e-3, abs_tol=1e-6):
        return report(True, f"{what}: correct.")  # says no more: a solution cell's output shows before the cell is opened
    swapped = _norms(real, fake, 1 - alpha)
    wrong = [
        (float(np.mean((norms - 1.0) ** 2)), "that is the two-sided penalty of the notebook; the one-sided one leaves norms below 1 "
                                              "alone: max(0, ||grad|| - 1)^2."),
        (float(np.mean(np.maximum(norms - 1.0, 0.0))), "square the excess: max(0, ||grad|| - 1)^2."),
        (float(np.mean(np.minimum(norms - 1.0, 0.0) ** 2)), "that penalises norms BELOW 1; the one-sided penalty penalises "
                                                             "those above 1: max(0, ||grad|| - 1)^2."),
        (float(np.mean(np.maximum(swapped - 1.0, 0.0) ** 2)), "the mixing weights are swapped: x_hat = alpha * real + (1 - alpha) * fake."),
        (float(np.mean(np.maximum(_norms(real, fake, alpha, mix=real) - 1.0, 0.0) ** 2)),
         "you took the gradient at the real images; take it at the mixed points x_hat between real and fake."),
        (float(np.maximum(np.sqrt(np.sum(norms**2)) - 1.0, 0.0) ** 2),
         "one norm over the whole batch; the penalty needs one gradient norm PER IMAGE (sum over all axes but the first)."),
        (float(np.mean(np.maximum(_norms(real, fake, alpha, axes=(2, 3)) - 1.0, 0.0) ** 2)),
         "norms over part of each image only; reduce over every axis except the batch axis (rows, columns and channels)."),
        (float(np.mean(np.maximum(norms**2 - 1.0, 0.0) ** 2)), "use the norm, not the squared norm: max(0, ||grad|| - 1)^2."),
        (10.0 * expected, "that includes the weight lambda = 10; return the penalty without it."),
    ]
    hint = next((message for wrong_value, message in wrong if math.isclose(value, wrong_value, rel_tol=1e-3, abs_tol=1e-6)),
                "mix the points, take the critic's gradient with respect to them in an inner tape, one norm per image, "
                "then average max(0, norm - 1)^2.")
    return report(False, f"{what}: got {value:.5g}, expected {expected:.5g}: {hint}")


# ----------------------------------------------------------------------------- Exercise 2: the original AC-GAN loss


def _softplus(x):
    return np.logaddexp(0.0, x)


def _cross_entropy(logits, labels):
    logits = np.asarray(logits, "float64")
    log_probs = logits - np.logaddexp.reduce(logits, axis=1, keepdims=True)
    return float(-np.mean(log_probs[np.arange(len(labels)), labels]))


def _acgan_case(seed):
    rng = np.random.default_rng(seed)
    real_logits, fake_logits = rng.normal(0.5, 1.5, (8, 1)).astype("float32"), rng.normal(-0.5, 1.5, (8, 1)).astype("float32")
    real_class_logits, fake_class_logits = rng.normal(0, 2, (8, 10)).astype("float32"), rng.normal(0, 2, (8, 10)).astype("float32")
    real_labels, wanted = rng.integers(0, 10, 8).astype("int32"), rng.integers(0, 10, 8).astype("int32")
    return real_logits, fake_logits, real_class_logits, fake_class_logits, real_labels, wanted


def reference_acgan_discriminator_loss(real_logits, fake_logits, real_class_logits, fake_class_logits, real_labels, wanted) -> float:
    """Odena et al.'s discriminator loss: real/fake cross-entropy + class cross-entropy on real AND fake images."""
    adversarial = float(np.mean(_softplus(-np.asarray(real_logits, "float64"))) + np.mean(_softplus(np.asarray(fake_logits, "float64"))))
    return adversarial + _cross_entropy(real_class_logits, real_labels) + _cross_entropy(fake_class_logits, wanted)


def check_acgan_discriminator_loss(function) -> bool:
    """Exercise 2: ``function(real_logits, fake_logits, real_class_logits, fake_class_logits, real_labels, wanted_labels)``
    -> the original AC-GAN discriminator loss (class head trained on real and generated digits)."""
    what = "Exercise 2 (the original AC-GAN's discriminator loss)"
    verdict = check_function(what, function, "(real_logits, fake_logits, real_class_logits, fake_class_logits, real_labels, "
                                             "wanted_labels) -> loss")
    if verdict is not None:
        return verdict
    for seed in (1, 2):
        case = _acgan_case(seed)
        status, value = attempt(what, function, *(array.copy() for array in case))
        if status != "ok":
            return False
        value = as_number(what, value, hint="The loss is one number: average every term over the batch.")
        if value is None:
            return False
        expected = reference_acgan_discriminator_loss(*case)
        if math.isclose(value, expected, rel_tol=1e-4, abs_tol=1e-5):
            continue
        real_logits, fake_logits, real_class, fake_class, real_labels, wanted = case
        adversarial = float(np.mean(_softplus(-real_logits.astype("float64"))) + np.mean(_softplus(fake_logits.astype("float64"))))
        class_real, class_fake = _cross_entropy(real_class, real_labels), _cross_entropy(fake_class, wanted)
        wrong = [
            (adversarial + class_real, "that is this notebook's variant (class head trained on real digits only); the original "
                                        "AC-GAN also trains it to name the GENERATED digits by their requested labels."),
            (adversarial + class_real + _cross_entropy(fake_class, real_labels),
             "the generated digits were asked for `wanted_labels`; score the fake class logits against those, not the real labels."),
            (adversarial + class_real - class_fake, "the discriminator MINIMISES both class terms; the minus sign belongs to no term."),
            (class_real + class_fake, "the real/fake term is missing: the discriminator still has to tell real from fake."),
            (float(np.mean(_softplus(real_logits)) + np.mean(_softplus(-fake_logits))) + class_real + class_fake,
             "real and fake are swapped in the adversarial term: real -> 1 (softplus(-logit)), fake -> 0 (softplus(logit))."),
            (adversarial * 8 + (class_real + class_fake) * 8, "these are sums over the batch; average every term."),
        ]
        hint = next((message for wrong_value, message in wrong if math.isclose(value, wrong_value, rel_tol=1e-4, abs_tol=1e-5)),
                    "L_D = BCE(real -> 1) + BCE(fake -> 0) + CE(real class logits, real labels) + CE(fake class logits, wanted labels), "
                    "each averaged over the batch, from logits (no sigmoid or softmax applied first).")
        return report(False, f"{what}: got {value:.4f}, expected {expected:.4f}: {hint}")
    return report(True, f"{what}: correct.")


# ----------------------------------------------------------------------------- Exercise 3: experiment, penalty weight

EXPERIMENT_GP_WEIGHT = 0.1  # the notebook's GP_WEIGHT, the reference the change is measured against
EXPERIMENT_STEPS = 100  # generator updates, 5 critic updates each
EXPERIMENT_HIDDEN = 32
EXPERIMENT_BATCH = 64


@functools.cache
def penalty_experiment(gp_weight: float, *, num_steps: int = EXPERIMENT_STEPS, seed: int = 0) -> dict[str, float]:
    """Train notebook 07's toy WGAN-GP (MLPs, 5x5 grid) with penalty weight ``gp_weight`` for ``num_steps`` generator updates.

    Returns the critic's mean gradient norm at points between real and fake ("gradient_norm", 1 for a 1-Lipschitz critic)
    and its Wasserstein estimate E[f(real)] - E[f(fake)] ("wasserstein_estimate"), both on a fresh batch after training,
    and the mass-weighted mode coverage of 2,000 samples ("mass_covered").
    Example: ``penalty_experiment(0.1)["gradient_norm"]``
    """
    import keras
    import tensorflow as tf
    from keras import layers

    from .. import config, data, gan, metrics

    points, _ = data.make_toy_2d("grid", 4096, seed=0, noise=0.05)
    config.seed_everything(seed)

    def mlp(input_dim, output_dim):
        return keras.Sequential([keras.Input((input_dim,)), *[layers.Dense(EXPERIMENT_HIDDEN, activation="relu") for _ in range(3)],
                                 layers.Dense(output_dim)])

    generator, critic = mlp(8, 2), mlp(2, 1)
    g_opt = keras.optimizers.Adam(1e-3, beta_1=0.5, beta_2=0.9)
    c_opt = keras.optimizers.Adam(1e-3, beta_1=0.5, beta_2=0.9)
    rng = tf.random.Generator.from_seed(seed)
    real_points = tf.constant(points)
    weight = tf.constant(float(gp_weight))

    def real_and_fake():
        real = tf.gather(real_points, rng.uniform([EXPERIMENT_BATCH], 0, len(points), dtype=tf.int32))
        return real, generator(rng.normal([EXPERIMENT_BATCH, 8]))

    @tf.function
    def step():
        for _ in range(5):
            real, fake = real_and_fake()
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(critic(fake)) - tf.reduce_mean(critic(real))
                loss += weight * gan.gradient_penalty(critic, real, fake, alpha=rng.uniform([EXPERIMENT_BATCH]))
            c_opt.apply_gradients(zip(tape.gradient(loss, critic.trainable_weights), critic.trainable_weights))
        with tf.GradientTape() as tape:
            g_loss = -tf.reduce_mean(critic(generator(rng.normal([EXPERIMENT_BATCH, 8]))))
        g_opt.apply_gradients(zip(tape.gradient(g_loss, generator.trainable_weights), generator.trainable_weights))

    for _ in range(num_steps):
        step()
    real, fake = real_and_fake()
    mixed = tf.Variable(0.5 * real + 0.5 * fake)
    with tf.GradientTape() as tape:
        scores = critic(mixed)
    norms = tf.norm(tape.gradient(scores, mixed), axis=1)
    samples = generator(np.random.default_rng(seed + 1).standard_normal((2000, 8)).astype("float32")).numpy()
    return {"gradient_norm": float(tf.reduce_mean(norms)),
            "wasserstein_estimate": float(tf.reduce_mean(critic(real)) - tf.reduce_mean(critic(fake))),
            "mass_covered": metrics.mode_coverage(samples, data.toy_modes("grid"), 0.05)["mass_covered"]}


def check_penalty_experiment(gp_weight, *, reveal: bool = True) -> bool:
    """Exercise 3 (experiment): ``gp_weight`` that REMOVES the penalty; trains the toy WGAN-GP and judges the measured effect."""
    what = "Exercise 3 · experiment: a critic without its penalty"
    if is_blank(gp_weight):
        return not_attempted(what)
    value = as_number(what, gp_weight, hint="The penalty weight lambda is one number.")
    if value is None:
        return False
    if value < 0:
        return report(False, f"{what}: lambda = {value:g} would REWARD steep critics; the penalty is removed with lambda = 0.")
    print(f"Training the toy WGAN-GP for {EXPERIMENT_STEPS} generator steps with the notebook's lambda, without penalty (reference) "
          "and with your lambda (~10-30 s)...")  # the value itself is not printed: a solution cell's output shows before it is opened
    reference, removed = penalty_experiment(EXPERIMENT_GP_WEIGHT), penalty_experiment(0.0)
    yours = penalty_experiment(value)
    measured = (f"critic's gradient norm between real and fake {yours['gradient_norm']:.2f} (reference {reference['gradient_norm']:.2f} "
                f"with lambda = {EXPERIMENT_GP_WEIGHT:g}, {removed['gradient_norm']:.2f} without penalty)")
    if math.isclose(yours["gradient_norm"], removed["gradient_norm"], rel_tol=0.05):
        if not reveal:
            return report(True, f"{what}: correct ({HIDDEN})")
        return report(True, f"{what}: correct, and the effect is measured after {EXPERIMENT_STEPS} generator steps: {measured}; "
                            f"Wasserstein estimate {removed['wasserstein_estimate']:.2f} without penalty vs "
                            f"{reference['wasserstein_estimate']:.2f} with it; mass-weighted coverage {removed['mass_covered']:.2f} vs "
                            f"{reference['mass_covered']:.2f}. Nothing keeps the critic 1-Lipschitz any more: its slopes grow, so its "
                            "'distance' is no longer a Wasserstein estimate on any fixed scale.")
    if math.isclose(value, EXPERIMENT_GP_WEIGHT):
        hint = "that is the notebook's weight, unchanged; removing the penalty means lambda = 0."
    elif value > EXPERIMENT_GP_WEIGHT:
        hint = "a LARGER weight enforces the constraint more strictly (norms nearer 1); removing the penalty means lambda = 0."
    else:
        hint = "a smaller weight still constrains the critic; removing the penalty means lambda = 0."
    return report(False, f"{what}: {measured}: {hint}")
