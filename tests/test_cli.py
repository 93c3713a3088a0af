"""The command line: one exact line per bad input, exit status 2, nothing lost, and --resume after a kill.

Every case runs the real CLI with ``tests.fake_classifier`` instead of the shipped model, so no test
here loads a transformer. The bad-input matrix asserts the whole of stderr, line for line.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from stancekit.cli import cli

ROOT = Path(__file__).resolve().parents[1]
MODEL_DIR = ROOT / "models" / "stance-minilm"
FAKE = "tests.fake_classifier:KeywordClassifier"
GOOD = "The sheriff should honor ICE detainers, the county board said on Tuesday."
SPANISH = ("El alguacil del condado dijo que la policía local no colaborará con los agentes federales de "
           "inmigración porque la confianza de la comunidad es más importante que cualquier acuerdo firmado.")
UNKNOWN_MODEL = ("error: unknown model 'nope': use transformer, tfidf, similarity, majority, a model folder, "
                 "a .skops file, or module:attr")


def invoke(*args, **kwargs):
    return CliRunner().invoke(cli, [str(a) for a in args], **kwargs)


def stderr_lines(result) -> list[str]:
    return result.stderr.splitlines()


def summary(processed=0, skipped=0, failed=0) -> str:
    return f"{processed} processed, {skipped} skipped, {failed} failed"


def _jsonl(*records) -> bytes:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records).encode()


# ------------------------------------------------------------------ bad input: the matrix
# (file name, bytes, expected stderr lines with {p} for the path, exit status); run through `segment`.
INPUT_CASES = {
    "empty file": ("empty.txt", b"", ["error: {p}: file is empty", summary(failed=1)], 2),
    "whitespace only": ("blank.txt", b" \n\t\r\n  ", ["error: {p}: file holds only whitespace", summary(failed=1)], 2),
    "binary": ("blob.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", ["error: {p}: binary file, not text",
                                                                 summary(failed=1)], 2),
    "legacy encoding": ("latin.txt", "Le shérif a refusé la détention, a dit le maire à la radio.".encode("cp1252"),
                        ["warning: {p}: not UTF-8; decoded as cp1252", summary(processed=1)], 0),
    "latin-1 is not read as big5": ("de.txt", "Der Sheriff sagte, die Polizei würde nicht helfen. Größe.".encode(
        "latin-1"), ["warning: {p}: not UTF-8; decoded as cp1252", summary(processed=1)], 0),
    "malformed JSONL line": ("feed.jsonl", _jsonl({"text": GOOD}, "{not json"),
                             ["error: {p}:2: malformed JSON: Expecting property name enclosed in double quotes "
                              "(column 2)", summary(processed=1, failed=1)], 2),
    "truncated JSONL line": ("feed.jsonl", _jsonl('{"text": "Half a rec'),
                             ["error: {p}:1: malformed JSON: Unterminated string starting at (column 10)",
                              summary(failed=1)], 2),
    "deeply nested JSONL line": ("feed.jsonl", _jsonl("[" * 100_000),
                                 ["error: {p}:1: malformed JSON: nested too deeply", summary(failed=1)], 2),
    "JSONL record without text": ("feed.jsonl", _jsonl({"title": "No body"}),
                                  ["error: {p}:1: record has no 'text' field", summary(failed=1)], 2),
    "JSONL text is a number": ("feed.jsonl", _jsonl({"text": 42}),
                               ["error: {p}:1: 'text' must be a string, got int", summary(failed=1)], 2),
    "JSONL text is a list": ("feed.jsonl", _jsonl({"text": ["a", "b"]}),
                             ["error: {p}:1: 'text' must be a string, got list", summary(failed=1)], 2),
    "JSONL text is empty": ("feed.jsonl", _jsonl({"text": "  "}), ["error: {p}:1: 'text' is empty",
                                                                   summary(failed=1)], 2),
    "JSONL line is not an object": ("feed.jsonl", _jsonl([1, 2]),
                                    ["error: {p}:1: expected a JSON object, got list", summary(failed=1)], 2),
    "JSONL blank lines are not records": ("feed.jsonl", b"\n\n" + _jsonl({"text": GOOD}) + b"\n  \n",
                                          [summary(processed=1)], 0),
    "unknown extension": ("report.pdf", b"%PDF-1.4", ["error: {p}: unknown file type '.pdf'; expected .txt, .html, "
                                                      ".htm or .jsonl", summary(failed=1)], 2),
    "no extension": ("README", b"text", ["error: {p}: unknown file type '(none)'; expected .txt, .html, .htm or "
                                         ".jsonl", summary(failed=1)], 2),
    "HTML without article text": ("page.html", b"<html><body><script>var x = 1;</script></body></html>",
                                  ["error: {p}: no article text found in the HTML", summary(failed=1)], 2),
    "non-English article": ("es.txt", SPANISH.encode(), [
        "warning: {p}: text does not look like English; stance labels may be unreliable", summary(processed=1)], 0),
    "non-English JSONL record": ("feed.jsonl", _jsonl({"text": GOOD}, {"text": SPANISH}), [
        "warning: {p}:2: text does not look like English; stance labels may be unreliable",
        summary(processed=2)], 0),
}


def test_legacy_encoding_of_a_jsonl_file_is_reported_once(tmp_path):
    path = tmp_path / "feed.jsonl"
    records = [{"text": f"Le shérif numéro {i} a refusé."} for i in range(3)]
    path.write_bytes("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("cp1252"))
    result = invoke("segment", path)
    assert stderr_lines(result) == [f"warning: {path}:1: not UTF-8; decoded as cp1252", summary(processed=3)]
    assert [json.loads(line)["text"] for line in result.stdout.splitlines()] == [r["text"] for r in records]


@pytest.mark.parametrize("case", INPUT_CASES, ids=list(INPUT_CASES))
def test_bad_input_gives_one_exact_line_and_exit_status(tmp_path, case):
    name, content, expected, status = INPUT_CASES[case]
    path = tmp_path / name
    path.write_bytes(content)
    result = invoke("segment", path)
    assert stderr_lines(result) == [line.format(p=path) for line in expected]
    assert result.exit_code == status
    assert "Traceback" not in result.output


def test_missing_path(tmp_path):
    result = invoke("segment", tmp_path / "nowhere.txt")
    assert stderr_lines(result) == [f"error: {tmp_path / 'nowhere.txt'}: no such file or folder", summary(failed=1)]
    assert result.exit_code == 2


def test_file_over_the_size_limit_names_the_limit_and_how_to_raise_it(tmp_path):
    path = tmp_path / "big.txt"
    path.write_bytes(b"Sheriffs said no." + b" " * 1_572_847)  # 1.5 MB
    result = invoke("segment", path, "--max-mb", "1")
    assert stderr_lines(result) == [
        f"error: {path}: file is 1.5 MB, over the 1 MB limit; raise it with --max-mb or STANCEKIT_MAX_MB",
        summary(failed=1)]
    assert result.exit_code == 2
    assert invoke("segment", path, "--max-mb", "2").exit_code == 0


def test_size_limit_from_the_environment(tmp_path):
    path = tmp_path / "big.txt"
    path.write_bytes(b"Sheriffs said no." + b" " * 1_572_847)  # 1.5 MB
    env = {**os.environ, "STANCEKIT_MAX_MB": "1"}
    proc = _stancekit("segment", path, "--out", tmp_path / "o.jsonl", env=env)
    assert proc.stderr.splitlines() == [
        f"error: {path}: file is 1.5 MB, over the 1 MB limit; raise it with --max-mb or STANCEKIT_MAX_MB",
        summary(failed=1)]
    assert proc.returncode == 2
    env["STANCEKIT_MAX_MB"] = "2"
    assert _stancekit("segment", path, "--out", tmp_path / "o.jsonl", env=env).returncode == 0


def test_folder_without_articles_is_a_usage_error(tmp_path):
    (tmp_path / "notes.md").write_text("not an article", encoding="utf-8")
    for command in (["segment", tmp_path], ["compare", tmp_path, "--out", tmp_path / "out", "--model", FAKE]):
        result = invoke(*command)
        assert stderr_lines(result) == [f"error: no articles found in {tmp_path}: expected .txt, .html, .htm or "
                                        ".jsonl files", summary()]
        assert result.exit_code == 2
    assert not (tmp_path / "out").exists()


# The same inputs through `compare`, which must report the same lines and record every failure.
@pytest.mark.parametrize("case", ["empty file", "binary", "malformed JSONL line", "JSONL record without text",
                                  "unknown extension", "legacy encoding", "non-English article"])
def test_compare_reports_the_same_lines(tmp_path, case):
    name, content, expected, status = INPUT_CASES[case]
    path = tmp_path / name
    path.write_bytes(content)
    ok = tmp_path / "ok.txt"
    ok.write_text(GOOD, encoding="utf-8")
    result = invoke("compare", ok, path, "--out", tmp_path / "out", "--model", FAKE)
    lines = stderr_lines(result)
    wanted = [line.format(p=path) for line in expected[:-1]]
    assert [line for line in lines if line.startswith(("error:", "warning:"))] == wanted
    processed, failed = 1 + expected[-1].startswith("1 processed"), sum(1 for w in wanted if w.startswith("error"))
    assert lines[-1] == summary(processed=processed, failed=failed)
    assert result.exit_code == status
    errors = (tmp_path / "out" / "errors.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(errors) == failed


# ----------------------------------------------------------------- classify: its one input file
CLASSIFY_FILE_CASES = {
    "missing": (None, "error: {p}: no such file or folder"),
    "folder": ("dir", "error: {p}: is a folder; classify reads one .jsonl file"),
    "unknown extension": (b'{"text": "x"}\n', "error: {p}: unknown file type '.txt'; classify reads a .jsonl file "
                                              "with one JSON object with a 'text' field per line"),
    "empty": (b"", "error: {p}: file is empty"),
    "whitespace": (b"\n \n", "error: {p}: file holds only whitespace"),
    "binary": (b"\x00\x01\x02\x03", "error: {p}: binary file, not text"),
}


@pytest.mark.parametrize("case", CLASSIFY_FILE_CASES, ids=list(CLASSIFY_FILE_CASES))
def test_classify_unreadable_file(tmp_path, case):
    content, expected = CLASSIFY_FILE_CASES[case]
    path = tmp_path / ("claims.txt" if case == "unknown extension" else "claims.jsonl")
    if content == "dir":
        path.mkdir()
    elif content is not None:
        path.write_bytes(content)
    result = invoke("classify", path, "--model", FAKE, "--out", tmp_path / "out.jsonl")
    assert stderr_lines(result) == [expected.format(p=path), summary(failed=1)]
    assert result.exit_code == 2
    assert not (tmp_path / "out.jsonl").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_classify_over_the_size_limit(tmp_path):
    path = tmp_path / "claims.jsonl"
    path.write_bytes(_jsonl(*[{"text": "x" * 100}] * 16_000))  # 1.7 MB
    result = invoke("classify", path, "--model", FAKE, "--max-mb", "1")
    assert stderr_lines(result) == [
        f"error: {path}: file is 1.7 MB, over the 1 MB limit; raise it with --max-mb or STANCEKIT_MAX_MB",
        summary(failed=1)]
    assert result.exit_code == 2


def test_classify_legacy_encoding_is_decoded_with_a_warning(tmp_path):
    path = tmp_path / "claims.jsonl"
    path.write_bytes(json.dumps({"text": "Le shérif refuse."}, ensure_ascii=False).encode("cp1252") + b"\n")
    result = invoke("classify", path, "--model", FAKE)
    assert stderr_lines(result) == [f"warning: {path}: not UTF-8; decoded as cp1252", summary(processed=1)]
    assert json.loads(result.stdout)["text"] == "Le shérif refuse."
    assert result.exit_code == 0


def test_classify_bad_lines_become_error_records_in_place(tmp_path):
    path = tmp_path / "claims.jsonl"
    path.write_bytes(_jsonl({"text": "Sheriffs should honor detainers.", "id": 1}, "{oops", {"id": 3},
                            {"text": None}, "", {"text": "Cities refuse.", "id": 6}))
    out = tmp_path / "labeled.jsonl"
    result = invoke("classify", path, "--model", FAKE, "--out", out)
    assert stderr_lines(result) == [
        f"error: {path}:2: malformed JSON: Expecting property name enclosed in double quotes (column 2)",
        f"error: {path}:3: record has no 'text' field",
        f"error: {path}:4: 'text' must be a string, got NoneType",
        summary(processed=2, failed=3)]
    assert result.exit_code == 2
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r.get("id", r.get("line")) for r in records] == [1, 2, 3, 4, 6]
    assert records[0]["stance"] == "favor" and records[4]["stance"] == "against"
    assert records[1] == {"path": str(path), "error": "malformed JSON: Expecting property name enclosed in double "
                                                      "quotes (column 2)", "line": 2}
    assert set(records[0]["probs"]) == {"favor", "against", "none"}


def test_classify_keeps_line_separators_inside_json_strings(tmp_path):
    """U+2028 and U+0085 may stand unescaped in JSON; they must not split a JSONL line."""
    path = tmp_path / "claims.jsonl"
    text = "First part\u2028second part\x85third part."
    path.write_text(json.dumps({"text": text}, ensure_ascii=False) + "\n", encoding="utf-8")
    result = invoke("classify", path, "--model", FAKE)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["text"] == text


# ----------------------------------------------------------------- bad --model values
@pytest.fixture
def claims_file(tmp_path) -> Path:
    path = tmp_path / "claims.jsonl"
    path.write_bytes(_jsonl({"text": GOOD}))
    return path


MODEL_CASES = {
    "unknown name": ("nope", UNKNOWN_MODEL),
    "empty module:attr": (":", "error: bad classifier ':': expected module:attr, for example "
                               "mypackage.models:MyClassifier"),
    "malformed module:attr": ("my module:Thing", "error: bad classifier 'my module:Thing': expected module:attr, "
                                                 "for example mypackage.models:MyClassifier"),
    "relative module": (".fake:Thing", "error: bad classifier '.fake:Thing': expected module:attr, for example "
                                       "mypackage.models:MyClassifier"),
    "missing module": ("no_such_module_xyz:Clf", "error: cannot import classifier module 'no_such_module_xyz': "
                                                 "No module named 'no_such_module_xyz'"),
    "missing attribute": ("tests.fake_classifier:Nope", "error: module 'tests.fake_classifier' has no attribute "
                                                        "'Nope'"),
    "wrong labels": ("tests.fake_classifier:WrongLabels", "error: tests.fake_classifier:WrongLabels: classifier "
                     "labels must be ('favor', 'against', 'none'), got ('yes', 'no', 'maybe')"),
    "not a classifier": ("tests.fake_classifier:NOT_A_CLASSIFIER", "error: tests.fake_classifier:NOT_A_CLASSIFIER: "
                         "int is not a stance classifier: it needs `labels` and "
                         "`predict_proba(texts) -> array (n, 3)`"),
}


@pytest.mark.parametrize("command", ["classify", "compare"])
@pytest.mark.parametrize("case", MODEL_CASES, ids=list(MODEL_CASES))
def test_bad_model_is_one_line_and_exit_2(claims_file, tmp_path, case, command):
    model, expected = MODEL_CASES[case]
    extra = ["--out", tmp_path / "out"] if command == "compare" else []
    result = invoke(command, claims_file, "--model", model, *extra)
    assert stderr_lines(result) == [expected, summary()]
    assert result.exit_code == 2
    assert not (tmp_path / "out").exists()


def test_named_class_is_instantiated(claims_file):
    result = invoke("classify", claims_file, "--model", FAKE)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["stance"] == "favor"


def test_classifier_that_crashes_is_reported_without_traceback(claims_file):
    result = invoke("classify", claims_file, "--model", "tests.fake_classifier:FailingClassifier")
    assert stderr_lines(result) == ["error: unexpected RuntimeError: boom (run 'stancekit --debug ...' for the "
                                    "traceback)", summary()]
    assert result.exit_code == 1


@pytest.fixture
def model_copy(tmp_path) -> Path:
    if not (MODEL_DIR / "model.safetensors").is_file():
        pytest.skip("the shipped model is not in this checkout")
    return Path(shutil.copytree(MODEL_DIR, tmp_path / "model"))


def _flip_byte(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


MODEL_FOLDER_CASES = {
    "weights missing": (lambda d: (d / "model.safetensors").unlink(),
                        "error: {d}/model.safetensors: missing; the model folder is incomplete"),
    "weights corrupted": (lambda d: _flip_byte(d / "model.safetensors", 5_000_000),
                          "error: {d}/model.safetensors: checksum mismatch (file corrupted or changed); reinstall "
                          "or retrain the model"),
    "weights truncated": (lambda d: os.truncate(d / "model.safetensors", 1000),
                          "error: {d}/model.safetensors: checksum mismatch (file corrupted or changed); reinstall "
                          "or retrain the model"),
    "config changed": (lambda d: (d / "stancekit.json").write_text(
        (d / "stancekit.json").read_text().replace('"temperature"', '"temperature" ', 1)),
        "error: {d}/stancekit.json: checksum mismatch (file corrupted or changed); reinstall or retrain the model"),
    "config missing": (lambda d: (d / "stancekit.json").unlink(),
                       "error: {d}/stancekit.json: missing; the model folder is incomplete"),
    "checksums missing": (lambda d: (d / "checksums.json").unlink(),
                          "error: {d}/checksums.json: missing; the model folder is incomplete"),
    "checksums not JSON": (lambda d: (d / "checksums.json").write_text("{oops"),
                           "error: {d}/checksums.json: not valid JSON"),
    "not a model folder": (lambda d: [p.unlink() for p in list(d.iterdir())],
                           "error: {d}: not a model folder (no stancekit.json); use a folder saved by "
                           "'stancekit train'"),
}


@pytest.mark.parametrize("case", MODEL_FOLDER_CASES, ids=list(MODEL_FOLDER_CASES))
def test_broken_model_folder_is_refused_with_its_file_named(model_copy, claims_file, case):
    tamper, expected = MODEL_FOLDER_CASES[case]
    tamper(model_copy)
    result = invoke("classify", claims_file, "--model", model_copy)
    assert stderr_lines(result) == [expected.format(d=model_copy), summary()]
    assert result.exit_code == 2


@pytest.fixture
def tfidf_file(tmp_path) -> Path:
    from stancekit.classifiers import TfidfClassifier

    texts = ["Sheriffs should honor detainers.", "Cities should refuse ICE.", "The meeting is on Tuesday.",
             "Police must cooperate with ICE.", "End the 287(g) agreement.", "The county has five districts."]
    labels = ["favor", "against", "none"] * 2
    return TfidfClassifier().fit(texts, labels).save(tmp_path / "model") / "tfidf.skops"


def test_tfidf_file_loads(tfidf_file, claims_file):
    result = invoke("classify", claims_file, "--model", tfidf_file)
    assert result.exit_code == 0, result.stderr
    assert stderr_lines(result) == [summary(processed=1)]


@pytest.mark.parametrize("tamper, problem", [
    (lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]), "unreadable or tampered TF-IDF model"),
    (lambda p: p.write_bytes(b"not a zip file at all"), "unreadable or tampered TF-IDF model"),
    (lambda p: p.unlink(), "missing TF-IDF model file"),
], ids=["truncated", "garbage", "missing"])
def test_tampered_tfidf_file_is_refused(tfidf_file, claims_file, tamper, problem):
    tamper(tfidf_file)
    result = invoke("classify", claims_file, "--model", tfidf_file)
    line, last = stderr_lines(result)
    assert line.startswith(f"error: {tfidf_file}: {problem}") and last == summary()
    assert result.exit_code == 2


def test_skops_file_with_untrusted_types_is_refused(tmp_path, claims_file):
    import skops.io as sio

    from tests.fake_classifier import KeywordClassifier

    path = tmp_path / "evil.skops"
    sio.dump({"model": KeywordClassifier()}, path)
    result = invoke("classify", claims_file, "--model", path)
    assert stderr_lines(result) == [f"error: {path}: refuses to load untrusted types "
                                    "['tests.fake_classifier.KeywordClassifier']", summary()]
    assert result.exit_code == 2


# ----------------------------------------------------------------- usage errors and --debug
def test_resume_needs_out(claims_file):
    result = invoke("classify", claims_file, "--resume", "--model", FAKE)
    assert stderr_lines(result) == ["error: --resume continues an interrupted run into its --out file; give --out",
                                    summary()]
    assert result.exit_code == 2


@pytest.mark.parametrize("args", [["segment"], ["compare"], ["classify"], ["segment", "x.txt", "--max-mb", "big"],
                                  ["nosuchcommand"], ["segment", "x.txt", "--no-such-option"]])
def test_click_usage_errors_exit_2(args):
    result = invoke(*args)
    assert result.exit_code == 2
    assert any(line.startswith("Error: ") for line in stderr_lines(result))


@pytest.mark.parametrize("variable", ["STANCEKIT_DOC_GROUP", "STANCEKIT_LINE_GROUP"])
def test_bad_group_size_in_the_environment(tmp_path, claims_file, variable):
    args = (["compare", claims_file, "--out", tmp_path / "out"] if "DOC" in variable
            else ["classify", claims_file, "--out", tmp_path / "o.jsonl"])
    result = invoke(*args, "--model", FAKE, env={variable: "zero"})
    assert stderr_lines(result) == [f"error: {variable}='zero': expected a whole number of at least 1", summary()]
    assert result.exit_code == 2


def test_debug_raises_the_original_exception(claims_file):
    result = invoke("--debug", "classify", claims_file, "--model", "nope")
    assert type(result.exception).__name__ == "ModelError"
    result = invoke("--debug", "classify", claims_file.with_name("missing.jsonl"), "--model", FAKE)
    assert type(result.exception).__name__ == "InputError"


def test_traceback_only_with_debug(tmp_path, claims_file):
    plain = _stancekit("classify", claims_file, "--model", "nope")
    assert plain.stderr.splitlines() == [UNKNOWN_MODEL, summary()]
    assert plain.returncode == 2
    debug = _stancekit("--debug", "classify", claims_file, "--model", "nope")
    assert "Traceback (most recent call last)" in debug.stderr
    assert debug.stderr.rstrip().splitlines()[-1].startswith("stancekit.errors.ModelError: unknown model 'nope'")


def test_module_attr_classifier_is_found_in_the_working_folder(tmp_path, claims_file):
    """The console script does not put the working folder on sys.path; --model module:attr still finds it."""
    (tmp_path / "my_stance.py").write_text("from tests.fake_classifier import KeywordClassifier as Clf\n",
                                           encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if len(_command()) > 1:
        pytest.skip("needs the installed console script")
    proc = subprocess.run([*_command(), "classify", claims_file, "--model", "my_stance:Clf"], cwd=tmp_path,
                          capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines() == [summary(processed=1)]


# ----------------------------------------------------------------- nothing lost in batch work
def _mixed_folder(root: Path) -> dict[str, bytes]:
    files = {
        "a_good.txt": f"{GOOD}\nCity leaders said they will refuse to cooperate.".encode(),
        "b_empty.txt": b"",
        "c_binary.txt": b"\x00\x01",
        "d_feed.jsonl": _jsonl({"text": GOOD, "doc_id": "d1"}, "{bad", {"text": "Sanctuary rules protect families."}),
        "e_page.html": f"<html><body><article><p>{GOOD} {GOOD}</p></article></body></html>".encode(),
        "f_latin.txt": "Le shérif a refusé, a dit le maire à la radio.".encode("cp1252"),
    }
    root.mkdir()
    for name, content in files.items():
        (root / name).write_bytes(content)
    return files


def test_segment_writes_every_document_or_its_error(tmp_path):
    folder = tmp_path / "in"
    _mixed_folder(folder)
    out = tmp_path / "segments.jsonl"
    result = invoke("segment", folder, "--out", out)
    assert stderr_lines(result) == [
        f"error: {folder / 'b_empty.txt'}: file is empty",
        f"error: {folder / 'c_binary.txt'}: binary file, not text",
        f"error: {folder / 'd_feed.jsonl'}:2: malformed JSON: Expecting property name enclosed in double quotes "
        "(column 2)",
        f"warning: {folder / 'f_latin.txt'}: not UTF-8; decoded as cp1252",
        summary(processed=5, failed=3)]
    assert result.exit_code == 2
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    docs = list(dict.fromkeys(r.get("doc_id") or f"{Path(r['path']).name}:{r.get('line', '')}" for r in records))
    assert docs == ["a_good", "b_empty.txt:", "c_binary.txt:", "d1", "d_feed.jsonl:2", "d_feed:3", "e_page",
                    "f_latin"]


def test_compare_writes_every_document_or_its_error(tmp_path):
    folder = tmp_path / "in"
    _mixed_folder(folder)
    out = tmp_path / "out"
    result = invoke("compare", folder, "--out", out, "--model", FAKE)
    assert result.exit_code == 2
    lines = stderr_lines(result)
    assert lines[-1] == summary(processed=5, failed=3)
    assert f"wrote {out / 'errors.jsonl'} (one record per document that could not be read)" in lines
    errors = [json.loads(line) for line in (out / "errors.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(Path(e["path"]).name, e.get("line")) for e in errors] == [
        ("b_empty.txt", None), ("c_binary.txt", None), ("d_feed.jsonl", 2)]
    claims = [json.loads(line) for line in (out / "claims.jsonl").read_text(encoding="utf-8").splitlines()]
    assert sorted({c["doc_id"] for c in claims}) == ["a_good", "d1", "d_feed:3", "e_page", "f_latin"]
    assert sorted(p.name for p in out.iterdir()) == ["claims.jsonl", "errors.jsonl", "report.html", "sources.csv"]


def test_compare_without_errors_writes_an_empty_error_file(tmp_path):
    (tmp_path / "a.txt").write_text(GOOD, encoding="utf-8")
    result = invoke("compare", tmp_path / "a.txt", "--out", tmp_path / "out", "--model", FAKE)
    assert result.exit_code == 0
    assert stderr_lines(result)[-1] == summary(processed=1)
    assert (tmp_path / "out" / "errors.jsonl").read_text() == ""


def test_compare_of_articles_without_claims_says_so(tmp_path):
    (tmp_path / "nav.txt").write_text("Home\nMenu\nSubscribe", encoding="utf-8")
    result = invoke("compare", tmp_path / "nav.txt", "--out", tmp_path / "out", "--model", FAKE)
    assert stderr_lines(result) == ["warning: no claims found in the articles; sources.csv, claims.jsonl and "
                                    "report.html were not written", summary(processed=1)]
    assert result.exit_code == 0


def test_output_files_get_normal_permissions(tmp_path):
    (tmp_path / "a.txt").write_text(GOOD, encoding="utf-8")
    old = os.umask(0o022)
    try:
        assert invoke("segment", tmp_path / "a.txt", "--out", tmp_path / "seg.jsonl").exit_code == 0
        assert invoke("compare", tmp_path / "a.txt", "--out", tmp_path / "out", "--model", FAKE).exit_code == 0
        assert invoke("classify", _write(tmp_path / "c.jsonl", _jsonl({"text": GOOD})), "--model", FAKE,
                      "--out", tmp_path / "c_out.jsonl").exit_code == 0
    finally:
        os.umask(old)
    for path in [tmp_path / "seg.jsonl", tmp_path / "c_out.jsonl", *(tmp_path / "out").iterdir()]:
        assert path.stat().st_mode & 0o777 == 0o644, path


def test_resume_refuses_other_inputs(tmp_path):
    one = _write(tmp_path / "one.jsonl", _jsonl({"text": GOOD}))
    out = tmp_path / "out.jsonl"
    partial = tmp_path / ".out.jsonl.partial"
    partial.mkdir()
    (partial / "out.jsonl").write_text("")
    (partial / "progress.json").write_text(json.dumps({"items": 0, "sizes": {"out.jsonl": 0},
                                                       "key": {"input": "/elsewhere.jsonl"}}))
    result = invoke("classify", one, "--model", FAKE, "--out", out, "--resume")
    assert stderr_lines(result) == [f"error: --resume: {partial} holds an interrupted run over other inputs or with "
                                    "another model; run again without --resume to start afresh", summary()]
    assert result.exit_code == 2
    assert invoke("classify", one, "--model", FAKE, "--out", out).exit_code == 0
    assert not partial.exists()


def test_resume_with_damaged_partial_files_starts_over(tmp_path):
    data = _write(tmp_path / "in.jsonl", _jsonl(*[{"text": f"Claim {i} should end."} for i in range(5)]))
    ref = tmp_path / "ref.jsonl"
    assert invoke("classify", data, "--model", FAKE, "--out", ref).exit_code == 0
    out = tmp_path / "out.jsonl"
    partial = tmp_path / ".out.jsonl.partial"
    partial.mkdir()
    (partial / "out.jsonl").write_text("")  # shorter than the progress record says: lost on a crash
    (partial / "progress.json").write_text(json.dumps({"items": 3, "sizes": {"out.jsonl": 500}}))
    result = invoke("classify", data, "--model", FAKE, "--out", out, "--resume")
    assert stderr_lines(result) == [summary(processed=5)]
    assert out.read_bytes() == ref.read_bytes()


def test_compare_crashed_midway_resumes_and_remembers_earlier_failures(tmp_path, monkeypatch):
    import stancekit.runs.local

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(10):
        (corpus / f"d{i}.txt").write_text(f"Officials should honor detainer number {i}." if i != 1 else "",
                                          encoding="utf-8")
    monkeypatch.setenv("STANCEKIT_DOC_GROUP", "2")
    assert invoke("compare", corpus, "--out", tmp_path / "ref", "--model", FAKE).exit_code == 2

    real, calls = stancekit.runs.local.classify_articles, []

    def crash_on_third_group(articles, classifier, **kwargs):
        calls.append(len(articles))
        if len(calls) == 3:
            raise RuntimeError("power cut")
        return real(articles, classifier, **kwargs)

    monkeypatch.setattr(stancekit.runs.local, "classify_articles", crash_on_third_group)
    out = tmp_path / "out"
    crashed = invoke("compare", corpus, "--out", out, "--model", FAKE)
    assert stderr_lines(crashed) == [f"error: {corpus / 'd1.txt'}: file is empty",
                                     "error: unexpected RuntimeError: power cut (run 'stancekit --debug ...' for "
                                     "the traceback)", summary(processed=3, failed=1)]
    assert crashed.exit_code == 1
    assert json.loads((out / ".partial" / "progress.json").read_text())["items"] == 4

    monkeypatch.setattr(stancekit.runs.local, "classify_articles", real)
    resumed = invoke("compare", corpus, "--out", out, "--model", FAKE, "--resume")
    lines = stderr_lines(resumed)
    assert lines[-2:] == ["warning: 1 of the 4 documents finished before --resume could not be read; their error "
                          "records are in the output", summary(processed=6, skipped=4)]
    assert resumed.exit_code == 2
    for name in ("claims.jsonl", "sources.csv", "errors.jsonl", "report.html"):
        assert (out / name).read_bytes() == (tmp_path / "ref" / name).read_bytes(), name


# ----------------------------------------------------------------- kill -9 midway, then --resume
def _command() -> list[str]:
    """The installed console script, or the same entry point through this interpreter."""
    script = Path(sys.executable).with_name("stancekit")
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from stancekit.cli import main; sys.argv[0] = 'stancekit'; main()"]


def _stancekit(*args, env=None, **kwargs) -> subprocess.CompletedProcess:
    env = dict(os.environ if env is None else env)
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run([*_command(), *map(str, args)], cwd=ROOT, capture_output=True, text=True, env=env,
                          timeout=120, **kwargs)


def _write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


def _kill_midway(args: list, progress: Path, env: dict, *, at_least: int, total: int) -> int:
    """Start the CLI, SIGKILL it once progress.json records at least ``at_least`` items; return that count."""
    proc = subprocess.Popen([*_command(), *map(str, args)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    done, deadline = 0, time.monotonic() + 60
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                done = json.loads(progress.read_text(encoding="utf-8"))["items"]
            except (OSError, ValueError):
                done = 0
            if done >= at_least:
                break
            time.sleep(0.005)
        assert proc.poll() is None, "the run finished before it could be killed; make it slower"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    assert at_least <= done < total
    return done


def _calls(log: Path) -> list[int]:
    return [int(n) for n in log.read_text().split()] if log.exists() else []


def _slow_env(tmp_path: Path, **extra) -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT), "STANCEKIT_TEST_DELAY": "0.1",
            "STANCEKIT_TEST_CALL_LOG": str(tmp_path / "calls.log"), **extra}


def test_classify_killed_midway_resumes_to_identical_output(tmp_path):
    records = [{"text": f"Claim {i}: sheriffs should {'honor' if i % 3 else 'refuse'} detainers.", "n": i}
               for i in range(200)]
    records[57] = "{broken"
    data = _write(tmp_path / "big.jsonl", _jsonl(*records))
    model = "tests.fake_classifier:SlowClassifier"
    env = _slow_env(tmp_path, STANCEKIT_LINE_GROUP="10")
    ref = tmp_path / "ref.jsonl"
    full = subprocess.run([*_command(), "classify", data, "--model", model, "--out", ref], cwd=ROOT, env={
        **env, "STANCEKIT_TEST_DELAY": "0"}, capture_output=True, text=True, timeout=120)
    assert full.returncode == 2 and full.stderr.splitlines()[-1] == summary(processed=199, failed=1)

    out = tmp_path / "out.jsonl"
    args = ["classify", data, "--model", model, "--out", out]
    log = tmp_path / "calls.log"
    log.unlink()
    done = _kill_midway(args, tmp_path / ".out.jsonl.partial" / "progress.json", env, at_least=30, total=200)
    assert not out.exists()
    broken_done = done >= 58  # line 58 is the broken one
    before_calls = _calls(log)
    before = sum(before_calls)
    assert done - broken_done <= before <= done - broken_done + 10  # at most the group in flight is lost

    # A different group size in the environment does not matter: the run keeps the one it started with.
    resumed = subprocess.run([*_command(), *map(str, args), "--resume"], cwd=ROOT, capture_output=True, text=True,
                             env={**env, "STANCEKIT_LINE_GROUP": "7"}, timeout=120)
    assert out.read_bytes() == ref.read_bytes()
    failed = 0 if broken_done else 1
    new_calls = _calls(log)[len(before_calls):]
    assert sum(new_calls) == 200 - done - failed  # only the unfinished lines were classified again
    assert set(new_calls) <= {9, 10}
    assert resumed.stderr.splitlines()[-1] == summary(processed=200 - done - failed, skipped=done, failed=failed)
    assert resumed.returncode == 2
    assert not (tmp_path / ".out.jsonl.partial").exists()


def test_compare_killed_midway_resumes_to_identical_output(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    manifest = []
    for i in range(200):
        stance = ["should honor ICE detainers", "must refuse to cooperate with ICE", "met on Tuesday"][i % 3]
        (corpus / f"doc{i:03d}.txt").write_text(f"The county {stance}, officials said. It was day {i}.",
                                               encoding="utf-8")
        manifest.append({"file": f"doc{i:03d}.txt", "source": f"Source {i % 7}"})
    (corpus / "metadata.json").write_text(json.dumps(manifest), encoding="utf-8")
    (corpus / "doc100.txt").write_bytes(b"")  # the 101st document fails
    model = "tests.fake_classifier:SlowClassifier"
    env = _slow_env(tmp_path, STANCEKIT_DOC_GROUP="8")
    ref = tmp_path / "ref"
    full = subprocess.run([*_command(), "compare", corpus, "--model", model, "--out", ref], cwd=ROOT,
                          env={**env, "STANCEKIT_TEST_DELAY": "0"}, capture_output=True, text=True, timeout=120)
    assert full.returncode == 2, full.stderr
    assert full.stderr.splitlines()[-1] == summary(processed=199, failed=1)

    out = tmp_path / "out"
    args = ["compare", corpus, "--model", model, "--out", out]
    (tmp_path / "calls.log").unlink()
    done = _kill_midway(args, out / ".partial" / "progress.json", env, at_least=40, total=200)
    assert not (out / "claims.jsonl").exists()
    resumed = subprocess.run([*_command(), *map(str, args), "--resume"], cwd=ROOT, env=env, capture_output=True,
                             text=True, timeout=120)
    assert resumed.returncode == 2, resumed.stderr
    for name in ("claims.jsonl", "sources.csv", "errors.jsonl", "report.html"):
        assert (out / name).read_bytes() == (ref / name).read_bytes(), name
    failed = 1 if done <= 100 else 0
    assert resumed.stderr.splitlines()[-1] == summary(processed=200 - done - failed, skipped=done, failed=failed)
    assert not (out / ".partial").exists()


# ----------------------------------------------------------------- --resume checks what it continues
INTERRUPTED = "interrupted; finished work is kept: run the same command again with --resume to continue"
AFRESH = "; run again without --resume to start afresh"


def _small_corpus(folder: Path, n: int = 7) -> Path:
    folder.mkdir()
    for i in range(n):
        stance = ["should honor ICE detainers", "must refuse to cooperate with ICE", "met on Tuesday"][i % 3]
        (folder / f"d{i}.txt").write_text(f"The county {stance}, officials said. Day {i}.", encoding="utf-8")
    return folder


def _interrupt(monkeypatch, command: str, *args, step: str, group_variable: str, at_group: int = 2):
    """Run ``command`` in groups of 2 inputs and press Ctrl-C when runs.local's ``step`` (the
    classification of a group) is called for the ``at_group``-th time."""
    import stancekit.runs.local

    real, calls = getattr(stancekit.runs.local, step), []

    def interrupt(*step_args, **kwargs):
        calls.append(step_args)
        if len(calls) == at_group:
            raise KeyboardInterrupt
        return real(*step_args, **kwargs)

    monkeypatch.setenv(group_variable, "2")
    with monkeypatch.context() as patch:
        patch.setattr(stancekit.runs.local, step, interrupt)
        return invoke(command, *args)


def _interrupt_compare(monkeypatch, *args, at_group: int = 2):
    """Run compare in groups of 2 documents and press Ctrl-C while the ``at_group``-th group is classified."""
    return _interrupt(monkeypatch, "compare", *args, step="classify_articles", group_variable="STANCEKIT_DOC_GROUP",
                      at_group=at_group)


def _same_outputs(one: Path, two: Path) -> None:
    for name in ("claims.jsonl", "sources.csv", "errors.jsonl", "report.html"):
        assert (one / name).read_bytes() == (two / name).read_bytes(), name


def test_ctrl_c_says_how_to_resume_and_the_resumed_run_equals_an_uninterrupted_one(tmp_path, monkeypatch):
    corpus = _small_corpus(tmp_path / "corpus")
    monkeypatch.setenv("STANCEKIT_DOC_GROUP", "2")
    assert invoke("compare", corpus, "--out", tmp_path / "ref", "--model", FAKE).exit_code == 0
    out = tmp_path / "out"
    stopped = _interrupt_compare(monkeypatch, corpus, "--out", out, "--model", FAKE)
    assert (stopped.exit_code, stderr_lines(stopped)) == (130, [INTERRUPTED, summary(processed=2)])
    resumed = invoke("compare", corpus, "--out", out, "--model", FAKE, "--resume")
    assert resumed.exit_code == 0, resumed.output
    assert stderr_lines(resumed)[-1] == summary(processed=5, skipped=2)
    _same_outputs(out, tmp_path / "ref")


def _edit_keeping_size_and_mtime(path: Path) -> None:
    stat = path.stat()
    text = path.read_text(encoding="utf-8")
    path.write_text(text.swapcase(), encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size


CHANGES = {  # what happens between the interrupted run and --resume, and the refusal it gets
    "processed input deleted": (lambda c: (c / "d0.txt").unlink(), "input {c}/d0.txt is gone since the interrupted run"),
    "unprocessed input deleted": (lambda c: (c / "d6.txt").unlink(), "input {c}/d6.txt is gone since the interrupted run"),
    "input added": (lambda c: (c / "d7.txt").write_text("Cities refuse ICE.", encoding="utf-8"),
                    "input {c}/d7.txt is new since the interrupted run"),
    "input edited, same size and time": (lambda c: _edit_keeping_size_and_mtime(c / "d1.txt"),
                                         "input {c}/d1.txt changed since the interrupted run"),
    "input touched": (lambda c: os.utime(c / "d5.txt", ns=(0, 0)), "input {c}/d5.txt changed since the interrupted run"),
}


@pytest.mark.parametrize("case", CHANGES, ids=list(CHANGES))
def test_resume_refuses_changed_inputs_and_names_them(tmp_path, monkeypatch, case):
    change, problem = CHANGES[case]
    corpus = _small_corpus(tmp_path / "corpus")
    out = tmp_path / "out"
    assert _interrupt_compare(monkeypatch, corpus, "--out", out, "--model", FAKE, at_group=3).exit_code == 130
    change(corpus)
    refused = invoke("compare", corpus, "--out", out, "--model", FAKE, "--resume")
    assert stderr_lines(refused) == ["error: --resume: " + problem.format(c=corpus.resolve()) + AFRESH, summary()]
    assert refused.exit_code == 2
    assert not (out / "claims.jsonl").exists()
    fresh = invoke("compare", corpus, "--out", out, "--model", FAKE)  # starting afresh works
    assert fresh.exit_code == 0 and not (out / ".partial").exists()
    assert invoke("compare", corpus, "--out", tmp_path / "ref", "--model", FAKE).exit_code == 0
    _same_outputs(out, tmp_path / "ref")


def test_resume_refuses_inputs_in_another_order(tmp_path, monkeypatch):
    corpus = _small_corpus(tmp_path / "corpus")
    files = sorted(corpus.iterdir())
    out = tmp_path / "out"
    assert _interrupt_compare(monkeypatch, *files, "--out", out, "--model", FAKE).exit_code == 130
    refused = invoke("compare", *reversed(files), "--out", out, "--model", FAKE, "--resume")
    assert stderr_lines(refused)[0] == ("error: --resume: the inputs come in another order than in the interrupted "
                                        "run" + AFRESH)


def _tfidf_folder(folder: Path, flip: bool) -> Path:
    from stancekit.classifiers import TfidfClassifier

    texts = ["Sheriffs should honor detainers.", "Cities should refuse ICE.", "The meeting is on Tuesday.",
             "Police must cooperate with ICE.", "End the 287(g) agreement.", "The county has five districts."]
    labels = ["against", "favor", "none"] * 2 if flip else ["favor", "against", "none"] * 2
    return TfidfClassifier().fit(texts, labels).save(folder)


@pytest.mark.parametrize("swap", ["module:attr class", "model folder replaced"])
def test_resume_refuses_another_model(tmp_path, monkeypatch, swap):
    corpus = _small_corpus(tmp_path / "corpus")
    out = tmp_path / "out"
    if swap == "model folder replaced":
        first = second = _tfidf_folder(tmp_path / "model", flip=False)
    else:
        first, second = FAKE, "tests.fake_classifier:SlowClassifier"
    assert _interrupt_compare(monkeypatch, corpus, "--out", out, "--model", first).exit_code == 130
    if swap == "model folder replaced":
        shutil.rmtree(first)
        _tfidf_folder(first, flip=True)
    refused = invoke("compare", corpus, "--out", out, "--model", second, "--resume")
    assert stderr_lines(refused) == ["error: --resume: the model differs from the interrupted run's" + AFRESH,
                                     summary()]
    assert refused.exit_code == 2


def test_model_identity_is_the_checksums_of_the_model_folder(tmp_path):
    from stancekit.runs.checkpoint import model_identity

    one, two = tmp_path / "one", tmp_path / "two"
    for folder, digest in ((one, "aa"), (two, "aa")):
        folder.mkdir()
        (folder / "checksums.json").write_text(json.dumps({"model.safetensors": digest}), encoding="utf-8")
    assert model_identity(one) == model_identity(two) == {"files": {"model.safetensors": "aa"}}
    (two / "checksums.json").write_text(json.dumps({"model.safetensors": "bb"}), encoding="utf-8")
    assert model_identity(one) != model_identity(two)

    class Backed:
        backend = "int8"

    assert model_identity(one, Backed()) == {"files": {"model.safetensors": "aa"}, "backend": "int8"}
    assert model_identity(None, Backed()) == {"class": f"{Backed.__module__}.{Backed.__qualname__}",
                                              "backend": "int8"}
    assert model_identity("similarity") == {"name": "similarity"}


def _interrupt_classify(monkeypatch, *args):
    """Run classify in groups of 2 lines and press Ctrl-C in the second group."""
    return _interrupt(monkeypatch, "classify", *args, step="predict_proba", group_variable="STANCEKIT_LINE_GROUP")


def test_classify_resume_refuses_an_edited_input_and_continues_an_unchanged_one(tmp_path, monkeypatch):
    data = _write(tmp_path / "in.jsonl", _jsonl(*[{"text": f"Claim {i} should end."} for i in range(6)]))
    ref, out = tmp_path / "ref.jsonl", tmp_path / "out.jsonl"
    assert invoke("classify", data, "--model", FAKE, "--out", ref).exit_code == 0
    stopped = _interrupt_classify(monkeypatch, data, "--model", FAKE, "--out", out)
    assert (stopped.exit_code, stderr_lines(stopped)) == (130, [INTERRUPTED, summary(processed=2)])
    resumed = invoke("classify", data, "--model", FAKE, "--out", out, "--resume")
    assert stderr_lines(resumed) == [summary(processed=4, skipped=2)]
    assert out.read_bytes() == ref.read_bytes()

    out.unlink()
    assert _interrupt_classify(monkeypatch, data, "--model", FAKE, "--out", out).exit_code == 130
    _edit_keeping_size_and_mtime(data)
    refused = invoke("classify", data, "--model", FAKE, "--out", out, "--resume")
    assert stderr_lines(refused) == [
        f"error: --resume: input {data.resolve()} changed since the interrupted run" + AFRESH, summary()]


def test_ctrl_c_without_out_says_what_would_make_it_resumable(claims_file, monkeypatch):
    stopped = _interrupt_classify(monkeypatch, _write(claims_file, _jsonl(*[{"text": GOOD}] * 3)), "--model", FAKE)
    assert stopped.exit_code == 130
    assert stderr_lines(stopped) == ["interrupted; give --out to make a run that --resume can continue",
                                     summary(processed=2)]


def test_classify_rejects_blank_text_as_compare_does(tmp_path):
    path = _write(tmp_path / "claims.jsonl", _jsonl({"text": GOOD}, {"text": " \t "}))
    classified = invoke("classify", path, "--model", FAKE)
    compared = invoke("compare", path, "--model", FAKE, "--out", tmp_path / "out")
    line = f"error: {path}:2: 'text' is empty"
    assert stderr_lines(classified) == [line, summary(processed=1, failed=1)]
    assert [x for x in stderr_lines(compared) if x.startswith("error")] == [line]
    assert json.loads(classified.stdout.splitlines()[1]) == {"path": str(path), "error": "'text' is empty", "line": 2}


# ----------------------------------------------------------------- progress
@pytest.mark.parametrize("command, quiet", [("compare", False), ("compare", True), ("classify", False),
                                            ("classify", True)])
def test_progress_bar_unless_quiet(tmp_path, monkeypatch, command, quiet):
    import stancekit.runs.progress as progress

    shown = []
    real = progress.RunProgress.__init__

    def record(self, *args, enabled=True, **kwargs):
        shown.append(enabled)
        real(self, *args, enabled=enabled, **kwargs)

    monkeypatch.setattr(progress.RunProgress, "__init__", record)
    data = _write(tmp_path / "claims.jsonl", _jsonl({"text": GOOD}))
    result = invoke(command, data, "--model", FAKE, "--out", tmp_path / "out", *(["--quiet"] if quiet else []))
    assert result.exit_code == 0
    assert shown == [not quiet]
    assert stderr_lines(result)[-1] == summary(processed=1)  # stderr is not a terminal here: no bar


def test_ctrl_c_in_segment_exits_130_with_its_summary(tmp_path, monkeypatch):
    def interrupt(text):
        raise KeyboardInterrupt

    monkeypatch.setattr(sys.modules["stancekit.segment"], "segment", interrupt)
    result = invoke("segment", _write(tmp_path / "a.txt", GOOD.encode()), "--out", tmp_path / "seg.jsonl")
    assert (result.exit_code, stderr_lines(result)) == (130, ["interrupted", summary()])
    assert not (tmp_path / "seg.jsonl").exists()
