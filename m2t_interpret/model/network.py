"""The captioner's network: its modules, weights and one decoding step, weight-compatible with the
authors' released checkpoints.

The module tree is organised as the paper describes the model (part encoder, spatial attention,
Gaussian temporal attention, adaptive gate, word decoder); ``state_dict()`` and
``load_state_dict()`` speak the authors' parameter names (REFERENCE §1.1) through
:data:`AUTHORS_KEYS`, so an authors' state_dict loads with ``strict=True``.

:class:`CaptionerNetwork` computes (encoding, :meth:`~CaptionerNetwork.step`, the teacher-forced
pass); the decoding strategies (:mod:`.decoding`, :mod:`.fused_step`, :mod:`.authors_beam`) take
one, and :class:`~m2t_interpret.model.captioner.Captioner` adds the user API on top of both, so
that dependencies point one way: network ← strategies ← captioner.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any, NamedTuple, Sequence

import torch
from torch import nn

from ..data.motion_range import METADATA_KEY, clip_statistics, motion_table
from ..data.preprocessing import MotionLike, as_stats, preprocess_motions
from ..errors import M2TError
from ..skeletons import N_PARTS, Skeleton, get_skeleton
from ..tokens import EOS_ID as EOS
from ..tokens import PAD_ID as PAD
from ..tokens import SOS_ID as SOS
from .attention import GaussianTemporalAttention, SpatialAttention, TemporalWindow, joint_energies, part_key_weights
from .decoder import WordDecoder
from .encoder import PartEncoder, velocities
from .gate import AdaptiveGate
from .hooks import HookPoint, Replacement, hook_points, hooks
from .ops import Workspace, derived_weights, flat_linear, needs_grad

#: Authors' parameter-name prefix → this module tree's prefix.
AUTHORS_KEYS: tuple[tuple[str, str], ...] = (
    ("enc_pose.six_layers.", "encoder.position_in."),
    ("enc_pose.six_layers_2.", "encoder.position_out."),
    ("enc_pose.six_layers_v.", "encoder.velocity_in."),
    ("enc_pose.six_layers_v2.", "encoder.velocity_out."),
    ("dec.embedding.", "decoder.embedding."),
    ("dec.bottom_lstm.", "decoder.bottom_lstm."),
    ("dec.top_lstm.", "decoder.top_lstm."),
    ("mixture_feat.", "decoder.mixture."),
    ("final_layer.", "decoder.output."),
    ("feat_extract_x.", "spatial_attention.key."),
    ("feat_extract_hdec.", "spatial_attention.query."),
    ("spatial_att.", "spatial_attention.score."),
    ("feat_extract_g.", "temporal_attention.key."),
    ("tempfeat_extract_hdec.", "temporal_attention.query."),
    ("temporal_att.", "temporal_attention.score."),
    ("gate_var.", "gate.state_proj."),
    ("adapt_layer.", "gate.word_proj."),
    ("ctproject.", "gate.context_proj."),
    ("htproject.", "gate.state_out_proj."),
    ("feat_extract_henc.", "feat_extract_henc."),
)


def _rename(key: str, prefix: str, pairs: Sequence[tuple[str, str]]) -> str:
    if not key.startswith(prefix):
        return key
    rest = key[len(prefix):]
    for src, dst in pairs:
        if rest.startswith(src):
            return prefix + dst + rest[len(src):]
    return key


@dataclass
class CaptionerConfig:
    """Sizes and data conventions of a captioner (everything needed to rebuild it)."""

    vocab_size: int
    embed_dim: int = 64
    hidden: int = 128
    attn_dim: int = 128
    skeleton: str = "humanml3d"
    dropout: float = 0.5
    downsample: int = 2
    max_steps: int = 40
    #: cosines of the frame's place in its clip added to the temporal keys (0: the paper's model;
    #: see :class:`~m2t_interpret.model.attention.GaussianTemporalAttention`)
    time_basis: int = 0

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        if not d["time_basis"]:  # the paper's model: the dict (and fingerprint) of every earlier checkpoint
            del d["time_basis"]
        return d


class Encoded(NamedTuple):
    """Per-clip quantities computed once and reused at every decoding step."""

    parts: torch.Tensor  # (N, T, 6, H) part features P
    spatial_keys: torch.Tensor  # (N, T, D)
    temporal_keys: torch.Tensor  # (N, T, D)
    frame_mask: torch.Tensor  # (N, T) bool
    #: (N, T, 2D) both keys side by side, when the two key tensors above are its halves (the
    #: inference encoding), so both attentions' energies can be computed in one pass.
    keys: torch.Tensor | None = None

    def index_select(self, rows: torch.Tensor) -> "Encoded":
        if self.keys is not None:
            keys = self.keys.index_select(0, rows)
            return Encoded(self.parts.index_select(0, rows), *keys.chunk(2, dim=-1),
                           self.frame_mask.index_select(0, rows), keys)
        return Encoded(*(t.index_select(0, rows) for t in self[:4]))


class StepOutputs(NamedTuple):
    """Decoder outputs for S steps, batch-first."""

    logits: torch.Tensor  # (N, S, V)
    alpha: torch.Tensor  # (N, S, T, 6)
    temporal: TemporalWindow  # γ, μ, σ, Γ
    beta: torch.Tensor  # (N, S)


def _unpack_rows(rows: torch.Tensor, lengths: Sequence[int], t: int) -> None:
    """In place: ``rows`` (N·T, …) whose first Σ lengths rows are the clips' valid rows packed in
    clip order → clip n's rows at n·T … n·T + lengths[n] − 1, every other row zero.

    Clips move from the last to the first: a clip's place never lies before its packed rows, so no
    row is overwritten before it has been moved.
    """
    offsets = [0]
    for length in lengths[:-1]:
        offsets.append(offsets[-1] + length)
    for i in reversed(range(len(lengths))):
        src, dst, length = offsets[i], i * t, lengths[i]
        if src != dst:
            block = rows[src:src + length]
            rows[dst:dst + length] = block.clone() if dst < src + length else block
        rows[dst + length:(i + 1) * t] = 0


class CaptionerNetwork(nn.Module):
    """The guided-attention captioner's computation (Radouane et al., BMVC 2024): encoding,
    one decoding step and the teacher-forced pass, with the hook points and the authors'
    parameter names. Decoding and capture live in
    :class:`~m2t_interpret.model.captioner.Captioner`, its subclass.
    """

    def __init__(
        self,
        config: CaptionerConfig,
        vocab: Sequence[str] | None = None,
        stats: dict | None = None,
        metadata: dict | None = None,
    ):
        super().__init__()
        self.config = config
        self.skeleton: Skeleton = get_skeleton(config.skeleton)
        h, e, d = config.hidden, config.embed_dim, config.attn_dim
        self.encoder = PartEncoder(self.skeleton, h, d)
        self.spatial_attention = SpatialAttention(h, d, N_PARTS)
        self.temporal_attention = GaussianTemporalAttention(h, d, N_PARTS, config.time_basis)
        self.gate = AdaptiveGate(h, e, d)
        self.decoder = WordDecoder(config.vocab_size, e, h, d, config.dropout)
        # Present in every released checkpoint and never used by the computation.
        self.feat_extract_henc = nn.Linear(h, d)
        self.hook_h_bottom = HookPoint("h_bottom")
        self.hook_h_top = HookPoint("h_top")
        self.hook_context = HookPoint("context")
        self.hook_logits = HookPoint("logits")
        self.vocab: list[str] | None = None
        self.set_vocab(vocab)
        self.stats = as_stats(stats)
        self.metadata: dict = dict(metadata or {})
        self._workspace = Workspace()
        self._register_state_dict_hook(CaptionerNetwork._to_authors_names)
        self._register_load_state_dict_pre_hook(CaptionerNetwork._from_authors_names)

    # -- state_dict naming ------------------------------------------------------------------
    @staticmethod
    def _to_authors_names(module, state_dict, prefix, local_metadata):
        inverse = [(dst, src) for src, dst in AUTHORS_KEYS]
        for key in list(state_dict.keys()):
            new = _rename(key, prefix, inverse)
            if new != key:
                state_dict[new] = state_dict.pop(key)
        return state_dict

    @staticmethod
    def _from_authors_names(state_dict, prefix, local_metadata, strict, missing, unexpected, errors):
        for key in list(state_dict.keys()):
            new = _rename(key, prefix, AUTHORS_KEYS)
            if new != key:
                state_dict[new] = state_dict.pop(key)

    # -- conveniences -----------------------------------------------------------------------
    def set_vocab(self, vocab: Sequence[str] | None) -> None:
        if vocab is None:
            self.vocab = None
            return
        vocab = [str(t) for t in vocab]
        if len(vocab) != self.config.vocab_size:
            raise M2TError(
                f"vocabulary has {len(vocab)} tokens but the checkpoint's embedding has "
                f"{self.config.vocab_size}; supply the vocabulary the model was trained with"
            )
        self.vocab = vocab

    @property
    def device(self) -> torch.device:
        return self.decoder.embedding.weight.device

    def words(self, ids: Sequence[int]) -> list[str]:
        """Token ids → words (``<id>`` placeholders when the model has no vocabulary)."""
        if self.vocab is None:
            return [f"<{int(i)}>" for i in ids]
        return [self.vocab[int(i)] for i in ids]

    def ids_to_text(self, ids: Sequence[int]) -> str:
        """Ids up to the first <eos>, specials dropped, joined by spaces."""
        words = []
        for i in ids:
            i = int(i)
            if i < 0 or i == EOS:
                break
            if i in (PAD, SOS):
                continue
            words.append(self.words([i])[0])
        return " ".join(words)

    def preprocess(self, motions: Sequence[MotionLike] | MotionLike) -> tuple[torch.Tensor, torch.Tensor]:
        """Raw clips → ``(x (N, T, J·3), lengths (N,))``; each clip is (T, J, 3) joint positions in
        metres or the path of a ``.npy`` array or a ``.bvh`` recording (imported to the model's
        skeleton, see :func:`~m2t_interpret.data.preprocessing.read_motion_file`)."""
        if self.stats is None:
            raise M2TError(
                "this model carries no normalisation statistics; load it with "
                "stats={'mean': [x, y, z], 'std': [x, y, z]} (or --stats STATS.json)"
            )
        return preprocess_motions(motions, self.skeleton, self.stats, self.config.downsample)

    @property
    def motion_corpus(self) -> dict | None:
        """The motion statistics of the training corpus (:func:`~m2t_interpret.data.motion_range.
        summarise_corpus`), or None for a checkpoint written before they were recorded."""
        return self.metadata.get(METADATA_KEY) or None

    def motion_table(self, motions: Sequence, clip_ids: Sequence[str]):
        """Raw clips ((T, J, 3) arrays in metres at the skeleton's frame rate) → their motion
        statistics and which lie outside the training corpus, one row per clip
        (:func:`~m2t_interpret.data.motion_range.motion_table`)."""
        stats = [clip_statistics(m, self.skeleton) for m in motions]
        return motion_table(clip_ids, stats, self.motion_corpus)

    # -- computation ------------------------------------------------------------------------
    def encode(self, x: torch.Tensor, lengths: torch.Tensor, reuse_buffers: bool = False) -> Encoded:
        """``x`` (N, T, J·3), ``lengths`` (N,) → :class:`Encoded` (key projections done once).

        ``reuse_buffers`` (inference only) writes P and the keys into the model's scratch buffers,
        kept from call to call: the result is overwritten by the next such call, and
        :meth:`release_workspace` frees them. Decoding uses it.
        """
        x, lengths = self._check_input(x, lengths)
        frame_mask = torch.arange(x.shape[1], device=x.device)[None, :] < lengths[:, None]
        time_keys = self.temporal_attention.time_keys(frame_mask, x.dtype)
        if needs_grad(x, self.encoder.position_in[0].weight):
            parts = self.encoder(x)
            temporal_keys = self.temporal_attention.project_keys(parts)
            if time_keys is not None:
                temporal_keys = temporal_keys + time_keys
            return Encoded(parts, self.spatial_attention.project_keys(parts), temporal_keys, frame_mask)
        parts, keys = self._encode_valid_frames(x, frame_mask, self._workspace if reuse_buffers else None)
        spatial_keys, temporal_keys = keys.chunk(2, dim=-1)
        if time_keys is not None:
            temporal_keys.add_(time_keys)  # a view of ``keys``: both stay one tensor
        return Encoded(parts, spatial_keys, temporal_keys, frame_mask, keys)

    def _encode_valid_frames(self, x: torch.Tensor, frame_mask: torch.Tensor, workspace: Workspace | None):
        """Inference encoding: P (N, T, 6, H) and both keys side by side (N, T, 2D), zero on
        padded frames.

        Padded frames are never read (α is zero there and γ masked), so the part MLPs and the key
        projections — most of the encoding cost — run on the valid frames only, packed clip after
        clip at the start of P's buffer; both key layers are one matmul over those packed rows
        (M, 6H); then the rows are moved to their padded places in the same buffer, so no second
        P-sized buffer is needed.
        """
        n, t = frame_mask.shape
        n_parts, hidden = len(self.encoder.parts), self.config.hidden
        valid = frame_mask.reshape(-1).nonzero().squeeze(1)  # (M,) rows of the (N·T) frames
        m = len(valid)
        xs = x.reshape(n * t, -1).index_select(0, valid)
        vs = velocities(x).reshape(n * t, -1).index_select(0, valid)
        workspace = workspace if workspace is not None else Workspace()  # a local one: fresh buffers
        parts = workspace.get("parts", (n * t, n_parts, hidden), x)
        for k in range(n_parts):
            self.encoder.part_features(k, xs, vs, out=parts[:m, k])
        weight, bias = self._stacked_key_layers()
        keys = flat_linear(parts[:m].view(m, -1), weight, bias, pack=True)  # (M, 2D)
        if m == n * t:
            return parts.view(n, t, n_parts, hidden), keys.view(n, t, -1)
        lengths = frame_mask.sum(1).tolist()
        _unpack_rows(parts, lengths, t)
        out = workspace.get("keys", (n * t, keys.shape[1]), x)
        padded = (~frame_mask).reshape(-1).nonzero().squeeze(1)
        out.index_fill_(0, padded, 0).index_copy_(0, valid, keys)
        return parts.view(n, t, n_parts, hidden), out.view(n, t, -1)

    def release_workspace(self, above_bytes: int = 0) -> None:
        """Free the scratch buffers decoding keeps between calls (P, keys, attention energies)
        when together they hold more than ``above_bytes``."""
        if self._workspace.nbytes > above_bytes:
            self._workspace.release()

    def _stacked_key_layers(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Both key layers stacked: (2D, 6H) weight columns in P's part-major order, (2D,) bias."""
        layers = (self.spatial_attention.key, self.temporal_attention.key)
        n_parts = len(self.encoder.parts)

        def build():
            return (torch.cat([part_key_weights(layer, n_parts).reshape(layer.weight.shape[0], -1)
                               for layer in layers]), torch.cat([layer.bias for layer in layers]))

        return derived_weights(self, "_stacked_keys", [t for layer in layers for t in (layer.weight, layer.bias)],
                               build)

    def attend(self, enc: Encoded, emb: torch.Tensor, h: torch.Tensor, h_top: torch.Tensor) -> StepOutputs:
        """Attention, gate and output layer for S steps given the decoder states (N, S, ·)."""
        h, h_top = self.hook_h_bottom(h), self.hook_h_top(h_top)
        if enc.keys is not None and not needs_grad(h, enc.keys, self.spatial_attention.query.weight):
            spatial, temporal = joint_energies(self.spatial_attention, self.temporal_attention, h, enc.keys,
                                               self._workspace)
            alpha = self.spatial_attention.from_energies(spatial, enc.frame_mask)
            temporal = self.temporal_attention.from_scores(temporal, enc.frame_mask)
        else:
            alpha = self.spatial_attention(h, enc.spatial_keys, enc.frame_mask)
            temporal = self.temporal_attention(h, enc.temporal_keys, enc.frame_mask)
        # c_t = Σ_i Γ_ti · mean_k α_tik P_ik, as one batched matmul over (frame, part) pairs;
        # P (N, T, 6, H) is contiguous, so viewing it as (N, T·6, H) copies nothing.
        n, s, t, k = alpha.shape
        weights = (alpha * temporal.window.unsqueeze(-1)).reshape(n, s, t * k)
        context = self.hook_context(torch.bmm(weights, enc.parts.reshape(n, t * k, -1)) / N_PARTS)
        gated = self.gate(h, emb, context, h_top)
        logits = self.hook_logits(self.decoder.logits(emb, gated.context, h))
        return StepOutputs(logits, alpha, temporal, gated.beta)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor, inputs: torch.Tensor) -> StepOutputs:
        """Teacher-forced pass: input tokens (N, S) (first <sos>) → outputs for all S steps."""
        enc = self.encode(x, lengths)
        emb, h, h_top, _ = self.decoder.states(inputs.to(enc.parts.device))
        return self.attend(enc, emb, h, h_top)

    def step(self, enc: Encoded, tokens: torch.Tensor, state=None):
        """One decoding step: previous tokens (N,) → (:class:`StepOutputs` with S = 1, state)."""
        emb, h, h_top, state = self.decoder.states(tokens.unsqueeze(1), state)
        return self.attend(enc, emb, h, h_top), state

    def _check_input(self, x: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        # the parameters' precision (float32 unless the model was converted, e.g. for exact checks)
        x = torch.as_tensor(x, dtype=self.encoder.position_in[0].weight.dtype, device=self.device)
        lengths = torch.as_tensor(lengths, dtype=torch.int64, device=self.device)
        if x.ndim != 3 or x.shape[0] == 0:
            raise M2TError(f"model input must be (N, T, J*3) with N ≥ 1, got shape {tuple(x.shape)}")
        expected = 3 * self.skeleton.n_joints
        if x.shape[2] != expected:
            raise M2TError(
                f"model input has {x.shape[2]} features per frame; the {self.skeleton.name} model "
                f"expects {expected} ({self.skeleton.n_joints} joints × 3)"
            )
        if lengths.shape != (x.shape[0],):
            raise M2TError(f"lengths must have shape ({x.shape[0]},), got {tuple(lengths.shape)}")
        if int(lengths.min()) < 1 or int(lengths.max()) > x.shape[1]:
            raise M2TError(f"lengths must lie in 1..{x.shape[1]} (frames of x), got {lengths.tolist()}")
        if not torch.isfinite(x).all():
            raise M2TError("model input has NaN or infinite values")
        return x, lengths

    # -- hook points ------------------------------------------------------------------------
    def hook_points(self) -> dict[str, HookPoint]:
        """The named hook points (see :data:`~m2t_interpret.model.hooks.HOOK_POINTS`)."""
        return hook_points(self)

    def hooks(self, record: Sequence[str] = (), replace: dict[str, Replacement] | None = None):
        """Context manager recording and/or replacing named tensors; yields a
        :class:`~m2t_interpret.model.hooks.HookRecorder`. See :func:`m2t_interpret.model.hooks.hooks`."""
        return hooks(self, record=record, replace=replace)

    def fingerprint(self) -> str:
        """A short hash of everything that determines the model's outputs: weights, sizes,
        vocabulary, statistics."""

        header = json.dumps([self.config.to_dict(), self.vocab, self.stats], sort_keys=True)
        # Every in-place change of a tensor (optimizer step, load_state_dict) bumps its version,
        # so the weights are rehashed only when they changed, not on every decode.
        key = (header, tuple((t.data_ptr(), t._version) for t in (*self.parameters(), *self.buffers())))
        cached = getattr(self, "_fingerprint_cache", None)
        if cached is not None and cached[0] == key:
            return cached[1]
        state = sorted(self.state_dict().items())
        h = hashlib.sha256(header.encode())
        for name, value in state:
            h.update(name.encode())
            h.update(value.detach().cpu().contiguous().numpy().tobytes())
        self._fingerprint_cache = (key, h.hexdigest()[:16])
        return self._fingerprint_cache[1]

    def extra_repr(self) -> str:
        c = self.config
        return (f"skeleton={c.skeleton}, V={c.vocab_size}, E={c.embed_dim}, H={c.hidden}, "
                f"D={c.attn_dim}")
