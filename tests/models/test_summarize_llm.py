"""LLM and hybrid summarisers with scripted chat models: guard, retry, fallback, map-reduce, cleaning, CLI."""

from __future__ import annotations

import json
import re

import pytest
import typer
from typer.testing import CliRunner

from stancewire.cli_summarise import summarise as summarise_command
from stancewire.models.llm import LLMError
from stancewire.models.summarize import load_summarizer
from stancewire.models.summarize.abstractive import PROMPT_MARGIN, LLMSummarizer, pack_chunks
from stancewire.models.summarize.documents import load_documents, summarise_path
from stancewire.models.summarize.guard import SourceFacts
from stancewire.models.summarize.hybrid import HybridSummarizer, review_rewrite
from stancewire.models.summarize.prompts import clean_output, summary_messages

ARTICLE = (
    "Israeli strikes have killed 33,300 people in Gaza since October, according to the Gaza health ministry.\n\n"
    "About 85 per cent of Gaza's population has been displaced, the UN said.\n\n"
    "UN Secretary-General António Guterres called for an immediate ceasefire on Monday."
)
FAITHFUL = "Strikes have killed 33,300 people in Gaza, the health ministry said. Guterres called for a ceasefire."


class ScriptedLLM:
    """A ChatLLM answering from a script and recording every conversation; tokens are words."""

    def __init__(self, *answers: str, context_length: int = 4096, name: str = "scripted") -> None:
        self.answers = list(answers)
        self.calls: list[list[dict[str, str]]] = []
        self.context_length = context_length
        self.name = name

    def chat(self, messages, *, max_tokens=256, temperature=0.0, seed=0, json_schema=None):
        assert (temperature, seed) == (0.0, 0)
        self.calls.append(messages)
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]

    def count_tokens(self, text):
        return len(text.split())


SHORTER_FIRST = "Strikes have killed 33,300 people in Gaza, according to the Gaza health ministry."
SHORTER_SECOND = "About 85 per cent of Gazans have been displaced, the UN said."


def test_hybrid_shortens_each_extracted_sentence():
    llm = ScriptedLLM(SHORTER_FIRST, SHORTER_SECOND)
    summary = load_summarizer("hybrid", llm=llm, max_sentences=2).summarise(ARTICLE)
    assert summary.method == "hybrid.v1" and not summary.fallback
    assert summary.sentences == [SHORTER_FIRST, SHORTER_SECOND]
    assert summary.provenance == [[0], [1]]
    assert summary.guard.passed and summary.guard_before.passed
    assert [call[1]["content"].splitlines() for call in llm.calls] == [
        [
            "Shorten this sentence. Keep the main fact, the names and the numbers exactly as written.",
            "",
            "Israeli strikes have killed 33,300 people in Gaza since October, according to the Gaza health ministry.",
        ],
        [
            "Shorten this sentence. Keep the main fact, the names and the numbers exactly as written.",
            "",
            "About 85 per cent of Gaza's population has been displaced, the UN said.",
        ],
    ]


def test_hybrid_keeps_the_extracted_sentence_where_the_rewrite_fails():
    invented = "Strikes have killed 85,000 people in Gaza, according to the ministry."
    llm = ScriptedLLM(invented, SHORTER_SECOND)
    summary = load_summarizer("hybrid", llm=llm, max_sentences=2).summarise(ARTICLE)
    assert summary.method == "hybrid.v1" and not summary.fallback
    extract = load_summarizer("lead-mmr", max_sentences=2).summarise(ARTICLE)
    assert summary.sentences == [extract.sentences[0], SHORTER_SECOND]
    assert summary.guard_before.unsupported_numbers == ["85,000"] and summary.guard.passed


@pytest.mark.parametrize(
    "method",
    [
        "hybrid",  # no rewrite survives: one call per extracted sentence, no retry
        "llm",  # two failed drafts: the first and its retry
    ],
)
def test_llm_methods_fall_back_to_the_extract_when_every_answer_fails(method):
    llm = ScriptedLLM("Strikes killed 85,000 people, officials said.")
    summary = load_summarizer(method, llm=llm, max_sentences=2).summarise(ARTICLE)
    extract = load_summarizer("lead-mmr", max_sentences=2).summarise(ARTICLE)
    assert summary.fallback and summary.method == "extractive.lead-mmr.v1"
    assert summary.text == extract.text and summary.provenance == extract.provenance
    assert summary.guard.passed
    assert summary.guard_before.unsupported_numbers == ["85,000"]
    assert len(llm.calls) == 2


def test_hybrid_does_not_send_short_sentences():
    llm = ScriptedLLM("never used")
    article = "Goma fell on Monday.\n\nTalks stalled in Doha."
    summary = load_summarizer("hybrid", llm=llm, max_sentences=2).summarise(article)
    assert llm.calls == [] and summary.fallback and summary.guard_before is None
    assert summary.sentences == ["Goma fell on Monday.", "Talks stalled in Doha."]


SENTENCE = "Officials said 12 people died in the town of Goma on Monday after heavy shelling by the rebels."


