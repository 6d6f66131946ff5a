"""Caption tokenisation: spaCy's English rules, with or without spaCy installed.

The authors built their vocabulary with spaCy's English tokenizer (their released data code), which is
rule based: ``spacy.blank("en")`` tokenizes exactly like a full English pipeline. When spaCy is
importable (the optional ``authors-vocab`` extra) :func:`tokenize` uses it. Otherwise it uses
:class:`RuleTokenizer`, a re-implementation of spaCy's algorithm (whitespace split → special
cases → prefixes/suffixes → infixes) with spaCy's English prefix, suffix and infix patterns and
the exceptions that matter for motion captions:

* punctuation is split off: ``"walks."`` → ``walks .``; ``"(slowly)"`` → ``( slowly )``;
  ``".."``/``"..."`` stay one token;
* ``'s`` is split: ``"person's"`` → ``person 's``; ``n't`` contractions follow spaCy's
  exceptions: ``"can't"`` → ``ca n't``, ``"won't"`` → ``wo n't``, ``"don't"`` → ``do n't``,
  ``"dont"`` → ``do nt``; ``"cannot"`` → ``can not``; ``"i'm"`` → ``i 'm``; ``"gonna"`` → ``gon na``;
* hyphens and slashes between letters/digits and letters are split: ``"t-pose"`` → ``t - pose``,
  ``"360-degree"`` → ``360 - degree``, ``"left/right"`` → ``left / right``; ``"1-2"`` → ``1 - 2``;
  commas between letters: ``"walks,turns"`` → ``walks , turns``; numbers such as ``1.5`` and
  ``1,000`` stay whole; a unit after a number is split: ``"10m"`` → ``10 m``;
* a single letter followed by a period (``"a."``) and common abbreviations (``"e.g."``,
  ``"etc."``, ``"mr."``…) stay whole, as in spaCy's exception table;
* whitespace: one space separates tokens; any further whitespace (a double space, a newline, a
  tab) becomes a whitespace token, as spaCy does.

Known differences from spaCy (rare in captions): spaCy's full emoticon table, URL/e-mail
matching, its complete abbreviation list and contraction variants without apostrophes beyond
the ``n't`` family, and spaCy's exact Unicode letter classes (here: Unicode letters for
"alpha", ``a-z`` plus Latin-1 letters for lower/upper case) are not reproduced.
"""

from __future__ import annotations

import functools
import re
from typing import Callable, Optional

from ..errors import M2TError

__all__ = ["tokenize", "RuleTokenizer", "spacy_available", "get_tokenizer"]


@functools.lru_cache(maxsize=1)
def spacy_available() -> bool:
    try:  # spaCy is optional and slow to import: only when asked for
        import spacy  # noqa: F401
    except Exception:
        return False
    return True


@functools.lru_cache(maxsize=1)
def _spacy_tokenizer() -> Callable[[str], list[str]]:
    # optional dependency (the authors-vocab extra): imported only for its tokenizer
    import spacy

    nlp = spacy.blank("en")
    tok = nlp.tokenizer
    return lambda text: [t.text for t in tok(text)]


# --- spaCy's English character classes and affix patterns (re-expressed) ------------------------

_ALPHA = r"[^\W\d_]"
_ALPHA_LOWER = "a-zß-öø-ÿ"
_ALPHA_UPPER = "A-ZÀ-ÖØ-Þ"
_PUNCT_CHARS = ["…", "……", ",", ":", ";", r"\!", r"\?", "¿", "؟", "¡", r"\(", r"\)", r"\[", r"\]",
                r"\{", r"\}", "<", ">", "_", "#", r"\*", "&", "。", "？", "！", "，", "、", "；", "：",
                "～", "·", "।", "،", "۔", "؛", "٪"]
_ELLIPSES = [r"\.\.+", "…"]
_QUOTES = [r"\'", '"', "”", "“", "`", "‘", "´", "’", "‚", ",", "„", "»", "«", "「", "」", "『", "』",
           "（", "）", "〔", "〕", "【", "】", "《", "》", "〈", "〉", "⟦", "⟧"]
_CONCAT_QUOTES = "".join(q.replace("\\", "") for q in _QUOTES).replace("'", r"\'")
_CURRENCY = [r"\$", "£", "€", "¥", "฿", r"US\$", r"C\$", r"A\$", "₽", "₴", "₹", "₩", "₪", "₫", "₱", "₺",
             "₿"]
