"""One look for every figure: part colours, reference colours, the matplotlib style context and
small helpers shared by the static (matplotlib) and interactive (plotly) figures.

Colours come from the Okabe–Ito colour-blind-safe palette for the six body parts (left and right
of a limb are two shades of one hue: the left side dark, the right side light) and Paul Tol's
"muted" palette for other series (stems, words, models). Every figure — static and interactive —
takes its colours from here, so a part has the same colour everywhere (PART_COLORS itself is
defined beside the parts, in :mod:`m2t_interpret.skeletons`, so that every layer can use it).

The paper sizes are defined here too: the column and text widths (:data:`COLUMN_WIDTH`,
:data:`TEXT_WIDTH`, named by ``--width``: :func:`parse_width`), the tallest figure
(:data:`MAX_HEIGHT`) and the font sizes of :data:`RC` (7–9 pt at the printed size).

Nothing here changes global state: :func:`style` is a context manager around
``matplotlib.rc_context`` and restores every rcParam on exit; it is the one place the rcParams of
every static figure are set.
"""

from __future__ import annotations

import contextlib
import math
import textwrap
from typing import Iterable, Iterator, Sequence

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.colors import to_rgb

from ..errors import M2TError
from ..skeletons import PART_COLORS, PARTS, part_label  # defined once, beside the parts

#: Paul Tol's "muted" qualitative palette, for series that are not parts (stems, words, models).
SERIES_COLORS: tuple[str, ...] = ("#332288", "#CC6677", "#117733", "#88CCEE", "#AA4499",
                                  "#999933", "#44AA99", "#882255", "#DDCC77")
#: Reference answers: chance (light grey) and the best constant answer (dark grey).
CHANCE_COLOR = "#8C8C8C"
BEST_CONSTANT_COLOR = "#333333"
#: Bars that carry reference marks (chance, best constant) drawn across them: light fills, dark edge.
MODEL_BAR_COLOR = "#CFCBEE"
MODEL_BAR_ALL_COLOR = "#A59FD8"
MODEL_BAR_EDGE = "#332288"
#: The gate figure: motion words and the other words.
MOTION_COLOR = "#AA3377"
NON_MOTION_COLOR = "#4477AA"
#: True action segments (shading behind predictions).
SEGMENT_COLOR = "#BBBBBB"
#: Colour map for attention values α·Γ ∈ [0, 1] and for row-normalised confusion matrices.
MAP_CMAP = "viridis"
CONFUSION_CMAP = "Blues"
#: Plotly's names of the same colour maps.
PLOTLY_MAP_CMAP = "Viridis"
PLOTLY_CONFUSION_CMAP = "Blues"

#: Paper widths in inches: one column of a two-column paper (3.35 in, as in IEEE, ACM and CVPR
#: templates) and the full text width (7.0 in). Every static figure is drawn at its printed size,
#: so its fonts print at the sizes below (7–9 pt) when the figure is placed unscaled.
COLUMN_WIDTH = 3.35
TEXT_WIDTH = 7.0
FULL_WIDTH = TEXT_WIDTH  # the name used before the two widths were told apart
#: The widths ``--width`` names; a number is a width in inches within [MIN_WIDTH, MAX_WIDTH].
WIDTHS: dict[str, float] = {"column": COLUMN_WIDTH, "text": TEXT_WIDTH}
MIN_WIDTH, MAX_WIDTH = 2.5, 20.0
#: No figure is taller than a page's text block less room for its caption.
MAX_HEIGHT = 9.0
#: The smallest font size (pt) any static figure uses, at its own size.
MIN_FONT = 7.0

#: Font sizes (7–9 pt at the figure's own size) and the rest of the matplotlib style (on top of
#: seaborn's "whitegrid").
RC: dict[str, object] = {
    "font.size": 8,
    "axes.titlesize": 8.5,
    "axes.labelsize": 8,
    "xtick.labelsize": 7.5,
    "ytick.labelsize": 7.5,
    "legend.fontsize": 7.5,
    "legend.title_fontsize": 7.5,
    "figure.titlesize": 9,
    "legend.frameon": False,
    "legend.handlelength": 1.6,
    "legend.handletextpad": 0.5,
    "legend.columnspacing": 1.2,
    "legend.labelspacing": 0.35,
    "legend.borderaxespad": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlepad": 3.0,
    "axes.labelpad": 2.5,
    "axes.linewidth": 0.6,
    "xtick.major.pad": 2.0,
    "ytick.major.pad": 2.0,
    "xtick.major.size": 2.5,
    "ytick.major.size": 2.5,
    "grid.linewidth": 0.5,
    "lines.linewidth": 1.2,
    "patch.linewidth": 0.6,
    # saved with a tight bounding box: a thin margin, so a figure of the text width stays within it
    "savefig.pad_inches": 0.02,
    "image.cmap": MAP_CMAP,
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "text.usetex": False,   # papers need no LaTeX installation: mathtext draws β̂, α·Γ
    "pdf.fonttype": 42,     # embed TrueType: editable text in PDF
    "ps.fonttype": 42,
    "svg.fonttype": "path",
    "svg.hashsalt": "m2t-interpret",  # stable SVG ids
}

