"""The training loop: language loss plus attention guidance, model selection on greedy BLEU-4.

A run directory holds ``config.toml``, ``vocab.json``, ``model.pt`` (the best model, project
checkpoint), ``last.pt`` (everything needed to resume), ``log.csv`` (one row per epoch),
``curves.png`` and ``skipped.json`` (what loading the data skipped, and why). Seeding is per epoch (batch order, dropout, teacher-forcing coins), so a resumed
run continues exactly as an uninterrupted one would.

Under ``torchrun`` with several processes the model trains with DistributedDataParallel: every rank
builds the same global batches and trains on its slice of each; losses are weighted so that the
averaged gradient is the one-process gradient of the global batch; rank 0 alone validates, prints
and writes the run directory (``docs/distributed.md``).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Mapping
from typing import Callable, NamedTuple, Sequence

import numpy as np
import torch
from filelock import FileLock, Timeout
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from tqdm.auto import tqdm

from .._version import __version__
from ..cache import remove_leftovers
from ..errors import M2TError
from ..evaluation import caption_batches
from ..io import atomic_path, write_text
from ..outputs import LEDGER, OutputFolder
from ..bleu import corpus_bleu4_fast
from ..data.motion_range import METADATA_KEY
from ..tokens import SPECIAL_TOKENS
from ..model.captioner import Captioner, CaptionerConfig
from ..model.checkpoints import load_checkpoint_file, resolve_device, save_checkpoint
from .config import TrainConfig, config_from_mapping
from .data import (Batch, PreparedSplit, bucketed_batches, caption_width, collate, first_motions, load_prepared,
                   motion_batches, rank_slice, resolve_data)
from .distributed import Distributed, init_distributed, no_buffer_sync
from .losses import LossTerms, detached, guided_attention_loss, weighted_total

RUN_STATE = "m2t-interpret-run-state"
LOG_COLUMNS = ["epoch", "loss", "lang", "spat", "adapt", "order", "segment", "val_bleu4", "seconds", "lr"]


def epoch_lr(config: TrainConfig, epoch: int) -> float:
    """Learning rate of ``epoch`` (0-based): constant, or cosine from ``lr`` down to ``lr_min`` over
    the run; a function of the epoch alone, so a resumed run follows the same schedule."""
    if config.lr_schedule == "cosine":
        return config.lr_min + (config.lr - config.lr_min) * 0.5 * (1 + math.cos(math.pi * epoch / config.epochs))
    return config.lr


class TrainingDecode(NamedTuple):
    """What the training decode gives the losses, batch-first."""

    logits: torch.Tensor  # (N, S, V)
    alpha: torch.Tensor  # (N, S, T, 6)
    beta: torch.Tensor  # (N, S)
    frame_mask: torch.Tensor  # (N, T) bool
    mu: torch.Tensor  # (N, S) model frames
    sigma: torch.Tensor  # (N, S)


def decode_for_loss(model: Captioner, x: torch.Tensor, lengths: torch.Tensor, captions: torch.Tensor,
                    teacher_forcing: float, coins: Sequence[bool] | None = None) -> TrainingDecode:
    """The training decode. Teacher forcing 1 runs all steps in one pass; below 1, one coin per step
    for the whole batch chooses between the gold token and the previous argmax — drawn from the
    global RNG, or ``coins[t]`` when given (distributed training)."""
    inputs = captions[:, :-1]
    if teacher_forcing >= 1.0:
        out = model(x, lengths, inputs)
        frame_mask = torch.arange(x.shape[1], device=x.device)[None] < lengths[:, None]
        return TrainingDecode(out.logits, out.alpha, out.beta, frame_mask, out.temporal.mu, out.temporal.sigma)
    enc = model.encode(x, lengths)
    state, token = None, inputs[:, 0]
    steps = []
    for t in range(inputs.shape[1]):
        out, state = model.step(enc, token, state)
        steps.append((out.logits, out.alpha, out.beta, out.temporal.mu, out.temporal.sigma))
        if t + 1 < inputs.shape[1]:
            gold = bool(torch.rand(()) < teacher_forcing) if coins is None else coins[t]
            token = inputs[:, t + 1] if gold else out.logits[:, 0].argmax(-1).detach()
    logits, alpha, beta, mu, sigma = (torch.cat(parts, 1) for parts in zip(*steps))
    return TrainingDecode(logits, alpha, beta, enc.frame_mask, mu, sigma)


def _loss_terms(out: TrainingDecode, batch: Batch, lambdas, temporal_lambdas, order_margin: float) -> LossTerms:
    """The guided-attention loss of one decoded batch; temporal targets only where their λ is set."""
    lam_order, lam_segment = temporal_lambdas
    return guided_attention_loss(
        out.logits, batch.captions[:, 1:], out.alpha, out.frame_mask, out.beta, batch.beta_star, batch.alpha_star,
        batch.alpha_sup, lambdas=lambdas, mu=out.mu, sigma=out.sigma, lengths=batch.lengths,
        units=batch.units if lam_order else None, segments=batch.segments if lam_segment else None,
        temporal_lambdas=temporal_lambdas, order_margin=order_margin)


def batch_loss(model: Captioner, batch: Batch, lambdas, teacher_forcing: float,
               coins: Sequence[bool] | None = None, temporal_lambdas=(0.0, 0.0),
               order_margin: float = 0.05) -> LossTerms:
    """Loss of one batch (see :func:`decode_for_loss` for teacher forcing and ``coins``)."""
    out = decode_for_loss(model, batch.x, batch.lengths, batch.captions, teacher_forcing, coins)
    return _loss_terms(out, batch, lambdas, temporal_lambdas, order_margin)


class _TrainingDecode(nn.Module):
    """What DistributedDataParallel wraps: one forward that is the whole training decode, so DDP
    sees every use of the parameters (teacher forcing < 1 decodes step by step via encode/step)."""

    def __init__(self, model: Captioner, teacher_forcing: float) -> None:
        super().__init__()
        self.model, self.teacher_forcing = model, teacher_forcing

    def forward(self, x: torch.Tensor, lengths: torch.Tensor, captions: torch.Tensor,
                coins: Sequence[bool] | None = None):
        return decode_for_loss(self.model, x, lengths, captions, self.teacher_forcing, coins)


def _distributed_backward(ddp: nn.Module, dist: Distributed, split: PreparedSplit, pairs: np.ndarray,
                          config: TrainConfig, device: torch.device, coin_gen: torch.Generator) -> dict[str, float]:
    """Forward and backward of this rank's slice of the global batch ``pairs``; returns the loss
    terms of the whole global batch (what one process logs).

    Each term is a mean over its entries (tokens, supervised steps, …). Rank r's term is weighted by
    n_r·N / n (its count, the world size, the global count), so DDP's average of the gradients is
    the gradient of the global-batch mean, as one process computes it."""
    local = rank_slice(pairs, dist.rank, dist.world_size)
    weight = 1.0
    if len(local) == 0:  # a short last batch: decode one item at weight 0 so that DDP still meets every rank
        local, weight = pairs[:1], 0.0
    coins = None
    if config.teacher_forcing < 1.0:
        # One coin per step of the global batch, as one process draws them, from a generator every
        # rank seeds alike: all ranks (and, with dropout 0, one process) make the same choices.
        coins = [bool(torch.rand((), generator=coin_gen) < config.teacher_forcing)
                 for _ in range(caption_width(split, pairs) - 2)]
    batch = collate(split, local).to(device)
    out = ddp(batch.x, batch.lengths, batch.captions, coins)
    terms = _loss_terms(TrainingDecode(*out), batch, config.lambdas, config.temporal_lambdas, config.order_margin)
    names = ("lang", *LossTerms.TERMS)
    values = [getattr(terms, k) for k in names]
    means = torch.tensor([float(detached(v)) for v in values], dtype=torch.float64)
    counts = torch.tensor([terms.counts()[k] for k in names], dtype=torch.float64) * weight
    local_sums = means * counts if weight else torch.zeros(len(names), dtype=torch.float64)
    reduced = dist.all_reduce_sum(torch.cat([local_sums, counts]))
    sums, totals = reduced[:len(names)].tolist(), reduced[len(names):].tolist()
    scales = [float(n) * dist.world_size / total if total > 0 else 0.0 for n, total in zip(counts.tolist(), totals)]
    weights = list(terms.weights.values())
    scaled = [v * c for v, c in zip(values, scales)]
    weighted_total(scaled[0], scaled[1:], weights).backward()
    global_means = [s / total if total > 0 else 0.0 for s, total in zip(sums, totals)]
    return {"loss": weighted_total(global_means[0], global_means[1:], weights), **dict(zip(names, global_means))}


def greedy_bleu4(model: Captioner, split: PreparedSplit, max_steps: int | None = None) -> float:
    """Corpus BLEU-4 of greedy captions against all references (special tokens stripped)."""
    preds = caption_batches(model, motion_batches(split, 128), len(split.motions), max_steps=max_steps)
    strip = set(SPECIAL_TOKENS)
    refs = [[[w for w in r if w not in strip] for r in rs] for rs in split.references]
    return corpus_bleu4_fast([[w for w in p.split() if w not in strip] for p in preds], refs)


@dataclass
class TrainResult:
    run_dir: Path
    best_bleu4: float
    best_epoch: int
    epochs_run: int
    seconds: float
    model_path: Path
    world_size: int = 1  # processes that trained (torchrun); every rank returns the same result


def _write_log(path: Path, rows: list[dict]) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=LOG_COLUMNS)
    writer.writeheader()
    for r in rows:
        writer.writerow({k: r.get(k) for k in LOG_COLUMNS})
    write_text(path, buf.getvalue())


def plot_curves(rows: list[dict], path: Path) -> None:
    """Loss terms and validation BLEU-4 per epoch, as a PNG."""
    # A bare Figure (no pyplot) never touches the global backend, so notebooks keep theirs.
    from matplotlib.figure import Figure

    epochs = [r["epoch"] for r in rows]
    fig = Figure(figsize=(9, 3.4))
    a, b = fig.subplots(1, 2)
    for key, label in (("loss", "total"), ("lang", "language"), ("spat", "spatial"), ("adapt", "adaptive"),
                       ("order", "clause order"), ("segment", "segment")):
        if key in ("order", "segment") and not any(r.get(key) for r in rows):
            continue  # a term this run does not use
        a.plot(epochs, [r.get(key, 0.0) for r in rows], marker="o", ms=3, label=label)
    a.set_xlabel("epoch")
    a.set_ylabel("training loss (unweighted terms)")
    a.legend(fontsize=8)
    b.plot(epochs, [r["val_bleu4"] for r in rows], marker="o", ms=3, color="C4")
    b.set_xlabel("epoch")
    b.set_ylabel("validation BLEU-4 (greedy)")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)


#: Files a run directory holds (a folder holding only these, and our temporary files, is a run).
RUN_FILES = ("config.toml", "vocab.json", "model.pt", "last.pt", "log.csv", "curves.png", "skipped.json")
#: The lock a training run holds on its folder while it runs (removed when it ends).
RUN_LOCK = ".m2t-train.lock"


class RunFolderLock:
    """The run folder, held by one training process at a time.

    :meth:`take` (rank 0, before anything is written) locks ``RUN/.m2t-train.lock`` — an OS lock
    that dies with its process, so a run killed with ``kill -9`` blocks nobody — refuses a folder
    another run is training into, and removes the temporary files a killed run left there
    (``.last.pt.<random>.tmp`` …): nothing else writes into a held run folder. :meth:`release`
    removes the lock file again, and the folder when the run made it and wrote nothing.
    """

    def __init__(self, out: Path) -> None:
        self.out, self.lock, self.created = out, None, False

    def take(self) -> None:
        self.created = not self.out.exists()
        lock = FileLock(str(self.out / RUN_LOCK))
        try:
            self.out.mkdir(parents=True, exist_ok=True)
            lock.acquire(timeout=0)
        except Timeout:
            raise M2TError(f"another m2t-interpret run is training into {self.out}; wait for it to end or choose "
                           "another --out") from None
        except OSError:
            return  # no lock file can be made: the run's own writes report the folder
        self.lock = lock
        remove_leftovers(self.out)

    def release(self) -> None:
        if self.lock is None:
            return
        try:
            (self.out / RUN_LOCK).unlink()
        except OSError:
            pass
        finally:
            self.lock.release()
            self.lock = None
        if self.created:
            with contextlib.suppress(OSError):
                self.out.rmdir()  # only when the run stopped before writing anything


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C during training: a KeyboardInterrupt that says how to continue."""

    def __init__(self, out: Path, epochs_done: int, epochs: int, world_size: int = 1) -> None:
        self.out, self.epochs_done, self.epochs, self.world_size = out, epochs_done, epochs, world_size
        super().__init__(self.message)

    @property
    def resumable(self) -> bool:
        """Whether a saved epoch (``last.pt``) lets ``--resume`` continue."""
        return self.epochs_done > 0 or (self.out / "last.pt").exists()

    @property
    def progress(self) -> str:
        """How far the run got: "after epoch 3 of 12" or "before the first epoch ended"."""
        return f"after epoch {self.epochs_done} of {self.epochs}" if self.resumable else "before the first epoch ended"

    @property
    def message(self) -> str:
        """The one line Ctrl-C prints: where training stopped and how to continue."""
        # under torchrun the command to repeat is the launcher's (a process count of choice)
        command = ("m2t-interpret train" if self.world_size == 1
                   else f"torchrun --nproc-per-node {self.world_size} --no-python m2t-interpret train")
        if not self.resumable:
            return (f"interrupted: train stopped {self.progress}; nothing to resume — start again with: "
                    f"{command} --out {self.out} (and the same options)")
        return (f"interrupted: train stopped {self.progress}; the finished epochs are kept in {self.out}; "
                f"continue with: {command} --out {self.out} --resume")


