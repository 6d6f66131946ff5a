"""Turning a dataset into training batches: tokens, supervision targets, length-bucketed batches."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np
import torch

from ..cache import cached_corpus
from ..data import synthetic
from ..data.dataset import MotionDataset, load_split
from ..data.clause_order import step_units
from ..data.motion_range import corpus_summary
from ..data.preprocessing import axis_stats, pad_frames, preprocess_motions
from ..data.segments import DATASET_FILE, Segment, read_segments, step_segments
from ..data.lexicon import (Lexicon, build_pos_lexicon, caption_words,  # noqa: F401 (re-export)
                            load_lexicon, pair_step_targets)
from ..data.vocabulary import Vocabulary, build_vocabulary
from ..errors import M2TError
from ..io import cache_dir  # noqa: F401 (re-exported: where generated corpora are kept)
from ..skeletons import Skeleton

SYNTHETIC = "synthetic"
SYNTHETIC_COUNTS = {"n_train": 4000, "n_val": 300, "n_test": 500}


#: A split may lose at most this share of its ids (missing or unreadable files, no valid caption) or of
#: its caption lines (malformed) before training (or evaluating) stops; ``allow_skips`` goes on anyway.
MAX_SKIP_FRACTION = 0.05


def resolve_data(spec: str | os.PathLike, synthetic_seed: int = 0, progress: bool = True,
                 log: Callable[[str], None] | None = None) -> Path:
    """``"synthetic"`` → the default synthetic corpus for ``synthetic_seed``, generated once (about
    340 MB) into ``$M2T_INTERPRET_CACHE`` (default ``~/.cache/m2t-interpret``) — ``log`` is told
    where before it is written; anything else → that folder, which must exist."""
    if str(spec) == SYNTHETIC:
        def generate(root: Path) -> None:
            if log is not None:
                log(f"generating the default synthetic corpus (seed {synthetic_seed}, about 340 MB, once) into "
                    f"{root}; set M2T_INTERPRET_CACHE to keep it elsewhere")
            synthetic.generate_corpus(root, seed=synthetic_seed, progress=progress, **SYNTHETIC_COUNTS)

        return cached_corpus(cache_dir() / synthetic.cache_name("synthetic", synthetic_seed),
                             f"synthetic corpus (seed {synthetic_seed})", generate)[0]
    root = Path(spec)
    if root.exists() and not root.is_dir():
        raise M2TError(f"--data {root} is a file; name a dataset folder in the HumanML3D layout (or synthetic)")
    if not root.is_dir():
        raise M2TError(f"dataset folder not found: {root} (or use --data synthetic)")
    return root


def check_skips(datasets: dict[str, MotionDataset], allow_skips: bool = False,
                log: Callable[[str], None] | None = None, threshold: float = MAX_SKIP_FRACTION,
                action: str = "train") -> dict:
    """Tell ``log`` what each split lost and why; stop (M2TError) when a split lost more than
    ``threshold`` of its ids or caption lines, unless ``allow_skips`` (the message suggests
    ``--allow-skips`` to ``action`` anyway: train, evaluate). Returns the JSON-able summary the
    trainer writes as ``skipped.json``."""
    too_many = []
    for name, ds in datasets.items():
        r = ds.report
        if log is not None:
            log(f"{name}: {r.n_samples} samples; {r.loss_summary()}")
        if r.lost_fraction > threshold or r.malformed_fraction > threshold:
            too_many.append(name)
            if log is not None:
                for i, why in list(r.lost_ids.items())[:50]:
                    log(f"  {name} skipped {i}: {why}")
                for i, n, why in r.malformed_lines[:50]:
                    log(f"  {name} malformed {i} line {n}: {why}")
    summary = {"threshold": threshold, "allow_skips": bool(allow_skips),
               "splits": {name: ds.report.to_dict() for name, ds in datasets.items()}}
    if too_many and not allow_skips:
        r = datasets[too_many[0]].report
        share = max(r.lost_fraction, r.malformed_fraction)
        raise M2TError(f"the {too_many[0]} split loses {share:.1%} (more than {threshold:.0%}): {r.loss_summary()}; "
                       f"fix the data (m2t-interpret data check) or pass --allow-skips to {action} anyway")
    return summary


@dataclass
class PreparedSplit:
    """Preprocessed motions and encoded captions of one split."""

    ids: list[str]
    motions: list[torch.Tensor]  # each (T_i, J·3) float32, model input
    references: list[list[list[str]]]  # per motion: its captions as word lists
    pair_motion: np.ndarray  # (P,) motion index of each (motion, caption) pair
    pair_ids: list[list[int]]  # (P,) token ids with <sos> … <eos>
    beta_star: list[np.ndarray]  # (P,) each (L_p − 1,)
    alpha_star: list[np.ndarray]  # each (L_p − 1, 6)
    alpha_sup: list[np.ndarray]  # each (L_p − 1,)
    #: per pair, each (L_p − 1,) int8: the time rank of the step's word's clause (−1: none), from the text
    units: list[np.ndarray] | None = None
    #: per pair, each (L_p − 1, 2) float32: the step's annotated segment in model frames (NaN: none)
    segments: list[np.ndarray] | None = None
    skipped: dict | None = None  # what loading skipped and why (set by load_prepared)
    #: the motion statistics of the split's clips (training split, set by load_prepared): the checkpoint keeps them
    motion_corpus: dict | None = None

    @property
    def lengths(self) -> np.ndarray:
        return np.array([m.shape[0] for m in self.motions])


def first_motions(split: PreparedSplit, n: int) -> PreparedSplit:
    """The split's first ``n`` motions (in split order) with their captions: validation on a
    fixed subset (``val_max_samples``)."""
    if n >= len(split.motions):
        return split
    keep = np.flatnonzero(split.pair_motion < n)

    def pick(items):
        return None if items is None else [items[i] for i in keep]

    return replace(split, ids=split.ids[:n], motions=split.motions[:n], references=split.references[:n],
                   pair_motion=split.pair_motion[keep], pair_ids=pick(split.pair_ids), beta_star=pick(split.beta_star),
                   alpha_star=pick(split.alpha_star), alpha_sup=pick(split.alpha_sup), units=pick(split.units),
                   segments=pick(split.segments))


def build_training_vocabulary(dataset: MotionDataset, min_freq: int) -> Vocabulary:
    """Vocabulary over the surface words of a (training) dataset."""
    words = [caption_words(c)[0] for s in dataset for c in s.captions]
    return build_vocabulary(words, min_freq=min_freq, mode="project")


def prepare_split(dataset: MotionDataset, vocab: Vocabulary, skeleton: Skeleton, stats: dict,
                  downsample: int, max_caption_tokens: int, pos_lexicon: dict | None = None,
                  lexicon: str | os.PathLike | Lexicon | None = None,
                  segments: dict[str, list[Segment]] | None = None) -> PreparedSplit:
    """Preprocess every motion once and encode every caption with its step-aligned targets.

    ``lexicon``: the supervision lexicon (``"authors"`` when None, ``"project"``, a lexicon JSON
    path or a :class:`Lexicon`), built for ``skeleton``'s part order. Targets are computed on
    each caption's whole word list (clause rules see words outside the vocabulary or past the
    ``max_caption_tokens`` cut). Every pair also gets its steps' temporal units from the text
    (:func:`~m2t_interpret.data.clause_order.step_units`) and, with ``segments`` (a read segment
    table, by clip id), its steps' annotated segments.
    """
    if len(dataset) == 0:
        raise M2TError("the split has no usable samples; run `m2t-interpret data check` on the dataset")
    lex = load_lexicon(lexicon, skeleton)
    motions, refs, pair_motion, pair_ids, full, where = [], [], [], [], [], []
    for i, sample in enumerate(dataset):
        x, _ = preprocess_motions([sample.motion], skeleton, stats, downsample)
        motions.append(x[0])
        sample_refs = []
        for cap in sample.captions:
            words, pos = caption_words(cap)
            if not words:
                continue
            sample_refs.append(words)
            full.append((words, pos))
            where.append((sample, cap.text, x.shape[1]))
            words = words[:max_caption_tokens]
            ids = vocab.encode(words)
            if len(words) == max_caption_tokens and ids[-1] == vocab.eos_id:
                ids = ids[:-1]
            pair_motion.append(i)
            pair_ids.append(ids)
        refs.append(sample_refs)
    beta_star, alpha_star, alpha_sup, units, steps_segments = [], [], [], [], []
    for ids, (words, pos), (sample, text, n_frames) in zip(pair_ids, full, where):
        b, a, m = pair_step_targets(words, pos, ids, pos_lexicon=pos_lexicon, lexicon=lex)
        beta_star.append(b)
        alpha_star.append(a)
        alpha_sup.append(m)
        units.append(step_units(words, pos, b)[0])
        if segments is not None:
            steps_segments.append(step_segments(words, text, segments.get(sample.source_id, ()), b, skeleton.fps,
                                                downsample, n_frames, offset_s=sample.start))
    return PreparedSplit([s.id for s in dataset], motions, refs, np.array(pair_motion), pair_ids,
                         beta_star, alpha_star, alpha_sup, units, steps_segments if segments is not None else None)


def load_prepared(root: Path, config, progress: bool = True, allow_skips: bool = False,
                  log: Callable[[str], None] | None = None):
    """Load train/val, check what loading skipped (:func:`check_skips`), build vocabulary and
    statistics from train (normalisation, and the motion statistics of its clips in the training
    split's ``motion_corpus``), prepare both splits. Both splits must have usable samples (the val split
    selects the model). The training split's ``skipped`` holds the summary of both."""
    table = load_segment_table(config, root)  # first: a bad table is refused before any data is read
    train = load_split(root, "train", progress=progress)
    val = load_split(root, "val", progress=progress)
    if len(train) == 0:
        raise M2TError(f"no usable training samples in {root}: {train.report.loss_summary()}")
    if len(val) == 0:
        raise M2TError(f"no usable validation samples in {root} (the val split selects the best model): "
                       f"{val.report.loss_summary()}")
    skipped = check_skips({"train": train, "val": val}, allow_skips=allow_skips, log=log)
    skeleton = train.skeleton
    vocab = build_training_vocabulary(train, config.min_freq)
    if config.stats_from == "all":
        test = load_split(root, "test", progress=False)
        stats = axis_stats([s.motion for d in (train, val, test) for s in d])
    else:
        stats = axis_stats([s.motion for s in train])
    pos_lexicon = build_pos_lexicon(train)
    lexicon = load_lexicon(getattr(config, "lexicon", None) or "authors", skeleton)
    train_split = prepare_split(train, vocab, skeleton, stats, skeleton.downsample, config.max_caption_tokens,
                                pos_lexicon, lexicon, segments=table)
    if table is not None:
        n_steps = sum(int(np.isfinite(seg[:, 0]).sum()) for seg in train_split.segments)
        matched = len({train_split.ids[train_split.pair_motion[p]] for p, seg in enumerate(train_split.segments)
                       if np.isfinite(seg[:, 0]).any()})
        if log is not None:
            log(f"segments: {n_steps} caption words of {matched} of {len(train_split.ids)} training motions placed "
                f"on an annotated segment")
        if n_steps == 0:
            raise M2TError("no caption word of the training split matches a segment of the table (clip ids, caption "
                           "texts or words differ); see docs/temporal.md for the segment table's layout")
    train_split.skipped = skipped
    # what the model will have seen: a clip outside these ranges gets a warning when captioned
    train_split.motion_corpus = corpus_summary([s.motion for s in train], skeleton, source=f"train split of {root}")
    # the validation split selects the model by BLEU: it needs no segments
    return skeleton, vocab, stats, train_split, prepare_split(val, vocab, skeleton, stats, skeleton.downsample,
                                                              config.max_caption_tokens, pos_lexicon, lexicon)


