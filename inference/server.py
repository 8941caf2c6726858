"""The HTTP service (FastAPI): label, summarise and analyse over JSON, with limits and micro-batching.

Endpoints: ``POST /v1/label``, ``POST /v1/summarise``, ``POST /v1/analyze``, ``GET /v1/models``,
``GET /healthz``; OpenAPI docs at ``/docs``. Bodies over ``max_body_bytes`` get 413; too many paragraphs
or targets, or too much text, get 422 with a message saying which limit and how to fit it. Summaries run
on one worker thread (LLMs are not thread-safe) and answer 504 after ``llm_timeout`` seconds. With an API
key set, every ``/v1`` route needs it in ``X-API-Key`` (or ``Authorization: Bearer``). The service never
reads files: text in a request is always text.
"""

from __future__ import annotations

import asyncio
import ipaddress
import secrets
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from pydantic import BaseModel, Field

from stancewire.inference.analyzer import Analyzer, article_with_targets
from stancewire.inference.http_limits import BodySizeLimit
from stancewire.inference.microbatch import MicroBatcher
from stancewire.inference.readers import ReadError

API_KEY_ENV = "STANCEWIRE_API_KEY"


@dataclass(frozen=True)
class ServerSettings:
    """Limits and timing of the service.

    Example:
        >>> ServerSettings(max_paragraphs=64).max_targets
        16
    """

    max_body_bytes: int = 1_000_000
    max_paragraphs: int = 256
    max_targets: int = 16
    max_text_chars: int = 100_000
    max_paragraph_chars: int = 10_000
    max_target_chars: int = 100
    llm_timeout: float = 120.0
    batch_wait_ms: float = 5.0

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if value <= 0 and name != "batch_wait_ms":
                raise ValueError(f"ServerSettings.{name} must be > 0; got {value}.")


class LabelRequest(BaseModel):
    """Paragraphs to label, and optional targets (default: the gazetteer's, see stancewire.inference.targets)."""

    paragraphs: list[str] = Field(description="Paragraph texts, in order.")
    targets: list[str] | None = Field(default=None, description="Stance targets; omit for the default.")


class SummariseRequest(BaseModel):
    """An article's text (plain or HTML) to summarise."""

    text: str = Field(description="Article text; paragraphs separated by blank lines, or an HTML page.")
    targets: list[str] | None = Field(default=None, description="Targets for label-aware summaries.")


class AnalyzeRequest(SummariseRequest):
    """An article's text to label paragraph by paragraph and (optionally) summarise."""

    summarise: bool = Field(default=True, description="Also summarise (may call the LLM).")


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1).

    Example:
        >>> is_loopback("127.0.0.1"), is_loopback("0.0.0.0")
        (True, False)
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, api_key: str | None) -> None:
    """Refuse to listen beyond this machine without an API key.

    Raises:
        ValueError: for a non-loopback ``host`` when ``api_key`` is empty.
    """
    if not is_loopback(host) and not api_key:
        raise ValueError(
            f"Refusing to listen on {host}: that exposes the service beyond this machine without an API key. "
            f"Set the {API_KEY_ENV} environment variable, or bind to 127.0.0.1."
        )


