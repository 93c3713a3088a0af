"""Shared fixtures: the repo's seed folder, and a guard that fails any network connection."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"


class _NetworkBlocked(RuntimeError):
    pass


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """stancekit must work offline: any attempt to open a network connection fails the test."""

    def refuse(*args, **kwargs):
        raise _NetworkBlocked(f"network access attempted: {args[1:] if len(args) > 1 else args}")

    monkeypatch.setattr(socket.socket, "connect", lambda self, *a, **k: refuse(self, *a))
    monkeypatch.setattr(socket.socket, "connect_ex", lambda self, *a, **k: refuse(self, *a))
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    yield


@pytest.fixture
def seeds_dir() -> Path:
    return SEEDS
