"""When not to trust a caption: the motion statistics of a clip and of a training corpus, the checkpoint
that keeps the corpus's ranges, the capture that records each clip's statistics and the warnings."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
import torch

from m2t_interpret import M2TError
from m2t_interpret.capture.dataset import cached_capture, capture_split, merge_shards, CaptureRequest
from m2t_interpret.cli import main
from m2t_interpret.data import motion_range as S
from m2t_interpret.data.synthetic import generate_clip, generate_corpus
from m2t_interpret.data.synthetic.kinematics import REST_RELATIVE, mirror_joints
from m2t_interpret.model.checkpoints import load_model, save_checkpoint, write_motion_corpus
from m2t_interpret.result import CLIP_MOTION_FILE, CaptureResult
from m2t_interpret.skeletons import PARTS, mirror_part
from conftest import SHARED_DATA, tiny_model

SIDE_FREE = ("duration_s", "height_m", *(f"{b}_ratio" for b in S.RATIO_BONES), "root_speed", "root_speed95",
             "turn_rate", "turn_rate95", "speed_root", "speed_torso", "speed95_root", "speed95_torso")


#: The body height every clip of the test corpus is scaled to (the generator's performers vary).
HEIGHT = 1.70


@pytest.fixture(scope="module")
def clips() -> list[np.ndarray]:
    """Synthetic clips (float64, so that transformed copies differ from them only by float64 rounding),
    each scaled to a body of :data:`HEIGHT`: a corpus of one body size, so that a scaled clip lies
    outside it by construction."""
    out = [generate_clip(seed).joints.astype(np.float64) for seed in range(30)]
    return [j * (HEIGHT / S.body_height(j)) for j in out]


@pytest.fixture(scope="module")
def summary(clips) -> dict:
    return S.corpus_summary(clips, "humanml3d", source="30 synthetic clips")


@pytest.fixture
def clip(clips) -> np.ndarray:
    return clips[3]


def _yaw(joints: np.ndarray, degrees: float) -> np.ndarray:
    a = math.radians(degrees)
    rot = np.array([[math.cos(a), 0, math.sin(a)], [0, 1, 0], [-math.sin(a), 0, math.cos(a)]])
    return joints @ rot.T


def _close(a: dict, b: dict, names, rtol: float = 1e-9, atol: float = 1e-9) -> None:
    for name in names:
        assert a[name] == pytest.approx(b[name], rel=rtol, abs=atol), name


# ---------------------------------------------------------------------------------------------
# per clip
# ---------------------------------------------------------------------------------------------

def test_scaling_a_clip_scales_height_and_speeds_and_keeps_ratios_and_turning(clip):
    base = S.clip_statistics(clip)
    k = 0.8
    scaled = S.clip_statistics(clip * k)
    # float64 throughout: medians, gradients and moving averages of k·x equal k times those of x to ~1e-15
    assert scaled["height_m"] == pytest.approx(k * base["height_m"], rel=1e-12)
    speeds = [n for n in S.statistic_names() if "speed" in n]
    for name in speeds:
        assert scaled[name] == pytest.approx(k * base[name], rel=1e-9, abs=1e-12), name
    _close(scaled, base, [*(f"{b}_ratio" for b in S.RATIO_BONES), "duration_s", "turn_rate", "turn_rate95"])


def test_a_mirrored_clip_has_the_same_statistics_with_left_and_right_swapped(clip):
    base, mirrored = S.clip_statistics(clip), S.clip_statistics(mirror_joints(clip))
    _close(mirrored, base, SIDE_FREE)
    for p in PARTS:
        for prefix in ("speed_", "speed95_"):
            assert mirrored[prefix + p] == pytest.approx(base[prefix + mirror_part(p)], rel=1e-9, abs=1e-12)


def test_turning_and_moving_a_clip_changes_none_of_its_statistics(clip):
    moved = _yaw(clip, 37.0) + np.array([5.0, 0.0, -3.0])
    _close(S.clip_statistics(moved), S.clip_statistics(clip), S.statistic_names(), rtol=1e-7, atol=1e-9)


def test_height_and_ratios_do_not_depend_on_the_pose_lying_or_upside_down(clip):
    base = S.clip_statistics(clip)
    for axis in (np.array([1.0, 0, 0]), np.array([0.3, 0.2, 0.93])):
        axis = axis / np.linalg.norm(axis)
        k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
        rot = np.eye(3) + k + k @ k  # 90° about the axis (Rodrigues)
        lying = S.clip_statistics(clip @ rot.T)
        _close(lying, base, ["height_m", *(f"{b}_ratio" for b in S.RATIO_BONES)], rtol=1e-9)


def test_the_reference_body_is_1_67_m_tall_in_any_pose():
    rest = np.repeat(REST_RELATIVE[None], 5, axis=0)
    assert S.body_height(rest) == pytest.approx(1.672, abs=0.002)
    assert S.body_height(rest[:, :, [1, 0, 2]]) == pytest.approx(1.672, abs=0.002)  # lying along x


def test_turning_rate_reads_a_turn_in_place(clip):
    # the clip turned steadily about the vertical through its pelvis by 90° per second on top of its own motion
    fps, t = 20.0, np.arange(len(clip))
    pelvis = clip[:, :1]
    turned = np.stack([_yaw(f - p, 90.0 * i / fps) + p for f, p, i in zip(clip, pelvis, t)])
    assert S.clip_statistics(clip)["turn_rate"] < 30
    # the hip axis's own turning and the added one add up; the added 90 °/s dominates its mean
    assert 60 < S.clip_statistics(turned)["turn_rate"] < 130


def test_a_one_frame_clip_has_a_height_but_no_speeds():
    stats = S.clip_statistics(REST_RELATIVE[None])
    assert stats["height_m"] == pytest.approx(1.672, abs=0.002)
    assert math.isnan(stats["speed_left_arm"]) and math.isnan(stats["turn_rate"])


def test_bad_joints_are_refused():
    with pytest.raises(M2TError, match=r"expected \(T, 22, 3\)"):
        S.clip_statistics(np.zeros((10, 21, 3)))
    bad = np.repeat(REST_RELATIVE[None], 4, axis=0)
    bad[2, 3, 1] = np.nan
    with pytest.raises(M2TError, match="NaN"):
        S.clip_statistics(bad)


def test_height_estimates_a_real_bodys_stature_and_agrees_across_skeletons(shared_data):
    from m2t_interpret.data.bvh import read_bvh, rest_positions
    from m2t_interpret.data.retarget import import_bvh

    path = shared_data / "real-mocap" / "humanoid3d_walk.bvh"
    motion = read_bvh(path)
    rest = rest_positions(motion)
    head = motion.names.index("Head")
    top = rest[head, 1] + motion.end_offsets[list(motion.end_parents).index(head)][1]
    soles = [rest[p, 1] + o[1] for p, o in zip(motion.end_parents, motion.end_offsets) if "Foot" in motion.names[p]]
    stature = (top - min(soles)) / 100  # centimetres; 1.61 m
    hml_joints, kit_joints = import_bvh(path, "humanml3d").joints, import_bvh(path, "kit").joints
    hml, kit = S.body_height(hml_joints, "humanml3d"), S.body_height(kit_joints, "kit")
    assert abs(hml - stature) / stature < 0.05  # 1.66 m: a chain-based estimate is good to a few per cent
    assert kit == pytest.approx(hml, rel=0.01)
    # both skeletons measure the same walk alike: same duration and travel, the same turning of the hips
    on_hml, on_kit = S.clip_statistics(hml_joints, "humanml3d"), S.clip_statistics(kit_joints, "kit")
    assert on_kit["duration_s"] == pytest.approx(on_hml["duration_s"], abs=0.1)  # 20 and 12.5 fps
    assert on_kit["root_speed"] == pytest.approx(on_hml["root_speed"], rel=0.1)
    assert on_kit["turn_rate"] == pytest.approx(on_hml["turn_rate"], rel=0.25, abs=3.0)


# ---------------------------------------------------------------------------------------------
# the corpus and the rule
# ---------------------------------------------------------------------------------------------

def test_the_corpus_summary_holds_percentile_ranges(clips, summary):
    heights = summary["statistics"]["height_m"]
    assert heights["lo"] == pytest.approx(HEIGHT, rel=1e-12) and heights["hi"] == pytest.approx(HEIGHT, rel=1e-12)
    durations = [len(c) / 20.0 for c in clips]
    lo, hi = np.percentile(durations, S.PERCENTILES)
    assert summary["statistics"]["duration_s"] == {"lo": pytest.approx(lo), "hi": pytest.approx(hi),
                                                   "median": pytest.approx(np.median(durations))}
    assert summary["n_clips"] == 30 and summary["skeleton"] == "humanml3d"
    assert S.check_summary(summary) == summary
    with pytest.raises(M2TError, match="empty corpus"):
        S.corpus_summary([], "humanml3d")


def test_a_clip_just_at_the_edge_is_not_outside_and_one_beyond_the_margin_is():
    summary = {"statistics": {"height_m": {"lo": 1.6, "hi": 1.9, "median": 1.75}}}
    m = S.margin(1.6, 1.9)
    assert m == pytest.approx(S.MARGIN_SPAN * 0.3 + S.MARGIN_REL * 1.9)
    assert S.outside({"height_m": 1.9 + 0.9 * m}, summary) == []
    assert S.outside({"height_m": 1.6 - 0.9 * m}, summary) == []
    (found,) = S.outside({"height_m": 1.45}, summary)
    assert found.phrase == "this body is 1.45 m tall; the model was trained on 1.60–1.90 m"
    assert S.outside({"height_m": float("nan")}, summary) == []
    assert S.outside({"height_m": 1.0}, None) == []


def test_a_clips_line_names_its_furthest_statistic_and_both_values():
    summary = {"statistics": {"height_m": {"lo": 1.67, "hi": 1.67, "median": 1.67},
                              "speed_torso": {"lo": 0.0, "hi": 0.12, "median": 0.01}}}
    found = S.outside({"height_m": 1.34, "speed_torso": 0.5}, summary)
    assert [o.name for o in found] == ["speed_torso", "height_m"]
    assert S.clip_line("walk.bvh", found) == ("clip walk.bvh: its torso moves at 0.50 m/s on average; the model "
                                              "was trained on 0.00–0.12 m/s (also outside: body height)")
    assert found[1].phrase == "this body is 1.34 m tall; the model was trained on 1.67 m only"


def test_few_clips_get_a_line_each_and_many_one_summarising_line():
    summary = {"statistics": {"height_m": {"lo": 1.6, "hi": 1.9, "median": 1.75},
                              "root_speed": {"lo": 0.0, "hi": 1.5, "median": 0.3}}}
    rows = [{"height_m": 1.2, "root_speed": 0.5}, {"height_m": 1.75, "root_speed": 0.5},
            {"height_m": 1.2, "root_speed": 4.0}]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        S.warn_outside(["a", "b", "c"], [S.outside(r, summary) for r in rows])
    assert [str(w.message).split(":")[0] for w in caught] == ["clip a", "clip c"]
    assert all(issubclass(w.category, S.OutOfDistributionWarning) for w in caught)
    many = rows * 4 + [{"height_m": 1.75, "root_speed": 0.5}] * 188
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        S.warn_outside([f"c{i}" for i in range(200)], [S.outside(r, summary) for r in many], where="the ood column")
    assert [str(w.message) for w in caught] == [
        "8 of 200 clips lie outside the model's training corpus: body height (8), root speed (4); see the ood column"]


@pytest.mark.parametrize("bad, message", [
    ({"format": "x"}, "not a motion-corpus summary"),
    ({"format": S.SUMMARY_FORMAT, "version": 99, "statistics": {}}, "version 99"),
    ({"format": S.SUMMARY_FORMAT, "version": 1, "statistics": {"height_m": {"lo": 2, "hi": 1, "median": 1}}},
     "no finite range"),
    ({"format": S.SUMMARY_FORMAT, "version": 1, "statistics": {"height_m": {"lo": "a", "hi": 1, "median": 1}}},
     "no finite range"),
])
def test_a_damaged_summary_is_refused(bad, message):
    with pytest.raises(M2TError, match=message):
        S.check_summary(bad)


# ---------------------------------------------------------------------------------------------
# checkpoints
# ---------------------------------------------------------------------------------------------

def test_a_checkpoint_keeps_the_summary(summary, tmp_path):
    model = tiny_model()
    model.metadata[S.METADATA_KEY] = summary
    save_checkpoint(model, tmp_path / "m.pt")
    loaded = load_model(tmp_path / "m.pt")
    assert loaded.motion_corpus == summary
    assert torch.load(tmp_path / "m.pt", weights_only=True)["metadata"][S.METADATA_KEY] == summary


def test_an_old_checkpoint_loads_without_a_summary_and_warns_about_no_clip(clip, tmp_path):
    save_checkpoint(tiny_model(), tmp_path / "old.pt")
    model = load_model(tmp_path / "old.pt")
    assert model.motion_corpus is None
    with warnings.catch_warnings():
        warnings.simplefilter("error", S.OutOfDistributionWarning)
        result = model.capture([clip * 0.5])
    assert result.clip_motion["height_m"].iloc[0] == pytest.approx(0.5 * HEIGHT, rel=1e-12)  # recorded all the same
    assert result.clip_motion[S.OOD_COLUMN].iloc[0] is None  # unknown: no corpus to compare with


def test_an_unreadable_summary_is_warned_about_once_and_dropped(tmp_path):
    model = tiny_model()
    model.metadata[S.METADATA_KEY] = {"format": "something else"}
    save_checkpoint(model, tmp_path / "m.pt")
    with pytest.warns(S.OutOfDistributionWarning, match="not a motion-corpus summary"):
        loaded = load_model(tmp_path / "m.pt")
    assert loaded.motion_corpus is None


def test_the_summary_can_be_written_into_an_existing_checkpoint(summary, tmp_path):
    save_checkpoint(tiny_model(), tmp_path / "old.pt")
    before = load_model(tmp_path / "old.pt")
    write_motion_corpus(tmp_path / "old.pt", summary, out=tmp_path / "new.pt")
    after = load_model(tmp_path / "new.pt")
    assert after.motion_corpus == summary and after.fingerprint() == before.fingerprint()
    assert load_model(tmp_path / "old.pt").motion_corpus is None  # --out leaves the source as it was
    with pytest.raises(M2TError, match="kit skeleton"):
        write_motion_corpus(tmp_path / "old.pt", {**summary, "skeleton": "kit"}, out=tmp_path / "k.pt")
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(M2TError, match="notes.txt"):
        write_motion_corpus(tmp_path / "old.pt", summary, out=tmp_path / "notes.txt")
    assert (tmp_path / "notes.txt").read_text() == "mine"


# ---------------------------------------------------------------------------------------------
# captures and commands
# ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def model_file(summary, tmp_path_factory):
    """A tiny captioner with the synthetic corpus's vocabulary whose training corpus is the 30 clips."""
    from m2t_interpret.data.synthetic.corpus import vocabulary as synthetic_words

    vocab = ["<pad>", "<sos>", "<eos>", "<unk>"] + synthetic_words()
    model = tiny_model(vocab_size=len(vocab), max_steps=12)
    model.set_vocab(vocab)
    model.metadata.update({"name": "tiny", S.METADATA_KEY: summary})
    path = tmp_path_factory.mktemp("m") / "tiny.pt"
    save_checkpoint(model, path)
    return path