def _is_run_dir(path: Path) -> bool:
    """Only run files (and this tool's temporary files) in ``path``: an earlier, unfinished run."""
    return all(p.name in RUN_FILES or p.name in (LEDGER, RUN_LOCK)
               or (p.name.startswith(".") and p.name.endswith((".tmp", ".old"))) for p in path.iterdir())


def run_folder(out: Path) -> OutputFolder:
    """The run folder's ledger: the files a run writes, recorded as it writes them (a run folder holds
    only run files, so those written before output ledgers existed are the run's own)."""
    return OutputFolder(out, "train", is_legacy=lambda p: p.name in RUN_FILES)


def read_run_state(path: Path) -> dict:
    """``last.pt`` of a run, checked: M2TError when it is empty, truncated, unsafe or not a training state."""
    try:
        state = load_checkpoint_file(path, what="training state")
    except M2TError as exc:
        raise M2TError(f"{str(exc).replace('; copy it again', '')}; it cannot be resumed (start a new run in "
                       "another folder)") from None
    keys = ("epoch", "config", "vocab", "model", "optimizer", "best_bleu4", "best_epoch", "log", "seconds")
    if not isinstance(state, Mapping) or state.get("format") != RUN_STATE:
        raise M2TError(f"{path} is not a training state written by m2t-interpret; it cannot be resumed "
                       "(start a new run in another folder)")
    missing = [k for k in keys if k not in state]
    if missing or not isinstance(state["config"], Mapping) or not isinstance(state["epoch"], int):
        raise M2TError(f"{path} is a damaged training state (missing {', '.join(missing) or 'config'}); it cannot "
                       "be resumed (start a new run in another folder)")
    return dict(state)


