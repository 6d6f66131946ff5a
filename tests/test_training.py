"""Training loop, resume, evaluation and sweep on a tiny synthetic corpus."""

import csv
from pathlib import Path

import numpy as np
import pytest
import torch

from m2t_interpret import load_model
from m2t_interpret.cli import main
from m2t_interpret.data.dataset import load_split
from m2t_interpret.data.motion_range import corpus_summary
from m2t_interpret.data.synthetic import GENERATOR_VERSION
from m2t_interpret.training.config import load_config, presets
from m2t_interpret.training.trainer import train

TINY = dict(hidden=16, embed_dim=8, attn_dim=12, batch_size=16, lr=3e-3, max_decode_steps=12)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    from m2t_interpret.data.synthetic import generate_corpus

    root = tmp_path_factory.mktemp("corpus")
    generate_corpus(root, n_train=16, n_val=4, n_test=4, seed=5, progress=False)
    return root


def _log(run):
    with open(run / "log.csv") as f:
        return list(csv.DictReader(f))


def test_tiny_training_lowers_loss_and_writes_loadable_checkpoint(corpus, tmp_path):
    cfg = load_config("synthetic", data=str(corpus), epochs=4, lambdas=[2, 3], **TINY)
    result = train(cfg, tmp_path / "run", progress=False, log=lambda s: None)
    rows = _log(tmp_path / "run")
    assert len(rows) == 4
    assert float(rows[-1]["loss"]) < float(rows[0]["loss"])
    assert float(rows[-1]["lang"]) < float(rows[0]["lang"])
    model = load_model(result.model_path)
    assert model.metadata["lambdas"] == [2.0, 3.0]
    assert model.metadata["training"]["seed"] == 0
    # the motion statistics of the training split, for the warnings about clips outside it
    train_clips = [s.motion for s in load_split(corpus, "train", progress=False)]
    expected = corpus_summary(train_clips, "humanml3d")["statistics"]
    assert model.motion_corpus["n_clips"] == len(train_clips) == 32
    assert model.motion_corpus["source"] == f"dataset at {corpus}, train split"
    assert model.motion_corpus["statistics"].keys() == expected.keys()
    for name, ranges in expected.items():
        assert model.motion_corpus["statistics"][name] == pytest.approx(ranges, rel=1e-12), name
    assert (tmp_path / "run" / "curves.png").stat().st_size > 1000
    motion = np.load(next((corpus / "new_joints").glob("*.npy")))
    assert isinstance(model.caption(motion), str)


def test_resume_continues_exactly(corpus, tmp_path):
    cfg = load_config("synthetic", data=str(corpus), epochs=2, teacher_forcing=0.5, **TINY)
    train(cfg, tmp_path / "full", progress=False, log=lambda s: None)
    one = load_config("synthetic", data=str(corpus), epochs=1, teacher_forcing=0.5, **TINY)
    train(one, tmp_path / "part", progress=False, log=lambda s: None)
    with pytest.raises(Exception, match="resume"):
        train(one, tmp_path / "part", progress=False, log=lambda s: None)
    # the saved config says 1 epoch; bump it as a user would by editing nothing but --epochs
    state = torch.load(tmp_path / "part" / "last.pt", weights_only=True)
    state["config"]["epochs"] = 2
    torch.save(state, tmp_path / "part" / "last.pt")
    train(one, tmp_path / "part", resume=True, progress=False, log=lambda s: None)
    full, part = _log(tmp_path / "full"), _log(tmp_path / "part")
    assert [r["epoch"] for r in part] == ["1", "2"]
    for a, b in zip(full, part):
        assert a["loss"] == b["loss"] and a["val_bleu4"] == b["val_bleu4"]
    sa = torch.load(tmp_path / "full" / "last.pt", weights_only=True)["model"]
    sb = torch.load(tmp_path / "part" / "last.pt", weights_only=True)["model"]
    # bit-identical, as resuming promises: both runs are in this process, on this machine, with the
    # same thread count, so they do the same float operations in the same order
    assert all(torch.equal(sa[k], sb[k]) for k in sa)


