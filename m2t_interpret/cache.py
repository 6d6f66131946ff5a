"""The on-disk cache: ``$M2T_INTERPRET_CACHE`` (default ``~/.cache/m2t-interpret``).

It holds *entries*, each a folder the tool writes whole: generated synthetic corpora
(``synthetic-seed<N>``, ``synthetic-heldout-seed<N>``), captures (``captures/<key>``, shards in
``captures/<key>.shards/<i>of<n>``) and attributions (``attributions/<key>``, shards in
``attributions/<key>.shards/<i>of<n>``).

* **Checked when read.** Each entry holds a manifest, ``cache-entry.json``, with the size and the
  CRC-32 of every file, written when the entry is built. An entry is used only when its files
  still match it and its kind's own check passes (a capture's β̂ and α in [0, 1], α summing to 1
  over parts); otherwise it is rebuilt, with one ``warning:`` line (:class:`CacheWarning`). CRC-32
  is there to catch accidental damage (a flipped byte, a truncated file), not tampering: it reads
  at over 1 GB/s, so checking costs a few percent of a cached analysis (``docs/performance.md``).
* **Built under a lock.** A build holds the entry's lock (``.<name>.lock`` beside it, an OS lock
  via ``filelock`` that dies with its process), so a second run that wants the same entry waits
  and then reuses it instead of building it again; a run killed mid-build blocks nobody.
* **Leftovers.** The temporary folders of a killed build (``.<name>.<random>.tmp``, and the
  ``.old`` folders of an interrupted replacement) are removed the next time a build in the same
  folder takes a lock, and by ``m2t-interpret cache prune`` — only when their entry's lock is free,
  so a build in progress keeps its files.

Entries written by an earlier version without a manifest are checked once (structure, value
ranges) and then get one. :func:`list_entries`, :func:`clear` and :func:`prune` are the
``m2t-interpret cache`` command.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import sys
import time
import warnings
import zlib
from pathlib import Path
from typing import Callable, Iterator, TypeVar

from filelock import FileLock, Timeout

from ._version import __version__
from .errors import CacheWarning, M2TError, WriteError
from .io import CACHE_MANIFEST as MANIFEST
from .io import cache_dir, write_text

MANIFEST_FORMAT = "m2t-interpret cache entry"
#: A run that waits longer than this for another run's build says so on stderr.
WAIT_NOTE_S = 1.0
#: Files are checksummed in blocks of this size.
_BLOCK = 4 << 20

T = TypeVar("T")


# ---------------------------------------------------------------------------------------------
# checksums and the manifest
# ---------------------------------------------------------------------------------------------

def checksum(path: str | os.PathLike) -> str:
    """CRC-32 of a file's bytes as 8 hex digits."""
    fd = os.open(path, os.O_RDONLY)
    try:
        return _crc(fd, os.fstat(fd).st_size)
    finally:
        os.close(fd)


def _crc(fd: int, size: int) -> str:
    """CRC-32 of the open file ``fd`` of ``size`` bytes: small files in one read (most of a corpus's
    cost is per file), large ones in blocks."""
    if size <= _BLOCK:
        return f"{zlib.crc32(os.read(fd, size)):08x}"
    crc, buf = 0, bytearray(_BLOCK)
    view = memoryview(buf)
    with open(fd, "rb", buffering=0, closefd=False) as fh:
        while n := fh.readinto(buf):
            crc = zlib.crc32(view[:n], crc)
    return f"{crc:08x}"


def _check_file(path: str, size: int, crc: str | None) -> str:
    """"" when the file has ``size`` bytes and checksum ``crc`` (None: any), else what differs."""
    try:
        if crc is None:
            actual = os.stat(path).st_size
            return "" if actual == size else f"has {actual} bytes, {size} when written"
        fd = os.open(path, os.O_RDONLY)
    except OSError as exc:
        return "is missing" if exc.errno == errno.ENOENT else f"cannot be read ({exc.strerror or exc})"
    try:
        actual = os.fstat(fd).st_size
        if actual != size:
            return f"has {actual} bytes, {size} when written"
        return "" if _crc(fd, size) == crc else "has changed since it was written (checksum)"
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    finally:
        os.close(fd)


def _entry_files(entry: Path) -> list[str]:
    """Relative paths of the files of an entry, the manifest excepted, in a fixed order."""
    out = []
    for dirpath, dirnames, filenames in os.walk(entry):
        dirnames.sort()
        rel = os.path.relpath(dirpath, entry)
        out += [name if rel == "." else os.path.join(rel, name) for name in sorted(filenames)]
    return [f for f in out if f != MANIFEST]


