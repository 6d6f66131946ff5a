"""A record of what the tool wrote into an output folder, so that it never replaces a file it did
not write, and a run's files appear together or not at all.

Every folder the tool writes outputs into (``--out`` of the analysis commands, ``evaluate``,
``sweep``, the folder of an ``animate`` or ``explore`` file, a training run) holds a small hidden
ledger, ``.m2t-interpret.json``: for each file the tool wrote there, its size, its SHA-256 and the
*owners* that wrote it (an owner is one kind of output: ``density`` for the density command's set of
files, ``animate walk.gif`` for one animation file). Before a file is replaced, its current bytes
must be those the ledger recorded; a file the ledger does not list, or one that changed since, is
refused with one line naming it.

A run of an owner is one transaction (:meth:`OutputFolder.transaction`): its files are written into
a hidden staging folder beside their destinations, and only once all of them are complete are they
checked and renamed into place (renames in one folder do not need disk space, so a full disk
leaves the folder as it was). Files that the owner's previous run wrote and this run does not are
removed, unless the user changed them (they are then the user's and leave the ledger), so a folder
never shows an earlier run's files beside a later run's as if they belonged together.

Two processes writing into one folder take turns on a lock held on the folder itself while they
commit; staging folders left by a killed process are removed by the next run in that folder.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from .errors import M2TError
from .io import WRITE_ERRNOS, check_file_destination, check_out_folder, current_umask, relative_files, write_dir

#: The hidden ledger kept in every output folder.
LEDGER = ".m2t-interpret.json"
LEDGER_FORMAT = "m2t-interpret output ledger"
#: Prefix of the staging folders (``.m2t-staging-<pid>-<random>``) that a run writes into first.
STAGING_PREFIX = ".m2t-staging-"


def file_digest(path: str | os.PathLike) -> tuple[int, str]:
    """``(size, sha256 hex)`` of a file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
            size += len(block)
    return size, h.hexdigest()


@dataclass
class Entry:
    """What the ledger knows of one file: its size and hash when written, and who wrote it."""

    size: int
    sha256: str
    owners: list[str] = field(default_factory=list)

    def matches(self, path: Path) -> bool:
        """The file at ``path`` still holds the bytes recorded (size first: cheap)."""
        try:
            if path.is_symlink() or not path.is_file() or path.stat().st_size != self.size:
                return False
            return file_digest(path)[1] == self.sha256
        except OSError:
            return False


