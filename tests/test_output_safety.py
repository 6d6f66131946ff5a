"""Output writing in one place (m2t_interpret.io) and the CLI's error contract: destinations checked
before work, atomic writes, nothing deleted that the tool did not write, one-line errors, exit codes."""

import os
from pathlib import Path

import numpy as np
import pytest

import m2t_interpret as m2t
from m2t_interpret.cli import app, main
from m2t_interpret.errors import M2TError
from m2t_interpret.io import (atomic_path, check_dir_destination, check_file_destination, check_out_folder,
                              write_dir, write_text)
from conftest import random_motions, tiny_model


def _ours(path: Path) -> bool:
    return (path / "ours.txt").is_file() if path.is_dir() else path.read_text().startswith("ours")


def test_file_destination_rules(tmp_path):
    user = tmp_path / "notes.txt"
    user.write_text("mine")
    earlier = tmp_path / "earlier.txt"
    earlier.write_text("ours, from last time")
    with pytest.raises(M2TError, match="is a folder"):
        check_file_destination(tmp_path, "report", _ours)
    with pytest.raises(M2TError, match="exists and is not an earlier report; refusing"):
        check_file_destination(user, "report", _ours, option="--out")
    assert check_file_destination(earlier, "report", _ours) == earlier
    assert check_file_destination(user, "report", _ours, overwrite=True) == user
    with pytest.raises(M2TError, match="is a file, not a folder"):
        check_file_destination(user / "deeper" / "x.json", "report")
    assert check_file_destination(tmp_path / "new" / "x.json", "report")  # creatable
    assert not (tmp_path / "new").exists()  # checking creates nothing
    assert user.read_text() == "mine"


def test_out_folder_rules(tmp_path):
    f = tmp_path / "notes.txt"
    f.write_text("mine")
    with pytest.raises(M2TError, match="is a file"):
        check_out_folder(f, "evaluation")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "scores.csv").write_text("mine")
    with pytest.raises(M2TError, match="not written as an evaluation"):
        check_out_folder(mine, "evaluation", ["scores.csv"], is_ours=lambda p: False)
    check_out_folder(mine, "evaluation", ["predictions.csv"], is_ours=lambda p: False)  # no clash
    check_out_folder(tmp_path / "a" / "b", "figures")
    assert not (tmp_path / "a").exists()
    with pytest.raises(M2TError, match="is a file, not a folder"):
        check_out_folder(f / "out", "figures")


def test_dir_destination_refuses_working_folder_and_above(tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    for target in (Path("."), Path(".."), work):
        with pytest.raises(M2TError, match="working folder or one above it"):
            check_dir_destination(target, lambda p: True, "capture")
    check_dir_destination(Path("new"), lambda p: False, "capture")


def test_write_dir_replaces_only_an_earlier_output_holding_nothing_else(tmp_path):
    def fill(d: Path) -> None:
        (d / "ours.txt").write_text("v2")

    out = write_dir(tmp_path / "o", fill, _ours, "thing")
    assert (out / "ours.txt").read_text() == "v2"
    (out / "ours.txt").write_text("v1")
    write_dir(out, fill, _ours, "thing")  # an earlier output is replaced
    assert (out / "ours.txt").read_text() == "v2"
    (out / "notes.txt").write_text("mine")
    with pytest.raises(M2TError, match=r"plus files it did not write \(notes.txt\)"):
        write_dir(out, fill, _ours, "thing")
    with pytest.raises(M2TError, match=r"plus files it did not write \(notes.txt\)"):  # claimed names only
        write_dir(out, fill, _ours, "thing", owned=lambda rel: rel == "ours.txt")
    assert (out / "notes.txt").read_text() == "mine"
    user = tmp_path / "user"
    user.mkdir()
    (user / "a.txt").write_text("mine")
    with pytest.raises(M2TError, match="does not hold an earlier thing"):
        write_dir(user, fill, _ours, "thing")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary left


def test_write_dir_interrupted_leaves_nothing(tmp_path):
    def fill(d: Path) -> None:
        (d / "half.txt").write_text("x")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_dir(tmp_path / "o", fill, _ours, "thing")
    assert list(tmp_path.iterdir()) == []


def test_atomic_path_errors_name_the_path(tmp_path):
    f = tmp_path / "notes.txt"
    f.write_text("mine")
    with pytest.raises(M2TError, match="cannot write .*notes.txt/x.csv"):
        write_text(f / "x.csv", "a")
    with pytest.raises(M2TError, match="is a folder"):
        with atomic_path(tmp_path):
            pass
    with pytest.raises(RuntimeError):  # an error of the writer itself is not disguised
        with atomic_path(tmp_path / "y.csv"):
            raise RuntimeError("bug")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_capture_save_refuses_files_and_user_folders_and_is_exported(tmp_path):
    r = tiny_model().capture(random_motions(1))
    f = tmp_path / "notes.txt"
    f.write_text("mine")
    with pytest.raises(M2TError, match="exists and is not a folder"):
        r.save(f)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "a.txt").write_text("mine")
    with pytest.raises(M2TError, match="refusing"):
        r.save(mine)
    assert f.read_text() == "mine" and (mine / "a.txt").read_text() == "mine"
    r.save(tmp_path / "cap")
    assert m2t.CaptureResult.load(tmp_path / "cap").n_clips == 1  # README: m2t.CaptureResult.load()
    assert "CaptureResult" in m2t.__all__


