"""Interactive figures (plotly): the same functions, with the same names and arguments, as
:mod:`.static`, returning :class:`plotly.graph_objects.Figure` with hover text.

Colours come from :mod:`.style`, so a part (or stem, model, answer) has the same colour as in the
static figures. Save with :func:`m2t_interpret.plotting.save_figure` (offline HTML: plotly.js embedded,
or one shared ``plotly.min.js`` beside the pages of a folder).
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from matplotlib.colors import to_rgb
from plotly.subplots import make_subplots

from .common import (ablation_panels, action_segments, compare_panels, confusion_shares, density_plan,
                     finegrained_rows, gate_plan, histogram_panels, map_panels, part_bars, temporal_groups,
                     window_curves)
from .style import (part_histograms, BEST_CONSTANT_COLOR, CHANCE_COLOR, MODEL_BAR_EDGE, PLOTLY_CONFUSION_CMAP,
                    PLOTLY_FONT, PLOTLY_MAP_CMAP, PLOTLY_TEMPLATE, SEGMENT_COLOR, finite_float, word_boxes, text_color,
                    grid_shape, metric_label, part_color, part_label, series_colors, stem_label)


def _layout(fig: go.Figure, title: str | None, height: int, width: int | None = None, **kw) -> go.Figure:
    kw.setdefault("margin", {"l": 70, "r": 30, "t": 80 if title else 50, "b": 60})
    fig.update_layout(template=PLOTLY_TEMPLATE, font=PLOTLY_FONT, height=int(height), width=width,
                      title={"text": title, "x": 0.01, "xanchor": "left"} if title else None,
                      hoverlabel={"namelength": -1}, **kw)
    return fig


def _message(text: str, title: str | None) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=text, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False,
                       font={"size": 18, "color": "#555555"})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _layout(fig, title, 300)


def _rgba(color: str, alpha: float) -> str:
    r, g, b = (int(round(255 * c)) for c in to_rgb(color))
    return f"rgba({r},{g},{b},{alpha})"


def _part_tick(part: str) -> str:
    return f'<span style="color:{part_color(part)}"><b>{part_label(part)}</b></span>'


def _html_wrap(text: str, width: int) -> str:

    return "<br>".join(textwrap.wrap(str(text), width)) or str(text)


def _spacing(rows: int, height: float, pixels: float) -> float:
    """Subplot spacing (a fraction) of about ``pixels``, within plotly's limit."""
    if rows <= 1:
        return 0.0
    return min(pixels / max(height, 1.0), 0.9 / (rows - 1))


# ----------------------------------------------------------------------------- β̂ densities

def density_figure(density: pd.DataFrame, summary: pd.DataFrame, title: str | None = None) -> go.Figure:
    """β̂ kernel densities per word stem on a log axis; hover shows β̂, density and the stem's summary."""
    plan = density_plan(density, summary)
    fig = go.Figure()
    for s in plan.stems:
        rec = s.summary.iloc[0] if len(s.summary) else pd.Series(dtype=object)
        stats = [f"<b>{stem_label(s.summary, s.stem)}</b>" + (f" (n={s.count})" if s.count is not None else "")]
        if "words" in rec and isinstance(rec["words"], str):
            stats.append(f"words: {rec['words']}")
        if {"median", "q1", "q3"} <= set(rec.index):
            stats.append(f"median {finite_float(rec['median']):.5f}, "
                         f"IQR [{finite_float(rec['q1']):.5f}, {finite_float(rec['q3']):.5f}]")
        info = "<br>".join(stats)
        if len(s.beta):
            fig.add_trace(go.Scatter(
                x=s.beta, y=s.density, mode="lines", name=s.label, line={"color": s.color, "width": 2},
                hovertemplate=info + "<br>β̂ %{x:.6f}<br>density %{y:.4g}<extra></extra>"))
        else:
            x = [s.value, s.value] if np.isfinite(s.value) else [None]
            y = [plan.floor, plan.ceiling] if np.isfinite(s.value) else [None]
            fig.add_trace(go.Scatter(
                x=x, y=y, mode="lines", name=s.label, line={"color": s.color, "width": 2, "dash": "dash"},
                hovertemplate=info + "<br>all β̂ equal (no spread)<extra></extra>"))
    fig.update_xaxes(title="β̂ (motion gate)", range=[-0.02, 1.02])
    fig.update_yaxes(title="density (log scale)", type="log",
                     range=[math.log10(plan.floor), math.log10(plan.ceiling)])
    return _layout(fig, title, 450, legend={"title": {"text": "words (grouped by stem)"}})


