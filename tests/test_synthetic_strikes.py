"""Tests of the strike, spin and dance actions of the synthetic generator (strike_actions.py)."""

from __future__ import annotations

import numpy as np
import pytest

from m2t_interpret.data.lexicon import caption_targets, load_lexicon
from m2t_interpret.data.synthetic import PART_NAMES, generate_clip, part_speeds
from m2t_interpret.data.synthetic.actions import ACTIONS
from m2t_interpret.data.synthetic.language import GERUND, LEXICON, TEMPLATES
from m2t_interpret.data.synthetic.strike_actions import STRIKE_ACTIONS

NEW = [a.name for a in STRIKE_ACTIONS]
PAIRS = [n[: -len("_left")] for n in NEW if n.endswith("_left")]
SEEDS = range(4)
L_HIP, R_HIP, L_SHOULDER, R_SHOULDER, L_WRIST, R_WRIST = 1, 2, 16, 17, 20, 21
LIMBS = {"right_arm": 2, "left_arm": 3, "right_leg": 4, "left_leg": 5}


@pytest.fixture(scope="module")
def clips() -> dict[str, list]:
    return {n: [generate_clip(np.random.default_rng([7, k, s]), actions=[n]) for s in SEEDS]
            for k, n in enumerate(NEW)}


def _segment(c):
    a = c.actions[0]
    return a, c.joints[a.start_frame:a.end_frame].astype(np.float64)


def _step_frames(a) -> int:
    """Frames of the steps forward a punch may take before it strikes (0: none)."""
    return int(round(a.params.get("step_s", 0.0) * 20))


def _heading(j: np.ndarray) -> np.ndarray:
    """(T,) facing angle from the hip line (radians, + = turned left), unwrapped."""
    across = j[:, R_HIP] - j[:, L_HIP]
    fwd = np.stack([across[:, 2], -across[:, 0]], axis=1)  # up × across, as (x, z)
    return np.unwrap(np.arctan2(fwd[:, 0], fwd[:, 1]))


def test_catalogue_entries():
    assert set(NEW) <= set(ACTIONS)
    for n in NEW:
        spec = ACTIONS[n]
        assert spec.name == n and n in TEMPLATES and len(TEMPLATES[n]) == 3
        assert any(spec.active)
        if spec.mirror:
            m = ACTIONS[spec.mirror]
            assert m.mirror == n
            assert m.active == tuple(spec.active[k] for k in (0, 1, 3, 2, 5, 4))
    for p in PAIRS:
        assert ACTIONS[p + "_left"].mirror == p + "_right"


def test_generates_plausible_clips(clips):
    """Finite joints, nothing more than 2 cm below the floor, 1.2–4 s, parameters randomised."""
    for n, cs in clips.items():
        lengths, params = set(), set()
        for c in cs:
            a, j = _segment(c)
            assert np.isfinite(c.joints).all(), n
            assert c.joints[..., 1].min() >= -0.02, (n, float(c.joints[..., 1].min()))
            longest = 4.0 + a.params.get("step_s", 0.0)  # the steps a punch may take come first
            assert 1.2 <= (a.end_frame - a.start_frame) / 20.0 <= longest, (n, a.end_frame - a.start_frame)
            lengths.add(a.end_frame - a.start_frame)
            params.add(repr(sorted(a.params.items())))
            # the body stands: the head stays well above the pelvis
            assert (j[:, 15, 1] - j[:, 0, 1]).min() > 0.3, n
        assert len(lengths) > 1 or len(params) > 1, n


def _fastest_limb(c) -> str:
    a, _ = _segment(c)
    start = a.start_frame + _step_frames(a)  # the strike, past any steps
    ps = part_speeds(c.joints)[start:a.end_frame - 1].mean(axis=0)
    return max(LIMBS, key=lambda p: ps[LIMBS[p]])


def test_mirrored_pairs_move_the_named_limb(clips):
    for p in PAIRS:
        limb = "leg" if "kick" in p else "arm"
        for side in ("left", "right"):
            for c in clips[f"{p}_{side}"]:
                assert _fastest_limb(c) == f"{side}_{limb}", (p, side)
                assert c.actions[0].params["side"] == side
                active = [PART_NAMES[k] for k, f in enumerate(c.actions[0].active) if f]
                steps = ["root", "right_leg", "left_leg"] if c.actions[0].params.get("steps") else []
                assert sorted(active) == sorted([f"{side}_{limb}", *steps]), (p, side, active)
        # the left action's mirror is the right action, exactly
        c = clips[f"{p}_left"][0]
        m = c.mirrored()
        assert m.actions[0].action == f"{p}_right" and m.actions[0].params["side"] == "right"
        assert _fastest_limb(m) == f"right_{limb}"


