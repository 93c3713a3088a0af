"""Baselines beside the fine-tuned model: majority class, TF-IDF + logistic regression, and a
no-training classifier that compares claim embeddings with descriptions of each label."""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .. import errors
from ..errors import ModelError
from ..schema import LABELS
from .base import ClassifierMixin
from .transformer import mean_pool


class MajorityClassifier(ClassifierMixin):
    """Always predicts the most frequent training label: the floor every model must beat."""

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> MajorityClassifier:
        counts = Counter(labels)
        self.prior_ = np.array([counts[label] / len(labels) for label in LABELS])
        return self

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        return np.tile(self.prior_, (len(texts), 1))

    def save(self, directory: str | os.PathLike) -> Path:
        """Write the label shares to ``stancekit.json``."""
        return _save_config(directory, "majority", prior=[float(p) for p in self.prior_])

    @classmethod
    def load(cls, directory: str | os.PathLike) -> MajorityClassifier:
        clf = cls()
        clf.prior_ = np.array(_read_config(directory)["prior"], dtype=float)
        return clf


class TfidfClassifier(ClassifierMixin):
    """Word and bigram TF-IDF with class-balanced logistic regression (scikit-learn)."""

    def __init__(self, *, C: float = 4.0, ngram_range: tuple[int, int] = (1, 2), seed: int = 0):
        self.C = C
        self.ngram_range = ngram_range
        self.seed = seed

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> TfidfClassifier:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline

        self.pipeline_ = make_pipeline(
            TfidfVectorizer(ngram_range=self.ngram_range, sublinear_tf=True, min_df=2, max_features=10000,
                            dtype=np.float32),
            LogisticRegression(C=self.C, class_weight="balanced", max_iter=2000, random_state=self.seed))
        self.pipeline_.fit(list(texts), list(labels))
        return self

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        proba = self.pipeline_.predict_proba(list(texts))
        order = [list(self.pipeline_.classes_).index(label) for label in LABELS]
        return proba[:, order]

    def save(self, directory: str | os.PathLike) -> Path:
        """Write ``tfidf.skops`` (skops, no pickle) and ``stancekit.json`` into ``directory``."""
        import skops.io as sio

        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        vectorizer = self.pipeline_[0]
        if hasattr(vectorizer, "stop_words_"):  # only records pruned terms; not needed to predict
            del vectorizer.stop_words_
        # plain ints keep skops from writing one array file per vocabulary entry
        vectorizer.vocabulary_ = {term: int(i) for term, i in vectorizer.vocabulary_.items()}
        sio.dump(self.pipeline_, directory / TFIDF_FILE)
        return _save_config(directory, "tfidf", C=self.C, ngram_range=list(self.ngram_range), seed=self.seed)

    @classmethod
    def load(cls, path: str | os.PathLike) -> TfidfClassifier:
        """Load a model folder or a .skops file, trusting only the scikit-learn and numpy types a
        TF-IDF pipeline holds."""
        import skops.io as sio

        path = Path(path)
        if path.is_dir():
            path = path / TFIDF_FILE
        if not path.is_file():
            raise ModelError(f"{path}: missing TF-IDF model file")
        try:
            untrusted = sio.get_untrusted_types(file=path)
            unexpected = [t for t in untrusted if not t.startswith(_TRUSTED_PREFIXES)]
            if unexpected:
                raise ModelError(f"{path}: refuses to load untrusted types {unexpected}")
            clf = cls()
            clf.pipeline_ = sio.load(path, trusted=untrusted)
        except ModelError:
            raise
        except Exception as exc:
            raise ModelError(f"{path}: unreadable or tampered TF-IDF model ({type(exc).__name__})") from None
        return clf


TFIDF_FILE = "tfidf.skops"
_TRUSTED_PREFIXES = ("sklearn.", "numpy.", "scipy.sparse.", "builtins.", "collections.")

