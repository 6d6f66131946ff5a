"""BVH motion files: read, write, forward kinematics.

A BVH file has a HIERARCHY section (joints, each with an OFFSET from its parent and a list of
CHANNELS, plus End Sites that mark the tips of end bones) and a MOTION section (frame count, frame
time, then one line per frame holding every joint's channel values in hierarchy order).

Conventions this reader follows (those of the common exporters and readers):

* a joint's rotation channels compose in the order they are listed, as intrinsic rotations: the
  channels ``Zrotation Xrotation Yrotation`` give the local rotation ``Rz · Rx · Ry``; angles in
  degrees;
* a joint's position channels, when it has them, give its translation from its parent in place of
  its OFFSET (so the root's ``Xposition Yposition Zposition`` is its position in the world);
* world transforms compose down the tree: ``G[j] = G[parent] · L[j]`` and
  ``p[j] = p[parent] + G[parent] · t[j]`` with ``t[j]`` the OFFSET (or the position channels).

Every problem with a file is an :class:`~m2t_interpret.errors.M2TError` with one line naming the
file, the line and what to do.
"""

from __future__ import annotations

import io
import math
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np

from ..errors import M2TError, M2TWarning
from ..io import read_input_bytes, write_text
from .rotations import axis_quaternions, quat_multiply, quat_to_matrix

ROTATION_CHANNELS = ("Xrotation", "Yrotation", "Zrotation")
POSITION_CHANNELS = ("Xposition", "Yposition", "Zposition")
_CHANNEL_CASE = {c.lower(): c for c in ROTATION_CHANNELS + POSITION_CHANNELS}
#: Suffix naming a joint's End Site in joint references (``"LeftFoot/end"``).
END_SUFFIX = "/end"
_FIX = "re-export it from your animation tool"


@dataclass(frozen=True)
class BvhMotion:
    """One BVH file in memory.

    ``names``/``parents``/``offsets``/``channels`` describe the joints in file order (the root
    first, every parent before its children); ``end_parents``/``end_offsets`` the End Sites;
    ``values`` (F, C) holds the channel values of every frame, the columns of joint ``j`` at
    ``channel_start[j]`` onwards, in the order of ``channels[j]``.
    """

    names: tuple[str, ...]
    parents: tuple[int, ...]
    offsets: np.ndarray  # (J, 3)
    channels: tuple[tuple[str, ...], ...]
    end_parents: tuple[int, ...]
    end_offsets: np.ndarray  # (E, 3)
    frame_time: float
    values: np.ndarray  # (F, C) float64
    source: str = "BVH"

    @property
    def n_joints(self) -> int:
        return len(self.names)

    @property
    def n_frames(self) -> int:
        return int(self.values.shape[0])

    @property
    def n_channels(self) -> int:
        return sum(len(c) for c in self.channels)

    @property
    def fps(self) -> float:
        return 1.0 / self.frame_time

    @property
    def duration(self) -> float:
        """Seconds from the first frame to the last."""
        return (self.n_frames - 1) * self.frame_time

    @property
    def channel_start(self) -> tuple[int, ...]:
        starts, k = [], 0
        for ch in self.channels:
            starts.append(k)
            k += len(ch)
        return tuple(starts)

    def joint_index(self, name: str) -> int:
        return self.names.index(name)

    def children(self, j: int) -> list[int]:
        return [c for c, p in enumerate(self.parents) if p == j]

    def ends_of(self, j: int) -> list[int]:
        """End Sites hanging from joint ``j`` (indices into ``end_parents``)."""
        return [e for e, p in enumerate(self.end_parents) if p == j]


# ------------------------------------------------------------------------------------------------
# reading
# ------------------------------------------------------------------------------------------------


def read_bvh(path: str | Path) -> BvhMotion:
    """Read a BVH file; M2TError names the problem (missing, a folder, not text, a broken hierarchy,
    a bad frame line, zero frames, a frame time of 0)."""
    p = Path(path)
    data = read_input_bytes(p, "BVH file", "a .bvh file")
    if not data.strip():
        raise M2TError(f"{p} is empty: a BVH file starts with HIERARCHY")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("latin-1")  # old exporters write joint names in Latin-1
        except UnicodeDecodeError:  # pragma: no cover - latin-1 decodes every byte
            raise M2TError(f"{p} is not a text file; a BVH file is plain text") from None
    if "\x00" in text:
        raise M2TError(f"{p} is not a text file (it holds NUL bytes); a BVH file is plain text")
    return parse_bvh(text, name=p.name)


