"""Inference kernels: the oneDNN matmul path, cached weights and reused buffers change speed only."""

import numpy as np
import pytest
import torch

from m2t_interpret.model import ops
from m2t_interpret.model.decoding import _step_summary
from conftest import load_case, random_motions, tiny_model

needs_onednn = pytest.mark.skipif(ops.onednn_linear() is None, reason="this torch build has no oneDNN linear")


@pytest.fixture
def onednn_off(monkeypatch):
    """Run a test with the oneDNN path switched off, as M2T_INTERPRET_ONEDNN=0 does."""
    monkeypatch.setenv("M2T_INTERPRET_ONEDNN", "0")
    ops.onednn_linear.cache_clear()
    yield
    monkeypatch.undo()
    ops.onednn_linear.cache_clear()


@needs_onednn
@pytest.mark.parametrize("rows,cols,out", [(64, 640, 3000), (3205, 12, 256), (7, 16, 4), (3, 16, 32), (64, 8, 1)])
@pytest.mark.parametrize("activation", [None, "tanh"])
def test_flat_linear_matches_torch(rows, cols, out, activation):
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(rows, cols, generator=gen) * 0.3
    layer = torch.nn.Linear(cols, out)
    want = layer(x)
    if activation:
        want = torch.tanh(want)
    with torch.inference_mode():
        got = ops.linear(layer, x, activation)
        again = ops.linear(layer, x, activation)  # from the cached packed weight
    torch.testing.assert_close(got, want.detach(), atol=1e-5, rtol=1e-5)
    assert torch.equal(got, again)  # one process, the same input and kernel: bitwise on any machine


def test_flat_linear_keeps_autograd_and_rejects_unknown_activations():
    layer = torch.nn.Linear(6, 5)
    x = torch.randn(8, 6, requires_grad=True)
    ops.linear(layer, x, "tanh").sum().backward()
    assert x.grad is not None and layer.weight.grad is not None
    with pytest.raises(ValueError, match="unknown activation"):
        ops.flat_linear(x.detach(), layer.weight.detach(), None, "relu")


@needs_onednn
def test_packed_weight_follows_in_place_updates():
    layer = torch.nn.Linear(16, 32)
    x = torch.randn(10, 16)
    with torch.inference_mode():
        before = ops.linear(layer, x)
    with torch.no_grad():
        layer.weight.mul_(-1)  # an optimiser step updates parameters in place
    with torch.inference_mode():
        after = ops.linear(layer, x)
    torch.testing.assert_close(after, torch.nn.functional.linear(x, layer.weight, layer.bias).detach(),
                               atol=1e-5, rtol=1e-5)
    assert not torch.allclose(before, after)


def test_switching_onednn_off_uses_torch_matmul(onednn_off):
    assert ops.onednn_linear() is None
    layer = torch.nn.Linear(16, 32)
    x = torch.randn(10, 16)
    with torch.inference_mode():
        # exact: switched off, ops.linear is this very addmm call
        assert torch.equal(ops.linear(layer, x), torch.addmm(layer.bias, x, layer.weight.t()))


def _greedy(model, n=5):
    x, lengths = model.preprocess(random_motions(n, seed=3))
    return model.decode(x, lengths, mode="greedy", max_steps=8, capture=True)


def test_decoding_does_not_depend_on_the_matmul_library(monkeypatch):
    model = tiny_model(hidden=32, attn_dim=24)
    fast = _greedy(model)
    monkeypatch.setenv("M2T_INTERPRET_ONEDNN", "0")
    ops.onednn_linear.cache_clear()
    try:
        slow = _greedy(model)
    finally:
        monkeypatch.undo()
        ops.onednn_linear.cache_clear()
    np.testing.assert_array_equal(fast.tokens, slow.tokens)
    m = fast.step_mask
    np.testing.assert_allclose(fast.logits[m], slow.logits[m], atol=1e-5)
    np.testing.assert_allclose(fast.alpha[m], slow.alpha[m], atol=1e-5)


def test_cached_weights_follow_training_updates():
    """Joined LSTM weights, stacked keys and the joint energy layer are rebuilt after a weight
    changes in place: decoding then equals a fresh copy of the updated model."""
    model = tiny_model()
    _greedy(model)  # builds every cache
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.05 * torch.randn_like(p))
    fresh = tiny_model()
    fresh.load_state_dict(model.state_dict())
    a, b = _greedy(model), _greedy(fresh)  # the same weights, inputs and kernels in one process: bitwise
    np.testing.assert_array_equal(a.tokens, b.tokens)
    np.testing.assert_array_equal(a.logits, b.logits)


def test_reused_buffers_give_the_same_results_across_calls_of_any_size():
    model = tiny_model()
    motions = random_motions(9, seed=5)
    x, lengths = model.preprocess(motions)
    x5, l5 = model.preprocess(motions[:5])
    first = model.decode(x, lengths, max_steps=6)
    small = model.decode(x5, l5, max_steps=6)  # a smaller batch in the same buffers
    again = model.decode(x, lengths, max_steps=6)
    # the same batch again in one process: the same kernels, so bitwise whatever the machine
    np.testing.assert_array_equal(first.logits, again.logits)
    np.testing.assert_array_equal(first.alpha, again.alpha)
    # another batch size may take another matmul kernel: equal up to float rounding
    np.testing.assert_allclose(small.logits, first.logits[:5, :small.logits.shape[1]], atol=1e-5)
    assert model._workspace.nbytes > 0
    model.release_workspace()
    assert model._workspace.nbytes == 0  # P, the keys and the energies buffer alike


