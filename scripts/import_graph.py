"""Print keras-inspector's import graph and its cycles, read from the source (ast), never imported.

Every import counts, the lazy ones inside functions too: a lazy import hides a circle from the
interpreter, not from the reader, and two modules that need each other are one module in two
files. Run `python scripts/import_graph.py` for the graph, `--cycles` for the circles alone
(exit 1 when there is one); tests/test_import_graph.py fails on any circle inside inspector/.

An edge from a module into a package that encloses it (its `__init__.py`: `from inspector import
load`, `from inspector import shapes` for the shape dispatcher) is a call back into that package's
facade, which a package's own parts may make; it is left out of the circles and listed apart
(`--callbacks`), or every caller of `inspector.load` would be a circle with the API calling it.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "inspector"
# The source folders of the package, as pyproject.toml's package-dir maps them.
FOLDERS = {PACKAGE: ROOT / "inspector", f"{PACKAGE}.rules": ROOT / "rules"}


def modules(folders: Mapping[str, Path] = FOLDERS) -> dict[str, Path]:
    """{dotted module name: file} for every .py file of the package."""
    found: dict[str, Path] = {}
    for prefix, folder in folders.items():
        for file in sorted(folder.rglob("*.py")):
            parts = file.relative_to(folder).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join((prefix, *parts))] = file
    return found


def imports_of(name: str, file: Path, known: Mapping[str, Path]) -> Iterator[str]:
    """The package's modules `name` imports, anywhere in its file (`from a import b` counts as
    `a.b` when that is a module, else as `a`). Imports under `if TYPE_CHECKING:` are for the
    type checker only and never run, so they make no circle."""
    is_package = file.name == "__init__.py"
    tree = ast.parse(file.read_text(encoding="utf-8"), str(file))
    for block in [n for n in ast.walk(tree) if isinstance(n, ast.If) and _type_checking(n.test)]:
        block.body = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield from _known(alias.name, known)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".") if is_package else name.split(".")[:-1]
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                full = f"{base}.{alias.name}"
                yield from _known(full if full in known else base, known)


def _type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _known(module: str, known: Mapping[str, Path]) -> Iterator[str]:
    """The longest prefix of `module` that is one of the package's modules."""
    parts = module.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in known:
            yield candidate
            return
        parts.pop()


def all_imports(folders: Mapping[str, Path] = FOLDERS) -> dict[str, set[str]]:
    """{module: every module of the package it imports}, itself excepted."""
    known = modules(folders)
    return {name: {m for m in imports_of(name, file, known) if m != name} for name, file in known.items()}


def encloses(package: str, module: str) -> bool:
    return module.startswith(package + ".")


def import_graph(folders: Mapping[str, Path] = FOLDERS) -> dict[str, set[str]]:
    """{module: the package's modules it imports}, callbacks into an enclosing package left out."""
    return {name: {m for m in targets if not encloses(m, name)} for name, targets in all_imports(folders).items()}


def callbacks(folders: Mapping[str, Path] = FOLDERS) -> list[tuple[str, str]]:
    """(module, enclosing package) for each callback into a package that imports the module
    back: the circles the graph leaves out, to be seen."""
    graph = all_imports(folders)
    return sorted((name, m) for name, targets in graph.items() for m in targets
                  if encloses(m, name) and name in graph[m])


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """Each strongly connected component of two or more modules (a circle, or circles that share
    modules), sorted; Tarjan's algorithm, iterative so no recursion limit applies."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return sorted(found)


def shortest_circle(graph: Mapping[str, set[str]], component: list[str]) -> list[str]:
    """One shortest circle through the component's first module, to print `a -> b -> a`."""
    start = component[0]
    members = set(component)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for child in sorted(graph[node] & members):
            if child == start:
                return paths[node] + [start]
            if child not in paths:
                paths[child] = paths[node] + [child]
                queue.append(child)
    return component


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cycles", action="store_true", help="print only the circles")
    parser.add_argument("--callbacks", action="store_true",
                        help="also list the callbacks into an enclosing package that imports the module back")
    args = parser.parse_args(argv)
    graph = import_graph()
    if not args.cycles:
        for name in sorted(graph):
            print(f"{name} -> {', '.join(sorted(graph[name])) or '(nothing)'}")
        print()
    found = cycles(graph)
    for component in found:
        print("cycle: " + " -> ".join(shortest_circle(graph, component))
              + (f" (a tangle of {len(component)} modules)" if len(component) > 2 else ""))
    if args.callbacks:
        for name, package in callbacks():
            print(f"callback: {name} -> {package} (which imports it)")
    print(f"{len(graph)} modules, {sum(map(len, graph.values()))} imports, {len(found)} cycle"
          f"{'' if len(found) == 1 else 's'}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