class _Lines:
    """The non-empty lines of the hierarchy, with their 1-based line numbers."""

    def __init__(self, lines: list[str], name: str, section: str = "HIERARCHY"):
        self.items = [(i + 1, ln.split()) for i, ln in enumerate(lines) if ln.strip()]
        self.pos = 0
        self.name = name
        self.section = section

    def next(self, expecting: str) -> tuple[int, list[str]]:
        if self.pos >= len(self.items):
            raise M2TError(f"{self.name}: the file ends where {expecting} was expected; the {self.section} "
                           f"section is broken: {_FIX}")
        item = self.items[self.pos]
        self.pos += 1
        return item

    def error(self, line: int, what: str) -> M2TError:
        return M2TError(f"{self.name} line {line}: {what}; the {self.section} section is broken: {_FIX}")


def _numbers(lines: _Lines, line: int, words: list[str], n: int, what: str) -> list[float]:
    if len(words) != n:
        raise lines.error(line, f"{what} needs {n} numbers, found {len(words)}")
    try:
        vals = [float(w) for w in words]
    except ValueError:
        raise lines.error(line, f"{what} holds a value that is not a number ({' '.join(words)})") from None
    if not all(math.isfinite(v) for v in vals):
        raise lines.error(line, f"{what} holds a value that is not finite ({' '.join(words)})")
    return vals


def _parse_hierarchy(lines: _Lines) -> dict:
    """Joints and End Sites from the HIERARCHY section (ends at the MOTION line)."""
    names: list[str] = []
    parents: list[int] = []
    offsets: list[list[float]] = []
    channels: list[tuple[str, ...]] = []
    end_parents: list[int] = []
    end_offsets: list[list[float]] = []
    line, words = lines.next("HIERARCHY")
    if words != ["HIERARCHY"]:
        raise M2TError(f"{lines.name} does not start with HIERARCHY: it is not a BVH file")
    line, words = lines.next("ROOT")
    if not words or words[0] != "ROOT":
        raise lines.error(line, f"expected ROOT, found {' '.join(words)!r}")
    stack: list[int] = []  # open joints (-1 marks an open End Site)

    def open_block(line: int, words: list[str], kind: str) -> str:
        name = " ".join(w for w in words[1:] if w != "{") if kind != "End Site" else "End Site"
        if not name:
            raise lines.error(line, f"{words[0]} without a name")
        if words[-1] != "{":
            ln, w = lines.next(f"'{{' after {kind} {name}")
            if w != ["{"]:
                raise lines.error(ln, f"expected '{{' after {kind} {name}, found {' '.join(w)!r}")
        return name

    def read_offset(what: str) -> list[float]:
        ln, w = lines.next(f"OFFSET of {what}")
        if not w or w[0] != "OFFSET":
            raise lines.error(ln, f"expected OFFSET of {what}, found {' '.join(w)!r}")
        return _numbers(lines, ln, w[1:], 3, f"OFFSET of {what}")

    def start_joint(line: int, words: list[str], kind: str) -> None:
        name = open_block(line, words, kind)
        if name in names:
            raise lines.error(line, f"joint name {name!r} appears twice")
        names.append(name)
        parents.append(stack[-1] if stack else -1)
        offsets.append(read_offset(name))
        ln, w = lines.next(f"CHANNELS of {name}")
        if not w or w[0] != "CHANNELS":
            raise lines.error(ln, f"expected CHANNELS of {name}, found {' '.join(w)!r}")
        try:
            count = int(w[1]) if len(w) > 1 else -1
        except ValueError:
            count = -1
        if count < 0 or count != len(w) - 2:
            raise lines.error(ln, f"CHANNELS of {name} says {w[1] if len(w) > 1 else 'nothing'} "
                                  f"but lists {max(len(w) - 2, 0)} channels")
        chans = []
        for c in w[2:]:
            if c.lower() not in _CHANNEL_CASE:
                raise lines.error(ln, f"unknown channel {c!r} of {name} (expected X/Y/Z position or rotation)")
            chans.append(_CHANNEL_CASE[c.lower()])
        if len(set(chans)) != len(chans):
            raise lines.error(ln, f"CHANNELS of {name} lists a channel twice")
        channels.append(tuple(chans))
        stack.append(len(names) - 1)

    start_joint(line, words, "ROOT")
    while stack:
        line, words = lines.next("'}' closing joint " + names[stack[-1]] if stack[-1] >= 0 else "'}'")
        key = words[0]
        if key == "JOINT":
            if stack[-1] < 0:
                raise lines.error(line, "a JOINT inside an End Site")
            start_joint(line, words, "JOINT")
        elif key == "End" and len(words) >= 2 and words[1] == "Site":
            if stack[-1] < 0:
                raise lines.error(line, "an End Site inside an End Site")
            open_block(line, words, "End Site")
            end_parents.append(stack[-1])
            end_offsets.append(read_offset(f"the End Site of {names[stack[-1]]}"))
            stack.append(-1)
        elif words == ["}"]:
            stack.pop()
        elif key == "ROOT":
            raise lines.error(line, "a second ROOT (only one skeleton per file is supported)")
        else:
            what = "an End Site" if stack[-1] < 0 else f"joint {names[stack[-1]]}"
            raise lines.error(line, f"unexpected {' '.join(words)!r} inside {what}")
    return {"names": tuple(names), "parents": tuple(parents), "offsets": np.array(offsets, dtype=np.float64),
            "channels": tuple(channels), "end_parents": tuple(end_parents),
            "end_offsets": np.array(end_offsets, dtype=np.float64).reshape(-1, 3)}


