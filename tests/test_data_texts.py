"""HumanML3D caption-line parser."""

from hypothesis import given, settings
from hypothesis import strategies as st

from m2t_interpret.data.texts import (LineError, TextLine, format_text_line, parse_text_line,
                                      parse_text_lines)


def test_parse_whole_clip_line():
    r = parse_text_line("A man kicks something.#a/DET man/NOUN kick/VERB something/PRON#0.0#0.0", 4)
    assert isinstance(r, TextLine)
    assert r.caption == "A man kicks something."
    assert r.tokens == ("a", "man", "kick", "something")
    assert r.pos == ("DET", "NOUN", "VERB", "PRON")
    assert (r.start, r.end, r.line_no) == (0.0, 0.0, 4)
    assert r.is_whole_clip and r.has_tags


def test_parse_subclip_nan_and_hash_in_caption():
    r = parse_text_line("walks #1 then stops#walk/VERB#1.5#4.25")
    assert isinstance(r, TextLine)
    assert r.caption == "walks #1 then stops"
    assert (r.start, r.end) == (1.5, 4.25) and not r.is_whole_clip
    r = parse_text_line("a person waves#a/DET person/NOUN wave/VERB#nan#NaN")
    assert isinstance(r, TextLine) and r.is_whole_clip


def test_empty_tag_field_and_odd_tags():
    r = parse_text_line("a person jumps##0.0#0.0")
    assert isinstance(r, TextLine) and r.tokens == () and not r.has_tags
    r = parse_text_line("x#Walk/verb 1/2/NUM bare word/#0#0")
    assert r.tokens == ("walk", "1/2", "bare", "word")
    assert r.pos == ("VERB", "NUM", None, None)


def test_malformed_lines_have_reasons():
    cases = {
        "just a caption": "4 '#'",
        "cap#tags#0.0": "4 '#'",
        "#a/DET#0#0": "empty caption",
        "cap#a/DET#abc#0": "bad start",
        "cap#a/DET#0#inf": "bad end",
        "cap#a/DET#-1#2": "negative",
        "cap#a/DET#3.0#1.0": "not after start",
        "cap#a/DET#2.0#0.0": "not after start",
        "   ": "empty line",
    }
    for line, why in cases.items():
        r = parse_text_line(line, 7)
        assert isinstance(r, LineError), line
        assert why in r.reason and r.line_no == 7
        assert str(r).startswith("line 7:")


def test_parse_lines_numbers_and_skips_blank():
    out = parse_text_lines(["ok#ok/ADJ#0#0", "", "broken", "fine#fine/ADJ#0.0#2.0"])
    assert [x.line_no for x in out.lines] == [1, 4]
    assert [(e.line_no) for e in out.errors] == [3]


def test_format_roundtrip():
    line = format_text_line("a man walks", ["a", "man", "walk"], ["DET", "NOUN", "VERB"], 1.0, 3.5)
    r = parse_text_line(line)
    assert r.tokens == ("a", "man", "walk") and (r.start, r.end) == (1.0, 3.5)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80)
       | st.lists(st.sampled_from(["#", "/", "nan", "0.0", "1.5", " ", "a", "VERB", "-", "inf",
                                   "\n", "é", "1e309"]), max_size=15).map("".join))
def test_parser_never_crashes(text):
    r = parse_text_line(text, 1)
    assert isinstance(r, (TextLine, LineError))
    if isinstance(r, TextLine):
        assert r.caption and len(r.tokens) == len(r.pos)
        assert r.start >= 0 and r.end >= 0
    else:
        assert r.reason and r.line_no == 1
    out = parse_text_lines(text.splitlines())
    assert len(out.lines) + len(out.errors) <= len(text.splitlines())


def test_non_string_input_is_an_error_not_a_crash():
    assert isinstance(parse_text_line(None), LineError)
    assert isinstance(parse_text_line(b"cap#c/NOUN#0#0"), TextLine)
