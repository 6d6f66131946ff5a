"""Static figures (matplotlib, seaborn style): each function takes the tidy tables made by
:mod:`m2t_interpret.analysis` and returns a :class:`matplotlib.figure.Figure`.

Figures are built with ``Figure(...)`` directly — never through pyplot — under :func:`style`
(a ``rc_context``), so plotting leaves matplotlib's backend and rcParams as they were.
Save them with :func:`m2t_interpret.plotting.save_figure`.

Each is drawn at its printed size: ``width`` in inches (None: the column width, 3.35 in, for a
figure of one panel, the text width, 7.0 in, for one of several), its height following its content
up to 9 in, its text 7–9 pt, its layout chosen for the width (panels a row, legend columns, the
parts figure's matrix beside or under its bars) so that no text runs into another.
"""

from __future__ import annotations

import math
from typing import Sequence

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator, NullFormatter
from matplotlib.transforms import blended_transform_factory

from ..errors import M2TError
from .common import (ablation_panels, action_segments, compare_panels, confusion_shares, gate_plan, histogram_panels,
                     map_panels, part_bars, temporal_groups, window_curves)
from .layout import chars_per_inch, color_part_ticks, message_figure, new_figure, panel_target, styled
from .style import (part_histograms, BEST_CONSTANT_COLOR, CHANCE_COLOR, COLUMN_WIDTH, CONFUSION_CMAP, MAP_CMAP,
                    MAX_HEIGHT, MODEL_BAR_EDGE, SEGMENT_COLOR, TEXT_WIDTH, text_color, bin_edges, grid_shape,
                    metric_label, ordered_parts, part_color, part_label, series_colors, style, wrap)
from .word_rows import density_figure, finegrained_figure


def _drop_unused(axes: np.ndarray, used: int) -> list:
    flat = list(axes.ravel())
    for ax in flat[used:]:
        ax.remove()
    return flat[:used]


