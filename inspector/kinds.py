"""The vocabulary of layer kinds: which layer classes pool, merge, drop out, normalize, keep a
tensor's layout... named once, so every rule (and anything else that classifies layers by class)
builds its sets from the same names and they cannot drift apart.

Class names cover every Keras era (Keras 1 `Convolution2D`, `Merge`; tf.keras 2; Keras 3), the
QKeras layers that stand in for Keras ones (`QDense`...), and the ONNX operators the ONNX loader
keeps as layer classes (`Conv`, `Gemm`, `Relu`: a node's class is its op type).
tests/test_kinds.py checks that each name is a real Keras class or ONNX operator.
"""

from __future__ import annotations


def _ranked(*stems: str, ranks: tuple[int, ...] = (1, 2, 3)) -> frozenset[str]:
    """`Conv1D`, `Conv2D`, `Conv3D` from `Conv`: the 1-D, 2-D and 3-D classes of each stem."""
    return frozenset(f"{stem}{rank}D" for stem in stems for rank in ranks)


# Learned linear maps
DENSE = frozenset({"Dense", "TimeDistributedDense", "QDense"})
"""A matrix on the last axis (Keras 1 `TimeDistributedDense` is Dense on each step)."""
EINSUM_DENSE = frozenset({"EinsumDense"})
"""A learned tensor contraction: in practice attention's query, key and value projections."""
DEPTHWISE_CONVOLUTION = _ranked("DepthwiseConv", ranks=(1, 2)) | {"QDepthwiseConv2D"}
TRANSPOSED_CONVOLUTION = (frozenset(f"{name}Transpose" for name in _ranked("Conv", "Convolution"))
                          | {"Deconvolution2D", "Deconvolution3D", "ConvTranspose"})
"""Convolutions that upsample (Keras 1 `Deconvolution2D`; ONNX `ConvTranspose`)."""
SPATIAL_CONVOLUTION = _ranked("Conv", "Convolution") | _ranked(
    "SeparableConv", "SeparableConvolution", "AtrousConvolution", "DepthwiseConv", ranks=(1, 2))
"""The Keras convolutions that slide a window with a stride (not transposed, not QKeras)."""
CONVOLUTION = (SPATIAL_CONVOLUTION | DEPTHWISE_CONVOLUTION | TRANSPOSED_CONVOLUTION
               | {"QConv1D", "QConv2D", "QSeparableConv2D", "Conv"})
LOCALLY_CONNECTED = _ranked("LocallyConnected", ranks=(1, 2))
"""A convolution whose weights are not shared between positions (Keras 1 and 2)."""
MATMUL = frozenset({"Gemm", "MatMul"})
"""ONNX's dense layers: `Gemm` (a Keras Dense exported), `MatMul` (also attention projections)."""
ONNX_LINEAR = MATMUL | {"Conv", "ConvTranspose"}
"""ONNX's learned linear maps."""
WEIGHT_LAYERS = DENSE | EINSUM_DENSE | CONVOLUTION | LOCALLY_CONNECTED | MATMUL
"""Layers that apply a learned linear map: what a chain of unnormalized layers is made of."""

RECURRENT_LAYERS = frozenset({"LSTM", "GRU", "SimpleRNN", "CuDNNLSTM", "CuDNNGRU"})
EMBEDDING = frozenset({"Embedding"})
BIDIRECTIONAL = frozenset({"Bidirectional"})

# Normalization
BATCH_NORMALIZATION = frozenset({
    "BatchNormalization", "SyncBatchNormalization", "QBatchNormalization",
    "BatchNormalizationV1", "BatchNormalizationV2",  # what tf.keras 1.13 wrote
})
"""Normalizations that subtract a per-channel batch mean (and keep moving statistics)."""
FEATURE_NORMALIZATION = BATCH_NORMALIZATION | {
    "LayerNormalization", "GroupNormalization", "UnitNormalization", "RMSNormalization",
    "InstanceNormalization", "LpNormalization",
}
"""Normalizations of a layer's output: same shape, same axes."""
NORMALIZATION_LAYERS = FEATURE_NORMALIZATION | {"SpectralNormalization"}
"""Feature normalizations, and SpectralNormalization, the wrapper that normalizes its layer's
kernel."""

