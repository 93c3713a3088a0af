"""Article text -> ordered segments (sentences) with exact offsets, a claim flag and a speaker.

Sentence boundaries come from blingfire (compiled, linear in the length of the text, much faster than
pySBD), run line by line so headings and captions without final punctuation stay apart; two passes
mend its cuts after abbreviations (titles, U.S. states) and add the ones it misses, a cut before a
quotation's attribution ("…?” Gov. Newsom said") or a closing credit ("(Photo: TNS)") is undone, and
a last pass splits multi-sentence quotations.
Boundaries are only ever *positions* in the text, so every non-whitespace character lands in
exactly one segment and ``text[start:end] == segment.text`` always holds.
"""

from __future__ import annotations

import ctypes
import re
from collections.abc import Iterator

import blingfire
import numpy as np

from .schema import Segment
from .speakers import SpeakerTracker

_LINE = re.compile(r"[^\n\r\u2028\u2029]+")
_INSIDE_QUOTE_BREAK = re.compile(r"(?<=[.!?])\s+(?=[“\"‘(]?[A-Z])")
#: Abbreviations before a name (an initial, a title, "v." in a case name), and the others a sentence may
#: go on after.
_TITLES = r"[A-Z]|Gov|Sen|Sens|Rep|Reps|Dr|Mr|Mrs|Ms|St|Lt|Sgt|Capt|Gen|Col|Maj|Rev|Fr|Prof|No|Supt|v|vs"
#: ... and the U.S. states' abbreviations in AP style ("NOVATO, Calif. — The superintendent ...").
_STATES = (r"Ala|Ariz|Ark|Calif|Colo|Conn|Del|Fla|Ga|Ill|Ind|Kan|Ky|La|Md|Mass|Mich|Minn|Miss|Mo|Mont|Neb|"
           r"Nev|N\.H|N\.J|N\.M|N\.Y|N\.C|N\.D|Okla|Ore|Pa|R\.I|S\.C|S\.D|Tenn|Vt|Va|Wash|W\.Va|Wis|Wyo")
_OTHER_ABBREVIATIONS = (r"U\.S|D\.C|Jr|Sr|Inc|Co|Corp|Jan|Feb|Aug|Sept|Oct|Nov|Dec|a\.m|p\.m|etc|e\.g|i\.e|"
                        rf"al|approx|{_STATES}")
_ABBREVIATION_END = re.compile(rf"\b(?:{_TITLES}|{_OTHER_ABBREVIATIONS})\.$")
_TITLE_END = re.compile(rf"\b(?:{_TITLES})\.$")
#: What follows a quotation ending in ? or ! when the sentence goes on: "“… scared of?” Gov. Newsom said".
_ATTRIBUTION = re.compile(r"(?:(?:[A-Z][\w.’'-]*|he|she|they|we|I)\s+){1,4}(?:said|says|asked|told|added|wrote|"
                          r"shouted|replied)\b|(?:said|asked|added|wrote|replied)\s+[A-Z]")
#: A credit or note in brackets that ends the line: "(Richard Drew/Associated Press)", "[ ERIN HOOLEY | AP ]".
_BRACKETED_TAIL = re.compile(r"[(\[][^()\[\]]{1,60}[)\]]\s*$")
_MISSED_END = re.compile(r"(?P<word>\b[a-z]{2,}[.!?])[\"”’)]*\s+(?=[“\"‘(]?[A-Z])")
_OPEN_QUOTES = "“\""
_TERMINAL = ".!?:;\"”’)]…"

