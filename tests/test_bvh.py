"""BVH import: reading, forward kinematics, rigs, retargeting to HumanML3D-22 / KIT-21, resampling,
cutting, the conventions, and one-line errors on bad files.

The real clips are the eight motion-capture BVH files in ../shared/data/real-mocap (CMU/MotionBuilder
names, centimetres, Y up, facing +X, a small character); tests that need them skip without them.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from m2t_interpret.data.bvh import (
    BvhMotion, format_bvh, forward_kinematics, forward_kinematics_local, parse_bvh, read_bvh, write_bvh,
)
from m2t_interpret.data.bvh_export import positions_to_bvh, write_positions_bvh
from m2t_interpret.data.retarget import (
    KIT_LANDMARKS, constant_bones, face_and_centre, facing_angle, import_bvh, split_windows, window_starts,
)
from m2t_interpret.data.rigs import read_rig_map
from m2t_interpret.data.rotations import axis_quaternions, resample_quaternions, slerp
from m2t_interpret.data.synthetic import generate_clip
from m2t_interpret.errors import M2TError
from m2t_interpret.skeletons import HUMANML3D, KIT

REPO = Path(__file__).resolve().parents[1]
MOCAP = REPO.parent / "shared" / "data" / "real-mocap"
HML_SAMPLE = REPO.parent / "shared" / "data" / "humanml3d-sample" / "new_joints" / "012314.npy"
CLIPS = ("humanoid3d_walk", "humanoid3d_run", "humanoid3d_jump", "humanoid3d_punch", "humanoid3d_crawl",
         "humanoid3d_getup_faceup", "humanoid3d_dance_a", "walker_turn_left0")
STANDING = ("humanoid3d_walk", "humanoid3d_run", "humanoid3d_jump", "humanoid3d_punch", "humanoid3d_dance_a",
            "walker_turn_left0")
MM = 1e-3  # metres
# float32 output: 1e-7 relative of a few metres is far below these tolerances

#: The test's own reading of the shared rig: HumanML3D joint → BVH joint (independent of rigs.py).
SHARED_RIG = {
    "pelvis": "Hips", "left_hip": "LeftUpLeg", "right_hip": "RightUpLeg", "left_knee": "LeftLeg",
    "right_knee": "RightLeg", "left_ankle": "LeftFoot", "right_ankle": "RightFoot", "spine3": "Spine",
    "neck": "Neck", "head": "Head", "left_collar": "LeftShoulder", "right_collar": "RightShoulder",
    "left_shoulder": "LeftArm", "right_shoulder": "RightArm", "left_elbow": "LeftForeArm",
    "right_elbow": "RightForeArm", "left_wrist": "LeftHand", "right_wrist": "RightHand",
}
#: SMPL (HumanML3D) names → MotionBuilder names, for writing synthetic clips as other rigs.
TO_MOTIONBUILDER = {
    "pelvis": "Hips", "spine1": "Spine", "spine2": "Spine1", "spine3": "Spine2", "neck": "Neck", "head": "Head",
    **{f"{s}_{a}": f"{S}{b}" for s, S in (("left", "Left"), ("right", "Right")) for a, b in (
        ("hip", "UpLeg"), ("knee", "Leg"), ("ankle", "Foot"), ("foot", "ToeBase"), ("collar", "Shoulder"),
        ("shoulder", "Arm"), ("elbow", "ForeArm"), ("wrist", "Hand"))},
}


def mocap(name: str) -> Path:
    path = MOCAP / f"{name}.bvh"
    if not path.exists():
        pytest.skip(f"real motion-capture clips not found at {MOCAP} (../shared beside the repo)")
    return path


def canonical(joints: np.ndarray, skeleton=HUMANML3D) -> np.ndarray:
    """The dataset conventions applied to a clip: floor at 0, pelvis at the origin, facing +Z."""
    out = np.asarray(joints, dtype=np.float64).copy()
    out[..., 1] -= out[..., 1].min()
    return face_and_centre(out, skeleton)[0]


def synthetic(seed: int) -> np.ndarray:
    return canonical(generate_clip(seed).joints)


def kit_clip(seed: int) -> np.ndarray:
    """A KIT-21 clip with constant bone lengths: the synthetic motion's landmarks (toe tips 5 cm
    beyond the balls of the feet), every bone then given its median length."""
    joints = generate_clip(seed).joints.astype(np.float64)
    marks = {n: joints[:, i] for i, n in enumerate(HUMANML3D.joint_names)}
    for side in ("left", "right"):
        foot = marks[f"{side}_foot"] - marks[f"{side}_ankle"]
        marks[f"{side}_toe_tip"] = marks[f"{side}_foot"] + 0.05 * foot / np.linalg.norm(foot, axis=-1, keepdims=True)
    kit = np.stack([marks[KIT_LANDMARKS[n]] for n in KIT.joint_names], axis=1)
    return canonical(constant_bones(kit, KIT.parents), KIT)


def renamed(motion: BvhMotion, names: dict[str, str]) -> BvhMotion:
    return BvhMotion(tuple(names.get(n, n) for n in motion.names), motion.parents, motion.offsets,
                     motion.channels, motion.end_parents, motion.end_offsets, motion.frame_time, motion.values,
                     motion.source)


def transformed(motion: BvhMotion, world=np.eye(3), rest=np.eye(3), scale: float = 1.0,
                names: dict[str, str] | None = None) -> BvhMotion:
    """The same motion in another file: world axes turned by ``world`` and lengths × ``scale`` (every
    position becomes scale·world·p) and the rest pose turned by ``rest`` (every joint's frame turned,
    its rotations re-expressed so the world positions stay). Rotations via scipy."""
    W, Q = Rotation.from_matrix(world), Rotation.from_matrix(rest)
    values = motion.values.copy()
    for j, (start, chans) in enumerate(zip(motion.channel_start, motion.channels)):
        rot = [start + k for k, c in enumerate(chans) if c.endswith("rotation")]
        pos = [start + k for k, c in enumerate(chans) if c.endswith("position")]
        order = "".join(motion.channels[j][k - start][0] for k in rot)
        local = Rotation.from_euler(order, values[:, rot], degrees=True)
        new = (W * local * Q.inv()) if motion.parents[j] < 0 else (Q * local * Q.inv())
        values[:, rot] = new.as_euler(order, degrees=True)
        if pos:  # the root's position is a world position; a child's a translation in its parent's frame
            values[:, pos] = scale * values[:, pos] @ (world if motion.parents[j] < 0 else rest).T
    return BvhMotion(tuple((names or {}).get(n, n) for n in motion.names), motion.parents,
                     scale * motion.offsets @ rest.T, motion.channels, motion.end_parents,
                     scale * motion.end_offsets @ rest.T, motion.frame_time, values, motion.source)


def reference_fk(path: Path) -> tuple[list[str], np.ndarray, float]:
    """A second, independent BVH reader: whitespace tokens, per-frame homogeneous transforms and
    scipy's Euler angles. Returns joint names, world positions (F, J, 3) and the frame time."""
    tok = path.read_text().split()
    joints: list[tuple[str, int, np.ndarray, list[str]]] = []
    i = 1  # after HIERARCHY

    def joint(parent: int) -> None:
        nonlocal i
        name, i = tok[i + 1], i + 3  # ROOT|JOINT name {
        offset, i = np.array(tok[i + 1:i + 4], float), i + 4
        n = int(tok[i + 1])
        chans, i = tok[i + 2:i + 2 + n], i + 2 + n
        me = len(joints)
        joints.append((name, parent, offset, chans))
        while tok[i] != "}":
            if tok[i] == "JOINT":
                joint(me)
            else:
                i += 8  # End Site { OFFSET x y z }
        i += 1

    joint(-1)
    n_frames, dt = int(tok[i + 2]), float(tok[i + 5])
    values = np.array(tok[i + 6:], float).reshape(n_frames, -1)
    out = np.zeros((n_frames, len(joints), 3))
    for f in range(n_frames):
        col, world = 0, []
        for name, parent, offset, chans in joints:
            local = np.eye(4)
            local[:3, 3] = offset
            angles, order = [], ""
            for c in chans:
                if c.endswith("position"):
                    local[:3, 3]["XYZ".index(c[0])] = values[f, col]
                else:
                    angles.append(values[f, col])
                    order += c[0]
                col += 1
            if order:
                local[:3, :3] = Rotation.from_euler(order, angles, degrees=True).as_matrix()
            world.append(local if parent < 0 else world[parent] @ local)
            out[f, len(world) - 1] = world[-1][:3, 3]
    return [j[0] for j in joints], out, dt


