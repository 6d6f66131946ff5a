"""Every file the tool writes goes through here: destinations are checked before any work, files and
folders are written atomically (temporary sibling, then rename), and nothing the tool did not write
is ever deleted or replaced without an explicit ``overwrite``.

* :func:`check_file_destination` / :func:`atomic_path` / :func:`write_text` / :func:`write_bytes` —
  one output file (a checkpoint, a JSON or CSV report).
* :func:`check_out_folder` — a folder that receives named files (a training run, an evaluation, the
  figures of an analysis).
* :func:`check_dir_destination` / :func:`write_dir` — a folder written whole (a capture, a corpus),
  which replaces an earlier output of the same kind and nothing else.

Failures (a destination that is a file or a folder when the other is needed, a path under a file,
an unwritable folder, a full disk) raise :class:`~m2t_interpret.errors.M2TError` naming the path.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable, Iterable, Iterator

from .errors import M2TError, WriteError

#: errno values that mean "this destination cannot be written" (reported as one-line errors).
WRITE_ERRNOS = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.EFBIG,
                errno.ENOTDIR, errno.EISDIR, errno.ENAMETOOLONG, errno.EEXIST}


#: The manifest (file sizes and checksums) inside every cache entry; see :mod:`m2t_interpret.cache`.
CACHE_MANIFEST = "cache-entry.json"


def cache_dir() -> Path:
    """Where generated corpora and captures are kept: ``$M2T_INTERPRET_CACHE``, default
    ``~/.cache/m2t-interpret``."""
    return Path(os.environ.get("M2T_INTERPRET_CACHE", Path.home() / ".cache" / "m2t-interpret"))


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def os_error_text(exc: OSError) -> str:
    """``"<reason>: <file>"`` for an OSError, e.g. ``Permission denied: /data/out``."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    names = [str(n) for n in (exc.filename, exc.filename2) if n is not None]
    return f"{reason}: {' → '.join(names)}" if names else reason


# ---------------------------------------------------------------------------------------------
# checking destinations (before any work)
# ---------------------------------------------------------------------------------------------

