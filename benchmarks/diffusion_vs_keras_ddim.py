"""Diffusion at equal CPU time: notebook 10's two routes against the Keras DDIM example's configuration and the course DCGAN.

Four sides train on MNIST-5k's 4,000 training digits for the same budget of *process CPU time*
(``time.process_time()``: 600 CPU-seconds = 5 minutes on 2 busy cores); evaluation is not counted.
Each side runs three times, interleaved (keras_ddim 1, course_pixel 1, course_latent 1, dcgan 1,
keras_ddim 2, ...), run ``i`` of every side with seed ``i``.

- ``course_latent``: notebook 10's latent diffusion, its headline: notebook 02's autoencoder trained
  for the notebook's AE_EPOCHS (counted in the budget), then the residual-MLP denoiser on the
  standardised codes (linear schedule, T = 1,000, label dropout, EMA with warm-up) for the rest.
- ``course_pixel``: notebook 10's pixel-space U-Net (cosine schedule, its width, batch and learning
  rate), trained here far longer than the notebook can afford (it gets 67-70 CPU-seconds there):
  this is where its FD-vs-CPU-time curve goes.
- ``keras_ddim``: the configuration of the keras-io example "Denoising Diffusion Implicit Models"
  (A. Béres): U-Net widths [32, 64, 96, 128], block depth 2, residual blocks with parameter-free
  batch normalisation, a 32-d sinusoidal embedding of the noise variance (frequencies 1-1000)
  concatenated at full resolution, average-pool down / bilinear up, data normalisation, batch 64,
  AdamW(1e-3, weight decay 1e-4), EMA 0.999 of all weights, mean absolute error on the noise, the
  continuous cosine schedule with signal rates 0.95 down to 0.02. **Adapted to 28x28 only where it
  must:** three 2x poolings need a side divisible by 8, so digits are zero-padded to 32x32 for the
  network and generated images are cropped back to the central 28x28; one grey channel instead of
  three. Its network code is written here (the example is not a course notebook).
- ``dcgan``: notebook 06's DCGAN and training step (``benchmarks/dcgan_vs_tutorial.py``'s "ours":
  utils.gan, EMA generator for sampling).

The course sides take their model builders straight from notebooks/10_diffusion_from_scratch.ipynb
(the function and class definitions of its code cells, with its full-mode Parameters), so the
benchmark cannot drift from the notebook's architecture; their training steps mirror the notebook's.

Every diffusion side samples with 20 deterministic DDIM steps (the example's plotting default).
Splits as in ``dcgan_vs_tutorial.py``: validation = the first 500 held-out digits (the FD curve at
1/4, 1/2, 3/4 and all of the budget: 250 samples against the first 250 of them), test = the last 500
(the final FD of each run, 1,000 samples, the claim, nothing else). Each side's first training step
compiles its ``tf.function``; that CPU time counts in its budget, as a learner would pay it. FD per CPU-second is the curve; the verdict compares test FD
at the full budget.

    nice -n 10 .venv/bin/python benchmarks/diffusion_vs_keras_ddim.py              # the full protocol (~9,000 CPU-s with evaluation)
    .venv/bin/python benchmarks/diffusion_vs_keras_ddim.py --cpu-seconds 10 --runs 1 --limit 256   # quick check -> outputs/
"""

from __future__ import annotations

import argparse
import ast
import gc
import json
import math
import os
import pathlib
import platform
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

import utils  # noqa: E402  (quietens TensorFlow's logs before it is imported)
from benchmarks import dcgan_vs_tutorial, protocol  # noqa: E402
from utils import gan  # noqa: E402

NAME = "diffusion_vs_keras_ddim"
NOTEBOOK = ROOT / "notebooks" / "10_diffusion_from_scratch.ipynb"
SIDES = ("keras_ddim", "course_pixel", "course_latent", "dcgan")
NUM_SAMPLES = 1000  # generated digits for the final (test) FD
CURVE_SAMPLES = 250  # generated digits per point of the validation curve, against as many validation digits (equal counts)
CURVE_POINTS = 4
DDIM_STEPS = 20

KERAS_DDIM = {"widths": (32, 64, 96, 128), "block_depth": 2, "embedding_dims": 32, "embedding_max_frequency": 1000.0,
              "batch_size": 64, "learning_rate": 1e-3, "weight_decay": 1e-4, "ema": 0.999,
              "min_signal_rate": 0.02, "max_signal_rate": 0.95, "padded_size": 32}
