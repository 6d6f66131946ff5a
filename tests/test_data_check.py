"""`m2t-interpret data check`: exit codes, coverage, mirror pairs, left side from geometry."""

import json
from pathlib import Path

import numpy as np
import pytest

from m2t_interpret.cli import main
from m2t_interpret.data.check import (check_dataset, detect_left_side, mirror_motion,
                                      mirror_permutation)
from m2t_interpret.skeletons import HUMANML3D, KIT

REPO = Path(__file__).resolve().parents[1]
CLIP = REPO.parent / "shared" / "data" / "humanml3d-sample" / "new_joints" / "012314.npy"


@pytest.fixture
def clip():
    if not CLIP.is_file():
        pytest.skip(f"real HumanML3D clip not found at {CLIP} (../shared/data is absent)")
    return np.load(CLIP)


def make_layout(root: Path, clips: dict, splits: dict) -> Path:
    (root / "new_joints").mkdir(parents=True)
    (root / "texts").mkdir()
    for cid, arr in clips.items():
        np.save(root / "new_joints" / f"{cid}.npy", arr)
        (root / "texts" / f"{cid}.txt").write_text(
            "a person serves a ball#a/DET person/NOUN serve/VERB a/DET ball/NOUN#0.0#0.0\n"
            "oops no fields\n")
    for name, ids in splits.items():
        (root / f"{name}.txt").write_text("\n".join(ids) + "\n")
    return root


def test_mirror_permutation_swaps_named_sides():
    p = mirror_permutation(HUMANML3D)
    names = HUMANML3D.joint_names
    assert names[p[names.index("left_hip")]] == "right_hip" and p[0] == 0 and p[15] == 15
    k = mirror_permutation(KIT)
    assert KIT.joint_names[k[KIT.joint_index("LH")]] == "RH" and k[KIT.joint_index("BLN")] == 2
    assert sorted(k.tolist()) == list(range(21))


def test_left_side_on_real_clip(clip):
    side = detect_left_side(clip, HUMANML3D, 0, "012314")
    assert side.facing_axis == "+Z" and side.left_axis == "+X"
    assert side.named_left_is_left and side.agreement > 0.8
    mirrored = detect_left_side(mirror_motion(clip, HUMANML3D), HUMANML3D)
    assert mirrored.named_left_is_left  # a proper mirror keeps names consistent
    flipped = clip.copy()
    flipped[..., 0] *= -1  # negating x without swapping joints breaks the names
    assert not detect_left_side(flipped, HUMANML3D).named_left_is_left


def test_check_cli_ok_on_real_clip(clip, tmp_path, capsys):
    bad_mirror = clip.copy()
    bad_mirror[..., 0] *= -1
    root = make_layout(tmp_path / "d", {
        "012314": clip, "M012314": mirror_motion(clip, HUMANML3D),
        "000002": clip[:100], "M000002": bad_mirror[:100], "000003": clip[:60]},
        {"train": ["012314", "M012314", "404040"], "val": ["000002", "M000002"], "test": []})
    out_json = tmp_path / "check.json"
    rc = main(["data", "check", str(root), "--json", str(out_json)])
    out = capsys.readouterr().out
    assert rc == 0
    assert "joint 'left_hip' is on the subject's left" in out and "faces +Z" in out
    assert "usable: yes" in out and "404040" in out
    res = json.loads(out_json.read_text())
    assert res["usable"] and res["skeleton"] == "humanml3d" and res["fps"] == 20.0
    assert res["units"] == {"m": 4}
    assert res["splits"]["train"]["n_missing_motion"] == 1
    assert res["motion_not_in_splits"] == ["000003"]
    assert res["mirror"]["n_checked"] == 2 and res["mirror"]["n_consistent"] == 1
    assert "without the left/right swap" in res["mirror"]["inconsistent"][0][1]
    assert res["left_side"]["named_left_is_left"] is True
    assert len(res["parse_errors"]) == 4 and res["parse_errors"][0][1] == 2


def test_check_cli_exit_2_when_unusable(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["data", "check", str(tmp_path / "empty")]) == 2
    assert "no split files" in capsys.readouterr().err
    assert main(["data", "check", str(tmp_path / "missing")]) == 2
    # split files but nothing loadable (all clips too short)
    root = make_layout(tmp_path / "short", {"1": np.zeros((10, 22, 3), np.float32)},
                       {"train": ["1"]})
    assert main(["data", "check", str(root)]) == 2
    assert "no sample could be loaded" in capsys.readouterr().err
    res = check_dataset(root)
    assert not res.usable and res.splits["train"].n_too_short == 1
    assert len(res.to_frame()) == 1


