"""The authors' best-first beam search (mode "authors_beam") against their recorded outputs."""

import functools

import pytest
import torch

from m2t_interpret.errors import M2TError
from m2t_interpret.model.authors_beam import (
    authors_beam_search,
    expansion_budget,
    run_authors_beam,
)
from m2t_interpret.model.captioner import EOS, SOS
from m2t_interpret.model.checkpoints import from_authors_checkpoint
from conftest import load_case, tiny_model

CASES = ["h3d_beam", "kit_beam"]
SCORE_TOL = 1e-4


@functools.lru_cache(maxsize=None)
def _setup(name):
    ckpt, case = load_case(name)
    vocab_size = ckpt["model"]["dec.embedding.weight"].shape[0]
    stats = {"mean": case["axis_mean"].tolist(), "std": case["axis_std"].tolist()}
    model = from_authors_checkpoint(ckpt, vocab=[str(i) for i in range(vocab_size)], stats=stats)
    model.eval()
    x, lengths = case["x"].transpose(0, 1), case["src_lens"]
    with torch.inference_mode():
        enc = model.encode(x, lengths)
    return model, enc, case


def _search(model, enc, k, max_steps, full=False):
    with torch.inference_mode():
        if full:
            return run_authors_beam(model, enc, k, max_steps)
        return authors_beam_search(model, enc, k, max_steps)


def _upto_eos(ids):
    ids = [int(i) for i in ids if int(i) >= 0]
    return ids[: ids.index(EOS) + 1] if EOS in ids else ids


@pytest.mark.parametrize("k", [2, 3])
@pytest.mark.parametrize("name", CASES)
def test_matches_authors_best_and_nbest(name, k):
    model, enc, case = _setup(name)
    golden = case["beam"][k]
    out = _search(model, enc, k, int(case["max_steps"]))
    n = enc.parts.shape[0]
    assert out.logits is None
    assert out.tokens.dtype == torch.long and out.tokens.shape[0] == n
    assert torch.equal(out.step_mask, out.tokens >= 0)
    assert out.scores.dtype == torch.float64 and out.scores.shape == (n,)
    for i in range(n):
        assert _upto_eos(out.tokens[i].tolist()) == _upto_eos(golden["best"][i].tolist()), i
        assert abs(float(out.scores[i]) - float(golden["best_score"][i])) < SCORE_TOL, i
        ids = [h[0] for h in out.n_best[i]]
        assert ids == [t.tolist() for t in golden["nbest"][i]], i
        scores = torch.tensor([h[1] for h in out.n_best[i]], dtype=torch.float64)
        torch.testing.assert_close(scores, golden["nbest_scores"][i], atol=SCORE_TOL, rtol=0)
        assert all(h[0][0] == SOS for h in out.n_best[i])


@pytest.mark.parametrize("k", [2, 3])
@pytest.mark.parametrize("name", CASES)
def test_stop_rules_and_budget_match_authors(name, k):
    model, enc, case = _setup(name)
    golden = case["beam"][k]
    assert expansion_budget(k) == golden["budget"]
    res = _search(model, enc, k, int(case["max_steps"]), full=True)
    assert [r.stop for r in res] == list(golden["stop"])
    assert [r.expansions for r in res] == golden["expansions"].tolist()
    assert [r.n_finished for r in res] == golden["n_finished"].tolist()
    for r, logps in zip(res, golden["nbest_logp"]):
        torch.testing.assert_close(torch.tensor([h[2] for h in r.hypotheses], dtype=torch.float64), logps,
                                   atol=SCORE_TOL, rtol=0)


@pytest.mark.parametrize("k", [2, 3])
def test_unfinished_clip_and_single_finished_clip(k):
    """h3d_beam clip 6: budget ran out with nothing finished (k best heap nodes, no <eos>);
    clip 7: one finished hypothesis, returned alone."""
    model, enc, case = _setup("h3d_beam")
    golden = case["beam"][k]
    out = _search(model, enc, k, 100)
    best6 = out.tokens[6][out.tokens[6] >= 0].tolist()
    assert best6 == golden["best"][6].tolist()  # in full: no <eos> to stop the comparison early
    assert EOS not in best6
    assert len(out.n_best[6]) == k and all(h[0][-1] != EOS for h in out.n_best[6])
    assert [h[0] for h in out.n_best[6]] == [t.tolist() for t in golden["nbest"][6]]
    assert len(out.n_best[7]) == 1
    assert out.n_best[7][0][0] == golden["nbest"][7][0].tolist() and out.n_best[7][0][0][-1] == EOS


