"""The β̂ = 1 ablation (the paper's Table 3): captions decoded with the gate forced open beside the
adaptive ones and the references, and the change in caption metrics over the split."""

from __future__ import annotations

import pandas as pd

from ..errors import M2TError
from ..metrics import caption_scores


def caption_table(capture) -> pd.DataFrame:
    """``clip_id, caption, references`` of a capture that carries references."""
    if capture.references is None:
        raise M2TError("this capture has no reference captions; capture a dataset split to compare")
    return pd.DataFrame({"clip_id": capture.clip_ids, "caption": capture.captions,
                         "references": capture.references})


def gate_ablation(adaptive, pinned) -> pd.DataFrame:
    """Per clip: the adaptive caption, the caption with β̂ pinned, the first reference, and
    whether they differ. Both captures must hold the same clips."""
    if adaptive.clip_ids != pinned.clip_ids:
        raise M2TError("the adaptive and the pinned capture must hold the same clips in the same order")
    a = caption_table(adaptive)
    return pd.DataFrame({
        "clip_id": a["clip_id"], "adaptive": a["caption"], f"beta={pinned.beta_pinned:g}": pinned.captions,
        "reference": [r[0] if r else "" for r in a["references"]],
        "changed": [x != y for x, y in zip(a["caption"], pinned.captions)],
    })


def caption_metrics(capture, protocol: str = "project") -> dict:
    """BLEU@1/4, ROUGE-L and CIDEr of a capture's captions against its references (no METEOR)."""
    t = caption_table(capture)
    refs = {c: list(r) for c, r in zip(t["clip_id"], t["references"]) if r}
    preds = {c: p for c, p in zip(t["clip_id"], t["caption"]) if c in refs}
    s = caption_scores(preds, refs, protocol=protocol, meteor=False)
    return {"bleu1": s.bleu1, "bleu4": s.bleu4, "rouge_l": s.rouge_l, "cider": s.cider,
            "protocol": s.protocol_description}


def gate_ablation_scores(adaptive, pinned, protocol: str = "project") -> pd.DataFrame:
    """Caption metrics of both decodings and the change: ``metric, adaptive, pinned, change``."""
    a, p = caption_metrics(adaptive, protocol), caption_metrics(pinned, protocol)
    rows = [{"metric": m, "adaptive": a[m], f"beta={pinned.beta_pinned:g}": p[m], "change": p[m] - a[m]}
            for m in ("bleu1", "bleu4", "rouge_l", "cider")]
    out = pd.DataFrame(rows)
    out.attrs["protocol"] = a["protocol"]
    return out


__all__ = ["caption_table", "gate_ablation", "caption_metrics", "gate_ablation_scores"]