def test_caption_checks_save_before_decoding(tmp_path, capsys, monkeypatch):
    from m2t_interpret.model import checkpoints

    np.save(tmp_path / "m.npy", random_motions(1)[0])
    (tmp_path / "notes.txt").write_text("mine")
    monkeypatch.setattr(checkpoints, "load_model", lambda *a, **k: pytest.fail("decoded before checking"))
    monkeypatch.chdir(tmp_path)
    for save in ("notes.txt", "notes.txt/cap", "."):
        assert main(["caption", "m.npy", "--save", save]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and all(line.startswith("error: ") for line in err)


@pytest.fixture
def broken_command():
    """A temporary command that raises what the test sets."""
    raised = {}

    @app.command("raise-for-test", hidden=True)
    def _raise() -> None:
        raise raised["exc"]

    yield raised
    app.registered_commands[:] = [c for c in app.registered_commands if c.name != "raise-for-test"]


def test_environment_errors_are_one_line_and_bugs_keep_their_traceback(broken_command, capsys):
    broken_command["exc"] = PermissionError(13, "Permission denied", "/data/out/x.csv")
    assert main(["raise-for-test"]) == 2
    assert capsys.readouterr().err == "error: Permission denied: /data/out/x.csv\n"
    broken_command["exc"] = OSError(28, "No space left on device")
    assert main(["raise-for-test"]) == 2
    assert capsys.readouterr().err == "error: No space left on device\n"
    broken_command["exc"] = KeyboardInterrupt()
    assert main(["raise-for-test"]) == 130
    broken_command["exc"] = ZeroDivisionError("a bug")
    with pytest.raises(ZeroDivisionError):
        main(["raise-for-test"])


def test_usage_errors_are_one_line(capsys):
    assert main(["caption", "x.npy", "--decod", "greedy"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "No such option: --decod" in err and "m2t-interpret caption --help" in err
    assert main(["data", "check", ".", "--mirror-pairs", "-1"]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_progress_follows_the_terminal_in_every_command(monkeypatch):
    """Every command with --progress/--no-progress shares one rule: bars when stderr is a terminal,
    none elsewhere (logs, pipes), unless the flag says otherwise."""
    import sys

    import typer.main

    group = typer.main.get_command(app)

    def commands(cmd, prefix=""):
        if hasattr(cmd, "commands"):  # a group (typer bundles its own click)
            for name, sub in cmd.commands.items():
                yield from commands(sub, f"{prefix} {name}".strip())
        else:
            yield prefix, cmd

    seen = 0
    for name, cmd in commands(group):
        for p in cmd.params:
            if p.name == "progress":
                seen += 1
                assert p.default is None, name
                ctx = cmd.make_context(name, [], resilient_parsing=True)
                for tty in (True, False):
                    monkeypatch.setattr(sys.stderr, "isatty", lambda tty=tty: tty)
                    assert p.process_value(ctx, None) is tty, name
                assert p.process_value(ctx, True) is True and p.process_value(ctx, False) is False, name
    assert seen >= 12