@pytest.mark.parametrize("k,name", [(2, "h3d_beam"), (3, "kit_beam")])
def test_batch_equals_one_clip_at_a_time(name, k):
    model, enc, case = _setup(name)
    batch = _search(model, enc, k, 100)
    x, lengths = case["x"].transpose(0, 1), case["src_lens"]
    for i in range(enc.parts.shape[0]):
        alone = _search(model, enc.index_select(torch.tensor([i])), k, 100)
        assert alone.n_best[0] and [h[0] for h in alone.n_best[0]] == [h[0] for h in batch.n_best[i]], i
        assert _upto_eos(alone.tokens[0].tolist()) == _upto_eos(batch.tokens[i].tolist())
        for (_, a), (_, b) in zip(alone.n_best[0], batch.n_best[i]):
            assert abs(a - b) < 1e-5
    # A clip encoded on its own frames only (no padding at all) gives the same search.
    for i in (0, int(lengths.argmin())):
        n_frames = int(lengths[i])
        with torch.inference_mode():
            enc_i = model.encode(x[i:i + 1, :n_frames], lengths[i:i + 1])
        alone = _search(model, enc_i, k, 100)
        assert [h[0] for h in alone.n_best[0]] == [h[0] for h in batch.n_best[i]], i


def test_beam_size_one_is_greedy_until_eos_or_max_steps():
    model, enc, case = _setup("h3d_beam")
    res = _search(model, enc, 1, 100, full=True)
    for i, r in enumerate(res):
        assert len(r.hypotheses) == 1
        assert r.hypotheses[0][0] == [SOS] + case["greedy_tokens"][i].tolist(), i
    # Clips whose greedy caption has no <eos> within 100 steps stop at max_steps.
    assert {r.stop for r in res} == {"finished", "max_steps"}
    assert all((r.stop == "max_steps") == (r.expansions == 100) for r in res)


def test_max_steps_binds():
    model, enc, _ = _setup("h3d_beam")
    res = _search(model, enc, 2, 3, full=True)
    again = _search(model, enc, 2, 3, full=True)
    assert [[h[0] for h in r.hypotheses] for r in res] == [[h[0] for h in r.hypotheses] for r in again]
    for r in res:
        assert 1 <= len(r.hypotheses) <= 2
        assert all(len(ids) - 1 <= 3 for ids, _, _ in r.hypotheses)
        assert r.stop in ("finished", "max_steps", "budget")
    # Clip 6 never emits <eos> within the cap: its cut hypotheses are returned.
    assert res[6].stop == "max_steps" and res[6].n_finished == 0
    assert all(len(ids) == 4 and ids[-1] != EOS for ids, _, _ in res[6].hypotheses)
    with pytest.raises(M2TError):
        _search(model, enc, 2, 0)


@pytest.mark.parametrize("bad", [0, -1])
def test_beam_size_below_one_raises(bad):
    model, enc, _ = _setup("kit_beam")
    with pytest.raises(M2TError):
        _search(model, enc, bad, 10)
    with pytest.raises(M2TError):
        _search(model, enc, model.config.vocab_size + 1, 10)


def _tied_model(tied_tokens):
    """A tiny model whose output layer gives ``tied_tokens`` identical logits, far above the rest,
    so every expansion sees exactly equal log-probabilities (the released code's heap raises
    TypeError on the equal keys that follow)."""
    model = tiny_model(seed=3)
    out = model.decoder.output
    with torch.no_grad():
        for t in tied_tokens[1:]:
            out.weight[t] = out.weight[tied_tokens[0]]
            out.bias[t] = out.bias[tied_tokens[0]]
        out.bias[list(tied_tokens)] += 50.0
    x = torch.randn(3, 20, 66, generator=torch.Generator().manual_seed(0))
    lengths = torch.tensor([20, 13, 7])
    with torch.inference_mode():
        enc = model.encode(x, lengths)
        step, _ = model.step(enc, torch.full((3,), SOS), None)
    lp = torch.log_softmax(step.logits[:, 0], -1)
    for t in tied_tokens[1:]:
        # the tie is real, bitwise: identical weight rows and biases, so the same dot product in the
        # same order (a test of tie-breaking needs exact ties; a near tie would not test it)
        assert torch.equal(lp[:, t], lp[:, tied_tokens[0]])
    return model, enc


def test_ties_pop_in_push_order():
    """<eos> and token 5 always tie: each expansion pushes the <eos> child first (lower id) and
    it pops first among equal keys, so the search is breadth-first by push order."""
    model, enc = _tied_model((EOS, 5))
    runs = [_search(model, enc, 2, 10, full=True) for _ in range(2)]
    first, second = ([[h[:2] for h in r.hypotheses] for r in run] for run in runs)
    assert first == second
    for r in runs[0]:
        assert [h[0] for h in r.hypotheses] == [[SOS, EOS], [SOS, 5, EOS]]
        assert r.stop == "finished" and r.expansions == 2


