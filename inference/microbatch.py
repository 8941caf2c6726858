"""Micro-batching: concurrent labelling requests share encoder passes.

Requests are queued; one worker thread takes the first waiting request, gathers whatever else arrives
within ``max_wait_ms`` (up to ``max_paragraphs`` paragraphs in all), and labels them together with one
:meth:`LabelEngine.label_groups` call, so under load the encoder sees large, length-sorted batches
instead of one small batch per request. Each request gets its own results (or its own error) back.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from stancewire.models.predictions import ParagraphPrediction

_STOP = object()


@dataclass
class _Request:
    texts: list[str]
    targets: list[str]
    future: Future


class MicroBatcher:
    """Queue labelling requests and run them in shared engine calls on one worker thread.

    Args:
        engine: Anything with ``label_groups(groups) -> list[list[ParagraphPrediction]]``.
        max_wait_ms: How long the first request of a batch waits for company.
        max_paragraphs: Most paragraphs gathered into one engine call.

    Example:
        >>> batcher = MicroBatcher(engine)  # doctest: +SKIP
        >>> batcher.submit(["Hamas fired rockets."], ["Israel"]).result()[0].stance  # doctest: +SKIP
        {'Israel': 'none'}
        >>> batcher.close()  # doctest: +SKIP
    """

    def __init__(self, engine: Any, max_wait_ms: float = 5.0, max_paragraphs: int = 512) -> None:
        if max_wait_ms < 0 or max_paragraphs < 1:
            raise ValueError(f"Need max_wait_ms >= 0 and max_paragraphs >= 1; got {max_wait_ms} and {max_paragraphs}.")
        self.engine = engine
        self.max_wait = max_wait_ms / 1000
        self.max_paragraphs = max_paragraphs
        self.calls = 0  # engine calls made (what batching saves is visible here)
        self._queue: queue.Queue = queue.Queue()
        self._worker = threading.Thread(target=self._run, name="stancewire-microbatch", daemon=True)
        self._worker.start()

    def submit(self, texts: Sequence[str], targets: Sequence[str]) -> Future:
        """Queue one request; the future resolves to its list of :class:`ParagraphPrediction`."""
        if not self._worker.is_alive():
            raise RuntimeError("This MicroBatcher is closed; create a new one.")
        future: Future = Future()
        self._queue.put(_Request(list(texts), list(targets), future))
        return future

    def label(self, texts: Sequence[str], targets: Sequence[str]) -> list[ParagraphPrediction]:
        """Submit and wait."""
        return self.submit(texts, targets).result()

    def close(self) -> None:
        """Finish what is queued, then stop the worker."""
        self._queue.put(_STOP)
        self._worker.join()

    def _gather(self, first: _Request) -> tuple[list[_Request], bool]:
        batch, size = [first], len(first.texts)
        deadline = time.monotonic() + self.max_wait
        while size < self.max_paragraphs:
            try:
                item = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if item is _STOP:
                return batch, True
            batch.append(item)
            size += len(item.texts)
        return batch, False

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            batch, stop = self._gather(first)
            self._answer(batch)
            if stop:
                return

    def _answer(self, batch: list[_Request]) -> None:
        live = [r for r in batch if r.future.set_running_or_notify_cancel()]
        if not live:
            return
        self.calls += 1
        try:
            results = self.engine.label_groups([(r.texts, r.targets) for r in live])
        except Exception:
            for request in live:  # one bad request must not fail the others: retry each alone
                self._answer_alone(request)
            return
        for request, result in zip(live, results):
            request.future.set_result(result)

    def _answer_alone(self, request: _Request) -> None:
        self.calls += 1
        try:
            request.future.set_result(self.engine.label_groups([(request.texts, request.targets)])[0])
        except Exception as exc:
            request.future.set_exception(exc)