def test_check_limit_and_split_option(clip, tmp_path, capsys):
    root = make_layout(tmp_path / "d", {"a": clip, "b": clip}, {"train": ["a", "b"], "val": ["b"]})
    res = check_dataset(root, ["train"], limit=1)
    assert list(res.splits) == ["train"] and res.splits["train"].n_checked == 1
    assert main(["data", "check", str(root), "--split", "val", "--limit", "1"]) == 0


H3D_TO_KIT = [0, 3, 9, 12, 15, 16, 18, 20, 17, 19, 21, 1, 4, 7, 10, 10, 2, 5, 8, 11, 11]


def test_check_kit_layout_in_millimetres(clip, tmp_path):
    kit = clip[:, H3D_TO_KIT] * 1000.0  # a KIT-21 clip in millimetres, names on the right sides
    root = make_layout(tmp_path / "kit", {"00001": kit, "M00001": mirror_motion(kit, KIT)},
                       {"train": ["00001", "M00001"]})
    res = check_dataset(root)
    assert res.usable and res.skeleton == "kit" and res.fps == 12.5
    assert res.units == {"mm": 2} and "millimetres" in res.units_text
    assert res.left_side.named_left_hip == "LH" and res.left_side.named_left_is_left
    assert res.mirror.n_consistent == 1
    swapped = kit[:, mirror_permutation(KIT)]  # names swapped, geometry unchanged
    assert not detect_left_side(swapped, KIT).named_left_is_left


def _ok_clip(frames=60):
    clip = np.zeros((frames, 22, 3), np.float32)
    clip[:, :, 1] = np.linspace(0, 1.7, 22)
    clip[:, :, 0] = np.linspace(-0.3, 0.3, 22)
    return clip


def test_empty_or_wholly_missing_splits_are_unusable(tmp_path, capsys):
    clips = {"a": _ok_clip(), "b": _ok_clip()}
    root = make_layout(tmp_path / "noval", clips, {"train": ["a"], "val": [], "test": ["b"]})
    res = check_dataset(root)
    assert not res.usable and "the val split lists no ids" in res.problems
    root = make_layout(tmp_path / "notrain", clips, {"train": [], "val": ["a"], "test": ["b"]})
    assert not check_dataset(root).usable
    root = make_layout(tmp_path / "testgone", clips, {"train": ["a"], "val": ["b"], "test": ["x1", "x2"]})
    res = check_dataset(root)
    assert not res.usable
    assert any(p.startswith("the test split has no usable sample: 2 of 2 ids lost") for p in res.problems)
    assert main(["data", "check", str(root), "--no-progress"]) == 2
    captured = capsys.readouterr()
    assert "usable: NO" in captured.out and "the test split has no usable sample" in captured.err
    root = make_layout(tmp_path / "ok", clips, {"train": ["a"], "val": ["b"], "test": []})
    assert check_dataset(root).usable  # an empty test split is only noted


def test_check_refuses_a_file_and_a_negative_tolerance(tmp_path, capsys):
    f = tmp_path / "clip.npy"
    np.save(f, _ok_clip())
    assert main(["data", "check", str(f)]) == 2
    assert "is a file, not a dataset folder" in capsys.readouterr().err
    assert main(["data", "check", str(tmp_path), "--tolerance", "-1"]) == 2
    assert "--tolerance must be a distance in metres ≥ 0" in capsys.readouterr().err
    with pytest.raises(Exception, match="tolerance"):
        check_dataset(tmp_path, tolerance=float("nan"))


def test_check_json_is_checked_before_the_check(tmp_path, capsys):
    root = make_layout(tmp_path / "d", {"a": _ok_clip(), "b": _ok_clip()}, {"train": ["a"], "val": ["b"]})
    mine = tmp_path / "mine.json"
    mine.write_text('{"my": "notes"}')
    assert main(["data", "check", str(root), "--json", str(mine), "--no-progress"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "is not an earlier dataset check JSON" in captured.err
    out = tmp_path / "check.json"
    assert main(["data", "check", str(root), "--json", str(out), "--no-progress"]) == 0
    assert main(["data", "check", str(root), "--json", str(out), "--no-progress"]) == 0  # replaces its own
    assert mine.read_text() == '{"my": "notes"}'
