"""Figures of attention checked against attribution, static (matplotlib) and interactive (plotly):
per-word part bars (attention beside an attribution method), frame × part attribution maps,
deletion curves and the cascading-randomisation sanity curves. :mod:`.static` and
:mod:`.interactive` re-export them under one name each, as for every other figure.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from matplotlib.figure import Figure
from plotly.subplots import make_subplots

from ..skeletons import PARTS
from .style import (CHANCE_COLOR, MAP_CMAP, PLOTLY_FONT, PLOTLY_MAP_CMAP, PLOTLY_TEMPLATE, TEXT_WIDTH, figure_height,
                    part_label, style)

_METHOD_COLORS = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3")


def _color(i: int) -> str:
    return _METHOD_COLORS[i % len(_METHOD_COLORS)]


def _shares(parts: pd.DataFrame) -> pd.DataFrame:
    """Tidy part rows → each (step, method)'s magnitude shares over the six parts."""
    p = parts.copy()
    p["share"] = p["value"].abs() / p.groupby(["step", "method"])["value"].transform(lambda v: v.abs().sum())
    p["share"] = p["share"].fillna(0.0)
    return p


def _panels(n: int, width: float | None = None, each: float = 1.8) -> tuple[int, int]:
    """Rows and columns of ``n`` panels: up to four a row, or as many of ``each`` inches as fit ``width``."""
    cols = min(4, max(n, 1), max(1, int(width // each)) if width else 4)
    return math.ceil(max(n, 1) / cols), cols


def _word_titles(parts: pd.DataFrame) -> list[tuple[int, str]]:
    return list(parts[["step", "word"]].drop_duplicates().itertuples(index=False, name=None))


# -- static ---------------------------------------------------------------------------------------

def attribution_bars_static(parts: pd.DataFrame, title: str | None = None, *, width: float | None = None) -> Figure:
    """One panel per word of a clip: each method's share of |attribution| per part, side by side
    (attention first). ``parts``: ``step, word, method, part, value``; ``width`` in inches."""
    with style():
        p = _shares(parts)
        words, methods = _word_titles(p), list(dict.fromkeys(p["method"]))
        rows, cols = _panels(len(words), width)
        fig = Figure(figsize=(width or 3.2 * cols, figure_height(2.4 * rows + 0.6)), layout="constrained")
        if title:
            fig.suptitle(title)
        axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
        width = 0.8 / max(len(methods), 1)
        for ax, (step, word) in zip(axes, words):
            for i, m in enumerate(methods):
                sub = p[(p["step"] == step) & (p["method"] == m)].set_index("part").reindex(list(PARTS))
                ax.bar(np.arange(len(PARTS)) + (i - (len(methods) - 1) / 2) * width, sub["share"].fillna(0),
                       width, color=_color(i), label=m)
            ax.set_title(f"{step}: {word}", fontsize=9)
            ax.set_xticks(range(len(PARTS)), [part_label(q) for q in PARTS], rotation=60, fontsize=7)
            ax.set_ylim(0, 1)
        for ax in axes[len(words):]:
            ax.set_axis_off()
        axes[0].set_ylabel("share")
        axes[0].legend(fontsize=7)
        fig.draw_without_rendering()
    return fig


def attribution_map_static(maps: pd.DataFrame, title: str | None = None, *, width: float | None = None) -> Figure:
    """Frame × part attribution of one method for each word of a clip (|value|, each panel scaled
    to its own maximum). ``maps``: ``step, word, part, time_s, value``; ``width`` in inches."""
    with style():
        words = _word_titles(maps)
        rows, cols = _panels(len(words), width, 2.2)
        fig = Figure(figsize=(width or 3.6 * cols, figure_height(2.0 * rows + 0.6)), layout="constrained")
        if title:
            fig.suptitle(title)
        axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
        for ax, (step, word) in zip(axes, words):
            sub = maps[maps["step"] == step]
            mat = sub.pivot_table(index="part", columns="time_s", values="value", sort=False).reindex(list(PARTS))
            vals = np.abs(mat.to_numpy(float))
            t = mat.columns.to_numpy(float)
            ax.imshow(vals, aspect="auto", cmap=MAP_CMAP, interpolation="nearest",
                      extent=(t.min(), t.max(), len(PARTS) - 0.5, -0.5))
            ax.set_yticks(range(len(PARTS)), [part_label(q) for q in PARTS], fontsize=7)
            ax.set_title(f"{step}: {word}", fontsize=9)
            ax.set_xlabel("time (s)", fontsize=8)
        for ax in axes[len(words):]:
            ax.set_axis_off()
        fig.draw_without_rendering()
    return fig


def deletion_static(curves: pd.DataFrame, title: str | None = None, *, width: float | None = None) -> Figure:
    """Comprehensiveness and sufficiency (mean log-probability drop) against the number k of
    parts removed or kept, parts ranked by attention and by attribution; ``width`` in inches."""
    with style():
        fig = Figure(figsize=(width or TEXT_WIDTH, 2.8), layout="constrained")
        if title:
            fig.suptitle(title)
        axes = fig.subplots(1, 2)
        for ax, curve in zip(axes, ("comprehensiveness", "sufficiency")):
            for i, (ranking, sub) in enumerate(curves[curves["curve"] == curve].groupby("ranking", sort=False)):
                ax.plot(sub["k"], sub["mean_drop"], marker="o", color=_color(i), label=f"ranked by {ranking}")
            ax.axhline(0, color=CHANCE_COLOR, lw=0.8)
            ax.set_xticks(sorted(curves["k"].unique()))
            ax.set_title(curve)
            ax.set_xlabel("k parts " + ("removed" if curve == "comprehensiveness" else "kept"))
        axes[0].set_ylabel("drop in log-probability")
        axes[0].legend(fontsize=8)
        fig.draw_without_rendering()
    return fig


def sanity_static(sanity: pd.DataFrame, title: str | None = None, *, width: float | None = None) -> Figure:
    """Rank correlation with the trained model's explanation as layers are randomised, top down;
    ``width`` in inches."""
    with style():
        fig = Figure(figsize=(width or TEXT_WIDTH, 3.0), layout="constrained")
        if title:
            fig.suptitle(title)
        axes = fig.subplots(1, 2, sharey=True)
        labels = list(dict.fromkeys(sanity["randomised"]))
        for ax, res in zip(axes, ("parts", "frames")):
            for i, (e, sub) in enumerate(sanity[sanity["resolution"] == res].groupby("explanation", sort=False)):
                ax.plot(sub["step"], sub["spearman"], marker="o", color=_color(i), label=e)
            ax.axhline(0, color=CHANCE_COLOR, lw=0.8, ls="--")
            ax.set_xticks(range(len(labels)), labels, rotation=60, fontsize=7)
            ax.set_title(f"over {res}")
        axes[0].set_ylabel("Spearman ρ with trained")
        axes[0].legend(fontsize=8)
        fig.draw_without_rendering()
    return fig


# -- interactive ----------------------------------------------------------------------------------

def _layout(fig: go.Figure, title: str | None, height: int) -> go.Figure:
    fig.update_layout(template=PLOTLY_TEMPLATE, font=PLOTLY_FONT, height=height,
                      title={"text": title, "x": 0.01} if title else None)
    return fig


def attribution_bars_interactive(parts: pd.DataFrame, title: str | None = None) -> go.Figure:
    p = _shares(parts)
    words, methods = _word_titles(p), list(dict.fromkeys(p["method"]))
    rows, cols = _panels(len(words))
    fig = make_subplots(rows, cols, subplot_titles=[f"{s}: {w}" for s, w in words])
    for k, (step, _word) in enumerate(words):
        for i, m in enumerate(methods):
            sub = p[(p["step"] == step) & (p["method"] == m)].set_index("part").reindex(list(PARTS))
            fig.add_trace(go.Bar(x=[part_label(q) for q in PARTS], y=sub["share"].fillna(0), name=m,
                                 marker_color=_color(i), legendgroup=m, showlegend=k == 0,
                                 customdata=sub["value"], hovertemplate="%{x}: share %{y:.2f}, value %{customdata:.3g}"),
                          row=k // cols + 1, col=k % cols + 1)
    return _layout(fig, title, 260 * rows + 80)


def attribution_map_interactive(maps: pd.DataFrame, title: str | None = None) -> go.Figure:
    words = _word_titles(maps)
    rows, cols = _panels(len(words))
    fig = make_subplots(rows, cols, subplot_titles=[f"{s}: {w}" for s, w in words])
    for k, (step, _word) in enumerate(words):
        mat = maps[maps["step"] == step].pivot_table(index="part", columns="time_s", values="value",
                                                     sort=False).reindex(list(PARTS))
        fig.add_trace(go.Heatmap(z=np.abs(mat.to_numpy(float)), x=mat.columns, y=[part_label(q) for q in PARTS],
                                 colorscale=PLOTLY_MAP_CMAP, showscale=False,
                                 hovertemplate="%{y} at %{x:.2f} s: %{z:.3g}"), row=k // cols + 1, col=k % cols + 1)
    return _layout(fig, title, 220 * rows + 80)


def deletion_interactive(curves: pd.DataFrame, title: str | None = None) -> go.Figure:
    fig = make_subplots(1, 2, subplot_titles=["comprehensiveness", "sufficiency"])
    for c, curve in enumerate(("comprehensiveness", "sufficiency")):
        for i, (ranking, sub) in enumerate(curves[curves["curve"] == curve].groupby("ranking", sort=False)):
            fig.add_trace(go.Scatter(x=sub["k"], y=sub["mean_drop"], mode="lines+markers", marker_color=_color(i),
                                     name=f"ranked by {ranking}", legendgroup=ranking, showlegend=c == 0),
                          row=1, col=c + 1)
    return _layout(fig, title, 380)


def sanity_interactive(sanity: pd.DataFrame, title: str | None = None) -> go.Figure:
    fig = make_subplots(1, 2, subplot_titles=["over parts", "over frames"], shared_yaxes=True)
    for c, res in enumerate(("parts", "frames")):
        for i, (e, sub) in enumerate(sanity[sanity["resolution"] == res].groupby("explanation", sort=False)):
            fig.add_trace(go.Scatter(x=sub["randomised"], y=sub["spearman"], mode="lines+markers",
                                     marker_color=_color(i), name=e, legendgroup=e, showlegend=c == 0),
                          row=1, col=c + 1)
    return _layout(fig, title, 400)


__all__ = ["attribution_bars_static", "attribution_map_static", "deletion_static", "sanity_static",
           "attribution_bars_interactive", "attribution_map_interactive", "deletion_interactive",
           "sanity_interactive"]