#: Plotly's layout defaults matching :data:`RC`.
PLOTLY_TEMPLATE = "plotly_white"
PLOTLY_FONT = {"family": "DejaVu Sans, Arial, sans-serif", "size": 13}

#: Display names of caption metrics.
METRIC_LABELS: dict[str, str] = {"bleu1": "BLEU-1", "bleu2": "BLEU-2", "bleu3": "BLEU-3", "bleu4": "BLEU-4",
                                 "rouge_l": "ROUGE-L", "cider": "CIDEr", "meteor": "METEOR",
                                 "bertscore": "BERTScore", "spice": "SPICE"}
#: Display names of the temporal scores.
TEMPORAL_METRICS: tuple[str, ...] = ("mu_in_segment", "mean_tiou", "R@1 IoU≥0.3", "R@1 IoU≥0.5", "R@1 IoU≥0.7")
TEMPORAL_LABELS: dict[str, str] = {"mu_in_segment": "μ in segment", "mean_tiou": "mean tIoU"}


#: seaborn's ``axes_style("whitegrid")`` (seaborn 0.13), frozen here so that drawing a figure
#: does not pay seaborn's one-second import.
WHITEGRID: dict = {
    'axes.axisbelow': True,
    'axes.edgecolor': '.8',
    'axes.facecolor': 'white',
    'axes.grid': True,
    'axes.labelcolor': '.15',
    'axes.spines.bottom': True,
    'axes.spines.left': True,
    'axes.spines.right': True,
    'axes.spines.top': True,
    'figure.facecolor': 'white',
    'font.family': ['sans-serif'],
    'font.sans-serif': ['Arial', 'DejaVu Sans', 'Liberation Sans', 'Bitstream Vera Sans', 'sans-serif'],
    'grid.color': '.8',
    'grid.linestyle': '-',
    'lines.solid_capstyle': 'round',
    'patch.edgecolor': 'w',
    'patch.force_edgecolor': True,
    'text.color': '.15',
    'xtick.bottom': False,
    'xtick.color': '.15',
    'xtick.direction': 'out',
    'xtick.top': False,
    'ytick.color': '.15',
    'ytick.direction': 'out',
    'ytick.left': False,
    'ytick.right': False}


@contextlib.contextmanager
def style() -> Iterator[None]:
    """Seaborn's "whitegrid" plus :data:`RC`, restored on exit (no global theme is set)."""
    with mpl.rc_context({**WHITEGRID, **RC}):
        yield