def bone_lengths(joints: np.ndarray, skeleton) -> np.ndarray:
    return np.linalg.norm(joints[:, 1:] - joints[:, list(skeleton.parents[1:])], axis=-1)


# ------------------------------------------------------------------------------------------------
# round trips: positions → BVH → import
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("units", ["m", "cm", "mm", "in"])
def test_synthetic_humanml3d_clip_survives_bvh_and_import(tmp_path, units):
    clip = synthetic(3)
    path = write_positions_bvh(clip, tmp_path / "clip.bvh", units=units)
    got = import_bvh(path)
    assert got.joints.shape == clip.shape and got.joints.dtype == np.float32
    assert np.abs(got.joints - clip).max() < MM
    r = got.report
    assert (r.rig, r.units, r.up, r.up_how, r.frames_in, r.frames_out) == ("smpl", units, "Y", "rest pose",
                                                                           len(clip), len(clip))
    assert r.placed == () and r.fps_in == pytest.approx(20.0)


def test_kit_clip_survives_bvh_and_import(tmp_path):
    clip = kit_clip(5)
    got = import_bvh(write_positions_bvh(clip, tmp_path / "kit.bvh", "kit", units="mm"), skeleton="kit")
    assert got.joints.shape == clip.shape and got.report.rig == "kit" and got.report.units == "mm"
    assert np.abs(got.joints - clip).max() < MM
    assert got.report.fps_out == 12.5 and got.report.placed == ()


