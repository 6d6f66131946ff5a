"""Tests of the synthetic motion–language corpus (m2t_interpret.data.synthetic)."""

from __future__ import annotations

import hashlib
import json
import re
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from m2t_interpret.data.motion_range import heading
from m2t_interpret.data.synthetic import (
    ACTIVE_COLUMNS, GT_COLUMNS, MAX_FRAMES, MIN_FRAMES, PART_NAMES, action_catalogue,
    generate_clip, generate_corpus, load_actions, load_corpus_info, load_ground_truth,
    load_joints, load_split, mirror_joints, part_speeds, vocabulary,
)
from m2t_interpret.data.synthetic.clip import CYCLIC, EXCERPT_SHARE
from m2t_interpret.data.synthetic.kinematics import BODY_SCALE, JOINT_NAMES, MIRROR_PERM, random_body
from m2t_interpret.data.synthetic.language import LEXICON
from m2t_interpret.data.synthetic.actions import ACTIONS
from m2t_interpret.errors import M2TError
from m2t_interpret.skeletons import HUMANML3D, HUMANML3D_BONE_LENGTHS

PARENTS = np.asarray(HUMANML3D.parents)
REF = np.array([HUMANML3D_BONE_LENGTHS[n] for n in HUMANML3D.joint_names[1:]])
FEET = [7, 8, 10, 11]
N_TRAIN, N_VAL, N_TEST = 30, 6, 8


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "corpus"
    return generate_corpus(out, n_train=N_TRAIN, n_val=N_VAL, n_test=N_TEST, seed=7,
                           progress=False)


@pytest.fixture(scope="module")
def ids(corpus) -> list[str]:
    return load_split(corpus, "all")


@pytest.fixture(scope="module")
def joints(corpus, ids) -> dict[str, np.ndarray]:
    return {i: load_joints(corpus, i) for i in ids}


@pytest.fixture(scope="module")
def catalogue_clips() -> dict[str, list]:
    """Three clips of every action alone (covers actions the small corpus may miss)."""
    return {name: [generate_clip(np.random.default_rng([99, k, s]), actions=[name])
                   for s in range(3)] for k, name in enumerate(ACTIONS)}


def _bone_lengths(j: np.ndarray) -> np.ndarray:
    return np.linalg.norm(j[:, 1:] - j[:, PARENTS[1:]], axis=-1)


# --------------------------------------------------------------------------------------------
# layout and metadata
# --------------------------------------------------------------------------------------------


def test_layout_and_splits(corpus, ids):
    for name in ("train.txt", "val.txt", "test.txt", "all.txt", "ground_truth.parquet",
                 "actions.parquet", "corpus.json"):
        assert (corpus / name).is_file(), name
    n = N_TRAIN + N_VAL + N_TEST
    assert len(ids) == 2 * n and len(set(ids)) == 2 * n
    splits = {s: load_split(corpus, s) for s in ("train", "val", "test")}
    assert [len(splits[s]) for s in splits] == [2 * N_TRAIN, 2 * N_VAL, 2 * N_TEST]
    assert sorted(sum(splits.values(), [])) == sorted(ids)
    for s, members in splits.items():
        src = {x for x in members if not x.startswith("M")}
        assert {"M" + x for x in src} == {x for x in members if x.startswith("M")}, s
    for x in ids:
        assert re.fullmatch(r"M?\d{6}", x)
        assert (corpus / "new_joints" / f"{x}.npy").is_file()
        assert (corpus / "texts" / f"{x}.txt").is_file()
    info = load_corpus_info(corpus)
    assert info["seed"] == 7 and info["fps"] == 20.0 and info["skeleton"] == "humanml3d"
    assert info["counts"]["train"] == {"source": N_TRAIN, "ids": 2 * N_TRAIN}


def test_shapes_and_lengths(joints):
    for x, j in joints.items():
        assert j.dtype == np.float32 and j.ndim == 3 and j.shape[1:] == (22, 3), x
        assert MIN_FRAMES <= j.shape[0] <= MAX_FRAMES, (x, j.shape)
        assert np.isfinite(j).all()


# --------------------------------------------------------------------------------------------
# physical plausibility and conventions
# --------------------------------------------------------------------------------------------