def parse_width(value: str | float | None) -> float | None:
    """A figure width in inches from ``--width``: ``column`` (3.35), ``text`` (7.0) or a number of
    inches; None or "" stays None (each figure's own width)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip().lower()
    if text in WIDTHS:
        return WIDTHS[text]
    inches = finite_float(text.removesuffix("in").strip())
    if not MIN_WIDTH <= inches <= MAX_WIDTH:  # NaN fails too
        raise M2TError(f"--width {value}: use column ({COLUMN_WIDTH:g} in), text ({TEXT_WIDTH:g} in) or a width in "
                       f"inches from {MIN_WIDTH:g} to {MAX_WIDTH:g}")
    return inches


def figure_height(height: float) -> float:
    """``height`` within the tallest a figure may be (:data:`MAX_HEIGHT`)."""
    return float(min(max(height, 1.0), MAX_HEIGHT))


def motion_rows(curves: pd.DataFrame) -> pd.DataFrame:
    """The rows marked ``motion`` when the table marks any, else all rows."""
    if "motion" in curves.columns:
        mask = curves["motion"].fillna(False).astype(bool)
        if mask.any():
            return curves[mask]
    return curves


def part_color(part: str) -> str:
    """The colour of ``part`` (an unknown part is grey)."""
    return PART_COLORS.get(str(part), "#777777")


def stem_label(table: pd.DataFrame, stem: str) -> str:
    """How a stem's group is named for people: the table's ``word`` for it (its most frequent form),
    else the stem itself (a table made before the column existed)."""
    if "word" in table.columns:
        words = table.loc[table["stem"].astype(str) == str(stem), "word"]
        if len(words) and isinstance(words.iloc[0], str) and words.iloc[0]:
            return words.iloc[0]
    return str(stem)


def series_colors(n: int) -> list[str]:
    """``n`` qualitative colours (cycling after nine)."""
    return [SERIES_COLORS[i % len(SERIES_COLORS)] for i in range(n)]


def answer_color(answer: str, i: int) -> str:
    """The colour of an answer row: chance light grey, best constant dark grey, else the i-th series colour."""
    a = str(answer).lower()
    if a.startswith("chance"):
        return CHANCE_COLOR
    if a.startswith("best constant") or a.startswith("best_constant"):
        return BEST_CONSTANT_COLOR
    return series_colors(i + 1)[i]


def part_histograms(sub: pd.DataFrame):
    """One stem's histogram rows → ``(part, bin edges (B+1,), counts (B,), totals (B,))`` per part,
    in part order (parts without rows are skipped)."""
    for part in ordered_parts(sub["part"]):
        d = sub[sub["part"] == part].sort_values("bin_left")
        if d.empty:
            continue
        edges = np.append(d["bin_left"].to_numpy(float), float(d["bin_right"].iloc[-1]))
        yield part, edges, d["count"].to_numpy(float), d["total"].to_numpy(float)


def temporal_layout(scores: pd.DataFrame, figure: str) -> tuple[list[str], list[str], list[str], dict[str, str]]:
    """Checked inputs of a temporal-scores figure: the metrics present, the clip groups, the answers
    and each answer's colour (chance and best constant grey)."""
    require_columns(scores, ["clips", "answer"], figure)
    metrics = [m for m in TEMPORAL_METRICS if m in scores.columns]
    if not metrics:
        raise M2TError(f"{figure}: the table has none of the columns " + ", ".join(TEMPORAL_METRICS))
    groups = ordered_unique(scores["clips"].astype(str))
    answers = ordered_unique(scores["answer"].astype(str))
    colors, k = {}, 0
    for a in answers:
        colors[a] = answer_color(a, k)
        k += colors[a] not in (CHANCE_COLOR, BEST_CONSTANT_COLOR)
    return metrics, groups, answers, colors


def metric_label(name: str) -> str:
    return METRIC_LABELS.get(str(name).lower(), TEMPORAL_LABELS.get(str(name), str(name)))


def beta_label(word: str, beta: float) -> str:
    """``"word (β̂ 0.97)"``."""
    return f"{word} (β̂ {float(beta):.2f})" if np.isfinite(float(beta)) else f"{word} (β̂ n/a)"


def wrap(text: str, width: int) -> str:
    """Wrap ``text`` onto lines of at most ``width`` characters (newline-joined)."""
    return "\n".join(textwrap.wrap(str(text), width)) or str(text)


def grid_shape(n: int, max_cols: int) -> tuple[int, int]:
    """Rows and columns for ``n`` panels, at most ``max_cols`` per row."""
    n = max(int(n), 1)
    cols = min(n, max_cols)
    return math.ceil(n / cols), cols


def require_columns(df: pd.DataFrame, columns: Iterable[str], where: str) -> None:
    """Raise M2TError if ``df`` is not a DataFrame or lacks any of ``columns``."""
    if not isinstance(df, pd.DataFrame):
        raise M2TError(f"{where}: expected a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise M2TError(f"{where}: the table lacks the column(s) {', '.join(missing)} "
                       f"(it has {', '.join(map(str, df.columns)) or 'none'})")


def ordered_unique(values: Iterable) -> list:
    """Unique values in order of first appearance."""
    return list(dict.fromkeys(values))


def ordered_parts(parts: Iterable[str]) -> list[str]:
    """The six parts in part order, followed by any other part names seen (in order of appearance)."""
    seen = [str(p) for p in ordered_unique(parts)]
    return list(PARTS) + [p for p in seen if p not in PARTS]


def bin_edges(centres: Sequence[float]) -> np.ndarray:
    """Cell edges around sorted cell centres (half-way between neighbours; end cells symmetric)."""
    c = np.asarray(centres, dtype=float)
    if len(c) == 0:
        return np.array([0.0, 1.0])
    if len(c) == 1:
        return np.array([c[0] - 0.05, c[0] + 0.05])
    mid = (c[1:] + c[:-1]) / 2
    return np.concatenate([[c[0] - (mid[0] - c[0])], mid, [c[-1] + (c[-1] - mid[-1])]])


def assign_lanes(intervals: Sequence[tuple[float, float]]) -> list[int]:
    """Greedy lanes for intervals so that intervals in one lane do not overlap (input order kept)."""
    order = sorted(range(len(intervals)), key=lambda i: (intervals[i][0], intervals[i][1], i))
    ends: list[float] = []
    lanes = [0] * len(intervals)
    for i in order:
        start, end = intervals[i]
        for lane, last in enumerate(ends):
            if start >= last:
                lanes[i], ends[lane] = lane, end
                break
        else:
            lanes[i] = len(ends)
            ends.append(end)
    return lanes


