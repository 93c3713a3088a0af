"""Reliability: atomic outputs, offline loading, safe artifacts, determinism, and fuzzed loaders.

The fuzz tests throw random Unicode, control characters, HTML fragments, long lines and huge
whitespace runs at the loaders and the segmenter: the only failures allowed are InputErrors,
and segment offsets are always exact.
"""

from __future__ import annotations

import functools
import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stancekit import Article, InputError, iter_articles, segment
from stancekit.cli import cli
from stancekit.errors import ModelError
from stancekit.outputs import AtomicWriter, write_text_atomic

ROOT = Path(__file__).resolve().parents[1]
MODEL_DIR = ROOT / "models" / "stance-minilm"
FAKE = "tests.fake_classifier:KeywordClassifier"
#: STANCEKIT_FUZZ_EXAMPLES=2000 for a deeper run.
FUZZ = settings(max_examples=int(os.environ.get("STANCEKIT_FUZZ_EXAMPLES", "60")), deadline=None,
                suppress_health_check=[HealthCheck.too_slow])

needs_model = pytest.mark.skipif(not (MODEL_DIR / "model.safetensors").is_file(),
                                 reason="the shipped model is not in this checkout")


# ----------------------------------------------------------------------------- atomic outputs
@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_atomic_files_get_the_permissions_of_a_new_file(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        write_text_atomic(tmp_path / "out.txt", "x")
    finally:
        os.umask(old)
    assert (tmp_path / "out.txt").stat().st_mode & 0o777 == mode


def test_atomic_file_appears_only_when_complete(tmp_path):
    path = tmp_path / "out.jsonl"
    with AtomicWriter(path) as handle:
        handle.write("first\n")
        assert not path.exists()
    assert path.read_text() == "first\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]


def test_atomic_file_keeps_the_old_version_when_writing_fails(tmp_path):
    path = tmp_path / "out.jsonl"
    path.write_text("old\n")
    with pytest.raises(RuntimeError):
        with AtomicWriter(path) as handle:
            handle.write("half of the new")
            raise RuntimeError("disk trouble")
    assert path.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]


def test_atomic_writer_without_path_is_stdout(capsys):
    with AtomicWriter(None) as handle:
        handle.write("to stdout\n")
    assert capsys.readouterr().out == "to stdout\n"