DESCRIPTIONS = {
    "keras_ddim": "keras-io DDIM example's configuration: U-Net widths 32/64/96/128, block depth 2, 32-d sinusoidal noise-variance "
                  "embedding, batch 64, AdamW 1e-3 wd 1e-4, EMA 0.999, MAE loss, continuous cosine schedule (signal rates 0.95-0.02); "
                  "digits zero-padded to 32x32, samples cropped to 28x28",
    "course_pixel": "notebook 10's pixel U-Net (cosine schedule, T=1000, MSE on the noise, Adam, its width/batch/learning rate), no EMA",
    "course_latent": "notebook 10's latent diffusion: notebook 02's autoencoder (its AE_EPOCHS, in the budget), then the residual-MLP "
                     "denoiser on standardised codes (linear schedule, label dropout, EMA with warm-up)",
    "dcgan": "notebook 06's DCGAN (utils.gan, EMA generator), as benchmarks/dcgan_vs_tutorial.py's 'ours'",
}


# ----------------------------------------------------------------------------- notebook 10's code

def notebook_namespace(path: pathlib.Path = NOTEBOOK, mode: str = "full") -> dict:
    """Notebook 10's Parameters (in ``mode``) and the function/class definitions of its code cells, executed in one namespace."""
    import keras
    import tensorflow as tf
    from keras import layers

    cells = [cell for cell in json.loads(pathlib.Path(path).read_text(encoding="utf-8"))["cells"] if cell["cell_type"] == "code"]
    sources = ["".join(cell["source"]) for cell in cells]
    parameters = next((s for s in sources if s.startswith("# Parameters")), None)
    if parameters is None:
        raise ValueError(f"{path} has no Parameters cell")
    namespace = {"utils": utils, "keras": keras, "layers": layers, "tf": tf, "np": np, "math": math, "time": time,
                 "__name__": "notebook10"}
    if mode not in ("full", "smoke"):
        raise ValueError(f"mode must be 'full' or 'smoke', got {mode!r}")
    saved = os.environ.get("COURSE_MODE")
    os.environ["COURSE_MODE"] = mode  # utils.pick in the Parameters cell reads it
    try:
        exec(compile(parameters, f"{path.name}:Parameters", "exec"), namespace)
    finally:
        if saved is None:
            os.environ.pop("COURSE_MODE", None)
        else:
            os.environ["COURSE_MODE"] = saved
    namespace["NO_LABEL"] = 10
    for index, source in enumerate(sources):
        if source.startswith(("# Parameters", "# Setup")) or "# @title Solution" in source:
            continue
        tree = ast.parse(source)
        kept = [node for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))
                or (isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and node.targets[0].id.isupper())]
        if kept:
            exec(compile(ast.Module(body=kept, type_ignores=[]), f"{path.name}:cell{index}", "exec"), namespace)
    missing = [name for name in ("TimeEmbedding", "build_unet", "build_autoencoder", "build_latent_denoiser", "latent_noise_fn",
                                 "ddim_sample", "unet_noise") if name not in namespace]
    if missing:
        raise ValueError(f"{path} no longer defines {missing}: update benchmarks/{NAME}.py")
    return namespace


# ----------------------------------------------------------------------------- the keras-io DDIM network

