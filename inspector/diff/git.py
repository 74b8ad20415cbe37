"""A model file as it was at a git revision, for `inspect diff --base REF PATH...` in CI.

`git show REF:./NAME`, run in the file's folder, reads the committed bytes (no checkout, no
working-tree change); they are written to a temporary file of the same suffix and read by the
usual loaders, so nothing from the file is run. The graph is labelled `REF:PATH`.
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import replace
from pathlib import Path

from inspector.errors import InspectorError, LoadError, UsageError
from inspector.graph import ModelGraph


def load_at(ref: str, path: str) -> ModelGraph | None:
    """The graph of `path` at revision `ref`, or None when the file did not exist there."""
    from inspector.loaders import load_path

    file = Path(path)
    folder = file.parent if str(file.parent) else Path(".")
    if not folder.is_dir():
        raise LoadError(path, f"the folder {folder} does not exist")
    try:
        shown = subprocess.run(["git", "show", f"{ref}:./{file.name}"], cwd=folder, capture_output=True,
                               check=False, timeout=120)
    except FileNotFoundError:
        raise UsageError(path, "--base needs the git program, which is not installed") from None
    if shown.returncode != 0:
        reason = shown.stderr.decode(errors="replace").strip().splitlines()
        message = reason[-1] if reason else f"git show exited {shown.returncode}"
        if "exists on disk, but not in" in message or "does not exist in" in message:
            return None  # a file the change adds
        raise UsageError(path, f"cannot read it at {ref}: {message.removeprefix('fatal: ')}")
    if file.is_dir():
        raise UsageError(path, "--base compares model files; a SavedModel folder is not supported")
    with tempfile.TemporaryDirectory(prefix="inspect-diff-") as tmp:
        copy = Path(tmp) / file.name
        copy.write_bytes(shown.stdout)
        try:
            graph = load_path(copy)
        except InspectorError as exc:  # name the revision, not the temporary copy
            raise LoadError(f"{ref}:{path}", exc.reason) from None
    return replace(graph, source=replace(graph.source, path=f"{ref}:{path}"))
