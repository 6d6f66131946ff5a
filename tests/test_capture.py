"""Capture invariants, decoding modes and the result object."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from m2t_interpret import M2TError
from m2t_interpret.capture import CaptureResult, attention_hooks, hooks
from conftest import random_motions, tiny_model


@pytest.fixture(scope="module")
def model():
    return tiny_model(vocab_size=24, max_steps=12)


@pytest.fixture(scope="module")
def batch(model):
    return model.preprocess(random_motions(5, lengths=[40, 90, 56, 61, 77]))


@pytest.fixture(scope="module")
def greedy_result(model, batch):
    return model.decode(*batch, mode="greedy", clip_ids=list("abcde"))


def test_alpha_sums_to_one_on_valid_frames_and_zero_on_padding(greedy_result):
    r = greedy_result
    for n in range(r.n_clips):
        for s in np.nonzero(r.step_mask[n])[0]:
            t = r.lengths[n]
            np.testing.assert_allclose(r.alpha[n, s, :t].sum(-1), 1.0, atol=1e-5)
            assert np.all(r.alpha[n, s, t:] == 0)


def test_gamma_is_softmax_over_valid_frames_and_window_peaks_at_mu(greedy_result):
    r = greedy_result
    for n in range(r.n_clips):
        t = r.lengths[n]
        for s in np.nonzero(r.step_mask[n])[0]:
            np.testing.assert_allclose(r.gamma[n, s, :t].sum(), 1.0, atol=1e-5)
            assert np.all(r.gamma[n, s, t:] == 0)
            assert int(np.argmax(r.window[n, s, :t])) == int(np.round(r.mu[n, s]))
            assert r.window[n, s].max() <= 1.0 + 1e-6
            assert 0 <= r.mu[n, s] <= t - 1 and r.sigma[n, s] > 0


def test_forced_on_greedy_caption_gives_same_attention(model, batch, greedy_result):
    r = greedy_result
    caps = torch.from_numpy(np.where(r.tokens < 0, 0, r.tokens))
    caps = torch.cat([torch.ones(len(caps), 1, dtype=torch.long), caps], 1)
    f = model.decode(*batch, mode="forced", captions=caps)
    m = r.step_mask
    np.testing.assert_array_equal(f.tokens[m], r.tokens[m])
    for name in ("alpha", "window", "beta", "mu", "sigma", "logits"):
        np.testing.assert_allclose(getattr(f, name)[m], getattr(r, name)[m], atol=1e-5, err_msg=name)


def test_beam_size_one_is_greedy(model, batch, greedy_result):
    b = model.decode(*batch, mode="beam", beam_size=1)
    assert b.captions == greedy_result.captions
    np.testing.assert_allclose(b.beta[b.step_mask], greedy_result.beta[greedy_result.step_mask], atol=1e-5)


def test_beam_returns_n_best_sorted(model, batch):
    b = model.decode(*batch, mode="beam", beam_size=3, n_best=3)
    assert len(b.n_best) == 5
    for clip, hyps in enumerate(b.n_best):
        assert 1 <= len(hyps) <= 3
        scores = [s for _, s in hyps]
        assert scores == sorted(scores, reverse=True)
        best_ids = [i for i in hyps[0][0]]
        assert list(b.tokens[clip][: len(best_ids)]) == best_ids
    assert b.alpha.shape[:2] == b.tokens.shape


def test_beam_score_not_worse_than_greedy(model, batch, greedy_result):
    b = model.decode(*batch, mode="beam", beam_size=4)
    g = greedy_result.to_dataframe().groupby("clip")["log_prob"].mean()
    bb = b.to_dataframe().groupby("clip")["log_prob"].mean()
    ended = [n for n in range(5) if (greedy_result.tokens[n] == 2).any()]
    for n in ended:
        assert bb[n] >= g[n] - 1e-5


def test_capture_off_gives_same_tokens_and_no_attention(model, batch, greedy_result):
    r = model.decode(*batch, capture=False)
    np.testing.assert_array_equal(r.tokens, greedy_result.tokens)
    assert r.alpha is None and not r.captured
    df = r.to_dataframe()
    assert "beta" not in df and len(df) == greedy_result.step_mask.sum()
    with pytest.raises(M2TError):
        r.intervals()


def test_hooks_are_removed(model, batch):
    with attention_hooks(model) as rec:
        model.decode(*batch, capture=False, max_steps=3)
    assert len(rec["alpha"]) == 3 and len(rec["beta"]) == 3
    for point in model.hook_points().values():
        assert not point._forward_hooks


def test_every_hook_point_is_named_and_recordable(model, batch):
    from m2t_interpret.model.hooks import HOOK_POINTS

    assert set(model.hook_points()) == set(HOOK_POINTS)
    r = model.decode(*batch, record=list(HOOK_POINTS), max_steps=4)
    n, s = r.tokens.shape
    assert r.extra["context"].shape == (n, s, model.config.hidden)
    assert r.extra["gate_motion"].shape == r.extra["gate_state"].shape == (n, s, model.config.attn_dim)
    assert r.extra["h_bottom"].shape == r.extra["h_top"].shape == (n, s, model.config.hidden)
    with pytest.raises(M2TError, match="unknown hook point"):
        model.decode(*batch, record=["nope"])


def test_decode_settings_object_and_keywords_decode_alike(model, batch):
    """One DecodeSettings stands for the keywords; keywords given beside it override its fields."""
    import inspect

    from m2t_interpret.model import DecodeSettings

    settings = DecodeSettings(mode="beam", beam_size=3, n_best=2, max_steps=6, clip_ids=list("abcde"))
    by_keywords = model.decode(*batch, mode="beam", beam_size=3, n_best=2, max_steps=6, clip_ids=list("abcde"))
    by_settings = model.decode(*batch, settings=settings)
    np.testing.assert_array_equal(by_settings.tokens, by_keywords.tokens)
    assert by_settings.meta["decoding"] == by_keywords.meta["decoding"] and by_settings.clip_ids == list("abcde")
    pinned = model.decode(*batch, settings=settings, beta=1.0)  # the keyword overrides; the object is unchanged
    assert pinned.beta_pinned == 1.0 and settings.beta is None
    assert np.all(pinned.beta[pinned.step_mask] == 1.0)
    # help() and notebooks list every field as a keyword of decode
    listed = inspect.signature(model.decode).parameters
    assert {"settings", "mode", "captions", "beam_size", "references"} <= set(listed)
    with pytest.raises(TypeError, match="unexpected keyword argument 'beam_width'"):
        model.decode(*batch, beam_width=2)
    with pytest.raises(TypeError):  # the options are keywords only
        model.decode(*batch, "beam")
    with pytest.raises(TypeError, match="DecodeSettings"):
        model.decode(*batch, settings={"mode": "beam"})


def test_pinned_beta_is_a_replace_hook(model, batch):
    r = model.decode(*batch, beta=1.0)
    assert np.all(r.beta[r.step_mask] == 1.0)
    assert r.meta["decoding"]["beta"] == 1.0
    same = model.decode(*batch, replace={"beta": 1.0})
    np.testing.assert_array_equal(same.tokens, r.tokens)
    for point in model.hook_points().values():
        assert not point._forward_hooks
    with pytest.raises(M2TError):
        model.decode(*batch, beta=1.5)


def test_replacing_alpha_ablates_a_part(model, batch, greedy_result):
    """Zeroing a part through the alpha hook changes the context and is recorded as replaced."""
    import torch

    col = model.skeleton.part_names.index("left_arm")

    def drop(a):
        a = a.clone()
        a[..., col] = 0
        return a

    r = model.decode(*batch, replace={"alpha": drop}, record=["alpha", "context"], max_steps=5)
    assert np.all(r.alpha[..., col] == 0)
    base = model.decode(*batch, record=["context"], max_steps=5)
    assert not np.allclose(r.extra["context"][:, 0], base.extra["context"][:, 0])
    with hooks(model, record=["window"], replace={"window": lambda w: torch.zeros_like(w)}) as rec:
        model.decode(*batch, capture=False, max_steps=2)
    assert float(rec.stacked()["window"].abs().max()) == 0.0


def test_merge_of_chunks_equals_whole(model, batch, greedy_result):
    x, lengths = batch
    a = model.decode(x[:2], lengths[:2], clip_ids=list("ab"), data_fingerprint="d")
    b = model.decode(x[2:], lengths[2:], clip_ids=list("cde"), data_fingerprint="d")
    merged = CaptureResult.concat([a, b])
    assert merged.clip_ids == list("abcde")
    whole = greedy_result
    m = whole.step_mask
    np.testing.assert_array_equal(merged.step_mask[:, : m.shape[1]], m)
    for name in ("tokens", "beta", "mu"):
        got = getattr(merged, name)[:, : m.shape[1]]
        np.testing.assert_allclose(got[m], getattr(whole, name)[m], atol=1e-5, err_msg=name)
    t = int(max(lengths[:2]))
    np.testing.assert_allclose(merged.alpha[:2, :, :t][m[:2]], whole.alpha[:2, :, :t][m[:2]], atol=1e-5)
    with pytest.raises(M2TError, match="share clip ids"):
        CaptureResult.concat([a, a])
    other = tiny_model(vocab_size=24, max_steps=12, seed=3)
    with pytest.raises(M2TError, match="different models"):
        CaptureResult.concat([a, other.decode(x[2:], lengths[2:], clip_ids=list("cde"))])


def test_meta_records_fingerprints_and_settings(model, batch, greedy_result):
    meta = greedy_result.meta
    assert meta["model_fingerprint"] == model.fingerprint()
    assert len(meta["data_fingerprint"]) == 16
    assert meta["decoding"]["mode"] == "greedy" and meta["package_version"]
    # logits are optional; the top-k and chosen log-probability are always kept
    small = model.decode(*batch, keep_logits=False, top_k=3)
    assert small.logits is None and small.topk_ids.shape[-1] == 3
    np.testing.assert_allclose(small.topk_log_probs[..., 0][small.step_mask],
                               greedy_result.log_probs[greedy_result.step_mask], atol=1e-5)


def test_dataframe_columns_and_values(greedy_result):
    """Part columns are named by part; HumanML3D's checkpoint column 3 is the left arm."""
    r = greedy_result
    df = r.to_dataframe()
    assert len(df) == int(r.step_mask.sum())
    for col in ["clip_id", "step", "token_id", "word", "log_prob", "beta", "mu", "sigma", "mu_s",
                "sigma_s", "onset_s", "offset_s", "attn_left_arm", "peak_right_leg", "top_part"]:
        assert col in df.columns, col
    attn = df[[c for c in df.columns if c.startswith("attn_")]].to_numpy()
    np.testing.assert_allclose(attn.sum(1), 1.0, atol=1e-5)
    assert (df["onset_s"] <= df["mu_s"] + 1e-9).all() and (df["mu_s"] <= df["offset_s"] + 1e-9).all()
    assert set(df["top_part"]) <= {"root", "torso", "left_arm", "right_arm", "left_leg", "right_leg"}
    # model frame i is raw frame 2i+1 at 20 fps
    np.testing.assert_allclose(df["mu_s"], (2 * df["mu"] + 1) / 20.0, rtol=1e-6)
    row = df.iloc[0]
    n, s = int(row["clip"]), int(row["step"])
    tw = (r.alpha[n, s] * r.window[n, s, :, None])[: r.lengths[n]].sum(0) / r.window[n, s, : r.lengths[n]].sum()
    # HumanML3D checkpoint column 3 is the left arm
    assert row["attn_left_arm"] == pytest.approx(tw[3], abs=1e-5)
    peak = (r.alpha[n, s] * r.window[n, s, :, None])[: r.lengths[n]].max(0)
    assert row["peak_right_arm"] == pytest.approx(peak[2], abs=1e-6)
    # the interval is where Γ ≥ 1/2: μ ± σ·√(2 ln 2), clipped to the clip
    half = row["sigma"] * np.sqrt(2 * np.log(2))
    lo = max(row["mu"] - half, 0.0)
    assert row["onset_s"] == pytest.approx((2 * lo + 1) / 20.0, abs=1e-6)


