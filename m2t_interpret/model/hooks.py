"""Named hook points: every tensor a user may want to read or change, by name.

A :class:`HookPoint` is an identity module placed on one tensor of the computation (α, the
temporal window, β̂, the context, the gate terms, the decoder states, the logits). The
:func:`hooks` context manager records any subset of them and may *replace* any of them with a
constant or a function of the original value — the same mechanism serves capture, the β̂ = 1
ablation of the paper's Table 3, and ablating a body part or a time window.

Every hook-point tensor is batch-first with the decoding step as axis 1: ``(N, S, …)``.
"""

from __future__ import annotations

import contextlib
from typing import Callable, Iterator, Mapping, Sequence, Union

import torch
from torch import nn

from ..errors import M2TError

#: What each hook point holds (shapes batch-first; T model frames, H hidden, D attention width).
HOOK_POINTS: dict[str, str] = {
    "alpha": "(N, S, T, 6) spatial attention over parts, checkpoint part order, 0 on padded frames",
    "gamma": "(N, S, T) softmax weights over valid frames",
    "mu": "(N, S) centre of the Gaussian window, model frames",
    "sigma": "(N, S) width of the Gaussian window, model frames",
    "window": "(N, S, T) Γ, the unnormalised Gaussian window (peak 1)",
    "context": "(N, S, H) motion context c_t = Σ_i Γ_i · mean_k α_ik P_ik",
    "beta": "(N, S) adaptive gate β̂",
    "gate_motion": "(N, S, D) β̂ · tanh(W_c c_t), the motion term of the gated context",
    "gate_state": "(N, S, D) (1 − β̂) · tanh(W_h h̃_t), the language term of the gated context",
    "h_bottom": "(N, S, H) bottom-LSTM state h_t (the attention query)",
    "h_top": "(N, S, H) top-LSTM state h̃_t",
    "logits": "(N, S, V) output logits",
}
#: The hook points a default capture records.
ATTENTION_POINTS: tuple[str, ...] = ("alpha", "gamma", "mu", "sigma", "window", "beta")

Replacement = Union[float, int, torch.Tensor, Callable[[torch.Tensor], torch.Tensor]]


class HookPoint(nn.Module):
    """Identity on one named tensor; forward hooks on it read or replace that tensor."""

    def __init__(self, name: str):
        super().__init__()
        self.name = name

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x

    def extra_repr(self) -> str:
        return self.name


class HookRecorder:
    """The tensors recorded at each hook point, one entry per forward call."""

    def __init__(self, names: Sequence[str]):
        self.names = tuple(names)
        self.records: dict[str, list[torch.Tensor]] = {n: [] for n in self.names}

    def __getitem__(self, name: str) -> list[torch.Tensor]:
        return self.records[name]

    def clear(self) -> None:
        for v in self.records.values():
            v.clear()

    def stacked(self) -> dict[str, torch.Tensor]:
        """Each recorded point, its calls concatenated along the step axis (dim 1)."""
        return {n: torch.cat(v, 1) for n, v in self.records.items() if v}


def hook_points(model: nn.Module) -> dict[str, HookPoint]:
    """The model's hook points by name."""
    return {m.name: m for m in model.modules() if isinstance(m, HookPoint)}


def _replacer(name: str, value: Replacement) -> Callable[[torch.Tensor], torch.Tensor]:
    if callable(value) and not torch.is_tensor(value):
        return value
    if torch.is_tensor(value):
        return lambda t: value.to(t.device, t.dtype).expand_as(t)
    try:
        const = float(value)
    except (TypeError, ValueError):
        raise M2TError(f"replacement for hook point {name!r} must be a number, a tensor or a function, "
                       f"got {type(value).__name__}") from None
    if const != const:
        raise M2TError(f"replacement for hook point {name!r} is NaN")
    return lambda t: torch.full_like(t, const)


@contextlib.contextmanager
def hooks(
    model: nn.Module,
    record: Sequence[str] = (),
    replace: Mapping[str, Replacement] | None = None,
) -> Iterator[HookRecorder]:
    """Record and/or replace named tensors inside the block; the hooks are removed on exit.

    ``replace`` maps a hook-point name to a constant, a tensor (broadcast to the point's shape)
    or a function ``tensor → tensor``. A replaced point is recorded after replacement.

    Example::

        with hooks(model, record=["alpha", "beta"], replace={"beta": 1.0}) as rec:
            model(x, lengths, inputs)
        rec.stacked()["beta"]  # all ones
    """
    points = hook_points(model)
    replace = dict(replace or {})
    unknown = sorted((set(record) | set(replace)) - set(points))
    if unknown:
        raise M2TError(f"unknown hook point(s) {', '.join(unknown)}; available: {', '.join(points)}")
    rec = HookRecorder(record)
    handles = []

    def make_hook(name: str):
        fn = _replacer(name, replace[name]) if name in replace else None
        store = rec.records.get(name)

        def hook(module, inputs, output):
            if fn is not None:
                output = fn(output)
            if store is not None:
                store.append(output.detach())
            return output

        return hook

    try:
        for name in dict.fromkeys([*record, *replace]):
            handles.append(points[name].register_forward_hook(make_hook(name)))
        yield rec
    finally:
        for h in handles:
            h.remove()
