"""Tests of the floor and acrobatic actions of the synthetic generator (crawl, get up, roll,
cartwheel, backflip): plausible whole-body motion, on the floor, and captions in the lexicon."""

from __future__ import annotations

import numpy as np
import pytest

from m2t_interpret.data.lexicon import load_lexicon
from m2t_interpret.data.synthetic import generate_clip
from m2t_interpret.data.synthetic.actions import ACTIONS
from m2t_interpret.data.synthetic.floor_actions import GERUND, TEMPLATES, WORDS
from m2t_interpret.data.synthetic.language import LEXICON
from m2t_interpret.skeletons import HUMANML3D, HUMANML3D_BONE_LENGTHS

FLOOR = ("crawl", "get_up_faceup", "get_up_facedown", "roll", "cartwheel", "backflip")
PARENTS = np.asarray(HUMANML3D.parents)
REF = np.array([HUMANML3D_BONE_LENGTHS[n] for n in HUMANML3D.joint_names[1:]])
SEEDS = range(4)
FPS = 20.0


@pytest.fixture(scope="module")
def clips() -> dict[str, list]:
    return {name: [generate_clip(np.random.default_rng([5, k, s]), actions=[name]) for s in SEEDS]
            for k, name in enumerate(FLOOR)}


def _scale(j: np.ndarray) -> float:
    """The performer's size against the reference body (median bone ratio)."""
    bones = np.linalg.norm(j[0, 1:] - j[0, PARENTS[1:]], axis=-1)
    return float(np.median(bones / REF))


def duration_frames(clip) -> slice:
    a = clip.actions[0]
    return slice(a.start_frame, a.end_frame)


