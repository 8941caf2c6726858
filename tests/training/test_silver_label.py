"""Silver labelling with a scripted fake LLM: near misses, invalid answers, retries, timeouts, confidence, cache."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest

from stancewire.models.llm.base import LLMConnectionError, LLMError
from stancewire.models.taxonomy import DEFAULT_TAXONOMY
from stancewire.training.silver_answer import answer_spans, validate_answer
from stancewire.training.silver_cache import SilverCache
from stancewire.training.silver_confidence import TokenAnswer
from stancewire.training.silver_label import SilverLabeler
from stancewire.training.silver_prompt import Example, FewShotSelector, SilverPrompt
from stancewire.training.silver_run import SilverConfig, compare_with_classifier, run_silver

TARGETS = ["Israel", "ceasefire"]
VALID = '{"types": ["diplomacy"], "stance": {"Israel": "favor", "ceasefire": "none"}}'
NEAR_MISS = '{"types": ["Call for truce", "Military Action"], "stance": {"Israel": " Against", "ceasefire": "none"}}'
INVALID = "Sure! The paragraph is about diplomacy."
UNKNOWN_LABEL = '{"types": ["war"], "stance": {"Israel": "none", "ceasefire": "none"}}'


class ScriptedLLM:
    """Answers from a script, in order; an exception in the script is raised. Records every call."""

    name = "scripted"
    context_length = 4096

    def __init__(self, script):
        self.script = list(script)
        self.calls = []

    def chat(self, messages, *, max_tokens=256, temperature=0.0, seed=0, json_schema=None):
        self.calls.append({"messages": messages, "temperature": temperature, "seed": seed, "schema": json_schema})
        if not self.script:
            raise AssertionError("the scripted LLM was called more often than scripted")
        answer = self.script.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def count_tokens(self, text):
        return len(text.split())


class TokenLLM(ScriptedLLM):
    """Also offers ``chat_logprobs``: each answer is a list of (token, logprob) pairs."""

    def chat_logprobs(self, messages, *, max_tokens=256, temperature=0.0, seed=0, json_schema=None):
        self.calls.append({"messages": messages, "temperature": temperature, "seed": seed})
        pairs = self.script.pop(0)
        return TokenAnswer("".join(t for t, _ in pairs), [t for t, _ in pairs], [lp for _, lp in pairs])


def labeler(llm, **options) -> SilverLabeler:
    return SilverLabeler(llm, SilverPrompt(shots=0), **options)


def test_near_miss_labels_are_mapped_to_valid_labels_and_recorded():
    label = labeler(ScriptedLLM([NEAR_MISS] * 3)).label("Troops crossed the border.", TARGETS)
    assert label.status == "ok"
    assert label.types == ["call_for_ceasefire", "military_action"]
    assert label.stance == {"Israel": "against", "ceasefire": "none"}
    assert label.mapped == {
        "Call for truce": "call_for_ceasefire",
        "Military Action": "military_action",
        " Against": "against",
    }


def test_invalid_answer_is_retried_once_with_its_problems_then_recorded_as_failed():
    llm = ScriptedLLM([UNKNOWN_LABEL, INVALID, INVALID, INVALID])
    label = labeler(llm, k=2).label("Talks resumed.", TARGETS)
    assert label.status == "failed" and label.confidence is None and label.calls == 4
    assert label.problems == [
        "unknown type label 'war' (valid labels: " + ", ".join(DEFAULT_TAXONOMY.type_names) + ")",
        "the answer is not one JSON object with a 'types' list (after a retry)",
    ]
    retry = llm.calls[1]["messages"]
    assert retry[-2] == {"role": "assistant", "content": UNKNOWN_LABEL}
    assert retry[-1]["content"].startswith("That answer is not valid: unknown type label 'war'")
    assert llm.calls[1]["seed"] == llm.calls[0]["seed"] + 1


def test_a_retry_that_succeeds_counts_and_a_failure_never_stops_the_batch(tmp_path, jsonl, make_article):
    source = jsonl(tmp_path / "in.jsonl", [make_article("a1", ["First one.", "Second one.", "Third one."])])
    # paragraph 1: invalid then valid (x2 samples); paragraph 2: invalid four times; paragraph 3: valid.
    llm = ScriptedLLM([INVALID, VALID, VALID, INVALID, INVALID, INVALID, INVALID, VALID, VALID])
    report = run_silver(source, tmp_path / "silver.jsonl", SilverConfig(shots=0, k=2), llm=llm)
    assert (report.labelled, report.failed, report.llm_calls) == (2, 1, 9)
    record = json.loads((tmp_path / "silver.jsonl").read_text())
    assert [p["silver"]["index"] for p in record["paragraphs"]] == [0, 2]
    failure = json.loads((tmp_path / "silver.failed.jsonl").read_text())
    assert (failure["id"], failure["index"], failure["text"]) == ("a1", 1, "Second one.")
    assert failure["problems"] == ["the answer is not one JSON object with a 'types' list (after a retry)"]


def test_timeouts_are_retried_not_cached_and_a_dead_server_stops_the_run(tmp_path):
    timeouts = [TimeoutError("x"), TimeoutError("y"), TimeoutError("z"), TimeoutError("w")]
    llm = ScriptedLLM([TimeoutError("read timed out"), VALID, VALID, *timeouts])
    run = labeler(llm, k=2, cache=SilverCache(tmp_path / "c.jsonl"))
    ok = run.label("Talks resumed.", TARGETS)
    assert ok.status == "ok" and ok.calls == 3
    failed = run.label("Rockets fell.", TARGETS)
    assert failed.status == "failed" and failed.transient
    assert failed.problems == [
        "model unreachable: TimeoutError: x",
        "model unreachable: TimeoutError: y (after a retry)",
        "model unreachable: TimeoutError: z",
        "model unreachable: TimeoutError: w (after a retry)",
    ]
    assert len(SilverCache(tmp_path / "c.jsonl")) == 1  # only the success is kept
    dead = labeler(ScriptedLLM([LLMConnectionError("down")] * 8), k=2, max_consecutive_errors=2)
    dead.label("One.", TARGETS)
    with pytest.raises(LLMError, match=re.escape("scripted was unreachable for 2 paragraphs in a row")):
        dead.label("Two.", TARGETS)


def test_agreement_confidence_is_the_share_of_samples_agreeing():
    answers = [
        '{"types": ["diplomacy"], "stance": {"Israel": "favor", "ceasefire": "none"}}',
        '{"types": ["diplomacy", "accusation"], "stance": {"Israel": "against", "ceasefire": "none"}}',
        '{"types": ["diplomacy"], "stance": {"Israel": "favor", "ceasefire": "none"}}',
        INVALID,
        INVALID,
    ]
    llm = ScriptedLLM(answers)
    label = labeler(llm, k=4, temperature=0.9).label("Talks resumed.", TARGETS)
    assert label.types == ["diplomacy"] and label.stance == {"Israel": "favor", "ceasefire": "none"}
    assert label.label_confidence["types"]["diplomacy"] == 0.75  # 3 of 4 samples (the 4th failed)
    assert label.label_confidence["types"]["accusation"] == 0.5
    assert label.label_confidence["stance"] == {"Israel": 0.5, "ceasefire": 0.75}
    assert label.confidence == 0.5 and label.method == "agreement.v1"
    assert [c["seed"] for c in llm.calls] == [0, 1, 2, 3, 4] and {c["temperature"] for c in llm.calls} == {0.9}


def test_logprob_confidence_uses_the_label_tokens_and_the_closing_bracket():
    tokens = [
        ('{"types": ["', -0.1), ("diplo", math.log(0.8)), ("macy", math.log(0.5)), ('"', 0.0),
        ("]", math.log(0.6)), (', "stance": {"Israel": "', 0.0), ("favor", math.log(0.9)),
        ('", "ceasefire": "', 0.0), ("none", math.log(0.7)), ('"}}', 0.0),
    ]  # fmt: skip
    llm = TokenLLM([tokens])
    label = labeler(llm).label("Talks resumed.", TARGETS)
    assert label.method == "logprobs.v1" and label.k == 1 and label.calls == 1
    assert label.label_confidence["types"]["diplomacy"] == pytest.approx(0.4)
    assert label.label_confidence["types"]["accusation"] == pytest.approx(0.6)  # the list closed
    assert label.label_confidence["stance"] == {"Israel": pytest.approx(0.9), "ceasefire": pytest.approx(0.7)}
    assert label.confidence == pytest.approx(0.4) and llm.calls[0]["temperature"] == 0.0


def test_confidence_method_errors_say_what_to_do():
    with pytest.raises(ValueError, match=re.escape("Confidence by agreement needs k >= 2 samples")):
        labeler(ScriptedLLM([]), k=1)
    with pytest.raises(ValueError, match=re.escape("Confidence method 'logprobs' needs a backend that returns")):
        labeler(ScriptedLLM([]), method="logprobs")
    with pytest.raises(ValueError, match=re.escape("Unknown confidence method 'vote'; expected one of")):
        labeler(ScriptedLLM([]), method="vote")


def test_rerun_makes_zero_llm_calls_and_changed_settings_miss_the_cache(tmp_path, jsonl, make_article):
    source = jsonl(tmp_path / "in.jsonl", [make_article("a1", ["First one.", "Second one."])])
    out = tmp_path / "silver.jsonl"
    first = run_silver(source, out, SilverConfig(shots=0, k=2), llm=ScriptedLLM([VALID] * 4))
    written = out.read_text()
    again = run_silver(source, out, SilverConfig(shots=0, k=2), llm=ScriptedLLM([]))
    assert (first.llm_calls, again.llm_calls, again.cache_hits) == (4, 0, 2)
    assert out.read_text() == written
    changed = run_silver(source, out, SilverConfig(shots=0, k=3), llm=ScriptedLLM([VALID] * 6))
    assert (changed.llm_calls, changed.cache_hits) == (6, 0)


def test_validate_answer_is_strict_about_targets_and_labels():
    missing = validate_answer('{"types": [], "stance": {"Israel": "favor"}}', DEFAULT_TAXONOMY, TARGETS)
    assert not missing.valid and missing.problems == ["no stance for target 'ceasefire'"]
    bad_stance = validate_answer(
        '{"types": [], "stance": {"Israel": "pro", "ceasefire": "none"}}', DEFAULT_TAXONOMY, TARGETS
    )
    assert bad_stance.problems == ["unknown stance 'pro' for 'Israel' (use favor, against or none)"]
    spans = answer_spans('{"types": ["a", "b"], "stance": {"X": "none"}}')
    assert [s[0] for s in spans.types] == ["a", "b"] and spans.stance["X"][0] == "none"
    assert answer_spans("no json here") is None


class WordEncoder:
    """Bag-of-words unit vectors (a stand-in for MiniLM)."""

    vocabulary = ["truce", "ceasefire", "rockets", "killed", "talks", "court"]

    def encode(self, texts, batch_size=64):
        rows = np.array([[t.lower().count(w) for w in self.vocabulary] for t in texts], dtype=float) + 1e-3
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_worked_examples_are_the_most_similar_pool_paragraphs_and_never_the_paragraph_itself():
    pool = [
        Example("Rockets were fired and two killed.", ("Hamas",), ("casualty_report",), {"Hamas": "none"}),
        Example("Both sides agreed a truce, a ceasefire.", ("ceasefire",), ("call_for_ceasefire",),
                {"ceasefire": "favor"}),
        Example("The court ruled on the case.", ("ICJ",), ("legal_action",), {"ICJ": "none"}),
    ]  # fmt: skip
    prompt = SilverPrompt(selector=FewShotSelector(pool, encoder=WordEncoder()), shots=1)
    messages = prompt.messages("The ceasefire and truce held.", ["ceasefire"])
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    assert messages[1]["content"] == 'Targets: "ceasefire"\nParagraph: Both sides agreed a truce, a ceasefire.'
    assert json.loads(messages[2]["content"]) == {"types": ["call_for_ceasefire"], "stance": {"ceasefire": "favor"}}
    self_query = prompt.selector.select("Both sides agreed a truce, a ceasefire.", 1)
    assert self_query[0].text != "Both sides agreed a truce, a ceasefire."
    other_pool = SilverPrompt(selector=FewShotSelector(pool[:2], encoder=WordEncoder()), shots=1)
    assert other_pool.fingerprint() != prompt.fingerprint()
    assert prompt.json_schema(["ceasefire"])["properties"]["types"]["maxItems"] == 4


def test_classifier_agreement_is_recorded_per_paragraph(tmp_path, jsonl, make_article, tiny_classifier):
    source = jsonl(tmp_path / "in.jsonl", [make_article("a1", ["Talks resumed in Cairo.", "Rockets fell."])])
    out = tmp_path / "silver.jsonl"
    report = run_silver(
        source, out, SilverConfig(shots=0, k=2), llm=ScriptedLLM([VALID] * 4), classifier=tiny_classifier
    )
    paragraph = json.loads(out.read_text())["paragraphs"][0]
    comparison = paragraph["silver"]["classifier"]
    assert set(comparison["stance"]) == set(TARGETS) and 0.0 <= comparison["agreement"] <= 1.0
    assert report.mean_classifier_agreement is not None


def test_compare_with_classifier_scores_types_and_stance():
    from stancewire.models.predictions import ParagraphPrediction
    from stancewire.training.silver_label import SilverLabel

    label = SilverLabel(["diplomacy", "accusation"], {"Israel": "favor", "ceasefire": "none"}, "ok", 0.9)
    prediction = ParagraphPrediction("t", ["diplomacy"], {}, {"Israel": "against", "ceasefire": "none"})
    comparison = compare_with_classifier(label, prediction)
    assert comparison["types_jaccard"] == 0.5 and comparison["stance_agreement"] == 0.5
    assert comparison["agreement"] == 0.5 and comparison["disputed"] == ["type:accusation", "stance:Israel"]


def test_text_folders_are_read_with_gazetteer_targets(tmp_path):
    pytest.importorskip("stancewire.inference.readers")
    (tmp_path / "news").mkdir()
    (tmp_path / "news" / "a.txt").write_text("Hamas fired rockets at Israel overnight.\n\nTalks stalled.\n")
    llm = ScriptedLLM(['{"types": ["military_action"], "stance": {}}'] * 10)
    report = run_silver(tmp_path / "news", tmp_path / "silver.jsonl", SilverConfig(shots=0, k=2), llm=llm)
    assert report.paragraphs == 2 and report.read_problems == []
    first_question = llm.calls[0]["messages"][-1]["content"]
    assert first_question.startswith('Targets: "Hamas"') and first_question.endswith(
        "Hamas fired rockets at Israel overnight."
    )


def openai_llm(handler):
    import httpx

    from stancewire.models.llm.openai_backend import OpenAICompatibleLLM

    return OpenAICompatibleLLM("http://llm.test/v1", "m", transport=httpx.MockTransport(handler), max_retries=0)


def test_openai_compatible_servers_give_logprob_confidence_or_fall_back_to_agreement():
    tokens = [('{"types": ["', -0.1), ("diplomacy", math.log(0.5)), ('"', 0.0), ("]", math.log(0.8)),
              (', "stance": {"UN": "', 0.0), ("favor", math.log(0.9)), ('"}}', 0.0)]  # fmt: skip
    requests = []

    def with_logprobs(request):
        import httpx

        body = json.loads(request.content)
        requests.append(body)
        message = {"role": "assistant", "content": "".join(t for t, _ in tokens)}
        logprobs = {"content": [{"token": t, "logprob": lp} for t, lp in tokens]}
        return httpx.Response(200, json={"choices": [{"message": message, "logprobs": logprobs}]})

    label = labeler(openai_llm(with_logprobs)).label("Talks resumed.", ["UN"])
    assert requests[0]["logprobs"] is True and requests[0]["response_format"]["type"] == "json_schema"
    assert label.method == "logprobs.v1" and label.calls == 1
    assert label.label_confidence["types"]["diplomacy"] == pytest.approx(0.5)
    assert label.label_confidence["stance"]["UN"] == pytest.approx(0.9)

    def rejects_logprobs(request):
        import httpx

        body = json.loads(request.content)
        if body.get("logprobs"):
            return httpx.Response(400, json={"error": "logprobs not supported"})
        content = '{"types": ["diplomacy"], "stance": {"UN": "favor"}}'
        return httpx.Response(200, json={"choices": [{"message": {"role": "assistant", "content": content}}]})

    fallback = labeler(openai_llm(rejects_logprobs), k=2).label("Talks resumed.", ["UN"])
    assert fallback.method == "agreement.v1" and fallback.calls == 3 and fallback.confidence == 1.0
