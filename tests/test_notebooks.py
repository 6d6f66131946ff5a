"""The notebooks in analyses/ are stored clean and run top to bottom with nbclient, as a user's
Jupyter would run them (kernel python3, working folder analyses/); an interactive figure's output
also holds a PNG, for viewers that run no JavaScript."""

from __future__ import annotations

import base64
import io
import os
from pathlib import Path

import nbclient  # the [test] extra installs nbclient, nbformat and ipykernel: CI runs every notebook
import nbformat
import numpy as np
import pytest

from m2t_interpret.data.synthetic.corpus import cache_name

REPO = Path(__file__).resolve().parents[1]
ANALYSES = REPO / "analyses"
NOTEBOOKS = ("explore", "real_data", "paper_figures")


def _read(name: str):
    return nbformat.read(ANALYSES / f"{name}.ipynb", as_version=4)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_is_stored_without_outputs(name):
    nb = _read(name)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, name
    for cell in code:
        assert cell.outputs == [] and cell.execution_count is None, f"{name}: a cell holds outputs; clear them"
    assert "parameters" in code[0].metadata.get("tags", []), f"{name}: the first code cell must be the parameters"


@pytest.fixture(scope="module")
def kernel_env(tmp_path_factory):
    """The kernel imports this checkout and caches into a fresh folder; the held-out corpus is
    linked from the user's cache when it is there (it is generated otherwise, as for a user)."""
    from m2t_interpret.io import cache_dir

    cache = tmp_path_factory.mktemp("nbcache")
    heldout = cache_dir() / cache_name("synthetic-heldout", 2)
    if (heldout / "test.txt").is_file():
        (cache / heldout.name).symlink_to(heldout, target_is_directory=True)
    saved = {k: os.environ.get(k) for k in ("PYTHONPATH", "M2T_INTERPRET_CACHE", "OMP_NUM_THREADS", "MPLBACKEND")}
    os.environ["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, [saved["PYTHONPATH"]])])
    os.environ["M2T_INTERPRET_CACHE"] = str(cache)
    os.environ["OMP_NUM_THREADS"] = "1"
    os.environ.pop("MPLBACKEND", None)  # the kernel's own inline backend, as in Jupyter
    yield cache
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def run_notebook(name: str, **parameters):
    """Execute a notebook; ``parameters`` go into a cell after the parameters cell, as papermill does."""
    nb = _read(name)
    if parameters:
        first = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
        source = "\n".join(f"{k} = {v!r}" for k, v in parameters.items())
        nb.cells.insert(first + 1, nbformat.v4.new_code_cell(source, metadata={"tags": ["injected-parameters"]}))
    client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=300,
                                     resources={"metadata": {"path": str(ANALYSES)}})
    client.execute()
    return nb


def _mime_types(nb) -> set[str]:
    return {mime for c in nb.cells if c.cell_type == "code" for o in c.outputs for mime in o.get("data", {})}


def _text(nb) -> str:
    parts = []
    for c in nb.cells:
        for o in c.get("outputs", []):
            parts.append(o.get("text", "") + o.get("data", {}).get("text/plain", ""))
    return "\n".join(parts)


PLOTLY = "application/vnd.plotly.v1+json"


def _png(data: str):
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(base64.b64decode(data))).convert("RGB"))


def test_an_interactive_report_figure_also_carries_its_static_png(monkeypatch):
    """Displayed in Jupyter, a report's plotly figure holds plotly's JSON and HTML and a PNG of the same
    figure drawn by matplotlib (what GitHub, nbviewer and a PDF export show); drawn only when displayed."""
    import plotly.graph_objects as go
    import plotly.io as pio
    from test_plotting import map_table

    from m2t_interpret.plotting import interactive, static
    from m2t_interpret.plotting.notebook import NotebookFigure, png_base64
    from m2t_interpret.reports import Report

    monkeypatch.setattr(pio.renderers, "default", "plotly_mimetype+notebook")  # the kernel's default
    table = map_table()
    fig = Report("map", figures={"map": ("map_figure", (table,), {})}).figure("map", interactive=True)
    assert isinstance(fig, go.Figure) and fig.to_dict() == go.Figure(interactive.map_figure(table)).to_dict()
    bundle = fig._repr_mimebundle_()
    assert {PLOTLY, "text/html", "image/png"} <= set(bundle)
    png = _png(bundle["image/png"])
    np.testing.assert_array_equal(png, _png(png_base64(static.map_figure(table))))  # the static figure's pixels
    assert png.shape[0] > 150 and png.shape[1] > 300 and len(np.unique(png.reshape(-1, 3), axis=0)) > 50
    assert "image/png" not in fig._repr_mimebundle_(exclude=["image/png"])
    shown = []  # how IPython shows it: _ipython_display_ (plotly's own would leave the PNG out)
    monkeypatch.setattr("IPython.display.display", lambda obj, raw=False: shown.append((obj, raw)))
    fig._ipython_display_()
    assert len(shown) == 1 and shown[0][1] and {PLOTLY, "text/html", "image/png"} <= set(shown[0][0])

    drawn = []
    lazy = NotebookFigure(go.Figure(), static=lambda: drawn.append(1) or static.map_figure(table))
    assert drawn == []  # nothing drawn until the figure is displayed
    assert "image/png" in lazy._repr_mimebundle_() and drawn == [1]


def test_explore_notebook_runs_and_draws_inline(kernel_env):
    nb = run_notebook("explore")
    mimes = _mime_types(nb)
    assert "image/png" in mimes, "the static figures are not drawn inline"
    assert PLOTLY in mimes, "the interactive figure is not a plotly output"
    plotly_outputs = [o["data"] for c in nb.cells if c.cell_type == "code" for o in c.outputs
                      if PLOTLY in o.get("data", {})]
    for data in plotly_outputs:  # a static viewer finds a picture beside each interactive figure
        assert "image/png" in data and _png(data["image/png"]).shape[0] > 150
    html = "\n".join(o["data"]["text/html"] for c in nb.cells if c.cell_type == "code" for o in c.outputs
                     if "text/html" in o.get("data", {}))
    assert "cdn.plot.ly" not in html and "cdn.jsdelivr" not in html, "the notebook loads plotly.js from the network"
    assert "walks" in _text(nb)


def test_real_data_notebook_runs_on_stand_ins(kernel_env, tmp_path):
    nb = run_notebook("real_data", WORK_DIR=str(tmp_path / "work"))
    text = _text(nb)
    assert "weights identical to the authors' file: True" in text
    assert "ground truth: False" in text
    assert "humanoid3d_walk.bvh: CMU / MotionBuilder names" in text and "most-moving part: " in text  # §7: BVH
    assert "image/png" in _mime_types(nb)
    assert (tmp_path / "work" / "model.pt").is_file() and (tmp_path / "work" / "humanml3d" / "test.txt").is_file()
    assert not (tmp_path / "work" / "humanml3d" / "ground_truth.parquet").exists()


def test_paper_figures_notebook_runs_on_two_models(kernel_env, tmp_path):
    nb = run_notebook("paper_figures", OUT=str(tmp_path / "paper"))
    text = _text(nb)
    assert "synthetic-guided" in text and "synthetic-unguided" in text
    assert "m2t-interpret figures --model synthetic-guided --model synthetic-unguided" in text
    assert sum(o.get("data", {}).get("image/png") is not None for c in nb.cells for o in c.get("outputs", [])) >= 5
    assert (tmp_path / "paper" / "MANIFEST.md").is_file() and (tmp_path / "paper" / "table3_gate.csv").is_file()
