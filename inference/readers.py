"""Reading article files: .txt, .md, .html and .json/.jsonl (our schema), with encoding detection.

Every problem with a file becomes a :class:`ReadError` naming the file (and line) and saying what was
wrong: too large, empty, binary, undecodable, unreadable, malformed JSON, or no paragraphs found. One
JSON Lines file may hold many articles; a bad line fails only that line.
"""

from __future__ import annotations

import codecs
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stancewire.inference.paragraphs import ParagraphSplit, split_markdown, split_text
from stancewire.models.schema import Article, Paragraph, article_from_record, record_problems
from stancewire.models.taxonomy import DEFAULT_TAXONOMY

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16: the UTF-32-LE BOM starts with the UTF-16-LE one
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
NO_PARAGRAPHS = "no paragraphs found: the file holds no text to label."
CONTROL_CHARS = frozenset(chr(c) for c in range(32) if chr(c) not in "\t\n\r\f\v") | {"\x7f"}


class ReadError(ValueError):
    """A file (or one line of it) that could not be turned into an article.

    Example:
        >>> str(ReadError("news/a.txt", "empty file (0 bytes)."))
        'news/a.txt: empty file (0 bytes).'
    """

    def __init__(self, path: str | Path, reason: str, line: int | None = None) -> None:
        self.path = str(path)
        self.reason = reason
        self.line = line
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {reason}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for errors.jsonl."""
        return {"path": self.path, "line": self.line, "reason": self.reason}


@dataclass
class FileArticles:
    """The articles read from one file, the problems of its bad lines, and the file's content hash.

    Example:
        >>> content = read_text_articles("Shelling resumed overnight in Gaza.", "txt", "t1")
        >>> content.articles[0].paragraphs[0].text
        'Shelling resumed overnight in Gaza.'
    """

    path: str
    content_hash: str
    articles: list[Article] = field(default_factory=list)
    problems: list[ReadError] = field(default_factory=list)


Parser = Callable[[str, str], FileArticles]
READERS: dict[str, Parser] = {}


def register_reader(*suffixes: str) -> Callable[[Parser], Parser]:
    """Decorator: ``@register_reader(".txt", ".text")`` on a function ``(text, name) -> FileArticles``."""

    def decorate(parser: Parser) -> Parser:
        for suffix in suffixes:
            READERS[suffix.lower()] = parser
        return parser

    return decorate


def supported_suffixes() -> list[str]:
    """File endings the readers accept."""
    return sorted(READERS)


def content_hash(data: bytes) -> str:
    """``sha256:<hex>`` of a file's bytes (what ``--resume`` compares)."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def load_bytes(path: str | Path, max_bytes: int = DEFAULT_MAX_BYTES, name: str | None = None) -> bytes:
    """The bytes of a file, refusing one over ``max_bytes`` before reading it; ``ReadError`` on any OS error."""
    path, name = Path(path), name or str(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise ReadError(
                name,
                f"file is {_size(size)}, over the {_size(max_bytes)} limit; raise the limit to read it.",
            )
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except PermissionError:
        raise ReadError(name, "permission denied: the file is not readable by this user.") from None
    except OSError as exc:
        raise ReadError(name, f"could not read the file ({exc.strerror or exc}).") from None
    if len(data) > max_bytes:
        raise ReadError(name, f"file grew past the {_size(max_bytes)} limit while being read.")
    if not data:
        raise ReadError(name, "empty file (0 bytes).")
    return data


def _size(n: int) -> str:
    """A byte count for people: ``"1.2 MB"``, ``"3.4 kB"``, ``"12 bytes"``."""
    if n >= 1_000_000:
        return f"{n / 1e6:.1f} MB"
    return f"{n / 1e3:.1f} kB" if n >= 1000 else f"{n} bytes"


def decode_bytes(data: bytes, name: str = "<bytes>") -> str:
    """Text of a file: a BOM decides (UTF-8/16/32), else UTF-8, else charset-normalizer's best guess.

    Among equally plausible single-byte guesses Windows-1252 is preferred (Western news). NUL bytes
    without a BOM, or a decoding full of control characters, mean a binary file.

    Example:
        >>> decode_bytes("café “truce”".encode("cp1252"))
        'café “truce”'
    """
    text = _decode(data, name)
    if sum(ch in CONTROL_CHARS for ch in text) > max(2, len(text) // 100):
        raise ReadError(name, "binary file (control characters throughout); expected text.")
    return text


def _decode(data: bytes, name: str) -> str:
    for bom, encoding in BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise ReadError(
                    name, f"undecodable: starts with a {encoding} BOM but is not {encoding} ({exc})."
                ) from None
    if b"\x00" in data[:8192]:
        raise ReadError(name, "binary file (NUL bytes and no UTF-16/32 byte-order mark); expected text.")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    text = _guess_decode(data)
    if text is None:
        raise ReadError(name, "undecodable: not UTF-8 and no text encoding fits; save the file as UTF-8.")
    return text


def _guess_decode(data: bytes) -> str | None:
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data))
    if not matches:
        return None
    best = min(matches, key=lambda m: m.chaos)
    for match in matches:
        if match.chaos <= best.chaos and "cp1252" in match.could_be_from_charset:
            return data.decode("cp1252", errors="replace")
    return str(best)


