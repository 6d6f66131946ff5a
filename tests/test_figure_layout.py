"""Every paper figure fits a paper page and reads there: drawn as `m2t-interpret figures` draws it (two
models side by side at the text width), as its analysis command draws it (its own width) and at the
column width, from the synthetic tables of tests/figure_cases.py.

* the PDF's page is at most 7.0 × 9.0 in and as wide as asked (no blank margin left in it);
* no text in the PDF is under 7 pt (the font sizes its text operators set, read from the file);
* no two texts the figure draws overlap (their boxes after drawing, rotated ones as rotated
  rectangles), and none sticks out of the figure;
* the paper figure looks as its committed baseline image does (matplotlib's ``compare_images``, RMS
  tolerance argued at BASELINE_TOLERANCE; regenerate with maintenance/make_figure_baselines.py).

Text is drawn in DejaVu Sans (matplotlib's own font) so that every machine measures the same glyphs;
Arial, which the house style prefers where installed, is narrower, so the checks hold for it too.
The first three checks hold on any matplotlib; the image comparison needs the matplotlib and FreeType
the baselines were drawn with (see BASELINE_TOLERANCE) and says so where they differ.
"""

from __future__ import annotations

import json
import re
import zlib
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from figure_cases import BASELINE_VERSIONS, BASELINES, OTHER, PAPER, dejavu, draw, drawing_versions, render_png, single
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.testing.compare import calculate_rms, compare_images
from matplotlib.text import Text
from PIL import Image

from m2t_interpret.errors import M2TError
from m2t_interpret.plotting import save_figure
from m2t_interpret.plotting.style import COLUMN_WIDTH, MAX_HEIGHT, MIN_FONT, TEXT_WIDTH, parse_width, style

#: Largest RMS difference (0–255 levels per channel) from a baseline that still passes. Measured on
#: the seven paper figures at 72 dpi: with the baselines' matplotlib and FreeType (a pip wheel bundles
#: both, and matplotlib ships DejaVu Sans) another process or machine draws them identically, RMS 0.0;
#: a change a reader sees differs by more than 1: one bar of Fig. 6 recoloured 8.5, the time axis 3 %
#: longer 8-11, a curve of Fig. 2a twice as thick 3.2. Another FreeType moves every glyph and, through
#: the glyphs' widths, the constrained layout: FreeType's hinting off or its autohinter forced gives
#: RMS 15-40 even with all text removed, more than a recoloured bar — no tolerance passes that and still
#: catches a change, so the comparison runs only with the baselines' versions (BASELINE_VERSIONS).
BASELINE_TOLERANCE = 1.0

#: Two boxes overlap when they share more than this many pixels (at 100 dpi) in both directions.
OVERLAP_PX = 1.0
#: Each paper figure side by side at the text width and alone at the column width; alone at its own
#: width too where that is not the column width; and the other figures the command writes (the
#: temporal scores, the gate ablation, the comparison), at their own width and the column width.
CASES = ([(key, "paper") for key in PAPER] + [(key, "column") for key in [*PAPER, *OTHER]]
         + [(key, "single") for key in ("fig2b_hist", "figS1_parts", *OTHER)])


@pytest.fixture(scope="module", autouse=True)
def in_dejavu():
    """Every figure of this module in DejaVu Sans (see the module's docstring)."""
    with dejavu():
        yield


# ----------------------------------------------------------------------------- reading a PDF

def pdf_page_inches(data: bytes) -> tuple[float, float]:
    """Width and height (inches) of the first page's MediaBox."""
    box = re.search(rb"/MediaBox\s*\[\s*([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s*\]", data)
    x0, y0, x1, y1 = (float(v) for v in box.groups())
    return (x1 - x0) / 72.0, (y1 - y0) / 72.0


def pdf_font_sizes(data: bytes) -> list[float]:
    """The size (pt) of every ``Tf`` (set font) operator in the PDF's content streams (compressed or not)."""
    sizes = []
    for raw in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, flags=re.DOTALL):
        try:
            content = zlib.decompress(raw)
        except zlib.error:
            content = raw
        if b"BT" in content:
            sizes += [float(v) for v in re.findall(rb"/[^\s/]+\s+([\d.]+)\s+Tf\b", content)]
    return sizes


# ----------------------------------------------------------------------------- the drawn texts

