"""Shared fixtures: the repo's seed folder, the shipped and the tiny models (built once per session, a
copy per test), and a guard that fails any network connection."""

from __future__ import annotations

import copy
import socket
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"


class _NetworkBlocked(RuntimeError):
    pass


def _loopback(host) -> bool:
    return isinstance(host, str) and (host in ("localhost", "::1") or host.startswith("127."))


def _local(address) -> bool:
    """A socket address on this machine: loopback, or a Unix socket path (a local Dask cluster uses these)."""
    return _loopback(address[0]) if isinstance(address, tuple) else isinstance(address, (str, bytes))


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """stancekit must work offline: any connection that leaves this machine fails the test."""

    def guard(original, is_local, position):
        def checked(*args, **kwargs):
            if not is_local(args[position]):
                raise _NetworkBlocked(f"network access attempted: {args[position]!r}")
            return original(*args, **kwargs)
        return checked

    monkeypatch.setattr(socket.socket, "connect", guard(socket.socket.connect, _local, 1))
    monkeypatch.setattr(socket.socket, "connect_ex", guard(socket.socket.connect_ex, _local, 1))
    monkeypatch.setattr(socket, "create_connection", guard(socket.create_connection, _local, 0))
    monkeypatch.setattr(socket, "getaddrinfo", guard(socket.getaddrinfo, _loopback, 0))
    yield


@pytest.fixture(scope="session", autouse=True)
def pinned_backend():
    """Tests run the transformer on torch fp32 unless they choose a backend: 'auto' would measure
    every backend on first use (tests/test_onnx.py checks that on a tiny model)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STANCEKIT_BACKEND", "fp32")
        yield


@pytest.fixture
def seeds_dir() -> Path:
    return SEEDS


@pytest.fixture(scope="session")
def tiny_base(tmp_path_factory) -> Path:
    """A randomly initialised 2-layer BERT with the packaged tokenizer: fast enough to train in a test."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    from stancekit.classifiers.transformer import base_model_dir

    path = tmp_path_factory.mktemp("tiny-bert")
    tokenizer = AutoTokenizer.from_pretrained(base_model_dir())
    tokenizer.save_pretrained(path)
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=128, num_labels=3)
    torch.manual_seed(0)  # the same tiny model every run
    BertForSequenceClassification(config).save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def shipped_model_once():
    """The shipped classifier, loaded once per session; tests take a copy through ``shipped_model``."""
    from stancekit.classifiers import load_classifier

    return load_classifier()


@pytest.fixture
def shipped_model(shipped_model_once):
    """A copy of the shipped classifier of this test's own, so no test sees another's changes."""
    return copy.deepcopy(shipped_model_once)
