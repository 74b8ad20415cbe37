"""Train the chapter's three-output model with LintCallback watching the loss balance.

    .venv/bin/python examples/train_with_callback.py
"""

import warnings

import keras
import numpy as np

from inspector.keras import LintCallback

warnings.simplefilter("default")  # show each warning once
keras.utils.set_random_seed(0)
model = keras.models.load_model("fixtures/three_outputs_unweighted.keras", compile=False)
model.compile(
    optimizer="rmsprop",
    loss={"age": "mse", "income": "categorical_crossentropy", "gender": "binary_crossentropy"},
)
data = np.load("fixtures/three_outputs_data.npz", allow_pickle=False)
targets = {name: data[name] for name in ("age", "income", "gender")}
callback = LintCallback(fail_on="error", log_dir="logs/inspector")
model.fit(data["posts"], targets, epochs=3, batch_size=16, verbose=0, callbacks=[callback])
for epoch, contributions in enumerate(callback.contributions, 1):
    print(f"epoch {epoch}: " + ", ".join(f"{k} {v:.3g}" for k, v in contributions.items()))
