"""Attribution: which body parts and frames each forced-decoded word actually depends on, by captum.

For word ``s`` of a clip's caption the explained quantity (the *target*) is its log-probability
under forced decoding of the caption (``logprob``), or the gate β̂ (``beta``) or the window centre
μ (``mu``) at that step. Methods (captum): Integrated Gradients (``ig``), ``saliency`` (|∂f/∂x|),
Input × Gradient (``ixg``), FeatureAblation (``ablation``) and exact Shapley values (``shapley``)
over the six body parts, and Occlusion over time windows (``occlusion``).

The words of one caption are one captum call: the clip is repeated once per word along the batch
axis (captum expands that axis again for its integration steps or perturbations), and each row's
decoder states at its own step ride along as additional forward arguments. Gradients go through
the model's ordinary differentiable computation (encoding and :meth:`CaptionerNetwork.attend`);
the fused step is inference-only and never used. Padded frames are replaced by a constant inside
the forward function, so every method gives them exactly 0.

**Parts.** A perturbation method perturbs each part's joints at every frame together (its
``feature_mask``). The HumanML3D pelvis (joint 0) feeds both the root and the torso encoders (the
released weights read it twice); it belongs to the **root** group, which would otherwise be empty,
so removing the root removes the pelvis from the torso's input as well.
"""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Mapping, Sequence

import numpy as np
import torch

from ..errors import M2TError
from ..skeletons import PARTS, Skeleton, joint_part_indices
from ..tokens import PAD_ID, SOS_ID
from .attribution_result import ATTENTION, AttributionResult

if TYPE_CHECKING:
    from ..model.network import CaptionerNetwork
    from ..result import CaptureResult

#: Method name → captum class name.
METHODS: dict[str, str] = {"ig": "IntegratedGradients", "saliency": "Saliency", "ixg": "InputXGradient",
                           "ablation": "FeatureAblation", "shapley": "ShapleyValues", "occlusion": "Occlusion"}
TARGETS = ("logprob", "beta", "mu")
BASELINES = ("first_pose", "mean_pose", "zeros")
#: What each method resolves: gradient methods both, part perturbations parts, occlusion frames.
RESOLUTION: dict[str, tuple[str, ...]] = {"ig": ("parts", "frames"), "saliency": ("parts", "frames"),
                                          "ixg": ("parts", "frames"), "ablation": ("parts",),
                                          "shapley": ("parts",), "occlusion": ("frames",),
                                          ATTENTION: ("parts", "frames")}
#: Rows per forward call of a gradient method (bounds memory: each row holds a whole clip's encoding).
GRAD_ROWS = 128
#: Permutation steps per lookup of the coalition table (captum's perturbations_per_eval): fewer,
#: larger calls, since each lookup costs little but has a fixed overhead.
SHAPLEY_BATCH = 240


def check_method(method: str) -> str:
    m = str(method).strip().lower()
    if m not in METHODS:
        raise M2TError(f"unknown attribution method {method!r}; use one of {', '.join(METHODS)}")
    return m


def check_target(target: str) -> str:
    t = str(target).strip().lower()
    if t not in TARGETS:
        raise M2TError(f"unknown attribution target {target!r}; use one of {', '.join(TARGETS)}")
    return t


def check_baseline(baseline: str) -> str:
    b = str(baseline).strip().lower().replace("-", "_")
    if b not in BASELINES:
        raise M2TError(f"unknown baseline {baseline!r}; use one of {', '.join(BASELINES)}")
    return b


# ---------------------------------------------------------------------------------------------
# body-part groups of the input features
# ---------------------------------------------------------------------------------------------

def part_joint_groups(skeleton: Skeleton) -> np.ndarray:
    """(J,) the group of each joint, indices into :data:`PARTS`: its part as the encoders read it
    (:func:`~m2t_interpret.skeletons.joint_part_indices`; the pelvis is the root's)."""
    return np.asarray(joint_part_indices(skeleton), dtype=np.int64)


