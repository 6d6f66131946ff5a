"""Replace one marked section of docs/performance.md (each benchmark owns one section)."""

from __future__ import annotations

from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "performance.md"


def update_section(name: str, section: str, path: Path = DOC) -> Path:
    """Put ``section`` between ``<!-- name:start -->`` and ``<!-- name:end -->`` (appended when absent)."""
    from m2t_interpret.io import write_text

    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Performance\n"
    block = f"{start}\n{section.strip()}\n{end}"
    if start in text and end in text and text.index(start) < text.index(end):
        text = text[: text.index(start)] + block + text[text.index(end) + len(end):]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    write_text(path, text)
    return path


def time_targets(rows: list[tuple[str, float, float]]) -> list[str]:
    """A Markdown table of (what, measured seconds, limit seconds) rows, each marked PASS or FAIL."""
    lines = ["| target | measured | limit | result |", "|---|---:|---:|---|"]
    for what, seconds, limit in rows:
        lines.append(f"| {what} | {seconds:.1f} s | {limit:g} s | {'PASS' if seconds <= limit else 'FAIL'} |")
    return lines
