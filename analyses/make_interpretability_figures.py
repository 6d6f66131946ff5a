"""Regenerate figures/interpretability/: every analysis command on the held-out synthetic corpus.

    python analyses/make_interpretability_figures.py [--out figures/interpretability] [--seed 2]

Each figure and table is written by the same `m2t-interpret` command a user runs (listed in
COMMANDS and printed as it runs); the list is also written to <out>/COMMANDS.md. Static figures
(PNG) and tables (CSV, Markdown) only: the interactive HTML files are 4–5 MB each (plotly.js is
embedded so they work offline), so add `--format html` when you want them.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from m2t_interpret.cli import main as cli
from m2t_interpret.io import write_text

REPO = Path(__file__).resolve().parent.parent


def commands(out: str, seed: int, clip: str) -> list[list[str]]:
    common = ["--out", out, "--seed", str(seed), "--format", "png,csv,md", "--no-progress"]
    return [
        ["density", "--word", "walk", "--word", "wave", "--word", "kick", "--word", "jump", "--word", "turn",
         "--non-motion", *common],
        ["hist", "--word", "wave", "--word", "kick", "--word", "walk", *common],
        ["parts", "--decode", "forced", *common],
        ["onset", "--decode", "forced", "--clip", clip, *common],
        ["gate", "--decode", "forced", *common],
        ["map", "--clip", clip, *common],
        ["finegrained", "--clip", clip, *common],
        ["ablate-gate", *common],
        ["compare", *common],
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="figures/interpretability")
    ap.add_argument("--seed", type=int, default=2)
    ap.add_argument("--clip", default="000006", help="clip for the per-clip figures (map, onset, finegrained)")
    args = ap.parse_args()
    done = []
    for cmd in commands(args.out, args.seed, args.clip):
        line = "m2t-interpret " + " ".join(shlex.quote(c) for c in cmd)
        print(f"$ {line}", flush=True)
        rc = cli(cmd)
        if rc:
            sys.exit(f"failed ({rc}): {line}")
        done.append(line)
    write_text(Path(args.out) / "COMMANDS.md", "# Commands that made these files\n\n```bash\n"
               + "\n".join(done) + "\n```\n")


if __name__ == "__main__":
    main()
