"""Scores of captioners on real motion capture: any folder of BVH clips whose file names say the action
(docs/pretrained.md, "Real motion"; the model cards).

    python maintenance/real_clip_scores.py [--clips DIR] [--models NAME|FILE.pt …] [--markdown]
                                           [--csv FILE] [--loop SECONDS] [--proportions source]

The action of a clip comes from its file name (DeepMimic-style: ``humanoid3d_walk.bvh``,
``walker_turn_left0.bvh``; the table :data:`ACTIONS`); clips whose names match no action are listed
and skipped. Each clip is imported with ``import_bvh`` (HumanML3D skeleton, 20 fps, the performer's
bone lengths unless ``--proportions humanml3d``) and every model

1. captions it greedily: does the caption **name the action** (:data:`ACTIONS` lists the accepted
   words: a pattern per action, matched on the caption's words)? Chance: how often a caption drawn
   from the model's training captions names the clip's action (for a model trained on the synthetic
   corpus: the captions of clips 0–999 of the corpus seed in its checkpoint and their mirrors, made
   by the generator at this commit), averaged over the clips; for a model trained on other data, 1
   over the number of actions among the clips. Best constant: one caption naming the commonest action.
2. decodes it once more with the right caption **forced** (the action's caption, the first of its
   forms whose words are all in the model's vocabulary; a side, where the caption has one, is the
   side whose leg or arm moves more): is the top part of the first motion word (time-weighted α)
   the word's **kinematic part** (analysis.kinematic: the most-moving of the parts the lexicon lets
   the word name)? Chance 1/6; best constant: always the commonest kinematic part.
3. for the same word: is Γ's centre μ inside that part's **active span**? Chance: the span's share
   of the clip, averaged; best constant: one fixed position in the clip (the best fraction of its
   length, chosen on these clips).

A clip whose forced captions all have words outside a model's vocabulary gets no forced scores from
that model; the tables say so. Clips are scored as they are: five of the eight shared clips are
single cycles of 0.8–1.3 s. ``--loop SECONDS`` repeats the clips marked as cycles (the ``loop``
column of the folder's README.md, value ``wrap``, or ``--wrap FILE …``) until they last at least
SECONDS, each cycle starting where the previous one ended (position and heading), and says so in
the tables' header; nothing is repeated without it.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import NoReturn

import numpy as np
import pandas as pd
from scipy.spatial.transform import Rotation

from m2t_interpret.analysis.kinematic import kinematic_token_table, part_motion
from m2t_interpret.data.bvh import BvhMotion, read_bvh
from m2t_interpret.data.retarget import import_bvh
from m2t_interpret.data.synthetic.clip import generate_clip
from m2t_interpret.data.synthetic.language import mirror_caption
from m2t_interpret.errors import M2TError
from m2t_interpret.io import write_text
from m2t_interpret.model.checkpoints import load_model
from m2t_interpret.pretrained import shipped_models
from m2t_interpret.skeletons import PARTS, part_label

REPO = Path(__file__).resolve().parents[1]


def fail(message: str) -> NoReturn:
    """Bad input: one line on stderr, exit status 2 (as the command line does)."""
    print(message, file=sys.stderr)
    raise SystemExit(2)


CLIP_DIR = REPO.parent / "shared" / "data" / "real-mocap"
FPS = 20.0
CHANCE_CLIPS = 1000


@dataclass(frozen=True)
class Action:
    """An action real clips are named after.

    ``names``: file-name patterns (words of the file name, see :func:`name_words`; a pattern of
    several words matches them consecutively). ``says``: caption patterns, any of which names the
    action (see :func:`names_action`). ``forced``: the right caption, its forms in order of
    preference; ``{side}`` is filled with the side of the ``side_of`` limb that moves more."""

    name: str
    names: tuple[str, ...]
    says: tuple[str, ...]
    forced: tuple[str, ...]
    side_of: str | None = None


#: The actions, in matching order: the first whose file-name pattern matches wins ("spinkick"
#: before "spin" and "kick"; "turn left" before "walk" never matters: "walker" is not "walk").
ACTIONS: tuple[Action, ...] = (
    Action("spin kick", ("spinkick", "spin kick"), ("kicks|kicking|kick", "spins|spinning|spin"),
           ("a person spins around and kicks with his {side} leg", "a person kicks with his {side} leg"), "leg"),
    Action("turn left", ("turn left",), ("turns|turning|turn ... left",), ("a person turns left",)),
    Action("turn right", ("turn right",), ("turns|turning|turn ... right",), ("a person turns right",)),
    Action("get up", ("getup", "get up"),
           ("gets|getting|get up", "stands|standing|stand up", "rises|rising|rise"),
           ("a person gets up from the floor", "a person gets up")),
    Action("backflip", ("backflip", "back flip"), ("backflip|backflips|flips|flipping|flip",),
           ("a person does a backflip",)),
    Action("cartwheel", ("cartwheel",), ("cartwheel|cartwheels",), ("a person does a cartwheel",)),
    Action("walk", ("walk",), ("walks|walking|walk",), ("a person walks forward",)),
    Action("run", ("run",), ("runs|running|run|jogs|jogging|jog",), ("a person runs forward",)),
    Action("jump", ("jump",), ("jumps|jumping|jump",), ("a person jumps forward",)),
    Action("punch", ("punch",), ("punches|punching|punch|boxes|boxing",),
           ("a person punches with his {side} hand",), "arm"),
    Action("crawl", ("crawl",), ("crawls|crawling|crawl",), ("a person crawls forward",)),
    Action("dance", ("dance",), ("dances|dancing|dance",), ("a person dances",)),
    Action("kick", ("kick",), ("kicks|kicking|kick",), ("a person kicks with his {side} leg",), "leg"),
    Action("spin", ("spin",), ("spins|spinning|spin", "turns|turning|turn around"),
           ("a person spins around", "a person turns around")),
    Action("roll", ("roll",), ("rolls|rolling|roll",), ("a person rolls forward",)),
)
ACTION_BY_NAME = {a.name: a for a in ACTIONS}
#: Words a caption pattern may skip where it says "..." (e.g. "turns to the left").
MAX_SKIP = 3


# ---------------------------------------------------------------------------------------------
# names
# ---------------------------------------------------------------------------------------------

def name_words(file_name: str) -> list[str]:
    """The words of a clip's file name: lower case, split at anything not a letter
    (``humanoid3d_getup_faceup.bvh`` → humanoid, d, getup, faceup)."""
    stem = Path(file_name).name.rsplit(".", 1)[0] if "." in Path(file_name).name else Path(file_name).name
    return [w for w in re.split(r"[^a-z]+", stem.lower()) if w]


def _consecutive(words: list[str], pattern: list[str]) -> bool:
    n = len(pattern)
    return any(words[i:i + n] == pattern for i in range(len(words) - n + 1))


def action_of(file_name: str) -> Action | None:
    """The action a clip's file name says (the first of :data:`ACTIONS` whose name pattern
    matches), or None."""
    words = name_words(file_name)
    for action in ACTIONS:
        if any(_consecutive(words, p.split()) for p in action.names):
            return action
    return None


def caption_words(caption: str) -> list[str]:
    """A caption's words: lower case, letters only, special tokens (<sos>, <eos> …) dropped."""
    text = re.sub(r"<[a-z]+>", " ", caption.lower())
    return [w for w in re.split(r"[^a-z]+", text) if w]


