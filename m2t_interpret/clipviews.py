"""Views of individual clips: an animation of one clip, the explorer page of a few.

Both start from :func:`open_clips` — the model, the named clips decoded (only those), their
joints and their token table with the ground truth attached when the data has it::

    from m2t_interpret import clipviews
    view = clipviews.open_clips(clips=["000003"])
    anim = clipviews.clip_animation(view, "000003", word="waves")
    anim.render(10)                       # (H, W, 3) uint8
    clipviews.write_animation(anim, "waves.gif")
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable, Sequence

import pandas as pd

from . import analysis as A
from .analysis.joint_weights import joint_weights
from .capture.clips import ClipCapture, capture_clips, resolve_clip_ids
from .plotting.animation import SkeletonAnimation, write_animation
from .reports import HELDOUT_SEED, resolve_analysis_data


@dataclass
class ClipView:
    """The model, the decoded clips with their joints, and their token table."""

    model: object
    clips: ClipCapture
    table: pd.DataFrame

    @property
    def capture(self):
        return self.clips.capture


def open_clips(model=None, data: str | os.PathLike = "synthetic", split: str = "test",
               clips: Sequence[str] | None = None, decode: str = "greedy", seed: int = HELDOUT_SEED,
               vocab=None, stats=None, device: str = "cpu", default: int = 1, progress: bool = False,
               log: Callable[[str], None] | None = None) -> ClipView:
    """Decode the clips named by id or index (default: the split's first ``default``) of ``split``
    of ``data`` (``"synthetic"``: the held-out corpus of ``seed``). An unknown clip fails before the
    model loads."""
    from .capture.dataset import parse_decode
    from .model.checkpoints import load_model, resolve_device

    parse_decode(decode)
    root = resolve_analysis_data(data, seed, progress=progress, log=log)
    ids = resolve_clip_ids(root, split, clips, default=default)
    captioner = model if hasattr(model, "fingerprint") else \
        load_model(model, vocab=vocab, stats=stats).to(resolve_device(device))
    cc = capture_clips(captioner, root, split, ids, decode=decode, progress=progress)
    return ClipView(captioner, cc, A.token_table(cc.capture, root))


def caption_words(table: pd.DataFrame, clip_id: str) -> list[tuple[int, str]]:
    """(step, word) of a clip's caption, special tokens left out."""
    rows = table[(table["clip_id"] == clip_id) & ~table["is_special"].astype(bool)]
    return [(int(s), str(w)) for s, w in zip(rows["step"], rows["word"])]


def clip_animation(view: ClipView, clip: int | str, word: str | None = None) -> SkeletonAnimation:
    """The animation of one clip of ``view``: the current word's α·Γ on the joints (``word`` only,
    or at each frame the motion word whose Γ is highest)."""
    cap = view.capture
    n = cap.clip_index(clip)
    cid = cap.clip_ids[n]
    weights = joint_weights(cap, view.table, n, word)
    title = f"{cid} · {getattr(view.model, 'name', None) or cap.meta.get('model') or 'model'}"
    return SkeletonAnimation(view.clips.joints[n], weights, cap.skeleton, caption_words(view.table, cid),
                             fps=cap.fps, downsample=cap.downsample, title=title)


__all__ = ["ClipView", "open_clips", "caption_words", "clip_animation", "write_animation"]
