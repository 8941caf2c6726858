from __future__ import annotations

import re

import numpy as np
import pytest

from stancewire.models.baseline_linear import TfidfLogReg, mark_target
from stancewire.models.registry import available_models, load_labeler
from stancewire.models.schema import Article, Paragraph
from stancewire.training.baselines import fit_tfidf_logreg

STANCE = ("ceasefire",)


def corpus(n_copies: int) -> list[Article]:
    rows = [
        ("Rockets and artillery shelled the town again", ("military_action",), "none"),
        ("The envoy urged a truce and an end to the fighting", ("call_for_ceasefire",), "favor"),
        ("Officials rejected the truce proposal as a trap", ("diplomacy",), "against"),
        ("Aid trucks queued at the border crossing", ("humanitarian",), "none"),
    ]
    articles = []
    for i in range(n_copies):
        paragraphs = [Paragraph(f"{text} on day {i}.", types, {"ceasefire": s}) for text, types, s in rows]
        articles.append(Article(id=f"a{i}", paragraphs=paragraphs, targets=list(STANCE)))
    return articles


def test_mark_target_replaces_whole_word_mentions_only():
    assert mark_target("Hamas", "Hamas and Hamasville") == "xxmentionxx xxtargetxx and Hamasville"
    assert mark_target("ceasefire", "No truce.") == "xxabsentxx No truce."