def drawn_texts(fig) -> list[tuple[Text, np.ndarray]]:
    """Every non-empty text the figure draws (at its own size) with its corners in pixels: its
    rotated rectangle, not the upright box around it, so that slanted tick labels are judged by what
    they cover."""
    seen: list[Text] = []
    original = Text.draw

    def record(self, renderer):
        original(self, renderer)
        if self.get_visible() and self.get_text().strip():
            seen.append(self)

    canvas = FigureCanvasAgg(fig)
    with style(), mock.patch.object(Text, "draw", record):
        canvas.draw()
    renderer = canvas.get_renderer()
    return [(t, text_corners(t, renderer)) for t in seen]


def text_corners(text: Text, renderer) -> np.ndarray:
    """The four corners (pixels) of ``text``'s rotated box: its upright size turned by its angle
    about the centre of the box it is drawn in (a rotated rectangle's bounding box shares its centre)."""
    box = text.get_window_extent(renderer)
    angle = text.get_rotation()
    if angle % 180 == 0:
        return np.array([[box.x0, box.y0], [box.x1, box.y0], [box.x1, box.y1], [box.x0, box.y1]])
    text.set_rotation(0)
    upright = text.get_window_extent(renderer)
    text.set_rotation(angle)
    w, h, a = upright.width / 2, upright.height / 2, np.deg2rad(angle)
    turn = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    return np.array([(box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2]) + np.array(
        [[-w, -h], [w, -h], [w, h], [-w, h]]) @ turn.T


def overlap(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two convex quadrilaterals share more than OVERLAP_PX along every separating axis."""
    for poly in (a, b):
        for i in range(4):
            edge = poly[(i + 1) % 4] - poly[i]
            axis = np.array([-edge[1], edge[0]]) / (np.hypot(*edge) or 1.0)
            pa, pb = a @ axis, b @ axis
            if min(pa.max(), pb.max()) - max(pa.min(), pb.min()) <= OVERLAP_PX:
                return False
    return True


def overlapping(texts) -> list[tuple[str, str]]:
    return [(ta.get_text(), tb.get_text()) for i, (ta, a) in enumerate(texts) for tb, b in texts[i + 1:]
            if overlap(a, b)]


def test_the_collision_check_sees_texts_over_texts_and_slanted_labels_side_by_side():
    """The checks can fail: two labels printed over each other, and a slanted label run into its
    neighbour, are found; slanted labels side by side (their upright boxes overlap) are not."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(3, 2))
    ax = fig.subplots()
    ax.text(0.5, 0.5, "left arm", transform=ax.transAxes)
    ax.text(0.52, 0.5, "waves", transform=ax.transAxes)
    ax.set_xticks(range(6), labels=["root", "torso", "left arm", "right arm", "left leg", "right leg"], rotation=40,
                  ha="right", rotation_mode="anchor")
    found = overlapping(drawn_texts(fig))
    assert found == [("left arm", "waves")]
    ax.set_xticks(range(6), labels=["root", "torso", "left arm", "right arm", "left leg", "right leg"], rotation=10,
                  ha="right", rotation_mode="anchor")
    assert len(overlapping(drawn_texts(fig))) > 1  # nearly flat, the long labels run into each other


def test_the_pdf_reader_finds_page_size_and_every_font_size(tmp_path):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4.0, 2.5))
    ax = fig.subplots()
    ax.set_title("nine", fontsize=9)
    ax.text(0.5, 0.5, "six and a half", fontsize=6.5)
    fig.savefig(tmp_path / "f.pdf")
    data = (tmp_path / "f.pdf").read_bytes()
    assert pdf_page_inches(data) == pytest.approx((4.0, 2.5))
    assert min(pdf_font_sizes(data)) == pytest.approx(6.5) and 9.0 in pdf_font_sizes(data)


# ----------------------------------------------------------------------------- the checks

@pytest.mark.parametrize("key, variant", CASES)
def test_figure_fits_a_page_with_readable_text_and_no_collisions(key, variant, tmp_path):
    fig = draw(key, variant)
    width, height = fig.get_size_inches()
    (pdf,) = save_figure(fig, tmp_path / key, ["pdf"])
    data = pdf.read_bytes()
    page_w, page_h = pdf_page_inches(data)
    assert page_w <= TEXT_WIDTH + 0.005 and page_h <= MAX_HEIGHT + 0.005, (key, variant, page_w, page_h)
    # constrained layout fills the figure and the tight box trims nothing but the thin pad: the page is the asked width
    assert page_w >= width - 0.15, (key, variant, page_w, width)
    sizes = pdf_font_sizes(data)
    assert sizes and min(sizes) >= MIN_FONT - 1e-6, (key, variant, sorted(set(sizes))[:3])
    assert max(sizes) <= 9.0 + 1e-6, (key, variant, max(sizes))
    texts = drawn_texts(fig)
    assert len(texts) > 5
    assert overlapping(texts) == [], (key, variant)
    inside = fig.bbox.padded(1.0)
    outside = [t.get_text() for t, corners in texts
               if not all(inside.contains(x, y) for x, y in corners)]
    assert outside == [], (key, variant)


