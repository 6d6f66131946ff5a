"""Run every row of the bad-input catalogue (cases.py) through the real CLI.

Each row runs in its own empty working folder (prepared by its setup recipes) and must: exit with
its code; print exactly one line on stderr (at most one for exit code 0), with no traceback,
containing its phrase; and change nothing outside its allowed paths — neither in the working folder
nor in the shared inputs (both are snapshotted before and after).
"""

from __future__ import annotations

import contextlib
import fnmatch
import io
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cases import CASES
from inputs import build_inputs, setup_work

REPO = Path(__file__).resolve().parents[2]
DROP_DAC = ["setpriv", "--inh-caps=-dac_override,-dac_read_search",
            "--bounding-set=-dac_override,-dac_read_search"]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    return build_inputs(tmp_path_factory.mktemp("inputs"))


@pytest.fixture(scope="module")
def nodac_prefix(tmp_path_factory):
    """The command prefix under which permission bits apply, or a skip reason.

    Root ignores permission bits (CAP_DAC_OVERRIDE); setpriv drops that capability (and
    CAP_DAC_READ_SEARCH) from the bounding and inheritable sets, so the child runs as root
    without them. A non-root user needs no prefix."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        return "running as root and setpriv (util-linux) is not installed: cannot make a folder unwritable"
    probe = tmp_path_factory.mktemp("probe") / "ro"
    probe.mkdir()
    os.chmod(probe, 0o555)
    try:
        res = subprocess.run([*DROP_DAC, sys.executable, "-c", f"open({str(probe / 'x')!r}, 'w')"],
                             capture_output=True, timeout=60)
    finally:
        os.chmod(probe, 0o755)
    if res.returncode == 0 or b"PermissionError" not in res.stderr:
        return "running as root and setpriv could not drop CAP_DAC_OVERRIDE here (container without CAP_SETPCAP?)"
    return DROP_DAC


def snapshot(root: Path) -> dict[str, tuple]:
    """Every path under ``root`` → (kind, size, mtime_ns, mode)."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            st = p.lstat()
            kind = "dir" if p.is_dir() and not p.is_symlink() else "file"
            out[str(p.relative_to(root))] = (kind, st.st_size if kind == "file" else 0, st.st_mtime_ns
                                             if kind == "file" else 0, st.st_mode)
    return out


def changes(before: dict, after: dict) -> list[str]:
    return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))


def _argv(case, inputs: Path) -> list[str]:
    return [str(inputs / a[1:]) if a.startswith("@") else a for a in case.args]


def _env(work: Path) -> dict[str, str]:
    env = dict(os.environ, M2T_INTERPRET_CACHE=str(work / "cache"), PYTHONPATH=str(REPO))
    env.pop("PYTHONWARNINGS", None)
    return env


def run_in_process(argv: list[str], work: Path) -> tuple[int, str, str]:
    from m2t_interpret.cli import main

    out, err = io.StringIO(), io.StringIO()
    old_cwd, old_cache = os.getcwd(), os.environ.get("M2T_INTERPRET_CACHE")
    os.chdir(work)
    os.environ["M2T_INTERPRET_CACHE"] = str(work / "cache")
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                rc = main(argv)
            except BaseException:  # a traceback is what the catalogue exists to catch
                import traceback

                traceback.print_exc(file=err)
                rc = -1
    finally:
        os.chdir(old_cwd)
        if old_cache is None:
            os.environ.pop("M2T_INTERPRET_CACHE", None)
        else:
            os.environ["M2T_INTERPRET_CACHE"] = old_cache
    return rc, out.getvalue(), err.getvalue()


def run_subprocess(argv: list[str], work: Path, prefix=(), interrupt_when: str | None = None):
    """Run the CLI in a subprocess in ``work``; with ``interrupt_when`` (a path or glob pattern under
    ``work``), send it SIGINT once such a path exists."""
    cmd = [*prefix, sys.executable, "-m", "m2t_interpret.cli", *argv]
    proc = subprocess.Popen(cmd, cwd=work, env=_env(work), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    if interrupt_when is not None:
        # generous limits: a loaded machine (oversubscribed threads, parallel workers) is slow, not wrong
        deadline = time.monotonic() + 300
        while (next(work.glob(interrupt_when), None) is None and proc.poll() is None
               and time.monotonic() < deadline):
            time.sleep(0.05)
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=600)
    return proc.returncode, out, err


def _param(case):
    # An interrupted run is timed against a poll for a file it writes; beside the parallel default suite's
    # CPU-heavy tests the poll can miss its moment, so these rows run in the serial slow pass (`-m slow`,
    # which .ci/run runs after the default suite).
    marks = [pytest.mark.slow] if case.run.startswith("sigint:") else []
    return pytest.param(case, id=case.id, marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_bad_input(case, inputs, nodac_prefix, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    locked = setup_work(case.setup, work, inputs)
    try:
        before_work, before_inputs = snapshot(work), snapshot(inputs)
        argv = _argv(case, inputs)
        if case.run == "in":
            rc, out, err = run_in_process(argv, work)
        elif case.run == "sub":
            rc, out, err = run_subprocess(argv, work)
        elif case.run == "nodac":
            if isinstance(nodac_prefix, str):
                pytest.skip(nodac_prefix)
            rc, out, err = run_subprocess(argv, work, prefix=nodac_prefix)
        elif case.run.startswith("sigint:"):
            rc, out, err = run_subprocess(argv, work, interrupt_when=case.run.split(":", 1)[1])
        else:  # pragma: no cover - a typo in the table
            raise ValueError(case.run)
        after_work, after_inputs = snapshot(work), snapshot(inputs)
    finally:
        for d in locked:
            os.chmod(d, 0o755)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    shown = f"exit {rc}\n--- stderr ---\n{err}\n--- stdout (end) ---\n{out[-2000:]}"
    assert "Traceback" not in err, shown
    assert rc == case.code, shown
    if case.code == 0 and case.phrase.startswith("warning: "):  # a warning: its one line on stderr says the rest
        assert len(lines) == 1 and lines[0].startswith("warning: "), shown
        assert case.phrase[len("warning: "):] in lines[0], shown
    elif case.code == 0:
        assert len(lines) <= 1, shown
        assert case.phrase in out + err, shown
    else:
        assert len(lines) == 1, shown
        assert case.phrase in lines[0], shown
    changed_inputs = changes(before_inputs, after_inputs)
    assert not changed_inputs, f"shared inputs changed: {changed_inputs[:10]}\n{shown}"
    unexpected = [p for p in changes(before_work, after_work)
                  if not any(fnmatch.fnmatch(p, pat) for pat in case.allowed)]
    assert not unexpected, f"changed outside {case.allowed}: {unexpected[:10]}\n{shown}"


def test_catalogue_size_and_coverage():
    assert len(CASES) >= 60
    assert sum(c.run != "in" for c in CASES) >= 10  # real subprocesses
    text = " ".join(c.id for c in CASES)
    for topic in ("motion-", "model-", "vocab-", "stats-", "check-", "config-", "-unwritable", "-user-folder",
                  "-under-a-file", "save-dot", "resume-", "interrupt-"):
        assert topic in text, topic