_NAVIGATION = {
    "translate", "comments", "comment", "no comments:", "read entire article", "read more", "share",
    "share this", "share this article", "subscribe", "advertisement", "related", "related articles",
    "continue reading", "news networks", "print", "email", "tweet", "leave a comment", "reply",
    "sign up", "log in", "menu", "home", "search", "skip to content", "back to top",
}
_BOILERPLATE_PATTERNS = [re.compile(p) for p in (  # matched against lowercased text
    r"^(photograph|photo|image|illustration|credit|video|source|photo credit)( by)?\s*:",
    r"\b(getty images|associated press photo|ap photo|reuters/|shutterstock)\b",
    r"[(\[][^()\[\]]*(/|\||\bphoto\b|\bap\b|associated press|\breuters\b|\btns\b)[^()\[\]]*[)\]]$",  # a credit
    r"^(this|the) (article|story|post|piece) (first|originally) (appeared|was published)",
    r"^(originally )?(published|posted|updated|reprinted)( by| on| with| in)\b",
    r"\ball rights reserved\b|^©|^copyright\b",
    r"\b(comments? (section )?below|share (this|the) (article|story|post)|leave a comment|"
    r"sign up for|subscribe to|follow us on|let us know (in|what))\b",
    r"^what are your thoughts\b",
    r"\bbreaking (international )?(news|headlines)\b.*\bat a glance\b|\bat a glance\b.*\bheadlines\b",
    r"^by [a-z][\w.'’-]+(\s+[a-z][\w.'’-]+){0,3}$",
    r"^posted by\b",
)]
_DATELINE = re.compile(
    r"^(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,?\s+)?"
    r"(?:(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2},?\s+\d{4}|"
    r"\d{1,2}\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\s+\d{4}|"
    r"\d{4}-\d{2}-\d{2}|\d+\s+(?:minutes?|hours?|days?|weeks?)\s+ago|(?:updated|published)\b.*)"
    r"(?:\s+at\s+[\d:]+\s*(?:a\.?m\.?|p\.?m\.?)?\s*\w*)?$", re.I)
_SMALL_WORDS = {"a", "an", "the", "and", "or", "of", "in", "on", "at", "to", "for", "by", "with", "is",
                "are", "vs", "from", "as", "but", "nor", "into", "its"}


def segment(text: str) -> list[Segment]:
    """Split ``text`` into ordered segments; boilerplate gets ``is_claim=False``, reported speech a speaker.

    >>> [s.text for s in segment("Translate\\n\\nGov. Smith said the U.S. rules apply. Others disagree.")]
    ['Translate', 'Gov. Smith said the U.S. rules apply.', 'Others disagree.']
    """
    segments: list[Segment] = []
    speakers = SpeakerTracker(text)
    for line_start, line_end in _line_spans(text):
        spans = list(_sentence_spans(text, line_start, line_end))
        line_is_boilerplate = _is_boilerplate_line(text[line_start:line_end], spans, text)
        for start, end in spans:
            piece = text[start:end]
            is_claim = not (line_is_boilerplate or _is_boilerplate_sentence(piece))
            speaker = speakers.attribute(piece) if is_claim else None
            segments.append(Segment(len(segments), start, end, piece, is_claim, speaker))
    return segments


def _line_spans(text: str) -> Iterator[tuple[int, int]]:
    for match in _LINE.finditer(text):
        start, end = _strip(text, match.start(), match.end())
        if start < end:
            yield start, end


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _sentence_spans(text: str, line_start: int, line_end: int) -> Iterator[tuple[int, int]]:
    """Sentences of one line as (start, end) pairs that tile the line's non-whitespace text."""
    line = text[line_start:line_end]
    cuts = [0, *_repaired(line, _sentence_starts(line)), len(line)]
    for a, b in zip(cuts, cuts[1:]):
        for start, end in _split_inside_quotes(line, a, b):
            start, end = _strip(line, start, end)
            if start < end:
                yield line_start + start, line_start + end


def _sentence_starts(line: str, size: int = 100_000) -> list[int]:
    """Where each sentence after the first starts, read window by window so time and memory stay linear.

    Cuts in the last quarter of a window are read again at the start of the next one, so each cut is
    decided with the context a single pass would give; a window with no cut in its first three
    quarters (one "sentence" of 75,000 characters) is cut at a space there.
    """
    starts: list[int] = []
    offset = 0
    settle, least = size - size // 4, size // 2
    while len(line) - offset > size:
        settled = [c for c in _blingfire_starts(line[offset:offset + size]) if c <= settle]
        if not settled or settled[-1] < least:
            space = line.rfind(" ", offset + least, offset + settle)
            settled.append(space + 1 - offset if space >= 0 else settle)
        starts += [offset + c for c in settled]
        offset = starts[-1]
    return starts + [offset + c for c in _blingfire_starts(line[offset:])]


def _blingfire_starts(window: str) -> list[int]:
    """Character positions where blingfire starts the 2nd, 3rd, ... sentence of ``window``."""
    data = window.encode("utf-8", "surrogatepass")
    room = 2 * len(data) + 16
    out, begins, ends = ctypes.create_string_buffer(room), (ctypes.c_int32 * room)(), (ctypes.c_int32 * room)()
    written = blingfire.blingfire.TextToSentencesWithOffsets(
        ctypes.c_char_p(data), ctypes.c_int(len(data)), ctypes.byref(out), ctypes.byref(begins),
        ctypes.byref(ends), ctypes.c_int(room))
    if written <= 0 or written > room:
        return []
    count = out.raw[:written].count(b"\n") + 1
    byte_starts = np.frombuffer(begins, dtype=np.int32, count=count)[1:]
    byte_starts = byte_starts[(byte_starts > 0) & (byte_starts < len(data))]
    char_of_byte = np.cumsum((np.frombuffer(data, dtype=np.uint8) & 0xC0) != 0x80) - 1
    return sorted(set(char_of_byte[byte_starts].tolist()))