def seal(entry: str | os.PathLike, kind: str) -> None:
    """Write ``entry``'s manifest: size and checksum of each of its files."""
    entry = Path(entry)
    for stale in entry.glob(f".{MANIFEST}.*.tmp"):  # a seal killed half-way
        stale.unlink()
    files = {}
    for rel in _entry_files(entry):
        files[rel] = [(entry / rel).stat().st_size, checksum(entry / rel)]
    manifest = {"format": MANIFEST_FORMAT, "kind": kind, "package_version": __version__,
                "written": time.time(), "checksum": "crc32", "files": files}
    write_text(entry / MANIFEST, json.dumps(manifest, separators=(",", ":")))


def read_manifest(entry: Path) -> dict | None:
    """The entry's manifest, or None when it has none or it cannot be read."""
    try:
        manifest = json.loads((entry / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT \
            or not isinstance(manifest.get("files"), dict):
        return None
    return manifest


#: States of an entry: usable, absent, without a manifest (an earlier version's), or damaged.
OK, MISSING, UNSEALED, DAMAGED = "ok", "missing", "unsealed", "damaged"


def verify(entry: str | os.PathLike, checksummed: Callable[[str], bool] | None = None) -> tuple[str, str]:
    """``(state, reason)``: whether each file of ``entry``'s manifest is there with its size (a
    truncated file is found without reading it) and its checksum — for the files ``checksummed``
    selects (by relative path; default all), the others by size alone."""
    entry = Path(entry)
    if not entry.is_dir():
        return MISSING, ""
    if not (entry / MANIFEST).exists():
        return UNSEALED, "no manifest"
    manifest = read_manifest(entry)
    if manifest is None:
        return DAMAGED, f"its manifest {MANIFEST} is unreadable"
    try:
        files = [(rel, int(size), str(crc)) for rel, (size, crc) in manifest["files"].items()]
    except (TypeError, ValueError):
        return DAMAGED, f"its manifest {MANIFEST} is unreadable"
    if checksummed is not None:
        files = [(rel, size, crc if checksummed(rel) else None) for rel, size, crc in files]
    # One thread: the files are in the page cache, so this is CPU work, and threads measured no faster
    # on two cores, while a pool's per-file bookkeeping cost more than a corpus's stat calls.
    for rel, size, crc in files:
        problem = _check_file(os.path.join(entry, rel), size, crc)
        if problem:
            return DAMAGED, f"{rel} {problem}"
    return OK, ""


def _touch(entry: Path) -> None:
    """Record a use (the manifest's mtime is the entry's "last used"); a read-only cache skips it."""
    with contextlib.suppress(OSError):
        os.utime(entry / MANIFEST)


# ---------------------------------------------------------------------------------------------
# locks and leftovers
# ---------------------------------------------------------------------------------------------

#: Folder of the cache that holds the lock files, so that the entries' folders hold only entries.
LOCKS = ".locks"


def lock_path(entry: Path) -> Path:
    """The lock file of an entry: ``<cache>/.locks/<relative path, / as %>.lock`` for an entry of the
    cache, ``.<name>.lock`` beside an entry kept elsewhere."""
    root = os.path.abspath(cache_dir())
    path = os.path.abspath(entry)
    if path.startswith(root + os.sep):
        return Path(root) / LOCKS / (Path(path).relative_to(root).as_posix().replace("/", "%") + ".lock")
    return entry.parent / f".{entry.name}.lock"


def _acquire(entry: Path, what: str) -> FileLock | None:
    """Take ``entry``'s lock, waiting for another run's build (said on stderr after a moment).
    None when no lock file can be made there (a read-only cache: nothing is built in it)."""
    lock = FileLock(str(lock_path(entry)))
    try:
        lock_path(entry).parent.mkdir(parents=True, exist_ok=True)
        try:
            lock.acquire(timeout=WAIT_NOTE_S)
        except Timeout:
            print(f"waiting for another m2t-interpret run building the {what} in {entry} …", file=sys.stderr,
                  flush=True)
            lock.acquire()
    except OSError:
        return None
    return lock


@contextlib.contextmanager
def entry_lock(entry: str | os.PathLike, what: str) -> Iterator[bool]:
    """Hold ``entry``'s lock for a build and remove the stale leftovers beside it; yields whether
    the lock is held."""
    entry = Path(entry)
    lock = _acquire(entry, what)
    try:
        if lock is not None:
            remove_leftovers(entry.parent, held=entry.name)
        yield lock is not None
    finally:
        if lock is not None:
            lock.release()


#: The random part of a name made by ``tempfile.mkdtemp``/``mkstemp`` (8 of these characters).
_RANDOM_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")


def leftover_of(name: str) -> str | None:
    """The entry a temporary name ``.<entry>.<random>.tmp`` (or ``.old``) of :mod:`m2t_interpret.io`
    belongs to, else None."""
    if not (name.startswith(".") and name.endswith((".tmp", ".old"))):
        return None
    entry, dot, random = name[1:-4].rpartition(".")
    return entry if dot and entry and len(random) == 8 and set(random) <= _RANDOM_CHARS else None


def try_lock(path: Path) -> FileLock | None:
    """The lock file ``path`` taken without waiting, or None when a run holds it (or it cannot be
    made)."""
    lock = FileLock(str(path))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock.acquire(timeout=0)
    except (Timeout, OSError):
        return None
    return lock


def is_free(entry: Path) -> bool:
    """Whether no run holds ``entry``'s lock (a lock file that does not exist is free)."""
    path = lock_path(entry)
    if not path.exists():
        return True
    lock = try_lock(path)
    if lock is None:
        return False
    lock.release()
    return True


def leftovers(folder: Path) -> list[tuple[Path, str]]:
    """The temporary folders and files of builds in ``folder``: ``(path, entry name)``."""
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    return [(folder / n, e) for n in names if (e := leftover_of(n)) is not None]


def remove_path(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            path.unlink()


def remove_leftovers(folder: Path, held: str | None = None) -> list[Path]:
    """Remove the leftovers in ``folder`` whose entry no run is building (``held``: the entry whose
    lock this process holds, so its leftovers are stale too); returns what was removed."""
    removed = []
    for path, name in leftovers(folder):
        if name == held or is_free(folder / name):
            remove_path(path)
            removed.append(path)
    return removed


# ---------------------------------------------------------------------------------------------
# reading and building an entry
# ---------------------------------------------------------------------------------------------

def _read(entry: Path, kind: str, load: Callable[[Path], T], adopt: Callable[[Path], T] | None,
          checksummed: Callable[[str], bool] | None = None) -> tuple[str, T | None, str]:
    """``(state, value, reason)``; ``adopt`` given: an entry without a manifest is checked with it
    and sealed (the caller holds the lock)."""
    state, reason = verify(entry, checksummed)
    if state == UNSEALED and adopt is not None:
        try:
            value = adopt(entry)
        except (M2TError, OSError, ValueError, KeyError) as exc:
            return DAMAGED, None, one_line(exc)
        with contextlib.suppress(M2TError, OSError):
            seal(entry, kind)  # a read-only or full cache: checked again next time
        return OK, value, ""
    if state != OK:
        return state, None, reason
    try:
        value = load(entry)
    except (M2TError, OSError, ValueError, KeyError) as exc:
        return DAMAGED, None, one_line(exc)
    _touch(entry)
    return OK, value, ""


def one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def cached_entry(entry: str | os.PathLike, kind: str, what: str, load: Callable[[Path], T],
                 build: Callable[[Path], T], adopt: Callable[[Path], T] | None = None,
                 checksummed: Callable[[str], bool] | None = None) -> tuple[T, bool]:
    """``(value, from_cache)``: ``load(entry)`` when the entry is sound, else ``build(entry)``.

    ``load`` reads an entry whose files match its manifest (and may check values, raising
    M2TError); ``adopt`` (default ``load``) checks an entry without a manifest before it gets one;
    ``checksummed`` picks the files whose checksums are checked (default all; the others by size).
    ``build`` writes the entry (atomically) and returns its value; it may decide not to write it
    (a full or read-only cache), and then the entry is simply not sealed. A damaged entry is
    removed (the files its manifest lists) and rebuilt, with one :class:`CacheWarning`.
    """
    entry = Path(entry)
    state, value, _ = _read(entry, kind, load, None, checksummed)
    if state == OK:
        return value, True
    with entry_lock(entry, what):
        state, value, reason = _read(entry, kind, load, adopt or load, checksummed)  # built by another run meanwhile?
        if state == OK:
            return value, True
        if state == DAMAGED:
            warnings.warn(f"the cached {what} in {entry} is damaged ({reason}); rebuilding it", CacheWarning,
                          stacklevel=3)
            if not entry.is_symlink():  # a link to an entry elsewhere: the rebuild refuses it with a message
                discard(entry)
        value = build(entry)
        if entry.is_dir() and not entry.is_symlink():
            with contextlib.suppress(WriteError, OSError):
                seal(entry, kind)
        return value, False


def shard_entry(key_entry: Path, shard: tuple[int, int]) -> Path:
    """Where shard ``(i, n)`` of the entry ``key_entry`` is kept: ``<key>.shards/<i>of<n>`` beside it."""
    return key_entry.parent / f"{key_entry.name}.shards" / f"{shard[0]}of{shard[1]}"


def load_complete_shards(key_entry: Path, what: str, load: Callable[[Path], T], instead: str) -> list[T] | None:
    """The shards ``1ofN`` … ``NofN`` of the first complete sharding of ``key_entry``
    (:func:`shard_entry`), each verified and loaded, in shard order; None when no sharding is
    complete, or — with one :class:`CacheWarning` saying ``instead`` — when one of its shards is damaged."""
    folder = key_entry.parent / f"{key_entry.name}.shards"
    if not folder.is_dir():
        return None
    by_total: dict[int, dict[int, Path]] = {}
    for entry in folder.iterdir():
        i, sep, n = entry.name.partition("of")
        if sep and i.isdigit() and n.isdigit() and (entry / "meta.json").is_file():
            by_total.setdefault(int(n), {})[int(i)] = entry
    for n, found in sorted(by_total.items()):
        if len(found) != n or set(found) != set(range(1, n + 1)):
            continue
        shards = []
        for i in range(1, n + 1):
            state, reason = verify(found[i])
            try:
                if state not in (OK, UNSEALED):
                    raise M2TError(reason)
                shards.append(load(found[i]))
            except (M2TError, OSError, ValueError, KeyError) as exc:
                warnings.warn(f"the cached {what} shard in {found[i]} is damaged ({one_line(exc)}); {instead}",
                              CacheWarning, stacklevel=4)
                return None
        return shards
    return None


def remove_shards(key_entry: Path) -> None:
    """Remove the shards of ``key_entry`` (once merged into it: it holds everything they held)."""
    shutil.rmtree(key_entry.parent / f"{key_entry.name}.shards", ignore_errors=True)


def discard(entry: Path) -> None:
    """Remove an entry's own files — those its manifest lists, and the manifest — and the folders
    they leave empty. Without a readable manifest nothing is removed (the rebuild then replaces
    only an entry it recognises)."""
    manifest = read_manifest(entry)
    if manifest is None:
        return
    for rel in manifest["files"]:
        with contextlib.suppress(OSError):
            (entry / rel).unlink()
    with contextlib.suppress(OSError):
        (entry / MANIFEST).unlink()
    for dirpath, _, _ in sorted(os.walk(entry), key=lambda w: -len(w[0])):
        with contextlib.suppress(OSError):
            os.rmdir(dirpath)


# ---------------------------------------------------------------------------------------------
# the synthetic corpora of the cache
# ---------------------------------------------------------------------------------------------

def corpus_tables(rel: str) -> bool:
    """The files of a corpus that every run reads (its tables and split lists: those at the top),
    as opposed to its clips (``new_joints/``, ``texts/``), which only a run that decodes reads."""
    return "/" not in rel and os.sep not in rel


def cached_corpus(root: Path, what: str, generate: Callable[[Path], object],
                  clips: bool = True) -> tuple[Path, bool]:
    """``(root, from_cache)``: a synthetic corpus kept in the cache at ``root``, checked against
    its manifest, generated (``generate(root)``) when absent, rebuilt when damaged. ``clips=False``
    checksums only its tables (:func:`corpus_tables`) and checks the clip files by size, for a run
    that will not read the clips (an analysis whose capture is cached). A cache that cannot hold
    the corpus (full, read-only) is a one-line error: a run cannot go on without its data."""
    # imported here: the corpus module builds on this one (its cached entries)
    from .data.segments import DATASET_FILE
    from .data.synthetic.corpus import check_corpus, write_training_segments

    def adopt(path: Path) -> Path:
        check_corpus(path)
        if not (path / DATASET_FILE).exists():  # a corpus generated before segment tables existed
            write_training_segments(path)
        return path

    def build(path: Path) -> Path:
        try:
            generate(path)
        except WriteError as exc:
            full = exc.errno in (errno.ENOSPC, errno.EDQUOT)
            raise M2TError(f"{exc}; " + ("free some space (m2t-interpret cache prune) or set M2T_INTERPRET_CACHE "
                                         f"to a folder with room for the {what}" if full else
                                         "set M2T_INTERPRET_CACHE to a writable folder")) from None
        return path

    return cached_entry(root, "corpus", what, load=lambda p: p, build=build, adopt=adopt,
                        checksummed=None if clips else corpus_tables)


__all__ = ["MANIFEST", "OK", "UNSEALED", "DAMAGED", "MISSING", "LOCKS", "cached_entry", "cached_corpus", "checksum",
           "seal", "verify", "read_manifest", "entry_lock", "lock_path", "try_lock", "is_free", "leftovers",
           "leftover_of", "remove_path", "remove_leftovers", "one_line"]
