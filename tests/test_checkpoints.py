"""Checkpoint formats: project round-trip, authors' loading, and errors on bad input."""

import json

import numpy as np
import pytest
import torch

from m2t_interpret import M2TError, load_model
from m2t_interpret.model.checkpoints import convert_authors_checkpoint, save_checkpoint
from conftest import FIXTURES, random_motions, tiny_model


def test_project_checkpoint_round_trips_bit_exactly(tmp_path):
    model = tiny_model(seed=3)
    path = save_checkpoint(model, tmp_path / "m.pt", lambdas=(2, 3), training={"data": "unit test"})
    raw = torch.load(path, weights_only=True)
    for key in ("config", "vocab", "stats", "lambdas", "training", "package_version", "skeleton", "fps",
                "downsample"):
        assert key in raw, key
    loaded = load_model(path)
    a, b = model.state_dict(), loaded.state_dict()
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k
    assert loaded.vocab == model.vocab and loaded.stats == model.stats
    assert loaded.metadata["lambdas"] == [2.0, 3.0]
    motions = random_motions(2)
    np.testing.assert_array_equal(loaded.capture(motions).tokens, model.capture(motions).tokens)


def test_convert_authors_checkpoint(tmp_path):
    vocab = tmp_path / "vocab.json"
    vocab.write_text(json.dumps([f"t{i}" for i in range(37)]))
    stats = tmp_path / "stats.json"
    stats.write_text(json.dumps({"mean": [0, 1, 0], "std": [0.4, 0.4, 0.4]}))
    out = convert_authors_checkpoint(FIXTURES / "kit_small.ckpt", vocab, tmp_path / "kit.pt", stats=stats)
    model = load_model(out)
    assert model.config.skeleton == "kit" and model.config.hidden == 32 and model.config.attn_dim == 48 and model.stats["std"][0] == 0.4
    original = torch.load(FIXTURES / "kit_small.ckpt", weights_only=True)["model"]
    for k, v in original.items():
        assert torch.equal(model.state_dict()[k], v)
    assert model.metadata["lambdas"] == [2, 3]


def test_authors_checkpoint_vocab_errors(tmp_path):
    with pytest.raises(M2TError, match="vocabulary"):
        load_model(FIXTURES / "h3d_small.ckpt")
    with pytest.raises(M2TError, match=r"10 tokens.*48"):
        load_model(FIXTURES / "h3d_small.ckpt", vocab=[str(i) for i in range(10)])
    bad = tmp_path / "v.json"
    bad.write_text("{not json")
    with pytest.raises(M2TError, match="not valid JSON"):
        load_model(FIXTURES / "h3d_small.ckpt", vocab=bad)


def test_unknown_layout_and_missing_file(tmp_path):
    path = tmp_path / "odd.pt"
    torch.save({"weights": torch.zeros(3)}, path)
    with pytest.raises(M2TError, match="unknown checkpoint layout"):
        load_model(path)
    with pytest.raises(M2TError, match="not found"):
        load_model(tmp_path / "missing.pt")
    with pytest.raises(M2TError, match="shipped model"):
        load_model("no-such-model")
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"not a checkpoint")
    with pytest.raises(M2TError, match="not a PyTorch checkpoint"):
        load_model(garbage)


def test_input_errors():
    model = tiny_model()
    good = random_motions(1)[0]
    with pytest.raises(M2TError, match="21 joints"):
        model.preprocess([good[:, :21]])
    nan = good.copy()
    nan[5, 3, 1] = np.nan
    with pytest.raises(M2TError, match="NaN"):
        model.preprocess([nan])
    with pytest.raises(M2TError, match="frames"):
        model.preprocess([good[:5]])
    with pytest.raises(M2TError, match="empty batch"):
        model.preprocess([])
    with pytest.raises(M2TError, match="shape"):
        model.preprocess([good[:, :, :2]])
    x, lengths = model.preprocess([good])
    with pytest.raises(M2TError, match="features per frame"):
        model.decode(x[..., :60], lengths)
    with pytest.raises(M2TError, match="mode"):
        model.decode(x, lengths, mode="sample")
    with pytest.raises(M2TError, match="captions"):
        model.decode(x, lengths, mode="forced")
    with pytest.raises(M2TError, match="lengths"):
        model.decode(x, torch.tensor([x.shape[1] + 3]))
    with pytest.raises(M2TError, match="sos"):
        model.decode(x, lengths, mode="forced", captions=torch.tensor([[5, 6, 2]]))


def test_model_without_stats_explains():
    model = tiny_model()
    model.stats = None
    with pytest.raises(M2TError, match="statistics"):
        model.preprocess(random_motions(1))


