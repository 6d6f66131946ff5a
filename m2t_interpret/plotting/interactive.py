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

from ..analysis.scores import model_levels
from .style import (part_histograms, BEST_CONSTANT_COLOR, CHANCE_COLOR, MODEL_BAR_ALL_COLOR, MODEL_BAR_COLOR, MODEL_BAR_EDGE,
                    MOTION_COLOR, NON_MOTION_COLOR, PLOTLY_CONFUSION_CMAP, PLOTLY_FONT, PLOTLY_MAP_CMAP,
                    PLOTLY_TEMPLATE, SEGMENT_COLOR, word_boxes, text_color, beta_label, density_floor, grid_shape, map_matrix,
                    map_steps, metric_label, motion_rows, ordered_parts, ordered_unique, part_color, part_label,
                    pinned_column, require_columns, series_colors, stem_label, temporal_layout, true_segments)


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


def _f(x) -> float:
    try:
        return float(x)
    except (TypeError, ValueError):
        return math.nan


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

def _words_label(row: pd.DataFrame, stem: str) -> str:
    """The words a stem stands for ("walks, walking"), or the stem when the summary has none."""
    if len(row) and "words" in row and isinstance(row["words"].iloc[0], str) and row["words"].iloc[0]:
        return row["words"].iloc[0]
    return stem


def density_figure(density: pd.DataFrame, summary: pd.DataFrame, title: str | None = None) -> go.Figure:
    """β̂ kernel densities per word stem on a log axis; hover shows β̂, density and the stem's summary."""
    require_columns(density, ["stem", "beta", "density"], "density_figure")
    require_columns(summary, ["stem", "count"], "density_figure")
    stems = ordered_unique([str(s) for s in summary["stem"]] + [str(s) for s in density["stem"]])
    colors = dict(zip(stems, series_colors(len(stems))))
    dens = density.assign(stem=density["stem"].astype(str))
    values = pd.to_numeric(dens["density"], errors="coerce")
    top = float(values.max()) if len(values) and np.isfinite(values.max()) else 1.0
    floor = density_floor(top)
    ceiling = top * 3 if top > floor else floor * 100
    fig = go.Figure()
    for s in stems:
        d = dens[dens["stem"] == s].sort_values("beta")
        row = summary[summary["stem"].astype(str) == s]
        rec = row.iloc[0] if len(row) else pd.Series(dtype=object)
        count = int(rec["count"]) if "count" in rec else None
        name = _words_label(row, s)
        label = name if count is None else f"{name} (n={count})"
        stats = [f"<b>{stem_label(row, s)}</b>" + (f" (n={count})" if count is not None else "")]
        if "words" in rec and isinstance(rec["words"], str):
            stats.append(f"words: {rec['words']}")
        if {"median", "q1", "q3"} <= set(rec.index):
            stats.append(f"median {_f(rec['median']):.5f}, IQR [{_f(rec['q1']):.5f}, {_f(rec['q3']):.5f}]")
        info = "<br>".join(stats)
        if len(d):
            fig.add_trace(go.Scatter(
                x=d["beta"].to_numpy(float), y=np.clip(d["density"].to_numpy(float), floor / 10, None), mode="lines",
                name=label, line={"color": colors[s], "width": 2},
                hovertemplate=info + "<br>β̂ %{x:.6f}<br>density %{y:.4g}<extra></extra>"))
        else:
            value = _f(rec["min"]) if "min" in rec else math.nan
            if count:
                label = f"{name} (n={count}, no spread)"
            x = [value, value] if np.isfinite(value) else [None]
            y = [floor, ceiling] if np.isfinite(value) else [None]
            fig.add_trace(go.Scatter(
                x=x, y=y, mode="lines", name=label, line={"color": colors[s], "width": 2, "dash": "dash"},
                hovertemplate=info + "<br>all β̂ equal (no spread)<extra></extra>"))
    fig.update_xaxes(title="β̂ (motion gate)", range=[-0.02, 1.02])
    fig.update_yaxes(title="density (log scale)", type="log", range=[math.log10(floor), math.log10(ceiling)])
    return _layout(fig, title, 450, legend={"title": {"text": "words (grouped by stem)"}})


# ----------------------------------------------------------------------------- max-attention histograms

