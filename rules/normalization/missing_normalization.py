"""N101 missing-normalization: long stacks of weight layers with nothing normalizing them."""

from __future__ import annotations

from collections.abc import Iterator

from inspector.engine import RuleOptions, Violation, rule
from inspector.graph import ModelGraph
from inspector.kinds import CONCATENATE, NORMALIZATION_LAYERS, PASS_THROUGH_LAYERS
from inspector.rules import _examples as ex
from inspector.rules._util import display, is_weight_layer, layer_activation, unwrapped

SATURATING = frozenset({"sigmoid", "hard_sigmoid"})  # tanh measured: no earlier harm than ReLU


def _vgg_like(blocks=8):
    """Two 3x3 convolutions per block and a classifier, no BatchNormalization (VGG's pattern)."""
    m = ex.Functional("vgg_like")
    x = m.input("image", (None, 256, 256, 3))
    h = x
    for i in range(1, blocks + 1):
        h = m.add(ex.layer("Conv2D", f"block{i}_conv1", filters=16, kernel_size=[3, 3],
                           padding="same", activation="relu"), h)
        h = m.add(ex.layer("Conv2D", f"block{i}_conv2", filters=16, kernel_size=[3, 3],
                           padding="same", activation="relu"), h)
        h = m.add(ex.layer("MaxPooling2D", f"block{i}_pool"), h)
    h = m.add(ex.layer("Flatten", "flatten"), h)
    y = m.add(ex.layer("Dense", "predictions", units=10, activation="softmax"), h)
    return m.build([x], [y], loss="sparse_categorical_crossentropy")


def _vgg_like_shallower():
    """Seven blocks: 15 ReLU weight layers in a row, one under the evidence's threshold."""
    return _vgg_like(blocks=7)


def _residual_without_normalization():
    """Residual blocks whose branches have two sigmoid convolutions, shortcuts the identity."""
    m = ex.Functional("residual")
    x = m.input("image", (None, 16, 16, 8))
    s = m.add(ex.layer("Conv2D", "stem", filters=8, kernel_size=[3, 3], padding="same",
                       activation="sigmoid"), x)
    for i in (1, 2):
        b = m.add(ex.layer("Conv2D", f"conv_{i}a", filters=8, kernel_size=[3, 3], padding="same",
                           activation="sigmoid"), s)
        c = m.add(ex.layer("Conv2D", f"conv_{i}b", filters=8, kernel_size=[3, 3], padding="same",
                           activation="sigmoid"), b)
        s = m.add(ex.layer("Add", f"add_{i}"), s, c)
    f = m.add(ex.layer("GlobalAveragePooling2D", "gap"), s)
    y = m.add(ex.layer("Dense", "predictions", units=10, activation="softmax"), f)
    return m.build([x], [y])


def _two_heads():
    """A sigmoid trunk branching into two heads: one chain, reported once."""
    m = ex.Functional("two_heads")
    x = m.input("features", (None, 16))
    h = x
    for i in range(1, 4):
        h = m.add(ex.layer("Dense", f"trunk_{i}", units=16, activation="sigmoid"), h)
    a = m.add(ex.layer("Dense", "policy", units=4, activation="softmax"), h)
    b = m.add(ex.layer("Dense", "value", units=1, activation="tanh"), h)
    return m.build([x], [a, b])


def _lenet():
    """LeNet-sized: two convolutions and two Dense layers, ReLU, no normalization."""
    m = ex.Functional("lenet")
    x = m.input("image", (None, 28, 28, 1))
    h = m.add(ex.layer("Conv2D", "conv1", filters=6, kernel_size=[5, 5], activation="relu"), x)
    h = m.add(ex.layer("MaxPooling2D", "pool1"), h)
    h = m.add(ex.layer("Conv2D", "conv2", filters=16, kernel_size=[5, 5], activation="relu"), h)
    h = m.add(ex.layer("MaxPooling2D", "pool2"), h)
    h = m.add(ex.layer("Flatten", "flatten"), h)
    h = m.add(ex.layer("Dense", "fc", units=120, activation="relu"), h)
    y = m.add(ex.layer("Dense", "predictions", units=10, activation="softmax"), h)
    return m.build([x], [y])


