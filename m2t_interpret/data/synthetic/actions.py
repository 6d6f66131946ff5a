"""The action catalogue: every action the generator can perform, the parts it moves and how.

Actions are made by the primitives of :mod:`.primitives` (standing actions and gaits); each
entry names its active parts (the ground truth of the words that describe it), its maker and
a description. Left/right pairs name each other as mirrors.
"""

from __future__ import annotations

from .primitives import (
    bend_forward, bow, clap, jog, jump, kick, kneel, punch, raise_arms, run, sit_down, squat,
    stand_still, throw, turn, walk, wave,
)
from .spec import ActionSpec
from .strike_actions import STRIKE_ACTIONS
from .floor_actions import FLOOR_ACTIONS


LOCO = (1, 0, 1, 1, 1, 1)
ARMS = (0, 0, 1, 1, 0, 0)

ACTIONS: dict[str, ActionSpec] = {a.name: a for a in [
    ActionSpec("walk_forward", LOCO, lambda r, m: walk(r, m, 1.0),
               "gait at 1.1–1.4 m/s with counter-phase arm swing; pelvis follows the stance foot"),
    ActionSpec("walk_backward", LOCO, lambda r, m: walk(r, m, -1.0),
               "reversed gait, slower, the body moves towards −Z of its facing"),
    ActionSpec("walk_circle", LOCO, lambda r, m: walk(r, m, 1.0, circle=True),
               "gait while the heading turns 290–360° (either direction)"),
    ActionSpec("jog", LOCO, jog, "faster gait (150–170 steps/min), bent elbows, bouncing pelvis"),
    ActionSpec("run", LOCO, run,
               "running at 165–195 steps/min, long strides with flight, the trunk leaning forward"),
    ActionSpec("jump", (1, 0, 0, 0, 1, 1), jump,
               "1–3 vertical jumps: crouch, take-off, 0.32–0.42 s flight, landing; the arms swing"),
    ActionSpec("jump_forward", (1, 0, 0, 0, 1, 1), lambda r, m: jump(r, m, forward=True),
               "1–3 jumps, each travelling 0.4–1.1 m forward"),
    ActionSpec("hop_left", (1, 0, 0, 0, 0, 1), lambda r, m: jump(r, m, hop=1),
               "1–3 hops on the left leg, the right leg held bent", mirror="hop_right"),
    ActionSpec("hop_right", (1, 0, 0, 0, 1, 0), lambda r, m: jump(r, m, hop=-1),
               "1–3 hops on the right leg, the left leg held bent", mirror="hop_left"),
    ActionSpec("turn_around", LOCO, lambda r, m: turn(r, m, float(r.choice([-1, 1])) * 180.0),
               "180° turn in place with small steps; arms rotate with the body"),
    ActionSpec("turn_left", LOCO, lambda r, m: turn(r, m, 90.0),
               "90° turn to the left, in place or (half the time) walking round a corner",
               mirror="turn_right"),
    ActionSpec("turn_right", LOCO, lambda r, m: turn(r, m, -90.0),
               "90° turn to the right, in place or (half the time) walking round a corner",
               mirror="turn_left"),
    ActionSpec("wave_left", (0, 0, 0, 1, 0, 0), lambda r, m: wave(r, m, 1),
               "left arm raised to the side, forearm waving", mirror="wave_right"),
    ActionSpec("wave_right", (0, 0, 1, 0, 0, 0), lambda r, m: wave(r, m, -1),
               "right arm raised to the side, forearm waving", mirror="wave_left"),
    ActionSpec("raise_both_arms", ARMS, lambda r, m: raise_arms(r, m, (1, -1)),
               "both arms raised overhead, held, lowered"),
    ActionSpec("raise_left_arm", (0, 0, 0, 1, 0, 0), lambda r, m: raise_arms(r, m, (1,)),
               "left arm raised overhead, held, lowered", mirror="raise_right_arm"),
    ActionSpec("raise_right_arm", (0, 0, 1, 0, 0, 0), lambda r, m: raise_arms(r, m, (-1,)),
               "right arm raised overhead, held, lowered", mirror="raise_left_arm"),
    ActionSpec("throw_left", (0, 0, 0, 1, 0, 0), lambda r, m: throw(r, m, 1),
               "left arm winds up and throws overarm", mirror="throw_right"),
    ActionSpec("throw_right", (0, 0, 1, 0, 0, 0), lambda r, m: throw(r, m, -1),
               "right arm winds up and throws overarm", mirror="throw_left"),
    ActionSpec("punch", ARMS, punch, "guard, then alternating straight punches with both fists"),
    ActionSpec("clap", ARMS, clap, "hands in front of the chest clapping 1.8–2.6 times a second"),
    ActionSpec("kick_left", (0, 0, 0, 0, 0, 1), lambda r, m: kick(r, m, 1),
               "left leg chambers and kicks to the front", mirror="kick_right"),
    ActionSpec("kick_right", (0, 0, 0, 0, 1, 0), lambda r, m: kick(r, m, -1),
               "right leg chambers and kicks to the front", mirror="kick_left"),
    ActionSpec("squat", (1, 0, 0, 0, 1, 1), squat, "1–3 deep squats, feet flat, torso upright"),
    ActionSpec("bend_forward", (0, 1, 1, 1, 0, 0), bend_forward,
               "spine flexes 65–90° and back; the hanging arms ride on the torso"),
    ActionSpec("bow", (0, 1, 1, 1, 0, 0), bow, "short 30–42° bow of the spine and back"),
    ActionSpec("sit_down", (1, 0, 0, 0, 1, 1), sit_down,
               "hips and knees flex to 90°, the pelvis drops and moves back; stays seated",
               final_only=True),
    ActionSpec("kneel", (1, 0, 0, 0, 1, 1), kneel,
               "down through a half squat onto both knees; stays kneeling", final_only=True),
    ActionSpec("stand_still", (0, 0, 0, 0, 0, 0), stand_still, "rest pose with tiny sway only"),
]}
ACTIONS.update({a.name: a for a in STRIKE_ACTIONS})
ACTIONS.update({a.name: a for a in FLOOR_ACTIONS})


def mirror_action(name: str) -> str:
    """Name of the action a left/right mirror turns ``name`` into."""
    return ACTIONS[name].mirror or name
