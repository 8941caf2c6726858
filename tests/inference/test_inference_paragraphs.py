"""Paragraph splitting: blank lines, hard wraps, quotes, lists, Markdown, titles and junk lines."""

from __future__ import annotations

import re

import pytest

from stancewire.inference.paragraphs import (
    Block,
    clean_inline_markdown,
    markdown_blocks,
    paragraphs_from_blocks,
    split_markdown,
    split_text,
    text_blocks,
)


def test_blank_lines_split_and_hard_wraps_join():
    text = "Shelling resumed overnight\nin the north, officials said.\n\nAid trucks crossed at dawn.\n"
    assert split_text(text).paragraphs == [
        "Shelling resumed overnight in the north, officials said.",
        "Aid trucks crossed at dawn.",
    ]


def test_one_paragraph_per_line_without_blank_lines_but_not_inside_a_quote_or_sentence():
    text = (
        'The minister said: "We will not\n'
        'withdraw until the hostages are home." He left.\n'
        "Talks resume on Monday in\n"
        "Doha, mediators said.\n"
        "Aid is blocked."
    )
    assert [b.text for b in text_blocks(text)] == [
        'The minister said: "We will not withdraw until the hostages are home." He left.',
        "Talks resume on Monday in Doha, mediators said.",
        "Aid is blocked.",
    ]


def test_short_list_stays_with_its_lead_in_and_long_items_stand_alone():
    short = "The demands were:\n\n- a full truce\n- release of detainees\n- aid corridors\n\nTalks went on."
    assert split_text(short).paragraphs == [
        "The demands were:\n- a full truce\n- release of detainees\n- aid corridors",
        "Talks went on.",
    ]
    long_item = "x " * 150
    text = f"Key points of the deal:\n\n1. {long_item}first.\n2. {long_item}second."
    paragraphs = split_text(text).paragraphs
    assert len(paragraphs) == 3
    assert paragraphs[1].endswith("first.") and paragraphs[2].endswith("second.")


def test_title_and_junk_lines():
    text = "Truce holds in Gaza\n\n2024-05-01\n\nShelling stopped at dawn, residents said.\n\n***\n\nReuters"
    split = split_text(text)
    assert split.title == "Truce holds in Gaza"
    assert split.date == "2024-05-01"
    assert split.paragraphs == ["Shelling stopped at dawn, residents said."]
    assert split_text("Shelling resumed.\n\nTwo died.").title == ""  # a sentence is not a title


def test_markdown_structure():
    text = (
        "---\ntitle: Front matter title\ndate: 2024-03-12\n---\n"
        "# Heading\n\n*2024-03-12*\n\n"
        "**Goma** fell, [the UN](https://un.org) said. ![map](m.png)\n\n"
        '> "We are leaving," a resident\n> told us.\n\n'
        "## Background\n\n```\ncode block\n```\n\n| a | b |\n|---|---|\n\nLast paragraph of the story here."
    )
    split = split_markdown(text)
    assert split.title == "Front matter title"
    assert split.date == "2024-03-12"
    assert split.paragraphs == [
        "Goma fell, the UN said.",
        '"We are leaving," a resident told us.',
        "Last paragraph of the story here.",
    ]
    blocks, meta = markdown_blocks("Setext title\n============\n\nBody text goes here.")
    assert blocks[0] == Block("heading", "Setext title") and meta == {}


def test_inline_markdown_keeps_snake_case_and_arithmetic():
    assert clean_inline_markdown("rate_of_fire stays, 2 * 3 * 4 stays, *this* goes") == (
        "rate_of_fire stays, 2 * 3 * 4 stays, this goes"
    )


def test_long_paragraph_is_cut_at_sentence_ends():
    sentence = "The army said it had repelled an attack on the northern outskirts of the city overnight. "
    paragraphs = split_text(sentence * 40, max_chars=1000).paragraphs
    assert len(paragraphs) > 1
    assert all(len(p) <= 1000 for p in paragraphs)
    assert " ".join(paragraphs) == (sentence * 40).strip()


def test_bad_arguments():
    with pytest.raises(ValueError, match=re.escape("Block kind must be one of ['paragraph', 'item', 'quote'")):
        Block("table", "x")
    with pytest.raises(ValueError, match=re.escape("max_chars must be at least 100; got 10.")):
        paragraphs_from_blocks([], max_chars=10)
