"""inspector.shapes against Keras itself, against hand-computed Keras 1 configs, against garbage.

The Keras comparisons build each layer on symbolic ``keras.Input`` tensors, round-trip its config
through JSON the way a file stores it, and require the pure-Python inference to agree with Keras
on every output shape and on every weight's shape and trainable flag, in ``layer.weights`` order.
"""

from __future__ import annotations

import json
import math
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from inspector.shapes import WeightSpec, known_classes, output_shapes, weight_specs

pytestmark = pytest.mark.filterwarnings("ignore:You passed `rms_scaling=True`:UserWarning")

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"  # beside the repository


# --------------------------------------------------------------------------- case table


@dataclass
class Case:
    id: str
    make: Callable[[Any], Any]  # keras.layers module -> layer
    shapes: list[tuple]  # input shapes, batch dimension included
    call: Callable[[Any, list], Any] | None = None  # how to call the layer on the inputs
    extra_config: dict = field(default_factory=dict)  # call kwargs a loader copies into config
    dtypes: list[str] | None = None


def _list_call(layer, xs):
    return layer(xs)


def _mha_call(layer, xs):
    if len(xs) == 3:
        return layer(xs[0], xs[1], key=xs[2])
    return layer(xs[0], xs[1])


def _mha_scores_call(layer, xs):
    return layer(xs[0], xs[1], return_attention_scores=True)


def _attention_scores_call(layer, xs):
    return layer(xs, return_attention_scores=True)


def _initial_state_call(layer, xs):
    return layer(xs[0], initial_state=xs[1:])


S = (None,)  # batch dimension

