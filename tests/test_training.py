"""Training loop, resume, evaluation and sweep on a tiny synthetic corpus."""

import csv

import numpy as np
import pytest
import torch

from m2t_interpret import load_model
from m2t_interpret.cli import main
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