@pytest.mark.parametrize("key", list(PAPER))
def test_paper_figure_matches_its_baseline(key, tmp_path):
    baseline = BASELINES / f"{key}.png"
    assert baseline.is_file(), f"no baseline {baseline.name}: run maintenance/make_figure_baselines.py"
    drawn_with = json.loads(BASELINE_VERSIONS.read_text(encoding="utf-8"))
    if drawn_with != drawing_versions():
        pytest.skip(f"the baselines were drawn with {drawn_with}, this is {drawing_versions()}: another FreeType "
                    "moves glyphs and layout past any useful tolerance; maintenance/make_figure_baselines.py redraws them")
    actual = render_png(draw(key, "paper"), tmp_path / f"{key}.png")
    result = compare_images(str(baseline), str(actual), tol=BASELINE_TOLERANCE)
    assert result is None, result


def _rms(a: Path, b: Path) -> float:
    return float(calculate_rms(np.asarray(Image.open(a).convert("RGB"), dtype=float),
                               np.asarray(Image.open(b).convert("RGB"), dtype=float)))


def test_the_tolerance_passes_a_redrawing_and_fails_a_changed_figure(tmp_path):
    """Drawn twice, a figure is the same image; a bar recoloured or the time axis stretched by 3 % is
    beyond the tolerance (see BASELINE_TOLERANCE)."""
    plain = render_png(draw("fig6_finegrained"), tmp_path / "plain.png")
    assert _rms(plain, render_png(draw("fig6_finegrained"), tmp_path / "again.png")) < BASELINE_TOLERANCE / 10
    fig = draw("fig6_finegrained")
    fig.subfigs[0].axes[0].patches[0].set_facecolor("#777777")
    assert _rms(plain, render_png(fig, tmp_path / "recoloured.png")) > BASELINE_TOLERANCE
    fig = draw("fig6_finegrained")
    ax = fig.subfigs[1].axes[0]
    ax.set_xlim(ax.get_xlim()[0], ax.get_xlim()[1] * 1.03)
    assert _rms(plain, render_png(fig, tmp_path / "stretched.png")) > BASELINE_TOLERANCE


# ----------------------------------------------------------------------------- --width

@pytest.mark.parametrize("value, inches", [("column", 3.35), ("TEXT", 7.0), ("4.5", 4.5), ("5in", 5.0), (None, None),
                                           (6, 6.0)])
def test_width_names_and_inches(value, inches):
    assert parse_width(value) == inches


@pytest.mark.parametrize("value", ["wide", "1", "25", "nan", "inf", "-3"])
def test_a_bad_width_says_what_is_allowed(value):
    with pytest.raises(M2TError) as err:
        parse_width(value)
    assert "column" in str(err.value) and "text" in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize("width", [COLUMN_WIDTH, 5.0, TEXT_WIDTH])
def test_every_figure_takes_the_width_asked_for(width):
    for key in PAPER:
        report, figure_key = single(key)
        fig = report.figure(figure_key, width=width)
        assert fig.get_size_inches()[0] == pytest.approx(width)
        assert fig.get_size_inches()[1] <= MAX_HEIGHT


# ----------------------------------------------------------------------------- the committed paper figures

COMMITTED = sorted((Path(__file__).resolve().parents[1] / "figures" / "paper").rglob("*.pdf"))


@pytest.mark.parametrize("pdf", COMMITTED, ids=lambda p: p.name)
def test_every_committed_paper_pdf_fits_a_page_with_readable_text(pdf):
    """What figures/paper/ holds (made by `m2t-interpret figures`), read back from each PDF: at most
    7.0 × 9 in, and no text set under 7 pt at that size."""
    data = pdf.read_bytes()
    width, height = pdf_page_inches(data)
    assert width <= TEXT_WIDTH + 0.01 and height <= MAX_HEIGHT + 0.01, (pdf.name, width, height)
    sizes = pdf_font_sizes(data)
    assert sizes and min(sizes) >= 7.0 - 1e-6, (pdf.name, min(sizes))


def test_there_are_committed_paper_pdfs():
    assert len(COMMITTED) >= 7