def test_punch_twists_the_torso_into_the_punch(clips):
    """The chest turns away from the punching side (that shoulder comes forward, by more than it
    ever goes back in the load); at the fullest twist the punching fist is well ahead of the pelvis
    and the other fist stays up in guard, above its shoulder."""
    for p in ("jab", "hook", "uppercut"):
        for side, wr, ow, sh, osh in (("left", L_WRIST, R_WRIST, L_SHOULDER, R_SHOULDER),
                                      ("right", R_WRIST, L_WRIST, R_SHOULDER, L_SHOULDER)):
            for c in clips[f"{p}_{side}"]:
                a, j = _segment(c)
                j = j[_step_frames(a):]
                fwd = j[:, :, 2] - j[:, :1, 2]  # the heading stays +Z in a punch
                twist = fwd[:, sh] - fwd[:, osh]
                f = int(np.argmax(twist))
                # by more than 0.28 shoulder widths (about 10 cm on the reference body)
                width = np.linalg.norm(j[0, sh] - j[0, osh])
                assert twist[f] > 0.28 * width and twist[f] > -twist.min(), (p, side, twist[f], width, twist.min())
                if p == "jab":  # the arm reaches out straight
                    assert fwd[f, wr] > 0.35, (p, side, fwd[f, wr])
                elif p == "hook":  # the fist comes in from the side, inside its shoulder
                    sgn = 1.0 if side == "left" else -1.0
                    x_wr, x_sh = sgn * (j[f, wr, 0] - j[f, 0, 0]), sgn * (j[f, sh, 0] - j[f, 0, 0])
                    inside = -0.12 < x_wr < x_sh
                    assert fwd[f, wr] > 0.15 and inside, (p, side)
                else:  # the fist rises in front of the chin, above the shoulder  (≥ 6 cm ahead: a small body reaches less far)
                    assert fwd[f, wr] > 0.06 and j[f, wr, 1] > j[f, sh, 1] + 0.05, (p, side)
                # the guard fist stays up, by its shoulder (long upper arms hold it a little lower)
                assert j[f, ow, 1] > j[f, osh, 1] - 0.05, (p, side)


def test_kicks_lean_away_from_the_kicking_leg(clips):
    """Side and roundhouse kicks: the kicking foot rises above the standing knee, the head moves
    over the standing leg (away from the kick); the roundhouse pivots and turns back."""
    for p in ("side_kick", "roundhouse_kick"):
        for side, s in (("left", 1.0), ("right", -1.0)):
            foot, stand_knee = (10, 5) if side == "left" else (11, 4)
            for c in clips[f"{p}_{side}"]:
                _, j = _segment(c)
                f = int(np.argmax(j[:, foot, 1]))
                assert j[f, foot, 1] > j[f, stand_knee, 1], (p, side)
                h = _heading(j)
                c_, s_ = np.cos(h[f]), np.sin(h[f])
                lateral = (j[f, 15, 0] - j[f, 0, 0]) * c_ - (j[f, 15, 2] - j[f, 0, 2]) * s_
                assert s * lateral < -0.05, (p, side, lateral)  # head towards the standing side
                if p == "roundhouse_kick":
                    turn = np.degrees(h - h[0])
                    assert (-s * turn).max() > 40, (side, turn.min(), turn.max())  # away from the leg
                    assert abs(turn[-1]) < 15


def test_spins_turn_a_full_circle(clips):
    for n in ("spin", "spin_kick"):
        for c in clips[n]:
            a, j = _segment(c)
            turn = np.degrees(_heading(j)[-1] - _heading(j)[0])
            assert 330 <= abs(turn) <= 390, (n, turn)
            assert np.sign(turn) == np.sign(a.params["turn_deg"])
            if n == "spin":  # fast: the turn itself takes 0.8–1.6 s
                assert 0.8 <= a.params["turn_s"] <= 1.6
                m = c.mirrored()
                assert m.actions[0].params["turn_deg"] == -a.params["turn_deg"]


def test_dance_is_rhythmic(clips):
    """The pelvis bounces at the beat: its height's strongest frequency lies in 1.3–2.7 Hz."""
    for n in ("dance", "dance_around"):
        for c in clips[n]:
            a, j = _segment(c)
            y = j[:, 0, 1] - j[:, 0, 1].mean()
            spec = np.abs(np.fft.rfft(y * np.hanning(len(y)), n=512))
            freqs = np.fft.rfftfreq(512, d=1 / 20.0)
            peak = freqs[1:][np.argmax(spec[1:])]
            assert 1.3 <= peak <= 2.7, (n, peak, a.params["beat_hz"])
            turn = np.degrees(_heading(j)[-1] - _heading(j)[0])
            if n == "dance_around":
                assert 100 <= abs(turn) <= 320, turn
            else:
                assert abs(turn) < 30, turn