def test_tfidf_logreg_learns_separable_data_and_round_trips(tmp_path):
    model = fit_tfidf_logreg(corpus(6), corpus(2))
    prediction = model.predict("The envoy urged a truce and an end to the fighting on day 9.", targets=["ceasefire"])
    assert prediction.types == ["call_for_ceasefire"]
    assert prediction.stance == {"ceasefire": "favor"}
    model.save_pretrained(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.json", "weights.safetensors"]
    loaded = load_labeler(tmp_path)
    assert isinstance(loaded, TfidfLogReg)
    texts = [p.text for p in corpus(1)[0].paragraphs]
    np.testing.assert_allclose(model.type_probabilities(texts), loaded.type_probabilities(texts), rtol=1e-5)
    np.testing.assert_allclose(
        model.stance_probabilities([("ceasefire", t) for t in texts]),
        loaded.stance_probabilities([("ceasefire", t) for t in texts]),
        rtol=1e-5,
    )


def test_registry_errors_name_what_is_known(tmp_path):
    assert "zero-shot-embed" in available_models()
    with pytest.raises(FileNotFoundError, match=re.escape("No model named 'nope' and no saved model folder at nope")):
        load_labeler("nope")
    (tmp_path / "config.json").write_text('{"kind": "mystery.v9"}')
    with pytest.raises(ValueError, match=re.escape("unknown model kind 'mystery.v9'")):
        load_labeler(tmp_path)


@pytest.mark.slow
def test_zero_shot_embed_prefers_the_matching_description():
    model = load_labeler("zero-shot-embed")
    scores = model.predict("The court issued an arrest warrant for the commander.").type_scores
    assert max(scores, key=scores.get) == "legal_action"


class ScriptedLLM:
    """A fake chat model answering from a script (valid, near-miss, invalid, failing)."""

    name, context_length = "scripted", 2048

    def __init__(self, answers):
        self.answers = list(answers)
        self.prompts = []

    def chat(self, messages, *, max_tokens=256, temperature=0.0, seed=0, json_schema=None):
        self.prompts.append((messages, json_schema))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def count_tokens(self, text):
        return len(text.split())


def test_zero_shot_llm_parses_strictly_and_never_crashes():
    from stancewire.models.baseline_llm import ZeroShotLLM

    llm = ScriptedLLM(
        [
            '{"types": ["military_action"], "stance": {"Russia": "against"}}',
            'Sure! {"types": ["Legal Action", "weather"], "stance": {"Russia": "FAVOR"}}',
            "I think this paragraph is about diplomacy.",
            TimeoutError("server timed out"),
        ]
    )
    model = ZeroShotLLM(llm=llm)
    texts = ["Shells fell on Kharkiv.", "A court in The Hague ruled.", "Talks went on.", "Nothing here."]
    predictions = model.predict(texts, targets=["Russia"])
    assert [p.types for p in predictions] == [["military_action"], ["legal_action"], [], []]
    assert [p.stance["Russia"] for p in predictions] == ["against", "favor", "none", "none"]
    assert model.calls == 4 and model.failures == 2
    messages, schema = llm.prompts[0]
    assert "Paragraph: Shells fell on Kharkiv." in messages[-1]["content"]
    assert schema["properties"]["stance"]["required"] == ["Russia"]
    assert schema["properties"]["types"]["maxItems"] == 4
    llm.answers.append('{"types": [], "stance": {"Russia": "favor"}}')
    assert model.predict(texts[0], targets=["Russia"]).stance["Russia"] == "favor"
    assert model.calls == 5  # each predict() asks again, so a timed repeat is a real call


class ScoringLLM:
    """A fake backend that scores answers: says yes to "military_action" when the text mentions shelling,
    favours a target named after "praised", and leans to "yes" on every question (even on empty text)."""

    name, context_length, can_score = "scoring", 2048, True

    def __init__(self):
        self.calls = []

    def first_token_logprobs(self, messages, tails, options):
        self.calls.append((messages, list(tails)))
        text = messages[-1]["content"]
        answers = []
        for tail, choices in zip(tails, options, strict=True):
            if choices == ["yes", "no"]:
                hit = tail == "military_action:" and "shell" in text
                content_free = text.startswith("Paragraph: N/A")
                yes, no = (0.0, -3.0) if hit else (-0.5, -1.0) if content_free else (-0.6, -0.9)
                answers.append({"yes": yes, "no": no})  # leans yes on every text
            else:
                target = tail.removeprefix("stance toward ").removesuffix(":")
                hit = f"praised {target}" in text
                if hit:
                    answers.append({"favor": 0.0, "against": -2.0, "none": -2.0})
                elif text.startswith("Paragraph: N/A"):
                    answers.append({"favor": -2.0, "against": 0.0, "none": 0.0})
                else:
                    answers.append({"favor": -2.5, "against": -0.3, "none": 0.0})
        return answers

    def chat(self, messages, **kwargs):
        raise AssertionError("a scoring backend is never asked to generate")

    def count_tokens(self, text):
        return len(text.split())


def test_zero_shot_llm_scores_answers_with_contextual_calibration():
    from stancewire.models.baseline_llm import ZeroShotLLM

    llm = ScoringLLM()
    model = ZeroShotLLM(llm=llm)
    texts = ["Artillery shelled the port.", "The minister praised Kyiv for its restraint."]
    predictions = model.predict(texts, targets=["Kyiv", "ceasefire"])
    # Every question leans "yes" by the same amount on the content-free paragraph, so only real evidence remains.
    assert predictions[0].types == ["military_action"] and predictions[1].types == []
    assert 0.9 < predictions[0].type_scores["military_action"] < 1.0
    assert 0.4 < predictions[1].type_scores["diplomacy"] < 0.5  # raw P(yes) 0.57, but less than on "N/A"
    assert predictions[1].stance["Kyiv"] == "favor" and predictions[0].stance["Kyiv"] == "none"
    assert abs(sum(predictions[1].stance_scores["Kyiv"].values()) - 1) < 1e-5  # scores are rounded
    messages, tails = llm.calls[0]
    assert messages[-1]["content"] == "Paragraph: Artillery shelled the port." and len(tails) == 9 + 2
    assert model.failures == 0


def test_zero_shot_llm_asks_each_content_free_question_once():
    from stancewire.models.baseline_llm import ZeroShotLLM

    llm = ScoringLLM()
    model = ZeroShotLLM(llm=llm)
    model.predict(["Artillery shelled the port."], targets=["Kyiv", "ceasefire"])
    model.predict(["Talks resumed in Doha."], targets=["Kyiv", "Hamas"])
    content_free = [tails for messages, tails in llm.calls if messages[-1]["content"] == "Paragraph: N/A"]
    # The first target list asks the labels and both targets; the second only the target not seen before.
    assert len(content_free[0]) == 9 + 2 and content_free[1] == ["stance toward Hamas:"]
    alone = ZeroShotLLM(llm=ScoringLLM()).predict(["Talks resumed in Doha."], targets=["Kyiv", "Hamas"])
    assert model.predict(["Talks resumed in Doha."], targets=["Kyiv", "Hamas"])[0] == alone[0]


def test_zero_shot_llm_scoring_failures_count_and_never_raise():
    from stancewire.models.baseline_llm import ZeroShotLLM

    class Broken(ScoringLLM):
        def first_token_logprobs(self, messages, tails, options):
            raise RuntimeError("context overflow")

    model = ZeroShotLLM(llm=Broken())
    prediction = model.predict("Shells fell.", targets=["Russia"])
    assert prediction.types == [] and prediction.stance["Russia"] == "none" and model.failures == 1


def test_zero_shot_embed_saves_its_config_and_loads_back(tmp_path):
    from stancewire.models.baseline_zeroshot import ZeroShotEmbed

    ZeroShotEmbed(encoder_name="minilm").save_pretrained(tmp_path)
    loaded = load_labeler(tmp_path)
    assert isinstance(loaded, ZeroShotEmbed)
    assert loaded.encoder_name == "minilm" and loaded.taxonomy.type_names[0] == "call_for_ceasefire"
