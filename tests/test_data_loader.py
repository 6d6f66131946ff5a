"""Loader for the HumanML3D on-disk layout (HumanML3D and the KIT-ML release)."""

import json
from pathlib import Path

import numpy as np
import pytest

from m2t_interpret.data.check import mirror_motion
from m2t_interpret.data.dataset import (detect_units, load_split, read_captions, read_split_ids)
from m2t_interpret.errors import M2TError
from m2t_interpret.skeletons import HUMANML3D, KIT

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO.parent / "shared" / "data" / "humanml3d-sample"
CLIP = SAMPLE / "new_joints" / "012314.npy"

needs_clip = pytest.mark.skipif(
    not CLIP.is_file(),
    reason=f"real HumanML3D clip not found at {CLIP} (../shared/data/humanml3d-sample is absent)")

TEXT_012314 = "\n".join([
    "a person serves a tennis ball.#a/DET person/NOUN serve/VERB a/DET tennis/NOUN ball/NOUN#0.0#0.0",
    "someone does a tennis serve#someone/PRON do/VERB a/DET tennis/NOUN serve/NOUN#0.0#0.0",
    "the person throws the ball up#the/DET person/NOUN throw/VERB the/DET ball/NOUN up/ADV#0.0#3.0",
    "a man tosses a ball upward#a/DET man/NOUN toss/VERB a/DET ball/NOUN upward/ADV#0.0#3.0",
    "this line is broken",
    "a person swings#a/DET person/NOUN swing/VERB#5.0#7.0",
    "",
])


def write_layout(root: Path, clips: dict, texts: dict, splits: dict) -> Path:
    (root / "new_joints").mkdir(parents=True, exist_ok=True)
    (root / "texts").mkdir(parents=True, exist_ok=True)
    for cid, arr in clips.items():
        np.save(root / "new_joints" / f"{cid}.npy", arr)
    for cid, text in texts.items():
        (root / "texts" / f"{cid}.txt").write_text(text, encoding="utf-8")
    for name, ids in splits.items():
        (root / f"{name}.txt").write_text("\n".join(ids) + "\n")
    return root


@pytest.fixture
def real_layout(tmp_path):
    if not CLIP.is_file():
        pytest.skip(f"real HumanML3D clip not found at {CLIP}")
    motion = np.load(CLIP)
    return write_layout(
        tmp_path / "h3d",
        {"012314": motion, "M012314": mirror_motion(motion, HUMANML3D)},
        {"012314": TEXT_012314, "M012314": "a person serves#a/DET person/NOUN serve/VERB#0#0\n"},
        {"train": ["012314", "M012314", "999999"], "val": ["M012314"], "test": []},
    )


@needs_clip
def test_real_clip_whole_and_subclips(real_layout):
    ds = load_split(real_layout, "train", progress=False)
    assert ds.skeleton is HUMANML3D and ds.fps == 20.0
    by_id = {s.id: s for s in ds}
    whole = by_id["012314"]
    assert whole.motion.shape == (170, 22, 3) and whole.motion.dtype == np.float32
    assert [c.text for c in whole.captions] == ["a person serves a tennis ball.",
                                                "someone does a tennis serve"]
    assert whole.captions[0].tokens[:3] == ("a", "person", "serve")
    assert whole.captions[0].pos[2] == "VERB"
    # the two 0#3 captions are grouped into one sub-clip sample of motion[0:60]
    sub = by_id["012314@0-3"]
    assert sub.source_id == "012314" and sub.is_subclip and len(sub.captions) == 2
    np.testing.assert_array_equal(sub.motion, whole.motion[0:60])
    # 5#7 is 40 frames: kept (40 <= T)
    assert by_id["012314@5-7"].n_frames == 40
    # mirrored id, untagged caption lines are tokenised
    m = by_id["M012314"]
    assert m.mirrored and m.captions[0].tokens == ("a", "person", "serve")
    r = ds.report
    assert r.n_samples == 4 and r.n_subclip_samples == 2 and r.n_captions == 6
    assert r.missing_motion == ["999999"] and r.missing_text == ["999999"]
    assert r.malformed_lines == [("012314", 5, r.malformed_lines[0][2])]
    assert "999999" in r.skipped and "missing" in r.skipped["999999"]
    assert "train: 4 samples" in r.summary() and "missing motion 1" in r.summary()
    assert read_split_ids(real_layout, "val") == ["M012314"]


