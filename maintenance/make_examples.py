"""Regenerate the example motions in analyses/examples/ (deterministic synthetic clips) and its
README.txt (which also lists the two real BVH clips kept there, with their NOTICE).

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
#: The real motion-capture clips kept beside them (not generated; source and licence in NOTICE).
BVH_TEXT = """
Real motion-capture clips (BVH; source and licence in NOTICE): CMU/MotionBuilder joint names,
centimetres, Y up, a small character facing +X at the start. Caption them as they are
(m2t-interpret caption analyses/examples/humanoid3d_walk.bvh) or import them to (T, 22, 3) clips
(docs/data.md, "Your own motion: BVH import"). Each is one cycle of a looping motion, shorter than
the 2 s a clip of a HumanML3D-layout dataset needs:

humanoid3d_walk.bvh\t39 frames at 30 fps (1.27 s)\twalks forward
walker_turn_left0.bvh\t38 frames at 30 fps (1.23 s)\twalks and turns to the left
"""


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
        + BVH_TEXT
    )


if __name__ == "__main__":
    main()
