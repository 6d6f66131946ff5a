"""Tests of the caption metrics: parity with pycocoevalcap, protocols, errors, files."""

from __future__ import annotations

import csv
import random
import shutil
import time

import pytest
from pycocoevalcap.bleu.bleu import Bleu
from pycocoevalcap.cider.cider import Cider
from pycocoevalcap.rouge.rouge import Rouge

from m2t_interpret import metrics
from m2t_interpret.errors import M2TError
from m2t_interpret.metrics import (
    CaptionScores,
    caption_scores,
    corpus_bleu4_fast,
    corpus_bleu_fast,
    format_scores,
    normalise_caption,
    prepare_captions,
    read_predictions,
    write_predictions,
    write_scores,
)

# Already normalised (lowercase, no punctuation), so coco's scorers can be fed them directly.
PREDS = {
    "c1": "a person walks forward",
    "c2": "a man waves his right arm",
    "c3": "someone jumps up and down twice",
    "c4": "a person kicks with the left leg",
    "c5": "the person turns around",
    "c6": "a person walks in a circle clockwise",
    "c7": "a figure bends down to pick something up",
    "c8": "a person stands still",
    "c9": "person squats",
}
REFS = {
    "c1": ["a person walks forward", "someone walks straight ahead"],
    "c2": ["a man waves his right arm", "a person waves with the right hand", "a man waves"],
    "c3": ["a person jumps in place", "someone hops up and down", "a man jumps twice",
           "a person jumps up and down two times"],
    "c4": ["a person kicks with his left leg"],
    "c5": ["a person spins around", "the man turns to his left", "someone turns around slowly"],
    "c6": ["a person walks in a circle", "someone walks clockwise in a circle"],
    "c7": ["a person bends over and picks up an object", "someone picks something up from the floor",
           "a person bends down", "a man reaches down to pick up something"],
    "c8": ["the man is standing still", "a person stands"],
    "c9": ["a person does a squat", "someone squats down and stands up again", "a man squats"],
}


def _coco(gts, res):
    bleu, _ = Bleu(4).compute_score(gts, res, verbose=0)
    rouge, _ = Rouge().compute_score(gts, res)
    cider, _ = Cider().compute_score(gts, res)
    return bleu, float(rouge), float(cider)


def _as_coco(preds, refs):
    return {k: list(refs[k]) for k in preds}, {k: [preds[k]] for k in preds}


def test_parity_with_pycocoevalcap():
    scores = caption_scores(PREDS, REFS, meteor=False)
    bleu, rouge, cider = _coco(*_as_coco(PREDS, REFS))
    assert scores.bleu1 == pytest.approx(bleu[0], abs=1e-9)
    assert scores.bleu4 == pytest.approx(bleu[3], abs=1e-9)
    assert scores.rouge_l == pytest.approx(rouge, abs=1e-9)
    assert scores.cider == pytest.approx(cider, abs=1e-9)
    assert scores.n_clips == len(PREDS)
    assert 0 < scores.bleu4 < scores.bleu1 < 1
    assert scores.protocol == "project"


def test_identical_predictions_score_perfect_bleu():
    preds = {k: v[0] for k, v in REFS.items()}
    scores = caption_scores(preds, REFS, meteor=False)
    assert scores.bleu1 == pytest.approx(1.0, abs=1e-6)
    assert scores.bleu4 == pytest.approx(1.0, abs=1e-6)
    assert scores.rouge_l == pytest.approx(1.0, abs=1e-9)


def test_project_protocol_strips_special_tokens_and_punctuation():
    raw_preds = {k: f"<sos> {v.capitalize()}. <eos> <pad> <pad>" for k, v in PREDS.items()}
    raw_preds["c9"] = "person <unk> squats <eos> extra words"
    raw_refs = {k: [r.upper() + "!" for r in v] for k, v in REFS.items()}
    raw_refs["c4"] = ["a person kicks with his <unk> left leg"]
    preds = dict(PREDS)
    preds["c9"] = "person squats"
    a = caption_scores(raw_preds, raw_refs, meteor=False)
    b = caption_scores(preds, REFS, meteor=False)
    for key in ("bleu1", "bleu4", "rouge_l", "cider"):
        assert a[key] == pytest.approx(b[key], abs=1e-12)


