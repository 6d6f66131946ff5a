"""Faithfulness by intervention: remove what an explanation points at and measure how much the
word's log-probability drops (forced decoding of the caption).

Attention-level, through the named hook points' ``replace``: a part removed from α (α
renormalised over the remaining parts at every frame), or the frames inside μ ± σ·√(2 ln 2)
removed from Γ. Compared: the most-attended part, the other parts (their mean: the chance level,
:func:`mean_other_parts`), the top-attributed part; the attended window, a random window of the
same length. ERASER deletion curves over parts ranked by attention or attribution:
*comprehensiveness* (drop when the top-k parts are removed) and *sufficiency* (drop when only the
top-k parts are kept), k = 1 … 5, and their means (AOPC). Input-level: a part's joints replaced by
the baseline (the first pose held still) for every part, so the part ranked first by attention or
by attribution, and the mean over the other parts, can be read off.

The decoder's LSTM states depend on the caption only, so one forced pass intervenes on every word
of a batch at once, each at its own step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import torch

from ..attribution.forward import make_baseline
from ..attribution.groups import feature_groups, part_joint_groups
from ..attribution.table import ATTENTION
from ..result import HALF_WIDTH
from ..skeletons import PARTS, get_skeleton
from ..tokens import PAD_ID, SOS_ID
from .statistics import bootstrap_interval, word_group_masks

if TYPE_CHECKING:
    from ..attribution.result import AttributionResult
    from ..model.network import CaptionerNetwork
    from ..result import CaptureResult

CHUNK = 32
KS = (1, 2, 3, 4, 5)


def forced_captions(capture: "CaptureResult") -> torch.Tensor:
    """(N, S + 1) <sos> followed by each clip's forced targets, <pad> after its end."""
    targets = np.where(capture.step_mask, capture.targets, PAD_ID)
    return torch.as_tensor(np.concatenate([np.full((len(targets), 1), SOS_ID), targets], 1), dtype=torch.long)


def mean_other_parts(drops: np.ndarray, top: np.ndarray) -> np.ndarray:
    """The chance level of removing one part, the same inside the model and at the input: the
    mean drop over the five parts other than ``top`` (the most-attended one), exact — each other
    part once — rather than one seeded draw. ``drops`` (..., 6) per part, ``top`` (...) → (...)."""
    chosen = np.take_along_axis(drops, np.asarray(top)[..., None], -1)[..., 0]
    return (drops.sum(-1) - chosen) / (drops.shape[-1] - 1)


def _word_logprobs(model, x, lengths, captions, replace=None) -> np.ndarray:
    """(N, S) log-probability of each forced word, with optional hook-point replacements."""
    with torch.no_grad(), model.hooks(replace=replace or {}):
        out = model(x, lengths, captions[:, :-1])
        logp = torch.log_softmax(out.logits.float(), -1)
        return logp.gather(2, captions[:, 1:, None].clamp(min=0))[..., 0].cpu().numpy()


def _remove_parts(keep: torch.Tensor):
    """α replacement: parts where ``keep`` (N, S, 6) is False are removed, α renormalised."""
    def fn(alpha):
        a = alpha * keep[:, :, None, :].to(alpha.dtype)
        total = a.sum(-1, keepdim=True)
        return torch.where(total > 0, a / total.clamp(min=1e-12), a)
    return fn


