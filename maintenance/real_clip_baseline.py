"""What the shipped models do on real motion capture today (docs/pretrained.md, "Real motion: the
baseline"): their captions, and whether the motion word's attention points at the part that moves.

    python maintenance/real_clip_baseline.py [--clips DIR] [--models NAME …] [--proportions source]

For each real clip (BVH, imported onto the HumanML3D skeleton at 20 fps by ``import_bvh``) and each
shipped model: the greedy caption, and with the clip's right caption forced, the motion word's top
attended part (time-weighted α) against the kinematic truth of that word (the most-moving of the
parts the lexicon lets it name; analysis.kinematic), and whether Γ's centre μ lies in that part's
active span. Chance: 1/6 for the part; for μ, the share of the clip the span covers. Beside the
strict part, the lenient score of the annotated truth: the top part among the parts the lexicon
lets the word name (chance: their number / 6). The greedy
caption's first motion word is scored the same way. Clips whose action has no word in the models'
vocabulary (the synthetic corpus's) get no forced caption; the table says so.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from m2t_interpret.analysis.kinematic import kinematic_token_table, part_motion
from m2t_interpret.data.retarget import import_bvh
from m2t_interpret.model.checkpoints import load_model
from m2t_interpret.pretrained import shipped_models
from m2t_interpret.skeletons import PARTS

REPO = Path(__file__).resolve().parents[1]
CLIP_DIR = REPO.parent / "shared" / "data" / "real-mocap"
#: file → (action, the right caption in the synthetic vocabulary, or None when its verb is not in it)
CLIPS = {
    "humanoid3d_walk.bvh": ("walk", "a person walks forward"),
    "humanoid3d_run.bvh": ("run", "a person runs forward"),
    "humanoid3d_jump.bvh": ("jump", "a person jumps forward"),
    "humanoid3d_punch.bvh": ("punch", "a person punches the air"),
    "humanoid3d_crawl.bvh": ("crawl", None),
    "humanoid3d_getup_faceup.bvh": ("get up", "a person gets up"),
    "humanoid3d_dance_a.bvh": ("dance", None),
    "walker_turn_left0.bvh": ("turn left", "a person turns left"),
}


def first_motion_word(table: pd.DataFrame) -> pd.DataFrame:
    """Per clip, the first word the kinematic truth placed (a motion word whose part moves)."""
    placed = table[table["gt_aligned"]].sort_values(["clip", "step"])
    return placed.drop_duplicates("clip_id").set_index("clip_id")


def scored(table: pd.DataFrame, duration: dict[str, float]) -> pd.DataFrame:
    """Per clip: the word, its top attended part, its kinematic part, the hits and the span's share."""
    rows = first_motion_word(table)
    span = (rows["gt_end_s"] - rows["gt_start_s"]) / rows.index.map(duration)
    return pd.DataFrame({
        "word": rows["word"], "top_part": rows["top_part"], "kinematic_part": rows["action"],
        "part_hit": (rows["top_part"] == rows["action"]).astype(float),
        # lenient, as the annotated truth scores: any part the lexicon lets the word name
        "in_candidates": [float(t in c.split("+")) for t, c in zip(rows["top_part"], rows["kin_candidates"])],
        "candidates_chance": [len(c.split("+")) / len(PARTS) for c in rows["kin_candidates"]],
        "mu_s": rows["mu_s"], "span_s": [f"{a:.2f}–{b:.2f}" for a, b in zip(rows["gt_start_s"], rows["gt_end_s"])],
        "mu_in_span": ((rows["mu_s"] >= rows["gt_start_s"]) & (rows["mu_s"] < rows["gt_end_s"])).astype(float),
        "span_share": span.clip(upper=1.0)})