def _warning_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("warning:")]


def test_caption_warns_in_one_line_about_a_smaller_body_and_not_about_one_in_range(model_file, clips, tmp_path,
                                                                                   capsys):
    np.save(tmp_path / "walk.npy", clips[0].astype(np.float32))
    np.save(tmp_path / "small.npy", (clips[0] * 0.8).astype(np.float32))
    assert main(["caption", str(tmp_path / "walk.npy"), "--model", str(model_file)]) == 0
    assert _warning_lines(capsys.readouterr().err) == []
    assert main(["caption", str(tmp_path / "walk.npy"), str(tmp_path / "small.npy"), "--model", str(model_file),
                 "--save", str(tmp_path / "cap")]) == 0
    captured = capsys.readouterr()
    assert _warning_lines(captured.err) == [
        "warning: clip small: this body is 1.36 m tall; the model was trained on 1.70 m only"]
    assert "walk.npy:" in captured.out and "small.npy:" in captured.out
    table = CaptureResult.load(tmp_path / "cap").clip_table()
    assert table["clip_id"].tolist() == ["walk", "small"]
    assert table[S.OOD_COLUMN].tolist() == ["", "height_m"]
    # the clips were saved in float32: heights within a few 1e-7 relative
    assert table["height_m"].to_numpy() == pytest.approx([HEIGHT, 0.8 * HEIGHT], rel=1e-6)


