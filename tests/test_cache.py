"""The cache under faults: damaged entries (flipped bytes, truncated files, out-of-range values) are
found and rebuilt with one warning; two runs at once build an entry once; a run killed mid-write
leaves nothing that blocks or stays; a full cache falls back to an uncached run; `m2t-interpret
cache` lists, clears and prunes.

A tiny model on tiny corpora, as in test_cli_analysis; the held-out corpus of ``--data synthetic``
is made small by setting ``session.HELDOUT_CLIPS`` (in this process, or in the subprocesses'
``-c`` prologue), so the real generation, lock and check paths run in seconds."""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from m2t_interpret.outputs import LEDGER
from m2t_interpret import cache as C
from m2t_interpret.cache_admin import disk_bytes
from m2t_interpret import session
from m2t_interpret.cli import main
from m2t_interpret.data.synthetic import generate_corpus
from m2t_interpret.data.synthetic.corpus import cache_name
from conftest import REPO, synthetic_model_file

#: The held-out corpus's cache folder (named by the generator version).
HELDOUT = cache_name("synthetic-heldout", 2)

#: Source clips of the small held-out corpus these tests generate (twice as many ids with mirrors).
SMALL_HELDOUT = 6


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    return synthetic_model_file(tmp_path_factory.mktemp("m"))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return generate_corpus(tmp_path_factory.mktemp("corpus"), n_train=0, n_val=0, n_test=6, seed=5, progress=False)


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("M2T_INTERPRET_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(session, "HELDOUT_CLIPS", SMALL_HELDOUT)
    return tmp_path / "cache"


def run(args, capsys):
    rc = main([str(a) for a in args])
    out = capsys.readouterr()
    return rc, out.out, out.err


def density(model_file, data, out, capsys, *extra):
    """``density --word kicks`` → (exit code, stdout, stderr, summary table)."""
    rc, stdout, err = run(["density", "--word", "kicks", "--word", "the", "--model", model_file, "--data", data,
                           "--out", out, "--format", "csv", "--decode", "forced", "--no-progress", *extra], capsys)
    table = pd.read_csv(Path(out) / "density_summary.csv") if rc == 0 else None
    return rc, stdout, err, table


def assert_same_numbers(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Tables of two runs on the same capture inputs: equal words and counts, and values equal to
    float32 precision (both come from float32 arrays: 1e-6 relative is a few ulps)."""
    assert list(a.columns) == list(b.columns) and len(a) == len(b)
    for col in a.columns:
        if a[col].dtype.kind == "f":
            np.testing.assert_allclose(a[col], b[col], rtol=1e-6, atol=1e-7, err_msg=col)
        else:
            assert a[col].tolist() == b[col].tolist(), col


def warnings_in(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("warning: ")]


def only_capture(cache: Path) -> Path:
    entries = [p for p in (cache / "captures").iterdir() if not p.name.startswith(".")]
    assert len(entries) == 1, entries
    return entries[0]


def flip(path: Path, n: int, start: int | None = None, keep_mtime: bool = False) -> None:
    """Invert ``n`` bytes of a file (after a .npy header by default), in place."""
    st = path.stat()
    data = bytearray(path.read_bytes())
    start = (128 if path.suffix == ".npy" else 0) if start is None else start
    stop = min(len(data), start + n)
    assert stop > start
    data[start:stop] = bytes(b ^ 0xFF for b in data[start:stop])
    path.write_bytes(bytes(data))
    if keep_mtime:
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


# ---------------------------------------------------------------------------------------------
# damaged entries
# ---------------------------------------------------------------------------------------------

def test_flipped_bytes_in_a_cached_capture_are_found_and_rebuilt(model_file, corpus, cache, tmp_path, capsys):
    rc, _, err, clean = density(model_file, corpus, tmp_path / "a", capsys)
    assert rc == 0, err
    entry = only_capture(cache)
    assert json.loads((entry / C.MANIFEST).read_text())["files"]["arrays/beta.npy"][0] == \
        (entry / "arrays/beta.npy").stat().st_size
    flip(entry / "arrays" / "beta.npy", 8000)
    rc, stdout, err, again = density(model_file, corpus, tmp_path / "b", capsys)
    assert rc == 0, err
    said = warnings_in(err)
    assert len(said) == 1 and "damaged" in said[0] and "arrays/beta.npy" in said[0] and "rebuilding" in said[0], err
    assert "Traceback" not in err and "(capture read from the cache)" not in stdout
    assert_same_numbers(clean, again)
    rc, stdout, err, third = density(model_file, corpus, tmp_path / "c", capsys)  # sound again: read, no warning
    assert rc == 0 and not warnings_in(err) and "(capture read from the cache)" in stdout
    assert_same_numbers(clean, third)


def test_out_of_range_values_with_a_matching_checksum_are_damage(model_file, corpus, cache, tmp_path, capsys):
    """A capture whose checksums match but whose β̂ leaves [0, 1] (as a buggy writer would leave it)
    is not used; nor is one whose α no longer sums to 1 over parts."""
    rc, _, err, clean = density(model_file, corpus, tmp_path / "a", capsys)
    assert rc == 0, err
    entry = only_capture(cache)
    for name, value, phrase in (("beta", 1.5, "β̂ = 1.5 lies outside [0, 1]"),
                                ("alpha", None, "α sums to")):
        path = entry / "arrays" / f"{name}.npy"
        a = np.load(path)
        mask = np.load(entry / "arrays" / "step_mask.npy")
        n, s = map(int, np.argwhere(mask)[0])
        if name == "beta":
            a[n, s] = value
        else:
            a[n, s, 0, :] *= 0.5  # still in [0, 1], but the parts of this frame now sum to 1/2
        np.save(path, a)
        C.seal(entry, "capture")  # the checksums agree with the bad values
        rc, stdout, err, again = density(model_file, corpus, tmp_path / name, capsys)
        assert rc == 0, err
        said = warnings_in(err)
        assert len(said) == 1 and phrase in said[0] and "rebuilding" in said[0], err
        assert_same_numbers(clean, again)


def test_damaged_held_out_corpus_is_rebuilt_with_one_warning(model_file, cache, tmp_path, capsys):
    """A truncated Parquet table, a truncated clip and a clip with flipped bytes but its old mtime:
    each found by the next run that reads it, which rebuilds the corpus (one warning) and analyses
    every clip. A run whose capture is cached reads the corpus's tables, not its clips: it checks
    the clips by size, and their checksums once a capture must be decoded (here: --no-cache)."""
    rc, stdout, err, clean = density(model_file, "synthetic", tmp_path / "a", capsys)
    assert rc == 0, err
    root = cache / HELDOUT
    assert (root / C.MANIFEST).is_file() and f"{2 * SMALL_HELDOUT} clips" in stdout
    original = (root / "new_joints" / "000001.npy").read_bytes()

    def truncate(path: Path) -> None:
        with open(path, "r+b") as fh:
            fh.truncate(path.stat().st_size // 2)

    faults = [("ground_truth.parquet", truncate, ()), ("new_joints/000001.npy", truncate, ()),
              ("new_joints/000001.npy", lambda p: flip(p, 64, keep_mtime=True), ("--no-cache",))]
    for i, (name, damage, options) in enumerate(faults):
        damage(root / name)
        if options:  # the flipped clip: the cached run does not read it (and its numbers are the clean ones)
            rc, stdout, err, cached = density(model_file, "synthetic", tmp_path / f"cached{i}", capsys)
            assert rc == 0 and not warnings_in(err) and "(capture read from the cache)" in stdout, err
            assert_same_numbers(clean, cached)
            rc, stdout, _ = run(["cache", "list"], capsys)  # the listing checks every checksum
            assert rc == 0 and "damaged" in stdout and name in stdout
        rc, stdout, err, again = density(model_file, "synthetic", tmp_path / f"run{i}", capsys, *options)
        assert rc == 0, err
        said = warnings_in(err)
        assert len(said) == 1 and "held-out synthetic corpus" in said[0] and name in said[0] \
            and "rebuilding" in said[0], err
        assert "Traceback" not in err and f"{2 * SMALL_HELDOUT} clips" in stdout  # no clip dropped
        assert (root / "new_joints" / "000001.npy").read_bytes() == original
        assert C.verify(root) == (C.OK, "")
        assert_same_numbers(clean, again)


def test_a_run_that_decodes_checks_every_clip_first(model_file, cache, tmp_path, capsys):
    """A capture that is not cached reads every clip: a clip flipped with its mtime kept is found
    then, the corpus rebuilt, and the capture kept under the key of the rebuilt corpus (read from
    the cache by the next run)."""
    rc, _, err, _ = density(model_file, "synthetic", tmp_path / "a", capsys)
    assert rc == 0, err
    flip(cache / HELDOUT / "new_joints" / "M000002.npy", 64, keep_mtime=True)
    rc, stdout, err, first = density(model_file, "synthetic", tmp_path / "b", capsys, "--clips", "10")
    said = warnings_in(err)
    assert rc == 0 and len(said) == 1 and "new_joints/M000002.npy has changed" in said[0], err
    assert "capture kept for reuse" in stdout
    rc, stdout, err, again = density(model_file, "synthetic", tmp_path / "c", capsys, "--clips", "10")
    assert rc == 0 and not warnings_in(err) and "(capture read from the cache)" in stdout, err
    assert_same_numbers(first, again)


def test_cache_written_by_an_earlier_version_is_checked_once_then_sealed(model_file, corpus, cache, tmp_path,
                                                                        capsys):
    rc, _, err, clean = density(model_file, corpus, tmp_path / "a", capsys)
    assert rc == 0, err
    entry = only_capture(cache)
    (entry / C.MANIFEST).unlink()  # as an earlier m2t-interpret left it
    rc, stdout, err, again = density(model_file, corpus, tmp_path / "b", capsys)
    assert rc == 0 and not warnings_in(err) and "(capture read from the cache)" in stdout
    assert C.verify(entry) == (C.OK, "")


# ---------------------------------------------------------------------------------------------
# a full or read-only cache
# ---------------------------------------------------------------------------------------------

def test_full_disk_falls_back_to_an_uncached_run(model_file, corpus, cache, tmp_path, capsys, monkeypatch):
    rc, _, err, clean = density(model_file, corpus, tmp_path / "a", capsys, "--no-cache")
    assert rc == 0, err
    real_pwrite = os.pwrite

    def full(fd, data, offset):  # the capture's arrays are streamed into the cache with pwrite
        if os.readlink(f"/proc/self/fd/{fd}").startswith(str(cache)):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_pwrite(fd, data, offset)

    monkeypatch.setattr(os, "pwrite", full)
    rc, stdout, err, again = density(model_file, corpus, tmp_path / "b", capsys)
    assert rc == 0, err
    said = warnings_in(err)
    assert len(said) == 1 and "could not cache the capture" in said[0] and "No space left on device" in said[0]
    assert_same_numbers(clean, again)
    captures = cache / "captures"
    assert not captures.is_dir() or not any(captures.iterdir())  # no entry, no temporary folder


def test_full_disk_while_generating_the_corpus_is_one_line(model_file, cache, tmp_path, capsys, monkeypatch):
    """An analysis cannot go on without its data: a corpus that does not fit is a one-line error naming
    the way out, and leaves nothing behind."""
    import m2t_interpret.data.synthetic.corpus as corpus_module

    def full(path, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(corpus_module, "write_bytes", full)
    rc, _, err, _ = density(model_file, "synthetic", tmp_path / "a", capsys)
    assert rc == 2 and len(err.strip().splitlines()) == 1, err
    assert "No space left on device" in err and "M2T_INTERPRET_CACHE" in err and "cache prune" in err
    assert [p.name for p in cache.iterdir()] == [C.LOCKS]  # no corpus, no temporary folder


# ---------------------------------------------------------------------------------------------
# two runs at once, a run killed mid-write
# ---------------------------------------------------------------------------------------------

def _cli_process(args, cache: Path, cwd: Path, heldout: int, go: Path | None = None) -> subprocess.Popen:
    """``m2t-interpret ARGS`` in a real process, with a held-out corpus of ``heldout`` source clips;
    with ``go`` it says it is ready (``go``.ready-PID) and starts only once ``go`` exists."""
    prologue = (f"import os, sys, time\nimport m2t_interpret.session as s\ns.HELDOUT_CLIPS = {heldout}\n"
                "from m2t_interpret.cli import main\n")
    if go is not None:
        prologue += (f"open({str(go)!r} + '.ready-' + str(os.getpid()), 'w').close()\n"
                     f"while not os.path.exists({str(go)!r}): time.sleep(0.005)\n")
    code = prologue + f"sys.exit(main({[str(a) for a in args]!r}))\n"
    env = dict(os.environ, M2T_INTERPRET_CACHE=str(cache), PYTHONPATH=str(REPO), OMP_NUM_THREADS="1")
    return subprocess.Popen([sys.executable, "-c", code], cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_two_first_runs_at_once_build_the_corpus_and_the_capture_once(model_file, tmp_path):
    cache, go = tmp_path / "cache", tmp_path / "go"
    args = ["density", "--word", "kicks", "--model", model_file, "--data", "synthetic", "--decode", "forced",
            "--format", "csv", "--no-progress"]
    procs = [_cli_process([*args, "--out", tmp_path / f"out{i}"], cache, tmp_path, 60, go) for i in range(2)]
    deadline = time.monotonic() + 120
    while len(list(tmp_path.glob("go.ready-*"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    go.touch()  # both are imported and waiting: they ask for the corpus within milliseconds of each other
    results = [p.communicate(timeout=300) for p in procs]
    for p, (out, err) in zip(procs, results):
        assert p.returncode == 0, err
        assert "Traceback" not in err and not warnings_in(err), err
    said = "".join(out for out, _ in results)
    assert said.count("generating the held-out synthetic corpus") == 1, said
    assert said.count("capture kept for reuse") == 1, said
    assert len([p for p in cache.iterdir() if p.name.startswith("synthetic-heldout")]) == 1
    only_capture(cache)
    leftovers = [p for p in cache.rglob("*") if p.name.endswith((".tmp", ".old"))]
    assert not leftovers
    tables = [pd.read_csv(tmp_path / f"out{i}" / "density_summary.csv") for i in range(2)]
    assert_same_numbers(*tables)


def test_run_killed_while_writing_the_cache_blocks_nothing_and_its_leftover_goes(model_file, tmp_path, capsys,
                                                                                  monkeypatch):
    cache = tmp_path / "cache"
    args = ["density", "--word", "kicks", "--model", model_file, "--data", "synthetic", "--decode", "forced",
            "--format", "csv", "--no-progress"]
    proc = _cli_process([*args, "--out", tmp_path / "first"], cache, tmp_path, 400)
    deadline = time.monotonic() + 120
    while not list(cache.glob(f".{HELDOUT}.*.tmp")) and proc.poll() is None \
            and time.monotonic() < deadline:
        time.sleep(0.01)
    assert proc.poll() is None, proc.communicate()
    os.kill(proc.pid, signal.SIGKILL)  # mid-way through writing the corpus, holding its lock
    proc.communicate(timeout=60)
    leftover = list(cache.glob(f".{HELDOUT}.*.tmp"))
    assert len(leftover) == 1 and not (cache / HELDOUT).exists()

    monkeypatch.setenv("M2T_INTERPRET_CACHE", str(cache))
    rc, stdout, _ = run(["cache", "list"], capsys)
    assert rc == 0 and "leftover" in stdout and leftover[0].name in stdout
    monkeypatch.setattr(session, "HELDOUT_CLIPS", SMALL_HELDOUT)
    start = time.monotonic()
    rc, stdout, err = run([*args, "--out", tmp_path / "second"], capsys)
    assert rc == 0, err
    assert "waiting for another" not in err and time.monotonic() - start < 120  # the dead run's lock is free
    assert not leftover[0].exists() and not list(cache.rglob("*.tmp"))
    assert C.verify(cache / HELDOUT) == (C.OK, "")


def test_second_run_waits_for_the_build_then_reuses_it(tmp_path, monkeypatch, capfd):
    """A run that finds the entry's lock held waits (saying so after a moment) and then reads what
    the holder built instead of building it again."""
    from filelock import FileLock

    monkeypatch.setenv("M2T_INTERPRET_CACHE", str(tmp_path / "cache"))
    entry = tmp_path / "cache" / "captures" / "k"
    C.lock_path(entry).parent.mkdir(parents=True)
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time, os\nfrom filelock import FileLock\n"
        f"lock = FileLock({str(C.lock_path(entry))!r}); lock.acquire()\n"
        "print('held', flush=True)\ntime.sleep(2.5)\n"
        f"os.makedirs({str(entry)!r}); open({str(entry / 'data.txt')!r}, 'w').write('built')\n"
        "lock.release()\n")], stdout=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert holder.stdout.readline().strip() == "held"
    built = []
    value, hit = C.cached_entry(entry, "capture", "capture", load=lambda p: (p / "data.txt").read_text(),
                                build=lambda p: built.append(p), adopt=lambda p: (p / "data.txt").read_text())
    holder.wait(timeout=30)
    assert (value, hit, built) == ("built", True, [])
    assert "waiting for another m2t-interpret run building the capture" in capfd.readouterr().err
    FileLock(str(C.lock_path(entry))).acquire(timeout=0).lock.release()  # free again


def test_training_run_killed_mid_write_leaves_nothing_the_next_run_keeps(tmp_path):
    """kill -9 while ``last.pt`` is being written: the run folder keeps its ``.last.pt.*.tmp``; the next
    run into that folder removes it, and refuses to share the folder with a live run."""
    data = generate_corpus(tmp_path / "data", n_train=8, n_val=4, n_test=0, seed=1, progress=False)
    run_dir = tmp_path / "run"
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS="1", M2T_INTERPRET_CACHE=str(tmp_path / "c"))
    config = tmp_path / "tiny.toml"
    config.write_text('preset = "synthetic"\nepochs = 1\nhidden = 16\nembed_dim = 8\nattn_dim = 12\n'
                      'batch_size = 16\nmax_decode_steps = 12\n')
    train = ["train", "--config", str(config), "--data", str(data), "--out", str(run_dir), "--no-progress"]
    code = ("import os, signal, sys, torch\nfrom m2t_interpret.cli import main\nsave = torch.save\n"
            "def dying_save(obj, f, *a, **k):\n"
            "    if str(f).endswith('.tmp') and '.last.pt.' in str(f):\n"
            "        open(f, 'wb').write(b'half a checkpoint')\n"
            "        os.kill(os.getpid(), signal.SIGKILL)\n"
            "    return save(obj, f, *a, **k)\n"
            f"torch.save = dying_save\nsys.exit(main({train!r}))\n")
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    left = list(run_dir.glob(".last.pt.*.tmp"))
    assert len(left) == 1
    lock = subprocess.Popen([sys.executable, "-c", (  # a live run holding the folder
        "import time\nfrom filelock import FileLock\n"
        f"lock = FileLock({str(run_dir / '.m2t-train.lock')!r})\nlock.acquire()\n"
        "print('held', flush=True)\ntime.sleep(60)\n")], stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert lock.stdout.readline().strip() == "held"
        busy = subprocess.run([sys.executable, "-m", "m2t_interpret.cli", *train], env=env, capture_output=True,
                              text=True, timeout=300)
        assert busy.returncode == 2 and "another m2t-interpret run is training into" in busy.stderr, busy.stderr
        assert left[0].exists()  # a live run's folder is left alone
    finally:
        lock.kill()
        lock.wait()
    again = subprocess.run([sys.executable, "-m", "m2t_interpret.cli", *train], env=env, capture_output=True,
                           text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    # no leftover, no lock file: only the ledger of the run's files (m2t_interpret.outputs)
    assert not left[0].exists() and [p.name for p in run_dir.glob(".*")] == [LEDGER]
    assert (run_dir / "last.pt").is_file() and (run_dir / "model.pt").is_file()


# ---------------------------------------------------------------------------------------------
# m2t-interpret cache: list, clear, prune
# ---------------------------------------------------------------------------------------------

def test_cache_list_clear_and_prune(model_file, corpus, cache, tmp_path, capsys):
    rc, _, err, _ = density(model_file, "synthetic", tmp_path / "a", capsys)
    assert rc == 0, err
    rc, _, err, _ = density(model_file, corpus, tmp_path / "b", capsys)
    assert rc == 0, err
    (cache / "notes.txt").write_text("mine")  # not the tool's: listed, never removed
    (cache / "captures" / ".abc.x1y2z3w4.tmp").mkdir()  # a killed build's folder
    rc, stdout, _ = run(["cache"], capsys)
    assert rc == 0 and f"cache: {cache}" in stdout
    lines = stdout.splitlines()
    assert sum(line.split()[0] == "capture" for line in lines[2:] if line.split()) == 2
    assert any(line.split()[:2] == ["corpus", HELDOUT] and " ok " in line for line in lines)
    assert any("notes.txt" in line and "not ours" in line for line in lines)
    assert any(".abc.x1y2z3w4.tmp" in line and "leftover" in line for line in lines)
    total = float(lines[-1].split()[1])
    assert total == pytest.approx(sum(disk_bytes(p) for p in cache.iterdir() if p.name != "notes.txt") / 1e6,
                                  abs=0.11)

    # prune: the leftover, a damaged entry, a stale capture, and entries unused for N days
    captures = sorted(p for p in (cache / "captures").iterdir() if not p.name.startswith("."))
    damaged = captures[0]
    flip(damaged / "arrays" / "tokens.npy", 16)
    rc, stdout, _ = run(["cache", "prune", "--dry-run"], capsys)
    assert rc == 0 and "would remove leftover" in stdout and damaged.exists()
    rc, stdout, _ = run(["cache", "prune"], capsys)
    assert rc == 0 and not damaged.exists() and not (cache / "captures" / ".abc.x1y2z3w4.tmp").exists()
    kept = captures[1]
    assert kept.exists() and (cache / "notes.txt").exists()
    os.utime(kept / C.MANIFEST, (time.time() - 3 * 86400,) * 2)
    rc, stdout, _ = run(["cache", "prune", "--older-than", "2"], capsys)
    assert rc == 0 and not kept.exists() and (cache / HELDOUT).exists()

    rc, _, err = run(["cache", "clear"], capsys)  # stdin is not a terminal: --yes is needed
    assert rc == 2 and "pass --yes" in err and (cache / HELDOUT).exists()
    rc, stdout, _ = run(["cache", "clear", "--yes"], capsys)
    assert rc == 0 and "not written by m2t-interpret (notes.txt)" in stdout
    assert sorted(p.name for p in cache.iterdir()) == ["notes.txt"]  # and no lock files either


def test_stale_capture_is_pruned(model_file, corpus, tmp_path, cache, capsys):
    data = Path(shutil.copytree(corpus, tmp_path / "data"))
    rc, _, err, _ = density(model_file, data, tmp_path / "a", capsys)
    assert rc == 0, err
    entry = only_capture(cache)
    os.utime(data / "new_joints" / "000000.npy")  # the data changed: this capture's key cannot come up again
    rc, stdout, _ = run(["cache", "list"], capsys)
    assert rc == 0 and "stale" in stdout
    rc, stdout, _ = run(["cache", "prune"], capsys)
    assert rc == 0 and not entry.exists() and "stale" in stdout


def test_cache_clear_keeps_an_entry_a_run_is_building(model_file, corpus, cache, tmp_path, capsys):
    rc, _, err, _ = density(model_file, corpus, tmp_path / "a", capsys)
    assert rc == 0, err
    entry = only_capture(cache)
    holder = subprocess.Popen([sys.executable, "-c", (
        f"import time\nfrom filelock import FileLock\nlock = FileLock({str(C.lock_path(entry))!r})\nlock.acquire()\n"
        "print('held', flush=True)\ntime.sleep(60)\n")], stdout=subprocess.PIPE, text=True,
        env=dict(os.environ, PYTHONPATH=str(REPO)))
    try:
        assert holder.stdout.readline().strip() == "held"
        rc, stdout, _ = run(["cache", "list"], capsys)
        assert rc == 0 and "in use" in stdout
        rc, stdout, _ = run(["cache", "clear", "--yes"], capsys)
        assert rc == 0 and "kept 1 in use" in stdout and entry.exists()
    finally:
        holder.kill()
        holder.wait()
