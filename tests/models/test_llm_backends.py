"""Backend registry and spec parsing, and the OpenAI-compatible client against mock and absent servers."""

from __future__ import annotations

import json
import re
import socket

import httpx
import pytest

from stancewire.models.hub import smollm2_gguf_path
from stancewire.models.llm import (
    LlamaCppLLM,
    LLMConnectionError,
    LLMError,
    OpenAICompatibleLLM,
    TransformersLLM,
    available_backends,
    is_chat_llm,
    load_llm,
)
from stancewire.models.llm.llama_cpp_backend import gguf_context_length

MESSAGES = [{"role": "user", "content": "Say hello."}]


def completion(content: str) -> dict:
    return {"choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]}


class Server:
    """A scripted OpenAI-compatible server for httpx.MockTransport: answers in order, records requests."""

    def __init__(self, *responses: httpx.Response) -> None:
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.responses.pop(0)

    def client(self, **options) -> OpenAICompatibleLLM:
        return OpenAICompatibleLLM(
            "http://llm.test:8080/v1", "tiny", transport=httpx.MockTransport(self), backoff=0.0, **options
        )

    def body(self, index: int) -> dict:
        return json.loads(self.requests[index].content)


def test_specs_pick_backends_without_loading_anything():
    default = load_llm(None)
    assert isinstance(default, LlamaCppLLM) and default.model_path == smollm2_gguf_path()
    assert default._llama is None and is_chat_llm(default) and default._llama is None
    assert load_llm("llama-cpp").model_path == smollm2_gguf_path()
    assert load_llm(f"llama-cpp:{smollm2_gguf_path()}").name == f"llama-cpp:{smollm2_gguf_path().name}"
    plain = load_llm("transformers:HuggingFaceTB/SmolLM2-135M-Instruct")
    assert isinstance(plain, TransformersLLM) and plain.gguf_file is None and plain._model is None
    gguf = load_llm("transformers:some/repo#model.Q4_1.gguf")
    assert (gguf.model_id, gguf.gguf_file) == ("some/repo", "model.Q4_1.gguf")
    split = load_llm(f"transformers:{smollm2_gguf_path()}")
    assert (split.model_id, split.gguf_file) == (str(smollm2_gguf_path().parent), smollm2_gguf_path().name)
    remote = load_llm("openai:http://127.0.0.1:8080#smollm2")
    assert isinstance(remote, OpenAICompatibleLLM)
    assert (remote.url, remote.model_name) == ("http://127.0.0.1:8080/v1/chat/completions", "smollm2")
    assert {"llama-cpp", "transformers", "openai", "llm.llama-cpp.v1", "llm.openai.v1"} <= set(available_backends())


def test_spec_errors_say_what_is_expected(tmp_path):
    with pytest.raises(ValueError, match=re.escape("Unknown LLM backend 'gpt' in spec 'gpt:4'; expected one of [")):
        load_llm("gpt:4")
    with pytest.raises(FileNotFoundError, match=re.escape(f"No GGUF file at {tmp_path / 'x.gguf'}; expected a path")):
        load_llm(f"llama-cpp:{tmp_path / 'x.gguf'}")
    with pytest.raises(ValueError, match=re.escape("Expected 'openai:URL#MODEL', e.g. 'openai:http://127.0.0.1")):
        load_llm("openai:http://127.0.0.1:8080")
    with pytest.raises(ValueError, match=re.escape("Expected an http(s) URL for the OpenAI-compatible server")):
        load_llm("openai:127.0.0.1:8080#m")
    with pytest.raises(ValueError, match=re.escape("The transformers backend needs a model")):
        load_llm("transformers")


def test_gguf_header_gives_the_trained_context(tmp_path):
    assert gguf_context_length(smollm2_gguf_path()) == 8192
    fake = tmp_path / "fake.gguf"
    fake.write_bytes(b"NOPE" + bytes(20))
    with pytest.raises(ValueError, match=re.escape(f"{fake} is not a GGUF file")):
        gguf_context_length(fake)


def test_openai_request_and_answer(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    server = Server(httpx.Response(200, json=completion("Hello there.")))
    llm = server.client()
    assert llm.chat(MESSAGES, max_tokens=12) == "Hello there."
    request = server.requests[0]
    assert str(request.url) == "http://llm.test:8080/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer sk-test"
    assert server.body(0) == {"model": "tiny", "messages": MESSAGES, "max_tokens": 12, "temperature": 0.0, "seed": 0}


def test_openai_sends_no_key_when_the_variable_is_unset(monkeypatch):
    monkeypatch.delenv("STANCEWIRE_TEST_KEY", raising=False)
    server = Server(httpx.Response(200, json=completion("ok")))
    server.client(api_key_env="STANCEWIRE_TEST_KEY").chat(MESSAGES)
    assert "authorization" not in server.requests[0].headers


def test_openai_retries_server_errors_then_succeeds():
    server = Server(httpx.Response(503, text="busy"), httpx.Response(500), httpx.Response(200, json=completion("ok")))
    assert server.client(max_retries=2).chat(MESSAGES) == "ok"
    assert len(server.requests) == 3


def test_openai_gives_up_after_bounded_retries():
    server = Server(*[httpx.Response(503, text="overloaded")] * 5)
    with pytest.raises(LLMError, match=re.escape("answered HTTP 503: overloaded")):
        server.client(max_retries=1).chat(MESSAGES)
    assert len(server.requests) == 2


def test_openai_client_errors_fail_at_once_with_the_server_message():
    server = Server(httpx.Response(404, text="model 'tiny' not found"))
    with pytest.raises(
        LLMError,
        match=re.escape("The server at http://llm.test:8080/v1/chat/completions answered HTTP 404: model 'tiny' not"),
    ):
        server.client().chat(MESSAGES)
    assert len(server.requests) == 1
    server = Server(httpx.Response(200, json={"error": "nope"}))
    with pytest.raises(LLMError, match=re.escape("sent no choices[0].message.content; got {'error': 'nope'}")):
        server.client().chat(MESSAGES)


@pytest.mark.parametrize("status", [422, 500])
def test_openai_json_schema_uses_response_format_and_falls_back_to_json_object(status):
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    rejection = httpx.Response(status, text="('body', 'response_format', 'type'): should be 'text' or 'json_object'")
    server = Server(rejection, httpx.Response(200, json=completion('{"n": 3}')))
    llm = server.client()
    assert llm.chat(MESSAGES, json_schema=schema) == '{"n": 3}'
    assert server.body(0)["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "answer", "schema": schema, "strict": True},
    }
    assert server.body(1)["response_format"] == {"type": "json_object", "schema": schema}
    server.responses.append(httpx.Response(200, json=completion('{"n": 4}')))
    assert llm.chat(MESSAGES, json_schema=schema) == '{"n": 4}'
    assert server.body(2)["response_format"]["type"] == "json_object" and len(server.requests) == 3


def test_openai_json_schema_request_still_retries_other_server_errors():
    schema = {"type": "object"}
    server = Server(httpx.Response(503, text="busy"), httpx.Response(200, json=completion("{}")))
    assert server.client().chat(MESSAGES, json_schema=schema) == "{}"
    assert [server.body(i)["response_format"]["type"] for i in range(2)] == ["json_schema", "json_schema"]


def test_openai_context_length_from_the_model_listing():
    listing = {"data": [{"id": "other", "max_model_len": 1}, {"id": "tiny", "meta": {"n_ctx_train": 2048}}]}
    server = Server(httpx.Response(200, json=listing))
    llm = server.client()
    assert llm.context_length == 2048 and llm.context_length == 2048
    assert str(server.requests[0].url) == "http://llm.test:8080/v1/models" and len(server.requests) == 1
    assert Server(httpx.Response(404)).client().context_length == 4096
    assert OpenAICompatibleLLM("http://x:1", "m", context_length=512).context_length == 512
    assert llm.count_tokens("abcdefghij") == 4


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_openai_names_the_url_when_nothing_listens():
    port = free_port()
    llm = OpenAICompatibleLLM(f"http://127.0.0.1:{port}/v1", "m", max_retries=2, backoff=0.0, timeout=2.0)
    with pytest.raises(
        LLMConnectionError,
        match=re.escape(
            f"Could not reach the OpenAI-compatible server at http://127.0.0.1:{port}/v1/chat/completions "
            "after 3 attempt(s) (ConnectError"
        ),
    ):
        llm.chat(MESSAGES)
    assert llm.context_length == 4096  # the listing is optional: no server means the default


def test_message_and_generation_checks():
    llm = OpenAICompatibleLLM("http://x:1", "m")
    with pytest.raises(ValueError, match=re.escape("messages[0] must be a dict whose 'role' is one of")):
        llm.chat([{"role": "robot", "content": "hi"}])
    with pytest.raises(ValueError, match=re.escape("messages[1]['content'] must be a string; got None.")):
        llm.chat([*MESSAGES, {"role": "assistant", "content": None}])
    with pytest.raises(ValueError, match=re.escape("max_tokens must be a positive integer; got 0.")):
        llm.chat(MESSAGES, max_tokens=0)
    with pytest.raises(ValueError, match=re.escape("temperature must be >= 0")):
        llm.chat(MESSAGES, temperature=-1.0)