def run_model(name: str, joints: dict[str, np.ndarray], captions: dict[str, str]) -> pd.DataFrame:
    model = load_model(name)
    vocab = set(model.vocab)
    missing = {c: [w for w in text.split() if w not in vocab] for c, text in captions.items()}
    for c, words in missing.items():
        if words:
            raise SystemExit(f"{name}: forced caption of {c} has words outside the vocabulary: {words}")
    ids = list(joints)
    duration = {c: len(j) / 20.0 for c, j in joints.items()}
    greedy = model.capture([joints[c] for c in ids], mode="greedy", clip_ids=ids)
    forced_ids = [c for c in ids if c in captions]
    forced = model.capture([joints[c] for c in forced_ids], mode="forced", captions=[captions[c] for c in forced_ids],
                           clip_ids=forced_ids)
    g = scored(kinematic_token_table(greedy, joints=joints), duration).add_prefix("greedy_")
    f = scored(kinematic_token_table(forced, joints={c: joints[c] for c in forced_ids}), duration).add_prefix("forced_")
    out = pd.DataFrame({"model": name, "caption": dict(zip(ids, greedy.captions))}, index=pd.Index(ids, name="clip"))
    return out.join(g).join(f).reset_index()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", type=Path, default=CLIP_DIR, help="folder of the real BVH clips")
    ap.add_argument("--models", nargs="*", default=None, help="shipped model names (default: all)")
    ap.add_argument("--proportions", default="source", choices=("source", "humanml3d"))
    args = ap.parse_args()
    joints, captions, info = {}, {}, []
    for file, (action, caption) in CLIPS.items():
        imported = import_bvh(args.clips / file, proportions=args.proportions)
        joints[action] = imported.joints
        if caption:
            captions[action] = caption
        motion = part_motion(imported.joints).mean(0)
        info.append({"clip": action, "file": file, "frames_20fps": len(imported.joints),
                     "seconds": len(imported.joints) / 20.0,
                     "forced caption": caption or "— (verb not in vocabulary)",
                     "most-moving part (all six)": PARTS[int(motion.argmax())],
                     **{f"motion_{p}": round(float(v), 2) for p, v in zip(PARTS, motion)}})
    results = pd.concat([run_model(m, joints, captions) for m in (args.models or shipped_models())],
                        ignore_index=True)
    with pd.option_context("display.width", 250, "display.max_columns", 30, "display.max_colwidth", 60):
        print("clips:\n" + pd.DataFrame(info).to_string(index=False))
        print("\ngreedy captions:\n" + results.pivot(index="clip", columns="model", values="caption")
              .reindex([i["clip"] for i in info]).to_string())
        cols = ["model", "clip", "forced_word", "forced_top_part", "forced_kinematic_part", "forced_part_hit",
                "forced_in_candidates",
                "forced_mu_s", "forced_span_s", "forced_mu_in_span", "greedy_word", "greedy_top_part",
                "greedy_kinematic_part", "greedy_part_hit", "greedy_mu_in_span"]
        print("\nper clip:\n" + results[cols].round(2).to_string(index=False))
        summary = results.groupby("model").agg(
            forced_n=("forced_part_hit", "count"), forced_part_hit=("forced_part_hit", "mean"),
            forced_in_candidates=("forced_in_candidates", "mean"),
            candidates_chance=("forced_candidates_chance", "mean"),
            forced_mu_in_span=("forced_mu_in_span", "mean"), forced_span_share=("forced_span_share", "mean"),
            greedy_n=("greedy_part_hit", "count"), greedy_part_hit=("greedy_part_hit", "mean"),
            greedy_mu_in_span=("greedy_mu_in_span", "mean"), greedy_span_share=("greedy_span_share", "mean"))
        summary.insert(2, "part chance", 1 / 6)
        for kind in ("forced", "greedy"):  # always answering the commonest kinematic part
            summary.insert(summary.columns.get_loc(f"{kind}_part_hit") + (2 if kind == "forced" else 1),
                           f"{kind} best constant", results.groupby("model")[f"{kind}_kinematic_part"].agg(
                               lambda s: s.value_counts(normalize=True).max() if s.notna().any() else np.nan))
        print("\nsummary (chance: 1/6 for the part, best constant: always the commonest kinematic part; "
              "for μ, the span's share of the clip):\n"
              + summary.round(3).to_string())


if __name__ == "__main__":
    main()
