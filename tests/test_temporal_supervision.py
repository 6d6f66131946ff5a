"""Temporal supervision: clause order from caption text, segment tables (synthetic, BABEL), the two
temporal losses and their wiring into training."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from m2t_interpret.data.babel import babel_segment_rows, read_babel, read_index, sequence_key
from m2t_interpret.data.clause_order import step_units, temporal_units
from m2t_interpret.data.segments import Segment, match_caption, read_segments, step_segments
from m2t_interpret.errors import M2TError
from m2t_interpret.result import HALF_WIDTH
from m2t_interpret.training.losses import clause_order_loss, guided_attention_loss, segment_loss, window_edges


def units(text: str, tags=None) -> list[int]:
    return temporal_units(text.split(), tags)[0].tolist()


# --------------------------------------------------------------------------------------------
# clause order from the text
# --------------------------------------------------------------------------------------------

def test_sequence_words_order_clauses_in_time():
    assert units("a person walks forward then waves his left hand") == [0, 0, 0, 0, -1, 1, 1, 1, 1]
    assert units("a man jogs and after that kicks then bows") == [0, 0, 0, -1, -1, -1, 1, -1, 2]
    assert temporal_units("someone bows".split())[1] == 1


def test_after_reverses_and_before_keeps_the_order():
    # "B after A-ing": A happened first
    assert units("a man waves after walking forward") == [1, 1, 1, -1, 0, 0]
    assert units("a person kicks before turning around") == [0, 0, 0, -1, 1, 1]
    # chains: "A then B after C-ing" → A, C, B
    assert units("a man sits then bows after jumping") == [0, 0, 0, -1, 2, -1, 1]


def test_together_words_and_verbless_pieces_share_a_unit():
    tags = "DET NOUN VERB ADV CCONJ VERB ADV ADV VERB ADV CCONJ ADV".split()
    got = units("someone squats down and stands up and then jumps up and down", tags)
    assert got == [0, 0, 0, -1, 0, 0, -1, -1, 1, 1, -1, 1]
    assert units("a person walks while waving") == [0, 0, 0, -1, 0]


def test_step_units_keep_motion_words_only():
    words = "a person walks then waves".split()
    beta = np.array([0, 0, 1, 0, 1, 1], dtype=np.float32)  # the last step predicts <eos>
    got, k = step_units(words, None, beta)
    assert got.tolist() == [-1, -1, 0, -1, 1, -1] and k == 2 and got.dtype == np.int8


# --------------------------------------------------------------------------------------------
# segment tables
# --------------------------------------------------------------------------------------------

def test_read_segments_checks_every_row(tmp_path):
    good = tmp_path / "s.csv"
    good.write_text("clip_id,start_s,end_s,text,caption\n000001,0.5,2.0,walks forward,\nM000001,0,1,waves,a b\n")
    table = read_segments(good)
    assert table["000001"] == [Segment(0.5, 2.0, "walks forward", "")] and table["M000001"][0].caption == "a b"
    cases = {
        "clip_id,start_s,text\nx,1,walk\n": "lacks the column\\(s\\) end_s",
        "clip_id,start_s,end_s,text\nx,2,1,walk\n": "line 2: a segment needs 0 ≤ start_s < end_s",
        "clip_id,start_s,end_s,text\nx,a,1,walk\n": "line 2: start_s and end_s must be numbers",
        "clip_id,start_s,end_s,text\nx,0,1,\n": "line 2: empty text",
        "clip_id,start_s,end_s,text\n": "holds no segments",
    }
    for body, message in cases.items():
        bad = tmp_path / "bad.csv"
        bad.write_text(body)
        with pytest.raises(M2TError, match=message):
            read_segments(bad)
    with pytest.raises(M2TError, match="segment table not found"):
        read_segments(tmp_path / "nope.csv")


def test_match_prefers_the_caption_own_rows_then_a_run_then_a_clause():
    words = "a person walks forward then waves his left hand".split()
    caption = " ".join(words)
    own = [Segment(0.0, 2.0, "walks forward", caption), Segment(2.0, 4.0, "waves his left hand", caption),
           Segment(0.0, 4.0, "walks forward", "another caption")]
    got = match_caption(words, caption, own)
    assert [(s.start_s, idx) for s, idx in got] == [(0.0, [2, 3]), (2.0, [5, 6, 7, 8])]
    # labels that are not caption words (BABEL): the clause sharing most stems
    labels = [Segment(0.0, 2.0, "walk"), Segment(2.0, 4.0, "wave left hand"), Segment(1.0, 3.0, "dance")]
    got = match_caption(words, caption, labels)
    assert [(s.text, idx) for s, idx in got] == [("walk", [0, 1, 2, 3]), ("wave left hand", [5, 6, 7, 8])]


def test_step_segments_are_model_frames_on_motion_words():
    words = "a person walks then waves".split()
    beta = np.array([0, 0, 1, 0, 1, 1], dtype=np.float32)
    segs = [Segment(0.0, 2.05, "walks"), Segment(2.05, 4.05, "waves")]
    out = step_segments(words, " ".join(words), segs, beta, fps=20.0, downsample=2, n_frames=40)
    assert np.isnan(out[[0, 1, 3, 5]]).all()
    # seconds → model frames: (t·fps − d + 1) / d, clipped to the clip's frames
    np.testing.assert_allclose(out[2], [0.0, (2.05 * 20 - 1) / 2])
    np.testing.assert_allclose(out[4], [(2.05 * 20 - 1) / 2, 39.0])
    shifted = step_segments(words, " ".join(words), segs, beta, 20.0, 2, 40, offset_s=2.05)
    assert np.isnan(shifted[2]).all()  # the first segment lies before this sub-clip


def test_synth_writes_segments_for_the_training_split_only(tmp_path):
    from m2t_interpret.data.synthetic import generate_corpus
    from m2t_interpret.data.synthetic.corpus import load_actions, load_split

    root = generate_corpus(tmp_path / "c", n_train=4, n_val=1, n_test=2, seed=5, progress=False)
    table = read_segments(root / "segments.csv")
    assert set(table) == set(load_split(root, "train"))
    actions = load_actions(root).set_index(["clip_id", "action_idx"])
    for cid, segs in table.items():
        captions = (root / "texts" / f"{cid}.txt").read_text().splitlines()
        texts = {line.split("#")[0] for line in captions}
        n_actions = len(actions.loc[cid])
        assert len(segs) == n_actions * len(captions)
        for seg in segs:
            assert seg.caption in texts and seg.text in seg.caption
            assert math.isclose(seg.start_s, actions.loc[cid]["start_s"].round(4)
                                .sub(seg.start_s).abs().min() + seg.start_s)


# --------------------------------------------------------------------------------------------
# BABEL → segment table
# --------------------------------------------------------------------------------------------

def test_babel_and_humanml3d_index_make_a_segment_table(tmp_path):
    babel = {
        "7": {"babel_sid": 7, "feat_p": "CMU/CMU/86/86_05_poses.npz", "dur": 20.0,
              "seq_ann": {"labels": [{"proc_label": "walk and wave"}]},
              "frame_ann": {"labels": [
                  {"proc_label": "walk", "raw_label": "walking", "start_t": 0.0, "end_t": 6.0},
                  {"proc_label": "wave left hand", "raw_label": "waving", "start_t": 6.0, "end_t": 9.5},
                  {"proc_label": "stand", "raw_label": "stand", "start_t": 15.0, "end_t": 20.0}]}},
        "8": {"babel_sid": 8, "feat_p": "Eyes_Japan_Dataset/Eyes_Japan_Dataset/yamaoka/tennis-15-first service"
                                         "-yamaoka_poses.npz", "dur": 30.0, "frame_ann": None,
              "seq_ann": {"labels": [{"proc_label": "tennis serve"}]}},
    }
    (tmp_path / "train.json").write_text(json.dumps(babel))
    (tmp_path / "index.csv").write_text(
        "source_path,start_frame,end_frame,new_name\n"
        "./pose_data/CMU/86/86_05_poses.npy,40,200,000001.npy\n"
        "./pose_data/Eyes_Japan_Dataset/yamaoka/tennis-15-first service-yamaoka_poses.npy,149,320,012314.npy\n"
        "./pose_data/humanact12/humanact12/P01G01R01F0001T0064A0101.npy,0,60,000002.npy\n")
    assert sequence_key(babel["7"]["feat_p"]) == sequence_key("./pose_data/CMU/86/86_05_poses.npy")
    rows = babel_segment_rows(read_babel([tmp_path / "train.json"]), read_index(tmp_path / "index.csv"))
    by_clip = {}
    for r in rows:
        by_clip.setdefault(r["clip_id"], []).append((round(r["start_s"], 3), round(r["end_s"], 3), r["text"]))
    # clip 000001 = seconds [2, 10) of the sequence: walk cut to [0, 4), wave [4, 7.5); stand is outside
    assert by_clip["000001"] == [(0.0, 4.0, "walk"), (4.0, 7.5, "wave left hand")]
    assert by_clip["M000001"][1] == (4.0, 7.5, "wave right hand")
    # Eyes Japan sequences lost their first 3 s in HumanML3D: the whole-sequence label covers the clip
    assert by_clip["012314"] == [(0.0, 8.55, "tennis serve")]
    assert "000002" not in by_clip  # HumanAct12 has no AMASS source
    only = babel_segment_rows(read_babel([tmp_path / "train.json"]), read_index(tmp_path / "index.csv"),
                              ids=["012314"], mirrors=False)
    assert {r["clip_id"] for r in only} == {"012314"}


def test_babel_cli_writes_a_table_train_reads(tmp_path, capsys):
    from m2t_interpret.cli import main

    (tmp_path / "b.json").write_text(json.dumps({"1": {"feat_p": "KIT/KIT/3/walk_poses.npz", "dur": 4.0,
                                                       "frame_ann": {"labels": [{"proc_label": "walk", "start_t": 0,
                                                                                 "end_t": 2}]}}}))
    (tmp_path / "index.csv").write_text("source_path,start_frame,end_frame,new_name\n"
                                        "./pose_data/KIT/3/walk_poses.npy,0,80,000005.npy\n")
    out = tmp_path / "segments.csv"
    assert main(["data", "babel-segments", str(tmp_path / "b.json"), "--index", str(tmp_path / "index.csv"),
                 "--out", str(out)]) == 0
    assert "2 segments of 2 clips" in capsys.readouterr().out
    assert read_segments(out)["000005"] == [Segment(0.0, 2.0, "walk", "")]
    (tmp_path / "notes.csv").write_text("mine\n")
    assert main(["data", "babel-segments", str(tmp_path / "b.json"), "--index", str(tmp_path / "index.csv"),
                 "--out", str(tmp_path / "notes.csv")]) == 2
    assert (tmp_path / "notes.csv").read_text() == "mine\n"


# --------------------------------------------------------------------------------------------
# the losses
# --------------------------------------------------------------------------------------------

def _window(centres, halves, length):
    """μ, σ (1, S) whose interval is centre ± half (fractions of the clip)."""
    span = length - 1
    mu = torch.tensor([centres], dtype=torch.float64) * span
    sigma = torch.tensor([halves], dtype=torch.float64) * span / HALF_WIDTH
    return mu.requires_grad_(), sigma.requires_grad_()


def test_order_loss_is_zero_for_ordered_windows_that_tile_the_clip():
    lengths = torch.tensor([51])
    units = torch.tensor([[0, 0, 1, -1]])
    mu, sigma = _window([0.25, 0.25, 0.75, 0.1], [0.25, 0.25, 0.25, 0.05], 51)
    loss, n = clause_order_loss(mu, sigma, lengths, units)
    assert n == 1 and float(loss.detach()) == pytest.approx(0.0, abs=1e-12)
    # swapped order: the hinge and the tiling both complain, and the gradient moves the centres apart
    mu, sigma = _window([0.75, 0.75, 0.25, 0.1], [0.25, 0.25, 0.25, 0.05], 51)
    loss, _ = clause_order_loss(mu, sigma, lengths, units)
    loss.backward()
    assert float(loss.detach()) > 0.5 and float(mu.grad[0, 0]) > 0 > float(mu.grad[0, 2])
    assert float(mu.grad[0, 3]) == 0.0  # a step without a unit is not supervised


def test_order_loss_pulls_the_words_of_one_unit_together():
    lengths = torch.tensor([41])
    mu, sigma = _window([0.3, 0.7], [0.5, 0.5], 41)
    loss, _ = clause_order_loss(mu, sigma, lengths, torch.tensor([[0, 0]]))
    loss.backward()
    assert float(loss.detach()) > 0 and float(mu.grad[0, 0]) < 0 < float(mu.grad[0, 1])


def test_segment_loss_measures_the_interval_edges():
    lengths = torch.tensor([41])
    mu, sigma = _window([0.25, 0.6], [0.25, 0.1], 41)
    target = torch.tensor([[[0.0, 20.0], [float("nan")] * 2]], dtype=torch.float64)
    loss, n = segment_loss(mu, sigma, lengths, target)
    assert n == 1 and float(loss.detach()) == pytest.approx(0.0, abs=1e-12)
    target[0, 0] = torch.tensor([4.0, 24.0])  # 0.1 of the clip later on both edges
    loss, _ = segment_loss(mu, sigma, lengths, target)
    assert float(loss.detach()) == pytest.approx(2 * (0.1 - 0.01), rel=1e-6)  # smooth L1 beyond beta = 0.02, per edge
    start, end = window_edges(mu, sigma, lengths)
    assert float(start[0, 0].detach()) == pytest.approx(0.0) and float(end[0, 1].detach()) == pytest.approx(0.7)


def test_temporal_terms_join_the_total_only_with_their_lambda():
    torch.manual_seed(0)
    n, s, t, v = 2, 4, 7, 9
    kw = dict(logits=torch.randn(n, s, v), targets=torch.randint(4, v, (n, s)),
              alpha=torch.softmax(torch.randn(n, s, t, 6), -1), frame_mask=torch.ones(n, t, dtype=torch.bool),
              beta=torch.rand(n, s), beta_star=torch.full((n, s), -1.0), alpha_star=torch.zeros(n, s, 6),
              alpha_supervised=torch.zeros(n, s, dtype=torch.bool), lambdas=(0.0, 0.0))
    mu, sigma = torch.rand(n, s) * 6, torch.rand(n, s) + 0.5
    temporal = dict(mu=mu, sigma=sigma, lengths=torch.tensor([7, 7]), units=torch.tensor([[0, 0, 1, 1]] * 2),
                    segments=torch.tensor([[[0.0, 3.0]] * s] * n))
    plain = guided_attention_loss(**kw)  # no tensor here needs a gradient
    off = guided_attention_loss(**kw, **temporal)
    on = guided_attention_loss(**kw, **temporal, temporal_lambdas=(2.0, 3.0))
    assert float(off.total) == pytest.approx(float(plain.total))
    assert off.n_order == 2 and off.n_segment == 8 and float(off.order) > 0 and float(off.segment) > 0
    assert float(on.total) == pytest.approx(float(plain.total) + 2 * float(on.order) + 3 * float(on.segment))
    with pytest.raises(M2TError, match="needs mu, sigma"):
        guided_attention_loss(**kw, temporal_lambdas=(1.0, 0.0))


def test_training_with_temporal_terms_runs_and_logs_them(tmp_path):
    from m2t_interpret.data.synthetic import generate_corpus
    from m2t_interpret.training.config import load_config
    from m2t_interpret.training.trainer import train

    root = generate_corpus(tmp_path / "c", n_train=8, n_val=2, n_test=0, seed=3, progress=False)
    cfg = load_config("synthetic", data=str(root), hidden=16, embed_dim=8, attn_dim=12, epochs=1, batch_size=16,
                      lambda_order=1.0, lambda_segment=2.0, segments="auto")
    lines = []
    res = train(cfg, tmp_path / "run", progress=False, log=lines.append)
    assert any(line.startswith("segments: ") and "of 16 of 16 training motions" in line for line in lines)
    log = (tmp_path / "run" / "log.csv").read_text().splitlines()
    header, row = log[0].split(","), dict(zip(log[0].split(","), log[1].split(",")))
    assert "order" in header and float(row["order"]) > 0 and float(row["segment"]) > 0
    ckpt = torch.load(res.model_path, weights_only=False)
    assert ckpt["training"]["segments"] == "auto" and ckpt["training"]["temporal_lambdas"] == [1.0, 2.0]


def test_config_refuses_a_segment_loss_without_a_table_and_a_table_without_its_loss():
    from m2t_interpret.training.config import load_config

    with pytest.raises(M2TError, match="needs a segment table"):
        load_config("synthetic", lambda_segment=1.0)
    with pytest.raises(M2TError, match="read only for the segment loss"):
        load_config("synthetic", segments="auto")
    with pytest.raises(M2TError, match="lambda_order must be a finite number ≥ 0"):
        load_config("synthetic", lambda_order=-1.0)


def test_rank_slices_of_a_batch_add_up_to_its_gradient_in_float64(tmp_path):
    """The data-parallel decomposition of every term, temporal ones included: each slice's mean
    weighted by its count·N/n and averaged over N slices is the global-batch mean, so the averaged
    gradients equal the one-process gradient (float64, so only the algebra is tested)."""
    from m2t_interpret.data.synthetic import generate_corpus
    from m2t_interpret.training.config import load_config
    from m2t_interpret.training.data import load_prepared
    from conftest import tiny_model

    root = generate_corpus(tmp_path / "c", n_train=10, n_val=2, n_test=0, seed=4, progress=False)
    cfg = load_config("synthetic", data=str(root), lambda_order=1.0, lambda_segment=2.0, segments="auto")
    _, vocab, stats, split, _ = load_prepared(root, cfg, progress=False, log=lambda s: None)
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # the model, the batches and every intermediate
    try:
        _check_slices_add_up(tiny_model(vocab_size=len(vocab), seed=1), split, cfg)
    finally:
        torch.set_default_dtype(previous)


def _check_slices_add_up(model, split, cfg) -> None:
    from m2t_interpret.training.data import collate, rank_slice
    from m2t_interpret.training.losses import LossTerms, weighted_total
    from m2t_interpret.training.trainer import batch_loss

    assert next(model.parameters()).dtype == torch.float64
    pairs = np.arange(len(split.pair_ids))[:9]
    names = ("lang", *LossTerms.TERMS)
    kw = dict(lambdas=cfg.lambdas, teacher_forcing=1.0, temporal_lambdas=cfg.temporal_lambdas,
              order_margin=cfg.order_margin)

    def grads(loss):
        model.zero_grad()
        loss.backward()
        return [p.grad.clone() if p.grad is not None else torch.zeros_like(p) for p in model.parameters()]

    whole = batch_loss(model, collate(split, pairs), **kw)
    assert whole.n_order > 0 and whole.n_segment > 0
    expected = grads(whole.total)
    slices = [batch_loss(model, collate(split, rank_slice(pairs, r, 2)), **kw) for r in range(2)]
    totals = {k: sum(t.counts()[k] for t in slices) for k in names}
    got = None
    for terms in slices:
        scaled = [getattr(terms, k) * (terms.counts()[k] * 2 / totals[k]) for k in names]
        g = grads(weighted_total(scaled[0], scaled[1:], list(terms.weights.values())))
        got = g if got is None else [a + b for a, b in zip(got, g)]
    diff = max(float((a / 2 - b).abs().max()) for a, b in zip(got, expected))
    assert diff < 1e-12
