"""One way in for BVH motion (m2t_interpret.data.bvh_import): a clip, a dataset from a folder plus a
caption table, the captioner reading .bvh directly, and bad input as one line.

The real clips are the two motion-capture BVH files shipped in analyses/examples (a small character,
CMU/MotionBuilder names, centimetres, 30 fps, one looping cycle each; source and licence in NOTICE
there). The slow test downloads the source distribution of ``bvhtools`` from the package index for
its long real recordings (another rig, minutes long) and skips when the index cannot be reached.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest

from conftest import tiny_model
from m2t_interpret.data.bvh import BvhMotion, read_bvh, write_bvh
from m2t_interpret.data.bvh_export import write_positions_bvh
from m2t_interpret.data.bvh_import import (
    assign_splits, clip_stem, import_clip, import_dataset, read_caption_table, write_clip,
)
from m2t_interpret.data.check import check_dataset
from m2t_interpret.data.dataset import load_split, read_split_ids
from m2t_interpret.data.retarget import face_and_centre, import_bvh, split_windows
from m2t_interpret.data.synthetic import generate_clip
from m2t_interpret.errors import M2TError
from m2t_interpret.outputs import LEDGER
from m2t_interpret.skeletons import HUMANML3D, KIT

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "analyses" / "examples"
WALK, TURN = EXAMPLES / "humanoid3d_walk.bvh", EXAMPLES / "walker_turn_left0.bvh"
MM = 1e-3  # metres; the outputs are float32 metres, whose rounding (1e-7 relative) is far below this


def cycles(motion: BvhMotion, n: int) -> BvhMotion:
    """A looping cycle played ``n`` times: the frames repeated, the root moved on by one cycle's
    horizontal travel each time (the last frame leads into the first, one frame step later)."""
    pos = motion.values[:, :3]
    travel = pos[-1] - pos[0] + (pos[-1] - pos[-2])
    travel[1] = 0.0
    shift = np.zeros(motion.values.shape[1])
    values = []
    for k in range(n):
        shift[:3] = k * travel
        values.append(motion.values + shift)
    return BvhMotion(motion.names, motion.parents, motion.offsets, motion.channels, motion.end_parents,
                     motion.end_offsets, motion.frame_time, np.concatenate(values), motion.source)


def canonical(joints: np.ndarray) -> np.ndarray:
    out = np.asarray(joints, dtype=np.float64).copy()
    out[..., 1] -= out[..., 1].min()
    return face_and_centre(out, HUMANML3D)[0]


@pytest.fixture
def bvh_folder(tmp_path) -> Path:
    """Three recordings (one in a subfolder) plus one the table leaves out:
    real/walk_x3.bvh (the real walk, 3 cycles, 3.9 s), walk_long.bvh (10 cycles, 13 s: two windows),
    kick.bvh (a synthetic clip written by the exporter) and the shipped turn (1.2 s, not in the table)."""
    src = tmp_path / "bvh"
    (src / "real").mkdir(parents=True)
    walk = read_bvh(WALK)
    write_bvh(cycles(walk, 3), src / "real" / "walk_x3.bvh")
    write_bvh(cycles(walk, 10), src / "walk_long.bvh")
    write_positions_bvh(generate_clip(7, actions=["kick_left", "jump"]).joints, src / "kick.bvh", units="cm")
    (src / "turn.bvh").write_bytes(TURN.read_bytes())
    return src


TABLE = """file,caption,start,end
real/walk_x3.bvh,a person walks forward,,
walk_x3,someone walks straight ahead,,
walk_long,a person walks for a long time,,
walk_long.bvh,"a person takes a few steps, slowly",2,5
kick,a person kicks with the left foot then jumps,,
"""


# ------------------------------------------------------------------------------------------------
# one clip
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [WALK, TURN], ids=["walk", "turn"])
def test_a_shipped_clip_imports_at_20_fps(path):
    joints, report = import_clip(path, "humanml3d")
    motion = read_bvh(path)
    assert joints.shape == (int(np.floor(motion.duration * 20 + 1e-6)) + 1, 22, 3) and joints.dtype == np.float32
    assert report.fps_out == 20.0 and report.rig == "motionbuilder" and report.units == "cm"
    assert abs(joints[..., 1].min()) < 1e-6 and 1.3 < report.head_height_m < 1.6  # the small character
    kit, kit_report = import_clip(path, "kit")
    assert kit.shape[1:] == (21, 3) and kit_report.fps_out == KIT.fps


def test_write_clip_refuses_a_users_file_and_replaces_its_own(tmp_path):
    joints, _ = import_clip(WALK)
    out = tmp_path / "walk.npy"
    out.write_bytes(b"my notes")
    with pytest.raises(M2TError, match="exists and is not an earlier imported clip"):
        write_clip(joints, out)
    assert out.read_bytes() == b"my notes"
    out.unlink()
    assert write_clip(joints, out) == out
    assert np.array_equal(np.load(out), joints) and (tmp_path / LEDGER).is_file()
    write_clip(joints[:10], out)  # its own earlier file: replaced
    assert np.load(out).shape[0] == 10
    out.write_bytes(out.read_bytes() + b"\0")  # changed since: the user's now
    with pytest.raises(M2TError, match="not an earlier imported clip"):
        write_clip(joints, out)
    with pytest.raises(M2TError, match="should name a .npy file"):
        write_clip(joints, tmp_path / "walk.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == [LEDGER, "walk.npy"]  # nothing half-written


# ------------------------------------------------------------------------------------------------
# a dataset
# ------------------------------------------------------------------------------------------------


def test_a_folder_and_a_caption_table_become_a_dataset_every_loader_reads(tmp_path, bvh_folder):
    (tmp_path / "captions.csv").write_text(TABLE)
    lines = []
    summary = import_dataset(bvh_folder, tmp_path / "captions.csv", tmp_path / "ds", log=lines.append)
    ds = tmp_path / "ds"
    # walk_long: the whole recording (13 s → two windows) and the 2–5 s cut; the others one clip each
    ids = ["walk_x3", "walk_long_0", "walk_long_1", "walk_long_2", "kick"]
    assert [c.id for c in summary.clips] == ids and len(lines) == 3
    assert summary.not_in_table == ["turn.bvh"] and summary.n_captions == 6
    assert sorted(read_split_ids(ds, "all")) == sorted(ids)
    split_of = {c.file: c.split for c in summary.clips}
    assert sorted(split_of.values()) == ["test", "train", "val"]  # 3 files: one per split, whole files
    assert len({c.split for c in summary.clips if c.file == "walk_long.bvh"}) == 1

    check = check_dataset(ds)
    assert check.usable and not check.problems, check.format_text()
    assert check.skeleton == "humanml3d" and check.units_text == "metres"
    assert check.left_side_votes[0] == check.left_side_votes[1] > 0  # left names on the subject's left
    loaded = {}
    for split in ("train", "val", "test"):
        data = load_split(ds, split, progress=False)
        assert not data.report.skipped and not data.report.malformed_lines
        loaded.update({s.id: s for s in data})
    assert sorted(loaded) == sorted(ids)
    assert [c.text for c in loaded["walk_x3"].captions] == ["a person walks forward", "someone walks straight ahead"]
    assert loaded["walk_long_2"].captions[0].tokens == ("a", "person", "takes", "a", "few", "steps", ",", "slowly")

    # the clips are the import's own windows and cuts
    long = import_bvh(bvh_folder / "walk_long.bvh")
    windows = split_windows(long)
    assert [w.n_frames for w in windows] == [199, 199] and long.n_frames == 260
    for k, w in enumerate(windows):
        assert np.abs(loaded[f"walk_long_{k}"].motion - w.joints).max() < 1e-6
    cut = loaded["walk_long_2"]
    assert cut.n_frames == 61 and (summary.clips[3].start_s, summary.clips[3].end_s) == pytest.approx((2.0, 5.0))
    # a synthetic clip written as BVH comes back as the same clip (within 0.1 mm: float32, the file's 6 decimals)
    kick = canonical(generate_clip(7, actions=["kick_left", "jump"]).joints)
    assert np.abs(loaded["kick"].motion - kick).max() < 1e-4


def test_a_split_column_is_followed_and_an_earlier_import_is_replaced(tmp_path, bvh_folder):
    table = tmp_path / "captions.tsv"
    table.write_text("file\tcaption\tsplit\nreal/walk_x3\ta person walks\ttrain\nkick\ta person kicks\tval\n"
                     "walk_long\ta person walks on\tTEST\n")
    out = tmp_path / "ds"
    summary = import_dataset(bvh_folder, table, out, skeleton="kit", window=4.0, hop=2.0)
    assert summary.splits == {"train": ["walk_x3"], "val": ["kick_0", "kick_1"],  # kick: 5.3 s
                              "test": [f"walk_long_{k}" for k in range(6)]}
    assert all(c.frames == 50 for c in summary.clips if c.file == "walk_long.bvh")  # 4 s at 12.5 fps
    assert check_dataset(out).usable and check_dataset(out).skeleton == "kit"
    # rerun: the earlier import is the tool's and is replaced whole; a user's file in it stops that
    import_dataset(bvh_folder, tmp_path / "captions.tsv", out)
    assert sorted(p.name for p in (out / "new_joints").iterdir()) == ["kick.npy", "walk_long_0.npy",
                                                                       "walk_long_1.npy", "walk_x3.npy"]
    (out / "notes.txt").write_text("mine")
    with pytest.raises(M2TError, match="refusing to replace"):
        import_dataset(bvh_folder, table, out)
    assert (out / "notes.txt").read_text() == "mine" and (out / "new_joints" / "walk_x3.npy").is_file()
    user = tmp_path / "mine"
    user.mkdir()
    (user / "a.txt").write_text("x")
    with pytest.raises(M2TError, match="does not hold an earlier imported dataset"):
        import_dataset(bvh_folder, table, user)


def test_files_are_split_whole_and_seeded():
    files = [Path(f"f{i:02d}.bvh") for i in range(20)]
    a, b = assign_splits(files, seed=0), assign_splits(list(reversed(files)), seed=0)
    assert a == b and sorted(a.values()).count("val") == 2 and sorted(a.values()).count("test") == 2
    assert assign_splits(files, seed=1) != a
    assert sorted(assign_splits(files[:2]).values()) == ["train", "val"]
    assert sorted(assign_splits(files[:3]).values()) == ["test", "train", "val"]
    with pytest.raises(M2TError, match="add a split column"):
        assign_splits(files[:1])
    assert clip_stem("sub/My walk (1).bvh") == "My_walk_1" and clip_stem("é.bvh") == "clip"


BAD_TABLES = [
    ("file,caption\nnothere,a person walks\n", "line 2: no BVH file 'nothere'"),
    ("file,caption\nkick,   \n", "line 2: the caption of kick is empty"),
    ("file,caption\n,a person walks\n", "line 2: the file cell is empty"),
    ("file,caption,split\nkick,a person kicks,training\n", "line 2: split 'training' is not one of train, val, test"),
    ("file,caption,start,end\nkick,a person kicks,3,1\n", "line 2: end 1 s is not after start 3 s"),
    ("file,caption,start\nkick,a person kicks,soon\n", "line 2: start 'soon' is not a number of seconds"),
    ("file,caption\nkick,a person kicks, then jumps\n", "line 2 has 3 fields but the header has 2"),
    ("file,captions\nkick,a person kicks\n", "unknown column 'captions'"),
    ("file,start\nkick,1\n", "has no 'caption' column"),
    ("file,caption\n", "has a header but no rows"),
    ("", "is empty"),
    ("file,caption,split\nkick,a person kicks,train\nkick,a kick,val\n", "line 3: split val differs from line 2's"),
    ("file,caption\nkick,a person kicks\n", "names one BVH file; a dataset needs clips in train and val"),
    ("file,caption\nturn,a person turns\nkick,a kick\n",
     "turn.bvh: the motion gives 25 frames (1.25 s at 20 fps); a humanml3d dataset clip needs at least 40 (2 s)"),
    ("file,caption,start,end\nkick,a kick,,\nwalk_x3,a walk,1,2.5\n", "real/walk_x3.bvh: the motion from 1–2.5 s "
     "gives 31 frames (1.55 s at 20 fps); a humanml3d dataset clip needs at least 40 (2 s): caption a longer "
     "stretch or leave the file out (caption table line 3)"),
    ("file,caption\nkick,a kick\nwalk_x3,a walk\nbroken,a walk\n", "broken.bvh line"),
    ("file,caption,start,end\nkick,a kick,,\nwalk_x3,a walk,,\nwalk_long,walking,0,99\n",
     "end 99 s must be after start 0 s and at most 12.966 s, the length of walk_long.bvh (caption table line 4)"),
]


@pytest.mark.parametrize("table, phrase", BAD_TABLES, ids=[p[:30] for _, p in BAD_TABLES])
def test_bad_tables_and_files_are_one_line_naming_the_problem(tmp_path, bvh_folder, table, phrase):
    text = (bvh_folder / "kick.bvh").read_text()
    (bvh_folder / "broken.bvh").write_text(text[: len(text) // 2].rsplit("\n", 1)[0] + "\n1 2 3\n")
    (tmp_path / "captions.csv").write_text(table)
    with pytest.raises(M2TError) as err:
        import_dataset(bvh_folder, tmp_path / "captions.csv", tmp_path / "ds")
    assert phrase in str(err.value) and "\n" not in str(err.value)
    assert not (tmp_path / "ds").exists()  # nothing half-written


@pytest.mark.parametrize("kwargs, phrase", [
    ({"window": 1.0}, "a window of 20 frames is outside what the humanml3d captioner accepts (40–199 frames"),
    ({"window": 4.0, "hop": 5.0}, "the hop between windows must be 1–80 frames, not 100"),
    ({"seed": -1}, "seed must be a whole number ≥ 0"),
    ({"skeleton": "smpl"}, "unknown skeleton 'smpl'"),
])
def test_bad_options_are_one_line_before_any_file_is_read(tmp_path, bvh_folder, kwargs, phrase):
    (tmp_path / "t.csv").write_text(TABLE)
    with pytest.raises(M2TError, match=re.escape(phrase)):
        import_dataset(bvh_folder, tmp_path / "t.csv", tmp_path / "ds", **kwargs)


def test_an_ambiguous_name_and_a_clash_of_ids_are_errors(tmp_path, bvh_folder):
    for sub in ("more", "other"):
        (bvh_folder / sub).mkdir()
        (bvh_folder / sub / "kick.bvh").write_bytes((bvh_folder / "kick.bvh").read_bytes())
        (bvh_folder / sub / "kick2.bvh").write_bytes((bvh_folder / "kick.bvh").read_bytes())
    (tmp_path / "t.csv").write_text("file,caption\nkick2,a kick\nwalk_x3,a walk\n")
    with pytest.raises(M2TError, match="line 2: 'kick2' matches 2 files .*; give its path relative to the folder"):
        import_dataset(bvh_folder, tmp_path / "t.csv", tmp_path / "ds")
    # a path relative to the folder is never ambiguous: "kick" is kick.bvh at the top
    (tmp_path / "t.csv").write_text("file,caption\nkick,a kick\nmore/kick,a kick\nwalk_x3,a walk\n")
    with pytest.raises(M2TError, match="more/kick.bvh and kick.bvh both give the clip id kick; rename one"):
        import_dataset(bvh_folder, tmp_path / "t.csv", tmp_path / "ds")
    assert not (tmp_path / "ds").exists()


def test_a_caption_table_reads_quotes_and_a_bom(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes('\ufefffile,Caption,END\nwalk,"a person walks, then ""stops""",4.5\n\n'.encode())
    (row,) = read_caption_table(path)
    assert (row.line, row.file, row.caption, row.start, row.end, row.split) == (
        2, "walk", 'a person walks, then "stops"', None, 4.5, None)


