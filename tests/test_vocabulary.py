"""Vocabulary: specials, min_freq, sorted order, JSON round trip, authors mode."""

import json

import numpy as np
import pytest

from m2t_interpret.data.dataset import Caption
from m2t_interpret.data.vocabulary import SPECIALS, Vocabulary, build_vocabulary, surface_tokens
from m2t_interpret.errors import M2TError


def test_build_encode_decode_roundtrip(tmp_path):
    caps = ["a person walks", "a person runs", "a man walks", "a person walks slowly"]
    v = build_vocabulary(caps, min_freq=2)
    assert v.tokens == list(SPECIALS) + ["a", "person", "walks"]
    assert len(v) == 7 and "walks" in v and "runs" not in v
    ids = v.encode("A person runs!")
    assert ids[0] == 1 and ids[-1] == 2
    assert ids[1:-1] == [4, 5, 3, 3]  # runs and "!" unknown
    assert v.decode(ids) == ["a", "person"]
    assert v.decode(ids, keep_unk=True) == ["a", "person", "<unk>", "<unk>"]
    assert v.decode([1, 4, 6, 2, 5, 0, 0]) == ["a", "walks"]  # stops at <eos>
    assert v.decode(np.array([1, 4, 0])) == ["a"]
    p = v.save(tmp_path / "vocab.json")
    assert json.loads(p.read_text()) == v.tokens
    assert Vocabulary.load(p) == v


def test_project_mode_uses_words_as_written():
    # HumanML3D's word/POS field holds lemmas ("kick"); the vocabulary keeps the text's "kicks"
    caps = [Caption("A man kicks.", ("a", "man", "kick", "."), ("DET", "NOUN", "VERB", "PUNCT"))] * 3
    caps += [Caption("untagged Kicks", ("untagged", "kicks"), (None, None), False)]
    v = build_vocabulary(caps, min_freq=3)
    assert v.tokens[4:] == ["a", "kicks", "man"]
    assert v.encode(["A", "Kicks"]) == [1, 4, 5, 2]
    assert surface_tokens("A man kicks.", ("DET", "NOUN", "VERB", "PUNCT")) == (
        ["a", "man", "kicks"], ["DET", "NOUN", "VERB"])
    assert surface_tokens("a person's arm", ("DET", "NOUN")) == (["a", "person", "'s", "arm"], [None] * 4)


def test_authors_mode_sorted_minfreq3_all_splits(tmp_path):
    root = tmp_path / "d"
    (root / "texts").mkdir(parents=True)
    texts = {
        "1": "A person walks.#a/DET person/NOUN walk/VERB#0#0\n",
        "2": "a person's arm waves#a/DET person/NOUN arm/NOUN wave/VERB#0#0\n",
        "3": "Zebra walks, a person jumps.#x/X#0#0\n",
        "4": "never counted#never/ADV count/VERB#0#0\n",
    }
    for k, t in texts.items():
        (root / "texts" / f"{k}.txt").write_text(t)
    (root / "train.txt").write_text("1\n")
    (root / "val.txt").write_text("2\n")
    (root / "test.txt").write_text("3\n")  # "4" is in no split
    v = build_vocabulary(root, mode="authors")  # min_freq defaults to 3
    # counts over train+val+test: a 3, person 3 (… "person" "'s" split), walks 2, "." 2
    assert v.tokens == ["<pad>", "<sos>", "<eos>", "<unk>", "a", "person"]
    assert v.counts["walks"] == 2 and v.counts["'s"] == 1 and "never" not in v.counts
    v1 = build_vocabulary(root, mode="authors", min_freq=1)
    kept = v1.tokens[4:]
    assert kept == sorted(kept) and {"'s", ",", ".", "zebra"} <= set(kept)
    assert v1.tokens.index(",") < v1.tokens.index("a")  # Python sorted(): punctuation first


def test_load_rejects_bad_files(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('["a", "b"]')
    with pytest.raises(M2TError):
        Vocabulary.load(bad)
    bad.write_text("{not json")
    with pytest.raises(M2TError):
        Vocabulary.load(bad)
    with pytest.raises(M2TError):
        Vocabulary.load(tmp_path / "missing.json")
    # authors' token_to_idx mapping (low-frequency tokens mapped to <unk>) is accepted
    m = tmp_path / "t2i.json"
    m.write_text(json.dumps({"<pad>": 0, "<sos>": 1, "<eos>": 2, "<unk>": 3, "rare": 3, "a": 4}))
    assert Vocabulary.load(m).tokens == list(SPECIALS) + ["a"]