def load_segment_table(config, root: Path) -> dict[str, list[Segment]] | None:
    """The segment table the config names (``segments``: a CSV path, or ``auto`` for the dataset's
    own ``segments.csv``), or None without one."""
    name = getattr(config, "segments", None)
    if not name:
        return None
    path = root / DATASET_FILE if str(name) == "auto" else Path(name)
    if str(name) == "auto" and not path.is_file():
        raise M2TError(f"--segments auto: {root} holds no {DATASET_FILE}; give the segment table's path "
                       "(m2t-interpret synth writes one for its training split)")
    return read_segments(path)


def epoch_pairs(split: PreparedSplit, rng: np.random.Generator, captions_per_motion: int = 0) -> np.ndarray:
    """Pair indices used in one epoch: all (0), or up to k randomly drawn captions per motion."""
    if captions_per_motion <= 0:
        return np.arange(len(split.pair_motion))
    keys = rng.random(len(split.pair_motion))
    order = np.lexsort((keys, split.pair_motion))  # by motion, random within motion
    motion_sorted = split.pair_motion[order]
    first = np.searchsorted(motion_sorted, motion_sorted, side="left")
    rank = np.arange(len(order)) - first
    return np.sort(order[rank < captions_per_motion])


def bucketed_batches(split: PreparedSplit, batch_size: int, rng: np.random.Generator,
                     captions_per_motion: int = 0) -> list[np.ndarray]:
    """Pairs grouped by motion length (random order within equal lengths), batches shuffled."""
    pairs = epoch_pairs(split, rng, captions_per_motion)
    lengths = split.lengths[split.pair_motion[pairs]] + rng.random(len(pairs))
    order = pairs[np.argsort(lengths, kind="stable")]
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    perm = rng.permutation(len(batches))
    return [batches[i] for i in perm]