def test_segment_failing_midway_leaves_no_output(tmp_path, monkeypatch):
    (tmp_path / "a.txt").write_text("The sheriff said no.", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    out.write_text("previous run\n")
    monkeypatch.setattr(sys.modules["stancekit.segment"], "segment", lambda text: 1 / 0)
    result = CliRunner().invoke(cli, ["segment", str(tmp_path / "a.txt"), "--out", str(out)])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: unexpected ZeroDivisionError: division by zero")
    assert out.read_text() == "previous run\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "out.jsonl"]


# ----------------------------------------------------------------------------- offline
def test_network_guard_is_active():
    with pytest.raises(RuntimeError, match="network access attempted"):
        socket.create_connection(("example.org", 443))
    with pytest.raises(RuntimeError, match="network access attempted"):
        socket.getaddrinfo("example.org", 443)
    with socket.socket() as sock, pytest.raises(RuntimeError, match="network access attempted"):
        sock.connect(("93.184.216.34", 443))


def test_base_model_dir_sets_hub_offline(monkeypatch):
    from stancekit.classifiers.transformer import base_model_dir

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    path = base_model_dir()
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert os.environ["TRANSFORMERS_OFFLINE"] == "1"
    assert (path / "config.json").is_file() and (path / "model.safetensors").is_file()


def test_compare_runs_offline(tmp_path, seeds_dir):
    """The whole compare path (loading, segmenting, aggregating, the HTML report) under the socket guard."""
    result = CliRunner().invoke(cli, ["compare", str(seeds_dir), "--out", str(tmp_path), "--model", FAKE])
    assert result.exit_code == 0, result.output
    assert "http://" not in (tmp_path / "report.html").read_text(encoding="utf-8").replace(
        "http://www.w3.org/", "")


@pytest.mark.slow
@needs_model
def test_hub_offline_mode_is_in_effect_when_the_model_loads():
    code = ("from stancekit.classifiers import load_classifier; import huggingface_hub.constants as c; "
            f"load_classifier({str(MODEL_DIR)!r}); print(c.HF_HUB_OFFLINE)")
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split()[-1] == "True"


@pytest.mark.slow
@needs_model
def test_shipped_model_loads_offline_from_safetensors_without_pickle(monkeypatch):
    import pickle

    import torch

    def refuse(*args, **kwargs):
        raise AssertionError("pickle-based loading was used")

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(torch, "load", refuse)
    from stancekit.classifiers import load_classifier

    clf = load_classifier(str(MODEL_DIR))
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    proba = clf.predict_proba(["Sheriffs should honor ICE detainers."])
    assert proba.shape == (1, 3)


# ----------------------------------------------------------------------------- safe artifacts
@needs_model
def test_model_folder_holds_only_safetensors_and_json():
    suffixes = {p.suffix for p in MODEL_DIR.iterdir() if p.is_file() and not p.name.startswith(".")}
    assert suffixes <= {".safetensors", ".json", ".md"}
    with open(MODEL_DIR / "model.safetensors", "rb") as handle:
        (length,) = struct.unpack("<Q", handle.read(8))
        header = json.loads(handle.read(length))  # a safetensors header, not a pickle
    assert all(name == "__metadata__" or {"dtype", "shape", "data_offsets"} <= set(spec)
               for name, spec in header.items())


@needs_model
def test_checksums_cover_every_artifact():
    from stancekit.classifiers.transformer import verify_checksums

    sums = json.loads((MODEL_DIR / "checksums.json").read_text(encoding="utf-8"))
    assert {"model.safetensors", "stancekit.json"} <= set(sums)
    verify_checksums(MODEL_DIR)


def test_tfidf_saves_skops_not_pickle_and_refuses_tampering(tmp_path):
    import zipfile

    from stancekit.classifiers import TfidfClassifier

    texts = ["Sheriffs should honor detainers.", "Cities should refuse ICE.", "The meeting is on Tuesday."] * 2
    labels = ["favor", "against", "none"] * 2
    path = TfidfClassifier().fit(texts, labels).save(tmp_path / "m") / "tfidf.skops"
    assert zipfile.is_zipfile(path)
    assert TfidfClassifier.load(path).predict(texts[:3]) == labels[:3]

    with zipfile.ZipFile(path) as archive:
        schema = json.loads(archive.read("schema.json"))
        members = {name: archive.read(name) for name in archive.namelist()}
    text = json.dumps(schema).replace('"sklearn.linear_model._logistic"', '"os"', 1)
    text = text.replace('"LogisticRegression"', '"system"', 1)
    with zipfile.ZipFile(tmp_path / "evil.skops", "w") as archive:
        for name, data in members.items():
            archive.writestr(name, text if name == "schema.json" else data)
    with pytest.raises(ModelError, match=r"evil\.skops: refuses to load untrusted types \['os\.system'\]$"):
        TfidfClassifier.load(tmp_path / "evil.skops")


# ----------------------------------------------------------------------------- determinism
def _compare(out: Path, inputs: list[Path]) -> dict[str, bytes]:
    result = CliRunner().invoke(cli, ["compare", *map(str, inputs), "--out", str(out), "--model", FAKE])
    assert result.exit_code == 0, result.output
    return {name: (out / name).read_bytes() for name in ("claims.jsonl", "sources.csv", "report.html")}


def test_same_input_gives_byte_identical_outputs(tmp_path, seeds_dir):
    extra = tmp_path / "extra.jsonl"
    extra.write_text("".join(json.dumps({"text": t, "source": s}) + "\n" for t, s in [
        ("Sheriffs should honor every detainer, the chief said. Others disagree.", "Daily"),
        ("The council voted to end the 287(g) agreement. Advocates said it would protect families.", "Weekly"),
        ("Mayor Lee said the city will refuse ICE requests.", "Daily")]), encoding="utf-8")
    first = _compare(tmp_path / "one", [seeds_dir, extra])
    second = _compare(tmp_path / "two", [seeds_dir, extra])
    assert first == second
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(ROOT)}
    code = ("import sys; from stancekit.cli import main; sys.argv = ['stancekit', 'compare', *sys.argv[1:]]; main()")
    proc = subprocess.run([sys.executable, "-c", code, str(seeds_dir), str(extra), "--out", str(tmp_path / "three"),
                           "--model", FAKE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    for name in ("claims.jsonl", "sources.csv", "report.html"):
        assert (tmp_path / "three" / name).read_bytes() == first[name], name


# ----------------------------------------------------------------------------- fuzzing
_WHITESPACE = st.sampled_from([" ", "\t", "\n", "\r", "\r\n", "\u00a0", "\u2028", "\u2029", "\x0b", "\x0c", "\x1c",
                               "\x85", "\u3000"])
_HTML = st.sampled_from(["<p>", "</p>", "<div class='x'>", "</div>", "<script>var a = '<p>';</script>", "<br/>",
                         "<!-- comment -->", "&amp;", "&#x2028;", "&nbsp;", "<h1>Title</h1>", "<nav>Home</nav>",
                         "<article>", "</article>", "<![CDATA[x]]>", "<p", "</", "<html><body>", "</body></html>"])
_PROSE = st.sampled_from(["The sheriff said no. ", "Mr. Smith, of the U.S. Senate, disagreed. ",
                          "“We will not comply. Never.” she said. ", "Photo: AP ", "Home\n", "ICE detainers? ",
                          "Posted by admin\n", "...", "e.g. ", "Read more\n"])
_CONTROL = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x1F), max_size=5)
_chunk = st.one_of(
    st.text(max_size=30),                                                      # any Unicode, surrogates excluded
    _PROSE, _HTML, _CONTROL,
    st.builds(lambda ws, n: ws * n, _WHITESPACE, st.integers(1, 2000)),       # huge whitespace runs
    st.builds(lambda c, n: c * n, st.characters(), st.integers(200, 5000)),  # very long lines
)
fuzz_text = st.lists(_chunk, max_size=10).map("".join)


