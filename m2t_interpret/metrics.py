"""Caption metrics (BLEU@1/4, ROUGE-L, CIDEr, METEOR, BERTScore) under named evaluation protocols.

Scores are computed with pycocoevalcap's own scorers (the ones the captioning literature reports):

* BLEU@1 and BLEU@4: ``Bleu(4)``, corpus level, "closest" reference length (the same numbers in
  pure Python for training's epoch choice: :mod:`m2t_interpret.bleu`, re-exported here).
* ROUGE-L: ``Rouge()`` (LCS F-measure with β = 1.2), mean over clips.
* CIDEr: ``Cider()`` (CIDEr-D; document frequencies from the evaluated references, so the value
  depends on which clips are scored together).
* METEOR: pycocoevalcap's ``meteor-1.5.jar``, only when Java is on ``PATH`` (opt-in / auto), run in
  a subprocess with a timeout; any failure yields ``None`` with a reason.
* BERTScore: only when a *local* model directory is given and ``bert_score`` is importable; never
  downloads anything.

All values are fractions as the scorers return them (BLEU/ROUGE/METEOR/BERTScore in 0–1, CIDEr in
0–10); :func:`format_scores` prints them ×100 as papers do.

Text normalisation (instead of coco's PTBTokenizer, which needs Java and is slow), see
:func:`normalise_caption`: lowercase; the special tokens ``<sos> <eos> <pad> <unk>`` are protected;
every other character that is neither a word character nor whitespace (punctuation, quotes,
hyphens, apostrophes; and ``_``) is replaced by a space; tokens are split on whitespace and joined
by single spaces. Replacing punctuation by a space (rather than deleting it) makes raw references
("the person's arm", "counter-clockwise") agree with spaCy-tokenised predictions ("the person 's
arm", "counter - clockwise"). Predictions (and references) are cut after their first ``<eos>``:
tokens after end-of-sentence are not part of the caption.

Protocols (the description is printed with the scores, because protocols make numbers from
different papers non-comparable):

* ``project`` (default): special tokens stripped from predictions and references; all references.
* ``authors``: as Radouane et al. evaluated: a trailing ``<eos>`` kept (appended when missing) on
  predictions and references, ``<unk>`` kept; all references.
* ``tm2t``: exactly 3 references per clip (the first 3 in the given order; a clip with fewer is an
  error); special tokens stripped. TM2T also lemmatised the references; this project does **not**
  lemmatise, so numbers can differ slightly from TM2T's.
"""

from __future__ import annotations

import csv
import importlib
import math
import os
import re
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Hashable, Iterable, Mapping, Sequence

from .bleu import corpus_bleu4_fast, corpus_bleu_fast  # noqa: F401 (re-exported)
from .errors import M2TError
from .io import atomic_path
from .tokens import SPECIAL_TOKENS

__all__ = [
    "SPECIAL_TOKENS",
    "PROTOCOLS",
    "Protocol",
    "CaptionScores",
    "normalise_caption",
    "prepare_captions",
    "caption_scores",
    "format_scores",
    "corpus_bleu_fast",
    "corpus_bleu4_fast",
    "write_predictions",
    "read_predictions",
    "write_scores",
]

_SPECIAL_RE = re.compile("(" + "|".join(re.escape(t) for t in SPECIAL_TOKENS) + ")")
_PUNCT_RE = re.compile(r"[^\w\s]|_")

#: Metric keys in display order, with their printed labels.
METRIC_LABELS: dict[str, str] = {
    "bleu1": "BLEU@1",
    "bleu4": "BLEU@4",
    "rouge_l": "ROUGE-L",
    "cider": "CIDEr",
    "meteor": "METEOR",
    "bertscore": "BERTScore",
}


# --------------------------------------------------------------------------------------------
# Protocols and normalisation
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Protocol:
    """How predictions and references are prepared before scoring."""

    name: str
    description: str
    keep_tokens: tuple[str, ...]  # special tokens left in the text (all others are stripped)
    append_eos: bool  # ensure a trailing <eos> on predictions and references
    n_references: int | None  # exact number of references per clip (None: all)


