"""Caption templates, the part-of-speech lexicon and the caption builder.

Captions are lowercase words separated by single spaces, with no punctuation, so splitting on
whitespace is the tokenisation. Every word has one Universal POS tag from :data:`LEXICON`.

``is_motion`` rule: a token is a motion word when it belongs to an action's phrase (the verb
phrase made from the action's template, e.g. ``waves with the right hand``) **and** its POS is
a content tag (VERB, NOUN, ADJ, ADV, NUM). So the verb, its direction/side/body-part words and
counts (``forward``, ``circle``, ``right``, ``hand``, ``twice``) are motion words; subjects,
determiners, pronouns, prepositions and connectors (``a person``, ``the``, ``his``, ``with``,
``in``, ``then``, ``and``, ``after``, ``before``) are not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import strike_actions
from . import floor_actions
from .spec import pos_table

MOTION_POS = frozenset({"VERB", "NOUN", "ADJ", "ADV", "NUM"})

LEXICON: dict[str, str] = pos_table(
    # subjects, function words, connectors
    "DET a the", "PRON his someone", "NOUN person man", "ADV then", "CCONJ and", "ADP after", "PRON that",
    "ADP before with in to on", "DET all both", "ADP above", "ADV first",
    # verbs (3rd person and -ing forms)
    "VERB walks walking steps stepping jogs jogging runs running jumps jumping turns turning waves waving"
    " raises raising lifts lifting throws throwing punches punching boxes boxing claps clapping kicks kicking"
    " squats squatting does doing bends bending bows bowing takes taking sits sitting kneels kneeling"
    " gets getting stands standing stays staying circles circling",
    # modifiers and objects
    "ADV forward backward backwards straight ahead around up down over back still once twice together",
    "NOUN place circle", "ADJ left right", "NOUN hand hands arm arms head leg foot knees air", "PRON something",
    "NUM three two", "NOUN times squat bow seat way", "ADV fast quickly", "VERB leaps leaping hops hopping",
)

#: -ing form of each verb (used with "before"/"after").
GERUND: dict[str, str] = {
    "walks": "walking", "steps": "stepping", "jogs": "jogging", "runs": "running",
    "jumps": "jumping", "turns": "turning", "waves": "waving", "raises": "raising",
    "lifts": "lifting", "throws": "throwing", "punches": "punching", "boxes": "boxing",
    "claps": "clapping", "kicks": "kicking", "squats": "squatting", "does": "doing",
    "bends": "bending", "bows": "bowing", "takes": "taking", "sits": "sitting",
    "kneels": "kneeling", "gets": "getting", "stands": "standing", "stays": "staying",
    "circles": "circling", "leaps": "leaping", "hops": "hopping",
}

SUBJECTS = ("a person", "someone", "a man")

#: Templates per action (``{side}`` = left/right). The first word is always the verb.
TEMPLATES: dict[str, tuple[str, ...]] = {
    "walk_forward": ("walks forward", "walks straight forward", "walks straight ahead"),
    "walk_backward": ("walks backward", "walks backwards", "steps backward"),
    "walk_circle": ("walks in a circle", "walks around in a circle", "circles around"),
    "jog": ("jogs forward", "jogs", "jogs straight ahead"),
    "run": ("runs forward", "runs fast", "runs quickly forward"),
    "jump1": ("jumps up", "jumps once", "jumps in place"),
    "jump2": ("jumps twice", "jumps up twice", "jumps up and down"),
    "jump3": ("jumps three times", "jumps up three times", "jumps up and down"),
    "jump_forward1": ("jumps forward", "leaps forward", "jumps ahead"),
    "jump_forward2": ("jumps forward twice", "leaps forward twice", "jumps forward two times"),
    "jump_forward3": ("jumps forward three times", "leaps forward three times", "jumps ahead three times"),
    "hop_left": ("hops on the left leg", "hops on his left foot", "jumps on his left leg"),
    "hop_right": ("hops on the right leg", "hops on his right foot", "jumps on his right leg"),
    "turn_around": ("turns around", "turns all the way around", "turns around in place"),
    "turn_left": ("turns left", "turns to the left", "turns to his left"),
    "turn_right": ("turns right", "turns to the right", "turns to his right"),
    "walk_turn_left": ("walks and turns left", "walks forward and turns to the left",
                       "walks and turns to his left"),
    "walk_turn_right": ("walks and turns right", "walks forward and turns to the right",
                        "walks and turns to his right"),
    "wave_left": ("waves with the left hand", "waves his left hand", "waves the left hand"),
    "wave_right": ("waves with the right hand", "waves his right hand", "waves the right hand"),
    "raise_both_arms": ("raises both arms", "raises his arms up", "lifts both arms above his head"),
    "raise_left_arm": ("raises the left arm", "raises his left arm", "lifts his left arm up"),
    "raise_right_arm": ("raises the right arm", "raises his right arm", "lifts his right arm up"),
    "throw_left": ("throws something with the left hand", "throws with his left hand",
                   "throws with the left arm"),
    "throw_right": ("throws something with the right hand", "throws with his right hand",
                    "throws with the right arm"),
    "punch": ("punches the air", "punches with both hands", "boxes with both hands"),
    "clap": ("claps his hands", "claps both hands together", "claps"),
    "kick_left": ("kicks with the left leg", "kicks his left leg", "kicks with the left foot"),
    "kick_right": ("kicks with the right leg", "kicks his right leg", "kicks with the right foot"),
    "squat1": ("squats down", "does a squat", "squats down and stands up"),
    "squat2": ("squats twice", "does two squats", "squats down twice"),
    "squat3": ("squats three times", "does three squats", "squats down three times"),
    "bend_forward": ("bends forward", "bends over", "bends down"),
    "bow": ("bows", "bows down", "takes a bow"),
    "sit_down": ("sits down", "takes a seat", "sits down slowly"),
    "kneel": ("kneels down", "kneels on both knees", "gets down on his knees"),
    "stand_still": ("stands still", "stands in place", "stays still"),
}

LEXICON.update(strike_actions.WORDS)
GERUND.update(strike_actions.GERUND)
TEMPLATES.update(strike_actions.TEMPLATES)

# "sits down slowly": slowly is a content word; keep the lexicon complete
LEXICON["slowly"] = "ADV"
LEXICON["squats"] = "VERB"  # "does two squats" tags the plural noun as NOUN below
_NOUN_AFTER_NUM = {"squats"}

# floor and acrobatic actions (crawl, get up, roll, cartwheel, backflip)
LEXICON.update(floor_actions.WORDS)
GERUND.update(floor_actions.GERUND)
TEMPLATES.update(floor_actions.TEMPLATES)

CONNECTORS = ("then", "and then", "and after that")


#: A forward walk whose heading bends by at least this much (degrees) is captioned as a turn.
TURNING_WALK_DEG = 20.0


def template_key(action: str, params: dict) -> str:
    """The caption templates of one action instance: by repetitions (jumps, squats), by how far a
    forward walk turns, and whether a punch steps forward first."""
    if action in ("jump", "jump_forward", "squat"):
        return f"{action}{int(params.get('reps', 1))}"
    if action == "walk_forward" and abs(params.get("heading_drift_deg", 0.0)) >= TURNING_WALK_DEG:
        return "walk_turn_left" if params["heading_drift_deg"] > 0 else "walk_turn_right"
    if params.get("steps"):
        return f"step_{action}"
    return action


@dataclass(frozen=True)
class Token:
    word: str
    pos: str
    action_idx: int  # index of the action whose phrase holds the word, -1 outside phrases

    @property
    def is_motion(self) -> bool:
        return self.action_idx >= 0 and self.pos in MOTION_POS


@dataclass(frozen=True)
class Caption:
    tokens: tuple[Token, ...]

    @property
    def text(self) -> str:
        return " ".join(t.word for t in self.tokens)

    def tagged(self) -> str:
        return " ".join(f"{t.word}/{t.pos}" for t in self.tokens)

    def line(self) -> str:
        """The HumanML3D text-file line ``caption#word/POS …#0.0#0.0``."""
        return f"{self.text}#{self.tagged()}#0.0#0.0"