def test_exporter_keeps_every_position_of_a_non_rigid_clip():
    """KIT's head and shoulders move independently of the upper neck: their joints get position
    channels, and forward kinematics still gives every joint back."""
    clip = kit_clip(2)
    motion = positions_to_bvh(clip, "kit")
    pos, _ = forward_kinematics(motion)
    assert np.abs(pos[:, [motion.names.index(n) for n in KIT.joint_names]] - clip).max() < 1e-6
    assert "Xposition" in motion.channels[motion.names.index("LS")]
    assert "Xposition" not in motion.channels[motion.names.index("LE")]


def test_real_humanml3d_clip_survives_bvh_and_import_unchanged(tmp_path):
    """A dataset clip already follows the conventions: the import gives back its exact positions,
    so the floor, origin and facing rules agree with HumanML3D's own."""
    if not HML_SAMPLE.exists():
        pytest.skip(f"real HumanML3D clip not found at {HML_SAMPLE}")
    clip = np.load(HML_SAMPLE).astype(np.float64)
    got = import_bvh(write_positions_bvh(clip, tmp_path / "012314.bvh", units="cm"))
    assert np.abs(got.joints - clip).max() < MM
    assert abs(got.report.turn_deg) < 0.01


@pytest.mark.parametrize("rig, prefix, toe", [("motionbuilder", "", "ToeBase"), ("mixamo", "mixamorig:", "ToeBase"),
                                              ("lafan1", "", "Toe")])
def test_rig_names_are_recognised_and_read_the_same_motion(tmp_path, rig, prefix, toe):
    clip = synthetic(8)
    names = {k: prefix + v.replace("ToeBase", toe) for k, v in TO_MOTIONBUILDER.items()}
    motion = renamed(positions_to_bvh(clip), names)
    got = import_bvh(write_bvh(motion, tmp_path / "rig.bvh"))
    assert got.report.rig == rig
    assert np.abs(got.joints - clip).max() < MM
    if rig == "motionbuilder":  # no spine names in the map: the spine rule finds Spine and Spine1
        assert got.report.sources["spine1"].startswith("rule: Spine (")
        assert got.report.sources["spine2"].startswith("rule: Spine1 (")
        assert got.report.sources["spine3"].startswith("rule: Spine2 (")