def attention_interventions(model: "CaptionerNetwork", capture: "CaptureResult", x: torch.Tensor,
                            lengths: torch.Tensor, attribution: "AttributionResult", method: str,
                            seed: int = 0) -> pd.DataFrame:
    """One row per word: the log-probability drop of each intervention (see the module docstring).

    Columns ``drop_top_attended``, ``drop_other_parts`` (:func:`mean_other_parts`),
    ``drop_top_attributed``, ``drop_window``, ``drop_random_window`` (``seed`` draws its place),
    ``comp_<ranking>_k<k>``, ``suff_<ranking>_k<k>`` (ranking ``attention`` or ``attribution``), and
    ``comp_<ranking>_aopc``, ``suff_<ranking>_aopc``."""
    model.eval()
    rng = np.random.default_rng(seed)
    order = list(get_skeleton(capture.skeleton).part_order)  # PARTS column → checkpoint column
    captions = forced_captions(capture)
    n_all, s_all = capture.step_mask.shape
    attn = attribution.parts(ATTENTION)  # (N, S, 6) PARTS order
    attr = np.abs(attribution.parts(method))
    rows = []
    for a in range(0, n_all, CHUNK):
        idx = slice(a, min(a + CHUNK, n_all))
        xc, lc, cc = x[idx], lengths[idx], captions[idx]
        base = _word_logprobs(model, xc, lc, cc)
        n, s = base.shape
        cols: dict[str, np.ndarray] = {}

        def drop(keep_parts: np.ndarray) -> np.ndarray:  # keep (N, S, 6) in PARTS order
            keep = torch.as_tensor(keep_parts[..., np.argsort(order)], device=xc.device)
            return base - _word_logprobs(model, xc, lc, cc, {"alpha": _remove_parts(keep)})

        rank_attn = np.argsort(-attn[idx], -1, kind="stable")
        rank_attr = np.argsort(-attr[idx], -1, kind="stable")
        ones = np.ones((n, s, len(PARTS)), bool)

        def without(ranks, k):
            keep = ones.copy()
            np.put_along_axis(keep, ranks[..., :k], False, -1)
            return keep

        single = np.stack([drop(without(np.full((n, s, 1), k), 1)) for k in range(len(PARTS))], -1)
        cols["drop_top_attended"] = np.take_along_axis(single, rank_attn[..., :1], -1)[..., 0]
        cols["drop_other_parts"] = mean_other_parts(single, rank_attn[..., 0])
        cols["drop_top_attributed"] = np.take_along_axis(single, rank_attr[..., :1], -1)[..., 0]
        for name, ranks in (("attention", rank_attn), ("attribution", rank_attr)):
            for k in KS:
                cols[f"comp_{name}_k{k}"] = drop(without(ranks, k))
                cols[f"suff_{name}_k{k}"] = drop(~without(ranks, k))
            cols[f"comp_{name}_aopc"] = np.mean([cols[f"comp_{name}_k{k}"] for k in KS], 0)
            cols[f"suff_{name}_aopc"] = np.mean([cols[f"suff_{name}_k{k}"] for k in KS], 0)
        # the attended window vs a random window of the same length, per word
        t = capture.window.shape[2]
        frames = np.arange(t)
        mu, sigma = np.asarray(capture.mu[idx], float), np.asarray(capture.sigma[idx], float)
        last = np.asarray(capture.lengths[idx], float)[:, None] - 1
        start = np.ceil(np.clip(mu - HALF_WIDTH * sigma, 0, last))
        end = np.floor(np.clip(mu + HALF_WIDTH * sigma, 0, last))
        width = np.maximum(end - start, 0)
        inside = (frames >= start[..., None]) & (frames <= end[..., None])
        shift = np.floor(rng.random((n, s)) * np.maximum(last - width + 1, 1))
        random_in = (frames >= shift[..., None]) & (frames <= (shift + width)[..., None])
        for name, mask in (("drop_window", inside), ("drop_random_window", random_in)):
            m = torch.as_tensor(~mask, device=xc.device)
            cols[name] = base - _word_logprobs(model, xc, lc, cc, {"window": lambda w, m=m: w * m.to(w.dtype)})
        steps = capture.step_mask[idx]
        nn, ss = np.nonzero(steps)
        df = pd.DataFrame({"clip_id": np.asarray(capture.clip_ids[idx], dtype=object)[nn], "step": ss,
                           "word": [capture.word(int(i)) for i in capture.targets[idx][nn, ss]],
                           "log_prob": base[nn, ss],
                           "top_attended": np.asarray(PARTS, dtype=object)[rank_attn[nn, ss, 0]],
                           "top_attributed": np.asarray(PARTS, dtype=object)[rank_attr[nn, ss, 0]]})
        for c, v in cols.items():
            df[c] = v[nn, ss]
        rows.append(df)
    out = pd.concat(rows, ignore_index=True)
    out.insert(3, "method", method)
    return out


