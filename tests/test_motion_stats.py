"""Motion statistics (analysis.motion_stats): the features the realism report compares, on motions
whose answers are known — a still pose, a pose carried along at a known speed, a pose turned at a
known rate, a body scaled by a known factor — and the realism report's comparison and CSV round trip.

Tolerances: joints are float32 (about 1e-7 relative, 1e-6 m at body scale); speeds are differences
of positions × 20 fps, so their float32 error is below 1e-4 m/s; angles below 0.01°.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from m2t_interpret.analysis.motion_stats import (
    FEATURE_NAMES,
    FEATURES,
    body_height,
    foot_slide,
    motion_stats,
    scale,
    turning_rate,
)
from m2t_interpret.data.rotations import yaw_rotation
from m2t_interpret.data.synthetic import generate_clip
from m2t_interpret.errors import M2TError
from m2t_interpret.skeletons import HUMANML3D, HUMANML3D_BONE_LENGTHS

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "maintenance" / "realism_report.py"
EXAMPLES = REPO / "analyses" / "examples"


def _still(frames: int = 60) -> np.ndarray:
    """The first frame of a synthetic clip held still, its lowest joint on the floor."""
    pose = generate_clip(0).joints[0].astype(np.float64)
    pose[:, 1] -= pose[:, 1].min()
    return np.repeat(pose[None], frames, axis=0)


def _module():
    spec = importlib.util.spec_from_file_location("realism_report", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["realism_report"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_body_height_is_the_bone_chain_whatever_the_pose():
    """Each synthetic clip has its own performer: its height is the chain of its own bones (mean of
    the two legs, then the trunk), measured in a crouch, a jump or a crawl alike."""
    names = HUMANML3D.joint_names
    parents = HUMANML3D.parents

    def bone(j: np.ndarray, name: str) -> float:
        k = names.index(name)
        return float(np.linalg.norm(j[0, k] - j[0, parents[k]]))

    for seed, actions in enumerate((["squat"], ["jump"], ["crawl"], ["walk_forward", "kneel"], None)):
        j = generate_clip(seed, actions=actions).joints.astype(np.float64)
        leg = (bone(j, "left_knee") + bone(j, "left_ankle") + bone(j, "right_knee") + bone(j, "right_ankle")) / 2
        trunk = sum(bone(j, n) for n in ("spine1", "spine2", "spine3", "neck", "head"))
        assert body_height(j) == pytest.approx(leg + trunk, abs=1e-4), (seed, actions)


def test_a_scaled_body_scales_its_height_and_keeps_its_ratios():
    joints = generate_clip(3).joints.astype(np.float64)
    a, b = motion_stats(joints), motion_stats(joints * 1.2)
    assert b["body_height"][0] == pytest.approx(1.2 * a["body_height"][0], rel=1e-6)
    for name in ("thigh_ratio", "shin_ratio", "upper_arm_ratio", "forearm_ratio", "spine_ratio", "pelvis_height"):
        np.testing.assert_allclose(b[name], a[name], rtol=1e-6)


def test_a_still_pose_has_no_speed_no_turn_and_planted_feet():
    s = motion_stats(_still())
    for name in ("speed_root", "speed_torso", "speed_left_arm", "speed_right_leg", "root_horizontal_speed",
                 "turning_rate"):
        assert np.abs(s[name]).max() < 1e-4, name
    assert s["foot_slide"].size > 0 and s["foot_slide"].max() < 1e-4  # the feet are on the floor, in contact
    assert s["arm_swing"].size == 0 and s["arm_speed_legs_moving"].size == 0  # no locomotion, no legs moving
    assert s["knee_flexion"].max() < 30 and s["trunk_lean"].max() < 20


def test_a_pose_carried_along_slides_at_that_speed_until_it_no_longer_counts_as_contact():
    still = _still()
    t = np.arange(len(still)) / HUMANML3D.fps
    for speed in (0.3, 2.0):
        moved = still + np.stack([0 * t, 0 * t, speed * t], -1)[:, None]
        s = motion_stats(moved)
        assert np.median(s["root_horizontal_speed"]) == pytest.approx(speed, abs=1e-4)
        assert np.median(s["speed_root"]) == pytest.approx(speed, abs=1e-4)
        assert np.abs(s["speed_left_leg"]).max() < 1e-4  # relative to the pelvis nothing moves
        slide = foot_slide(moved)
        if speed < 1.0:
            assert slide.size and slide == pytest.approx(np.full(slide.size, speed), abs=1e-4)
        else:  # a foot moving this fast is swinging, not in contact
            assert slide.size == 0


def test_turning_rate_reads_a_known_turn():
    still = _still(80)
    rate_deg = 45.0
    turned = np.stack([p @ yaw_rotation(np.radians(rate_deg * k / HUMANML3D.fps)).T for k, p in enumerate(still)])
    rate = turning_rate(turned)
    assert rate[5:-5] == pytest.approx(np.full(len(rate) - 10, rate_deg), abs=0.01)


def test_every_feature_has_samples_of_its_level_and_bad_shapes_are_refused():
    s = motion_stats(generate_clip(7).joints)
    assert list(s) == list(FEATURE_NAMES)
    for f in FEATURES:
        assert s[f.name].ndim == 1 and np.isfinite(s[f.name]).all(), f.name
        if f.level == "clip":
            assert s[f.name].size <= 1, f.name
    with pytest.raises(M2TError, match="expected"):
        motion_stats(np.zeros((10, 21, 3)))


def test_the_scale_is_the_real_spread_or_the_feature_floor():
    speed = next(f for f in FEATURES if f.unit == "m/s")
    assert scale(speed, np.array([0.0, 1.0, 2.0, 3.0, 4.0])) == pytest.approx(2.0)
    assert scale(speed, np.full(10, 1.3)) == speed.floor  # no spread: the floor


def test_the_report_is_zero_between_a_corpus_and_itself():
    rr = _module()
    synthetic = rr.synthetic_samples(4, seed=0)
    table = rr.compare({"clips": synthetic}, synthetic)
    assert table["w1_norm"].abs().max() < 1e-12
    other = rr.compare({"clips": rr.synthetic_samples(4, seed=1)}, synthetic)
    assert other["w1_norm"].max() > 0


def test_the_report_writes_a_csv_and_compares_a_run_with_it(tmp_path):
    if not EXAMPLES.is_dir():
        pytest.skip("no analyses/examples")
    out, recordings = tmp_path / "before.csv", tmp_path / "recordings"
    recordings.mkdir()
    # the example clips are too short for a window: the report says it skips them and goes on
    (recordings / "short.bvh").write_bytes((EXAMPLES / "humanoid3d_walk.bvh").read_bytes())
    base = [sys.executable, str(SCRIPT), "--clips", str(EXAMPLES), "--recordings", str(recordings), "--n", "3"]
    first = subprocess.run(base + ["--label", "before", "--out", str(out)], capture_output=True, text=True, check=False)
    assert first.returncode == 0, first.stderr
    assert "skipped short.bvh" in first.stderr
    assert out.read_text().startswith("# realism_report.py") and "before" in out.read_text()
    second = subprocess.run(base + ["--label", "after", "--compare", str(out)], capture_output=True, text=True, check=False)
    assert second.returncode == 0, second.stderr
    lines = second.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if "synthetic before" in line) + 2
    changes = [line.split("|")[8].strip() for line in lines[start:] if line.startswith("| ")]
    assert len(changes) == len(FEATURES) + 1  # and the mean over features
    assert set(changes) <= {"+0.00", "-0.00"}  # the same generator, the same real clips: nothing moved
    other = tmp_path / "notes.csv"
    other.write_text("mine\n")
    refused = subprocess.run(base + ["--out", str(other)], capture_output=True, text=True, check=False)
    assert refused.returncode != 0 and other.read_text() == "mine\n"  # never replaces a file it did not write
