"""Colours for diagrams: one palette for every renderer, legible on light and dark docs pages.

Every node is a light fill with dark text and a darker border of the same hue, so a label has high
contrast whatever the page behind it is (white or GitHub's dark #0d1117); edges and edge labels use
a mid grey that stays readable on both. tests/test_render.py checks the contrast ratios.
"""

from __future__ import annotations

from dataclasses import dataclass

TEXT = "#1f2328"  # node text: always dark, on a light fill


@dataclass(frozen=True)
class Family:
    name: str
    fill: str
    border: str


FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        Family("input", "#dbeafe", "#1d4ed8"),
        Family("conv", "#dcfce7", "#15803d"),
        Family("dense", "#fef3c7", "#b45309"),
        Family("recurrent", "#ede9fe", "#6d28d9"),
        Family("attention", "#fce7f3", "#be185d"),
        Family("normalization", "#ccfbf1", "#0f766e"),
        Family("activation", "#f1f5f9", "#475569"),
        Family("pooling", "#ecfccb", "#4d7c0f"),
        Family("merge", "#ffedd5", "#c2410c"),
        Family("reshape", "#f5f5f4", "#57534e"),
        Family("regularization", "#fae8ff", "#a21caf"),
        Family("embedding", "#e0e7ff", "#4338ca"),
        Family("model", "#fef9c3", "#a16207"),
        Family("block", "#e2e8f0", "#334155"),
        Family("code", "#fee2e2", "#b91c1c"),
        Family("other", "#f3f4f6", "#4b5563"),
    )
}

# A shared layer's calls get one of these as a thick border and as the colour of the dashed
# "same weights" edge between them; distinct from the lint colours below.
SHARED = ("#bf3989", "#8250df", "#1b7c83", "#9a6700", "#0550ae")

SEVERITY = {"error": "#cf222e", "warning": "#e16f24", "info": "#0969da"}

# `inspect diff -o`: borders and badges of the calls a change added, changed or removed.
CHANGE = {"added": "#1a7f37", "changed": "#8250df", "removed": "#cf222e"}


@dataclass(frozen=True)
class Theme:
    """Page-level colours; `auto` is transparent so one SVG works on light and dark pages."""

    name: str
    background: str
    edge: str
    cluster_border: str
    cluster_text: str


THEMES = {
    "auto": Theme("auto", "transparent", "#768390", "#768390", "#768390"),
    "light": Theme("light", "#ffffff", "#57606a", "#8c959f", "#57606a"),
    "dark": Theme("dark", "#0d1117", "#8b949e", "#6e7681", "#8b949e"),
}

_PREFIX_FAMILIES = (
    ("InputLayer", "input"),
    ("ConvLSTM", "recurrent"),
    ("Conv", "conv"),
    ("SeparableConv", "conv"),
    ("DepthwiseConv", "conv"),
    ("LocallyConnected", "conv"),
    ("Dense", "dense"),
    ("EinsumDense", "dense"),
    ("LSTM", "recurrent"),
    ("GRU", "recurrent"),
    ("SimpleRNN", "recurrent"),
    ("RNN", "recurrent"),
    ("Bidirectional", "recurrent"),
    ("TimeDistributed", "recurrent"),
    ("MultiHeadAttention", "attention"),
    ("Attention", "attention"),
    ("AdditiveAttention", "attention"),
    ("BatchNormalization", "normalization"),
    ("LayerNormalization", "normalization"),
    ("GroupNormalization", "normalization"),
    ("UnitNormalization", "normalization"),
    ("SyncBatchNormalization", "normalization"),
    ("Normalization", "normalization"),
    ("Rescaling", "normalization"),
    ("Activation", "activation"),
    ("ReLU", "activation"),
    ("LeakyReLU", "activation"),
    ("PReLU", "activation"),
    ("ELU", "activation"),
    ("Softmax", "activation"),
    ("ThresholdedReLU", "activation"),
    ("MaxPool", "pooling"),
    ("AveragePool", "pooling"),
    ("GlobalMaxPool", "pooling"),
    ("GlobalAveragePool", "pooling"),
    ("AvgPool", "pooling"),
    ("Add", "merge"),
    ("Concatenate", "merge"),
    ("Multiply", "merge"),
    ("Average", "merge"),
    ("Maximum", "merge"),
    ("Minimum", "merge"),
    ("Subtract", "merge"),
    ("Dot", "merge"),
    ("Flatten", "reshape"),
    ("Reshape", "reshape"),
    ("Permute", "reshape"),
    ("RepeatVector", "reshape"),
    ("ZeroPadding", "reshape"),
    ("Cropping", "reshape"),
    ("UpSampling", "reshape"),
    ("Dropout", "regularization"),
    ("SpatialDropout", "regularization"),
    ("AlphaDropout", "regularization"),
    ("GaussianNoise", "regularization"),
    ("GaussianDropout", "regularization"),
    ("ActivityRegularization", "regularization"),
    ("Embedding", "embedding"),
    ("Functional", "model"),
    ("Sequential", "model"),
    ("Model", "model"),
    ("Lambda", "code"),
    ("TFOpLambda", "code"),
)


def family_of(class_name: str, nested: bool = False) -> str:
    """The colour family of a layer class (`nested` marks a layer that is itself a model)."""
    if nested:
        return "model"
    for prefix, family in _PREFIX_FAMILIES:
        if class_name.startswith(prefix):
            return family
    return "other"


def _luminance(color: str) -> float:
    channels = [int(color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two #rrggbb colours (1 to 21)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)