def test_select_and_tokens_of(greedy_result):
    sub = greedy_result.select(["b", 3])
    assert sub.clip_ids == ["b", "d"]
    np.testing.assert_array_equal(sub.tokens, greedy_result.tokens[[1, 3]])
    word = greedy_result.to_dataframe()["word"].iloc[0]
    rows = greedy_result.tokens_of(word)
    assert len(rows) >= 1 and (rows["word"] == word).all()
    with pytest.raises(M2TError):
        greedy_result.select("zzz")


def test_save_load_round_trip(greedy_result, tmp_path):
    path = greedy_result.save(tmp_path / "cap")
    assert (path / "tokens.parquet").exists() and (path / "arrays" / "alpha.npy").exists()
    loaded = CaptureResult.load(path)
    pd.testing.assert_frame_equal(loaded.to_dataframe(), greedy_result.to_dataframe())
    np.testing.assert_array_equal(loaded.alpha, greedy_result.alpha)
    assert loaded.captions == greedy_result.captions
    assert loaded.meta == greedy_result.meta
    greedy_result.save(path)  # replacing an earlier capture works
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cap"]
    with pytest.raises(M2TError):
        CaptureResult.load(tmp_path / "nothing")


def test_load_reads_version_2_and_memory_maps_large_arrays(greedy_result, tmp_path, monkeypatch):
    import json

    import m2t_interpret.result as result_module

    path = greedy_result.save(tmp_path / "cap")
    monkeypatch.setattr(result_module, "MMAP_BYTES", 1)  # every array counts as large
    mapped = CaptureResult.load(path)
    assert isinstance(mapped.alpha, np.memmap) and not mapped.alpha.flags.writeable
    pd.testing.assert_frame_equal(mapped.to_dataframe(), greedy_result.to_dataframe())
    # a version-2 capture (one compressed arrays.npz) still loads, and is replaced by a save
    old = tmp_path / "v2"
    old.mkdir()
    np.savez_compressed(old / "arrays.npz", **greedy_result.array_files())
    meta = json.loads((path / "meta.json").read_text())
    (old / "meta.json").write_text(json.dumps({**meta, "version": 2}))
    (old / "tokens.parquet").write_bytes((path / "tokens.parquet").read_bytes())
    v2 = CaptureResult.load(old)
    np.testing.assert_array_equal(v2.alpha, greedy_result.alpha)
    greedy_result.save(old)
    assert not (old / "arrays.npz").exists() and CaptureResult.load(old).meta == greedy_result.meta