# ------------------------------------------------------------------------------------------------
# the captioner reads .bvh
# ------------------------------------------------------------------------------------------------


def test_preprocess_reads_a_bvh_as_its_import(tmp_path):
    model = tiny_model()
    joints, _ = import_clip(WALK, model.skeleton)
    x_path, len_path = model.preprocess([WALK, str(TURN)])
    x_arr, len_arr = model.preprocess([joints, import_clip(TURN, model.skeleton)[0]])
    assert len_path.tolist() == len_arr.tolist() and np.abs((x_path - x_arr).numpy()).max() < 1e-6
    one, n = model.preprocess(WALK)  # one path alone: a batch of one
    assert np.abs((one - x_arr[:1, : int(n[0])]).numpy()).max() < 1e-6 and isinstance(model.caption(WALK), str)
    np.save(tmp_path / "walk.npy", joints)
    assert np.abs((model.preprocess([tmp_path / "walk.npy"])[0] - one).numpy()).max() < 1e-6
    kit = tiny_model(skeleton="kit")
    assert kit.preprocess([WALK])[0].shape[-1] == 21 * 3
    with pytest.raises(M2TError, match="BVH file not found"):
        model.preprocess([tmp_path / "missing.bvh"])


# ------------------------------------------------------------------------------------------------
# long real recordings of another rig (bvhtools' source distribution, downloaded)
# ------------------------------------------------------------------------------------------------

