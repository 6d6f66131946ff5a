"""Skeleton stills of synthetic clips (matplotlib), used for docs/images/synthetic_stills.png."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np

from ...io import atomic_path
from ...skeletons import PART_COLORS, joint_parts
from .clip import SyntheticClip, generate_clip
from .kinematics import PARENTS


def _project(joints: np.ndarray, yaw_deg: float = 55.0) -> tuple[np.ndarray, np.ndarray]:
    """Oblique view from in front of the subject (its left on the viewer's right)."""
    a = np.deg2rad(yaw_deg)
    u = joints[..., 0] * np.cos(a) + joints[..., 2] * np.sin(a)
    return u, joints[..., 1]


def plot_stills(clips: Sequence[SyntheticClip], path: str | os.PathLike, n_stills: int = 6,
                dpi: int = 110) -> Path:
    """One row per clip: ``n_stills`` evenly spaced frames, titled with the first caption.

    Each bone has the colour of its body part (the figures' part colours); a thin line marks the
    floor (y = 0).
    """
    from matplotlib.figure import Figure  # no pyplot: the global backend stays as the user set it

    fig = Figure(figsize=(2.0 * n_stills, 2.6 * len(clips)))
    axes = fig.subplots(len(clips), 1, squeeze=False)
    bone_colors = [PART_COLORS[p] for p in joint_parts("humanml3d")]
    for ax, clip in zip(axes[:, 0], clips):
        T = clip.n_frames
        frames = np.linspace(0, T - 1, n_stills).round().astype(int)
        for k, f in enumerate(frames):
            u, y = _project(clip.joints[f].astype(np.float64))
            u = u - u[0] + 1.3 * k  # each still in its own slot
            for j in range(1, 22):
                p = PARENTS[j]
                ax.plot([u[p], u[j]], [y[p], y[j]], color=bone_colors[j], lw=2, solid_capstyle="round")
            ax.plot(u[15], y[15], "o", color=bone_colors[15], ms=6)
            ax.text(1.3 * k, -0.12, f"t={f / 20:.1f}s", ha="center", va="top", fontsize=8)
        ax.axhline(0.0, color="0.6", lw=0.8)
        ax.set_xlim(-0.7, 1.3 * (n_stills - 1) + 0.7)
        ax.set_ylim(-0.25, 2.2)
        ax.set_aspect("equal")
        ax.axis("off")
        acts = ", ".join(f"{a.action} [{a.start_s:.1f}–{a.end_s:.1f} s]" for a in clip.actions)
        ax.set_title(f"“{clip.captions[0].text}”\n{acts}", fontsize=9)
    fig.tight_layout()
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, format=path.suffix.lstrip(".") or "png")
    return path


#: The clips drawn in docs/images/synthetic_stills.png (action sequence, seed).
DOCS_CLIPS: tuple[tuple[tuple[str, ...], int], ...] = (
    (("walk_forward", "turn_around"), 1),
    (("wave_right", "kick_left"), 2),
    (("jump", "bend_forward"), 3),
    (("throw_right", "squat", "kneel"), 4),
    (("clap", "raise_both_arms", "sit_down"), 5),
)


def make_docs_figure(path: str | os.PathLike = "docs/images/synthetic_stills.png") -> Path:
    """Regenerate the stills figure of docs/data.md.

    ``python -m m2t_interpret.data.synthetic.plot [PATH]``
    """
    clips = [generate_clip(seed, actions=list(acts)) for acts, seed in DOCS_CLIPS]
    return plot_stills(clips, path, n_stills=7)


if __name__ == "__main__":  # pragma: no cover
    import sys

    print(make_docs_figure(*sys.argv[1:]))