CASES: list[Case] = [
    # core
    Case("dense-2d", lambda L: L.Dense(3), [(None, 5)]),
    Case("dense-3d", lambda L: L.Dense(3, activation="relu"), [(None, 4, 5)]),
    Case("dense-4d-nobias", lambda L: L.Dense(2, use_bias=False), [(None, 2, 3, 5)]),
    Case("dense-frozen", lambda L: L.Dense(3, trainable=False), [(None, 5)]),
    Case("dense-unknown-steps", lambda L: L.Dense(3), [(None, None, 5)]),
    Case(
        "einsum-2d",
        lambda L: L.EinsumDense("ab,bc->ac", output_shape=4, bias_axes="c"),
        [(None, 5)],
    ),
    Case(
        "einsum-3d-partial",
        lambda L: L.EinsumDense("abc,cd->abd", output_shape=(None, 6), bias_axes="d"),
        [(None, 10, 5)],
    ),
    Case(
        "einsum-ellipsis", lambda L: L.EinsumDense("...b,bc->...c", output_shape=4), [(None, 3, 5)]
    ),
    Case(
        "einsum-heads",
        lambda L: L.EinsumDense("abc,cde->abde", output_shape=(7, 2, 3), bias_axes="de"),
        [(None, 7, 5)],
    ),
    Case("activation", lambda L: L.Activation("tanh"), [(None, 4, 5)]),
    Case("relu", lambda L: L.ReLU(max_value=6.0), [(None, 4, 5)]),
    Case("leaky-relu", lambda L: L.LeakyReLU(), [(None, 4)]),
    Case("prelu", lambda L: L.PReLU(), [(None, 4, 5)]),
    Case("prelu-shared", lambda L: L.PReLU(shared_axes=[1, 2]), [(None, 4, 5, 6)]),
    Case("elu", lambda L: L.ELU(), [(None, 4)]),
    Case("softmax", lambda L: L.Softmax(axis=1), [(None, 4, 3)]),
    Case("dropout", lambda L: L.Dropout(0.5), [(None, 4, 5)]),
    Case("spatial-dropout1d", lambda L: L.SpatialDropout1D(0.2), [(None, 4, 5)]),
    Case("spatial-dropout2d", lambda L: L.SpatialDropout2D(0.2), [(None, 4, 5, 6)]),
    Case("spatial-dropout3d", lambda L: L.SpatialDropout3D(0.2), [(None, 3, 4, 5, 6)]),
    Case("gaussian-noise", lambda L: L.GaussianNoise(0.1), [(None, 7)]),
    Case("gaussian-dropout", lambda L: L.GaussianDropout(0.1), [(None, 7)]),
    Case("alpha-dropout", lambda L: L.AlphaDropout(0.1), [(None, 7)]),
    Case("activity-regularization", lambda L: L.ActivityRegularization(l1=0.1), [(None, 7)]),
    Case("masking", lambda L: L.Masking(), [(None, 6, 3)]),
    Case("identity", lambda L: L.Identity(), [(None, 6, 3)]),
    Case("rescaling", lambda L: L.Rescaling(1 / 255), [(None, 8, 8, 3)]),
    Case(
        "lambda-with-shape", lambda L: L.Lambda(lambda x: x[:, :2], output_shape=(2,)), [(None, 5)]
    ),
    Case("embedding", lambda L: L.Embedding(100, 8), [(None, 10)], dtypes=["int32"]),
    Case(
        "embedding-unknown-length", lambda L: L.Embedding(50, 4), [(None, None)], dtypes=["int32"]
    ),
    Case("embedding-3d", lambda L: L.Embedding(50, 4), [(None, 3, 4)], dtypes=["int32"]),
    Case(
        "category-onehot",
        lambda L: L.CategoryEncoding(num_tokens=5, output_mode="one_hot"),
        [(None, 1)],
        dtypes=["int32"],
    ),
    Case(
        "category-multihot",
        lambda L: L.CategoryEncoding(num_tokens=6, output_mode="multi_hot"),
        [(None, 3)],
        dtypes=["int32"],
    ),
    Case("resizing", lambda L: L.Resizing(4, 5), [(None, 8, 8, 3)]),
    Case("center-crop", lambda L: L.CenterCrop(4, 3), [(None, 8, 8, 3)]),
    # convolutions
    Case("conv1d", lambda L: L.Conv1D(4, 3), [(None, 10, 5)]),
    Case(
        "conv1d-same-strided", lambda L: L.Conv1D(4, 3, strides=2, padding="same"), [(None, 11, 5)]
    ),
    Case(
        "conv1d-causal-dilated",
        lambda L: L.Conv1D(4, 3, padding="causal", dilation_rate=2),
        [(None, 10, 5)],
    ),
    Case("conv1d-groups", lambda L: L.Conv1D(10, 3, groups=5), [(None, 10, 5)]),
    Case("conv1d-cf", lambda L: L.Conv1D(4, 3, data_format="channels_first"), [(None, 5, 10)]),
    Case("conv2d", lambda L: L.Conv2D(4, (3, 2), strides=(2, 1)), [(None, 9, 8, 3)]),
    Case("conv2d-same", lambda L: L.Conv2D(4, 3, strides=2, padding="same"), [(None, 9, 8, 3)]),
    Case(
        "conv2d-dilated",
        lambda L: L.Conv2D(4, 3, dilation_rate=2, use_bias=False),
        [(None, 9, 8, 3)],
    ),
    Case("conv2d-cf", lambda L: L.Conv2D(4, 3, data_format="channels_first"), [(None, 3, 9, 8)]),
    Case("conv2d-unknown-size", lambda L: L.Conv2D(4, 3), [(None, None, None, 3)]),
    Case("conv3d", lambda L: L.Conv3D(2, 3), [(None, 5, 6, 7, 2)]),
    Case(
        "conv3d-cf",
        lambda L: L.Conv3D(2, 2, strides=2, data_format="channels_first"),
        [(None, 2, 5, 6, 7)],
    ),
    Case("conv1d-transpose", lambda L: L.Conv1DTranspose(3, 3, strides=2), [(None, 5, 4)]),
    Case(
        "conv1d-transpose-same",
        lambda L: L.Conv1DTranspose(3, 4, strides=2, padding="same"),
        [(None, 5, 4)],
    ),
    Case(
        "conv2d-transpose-outpad",
        lambda L: L.Conv2DTranspose(3, 3, strides=2, output_padding=1),
        [(None, 5, 6, 2)],
    ),
    Case(
        "conv2d-transpose-same-cf",
        lambda L: L.Conv2DTranspose(3, 3, strides=2, padding="same", data_format="channels_first"),
        [(None, 2, 5, 6)],
    ),
    Case("conv3d-transpose", lambda L: L.Conv3DTranspose(2, 2, strides=2), [(None, 3, 4, 5, 2)]),
    Case("separable1d", lambda L: L.SeparableConv1D(4, 3, depth_multiplier=2), [(None, 10, 3)]),
    Case("separable2d", lambda L: L.SeparableConv2D(4, 3, padding="same"), [(None, 8, 8, 3)]),
    Case(
        "separable2d-cf",
        lambda L: L.SeparableConv2D(4, 3, data_format="channels_first", use_bias=False),
        [(None, 3, 8, 8)],
    ),
    Case("depthwise1d", lambda L: L.DepthwiseConv1D(3, depth_multiplier=2), [(None, 10, 3)]),
    Case(
        "depthwise2d", lambda L: L.DepthwiseConv2D(3, strides=2, padding="same"), [(None, 8, 8, 3)]
    ),
    Case(
        "depthwise2d-cf",
        lambda L: L.DepthwiseConv2D(3, depth_multiplier=3, data_format="channels_first"),
        [(None, 3, 8, 8)],
    ),
    # pooling
    Case("maxpool1d", lambda L: L.MaxPooling1D(2), [(None, 9, 3)]),
    Case(
        "avgpool1d-same", lambda L: L.AveragePooling1D(3, strides=2, padding="same"), [(None, 9, 3)]
    ),
    Case("maxpool2d", lambda L: L.MaxPooling2D((2, 3)), [(None, 9, 9, 3)]),
    Case("avgpool2d-same", lambda L: L.AveragePooling2D(2, padding="same"), [(None, 7, 7, 3)]),
    Case(
        "maxpool2d-cf", lambda L: L.MaxPooling2D(2, data_format="channels_first"), [(None, 3, 7, 9)]
    ),
    Case("maxpool3d", lambda L: L.MaxPooling3D(2), [(None, 4, 5, 6, 2)]),
    Case("avgpool3d-strides", lambda L: L.AveragePooling3D(2, strides=1), [(None, 4, 5, 6, 2)]),
    Case("gmp1d", lambda L: L.GlobalMaxPooling1D(), [(None, 9, 3)]),
    Case(
        "gap1d-cf-keepdims",
        lambda L: L.GlobalAveragePooling1D(data_format="channels_first", keepdims=True),
        [(None, 3, 9)],
    ),
    Case("gap2d", lambda L: L.GlobalAveragePooling2D(), [(None, 5, 6, 3)]),
    Case("gmp2d-keepdims", lambda L: L.GlobalMaxPooling2D(keepdims=True), [(None, 5, 6, 3)]),
    Case(
        "gap2d-cf",
        lambda L: L.GlobalAveragePooling2D(data_format="channels_first"),
        [(None, 3, 5, 6)],
    ),
    Case("gap3d", lambda L: L.GlobalAveragePooling3D(), [(None, 2, 5, 6, 3)]),
    Case("gmp3d-keepdims", lambda L: L.GlobalMaxPooling3D(keepdims=True), [(None, 2, 5, 6, 3)]),
    Case("adaptive-avg2d", lambda L: L.AdaptiveAveragePooling2D((2, 3)), [(None, 8, 9, 3)]),
    # reshaping
    Case("flatten", lambda L: L.Flatten(), [(None, 3, 4, 5)]),
    Case("flatten-unknown", lambda L: L.Flatten(), [(None, None, 4)]),
    Case("reshape-minus-one", lambda L: L.Reshape((2, -1)), [(None, 3, 4)]),
    Case("reshape-unknown", lambda L: L.Reshape((-1,)), [(None, None, 4)]),
    Case("reshape", lambda L: L.Reshape((4, 3)), [(None, 12)]),
    Case("permute", lambda L: L.Permute((2, 1)), [(None, 3, 4)]),
    Case("permute-3", lambda L: L.Permute((3, 1, 2)), [(None, 2, 3, 4)]),
    Case("repeat-vector", lambda L: L.RepeatVector(3), [(None, 4)]),
    Case("zeropad1d", lambda L: L.ZeroPadding1D(2), [(None, 5, 3)]),
    Case("zeropad1d-asym", lambda L: L.ZeroPadding1D((1, 3)), [(None, 5, 3)]),
    Case("zeropad2d", lambda L: L.ZeroPadding2D(((1, 2), (3, 4))), [(None, 5, 6, 3)]),
    Case(
        "zeropad2d-cf",
        lambda L: L.ZeroPadding2D(1, data_format="channels_first"),
        [(None, 3, 5, 6)],
    ),
    Case("zeropad3d", lambda L: L.ZeroPadding3D((1, 2, 3)), [(None, 3, 4, 5, 2)]),
    Case("crop1d", lambda L: L.Cropping1D((1, 2)), [(None, 10, 3)]),
    Case("crop2d", lambda L: L.Cropping2D(((1, 2), (3, 4))), [(None, 10, 12, 3)]),
    Case("crop2d-unknown", lambda L: L.Cropping2D(2), [(None, None, 8, 3)]),
    Case(
        "crop2d-cf",
        lambda L: L.Cropping2D(((1, 0), (0, 2)), data_format="channels_first"),
        [(None, 3, 10, 12)],
    ),
    Case("crop3d", lambda L: L.Cropping3D(1), [(None, 5, 6, 7, 2)]),
    Case("upsample1d", lambda L: L.UpSampling1D(3), [(None, 4, 2)]),
    Case("upsample2d", lambda L: L.UpSampling2D((2, 3)), [(None, 4, 5, 3)]),
    Case(
        "upsample2d-cf",
        lambda L: L.UpSampling2D(2, data_format="channels_first"),
        [(None, 3, 4, 5)],
    ),
    Case("upsample3d", lambda L: L.UpSampling3D(2), [(None, 2, 3, 4, 1)]),
    # merging
    Case("concat", lambda L: L.Concatenate(), [(None, 3, 4), (None, 3, 5)], _list_call),
    Case("concat-axis1", lambda L: L.Concatenate(axis=1), [(None, 3, 4), (None, 2, 4)], _list_call),
    Case(
        "concat-unknown",
        lambda L: L.Concatenate(axis=1),
        [(None, None, 4), (None, 2, 4)],
        _list_call,
    ),
    Case("concat-three", lambda L: L.Concatenate(), [(None, 2), (None, 3), (None, 4)], _list_call),
    Case("add", lambda L: L.Add(), [(None, 4), (None, 4)], _list_call),
    Case("add-broadcast", lambda L: L.Add(), [(None, 3, 4), (None, 1, 4)], _list_call),
    Case("subtract", lambda L: L.Subtract(), [(None, 4), (None, 4)], _list_call),
    Case("multiply-three", lambda L: L.Multiply(), [(None, 2, 4)] * 3, _list_call),
    Case("average", lambda L: L.Average(), [(None, 4), (None, 4)], _list_call),
    Case("maximum", lambda L: L.Maximum(), [(None, 4), (None, 4)], _list_call),
    Case("minimum", lambda L: L.Minimum(), [(None, 4), (None, 4)], _list_call),
    Case("dot", lambda L: L.Dot(axes=1), [(None, 4), (None, 4)], _list_call),
    Case("dot-3d", lambda L: L.Dot(axes=(2, 2)), [(None, 3, 4), (None, 5, 4)], _list_call),
    Case(
        "dot-cross",
        lambda L: L.Dot(axes=[1, 2], normalize=True),
        [(None, 3, 4), (None, 5, 3)],
        _list_call,
    ),
    # normalization
    Case("batchnorm", lambda L: L.BatchNormalization(), [(None, 4)]),
    Case("batchnorm-axis1", lambda L: L.BatchNormalization(axis=1), [(None, 3, 5, 5)]),
    Case("batchnorm-nocenter", lambda L: L.BatchNormalization(center=False), [(None, 4)]),
    Case("batchnorm-noscale", lambda L: L.BatchNormalization(scale=False), [(None, 6, 4)]),
    Case("batchnorm-frozen", lambda L: L.BatchNormalization(trainable=False), [(None, 4)]),
    Case("batchnorm-renorm", lambda L: L.BatchNormalization(renorm=True), [(None, 4)]),
    Case("layernorm", lambda L: L.LayerNormalization(), [(None, 3, 4)]),
    Case("layernorm-axes", lambda L: L.LayerNormalization(axis=[1, 2]), [(None, 3, 4)]),
    Case("layernorm-nocenter", lambda L: L.LayerNormalization(center=False), [(None, 3, 4)]),
    Case("layernorm-rms", lambda L: L.LayerNormalization(rms_scaling=True), [(None, 3, 4)]),
    Case("rmsnorm", lambda L: L.RMSNormalization(), [(None, 3, 4)]),
    Case("groupnorm", lambda L: L.GroupNormalization(groups=2), [(None, 5, 4)]),
    Case(
        "groupnorm-axis1",
        lambda L: L.GroupNormalization(groups=3, axis=1, center=False),
        [(None, 6, 5)],
    ),
    Case("unitnorm", lambda L: L.UnitNormalization(), [(None, 4)]),
    Case("normalization", lambda L: L.Normalization(), [(None, 4)]),
    Case("normalization-axes", lambda L: L.Normalization(axis=(1, 2)), [(None, 3, 4)]),
    Case("normalization-given", lambda L: L.Normalization(mean=0.0, variance=1.0), [(None, 4)]),
    # recurrent
    Case("simplernn", lambda L: L.SimpleRNN(4), [(None, 5, 3)]),
    Case(
        "simplernn-seq-state",
        lambda L: L.SimpleRNN(4, return_sequences=True, return_state=True),
        [(None, 5, 3)],
    ),
    Case("lstm", lambda L: L.LSTM(4), [(None, 5, 3)]),
    Case("lstm-unknown-steps", lambda L: L.LSTM(4, return_sequences=True), [(None, None, 3)]),
    Case("lstm-state", lambda L: L.LSTM(4, return_state=True), [(None, 5, 3)]),
    Case("lstm-nobias", lambda L: L.LSTM(4, use_bias=False, go_backwards=True), [(None, 5, 3)]),
    Case(
        "lstm-initial-state",
        lambda L: L.LSTM(4, return_sequences=True),
        [(None, 5, 3), (None, 4), (None, 4)],
        _initial_state_call,
    ),
    Case("gru", lambda L: L.GRU(4), [(None, 5, 3)]),
    Case(
        "gru-reset-before", lambda L: L.GRU(4, reset_after=False, return_state=True), [(None, 5, 3)]
    ),
    Case("gru-frozen", lambda L: L.GRU(4, trainable=False), [(None, 5, 3)]),
    Case("rnn-lstmcell", lambda L: L.RNN(L.LSTMCell(4)), [(None, 5, 3)]),
    Case(
        "rnn-stacked-state",
        lambda L: L.RNN([L.LSTMCell(3), L.GRUCell(2)], return_state=True, return_sequences=True),
        [(None, 5, 3)],
    ),
    Case("convlstm2d", lambda L: L.ConvLSTM2D(3, 3), [(None, 4, 8, 8, 2)]),
    Case(
        "convlstm2d-seq-state",
        lambda L: L.ConvLSTM2D(3, 3, padding="same", return_sequences=True, return_state=True),
        [(None, 4, 8, 8, 2)],
    ),
    Case(
        "convlstm2d-cf",
        lambda L: L.ConvLSTM2D(3, 3, strides=2, data_format="channels_first"),
        [(None, 4, 2, 9, 9)],
    ),
    Case("convlstm1d", lambda L: L.ConvLSTM1D(2, 3, return_sequences=True), [(None, 4, 8, 2)]),
    # wrappers
    Case("bidir-lstm", lambda L: L.Bidirectional(L.LSTM(4)), [(None, 5, 3)]),
    Case(
        "bidir-sum-seq",
        lambda L: L.Bidirectional(L.LSTM(4, return_sequences=True), merge_mode="sum"),
        [(None, 5, 3)],
    ),
    Case("bidir-mul", lambda L: L.Bidirectional(L.GRU(4), merge_mode="mul"), [(None, 5, 3)]),
    Case("bidir-ave", lambda L: L.Bidirectional(L.SimpleRNN(4), merge_mode="ave"), [(None, 5, 3)]),
    Case("bidir-none", lambda L: L.Bidirectional(L.LSTM(4), merge_mode=None), [(None, 5, 3)]),
    Case("bidir-state", lambda L: L.Bidirectional(L.LSTM(4, return_state=True)), [(None, 5, 3)]),
    Case(
        "bidir-none-state",
        lambda L: L.Bidirectional(
            L.GRU(4, return_state=True, return_sequences=True), merge_mode=None
        ),
        [(None, 5, 3)],
    ),
    Case(
        "bidir-backward-layer",
        lambda L: L.Bidirectional(L.LSTM(4), backward_layer=L.LSTM(4, go_backwards=True)),
        [(None, 5, 3)],
    ),
    Case("timedist-dense", lambda L: L.TimeDistributed(L.Dense(3)), [(None, 5, 4)]),
    Case("timedist-conv2d", lambda L: L.TimeDistributed(L.Conv2D(2, 3)), [(None, 4, 8, 8, 3)]),
    Case("timedist-pool", lambda L: L.TimeDistributed(L.MaxPooling2D()), [(None, 4, 8, 8, 3)]),
    Case("timedist-bn", lambda L: L.TimeDistributed(L.BatchNormalization()), [(None, 4, 6)]),
    # attention
    Case("attention", lambda L: L.Attention(), [(None, 3, 4), (None, 5, 4)], _list_call),
    Case(
        "attention-key",
        lambda L: L.Attention(use_scale=True),
        [(None, 3, 4), (None, 5, 6), (None, 5, 4)],
        _list_call,
    ),
    Case(
        "attention-concat",
        lambda L: L.Attention(score_mode="concat"),
        [(None, 3, 4), (None, 5, 4)],
        _list_call,
    ),
    Case(
        "attention-scores",
        lambda L: L.Attention(use_scale=True),
        [(None, 3, 4), (None, 5, 4)],
        _attention_scores_call,
        {"return_attention_scores": True},
    ),
    Case(
        "additive-attention",
        lambda L: L.AdditiveAttention(),
        [(None, 3, 4), (None, 5, 4)],
        _list_call,
    ),
    Case(
        "additive-attention-noscale",
        lambda L: L.AdditiveAttention(use_scale=False),
        [(None, 3, 4), (None, 5, 4)],
        _list_call,
    ),
    Case("mha", lambda L: L.MultiHeadAttention(2, 3), [(None, 5, 8), (None, 7, 6)], _mha_call),
    Case(
        "mha-key",
        lambda L: L.MultiHeadAttention(2, 3),
        [(None, 5, 8), (None, 7, 6), (None, 7, 4)],
        _mha_call,
    ),
    Case(
        "mha-output-int",
        lambda L: L.MultiHeadAttention(2, 3, output_shape=10),
        [(None, 5, 8), (None, 7, 6)],
        _mha_call,
    ),
    Case(
        "mha-output-tuple-valuedim",
        lambda L: L.MultiHeadAttention(3, 2, value_dim=5, output_shape=(2, 5), use_bias=False),
        [(None, 5, 8), (None, 7, 6)],
        _mha_call,
    ),
    Case(
        "mha-gate",
        lambda L: L.MultiHeadAttention(2, 3, use_gate=True),
        [(None, 5, 8), (None, 7, 6)],
        _mha_call,
    ),
    Case(
        "mha-rank4",
        lambda L: L.MultiHeadAttention(2, 3, attention_axes=(2,)),
        [(None, 5, 4, 8), (None, 5, 4, 6)],
        _mha_call,
    ),
    Case(
        "mha-scores",
        lambda L: L.MultiHeadAttention(2, 3),
        [(None, 5, 8), (None, 5, 6)],
        _mha_scores_call,
        {"return_attention_scores": True},
    ),
]


