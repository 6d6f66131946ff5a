"""Skeleton animations: a GIF of a synthetic clip moves, and the joints it highlights are the
attended part's (checked in the artist data and in the decoded pixels); KIT millimetres; MP4; the
follow camera keeps a travelling body large, the fixed one the whole path in view."""

from __future__ import annotations

import itertools
import sys

import numpy as np
import pytest
from conftest import random_motions, tiny_model
from PIL import Image, ImageSequence

from m2t_interpret.skeletons import PARTS


@pytest.fixture(scope="module")
def view(tmp_path_factory):
    from m2t_interpret import clipviews
    from m2t_interpret.data.synthetic import generate_corpus

    # seed 32: clip 000000 waves the right hand, then jabs with the left ("… waves … then punches with his left arm")
    root = generate_corpus(tmp_path_factory.mktemp("c"), n_train=0, n_val=0, n_test=2, seed=32, progress=False)
    return clipviews.open_clips("synthetic-guided", data=root, clips=["000000"])


def _active_frame(anim) -> int:
    w = anim.weights
    return int(np.argmax(np.where(w.active, w.window, -1)))


def test_gif_shows_a_moving_skeleton_with_the_attended_part_highlighted(view, tmp_path):
    from m2t_interpret.clipviews import clip_animation, write_animation

    anim = clip_animation(view, "000000", word="punching")  # any form of the caption's "punches"
    w = anim.weights
    assert w.words == ["punches"] and w.active.any() and not w.active.all()
    path = write_animation(anim, tmp_path / "punch.gif")
    frames = [np.asarray(f.convert("RGB"), dtype=np.int16) for f in ImageSequence.Iterator(Image.open(path))]
    assert len(frames) == anim.n_frames == view.capture.lengths[0]
    moved = [np.abs(a - b).sum() > 0 for a, b in itertools.pairwise(frames)]
    assert np.mean(moved) > 0.9, "the skeleton should move between most frames"

    cap, n, step = view.capture, 0, int(w.steps[0])
    i = _active_frame(anim)
    attended = cap.part_names[int(cap.alpha[n, step, i].argmax())]  # straight from the model's α
    biggest = np.argsort(anim.drawn_sizes[i])[-3:]  # the three largest markers drawn
    assert {PARTS[w.joint_part[j]] for j in biggest} == {attended}
    assert attended in ("left_arm", "right_arm")  # the synthetic truth: punching moves both arms
    # at every active frame the largest markers are the part the model attends to then
    for f in np.nonzero(w.active)[0]:
        top = cap.part_names[int(cap.alpha[n, step, f].argmax())]
        assert PARTS[w.joint_part[int(anim.drawn_sizes[f].argmax())]] == top

    # in the pixels: the most weighted joint is drawn in its weight's colour, unlike the dimmest
    px = anim.joint_pixels(i)
    j_hot, j_cold = int(w.weights[i].argmax()), int(w.weights[i].argmin())
    c, r = px[j_hot].round().astype(int)
    hot = frames[i][r - 1:r + 2, c - 1:c + 2].reshape(-1, 3).mean(0)
    want = np.array(anim.cmap(anim.norm(w.weights[i, j_hot]))[:3]) * 255
    cold = np.array(anim.cmap(anim.norm(w.weights[i, j_cold]))[:3]) * 255
    assert np.abs(hot - want).max() < 45 and np.abs(hot - cold).max() > 60


def test_default_follows_the_word_with_the_highest_window(view):
    from m2t_interpret.clipviews import clip_animation

    anim = clip_animation(view, 0)
    w = anim.weights
    assert len(w.words) >= 2
    cap = view.capture
    win = cap.window[0][w.steps][:, : anim.n_frames]
    np.testing.assert_array_equal(w.current, win.argmax(0))
    np.testing.assert_allclose(w.window, win.max(0))


def test_unknown_word_is_refused(view):
    from m2t_interpret.clipviews import clip_animation
    from m2t_interpret.errors import M2TError

    with pytest.raises(M2TError, match="no word 'dance' in the caption of clip 000000"):
        clip_animation(view, 0, word="dance")


