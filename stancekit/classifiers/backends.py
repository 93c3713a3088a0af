"""Which inference backend runs a saved transformer model: ``auto`` measures rather than guesses.

Backends: torch ``fp32`` (the reference), ``bf16`` (autocast, CPUs with native bfloat16), ``int8``
(torch dynamic quantization), and ONNX Runtime ``onnx-fp32`` and ``onnx-int8``. ``auto`` takes
the fastest backend whose labels agree with torch fp32 on at least 99.5% of a fixed check set of
packaged claims. Speed and agreement both depend on the CPU's instruction set, so the choice is
measured once per CPU and model and kept in the user cache; later runs read it without importing
torch. ``$STANCEKIT_BACKEND`` pins a backend in place of ``auto`` (for example on every worker of a
cluster).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import sys
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from .. import errors
from ..errors import ModelError
from .onnx_backend import PRECISIONS, OnnxClassifier
from .transformer import CHECKSUMS, TransformerClassifier, _cpu_has_bf16, verify_checksums

TORCH_BACKENDS = ("fp32", "bf16", "int8")
BACKENDS = ("auto", *TORCH_BACKENDS, *PRECISIONS)
#: Least share of the check set's labels a backend must keep from torch fp32 to be chosen by 'auto'.
MIN_AGREEMENT = 0.995
CHOICES = "backends.json"


def load_backend(directory: str | os.PathLike, backend: str = "auto"):
    """The saved transformer model in ``directory`` on ``backend`` ('auto' measures once per CPU)."""
    if backend == "auto":
        backend = os.environ.get("STANCEKIT_BACKEND") or choose_backend(directory)
    if backend not in BACKENDS or backend == "auto":
        raise ModelError(errors.UNKNOWN_BACKEND.format(backend=backend, choices=", ".join(BACKENDS)))
    if backend in PRECISIONS:
        return OnnxClassifier.load(directory, backend)
    return TransformerClassifier.load(directory, backend=backend)


def choose_backend(directory: str | os.PathLike) -> str:
    """The fastest backend keeping >= 99.5% of fp32's labels, from the cache or measured now."""
    from ..data import cache_dir

    directory = Path(directory)
    if not (directory / CHECKSUMS).is_file():
        verify_checksums(directory)  # says what is missing; loading the model verifies every file
    path = cache_dir() / CHOICES
    known = _read_choices(path)
    key = _machine_key(directory)
    if key not in known:
        print(errors.MEASURING_BACKENDS.format(path=path), file=sys.stderr)
        measured = measure_backends(directory, check_texts())
        known = {**_read_choices(path), key: {"backend": fastest_agreeing(measured), "cpu": cpu_description(),
                                              "measured": measured}}
        _write_atomic(path, json.dumps(known, indent=2) + "\n")
    return known[key]["backend"]


def measure_backends(directory: str | os.PathLike, texts: list[str]) -> dict[str, dict]:
    """Claims/s and label agreement with torch fp32 on ``texts`` of every backend this CPU runs."""
    reference = TransformerClassifier.load(directory, backend="fp32")
    results, base = {}, None
    for backend in candidate_backends():
        clf = reference if backend in TORCH_BACKENDS else OnnxClassifier.load(directory, backend)
        if backend in TORCH_BACKENDS:
            clf.backend = backend
        clf.predict_proba(texts[:32])  # warm-up (and, for torch int8, the quantization)
        start = time.perf_counter()
        labels = clf.predict_proba(texts).argmax(axis=1)
        seconds = time.perf_counter() - start
        base = labels if base is None else base
        results[backend] = {"claims_per_s": round(len(texts) / seconds, 1),
                            "agreement": round(float((labels == base).mean()), 4)}
    return results


def candidate_backends() -> list[str]:
    """Backends worth measuring here, fp32 first: bf16 only where the CPU has bfloat16 instructions."""
    return ["fp32", *(["bf16"] if _cpu_has_bf16() else []), "int8", *PRECISIONS]


def fastest_agreeing(measured: dict[str, dict], threshold: float = MIN_AGREEMENT) -> str:
    """The fastest measured backend whose label agreement reaches ``threshold`` (fp32 always does)."""
    good = {name: m for name, m in measured.items() if m["agreement"] >= threshold}
    return max(good, key=lambda name: good[name]["claims_per_s"])


def check_texts(n_training: int = 250) -> list[str]:
    """The fixed check set: the gold seed claims and training-corpus claims the int8 model was not
    calibrated on (both ship with stancekit)."""
    from ..data import SEED_LABELS, TRAINING_CORPUS, read_jsonl
    from .onnx_backend import calibration_texts

    seeds = [r["text"] for r in read_jsonl(SEED_LABELS) if r["is_claim"]]
    calibration = set(calibration_texts())
    corpus = [r["text"] for r in read_jsonl(TRAINING_CORPUS) if r["text"] not in calibration]
    return seeds + corpus[::max(1, len(corpus) // n_training)][:n_training]


def cpu_description() -> dict:
    """CPU model, instruction-set flags and core count: what speed and agreement depend on."""
    try:
        lines = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        lines = []
    model = next((l.split(":", 1)[1].strip() for l in lines if l.startswith("model name")), platform.processor())
    flags = next((l.split(":", 1)[1].split() for l in lines if l.startswith(("flags", "Features"))), [])
    return {"model": model, "flags": sorted(set(flags)), "cores": os.cpu_count(), "machine": platform.machine()}


def _machine_key(directory: Path) -> str:
    """The cache key: CPU, model checksums and the versions of both runtimes."""
    parts = {"cpu": cpu_description(), "model": (directory / CHECKSUMS).read_text(encoding="utf-8"),
             "versions": [_version(p) for p in ("stancekit", "torch", "onnxruntime")]}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:24]


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "-"


def _read_choices(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # none yet, or unreadable: measure again
        return {}


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)
