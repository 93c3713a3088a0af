"""The fine-tuned MiniLM on ONNX Runtime, fp32 or int8: no torch or transformers at run time.

The graph is the torch model's own (``torch.onnx.export``: encoder, mean pooling, head) and returns
logits; the temperature is applied after, as in ``TransformerClassifier``. Texts are tokenized with
the ``tokenizers`` package from the base encoder's ``tokenizer.json`` (truncated at ``max_length``)
and batched and padded exactly like the torch path. The int8 model is quantized statically
(calibrated on training-corpus claims, per-channel weights) in its weight matrix products only:
the attention's products of two activations and the classifier head stay float.

Where the files live: both graphs are derived from a model folder's weights, so they are built
once, on first use, into the user cache (``stancekit.data.cache_dir()``), named by the weights'
checksum. Building needs torch; running them does not. Nothing is added to the model folder: the
fp32 graph is 90 MB, the int8 one 59 MB (its word embeddings stay float).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .. import errors
from ..errors import ModelError
from ..schema import LABELS
from .base import ClassifierMixin
from .transformer import (CHECKSUMS, CONFIG, PACKAGED_BASE, WEIGHTS, _bucket, _length_batches,
                          _softmax, base_model_dir, verify_checksums)

PRECISIONS = {"onnx-fp32": "fp32", "onnx-int8": "int8"}
#: ONNX operator set of the exported graph (ONNX Runtime 1.17 and later run it).
OPSET = 17


class OnnxClassifier(ClassifierMixin):
    """A saved ``TransformerClassifier`` run by ONNX Runtime; ``predict_proba`` as the torch model's.

    >>> clf = OnnxClassifier.load("models/stance-minilm", "onnx-fp32")   # doctest: +SKIP
    >>> clf.predict(["Sheriffs should honor ICE detainers."])              # doctest: +SKIP
    ['favor']
    """

    def __init__(self, graph: Path, tokenizer: Path, *, max_length: int, temperature: float, backend: str,
                 pair_with: str | None = None):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.labels = LABELS
        self.backend = backend
        self.max_length = max_length
        self.temperature = temperature
        self.pair_with = pair_with  # the proposition read after each claim, as in training
        self.tokenizer_ = Tokenizer.from_file(str(tokenizer))
        self.tokenizer_.no_padding()
        self.tokenizer_.enable_truncation(max_length, strategy="only_first" if pair_with else "longest_first")
        options = ort.SessionOptions()
        options.intra_op_num_threads = _threads()
        options.log_severity_level = 3  # errors only: ORT's notes on unused initializers are noise to users
        try:
            self.session_ = ort.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # ORT raises its own error types for unreadable graphs
            raise ModelError(errors.ONNX_UNREADABLE.format(path=graph, reason=_first_line(exc))) from None

    @classmethod
    def load(cls, directory: str | os.PathLike, backend: str = "onnx-fp32") -> OnnxClassifier:
        """The model folder's ONNX graph for ``backend`` ('onnx-fp32' or 'onnx-int8'), checksums verified."""
        if backend not in PRECISIONS:
            raise ModelError(errors.UNKNOWN_BACKEND.format(backend=backend, choices=", ".join(PRECISIONS)))
        directory = Path(directory)
        verify_checksums(directory)
        config = _config(directory)
        graph = onnx_path(directory, PRECISIONS[backend])
        return cls(graph, _base_dir(config) / "tokenizer.json", max_length=config["max_length"],
                   temperature=float(config["temperature"]), backend=backend, pair_with=config.get("pair_with"))

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated probabilities, columns in ``labels`` order."""
        return _softmax(self._logits(list(texts)) / self.temperature)

    def _logits(self, texts: list[str]) -> np.ndarray:
        """Logits in dense length-sorted batches, padded like ``TransformerClassifier._logits``."""
        out = np.zeros((len(texts), len(LABELS)), dtype=np.float32)
        if not texts:
            return out
        inputs = [(text, self.pair_with) for text in texts] if self.pair_with else texts
        ids = [encoding.ids for encoding in self.tokenizer_.encode_batch(inputs)]
        order = sorted(range(len(ids)), key=lambda i: (len(ids[i]), i))
        for batch in _length_batches(order, ids):
            shape = (_bucket(len(batch)), _bucket(len(ids[batch[-1]])))
            out[batch] = self.session_.run(None, _feed([ids[i] for i in batch], shape))[0][:len(batch)]
        return out


def onnx_path(directory: Path, precision: str) -> Path:
    """The cached graph of the folder's model for ``precision`` ('fp32', 'int8'), built on first use."""
    from ..data import cache_dir

    key = json.loads((directory / CHECKSUMS).read_text(encoding="utf-8"))[WEIGHTS][:16]
    path = cache_dir() / "onnx" / f"{key}-{precision}.onnx"
    if not path.is_file():
        print(errors.BUILDING_ONNX.format(precision=precision, path=path), file=sys.stderr)
        _build(directory, path, precision)
    return path