def _tiny_animation(motion: np.ndarray, skeleton: str, drawn: np.ndarray | None = None, **options):
    """The animation of ``drawn`` (default ``motion``) with the weights a tiny model gives ``motion``."""
    from m2t_interpret.analysis import token_table
    from m2t_interpret.analysis.joint_weights import joint_weights
    from m2t_interpret.capture.clips import model_frame_joints
    from m2t_interpret.plotting.animation import SkeletonAnimation

    cap = tiny_model(skeleton, seed=1 if skeleton == "humanml3d" else 0).capture([motion])  # seed 1: a caption
    table = token_table(cap)
    joints = model_frame_joints(motion if drawn is None else drawn, cap.downsample, int(cap.lengths[0]))
    rows = table[~table["is_special"].astype(bool)]
    return SkeletonAnimation(joints, joint_weights(cap, table, 0), skeleton, list(zip(rows["step"], rows["word"])),
                             fps=cap.fps, downsample=cap.downsample, **options)


def _tiny_kit_animation(scale: float, **options):
    motion = random_motions(1, joints=21, seed=3, lengths=[30])[0]
    return _tiny_animation(motion, "kit", motion * scale, **options)


def test_kit_millimetres_draw_like_metres():
    metres, mm = _tiny_kit_animation(1.0), _tiny_kit_animation(1000.0)
    np.testing.assert_allclose(mm.xyz, metres.xyz, atol=1e-5)
    assert mm.render(3).shape == (512, 512, 3)


def test_mp4_through_imageio_ffmpeg(tmp_path):
    pytest.importorskip("imageio_ffmpeg")
    from m2t_interpret.plotting.animation import is_animation_file, write_animation

    anim = _tiny_kit_animation(1.0)
    path = write_animation(anim, tmp_path / "a.mp4")
    head = path.read_bytes()[:12]
    assert head[4:8] == b"ftyp" and is_animation_file(path)


def test_mp4_without_the_video_extra_says_how_to_install_it(monkeypatch, tmp_path, capsys):
    from m2t_interpret.cli import main

    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)  # what a missing package looks like to import
    rc = main(["animate", "--clip", "0", "--format", "mp4", "--out", str(tmp_path / "a.mp4")])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "pip install 'm2t-interpret[video]'" in err[0]
    assert list(tmp_path.iterdir()) == []


def test_cli_animate_replaces_its_own_gif_and_refuses_a_user_file(view, tmp_path, capsys):
    from m2t_interpret.cli import main
    from m2t_interpret.io import check_file_destination
    from m2t_interpret.plotting.animation import is_animation_file

    root = view.clips.root
    out = tmp_path / "a.gif"
    args = ["animate", "--clip", "000000", "--data", root, "--word", "waves", "--out", str(out)]
    assert main(args) == 0 and out.stat().st_size > 0
    assert "words drawn: waves" in capsys.readouterr().out
    # a second run may replace it: it is recognised as an earlier animation
    assert is_animation_file(out) and check_file_destination(out, "animation", is_animation_file) == out
    user = tmp_path / "mine.gif"
    user.write_bytes(b"GIF89a mine")
    assert main(args[:-1] + [str(user)]) == 2
    assert "exists and is not an earlier animation" in capsys.readouterr().err
    assert user.read_bytes() == b"GIF89a mine"


@pytest.mark.parametrize("camera", ["follow", "fixed"])
def test_a_frame_is_the_same_whatever_was_drawn_before(camera):
    """Frames are blitted over a saved background: frame 5 drawn after others equals frame 5
    drawn first, and two animations of the same clip agree (same seed, same pixels)."""
    a, b = _tiny_kit_animation(1.0, camera=camera), _tiny_kit_animation(1.0, camera=camera)
    first = a.render(5)
    for i in (0, 9, 2):
        a.render(i)
    np.testing.assert_array_equal(a.render(5), first)
    np.testing.assert_array_equal(b.render(5), first)
    assert not np.array_equal(a.render(0), first)


@pytest.fixture(scope="module")
def jog():
    """A synthetic clip of a person jogging 5.3 m forward (HumanML3D skeleton, y-up metres)."""
    from m2t_interpret.data.synthetic.clip import generate_clip

    joints = generate_clip(0, actions=["jog"]).joints
    assert np.linalg.norm(joints[-1, 0] - joints[0, 0]) > 5
    return joints


def _height_fraction(anim, i: int) -> float:
    """The skeleton's height in frame ``i``'s image, as a fraction of the image's height."""
    image = anim.render(i)
    rows = anim.joint_pixels(i)[:, 1]
    return float(rows.max() - rows.min()) / image.shape[0]


