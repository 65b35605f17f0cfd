"""The README and the documents in docs/ point only at files a clone of the repository has."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
NAMED_PATH = re.compile(r"`(\.\./[^`]*)`")  # a path named in code text, not linked


def test_the_documents_link_only_to_files_in_the_repository() -> None:
    documents = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    assert ROOT / "docs" / "architecture.md" in documents
    for document in documents:
        text = document.read_text()
        assert NAMED_PATH.findall(text) == [], document.name
        for target in LINK.findall(text):
            if re.match(r"[a-z]+:", target):  # a web address, not a file
                continue
            path = (document.parent / target).resolve()
            assert path.is_relative_to(ROOT), f"{document.name} points outside: {target}"
            assert path.exists(), f"{document.name} points at a missing {target}"