def test_a_user_joint_map_reads_any_rig(tmp_path):
    clip = synthetic(4)
    motion = renamed(positions_to_bvh(clip), {n: f"bone_{i:02d}" for i, n in enumerate(HUMANML3D.joint_names)})
    lines = ['name = "studio rig"', "[joints]"] + [f'{n} = "bone_{i:02d}"' for i, n in enumerate(HUMANML3D.joint_names)]
    (tmp_path / "map.toml").write_text("\n".join(lines) + "\n")
    got = import_bvh(write_bvh(motion, tmp_path / "rig.bvh"), rig_map=tmp_path / "map.toml")
    assert got.report.rig == "studio rig" and np.abs(got.joints - clip).max() < MM
    assert read_rig_map(tmp_path / "map.toml").joints["left_hip"] == "bone_01"


def test_bvh_text_round_trip():
    motion = positions_to_bvh(synthetic(1), units="cm")
    again = parse_bvh(format_bvh(motion), "again.bvh")
    assert again.names == motion.names and again.parents == motion.parents
    assert again.channels == motion.channels and again.end_parents == motion.end_parents
    assert np.abs(again.values - motion.values).max() <= 5e-7  # six decimals
    assert np.abs(again.offsets - motion.offsets).max() <= 5e-7
    assert again.frame_time == pytest.approx(motion.frame_time)


# ------------------------------------------------------------------------------------------------
# the real clips
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("skeleton", [HUMANML3D, KIT], ids=["humanml3d", "kit"])
@pytest.mark.parametrize("name", CLIPS)
def test_real_clips_import_with_constant_bones_on_the_floor(name, skeleton):
    got = import_bvh(mocap(name), skeleton=skeleton.name)
    j = got.joints.astype(np.float64)
    assert j.shape[1:] == (skeleton.n_joints, 3) and np.isfinite(j).all()
    assert bone_lengths(j, skeleton).std(axis=0).max() < MM
    assert got.report.bone_fix_mm < 0.01  # the rig's own bones are rigid: nothing was forced
    assert j[..., 1].min() == pytest.approx(0.0, abs=1e-6)
    assert np.abs(j[0, 0, [0, 2]]).max() < 1e-6  # pelvis above the origin at the first frame
    assert abs(facing_angle(j, skeleton)) < 1e-6  # facing +Z
    assert (got.report.rig, got.report.units, got.report.up) == ("motionbuilder", "cm", "Y")
    assert got.report.facing_in == "+X"  # as the README of the clips says
    seconds = got.report.frames_out / skeleton.fps
    assert abs(seconds - got.report.frames_in * (1 / got.report.fps_in)) <= 1 / skeleton.fps + 1e-6


@pytest.mark.parametrize("name", CLIPS)
def test_real_clips_have_the_left_side_at_plus_x(name):
    got = import_bvh(mocap(name))
    j = got.joints[0]
    hml = HUMANML3D.joint_index
    for side in ("hip", "shoulder", "knee"):
        assert j[hml(f"left_{side}"), 0] > j[hml(f"right_{side}"), 0], side
    assert j[hml("left_hip"), 0] > j[0, 0]


@pytest.mark.parametrize("name", STANDING)
def test_standing_head_height(name):
    got = import_bvh(mocap(name))
    assert 1.3 <= got.report.head_height_m <= 2.0
    assert got.report.head_height_m == pytest.approx(float(got.joints[0, HUMANML3D.joint_index("head"), 1]))


def test_walk_advances_along_plus_z_and_the_left_turn_goes_left():
    walk = import_bvh(mocap("humanoid3d_walk")).joints
    step = walk[-1, 0] - walk[0, 0]
    assert step[2] > 0.8 and abs(step[0]) < 0.25 * step[2]  # about 1 m/s for 1.25 s, straight ahead
    turn = import_bvh(mocap("walker_turn_left0")).joints
    assert turn[-1, 0, 0] > 0.2  # the subject's left is +X
    heading = np.degrees(facing_angle(turn, HUMANML3D, frame=len(turn) - 1))
    assert heading > 20  # turned towards +X


@pytest.mark.parametrize("name", CLIPS)
def test_real_clips_agree_with_an_independent_reader(name):
    """Joints both skeletons share, within 2 cm of a second reader's forward kinematics mapped
    through the report's transform, at every output frame that falls on a source frame."""
    path = mocap(name)
    names, ref, dt = reference_fk(path)
    got = import_bvh(path)
    r = got.report
    u = (r.start_s + np.arange(r.frames_out) / r.fps_out) / dt
    on = np.abs(u - np.rint(u)) < 0.02
    assert on.sum() >= r.frames_out // 2
    cols = [HUMANML3D.joint_index(k) for k in SHARED_RIG]
    src = ref[np.rint(u[on]).astype(int)][:, [names.index(v) for v in SHARED_RIG.values()]]
    mapped = r.scale * src @ r.rotation.T + r.translation
    assert np.abs(got.joints[on][:, cols] - mapped).max() < 0.02