def histogram_figure(hist: pd.DataFrame, title: str | None = None) -> go.Figure:
    """Per-part maximum-attention histograms, one panel per stem; hover shows bin, count and share."""
    require_columns(hist, ["stem", "part", "bin_left", "bin_right", "count", "total"], "histogram_figure")
    if hist.empty:
        return _message("no words", title)
    hist = hist.assign(stem=hist["stem"].astype(str), part=hist["part"].astype(str))
    stems = ordered_unique(hist["stem"])
    nrows, ncols = grid_shape(len(stems), 3)
    titles = [f"{stem_label(hist, s)} — Total # words: {int(hist.loc[hist['stem'] == s, 'total'].max())}"
              for s in stems]
    height = 300 * nrows + 120
    fig = make_subplots(rows=nrows, cols=ncols, subplot_titles=titles, shared_xaxes=True,
                        vertical_spacing=_spacing(nrows, height, 70), horizontal_spacing=0.06)
    shown = set()
    for k, stem in enumerate(stems):
        r, c = k // ncols + 1, k % ncols + 1
        sub = hist[hist["stem"] == stem]
        for part, edges, counts, total in part_histograms(sub):
            share = np.divide(counts, total, out=np.zeros_like(counts), where=total > 0)
            color = part_color(part)
            fig.add_trace(go.Scatter(
                x=edges, y=np.append(counts, counts[-1]), mode="lines", line={"shape": "hv", "color": color,
                                                                                "width": 2},
                fill="tozeroy", fillcolor=_rgba(color, 0.08), name=part_label(part), legendgroup=part,
                showlegend=part not in shown,
                customdata=np.column_stack([np.append(edges[1:], edges[-1]), np.append(share, share[-1])]),
                hovertemplate=(f"<b>{stem_label(sub, stem)}</b> — {part_label(part)}"
                               "<br>α·Γ in [%{x:.2f}, %{customdata[0]:.2f})"
                               "<br>count %{y:d} (%{customdata[1]:.0%} of the words)<extra></extra>")),
                row=r, col=c)
            shown.add(part)
        fig.update_xaxes(range=[0, 1], row=r, col=c)
        if r == nrows or k + ncols >= len(stems):
            fig.update_xaxes(title="max attention α·Γ", showticklabels=True, row=r, col=c)
        if c == 1:
            fig.update_yaxes(title="count", row=r, col=c)
    fig.update_yaxes(rangemode="tozero")
    return _layout(fig, title, height, legend={"orientation": "h", "y": -0.18 if nrows == 1 else -0.08,
                                               "x": 0.5, "xanchor": "center"})


# ----------------------------------------------------------------------------- part identification

