"""What every per-clip result of the toolkit shares: clips named by id or index, words by token id,
model frames in seconds, the saved-folder check and the notebook view's frame.

:class:`~m2t_interpret.result.CaptureResult` and
:class:`~m2t_interpret.attribution.result.AttributionResult` both derive from :class:`ClipResult`;
each says what its folder's ``meta.json`` format is (:attr:`ClipResult.FORMAT`), what it calls
itself in messages (:attr:`ClipResult.KIND`) and what its notebook view shows per clip.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import ClassVar

import numpy as np

from .errors import M2TError


class ClipResult:
    """Mixin of a dataclass with ``clip_ids``, ``vocab``, ``fps`` and ``downsample`` (model frame
    ``i`` is original frame ``d·i + d − 1``, ``d`` = ``downsample``; see :mod:`m2t_interpret.result`)."""

    #: The ``format`` field of the result's saved ``meta.json``.
    FORMAT: ClassVar[str] = ""
    #: The result's noun in messages ("capture", "attribution").
    KIND: ClassVar[str] = "result"
    #: Clips the notebook view lists before "… more clips".
    HTML_CLIPS: ClassVar[int] = 20

    clip_ids: list[str]
    vocab: list[str] | None
    fps: float
    downsample: int

    @property
    def n_clips(self) -> int:
        return len(self.clip_ids)

    def word(self, token_id: int) -> str:
        """Id → word (``<id>`` when the result has no vocabulary)."""
        if self.vocab is None:
            return f"<{int(token_id)}>"
        return self.vocab[token_id] if 0 <= token_id < len(self.vocab) else "<?>"

    def clip_index(self, clip: int | str) -> int:
        """Index of a clip given by id or index (a string of digits that is not an id is an index);
        unknown ones raise M2TError with the valid range."""
        if isinstance(clip, str) and clip in self.clip_ids:
            return self.clip_ids.index(clip)
        if isinstance(clip, str) and not clip.strip().isdigit():
            shown = f"{self.clip_ids[0]} … {self.clip_ids[-1]}" if self.n_clips > 1 else ", ".join(self.clip_ids)
            raise M2TError(f"no clip with id {clip!r}; this {self.KIND} has {self.n_clips} clips "
                           f"(ids {shown}, or an index 0..{self.n_clips - 1})")
        if not 0 <= int(clip) < self.n_clips:
            raise M2TError(f"no clip {clip!r}: ids run {self.clip_ids[0]} … {self.clip_ids[-1]}, indices "
                           f"0..{self.n_clips - 1}")
        return int(clip)

    def model_frame_to_seconds(self, frame) -> np.ndarray:
        """Model frame index (float ok) → seconds of the original clip."""
        d = self.downsample
        return (np.asarray(frame, dtype=np.float64) * d + d - 1) / self.fps

    def seconds_to_model_frame(self, seconds) -> np.ndarray:
        """Inverse of :meth:`model_frame_to_seconds`."""
        d = self.downsample
        return (np.asarray(seconds, dtype=np.float64) * self.fps - d + 1) / d

    @classmethod
    def is_saved(cls, path: str | Path) -> bool:
        """True when ``path`` holds a folder this class's ``save`` wrote (any format version)."""
        try:
            meta = json.loads((Path(path) / "meta.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return isinstance(meta, dict) and meta.get("format") == cls.FORMAT

    # -- notebook view ----------------------------------------------------------------------
    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><td>{html.escape(cid)}</td><td>{cells}</td></tr>"
                       for cid, cells in self._html_rows(self.HTML_CLIPS))
        more = f"<p>… {self.n_clips - self.HTML_CLIPS} more clips</p>" if self.n_clips > self.HTML_CLIPS else ""
        model = self.meta.get("model") if isinstance(getattr(self, "meta", None), dict) else None
        head = (f"<b>{type(self).__name__}</b>: {self._html_summary()}"
                + (f", model {html.escape(str(model))}" if model else "") + self._html_note())
        return f"<div>{head}<table><tr><th>clip</th><th>caption</th></tr>{rows}</table>{more}</div>"

    def _html_summary(self) -> str:
        """The view's first line after the class name (HTML)."""
        return f"{self.n_clips} clips"

    def _html_note(self) -> str:
        """What follows the model's name in the view's head (HTML), e.g. how to read the words."""
        return ""

    def _html_rows(self, limit: int) -> list[tuple[str, str]]:
        """``(clip id, caption cell HTML)`` of the first ``limit`` clips."""
        return [(cid, "") for cid in self.clip_ids[:limit]]


__all__ = ["ClipResult"]