def _pelvis_axes(j: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unit up (pelvis → spine1) and forward (across × up: the facing) vectors of the pelvis (T, 3)."""
    up = j[:, 3] - j[:, 0]
    up /= np.linalg.norm(up, axis=1, keepdims=True)
    across = j[:, 1] - j[:, 2]  # right hip → left hip: +X at rest
    fwd = np.cross(across, up)
    fwd /= np.linalg.norm(fwd, axis=1, keepdims=True)
    return up, fwd


def _turn(up: np.ndarray, a: int, b: int) -> float:
    """Total signed turn (degrees) of the up vector in the plane of axes (a, b), angle atan2(a, b)."""
    return float(np.degrees(np.unwrap(np.arctan2(up[:, a], up[:, b]))[[0, -1]] @ [-1, 1]))


def test_registered_and_sized(clips):
    for name in FLOOR:
        assert name in ACTIONS and name in TEMPLATES
        assert all(ACTIONS[name].active), name  # whole-body actions
        for c in clips[name]:
            n = c.actions[0].end_frame - c.actions[0].start_frame
            assert 1.5 * FPS <= n <= 4.0 * FPS, (name, n)
    assert ACTIONS["get_up_faceup"].first_only and ACTIONS["get_up_facedown"].first_only


def test_finite_on_the_floor_exact_bones(clips):
    for name, cs in clips.items():
        for c in cs:
            j = c.joints.astype(np.float64)
            assert np.isfinite(j).all(), name
            assert j[..., 1].min() >= -0.02, (name, j[..., 1].min())
            # the lowest point touches the floor whenever the body is not in the air
            assert j[..., 1].min(axis=1).min() < 0.12, name
            bones = np.linalg.norm(j[:, 1:] - j[:, PARENTS[1:]], axis=-1)
            assert np.abs(bones - bones[0]).max() < 1e-4, name  # float32 of ~2 m: 1e-4


def test_parameters_vary_per_clip(clips):
    for name, cs in clips.items():
        assert len({repr(c.actions[0].params) for c in cs}) == len(cs), name
        lengths = {c.actions[0].end_frame - c.actions[0].start_frame for c in cs}
        assert len(lengths) >= 2, name


def test_roll_and_backflip_turn_about_the_side_axis(clips):
    """Forward roll: the pelvis's up vector turns +360° (top towards +Z, the facing) in the
    sagittal plane; backflip: −360°. Neither travels sideways."""
    for name, sign in (("roll", 1.0), ("backflip", -1.0)):
        for c in clips[name]:
            j = c.joints.astype(np.float64)
            up, _ = _pelvis_axes(j[duration_frames(c)])
            assert abs(_turn(up, 2, 1) - sign * 360.0) < 30.0, (name, _turn(up, 2, 1))
            assert np.abs(up[:, 0]).max() < 0.5, name  # no sideways tipping
            assert abs(j[-1, 0, 0] - j[0, 0, 0]) < 0.3, name


def test_backflip_flies(clips):
    for c in clips["backflip"]:
        j = c.joints.astype(np.float64)[duration_frames(c)]
        s = _scale(j)
        airborne = j[..., 1].min(axis=1) > 0.15
        assert airborne.sum() >= 6  # ≥ 0.3 s with every joint clear of the floor
        assert j[:, 0, 1].max() > 1.2 * s  # the pelvis rises well above standing height
        inverted = _pelvis_axes(j)[0][:, 1] < -0.5
        assert (inverted & airborne).any()  # upside down in the air


def test_cartwheel_turns_about_the_forward_axis_and_travels_sideways(clips):
    for c in clips["cartwheel"]:
        j = c.joints.astype(np.float64)
        side = 1.0 if c.actions[0].params["side"] == "left" else -1.0
        up, _ = _pelvis_axes(j[duration_frames(c)])
        # turning towards its left (+X) tips the up vector to +X: atan2(x, y) grows
        assert abs(_turn(up, 0, 1) - side * 360.0) < 30.0, _turn(up, 0, 1)
        travel = j[-1, 0] - j[0, 0]
        assert 1.5 < side * travel[0] < 6.0 * _scale(j), travel
        assert abs(travel[2]) < 0.4, travel
        # hands on the floor while upside down
        inv = up[:, 1] < -0.7
        hands = j[duration_frames(c)][inv][:, [20, 21], 1].min(axis=1)
        assert inv.any() and hands.max() < 0.15


def test_get_up_starts_lying_ends_standing(clips):
    for name, face in (("get_up_faceup", 1.0), ("get_up_facedown", -1.0)):
        for c in clips[name]:
            j = c.joints.astype(np.float64)
            s = _scale(j)
            up, fwd = _pelvis_axes(j)
            assert j[0, 15, 1] < 0.35 * s, name  # head near the floor: lying
            assert abs(up[0, 1]) < 0.4 and face * fwd[0, 1] > 0.8, (name, up[0], fwd[0])
            assert j[-1, 15, 1] > 1.2 * s, name  # head up: standing
            assert up[-1, 1] > 0.95, name
            # held lying before the action starts (the clip opens with it)
            a = c.actions[0].start_frame
            assert np.abs(j[:a, 15, 1] - j[0, 15, 1]).max() < 0.03, name


def test_crawl_on_hands_and_knees_forward(clips):
    for c in clips["crawl"]:
        j = c.joints.astype(np.float64)
        s = _scale(j)
        a = c.actions[0]
        lo, hi = a.params["steady"]  # on all fours: after getting down, before rising
        assert lo >= 10 and hi <= a.end_frame - a.start_frame - 10 and hi - lo >= 30
        mid = slice(a.start_frame + lo, a.start_frame + hi)
        assert j[mid, 0, 1].max() < 0.65 * s  # the pelvis low
        up = _pelvis_axes(j[mid])[0]
        assert np.abs(up[:, 1]).max() < 0.5  # the trunk near horizontal
        # a hand or a knee on the floor, the other pair near it (arm and leg lengths and the
        # performer's trunk lean vary independently: one pair may float a few centimetres)
        hand = j[mid][:, [20, 21], 1].min(axis=1)
        knee = j[mid][:, [4, 5], 1].min(axis=1)
        assert np.minimum(hand - 0.04 * s, knee - 0.05 * s).max() < 0.02
        assert hand.max() < 0.15 * s and knee.max() < 0.17 * s
        v = (j[mid.stop, 0, 2] - j[mid.start, 0, 2]) / ((mid.stop - mid.start) / FPS)
        assert 0.15 < v < 0.8, v  # forward, at a crawl's speed
        assert abs(j[mid.stop, 0, 0] - j[mid.start, 0, 0]) < 0.25


def test_captions_use_lexicon_words(clips):
    project = load_lexicon("project")
    for name, cs in clips.items():
        for c in cs:
            for cap in c.captions:
                for t in cap.tokens:
                    assert t.word in LEXICON, (name, t.word)
                verbs = [t for t in cap.tokens if t.action_idx == 0]
                assert verbs[0].pos == "VERB" and verbs[0].is_motion
                assert project.entry(verbs[0].word) is not None, verbs[0].word
    for w in WORDS:
        assert w in LEXICON and LEXICON[w] == WORDS[w]
    for verb, ing in GERUND.items():
        assert LEXICON[verb] == "VERB" and LEXICON[ing] == "VERB"
        assert project.entry(verb) == project.entry(ing) == ("action", "whole_body"), verb
    for phrases in TEMPLATES.values():
        assert len(phrases) == 3 and all(p.split()[0] in LEXICON for p in phrases)


def test_mirror_of_cartwheel_goes_the_other_way(clips):
    c = clips["cartwheel"][0]
    m = c.mirrored()
    assert m.actions[0].action == "cartwheel"
    assert m.actions[0].params["side"] != c.actions[0].params["side"]
    dx = float(c.joints[-1, 0, 0] - c.joints[0, 0, 0])
    assert float(m.joints[-1, 0, 0] - m.joints[0, 0, 0]) == pytest.approx(-dx, abs=1e-5)


def test_crawl_excerpts_are_on_all_fours():
    """A random clip may be a short excerpt of a repeating action: a crawl's is cut from its
    stretch on all fours, never from getting down or up."""
    found = 0
    for seed in range(600):
        c = generate_clip(seed)
        a = c.actions[0]
        if a.action != "crawl" or not a.params.get("excerpt"):
            continue
        found += 1
        j = c.joints.astype(np.float64)
        assert j[:, 0, 1].max() < 0.65 * _scale(j), seed
        assert np.abs(_pelvis_axes(j)[0][:, 1]).max() < 0.5, seed
    assert found >= 3
