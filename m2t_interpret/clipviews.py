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

import dataclasses
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from . import analysis as A
from .analysis.joint_weights import joint_weights
from .analysis.maps import attention_map
from .capture.clips import ClipCapture, capture_clips, capture_motion_files, is_motion_file, resolve_clip_ids
from .capture.dataset import parse_decode
from .errors import M2TError
from .plotting.animation import SkeletonAnimation, plot_coords, to_metres, write_animation
from .plotting.explorer import write_explorer
from .plotting.style import PART_COLORS
from .session import AnalysisSettings, Log
from .skeletons import PARTS, get_skeleton, joint_part_indices, part_label


@dataclass
class ClipView:
    """The model, the decoded clips with their joints, and their token table."""

    model: object
    clips: ClipCapture
    table: pd.DataFrame

    @property
    def capture(self):
        return self.clips.capture


def open_clips(settings: AnalysisSettings | object = None, /, *, clips: Sequence[str] | None = None,
               default: int | None = None, log: Log | None = None, **options) -> ClipView:
    """Decode the clips named by id or index in ``clips`` of the settings' split and data
    (``"synthetic"``: the held-out corpus of its seed) — or, when every one names a motion file
    (``.bvh`` or ``.npy``), those files; without ``clips``, the split's first
    ``default`` (or the settings' ``clips``, else 1). An unknown clip fails before the model loads.

    ``settings``: an :class:`~m2t_interpret.session.AnalysisSettings`, or the model; ``options``:
    any of its fields (``progress`` is off unless given). Here ``clips`` names clips; the settings'
    own ``clips`` is a count, as everywhere."""
    if not isinstance(settings, AnalysisSettings):
        options = {"progress": False, **options}  # a page or an animation: no bars unless asked for
    s = AnalysisSettings.of(settings, **options)
    if clips and all(is_motion_file(str(c)) for c in clips):  # your own motion: .bvh or .npy files
        captioner = s.load_model()
        cc = capture_motion_files(captioner, [str(c) for c in clips], decode=s.decode)
        return ClipView(captioner, cc, A.token_table(cc.capture, None))
    if default is not None:
        s = dataclasses.replace(s, clips=default)
    parse_decode(s.decode)
    root = s.resolve_data(log)
    ids = resolve_clip_ids(root, s.split, clips, default=s.clips or 1)
    captioner = s.load_model()
    cc = capture_clips(captioner, root, s.split, ids, decode=s.decode, progress=s.progress)
    return ClipView(captioner, cc, A.token_table(cc.capture, root))


def caption_words(table: pd.DataFrame, clip_id: str) -> list[tuple[int, str]]:
    """(step, word) of a clip's caption, special tokens left out."""
    rows = table[(table["clip_id"] == clip_id) & ~table["is_special"].astype(bool)]
    return [(int(s), str(w)) for s, w in zip(rows["step"], rows["word"])]


def clip_animation(view: ClipView, clip: int | str, word: str | None = None,
                   camera: str = "follow") -> SkeletonAnimation:
    """The animation of one clip of ``view``: the current word's α·Γ on the joints (``word`` only,
    or at each frame the motion word whose Γ is highest); ``camera`` follow (a window the body's
    size centred on the pelvis) or fixed (the whole path in view)."""
    cap = view.capture
    n = cap.clip_index(clip)
    cid = cap.clip_ids[n]
    weights = joint_weights(cap, view.table, n, word)
    title = f"{cid} · {getattr(view.model, 'name', None) or cap.meta.get('model') or 'model'}"
    return SkeletonAnimation(view.clips.joints[n], weights, cap.skeleton, caption_words(view.table, cid),
                             fps=cap.fps, downsample=cap.downsample, title=title, camera=camera)


# ---------------------------------------------------------------------------------------------
# the explorer page
# ---------------------------------------------------------------------------------------------

#: Attribution methods the page offers (per-part ones; "none" leaves the bars out).
EXPLORER_ATTRIBUTION = ("ablation", "saliency", "ig", "shapley", "none")


def explorer_attribution(view: ClipView, method: str = "ablation"):
    """Per-word attribution of the view's captions by ``method`` (an
    :class:`~m2t_interpret.attribution.result.AttributionResult`).

    The captions are the model's own, so they are explained as a forced decoding of themselves: fed
    back token by token they reproduce the decoding exactly (the decoder's input at each step is the
    word it chose), which is what attribution needs."""
    from .attribution.run import attribute_capture, capture_inputs  # loads torch: only for the page's bars

    cap = view.capture
    forced = cap if cap.mode == "forced" else dataclasses.replace(
        cap, mode="forced", targets=np.where(cap.step_mask, np.asarray(cap.tokens), 0))
    x, lengths = view.clips.inputs or capture_inputs(view.model, forced, view.clips.root, view.clips.split)
    return attribute_capture(view.model, forced, x, lengths, methods=(method,))