def test_cosine_schedule_is_logged_and_resumable(corpus, tmp_path):
    from m2t_interpret.training.trainer import epoch_lr

    cfg = load_config("synthetic", data=str(corpus), epochs=4, lr_schedule="cosine", lr_min=1e-4, **TINY)
    assert epoch_lr(cfg, 0) == pytest.approx(3e-3) and epoch_lr(cfg, 2) == pytest.approx(1e-4 + (3e-3 - 1e-4) / 2)
    train(cfg, tmp_path / "run", progress=False, log=lambda s: None)
    lrs = [float(r["lr"]) for r in _log(tmp_path / "run")]
    assert lrs == pytest.approx([epoch_lr(cfg, e) for e in range(4)]) and lrs[0] > lrs[-1]
    with pytest.raises(Exception, match="lr_schedule"):
        load_config("synthetic", lr_schedule="linear")


def test_config_presets_and_errors(tmp_path):
    assert {"humanml3d", "kit", "synthetic"} <= set(presets())
    h = load_config("humanml3d")
    assert (h.hidden, h.embed_dim, h.attn_dim, h.lambdas) == (256, 128, 256, (0.0, 3.0))
    k = load_config("kit")
    assert (k.hidden, k.lambdas) == (128, (2.0, 3.0))
    f = tmp_path / "c.toml"
    f.write_text('preset = "kit"\nepochs = 7\n')
    assert load_config(f).epochs == 7 and load_config(f).hidden == 128
    f.write_text("epochs = [")
    with pytest.raises(Exception, match="TOML"):
        load_config(f)
    f.write_text("bogus = 1\n")
    with pytest.raises(Exception, match="unknown config keys"):
        load_config(f)


def test_cli_train_evaluate_and_sweep(corpus, tmp_path, capsys):
    cfg = tmp_path / "tiny.toml"
    cfg.write_text('preset = "synthetic"\n' + "".join(f"{k} = {v}\n" for k, v in TINY.items()))
    rc = main(["train", "--data", str(corpus), "--config", str(cfg), "--epochs", "1", "--lambdas", "0", "3",
               "--out", str(tmp_path / "run"), "--no-progress"])
    assert rc == 0
    rc = main(["evaluate", "--model", str(tmp_path / "run" / "model.pt"), "--data", str(corpus), "--split", "test",
               "--no-meteor", "--out", str(tmp_path / "eval"), "--no-progress"])
    assert rc == 0
    out = capsys.readouterr().out
    assert "BLEU@4" in out and "project protocol" in out and "stripped" in out
    assert (tmp_path / "eval" / "predictions.csv").read_text().startswith('"')
    rc = main(["evaluate", "--model", str(tmp_path / "run" / "model.pt"), "--data", str(corpus), "--beam", "2",
               "--no-meteor", "--no-progress"])
    assert rc == 0
    rc = main(["sweep", "--data", str(corpus), "--config", str(cfg), "--epochs", "1", "--grid", "0,0 2,3",
               "--out", str(tmp_path / "sweep"), "--no-progress"])
    assert rc == 0
    table = (tmp_path / "sweep" / "table1.csv").read_text().splitlines()
    assert table[0].startswith("λ_spat,λ_adapt,BLEU@1,BLEU@4,CIDEr,ROUGE-L")
    assert len(table) == 3
    assert "\\begin{tabular}" in (tmp_path / "sweep" / "table1.tex").read_text()
    assert main(["train", "--data", str(tmp_path / "nowhere"), "--out", str(tmp_path / "x"), "--no-progress"]) == 2
    assert main(["sweep", "--grid", "1;x", "--out", str(tmp_path / "y")]) == 2


