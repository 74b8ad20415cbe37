"""What an output's head is, on Keras-written files: the activation behind pooling (All-CNN),
and a chain of narrow layers before a softmax as one bottleneck (one fault, one finding)."""

from __future__ import annotations

from inspector.engine import select_rules
from inspector.run import lint_target


def _all_cnn(keras, loss, pooling="AveragePooling2D"):
    """All-CNN's head (Springenberg et al. 2015): 1x1 convolution to 10 class maps, pooled over
    the 6x6 map, flattened, softmax."""
    layers = keras.layers
    inputs = keras.Input((6, 6, 32))
    x = layers.Conv2D(10, 1, activation="relu", name="class_maps")(inputs)
    x = getattr(layers, pooling)(pool_size=6, name="pooled")(x)
    x = layers.Flatten(name="flatten")(x)
    model = keras.Model(inputs, layers.Activation("softmax", name="probabilities")(x), name="all_cnn")
    model.compile(loss=loss)
    return model


def _lint(model, tmp_path, select):
    path = tmp_path / f"{model.name}.keras"
    model.save(path)
    return lint_target(str(path), select_rules(select, None))


def test_softmax_after_average_pooling_with_binary_crossentropy_is_reported(keras, tmp_path):
    [finding] = _lint(_all_cnn(keras, "binary_crossentropy"), tmp_path, ["L101"])
    assert finding.message.startswith("output 'probabilities' is a softmax over 10 units with binary_crossentropy")
    assert finding.layers == ("probabilities", "class_maps")
    assert _lint(_all_cnn(keras, "categorical_crossentropy"), tmp_path, ["L101"]) == []


def test_max_pooling_of_a_softmax_is_not_taken_for_a_softmax(keras, tmp_path):
    """A max over softmax maps no longer sums to one: no claim about what it is."""
    layers = keras.layers
    inputs = keras.Input((6, 6, 32))
    x = layers.Conv2D(10, 1, activation="softmax", name="class_maps")(inputs)
    x = layers.Flatten()(layers.MaxPooling2D(6)(x))
    model = keras.Model(inputs, x, name="max_of_softmax")
    model.compile(loss="binary_crossentropy")
    assert _lint(model, tmp_path, ["L101"]) == []


def test_two_narrow_layers_before_a_softmax_are_one_finding(keras, tmp_path):
    """13biti's chatbot shape: Dense(8) -> Dense(8) -> 17-way softmax."""
    layers = keras.layers
    model = keras.Sequential([keras.Input((40,)), layers.Dense(8, activation="relu", name="first"),
                              layers.Dense(8, activation="relu", name="second"),
                              layers.Dense(17, activation="softmax", name="intent")], name="chatbot")
    [finding] = _lint(model, tmp_path, ["A101"])
    assert finding.layers == ("first", "second", "intent")
    assert "(and through 'second', also at most 0.5x)" in finding.message


def test_corpus_chatbot_bottleneck_is_one_finding(corpus_dir):
    findings = lint_target(str(corpus_dir / "13biti__SimpleChatBot__model.keras"), select_rules(["A101"], None))
    assert [f.layers for f in findings] == [("dense", "dense_1", "dense_2")]