def create_app(analyzer: Analyzer, settings: ServerSettings | None = None, api_key: str | None = None) -> FastAPI:
    """The FastAPI application serving ``analyzer``.

    Args:
        analyzer: What labels and summarises.
        settings: Limits and timeouts.
        api_key: When set, required on every ``/v1`` route.

    Example:
        >>> from fastapi.testclient import TestClient
        >>> client = TestClient(create_app(Analyzer.load("default", summarizer="lead")))  # doctest: +SKIP
        >>> client.post("/v1/label", json={"paragraphs": ["Hamas fired rockets."]}).status_code  # doctest: +SKIP
        200
    """
    settings = settings or ServerSettings()
    batcher = MicroBatcher(
        analyzer.engine, max_wait_ms=settings.batch_wait_ms, max_paragraphs=2 * settings.max_paragraphs
    )
    summaries = ThreadPoolExecutor(max_workers=1, thread_name_prefix="stancewire-summary")

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        yield
        batcher.close()
        summaries.shutdown(wait=False, cancel_futures=True)

    app = FastAPI(
        title="stancewire",
        description="Paragraph types, stance per target, and guarded summaries of news about armed conflicts.",
        lifespan=lifespan,
    )
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.state.analyzer, app.state.batcher, app.state.settings = analyzer, batcher, settings
    router = APIRouter(prefix="/v1", dependencies=[Depends(_key_checker(api_key))])
    limits = _Limits(settings)

    async def summarise(article, targets):
        job = summaries.submit(lambda: analyzer.summarizer.summarise(article_with_targets(article, targets)))
        try:
            return await asyncio.wait_for(asyncio.wrap_future(job), timeout=settings.llm_timeout)
        except TimeoutError:
            raise HTTPException(
                504,
                f"The summary took longer than {settings.llm_timeout:g} s (the LLM timeout); retry later, "
                "send a shorter text, or ask /v1/analyze with summarise=false.",
            ) from None

    @router.post("/label", summary="Types and stance per target for paragraphs")
    async def label(request: LabelRequest) -> dict[str, Any]:
        limits.paragraphs(request.paragraphs)
        limits.targets(request.targets)
        targets, source = analyzer.targets_for_text("\n\n".join(request.paragraphs), request.targets)
        predictions = await asyncio.wrap_future(batcher.submit(request.paragraphs, targets))
        return {
            "model": analyzer.model_name,
            "targets": targets,
            "target_source": source,
            "paragraphs": [p.to_dict() for p in predictions],
        }

    @router.post("/summarise", summary="A guarded summary with provenance")
    async def summarise_text(request: SummariseRequest) -> dict[str, Any]:
        limits.text(request.text)
        limits.targets(request.targets)
        article, _ = _parse(analyzer, request.text)
        targets, _ = analyzer.targets_for(article, request.targets)
        return (await summarise(article, targets)).to_dict()

    @router.post("/analyze", summary="Label every paragraph of an article and summarise it")
    async def analyze(request: AnalyzeRequest) -> dict[str, Any]:
        limits.text(request.text)
        limits.targets(request.targets)
        article, digest = _parse(analyzer, request.text)
        limits.paragraphs([p.text for p in article.paragraphs])
        targets, source = analyzer.targets_for(article, request.targets)
        predictions = await asyncio.wrap_future(batcher.submit([p.text for p in article.paragraphs], targets))
        summary = await summarise(article, targets) if request.summarise else None
        return analyzer.result(article, predictions, targets, source, summary, digest).to_dict()

    @router.get("/models", summary="The labeller, the summariser and the limits in use")
    async def models() -> dict[str, Any]:
        from stancewire.models.registry import available_models
        from stancewire.models.summarize import available_summarizers

        taxonomy = analyzer.engine.taxonomy
        return {
            "labeler": {
                "name": analyzer.model_name,
                "types": list(taxonomy.type_names),
                "stances": list(taxonomy.stances),
                "quantized": analyzer.engine.quantized,
            },
            "summarizer": analyzer.summarizer_spec if isinstance(analyzer.summarizer_spec, str | None) else "custom",
            "available_models": available_models(),
            "available_summarizers": available_summarizers(),
            "limits": asdict(settings),
        }

    @app.get("/healthz", summary="Liveness")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "model": analyzer.model_name}

    app.include_router(router)
    return app


class _Limits:
    """Request checks that answer 422 with which limit was passed and how to fit it."""

    def __init__(self, settings: ServerSettings) -> None:
        self.s = settings

    def paragraphs(self, paragraphs: Sequence[str]) -> None:
        if not paragraphs:
            raise HTTPException(422, "paragraphs is empty; send at least one paragraph text.")
        if len(paragraphs) > self.s.max_paragraphs:
            raise HTTPException(
                422,
                f"{len(paragraphs)} paragraphs is over the limit of {self.s.max_paragraphs} per request; "
                "split the request.",
            )
        for index, text in enumerate(paragraphs):
            if not text.strip():
                raise HTTPException(422, f"paragraphs[{index}] is empty; send non-empty paragraph texts.")
            if len(text) > self.s.max_paragraph_chars:
                raise HTTPException(
                    422,
                    f"paragraphs[{index}] has {len(text)} characters, over the limit of "
                    f"{self.s.max_paragraph_chars}; split it into shorter paragraphs.",
                )

    def targets(self, targets: Sequence[str] | None) -> None:
        if targets is None:
            return
        if len(targets) > self.s.max_targets:
            raise HTTPException(
                422, f"{len(targets)} targets is over the limit of {self.s.max_targets} per request; send fewer."
            )
        for index, target in enumerate(targets):
            if not target.strip() or len(target) > self.s.max_target_chars:
                raise HTTPException(
                    422,
                    f"targets[{index}] must be a non-empty name of at most {self.s.max_target_chars} characters; "
                    f"got {target[:50]!r}.",
                )

    def text(self, text: str) -> None:
        if not text.strip():
            raise HTTPException(422, "text is empty; send the article's text.")
        if len(text) > self.s.max_text_chars:
            raise HTTPException(
                422,
                f"text has {len(text)} characters, over the limit of {self.s.max_text_chars}; send a shorter "
                "article or split it.",
            )


def _parse(analyzer: Analyzer, text: str):
    try:
        return analyzer.parse_text(text)
    except ReadError as exc:
        raise HTTPException(422, f"text: {exc.reason}") from None


def _key_checker(api_key: str | None):
    async def check(request: Request) -> None:
        if not api_key:
            return
        given = request.headers.get("x-api-key") or ""
        authorization = request.headers.get("authorization", "")
        if not given and authorization.lower().startswith("bearer "):
            given = authorization[7:].strip()
        if not secrets.compare_digest(given.encode(), api_key.encode()):
            raise HTTPException(401, "Missing or wrong API key: send it in the X-API-Key header.")

    return check
