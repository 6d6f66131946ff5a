"""A split's attribution in shards: the cached shards merge into what one unsharded run gives, the
merge replaces them in the cache, and a missing, empty or damaged shard is said."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from conftest import random_motions, tiny_model
from m2t_interpret.attribution import (AttributionResult, attribute_split, attribution_cache_dir,
                                       merge_attribution_shards, shard_clips)
from m2t_interpret.errors import CacheWarning, M2TError

METHODS = ["ig", "shapley", "occlusion"]


@pytest.fixture(scope="module")
def setup():
    model = tiny_model()
    x, lengths = model.preprocess(random_motions(5, seed=8, lengths=[40, 64, 52, 30, 58]))
    captions = torch.tensor([[1, 5, 6, 7, 2], [1, 8, 9, 2, 0], [1, 5, 9, 2, 0], [1, 6, 2, 0, 0], [1, 7, 8, 9, 2]])
    cap = model.decode(x, lengths, mode="forced", captions=captions, clip_ids=[f"c{i}" for i in range(5)])
    return model, cap, x, lengths


def _inputs(x, lengths, cap):
    """The preprocessed clips of a (sub-)capture of the fixture's, by clip id (no data folder needed)."""
    def inputs(sub):
        rows = [cap.clip_ids.index(c) for c in sub.clip_ids]
        return x[rows], lengths[rows]
    return inputs


def _run(setup, **kw):
    model, cap, x, lengths = setup
    return attribute_split(model, cap, "unused", "test", methods=METHODS, n_steps=4, progress=False,
                           inputs=_inputs(x, lengths, cap), **kw)


def _assert_same(a: AttributionResult, b: AttributionResult) -> None:
    assert a.clip_ids == b.clip_ids and a.methods == b.methods
    # Each clip is attributed by the same calls on the same numbers whichever shard holds it (one
    # process, one thread count): the same bits, not merely close ones.
    for m in a.methods:
        np.testing.assert_array_equal(a.maps[m], b.maps[m], err_msg=m)
    for m in a.deltas:
        np.testing.assert_array_equal(a.deltas[m], b.deltas[m])
    np.testing.assert_array_equal(a.scores, b.scores)
    np.testing.assert_array_equal(a.targets, b.targets)
    np.testing.assert_array_equal(a.step_mask, b.step_mask)


def test_cached_shards_merge_into_the_unsharded_run(setup, tmp_path, monkeypatch):
    monkeypatch.setenv("M2T_INTERPRET_CACHE", str(tmp_path / "cache"))
    whole = _run(setup, cache=False)
    shards = [_run(setup, shard=f"{i}/2") for i in (2, 1)]
    assert [s.clip_ids for s in shards] == [["c1", "c3"], ["c0", "c2", "c4"]]
    assert {s.meta["shard"] for s in shards} == {"1/2", "2/2"}
    _assert_same(merge_attribution_shards(shards), whole)
    assert len(list(attribution_cache_dir().glob("*.shards/*of2"))) == 2 * len(METHODS)

    model, cap, x, lengths = setup

    def never(sub):
        raise AssertionError("attributed again instead of merging the cached shards")

    merged = attribute_split(model, cap, "unused", "test", methods=METHODS, n_steps=4, progress=False, inputs=never)
    _assert_same(merged, whole)
    assert merged.meta["shard"] is None and "positions" not in merged.meta
    assert not list(attribution_cache_dir().glob("*.shards"))  # the merged entries hold what the shards held
    _assert_same(attribute_split(model, cap, "unused", "test", methods=METHODS, n_steps=4, progress=False,
                                 inputs=never), whole)  # and are read from then on


def test_a_damaged_shard_is_said_and_the_split_attributed(setup, tmp_path, monkeypatch):
    monkeypatch.setenv("M2T_INTERPRET_CACHE", str(tmp_path / "cache"))
    model, cap, x, lengths = setup
    for i in (1, 2):
        attribute_split(model, cap, "unused", "test", methods=["saliency"], shard=f"{i}/2", progress=False,
                        inputs=_inputs(x, lengths, cap))
    (arrays,) = attribution_cache_dir().glob("*.shards/2of2/arrays.npz")
    arrays.write_bytes(arrays.read_bytes()[:-20])
    with pytest.warns(CacheWarning, match="shard in .* is damaged .*attributing the split instead"):
        result = attribute_split(model, cap, "unused", "test", methods=["saliency"], progress=False,
                                 inputs=_inputs(x, lengths, cap))
    whole = attribute_split(model, cap, "unused", "test", methods=["saliency"], progress=False, cache=False,
                            inputs=_inputs(x, lengths, cap))
    _assert_same(result, whole)


def test_shard_errors(setup):
    assert shard_clips(5, "3/3") == [2] and shard_clips(5, (1, 2)) == [0, 2, 4]
    with pytest.raises(M2TError, match="shard 7/7 is empty: the capture has only 5 clips"):
        shard_clips(5, "7/7")
    with pytest.raises(M2TError, match="--shard i/n needs 1 ≤ i ≤ n"):
        shard_clips(5, "3/2")
    one = _run(setup, shard="1/3", cache=False)
    with pytest.raises(M2TError, match=r"shard\(s\) 2, 3 missing from the merge"):
        merge_attribution_shards([one])
    with pytest.raises(M2TError, match="only shards of one attribution"):
        merge_attribution_shards([_run(setup, cache=False)])
    model, cap, x, lengths = setup
    greedy = model.decode(x, lengths, mode="greedy")
    with pytest.raises(M2TError, match="decode='forced'"):
        attribute_split(model, greedy, "unused", "test", methods=["ig"])
