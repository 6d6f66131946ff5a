"""CUDA parity: the same model on the GPU decodes and trains like on the CPU (≤ 1e-4).

Skipped where torch sees no CUDA device (CI and the development machines); run on a GPU machine with
``python -m pytest -q tests/test_gpu.py``.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from conftest import random_motions, tiny_model

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
ATOL = 1e-4


def compare_decoding(mode: str, device: str) -> None:
    cpu = tiny_model(vocab_size=30, hidden=32, embed_dim=16, attn_dim=24).eval()
    other = copy.deepcopy(cpu).to(device)
    x, lengths = cpu.preprocess(random_motions(6, seed=3))
    kw = dict(mode=mode, max_steps=8, beam_size=2)
    if mode == "forced":
        kw["captions"] = torch.randint(4, 30, (6, 7)).index_fill_(1, torch.tensor([0]), 1)
    a = cpu.decode(x, lengths, **kw)
    b = other.decode(x.to(device), lengths.to(device), **kw)
    np.testing.assert_array_equal(a.tokens, b.tokens)
    m = a.step_mask
    for name in ("alpha", "gamma", "window", "mu", "sigma", "beta", "log_probs"):
        if getattr(a, name) is not None:
            np.testing.assert_allclose(getattr(b, name)[m], getattr(a, name)[m], atol=ATOL, err_msg=name)


def compare_training_step(device: str) -> None:
    from m2t_interpret.training.data import Batch
    from m2t_interpret.training.trainer import batch_loss

    cpu = tiny_model(vocab_size=30, hidden=32, embed_dim=16, attn_dim=24, max_steps=8).train()
    cpu.decoder.dropout.p = 0.0  # dropout masks differ between devices
    other = copy.deepcopy(cpu).to(device)
    x, lengths = cpu.preprocess(random_motions(4, seed=5))
    g = torch.Generator().manual_seed(0)
    captions = torch.randint(4, 30, (4, 7), generator=g).index_fill_(1, torch.tensor([0]), 1)
    beta_star = torch.randint(-1, 2, (4, 6), generator=g).float()
    alpha_star = torch.nn.functional.one_hot(torch.randint(0, 6, (4, 6), generator=g), 6).float()
    alpha_sup = torch.rand(4, 6, generator=g) < 0.5
    results = []
    for model, dev in ((cpu, "cpu"), (other, device)):
        batch = Batch(x, lengths, captions, beta_star, alpha_star, alpha_sup).to(dev)
        loss = batch_loss(model, batch, (2.0, 1.0), 1.0)
        loss.total.backward()
        results.append((float(loss.total.detach()), [p.grad.detach().cpu() for p in model.parameters() if p.grad is not None]))
    assert abs(results[0][0] - results[1][0]) <= ATOL
    assert len(results[0][1]) == len(results[1][1]) > 10
    for g_cpu, g_other in zip(results[0][1], results[1][1]):
        torch.testing.assert_close(g_other, g_cpu, atol=ATOL, rtol=1e-3)


@pytest.mark.parametrize("mode", ["greedy", "forced", "beam", "authors_beam"])
def test_decode_matches_the_cpu(mode):
    compare_decoding(mode, "cuda")


def test_training_step_matches_the_cpu():
    compare_training_step("cuda")