# Element-wise
ACTIVATION_LAYERS = frozenset({
    "Activation", "ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax", "ThresholdedReLU",
    "SReLU", "QActivation",  # Keras 1, QKeras
    # ONNX operators
    "Relu", "Sigmoid", "Tanh", "LeakyRelu", "Elu", "Selu", "Softplus", "HardSigmoid", "HardSwish",
    "Clip", "Mish", "Gelu",
})
DROPOUT = frozenset({"Dropout", "AlphaDropout", "GaussianDropout", *_ranked("SpatialDropout")})
"""Layers that drop (or rescale) units at random during training and pass everything at
inference (ONNX `Dropout` too)."""
NOISE_LAYERS = DROPOUT | {"GaussianNoise"}
"""Layers that perturb their input during training only (dropout and Gaussian noise)."""
DROPOUT_LAYERS = NOISE_LAYERS | {"ActivityRegularization"}
"""Layers that are the identity at inference: noise, and the regularizer that only adds a loss."""
CAST = frozenset({"Cast"})
"""ONNX's change of dtype."""

# Shape and position
MASKING = frozenset({"Masking"})
RESHAPE_LAYERS = MASKING | {
    "Flatten", "Reshape", "Permute", "RepeatVector", "Identity",
    "Squeeze", "Unsqueeze", "Transpose",  # ONNX operators
}
"""Layers that move, repeat or mask values without computing new ones."""
WINDOW_POOLING = _ranked("MaxPooling", "AveragePooling", "MaxPool", "AvgPool")
"""Keras poolings that slide a window of `pool_size` with a stride."""
ADAPTIVE_POOLING = _ranked("AdaptiveMaxPooling", "AdaptiveAveragePooling")
"""Keras 3 poolings to a fixed `output_size`, whatever the input's."""
POOLING = WINDOW_POOLING | ADAPTIVE_POOLING | {"MaxPool", "AveragePool"}
"""Poolings that keep positions (fewer of them): the output is still a feature map."""
AVERAGE_POOLING = (_ranked("AveragePooling", "AvgPool", "AdaptiveAveragePooling")
                   | {"AveragePool"})
"""The linear poolings (max pooling is itself a non-linearity)."""
GLOBAL_POOLING = (_ranked("GlobalMaxPooling", "GlobalAveragePooling", "GlobalMaxPool", "GlobalAvgPool")
                  | {"GlobalMaxPool", "GlobalAveragePool"})
"""Poolings over every position: one vector per example."""
MAX_POOLING = _ranked("MaxPooling", "MaxPool", "AdaptiveMaxPooling") | {"MaxPool"}
"""Poolings that keep the largest value of each window (a non-linearity of their own)."""
GLOBAL_AVERAGE_POOLING = GLOBAL_POOLING - _ranked("GlobalMaxPooling", "GlobalMaxPool") - {"GlobalMaxPool"}
GLOBAL_MAX_POOLING = GLOBAL_POOLING - GLOBAL_AVERAGE_POOLING
PADDING = _ranked("ZeroPadding") | {"Pad"}
CROPPING = _ranked("Cropping")
UPSAMPLING = _ranked("UpSampling")

# Merges
ELEMENTWISE_MERGE = frozenset({
    "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum",
    "Sub", "Mul", "Max", "Min", "Mean", "Sum",  # ONNX operators (Add is both)
})
CONCATENATE = frozenset({"Concatenate", "Concat"})  # Keras, ONNX
MERGE = ELEMENTWISE_MERGE | CONCATENATE | {"Merge"}
"""Layers that combine several inputs position by position (Keras 1 `Merge`, any mode)."""
DOT = frozenset({"Dot"})

PASS_THROUGH_LAYERS = (ACTIVATION_LAYERS | DROPOUT_LAYERS | RESHAPE_LAYERS | CAST | POOLING
                       | GLOBAL_POOLING | PADDING | CROPPING | UPSAMPLING | MERGE)
"""Layers that neither learn a linear map nor normalize: a chain runs through them."""

QKERAS = frozenset({"QDense", "QConv1D", "QConv2D", "QDepthwiseConv2D", "QSeparableConv2D",
                    "QActivation", "QBatchNormalization"})
"""The QKeras layers named above: an add-on, not Keras (unknown-layer still reports them)."""

