"""compare on a local two-worker Dask cluster gives the single-machine run's outputs, byte for byte,
also when a worker dies mid-run or the run is resumed."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("dask.distributed", reason="the Dask engine is an optional extra: stancekit[dask]")

import stancekit.runs.dask as dask_run
from stancekit import compare_on_dask, load_articles, segment
from stancekit.runs.local import compare_paths
from stancekit.runs.partitions import plan_partitions
from stancekit.classifiers import load_classifier

from .conftest import SEEDS

OUTPUTS = ("sources.csv", "claims.jsonl", "report.html", "errors.jsonl")
KEYWORDS = "tests.fake_classifier:KeywordClassifier"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """300 articles from resampled seed sentences in 10 JSONL shards (6 sources, some quoted
    speakers), with one malformed line and one unreadable file among them."""
    sentences = [s.text for a in load_articles(SEEDS) for s in segment(a.text) if s.is_claim]
    rng = random.Random(7)
    folder = tmp_path_factory.mktemp("corpus")
    for shard in range(10):
        lines = []
        for i in range(30):
            n = shard * 30 + i
            text = " ".join(rng.choice(sentences) for _ in range(rng.randint(5, 25)))
            lines.append(json.dumps({"doc_id": f"a{n:03d}", "source": f"outlet-{n % 6}", "text": text}))
        if shard == 3:
            lines.insert(5, "{not json")
        (folder / f"shard-{shard:02d}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "shard-05b.jsonl").write_bytes(b"\xff\xfe\x00broken")
    return folder


@pytest.fixture(autouse=True)
def small_partitions(monkeypatch):
    monkeypatch.setenv("STANCEKIT_PARTITION_KB", "64")


def _single_machine(corpus: Path, out: Path, model: str) -> Path:
    compare_paths([corpus], load_classifier(model), out=out)
    return out


def _assert_same_outputs(a: Path, b: Path) -> None:
    for name in OUTPUTS:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_the_single_machine_path_does_not_import_dask(tmp_path):
    probe = ("import sys; from stancekit.cli import cli\n"
             "cli(['compare', sys.argv[1], '--out', sys.argv[2], '--model', sys.argv[3]], standalone_mode=False)\n"
             "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))")
    done = subprocess.run([sys.executable, "-c", probe, str(SEEDS), str(tmp_path / "out"), KEYWORDS],
                          capture_output=True, text=True, cwd=SEEDS.parent, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_cli_engine_dask_prints_the_same_table_and_writes_the_same_files(tmp_path):
    from click.testing import CliRunner

    from stancekit.cli import cli

    runs = {engine: CliRunner().invoke(cli, ["compare", str(SEEDS), "--out", str(tmp_path / engine), "--model",
                                             KEYWORDS, "--engine", engine]) for engine in ("local", "dask")}
    assert [r.exit_code for r in runs.values()] == [0, 0]
    assert runs["local"].stdout == runs["dask"].stdout
    assert runs["dask"].stderr.splitlines()[-1] == "4 processed, 0 skipped, 0 failed"
    _assert_same_outputs(tmp_path / "local", tmp_path / "dask")


@pytest.mark.parametrize("args, message", [
    (["--workers", "0", "--engine", "dask"], "error: --workers must be at least 1; got 0"),
    (["--scheduler", "tcp://127.0.0.1:8786"], "error: --scheduler needs --engine dask"),
])
def test_cli_engine_arguments_are_checked_before_any_work(tmp_path, args, message):
    from click.testing import CliRunner

    from stancekit.cli import cli

    result = CliRunner().invoke(cli, ["compare", str(SEEDS), "--out", str(tmp_path / "out"), "--model", KEYWORDS,
                                      *args])
    assert (result.exit_code, result.stderr.splitlines()[-2:]) == (2, [message, "0 processed, 0 skipped, 0 failed"])
    assert not (tmp_path / "out").exists()


def test_without_dask_installed_the_engine_says_what_to_install(tmp_path, monkeypatch):
    from stancekit import StancekitError

    monkeypatch.setattr(dask_run.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(StancekitError, match=r"^--engine dask needs Dask: pip install 'stancekit\[dask\]'$"):
        compare_on_dask([SEEDS], KEYWORDS, out=tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_corpus_is_cut_into_several_partitions(corpus):
    assert len(plan_partitions([corpus])) >= 4


def test_two_local_workers_give_the_single_machine_outputs(corpus, tmp_path):
    single = _single_machine(corpus, tmp_path / "single", KEYWORDS)
    result = compare_on_dask([corpus], KEYWORDS, out=tmp_path / "dask", workers=2)
    _assert_same_outputs(single, tmp_path / "dask")
    claims = [json.loads(line) for line in (tmp_path / "dask" / "claims.jsonl").open(encoding="utf-8")]
    assert len({(c["doc_id"], c["seg_id"]) for c in claims}) == len(claims) > 1000
    assert (result.processed, result.failed) == (300, 2)
    assert not (tmp_path / "dask" / dask_run.STAGING).exists()


@pytest.mark.slow  # the shipped model in two Dask workers (about a minute)
def test_shipped_model_gives_the_same_claims_with_the_same_threads(corpus, tmp_path):
    """bf16 probabilities depend on the batch and the thread count: partitions fix the batches, and one
    thread per model, here and in each worker, fixes the rest."""
    import torch

    few = tmp_path / "few"
    few.mkdir()
    for shard in sorted(corpus.glob("shard-0[0-2].jsonl")):
        (few / shard.name).write_bytes(shard.read_bytes())
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        single = _single_machine(few, tmp_path / "single", "transformer")
    finally:
        torch.set_num_threads(threads)
    compare_on_dask([few], "transformer", out=tmp_path / "dask", workers=2, model_threads=1)
    _assert_same_outputs(single, tmp_path / "dask")


def test_a_worker_killed_mid_run_loses_and_duplicates_nothing(corpus, tmp_path, monkeypatch):
    monkeypatch.setenv("STANCEKIT_TEST_CALL_LOG", str(tmp_path / "calls.log"))
    monkeypatch.setenv("STANCEKIT_TEST_DIED", str(tmp_path / "died"))
    monkeypatch.setenv("STANCEKIT_TEST_DIE_AFTER", "6")
    monkeypatch.setenv("STANCEKIT_TEST_DELAY", "0")
    single = _single_machine(corpus, tmp_path / "single", KEYWORDS)
    compare_on_dask([corpus], "tests.fake_classifier:DiesOnceClassifier", out=tmp_path / "dask", workers=2)
    assert (tmp_path / "died").exists()  # a worker process really exited mid-run
    _assert_same_outputs(single, tmp_path / "dask")


def test_a_partition_that_always_kills_its_worker_is_named(corpus, tmp_path):
    import dask

    from stancekit import StancekitError

    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), \
            pytest.raises(StancekitError, match=r"partition \d+ \(from .*shard-\d+\.jsonl\) killed its Dask worker"):
        compare_on_dask([corpus], "tests.fake_classifier:DiesClassifier", out=tmp_path / "dask", workers=1)
    assert (tmp_path / "dask" / dask_run.STAGING / "run.json").exists()  # kept for --resume


def test_resume_skips_finished_partitions(corpus, tmp_path, monkeypatch):
    calls = tmp_path / "calls.log"
    monkeypatch.setenv("STANCEKIT_TEST_CALL_LOG", str(calls))
    monkeypatch.setenv("STANCEKIT_TEST_DELAY", "0")
    model = "tests.fake_classifier:SlowClassifier"
    single = _single_machine(corpus, tmp_path / "single", KEYWORDS)

    def stop(*args, **kwargs):
        raise KeyboardInterrupt  # the driver is stopped once every partition is done

    with monkeypatch.context() as patch:
        patch.setattr(dask_run, "_write_outputs", stop)
        with pytest.raises(KeyboardInterrupt):
            compare_on_dask([corpus], model, out=tmp_path / "dask", workers=2)
    first = calls.read_text().count("\n")
    result = compare_on_dask([corpus], model, out=tmp_path / "dask", workers=2, resume=True)
    assert calls.read_text().count("\n") == first  # nothing classified twice
    assert (result.processed, result.skipped, result.failed_before) == (0, 302, 2)
    _assert_same_outputs(single, tmp_path / "dask")


def test_resume_refuses_an_input_changed_since_the_interrupted_run(corpus, tmp_path, monkeypatch):
    from stancekit.errors import UsageError

    inputs = tmp_path / "inputs"
    shutil.copytree(corpus, inputs)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt  # stopped once the run's record is written, before any work

    monkeypatch.setattr(dask_run, "_dask_client", interrupted)
    with pytest.raises(KeyboardInterrupt):
        compare_on_dask([inputs], KEYWORDS, out=tmp_path / "dask")
    shard = inputs / "shard-04.jsonl"
    shard.write_text(shard.read_text(encoding="utf-8").replace("a1", "b1"), encoding="utf-8")
    with pytest.raises(UsageError, match=rf"^--resume: input {shard.resolve()} changed since the interrupted run; "):
        compare_on_dask([inputs], KEYWORDS, out=tmp_path / "dask", resume=True)
    with pytest.raises(UsageError, match=r"^--resume: the model differs from the interrupted run's; "):
        compare_on_dask([inputs], "tests.fake_classifier:SlowClassifier", out=tmp_path / "dask", resume=True)