@cache
def _pattern(pattern: str) -> tuple[tuple[frozenset[str], int], ...]:
    """'turns|turn ... left' → ((turns|turn, 0), (left, MAX_SKIP)): each slot's words and how
    many words may stand before it since the previous slot."""
    slots, skip = [], 0
    for part in pattern.split():
        if part == "...":
            skip = MAX_SKIP
            continue
        slots.append((frozenset(part.split("|")), skip))
        skip = 0
    return tuple(slots)


def _matches_at(words: list[str], slots, start: int) -> bool:
    if not slots:
        return True
    choices, skip = slots[0]
    return any(start + k < len(words) and words[start + k] in choices and _matches_at(words, slots[1:], start + k + 1)
               for k in range(skip + 1))


def matches(caption: str, pattern: str) -> bool:
    """Whether the caption holds the pattern: its slots in order, adjacent unless "..." lets up to
    :data:`MAX_SKIP` words stand between."""
    words, slots = caption_words(caption), _pattern(pattern)
    first, rest = slots[0][0], slots[1:]
    return any(w in first and _matches_at(words, rest, i + 1) for i, w in enumerate(words))


def names_action(caption: str, action: Action | str) -> bool:
    """Whether a caption names the action (any of its caption patterns)."""
    a = ACTION_BY_NAME[action] if isinstance(action, str) else action
    return any(matches(caption, p) for p in a.says)