def check_parent(path: str | os.PathLike, kind: str) -> None:
    """The folder that will hold ``path`` exists or can be created, and is writable: its nearest
    existing ancestor must be a writable folder (not a file)."""
    path = Path(path)
    parent = Path(os.path.abspath(path)).parent
    while not parent.exists() and not parent.is_symlink() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise M2TError(f"cannot write the {kind} to {path}: {parent} is a file, not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise M2TError(f"cannot write the {kind} to {path}: the folder {parent} is not writable")


def check_file_destination(path: str | os.PathLike, kind: str, is_ours: Callable[[Path], bool] | None = None,
                           overwrite: bool = False, option: str = "", has_overwrite: bool = True) -> Path:
    """Raise M2TError unless ``path`` can take one output file of ``kind``.

    ``path`` must not be a folder; an existing file is replaced only when ``is_ours(path)`` says it
    is an earlier output of the same kind, or with ``overwrite``; its folder must be writable (or
    creatable). ``option`` names the flag that sets the path in messages (e.g. ``--out``);
    ``has_overwrite`` says whether the command has ``--overwrite`` to suggest.
    """
    path = Path(path)
    where = f"{option} {path}" if option else str(path)
    if path.is_dir():
        raise M2TError(f"{where} is a folder; name a file for the {kind}")
    if path.exists() or path.is_symlink():
        if not (overwrite or (is_ours is not None and _safe_is_ours(is_ours, path))):
            raise M2TError(f"{where} exists and is not an earlier {kind}; refusing to replace it "
                           f"(choose another path{', or pass --overwrite' if option and has_overwrite else ''})")
        if not os.access(path.parent, os.W_OK | os.X_OK):
            raise M2TError(f"cannot write the {kind} to {path}: the folder {path.parent} is not writable")
        return path
    check_parent(path, kind)
    return path


def check_out_folder(path: str | os.PathLike, kind: str, files: Iterable[str] = (),
                     is_ours: Callable[[Path], bool] | None = None, option: str = "--out") -> Path:
    """Raise M2TError unless ``path`` can receive the output files of ``kind``; creates nothing.

    ``path`` must be a folder or absent (it is created on the first write), not under a file, and
    writable. When some of the named ``files`` already exist there, the folder must hold an earlier
    output of the same kind (``is_ours``); without ``is_ours`` files of those names are replaced
    (the documented behaviour of the analysis commands).
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise M2TError(f"{option} {path} is a file; name a folder for the {kind}")
    if path.is_dir():
        if not os.access(path, os.W_OK | os.X_OK):
            raise M2TError(f"cannot write the {kind} to {path}: the folder is not writable")
        clash = [f for f in files if (path / f).exists() or (path / f).is_symlink()]
        dirs = [f for f in clash if (path / f).is_dir()]
        if dirs:
            raise M2TError(f"{path / dirs[0]} is a folder where the {kind} writes a file; choose another {option}")
        if clash and is_ours is not None and not _safe_is_ours(is_ours, path):
            raise M2TError(f"{path} holds {', '.join(clash[:3])} not written as an {kind}; refusing to "
                           f"replace them (choose another {option})")
    else:
        check_parent(path, kind)
    return path


def _safe_is_ours(is_ours: Callable[[Path], bool], path: Path) -> bool:
    try:
        return bool(is_ours(path))
    except (OSError, ValueError):
        return False


def _protected(path: Path) -> bool:
    """The working folder, any folder above it, the home folder and the root are never replaced."""
    try:
        target = path.resolve()
        cwd = Path.cwd().resolve()
    except OSError:
        return False
    return target == cwd or target in cwd.parents or target == Path.home().resolve() or target == target.parent


def relative_files(root: Path) -> set[str]:
    out = set()
    for dirpath, dirnames, filenames in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        for name in filenames + [d for d in dirnames if not os.listdir(os.path.join(dirpath, d))]:
            out.add(name if rel == "." else os.path.join(rel, name))
    return out


def check_dir_destination(path: str | os.PathLike, is_ours: Callable[[Path], bool], kind: str,
                          overwrite: bool = False, owned: Callable[[str], bool] | None = None) -> None:
    """Raise M2TError unless ``path`` is absent, an empty folder, or an earlier ``kind`` output
    (``is_ours``) holding only files the writer makes (``owned``, a test on relative paths) —
    or ``overwrite``. Also refuses the working folder and those above it, a path under a file,
    and an unwritable parent."""
    path = Path(path)
    if path.is_symlink() or (path.exists() and not path.is_dir()):
        raise M2TError(f"{path} exists and is not a folder; choose another path for the {kind}")
    if path.exists() and _protected(path):
        raise M2TError(f"refusing to write the {kind} over {path} (the working folder or one above it); "
                       f"name a new folder")
    if path.is_dir() and any(path.iterdir()) and not overwrite:
        if not _safe_is_ours(is_ours, path):
            raise M2TError(f"{path} is a folder that does not hold an earlier {kind}; refusing to replace "
                           f"it (choose a new path)")
        if owned is not None:
            extra = sorted(f for f in relative_files(path) if not owned(f))
            if extra:
                raise M2TError(f"{path} holds an earlier {kind} plus files it did not write "
                               f"({', '.join(extra[:3])}{', …' if len(extra) > 3 else ''}); refusing to "
                               f"replace it (move them, or choose a new path)")
    check_parent(path, kind)


# ---------------------------------------------------------------------------------------------
# writing
# ---------------------------------------------------------------------------------------------

@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only if the block succeeds.

    A destination that cannot be written (no permission, read-only, full disk, a folder in the way,
    a file where a folder is needed) raises M2TError naming ``path``; the temporary file is removed.
    """
    path = Path(path)
    try:
        if path.is_dir():
            raise M2TError(f"cannot write {path}: it is a folder")
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise WriteError(f"cannot write {path}: {exc.strerror or exc}", exc.errno) from None
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        os.chmod(tmp_path, 0o666 & ~current_umask())  # mkstemp makes 0600; give the usual permissions
        yield tmp_path
        os.replace(tmp_path, path)
    except OSError as exc:
        if exc.errno in WRITE_ERRNOS and (exc.filename is None or str(exc.filename) in (str(tmp_path), str(path))):
            raise WriteError(f"cannot write {path}: {exc.strerror or exc}", exc.errno) from None
        raise
    finally:
        with contextlib.suppress(OSError):
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


def read_input_bytes(path: str | os.PathLike, what: str, expect: str) -> bytes:
    """The bytes of an input file; M2TError (one line naming ``what``, e.g. "BVH file") when it is a
    folder (the message says to name ``expect``, e.g. "a .bvh file"), missing or unreadable."""
    p = Path(path)
    if p.is_dir():
        raise M2TError(f"{what} {p} is a folder; name {expect}")
    try:
        return p.read_bytes()
    except FileNotFoundError:
        raise M2TError(f"{what} not found: {p}") from None
    except OSError as exc:
        raise M2TError(f"cannot read {what} {p}: {exc.strerror or exc}") from None


def read_json(path: str | os.PathLike, what: str = "JSON"):
    """Parse a JSON file; a missing or malformed file raises M2TError naming ``what``."""
    p = Path(path)
    if p.is_dir():
        raise M2TError(f"{what} file {p} is a folder, not a JSON file")
    if not p.is_file():
        raise M2TError(f"{what} file not found: {p}")
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise M2TError(f"{what} file {p} is not valid JSON: {exc}") from None
    except OSError as exc:
        raise M2TError(f"cannot read {what} file {p}: {exc.strerror or exc}") from None


def write_dir(path: str | os.PathLike, fill: Callable[[Path], None], is_ours: Callable[[Path], bool],
              kind: str, overwrite: bool = False, owned: Callable[[str], bool] | None = None) -> Path:
    """Write a directory atomically: ``fill(tmp)`` populates a temporary sibling, which then
    replaces ``path``.

    Never deletes what this tool did not write: an existing ``path`` is replaced only when it is
    an empty folder, or ``is_ours(path)`` says it is an earlier output of the same ``kind`` and it
    holds nothing else — no file that ``owned`` (a test on relative paths; default: the files the
    new output has) does not claim — or with ``overwrite``. Anything else raises M2TError, checked
    before ``fill`` runs where possible, so nothing is computed for a refused destination.
    """
    path = Path(path)
    check_dir_destination(path, is_ours, kind, overwrite, owned)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    except OSError as exc:
        raise WriteError(f"cannot write the {kind} to {path}: {exc.strerror or exc}", exc.errno) from None
    try:
        os.chmod(tmp, 0o777 & ~current_umask())  # mkdtemp makes 0700
        fill(tmp)
        if path.exists():
            if not overwrite and owned is None and any(path.iterdir()):
                extra = sorted(relative_files(path) - relative_files(tmp))
                if extra:
                    raise M2TError(f"{path} holds an earlier {kind} plus files it did not write "
                                   f"({', '.join(extra[:3])}{', …' if len(extra) > 3 else ''}); refusing "
                                   f"to replace it (move them, or choose a new path)")
            old = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".old", dir=path.parent))
            os.replace(path, old / "x")
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    except OSError as exc:
        if exc.errno in WRITE_ERRNOS:
            raise WriteError(f"cannot write the {kind} to {path}: {exc.strerror or exc}", exc.errno) from None
        raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return path
