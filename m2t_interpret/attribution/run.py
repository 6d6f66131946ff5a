"""Attribution: which body parts and frames each forced-decoded word actually depends on.

For word ``s`` of a clip's caption the explained quantity (the *target*) is its log-probability
under forced decoding of the caption (``logprob``), or the gate β̂ (``beta``) or the window centre
μ (``mu``) at that step. The methods are the entries of the table
(:data:`~m2t_interpret.attribution.table.METHODS`): :func:`attribute_caption` explains the words
of one caption by one method, :func:`attribute_capture` every word of a forced capture by several
(attention added as the method ``"attention"``), and :func:`dense_to_map` reduces a method's dense
attributions to the (frames × parts) map of the result by the method's resolution.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Sequence

import numpy as np
import torch
from tqdm.auto import tqdm

from ..data.dataset import load_split
from ..errors import M2TError
from ..skeletons import PARTS, get_skeleton
from ..tokens import SOS_ID
from .forward import CaptionBatch, WordScore, caption_rows, make_baseline
from .groups import feature_groups, part_joint_groups
from .result import AttributionResult
from .table import ATTENTION, check_baseline, check_target, get_method

if TYPE_CHECKING:
    from ..model.network import CaptionerNetwork
    from ..result import CaptureResult


def attribute_caption(model: "CaptionerNetwork", x: torch.Tensor, length: int, caption: torch.Tensor,
                      method: str = "ig", target: str = "logprob", baseline: str = "first_pose",
                      n_steps: int | None = None, joint_groups: np.ndarray | None = None, window: int | None = None,
                      stride: int | None = None, **options) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]:
    """Attribute every word of one caption at once by ``method`` (a name of the table).

    Args:
        x: (T, F) or (1, T, F) one preprocessed clip (padding beyond ``length`` allowed: only the
            clip's own ``length`` frames are read, so the result does not depend on the padding).
        caption: (L,) ids from <sos>, <pad>-padded; its W = (real length − 1) steps are explained.
        joint_groups: (J,) part of each joint for the part methods (default :func:`part_joint_groups`).
        n_steps, window, stride, options: the method's settings (None: the table's default);
            settings the method does not have are ignored.

    Returns:
        dense attributions (W, T, F) (0 on padded frames), the convergence delta (W,) of a method
        that has one or None, and the target at the input (W,).
    """
    entry = get_method(method)
    target = check_target(target)
    model.eval()
    x = torch.as_tensor(x, dtype=torch.float32, device=model.device)
    x = x[0] if x.ndim == 3 else x
    padded_frames, length = x.shape[0], int(length)
    if not 1 <= length <= padded_frames:
        raise M2TError(f"clip length {length} must lie in 1..{padded_frames} (the frames of x)")
    # Attribute the clip's own frames only: occlusion's windows (how many cover a frame near the
    # end) would otherwise depend on how far the clip is padded, i.e. on the other clips of a batch.
    x = x[:length]
    words, emb, h, h_top = caption_rows(model, caption)
    w = len(words)
    xs = x[None].expand(w, -1, -1).contiguous()
    lengths = torch.full((w,), length, dtype=torch.long, device=x.device)
    batch = CaptionBatch(
        WordScore(model, target, shared=w), xs, make_baseline(xs, lengths, baseline), (lengths, emb, h, h_top, words),
        feature_groups(part_joint_groups(model.skeleton) if joint_groups is None else joint_groups), entry,
        entry.options({"n_steps": n_steps, "window": window, "stride": stride, **options}))
    with torch.set_grad_enabled(entry.gradients):
        dense, delta = entry.resolve()(batch)
    dense = torch.nn.functional.pad(dense.detach(), (0, 0, 0, padded_frames - length))  # 0 on padded frames
    with torch.no_grad():
        at_input = batch.score(xs, *batch.args)
    model.release_workspace()
    return dense, (None if delta is None else delta.detach()), at_input.detach()


def dense_to_map(dense: torch.Tensor, method: str, groups: np.ndarray, length: int) -> np.ndarray:
    """Dense attributions (W, T, F) → the (W, T, 6) frame × part map (PARTS order), by the method's
    resolution.

    ``joint``: each part's features summed. ``part`` (every feature of a part carries the part's
    value): the part's value spread evenly over the valid frames. ``frame`` (every feature of a
    frame carries the frame's value): the frame's value spread over the parts by their share of
    features."""
    d = dense.detach().cpu().double().numpy()
    onehot = np.eye(len(PARTS))[groups]  # (F, 6)
    kind = get_method(method).resolution
    if kind == "part":
        first = np.array([np.nonzero(groups == k)[0][0] for k in range(len(PARTS))])
        value = d[:, 0, first]  # (W, 6)
        out = np.zeros((d.shape[0], d.shape[1], len(PARTS)))
        out[:, :length] = value[:, None, :] / length
        return out.astype(np.float32)
    if kind == "frame":
        share = onehot.sum(0) / len(groups)
        return (d[..., :1] * share[None, None, :]).astype(np.float32)
    return (d @ onehot).astype(np.float32)


def attention_map(capture: "CaptureResult") -> np.ndarray:
    """Γ_t·α_t,p of a (forced) capture → (N, S, T, 6) in PARTS order: attention as one more method."""

    order = list(get_skeleton(capture.skeleton).part_order)
    window = np.asarray(capture.window) * (np.arange(capture.window.shape[2])[None, :] < capture.lengths[:, None])[:, None]
    return (np.asarray(capture.alpha)[..., order] * window[..., None]).astype(np.float32)


def attribute_capture(model: "CaptionerNetwork", capture: "CaptureResult", x: torch.Tensor, lengths: torch.Tensor,
                      methods: Sequence[str] = ("ig",), target: str = "logprob", baseline: str = "first_pose",
                      n_steps: int | None = None, joint_groups: np.ndarray | None = None, window: int | None = None,
                      stride: int | None = None, progress: bool = False, clip_ids: Sequence[str] | None = None,
                      **options) -> AttributionResult:
    """Attribute every word of a forced capture's captions by each of ``methods`` (names of the
    table), with attention added as the method ``"attention"``.

    ``x`` (N, T, F) and ``lengths`` (N,) are the capture's preprocessed clips, in its order (on any
    device: each clip is moved to the model's). The settings are passed to each method that has
    them (see :func:`attribute_caption`).
    """

    entries = [get_method(m) for m in methods]
    check_target(target)
    check_baseline(baseline)
    if capture.mode != "forced" or capture.targets is None:
        raise M2TError("attribution explains the words of given captions: use a forced capture (--decode forced)")
    n, s = capture.step_mask.shape
    t = int(capture.window.shape[2])
    groups = feature_groups(part_joint_groups(model.skeleton) if joint_groups is None else joint_groups)
    settings = {"n_steps": n_steps, "window": window, "stride": stride, **options}
    maps = {m.name: np.zeros((n, s, t, len(PARTS)), np.float32) for m in entries}
    deltas = {m.name: np.full((n, s), np.nan, np.float32) for m in entries if m.convergence_delta}
    scores = np.full((n, s), np.nan, np.float32)
    bar = tqdm(total=n * len(entries), desc="attributing", unit="clip", disable=not progress, leave=False)
    try:
        for i in range(n):
            steps = np.nonzero(capture.step_mask[i])[0]
            caption = torch.as_tensor(np.concatenate([[SOS_ID], capture.targets[i, steps]]), dtype=torch.long,
                                      device=model.device)
            length = int(lengths[i])
            for m in entries:
                dense, delta, at_input = attribute_caption(model, x[i, :t], length, caption, m, target, baseline,
                                                           joint_groups=joint_groups, **settings)
                mapped = dense_to_map(dense, m.name, groups, length)
                # x may be padded to fewer frames than the capture (a shard's clips, padded among themselves):
                # the frames past it are padding, zero in every map
                maps[m.name][i, steps, :mapped.shape[1]] = mapped
                if delta is not None and m.name in deltas:
                    deltas[m.name][i, steps] = delta.cpu().numpy()
                scores[i, steps] = at_input.cpu().numpy()
                bar.update(1)
    finally:
        bar.close()
    maps = {ATTENTION: attention_map(capture), **maps}
    meta = {"model": capture.meta.get("model"), "model_fingerprint": capture.meta.get("model_fingerprint"),
            "data_fingerprint": capture.meta.get("data_fingerprint"), "baseline": baseline, "target": target,
            "n_steps": get_method("ig").options(settings)["n_steps"],
            "occlusion": get_method("occlusion").options(settings),
            "options": {m.name: m.options(settings) for m in entries},
            "joint_groups": [int(g) for g in (groups[::3])]}
    return AttributionResult(list(clip_ids or capture.clip_ids), np.asarray(capture.targets), np.asarray(capture.step_mask),
                             np.asarray(capture.lengths), capture.vocab, capture.fps, capture.downsample, target,
                             maps, deltas, scores, meta)


def capture_inputs(model: "CaptionerNetwork", capture: "CaptureResult", root: str | os.PathLike,
                   split: str) -> tuple[torch.Tensor, torch.Tensor]:
    """The preprocessed clips (N, T, F) and lengths (N,) of a capture of ``split`` of ``root``, in the
    capture's clip order."""

    data = load_split(root, split, skeleton=model.skeleton, progress=False, ids=list(capture.clip_ids))
    by_id = {cid: s.motion for cid, s in zip(data.ids, data)}
    missing = [c for c in capture.clip_ids if c not in by_id]
    if missing:
        raise M2TError(f"clip(s) {', '.join(missing[:3])} of the capture are not in split {split} of {root}")
    x, lengths = model.preprocess([by_id[c] for c in capture.clip_ids])
    if not torch.equal(lengths.cpu(), torch.as_tensor(np.asarray(capture.lengths), dtype=torch.long)):
        raise M2TError("the data's clip lengths differ from the capture's; capture again")
    return x, lengths


__all__ = ["attribute_caption", "dense_to_map", "attention_map", "attribute_capture", "capture_inputs"]