def test_normalise_caption():
    assert normalise_caption("The person's counter-clockwise turn, \"fast\"!") == (
        "the person s counter clockwise turn fast"
    )
    assert normalise_caption("<sos>a man<eos><pad>") == "a man"
    assert normalise_caption("a <unk> man", keep_tokens=("<eos>", "<unk>"), append_eos=True) == (
        "a <unk> man <eos>"
    )
    assert normalise_caption("a man <eos> <eos>", keep_tokens=("<eos>",), append_eos=True) == (
        "a man <eos>"
    )


def test_authors_protocol_keeps_eos_and_matches_hand_built_call():
    preds = dict(PREDS)
    preds["c2"] = preds["c2"] + " <eos>"  # already there: not doubled
    refs = {k: list(v) for k, v in REFS.items()}
    refs["c4"] = ["a person kicks with his <unk> leg"]
    scores = caption_scores(preds, refs, protocol="authors", meteor=False)
    gts = {k: [r + " <eos>" for r in refs[k]] for k in PREDS}
    res = {k: [PREDS[k] + " <eos>"] for k in PREDS}
    bleu, rouge, cider = _coco(gts, res)
    assert scores.bleu1 == pytest.approx(bleu[0], abs=1e-9)
    assert scores.bleu4 == pytest.approx(bleu[3], abs=1e-9)
    assert scores.rouge_l == pytest.approx(rouge, abs=1e-9)
    assert scores.cider == pytest.approx(cider, abs=1e-9)
    project = caption_scores(preds, refs, meteor=False)
    assert scores.bleu4 != pytest.approx(project.bleu4, abs=1e-6)
    assert "<eos>" in scores.protocol_description
    assert scores.protocol_description != project.protocol_description


def test_tm2t_protocol_uses_first_three_references():
    refs = {k: v for k, v in REFS.items() if len(v) >= 3}
    preds = {k: PREDS[k] for k in refs}
    gts, res = prepare_captions(preds, refs, "tm2t")
    assert all(len(v) == 3 for v in gts.values())
    assert gts["c3"] == REFS["c3"][:3]
    scores = caption_scores(preds, refs, protocol="tm2t", meteor=False)
    bleu, rouge, cider = _coco({k: refs[k][:3] for k in preds}, {k: [preds[k]] for k in preds})
    assert scores.bleu4 == pytest.approx(bleu[3], abs=1e-9)
    assert scores.cider == pytest.approx(cider, abs=1e-9)
    assert "lemmatis" in scores.protocol_description


def test_tm2t_protocol_rejects_clip_with_fewer_than_three():
    with pytest.raises(M2TError, match="c1"):
        caption_scores(PREDS, REFS, protocol="tm2t", meteor=False)


@pytest.mark.parametrize(
    "preds, refs, pattern",
    [
        ({}, REFS, "no predictions"),
        ({"zz": "a man"}, REFS, "zz"),
        ({"c1": "a man"}, {"c1": []}, "c1"),
        ({"c1": "a man"}, {"c1": ["<eos>", "  "]}, "c1"),
        ({"c1": 3}, REFS, "string"),
    ],
)
def test_bad_input_raises_m2terror(preds, refs, pattern):
    with pytest.raises(M2TError, match=pattern) as info:
        caption_scores(preds, refs, meteor=False)
    assert "\n" not in str(info.value)


def test_unknown_protocol_raises():
    with pytest.raises(M2TError, match="protocol"):
        caption_scores(PREDS, REFS, protocol="mystery", meteor=False)


def test_bertscore_skipped_with_reason(tmp_path):
    scores = caption_scores(PREDS, REFS, meteor=False)
    assert scores.bertscore is None
    assert scores.bertscore_note == "skipped: no --bertscore-model given"
    missing = caption_scores(PREDS, REFS, bertscore_model=tmp_path / "nope", meteor=False)
    assert missing.bertscore is None and missing.bertscore_note.startswith("skipped")
    text = format_scores(scores)
    assert "skipped: no --bertscore-model given" in text
    assert "BERTScore" in text and "n/a" in text