def test_the_capture_records_the_flags_and_keeps_them_through_save_select_and_merge(model_file, clips, tmp_path):
    model = load_model(model_file)
    with pytest.warns(S.OutOfDistributionWarning,
                      match="clip big: this body is 2.21 m tall; the model was trained on 1.70 m only"):
        result = model.capture([clips[1], clips[2] * 1.3], clip_ids=["ok", "big"])
    motion = result.clip_motion
    assert list(motion.columns) == ["clip_id", *S.statistic_names(), S.OOD_COLUMN]
    assert motion[S.OOD_COLUMN].iloc[0] == "" and "height_m" in motion[S.OOD_COLUMN].iloc[1].split(",")
    expected = S.clip_statistics(clips[1])
    _close(motion.iloc[0].to_dict(), expected, S.statistic_names(), rtol=1e-12)
    assert result.meta[S.METADATA_KEY] == model.motion_corpus
    result.save(tmp_path / "cap")
    loaded = CaptureResult.load(tmp_path / "cap")
    pd.testing.assert_frame_equal(loaded.clip_motion, motion)
    assert loaded.select(["big"]).clip_table()["clip_id"].tolist() == ["big"]
    assert loaded.select(["big"]).clip_motion["height_m"].iloc[0] == pytest.approx(motion["height_m"].iloc[1])
    merged = CaptureResult.concat([loaded.select(["ok"]), loaded.select(["big"])])
    pd.testing.assert_frame_equal(merged.clip_motion, motion)
    with pytest.warns(S.OutOfDistributionWarning, match="clip big"):
        loaded.warn_motion()