def input_part_drops(model: "CaptionerNetwork", x: torch.Tensor, lengths: torch.Tensor,
                     captions: torch.Tensor, joint_groups: np.ndarray | None = None,
                     baseline: str = "first_pose") -> np.ndarray:
    """(N, S, 6) drop in each forced word's log-probability when one part's joints (PARTS order)
    are replaced by the baseline at every frame; ``captions`` (N, L) from <sos>."""
    model.eval()
    groups = feature_groups(part_joint_groups(model.skeleton) if joint_groups is None else joint_groups)
    x = torch.as_tensor(x, dtype=torch.float32, device=model.device)
    lengths = torch.as_tensor(lengths, device=model.device)
    captions = torch.as_tensor(captions, device=model.device)
    base_in = make_baseline(x, lengths, baseline)
    full = _word_logprobs(model, x, lengths, captions)
    out = np.zeros((*full.shape, len(PARTS)))
    for k in range(len(PARTS)):
        sel = torch.as_tensor(groups == k, device=x.device)
        out[..., k] = full - _word_logprobs(model, torch.where(sel, base_in, x), lengths, captions)
    return out


def input_deletion(model, capture, x, lengths, attribution, method: str,
                   joint_groups: np.ndarray | None = None) -> pd.DataFrame:
    """One row per word: the drop when the part ranked first by attention or by the attribution
    ``method`` has its joints replaced by the baseline, the mean drop over the other five parts
    (:func:`mean_other_parts`, the chance level) and the largest drop of any part."""
    captions = forced_captions(capture)
    drops = np.concatenate([input_part_drops(model, x[a:a + CHUNK], lengths[a:a + CHUNK], captions[a:a + CHUNK],
                                             joint_groups) for a in range(0, len(captions), CHUNK)])
    nn, ss = np.nonzero(capture.step_mask)
    d = drops[nn, ss]
    top_attn = attribution.parts(ATTENTION)[nn, ss].argmax(1)
    top_attr = np.abs(attribution.parts(method)[nn, ss]).argmax(1)
    r = np.arange(len(nn))
    return pd.DataFrame({"clip_id": np.asarray(capture.clip_ids, dtype=object)[nn], "step": ss,
                         "word": [capture.word(int(i)) for i in capture.targets[nn, ss]], "method": method,
                         "input_drop_attention": d[r, top_attn], "input_drop_attribution": d[r, top_attr],
                         "input_drop_other_parts": mean_other_parts(d, top_attn), "input_drop_best": d.max(1),
                         **{f"input_drop_{p}": d[:, k] for k, p in enumerate(PARTS)}})


def faithfulness_summary(words: pd.DataFrame, table: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """Mean drop per intervention and word group, with bootstrap 95 % intervals:
    ``group, intervention, mean_drop, ci_low, ci_high, n``. The other parts' mean and the random
    window are the chance levels of the part and window removals."""
    rng = np.random.default_rng(seed)
    merged = words.merge(table[["clip_id", "step", "motion", "category", "is_special"]], on=["clip_id", "step"],
                         how="left")
    merged = merged[~merged["is_special"].astype(bool)].reset_index(drop=True)
    cols = [c for c in merged.columns if c.startswith("drop_") or c.endswith("_aopc")
            or c in ("input_drop_attention", "input_drop_attribution", "input_drop_other_parts", "input_drop_best")]
    rows = []
    for g, mask in word_group_masks(merged).items():
        if mask.sum() < 2:
            continue
        for c in cols:
            v = merged.loc[mask, c].to_numpy(float)
            lo, hi = bootstrap_interval(v, rng)
            rows.append({"group": g, "intervention": c, "mean_drop": float(np.nanmean(v)), "ci_low": lo,
                         "ci_high": hi, "n": int(mask.sum())})
    return pd.DataFrame(rows, columns=["group", "intervention", "mean_drop", "ci_low", "ci_high", "n"])


def deletion_curves(words: pd.DataFrame) -> pd.DataFrame:
    """Long table ``curve, ranking, k, mean_drop`` of the comprehensiveness and sufficiency curves."""
    rows = []
    for curve in ("comp", "suff"):
        for ranking in ("attention", "attribution"):
            for k in KS:
                c = f"{curve}_{ranking}_k{k}"
                if c in words:
                    rows.append({"curve": "comprehensiveness" if curve == "comp" else "sufficiency",
                                 "ranking": ranking, "k": k, "mean_drop": float(words[c].mean())})
    return pd.DataFrame(rows, columns=["curve", "ranking", "k", "mean_drop"])


__all__ = ["forced_captions", "mean_other_parts", "attention_interventions", "input_part_drops", "input_deletion",
           "faithfulness_summary", "deletion_curves"]
