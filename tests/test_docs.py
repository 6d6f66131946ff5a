"""The project's docs stand alone and say what the code does."""

import re
from pathlib import Path

import m2t_interpret as m2t

REPO = Path(__file__).resolve().parents[1]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


def test_docs_do_not_refer_to_files_outside_the_repository():
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        assert not re.search(r"REFERENCE(\.md)? ?§", text), f"{doc.name} refers to REFERENCE, which is not in the repository"


def test_readme_python_api_exists():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "CaptureResult.load()" in readme
    assert callable(m2t.CaptureResult.load) and "CaptureResult" in m2t.__all__


def test_data_doc_describes_load_split_return_value():
    from m2t_interpret.data.dataset import MotionDataset, load_split  # noqa: F401

    text = (REPO / "docs" / "data.md").read_text(encoding="utf-8")
    assert "returns a `MotionDataset`" in text and "and a `LoadReport`" not in text
    assert "`.report`" in text


def test_docs_name_the_cache_and_the_exit_codes():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    guide = (REPO / "docs" / "user-guide.md").read_text(encoding="utf-8")
    assert "M2T_INTERPRET_CACHE" in readme and "M2T_INTERPRET_CACHE" in guide
    assert "130" in readme and "--allow-skips" in guide and "skipped.json" in guide
    assert "--decode" in readme and "--beam K" not in readme