def sinusoidal_embedding(x, dims: int, max_frequency: float):
    """The example's embedding of the noise variance: sin/cos at frequencies log-spaced from 1 to ``max_frequency``."""
    from keras import ops

    frequencies = ops.exp(ops.linspace(math.log(1.0), math.log(max_frequency), dims // 2))
    angular_speeds = ops.cast(2.0 * math.pi * frequencies, "float32")
    return ops.concatenate([ops.sin(angular_speeds * x), ops.cos(angular_speeds * x)], axis=3)


def build_keras_ddim_network(config: dict = KERAS_DDIM):
    """[noisy images (N, 32, 32, 1), noise variances (N, 1, 1, 1)] -> predicted noise, the example's U-Net."""
    import keras
    from keras import layers

    def residual_block(x, width):
        residual = x if x.shape[3] == width else layers.Conv2D(width, 1)(x)
        x = layers.BatchNormalization(center=False, scale=False)(x)
        x = layers.Conv2D(width, 3, padding="same", activation="swish")(x)
        x = layers.Conv2D(width, 3, padding="same")(x)
        return layers.Add()([x, residual])

    size = config["padded_size"]
    noisy_images = keras.Input((size, size, 1))
    noise_variances = keras.Input((1, 1, 1))
    e = layers.Lambda(lambda v: sinusoidal_embedding(v, config["embedding_dims"], config["embedding_max_frequency"]),
                      output_shape=(1, 1, config["embedding_dims"]))(noise_variances)
    e = layers.UpSampling2D(size=size, interpolation="nearest")(e)
    x = layers.Concatenate()([layers.Conv2D(config["widths"][0], 1)(noisy_images), e])
    skips = []
    for width in config["widths"][:-1]:
        for _ in range(config["block_depth"]):
            x = residual_block(x, width)
            skips.append(x)
        x = layers.AveragePooling2D(2)(x)
    for _ in range(config["block_depth"]):
        x = residual_block(x, config["widths"][-1])
    for width in reversed(config["widths"][:-1]):
        x = layers.UpSampling2D(2, interpolation="bilinear")(x)
        for _ in range(config["block_depth"]):
            x = residual_block(layers.Concatenate()([x, skips.pop()]), width)
    x = layers.Conv2D(1, 1, kernel_initializer="zeros")(x)
    return keras.Model([noisy_images, noise_variances], x, name="keras_ddim_unet")


def diffusion_rates(times, config: dict = KERAS_DDIM):
    """(noise rates, signal rates) of the example's continuous cosine schedule at diffusion times in [0, 1]."""
    import tensorflow as tf

    start, end = math.acos(config["max_signal_rate"]), math.acos(config["min_signal_rate"])
    angles = start + tf.convert_to_tensor(times, tf.float32) * (end - start)
    return tf.sin(angles), tf.cos(angles)


# ----------------------------------------------------------------------------- the four sides

class KerasDDIM:
    """The example's training step and DDIM sampler (images normalised by the training set's mean and spread)."""

    def __init__(self, x_train, y_train, seed, config=KERAS_DDIM):
        import keras
        import tensorflow as tf

        utils.config.seed_everything(seed)
        pad = (config["padded_size"] - 28) // 2
        self.pad, self.config, self.batch_size = pad, config, config["batch_size"]
        self.images = np.pad(x_train, ((0, 0), (pad, pad), (pad, pad), (0, 0))).astype("float32")
        self.mean, self.std = float(self.images.mean()), float(self.images.std())
        self.network, self.ema_network = build_keras_ddim_network(config), build_keras_ddim_network(config)
        self.ema_network.set_weights(self.network.get_weights())
        self.optimizer = keras.optimizers.AdamW(config["learning_rate"], weight_decay=config["weight_decay"])
        self.rng = tf.random.Generator.from_seed(seed)
        self.order_rng = np.random.default_rng(seed)
        self.batches, self.epochs = [], 0
        network, ema_network, optimizer, rng, ema = self.network, self.ema_network, self.optimizer, self.rng, config["ema"]

        @tf.function
        def train_step(images):
            images = (images - self.mean) / self.std
            noises = rng.normal(tf.shape(images))
            noise_rates, signal_rates = diffusion_rates(rng.uniform([tf.shape(images)[0], 1, 1, 1]), config)
            noisy = signal_rates * images + noise_rates * noises
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.abs(noises - network([noisy, noise_rates ** 2], training=True)))
            optimizer.apply_gradients(zip(tape.gradient(loss, network.trainable_weights), network.trainable_weights))
            for weight, ema_weight in zip(network.weights, ema_network.weights):
                ema_weight.assign(ema * ema_weight + (1 - ema) * weight)
            return loss

        def make_denoise(net):
            @tf.function(reduce_retracing=True)
            def denoise(noisy, noise_rates, signal_rates):
                pred_noises = net([noisy, noise_rates ** 2], training=False)
                return pred_noises, (noisy - noise_rates * pred_noises) / signal_rates
            return denoise

        self.train_step, self.denoise, self.denoise_raw = train_step, make_denoise(ema_network), make_denoise(network)

    def step(self) -> None:
        if not self.batches:
            self.batches, self.epochs = dcgan_vs_tutorial.epoch_batches(len(self.images), self.batch_size, self.order_rng,
                                                                       keep_last=True), self.epochs + 1
        self.train_step(self.images[self.batches.pop(0)])

    def sample(self, noise: np.ndarray, raw: bool = False) -> np.ndarray:
        import tensorflow as tf

        denoise = self.denoise_raw if raw else self.denoise  # raw: the trained network itself, not its average
        outputs = []
        for chunk in np.array_split(noise, max(1, len(noise) // 250)):
            noisy = tf.convert_to_tensor(chunk)
            for step in range(DDIM_STEPS):
                times = tf.fill([len(chunk), 1, 1, 1], 1.0 - step / DDIM_STEPS)
                pred_noises, pred_images = denoise(noisy, *diffusion_rates(times, self.config))
                next_noise, next_signal = diffusion_rates(times - 1.0 / DDIM_STEPS, self.config)
                noisy = next_signal * pred_images + next_noise * pred_noises
            outputs.append(pred_images.numpy())
        images = np.concatenate(outputs) * self.std + self.mean
        return np.clip(images[:, self.pad:self.pad + 28, self.pad:self.pad + 28], 0.0, 1.0)

    def noise(self, count: int, seed: int) -> np.ndarray:
        size = self.config["padded_size"]
        return np.random.default_rng(seed).standard_normal((count, size, size, 1)).astype("float32")


class CoursePixel:
    """Notebook 10's pixel U-Net and training step (cosine schedule), trained for the whole budget."""

    def __init__(self, x_train, y_train, seed, nb):
        import keras
        import tensorflow as tf

        utils.config.seed_everything(seed)
        self.nb, self.batch_size = nb, nb["PIXEL_BATCH"]
        self.images = utils.diffusion.to_model_range(x_train)
        self.schedule = utils.diffusion.make_schedule("cosine", nb["NUM_DIFFUSION_STEPS"])
        model = nb["build_unet"](nb["UNET_WIDTH"])
        optimizer = keras.optimizers.Adam(nb["PIXEL_LEARNING_RATE"])
        rng = tf.random.Generator.from_seed(seed)
        schedule, num_steps = self.schedule, nb["NUM_DIFFUSION_STEPS"]

        @tf.function
        def train_step(x0):  # as in notebook 10's train_pixel_model
            t = rng.uniform([tf.shape(x0)[0]], 0, num_steps, tf.int32)
            noise = rng.normal(tf.shape(x0))
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.square(model([utils.diffusion.q_sample(x0, t, noise, schedule), t], training=True) - noise))
            optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_weights), model.trainable_weights))
            return loss

        self.model, self.train_step, self.predict_noise = model, train_step, nb["unet_noise"](model)
        self.order_rng, self.batches, self.epochs = np.random.default_rng(seed), [], 0

    def step(self) -> None:
        if not self.batches:
            self.batches, self.epochs = dcgan_vs_tutorial.epoch_batches(len(self.images), self.batch_size, self.order_rng,
                                                                       keep_last=True), self.epochs + 1
        self.train_step(self.images[self.batches.pop(0)])

    def sample(self, noise: np.ndarray, raw: bool = False) -> np.ndarray:  # no weight average on this side: raw is the model
        chunks = [self.nb["ddim_sample"](self.predict_noise, chunk, self.schedule, DDIM_STEPS, clip=1.0)
                  for chunk in np.array_split(noise, max(1, len(noise) // 250))]
        return utils.diffusion.to_image_range(np.concatenate(chunks))

    def noise(self, count: int, seed: int) -> np.ndarray:
        return np.random.default_rng(seed).standard_normal((count, 28, 28, 1)).astype("float32")


class CourseLatent:
    """Notebook 10's latent route: its autoencoder for AE_EPOCHS, then its latent denoiser (EMA) for the rest of the budget."""

    def __init__(self, x_train, y_train, seed, nb):
        import keras
        import tensorflow as tf

        utils.config.seed_everything(seed)
        self.nb, self.x_train, self.labels = nb, x_train.astype("float32"), y_train.astype("int32")
        self.encoder, self.decoder = nb["build_autoencoder"](nb["LATENT_DIM"])
        ae_optimizer = keras.optimizers.Adam(nb["AE_LEARNING_RATE"])
        encoder, decoder = self.encoder, self.decoder

        @tf.function
        def ae_train_step(images):  # as in notebook 10
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.square(images - decoder(encoder(images, training=True), training=True)))
            variables = encoder.trainable_variables + decoder.trainable_variables
            ae_optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
            return loss

        self.ae_train_step, self.ae_epochs, self.seed = ae_train_step, 0, seed
        self.order_rng, self.batches, self.epochs = np.random.default_rng(seed), [], 0
        self.latents = None

    def _start_latent_stage(self) -> None:
        import keras
        import tensorflow as tf

        nb = self.nb
        codes = self.encoder.predict(self.x_train, verbose=0, batch_size=500)
        self.code_mean, self.code_std = codes.mean(axis=0), codes.std(axis=0)
        self.latents = ((codes - self.code_mean) / self.code_std).astype("float32")
        model = nb["build_latent_denoiser"](nb["LATENT_DIM"], nb["LATENT_HIDDEN"], nb["LATENT_BLOCKS"])
        ema_model = nb["build_latent_denoiser"](nb["LATENT_DIM"], nb["LATENT_HIDDEN"], nb["LATENT_BLOCKS"], name="ema_denoiser")
        ema_model.set_weights(model.get_weights())
        optimizer = keras.optimizers.Adam(nb["LATENT_LEARNING_RATE"])
        rng = tf.random.Generator.from_seed(self.seed)
        self.schedule = utils.diffusion.make_schedule("linear", nb["NUM_DIFFUSION_STEPS"])
        schedule, pairs = self.schedule, list(zip(ema_model.weights, model.weights))
        num_steps, dropout, no_label, ema_decay = nb["NUM_DIFFUSION_STEPS"], nb["LABEL_DROPOUT"], nb["NO_LABEL"], nb["EMA_DECAY"]

        @tf.function
        def train_step(z0, labels):  # as in notebook 10's build_latent_run
            n = tf.shape(z0)[0]
            t = rng.uniform([n], 0, num_steps, tf.int32)
            noise = rng.normal(tf.shape(z0))
            labels = tf.where(rng.uniform([n]) < dropout, no_label, labels)
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.square(model([utils.diffusion.q_sample(z0, t, noise, schedule), t, labels], training=True) - noise))
            optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_weights), model.trainable_weights))
            step = tf.cast(optimizer.iterations, tf.float32)
            decay = tf.minimum(ema_decay, (1.0 + step) / (10.0 + step))
            for average, weight in pairs:
                average.assign(decay * average + (1.0 - decay) * weight)
            return loss

        self.train_step, self.predict_noise = train_step, nb["latent_noise_fn"](ema_model)
        self.predict_noise_raw = nb["latent_noise_fn"](model)
        self.batches = []

    def step(self) -> None:
        nb = self.nb
        if self.latents is None:  # stage 1: the autoencoder, AE_EPOCHS passes
            if not self.batches:
                if self.ae_epochs == nb["AE_EPOCHS"]:
                    self._start_latent_stage()
                    return self.step()
                self.batches, self.ae_epochs = dcgan_vs_tutorial.epoch_batches(len(self.x_train), nb["AE_BATCH"], self.order_rng,
                                                                              keep_last=True), self.ae_epochs + 1
            self.ae_train_step(self.x_train[self.batches.pop(0)])
            return None
        if not self.batches:
            self.batches, self.epochs = dcgan_vs_tutorial.epoch_batches(len(self.latents), nb["LATENT_BATCH"], self.order_rng,
                                                                       keep_last=True), self.epochs + 1
        batch = self.batches.pop(0)
        self.train_step(self.latents[batch], self.labels[batch])
        return None

    def sample(self, noise: np.ndarray, raw: bool = False) -> np.ndarray | None:
        if self.latents is None:
            return None  # still training the autoencoder: nothing to sample yet
        latents = self.nb["ddim_sample"](self.predict_noise_raw if raw else self.predict_noise, noise, self.schedule, DDIM_STEPS)
        return self.decoder.predict(latents * self.code_std + self.code_mean, verbose=0, batch_size=500)

    def noise(self, count: int, seed: int) -> np.ndarray:
        return np.random.default_rng(seed).standard_normal((count, self.nb["LATENT_DIM"])).astype("float32")