def test_save_never_replaces_what_it_did_not_write(greedy_result, tmp_path):
    user = tmp_path / "mine"
    user.mkdir()
    (user / "notes.txt").write_text("keep me")
    with pytest.raises(M2TError, match="refusing"):
        greedy_result.save(user)
    assert (user / "notes.txt").read_text() == "keep me"
    f = tmp_path / "file.txt"
    f.write_text("x")
    with pytest.raises(M2TError, match="not a folder"):
        greedy_result.save(f)
    assert f.read_text() == "x"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt", "mine"]


def test_load_refuses_other_formats_and_versions(greedy_result, tmp_path):
    import json

    path = greedy_result.save(tmp_path / "cap")
    meta = json.loads((path / "meta.json").read_text())
    meta["version"] = 1
    (path / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(M2TError, match="format version 1"):
        CaptureResult.load(path)
    meta["format"] = "something else"
    (path / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(M2TError, match="not an m2t-interpret capture"):
        CaptureResult.load(path)


def test_repr_html(greedy_result):
    html = greedy_result._repr_html_()
    assert "CaptureResult" in html and "β̂" in html and greedy_result.clip_ids[0] in html


def test_forced_mode_rows_are_caption_words(model, batch):
    caps = model.encode_captions(["w1 w2 w3", "w4", "w5 w6", "w1", "w2 w2 w2 w2"])
    f = model.decode(*batch, mode="forced", captions=caps)
    df = f.to_dataframe()
    first = df[df["clip"] == 0]["word"].tolist()
    assert first == ["w1", "w2", "w3", "<eos>"]
    assert "predicted" in df


def test_single_clip_and_batch_independence(model):
    motions = random_motions(3, seed=4)
    batch = model.capture(motions)
    alone = model.capture([motions[1]])
    m = alone.step_mask[0]
    np.testing.assert_array_equal(alone.tokens[0][m], batch.tokens[1][: m.sum()])
    assert isinstance(model.caption(motions[0]), str)


def test_shards_merge_into_the_unsharded_capture_bit_for_bit(tmp_path):
    from m2t_interpret.capture.dataset import capture_split, merge_shards
    from m2t_interpret.data.synthetic import generate_corpus
    from m2t_interpret.data.synthetic.corpus import vocabulary

    root = generate_corpus(tmp_path / "c", n_train=0, n_val=0, n_test=7, seed=3, progress=False)
    vocab = ["<pad>", "<sos>", "<eos>", "<unk>"] + vocabulary()
    m = tiny_model(vocab_size=len(vocab), max_steps=8)
    m.set_vocab(vocab)
    whole = capture_split(m, root, "test", decode="forced", batch_size=3, progress=False)
    assert m._workspace.nbytes == 0  # the chunks' scratch buffers are freed after the split
    shards = [capture_split(m, root, "test", decode="forced", batch_size=3, progress=False, shard=f"{i}/3")
              for i in (2, 1, 3)]
    assert sum(s.n_clips for s in shards) == whole.n_clips == 14
    merged = merge_shards(shards)
    assert merged.clip_ids == whole.clip_ids
    # bit for bit (merge's promise): shards decode the same chunks as the whole split, in one process
    for name in ("tokens", "targets", "step_mask", "lengths", "log_probs", "topk_ids", "alpha", "gamma", "window",
                 "mu", "sigma", "beta"):
        a, b = getattr(merged, name), getattr(whole, name)
        assert a.shape == b.shape and a.dtype == b.dtype, name
        assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), name
    assert merged.references == whole.references and merged.meta == whole.meta
    streamed = merge_shards(shards, out=tmp_path / "merged")  # written a few clips at a time
    for name, a in whole.array_files().items():
        b = streamed.array_files()[name]
        assert a.dtype == b.dtype and np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), name
    assert streamed.meta == whole.meta and streamed.references == whole.references
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "merged" / "tokens.parquet"), whole.to_dataframe())
    with pytest.raises(M2TError, match="missing"):
        merge_shards(shards[:2])
    with pytest.raises(M2TError, match="i/n"):
        capture_split(m, root, "test", shard="4/3")


