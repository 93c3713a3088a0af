"""Find a classifier by name, model folder, file, or ``module:attr``; make fresh trainable ones by name.

Every model folder holds ``stancekit.json``, whose ``classifier`` key says which class reads it
(``transformer`` when absent, as in folders saved before the key existed).
"""

from __future__ import annotations

import json
import os
import pkgutil
import re
import sys
from pathlib import Path

from .. import errors
from ..data import MODELS_DIR, load_training
from ..errors import ModelError
from .base import StanceClassifier, check_classifier

DEFAULT_MODEL = MODELS_DIR / "stance-minilm"
TFIDF_MODEL = MODELS_DIR / "tfidf"
NAMES = ("transformer", "tfidf", "similarity", "majority")
CONFIG = "stancekit.json"
_SPEC = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")


def load_classifier(name: str | os.PathLike | None = None, *, backend: str = "auto") -> StanceClassifier:
    """A ready classifier: the shipped fine-tuned model by default; 'tfidf' (shipped baseline),
    'similarity', 'majority' (the training corpus's label shares), a model folder, a .skops file,
    or 'module:attr' naming a classifier, a class or a factory (modules in the working folder count)."""
    if name in (None, "default", "transformer"):
        return load_model_folder(DEFAULT_MODEL, backend=backend)
    if name == "tfidf":
        return load_model_folder(TFIDF_MODEL)
    if name == "similarity":  # nothing to learn: no training data to read
        return make_trainable(name).fit()
    if name == "majority":
        corpus = load_training()
        return make_trainable(name).fit(corpus["text"], corpus["stance"])
    path = Path(name)
    if path.is_dir():
        return load_model_folder(path, backend=backend)
    if path.suffix == ".skops":
        from .baselines import TfidfClassifier

        return TfidfClassifier.load(path)
    if ":" in str(name) and not path.exists():
        return _import_classifier(str(name))
    raise ModelError(errors.UNKNOWN_MODEL.format(name=name, names=", ".join(NAMES)))


def load_model_folder(directory: str | os.PathLike, *, backend: str = "auto") -> StanceClassifier:
    """Load any folder written by a classifier's ``save`` (or ``stancekit train``); ``backend`` is
    the transformer's inference backend (see ``backends``)."""
    from .backends import load_backend
    from .baselines import EmbeddingSimilarityClassifier, MajorityClassifier, TfidfClassifier
    from .transformer import CHECKSUMS, verify_checksums

    directory = Path(directory)
    config_path = directory / CONFIG
    if not config_path.is_file():
        if (directory / CHECKSUMS).exists():
            verify_checksums(directory)  # names the missing or changed file
        raise ModelError(errors.NOT_A_MODEL_FOLDER.format(path=directory, config=CONFIG))
    try:
        kind = json.loads(config_path.read_text(encoding="utf-8")).get("classifier", "transformer")
    except ValueError:
        raise ModelError(errors.NOT_VALID_JSON.format(path=config_path)) from None
    if kind == "transformer":
        return load_backend(directory, backend)
    loaders = {"tfidf": TfidfClassifier, "majority": MajorityClassifier, "similarity": EmbeddingSimilarityClassifier}
    if kind not in loaders:
        raise ModelError(f"{config_path}: unknown classifier {kind!r}; expected one of {', '.join(NAMES)}")
    return loaders[kind].load(directory)


def make_trainable(name: str, **params):
    """A fresh, unfitted classifier for training or cross-validation: transformer, tfidf, similarity,
    majority, or 'module:attr' naming a class or factory."""
    from .baselines import EmbeddingSimilarityClassifier, MajorityClassifier, TfidfClassifier
    from .transformer import TransformerClassifier

    factories = {"transformer": TransformerClassifier, "tfidf": TfidfClassifier,
                 "similarity": EmbeddingSimilarityClassifier, "majority": MajorityClassifier}
    if name in factories:
        return factories[name](**params)
    if ":" in name:
        model = _import_classifier(name)
        if callable(getattr(model, "fit", None)):
            return model
        raise ModelError(f"{name}: {type(model).__name__} has no fit(texts, labels), so it cannot be retrained")
    raise ModelError(f"unknown trainable classifier {name!r}: use {', '.join(factories)} or module:attr")


def _import_classifier(spec: str) -> StanceClassifier:
    """The object ``module:attr`` names; a class or factory is called to build the classifier."""
    if not _SPEC.match(spec):
        raise ModelError(errors.BAD_MODULE_ATTR.format(spec=spec))
    module_name, _, attr = spec.partition(":")
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())  # like `python -m`: modules in the working folder can be named
    try:
        obj = pkgutil.resolve_name(spec)
    except ImportError as exc:
        raise ModelError(f"cannot import classifier module {module_name!r}: {exc}") from None
    except AttributeError as exc:
        if module_name in sys.modules:  # imported, so the attribute is what is missing
            raise ModelError(f"module {module_name!r} has no attribute {attr!r}") from None
        raise ModelError(f"cannot load classifier {spec!r}: {type(exc).__name__}: {exc}") from exc
    except Exception as exc:  # the user's module failed while importing
        raise ModelError(f"cannot load classifier {spec!r}: {type(exc).__name__}: {exc}") from exc
    if isinstance(obj, type) or (callable(obj) and not hasattr(obj, "predict_proba")):
        try:
            obj = obj()  # a class or factory: build the classifier
        except Exception as exc:
            raise ModelError(f"cannot create classifier {spec!r}: {type(exc).__name__}: {exc}") from exc
    try:
        return check_classifier(obj)
    except TypeError as exc:
        raise ModelError(f"{spec}: {exc}") from None