_UNITS = ("km km² km³ m m² m³ dm dm² dm³ cm cm² cm³ mm mm² mm³ ha µm nm yd in ft kg g mg µg t lb oz "
          "m/s km/h kmh mph hPa Pa mbar mb MB kb KB gb GB tb TB T G M K %").split()
_HYPHENS = "|".join(re.escape(h) for h in ["---", "--", "——", "-", "–", "—", "~"])
_PUNCT_CLASS = r"…,:;\!\?¿؟¡\(\)\[\]\{\}<>_#\*&"
_ICONS = r"[\u2190-\u21ff\u2300-\u23ff\u2600-\u27bf\U0001F300-\U0001FAFF]"

_PREFIXES = (["§", "%", "=", "—", "–", r"\+(?![0-9])"] + _PUNCT_CHARS + _ELLIPSES + _QUOTES
             + _CURRENCY + [_ICONS])
_SUFFIXES = (_PUNCT_CHARS + _ELLIPSES + _QUOTES + [_ICONS]
             + ["'s", "'S", "’s", "’S", "—", "–"]
             + [r"(?<=[0-9])\+", r"(?<=°[FfCcKk])\.",
                r"(?<=[0-9])(?:{})".format("|".join(_CURRENCY)),
                r"(?<=[0-9])(?:{})".format("|".join(re.escape(u) for u in _UNITS)),
                r"(?<=[0-9{al}%²\-\+{p}{q}])\.".format(al=_ALPHA_LOWER, p=_PUNCT_CLASS,
                                                       q=_CONCAT_QUOTES),
                r"(?<=[{au}][{au}])\.".format(au=_ALPHA_UPPER)])
_INFIXES = (_ELLIPSES + [_ICONS]
            + [r"(?<=[0-9])[+\-\*^](?=[0-9-])",
               r"(?<=[{al}{q}])\.(?=[{au}{q}])".format(al=_ALPHA_LOWER, au=_ALPHA_UPPER,
                                                       q=_CONCAT_QUOTES),
               r"(?<={a}),(?={a})".format(a=_ALPHA),
               r"(?<={a}|[0-9])(?:{h})(?={a})".format(a=_ALPHA, h=_HYPHENS),
               r"(?<={a}|[0-9])[:<>=/](?={a})".format(a=_ALPHA)])


def _build_exceptions() -> dict[str, list[str]]:
    exc: dict[str, list[str]] = {}
    # n't family (spaCy: verb stem + "n't"; also without the apostrophe, and with ’)
    stems = {"ca": "can", "wo": "will", "sha": "shall", "ai": "ai"}
    verbs = ["do", "does", "did", "is", "are", "was", "were", "have", "has", "had", "could",
             "should", "would", "might", "must", "need", "dare"]
    pairs = [(s, s) for s in stems] + [(v, v) for v in verbs]
    for stem, _ in pairs:
        exc[stem + "n't"] = [stem, "n't"]
        exc[stem + "n’t"] = [stem, "n’t"]
        exc[stem + "nt"] = [stem, "nt"]
    exc["cannot"] = ["can", "not"]
    # pronoun contractions
    for pron in ["i", "you", "he", "she", "it", "we", "they"]:
        for suffix in ["'ll", "'d", "’ll", "’d"]:
            exc[pron + suffix] = [pron, suffix]
    for pron in ["i", "you", "we", "they", "could", "would", "should", "might", "must"]:
        for suffix in ["'ve", "’ve"]:
            exc[pron + suffix] = [pron, suffix]
    for pron in ["you", "we", "they"]:
        for suffix in ["'re", "’re"]:
            exc[pron + suffix] = [pron, suffix]
    exc["i'm"] = ["i", "'m"]
    exc["i’m"] = ["i", "’m"]
    exc["im"] = ["i", "m"]
    exc.update({"gonna": ["gon", "na"], "gotta": ["got", "ta"], "wanna": ["wan", "na"],
                "'cause": ["'cause"], "y'all": ["y'", "all"], "c'mon": ["c'm", "on"],
                "'s": ["'s"], "'m": ["'m"], "'re": ["'re"], "'ve": ["'ve"], "'d": ["'d"],
                "'ll": ["'ll"], "n't": ["n't"], "''": ["''"], "'": ["'"]})
    # abbreviations kept whole
    for abbr in ["a.m.", "p.m.", "e.g.", "i.e.", "etc.", "vs.", "mr.", "mrs.", "ms.", "dr.",
                 "st.", "jr.", "sr.", "approx.", "u.s.", "u.k.", "no.", "inc.", "ltd.", "co.",
                 "ft.", "in."]:
        exc[abbr] = [abbr]
    for ch in "abcdefghijklmnopqrstuvwxyzäöü":
        exc[ch + "."] = [ch + "."]
        exc[ch.upper() + "."] = [ch.upper() + "."]
    for emo in [":)", ":-)", ":(", ":-(", ";)", ";-)", ":p", ":P", ":D", "=)", "(:", "):", "<3",
                ":'(", ":/", "xD", "^_^", "-_-", "o.o", "O.O", "o_o", "0.0"]:
        exc[emo] = [emo]
    return exc


