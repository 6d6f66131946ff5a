"""Every interpretability score of one capture in one table, beside its chance level and best
constant answer — the rows of ``compare``."""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import pandas as pd

from .gate import gate_separation
from .groundtruth import alignment_summary
from .parts import part_predictions, part_scores
from .temporal import temporal_predictions, temporal_scores


def _pick(df: pd.DataFrame, **where) -> pd.Series | None:
    sub = df
    for k, v in where.items():
        sub = sub[sub[k] == v]
    return None if sub.empty else sub.iloc[0]


#: The columns of :func:`interpretability_scores` and :func:`pointing_by_window`.
SCORE_COLUMNS = ["score", "value", "chance", "best_constant", "n"]


def _part_row(label: str, r: pd.Series, value: str = "pointing") -> dict:
    """One score row from a :func:`part_scores` row: its ``value`` column beside its levels."""
    return {"score": label, "value": r[value], "chance": r["chance"], "best_constant": r["best_constant"],
            "n": r["n"]}


def interpretability_scores(table: pd.DataFrame, downsample: int = 2, fps: float = 20.0) -> pd.DataFrame:
    """Long table ``score, value, chance, best_constant, n`` for one capture's token table
    (with ground truth attached). Scores without ground truth are absent."""
    rows = []
    pred = part_predictions(table)
    ps = part_scores(pred)
    for label, kind, name in (("pointing, one-part (lateral) words", "category", "one part"),
                              ("pointing, several-part words", "category", "several parts"),
                              ("pointing, whole-body words", "category", "whole body"),
                              ("pointing, all motion words", "group", "all")):
        r = _pick(ps, group=kind, name=name) if kind == "category" else _pick(ps, group="all")
        if r is not None:
            rows.append(_part_row(label, r))
    r = _pick(ps, group="all")
    if r is not None:
        rows.append(_part_row("attention correctness, all motion words", r, "correctness"))
    ts = temporal_scores(temporal_predictions(table), downsample, fps)
    for clips in ("one action", "several actions", "all"):
        sub = ts[ts["clips"] == clips]
        if sub.empty:
            continue
        model = sub[sub["answer"] == "model"].iloc[0]
        chance = sub[sub["answer"].str.startswith("chance")].iloc[0]
        best = sub[sub["answer"].str.startswith("best constant")].iloc[0]
        metrics = [("mu_in_segment", f"μ in segment, {clips}")]
        if clips == "all":
            metrics += [("mean_tiou", "mean tIoU"), ("R@1 IoU≥0.3", "R@1 IoU≥0.3"), ("R@1 IoU≥0.5", "R@1 IoU≥0.5"),
                        ("R@1 IoU≥0.7", "R@1 IoU≥0.7"), ("onset_error_s", "onset error (s, lower is better)")]
        for col, label in metrics:
            rows.append({"score": label, "value": model[col], "chance": chance[col],
                         "best_constant": best[col], "n": model["n"]})
    g = gate_separation(table).iloc[0]
    if g["n_motion"] and g["n_non_motion"]:
        rows.append({"score": f"gate AUROC, motion vs non-motion ({g['labels']})", "value": g["auroc"],
                     "chance": 0.5, "best_constant": 0.5, "n": int(g["n_motion"] + g["n_non_motion"])})
        rows.append({"score": "gate accuracy at best threshold", "value": g["accuracy"],
                     "chance": g["best_constant_accuracy"], "best_constant": g["best_constant_accuracy"],
                     "n": int(g["n_motion"] + g["n_non_motion"])})
    if "gt_aligned" in table:
        a = alignment_summary(table)
        if a["motion_words"]:
            rows.append({"score": "motion words aligned to ground truth", "value": a["aligned"] / a["motion_words"],
                         "chance": np.nan, "best_constant": np.nan, "n": a["motion_words"]})
    out = pd.DataFrame(rows, columns=SCORE_COLUMNS)
    out["n"] = out["n"].astype("Int64")
    return out


#: The rows of :func:`pointing_by_window`: μ inside its action's segment or not.
WINDOW_SPLIT_ROWS = {True: "one-part pointing, several actions, μ in segment",
                     False: "one-part pointing, several actions, μ outside"}