def test_epoch_pairs_draws_k_captions_per_motion():
    from types import SimpleNamespace

    from m2t_interpret.training.data import bucketed_batches, epoch_pairs

    split = SimpleNamespace(pair_motion=np.array([0, 0, 0, 1, 1, 2, 2, 2, 2]), lengths=np.array([5, 9, 7]))
    for k in (1, 2):
        pairs = epoch_pairs(split, np.random.default_rng(3), k)
        counts = np.bincount(split.pair_motion[pairs], minlength=3)
        assert counts.tolist() == [min(k, 3), min(k, 2), min(k, 4)]
    assert epoch_pairs(split, np.random.default_rng(3), 0).tolist() == list(range(9))
    a = bucketed_batches(split, 2, np.random.default_rng(7), 1)
    b = bucketed_batches(split, 2, np.random.default_rng(7), 1)
    assert [x.tolist() for x in a] == [x.tolist() for x in b]
    drawn = np.concatenate(a)
    assert len(drawn) == 3 and all(len(x) <= 2 for x in a)
    assert sorted(split.pair_motion[drawn].tolist()) == [0, 1, 2]


def test_config_values_are_typed_and_ranged(tmp_path):
    from m2t_interpret.errors import M2TError

    f = tmp_path / "c.toml"
    f.write_text('preset = "synthetic"\nepochs = "three"\n')
    with pytest.raises(M2TError, match=r"c.toml: config value epochs must be a whole number, got 'three'"):
        load_config(f)
    f.write_text("lambdas = [nan, 1.0]\n")
    with pytest.raises(M2TError, match="λ values must be finite"):
        load_config(f)
    for bad, phrase in [(dict(lambdas=[float("nan"), 1]), "finite"), (dict(threads=0), "threads must be ≥ 1"),
                        (dict(lr=0), "lr must be a finite number > 0"), (dict(dropout=1.0), "dropout"),
                        (dict(batch_size=2.5), "batch_size must be a whole number"),
                        (dict(teacher_forcing=True), "teacher_forcing must be a number")]:
        with pytest.raises(M2TError, match=phrase):
            load_config("synthetic", **bad)
    assert load_config("synthetic", lr=1).lr == 1.0 and isinstance(load_config("synthetic", lr=1).lr, float)


def test_resume_with_nothing_to_resume_and_damaged_state(corpus, tmp_path):
    from m2t_interpret.errors import M2TError

    cfg = load_config("synthetic", data=str(corpus), epochs=1, **TINY)
    with pytest.raises(M2TError, match="nothing to resume: .* does not exist"):
        train(cfg, tmp_path / "missing", resume=True, progress=False, log=lambda s: None)
    (tmp_path / "empty").mkdir()
    with pytest.raises(M2TError, match="nothing to resume: .* is empty"):
        train(cfg, tmp_path / "empty", resume=True, progress=False, log=lambda s: None)
    assert not (tmp_path / "missing").exists() and not any((tmp_path / "empty").iterdir())
    run = tmp_path / "run"
    run.mkdir()
    (run / "last.pt").write_bytes(b"")
    with pytest.raises(M2TError, match="is empty .*cannot be resumed"):
        train(cfg, run, resume=True, progress=False, log=lambda s: None)
    torch.save({"weights": torch.zeros(2)}, run / "last.pt")
    with pytest.raises(M2TError, match="not a training state"):
        train(cfg, run, resume=True, progress=False, log=lambda s: None)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    with pytest.raises(M2TError, match="not from an m2t-interpret run"):
        train(cfg, mine, progress=False, log=lambda s: None)
    assert sorted(p.name for p in mine.iterdir()) == ["notes.txt"]