def forced_caption(action: Action, vocab: set[str], joints: np.ndarray) -> tuple[str | None, list[str]]:
    """The first form of the action's caption whose words are all in ``vocab`` (the side filled
    from the motion), or None and the words the last form lacks."""
    side = None
    if action.side_of:
        motion = part_motion(joints).mean(0)
        left, right = (motion[PARTS.index(f"{s}_{action.side_of}")] for s in ("left", "right"))
        side = "left" if left > right else "right"
    missing: list[str] = []
    for form in action.forced:
        text = form.format(side=side)
        missing = [w for w in text.split() if w not in vocab]
        if not missing:
            return text, []
    return None, missing


# ---------------------------------------------------------------------------------------------
# clips
# ---------------------------------------------------------------------------------------------

def wrap_marks(folder: Path) -> set[str]:
    """The files the folder's README.md marks ``wrap`` in the ``loop`` column of its table."""
    readme = folder / "README.md"
    if not readme.is_file():
        fail(f"--loop needs {readme} with a table holding a 'loop' column, or --wrap FILE …")
    header, out = None, set()
    for line in readme.read_text(errors="replace").splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if header is None and "loop" in cells and "file" in cells:
            header = cells
        elif header is not None and len(cells) == len(header) and cells[header.index("loop")] == "wrap":
            out.add(cells[header.index("file")])
    if header is None:
        fail(f"{readme} has no table with 'file' and 'loop' columns; name the cycles with --wrap FILE …")
    return out


def _up_vector(up: str) -> np.ndarray:
    return np.array([0.0, 1.0, 0.0]) if up.upper() == "Y" else np.array([0.0, 0.0, 1.0])


def tile_cycle(motion: BvhMotion, up: str, seconds: float) -> tuple[BvhMotion, int]:
    """A single cycle repeated until it lasts at least ``seconds``: the cycle is frames 0 … F−2,
    the last frame being where the next cycle starts (DeepMimic's 'wrap'), so each repetition is
    the cycle turned about the vertical by the root's heading change over it and moved so that it
    starts at the last frame's root position. Returns the motion and the number of cycles."""
    names = motion.channels[0]
    pos = [names.index(f"{a}position") for a in "XYZ"]
    rot = [i for i, c in enumerate(names) if c.endswith("rotation")]
    if len(rot) != 3 or motion.n_frames < 3:
        raise M2TError(f"{motion.source}: the root has no position and three rotation channels, or under 3 frames")
    order = "".join(names[i][0].upper() for i in rot)  # intrinsic, in channel order
    values = motion.values
    root_rot = Rotation.from_euler(order, values[:, rot], degrees=True)
    u = _up_vector(up)
    first, last = root_rot[0].as_matrix(), root_rot[-1].as_matrix()
    k = int(np.argmin(np.abs(first.T @ u)))  # the root's most nearly horizontal axis: its heading
    a0, a1 = (m[:, k] - (m[:, k] @ u) * u for m in (first, last))
    step = Rotation.from_rotvec(np.arctan2(np.cross(a0, a1) @ u, a0 @ a1) * u)
    start, end = values[0, pos], values[-1, pos]
    period = (motion.n_frames - 1) * motion.frame_time
    n = max(1, int(np.ceil(seconds / period - 1e-9)))
    pieces, r, offset = [], Rotation.identity(), np.zeros(3)
    for c in range(n):
        keep = motion.n_frames if c == n - 1 else motion.n_frames - 1  # the last frame starts the next cycle
        piece = values[:keep].copy()
        piece[:, pos] = r.apply(values[:keep, pos] - start) + start + offset
        piece[:, rot] = (r * root_rot[:keep]).as_euler(order, degrees=True)
        pieces.append(piece)
        offset = offset + r.apply(end - start)
        r = step * r
    return replace(motion, values=np.concatenate(pieces)), n


