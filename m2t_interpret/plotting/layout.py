"""How every static figure is made: built under the house style (:func:`~.style.style`), at a width
in inches (a paper's column or text width, or the caller's), with a height that grows with its
content up to :data:`~.style.MAX_HEIGHT`, drawn straight into a panel of a side-by-side figure when
one is being assembled (:func:`panel_target`). Shared by :mod:`.static` and the modules it gathers.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
from typing import Iterator, Sequence

from matplotlib.figure import Figure, SubFigure

from .style import COLUMN_WIDTH, figure_height, part_color, style

#: Set while a side-by-side figure is assembled: the subfigure the next figure function draws into.
_TARGET: contextvars.ContextVar = contextvars.ContextVar("m2t_static_target", default=None)


def styled(func):
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


@contextlib.contextmanager
def panel_target(sub: SubFigure) -> Iterator[None]:
    """Figure functions called inside draw into ``sub`` instead of making a figure."""
    token = _TARGET.set(sub)
    try:
        yield
    finally:
        _TARGET.reset(token)


def new_figure(width: float, height: float, title: str | None):
    """A constrained-layout figure of ``width`` × ``height`` inches (the height capped at the
    tallest a figure may be), or the panel being assembled; ``title`` on top."""
    target = _TARGET.get()
    fig = target if target is not None else Figure(figsize=(width, figure_height(height)), layout="constrained")
    if title:
        fig.suptitle(title)
    return fig


def message_figure(text: str, title: str | None, width: float | None = None) -> Figure:
    """One empty panel that says ``text`` (no data to draw)."""
    fig = new_figure(width or COLUMN_WIDTH, 1.6, title)
    ax = fig.subplots()
    ax.set_axis_off()
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="#555555", fontsize=9)
    return fig


def color_part_ticks(labels, parts: Sequence[str]) -> None:
    """Tick labels in their part's colour, bold."""
    for lab, p in zip(labels, parts):
        lab.set_color(part_color(p))
        lab.set_fontweight("bold")


def chars_per_inch(fontsize: float) -> float:
    """About how many characters of DejaVu Sans at ``fontsize`` pt fit in an inch (a mean glyph is
    about 0.55 em wide): used to wrap a title or label to the room it has."""
    return 72.0 / (0.55 * fontsize)


__all__ = ["styled", "panel_target", "new_figure", "message_figure", "color_part_ticks", "chars_per_inch"]
