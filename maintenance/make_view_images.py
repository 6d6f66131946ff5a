"""Regenerate the images of docs/animation.md from the shipped default model.

    python maintenance/make_view_images.py [--out docs/images]

Writes ``animation.gif`` (one held-out synthetic clip), ``animation_frames.png`` (four of its
frames side by side) and, when headless Chromium is installed, ``explorer.png`` (a screenshot of
the explorer page of three clips). Everything comes from the commands' own library functions.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

#: The clip and word shown (held-out corpus, seed 2, test split).
CLIP, WORD = "000003", "throws"
EXPLORER_CLIPS = ["000000", "000002", "000003"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=REPO / "docs" / "images")
    args = ap.parse_args()
    import numpy as np
    from PIL import Image

    from m2t_interpret import clipviews
    from m2t_interpret.io import atomic_path
    from m2t_interpret.plotting import browser

    view = clipviews.open_clips(clips=[CLIP])
    anim = clipviews.clip_animation(view, CLIP, word=WORD)
    print(clipviews.write_animation(anim, args.out / "animation.gif"))
    w = anim.weights
    active = np.nonzero(w.active)[0]
    frames = np.linspace(active[0], active[-1], 4).round().astype(int) if len(active) >= 4 else \
        np.linspace(0, anim.n_frames - 1, 4).round().astype(int)
    strip = np.concatenate([anim.render(int(i)) for i in frames], axis=1)
    path = args.out / "animation_frames.png"
    with atomic_path(path) as tmp:
        Image.fromarray(strip).save(tmp, format="PNG", optimize=True)
    print(path)

    if browser.find_chromium() is None:
        print("headless Chromium not found: explorer.png not made")
        return
    page_view = clipviews.open_clips(clips=EXPLORER_CLIPS)
    with tempfile.TemporaryDirectory() as d:
        page = clipviews.write_explorer_page(page_view, Path(d) / "explorer.html")
        print(browser.screenshot(browser.file_url(page), args.out / "explorer.png", size=(1400, 1000)))


if __name__ == "__main__":
    main()