@needs_clip
def test_limit_and_subclip_length_limits(real_layout):
    (real_layout / "texts" / "012314.txt").write_text(
        "short#short/ADJ#1.0#2.0\nwhole#whole/ADJ#0#0\n")
    ds = load_split(real_layout, "train", progress=False, limit=1)
    assert ds.report.n_checked == 1 and ds.report.limit == 1
    assert [s.id for s in ds] == ["012314"]
    assert ds.report.too_short == ["012314@1-2"]  # 20 frames < 40


def test_kit_units_and_skeleton_detection(tmp_path):
    rng = np.random.default_rng(0)
    metres = (rng.normal(size=(50, 21, 3)) * 0.3 + [0, 1.0, 0]).astype(np.float32)
    mm = metres * 1000.0
    assert detect_units(mm) == "mm" and detect_units(metres) == "m"
    root = write_layout(tmp_path / "kit", {"00001": mm, "00002": metres[:20]},
                        {"00001": "a person walks#a/DET person/NOUN walk/VERB#0.0#0.0\n",
                         "00002": "too short#too/ADV short/ADJ#0#0\n"},
                        {"train": ["00001", "00002"]})
    ds = load_split(root, "train", progress=False)
    assert ds.skeleton is KIT and ds.fps == 12.5
    np.testing.assert_allclose(ds[0].motion, metres, atol=1e-5)
    assert ds.report.units == {"mm": 1, "m": 1}
    assert ds.report.too_short == ["00002"]  # 20 < 24 frames (KIT)


def test_length_limits_and_bad_files_reported(tmp_path):
    ok = np.zeros((40, 22, 3), np.float32)
    ok[:, :, 1] = np.linspace(0, 1.7, 22)
    root = write_layout(
        tmp_path / "d",
        {"a": ok, "long": np.repeat(ok, 5, axis=0), "short": ok[:39],
         "badshape": np.zeros((50, 7, 3), np.float32), "nan": np.full((50, 22, 3), np.nan),
         "notext": ok},
        {i: "w#w/NOUN#0#0\n" for i in ["a", "long", "short", "badshape", "nan", "notxt"]}
        | {"empty": "\n\n", "onlybad": "garbage\n"},
        {"train": ["a", "long", "short", "badshape", "nan", "notext", "nomotion", "a"]},
    )
    np.save(root / "new_joints" / "empty.npy", ok)
    np.save(root / "new_joints" / "onlybad.npy", ok)
    (root / "new_joints" / "broken.npy").write_bytes(b"not numpy")
    (root / "texts" / "broken.txt").write_text("w#w/NOUN#0#0\n")
    ids = ["a", "long", "short", "badshape", "nan", "notext", "nomotion", "empty", "onlybad",
           "broken"]
    ds = load_split(root, "train", progress=False, ids=ids + ["a"])
    r = ds.report
    assert [s.id for s in ds] == ["a"]  # T = 40 is kept (40 <= T < 200)
    assert r.too_long == ["long"] and r.too_short == ["short"]
    assert set(r.unreadable) == {"badshape", "nan", "broken"}
    assert r.missing_text == ["notext", "nomotion"] and r.missing_motion == ["nomotion"]
    assert r.no_captions == ["empty", "onlybad"]
    assert r.malformed_lines[0][:2] == ("onlybad", 1)
    assert r.duplicate_ids == ["a"]
    assert set(r.skipped) == set(ids) - {"a"}


def test_missing_layout_raises(tmp_path):
    with pytest.raises(M2TError):
        load_split(tmp_path / "nowhere", "train")
    (tmp_path / "new_joints").mkdir()
    with pytest.raises(M2TError, match="split"):
        load_split(tmp_path, "train")


def test_read_captions_over_splits(tmp_path):
    root = write_layout(tmp_path / "d", {}, {"1": "a b#a/X b/X#0#0\n", "2": "c#c/X#0#0\nbad\n"},
                        {"train": ["1"], "val": ["2", "1"], "test": ["3"]})
    lines = read_captions(root)
    assert [x.caption for x in lines] == ["a b", "c"]


def test_synthetic_corpus_loads(tmp_path):
    synth = pytest.importorskip("m2t_interpret.data.synthetic")
    if not hasattr(synth, "generate_corpus"):
        pytest.skip("m2t_interpret.data.synthetic.generate_corpus is not available yet")
    synth.generate_corpus(tmp_path / "syn", n_train=6, n_val=2, n_test=2, seed=1, progress=False)
    ds = load_split(tmp_path / "syn", "train", progress=False)
    assert len(ds) > 0 and ds.skeleton is HUMANML3D
    assert not ds.report.malformed_lines and not ds.report.unreadable
    assert all(c.tokens for s in ds for c in s.captions)