def check_run_dir(out: Path, resume: bool) -> dict | None:
    """Check ``--out`` before any work; returns the saved state with ``resume``.

    Without ``resume`` the folder must be absent, empty or an unfinished run without ``last.pt``;
    with ``resume`` it must hold a readable ``last.pt`` — otherwise there is nothing to resume."""
    if out.exists() and not out.is_dir():
        raise M2TError(f"--out {out} is a file; name a folder for the run")
    state_path = out / "last.pt"
    if resume:
        if not state_path.exists():
            if not out.exists():
                raise M2TError(f"nothing to resume: {out} does not exist; start a new run without --resume")
            if not any(out.iterdir()):
                raise M2TError(f"nothing to resume: {out} is empty; start a new run without --resume")
            raise M2TError(f"nothing to resume in {out}: no last.pt (the run stopped before its first epoch "
                           "ended, or this is not a run folder); start it without --resume")
        state = read_run_state(state_path)
        # last.pt is what --resume reads and carries forward (a state edited on purpose included), so it
        # may be replaced; the run's other files must be as the run wrote them
        run_folder(out).check([f for f in RUN_FILES if f != "last.pt"])
        return state
    if state_path.exists():
        raise M2TError(f"{out} already holds a run; pass --resume to continue it or choose another --out")
    if out.is_dir() and not _is_run_dir(out):
        names = sorted(p.name for p in out.iterdir() if p.name not in RUN_FILES)
        raise M2TError(f"--out {out} holds files that are not from an m2t-interpret run ({', '.join(names[:3])}"
                       f"{', …' if len(names) > 3 else ''}); choose a new folder")
    run_folder(out).check(RUN_FILES)
    return None


