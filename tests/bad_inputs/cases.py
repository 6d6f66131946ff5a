"""The bad-input catalogue: one row per case, run through the real CLI by test_bad_inputs.py.

Columns of :func:`C`:

* ``id`` — the case's name (the pytest id).
* ``args`` — the command line after ``m2t-interpret`` (split like a shell). ``@name`` is a shared
  input made by ``inputs.build_inputs`` (tiny models, broken files, corpora, runs); any other path
  is relative to the row's own empty working folder, which is the command's working directory.
* ``code`` — the expected exit code: 2 bad input, 130 interrupted, 0 for the control rows (a warning
  or an allowed replacement).
* ``phrase`` — text the one stderr line must contain (for code 0: stdout or stderr).
* ``allowed`` — glob patterns (working folder) of what may be created, changed or removed; every
  other path there, and every shared input, must be unchanged afterwards.
* ``setup`` — recipes that prepare the working folder first (``inputs.setup_work``): ``userdir:X``
  a user's folder holding notes.txt, ``file:X`` a user's file, ``dir:X`` an empty folder,
  ``noimport:M`` a module M.py raising ImportError (a missing optional package, in a ``sub`` row),
  ``ro:X`` an unwritable folder, ``copy:INPUT:X`` a copy of a shared input, ``put:X`` a user's file.
* ``run`` — ``in``: ``main(argv)`` in this process with stdout/stderr captured (fast; the same entry
  point as the console script); ``sub``: ``python -m m2t_interpret.cli`` in a subprocess;
  ``nodac``: a subprocess without CAP_DAC_OVERRIDE when running as root, so permission bits apply
  (``setpriv``, see README.md); ``sigint:PATH``: a subprocess sent SIGINT once PATH exists (PATH may be a
  glob pattern, e.g. a file inside a temporary folder whose name is random).

Progress bars are drawn only when stderr is a terminal (never here); a code-0 row whose phrase starts
with ``warning: `` expects exactly that one warning line on stderr.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass


@dataclass(frozen=True)
class Case:
    id: str
    args: tuple[str, ...]
    code: int
    phrase: str
    allowed: tuple[str, ...] = ()
    setup: tuple[str, ...] = ()
    run: str = "in"


def C(id: str, args: str, code: int, phrase: str, allowed: str = "", setup: str = "", run: str = "in") -> Case:
    return Case(id, tuple(shlex.split(args)), code, phrase, tuple(allowed.split()), tuple(setup.split()), run)


M = "--model @tiny.pt"
EV = "evaluate --model @tiny.pt --data @corpus --no-meteor --no-progress"
TR = "train --config @tiny.toml --no-progress"
AN = "--model @tiny.pt --data @corpus --no-progress --format csv"
CONVERT = "convert @authors.ckpt --vocab @vocab.json"
FG = "figures --model @tiny.pt --data @corpus --no-progress --format csv"
# the shipped model forced on the corpus's training captions (the tiny model's words are made up)
WORDS = "--data @corpus --split train --decode forced --no-progress --format csv --out out"

CASES = [
    # --- motions (caption) --------------------------------------------------------------------
    C("motion-missing", f"caption missing.npy {M}", 2, "motion file not found: missing.npy"),
    C("motion-folder", f"caption @folder.npy {M}", 2, "is a folder, not a .npy file"),
    C("motion-empty-file", f"caption @empty.npy {M}", 2, "empty.npy is empty (0 bytes)"),
    C("motion-text-renamed-npy", f"caption @text.npy {M}", 2, "is not a .npy file (no NumPy header"),
    C("motion-npz-archive", f"caption @arrays.npz {M}", 2, "is an .npz archive (arrays: joints, fps)"),
    C("motion-object-array", f"caption @objects.npy {M}", 2, "holds Python objects"),
    C("motion-truncated", f"caption @truncated.npy {M}", 2, "truncated.npy is truncated or damaged"),
    C("motion-17-joints", f"caption @j17.npy {M}", 2, "has 17 joints but the model's humanml3d skeleton has 22"),
    C("motion-kit-on-default-model", "caption @kit21.npy", 2, "has 21 joints but the model's humanml3d skeleton"),
    C("motion-flat-2d", f"caption @flat.npy {M}", 2, "has shape (60, 66); expected (frames, 22, 3)"),
    C("motion-too-short", f"caption @short.npy {M}", 2, "has 5 frames; at least 8 are needed"),
    C("motion-nan", f"caption @nan.npy {M}", 2, "NaN or infinite values (first bad frame 7)"),
    C("motion-complex", f"caption @complex.npy {M}", 2, "complex.npy holds complex numbers"),
    C("motion-boolean", f"caption @bool.npy {M}", 2, "is not a numeric array (dtype bool)"),
    C("motion-scaled-1e30", f"caption @huge.npy {M}", 2, "huge.npy is absurdly scaled"),
    C("motion-integers-converted", f"caption @int.npy {M}", 0, "int.npy holds integers (int32)", run="sub"),
    C("motion-millimetres-converted", f"caption @mm.npy {M}", 0, "mm.npy looks like millimetres"),
    C("motion-bvh-captioned", f"caption @walk.bvh {M}", 0, "walk.bvh: "),
    C("motion-bvh-missing", f"caption missing.bvh {M}", 2, "BVH file not found: missing.bvh"),
    C("motion-bvh-unknown-rig", f"caption @oddrig.bvh {M}", 2, "oddrig.bvh: unknown rig (joints base, stalk)"),
    C("motion-bvh-short-frame-line", f"caption @shortline.bvh {M}", 2, "shortline.bvh line 19"),
    # --- import (BVH → clip or dataset) -----------------------------------------------------------
    C("import-clip", "import @walk.bvh --out walk.npy", 0, "wrote walk.npy", allowed="walk.npy .m2t-interpret.json"),
    C("import-out-user-file", "import @walk.bvh --out mine.npy", 2,
      "--out mine.npy exists and is not an earlier imported clip", setup="file:mine.npy"),
    C("import-out-not-npy", "import @walk.bvh --out walk.txt", 2, "--out walk.txt should name a .npy file"),
    C("import-missing-file", "import missing.bvh --out m.npy", 2, "motion file not found: missing.bvh"),
    C("import-not-bvh", "import @notes.txt --out m.npy", 2, "is not a .bvh file"),
    C("import-unknown-rig", "import @oddrig.bvh --out m.npy", 2, "oddrig.bvh: unknown rig (joints base, stalk)"),
    C("import-short-frame-line", "import @shortline.bvh --out m.npy", 2, "shortline.bvh line 19"),
    C("import-bad-skeleton", "import @walk.bvh --skeleton smpl --out m.npy", 2, "smpl"),
    C("import-cut-past-end", "import @walk.bvh --start 5 --out m.npy", 2, "walk.bvh"),
    C("import-folder-without-captions", "import mine --out ds", 2, "give its caption table with --captions",
      setup="userdir:mine"),
    C("import-captions-for-a-file", "import @walk.bvh --captions c.csv --out m.npy", 2,
      "--captions, --window and --hop are for a folder"),
    # --- checkpoints (--model) ----------------------------------------------------------------
    C("model-empty-file", "caption @good.npy --model @empty.pt", 2, "empty.pt is empty (0 bytes)"),
    C("model-truncated", "caption @good.npy --model @truncated.pt", 2, "truncated.pt is truncated or damaged"),
    C("model-malicious-pickle", "caption @good.npy --model @evil.pt", 2,
      "is not a checkpoint this tool can read safely", run="sub"),
    C("model-text-file", "caption @good.npy --model @text.pt", 2, "is not a PyTorch checkpoint"),
    C("model-foreign-dict", "caption @good.npy --model @foreign.pt", 2, "unknown checkpoint layout"),
    C("model-damaged-project", "caption @good.npy --model @damaged.pt", 2, "damaged m2t-interpret checkpoint"),
    C("model-unknown-name", "caption @good.npy --model synthetic-gided", 2, "no model file or shipped model"),
    C("model-folder", "caption @good.npy --model @models", 2, "is a folder, not a checkpoint file"),
    C("model-authors-without-vocab", "caption @good.npy --model @authors.ckpt", 2, "holds no vocabulary"),
    C("model-authors-wrong-vocab-size", "caption @good.npy --model @authors.ckpt --vocab @vocab_small.json "
      "--stats @stats.json", 2, "vocabulary has 20 tokens but the checkpoint's embedding has 48"),
    C("model-project-with-vocab", f"caption @good.npy {M} --vocab @vocab.json", 2, "with its own vocabulary"),
    C("model-shipped-with-stats", "caption @good.npy --model synthetic-guided --stats @stats.json", 2,
      "with its own normalisation statistics"),
    # --- vocabularies and statistics ----------------------------------------------------------
    C("vocab-duplicate-tokens", f"convert @authors.ckpt --vocab @vocab_dup.json --out x.pt", 2,
      "lists 1 token(s) more than once ('w3')"),
    C("vocab-not-a-list", "convert @authors.ckpt --vocab @vocab_dict.json --out x.pt", 2, "must be a JSON list"),
    C("vocab-broken-json", "convert @authors.ckpt --vocab @broken.json --out x.pt", 2, "is not valid JSON"),
    C("vocab-missing", "convert @authors.ckpt --vocab nope.json --out x.pt", 2, "vocabulary file not found"),
    C("stats-zero-std", f"{CONVERT} --stats @stats_zero.json --out x.pt", 2, "finite with positive std"),
    C("stats-two-axes", f"{CONVERT} --stats @stats_short.json --out x.pt", 2, "need 3 values"),
    C("convert-project-checkpoint", "convert @tiny.pt --vocab @vocab.json --out x.pt", 2,
      "is not an authors' checkpoint"),
    # --- output paths -------------------------------------------------------------------------
    C("save-user-folder", f"caption @good.npy {M} --save mine", 2, "does not hold an earlier capture; refusing",
      setup="userdir:mine"),
    C("save-existing-file", f"caption @good.npy {M} --save notes.txt", 2, "notes.txt exists and is not a folder",
      setup="file:notes.txt"),
    C("save-under-a-file", f"caption @good.npy {M} --save notes.txt/cap", 2, "is a file, not a folder",
      setup="file:notes.txt"),
    C("save-dot", f"caption @good.npy {M} --save .", 2, "refusing to write the capture over .", setup="file:keep.txt"),
    C("save-dot-empty-folder", f"caption @good.npy {M} --save .", 2, "the working folder or one above it"),
    C("save-unwritable", f"caption @good.npy {M} --save ro/cap", 2, "the folder", setup="ro:ro", run="nodac"),
    C("save-replaces-earlier-capture", f"caption @good.npy {M} --save cap", 0, "saved capture to cap",
      allowed="cap cap/*", setup="copy:capture:cap"),
    C("save-capture-plus-user-file", f"caption @good.npy {M} --save cap", 2, "plus files it did not write (notes.txt)",
      setup="copy:capture:cap put:cap/notes.txt"),
    C("save-user-folder-overwrite", f"caption @good.npy {M} --save mine --overwrite", 0, "saved capture to mine",
      allowed="mine mine/*", setup="userdir:mine"),
    C("convert-out-user-file", f"{CONVERT} --stats @stats.json --out notes.txt", 2,
      "exists and is not an earlier project checkpoint", setup="file:notes.txt"),
    C("convert-out-folder", f"{CONVERT} --out models", 2, "--out models is a folder", setup="dir:models"),
    C("convert-out-unwritable", f"{CONVERT} --out ro/x.pt", 2, "is not writable", setup="ro:ro", run="nodac"),
    C("convert-out-under-a-file", f"{CONVERT} --out notes.txt/x.pt", 2, "is a file, not a folder",
      setup="file:notes.txt"),
    C("synth-out-user-folder", "synth --out mine --clips 2 --no-progress", 2,
      "does not hold an earlier synthetic corpus", setup="userdir:mine"),
    C("synth-out-file", "synth --out notes.txt --clips 2 --no-progress", 2, "exists and is not a folder",
      setup="file:notes.txt"),
    C("synth-out-unwritable", "synth --out ro/corpus --clips 2 --no-progress", 2, "is not writable",
      setup="ro:ro", run="nodac"),
    C("synth-out-corpus-plus-user-file", "synth --out c --clips 2 --no-progress", 2,
      "plus files it did not write (notes.txt)", setup="copy:corpus:c put:c/notes.txt"),
    C("train-out-file", f"{TR} --data @corpus --out notes.txt", 2, "--out notes.txt is a file",
      setup="file:notes.txt"),
    C("train-out-user-folder", f"{TR} --data @corpus --out mine", 2, "holds files that are not from an m2t-interpret run",
      setup="userdir:mine"),
    C("train-out-unwritable", f"{TR} --data @corpus --out ro/run", 2, "is not writable", setup="ro:ro", run="nodac"),
    C("evaluate-out-file", f"{EV} --out notes.txt", 2, "--out notes.txt is a file", setup="file:notes.txt"),
    C("evaluate-out-unwritable", f"{EV} --out ro", 2, "the folder is not writable", setup="ro:ro", run="nodac"),
    C("evaluate-out-user-scores", f"{EV} --out mine", 2,
      "refusing to replace mine/scores.csv: m2t-interpret did not write it", setup="userdir:mine put:mine/scores.csv"),
    C("check-json-unwritable", "data check @corpus --no-progress --json ro/check.json", 2, "is not writable",
      setup="ro:ro", run="nodac"),
    C("check-json-user-file", "data check @corpus --no-progress --json notes.txt", 2,
      "exists and is not an earlier dataset check JSON", setup="file:notes.txt"),
    C("check-json-folder", "data check @corpus --no-progress --json mine", 2, "--json mine is a folder",
      setup="userdir:mine"),
    C("analysis-out-file", f"density {AN} --out notes.txt", 2, "--out notes.txt is a file", setup="file:notes.txt"),
    C("analysis-out-unwritable", f"parts {AN} --out ro/out", 2, "is not writable", setup="ro:ro", run="nodac"),
    # a user's file named like an output: refused when the run's files are committed, nothing touched (the
    # capture is cached before that, so the next run does not decode again)
    C("analysis-out-user-table", f"gate {AN} --out mine", 2,
      "refusing to replace mine/gate_separation.csv: m2t-interpret did not write it", allowed="cache cache/*",
      setup="userdir:mine put:mine/gate_separation.csv"),
    C("analysis-out-user-figure", "gate --model @tiny.pt --data @corpus --no-progress --format png --out mine", 2,
      "refusing to replace mine/gate.png: m2t-interpret did not write it", allowed="cache cache/*",
      setup="userdir:mine put:mine/gate.png"),
    C("compare-out-user-table", f"compare --model @tiny.pt --data @corpus --no-progress --format csv --out mine", 2,
      "refusing to replace mine/compare_scores.csv", allowed="cache cache/*",
      setup="userdir:mine put:mine/compare_scores.csv"),
    C("analysis-unknown-word", f"density {AN} --out out --word moonwalks", 2, "never occurs", allowed="cache cache/*"),
    C("analysis-misspelt-word-closest", f"density {WORDS} --word laeps", 2,  # the shipped model's words
      "the word 'laeps' never occurs in these captions; closest words that do: leaps,", allowed="cache cache/*"),
    C("analysis-unlike-word-closest-by-spelling", f"density {WORDS} --word zebra", 2,
      "closest words that do: after, ahead, leaps, before, person", allowed="cache cache/*"),
    C("analysis-bad-clip", f"map {AN} --out out --clip zzz", 2, "no clip with id 'zzz'", allowed="cache cache/*"),
    C("analysis-vocab-for-project-model", f"gate {AN} --out out --vocab @vocab.json", 2, "with its own vocabulary"),
    C("analysis-bad-format", f"density {AN} --out out --format gif", 2, "unknown --format 'gif'"),
    C("analysis-bad-shard", f"density {AN} --out out --shard 3/2", 2, "1 ≤ i ≤ n"),
    C("analysis-shard-without-cache", f"gate {AN} --out out --shard 1/2 --no-cache", 2, "drop --no-cache"),
    C("analysis-empty-shard", f"parts {AN} --out out --shard 2/2", 2, "is empty", allowed="cache cache/*"),
    C("lexicon-out-user-file", "lexicon show project --out notes.txt", 2,
      "exists and is not an earlier lexicon table", setup="file:notes.txt"),
    C("lexicon-out-unwritable", "lexicon show project --out ro/lex.csv", 2, "is not writable", setup="ro:ro",
      run="nodac"),
    # --- datasets -----------------------------------------------------------------------------
    C("check-a-file", "data check @notes.txt", 2, "is a file, not a dataset folder"),
    C("check-missing-folder", "data check nowhere", 2, "dataset folder nowhere does not exist"),
    C("check-empty-val-split", "data check @corpus_noval --no-progress", 2, "the val split lists no ids"),
    C("check-test-files-missing", "data check @corpus_testmissing --no-progress", 2,
      "the test split has no usable sample: 4 of 4 ids lost (missing new_joints/ file", run="sub"),
    C("check-negative-tolerance", "data check @corpus --tolerance -1", 2, "--tolerance must be a distance"),
    C("train-empty-val-split", f"{TR} --data @corpus_noval --out run", 2,
      "no usable validation samples in"),
    C("train-missing-motions", f"{TR} --data @corpus_missing --out run", 2,
      "the train split loses 12.5% (more than 5%)"),
    C("train-missing-motions-allowed", f"{TR} --data @corpus_missing --out run --allow-skips", 0,
      "train: 14 samples; 2 of 16 ids lost (missing new_joints/ file: 000000, 000001)", allowed="run run/*"),
    C("train-malformed-lines", f"{TR} --data @corpus_malformed --out run", 2, "6 of 48 caption lines malformed (expected 4 '#'-separated fields"),
    C("train-latin1-captions", f"{TR} --data @corpus_latin1 --out run", 2, "not valid UTF-8 (byte 0xe9"),
    C("train-data-is-a-file", f"{TR} --data @notes.txt --out run", 2, "--data", ),
    C("train-data-missing", f"{TR} --data nowhere --out run", 2, "dataset folder not found: nowhere"),
    # --- temporal supervision: segment tables, BABEL conversion -----------------------------------
    C("train-segment-loss-without-table", f"{TR} --data @corpus --out run --lambda-segment 2", 2,
      "lambda_segment > 0 needs a segment table"),
    C("train-table-without-segment-loss", f"{TR} --data @corpus --out run --segments auto", 2,
      "a segment table is read only for the segment loss"),
    C("train-segments-missing", f"{TR} --data @corpus --out run --segments none.csv --lambda-segment 1", 2,
      "segment table not found: none.csv"),
    C("train-segments-no-text-column", f"{TR} --data @corpus --out run --segments @segments_nocolumn.csv "
      "--lambda-segment 1", 2, "lacks the column(s) text"),
    C("train-segments-end-before-start", f"{TR} --data @corpus --out run --segments @segments_badtime.csv "
      "--lambda-segment 1", 2, "segments_badtime.csv"),
    C("train-segments-match-nothing", f"{TR} --data @corpus --out run --segments @segments_nomatch.csv "
      "--lambda-segment 1", 2, "no caption word of the training split matches a segment"),
    C("train-order-lambda-negative", f"{TR} --data @corpus --out run --lambda-order -1", 2, "lambda_order"),
    C("babel-not-json", "data babel-segments @babel_bad.json --index @index.csv --out seg.csv", 2,
      "is not valid JSON"),
    C("babel-not-a-mapping", "data babel-segments @babel_list.json --index @index.csv --out seg.csv", 2,
      "babel_list.json"),
    C("babel-missing", "data babel-segments none.json --index @index.csv --out seg.csv", 2,
      "BABEL file not found: none.json"),
    C("babel-index-not-humanml3d", "data babel-segments @babel_none.json --index @index_bad.csv --out seg.csv", 2,
      "is not HumanML3D's index.csv"),
    C("babel-out-user-file", "data babel-segments @babel_bad.json --index @index.csv --out notes.txt", 2,
      "notes.txt", setup="file:notes.txt"),
    C("evaluate-kit-model-on-22-joints", "evaluate --model @tiny_kit.pt --data @corpus --no-meteor --no-progress", 2,
      "4 of 4 ids lost (22 joints but the kit skeleton has 21: 000002"),
    C("evaluate-missing-split", f"{EV} --split nosplit", 2, "no split file"),
    C("evaluate-non-utf8-caption-file", "evaluate --model @tiny.pt --data @corpus_badfile --split train --limit 5 "
      "--no-meteor --allow-skips", 0, "warning: 1 of 5 ids lost (no valid caption line: 000003", run="sub"),
    C("evaluate-non-utf8-says-what-was-evaluated", "evaluate --model @tiny.pt --data @corpus_badfile --split train "
      "--limit 5 --no-meteor --allow-skips", 0, "warning: 4 samples from 5 ids"),
    # evaluate follows train's rule: a split that lost more than 5 % is not scored unless --allow-skips
    C("evaluate-most-clips-lost", "evaluate --model @tiny.pt --data @corpus_mostlost --no-meteor --out ev", 2,
      "the test split loses 80.0% (more than 5%): 3 of 4 ids lost (no valid caption line: 000002, 000007, M000002"),
    C("evaluate-most-clips-lost-suggests-allow-skips", "evaluate --model @tiny.pt --data @corpus_mostlost --no-meteor",
      2, "or pass --allow-skips to evaluate anyway"),
    C("evaluate-non-utf8-over-5-percent", "evaluate --model @tiny.pt --data @corpus_badfile --split train --limit 5 "
      "--no-meteor", 2, "the train split loses 25.0% (more than 5%): 1 of 5 ids lost (no valid caption line: 000003"),
    C("evaluate-most-clips-lost-allowed", "evaluate --model @tiny.pt --data @corpus_mostlost --no-meteor --allow-skips "
      "--out ev", 0, "n=1; lost=3 (3 of 4 ids lost (no valid caption line: ", allowed="ev ev/*"),
    C("analysis-non-utf8-caption-file", "parts --model @tiny.pt --data @corpus_badfile --split train --clips 5 "
      "--format csv --out out", 0, "warning: 1 of 5 ids lost (no valid caption line: 000003",
      allowed="out out/* cache cache/*"),
    C("lexicon-non-utf8-caption-file", "lexicon show project --data @corpus_badfile --split train", 0,
      "warning: the train split of"),
    # --- progress bars off a terminal: errors stay one line -----------------------------------
    C("check-unusable-no-bars", "data check @corpus_noval", 2, "the val split lists no ids", run="sub"),
    C("check-kit-on-22-joints-no-bars", "data check @corpus --skeleton kit", 2,
      "no sample could be loaded (train split: 16 of 16 ids lost (22 joints but the kit skeleton has 21",
      run="sub"),
    C("analysis-no-bars-off-terminal", "density --model @tiny.pt --data @corpus --format csv --out out --word zzz",
      2, "never occurs", allowed="cache cache/*", run="sub"),
    # --- saved captures (merge reads them) ----------------------------------------------------
    C("capture-arrays-missing", "merge @capture_noarrays --out m", 2,
      "is incomplete: arrays/tokens.npy, arrays/step_mask.npy, arrays/lengths.npy missing (found: dense.npz)"),
    C("capture-object-arrays", "merge @capture_objects --out m", 2, "Object arrays cannot be loaded"),
    C("capture-array-wrong-shape", "merge @capture_badshape --out m", 2, "has shape (1, 3); a capture's alpha has 4 axes"),
    C("capture-clip-table-other-clips", "merge @capture_otherclips --out m", 2,
      "clips.parquet does not list the capture's clips in order (meta.json's clip_ids); capture again"),
    # --- configs and options ------------------------------------------------------------------
    C("config-wrong-type", f"train --config @epochs_text.toml --data @corpus --out run", 2,
      "epochs_text.toml: config value epochs must be a whole number, got 'three'"),
    C("config-nan-lambdas", f"train --config @lambdas_nan.toml --data @corpus --out run", 2,
      "λ values must be finite numbers ≥ 0, got nan 1"),
    C("config-negative-lr", f"train --config @lr_negative.toml --data @corpus --out run", 2,
      "lr must be a finite number > 0"),
    C("config-unknown-key", f"train --config @unknown_key.toml --data @corpus --out run", 2,
      "unknown config keys: epohcs"),
    C("config-bad-toml", f"train --config @syntax.toml --data @corpus --out run", 2, "is not valid TOML"),
    C("config-unknown-preset", "train --config humanml4d --data @corpus --out run", 2, "no config file or preset"),
    C("option-lambdas-nan", f"{TR} --data @corpus --out run --lambdas nan 1", 2, "λ values must be finite"),
    C("option-threads-zero", f"{TR} --data @corpus --out run --threads 0", 2, "threads must be ≥ 1"),
    C("option-epochs-zero", f"{TR} --data @corpus --out run --epochs 0", 2, "epochs and batch_size must be ≥ 1"),
    C("option-decode-unknown", f"{EV} --decode nucleus", 2, "unknown --decode 'nucleus'"),
    C("option-decode-forced", f"{EV} --decode forced", 2, "evaluate scores generated captions"),
    C("option-beam-zero", f"{EV} --beam 0", 2, "--beam must be ≥ 1"),
    C("option-protocol-unknown", f"{EV} --protocol coco", 2, "unknown --protocol 'coco'"),
    C("option-caption-forced", f"caption @good.npy {M} --decode forced", 2, "no reference captions to force"),
    C("option-beta-out-of-range", f"caption @good.npy {M} --beta 3", 2, "--beta must lie in [0, 1]"),
    C("option-unknown-device", f"caption @good.npy {M} --device tpu9", 2, "unknown device 'tpu9'"),
    C("option-misspelt", f"caption @good.npy {M} --decod greedy", 2, "No such option: --decod", run="sub"),
    C("option-synth-no-clips", "synth --out c --clips 0", 2, "--clips must be at least 1"),
    # --- interrupted runs and resume ----------------------------------------------------------
    C("resume-missing-folder", f"{TR} --data @corpus --out run --resume", 2,
      "nothing to resume: run does not exist", run="sub"),
    C("resume-empty-folder", f"{TR} --data @corpus --out run --resume", 2, "nothing to resume: run is empty",
      setup="dir:run"),
    C("resume-no-last-pt", f"{TR} --data @corpus --out run --resume", 2, "nothing to resume in run: no last.pt",
      setup="copy:run_nolast:run"),
    C("resume-truncated-state", f"{TR} --data @corpus --out run --resume", 2, "is truncated or damaged",
      setup="copy:run_truncated:run"),
    C("resume-foreign-state", f"{TR} --data @corpus --out run --resume", 2,
      "is not a training state written by m2t-interpret", setup="copy:run_foreign:run"),
    C("resume-needed", f"{TR} --data @corpus --out run", 2, "already holds a run; pass --resume",
      setup="copy:run_done:run"),
    C("resume-finished-run", f"{TR} --data @corpus --out run --resume", 0, "already finished its 1 epochs",
      allowed="run/skipped.json run/.m2t-interpret.json", setup="copy:run_done:run"),
    C("train-restart-unfinished-run", f"{TR} --data @corpus --out run", 0, "best validation BLEU-4",
      allowed="run run/*", setup="copy:run_nolast:run"),
    # epochs of the tiny run take milliseconds: enough of them that a busy machine's poll still finds it running
    C("interrupt-then-how-to-resume", f"{TR} --data @corpus --out run --epochs 100000", 130,
      "of 100000; the finished epochs are kept in run; continue with: m2t-interpret train --out run --resume",
      allowed="run run/*", run="sigint:run/curves.png"),
    # a corpus is written whole into a temporary folder: interrupted, nothing of it is left
    C("interrupt-synth-keeps-nothing", "synth --out c --clips 20000 --no-progress", 130,
      "interrupted: synth stopped; nothing was written to c", run="sigint:.c.*.tmp"),
    C("interrupt-analysis-while-generating-data", f"density {M} --seed 7 --out out --no-progress", 130,
      "interrupted: density stopped; nothing was written to out; the cache keeps only finished entries",
      allowed="cache cache/.locks cache/.locks/*", run="sigint:cache/.synthetic-heldout-seed7-v*.tmp"),
    # --- attribution (attribute, faithfulness, sanity) ----------------------------------------
    C("attribute-unknown-method", f"attribute {AN} --out out --method lime", 2, "unknown attribution method 'lime'"),
    C("attribute-unknown-target", f"attribute {AN} --out out --target sigma", 2, "unknown attribution target 'sigma'"),
    C("attribute-missing-clip", f"attribute {AN} --out out --clip zzz", 2, "no clip 'zzz' in split test"),
    C("attribute-shapley-partial-mask", f"attribute {AN} --out out --method shapley --feature-mask @mask_partial.json",
      2, "feature mask does not cover every joint"),
    C("faithfulness-unknown-method", f"faithfulness {AN} --out out --method lime", 2, "unknown attribution method"),
    C("sanity-unknown-target", f"sanity {AN} --out out --target sigma", 2, "unknown attribution target"),
    # --- clip views (animate, explore) ----------------------------------------------------------
    C("animate-unknown-clip", f"animate {M} --data @corpus --clip zzz --out a.gif", 2, "no clip 'zzz' in split test"),
    C("animate-unknown-word", "animate --data @corpus --clip 0 --word dance --out a.gif", 2,  # the shipped model
      "no word 'dance' in the caption of clip 000002: \"a "),
    C("animate-bad-format", f"animate {M} --data @corpus --clip 0 --format avi --out a.avi", 2,
      "unknown animation format 'avi'; use gif or mp4"),
    C("animate-unknown-camera", f"animate {M} --data @corpus --clip 0 --camera orbit --out a.gif", 2,
      "unknown camera 'orbit'; use follow"),
    C("animate-mp4-without-video-extra", f"animate {M} --data @corpus --clip 0 --out a.mp4", 2,
      "MP4 needs the optional video extra (imageio-ffmpeg): pip install 'm2t-interpret[video]'",
      allowed="__pycache__ __pycache__/*", setup="noimport:imageio_ffmpeg", run="sub"),
    C("animate-out-user-file", f"animate {M} --data @corpus --clip 0 --out a.gif", 2,
      "exists and is not an earlier animation", setup="file:a.gif"),
    C("animate-out-folder", f"animate {M} --data @corpus --clip 0 --out a.gif", 2, "is a folder",
      setup="userdir:a.gif"),
    C("explore-unknown-clip", f"explore {M} --data @corpus --clip 0,zzz --out page.html", 2,
      "no clip 'zzz' in split test"),
    C("explore-clips-is-a-deprecated-alias", f"explore {M} --data @corpus --clips 0 --attribution none "
      "--out page.html", 0, "warning: explore --clips is deprecated",
      allowed="page.html .m2t-interpret.json cache cache/*"),
    C("explore-bad-attribution", f"explore {M} --data @corpus --attribution lime --out page.html", 2,
      "--attribution must be one of"),
    C("explore-out-user-file", f"explore {M} --data @corpus --out page.html", 2,
      "exists and is not an earlier explorer page", setup="file:page.html"),
    # --- figures (the paper's figures and tables) ---------------------------------------------
    C("figures-out-user-folder", f"{FG} --out mine", 2, "holds files not written by `m2t-interpret figures`",
      setup="userdir:mine"),
    C("figures-out-earlier-plus-user-file", f"{FG} --only table2_captions --out out", 2,
      "holds an earlier figures output plus files it did not write (notes.txt)",
      setup="copy:figures_done:out put:out/notes.txt"),
    C("figures-out-file", f"{FG} --out notes.txt", 2, "exists and is not a folder", setup="file:notes.txt"),
    C("figures-unknown-model", "figures --model nosuch --data @corpus --out f", 2,
      "no model file or shipped model named 'nosuch'"),
    C("figures-runs-missing", f"{FG} --only table1_sweep --runs nowhere --out f", 2, "--runs nowhere: no such folder"),
    C("figures-runs-not-sweep", f"{FG} --only table1_sweep --runs mine --out f", 2, "not a sweep folder",
      setup="userdir:mine"),
    C("figures-unknown-clip", f"{FG} --clip zzz --out f", 2, "no clip 'zzz' in split test"),
    C("figures-unknown-figure", f"{FG} --only fig9 --out f", 2, "unknown figure 'fig9'"),
    C("figures-bad-plotlyjs", f"{FG} --plotlyjs cdn --out f", 2, "unknown --plotlyjs 'cdn'"),
    C("analysis-bad-plotlyjs", f"density {AN} --out out --plotlyjs cdn", 2, "unknown --plotlyjs 'cdn'"),
    C("analysis-bad-width", f"density {AN} --out out --width wide", 2, "--width wide: use column (3.35 in), text (7 in)"),
    C("analysis-width-too-narrow", f"hist {AN} --out out --width 1", 2, "or a width in inches from 2.5 to 20"),
    C("figures-bad-width", f"{FG} --width 30 --out f", 2, "--width 30: use column"),
    C("figures-replace-earlier-output", f"{FG} --only table2_captions --out out", 0, "wrote",
      allowed="out out/* cache cache/*", setup="copy:figures_done:out"),
    # --- the cache command ($M2T_INTERPRET_CACHE is the row's cache/) ---------------------------
    C("cache-clear-unconfirmed", "cache clear", 2, "pass --yes to confirm (there is no terminal to ask on)",
      setup="copy:capture:cache/captures/0123"),
    C("cache-clear-unknown-option", "cache clear --all", 2, "No such option: --all"),
    C("cache-prune-negative-days", "cache prune --older-than -1", 2, "--older-than must be a number of days ≥ 0"),
    C("cache-prune-nan-days", "cache prune --older-than nan", 2, "--older-than must be a number of days ≥ 0"),
    C("cache-prune-days-not-a-number", "cache prune --older-than soon", 2, "Invalid value for '--older-than'"),
    C("cache-read-only", f"parts {AN} --out out", 0, "warning: could not cache the capture in", allowed="out out/*",
      setup="ro:cache", run="nodac"),
    C("cache-is-a-file", "cache list", 2, "is a file, not a folder; set M2T_INTERPRET_CACHE", setup="file:cache"),
    C("cache-clear-keeps-user-files", "cache clear --yes", 0, "not written by m2t-interpret (notes.txt)",
      allowed="cache/captures* cache/.locks*", setup="copy:capture:cache/captures/0123 put:cache/notes.txt"),
    C("cache-prune-keeps-user-folder", "cache prune --older-than 0", 0, "not written by m2t-interpret (mine)",
      allowed="cache/captures* cache/.locks*", setup="copy:capture:cache/captures/0123 userdir:cache/mine"),
]
