"""The records that flow through stancekit: articles, segments, and the label set."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

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


#: Probability columns of a claim row, in LABELS order.
PROB_COLUMNS: tuple[str, ...] = tuple(f"p_{label}" for label in LABELS)

#: Columns of a claim row: every ``claims`` frame has them, in this order.
CLAIM_COLUMNS: tuple[str, ...] = (
    "doc_id", "source", "seg_id", "start", "end", "text", "speaker", "stance", *PROB_COLUMNS,
)


def stance_fields(probs) -> dict:
    """The predicted stance and the three probabilities of one claim, as claim-row fields.

    >>> stance_fields([0.2, 0.7, 0.1])
    {'stance': 'against', 'p_favor': 0.2, 'p_against': 0.7, 'p_none': 0.1}
    """
    values = np.asarray(probs, dtype=np.float64)
    return {"stance": LABELS[int(np.argmax(values))], **{name: float(p) for name, p in zip(PROB_COLUMNS, values)}}


def claim_record(article: Article, segment: Segment, probs) -> dict:
    """The claim row (CLAIM_COLUMNS keys) of one classified segment of ``article``.

    >>> article = Article(doc_id="a1", text="Police should help.", source="Gazette")
    >>> claim_record(article, Segment(0, 0, 19, "Police should help.", True), [0.8, 0.1, 0.1])["stance"]
    'favor'
    """
    return {"doc_id": article.doc_id, "source": article.source, "seg_id": segment.seg_id,
            "start": segment.start, "end": segment.end, "text": segment.text, "speaker": segment.speaker,
            **stance_fields(probs)}