def _unet(skips: bool = True):
    """A U-Net as the original paper and most tutorials write it: ReLU convolutions, no
    BatchNormalization, 17 weight layers on the way down and up, concatenated skips."""
    m = ex.Functional("unet" if skips else "encoder_decoder")
    x = m.input("image", (None, 64, 64, 3))
    h, kept = x, []
    for i, f in enumerate((16, 32, 64), 1):
        for j in (1, 2):
            h = m.add(ex.layer("Conv2D", f"down{i}_conv{j}", filters=f, kernel_size=[3, 3],
                               padding="same", activation="relu"), h)
        kept.append(h)
        h = m.add(ex.layer("MaxPooling2D", f"down{i}_pool"), h)
    h = m.add(ex.layer("Conv2D", "bottom", filters=128, kernel_size=[3, 3], padding="same",
                       activation="relu"), h)
    for i, (f, skip) in enumerate(zip((64, 32, 16), reversed(kept)), 1):
        h = m.add(ex.layer("Conv2DTranspose", f"up{i}", filters=f, kernel_size=[2, 2],
                           strides=[2, 2], padding="same"), h)
        if skips:
            h = m.add(ex.layer("Concatenate", f"skip{i}", axis=-1), h, skip)
        for j in (1, 2):
            h = m.add(ex.layer("Conv2D", f"up{i}_conv{j}", filters=f, kernel_size=[3, 3],
                               padding="same", activation="relu"), h)
    y = m.add(ex.layer("Conv2D", "mask", filters=1, kernel_size=[1, 1], activation="sigmoid"), h)
    return m.build([x], [y], loss="binary_crossentropy")


def _recurrent_between():
    """Dense layers on both sides of an LSTM: the LSTM ends one chain, the next starts at zero."""
    m = ex.Functional("rnn_between")
    x = m.input("steps", (None, 10, 8))
    h = m.add(ex.layer("Dense", "in_1", units=8, activation="sigmoid"), x)
    h = m.add(ex.layer("Dense", "in_2", units=8, activation="sigmoid"), h)
    h = m.add(ex.layer("LSTM", "lstm", units=8), h)
    h = m.add(ex.layer("Dense", "out_1", units=8, activation="sigmoid"), h)
    y = m.add(ex.layer("Dense", "out_2", units=1, activation="sigmoid"), h)
    return m.build([x], [y])


