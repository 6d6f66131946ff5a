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
        assert torch.equal(lp[:, t], lp[:, tied_tokens[0]])  # the tie is real
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
