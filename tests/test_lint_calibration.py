"""Precision on real models: keras.applications say nothing but VGG16's missing normalization
and one info note per rule at most; one architecture gives the same findings from every format.
Every finding on the real-world corpus has its verdict in tests/corpus_verdicts.tsv
(tests/test_corpus_verdicts.py)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from inspector.engine import all_rules
from inspector.run import lint_target

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


def test_applications_report_only_vgg16_normalization_and_one_info_note_per_rule(
        keras_applications, application_name):
    findings = lint_target(str(keras_applications(application_name).keras), all_rules())
    expected = {"missing-normalization"} if application_name == "VGG16" else set()
    assert {f.name for f in findings if f.severity != "info"} == expected, [str(f) for f in findings]
    per_rule = Counter(f.name for f in findings if f.severity == "info")
    assert all(n == 1 for n in per_rule.values()), [str(f) for f in findings]


def test_resnet50_biases_before_normalization_are_one_finding(keras_applications):
    [finding] = [f for f in lint_target(str(keras_applications("ResNet50").keras), all_rules())
                 if f.name == "bias-before-normalization"]
    assert finding.message.startswith("weight layers add a bias that the BatchNormalization")
    assert ": 53 places (conv1_conv, conv2_block1_1_conv, conv2_block1_2_conv and 50 more)" in finding.message
    assert len(finding.layers) == 2 * 53 and finding.layers[:2] == ("conv1_conv", "conv1_bn")


@pytest.mark.parametrize("name", ["ResNet50", "VGG16"])
def test_same_findings_from_keras_h5_json_and_live_model(keras_applications, name, tmp_path):
    app = keras_applications(name)
    config = tmp_path / f"{name}.json"
    config.write_text(app.model.to_json())
    seen = {}
    for fmt, target in (("keras", str(app.keras)), ("h5", str(app.h5)), ("json", str(config)),
                        ("live", app.model)):
        seen[fmt] = [(f.code, f.message, f.layers) for f in lint_target(target, all_rules())]
    assert seen["keras"], "the comparison needs findings to compare"
    assert seen["h5"] == seen["keras"] and seen["json"] == seen["keras"] and seen["live"] == seen["keras"]
