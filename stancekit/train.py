"""Reproducible training of the stance transformer from a JSON config (``stancekit train``)."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from .errors import UsageError

log = logging.getLogger(__name__)


@dataclass
class TrainConfig:
    """What to train on and how; every field has a default so ``{}`` is a valid config."""

    classifier: str = "transformer"
    seed: int = 0
    epochs: int = 4
    learning_rate: float = 5e-5
    batch_size: int = 16
    max_length: int = 128
    class_weight: str | None = "balanced"
    calibration_fraction: float = 0.15
    freeze_embeddings: bool = True
    pooling: str = "cls"
    use_corpus: bool = True
    use_seeds: bool = True
    exclude_docs: list[str] = field(default_factory=list)
    extra_data: list[str] = field(default_factory=list)

    @classmethod
    def from_file(cls, path: str | os.PathLike) -> TrainConfig:
        """Read a JSON config; unknown keys are an error so typos do not pass silently."""
        try:
            raw = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise UsageError(f"{path}: cannot read training config ({exc})") from None
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise UsageError(f"{path}: unknown config keys {unknown}; known keys: {sorted(known)}")
        return cls(**raw)


def training_examples(config: TrainConfig) -> tuple[list[str], list[str]]:
    """Texts and labels the config asks for: corpus, seed claims (minus excluded docs), extra JSONL."""
    from .data import load_labeled, load_seeds, load_training

    texts, labels = [], []
    if config.use_corpus:
        corpus = load_training()
        texts += corpus["text"]
        labels += corpus["stance"]
    if config.use_seeds:
        seeds = load_seeds().filter(lambda r: r["doc_id"] not in set(config.exclude_docs))
        texts += seeds["text"]
        labels += seeds["stance"]
    for path in config.extra_data:
        extra = load_labeled(path)
        texts += extra["text"]
        labels += extra["stance"]
    return texts, labels


def train(config: TrainConfig, out_dir: str | os.PathLike):
    """Train the configured classifier (fine-tuned MiniLM, or the TF-IDF baseline) and save it to ``out_dir``."""
    from .classifiers import TfidfClassifier, TransformerClassifier

    texts, labels = training_examples(config)
    log.info("training %s on %d claims", config.classifier, len(texts))
    out = Path(out_dir)
    if config.classifier == "tfidf":
        classifier = TfidfClassifier(seed=config.seed).fit(texts, labels)
        classifier.save(out / "tfidf.skops")
    elif config.classifier == "transformer":
        params = {k: v for k, v in asdict(config).items()
                  if k not in {"classifier", "use_corpus", "use_seeds", "exclude_docs", "extra_data"}}
        classifier = TransformerClassifier(**params).fit(texts, labels)
        classifier.save(out)
    else:
        raise UsageError(f"unknown classifier {config.classifier!r} in the training config; "
                         "use 'transformer' or 'tfidf'")
    (out / "train_config.json").write_text(json.dumps(asdict(config), indent=2) + "\n", encoding="utf-8")
    return classifier