# --------------------------------------------------------------------------- keras helpers


def _flat(out) -> list:
    if isinstance(out, (list, tuple)):
        return [t for o in out for t in _flat(o)]
    return [out]


def _stored_config(layer, keras) -> dict:
    """The layer's config as a file stores it: serialized, then through JSON (tuples -> lists)."""
    return json.loads(json.dumps(keras.saving.serialize_keras_object(layer)["config"]))


def _keras_case(case: Case):
    keras = pytest.importorskip("keras")
    dtypes = case.dtypes or ["float32"] * len(case.shapes)
    inputs = [keras.Input(batch_shape=s, dtype=d) for s, d in zip(case.shapes, dtypes)]
    layer = case.make(keras.layers)
    call = case.call or (lambda lyr, xs: lyr(xs[0]))
    outs = _flat(call(layer, inputs))
    config = {**_stored_config(layer, keras), **case.extra_config}
    return layer, config, [tuple(t.shape) for t in outs]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_output_shapes_match_keras(case: Case) -> None:
    pytest.importorskip("keras")
    layer, config, expected = _keras_case(case)
    got = output_shapes(type(layer).__name__, config, case.shapes)
    assert got == expected


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_weight_specs_match_keras(case: Case) -> None:
    pytest.importorskip("keras")
    layer, config, _ = _keras_case(case)
    specs = weight_specs(type(layer).__name__, config, case.shapes)
    assert specs is not None
    assert [(s.shape, s.trainable) for s in specs] == [
        (tuple(w.shape), w.trainable) for w in layer.weights
    ]


