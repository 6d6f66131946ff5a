"""Data-parallel training under ``torchrun``: process-group set-up, ranks, agreement between ranks.

``torchrun --nproc-per-node N m2t-interpret train …`` sets ``WORLD_SIZE``, ``RANK`` and ``LOCAL_RANK``;
with ``WORLD_SIZE`` > 1 the trainer joins a process group (gloo on CPU, nccl on CUDA, where each
process takes ``cuda:LOCAL_RANK``) and wraps the model in :class:`~torch.nn.parallel.DistributedDataParallel`.
Without those variables (or with one process) nothing here is used. See ``docs/distributed.md``.
"""

from __future__ import annotations

import inspect
import itertools
import os
from dataclasses import dataclass
from typing import Any, Callable, TypeVar

import torch
import torch.distributed as dist

from ..errors import M2TError

T = TypeVar("T")

_GROUP_IDS = itertools.count()  # process groups this process created (every rank counts alike)


def _env_int(name: str) -> int:
    value = os.environ.get(name)
    if value is None:
        raise M2TError(f"WORLD_SIZE is set but {name} is not; launch distributed training with torchrun "
                       "(torchrun --nproc-per-node N m2t-interpret train …)")
    try:
        return int(value)
    except ValueError:
        raise M2TError(f"environment variable {name} must be a whole number, got {value!r}") from None


def world_from_env() -> tuple[int, int, int]:
    """(rank, local rank, world size) that torchrun set; (0, 0, 1) without torchrun."""
    if os.environ.get("WORLD_SIZE") is None:
        return 0, 0, 1
    rank, local_rank, world = (_env_int(n) for n in ("RANK", "LOCAL_RANK", "WORLD_SIZE"))
    if world < 1 or not 0 <= rank < world or local_rank < 0:
        raise M2TError(f"inconsistent torchrun environment: RANK {rank}, LOCAL_RANK {local_rank}, "
                       f"WORLD_SIZE {world}")
    return rank, local_rank, world


def is_main_process() -> bool:
    """True without torchrun and on rank 0: the process that prints and writes. Reads only the
    environment, so it also answers before the process group exists and after it is gone."""
    rank = os.environ.get("RANK", "0")
    return not rank.strip().isdigit() or int(rank) == 0


@dataclass
class Distributed:
    """This process's place in a data-parallel run."""

    rank: int
    local_rank: int
    world_size: int
    backend: str  # "gloo" or "nccl"
    device: torch.device  # where this process trains
    owns_group: bool  # the trainer created the process group (and destroys it)

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def comm_device(self) -> torch.device:
        """Where tensors for collectives live: nccl only reduces CUDA tensors, gloo CPU ones here."""
        return self.device if self.backend == "nccl" else torch.device("cpu")

    def all_reduce_sum(self, values: torch.Tensor) -> torch.Tensor:
        """Element-wise sum over ranks of a small tensor (returned on ``values``' device)."""
        buf = values.to(self.comm_device, copy=True)
        dist.all_reduce(buf, op=dist.ReduceOp.SUM)
        return buf.to(values.device)

    def on_main(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` on rank 0 only and give every rank its result. When it fails on rank 0, rank 0
        re-raises and every other rank raises an M2TError with the same message, so no rank is left
        waiting in a collective."""
        payload: list[Any] = [None, None]
        failure: BaseException | None = None
        if self.is_main:
            try:
                payload[0] = fn()
            except Exception as exc:  # noqa: BLE001 - re-raised below after telling the other ranks
                failure = exc
                payload[1] = str(exc) if isinstance(exc, M2TError) else f"rank 0 failed: {type(exc).__name__}: {exc}"
        dist.broadcast_object_list(payload, src=0, device=self.comm_device)
        if failure is not None:
            raise failure
        if payload[1] is not None:
            raise M2TError(payload[1])
        return payload[0]

    def close(self) -> None:
        """Destroy the process group if the trainer created it (also after an error)."""
        if self.owns_group and dist.is_available() and dist.is_initialized():
            dist.destroy_process_group()
            self.owns_group = False


def _accepts(fn: Callable, name: str) -> bool:
    try:
        return name in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def no_buffer_sync(ddp_class: type) -> dict[str, bool]:
    """DDP keyword that skips re-broadcasting buffers before every forward: the model's buffers are
    constant index tables. Newer PyTorch renamed ``broadcast_buffers`` (now deprecated)."""
    name = "forward_sync_buffers" if _accepts(ddp_class.__init__, "forward_sync_buffers") else "broadcast_buffers"
    return {name: False}


def init_distributed(device: str) -> Distributed | None:
    """Join the process group that torchrun describes, or None without torchrun / with one process.

    ``device`` is the config's: ``cpu`` trains with gloo; ``cuda`` with nccl on ``cuda:LOCAL_RANK``
    (a fixed ``cuda:K`` would put every process on one GPU, so it is refused). A process group the
    caller already created is used as it is and left for the caller to destroy."""
    rank, local_rank, world = world_from_env()
    if world == 1:
        return None
    if not dist.is_available():
        raise M2TError("this PyTorch build has no torch.distributed; train with one process (without torchrun)")
    spec = str(device).strip().lower()
    if spec == "cpu":
        backend, dev = "gloo", torch.device("cpu")
    elif spec == "cuda":
        if not torch.cuda.is_available():
            raise M2TError("device 'cuda' requested but CUDA is not available; use --device cpu")
        if local_rank >= torch.cuda.device_count():
            raise M2TError(f"LOCAL_RANK {local_rank} has no GPU: {torch.cuda.device_count()} visible; run at most "
                           "that many processes per node")
        backend, dev = "nccl", torch.device("cuda", local_rank)
        torch.cuda.set_device(dev)
    elif spec.startswith("cuda:"):
        raise M2TError(f"under torchrun give device cuda (each process takes cuda:LOCAL_RANK), not {device}")
    else:
        raise M2TError(f"distributed training runs on cpu (gloo) or cuda (nccl), not device {device!r}")
    owns = not dist.is_initialized()
    if owns:
        try:
            # device_id binds nccl to this process's GPU at once (PyTorch ≥ 2.3)
            extra = {"device_id": dev} if backend == "nccl" and _accepts(dist.init_process_group, "device_id") else {}
            store, _, _ = next(dist.rendezvous("env://"))
            # A fresh key prefix per group: a process that trains again (train() called twice) must not find the
            # previous group's addresses, still in torchrun's store, and connect to closed sockets.
            store = dist.PrefixStore(f"m2t-interpret/{next(_GROUP_IDS)}", store)
            dist.init_process_group(backend=backend, store=store, rank=rank, world_size=world, **extra)
        except (ValueError, RuntimeError) as exc:  # e.g. WORLD_SIZE set by hand without MASTER_ADDR
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
            raise M2TError(f"cannot join the {backend} process group of rank {rank} of {world}: {first}; "
                           "launch with torchrun") from None
    elif dist.get_world_size() != world or dist.get_rank() != rank:
        raise M2TError(f"the existing process group (rank {dist.get_rank()} of {dist.get_world_size()}) does not "
                       f"match RANK {rank} of WORLD_SIZE {world}")
    return Distributed(rank, local_rank, world, str(dist.get_backend()), dev, owns)
