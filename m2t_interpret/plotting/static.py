"""Static figures (matplotlib, seaborn style): each function takes the tidy tables made by
:mod:`m2t_interpret.analysis` and returns a :class:`matplotlib.figure.Figure`.

Figures are built with ``Figure(...)`` directly — never through pyplot — under :func:`style`
(a ``rc_context``), so plotting leaves matplotlib's backend and rcParams as they were.
Save them with :func:`m2t_interpret.plotting.save_figure`.
"""

from __future__ import annotations

import contextvars
import functools
from typing import Sequence

import numpy as np
import pandas as pd
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import blended_transform_factory

from ..errors import M2TError
from .common import (ablation_panels, action_segments, compare_panels, confusion_shares, density_plan,
                     finegrained_rows, gate_plan, histogram_panels, map_panels, part_bars, temporal_groups,
                     window_curves)
from .style import (part_histograms, BEST_CONSTANT_COLOR, CHANCE_COLOR, CONFUSION_CMAP, FULL_WIDTH, MAP_CMAP,
                    MODEL_BAR_EDGE, SEGMENT_COLOR, word_boxes, text_color, bin_edges, grid_shape, metric_label,
                    ordered_parts, part_color, part_label, series_colors, style, wrap)

#: Set by :func:`side_by_side`: the subfigure the next figure function draws into (instead of a new figure).
_TARGET: contextvars.ContextVar = contextvars.ContextVar("m2t_static_target", default=None)