@pytest.mark.parametrize("name", CLIPS)
def test_z_up_metre_and_mixamo_files_import_to_the_same_motion(name):
    motion = read_bvh(mocap(name))
    base = import_bvh(motion)
    base_kit = import_bvh(motion, skeleton="kit")
    z_up = np.array([[1.0, 0, 0], [0, 0, -1], [0, 1, 0]])  # +Y → +Z
    variants = {
        "z-up metres": transformed(motion, world=z_up, rest=z_up, scale=0.01),
        "mixamo": transformed(motion, names={n: f"mixamorig:{n}" for n in motion.names}),
        "inches, rest pose turned": transformed(motion, rest=Rotation.from_euler("y", 70, degrees=True).as_matrix(),
                                                scale=1 / 2.54),
    }
    for what, other in variants.items():
        got = import_bvh(other)
        assert np.abs(got.joints - base.joints).max() < MM, what
        assert np.abs(import_bvh(other, skeleton="kit").joints - base_kit.joints).max() < MM, what
    r = import_bvh(variants["z-up metres"]).report
    assert (r.up, r.up_how, r.units) == ("Z", "rest pose", "m")
    # a file whose rest pose stands along Y while its root tilts the whole motion to Z up: up= says so
    tilted = transformed(motion, world=z_up)
    assert np.abs(import_bvh(tilted, up="z").joints - base.joints).max() < MM
    assert import_bvh(variants["mixamo"]).report.rig == "mixamo"
    assert import_bvh(variants["inches, rest pose turned"]).report.units == "in"


@pytest.mark.parametrize("name", STANDING)
def test_a_rest_pose_lying_down_takes_the_up_axis_from_the_motion(name):
    """A rig whose zero pose is not upright (as LAFAN1's): the up axis comes from the motion."""
    motion = read_bvh(mocap(name))
    lying = transformed(motion, rest=Rotation.from_euler("z", 90, degrees=True).as_matrix())
    got = import_bvh(lying)
    assert (got.report.up, got.report.up_how) == ("Y", "motion")
    assert np.abs(got.joints - import_bvh(motion).joints).max() < MM


def _without(motion: BvhMotion, drop: set[str], drop_end_of: set[str]) -> BvhMotion:
    """``motion`` without the joints ``drop`` (each must carry zero rotation: its children take over
    its offset) and without the End Sites of ``drop_end_of``."""
    keep = [j for j, n in enumerate(motion.names) if n not in drop]
    new = {j: k for k, j in enumerate(keep)}
    offsets, parents = motion.offsets.copy(), []
    for j in keep:
        p = motion.parents[j]
        while p >= 0 and motion.names[p] in drop:
            offsets[j] = offsets[j] + motion.offsets[p]
            p = motion.parents[p]
        parents.append(new[p] if p >= 0 else -1)
    starts = motion.channel_start
    for j, n in enumerate(motion.names):
        if n in drop:
            assert np.abs(motion.values[:, starts[j]:starts[j] + len(motion.channels[j])]).max() < 1e-4
    cols = [c for j in keep for c in range(starts[j], starts[j] + len(motion.channels[j]))]
    ends = [e for e, p in enumerate(motion.end_parents) if motion.names[p] not in drop | drop_end_of]
    return BvhMotion(tuple(motion.names[j] for j in keep), tuple(parents), offsets[keep],
                     tuple(motion.channels[j] for j in keep), tuple(new[motion.end_parents[e]] for e in ends),
                     motion.end_offsets[ends], motion.frame_time, motion.values[:, cols], motion.source)


