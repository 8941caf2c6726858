"""``stancewire summarise``: summarise article files and show (or save) the summaries and guard results."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console, Group
from rich.panel import Panel
from rich.progress import Progress
from rich.text import Text

console = Console()
err_console = Console(stderr=True)


def summarise(
    path: Annotated[
        Path, typer.Argument(help="A .txt/.md article, a .jsonl file of articles (our schema), or a folder of them.")
    ],
    method: Annotated[
        str,
        typer.Option(
            help="Method: lead, textrank, mmr, lead-mmr, label-aware, llm, hybrid (or a versioned name). "
            "label-aware without --labeler is lead-mmr."
        ),
    ] = "label-aware",
    llm: Annotated[
        str | None,
        typer.Option(
            help="LLM spec for llm/hybrid: 'llama-cpp' or 'llama-cpp:FILE.gguf', 'transformers:ID_OR_PATH' "
            "(add '#FILE.gguf' for a GGUF file in it), or 'openai:URL#MODEL'. Default: the bundled SmolLM2."
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Write one JSON record per article to this .jsonl file instead of printing.")
    ] = None,
    labeler: Annotated[
        str | None, typer.Option(help="Paragraph labeller (name or saved folder) for label-aware and hybrid.")
    ] = None,
    max_sentences: Annotated[int, typer.Option(min=1, help="Sentences per summary.")] = 3,
) -> None:
    """Summarise articles and report what the faithfulness guard found. Exit code 2 on bad input."""
    from stancewire.models.llm import LLMError
    from stancewire.models.schema import DataError
    from stancewire.models.summarize.documents import summarise_path

    try:
        model = _load_labeler(labeler) if labeler else None
        with Progress(console=err_console, transient=True) as progress:
            task = progress.add_task("Summarising", total=None)
            results = summarise_path(
                path,
                method=method,
                llm=llm,
                labeler=model,
                max_sentences=max_sentences,
                progress=lambda done, total: progress.update(task, completed=done, total=total),
            )
    except (FileNotFoundError, DataError, ValueError, TypeError, LLMError) as exc:
        err_console.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("w", encoding="utf-8") as handle:
            for result in results:
                handle.write(json.dumps(result.to_dict(), ensure_ascii=False) + "\n")
        console.print(f"Wrote {len(results)} summaries to {out}.")
        return
    for result in results:
        console.print(_summary_panel(result))


def _load_labeler(name_or_path: str):
    from stancewire.models.registry import load_labeler

    return load_labeler(name_or_path)


def _summary_panel(result) -> Panel:
    """A panel with the summary, its method and what the guard found (before and after)."""
    summary = result.summary
    lines: list[Text] = [Text(summary.text or "(empty summary)")]
    meta = f"method: {summary.method}  |  {summary.seconds:.2f} s"
    if summary.fallback:
        meta += "  |  fell back to extractive: the LLM drafts failed the guard"
    lines.append(Text(meta, style="dim"))
    if summary.guard_before is not None and (summary.fallback or not summary.guard_before.passed):
        lines.append(_guard_line("first draft", summary.guard_before))
    if summary.guard is not None:
        lines.append(_guard_line("guard", summary.guard))
    title = result.title or result.id
    return Panel(Group(*lines), title=Text(title), title_align="left", subtitle=Text(result.path), expand=True)


def _guard_line(label: str, report) -> Text:
    if report.passed:
        return Text(f"{label}: passed", style="green")
    parts = [
        f"{name}: {', '.join(spans)}"
        for name, spans in (
            ("unsupported numbers", report.unsupported_numbers),
            ("unsupported names", report.unsupported_entities),
            ("missing attributions", report.missing_attributions),
        )
        if spans
    ]
    return Text(f"{label}: " + "; ".join(parts), style="red")
