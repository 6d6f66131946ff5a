"""File helpers: atomic writes (temporary file, then rename) and JSON reading with clear errors."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable, Iterator


def cache_dir() -> Path:
    """Where generated corpora and captures are kept: ``$M2T_INTERPRET_CACHE``, default
    ``~/.cache/m2t-interpret``."""
    return Path(os.environ.get("M2T_INTERPRET_CACHE", Path.home() / ".cache" / "m2t-interpret"))


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    os.chmod(tmp_path, 0o666 & ~current_umask())  # mkstemp makes 0600; give the usual permissions
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def read_json(path: str | os.PathLike, what: str = "JSON"):
    """Parse a JSON file; a missing or malformed file raises M2TError naming ``what``."""
    from .errors import M2TError

    p = Path(path)
    if not p.is_file():
        raise M2TError(f"{what} file not found: {p}")
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise M2TError(f"{what} file {p} is not valid JSON: {exc}") from None


def write_dir(path: str | os.PathLike, fill: Callable[[Path], None], is_ours: Callable[[Path], bool],
              kind: str, overwrite: bool = False) -> Path:
    """Write a directory atomically: ``fill(tmp)`` populates a temporary sibling, which then
    replaces ``path``.

    Never deletes what this tool did not write: an existing ``path`` is replaced only when it is
    an empty folder or ``is_ours(path)`` says it is an earlier output of the same ``kind``
    (or ``overwrite``); an existing file or any other folder raises M2TError. Checked before
    ``fill`` runs, so nothing is computed for a destination that will be refused.
    """
    from .errors import M2TError

    path = Path(path)
    check_dir_destination(path, is_ours, kind, overwrite)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    except OSError as exc:
        raise M2TError(f"cannot write {kind} to {path}: {exc.strerror or exc}") from None
    os.chmod(tmp, 0o777 & ~current_umask())  # mkdtemp makes 0700
    try:
        fill(tmp)
        if path.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".old", dir=path.parent))
            os.replace(path, old / "x")
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return path


def check_dir_destination(path: Path, is_ours: Callable[[Path], bool], kind: str,
                          overwrite: bool = False) -> None:
    """Raise M2TError unless ``path`` is absent, an empty folder, or an earlier ``kind`` output."""
    from .errors import M2TError

    if path.is_symlink() or (path.exists() and not path.is_dir()):
        raise M2TError(f"{path} exists and is not a folder; choose another path for the {kind}")
    if path.is_dir() and any(path.iterdir()) and not (overwrite or is_ours(path)):
        raise M2TError(f"{path} is a folder that does not hold an earlier {kind}; refusing to replace "
                       f"it (choose a new path)")
    if str(path.resolve()) in (str(Path.cwd().resolve()), "/"):
        raise M2TError(f"refusing to write the {kind} over {path}; name a new folder")