def train(config: TrainConfig, out_dir: str | os.PathLike, resume: bool = False, progress: bool = True,
          log: Callable[[str], None] = print, allow_skips: bool = False) -> TrainResult:
    """Train a captioner with guided attention; see the module docstring for the run directory.

    The run folder is checked first (:func:`check_run_dir`); what loading skipped is printed and
    written as ``skipped.json``, and a split losing more than 5 % stops unless ``allow_skips``
    (:func:`~m2t_interpret.training.data.check_skips`). Ctrl-C raises :class:`TrainingInterrupted`
    (a KeyboardInterrupt) saying how to resume.

    Under ``torchrun`` with several processes (``WORLD_SIZE`` > 1) this joins the process group
    (gloo on CPU, nccl on CUDA), trains with DistributedDataParallel and leaves the group at the end,
    also on errors; only rank 0 logs, shows progress and writes (``docs/distributed.md``)."""
    dist = init_distributed(config.device)
    try:
        if dist is not None and not dist.is_main:
            log, progress = _quiet, False
        device = dist.device if dist is not None else resolve_device(config.device)  # before anything is written
        out = Path(out_dir)
        state = check_run_dir(out, resume)  # reads only: every rank checks the same folder
        epochs_done = 0 if state is None else int(state["epoch"])
        run_lock = RunFolderLock(out)  # taken by rank 0 in _train, before its first write
        try:
            return _train(config, out, state, device, progress, log, allow_skips, dist, run_lock)
        except TrainingInterrupted:
            raise
        except KeyboardInterrupt:
            done = epochs_done
            if (out / "last.pt").exists():
                try:
                    done = int(read_run_state(out / "last.pt")["epoch"])
                except M2TError:
                    pass
            total = int(state["config"].get("epochs", config.epochs)) if state is not None else config.epochs
            raise TrainingInterrupted(out, done, total, 1 if dist is None else dist.world_size) from None
        finally:
            run_lock.release()
    finally:
        if dist is not None:
            dist.close()


