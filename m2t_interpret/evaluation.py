"""Caption-metric evaluation of a captioner on a dataset split, with the protocol printed beside
every score (REFERENCE §4)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import pandas as pd
import torch

from .data.dataset import load_split
from .errors import M2TError
from .metrics import CaptionScores, caption_scores, write_predictions, write_scores
from .model.captioner import Captioner


@dataclass
class Evaluation:
    """Scores plus the per-clip predictions they were computed from."""

    scores: CaptionScores
    predictions: pd.DataFrame  # id, prediction, references (list)
    decode: str
    split: str
    data: str

    def write(self, out_dir: str | os.PathLike) -> list[Path]:
        """predictions.csv (every field quoted), scores.csv and scores.md."""
        out = Path(out_dir)
        refs = {r.id: list(r.references) for r in self.predictions.itertuples()}
        paths = [
            write_predictions(out / "predictions.csv", list(self.predictions["id"]),
                              dict(zip(self.predictions["id"], self.predictions["prediction"])), refs),
            write_scores(out / "scores.csv", self.scores),
            write_scores(out / "scores.md", self.scores),
        ]
        return paths


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
    from tqdm.auto import tqdm

    motions = [s.motion for s in samples]
    order = sorted(range(len(motions)), key=lambda i: motions[i].shape[0])
    chunks = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    batches = ((idx, *model.preprocess([motions[i] for i in idx]))
               for idx in tqdm(chunks, desc="captioning", disable=not progress, leave=False))
    return caption_batches(model, batches, len(motions), mode=mode, beam_size=beam_size)


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
) -> Evaluation:
    """Decode every sample of ``split`` (greedy, or beam search when ``beam_size`` > 1) and score
    the captions against all of the sample's references."""
    data = load_split(root, split, skeleton=model.skeleton, progress=progress, limit=limit)
    if len(data) == 0:
        raise M2TError(f"no usable samples in split {split!r} of {root}: {data.report.summary()}")
    mode = "beam" if beam_size > 1 else "greedy"
    with torch.inference_mode():
        preds = caption_split(model, data, mode=mode, beam_size=beam_size, progress=progress)
    refs = {s.id: [c.text for c in s.captions] for s in data}
    table = pd.DataFrame({"id": [s.id for s in data], "prediction": preds,
                          "references": [refs[s.id] for s in data]})
    scores = caption_scores(dict(zip(table["id"], preds)), refs, protocol=protocol,
                            bertscore_model=bertscore_model, meteor=meteor)
    return Evaluation(scores, table, "greedy" if beam_size <= 1 else f"beam{beam_size}", split, str(root))
