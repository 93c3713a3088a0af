"""analyze(): segment -> classify -> aggregate, the whole flow in one call.

>>> analysis = analyze("seeds/")                      # doctest: +SKIP
>>> analysis.by_source()[["source", "net_stance", "ci_low", "ci_high"]]  # doctest: +SKIP
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import aggregate
from .classifiers import load_classifier
from .classifiers.base import StanceClassifier, check_classifier, to_label_order
from .errors import NO_CLAIMS, InputError, UsageError
from .io import iter_articles, split_inputs
from .outputs import write_results
from .pairwise import ranking
from .runs.progress import RunProgress
from .schema import CLAIM_COLUMNS, LABELS, PROB_COLUMNS, Article, claim_record
from .segment import segment


@dataclass
class Analysis:
    """Every claim with its stance and probabilities, the articles behind them, and what failed to load."""

    claims: pd.DataFrame
    articles: list[dict] = field(default_factory=list, repr=False)
    errors: list[InputError] = field(default_factory=list)

    def by_source(self, *, weighted: bool = False) -> pd.DataFrame:
        """One row per source: shares, net stance with its 95% interval, mean confidence."""

        return aggregate.by_source(self.claims, weighted=weighted)

    def by_voice(self) -> pd.DataFrame:
        """The same aggregates split into the author's own voice and quoted speakers."""

        return aggregate.by_voice(self.claims)

    def by_speaker(self) -> pd.DataFrame:
        """Aggregates per quoted speaker across sources."""

        return aggregate.by_speaker(self.claims)

    def pairwise(self) -> pd.DataFrame:
        """Difference in net stance for every pair of sources, with interval and JS divergence."""

        return aggregate.pairwise(self.claims)

    def ranking(self) -> pd.DataFrame:
        """Sources from most against to most in favor; sources the intervals cannot tell apart share a rank."""

        return ranking(self.by_source(), self.pairwise())

    def evidence(self, k: int = 3) -> pd.DataFrame:
        """The k most confident claims per source and stance, with offsets."""

        return aggregate.evidence(self.claims, k=k)

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table the report shows, computed once."""
        return aggregate.build_tables(self.claims)

    def write(self, out_dir: str | os.PathLike, tables: dict | None = None) -> dict[str, Path]:
        """Write sources.csv, claims.jsonl and the self-contained report.html into ``out_dir``;
        raises UsageError when there are no claims, rather than write an empty report."""
        if self.claims.empty:
            raise UsageError(NO_CLAIMS)
        rows = (row._asdict() for row in self.claims[list(CLAIM_COLUMNS)].itertuples(index=False))
        return write_results(out_dir, tables or self.tables(), rows, self.articles,
                             n_articles=self.claims["doc_id"].nunique())


def analyze(articles_or_paths: Iterable[Article | str | os.PathLike] | str | os.PathLike,
            classifier: StanceClassifier | None = None, *, progress: bool = False) -> Analysis:
    """Segment every article, classify its claims, and return an Analysis ready to aggregate.

    Inputs that cannot be read are kept in ``Analysis.errors``; when nothing at all can be read, the
    first of them is raised (a UsageError when the paths hold no article files at all).
    """
    classifier = check_classifier(classifier if classifier is not None else load_classifier())
    articles, errors = _collect(articles_or_paths)
    if not articles:
        raise errors[0]
    with RunProgress(len(articles), unit="articles", enabled=progress, articles=False) as bar:
        rows, documents = classify_articles(articles, classifier, on_batch=bar.per_batch(len(articles)))
    return Analysis(pd.DataFrame(rows, columns=list(CLAIM_COLUMNS)), documents, errors)


def classify_articles(articles: list[Article], classifier: StanceClassifier, *,
                      on_batch: Callable[[int, int], None] | None = None) -> tuple[list[dict], list[dict]]:
    """Claim rows (CLAIM_COLUMNS) and per-article drill-down records for a batch of articles;
    ``on_batch`` follows the classification as in predict_proba."""
    segmented = [(a, segment(a.text)) for a in articles]
    texts = [s.text for _, segs in segmented for s in segs if s.is_claim]
    proba = predict_proba(classifier, texts, on_batch=on_batch)
    rows, documents, k = [], [], 0
    for article, segs in segmented:
        doc_segments = []
        for s in segs:
            record = {"seg_id": s.seg_id, "start": s.start, "end": s.end, "is_claim": s.is_claim,
                      "speaker": s.speaker, "stance": None, **dict.fromkeys(PROB_COLUMNS)}
            if s.is_claim:
                row = claim_record(article, s, proba[k])
                k += 1
                record.update((key, row[key]) for key in ("stance", *PROB_COLUMNS))
                rows.append(row)
            doc_segments.append(record)
        documents.append({"doc_id": article.doc_id, "source": article.source, "title": article.title,
                          "text": article.text, "segments": doc_segments})
    return rows, documents


def predict_proba(classifier: StanceClassifier, texts: list[str], *,
                  on_batch: Callable[[int, int], None] | None = None, chunk: int = 512) -> np.ndarray:
    """Probabilities in LABELS order, in chunks so that ``on_batch(n, total)``, called after each
    chunk of n of the total texts, can show progress on long inputs."""
    if not texts:
        return np.zeros((0, len(LABELS)))
    parts = []
    for i in range(0, len(texts), chunk):
        batch = texts[i:i + chunk]
        parts.append(to_label_order(np.asarray(classifier.predict_proba(batch)), classifier.labels))
        if on_batch is not None:
            on_batch(len(batch), len(texts))
    return np.concatenate(parts)


def _collect(items) -> tuple[list[Article], list[InputError]]:
    """(articles, input errors) of a mix of Article objects and paths; raises UsageError when there
    are neither articles nor files to read."""
    if isinstance(items, (str, os.PathLike, Article)):
        items = [items]
    articles, paths = [], []
    for item in items:
        (articles if isinstance(item, Article) else paths).append(item)
    loaded, errors = split_inputs(iter_articles(paths)) if paths or not articles else ([], [])
    return articles + loaded, errors