def test_ctrl_c_says_how_to_resume(corpus, tmp_path, monkeypatch, capsys):
    from m2t_interpret.training import trainer

    calls = {"n": 0}
    real = trainer.greedy_bleu4

    def interrupt_in_second_epoch(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(trainer, "greedy_bleu4", interrupt_in_second_epoch)
    cfg = tmp_path / "tiny.toml"
    cfg.write_text('preset = "synthetic"\n' + "".join(f"{k} = {v}\n" for k, v in TINY.items()))
    rc = main(["train", "--data", str(corpus), "--config", str(cfg), "--epochs", "3", "--out",
               str(tmp_path / "run"), "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 130
    run = tmp_path / "run"
    assert err == (f"interrupted: train stopped after epoch 1 of 3; the finished epochs are kept in {run}; "
                   f"continue with: m2t-interpret train --out {run} --resume\n")
    monkeypatch.setattr(trainer, "greedy_bleu4", real)
    assert main(["train", "--out", str(tmp_path / "run"), "--resume", "--no-progress"]) == 0
    assert [r["epoch"] for r in _log(tmp_path / "run")] == ["1", "2", "3"]


def _damage(corpus, root, n_missing=0, n_malformed=0):
    import shutil

    shutil.copytree(corpus, root)
    ids = (root / "train.txt").read_text().split()
    for i in ids[:n_missing]:
        (root / "new_joints" / f"{i}.npy").unlink()
    for i in ids[n_missing:n_missing + n_malformed]:
        f = root / "texts" / f"{i}.txt"
        f.write_bytes(b"caf\xe9 line#x#0#0\n" + f.read_bytes())
    return root


def test_skipped_samples_are_reported_and_too_many_stop_training(corpus, tmp_path):
    import json

    from m2t_interpret.errors import M2TError

    lines = []
    cfg = load_config("synthetic", data=str(corpus), epochs=1, **TINY)
    train(cfg, tmp_path / "clean", progress=False, log=lines.append)
    assert any(s.startswith("train: 32 samples; 0 of 32 ids lost") for s in lines)
    skipped = json.loads((tmp_path / "clean" / "skipped.json").read_text())
    assert skipped["threshold"] == 0.05 and skipped["splits"]["val"]["n_samples"] == 8

    one = _damage(corpus, tmp_path / "one", n_missing=1)  # 1 of 32 = 3 %: trains, and says so
    lines.clear()
    train(load_config("synthetic", data=str(one), epochs=1, **TINY), tmp_path / "r1", progress=False,
          log=lines.append)
    assert any("1 of 32 ids lost (missing new_joints/ file: 000" in s for s in lines)
    assert json.loads((tmp_path / "r1" / "skipped.json").read_text())["splits"]["train"]["missing_motion"]

    bad = _damage(corpus, tmp_path / "bad", n_missing=3, n_malformed=4)
    cfg = load_config("synthetic", data=str(bad), epochs=1, **TINY)
    lines.clear()
    with pytest.raises(M2TError, match=r"the train split loses 9.4% \(more than 5%\).*--allow-skips"):
        train(cfg, tmp_path / "r2", progress=False, log=lines.append)
    assert not (tmp_path / "r2").exists()  # nothing written
    assert sum("train skipped" in s for s in lines) == 3  # the list was printed
    assert sum(s.startswith("  train malformed") and "not valid UTF-8" in s for s in lines) == 4
    train(cfg, tmp_path / "r3", progress=False, log=lambda s: None, allow_skips=True)
    vocab = json.loads((tmp_path / "r3" / "vocab.json").read_text())
    assert not any("\ufffd" in w for w in vocab)  # no replacement characters in the vocabulary


def test_empty_val_split_is_refused(corpus, tmp_path):
    import shutil

    from m2t_interpret.errors import M2TError

    root = tmp_path / "noval"
    shutil.copytree(corpus, root)
    (root / "val.txt").write_text("")
    with pytest.raises(M2TError, match="no usable validation samples"):
        train(load_config("synthetic", data=str(root), epochs=1, **TINY), tmp_path / "run", progress=False,
              log=lambda s: None)


def test_synthetic_default_says_where_it_writes_once(tmp_path, monkeypatch):
    from m2t_interpret.data import synthetic
    from m2t_interpret.training.data import resolve_data

    monkeypatch.setenv("M2T_INTERPRET_CACHE", str(tmp_path / "cache"))

    def fake_generate(root, **kwargs):
        Path(root).mkdir(parents=True)
        (Path(root) / "test.txt").write_text("x\n")

    monkeypatch.setattr(synthetic, "generate_corpus", fake_generate)
    said = []
    root = resolve_data("synthetic", 3, log=said.append)
    assert root == tmp_path / "cache" / f"synthetic-seed3-v{GENERATOR_VERSION}"
    assert len(said) == 1 and str(root) in said[0] and "M2T_INTERPRET_CACHE" in said[0] and "340 MB" in said[0]
    resolve_data("synthetic", 3, log=said.append)
    assert len(said) == 1  # once


def test_evaluate_decode_spelling_and_output_checked_first(corpus, tmp_path, capsys):
    cfg = load_config("synthetic", data=str(corpus), epochs=1, **TINY)
    train(cfg, tmp_path / "run", progress=False, log=lambda s: None)
    model = str(tmp_path / "run" / "model.pt")
    common = ["evaluate", "--model", model, "--data", str(corpus), "--no-meteor", "--no-progress"]
    for decode in ("greedy", "beam2", "authors-beam2"):
        assert main([*common, "--decode", decode]) == 0
        out = capsys.readouterr().out
        assert f"· {decode} ·" in out
        assert out.count("project protocol") == 1  # the protocol once, not on every score line
    assert main([*common, "--beam", "2"]) == 0
    captured = capsys.readouterr()
    assert "· beam2 ·" in captured.out and "--beam is deprecated; use --decode beam2" in captured.err
    (tmp_path / "notes.txt").write_text("mine")
    assert main([*common, "--out", str(tmp_path / "notes.txt")]) == 2
    assert "is a file" in capsys.readouterr().err


def test_val_max_samples_validates_on_the_first_motions(corpus, tmp_path):
    from m2t_interpret.training.data import first_motions, load_prepared

    cfg = load_config("synthetic", data=str(corpus), epochs=1, val_max_samples=2, **TINY)
    lines = []
    train(cfg, tmp_path / "run", progress=False, log=lines.append)
    assert any("2 val motions" in line for line in lines), lines
    *_, val = load_prepared(corpus, cfg, progress=False)
    head = first_motions(val, 2)
    assert head.ids == val.ids[:2] and len(head.references) == 2
    assert set(head.pair_motion.tolist()) == {0, 1} and len(head.pair_ids) == len(head.beta_star)
    assert first_motions(val, 10**6) is val


def test_evaluate_refuses_a_split_that_lost_most_clips_unless_allowed(corpus, tmp_path, capsys):
    """train's rule for evaluate: more than 5 % of the split lost → exit 2 naming how many and why;
    --allow-skips scores what is left, and every scores table says n and how many were lost."""
    import shutil

    import pandas as pd

    from conftest import tiny_model
    from m2t_interpret.model.checkpoints import save_checkpoint

    data = Path(shutil.copytree(corpus, tmp_path / "data"))
    ids = (data / "test.txt").read_text().split()
    for i in ids[1:]:  # all but one caption file of the split in Latin-1: those ids are dropped
        f = data / "texts" / f"{i}.txt"
        f.write_bytes("".join("\u00e9" + line for line in f.read_text(encoding="utf-8").splitlines(True))
                      .encode("latin-1"))
    save_checkpoint(tiny_model(vocab_size=40), tmp_path / "tiny.pt")
    common = ["evaluate", "--model", str(tmp_path / "tiny.pt"), "--data", str(data), "--no-meteor", "--no-progress",
              "--out", str(tmp_path / "ev")]
    assert main(common) == 2
    err = capsys.readouterr().err.strip().splitlines()
    lost = len(ids) - 1
    assert len(err) == 1 and f"{lost} of {len(ids)} ids lost (no valid caption line" in err[0]
    assert "--allow-skips to evaluate anyway" in err[0]
    assert not (tmp_path / "ev").exists()
    assert main([*common, "--allow-skips"]) == 0
    out = capsys.readouterr().out
    assert f"1 clips, {lost} ids lost" in out and f"n=1; lost={lost} ({lost} of {len(ids)} ids lost" in out
    scores = pd.read_csv(tmp_path / "ev" / "scores.csv")
    assert (scores["n_clips"] == 1).all() and (scores["n_lost"] == lost).all()
    md = (tmp_path / "ev" / "scores.md").read_text().splitlines()
    assert md[0].endswith("| Clips | Lost |") and all(line.endswith(f"| 1 | {lost} |") for line in md[2:])
