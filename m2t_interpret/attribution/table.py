"""The table of attribution methods: one :class:`Method` per method, and everything that lists
methods — ``--method`` and its help, the docs' list, which resolutions an analysis may read — is
built from it. Adding a method is one :func:`register_method` call (or one entry in
:data:`BUILTIN`) plus its function; see ``docs/tutorial.md`` §"Adding an attribution method".

This module needs no torch: a built-in method names its function by ``"module:function"`` and
the function is imported the first time the method runs, so the command line's help is built
without loading the model's libraries.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping

from ..errors import M2TError, check_choice

#: What a method resolves: ``part`` one value per body part (spread evenly over the clip's frames in
#: the map), ``frame`` one value per model frame (spread over the parts by their share of features)
#: or ``joint``: part × frame, each input feature its own value (summed per part).
RESOLUTIONS: dict[str, tuple[str, ...]] = {"part": ("parts",), "frame": ("frames",), "joint": ("parts", "frames")}
#: What a method may group the input features by: ``parts`` (one group per body part: the
#: ``feature_mask`` of captum's perturbation methods), ``window`` (time windows over all features)
#: or None (every feature on its own).
FEATURE_MASKS = ("parts", "window", None)
TARGETS = ("logprob", "beta", "mu")
BASELINES = ("first_pose", "mean_pose", "zeros")
#: The method name under which attention appears in every table (it is no entry of the table: it is
#: read from the capture, not computed).
ATTENTION = "attention"


@dataclass(frozen=True)
class Method:
    """One attribution method.

    - ``name``: what ``--method`` takes; ``summary``: a few words for its help and the docs
    - ``resolution``: "part", "frame" or "joint" (:data:`RESOLUTIONS`)
    - ``function``: ``f(batch) -> (dense, delta)``: the words of one caption
      (:class:`~m2t_interpret.attribution.forward.CaptionBatch`) → dense attributions (W, T, F)
      and a per-word convergence delta (W,) or None; a callable, or ``"module:function"``
    - ``captum``: the captum class the function runs (None: the project's own implementation)
    - ``feature_mask``: how the function groups the input features (:data:`FEATURE_MASKS`)
    - ``gradients``: whether it needs autograd (else it runs under ``torch.no_grad``)
    - ``defaults``: its settings and their defaults (``n_steps``, ``window``, ``stride`` …);
      a caller's settings override those the method has, the others are not passed
    - ``convergence_delta``: whether ``function`` returns a delta
    """

    name: str
    summary: str
    resolution: str
    function: Callable | str
    captum: str | None = None
    feature_mask: str | None = None
    gradients: bool = False
    defaults: Mapping[str, Any] = field(default_factory=dict)
    convergence_delta: bool = False

    def __post_init__(self) -> None:
        if not self.name.isidentifier() or self.name != self.name.lower() or self.name == ATTENTION:
            raise M2TError(f"an attribution method's name must be a lowercase identifier other than "
                           f"{ATTENTION!r}, got {self.name!r}")
        if self.resolution not in RESOLUTIONS:
            raise M2TError(f"method {self.name}: resolution {self.resolution!r} is not one of {', '.join(RESOLUTIONS)}")
        if self.feature_mask not in FEATURE_MASKS:
            raise M2TError(f"method {self.name}: feature mask {self.feature_mask!r} is not one of "
                           f"{', '.join(map(str, FEATURE_MASKS))}")

    @property
    def resolves(self) -> tuple[str, ...]:
        """``("parts",)``, ``("frames",)`` or both: what its maps can be read for."""
        return RESOLUTIONS[self.resolution]

    @property
    def implementation(self) -> str:
        """The captum class, or the function that implements it."""
        if self.captum:
            return f"captum {self.captum}"
        name = self.function if isinstance(self.function, str) else (
            f"{self.function.__module__}:{self.function.__qualname__}")
        return f"own ({name.replace(':', '.')})"

    def resolve(self) -> Callable:
        """The method's function (imported on first use for a ``"module:function"``)."""
        if callable(self.function):
            return self.function
        module, _, name = self.function.partition(":")
        return getattr(importlib.import_module(module), name)

    def options(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """Its defaults, overridden by the ``given`` settings it has (None: keep the default)."""
        return {k: (given[k] if given.get(k) is not None else v) for k, v in self.defaults.items()}


_OWN = "m2t_interpret.attribution.builtin"
#: The methods the toolkit ships, in the order the help lists them.
BUILTIN: tuple[Method, ...] = (
    Method("ig", "Integrated Gradients", "joint", f"{_OWN}:integrated_gradients", captum="IntegratedGradients",
           gradients=True, defaults={"n_steps": 32}, convergence_delta=True),
    Method("saliency", "|∂f/∂x|", "joint", f"{_OWN}:gradient", captum="Saliency", gradients=True),
    Method("ixg", "input × gradient", "joint", f"{_OWN}:gradient", captum="InputXGradient", gradients=True),
    Method("ablation", "each body part replaced by the baseline", "part", f"{_OWN}:feature_ablation",
           captum="FeatureAblation", feature_mask="parts"),
    Method("shapley", "exact Shapley values over the six parts, 2⁶ coalitions", "part", f"{_OWN}:exact_shapley",
           feature_mask="parts"),
    Method("occlusion", "time windows replaced by the baseline", "frame", f"{_OWN}:occlusion", captum="Occlusion",
           feature_mask="window", defaults={"window": 4, "stride": 2}),
)
#: Every method by name: the built-ins and those added with :func:`register_method`.
METHODS: dict[str, Method] = {m.name: m for m in BUILTIN}


def register_method(method: Method, replace: bool = False) -> Method:
    """Add ``method`` to :data:`METHODS` (``--method``, its help, every analysis); a name already
    taken raises M2TError unless ``replace``."""
    if method.name in METHODS and not replace:
        raise M2TError(f"there is already an attribution method {method.name!r}; pass replace=True to replace it")
    METHODS[method.name] = method
    return method


def method_names() -> list[str]:
    return list(METHODS)


def get_method(method: str | Method) -> Method:
    """A method by name (M2TError naming the known ones for any other), or the method itself."""
    if isinstance(method, Method):
        return method
    return METHODS[check_method(method)]


def check_method(method: str) -> str:
    return check_choice(method, METHODS, "attribution method")


def check_target(target: str) -> str:
    return check_choice(target, TARGETS, "attribution target")


def check_baseline(baseline: str) -> str:
    return check_choice(baseline, BASELINES, "baseline", spelling=lambda b: b.lower().replace("-", "_"))


def method_help() -> str:
    """The help of ``--method``: every method of the table with its summary."""
    return "Attribution method: " + ", ".join(f"{m.name} ({m.summary})" for m in METHODS.values()) + "."


def methods_markdown() -> str:
    """The docs' table of methods (``docs/interpretability.md``), one row per method."""
    rows = ["| method | what it does | resolution | implementation | settings (default) |",
            "|---|---|---|---|---|"]
    for m in METHODS.values():
        settings = ", ".join(f"`{k}` = {v}" for k, v in m.defaults.items()) or "–"
        where = f"captum `{m.captum}`" if m.captum else "own"
        summary = m.summary.replace("|", "\\|")  # a literal | inside a table cell
        kind = "joint (part × frame)" if m.resolution == "joint" else m.resolution
        rows.append(f"| `{m.name}` | {summary} | {kind} | {where} | {settings} |")
    return "\n".join(rows)


def resolution(method: str) -> tuple[str, ...]:
    """What ``method``'s maps can be read for; attention and methods the table does not know (a
    result saved with a method since removed) resolve both parts and frames."""
    m = METHODS.get(method)
    return m.resolves if m is not None else RESOLUTIONS["joint"]


class ResolutionView(Mapping):
    """:data:`RESOLUTION`: method name → ``("parts",)``, ``("frames",)`` or both, read from the
    table each time (so it knows registered methods), attention included."""

    def __getitem__(self, name: str) -> tuple[str, ...]:
        if name != ATTENTION and name not in METHODS:
            raise KeyError(name)
        return resolution(name)

    def __iter__(self) -> Iterator[str]:
        return iter([*METHODS, ATTENTION])

    def __len__(self) -> int:
        return len(METHODS) + 1


#: Method name → what it resolves (``RESOLUTION.get(m, ("parts", "frames"))`` as before the table).
RESOLUTION = ResolutionView()


__all__ = ["Method", "METHODS", "BUILTIN", "RESOLUTIONS", "RESOLUTION", "FEATURE_MASKS", "TARGETS", "BASELINES",
           "ATTENTION", "register_method", "method_names", "get_method", "check_method", "check_target",
           "check_baseline", "method_help", "methods_markdown", "resolution"]