def rank_slice(pairs: np.ndarray, rank: int, world_size: int) -> np.ndarray:
    """This process's share of a global batch under data-parallel training: the ``rank``-th of
    ``world_size`` contiguous slices (sizes differ by at most one, so a short last batch may leave a
    slice empty). Contiguous, because a global batch is in length order: each slice pads less."""
    return np.array_split(pairs, world_size)[rank]


def caption_width(split: PreparedSplit, pairs: Sequence[int]) -> int:
    """Token width :func:`collate` gives these pairs (longest caption with <sos>/<eos>)."""
    return max(len(split.pair_ids[p]) for p in pairs)


@dataclass
class Batch:
    x: torch.Tensor  # (N, T, J·3)
    lengths: torch.Tensor  # (N,)
    captions: torch.Tensor  # (N, L) with <sos>, <pad>-padded
    beta_star: torch.Tensor  # (N, L−1), −1 unsupervised
    alpha_star: torch.Tensor  # (N, L−1, 6)
    alpha_sup: torch.Tensor  # (N, L−1) bool
    units: torch.Tensor | None = None  # (N, L−1) long, time rank of the step's clause, −1 none
    segments: torch.Tensor | None = None  # (N, L−1, 2) model frames, NaN none

    def to(self, device: torch.device | str) -> "Batch":
        return Batch(*(None if t is None else t.to(device) for t in (
            self.x, self.lengths, self.captions, self.beta_star, self.alpha_star, self.alpha_sup, self.units,
            self.segments)))


