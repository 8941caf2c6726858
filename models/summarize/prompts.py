"""Prompts for the LLM summarisers (kept compact: small models, short contexts) and cleaning of their output."""

from __future__ import annotations

import re

from stancewire.models.summarize.guard import GuardReport, SourceFacts
from stancewire.models.summarize.text import split_sentences

SYSTEM = "You write short, faithful news summaries."
COMPRESS_SYSTEM = "You shorten sentences from news articles."
RULES = (
    "Copy every number exactly as the article writes it, with its unit (per cent, people). "
    "Say who gave each figure or claim (according to ..., ... said). Use only names from the article."
)
MATERIAL = {
    "article": "Summarise this news article",
    "part": "Summarise this part of a news article",
    "parts": "These are summaries of the parts of one news article. Combine them into one summary",
}
_PREAMBLE_RE = re.compile(r"^\s*(?:here is|here's|sure|summary|in summary|the article)[^:\n]{0,60}:\s*", re.IGNORECASE)
_BULLET_RE = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+", re.MULTILINE)
# Sentences about the task rather than the news ("The article was edited to include 3 sentences.")
_META_RE = re.compile(
    r"\b(?:(?:this|the|above|following) (?:article|summary|text|key sentences)|summar(?:y|ise|ize)|sentences?|"
    r"rewrite|rewritten)\b",
    re.IGNORECASE,
)


def summary_messages(text: str, max_sentences: int, material: str = "article") -> list[dict[str, str]]:
    """Messages asking for a summary of ``text`` in at most ``max_sentences`` sentences.

    Args:
        text: The article, a part of it, or the joined summaries of its parts.
        max_sentences: Length limit.
        material: ``"article"``, ``"part"`` or ``"parts"`` (what ``text`` is).

    Example:
        >>> summary_messages("Goma fell.", 2)[1]["content"].splitlines()[0]
        'Summarise this news article in at most 2 short sentences.'
    """
    task = f"{MATERIAL[material]} in at most {max_sentences} short sentences."
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": f"{task}\n{RULES}\n\n{text}"}]


def compress_messages(sentence: str) -> list[dict[str, str]]:
    """Messages asking to shorten one sentence of an article (small models compress one sentence far more
    reliably than they write a summary).

    Example:
        >>> compress_messages("Goma fell to the rebels on Monday.")[1]["content"].splitlines()[-1]
        'Goma fell to the rebels on Monday.'
    """
    task = "Shorten this sentence. Keep the main fact, the names and the numbers exactly as written."
    return [{"role": "system", "content": COMPRESS_SYSTEM}, {"role": "user", "content": f"{task}\n\n{sentence}"}]


def correction_messages(
    messages: list[dict[str, str]], report: GuardReport, facts: SourceFacts
) -> list[dict[str, str]]:
    """The same request made stricter: the last user message gains a list of the errors to avoid.

    The earlier draft is not shown again: a small model shown its own answer tends to repeat it, while a
    changed prompt gives it a fresh start (and costs fewer tokens).

    Example:
        >>> facts = SourceFacts("The ministry said 12 people died.")
        >>> turn = correction_messages([{"role": "user", "content": "Summarise."}], GuardReport(["120"]), facts)
        >>> turn[-1]["content"].splitlines()[3]
        '- "120" is not in the article. Use the exact figure from the article.'
    """
    problems = [
        f'- "{n}" is not in the article. Use the exact figure from the article.' for n in report.unsupported_numbers
    ]
    problems += [f'- "{span}" is not named in the article. Leave it out.' for span in report.unsupported_entities]
    for span in report.missing_attributions:
        source = facts.attribution_of(span)
        hint = f' (the article: "{source}")' if source else ""
        problems.append(f'- "{span}" needs its source{hint}. Say who gave it.')
    stricter = (
        "An earlier summary had these errors:\n"
        + "\n".join(problems or ["- It was empty."])
        + "\nAvoid them. Copy figures and names exactly."
    )
    last = messages[-1]
    return [*messages[:-1], {"role": last["role"], "content": f"{last['content']}\n\n{stricter}"}]


def clean_output(text: str, max_sentences: int) -> list[str]:
    """The summary sentences of a model answer: preamble, bullets, remarks about the task and a cut-off
    last sentence removed.

    Example:
        >>> clean_output("Summary: Goma fell. Rwanda denied it. The UN said", 3)
        ['Goma fell.', 'Rwanda denied it.']
    """
    text = _PREAMBLE_RE.sub("", text.strip())
    text = " ".join(_BULLET_RE.sub("", text).split())
    sentences = [s for s in dict.fromkeys(split_sentences(text)) if not _META_RE.search(s)]
    if len(sentences) > 1 and not re.search(r"[.!?…][\"'”’)]*$", sentences[-1]):
        sentences = sentences[:-1]
    return sentences[:max_sentences]
