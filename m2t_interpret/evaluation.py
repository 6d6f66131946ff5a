"""Caption-metric evaluation of a captioner on a dataset split, with the protocol printed with the
scores (protocols make numbers from different papers incomparable: see :mod:`m2t_interpret.metrics`)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import pandas as pd
import torch
from tqdm.auto import tqdm

from .capture.dataset import parse_decode
from .data.dataset import load_split
from .errors import M2TError
from .metrics import CaptionScores, caption_scores, write_predictions, write_scores
from .model.captioner import Captioner
from .outputs import OutputFolder
from .training.data import check_skips


@dataclass
class Evaluation:
    """Scores plus the per-clip predictions they were computed from."""

    scores: CaptionScores
    predictions: pd.DataFrame  # id, prediction, references (list)
    decode: str
    split: str
    data: str

    def write(self, out_dir: str | os.PathLike) -> list[Path]:
        """predictions.csv (every field quoted), scores.csv and scores.md, together or not at all
        (checked first with :func:`check_evaluation_out`: files of those names that the tool did not
        write, or that changed since, are not replaced)."""
        folder = evaluation_folder(out_dir)
        refs = {r.id: list(r.references) for r in self.predictions.itertuples()}
        with folder.transaction() as stage:
            paths = [
                write_predictions(stage / "predictions.csv", list(self.predictions["id"]),
                                  dict(zip(self.predictions["id"], self.predictions["prediction"])), refs),
                write_scores(stage / "scores.csv", self.scores),
                write_scores(stage / "scores.md", self.scores),
            ]
            return folder.final(stage, paths)


EVALUATION_FILES = ("predictions.csv", "scores.csv", "scores.md")
_HEADERS = {"predictions.csv": '"id","prediction"', "scores.csv": '"metric"', "scores.md": "| Metric |"}


def is_evaluation_file(path: Path) -> bool:
    """True for an evaluation file that starts the way :meth:`Evaluation.write` writes it (files
    written before output ledgers existed are recognised this way)."""
    header = _HEADERS.get(Path(path).name)
    if header is None or not Path(path).is_file():
        return False
    with open(path, encoding="utf-8", errors="replace") as fh:
        return fh.readline().startswith(header)


def evaluation_folder(out_dir: str | os.PathLike) -> OutputFolder:
    """``--out`` of ``evaluate``, checked before any work: a folder (or absent), writable, not under a
    file, and holding no file named like an output that the tool did not write or that changed since."""
    folder = OutputFolder(out_dir, "evaluate", is_legacy=is_evaluation_file)
    folder.check(EVALUATION_FILES)
    return folder


def check_evaluation_out(out_dir: str | os.PathLike) -> Path:
    """:func:`evaluation_folder`'s path (the check alone)."""
    return evaluation_folder(out_dir).path


def caption_batches(model: Captioner, batches: Iterable[tuple[list[int], torch.Tensor, torch.Tensor]],
                    n: int, mode: str = "greedy", beam_size: int = 2, max_steps: int | None = None) -> list[str]:
    """Decode batches of (indices, x, lengths) without capture; captions in index order (n of them)."""
    preds = [""] * n
    for idx, x, lengths in batches:
        for i, ids in zip(idx, model.generate(x, lengths, mode=mode, beam_size=beam_size, max_steps=max_steps)):
            preds[i] = model.ids_to_text(ids)
    return preds


def caption_split(model: Captioner, samples, mode: str = "greedy", beam_size: int = 2, batch_size: int = 128,
                  progress: bool = False) -> list[str]:
    """Caption the motions of a loaded split in length-sorted batches, returned in split order."""

    motions = [s.motion for s in samples]
    order = sorted(range(len(motions)), key=lambda i: motions[i].shape[0])
    chunks = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    batches = ((idx, *model.preprocess([motions[i] for i in idx]))
               for idx in tqdm(chunks, desc="captioning", disable=not progress, leave=False))
    return caption_batches(model, batches, len(motions), mode=mode, beam_size=beam_size)


def decode_label(mode: str, beam_size: int) -> str:
    """("beam", 2) → "beam2", ("authors_beam", 2) → "authors-beam2", ("greedy", 1) → "greedy"."""
    return "greedy" if mode == "greedy" else f"{mode.replace('_', '-')}{beam_size}"


def evaluate_model(
    model: Captioner,
    root: str | os.PathLike,
    split: str = "test",
    beam_size: int = 1,
    protocol: str = "project",
    bertscore_model: str | os.PathLike | None = None,
    meteor: bool | None = None,
    progress: bool = True,
    limit: int | None = None,
    decode: str | None = None,
    log=None,
    allow_skips: bool = False,
) -> Evaluation:
    """Decode every sample of ``split`` and score the captions against all of the sample's references.

    ``decode``: ``greedy``, ``beamK`` or ``authors-beamK`` (as ``caption --decode``); without it,
    ``beam_size`` > 1 means the batched beam of that width. ``log`` is told when METEOR starts.
    A split that lost more than 5 % of its ids or caption lines is not scored (M2TError, training's
    rule: :func:`~m2t_interpret.training.data.check_skips`) unless ``allow_skips``; the scores say
    how many clips they are on and how many ids were lost."""

    if decode is not None:
        mode, beam_size = parse_decode(decode)
        if mode == "forced":
            raise M2TError("evaluate scores generated captions; use --decode greedy, beamK or authors-beamK")
    else:
        if beam_size < 1:
            raise M2TError(f"beam size must be ≥ 1, got {beam_size}")
        mode = "beam" if beam_size > 1 else "greedy"
    data = load_split(root, split, skeleton=model.skeleton, progress=progress, limit=limit)
    if len(data) == 0:
        raise M2TError(f"no usable samples in split {split!r} of {root} for this {model.skeleton.name} model: "
                       f"{data.report.loss_summary()}")
    check_skips({split: data}, allow_skips=allow_skips, action="evaluate")
    data.report.warn_skipped()
    with torch.inference_mode():
        preds = caption_split(model, data, mode=mode, beam_size=beam_size, progress=progress)
    refs = {s.id: [c.text for c in s.captions] for s in data}
    table = pd.DataFrame({"id": [s.id for s in data], "prediction": preds,
                          "references": [refs[s.id] for s in data]})
    scores = caption_scores(dict(zip(table["id"], preds)), refs, protocol=protocol,
                            bertscore_model=bertscore_model, meteor=meteor, log=log)
    scores.n_lost, scores.lost_note = len(data.report.lost_ids), data.report.loss_summary()
    return Evaluation(scores, table, decode_label(mode, beam_size), split, str(root))