def test_a_capture_whose_clip_table_lists_other_clips_is_refused(model_file, clips, tmp_path):
    model = load_model(model_file)
    model.capture([clips[1], clips[2]], clip_ids=["a", "b"]).save(tmp_path / "cap")
    table = pd.read_parquet(tmp_path / "cap" / CLIP_MOTION_FILE)
    table.iloc[::-1].to_parquet(tmp_path / "cap" / CLIP_MOTION_FILE, index=False)
    with pytest.raises(M2TError, match="clips.parquet does not list the capture's clips"):
        CaptureResult.load(tmp_path / "cap")
    (tmp_path / "cap" / CLIP_MOTION_FILE).unlink()  # a capture from before clip tables: none, no warning
    assert CaptureResult.load(tmp_path / "cap").clip_motion is None


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return generate_corpus(tmp_path_factory.mktemp("corpus"), n_train=0, n_val=0, n_test=5, seed=5, progress=False)


def test_a_split_capture_records_every_clip_sharded_merged_and_cached_alike(model_file, corpus, tmp_path):
    model = load_model(model_file)
    whole = capture_split(model, corpus, "test", "greedy", batch_size=3, progress=False)
    ids = whole.clip_ids
    expected = [S.clip_statistics(np.load(corpus / "new_joints" / f"{c}.npy")) for c in ids]
    assert whole.clip_motion["clip_id"].tolist() == ids
    for row, stats in zip(whole.clip_motion.to_dict("records"), expected):
        _close(row, stats, S.statistic_names(), rtol=1e-12)
    shards = [capture_split(model, corpus, "test", "greedy", batch_size=3, progress=False, shard=f"{i}/2")
              for i in (1, 2)]
    pd.testing.assert_frame_equal(merge_shards(shards).clip_motion, whole.clip_motion)
    pd.testing.assert_frame_equal(merge_shards(shards, out=tmp_path / "merged").clip_motion, whole.clip_motion)
    request = CaptureRequest(root=str(corpus), split="test")
    first, hit = cached_capture(model, request, cache_dir=tmp_path / "cache", progress=False)
    again, hit_again = cached_capture(model, request, cache_dir=tmp_path / "cache", progress=False)
    assert (hit, hit_again) == (False, True)
    pd.testing.assert_frame_equal(again.clip_motion, whole.clip_motion)
    (entry,) = [p for p in (tmp_path / "cache").iterdir() if p.is_dir() and not p.name.startswith(".")]
    assert CLIP_MOTION_FILE in (entry / "cache-entry.json").read_text()


