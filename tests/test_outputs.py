"""Output folders: the ledger of what the tool wrote, never replacing a user's file, a run's files
appearing as a set (also on a full disk), an earlier run's files not lingering, two writers at once
and a writer killed mid-write."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from m2t_interpret.errors import M2TError
from m2t_interpret.outputs import (LEDGER, STAGING_PREFIX, OutputFolder, file_output, read_ledger,
                                   write_recorded_dir)

REPO = Path(__file__).resolve().parent.parent


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` (hidden ones too) with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def write_set(folder: OutputFolder, files: dict[str, str]) -> None:
    with folder.transaction() as stage:
        for name, text in files.items():
            (stage / name).write_text(text)


def test_a_run_records_its_files_and_replaces_only_them(tmp_path):
    out = tmp_path / "out"
    write_set(OutputFolder(out, "density"), {"density.png": "v1", "density_summary.csv": "a,b\n"})
    ledger = read_ledger(out)
    assert sorted(ledger) == ["density.png", "density_summary.csv"]
    assert ledger["density.png"].owners == ["density"] and ledger["density.png"].size == 2
    write_set(OutputFolder(out, "density"), {"density.png": "v2", "density_summary.csv": "a,b\n1,2\n"})
    assert (out / "density.png").read_text() == "v2"
    assert not [p for p in out.iterdir() if p.name.startswith(STAGING_PREFIX)]


@pytest.mark.parametrize("case", ["user file", "changed since written", "folder in the way"])
def test_a_file_the_tool_did_not_write_is_refused_and_nothing_is_touched(tmp_path, case):
    out = tmp_path / "u"
    write_set(OutputFolder(out, "density"), {"density.png": "ours", "density_curves.csv": "x\n"})
    if case == "user file":
        (out / "density_summary.csv").write_text("my own table\n")
        expected = "refusing to replace " + str(out / "density_summary.csv") + ": m2t-interpret did not write it"
    elif case == "changed since written":
        (out / "density_curves.csv").write_text("x\nedited by hand\n")
        expected = "refusing to replace " + str(out / "density_curves.csv") + ": it changed since"
    else:
        (out / "density_summary.csv").mkdir()
        expected = "is a folder where"
    before = snapshot(out)
    with pytest.raises(M2TError, match=expected.replace("(", r"\(")):
        write_set(OutputFolder(out, "density"), {"density.png": "new", "density_summary.csv": "new\n",
                                                  "density_curves.csv": "new\n"})
    assert snapshot(out) == before
    assert not [p for p in out.iterdir() if p.name.startswith(STAGING_PREFIX)]
    # the check before any work says the same
    with pytest.raises(M2TError, match="refusing to replace|is a folder where"):
        OutputFolder(out, "density").check(["density.png", "density_summary.csv", "density_curves.csv"])


def test_files_of_the_previous_run_do_not_linger_but_other_owners_and_user_edits_stay(tmp_path):
    out = tmp_path / "out"
    write_set(OutputFolder(out, "density"), {"density_curves.csv": "walk\n", "density_curves.md": "walk\n",
                                             "plotly.min.js": "js", "notes.md": "ours"})
    write_set(OutputFolder(out, "parts"), {"parts_scores.csv": "p\n", "plotly.min.js": "js"})
    (out / "notes.md").write_text("the user edited this one\n")  # theirs now: kept, and dropped from the ledger
    write_set(OutputFolder(out, "density"), {"density_curves.csv": "ten words\n"})
    names = sorted(p.name for p in out.iterdir())
    assert names == [LEDGER, "density_curves.csv", "notes.md", "parts_scores.csv", "plotly.min.js"]
    ledger = read_ledger(out)
    assert "notes.md" not in ledger and ledger["plotly.min.js"].owners == ["parts"]
    write_set(OutputFolder(out, "parts"), {"parts_scores.csv": "p2\n"})
    assert not (out / "plotly.min.js").exists()  # no owner claims it any more


def test_a_failure_half_way_leaves_the_folder_as_it_was(tmp_path):
    out = tmp_path / "out"
    write_set(OutputFolder(out, "gate"), {"gate.png": "v1", "gate_separation.csv": "v1"})
    before = snapshot(out)
    with pytest.raises(OSError):
        with OutputFolder(out, "gate").transaction() as stage:
            (stage / "gate.png").write_text("v2")
            raise OSError(errno.EIO, "simulated failure after the first file")
    assert snapshot(out) == before
    fresh = tmp_path / "fresh"
    with pytest.raises(RuntimeError):
        with OutputFolder(fresh, "gate").transaction() as stage:
            (stage / "gate.png").write_text("v1")
            raise RuntimeError("boom")
    assert not fresh.exists()  # a folder the failed run created is removed again


def test_a_full_disk_reports_one_line_and_keeps_the_earlier_run(tmp_path, monkeypatch):
    """ENOSPC on the third file of a set (simulated, so it runs anywhere; the tmpfs test below does it for real)."""
    out = tmp_path / "out"
    write_set(OutputFolder(out, "gate"), {f"gate_{i}.csv": "v1" for i in range(5)})
    before = snapshot(out)
    with pytest.raises(M2TError) as err:
        with OutputFolder(out, "gate").transaction() as stage:
            for i in range(5):
                if i == 2:
                    raise OSError(errno.ENOSPC, "No space left on device", str(stage / f"gate_{i}.csv"))
                (stage / f"gate_{i}.csv").write_text("v2")
    message = str(err.value)
    assert "No space left on device" in message and "nothing in it was changed" in message
    assert str(out) in message and STAGING_PREFIX not in message and "\n" not in message
    assert snapshot(out) == before


def _can_mount_tmpfs(where: Path) -> bool:
    where.mkdir()
    if os.geteuid() != 0:
        return False
    return subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(where)],
                          capture_output=True).returncode == 0


def test_a_real_full_disk_leaves_an_analysis_folder_as_it_was(tmp_path):
    """An analysis whose HTML figure needs plotly.js (4.7 MB) on a 1 MB tmpfs: exit 2, one line, and the
    earlier run's files untouched."""
    disk = tmp_path / "disk"
    if not _can_mount_tmpfs(disk):
        pytest.skip("cannot mount a tmpfs here (needs root and mount rights); the simulated ENOSPC test covers it")
    try:
        out = disk / "out"
        write_set(OutputFolder(out, "gate"), {"gate.png": "earlier", "gate_separation.csv": "earlier\n"})
        before = snapshot(out)
        folder = OutputFolder(out, "gate")
        from m2t_interpret.plotting.save import write_plotlyjs

        with pytest.raises(M2TError, match="No space left on device"):
            with folder.transaction() as stage:
                (stage / "gate_separation.csv").write_text("new\n")
                write_plotlyjs(stage)
        assert snapshot(out) == before
        assert not [p for p in out.iterdir() if p.name.startswith(STAGING_PREFIX)]
    finally:
        subprocess.run(["umount", str(disk)], check=False)