@dataclass
class Clip:
    file: str
    action: Action
    joints: np.ndarray
    cycles: int = 1

    @property
    def seconds(self) -> float:
        return len(self.joints) / FPS


def load_clips(folder: Path, proportions: str, loop_s: float | None, wrap: set[str]
               ) -> tuple[list[Clip], list[str], list[str]]:
    """The clips of ``folder`` whose names say an action (imported, cycles repeated where asked),
    the names of those that say none, and 'name (why)' of those the import refused."""
    files = sorted(folder.glob("*.bvh"))
    if not files:
        fail(f"no .bvh clips in {folder}; give the folder with --clips")
    clips, unknown, refused = [], [], []
    for f in files:
        action = action_of(f.name)
        if action is None:
            unknown.append(f.name)
            continue
        try:
            imported = import_bvh(f, proportions=proportions)
            cycles = 1
            if loop_s and f.name in wrap:
                tiled, cycles = tile_cycle(read_bvh(f), imported.report.up, loop_s)
                imported = import_bvh(tiled, proportions=proportions)
        except M2TError as e:  # one unreadable clip does not stop the others; the header names it
            refused.append(f"{f.name} ({e})")
            continue
        clips.append(Clip(f.name, action, imported.joints, cycles))
    return clips, unknown, refused


# ---------------------------------------------------------------------------------------------
# scores
# ---------------------------------------------------------------------------------------------

def _first_motion_word(table: pd.DataFrame) -> pd.DataFrame:
    placed = table[table["gt_aligned"]].sort_values(["clip_id", "step"])
    return placed.drop_duplicates("clip_id").set_index("clip_id")


def forced_scores(model, clips: list[Clip], vocab: set[str]) -> pd.DataFrame:
    """Per clip: the forced caption (or why none), its first motion word, the top part, the
    kinematic part, μ, the span and the hits."""
    captions, missing = {}, {}
    for c in clips:
        text, lacks = forced_caption(c.action, vocab, c.joints)
        if text:
            captions[c.file] = text
        else:
            missing[c.file] = lacks
    rows = pd.DataFrame({"file": [c.file for c in clips]}).set_index("file")
    rows["forced_caption"] = [captions.get(c.file) or "— (not in the vocabulary: " + ", ".join(missing[c.file]) + ")"
                              for c in clips]
    ids = list(captions)
    if not ids:
        return rows
    joints = {c.file: c.joints for c in clips if c.file in captions}
    forced = model.capture([joints[i] for i in ids], mode="forced", captions=[captions[i] for i in ids], clip_ids=ids)
    first = _first_motion_word(kinematic_token_table(forced, joints=joints))
    seconds = {c.file: c.seconds for c in clips}
    rows["word"] = first["word"]
    rows["top_part"] = first["top_part"]
    rows["kinematic_part"] = first["action"]
    rows["part_hit"] = (first["top_part"] == first["action"]).astype(float)
    rows["mu_s"] = first["mu_s"]
    rows["span_start_s"], rows["span_end_s"] = first["gt_start_s"], first["gt_end_s"]
    rows["mu_in_span"] = ((first["mu_s"] >= first["gt_start_s"]) & (first["mu_s"] < first["gt_end_s"])).astype(float)
    rows["span_share"] = ((first["gt_end_s"] - first["gt_start_s"]) / first.index.map(seconds)).clip(upper=1.0)
    return rows


def best_constant_position(starts: np.ndarray, ends: np.ndarray, seconds: np.ndarray) -> tuple[float, float]:
    """The fixed fraction of a clip's length that falls inside the most spans, and that share."""
    grid = np.linspace(0.0, 1.0, 201)
    lo, hi = (np.asarray(x, float) / np.asarray(seconds, float) for x in (starts, ends))
    hit = (grid[:, None] >= lo[None]) & (grid[:, None] < hi[None])
    k = int(hit.mean(1).argmax())
    return float(grid[k]), float(hit[k].mean())


