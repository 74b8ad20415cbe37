"""Serialized Lambda bytecode, read in one place (inspector.security.lambdas) for the unsafe-lambda
rule, the config scan and `inspect export`: what one finds, the others find, on files tf_keras wrote."""

from __future__ import annotations

import pytest

from inspector import load
from inspector.engine import get_rule, lint_graph
from inspector.export.common import bytecode_refusals
from inspector.security.lambdas import holds_bytecode, marshal_keys, serialized_lambdas


@pytest.fixture(scope="module")
def tf_keras(keras):
    return pytest.importorskip("tf_keras")


def _save(tf_keras, path, **lambda_args):
    x = tf_keras.Input((4,), name="x")
    y = tf_keras.layers.Lambda(name="double", **lambda_args)(x)
    tf_keras.Model(x, tf_keras.layers.Dense(1, name="out")(y)).save(path)
    return load(path)


def test_a_mask_lambda_beside_a_named_function_is_bytecode_too(tf_keras, tmp_path):
    """tf_keras stores a builtin by name but marshals any Python function, a `mask` as well as the
    function, and from_config unmarshals both: the rule and the export refusal see the mask (S101
    read only function and output_shape before, while the legacy-Keras scan read the mask too)."""
    graph = _save(tf_keras, tmp_path / "masked.h5", function=abs, mask=lambda t, m: None)
    config = graph.layer("double").config
    assert config["function_type"] == "function" and marshal_keys(config) == ["mask"]
    assert list(serialized_lambdas(config)) == [("Keras 2 base64 marshal", ("mask",))]
    (finding,) = lint_graph(graph, [get_rule("unsafe-lambda")])
    assert finding.layers == ("double",) and "in mask" in finding.message
    (refusal,) = bytecode_refusals(graph)
    assert refusal.startswith("layer 'double' is a Lambda holding serialized Python bytecode")


def test_a_named_function_alone_is_no_bytecode(tf_keras, tmp_path):
    graph = _save(tf_keras, tmp_path / "named.h5", function=abs)
    assert not holds_bytecode(graph.layer("double").config)
    assert lint_graph(graph, [get_rule("unsafe-lambda")]) == [] and list(bytecode_refusals(graph)) == []


def test_each_era_is_named_with_its_place():
    keras3 = {"function": {"class_name": "__lambda__", "config": {"code": "4wEA"}}}
    keras1 = {"function": "\u00e3\u0001", "function_type": "lambda"}
    wrapped = {"layer": {"class_name": "Lambda", "config": {"output_shape": ["4wEA", None, None],
                                                            "output_shape_type": "lambda"}}}
    assert list(serialized_lambdas(keras3)) == [("Keras 3 __lambda__", ("function",))]
    assert list(serialized_lambdas(keras1)) == [("Keras 1 marshal", ("function",))]
    assert list(serialized_lambdas(wrapped)) == [("Keras 2 base64 marshal", ("layer", "config", "output_shape"))]
