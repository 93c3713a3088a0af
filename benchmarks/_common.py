"""What every benchmark script shares: where results go, and the stamp that says where they came from.

Scripts write to the untracked benchmarks/.cache/ by default; with ``--save`` they update the
published figures in benchmarks/results/. Every results file carries the commit, the package
versions and the CPU model (the CPU changes between machines, and speed depends on it).
"""

from __future__ import annotations

import os
import platform
import subprocess
from importlib.metadata import version
from pathlib import Path

HERE = Path(__file__).resolve().parent


def output_dir(save: bool) -> Path:
    """benchmarks/results/ with --save, else the untracked benchmarks/.cache/ (created)."""
    folder = HERE / ("results" if save else ".cache")
    folder.mkdir(exist_ok=True)
    return folder


def environment() -> dict:
    """Commit (with '+' when the tree has uncommitted changes), package versions, CPU model and flags."""
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    lines = cpuinfo.splitlines()
    cpu = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")),
               platform.processor())
    flags = next((line.split(":", 1)[1].split() for line in lines if line.startswith("flags")), [])

    def git(*args) -> str:
        return subprocess.run(["git", *args], capture_output=True, text=True, cwd=HERE).stdout.strip()

    dirty = "+" if git("status", "--porcelain", "--untracked-files=no") else ""
    return {"commit": git("rev-parse", "--short", "HEAD") + dirty, "cpu": cpu, "cores": os.cpu_count(),
            "cpu_flags": sorted(f for f in flags if f.startswith(("avx512", "amx", "avx2", "avx_vnni", "fma"))),
            **{pkg: version(pkg) for pkg in ("stancekit", "torch", "transformers", "onnxruntime", "scikit-learn")}}