def test_captions_use_the_lexicon(clips):
    for n, cs in clips.items():
        for c in cs:
            for cap in c.captions:
                assert all(w in LEXICON for w in cap.text.split()), cap.text
    for key in NEW:
        for t in TEMPLATES[key]:
            verb = t.split()[0]
            assert LEXICON[verb] == "VERB" and verb in GERUND and GERUND[verb] in LEXICON, t


def test_project_lexicon_names_the_side():
    """Every template of a sided strike puts its verb on that one limb in the project lexicon."""
    lex = load_lexicon("project")
    for p in PAIRS:
        limb = "leg" if "kick" in p else "arm"
        for side in ("left", "right"):
            want = PART_NAMES.index(f"{side}_{limb}")
            for t in TEMPLATES[f"{p}_{side}"]:
                words = ("a person " + t).split()
                beta, alpha, mask = caption_targets(words, lexicon=lex)
                assert beta[2] == 1 and mask[2], t
                assert np.flatnonzero(alpha[2]).tolist() == [want], (t, alpha[2])
    for t in TEMPLATES["dance"]:
        beta, alpha, mask = caption_targets(("a person " + t).split(), lexicon=lex)
        assert beta[2] == 1 and mask[2] and alpha[2].all(), t


def test_in_sequences_and_short_budgets():
    """Strikes follow and precede other actions within a clip's budget; a segment cut short by the
    budget still starts and ends at rest and keeps its joint speeds bounded."""
    for k, seq in enumerate((["dance", "jab_left", "spin"], ["walk_forward", "roundhouse_kick_right"],
                             ["hook_right", "side_kick_left", "spin_kick"])):
        c = generate_clip(np.random.default_rng([11, k]), actions=seq)
        assert [a.action for a in c.actions] == seq
        assert np.isfinite(c.joints).all() and c.joints[..., 1].min() >= -0.02
        assert c.n_frames <= 196
    for spec in STRIKE_ACTIONS:
        seg = spec.make(np.random.default_rng(3), 30)
        assert seg.n_frames <= 30, spec.name
        assert np.abs(seg.rot[0]).max() < 1e-9 and np.abs(seg.rot[-1]).max() < 1e-9, spec.name
        # no joint turns faster than 30 rad/s (1.5 rad per frame at 20 fps)
        assert np.abs(np.diff(seg.rot, axis=0)).max() < 1.5, spec.name


def test_standing_foot_stays_planted(clips):
    """In punches both feet, in side and roundhouse kicks the standing foot, keep their place on
    the floor (a kicking foot that drags the body along would move it by a decimetre or more). The
    mid-foot is what stays put: a roundhouse pivots on it."""
    for n, cs in clips.items():
        if n.startswith(("jab", "hook", "uppercut")):
            feet = [(7, 10), (8, 11)]  # (ankle, ball of the foot)
        elif n.startswith(("side_kick", "roundhouse_kick")):
            feet = [(8, 11)] if n.endswith("_left") else [(7, 10)]
        else:
            continue
        for c in cs:
            a, j = _segment(c)
            j = j[_step_frames(a):]
            for f in feet:
                xz = 0.5 * (j[:, f[0]] + j[:, f[1]])[:, [0, 2]]
                drift = np.linalg.norm(xz - xz[0], axis=1).max()
                assert drift < 0.06, (n, f, drift)


def test_a_punch_that_steps_forward_travels_and_says_so():
    """A third of jabs and hooks step forward first: the body travels with the legs (not in the
    strike), the captions say "steps forward and …" or name the punch, and the action's parts
    add the root and legs the steps move."""
    seen = 0
    for seed in range(40):
        c = generate_clip(seed, actions=["jab_right"])
        a = c.actions[0]
        if not a.params.get("steps"):
            continue
        seen += 1
        root = c.joints[a.start_frame:a.end_frame, 0]
        n_step = _step_frames(a)
        walked = np.linalg.norm(root[n_step, [0, 2]] - root[0, [0, 2]])
        after = np.linalg.norm(root[-1, [0, 2]] - root[n_step, [0, 2]])
        assert walked > 0.25 and after < 0.25, (seed, walked, after)
        assert all(any(t.text.endswith(f" {form}") for form in TEMPLATES["step_jab_right"])
                   for t in c.captions), (seed, [t.text for t in c.captions])
        assert c.actions[0].active == (1, 0, 1, 0, 1, 1)
    assert 5 <= seen <= 25, seen