def _check_segments(text: str) -> None:
    segments = segment(text)
    end = 0
    covered = 0
    for i, seg in enumerate(segments):
        assert seg.seg_id == i
        assert text[seg.start:seg.end] == seg.text
        assert seg.start >= end and seg.text and seg.text == seg.text.strip()
        end = seg.end
        covered += sum(not c.isspace() for c in seg.text)
    assert covered == sum(not c.isspace() for c in text)  # every visible character is in one segment


@FUZZ
@given(fuzz_text)
def test_segmenter_offsets_are_exact(text):
    _check_segments(text)


def _load(name: str, data: bytes) -> list:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        items = list(iter_articles(path))
        folder_items = list(iter_articles(folder))
    assert [str(i) if isinstance(i, InputError) else i.text for i in items] == [
        str(i) if isinstance(i, InputError) else i.text for i in folder_items]
    for item in items:
        assert isinstance(item, (Article, InputError)), item
        if isinstance(item, InputError):
            assert "\n" not in str(item) and str(item).startswith(str(path))
        else:
            _check_segments(item.text)
    return items


@FUZZ
@given(fuzz_text)
def test_txt_loader_keeps_the_text_or_says_why_not(text):
    (item,) = _load("doc.txt", text.encode("utf-8", "surrogatepass"))
    if isinstance(item, Article):
        assert item.text == text.removeprefix("\ufeff")
    else:
        assert item.problem in {"file is empty", "file holds only whitespace", "binary file, not text"}


@FUZZ
@given(st.binary(max_size=3000))
def test_txt_loader_survives_random_bytes(data):
    (item,) = _load("doc.txt", data)
    assert isinstance(item, (Article, InputError))


@FUZZ
@given(st.lists(st.one_of(_HTML, _PROSE, st.text(max_size=30), _CONTROL,
                          st.builds(lambda ws, n: ws * n, _WHITESPACE, st.integers(1, 2000))), max_size=15)
       .map("".join))
def test_html_loader_never_crashes(html):
    items = _load("page.html", html.encode("utf-8", "surrogatepass"))
    assert len(items) == 1


_record = st.one_of(
    st.fixed_dictionaries({"text": fuzz_text}, optional={"source": st.text(max_size=10), "doc_id": st.integers()}),
    st.dictionaries(st.text(max_size=5), st.one_of(st.none(), st.integers(), st.text(max_size=10)), max_size=3),
    st.lists(st.integers(), max_size=3),
)


@FUZZ
@given(st.lists(st.one_of(_record.map(lambda r: json.dumps(r, ensure_ascii=False)),
                          _record.map(json.dumps),
                          st.text(max_size=40).filter(lambda s: "\n" not in s)), min_size=1, max_size=8))
def test_jsonl_loader_gives_one_result_per_line(lines):
    data = "\n".join(lines).encode("utf-8", "surrogatepass")
    items = _load("feed.jsonl", data)
    if any(isinstance(item, InputError) and item.line is None for item in items):
        assert len(items) == 1  # the file itself: empty, whitespace only or binary
        assert items[0].problem in {"file is empty", "file holds only whitespace", "binary file, not text"}
        return
    text_lines = data.decode("utf-8-sig").split("\n")
    expected = [n for n, line in enumerate(text_lines, 1) if line.strip()]
    got = [item.line if isinstance(item, InputError) else item.meta["line"] for item in items]
    assert got == expected
    for item in items:
        if isinstance(item, Article):
            assert item.text == json.loads(text_lines[item.meta["line"] - 1])["text"]