def test_greedy_without_logits_keeps_the_same_log_probs_and_top_k(model, batch, greedy_result):
    small = model.decode(*batch, keep_logits=False, top_k=4)
    assert small.logits is None
    m = greedy_result.step_mask
    np.testing.assert_array_equal(small.tokens, greedy_result.tokens)
    np.testing.assert_allclose(small.log_probs[m], greedy_result.log_probs[m], atol=1e-5)
    np.testing.assert_array_equal(small.topk_ids[m], greedy_result.topk_ids[m][:, :4])
    np.testing.assert_allclose(small.topk_log_probs[m], greedy_result.topk_log_probs[m][:, :4], atol=1e-5)
    assert np.isnan(small.log_probs[~m]).all() and (small.topk_ids[~m] == -1).all()


def test_fingerprint_follows_the_weights():
    import torch

    import hashlib

    m = tiny_model(vocab_size=24, max_steps=4)
    first = m.fingerprint()
    calls = []
    real = hashlib.sha256
    hashlib.sha256 = lambda *a: calls.append(1) or real(*a)
    try:
        assert m.fingerprint() == first and not calls  # cached: the weights are not hashed again
    finally:
        hashlib.sha256 = real
    with torch.no_grad():
        m.decoder.output.bias[0] += 1.0
    assert m.fingerprint() != first
    state = tiny_model(vocab_size=24, max_steps=4).state_dict()
    m.load_state_dict(state)
    assert m.fingerprint() == first