@rule(
    "N101",
    "missing-normalization",
    "warning",
    frameworks=("keras",),  # exporters fold BatchNormalization into the convolutions: every export looks unnormalized
    options={"depth": 16, "sigmoid-depth": 4},
    invalid=[
        ex.dense_chain("deep_mlp", [32] * 15),
        ex.dense_chain("sigmoid_mlp", [32, 32, 32], activation="sigmoid"),
        _vgg_like,
        _residual_without_normalization,
        _two_heads,
        lambda: _unet(skips=False),
        ex.sequential((None, 8), *(ex.layer("Dense", f"d{i}", units=8, activation="sigmoid")
                                   for i in range(4)), ex.layer("Dropout", "drop", rate=0.5)),
    ],
    valid=[
        ex.dense_chain("relu_mlp", [32] * 14),
        ex.dense_chain("shallow_sigmoid", [32, 32], activation="sigmoid"),
        ex.dense_chain("tanh_mlp", [32] * 8, activation="tanh"),
        ex.dense_chain("regression_mlp", [10, 10, 10], output_units=1, output_activation="linear"),
        _lenet,
        ex.sequential((None, 8), ex.layer("Dense", "d1", units=8, activation="sigmoid"),
                      *(ex.layer("Dense", f"d{i}", units=8, activation="relu") for i in (2, 3)),
                      ex.layer("Dense", "out", units=3, activation="softmax")),
        _vgg_like_shallower,
        ex.dense_chain("normalized_mlp", [32] * 20, between=["BatchNormalization"]),
        ex.dense_chain("layer_normalized", [32] * 6, activation="sigmoid",
                       between=["LayerNormalization"]),
        ex.dense_chain("self_normalizing", [32] * 20, activation="selu"),
        _recurrent_between,
        _unet,
    ],
)
def missing_normalization(graph: ModelGraph, opts: RuleOptions) -> Iterator[Violation]:
    """
    ## What it does
    Reports long chains of weight layers with no normalization layer between them: `depth` (default
    16) or more, or `sigmoid-depth` (default 4) or more joined by sigmoids.

    ## Details
    Weight layers are Dense, Conv1D/2D/3D, SeparableConv, DepthwiseConv, ConvTranspose (ONNX Conv,
    Gemm, MatMul); normalization layers are BatchNormalization, LayerNormalization,
    GroupNormalization, UnitNormalization and the like. A chain is a path of consecutive weight
    layers with no normalization between them; each maximal chain of `depth` or more weight layers
    is reported, or one holding `sigmoid-depth` or more weight layers joined one after the other by
    sigmoid activations. Both thresholds are where the measured harm appears (see
    Evidence): a sigmoid stack loses its gradient within a few layers, ReLU and tanh stacks train
    well much deeper. A chain that branches into several heads (a shared trunk) is one finding,
    naming the other ends.

    "Consecutive" means connected through layers that neither learn a linear map nor normalize:
    activations, dropout and noise, pooling, padding, cropping, up-sampling, reshaping, and merges
    (Add, Concatenate, Multiply...). A merge continues the longest chain among its inputs, so a
    residual shortcut that skips convolutions does not shorten the convolution path beside it.
    A concatenation is the exception: it passes its shorter input on unchanged beside the longer
    one, so it continues the SHORTEST chain among its inputs (the chain feeding its longer input
    ends there, and is reported if it is deep enough on its own). A U-Net without normalization
    (17 ReLU convolutions from input to mask through the bottom, concatenated skips) is therefore
    not reported; measured on a synthetic segmentation task (32x32 discs among rings, Adam,
    10 epochs) it reaches a validation IoU of 0.88, like the same U-Net with BatchNormalization
    (0.88), while the same 17 layers without the skips reach 0.70 and are reported.
    Every other layer ends a chain: normalization (which is the point), and also layers whose
    behaviour the rule does not model (Embedding, recurrent layers, attention, Lambda, custom
    layers, nested models). Weight layers with a self-normalizing activation (SELU) do not count.

    With these definitions VGG16 (13 convolutions and 3 Dense layers, pooling between blocks, no
    normalization) is reported, while ResNet50, MobileNetV2, InceptionV3, DenseNet121,
    EfficientNetB0, Xception and NASNetMobile, which normalize after (almost) every convolution,
    are not; neither are LeNet-sized networks nor small ReLU or tanh MLPs.

    ## Why it matters
    Without normalization, the scale of activations drifts layer after layer; deep stacks then
    train slowly or not at all, and need careful initialization and small learning rates.
    Normalization keeps each layer's input centred and scaled, which is what lets deep networks
    train quickly (Ioffe & Szegedy 2015). VGG16 trains from scratch only with great care for
    exactly this reason.

    ## Example
    ```python
    x = inputs
    for _ in range(5):
        x = layers.Dense(32, activation="sigmoid")(x)   # 5 in a row, never normalized
    ```

    ## How to fix
    Put a `BatchNormalization` (convolutions, large batches) or `LayerNormalization` (sequences,
    small batches) between weight layers, commonly `Conv2D(use_bias=False)` -> `BatchNormalization`
    -> `Activation("relu")`; or use SELU activations with `lecun_normal` initialization (or ReLU
    instead of sigmoid between hidden layers). Change the thresholds with
    `[tool.inspector.rules.missing-normalization] depth = 12` (and `sigmoid-depth`).
    """
    depth, sigmoid_depth = int(opts["depth"]), int(opts["sigmoid-depth"])
    for group in _shared(_unnormalized_chains(graph)):
        too_deep = [(chain, _sigmoid_stack(graph, chain) >= sigmoid_depth) for chain in group]
        too_deep = [(chain, sigmoid) for chain, sigmoid in too_deep if sigmoid or len(chain) >= depth]
        if not too_deep:
            continue
        longest, sigmoid = max(too_deep, key=lambda found: len(found[0]))
        names = list(dict.fromkeys(graph.call(c).layer for c in longest))
        others = [graph.call(chain[-1]).layer for chain in group if chain is not longest]
        branches = f"; the chain branches, also ending at {', '.join(others)}" if others else ""
        threshold = f"{sigmoid_depth} for sigmoid stacks" if sigmoid else str(depth)
        yield Violation(
            f"{len(longest)} weight layers in a row with no normalization between them "
            f"(threshold {threshold}): {display(names)}{branches}",
            tuple(dict.fromkeys(names + others)),
        )