@cache
def training_captions(seed: int) -> tuple[str, ...]:
    """Captions of synthetic clips 0 … CHANCE_CLIPS−1 of corpus seed ``seed`` and their mirrors."""
    out = []
    for i in range(CHANCE_CLIPS):
        for c in generate_clip(np.random.default_rng([seed, i])).captions:
            out += [c.text, mirror_caption(c).text]
    return tuple(out)


def naming_chance(model, actions: list[Action]) -> tuple[float, str]:
    """Chance that a caption names the clip's action (see the module docstring), and how."""
    config = model.metadata.get("training", {}).get("config", {})
    if config.get("data") == "synthetic" and "synthetic_seed" in config:
        caps = training_captions(int(config["synthetic_seed"]))
        share = {a.name: np.mean([names_action(c, a) for c in caps]) for a in set(actions)}
        return float(np.mean([share[a.name] for a in actions])), f"training captions, seed {config['synthetic_seed']}"
    return 1.0 / len({a.name for a in actions}), "1 / number of actions"


def model_labels(sources: list[str]) -> dict[str, str]:
    """Each model's column name: a shipped name as given, a checkpoint by its file's stem — or by the
    path as given where two stems agree (``runs/a/model.pt``, ``runs/b/model.pt``)."""
    stems = [Path(s).stem if str(s).endswith(".pt") else str(s) for s in sources]
    return {s: (stem if stems.count(stem) == 1 else str(s)) for s, stem in zip(sources, stems)}


def score_model(source: str, clips: list[Clip], name: str) -> tuple[pd.DataFrame, dict]:
    """Per clip and in summary, the three scores of one model, under the column name ``name``."""
    try:
        model = load_model(source)
    except M2TError as e:
        fail(str(e))
    vocab = set(model.vocab)
    greedy = model.capture([c.joints for c in clips], mode="greedy", clip_ids=[c.file for c in clips])
    per_clip = pd.DataFrame({"model": name, "file": [c.file for c in clips], "action": [c.action.name for c in clips],
                             "seconds": [c.seconds for c in clips], "cycles": [c.cycles for c in clips],
                             "caption": list(greedy.captions)}).set_index("file")
    per_clip["names_action"] = [float(names_action(t, c.action)) for t, c in zip(greedy.captions, clips)]
    per_clip = per_clip.join(forced_scores(model, clips, vocab)).reset_index()
    chance, how = naming_chance(model, [c.action for c in clips])
    forced = per_clip.dropna(subset=["part_hit"]) if "part_hit" in per_clip else per_clip.iloc[:0]
    pos, pos_share = best_constant_position(forced.get("span_start_s", []), forced.get("span_end_s", []),
                                            forced.get("seconds", [])) if len(forced) else (np.nan, np.nan)
    common = forced["kinematic_part"].value_counts() if len(forced) else pd.Series(dtype=float)
    summary = {
        "model": name, "n": len(clips), "names": int(per_clip["names_action"].sum()),
        "names_chance": chance, "names_chance_how": how,
        "names_best_constant": per_clip["action"].value_counts().max() / len(clips),
        "n_forced": len(forced), "part": int(forced["part_hit"].sum()) if len(forced) else 0,
        "part_best_constant": common.max() / len(forced) if len(forced) else np.nan,
        "part_best_constant_part": common.index[0] if len(forced) else None,
        "mu": int(forced["mu_in_span"].sum()) if len(forced) else 0,
        "mu_chance": float(forced["span_share"].mean()) if len(forced) else np.nan,
        "mu_best_constant": pos_share, "mu_best_constant_at": pos,
        "no_forced": [c for c, cap in zip(per_clip["file"], per_clip["forced_caption"]) if cap.startswith("—")],
        # forced, but no motion word of the caption has a part that moves: no kinematic truth to score
        "unplaced": [c for c, cap in zip(per_clip["file"], per_clip["forced_caption"])
                     if not cap.startswith("—") and c not in set(forced["file"])]}
    return per_clip, summary


# ---------------------------------------------------------------------------------------------
# tables
# ---------------------------------------------------------------------------------------------

def _rate(k: int, n: int) -> str:
    return f"{k / n:.3f} ({k}/{n})" if n else "— (0 clips)"


