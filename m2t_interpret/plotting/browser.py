"""Headless Chromium for pages this package writes: the DOM after the page's scripts ran, and a
screenshot. Used to test the explorer page in a real browser and to make the docs' screenshot.

Chromium is an optional system program (Debian's ``chromium``); :func:`find_chromium` returns None
when it is missing, and callers skip.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from ..errors import M2TError
from ..io import atomic_path

#: Looked up on PATH in this order (Debian, Ubuntu, Google's build).
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    """The Chromium executable (``$M2T_CHROMIUM`` first, then PATH), or None."""
    given = os.environ.get("M2T_CHROMIUM")
    if given:
        return given if Path(given).is_file() else None
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _run(args: list[str], timeout: float) -> subprocess.CompletedProcess:
    exe = find_chromium()
    if exe is None:
        raise M2TError("headless Chromium not found: install Debian's chromium (apt-get install chromium) or set "
                       "M2T_CHROMIUM to its path")
    with tempfile.TemporaryDirectory(prefix="m2t-chromium-") as profile:
        # --no-sandbox: CI containers run as root, where Chromium's sandbox refuses to start;
        # a fresh profile keeps runs independent of each other and of the user's browser
        cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--mute-audio",
               "--no-first-run", "--disable-extensions", f"--user-data-dir={profile}", *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)


def file_url(path: str | os.PathLike, query: str = "") -> str:
    return Path(path).resolve().as_uri() + (f"?{query}" if query else "")


def dump_dom(url: str, budget_ms: int = 15000, timeout: float = 120) -> str:
    """The page's DOM once its scripts have run (``budget_ms`` of virtual time)."""
    done = _run([f"--virtual-time-budget={int(budget_ms)}", "--dump-dom", url], timeout)
    if done.returncode != 0 or not done.stdout.strip():
        raise M2TError(f"chromium could not load {url} (exit {done.returncode}): "
                       + (done.stderr.strip().splitlines() or ["no output"])[-1])
    return done.stdout


def screenshot(url: str, png: str | os.PathLike, size: tuple[int, int] = (1400, 1000), budget_ms: int = 15000,
               timeout: float = 120) -> Path:
    """Save a PNG of the page at ``size`` (width, height) pixels (the file appears only when complete)."""

    png = Path(png).resolve()
    with tempfile.TemporaryDirectory(prefix="m2t-shot-") as d:
        shot = Path(d) / "shot.png"  # Chromium picks the image format from the suffix
        done = _run([f"--virtual-time-budget={int(budget_ms)}", f"--window-size={size[0]},{size[1]}",
                     f"--screenshot={shot}", url], timeout)
        if done.returncode != 0 or not shot.is_file() or shot.stat().st_size == 0:
            raise M2TError(f"chromium could not screenshot {url} (exit {done.returncode})")
        with atomic_path(png) as tmp:
            shutil.copyfile(shot, tmp)
    return png


__all__ = ["CANDIDATES", "dump_dom", "file_url", "find_chromium", "screenshot"]
