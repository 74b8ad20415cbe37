"""The rule engine: a registry of rules, selection by code/name/family, and running them on a graph.

A rule is a pure function of a `ModelGraph` and its options that yields `Violation`s; the engine
turns them into `Finding`s (adding the path, code, name and severity). The engine also runs every
rule on each nested model's subgraph, prefixing layer names with the nesting path ("outer/inner"),
so a rule only ever looks at one graph and never walks subgraphs itself.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from inspector.errors import UsageError
from inspector.graph import ModelGraph, TrainingConfig

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[str, ...] = ("error", "warning", "info")
FRAMEWORKS = frozenset({"keras", "onnx"})

_CODE = re.compile(r"^[A-Z][0-9]{3}$")


@dataclass(frozen=True)
class Family:
    """A rule family: the letter its codes start with and the folder of `rules/` its modules
    live in, so a code says where its rule is and what kind of claim it makes."""

    letter: str
    folder: str
    title: str
    about: str


FAMILIES: dict[str, Family] = {f.letter: f for f in (
    Family("A", "architecture", "Architecture", "layers whose arrangement cannot learn the task well"),
    Family("D", "data", "Data", "faults that show only against a sample of the user's data (needs --data)"),
    Family("G", "graph", "Graph", "the wiring: parts of the model that nothing uses or reaches"),
    Family("L", "loss", "Loss", "the training set-up: losses, their weights and the outputs they read"),
    Family("N", "normalization", "Normalization", "where normalization is missing or undone"),
    Family("S", "security", "Security", "what a file carries that another tool would run"),
    Family("T", "taste", "Taste (opt-in)", "conventions some teams hold; off unless selected"),
    Family("W", "weights", "Weights", "initializers, constraints and sharing of weights"),
)}
SECURITY = FAMILIES["S"].letter
_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_FAMILY = re.compile(r"^[A-Z][0-9]{0,2}$")


@dataclass(frozen=True)
class Violation:
    """What a rule yields: a message and the layers involved ("outer/inner" for nested layers).

    `pattern` describes the fault in general (a sentence, the same for every place it occurs):
    the engine folds violations of one rule in one model that share it into one finding, so a
    fault repeated in every block of a network is one line, not fifty."""

    message: str
    layers: tuple[str, ...] = ()
    pattern: str | None = None


@dataclass(frozen=True)
class Finding:
    """What the engine reports: one violation of one rule in one file."""

    path: str
    code: str
    name: str
    severity: Severity
    message: str
    layers: tuple[str, ...] = ()

    @property
    def location(self) -> str:
        """`path:layer` (the first layer involved), or just `path` for a model-wide finding."""
        return f"{self.path}:{self.layers[0]}" if self.layers else self.path

    def __str__(self) -> str:
        return f"{self.location}: {self.code} {self.name} {self.message}"

    def __repr__(self) -> str:
        return f"<Finding {self}>"

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "code": self.code,
            "name": self.name,
            "severity": self.severity,
            "message": self.message,
            "layers": list(self.layers),
        }


RuleFunc = Callable[[ModelGraph, "RuleOptions"], Iterator[Violation]]


@dataclass(frozen=True)
class Rule:
    """A registered rule: identity, default severity, options with defaults, docs and examples."""

    code: str
    name: str
    severity: Severity
    func: RuleFunc
    options: Mapping[str, Any]
    doc: str
    valid: tuple = ()
    invalid: tuple = ()
    frameworks: frozenset[str] = field(default_factory=lambda: FRAMEWORKS)
    security_severity: float | None = None  # CVSS-like 0-10, for SARIF's `security-severity`
    default: bool = True  # False: opt-in (the taste family T), run only when selected

    @property
    def family(self) -> str:
        return self.code[0]

    @property
    def is_security(self) -> bool:
        return self.family == SECURITY

    @property
    def summary(self) -> str:
        """The first sentence of "## What it does": one line for `inspect rules` and SARIF."""
        text = section(self.doc, "What it does") or self.doc
        line = " ".join(text.split())
        end = line.find(". ")
        return line if end < 0 else line[: end + 1]

    def __call__(self, graph: ModelGraph, opts: RuleOptions) -> Iterator[Violation]:
        return self.func(graph, opts)


@dataclass(frozen=True)
class Scope:
    """Where the graph a rule reads sits in the model: the model itself, or a model nested in it.

    A nested model is not the model: its outputs are the model's outputs only where the outer
    model returns them as they are (a classifier head written as a Sequential), and its inputs
    are the model's inputs only where the outer model's inputs feed it directly. Elsewhere an
    "output" of a nested model is a hidden tensor of the whole model (an augmentation block's
    noise, a feature extractor's last layer). Rules about outputs, losses and inputs read them
    here; rules about wiring (what feeds what) read the graph's own outputs and inputs."""

    nesting: tuple[str, ...]  # the outer layers' names; () for the model itself
    outputs: Mapping[str, str]  # graph output tensor -> the model output it is (its loss key)
    inputs: frozenset[str]  # graph input tensors that are inputs of the model
    training: TrainingConfig | None  # the model's compile config (a nested graph has none)

    @classmethod
    def of_model(cls, graph: ModelGraph) -> Scope:
        outputs = {t: graph.producer_layer(t) for t in graph.outputs}
        return cls((), outputs, frozenset(graph.inputs), graph.training)

    def nested(self, graph: ModelGraph, name: str) -> Scope:
        """The scope of the model nested in layer `name` of `graph` (which this scope is of)."""
        layer = graph.layer(name)
        sub = layer.subgraph
        assert sub is not None
        calls = [graph.call(c) for c in layer.calls]
        outputs = {}
        for i, t in enumerate(sub.outputs):
            for call in calls:
                if i < len(call.outputs) and call.outputs[i] in self.outputs:
                    outputs.setdefault(t, self.outputs[call.outputs[i]])
        inputs = frozenset(t for i, t in enumerate(sub.inputs)
                           if any(i < len(c.inputs) and c.inputs[i] in self.inputs for c in calls))
        return Scope(self.nesting + (name,), outputs, inputs, self.training)

    @property
    def is_model(self) -> bool:
        return not self.nesting


class RuleOptions(Mapping[str, Any]):
    """One rule's options (defaults merged with the user's), plus `context`: facts measured
    outside the graph (e.g. `context["measured_losses"]`), so rules stay pure functions, and
    `scope`: where the graph sits in the model (None: the graph is the model)."""

    def __init__(self, values: Mapping[str, Any], context: Mapping[str, Any] | None = None,
                 scope: Scope | None = None):
        self._values = dict(values)
        self.context: Mapping[str, Any] = dict(context or {})
        self.scope = scope

    def scope_of(self, graph: ModelGraph) -> Scope:
        """Where `graph` sits: the scope the engine gave, or the graph as the model itself."""
        return self.scope if self.scope is not None else Scope.of_model(graph)

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __iter__(self):
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __getattr__(self, key: str) -> Any:
        """`opts.min_depth` reads option `min-depth` (or `min_depth`)."""
        values = self.__dict__.get("_values", {})
        for k in (key, key.replace("_", "-")):
            if k in values:
                return values[k]
        raise AttributeError(key)

    def __repr__(self) -> str:
        return f"RuleOptions({self._values!r}, context={sorted(self.context)!r})"


_REGISTRY: dict[str, Rule] = {}


def rule(
    code: str,
    name: str,
    severity: Severity,
    options: Mapping[str, Any] | None = None,
    valid: Sequence = (),
    invalid: Sequence = (),
    frameworks: Sequence[str] = ("keras", "onnx"),
    security_severity: float | None = None,
    default: bool = True,
):
    """Decorator registering `func(graph, opts) -> Iterator[Violation]` as a rule; `default=False`
    makes it opt-in: it runs only when a selector names its code, name or family."""
    if not _CODE.match(code):
        raise ValueError(f"rule code {code!r} must be a capital letter and three digits")
    if not _NAME.match(name):
        raise ValueError(f"rule name {name!r} must be kebab-case")
    if severity not in SEVERITIES:
        raise ValueError(f"rule {code}: severity must be one of {', '.join(SEVERITIES)}")
    family = FAMILIES.get(code[0])
    if family is None:
        raise ValueError(f"rule {code}: no family {code[0]!r} (families: {', '.join(FAMILIES)})")
    unknown = set(frameworks) - FRAMEWORKS
    if unknown:
        raise ValueError(f"rule {code}: unknown frameworks {sorted(unknown)}")

    def register(func: RuleFunc) -> RuleFunc:
        package = f"{__package__}.rules."
        if func.__module__.startswith(package) and not func.__module__.startswith(
                f"{package}{family.folder}."):
            raise ValueError(f"rule {code} is in {func.__module__}: family {family.letter} rules "
                             f"live in rules/{family.folder}/")
        doc = inspect.cleandoc(func.__doc__ or "")
        new = Rule(code, name, severity, func, dict(options or {}), doc, tuple(valid),
                   tuple(invalid), frozenset(frameworks), security_severity, default)
        for other in _REGISTRY.values():
            same_origin = (other.func.__module__, other.func.__qualname__) == (
                func.__module__, func.__qualname__)
            if (other.code == code or other.name == name) and not same_origin:
                raise ValueError(f"rule {code} {name} clashes with {other.code} {other.name}")
        for key in [k for k, r in _REGISTRY.items() if r.name == name]:
            del _REGISTRY[key]  # a re-imported module replaces its own rule
        _REGISTRY[code] = new
        return func

    return register


_loaded = False


def all_rules() -> list[Rule]:
    """Every rule: imports each module of `inspector.rules` once, returns the registry by code."""
    global _loaded
    if not _loaded:
        import inspector.rules as package

        prefix = f"{package.__name__}."
        for info in pkgutil.walk_packages(package.__path__, prefix):
            if not info.name.rpartition(".")[2].startswith("_") and not info.ispkg:
                importlib.import_module(info.name)
        _loaded = True
    return sorted(_REGISTRY.values(), key=lambda r: r.code)


def get_rule(name_or_code: str) -> Rule:
    """A rule by its code (`N101`, any case) or its name (`missing-normalization`)."""
    key = name_or_code.strip()
    for r in all_rules():
        if r.code == key.upper() or r.name == key.lower():
            return r
    raise UsageError(None, f"no rule named {name_or_code!r} (`inspect rules` lists them)")


def matches(r: Rule, selector: str) -> bool:
    """A selector is a code (`N101`), a name, a family prefix (`N`, `N1`) or `ALL`."""
    s = selector.strip()
    if s.upper() == "ALL":
        return True
    if _FAMILY.match(s.upper()) or _CODE.match(s.upper()):
        return r.code.startswith(s.upper())
    return r.name == s.lower()


def _selects(r: Rule, selector: str) -> bool:
    """`matches`, except that an opt-in rule needs its own code, name or family, not `ALL`."""
    return matches(r, selector) and (r.default or selector.strip().upper() != "ALL")


def default_rules() -> list[Rule]:
    """The rules that run when nothing is selected: all but the opt-in ones."""
    return [r for r in all_rules() if r.default]


def check_selectors(selectors: Sequence[str], where: str = "") -> None:
    """Raise a UsageError for a selector that matches no rule (a typo would silently do nothing)."""
    rules = all_rules()
    for s in selectors:
        if not any(matches(r, s) for r in rules):
            raise UsageError(None, f"{where}unknown rule selector {s!r} (`inspect rules` lists them)")


def select_rules(select: Sequence[str] | None, ignore: Sequence[str] | None) -> list[Rule]:
    """The rules picked by `select` (all when None or empty) minus those picked by `ignore`."""
    select = [s for s in (select or ()) if s.strip()]
    ignore = [s for s in (ignore or ()) if s.strip()]
    check_selectors(select + ignore)
    chosen = [r for r in all_rules() if any(_selects(r, s) for s in select)] if select else default_rules()
    return [r for r in chosen if not any(matches(r, s) for s in ignore)]


def resolve_options(r: Rule, user: Mapping[str, Any] | None) -> dict[str, Any]:
    """The rule's defaults overridden by the user's values, checked against the defaults' types."""
    merged = dict(r.options)
    for key, value in (user or {}).items():
        k = key.replace("_", "-") if key.replace("_", "-") in r.options else key
        if k not in r.options:
            known = ", ".join(sorted(r.options)) or "none"
            raise UsageError(None, f"rule {r.name} has no option {key!r} (options: {known})")
        default = r.options[k]
        if isinstance(default, bool) and not isinstance(value, bool):
            raise UsageError(None, f"option {r.name}.{k} must be true or false, not {value!r}")
        if isinstance(default, (int, float)) and not isinstance(default, bool):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise UsageError(None, f"option {r.name}.{k} must be a number, not {value!r}")
            if isinstance(default, int) and not isinstance(value, int):
                raise UsageError(None, f"option {r.name}.{k} must be an integer, not {value!r}")
        merged[k] = value
    return merged


def framework_of(graph: ModelGraph) -> str:
    return "onnx" if graph.source.format == "onnx" else "keras"


def lint_graph(
    graph: ModelGraph,
    rules: Sequence[Rule],
    options: Mapping[str, Mapping[str, Any]] | None = None,
    context: Mapping[str, Any] | None = None,
) -> list[Finding]:
    """Run `rules` on `graph` and on every nested model in it; findings in rule, then graph order.

    `options` maps a rule name (or code) to that rule's option values.
    """
    options = options or {}
    framework = framework_of(graph)
    graphs = list(_graphs(graph, Scope.of_model(graph)))
    findings: list[Finding] = []
    for r in rules:
        if framework not in r.frameworks:
            continue
        values = resolve_options(r, options.get(r.name) or options.get(r.code))
        seen: set[tuple] = set()
        found: list[Violation] = []
        for scope, g in graphs:
            for v in r.func(g, RuleOptions(values, context, scope)):
                layers = tuple("/".join(scope.nesting + (name,)) for name in v.layers)
                if (v.message, layers) not in seen:
                    seen.add((v.message, layers))
                    found.append(Violation(v.message, layers, v.pattern))
        findings += [Finding(graph.source.path, r.code, r.name, r.severity, v.message, v.layers)
                     for v in fold(found)]
    return findings


FOLD_SHOWN = 3  # places a folded finding names in its message (all are kept in its layers)


def fold(violations: Sequence[Violation]) -> list[Violation]:
    """One violation per `pattern` shared by two or more: the pattern, the count and the first
    places (each place named by its first layer), with every layer kept; the folded one stands
    where the pattern first occurred. Violations without a pattern, or alone with theirs, stay."""
    groups: dict[str, list[Violation]] = {}
    for v in violations:
        if v.pattern is not None:
            groups.setdefault(v.pattern, []).append(v)
    out: list[Violation] = []
    for v in violations:
        group = groups.get(v.pattern) if v.pattern is not None else None
        if group is None or len(group) == 1:
            out.append(v)
        elif group[0] is v:
            places = [g.layers[0] for g in group if g.layers]
            more = f" and {len(places) - FOLD_SHOWN} more" if len(places) > FOLD_SHOWN else ""
            shown = f" ({', '.join(places[:FOLD_SHOWN])}{more})" if places else ""
            layers = tuple(dict.fromkeys(name for g in group for name in g.layers))
            message = f"{v.pattern.rstrip('.')}: {len(group)} places{shown}"
            out.append(Violation(message, layers, v.pattern))
    return out


def _graphs(graph: ModelGraph, scope: Scope) -> Iterator[tuple[Scope, ModelGraph]]:
    """The graph and every model nested in it, each with where it sits in the model."""
    yield scope, graph
    for layer in graph.layers:
        if layer.subgraph is not None:
            yield from _graphs(layer.subgraph, scope.nested(graph, layer.name))


def section(doc: str, title: str) -> str:
    """The text under `## title` in a rule docstring ("" when absent)."""
    m = re.search(rf"^##\s+{re.escape(title)}\s*$(.*?)(?=^##\s|\Z)", doc, re.MULTILINE | re.DOTALL)
    return m.group(1).strip() if m else ""
