"""The HTTP service: endpoints, limits (413/422), API key, LLM timeout, micro-batching, and a real uvicorn."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import threading
import time

import httpx
import pytest
from fastapi.testclient import TestClient

from stancewire.inference.analyzer import Analyzer
from stancewire.inference.microbatch import MicroBatcher
from stancewire.inference.server import ServerSettings, check_bind, create_app, is_loopback
from stancewire.models.summarize import Summary

ARTICLE = (
    "Israeli strikes hit Rafah overnight, killing at least 12 people, the health ministry said.\n\n"
    "Hamas said Israel had rejected the latest proposal."
)


@pytest.fixture
def analyzer(tiny_classifier):
    return Analyzer.load(tiny_classifier, summarizer="lead", num_threads=None)


@pytest.fixture
def client(analyzer):
    settings = ServerSettings(max_body_bytes=20_000, max_paragraphs=4, max_targets=3, max_text_chars=5000)
    with TestClient(create_app(analyzer, settings)) as test_client:
        yield test_client


def test_endpoints(client, analyzer):
    assert client.get("/healthz").json() == {"status": "ok", "model": "paragraph-classifier"}
    labelled = client.post("/v1/label", json={"paragraphs": ["Hamas fired rockets.", "Talks resumed."]}).json()
    assert (labelled["targets"], labelled["target_source"]) == (["Hamas", "ceasefire"], "gazetteer")
    expected = analyzer.label(["Hamas fired rockets.", "Talks resumed."], targets=["Hamas", "ceasefire"])
    assert labelled["paragraphs"] == [p.to_dict() for p in expected]
    summary = client.post("/v1/summarise", json={"text": ARTICLE}).json()
    assert summary["method"] == "extractive.lead.v1" and summary["provenance"] == [[0], [1]]
    analysis = client.post("/v1/analyze", json={"text": ARTICLE, "targets": ["Israel"]}).json()
    assert analysis["targets"] == ["Israel"] and len(analysis["paragraphs"]) == 2
    assert analysis["summary"]["text"] == summary["text"] and analysis["content_hash"].startswith("sha256:")
    assert client.post("/v1/analyze", json={"text": ARTICLE, "summarise": False}).json()["summary"] is None
    models = client.get("/v1/models").json()
    assert models["labeler"]["types"][0] == "call_for_ceasefire" and models["summarizer"] == "lead"
    assert models["labeler"]["quantized"] is False  # the tiny model does not ask for int8
    assert "lead" in models["available_summarizers"] and models["limits"]["max_paragraphs"] == 4
    assert "/v1/label" in client.get("/openapi.json").json()["paths"]
    assert client.get("/docs").status_code == 200


def test_limits_answer_413_and_422_with_clear_messages(client):
    too_big = client.post("/v1/label", content=b'{"paragraphs": ["' + b"x" * 30_000 + b'"]}')
    assert too_big.status_code == 413
    assert too_big.json()["detail"].startswith("Request body of 30020 bytes or more is over the limit of 20000 bytes")
    chunked = client.post("/v1/label", content=iter([b'{"paragraphs": ["', b"x" * 25_000, b'"]}']))
    assert chunked.status_code == 413
    cases = [
        (
            "/v1/label",
            {"paragraphs": ["a"] * 5},
            "5 paragraphs is over the limit of 4 per request; split the request.",
        ),
        ("/v1/label", {"paragraphs": []}, "paragraphs is empty; send at least one paragraph text."),
        ("/v1/label", {"paragraphs": ["ok", " "]}, "paragraphs[1] is empty; send non-empty paragraph texts."),
        ("/v1/label", {"paragraphs": ["a"], "targets": ["a", "b", "c", "d"]}, "4 targets is over the limit of 3"),
        ("/v1/label", {"paragraphs": ["a"], "targets": [""]}, "targets[0] must be a non-empty name of at most 100"),
        ("/v1/analyze", {"text": "x" * 6000}, "text has 6000 characters, over the limit of 5000; send a shorter"),
        ("/v1/summarise", {"text": "   "}, "text is empty; send the article's text."),
        ("/v1/analyze", {"text": "\n\n".join(["Shelling resumed."] * 5)}, "5 paragraphs is over the limit of 4"),
    ]
    for path, body, message in cases:
        response = client.post(path, json=body)
        assert response.status_code == 422, (path, body)
        assert response.json()["detail"].startswith(message)
    assert client.post("/v1/label", json={"paragraphs": "not a list"}).status_code == 422


def test_api_key_is_required_when_set(analyzer):
    with TestClient(create_app(analyzer, api_key="s3cret")) as client:
        assert client.get("/healthz").status_code == 200
        denied = client.post("/v1/label", json={"paragraphs": ["Talks resumed."]})
        assert denied.status_code == 401
        assert denied.json()["detail"] == "Missing or wrong API key: send it in the X-API-Key header."
        assert client.get("/v1/models", headers={"X-API-Key": "wrong"}).status_code == 401
        assert client.get("/v1/models", headers={"X-API-Key": "s3cret"}).status_code == 200
        assert client.get("/v1/models", headers={"Authorization": "Bearer s3cret"}).status_code == 200


def test_binding_beyond_loopback_needs_a_key():
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("example.org")
    check_bind("127.0.0.1", None)
    check_bind("0.0.0.0", "key")
    with pytest.raises(ValueError, match=re.escape("Refusing to listen on 0.0.0.0: that exposes the service")):
        check_bind("0.0.0.0", None)


class SlowSummarizer:
    name = "slow"

    def summarise(self, article):
        time.sleep(1.5)
        return Summary(text="late", sentences=["late"], provenance=[[0]], method="slow")


def test_llm_timeout_gives_504(tiny_classifier):
    analyzer = Analyzer.load(tiny_classifier, summarizer=SlowSummarizer(), num_threads=None)
    with TestClient(create_app(analyzer, ServerSettings(llm_timeout=0.2))) as client:
        response = client.post("/v1/summarise", json={"text": ARTICLE})
        assert response.status_code == 504
        assert response.json()["detail"].startswith("The summary took longer than 0.2 s (the LLM timeout)")
        assert client.post("/v1/analyze", json={"text": ARTICLE, "summarise": False}).status_code == 200


class GatedEngine:
    """Blocks its first call until released, so later requests pile up behind it."""

    def __init__(self) -> None:
        self.calls: list[int] = []
        self.release = threading.Event()

    def label_groups(self, groups):
        self.calls.append(len(groups))
        if len(self.calls) == 1:
            self.release.wait(10)
        if any(texts == ["boom"] for texts, _ in groups):
            raise ValueError("boom")
        return [[f"{t}|{','.join(targets)}" for t in texts] for texts, targets in groups]


def test_microbatcher_groups_waiting_requests_and_isolates_failures():
    engine = GatedEngine()
    batcher = MicroBatcher(engine, max_wait_ms=50)
    first = batcher.submit(["a"], ["X"])
    while not engine.calls:
        time.sleep(0.01)
    later = [batcher.submit([f"p{i}"], [f"T{i}"]) for i in range(5)] + [batcher.submit(["boom"], [])]
    engine.release.set()
    assert first.result(5) == ["a|X"]
    assert [f.result(5) for f in later[:5]] == [[f"p{i}|T{i}"] for i in range(5)]
    with pytest.raises(ValueError, match="boom"):
        later[5].result(5)
    assert engine.calls[:2] == [1, 6]  # the five waiting requests (and the bad one) went in one call
    batcher.close()
    with pytest.raises(RuntimeError, match=re.escape("This MicroBatcher is closed; create a new one.")):
        batcher.submit(["x"], [])


def test_concurrent_requests_get_their_own_answers(client, analyzer):
    texts = [f"Hamas fired {i} rockets at Israel, the army said." for i in range(8)]
    results: dict[int, dict] = {}

    def ask(i: int) -> None:
        results[i] = client.post("/v1/label", json={"paragraphs": [texts[i]], "targets": ["Israel"]}).json()

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for i in range(8):
        expected = analyzer.label([texts[i]], targets=["Israel"])[0]
        got = results[i]["paragraphs"][0]
        assert got["text"] == texts[i] and got["stance"] == expected.stance
        assert max(abs(got["type_scores"][k] - expected.type_scores[k]) for k in got["type_scores"]) < 1e-5


SERVE = "import typer; from stancewire.cli_label import serve; typer.run(serve)"


@pytest.mark.slow
def test_real_uvicorn_process_on_loopback(tiny_classifier, tmp_path):
    tiny_classifier.save_pretrained(tmp_path / "model")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [sys.executable, "-c", SERVE, "--port", str(port), "--model", str(tmp_path / "model")]
    command += ["--summarizer", "lead", "--threads", "1", "--log-level", "warning"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, process.stdout.read().decode()
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not come up within 120 s"
            time.sleep(0.2)
        answer = httpx.post(f"{base}/v1/analyze", json={"text": ARTICLE}, timeout=30).json()
        assert answer["targets"] == ["Israel", "Hamas", "ceasefire"] and answer["summary"]["method"]
        too_many = httpx.post(f"{base}/v1/label", json={"paragraphs": ["a"] * 300}, timeout=30)
        assert too_many.status_code == 422
    finally:
        process.terminate()
        process.wait(timeout=30)