def read_ledger(folder: Path) -> dict[str, Entry]:
    """The ledger of ``folder`` (empty when absent). A damaged ledger counts as empty: the tool then
    claims none of the files, which errs on the side of never replacing them."""
    try:
        raw = json.loads((folder / LEDGER).read_text(encoding="utf-8"))
        files = raw["files"] if raw.get("format") == LEDGER_FORMAT else {}
        return {str(name): Entry(int(e["size"]), str(e["sha256"]), [str(o) for o in e["owners"]])
                for name, e in files.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def ledger_text(entries: dict[str, Entry]) -> str:
    files = {name: {"size": e.size, "sha256": e.sha256, "owners": sorted(e.owners)}
             for name, e in sorted(entries.items())}
    return json.dumps({"format": LEDGER_FORMAT, "version": 1, "files": files}, indent=1) + "\n"


@contextlib.contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` itself (no lock file is left behind); the OS releases
    it if the process dies. Where folders cannot be locked (no ``fcntl``), runs unlocked."""
    try:
        # POSIX only: where it is missing the folder is not locked
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def remove_stale_staging(folder: Path) -> list[Path]:
    """Remove staging folders in ``folder`` whose process is gone (a run killed mid-write)."""
    removed = []
    with contextlib.suppress(OSError):
        for p in folder.iterdir():
            if not (p.name.startswith(STAGING_PREFIX) and p.is_dir() and not p.is_symlink()):
                continue
            pid = p.name[len(STAGING_PREFIX):].split("-")[0]
            if pid.isdigit() and not _pid_alive(int(pid)):
                shutil.rmtree(p, ignore_errors=True)
                removed.append(p)
    return removed


def _staged_files(stage: Path) -> list[str]:
    names = []
    for dirpath, _, filenames in os.walk(stage):
        rel = os.path.relpath(dirpath, stage)
        names += [f if rel == "." else os.path.join(rel, f) for f in filenames]
    return sorted(names)


class OutputFolder:
    """A folder the tool writes one owner's outputs into, guarded by the folder's ledger.

    ``owner`` names the set of files one run writes (a command name for a folder of outputs;
    ``"<command> <file name>"`` for a single file). ``option`` is the flag that named the folder,
    for messages. ``is_legacy(path)`` may accept a file written before ledgers existed (e.g. by
    a signature inside it); such a file is replaced like one the ledger lists.
    """

    def __init__(self, path: str | os.PathLike, owner: str, option: str = "--out",
                 is_legacy: Callable[[Path], bool] | None = None):
        self.path = Path(path)
        self.owner = owner
        self.option = option
        self.is_legacy = is_legacy

    # ------------------------------------------------------------------ checks

    def check(self, names: Iterable[str] = ()) -> Path:
        """Before any work: the folder can take files (a folder or absent, writable, not under a
        file), and each of ``names`` already there may be replaced. Creates nothing."""
        check_out_folder(self.path, f"{self.owner} outputs", option=self.option)
        if self.path.is_dir():
            ledger = read_ledger(self.path)
            for name in names:
                self.check_replaceable(name, ledger)
        return self.path

    def check_replaceable(self, name: str, ledger: dict[str, Entry]) -> None:
        """Raise M2TError unless ``name`` is absent, or a file whose bytes the ledger recorded."""
        dest = self.path / name
        if not (dest.exists() or dest.is_symlink()):
            return
        if dest.is_dir() and not dest.is_symlink():
            raise M2TError(f"{dest} is a folder where the {self.owner} output writes a file; "
                           f"move it or choose another {self.option}")
        entry = ledger.get(name)
        if entry is None:
            if self.is_legacy is not None and not dest.is_symlink() and self._legacy(dest):
                return
            raise M2TError(f"refusing to replace {dest}: m2t-interpret did not write it (move it away, or choose "
                           f"another {self.option})")
        if not entry.matches(dest):
            raise M2TError(f"refusing to replace {dest}: it changed since m2t-interpret wrote it (move it away, or "
                           f"choose another {self.option})")

    def _legacy(self, dest: Path) -> bool:
        try:
            return bool(self.is_legacy(dest))
        except (OSError, ValueError):
            return False

    # ------------------------------------------------------------------ writing a set of files

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Path]:
        """Yield a staging folder; write the run's files into it (same relative names as in the
        output folder). When the block succeeds they replace their destinations together, the
        ledger is updated and the owner's files that this run did not write are removed; when it
        fails — or a destination may not be replaced — the output folder is left as it was."""
        created = self._make_folder()
        try:
            remove_stale_staging(self.path)
            stage = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-", dir=self.path))
            os.chmod(stage, 0o777 & ~current_umask())
        except OSError as exc:
            self._undo_folder(created)
            raise M2TError(f"cannot write the {self.owner} outputs to {self.path}: {exc.strerror or exc}") from None
        try:
            try:
                yield stage
            except M2TError as exc:  # a writer's message names the staging path: name the folder instead
                raise M2TError(str(exc).replace(str(stage), str(self.path))) from None
            self._commit(stage)
        except OSError as exc:
            if exc.errno in WRITE_ERRNOS:
                raise M2TError(f"cannot write the {self.owner} outputs to {self.path}: {exc.strerror or exc}; "
                               f"nothing in it was changed") from None
            raise
        finally:
            shutil.rmtree(stage, ignore_errors=True)
            self._undo_folder(created)

    def final(self, stage: Path, paths: Iterable[Path]) -> list[Path]:
        """The destinations of files written into ``stage``."""
        return [self.path / Path(p).relative_to(stage) for p in paths]

    def _make_folder(self) -> bool:
        if self.path.is_dir():
            return False
        self.check()
        try:
            self.path.mkdir(parents=True)
        except FileExistsError:
            return False
        except OSError as exc:
            raise M2TError(f"cannot write the {self.owner} outputs to {self.path}: {exc.strerror or exc}") from None
        return True

    def _undo_folder(self, created: bool) -> None:
        if created:
            with contextlib.suppress(OSError):
                self.path.rmdir()  # only if it is still empty: a committed run keeps it

    def _commit(self, stage: Path) -> None:
        names = _staged_files(stage)
        with folder_lock(self.path):
            ledger = read_ledger(self.path)
            for name in names:
                self.check_replaceable(name, ledger)
            for name in names:
                self._claim(ledger, name, stage / name)
            stale = self._release(ledger, set(names))
            ledger_tmp = _write_ledger_file(stage / ".ledger", ledger)  # before any rename: a full disk stops here
            for name in names:
                dest = self.path / name
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.replace(stage / name, dest)
            os.replace(ledger_tmp, self.path / LEDGER)
            for path in stale:
                with contextlib.suppress(OSError):
                    path.unlink()

    def _claim(self, ledger: dict[str, Entry], name: str, written: Path) -> None:
        """Record ``written`` (the file's bytes as they will stand at ``name``) under this owner."""
        size, sha = file_digest(written)
        old = ledger.get(name)
        ledger[name] = Entry(size, sha, sorted(set(old.owners if old is not None else ()) | {self.owner}))

    def _release(self, ledger: dict[str, Entry], keep: set[str]) -> list[Path]:
        """Drop this owner's claim on the files its earlier run wrote and this one does not; returns
        those no owner claims any more and that still hold what the tool wrote (to delete)."""
        remove = []
        for name, entry in list(ledger.items()):
            if name in keep or self.owner not in entry.owners:
                continue
            entry.owners.remove(self.owner)
            path = self.path / name
            if not entry.owners:
                if entry.matches(path):
                    remove.append(path)
                del ledger[name]  # gone, or changed by the user: theirs now
        return remove

    # ------------------------------------------------------------------ files written one by one

    def record(self, names: Iterable[str]) -> None:
        """Add files just written in place (e.g. a training run's checkpoints, epoch by epoch; names
        relative to the folder) to the ledger under this owner."""
        with folder_lock(self.path):
            ledger = read_ledger(self.path)
            for name in names:
                self._claim(ledger, str(name), self.path / name)
            fd, tmp = tempfile.mkstemp(prefix=f"{LEDGER}.", suffix=".tmp", dir=self.path)
            os.close(fd)
            try:
                os.replace(_write_ledger_file(Path(tmp), ledger), self.path / LEDGER)
            except OSError as exc:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                if exc.errno in WRITE_ERRNOS:
                    raise M2TError(f"cannot write {self.path / LEDGER}: {exc.strerror or exc}") from None
                raise


def _write_ledger_file(tmp: Path, ledger: dict[str, Entry]) -> Path:
    tmp.write_text(ledger_text(ledger), encoding="utf-8")
    os.chmod(tmp, 0o666 & ~current_umask())
    return tmp


def written_here(is_legacy: Callable[[Path], bool] | None = None) -> Callable[[Path], bool]:
    """A test for "this file is the tool's to replace": its folder's ledger lists it with its
    current bytes, or — for a file the ledger does not list — ``is_legacy`` accepts it."""
    def test(path: Path) -> bool:
        entry = read_ledger(path.parent).get(path.name)
        if entry is not None:
            return entry.matches(path)
        return bool(is_legacy is not None and is_legacy(path))

    return test


def file_output(path: str | os.PathLike, command: str, kind: str, is_legacy: Callable[[Path], bool] | None = None,
                option: str = "--out") -> OutputFolder:
    """Check, before any work, that ``path`` may take one output file of ``kind`` (absent, or a file
    the tool wrote there and nobody changed since), and return the :class:`OutputFolder` to write it
    through: ``with out.transaction() as stage: write(stage / path.name)``."""
    path = Path(path)
    check_file_destination(path, kind, is_ours=written_here(is_legacy), option=option, has_overwrite=False)
    return OutputFolder(path.parent, f"{command} {path.name}", option, is_legacy)


def check_recorded_dir(path: Path, owner: str) -> dict[str, Entry] | None:
    """Raise M2TError unless every file of the folder ``path`` is one its ledger lists, unchanged;
    returns the ledger (None when the folder has none)."""
    if not (path / LEDGER).is_file():
        return None
    ledger = read_ledger(path)
    folder = OutputFolder(path, owner)
    for name in sorted(relative_files(path) - {LEDGER}):
        folder.check_replaceable(name, ledger)
    return ledger


def write_recorded_dir(path: str | os.PathLike, fill: Callable[[Path], None], is_ours: Callable[[Path], bool],
                       kind: str, owner: str, owned: Callable[[str], bool] | None = None) -> Path:
    """:func:`m2t_interpret.io.write_dir` (a folder written whole, then renamed into place) with a
    ledger inside the folder: an earlier output that has one is replaced only when every file in it
    is one the ledger lists, unchanged; one without (written before ledgers existed) is judged by
    ``is_ours`` and ``owned`` as before."""
    path = Path(path)
    ledger = check_recorded_dir(path, owner)

    def fill_and_record(tmp: Path) -> None:
        fill(tmp)
        entries = {}
        for name in _staged_files(tmp):
            size, sha = file_digest(tmp / name)
            entries[name] = Entry(size, sha, [owner])
        _write_ledger_file(tmp / LEDGER, entries)

    if ledger is not None:
        return write_dir(path, fill_and_record, is_ours=lambda p: True, kind=kind, owned=lambda rel: True)
    return write_dir(path, fill_and_record, is_ours=is_ours, kind=kind,
                     owned=None if owned is None else (lambda rel: rel == LEDGER or owned(rel)))


__all__ = ["OutputFolder", "LEDGER", "file_digest", "read_ledger", "folder_lock", "remove_stale_staging",
           "written_here", "file_output", "check_recorded_dir", "write_recorded_dir"]