# ----------------------------------------------------------------------------- max-attention histograms

def histogram_figure(hist: pd.DataFrame, title: str | None = None) -> go.Figure:
    """Per-part maximum-attention histograms, one panel per stem; hover shows bin, count and share."""
    panels = histogram_panels(hist)
    if not panels:
        return _message("no words", title)
    nrows, ncols = grid_shape(len(panels), 3)
    height = 300 * nrows + 120
    titles = [f"{name} — Total # words: {total}" for _, _, name, total in panels]
    fig = make_subplots(rows=nrows, cols=ncols, subplot_titles=titles, shared_xaxes=True,
                        vertical_spacing=_spacing(nrows, height, 70), horizontal_spacing=0.06)
    shown = set()
    for k, (_, sub, name, _) in enumerate(panels):
        r, c = k // ncols + 1, k % ncols + 1
        for part, edges, counts, total in part_histograms(sub):
            share = np.divide(counts, total, out=np.zeros_like(counts), where=total > 0)
            color = part_color(part)
            fig.add_trace(go.Scatter(
                x=edges, y=np.append(counts, counts[-1]), mode="lines", line={"shape": "hv", "color": color,
                                                                                "width": 2},
                fill="tozeroy", fillcolor=_rgba(color, 0.08), name=part_label(part), legendgroup=part,
                showlegend=part not in shown,
                customdata=np.column_stack([np.append(edges[1:], edges[-1]), np.append(share, share[-1])]),
                hovertemplate=(f"<b>{name}</b> — {part_label(part)}"
                               "<br>α·Γ in [%{x:.2f}, %{customdata[0]:.2f})"
                               "<br>count %{y:d} (%{customdata[1]:.0%} of the words)<extra></extra>")),
                row=r, col=c)
            shown.add(part)
        fig.update_xaxes(range=[0, 1], row=r, col=c)
        if r == nrows or k + ncols >= len(panels):
            fig.update_xaxes(title="max attention α·Γ", showticklabels=True, row=r, col=c)
        if c == 1:
            fig.update_yaxes(title="count", row=r, col=c)
    fig.update_yaxes(rangemode="tozero")
    return _layout(fig, title, height, legend={"orientation": "h", "y": -0.18 if nrows == 1 else -0.08,
                                               "x": 0.5, "xanchor": "center"})


# ----------------------------------------------------------------------------- part identification

