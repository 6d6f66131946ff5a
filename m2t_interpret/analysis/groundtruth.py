"""Joining a token table to the synthetic corpus's per-token ground truth.

The ground truth (``ground_truth.parquet`` of a synthetic corpus) says, for every word of every
reference caption, whether it is a motion word and, if so, which action it describes: the
action's segment (seconds of the original clip) and the parts it moves (``active_<part>``).
Real datasets have none; :func:`load_ground_truth` then returns None and every ground-truth
score says so.

Forced decoding on the first reference caption (``--decode forced``) aligns exactly: decoding
step ``s`` predicts word ``s`` of caption 0. Generated captions are aligned by stem and order:
a generated word is matched to the first action, at or after the previous match, whose
reference words (any caption of the clip) include a motion word of the same Porter stem.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..skeletons import PARTS, part_columns
from .labels import stem_of

#: Word categories by how many parts the word's action moves.
CATEGORIES = ("one part", "several parts", "whole body", "no part")
ACTIVE = part_columns("active_")
#: Columns :func:`attach_ground_truth` adds.
GT_COLUMNS = ("stem", "gt_motion", "gt_aligned", "action", "action_idx", "gt_start_s", "gt_end_s",
              "n_actions", "category", *ACTIVE)


def word_category(active: np.ndarray) -> np.ndarray:
    """(M, 6) active flags → category per row: one part, several parts, whole body (≥ 5), no part."""
    n = np.asarray(active, dtype=bool).sum(1)
    return np.select([n == 0, n == 1, n >= 5], ["no part", "one part", "whole body"], "several parts")


def load_ground_truth(root: str | os.PathLike | None) -> pd.DataFrame | None:
    """The corpus's per-token ground truth, or None when ``root`` is not a synthetic corpus."""
    if root is None:
        return None
    path = Path(root) / "ground_truth.parquet"
    if not path.is_file():
        return None
    return pd.read_parquet(path)


def _stems(words: pd.Series) -> np.ndarray:
    uniq, inverse = np.unique(np.asarray(words, dtype=str), return_inverse=True)
    return np.array([stem_of(w) for w in uniq], dtype=object)[inverse]


def attach_ground_truth(table: pd.DataFrame, gt: pd.DataFrame | None, forced: bool) -> pd.DataFrame:
    """Token table + ground truth → the same rows with :data:`GT_COLUMNS` added.

    ``gt_motion`` is True/False where the ground truth knows the word (NaN for special tokens and
    generated words it cannot place); ``gt_aligned`` marks motion words matched to an action;
    action columns are filled for those rows only.
    """
    out = table.copy()
    out["stem"] = _stems(out["word"])
    m = len(out)
    cols: dict[str, np.ndarray] = {
        "gt_motion": np.full(m, np.nan), "gt_aligned": np.zeros(m, bool), "action": np.full(m, None, object),
        "action_idx": np.full(m, np.nan), "gt_start_s": np.full(m, np.nan), "gt_end_s": np.full(m, np.nan),
        "n_actions": np.full(m, np.nan), "category": np.full(m, None, object),
        **{c: np.full(m, np.nan) for c in ACTIVE}}
    if gt is not None and m:
        gt = gt[gt["clip_id"].isin(set(out["clip_id"]))]
        n_actions = gt[gt["is_motion"]].groupby("clip_id")["action_idx"].nunique()
        cols["n_actions"] = out["clip_id"].map(n_actions).to_numpy(dtype=float)
        special = out["is_special"].to_numpy()
        if forced:
            ref = gt[gt["caption_idx"] == 0].set_index(["clip_id", "token_idx"])
            key = pd.MultiIndex.from_arrays([out["clip_id"], out["step"]])
            hit = key.isin(ref.index) & ~special
            rows = ref.reindex(key[hit])
            is_motion = rows["is_motion"].to_numpy(dtype=bool)
            cols["gt_motion"][hit] = is_motion
            motion = hit.copy()
            motion[hit] = is_motion
            src = rows[is_motion]
        else:
            cols["gt_motion"], motion, src = _align_generated(out, gt, special)
        cols["gt_aligned"] = motion
        if motion.any():
            cols["action"][motion] = src["action"].to_numpy()
            cols["action_idx"][motion] = src["action_idx"].to_numpy(dtype=float)
            cols["gt_start_s"][motion] = src["start_s"].to_numpy(dtype=float)
            cols["gt_end_s"][motion] = src["end_s"].to_numpy(dtype=float)
            for c in ACTIVE:
                cols[c][motion] = src[c].to_numpy(dtype=float)
            cols["category"][motion] = word_category(src[ACTIVE].to_numpy(dtype=bool))
    for c, v in cols.items():
        out[c] = v
    return out


def _align_generated(out: pd.DataFrame, gt: pd.DataFrame, special: np.ndarray):
    """Match generated words to actions by stem and order (see the module docstring).

    Returns the per-row motion label (from how the corpus uses the stem), the matched mask and
    the ground-truth rows of the matched actions, in table order.
    """
    gt_stems = _stems(gt["word"])
    is_motion = gt["is_motion"].to_numpy(dtype=bool)
    # a stem is a motion word of the corpus when most of its occurrences are
    share = pd.Series(is_motion.astype(float)).groupby(gt_stems).mean()
    labels = out["stem"].map(share).to_numpy(dtype=float)
    gt_motion = np.where(special | np.isnan(labels), np.nan, (labels >= 0.5).astype(float))
    # clip → action → the motion stems of its reference words; (clip, action) → a row describing it
    actions: dict[str, dict[int, set]] = {}
    first_row: dict[tuple[str, int], int] = {}
    gt_clip, gt_action = gt["clip_id"].to_numpy(), gt["action_idx"].to_numpy()
    for i in np.nonzero(is_motion)[0]:
        cid, a = gt_clip[i], int(gt_action[i])
        actions.setdefault(cid, {}).setdefault(a, set()).add(gt_stems[i])
        first_row.setdefault((cid, a), i)
    clip_col, step_col, stems = out["clip_id"].to_numpy(), out["step"].to_numpy(), out["stem"].to_numpy()
    matched = np.zeros(len(out), dtype=bool)
    source = np.full(len(out), -1)
    order = np.lexsort((step_col, clip_col))  # each clip's words in caption order
    current, pointer, known = None, 0, {}
    for i in order:
        cid = clip_col[i]
        if cid != current:
            current, known = cid, actions.get(cid, {})
            pointer = min(known) if known else 0
        if special[i] or not known:
            continue
        for a in sorted(known):
            if a >= pointer and stems[i] in known[a]:
                matched[i], source[i], pointer = True, first_row[(cid, a)], a
                break
    src = gt.iloc[source[matched]].reset_index(drop=True)
    return gt_motion, matched, src


def alignment_summary(table: pd.DataFrame) -> dict:
    """How many motion words of the table were placed on an action (generated captions)."""
    candidates = table["gt_motion"].eq(True)
    return {"motion_words": int(candidates.sum()), "aligned": int(table["gt_aligned"].sum())}


def true_part_mask(table: pd.DataFrame) -> np.ndarray:
    """(M, 6) bool, part order: the parts each row's action moves (all False where unknown)."""
    return table[ACTIVE].fillna(0).to_numpy(dtype=float) > 0.5


__all__ = ["CATEGORIES", "GT_COLUMNS", "ACTIVE", "PARTS", "word_category", "load_ground_truth",
           "attach_ground_truth", "alignment_summary", "true_part_mask"]