def test_weight_names_follow_keras_paths() -> None:
    """Names are Keras' variable names; wrappers and sub-layers prefix theirs."""
    keras = pytest.importorskip("keras")
    layer = keras.layers.Bidirectional(keras.layers.LSTM(4, name="enc"))
    layer(keras.Input(batch_shape=(None, 5, 3)))
    specs = weight_specs("Bidirectional", _stored_config(layer, keras), [(None, 5, 3)])
    assert [s.name for s in specs] == [
        "forward_enc/kernel", "forward_enc/recurrent_kernel", "forward_enc/bias",
        "backward_enc/kernel", "backward_enc/recurrent_kernel", "backward_enc/bias",
    ]  # fmt: skip
    mha = keras.layers.MultiHeadAttention(2, 3)
    mha(keras.Input(batch_shape=(None, 5, 8)), keras.Input(batch_shape=(None, 5, 8)))
    specs = weight_specs("MultiHeadAttention", _stored_config(mha, keras), [(None, 5, 8)] * 2)
    assert [s.name for s in specs] == [w.path.split("/", 1)[1] for w in mha.weights]


def test_input_layer_shapes() -> None:
    keras = pytest.importorskip("keras")
    layer = keras.layers.InputLayer(batch_shape=(None, 4, 5))
    assert output_shapes("InputLayer", _stored_config(layer, keras), []) == [(None, 4, 5)]
    assert weight_specs("InputLayer", _stored_config(layer, keras), []) == []
    # Keras 2 / Keras 1 spelling
    assert output_shapes("InputLayer", {"batch_input_shape": [None, 160, 320, 3]}, []) == [
        (None, 160, 320, 3)
    ]


def test_mha_scores_use_key_length_where_keras_symbolic_shape_does_not() -> None:
    """Keras 3.15's symbolic MHA scores are (B, heads, Tq, Tq); real ones are (B, heads, Tq, Tv)."""
    keras = pytest.importorskip("keras")
    import numpy as np

    layer = keras.layers.MultiHeadAttention(2, 3)
    q, v = np.zeros((1, 5, 8), "float32"), np.zeros((1, 7, 6), "float32")
    _, scores = layer(q, v, return_attention_scores=True)
    config = {**_stored_config(layer, keras), "return_attention_scores": True}
    got = output_shapes("MultiHeadAttention", config, [(None, 5, 8), (None, 7, 6)])
    assert (
        got == [(None, 5, 8), (None, *tuple(scores.shape)[1:])] == [(None, 5, 8), (None, 2, 5, 7)]
    )