def parts_figure(scores: pd.DataFrame, confusion: pd.DataFrame | None, title: str | None = None) -> go.Figure:
    """Pointing accuracy per word category (chance and best-constant marks) and the part confusion matrix."""
    rows, colors = part_bars(scores)
    if rows.empty:
        return _message("no ground truth", title)
    has_conf = isinstance(confusion, pd.DataFrame) and not confusion.empty
    fig = make_subplots(rows=1, cols=2 if has_conf else 1, horizontal_spacing=0.16,
                        subplot_titles=["pointing accuracy per word category", "true × predicted part"][
                            :2 if has_conf else 1])
    labels = [f"{_html_wrap(n, 10)}<br>(n={int(k)})" for n, k in zip(rows["name"], rows["n"])]
    corr = rows["correctness"].to_numpy(float) if "correctness" in rows else np.full(len(rows), np.nan)
    bcp = rows["best_constant_part"].astype(str).to_numpy() if "best_constant_part" in rows else [""] * len(rows)
    custom = np.column_stack([rows["n"].to_numpy(float), corr, rows["chance"].to_numpy(float),
                              rows["best_constant"].to_numpy(float), np.asarray(bcp, dtype=object)])
    fig.add_trace(go.Bar(
        x=labels, y=rows["pointing"].to_numpy(float), marker={"color": colors, "line": {"color": MODEL_BAR_EDGE,
                                                                                          "width": 1}},
        name="model", customdata=custom,
        text=[f"{v:.2f}" for v in rows["pointing"].to_numpy(float)], textposition="outside",
        hovertemplate=("<b>%{x}</b><br>pointing %{y:.3f}<br>attention correctness %{customdata[1]:.3f}"
                       "<br>chance %{customdata[2]:.3f}<br>best constant %{customdata[3]:.3f} "
                       "(always %{customdata[4]})<extra></extra>")), row=1, col=1)
    for col, color, name, dash in (("chance", CHANCE_COLOR, "chance", "dash"),
                                   ("best_constant", BEST_CONSTANT_COLOR, "best constant", "solid")):
        fig.add_trace(go.Scatter(
            x=labels, y=rows[col].to_numpy(float), mode="markers", name=name,
            marker={"symbol": "line-ew-open", "size": 44, "color": color, "line": {"width": 3, "color": color}},
            hovertemplate=f"<b>%{{x}}</b><br>{name} %{{y:.3f}}<extra></extra>"), row=1, col=1)
    fig.update_yaxes(title="pointing accuracy", range=[0, 1.12], row=1, col=1)
    fig.update_xaxes(tickangle=0, row=1, col=1)
    if has_conf:
        rparts, cparts, counts, share = confusion_shares(confusion)
        z = [[None if not np.isfinite(v) else float(v) for v in row] for row in share]
        fig.add_trace(go.Heatmap(
            z=z, x=[_part_tick(p) for p in cparts], y=[_part_tick(p) for p in rparts],
            text=counts.astype(int).astype(str), texttemplate="%{text}", colorscale=PLOTLY_CONFUSION_CMAP, zmin=0,
            zmax=1, showscale=True, colorbar={"title": {"text": "share of<br>the row"}, "x": 1.02},
            hovertemplate="true %{y}<br>predicted %{x}<br>%{text} words (%{z:.0%} of the true part's)<extra></extra>",
            name="confusion"), row=1, col=2)
        fig.update_xaxes(title="predicted part (most attended)", row=1, col=2)
        fig.update_yaxes(title="true part", autorange="reversed", row=1, col=2)
    return _layout(fig, title, 500, legend={"orientation": "h", "y": 1.0 + 60 / 500, "x": 0.0, "yanchor": "bottom"},
                   margin={"l": 70, "r": 30, "t": 120 if title else 100, "b": 60})


# ----------------------------------------------------------------------------- temporal window

def onset_figure(curves: pd.DataFrame, segments: pd.DataFrame | None, title: str | None = None) -> go.Figure:
    """Temporal windows Γ over time for the motion words of one clip, the true segments shaded."""
    lines = window_curves(curves)
    if not lines:
        return _message("no words", title)
    fig = go.Figure()
    segments = action_segments(segments)
    if segments is not None:
        for i, seg in enumerate(segments.itertuples(index=False)):
            fig.add_vrect(x0=seg.start_s, x1=seg.end_s, fillcolor=SEGMENT_COLOR, opacity=0.25 if i % 2 == 0 else 0.4,
                          layer="below", line_width=0, annotation_text=f"<i>{str(seg.action).replace('_', ' ')}</i>",
                          annotation_position="top", annotation_font_size=11)
    fig.add_hline(y=0.5, line_dash="dash", line_color="#555555", line_width=1,
                  annotation_text="Γ = 0.5 (interval threshold)", annotation_position="bottom right",
                  annotation_font_size=10)
    for line in lines:
        extra = ""
        if {"mu_s", "onset_s", "offset_s"} <= set(line.rows.columns):
            r0 = line.rows.iloc[0]
            extra = (f"<br>centre μ {finite_float(r0['mu_s']):.2f} s<br>interval "
                     f"{finite_float(r0['onset_s']):.2f}–{finite_float(r0['offset_s']):.2f} s")
        fig.add_trace(go.Scatter(
            x=line.time, y=line.window, mode="lines", name=line.label, line={"color": line.color, "width": 2.5},
            hovertemplate=(f"<b>{line.label}</b> (step {int(line.step)})<br>t %{{x:.2f}} s<br>Γ %{{y:.3f}}{extra}"
                           "<extra></extra>")))
    fig.update_xaxes(title="time (s)")
    fig.update_yaxes(title="temporal window Γ", range=[0, 1.12])
    return _layout(fig, title, 420)


