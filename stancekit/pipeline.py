"""analyze(): segment -> classify -> aggregate, the whole flow in one call.

>>> analysis = analyze("seeds/")                      # doctest: +SKIP
>>> analysis.by_source()[["source", "net_stance", "ci_low", "ci_high"]]  # doctest: +SKIP
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .aggregate import CLAIM_COLUMNS as _CLAIM_COLUMNS
from .classifiers.base import StanceClassifier, check_classifier, to_label_order
from .errors import InputError
from .io import iter_articles
from .schema import LABELS, Article
from .segment import segment

CLAIM_COLUMNS = list(_CLAIM_COLUMNS)


@dataclass
class Analysis:
    """Every claim with its stance and probabilities, the articles behind them, and what failed to load."""

    claims: pd.DataFrame
    articles: list[dict] = field(default_factory=list, repr=False)
    errors: list[InputError] = field(default_factory=list)
    seed: int = 0

    def by_source(self, *, weighted: bool = False) -> pd.DataFrame:
        """One row per source: shares, net stance with bootstrap 95% interval, mean confidence."""
        from .aggregate import by_source

        return by_source(self.claims, weighted=weighted, seed=self.seed)

    def by_voice(self) -> pd.DataFrame:
        """The same aggregates split into the author's own voice and quoted speakers."""
        from .aggregate import by_voice

        return by_voice(self.claims, seed=self.seed)

    def by_speaker(self) -> pd.DataFrame:
        """Aggregates per quoted speaker across sources."""
        from .aggregate import by_speaker

        return by_speaker(self.claims, seed=self.seed)

    def pairwise(self) -> pd.DataFrame:
        """Difference in net stance for every pair of sources, with interval and JS divergence."""
        from .compare import pairwise

        return pairwise(self.claims, seed=self.seed)

    def ranking(self) -> pd.DataFrame:
        """Sources from most against to most in favor."""
        from .compare import ranking

        return ranking(self.by_source())

    def evidence(self, k: int = 3) -> pd.DataFrame:
        """The k most confident claims per source and stance, with offsets."""
        from .aggregate import evidence

        return evidence(self.claims, k=k)

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table the report shows, computed once."""
        from .report import build_tables

        return build_tables(self.claims, seed=self.seed)

    def write(self, out_dir: str | os.PathLike, tables: dict | None = None) -> dict[str, Path]:
        """Write sources.csv, claims.jsonl and the self-contained report.html into ``out_dir``."""
        from .report import write_outputs

        return write_outputs(Path(out_dir), self.claims, self.articles, tables=tables or self.tables())


def analyze(articles_or_paths: Iterable[Article | str | os.PathLike] | str | os.PathLike,
            classifier: StanceClassifier | None = None, *, progress: bool = False, seed: int = 0) -> Analysis:
    """Segment every article, classify its claims, and return an Analysis ready to aggregate."""
    from .classifiers import load_classifier

    classifier = check_classifier(classifier if classifier is not None else load_classifier())
    articles, errors = _collect(articles_or_paths)
    rows, documents = classify_articles(articles, classifier, progress=progress)
    return Analysis(pd.DataFrame(rows, columns=CLAIM_COLUMNS), documents, errors, seed)


def classify_articles(articles: list[Article], classifier: StanceClassifier, *,
                      progress: bool = False) -> tuple[list[dict], list[dict]]:
    """Claim rows (CLAIM_COLUMNS) and per-article drill-down records for a batch of articles."""
    segmented = [(a, segment(a.text)) for a in articles]
    texts = [s.text for _, segs in segmented for s in segs if s.is_claim]
    proba = predict_proba(classifier, texts, progress=progress)
    rows, documents, k = [], [], 0
    for article, segs in segmented:
        doc_segments = []
        for s in segs:
            record = {"seg_id": s.seg_id, "start": s.start, "end": s.end, "is_claim": s.is_claim,
                      "speaker": s.speaker, "stance": None, "p_favor": None, "p_against": None, "p_none": None}
            if s.is_claim:
                p = proba[k]
                k += 1
                record.update(stance=LABELS[int(np.argmax(p))], p_favor=float(p[0]), p_against=float(p[1]),
                              p_none=float(p[2]))
                rows.append({"doc_id": article.doc_id, "source": article.source, "seg_id": s.seg_id,
                             "start": s.start, "end": s.end, "text": s.text, "speaker": s.speaker,
                             **{key: record[key] for key in ("stance", "p_favor", "p_against", "p_none")}})
            doc_segments.append(record)
        documents.append({"doc_id": article.doc_id, "source": article.source, "title": article.title,
                          "text": article.text, "segments": doc_segments})
    return rows, documents


def predict_proba(classifier: StanceClassifier, texts: list[str], *, progress: bool = False,
                  chunk: int = 512) -> np.ndarray:
    """Probabilities in LABELS order, in chunks so a progress bar can follow long inputs."""
    from tqdm.auto import tqdm

    if not texts:
        return np.zeros((0, len(LABELS)))
    parts = []
    with tqdm(total=len(texts), unit="claim", disable=not progress or len(texts) < chunk, leave=False) as bar:
        for i in range(0, len(texts), chunk):
            batch = texts[i:i + chunk]
            parts.append(to_label_order(np.asarray(classifier.predict_proba(batch)), classifier.labels))
            bar.update(len(batch))
    return np.concatenate(parts)


def _collect(items) -> tuple[list[Article], list[InputError]]:
    if isinstance(items, (str, os.PathLike, Article)):
        items = [items]
    articles, errors, paths = [], [], []
    for item in items:
        (articles if isinstance(item, Article) else paths).append(item)
    for loaded in iter_articles(paths) if paths else []:
        (errors if isinstance(loaded, InputError) else articles).append(loaded)
    return articles, errors
