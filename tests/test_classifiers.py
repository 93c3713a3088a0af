"""Classifiers: the protocol, training and round trips on tiny models, calibration, and a few real predictions."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from stancekit import LABELS
from stancekit.classifiers import (
    EmbeddingSimilarityClassifier, MajorityClassifier, TfidfClassifier, TransformerClassifier, check_classifier,
    load_classifier,
)
from stancekit.classifiers.calibration import expected_calibration_error, fit_temperature
from stancekit.errors import ModelError
from stancekit.evaluate import evaluate, evaluate_loso, score

TEXTS = ["Sheriffs must honor every ICE detainer.", "The county should end its 287(g) agreement now.",
         "The jail booked 40 people in March."]
GOLD = ["favor", "against", "none"]


@pytest.mark.parametrize("pooling", ["cls", "mean"])
def test_transformer_overfits_three_examples_and_round_trips(tiny_base, tmp_path, pooling):
    clf = TransformerClassifier(base=tiny_base, epochs=100, learning_rate=1e-3, batch_size=3, pooling=pooling,
                                calibration_fraction=0.0, freeze_embeddings=False, backend="fp32", progress=False)
    clf.fit(TEXTS, GOLD)
    assert clf.predict(TEXTS) == GOLD
    proba = clf.predict_proba(TEXTS)
    assert proba.shape == (3, 3) and np.allclose(proba.sum(axis=1), 1)
    assert _saved_and_loaded(clf, tmp_path, proba).pooling == pooling


def _saved_and_loaded(clf, tmp_path, proba):
    """``clf`` saved and loaded again, after checking the copy gives the same labels and (fp16 weights)
    nearly the same probabilities on TEXTS."""
    clf.save(tmp_path / "model")
    again = TransformerClassifier.load(tmp_path / "model", backend="fp32")
    assert again.predict(TEXTS) == GOLD
    assert np.allclose(again.predict_proba(TEXTS), proba, atol=2e-3)  # weights are stored in fp16
    return again


def test_transformer_predictions_do_not_depend_on_input_order(tiny_base):
    clf = TransformerClassifier(base=tiny_base, epochs=1, calibration_fraction=0.0, backend="fp32", progress=False)
    clf.fit(TEXTS * 4, GOLD * 4)
    texts = TEXTS + ["A much longer sentence about a county sheriff, a jail and federal detainers in March."]
    forward, backward = clf.predict_proba(texts), clf.predict_proba(texts[::-1])[::-1]
    assert np.allclose(forward, backward, atol=1e-5)


def test_corrupted_model_folder_is_refused(tiny_base, tmp_path):
    clf = TransformerClassifier(base=tiny_base, epochs=1, calibration_fraction=0.0, progress=False).fit(TEXTS, GOLD)
    folder = clf.save(tmp_path / "model")
    with open(folder / "model.safetensors", "r+b") as handle:
        handle.seek(200)
        handle.write(b"\x00\x01\x02\x03")
    with pytest.raises(ModelError, match="checksum mismatch"):
        TransformerClassifier.load(folder)
    intact = clf.save(tmp_path / "intact")
    (intact / "stancekit.json").unlink()
    with pytest.raises(ModelError, match="stancekit.json: missing"):
        TransformerClassifier.load(intact)


def test_tfidf_overfits_and_round_trips_through_skops(tmp_path):
    clf = TfidfClassifier(C=100.0).fit(TEXTS * 3, GOLD * 3)
    assert clf.predict(TEXTS) == GOLD
    folder = clf.save(tmp_path / "model")
    assert TfidfClassifier.load(folder).predict(TEXTS) == GOLD
    path = folder / "tfidf.skops"
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(ModelError, match="unreadable or tampered"):
        TfidfClassifier.load(path)


def test_majority_predicts_the_most_frequent_label():
    clf = MajorityClassifier().fit(["a", "b", "c"], ["none", "none", "favor"])
    assert clf.predict(["anything", "else"]) == ["none", "none"]


def test_any_object_with_labels_and_predict_proba_is_a_classifier():
    class Reversed:
        labels = ("none", "against", "favor")

        def predict_proba(self, texts):
            return np.tile([0.1, 0.2, 0.7], (len(texts), 1))

    result = evaluate(Reversed(), _columns(TEXTS, GOLD), n_boot=20)
    assert result.metrics["accuracy"] == pytest.approx(1 / 3)
    with pytest.raises(TypeError, match="needs `labels`"):
        check_classifier(object())


def _columns(texts, gold):
    from datasets import Dataset

    return Dataset.from_dict({"text": texts, "stance": gold})


def test_unknown_model_names_are_clear():
    with pytest.raises(ModelError, match="unknown model 'nope'"):
        load_classifier("nope")
    with pytest.raises(ModelError, match="cannot import classifier module 'no_such_module'"):
        load_classifier("no_such_module:Thing")


def test_temperature_recovers_a_known_scale():
    rng = np.random.default_rng(0)
    true_logits = rng.normal(size=(4000, 3)) * 2
    y = np.array([rng.choice(3, p=np.exp(z) / np.exp(z).sum()) for z in true_logits])
    assert fit_temperature(true_logits * 3.0, y) == pytest.approx(3.0, rel=0.15)


def test_ece_is_zero_for_calibrated_and_large_for_overconfident():
    proba = np.array([[1.0, 0.0, 0.0]] * 10)
    assert expected_calibration_error(proba, np.zeros(10, dtype=int)) == pytest.approx(0.0)
    assert expected_calibration_error(proba, np.ones(10, dtype=int)) == pytest.approx(1.0)


def test_score_macro_f1_and_f_avg():
    proba = np.eye(3)[[0, 1, 2, 0]]
    metrics = score(["favor", "against", "none", "against"], proba)
    assert metrics["accuracy"] == 0.75
    assert metrics["favor_f1"] == pytest.approx(2 / 3) and metrics["against_f1"] == pytest.approx(2 / 3)
    assert metrics["f_avg"] == pytest.approx(2 / 3)
    assert metrics["macro_f1"] == pytest.approx((2 / 3 + 2 / 3 + 1) / 3)


class _Recorder:
    """Predicts favor for everything and records what it was trained and calibrated on."""

    labels = LABELS

    def __init__(self, log):
        self.log = log

    def fit(self, texts, labels):
        self.log.append(("fit", list(texts)))
        return self

    def calibrate(self, texts, labels):
        self.log.append(("calibrate", list(texts)))
        return self

    def predict_proba(self, texts):
        return np.tile([0.8, 0.1, 0.1], (len(texts), 1))


SEED_CLAIMS = {"doc_id": ["a", "a", "b", "c"], "text": ["a1", "a2", "b1", "c1"],
               "stance": ["favor", "none", "against", "favor"]}
CORPUS = {"text": ["k1", "k2"], "stance": ["favor", "none"]}


def test_loso_with_seed_calibration_trains_once_on_the_corpus():
    from datasets import Dataset

    log = []
    evaluate_loso(lambda: _Recorder(log), seeds=Dataset.from_dict(SEED_CLAIMS), training=Dataset.from_dict(CORPUS),
                  n_boot=10, calibrate_on_seeds=True)
    assert log == [("fit", ["k1", "k2"]), ("calibrate", ["b1", "c1"]), ("calibrate", ["a1", "a2", "c1"]),
                   ("calibrate", ["a1", "a2", "b1"])]


def test_transformer_calibrate_refits_the_temperature(tiny_base):
    clf = TransformerClassifier(base=tiny_base, epochs=1, calibration_fraction=0.0, progress=False).fit(TEXTS, GOLD)
    assert clf.temperature == 1.0
    assert clf.calibrate(TEXTS * 2, GOLD * 2).temperature != 1.0


@pytest.mark.slow
def test_similarity_baseline_needs_no_training():
    proba = EmbeddingSimilarityClassifier().predict_proba(TEXTS)
    assert proba.shape == (3, 3) and np.allclose(proba.sum(axis=1), 1)


#: Clear-cut seed claims per label. The shipped model was trained on all seed articles, so this checks
#: that the shipped artifact loads and predicts sensibly; accuracy is measured leave-one-source-out
#: in benchmarks/accuracy.py.
UNAMBIGUOUS = {
    "favor": ["And when your fellow law enforcement brothers and sisters are putting out a call for help, "
              "you don’t stand down.",
              "That in itself is outrageous.",
              "It’s all self-defeating, and sadly it’s lost on far too many people in leadership positions."],
    "against": ["That leaves state and local prosecution as the only legal remedy for crimes by federal agents.",
                "“If an ICE officer assaults a New Yorker, that officer must be arrested and prosecuted by state "
                "and local authorities,” she said in a statement posted to X.",
                "The increasing reliance on local law enforcement for immigration enforcement has raised concerns "
                "among civil rights advocates, who argue that it erodes trust between communities and police, "
                "and leads to racial profiling."],
    "none": ["ICE itself was established in 2003 as part of the Department of Homeland Security, consolidating "
             "investigative and enforcement functions previously handled by the Immigration and Naturalization "
             "Service (INS) and the U.S. Customs Service.",
             "From 1922 to 1935, the Montgomery County Board of Commissioners appointed one officer from the MCPD "
             "to serve as its head.",
             "Snyder said on Wednesday that she would rule on whether to issue a preliminary injunction soon."],
}


# The shipped model (top layer over a frozen encoder) misreads local prosecution of federal agents as
# favor and one favor claim as against (models/stance-minilm/README.md, Limitations): a known failure,
# kept strict so the test says so when a model gets these right again.
_KNOWN_MISSES = pytest.mark.xfail(strict=True, reason="shipped model misreads some unambiguous favor/against seed claims")


@pytest.mark.slow
@pytest.mark.parametrize("label", [pytest.param("favor", marks=_KNOWN_MISSES),
                                   pytest.param("against", marks=_KNOWN_MISSES), "none"])
def test_shipped_model_gets_unambiguous_seed_claims_right(label, shipped_model):
    assert shipped_model.predict(UNAMBIGUOUS[label]) == [label] * 3


@pytest.mark.slow
def test_shipped_model_has_its_card_and_calibration():
    from stancekit.classifiers.registry import DEFAULT_MODEL

    config = json.loads((DEFAULT_MODEL / "stancekit.json").read_text())
    assert config["labels"] == list(LABELS) and config["temperature"] > 0
    assert (DEFAULT_MODEL / "README.md").is_file()


# Every classifier that make_trainable builds, made small: (factory given the tiny base model).
TRAINABLE = {
    "majority": lambda base: MajorityClassifier(),
    "similarity": lambda base: EmbeddingSimilarityClassifier(),
    "tfidf": lambda base: TfidfClassifier(),
    "transformer": lambda base: TransformerClassifier(base=base, epochs=1, calibration_fraction=0.0,
                                                      backend="fp32", progress=False),
}


@pytest.mark.parametrize("name", sorted(TRAINABLE))
def test_every_trainable_classifier_follows_the_protocol(name, tiny_base):
    from stancekit.classifiers import make_trainable

    assert type(make_trainable(name)) is type(TRAINABLE[name](tiny_base))
    clf = TRAINABLE[name](tiny_base)
    # nothing learned or loaded in __init__: only settings (plain values), no fitted model objects
    plain = (type(None), bool, int, float, str, tuple, list, dict, os.PathLike)
    loaded = {key: type(value).__name__ for key, value in vars(clf).items() if not isinstance(value, plain)}
    assert loaded == {}, f"{name} builds model objects in __init__"
    assert clf.fit(TEXTS * 2, GOLD * 2) is clf
    assert sorted(clf.labels) == sorted(LABELS)
    proba = np.asarray(clf.predict_proba(TEXTS))
    assert proba.shape == (len(TEXTS), len(LABELS)) and np.allclose(proba.sum(axis=1), 1)
    assert clf.predict(TEXTS) == [clf.labels[i] for i in proba.argmax(axis=1)]  # columns follow clf.labels


@pytest.mark.parametrize("pooling", ["cls", "mean"])
def test_top_layers_from_cached_states_match_the_full_forward(tiny_base, pooling):
    import torch

    from stancekit.classifiers.transformer import _padded, _padded_states

    clf = TransformerClassifier(base=tiny_base, pooling=pooling, train_layers=1, progress=False)
    clf._build(tiny_base)
    clf.model_.eval()
    ids = clf.tokenizer_(TEXTS, truncation=True, max_length=clf.max_length)["input_ids"]
    states = clf._frozen_states(TEXTS, ids, 1)
    with torch.inference_mode():
        top = clf._top_logits(*_padded_states(states, "cpu"), 1)
        input_ids, mask = _padded(ids)
        full = clf.model_(input_ids=input_ids, attention_mask=mask).logits
    assert torch.allclose(top, full, atol=1e-5)


def test_train_layers_leaves_the_lower_layers_as_the_base(tiny_base):
    base = TransformerClassifier(base=tiny_base, progress=False)
    base._build(tiny_base)
    clf = TransformerClassifier(base=tiny_base, epochs=3, learning_rate=1e-2, train_layers=1, calibration_fraction=0.0,
                                progress=False).fit(TEXTS, GOLD)
    before, after = base.model_.state_dict(), clf.model_.state_dict()
    assert torch_equal(before["bert.encoder.layer.0.attention.self.query.weight"],
                       after["bert.encoder.layer.0.attention.self.query.weight"])
    assert not torch_equal(before["bert.encoder.layer.1.attention.self.query.weight"],
                           after["bert.encoder.layer.1.attention.self.query.weight"])


def test_warm_start_goes_on_from_the_fitted_weights(tiny_base):
    clf = TransformerClassifier(base=tiny_base, epochs=1, calibration_fraction=0.0, progress=False).fit(TEXTS, GOLD)
    first = {k: v.clone() for k, v in clf.model_.state_dict().items()}
    clf.warm_start = True
    clf.learning_rate = 0.0  # no update: the weights must be exactly the first stage's
    clf.fit(TEXTS, GOLD)
    assert all(torch_equal(first[k], v) for k, v in clf.model_.state_dict().items())


def torch_equal(a, b) -> bool:
    import torch

    return bool(torch.equal(a, b))


def test_contrast_groups_stay_in_one_batch_and_the_margin_counts_only_mixed_pairs():
    import torch

    from stancekit.classifiers.transformer import _contrast_margin, _group_index, _group_units, _training_batches

    groups = ["g1", None, "g1", "g2", "g1", None, "g2"]
    units = _group_units(groups)
    assert units == [[0, 2, 4], [1], [3, 6], [5]]
    batches = _training_batches([5, 3, 7, 2, 4, 6, 8], 3, np.random.default_rng(0), units)
    assert sorted(i for b in batches for i in b) == list(range(7))
    assert any(set(b) == {0, 2, 4} for b in batches) and any({3, 6} <= set(b) for b in batches)
    ids = torch.as_tensor(_group_index(units, 7))
    assert ids.tolist() == [0, -1, 0, 2, 0, -1, 2]
    y = torch.tensor([0, 1, 1, 2, 2, 0, 2])
    logits = torch.zeros(7, 3)
    assert _contrast_margin(logits, y, ids).item() == pytest.approx(1.0)  # all gaps 0: hinge = margin
    logits[[0, 2, 4], [0, 1, 2]] = 5.0  # each member of g1 sure of its own label
    # pairs of g1 now have gap 5; g2's members share a label, so they count for nothing
    assert _contrast_margin(logits, y, ids).item() == pytest.approx(0.0)


def test_cached_states_belong_to_the_frozen_weights_they_came_from(tiny_base):
    import torch

    first = TransformerClassifier(base=tiny_base, train_layers=1, progress=False)
    first._build(tiny_base)
    second = TransformerClassifier(base=tiny_base, train_layers=1, progress=False)
    second._build(tiny_base)
    assert first._frozen_fingerprint(1) == second._frozen_fingerprint(1)
    with torch.no_grad():
        second.model_.bert.encoder.layer[0].output.dense.weight.add_(0.5)
    assert first._frozen_fingerprint(1) != second._frozen_fingerprint(1)


def test_text_pair_input_trains_saves_loads_and_predicts_identically(tiny_base, tmp_path):
    from stancekit.schema import TARGET

    other = "Climate change is a serious concern."
    texts = [(t, TARGET) for t in TEXTS] + [("Sea levels rise faster every decade.", other)]
    clf = TransformerClassifier(base=tiny_base, epochs=100, learning_rate=1e-2, batch_size=4, train_layers=1,
                                calibration_fraction=0.0, backend="fp32", progress=False, pair_with=TARGET)
    clf.fit(texts, GOLD + ["favor"])
    assert clf.predict(TEXTS) == GOLD  # plain texts are read paired with pair_with
    proba = clf.predict_proba(TEXTS)
    assert np.array_equal(proba, clf.predict_proba([(t, TARGET) for t in TEXTS]))
    assert _saved_and_loaded(clf, tmp_path, proba).pair_with == TARGET


def test_text_pairs_truncate_the_text_only_and_never_share_cached_states(tiny_base):
    clf = TransformerClassifier(base=tiny_base, max_length=16, train_layers=1, progress=False, pair_with="Cooperate.")
    clf._build(tiny_base)
    long = "The county jail booked forty people in March and released most of them within a day."
    alone, paired = clf._encode(clf._inputs([(long, None), long]))
    assert len(alone) == len(paired) == 16
    assert clf.tokenizer_.decode(paired).endswith("[SEP] cooperate. [SEP]")  # the pair text is kept whole
    inputs = clf._inputs([long, (long, None)])
    states = clf._frozen_states(inputs, clf._encode(inputs), 1)
    assert states[0].shape[0] == states[1].shape[0] == 16 and not np.allclose(states[0], states[1])