KNOWN_LAYERS: frozenset[str] = frozenset((
    "AbstractRNNCell", "Activation", "ActivityRegularization", "AdaptiveAveragePooling1D",
    "AdaptiveAveragePooling2D", "AdaptiveAveragePooling3D", "AdaptiveMaxPooling1D",
    "AdaptiveMaxPooling2D", "AdaptiveMaxPooling3D", "Add", "AdditiveAttention", "AlphaDropout",
    "AtrousConvolution1D", "AtrousConvolution2D", "Attention", "AugMix", "AutoContrast",
    "AutoEncoder", "Average", "AveragePooling1D", "AveragePooling2D", "AveragePooling3D",
    "AvgPool1D", "AvgPool2D", "AvgPool3D", "BatchNormalization", "BatchNormalizationV1",
    "BatchNormalizationV2", "Bidirectional", "CategoryEncoding", "CenterCrop", "ClassMethod",
    "Concatenate", "ContrastLimitedAdaptiveHistogramEqualization", "Conv1D", "Conv1DTranspose",
    "Conv2D", "Conv2DTranspose", "Conv3D", "Conv3DTranspose", "ConvLSTM1D", "ConvLSTM2D",
    "ConvLSTM3D", "Convolution1D", "Convolution1DTranspose", "Convolution2D",
    "Convolution2DTranspose", "Convolution3D", "Convolution3DTranspose", "Cropping1D",
    "Cropping2D", "Cropping3D", "CuDNNGRU", "CuDNNLSTM", "CutMix", "Deconvolution2D",
    "Deconvolution3D", "Dense", "DenseFeatures", "DepthwiseConv1D", "DepthwiseConv2D",
    "Discretization", "Dot", "Dropout", "ELU", "EinsumDense", "Embedding", "Equalization",
    "Flatten", "FlaxLayer", "Functional", "GRU", "GRUCell", "GaussianDropout", "GaussianNoise",
    "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D",
    "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalAvgPool3D", "GlobalMaxPool1D", "GlobalMaxPool2D",
    "GlobalMaxPool3D", "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D",
    "GroupNormalization", "GroupQueryAttention", "HashedCrossing", "Hashing", "Highway",
    "Identity", "InputLayer", "InputSpec", "InstanceMethod", "InstanceProperty", "IntegerLookup",
    "JaxLayer", "KerasHistory", "KerasOpDispatcher", "LSTM", "LSTMCell", "Lambda", "Layer",
    "LayerNormalization", "LeakyReLU", "LocallyConnected1D", "LocallyConnected2D", "Masking",
    "MaxNumBoundingBoxes", "MaxPool1D", "MaxPool2D", "MaxPool3D", "MaxPooling1D", "MaxPooling2D",
    "MaxPooling3D", "Maximum", "MaxoutDense", "MelSpectrogram", "Merge", "Minimum", "MixUp",
    "Model", "MultiHeadAttention", "Multiply", "Normalization", "PReLU", "ParametricSoftplus",
    "Permute", "Pipeline", "RMSNormalization", "RNN", "RandAugment", "RandomBrightness",
    "RandomColorDegeneration", "RandomColorJitter", "RandomContrast", "RandomCrop",
    "RandomElasticTransform", "RandomErasing", "RandomFlip", "RandomGaussianBlur",
    "RandomGrayscale", "RandomHeight", "RandomHue", "RandomInvert", "RandomPerspective",
    "RandomPosterization", "RandomRotation", "RandomSaturation", "RandomSharpness", "RandomShear",
    "RandomTranslation", "RandomWidth", "RandomZoom", "ReLU", "Recurrent", "RepeatVector",
    "Rescaling", "Reshape", "Resizing", "ReversibleEmbedding", "SReLU", "STFTSpectrogram",
    "SeparableConv1D", "SeparableConv2D", "SeparableConvolution1D", "SeparableConvolution2D",
    "Sequential", "SimpleRNN", "SimpleRNNCell", "SlicingOpLambda", "Softmax", "Solarization",
    "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "SpectralNormalization",
    "StackedRNNCells", "StringLookup", "Subtract", "SyncBatchNormalization",
    "TFClassMethodDispatcher", "TFOpLambda", "TFSMLayer", "TFSlicingOpDispatcher",
    "TensorFlowOpLayer", "TextVectorization", "ThresholdedLinear", "ThresholdedReLU",
    "TimeDistributed", "TimeDistributedDense", "TorchModuleWrapper", "UnitNormalization",
    "UpSampling1D", "UpSampling2D", "UpSampling3D", "Wrapper", "ZeroPadding1D", "ZeroPadding2D",
    "ZeroPadding3D",
))
"""Class names of every built-in Keras layer and model, from all eras: those exported by
`keras.layers` (Keras 3.15) and `tf_keras.layers` (2.21), the Keras 1 names (`Convolution2D`,
`Merge`, `Highway`...), the names tf.keras 1.13 wrote (`BatchNormalizationV1`) and the layers
tf.keras writes for raw TensorFlow ops (`TFOpLambda`, `SlicingOpLambda`, `TensorFlowOpLayer`). A
layer whose class is not here needs the user's own code to load. Data, so that linting never
imports Keras to find out."""
