"""Segmentation: exact offsets, sentence boundaries, boilerplate and speakers on the seeds."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stancekit import load_articles, segment
from stancekit.data import SEED_LABELS, read_jsonl


def _non_space(s: str) -> str:
    return re.sub(r"\s+", "", s)


def _check_tiling(text: str) -> None:
    segs = segment(text)
    assert [s.seg_id for s in segs] == list(range(len(segs)))
    for s in segs:
        assert text[s.start:s.end] == s.text and s.text == s.text.strip() and s.text
    for a, b in zip(segs, segs[1:]):
        assert a.end <= b.start
    assert _non_space("".join(s.text for s in segs)) == _non_space(text)


@pytest.fixture(scope="module")
def seeds():
    from pathlib import Path
    return {a.doc_id: a for a in load_articles(Path(__file__).resolve().parents[1] / "seeds")}


def _texts(article):
    return [s.text for s in segment(article.text)]


def test_seed_offsets_are_exact_and_cover_the_text(seeds):
    for article in seeds.values():
        _check_tiling(article.text)


@pytest.mark.parametrize("text, expected", [
    ("The U.S. government sued. Gov. Walz replied.", ["The U.S. government sued.", "Gov. Walz replied."]),
    ("Dr. Jane Q. Public spoke in Washington, D.C. on Monday. She left.",
     ["Dr. Jane Q. Public spoke in Washington, D.C. on Monday.", "She left."]),
    ("Heading without punctuation\nThe body starts here. It goes on.",
     ["Heading without punctuation", "The body starts here.", "It goes on."]),
    ("Police must respond—no matter what. Agents wait.", ["Police must respond—no matter what.", "Agents wait."]),
])
def test_tricky_boundaries(text, expected):
    assert [s.text for s in segment(text)] == expected


def test_quotation_spanning_sentences_is_split_and_keeps_its_speaker(seeds):
    segs = segment(seeds["002_7b7d57f0a03279bb"].text)
    by_text = {s.text: s for s in segs}
    first = by_text["“There are always parallel state and federal criminal investigations."]
    second = next(s for s in segs if s.text.startswith("Typically the feds will defer"))
    assert first.speaker == second.speaker == "Lori Lightfoot"
    assert by_text["“They’ll have to look."].speaker == "Lori Lightfoot"


def _gold_boilerplate() -> dict[str, set[str]]:
    """Per seed article, the texts of the gold segments that are not claims (is_claim = false)."""
    found: dict[str, set[str]] = {}
    for record in read_jsonl(SEED_LABELS):
        found.setdefault(record["doc_id"], set())
        if not record["is_claim"]:
            found[record["doc_id"]].add(record["text"])
    return found


BOILERPLATE = _gold_boilerplate()


@pytest.mark.parametrize("doc_id", sorted(BOILERPLATE))
def test_every_boilerplate_line_is_not_a_claim(seeds, doc_id):
    segs = segment(seeds[doc_id].text)
    flagged = {s.text for s in segs if not s.is_claim}
    assert flagged == BOILERPLATE[doc_id]


@pytest.mark.parametrize("sentence, speaker", [
    ("“We will respond,” Miller said.", "Miller"),
    ("“We will respond,” said Dana Whitlock, the county sheriff.", "Dana Whitlock"),
    ("Critics argue that the program erodes trust.", "Critics"),
    ("Sergio Albarran, director of the field office, wrote in an affidavit that agents face threats.",
     "Sergio Albarran"),
    ("The sheriff's office booked 40 people.", None),
])
def test_speaker_rules(sentence, speaker):
    assert segment(sentence)[0].speaker == speaker


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400))
def test_any_unicode_tiles_exactly(text):
    _check_tiling(text)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from([
    "The U.S. sheriff said “we will help.", " ", "\n", "\n\n", "Gov. Ann B. Lee", "—", "?", ".", "“", "”",
    "<p>", "</p>", "\t", "ICE", "agents", "Photograph: A/AP", "Comments", " " * 50, "\x00", "\x1b", "é",
]), max_size=60))
def test_news_like_fragments_tile_exactly(parts):
    _check_tiling("".join(parts))
