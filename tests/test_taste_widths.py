"""The opt-in width rules (T101 shrinking-filters, T102 widening-dense) compare a layer with what
it really reads: not one branch of a concatenation, and not the task's own output width.
Corpus files that showed both faults, and a Keras-written decoder."""

from __future__ import annotations

from inspector.engine import select_rules
from inspector.run import lint_target


def _found(target, select):
    return [(f.code, f.layers) for f in lint_target(str(target), select_rules(select, None))]


def test_a_dense_after_a_concatenation_of_fields_is_not_widening(corpus_dir):
    """DeepFM: the 64-unit Dense reads the flattened concatenation of every field's 20-wide
    embedding, not the first field's Dense alone."""
    deepfm = corpus_dir / ("KonduitAI__dl4j-test-resources__src_main_resources_modelimport_keras_"
                           "examples_deepfm_deepfm.h5")
    assert _found(deepfm, ["T102"]) == []


def test_a_decoder_output_convolution_is_not_shrinking(corpus_dir, keras, tmp_path):
    """A VAE decoder ends in Conv2D(1, sigmoid): the image's one channel, not a design choice."""
    vae = corpus_dir / "savewater1__DL4---Siamese-Network-and-Variational-AutoEncoder__vae.h5"
    assert _found(vae, ["T101"]) == []
    layers = keras.layers
    inputs = keras.Input((7, 7, 16))
    x = layers.Conv2DTranspose(32, 3, strides=2, padding="same", activation="relu", name="up")(inputs)
    x = layers.Conv2D(32, 3, padding="same", activation="relu", name="refine")(x)
    x = layers.Conv2D(16, 3, padding="same", activation="relu", name="narrower")(x)
    image = layers.Conv2D(1, 3, padding="same", activation="sigmoid", name="image")(x)
    path = tmp_path / "decoder.keras"
    keras.Model(inputs, image, name="decoder").save(path)
    assert _found(path, ["T101"]) == [("T101", ("narrower", "refine"))]