@pytest.mark.parametrize("decode", ["greedy", "forced", "authors-beam2"])
def test_streamed_split_capture_equals_the_in_memory_one(tmp_path, decode):
    """capture_split(out=…) writes α, γ, Γ (and logits, hidden states) to disk chunk by chunk; the
    saved capture, its token table and the returned (memory-mapped) result equal the in-memory
    capture bit for bit, also when fewer steps are decoded than allocated (the files are compacted)."""
    import pandas as pd

    import m2t_interpret.result as result_module
    from m2t_interpret.capture.dataset import capture_split
    from m2t_interpret.data.synthetic import generate_corpus
    from m2t_interpret.data.synthetic.corpus import vocabulary

    root = generate_corpus(tmp_path / "c", n_train=0, n_val=0, n_test=6, seed=5, progress=False)
    vocab = ["<pad>", "<sos>", "<eos>", "<unk>"] + vocabulary()
    m = tiny_model(vocab_size=len(vocab), max_steps=12)
    m.set_vocab(vocab)
    with torch.no_grad():  # make <eos> likely so that greedy captions end before max_steps
        m.decoder.output.bias[2] += 3.0
    kw = dict(decode=decode, batch_size=5, progress=False, keep_logits=True, record=["alpha", "gamma", "window",
                                                                                    "mu", "sigma", "beta", "context"])
    whole = capture_split(m, root, "test", **kw)
    if decode == "greedy":
        assert whole.tokens.shape[1] < 12  # compaction is exercised
    result_module.MMAP_BYTES, saved = 1, result_module.MMAP_BYTES
    try:
        streamed = capture_split(m, root, "test", out=tmp_path / "cap", **kw)
    finally:
        result_module.MMAP_BYTES = saved
    assert isinstance(streamed.alpha, np.memmap)
    assert sorted(p.name for p in (tmp_path / "cap" / "arrays").iterdir()) == sorted(
        f"{k}.npy" for k in whole.array_files())
    for name, a in whole.array_files().items():
        b = streamed.array_files()[name]
        assert a.shape == b.shape and a.dtype == b.dtype, name
        assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), name
    assert streamed.meta == whole.meta and streamed.references == whole.references
    assert streamed.n_best == whole.n_best
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "cap" / "tokens.parquet"), whole.to_dataframe())
    again = capture_split(m, root, "test", out=tmp_path / "cap", **kw)  # an earlier capture is replaced
    assert again.clip_ids == whole.clip_ids
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c", "cap"]  # no temporary left behind


