"""The vocabulary paragraph of docs/data.md: every word of a synthetic corpus's captions with its count.

    python maintenance/corpus_vocabulary.py [CORPUS_DIR]      # default: generate seed 0 into a temporary folder

Counts every caption line of every id (mirrors included) of the corpus's splits.
"""

from __future__ import annotations

import sys
import tempfile
from collections import Counter
from pathlib import Path

from m2t_interpret.data.dataset import read_captions
from m2t_interpret.data.synthetic import generate_corpus


def vocabulary(corpus: Path) -> tuple[Counter, int]:
    """Word counts over every caption of ``corpus`` (whitespace-separated, as the corpus writes
    them), and the number of captions."""
    lines = read_captions(corpus)
    return Counter(w for line in lines for w in line.caption.split()), len(lines)


def main() -> None:
    if len(sys.argv) > 1:
        corpus = Path(sys.argv[1])
        words, n = vocabulary(corpus)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            words, n = vocabulary(generate_corpus(Path(tmp) / "corpus", progress=False))
    print(f"{len(words)} distinct words, {sum(words.values())} tokens in {n} captions. Every word with its count:\n")
    print(", ".join(f"{w} ({c})" for w, c in sorted(words.items())))


if __name__ == "__main__":
    main()
