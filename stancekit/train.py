"""Reproducible training of the stance transformer from a JSON config (``stancekit train``)."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

from .errors import UsageError

log = logging.getLogger(__name__)


@dataclass
class TrainConfig:
    """What to train on and how; every field has a default so ``{}`` is a valid config."""

    classifier: str = "transformer"
    base: str | None = None
    seed: int = 0
    epochs: int = 4
    learning_rate: float = 5e-5
    batch_size: int = 16
    max_length: int = 128
    class_weight: str | None = "balanced"
    calibration_fraction: float = 0.15
    freeze_embeddings: bool = True
    pooling: str = "cls"
    train_layers: int | None = None
    #: Text read after each claim as the second segment of a text pair (e.g. the target
    #: proposition, stancekit.schema.TARGET); None: the claim alone.
    pair_with: str | None = None
    use_corpus: bool = True
    use_seeds: bool = True
    use_devset: bool = False
    exclude_docs: list[str] = field(default_factory=list)
    extra_data: list[str] = field(default_factory=list)
    #: Scales the fitted temperature after the last stage (a factor measured on held-out real text).
    temperature_factor: float = 1.0
    #: Later stages: each a dict of fields that differ from this config; the model trains on from
    #: the previous stage's weights (warm start) on that stage's data.
    then: list[dict] = field(default_factory=list)

    @classmethod
    def from_file(cls, path: str | os.PathLike) -> TrainConfig:
        """Read a JSON config; unknown keys are an error so typos do not pass silently."""
        try:
            raw = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise UsageError(f"{path}: cannot read training config ({exc})") from None
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(raw).union(*(stage for stage in raw.get("then", []) if isinstance(stage, dict)))
                         - known)
        if unknown:
            raise UsageError(f"{path}: unknown config keys {unknown}; known keys: {sorted(known)}")
        return cls(**raw)


def training_examples(config: TrainConfig) -> tuple[list[str], list[str]]:
    """Texts and labels the config asks for: corpus, seed and dev-set claims (minus excluded docs),
    extra JSONL."""
    from .data import load_devset, load_labeled, load_seeds, load_training

    texts, labels = [], []
    if config.use_corpus:
        corpus = load_training()
        texts += corpus["text"]
        labels += corpus["stance"]
    if config.use_seeds:
        seeds = load_seeds().filter(lambda r: r["doc_id"] not in set(config.exclude_docs))
        texts += seeds["text"]
        labels += seeds["stance"]
    if config.use_devset:
        devset = load_devset().filter(lambda r: r["doc_id"] not in set(config.exclude_docs))
        texts += devset["text"]
        labels += devset["stance"]
    for path in config.extra_data:
        extra = load_labeled(path)
        texts += extra["text"]
        labels += extra["stance"]
    return texts, labels


def train(config: TrainConfig, out_dir: str | os.PathLike):
    """Train the configured classifier (fine-tuned MiniLM, or a baseline) and save it to ``out_dir``."""
    from .classifiers import make_trainable
    from .classifiers.registry import NAMES

    if config.classifier not in NAMES:
        raise UsageError(f"unknown classifier {config.classifier!r} in the training config; "
                         f"use one of {', '.join(NAMES)}")
    if config.then and config.classifier != "transformer":
        raise UsageError(f"'then' stages continue training a transformer; {config.classifier} has one stage")
    texts, labels = training_examples(config)
    log.info("training %s on %d claims", config.classifier, len(texts))
    params = {"seed": config.seed} if config.classifier == "tfidf" else {}
    if config.classifier == "transformer":
        params = {k: v for k, v in asdict(config).items() if k not in _DATA_KEYS}
    classifier = make_trainable(config.classifier, **params).fit(texts, labels)
    for number, changes in enumerate(config.then, 2):
        stage = replace(config, **{**changes, "then": []})
        texts, labels = training_examples(stage)
        log.info("stage %d: training on %d claims from the previous stage's weights", number, len(texts))
        for key, value in {k: v for k, v in asdict(stage).items() if k not in _DATA_KEYS}.items():
            setattr(classifier, key, value)
        classifier.warm_start = True
        classifier.fit(texts, labels)
    if config.temperature_factor != 1.0:
        classifier.temperature *= config.temperature_factor
    out = Path(out_dir)
    classifier.save(out)
    (out / "train_config.json").write_text(json.dumps(asdict(config), indent=2) + "\n", encoding="utf-8")
    return classifier


#: Config keys that choose the training data rather than the classifier's parameters.
_DATA_KEYS = {"classifier", "then", "temperature_factor", "use_corpus", "use_seeds", "use_devset", "exclude_docs", "extra_data"}
