"""Paragraphs from plain text and Markdown: blocks first (paragraph, list item, quote, heading), then paragraphs.

Rules that keep paragraphs sensible for a paragraph classifier:

* Blank lines separate paragraphs; hard-wrapped lines inside a block are joined. A text with no blank line
  at all is split at line ends, except where a line stops mid-sentence or inside an open quotation.
* A list of short items stays one paragraph together with the sentence introducing it ("... demands:");
  a list of long items gives one paragraph per item.
* Block quotes are paragraphs of their own; headings become the title (the first one, if it opens the
  text) or are dropped, as are rules, tables, code and lines with no words (datelines such as "2024-05-01").
* Paragraphs over ``max_chars`` are cut at sentence ends into pieces of about ``max_chars / 2``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

BLOCK_KINDS: tuple[str, ...] = ("paragraph", "item", "quote", "heading")
MAX_PARAGRAPH_CHARS = 2000
LIST_ITEM_MAX_CHARS = 200  # lists whose items average more than this give one paragraph per item

LIST_ITEM_RE = re.compile(r"^\s{0,3}(?:[-*+•‣◦–]|\d{1,3}[.)])\s+(\S.*)$")
HEADING_RE = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
RULE_RE = re.compile(r"^\s{0,3}(?:(?:[-*_=]\s*){3,})$")
QUOTE_RE = re.compile(r"^\s{0,3}>\s?")
SENTENCE_END_RE = re.compile(r"[.!?…:;]['\"”’)\]]*$|['\"”’]$")
SENTENCE_BREAK_RE = re.compile(r"[.!?…]['\"”’)\]]*(\s+)(?=[\"“‘(\[]?[A-Z0-9])")
DATE_RE = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")
WORD_RE = re.compile(r"[^\W\d_]{2,}")
INLINE_MARKDOWN: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"!\[[^\]]*\]\([^)]*\)"), ""),  # images
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),  # [text](url)
    (re.compile(r"\[([^\]]+)\]\[[^\]]*\]"), r"\1"),  # [text][ref]
    (re.compile(r"<(https?://[^>\s]+)>"), r"\1"),  # autolinks
    (re.compile(r"</?[A-Za-z][^>]*>"), ""),  # inline HTML tags
    (re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"), r"\2"),  # bold
    (re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])"), r"\1"),  # *italic*
    (re.compile(r"(?<!\w)_(?=\S)(.+?)(?<=\S)_(?!\w)"), r"\1"),  # _italic_
    (re.compile(r"`([^`]+)`"), r"\1"),  # inline code
    (re.compile(r"\\([\\`*_{}\[\]()#+\-.!>])"), r"\1"),  # escapes
)


@dataclass(frozen=True)
class Block:
    """A unit of a document before paragraphs are formed.

    Example:
        >>> Block("item", "Release the hostages")
        Block(kind='item', text='Release the hostages')
    """

    kind: str
    text: str

    def __post_init__(self) -> None:
        if self.kind not in BLOCK_KINDS:
            raise ValueError(f"Block kind must be one of {list(BLOCK_KINDS)}; got {self.kind!r}.")


@dataclass
class ParagraphSplit:
    """What a document yields: its title (may be empty), date (may be empty) and paragraphs.

    Example:
        >>> split_text("Goma falls\\n\\nRebels took the city on Monday.").paragraphs
        ['Rebels took the city on Monday.']
    """

    title: str
    date: str
    paragraphs: list[str]


def normalise_space(text: str) -> str:
    """Collapse runs of whitespace to one space and strip."""
    return " ".join(text.split())


def _open_quote(text: str) -> bool:
    """True when ``text`` leaves a quotation open (odd count of straight quotes, or more “ than ”)."""
    return text.count('"') % 2 == 1 or text.count("“") > text.count("”")


def _line_groups(text: str) -> list[list[str]]:
    """Groups of consecutive non-blank lines."""
    groups: list[list[str]] = [[]]
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if line.strip():
            groups[-1].append(line.rstrip())
        elif groups[-1]:
            groups.append([])
    return [g for g in groups if g]


def _blocks_of_lines(lines: list[str], break_at_sentence_ends: bool) -> list[Block]:
    """Blocks of one group of lines: list items apart; other lines joined (or split at sentence ends)."""
    blocks: list[Block] = []
    current: list[str] = []
    current_kind = "paragraph"

    def close() -> None:
        nonlocal current
        if current:
            blocks.append(Block(current_kind, normalise_space(" ".join(current))))
        current = []

    for line in lines:
        item = LIST_ITEM_RE.match(line)
        if item and not RULE_RE.match(line):
            close()
            current, current_kind = [item.group(1)], "item"
            continue
        if current_kind == "item" and current and line[:1].isspace():
            current.append(line)  # an indented continuation of the list item
            continue
        if current_kind == "item":
            close()
            current_kind = "paragraph"
        if current and break_at_sentence_ends:
            joined = " ".join(current)
            if SENTENCE_END_RE.search(joined.rstrip()) and not _open_quote(joined):
                close()
        current.append(line)
    close()
    return blocks


def text_blocks(text: str) -> list[Block]:
    """Blocks of a plain text (see the module docstring for the rules).

    Example:
        >>> [b.text for b in text_blocks('He said: "We will not\\nleave." Then he left.\\nNext day.')]
        ['He said: "We will not leave." Then he left.', 'Next day.']
    """
    groups = _line_groups(text)
    single_group = len(groups) == 1
    return [block for group in groups for block in _blocks_of_lines(group, break_at_sentence_ends=single_group)]


def clean_inline_markdown(text: str) -> str:
    """Markdown inline syntax removed: links keep their text, images go, emphasis markers go.

    Example:
        >>> clean_inline_markdown("**Goma** fell, [UN](http://un.org) says ![map](m.png)")
        'Goma fell, UN says'
    """
    for pattern, replacement in INLINE_MARKDOWN:
        text = pattern.sub(replacement, text)
    return normalise_space(text)


def markdown_blocks(text: str) -> tuple[list[Block], dict[str, str]]:
    """Blocks of a Markdown document, plus ``title``/``date`` from a YAML front matter if present.

    Example:
        >>> blocks, meta = markdown_blocks("# Truce holds\\n\\n> It is *fragile*, he said.")
        >>> [(b.kind, b.text) for b in blocks]
        [('heading', 'Truce holds'), ('quote', 'It is fragile, he said.')]
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    meta: dict[str, str] = {}
    front = re.match(r"^---\n(.*?)\n---\n", text, flags=re.DOTALL)
    if front:
        for key, value in re.findall(r"^(title|date):\s*(.+)$", front.group(1), flags=re.MULTILINE):
            meta[key] = value.strip().strip("\"'")
        text = text[front.end() :]
    text = re.sub(r"^\s{0,3}(```|~~~).*?^\s{0,3}\1[^\n]*$", "", text, flags=re.DOTALL | re.MULTILINE)
    blocks: list[Block] = []
    for group in _line_groups(text):
        blocks.extend(_markdown_group(group))
    return [Block(b.kind, clean_inline_markdown(b.text)) for b in blocks if clean_inline_markdown(b.text)], meta


