"""Attention-supervision targets β* (gate) and α* (body parts) per word, from a *lexicon*.

A lexicon is a JSON file of word rules (``m2t_interpret/data/lexicons/<name>.json``; see
``docs/lexicons.md``); ``authors`` (the paper's rules, the default) and ``project`` (side-aware
rules for the synthetic corpus) ship with the package. One module per job:

* :mod:`.format` — the file format: :class:`Lexicon`, :func:`load_lexicon`;
* :mod:`.words` — the word rules: :func:`word_targets` of one word without context;
* :mod:`.clauses` — the clause rules of a whole caption (:func:`caption_targets`) and the
  training targets aligned with the decoder's steps (:func:`step_targets`);
* :mod:`.tables` — the tables of ``m2t-interpret lexicon show`` (:func:`lexicon_table`).

Words are matched by their Porter stem (:func:`m2t_interpret.data.stemming.stem`).
"""

from ..stemming import stem
from .clauses import caption_rules, caption_targets, pair_step_targets, step_targets, vocab_targets
from .format import (UNSUPERVISED, ClauseRules, Lexicon, available_lexicons, default_lexicon, load_lexicon,
                     parts_label)
from .tables import (CONTENT_POS, TEMPORAL_CONNECTORS, caption_words, is_motion_word, lexicon_coverage,
                     lexicon_entries, lexicon_table)
from .words import build_pos_lexicon, word_targets

__all__ = ["Lexicon", "ClauseRules", "stem", "load_lexicon", "available_lexicons",
           "default_lexicon", "word_targets", "caption_targets", "build_pos_lexicon",
           "vocab_targets", "step_targets", "pair_step_targets", "caption_words",
           "lexicon_table", "lexicon_entries", "lexicon_coverage", "is_motion_word",
           "parts_label", "caption_rules",
           "UNSUPERVISED", "CONTENT_POS", "TEMPORAL_CONNECTORS"]