PROTOCOLS: dict[str, Protocol] = {
    "project": Protocol(
        "project",
        "project protocol: <sos>/<eos>/<pad>/<unk> stripped, all references, lowercased, "
        "punctuation removed",
        keep_tokens=(),
        append_eos=False,
        n_references=None,
    ),
    "authors": Protocol(
        "authors",
        "authors' protocol (Radouane et al. 2024): trailing <eos> kept on predictions and "
        "references, <unk> kept, all references",
        keep_tokens=("<eos>", "<unk>"),
        append_eos=True,
        n_references=None,
    ),
    "tm2t": Protocol(
        "tm2t",
        "TM2T protocol: first 3 references per clip, special tokens stripped, references not "
        "lemmatised (TM2T lemmatised)",
        keep_tokens=(),
        append_eos=False,
        n_references=3,
    ),
}


def _get_protocol(protocol: str | Protocol) -> Protocol:
    if isinstance(protocol, Protocol):
        return protocol
    try:
        return PROTOCOLS[str(protocol).lower()]
    except KeyError:
        raise M2TError(
            f"unknown caption protocol {protocol!r}: use one of {', '.join(PROTOCOLS)}"
        ) from None


def normalise_caption(
    text: str, keep_tokens: Iterable[str] = (), append_eos: bool = False
) -> str:
    """Normalise one caption: lowercase, punctuation → space, whitespace tokens.

    Special tokens (``<sos> <eos> <pad> <unk>``) are recognised even when glued to words; those in
    ``keep_tokens`` are kept, the others removed. The caption is cut after its first ``<eos>``
    (the ``<eos>`` itself is kept only if listed in ``keep_tokens``). With ``append_eos`` a
    trailing ``<eos>`` is guaranteed.
    """
    keep = set(keep_tokens)
    tokens: list[str] = []
    for piece in _SPECIAL_RE.split(str(text).lower()):
        if piece in SPECIAL_TOKENS:
            tokens.append(piece)
        elif piece:
            tokens.extend(_PUNCT_RE.sub(" ", piece).split())
    if "<eos>" in tokens:
        tokens = tokens[: tokens.index("<eos>") + 1]
    tokens = [t for t in tokens if t not in SPECIAL_TOKENS or t in keep]
    if append_eos and (not tokens or tokens[-1] != "<eos>"):
        tokens.append("<eos>")
    return " ".join(tokens)


def _as_reference_list(clip: Hashable, refs: Any) -> list[str]:
    if isinstance(refs, str):
        return [refs]
    if refs is None:
        return []
    try:
        out = list(refs)
    except TypeError:
        raise M2TError(
            f"references for clip {clip!r} must be a list of strings, got {type(refs).__name__}"
        ) from None
    for r in out:
        if not isinstance(r, str):
            raise M2TError(
                f"references for clip {clip!r} must be strings, got {type(r).__name__}"
            )
    return out


