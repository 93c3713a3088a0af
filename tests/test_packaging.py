"""A wheel that works: built without the repository around it, it carries the shipped models and the
seed data, and an install of it runs the README's main command from another folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from .conftest import ROOT, SEEDS

pytestmark = pytest.mark.slow  # builds a 21 MB wheel and runs the shipped model (about a minute)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel built from a copy of the sources (so no build/ folder lands in the checkout)."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    for name in ("stancekit", "models", "seeds"):
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp / "dist"), str(src)], check=True, timeout=600, capture_output=True)
    (built,) = (tmp / "dist").glob("stancekit-*.whl")
    return built


def test_the_wheel_carries_every_module_the_models_and_the_seed_data(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    modules = {f"stancekit/{p.relative_to(ROOT / 'stancekit').as_posix()}" for p in (ROOT / "stancekit").rglob("*.py")}
    models = {f"stancekit/_data/models/{p.relative_to(ROOT / 'models').as_posix()}"
              for p in (ROOT / "models").rglob("*") if p.is_file()}
    seeds = {f"stancekit/_data/seeds/{name}" for name in ("labels.jsonl", "metadata.json", "train/corpus.jsonl")}
    assert modules - names == set()
    assert models - names == set()
    assert seeds - names == set()


def test_an_installed_wheel_compares_the_seeds_from_another_folder(wheel, tmp_path):
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-compile", "-q", "--target", str(site),
                    str(wheel)], check=True, timeout=600, capture_output=True)
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(SEEDS, elsewhere / "seeds", ignore=shutil.ignore_patterns("train", "labeling"))
    env = {**os.environ, "PYTHONPATH": str(site), "OMP_NUM_THREADS": "1"}
    where = subprocess.run([sys.executable, "-c", "import stancekit.data as d, stancekit.classifiers.registry as r; "
                            "print(d.REPO); print(r.DEFAULT_MODEL)"], cwd=elsewhere, env=env, capture_output=True,
                           text=True, check=True)
    assert where.stdout.split() == [str(site / "stancekit" / "_data"), str(site / "stancekit" / "_data" / "models" /
                                                                            "stance-minilm")]
    run = subprocess.run([str(site / "bin" / "stancekit"), "compare", "seeds/"], cwd=elsewhere, env=env,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    assert run.stderr.splitlines()[-1] == "4 processed, 0 skipped, 0 failed"
    assert sorted(p.name for p in (elsewhere / "stancekit-out").iterdir()) == [
        "claims.jsonl", "errors.jsonl", "report.html", "sources.csv"]
