"""Regenerate the example motions in analyses/examples/ (deterministic synthetic clips).

    python maintenance/make_examples.py
"""

from pathlib import Path

import numpy as np

from m2t_interpret.data.synthetic import generate_clip
from m2t_interpret.io import atomic_path

EXAMPLES = {
    "walk_then_wave": (101, ["walk_forward", "wave_right"]),
    "kick_then_jump": (102, ["kick_left", "jump"]),
    "squat": (103, ["squat"]),
}


def main() -> None:
    out = Path(__file__).resolve().parent.parent / "analyses" / "examples"
    out.mkdir(exist_ok=True)
    lines = []
    for name, (seed, actions) in EXAMPLES.items():
        clip = generate_clip(seed, actions=actions)
        with atomic_path(out / f"{name}.npy") as tmp:
            with open(tmp, "wb") as f:
                np.save(f, clip.joints)
        lines.append(f"{name}.npy\t{clip.joints.shape[0]} frames\t{clip.captions[0].text}")
    (out / "README.txt").write_text(
        "Synthetic example motions (HumanML3D new_joints layout, (T, 22, 3) metres, 20 fps),\n"
        "made by maintenance/make_examples.py. One reference caption each:\n\n" + "\n".join(lines) + "\n"
    )


if __name__ == "__main__":
    main()
