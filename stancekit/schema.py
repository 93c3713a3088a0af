"""The records that flow through stancekit: articles, segments, and the label set."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

#: Column order of every probability array a classifier returns.
LABELS: tuple[str, str, str] = ("favor", "against", "none")

#: The proposition every stance label is about.
TARGET = "State and local law enforcement should cooperate with federal immigration enforcement."


@dataclass(frozen=True)
class Article:
    """One input document: its text and what is known about where it came from."""

    doc_id: str
    text: str
    source: str
    title: str | None = None
    date: str | None = None
    path: str | None = None
    meta: dict = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Segment:
    """One sentence of an article, located by character offsets (``text == article.text[start:end]``)."""

    seg_id: int
    start: int
    end: int
    text: str
    is_claim: bool
    speaker: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)