#: bvhtools' test3.bvh: a Blender (rigify-style) rig no built-in map knows; a user map for it.
BLENDER_MAP = """name = "blender metarig"
[joints]
pelvis = "pelvis"
neck = "neck"
head = "face"
""" + "".join(f'{side}_{mark} = "{bone.format(S)}"\n' for side, S in (("left", "L"), ("right", "R")) for mark, bone in (
    ("collar", "shoulder.{}"), ("shoulder", "upper_arm.{}"), ("elbow", "forearm.{}"), ("wrist", "forearm.{}/end"),
    ("hip", "thigh.{}"), ("knee", "shin.{}"), ("ankle", "foot.{}"), ("foot", "foot.{}/end")))
LAFAN_JOINTS = {"Hips", "LeftUpLeg", "LeftLeg", "LeftFoot", "LeftToe", "RightUpLeg", "RightLeg", "RightFoot",
                "RightToe", "Spine", "Spine1", "Spine2", "Neck", "Head", "LeftShoulder", "LeftArm", "LeftForeArm",
                "LeftHand", "RightShoulder", "RightArm", "RightForeArm", "RightHand"}


@pytest.fixture(scope="module")
def bvhtools_files(tmp_path_factory) -> dict[str, Path]:
    """The BVH files of bvhtools' source distribution, downloaded with pip (skip when that fails)."""
    where = tmp_path_factory.mktemp("bvhtools")
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", "bvhtools", "-d",
           str(where), "-q", "--disable-pip-version-check"]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    except subprocess.TimeoutExpired:
        pytest.skip("pip download bvhtools took over 180 s (no package index reachable?)")
    sdists = sorted(where.glob("bvhtools-*.tar.gz"))
    if done.returncode != 0 or not sdists:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        pytest.skip(f"cannot download bvhtools' source distribution from the package index: {last}")
    with tarfile.open(sdists[0]) as tar:
        members = [m for m in tar.getmembers() if m.isfile() and m.name.endswith(".bvh") and "/testBvhFiles/" in m.name]
        tar.extractall(where, members=members, filter="data")
    return {Path(m.name).name: where / m.name for m in members}