def _motion_header(lines: _Lines) -> tuple[int, float]:
    """``MOTION``, ``Frames: N``, ``Frame Time: dt`` → (N, dt)."""
    lines.next("MOTION")
    name = lines.name
    line, words = lines.next("Frames:")
    if len(words) != 2 or words[0] != "Frames:":
        raise M2TError(f"{name} line {line}: expected 'Frames: N' after MOTION; {_FIX}")
    try:
        n = int(words[1])
    except ValueError:
        raise M2TError(f"{name} line {line}: the frame count {words[1]!r} is not a whole number; {_FIX}") from None
    if n <= 0:
        raise M2TError(f"{name} has {n} frames: there is no motion to import; export at least one frame")
    line, words = lines.next("Frame Time:")
    if len(words) != 3 or words[:2] != ["Frame", "Time:"]:
        raise M2TError(f"{name} line {line}: expected 'Frame Time: SECONDS' after the frame count; {_FIX}")
    try:
        dt = float(words[2])
    except ValueError:
        raise M2TError(f"{name} line {line}: the frame time {words[2]!r} is not a number; {_FIX}") from None
    if not math.isfinite(dt) or dt <= 0:
        raise M2TError(f"{name} line {line}: frame time {words[2]} s; it must be positive (1/30 s is "
                       f"0.0333333 for 30 fps): fix the 'Frame Time:' line")
    return n, dt