def text_color(background: str) -> str:
    """Black or white text, whichever reads better on ``background``."""
    r, g, b = to_rgb(background)
    return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.55 else "white"


def word_boxes(fg: pd.DataFrame, parts: Sequence[str], row: dict[str, int]) -> Iterator[tuple]:
    """The fine-grained caption's layout, shared by its static and interactive figures: per word of
    ``fg`` (columns part, onset_s, offset_s, step, word…), in part order then time, ``(part, colour,
    record, onset, offset, bottom, height, lanes)`` — its box in the part's row (``row[part]`` ± 0.35),
    in the lane that keeps overlapping words of one part apart."""
    for p in parts:
        sub = fg[fg["part"].astype(str) == p].sort_values(["onset_s", "step"])
        if sub.empty:
            continue
        intervals = list(zip(sub["onset_s"].astype(float), sub["offset_s"].astype(float)))
        lanes = assign_lanes(intervals)
        n_lanes = max(lanes) + 1
        h = 0.7 / n_lanes
        for (on, off), lane, rec in zip(intervals, lanes, sub.itertuples(index=False)):
            yield p, part_color(p), rec, on, off, row[p] - 0.35 + lane * h + 0.04 * h, 0.92 * h, n_lanes


def pinned_column(scores: pd.DataFrame) -> str:
    """The ablation table's pinned-decoding column: the one that is not metric/adaptive/change."""
    others = [c for c in scores.columns if c not in ("metric", "adaptive", "change")]
    if not others:
        raise M2TError("ablation_figure: the table has no pinned-decoding column "
                       "(expected metric, adaptive, <pinned e.g. beta=1>, change)")
    return str(others[0])


def density_floor(max_density: float) -> float:
    """Lower limit of a log density axis: 1e-2, or lower for a flat density."""
    if not np.isfinite(max_density) or max_density <= 0:
        return 1e-2
    return min(1e-2, max_density / 100)


def finite_float(x) -> float:
    """``float(x)``, or NaN when ``x`` is not a number."""
    try:
        return float(x)
    except (TypeError, ValueError):
        return math.nan


def map_steps(attention_map: pd.DataFrame) -> pd.DataFrame:
    return attention_map[["step", "word", "beta"]].drop_duplicates(subset=["step"]).sort_values("step")


def map_matrix(sub: pd.DataFrame):
    """(parts, times, values[parts × frames]) of one step."""
    parts = ordered_parts(sub["part"].astype(str))
    frames = sorted(sub["frame"].unique()) if "frame" in sub else sorted(sub["time_s"].unique())
    key = "frame" if "frame" in sub else "time_s"
    times = sub.groupby(key)["time_s"].first().reindex(frames).to_numpy(float)
    values = (sub.assign(part=sub["part"].astype(str))
              .pivot_table(index="part", columns=key, values="value", aggfunc="mean")
              .reindex(index=parts, columns=frames).to_numpy(float))
    return parts, times, values


def true_segments(fg: pd.DataFrame) -> list[tuple[str, list[str], float, float]]:
    """Unique (action, parts, start, end) of the rows that have a true segment."""
    if not {"true_parts", "true_start_s", "true_end_s"} <= set(fg.columns):
        return []
    out, seen = [], set()
    for r in fg.itertuples(index=False):
        start, end = finite_float(r.true_start_s), finite_float(r.true_end_s)
        parts = [p for p in str(r.true_parts).split("+") if p and p != "nan"] if isinstance(r.true_parts, str) else []
        if not (np.isfinite(start) and np.isfinite(end)) or not parts:
            continue
        action = str(getattr(r, "true_action", "") or "")
        key = (action, tuple(parts), start, end)
        if key not in seen:
            seen.add(key)
            out.append((action if action != "nan" else "", parts, start, end))
    return out


def is_reference(name: str) -> bool:
    a = str(name).lower()
    return a.startswith("chance") or a.startswith("best constant") or a.startswith("best_constant")


__all__ = ["PART_COLORS", "SERIES_COLORS", "CHANCE_COLOR", "BEST_CONSTANT_COLOR", "MOTION_COLOR",
           "NON_MOTION_COLOR", "SEGMENT_COLOR", "MAP_CMAP", "CONFUSION_CMAP", "RC", "FULL_WIDTH",
           "COLUMN_WIDTH", "TEXT_WIDTH", "MAX_HEIGHT", "MIN_FONT", "WIDTHS", "parse_width", "figure_height", "style", "part_color", "part_label", "stem_label", "series_colors", "answer_color",
           "metric_label", "beta_label"]
