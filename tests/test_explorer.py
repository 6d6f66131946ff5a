"""The explorer page: self-contained and offline, its data complete, and — in headless Chromium —
it loads without console errors, a click on a word changes the map, and a screenshot is not blank.

The browser test is marked ``browser`` and skipped when no Chromium is installed (Debian's
``chromium``; ``.ci/run`` installs it when it can)."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from m2t_interpret.plotting import browser


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    from m2t_interpret.cli import main
    from m2t_interpret.data.synthetic import generate_corpus

    d = tmp_path_factory.mktemp("explore")
    # seed 83: clip 000000 punches with both fists, then crawls
    root = generate_corpus(d / "c", n_train=0, n_val=0, n_test=2, seed=83, progress=False)
    out = d / "page.html"
    assert main(["explore", "--data", str(root), "--clip", "000000,1", "--out", str(out)]) == 0
    return out


def _payload(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="m2t-data">(.*?)</script>', html, re.DOTALL)
    return json.loads(m.group(1))


def test_page_is_one_offline_file_with_every_panel_s_data(page):
    html = page.read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]+src=", html), "no external scripts: plotly.js is inline"
    assert not re.search(r"<link[^>]+href=", html)
    assert "Plotly" in html and len(html) > 3_000_000  # plotly.js itself
    data = _payload(html)
    assert [c["id"] for c in data["clips"]] == ["000000", "000001"]
    c = data["clips"][0]
    t = len(c["time_s"])
    assert np.asarray(c["joints"]).shape == (t, 22, 3) and len(c["joint_part"]) == 22
    punches = next(w for w in c["words"] if w["word"] == "punches")
    assert np.asarray(punches["map"]).shape == (6, t) and len(punches["window"]) == t
    assert punches["motion"] and punches["true_segment"] and set(punches["true_parts"]) == {"left arm", "right arm"}
    assert abs(sum(punches["attention_parts"]) - 1) < 1e-3 and abs(sum(punches["attribution_parts"]) - 1) < 1e-3
    assert c["words"][c["default_word"]]["motion"]
    assert data["attribution_label"].startswith("attribution |ablation|")


def _overlap(a, b) -> bool:
    """Whether two [left, top, right, bottom] boxes share more than a pixel's width."""
    return min(a[2], b[2]) - max(a[0], b[0]) > 1 and min(a[3], b[3]) - max(a[1], b[1]) > 1


def test_panel_titles_sit_below_the_modebar_band():
    """plotly.js draws its modebar over the top MODEBAR_PX pixels of each panel, at the right; every
    title starts below that band (in pixels from the panel's top) and ends above the plot area, and
    the bar panel's legend sits between its title and its plot. The page's script sets only the text."""
    from m2t_interpret.plotting.explorer import _SCRIPT, MODEBAR_PX, panel_layouts

    assert MODEBAR_PX >= 28  # 2 px offset + 22 px buttons + padding, as plotly.js's stylesheet has it
    for name, lay in panel_layouts().items():
        t, h = lay["title"], lay["height"]
        assert t["yref"] == "container" and t["yanchor"] == "top" and t["xanchor"] == "left", name
        top = (1 - t["y"]) * h
        bottom = top + 1.3 * t["font"]["size"]  # a line of text, descenders included
        assert top >= MODEBAR_PX - 0.5, name
        room = lay["margin"]["t"] - (2 * 26 if name == "parts" else 0)  # the legend's two rows above the plot
        assert bottom <= room, (name, bottom, lay["margin"]["t"])
        if name == "parts":  # the legend hangs from right under the title, with room for two rows
            leg = lay["legend"]
            assert leg["yref"] == "container" and leg["yanchor"] == "top" and leg["orientation"] == "h"
            assert bottom <= (1 - leg["y"]) * h <= lay["margin"]["t"] - 2 * 26
    assert "lay.title = " not in _SCRIPT and _SCRIPT.count("lay.title.text = ") == 4


def test_explore_refuses_a_user_file(page, tmp_path, capsys):
    from m2t_interpret.cli import main

    mine = tmp_path / "notes.html"
    mine.write_text("<p>mine</p>")
    assert main(["explore", "--out", str(mine)]) == 2
    assert "exists and is not an earlier explorer page" in capsys.readouterr().err
    assert mine.read_text() == "<p>mine</p>"


@pytest.mark.browser
@pytest.mark.skipif(browser.find_chromium() is None, reason="headless Chromium not installed (Debian: apt-get "
                                                                "install chromium); see docs/animation.md")
def test_page_in_headless_chromium(page, tmp_path):
    from PIL import Image

    dom = browser.dump_dom(browser.file_url(page, "test=click"))
    m = re.search(r'<pre id="m2t-test">(.*?)</pre>', dom, re.DOTALL)
    assert m, "the page's test hook did not run"
    result = json.loads(m.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert result["errors"] == []
    assert result["map_changed"] and result["selected"] == result["clicked"]
    assert result["traces"] > 20  # bones, the floor path and the joints
    # as drawn (after the click, the Γ title names the word and its true segment): no control over a title
    for panel, b in result["boxes"].items():
        assert b["title"] and b["modebar"], panel
        assert not _overlap(b["title"], b["modebar"]), (panel, b)
        assert b["title"][3] <= b["plot_top"] + 1, (panel, b)  # the title stays above the plot area
        if b["legend"]:
            assert not _overlap(b["title"], b["legend"]) and not _overlap(b["legend"], b["modebar"]), (panel, b)
    assert result["boxes"]["gamma"]["title"][2] > result["boxes"]["gamma"]["modebar"][0]  # a title as wide as the bar

    png = browser.screenshot(browser.file_url(page), tmp_path / "shot.png")
    img = np.asarray(Image.open(png).convert("RGB"))
    assert img.shape[:2] == (1000, 1400)
    not_white = (img < 235).any(-1).mean()
    assert not_white > 0.05 and len(np.unique(img.reshape(-1, 3), axis=0)) > 500


@pytest.mark.browser
@pytest.mark.skipif(browser.find_chromium() is None, reason="headless Chromium not installed (Debian: apt-get "
                                                                "install chromium); see docs/animation.md")
def test_the_page_s_error_hook_reports_console_errors(page, tmp_path):
    """The control for the test above: a page that logs an error shows it in the hook's output."""
    broken = tmp_path / "broken.html"
    broken.write_text(page.read_text(encoding="utf-8").replace(
        "</body>", "<script>console.error('boom')</script></body>"), encoding="utf-8")
    dom = browser.dump_dom(browser.file_url(broken, "test=click"))
    result = json.loads(re.search(r'<pre id="m2t-test">(.*?)</pre>', dom, re.DOTALL).group(1).replace("&quot;", '"'))
    assert result["errors"] == ["console.error: boom"]


def test_docs_show_the_screenshot_and_the_animation():
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    text = (repo / "docs" / "animation.md").read_text(encoding="utf-8")
    for image in ("images/explorer.png", "images/animation_frames.png"):
        assert f"]({image})" in text and (repo / "docs" / image).stat().st_size > 10_000
    assert "m2t-interpret animate" in (repo / "README.md").read_text(encoding="utf-8")
