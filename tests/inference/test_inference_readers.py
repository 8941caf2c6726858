"""Reading article files: formats, encodings, and every kind of bad file."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from stancewire.inference import readers
from stancewire.inference.readers import ReadError, decode_bytes, read_file, read_text_articles

TEXT = "Talks in Doha – the “final” round – resumed, café owners said.\n\nThe army’s plans were not published."
PAGE = (
    "<html><head><title>Truce talks resume</title></head><body>"
    "<nav><a href='/'>Home</a> | <a href='/world'>World</a> | Subscribe now</nav>"
    "<article><h1>Truce talks resume</h1>"
    "<p>Mediators in Doha said on Monday that both sides had agreed to resume talks on a truce next week.</p>"
    "<p>The demands were:</p><ul><li>a full ceasefire</li><li>release of detainees</li></ul>"
    "<p>Aid agencies said that thousands of families were still without shelter or clean water in the north.</p>"
    "</article><aside><h2>Most read</h2><ul><li>Markets close higher</li></ul></aside>"
    "<footer>All rights reserved. Cookie settings.</footer></body></html>"
)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-32", "cp1252"])
def test_encodings_are_detected(tmp_path, encoding):
    path = tmp_path / "a.txt"
    path.write_bytes(TEXT.encode(encoding))
    content = read_file(path)
    assert [p.text for p in content.articles[0].paragraphs] == TEXT.split("\n\n")
    assert content.content_hash.startswith("sha256:") and len(content.content_hash) == 71


def test_bad_files_raise_read_errors_with_reasons(tmp_path):
    cases = {
        "empty.txt": (b"", "empty file (0 bytes)."),
        "blank.txt": (b"  \n\n ", "no paragraphs found: the file holds no text to label."),
        "binary.txt": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20, "binary file (NUL bytes and no UTF-16/32"),
        "controls.md": (bytes(range(1, 32)) * 40, "binary file (control characters throughout); expected text."),
        "garbage.md": (bytes(range(128, 256)) * 40, "undecodable: not UTF-8 and no text encoding fits"),
        "bad.json": (b'{"id": "a", ', "malformed JSON (Expecting property name enclosed in double quotes"),
        "list.json": (b"[1]", "not an article in the stancewire schema: expected a JSON object, found int."),
        "notes.pdf": (b"%PDF", "unsupported file type '.pdf'; expected one of ['.htm', '.html'"),
    }
    for name, (data, reason) in cases.items():
        (tmp_path / name).write_bytes(data)
        if name == "list.json":
            assert read_file(tmp_path / name).problems[0].reason.startswith(reason)
            continue
        with pytest.raises(ReadError, match=re.escape(f"{tmp_path / name}: {reason}")):
            read_file(tmp_path / name)


def test_size_limit_is_checked_before_reading(tmp_path):
    path = tmp_path / "big.txt"
    path.write_text("Shelling resumed in the north. " * 40000, encoding="utf-8")
    with pytest.raises(ReadError, match=re.escape("file is 1.2 MB, over the 1.0 MB limit; raise the limit")):
        read_file(path, max_bytes=1_000_000)
    assert read_file(path, max_bytes=2_000_000).articles


def test_unreadable_file(tmp_path, monkeypatch):
    path = tmp_path / "secret.txt"
    path.write_text("Shelling resumed in the north.", encoding="utf-8")

    def denied(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "open", denied)  # tests run as root, where chmod 000 does not stop a read
    with pytest.raises(ReadError, match=re.escape("permission denied: the file is not readable by this user.")):
        readers.load_bytes(path)


def test_html_main_text_without_boilerplate(tmp_path):
    path = tmp_path / "page.html"
    path.write_text(PAGE, encoding="utf-8")
    article = read_file(path).articles[0]
    texts = [p.text for p in article.paragraphs]
    assert article.title == "Truce talks resume"
    assert texts[0].startswith("Mediators in Doha said on Monday")
    assert "The demands were:\n- a full ceasefire\n- release of detainees" in texts
    assert not any(word in " ".join(texts) for word in ("Subscribe", "Most read", "Cookie", "Markets close"))


def test_tiny_html_falls_back_to_the_whole_page():
    content = read_text_articles("<html><body><p>Shelling resumed in Gaza overnight.</p></body></html>", "html", "t")
    assert [p.text for p in content.articles[0].paragraphs] == ["Shelling resumed in Gaza overnight."]


def test_json_and_jsonl_in_our_schema(tmp_path, make_article):
    record = make_article("a1", ["Shelling resumed.", "Talks stalled."], targets=("Israel", "Hamas"))
    (tmp_path / "one.json").write_text(json.dumps(record), encoding="utf-8")
    article = read_file(tmp_path / "one.json").articles[0]
    assert (article.id, article.targets, article.line) == ("a1", ["Israel", "Hamas"], None)
    assert article.paragraphs[0].types == ()  # gold labels are not carried into inference
    flat = {"id": "p1", "text": "A flat paragraph record."}
    lines = [json.dumps(record), "{not json", json.dumps({"id": "x"}), "", json.dumps(flat)]
    (tmp_path / "many.jsonl").write_text("\n".join(lines), encoding="utf-8")
    content = read_file(tmp_path / "many.jsonl")
    assert [(a.id, a.line) for a in content.articles] == [("a1", 1), ("p1", 5)]
    assert [(p.line, p.reason) for p in content.problems] == [
        (2, "malformed JSON (Expecting property name enclosed in double quotes at column 2)."),
        (3, "not an article in the stancewire schema: missing field 'paragraphs'."),
    ]


def test_decode_prefers_windows_1252_among_single_byte_guesses():
    assert decode_bytes("Naïve hopes – “truce”".encode("cp1252")) == "Naïve hopes – “truce”"