#: Descriptions of each label, embedded once; claims are scored by cosine similarity to them.
LABEL_DESCRIPTIONS = {
    "favor": [
        "Local police and sheriffs should cooperate with ICE and honor immigration detainers.",
        "Sanctuary policies that block cooperation with federal immigration agents are dangerous.",
        "Police must back up federal immigration agents and notify ICE about criminals in custody.",
    ],
    "against": [
        "Local police should refuse to cooperate with ICE and protect immigrant communities.",
        "Federal immigration agents abuse their power and must be held accountable by local prosecutors.",
        "Ending 287(g) agreements and sanctuary laws keep local police out of immigration enforcement.",
    ],
    "none": [
        "The agency was established decades ago and its history is described here.",
        "The county reported statistics and the meeting was scheduled for next week.",
        "A neutral description of events, dates and procedures without any opinion.",
    ],
}


class EmbeddingSimilarityClassifier(ClassifierMixin):
    """No training on our labels: softmax over cosine similarities between the claim's MiniLM
    embedding and embedded label descriptions."""

    def __init__(self, *, temperature: float = 0.05, descriptions: dict | None = None):
        self.temperature = temperature
        self.descriptions = descriptions or LABEL_DESCRIPTIONS
        self._encoder = None

    def fit(self, texts=None, labels=None) -> EmbeddingSimilarityClassifier:
        """Nothing to learn; embeds the label descriptions."""
        self._encoder = SentenceEncoder()
        self.prototypes_ = np.stack([self._encoder.encode(self.descriptions[label]).mean(axis=0)
                                     for label in LABELS])
        self.prototypes_ /= np.linalg.norm(self.prototypes_, axis=1, keepdims=True)
        return self

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        if self._encoder is None:
            self.fit()
        sims = self._encoder.encode(list(texts)) @ self.prototypes_.T
        z = sims / self.temperature
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def save(self, directory: str | os.PathLike) -> Path:
        """Write the temperature and label descriptions to ``stancekit.json`` (nothing is learned)."""
        return _save_config(directory, "similarity", temperature=self.temperature, descriptions=self.descriptions)

    @classmethod
    def load(cls, directory: str | os.PathLike) -> EmbeddingSimilarityClassifier:
        config = _read_config(directory)
        return cls(temperature=config["temperature"], descriptions=config["descriptions"]).fit()


def _save_config(directory: str | os.PathLike, classifier: str, **settings) -> Path:
    """``stancekit.json`` of a baseline's model folder: which class reads it, labels, its settings."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    config = {"classifier": classifier, "labels": list(LABELS), **settings}
    (directory / "stancekit.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    return directory


def _read_config(directory: str | os.PathLike) -> dict:
    path = Path(directory) / "stancekit.json"
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"{path}: unreadable model config ({exc})") from None
    if tuple(config.get("labels", ())) != LABELS:
        raise ModelError(errors.LABELS_DIFFER.format(path=path, found=config.get("labels"), expected=list(LABELS)))
    return config


class SentenceEncoder:
    """Mean-pooled, L2-normalised all-MiniLM-L6-v2 sentence embeddings (the packaged base encoder)."""

    def __init__(self, max_length: int = 128):
        from transformers import AutoModel, AutoTokenizer

        from .transformer import base_model_dir, quiet_transformers

        quiet_transformers()
        path = base_model_dir()
        self.tokenizer = AutoTokenizer.from_pretrained(path)
        self.model = AutoModel.from_pretrained(path, dtype="float32").eval()
        self.max_length = max_length

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        import torch

        chunks = []
        with torch.inference_mode():
            for i in range(0, len(texts), batch_size):
                enc = self.tokenizer(list(texts[i:i + batch_size]), padding=True, truncation=True,
                                     max_length=self.max_length, return_tensors="pt")
                pooled = mean_pool(self.model(**enc).last_hidden_state, enc["attention_mask"])
                chunks.append(torch.nn.functional.normalize(pooled, dim=1).numpy())
        return np.concatenate(chunks) if chunks else np.zeros((0, 384), dtype=np.float32)
