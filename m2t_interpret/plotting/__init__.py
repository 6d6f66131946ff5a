"""Figures from the analysis tables (tidy pandas DataFrames made by :mod:`m2t_interpret.analysis`).

Two parallel sets of functions with the same names and arguments:

* :mod:`.static` — matplotlib figures (``matplotlib.figure.Figure``) for papers;
* :mod:`.interactive` — plotly figures (``plotly.graph_objects.Figure``) with hover text.

Plotting never computes an analysis and never touches matplotlib's global state (no pyplot, no
``matplotlib.use``, no global seaborn theme). Write figures with :func:`save_figure` and tables
with :func:`write_table`. Layers: analysis ← plotting ← cli.
"""

from . import interactive, static
from .save import save_figure, write_table
from .static import (ablation_figure, compare_figure, density_figure, finegrained_figure, gate_figure,
                     histogram_figure, map_figure, onset_figure, parts_figure, temporal_scores_figure)
from .style import PART_COLORS, part_color, part_label, style

#: The figure functions by name (each exists in both :mod:`.static` and :mod:`.interactive`).
FIGURES: tuple[str, ...] = ("density_figure", "histogram_figure", "parts_figure", "onset_figure",
                            "temporal_scores_figure", "gate_figure", "map_figure", "finegrained_figure",
                            "ablation_figure", "compare_figure")

__all__ = ["static", "interactive", "save_figure", "write_table", "style", "PART_COLORS", "part_color",
           "part_label", "FIGURES", "density_figure", "histogram_figure", "parts_figure", "onset_figure",
           "temporal_scores_figure", "gate_figure", "map_figure", "finegrained_figure", "ablation_figure",
           "compare_figure"]
