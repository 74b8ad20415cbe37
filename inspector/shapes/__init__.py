"""Shape and weight inference from stored layer configs, for files that store no shapes.

Keras 1/2 configs record only input shapes and no file records the shapes of a model's final
outputs, so the loader infers output shapes from each layer's config; architecture JSON holds no
weights, so parameters are computed from configs as well. Everything here is pure Python: reading
a model never imports TensorFlow or Keras (design invariant 1).

Configs come from every Keras era (Keras 1 ``output_dim``/``nb_filter``/``border_mode``/
``dim_ordering``, Keras 2, Keras 3) and are untrusted data: the public functions never raise and
answer None when a class is unknown or a shape cannot be inferred.

Input shapes are the shapes of one call's input tensors in call order: positional arguments
flattened, then tensor keyword arguments. For ``MultiHeadAttention`` that is
``[query, value, key?, masks...]``; for ``Attention`` ``[query, value, key?]``; for RNNs
``[sequences, initial_state..., mask?]``. Attention scores are an output only when the config
says ``return_attention_scores`` (old tf.keras configs do; for Keras 3 the loader may copy the
call keyword into the config it passes here).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from inspector.shapes.attention import (
    _additive_attention_weights,
    _attention_out,
    _attention_weights,
    _mha_out,
    _mha_weights,
)
from inspector.shapes.common import (
    MAX_DIM,
    Shape,
    WeightSpec,
    _as_shape,
    _Family,
    _is_int,
    _OutFn,
    _Outputs,
    _Unknown,
    _WeightFn,
    _Weights,
)
from inspector.shapes.convolution import (
    _conv_out,
    _conv_transpose_out,
    _conv_transpose_weights,
    _conv_weights,
    _depthwise_weights,
    _locally_connected_out,
    _locally_connected_weights,
    _separable_weights,
)
from inspector.shapes.core import (
    _dense_out,
    _dense_weights,
    _einsum_out,
    _einsum_weights,
    _elementwise_params,
    _embedding_out,
    _embedding_weights,
    _highway_weights,
    _input_layer,
    _lambda,
    _maxout_out,
    _maxout_weights,
    _prelu_weights,
    _same_shape,
)
from inspector.shapes.merging import _concatenate, _dot, _elementwise_merge, _keras1_merge
from inspector.shapes.normalization import (
    _batchnorm_weights,
    _groupnorm_weights,
    _layernorm_weights,
    _normalization_weights,
    _rmsnorm_weights,
)
from inspector.shapes.operations import (
    KERAS3_OPERATIONS,
    keras3_operation,
    keras3_reshape,
    tf_op_lambda,
)
from inspector.shapes.pooling import _adaptive_pool_out, _global_pool_out, _pool_out
from inspector.shapes.recurrent import (
    _GATES,
    _conv_lstm_out,
    _conv_lstm_weights,
    _generic_rnn_out,
    _generic_rnn_weights,
    _rnn_out,
    _rnn_weights,
)
from inspector.shapes.reshaping import (
    _category_encoding,
    _flatten,
    _pad_or_crop,
    _permute,
    _repeat_vector,
    _reshape,
    _resize_like,
    _upsampling,
)
from inspector.shapes.wrappers import (
    _bidirectional_out,
    _bidirectional_weights,
    _time_distributed_out,
    _time_distributed_weights,
)

__all__ = ["Shape", "WeightSpec", "known_classes", "output_shapes", "weight_specs"]


def output_shapes(
    class_name: str,
    config: Mapping,
    input_shapes: Sequence[Shape | None],
    arguments: Mapping | None = None,
) -> list[Shape | None] | None:
    """Shapes of every output tensor of ONE call of a layer, given that call's input shapes.

    `arguments` are the call's other arguments, which shape the output of tf.keras op layers
    (`axis=`, a constant operand, a `slice_spec`). None when the class is unknown or the shapes
    cannot be inferred. Never raises.
    """
    try:
        if class_name in ("TFOpLambda", "SlicingOpLambda"):
            if not isinstance(config, Mapping) or not isinstance(arguments, Mapping):
                return None  # its `axis`, constant operand... are in the call's arguments
            return _validated_outputs(tf_op_lambda(config, arguments, _normalize_inputs(input_shapes)))
        family = _REGISTRY.get(class_name) if isinstance(class_name, str) else None
        if family is None or not isinstance(config, Mapping):
            return None
        result = family.outputs(config, _normalize_inputs(input_shapes))
        return _validated_outputs(result)
    except Exception:  # noqa: BLE001 - untrusted config: any failure means "cannot infer"
        return None


def weight_specs(
    class_name: str, config: Mapping, input_shapes: Sequence[Shape | None]
) -> list[WeightSpec] | None:
    """The weights Keras would create for this layer on these input shapes, in Keras 3's order.

    That order is ``layer.weights``: weights created trainable first, then non-trainable, then
    those of sub-layers; it is the order of ``vars/0, vars/1...`` in a ``.keras`` file.
    None when the class is unknown or a weight shape depends on an unknown dimension.
    """
    try:
        family = _REGISTRY.get(class_name) if isinstance(class_name, str) else None
        if family is None or not isinstance(config, Mapping):
            return None
        if family.weights is None:
            return []
        if _quantized(config):
            return None  # quantized layers store int kernels plus scales: not modelled
        specs = family.weights(config, _normalize_inputs(input_shapes))
        return _validated_weights(config, specs)
    except Exception:  # noqa: BLE001 - untrusted config: any failure means "cannot infer"
        return None


def known_classes() -> frozenset[str]:
    """Class names this module understands (for reporting what falls back to None)."""
    return frozenset(_REGISTRY)


def _normalize_inputs(input_shapes: Sequence[Shape | None] | None) -> list[Shape | None]:
    if input_shapes is None:
        return []
    if isinstance(input_shapes, (str, bytes, Mapping)) or not isinstance(input_shapes, Sequence):
        raise _Unknown("input shapes must be a sequence")
    return [_as_shape(s) for s in input_shapes]


def _validated_outputs(result: _Outputs | None) -> list[Shape | None] | None:
    if not result:
        return None
    out: list[Shape | None] = []
    for shape in result:
        if shape is None:
            out.append(None)
            continue
        if any(d is not None and (not _is_int(d) or not 0 <= d <= MAX_DIM) for d in shape):
            return None
        out.append(tuple(shape))
    return out


def _validated_weights(config: Mapping, specs: _Weights | None) -> list[WeightSpec] | None:
    if specs is None:
        return None
    for spec in specs:
        if any(not _is_int(d) or not 0 <= d <= MAX_DIM for d in spec.shape):
            return None
    if config.get("trainable") is False:
        # Keras keeps the creation order but marks every variable of a frozen layer untrainable.
        specs = [WeightSpec(s.name, s.shape, False) for s in specs]
    return list(specs)


def _quantized(config: Mapping) -> bool:
    dtype = config.get("dtype")
    if isinstance(dtype, Mapping):
        if "Quantized" in str(dtype.get("class_name", "")):
            return True
        dtype = (dtype.get("config") or {}).get("name")
    return isinstance(dtype, str) and any(q in dtype for q in ("int8", "int4", "float8", "gptq"))


def _build_registry() -> dict[str, _Family]:
    reg: dict[str, _Family] = {}

    def add(names: Sequence[str], outputs: _OutFn, weights: _WeightFn | None = None) -> None:
        for name in names:
            reg[name] = _Family(outputs, weights)

    add(["InputLayer"], _input_layer)
    add(
        [
            "Activation", "ReLU", "LeakyReLU", "ELU", "Softmax", "ThresholdedReLU",
            "Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D",
            "GaussianNoise", "GaussianDropout", "AlphaDropout", "ActivityRegularization",
            "Masking", "Identity", "Rescaling", "UnitNormalization",
            "RandomFlip", "RandomRotation", "RandomZoom", "RandomContrast",
            "RandomTranslation", "RandomBrightness",
        ],
        _same_shape,
    )  # fmt: skip
    add(["PReLU"], _same_shape, _prelu_weights)
    add(["SReLU"], _same_shape, _elementwise_params("t_left", "a_left", "t_right", "a_right"))
    add(["ParametricSoftplus"], _same_shape, _elementwise_params("alphas", "betas"))
    add(["Lambda"], _lambda)

    add(["Dense", "TimeDistributedDense"], _dense_out, _dense_weights)
    add(["MaxoutDense"], _maxout_out, _maxout_weights)
    add(["Highway"], _same_shape, _highway_weights)
    add(["EinsumDense"], _einsum_out, _einsum_weights)
    add(["Embedding"], _embedding_out, _embedding_weights)
    add(["CategoryEncoding"], _category_encoding)

    for rank, k1_names in ((1, ["Convolution1D", "AtrousConvolution1D"]),
                           (2, ["Convolution2D", "AtrousConvolution2D", "Deconvolution2D"]),
                           (3, ["Convolution3D"])):  # fmt: skip
        add([f"Conv{rank}D", *k1_names], _conv_out(rank), _conv_weights(rank))
        add([f"Conv{rank}DTranspose"], _conv_transpose_out(rank), _conv_transpose_weights(rank))
        add([f"MaxPooling{rank}D", f"AveragePooling{rank}D"], _pool_out(rank))
        add([f"GlobalMaxPooling{rank}D", f"GlobalAveragePooling{rank}D"], _global_pool_out(rank))
        add(
            [f"AdaptiveMaxPooling{rank}D", f"AdaptiveAveragePooling{rank}D"],
            _adaptive_pool_out(rank),
        )
        add([f"ZeroPadding{rank}D"], _pad_or_crop(rank, "padding", +1))
        add([f"Cropping{rank}D"], _pad_or_crop(rank, "cropping", -1))
        add([f"UpSampling{rank}D"], _upsampling(rank))
        add([f"ConvLSTM{rank}D"], _conv_lstm_out(rank), _conv_lstm_weights(rank))
    for rank in (1, 2):
        add(
            [f"SeparableConv{rank}D", f"SeparableConvolution{rank}D"],
            _conv_out(rank),
            _separable_weights(rank),
        )
        add([f"DepthwiseConv{rank}D"], _conv_out(rank, depthwise=True), _depthwise_weights(rank))
        add(
            [f"LocallyConnected{rank}D"],
            _locally_connected_out(rank),
            _locally_connected_weights(rank),
        )
    add(["Resizing", "CenterCrop", "RandomCrop"], _resize_like)

    add(["Flatten"], _flatten)
    add(["Reshape"], lambda c, i: keras3_reshape(c, i) if "newshape" in c else _reshape(c, i))
    add(["Permute"], _permute)
    add(["RepeatVector"], _repeat_vector)

    add(["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"], _elementwise_merge)
    add(["Concatenate"], _concatenate)
    add(["Dot"], _dot)
    add(["Merge"], _keras1_merge)

    add(["BatchNormalization"], _same_shape, _batchnorm_weights)
    add(["LayerNormalization"], _same_shape, _layernorm_weights)
    add(["RMSNormalization"], _same_shape, _rmsnorm_weights)
    add(["GroupNormalization"], _same_shape, _groupnorm_weights)
    add(["Normalization"], _same_shape, _normalization_weights)

    for kind in _GATES:
        add([kind], _rnn_out(kind), _rnn_weights(kind))
    add(["RNN"], _generic_rnn_out, _generic_rnn_weights)
    add(["Bidirectional"], _bidirectional_out, _bidirectional_weights)
    add(["TimeDistributed"], _time_distributed_out, _time_distributed_weights)

    add(["Attention"], _attention_out, _attention_weights)
    add(["AdditiveAttention"], _attention_out, _additive_attention_weights)
    add(["MultiHeadAttention"], _mha_out, _mha_weights)
    for name, rule in KERAS3_OPERATIONS.items():  # Keras 3 operations called in a model
        add([name], keras3_operation(rule))
    return reg


_REGISTRY = _build_registry()