# ----------------------------------------------------------------------------- temporal scores

def temporal_scores_figure(scores: pd.DataFrame, title: str | None = None) -> go.Figure:
    """Temporal localisation scores: one panel per clip group, grouped bars per metric and answer."""
    metrics, colors, groups = temporal_groups(scores)
    if scores.empty:
        return _message("no temporal scores", title)
    height = 230 * len(groups) + 170
    fig = make_subplots(rows=len(groups), cols=1, shared_xaxes=True, subplot_titles=[g.title for g in groups],
                        vertical_spacing=_spacing(len(groups), height, 55))
    labels = [metric_label(m) for m in metrics]
    for i, g in enumerate(groups):
        for _, a, vals, n in g.bars:
            fig.add_trace(go.Bar(
                x=labels, y=vals, name=a, legendgroup=a, showlegend=i == 0, marker_color=colors[a],
                hovertemplate=(f"<b>{a}</b><br>{g.title}<br>%{{x}} %{{y:.3f}}"
                               + (f"<br>n {int(n)}" if np.isfinite(n) else "") + "<extra></extra>")),
                row=i + 1, col=1)
        fig.update_yaxes(title="score", range=[0, 1.04], row=i + 1, col=1)
    return _layout(fig, title, height, barmode="group",
                   legend={"orientation": "h", "y": 1.0 + 110 / height, "x": 0.0, "yanchor": "top"},
                   margin={"l": 70, "r": 30, "t": 140 if title else 120, "b": 50})


# ----------------------------------------------------------------------------- gate separation

def gate_figure(tokens: pd.DataFrame, separation: pd.DataFrame, title: str | None = None) -> go.Figure:
    """β̂ of motion words vs other words (density histograms, log axis), the best threshold, AUROC."""
    plan = gate_plan(tokens, separation)
    fig = go.Figure()
    for name, color, v in plan.groups:
        fig.add_trace(go.Histogram(
            x=v, xbins={"start": 0.0, "end": 1.0, "size": 0.025}, histnorm="probability density",
            name=f"{name} (n={len(v)})", marker={"color": _rgba(color, 0.45), "line": {"color": color, "width": 1}},
            hovertemplate=f"<b>{name}</b><br>β̂ in %{{x}}<br>density %{{y:.3g}}<extra></extra>"))
    if np.isfinite(plan.threshold):
        fig.add_vline(x=plan.threshold, line_dash="dash", line_color="black", line_width=1.5,
                      annotation_text=f"best threshold {plan.threshold:.2f}" +
                      (f" (accuracy {plan.accuracy:.2f})" if np.isfinite(plan.accuracy) else ""),
                      annotation_position="top")
    head = plan.headline + (f" — labels: {plan.labels}" if plan.labels else "")
    fig.update_xaxes(title="β̂ (motion gate)", range=[0, 1])
    fig.update_yaxes(title="density (log scale)", type="log")
    return _layout(fig, f"{title}<br><sup>{head}</sup>" if title else head, 430, barmode="overlay",
                   margin={"l": 70, "r": 30, "t": 90, "b": 60})


# ----------------------------------------------------------------------------- attention map

def map_figure(attention_map: pd.DataFrame, title: str | None = None) -> go.Figure:
    """The spatio-temporal attention map α·Γ of one clip: one heatmap per token, shared colour scale."""
    panels, nrows, ncols = map_panels(attention_map)
    if not panels:
        return _message("no tokens", title)
    height = 170 * nrows + 110
    fig = make_subplots(rows=nrows, cols=ncols, shared_xaxes=True, subplot_titles=[p.title for p in panels],
                        vertical_spacing=_spacing(nrows, height, 40), horizontal_spacing=0.1)
    for k, p in enumerate(panels):
        r, c = k // ncols + 1, k % ncols + 1
        z = [[None if not np.isfinite(v) else float(v) for v in row] for row in p.values]
        fig.add_trace(go.Heatmap(
            z=z, x=p.times, y=[_part_tick(part) for part in p.parts], coloraxis="coloraxis", name=str(p.word),
            hovertemplate=(f"<b>{p.title}</b> (step {int(p.step)})<br>%{{y}}<br>t %{{x:.2f}} s"
                           "<br>α·Γ %{z:.3f}<extra></extra>")), row=r, col=c)
        fig.update_yaxes(autorange="reversed", row=r, col=c)
        if k + ncols >= len(panels):
            fig.update_xaxes(title="time (s)", showticklabels=True, row=r, col=c)
    fig.update_layout(coloraxis={"colorscale": PLOTLY_MAP_CMAP, "cmin": 0, "cmax": 1,
                                 "colorbar": {"title": {"text": "α·Γ"}, "len": min(1.0, 500 / height)}})
    return _layout(fig, title, height)