def test_follow_camera_keeps_a_travelling_body_large_and_centred(jog):
    follow = _tiny_animation(jog, "humanml3d")
    fixed = _tiny_animation(jog, "humanml3d", camera="fixed")
    assert follow.camera == "follow"
    frames = np.linspace(0, follow.n_frames - 1, 6).round().astype(int)
    big = np.array([_height_fraction(follow, i) for i in frames])
    small = np.array([_height_fraction(fixed, i) for i in frames])
    # 5 m of path in one fixed view leaves the body an eighth of the frame (measured 0.13); following it, half (0.51)
    assert big.min() > 0.35 and small.max() < 0.2 and (big > 3 * small).all(), (big, small)
    side = follow.side
    for i in frames:
        follow.render(i)
        (x0, x1), (y0, y1) = follow.ax.get_xlim(), follow.ax.get_ylim()
        # a window of one size, centred on the pelvis, every joint inside it and drawn left of the colour bar
        assert x1 - x0 == pytest.approx(side, rel=1e-9) and y1 - y0 == pytest.approx(side, rel=1e-9)
        assert ((x0 + x1) / 2, (y0 + y1) / 2) == pytest.approx(tuple(follow.xyz[i, 0, :2]), abs=1e-9)
        p = follow.xyz[i]
        assert (p[:, 0] > x0).all() and (p[:, 0] < x1).all() and (p[:, 1] > y0).all() and (p[:, 1] < y1).all()
        px = follow.joint_pixels(i)
        assert (px >= 0).all() and (px[:, 0] < follow.cax.get_window_extent().x0).all() and (px[:, 1] < 512).all()
        # the root's path, dense and cut to the window: some of it hidden, what is drawn inside
        x, y, _ = (np.asarray(v, float) for v in follow.whole_path.get_data_3d())
        shown = np.isfinite(x)
        assert 0 < shown.sum() < len(x)
        assert (x[shown] >= x0).all() and (x[shown] <= x1).all() and (y[shown] >= y0).all() and (y[shown] <= y1).all()
        tx, ty, _ = (np.asarray(v, float) for v in follow.trail.get_data_3d())
        assert (tx[-1], ty[-1]) == pytest.approx(tuple(follow.xyz[i, 0, :2]), abs=1e-9)  # the trail ends at the feet
    assert follow.ax.get_zlim() == pytest.approx((follow.xyz[..., 2].min(), follow.xyz[..., 2].min()
                                                   + follow_height(follow.xyz)))


def follow_height(xyz):
    from m2t_interpret.plotting.animation import follow_window

    return follow_window(xyz)[1]


def test_follow_window_is_sized_by_the_body(jog):
    """A small body and a tall one fill the frame alike: the window scales with the body's height, so
    scaling the clip leaves every joint's pixel where it was (float64 projection: well under a pixel)."""
    tall = _tiny_animation(jog, "humanml3d")
    small = _tiny_animation(jog, "humanml3d", jog * 0.6)
    assert small.side == pytest.approx(0.6 * tall.side, rel=1e-6)
    for i in (0, tall.n_frames // 2, tall.n_frames - 1):
        small.render(i), tall.render(i)
        np.testing.assert_allclose(small.joint_pixels(i), tall.joint_pixels(i), atol=0.05)


def test_fixed_camera_keeps_the_whole_path_in_view(jog):
    """The fixed camera's limits are set once, from the whole clip (the view before the follow
    camera existed): a cube around the path's centre, half a side the farthest joint plus 0.1 m."""
    fixed = _tiny_animation(jog, "humanml3d", camera="fixed")
    xyz = fixed.xyz
    floor = xyz[..., 2].min()
    root = xyz[:, 0, :2]
    centre = (root.max(0) + root.min(0)) / 2
    half = max(np.abs(xyz[..., :2] - centre).max(), (xyz[..., 2].max() - floor) / 2, 0.5) + 0.1
    want = [(centre[0] - half, centre[0] + half), (centre[1] - half, centre[1] + half), (floor, floor + 2 * half)]
    for i in (0, fixed.n_frames - 1):
        fixed.render(i)
        got = [fixed.ax.get_xlim(), fixed.ax.get_ylim(), fixed.ax.get_zlim()]
        assert np.asarray(got) == pytest.approx(np.asarray(want), abs=1e-9)
    x, y, _ = (np.asarray(v, float) for v in fixed.whole_path.get_data_3d())
    assert np.isfinite(x).all() and np.column_stack([x, y]) == pytest.approx(root, abs=1e-9)


def test_unknown_camera_is_refused():
    from m2t_interpret.errors import M2TError

    with pytest.raises(M2TError, match="unknown camera 'orbit'; use follow"):
        _tiny_kit_animation(1.0, camera="orbit")
