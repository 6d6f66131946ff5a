"""Writing figures and tables to disk, atomically (each file appears whole or not at all).

* :func:`save_figure` — a matplotlib figure as PNG (150 dpi), PDF or SVG; a plotly figure as an
  HTML page that opens offline: plotly.js embedded (``plotlyjs="inline"``, 4–5 MB a page), or
  one ``plotly.min.js`` written beside the pages of a folder and shared by them
  (``plotlyjs="shared"``; :func:`write_plotlyjs`).
* :func:`write_caption` — a figure's caption beside it: ``<stem>.caption.txt`` (plain text) and,
  for LaTeX documents, ``<stem>.caption.tex`` (a ``\\caption{…}\\label{…}`` snippet).
* :func:`write_table` — a DataFrame as CSV (full precision), GitHub Markdown and a LaTeX
  booktabs ``tabular`` (floats with three decimals). The Markdown and LaTeX writers are our own
  (no ``tabulate``/``jinja2`` needed, and LaTeX special characters and the Greek letters and
  symbols used in column names — β̂, μ, Γ, ≥ … — are escaped or written as math).
"""

from __future__ import annotations

import math
import numbers
import re
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from ..errors import M2TError
from ..io import atomic_path

STATIC_FORMATS: tuple[str, ...] = ("png", "pdf", "svg")
INTERACTIVE_FORMATS: tuple[str, ...] = ("html",)
TABLE_FORMATS: tuple[str, ...] = ("csv", "md", "tex")
_TABLE_ALIASES = {"markdown": "md", "latex": "tex"}
PNG_DPI = 150
VECTOR_DPI = 300  # for the rasterised parts (attention maps) of PDF and SVG figures


def _formats(formats: Sequence[str] | str, known: Sequence[str], aliases: dict[str, str] | None = None,
             what: str = "figure") -> list[str]:
    if isinstance(formats, str):
        formats = [formats]
    out = []
    for f in formats:
        name = str(f).strip().lower().lstrip(".")
        name = (aliases or {}).get(name, name)
        if name not in known:
            raise M2TError(f"unknown {what} format {str(f)!r}; use one of {', '.join(known)}")
        if name not in out:
            out.append(name)
    return out


def _figure_kind(fig) -> str:
    # each library only when a figure of its kind is saved
    from matplotlib.figure import Figure

    if isinstance(fig, Figure):
        return "static"
    try:
        # each library only when a figure of its kind is saved
        from plotly.basedatatypes import BaseFigure
    except ImportError:  # pragma: no cover - plotly is a dependency
        BaseFigure = ()
    if BaseFigure and isinstance(fig, BaseFigure):
        return "interactive"
    raise M2TError(f"cannot save a {type(fig).__name__}: expected a matplotlib Figure or a plotly Figure")


def _path(stem: Path, ext: str) -> Path:
    """``stem`` + ``.ext`` (appended, so that a stem with dots, e.g. ``beta=0.5``, is kept)."""
    return stem.parent / f"{stem.name}.{ext}"


