"""The real-clip scorer's pure logic (maintenance/real_clip_scores.py): a clip's action from its file
name, whether a caption names the action, the forced caption in a model's vocabulary, the README's
cycle marks, and the repetition of a cycle (--loop). No model is loaded.

Tolerances: the tiled clip is re-imported through float64 rotations and stored as float32 joints
(1e-6 m at body scale); its first cycle equals the untiled import within 1e-4 m but for the floor
(the lowest joint of the whole clip), which moves every joint by one constant height. The tiled
BVH's own forward kinematics is float64: its cycles agree within 1e-6 of the coordinates' size.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from m2t_interpret.data.bvh import find_joint, forward_kinematics, read_bvh
from m2t_interpret.data.retarget import import_bvh
from m2t_interpret.data.synthetic import generate_clip

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "analyses" / "examples"


def _load():
    spec = importlib.util.spec_from_file_location("real_clip_scores", REPO / "maintenance" / "real_clip_scores.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["real_clip_scores"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


rcs = _load()


@pytest.mark.parametrize("name, action", [
    ("humanoid3d_walk.bvh", "walk"), ("humanoid3d_run.bvh", "run"), ("humanoid3d_jump.bvh", "jump"),
    ("humanoid3d_punch.bvh", "punch"), ("humanoid3d_crawl.bvh", "crawl"),
    ("humanoid3d_getup_faceup.bvh", "get up"), ("humanoid3d_getup_facedown.bvh", "get up"),
    ("humanoid3d_dance_a.bvh", "dance"), ("humanoid3d_dance_b.bvh", "dance"), ("humanoid3d_kick.bvh", "kick"),
    ("humanoid3d_spinkick.bvh", "spin kick"), ("humanoid3d_spin.bvh", "spin"), ("humanoid3d_roll.bvh", "roll"),
    ("humanoid3d_cartwheel.bvh", "cartwheel"), ("humanoid3d_backflip.bvh", "backflip"),
    ("walker_turn_left0.bvh", "turn left"), ("walker_turn_left1.bvh", "turn left"),
    ("walker_turn_right0.bvh", "turn right"), ("Humanoid3D_Walk.BVH", "walk"),
])
def test_the_file_name_says_the_action(name, action):
    assert rcs.action_of(name).name == action


@pytest.mark.parametrize("name", ["humanoid3d_sideflip.bvh", "walker_idle.bvh", "humanoid3d_walker.bvh", "take_01.bvh"])
def test_a_name_that_says_no_known_action_has_none(name):
    assert rcs.action_of(name) is None  # "walker" is not "walk": a word of the name, not a substring


@pytest.mark.parametrize("caption, action, named", [
    ("a person walks forward", "walk", True),
    ("<sos> a person is walking in a circle <eos>", "walk", True),
    ("a person jogs forward", "run", True),
    ("a person kneels on both knees", "run", False),
    ("a person gets down on his knees then stands up", "get up", True),
    ("a person gets down on his knees", "get up", False),
    ("a person gets down and raises his arms up", "get up", False),
    ("a person turns to the left", "turn left", True),
    ("a person turns left", "turn left", True),
    ("a person turns left", "turn right", False),
    ("a person turns around and raises his left arm", "turn left", False),  # 'left' too far from 'turns'
    ("a person turns around", "spin", True),
    ("a person spins", "spin kick", True),
    ("a person kicks with his left leg", "spin kick", True),
    ("a person boxes with both hands", "punch", True),
    ("a person claps both hands together", "punch", False),
    ("a person does a backflip", "backflip", True),
    ("a person does a cartwheel", "cartwheel", True),
    ("a person dances", "dance", True),
    ("a person rolls forward", "roll", True),
    ("a person crawls forward", "crawl", True),
    ("a person jumps forward", "jump", True),
    ("a person runs forward", "jump", False),
])
def test_the_caption_names_the_action_by_its_words(caption, action, named):
    assert rcs.names_action(caption, action) is named


def test_every_action_names_itself_in_its_forced_captions():
    for action in rcs.ACTIONS:
        for form in action.forced:
            assert rcs.names_action(form.format(side="left"), action), (action.name, form)


def test_the_forced_caption_takes_the_moving_side_and_the_first_form_in_the_vocabulary():
    kick = rcs.ACTION_BY_NAME["kick"]
    joints = generate_clip(5, actions=["kick_left"]).joints
    words = {"a", "person", "kicks", "with", "his", "left", "right", "leg"}
    assert rcs.forced_caption(kick, words, joints) == ("a person kicks with his left leg", [])
    getup = rcs.ACTION_BY_NAME["get up"]
    assert rcs.forced_caption(getup, {"a", "person", "gets", "up"}, joints) == ("a person gets up", [])
    text, missing = rcs.forced_caption(rcs.ACTION_BY_NAME["dance"], words, joints)
    assert text is None and missing == ["dances"]


def test_the_readme_marks_the_cycles(tmp_path, capsys):
    (tmp_path / "README.md").write_text(
        "intro\n\n| file | action | loop |\n|---|---|---|\n| `a_walk.bvh` | walk | wrap |\n| `b_punch.bvh` | punch | none |\n")
    assert rcs.wrap_marks(tmp_path) == {"a_walk.bvh"}
    (tmp_path / "README.md").write_text("| file | action |\n|---|---|\n| a_walk.bvh | walk |\n")
    with pytest.raises(SystemExit) as stop:
        rcs.wrap_marks(tmp_path)
    assert stop.value.code == 2 and "'loop'" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["humanoid3d_walk.bvh", "walker_turn_left0.bvh"])
def test_a_repeated_cycle_starts_where_the_last_one_ended(name):
    path = EXAMPLES / name
    if not path.is_file():
        pytest.skip(f"no {path}")
    motion, once = read_bvh(path), import_bvh(path)
    tiled, cycles = rcs.tile_cycle(motion, once.report.up, 4.0)
    period = (motion.n_frames - 1) * motion.frame_time
    assert cycles == int(np.ceil(4.0 / period)) and tiled.duration >= 4.0
    assert tiled.n_frames == cycles * (motion.n_frames - 1) + 1
    # the joints below the root are the cycle's own, frame for frame
    np.testing.assert_array_equal(tiled.values[motion.n_frames - 1:2 * motion.n_frames - 2, 6:], motion.values[:-1, 6:])
    joints = import_bvh(tiled).joints.astype(np.float64)
    first = once.joints.astype(np.float64)
    # the first cycle is the clip itself, up to the floor (the lowest joint of the longer clip) that
    # may sit a little lower
    shift = joints[:len(first) - 1] - first[:-1]
    assert np.abs(shift[..., [0, 2]]).max() < 1e-4
    assert np.ptp(shift[..., 1]) < 1e-4 and np.abs(shift[..., 1]).max() < 0.01
    # no jump at the seams: the largest step of the tiled pelvis is a step of the cycle's own
    own = np.linalg.norm(np.diff(first[:, 0], axis=0), axis=-1).max()
    assert np.linalg.norm(np.diff(joints[:, 0], axis=0), axis=-1).max() < 1.2 * own
    # each cycle is the one before it turned about the vertical and moved, by the same motion every time
    world = forward_kinematics(tiled)[0]  # (F, J, 3), file units, Y up
    n = motion.n_frames - 1
    cycle = [world[c * n:(c + 1) * n].reshape(-1, 3) for c in range(3)]
    turn, shift = _rigid(cycle[0], cycle[1])
    assert np.abs(cycle[0] @ turn.T + shift - cycle[1]).max() < 1e-6 * np.abs(world).max()
    assert turn[1] == pytest.approx([0.0, 1.0, 0.0], abs=1e-9)  # about the vertical only
    np.testing.assert_allclose(cycle[1] @ turn.T + shift, cycle[2], atol=1e-6 * np.abs(world).max())
    # … by the clip's own motion: the next cycle starts at the last frame's root, turned as the hips turned
    own = forward_kinematics(motion)[0]
    np.testing.assert_allclose(world[n, 0], own[n, 0], atol=1e-9 * np.abs(own).max())
    left, right = find_joint(motion, "LeftUpLeg"), find_joint(motion, "RightUpLeg")
    hip_turn = _yaw(own[n, left] - own[n, right]) - _yaw(own[0, left] - own[0, right])
    turn_deg = np.degrees(np.arctan2(turn[0, 2], turn[0, 0]))  # a rotation about +Y by θ: R[0,2] = sin θ
    assert (turn_deg - hip_turn + 180) % 360 - 180 == pytest.approx(0.0, abs=2.0)


def _yaw(v: np.ndarray) -> float:
    """The direction of a vector about +Y, degrees (from +Z towards +X)."""
    return float(np.degrees(np.arctan2(v[0], v[2])))

def _rigid(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rotation and translation that best carry the points ``a`` onto ``b`` (Kabsch)."""
    ca, cb = a.mean(0), b.mean(0)
    u, _, vt = np.linalg.svd((a - ca).T @ (b - cb))
    d = np.sign(np.linalg.det(vt.T @ u.T))
    rot = vt.T @ np.diag([1.0, 1.0, d]) @ u.T
    return rot, cb - ca @ rot.T


def test_models_are_named_by_their_file_unless_two_files_share_a_name():
    labels = rcs.model_labels(["synthetic-guided", "runs/a/model.pt", "runs/b/model.pt", "x/other.pt"])
    assert labels == {"synthetic-guided": "synthetic-guided", "runs/a/model.pt": "runs/a/model.pt",
                      "runs/b/model.pt": "runs/b/model.pt", "x/other.pt": "other"}
