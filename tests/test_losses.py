"""Tests of the guided-attention training losses."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from m2t_interpret.errors import M2TError
from m2t_interpret.training.losses import (
    adaptive_loss,
    guided_attention_loss,
    language_loss,
    spatial_loss,
)


def _bce(p: float, y: float) -> float:
    return -(y * math.log(p) + (1 - y) * math.log(1 - p))


def _batch(seed: int = 0, n: int = 2, s: int = 4, t: int = 5, v: int = 7, k: int = 6):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(n, s, v, generator=g, dtype=torch.float64, requires_grad=True)
    targets = torch.randint(1, v, (n, s), generator=g)
    targets[1, -1] = 0  # a pad step
    alpha = torch.softmax(torch.randn(n, s, t, k, generator=g, dtype=torch.float64), -1)
    alpha = alpha.detach().requires_grad_(True)
    frame_mask = torch.ones(n, t, dtype=torch.bool)
    frame_mask[1, 3:] = False
    beta = torch.rand(n, s, generator=g, dtype=torch.float64).clamp(0.05, 0.95)
    beta = beta.detach().requires_grad_(True)
    beta_star = torch.tensor([[1.0, -1.0, 0.0, 1.0], [-1.0, 0.0, 1.0, 1.0]], dtype=torch.float64)
    alpha_star = torch.full((n, s, k), -1.0, dtype=torch.float64)
    alpha_star[0, 0] = torch.tensor([1.0, 0, 0, 0, 0, 0])
    alpha_star[0, 3] = torch.tensor([0, 0, 1.0, 1.0, 0, 0])
    alpha_star[1, 2] = torch.tensor([0, 0, 0, 0, 1.0, 1.0])
    alpha_star[1, 3] = torch.tensor([0, 1.0, 0, 0, 0, 0])  # on the pad step
    alpha_supervised = (alpha_star >= 0).all(-1)
    return dict(
        logits=logits,
        targets=targets,
        alpha=alpha,
        frame_mask=frame_mask,
        beta=beta,
        beta_star=beta_star,
        alpha_star=alpha_star,
        alpha_supervised=alpha_supervised,
    )


def test_adaptive_loss_matches_hand_computation():
    beta = torch.tensor([[0.9, 0.5, 0.2], [0.3, 0.7, 0.6]], requires_grad=True)
    beta_star = torch.tensor([[1.0, -1.0, 0.0], [-1.0, 1.0, -1.0]])
    expected = (_bce(0.9, 1) + _bce(0.2, 0) + _bce(0.7, 1)) / 3
    got = adaptive_loss(beta, beta_star)
    assert got.item() == pytest.approx(expected, rel=1e-6)
    got.backward()
    assert torch.isfinite(beta.grad).all()
    assert beta.grad[0, 1] == 0 and beta.grad[1, 0] == 0 and beta.grad[1, 2] == 0


def test_spatial_loss_matches_hand_computation():
    # N=1, S=3, T=3, K=6: step 1 unsupervised, frame 2 padded.
    rng = np.random.default_rng(3)
    a = rng.dirichlet(np.ones(6), size=(1, 3, 3))
    alpha_star = np.full((1, 3, 6), -1.0)
    alpha_star[0, 0] = [0, 0, 1, 1, 0, 0]
    alpha_star[0, 2] = [1, 0, 0, 0, 0, 0]
    supervised = np.array([[True, False, True]])
    frame_mask = np.array([[True, True, False]])
    total, count = 0.0, 0
    for step in (0, 2):
        for frame in (0, 1):
            for part in range(6):
                total += _bce(a[0, step, frame, part], alpha_star[0, step, part])
                count += 1
    expected = total / count
    got = spatial_loss(
        torch.tensor(a),
        torch.tensor(alpha_star),
        torch.tensor(supervised),
        torch.tensor(frame_mask),
    )
    assert count == 24
    assert got.item() == pytest.approx(expected, rel=1e-10)


def test_language_loss_ignores_pad():
    logits = torch.randn(2, 3, 5, dtype=torch.float64)
    targets = torch.tensor([[1, 2, 0], [4, 0, 0]])
    logp = torch.log_softmax(logits, -1)
    expected = -(logp[0, 0, 1] + logp[0, 1, 2] + logp[1, 0, 4]) / 3
    assert language_loss(logits, targets).item() == pytest.approx(expected.item(), rel=1e-10)


def test_guided_loss_combines_terms_and_counts():
    b = _batch()
    terms = guided_attention_loss(**b, lambdas=(2.0, 3.0))
    step_mask = b["targets"] != 0
    spat = spatial_loss(
        b["alpha"], b["alpha_star"], b["alpha_supervised"], b["frame_mask"], step_mask
    )
    adapt = adaptive_loss(b["beta"], b["beta_star"], step_mask)
    lang = language_loss(b["logits"], b["targets"])
    assert torch.allclose(terms.total, lang + 2.0 * spat + 3.0 * adapt)
    # supervised steps (0,0), (0,3), (1,2); (1,3) is a pad step. Frames: 5, 5, 3 valid.
    assert terms.n_spat == (5 + 5 + 3) * 6
    # beta supervised: (0,0),(0,2),(0,3),(1,1),(1,2); (1,3) is a pad step
    assert terms.n_adapt == 5
    assert terms.n_lang == 7
    assert terms.lambdas == (2.0, 3.0)


def test_no_supervised_token_is_finite_with_finite_grads():
    b = _batch()
    b["beta_star"] = torch.full_like(b["beta_star"], -1.0)
    b["alpha_supervised"] = torch.zeros_like(b["alpha_supervised"])
    terms = guided_attention_loss(**b, lambdas=(2.0, 3.0))
    assert terms.n_spat == 0 and terms.n_adapt == 0
    assert terms.spat.item() == 0.0 and terms.adapt.item() == 0.0
    assert torch.isfinite(terms.total)
    terms.total.backward()
    for name in ("logits", "alpha", "beta"):
        grad = b[name].grad
        assert grad is not None and torch.isfinite(grad).all(), name
    assert (b["alpha"].grad == 0).all() and (b["beta"].grad == 0).all()


def test_all_pad_batch_is_finite():
    b = _batch()
    b["targets"] = torch.zeros_like(b["targets"])
    terms = guided_attention_loss(**b, lambdas=(1.0, 1.0))
    assert terms.total.item() == 0.0
    terms.total.backward()
    assert torch.isfinite(b["logits"].grad).all()


def test_zero_lambdas_leave_language_gradients_unchanged():
    b = _batch()
    leaves = [b["logits"], b["alpha"], b["beta"]]
    terms = guided_attention_loss(**b, lambdas=(0.0, 0.0))
    g_total = torch.autograd.grad(terms.total, leaves, allow_unused=True, retain_graph=True)
    g_lang = torch.autograd.grad(terms.lang, leaves, allow_unused=True)
    for gt, gl in zip(g_total, g_lang):
        if gl is None:
            assert gt is None or (gt == 0).all()
        else:  # exact: zero-weighted terms add nothing (g + 0·x is g) to the same autograd graph
            assert torch.equal(gt, gl)
    # and the attention terms are still reported
    assert terms.spat.item() > 0 and terms.adapt.item() > 0


def test_nonzero_lambda_changes_attention_gradients():
    b = _batch()
    terms = guided_attention_loss(**b, lambdas=(1.0, 1.0))
    g_alpha, g_beta = torch.autograd.grad(terms.total, [b["alpha"], b["beta"]])
    assert g_alpha.abs().sum() > 0 and g_beta.abs().sum() > 0


def test_padded_frames_do_not_change_spatial_loss():
    b = _batch()
    args = (b["alpha_star"], b["alpha_supervised"], b["frame_mask"])
    base = spatial_loss(b["alpha"], *args)
    perturbed = b["alpha"].detach().clone()
    perturbed[1, :, 3:, :] = torch.rand_like(perturbed[1, :, 3:, :])
    perturbed[1, :, 3:, 0] = 0.0  # even exact zeros on padded frames
    assert spatial_loss(perturbed, *args).item() == base.item()
    base.backward()
    assert (b["alpha"].grad[1, :, 3:, :] == 0).all()


def test_minus_one_targets_never_reach_bce():
    # Current PyTorch raises on BCE targets outside [0, 1]; the masked losses must not.
    b = _batch()
    assert (b["beta_star"] == -1).any() and (b["alpha_star"] == -1).any()
    terms = guided_attention_loss(**b, lambdas=(1.0, 1.0))
    assert torch.isfinite(terms.total)
    # Unsupervised targets do not influence the value at all.
    b2 = dict(b)
    b2["alpha_star"] = torch.where(b["alpha_star"] < 0, torch.full_like(b["alpha_star"], 0.5), b["alpha_star"])
    b2["beta_star"] = b["beta_star"].clone()
    terms2 = guided_attention_loss(**b2, lambdas=(1.0, 1.0))
    assert terms2.spat.item() == terms.spat.item()


def test_saturated_probabilities_stay_finite():
    alpha = torch.zeros(1, 1, 2, 6, requires_grad=True)
    alpha_star = torch.tensor([[[1.0, 0, 0, 0, 0, 0]]])
    loss = spatial_loss(alpha, alpha_star, torch.tensor([[True]]), torch.tensor([[True, True]]))
    assert torch.isfinite(loss)
    beta = torch.tensor([[1.0, 0.0]], requires_grad=True)
    loss2 = adaptive_loss(beta, torch.tensor([[0.0, 1.0]]))
    assert torch.isfinite(loss2)
    (loss + loss2).backward()


def test_bad_shapes_raise_m2terror():
    b = _batch()
    b["alpha_star"] = b["alpha_star"][:, :, :5]
    with pytest.raises(M2TError):
        guided_attention_loss(**b)
    with pytest.raises(M2TError):
        guided_attention_loss(**_batch(), lambdas=(1.0,))
