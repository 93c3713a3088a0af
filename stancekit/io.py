"""Load articles from .txt, .html, .jsonl files and folders of them.

Every input yields either an :class:`Article` or an :class:`InputError`, so one bad file never
costs the results of the others. A folder holding ``metadata.json`` is a corpus: the manifest
lists its documents and their source, title, date and genre.
"""

from __future__ import annotations

import glob
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

from . import errors
from .errors import InputError, UsageError
from .schema import Article

TEXT_SUFFIXES = {".txt"}
HTML_SUFFIXES = {".html", ".htm"}
JSONL_SUFFIXES = {".jsonl"}
KNOWN_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | JSONL_SUFFIXES
MANIFEST = "metadata.json"

#: Largest file read by default; set STANCEKIT_MAX_MB or pass ``max_mb`` to raise it.
DEFAULT_MAX_MB = float(os.environ.get("STANCEKIT_MAX_MB", "20"))

_ENGLISH_WORDS = frozenset(
    "the of and to a in is that for it on was with as be by are this at from or have an not "
    "they which but has his her their will said who were would been more".split()
)
_WORD = re.compile(r"[^\W\d_]+")
_GLOB = re.compile(r"[*?[]")


class InputFile(NamedTuple):
    """One file to read, with its corpus manifest entry (empty when there is none)."""

    path: Path
    meta: dict


def iter_articles(paths: Iterable[str | os.PathLike] | str | os.PathLike, *,
                  max_mb: float | None = None) -> Iterator[Article | InputError]:
    """Yield every article under ``paths`` in a stable order, or an InputError for what can't be read."""
    return read_inputs(iter_inputs(paths), max_mb=max_mb)


def iter_inputs(paths: Iterable[str | os.PathLike] | str | os.PathLike) -> Iterator[InputFile | InputError]:
    """The files under ``paths`` (files, folders, glob patterns) in reading order, not yet read,
    or an InputError for a bad path. Raises UsageError when ``paths`` hold nothing to read at all."""
    paths = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    found = False
    for item in _iter_paths(paths):
        found = True
        yield item
    if not found:
        raise UsageError(errors.NO_ARTICLES.format(paths=", ".join(str(p) for p in paths) or "(no paths)"))


def _iter_paths(paths: list) -> Iterator[InputFile | InputError]:
    for raw in paths:
        path = Path(raw)
        if not path.exists() and _GLOB.search(str(raw)):
            matches = sorted(Path(p) for p in glob.glob(str(raw), recursive=True))
            yield from _iter_paths(matches) if matches else [InputError(path, "no files match this pattern")]
        elif path.is_dir():
            yield from _iter_folder(path)
        elif not path.exists():
            yield InputError(path, errors.NO_SUCH_PATH)
        elif path.suffix.lower() not in KNOWN_SUFFIXES:
            yield InputError(path, errors.UNKNOWN_FILE_TYPE.format(suffix=path.suffix or "(none)",
                                                                   expected="expected .txt, .html, .htm or .jsonl"))
        else:
            yield InputFile(path, {})


def read_inputs(items: Iterable[InputFile | InputError], *,
                max_mb: float | None = None) -> Iterator[Article | InputError]:
    """The articles of input files in order (one per line of a .jsonl file), or InputErrors."""
    limit = DEFAULT_MAX_MB if max_mb is None else max_mb
    for item in items:
        if isinstance(item, InputError):
            yield item
        else:
            yield from _iter_file(item.path, limit, item.meta)


def load_articles(paths: Iterable[str | os.PathLike] | str | os.PathLike, *,
                  max_mb: float | None = None) -> list[Article]:
    """Read all articles under ``paths``; raise the first InputError met."""
    articles = []
    for item in iter_articles(paths, max_mb=max_mb):
        if isinstance(item, InputError):
            raise item
        articles.append(item)
    return articles


def split_inputs(items: Iterable[Article | InputError], on_error: Callable[[str], None] = lambda msg: None,
                 on_warning: Callable[[str], None] = lambda msg: None) -> tuple[list[Article], list[InputError]]:
    """(articles, input errors) of what ``read_inputs`` yielded, telling ``on_error`` about each error
    and ``on_warning`` about each article's warnings (see warning_lines)."""
    articles, errors = [], []
    for item in items:
        if isinstance(item, InputError):
            on_error(str(item))
            errors.append(item)
        else:
            for line in warning_lines(item):
                on_warning(line)
            articles.append(item)
    return articles, errors