class DCGAN:
    """Notebook 06's DCGAN (benchmarks/dcgan_vs_tutorial.py's 'ours'), sampled from its weight-averaged generator."""

    def __init__(self, x_train, y_train, seed):
        import tensorflow as tf

        self.config = dcgan_vs_tutorial.CONFIGS["ours"]
        self.generator, self.ema, self.train_step = dcgan_vs_tutorial.build("ours", self.config, seed)
        self.images, self.tf = x_train * 2.0 - 1.0, tf
        self.order_rng, self.batches, self.epochs = np.random.default_rng(seed), [], 0

    def step(self) -> None:
        if not self.batches:
            self.batches, self.epochs = dcgan_vs_tutorial.epoch_batches(len(self.images), self.config["batch_size"], self.order_rng,
                                                                       keep_last=False), self.epochs + 1
        self.train_step(self.tf.constant(self.images[self.batches.pop(0)]))

    def sample(self, noise: np.ndarray, raw: bool = False) -> np.ndarray:
        return gan.sample_images(self.generator if raw else self.ema, noise)

    def noise(self, count: int, seed: int) -> np.ndarray:
        return np.random.default_rng(seed).standard_normal((count, self.config["latent_dim"])).astype("float32")


def make_side(name: str, x_train, y_train, seed: int, nb: dict | None = None):
    """A fresh, seeded trainer of side ``name`` with ``step()``, ``noise(count, seed)`` and ``sample(noise)``."""
    if name not in SIDES:
        raise ValueError(f"unknown side {name!r}; choose one of {SIDES}")
    if name == "keras_ddim":
        return KerasDDIM(x_train, y_train, seed)
    if name == "dcgan":
        return DCGAN(x_train, y_train, seed)
    nb = nb if nb is not None else notebook_namespace()
    return (CoursePixel if name == "course_pixel" else CourseLatent)(x_train, y_train, seed, nb)