# --------------------------------------------------------------------------- tf.keras 2 configs

TF_KERAS_CASES: list[Case] = [
    Case("tfk-dense", lambda L: L.Dense(3), [(None, 5)]),
    Case(
        "tfk-conv2d-groups", lambda L: L.Conv2D(6, 3, groups=3, padding="same"), [(None, 8, 8, 3)]
    ),
    Case("tfk-conv2dtranspose", lambda L: L.Conv2DTranspose(4, 3, strides=2), [(None, 5, 5, 2)]),
    Case("tfk-separable", lambda L: L.SeparableConv2D(4, 3), [(None, 8, 8, 3)]),
    Case("tfk-depthwise", lambda L: L.DepthwiseConv2D(3, depth_multiplier=2), [(None, 8, 8, 3)]),
    Case("tfk-bn-axis-list", lambda L: L.BatchNormalization(axis=[1]), [(None, 3, 5)]),
    Case(
        "tfk-layernorm", lambda L: L.LayerNormalization(axis=[1, 2], center=False), [(None, 3, 4)]
    ),
    Case("tfk-gru-reset-before", lambda L: L.GRU(4, reset_after=False), [(None, 5, 3)]),
    Case("tfk-gru", lambda L: L.GRU(4, return_sequences=True), [(None, 5, 3)]),
    Case(
        "tfk-lstm-time-major",
        lambda L: L.LSTM(4, time_major=True, return_sequences=True),
        [(5, None, 3)],
    ),
    Case("tfk-lstm-state", lambda L: L.LSTM(4, return_state=True), [(None, 5, 3)]),
    Case("tfk-bidir", lambda L: L.Bidirectional(L.LSTM(4, return_sequences=True)), [(None, 5, 3)]),
    Case("tfk-timedist", lambda L: L.TimeDistributed(L.Dense(2)), [(None, 5, 3)]),
    Case(
        "tfk-embedding-length",
        lambda L: L.Embedding(30, 4, input_length=6),
        [(None, 6)],
        dtypes=["int32"],
    ),
    Case("tfk-locally1d", lambda L: L.LocallyConnected1D(4, 3, strides=2), [(None, 10, 3)]),
    Case("tfk-locally2d", lambda L: L.LocallyConnected2D(4, (3, 2)), [(None, 6, 5, 3)]),
    Case(
        "tfk-attention",
        lambda L: L.Attention(use_scale=True),
        [(None, 3, 4), (None, 5, 4)],
        _list_call,
    ),
    Case("tfk-additive", lambda L: L.AdditiveAttention(), [(None, 3, 4), (None, 5, 4)], _list_call),
    Case(
        "tfk-mha",
        lambda L: L.MultiHeadAttention(2, 3, output_shape=7),
        [(None, 5, 8), (None, 7, 6)],
        _mha_call,
    ),
    Case("tfk-normalization", lambda L: L.Normalization(axis=-1), [(None, 3, 4)]),
    Case("tfk-prelu", lambda L: L.PReLU(shared_axes=[1]), [(None, 4, 5)]),
    Case("tfk-zeropad2d", lambda L: L.ZeroPadding2D((1, 2)), [(None, 5, 6, 3)]),
    Case(
        "tfk-conv1d-causal",
        lambda L: L.Conv1D(3, 2, padding="causal", dilation_rate=3),
        [(None, 9, 2)],
    ),
    Case("tfk-reshape", lambda L: L.Reshape((-1, 2)), [(None, 3, 4)]),
]


@pytest.mark.parametrize("case", TF_KERAS_CASES, ids=[c.id for c in TF_KERAS_CASES])
def test_tf_keras_2_configs(case: Case) -> None:
    tfk = pytest.importorskip("tf_keras")
    dtypes = case.dtypes or ["float32"] * len(case.shapes)
    inputs = [tfk.Input(batch_shape=s, dtype=d) for s, d in zip(case.shapes, dtypes)]
    layer = case.make(tfk.layers)
    call = case.call or (lambda lyr, xs: lyr(xs[0]))
    outs = _flat(call(layer, inputs))
    config = json.loads(json.dumps(tfk.layers.serialize(layer)["config"]))
    cls = type(layer).__name__
    assert output_shapes(cls, config, case.shapes) == [tuple(t.shape) for t in outs]
    specs = weight_specs(cls, config, case.shapes)
    assert specs is not None
    assert [(s.shape, s.trainable) for s in specs] == [
        (tuple(w.shape), w.trainable) for w in layer.weights
    ]


# --------------------------------------------------------------------------- Keras 1 by hand

# The first layer of KonduitAI/dl4j-test-resources' cnn_tf_model.h5 (Keras 1.1.2), verbatim
# but for the initializer.
K1_CONV_TF = {
    "b_regularizer": None, "W_constraint": None, "b_constraint": None, "name": "convolution2d_1",
    "activity_regularizer": None, "trainable": True, "dim_ordering": "tf", "nb_col": 2,
    "subsample": [1, 1], "init": "glorot_uniform", "bias": True, "nb_filter": 2,
    "input_dtype": "float32", "border_mode": "valid", "batch_input_shape": [None, 8, 8, 3],
    "W_regularizer": None, "activation": "sigmoid", "nb_row": 3,
}  # fmt: skip


def _shapes(specs: list[WeightSpec] | None) -> list[tuple]:
    assert specs is not None
    return [(s.name, s.shape, s.trainable) for s in specs]


def test_keras1_convolution2d_tf_ordering() -> None:
    assert output_shapes("Convolution2D", K1_CONV_TF, [(None, 8, 8, 3)]) == [(None, 6, 7, 2)]
    assert _shapes(weight_specs("Convolution2D", K1_CONV_TF, [(None, 8, 8, 3)])) == [
        ("W", (3, 2, 3, 2), True),
        ("b", (2,), True),
    ]


def test_keras1_convolution2d_th_ordering() -> None:
    cfg = {**K1_CONV_TF, "dim_ordering": "th", "nb_filter": 4, "nb_row": 3, "nb_col": 3,
           "border_mode": "same", "subsample": [2, 2], "bias": False}  # fmt: skip
    # channels first: (batch, 3, 10, 9) -> ceil(10/2), ceil(9/2)
    assert output_shapes("Convolution2D", cfg, [(None, 3, 10, 9)]) == [(None, 4, 5, 5)]
    assert _shapes(weight_specs("Convolution2D", cfg, [(None, 3, 10, 9)])) == [
        ("W", (4, 3, 3, 3), True)
    ]
    full = {**cfg, "border_mode": "full", "subsample": [1, 1]}
    assert output_shapes("Convolution2D", full, [(None, 3, 10, 9)]) == [(None, 4, 12, 11)]


