"""Main text of an HTML page with trafilatura: navigation, footers, asides and comments are dropped.

trafilatura's XML output keeps the structure we need (headings, paragraphs, lists, quotes), which then
goes through the same paragraph rules as Markdown (:mod:`stancewire.inference.paragraphs`). Pages too
small for trafilatura's main-text detection fall back to its plain-text conversion of the whole page.
"""

from __future__ import annotations

from stancewire.inference.paragraphs import (
    MAX_PARAGRAPH_CHARS,
    Block,
    ParagraphSplit,
    normalise_space,
    paragraphs_from_blocks,
    split_text,
)

ELEMENT_KINDS: dict[str, str] = {"head": "heading", "p": "paragraph", "quote": "quote", "item": "item"}


def html_blocks(html: str) -> tuple[list[Block], dict[str, str]] | None:
    """Blocks of the page's main text and its ``title``/``date`` metadata; ``None`` when none was found.

    Example:
        >>> page = "<html><body><nav>Home | World</nav><article><h1>Truce</h1>" + \\
        ...     "<p>Both sides agreed a three-day truce on Monday, mediators in Doha said.</p>" * 3 + \\
        ...     "</article><footer>Cookie settings</footer></body></html>"
        >>> blocks, meta = html_blocks(page)
        >>> [b.kind for b in blocks]
        ['heading', 'paragraph']
    """
    import trafilatura
    from lxml import etree

    xml = trafilatura.extract(
        html,
        output_format="xml",
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        include_images=False,
        include_formatting=False,
        include_links=False,
    )
    if not xml:
        return None
    root = etree.fromstring(xml.encode("utf-8"))
    meta = {key: root.get(key, "") for key in ("title", "date")}
    main = root.find("main")
    if main is None:
        return None
    blocks = []
    for element in main.iter(*ELEMENT_KINDS):
        if element.tag == "p" and element.getparent() is not None and element.getparent().tag in ("item", "quote"):
            continue  # its text is part of the enclosing item or quote
        text = normalise_space("".join(element.itertext()))
        if text:
            blocks.append(Block(ELEMENT_KINDS[element.tag], text))
    return blocks, meta


def split_html(html: str, max_chars: int = MAX_PARAGRAPH_CHARS) -> ParagraphSplit:
    """Title, date and paragraphs of an HTML page's main text.

    Example:
        >>> split_html("<html><body><p>Shelling resumed in Gaza overnight.</p></body></html>").paragraphs
        ['Shelling resumed in Gaza overnight.']
    """
    found = html_blocks(html)
    if found is None:
        import trafilatura

        return split_text(trafilatura.html2txt(html) or "", max_chars=max_chars)
    blocks, meta = found
    split = paragraphs_from_blocks(blocks, title="", date=meta.get("date", ""), max_chars=max_chars)
    split.title = split.title or meta.get("title", "")
    return split