def _share(v: np.ndarray) -> list[float]:
    a = np.abs(np.asarray(v, dtype=np.float64))
    total = a.sum()
    return [round(float(x), 4) for x in (a / total if total > 0 else a)]


def _true(x) -> bool:
    """True only for a set flag (True or 1.0); NaN, None, False and 0 are not."""
    try:
        return bool(pd.notna(x) and bool(x))
    except (TypeError, ValueError):
        return False


def _r(a, nd: int = 4):
    return np.round(np.asarray(a, dtype=np.float64), nd).tolist()


def explorer_payload(view: ClipView, attribution=None, method: str = "ablation") -> dict:
    """The explorer page's data: per clip its joints (model frames, z up), bones, caption and, per
    word, β̂, Γ (T,), the part × frame map α·Γ (6, T) in part order, its share per part beside the
    attribution's share per part (|attribution| normalised) and the true segment and parts when known."""
    cap = view.capture
    sk = get_skeleton(cap.skeleton)
    jp = joint_part_indices(sk)
    attr_parts = None if attribution is None else attribution.parts(method)
    clips = []
    for n, cid in enumerate(cap.clip_ids):
        t = int(cap.lengths[n])
        xyz = plot_coords(to_metres(view.clips.joints[n]))
        floor = float(xyz[..., 2].min())
        lo, hi = xyz.reshape(-1, 3).min(0), xyz.reshape(-1, 3).max(0)
        centre, half = (lo + hi) / 2, float((hi - lo).max()) / 2 + 0.1
        rows = view.table[(view.table["clip_id"] == cid) & ~view.table["is_special"].astype(bool)]
        amap = attention_map(cap, n, rows["step"].tolist())
        words = []
        for r in rows.itertuples(index=False):
            m = amap[amap["step"] == r.step]
            grid = m.pivot(index="part", columns="frame", values="value").reindex(index=list(PARTS)).to_numpy(float)
            aligned = _true(getattr(r, "gt_aligned", False))
            true_parts = [p for p in PARTS if aligned and _true(getattr(r, f"active_{p}", False))]
            words.append({
                "step": int(r.step), "word": str(r.word), "beta": round(float(r.beta), 4),
                "motion": _true(r.motion), "mu_s": round(float(r.mu_s), 3),
                "window": _r(cap.window[n, r.step, :t]), "map": _r(grid),
                "attention_parts": _share(grid.sum(1)),
                "attribution_parts": None if attr_parts is None else _share(attr_parts[n, r.step]),
                "true_segment": [round(float(r.gt_start_s), 3), round(float(r.gt_end_s), 3)] if aligned else None,
                "true_parts": [part_label(p) for p in true_parts]})
        motion = [k for k, w in enumerate(words) if w["motion"]]
        refs = cap.references[n] if cap.references is not None else []
        clips.append({
            "id": cid, "caption": cap.captions[n], "reference": refs[0] if refs else "",
            "fps": cap.fps / cap.downsample, "time_s": _r(cap.model_frame_to_seconds(np.arange(t)), 3),
            "joints": _r(xyz, 3), "ranges": [[float(c - half), float(c + half)] for c in centre[:2]]
            + [[floor, floor + 2 * half]],
            "root_path": [_r(xyz[:, 0, 0], 3), _r(xyz[:, 0, 1], 3), [floor] * t],
            "bones": [[int(p), int(j)] for j, p in enumerate(sk.parents) if p >= 0],
            "bone_colors": [PART_COLORS[PARTS[jp[j]]] for j, p in enumerate(sk.parents) if p >= 0],
            "joint_names": list(sk.joint_names), "joint_part": [int(k) for k in jp],
            "vmax": max((max(max(row) for row in w["map"]) for w in words), default=1.0) or 1.0,
            "words": words, "default_word": motion[0] if motion else 0,
            "has_truth": bool(view.table["gt_aligned"].any()) if "gt_aligned" in view.table else False})
    label = "none" if attribution is None else f"attribution |{method}| ({attribution.target})"
    return {"clips": clips, "attribution_label": label, "model": str(cap.meta.get("model") or "model")}


def write_explorer_page(view: ClipView, path: str | os.PathLike, method: str = "ablation") -> Path:
    """Attribute (unless ``method`` is "none"), build the payload and write the page."""
    if method not in EXPLORER_ATTRIBUTION:
        raise M2TError(f"unknown attribution method {method!r} for the explorer; use one of "
                       + ", ".join(EXPLORER_ATTRIBUTION))
    attribution = None if method == "none" else explorer_attribution(view, method)
    payload = explorer_payload(view, attribution, method)
    return write_explorer(payload, path, title=f"m2t-interpret explorer · {payload['model']}")


__all__ = [
    "EXPLORER_ATTRIBUTION",
    "ClipView",
    "caption_words",
    "clip_animation",
    "explorer_attribution",
    "explorer_payload",
    "open_clips",
    "write_animation",
    "write_explorer_page",
]