def warning_lines(article: Article) -> list[str]:
    """The article's warnings as ``path: note`` lines (``path:line: note`` for a JSONL record)."""
    line = article.meta.get("line")
    where = f"{article.path}:{line}" if line is not None else str(article.path)
    return [f"{where}: {note}" for note in article.meta.get("warnings", [])]


def read_text(path: str | os.PathLike, *, max_mb: float | None = None) -> tuple[str, list[str]]:
    """Decode a text file, returning the text and warnings (legacy encoding detected)."""
    path = Path(path)
    limit = DEFAULT_MAX_MB if max_mb is None else max_mb
    size = path.stat().st_size
    if size > limit * 1024 * 1024:
        raise InputError(path, f"file is {size / 1024 / 1024:.1f} MB, over the {limit:g} MB limit; "
                               "raise it with --max-mb or STANCEKIT_MAX_MB")
    data = path.read_bytes()
    if not data.strip():
        raise InputError(path, "file is empty" if not data else "file holds only whitespace")
    return _decode(path, data)


def _decode(path: Path, data: bytes) -> tuple[str, list[str]]:
    for bom, codec in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            return data.decode(codec, errors="replace"), []
    if b"\x00" in data[:8192]:
        raise InputError(path, "binary file, not text")
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
        # Encodings that read equally well are ranked arbitrarily (Latin-1 text can come out as
        # cp1250 or even big5); Windows-1252 is the usual legacy encoding of English pages, so it
        # wins whenever it reads no worse.
        western = from_bytes(data, cp_isolation=["cp1252"]).best()
        if western is not None and (best is None or western.chaos <= best.chaos):
            best = western
        if best is None or best.encoding is None:
            raise InputError(path, f"not UTF-8 text (invalid byte at offset {exc.start}) "
                                   "and no other encoding fits; convert it to UTF-8") from None
        return str(best), [f"not UTF-8; decoded as {best.encoding}"]


def looks_english(text: str) -> bool:
    """True when enough common English words appear; short texts get the benefit of the doubt."""
    words = [w.lower() for w in _WORD.findall(text[:20000])]
    if len(words) < 20:
        return True
    return sum(w in _ENGLISH_WORDS for w in words) / len(words) >= 0.08


def _iter_folder(folder: Path) -> Iterator[InputFile | InputError]:
    manifest = folder / MANIFEST
    if manifest.is_file():
        yield from _iter_manifest(manifest)
        return
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.suffix.lower() in KNOWN_SUFFIXES and not any(part.startswith(".") for part in path.parts):
            yield InputFile(path, {})


def _iter_manifest(manifest: Path) -> Iterator[InputFile | InputError]:
    try:
        entries = json.loads(manifest.read_text(encoding="utf-8"))
        if not isinstance(entries, list):
            raise ValueError("expected a JSON list of documents")
    except (ValueError, UnicodeDecodeError) as exc:
        yield InputError(manifest, f"unreadable corpus manifest: {exc}")
        return
    except RecursionError:
        yield InputError(manifest, "unreadable corpus manifest: nested too deeply")
        return
    except OSError as exc:
        yield InputError(manifest, errors.CANNOT_READ.format(reason=exc.strerror or exc))
        return
    for i, entry in enumerate(entries, 1):
        if not isinstance(entry, dict) or "file" not in entry:
            yield InputError(manifest, f"entry {i} has no 'file' field")
            continue
        if not isinstance(entry["file"], str) or not entry["file"].strip():
            yield InputError(manifest, f"entry {i}: 'file' must be a file name, got {entry['file']!r}")
            continue
        yield InputFile(manifest.parent / entry["file"], entry)


