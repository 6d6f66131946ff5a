"""Data-parallel training under torchrun: two gloo processes on CPU train like one process on the
same global batches; only rank 0 prints and writes; resume works; bad set-ups are one-line errors."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.distributed

from m2t_interpret.errors import M2TError
from m2t_interpret.training import trainer as trainer_module
from m2t_interpret.training.config import load_config
from m2t_interpret.training.data import rank_slice
from m2t_interpret.training.distributed import init_distributed, is_main_process, world_from_env
from m2t_interpret.training.trainer import train

# Dropout 0 and per-batch teacher-forcing coins (0.5) make the two runs comparable step by step.
# All 96 (motion, caption) pairs in global batches of 19: slices of 10 and 9, and a last batch of one
# pair, which leaves rank 1 an empty slice (it then decodes one pair at weight 0).
TINY = dict(hidden=16, embed_dim=8, attn_dim=12, batch_size=19, lr=3e-3, max_decode_steps=12, dropout=0.0,
            teacher_forcing=0.5, lambdas=[2.0, 1.0], captions_per_motion=0)
WORLD = 2
ENV_KEYS = ("WORLD_SIZE", "RANK", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT",
            "GROUP_RANK", "ROLE_RANK", "TORCHELASTIC_RUN_ID")
# Its scalar score bias shifts every frame's score alike, so the softmax over frames cancels it: its
# gradient is rounding noise, which Adam scales to lr-sized steps in any run (one process included).
SHIFT_INVARIANT = {"temporal_att.bias"}
TOL = 1e-5
# The temporal terms' window edges are clipped to the clip and their hinges cut at 0: a rounding
# difference between one batch and its two slices can flip which side a value falls on, and Adam
# turns that into parameter differences a few times larger than the other terms'. That the slices
# add up exactly is checked in float64 in test_temporal_supervision.py.
TEMPORAL_TOL = 5e-5

pytestmark = pytest.mark.skipif(not (torch.distributed.is_available() and torch.distributed.is_gloo_available()),
                                reason="torch.distributed with gloo is not available")

WORKER = textwrap.dedent('''
    """One torchrun rank: runs `m2t-interpret train` once per argument list, recording what it
    printed, which slices it trained on and every write it made under the watched folders."""
    import contextlib, io, json, os, sys
    from pathlib import Path

    report_dir, watched, runs = Path(sys.argv[1]), [str(Path(p).resolve()) for p in sys.argv[2].split(os.pathsep)], \\
        json.loads(sys.argv[3])
    rank = int(os.environ["RANK"])
    recording, writes = [True], []
    MUTATING = ("os.mkdir", "os.rename", "os.replace", "os.remove", "os.rmdir", "os.chmod", "os.truncate",
                "os.utime", "os.link", "os.symlink", "shutil.copyfile", "shutil.move", "shutil.rmtree",
                "tempfile.mkstemp", "tempfile.mkdtemp")

    def under_watch(path):
        try:
            p = os.path.abspath(os.fsdecode(path))
        except TypeError:
            return False
        return any(p == w or p.startswith(w + os.sep) for w in watched)

    def audit(event, args):
        if not recording[0]:
            return
        if event == "open" and len(args) >= 3:
            path, mode, flags = args[:3]
            write_flags = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or \\
                (isinstance(flags, int) and bool(flags & write_flags))
            if writing and not isinstance(path, int) and under_watch(path):
                writes.append([event, os.fsdecode(path)])
        elif event in MUTATING:
            for a in args[:2]:
                if isinstance(a, (str, bytes, os.PathLike)) and under_watch(a):
                    writes.append([event, os.fsdecode(a)])

    sys.addaudithook(audit)

    from m2t_interpret.cli import main
    from m2t_interpret.training import trainer

    slices = []
    original = trainer.rank_slice

    def recording_slice(pairs, r, world):
        out = original(pairs, r, world)
        slices.append({"global": [int(p) for p in pairs], "local": [int(p) for p in out], "world": world})
        return out

    trainer.rank_slice = recording_slice
    results = []
    for argv in runs:
        del slices[:]
        stdout, stderr = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            rc = main(argv)
        results.append({"rc": rc, "stdout": stdout.getvalue(), "stderr": stderr.getvalue(),
                        "slices": list(slices)})
    recording[0] = False
    (report_dir / f"rank{rank}.json").write_text(json.dumps(
        {"rank": rank, "world": int(os.environ["WORLD_SIZE"]), "runs": results, "writes": writes}))
''')


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    from m2t_interpret.data.synthetic import generate_corpus

    root = tmp_path_factory.mktemp("corpus")
    generate_corpus(root, n_train=16, n_val=4, n_test=4, seed=5, progress=False)
    return root


def _config_file(path: Path, corpus: Path, **extra) -> Path:
    values = {**TINY, **extra}
    lines = ['preset = "synthetic"', f'data = "{corpus.as_posix()}"', "epochs = 2"]
    lines += [f"{k} = {json.dumps(v)}" for k, v in values.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def _torchrun(tmp_path: Path, runs: list[list[str]], watched: list[Path]) -> list[dict]:
    """Run the worker under ``torchrun --standalone --nproc-per-node 2`` (a free port is picked)."""
    worker, reports = tmp_path / "worker.py", tmp_path / "reports"
    worker.write_text(WORKER)
    reports.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ENV_KEYS}
    env.update(OMP_NUM_THREADS="1", M2T_INTERPRET_CACHE=str(tmp_path / "cache"), PYTHONDONTWRITEBYTECODE="1")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={WORLD}", str(worker),
           str(reports), os.pathsep.join(str(w) for w in watched), json.dumps(runs)]
    # its own session: on a timeout the whole group (torchrun and its workers) is killed, no orphans
    proc = subprocess.Popen(cmd, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        output, _ = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        output, _ = proc.communicate()
        pytest.fail(f"torchrun did not finish in 120 s:\n{output[-3000:]}")
    assert proc.returncode == 0, output[-6000:]
    out = [json.loads((reports / f"rank{r}.json").read_text()) for r in range(WORLD)]
    assert [r["rank"] for r in out] == [0, 1] and all(r["world"] == WORLD for r in out)
    return out


def _record_batches(monkeypatch) -> list[list[int]]:
    """Global batches one process trains on, in order."""
    seen: list[list[int]] = []
    original = trainer_module.collate

    def recording(split, pairs):
        seen.append([int(p) for p in pairs])
        return original(split, pairs)

    monkeypatch.setattr(trainer_module, "collate", recording)
    return seen


def _state(run: Path) -> dict:
    return torch.load(run / "last.pt", weights_only=True)


def _max_diff(a: dict, b: dict, skip=frozenset()) -> float:
    assert a.keys() == b.keys()
    return max((a[k].float() - b[k].float()).abs().max().item() for k in a if k not in skip)


def _assert_same_training(single: dict, multi: dict, tol: float = TOL) -> None:
    assert _max_diff(single["model"], multi["model"], SHIFT_INVARIANT) < tol
    assert _max_diff(single["model"], multi["model"]) < 10 * single["config"]["lr"]  # the shift-invariant bias too
    assert multi["best_epoch"] == single["best_epoch"] and multi["epoch"] == single["epoch"]
    for a, b in zip(single["log"], multi["log"], strict=True):
        for k in ("loss", "lang", "spat", "adapt", "order", "segment", "val_bleu4"):
            assert b[k] == pytest.approx(a[k], rel=1e-5, abs=1e-6), (k, a, b)
    # Adam's moments agree too, so a resumed run continues alike
    for sa, sb in zip(single["optimizer"]["state"].values(), multi["optimizer"]["state"].values(), strict=True):
        assert int(sa["step"]) == int(sb["step"])
        assert torch.allclose(sa["exp_avg"], sb["exp_avg"], rtol=1e-4, atol=1e-6)
        assert torch.allclose(sa["exp_avg_sq"], sb["exp_avg_sq"], rtol=1e-4, atol=1e-9)


def test_two_processes_train_like_one_and_only_rank_0_writes(corpus, tmp_path, monkeypatch):
    cfg_path = _config_file(tmp_path / "tiny.toml", corpus)
    runs = tmp_path / "runs"
    # one process: the full run, and a run stopped after epoch 1 that torchrun will resume
    batches = _record_batches(monkeypatch)
    train(load_config(cfg_path), runs / "single", progress=False, log=lambda s: None)
    global_batches = list(batches)
    # the one-pass decode, with both temporal terms (their per-caption and per-step means must add up
    # over the ranks' slices as the other terms do)
    forced_cfg = _config_file(tmp_path / "forced.toml", corpus, teacher_forcing=1.0, lambda_order=1.0,
                              lambda_segment=2.0, segments="auto")
    train(load_config(forced_cfg), runs / "single-forced", progress=False, log=lambda s: None)
    train(load_config(cfg_path, epochs=1), runs / "part", progress=False, log=lambda s: None)
    state = _state(runs / "part")
    state["config"]["epochs"] = 2
    torch.save(state, runs / "part" / "last.pt")
    (runs / "part" / "skipped.json").unlink()  # rewritten by rank 0 only on resume
    before = {p: p.stat().st_mtime_ns for p in (runs / "part").iterdir()}

    bad_cfg = _config_file(tmp_path / "bad.toml", corpus, batch_size=1)
    reports = _torchrun(tmp_path, [
        ["train", "--data", str(corpus), "--config", str(cfg_path), "--out", str(runs / "multi")],
        ["train", "--data", str(corpus), "--config", str(cfg_path), "--out", str(runs / "part"), "--resume"],
        ["train", "--data", str(corpus), "--config", str(bad_cfg), "--out", str(runs / "bad")],
        ["train", "--data", str(corpus), "--config", str(forced_cfg), "--out", str(runs / "multi-forced")],
    ], watched=[tmp_path, corpus])
    fresh, resumed, bad, forced = ([r["runs"][i] for r in reports] for i in range(4))

    # both ranks trained, on complementary slices of the very batches one process builds
    assert [r["rc"] for r in fresh + resumed + forced] == [0] * 6
    for r, report in enumerate(fresh):
        assert [s["global"] for s in report["slices"]] == global_batches
        assert all(s["world"] == WORLD for s in report["slices"])
    for s0, s1 in zip(fresh[0]["slices"], fresh[1]["slices"]):
        assert s0["local"] and s0["local"] + s1["local"] == s0["global"]
        assert len(s0["local"]) - len(s1["local"]) in (0, 1)
    assert any(not s["local"] for s in fresh[1]["slices"])  # the one-pair batch: rank 1 empty
    assert sum(len(s["local"]) for s in fresh[1]["slices"]) > 0

    # the parameters after every step match one process (final state, log, selection)
    single, multi = _state(runs / "single"), _state(runs / "multi")
    _assert_same_training(single, multi)
    _assert_same_training(_state(runs / "single-forced"), _state(runs / "multi-forced"), TEMPORAL_TOL)
    assert torch.load(runs / "multi" / "model.pt", weights_only=True)["metadata"]["training"]["processes"] == WORLD
    # resume under torchrun continues the single-process run exactly like an uninterrupted one
    _assert_same_training(single, _state(runs / "part"))
    assert (runs / "part" / "skipped.json").exists()
    assert all(p.stat().st_mtime_ns != t for p, t in before.items() if p.name in ("last.pt", "log.csv"))

    # rank 0 prints and writes; rank 1 prints nothing and writes nothing under the watched folders
    assert "epoch 2/2" in fresh[0]["stdout"] and "best validation BLEU-4" in fresh[0]["stdout"]
    assert "2 processes (gloo)" in fresh[0]["stdout"]
    assert all(run["stdout"] == "" and "epoch" not in run["stderr"] for run in (fresh[1], resumed[1], forced[1]))
    assert reports[1]["writes"] == []
    assert any(w[1].startswith(str(runs / "multi")) for w in reports[0]["writes"])  # the audit sees writes
    assert sorted(p.name for p in (runs / "multi").iterdir()) == sorted(
        ["config.toml", "vocab.json", "model.pt", "last.pt", "log.csv", "curves.png", "skipped.json",
         ".m2t-interpret.json"])  # the run's output ledger (m2t_interpret.outputs), written by rank 0

    # a global batch smaller than the process count: one error line on each rank, exit code 2
    assert [r["rc"] for r in bad] == [2, 2]
    assert all(r["stderr"].strip().splitlines()[-1].startswith("error: batch_size 1 is smaller than the 2 processes")
               for r in bad)
    assert not (runs / "bad").exists()


def test_rank_slices_cover_the_global_batch_in_order():
    pairs = np.arange(7)
    parts = [rank_slice(pairs, r, 3) for r in range(3)]
    assert [p.tolist() for p in parts] == [[0, 1, 2], [3, 4], [5, 6]]
    assert [rank_slice(np.arange(1), r, 2).tolist() for r in range(2)] == [[0], []]


def test_environment_without_torchrun_changes_nothing(monkeypatch):
    for key in ENV_KEYS:
        monkeypatch.delenv(key, raising=False)
    assert world_from_env() == (0, 0, 1) and is_main_process()
    assert init_distributed("cpu") is None
    monkeypatch.setenv("WORLD_SIZE", "1")
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("LOCAL_RANK", "0")
    assert init_distributed("cpu") is None  # torchrun with one process: the single-process path


@pytest.mark.parametrize("env, device, message", [
    ({"WORLD_SIZE": "2", "LOCAL_RANK": "0"}, "cpu", "RANK is not"),
    ({"WORLD_SIZE": "2", "RANK": "two", "LOCAL_RANK": "0"}, "cpu", "RANK must be a whole number"),
    ({"WORLD_SIZE": "2", "RANK": "2", "LOCAL_RANK": "0"}, "cpu", "inconsistent torchrun environment"),
    ({"WORLD_SIZE": "2", "RANK": "1", "LOCAL_RANK": "1"}, "cuda:1", "give device cuda"),
    ({"WORLD_SIZE": "2", "RANK": "1", "LOCAL_RANK": "1"}, "mps", "cpu (gloo) or cuda (nccl)"),
    ({"WORLD_SIZE": "2", "RANK": "1", "LOCAL_RANK": "1"}, "cpu", "cannot join the gloo process group"),
])
def test_bad_distributed_setups_are_one_line_errors(monkeypatch, env, device, message):
    for key in ENV_KEYS:
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert is_main_process() == (env.get("RANK") in (None, "0", "two"))
    with pytest.raises(M2TError) as info:
        init_distributed(device)
    assert message in str(info.value) and "\n" not in str(info.value)
    assert not torch.distributed.is_initialized()
