"""The paper's figures drawn from small synthetic tables shaped like the shipped models' (two models,
the committed figures' clip: six motion words of which four sit on one arm, β̂ spikes at 1 beside
broad humps, counts in the thousands), so that the layout tests and the image baselines need no
model run. Closed-form values only (no random numbers), so every machine draws the same figures.

Used by tests/test_figure_layout.py and by maintenance/make_figure_baselines.py, which writes the
baseline images the tests compare against.
"""

from __future__ import annotations

import contextlib
import sys
import warnings
from pathlib import Path
from typing import Iterator
from unittest import mock

import matplotlib
import numpy as np
import pandas as pd
from matplotlib import ft2font

from m2t_interpret import analysis as A
from m2t_interpret.figures import PAPER_FIGURES, PaperPart
from m2t_interpret.plotting.style import COLUMN_WIDTH, style
from m2t_interpret.reports import Report, density_rows
from m2t_interpret.skeletons import PARTS

#: The committed baseline images (one per paper figure) and the resolution they are drawn at: small
#: files, text still a dozen pixels tall.
BASELINES = Path(__file__).resolve().parent / "baseline_images" / "figure_layout"
BASELINE_DPI = 72
#: The matplotlib (major.minor) and FreeType the baselines were drawn with, written beside them.
BASELINE_VERSIONS = BASELINES / "versions.json"

MODELS = ("synthetic-guided", "synthetic-unguided")
CLIP = "000006"
#: Paper figure → (report name, report figure key, figure function).
PAPER = {"fig2a_density": ("density", "density", "density_figure"),
         "fig2b_hist": ("hist", "hist", "histogram_figure"),
         "fig5_onset": ("onset", "curves", "onset_figure"),
         "fig6_finegrained": ("finegrained", "finegrained", "finegrained_figure"),
         "fig7_map": ("map", "map", "map_figure"),
         "figS1_parts": ("parts", "parts", "parts_figure"),
         "figS2_gate": ("gate", "gate", "gate_figure")}

#: Word → (count, motion) of the density figure (the committed Fig. 2a's words and counts).
DENSITY_WORDS = {"walk": (272, True), "wave": (193, True), "kick": (167, True), "jump": (89, True),
                 "turn": (137, True), "a": (1084, False), "the": (579, False), "his": (329, False),
                 "then": (915, False), "and": (643, False)}
#: The clip's caption: (word, motion, part, μ s, σ s, true segment) per token.
CAPTION = [("a", False, None, 2.5, 2.0, None), ("person", False, None, 2.5, 2.0, None),
           ("kicks", True, "right_leg", 2.2, 0.9, (0.1, 2.5)), ("with", False, None, 2.5, 2.0, None),
           ("the", False, None, 2.5, 2.0, None), ("right", True, "left_arm", 2.3, 1.0, (0.1, 2.5)),
           ("foot", True, "right_leg", 2.4, 1.0, (0.1, 2.5)), ("then", False, None, 2.5, 2.0, None),
           ("waves", True, "left_arm", 2.6, 1.1, (2.6, 4.8)), ("left", True, "left_arm", 2.7, 1.0, (2.6, 4.8)),
           ("hand", True, "left_arm", 3.5, 1.2, (2.6, 4.8))]
SEGMENTS = pd.DataFrame({"action": ["kick_right", "wave_left"], "start_s": [0.1, 2.6], "end_s": [2.5, 4.8]})
TIMES = np.arange(51) * 0.1


def _spread(k: int) -> np.ndarray:
    return np.linspace(0.0, 1.0, k)