def test_encode_without_reuse_returns_independent_tensors():
    model = tiny_model()
    x, lengths = model.preprocess(random_motions(3, seed=1))
    with torch.inference_mode():
        a = model.encode(x, lengths)
        b = model.encode(x[:2], lengths[:2])
    assert a.parts.data_ptr() != b.parts.data_ptr()
    torch.testing.assert_close(a.parts[:2], b.parts)
    valid = a.frame_mask
    assert torch.all(a.parts[~valid] == 0) and torch.all(a.keys[~valid] == 0)


@pytest.mark.parametrize("name", ["h3d_small", "kit_small"])
def test_joint_energies_equal_the_two_attentions_apart(name):
    from m2t_interpret.model.checkpoints import from_authors_checkpoint

    ckpt, case = load_case(name)
    vocab = [str(i) for i in range(ckpt["model"]["dec.embedding.weight"].shape[0])]
    model = from_authors_checkpoint(ckpt, vocab=vocab).eval()
    x, lengths = case["x"].transpose(0, 1), case["src_lens"]
    tokens = torch.full((x.shape[0],), 1)
    with torch.inference_mode():
        enc = model.encode(x, lengths)
        joint, _ = model.step(enc, tokens)
        apart, _ = model.step(enc._replace(keys=None), tokens)
    for a, b in zip((joint.logits, joint.alpha, joint.temporal.window, joint.beta),
                    (apart.logits, apart.alpha, apart.temporal.window, apart.beta)):
        torch.testing.assert_close(a, b, atol=1e-6, rtol=1e-5)


def test_step_summary_breaks_top_ties_like_argmax():
    logits = torch.tensor([[0.0, 3.0, 3.0, 1.0], [5.0, 1.0, 2.0, 0.0], [1.0, 1.0, 1.0, 1.0]])
    chosen, log_prob, top_val, top_idx = _step_summary(logits, 3)
    assert chosen.tolist() == logits.argmax(-1).tolist() == [1, 0, 0]
    lsm = torch.log_softmax(logits, -1)
    torch.testing.assert_close(log_prob, lsm.gather(1, chosen[:, None])[:, 0])
    torch.testing.assert_close(top_val, lsm.gather(1, top_idx))
    assert top_idx.shape == (3, 3)
    one, *_ = _step_summary(logits[:1, :1], 1)  # a one-word vocabulary
    assert one.tolist() == [0]


def test_workspace_grows_and_reuses():
    ws = ops.Workspace()
    like = torch.zeros(1)
    a = ws.get("a", (4, 3), like)
    b = ws.get("a", (2, 3), like)
    assert b.data_ptr() == a.data_ptr() and ws.nbytes == 12 * 4
    c = ws.get("a", (5, 3), like)
    assert c.shape == (5, 3) and ws.nbytes == 15 * 4
    ws.release()
    assert ws.nbytes == 0


def test_unpacking_rows_in_place_equals_scattering_them():
    from m2t_interpret.model.network import _unpack_rows

    lengths, t = [3, 5, 1, 5, 2], 5
    mask = torch.arange(t)[None, :] < torch.tensor(lengths)[:, None]
    values = torch.arange(1, sum(lengths) + 1, dtype=torch.float32)[:, None].expand(-1, 4)
    rows = torch.full((len(lengths) * t, 4), float("nan"))
    rows[:sum(lengths)] = values
    _unpack_rows(rows, lengths, t)
    want = torch.zeros(len(lengths) * t, 4)
    want[mask.reshape(-1)] = values
    assert torch.equal(rows, want)


@pytest.mark.parametrize("keep_logits", [True, False])
def test_fused_greedy_records_what_the_hooked_steps_record(keep_logits):
    """Greedy decoding runs on the fused step unless a hook is registered; an identity
    replacement forces the model's own step, and both give the same capture."""
    model = tiny_model(hidden=32, attn_dim=24)
    x, lengths = model.preprocess(random_motions(6, seed=7))
    fused = model.decode(x, lengths, max_steps=8, keep_logits=keep_logits)
    hooked = model.decode(x, lengths, max_steps=8, keep_logits=keep_logits, replace={"beta": lambda b: b})
    np.testing.assert_array_equal(fused.tokens, hooked.tokens)
    m = fused.step_mask
    for name in ("alpha", "gamma", "window", "mu", "sigma", "beta", "log_probs", "topk_log_probs"):
        np.testing.assert_allclose(getattr(fused, name)[m], getattr(hooked, name)[m], atol=1e-5, err_msg=name)
    np.testing.assert_array_equal(fused.topk_ids[m], hooked.topk_ids[m])
    extra = model.decode(x, lengths, max_steps=8, record=["alpha", "h_top"])  # h_top: hooks only
    np.testing.assert_allclose(extra.alpha[m], fused.alpha[m], atol=1e-5)
    assert extra.extra["h_top"].shape[:2] == fused.tokens.shape