def _markdown_group(lines: list[str]) -> list[Block]:
    if all(QUOTE_RE.match(line) for line in lines):
        inner = [QUOTE_RE.sub("", line, count=1) for line in lines]
        return [Block("quote", b.text) for b in _markdown_group(inner) if b.kind != "heading"] if any(inner) else []
    blocks: list[Block] = []
    rest: list[str] = []
    for index, line in enumerate(lines):
        heading = HEADING_RE.match(line)
        underline = index + 1 < len(lines) and re.fullmatch(r"\s{0,3}(=+|-+)\s*", lines[index + 1])
        if heading or underline:
            blocks.extend(_blocks_of_lines(rest, False))
            rest = []
            blocks.append(Block("heading", heading.group(2) if heading else line.strip()))
        elif RULE_RE.match(line) or line.lstrip().startswith("|"):
            blocks.extend(_blocks_of_lines(rest, False))  # rules, setext underlines and table rows
            rest = []
        else:
            rest.append(line)
    blocks.extend(_blocks_of_lines(rest, False))
    return blocks


def _is_prose(text: str) -> bool:
    """A paragraph worth labelling: three words, or two ending a sentence (not a bare date or byline)."""
    words = WORD_RE.findall(text)
    return len(words) >= 3 or (len(words) >= 2 and bool(SENTENCE_END_RE.search(text)))


