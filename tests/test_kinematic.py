"""The kinematic ground truth: part motion, the active-frame and span rules on hand-made signals, a
generated clip where one part moves, the token table it gives to the unchanged scorers, and a real
motion-capture clip."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from m2t_interpret import analysis as A
from m2t_interpret.analysis import kinematic as K
from m2t_interpret.analysis.groundtruth import GT_COLUMNS
from m2t_interpret.data.synthetic import generate_clip
from m2t_interpret.data.synthetic.kinematics import forward_kinematics
from m2t_interpret.errors import M2TError
from m2t_interpret.skeletons import HUMANML3D, PARTS

# the hand-built forced capture of the analysis tests: three captions with known parts and segments
from test_analysis import ACTIONS, CLIPS, D, FPS, build_capture, ground_truth

REAL_MOCAP = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real-mocap"
#: float32 joint positions of a few metres differ by float32 rounding (≈ 5e-7 m) per frame; × 20 fps
#: and a mean over a few joints, speeds carry errors below 1e-4 m/s.
SPEED_TOL = 1e-4


def rest_pose(frames: int) -> np.ndarray:
    """(T, 22, 3) the synthetic skeleton's rest pose, pelvis at standing height, still."""
    pose = forward_kinematics(np.zeros((frames, 22, 3)), np.zeros(frames))
    return pose + np.array([0.0, 0.9, 0.0])


# ---------------------------------------------------------------------------------------------
# part motion
# ---------------------------------------------------------------------------------------------

def test_a_still_pose_translating_moves_only_the_root_at_its_speed():
    t = np.arange(60) / FPS
    joints = (rest_pose(60) + np.stack([1.2 * t, 0 * t, 0 * t], 1)[:, None]).astype(np.float32)
    m = K.part_motion(joints)
    assert m.shape == (60, 6)
    np.testing.assert_allclose(m[:, PARTS.index("root")], 1.2, atol=SPEED_TOL)
    np.testing.assert_allclose(m[:, 1:], 0.0, atol=SPEED_TOL)


def test_only_the_moving_arm_moves_and_its_span_matches_the_action():
    clip = generate_clip(3, actions=["raise_left_arm"])
    (act,) = clip.actions
    m = K.part_motion(clip.joints)
    assert PARTS[int(m.mean(0).argmax())] == "left_arm"
    active = K.active_frames(m, FPS)
    assert K.active_parts(active).tolist() == [p == "left_arm" for p in PARTS]
    start, end = K.active_span(active[:, PARTS.index("left_arm")], m[:, PARTS.index("left_arm")])
    iou = float(A.interval_iou(start / FPS, end / FPS, act.start_s, act.end_s))
    assert iou > 0.8, (start, end, act.start_frame, act.end_frame)