def _tag(words: list[str], action_idx: int) -> list[Token]:
    out = []
    for i, w in enumerate(words):
        pos = LEXICON[w]
        if w in _NOUN_AFTER_NUM and i > 0 and words[i - 1] in ("two", "three", "a"):
            pos = "NOUN"
        out.append(Token(w, pos, action_idx))
    return out


def _phrase(action_key: str, choice: int, action_idx: int, gerund: bool = False) -> list[Token]:
    words = TEMPLATES[action_key][choice].split()
    if gerund:  # every verb of the phrase: "walks and turns left" → "walking and turning left"
        words = [GERUND[w] if w in GERUND and (i == 0 or words[i - 1] == "and") else w
                 for i, w in enumerate(words)]
    return _tag(words, action_idx)


def _words(text: str) -> list[Token]:
    return _tag(text.split(), -1)


def build_captions(keys: list[str], rng: np.random.Generator, n: int = 3) -> list[Caption]:
    """``n`` distinct captions for a clip whose actions have template ``keys`` (in time order).

    The subjects of the first three captions are all different, so they are always distinct.
    """
    subjects = list(rng.permutation(len(SUBJECTS)))
    captions: list[Caption] = []
    seen: set[str] = set()
    k = 0
    while len(captions) < n and k < 50:
        subj = SUBJECTS[subjects[k % len(SUBJECTS)]]
        k += 1
        choices = [int(rng.integers(len(TEMPLATES[key]))) for key in keys]
        toks = _words(subj)
        style = rng.random()
        if len(keys) == 1:
            toks += _phrase(keys[0], choices[0], 0)
        elif len(keys) == 2 and style < 0.15:  # "a before b-ing"
            toks += _phrase(keys[0], choices[0], 0) + _words("before") + _phrase(
                keys[1], choices[1], 1, gerund=True)
        elif len(keys) == 2 and style < 0.27:  # reordered: "b after a-ing"
            toks += _phrase(keys[1], choices[1], 1) + _words("after") + _phrase(
                keys[0], choices[0], 0, gerund=True)
        else:
            toks += _phrase(keys[0], choices[0], 0)
            for i in range(1, len(keys)):
                conn = CONNECTORS[int(rng.choice(len(CONNECTORS), p=[0.5, 0.3, 0.2]))]
                toks += _words(conn) + _phrase(keys[i], choices[i], i)
        cap = Caption(tuple(toks))
        if cap.text not in seen:
            seen.add(cap.text)
            captions.append(cap)
    return captions


_SWAP = {"left": "right", "right": "left"}


def mirror_caption(caption: Caption) -> Caption:
    """Swap the words left ↔ right (POS and action indices unchanged)."""
    return Caption(tuple(Token(_SWAP.get(t.word, t.word), t.pos, t.action_idx)
                         for t in caption.tokens))