def _sane(joints: np.ndarray, skeleton=HUMANML3D) -> None:
    bones = np.linalg.norm(joints[:, 1:] - joints[:, list(skeleton.parents[1:])], axis=-1)
    assert np.abs(bones - np.median(bones, axis=0)).max() < MM  # constant bone lengths
    head = joints[:, skeleton.joint_index("head"), 1]
    assert 1.3 < np.median(head) < 2.0  # a standing adult for most of the recording
    assert abs(joints[..., 1].min()) < 1e-6  # the floor at 0
    assert np.median(joints[..., 1].min(axis=1)) < 0.1  # a foot near the floor in most frames


@pytest.mark.slow
def test_long_real_recordings_of_other_rigs_import(bvhtools_files, tmp_path):
    assert {"test.bvh", "test2.bvh", "test3.bvh"} <= set(bvhtools_files)
    for name, frames, minutes in (("test.bvh", 7184, 3.99), ("test2.bvh", 3945, 2.19)):
        motion = read_bvh(bvhtools_files[name])
        assert set(motion.names) == LAFAN_JOINTS and motion.n_frames == frames
        assert motion.fps == pytest.approx(30.0, abs=0.01) and motion.duration / 60 == pytest.approx(minutes, abs=0.01)
        joints, report = import_clip(bvhtools_files[name])
        assert (report.rig, report.units, report.up) == ("lafan1", "cm", "Y") and report.bone_fix_mm < 0.1
        _sane(joints)
        windows = split_windows(import_bvh(motion))
        assert len(windows) == int(np.ceil(len(joints) / 199)) and all(w.n_frames == 199 for w in windows)
    with pytest.raises(M2TError, match="test3.bvh: unknown rig"):
        import_clip(bvhtools_files["test3.bvh"])
    (tmp_path / "blender.toml").write_text(BLENDER_MAP)
    joints, report = import_clip(bvhtools_files["test3.bvh"], rig_map=tmp_path / "blender.toml")
    assert (report.units, report.fps_in, report.frames_in) == ("m", pytest.approx(24.0, abs=0.01), 3089)
    _sane(joints)
    # the two long recordings as a dataset: windows of minutes of motion
    (tmp_path / "t.csv").write_text("file,caption,split\ntest,a person moves about,train\n"
                                    "test2,a person moves about,val\n")
    summary = import_dataset(bvhtools_files["test.bvh"].parent, tmp_path / "t.csv", tmp_path / "ds")
    assert len(summary.splits["train"]) == 25 and len(summary.splits["val"]) == 14
    assert summary.not_in_table == ["test3.bvh"] and check_dataset(tmp_path / "ds").usable