def test_load_names_what_an_incomplete_capture_lacks(greedy_result, tmp_path):
    """A folder whose meta.json is a capture's but whose arrays are missing, of another kind or
    inconsistent raises M2TError naming the problem — never a TypeError from the constructor."""
    import json
    import shutil

    good = greedy_result.save(tmp_path / "cap")
    gone = Path(shutil.copytree(good, tmp_path / "gone"))
    shutil.rmtree(gone / "arrays")
    np.savez(gone / "dense.npz", alpha=np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(M2TError, match=r"incomplete: arrays/tokens.npy, arrays/step_mask.npy, arrays/lengths.npy "
                                       r"missing \(found: dense.npz\)"):
        CaptureResult.load(gone)
    cases = {
        "lengths": (np.zeros(2, dtype=np.int64), "holds 2 clips but meta.json lists 5"),
        "alpha": (np.zeros((5, 3), dtype=np.float32), "a capture's alpha has 4 axes"),
        "beta": (np.zeros((5, 99), dtype=np.float32), "disagree on the number of steps"),
        "step_mask": (np.zeros(greedy_result.step_mask.shape, dtype=np.float32), "expected integers and booleans"),
        "bogus": (np.zeros(5), r"holds arrays no capture has \(bogus"),
    }
    for name, (value, message) in cases.items():
        bad = Path(shutil.copytree(good, tmp_path / f"bad_{name}"))
        np.save(bad / "arrays" / f"{name}.npy", value)
        with pytest.raises(M2TError, match=message):
            CaptureResult.load(bad)
    v2 = Path(shutil.copytree(good, tmp_path / "v2"))
    meta = json.loads((v2 / "meta.json").read_text())
    (v2 / "meta.json").write_text(json.dumps({**meta, "version": 2}))
    np.savez(v2 / "arrays.npz", tokens=greedy_result.tokens)
    with pytest.raises(M2TError, match=r"step_mask, lengths \(in arrays.npz\) missing"):
        CaptureResult.load(v2)


def test_split_loaders_warn_about_what_they_skip(tmp_path):
    """A split capture (and its cached copy) names the ids it could not load: count, reason, first ids."""
    import warnings

    from m2t_interpret.capture.dataset import CaptureRequest, cached_capture
    from m2t_interpret.data.synthetic import generate_corpus
    from m2t_interpret.data.synthetic.corpus import vocabulary
    from m2t_interpret.errors import SkippedClipsWarning

    root = generate_corpus(tmp_path / "c", n_train=0, n_val=0, n_test=3, seed=3, progress=False)
    first = (root / "test.txt").read_text().split()[0]
    (root / "texts" / f"{first}.txt").write_bytes("une personne marche\u00e9#x/X#0.0#0.0\n".encode("latin-1"))
    vocab = ["<pad>", "<sos>", "<eos>", "<unk>"] + vocabulary()
    m = tiny_model(vocab_size=len(vocab), max_steps=6)
    m.set_vocab(vocab)
    request = CaptureRequest(root=str(root), split="test", decode="greedy")
    for from_cache in (False, True):
        with pytest.warns(SkippedClipsWarning, match=rf"5 samples from 6 ids; 1 of 6 ids lost \(no valid caption "
                                                     rf"line: {first}\)") as seen:
            result, hit = cached_capture(m, request, cache_dir=tmp_path / "cache", progress=False)
        assert hit == from_cache and result.n_clips == 5 and len(seen) == 1
    (root / "texts" / f"{first}.txt").unlink()
    (root / "test.txt").write_text("\n".join(result.clip_ids) + "\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error", SkippedClipsWarning)  # nothing skipped: nothing said
        cached_capture(m, CaptureRequest(root=str(root), split="test", decode="greedy"), cache_dir=tmp_path / "c2",
                       progress=False)


def test_a_damaged_cache_entry_is_captured_again(tmp_path):
    import shutil

    from m2t_interpret.capture.dataset import CaptureRequest, cached_capture
    from m2t_interpret.data.synthetic import generate_corpus
    from m2t_interpret.data.synthetic.corpus import vocabulary
    from m2t_interpret.errors import CacheWarning

    root = generate_corpus(tmp_path / "c", n_train=0, n_val=0, n_test=2, seed=3, progress=False)
    vocab = ["<pad>", "<sos>", "<eos>", "<unk>"] + vocabulary()
    m = tiny_model(vocab_size=len(vocab), max_steps=6)
    m.set_vocab(vocab)
    request = CaptureRequest(root=str(root), split="test", decode="greedy")
    first, _ = cached_capture(m, request, cache_dir=tmp_path / "cache", progress=False)
    (entry,) = [p for p in (tmp_path / "cache").iterdir() if p.is_dir()]
    shutil.rmtree(entry / "arrays")
    with pytest.warns(CacheWarning, match=r"damaged \(arrays/.*\.npy is missing\); rebuilding it"):
        again, hit = cached_capture(m, request, cache_dir=tmp_path / "cache", progress=False)
    assert not hit and np.array_equal(again.tokens, first.tokens)