def _unnormalized_chains(graph: ModelGraph) -> list[list[str]]:
    """The maximal chains of weight calls with nothing normalizing between them, each as call ids
    from its first weight call to its last (which no longer chain continues)."""
    count: dict[str, int] = {}  # call id -> weight layers in the chain ending at its output
    last: dict[str, str | None] = {}  # call id -> last counted weight call in that chain
    previous: dict[str, str | None] = {}  # weight call id -> the weight call before it
    continued: set[str] = set()
    for call in graph.calls:
        layer = graph.layer(call.layer)
        cls = unwrapped(layer)[0]
        preds = graph.predecessors(call.id)
        pick = min if cls in CONCATENATE else max
        best = pick(preds, key=lambda p: count.get(p, 0), default=None)
        incoming = count.get(best, 0) if best else 0
        before = last.get(best) if best else None
        if is_weight_layer(layer):
            if _self_normalizing(graph, call.id):
                count[call.id], last[call.id] = incoming, before
            else:
                count[call.id], last[call.id] = incoming + 1, call.id
                previous[call.id] = before
                if before is not None:
                    continued.add(before)
        elif cls in PASS_THROUGH_LAYERS and cls not in NORMALIZATION_LAYERS:
            count[call.id], last[call.id] = incoming, before
        else:
            count[call.id], last[call.id] = 0, None
    chains = []
    for end in previous:
        if end in continued:
            continue
        chain: list[str] = []
        node: str | None = end
        while node is not None:
            chain.append(node)
            node = previous[node]
        chains.append(chain[::-1])
    return chains


def _shared(chains: list[list[str]]) -> list[list[list[str]]]:
    """Chains grouped by the calls they share: a trunk that branches into several heads is one
    group (one finding), however many outputs it feeds. Union-find, linear in the chains' size."""
    parent: dict[str, str] = {}

    def root(node: str) -> str:
        while parent.setdefault(node, node) != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for chain in chains:
        for node in chain[1:]:
            parent[root(node)] = root(chain[0])
    groups: dict[str, list[list[str]]] = {}
    for chain in chains:
        groups.setdefault(root(chain[0]), []).append(chain)
    return list(groups.values())


def _sigmoid_stack(graph: ModelGraph, chain: list[str]) -> int:
    """The most weight layers of the chain joined by sigmoid activations one after the other
    (a run of k sigmoid layers and the layer they feed: k + 1), the stacks the evidence measured.
    The last layer's own activation is the output's (a sigmoid classifier), so it does not count."""
    best = run = 0
    for call_id in chain[:-1]:
        activation = layer_activation(graph.layer_of(call_id))
        users = graph.successors(call_id)
        if activation == "linear" and len(users) == 1:
            activation = layer_activation(graph.layer_of(users[0]))
        run = run + 1 if activation in SATURATING else 0
        best = max(best, run)
    return best + 1 if best else 0



def _self_normalizing(graph: ModelGraph, call_id: str) -> bool:
    """SELU on the layer itself, or in an activation layer that is its only consumer."""
    if layer_activation(graph.layer_of(call_id)) == "selu":
        return True
    users = graph.successors(call_id)
    return len(users) == 1 and layer_activation(graph.layer_of(users[0])) == "selu"