def test_ties_at_the_top_k_boundary_take_lower_ids():
    """Tokens 5, 6, 7 always tie; with k = 2 the children are 5 and 6, never 7. Nothing finishes:
    the budget runs out and the two best heap nodes come back, deterministically."""
    model, enc = _tied_model((5, 6, 7))
    first = _search(model, enc, 2, 200, full=True)
    second = _search(model, enc, 2, 200, full=True)
    assert [[h[:2] for h in r.hypotheses] for r in first] == [[h[:2] for h in r.hypotheses] for r in second]
    for r in first:
        assert r.stop == "budget" and r.expansions == 100 and r.n_finished == 0
        assert len(r.hypotheses) == 2
        for ids, _, _ in r.hypotheses:
            assert set(ids[1:]) <= {5, 6}
    out = _search(model, enc, 2, 200)
    assert [h[0] for h in out.n_best[0]] == [h[0] for h in first[0].hypotheses]


# ---------------------------------------------------------------------------------------------
# The fused inference step, the hooked fallback, and the benchmark's reference search
# ---------------------------------------------------------------------------------------------

def _random_batch(model, n=5, t=24, seed=1):
    g = torch.Generator().manual_seed(seed)
    x = 0.1 * torch.randn(n, t, 3 * model.skeleton.n_joints, generator=g).cumsum(1)
    lengths = torch.randint(t // 2, t + 1, (n,), generator=g)
    lengths[0] = t
    return x * (torch.arange(t)[None, :, None] < lengths[:, None, None]), lengths


@pytest.mark.parametrize("skeleton", ["humanml3d", "kit"])
def test_fused_step_equals_model_step(skeleton):
    from m2t_interpret.model.fused_step import FusedStep

    model = tiny_model(skeleton=skeleton, vocab_size=30, seed=5, hidden=16, embed_dim=8, attn_dim=12)
    x, lengths = _random_batch(model)
    hid = model.config.hidden
    g = torch.Generator().manual_seed(2)
    with torch.inference_mode():
        enc = model.encode(x, lengths)
        fused = FusedStep(model, enc)
        for rows in ([0, 1, 2, 3, 4], [1, 3], [4]):
            m = len(rows)
            tokens = torch.randint(0, 30, (m,), generator=g)
            state = 0.5 * torch.randn(m, 4 * hid, generator=g)
            new_state = torch.empty(m, 4 * hid)
            fused.select(rows)
            logits = fused(tokens, state, new_state)
            hs = [state[:, j * hid:(j + 1) * hid].unsqueeze(0) for j in range(4)]
            out, ref_state = model.step(enc.index_select(torch.tensor(rows)), tokens, ((hs[0], hs[1]), (hs[2], hs[3])))
            torch.testing.assert_close(logits, out.logits[:, 0], atol=1e-5, rtol=1e-5)
            ref_flat = torch.cat([ref_state[0][0][0], ref_state[0][1][0], ref_state[1][0][0], ref_state[1][1][0]], 1)
            torch.testing.assert_close(new_state, ref_flat, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("k,name", [(2, "h3d_beam"), (3, "kit_beam")])
def test_search_with_hooks_uses_the_model_step_and_agrees(name, k):
    """With a hook registered (here an identity replacement of β̂) the search steps through
    model.step, so replacements act on it; an identity hook gives the fused path's result."""
    from m2t_interpret.model.fused_step import hooks_active

    model, enc, case = _setup(name)
    calls = []
    with model.hooks(replace={"beta": lambda b: calls.append(1) or b}):
        assert hooks_active(model)
        hooked = _search(model, enc, k, 100, full=True)
    assert calls  # the hook saw the search's steps
    assert not hooks_active(model)
    fused = _search(model, enc, k, 100, full=True)
    for a, b in zip(hooked, fused):
        assert [h[0] for h in a.hypotheses] == [h[0] for h in b.hypotheses]
        assert (a.stop, a.expansions, a.n_finished) == (b.stop, b.expansions, b.n_finished)
        for ha, hb in zip(a.hypotheses, b.hypotheses):
            assert abs(ha[1] - hb[1]) < 1e-5


def test_pinned_beta_changes_the_search():
    """decode(beta=1.0) pins β̂ inside the search as well, not only in the replay."""
    model, enc, case = _setup("h3d_beam")
    x, lengths = case["x"].transpose(0, 1), case["src_lens"]
    free = model.decode(x, lengths, mode="authors_beam", beam_size=2, capture=False)
    pinned = model.decode(x, lengths, mode="authors_beam", beam_size=2, capture=False, beta=1.0)
    with model.hooks(replace={"beta": 1.0}):
        direct = _search(model, enc, 2, 100)
    assert [[h[0] for h in c] for c in pinned.n_best] == [[h[0] for h in c] for c in direct.n_best]
    assert [[h[0] for h in c] for c in pinned.n_best] != [[h[0] for h in c] for c in free.n_best]


@pytest.mark.parametrize("skeleton,eos_bias", [("humanml3d", 0.0), ("humanml3d", 0.4), ("kit", 0.3)])
def test_benchmark_reference_beam_equals_authors_beam(skeleton, eos_bias):
    """bench/reference_captioner.py's one-hypothesis-per-step search (both its cost models)
    returns the same n-best lists as mode="authors_beam" on a small seeded model. The <eos> biases
    give every stop rule: budget with nothing finished (0.0), budget with some finished and
    finished (0.4, 0.3)."""
    import sys
    from pathlib import Path

    bench = str(Path(__file__).resolve().parent.parent / "bench")
    if bench not in sys.path:
        sys.path.insert(0, bench)
    from reference_captioner import ReferenceCaptioner

    model = tiny_model(skeleton=skeleton, vocab_size=40, seed=7, hidden=16, embed_dim=8, attn_dim=12)
    with torch.no_grad():
        model.decoder.output.weight.mul_(3)
        model.decoder.output.bias[EOS] += eos_bias
    ref = ReferenceCaptioner.from_state_dict(model.state_dict())
    x, lengths = _random_batch(model, n=4, t=20, seed=3)
    x_tf = x.transpose(0, 1).contiguous()
    for k in (2, 3):
        ours = model.decode(x, lengths, mode="authors_beam", beam_size=k, capture=False)
        for all_columns in (False, True):
            theirs = ref.authors_beam(x_tf, lengths, k, all_columns=all_columns)
            for i in range(len(lengths)):
                assert [h[0] for h in theirs[i]] == [h[0] for h in ours.n_best[i]], (k, all_columns, i)
                for (_, a), (_, b) in zip(theirs[i], ours.n_best[i]):
                    assert abs(a - b) < 1e-5


@pytest.mark.parametrize("keep_logits", [True, False])
@pytest.mark.parametrize("k,name", [(2, "h3d_beam"), (3, "kit_beam")])
def test_traced_capture_equals_the_replay(name, k, keep_logits):
    """decode(mode="authors_beam") records the best hypothesis's attention during the search; it
    equals the forced replay of the best captions (the path taken when a hook point outside the
    traced ones is recorded) within float rounding, padded steps included."""
    import numpy as np

    model, _, case = _setup(name)
    x, lengths = case["x"].transpose(0, 1), case["src_lens"]
    kw = dict(mode="authors_beam", beam_size=k, keep_logits=keep_logits, top_k=4)
    traced = model.decode(x, lengths, **kw)
    replayed = model.decode(x, lengths, record=("alpha", "gamma", "window", "mu", "sigma", "beta", "context"), **kw)
    assert "context" in replayed.extra and not traced.extra
    np.testing.assert_array_equal(traced.tokens, replayed.tokens)
    assert traced.n_best == replayed.n_best and traced.tokens.shape == replayed.tokens.shape
    m = traced.step_mask
    for name_, atol in (("alpha", 1e-5), ("gamma", 1e-5), ("window", 1e-5), ("beta", 1e-5), ("mu", 1e-4),
                        ("sigma", 1e-4), ("log_probs", 1e-4), ("topk_log_probs", 1e-4)):
        a, b = getattr(traced, name_), getattr(replayed, name_)
        assert a.shape == b.shape, name_
        np.testing.assert_allclose(a[m], b[m], atol=atol, err_msg=name_)
        np.testing.assert_array_equal(np.isnan(a[~m]) if a.dtype.kind == "f" else a[~m],
                                      np.isnan(b[~m]) if b.dtype.kind == "f" else b[~m])
    np.testing.assert_array_equal(traced.topk_ids[m], replayed.topk_ids[m])
    assert (traced.logits is None) == (not keep_logits)
    if keep_logits:
        np.testing.assert_allclose(traced.logits[m], replayed.logits[m], atol=1e-4)
    off = model.decode(x, lengths, capture=False, **kw)  # no replay either; same tokens and scores
    np.testing.assert_array_equal(off.tokens, traced.tokens)
    np.testing.assert_allclose(off.log_probs[m], traced.log_probs[m], atol=1e-6)