@pytest.mark.parametrize("name", ["humanoid3d_walk", "humanoid3d_jump", "humanoid3d_crawl"])
def test_missing_collars_and_feet_are_placed_by_rule(name):
    motion = read_bvh(mocap(name))
    full = import_bvh(motion)
    bare = _without(motion, {"LeftShoulder", "RightShoulder"}, {"LeftFoot", "RightFoot"})
    got = import_bvh(bare)
    assert set(got.report.placed) >= {"left_collar", "right_collar", "left_foot", "right_foot"}
    assert "50% along Spine→LeftArm" in got.report.sources["left_collar"]
    j = got.joints.astype(np.float64)
    assert bone_lengths(j, HUMANML3D).std(axis=0).max() < MM
    others = [k for k, n in enumerate(HUMANML3D.joint_names) if not n.endswith(("_collar", "_foot"))]
    # the facing rule reads the shoulders and hips only, so everything else lands where it was, up to
    # the floor: the lowest joint may be a placed ball of the foot
    shift = j[:, others] - full.joints[:, others]
    floor = shift[..., 1].mean()
    shift[..., 1] -= floor
    assert np.abs(shift).max() < MM and abs(floor) < 0.03
    feet = [HUMANML3D.joint_index(n) for n in ("left_foot", "right_foot")]
    assert np.abs(j[:, feet] - full.joints[:, feet]).max() < 0.03  # the rule's ball vs the file's End Site
    kit = import_bvh(bare, skeleton="kit")
    assert bone_lengths(kit.joints.astype(np.float64), KIT).std(axis=0).max() < MM


# ------------------------------------------------------------------------------------------------
# resampling, cutting, windows
# ------------------------------------------------------------------------------------------------


def test_slerp_keeps_a_turning_bone_on_its_arc():
    """A bone turning at a constant 60° per source frame, resampled 4×: the tip stays on the unit
    circle at the interpolated angle; interpolating positions would cut the chord (radius cos 30°)."""
    n, step = 6, np.radians(60.0)
    quats = np.zeros((n, 2, 4))
    quats[..., 0] = 1.0
    quats[:, 0] = axis_quaternions("Y", step * np.arange(n))
    trans = np.zeros((n, 2, 3))
    trans[:, 1] = (0.0, 0.0, 1.0)
    u = np.arange(4 * (n - 1) + 1) / 4.0
    still = np.broadcast_to(trans[:1], (len(u), 2, 3))
    pos, _ = forward_kinematics_local((-1, 0), resample_quaternions(quats, u), still)
    tip = pos[:, 1]
    assert np.abs(np.linalg.norm(tip, axis=-1) - 1.0).max() < 1e-12
    assert np.allclose(np.arctan2(tip[:, 0], tip[:, 2]), np.angle(np.exp(1j * step * u)), atol=1e-12)
    src, _ = forward_kinematics_local((-1, 0), quats, trans)
    chord = 0.5 * (src[:-1, 1] + src[1:, 1])
    assert np.linalg.norm(chord, axis=-1).max() < np.cos(np.radians(30)) + 1e-9
    # the shorter way round, whatever the sign of the stored quaternions
    half = slerp(axis_quaternions("Y", 0.0), -axis_quaternions("Y", np.radians(90)), 0.5)
    assert np.allclose(np.abs(half), np.abs(axis_quaternions("Y", np.radians(45))))


def test_import_resamples_rotations_not_positions(tmp_path):
    """A still pose spinning about the vertical at 180°/s, written at 5 fps and imported at 20 fps,
    matches the 20 fps spin: every joint keeps its distance from the spin axis."""
    pose = synthetic(0)[0]
    t20 = np.arange(41) / 20.0
    spin = np.stack([pose @ Rotation.from_euler("y", 180 * t, degrees=True).as_matrix().T for t in t20])
    got = import_bvh(write_positions_bvh(spin[::4], tmp_path / "spin.bvh", fps=5.0))
    assert got.report.frames_in == 11 and got.report.frames_out == 41
    assert np.abs(got.joints - canonical(spin)).max() < MM
    radius = np.linalg.norm(got.joints[..., [0, 2]] - got.joints[:, :1, [0, 2]], axis=-1)
    assert np.abs(radius - radius[0]).max() < MM  # positions blended over 36° would shrink by 5 %