# ----------------------------------------------------------------------------- protocol

def fd_of(images, reference) -> float | None:
    return None if images is None else round(float(utils.metrics.frechet_digit_distance(images, reference)), 2)


def run(name: str, x_train, y_train, x_val, x_test, cpu_seconds: float, seed: int, nb: dict | None,
        num_samples: int = NUM_SAMPLES, curve_samples: int = CURVE_SAMPLES) -> dict:
    """Train one side for ``cpu_seconds`` of process CPU time; FD on validation along the way, on test at the end."""
    import keras

    side = make_side(name, x_train, y_train, seed, nb)
    curve_noise, test_noise = side.noise(curve_samples, seed + 1000), side.noise(num_samples, seed + 2000)
    eval_points = [cpu_seconds * (i + 1) / CURVE_POINTS for i in range(CURVE_POINTS)]
    steps, used_cpu, used_wall, curve = 0, 0.0, 0.0, []
    while len(curve) < CURVE_POINTS:
        cpu_start, wall_start = time.process_time(), time.perf_counter()
        while used_cpu + time.process_time() - cpu_start < eval_points[len(curve)]:
            side.step()
            steps += 1
        used_cpu += time.process_time() - cpu_start
        used_wall += time.perf_counter() - wall_start
        sample_start = time.process_time()
        point = {"cpu_seconds": round(used_cpu, 1), "wall_seconds": round(used_wall, 1), "steps": steps,
                 "val_fd": fd_of(side.sample(curve_noise), x_val[:curve_samples]),  # outside the budget
                 "sample_cpu_seconds": round(time.process_time() - sample_start, 1)}
        curve.append(point)
        print(f"  {name} (seed {seed}): {point}", flush=True)
    # the averaged weights sample the claim; the raw network's validation FD says what the average costs or gains at this length
    raw_val_fd = fd_of(side.sample(curve_noise, raw=True), x_val[:curve_samples]) if name != "course_pixel" else None
    sample_start = time.process_time()
    final = side.sample(test_noise)
    test_cpu = time.process_time() - sample_start
    counts = np.bincount(utils.metrics.digit_predictions(final), minlength=10) if final is not None else np.zeros(10, int)
    record = {"description": DESCRIPTIONS[name], "cpu_seconds": curve[-1]["cpu_seconds"], "wall_seconds": curve[-1]["wall_seconds"],
              "steps": steps, "epochs_started": side.epochs, "curve": curve, "val_fd_raw_weights": raw_val_fd,
              "test_fd": fd_of(final, x_test),  # the only use of the test digits
              "classes_present": int(np.sum(counts > 0)),
              "sampling_cpu_seconds_per_1000": round(test_cpu * 1000 / max(1, num_samples), 1)}
    del side
    keras.backend.clear_session()
    gc.collect()
    return record


