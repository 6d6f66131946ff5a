"""Regenerate the committed figures: figures/paper/ (the paper's figures and tables, with its
MANIFEST.md) and figures/interpretability/ (every shipped model compared, read by model_cards.py).

    python maintenance/make_interpretability_figures.py [--seed 2] [--clip 000006]

Both are plain `m2t-interpret` commands (printed as they run); the list is also written to
figures/interpretability/COMMANDS.md. Run from the repository root with one thread
(OMP_NUM_THREADS=1), as the committed files were: the test that regenerates a subset compares the
tables exactly. figures/paper/ is replaced whole (it holds only what its MANIFEST.md lists).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from m2t_interpret.cli import main as cli
from m2t_interpret.io import write_text

REPO = Path(__file__).resolve().parent.parent


def commands(seed: int, clip: str) -> list[list[str]]:
    return [
        ["figures", "--out", "figures/paper", "--seed", str(seed), "--clip", clip, "--no-progress"],
        ["compare", "--out", "figures/interpretability", "--seed", str(seed), "--format", "png,csv,md",
         "--no-progress"],
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=2)
    ap.add_argument("--clip", default="000006", help="clip of the per-clip figures (Γ curves, fine-grained, map)")
    args = ap.parse_args()
    done = []
    for cmd in commands(args.seed, args.clip):
        line = "m2t-interpret " + " ".join(shlex.quote(c) for c in cmd)
        print(f"$ {line}", flush=True)
        rc = cli(cmd)
        if rc:
            sys.exit(f"failed ({rc}): {line}")
        done.append(line)
    write_text(REPO / "figures" / "interpretability" / "COMMANDS.md", "# Commands that made these files\n\n"
               "```bash\n" + "\n".join(done) + "\n```\n\nThe paper's figures and tables are in ../paper/ "
               "(see its MANIFEST.md).\n")


if __name__ == "__main__":
    main()
