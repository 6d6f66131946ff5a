"""Skeleton animations with attention: a 3D skeleton whose joints are coloured and sized by the
current word's α·Γ, the caption with the active word highlighted, the root's path on the floor.

Two cameras: ``follow`` (the default) keeps a window of a fixed size, set by the body's height,
centred on the pelvis, so that the body fills the frame however far it travels (the floor grid and
the root's path move under it); ``fixed`` fits the axes to the whole path once.

Headless by construction: the figure is a :class:`matplotlib.figure.Figure` drawn by its own
:class:`~matplotlib.backends.backend_agg.FigureCanvasAgg`, so no backend is chosen and pyplot is
never imported. Frames are rendered by updating the artists made once (segments, offsets, sizes,
colours, text), which is what keeps a 10 s clip within seconds.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import Normalize, to_rgba
from matplotlib.figure import Figure
from matplotlib.ticker import MultipleLocator
from PIL import Image

from ..analysis.joint_weights import JointWeights
from ..data.dataset import MM_THRESHOLD, body_extent
from ..errors import M2TError
from ..io import atomic_path
from ..skeletons import PARTS, Skeleton, get_skeleton
from .style import MAP_CMAP, PART_COLORS, part_label, style

ANIMATION_FORMATS = ("gif", "mp4")
CAMERAS = ("follow", "fixed")
#: The follow camera's window: a square this many body heights on a side around the pelvis,
#: enlarged where a pose reaches further from the pelvis; its height, from the floor to the clip's
#: highest joint.
FOLLOW_HEIGHTS = 1.2
#: The follow camera's zoom (the fixed camera's is 1.25): the box's corners may leave the axes;
#: the colour bar and the bottom line stay over it.
FOLLOW_ZOOM = 1.3
#: Points per metre of the root's path as drawn by the follow camera, which hides the path outside
#: its window point by point (the 3-D toolkit does not clip lines to the axes before matplotlib 3.10).
PATH_POINTS_PER_M = 100
#: Joint marker areas (points²) at zero and at the clip's largest weight.
SIZE_MIN, SIZE_MAX = 12.0, 260.0
#: 512 × 512 pixels: divisible by 16, as H.264 wants, and small enough for a quick GIF.
FIGSIZE, DPI = (6.4, 6.4), 80
INACTIVE_WORD = "#9A9A9A"
#: Written into every animation, so that a later run may replace its own file but no other.
SIGNATURE = "m2t-interpret animation"


def to_metres(joints: np.ndarray) -> np.ndarray:
    """(T, J, 3) joints in metres: a clip whose body extent says millimetres (KIT-ML's new_joints)
    is divided by 1000, the rule the data loader applies."""
    j = np.asarray(joints, dtype=np.float64)
    return j / 1000.0 if body_extent(j) > MM_THRESHOLD else j


def _on_white(color: str, alpha: float) -> tuple[float, float, float, float]:
    """``color`` at ``alpha`` over white, as an opaque colour (it must hide the word beneath)."""
    r, g, b, _ = to_rgba(color)
    return (1 - alpha + alpha * r, 1 - alpha + alpha * g, 1 - alpha + alpha * b, 1.0)


def plot_coords(joints: np.ndarray) -> np.ndarray:
    """y-up (x, y, z) → matplotlib's z-up (x, −z, y): a rotation, so left stays left."""
    return np.stack([joints[..., 0], -joints[..., 2], joints[..., 1]], axis=-1)


def _bones(sk: Skeleton) -> list[tuple[int, int]]:
    return [(p, j) for j, p in enumerate(sk.parents) if p >= 0]


def check_camera(camera: str) -> str:
    c = str(camera).strip().lower()
    if c not in CAMERAS:
        raise M2TError(f"unknown camera {camera!r}; use follow (the window follows the pelvis) or fixed (the whole "
                       "path in view)")
    return c


def follow_window(xyz: np.ndarray) -> tuple[float, float]:
    """The follow camera's window for (T, J, 3) z-up joints in metres: its side along x and y,
    :data:`FOLLOW_HEIGHTS` body heights (the body's median largest extent) or more where a joint
    reaches further from the pelvis, and its height above the floor, the clip's highest joint;
    both with a margin of 5 % of the body's height. Every joint of every frame is inside."""
    height = body_extent(xyz)
    margin = 0.05 * max(height, 1e-3)
    reach = float(np.abs(xyz[..., :2] - xyz[:, :1, :2]).max())  # farthest joint from the pelvis, x or y
    top = float(xyz[..., 2].max() - xyz[..., 2].min())
    return max(FOLLOW_HEIGHTS * height, 2 * (reach + margin), 1e-3), max(top + margin, 1e-3)


def _grid_step(side: float) -> float:
    """A round grid spacing (1, 2 or 5 × 10ᵏ metres) giving about three to six lines across ``side``."""
    k = np.floor(np.log10(side / 6))
    return float(next(m * 10 ** k for m in (1, 2, 5, 10) if side / (m * 10 ** k) <= 6))


def _dense_path(root: np.ndarray, step: float) -> tuple[np.ndarray, int]:
    """(M, 3) points every ``step`` or closer (at most 50 per frame) along the (T, 3) path, and the
    points per frame k: frame i is point i·k."""
    seg = np.linalg.norm(np.diff(root, axis=0), axis=1) if len(root) > 1 else np.zeros(0)
    k = min(max(int(np.ceil(seg.max() / step)) if seg.size else 1, 1), 50)  # bounded, whatever a jump in the data
    t = np.arange((len(root) - 1) * k + 1) / k
    return np.column_stack([np.interp(t, np.arange(len(root)), root[:, c]) for c in range(3)]), k


class SkeletonAnimation:
    """The artists of one clip's animation and the renderer of its frames.

    ``joints`` (T, J, 3) y-up, metres or millimetres, one row per model frame (aligned with
    ``weights``: the original frames d−1, 2d−1, … of a clip at ``fps`` with ``downsample`` d);
    ``caption`` the (step, word) pairs of the caption in order. The animation plays at the model's
    rate, ``fps / downsample``. After
    :meth:`render`, :attr:`drawn_sizes` (T, J) and :attr:`drawn_colors` (T, J, 4) hold what the
    joint artist was set to at each frame — the data behind the pixels, for tests and checks.
    """

    def __init__(self, joints: np.ndarray, weights: JointWeights, skeleton: Skeleton | str,
                 caption: Sequence[tuple[int, str]], fps: float, downsample: int = 2, title: str = "",
                 camera: str = "follow") -> None:
        self.camera = check_camera(camera)
        sk = get_skeleton(skeleton)
        j = to_metres(joints)
        if j.ndim != 3 or j.shape[1:] != (sk.n_joints, 3):
            raise M2TError(f"animation: joints must be (T, {sk.n_joints}, 3) for the {sk.name} skeleton, "
                           f"got {tuple(j.shape)}")
        if j.shape[0] != weights.n_frames:
            raise M2TError(f"animation: {j.shape[0]} frames of joints but {weights.n_frames} frames of weights")
        self.skeleton, self.weights = sk, weights
        self.clip_fps, self.downsample = float(fps), int(downsample)
        self.fps = self.clip_fps / self.downsample
        self.xyz = plot_coords(j)
        self.caption = list(caption)
        self.title = title
        self.vmax = max(float(weights.weights.max()), 1e-6)
        self.norm = Normalize(0.0, self.vmax)
        self.drawn_sizes = np.zeros(weights.weights.shape)
        self.drawn_colors = np.zeros(weights.weights.shape + (4,))
        self._background = None
        with style():
            self._build()

    @property
    def n_frames(self) -> int:
        return int(self.xyz.shape[0])

    # -- artists made once ------------------------------------------------------------------
    def _build(self) -> None:
        # matplotlib's 3-D toolkit: only when an animation is drawn
        import matplotlib
        from mpl_toolkits.mplot3d.art3d import Line3DCollection

        self.cmap = matplotlib.colormaps[MAP_CMAP]
        fig = Figure(figsize=FIGSIZE, dpi=DPI)
        self.canvas = FigureCanvasAgg(fig)
        self.fig = fig
        ax = fig.add_axes((0.0, 0.04, 0.86, 0.80), projection="3d")
        self.ax = ax
        xyz = self.xyz
        floor = float(xyz[..., 2].min())
        root = xyz[:, 0]
        if self.camera == "follow":
            self.side, z_side = follow_window(xyz)
            self._set_window(0)
            ax.set_zlim(floor, floor + z_side)
            ax.set_box_aspect((self.side, self.side, z_side), zoom=FOLLOW_ZOOM)
            step = _grid_step(self.side)
            for axis in (ax.xaxis, ax.yaxis, ax.zaxis):  # lines fixed on the floor, not re-chosen per frame
                axis.set_major_locator(MultipleLocator(step))
            self.path, self.path_k = _dense_path(np.column_stack([root[:, :2], np.full(len(root), floor)]),
                                                 1 / PATH_POINTS_PER_M)
        else:
            centre = (root[:, :2].max(0) + root[:, :2].min(0)) / 2
            half = max(float(np.abs(xyz[..., :2] - centre).max()), float(xyz[..., 2].max() - floor) / 2, 0.5) + 0.1
            ax.set_xlim(centre[0] - half, centre[0] + half)
            ax.set_ylim(centre[1] - half, centre[1] + half)
            ax.set_zlim(floor, floor + 2 * half)
            ax.set_box_aspect((1, 1, 1), zoom=1.25)
            self.path, self.path_k = np.column_stack([root[:, :2], np.full(len(root), floor)]), 1
        ax.view_init(elev=15, azim=-60)
        ax.set_xticklabels([])
        ax.set_yticklabels([])
        ax.set_zticklabels([])
        for axis in (ax.xaxis, ax.yaxis, ax.zaxis):
            axis.pane.set_alpha(0.15)
        self.bones = _bones(self.skeleton)
        jp = self.weights.joint_part
        bone_colors = [PART_COLORS[PARTS[jp[c]]] for _, c in self.bones]
        self.bone_art = Line3DCollection(self._segments(0), colors=bone_colors, linewidths=2.5)
        ax.add_collection3d(self.bone_art)
        # the whole path faint, the path so far solid, both on the floor
        (self.whole_path,) = ax.plot(*self.path.T, color="#BBBBBB", lw=1.0, ls="--")
        (self.trail,) = ax.plot(root[:1, 0], root[:1, 1], [floor], color="#333333", lw=1.8)
        (self.foot,) = ax.plot(root[:1, 0], root[:1, 1], [floor], "o", color="#333333", ms=4)
        x, y, z = xyz[0].T
        # joints over bones: depth sorting across artists off, within the scatter kept
        ax.computed_zorder = False
        self.joint_art = ax.scatter(x, y, z, s=np.full(len(x), SIZE_MIN), c=np.zeros((len(x), 4)) + (0, 0, 0, 1),
                                    depthshade=False, edgecolors="white", linewidths=0.4, zorder=5)
        self.cax = cax = fig.add_axes((0.88, 0.15, 0.025, 0.55))
        # matplotlib's 3-D toolkit and colour maps: only when an animation is drawn
        from matplotlib.cm import ScalarMappable

        cb = fig.colorbar(ScalarMappable(self.norm, self.cmap), cax=cax)
        cb.set_label("α·Γ of the joint's part")
        if self.title:
            fig.text(0.02, 0.975, self.title, ha="left", va="top", fontsize=9, color="#333333")
        self.clock = fig.text(0.02, 0.02, "", ha="left", va="bottom", fontsize=9, color="#333333")
        if self.camera == "follow":  # over the box's corner
            self.clock.set_bbox({"facecolor": "white", "alpha": 0.85, "edgecolor": "none", "pad": 1.5})
        self._layout_caption()

    def _layout_caption(self) -> None:
        """One text artist per word, wrapped over lines; measured once with the canvas renderer."""
        renderer = self.canvas.get_renderer()
        width_px = self.fig.bbox.width
        x, y, line_h = 0.02, 0.915, 0.045
        self.word_art: dict[int, object] = {}
        for step, word in self.caption:
            # room for the bold highlight drawn over the word, so it never covers the next one
            t = self.fig.text(x, y, word, ha="left", va="baseline", fontsize=12, color=INACTIVE_WORD,
                              fontweight="bold")
            w = t.get_window_extent(renderer).width / width_px
            t.set_fontweight("normal")
            if x + w > 0.97 and x > 0.02:
                x, y = 0.02, y - line_h
                t.set_position((x, y))
            self.word_art[int(step)] = t
            x += w + 0.015
        # the active word is drawn over its grey copy: bold on an opaque patch of its part's colour
        self.highlight = self.fig.text(0, 0, "", ha="left", va="baseline", fontsize=12, color="black",
                                       fontweight="bold", visible=False)

    def _set_window(self, i: int) -> None:
        """The follow camera's x and y limits at frame ``i``: the window centred on the pelvis."""
        x, y = self.xyz[i, 0, :2]
        h = self.side / 2
        self.ax.set_xlim(x - h, x + h)
        self.ax.set_ylim(y - h, y + h)

    def _in_view(self, points: np.ndarray) -> np.ndarray:
        """(M, 3) floor points with those outside the axes' x–y limits set to NaN (a gap in the line)."""
        (x0, x1), (y0, y1) = self.ax.get_xlim(), self.ax.get_ylim()
        out = (points[:, 0] < x0) | (points[:, 0] > x1) | (points[:, 1] < y0) | (points[:, 1] > y1)
        return np.where(out[:, None], np.nan, points)

    def _segments(self, i: int) -> list:
        p = self.xyz[i]
        return [(p[a], p[b]) for a, b in self.bones]

    # -- one frame --------------------------------------------------------------------------
    def update(self, i: int) -> None:
        """Move every artist to frame ``i`` (nothing is created)."""
        w = self.weights
        x, y, z = self.xyz[i].T
        self.bone_art.set_segments(self._segments(i))
        # Path3DCollection has no public 3D setter; _offsets3d is what its draw reads
        self.joint_art._offsets3d = (x, y, z)
        sizes = SIZE_MIN + (SIZE_MAX - SIZE_MIN) * np.clip(w.weights[i] / self.vmax, 0, 1)
        colors = self.cmap(self.norm(w.weights[i]))
        self.joint_art.set_sizes(sizes)
        self.joint_art.set_facecolors(colors)
        floor = self.ax.get_zlim()[0]
        trail = self.path[: i * self.path_k + 1]
        if self.camera == "follow":
            self._set_window(i)
            self.whole_path.set_data_3d(*self._in_view(self.path).T)
            trail = self._in_view(trail)
        self.trail.set_data_3d(*trail.T)
        root = self.xyz[i, 0]
        self.foot.set_data_3d([root[0]], [root[1]], [floor])
        step = int(w.steps[w.current[i]])
        part = PARTS[int(w.top_part[i])]
        word = w.words[w.current[i]]
        on = bool(w.active[i]) and step in self.word_art
        self.highlight.set_visible(on)
        if on:
            under = self.word_art[step]
            self.highlight.set_text(under.get_text())
            self.highlight.set_position(under.get_position())
            self.highlight.set_bbox({"facecolor": _on_white(PART_COLORS[part], 0.45), "edgecolor": "none", "pad": 2})
        d = self.downsample
        self.clock.set_text(f"t = {(i * d + d - 1) / self.clip_fps:5.2f} s · {word} · Γ {w.window[i]:.2f}"
                            f" · {part_label(part)} α·Γ {w.part_weights[i].max():.2f}")
        self.drawn_sizes[i] = sizes
        self.drawn_colors[i] = colors

    def joint_pixels(self, i: int) -> np.ndarray:
        """(J, 2) pixel column and row of each joint in frame ``i``'s image (after rendering it)."""
        # matplotlib's 3-D toolkit: only when an animation is drawn
        from mpl_toolkits.mplot3d import proj3d

        x, y, z = self.xyz[i].T
        u, v, _ = proj3d.proj_transform(x, y, z, self.ax.get_proj())
        disp = self.ax.transData.transform(np.column_stack([u, v]))
        return np.column_stack([disp[:, 0], self.fig.bbox.height - disp[:, 1]])

    def _dynamic(self) -> list:
        if self.camera == "follow":  # the whole 3-D axes moves: panes, grid and path with the body
            return [self.ax, self.highlight, self.clock]
        return [self.bone_art, self.trail, self.foot, self.joint_art, self.highlight, self.clock]

    def render(self, i: int) -> np.ndarray:
        """Frame ``i`` as an (H, W, 3) uint8 image.

        Everything that never moves (the colour bar, title, the grey caption; with the fixed
        camera also the panes and grid) is drawn once and restored from a saved copy; only what
        moves is drawn on top of it."""
        with style():
            if self._background is None:
                for a in self._dynamic():
                    a.set_animated(True)  # left out of a full draw
                self.canvas.draw()
                self._background = self.canvas.copy_from_bbox(self.fig.bbox)
                box = self.cax.get_tightbbox(self.canvas.get_renderer())
                self._colorbar_box = (box.x0 - 2, box.y0 - 2, box.x1 + 2, box.y1 + 2)
            self.update(i)
            self.canvas.restore_region(self._background)
            for a in self._dynamic():
                if a is self.ax:
                    self.fig.draw_artist(a)
                    # the colour bar (never moving) is put back over any part of the box under it
                    self.canvas.restore_region(self._background, bbox=self._colorbar_box)
                elif a.axes is None:
                    self.fig.draw_artist(a)
                else:
                    if hasattr(a, "do_3d_projection"):  # 3D collections project in the axes' draw
                        a.do_3d_projection()
                    self.ax.draw_artist(a)
        return np.asarray(self.canvas.buffer_rgba())[..., :3].copy()

    def frames(self):
        """Every frame, rendered in order (a generator of (H, W, 3) uint8 images)."""
        for i in range(self.n_frames):
            yield self.render(i)


def check_animation_format(fmt: str) -> str:
    f = str(fmt).strip().lower().lstrip(".")
    if f not in ANIMATION_FORMATS:
        raise M2TError(f"unknown animation format {fmt!r}; use gif or mp4")
    if f == "mp4":
        video_writer()
    return f


def video_writer():
    """imageio-ffmpeg's frame writer, or M2TError saying how to install the optional extra."""
    try:
        # optional dependency (the video extra): only for MP4
        import imageio_ffmpeg
        imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError):
        raise M2TError("MP4 needs the optional video extra (imageio-ffmpeg): pip install 'm2t-interpret[video]', "
                       "or use --format gif") from None
    return imageio_ffmpeg.write_frames