def _div_id(name: str) -> str:
    return "m2t-" + (re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-") or "figure")


#: How an HTML figure gets plotly.js: embedded in the page, or one shared file beside the pages.
PLOTLYJS_MODES: tuple[str, ...] = ("shared", "inline")
#: The shared copy of plotly.js, written beside the pages that use it.
PLOTLYJS_FILE = "plotly.min.js"


def check_plotlyjs(mode: str) -> str:
    """Validate a ``--plotlyjs`` value."""
    m = str(mode).strip().lower()
    if m not in PLOTLYJS_MODES:
        raise M2TError(f"unknown --plotlyjs {mode!r}; use shared or inline")
    return m


def write_plotlyjs(folder: str | Path) -> Path:
    """Write plotly.js (the bundled version, no network) to ``folder/plotly.min.js`` unless an
    identical copy is already there; returns its path."""
    # plotly.js (4.7 MB of text) is read only when it is written
    from plotly.offline import get_plotlyjs

    path = Path(folder) / PLOTLYJS_FILE
    data = get_plotlyjs().encode("utf-8")
    try:
        if path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data:
            return path
    except OSError:
        pass
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return path


def save_figure(fig, stem: str | Path, formats: Sequence[str], plotlyjs: str = "inline") -> list[Path]:
    """Write ``fig`` to ``stem.<format>`` for each format and return the paths written.

    A matplotlib figure takes ``png`` (150 dpi), ``pdf`` and ``svg`` (tight bounding box, no
    timestamps); a plotly figure takes ``html`` (offline): with ``plotlyjs="inline"`` the page
    embeds plotly.js, with ``"shared"`` it loads ``plotly.min.js`` from its folder, which is
    written there too (once, shared by every page of the folder; the path is returned as well).
    Every format is checked before anything is written: an unknown one, or one that does not fit
    the figure, raises M2TError. Each file is written to a temporary sibling and renamed into place.
    """
    stem = Path(stem)
    plotlyjs = check_plotlyjs(plotlyjs)
    kind = _figure_kind(fig)
    fmts = _formats(formats, STATIC_FORMATS + INTERACTIVE_FORMATS)
    allowed = STATIC_FORMATS if kind == "static" else INTERACTIVE_FORMATS
    bad = [f for f in fmts if f not in allowed]
    if bad:
        if kind == "static":
            raise M2TError(f"a static (matplotlib) figure cannot be saved as {', '.join(bad)}; "
                           f"use {', '.join(STATIC_FORMATS)}")
        raise M2TError(f"an interactive (plotly) figure can only be saved as html, not {', '.join(bad)}")
    written = []
    if kind == "interactive" and plotlyjs == "shared" and fmts:
        written.append(write_plotlyjs(stem.parent))
    for f in fmts:
        path = _path(stem, f)
        with atomic_path(path) as tmp:
            if kind == "static":
                _save_static(fig, tmp, f)
            else:
                _save_html(fig, tmp, stem.name, True if plotlyjs == "inline" else PLOTLYJS_FILE)
        written.append(path)
    return written


def _save_static(fig, tmp: Path, fmt: str) -> None:
    # imported here: style builds on this module's table writers
    from .style import style

    metadata = {"pdf": {"CreationDate": None}, "svg": {"Date": None}}.get(fmt)
    with style():
        fig.savefig(tmp, format=fmt, dpi=PNG_DPI if fmt == "png" else VECTOR_DPI, bbox_inches="tight",
                    metadata=metadata)


def _save_html(fig, tmp: Path, name: str, include) -> None:
    """``include``: True embeds plotly.js; a file name (``plotly.min.js``) makes the page load that
    file from its own folder (plotly writes nothing for a name ending in .js)."""
    config = {"displaylogo": False, "responsive": True,
              "toImageButtonOptions": {"format": "svg", "filename": name or "figure"}}
    try:
        fig.write_html(tmp, include_plotlyjs=include, full_html=True, config=config, div_id=_div_id(name))
    except TypeError:  # plotly without div_id
        fig.write_html(tmp, include_plotlyjs=include, full_html=True, config=config)


# ----------------------------------------------------------------------------- tables

def _is_missing(v) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    try:
        return isinstance(v, float) and math.isnan(v) or (isinstance(v, np.floating) and np.isnan(v))
    except TypeError:
        return False


def _float_formatter(float_format: str | Callable[[float], str] | None) -> Callable[[float], str]:
    if float_format is None:
        return repr
    if callable(float_format):
        return float_format
    return lambda v: float_format % v


def _integral_float_column(values: pd.Series) -> bool:
    """A float column of whole numbers with one above 1 (counts that became float through NaN)."""
    v = pd.to_numeric(values, errors="coerce").to_numpy(float)
    v = v[np.isfinite(v)]
    return bool(len(v)) and bool(np.all(v == np.round(v))) and bool(np.any(np.abs(v) > 1))


def _cells(df: pd.DataFrame, float_format) -> tuple[list[str], list[list[str]], list[bool]]:
    """Header, formatted rows and per-column "is numeric" of ``df`` (index already reset)."""
    fmt = _float_formatter(float_format)
    header = [str(c) for c in df.columns]
    numeric = [pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c]) for c in df.columns]
    whole = [pd.api.types.is_float_dtype(df[c]) and _integral_float_column(df[c]) for c in df.columns]
    rows = []
    for rec in df.itertuples(index=False, name=None):
        row = []
        for v, w in zip(rec, whole):
            if _is_missing(v):
                row.append("")
            elif isinstance(v, (bool, np.bool_)):
                row.append(str(bool(v)))
            elif isinstance(v, numbers.Integral):
                row.append(str(int(v)))
            elif isinstance(v, numbers.Real):
                row.append(str(int(round(float(v)))) if w else fmt(float(v)))
            else:
                row.append(str(v))
        rows.append(row)
    return header, rows, numeric


def _with_index(df: pd.DataFrame, index: bool) -> pd.DataFrame:
    if not index:
        return df
    names = [n if n is not None else ("index" if df.index.nlevels == 1 else f"level_{i}")
             for i, n in enumerate(df.index.names)]
    out = df.copy()
    out.index = out.index.set_names(names)
    return out.reset_index()


def markdown_table(df: pd.DataFrame, index: bool = False, float_format="%.3f") -> str:
    """A GitHub pipe table (numbers right-aligned, missing values empty)."""
    header, rows, numeric = _cells(_with_index(df, index), float_format)

    def esc(s: str) -> str:
        return s.replace("|", "\\|").replace("\n", " ")

    header = [esc(h) for h in header]
    rows = [[esc(c) for c in r] for r in rows]
    widths = [max([len(h), 3] + [len(r[j]) for r in rows]) for j, h in enumerate(header)]

    def line(cells):
        return "| " + " | ".join(c.rjust(w) if num else c.ljust(w)
                                 for c, w, num in zip(cells, widths, numeric)) + " |"

    rule = "|" + "|".join((" " + "-" * (w - 1) + ": ") if num else (" :" + "-" * (w - 1) + " ")
                          for w, num in zip(widths, numeric)) + "|"
    return "\n".join([line(header), rule] + [line(r) for r in rows]) + "\n"


