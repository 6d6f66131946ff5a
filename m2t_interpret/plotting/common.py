"""What each figure plots, worked out once for both backends: the checked inputs and the series,
labels, orders, colours and reference levels that :mod:`.static` (matplotlib) and
:mod:`.interactive` (plotly) then draw, each in its own way. A backend only draws, so a figure
shows the same things in both; the look (sizes, line styles, hover text) stays with the backend.

Each function checks its table's columns (M2TError naming the figure) before anything else, and
returns no panels (or series) for an empty table: the backend then draws its "no data" message.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from ..analysis.scores import model_levels
from .style import (MODEL_BAR_ALL_COLOR, MODEL_BAR_COLOR, MOTION_COLOR, NON_MOTION_COLOR, beta_label, density_floor,
                    finite_float, grid_shape, map_matrix, map_steps, metric_label, motion_rows, ordered_parts,
                    ordered_unique, pinned_column, require_columns, series_colors, stem_label, temporal_layout,
                    true_segments)


# ----------------------------------------------------------------------------- β̂ densities

@dataclass(frozen=True)
class StemDensity:
    """One stem of the density figure: its kernel density (``beta``, ``density``, clipped to a tenth
    of the axis floor so that the log axis shows zeros at its bottom) or, with no spread (all its β̂
    equal, or one token), no curve and the one ``value`` its β̂ takes (NaN where unknown)."""

    stem: str
    color: str
    label: str
    summary: pd.DataFrame
    count: int | None
    beta: np.ndarray
    density: np.ndarray
    value: float


@dataclass(frozen=True)
class DensityPlan:
    """The density figure: a series per stem (summary's stems first) and the log axis's limits."""

    stems: list[StemDensity]
    floor: float
    ceiling: float


def words_label(row: pd.DataFrame, stem: str) -> str:
    """The words a stem stands for ("walks, walking"), or the stem when the summary has none."""
    if len(row) and "words" in row and isinstance(row["words"].iloc[0], str) and row["words"].iloc[0]:
        return row["words"].iloc[0]
    return stem


def density_plan(density: pd.DataFrame, summary: pd.DataFrame) -> DensityPlan:
    """The series of :func:`density_figure`, labelled "words (n=count)" ("…, no spread" without a curve)."""
    require_columns(density, ["stem", "beta", "density"], "density_figure")
    require_columns(summary, ["stem", "count"], "density_figure")
    names = ordered_unique([str(s) for s in summary["stem"]] + [str(s) for s in density["stem"]])
    dens = density.assign(stem=density["stem"].astype(str))
    values = pd.to_numeric(dens["density"], errors="coerce")
    top = float(values.max()) if len(values) and np.isfinite(values.max()) else 1.0
    floor = density_floor(top)
    stems = []
    for s, color in zip(names, series_colors(len(names))):
        d = dens[dens["stem"] == s].sort_values("beta")
        row = summary[summary["stem"].astype(str) == s]
        count = int(row["count"].iloc[0]) if len(row) else None
        name = words_label(row, s)
        label = name if count is None else f"{name} (n={count})"
        value = math.nan
        if not len(d):
            value = finite_float(row["min"].iloc[0]) if len(row) and "min" in row else math.nan
            if count:
                label = f"{name} (n={count}, no spread)"
        stems.append(StemDensity(s, color, label, row, count, d["beta"].to_numpy(float),
                                 np.clip(d["density"].to_numpy(float), floor / 10, None), value))
    return DensityPlan(stems, floor, top * 3 if top > floor else floor * 100)


# ----------------------------------------------------------------------------- max-attention histograms

def histogram_panels(hist: pd.DataFrame) -> list[tuple[str, pd.DataFrame, str, int]]:
    """The panels of :func:`histogram_figure`, one per stem in order: ``(stem, its rows, its name,
    its word count)`` (stem and part as text; the name is the stem's word, see :func:`stem_label`)."""
    require_columns(hist, ["stem", "part", "bin_left", "bin_right", "count", "total"], "histogram_figure")
    hist = hist.assign(stem=hist["stem"].astype(str), part=hist["part"].astype(str))
    panels = []
    for stem in ordered_unique(hist["stem"]):
        sub = hist[hist["stem"] == stem]
        panels.append((stem, sub, stem_label(sub, stem), int(sub["total"].max())))
    return panels


# ----------------------------------------------------------------------------- part identification

def part_bars(scores: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The bars of :func:`parts_figure`: the word categories' rows, then the row of all motion words,
    and each bar's colour (the "all" bar darker). No rows: no ground truth."""
    require_columns(scores, ["group", "name", "n", "pointing", "chance", "best_constant"], "parts_figure")
    rows = scores[scores["group"].astype(str).isin(["category", "all"])]
    rows = rows.sort_values("group", key=lambda g: g.astype(str) == "all", kind="stable")
    return rows, [MODEL_BAR_COLOR if str(g) == "category" else MODEL_BAR_ALL_COLOR for g in rows["group"]]


def confusion_shares(confusion: pd.DataFrame) -> tuple[list[str], list[str], np.ndarray, np.ndarray]:
    """``(true parts, predicted parts, counts, shares)`` of a part confusion matrix, both axes in part
    order; a share is a count over its row's (true part's) total, NaN for a row without words."""
    counts = confusion.copy()
    counts.index = [str(i) for i in counts.index]
    counts.columns = [str(c) for c in counts.columns]
    rows, cols = ordered_parts(counts.index), ordered_parts(counts.columns)
    counts = counts.reindex(index=rows, columns=cols).fillna(0).to_numpy(float)
    totals = counts.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(totals > 0, counts / totals, np.nan)
    return rows, cols, counts, share


# ----------------------------------------------------------------------------- temporal window

@dataclass(frozen=True)
class WindowCurve:
    """One word's temporal window Γ over time (its rows sorted by time), labelled "word (β̂ …)" (and
    its step where the word occurs twice)."""

    step: int
    label: str
    color: str
    rows: pd.DataFrame

    @property
    def time(self) -> np.ndarray:
        return self.rows["time_s"].to_numpy(float)

    @property
    def window(self) -> np.ndarray:
        return self.rows["window"].to_numpy(float)


def window_curves(curves: pd.DataFrame) -> list[WindowCurve]:
    """The curves of :func:`onset_figure`: the motion words' (every word's when none is marked), by step."""
    require_columns(curves, ["step", "word", "beta", "time_s", "window"], "onset_figure")
    sel = motion_rows(curves)
    keys = sel[["step", "word", "beta"]].drop_duplicates(subset=["step"]).sort_values("step")
    dup = keys["word"].duplicated(keep=False).to_numpy()
    return [WindowCurve(step, beta_label(word, beta) + (f" [step {int(step)}]" if twice else ""), color,
                        sel[sel["step"] == step].sort_values("time_s"))
            for (step, word, beta), twice, color in zip(keys.itertuples(index=False), dup, series_colors(len(keys)))]


def action_segments(segments: pd.DataFrame | None) -> pd.DataFrame | None:
    """The true action segments of :func:`onset_figure` in time order, or None when there are none."""
    if not isinstance(segments, pd.DataFrame) or segments.empty:
        return None
    require_columns(segments, ["action", "start_s", "end_s"], "onset_figure")
    return segments.sort_values("start_s")


# ----------------------------------------------------------------------------- temporal scores

@dataclass(frozen=True)
class ScoreGroup:
    """One clip group of :func:`temporal_scores_figure`: its title ("all clips (n=…)") and a bar group
    per answer that has a row, ``(answer's index, answer, the metrics' values, n)``."""

    name: str
    title: str
    bars: list[tuple[int, str, np.ndarray, float]]


def temporal_groups(scores: pd.DataFrame) -> tuple[list[str], dict[str, str], list[ScoreGroup]]:
    """The metrics, each answer's colour and the clip groups of :func:`temporal_scores_figure`."""
    metrics, groups, answers, colors = temporal_layout(scores, "temporal_scores_figure")
    out = []
    for g in groups:
        sub = scores[scores["clips"].astype(str) == g]
        n = int(sub["n"].max()) if "n" in sub and sub["n"].notna().any() else None
        bars = []
        for i, a in enumerate(answers):
            row = sub[sub["answer"].astype(str) == a]
            if not row.empty:
                bars.append((i, a, row[metrics].iloc[0].to_numpy(float),
                             finite_float(row["n"].iloc[0]) if "n" in row else math.nan))
        out.append(ScoreGroup(g, ("all clips" if g == "all" else f"{g} clips") + (f" (n={n})" if n is not None else ""),
                              bars))
    return metrics, colors, out


# ----------------------------------------------------------------------------- gate separation

@dataclass(frozen=True)
class GatePlan:
    """The gate figure: β̂ (finite, clipped to [0, 1]) of the motion and the other words, each group
    with its name and colour (a group without words left out), the best threshold and its accuracy
    (NaN when unknown), the headline (AUROC and chance) and what the words are labelled by ("" when
    not said)."""

    groups: list[tuple[str, str, np.ndarray]]
    threshold: float
    accuracy: float
    headline: str
    labels: str


def gate_plan(tokens: pd.DataFrame, separation: pd.DataFrame) -> GatePlan:
    """What :func:`gate_figure` draws from the token table and the one-row separation table."""
    require_columns(tokens, ["beta", "motion"], "gate_figure")
    require_columns(separation, ["auroc", "best_threshold"], "gate_figure")
    sep = separation.iloc[0] if len(separation) else pd.Series(dtype=object)
    beta = pd.to_numeric(tokens["beta"], errors="coerce")
    motion = tokens["motion"].fillna(False).astype(bool)
    groups = []
    for flag, color, name in ((True, MOTION_COLOR, "motion words"), (False, NON_MOTION_COLOR, "other words")):
        v = beta[motion == flag].to_numpy(float)
        v = np.clip(v[np.isfinite(v)], 0, 1)
        if len(v):
            groups.append((name, color, v))
    auroc, chance = finite_float(sep.get("auroc", math.nan)), finite_float(sep.get("chance_auroc", math.nan))
    head = f"AUROC {auroc:.3f}" if np.isfinite(auroc) else "AUROC n/a"
    if np.isfinite(chance):
        head += f" (chance {chance:.2f})"
    labels = sep.get("labels", None)
    return GatePlan(groups, finite_float(sep.get("best_threshold", math.nan)),
                    finite_float(sep.get("accuracy", math.nan)), head, labels if isinstance(labels, str) else "")


# ----------------------------------------------------------------------------- attention map

@dataclass(frozen=True)
class MapPanel:
    """One token's attention map: parts (in part order) × time, titled "word (β̂ …)"."""

    step: int
    word: str
    title: str
    parts: list[str]
    times: np.ndarray
    values: np.ndarray


def map_panels(attention_map: pd.DataFrame) -> tuple[list[MapPanel], int, int]:
    """The panels of :func:`map_figure`, one per token by step, and the grid's rows and columns
    (one column, two beyond eight tokens)."""
    require_columns(attention_map, ["step", "word", "beta", "part", "time_s", "value"], "map_figure")
    steps = map_steps(attention_map)
    panels = [MapPanel(step, word, beta_label(word, beta), *map_matrix(attention_map[attention_map["step"] == step]))
              for step, word, beta in steps.itertuples(index=False)]
    return (panels, *grid_shape(len(panels), 1 if len(panels) <= 8 else 2))


# ----------------------------------------------------------------------------- fine-grained caption

def finegrained_rows(fg: pd.DataFrame) -> tuple[list[tuple[str, list[str], float, float]], list[str], dict[str, int]]:
    """The true segments of :func:`finegrained_figure`, its rows' parts (every part a word or a segment
    is on, in part order) and each part's row."""
    require_columns(fg, ["step", "word", "part", "onset_s", "offset_s"], "finegrained_figure")
    truth = true_segments(fg)
    parts = ordered_parts(list(fg["part"].astype(str)) + [p for _, ps, _, _ in truth for p in ps])
    return truth, parts, {p: i for i, p in enumerate(parts)}


# ----------------------------------------------------------------------------- gate ablation

@dataclass(frozen=True)
class AblationPanel:
    """One metric of :func:`ablation_figure`: its scores (adaptive, pinned), their change and the
    larger finite score (the panel's scale)."""

    metric: str
    values: list[float]
    change: float
    top: float

    def title(self, newline: str) -> str:
        """The metric's name, and on a second line the change ("Δ −0.080")."""
        change = f"{newline}Δ {self.change:+.3f}".replace("-", "−") if np.isfinite(self.change) else ""
        return metric_label(self.metric) + change


def ablation_panels(scores: pd.DataFrame) -> tuple[list[str], list[AblationPanel]]:
    """The bars' names ("adaptive", the pinned column with β̂ for beta) and a panel per metric."""
    require_columns(scores, ["metric", "adaptive"], "ablation_figure")
    pinned = pinned_column(scores)
    panels = []
    for r in scores.itertuples(index=False, name=None):
        rec = dict(zip(scores.columns, r))
        vals = [finite_float(rec["adaptive"]), finite_float(rec[pinned])]
        panels.append(AblationPanel(rec["metric"], vals, finite_float(rec.get("change", vals[1] - vals[0])),
                                    max([v for v in vals if np.isfinite(v)] + [1e-9])))
    return ["adaptive", pinned.replace("beta", "β̂")], panels


# ----------------------------------------------------------------------------- comparing models

@dataclass(frozen=True)
class ScorePanel:
    """One score of :func:`compare_figure`: the models' values, each model's chance and best-constant
    level (NaN where none), the word count ``n`` (NaN where unknown), whether every number lies in
    [0, 1] (``unit``) and the panel's scale ``top`` (1 for unit scores, else the largest magnitude)."""

    rec: pd.Series
    values: np.ndarray
    chance: list[float]
    best: list[float]
    count: float
    unit: bool
    top: float


def compare_panels(table: pd.DataFrame, models: Sequence[str]) -> tuple[list[str], list[ScorePanel]]:
    """The models (as text) and a panel per row of a :func:`~m2t_interpret.analysis.compare_table`."""
    models = [str(m) for m in models]
    require_columns(table, ["score", *models], "compare_figure")
    if not models:
        return models, []
    panels = []
    for _, rec in table.iterrows():
        vals = np.array([finite_float(rec[m]) for m in models])
        chance, best = (model_levels(rec, col, models) for col in ("chance", "best constant"))
        refs = [v for v in (*vals, *chance, *best) if np.isfinite(v)]
        unit = all(0 <= v <= 1 for v in refs)
        panels.append(ScorePanel(rec, vals, chance, best, finite_float(rec["n"]) if "n" in rec else math.nan, unit,
                                 1.0 if unit else max([abs(v) for v in refs] + [1e-9])))
    return models, panels