def test_bone_lengths_exact(joints):
    """Each clip has its own performer: bone lengths constant over the clip (float32 positions of
    ~2 m: 1e-4 m), left and right alike, the size within the body range and the proportions near
    the reference body's (each limb group varies by a factor in 0.82–1.32, the overall size 0.86–1.16)."""
    left = [i for i, n in enumerate(JOINT_NAMES[1:]) if n.startswith("left_")]
    right = [MIRROR_PERM[i + 1] - 1 for i in left]
    swapped = REF[MIRROR_PERM[1:] - 1]  # a mirror clip carries the other side's bones
    for x, j in joints.items():
        bones = _bone_lengths(j.astype(np.float64))
        assert np.abs(bones - bones[0]).max() < 1e-4, x
        ratio = bones[0] / (swapped if x.startswith("M") else REF)
        assert np.abs(ratio[left] - ratio[right]).max() < 1e-3, x
        assert BODY_SCALE[0] * 0.8 < ratio.min() and ratio.max() < BODY_SCALE[1] * 1.33, (x, ratio)


def test_feet_above_floor(joints, catalogue_clips):
    for x, j in joints.items():
        assert j[:, FEET, 1].min() >= -0.02, x
    for name, clips in catalogue_clips.items():
        for c in clips:
            assert c.joints[:, FEET, 1].min() >= -0.02, name


def _leg_scale(j: np.ndarray) -> float:
    """The performer's leg length against the reference body's (hip → knee → ankle)."""
    legs = [i - 1 for i in (4, 5, 7, 8)]
    return float(np.median(_bone_lengths(j[:1].astype(np.float64))[0, legs] / REF[legs]))


def test_conventions_at_frame_zero(corpus, joints):
    acts = load_actions(corpus)
    # a clip that opens getting up from the floor starts lying; an excerpt of a crawl on all fours
    down = acts.action.map(lambda a: ACTIONS[a].first_only) | (
        (acts.action == "crawl") & acts.params.str.contains('"excerpt": true'))
    lying = set(acts[(acts.action_idx == 0) & down].clip_id)
    for x, j in joints.items():
        if x in lying:
            continue
        f0 = j[0].astype(np.float64) / _leg_scale(j)  # at the reference size
        assert abs(f0[0, 0]) < 1e-6 and abs(f0[0, 2]) < 1e-6, x  # root XZ at the origin
        assert f0[1, 0] > 0.05 and f0[2, 0] < -0.05, x  # left hip +X, right hip -X
        across = (f0[2] - f0[1]) + (f0[17] - f0[16])  # right minus left
        fwd = np.cross([0.0, 1.0, 0.0], across)
        fwd /= np.linalg.norm(fwd)
        # facing +Z: within 20°, as an excerpt may open mid-stride with the pelvis and the
        # shoulders turned by the gait (up to ±12°) and the trunk leaning
        assert fwd[2] > 0.94, (x, fwd)
        assert 0.78 <= f0[0, 1] <= 1.0, (x, f0[0, 1])  # standing or striding pelvis height
        # a foot on the floor (an excerpt of a run may open in flight: one lands within 0.5 s)
        assert -0.02 < j[:10, FEET, 1].min() < 0.02, x


def test_rest_pose_is_natural():
    c = generate_clip(0, actions=["stand_still"])
    j = c.joints[0].astype(np.float64) / _leg_scale(c.joints)  # at the reference size
    assert 0.88 <= j[0, 1] <= 0.92  # pelvis height
    assert j[15, 1] > 1.4  # head on top (the spine varies ±6 % against the legs)
    for w, sh in ((20, 16), (21, 17)):  # arms hang beside the body
        assert j[w, 1] < j[sh, 1] - 0.45 and abs(j[w, 0]) > 0.12
    for a, h in ((7, 1), (8, 2)):  # straight legs under the hips
        assert abs(j[a, 0] - j[h, 0]) < 0.05 and j[a, 1] < 0.1


def test_walking_speed(catalogue_clips, corpus, joints):
    speeds = []
    clips = [(c.joints, a) for c in catalogue_clips["walk_forward"] for a in c.actions]
    acts = load_actions(corpus)
    for row in acts[acts.action == "walk_forward"].itertuples():
        clips.append((joints[row.clip_id], row))
    for j, a in clips:
        p = j[a.start_frame:a.end_frame, 0].astype(np.float64)
        v = np.linalg.norm(np.diff(p[:, [0, 2]], axis=0), axis=1) * 20.0
        speeds.append(v.mean())
    assert len(speeds) >= 3
    assert all(0.9 <= s <= 1.6 for s in speeds), speeds
    assert 1.1 <= float(np.median(speeds)) <= 1.45