def _frame_values(data: str, first_line: int, n_channels: int, n_frames: int, name: str) -> np.ndarray:
    """The frame lines (``data``, starting at line ``first_line``) as an (F, C) array; one line naming
    the first bad frame line otherwise. Blank lines are skipped."""
    try:
        values = np.loadtxt(io.StringIO(data), dtype=np.float64, comments=None, ndmin=2)
        readable = values.shape[1] == n_channels or values.shape[0] == 0
    except ValueError:
        values, readable = None, False
    if readable and values.shape[0] >= n_frames and np.isfinite(values[:n_frames]).all():
        if values.shape[0] > n_frames:
            warnings.warn(f"{name} declares {n_frames} frames but holds {values.shape[0]} frame lines; "
                          f"reading the first {n_frames}", M2TWarning, stacklevel=4)
        return values[:n_frames]
    body = [(first_line + i, r) for i, r in enumerate(data.splitlines()) if r.strip()]
    for k, (line, row) in enumerate(body[:n_frames]):  # find the first bad line (only on the error path)
        words = row.split()
        where = f"{name} line {line} (frame {k})"
        if len(words) != n_channels:
            raise M2TError(f"{where} has {len(words)} values but the hierarchy declares {n_channels} channels; "
                           f"the file is damaged or its hierarchy belongs to another skeleton: {_FIX}")
        for w in words:
            try:
                v = float(w)
            except ValueError:
                raise M2TError(f"{where}: {w[:20]!r} is not a number; {_FIX}") from None
            if not math.isfinite(v):
                raise M2TError(f"{where}: {w!r} is not a finite number; {_FIX}")
    if len(body) < n_frames:
        raise M2TError(f"{name} declares {n_frames} frames but holds {len(body)} frame lines: the file is "
                       f"truncated; {_FIX}")
    raise M2TError(f"{name}: a frame line after frame {n_frames - 1} is damaged; {_FIX}")


def parse_bvh(text: str, name: str = "BVH") -> BvhMotion:
    """Parse the text of a BVH file (see :func:`read_bvh`); ``name`` labels error messages."""
    found = re.search(r"^[ \t]*MOTION[ \t]*\r?$", text, flags=re.MULTILINE)
    head = (text if found is None else text[:found.start()]).splitlines()
    lines = _Lines(head, name)
    hier = _parse_hierarchy(lines)
    if lines.pos < len(lines.items):
        line, words = lines.items[lines.pos]
        raise lines.error(line, f"{' '.join(words)!r} after the root joint is closed")
    if found is None:
        raise M2TError(f"{name} has no MOTION section after its hierarchy: the file is truncated; {_FIX}")
    # the three header lines (MOTION, Frames:, Frame Time:), blank lines allowed between them
    pos, line_no, header = found.start(), len(head), []
    while len(header) < 3 and pos < len(text):
        end = text.find("\n", pos)
        end = len(text) if end < 0 else end + 1
        line_no += 1
        if text[pos:end].strip():
            header.append((line_no, text[pos:end].split()))
        pos = end
    tail = _Lines([], name, section="MOTION")
    tail.items = header
    n_frames, dt = _motion_header(tail)
    n_channels = sum(len(c) for c in hier["channels"])
    if n_channels == 0:
        raise M2TError(f"{name}: no joint has CHANNELS, so the file holds no motion; {_FIX}")
    values = _frame_values(text[pos:], line_no + 1, n_channels, n_frames, name)
    return BvhMotion(frame_time=dt, values=values, source=name, **hier)


# ------------------------------------------------------------------------------------------------
# writing
# ------------------------------------------------------------------------------------------------


def format_bvh(motion: BvhMotion, decimals: int = 6) -> str:
    """The BVH text of ``motion`` (tab-indented hierarchy, one frame per line)."""
    out = ["HIERARCHY"]
    fmt = f"{{:.{decimals}f}}"

    def vec(v) -> str:
        return " ".join(fmt.format(float(x)) for x in v)

    def joint(j: int, depth: int) -> None:
        tab = "\t" * depth
        out.append(f"{tab}{'ROOT' if motion.parents[j] < 0 else 'JOINT'} {motion.names[j]}")
        out.append(tab + "{")
        out.append(f"{tab}\tOFFSET {vec(motion.offsets[j])}")
        out.append(f"{tab}\tCHANNELS {len(motion.channels[j])} {' '.join(motion.channels[j])}".rstrip())
        for e in motion.ends_of(j):
            out.extend([f"{tab}\tEnd Site", f"{tab}\t{{", f"{tab}\t\tOFFSET {vec(motion.end_offsets[e])}",
                        f"{tab}\t}}"])
        for c in motion.children(j):
            joint(c, depth + 1)
        out.append(tab + "}")

    joint(0, 0)
    out += ["MOTION", f"Frames: {motion.n_frames}", f"Frame Time: {motion.frame_time:.8g}"]
    buf = io.StringIO()
    np.savetxt(buf, motion.values, fmt=f"%.{decimals}f", delimiter=" ")
    return "\n".join(out) + "\n" + buf.getvalue()