def joint_groups_from_mapping(mapping: Mapping[str, Sequence], skeleton: Skeleton) -> np.ndarray:
    """A user's part → joints mapping (joint indices or names) → (J,) group per joint; M2TError
    unless every joint lies in exactly one of the six parts."""
    unknown = sorted(set(mapping) - set(PARTS))
    if unknown:
        raise M2TError(f"feature mask names unknown part(s) {', '.join(unknown)}; parts are {', '.join(PARTS)}")
    group = np.full(skeleton.n_joints, -1, dtype=np.int64)
    for k, part in enumerate(PARTS):
        for j in mapping.get(part, ()):
            try:
                idx = skeleton.joint_index(j) if isinstance(j, str) else int(j)
            except (ValueError, TypeError):
                raise M2TError(f"feature mask: {j!r} is not a joint of the {skeleton.name} skeleton") from None
            if not 0 <= idx < skeleton.n_joints:
                raise M2TError(f"feature mask: joint {idx} does not exist (the {skeleton.name} skeleton has "
                               f"{skeleton.n_joints} joints)")
            if group[idx] >= 0:
                raise M2TError(f"feature mask puts joint {skeleton.joint_names[idx]} in both {PARTS[group[idx]]} "
                               f"and {part}; give each joint one part")
            group[idx] = k
    missing = [skeleton.joint_names[j] for j in np.nonzero(group < 0)[0]]
    if missing:
        raise M2TError(f"feature mask does not cover every joint: {', '.join(missing)} in no part; part "
                       "perturbations need each of the "
                       f"{skeleton.n_joints} joints in one part")
    return group


def read_feature_mask(path: str | os.PathLike, skeleton: Skeleton) -> np.ndarray:
    """A feature-mask JSON file ``{"root": [0], "torso": [3, 6, …], …}`` → (J,) group per joint."""
    try:
        mapping = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise M2TError(f"feature mask file not found: {path}") from None
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise M2TError(f"cannot read the feature mask {path}: {exc}") from None
    if not isinstance(mapping, dict):
        raise M2TError(f"feature mask {path} must be a JSON object mapping part names to joint lists")
    return joint_groups_from_mapping(mapping, skeleton)


def feature_groups(joint_groups: np.ndarray) -> np.ndarray:
    """(J,) joint groups → (J·3,) group of each input feature (x, y, z of each joint)."""
    return np.repeat(np.asarray(joint_groups, dtype=np.int64), 3)


# ---------------------------------------------------------------------------------------------
# baselines and the forward function
# ---------------------------------------------------------------------------------------------

def make_baseline(x: torch.Tensor, lengths: torch.Tensor, kind: str = "first_pose") -> torch.Tensor:
    """The reference input of ``x`` (N, T, F): the clip's first pose held still (``first_pose``),
    its mean pose over valid frames held still (``mean_pose``) or ``zeros``; (N, T, F)."""
    kind = check_baseline(kind)
    if kind == "zeros":
        return torch.zeros_like(x)
    if kind == "first_pose":
        return x[:, :1].expand_as(x).clone()
    mask = (torch.arange(x.shape[1], device=x.device)[None, :] < lengths[:, None]).to(x.dtype)
    mean = (x * mask[..., None]).sum(1, keepdim=True) / mask.sum(1)[:, None, None]
    return mean.expand_as(x).clone()


class WordScore(torch.nn.Module):
    """captum's forward function: model input rows (B, T, F) → the target of each row's word (B,).

    Additional (batch-first, so captum can expand them) arguments: ``lengths`` (B,) valid frames,
    the decoder's word embedding, bottom and top states at the row's step (B, E), (B, H), (B, H)
    and the row's word ``words`` (B,). The decoder states depend on the caption only, never on the
    motion, so they are computed once per caption.
    """

    def __init__(self, model: "CaptionerNetwork", target: str = "logprob", shared: int = 1):
        super().__init__()
        self.model, self.target, self.shared = model, check_target(target), int(shared)

    def forward(self, x, lengths, emb, h, h_top, words) -> torch.Tensor:
        valid = torch.arange(x.shape[1], device=x.device)[None, :, None] < lengths[:, None, None]
        x = torch.where(valid, x, torch.zeros((), dtype=x.dtype, device=x.device))
        enc = self._encode(x, lengths)
        out = self.model.attend(enc, emb[:, None], h[:, None], h_top[:, None])
        if self.target == "beta":
            return out.beta[:, 0]
        if self.target == "mu":
            return out.temporal.mu[:, 0]
        logp = torch.log_softmax(out.logits[:, 0].float(), -1)
        return logp.gather(1, words[:, None].long())[:, 0]

    def _encode(self, x: torch.Tensor, lengths: torch.Tensor):
        """The encoding of each row. Without gradients, the rows of a caption come in blocks of
        ``shared`` identical inputs (one per word: a perturbation changes the clip, not the word),
        so each block is encoded once — most of a forward's cost — and its encoding repeated."""
        k = self.shared
        if k > 1 and not torch.is_grad_enabled() and x.shape[0] % k == 0:
            blocks = x.view(-1, k, *x.shape[1:])
            if torch.equal(blocks, blocks[:, :1].expand_as(blocks)):
                enc = self.model.encode(blocks[:, 0], lengths[::k])
                rows = torch.arange(blocks.shape[0], device=x.device).repeat_interleave(k)
                return enc.index_select(rows)
        return self.model.encode(x, lengths)