def _rough_sentences(text: str) -> list[str]:
    """Sentences split after . ! ? (and closing quotes) before a capital or digit; linear time."""
    sentences, start = [], 0
    for match in SENTENCE_BREAK_RE.finditer(text):
        sentences.append(text[start : match.start(1)])
        start = match.end(1)
    return sentences + [text[start:]]


def _cut_long(text: str, max_chars: int) -> list[str]:
    """Pieces of about ``max_chars / 2`` characters, cut at sentence ends (a regex: pysbd is quadratic on
    megabyte-long paragraphs)."""
    if len(text) <= max_chars:
        return [text]
    pieces, current = [], ""
    for sentence in _rough_sentences(text):
        if current and len(current) + 1 + len(sentence) > max_chars // 2:
            pieces.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}".strip()
    return pieces + ([current] if current else [])


def paragraphs_from_blocks(
    blocks: list[Block], title: str = "", date: str = "", max_chars: int = MAX_PARAGRAPH_CHARS
) -> ParagraphSplit:
    """Form paragraphs: lists grouped with their lead-in, headings to the title, junk lines dropped.

    Example:
        >>> blocks = [Block("paragraph", "The demands were:"), Block("item", "a truce"), Block("item", "aid")]
        >>> paragraphs_from_blocks(blocks).paragraphs
        ['The demands were:\\n- a truce\\n- aid']
    """
    if max_chars < 100:
        raise ValueError(f"max_chars must be at least 100; got {max_chars}.")
    paragraphs: list[str] = []
    index = 0
    while index < len(blocks):
        block = blocks[index]
        if block.kind == "heading":
            if not title and not paragraphs:
                title = block.text
        elif block.kind == "item":
            end = index
            while end < len(blocks) and blocks[end].kind == "item":
                end += 1
            items = [b.text for b in blocks[index:end]]
            if sum(map(len, items)) / len(items) > LIST_ITEM_MAX_CHARS:
                paragraphs.extend(items)
            else:
                listing = "\n".join(f"- {item}" for item in items)
                if paragraphs and paragraphs[-1].endswith(":") and blocks[index - 1].kind == "paragraph":
                    paragraphs[-1] = f"{paragraphs[-1]}\n{listing}"
                else:
                    paragraphs.append(listing)
            index = end
            continue
        elif _is_prose(block.text):
            paragraphs.append(block.text)
        elif not date and DATE_RE.search(block.text):
            date = DATE_RE.search(block.text).group(1)
        index += 1
    pieces = [piece for paragraph in paragraphs for piece in _cut_long(paragraph, max_chars)]
    return ParagraphSplit(title=title, date=date, paragraphs=[p for p in pieces if p.strip()])


def split_text(text: str, max_chars: int = MAX_PARAGRAPH_CHARS) -> ParagraphSplit:
    """Paragraphs of a plain text; a short first line standing alone (no final full stop) is the title.

    Example:
        >>> split_text("Truce holds\\n\\nShelling stopped at dawn.\\n\\nAid trucks crossed.").title
        'Truce holds'
    """
    blocks = text_blocks(text)
    if len(blocks) > 1 and blocks[0].kind == "paragraph" and _looks_like_title(text, blocks[0].text):
        blocks[0] = Block("heading", blocks[0].text)
    return paragraphs_from_blocks(blocks, max_chars=max_chars)


def _looks_like_title(text: str, first: str) -> bool:
    first_line = text.lstrip().split("\n", 1)[0].strip()
    return first_line == first and len(first) <= 200 and not first.endswith((".", ":", ";", ","))


def split_markdown(text: str, max_chars: int = MAX_PARAGRAPH_CHARS) -> ParagraphSplit:
    """Paragraphs of a Markdown document (title from the front matter or a leading heading).

    Example:
        >>> split_markdown("# Truce\\n\\n*2024-05-01*\\n\\n- Shelling stopped.\\n- Aid crossed.").date
        '2024-05-01'
    """
    blocks, meta = markdown_blocks(text)
    return paragraphs_from_blocks(blocks, title=meta.get("title", ""), date=meta.get("date", ""), max_chars=max_chars)