def _same(values: list[float], how: list[str]) -> str:
    lo, hi = min(values), max(values)
    what = sorted(set(how))
    return (f"{lo:.3f}" if np.isclose(lo, hi) else f"{lo:.3f}–{hi:.3f}") + f" ({'; '.join(what)})"


def summary_markdown(summaries: list[dict]) -> str:
    """Models as columns, one row per score, with chance and the best constant."""
    names = [s["model"] for s in summaries]
    head = "| score | " + " | ".join(names) + " | chance | best constant |"
    s0 = summaries[0]
    rows = [head, "|---|" + "---:|" * (len(names) + 2),
            "| greedy caption names the action | " + " | ".join(_rate(s["names"], s["n"]) for s in summaries)
            + f" | {_same([s['names_chance'] for s in summaries], [s['names_chance_how'] for s in summaries])} | "
            f"{s0['names_best_constant']:.3f} (the commonest action) |",
            "| forced: top part = kinematic part | " + " | ".join(_rate(s["part"], s["n_forced"]) for s in summaries)
            + " | 0.167 | " + " / ".join(sorted({f"{s['part_best_constant']:.3f} ({s['part_best_constant_part']})"
                                                 for s in summaries if s["n_forced"]})) + " |",
            "| forced: μ in the kinematic span | " + " | ".join(_rate(s["mu"], s["n_forced"]) for s in summaries)
            + " | " + " / ".join(sorted({f"{s['mu_chance']:.3f}" for s in summaries if s["n_forced"]}))
            + " (the spans' share) | " + " / ".join(sorted({f"{s['mu_best_constant']:.3f} (at {s['mu_best_constant_at']:.2f} "
                                                             "of the clip)" for s in summaries if s["n_forced"]})) + " |"]
    lacking = {s["model"]: ", ".join(s["no_forced"]) for s in summaries if s["no_forced"]}
    if len(set(lacking.values())) == 1 and len(lacking) == len(summaries):
        rows.append(f"\nNo forced caption (words outside the vocabulary), every model: {next(iter(lacking.values()))}.")
    elif lacking:
        rows.append("\nNo forced caption (words outside the vocabulary): "
                    + "; ".join(f"{m}: {c}" for m, c in lacking.items()) + ".")
    unplaced = [f"{s['model']}: {', '.join(s['unplaced'])}" for s in summaries if s["unplaced"]]
    if unplaced:
        rows.append("No kinematic truth for the forced caption (its motion word's part never moves), left out: "
                    + "; ".join(unplaced) + ".")
    return "\n".join(rows)


def card_markdown(s: dict) -> str:
    """One model's scores as a model card's table (score, this model, chance, best constant)."""
    return "\n".join([
        "| score (real clips) | this model | chance | best constant |", "|---|---:|---:|---:|",
        f"| greedy caption names the action | {_rate(s['names'], s['n'])} | {s['names_chance']:.3f} | "
        + f"{s['names_best_constant']:.3f} |",
        f"| forced: top part = kinematic part | {_rate(s['part'], s['n_forced'])} | 0.167 | "
        + f"{s['part_best_constant']:.3f} |",
        f"| forced: μ in the kinematic span | {_rate(s['mu'], s['n_forced'])} | {s['mu_chance']:.3f} | "
        + f"{s['mu_best_constant']:.3f} |"])