def _check_active_vs_still(j: np.ndarray, a, where: str) -> None:
    active = np.array([bool(getattr(a, c)) if not hasattr(a, "active") else bool(a.active[k])
                       for k, c in enumerate(ACTIVE_COLUMNS)])
    ps = part_speeds(j)[a.start_frame:a.end_frame - 1].mean(axis=0)
    if active.all():
        return
    if not active.any():  # stand still: only the slow sway of a standing person
        assert ps.max() < 0.12, (where, ps)
        return
    # the parts an action does not name move too (arm swing, counter-balance, sway), but less
    # than the parts it drives, and the fastest part is one it drives
    ratio = ps[active].mean() / ps[~active].mean()
    assert ratio >= 1.3 and active[ps.argmax()], (where, a.action if hasattr(a, "action") else a, ps, ratio)


def test_active_parts_move_still_parts_do_not(catalogue_clips, corpus, joints):
    for name, clips in catalogue_clips.items():
        for c in clips:
            for a in c.actions:
                _check_active_vs_still(c.joints, a, name)
    for row in load_actions(corpus).itertuples():
        _check_active_vs_still(joints[row.clip_id], row, row.clip_id)


def test_catalogue_covers_parts_and_actions():
    cat = action_catalogue()
    names = {c["name"] for c in cat}
    assert len(cat) >= 14
    for required in ("walk_forward", "walk_backward", "walk_circle", "jog", "jump", "turn_around",
                     "turn_left", "turn_right", "wave_left", "wave_right", "raise_both_arms",
                     "throw_right", "punch", "clap", "kick_left", "squat", "bend_forward",
                     "sit_down", "kneel", "stand_still"):
        assert required in names
    covered = np.array([c["active"] for c in cat]).any(axis=0)
    assert covered.all()  # every part is active in some action
    for c in cat:
        assert c["templates"] and set(c["active_parts"]) <= set(PART_NAMES)


# --------------------------------------------------------------------------------------------
# mirrors
# --------------------------------------------------------------------------------------------


def test_mirror_relation_exact(corpus, ids, joints):
    gt = load_ground_truth(corpus)
    swap = {"active_right_arm": "active_left_arm", "active_left_arm": "active_right_arm",
            "active_right_leg": "active_left_leg", "active_left_leg": "active_right_leg"}
    for x in [i for i in ids if not i.startswith("M")]:
        mx = joints["M" + x]
        assert np.array_equal(mx, mirror_joints(joints[x])), x
        assert np.array_equal(mirror_joints(mx), joints[x])
        t = (corpus / "texts" / f"{x}.txt").read_text().splitlines()
        mt = (corpus / "texts" / f"M{x}.txt").read_text().splitlines()
        sw = {"left": "right", "right": "left"}
        assert [" ".join(sw.get(w, w) for w in line.split("#")[0].split()) for line in t] == [
            line.split("#")[0] for line in mt]
        a = gt[gt.clip_id == x].reset_index(drop=True)
        b = gt[gt.clip_id == "M" + x].reset_index(drop=True)
        for col in ("active_root", "active_torso") + tuple(swap):
            assert (a[swap.get(col, col)].to_numpy() == b[col].to_numpy()).all(), (x, col)
        assert (a.start_frame == b.start_frame).all() and (a.is_motion == b.is_motion).all()


def test_mirror_of_left_action_is_right_action(corpus):
    acts = load_actions(corpus).set_index(["clip_id", "action_idx"])
    for (cid, k), row in acts.iterrows():
        if cid.startswith("M"):
            continue
        m = acts.loc[("M" + cid, k)]
        if "left" in row.action:
            assert m.action == row.action.replace("left", "right")
        elif "right" in row.action:
            assert m.action == row.action.replace("right", "left")
        else:
            assert m.action == row.action


# --------------------------------------------------------------------------------------------
# texts and ground truth
# --------------------------------------------------------------------------------------------


def _read_texts(corpus: Path, x: str) -> list[list[str]]:
    return [line.split("#") for line in (corpus / "texts" / f"{x}.txt").read_text().splitlines()]


