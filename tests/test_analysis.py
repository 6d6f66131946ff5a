"""Known-answer tests of every analysis on hand-built captures with hand-built ground truth.

The capture is built directly (no model): HumanML3D skeleton (20 fps, downsample 2), one clip of
40 model frames (4 s) per caption, forced decoding on the caption. Each motion word's action covers
model frames [a, b]; its Gaussian window is placed so that the interval μ ± σ·√(2 ln 2) is exactly
[a, b], and α is one-hot on a chosen part.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from m2t_interpret import analysis as A
from m2t_interpret.errors import M2TError
from m2t_interpret.result import CaptureResult
from m2t_interpret.skeletons import HUMANML3D, PARTS, mirror_part

T = 40
FPS, D = 20.0, 2
VOCAB = ["<pad>", "<sos>", "<eos>", "<unk>", "a", "man", "waves", "left", "hand", "then", "kicks", "right", "leg",
         "walks", "forward", "jumps", "up"]
#: clip id → caption words with, per word, (action index or None)
CLIPS = {
    "c0": [("a", None), ("man", None), ("waves", 0), ("left", 0), ("hand", 0), ("then", None), ("kicks", 1),
           ("right", 1), ("leg", 1)],
    "c1": [("a", None), ("man", None), ("walks", 0), ("forward", 0)],
    "c2": [("a", None), ("man", None), ("jumps", 0), ("up", 0), ("then", None), ("waves", 1), ("right", 1),
           ("hand", 1)],
}
#: clip id → actions: (name, active parts, first model frame, last model frame)
ACTIONS = {
    "c0": [("wave_left", ("left_arm",), 2, 17), ("kick_right", ("right_leg",), 22, 37)],
    "c1": [("walk_forward", ("root", "left_arm", "right_arm", "left_leg", "right_leg"), 0, 39)],
    "c2": [("jump", ("root", "left_leg", "right_leg"), 4, 19), ("wave_right", ("right_arm",), 24, 35)],
}


def seconds(frame):
    return (frame * D + D - 1) / FPS


def ground_truth() -> pd.DataFrame:
    rows = []
    for cid, words in CLIPS.items():
        for ti, (w, a) in enumerate(words):
            row = {"clip_id": cid, "caption_idx": 0, "token_idx": ti, "word": w, "pos": "X", "is_motion": a is not None,
                   "action_idx": -1, "action": "", "start_frame": -1, "end_frame": -1, "start_s": np.nan,
                   "end_s": np.nan, **{f"active_{p}": False for p in PARTS}}
            if a is not None:
                name, active, lo, hi = ACTIONS[cid][a]
                row.update(action_idx=a, action=name, start_s=seconds(lo), end_s=seconds(hi),
                           start_frame=int(lo * D + D - 1), end_frame=int(hi * D + D - 1),
                           **{f"active_{p}": p in active for p in PARTS})
            rows.append(row)
    return pd.DataFrame(rows)


def build_capture(part_of=lambda active: active[0], beta_of=lambda motion: 1.0 if motion else 0.0,
                  uniform: bool = False, window_of=None) -> CaptureResult:
    """Forced capture of the three captions (+ <eos>); α one-hot on ``part_of(active parts)``."""
    n, s = len(CLIPS), max(len(w) for w in CLIPS.values()) + 1
    index = {w: i for i, w in enumerate(VOCAB)}
    targets = np.zeros((n, s), np.int64)
    mask = np.zeros((n, s), bool)
    alpha = np.zeros((n, s, T, 6), np.float32)
    window = np.zeros((n, s, T), np.float32)
    mu = np.full((n, s), np.nan, np.float32)
    sigma = np.full((n, s), np.nan, np.float32)
    beta = np.full((n, s), np.nan, np.float32)
    frames = np.arange(T)
    half = math.sqrt(2 * math.log(2))
    for c, (cid, words) in enumerate(CLIPS.items()):
        for t, (w, a) in enumerate(words + [("<eos>", None)]):
            targets[c, t], mask[c, t] = index[w], True
            if a is not None:
                _, active, lo, hi = ACTIONS[cid][a]
                m, sg = (lo + hi) / 2, (hi - lo) / (2 * half)
                part = part_of(active)
            else:
                m, sg, part = (T - 1) / 2, 8.0, "torso"
            if window_of is not None:
                m, sg = window_of(m, sg)
            mu[c, t], sigma[c, t] = m, sg
            window[c, t] = np.exp(-((frames - m) ** 2) / (2 * sg**2))
            col = HUMANML3D.part_names.index(part)  # α is in checkpoint order
            if uniform:
                alpha[c, t] = 1 / 6
            else:
                alpha[c, t, :, col] = 1.0
            beta[c, t] = beta_of(a is not None)
    return CaptureResult(
        mode="forced", clip_ids=list(CLIPS), tokens=targets.copy(), targets=targets, step_mask=mask,
        lengths=np.full(n, T), vocab=VOCAB, skeleton="humanml3d", fps=FPS, downsample=D, alpha=alpha,
        gamma=np.divide(window, window.sum(-1, keepdims=True), out=np.zeros_like(window),
                        where=window.sum(-1, keepdims=True) > 0), window=window, mu=mu, sigma=sigma, beta=beta,
        log_probs=np.where(mask, -0.5, np.nan), references=[[" ".join(w for w, _ in ws)] for ws in CLIPS.values()],
    )


@pytest.fixture(scope="module")
def gt():
    return ground_truth()


def table_of(capture, gt):
    return A.token_table(capture, gt=gt)


# ---------------------------------------------------------------------------------------------
# time conversions
# ---------------------------------------------------------------------------------------------

def test_time_conversions_are_stated_once_and_invert():
    cap = build_capture()
    assert cap.model_frame_to_seconds(0) == pytest.approx(1 / 20)  # model frame 0 = original frame 1
    assert cap.model_frame_to_seconds(10) == pytest.approx(21 / 20)
    x = np.array([0.0, 3.5, 39.0])
    np.testing.assert_allclose(cap.seconds_to_model_frame(cap.model_frame_to_seconds(x)), x)
    start, end = cap.intervals()
    # interval = exactly the action's frames by construction
    assert start[0, 2] == pytest.approx(2) and end[0, 2] == pytest.approx(17)


# ---------------------------------------------------------------------------------------------
# body parts
# ---------------------------------------------------------------------------------------------

def test_attention_on_the_true_part_scores_one(gt):
    pred = A.part_predictions(table_of(build_capture(), gt))
    assert len(pred) == 13  # every motion word (3 + 3 + 2 + 2 + 3)
    assert pred["pointing"].eq(1.0).all()
    np.testing.assert_allclose(pred["correctness"], 1.0, atol=1e-6)
    scores = A.part_scores(pred)
    assert scores.loc[scores["name"] == "all motion words", "pointing"].item() == 1.0


def test_uniform_attention_scores_the_chance_level(gt):
    pred = A.part_predictions(table_of(build_capture(uniform=True), gt))
    np.testing.assert_allclose(pred["pointing"], pred["chance"])
    np.testing.assert_allclose(pred["correctness"], pred["chance"], atol=1e-6)
    one = pred[pred["category"] == "one part"]
    np.testing.assert_allclose(one["pointing"], 1 / 6)
    whole = pred[pred["category"] == "whole body"]
    np.testing.assert_allclose(whole["pointing"], 5 / 6)


def test_left_right_swap_scores_zero_on_lateral_words(gt):
    swapped = build_capture(part_of=lambda active: mirror_part(active[-1]) if len(active) == 1 else active[0])
    pred = A.part_predictions(table_of(swapped, gt))
    one = pred[pred["category"] == "one part"]
    assert len(one) == 9 and one["pointing"].eq(0.0).all() and one["correctness"].eq(0.0).all()
    conf = A.part_confusion(pred)
    assert conf.loc["left_arm", "right_arm"] == 3 and conf.loc["right_leg", "left_leg"] == 3
    assert conf.loc["right_arm", "left_arm"] == 3 and int(np.trace(conf.to_numpy())) == 0


def test_part_scores_by_category_with_chance_and_best_constant(gt):
    scores = A.part_scores(A.part_predictions(table_of(build_capture(uniform=True), gt)))
    cat = scores[scores["group"] == "category"].set_index("name")
    assert set(cat.index) == {"one part", "several parts", "whole body"}
    assert cat.loc["one part", "chance"] == pytest.approx(1 / 6)
    # one-part words: left_arm ×3, right_leg ×3, right_arm ×3 → best constant answer scores 1/3
    assert cat.loc["one part", "best_constant"] == pytest.approx(1 / 3)
    assert cat.loc["whole body", "best_constant"] == pytest.approx(1.0)


def test_part_columns_are_named_by_part_not_position(gt):
    """α is in checkpoint order (HumanML3D: right arm before left arm); tables name parts."""
    table = table_of(build_capture(), gt)
    row = table[(table["clip_id"] == "c0") & (table["word"] == "waves")].iloc[0]
    assert row["top_part"] == "left_arm" and row["attn_left_arm"] == pytest.approx(1.0)
    assert row["active_left_arm"] == 1.0 and row["active_right_arm"] == 0.0


# ---------------------------------------------------------------------------------------------
# time
# ---------------------------------------------------------------------------------------------

def test_window_on_the_true_segment_scores_one(gt):
    pred = A.temporal_predictions(table_of(build_capture(), gt))
    assert len(pred) == 13
    np.testing.assert_allclose(pred["tiou"], 1.0, atol=1e-6)
    np.testing.assert_allclose(pred["onset_error_s"], 0.0, atol=1e-6)
    assert pred["mu_in_segment"].eq(1.0).all()
    scores = A.temporal_scores(pred, D, FPS)
    model = scores[(scores["clips"] == "all") & (scores["answer"] == "model")].iloc[0]
    assert model["R@1 IoU≥0.7"] == 1.0 and model["mean_tiou"] == pytest.approx(1.0)
    assert set(scores["clips"]) == {"all", "one action", "several actions"}


def test_window_on_the_wrong_segment_scores_zero(gt):
    # centre each window on the opposite end of the clip
    away = build_capture(window_of=lambda m, s: (T - 1 - m if abs(m - (T - 1) / 2) > 5 else m, s))
    pred = A.temporal_predictions(table_of(away, gt))
    multi = pred[pred["n_actions"] > 1]
    assert multi["mu_in_segment"].eq(0.0).all() and (multi["tiou"] < 0.3).all()


def motion_following(capture: CaptureResult) -> CaptureResult:
    """The capture with α, on every step, one-hot on the first active part of the action that runs
    at each frame (torso between actions): attention that follows the motion, not the word."""
    for c, cid in enumerate(CLIPS):
        for t in range(T):
            running = [a for a in ACTIONS[cid] if a[2] <= t <= a[3]]
            part = running[0][1][0] if running else "torso"
            capture.alpha[c, :, t] = 0.0
            capture.alpha[c, :, t, HUMANML3D.part_names.index(part)] = 1.0
    return capture


def test_pointing_by_window_tells_when_errors_from_where_errors(gt):
    # one-part words on clips with several actions: waves/left/hand, kicks/right/leg (c0) and
    # waves/right/hand (c2); α follows the motion, so a window on the other action points wrong
    on = A.pointing_by_window(table_of(motion_following(build_capture()), gt)).set_index("score")
    assert list(on.index) == [A.WINDOW_SPLIT_ROWS[True]]
    assert on["value"].iloc[0] == pytest.approx(1.0) and on["n"].iloc[0] == 9
    assert on["chance"].iloc[0] == pytest.approx(1 / 6)
    away = build_capture(window_of=lambda m, s: (T - 1 - m if abs(m - (T - 1) / 2) > 5 else m, s))
    off = A.pointing_by_window(table_of(motion_following(away), gt)).set_index("score")
    assert list(off.index) == [A.WINDOW_SPLIT_ROWS[False]]
    assert off["value"].iloc[0] == pytest.approx(0.0) and off["n"].iloc[0] == 9


def test_chance_is_a_centred_window_with_the_models_mean_sigma(gt):
    pred = A.temporal_predictions(table_of(build_capture(), gt))
    scores = A.temporal_scores(pred, D, FPS)
    chance = scores[(scores["clips"] == "all") & scores["answer"].str.startswith("chance")].iloc[0]
    centre = seconds((T - 1) / 2)
    expected = np.mean((centre >= pred["gt_start_s"]) & (centre < pred["gt_end_s"]))
    assert chance["mu_in_segment"] == pytest.approx(expected)
    best = scores[(scores["clips"] == "all") & scores["answer"].str.startswith("best constant")].iloc[0]
    assert best["mean_tiou"] >= chance["mean_tiou"] - 1e-9


def test_interval_iou_known_values():
    assert A.interval_iou(0, 2, 1, 3) == pytest.approx(1 / 3)
    assert A.interval_iou(0, 1, 2, 3) == 0.0
    assert A.interval_iou(0, 4, 1, 2) == pytest.approx(0.25)


# ---------------------------------------------------------------------------------------------
# gate
# ---------------------------------------------------------------------------------------------

def test_perfect_gate_scores_auroc_one(gt):
    sep = A.gate_separation(table_of(build_capture(), gt)).iloc[0]
    assert sep["auroc"] == 1.0 and sep["accuracy"] == 1.0 and sep["labels"] == "ground truth"
    assert sep["n_motion"] == 13 and sep["n_non_motion"] == 8


def test_constant_gate_scores_chance_and_reversed_gate_zero(gt):
    assert A.gate_separation(table_of(build_capture(beta_of=lambda m: 0.5), gt)).iloc[0]["auroc"] == 0.5
    rev = A.gate_separation(table_of(build_capture(beta_of=lambda m: 0.0 if m else 1.0), gt)).iloc[0]
    assert rev["auroc"] == 0.0
    errors = A.gate_errors(table_of(build_capture(beta_of=lambda m: 0.0 if m else 1.0), gt), threshold=0.5)
    assert errors["wrong_share"].eq(1.0).all()


def test_auroc_and_best_threshold_match_brute_force():
    rng = np.random.default_rng(0)
    scores = np.round(rng.random(60), 1)
    pos = rng.random(60) < 0.4
    brute = np.mean([(a > b) + 0.5 * (a == b) for a in scores[pos] for b in scores[~pos]])
    assert A.auroc(scores, pos) == pytest.approx(brute)
    tau, acc = A.best_threshold(scores, pos)
    best = max(np.mean((scores >= t) == pos) for t in np.concatenate([scores, [2.0]]))
    assert acc == pytest.approx(best) and np.mean((scores >= tau) == pos) == pytest.approx(acc)


# ---------------------------------------------------------------------------------------------
# densities, histograms, maps, fine-grained captions
# ---------------------------------------------------------------------------------------------

def test_beta_density_integrates_to_one_and_summary_is_exact(gt):
    rng = np.random.default_rng(1)
    table = pd.DataFrame({"word": ["walks"] * 200 + ["the"] * 50, "is_special": False,
                          "beta": np.concatenate([rng.beta(8, 2, 200), rng.beta(1, 9, 50)])})
    table["stem"] = [A.labels.stem(w) for w in table["word"]]
    stems = A.select_stems(table, ["walking", "the"])
    assert stems == ["walk", "the"]
    dens = A.beta_density(table, stems)
    from scipy.stats import gaussian_kde

    for s, g in dens.groupby("stem"):
        area = float(np.sum(np.diff(g["beta"]) * (g["density"].to_numpy()[1:] + g["density"].to_numpy()[:-1]) / 2))
        values = table.loc[table["stem"] == s, "beta"]
        # the grid captures the KDE's mass on [0, 1] (a plain KDE spills a little past the ends)
        assert area == pytest.approx(gaussian_kde(values).integrate_box_1d(0, 1), abs=5e-3), s
    summ = A.beta_summary(table, stems).set_index("stem")
    assert summ.loc["walk", "count"] == 200
    assert summ.loc["walk", "median"] == pytest.approx(np.median(table["beta"][:200]))


def test_unknown_word_lists_the_closest_words(gt):
    table = table_of(build_capture(), gt)
    with pytest.raises(M2TError, match="closest words that do: waves"):
        A.select_stems(table, ["wavez"])
    with pytest.raises(M2TError, match="closest words that do: walks"):
        A.select_stems(table, ["wlak"])


def test_an_unlike_word_still_gets_the_closest_spellings_not_the_alphabet(gt):
    """"zebra" resembles no word much: the hint still ranks the words by spelling (difflib's ratio),
    most alike first, rather than listing the first words of the alphabet."""
    import difflib

    table = table_of(build_capture(), gt)
    present = set(table.loc[~table["is_special"], "word"])
    with pytest.raises(M2TError) as err:
        A.select_stems(table, ["zebra"])
    message = str(err.value)
    assert message.count("\n") == 0 and "closest words that do: " in message
    listed = message.split("closest words that do: ")[1].split(", ")
    ratio = [difflib.SequenceMatcher(None, "zebra", w).ratio() for w in listed]
    assert len(listed) == 5 and set(listed) <= present
    assert ratio == sorted(ratio, reverse=True)
    assert ratio[0] == max(difflib.SequenceMatcher(None, "zebra", w).ratio() for w in present)
    assert listed != sorted(present)[:5]


def test_tables_name_each_stem_by_the_word_people_read(gt):
    """Stems ("rais", "hi") group the forms of a word; every table names the group by its most
    frequent form in the captions (``word``) and keeps the stem in its own column."""
    words = ["raises"] * 3 + ["raising"] + ["his"] * 5 + ["the"] * 2
    table = pd.DataFrame({"word": words, "is_special": False, "beta": np.linspace(0.1, 0.9, len(words))})
    table["stem"] = [A.labels.stem(w) for w in table["word"]]
    stems = A.select_stems(table, ["raise", "his"])
    assert stems == ["rais", "hi"]
    assert A.labels.stem_words(table) == {"rais": "raises", "hi": "his", "the": "the"}
    summary = A.beta_summary(table, stems)
    assert list(summary.columns[:3]) == ["word", "stem", "words"]
    assert summary["word"].tolist() == ["raises", "his"] and summary["stem"].tolist() == ["rais", "hi"]
    assert summary["words"].tolist() == ["raises, raising", "his"]
    dens = A.beta_density(table, stems)
    assert set(zip(dens["word"], dens["stem"])) == {("raises", "rais"), ("his", "hi")}
    # a tie between forms goes to the alphabetically first, so the name does not depend on row order
    tie = pd.DataFrame({"word": ["walking", "walks"], "stem": ["walk", "walk"], "is_special": False})
    assert A.labels.stem_words(tie) == A.labels.stem_words(tie.iloc[::-1]) == {"walk": "walking"}

    captured = table_of(build_capture(), gt)
    hist = A.max_attention_histogram(captured, ["wave"])
    assert set(zip(hist["word"], hist["stem"])) == {("waves", "wave")}
    assert set(A.max_attention_summary(captured, ["wave"])["word"]) == {"waves"}
    scores = A.part_scores(A.part_predictions(captured))
    per_word = scores[scores["group"] == "word"]
    assert set(per_word["name"]) == {"waves", "kicks", "walks", "jumps", "left", "right", "hand", "leg", "forward",
                                     "up"}
    assert per_word.set_index("name").loc["waves", "stem"] == "wave"
    assert (scores.loc[scores["group"] != "word", "stem"] == "").all()


def test_max_attention_histogram_counts(gt):
    table = table_of(build_capture(), gt)
    hist = A.max_attention_histogram(table, ["wave"])
    assert len(hist) == 6 * 25 and (hist["total"] == 2).all()
    per_part = hist.groupby("part")["count"].sum()
    assert (per_part == 2).all()
    # α one-hot on the left (c0) / right (c2) arm with Γ peaking at 1 → m = 1 in the last bin
    last = hist[hist["bin_right"] == 1.0].set_index("part")["count"]
    assert last["left_arm"] == 1 and last["right_arm"] == 1 and last["root"] == 0


def test_attention_map_and_fine_grained(gt):
    cap = build_capture()
    table = table_of(cap, gt)
    amap = A.attention_map(cap, "c0", [2])
    assert len(amap) == 6 * T and set(amap["part"]) == set(PARTS)
    la = amap[amap["part"] == "left_arm"]
    assert la["value"].max() == pytest.approx(1.0, abs=5e-3) and amap[amap["part"] == "root"]["value"].max() == 0
    fg = A.fine_grained(table, "c2")
    assert fg["word"].tolist() == ["jumps", "up", "waves", "right", "hand"]
    assert fg.loc[fg["word"] == "waves", "part"].item() == "right_arm"
    assert fg.loc[fg["word"] == "waves", "onset_s"].item() == pytest.approx(seconds(24))
    line = A.fine_grained_text(fg)[2]
    assert line.startswith(f"waves — right arm — {seconds(24):.1f}–{seconds(35):.1f} s")
    with pytest.raises(M2TError, match="no clip"):
        A.attention_map(cap, "zzz")


def test_generated_captions_align_by_stem_and_order(gt):
    """A generated caption is aligned to the actions by stem and order; unknown motion words are not."""
    cap = build_capture()
    # make clip c0's "caption" a generated one: "waving left ... kicks right"
    gen = CaptureResult(**{**cap.__dict__, "mode": "greedy", "targets": None})
    table = A.token_table(gen, gt=gt)
    c0 = table[table["clip_id"] == "c0"].set_index("word")
    assert c0.loc["waves", "action"] == "wave_left" and c0.loc["kicks", "action"] == "kick_right"
    assert c0.loc["right", "action"] == "kick_right"  # after kicks: right belongs to the second action
    assert not bool(c0.loc["a", "gt_aligned"])
    summary = A.alignment_summary(table)
    assert summary["aligned"] == summary["motion_words"] == 13


def test_interpretability_scores_table_has_chance_and_best_constant(gt):
    scores = A.interpretability_scores(table_of(build_capture(), gt), D, FPS).set_index("score")
    assert scores.loc["pointing, one-part (lateral) words", "value"] == 1.0
    assert scores.loc["pointing, one-part (lateral) words", "chance"] == pytest.approx(1 / 6)
    assert scores.loc["gate AUROC, motion vs non-motion (ground truth)", "value"] == 1.0
    assert scores["chance"].notna().sum() >= 10
    cmp = A.compare_table({"a": scores.reset_index(), "b": scores.reset_index()})
    assert list(cmp.columns) == ["score", "a", "b", "chance", "best constant", "n"]


def test_without_ground_truth_scores_are_absent_but_analyses_run():
    cap = build_capture()
    table = A.token_table(cap, gt=None)
    assert not table["gt_aligned"].any()
    assert A.part_scores(A.part_predictions(table)).empty
    assert A.temporal_predictions(table).empty
    sep = A.gate_separation(table).iloc[0]
    assert sep["labels"] == "lexicon rules"
    assert len(A.fine_grained(table, "c0")) >= 1


def test_compare_table_gives_each_model_its_own_chance_where_they_differ(gt):
    scores = A.interpretability_scores(table_of(build_capture(), gt), D, FPS)
    other = scores.copy()
    row = other["score"] == "pointing, one-part (lateral) words"
    other.loc[row, "chance"] = 0.25  # e.g. a chance level that depends on the model's σ
    other.loc[row, "n"] = other.loc[row, "n"] + 1
    cmp = A.compare_table({"a": scores, "b": other}).set_index("score")
    lateral = "pointing, one-part (lateral) words"
    n_a = int(cmp.loc[lateral, "n · a"])
    # the shared cells list each model's level in column order, as docs/pretrained.md's table does
    assert cmp.loc[lateral, "chance"] == "0.167 / 0.250" and cmp.loc[lateral, "n"] == f"{n_a} / {n_a + 1}"
    assert cmp.loc[lateral, "chance · a"] == pytest.approx(1 / 6) and cmp.loc[lateral, "chance · b"] == 0.25
    assert A.scores.model_levels(cmp.loc[lateral], "chance", ["a", "b"]) == pytest.approx([1 / 6, 0.25])
    assert cmp.loc[lateral, "n · b"] == cmp.loc[lateral, "n · a"] + 1
    same = "gate AUROC, motion vs non-motion (ground truth)"
    assert cmp.loc[same, "chance"] == cmp.loc[same, "chance · a"] == cmp.loc[same, "chance · b"]
    assert "best constant · a" not in cmp.columns  # identical for both models: one shared column
    captions = {"a": {"bleu4": 0.5, "cider": 2.0}, "b": {"bleu4": 0.4, "cider": 1.5}}
    cmp = A.compare_table({"a": scores, "b": other}, captions).set_index("score")
    assert cmp.loc["caption BLEU@4 (greedy)", "b"] == 0.4 and np.isnan(cmp.loc["caption BLEU@4 (greedy)", "chance · a"])
    assert pd.isna(cmp.loc["caption BLEU@4 (greedy)", "chance"])  # a caption metric has no chance level


def test_written_compare_table_fills_the_chance_cell_of_every_scored_row(gt, tmp_path):
    """Where the models' chance levels differ (temporal chance uses each model's σ), the written CSV and
    Markdown still show a chance level in every row that has one: the levels listed in column order."""
    from m2t_interpret.plotting.save import write_table

    scores = A.interpretability_scores(table_of(build_capture(), gt), D, FPS)
    other = scores.copy()
    temporal = other["score"].isin(["mean tIoU", "R@1 IoU≥0.5", "onset error (s, lower is better)"])
    moved = set(other.loc[temporal, "score"])
    assert len(moved) == 3
    other.loc[temporal, "chance"] = other.loc[temporal, "chance"] + 0.05
    captions = {"a": {"bleu4": 0.5, "cider": 2.0}, "b": {"bleu4": 0.4, "cider": 1.5}}
    cmp = A.compare_table({"a": scores, "b": other}, captions)
    csv, md = write_table(cmp, tmp_path / "compare_scores", ["csv", "md"])
    back = pd.read_csv(csv).set_index("score")
    levelled = scores.set_index("score")["chance"].notna()
    assert levelled.sum() >= 10
    for score, has_level in levelled.items():
        cell = back.loc[score, "chance"]
        assert pd.notna(cell) == has_level, score
        if has_level:  # each model's level to 3 decimals, read back from the cell itself
            want = [back.loc[score, "chance · a"], back.loc[score, "chance · b"]]
            got = [float(v) for v in str(cell).split(" / ")]
            assert len(got) == (2 if score in moved else 1), score
            assert got == pytest.approx(want[:len(got)], abs=5e-4), score
    row = next(line for line in md.read_text(encoding="utf-8").splitlines() if line.startswith("| mean tIoU "))
    a, b = back.loc["mean tIoU", ["chance · a", "chance · b"]]
    assert f" {a:.3f} / {b:.3f} " in row


def test_gaussian_kde_equals_scipys_in_one_dimension():
    """The density is computed without scipy.stats (its import is a quarter of a cached density run); scipy's
    gaussian_kde (Scott's rule) is the oracle. Float64 sums of up to 10⁴ kernels: 1e-12 relative is ample."""
    from scipy.stats import gaussian_kde

    from m2t_interpret.analysis.density import gaussian_kde_1d, scott_bandwidth

    rng = np.random.default_rng(0)
    grid = np.linspace(0, 1, 401)
    for n in (2, 7, 300, 10_000):
        values = rng.beta(5, 1, n)
        oracle = gaussian_kde(values, bw_method="scott")
        assert scott_bandwidth(values) == pytest.approx(float(np.sqrt(oracle.covariance[0, 0])), rel=1e-12)
        np.testing.assert_allclose(gaussian_kde_1d(values, grid, scott_bandwidth(values)), oracle(grid),
                                   rtol=1e-12, atol=1e-12)