def prepare_captions(
    predictions: Mapping[str, str],
    references: Mapping[str, Sequence[str]],
    protocol: str | Protocol = "project",
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Validate and normalise inputs; return coco-style ``(gts, res)`` dicts ``id → [str, ...]``.

    Only clips present in ``predictions`` are scored (extra reference clips are ignored).
    References that are empty after normalisation are dropped before counting. A bare string as a
    clip's references is taken as one reference.
    """
    proto = _get_protocol(protocol)
    if not isinstance(predictions, Mapping):
        raise M2TError(
            f"predictions must be a mapping clip id → caption, got {type(predictions).__name__}"
        )
    if not isinstance(references, Mapping):
        raise M2TError(
            f"references must be a mapping clip id → list of captions, got "
            f"{type(references).__name__}"
        )
    if len(predictions) == 0:
        raise M2TError("no predictions to score: pass at least one clip id → caption")
    missing = [k for k in predictions if k not in references]
    if missing:
        shown = ", ".join(repr(k) for k in missing[:5])
        more = f" (and {len(missing) - 5} more)" if len(missing) > 5 else ""
        raise M2TError(
            f"{len(missing)} predicted clip id(s) have no references: {shown}{more}; "
            "pass references for every predicted clip"
        )

    gts: dict[str, list[str]] = {}
    res: dict[str, list[str]] = {}
    for clip, pred in predictions.items():
        if not isinstance(pred, str):
            raise M2TError(
                f"prediction for clip {clip!r} must be a string, got {type(pred).__name__}"
            )
        refs = [
            normalise_caption(r, proto.keep_tokens, proto.append_eos)
            for r in _as_reference_list(clip, references[clip])
        ]
        refs = [r for r in refs if r.strip()]
        if not refs:
            raise M2TError(f"clip {clip!r} has zero (non-empty) references: give it at least one")
        if proto.n_references is not None:
            if len(refs) < proto.n_references:
                raise M2TError(
                    f"clip {clip!r} has {len(refs)} reference(s) but the {proto.name} protocol "
                    f"needs exactly {proto.n_references}: drop the clip or use protocol 'project'"
                )
            refs = refs[: proto.n_references]
        key = str(clip)
        if key in res:
            raise M2TError(f"clip id {key!r} appears twice once converted to text: make ids unique")
        res[key] = [normalise_caption(pred, proto.keep_tokens, proto.append_eos)]
        gts[key] = refs
    return gts, res


# --------------------------------------------------------------------------------------------
# Result type and formatting
# --------------------------------------------------------------------------------------------


@dataclass
class CaptionScores:
    """Corpus caption scores under one protocol. Values are fractions (CIDEr in 0–10).

    ``meteor`` / ``bertscore`` are ``None`` when not computed; ``meteor_note`` /
    ``bertscore_note`` then say why (and otherwise describe how they were computed).
    Dict-like: ``scores["bleu4"]``.
    """

    bleu1: float
    bleu4: float
    rouge_l: float
    cider: float
    meteor: float | None
    bertscore: float | None
    n_clips: int
    protocol: str
    protocol_description: str
    meteor_note: str = ""
    bertscore_note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    #: ids of the evaluated split lost to problems with their files (None: not scored from a split)
    n_lost: int | None = None
    #: what was lost and why, one line (``LoadReport.loss_summary``)
    lost_note: str = ""

    def __getitem__(self, key: str) -> Any:
        if key not in self.to_dict():
            raise KeyError(key)
        return getattr(self, key)

    def keys(self) -> list[str]:
        return list(self.to_dict())

    def to_dict(self) -> dict[str, Any]:
        return {
            "bleu1": self.bleu1,
            "bleu4": self.bleu4,
            "rouge_l": self.rouge_l,
            "cider": self.cider,
            "meteor": self.meteor,
            "bertscore": self.bertscore,
            "n_clips": self.n_clips,
            "n_lost": self.n_lost,
            "lost_note": self.lost_note,
            "protocol": self.protocol,
            "protocol_description": self.protocol_description,
            "meteor_note": self.meteor_note,
            "bertscore_note": self.bertscore_note,
        }

    def to_dataframe(self):
        """Long table, one row per metric: metric, value, value_x100, note, protocol, …"""
        # pandas only for writing tables: the metrics themselves need none
        import pandas as pd

        rows = []
        for key, label in METRIC_LABELS.items():
            value = getattr(self, key)
            note = {"meteor": self.meteor_note, "bertscore": self.bertscore_note}.get(key, "")
            rows.append(
                {
                    "metric": label,
                    "value": value,
                    "value_x100": None if value is None else 100.0 * value,
                    "note": note,
                    "protocol": self.protocol,
                    "protocol_description": self.protocol_description,
                    "n_clips": self.n_clips,
                    "n_lost": self.n_lost,
                }
            )
        return pd.DataFrame(rows)

    def format(self, scale: float = 100.0, digits: int = 1) -> str:
        return format_scores(self, scale=scale, digits=digits)

    def __str__(self) -> str:
        return self.format()


def format_scores(scores: CaptionScores, scale: float = 100.0, digits: int = 1) -> str:
    """Human-readable lines, values ×``scale``: the protocol once, then one line per metric."""
    lost = ""
    if scores.n_lost is not None:
        lost = f"; lost={scores.n_lost}" + (f" ({scores.lost_note})" if scores.lost_note else "")
    lines = [f"protocol: {scores.protocol_description}; n={scores.n_clips}{lost}"]
    for key, label in METRIC_LABELS.items():
        value = getattr(scores, key)
        if value is None:
            text = "n/a"
        else:
            text = f"{value * scale:.{digits}f}"
        line = f"{label:<10} {text:>7}"
        note = {"meteor": scores.meteor_note, "bertscore": scores.bertscore_note}.get(key)
        if note:
            line += f"   ({note})"
        lines.append(line)
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# METEOR (Java subprocess with a timeout) and BERTScore (local model only)
# --------------------------------------------------------------------------------------------


def _meteor_jar() -> Path | None:
    try:
        mod = importlib.import_module("pycocoevalcap.meteor.meteor")
    except Exception:  # pragma: no cover - pycocoevalcap is a dependency
        return None
    jar = Path(mod.__file__).with_name("meteor-1.5.jar")
    return jar if jar.is_file() else None


def _meteor_score(
    gts: Mapping[str, list[str]], res: Mapping[str, list[str]], timeout: float
) -> tuple[float | None, str]:
    """Run pycocoevalcap's METEOR 1.5 jar (``-l en -norm``) with a wall-clock timeout."""
    java = shutil.which("java")
    if java is None:
        return None, "skipped: java not found on PATH"
    jar = _meteor_jar()
    if jar is None:
        return None, "skipped: pycocoevalcap's meteor-1.5.jar not found"
    cmd = [java, "-jar", "-Xmx2G", str(jar), "-", "-", "-stdio", "-l", "en", "-norm"]
    try:
        proc = subprocess.Popen(
            cmd,
            cwd=str(jar.parent),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
    except OSError as exc:
        return None, f"failed: could not start java ({exc})"

    out: dict[str, Any] = {}

    def talk() -> None:
        try:
            assert proc.stdin is not None and proc.stdout is not None
            stats = []
            for key in res:
                hyp = res[key][0].replace("|||", "").replace("  ", " ")
                refs = [r.replace("|||", "") for r in gts[key]]
                line = " ||| ".join(["SCORE", " ||| ".join(refs), hyp])
                proc.stdin.write((line + "\n").encode("utf-8"))
                proc.stdin.flush()
                stats.append(proc.stdout.readline().decode("utf-8").strip())
            proc.stdin.write(("EVAL ||| " + " ||| ".join(stats) + "\n").encode("utf-8"))
            proc.stdin.flush()
            for _ in res:  # per-clip scores, then the corpus score
                float(proc.stdout.readline().strip())
            out["score"] = float(proc.stdout.readline().strip())
        except Exception as exc:  # broken pipe, empty line after a crash, …
            out["error"] = f"{type(exc).__name__}: {exc}"

    worker = threading.Thread(target=talk, daemon=True)
    worker.start()
    worker.join(timeout)
    timed_out = worker.is_alive()
    try:
        if proc.stdin is not None:
            proc.stdin.close()
    except Exception:
        pass
    proc.kill()
    proc.wait()
    worker.join(5)
    if timed_out:
        return None, f"failed: METEOR timed out after {timeout:g} s"
    if "score" not in out:
        return None, f"failed: METEOR did not return a score ({out.get('error', 'unknown error')})"
    score = out["score"]
    if not math.isfinite(score):
        return None, "failed: METEOR returned a non-finite score"
    return score, "METEOR 1.5 (-l en -norm)"


def _bertscore(
    cands: list[str],
    refs: list[list[str]],
    model_dir: str | os.PathLike | None,
    baseline_path: str | os.PathLike | None,
    num_layers: int,
    batch_size: int,
    device: str | None,
) -> tuple[float | None, str]:
    """Mean F1 (max over references) with a local model; never downloads anything."""
    if model_dir is None:
        return None, "skipped: no --bertscore-model given"
    model_path = Path(model_dir)
    if not model_path.is_dir():
        return None, f"skipped: BERTScore model directory {str(model_path)!r} does not exist"
    try:
        import bert_score  # type: ignore
    except Exception:
        return None, "skipped: bert-score is not installed (pip install 'm2t-interpret[bertscore]')"

    if baseline_path is None:
        # bert-score ships baselines keyed by hub name; the local copy is expected to be roberta-large.
        shipped = Path(bert_score.__file__).parent / "rescale_baseline" / "en" / "roberta-large.tsv"
        baseline_path = shipped if shipped.is_file() else None
    elif not Path(baseline_path).is_file():
        baseline_path = None
    rescale = baseline_path is not None

    saved = {k: os.environ.get(k) for k in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    try:
        _, _, f1 = bert_score.score(
            cands,
            refs,
            model_type=str(model_path),
            num_layers=num_layers,
            idf=True,
            lang="en",
            rescale_with_baseline=rescale,
            baseline_path=None if baseline_path is None else str(baseline_path),
            batch_size=batch_size,
            device=device,
            verbose=False,
        )
        value = float(f1.mean())
    except Exception as exc:
        return None, f"failed: BERTScore raised {type(exc).__name__}: {exc}"
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    note = f"layer {num_layers}, idf, max over references, mean F1"
    note += ", rescaled with baseline" if rescale else ", baseline rescaling skipped: no baseline file"
    return value, note


# --------------------------------------------------------------------------------------------
# Main entry point
# --------------------------------------------------------------------------------------------


def caption_scores(
    predictions: Mapping[str, str],
    references: Mapping[str, Sequence[str]],
    protocol: str = "project",
    bertscore_model: str | os.PathLike | None = None,
    *,
    meteor: bool | None = None,
    meteor_timeout: float = 300.0,
    bertscore_baseline: str | os.PathLike | None = None,
    bertscore_layers: int = 17,
    bertscore_batch_size: int = 64,
    device: str | None = None,
    log: Callable[[str], None] | None = None,
) -> CaptionScores:
    """Score ``predictions`` (clip id → caption) against ``references`` (clip id → captions).

    ``log`` is told before the slow scorers start (METEOR's Java process takes ~15 s, BERTScore
    loads a model), so a caller can show that work is going on.

    ``meteor``: ``None`` = run METEOR when Java is found; ``True`` = try it (still ``None`` with a
    reason if Java is absent or it fails); ``False`` = skip. ``bertscore_model``: a local model
    directory (e.g. a saved roberta-large); BERTScore is skipped, with a reason, otherwise.
    Raises :class:`M2TError` on empty predictions, predicted ids without references, clips with no
    references, and (``tm2t``) clips with fewer than 3 references.
    """
    # pycocoevalcap loads its scorers (and Java lookups) only when scores are computed
    from pycocoevalcap.bleu.bleu import Bleu
    from pycocoevalcap.cider.cider import Cider
    from pycocoevalcap.rouge.rouge import Rouge

    proto = _get_protocol(protocol)
    gts, res = prepare_captions(predictions, references, proto)

    bleu, _ = Bleu(4).compute_score(gts, res, verbose=0)
    rouge, _ = Rouge().compute_score(gts, res)
    cider, _ = Cider().compute_score(gts, res)

    if meteor is False:
        meteor_value, meteor_note = None, "skipped: disabled (meteor=False)"
    elif meteor is None and shutil.which("java") is None:
        meteor_value, meteor_note = None, "skipped: java not found on PATH"
    else:
        if log is not None:
            log(f"computing METEOR with Java on {len(res)} clips (about 15 s; --no-meteor skips it) …")
        meteor_value, meteor_note = _meteor_score(gts, res, meteor_timeout)
    if bertscore_model is not None and log is not None:
        log(f"computing BERTScore with {bertscore_model} …")

    keys = list(res)
    bs_value, bs_note = _bertscore(
        [res[k][0] for k in keys],
        [gts[k] for k in keys],
        bertscore_model,
        bertscore_baseline,
        bertscore_layers,
        bertscore_batch_size,
        device,
    )

    return CaptionScores(
        bleu1=float(bleu[0]),
        bleu4=float(bleu[3]),
        rouge_l=float(rouge),
        cider=float(cider),
        meteor=meteor_value,
        bertscore=bs_value,
        n_clips=len(res),
        protocol=proto.name,
        protocol_description=proto.description,
        meteor_note=meteor_note,
        bertscore_note=bs_note,
    )


# --------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------


def write_predictions(
    path: str | os.PathLike,
    ids: Sequence[str],
    predictions: Mapping[str, str] | Sequence[str],
    references: Mapping[str, Sequence[str]] | Sequence[Sequence[str]],
) -> Path:
    """Write ``id, prediction, ref_1 … ref_K`` to a CSV that quotes every field, atomically.

    ``predictions`` / ``references`` are mappings by id or sequences aligned with ``ids``.
    Clips with fewer than K references have empty trailing cells. Read back with
    :func:`read_predictions`.
    """
    ids = list(ids)

    def lookup(container: Any, name: str) -> list:
        if isinstance(container, Mapping):
            missing = [i for i in ids if i not in container]
            if missing:
                raise M2TError(f"{name} lack clip id {missing[0]!r}: give one entry per id")
            return [container[i] for i in ids]
        values = list(container)
        if len(values) != len(ids):
            raise M2TError(f"{len(ids)} ids but {len(values)} {name}: give one entry per id")
        return values

    preds = lookup(predictions, "predictions")
    refs = [_as_reference_list(i, r) for i, r in zip(ids, lookup(references, "references"))]
    k = max((len(r) for r in refs), default=0)
    header = ["id", "prediction"] + [f"ref_{j + 1}" for j in range(k)]
    path = Path(path)
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, quoting=csv.QUOTE_ALL)
            writer.writerow(header)
            for clip, pred, rs in zip(ids, preds, refs):
                writer.writerow([str(clip), str(pred)] + list(rs) + [""] * (k - len(rs)))
    return path


def read_predictions(
    path: str | os.PathLike,
) -> tuple[list[str], dict[str, str], dict[str, list[str]]]:
    """Read a file written by :func:`write_predictions`: ``(ids, predictions, references)``."""
    path = Path(path)
    if not path.is_file():
        raise M2TError(f"predictions file {str(path)!r} not found")
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if not header or header[:2] != ["id", "prediction"]:
            raise M2TError(f"{str(path)!r} is not a predictions CSV (header must start id,prediction)")
        ids: list[str] = []
        preds: dict[str, str] = {}
        refs: dict[str, list[str]] = {}
        for row in reader:
            if not row:
                continue
            clip = row[0]
            ids.append(clip)
            preds[clip] = row[1] if len(row) > 1 else ""
            refs[clip] = [r for r in row[2:] if r != ""]
    return ids, preds, refs


def _md_cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def write_scores(
    path: str | os.PathLike, scores: CaptionScores | Sequence[CaptionScores]
) -> Path:
    """Write scores atomically: ``.csv`` (long table, every field quoted) or ``.md`` (×100 table)."""
    items = [scores] if isinstance(scores, CaptionScores) else list(scores)
    if not items:
        raise M2TError("no scores to write")
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        # pandas only for writing tables: the metrics themselves need none
        import pandas as pd

        frame = pd.concat([s.to_dataframe() for s in items], ignore_index=True)
        with atomic_path(path) as tmp:
            frame.to_csv(tmp, index=False, quoting=csv.QUOTE_ALL)
    elif suffix in (".md", ".markdown"):
        lines = [
            "| Metric | ×100 | Note | Protocol | Clips | Lost |",
            "|---|---:|---|---|---:|---:|",
        ]
        for s in items:
            for row in s.to_dataframe().itertuples(index=False):
                value = "n/a" if row.value is None or row.value != row.value else f"{row.value_x100:.1f}"
                lines.append(
                    "| "
                    + " | ".join(
                        _md_cell(c)
                        for c in (row.metric, value, row.note, row.protocol_description, row.n_clips,
                                  "n/a" if s.n_lost is None else s.n_lost)
                    )
                    + " |"
                )
        with atomic_path(path) as tmp:
            tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    else:
        raise M2TError(f"unsupported scores file type {path.suffix!r}: use .csv or .md")
    return path