def _styled(func):
    """Build the figure under :func:`style` and draw it once there, so that every lazily made
    artist (ticks, grid lines) takes the style rather than the global rcParams."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with style():
            fig = func(*args, **kwargs)
            if isinstance(fig, Figure):  # a panel of side_by_side is drawn with its parent
                fig.draw_without_rendering()
        return fig

    return wrapper


def _new_figure(width: float, height: float, title: str | None):
    target = _TARGET.get()
    fig = target if target is not None else Figure(figsize=(width, height), layout="constrained")
    if title:
        fig.suptitle(title)
    return fig


def _message_figure(text: str, title: str | None, size=(4.0, 2.2)) -> Figure:
    """One empty panel that says ``text`` (no data to draw)."""
    fig = _new_figure(*size, title)
    ax = fig.subplots()
    ax.set_axis_off()
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="#555555", fontsize=11)
    return fig


def _color_part_ticks(labels, parts: Sequence[str]) -> None:
    for lab, p in zip(labels, parts):
        lab.set_color(part_color(p))
        lab.set_fontweight("bold")


def _drop_unused(axes: np.ndarray, used: int) -> list:
    flat = list(axes.ravel())
    for ax in flat[used:]:
        ax.remove()
    return flat[:used]


# ----------------------------------------------------------------------------- β̂ densities (Fig. 2a)

@_styled
def density_figure(density: pd.DataFrame, summary: pd.DataFrame, title: str | None = None) -> Figure:
    """β̂ kernel densities per word stem (the paper's Fig. 2a) on a log density axis.

    ``density``: ``stem, beta, density``; ``summary``: ``stem, count`` (+ ``min``; from
    :func:`~m2t_interpret.analysis.beta_summary`). A stem in ``summary`` without a density (all
    its β̂ equal, or one token) is listed as "no spread" and marked by a dashed line at its value.
    """
    plan = density_plan(density, summary)
    fig = _new_figure(5.6, 3.2, title)
    ax = fig.subplots()
    for s in plan.stems:
        if len(s.beta):
            ax.plot(s.beta, s.density, color=s.color, label=s.label, lw=1.4, alpha=0.9)
        elif np.isfinite(s.value):
            ax.axvline(s.value, color=s.color, ls="--", lw=1.2, label=s.label)
        else:
            ax.plot([], [], color=s.color, ls="--", label=s.label)
    ax.set_yscale("log", nonpositive="clip")
    ax.set_ylim(plan.floor, plan.ceiling)
    ax.set_xlim(-0.02, 1.02)
    ax.set_xlabel("β̂ (motion gate)")
    ax.set_ylabel("density (log scale)")
    if plan.stems:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), title="words (grouped by stem)", alignment="left")
    else:
        ax.text(0.5, 0.5, "no words", ha="center", va="center", transform=ax.transAxes, color="#555555")
    return fig


# ----------------------------------------------------------------------------- max-attention histograms (Fig. 2b / 4)

@_styled
def histogram_figure(hist: pd.DataFrame, title: str | None = None) -> Figure:
    """Per-part histograms of each token's maximum attention α·Γ, one panel per stem (Fig. 2b/4),
    titled by its word.

    ``hist``: ``stem, part, bin_left, bin_right, count, total`` (+ ``word``, the title).
    """
    panels = histogram_panels(hist)
    if not panels:
        return _message_figure("no words", title)
    nrows, ncols = grid_shape(len(panels), 3)
    fig = _new_figure(2.45 * ncols + 0.3, 2.0 * nrows + 0.55, title)
    axes = _drop_unused(fig.subplots(nrows, ncols, squeeze=False, sharex=True), len(panels))
    handles = {}
    for k, (ax, (_, sub, name, total)) in enumerate(zip(axes, panels)):
        for part, edges, counts, _ in part_histograms(sub):
            c = part_color(part)
            ax.stairs(counts, edges, color=c, fill=True, alpha=0.10, lw=0)
            handles[part] = ax.stairs(counts, edges, color=c, lw=1.4, label=part_label(part))
        ax.set_title(f"{name} — Total # words: {total}")
        ax.set_xlim(0, 1)
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        if k // ncols == nrows - 1 or k + ncols >= len(panels):
            ax.set_xlabel("max attention α·Γ")
            ax.tick_params(labelbottom=True)
        if k % ncols == 0:
            ax.set_ylabel("count")
    order = [p for p in ordered_parts(handles) if p in handles]
    fig.legend([handles[p] for p in order], [part_label(p) for p in order], loc="outside lower center",
               ncols=len(order), handlelength=1.5, columnspacing=1.2)
    return fig


# ----------------------------------------------------------------------------- part identification

def _draw_reference_ticks(ax, x, chance, best, width, horizontal=False):
    """Short lines across bar ``x``: chance dashed grey, best constant solid dark."""
    for value, color, ls in ((chance, CHANCE_COLOR, (0, (2.5, 1.5))), (best, BEST_CONSTANT_COLOR, "-")):
        if np.isfinite(value):
            if horizontal:
                ax.plot([value, value], [x - width / 2, x + width / 2], color=color, ls=ls, lw=2.0,
                        solid_capstyle="butt", zorder=4)
            else:
                ax.plot([x - width / 2, x + width / 2], [value, value], color=color, ls=ls, lw=2.0,
                        solid_capstyle="butt", zorder=4)


def _reference_handles() -> list:
    return [Line2D([], [], color=CHANCE_COLOR, ls=(0, (2.5, 1.5)), lw=2.0, label="chance"),
            Line2D([], [], color=BEST_CONSTANT_COLOR, ls="-", lw=2.0, label="best constant")]


def _confusion_panel(ax, confusion: pd.DataFrame):
    """Row-normalised colour, counts annotated; rows true part, columns predicted part."""
    rows, cols, counts, share = confusion_shares(confusion)
    cmap = mpl.colormaps[CONFUSION_CMAP].with_extremes(bad="#F0F0F0")
    image = ax.imshow(np.ma.masked_invalid(share), cmap=cmap, vmin=0, vmax=1, aspect="equal")
    for i in range(len(rows)):
        for j in range(len(cols)):
            v = share[i, j]
            color = "#888888" if not np.isfinite(v) else ("white" if v > 0.6 else "black")
            ax.text(j, i, f"{int(counts[i, j])}", ha="center", va="center", fontsize=7.5, color=color)
    ax.set_xticks(range(len(cols)), labels=[part_label(c) for c in cols], rotation=40, ha="right",
                  rotation_mode="anchor")
    ax.set_yticks(range(len(rows)), labels=[part_label(r) for r in rows])
    _color_part_ticks(ax.get_xticklabels(), cols)
    _color_part_ticks(ax.get_yticklabels(), rows)
    ax.set_xlabel("predicted part (most attended)")
    ax.set_ylabel("true part")
    ax.grid(False)
    for side in ("top", "right", "left", "bottom"):
        ax.spines[side].set_visible(False)
    ax.tick_params(length=0)
    return image


@_styled
def parts_figure(scores: pd.DataFrame, confusion: pd.DataFrame | None, title: str | None = None) -> Figure:
    """Part identification: pointing accuracy per word category with chance and best-constant
    marks (left) and the true × predicted part confusion matrix (right, row-normalised colour).

    ``scores``: ``group, name, n, pointing, chance, best_constant``; ``confusion``: counts indexed
    by true part with one column per predicted part. Empty ``scores``: a "no ground truth" panel.
    """
    rows, colors = part_bars(scores)
    if rows.empty:
        return _message_figure("no ground truth", title)
    has_conf = isinstance(confusion, pd.DataFrame) and not confusion.empty
    fig = _new_figure(FULL_WIDTH if has_conf else 3.8, 3.3, title)
    if has_conf:
        ax, ax_conf = fig.subplots(1, 2, width_ratios=[1.15, 1.0])
    else:
        ax = fig.subplots()
    x = np.arange(len(rows))
    width = 0.62
    values = rows["pointing"].to_numpy(float)
    ax.bar(x, np.nan_to_num(values), width=width, color=colors, edgecolor=MODEL_BAR_EDGE, lw=0.8, zorder=3,
           label="model")
    for xi, v, c, b in zip(x, values, rows["chance"].to_numpy(float), rows["best_constant"].to_numpy(float)):
        _draw_reference_ticks(ax, xi, c, b, width + 0.12)
        if np.isfinite(v):
            ax.text(xi, v + 0.015, f"{v:.2f}", ha="center", va="bottom", fontsize=7.5)
    if (rows["group"].astype(str) == "all").any() and (rows["group"].astype(str) == "category").any():
        ax.axvline(x[-1] - 0.5, color="#999999", lw=0.8)
    ax.set_xticks(x, labels=[f"{wrap(n, 8)}\n(n={int(k)})" for n, k in zip(rows["name"], rows["n"])])
    ax.set_ylim(0, 1.12)
    ax.set_yticks(np.linspace(0, 1, 6))
    ax.set_ylabel("pointing accuracy")
    ax.set_xlim(-0.6, len(rows) - 0.4)
    ax.grid(axis="x", visible=False)
    ax.legend(handles=[Patch(facecolor=colors[0], edgecolor=MODEL_BAR_EDGE, label="model")] + _reference_handles(), loc="lower left",
              bbox_to_anchor=(0.0, 1.0), ncols=3, borderaxespad=0.2)
    if has_conf:
        image = _confusion_panel(ax_conf, confusion)
        fig.colorbar(image, ax=ax_conf, label="share of the true part's words", shrink=0.85)
    return fig


# ----------------------------------------------------------------------------- temporal window (Fig. 5)

@_styled
def onset_figure(curves: pd.DataFrame, segments: pd.DataFrame | None, title: str | None = None) -> Figure:
    """Temporal windows Γ over time for the motion words of one clip (Fig. 5), the true action
    segments shaded, and the interval threshold Γ = 0.5 dashed.

    ``curves``: ``step, word, beta, time_s, window`` (+ ``motion``: only motion words are drawn
    when any is marked); ``segments``: ``action, start_s, end_s`` (may be empty or None).
    """
    lines = window_curves(curves)
    if not lines:
        return _message_figure("no words", title)
    fig = _new_figure(6.4, 3.0, title)
    ax = fig.subplots()
    segments = action_segments(segments)
    has_segments = segments is not None
    if has_segments:
        label_tf = blended_transform_factory(ax.transData, ax.transAxes)
        for i, seg in enumerate(segments.itertuples(index=False)):
            ax.axvspan(seg.start_s, seg.end_s, color=SEGMENT_COLOR, alpha=0.22 if i % 2 == 0 else 0.38, lw=0,
                       zorder=0)
            ax.text((seg.start_s + seg.end_s) / 2, 0.985, wrap(str(seg.action).replace("_", " "), 16),
                    transform=label_tf, ha="center", va="top", fontsize=7.5, color="#444444", style="italic")
    ax.axhline(0.5, color="#555555", ls="--", lw=0.9, zorder=1)
    handles = []
    for curve in lines:
        (line,) = ax.plot(curve.time, curve.window, color=curve.color, lw=1.6, label=curve.label, zorder=3)
        handles.append(line)
    handles.append(Line2D([], [], color="#555555", ls="--", lw=0.9, label="Γ = 0.5 (interval threshold)"))
    if has_segments:
        handles.append(Patch(color=SEGMENT_COLOR, alpha=0.4, label="true action segment"))
    t = np.concatenate([curve.time for curve in lines])
    lo, hi = float(np.nanmin(t)), float(np.nanmax(t))
    if has_segments:
        lo, hi = min(lo, float(segments["start_s"].min())), max(hi, float(segments["end_s"].max()))
    ax.set_xlim(lo, hi if hi > lo else lo + 1)
    ax.set_ylim(0, 1.2 if has_segments else 1.05)
    ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
    ax.set_xlabel("time (s)")
    ax.set_ylabel("temporal window Γ")
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig


# ----------------------------------------------------------------------------- temporal scores

@_styled
def temporal_scores_figure(scores: pd.DataFrame, title: str | None = None) -> Figure:
    """Temporal localisation scores as grouped bars: one row of panels per clip group, one bar
    group per metric, one bar per answer (the model, chance, the best constant answer).

    ``scores``: ``clips, answer, n`` and the metrics ``mu_in_segment, mean_tiou, R@1 IoU≥0.3,
    R@1 IoU≥0.5, R@1 IoU≥0.7`` (those present are drawn).
    """
    metrics, colors, groups = temporal_groups(scores)
    if scores.empty:
        return _message_figure("no temporal scores", title)
    answers = list(colors)
    fig = _new_figure(FULL_WIDTH, 1.45 * len(groups) + 0.9, title)
    axes = fig.subplots(len(groups), 1, squeeze=False, sharex=True)[:, 0]
    width = 0.8 / len(answers)
    x = np.arange(len(metrics))
    for ax, g in zip(axes, groups):
        for i, a, vals, _ in g.bars:
            ax.bar(x - 0.4 + width * (i + 0.5), np.nan_to_num(vals), width=width * 0.92, color=colors[a],
                   label=a, zorder=3)
        ax.set_title(g.title, loc="left")
        ax.set_ylim(0, 1.04)
        ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
        ax.set_ylabel("score")
        ax.grid(axis="x", visible=False)
    axes[-1].set_xticks(x, labels=[metric_label(m) for m in metrics])
    handles = [Patch(color=colors[a], label=a) for a in answers]
    fig.legend(handles=handles, loc="outside upper center", ncols=1 if max(map(len, answers)) > 40 else
               len(answers))
    return fig


# ----------------------------------------------------------------------------- gate separation

@_styled
def gate_figure(tokens: pd.DataFrame, separation: pd.DataFrame, title: str | None = None) -> Figure:
    """β̂ of motion words vs other words (density-normalised histograms, log axis) with the best
    threshold; AUROC in the panel title.

    ``tokens``: ``beta, motion``; ``separation``: one row with ``auroc, chance_auroc,
    best_threshold, accuracy`` (+ ``labels``).
    """
    plan = gate_plan(tokens, separation)
    fig = _new_figure(5.0, 3.4, title)
    ax = fig.subplots()
    bins = np.linspace(0, 1, 41)
    handles = []
    for name, color, v in plan.groups:
        ax.hist(v, bins=bins, density=True, histtype="stepfilled", color=color, alpha=0.25, lw=0)
        ax.hist(v, bins=bins, density=True, histtype="step", color=color, lw=1.5)
        handles.append(Patch(facecolor=(*to_rgb(color), 0.25), edgecolor=color, label=f"{name} (n={len(v)})"))
    threshold, acc = plan.threshold, plan.accuracy
    if np.isfinite(threshold):
        ax.axvline(threshold, color="black", ls="--", lw=1.1)
        handles.append(Line2D([], [], color="black", ls="--", lw=1.1,
                              label=f"best threshold {threshold:.2f}" +
                              (f" (accuracy {acc:.2f})" if np.isfinite(acc) else "")))
    ax.set_yscale("log")
    ax.set_xlim(0, 1)
    ax.set_xlabel("β̂ (motion gate)")
    ax.set_ylabel("density (log scale)")
    ax.set_title(plan.headline + (f" — labels: {plan.labels}" if plan.labels else ""), loc="left")
    if handles:
        fig.legend(handles=handles, loc="outside lower center", ncols=2)
    else:
        ax.text(0.5, 0.5, "no words", ha="center", va="center", transform=ax.transAxes, color="#555555")
    return fig


# ----------------------------------------------------------------------------- attention map (Fig. 7)

@_styled
def map_figure(attention_map: pd.DataFrame, title: str | None = None) -> Figure:
    """The spatio-temporal attention map α·Γ of one clip (Fig. 7): one heatmap panel per token
    (parts on y in part order, time on x), shared colour scale [0, 1].

    ``attention_map``: ``step, word, beta, part, frame, time_s, value``.
    """
    panels, nrows, ncols = map_panels(attention_map)
    if not panels:
        return _message_figure("no tokens", title)
    n = len(panels)
    fig = _new_figure(6.2 if ncols == 1 else FULL_WIDTH, 1.05 * nrows + 0.75, title)
    axes = _drop_unused(fig.subplots(nrows, ncols, squeeze=False, sharex=True), n)
    mesh = None
    for k, (ax, panel) in enumerate(zip(axes, panels)):
        parts, times, values = panel.parts, panel.times, panel.values
        mesh = ax.pcolormesh(bin_edges(times), np.arange(len(parts) + 1), values, cmap=MAP_CMAP, vmin=0, vmax=1,
                             shading="flat", rasterized=True)
        ax.set_yticks(np.arange(len(parts)) + 0.5, labels=[part_label(p) for p in parts], fontsize=7)
        _color_part_ticks(ax.get_yticklabels(), parts)
        ax.set_ylim(len(parts), 0)
        ax.set_title(panel.title, loc="left", fontsize=8.5, pad=2)
        ax.grid(False)
        ax.tick_params(length=2)
        if k + ncols >= n:
            ax.set_xlabel("time (s)")
            ax.tick_params(labelbottom=True)
    fig.colorbar(mesh, ax=axes, label="attention α·Γ", shrink=min(1.0, 3.0 / nrows + 0.2), aspect=25)
    return fig


# ----------------------------------------------------------------------------- fine-grained caption (Fig. 6)

@_styled
def finegrained_figure(fg: pd.DataFrame, title: str | None = None) -> Figure:
    """The fine-grained caption as a timeline (Fig. 6): one row per body part, a bar from onset
    to offset for each motion word on its most attended part; the true segments, when known,
    shaded faintly on each of their true parts.

    ``fg``: ``step, word, part, onset_s, offset_s, beta`` (+ ``true_action, true_parts,
    true_start_s, true_end_s``).
    """
    truth, parts, row = finegrained_rows(fg)
    if fg.empty:
        return _message_figure("no motion words", title)
    fig = _new_figure(6.4, 0.42 * len(parts) + 1.1, title)
    ax = fig.subplots()
    times = list(fg["onset_s"].astype(float)) + list(fg["offset_s"].astype(float))
    label_tf = blended_transform_factory(ax.transData, ax.transAxes)
    for action, tparts, start, end in truth:
        times += [start, end]
        for p in tparts:
            ax.add_patch(Rectangle((start, row[p] - 0.46), end - start, 0.92, facecolor=SEGMENT_COLOR, alpha=0.28,
                                   edgecolor="#999999", lw=0.6, hatch="////", zorder=1))
        if action:  # the action's name above the plot, over its segment
            ax.plot([start, end], [1.01, 1.01], transform=label_tf, color="#888888", lw=1.0, clip_on=False,
                    solid_capstyle="butt")
            ax.text((start + end) / 2, 1.02, wrap(action.replace("_", " "), 20), transform=label_tf, ha="center",
                    va="bottom", fontsize=7.5, color="#444444", style="italic")
    for p, color, rec, on, off, y0, height, n_lanes in word_boxes(fg, parts, row):
        ax.add_patch(Rectangle((on, y0), max(off - on, 0.0), height, facecolor=color, edgecolor="white", lw=0.8,
                               zorder=3))
        ax.text((on + off) / 2, y0 + height / 2, str(rec.word), ha="center", va="center",
                fontsize=8 if n_lanes < 3 else 6.5, color=text_color(color), zorder=4, fontweight="bold")
    t = np.asarray(times, dtype=float)
    t = t[np.isfinite(t)]
    lo, hi = (float(t.min()), float(t.max())) if len(t) else (0.0, 1.0)
    pad = 0.03 * max(hi - lo, 1e-6)
    ax.set_xlim(lo - pad, hi + pad)
    ax.set_ylim(len(parts) - 0.5, -0.5)
    ax.set_yticks(range(len(parts)), labels=[part_label(p) for p in parts])
    _color_part_ticks(ax.get_yticklabels(), parts)
    ax.grid(axis="y", visible=False)
    for i in range(len(parts) - 1):
        ax.axhline(i + 0.5, color="#DDDDDD", lw=0.6, zorder=0)
    ax.set_xlabel("time (s)")
    if truth:
        fig.legend(handles=[Patch(facecolor=SEGMENT_COLOR, alpha=0.4, edgecolor="#999999", hatch="////",
                                  label="true action segment (on its true parts)")],
                   loc="outside lower right")
    return fig


# ----------------------------------------------------------------------------- gate ablation

@_styled
def ablation_figure(scores: pd.DataFrame, title: str | None = None) -> Figure:
    """Caption scores with the adaptive gate and with β̂ pinned: one small panel per metric.

    ``scores``: ``metric, adaptive, <pinned, e.g. "beta=1">, change``.
    """
    names, panels = ablation_panels(scores)
    if not panels:
        return _message_figure("no caption scores", title)
    n = len(panels)
    nrows, ncols = grid_shape(n, 5)
    fig = _new_figure(min(1.5 * ncols + 0.5, FULL_WIDTH), 2.4 * nrows + 0.3, title)
    axes = _drop_unused(fig.subplots(nrows, ncols, squeeze=False), n)
    colors = series_colors(2)
    for ax, panel in zip(axes, panels):
        vals, top = panel.values, panel.top
        ax.bar([0, 1], np.nan_to_num(vals), width=0.7, color=colors, zorder=3)
        for xi, v in zip([0, 1], vals):
            ax.text(xi, (v if np.isfinite(v) else 0) + 0.02 * top, f"{v:.3f}" if np.isfinite(v) else "n/a",
                    ha="center", va="bottom", fontsize=7.5)
        ax.set_title(panel.title("\n"))
        ax.set_xticks([0, 1], labels=names)
        ax.set_ylim(0, top * 1.18)
        ax.set_xlim(-0.6, 1.6)
        ax.grid(axis="x", visible=False)
    axes[0].set_ylabel("score")
    return fig


# ----------------------------------------------------------------------------- comparing models

@_styled
def compare_figure(table: pd.DataFrame, models: Sequence[str], title: str | None = None) -> Figure:
    """Scores of several models side by side: one small panel per score (own x scale, so
    seconds and CIDEr sit beside [0, 1] scores), one bar per model, chance and best-constant lines.

    ``table``: ``score``, one column per model in ``models`` (+ ``chance``, ``best constant``).
    """
    models, panels = compare_panels(table, models)
    if not panels:
        return _message_figure("no scores", title)
    n = len(panels)
    nrows, ncols = grid_shape(n, 3)
    panel_h = 0.24 * len(models) + 0.75
    fig = _new_figure(FULL_WIDTH if ncols > 1 else 3.6, panel_h * nrows + 0.5, title)
    axes = _drop_unused(fig.subplots(nrows, ncols, squeeze=False), n)
    colors = series_colors(len(models))
    y = np.arange(len(models))
    for ax, panel in zip(axes, panels):
        vals, chance, best, unit, top = panel.values, panel.chance, panel.best, panel.unit, panel.top
        ax.barh(y, np.nan_to_num(vals), height=0.7, color=colors, zorder=3)
        for yi, v, c in zip(y, vals, colors):
            if not np.isfinite(v):
                ax.text(0.02 * top, yi, "n/a", va="center", ha="left", fontsize=7, color="#555555")
            elif v >= 0.2 * top:  # inside the bar, at its base (clear of the reference lines)
                ax.text(0.02 * top, yi, f"{v:.3f}", va="center", ha="left", fontsize=7, color=text_color(c),
                        zorder=5, bbox={"facecolor": c, "edgecolor": "none", "pad": 0.6})
            else:
                ax.text(v + 0.02 * top, yi, f"{v:.3f}", va="center", ha="left", fontsize=7, zorder=5)
        for levels, line in ((chance, dict(color=CHANCE_COLOR, ls=(0, (2.5, 1.5)), lw=1.6, zorder=4)),
                             (best, dict(color=BEST_CONSTANT_COLOR, ls="-", lw=1.2, zorder=4))):
            if len(set(levels)) == 1 and np.isfinite(levels[0]):
                ax.axvline(levels[0], **line)
            else:  # each model's own level, across its own bar
                for yi, v in zip(y, levels):
                    if np.isfinite(v):
                        ax.vlines(v, yi - 0.45, yi + 0.45, **line)
        ax.set_xlim(0, top * (1.03 if unit else 1.08))
        if unit:
            ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0], labels=["0", ".25", ".5", ".75", "1"])
        ax.set_ylim(len(models) - 0.4, -0.6)
        ax.set_yticks([])
        ax.grid(axis="y", visible=False)
        ax.set_title(wrap(panel.rec["score"], 40), fontsize=8, loc="left")
        ax.tick_params(axis="x", labelsize=7)
    handles = [Patch(color=c, label=m) for m, c in zip(models, colors)] + _reference_handles()
    fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 5))
    return fig


__all__ = ["density_figure", "histogram_figure", "parts_figure", "onset_figure", "temporal_scores_figure",
           "gate_figure", "map_figure", "finegrained_figure", "ablation_figure", "compare_figure"]


# Attention checked against attribution (defined beside their interactive twins).
import matplotlib as mpl

from .attribution import attribution_bars_static as attribution_bars_figure  # noqa: E402
from .attribution import attribution_map_static as attribution_map_figure  # noqa: E402
from .attribution import deletion_static as deletion_figure  # noqa: E402
from .attribution import sanity_static as sanity_figure  # noqa: E402

# ----------------------------------------------------------------------------- panels side by side

def side_by_side(figure: str, panels: Sequence[tuple[tuple, dict]], titles: Sequence[str],
                 title: str | None = None) -> Figure:
    """One figure holding several drawings of the figure function ``figure`` (a name from
    :data:`m2t_interpret.plotting.FIGURES`) side by side, e.g. one model per panel.

    ``panels``: the ``(args, kwargs)`` of each call; ``titles``: each panel's title (it replaces
    the call's own ``title``). Each panel is drawn by the same function as a figure of its own
    (into a matplotlib subfigure), so the side-by-side figure shows exactly what the single ones do.
    """
    fn = globals().get(figure)
    if figure not in _PANEL_FIGURES or fn is None:
        raise M2TError(f"side_by_side: unknown figure {figure!r}; use one of {', '.join(_PANEL_FIGURES)}")
    if len(panels) != len(titles) or not panels:
        raise M2TError("side_by_side: give one title per panel (and at least one panel)")
    # Each panel's own size, so that the whole keeps every panel's proportions (built, not drawn: cheap).
    build = getattr(fn, "__wrapped__", fn)
    with style():
        sizes = [build(*args, **{**kwargs, "title": t}).get_size_inches() for (args, kwargs), t in zip(panels, titles)]
    width, height = float(sum(w for w, _ in sizes)), float(max(h for _, h in sizes))
    # A panel's title must not run into its neighbour's: wrap it to the panel's width (~11 characters an inch).
    titles = ["\n".join(wrap(line, max(int(w * 11), 20)) for line in str(t).split("\n"))
              for t, (w, _) in zip(titles, sizes)]
    with style():
        fig = Figure(figsize=(width, height + (0.3 if title else 0.0)), layout="constrained")
        if title:
            fig.suptitle(title)
        subs = fig.subfigures(1, len(panels), wspace=0.02, width_ratios=[w for w, _ in sizes], squeeze=False)[0]
        for sub, (args, kwargs), t in zip(subs, panels, titles):
            token = _TARGET.set(sub)
            try:
                fn(*args, **{**kwargs, "title": t})
            finally:
                _TARGET.reset(token)
        fig.draw_without_rendering()
    return fig


_PANEL_FIGURES = ("density_figure", "histogram_figure", "parts_figure", "onset_figure", "temporal_scores_figure",
                  "gate_figure", "map_figure", "finegrained_figure", "ablation_figure")
