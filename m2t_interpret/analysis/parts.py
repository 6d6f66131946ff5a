"""Body-part identification: does the most attended part lie in the parts the word's action moves?

Per motion word: the predicted part is the argmax of the time-weighted part attention
(``attn_<part>``, Σ_i Γ_i α_ik / Σ_i Γ_i). *Pointing* is 1 when it lies in the true part set;
ties between top parts count fractionally (|top ∩ true| / |top|, the expected score of a random
tie-break), so uniform attention scores exactly the chance level |true| / 6. *Attention
correctness* is the attention mass on the true parts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..skeletons import PARTS, part_columns
from .groundtruth import CATEGORIES, true_part_mask
from .labels import motion_labels, stem_words

ATTN = part_columns("attn_")


def part_predictions(table: pd.DataFrame) -> pd.DataFrame:
    """One row per motion word placed on an action (``gt_aligned``), with ``predicted_part``,
    ``true_parts``, ``pointing``, ``correctness`` and the per-row ``chance`` (|true| / 6).

    Without ground truth every motion word (lexicon label) gets its predicted part and the
    score columns are NaN.
    """
    if "gt_aligned" in table and table["gt_aligned"].any():
        rows = table[table["gt_aligned"].astype(bool)].copy()
        rows = rows[true_part_mask(rows).any(1)]  # "stands still" moves no part: nothing to point at
    else:
        rows = table[motion_labels(table).eq(True)].copy()
    attn = rows[ATTN].to_numpy(dtype=float)
    top = attn >= attn.max(1, keepdims=True) - 1e-9 if len(rows) else np.zeros((0, 6), bool)
    rows["predicted_part"] = np.asarray(PARTS, dtype=object)[attn.argmax(1)] if len(rows) else []
    if "gt_aligned" in rows and rows["gt_aligned"].any():
        true = true_part_mask(rows)
        rows["true_parts"] = ["+".join(p for p, t in zip(PARTS, r) if t) for r in true]
        rows["pointing"] = (top & true).sum(1) / top.sum(1)
        rows["correctness"] = (attn * true).sum(1)
        rows["chance"] = true.sum(1) / len(PARTS)
    else:
        for col in ("true_parts", "pointing", "correctness", "chance"):
            rows[col] = np.nan
    keep = ["clip_id", "step", "word", "stem", "category", "action", "true_parts", "predicted_part", "pointing",
            "correctness", "chance", *ATTN]
    return rows[[c for c in keep if c in rows]].reset_index(drop=True)


def _best_constant(sub: pd.DataFrame) -> tuple[str, float]:
    """The single part that, always answered, points right most often, and its score."""
    if sub.empty:
        return "", np.nan
    true = np.array([[p in t.split("+") for p in PARTS] for t in sub["true_parts"]])
    share = true.mean(0)
    k = int(share.argmax())
    return PARTS[k], float(share[k])


def part_scores(pred: pd.DataFrame) -> pd.DataFrame:
    """Pointing and attention correctness overall, per word category and per word (its forms grouped
    by stem, named by the most frequent form; ``stem`` beside it), each beside its chance level
    (uniform attention) and the best constant answer (always the same part)."""
    columns = ["group", "name", "stem", "n", "pointing", "correctness", "chance", "best_constant",
               "best_constant_part"]
    if pred.empty or pred["pointing"].isna().all():
        return pd.DataFrame(columns=columns)
    groups = [("all", "all motion words", "", pred)]
    groups += [("category", c, "", pred[pred["category"] == c]) for c in CATEGORIES if (pred["category"] == c).any()]
    words = stem_words(pred)
    groups += sorted((("word", words[s], s, g) for s, g in pred.groupby("stem")), key=lambda g: (g[1], g[2]))
    rows = []
    for kind, name, stem, sub in groups:
        part, best = _best_constant(sub)
        rows.append({"group": kind, "name": name, "stem": stem, "n": len(sub), "pointing": sub["pointing"].mean(),
                     "correctness": sub["correctness"].mean(), "chance": sub["chance"].mean(),
                     "best_constant": best, "best_constant_part": part})
    return pd.DataFrame(rows, columns=columns)


def part_confusion(pred: pd.DataFrame) -> pd.DataFrame:
    """True part × predicted part counts over words whose action moves exactly one part
    (rows: true part, columns: predicted part, both in part order)."""
    one = pred[pred["category"] == "one part"] if "category" in pred else pred.iloc[:0]
    table = pd.crosstab(pd.Categorical(one["true_parts"], categories=PARTS),
                        pd.Categorical(one["predicted_part"], categories=PARTS), dropna=False)
    table.index.name, table.columns.name = "true_part", "predicted_part"
    return table


__all__ = ["part_predictions", "part_scores", "part_confusion"]
