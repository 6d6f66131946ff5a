"""Regenerate the images of docs/animation.md from the shipped default model.

    python maintenance/make_view_images.py [--out docs/images]

Writes ``animation.gif`` (one held-out synthetic clip), ``animation_frames.png`` (four of its
frames side by side), ``animation_camera.png`` (one frame of a clip that travels 9 m, with the fixed
camera and with the default one that follows the body) and, when headless Chromium is installed,
``explorer.png`` (a screenshot of the explorer page of three clips). Everything comes from the
commands' own library functions.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

#: The clip and word shown (held-out corpus, seed 2, test split).
CLIP, WORD = "000007", "waves"
#: A clip whose person travels (two kicks, then runs 9 m forward) and the share of it shown.
TRAVEL_CLIP, TRAVEL_AT = "000017", 0.75
EXPLORER_CLIPS = ["000000", "000002", "000003"]


def save_strip(images: list, path: Path) -> None:
    """Images side by side, as one PNG (written whole)."""
    import numpy as np
    from PIL import Image

    from m2t_interpret.io import atomic_path

    with atomic_path(path) as tmp:
        Image.fromarray(np.concatenate(images, axis=1)).save(tmp, format="PNG", optimize=True)
    print(path)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=REPO / "docs" / "images")
    args = ap.parse_args()
    import numpy as np

    from m2t_interpret import clipviews
    from m2t_interpret.plotting import browser

    view = clipviews.open_clips(clips=[CLIP])
    anim = clipviews.clip_animation(view, CLIP, word=WORD)
    print(clipviews.write_animation(anim, args.out / "animation.gif"))
    w = anim.weights
    active = np.nonzero(w.active)[0]
    frames = np.linspace(active[0], active[-1], 4).round().astype(int) if len(active) >= 4 else \
        np.linspace(0, anim.n_frames - 1, 4).round().astype(int)
    save_strip([anim.render(int(i)) for i in frames], args.out / "animation_frames.png")
    travel = clipviews.open_clips(clips=[TRAVEL_CLIP])
    cams = [clipviews.clip_animation(travel, TRAVEL_CLIP, camera=c) for c in ("fixed", "follow")]
    i = round(TRAVEL_AT * (cams[0].n_frames - 1))
    save_strip([a.render(i) for a in cams], args.out / "animation_camera.png")

    if browser.find_chromium() is None:
        print("headless Chromium not found: explorer.png not made")
        return
    page_view = clipviews.open_clips(clips=EXPLORER_CLIPS)
    with tempfile.TemporaryDirectory() as d:
        page = clipviews.write_explorer_page(page_view, Path(d) / "explorer.html")
        print(browser.screenshot(browser.file_url(page), args.out / "explorer.png", size=(1400, 1000)))


if __name__ == "__main__":
    main()
