"""The model targets behind command-line arguments: files and builder references as given, folders
searched for model files and SavedModel folders. `inspect lint`, `scan` and `docs` (and
`inspector.lint`) read a folder the same way."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from inspector.errors import LoadError, one_line

MODEL_SUFFIXES = frozenset({".keras", ".h5", ".hdf5", ".json", ".onnx"})
_SKIP_DIRS = frozenset({".git", ".venv", "venv", "__pycache__", "node_modules", ".tox", ".mypy_cache"})


def discover(targets: Sequence[str]) -> Iterator[str | LoadError]:
    """The model targets behind command-line arguments: files as given, builder references as
    given, directories searched recursively for model files and SavedModel folders (a `.json` only
    when it looks like a Keras model config). A path that does not exist is passed on as is, so
    that loading it reports the error in its place.

    Symlinked folders are followed, but each real folder is listed once (a set of resolved
    folders already visited): a link to a folder elsewhere is linted, a link back up (`up -> ..`)
    or to a folder already seen is not walked again, so loops end. A folder or entry that cannot
    be read (PermissionError...) is yielded as a LoadError naming it, in its place, and the walk
    goes on: the caller reports it like a file that failed to load."""
    from pathlib import Path

    from inspector import is_builder_reference

    visited: set[Path] = set()
    for target in targets:
        path = Path(target)
        if is_builder_reference(target):
            yield target
            continue
        try:
            folder = path.is_dir() and not _is_savedmodel(path)
        except OSError as exc:
            yield LoadError(path, f"cannot read it: {_os_reason(exc)}")
            continue
        if folder:
            yield from _walk_dir(path, visited)
        else:
            yield target


def _is_savedmodel(path) -> bool:
    return (path / "saved_model.pb").is_file() or (path / "keras_metadata.pb").is_file()


def _os_reason(exc: Exception) -> str:
    """`permission denied` rather than `[Errno 13] Permission denied: '/the/path'`."""
    strerror = getattr(exc, "strerror", None)
    return strerror.lower() if strerror else one_line(exc)


def _walk_dir(folder, visited: set) -> Iterator[str | LoadError]:
    try:
        real = folder.resolve(strict=True)
        if real in visited:
            return
        visited.add(real)
        entries = sorted(folder.iterdir(), key=lambda p: p.name)
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop, before Python 3.13
        yield LoadError(folder, f"cannot list the folder: {_os_reason(exc)}")
        return
    for entry in entries:
        try:
            if entry.is_dir():
                if entry.name in _SKIP_DIRS or entry.name.startswith("."):
                    continue
                if _is_savedmodel(entry):
                    yield str(entry)
                else:
                    yield from _walk_dir(entry, visited)
            elif entry.suffix.lower() in MODEL_SUFFIXES and (
                    entry.suffix.lower() != ".json" or _looks_like_model_json(entry)):
                yield str(entry)
        except OSError as exc:
            yield LoadError(entry, f"cannot read it: {_os_reason(exc)}")


def _looks_like_model_json(path) -> bool:
    """A Keras config names `class_name` and `config` near its start; manifests and metadata
    JSON found in the same folders do not."""
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError:
        return True  # let the loader report why it cannot be read
    return b'"class_name"' in head and b'"config"' in head