def _build(directory: Path, path: Path, precision: str) -> None:
    """Export (and for int8, quantize) the folder's model to ``path``, written atomically."""
    from .transformer import TransformerClassifier

    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".partial-{os.getpid()}")
    if precision == "fp32":
        export(TransformerClassifier.load(directory, backend="fp32"), partial)
    else:
        _quantize_folder(directory, partial)
    os.replace(partial, path)


def _quantize_folder(directory: Path, path: Path) -> Path:
    """The folder's model, quantized to int8 at ``path`` with the default calibration texts."""
    config = _config(directory)
    return quantize_int8(onnx_path(directory, "fp32"), path, calibration_texts(),
                         tokenizer=_base_dir(config) / "tokenizer.json", max_length=config["max_length"])


def export(clf, path: str | os.PathLike) -> Path:
    """Write ``clf``'s torch model (a fitted ``TransformerClassifier``) as an ONNX graph: token ids
    and attention mask in, logits out, any batch size and length."""
    import copy
    import warnings

    import torch

    model = _logits_only(copy.deepcopy(clf.model_).eval())  # a copy: the exporter leaves it in train mode
    ids = torch.ones((2, 16), dtype=torch.long)
    mask = torch.ones((2, 16), dtype=torch.long)
    mask[1, 9:] = 0  # padding in the example, so the trace keeps the mask's computation
    axes = {"input_ids": {0: "batch", 1: "length"}, "attention_mask": {0: "batch", 1: "length"},
            "logits": {0: "batch"}}
    with warnings.catch_warnings():  # the tracer's notes about Python control flow are fixed shapes it handles
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (ids, mask), str(path), input_names=["input_ids", "attention_mask"],
                          output_names=["logits"], dynamic_axes=axes, opset_version=OPSET, dynamo=False)
    return Path(path)


def quantize_int8(fp32: str | os.PathLike, path: str | os.PathLike, texts: Sequence[str], *,
                  tokenizer: Path, max_length: int = 128) -> Path:
    """Static int8 quantization of an exported graph, calibrated on ``texts``: per-channel int8
    weights and uint8 activations for the matrix products with a weight; the head stays float."""
    import onnx
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(tokenizer))
    tok.no_padding()
    tok.enable_truncation(max_length)
    batches = _calibration_feeds([e.ids for e in tok.encode_batch(list(texts))])

    class Reader(CalibrationDataReader):
        def get_next(self):
            return next(batches, None)

    graph = onnx.load(str(fp32)).graph
    weights = {tensor.name for tensor in graph.initializer}
    keep_float = [node.name for node in graph.node if "classifier" in node.name
                  or (node.op_type == "MatMul" and not weights.intersection(node.input))]
    quantize_static(str(fp32), str(path), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                    op_types_to_quantize=["MatMul"], activation_type=QuantType.QUInt8,
                    weight_type=QuantType.QInt8, nodes_to_exclude=keep_float)
    return Path(path)


def calibration_texts(n: int = 256) -> list[str]:
    """Every k-th claim of the training corpus, ``n`` in all: the calibration set of the int8 model."""
    from ..data import TRAINING_CORPUS, read_jsonl

    texts = [record["text"] for record in read_jsonl(TRAINING_CORPUS)]
    return texts[::max(1, len(texts) // n)][:n]


def _calibration_feeds(ids: list[list[int]], size: int = 8):
    """Padded batches of ``size`` consecutive texts, as ONNX Runtime input feeds."""
    for start in range(0, len(ids), size):
        rows = ids[start:start + size]
        yield _feed(rows, (len(rows), max(len(r) for r in rows)))


def _feed(rows: list[list[int]], shape: tuple[int, int]) -> dict[str, np.ndarray]:
    """Token ids zero-padded to ``shape`` and their attention mask; rows beyond ``rows`` (padding rows)
    attend to one token, and their output is dropped."""
    input_ids = np.zeros(shape, dtype=np.int64)
    mask = np.zeros(shape, dtype=np.int64)
    mask[len(rows):, 0] = 1
    for row, ids in enumerate(rows):
        input_ids[row, :len(ids)] = ids
        mask[row, :len(ids)] = 1
    return {"input_ids": input_ids, "attention_mask": mask}


def _logits_only(model):
    """The torch classifier wrapped so the exported graph's one output is the logits tensor."""
    import torch

    class LogitsOnly(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask):
            return self.inner(input_ids=input_ids, attention_mask=attention_mask).logits

    return LogitsOnly(model)


def _config(directory: Path) -> dict:
    config = json.loads((directory / CONFIG).read_text(encoding="utf-8"))
    if tuple(config["labels"]) != LABELS:
        raise ModelError(errors.LABELS_DIFFER.format(path=directory / CONFIG, found=config["labels"],
                                                     expected=list(LABELS)))
    return config


def _base_dir(config: dict) -> Path:
    base = config.get("base", PACKAGED_BASE)
    return base_model_dir() if base == PACKAGED_BASE else Path(base)


def _threads() -> int:
    """ONNX Runtime's thread count: OMP_NUM_THREADS when set (as torch reads it), else its default."""
    try:
        return max(0, int(os.environ.get("OMP_NUM_THREADS", "0")))
    except ValueError:
        return 0


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
