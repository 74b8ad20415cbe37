"""LintCallback on the chapter's three-output model, trained for real for a few epochs."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from inspector.keras import LintCallback, LintFailure, LossBalanceWarning

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
LOSSES = {"age": "mse", "income": "categorical_crossentropy", "gender": "binary_crossentropy"}
CHAPTER_WEIGHTS = {"age": 0.25, "income": 1.0, "gender": 10.0}


def _data():
    arrays = np.load(FIXTURES / "three_outputs_data.npz", allow_pickle=False)
    return arrays["posts"], {name: arrays[name] for name in LOSSES}


def _train(loss_weights, callback, epochs=3):
    keras.utils.set_random_seed(7)
    model = keras.models.load_model(FIXTURES / "three_outputs_unweighted.keras", compile=False)
    model.compile(optimizer="rmsprop", loss=LOSSES, loss_weights=loss_weights)
    x, y = _data()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = model.fit(x, y, epochs=epochs, batch_size=16, verbose=0, callbacks=[callback])
    return history, [w for w in caught if issubclass(w.category, LossBalanceWarning)]


def test_unweighted_training_warns_with_measured_contributions():
    callback = LintCallback(fail_on=None)
    history, balance_warnings = _train(None, callback)
    assert len(callback.contributions) == 3
    first = callback.contributions[0]
    # unweighted: each contribution is exactly the per-output loss Keras logged
    for name in LOSSES:
        assert first[name] == pytest.approx(history.history[f"{name}_loss"][0], rel=1e-6)
    assert first["age"] / min(first.values()) > 10
    assert len(balance_warnings) == 1, "warns once, not every epoch"
    message = str(balance_warnings[0].message)
    assert "age" in message and "gender" in message and "apart" in message
    # the static lint at train begin reports the unweighted compile too
    assert "unbalanced-loss-weights" in {f.name for f in callback.findings}


def test_chapter_weights_report_weighted_contributions():
    callback = LintCallback(fail_on=None)
    history, balance_warnings = _train(CHAPTER_WEIGHTS, callback)
    for epoch, contributions in enumerate(callback.contributions):
        for name, weight in CHAPTER_WEIGHTS.items():
            logged = history.history[f"{name}_loss"][epoch]
            assert contributions[name] == pytest.approx(logged * weight, rel=1e-6)
    spreads = [max(c.values()) / min(c.values()) for c in callback.contributions]
    assert bool(balance_warnings) == any(s > callback.factor for s in spreads)


def test_fail_on_raises_before_the_first_step():
    keras.utils.set_random_seed(7)
    model = keras.models.load_model(FIXTURES / "unused_input.keras", compile=False)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    inputs = [np.zeros((4,) + tuple(t.shape[1:]), dtype="float32") for t in model.inputs]
    callback = LintCallback(fail_on="warning")
    with pytest.raises(LintFailure, match="unused-input"):
        model.fit(inputs, np.zeros((4,), dtype="int32"), epochs=1, verbose=0, callbacks=[callback])


def test_log_dir_writes_findings_and_contributions(tmp_path):
    tf = pytest.importorskip("tensorflow")
    callback = LintCallback(fail_on=None, log_dir=str(tmp_path))
    _train(None, callback, epochs=2)
    tags: dict[str, list[float]] = {}
    for event_file in tmp_path.glob("events.out.tfevents.*"):
        for event in tf.compat.v1.train.summary_iterator(str(event_file)):
            for value in event.summary.value:
                tensor = tf.make_ndarray(value.tensor)
                tags.setdefault(value.tag, []).append(tensor)
    assert "inspector/findings" in tags
    findings_text = tags["inspector/findings"][0].item().decode()
    assert "unbalanced-loss-weights" in findings_text
    ages = [float(v) for v in tags["inspector/loss_contribution/age"]]
    assert len(ages) == 2 and all(math.isfinite(a) for a in ages)
    assert ages[0] == pytest.approx(callback.contributions[0]["age"], rel=1e-5)
