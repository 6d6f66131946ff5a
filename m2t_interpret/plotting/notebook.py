"""Interactive figures that still read where no JavaScript runs.

A plotly figure shown in Jupyter is stored in the notebook as plotly's JSON and HTML, which GitHub,
nbviewer's static pages and a PDF export cannot draw. :class:`NotebookFigure` is a plotly Figure
whose notebook output also holds a PNG of the same figure, drawn by matplotlib from the same data
(plotly's own image export needs kaleido, an optional package): Jupyter shows the interactive
figure, a static viewer the picture. Nothing changes outside Jupyter (``write_html``, ``show``).
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Container

import plotly.graph_objects as go
import plotly.io as pio
from matplotlib.figure import Figure

from .style import style

#: Pixels per inch of the PNG stored in a notebook: the size an inline matplotlib figure has.
NOTEBOOK_DPI = 100
PNG = "image/png"


def png_base64(fig: Figure, dpi: float = NOTEBOOK_DPI) -> str:
    """``fig`` as a PNG, base64-encoded as notebook outputs store images."""
    buf = io.BytesIO()
    with style():
        fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode("ascii")


class NotebookFigure(go.Figure):
    """A plotly Figure whose Jupyter output also carries ``static()`` (a matplotlib Figure of the
    same data) as ``image/png``; drawn only when the figure is displayed."""

    def __init__(self, data=None, static: Callable[[], Figure] | None = None, **kwargs) -> None:
        super().__init__(data, **kwargs)
        self._static = static

    def _repr_mimebundle_(self, include: Container[str] | None = None, exclude: Container[str] | None = None,
                          validate: bool = True, **kwargs) -> dict:
        bundle = super()._repr_mimebundle_(include, exclude, validate, **kwargs)
        wanted = (include is None or PNG in include) and (exclude is None or PNG not in exclude)
        if self._static is not None and wanted and PNG not in bundle:  # a png renderer's own image is kept
            bundle[PNG] = png_base64(self._static())
        return bundle

    def _ipython_display_(self) -> None:
        """What IPython calls to show the figure (plotly's own goes through ``plotly.io.show``, which
        would leave the PNG out): the bundle above, built by the default renderers (which also load
        plotly.js into the notebook when they need to); renderers that open a window (``browser``) run
        as plotly runs them."""
        from IPython.display import display  # IPython runs this: it is installed

        bundle = self._repr_mimebundle_() if pio.renderers.render_on_display and pio.renderers.default else {}
        if bundle:
            display(bundle, raw=True)
        else:
            super()._ipython_display_()


__all__ = ["NOTEBOOK_DPI", "NotebookFigure", "png_base64"]