# ----------------------------------------------------------------------------- fine-grained caption

def finegrained_figure(fg: pd.DataFrame, title: str | None = None) -> go.Figure:
    """The fine-grained caption as a timeline: parts on y, a bar per motion word, true segments faint."""
    truth, parts, row = finegrained_rows(fg)
    if fg.empty:
        return _message("no motion words", title)
    fig = go.Figure()
    for j, (action, tparts, start, end) in enumerate(truth):
        xs, ys = [], []
        for p in tparts:
            y0, y1 = row[p] - 0.46, row[p] + 0.46
            xs += [start, end, end, start, start, None]
            ys += [y0, y0, y1, y1, y0, None]
        name = f"true segment: {action.replace('_', ' ')}" if action else "true segment"
        fig.add_trace(go.Scatter(
            x=xs, y=ys, mode="lines", fill="toself", fillcolor=_rgba(SEGMENT_COLOR, 0.35),
            line={"color": "#999999", "width": 1}, name=name, legendgroup="truth",
            hoveron="fills", hoverinfo="text",
            text=f"{name}<br>{start:.2f}–{end:.2f} s<br>parts: {', '.join(part_label(p) for p in tparts)}"))
    tx, ty, tt, tc = [], [], [], []
    for p, color, rec, on, off, y0, height, _ in word_boxes(fg, parts, row):
        y1 = y0 + height
        beta = finite_float(getattr(rec, "beta", math.nan))
        text = (f"<b>{rec.word}</b> (step {int(rec.step)})<br>{part_label(p)}<br>{on:.2f}–{off:.2f} s"
                + (f"<br>β̂ {beta:.3f}" if np.isfinite(beta) else ""))
        fig.add_trace(go.Scatter(
            x=[on, off, off, on, on], y=[y0, y0, y1, y1, y0], mode="lines", fill="toself", fillcolor=color,
            line={"color": "white", "width": 1}, name=f"{rec.word} → {part_label(p)}", showlegend=False,
            hoveron="fills", hoverinfo="text", text=text))
        tx.append((on + off) / 2)
        ty.append((y0 + y1) / 2)
        tt.append(f"<b>{rec.word}</b>")
        tc.append(text_color(color))
    fig.add_trace(go.Scatter(x=tx, y=ty, mode="text", text=tt, textfont={"color": tc, "size": 12},
                             hoverinfo="skip", showlegend=False, name="words"))
    fig.update_yaxes(tickvals=list(range(len(parts))), ticktext=[_part_tick(p) for p in parts],
                     range=[len(parts) - 0.5, -0.5], showgrid=False, zeroline=False)
    fig.update_xaxes(title="time (s)")
    return _layout(fig, title, 45 * len(parts) + 200, legend={"orientation": "h", "y": 1.08, "x": 0.0})


# ----------------------------------------------------------------------------- gate ablation

