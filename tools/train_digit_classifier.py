"""Train the reference digit classifier that every image notebook's metrics use.

Run with `make classifier`. Deterministic on CPU: same seed, same weights, same accuracy.
Writes data/digit_classifier.weights.h5 and data/digit_classifier.json (held-out accuracy,
settings, library versions), both atomically.
"""

from __future__ import annotations

import hashlib
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import utils  # noqa: E402
from utils.io import atomic_path, atomic_write_json  # noqa: E402

SEED = utils.metrics.CLASSIFIER_SEED
EPOCHS = 20
BATCH_SIZE = 64


def main() -> None:
    import keras

    utils.setup(SEED)
    facts = utils.config.describe(SEED)
    split = utils.data.load_mnist5k()  # the same split (seed 0, 20% test) the notebooks use
    model = utils.metrics.build_digit_classifier()
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    model.fit(split.x_train, split.y_train, epochs=EPOCHS, batch_size=BATCH_SIZE, verbose=2, shuffle=True)
    _, accuracy = model.evaluate(split.x_test, split.y_test, verbose=0)
    print(f"held-out accuracy on MNIST-5k test split: {accuracy:.4f}")
    with atomic_path(utils.metrics.DIGIT_CLASSIFIER) as tmp:
        model.save_weights(tmp)
    digest = hashlib.sha256(utils.metrics.DIGIT_CLASSIFIER.read_bytes()).hexdigest()
    atomic_write_json(
        utils.metrics.DATA_DIR / "digit_classifier.json",
        {
            "held_out_accuracy": round(float(accuracy), 4),
            "test_images": int(len(split.x_test)),
            "train_images": int(len(split.x_train)),
            "epochs": EPOCHS,
            "batch_size": BATCH_SIZE,
            "seed": SEED,
            "feature_layer": utils.metrics.FEATURE_LAYER,
            "sha256": digest,
            "tensorflow": facts["tensorflow"],
            "keras": facts["keras"],
            "made_by": "tools/train_digit_classifier.py",
        },
    )


if __name__ == "__main__":
    main()