def test_animate_and_explore_take_a_bvh_file_directly(tmp_path, monkeypatch, capsys):
    """`--clip FILE.bvh`: the clip views import the file (as caption does) instead of looking up a dataset id;
    the page's attribution bars use the file's own inputs."""
    from conftest import synthetic_model_file
    from m2t_interpret.cli import main

    monkeypatch.setenv("M2T_INTERPRET_CACHE", str(tmp_path / "cache"))
    model = synthetic_model_file(tmp_path)
    walk = REPO / "analyses" / "examples" / "humanoid3d_walk.bvh"
    turn = REPO / "analyses" / "examples" / "walker_turn_left0.bvh"
    rc = main(["animate", "--model", str(model), "--clip", str(walk), "--out", str(tmp_path / "walk.gif")])
    out = capsys.readouterr()
    assert rc == 0, out.err
    assert out.out.startswith("humanoid3d_walk: ") and (tmp_path / "walk.gif").read_bytes()[:6] == b"GIF89a"
    rc = main(["explore", "--model", str(model), "--clip", f"{walk},{turn}", "--attribution", "ablation",
               "--out", str(tmp_path / "page.html")])
    out = capsys.readouterr()
    assert rc == 0, out.err
    assert "humanoid3d_walk: " in out.out and "walker_turn_left0: " in out.out
    assert (tmp_path / "page.html").stat().st_size > 100_000
    assert not (tmp_path / "cache").exists()  # no dataset was generated for files


def test_a_kit_clip_is_written_in_millimetres_as_kit_ml_stores_it(tmp_path):
    """KIT's own conventions on disk: KIT-ML files hold millimetres; the loader reads them back as metres."""
    from m2t_interpret.data.dataset import load_motion

    joints, report = import_clip(REPO / "analyses" / "examples" / "humanoid3d_walk.bvh", skeleton="kit")
    assert report.skeleton == "kit" and joints.shape[1] == 21
    out = write_clip(joints, tmp_path / "walk_kit.npy", skeleton="kit")
    stored = np.load(out)
    np.testing.assert_allclose(stored, joints * 1000.0, rtol=1e-6)  # float32 both ways
    assert 1200 < stored[0, :, 1].max() < 2000  # the head, in millimetres
    back, units = load_motion(out, "kit")
    assert units == "mm"
    np.testing.assert_allclose(back, joints, rtol=1e-5, atol=1e-6)