def _quiet(message: str) -> None:
    """The log of ranks other than 0: they print nothing."""


def _train(config: TrainConfig, out: Path, state: dict | None, device, progress: bool, log, allow_skips: bool,
           dist: Distributed | None = None, run_lock: RunFolderLock | None = None) -> TrainResult:
    def on_main(fn: Callable[[], object]):
        """Writes (and validation) happen on rank 0; with several processes its outcome, or its
        error, reaches every rank."""
        return fn() if dist is None else dist.on_main(fn)

    state_path = out / "last.pt"
    if state is not None:
        config = config_from_mapping({**state["config"], "device": config.device})  # resume anywhere
        log(f"resuming {out} after epoch {state['epoch']} of {config.epochs}")
    if dist is not None and config.batch_size < dist.world_size:
        raise M2TError(f"batch_size {config.batch_size} is smaller than the {dist.world_size} processes; batch_size "
                       "is the global batch, split across processes: raise it or run fewer processes")
    if config.threads:
        torch.set_num_threads(int(config.threads))

    def prepare() -> Path:
        if run_lock is not None:
            run_lock.take()  # a second run into the folder fails here, on every rank
        return resolve_data(config.data, config.synthetic_seed, progress=progress, log=log)

    # rank 0 alone may generate the synthetic corpus; the others wait and read what it wrote
    root = on_main(prepare)
    skeleton, vocab, stats, train_split, val_split = load_prepared(root, config, progress=progress,
                                                                   allow_skips=allow_skips, log=log)
    if state is not None and list(state["vocab"]) != list(vocab.tokens):
        raise M2TError("the dataset's vocabulary differs from the saved run's; resume on the same data")
    if config.val_max_samples is not None:
        val_split = first_motions(val_split, config.val_max_samples)
    torch.manual_seed(config.seed)
    model_config = CaptionerConfig(
        vocab_size=len(vocab), embed_dim=config.embed_dim, hidden=config.hidden, attn_dim=config.attn_dim,
        skeleton=skeleton.name, dropout=config.dropout, downsample=skeleton.downsample,
        max_steps=config.max_decode_steps, time_basis=config.time_basis,
    )
    data_desc = (f"synthetic corpus, seed {config.synthetic_seed}" if config.data == "synthetic"
                 else f"dataset at {root}")
    model = Captioner(model_config, vocab=vocab.tokens, stats=stats,
                      metadata={"name": out.name, "config_name": config.name, "lambdas": list(config.lambdas),
                                METADATA_KEY: {**train_split.motion_corpus, "source": f"{data_desc}, train split"}})
    model.to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    rows: list[dict] = []
    start, best, best_epoch, elapsed = 0, -1.0, -1, 0.0
    if state is not None:
        try:
            model.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
        except (RuntimeError, ValueError, KeyError, TypeError) as exc:
            raise M2TError(f"{state_path} does not fit this run's model ({str(exc).splitlines()[0][:160]}); "
                           "it cannot be resumed") from None
        rows = [dict(r) for r in state["log"]]
        start, best, best_epoch, elapsed = state["epoch"], state["best_bleu4"], state["best_epoch"], state["seconds"]

    def write_start() -> None:
        if state is None:
            write_text(out / "config.toml", config.to_toml())
            vocab.save(out / "vocab.json")
        write_text(out / "skipped.json", json.dumps(train_split.skipped, indent=2) + "\n")
        run_folder(out).record(["config.toml", "vocab.json", "skipped.json"])

    on_main(write_start)
    n_pairs = len(train_split.pair_ids)
    log(f"{data_desc}: {len(train_split.motions)} train motions, {n_pairs} captions; "
        f"{len(val_split.motions)} val motions; vocabulary {len(vocab)}; skipped samples listed in "
        f"{out / 'skipped.json'}")
    ddp = None
    if dist is not None:
        log(f"data-parallel training on {dist.world_size} processes ({dist.backend}): each takes about "
            f"1/{dist.world_size} of every global batch of {config.batch_size}")
        # find_unused_parameters: the model holds a layer no computation uses (feat_extract_henc,
        # kept for the authors' checkpoints); its gradient stays None, as in one process.
        ddp = DistributedDataParallel(_TrainingDecode(model, config.teacher_forcing),
                                      device_ids=[device.index] if device.type == "cuda" else None,
                                      find_unused_parameters=True, **no_buffer_sync(DistributedDataParallel))
    if start >= config.epochs:
        log(f"the run in {out} already finished its {config.epochs} epochs; nothing to do")

    for epoch in range(start, config.epochs):
        t0 = time.perf_counter()
        lr = epoch_lr(config, epoch)
        for group in optimizer.param_groups:
            group["lr"] = lr
        coin_gen = None
        if dist is None:
            torch.manual_seed(config.seed * 100_003 + epoch)
        else:
            # Dropout masks differ between ranks as between the items of one batch; the teacher-
            # forcing coins come from a generator seeded as one process seeds its global RNG.
            torch.manual_seed(int(np.random.SeedSequence([config.seed, epoch, dist.rank]).generate_state(1)[0]))
            coin_gen = torch.Generator().manual_seed(config.seed * 100_003 + epoch)
        rng = np.random.default_rng([config.seed, epoch])
        model.train()
        sums = {"loss": 0.0, "lang": 0.0, **{k: 0.0 for k in LossTerms.TERMS}}
        batches = bucketed_batches(train_split, config.batch_size, rng, config.captions_per_motion)
        bar = tqdm(batches, desc=f"epoch {epoch + 1}/{config.epochs}", disable=not progress, leave=False)
        for pairs in bar:
            if ddp is None:
                batch = collate(train_split, pairs).to(device)
                terms = batch_loss(model, batch, config.lambdas, config.teacher_forcing,
                                   temporal_lambdas=config.temporal_lambdas, order_margin=config.order_margin)
                optimizer.zero_grad(set_to_none=True)
                terms.total.backward()
            else:
                optimizer.zero_grad(set_to_none=True)
                values = _distributed_backward(ddp, dist, train_split, pairs, config, device, coin_gen)
            torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
            optimizer.step()
            if ddp is None:
                floats = terms.as_floats()
                values = {"loss": floats["total"], **{k: floats[k] for k in ("lang", *LossTerms.TERMS)}}
            if not all(math.isfinite(v) for v in values.values()):
                bad = ", ".join(k for k, v in values.items() if not math.isfinite(v))
                raise M2TError(f"training diverged at epoch {epoch + 1}: non-finite loss ({bad}) with lr {lr:g}; "
                               "lower the learning rate (lr in the config)")
            for k, v in values.items():
                sums[k] += v * len(pairs)
            bar.set_postfix(loss=f"{values['loss']:.3f}")
        model.eval()
        # rank 0 validates and the others take its score, so every rank selects the same best epoch
        bleu = on_main(lambda: greedy_bleu4(model, val_split))
        seconds = time.perf_counter() - t0
        elapsed += seconds
        seen = sum(len(b) for b in batches)
        row = {"epoch": epoch + 1, **{k: v / seen for k, v in sums.items()}, "val_bleu4": bleu,
               "seconds": round(seconds, 2), "lr": lr}
        rows.append(row)
        improved = bleu > best
        if improved:
            best, best_epoch = bleu, epoch + 1

        def write_epoch() -> None:
            if improved:
                training = {
                    "data": data_desc, "data_root": str(root), "epochs": epoch + 1, "best_epoch": best_epoch,
                    "val_bleu4": bleu, "seed": config.seed, "lambdas": list(config.lambdas),
                    "temporal_lambdas": list(config.temporal_lambdas), "segments": config.segments,
                    "seconds": round(elapsed, 1), "config": config.to_dict(), "package_version": __version__,
                }
                if dist is not None:
                    training["processes"] = dist.world_size
                save_checkpoint(model, out / "model.pt", lambdas=config.lambdas, training=training)
            temporal = "".join(f", {k} {row[k]:.4f}" for k, lam in zip(("order", "segment"), config.temporal_lambdas)
                               if lam)
            log(f"epoch {epoch + 1}/{config.epochs}: loss {row['loss']:.4f} (lang {row['lang']:.4f}, spat "
                f"{row['spat']:.4f}, adapt {row['adapt']:.4f}{temporal}), val BLEU-4 {bleu:.4f}"
                f"{' *' if improved else ''}, {seconds:.1f} s")
            run_state = {
                "format": RUN_STATE, "epoch": epoch + 1, "config": config.to_dict(), "vocab": list(vocab.tokens),
                "model": model.state_dict(), "optimizer": optimizer.state_dict(), "best_bleu4": best,
                "best_epoch": best_epoch, "log": rows, "seconds": elapsed,
            }
            with atomic_path(state_path) as tmp:
                torch.save(run_state, tmp)
            _write_log(out / "log.csv", rows)
            plot_curves(rows, out / "curves.png")
            run_folder(out).record(["model.pt", "last.pt", "log.csv", "curves.png"] if improved
                                   else ["last.pt", "log.csv", "curves.png"])

        on_main(write_epoch)
    return TrainResult(out, best, best_epoch, len(rows), elapsed, out / "model.pt",
                       1 if dist is None else dist.world_size)