@pytest.mark.parametrize(
    ("draft", "problem"),
    [
        ("Officials said 12 people died in the town of Goma after shelling by the rebels.", ""),
        ("", "no answer"),
        (
            "Officials said 14 people died in Goma, John Smith said.",
            "unsupported numbers: 14; unsupported names: John Smith",
        ),
        ("12 people died in Goma on Monday after shelling.", "missing attributions: 12"),
        ("Officials said 12 people died in Goma on Monday after", "cut off"),
        (SENTENCE, "not shorter"),
        ("Officials said 12 died.", "too short"),
        (
            "Officials said 12 civilians perished in the town of Goma on Monday amid fierce bombardment.",
            "words not in the sentence",
        ),
    ],
)
def test_review_rewrite(draft, problem):
    assert review_rewrite(SENTENCE, draft, SourceFacts(SENTENCE)) == problem


def test_review_rewrite_wants_the_attribution_kept():
    sentence = "The rebels took the airport of Goma on Monday night after heavy fighting, an army spokesman said."
    draft = "The rebels took the airport of Goma on Monday night after heavy fighting."
    assert review_rewrite(sentence, draft, SourceFacts(sentence)) == "attribution dropped"


def test_a_failed_draft_is_retried_with_the_offending_spans_named():
    bad = "Strikes killed 85,000 people, John Smith said. Strikes have killed 33,300 people in Gaza."
    llm = ScriptedLLM(bad, FAITHFUL)
    summary = load_summarizer("llm", llm=llm, max_sentences=2).summarise(ARTICLE)
    assert summary.method == "abstractive.llm.v1" and not summary.fallback
    assert summary.text == FAITHFUL and summary.guard.passed
    assert summary.guard_before.to_dict() == {
        "unsupported_numbers": ["85,000"],
        "unsupported_entities": ["John Smith"],
        "missing_attributions": ["33,300"],
        "passed": False,
    }
    first, retry = llm.calls
    assert [m["role"] for m in retry] == ["system", "user"] and retry[0] == first[0]
    original, stricter = retry[1]["content"].split("\n\nAn earlier summary had these errors:\n")
    assert original == first[1]["content"]
    assert stricter.splitlines() == [
        '- "85,000" is not in the article. Use the exact figure from the article.',
        '- "John Smith" is not named in the article. Leave it out.',
        '- "33,300" needs its source (the article: "according to the Gaza health ministry"). Say who gave it.',
        "Avoid them. Copy figures and names exactly.",
    ]


def test_an_empty_answer_counts_as_a_failure():
    summary = load_summarizer("llm", llm=ScriptedLLM(""), max_sentences=1).summarise(ARTICLE)
    assert summary.fallback and summary.method == "extractive.lead-mmr.v1" and summary.sentences


def test_hybrid_extracts_with_the_labeller():
    from stancewire.models.predictions import ParagraphPrediction

    class Labeler:
        def predict(self, paragraphs, targets=None):
            types = [["casualty_report"], ["humanitarian"], ["call_for_ceasefire"]]
            return [ParagraphPrediction(p, t, {}) for p, t in zip(paragraphs, types)]

    llm = ScriptedLLM("Nothing useful: 7 died.")
    summary = load_summarizer("hybrid", llm=llm, labeler=Labeler(), max_sentences=2).summarise(ARTICLE)
    assert summary.fallback and summary.method == "extractive.label-aware.v1"
    assert summary.provenance == [[0], [2]]


def test_long_articles_are_summarised_map_reduce_within_the_context():
    paragraphs = [f"Paragraph {i} says the rebels advanced on town number {i} overnight." for i in range(40)]
    article = "\n\n".join(paragraphs)
    llm = ScriptedLLM("The rebels advanced overnight.", context_length=330)
    summarizer = LLMSummarizer(llm=llm, max_sentences=2, max_new_tokens=40)
    summary = summarizer.summarise(article)
    prompts = [call[1]["content"] for call in llm.calls]
    parts = [p for p in prompts if p.startswith("Summarise this part of a news article")]
    assert len(parts) >= 2 and prompts[len(parts)].startswith("These are summaries of the parts of one news article")
    assert all(llm.count_tokens(p) + 40 <= 330 for p in prompts)
    joined = "".join(p.split("\n\n", 1)[1].replace("\n\n", "") for p in parts)
    assert joined == "".join(paragraphs)  # every paragraph went into exactly one chunk, in order
    assert summary.text == "The rebels advanced overnight." and summary.method == "abstractive.llm.v1"


def test_no_retry_when_the_stricter_prompt_would_overflow_the_context():
    prompt = summary_messages(ARTICLE, 2)
    # 20 tokens to spare: the article fits (with room for the longest task line), the list of errors does not
    fits = sum(len(m["content"].split()) for m in prompt) + 40 + PROMPT_MARGIN + 20
    llm = ScriptedLLM("Strikes killed 1,000 people.", context_length=fits)
    summary = LLMSummarizer(llm=llm, max_sentences=2, max_new_tokens=40).summarise(ARTICLE)
    assert summary.fallback and summary.guard_before.unsupported_numbers == ["1,000"]
    assert len(llm.calls) == 1 and llm.calls[0] == prompt


