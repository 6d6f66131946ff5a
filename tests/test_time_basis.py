"""The temporal attention's optional time basis (``time_basis``): where each frame lies in its clip,
added to the temporal keys. 0 is the paper's model, so everything about it stays as it was."""

import numpy as np
import pytest
import torch

from m2t_interpret import M2TError, load_model
from m2t_interpret.cli import main
from m2t_interpret.model import CaptionerConfig
from m2t_interpret.model.attention import time_basis
from m2t_interpret.model.checkpoints import save_authors_checkpoint, save_checkpoint
from conftest import random_motions, tiny_model

# float32 logits of a tiny model (|logit| ≲ 10) computed along two orders of summation agree to a
# few ulps of 10, far inside this.
TOL = 1e-5


def _batch(lengths=(30, 17, 9), steps=5, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(len(lengths), max(lengths), 66, generator=g)
    inputs = torch.randint(4, 20, (len(lengths), steps), generator=g)
    return x, torch.tensor(lengths), inputs


def _with_random_time_keys(model, scale=3.0, seed=1):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        w = model.temporal_attention.time_key.weight
        w.copy_(torch.randn(w.shape, generator=g) * scale)
    return model


def test_basis_is_cosines_of_the_place_in_each_clip():
    phi = time_basis(torch.tensor([5, 3]), 5, 3, torch.float64)
    assert phi.shape == (2, 5, 3)
    np.testing.assert_allclose(phi[0, 0], [1, 1, 1])  # first frame: cos 0
    np.testing.assert_allclose(phi[0, 4], [-1, 1, -1], atol=1e-12)  # last frame: cos πj = (−1)^j
    np.testing.assert_allclose(phi[1, 2], [-1, 1, -1], atol=1e-12)  # a shorter clip ends earlier
    np.testing.assert_allclose(phi[0, 2, 0], 0.0, atol=1e-12)  # the middle: cos π/2
    assert torch.isfinite(time_basis(torch.tensor([1]), 4, 2, torch.float32)).all()  # a one-frame clip


def test_zero_time_keys_leave_the_paper_model_unchanged():
    """A time-basis model whose W is zero (as training starts) computes what the same weights do
    without it: the option adds nothing until training moves W."""
    plain = tiny_model(seed=2)
    timed = tiny_model(seed=2, time_basis=4)
    missing, unexpected = timed.load_state_dict(plain.state_dict(), strict=False)
    assert missing == ["temporal_attention.time_key.weight"] and not unexpected
    assert float(timed.temporal_attention.time_key.weight.detach().abs().sum()) == 0.0
    x, lengths, inputs = _batch()
    with torch.no_grad():
        a, b = plain.forward(x, lengths, inputs), timed.forward(x, lengths, inputs)
    torch.testing.assert_close(b.logits, a.logits, atol=TOL, rtol=0)
    torch.testing.assert_close(b.temporal.mu, a.temporal.mu, atol=TOL, rtol=0)


def test_time_keys_move_the_window_and_every_path_agrees():
    """Training (autograd) and inference (packed, fused keys) encodings give one window, and a
    padded clip's window is the one it gets alone: the basis reads each clip's own length."""
    model = _with_random_time_keys(tiny_model(seed=2, time_basis=4))
    plain = tiny_model(seed=2)
    x, lengths, inputs = _batch()
    with torch.no_grad():
        fast = model.forward(x, lengths, inputs)
        alone = model.forward(x[1:2, :17], lengths[1:2], inputs[1:2])
        before = plain.forward(x, lengths, inputs)
    slow = model.forward(x.clone().requires_grad_(True), lengths, inputs)
    torch.testing.assert_close(slow.logits.detach(), fast.logits, atol=TOL, rtol=0)
    torch.testing.assert_close(slow.temporal.mu.detach(), fast.temporal.mu, atol=TOL, rtol=0)
    torch.testing.assert_close(alone.temporal.mu, fast.temporal.mu[1:2], atol=TOL, rtol=0)
    assert (fast.temporal.mu - before.temporal.mu).abs().max() > 0.5  # W moves the window (frames)
    slow.logits.sum().backward()
    assert model.temporal_attention.time_key.weight.grad.abs().sum() > 0


def test_checkpoint_keeps_the_time_basis_and_the_paper_config_is_unchanged(tmp_path):
    model = _with_random_time_keys(tiny_model(seed=3, time_basis=4))
    loaded = load_model(save_checkpoint(model, tmp_path / "m.pt", lambdas=(2, 1)))
    assert loaded.config.time_basis == 4
    motions = random_motions(2)
    a, b = model.capture(motions), loaded.capture(motions)
    np.testing.assert_array_equal(a.tokens, b.tokens)
    np.testing.assert_allclose(a.mu, b.mu, atol=TOL)
    # the paper's model writes the config every earlier checkpoint holds, so their fingerprints
    # (and the cache keys made from them) do not change
    assert "time_basis" not in CaptionerConfig(vocab_size=20).to_dict()
    with pytest.raises(M2TError, match="authors' layout cannot hold"):
        save_authors_checkpoint(model, tmp_path / "authors.pt")
    assert not (tmp_path / "authors.pt").exists()


def test_train_refuses_a_negative_time_basis(tmp_path, capsys):
    assert main(["train", "--out", str(tmp_path / "run"), "--time-basis", "-1", "--no-progress"]) == 2
    assert "time_basis must be ≥ 0" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()