def collate(split: PreparedSplit, pairs: Sequence[int]) -> Batch:
    x, lengths = pad_frames([split.motions[split.pair_motion[p]] for p in pairs])
    n = len(pairs)
    width = caption_width(split, pairs)
    caps = torch.zeros(n, width, dtype=torch.long)
    beta = torch.full((n, width - 1), -1.0)
    alpha = torch.zeros(n, width - 1, 6)
    sup = torch.zeros(n, width - 1, dtype=torch.bool)
    units = torch.full((n, width - 1), -1, dtype=torch.long) if split.units is not None else None
    segments = torch.full((n, width - 1, 2), float("nan")) if split.segments is not None else None
    for i, p in enumerate(pairs):
        ids = split.pair_ids[p]
        caps[i, : len(ids)] = torch.tensor(ids)
        s = len(ids) - 1
        beta[i, :s] = torch.from_numpy(split.beta_star[p])
        alpha[i, :s] = torch.from_numpy(split.alpha_star[p])
        sup[i, :s] = torch.from_numpy(split.alpha_sup[p])
        if units is not None:
            units[i, :s] = torch.from_numpy(split.units[p].astype(np.int64))
        if segments is not None:
            segments[i, :s] = torch.from_numpy(split.segments[p])
    return Batch(x, lengths, caps, beta, alpha, sup, units, segments)


def motion_batches(split: PreparedSplit, batch_size: int) -> Iterator[tuple[list[int], torch.Tensor, torch.Tensor]]:
    """Motions in length order for evaluation: (indices, x (N, T, J·3), lengths (N,))."""
    order = np.argsort(split.lengths, kind="stable")
    for i in range(0, len(order), batch_size):
        idx = order[i : i + batch_size].tolist()
        yield (idx, *pad_frames([split.motions[j] for j in idx]))
