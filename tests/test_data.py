"""The label files: schema, label values, offsets against the article texts, and offline loading."""

from __future__ import annotations

import json

from stancekit import LABELS, load_articles, segment
from stancekit.data import SEEDS_DIR, TRAINING_CORPUS, load_labeled, load_seeds, load_training, read_jsonl

GOLD_FIELDS = {"doc_id", "source", "seg_id", "text", "start", "end", "is_claim", "stance", "speaker"}


def test_gold_records_follow_the_schema_and_match_the_segmenter():
    gold = read_jsonl(SEEDS_DIR / "labels.jsonl")
    articles = {a.doc_id: a for a in load_articles(SEEDS_DIR)}
    assert {r["doc_id"] for r in gold} == set(articles)
    for doc_id, article in articles.items():
        records = [r for r in gold if r["doc_id"] == doc_id]
        segments = segment(article.text)
        assert [(r["seg_id"], r["start"], r["end"]) for r in records] == [(s.seg_id, s.start, s.end) for s in segments]
        for r in records:
            assert set(r) == GOLD_FIELDS
            assert article.text[r["start"]:r["end"]] == r["text"]
            assert r["source"] == article.source
            if r["is_claim"]:
                assert r["stance"] in LABELS
            else:
                assert r["stance"] is None and r["speaker"] is None


def test_both_passes_and_the_adjudication_are_complete():
    pass1 = read_jsonl(SEEDS_DIR / "labeling" / "pass1.jsonl")
    pass2 = read_jsonl(SEEDS_DIR / "labeling" / "pass2.jsonl")
    assert len(pass1) == len(pass2) == len(read_jsonl(SEEDS_DIR / "labels.jsonl"))
    disagreements = {(a["doc_id"], a["seg_id"]) for a, b in zip(pass1, pass2)
                     if (a["is_claim"], a["stance"]) != (b["is_claim"], b["stance"])}
    adjudicated = {(r["doc_id"], r["seg_id"]) for r in read_jsonl(SEEDS_DIR / "labeling" / "adjudication.jsonl")}
    assert disagreements <= adjudicated
    assert all(r["reason"].strip() and "\n" not in r["reason"]
               for r in read_jsonl(SEEDS_DIR / "labeling" / "adjudication.jsonl"))


def test_training_corpus_is_large_balanced_and_loads_offline():
    corpus = load_training()
    assert corpus.num_rows >= 2000
    stances = list(corpus["stance"])
    for label in LABELS:
        assert stances.count(label) / len(stances) >= 0.25
    assert set(corpus.column_names) >= {"text", "stance", "register", "quoted", "speaker"}
    assert len(set(corpus["text"])) == corpus.num_rows


def normalized(texts) -> set[str]:
    """Texts lower-cased with whitespace collapsed, so copies that differ only in case or spacing match."""
    return {" ".join(text.lower().split()) for text in texts}


def test_no_seed_sentence_is_in_the_training_corpus():
    seed_texts = normalized(r["text"] for r in read_jsonl(SEEDS_DIR / "labels.jsonl") if len(r["text"].split()) > 4)
    corpus = normalized(json.loads(line)["text"] for line in TRAINING_CORPUS.open(encoding="utf-8"))
    assert not seed_texts & corpus


def test_supplement_is_disjoint_relabeled_and_adjudicated():
    folder = TRAINING_CORPUS.parent / "supplement"
    supplement = load_labeled(folder / "w8-w11.jsonl")
    texts = normalized(supplement["text"])
    corpus = normalized(load_training()["text"])
    seeds = normalized(r["text"] for r in read_jsonl(SEEDS_DIR / "labels.jsonl"))
    assert len(texts) == supplement.num_rows and not texts & (corpus | seeds)
    second = {r["id"]: r["stance"] for r in read_jsonl(folder / "pass2.jsonl")}
    assert set(second) == set(supplement["id"]) and set(second.values()) == set(LABELS)
    conventions = {r["id"]: r for r in read_jsonl(folder / "conventions-adjudication.jsonl")}
    assert all(conventions[i]["final"] == stance for i, stance in zip(supplement["id"], supplement["stance"])
               if i in conventions)
    writers = [conventions[i]["old"] if i in conventions else stance
               for i, stance in zip(supplement["id"], supplement["stance"])]
    disagreements = {i for i, stance in zip(supplement["id"], writers) if second[i] != stance}
    adjudicated = read_jsonl(folder / "adjudication.jsonl")
    assert disagreements == {r["id"] for r in adjudicated}
    assert all(r["stance"] in (r["writer"], r["pass2"]) and r["reason"].strip() for r in adjudicated)


def test_load_seeds_gives_claims_with_doc_ids():
    seeds = load_seeds()
    assert seeds.num_rows == 155
    assert set(seeds["stance"]) == set(LABELS)
    assert len(set(seeds["doc_id"])) == 4