class _Payload:
    def __reduce__(self):
        import os

        return (os.system, ("echo should-not-run",))


def test_unreadable_checkpoints_say_what_is_wrong(tmp_path):
    save_checkpoint(tiny_model(), tmp_path / "ok.pt")
    raw = (tmp_path / "ok.pt").read_bytes()
    (tmp_path / "empty.pt").write_bytes(b"")
    (tmp_path / "cut.pt").write_bytes(raw[:len(raw) // 2])
    torch.save({"x": _Payload()}, tmp_path / "evil.pt")
    for name, phrase in [("empty.pt", "is empty (0 bytes)"), ("cut.pt", "is truncated or damaged"),
                         ("evil.pt", "is not a checkpoint this tool can read safely")]:
        with pytest.raises(M2TError) as info:
            load_model(tmp_path / name)
        assert phrase in str(info.value) and "weights_only" not in str(info.value)  # no advice to turn safety off
    with pytest.raises(M2TError, match="is a folder"):
        load_model(tmp_path)


def test_vocab_and_stats_never_silently_override_a_project_checkpoint(tmp_path):
    path = save_checkpoint(tiny_model(), tmp_path / "m.pt")
    vocab = tmp_path / "v.json"
    vocab.write_text(json.dumps(["<pad>", "<sos>", "<eos>", "<unk>"] + [f"x{i}" for i in range(16)]))
    stats = tmp_path / "s.json"
    stats.write_text(json.dumps({"mean": [0, 1, 0], "std": [1, 1, 1]}))
    with pytest.raises(M2TError, match="its own vocabulary"):
        load_model(path, vocab=vocab)
    with pytest.raises(M2TError, match="its own normalisation statistics"):
        load_model(path, stats=stats)
    with pytest.raises(M2TError, match="its own normalisation statistics"):
        load_model("synthetic-guided", stats=stats)
    bare = tiny_model()
    bare.stats = None
    no_stats = save_checkpoint(bare, tmp_path / "bare.pt")
    assert load_model(no_stats, stats=stats).stats["mean"] == [0.0, 1.0, 0.0]  # fills in what is missing


def test_duplicate_vocabulary_tokens_and_convert_destination(tmp_path):
    vocab = tmp_path / "vocab.json"
    tokens = [f"t{i}" for i in range(48)]
    vocab.write_text(json.dumps(tokens[:47] + ["t5"]))
    with pytest.raises(M2TError, match=r"lists 1 token\(s\) more than once \('t5'\)"):
        convert_authors_checkpoint(FIXTURES / "h3d_small.ckpt", vocab, tmp_path / "x.pt")
    vocab.write_text(json.dumps(tokens))
    mine = tmp_path / "notes.pt"
    mine.write_text("mine")
    with pytest.raises(M2TError, match="not an earlier project checkpoint"):
        convert_authors_checkpoint(FIXTURES / "h3d_small.ckpt", vocab, mine)
    with pytest.raises(M2TError, match="is a folder"):
        convert_authors_checkpoint(FIXTURES / "h3d_small.ckpt", vocab, tmp_path)
    out = convert_authors_checkpoint(FIXTURES / "h3d_small.ckpt", vocab, tmp_path / "p.pt")
    convert_authors_checkpoint(FIXTURES / "h3d_small.ckpt", vocab, out)  # its own earlier output
    convert_authors_checkpoint(FIXTURES / "h3d_small.ckpt", vocab, mine, overwrite=True)
    assert load_model(mine).config.vocab_size == 48


def test_save_authors_checkpoint_round_trips_through_convert(tmp_path):
    from m2t_interpret.model.checkpoints import save_authors_checkpoint

    model = tiny_model(seed=5, max_steps=40)  # the authors' layout keeps no step limit: 40 is its default
    model.metadata["lambdas"] = [2.0, 1.0]
    path = save_authors_checkpoint(model, tmp_path / "authors.tar")
    raw = torch.load(path, weights_only=True)
    assert set(raw) == {"model", "optimizer", "epoch", "metadata"} and "vocab" not in raw
    with pytest.raises(M2TError, match="vocabulary"):
        load_model(path)
    vocab = tmp_path / "vocab.json"
    vocab.write_text(json.dumps(model.vocab))
    converted = load_model(convert_authors_checkpoint(path, vocab, tmp_path / "p.pt", stats=model.stats))
    assert converted.metadata["lambdas"] == [2.0, 1.0] and converted.config.skeleton == "humanml3d"
    motions = random_motions(2)
    np.testing.assert_array_equal(converted.capture(motions).tokens, model.capture(motions).tokens)