def is_animation_file(path: Path) -> bool:
    """True for a GIF or MP4 this module wrote (its signature in the file's first or last MiB)."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            head = f.read(1 << 20)
            f.seek(max(size - (1 << 20), 0))
            tail = f.read()
    except OSError:
        return False
    sig = SIGNATURE.encode()
    return sig in head or sig in tail


def write_animation(anim: SkeletonAnimation, path: str | os.PathLike, fmt: str | None = None) -> Path:
    """Render every frame of ``anim`` into a GIF (pillow) or an MP4 (imageio-ffmpeg, H.264) at the
    model's frame rate; the file appears only once complete."""
    path = Path(path)
    fmt = check_animation_format(fmt or path.suffix or "gif")
    fps = anim.fps
    with atomic_path(path) as tmp:
        if fmt == "gif":

            images = [Image.fromarray(f) for f in anim.frames()]
            images[0].save(tmp, format="GIF", save_all=True, append_images=images[1:],
                           duration=round(1000 / fps), loop=0, comment=SIGNATURE.encode())
        else:
            first = anim.render(0)
            h, w = first.shape[:2]
            writer = video_writer()(str(tmp), (w, h), fps=fps, codec="libx264", pix_fmt_out="yuv420p",
                                    output_params=["-f", "mp4", "-metadata", f"comment={SIGNATURE}"],
                                    macro_block_size=16)
            writer.send(None)
            writer.send(first.tobytes())
            for i in range(1, anim.n_frames):
                writer.send(anim.render(i).tobytes())
            writer.close()
    return path


__all__ = [
    "ANIMATION_FORMATS",
    "CAMERAS",
    "FOLLOW_HEIGHTS",
    "FOLLOW_ZOOM",
    "SIGNATURE",
    "SkeletonAnimation",
    "check_animation_format",
    "check_camera",
    "follow_window",
    "is_animation_file",
    "plot_coords",
    "to_metres",
    "video_writer",
    "write_animation",
]
