"""Assembling the decoded chunks of a split into one capture, in split order.

Chunks are decoded in length order, so each chunk's clips land at scattered rows of the result.
:class:`SplitAssembler` writes every chunk straight into preallocated arrays (no concatenation
copies). Given a folder, the arrays with a frame or vocabulary axis — α, γ, Γ, logits and
recorded hidden states, nearly all of a capture's bytes — go instead straight into that folder's
``.npy`` files, row by row, so a whole split is captured with the memory of one chunk.
"""

from __future__ import annotations

import ctypes
import functools
import os
from dataclasses import replace
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from ..errors import M2TError
from ..result import ARRAY_DIR, FRAME_ARRAYS, STEP_ARRAYS, CaptureResult, pad_value


def release_freed_memory() -> None:
    """Hand memory freed by the last chunk back to the system (glibc only; a no-op elsewhere).

    Chunks of a length-sorted split grow from one to the next, and glibc's allocator keeps the
    freed blocks of each in its heap instead of unmapping them, so without this the resident
    memory of a whole-split capture creeps up by tens of MB per chunk.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.lru_cache(maxsize=None)
def _malloc_trim():
    try:

        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


def _streamed(name: str, a: np.ndarray) -> bool:
    """Arrays worth streaming to disk: those with a frame, vocabulary or hidden axis (padding 0)."""
    return name in FRAME_ARRAYS or name == "logits" or (name.startswith("extra.") and a.ndim >= 3)


def _pwrite_all(fd: int, data: bytes, offset: int) -> None:
    """``os.pwrite`` until every byte is written (a write may be partial)."""
    view = memoryview(data)
    while view:
        n = os.pwrite(fd, view, offset)
        view, offset = view[n:], offset + n


class _RowFile:
    """A ``.npy`` file of shape (N, S, …) written one clip row at a time with ``os.pwrite``.

    The file starts sparse (all zeros, which is every streamed array's padding) and only the
    decoded steps of each row are written; the page cache holds the data, not the process.
    """

    def __init__(self, path: Path, shape: tuple[int, ...], dtype: np.dtype):
        self.path, self.shape, self.dtype = path, shape, np.dtype(dtype)
        mm = np.lib.format.open_memmap(path, mode="w+", dtype=self.dtype, shape=shape)  # header, sparse body
        self.offset = mm.offset
        del mm
        self.step_bytes = int(np.prod(shape[2:], dtype=np.int64)) * self.dtype.itemsize
        self.row_bytes = shape[1] * self.step_bytes
        self.fd = os.open(path, os.O_RDWR)

    def write(self, rows: Sequence[int], a: np.ndarray, frame_axis: bool) -> None:
        """Chunk ``a`` (len(rows), s, …) → rows ``rows``, steps 0..s−1 (frames padded with 0)."""
        block = a
        if frame_axis and a.shape[2] != self.shape[2]:
            block = np.zeros((a.shape[0], a.shape[1], *self.shape[2:]), self.dtype)
            block[:, :, : a.shape[2]] = a
        block = np.ascontiguousarray(block, dtype=self.dtype)
        for j, r in enumerate(rows):
            _pwrite_all(self.fd, block[j].tobytes(), self.offset + int(r) * self.row_bytes)

    def close(self, steps: int | None = None) -> None:
        """Keep only the first ``steps`` steps of every row (rewriting the file when fewer than
        allocated were decoded), then close. Without ``steps`` (an abandoned capture) just close."""
        if self.fd < 0:
            return
        try:
            if steps is not None and steps < self.shape[1]:
                self._compact(steps)
        finally:
            os.close(self.fd)
            self.fd = -1

    def _compact(self, steps: int) -> None:
        new_shape = (self.shape[0], steps, *self.shape[2:])
        tmp = self.path.with_name(self.path.name + ".part")
        mm = np.lib.format.open_memmap(tmp, mode="w+", dtype=self.dtype, shape=new_shape)
        new_offset, keep = mm.offset, steps * self.step_bytes
        del mm
        out = os.open(tmp, os.O_RDWR)
        try:
            for r in range(self.shape[0]):  # each row's first `steps` steps are contiguous in the old file
                data = os.pread(self.fd, keep, self.offset + r * self.row_bytes)
                if len(data) != keep:
                    raise OSError(f"short read from {self.path}")
                _pwrite_all(out, data, new_offset + r * keep)
        finally:
            os.close(out)
        os.replace(tmp, self.path)


class SplitAssembler:
    """Collects decoded chunks (each a :class:`CaptureResult` of some clips) at their rows.

    In memory by default; with ``folder``, large arrays are streamed into ``folder/arrays`` and
    the token table is built chunk by chunk (see :meth:`table`). The result equals
    ``CaptureResult.concat`` of the chunks put in split order, bit for bit.
    """

    def __init__(self, n: int, steps: int, frames: int, folder: str | os.PathLike | None = None):
        self.n, self.steps, self.frames = n, steps, frames
        self.folder = None if folder is None else Path(folder)
        self.arrays: dict[str, np.ndarray] = {}
        self.files: dict[str, _RowFile] = {}
        self.lengths = np.zeros(n, dtype=np.int64)
        self.scores: np.ndarray | None = None
        self.n_best: list | None = None
        self.references: list = [None] * n
        self.tables: list[pd.DataFrame] = []
        self.motion: list[pd.DataFrame | None] = []  # each chunk's clip motion table, its rows in "row"
        self.used_steps = 0
        self.template: CaptureResult | None = None

    def _shape(self, name: str, a: np.ndarray) -> tuple[int, ...]:
        tail = ([self.frames] + list(a.shape[3:])) if name in FRAME_ARRAYS else list(a.shape[2:])
        return (self.n, self.steps, *tail)

    def _alloc(self, name: str, a: np.ndarray) -> None:
        shape = self._shape(name, a)
        if self.folder is not None and _streamed(name, a):
            (self.folder / ARRAY_DIR).mkdir(exist_ok=True)
            self.files[name] = _RowFile(self.folder / ARRAY_DIR / f"{name}.npy", shape, a.dtype)
            return
        fill = pad_value(name, a)
        if fill is False or (not isinstance(fill, float) and fill == 0):
            self.arrays[name] = np.zeros(shape, a.dtype)  # calloc: pages never written cost no memory
        else:
            self.arrays[name] = np.full(shape, fill, a.dtype)

    @staticmethod
    def _chunk_arrays(part: CaptureResult) -> dict[str, np.ndarray]:
        out = {k: getattr(part, k) for k in STEP_ARRAYS if getattr(part, k) is not None}
        out.update({f"extra.{k}": v for k, v in part.extra.items()})
        return out

    def add(self, part: CaptureResult, rows: list[int]) -> None:
        """Put chunk ``part`` (clips in the order of ``rows``) at result rows ``rows``."""
        arrays = self._chunk_arrays(part)
        if self.template is None:
            self.template = part
            for k, a in arrays.items():
                self._alloc(k, a)
            if part.scores is not None:
                self.scores = np.zeros(self.n, dtype=part.scores.dtype)
            if part.n_best is not None:
                self.n_best = [None] * self.n
        elif part.model_fingerprint != self.template.model_fingerprint:
            raise M2TError("cannot merge captures of different models (model fingerprints differ)")
        s = part.tokens.shape[1]
        if s > self.steps:
            raise M2TError(f"a chunk decoded {s} steps, more than the {self.steps} allocated")
        self.used_steps = max(self.used_steps, s)
        for k, a in arrays.items():
            frame_axis = k in FRAME_ARRAYS
            if k in self.files:
                self.files[k].write(rows, a, frame_axis)
            elif frame_axis:
                self.arrays[k][rows, :s, : a.shape[2]] = a
            else:
                self.arrays[k][rows, :s] = a
        self.lengths[rows] = part.lengths
        if self.scores is not None:
            self.scores[rows] = part.scores
        self.motion.append(None if part.clip_motion is None else part.clip_motion.assign(row=rows))
        for i, r in enumerate(rows):
            if self.n_best is not None:
                self.n_best[r] = part.n_best[i]
            self.references[r] = None if part.references is None else part.references[i]
        if self.folder is not None:
            table = part.to_dataframe()
            table["clip"] = np.asarray(rows, dtype=np.int64)[table["clip"].to_numpy()]
            self.tables.append(table)
            release_freed_memory()

    def close(self) -> None:
        """Release the open files (after an error; :meth:`result` closes them otherwise)."""
        for f in self.files.values():
            f.close()

    @property
    def streamed(self) -> list[str]:
        """Array files already written into the folder."""
        return list(self.files)

    def table(self) -> pd.DataFrame:
        """The token table of the assembled result (streaming mode), equal to its ``to_dataframe()``."""
        table = pd.concat(self.tables, ignore_index=True)
        return table.sort_values(["clip", "step"], kind="stable").reset_index(drop=True)

    def result(self, clip_ids: list[str]) -> CaptureResult:
        """The assembled capture (streamed arrays memory-mapped from their files)."""
        if self.template is None:
            raise M2TError("nothing was decoded")
        s = self.used_steps
        for f in self.files.values():
            f.close(s)
        arrays = {k: v[:, :s] for k, v in self.arrays.items()}
        arrays.update({k: np.load(f.path, mmap_mode="r") for k, f in self.files.items()})
        extra = {k[len("extra."):]: arrays.pop(k) for k in list(arrays) if k.startswith("extra.")}
        return replace(
            self.template, clip_ids=list(clip_ids), lengths=self.lengths, extra=extra, scores=self.scores,
            n_best=self.n_best, references=self.references if self.template.references is not None else None,
            meta=dict(self.template.meta), clip_motion=self.clip_motion(), **arrays,
        )

    def clip_motion(self) -> pd.DataFrame | None:
        """The chunks' clip motion tables in row order (None when a chunk had none)."""
        if not self.motion or any(t is None for t in self.motion):
            return None
        table = pd.concat(self.motion, ignore_index=True).sort_values("row", kind="stable")
        return table.drop(columns="row").reset_index(drop=True)


__all__ = ["SplitAssembler"]