def test_the_smoothing_window_is_a_centred_average_of_the_stated_length():
    impulse = np.zeros((21, 1))
    impulse[10] = 1.0
    for fps, frames in ((20.0, 5), (12.5, 3)):  # 0.25 s: 5 frames at 20 fps, 3 at 12.5 fps
        out = K.smooth(impulse, K._frames(K.SMOOTH_S, fps) | 1)
        np.testing.assert_allclose(out[:, 0], np.where(abs(np.arange(21) - 10) <= frames // 2, 1 / frames, 0),
                                   atol=1e-12)
    np.testing.assert_allclose(K.smooth(np.full((7, 2), 3.0), 5), 3.0, atol=1e-12)  # constant at the ends too


def test_part_motion_refuses_joints_of_the_wrong_shape_or_values():
    with pytest.raises(M2TError, match=r"expected \(T, 22, 3\)"):
        K.part_motion(np.zeros((10, 21, 3)))
    with pytest.raises(M2TError, match="at least 2 frames"):
        K.part_motion(np.zeros((1, 22, 3)))
    bad = rest_pose(10)
    bad[3, 4, 1] = np.nan
    with pytest.raises(M2TError, match="NaN"):
        K.part_motion(bad)


# ---------------------------------------------------------------------------------------------
# the active-frame and span rules
# ---------------------------------------------------------------------------------------------

def signal(*runs_: tuple[int, int, float], frames: int = 100) -> np.ndarray:
    """(frames, 6) motion: part 0 at the given speed in each [start, end) run, the rest still."""
    m = np.zeros((frames, 6))
    for s, e, v in runs_:
        m[s:e, 0] = v
    return m


def test_short_gaps_are_filled_and_the_longest_run_is_the_span():
    gap = int(K.GAP_S * FPS)
    m = signal((10, 30, 1.0), (30 + gap - 1, 60, 1.0), (60 + gap + 5, 95, 1.0))
    active = K.active_frames(m, FPS)
    assert K.runs(active[:, 0]) == [(10, 60), (65 + gap, 95)]
    assert K.active_span(active[:, 0], m[:, 0]) == (10, 60)


def test_a_twitch_is_no_action_and_nothing_is_active_below_the_floor():
    short = int(K.MIN_RUN_S * FPS) - 1
    twitch = K.active_frames(signal((10, 40, 1.0), (80, 80 + short, 1.0)), FPS)
    assert K.runs(twitch[:, 0]) == [(10, 40)]
    still = signal((10, 40, 0.9 * K.FLOOR_MS))
    assert K.activity_threshold(still) == pytest.approx(K.FLOOR_MS)
    assert K.active_span(K.active_frames(still, FPS)[:, 0]) is None


def test_a_part_far_slower_than_the_fastest_is_not_active():
    m = signal((0, 100, 2.0))
    m[:, 3] = 0.9 * K.FRACTION * 2.0  # above the floor, below the fraction of the clip's peak
    m[:, 4] = 1.1 * K.FRACTION * 2.0
    assert K.active_parts(K.active_frames(m, FPS)).tolist() == [True, False, False, False, True, False]


def test_equal_runs_go_to_the_one_that_moves_most():
    m = signal((10, 20, 1.0), (50, 60, 2.0), frames=100)
    assert K.active_span(m[:, 0] > 0.5, m[:, 0]) == (50, 60)


# ---------------------------------------------------------------------------------------------
# the token table: same columns, scored by the unchanged scorers
# ---------------------------------------------------------------------------------------------

def moving_joints(actions: list[tuple[str, tuple[str, ...], int, int]], frames: int) -> np.ndarray:
    """Still joints where each action's first part moves during its model frames [lo, hi]: the root
    translates at 1 m/s, a limb oscillates 10 cm at 1.5 Hz relative to the pelvis."""
    joints = rest_pose(frames)
    for _, active, lo, hi in actions:
        s, e = lo * D + D - 1, hi * D + D  # the original frames behind model frames lo..hi
        t = np.arange(e - s) / FPS
        part = active[0]
        if part == "root":
            joints[s:e] += np.stack([0 * t, 0 * t, t], 1)[:, None]
            joints[e:] += np.array([0.0, 0.0, t[-1]])
        else:
            idx = list(HUMANML3D.parts[HUMANML3D.part_names.index(part)])
            joints[s:e, idx, 1] += 0.1 * np.sin(2 * np.pi * 1.5 * t)[:, None]
    return joints.astype(np.float32)


@pytest.fixture(scope="module")
def joints() -> dict[str, np.ndarray]:
    return {cid: moving_joints(ACTIONS[cid], 80) for cid in CLIPS}


def test_the_kinematic_table_has_the_annotated_columns_where_the_annotation_has_values(joints):
    capture = build_capture()
    kin = K.kinematic_token_table(capture, joints=joints)
    annotated = A.token_table(capture, gt=ground_truth())
    assert set(GT_COLUMNS) <= set(kin.columns)
    placed = annotated["gt_aligned"].to_numpy()
    assert kin["gt_aligned"].to_numpy()[placed].all()
    assert np.isfinite(kin.loc[placed, ["gt_start_s", "gt_end_s", "action_idx", "n_actions"]].to_numpy()).all()
    assert kin.loc[placed, "action"].tolist() == [ACTIONS[c][int(a)][1][0] for c, a in
                                                  zip(annotated.loc[placed, "clip_id"],
                                                      annotated.loc[placed, "action_idx"])]
    assert kin.loc[placed, "n_actions"].tolist() == annotated.loc[placed, "n_actions"].tolist()
    # the lexicon labels these words as the corpus does (special tokens: no label in either)
    assert kin["motion"].fillna("none").tolist() == annotated["motion"].fillna("none").tolist()


def test_the_unchanged_scorers_score_attention_on_the_kinematic_part_as_one(joints):
    kin = K.kinematic_token_table(build_capture(), joints=joints)
    pred = A.part_predictions(kin)
    assert len(pred) == int(kin["gt_aligned"].sum()) == 13
    assert pred["pointing"].tolist() == [1.0] * 13
    np.testing.assert_allclose(pred["chance"], 1 / 6)
    temporal = A.temporal_predictions(kin)
    assert temporal["mu_in_segment"].tolist() == [1.0] * 13
    assert temporal["tiou"].min() > 0.8
    scores = A.interpretability_scores(kin).set_index("score")
    assert scores.loc["pointing, all motion words", "value"] == pytest.approx(1.0)
    assert scores.loc["pointing, all motion words", "chance"] == pytest.approx(1 / 6)
    # the motion labels are the lexicon's, not an annotation, and the gate's score says so
    assert "gate AUROC, motion vs non-motion (project lexicon rules)" in scores.index


def test_uniform_attention_scores_chance_against_the_kinematic_truth(joints):
    pred = A.part_predictions(K.kinematic_token_table(build_capture(uniform=True), joints=joints))
    np.testing.assert_allclose(pred["pointing"], 1 / 6, atol=1e-6)


def test_truth_on_peaks_and_segments_read_from_the_table(joints):
    kin = K.kinematic_token_table(build_capture(), joints=joints)
    peaks = A.max_attention_truth(kin, [A.stem_of("waves"), A.stem_of("kicks")]).set_index("word")
    assert peaks.loc["waves", "n"] == 2 and peaks.loc["waves", "pointing"] == pytest.approx(1.0)
    assert peaks.loc["waves", "chance"] == pytest.approx(1 / 6)
    seg = A.table_segments(kin, "c0")
    assert seg["action"].tolist() == ["left_arm", "right_leg"]
    assert (seg["start_s"] < seg["end_s"]).all() and seg["end_s"].iloc[0] <= seg["start_s"].iloc[1]


def test_without_the_lexicons_parts_every_word_gets_the_clips_most_moving_part(joints):
    kin = K.kinematic_truth(build_capture().to_dataframe(), joints, restrict=False)
    placed = kin[kin["gt_aligned"]]
    assert placed.groupby("clip_id")["action"].nunique().eq(1).all()
    assert placed["kin_candidates"].eq("+".join(PARTS)).all()


def write_dataset(root: Path, joints: dict[str, np.ndarray]) -> Path:
    (root / "new_joints").mkdir(parents=True)
    (root / "texts").mkdir()
    for cid, words in CLIPS.items():
        np.save(root / "new_joints" / f"{cid}.npy", joints[cid])
        caption = " ".join(w for w, _ in words)
        (root / "texts" / f"{cid}.txt").write_text(f"{caption}##0.0#0.0\n", encoding="utf-8")
    (root / "test.txt").write_text("\n".join(CLIPS) + "\n")
    return root


def test_token_table_reads_the_joints_from_the_dataset_folder(tmp_path, joints):
    root = write_dataset(tmp_path / "data", joints)
    capture = build_capture()
    table = A.token_table(capture, root, truth="kinematic")
    pd.testing.assert_frame_equal(table, K.kinematic_token_table(capture, joints=joints))


def test_data_that_changed_since_the_capture_or_an_unknown_truth_is_refused(tmp_path, joints):
    short = {**joints, "c1": joints["c1"][:70]}
    root = write_dataset(tmp_path / "data", short)
    with pytest.raises(M2TError, match="c1: 70 frames .* capture again"):
        A.token_table(build_capture(), root, truth="kinematic")
    with pytest.raises(M2TError, match="unknown truth 'physical'; use annotated or kinematic"):
        A.token_table(build_capture(), root, truth="physical")
    with pytest.raises(M2TError, match="no joints for clip"):
        K.kinematic_truth(build_capture().to_dataframe(), {"c0": joints["c0"]})


# ---------------------------------------------------------------------------------------------
# agreement with the annotated truth, and a real clip
# ---------------------------------------------------------------------------------------------

def test_agreement_on_a_small_corpus_beats_the_whole_clip(tmp_path):
    from m2t_interpret.data.synthetic import generate_corpus

    generate_corpus(tmp_path / "corpus", n_train=0, n_val=0, n_test=12, seed=5, progress=False)
    rows = K.agreement_rows(tmp_path / "corpus")
    assert len(rows) >= 12 and rows["part_hit"].between(0, 1).all()
    summary = K.agreement_summary(rows).set_index("name")
    overall = summary.loc["all actions"]
    assert overall["clip_part_hit"] > overall["chance"]
    assert overall["onset_error_s"] < overall["clip_onset_error_s"]
    with pytest.raises(M2TError, match="not a synthetic corpus"):
        K.agreement_rows(tmp_path)


def test_a_real_walk_moves_its_root_most_then_its_legs():
    path = REAL_MOCAP / "humanoid3d_walk.bvh"
    if not path.is_file():
        pytest.skip(f"the shared real motion-capture clips are not at {REAL_MOCAP} (../shared beside the repo)")
    from m2t_interpret.data.retarget import import_bvh

    m = K.part_motion(import_bvh(path).joints).mean(0)
    order = [PARTS[k] for k in np.argsort(-m)]
    assert order[0] == "root" and 0.7 < m[0] < 1.6  # the body's own walking speed, m/s
    assert set(order[1:3]) == {"left_leg", "right_leg"}  # then the legs, well ahead of the arms and torso
    assert min(m[4], m[5]) > 2 * max(m[1], m[2], m[3])
