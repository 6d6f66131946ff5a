"""Small tensor operations shared by the model's modules, tuned for CPU inference."""

from __future__ import annotations

import functools
import os
import weakref
from typing import Callable, Sequence

import torch

# Below these sizes MKL's matmul beats oneDNN's (call overhead dominates); measured on x86-64.
_ONEDNN_MIN_ROWS = 4
_ONEDNN_MIN_OUT = 4


def needs_grad(*tensors: torch.Tensor) -> bool:
    """Whether autograd will record an op on ``tensors`` (False under no_grad/inference_mode)."""
    return torch.is_grad_enabled() and any(t.requires_grad for t in tensors)


def tanh_inplace(z: torch.Tensor) -> torch.Tensor:
    """tanh of a freshly computed tensor, in place when no gradient is needed.

    tanh(z) = 2σ(2z) − 1: on CPU torch's sigmoid kernel is several times faster than its tanh,
    and working in place avoids a fresh allocation per call. Equal to torch.tanh within 2e-7.
    """
    if needs_grad(z):
        return torch.tanh(z)
    return z.mul_(2).sigmoid_().mul_(2).sub_(1)


@functools.lru_cache(maxsize=1)
def onednn_linear():
    """oneDNN's float32 linear kernel, or None where this torch build lacks it or
    ``M2T_INTERPRET_ONEDNN=0`` turns it off.

    torch's CPU ``addmm`` calls MKL, which on non-Intel x86 CPUs runs its AVX2 code even where the
    CPU has AVX-512; oneDNN picks its kernel from the CPU's instruction set, about twice the
    float32 rate on such machines. Both compute in float32 and differ only in summation order.
    """
    if os.environ.get("M2T_INTERPRET_ONEDNN", "1") == "0" or not torch.backends.mkldnn.is_available():
        return None
    try:
        op = torch.ops.mkldnn._linear_pointwise
        gen = torch.Generator().manual_seed(0)
        a, w, b = (torch.randn(*s, generator=gen) for s in ((8, 32), (24, 32), (24,)))
        ok = torch.allclose(op(a, w, b, "none", [], ""), torch.addmm(b, a, w.t()), atol=1e-4)
    except (AttributeError, RuntimeError):
        return None
    return op if ok else None


def flat_linear(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None,
                activation: str | None = None, pack: bool | None = None) -> torch.Tensor:
    """``F.linear`` over the last axis as one 2-D matmul (for (…, in) inputs with many rows,
    torch's N-D linear makes an extra copy of the output on CPU), optionally followed by
    ``activation="tanh"``. Inference on CPU float32 goes through oneDNN where available
    (:func:`onednn_linear`), with the activation fused into the matmul; ``pack`` (default: whether
    ``weight`` is a parameter) keeps the weight reordered for oneDNN between calls, for weights
    that live across calls."""
    if activation not in (None, "tanh"):
        raise ValueError(f"unknown activation {activation!r} (use None or 'tanh')")
    rows = x.reshape(-1, x.shape[-1])
    op = _fast_kernel(rows, weight, bias)
    if op is not None:
        out = op(rows, _packed(weight) if pack or (pack is None and isinstance(weight, torch.nn.Parameter))
                 else weight, bias, activation or "none", [], "")
    else:
        out = torch.addmm(bias, rows, weight.t()) if bias is not None else rows @ weight.t()
        if activation == "tanh":
            out = tanh_inplace(out)
    return out.view(*x.shape[:-1], weight.shape[0])


def linear(layer: torch.nn.Linear, x: torch.Tensor, activation: str | None = None) -> torch.Tensor:
    """``layer(x)`` (then ``activation``) through :func:`flat_linear`."""
    return flat_linear(x, layer.weight, layer.bias, activation)


def _fast_kernel(rows: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None):
    if (rows.device.type != "cpu" or rows.dtype != torch.float32 or weight.dtype != torch.float32
            or rows.shape[0] < _ONEDNN_MIN_ROWS or weight.shape[0] < _ONEDNN_MIN_OUT
            or needs_grad(rows, weight, *(() if bias is None else (bias,)))):
        return None
    return onednn_linear()


# A long-lived weight in oneDNN's blocked layout, made once and reused at every decoding step;
# keyed by id, dropped when the parameter dies, remade when it changes (data pointer or version).
_PACKED: dict[int, tuple] = {}


def _packed(weight: torch.Tensor) -> torch.Tensor:
    key = id(weight)
    stamp = _stamp(weight)
    entry = _PACKED.get(key)
    if entry is None or entry[0]() is not weight or entry[1] != stamp:
        packed = torch.ops.mkldnn._reorder_linear_weight(weight.detach())
        entry = _PACKED[key] = (weakref.ref(weight, lambda _, k=key: _PACKED.pop(k, None)), stamp, packed)
    return entry[2]


def derived_weights(owner: torch.nn.Module, name: str, sources: Sequence[torch.Tensor],
                    build: Callable[[], tuple[torch.Tensor, ...]]) -> tuple[torch.Tensor, ...]:
    """Tensors ``build()`` makes from ``owner``'s parameters ``sources`` for inference, kept on
    ``owner`` under ``name`` and rebuilt only when a source changes (training updates parameters
    in place, which bumps their version)."""
    stamp = tuple(_stamp(t) for t in sources)
    cached = owner.__dict__.get(name)
    if cached is None or cached[0] != stamp:
        with torch.no_grad():
            cached = owner.__dict__[name] = (stamp, build())
    return cached[1]


def _stamp(t: torch.Tensor) -> tuple:
    """What changes when a tensor's values may have: its storage, shape and in-place version
    (tensors made under inference mode have no version and cannot be modified outside it)."""
    return t.data_ptr(), tuple(t.shape), -1 if t.is_inference() else t._version


class Workspace:
    """Scratch tensors kept by name and reused from call to call.

    Decoding allocates the same large buffers (part features, keys, attention energies) at every
    call; fresh ones cost page faults that, for buffers of tens of MB, take longer than filling
    them. A view from :meth:`get` stays valid until the next :meth:`get` of the same name.
    """

    def __init__(self):
        self._buffers: dict[str, torch.Tensor] = {}

    def get(self, name: str, shape: Sequence[int], like: torch.Tensor) -> torch.Tensor:
        """An uninitialised tensor of ``shape`` with ``like``'s dtype and device."""
        n = 1
        for d in shape:
            n *= int(d)
        buf = self._buffers.get(name)
        # A buffer made under torch.inference_mode() (decoding) is an inference tensor: writing into it
        # outside inference mode (a forward under no_grad after a decode) is refused, so make a normal one.
        stale = buf is not None and buf.is_inference() and not torch.is_inference_mode_enabled()
        if buf is None or stale or buf.numel() < n or buf.dtype != like.dtype or buf.device != like.device:
            self._buffers.pop(name, None)  # free the old one before allocating its successor
            buf = self._buffers[name] = torch.empty(n, dtype=like.dtype, device=like.device)
        return buf[:n].view(*shape)

    @property
    def nbytes(self) -> int:
        return sum(b.numel() * b.element_size() for b in self._buffers.values())

    def release(self) -> None:
        self._buffers.clear()