def _betas(guided: bool, word: str, count: int, motion: bool) -> np.ndarray:
    """β̂ values shaped like the models': guided motion words pile up at 1, guided non-motion words
    at 0 (but "then" and "and" spread over the middle), the unguided model's all over [0.2, 1]."""
    u = _spread(count)
    if guided:
        if motion:
            return 1.0 - 0.03 * u ** 6
        return {"then": 0.1 + 0.7 * u ** 1.5, "and": 0.3 + 0.5 * u}.get(word, 0.02 * u ** 3)
    shift = 0.05 * (len(word) % 3)
    return np.clip(0.2 + shift + (0.8 - shift) * u ** (0.5 if motion else 1.2), 0, 1)


def density_report(guided: bool) -> Report:
    words = list(DENSITY_WORDS)
    table = pd.concat([pd.DataFrame({"word": w, "is_special": False, "gt_motion": float(m),
                                     "beta": _betas(guided, w, n, m)}) for w, (n, m) in DENSITY_WORDS.items()],
                      ignore_index=True)
    table["stem"] = table["word"].map(A.stem_of)
    stems = A.select_stems(table, words)
    density, summary = A.beta_density(table, stems), A.beta_summary(table, stems)
    return Report("density", figures={"density": ("density_figure", (density, density_rows(table, summary, words)), {})},
                  captions={"density": "β̂ densities."})


def hist_report(guided: bool) -> Report:
    edges = np.linspace(0, 1, 26)
    centres = (edges[:-1] + edges[1:]) / 2
    rows = []
    for s, (word, total) in enumerate((("waves", 193), ("kicks", 167), ("walks", 272))):
        for k, part in enumerate(PARTS):
            mu = 0.1 + 0.12 * k + (0.5 if guided and k == 2 + s % 3 else 0.0)
            counts = np.round(total * 0.5 * np.exp(-0.5 * ((centres - min(mu, 0.95)) / 0.06) ** 2))
            rows.append(pd.DataFrame({"word": word, "stem": A.stem_of(word), "part": part, "bin_left": edges[:-1],
                                      "bin_right": edges[1:], "count": counts.astype(int), "total": total}))
    return Report("hist", figures={"hist": ("histogram_figure", (pd.concat(rows, ignore_index=True),), {})})


def _beta(guided: bool, step: int, motion: bool) -> float:
    return (1.0 if motion else 0.0) if guided else 0.3 + 0.6 * ((step * 7) % 10) / 10


def onset_report(guided: bool) -> Report:
    rows = []
    for step, (word, motion, _, mu, sigma, _) in enumerate(CAPTION):
        mu += 0.0 if guided else 0.4 * np.sin(step)
        rows.append(pd.DataFrame({"step": step, "word": word, "beta": _beta(guided, step, motion),
                                  "frame": np.arange(len(TIMES)), "time_s": TIMES,
                                  "window": np.exp(-0.5 * ((TIMES - mu) / sigma) ** 2), "motion": motion}))
    curves = pd.concat(rows, ignore_index=True)
    return Report("onset", figures={"curves": ("onset_figure", (curves, SEGMENTS), {"title": f"clip {CLIP} (forced)"})})


def finegrained_report(guided: bool) -> Report:
    rows = []
    for step, (word, motion, part, mu, sigma, truth) in enumerate(CAPTION):
        if not motion:
            continue
        half = sigma * np.sqrt(2 * np.log(2)) * (1.0 if guided else 1.3)
        rows.append({"step": step, "word": word, "part": part if guided else PARTS[(step * 5) % 6],
                     "onset_s": max(mu - half, 0.0), "offset_s": min(mu + half, 5.0),
                     "beta": _beta(guided, step, motion), "true_action": "kick_right" if truth[0] < 1 else "wave_left",
                     "true_parts": "right_leg" if truth[0] < 1 else "left_arm", "true_start_s": truth[0],
                     "true_end_s": truth[1]})
    return Report("finegrained", figures={"finegrained": ("finegrained_figure", (pd.DataFrame(rows),),
                                                          {"title": f"clip {CLIP}"})})