def _iter_file(path: Path, limit: float, meta: dict) -> Iterator[Article | InputError]:
    suffix = path.suffix.lower()
    try:
        text, warnings = read_text(path, max_mb=limit)
    except InputError as err:
        yield err
        return
    except FileNotFoundError:
        yield InputError(path, errors.NO_SUCH_PATH)
        return
    except OSError as exc:
        yield InputError(path, errors.CANNOT_READ.format(reason=exc.strerror or exc))
        return
    if suffix in JSONL_SUFFIXES:
        yield from _iter_jsonl(path, text, warnings)
        return
    title = date = None
    if suffix in HTML_SUFFIXES:
        text, title, date = _extract_html(text)
        if not text.strip():
            yield InputError(path, "no article text found in the HTML")
            return
    yield _make_article(path, text, warnings, {"doc_id": path.stem, "source": path.stem,
                                                "title": title, "date": date, **meta})


def jsonl_lines(text: str) -> Iterator[tuple[int, str]]:
    """(line number, line) for the non-blank lines of JSON Lines text.

    Lines end at "\n" only: ``str.splitlines`` would also cut at U+2028, U+0085 and other
    characters that JSON allows unescaped inside strings.
    """
    for lineno, line in enumerate(text.split("\n"), 1):
        if line.strip():
            yield lineno, line


def read_jsonl_lines(path: str | os.PathLike, lines: Iterable[tuple[int, str]]) -> Iterator[tuple[int, dict | InputError]]:
    """(line number, record) for numbered JSON Lines lines (see jsonl_lines), where the record is the
    line's JSON object, or an InputError naming ``path:line`` when the line is not one.

    The one JSONL parser: articles (read_inputs), claims to classify (``classify``) and labeled data
    (``data.read_jsonl``) are all read through it.

    >>> [(n, type(r).__name__) for n, r in read_jsonl_lines("x.jsonl", jsonl_lines('{"text": "a"}\\n[1]'))]
    [(1, 'dict'), (2, 'InputError')]
    """
    for lineno, line in lines:
        try:
            record = json.loads(line)
        except ValueError as exc:
            yield lineno, InputError(path, errors.MALFORMED_JSON.format(reason=exc.msg, column=exc.colno), lineno)
            continue
        except RecursionError:
            yield lineno, InputError(path, errors.NESTED_TOO_DEEPLY, lineno)
            continue
        if not isinstance(record, dict):
            yield lineno, InputError(path, errors.NOT_AN_OBJECT.format(kind=type(record).__name__), lineno)
        else:
            yield lineno, record


def text_problem(record: dict) -> str | None:
    """What makes a record's ``text`` field unusable (missing, not a string, blank), or None when it is usable."""
    if "text" not in record:
        return errors.NO_TEXT_FIELD
    if not isinstance(record["text"], str):
        return errors.TEXT_NOT_A_STRING.format(kind=type(record["text"]).__name__)
    if not record["text"].strip():
        return errors.TEXT_EMPTY
    return None


def _iter_jsonl(path: Path, text: str, warnings: list[str]) -> Iterator[Article | InputError]:
    for lineno, record in read_jsonl_lines(path, jsonl_lines(text)):
        if isinstance(record, InputError):
            yield record
        elif problem := text_problem(record):
            yield InputError(path, problem, lineno)
        else:
            meta = {"doc_id": f"{path.stem}:{lineno}", "source": path.stem, **record}
            yield _make_article(path, record["text"], warnings, meta, lineno)
            warnings = []  # a note about the whole file (its encoding) goes with its first article only


def _make_article(path: Path, text: str, warnings: list[str], meta: dict,
                  lineno: int | None = None) -> Article:
    notes = list(warnings)
    if not looks_english(text):
        notes.append("text does not look like English; stance labels may be unreliable")
    extra = {k: v for k, v in meta.items()
             if k not in {"doc_id", "source", "title", "date", "text", "file"}}
    extra["warnings"] = notes
    if lineno is not None:
        extra["line"] = lineno
    return Article(doc_id=str(meta["doc_id"]), text=text, source=str(meta.get("source") or path.stem),
                   title=meta.get("title"), date=meta.get("date"), path=str(path), meta=extra)


def _extract_html(html: str) -> tuple[str, str | None, str | None]:
    """Main text, title and date of a web page; navigation, scripts and comments dropped."""
    import trafilatura

    doc = trafilatura.bare_extraction(html, include_comments=False, include_tables=False, with_metadata=True)
    if doc is not None and not isinstance(doc, dict):
        doc = doc.as_dict()
    if doc and (doc.get("text") or "").strip():
        return doc["text"], doc.get("title"), doc.get("date")
    return trafilatura.html2txt(html) or "", None, None