def parts_figure(scores: pd.DataFrame, confusion: pd.DataFrame | None, title: str | None = None) -> go.Figure:
    """Pointing accuracy per word category (chance and best-constant marks) and the part confusion matrix."""
    require_columns(scores, ["group", "name", "n", "pointing", "chance", "best_constant"], "parts_figure")
    rows = scores[scores["group"].astype(str).isin(["category", "all"])]
    if rows.empty:
        return _message("no ground truth", title)
    rows = pd.concat([rows[rows["group"].astype(str) == "category"], rows[rows["group"].astype(str) == "all"]])
    has_conf = isinstance(confusion, pd.DataFrame) and not confusion.empty
    fig = make_subplots(rows=1, cols=2 if has_conf else 1, horizontal_spacing=0.16,
                        subplot_titles=["pointing accuracy per word category", "true × predicted part"][
                            :2 if has_conf else 1])
    labels = [f"{_html_wrap(n, 10)}<br>(n={int(k)})" for n, k in zip(rows["name"], rows["n"])]
    corr = rows["correctness"].to_numpy(float) if "correctness" in rows else np.full(len(rows), np.nan)
    bcp = rows["best_constant_part"].astype(str).to_numpy() if "best_constant_part" in rows else [""] * len(rows)
    custom = np.column_stack([rows["n"].to_numpy(float), corr, rows["chance"].to_numpy(float),
                              rows["best_constant"].to_numpy(float), np.asarray(bcp, dtype=object)])
    colors = [MODEL_BAR_COLOR if str(g) == "category" else MODEL_BAR_ALL_COLOR for g in rows["group"]]
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
        counts = confusion.copy()
        counts.index = [str(i) for i in counts.index]
        counts.columns = [str(c) for c in counts.columns]
        rparts, cparts = ordered_parts(counts.index), ordered_parts(counts.columns)
        counts = counts.reindex(index=rparts, columns=cparts).fillna(0).to_numpy(float)
        totals = counts.sum(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(totals > 0, counts / totals, np.nan)
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
    require_columns(curves, ["step", "word", "beta", "time_s", "window"], "onset_figure")
    if curves.empty:
        return _message("no words", title)
    sel = motion_rows(curves)
    fig = go.Figure()
    if isinstance(segments, pd.DataFrame) and not segments.empty:
        require_columns(segments, ["action", "start_s", "end_s"], "onset_figure")
        for i, seg in enumerate(segments.sort_values("start_s").itertuples(index=False)):
            fig.add_vrect(x0=seg.start_s, x1=seg.end_s, fillcolor=SEGMENT_COLOR, opacity=0.25 if i % 2 == 0 else 0.4,
                          layer="below", line_width=0, annotation_text=f"<i>{str(seg.action).replace('_', ' ')}</i>",
                          annotation_position="top", annotation_font_size=11)
    fig.add_hline(y=0.5, line_dash="dash", line_color="#555555", line_width=1,
                  annotation_text="Γ = 0.5 (interval threshold)", annotation_position="bottom right",
                  annotation_font_size=10)
    keys = sel[["step", "word", "beta"]].drop_duplicates(subset=["step"]).sort_values("step")
    dup = keys["word"].duplicated(keep=False).to_numpy()
    for (step, word, beta), d_dup, color in zip(keys.itertuples(index=False), dup, series_colors(len(keys))):
        d = sel[sel["step"] == step].sort_values("time_s")
        label = beta_label(word, beta) + (f" [step {int(step)}]" if d_dup else "")
        extra = ""
        if {"mu_s", "onset_s", "offset_s"} <= set(d.columns):
            r0 = d.iloc[0]
            extra = (f"<br>centre μ {_f(r0['mu_s']):.2f} s<br>interval "
                     f"{_f(r0['onset_s']):.2f}–{_f(r0['offset_s']):.2f} s")
        fig.add_trace(go.Scatter(
            x=d["time_s"].to_numpy(float), y=d["window"].to_numpy(float), mode="lines", name=label,
            line={"color": color, "width": 2.5},
            hovertemplate=f"<b>{label}</b> (step {int(step)})<br>t %{{x:.2f}} s<br>Γ %{{y:.3f}}{extra}<extra></extra>"))
    fig.update_xaxes(title="time (s)")
    fig.update_yaxes(title="temporal window Γ", range=[0, 1.12])
    return _layout(fig, title, 420)


# ----------------------------------------------------------------------------- temporal scores

def temporal_scores_figure(scores: pd.DataFrame, title: str | None = None) -> go.Figure:
    """Temporal localisation scores: one panel per clip group, grouped bars per metric and answer."""
    metrics, groups, answers, colors = temporal_layout(scores, "temporal_scores_figure")
    if scores.empty:
        return _message("no temporal scores", title)
    titles = []
    for g in groups:
        sub = scores[scores["clips"].astype(str) == g]
        n = int(sub["n"].max()) if "n" in sub and sub["n"].notna().any() else None
        titles.append(("all clips" if g == "all" else f"{g} clips") + (f" (n={n})" if n is not None else ""))
    height = 230 * len(groups) + 170
    fig = make_subplots(rows=len(groups), cols=1, shared_xaxes=True, subplot_titles=titles,
                        vertical_spacing=_spacing(len(groups), height, 55))
    labels = [metric_label(m) for m in metrics]
    for i, g in enumerate(groups):
        sub = scores[scores["clips"].astype(str) == g]
        for a in answers:
            row = sub[sub["answer"].astype(str) == a]
            if row.empty:
                continue
            n = _f(row["n"].iloc[0]) if "n" in row else math.nan
            fig.add_trace(go.Bar(
                x=labels, y=row[metrics].iloc[0].to_numpy(float), name=a, legendgroup=a, showlegend=i == 0,
                marker_color=colors[a],
                hovertemplate=(f"<b>{a}</b><br>{titles[i]}<br>%{{x}} %{{y:.3f}}"
                               + (f"<br>n {int(n)}" if np.isfinite(n) else "") + "<extra></extra>")),
                row=i + 1, col=1)
        fig.update_yaxes(title="score", range=[0, 1.04], row=i + 1, col=1)
    return _layout(fig, title, height, barmode="group",
                   legend={"orientation": "h", "y": 1.0 + 110 / height, "x": 0.0, "yanchor": "top"},
                   margin={"l": 70, "r": 30, "t": 140 if title else 120, "b": 50})


# ----------------------------------------------------------------------------- gate separation

def gate_figure(tokens: pd.DataFrame, separation: pd.DataFrame, title: str | None = None) -> go.Figure:
    """β̂ of motion words vs other words (density histograms, log axis), the best threshold, AUROC."""
    require_columns(tokens, ["beta", "motion"], "gate_figure")
    require_columns(separation, ["auroc", "best_threshold"], "gate_figure")
    sep = separation.iloc[0] if len(separation) else pd.Series(dtype=object)
    fig = go.Figure()
    beta = pd.to_numeric(tokens["beta"], errors="coerce")
    motion = tokens["motion"].fillna(False).astype(bool)
    for flag, color, name in ((True, MOTION_COLOR, "motion words"), (False, NON_MOTION_COLOR, "other words")):
        keep = (motion == flag) & beta.notna()
        v = np.clip(beta[keep].to_numpy(float), 0, 1)
        if len(v) == 0:
            continue
        fig.add_trace(go.Histogram(
            x=v, xbins={"start": 0.0, "end": 1.0, "size": 0.025}, histnorm="probability density",
            name=f"{name} (n={len(v)})", marker={"color": _rgba(color, 0.45), "line": {"color": color, "width": 1}},
            hovertemplate=f"<b>{name}</b><br>β̂ in %{{x}}<br>density %{{y:.3g}}<extra></extra>"))
    threshold = _f(sep.get("best_threshold", math.nan))
    if np.isfinite(threshold):
        acc = _f(sep.get("accuracy", math.nan))
        fig.add_vline(x=threshold, line_dash="dash", line_color="black", line_width=1.5,
                      annotation_text=f"best threshold {threshold:.2f}" +
                      (f" (accuracy {acc:.2f})" if np.isfinite(acc) else ""), annotation_position="top")
    auroc, chance = _f(sep.get("auroc", math.nan)), _f(sep.get("chance_auroc", math.nan))
    head = f"AUROC {auroc:.3f}" if np.isfinite(auroc) else "AUROC n/a"
    if np.isfinite(chance):
        head += f" (chance {chance:.2f})"
    if isinstance(sep.get("labels", None), str) and sep.get("labels"):
        head += f" — labels: {sep['labels']}"
    fig.update_xaxes(title="β̂ (motion gate)", range=[0, 1])
    fig.update_yaxes(title="density (log scale)", type="log")
    return _layout(fig, f"{title}<br><sup>{head}</sup>" if title else head, 430, barmode="overlay",
                   margin={"l": 70, "r": 30, "t": 90, "b": 60})


# ----------------------------------------------------------------------------- attention map

def map_figure(attention_map: pd.DataFrame, title: str | None = None) -> go.Figure:
    """The spatio-temporal attention map α·Γ of one clip: one heatmap per token, shared colour scale."""
    require_columns(attention_map, ["step", "word", "beta", "part", "time_s", "value"], "map_figure")
    if attention_map.empty:
        return _message("no tokens", title)
    steps = map_steps(attention_map)
    n = len(steps)
    nrows, ncols = grid_shape(n, 1 if n <= 8 else 2)
    height = 170 * nrows + 110
    fig = make_subplots(rows=nrows, cols=ncols, shared_xaxes=True,
                        subplot_titles=[beta_label(w, b) for _, w, b in steps.itertuples(index=False)],
                        vertical_spacing=_spacing(nrows, height, 40), horizontal_spacing=0.1)
    for k, (step, word, beta) in enumerate(steps.itertuples(index=False)):
        r, c = k // ncols + 1, k % ncols + 1
        parts, times, values = map_matrix(attention_map[attention_map["step"] == step])
        z = [[None if not np.isfinite(v) else float(v) for v in row] for row in values]
        fig.add_trace(go.Heatmap(
            z=z, x=times, y=[_part_tick(p) for p in parts], coloraxis="coloraxis", name=str(word),
            hovertemplate=(f"<b>{beta_label(word, beta)}</b> (step {int(step)})<br>%{{y}}<br>t %{{x:.2f}} s"
                           "<br>α·Γ %{z:.3f}<extra></extra>")), row=r, col=c)
        fig.update_yaxes(autorange="reversed", row=r, col=c)
        if k + ncols >= n:
            fig.update_xaxes(title="time (s)", showticklabels=True, row=r, col=c)
    fig.update_layout(coloraxis={"colorscale": PLOTLY_MAP_CMAP, "cmin": 0, "cmax": 1,
                                 "colorbar": {"title": {"text": "α·Γ"}, "len": min(1.0, 500 / height)}})
    return _layout(fig, title, height)


# ----------------------------------------------------------------------------- fine-grained caption

def finegrained_figure(fg: pd.DataFrame, title: str | None = None) -> go.Figure:
    """The fine-grained caption as a timeline: parts on y, a bar per motion word, true segments faint."""
    require_columns(fg, ["step", "word", "part", "onset_s", "offset_s"], "finegrained_figure")
    if fg.empty:
        return _message("no motion words", title)
    truth = true_segments(fg)
    parts = ordered_parts(list(fg["part"].astype(str)) + [p for _, ps, _, _ in truth for p in ps])
    row = {p: i for i, p in enumerate(parts)}
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
        beta = _f(getattr(rec, "beta", math.nan))
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
    require_columns(scores, ["metric", "adaptive"], "ablation_figure")
    pinned = pinned_column(scores)
    if scores.empty:
        return _message("no caption scores", title)
    recs = [dict(zip(scores.columns, r)) for r in scores.itertuples(index=False, name=None)]
    titles = []
    for rec in recs:
        change = _f(rec.get("change", _f(rec[pinned]) - _f(rec["adaptive"])))
        titles.append(metric_label(rec["metric"]) + (f"<br>Δ {change:+.3f}".replace("-", "−")
                                                     if np.isfinite(change) else ""))
    nrows, ncols = grid_shape(len(recs), 5)
    fig = make_subplots(rows=nrows, cols=ncols, subplot_titles=titles, horizontal_spacing=0.06)
    names = ["adaptive", pinned.replace("beta", "β̂")]
    colors = series_colors(2)
    for k, rec in enumerate(recs):
        vals = [_f(rec["adaptive"]), _f(rec[pinned])]
        fig.add_trace(go.Bar(
            x=names, y=vals, marker_color=colors, text=[f"{v:.3f}" for v in vals], textposition="outside",
            showlegend=False, name=metric_label(rec["metric"]),
            hovertemplate=f"<b>{metric_label(rec['metric'])}</b><br>%{{x}} %{{y:.4f}}<extra></extra>"),
            row=k // ncols + 1, col=k % ncols + 1)
        top = max([v for v in vals if np.isfinite(v)] + [1e-9])
        fig.update_yaxes(range=[0, top * 1.2], row=k // ncols + 1, col=k % ncols + 1)
    fig.update_yaxes(title="score", row=1, col=1)
    return _layout(fig, title, 340 * nrows + 60, margin={"l": 70, "r": 30, "t": 100 if title else 80, "b": 50})


# ----------------------------------------------------------------------------- comparing models

def compare_figure(table: pd.DataFrame, models: Sequence[str], title: str | None = None) -> go.Figure:
    """Scores of several models side by side: one panel per score (own x scale), chance and best constant."""
    models = [str(m) for m in models]
    require_columns(table, ["score", *models], "compare_figure")
    if table.empty or not models:
        return _message("no scores", title)
    n = len(table)
    nrows, ncols = grid_shape(n, 3)
    panel = 40 * len(models) + 95
    height = panel * nrows + 120
    fig = make_subplots(rows=nrows, cols=ncols, subplot_titles=[_html_wrap(s, 42) for s in table["score"]],
                        vertical_spacing=_spacing(nrows, height, 62), horizontal_spacing=0.05)
    colors = series_colors(len(models))
    shown = set()
    for k, (_, rec) in enumerate(table.iterrows()):
        r, c = k // ncols + 1, k % ncols + 1
        vals = [_f(rec[m]) for m in models]
        chance, best = (model_levels(rec, col, models) for col in ("chance", "best constant"))
        count = _f(rec["n"]) if "n" in rec else math.nan
        refs = [v for v in (*vals, *chance, *best) if np.isfinite(v)]
        unit = all(0 <= v <= 1 for v in refs)
        top = 1.0 if unit else max([abs(v) for v in refs] + [1e-9])
        for m, v, color, ch, be in zip(models, vals, colors, chance, best):
            info = (f"<br>chance {ch:.3f}" if np.isfinite(ch) else "") + \
                   (f"<br>best constant {be:.3f}" if np.isfinite(be) else "") + \
                   (f"<br>n {int(count)}" if np.isfinite(count) else "")
            fig.add_trace(go.Bar(
                y=[m], x=[v], orientation="h", marker_color=color, name=m, legendgroup=m,
                showlegend=m not in shown, text=[f"{v:.3f}" if np.isfinite(v) else "n/a"], textposition="inside",
                insidetextanchor="start",
                hovertemplate=f"<b>{m}</b><br>{rec['score']}<br>%{{x:.4f}}{info}<extra></extra>"), row=r, col=c)
            shown.add(m)
        for levels, color, dash, name in ((chance, CHANCE_COLOR, "dash", "chance"),
                                          (best, BEST_CONSTANT_COLOR, "solid", "best constant")):
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
        fig.update_xaxes(range=[0, top * (1.03 if unit else 1.08)], row=r, col=c)
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