# ----------------------------------------------------------------------------- loud failures in the API
def _keywords():
    from stancekit import load_classifier

    return load_classifier(FAKE)


def test_analyze_of_a_missing_path_raises_instead_of_returning_nothing(tmp_path):
    from stancekit import analyze

    with pytest.raises(InputError, match=r"typo: no such file or folder$"):
        analyze(tmp_path / "typo", _keywords())


def test_paths_without_articles_raise_in_the_api_as_in_the_cli(tmp_path):
    from stancekit import analyze, load_articles
    from stancekit.errors import UsageError

    (tmp_path / "notes.md").write_text("not an article", encoding="utf-8")
    message = rf"^no articles found in {tmp_path}: expected \.txt, \.html, \.htm or \.jsonl files$"
    with pytest.raises(UsageError, match=message):
        analyze(tmp_path, _keywords())
    with pytest.raises(UsageError, match=message):
        load_articles(tmp_path)
    with pytest.raises(UsageError, match=message):
        list(iter_articles(tmp_path))
    with pytest.raises(UsageError, match="no articles found"):
        analyze([], _keywords())


def test_analysis_without_claims_refuses_to_write_an_empty_report(tmp_path):
    from stancekit import analyze
    from stancekit.errors import UsageError

    analysis = analyze(Article(doc_id="nav", text="Home\nMenu\nSubscribe", source="site"), _keywords())
    with pytest.raises(UsageError, match="^no claims found in the articles"):
        analysis.write(tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_analyze_keeps_what_it_could_read_beside_what_it_could_not(tmp_path, seeds_dir):
    from stancekit import analyze

    analysis = analyze([seeds_dir, tmp_path / "typo.txt"], _keywords())
    assert [str(e) for e in analysis.errors] == [f"{tmp_path / 'typo.txt'}: no such file or folder"]
    assert analysis.claims["doc_id"].nunique() == 4


# ----------------------------------------------------------------------------- progress
class _Terminal:
    """A stderr that says it is a terminal and keeps what is written to it."""

    def __init__(self):
        self.text = ""

    def write(self, text):
        self.text += text

    def flush(self):
        pass

    def isatty(self):
        return True


@pytest.mark.parametrize("terminal", [True, False])
def test_local_compare_shows_the_bar_on_a_terminal_only(tmp_path, seeds_dir, monkeypatch, terminal):
    from stancekit.runs.local import compare_paths

    import stancekit.runs.progress as progress

    stream = _Terminal()
    if not terminal:
        stream.isatty = lambda: False
    monkeypatch.setattr(sys, "stderr", stream)
    # The keyword classifier finishes the seeds within tqdm's 0.1 s refresh interval on a fast machine:
    # draw on every update so that what the bar shows is checked, not how fast the machine is.
    monkeypatch.setattr(progress, "tqdm", functools.partial(progress.tqdm, mininterval=0, miniters=1))
    compare_paths([seeds_dir], _keywords(), out=tmp_path / "out", progress=True)
    if terminal:
        assert "bytes [" in stream.text and "articles/s" in stream.text and "claims/s" in stream.text
    else:
        assert stream.text == ""


def test_progress_messages_are_written_above_the_bar(monkeypatch):
    from stancekit.runs.progress import RunProgress

    stream, seen = _Terminal(), []
    monkeypatch.setattr(sys, "stderr", stream)
    with RunProgress(10, unit="claims", articles=False) as bar:
        bar.advance(4, claims=4)
        bar.messages(seen.append)("a message")
        bar.per_batch(6)(3, 3)
        assert bar.position == 10
    assert seen == ["a message"] and "claims/s" in stream.text and "articles/s" not in stream.text


# ----------------------------------------------------------------------------- module:attr
@pytest.mark.parametrize("body, message", [
    ("raise AttributeError('oops')", "cannot load classifier 'broken_clf:Clf': AttributeError: oops"),
    ("import no_such_dependency_xyz", "cannot import classifier module 'broken_clf': No module named "
                                      "'no_such_dependency_xyz'"),
    ("Clf = 1", "module 'broken_clf' has no attribute 'Other'"),
])
def test_module_attr_errors_say_which_part_failed(tmp_path, monkeypatch, body, message):
    from stancekit import load_classifier

    (tmp_path / "broken_clf.py").write_text(body + "\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "broken_clf", raising=False)
    spec = "broken_clf:Other" if body.startswith("Clf") else "broken_clf:Clf"
    with pytest.raises(ModelError, match=f"^{message}$".replace("(", r"\(").replace(")", r"\)")):
        load_classifier(spec)
    sys.modules.pop("broken_clf", None)