def test_cut_and_resample_times(tmp_path):
    clip = synthetic(6)  # 20 fps
    path = write_positions_bvh(clip, tmp_path / "c.bvh", fps=30.0)  # read as 30 fps: 1.5× faster
    full = import_bvh(path)
    assert full.report.frames_out == int(np.floor((len(clip) - 1) / 30 * 20 + 1e-6)) + 1
    cut = import_bvh(path, start=1.0, end=2.0)
    assert cut.n_frames == 21 and (cut.report.start_s, cut.report.end_s) == (1.0, 2.0)
    piece = full.joints[20:41].astype(np.float64)
    piece[..., 1] -= piece[..., 1].min()
    assert np.abs(cut.joints - face_and_centre(piece, HUMANML3D)[0]).max() < MM


def test_windows_cover_a_long_recording(tmp_path):
    clips = [synthetic(s) for s in (11, 12, 13)]
    for a, b in zip(clips, clips[1:]):  # start each clip where the last one ended
        b += a[-1, 0] * np.array([1.0, 0.0, 1.0])
    long = np.concatenate(clips)
    motion = import_bvh(write_positions_bvh(long, tmp_path / "long.bvh"))
    windows = split_windows(motion)
    spans = window_starts(motion.n_frames, HUMANML3D)
    assert spans[0][0] == 0 and spans[-1][1] == motion.n_frames
    assert all(b - a == HUMANML3D.max_frames - 1 for a, b in spans)
    assert all(s[0] < t[0] < s[1] for s, t in zip(spans, spans[1:]))  # overlapping or touching
    for (a, b), w in zip(spans, windows):
        assert w.n_frames == b - a and w.report.start_s == pytest.approx(a / 20.0)
        assert np.abs(w.joints[0, 0, [0, 2]]).max() < 1e-5 and abs(facing_angle(w.joints, HUMANML3D)) < 1e-5
        assert np.abs(w.joints[..., 1] - motion.joints[a:b, :, 1]).max() < 1e-5  # heights kept
        r = w.report  # the window's transform maps the file's coordinates to the window's
        src = (motion.joints[a:b].astype(np.float64) - motion.report.translation) @ motion.report.rotation
        assert np.abs(src @ r.rotation.T + r.translation - w.joints).max() < 1e-5
    short = split_windows(motion, length_s=3.0, hop_s=1.5)
    assert all(w.n_frames == 60 for w in short) and len(short) == int(np.ceil((motion.n_frames - 60) / 30)) + 1


def test_window_limits_are_errors():
    with pytest.raises(M2TError, match="outside what the humanml3d captioner accepts"):
        window_starts(500, HUMANML3D, length=10)
    with pytest.raises(M2TError, match="needs at least 40"):
        window_starts(30, HUMANML3D)
    assert window_starts(150, HUMANML3D) == [(0, 150)]