def test_keras1_convolution1d_and_atrous() -> None:
    cfg = {"nb_filter": 8, "filter_length": 3, "border_mode": "valid", "subsample_length": 2,
           "init": "uniform", "bias": True}  # fmt: skip
    assert output_shapes("Convolution1D", cfg, [(None, 11, 5)]) == [(None, 5, 8)]
    # Keras 1 stored 1D kernels with a dummy axis: (filter_length, 1, input_dim, nb_filter)
    assert _shapes(weight_specs("Convolution1D", cfg, [(None, 11, 5)])) == [
        ("W", (3, 1, 5, 8), True),
        ("b", (8,), True),
    ]
    atrous = {"nb_filter": 4, "nb_row": 3, "nb_col": 3, "atrous_rate": [2, 2],
              "border_mode": "valid", "dim_ordering": "th", "init": "uniform"}  # fmt: skip
    assert output_shapes("AtrousConvolution2D", atrous, [(None, 3, 256, 256)]) == [
        (None, 4, 252, 252)
    ]


def test_keras1_deconvolution2d_uses_stored_output_shape() -> None:
    cfg = {"nb_filter": 3, "nb_row": 3, "nb_col": 3, "output_shape": [None, 3, 25, 25],
           "subsample": [2, 2], "border_mode": "valid", "dim_ordering": "th"}  # fmt: skip
    assert output_shapes("Deconvolution2D", cfg, [(None, 3, 12, 12)]) == [(None, 3, 25, 25)]


def test_keras1_dense_output_dim() -> None:
    cfg = {"output_dim": 50, "input_dim": 700, "bias": True, "init": "glorot_uniform",
           "W_regularizer": None, "activation": "relu", "name": "dense_109"}  # fmt: skip
    assert output_shapes("Dense", cfg, [(None, 700)]) == [(None, 50)]
    assert _shapes(weight_specs("Dense", cfg, [(None, 700)])) == [
        ("W", (700, 50), True),
        ("b", (50,), True),
    ]


def test_keras1_merge_modes() -> None:
    concat = {"mode": "concat", "concat_axis": -1, "dot_axes": -1, "mode_type": "raw",
              "output_shape": None, "output_shape_type": "raw", "name": "merge_37"}  # fmt: skip
    ins = [(None, 30, 40, 30), (None, 30, 40, 15), (None, 30, 40, 15)]
    assert output_shapes("Merge", concat, ins) == [(None, 30, 40, 60)]
    assert weight_specs("Merge", concat, ins) == []
    mul = {**concat, "mode": "mul"}
    assert output_shapes("Merge", mul, [(None, 8, 1), (None, 8, 1)]) == [(None, 8, 1)]
    dot = {**concat, "mode": "dot", "dot_axes": [1, 1]}
    assert output_shapes("Merge", dot, [(None, 4), (None, 4)]) == [(None, 1)]
    cos = {**concat, "mode": "cos", "dot_axes": -1}
    assert output_shapes("Merge", cos, [(None, 3, 4), (None, 5, 4)]) == [(None, 3, 5)]
    func = {**concat, "mode": "<bytecode>", "mode_type": "lambda"}
    assert output_shapes("Merge", func, ins) is None
    assert output_shapes("Merge", {**func, "output_shape": [7]}, ins) == [(None, 7)]


def test_keras1_pooling_cropping_upsampling() -> None:
    pool = {"border_mode": "valid", "pool_size": [1, 4], "strides": [1, 4], "dim_ordering": "tf"}
    assert output_shapes("MaxPooling2D", pool, [(None, 30, 160, 3)]) == [(None, 30, 40, 3)]
    pool1 = {"pool_length": 2, "stride": None, "border_mode": "valid"}
    assert output_shapes("MaxPooling1D", pool1, [(None, 9, 4)]) == [(None, 4, 4)]
    crop = {"name": "cropping2d_37", "trainable": True, "cropping": [[80, 20], [0, 0]]}
    assert output_shapes("Cropping2D", crop, [(None, 160, 320, 3)]) == [(None, 60, 320, 3)]
    assert output_shapes("UpSampling1D", {"length": 3}, [(None, 4, 2)]) == [(None, 12, 2)]
    pad = {"padding": [1, 2, 3, 4], "dim_ordering": "th"}  # (top, bottom, left, right)
    assert output_shapes("ZeroPadding2D", pad, [(None, 3, 5, 5)]) == [(None, 3, 8, 12)]
    gap = {"dim_ordering": "th"}
    assert output_shapes("GlobalAveragePooling2D", gap, [(None, 16, 7, 7)]) == [(None, 16)]


def test_keras1_batchnorm_weights() -> None:
    cfg = {"momentum": 0.99, "epsilon": 0.001, "mode": 0, "axis": -1, "gamma_regularizer": None,
           "beta_regularizer": None, "name": "batchnormalization_73"}  # fmt: skip
    assert _shapes(weight_specs("BatchNormalization", cfg, [(None, 15, 20, 60)])) == [
        ("gamma", (60,), True),
        ("beta", (60,), True),
        ("running_mean", (60,), False),
        ("running_std", (60,), False),
    ]


def test_keras1_recurrent_weights() -> None:
    lstm = {"output_dim": 5, "return_sequences": False, "consume_less": "cpu",
            "init": "glorot_uniform", "inner_init": "orthogonal"}  # fmt: skip
    assert output_shapes("LSTM", lstm, [(None, 7, 3)]) == [(None, 5)]
    specs = _shapes(weight_specs("LSTM", lstm, [(None, 7, 3)]))
    assert [n for n, _, _ in specs] == [f"{w}_{g}" for g in "icfo" for w in "WUb"]
    assert specs[:3] == [("W_i", (3, 5), True), ("U_i", (5, 5), True), ("b_i", (5,), True)]
    gpu = {**lstm, "consume_less": "gpu", "return_sequences": True}
    assert output_shapes("LSTM", gpu, [(None, 7, 3)]) == [(None, 7, 5)]
    assert _shapes(weight_specs("LSTM", gpu, [(None, 7, 3)])) == [
        ("W", (3, 20), True),
        ("U", (5, 20), True),
        ("b", (20,), True),
    ]
    gru = {**lstm, "consume_less": "mem"}
    assert len(weight_specs("GRU", gru, [(None, 7, 3)]) or []) == 9
    rnn = _shapes(weight_specs("SimpleRNN", lstm, [(None, 7, 3)]))
    assert rnn == [("W", (3, 5), True), ("U", (5, 5), True), ("b", (5,), True)]


def test_keras2_legacy_lstm_and_cudnn_layouts() -> None:
    """Keras 2.x LSTM (fused, as in kevinlin19/Thesis' model_attention.h5) and CuDNN layers."""
    lstm = {"units": 30, "return_sequences": False, "use_bias": True, "implementation": 1}
    assert _shapes(weight_specs("LSTM", lstm, [(None, 8, 1)])) == [
        ("kernel", (1, 120), True),
        ("recurrent_kernel", (30, 120), True),
        ("bias", (120,), True),
    ]
    gru_old = {"units": 4}  # Keras < 2.1.3 had no reset_after: one bias row
    assert weight_specs("GRU", gru_old, [(None, 5, 3)])[-1].shape == (12,)
    assert weight_specs("CuDNNLSTM", {"units": 4}, [(None, 5, 3)])[-1].shape == (32,)
    assert weight_specs("CuDNNGRU", {"units": 4}, [(None, 5, 3)])[-1].shape == (24,)


