"""spaCy-compatible English tokenisation (rule-based fallback)."""

import pytest

from m2t_interpret.data.tokenize import RuleTokenizer, spacy_available, tokenize

CASES = {
    "a person walks forward, then turns around.":
        ["a", "person", "walks", "forward", ",", "then", "turns", "around", "."],
    "the person's left hand": ["the", "person", "'s", "left", "hand"],
    "he can't stop": ["he", "ca", "n't", "stop"],
    "they don't, won't": ["they", "do", "n't", ",", "wo", "n't"],
    "cannot": ["can", "not"],
    "does a t-pose": ["does", "a", "t", "-", "pose"],
    "a 360-degree turn": ["a", "360", "-", "degree", "turn"],
    "(slowly)...": ["(", "slowly", ")", "..."],
    "walks 1.5 m, 1-2 times": ["walks", "1.5", "m", ",", "1", "-", "2", "times"],
    "walks 10m": ["walks", "10", "m"],
    "left/right": ["left", "/", "right"],
    'says "hi"!': ["says", '"', "hi", '"', "!"],
    "e.g. jogs": ["e.g.", "jogs"],
    "i'm": ["i", "'m"],
    "a  b": ["a", " ", "b"],
}


@pytest.mark.parametrize("text,expected", list(CASES.items()))
def test_rule_tokenizer_matches_spacy_rules(text, expected):
    assert RuleTokenizer()(text) == expected


@pytest.mark.skipif(not spacy_available(), reason="spaCy not installed (optional extra)")
@pytest.mark.parametrize("text", list(CASES))
def test_rule_tokenizer_agrees_with_spacy(text):
    assert RuleTokenizer()(text) == tokenize(text, backend="spacy")


def test_tokenize_lowercases():
    assert tokenize("A Person WAVES.", backend="rules") == ["a", "person", "waves", "."]
