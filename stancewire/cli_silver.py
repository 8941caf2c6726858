"""``stancewire silver`` (LLM silver labels) and ``stancewire review export|import`` (the human check)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

console = Console()
err_console = Console(stderr=True)
review_app = typer.Typer(help="Review silver labels: export the doubtful ones, import the decisions as gold.")


def silver(
    source: Annotated[
        Path, typer.Argument(help="A JSONL file of articles/paragraphs, or a folder (.jsonl/.txt/.md/.html).")
    ],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Silver JSONL to write (its cache and failures go beside it).")
    ],
    llm: Annotated[
        str, typer.Option(help="LLM spec: 'llama-cpp' (bundled SmolLM2), 'llama-cpp:/m.gguf', 'openai:URL#MODEL'.")
    ] = "llama-cpp",
    examples: Annotated[
        Path | None, typer.Option(help="Labelled JSONL the worked examples come from (default: fixtures/train.jsonl).")
    ] = None,
    shots: Annotated[int, typer.Option(help="Worked examples per paragraph, chosen by embedding similarity.")] = 3,
    confidence: Annotated[
        str, typer.Option(help="'auto' (log-probabilities when the backend has them), 'logprobs' or 'agreement'.")
    ] = "auto",
    k: Annotated[int, typer.Option("--k", help="Samples per paragraph for the agreement confidence.")] = 3,
    temperature: Annotated[float, typer.Option(help="Sampling temperature of the agreement samples.")] = 0.7,
    classifier: Annotated[
        str, typer.Option(help="Classifier to compare with (name or folder); 'none' to skip the comparison.")
    ] = "default",
    targets: Annotated[
        str | None, typer.Option(help="Comma-separated targets for every paragraph (overrides the articles').")
    ] = None,
    taxonomy: Annotated[str, typer.Option(help="'default' or a taxonomy JSON/YAML file.")] = "default",
    max_tokens: Annotated[int, typer.Option(help="Answer budget per LLM call.")] = 192,
    seed: Annotated[int, typer.Option(help="First sampling seed.")] = 0,
    retry_failed: Annotated[bool, typer.Option(help="Ask again for paragraphs whose cached answer failed.")] = False,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Do not read or write the cache file.")] = False,
) -> None:
    """Label paragraphs with an LLM: types and stance with a confidence per label, cached and resumable."""
    from rich.progress import Progress

    from stancewire.models.llm.base import LLMError
    from stancewire.training.silver_run import SilverConfig, run_silver

    try:
        config = SilverConfig(
            llm=llm,
            taxonomy=taxonomy,
            examples=str(examples) if examples else None,
            shots=shots,
            confidence=confidence,
            k=k,
            temperature=temperature,
            max_tokens=max_tokens,
            seed=seed,
            classifier=None if classifier.lower() == "none" else classifier,
            targets=[t.strip() for t in targets.split(",") if t.strip()] if targets is not None else None,
            retry_failed=retry_failed,
            use_cache=not no_cache,
        )
        with Progress(console=err_console, transient=True) as bar:
            task = bar.add_task("labelling", total=None)
            report = run_silver(
                source, out, config, progress=lambda done, total: bar.update(task, completed=done, total=total)
            )
    except (FileNotFoundError, ValueError, LLMError) as exc:
        err_console.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    for problem in report.read_problems[:20]:
        err_console.print(f"[yellow]skipped:[/yellow] {problem}", highlight=False, soft_wrap=True)
    console.print(
        f"{report.labelled} of {report.paragraphs} paragraphs labelled ({report.failed} failed) by {report.model} "
        f"({report.method}, prompt {report.prompt}) -> {report.out}",
        markup=False,
        highlight=False,
    )
    console.print(
        f"LLM calls {report.llm_calls}, cache hits {report.cache_hits}, near-miss labels mapped {report.mapped}, "
        f"mean confidence {_fmt(report.mean_confidence)}, agreement with {report.classifier or 'no classifier'} "
        f"{_fmt(report.mean_classifier_agreement)}",
        markup=False,
        highlight=False,
    )
    if report.failed:
        console.print(f"Failures (with the model's answers): {report.failed_path}", markup=False)


@review_app.command("export")
def export(
    silver_file: Annotated[
        Path, typer.Argument(metavar="SILVER", help="Silver JSONL written by `stancewire silver`.")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="review.csv, or a .json file with --format label-studio.")],
    fmt: Annotated[str, typer.Option("--format", help="'csv' or 'label-studio'.")] = "csv",
    failed: Annotated[
        Path | None, typer.Option(help="Failures file to include (default: SILVER's .failed.jsonl if present).")
    ] = None,
    limit: Annotated[int | None, typer.Option(help="Export only the N most doubtful items.")] = None,
    taxonomy: Annotated[str, typer.Option(help="'default' or a taxonomy JSON/YAML file.")] = "default",
) -> None:
    """Write silver items for review, least confident or most disputed first."""
    from stancewire.training.review import export_review
    from stancewire.training.silver_run import failed_path_for

    try:
        paths = export_review(silver_file, out, fmt, failed or failed_path_for(silver_file), limit, taxonomy)
    except (FileNotFoundError, ValueError) as exc:
        err_console.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    for path in paths:
        console.print(f"wrote {path}", markup=False)


@review_app.command("import")
def import_(
    review: Annotated[Path, typer.Argument(help="The reviewed CSV, or a Label Studio JSON export.")],
    into: Annotated[Path, typer.Option("--into", help="Gold JSONL to merge the decisions into (created if absent).")],
    annotator: Annotated[
        str | None, typer.Option(help="Who reviewed, for rows that leave the 'annotator' column empty.")
    ] = None,
    taxonomy: Annotated[str, typer.Option(help="'default' or a taxonomy JSON/YAML file.")] = "default",
) -> None:
    """Merge reviewed items into a gold file in our schema, recording who labelled each one."""
    from stancewire.training.review import import_review

    try:
        report = import_review(review, into, annotator=annotator, taxonomy=taxonomy)
    except (FileNotFoundError, ValueError) as exc:
        err_console.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    console.print(
        f"{report.added} added, {report.updated} updated, {report.skipped} skipped -> {report.into} "
        f"({report.articles} articles)"
    )


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"