def test_keras1_embedding_and_lambda() -> None:
    emb = {"input_dim": 1000, "output_dim": 16, "input_length": 20, "init": "uniform",
           "W_regularizer": None, "mask_zero": False}  # fmt: skip
    assert output_shapes("Embedding", emb, [(None, None)]) == [(None, 20, 16)]
    assert _shapes(weight_specs("Embedding", emb, [(None, 20)])) == [("W", (1000, 16), True)]
    lam = {"output_shape": None, "output_shape_type": "raw", "function": "...", "arguments": {}}
    assert output_shapes("Lambda", lam, [(None, 60, 320, 3)]) is None
    assert output_shapes("Lambda", {**lam, "output_shape": [3, 4]}, [(None, 12)]) == [(None, 3, 4)]
    assert output_shapes("Lambda", {**lam, "output_shape_type": "lambda"}, [(None, 12)]) is None
    assert weight_specs("Lambda", lam, [(None, 4)]) == []


def test_keras1_bidirectional_and_time_distributed() -> None:
    lstm = {"output_dim": 4, "return_sequences": True, "consume_less": "gpu", "name": "lstm_1"}
    inner = {"class_name": "LSTM", "config": lstm}
    cfg = {"layer": inner, "merge_mode": "concat", "name": "bidirectional_1"}
    assert output_shapes("Bidirectional", cfg, [(None, 6, 3)]) == [(None, 6, 8)]
    names = [s.name for s in weight_specs("Bidirectional", cfg, [(None, 6, 3)])]
    assert names == ["forward_lstm_1/W", "forward_lstm_1/U", "forward_lstm_1/b",
                     "backward_lstm_1/W", "backward_lstm_1/U", "backward_lstm_1/b"]  # fmt: skip
    td = {"layer": {"class_name": "Dense", "config": {"output_dim": 2, "bias": True, "init": "x"}}}
    assert output_shapes("TimeDistributed", td, [(None, 6, 3)]) == [(None, 6, 2)]


# --------------------------------------------------------------------------- real Keras 1 files


# kevinlin19/Thesis: "dim_reduction" averages the attention weights over axis 1, (1, 8) -> (8,);
# the RepeatVector after it accepts nothing but a rank-2 input.
LAMBDA_SHAPES = {"dim_reduction": (None, 8)}


def _propagate(model_config: dict) -> dict[str, tuple]:
    """Walk a Keras 1/2 functional or sequential config, inferring every layer's output shape.

    A Lambda without a stored output shape is assumed to keep its input's shape (in these files
    they are normalisations such as x / 255 - 0.5) unless LAMBDA_SHAPES says otherwise: the test
    knows what the code does, the module must not run it.
    """
    cfg = model_config["config"]
    layers = cfg["layers"] if isinstance(cfg, dict) else cfg
    out: dict[str, tuple] = {}
    previous = None
    for entry in layers:
        cls, lc = entry["class_name"], entry["config"]
        if entry.get("inbound_nodes"):
            ins = [out[n[0]] for n in entry["inbound_nodes"][0]]
        elif cls == "InputLayer":
            ins = []
        elif previous is None:
            ins = [tuple(lc["batch_input_shape"])]
        else:
            ins = [previous]
        shapes = output_shapes(cls, lc, ins)
        if shapes is None and cls == "Lambda":
            shapes = [LAMBDA_SHAPES.get(lc["name"], ins[0])]
        assert shapes is not None, (cls, lc.get("name"), ins)
        out[lc["name"]] = previous = shapes[0]
        out[lc["name"] + "/inputs"] = ins  # type: ignore[assignment]
    return out


@pytest.mark.parametrize(
    "filename",
    [
        "KonduitAI__dl4j-test-resources__src_main_resources_keras_simple_cnn_tf_model.h5",
        "MichaelHopf__CarND-Behavioral-Cloning-P3__model.hdf5",
        "kevinlin19__Thesis__model_attention.h5",
    ],
)
def test_weights_of_real_legacy_files(filename: str) -> None:
    """Every weight stored in a Keras 1 / early Keras 2 file is predicted, shape for shape."""
    h5py = pytest.importorskip("h5py")
    path = CORPUS / filename
    if not path.exists():
        pytest.skip(f"{path} not available")
    with h5py.File(path, "r") as f:
        model_config = json.loads(f.attrs["model_config"])
        stored = {}
        for name in f["model_weights"]:
            group = f["model_weights"][name]
            names = [n.decode() if isinstance(n, bytes) else n for n in group.attrs["weight_names"]]
            stored[name] = [tuple(group[n].shape) for n in names]
    shapes = _propagate(model_config)
    cfg = model_config["config"]
    layers = cfg["layers"] if isinstance(cfg, dict) else cfg
    checked = 0
    for entry in layers:
        name = entry["config"]["name"]
        specs = weight_specs(entry["class_name"], entry["config"], shapes[name + "/inputs"])
        assert specs is not None, name
        assert [s.shape for s in specs] == stored.get(name, []), name
        checked += len(specs)
    assert checked >= 7


def test_behavioural_cloning_flatten_matches_stored_input_dim() -> None:
    """The Keras 1 file stores Dense input_dim=700; inference through crop/pools/Merge agrees."""
    h5py = pytest.importorskip("h5py")
    path = CORPUS / "MichaelHopf__CarND-Behavioral-Cloning-P3__model.hdf5"
    if not path.exists():
        pytest.skip(f"{path} not available")
    with h5py.File(path, "r") as f:
        model_config = json.loads(f.attrs["model_config"])
    shapes = _propagate(model_config)
    assert shapes["cropping2d_37"] == (None, 60, 320, 3)
    assert shapes["merge_37"] == (None, 30, 40, 60)
    assert shapes["flatten_37"] == (None, 700)
    assert shapes["dense_111"] == (None, 1)


# --------------------------------------------------------------------------- never raises


def test_unknown_class_returns_none() -> None:
    assert output_shapes("MyCustomLayer", {"units": 3}, [(None, 4)]) is None
    assert weight_specs("MyCustomLayer", {"units": 3}, [(None, 4)]) is None
    assert output_shapes("Functional", {"layers": []}, [(None, 4)]) is None


