"""Quaternion and rotation-matrix helpers for motion import and export (numpy, vectorised).

Quaternions are scalar-first ``(w, x, y, z)`` arrays of shape ``(..., 4)``, unit length; a rotation
matrix acts on column vectors (``v' = R @ v``). The product ``q1 ⊗ q2`` is the rotation ``R1 @ R2``
(``q2`` first), so an intrinsic Euler sequence ``Z X Y`` is ``qz ⊗ qx ⊗ qy``.

Resampling interpolates rotations on the sphere of unit quaternions (slerp), not their matrices or
the joint positions they produce: a joint turning at constant speed stays on its arc and keeps its
bone length, where interpolating positions would cut the chord.
"""

from __future__ import annotations

import numpy as np

_AXES = {"X": 0, "Y": 1, "Z": 2}


def axis_quaternions(axis: str, angles_rad: np.ndarray) -> np.ndarray:
    """Rotations by ``angles_rad`` (any shape) about the world axis ``"X"``, ``"Y"`` or ``"Z"``."""
    half = 0.5 * np.asarray(angles_rad, dtype=np.float64)
    q = np.zeros(half.shape + (4,))
    q[..., 0] = np.cos(half)
    q[..., 1 + _AXES[axis]] = np.sin(half)
    return q


def quat_multiply(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Hamilton product ``a ⊗ b`` (the rotation ``b`` followed by ``a``), broadcast over leading axes."""
    aw, ax, ay, az = np.moveaxis(a, -1, 0)
    bw, bx, by, bz = np.moveaxis(b, -1, 0)
    return np.stack([aw * bw - ax * bx - ay * by - az * bz,
                     aw * bx + ax * bw + ay * bz - az * by,
                     aw * by - ax * bz + ay * bw + az * bx,
                     aw * bz + ax * by - ay * bx + az * bw], axis=-1)


def quat_to_matrix(q: np.ndarray) -> np.ndarray:
    """``(..., 4)`` unit quaternions → ``(..., 3, 3)`` rotation matrices."""
    w, x, y, z = np.moveaxis(q, -1, 0)
    out = np.empty(q.shape[:-1] + (3, 3))
    out[..., 0, 0] = 1 - 2 * (y * y + z * z)
    out[..., 0, 1] = 2 * (x * y - w * z)
    out[..., 0, 2] = 2 * (x * z + w * y)
    out[..., 1, 0] = 2 * (x * y + w * z)
    out[..., 1, 1] = 1 - 2 * (x * x + z * z)
    out[..., 1, 2] = 2 * (y * z - w * x)
    out[..., 2, 0] = 2 * (x * z - w * y)
    out[..., 2, 1] = 2 * (y * z + w * x)
    out[..., 2, 2] = 1 - 2 * (x * x + y * y)
    return out


def slerp(q0: np.ndarray, q1: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Spherical interpolation from ``q0`` (w = 0) to ``q1`` (w = 1) along the shorter arc.

    ``w`` broadcasts against the quaternions' leading axes. Nearly equal rotations (angle below
    1e-6 rad) fall back to a normalised linear blend, which is exact to float64 precision there."""
    w = np.asarray(w, dtype=np.float64)[..., None]
    dot = np.sum(q0 * q1, axis=-1, keepdims=True)
    q1 = np.where(dot < 0, -q1, q1)  # q and -q are the same rotation: take the shorter way
    dot = np.clip(np.abs(dot), 0.0, 1.0)
    theta = np.arccos(dot)
    sin_t = np.sin(theta)
    small = sin_t < 1e-6
    safe = np.where(small, 1.0, sin_t)
    a = np.where(small, 1.0 - w, np.sin((1.0 - w) * theta) / safe)
    b = np.where(small, w, np.sin(w * theta) / safe)
    out = a * q0 + b * q1
    return out / np.linalg.norm(out, axis=-1, keepdims=True)


def frame_weights(u: np.ndarray, n_frames: int) -> tuple[np.ndarray, np.ndarray]:
    """Fractional frame positions ``u`` (T,) in ``[0, n_frames − 1]`` → lower frame index and weight.

    Positions within 1e-9 of a whole frame snap to it, so sampling at the source's own rate
    returns the source frames exactly."""
    u = np.clip(np.asarray(u, dtype=np.float64), 0.0, n_frames - 1)
    near = np.rint(u)
    u = np.where(np.abs(u - near) < 1e-9, near, u)
    i0 = np.minimum(np.floor(u).astype(np.int64), max(n_frames - 2, 0))
    return i0, u - i0


def resample_quaternions(q: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Rotations ``q`` (F, ..., 4) sampled at fractional frames ``u`` (T,) by slerp → (T, ..., 4)."""
    if q.shape[0] == 1:
        return np.repeat(q, len(u), axis=0)
    i0, w = frame_weights(u, q.shape[0])
    return slerp(q[i0], q[i0 + 1], w.reshape((-1,) + (1,) * (q.ndim - 2)))


def resample_linear(x: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Values ``x`` (F, ...) sampled at fractional frames ``u`` (T,) by linear interpolation."""
    if x.shape[0] == 1:
        return np.repeat(x, len(u), axis=0)
    i0, w = frame_weights(u, x.shape[0])
    w = w.reshape((-1,) + (1,) * (x.ndim - 1))
    return (1.0 - w) * x[i0] + w * x[i0 + 1]


def align_vectors(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The smallest rotation taking unit vectors ``a`` to unit vectors ``b`` (..., 3) → (..., 3, 3).

    Antiparallel pairs turn by 180° about an axis perpendicular to ``a``."""
    v = np.cross(a, b)
    c = np.sum(a * b, axis=-1)
    # an axis perpendicular to a, for the antiparallel case
    helper = np.where(np.abs(a[..., :1]) < 0.9, [1.0, 0.0, 0.0], [0.0, 1.0, 0.0])
    perp = np.cross(a, helper)
    perp /= np.linalg.norm(perp, axis=-1, keepdims=True)
    opposite = c < -1.0 + 1e-12
    q = np.concatenate([(1.0 + c)[..., None], v], axis=-1)
    q = np.where(opposite[..., None], np.concatenate([np.zeros_like(c)[..., None], perp], -1), q)
    return quat_to_matrix(q / np.linalg.norm(q, axis=-1, keepdims=True))


def fit_rotation(rest: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Kabsch: the rotation ``R`` (F, 3, 3) minimising Σ_k |R @ rest[k] − target[:, k]|².

    ``rest`` (K, 3) vectors in the joint's own frame, ``target`` (F, K, 3) the same vectors in the
    world, per frame; exact when the target vectors are a rotated copy of the rest vectors."""
    h = np.einsum("ki,fkj->fij", rest, target)  # Σ rest ⊗ target
    u, _, vt = np.linalg.svd(h)
    d = np.sign(np.linalg.det(np.swapaxes(vt, -1, -2) @ np.swapaxes(u, -1, -2)))
    fix = np.ones(u.shape[:-2] + (3,))
    fix[..., 2] = d
    return np.swapaxes(vt, -1, -2) @ (fix[..., :, None] * np.swapaxes(u, -1, -2))


def yaw_rotation(angle_rad: float) -> np.ndarray:
    """Rotation about +Y by ``angle_rad`` (3, 3); a positive angle turns +Z towards +X."""
    c, s = np.cos(angle_rad), np.sin(angle_rad)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])