def write_bvh(motion: BvhMotion, path: str | Path, decimals: int = 6) -> Path:
    """Write ``motion`` as a BVH file (atomically: a temporary file, then renamed)."""
    return write_text(path, format_bvh(motion, decimals))


# ------------------------------------------------------------------------------------------------
# channels → transforms → forward kinematics
# ------------------------------------------------------------------------------------------------


def local_transforms(motion: BvhMotion) -> tuple[np.ndarray, np.ndarray]:
    """Per frame, each joint's local rotation (F, J, 4) quaternions and translation (F, J, 3).

    The translation is the joint's OFFSET, replaced axis by axis by its position channels."""
    F, J = motion.n_frames, motion.n_joints
    quats = np.zeros((F, J, 4))
    quats[..., 0] = 1.0
    trans = np.broadcast_to(motion.offsets, (F, J, 3)).copy()
    for j, (start, chans) in enumerate(zip(motion.channel_start, motion.channels)):
        q = None
        for k, ch in enumerate(chans):
            col = motion.values[:, start + k]
            if ch in POSITION_CHANNELS:
                trans[:, j, POSITION_CHANNELS.index(ch)] = col
            else:
                r = axis_quaternions(ch[0], np.radians(col))
                q = r if q is None else quat_multiply(q, r)
        if q is not None:
            quats[:, j] = q
    return quats, trans


def forward_kinematics_local(parents: tuple[int, ...], quats: np.ndarray, trans: np.ndarray
                             ) -> tuple[np.ndarray, np.ndarray]:
    """World positions (F, J, 3) and rotations (F, J, 3, 3) from local rotations and translations.

    ``parents[j] < j`` (file order); a root's translation is its world position. One batched
    product per joint over all frames, on joint-major arrays so every slice is contiguous."""
    local = quat_to_matrix(np.ascontiguousarray(np.swapaxes(quats, 0, 1)))  # (J, F, 3, 3)
    t = np.ascontiguousarray(np.swapaxes(trans, 0, 1))[..., None]  # (J, F, 3, 1)
    rot = np.empty_like(local)
    pos = np.empty(t.shape[:-1])
    for j, p in enumerate(parents):
        if p < 0:
            rot[j], pos[j] = local[j], t[j, ..., 0]
        else:
            pos[j] = pos[p] + np.matmul(rot[p], t[j])[..., 0]
            np.matmul(rot[p], local[j], out=rot[j])
    return np.swapaxes(pos, 0, 1), np.swapaxes(rot, 0, 1)


def forward_kinematics(motion: BvhMotion) -> tuple[np.ndarray, np.ndarray]:
    """World joint positions (F, J, 3) and global rotations (F, J, 3, 3) of every frame, in the
    file's units and axes."""
    quats, trans = local_transforms(motion)
    return forward_kinematics_local(motion.parents, quats, trans)


def end_site_positions(motion: BvhMotion, positions: np.ndarray, rotations: np.ndarray) -> np.ndarray:
    """World positions (F, E, 3) of the End Sites, given the joints' world positions and rotations."""
    if not motion.end_parents:
        return np.zeros(positions.shape[:1] + (0, 3))
    par = np.asarray(motion.end_parents)
    return positions[:, par] + np.einsum("feab,eb->fea", rotations[:, par], motion.end_offsets)


def rest_positions(motion: BvhMotion) -> np.ndarray:
    """Joint positions (J, 3) of the rest pose: every rotation zero, every joint at its OFFSET."""
    pos = np.zeros((motion.n_joints, 3))
    for j, p in enumerate(motion.parents):
        pos[j] = motion.offsets[j] + (pos[p] if p >= 0 else 0.0)
    return pos


def find_joint(motion: BvhMotion, name: str) -> Optional[int]:
    """Index of the joint named ``name`` (exact, else the only case-insensitive match), or None."""
    if name in motion.names:
        return motion.names.index(name)
    low = [j for j, n in enumerate(motion.names) if n.casefold() == name.casefold()]
    return low[0] if len(low) == 1 else None
