"""Write the baseline images tests/test_figure_layout.py compares each paper figure with.

Run it after changing a figure's design on purpose, look at every image it writes, and commit them::

    python maintenance/make_figure_baselines.py            # all paper figures
    python maintenance/make_figure_baselines.py fig6_finegrained

The figures are drawn from the synthetic tables of tests/figure_cases.py (no model runs), two models
side by side at the text width as `m2t-interpret figures` draws them, in DejaVu Sans, at 72 dpi;
versions.json beside them records the matplotlib and FreeType that drew them: the tests compare
images only under those (another FreeType moves glyphs and layout), and run every other check anyway.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from figure_cases import BASELINE_VERSIONS, BASELINES, PAPER, dejavu, draw, drawing_versions, render_png  # noqa: E402


def main(keys: list[str]) -> int:
    unknown = [k for k in keys if k not in PAPER]
    if unknown:
        print(f"unknown figure {unknown[0]!r}; use any of: {', '.join(PAPER)}", file=sys.stderr)
        return 2
    BASELINES.mkdir(parents=True, exist_ok=True)
    with dejavu():
        for key in keys or list(PAPER):
            path = render_png(draw(key), BASELINES / f"{key}.png")
            print(f"wrote {path}")
    BASELINE_VERSIONS.write_text(json.dumps(drawing_versions(), indent=1) + "\n", encoding="utf-8")
    print(f"wrote {BASELINE_VERSIONS} (the image tests compare only with these versions)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