def clips_markdown(results: pd.DataFrame) -> str:
    """Per clip: greedy captions (✓ names the action) and forced top part (bold: the kinematic part)."""
    models = list(dict.fromkeys(results["model"]))
    by = results.set_index(["file", "model"])
    files = list(dict.fromkeys(results["file"]))
    lines = ["| clip | action | s | " + " | ".join(models) + " |", "|---|---|---:|" + "---|" * len(models)]
    for f in files:
        r0 = by.loc[(f, models[0])]
        cells = [f"{by.loc[(f, m), 'caption'].removeprefix('a person ')}{' ✓' if by.loc[(f, m), 'names_action'] else ''}"
                 for m in models]
        lines.append(f"| {f.rsplit('.', 1)[0]} | {r0['action']} | {r0['seconds']:.2f} | " + " | ".join(cells) + " |")
    lines += ["", "| clip (kinematic part) | " + " | ".join(models) + " |", "|---|" + "---|" * len(models)]
    for f in files:
        kin = by.loc[(f, models[0])].get("kinematic_part")
        cells = []
        for m in models:
            r = by.loc[(f, m)]
            top = r.get("top_part")
            if not isinstance(top, str):
                cells.append("—")
                continue
            cell = f"**{part_label(top)}**" if r["part_hit"] == 1 else part_label(top)
            cells.append(cell + (" μ✓" if r["mu_in_span"] == 1 else " μ✗"))
        lines.append(f"| {f.rsplit('.', 1)[0]} ({part_label(kin) if isinstance(kin, str) else '—'}) | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", type=Path, default=CLIP_DIR, help=f"folder of BVH clips (default {CLIP_DIR})")
    ap.add_argument("--models", nargs="+", default=None, help="shipped model names or .pt files (default: all shipped)")
    ap.add_argument("--proportions", default="source", choices=("source", "humanml3d"),
                    help="bone lengths of the import: the performer's (default) or HumanML3D's")
    ap.add_argument("--loop", type=float, default=None, metavar="SECONDS",
                    help="repeat the clips marked as cycles until they last at least SECONDS (default: never)")
    ap.add_argument("--wrap", nargs="+", default=None, metavar="FILE",
                    help="with --loop: the cycle clips (default: the 'wrap' rows of the folder's README.md)")
    ap.add_argument("--markdown", action="store_true", help="print markdown tables (docs, model cards)")
    ap.add_argument("--csv", type=Path, help="write the per-clip, per-model rows here")
    ap.add_argument("--cards", type=Path, metavar="DIR",
                    help="write each model's card table to DIR/<model>.md (maintenance/model_cards.py reads them)")
    args = ap.parse_args()
    if args.loop is not None and not args.loop > 0:
        fail(f"--loop must be a positive number of seconds, not {args.loop}")
    if args.wrap and args.loop is None:
        fail("--wrap names the clips --loop repeats: give --loop SECONDS too")
    if not args.clips.is_dir():
        fail(f"no folder {args.clips}; give the folder of BVH clips with --clips")
    wrap = set(args.wrap) if args.wrap else (wrap_marks(args.clips) if args.loop else set())
    clips, unknown, refused = load_clips(args.clips, args.proportions, args.loop, wrap)
    if not clips:
        fail(f"no clip of {args.clips} has a file name that says an action and imports "
             f"({', '.join(unknown + refused)})")
    looped = [f"{c.file.rsplit('.', 1)[0]} ×{c.cycles}" for c in clips if c.cycles > 1]
    header = (f"{len(clips)} clips of {args.clips} ({args.proportions} proportions); "
              + (f"looped to ≥ {args.loop:g} s: {', '.join(looped) or 'none'}" if args.loop else "not looped")
              + (f"; skipped, no action in the name: {', '.join(unknown)}" if unknown else "")
              + (f"; skipped, the import refused: {'; '.join(refused)}" if refused else ""))
    results, summaries = [], []
    models = args.models or shipped_models()
    if len(set(models)) != len(models):
        fail("each model may be given once")
    for m, name in model_labels(models).items():
        per_clip, summary = score_model(m, clips, name)
        results.append(per_clip)
        summaries.append(summary)
    table = pd.concat(results, ignore_index=True)
    print(header + "\n")
    if args.markdown:
        print(summary_markdown(summaries) + "\n\n" + clips_markdown(table))
        for s in summaries:
            print(f"\n{s['model']}:\n\n" + card_markdown(s))
    else:
        with pd.option_context("display.width", 250, "display.max_columns", 30, "display.max_colwidth", 50):
            print(table.drop(columns=["span_share"], errors="ignore").round(2).to_string(index=False))
        print("\n" + summary_markdown(summaries))
    if args.csv:
        tmp = args.csv.with_name(args.csv.name + ".tmp")
        table.assign(setting=header).to_csv(tmp, index=False)
        tmp.replace(args.csv)
        print(f"wrote {args.csv}", file=sys.stderr)
    if args.cards:
        args.cards.mkdir(parents=True, exist_ok=True)
        for s in summaries:
            out = args.cards / f"{Path(str(s['model'])).stem}.md"
            write_text(out, f"{header}\n\n{card_markdown(s)}\n")
            print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
