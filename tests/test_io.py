"""Loading articles: every format, folders with a manifest, and one clear line per bad input."""

from __future__ import annotations

import json

import pytest

from stancekit import InputError, iter_articles, load_articles


def _messages(paths, **kw):
    return [str(x) for x in iter_articles(paths, **kw) if isinstance(x, InputError)]


def test_seed_folder_uses_its_manifest(seeds_dir):
    articles = load_articles(seeds_dir)
    assert [a.doc_id for a in articles] == ["000_7bcf04fbd0e1d12a", "001_84b4644f8208eedf",
                                            "002_7b7d57f0a03279bb", "003_61281a686714acff"]
    assert articles[0].source == "New English Review"
    assert articles[0].date == "2026-01-16"
    assert articles[1].meta["genre"] == "explainer"


def test_txt_source_defaults_to_file_stem(tmp_path):
    (tmp_path / "metro_daily.txt").write_text("The county ended its 287(g) agreement.", encoding="utf-8")
    (article,) = load_articles(tmp_path / "metro_daily.txt")
    assert (article.doc_id, article.source) == ("metro_daily", "metro_daily")


def test_jsonl_records_and_defaults(tmp_path):
    path = tmp_path / "feed.jsonl"
    path.write_text(json.dumps({"text": "One.", "source": "Daily", "doc_id": "d1", "title": "T"}) + "\n\n"
                    + json.dumps({"text": "Two."}) + "\n", encoding="utf-8")
    first, second = load_articles(path)
    assert (first.doc_id, first.source, first.title) == ("d1", "Daily", "T")
    assert (second.doc_id, second.source) == ("feed:3", "feed")


def test_html_main_text_drops_navigation_and_scripts(tmp_path):
    body = " ".join(f"Sentence {i} about the sheriff and the county jail policy on detainers." for i in range(12))
    html = (f"<html><head><title>Jail policy</title><script>var x = 'tracking';</script></head><body>"
            f"<nav><a href='/'>Home</a> <a href='/news'>News</a> <a href='/subscribe'>Subscribe now</a></nav>"
            f"<article><h1>Jail policy</h1><p>{body}</p></article><footer>Copyright 2026 Example</footer>"
            f"</body></html>")
    (tmp_path / "page.html").write_text(html, encoding="utf-8")
    (article,) = load_articles(tmp_path / "page.html")
    assert "Sentence 3 about the sheriff" in article.text
    assert "tracking" not in article.text and "Subscribe now" not in article.text


def test_folder_scan_is_recursive_and_sorted(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "z.txt").write_text("Zed.", encoding="utf-8")
    (tmp_path / "a.txt").write_text("Aye.", encoding="utf-8")
    (tmp_path / "notes.md").write_text("not an article", encoding="utf-8")
    assert [a.doc_id for a in load_articles(tmp_path)] == ["a", "z"]


@pytest.mark.parametrize("name, content, message", [
    ("empty.txt", b"", "empty.txt: file is empty"),
    ("blank.txt", b"  \n\t \n", "blank.txt: file holds only whitespace"),
    ("blob.txt", b"\x00\x01\x02binary\x00", "blob.txt: binary file, not text"),
    ("doc.pdf", b"%PDF-1.4", "doc.pdf: unknown file type '.pdf'; expected .txt, .html, .htm or .jsonl"),
])
def test_bad_files_give_one_line_naming_the_file(tmp_path, name, content, message):
    (tmp_path / name).write_bytes(content)
    (msg,) = _messages([tmp_path / name])
    assert msg == f"{tmp_path / name}".replace(name, "") + message
    assert "\n" not in msg


def test_legacy_encoding_is_decoded_with_a_warning(tmp_path):
    path = tmp_path / "latin.txt"
    path.write_bytes("Le shérif a refusé la détention. Le maire a dit non à la coopération.".encode("cp1252"))
    (article,) = load_articles(path)
    assert "shérif" in article.text
    assert any("not UTF-8; decoded as" in w for w in article.meta["warnings"])


def test_oversized_file_names_the_limit_and_how_to_raise_it(tmp_path):
    path = tmp_path / "big.txt"
    path.write_text("word " * 300_000, encoding="utf-8")
    (msg,) = _messages([path], max_mb=1)
    assert msg == f"{path}: file is 1.4 MB, over the 1 MB limit; raise it with --max-mb or STANCEKIT_MAX_MB"


def test_jsonl_errors_name_the_line_and_keep_the_good_records(tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join([
        json.dumps({"text": "Good one."}),
        "{not json",
        json.dumps({"title": "no text"}),
        json.dumps({"text": 42}),
        json.dumps(["a", "list"]),
        json.dumps({"text": "Good two."}),
    ]), encoding="utf-8")
    items = list(iter_articles(path))
    assert [a.text for a in items if not isinstance(a, InputError)] == ["Good one.", "Good two."]
    assert [str(e) for e in items if isinstance(e, InputError)] == [
        f"{path}:2: malformed JSON: Expecting property name enclosed in double quotes (column 2)",
        f"{path}:3: record has no 'text' field",
        f"{path}:4: 'text' must be a string, got int",
        f"{path}:5: expected a JSON object, got list",
    ]


def test_missing_path_and_other_inputs_still_load(tmp_path):
    (tmp_path / "ok.txt").write_text("Fine.", encoding="utf-8")
    items = list(iter_articles([tmp_path / "missing.txt", tmp_path / "ok.txt"]))
    assert str(items[0]) == f"{tmp_path / 'missing.txt'}: no such file or folder"
    assert items[1].text == "Fine."


def test_non_english_text_is_flagged_but_loaded(tmp_path):
    path = tmp_path / "es.txt"
    path.write_text("El alguacil del condado dijo que la policía local no colaborará con los agentes federales "
                    "de inmigración porque la confianza de la comunidad es más importante que cualquier acuerdo "
                    "firmado con el gobierno.", encoding="utf-8")
    (article,) = load_articles(path)
    assert any("does not look like English" in w for w in article.meta["warnings"])


def test_a_glob_pattern_reads_its_matches_in_sorted_order(tmp_path):
    for name in ("b.jsonl", "a.jsonl", "c.txt"):
        (tmp_path / name).write_text(json.dumps({"text": f"Text of {name}."}) + "\n", encoding="utf-8")
    articles = load_articles(str(tmp_path / "*.jsonl"))
    assert [a.source for a in articles] == ["a", "b"]
    assert _messages(str(tmp_path / "*.html")) == [f"{tmp_path / '*.html'}: no files match this pattern"]