def ablation_figure(scores: pd.DataFrame, title: str | None = None) -> go.Figure:
    """Caption scores with the adaptive gate and with β̂ pinned, one panel per metric."""
    names, panels = ablation_panels(scores)
    if not panels:
        return _message("no caption scores", title)
    nrows, ncols = grid_shape(len(panels), 5)
    fig = make_subplots(rows=nrows, cols=ncols, subplot_titles=[p.title("<br>") for p in panels],
                        horizontal_spacing=0.06)
    colors = series_colors(2)
    for k, p in enumerate(panels):
        metric = metric_label(p.metric)
        fig.add_trace(go.Bar(
            x=names, y=p.values, marker_color=colors, text=[f"{v:.3f}" for v in p.values], textposition="outside",
            showlegend=False, name=metric, hovertemplate=f"<b>{metric}</b><br>%{{x}} %{{y:.4f}}<extra></extra>"),
            row=k // ncols + 1, col=k % ncols + 1)
        fig.update_yaxes(range=[0, p.top * 1.2], row=k // ncols + 1, col=k % ncols + 1)
    fig.update_yaxes(title="score", row=1, col=1)
    return _layout(fig, title, 340 * nrows + 60, margin={"l": 70, "r": 30, "t": 100 if title else 80, "b": 50})


# ----------------------------------------------------------------------------- comparing models

def compare_figure(table: pd.DataFrame, models: Sequence[str], title: str | None = None) -> go.Figure:
    """Scores of several models side by side: one panel per score (own x scale), chance and best constant."""
    models, panels = compare_panels(table, models)
    if not panels:
        return _message("no scores", title)
    nrows, ncols = grid_shape(len(panels), 3)
    height = (40 * len(models) + 95) * nrows + 120
    fig = make_subplots(rows=nrows, cols=ncols, subplot_titles=[_html_wrap(s, 42) for s in table["score"]],
                        vertical_spacing=_spacing(nrows, height, 62), horizontal_spacing=0.05)
    colors = series_colors(len(models))
    shown = set()
    for k, p in enumerate(panels):
        r, c = k // ncols + 1, k % ncols + 1
        for m, v, color, ch, be in zip(models, p.values, colors, p.chance, p.best):
            info = (f"<br>chance {ch:.3f}" if np.isfinite(ch) else "") + \
                   (f"<br>best constant {be:.3f}" if np.isfinite(be) else "") + \
                   (f"<br>n {int(p.count)}" if np.isfinite(p.count) else "")
            fig.add_trace(go.Bar(
                y=[m], x=[v], orientation="h", marker_color=color, name=m, legendgroup=m,
                showlegend=m not in shown, text=[f"{v:.3f}" if np.isfinite(v) else "n/a"], textposition="inside",
                insidetextanchor="start",
                hovertemplate=f"<b>{m}</b><br>{p.rec['score']}<br>%{{x:.4f}}{info}<extra></extra>"), row=r, col=c)
            shown.add(m)
        for levels, color, dash, name in ((p.chance, CHANCE_COLOR, "dash", "chance"),
                                          (p.best, BEST_CONSTANT_COLOR, "solid", "best constant")):
            if not any(np.isfinite(v) for v in levels):
                continue
            if len(set(levels)) == 1:
                fig.add_vline(x=levels[0], line={"color": color, "dash": dash, "width": 2.5}, row=r, col=c)
            else:  # each model's own level, as a tick across its own bar
                fig.add_trace(go.Scatter(
                    x=levels, y=models, mode="markers", showlegend=False, hoverinfo="skip",
                    marker={"symbol": "line-ns", "size": 26, "line": {"color": color, "width": 2.5}}), row=r, col=c)
            if name not in shown:  # a legend entry for the lines
                fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name=name,
                                         line={"color": color, "dash": dash, "width": 2.5}), row=r, col=c)
                shown.add(name)
        fig.update_xaxes(range=[0, p.top * (1.03 if p.unit else 1.08)], row=r, col=c)
        fig.update_yaxes(showticklabels=False, autorange="reversed", row=r, col=c)
    fig.update_annotations(font_size=12)
    return _layout(fig, title, height, legend={"orientation": "h", "y": -40 / height, "x": 0.5,
                                               "xanchor": "center", "yanchor": "top"})


__all__ = ["density_figure", "histogram_figure", "parts_figure", "onset_figure", "temporal_scores_figure",
           "gate_figure", "map_figure", "finegrained_figure", "ablation_figure", "compare_figure"]


# Attention checked against attribution (defined beside their static twins).
import textwrap

from .attribution import attribution_bars_interactive as attribution_bars_figure  # noqa: E402
from .attribution import attribution_map_interactive as attribution_map_figure  # noqa: E402
from .attribution import deletion_interactive as deletion_figure  # noqa: E402
from .attribution import sanity_interactive as sanity_figure  # noqa: E402
