"""The shipped content: every fact from the source page, none of its sentences."""

from __future__ import annotations

import re
from pathlib import Path

from tests.helpers import REPO

SOURCE = Path(__file__).parent / "fixtures" / "source-page.txt"
RUN = 8  # words in a row that would mean a sentence was copied rather than rewritten


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower().replace("\u2019", "'").replace("'", ""))


def runs(text: str) -> set[tuple[str, ...]]:
    tokens = words(text)
    return {tuple(tokens[i : i + RUN]) for i in range(len(tokens) - RUN + 1)}


def content_text() -> dict[str, str]:
    return {
        str(p.relative_to(REPO)): p.read_text(encoding="utf-8")
        for p in sorted((REPO / "content").rglob("*.md"))
    }


def test_no_run_of_eight_words_is_copied_from_the_source_page() -> None:
    source = runs(SOURCE.read_text(encoding="utf-8"))
    copied = {path: sorted(runs(text) & source)[:3] for path, text in content_text().items()}
    assert {path: found for path, found in copied.items() if found} == {}


def test_the_source_figures_and_names_carry_over() -> None:
    text = " ".join(content_text().values())
    for fact in (
        "16%",
        "06:37",
        "38%",
        "53%",
        "26%",
        "43%",
        "30%",
        "50:50",
        "500",
        "Loch Ness",
        "1,000",
        "Windsor",
        "Sophie Power",
        "Tasha Thompson",
        "Rehana Mawani",
        "Emily Shane",
        "SheRACES",
        "10IronWomen",
        "Étape du Tour",
        "3 x 10",
    ):
        assert fact in text, fact


def test_every_exercise_the_guide_names_has_a_page() -> None:
    guide = (REPO / "content/articles/strength-training-for-runners.md").read_text()
    linked = set(re.findall(r"\(\.\./exercises/([a-z-]+)\.md", guide))
    pages = {p.stem for p in (REPO / "content/exercises").glob("*.md")}
    assert linked == pages and len(pages) == 17
