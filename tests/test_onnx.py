"""The ONNX Runtime backends: same labels as torch, no torch at run time, measured 'auto', clear errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from stancekit.classifiers import load_classifier
from stancekit.classifiers.backends import BACKENDS, choose_backend, fastest_agreeing
from stancekit.classifiers.onnx_backend import OnnxClassifier, onnx_path
from stancekit.classifiers.transformer import TransformerClassifier
from stancekit.errors import ONNX_UNREADABLE, ModelError

from .conftest import ROOT

TEXTS = ["Sheriffs must honor every ICE detainer.", "The county should end its 287(g) agreement now.",
         "The jail booked 40 people in March.", "Police chiefs met the mayor.",
         "A much longer sentence about a county sheriff, a jail and federal detainers " * 12]  # > 128 tokens
GOLD = ["favor", "against", "none", "none", "favor"]


@pytest.fixture(scope="module")
def tiny_folder(tiny_base, tmp_path_factory):
    """A saved mean-pooling model on the tiny random encoder."""
    clf = TransformerClassifier(base=tiny_base, epochs=1, pooling="mean", calibration_fraction=0.0,
                                backend="fp32", progress=False).fit(TEXTS * 2, GOLD * 2)
    clf.temperature = 1.7
    return clf.save(tmp_path_factory.mktemp("tiny") / "model")


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """One cache folder for the module, so each tiny graph is built once."""
    folder = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STANCEKIT_CACHE", str(folder))
        yield folder


def test_onnx_fp32_matches_torch(tiny_folder, cache):
    torch_clf = TransformerClassifier.load(tiny_folder, backend="fp32")
    onnx_clf = load_classifier(tiny_folder, backend="onnx-fp32")
    assert isinstance(onnx_clf, OnnxClassifier) and onnx_clf.labels == torch_clf.labels
    texts = TEXTS + ["", "ICE"]
    expected = torch_clf.predict_proba(texts)
    assert np.allclose(onnx_clf.predict_proba(texts), expected, atol=1e-5)  # temperature applied alike
    assert onnx_clf.predict(texts) == torch_clf.predict(texts)
    assert onnx_clf.predict_proba([]).shape == (0, 3)


def test_onnx_tokenizer_matches_transformers(tiny_folder, cache):
    torch_clf = TransformerClassifier.load(tiny_folder, backend="fp32")
    onnx_clf = OnnxClassifier.load(tiny_folder, "onnx-fp32")
    expected = torch_clf.tokenizer_(TEXTS, truncation=True, max_length=128)["input_ids"]
    assert [e.ids for e in onnx_clf.tokenizer_.encode_batch(TEXTS)] == expected
    assert max(len(ids) for ids in expected) == 128


def test_onnx_reads_text_pairs_like_torch(tiny_base, tmp_path, cache):
    from stancekit.schema import TARGET

    clf = TransformerClassifier(base=tiny_base, epochs=1, pooling="mean", calibration_fraction=0.0,
                                backend="fp32", progress=False, pair_with=TARGET).fit(TEXTS * 2, GOLD * 2)
    folder = clf.save(tmp_path / "pair-model")
    onnx_clf = OnnxClassifier.load(folder, "onnx-fp32")
    assert onnx_clf.pair_with == TARGET
    texts = TEXTS + [" ".join(TEXTS * 10)]  # the last is truncated, the proposition kept whole
    assert np.allclose(onnx_clf.predict_proba(texts), clf.predict_proba(texts), atol=1e-5)


def test_onnx_int8_gives_probabilities(tiny_folder, cache):
    clf = OnnxClassifier.load(tiny_folder, "onnx-int8")
    proba = clf.predict_proba(TEXTS)
    assert proba.shape == (len(TEXTS), 3) and np.allclose(proba.sum(axis=1), 1, atol=1e-5)
    assert "QuantizeLinear" in onnx_path(tiny_folder, "int8").read_bytes().decode("latin-1")


def test_onnx_path_does_not_import_torch(tiny_folder, cache):
    onnx_path(tiny_folder, "fp32")  # built here (that needs torch), read by the new process
    code = ("import sys; from stancekit.classifiers import load_classifier; "
            f"clf = load_classifier({str(tiny_folder)!r}, backend='onnx-fp32'); clf.predict(['ICE detainers']); "
            "print(sorted(m for m in ('torch', 'transformers', 'datasets', 'sklearn') if m in sys.modules))")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "STANCEKIT_CACHE": str(cache)}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_auto_measures_once_then_reads_the_cache(tiny_folder, tmp_path, monkeypatch):
    monkeypatch.delenv("STANCEKIT_BACKEND")
    monkeypatch.setenv("STANCEKIT_CACHE", str(tmp_path))
    chosen = choose_backend(tiny_folder)
    assert chosen in BACKENDS and chosen != "auto"
    measured = next(iter(json.loads((tmp_path / "backends.json").read_text()).values()))["measured"]
    assert measured["fp32"]["agreement"] == 1.0 and measured[chosen]["agreement"] >= 0.995

    def no_measuring(*args):
        raise AssertionError("measured again")

    monkeypatch.setattr("stancekit.classifiers.backends.measure_backends", no_measuring)
    assert choose_backend(tiny_folder) == chosen
    assert type(load_classifier(tiny_folder)).__name__ in ("OnnxClassifier", "TransformerClassifier")


def test_fastest_agreeing_skips_backends_that_change_labels():
    measured = {"fp32": {"claims_per_s": 100, "agreement": 1.0}, "int8": {"claims_per_s": 300, "agreement": 0.93},
                "onnx-fp32": {"claims_per_s": 150, "agreement": 0.999}}
    assert fastest_agreeing(measured) == "onnx-fp32"
    assert fastest_agreeing(measured, threshold=1.0) == "fp32"


def test_corrupt_onnx_file_is_one_line_error(tiny_folder, cache):
    path = onnx_path(tiny_folder, "fp32")
    original = path.read_bytes()
    try:
        path.write_bytes(original[:1000])
        with pytest.raises(ModelError) as info:
            OnnxClassifier.load(tiny_folder, "onnx-fp32")
        message = str(info.value)
        assert "\n" not in message and message.startswith(f"{path}: not a readable ONNX model")
        assert message.endswith(ONNX_UNREADABLE.split(")")[-1])
        claims = tiny_folder.parent / "claims.jsonl"
        claims.write_text('{"text": "ICE detainers"}\n')
        proc = subprocess.run([sys.executable, "-c", "from stancekit.cli import main; main()", "classify", str(claims),
                               "--model", str(tiny_folder), "--backend", "onnx-fp32"], capture_output=True, text=True,
                              env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
        assert proc.returncode == 2
        assert proc.stderr.splitlines() == [f"error: {message}", "0 processed, 0 skipped, 0 failed"]
    finally:
        path.write_bytes(original)


def test_unknown_backend_is_refused(tiny_folder):
    with pytest.raises(ModelError, match="unknown backend 'onnx-int4'"):
        load_classifier(tiny_folder, backend="onnx-int4")


@pytest.mark.slow
def test_shipped_model_onnx_keeps_labels(shipped_model, tmp_path, monkeypatch):
    monkeypatch.setenv("STANCEKIT_CACHE", str(tmp_path))
    texts = ["The sheriff will keep honoring ICE detainers.", "Cooperation with ICE makes immigrant victims afraid "
             "to call police.", "The council meets on Tuesday.", "Deputies should not act as immigration agents.",
             "The new jail agreement lets ICE interview inmates, which the chief welcomed."]
    onnx_clf = load_classifier(backend="onnx-fp32")
    assert onnx_clf.predict(texts) == shipped_model.predict(texts)
    assert np.allclose(onnx_clf.predict_proba(texts), shipped_model.predict_proba(texts), atol=1e-4)