def test_a_context_too_small_for_any_article_is_an_error():
    summarizer = LLMSummarizer(llm=ScriptedLLM("x", context_length=150), max_new_tokens=120)
    with pytest.raises(
        ValueError, match=re.escape("scripted: a context of 150 tokens leaves no room for the article")
    ):
        summarizer.summarise(ARTICLE)


def test_llm_errors_propagate_and_bad_llm_objects_are_refused():
    class Down(ScriptedLLM):
        def chat(self, messages, **options):
            raise LLMError("Could not reach the server.")

    with pytest.raises(LLMError, match=re.escape("Could not reach the server.")):
        HybridSummarizer(llm=Down("x")).summarise(ARTICLE)
    with pytest.raises(TypeError, match=re.escape("llm must be a ChatLLM (chat, count_tokens, context_length, name)")):
        load_summarizer("llm", llm=42)


def test_pack_chunks_splits_long_units():
    assert pack_chunks(["abc", "de", "fghij"], 5, lambda t: len(t.replace("\n\n", ""))) == ["abc\n\nde", "fghij"]
    pieces = pack_chunks(["one two three four five six. Seven eight."], 3, lambda t: len(t.split()))
    assert pieces == ["one two three", "four five six.", "Seven eight."]


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("Summary: Goma fell. Rwanda denied it.", ["Goma fell.", "Rwanda denied it."]),
        ("Here is a short summary:\n- Goma fell.\n- Rwanda denied it.", ["Goma fell.", "Rwanda denied it."]),
        ("1. Goma fell.\n2. Goma fell.\n3. The UN said that", ["Goma fell."]),
        (
            "Goma fell. Rwanda denied it. Talks stalled. Aid ran out.",
            ["Goma fell.", "Rwanda denied it.", "Talks stalled."],
        ),
        ("Goma fell to the", ["Goma fell to the"]),
        (
            "Goma fell. The article was edited to have 3 sentences. Rwanda denied it.",
            ["Goma fell.", "Rwanda denied it."],
        ),
    ],
)
def test_clean_output(answer, expected):
    assert clean_output(answer, 3) == expected


def cli_app() -> typer.Typer:
    app = typer.Typer()
    app.command()(summarise_command)
    return app


def test_cli_prints_summaries_and_guard_results(tmp_path, make_article, jsonl):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "gaza.md").write_text(f"# Gaza toll\n\n{ARTICLE}\n", encoding="utf-8")
    (tmp_path / "docs" / "notes.csv").write_text("ignored", encoding="utf-8")
    jsonl(tmp_path / "docs" / "more.jsonl", [make_article("a1", ["Talks resumed in Doha on Monday, officials said."])])
    result = CliRunner().invoke(cli_app(), [str(tmp_path / "docs"), "--method", "lead", "--max-sentences", "1"])
    assert result.exit_code == 0, result.output
    assert "Gaza toll" in result.stdout and "Title a1" in result.stdout
    assert "Talks resumed in Doha on Monday, officials said." in result.stdout
    assert "method: extractive.lead.v1" in result.stdout and "guard: passed" in result.stdout


def test_cli_writes_jsonl(tmp_path):
    source = tmp_path / "gaza.txt"
    source.write_text(ARTICLE, encoding="utf-8")
    out = tmp_path / "out" / "summaries.jsonl"
    result = CliRunner().invoke(cli_app(), [str(source), "--method", "mmr", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"Wrote 1 summaries to {out}." in result.stdout.replace("\n", "")
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in records] == ["gaza"] and records[0]["method"] == "extractive.mmr.v1"
    assert records[0]["guard"]["passed"] is True and records[0]["path"] == str(source)


def test_cli_and_loader_errors(tmp_path):
    result = CliRunner().invoke(cli_app(), [str(tmp_path / "nope.txt"), "--method", "lead"])
    assert result.exit_code == 2 and "No file or folder at" in result.output
    (tmp_path / "a.txt").write_text("Goma fell.", encoding="utf-8")
    result = CliRunner().invoke(cli_app(), [str(tmp_path / "a.txt"), "--method", "best"])
    assert result.exit_code == 2 and "Unknown summarisation method 'best'" in result.output
    (tmp_path / "a.pdf").write_text("x", encoding="utf-8")
    with pytest.raises(ValueError, match=re.escape("unsupported file type '.pdf'; expected one of ('.txt', '.md'")):
        load_documents(tmp_path / "a.pdf")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match=re.escape("folder holds no .txt/.md/.jsonl file to summarise.")):
        load_documents(tmp_path / "empty")


def test_summarise_path_reports_progress(tmp_path):
    (tmp_path / "a.txt").write_text("Goma fell on Monday.\nRwanda denied any role.", encoding="utf-8")
    (tmp_path / "b.txt").write_text("Talks resumed in Doha.", encoding="utf-8")
    seen = []
    results = summarise_path(tmp_path, method="lead", progress=lambda done, total: seen.append((done, total)))
    assert [r.id for r in results] == ["a", "b"] and seen == [(1, 2), (2, 2)]
    assert results[0].summary.provenance == [[0], [1]]