_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                  "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
                  "<": r"\textless{}", ">": r"\textgreater{}"}
_LATEX_UNICODE = {"β̂": r"$\hat{\beta}$", "β": r"$\beta$", "α": r"$\alpha$", "Γ": r"$\Gamma$", "γ": r"$\gamma$",
                  "σ": r"$\sigma$", "μ": r"$\mu$", "λ": r"$\lambda$", "Δ": r"$\Delta$", "≥": r"$\geq$",
                  "≤": r"$\leq$", "·": r"$\cdot$", "×": r"$\times$", "±": r"$\pm$", "→": r"$\rightarrow$",
                  "↔": r"$\leftrightarrow$", "√": r"$\surd$", "—": "---", "–": "--", "…": r"\dots{}", "−": "$-$"}


def latex_escape(text: str) -> str:
    """Escape LaTeX's special characters; write the Greek letters and symbols used here as math."""
    out, i = [], 0
    while i < len(text):
        two = text[i:i + 2]
        if two in _LATEX_UNICODE:
            out.append(_LATEX_UNICODE[two])
            i += 2
            continue
        ch = text[i]
        out.append(_LATEX_SPECIAL.get(ch) or _LATEX_UNICODE.get(ch) or ch)
        i += 1
    return "".join(out)


def latex_table(df: pd.DataFrame, index: bool = False, float_format="%.3f") -> str:
    """A booktabs ``tabular`` (needs ``\\usepackage{booktabs}``); numbers right-aligned."""
    header, rows, numeric = _cells(_with_index(df, index), float_format)
    spec = "".join("r" if num else "l" for num in numeric)
    lines = [f"\\begin{{tabular}}{{{spec}}}", "\\toprule",
             " & ".join(latex_escape(h) for h in header) + " \\\\", "\\midrule"]
    lines += [" & ".join(latex_escape(c) for c in r) + " \\\\" for r in rows]
    lines += ["\\bottomrule", "\\end{tabular}"]
    return "\n".join(lines) + "\n"


def write_table(df: pd.DataFrame, stem: str | Path, formats: Sequence[str] = TABLE_FORMATS, index: bool = False,
                float_format: str | Callable[[float], str] | None = "%.3f") -> list[Path]:
    """Write ``df`` to ``stem.csv`` (full precision), ``stem.md`` and ``stem.tex`` (floats with
    ``float_format``) — each atomically — and return the paths written.

    Float columns that hold only whole numbers (with one above 1: counts made float by a
    missing value) are shown as integers in Markdown and LaTeX; missing values are empty cells.
    """
    if not isinstance(df, pd.DataFrame):
        raise M2TError(f"write_table: expected a pandas DataFrame, got {type(df).__name__}")
    stem = Path(stem)
    fmts = _formats(formats, TABLE_FORMATS, _TABLE_ALIASES, what="table")
    written = []
    for f in fmts:
        path = _path(stem, f)
        with atomic_path(path) as tmp:
            if f == "csv":
                df.to_csv(tmp, index=index, lineterminator="\n")
            elif f == "md":
                tmp.write_text(markdown_table(df, index=index, float_format=float_format), encoding="utf-8")
            else:
                tmp.write_text(latex_table(df, index=index, float_format=float_format), encoding="utf-8")
        written.append(path)
    return written


def write_caption(text: str, stem: str | Path, latex: bool = False) -> list[Path]:
    """Write a figure's caption beside it as ``stem.caption.txt`` and, with ``latex``, a snippet to
    paste into a ``figure`` environment, ``stem.caption.tex``: ``\\caption{…}`` (the text escaped,
    Greek letters as math) and ``\\label{fig:<stem's name>}``; each atomically. Returns the paths."""
    stem = Path(stem)
    written = [_path(stem, "caption.txt")]
    with atomic_path(written[0]) as tmp:
        tmp.write_text(str(text).strip() + "\n", encoding="utf-8")
    if latex:
        label = re.sub(r"[^A-Za-z0-9_:-]+", "-", stem.name).strip("-") or "figure"
        written.append(_path(stem, "caption.tex"))
        with atomic_path(written[1]) as tmp:
            tmp.write_text(f"\\caption{{{latex_escape(str(text).strip())}}}\n\\label{{fig:{label}}}\n", encoding="utf-8")
    return written


__all__ = ["save_figure", "write_caption", "write_plotlyjs", "check_plotlyjs", "PLOTLYJS_MODES", "PLOTLYJS_FILE",
           "write_table", "markdown_table", "latex_table", "latex_escape", "STATIC_FORMATS",
           "INTERACTIVE_FORMATS", "TABLE_FORMATS"]
