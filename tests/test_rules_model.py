"""The rules method's learned layer: naive Bayes over titles, where the keyword hints are silent."""

from __future__ import annotations

import copy
import dataclasses
import json
import subprocess
import sys
from pathlib import Path

from core.classify import RuleClassifier, classify_day, set_user_category
from core.rules_model import LexicalModel, features, load_labeled, shipped_model
from tests.conftest import fixture_path
from tests.paper_fixtures import DAY, fixture_listings

ROOT = Path(__file__).resolve().parent.parent
# No keyword hint matches this title; the shipped labeled titles know its words.
SILENT_TITLE = "Conformal Structured Prediction"
TRAIN = [
    ("Robust Policy Gradient for Bandits", "Reinforcement Learning"),
    ("Policy Gradient Methods Revisited", "Reinforcement Learning"),
    ("Image Segmentation with Sparse Labels", "Computer Vision"),
    ("Sparse Labels for Video Segmentation", "Computer Vision"),
    ("Scaling Chatbots Responsibly", "LLM"),
]


def test_the_shipped_labels_are_the_dev_set_and_load_from_the_package():
    shipped = (ROOT / "core" / "data" / "categories_labeled.json").read_text(encoding="utf-8")
    dev = fixture_path("categories_labeled_dev.json").read_text(encoding="utf-8")
    assert json.loads(shipped) == json.loads(dev)
    assert sum(shipped_model().documents.values()) == 134


def test_training_is_deterministic_whatever_the_order_or_hash_seed():
    titles = ["Sparse Policy Segmentation", "Gradient Labels", "Policy for Video Chatbots"]
    forward = LexicalModel(TRAIN)
    backward = LexicalModel(reversed(TRAIN))
    for title in titles:
        assert forward.guess(title) == backward.guess(title)
    # Sets iterate in a different order under another hash seed: no posterior may move,
    # not even in its last digit (the labeled titles, scored by the shipped model).
    script = (
        "from core.rules_model import shipped_model, load_labeled\n"
        "from importlib import resources\n"
        "text = resources.files('core').joinpath('data', 'categories_labeled.json')\n"
        "for title, _ in load_labeled(text.read_text(encoding='utf-8')):\n"
        "    g = shipped_model().guess(title)\n"
        "    print(g.category, [repr(p) for p in g.posteriors.values()])\n"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script],
            cwd=ROOT,
            env={"PYTHONHASHSEED": seed, "PATH": ""},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(outputs) == 1 and outputs.pop().count("\n") == 134


def test_it_learns_from_its_examples_and_chooses_only_among_what_it_was_asked():
    model = LexicalModel(TRAIN)
    guess = model.guess("A Policy Gradient Study")
    assert guess is not None and guess.category == "Reinforcement Learning"
    assert guess.probability > 0.5 and guess.known >= 2
    among = model.guess("A Policy Gradient Study", among=["Computer Vision", "LLM"])
    assert among is not None and among.category in ("Computer Vision", "LLM")
    # A category it never saw labeled is never its answer.
    assert model.guess("A Policy Gradient Study", among=["Robotics"]) is None


def test_an_empty_or_odd_title_gets_no_opinion_and_the_fallback(config):
    model = LexicalModel(TRAIN)
    rules = RuleClassifier(config.taxonomy)
    odd = ["", "   ", "\x00\x1b[31m\x07", "한국어 제목만", "On the Nature of Things", "x" * 100_000]
    for title in odd:
        assert model.guess(title) is None, repr(title[:20])
        verdict = rules.classify(title)
        assert (verdict.category, verdict.confidence, verdict.method) == ("Other", 0.2, "rules")
    assert LexicalModel([]).guess("Policy Gradient") is None
    assert features("Vision-Language Models' Biases") == {
        "vision",
        "language",
        "model",
        "biase",
        "vision language",
        "language model",
        "model biase",
    }


