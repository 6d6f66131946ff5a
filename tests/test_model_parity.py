"""Numerical parity with the authors' captioner on the golden fixtures (both skeletons)."""

import numpy as np
import pytest
import torch

from m2t_interpret import load_model
from m2t_interpret.model.checkpoints import from_authors_checkpoint
from conftest import FIXTURES, load_case

CASES = ["h3d_small", "kit_small"]
ATOL = 1e-5


def _model(name):
    ckpt, case = load_case(name)
    vocab_size = ckpt["model"]["dec.embedding.weight"].shape[0]
    stats = {"mean": case["axis_mean"].tolist(), "std": case["axis_std"].tolist()}
    return from_authors_checkpoint(ckpt, vocab=[str(i) for i in range(vocab_size)], stats=stats), ckpt, case


@pytest.mark.parametrize("name", CASES)
def test_state_dict_keys_and_shapes_are_the_authors(name):
    model, ckpt, _ = _model(name)
    ours = model.state_dict()
    assert list(sorted(ours)) == list(sorted(ckpt["model"]))
    for k, v in ckpt["model"].items():
        assert ours[k].shape == v.shape, k
        assert torch.equal(ours[k], v), k
    model.load_state_dict(ckpt["model"], strict=True)


@pytest.mark.parametrize("name", CASES)
def test_preprocessing_reproduces_x(name):
    model, _, case = _model(name)
    x, lengths = model.preprocess([m.numpy() for m in case["raw_motions"]])
    assert torch.equal(lengths, case["src_lens"])
    np.testing.assert_allclose(x.numpy(), case["x"].transpose(0, 1).numpy(), atol=ATOL, rtol=0)


def _compare(result, golden):
    np.testing.assert_allclose(result.logits, golden["logits"].transpose(0, 1).numpy(), atol=ATOL, rtol=0)
    np.testing.assert_allclose(result.alpha, golden["alpha"].permute(2, 0, 1, 3).numpy(), atol=ATOL, rtol=0)
    np.testing.assert_allclose(result.window, golden["gamma"].permute(2, 0, 1).numpy(), atol=ATOL, rtol=0)
    np.testing.assert_allclose(result.beta, golden["beta"].T.numpy(), atol=ATOL, rtol=0)


@pytest.mark.parametrize("name", CASES)
def test_greedy_matches_authors(name):
    model, _, case = _model(name)
    steps = case["y"].shape[0] - 1
    result = model.decode(case["x"].transpose(0, 1), case["src_lens"], mode="greedy", max_steps=steps)
    golden = case["greedy"]
    assert result.tokens.shape == (case["x"].shape[1], steps)
    np.testing.assert_array_equal(result.tokens, golden["tokens"][1:].T.numpy())
    _compare(result, golden)


@pytest.mark.parametrize("name", CASES)
def test_forced_matches_authors(name):
    model, _, case = _model(name)
    result = model.decode(case["x"].transpose(0, 1), case["src_lens"], mode="forced", captions=case["y"].T)
    golden = case["forced"]
    np.testing.assert_array_equal(result.tokens, golden["tokens"][1:].T.numpy())
    np.testing.assert_array_equal(result.targets, case["y"][1:].T.numpy())
    _compare(result, golden)


@pytest.mark.parametrize("name", CASES)
def test_load_model_reads_authors_checkpoint_file(name, tmp_path):
    ckpt, case = load_case(name)
    vocab_size = ckpt["model"]["dec.embedding.weight"].shape[0]
    vocab_file = tmp_path / "vocab.json"
    vocab_file.write_text(__import__("json").dumps([f"t{i}" for i in range(vocab_size)]))
    model = load_model(FIXTURES / f"{name}.ckpt", vocab=vocab_file)
    assert model.config.skeleton == case["dataset"].replace("kit", "kit")
    assert model.stats is None
    assert model.config.vocab_size == vocab_size


def test_key_projection_without_copy_equals_hidden_major_flattening():
    from m2t_interpret.model.attention import project_part_keys
    from m2t_interpret.model.encoder import flatten_parts

    torch.manual_seed(0)
    layer = torch.nn.Linear(6 * 5, 7)
    parts = torch.randn(2, 9, 6, 5)
    torch.testing.assert_close(project_part_keys(layer, parts), layer(flatten_parts(parts)))
    # hidden-major: feature h of part k sits at index h·6 + k
    assert flatten_parts(parts)[1, 3, 4 * 6 + 2] == parts[1, 3, 2, 4]