class RuleTokenizer:
    """spaCy-compatible English tokenizer without spaCy (see the module docstring)."""

    def __init__(self) -> None:
        self.prefix_re = re.compile("|".join("^(?:" + p + ")" for p in _PREFIXES))
        self.suffix_re = re.compile("|".join("(?:" + s + ")$" for s in _SUFFIXES))
        self.infix_re = re.compile("|".join(_INFIXES))
        self.specials = _build_exceptions()

    def __call__(self, text: str) -> list[str]:
        out: list[str] = []
        for chunk in re.findall(r"\s+|\S+", text):
            if chunk.isspace():
                # spaCy: a single space after a token is that token's trailing whitespace;
                # any other whitespace (leading, extra spaces, newlines) becomes a token
                rest = chunk[1:] if (chunk[0] == " " and out) else chunk
                if rest:
                    out.append(rest)
            else:
                out.extend(self._tokenize_word(chunk))
        return out

    def _tokenize_word(self, string: str) -> list[str]:
        if string in self.specials:
            return list(self.specials[string])
        prefixes: list[str] = []
        suffixes: list[str] = []
        last = -1
        while string and len(string) != last:
            if string in self.specials:
                break
            last = len(string)
            m = self.prefix_re.search(string)
            pre_len = m.end() if m else 0
            if pre_len:
                minus_pre = string[pre_len:]
                if minus_pre and minus_pre in self.specials:
                    prefixes.append(string[:pre_len])
                    string = minus_pre
                    break
            m = self.suffix_re.search(string[pre_len:])
            suf_len = (len(string) - pre_len - m.start()) if m else 0
            if suf_len:
                minus_suf = string[:-suf_len]
                if minus_suf and minus_suf in self.specials:
                    suffixes.append(string[-suf_len:])
                    string = minus_suf
                    break
            if pre_len and suf_len and pre_len + suf_len <= len(string):
                prefixes.append(string[:pre_len])
                suffixes.append(string[-suf_len:])
                string = string[pre_len:-suf_len]
            elif pre_len:
                prefixes.append(string[:pre_len])
                string = string[pre_len:]
            elif suf_len:
                suffixes.append(string[-suf_len:])
                string = string[:-suf_len]
            if string and string in self.specials:
                break
        tokens = list(prefixes)
        if string:
            if string in self.specials:
                tokens.extend(self.specials[string])
            else:
                tokens.extend(self._split_infixes(string))
        tokens.extend(reversed(suffixes))
        return [t for t in tokens if t]

    def _split_infixes(self, string: str) -> list[str]:
        out: list[str] = []
        start = 0
        for m in self.infix_re.finditer(string):
            if m.start() == 0:
                continue
            if m.start() != start:
                out.append(string[start:m.start()])
            if m.start() != m.end():
                out.append(string[m.start():m.end()])
            start = m.end()
        if start < len(string):
            out.append(string[start:])
        return out


@functools.lru_cache(maxsize=1)
def _rule_tokenizer() -> RuleTokenizer:
    return RuleTokenizer()


def get_tokenizer(backend: str = "auto") -> Callable[[str], list[str]]:
    """``"spacy"`` (requires spaCy), ``"rules"`` (:class:`RuleTokenizer`) or ``"auto"``."""
    if backend == "auto":
        backend = "spacy" if spacy_available() else "rules"
    if backend == "spacy":
        if not spacy_available():
            raise M2TError("spaCy is not installed; pip install 'm2t-interpret[authors-vocab]' "
                           "or use the rule-based tokenizer (backend='rules')")
        return _spacy_tokenizer()
    if backend == "rules":
        return _rule_tokenizer()
    raise M2TError(f"unknown tokenizer backend {backend!r}; use auto, spacy or rules")


def tokenize(text: str, *, lower: bool = True, backend: str = "auto",
             tokenizer: Optional[Callable[[str], list[str]]] = None) -> list[str]:
    """Tokenise one caption the way the authors did: lowercase, then spaCy English rules."""
    text = str(text)
    if lower:
        text = text.lower()
    tok = tokenizer or get_tokenizer(backend)
    return tok(text)