def test_an_analysis_says_in_one_line_how_many_clips_lie_outside(model_file, corpus, summary, tmp_path, capsys,
                                                                  monkeypatch):
    monkeypatch.setenv("M2T_INTERPRET_CACHE", str(tmp_path / "cache"))
    model = load_model(model_file)
    # every body of the corpus is below this range and its margin (2.3 − 0.25·0.1 − 0.03·2.4 ≈ 2.2 m)
    tall = {**summary, "statistics": {**summary["statistics"], "height_m": {"lo": 2.3, "hi": 2.4, "median": 2.35}}}
    model.metadata[S.METADATA_KEY] = tall
    save_checkpoint(model, tmp_path / "tall.pt")
    args = ["gate", "--model", tmp_path / "tall.pt", "--data", corpus, "--out", tmp_path / "out", "--decode", "forced",
            "--no-progress", "--format", "csv"]
    for _ in range(2):  # decoded, then read from the cache: the same line
        assert main([str(a) for a in args]) == 0
        assert _warning_lines(capsys.readouterr().err) == [
            "warning: 10 of 10 clips lie outside the model's training corpus: body height (10); see the ood column "
            "of the capture's clip table"]


def test_animate_and_explore_warn_about_dataset_clips(model_file, corpus, summary, tmp_path):
    from m2t_interpret.clipviews import open_clips

    model = load_model(model_file)
    model.metadata[S.METADATA_KEY] = {**summary, "statistics": {
        **summary["statistics"], "height_m": {"lo": 2.0, "hi": 2.1, "median": 2.05}}}
    clip = (corpus / "test.txt").read_text().split()[0]
    with pytest.warns(S.OutOfDistributionWarning,
                      match=rf"clip {clip}: this body is 1\.\d\d m tall; the model was trained on 2\.00–2\.10 m$"):
        view = open_clips(model, clips=[clip], data=str(corpus), split="test", cache=False)
    assert view.capture.clip_table()[S.OOD_COLUMN].tolist() == ["height_m"]
