"""Attention-supervision targets."""

import json

import numpy as np
import pytest
import torch

from m2t_interpret.data.lexicon import (Lexicon, build_pos_lexicon, caption_targets, stem,
                                       step_targets, vocab_targets, word_targets)
from m2t_interpret.data.vocabulary import Vocabulary

ROOT = [1, 0, 0, 0, 0, 0]
ARMS = [0, 0, 1, 1, 0, 0]
LEGS = [0, 0, 0, 0, 1, 1]
TORSO = [0, 1, 0, 0, 0, 0]

WORDS = {
    "circle": ROOT, "circles": ROOT, "circling": ROOT, "circuit": ROOT, "clockwise": ROOT,
    "anticlockwise": ROOT, "forward": ROOT, "forwards": ROOT, "backward": ROOT, "backwards": ROOT,
    "wave": ARMS, "waves": ARMS, "waving": ARMS, "wipes": ARMS, "throwing": ARMS, "punches": ARMS,
    "picks": ARMS, "boxing": ARMS, "opens": ARMS, "cleaning": ARMS, "handstand": ARMS,
    "draws": ARMS,
    "kick": LEGS, "kicked": LEGS, "stomps": LEGS, "lifts": LEGS, "kneels": LEGS,
    "squatting": LEGS, "squad": LEGS, "standing": LEGS, "stumbles": LEGS, "rotates": LEGS,
    "bends": TORSO, "bowing": TORSO,
}


def test_porter_stems_used_by_rules():
    assert stem("circles") == "circl" and stem("clockwise") == "clockwis"
    assert stem("forwards") == "forward" and stem("waving") == "wave" and stem("kicked") == "kick"
    assert stem("stumbles") == "stumbl" and stem("rotates") == "rotat"


@pytest.mark.parametrize("word,vec", list(WORDS.items()))
def test_motion_words_supervise_beta_and_alpha(word, vec):
    for pos in (None, "NOUN", "VERB"):
        beta, alpha = word_targets(word, pos)
        assert beta == 1
        np.testing.assert_array_equal(alpha, np.array(vec, np.float32))


@pytest.mark.parametrize("word", ["is", "the", "of", "his", "her", "its", "on", "their",
                                  "a", "person", "human", "man", "The", "HIS"])
def test_function_words_and_subjects(word):
    assert word_targets(word, "DET") == (0, None)
    assert word_targets(word, None) == (0, None)
    if word.lower() in ("is", "the", "of", "his", "her", "its", "on", "their"):
        assert word_targets(word, "ADV") == (0, None)  # rule 3 skips function words


def test_verbs_adverbs_by_pos_and_rest_unsupervised():
    assert word_targets("walks", "VERB") == (1, None)
    assert word_targets("quickly", "ADV") == (1, None)
    assert word_targets("walks", None) == (-1, None)  # no POS known: no rule 3
    assert word_targets("ball", "NOUN") == (-1, None)
    assert word_targets("left", "ADJ") == (-1, None)
    for special in ["<pad>", "<sos>", "<eos>", "<unk>", ""]:
        assert word_targets(special, "VERB") == (-1, None)
    assert word_targets(".", "PUNCT") == (-1, None)


def test_caption_targets_with_pos_lexicon():
    toks = ["a", "person", "walks", "forward", "and", "waves", "slowly"]
    tags = ["DET", "NOUN", None, "ADV", "CCONJ", "VERB", None]
    lex = build_pos_lexicon([(["walks", "walks", "slowly"], ["VERB", "VERB", "ADV"]),
                             (["walks"], ["NOUN"])])
    assert lex == {"walks": "VERB", "slowly": "ADV"}
    beta, alpha, mask = caption_targets(toks, tags, pos_lexicon=lex)
    assert beta.tolist() == [0, 0, 1, 1, -1, 1, 1]
    assert mask.tolist() == [False, False, False, True, False, True, False]
    np.testing.assert_array_equal(alpha[3], ROOT)
    np.testing.assert_array_equal(alpha[5], ARMS)
    assert not alpha[~mask].any()
    beta2, _, _ = caption_targets(toks, tags)  # without the lexicon "walks" has no POS
    assert beta2[2] == -1


def test_step_targets_alignment():
    vocab = Vocabulary(["<pad>", "<sos>", "<eos>", "<unk>", "a", "kicks", "person", "the",
                        "ball", "quickly"])
    ids = torch.tensor([[1, 4, 6, 5, 7, 8, 2, 0],
                        [1, 6, 3, 9, 2, 0, 0, 0]])
    pos = [["DET", "NOUN", "VERB", "DET", "NOUN"], ["NOUN", None, "ADV"]]
    beta, alpha, sup = step_targets(ids, vocab, pos)
    assert beta.shape == (2, 7) and alpha.shape == (2, 7, 6) and sup.dtype == torch.bool
    # step t predicts token t+1
    assert beta[0].tolist() == [0, 0, 1, 0, -1, -1, -1]
    assert beta[1].tolist() == [0, -1, 1, -1, -1, -1, -1]  # <unk>, <eos>, <pad> unsupervised
    assert sup[0].tolist() == [False, False, True, False, False, False, False]
    assert alpha[0, 2].tolist() == LEGS
    b_np, a_np, s_np = step_targets(ids.numpy(), vocab)
    assert isinstance(b_np, np.ndarray) and b_np[0, 2] == 1  # kicks: stem rule needs no POS
    vb, va, vm = vocab_targets(vocab, {"quickly": "ADV"})
    assert vb.tolist() == [-1, -1, -1, -1, 0, 1, 0, 0, -1, 1] and vm.sum() == 1


def test_lexicon_file_is_editable(tmp_path):
    from importlib import resources

    data = json.loads(resources.files("m2t_interpret.data")
                      .joinpath("lexicons", "authors.json").read_text())
    data["local_action_stems"]["arms"].append("clap")
    data["subjects"].append("woman")
    p = tmp_path / "lex.json"
    p.write_text(json.dumps(data))
    lex = Lexicon.load(p)
    assert word_targets("claps", None, lex)[0] == 1
    assert word_targets("woman", None, lex) == (0, None)
    assert word_targets("woman", None) == (-1, None)
