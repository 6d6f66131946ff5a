"""What the `m2t-interpret cache` command does: list the cache's entries with their sizes, last
use and state, clear it, prune it. It sits above :mod:`m2t_interpret.cache` (checksums, locks,
reading and building entries), because telling an entry's kind and state needs the capture,
attribution and corpus modules, which themselves build on the cache.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from .cache import (DAMAGED, LOCKS, MANIFEST, OK, UNSEALED, is_free, leftover_of, leftovers, lock_path, one_line,
                    read_manifest, remove_path, try_lock, verify)
from .attribution.result import is_attribution_dir
from .capture.dataset import capture_is_stale, check_cached_capture
from .data.synthetic.corpus import is_corpus_dir
from .errors import M2TError
from .io import cache_dir
from .result import is_capture_dir


@dataclass
class Entry:
    """One thing in the cache: an entry, a leftover of a build, or something the tool did not write."""

    path: Path
    kind: str  # corpus, capture, shard, attribution, attribution shard, leftover, other
    bytes: int
    last_used: float
    status: str = OK  # ok, unsealed, damaged, stale, in use, leftover, not ours
    reason: str = ""
    about: str = ""  # what it holds, e.g. "synthetic-guided · greedy · 1000 clips"

    @property
    def ours(self) -> bool:
        return self.kind != "other"


def disk_bytes(path: Path) -> int:
    """Bytes a file or folder takes on disk (sparse files count what they use)."""
    try:
        st = path.lstat()
    except OSError:
        return 0
    if not path.is_dir() or path.is_symlink():
        return st.st_blocks * 512
    total = 0
    for dirpath, _, filenames in os.walk(path):
        for name in filenames:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(dirpath, name)).st_blocks * 512
    return total


def _kind_of(path: Path, parent_kind: str) -> str | None:
    """What an entry folder is, judged from its files (None: not something the tool writes)."""

    manifest = read_manifest(path)
    if manifest is not None and manifest.get("kind"):
        return str(manifest["kind"])
    if parent_kind == "root" and is_corpus_dir(path):
        return "corpus"
    if parent_kind in ("captures", "shards") and is_capture_dir(path):
        return "capture" if parent_kind == "captures" else "shard"
    if parent_kind in ("attributions", "shards") and is_attribution_dir(path):
        return "attribution" if parent_kind == "attributions" else "attribution shard"
    return None


#: Folders of the cache that hold entries, by the kind of their entries.
_SUBFOLDERS = {"captures": "captures", "attributions": "attributions"}


def _candidates(root: Path) -> Iterator[tuple[Path, str]]:
    """Every path of the cache that is an entry, a leftover or something else: ``(path, where)``."""
    if not root.is_dir():
        return
    for p in sorted(root.iterdir()):
        if p.name == LOCKS and p.is_dir():
            continue
        if p.name in _SUBFOLDERS and p.is_dir() and not p.is_symlink():
            for q in sorted(p.iterdir()):
                if q.name.endswith(".shards") and q.is_dir() and not q.name.startswith("."):
                    yield from ((s, "shards") for s in sorted(q.iterdir()))
                else:
                    yield q, _SUBFOLDERS[p.name]
        else:
            yield p, "root"


def list_entries(root: Path | None = None, check: bool = True) -> list[Entry]:
    """What the cache holds, with each entry's size, last use and state (``check``: verify
    checksums and values, as a run reading it would)."""
    root = cache_dir() if root is None else Path(root)
    out = []
    for path, where in _candidates(root):
        size = disk_bytes(path)
        used = _last_used(path)
        if leftover_of(path.name) is not None:
            busy = not is_free(path.parent / leftover_of(path.name))
            out.append(Entry(path, "leftover", size, used, "in use" if busy else "leftover",
                             "a build in progress" if busy else "left by an interrupted run"))
            continue
        kind = _kind_of(path, where) if path.is_dir() and not path.is_symlink() else None
        if kind is None:
            out.append(Entry(path, "other", size, used, "not ours", "not written by m2t-interpret"))
            continue
        entry = Entry(path, kind, size, used, about=_describe(path, kind))
        if check:
            entry.status, entry.reason = _status(path, kind)
        out.append(entry)
    return out


def _describe(path: Path, kind: str) -> str:
    """A few words on what an entry holds, from its metadata ("" when unreadable)."""
    try:
        if kind == "corpus":
            info = json.loads((path / "corpus.json").read_text(encoding="utf-8"))
            return f"synthetic, seed {info['seed']}, {info['n_ids']} clips"
        meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
        inner = meta.get("meta") or {}
        decoding = inner.get("decoding") or {}
        parts = [inner.get("model"), decoding.get("spec"),
                 None if meta.get("beta_pinned") is None else f"β̂ = {meta['beta_pinned']:g}",
                 f"{len(meta.get('clip_ids') or [])} clips", inner.get("split"),
                 ", ".join(meta["methods"]) if kind.startswith("attribution") else None]
        return " · ".join(str(p) for p in parts if p)
    except (OSError, ValueError, KeyError, TypeError):
        return ""


def _last_used(path: Path) -> float:
    for p in (path / MANIFEST, path):
        with contextlib.suppress(OSError):
            return p.stat().st_mtime
    return 0.0


def _status(path: Path, kind: str) -> tuple[str, str]:
    if not is_free(path):
        return "in use", "a run is building it"
    state, reason = verify(path)
    if state == UNSEALED:
        return "unsealed", "written by an earlier m2t-interpret, without checksums: checked when next used"
    if state != OK:
        return state, reason
    if kind in ("capture", "shard"):
        try:
            check_cached_capture(path)
        except (M2TError, OSError, ValueError, KeyError) as exc:
            return DAMAGED, one_line(exc)
        stale = capture_is_stale(path)
        if stale:
            return "stale", stale
    return OK, ""


def remove_entry(entry: Entry) -> bool:
    """Remove an entry of the tool (holding its lock, so no build is cut short) or a leftover
    whose build is over; its lock file goes with it. False when a run is using it."""
    if not entry.ours:
        return False
    owner = entry.path if entry.kind != "leftover" else entry.path.parent / leftover_of(entry.path.name)
    lock = try_lock(lock_path(owner))
    if lock is None:
        return False
    try:
        remove_path(entry.path)
        if entry.kind != "leftover":
            with contextlib.suppress(OSError):
                lock_path(owner).unlink()  # unlinked while held: a run waiting on it finds no entry and builds
    finally:
        lock.release()
    return True


def _tidy(root: Path) -> None:
    """Remove the lock files of entries that are gone (holding them, so no build is cut short) and
    the folders left empty — never the cache folder itself."""
    locks = root / LOCKS
    for lock_file in sorted(locks.glob("*.lock")) if locks.is_dir() else []:
        entry = root / lock_file.name[: -len(".lock")].replace("%", "/")
        if entry.exists() or any(e == entry.name for _, e in leftovers(entry.parent)):
            continue
        lock = try_lock(lock_file)
        if lock is not None:
            try:
                lock_file.unlink()
            finally:
                lock.release()
    folders = [root / s for s in _SUBFOLDERS if (root / s).is_dir()]
    for folder in [*(p for f in folders for p in f.glob("*.shards")), *folders, locks]:
        with contextlib.suppress(OSError):
            folder.rmdir()  # only when empty


def clear(root: Path | None = None) -> tuple[list[Entry], list[Entry]]:
    """Remove every entry and leftover the tool wrote in the cache; returns ``(removed, kept)``
    (kept: in use by a run, or not the tool's)."""
    root = cache_dir() if root is None else Path(root)
    removed, kept = [], []
    for entry in list_entries(root, check=False):
        (removed if remove_entry(entry) else kept).append(entry)
        if entry.ours and entry not in removed:
            entry.status = "in use"
    _tidy(root)
    return removed, kept


def prune(root: Path | None = None, older_than_days: float | None = None,
          dry_run: bool = False) -> tuple[list[Entry], list[Entry]]:
    """Remove leftovers, damaged entries, stale captures (their data changed, so no run can use
    them again) and, with ``older_than_days``, entries not used for that many days; returns
    ``(removed, kept)`` (``dry_run``: what would be removed, removing nothing)."""
    if older_than_days is not None and not (older_than_days >= 0):
        raise M2TError(f"--older-than must be a number of days ≥ 0, got {older_than_days}")
    root = cache_dir() if root is None else Path(root)
    cutoff = None if older_than_days is None else time.time() - older_than_days * 86400
    removed, kept = [], []
    for entry in list_entries(root):
        old = cutoff is not None and entry.ours and entry.last_used < cutoff and entry.status != "in use"
        doomed = entry.status in ("leftover", DAMAGED, "stale") or old
        if doomed and (dry_run or remove_entry(entry)):
            removed.append(entry)
        else:
            if doomed:
                entry.status = "in use"
            kept.append(entry)
    if not dry_run:
        _tidy(root)
    return removed, kept


def check_cache_root(root: Path | None = None) -> Path:
    """The cache folder, which must be a folder (or not exist yet)."""
    root = cache_dir() if root is None else Path(root)
    if root.exists() and not root.is_dir():
        raise M2TError(f"the cache {root} is a file, not a folder; set M2T_INTERPRET_CACHE to a folder")
    return root


__all__ = ["Entry", "list_entries", "remove_entry", "clear", "prune", "check_cache_root", "disk_bytes"]