def pointing_by_window(table: pd.DataFrame) -> pd.DataFrame:
    """One-part pointing on clips with several actions, split by whether the word's window centre μ
    lies inside its action's segment — rows of :func:`interpretability_scores`' shape.

    The part a word points to is read from α weighted by the window Γ, so when μ sits on another
    action the word reads that action's frames: a miss with μ outside is an error of *when*, a miss
    with μ inside one of *where*. A row is absent when no word falls on its side."""
    pred = part_predictions(table)
    when = temporal_predictions(table)[["clip_id", "step", "n_actions", "mu_in_segment"]]
    one = pred[pred["category"] == "one part"].merge(when, on=["clip_id", "step"])
    one = one[one["n_actions"] > 1]
    rows = []
    for inside, label in WINDOW_SPLIT_ROWS.items():
        r = _pick(part_scores(one[one["mu_in_segment"] == float(inside)]), group="all")
        if r is not None:
            rows.append(_part_row(label, r))
    return pd.DataFrame(rows, columns=SCORE_COLUMNS)


def compare_table(scores: dict[str, pd.DataFrame], captions: dict[str, dict] | None = None) -> pd.DataFrame:
    """Models side by side: one row per score, one column per model, plus ``chance``,
    ``best constant`` and ``n`` columns. These depend on the data, not the model, except where a
    chance level uses the model's own σ or a generated caption changes the tokens scored: where
    the models disagree, that row's shared cell lists each model's value in column order
    (``"0.412 / 0.405"``, 3 decimals, so that every scored row shows its levels) and
    ``chance · MODEL`` (and so on) columns give each model's own in full precision
    (:func:`model_levels` reads either). Caption metrics are appended as rows."""
    names = list(scores)
    indexed = {name: scores[name].set_index("score") for name in names}
    base = indexed[names[0]]
    out = pd.DataFrame(index=base.index)
    for name in names:
        out[name] = indexed[name]["value"]
    per_model, listed = {}, {}
    for col, src in (("chance", "chance"), ("best constant", "best_constant"), ("n", "n")):
        values = pd.DataFrame({name: indexed[name][src].reindex(base.index) for name in names}).astype(float)
        first = values[names[0]]
        # column by column, so that a table without scores (no motion words) gives an empty mask
        differs = pd.Series(False, index=values.index)
        for name in names:
            differs |= ~np.isclose(values[name].to_numpy(), first.to_numpy(), rtol=1e-9, atol=0, equal_nan=True)
        out[col] = first.where(~differs)
        if differs.any():
            per_model.update({level_column(col, name): values[name] for name in names})
            listed[col] = values[differs]
    for col, values in per_model.items():
        out[col] = values
    if captions:
        for metric, label in (("bleu4", "BLEU@4"), ("cider", "CIDEr")):
            out.loc[f"caption {label} (greedy)"] = (
                [captions[n][metric] if n in captions else np.nan for n in names]
                + [np.nan] * (len(out.columns) - len(names)))
    for col in [c for c in out.columns if c == "n" or c.startswith("n · ")]:
        out[col] = out[col].round().astype("Int64")
    for col, values in listed.items():
        out[col] = out[col].astype(object)
        out.loc[values.index, col] = [_listed(v, whole=col == "n") for v in values.to_numpy()]
    return out.reset_index()


def _listed(values: np.ndarray, whole: bool) -> str:
    """Each model's level in column order, as one cell: ``0.412 / 0.405`` (counts as integers)."""
    return " / ".join("" if not np.isfinite(v) else f"{v:.0f}" if whole else f"{v:.3f}" for v in values)


def level_column(column: str, model: str) -> str:
    """The :func:`compare_table` column of ``model``'s own ``column`` ("chance", "best constant", "n")."""
    return f"{column} · {model}"


def model_levels(row: pd.Series, column: str, models: Sequence[str]) -> list[float]:
    """A :func:`compare_table` row's chance or best-constant level for each model: the shared
    ``column``, or, where the models' levels differ (the shared cell is empty), each model's own."""
    def number(v) -> float:
        try:
            return float(v)
        except (TypeError, ValueError):
            return math.nan

    shared = number(row.get(column))
    if math.isfinite(shared):
        return [shared] * len(models)
    return [number(row.get(level_column(column, m))) for m in models]


__all__ = ["interpretability_scores", "compare_table", "level_column", "model_levels"]