def caption_rows(model: "CaptionerNetwork", caption: torch.Tensor):
    """A caption's ids (L,) from <sos> → the words it predicts (W,) and the decoder's embedding,
    bottom and top states at each of those steps: (W, E), (W, H), (W, H)."""
    caption = torch.as_tensor(caption, dtype=torch.long, device=model.device)
    caption = caption[: int((caption != PAD_ID).sum())]
    if caption.numel() < 2 or int(caption[0]) != SOS_ID:
        raise M2TError("attribution needs a caption of at least one word after <sos>")
    with torch.no_grad():
        emb, h, h_top, _ = model.decoder.states(caption[None, :-1])
    return caption[1:], emb[0], h[0], h_top[0]


class _CoalitionGame:
    """Exact Shapley values in 2⁶ model evaluations per word: the target of every coalition of parts
    (present parts from the input, absent ones from the baseline) is computed once, in one batch.
    captum's :class:`ShapleyValues` then walks its n·n! permutations over this table, played on a
    (W, 6) presence vector instead of the clip: the value of a coalition does not depend on how it
    is written down, and building 4,320 perturbed copies of a (W, T, F) clip per caption was where
    the time went."""

    def __init__(self, score: WordScore, x, baseline, groups: np.ndarray, args: tuple, rows: int):
        self.n = x.shape[0]
        members = [torch.as_tensor(np.nonzero(groups == k)[0], device=x.device) for k in range(len(PARTS))]
        coalitions = list(itertools.product((0, 1), repeat=len(PARTS)))  # index = Σ present_k 2^(5−k)
        inputs = []
        for c in coalitions:
            keep = torch.zeros(x.shape[-1], dtype=torch.bool, device=x.device)
            for k, present in enumerate(c):
                if present:
                    keep[members[k]] = True
            inputs.append(torch.where(keep, x, baseline))
        flat = torch.cat(inputs)
        expanded = [torch.cat([a] * len(coalitions)) for a in args]
        with torch.no_grad():
            values = torch.cat([score(flat[i:i + rows], *(a[i:i + rows] for a in expanded))
                                for i in range(0, flat.shape[0], rows)])
        self.table = values.view(len(coalitions), self.n)  # (64, W)
        self.weights = torch.tensor([2 ** (len(PARTS) - 1 - k) for k in range(len(PARTS))], device=x.device)

    def players(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Every part present (W, 6) and every part absent (W, 6): the game's input and baseline."""
        ones = torch.ones(self.n, len(PARTS), device=self.table.device)
        return ones, torch.zeros_like(ones)

    def __call__(self, present: torch.Tensor) -> torch.Tensor:
        word = torch.arange(present.shape[0], device=present.device) % self.n
        return self.table[((present > 0.5).long() * self.weights).sum(1), word]


def attribute_caption(model: "CaptionerNetwork", x: torch.Tensor, length: int, caption: torch.Tensor,
                      method: str = "ig", target: str = "logprob", baseline: str = "first_pose",
                      n_steps: int = 32, joint_groups: np.ndarray | None = None, window: int = 4, stride: int = 2,
                      ) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]:
    """Attribute every word of one caption at once.

    Args:
        x: (T, F) or (1, T, F) one preprocessed clip (padding beyond ``length`` allowed: only the
            clip's own ``length`` frames are read, so the result does not depend on the padding).
        caption: (L,) ids from <sos>, <pad>-padded; its W = (real length − 1) steps are explained.
        joint_groups: (J,) part of each joint for ``ablation``/``shapley`` (default
            :func:`part_joint_groups`).
        window, stride: Occlusion's time window and stride, model frames.

    Returns:
        dense attributions (W, T, F) (0 on padded frames), the IG convergence delta (W,) or None,
        and the target at the input (W,).
    """
    from captum import attr as captum_attr

    method, target = check_method(method), check_target(target)
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
    lengths = torch.full((w,), int(length), dtype=torch.long, device=x.device)
    base = make_baseline(xs, lengths, baseline)
    score = WordScore(model, target, shared=w)
    args = (lengths, emb, h, h_top, words)
    groups = feature_groups(part_joint_groups(model.skeleton) if joint_groups is None else joint_groups)
    delta = None
    if method in ("ig", "saliency", "ixg"):
        with torch.enable_grad():
            if method == "ig":
                ig = captum_attr.IntegratedGradients(score)
                dense, delta = ig.attribute(xs, baselines=base, additional_forward_args=args, n_steps=n_steps,
                                            internal_batch_size=max(GRAD_ROWS, w), return_convergence_delta=True)
            else:
                cls = captum_attr.Saliency if method == "saliency" else captum_attr.InputXGradient
                dense = cls(score).attribute(xs.requires_grad_(), additional_forward_args=args)
    else:
        with torch.no_grad():
            if method == "occlusion":
                dense = captum_attr.Occlusion(score).attribute(
                    xs, sliding_window_shapes=(min(window, x.shape[0]), x.shape[1]), strides=(stride, x.shape[1]),
                    baselines=base, additional_forward_args=args, perturbations_per_eval=8)
            else:
                mask = torch.as_tensor(groups, device=x.device)[None, None, :]
                if method == "ablation":
                    dense = captum_attr.FeatureAblation(score).attribute(
                        xs, baselines=base, feature_mask=mask, additional_forward_args=args,
                        perturbations_per_eval=len(PARTS))
                else:
                    # Whole coalitions per chunk, so the score encodes each coalition's clip once.
                    game = _CoalitionGame(score, xs, base, groups, args, w * max(1, GRAD_ROWS // w))
                    present, absent = game.players()
                    phi = captum_attr.ShapleyValues(game).attribute(
                        present, baselines=absent, feature_mask=torch.arange(len(PARTS), device=x.device)[None],
                        perturbations_per_eval=SHAPLEY_BATCH)  # (W, 6)
                    # captum gives each feature of a group the group's value; so does this.
                    dense = phi[:, torch.as_tensor(groups, device=x.device)][:, None, :].expand_as(xs)
    dense = torch.nn.functional.pad(dense.detach(), (0, 0, 0, padded_frames - length))  # 0 on padded frames
    with torch.no_grad():
        at_input = score(xs, *args)
    model.release_workspace()
    return dense, (None if delta is None else delta.detach().abs()), at_input.detach()


def dense_to_map(dense: torch.Tensor, method: str, groups: np.ndarray, length: int) -> np.ndarray:
    """Dense attributions (W, T, F) → the (W, T, 6) frame × part map (PARTS order).

    Gradient methods sum each part's features. A part perturbation gives every feature of the part
    the part's value: the part's value is spread evenly over the valid frames. Occlusion gives every
    feature of a frame the frame's value: it is spread over the parts by their share of features."""
    d = dense.detach().cpu().double().numpy()
    onehot = np.eye(len(PARTS))[groups]  # (F, 6)
    if method in ("ablation", "shapley"):
        first = np.array([np.nonzero(groups == k)[0][0] for k in range(len(PARTS))])
        value = d[:, 0, first]  # (W, 6)
        out = np.zeros((d.shape[0], d.shape[1], len(PARTS)))
        out[:, :length] = value[:, None, :] / length
        return out.astype(np.float32)
    if method == "occlusion":
        share = onehot.sum(0) / len(groups)
        return (d[..., :1] * share[None, None, :]).astype(np.float32)
    return (d @ onehot).astype(np.float32)


def attention_map(capture: "CaptureResult") -> np.ndarray:
    """Γ_t·α_t,p of a (forced) capture → (N, S, T, 6) in PARTS order: attention as one more method."""
    from ..skeletons import get_skeleton

    order = list(get_skeleton(capture.skeleton).part_order)
    window = np.asarray(capture.window) * (np.arange(capture.window.shape[2])[None, :] < capture.lengths[:, None])[:, None]
    return (np.asarray(capture.alpha)[..., order] * window[..., None]).astype(np.float32)


def attribute_capture(model: "CaptionerNetwork", capture: "CaptureResult", x: torch.Tensor, lengths: torch.Tensor,
                      methods: Sequence[str] = ("ig",), target: str = "logprob", baseline: str = "first_pose",
                      n_steps: int = 32, joint_groups: np.ndarray | None = None, window: int = 4, stride: int = 2,
                      progress: bool = False, clip_ids: Sequence[str] | None = None) -> AttributionResult:
    """Attribute every word of a forced capture's captions by each of ``methods``, with attention
    added as the method ``"attention"``.

    ``x`` (N, T, F) and ``lengths`` (N,) are the capture's preprocessed clips, in its order.
    """
    from tqdm.auto import tqdm

    methods = [check_method(m) for m in methods]
    check_target(target)
    check_baseline(baseline)
    if capture.mode != "forced" or capture.targets is None:
        raise M2TError("attribution explains the words of given captions: use a forced capture (--decode forced)")
    n, s = capture.step_mask.shape
    t = int(capture.window.shape[2])
    groups = feature_groups(part_joint_groups(model.skeleton) if joint_groups is None else joint_groups)
    maps = {m: np.zeros((n, s, t, len(PARTS)), np.float32) for m in methods}
    deltas = {m: np.full((n, s), np.nan, np.float32) for m in methods if m == "ig"}
    scores = np.full((n, s), np.nan, np.float32)
    bar = tqdm(total=n * len(methods), desc="attributing", unit="clip", disable=not progress, leave=False)
    try:
        for i in range(n):
            steps = np.nonzero(capture.step_mask[i])[0]
            caption = torch.as_tensor(np.concatenate([[SOS_ID], capture.targets[i, steps]]), dtype=torch.long)
            length = int(lengths[i])
            for m in methods:
                dense, delta, at_input = attribute_caption(
                    model, x[i, :t], length, caption, m, target, baseline, n_steps,
                    None if joint_groups is None else joint_groups, window, stride)
                maps[m][i, steps] = dense_to_map(dense, m, groups, length)
                if delta is not None:
                    deltas[m][i, steps] = delta.cpu().numpy()
                scores[i, steps] = at_input.cpu().numpy()
                bar.update(1)
    finally:
        bar.close()
    maps = {ATTENTION: attention_map(capture), **maps}
    meta = {"model": capture.meta.get("model"), "model_fingerprint": capture.meta.get("model_fingerprint"),
            "data_fingerprint": capture.meta.get("data_fingerprint"), "baseline": baseline, "n_steps": n_steps,
            "occlusion": {"window": window, "stride": stride}, "target": target,
            "joint_groups": [int(g) for g in (groups[::3])]}
    return AttributionResult(list(clip_ids or capture.clip_ids), np.asarray(capture.targets), np.asarray(capture.step_mask),
                             np.asarray(capture.lengths), capture.vocab, capture.fps, capture.downsample, target,
                             maps, deltas, scores, meta)


def capture_inputs(model: "CaptionerNetwork", capture: "CaptureResult", root: str | os.PathLike,
                   split: str) -> tuple[torch.Tensor, torch.Tensor]:
    """The preprocessed clips (N, T, F) and lengths (N,) of a capture of ``split`` of ``root``, in the
    capture's clip order."""
    from ..data.dataset import load_split

    data = load_split(root, split, skeleton=model.skeleton, progress=False, ids=list(capture.clip_ids))
    by_id = {cid: s.motion for cid, s in zip(data.ids, data)}
    missing = [c for c in capture.clip_ids if c not in by_id]
    if missing:
        raise M2TError(f"clip(s) {', '.join(missing[:3])} of the capture are not in split {split} of {root}")
    x, lengths = model.preprocess([by_id[c] for c in capture.clip_ids])
    if not torch.equal(lengths.cpu(), torch.as_tensor(np.asarray(capture.lengths), dtype=torch.long)):
        raise M2TError("the data's clip lengths differ from the capture's; capture again")
    return x, lengths


__all__ = ["METHODS", "TARGETS", "BASELINES", "RESOLUTION", "check_method", "check_target", "check_baseline",
           "part_joint_groups", "joint_groups_from_mapping", "read_feature_mask", "feature_groups", "make_baseline",
           "WordScore", "caption_rows", "attribute_caption", "dense_to_map", "attention_map", "attribute_capture",
           "capture_inputs"]
