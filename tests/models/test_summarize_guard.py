"""The faithfulness guard on crafted summaries: each unfaithful case flags exactly its span; faithful ones pass."""

from __future__ import annotations

import pytest

from stancewire.models.summarize.guard import GuardReport, SourceFacts, check_faithfulness
from stancewire.models.summarize.numbers import find_numbers

SOURCE = (
    "Israeli strikes have killed 33,300 people in Gaza since October, according to the Gaza health ministry. "
    "About 85 per cent of Gaza's population has been displaced, the UN said.\n\n"
    "UN Secretary-General António Guterres called for an immediate ceasefire on Monday. "
    "Rwanda's government spokeswoman Yolande Makolo denied the accusations.\n\n"
    "Three aid workers died on 25 April 2024. The agency needs 1.5 million litres of fuel a week."
)


def flags(summary: str) -> dict:
    report = check_faithfulness(summary, SOURCE).to_dict()
    report.pop("passed")
    return {key: value for key, value in report.items() if value}


@pytest.mark.parametrize(
    "summary",
    [
        "Israeli strikes have killed 33,300 people in Gaza, according to the health ministry.",
        "The Gaza health ministry said strikes killed 33300 people.",
        "The UN said 85% of Gazans have been displaced.",
        "The UN said about 85 percent of Gaza's population was displaced.",
        "UN chief António Guterres called for a ceasefire. Rwanda's spokeswoman Makolo denied the accusations.",
        "Mr Guterres urged a ceasefire.",
        "3 aid workers died in April. The agency needs 1,500,000 litres of fuel a week.",
        "The agency needs 1.5m litres of fuel a week.",
        "Officials said three aid workers died.",
    ],
)
def test_faithful_summaries_pass(summary):
    assert flags(summary) == {}
    assert check_faithfulness(summary, SOURCE).passed


@pytest.mark.parametrize(
    ("summary", "expected"),
    [
        # a number changed
        ("Strikes killed 33,000 people in Gaza, the health ministry said.", {"unsupported_numbers": ["33,000"]}),
        ("Four aid workers died.", {"unsupported_numbers": ["Four"]}),
        ("The agency needs 15 million litres of fuel a week.", {"unsupported_numbers": ["15 million"]}),
        # a percentage turned into a count, and the reverse
        ("The UN said 85,000 people in Gaza were displaced.", {"unsupported_numbers": ["85,000"]}),
        ("The UN said 85 people were displaced.", {"unsupported_numbers": ["85"]}),
        ("The ministry said 33,300 per cent more people died.", {"unsupported_numbers": ["33,300 per cent"]}),
        # invented names, including two real names glued together
        ("John Smith called for a ceasefire.", {"unsupported_entities": ["John Smith"]}),
        ("Yolande Guterres called for a ceasefire.", {"unsupported_entities": ["Yolande Guterres"]}),
        ("Meanwhile, Hamas rejected the ceasefire.", {"unsupported_entities": ["Hamas"]}),
        ("The ICC opened an inquiry.", {"unsupported_entities": ["ICC"]}),
        # an attributed figure stated bare
        ("Israeli strikes have killed 33,300 people in Gaza.", {"missing_attributions": ["33,300"]}),
        ("About 85% of Gaza's population has been displaced.", {"missing_attributions": ["85%"]}),
        # several problems at once
        (
            "John Smith said 85,000 died. Strikes killed 33,300 people.",
            {
                "unsupported_numbers": ["85,000"],
                "unsupported_entities": ["John Smith"],
                "missing_attributions": ["33,300"],
            },
        ),
    ],
)
def test_unfaithful_summaries_flag_their_spans(summary, expected):
    assert flags(summary) == expected
    assert not check_faithfulness(summary, SOURCE).passed


def test_dates_and_durations_need_no_attribution_but_must_be_supported():
    source = "Officials said the siege lasted 12 days and ended on 3 May."
    assert check_faithfulness("The siege lasted 12 days and ended on 3 May.", source).passed
    assert flags_for("The siege ended on 4 May.", source) == {"unsupported_numbers": ["4"]}


def flags_for(summary: str, source: str) -> dict:
    report = check_faithfulness(summary, source).to_dict()
    report.pop("passed")
    return {key: value for key, value in report.items() if value}


def test_acronyms_of_source_names_are_supported():
    source = "The International Criminal Court, sitting in The Hague, opened an inquiry."
    assert check_faithfulness("The ICC opened an inquiry.", source).passed
    assert flags_for("The ICJ opened an inquiry.", source) == {"unsupported_entities": ["ICJ"]}


def test_figure_given_bare_somewhere_in_the_source_needs_no_attribution():
    source = "Officials said 12 people died. In all, 12 people died in the attack."
    assert check_faithfulness("12 people died in the attack.", source).passed


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("33,300 and 33300", [("count", 33300.0), ("count", 33300.0)]),
        ("85 per cent, 85%, 85 percent, eighty-five pc", [("percent", 85.0)] * 4),
        ("1.5 million, 1,500,000, 1.5m", [("count", 1500000.0)] * 3),
        (
            "three, a dozen, twenty-one, two hundred thousand",
            [("count", 3.0), ("count", 12.0), ("count", 21.0), ("count", 200000.0)],
        ),
        ("rose 3 percentage points", [("percentage_point", 3.0)]),
        ("one of the M23 rebels flew F-16 jets on the 10th at 18:00", []),
    ],
)
def test_number_normalisation(text, expected):
    assert [mention.key for mention in find_numbers(text)] == expected


def test_retry_hint_quotes_the_source_attribution():
    facts = SourceFacts(SOURCE)
    assert facts.attribution_of("33,300") == "according to the Gaza health ministry"
    assert facts.attribution_of("85%") == "the UN said"
    assert facts.attribution_of("1.5m") == ""


def test_report_round_trips_and_facts_can_be_reused():
    report = check_faithfulness("John Smith said 85,000 died.", SourceFacts(SOURCE))
    assert GuardReport.from_dict(report.to_dict()) == report
    assert report.to_dict()["passed"] is False
    assert GuardReport().passed