def summarize(result: dict) -> dict:
    """Per-side spread of test FD and steps, the ranking and (once complete) the verdict and README row."""
    sides = {}
    for name in SIDES:
        runs = [r for r in protocol.runs_of(result, name) if r["test_fd"] is not None]
        if runs:
            sides[name] = {"test_fd": protocol.spread([r["test_fd"] for r in runs]), "steps": protocol.spread([r["steps"] for r in runs]),
                           "classes_present": [r["classes_present"] for r in runs],
                           "val_fd_curve": [round(float(np.mean([r["curve"][i]["val_fd"] for r in runs
                                                                 if r["curve"][i]["val_fd"] is not None] or [np.nan])), 1)
                                            for i in range(CURVE_POINTS)]}
    summary = {"sides": sides, "ranking": None, "verdict": None, "readme": None}
    if result["status"] != "complete":
        return summary
    # the winner must beat every other side worst case: its worst run below every other side's best run
    ranking = sorted(sides, key=lambda name: sides[name]["test_fd"]["mean"])
    if len(ranking) < 2:
        return dict(summary, ranking=ranking)
    best, runner_up = ranking[0], ranking[1]
    clear = sides[best]["test_fd"]["max"] < min(sides[name]["test_fd"]["min"] for name in ranking[1:])
    verdict = f"{best} wins" + ("" if clear else f" on the mean, but its worst run does not beat {runner_up}'s best")
    summary.update(ranking=ranking, verdict=verdict,
                   readme=readme_row(result, sides, ranking, verdict) if set(sides) == set(SIDES) else None)
    return summary