def test_it_fills_in_where_no_hint_matches_less_sure_than_any_hint(config):
    keywords = RuleClassifier(config.taxonomy, learned=None)
    assert keywords.classify(SILENT_TITLE).category == "Other"
    verdict = RuleClassifier(config.taxonomy).classify(SILENT_TITLE)
    assert verdict.category == "Model training technique" and verdict.method == "rules"
    assert 0.2 < verdict.confidence < 0.35


def test_it_breaks_exact_ties_among_the_tied_categories_only(config):
    # "policy" (Reinforcement Learning) and "segmentation" (Computer Vision) score 3 each;
    # the hints' own tie-break gives Reinforcement Learning (priority 3 over 1).
    title = "Policy Segmentation"
    keywords = RuleClassifier(config.taxonomy, learned=None)
    assert keywords.scores(title) == {"Reinforcement Learning": 3, "Computer Vision": 3}
    assert keywords.classify(title).category == "Reinforcement Learning"
    vision = LexicalModel([("Segmentation of Policy Documents", "Computer Vision"), *TRAIN])
    verdict = RuleClassifier(config.taxonomy, vision).classify(title)
    assert (verdict.category, verdict.confidence) == ("Computer Vision", 0.35)
    # A model that prefers a third category still chooses between the tied two.
    llm = LexicalModel([*[("Policy Segmentation for Chatbots", "LLM")] * 5, *TRAIN])
    assert RuleClassifier(config.taxonomy, llm).classify(title).category in (
        "Reinforcement Learning",
        "Computer Vision",
    )


def test_a_leading_hint_is_never_overridden_even_outside_the_labels_categories(config):
    # The labels never use Robotics; a title whose hints lead to it stays Robotics, though
    # the layer alone would take the runner-up (a category the labels use).
    title = "Quadruped Locomotion with a Learned Policy"
    keywords = RuleClassifier(config.taxonomy, learned=None)
    assert keywords.scores(title) == {"Robotics": 6, "Reinforcement Learning": 3}
    assert RuleClassifier(config.taxonomy).classify(title).category == "Robotics"
    among = ["Robotics", "Reinforcement Learning"]
    guess = shipped_model().guess(title, among=among)
    assert guess is not None and guess.category == "Reinforcement Learning"
    assert "Robotics" not in shipped_model().categories


def test_a_taxonomy_without_the_labels_names_keeps_its_fallback(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(
        '[taxonomy]\nversion = "mine"\nfallback = "Other"\n'
        '[[taxonomy.categories]]\nname = "Graphs"\nemoji = "🕸"\ndescription = "Graphs."\n'
        'keywords = ["graph neural network*"]\n'
        '[[taxonomy.categories]]\nname = "Other"\nemoji = "🧩"\ndescription = "Rest."\n',
        encoding="utf-8",
    )
    from core.config import load_config

    rules = RuleClassifier(load_config(path).taxonomy)
    assert rules.classify(SILENT_TITLE).category == "Other"
    assert rules.classify("Graph Neural Networks at Scale").category == "Graphs"


def test_load_labeled_reads_title_and_category():
    text = json.dumps([{"title": "T", "category": "LLM", "url": "u"}])
    assert load_labeled(text) == [("T", "LLM")]


async def test_the_layer_fills_stored_papers_but_never_overrides_a_users_category(store, config):
    (source, listed), *_ = fixture_listings(2)
    silent = []
    for item in listed[:2]:
        paper = dataclasses.replace(
            copy.deepcopy(item.paper),
            title=SILENT_TITLE,
            abstract="",
            categories=[],
            primary_category=None,
        )
        silent.append(dataclasses.replace(item, paper=paper))
    store.merge_listed(silent, source)
    ids = [item.paper.id for item in silent]
    set_user_category(store, config, ids[0], "Robotics")
    for force in (False, True):
        stats = await classify_day(store, config, DAY, method="rules", force=force)
        assert stats.kept_user == 1
    stored = store.classifications(ids)
    assert (stored[ids[0]].category, stored[ids[0]].method) == ("Robotics", "user")
    assert (stored[ids[1]].category, stored[ids[1]].method) == ("Model training technique", "rules")
