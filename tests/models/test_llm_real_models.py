"""Slow: the bundled SmolLM2 GGUF through llama.cpp, through transformers, and behind a real local server."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time

import httpx
import pytest

from stancewire.models.hub import smollm2_gguf_path
from stancewire.models.llm import LlamaCppLLM, OpenAICompatibleLLM, load_llm

pytestmark = pytest.mark.slow

MESSAGES = [{"role": "user", "content": "Complete: The capital of France is"}]
SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "population": {"type": "integer"}},
    "required": ["city", "population"],
}


@pytest.fixture(scope="module")
def bundled():
    return load_llm("llama-cpp")


def test_bundled_gguf_chats_deterministically(bundled):
    assert isinstance(bundled, LlamaCppLLM)
    assert bundled.context_length == 8192
    assert bundled.count_tokens("Paris is the capital of France.") > 3
    first = bundled.chat(MESSAGES, max_tokens=16)
    assert "paris" in first.lower()
    assert bundled.chat(MESSAGES, max_tokens=16) == first


def test_bundled_gguf_follows_a_json_schema(bundled):
    answer = json.loads(bundled.chat(MESSAGES, max_tokens=48, json_schema=SCHEMA))
    assert set(answer) == {"city", "population"}
    assert isinstance(answer["city"], str) and isinstance(answer["population"], int)


def test_bundled_gguf_scores_answers_deterministically(bundled):
    system = {"role": "system", "content": "You answer questions about geography with yes or no."}
    question = [system, {"role": "user", "content": "Is Paris in France?"}]
    tails, options = ["Answer:", "Paris is in Peru:"], [["yes", "no"], ["yes", "no"]]
    first = bundled.first_token_logprobs(question, tails, options)
    assert all(answer[o] <= 0 for answer in first for o in ("yes", "no"))  # log-probabilities
    assert first[0] != first[1]  # each tail was read, not only the shared part
    bundled.chat([system, {"role": "user", "content": "Is Lima in Peru?"}], max_tokens=4)  # other cached state
    assert bundled.first_token_logprobs(question, tails, options) == first
    code = (
        "import json, sys; from stancewire.models.llm import load_llm; a = json.loads(sys.argv[1]); "
        "print(json.dumps(load_llm(None).first_token_logprobs(*a)))"
    )
    argument = json.dumps([question, tails, options])
    fresh = subprocess.run([sys.executable, "-c", code, argument], capture_output=True, text=True, check=True)
    assert json.loads(fresh.stdout.strip().splitlines()[-1]) == first


def test_bundled_gguf_reuses_the_pieces_of_an_extended_prompt(bundled):
    from stancewire.models.llm.llama_cpp_prompt import PIECE_TOKENS

    article = " ".join(f"On day {d} the envoy met both delegations in Doha and reported progress." for d in range(40))
    system = {"role": "system", "content": "You write short, faithful news summaries."}
    first = [system, {"role": "user", "content": f"Summarise this news article.\n\n{article}"}]
    retry = [system, {"role": "user", "content": first[1]["content"] + "\n\nAvoid the figure 12."}]
    bundled.chat(first, max_tokens=8)
    evaluated = []
    model = bundled.model
    original = model.eval
    model.eval = lambda tokens: (evaluated.append(len(tokens)), original(tokens))[1]
    try:
        extended = bundled.chat(retry, max_tokens=8)
    finally:
        del model.eval
    n_prompt = len(bundled.prompts.tokens(retry))
    assert sum(evaluated) < PIECE_TOKENS + 32 < n_prompt / 2  # the article's pieces were reused
    bundled.chat([system, {"role": "user", "content": "Is Lima in Peru?"}], max_tokens=4)  # other cached state
    assert bundled.chat(retry, max_tokens=8) == extended
    code = (
        "import json, sys; from stancewire.models.llm import load_llm; "
        "print(json.dumps(load_llm(None).chat(json.loads(sys.argv[1]), max_tokens=8)))"
    )
    fresh = subprocess.run([sys.executable, "-c", code, json.dumps(retry)], capture_output=True, text=True, check=True)
    assert json.loads(fresh.stdout.strip().splitlines()[-1]) == extended


def test_transformers_loads_the_gguf_file():
    llm = load_llm(f"transformers:{smollm2_gguf_path()}")
    assert llm.context_length == 8192
    assert "paris" in llm.chat(MESSAGES, max_tokens=16).lower()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server_url(tmp_path_factory):
    port = free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"  # a file, not a pipe: the load log would fill a pipe
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(smollm2_gguf_path())]
    command += ["--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096", "--model_alias", "smollm2"]
    url = f"http://127.0.0.1:{port}/v1"
    with log.open("w") as handle:
        process = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"llama_cpp.server exited with code {process.returncode}: {log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{url}/models", timeout=2.0).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.5)
        else:
            pytest.fail("llama_cpp.server did not answer within 120 s.")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_openai_backend_against_a_real_server(server_url):
    llm = load_llm(f"openai:{server_url}#smollm2")
    assert isinstance(llm, OpenAICompatibleLLM)
    first = llm.chat(MESSAGES, max_tokens=16)
    assert "paris" in first.lower()
    assert llm.chat(MESSAGES, max_tokens=16) == first
    answer = json.loads(llm.chat(MESSAGES, max_tokens=48, json_schema=SCHEMA))
    assert set(answer) == {"city", "population"}
    assert llm.context_length == 4096
    llm.close()