def readme_row(result: dict, sides: dict, ranking: list[str], verdict: str) -> dict:
    budget, runs = result["protocol"]["cpu_seconds"], result["protocol"]["runs"]
    text = {name: f"{name} FD {protocol.fmt_spread(sides[name]['test_fd'], 1)}" for name in ranking}
    return {
        "benchmark": f"`{NAME}.py` ({budget:.0f} CPU-s per run on MNIST-5k, {runs} interleaved runs per side, "
                     f"FD of {result['num_samples']} samples on {result['test_images']} test digits)",
        "reference": f"keras-io DDIM configuration (padded to 32x32): {text['keras_ddim']}; course DCGAN: {text['dcgan']}",
        "ours": f"notebook 10: {text['course_latent']}; {text['course_pixel']}",
        "target": f"who wins at equal CPU time (a clear win: the winner's worst run below every other side's best): "
                  f"**{verdict}** (ranking by mean test FD {' < '.join(ranking)})",
        "verdict": verdict,
    }


def markdown(result: dict) -> str:
    rows = ["| run | side | seed | CPU s | wall s | steps | validation FD at 1/4, 1/2, 3/4, 1 of the budget | same, raw weights (no EMA) at the end "
            "| test FD | digits | sampling CPU-s per 1,000 |",
            "|---:|---|---:|---:|---:|---:|---|---:|---:|---:|---:|"]
    for r in sorted(result["runs"], key=lambda r: (r["index"], SIDES.index(r["side"]))):
        curve = ", ".join("-" if p["val_fd"] is None else f"{p['val_fd']}" for p in r["curve"])
        rows.append(f"| {r['index'] + 1} | {r['side']} | {r['seed']} | {r['cpu_seconds']} | {r['wall_seconds']} | {r['steps']:,} | "
                    f"{curve} | {'-' if r.get('val_fd_raw_weights') is None else r['val_fd_raw_weights']} | {r['test_fd']} | {r['classes_present']}/10 | {r['sampling_cpu_seconds_per_1000']} |")
    lines = [
        "# Diffusion at equal CPU time: notebook 10 vs the keras-io DDIM configuration vs the course DCGAN",
        "",
        f"Status: {result['status']}. Same data (MNIST-5k, {result['train_images']} training digits), same budget of "
        f"{result['protocol']['cpu_seconds']:.0f} process CPU-seconds of training per run ({result['machine']}), runs interleaved; "
        f"Fréchet digit distance of {result['curve_samples']} samples against {result['validation_images']} validation digits "
        f"along training and of {result['num_samples']} samples against {result['test_images']} test digits at the end "
        f"(the claim only). Diffusion sides sample with {DDIM_STEPS} DDIM steps. Lower is better.",
        "",
        *rows,
        "",
        f"Anchors on the test digits: real training digits FD {result['anchors']['real_vs_real']}, uniform noise FD {result['anchors']['noise']}.",
        "",
        f"Machine: {protocol.load_summary(result)}.",
        "",
    ]
    for name, stats in result["sides"].items():
        lines.append(f"- {name}: test FD {protocol.fmt_spread(stats['test_fd'], 2)}; steps {protocol.fmt_spread(stats['steps'], 0)}; "
                     f"mean validation FD along the budget {stats['val_fd_curve']}")
    if result.get("verdict"):
        lines += ["", f"Verdict: **{result['verdict']}** (ranking by mean test FD: {' < '.join(result['ranking'])})."]
    lines += ["", "Configurations:", *[f"- **{name}**: {text}" for name, text in DESCRIPTIONS.items()], ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cpu-seconds", type=float, default=protocol.FULL_BUDGET, help="process CPU-seconds of training per run")
    parser.add_argument("--runs", type=int, default=protocol.FULL_RUNS, help="runs per side (interleaved)")
    parser.add_argument("--limit", type=int, default=None, help="training digits (quick checks; the full protocol uses all)")
    parser.add_argument("--sides", nargs="+", default=list(SIDES), choices=SIDES, help="sides to run (quick checks only)")
    parser.add_argument("--num-samples", type=int, default=NUM_SAMPLES, help="generated digits for the test FD")
    parser.add_argument("--curve-samples", type=int, default=CURVE_SAMPLES, help="generated digits per curve point")
    parser.add_argument("--out", default=None, help="output path without extension (default: benchmarks/results/ for the full "
                                                    "protocol, outputs/benchmarks/ otherwise)")
    parser.add_argument("--resume", action="store_true", help="keep the runs already in the output file and do the rest")
    args = parser.parse_args(argv)

    import tensorflow as tf

    full = protocol.is_full_protocol(args.cpu_seconds, args.runs, full_data=args.limit is None and args.num_samples == NUM_SAMPLES
                                     and args.curve_samples == CURVE_SAMPLES and tuple(args.sides) == SIDES)
    path = protocol.output_path(NAME, full=full, out=args.out)
    split = utils.data.load_mnist5k(limit=args.limit)
    x_train, y_train = split.x_train, split.y_train
    x_val, x_test = dcgan_vs_tutorial.split_held_out(split.x_test)
    noise_images = np.random.default_rng(0).uniform(0, 1, (args.num_samples, 28, 28, 1)).astype("float32")
    anchors = {"real_vs_real": round(float(utils.metrics.frechet_digit_distance(x_train[:args.num_samples], x_test)), 2),
               "noise": round(float(utils.metrics.frechet_digit_distance(noise_images, x_test)), 2)}
    nb = notebook_namespace()
    result = {
        "protocol": {"cpu_seconds": args.cpu_seconds, "runs": args.runs, "limit": args.limit, "num_samples": args.num_samples,
                     "curve_samples": args.curve_samples, "ddim_steps": DDIM_STEPS, "full": full, "sides": list(args.sides),
                     "seeds": list(range(args.runs))},
        "machine": f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}, TensorFlow {tf.__version__}",
        "train_images": len(x_train), "validation_images": len(x_val), "test_images": len(x_test),
        "splits": "training: load_mnist5k().x_train; validation: the first 500 of load_mnist5k().x_test (FD curve along training); "
                  "test: the last 500 (final FD of each run, the claim, nothing else)",
        "num_samples": args.num_samples, "curve_samples": args.curve_samples, "anchors": anchors,
    }
    print(f"{'full protocol' if full else 'quick check'} -> {path}; anchors {anchors}", flush=True)
    sides = {name: (lambda index, seed, name=name: run(name, x_train, y_train, x_val, x_test, args.cpu_seconds, seed, nb,
                                                       args.num_samples, args.curve_samples))
             for name in args.sides}
    result = protocol.run_interleaved(result, sides, runs=args.runs, seeds=list(range(args.runs)), path=path,
                                      summarize=summarize, markdown=markdown, resume=args.resume)
    print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
