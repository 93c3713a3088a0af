"""Article text -> ordered segments (sentences) with exact offsets, a claim flag and a speaker.

Sentence boundaries come from pySBD, run line by line so headings and captions without final
punctuation stay apart; a second pass splits multi-sentence quotations that pySBD keeps whole.
Boundaries are only ever *positions* in the text, so every non-whitespace character lands in
exactly one segment and ``text[start:end] == segment.text`` always holds.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from .schema import Segment
from .speakers import SpeakerTracker

_LINE = re.compile(r"[^\n\r\u2028\u2029]+")
_INSIDE_QUOTE_BREAK = re.compile(r"(?<=[.!?])\s+(?=[“\"‘(]?[A-Z])")
_ABBREVIATION_END = re.compile(
    r"(?:\b(?:[A-Z]|U\.S|D\.C|Gov|Sen|Rep|Dr|Mr|Mrs|Ms|St|Jr|Sr|Lt|Sgt|Capt|Gen|Col|No|vs|Inc|Co|Corp|Jan|Feb|"
    r"Aug|Sept|Oct|Nov|Dec|a\.m|p\.m|etc|e\.g|i\.e)\.)$")
_OPEN_QUOTES = "“\""
_TERMINAL = ".!?:;\"”’)]…"

_NAVIGATION = {
    "translate", "comments", "comment", "no comments:", "read entire article", "read more", "share",
    "share this", "share this article", "subscribe", "advertisement", "related", "related articles",
    "continue reading", "news networks", "print", "email", "tweet", "leave a comment", "reply",
    "sign up", "log in", "menu", "home", "search", "skip to content", "back to top",
}
_BOILERPLATE_PATTERNS = [re.compile(p, re.I) for p in (
    r"^(photograph|photo|image|illustration|credit|video|source|photo credit)( by)?\s*:",
    r"\b(getty images|associated press photo|ap photo|reuters/|shutterstock)\b",
    r"^(this|the) (article|story|post|piece) (first|originally) (appeared|was published)",
    r"^(originally )?(published|posted|updated|reprinted)( by| on| with| in)\b",
    r"\ball rights reserved\b|^©|^copyright\b",
    r"\b(comments? (section )?below|share (this|the) (article|story|post)|leave a comment|"
    r"sign up for|subscribe to|follow us on|let us know (in|what))\b",
    r"^what are your thoughts\b",
    r"\bbreaking (international )?(news|headlines)\b.*\bat a glance\b|\bat a glance\b.*\bheadlines\b",
    r"^by [A-Z][\w.'’-]+(\s+[A-Z][\w.'’-]+){0,3}$",
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
    cuts = [0]
    for window_start, window_end in _windows(line):
        window = line[window_start:window_end]
        if window_start > cuts[-1]:
            cuts.append(window_start)
        cursor = 0
        for sentence in _pysbd().segment(window):
            core = sentence.strip()
            if not core:
                continue
            found = window.find(core, cursor)
            if found < 0:  # pySBD altered the text; keep the boundaries found so far
                break
            if window_start + found > cuts[-1]:
                cuts.append(window_start + found)
            cursor = found + len(core)
    cuts.append(len(line))
    for a, b in zip(cuts, cuts[1:]):
        for start, end in _split_inside_quotes(line, a, b):
            start, end = _strip(line, start, end)
            if start < end:
                yield line_start + start, line_start + end


def _windows(line: str, size: int = 2000) -> Iterator[tuple[int, int]]:
    """pySBD slows down quadratically on very long lines: cut them after a sentence end near every
    ``size`` characters (or at a space, or anywhere, when there is none)."""
    start = 0
    while len(line) - start > size:
        chunk = line[start:start + size]
        cut = max(chunk.rfind(". "), chunk.rfind("? "), chunk.rfind("! "))
        cut = cut + 2 if cut > size // 2 else (chunk.rfind(" ") + 1 if chunk.rfind(" ") > size // 2 else size)
        yield start, start + cut
        start += cut
    yield start, len(line)


def _split_inside_quotes(line: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """pySBD keeps a quotation of several sentences whole; cut it at its inner sentence ends."""
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


@lru_cache(maxsize=1)
def _pysbd():
    import pysbd

    return pysbd.Segmenter(language="en", clean=False)


def _is_boilerplate_line(line: str, spans: list[tuple[int, int]], text: str) -> bool:
    """Headings, navigation, captions and alt text are judged as whole lines."""
    stripped = line.strip()
    if any(p.search(text[s:e]) for s, e in spans for p in _BOILERPLATE_PATTERNS[:2]):
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
    return any(p.search(stripped) for p in _BOILERPLATE_PATTERNS)