def _legend_columns(n: int, width: float, per_entry: float) -> int:
    """Legend columns for ``n`` entries of about ``per_entry`` inches in ``width`` inches."""
    return max(1, min(n, int(width // per_entry)))


# ----------------------------------------------------------------------------- max-attention histograms (Fig. 2b / 4)

@styled
def histogram_figure(hist: pd.DataFrame, title: str | None = None, *, width: float | None = None) -> Figure:
    """Per-part histograms of each token's maximum attention α·Γ, one panel per stem (Fig. 2b/4),
    titled by its word and count; as many panels a row as fit the width (2.2 in each).

    ``hist``: ``stem, part, bin_left, bin_right, count, total`` (+ ``word``, the title).
    """
    panels = histogram_panels(hist)
    if not panels:
        return message_figure("no words", title, width)
    width = width or (TEXT_WIDTH if len(panels) > 1 else COLUMN_WIDTH)
    nrows, ncols = grid_shape(len(panels), max(1, int(width // 2.2)))
    legend_cols = 6 if width >= 5.5 else 3
    fig = new_figure(width, 1.3 * nrows + 0.3 + 0.17 * (6 // legend_cols) + (0.25 if title else 0.0), title)
    axes = _drop_unused(fig.subplots(nrows, ncols, squeeze=False, sharex=True), len(panels))
    handles = {}
    for k, (ax, (_, sub, name, total)) in enumerate(zip(axes, panels)):
        for part, edges, counts, _ in part_histograms(sub):
            c = part_color(part)
            ax.stairs(counts, edges, color=c, fill=True, alpha=0.10, lw=0)
            handles[part] = ax.stairs(counts, edges, color=c, lw=1.1, label=part_label(part))
        ax.set_title(f"{name} (n={total})")
        ax.set_xlim(0, 1)
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
        if k // ncols == nrows - 1 or k + ncols >= len(panels):
            ax.set_xlabel("max attention α·Γ")
            ax.tick_params(labelbottom=True)
        if k % ncols == 0:
            ax.set_ylabel("count")
    order = [p for p in ordered_parts(handles) if p in handles]
    fig.legend([handles[p] for p in order], [part_label(p) for p in order], loc="outside lower center",
               ncols=min(len(order), legend_cols))
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
            ax.text(j, i, f"{int(counts[i, j])}", ha="center", va="center", fontsize=7, color=color)
    ax.set_xticks(range(len(cols)), labels=[part_label(c) for c in cols], rotation=40, ha="right",
                  rotation_mode="anchor")
    ax.set_yticks(range(len(rows)), labels=[part_label(r) for r in rows])
    color_part_ticks(ax.get_xticklabels(), cols)
    color_part_ticks(ax.get_yticklabels(), rows)
    ax.set_xlabel("predicted part\n(most attended)")
    ax.set_ylabel("true part")
    ax.grid(False)
    for side in ("top", "right", "left", "bottom"):
        ax.spines[side].set_visible(False)
    ax.tick_params(length=0)
    return image


@styled
def parts_figure(scores: pd.DataFrame, confusion: pd.DataFrame | None, title: str | None = None, *,
                 width: float | None = None) -> Figure:
    """Part identification: pointing accuracy per word category with chance and best-constant
    marks and the true × predicted part confusion matrix (row-normalised colour): side by side
    from 5.5 in wide, else the matrix under the bars.

    ``scores``: ``group, name, n, pointing, chance, best_constant``; ``confusion``: counts indexed
    by true part with one column per predicted part. Empty ``scores``: a "no ground truth" panel.
    """
    rows, colors = part_bars(scores)
    if rows.empty:
        return message_figure("no ground truth", title, width)
    has_conf = isinstance(confusion, pd.DataFrame) and not confusion.empty
    width = width or (TEXT_WIDTH if has_conf else COLUMN_WIDTH)
    stacked = has_conf and width < 5.5
    extra = 0.25 if title else 0.0
    if not has_conf:
        fig = new_figure(width, 2.5 + extra, title)
        ax = fig.subplots()
    elif stacked:  # two subfigures: the matrix's colour bar and equal aspect must not narrow the bars
        fig = new_figure(width, 2.3 + 0.75 * width + extra, title)
        top, bottom = fig.subfigures(2, 1, height_ratios=[2.3, 0.75 * width])
        ax, ax_conf = top.subplots(), bottom.subplots()
    else:
        fig = new_figure(width, 2.9 + extra, title)
        ax, ax_conf = fig.subplots(1, 2, width_ratios=[1.15, 1.0])
    x = np.arange(len(rows))
    bar = 0.62
    values = rows["pointing"].to_numpy(float)
    ax.bar(x, np.nan_to_num(values), width=bar, color=colors, edgecolor=MODEL_BAR_EDGE, lw=0.8, zorder=3,
           label="model")
    for xi, v, c, b in zip(x, values, rows["chance"].to_numpy(float), rows["best_constant"].to_numpy(float)):
        _draw_reference_ticks(ax, xi, c, b, bar + 0.12)
        if np.isfinite(v):
            ax.text(xi, v + 0.015, f"{v:.2f}", ha="center", va="bottom", fontsize=7)
    if (rows["group"].astype(str) == "all").any() and (rows["group"].astype(str) == "category").any():
        ax.axvline(x[-1] - 0.5, color="#999999", lw=0.8)
    ax.set_xticks(x, labels=[f"{wrap(n, 10)}\nn={int(k)}" for n, k in zip(rows["name"], rows["n"])], fontsize=7)
    ax.set_ylim(0, 1.12)
    ax.set_yticks(np.linspace(0, 1, 6))
    ax.set_ylabel("pointing accuracy")
    ax.set_xlim(-0.6, len(rows) - 0.4)
    ax.grid(axis="x", visible=False)
    ax.legend(handles=[Patch(facecolor=colors[0], edgecolor=MODEL_BAR_EDGE, label="model")] + _reference_handles(), loc="lower left",
              bbox_to_anchor=(0.0, 1.0), ncols=3, borderaxespad=0.2)
    if has_conf:
        image = _confusion_panel(ax_conf, confusion)
        ax_conf.figure.colorbar(image, ax=ax_conf, label="share of the true\npart's words", shrink=0.9, aspect=15)
    return fig


# ----------------------------------------------------------------------------- temporal window (Fig. 5)

def _segment_labels(ax, segments: pd.DataFrame, lo: float, hi: float, axes_width: float) -> None:
    """Each true segment shaded, its action named at the top inside it when the name fits the
    segment's width in two lines of 7 pt (else the name is left to the table and caption)."""
    label_tf = blended_transform_factory(ax.transData, ax.transAxes)
    for i, seg in enumerate(segments.itertuples(index=False)):
        ax.axvspan(seg.start_s, seg.end_s, color=SEGMENT_COLOR, alpha=0.22 if i % 2 == 0 else 0.38, lw=0, zorder=0)
        room = (min(seg.end_s, hi) - max(seg.start_s, lo)) / max(hi - lo, 1e-9) * axes_width
        chars = int(0.85 * room * chars_per_inch(7))  # 15 % spare: glyphs vary in width
        name = wrap(str(seg.action).replace("_", " "), max(chars, 1))
        if chars >= 4 and name.count("\n") < 2 and max(len(line) for line in name.split("\n")) <= chars:
            ax.text((seg.start_s + seg.end_s) / 2, 0.985, name, transform=label_tf, ha="center", va="top",
                    fontsize=7, color="#444444", style="italic")


@styled
def onset_figure(curves: pd.DataFrame, segments: pd.DataFrame | None, title: str | None = None, *,
                 width: float | None = None) -> Figure:
    """Temporal windows Γ over time for the motion words of one clip (Fig. 5), the true action
    segments shaded, and the interval threshold Γ = 0.5 dashed; the legend under the plot.

    ``curves``: ``step, word, beta, time_s, window`` (+ ``motion``: only motion words are drawn
    when any is marked); ``segments``: ``action, start_s, end_s`` (may be empty or None).
    """
    lines = window_curves(curves)
    if not lines:
        return message_figure("no words", title, width)
    width = width or COLUMN_WIDTH
    segments = action_segments(segments)
    has_segments = segments is not None
    entries = len(lines) + 1 + has_segments
    legend_cols = _legend_columns(entries, width, 1.55)
    fig = new_figure(width, 2.2 + 0.16 * math.ceil(entries / legend_cols) + (0.25 if title else 0.0), title)
    ax = fig.subplots()
    t = np.concatenate([curve.time for curve in lines])
    lo, hi = float(np.nanmin(t)), float(np.nanmax(t))
    if has_segments:
        lo, hi = min(lo, float(segments["start_s"].min())), max(hi, float(segments["end_s"].max()))
        _segment_labels(ax, segments, lo, hi, width - 0.55)
    ax.axhline(0.5, color="#555555", ls="--", lw=0.9, zorder=1)
    handles = []
    for curve in lines:
        (line,) = ax.plot(curve.time, curve.window, color=curve.color, lw=1.3, label=curve.label, zorder=3)
        handles.append(line)
    handles.append(Line2D([], [], color="#555555", ls="--", lw=0.9, label="Γ = 0.5 (threshold)"))
    if has_segments:
        handles.append(Patch(color=SEGMENT_COLOR, alpha=0.4, label="true segment"))
    ax.set_xlim(lo, hi if hi > lo else lo + 1)
    ax.set_ylim(0, 1.25 if has_segments else 1.05)
    ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0], labels=["0", "0.25", "0.5", "0.75", "1"])
    ax.set_xlabel("time (s)")
    ax.set_ylabel("temporal window Γ")
    fig.legend(handles=handles, loc="outside lower center", ncols=legend_cols)
    return fig


# ----------------------------------------------------------------------------- temporal scores

@styled
def temporal_scores_figure(scores: pd.DataFrame, title: str | None = None, *, width: float | None = None) -> Figure:
    """Temporal localisation scores as grouped bars: one row of panels per clip group, one bar
    group per metric, one bar per answer (the model, chance, the best constant answer).

    ``scores``: ``clips, answer, n`` and the metrics ``mu_in_segment, mean_tiou, R@1 IoU≥0.3,
    R@1 IoU≥0.5, R@1 IoU≥0.7`` (those present are drawn).
    """
    metrics, colors, groups = temporal_groups(scores)
    if scores.empty:
        return message_figure("no temporal scores", title, width)
    answers = list(colors)
    width = width or TEXT_WIDTH
    legend_cols = _legend_columns(len(answers), width, max(len(a) for a in answers) / chars_per_inch(7.5) + 0.4)
    fig = new_figure(width, 1.2 * len(groups) + 0.45 + 0.16 * math.ceil(len(answers) / legend_cols)
                     + (0.25 if title else 0.0), title)
    axes = fig.subplots(len(groups), 1, squeeze=False, sharex=True)[:, 0]
    bar = 0.8 / len(answers)
    x = np.arange(len(metrics))
    for ax, g in zip(axes, groups):
        for i, a, vals, _ in g.bars:
            ax.bar(x - 0.4 + bar * (i + 0.5), np.nan_to_num(vals), width=bar * 0.92, color=colors[a],
                   label=a, zorder=3)
        ax.set_title(g.title, loc="left")
        ax.set_ylim(0, 1.04)
        ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
        ax.set_ylabel("score")
        ax.grid(axis="x", visible=False)
    chars = int(0.85 * (width - 0.6) / len(metrics) * chars_per_inch(7.5))  # each metric's share of the width
    axes[-1].set_xticks(x, labels=[wrap(metric_label(m), max(chars, 4)) for m in metrics])
    handles = [Patch(color=colors[a], label=a) for a in answers]
    fig.legend(handles=handles, loc="outside upper center", ncols=legend_cols)
    return fig


# ----------------------------------------------------------------------------- gate separation

@styled
def gate_figure(tokens: pd.DataFrame, separation: pd.DataFrame, title: str | None = None, *,
                width: float | None = None) -> Figure:
    """β̂ of motion words vs other words (density-normalised histograms, log axis) with the best
    threshold; AUROC in the panel title.

    ``tokens``: ``beta, motion``; ``separation``: one row with ``auroc, chance_auroc,
    best_threshold, accuracy`` (+ ``labels``).
    """
    plan = gate_plan(tokens, separation)
    width = width or COLUMN_WIDTH
    legend_cols = 1 if width < 5.5 else 3
    fig = new_figure(width, 2.3 + 0.16 * (3 // legend_cols) + (0.25 if title else 0.0), title)
    ax = fig.subplots()
    bins = np.linspace(0, 1, 41)
    handles = []
    for name, color, v in plan.groups:
        ax.hist(v, bins=bins, density=True, histtype="stepfilled", color=color, alpha=0.25, lw=0)
        ax.hist(v, bins=bins, density=True, histtype="step", color=color, lw=1.1)
        handles.append(Patch(facecolor=(*to_rgb(color), 0.25), edgecolor=color, label=f"{name} (n={len(v)})"))
    threshold, acc = plan.threshold, plan.accuracy
    if np.isfinite(threshold):
        ax.axvline(threshold, color="black", ls="--", lw=1.1)
        handles.append(Line2D([], [], color="black", ls="--", lw=1.1,
                              label=f"best threshold {threshold:.2f}" +
                              (f" (accuracy {acc:.2f})" if np.isfinite(acc) else "")))
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))  # 0.01, not 10⁻² with a 5 pt exponent
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_xlim(0, 1)
    ax.set_xlabel("β̂ (motion gate)")
    ax.set_ylabel("density (log scale)")
    head = plan.headline
    if plan.labels:
        labels = f"labels: {plan.labels}"
        head += f"; {labels}" if len(head) + len(labels) + 2 <= (width - 0.6) * chars_per_inch(8.5) else f"\n{labels}"
    ax.set_title(head, loc="left")
    if handles:
        fig.legend(handles=handles, loc="outside lower center", ncols=legend_cols)
    else:
        ax.text(0.5, 0.5, "no words", ha="center", va="center", transform=ax.transAxes, color="#555555")
    return fig


# ----------------------------------------------------------------------------- attention map (Fig. 7)

@styled
def map_figure(attention_map: pd.DataFrame, title: str | None = None, *, width: float | None = None) -> Figure:
    """The spatio-temporal attention map α·Γ of one clip (Fig. 7): one heatmap panel per token
    (parts on y in part order, time on x), shared colour scale [0, 1]; more than eight tokens in
    two columns where the width allows (5.5 in), the colour bar under a single column.

    ``attention_map``: ``step, word, beta, part, frame, time_s, value``.
    """
    panels, _, _ = map_panels(attention_map)
    if not panels:
        return message_figure("no tokens", title, width)
    n = len(panels)
    width = width or (COLUMN_WIDTH if n <= 8 else TEXT_WIDTH)
    nrows, ncols = grid_shape(n, 1 if n <= 8 or width < 5.5 else 2)
    below = ncols == 1 and width < 5.5
    fig = new_figure(width, 1.0 * nrows + (0.85 if below else 0.45) + (0.25 if title else 0.0), title)
    axes = _drop_unused(fig.subplots(nrows, ncols, squeeze=False, sharex=True), n)
    mesh = None
    for k, (ax, panel) in enumerate(zip(axes, panels)):
        parts, times, values = panel.parts, panel.times, panel.values
        mesh = ax.pcolormesh(bin_edges(times), np.arange(len(parts) + 1), values, cmap=MAP_CMAP, vmin=0, vmax=1,
                             shading="flat", rasterized=True)
        ax.set_yticks(np.arange(len(parts)) + 0.5, labels=[part_label(p) for p in parts], fontsize=7)
        color_part_ticks(ax.get_yticklabels(), parts)
        ax.set_ylim(len(parts), 0)
        ax.set_title(panel.title, loc="left", fontsize=8, pad=2)
        ax.grid(False)
        ax.tick_params(length=2)
        if k + ncols >= n:
            ax.set_xlabel("time (s)")
            ax.tick_params(labelbottom=True)
    if below:
        fig.colorbar(mesh, ax=axes, label="attention α·Γ", location="bottom", shrink=0.7, aspect=30)
    else:
        fig.colorbar(mesh, ax=axes, label="attention α·Γ", shrink=min(1.0, 3.0 / nrows + 0.2), aspect=25)
    return fig


# ----------------------------------------------------------------------------- gate ablation

@styled
def ablation_figure(scores: pd.DataFrame, title: str | None = None, *, width: float | None = None) -> Figure:
    """Caption scores with the adaptive gate and with β̂ pinned: one small panel per metric, as
    many a row as fit the width (1.35 in each).

    ``scores``: ``metric, adaptive, <pinned, e.g. "beta=1">, change``.
    """
    names, panels = ablation_panels(scores)
    if not panels:
        return message_figure("no caption scores", title, width)
    n = len(panels)
    width = width or (TEXT_WIDTH if n > 2 else COLUMN_WIDTH)
    nrows, ncols = grid_shape(n, max(1, int(width // 1.35)))
    fig = new_figure(width, 1.9 * nrows + (0.25 if title else 0.0), title)
    axes = _drop_unused(fig.subplots(nrows, ncols, squeeze=False), n)
    colors = series_colors(2)
    for ax, panel in zip(axes, panels):
        vals, top = panel.values, panel.top
        ax.bar([0, 1], np.nan_to_num(vals), width=0.7, color=colors, zorder=3)
        for xi, v in zip([0, 1], vals):
            ax.text(xi, (v if np.isfinite(v) else 0) + 0.02 * top, f"{v:.3f}" if np.isfinite(v) else "n/a",
                    ha="center", va="bottom", fontsize=7)
        ax.set_title(panel.title("\n"))
        ax.set_xticks([0, 1], labels=names)
        ax.set_ylim(0, top * 1.18)
        ax.set_xlim(-0.6, 1.6)
        ax.grid(axis="x", visible=False)
    axes[0].set_ylabel("score")
    return fig


# ----------------------------------------------------------------------------- comparing models

@styled
def compare_figure(table: pd.DataFrame, models: Sequence[str], title: str | None = None, *,
                   width: float | None = None) -> Figure:
    """Scores of several models side by side: one small panel per score (own x scale, so
    seconds and CIDEr sit beside [0, 1] scores), one bar per model, chance and best-constant lines;
    as many panels a row as fit the width (2.2 in each).

    ``table``: ``score``, one column per model in ``models`` (+ ``chance``, ``best constant``).
    """
    models, panels = compare_panels(table, models)
    if not panels:
        return message_figure("no scores", title, width)
    n = len(panels)
    width = width or TEXT_WIDTH
    panel_h = 0.2 * len(models) + 0.7
    handles = [Patch(color=c, label=m) for m, c in zip(models, series_colors(len(models)))] + _reference_handles()
    legend_cols = _legend_columns(len(handles), width, max(len(m) for m in models) / chars_per_inch(7.5) + 0.45)
    extra = 0.16 * math.ceil(len(handles) / legend_cols) + 0.1 + (0.25 if title else 0.0)
    # as many panels a row as the width holds (2.2 in each), more (up to 3) where the rows would not fit the height
    fits = max(1, int((MAX_HEIGHT - extra) // panel_h))
    nrows, ncols = grid_shape(n, min(3, max(1, int(width // 2.2), math.ceil(n / fits))))
    labelled = panel_h * nrows + extra <= MAX_HEIGHT / 0.8  # squeezed further, the values go to the table only
    fig = new_figure(width, panel_h * nrows + extra, title)
    axes = _drop_unused(fig.subplots(nrows, ncols, squeeze=False), n)
    colors = series_colors(len(models))
    y = np.arange(len(models))
    for ax, panel in zip(axes, panels):
        vals, chance, best, unit, top = panel.values, panel.chance, panel.best, panel.unit, panel.top
        ax.barh(y, np.nan_to_num(vals), height=0.7, color=colors, zorder=3)
        for yi, v, c in zip(y, vals, colors):
            if not labelled:
                continue
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
        ax.set_title(wrap(panel.rec["score"], int((width / ncols - 0.15) * chars_per_inch(8))), fontsize=8, loc="left")
        ax.tick_params(axis="x", labelsize=7)
    fig.legend(handles=handles, loc="outside lower center", ncols=legend_cols)
    return fig


__all__ = ["density_figure", "histogram_figure", "parts_figure", "onset_figure", "temporal_scores_figure",
           "gate_figure", "map_figure", "finegrained_figure", "ablation_figure", "compare_figure"]


# Attention checked against attribution (defined beside their interactive twins).
from .attribution import attribution_bars_static as attribution_bars_figure  # noqa: E402
from .attribution import attribution_map_static as attribution_map_figure  # noqa: E402
from .attribution import deletion_static as deletion_figure  # noqa: E402
from .attribution import sanity_static as sanity_figure  # noqa: E402

# ----------------------------------------------------------------------------- panels side by side

def side_by_side(figure: str, panels: Sequence[tuple[tuple, dict]], titles: Sequence[str],
                 title: str | None = None, *, width: float | None = None) -> Figure:
    """One figure holding several drawings of the figure function ``figure`` (a name from
    :data:`m2t_interpret.plotting.FIGURES`) side by side, e.g. one model per panel.

    ``panels``: the ``(args, kwargs)`` of each call; ``titles``: each panel's title (it replaces
    the call's own ``title``). Each panel is drawn by the same function as a figure of its own
    (into a matplotlib subfigure), so the side-by-side figure shows exactly what the single ones do.
    ``width``: the whole figure's width in inches, shared equally by the panels (each laid out for
    its share); None: each panel at its own default width.
    """
    fn = globals().get(figure)
    if figure not in _PANEL_FIGURES or fn is None:
        raise M2TError(f"side_by_side: unknown figure {figure!r}; use one of {', '.join(_PANEL_FIGURES)}")
    if len(panels) != len(titles) or not panels:
        raise M2TError("side_by_side: give one title per panel (and at least one panel)")
    share = None if width is None else float(width) / len(panels)
    # A panel's title must not run into its neighbour's: wrap it to the panel's width.
    build = getattr(fn, "__wrapped__", fn)
    with style():
        widths = [share or build(*args, **{**kwargs, "title": None}).get_size_inches()[0] for args, kwargs in panels]
        titles = ["\n".join(wrap(line, max(int((w - 0.1) * chars_per_inch(9)), 12)) for line in str(t).split("\n"))
                  for t, w in zip(titles, widths)]
        # Each panel's own height at its width, so that the tallest fits (built, not drawn: cheap).
        height = max(build(*args, **{**kwargs, "title": t, "width": w}).get_size_inches()[1]
                     for (args, kwargs), t, w in zip(panels, titles, widths))
    with style():
        fig = Figure(figsize=(sum(widths), min(height + (0.3 if title else 0.0), MAX_HEIGHT)), layout="constrained")
        if title:
            fig.suptitle(title)
        subs = fig.subfigures(1, len(panels), wspace=0.02, width_ratios=widths, squeeze=False)[0]
        for sub, (args, kwargs), t, w in zip(subs, panels, titles, widths):
            with panel_target(sub):
                fn(*args, **{**kwargs, "title": t, "width": w})
        fig.draw_without_rendering()
    return fig


_PANEL_FIGURES = ("density_figure", "histogram_figure", "parts_figure", "onset_figure", "temporal_scores_figure",
                  "gate_figure", "map_figure", "finegrained_figure", "ablation_figure")