def read_file(path: str | Path, max_bytes: int = DEFAULT_MAX_BYTES, name: str | None = None) -> FileArticles:
    """Read one article file by its ending (see :func:`supported_suffixes`).

    Args:
        path: The file.
        max_bytes: Larger files are refused without being read.
        name: How to name the file in results and errors (default: ``str(path)``).

    Raises:
        ReadError: for a file-level problem (an unsupported ending, size, encoding, permissions, no text).
    """
    path = Path(path)
    name = name or str(path)
    parser_for(path.suffix, name)
    return parse_bytes(load_bytes(path, max_bytes, name), path.suffix, name)


def parser_for(suffix: str, name: str) -> Parser:
    """The reader registered for a file ending; ``ReadError`` naming the accepted endings otherwise."""
    parser = READERS.get(suffix.lower())
    if parser is None:
        raise ReadError(name, f"unsupported file type {suffix or '(none)'!r}; expected one of {supported_suffixes()}.")
    return parser


def parse_bytes(data: bytes, suffix: str, name: str) -> FileArticles:
    """Decode and parse a file's bytes by its ending (``.txt``, ``.md``, ...).

    Raises:
        ReadError: for an unsupported ending, undecodable bytes, malformed JSON, or no paragraphs at all.
    """
    parser = parser_for(suffix, name)
    content = parser(decode_bytes(data, name), name)
    content.path, content.content_hash = name, content_hash(data)
    if not content.articles and not content.problems:
        raise ReadError(name, NO_PARAGRAPHS)
    return content


def read_text_articles(text: str, kind: str, name: str) -> FileArticles:
    """Parse text already in memory as ``kind`` (a suffix without the dot: ``txt``, ``md``, ``html``, ``jsonl``).

    Raises:
        ReadError: for an unknown kind, or JSON that is malformed or not in the article schema.
    """
    parser = READERS.get("." + kind.lower().lstrip("."))
    if parser is None:
        raise ReadError(name, f"unsupported kind {kind!r}; expected one of {supported_suffixes()}.")
    content = parser(text, name)
    content.content_hash = content_hash(text.encode("utf-8"))
    if not content.articles and not content.problems:
        raise ReadError(name, NO_PARAGRAPHS)
    return content


def _article(split: ParagraphSplit, name: str) -> FileArticles:
    content = FileArticles(path=name, content_hash="")
    if split.paragraphs:
        paragraphs = [Paragraph(text) for text in split.paragraphs]
        content.articles.append(Article(id=name, paragraphs=paragraphs, title=split.title, date=split.date, path=name))
    return content


@register_reader(".txt", ".text")
def _read_txt(text: str, name: str) -> FileArticles:
    return _article(split_text(text), name)


@register_reader(".md", ".markdown")
def _read_markdown(text: str, name: str) -> FileArticles:
    return _article(split_markdown(text), name)


@register_reader(".html", ".htm", ".xhtml")
def _read_html(text: str, name: str) -> FileArticles:
    from stancewire.inference.html import split_html

    return _article(split_html(text), name)


@register_reader(".json")
def _read_json(text: str, name: str) -> FileArticles:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReadError(name, f"malformed JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}).") from None
    records = value if isinstance(value, list) else [value]
    content = FileArticles(path=name, content_hash="")
    for index, record in enumerate(records):
        _add_record(content, record, name, line=index + 1 if isinstance(value, list) else None)
    return content


@register_reader(".jsonl", ".ndjson")
def _read_jsonl(text: str, name: str) -> FileArticles:
    content = FileArticles(path=name, content_hash="")
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            content.problems.append(ReadError(name, f"malformed JSON ({exc.msg} at column {exc.colno}).", number))
            continue
        _add_record(content, record, name, line=number)
    return content


def _add_record(content: FileArticles, record: Any, name: str, line: int | None) -> None:
    """Append the article of one JSON record (schema checked, gold labels not required), or its problem."""
    problems = record_problems(record, DEFAULT_TAXONOMY, strict=False)
    problems = [p for p in problems if "label" not in p and "stance" not in p]  # gold labels do not matter here
    if problems:
        content.problems.append(ReadError(name, f"not an article in the stancewire schema: {problems[0]}", line))
        return
    article = article_from_record(record, path=name, line=line)
    article.paragraphs = [Paragraph(p.text) for p in article.paragraphs]
    content.articles.append(article)
