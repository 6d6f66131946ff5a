"""An embedded synthetic motion–language corpus with exact ground truth.

Motions are made by joint rotations on the HumanML3D-22 skeleton (reference bone lengths, a
natural rest pose, forward kinematics, 20 fps, Y up, floor y = 0, facing +Z at frame 0, root XZ
at the origin at frame 0, subject's left = +X). A clip is 1–3 action primitives in sequence,
40–196 frames, with three paraphrased captions and, for every caption token, which action
(frames, seconds) and which of the six body parts (checkpoint column order) it describes.

Part speed, used to choose each action's active parts honestly: per-frame displacement × fps of
``joint − pelvis`` for torso, arm and leg joints and of the absolute pelvis for the root; a
part's speed is the mean over its joints (torso: joints 3, 6, 9, 12, 15). During every action,
the mean speed of its active parts is at least 3× that of the parts it leaves still.

Main entry points: :func:`generate_corpus` (CLI ``m2t-interpret synth``), :func:`generate_clip`,
:func:`load_ground_truth`, :func:`load_actions`, :func:`action_catalogue`.
"""

from .clip import (
    ACTIVE_COLUMNS, MAX_FRAMES, MIN_FRAMES, PART_NAMES, SPEED_PARTS, ActionInstance,
    SyntheticClip, generate_clip, part_speeds,
)
from .corpus import (
    ACTION_COLUMNS, CORPUS_FORMAT, DEFAULT_SEED, GENERATOR_VERSION, GT_COLUMNS,
    PART_SPEED_DEFINITION, action_catalogue, cache_name, generate_corpus, load_actions, load_corpus_info,
    load_ground_truth, load_joints, load_split, vocabulary,
)
from .kinematics import (
    BONE_LENGTHS, MIRROR_PERM, OFFSETS, Body, forward_kinematics, mirror_joints, random_body, reference_body,
)
from .language import Caption, Token

__all__ = [
    "ACTIVE_COLUMNS", "ACTION_COLUMNS", "BONE_LENGTHS", "CORPUS_FORMAT", "DEFAULT_SEED",
    "GENERATOR_VERSION", "GT_COLUMNS", "MAX_FRAMES", "MIN_FRAMES", "MIRROR_PERM", "OFFSETS",
    "PART_NAMES", "PART_SPEED_DEFINITION", "SPEED_PARTS", "ActionInstance", "Body", "Caption",
    "SyntheticClip", "Token", "action_catalogue", "cache_name", "forward_kinematics", "generate_clip",
    "generate_corpus", "load_actions", "load_corpus_info", "load_ground_truth", "load_joints",
    "load_split", "mirror_joints", "part_speeds", "random_body", "reference_body", "vocabulary",
]
