"""Build seeds/train/corpus.jsonl from the writers' raw files, and check it against the seeds.

Validates every record, drops exact duplicates, measures each sentence's closest seed sentence
(cosine of MiniLM embeddings and of character 4-gram TF-IDF) and removes any sentence at or above
the thresholds, then writes the corpus and a report of the closest pairs (near_duplicates.md).

    python seeds/train/build_corpus.py
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

from stancekit import load_articles, segment  # noqa: E402
from stancekit.classifiers.baselines import SentenceEncoder  # noqa: E402

EMBEDDING_THRESHOLD = 0.85
CHAR_THRESHOLD = 0.60
FIELDS = {"id", "doc", "text", "stance", "register", "quoted", "speaker"}
REGISTERS = {"news", "opinion", "press_release", "legal", "explainer", "blog", "editorial", "transcript"}


def load_raw() -> list[dict]:
    records = []
    for path in sorted((HERE / "raw").glob("*.jsonl")):
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            record = json.loads(line)
            problems = [f for f in FIELDS if f not in record]
            if problems or record["stance"] not in ("favor", "against", "none") \
                    or record["register"] not in REGISTERS:
                raise SystemExit(f"{path}:{lineno}: bad record ({problems or record['stance']})")
            records.append({k: record[k] for k in ("id", "doc", "text", "stance", "register", "quoted", "speaker")})
    return records


def main() -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    records = load_raw()
    seen, unique = set(), []
    for r in records:
        key = " ".join(r["text"].lower().split())
        if key not in seen:
            seen.add(key)
            unique.append(r)
    seed_sentences = [s.text for a in load_articles(ROOT / "seeds") for s in segment(a.text)
                      if len(s.text.split()) >= 4]
    texts = [r["text"] for r in unique]
    encoder = SentenceEncoder()
    emb_sim = encoder.encode(texts) @ encoder.encode(seed_sentences).T
    tfidf = TfidfVectorizer(analyzer="char_wb", ngram_range=(4, 4)).fit(texts + seed_sentences)
    char_sim = (tfidf.transform(texts) @ tfidf.transform(seed_sentences).T).toarray()
    best_emb, best_char = emb_sim.max(axis=1), char_sim.max(axis=1)
    keep = (best_emb < EMBEDDING_THRESHOLD) & (best_char < CHAR_THRESHOLD)
    corpus = [r for r, k in zip(unique, keep) if k]
    # labels adjudicated against the guideline's Conventions replace the writers' labels
    final = {a["id"]: a["final"] for a in map(json.loads, open(HERE / "relabel" / "conventions-adjudication.jsonl"))}
    corpus = [{**r, "stance": final.get(r["id"], r["stance"])} for r in corpus]
    with open(HERE / "corpus.jsonl", "w", encoding="utf-8") as out:
        for r in corpus:
            out.write(json.dumps(r, ensure_ascii=False) + "\n")
    write_report(unique, seed_sentences, emb_sim, char_sim, keep, len(records))
    counts = Counter(r["stance"] for r in corpus)
    print(f"{len(corpus)} claims kept of {len(records)} written; labels {dict(counts)}")


def write_report(unique, seed_sentences, emb_sim, char_sim, keep, n_raw) -> None:
    lines = ["# Closest training sentences to the seed sentences", "",
             f"Thresholds: MiniLM cosine >= {EMBEDDING_THRESHOLD} or character 4-gram TF-IDF cosine >= "
             f"{CHAR_THRESHOLD} removes a training sentence. Written {n_raw}, after exact-duplicate removal "
             f"{len(unique)}, removed as near-duplicates of a seed sentence {int((~keep).sum())}.", "",
             "## The 15 closest pairs by embedding cosine", "", "| cosine | char | kept | training sentence | seed sentence |",
             "|---|---|---|---|---|"]
    best = emb_sim.max(axis=1)
    for i in np.argsort(-best)[:15]:
        j = int(emb_sim[i].argmax())
        lines.append(f"| {best[i]:.3f} | {char_sim[i, j]:.3f} | {'yes' if keep[i] else 'no'} | "
                     f"{_cell(unique[i]['text'])} | {_cell(seed_sentences[j])} |")
    lines += ["", "## The 5 closest pairs by character 4-grams", "", "| char | training sentence | seed sentence |",
              "|---|---|---|"]
    best_char = char_sim.max(axis=1)
    for i in np.argsort(-best_char)[:5]:
        j = int(char_sim[i].argmax())
        lines.append(f"| {best_char[i]:.3f} | {_cell(unique[i]['text'])} | {_cell(seed_sentences[j])} |")
    (HERE / "near_duplicates.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


if __name__ == "__main__":
    main()
