"""Segmentation: exact offsets, sentence boundaries, boilerplate and speakers on the seeds."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stancekit import load_articles, segment, speakers
from stancekit.data import DEVSET_DIR, SEED_LABELS, read_jsonl

segment_module = importlib.import_module("stancekit.segment")
SEEDS = Path(__file__).resolve().parents[1] / "seeds"


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
    return {a.doc_id: a for a in load_articles(SEEDS)}


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
    # a dateline's state, a title before a name, a quotation's attribution after ? or !, a credit in brackets
    ("NOVATO, Calif. - The district is upset. It says so.", ["NOVATO, Calif. - The district is upset.", "It says so."]),
    ("He moved to Calif. He stayed.", ["He moved to Calif.", "He stayed."]),
    ('"We stand with them," said Rev. Noel Andersen of CWS.', ['"We stand with them," said Rev. Noel Andersen of CWS.']),
    ("“What are you scared of?” Gov. Newsom said Saturday. He left.",
     ["“What are you scared of?” Gov. Newsom said Saturday.", "He left."]),
    ("“Why?” The crowd fell silent.", ["“Why?”", "The crowd fell silent."]),
    ("Oakland ended the agreement. (Richard Drew/Associated Press)",
     ["Oakland ended the agreement. (Richard Drew/Associated Press)"]),
])
def test_tricky_boundaries(text, expected):
    assert [s.text for s in segment(text)] == expected


def test_a_caption_with_a_bracketed_credit_is_not_a_claim():
    [caption] = segment("The ICE building in Chicago, seen Jan. 21, 2025. [ ERIN HOOLEY | AP ]")
    assert not caption.is_claim
    [claim] = segment("Deputies will honor detainers (with a judge's warrant).")
    assert claim.is_claim


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
    # inverted attribution after a comma; a listener ("told X") is not the speaker
    ("He was released anyway, said Virginia Kice.", "Virginia Kice"),
    ("The count rose, said Maj. Michael Cronise, the assistant chief.", "Michael Cronise"),
    ("John Williams, who won the race, told Athens Political Nerds that he would end it.", "John Williams"),
    # a job description after the name, a description before it, an institution before the verb
    ("Rev. John L. McCullough, President and CEO of CWS, said the plan hurts trust.", "John L. McCullough"),
    ("Los Angeles Police Department chief Charlie Beck said the police will not help.", "Charlie Beck"),
    ("The man had several convictions, the San Francisco Sheriff's Department said.",
     "the san francisco sheriff's department"),
    ("Mary Moriarty, the Hennepin County Attorney, told reporters she may charge agents.", "Mary Moriarty"),
    ("According to Department of Homeland Security spokesperson Tricia McLaughlin, agents made a stop.",
     "Department of Homeland Security spokesperson Tricia McLaughlin"),
    ("According to the data, 2,000 people were released.", None),
    # a verb in a relative clause, a dateline and a subordinate clause are no attribution
    ("Plenty of people who say they shield neighbors are confused about the law.", None),
    ("WASHINGTON — Today the department said detainers rose.", None),
    ("Although he was undocumented, he was released, officials said.", "unnamed speakers"),
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


def _long_paragraph(seeds, chars: int) -> str:
    """One line of about ``chars`` characters: the seed articles' sentences repeated."""
    sentences = [s.text for a in seeds.values() for s in segment(a.text) if s.is_claim]
    return " ".join(sentences * (chars // sum(len(s) + 1 for s in sentences) + 1))[:chars]


def test_long_single_line_tiles_exactly(seeds):
    _check_tiling(_long_paragraph(seeds, 250_000))


def test_window_by_window_cuts_equal_one_pass_cuts(seeds):
    """Reading a long line in windows finds the same sentence starts as one blingfire pass over it."""
    line = _long_paragraph(seeds, 250_000)
    assert segment_module._sentence_starts(line) == segment_module._blingfire_starts(line)


def _article_lines():
    texts = [a.text for a in load_articles(SEEDS)]
    if DEVSET_DIR.is_dir():
        texts += [p.read_text(encoding="utf-8") for p in sorted((DEVSET_DIR / "articles").glob("*.txt"))]
    return [text[a:b] for text in texts for a, b in segment_module._line_spans(text)]


def test_small_windows_cut_news_paragraphs_like_one_pass():
    """On real paragraphs (the longest near 1,000 characters), windows of 800 give the cuts of one pass."""
    lines = _article_lines()
    assert any(len(line) > 800 for line in lines)
    for line in lines:
        assert segment_module._sentence_starts(line, size=800) == segment_module._blingfire_starts(line)


def test_splitting_reads_each_character_a_bounded_number_of_times(seeds, monkeypatch):
    """Linear time: the windows given to blingfire add up to less than twice the line."""
    read = []
    original = segment_module._blingfire_starts
    monkeypatch.setattr(segment_module, "_blingfire_starts",
                        lambda window: read.append(len(window)) or original(window))
    line = _long_paragraph(seeds, 60_000)
    segment_module._sentence_starts(line, size=4000)
    assert len(read) > 10 and sum(read) < 2 * len(line)


def test_a_line_without_sentence_ends_is_cut_into_bounded_pieces():
    line = "word " * 30_000
    starts = segment_module._sentence_starts(line, size=10_000)
    assert starts and all(b - a <= 7500 for a, b in zip([0, *starts], [*starts, len(line)]))
    _check_tiling(line)


@pytest.mark.parametrize("text, expected", [
    ("Every Democrat apart from Sens. Joe Manchin voted the bill down. Sen. Mark Kirk voted no.",
     ["Every Democrat apart from Sens. Joe Manchin voted the bill down.", "Sen. Mark Kirk voted no."]),
    ("Under the ruling in Lunn v. Commonwealth, people cannot be held.",
     ["Under the ruling in Lunn v. Commonwealth, people cannot be held."]),
    ("WASHINGTON, D.C. — This morning the chiefs spoke.", ["WASHINGTON, D.C. — This morning the chiefs spoke."]),
])
def test_cuts_mended_around_abbreviations(text, expected):
    assert [s.text for s in segment(text)] == expected


@pytest.mark.parametrize("text, speaker", [
    ("Sheriff Craig Owens ended the program on Monday. The sheriff said the jail is safer.", "Craig Owens"),
    ("Craig Owens, the Cobb County sheriff, ended the program. “It is over,” the sheriff said.", "Craig Owens"),
    ("Attorney General Ken Paxton sued. “It is a question of safety,” the attorney general said.", "Ken Paxton"),
    ("Sheriff Ann Lee and Sheriff Bo Diaz met. The sheriff said the jail is full.", "the sheriff"),
    ("The jail is full. The Sheriff's Office said it does not honor detainers.", "the sheriff's office"),
    ("The jail is full. The sheriff’s office said it does not honor detainers.", "the sheriff’s office"),
    ("The jail is full. The Immigration and Nationality Act says that officers may help.", None),
    ("The jail is full. The statute says nobody may be arrested in a courthouse.", None),
    ("The jail is full. Some argue that the program erodes trust.", "unnamed speakers"),
    ("The jail is full. Others say it makes the county safer.", "unnamed speakers"),
    ("The jail is full. Officials said the program will continue.", "unnamed speakers"),
    ("Mary Moriarty, a prosecutor, spoke. “We act. That simply isn’t true,” she added.", "Mary Moriarty"),
])
def test_generic_subjects_resolve_consistently(text, speaker):
    assert segment(text)[-1].speaker == speaker


def test_names_are_indexed_once_per_article(monkeypatch):
    """Attribution does not re-read the article for each sentence that needs a full name."""
    built = []

    class Counting(speakers.NameIndex):
        def __init__(self, text):
            built.append(len(text))
            super().__init__(text)

    monkeypatch.setattr(speakers, "NameIndex", Counting)
    text = "Dana Whitlock runs the jail. " + " ".join(f"Whitlock said the jail holds {n} people." for n in range(200))
    segs = segment(text)
    assert built == [len(text)]
    assert {s.speaker for s in segs[1:]} == {"Dana Whitlock"}
