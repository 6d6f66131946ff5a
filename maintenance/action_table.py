"""The action catalogue table of docs/data.md: every action of the synthetic generator with its
active parts, caption templates, description and measured part speeds.

    python maintenance/action_table.py [--clips 20] > table.md

Part speeds (m/s, :func:`m2t_interpret.data.synthetic.part_speeds`) are the mean over the action's
frames of clips ``0 … --clips−1`` that hold that action alone (``generate_clip(i, actions=[name])``),
in checkpoint order (root, torso, right arm, left arm, right leg, left leg); parts the action does
not name are in italics. The templates column lists the plain templates; variants chosen by the
motion (a walk that bends, a punch that steps first) are listed in a note below the table.
"""

from __future__ import annotations

import argparse

import numpy as np

from m2t_interpret.data.synthetic import action_catalogue, generate_clip, part_speeds
from m2t_interpret.data.synthetic.language import TEMPLATES


def mean_part_speeds(name: str, n_clips: int) -> np.ndarray:
    """(6,) mean part speeds of ``name`` over the action's frames of ``n_clips`` clips."""
    per_clip = []
    for i in range(n_clips):
        clip = generate_clip(i, actions=[name])
        a = clip.actions[0]
        per_clip.append(part_speeds(clip.joints)[a.start_frame:a.end_frame - 1].mean(axis=0))
    return np.mean(per_clip, axis=0)


def table(n_clips: int) -> str:
    head = ("| action | active parts | example captions | what moves | part speeds root/torso/R arm/L arm/R leg/L leg (m/s) |\n"
            "|---|---|---|---|---|\n")
    rows = []
    for entry in action_catalogue():
        speeds = mean_part_speeds(entry["name"], n_clips)
        cells = [f"{v:.2f}" if on else f"*{v:.2f}*" for v, on in zip(speeds, entry["active"])]
        parts = ", ".join(p.replace("_", " ") for p in entry["active_parts"]) or "—"
        rows.append(f"| `{entry['name']}` | {parts} | {' · '.join(entry['templates'])} | {entry['description']} | "
                    f"{' / '.join(cells)} |")
    variants = sorted(k for k in TEMPLATES if k.startswith(("walk_turn_", "step_")))
    note = ("\n\nTemplates chosen by the motion: "
            + "; ".join(f"`{k}`: {' · '.join(TEMPLATES[k])}" for k in variants) + ".")
    return head + "\n".join(rows) + note


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", type=int, default=20, help="clips per action (default 20)")
    print(table(ap.parse_args().clips))


if __name__ == "__main__":
    main()