def test_text_files_parse(corpus, ids):
    for x in ids:
        lines = _read_texts(corpus, x)
        assert len(lines) >= 3
        assert len({f[0] for f in lines}) >= 3, x  # at least 3 distinct captions
        for f in lines:
            assert len(f) == 4, f
            cap, tags, start, end = f
            assert re.fullmatch(r"[a-z]+( [a-z]+)*", cap), cap
            pairs = [t.rsplit("/", 1) for t in tags.split(" ")]
            assert [p[0] for p in pairs] == cap.split(), (cap, tags)
            assert all(re.fullmatch(r"[A-Z]+", p[1]) for p in pairs)
            assert float(start) == 0.0 and float(end) == 0.0


def test_text_files_parse_with_project_parser(corpus, ids):
    texts = pytest.importorskip("m2t_interpret.data.texts")
    parsed = texts.parse_text_file(corpus / "texts" / f"{ids[0]}.txt")
    assert not parsed.errors and len(parsed.lines) >= 3
    for line in parsed.lines:
        assert list(line.tokens) == line.caption.split()


def test_ground_truth_aligns_with_captions(corpus, ids):
    gt = load_ground_truth(corpus)
    assert tuple(gt.columns) == GT_COLUMNS
    assert gt.clip_id.dtype == object or pd.api.types.is_string_dtype(gt.clip_id)
    acts = load_actions(corpus).set_index(["clip_id", "action_idx"])
    for x in ids[:: max(1, len(ids) // 20)]:
        lines = _read_texts(corpus, x)
        g = gt[gt.clip_id == x]
        assert sorted(g.caption_idx.unique()) == list(range(len(lines)))
        for ci, f in enumerate(lines):
            rows = g[g.caption_idx == ci].sort_values("token_idx")
            assert list(rows.token_idx) == list(range(len(rows)))
            assert list(rows.word) == f[0].split()
            assert list(rows.pos) == [t.rsplit("/", 1)[1] for t in f[1].split()]
    motion = gt[gt.is_motion]
    other = gt[~gt.is_motion]
    assert (other.action_idx == -1).all() and (other.start_frame == -1).all()
    assert other.start_s.isna().all() and (other.action == "").all()
    assert not other[list(ACTIVE_COLUMNS)].to_numpy().any()
    assert (motion.action_idx >= 0).all() and (motion.end_frame > motion.start_frame).all()
    assert np.allclose(motion.start_s, motion.start_frame / 20.0)
    for r in motion.drop_duplicates(["clip_id", "action_idx"]).itertuples():
        a = acts.loc[(r.clip_id, r.action_idx)]
        assert (a.action, a.start_frame, a.end_frame) == (r.action, r.start_frame, r.end_frame)
    # the is_motion rule: content words inside action phrases only
    assert set(motion.pos) <= {"VERB", "NOUN", "ADJ", "ADV", "NUM"}
    assert not gt[gt.word.isin(["a", "the", "his", "then", "and", "someone"])].is_motion.any()
    assert gt[gt.word.isin(["walks", "forward", "left", "right", "circle"])].is_motion.all()


def test_every_caption_mentions_every_action(corpus):
    gt = load_ground_truth(corpus)
    acts = load_actions(corpus)
    n_actions = acts.groupby("clip_id").action_idx.nunique()
    per_caption = gt[gt.is_motion].groupby(["clip_id", "caption_idx"]).action_idx.nunique()
    for (cid, _), n in per_caption.items():
        assert n == n_actions[cid]


def test_actions_table(corpus, joints):
    acts = load_actions(corpus)
    for cid, g in acts.groupby("clip_id"):
        g = g.sort_values("action_idx")
        assert 1 <= len(g) <= 3
        assert (g.start_frame.to_numpy()[1:] >= g.end_frame.to_numpy()[:-1]).all()
        assert g.end_frame.max() <= joints[cid].shape[0]
        for p in g.params:
            json.loads(p)


def test_vocabulary_modest():
    vocab = vocabulary()
    assert 60 <= len(vocab) <= 200
    assert all(w in LEXICON for w in vocab)


# --------------------------------------------------------------------------------------------
# determinism, API and CLI
# --------------------------------------------------------------------------------------------


def _hashes(d: Path) -> dict[str, str]:
    return {str(p.relative_to(d)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(d.rglob("*")) if p.is_file()}


def test_determinism(tmp_path):
    a = generate_corpus(tmp_path / "a", 5, 1, 2, seed=3, progress=False)
    b = generate_corpus(tmp_path / "b", 5, 1, 2, seed=3, progress=False)
    c = generate_corpus(tmp_path / "c", 5, 1, 2, seed=4, progress=False)
    ha, hb, hc = _hashes(a), _hashes(b), _hashes(c)
    assert ha == hb
    assert ha["ground_truth.parquet"] != hc["ground_truth.parquet"]
    assert ha["new_joints/000000.npy"] != hc["new_joints/000000.npy"]


def test_clip_independent_of_corpus_size(tmp_path, corpus):
    small = generate_corpus(tmp_path / "s", 2, 0, 0, seed=7, progress=False)
    for x in ("000000", "000001"):
        assert (small / "new_joints" / f"{x}.npy").read_bytes() == (
            corpus / "new_joints" / f"{x}.npy").read_bytes()


def test_generate_clip_api():
    c1 = generate_clip(123)
    c2 = generate_clip(np.random.default_rng(123))
    assert np.array_equal(c1.joints, c2.joints)
    assert [x.text for x in c1.captions] == [x.text for x in c2.captions]
    c = generate_clip(5, actions=["wave_left", "kick_right"])
    assert [a.action for a in c.actions] == ["wave_left", "kick_right"]
    assert c.actions[0].active == (0, 0, 0, 1, 0, 0)
    assert any("left hand" in cap.text for cap in c.captions)
    with pytest.raises(M2TError):
        generate_clip(0, actions=["moonwalk"])


def test_bad_input_raises(tmp_path):
    with pytest.raises(M2TError):
        generate_corpus(tmp_path / "x", 0, 0, 0, progress=False)
    with pytest.raises(M2TError):
        generate_corpus(tmp_path / "x", -1, 1, 1, progress=False)
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "notes.txt").write_text("mine")
    with pytest.raises(M2TError):
        generate_corpus(junk, 1, 0, 0, progress=False)
    assert (junk / "notes.txt").read_text() == "mine"
    with pytest.raises(M2TError):
        load_ground_truth(tmp_path / "nowhere")


def test_regenerate_over_existing_corpus(tmp_path):
    d = generate_corpus(tmp_path / "c", 4, 0, 0, seed=1, progress=False)
    generate_corpus(d, 2, 0, 0, seed=1, progress=False)
    assert len(list((d / "new_joints").glob("*.npy"))) == 4  # 2 clips + 2 mirrors
    assert len(load_split(d, "all")) == 4


def test_cli_synth(tmp_path, capsys):
    from m2t_interpret.cli import main

    out = tmp_path / "cli"
    rc = main(["synth", "--out", str(out), "--clips", "6", "--val", "1", "--test", "1",
               "--seed", "2", "--no-progress"])
    assert rc == 0
    assert len(load_split(out, "train")) == 8 and len(load_split(out, "val")) == 2
    assert (out / "ground_truth.parquet").is_file() and (out / "corpus.json").is_file()
    capsys.readouterr()
    assert main(["synth", "--out", str(tmp_path / "bad"), "--clips", "0"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "\n" not in err
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "a.txt").write_text("x")
    assert main(["synth", "--out", str(junk), "--clips", "2", "--no-progress"]) == 2
    assert main(["synth", "--out", str(tmp_path / "v"), "--clips", "3", "--val", "5"]) == 2


@pytest.mark.slow
def test_generation_speed():
    rngs = [np.random.default_rng([0, i]) for i in range(1000)]
    t = time.perf_counter()
    for r in rngs:
        generate_clip(r)
    assert time.perf_counter() - t <= 10.0


# --------------------------------------------------------------------------------------------
# realism: performers, posture, secondary motion, excerpts
# --------------------------------------------------------------------------------------------


def test_performers_vary_in_size_and_proportions():
    """Each clip has its own performer: over 200 clips the head joint of the standing body spans
    most of 1.34–1.81 m, and upper arm against thigh varies (the proportions differ, not only the
    size)."""
    bodies = [random_body(np.random.default_rng([5, i])) for i in range(200)]
    heads = np.array([b.head_height for b in bodies])
    assert heads.min() < 1.40 and heads.max() > 1.75 and np.all((heads > 1.2) & (heads < 2.0))
    ratio = np.array([np.linalg.norm(b.offsets[18]) / np.linalg.norm(b.offsets[4]) for b in bodies])
    assert ratio.max() / ratio.min() > 1.25


def test_excerpts_are_short_single_repeating_actions():
    clips = [generate_clip(np.random.default_rng([11, i])) for i in range(300)]
    short = [c for c in clips if c.actions[0].params.get("excerpt")]
    assert 0.5 * EXCERPT_SHARE < len(short) / len(clips) < 2 * EXCERPT_SHARE
    for c in short:
        assert MIN_FRAMES <= c.n_frames < 40 and len(c.actions) == 1 and c.actions[0].action in CYCLIC
        a = c.actions[0]
        assert (a.start_frame, a.end_frame) == (0, c.n_frames)  # the action covers the whole excerpt
        assert part_speeds(c.joints)[:, 2:].mean() > 0.1  # it moves from its first frame


def test_a_walk_swings_the_arms_and_turns_the_trunk_against_the_pelvis():
    """Secondary motion of a gait: the arms swing (relative to the pelvis) and the shoulder line
    turns against the hip line, in every walk."""
    for seed in range(6):
        c = generate_clip(seed, actions=["walk_forward"])
        a = c.actions[0]
        j = c.joints[a.start_frame + 10:a.end_frame - 10].astype(np.float64)
        hips = j[:, 1, [0, 2]] - j[:, 2, [0, 2]]
        shoulders = j[:, 16, [0, 2]] - j[:, 17, [0, 2]]
        angle = np.degrees(np.arctan2(hips[:, 1], hips[:, 0]) - np.arctan2(shoulders[:, 1], shoulders[:, 0]))
        angle = (angle + 180) % 360 - 180
        assert np.ptp(angle) > 4.0, (seed, np.ptp(angle))  # counter-rotation of a few degrees each way
        assert part_speeds(c.joints)[a.start_frame:a.end_frame, 2:4].mean() > 0.15  # arm swing


def test_standing_still_is_not_a_mannequin():
    """Idle motion: a person standing still sways and looks around (head relative to the pelvis
    moves), slowly (under 0.12 m/s for every part)."""
    moved = []
    for seed in range(5):
        c = generate_clip(seed, actions=["stand_still"])
        head = c.joints[:, 15] - c.joints[:, 0]
        moved.append(np.ptp(head, axis=0).max())
        assert part_speeds(c.joints).mean(axis=0).max() < 0.12
    assert min(moved) > 0.005, moved


def test_a_walk_that_bends_is_captioned_as_a_turn():
    """A forward walk keeps its heading within 15° and is "straight", or bends by 25–75° and is
    captioned as walking and turning to the side it bends to (a mirror swaps the side); an
    excerpt is judged by its own bend."""
    from m2t_interpret.data.synthetic.language import TURNING_WALK_DEG

    kinds = set()
    for seed in range(60):
        c = generate_clip(seed, actions=["walk_forward"])
        bend = c.actions[0].params["heading_drift_deg"]
        assert abs(bend) <= 15 or 25 <= abs(bend) <= 75, bend
        turning = abs(bend) >= TURNING_WALK_DEG
        side = "left" if bend > 0 else "right"
        words, mirrored = c.captions[0].text.split(), c.mirrored().captions[0].text.split()
        assert ("turns" in words) == turning, (seed, bend, words)
        if turning:
            assert side in words and ("left" if side == "right" else "right") in mirrored
        # the heading really bends that way: +yaw turns left (towards +X when facing +Z)
        end = np.degrees(heading(c.joints)[0][c.actions[0].end_frame - 1])
        assert abs(end - bend) < 12, (seed, end, bend)
        kinds.add(turning)
    assert kinds == {True, False}


def test_an_excerpt_of_a_walk_is_judged_by_its_own_bend():
    """A short excerpt cut from a bending walk records the bend of its own frames (not the whole
    walk's), and is captioned as a turn exactly when that bend reaches TURNING_WALK_DEG. Measured
    from the hips and shoulders, the facing also swings with the gait's pelvis turn (at most 8°
    either way), so the two ends' facings give the bend within 2 × 8° (plus 1° for the idle sway)."""
    from m2t_interpret.data.synthetic.language import TURNING_WALK_DEG

    seen = set()
    for i in range(400):
        c = generate_clip(np.random.default_rng([0, i]))
        a = c.actions[0]
        if not (a.params.get("excerpt") and a.action == "walk_forward"):
            continue
        facing = np.degrees(np.unwrap(heading(c.joints)[0]))
        bend = a.params["heading_drift_deg"]
        assert abs((facing[-1] - facing[0]) - bend) < 17, (i, facing[-1] - facing[0], bend)
        turning = abs(bend) >= TURNING_WALK_DEG
        assert all(("turns" in cap.text.split()) == turning for cap in c.captions), (i, bend)
        seen.add(turning)
    assert seen == {True, False}