def test_meteor_skipped_without_java(monkeypatch):
    monkeypatch.setattr(metrics.shutil, "which", lambda name: None)
    auto = caption_scores(PREDS, REFS)
    assert auto.meteor is None and "java" in auto.meteor_note
    forced = caption_scores(PREDS, REFS, meteor=True)
    assert forced.meteor is None and "java" in forced.meteor_note
    off = caption_scores(PREDS, REFS, meteor=False)
    assert off.meteor is None and "disabled" in off.meteor_note


@pytest.mark.slow
def test_meteor_float_or_none_with_reason():
    start = time.time()
    scores = caption_scores(PREDS, REFS, meteor=True, meteor_timeout=120)
    if scores.meteor is None:
        assert scores.meteor_note
    else:
        assert 0.0 <= scores.meteor <= 1.0
        assert shutil.which("java") is not None
    assert time.time() - start < 200


def test_format_scores_x100_and_protocol_once():
    scores = caption_scores(PREDS, REFS, meteor=False)
    lines = format_scores(scores).splitlines()
    assert len(lines) == 7  # the protocol once, then one line per metric
    assert scores.protocol_description in lines[0]
    assert sum(scores.protocol_description in line for line in lines) == 1
    assert f"{scores.bleu4 * 100:.1f}" in lines[2]
    frame = scores.to_dataframe()
    assert list(frame["metric"]) == ["BLEU@1", "BLEU@4", "ROUGE-L", "CIDEr", "METEOR", "BERTScore"]
    assert scores.to_dict()["bleu4"] == scores.bleu4


