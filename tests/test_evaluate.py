"""Evaluation: the `evaluate` and `train` commands, article-level cross-validation and its fold hygiene,
and the README's "evaluate your own classifier" example."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from datasets import Dataset

from stancekit.cli import cli
from stancekit.evaluate import article_folds, cross_validate, evaluate_loso

ROOT = Path(__file__).resolve().parents[1]
DEVSET = ROOT.parent / "shared" / "devset" / "claims.jsonl"
LABELED = [
    {"doc_id": "a", "text": "Sheriffs should honor every ICE detainer.", "stance": "favor"},
    {"doc_id": "a", "text": "The council meets on Tuesday.", "stance": "none"},
    {"doc_id": "b", "text": "The city must refuse to help ICE.", "stance": "against"},
    {"doc_id": "b", "text": "Police should cooperate with federal agents.", "stance": "favor"},
    {"doc_id": "c", "text": "End the 287(g) agreement now.", "stance": "against"},
    {"doc_id": "c", "text": "The jail booked 40 people in March.", "stance": "none"},
]


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture
def labeled_file(tmp_path) -> Path:
    path = tmp_path / "gold.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in LABELED), encoding="utf-8")
    return path


# ------------------------------------------------------------------ evaluate
@pytest.mark.parametrize("classifier", ["majority", "tfidf", "tests.fake_classifier:KeywordClassifier"])
def test_evaluate_prints_the_metrics_and_writes_json_and_markdown(classifier, labeled_file, tmp_path):
    result = invoke("evaluate", "--classifier", classifier, "--data", labeled_file,
                    "--json", tmp_path / "m.json", "--markdown", tmp_path / "m.md")
    assert result.exit_code == 0, result.output
    assert "macro_f1" in result.stdout and "Confusion matrix" in result.stdout
    assert "95% intervals: bootstrap over claims" in result.stdout
    saved = json.loads((tmp_path / "m.json").read_text())
    assert saved["n"] == 6 and len(saved["confusion"]) == 3 and "ece" in saved["intervals"]
    assert (tmp_path / "m.md").read_text().startswith(f"**{classifier} on {labeled_file}: n = 6 claims")


def test_evaluate_on_the_seeds_by_default_warns_that_the_shipped_tfidf_saw_them():
    result = invoke("evaluate", "--classifier", "tfidf")
    assert result.exit_code == 0, result.output
    assert "n = 155 claims in 4 articles" in result.stdout
    assert "tfidf was trained on the seeds articles, so these figures are not held out" in result.stderr


@pytest.mark.skipif(not DEVSET.is_file(), reason="the shared dev set is not beside this checkout")
def test_the_shipped_model_trained_on_the_devset_in_its_second_stage_gets_the_warning(monkeypatch):
    from stancekit.cli import _warn_if_trained_on

    warnings = []
    monkeypatch.setattr("stancekit.cli._echo_warning", warnings.append)
    _warn_if_trained_on("transformer", "devset")
    assert warnings and warnings[0].startswith("transformer was trained on the devset articles")


@pytest.mark.skipif(not DEVSET.is_file(), reason="the shared dev set is not beside this checkout")
def test_evaluate_on_the_devset_resamples_articles():
    result = invoke("evaluate", "--classifier", "majority", "--data", "devset")
    assert result.exit_code == 0, result.output
    assert "n = 932 claims in 78 articles" in result.stdout
    assert "bootstrap over the 78 articles" in result.stdout


def test_missing_devset_is_one_line(monkeypatch, tmp_path):
    monkeypatch.setattr("stancekit.data.DEVSET_DIR", tmp_path / "nowhere")
    result = invoke("evaluate", "--classifier", "majority", "--data", "devset")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [f"error: {tmp_path / 'nowhere'}: the real-text dev set is not here "
                                          "(expected claims.jsonl; set STANCEKIT_DEVSET to its folder)"]


def test_cv_pools_every_claim_and_writes_the_predictions(labeled_file, tmp_path):
    out = tmp_path / "pred.jsonl"
    result = invoke("evaluate", "--classifier", "tfidf", "--data", labeled_file, "--cv", "3", "--predictions", out)
    assert result.exit_code == 0, result.output
    assert "3-fold article cross-validation" in result.stdout
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["text"] for r in rows] == [r["text"] for r in LABELED]
    assert set(rows[0]) == {"doc_id", "seg_id", "text", "gold", "pred", "probs", "fold"}
    assert {r["fold"] for r in rows} == {0, 1, 2}


def test_loso_is_one_fold_per_article(labeled_file):
    result = invoke("evaluate", "--classifier", "majority", "--data", labeled_file, "--loso")
    assert result.exit_code == 0, result.output
    assert "leave-one-article-out" in result.stdout and "3-fold article cross-validation" in result.stdout


def test_predictions_without_cv_is_a_usage_error(tmp_path, labeled_file):
    result = invoke("evaluate", "--classifier", "majority", "--data", labeled_file, "--predictions", tmp_path / "p")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == ["error: --predictions writes cross-validated predictions; add --cv or --loso"]


# ------------------------------------------------------------------ cross-validation
class _Recorder:
    """Remembers what each fold trained on; predicts favor for everything."""

    labels = ("favor", "against", "none")

    def __init__(self, log):
        self.log = log

    def fit(self, texts, labels):
        self.log.append(list(texts))
        return self

    def predict_proba(self, texts):
        self.log.append(("predict", list(texts)))
        return np.tile([0.8, 0.1, 0.1], (len(texts), 1))


def test_no_scored_article_is_in_its_folds_training_data():
    rng = np.random.default_rng(0)
    docs = [f"d{i:02d}" for i in range(20) for _ in range(3)]
    data = Dataset.from_dict({"doc_id": docs, "text": [f"{d} claim {i}" for i, d in enumerate(docs)],
                              "stance": list(rng.choice(["favor", "against", "none"], len(docs))),
                              "leaning": [("favor", "against", "balanced")[int(d[1:]) % 3] for d in docs]})
    augmentation = Dataset.from_dict({"doc_id": docs, "text": [f"{d} flip {i}" for i, d in enumerate(docs)],
                                      "stance": ["none"] * len(docs)})
    log = []
    result = cross_validate(lambda: _Recorder(log), data, k=5, training=Dataset.from_dict(
        {"text": ["corpus"], "stance": ["none"]}), augmentation=augmentation, n_boot=10)
    fits, predicted = log[0::2], log[1::2]
    assert len(fits) == 5
    for trained, (_, scored) in zip(fits, predicted):
        scored_docs = {t.split()[0] for t in scored}
        trained_docs = {t.split()[0] for t in trained if t != "corpus"}
        assert scored_docs and not scored_docs & trained_docs
        assert trained_docs == set(docs) - scored_docs and "corpus" in trained
    assert sorted(t for _, s in predicted for t in s) == sorted(data["text"])
    assert result.resampled == "articles" and result.n_articles == 20 and result.folds == 5


def test_folds_are_stratified_by_leaning_and_fixed_by_the_seed():
    docs = [f"d{i:02d}" for i in range(30)]
    leaning = [("favor", "against", "balanced")[i % 3] for i in range(30)]
    folds = article_folds(docs, 5, strata=leaning, seed=0)
    assert sorted(d for f in folds for d in f) == docs
    for fold in folds:
        assert sorted(leaning[docs.index(d)] for d in fold) == ["against", "against", "balanced", "balanced",
                                                                 "favor", "favor"]
    assert folds == article_folds(docs, 5, strata=leaning, seed=0)
    assert folds != article_folds(docs, 5, strata=leaning, seed=1)
    assert article_folds(docs[:3], 6) == [{"d00"}, {"d01"}, {"d02"}]


def test_loso_never_trains_on_the_held_out_article():
    log = []
    seeds = Dataset.from_dict({"doc_id": ["a", "a", "b", "c"], "text": ["a1", "a2", "b1", "c1"],
                               "stance": ["favor", "none", "against", "favor"]})
    result = evaluate_loso(lambda: _Recorder(log), seeds=seeds, training=Dataset.from_dict(
        {"text": ["k1", "k2"], "stance": ["favor", "none"]}), n_boot=10)
    assert log[0::2] == [["k1", "k2", "b1", "c1"], ["k1", "k2", "a1", "a2", "c1"], ["k1", "k2", "a1", "a2", "b1"]]
    assert result.n == 4 and result.metrics["accuracy"] == 0.5


# ------------------------------------------------------------------ train -> classify round trips
def _train_and_classify(tmp_path, config: dict, labeled_file) -> list[dict]:
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps({"use_corpus": False, "use_seeds": False,
                                       "extra_data": [str(labeled_file)], **config}))
    trained = invoke("train", "--config", config_path, "--out", tmp_path / "model")
    assert trained.exit_code == 0, trained.output
    claims = tmp_path / "claims.jsonl"
    claims.write_text("".join(json.dumps({"text": r["text"]}) + "\n" for r in LABELED))
    classified = invoke("classify", claims, "--model", tmp_path / "model")
    assert classified.exit_code == 0, classified.output
    rows = [json.loads(line) for line in classified.stdout.splitlines()]
    assert len(rows) == len(LABELED) and all(set(r["probs"]) == {"favor", "against", "none"} for r in rows)
    return rows


@pytest.mark.parametrize("classifier", ["tfidf", "majority"])
def test_train_then_classify_with_the_saved_folder(classifier, tmp_path, labeled_file):
    rows = _train_and_classify(tmp_path, {"classifier": classifier}, labeled_file)
    if classifier == "majority":
        assert {r["stance"] for r in rows} == {"favor"}  # first of the tied most frequent labels


def test_train_then_classify_a_tiny_transformer_in_two_stages(tmp_path, labeled_file, tiny_base):
    _train_and_classify(tmp_path, {"classifier": "transformer", "base": str(tiny_base), "epochs": 1,
                                   "calibration_fraction": 0.0, "train_layers": 1, "pooling": "mean",
                                   "then": [{"learning_rate": 1e-4}], "temperature_factor": 2.0}, labeled_file)
    saved = json.loads((tmp_path / "model" / "train_config.json").read_text())
    assert saved["then"] == [{"learning_rate": 1e-4}]
    assert json.loads((tmp_path / "model" / "stancekit.json").read_text())["temperature"] == 2.0  # 1.0, no calibration split


def test_unknown_key_in_a_later_stage_is_refused(tmp_path):
    config = tmp_path / "c.json"
    config.write_text(json.dumps({"then": [{"epoch": 2}]}))
    result = invoke("train", "--config", config, "--out", tmp_path / "m")
    assert result.exit_code == 2 and "unknown config keys ['epoch']" in result.stderr


@pytest.mark.slow
def test_train_then_classify_the_similarity_baseline(tmp_path, labeled_file):
    _train_and_classify(tmp_path, {"classifier": "similarity"}, labeled_file)


def test_unknown_classifier_in_the_config_is_one_line(tmp_path):
    config = tmp_path / "c.json"
    config.write_text(json.dumps({"classifier": "svm"}))
    result = invoke("train", "--config", config, "--out", tmp_path / "m")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == ["error: unknown classifier 'svm' in the training config; use one of "
                                          "transformer, tfidf, similarity, majority"]


# ------------------------------------------------------------------ the README's example
def test_readme_evaluate_your_own_classifier_example_runs(capsys):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Evaluate your own classifier", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    assert len(code.strip().splitlines()) == 5
    exec(compile(code, "README.md", "exec"), {})
    assert "n = 155 claims in 4 articles" in capsys.readouterr().out