def _repaired(line: str, starts: list[int]) -> list[int]:
    """blingfire's cuts, less those after an abbreviation that goes on, plus the sentence ends it
    misses after a lowercase word ("voted the bill down. Sen. Mark Kirk ..."), less the cuts before
    a quotation's attribution or a closing bracketed credit."""
    kept = [c for c in starts if not _continues(line[max(c - 20, 0):c].rstrip(), line[c:c + 1])]
    missed = [m.end() for m in _MISSED_END.finditer(line)
              if not _ABBREVIATION_END.search(line, max(m.end("word") - 20, 0), m.end("word"))]
    return sorted(c for c in set(kept) | set(missed) if not _goes_on(line, c))


def _continues(before: str, first: str) -> bool:
    """A cut after an abbreviation is wrong when the next word does not open a sentence or the
    abbreviation is a title or an initial ("Sen. Mark Kirk", "Lunn v. Commonwealth", "D.C. — ...")."""
    if not _ABBREVIATION_END.search(before):
        return False
    return not (first.isupper() or first in _OPEN_QUOTES) or bool(_TITLE_END.search(before))


def _goes_on(line: str, cut: int) -> bool:
    """A cut is wrong before the attribution of a quotation that ends in ? or !, and before a bracketed
    credit that ends the line (read near the cut only, so long lines stay linear)."""
    before = line[max(cut - 3, 0):cut].rstrip()
    if before[-2:] in ("?”", "!”", '?"', '!"') and _ATTRIBUTION.match(line, cut):
        return True
    return (len(line) - cut <= 64 and bool(_BRACKETED_TAIL.fullmatch(line, cut))
            and not before.endswith((":", ";")))


def _split_inside_quotes(line: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """The splitter keeps a quotation of several sentences whole; cut it at its inner sentence ends."""
    piece = line[start:end]
    if not any(q in piece for q in _OPEN_QUOTES):
        yield start, end
        return
    last = 0
    for match in _INSIDE_QUOTE_BREAK.finditer(piece):
        before = piece[last:match.start()]
        if _ABBREVIATION_END.search(before) or len(before.split()) < 3:
            continue
        yield start + last, start + match.start()
        last = match.end()
    yield start + last, end


def _is_boilerplate_line(line: str, spans: list[tuple[int, int]], text: str) -> bool:
    """Headings, navigation, captions and alt text are judged as whole lines."""
    stripped = line.strip()
    if any(p.search(text[s:e].lower()) for s, e in spans for p in _BOILERPLATE_PATTERNS[:2]):
        return True  # a photo credit makes its whole caption line boilerplate
    if len(spans) != 1:
        return False
    words = stripped.split()
    unpunctuated = stripped[-1] not in _TERMINAL
    if len(words) <= 2 and (unpunctuated or stripped.lower() in _NAVIGATION):
        return True
    if stripped[0].islower() and stripped.rstrip("\"”’')]")[-1:] not in (".", "!", "?"):
        return True  # image alt text: "a woman speaks into microphones"
    return _looks_like_title(stripped)


def _looks_like_title(line: str) -> bool:
    """Title Case lines without a verb-like ending name a section rather than state a claim."""
    if line[-1] in ".;…\"”" or len(line.split()) > 14:
        return False
    words = [w for w in re.findall(r"[A-Za-z][\w’'-]*", line)]
    content = [w for w in words if w.lower() not in _SMALL_WORDS]
    return bool(content) and all(w[0].isupper() for w in content) and len(content) >= 2


def _is_boilerplate_sentence(sentence: str) -> bool:
    stripped = sentence.strip()
    low = stripped.lower()
    if low in _NAVIGATION or low.rstrip(":") in _NAVIGATION:
        return True
    if _DATELINE.match(stripped):
        return True
    if stripped.startswith("[") and stripped.rstrip(".").endswith("]"):
        return True  # a bracketed citation such as "[County Police Department Knowledge]."
    return any(p.search(low) for p in _BOILERPLATE_PATTERNS)
