"""L102 unbalanced-loss-weights with and without data, and the loss measurement behind --data."""

from __future__ import annotations

import numpy as np
import pytest

import inspector
from inspector.engine import get_rule, lint_graph
from inspector.errors import LoadError
from inspector.measure import graph_and_model, measure_loss_contributions

RULE = "unbalanced-loss-weights"


def measure(target, data, model=None):
    return measure_loss_contributions(*graph_and_model(target, model), data)


def findings(path, measured=None):
    context = {"measured_losses": measured} if measured is not None else None
    return lint_graph(inspector.load(path), [get_rule(RULE)], context=context)


@pytest.mark.parametrize("name", ["three_outputs_unweighted.keras", "three_outputs_unweighted.h5",
                                  "three_outputs_unweighted_k2.h5"])
def test_unweighted_chapter_model_is_reported_without_data(fixtures_dir, name):
    (finding,) = findings(fixtures_dir / name)
    assert finding.message.startswith("estimate from the file")
    assert "mse on 'age' has no fixed scale" in finding.message
    assert "ln(10) = 2.30" in finding.message and "ln 2 = 0.69" in finding.message
    assert finding.layers[0] == "age"


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_weighted_chapter_model_is_silent_without_data(fixtures_dir, suffix):
    """Weighted 0.25/1/10: the cross-entropies at chance give 2.30 and 6.93 (3x apart); the mse's
    scale cannot be known from the file, and the user did weight it: nothing to claim."""
    assert findings(fixtures_dir / f"three_outputs_weighted{suffix}") == []


def test_single_output_models_are_never_reported(fixtures_dir):
    assert findings(fixtures_dir / "dense_functional.keras") == []
    assert findings(fixtures_dir / "siamese_shared_lstm.keras", {"prediction": 0.1}) == []


def test_measured_contributions_match_keras_evaluate(fixtures_dir, keras):
    data = fixtures_dir / "three_outputs_data.npz"
    measured = measure(str(fixtures_dir / "three_outputs_weighted.keras"), data)
    model = keras.models.load_model(fixtures_dir / "three_outputs_weighted.keras")
    arrays = np.load(data)
    result = model.evaluate(arrays["posts"], {k: arrays[k] for k in ("age", "income", "gender")},
                            verbose=0, return_dict=True)
    weights = {"age": 0.25, "income": 1.0, "gender": 10.0}
    for name, weight in weights.items():
        assert measured[name] == pytest.approx(weight * result[f"{name}_loss"], rel=1e-4)
    assert sum(measured.values()) == pytest.approx(result["loss"], rel=1e-4)


def test_unweighted_is_reported_with_measured_contributions(fixtures_dir):
    path = fixtures_dir / "three_outputs_unweighted.keras"
    measured = measure(str(path), fixtures_dir / "three_outputs_data.npz")
    assert measured["age"] > 10 * measured["gender"]
    (finding,) = findings(path, measured)
    assert finding.message.startswith("measured weighted loss contributions are age ")
    assert "loss_weights={'age': " in finding.message
    # The suggested weights equalize the contributions and keep their total.
    mean = sum(measured.values()) / 3
    gender_weight = float(f"{mean / measured['gender']:.2g}")
    assert f"'gender': {gender_weight:g}" in finding.message


def test_weighted_is_judged_on_its_measured_merits(fixtures_dir):
    path = fixtures_dir / "three_outputs_weighted.h5"
    measured = measure(str(path), fixtures_dir / "three_outputs_data.npz")
    ratio = max(measured.values()) / min(measured.values())
    assert ratio < 10  # 0.25 x mse, 1 x cce, 10 x bce land within one order of magnitude here
    assert findings(path, measured) == []
    options = {RULE: {"factor": ratio / 2}}
    (finding,) = lint_graph(inspector.load(path), [get_rule(RULE)], options, {"measured_losses": measured})
    assert "measured" in finding.message


def test_measurement_names_missing_arrays(fixtures_dir, tmp_path):
    data = tmp_path / "partial.npz"
    np.savez(data, posts=np.zeros((4, 50), dtype="int32"), age=np.zeros((4, 1)))
    with pytest.raises(LoadError, match="lacks arrays named income, gender"):
        measure(str(fixtures_dir / "three_outputs_unweighted.keras"), data)


def test_measurement_refuses_pickled_arrays(fixtures_dir, tmp_path):
    data = tmp_path / "pickled.npz"
    np.savez(data, posts=np.array([{"a": 1}], dtype=object), age=np.zeros(1),
             income=np.zeros(1), gender=np.zeros(1))
    with pytest.raises(LoadError, match="not a plain .npz"):
        measure(str(fixtures_dir / "three_outputs_unweighted.keras"), data)


def test_measurement_of_a_live_model(fixtures_dir, keras):
    model = keras.models.load_model(fixtures_dir / "three_outputs_unweighted.keras")
    live = measure(model, fixtures_dir / "three_outputs_data.npz")
    from_file = measure(str(fixtures_dir / "three_outputs_unweighted.keras"),
                                           fixtures_dir / "three_outputs_data.npz")
    assert live == pytest.approx(from_file)


@pytest.mark.parametrize(("arrays", "reason"), [
    ({"posts": np.zeros((4, 7), "int32")}, "expected shape=(None, 50), found shape=(4, 7)"),
    ({"income": np.zeros((4, 3))}, "array 'income': Arguments `target` and `output` must have the same shape"),
])
def test_wrong_shaped_data_is_a_load_error_naming_the_data(fixtures_dir, tmp_path, keras, arrays, reason):
    """Keras' ValueError from predict (or from the loss) was an internal error; it is the data's fault."""
    data = tmp_path / "wrong.npz"
    fitting = {"posts": np.zeros((4, 50), "int32"), "age": np.zeros((4, 1)), "income": np.zeros((4, 10)),
               "gender": np.zeros((4, 1))}
    np.savez(data, **{**fitting, **arrays})
    with pytest.raises(LoadError) as error:
        measure(str(fixtures_dir / "three_outputs_unweighted.keras"), data)
    assert error.value.path == str(data)
    assert error.value.reason.startswith("the data does not fit the model: ")
    assert reason in error.value.reason and "\x1b" not in error.value.reason