def map_report(guided: bool) -> Report:
    rows = []
    for step, (word, motion, part, mu, sigma, _) in enumerate(CAPTION):
        if not motion:
            continue
        window = np.exp(-0.5 * ((TIMES - mu) / sigma) ** 2)
        for k, p in enumerate(PARTS):
            share = 0.8 if p == part else 0.04 * (k + 1)
            if not guided:
                share = 0.15 + 0.1 * ((step + k) % 4)
            rows.append(pd.DataFrame({"step": step, "word": word, "beta": _beta(guided, step, motion), "part": p,
                                      "frame": np.arange(len(TIMES)), "time_s": TIMES, "value": share * window}))
    return Report("map", figures={"map": ("map_figure", (pd.concat(rows, ignore_index=True),), {"title": f"clip {CLIP}"})})


def parts_report(guided: bool) -> Report:
    pointing = [0.95, 0.93, 1.0, 0.96] if guided else [0.40, 0.55, 1.0, 0.58]
    scores = pd.DataFrame({
        "group": ["category", "category", "category", "all"],
        "name": ["one part", "several parts", "whole body", "all motion words"], "n": [2332, 1444, 1136, 4912],
        "pointing": pointing, "chance": [0.17, 0.43, 0.83, 0.40], "best_constant": [0.39, 0.63, 1.0, 0.60]})
    base = np.array([[0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0], [0, 0, 883, 23, 0, 2], [0, 0, 14, 891, 1, 2],
                     [0, 0, 10, 19, 229, 0], [0, 0, 7, 26, 7, 218]])
    counts = base if guided else np.roll(base, 2, axis=1) // 2 + base // 3
    confusion = pd.DataFrame(counts, index=pd.Index(PARTS, name="true_part"),
                             columns=pd.Index(PARTS, name="predicted_part"))
    return Report("parts", figures={"parts": ("parts_figure", (scores, confusion), {})})


def gate_report(guided: bool) -> Report:
    u = _spread(2000)
    motion = 1.0 - 0.25 * u ** 8 if guided else 0.1 + 0.9 * u ** 0.7
    other = 0.8 * u ** 4 if guided else 0.15 + 0.8 * u
    tokens = pd.DataFrame({"beta": np.concatenate([motion, other]), "motion": [True] * 2000 + [False] * 2000})
    sep = pd.DataFrame([{"n_motion": 2000, "n_non_motion": 2000, "labels": "ground truth",
                         "auroc": 0.997 if guided else 0.618, "chance_auroc": 0.5,
                         "best_threshold": 0.79 if guided else 0.34, "accuracy": 0.98 if guided else 0.62}])
    return Report("gate", figures={"gate": ("gate_figure", (tokens, sep), {})})


def onset_scores_report(guided: bool) -> Report:
    """The onset command's second figure: temporal scores per clip group beside chance and the best constant."""
    metrics = ["mu_in_segment", "mean_tiou", "R@1 IoU≥0.3", "R@1 IoU≥0.5", "R@1 IoU≥0.7"]
    rows = [{"clips": g, "answer": a, "n": n, **{m: 0.15 + 0.12 * i + 0.1 * j for j, m in enumerate(metrics)}}
            for g, n in (("all", 1003), ("one action", 498), ("several actions", 505))
            for i, a in enumerate(["model", "chance: a centred window", "best constant: centre 0.50, width 0.60"])]
    return Report("onset", figures={"scores": ("temporal_scores_figure", (pd.DataFrame(rows),), {})})


def ablate_gate_report(guided: bool) -> Report:
    scores = pd.DataFrame({"metric": ["bleu1", "bleu4", "rouge_l", "cider"], "adaptive": [0.891, 0.618, 0.763, 3.209],
                           "beta=1": [0.708, 0.443, 0.649, 2.201], "change": [-0.183, -0.176, -0.114, -1.008]})
    return Report("ablate_gate", figures={"ablate_gate": ("ablation_figure", (scores,), {})})