@pytest.mark.slow
def test_a_ten_thousand_frame_file_imports_in_two_seconds(tmp_path):
    motion = read_bvh(mocap("humanoid3d_walk"))
    reps = -(-10_000 // motion.n_frames)
    values = np.concatenate([motion.values] * reps)[:10_000]
    path = write_bvh(BvhMotion(motion.names, motion.parents, motion.offsets, motion.channels, motion.end_parents,
                               motion.end_offsets, motion.frame_time, values), tmp_path / "long.bvh")
    t = time.perf_counter()
    got = import_bvh(path)
    assert time.perf_counter() - t <= 2.0 and got.report.frames_in == 10_000


# ------------------------------------------------------------------------------------------------
# bad input: one line naming the problem
# ------------------------------------------------------------------------------------------------


def _base_text() -> str:
    return format_bvh(positions_to_bvh(synthetic(2)[:45], units="cm"))


def _edit_frame(text: str, k: int, fn) -> str:
    lines = text.splitlines()
    at = lines.index(next(ln for ln in lines if ln.startswith("Frame Time:"))) + 1 + k
    lines[at] = fn(lines[at])
    return "\n".join(lines) + "\n"


BAD = {
    "a joint the map needs": (lambda t: t.replace("left_elbow", "left_arm_bend"), None,
                              "has no joint left_elbow"),
    "broken hierarchy (a missing brace)": (lambda t: t.replace("\t\t{\n", "\n", 1), None,
                                           "the HIERARCHY section is broken"),
    "broken hierarchy (OFFSET)": (lambda t: t.replace("OFFSET 0.000000 0.000000 0.000000", "OFFSET 0 0", 1), None,
                                  "OFFSET of pelvis needs 3 numbers"),
    "unknown channel": (lambda t: t.replace("Zrotation", "Qrotation", 1), None, "unknown channel 'Qrotation'"),
    "a frame line one value short": (lambda t: _edit_frame(t, 3, lambda ln: ln.rsplit(" ", 1)[0]), None,
                                     "(frame 3) has 68 values but the hierarchy declares 69 channels"),
    "a frame value that is not a number": (lambda t: _edit_frame(t, 5, lambda ln: "abc " + ln.split(" ", 1)[1]),
                                           None, "(frame 5): 'abc' is not a number"),
    "zero frames": (lambda t: t.replace("Frames: 45", "Frames: 0"), None, "has 0 frames"),
    "a frame time of 0": (lambda t: t.replace("Frame Time: 0.05", "Frame Time: 0"), None,
                          "frame time 0 s; it must be positive"),
    "truncated": (lambda t: t.replace("Frames: 45", "Frames: 50"), None,
                  "declares 50 frames but holds 45 frame lines"),
    "unknown rig without a map": (lambda t: "".join(f"{w}_x" if w.endswith(("ROOT", "JOINT")) else w
                                                    for w in t.replace("JOINT ", "JOINT j").replace("ROOT ", "ROOT j")
                                                    .splitlines(keepends=True)), None, "unknown rig"),
    "a map naming joints the file lacks": (None, '[joints]\npelvis = "Hips"\n' + "".join(
        f'{n} = "{n}"\n' for n in HUMANML3D.joint_names[1:]), "names joint 'Hips' (for pelvis), which"),
    "a map without a required joint": (None, '[joints]\npelvis = "pelvis"\n', "does not name the joint for"),
    "a map that is not TOML": (None, "[joints\npelvis = ", "is not valid TOML"),
    "a map naming no landmark": (None, '[joints]\nhips = "pelvis"\n', "'hips' is not a landmark"),
    "not a BVH file": (lambda t: "hello\n", None, "does not start with HIERARCHY"),
    "an empty file": (lambda t: "", None, "is empty"),
    "no MOTION section": (lambda t: t.split("MOTION")[0], None, "has no MOTION section"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_one_line_naming_the_problem(tmp_path, case):
    edit, toml, phrase = BAD[case]
    text = _base_text()
    path = tmp_path / "motion.bvh"
    path.write_text(edit(text) if edit else text)
    rig_map = None
    if toml is not None:
        rig_map = tmp_path / "map.toml"
        rig_map.write_text(toml)
    with pytest.raises(M2TError) as err:
        import_bvh(path, rig_map=rig_map)
    message = str(err.value)
    assert "\n" not in message and phrase in message, message


@pytest.mark.parametrize("kwargs, phrase", [
    ({"start": 5.0}, "start 5 s is outside"), ({"start": 1.0, "end": 0.5}, "must be after start"),
    ({"end": 99.0}, "at most"), ({"skeleton": "smplx"}, "unknown skeleton"), ({"units": "ft"}, "units must be"),
    ({"up": "x"}, "up must be"), ({"rig_map": "cmu3"}, "unknown rig 'cmu3'"),
    ({"skeleton": "kit", "proportions": "humanml3d"}, "needs the humanml3d skeleton"),
])
def test_bad_options_are_one_line(tmp_path, kwargs, phrase):
    path = tmp_path / "m.bvh"
    path.write_text(_base_text())
    with pytest.raises(M2TError) as err:
        import_bvh(path, **kwargs)
    assert "\n" not in str(err.value) and phrase in str(err.value), str(err.value)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(M2TError, match="BVH file not found"):
        read_bvh(tmp_path / "nope.bvh")
    with pytest.raises(M2TError, match="is a folder"):
        read_bvh(tmp_path)


def test_humanml3d_proportions_use_the_reference_bones(tmp_path):
    from m2t_interpret.skeletons import HUMANML3D_BONE_LENGTHS

    got = import_bvh(mocap("humanoid3d_walk"), proportions="humanml3d")
    ref = np.array([HUMANML3D_BONE_LENGTHS[n] for n in HUMANML3D.joint_names[1:]])
    assert np.abs(bone_lengths(got.joints.astype(np.float64), HUMANML3D) - ref).max() < 1e-5
    own = import_bvh(mocap("humanoid3d_walk"))
    assert got.report.head_height_m > own.report.head_height_m  # the reference body is taller