def _clip(frames=50, joints=22):
    clip = np.zeros((frames, joints, 3), np.float32)
    clip[:, :, 1] = np.linspace(0, 1.7, joints)
    return clip


def test_odd_motion_files_are_refused_with_their_reason(tmp_path):
    from m2t_interpret.data.dataset import load_motion

    d = tmp_path
    np.save(d / "complex.npy", _clip().astype(np.complex64))
    np.save(d / "int.npy", _clip().astype(np.int16))
    np.save(d / "huge.npy", _clip() * 1e30)
    np.savez(d / "z.npz", a=_clip())
    (d / "text.npy").write_text("1 2 3\n")
    (d / "empty.npy").write_bytes(b"")
    for name, phrase in [("complex.npy", "complex numbers"), ("int.npy", "holds integers (int16)"),
                         ("huge.npy", "absurdly scaled"), ("z.npz", ".npz archive (arrays: a)"),
                         ("text.npy", "not a .npy file (no NumPy header"), ("empty.npy", "empty (0 bytes)")]:
        with pytest.raises(M2TError, match=phrase.replace("(", r"\(").replace(")", r"\)")):
            load_motion(d / name)
    np.save(d / "mm.npy", _clip() * 1000)
    motion, units = load_motion(d / "mm.npy")
    assert units == "mm" and abs(float(motion.max()) - 1.7) < 1e-4


def test_non_utf8_caption_lines_are_malformed_not_mangled(tmp_path):
    root = write_layout(tmp_path / "d", {"a": _clip()}, {}, {"train": ["a"]})
    (root / "texts" / "a.txt").write_bytes(b"a person walks to the caf\xe9#a/DET#0.0#0.0\n"
                                          b"a person walks#a/DET person/NOUN walk/VERB#0.0#0.0\n")
    ds = load_split(root, "train", progress=False)
    assert [c.text for c in ds[0].captions] == ["a person walks"]
    (i, line, why), = ds.report.malformed_lines
    assert (i, line) == ("a", 1) and why.startswith("not valid UTF-8 (byte 0xe9 at column 26)")
    assert ds.report.n_lines == 2 and ds.report.malformed_fraction == 0.5
    assert "1 of 2 caption lines malformed (not valid UTF-8" in ds.report.loss_summary()


def test_loss_summary_counts_problems_not_length_filtering(tmp_path):
    root = write_layout(tmp_path / "d", {"a": _clip(), "short": _clip(10)},
                        {"a": "w#w/NOUN#0#0\n", "short": "w#w/NOUN#0#0\n", "nomotion": "w#w/NOUN#0#0\n"},
                        {"train": ["a", "short", "nomotion", "ghost"]})
    r = load_split(root, "train", progress=False).report
    assert set(r.lost_ids) == {"nomotion", "ghost"} and r.lost_fraction == 0.5
    text = r.loss_summary()
    assert text.startswith("2 of 4 ids lost (missing new_joints/ file: nomotion, ghost; missing texts/ file: ghost)")
    assert "outside the length limits (filtered, not counted): 1" in text


def test_a_dataset_may_declare_a_shorter_minimum(tmp_path):
    """A synthetic corpus declares ``min_frames`` in corpus.json (its short excerpts of repeating
    actions); the skeleton's limit holds elsewhere, and an unreadable corpus.json changes nothing."""
    ok = np.zeros((40, 22, 3), np.float32)
    ok[:, :, 1] = np.linspace(0, 1.7, 22)
    root = write_layout(tmp_path / "d", {"a": ok, "short": ok[:20], "tiny": ok[:10]},
                        {i: "w#w/NOUN#0#0\n" for i in ("a", "short", "tiny")},
                        {"train": ["a", "short", "tiny"]})
    assert [s.id for s in load_split(root, "train", progress=False)] == ["a"]
    (root / "corpus.json").write_text(json.dumps({"min_frames": 16}))
    ds = load_split(root, "train", progress=False)
    assert [s.id for s in ds] == ["a", "short"] and ds.report.too_short == ["tiny"]
    (root / "corpus.json").write_text("{not json")
    assert [s.id for s in load_split(root, "train", progress=False)] == ["a"]