def compare_report(guided: bool) -> Report:
    scores = ["pointing, one-part words", "pointing, several-part words", "attention correctness, all motion words",
              "μ in segment", "mean tIoU", "onset error (s, lower is better)", "gate AUROC", "caption BLEU@4 (greedy)",
              "caption CIDEr (greedy)"]
    table = pd.DataFrame({"score": scores, MODELS[0]: [0.95, 0.93, 0.82, 0.83, 0.55, 0.61, 0.997, 0.62, 3.2],
                          MODELS[1]: [0.40, 0.55, 0.51, 0.73, 0.48, 0.80, 0.618, 0.60, 3.0],
                          "chance": [0.17, 0.43, 0.40, 0.41, 0.41, 1.53, 0.5, np.nan, np.nan],
                          "best constant": [0.39, 0.63, 0.60, 0.50, 0.48, 1.2, np.nan, np.nan, np.nan]})
    return Report("compare", figures={"compare": ("compare_figure", (table, list(MODELS)), {})})


#: The other figures `m2t-interpret figures` writes (in the models' folders and compare/): name → builder.
OTHER = {"onset_scores": (onset_scores_report, "scores"), "ablate_gate": (ablate_gate_report, "ablate_gate"),
         "compare": (compare_report, "compare")}


BUILD = {"density": density_report, "hist": hist_report, "onset": onset_report, "finegrained": finegrained_report,
         "map": map_report, "parts": parts_report, "gate": gate_report}


def paper_part(key: str, models: int = 2) -> PaperPart:
    """Paper figure ``key`` as `m2t-interpret figures` assembles it, from the first ``models`` models."""
    name, figure_key, function = PAPER[key]
    reports = {label: BUILD[name](label == MODELS[0]) for label in MODELS[:models]}
    return PaperPart(PAPER_FIGURES[key], reports, (function, figure_key))


def single(key: str) -> tuple[Report, str]:
    """The guided model's report of paper figure ``key`` (or of an OTHER figure) and its figure key:
    what the command draws."""
    if key in OTHER:
        build, figure_key = OTHER[key]
        return build(True), figure_key
    name, figure_key, _ = PAPER[key]
    return BUILD[name](True), figure_key


@contextlib.contextmanager
def dejavu() -> Iterator[None]:
    """Figures drawn inside use DejaVu Sans (matplotlib's own font), whatever fonts the machine has:
    every machine then measures and draws the same glyphs."""
    house = sys.modules["m2t_interpret.plotting.style"]  # the module (the package exports its style() as "style")
    with mock.patch.dict(house.RC, {"font.sans-serif": ["DejaVu Sans"]}):
        yield


def draw(key: str, variant: str = "paper"):
    """Paper figure ``key`` as the paper has it (``paper``: the models side by side at the text
    width), as its command draws it (``single``: its own width) or at the column width (``column``).
    A layout warning (constrained layout giving up) fails."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if variant == "paper":
            fig = paper_part(key).draw()
        else:
            report, figure_key = single(key)
            fig = report.figure(figure_key, width=COLUMN_WIDTH if variant == "column" else None)
    layout = [str(w.message) for w in caught if "layout" in str(w.message)]
    if layout:
        raise AssertionError(f"{key} ({variant}): {layout}")
    return fig


def render_png(fig, path: Path, **rc) -> Path:
    """The figure at BASELINE_DPI as a PNG, its whole canvas (no tight box: the image's size never
    depends on the text), under the house style and the rcParams ``rc``."""
    with style(), mock.patch.dict("matplotlib.rcParams", rc):
        fig.savefig(path, dpi=BASELINE_DPI, metadata={"Software": None})
    return path


def drawing_versions() -> dict[str, str]:
    """The matplotlib (major.minor) and FreeType versions that draw the figures here."""
    return {"matplotlib": ".".join(matplotlib.__version__.split(".")[:2]), "freetype": ft2font.__freetype_version__}