def test_write_scores_csv_and_markdown(tmp_path):
    scores = caption_scores(PREDS, REFS, meteor=False)
    csv_path = write_scores(tmp_path / "s.csv", scores)
    with open(csv_path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert rows[1]["metric"] == "BLEU@4"
    assert float(rows[1]["value"]) == pytest.approx(scores.bleu4, abs=1e-12)
    assert rows[1]["protocol_description"] == scores.protocol_description
    md = write_scores(tmp_path / "s.md", [scores]).read_text()
    assert md.startswith("| Metric |") and f"{scores.cider * 100:.1f}" in md
    with pytest.raises(M2TError):
        write_scores(tmp_path / "s.json", scores)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.csv", "s.md"]


def test_write_predictions_quotes_and_round_trips(tmp_path):
    ids = ["c1", "c2"]
    preds = {"c1": 'a person walks, then says "hi"', "c2": "a man, waving"}
    refs = {"c1": ['someone, "quoted", walks', "a person walks"], "c2": ["a man waves"]}
    path = write_predictions(tmp_path / "p.csv", ids, preds, refs)
    text = path.read_text(encoding="utf-8")
    first_data_line = text.splitlines()[1]
    assert first_data_line.startswith('"c1","a person walks, then says ""hi""",')
    assert text.splitlines()[2].endswith('"a man waves",""')
    got_ids, got_preds, got_refs = read_predictions(path)
    assert got_ids == ids and got_preds == preds and got_refs == refs
    # sequences aligned with ids work too
    path2 = write_predictions(tmp_path / "p2.csv", ids, [preds[i] for i in ids], [refs[i] for i in ids])
    assert path2.read_text(encoding="utf-8") == text
    with pytest.raises(M2TError):
        write_predictions(tmp_path / "p3.csv", ids, ["only one"], refs)


def _random_corpus(rng: random.Random, n_clips: int):
    vocab = [f"w{i}" for i in range(12)]
    preds, refs = [], []
    for _ in range(n_clips):
        preds.append([rng.choice(vocab) for _ in range(rng.randint(0, 12))])
        refs.append(
            [[rng.choice(vocab) for _ in range(rng.randint(1, 12))] for _ in range(rng.randint(1, 4))]
        )
    return preds, refs


@pytest.mark.parametrize("seed", range(8))
def test_corpus_bleu_fast_equals_coco(seed):
    rng = random.Random(seed)
    preds, refs = _random_corpus(rng, rng.randint(1, 30))
    gts = {i: [" ".join(r) for r in rs] for i, rs in enumerate(refs)}
    res = {i: [" ".join(p)] for i, p in enumerate(preds)}
    coco, _ = Bleu(4).compute_score(gts, res, verbose=0)
    fast = corpus_bleu_fast(preds, refs)
    for a, b in zip(fast, coco):
        assert a == pytest.approx(b, abs=1e-6)
    assert corpus_bleu4_fast(preds, refs) == pytest.approx(coco[3], abs=1e-6)


def test_corpus_bleu_fast_on_fixed_sentences_and_token_ids():
    keys = list(PREDS)
    preds = [PREDS[k].split() for k in keys]
    refs = [[r.split() for r in REFS[k]] for k in keys]
    coco, _ = Bleu(4).compute_score(*_as_coco(PREDS, REFS), verbose=0)
    assert corpus_bleu4_fast(preds, refs) == pytest.approx(coco[3], abs=1e-9)
    vocab: dict[str, int] = {}
    ids = lambda toks: [vocab.setdefault(t, len(vocab)) for t in toks]  # noqa: E731
    assert corpus_bleu4_fast([ids(p) for p in preds], [[ids(r) for r in rs] for rs in refs]) == (
        pytest.approx(coco[3], abs=1e-9)
    )
    with pytest.raises(M2TError):
        corpus_bleu4_fast(preds, refs[:-1])
    with pytest.raises(M2TError):
        corpus_bleu4_fast([["a"]], [[]])


def test_caption_scores_is_dict_like():
    scores = caption_scores(PREDS, REFS, meteor=False)
    assert isinstance(scores, CaptionScores)
    assert scores["cider"] == scores.cider
    with pytest.raises(KeyError):
        scores["nope"]


@pytest.mark.skipif(shutil.which("java") is None, reason="needs java")
def test_meteor_timeout_gives_none_with_reason():
    scores = caption_scores(PREDS, REFS, meteor=True, meteor_timeout=0.2)
    assert scores.meteor is None
    assert "timed out" in scores.meteor_note


def test_bertscore_path_with_stub_module(tmp_path, monkeypatch):
    """The bert-score call (local dir, layer 17, idf, multi-reference) without the real package."""
    import sys
    import types

    import torch

    calls = {}

    def fake_score(cands, refs, **kwargs):
        calls.update(kwargs, cands=cands, refs=refs)
        f1 = torch.linspace(0.2, 0.6, len(cands))
        return f1, f1, f1

    fake = types.ModuleType("bert_score")
    fake.__file__ = str(tmp_path / "bert_score" / "__init__.py")
    fake.score = fake_score
    monkeypatch.setitem(sys.modules, "bert_score", fake)
    model_dir = tmp_path / "roberta-large"
    model_dir.mkdir()
    scores = caption_scores(PREDS, REFS, bertscore_model=model_dir, meteor=False)
    assert scores.bertscore == pytest.approx(0.4)
    assert calls["model_type"] == str(model_dir)
    assert calls["num_layers"] == 17 and calls["idf"] is True
    assert calls["rescale_with_baseline"] is False
    assert "baseline rescaling skipped" in scores.bertscore_note
    assert calls["refs"][0] == REFS["c1"] and calls["cands"][0] == PREDS["c1"]

    baseline = tmp_path / "roberta-large.tsv"
    baseline.write_text("LAYER,P,R,F\n")
    scores = caption_scores(
        PREDS, REFS, bertscore_model=model_dir, bertscore_baseline=baseline, meteor=False
    )
    assert calls["rescale_with_baseline"] is True and calls["baseline_path"] == str(baseline)
    assert "rescaled with baseline" in scores.bertscore_note


def test_meteor_is_announced_before_it_runs(monkeypatch):
    said = []
    monkeypatch.setattr(metrics.shutil, "which", lambda name: "/usr/bin/java")
    monkeypatch.setattr(metrics, "_meteor_score", lambda gts, res, timeout: (0.5, "METEOR 1.5 (stub)"))
    scores = caption_scores(PREDS, REFS, log=said.append)
    assert scores.meteor == 0.5
    assert len(said) == 1 and "METEOR" in said[0] and "--no-meteor" in said[0]