@pytest.mark.parametrize(
    ("class_name", "config", "inputs"),
    [
        ("Dense", {}, [(None, 4)]),  # no units
        ("Dense", {"units": "three"}, [(None, 4)]),
        ("Dense", {"units": True}, [(None, 4)]),
        ("Dense", {"units": 3}, []),
        ("Dense", {"units": 3}, [None]),
        ("Dense", {"units": 3}, "not shapes"),
        ("Dense", {"units": 3}, [(None, -4)]),
        ("Dense", {"units": 3}, [("a", "b")]),
        ("Dense", None, [(None, 4)]),
        ("Dense", [1, 2], [(None, 4)]),
        (None, {"units": 3}, [(None, 4)]),
        ("Conv2D", {"filters": 2, "kernel_size": [3, 3, 3]}, [(None, 8, 8, 3)]),
        ("Conv2D", {"filters": 2, "kernel_size": 9}, [(None, 8, 8, 3)]),  # larger than input
        ("Conv2D", {"filters": 2, "kernel_size": 3, "padding": "reflect"}, [(None, 8, 8, 3)]),
        ("Conv2D", {"filters": 2, "kernel_size": 3}, [(None, 8, 3)]),  # wrong rank
        ("Reshape", {"target_shape": [5, -1]}, [(None, 12)]),
        ("Reshape", {"target_shape": [-1, -1]}, [(None, 12)]),
        ("Permute", {"dims": [1, 1]}, [(None, 3, 4)]),
        ("Concatenate", {"axis": 5}, [(None, 3), (None, 4)]),
        ("Add", {}, [(None, 3), (None, 4)]),
        ("Dot", {"axes": 1}, [(None, 3), (None, 4)]),
        ("Cropping1D", {"cropping": [5, 5]}, [(None, 8, 3)]),
        ("Bidirectional", {"layer": "LSTM"}, [(None, 5, 3)]),
        ("Bidirectional", {"layer": {"class_name": "Nope", "config": {}}}, [(None, 5, 3)]),
        ("TimeDistributed", {"layer": {"class_name": "Dense"}}, [(None, 5, 3)]),
        ("Merge", {"mode": "weird"}, [(None, 3), (None, 3)]),
        ("Lambda", {"output_shape": {"class_name": "__lambda__"}}, [(None, 3)]),
        ("InputLayer", {}, []),
        ("EinsumDense", {"equation": "nonsense", "output_shape": 3}, [(None, 4)]),
        ("MultiHeadAttention", {"num_heads": 2, "key_dim": 3}, [(None, 5, 8)]),
    ],
)
def test_garbage_returns_none(class_name, config, inputs) -> None:
    assert output_shapes(class_name, config, inputs) is None


def test_weights_need_known_dimensions() -> None:
    assert weight_specs("Dense", {"units": 3}, [(None, None)]) is None
    assert weight_specs("LSTM", {"units": 3}, [(None, 5, None)]) is None
    # ... but shapes still flow
    assert output_shapes("Dense", {"units": 3}, [(None, None)]) == [(None, 3)]
    # layers without weights know they have none even on unknown inputs
    assert weight_specs("Dropout", {"rate": 0.5}, [None]) == []


def test_deep_wrapper_nesting_does_not_raise() -> None:
    limit = sys.getrecursionlimit()
    config: dict = {"units": 3}
    cls = "Dense"
    for _ in range(limit):
        config, cls = {"layer": {"class_name": cls, "config": config}}, "TimeDistributed"
    assert output_shapes(cls, config, [(None, 5, 4)]) is None
    assert weight_specs(cls, config, [(None, 5, 4)]) is None


def test_random_configs_never_raise() -> None:
    """Every known class on random configs and shapes: a result or None, never an exception."""
    rng = random.Random(1234)
    values: list[Any] = [None, 0, 1, 2, 3, -1, -7, 2.5, True, "same", "valid", "th", "concat"]
    values += ["", [], [1], [2, 2], [[1, 2], [3, 4]], [None, 3], {"a": 1}, "xxx"]
    # fmt: off
    keys = ["units", "output_dim", "filters", "nb_filter", "kernel_size", "nb_row", "nb_col",
            "strides", "subsample", "padding", "border_mode", "data_format", "dim_ordering",
            "dilation_rate", "pool_size", "axis", "axes", "target_shape", "dims", "n", "cropping",
            "size", "mode", "concat_axis", "dot_axes", "merge_mode", "return_sequences",
            "return_state", "num_heads", "key_dim", "output_shape", "equation", "bias_axes",
            "input_dim", "input_length", "groups", "depth_multiplier", "shared_axes", "layer",
            "cell", "batch_shape", "use_bias", "center", "scale", "keepdims", "trainable"]
    # fmt: on
    shapes: list[Any] = [None, (None,), (None, 4), (None, 5, 3), (None, 8, 8, 3)]
    shapes += [(None, 4, 6, 6, 2), (2, 0, 3), (None, None, None), ("x",)]
    answered = 0
    for cls in sorted(known_classes()):
        for _ in range(40):
            config = {k: rng.choice(values) for k in rng.sample(keys, rng.randint(0, 8))}
            if rng.random() < 0.3:
                config["layer"] = {
                    "class_name": rng.choice(sorted(known_classes())),
                    "config": dict(config),
                }
            inputs = [rng.choice(shapes) for _ in range(rng.randint(0, 3))]
            out = output_shapes(cls, config, inputs)
            assert out is None or all(s is None or isinstance(s, tuple) for s in out)
            specs = weight_specs(cls, config, inputs)
            assert specs is None or all(isinstance(s, WeightSpec) for s in specs)
            answered += out is not None
    assert answered > 200  # the fuzzing reaches real inference, not only the first guard


def test_module_imports_neither_tensorflow_nor_keras() -> None:
    """Reading is not running: shape inference must not pull in a framework."""
    import subprocess

    code = (
        "import sys, inspector.shapes; "
        "bad = [m for m in ('tensorflow', 'keras', 'tf_keras', 'numpy') if m in sys.modules]; "
        "print(*bad); sys.exit(1 if bad else 0)"
    )
    root = Path(__file__).resolve().parents[1]
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --------------------------------------------------------------------------- nested wrappers


def _nested_bidirectional(depth: int) -> dict:
    layer: dict = {"class_name": "LSTM", "config": {"name": "lstm", "units": 4, "return_sequences": True}}
    for i in range(depth):
        layer = {"class_name": "Bidirectional", "config": {"name": f"bi{i}", "layer": layer}}
    return layer["config"]


def test_nested_bidirectional_is_linear_and_its_weights_bounded():
    """Each Bidirectional mirrors its layer: computed once, not twice per level (2**40 calls
    would never finish). The weight list doubles per level, so past the limit it is unknown."""
    lstm_weights = weight_specs("LSTM", {"units": 4}, [(None, 10, 3)])
    assert [s.shape for s in lstm_weights] == [(3, 16), (4, 16), (16,)]
    ten = weight_specs("Bidirectional", _nested_bidirectional(10), [(None, 10, 3)])
    assert len(ten) == 2**10 * 3
    assert sum(math.prod(s.shape) for s in ten) == 2**10 * (3 * 16 + 4 * 16 + 16)
    assert ten[0].name.startswith("forward_bi8/forward_bi7/")
    assert ten[-1].name.startswith("backward_bi8/backward_bi7/")
    deep = _nested_bidirectional(40)
    assert output_shapes("Bidirectional", deep, [(None, 10, 3)]) == [(None, 10, 4 * 2**40)]
    assert weight_specs("Bidirectional", deep, [(None, 10, 3)]) is None


def test_dimensions_past_int64_are_unknown():
    """No framework holds a dimension past int64; 45 dims of 99 digits flattened would be a
    4,455-digit number, which Python cannot even print."""
    big = 10**99
    assert output_shapes("Flatten", {}, [(None, *[big] * 45)]) is None
    assert output_shapes("Flatten", {}, [(None, 2**31, 2**31)]) == [(None, 2**62)]
    assert weight_specs("Dense", {"units": 2**64}, [(None, 4)]) is None
