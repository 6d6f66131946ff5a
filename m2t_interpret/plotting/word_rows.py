"""Static figures drawn one row per word, so that a reader takes each word in at a glance at a
column's width: the β̂ densities (the paper's Fig. 2a/3) as a ridgeline, motion words and the
other words in two labelled groups; and the fine-grained caption (Fig. 6) as a timeline, each
motion word's interval in its most attended part's colour over its true segment, β̂ beside it.

No text is printed over a bar or over other text: labels sit on the axis, β̂ and counts in a
column of their own beside the rows. :mod:`.static` re-exports both functions.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle
from matplotlib.transforms import blended_transform_factory

from .layout import color_part_ticks, message_figure, new_figure, styled
from .style import (COLUMN_WIDTH, MOTION_COLOR, NON_MOTION_COLOR, SEGMENT_COLOR, finite_float, ordered_parts,
                    ordered_unique, part_color, part_label, require_columns)

#: The two groups of the density rows: (motion flag, heading, colour, line style).
DENSITY_GROUPS = ((True, "motion words", MOTION_COLOR, "-"), (False, "other words", NON_MOTION_COLOR, (0, (3, 1.5))))
#: Height of a word's row (inches) in both figures: room for a 7.5 pt label with a gap.
ROW_HEIGHT = 0.24
#: Share of a row the drawing fills (a row's peak, a bar and its true segment).
FILL = 0.82


def row_label(summary: pd.DataFrame, stem: str) -> str:
    """How a stem's row is named: ``label`` (the word as the user asked for it), else ``word`` (its
    most frequent form), else the stem."""
    row = summary[summary["stem"].astype(str) == stem]
    for column in ("label", "word"):
        if column in row and len(row) and isinstance(row[column].iloc[0], str) and row[column].iloc[0]:
            return row[column].iloc[0]
    return stem


def _groups(summary: pd.DataFrame, stems: list[str]) -> list[tuple[str | None, str, object, list[str]]]:
    """``(heading, colour, line style, stems)`` per group: motion words then the others when the
    summary marks them (``motion``), else one group without a heading."""
    if "motion" not in summary.columns:
        return [(None, MOTION_COLOR, "-", stems)]
    flags = dict(zip(summary["stem"].astype(str), summary["motion"].fillna(False).astype(bool)))
    out = []
    for flag, heading, color, ls in DENSITY_GROUPS:
        members = [s for s in stems if flags.get(s, False) == flag]
        if members:
            out.append((heading, color, ls, members))
    return out


def _stat(summary: pd.DataFrame, stem: str, column: str) -> float:
    row = summary[summary["stem"].astype(str) == stem]
    return finite_float(row[column].iloc[0]) if len(row) and column in row else math.nan


def _count_text(count: float, bandwidth: float, spread: bool) -> str:
    n = f"n={int(count)}" if np.isfinite(count) else "n=?"
    if not spread:
        return f"{n}, no spread"
    return f"{n}, h={bandwidth:.2g}" if np.isfinite(bandwidth) else n


@styled
def density_figure(density: pd.DataFrame, summary: pd.DataFrame, title: str | None = None, *,
                   width: float | None = None) -> Figure:
    """β̂ kernel densities per word stem (the paper's Fig. 2a/3) as a ridgeline on a linear axis
    from 0 to 1: one row per word, each scaled to its own peak (a spike at β̂ = 1 and a broad hump
    read side by side), motion words and the other words in two labelled groups of distinct colour
    and line style, each row's count n and KDE bandwidth h beside it.

    ``density``: ``stem, beta, density``; ``summary``: ``stem, count`` (+ ``label`` — the word as
    asked for, ``word``, ``motion``, ``bandwidth``, ``min``; from
    :func:`~m2t_interpret.analysis.beta_summary`). A stem without a density (all its β̂ equal, or one
    token) is marked by a dashed line at its value, "no spread".
    """
    require_columns(density, ["stem", "beta", "density"], "density_figure")
    require_columns(summary, ["stem", "count"], "density_figure")
    stems = ordered_unique([str(s) for s in summary["stem"]] + [str(s) for s in density["stem"]])
    if not stems:
        return message_figure("no words", title, width)
    width = width or COLUMN_WIDTH
    groups = _groups(summary, stems)
    headed = sum(heading is not None for heading, *_ in groups)
    rows = len(stems) + headed
    fig = new_figure(width, ROW_HEIGHT * rows + 0.75 + (0.25 if title else 0.0), title)
    ax = fig.subplots()
    dens = density.assign(stem=density["stem"].astype(str))
    right = blended_transform_factory(ax.transAxes, ax.transData)
    ticks, labels, y = [], [], 0.0
    for heading, color, ls, members in groups:
        if heading is not None:
            ax.text(0.0, y + 0.45, heading, transform=right, ha="left", va="center", fontsize=8,
                    fontweight="bold", color=color)
            y += 1
        for s in members:
            d = dens[dens["stem"] == s].sort_values("beta")
            beta, values = d["beta"].to_numpy(float), d["density"].to_numpy(float)
            peak = float(np.nanmax(values)) if len(values) else math.nan
            spread = bool(len(d)) and np.isfinite(peak) and peak > 0
            base = y + 0.5 + FILL / 2  # rows run downwards: the baseline at the row's bottom
            if spread:
                top = base - FILL * values / peak
                ax.fill_between(beta, base, top, color=color, alpha=0.22, lw=0, zorder=2)
                ax.plot(beta, top, color=color, ls=ls, lw=1.1, zorder=3)
            else:
                value = _stat(summary, s, "min")
                if np.isfinite(value):
                    ax.plot([value, value], [base, base - FILL], color=color, ls=(0, (2, 1.5)), lw=1.2, zorder=3)
            ax.axhline(base, color="#CCCCCC", lw=0.5, zorder=1)
            ax.text(1.02, y + 0.5, _count_text(_stat(summary, s, "count"), _stat(summary, s, "bandwidth"), spread),
                    transform=right, ha="left", va="center", fontsize=7, color="#555555")
            ticks.append(y + 0.5)
            labels.append(row_label(summary, s))
            y += 1
    ax.set_yticks(ticks, labels=labels)
    ax.set_ylim(y, 0)
    ax.set_xlim(-0.015, 1.015)  # a spike at β̂ = 0 or 1 stays clear of the frame
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0], labels=["0", "0.25", "0.5", "0.75", "1"])
    ax.grid(axis="y", visible=False)
    ax.tick_params(axis="y", length=0)
    ax.spines["left"].set_visible(False)
    ax.set_xlabel("β̂ (motion gate)")
    fig.supxlabel("Gaussian KDE, Scott's bandwidth h;\neach row scaled to its peak", fontsize=7, color="#555555")
    return fig


# ----------------------------------------------------------------------------- fine-grained caption (Fig. 6)

def _truth_span(rec) -> tuple[float, float]:
    return finite_float(getattr(rec, "true_start_s", math.nan)), finite_float(getattr(rec, "true_end_s", math.nan))


@styled
def finegrained_figure(fg: pd.DataFrame, title: str | None = None, *, width: float | None = None) -> Figure:
    """The fine-grained caption as a timeline (Fig. 6): one row per motion word, in caption order,
    its interval μ ± σ·√(2 ln 2) a bar in its most attended part's colour (the word's label too),
    its true segment, when known, a grey hatched bar under it, and β̂ in a column beside the rows.

    ``fg``: ``step, word, part, onset_s, offset_s, beta`` (+ ``true_start_s, true_end_s``).
    """
    require_columns(fg, ["step", "word", "part", "onset_s", "offset_s"], "finegrained_figure")
    if fg.empty:
        return message_figure("no motion words", title, width)
    width = width or COLUMN_WIDTH
    fg = fg.sort_values("step", kind="stable").reset_index(drop=True)
    parts = [p for p in ordered_parts(fg["part"].astype(str)) if p in set(fg["part"].astype(str))]
    has_truth = {"true_start_s", "true_end_s"} <= set(fg.columns)
    legend_rows = math.ceil((len(parts) + has_truth) / 3)
    fig = new_figure(width, ROW_HEIGHT * 1.25 * len(fg) + 0.55 + 0.16 * legend_rows + (0.25 if title else 0.0), title)
    ax = fig.subplots()
    right = blended_transform_factory(ax.transAxes, ax.transData)
    times: list[float] = []
    for i, rec in enumerate(fg.itertuples(index=False)):
        on, off = finite_float(rec.onset_s), finite_float(rec.offset_s)
        color = part_color(str(rec.part))
        ax.add_patch(Rectangle((on, i - 0.36), max(off - on, 0.0), 0.42, facecolor=color, edgecolor="none", zorder=3))
        start, end = _truth_span(rec)
        if np.isfinite(start) and np.isfinite(end):
            ax.add_patch(Rectangle((start, i + 0.1), end - start, 0.24, facecolor=SEGMENT_COLOR, alpha=0.5,
                                   edgecolor="#888888", lw=0.5, hatch="////", zorder=2))
            times += [start, end]
        times += [on, off]
        beta = finite_float(getattr(rec, "beta", math.nan))
        ax.text(1.02, i, f"{beta:.2f}" if np.isfinite(beta) else "n/a", transform=right, ha="left", va="center",
                fontsize=7.5)
    ax.text(1.02, -0.75, "β̂", transform=right, ha="left", va="center", fontsize=8)
    t = np.asarray(times, dtype=float)
    t = t[np.isfinite(t)]
    lo, hi = (float(t.min()), float(t.max())) if len(t) else (0.0, 1.0)
    pad = 0.02 * max(hi - lo, 1e-6)
    ax.set_xlim(lo - pad, hi + pad)
    ax.set_ylim(len(fg) - 0.5, -0.5)
    ax.set_yticks(range(len(fg)), labels=[str(w) for w in fg["word"]])
    color_part_ticks(ax.get_yticklabels(), [str(p) for p in fg["part"]])
    ax.tick_params(axis="y", length=0)
    ax.grid(axis="y", visible=False)
    for i in range(len(fg) - 1):
        ax.axhline(i + 0.5, color="#E4E4E4", lw=0.5, zorder=0)
    ax.set_xlabel("time (s)")
    handles = [Patch(facecolor=part_color(p), label=part_label(p)) for p in parts]
    if has_truth:
        handles.append(Patch(facecolor=SEGMENT_COLOR, alpha=0.5, edgecolor="#888888", hatch="////",
                             label="true segment"))
    fig.legend(handles=handles, loc="outside lower center", ncols=min(3, len(handles)), handlelength=1.2)
    return fig


__all__ = ["density_figure", "finegrained_figure", "row_label", "DENSITY_GROUPS"]