WRITER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from m2t_interpret.outputs import OutputFolder
    out, owner, n, pause = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    for i in range(n):
        with OutputFolder(out, owner).transaction() as stage:
            for k in range(3):
                (stage / f"{owner}_{k}.csv").write_text(f"{owner} {i} {k}\\n" * 1000)
            (stage / "plotly.min.js").write_text("shared\\n")
            (stage / "started").write_text("x")
            time.sleep(pause)
""")


def _writer(out: Path, owner: str, n: int, pause: float) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.Popen([sys.executable, "-c", WRITER, str(out), owner, str(n), str(pause)], env=env,
                            stderr=subprocess.PIPE, text=True)


def test_two_processes_writing_into_one_folder_at_once_keep_the_ledger_true(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    procs = [_writer(out, owner, 15, 0.0) for owner in ("density", "parts")]
    for p in procs:
        assert p.wait(timeout=120) == 0, p.stderr.read()
    ledger = read_ledger(out)
    files = sorted(p.name for p in out.iterdir() if p.name != LEDGER)
    assert files == sorted(ledger)  # every file recorded, nothing recorded that is gone
    assert all(entry.matches(out / name) for name, entry in ledger.items())
    assert ledger["plotly.min.js"].owners == ["density", "parts"]


def test_a_writer_killed_mid_write_leaves_the_folder_as_it_was_and_the_next_run_cleans_up(tmp_path):
    out = tmp_path / "out"
    write_set(OutputFolder(out, "density"), {"density_0.csv": "earlier\n"})
    before = snapshot(out)
    proc = _writer(out, "density", 1, 60.0)
    deadline = time.time() + 60
    while not any((p / "started").exists() for p in out.glob(STAGING_PREFIX + "*")):
        assert time.time() < deadline and proc.poll() is None, "the writer did not start"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert {k: v for k, v in snapshot(out).items() if not k.startswith(STAGING_PREFIX)} == before
    write_set(OutputFolder(out, "gate"), {"gate.png": "x"})
    assert not [p for p in out.iterdir() if p.name.startswith(STAGING_PREFIX)]


def test_single_file_outputs_are_their_own_sets(tmp_path):
    """animate/explore: each --out file is one owner, so a second animation does not remove the first."""
    first = file_output(tmp_path / "a.gif", "animate", "animation")
    with first.transaction() as stage:
        (stage / "a.gif").write_bytes(b"GIF89a one")
    second = file_output(tmp_path / "b.gif", "animate", "animation")
    with second.transaction() as stage:
        (stage / "b.gif").write_bytes(b"GIF89a two")
    assert (tmp_path / "a.gif").exists() and (tmp_path / "b.gif").exists()
    file_output(tmp_path / "a.gif", "animate", "animation")  # its own earlier output: may be replaced
    (tmp_path / "a.gif").write_bytes(b"GIF89a edited")
    with pytest.raises(M2TError, match="is not an earlier animation"):
        file_output(tmp_path / "a.gif", "animate", "animation")
    (tmp_path / "c.gif").write_bytes(b"GIF89a the user's")
    with pytest.raises(M2TError, match="is not an earlier animation"):
        file_output(tmp_path / "c.gif", "animate", "animation")


def test_a_folder_written_whole_refuses_a_changed_or_added_file(tmp_path):
    out = tmp_path / "figs"

    def fill(tmp: Path) -> None:
        (tmp / "MANIFEST.md").write_text("fig.png\n")
        (tmp / "fig.png").write_text("png")

    ours = dict(is_ours=lambda p: (p / "MANIFEST.md").is_file(), kind="figures output", owner="figures")
    write_recorded_dir(out, fill, **ours)
    assert sorted(read_ledger(out)) == ["MANIFEST.md", "fig.png"]
    write_recorded_dir(out, fill, **ours)  # its own, unchanged: replaced
    (out / "fig.png").write_text("retouched by hand")
    before = snapshot(out)
    with pytest.raises(M2TError, match="fig.png: it changed since"):
        write_recorded_dir(out, fill, **ours)
    (out / "fig.png").write_text("png")
    (out / "mine.txt").write_text("notes")
    with pytest.raises(M2TError, match="mine.txt: m2t-interpret did not write it"):
        write_recorded_dir(out, fill, **ours)
    assert snapshot(out)["fig.png"] == b"png" and before.keys() <= snapshot(out).keys()


def test_a_damaged_ledger_claims_nothing(tmp_path):
    out = tmp_path / "out"
    write_set(OutputFolder(out, "gate"), {"gate.png": "x"})
    (out / LEDGER).write_text("{not json")
    with pytest.raises(M2TError, match="did not write it"):
        write_set(OutputFolder(out, "gate"), {"gate.png": "y"})
    assert (out / "gate.png").read_text() == "x"
    assert (out / LEDGER).read_text() == "{not json"  # the refused run did not rewrite it
