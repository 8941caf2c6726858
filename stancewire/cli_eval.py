"""``stancewire eval``: evaluate classifiers and summarisers, write results.json + report.md + report.html,
and compare two runs. Each command parses its options, calls one library function and writes/prints."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

eval_app = typer.Typer(help="Evaluate classifiers and summarisers; write and compare reports.", no_args_is_help=True)
console = Console()
err_console = Console(stderr=True)


def _split(values: list[str]) -> list[str]:
    """Comma-separated and repeated option values as one list."""
    return [item.strip() for value in values for item in value.split(",") if item.strip()]


@contextmanager
def _progress() -> Iterator:
    """A rich progress display and the ``(stage, done, total)`` callback that drives it (one bar per stage)."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
    ) as progress:
        tasks: dict[str, int] = {}

        def update(stage: str, done: int, total: int) -> None:
            kind = stage.split(" ")[0]
            if kind not in tasks:
                tasks[kind] = progress.add_task(stage, total=total)
            progress.update(tasks[kind], description=stage, completed=done, total=total)

        yield update


def _write(results: dict, out: Path) -> None:
    """Write results.json, report.md and report.html into ``out``."""
    from stancewire.eval.report_html import render_html
    from stancewire.eval.report_md import render_markdown
    from stancewire.eval.results import write_results

    out.mkdir(parents=True, exist_ok=True)
    write_results(results, out / "results.json")
    (out / "report.md").write_text(render_markdown(results), encoding="utf-8")
    (out / "report.html").write_text(render_html(results), encoding="utf-8")
    console.print(f"Wrote {out / 'results.json'}, {out / 'report.md'} and {out / 'report.html'}.")


def _leaderboard(results: dict, systems_key: str) -> None:
    primary = results["primary_metric"]
    for dataset in results["datasets"]:
        table = Table(title=f"{dataset['name']}: ranked by {primary} (95% interval)")
        for column in ("#", "name", primary, "low", "high"):
            table.add_column(column)
        for rank, system in enumerate(dataset[systems_key], 1):
            m = system["metrics"][primary]
            table.add_row(str(rank), system["name"], *(f"{v:.3f}" if v is not None else "–" for v in m.values()))
        console.print(table)


def _fail(exc: Exception) -> None:
    err_console.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


@eval_app.command("classify")
def classify(
    models: Annotated[
        list[str],
        typer.Option(
            help="Model names or folders, comma-separated; 'all' = every shipped model; NAME@int8 = its int8 copy."
        ),
    ],
    data: Annotated[list[Path], typer.Option(help="A .jsonl file or folder; repeat for several data sets.")],
    out: Annotated[Path, typer.Option(help="Folder for results.json, report.md and report.html.")],
    label_map: Annotated[
        list[Path] | None,
        typer.Option(
            help="Label map JSON for data with other labels: once for all, or once per --data ('none': ours)."
        ),
    ] = None,
    primary: Annotated[str, typer.Option(help="Metric ranking the leaderboard.")] = "types_macro_f1",
    batch_size: Annotated[int, typer.Option(help="Batch size, the same for every model.")] = 32,
    resamples: Annotated[int, typer.Option(help="Bootstrap resamples (and randomisation shuffles).")] = 1000,
    seed: Annotated[int, typer.Option(help="Seed of the resampling.")] = 13,
    latency_runs: Annotated[int, typer.Option(help="Single-paragraph calls timed for p50/p95 latency.")] = 20,
    speed: Annotated[bool, typer.Option(help="Measure speed, size and memory.")] = True,
) -> None:
    """Score paragraph labellers with intervals, paired tests, calibration and speed; write the reports."""
    from stancewire.eval.classify import ClassifyConfig, evaluate_classifiers
    from stancewire.models.registry import available_models

    names = _split(models)
    names = [n for name in names for n in (available_models() if name == "all" else [name])]
    maps = [None if str(m).lower() == "none" else m for m in label_map] if label_map else None
    try:
        config = ClassifyConfig(
            primary_metric=primary,
            batch_size=batch_size,
            n_resamples=resamples,
            seed=seed,
            latency_runs=latency_runs,
            measure_speed=speed,
        )
        with _progress() as progress:
            results = evaluate_classifiers(names, data, label_maps=maps, config=config, progress=progress)
    except (FileNotFoundError, ValueError) as exc:
        _fail(exc)
    _leaderboard(results, "models")
    _write(results, out)


@eval_app.command("summarise")
def summarise(
    methods: Annotated[
        list[str], typer.Option(help="Methods, comma-separated: lead,textrank,mmr,llm,hybrid ..., or 'all'.")
    ],
    data: Annotated[Path, typer.Option(help="Our article schema or XSum-style {id, document, summary} JSONL.")],
    out: Annotated[Path, typer.Option(help="Folder for results.json, report.md and report.html.")],
    limit: Annotated[int | None, typer.Option(help="Evaluate only the first N articles.")] = None,
    primary: Annotated[str, typer.Option(help="Metric ranking the leaderboard.")] = "rougeL",
    labeler: Annotated[str | None, typer.Option(help="Paragraph labeller for methods that use labels.")] = None,
    llm: Annotated[str | None, typer.Option(help="LLM for llm/hybrid methods (name or GGUF path).")] = None,
    resamples: Annotated[int, typer.Option(help="Bootstrap resamples (and randomisation shuffles).")] = 1000,
    seed: Annotated[int, typer.Option(help="Seed of the resampling.")] = 13,
) -> None:
    """Score summarisers: ROUGE with intervals, faithfulness before/after the guard, length, time."""
    from stancewire.eval.summarise import SummariseConfig, evaluate_summarisers
    from stancewire.models.summarize.base import method_names

    names = _split(methods)
    names = method_names() if names == ["all"] else names
    try:
        config = SummariseConfig(primary_metric=primary, limit=limit, n_resamples=resamples, seed=seed)
        with _progress() as progress:
            results = evaluate_summarisers(names, data, config=config, labeler=labeler, llm=llm, progress=progress)
    except (FileNotFoundError, ValueError) as exc:
        _fail(exc)
    _leaderboard(results, "methods")
    _write(results, out)


@eval_app.command("compare")
def compare(
    results_a: Annotated[Path, typer.Argument(help="results.json of the earlier run.")],
    results_b: Annotated[Path, typer.Argument(help="results.json of the later run.")],
    all_metrics: Annotated[bool, typer.Option("--all", help="Show every metric, not only flagged ones.")] = False,
) -> None:
    """Show what changed between two runs; flag changes outside the 95% intervals."""
    from stancewire.eval.compare import compare_files

    try:
        comparison = compare_files(results_a, results_b)
    except (FileNotFoundError, ValueError) as exc:
        _fail(exc)
    for note in comparison.notes:
        console.print(f"[yellow]note:[/yellow] {note}", highlight=False)
    shown = comparison.changes if all_metrics else comparison.flagged
    table = Table(title=f"{results_a} -> {results_b}")
    for column in ("data set", "system", "metric", "old [interval]", "new [interval]", "change", "flag"):
        table.add_column(column)
    for c in shown:
        table.add_row(
            c.dataset,
            c.system,
            c.metric,
            _interval(c.old, c.old_low, c.old_high),
            _interval(c.new, c.new_low, c.new_high),
            f"{c.delta:+.3f}" if c.delta is not None else "–",
            "[red]outside interval[/red]" if c.flagged else "",
        )
    console.print(table)
    console.print(f"{len(comparison.flagged)} of {len(comparison.changes)} metrics changed beyond their intervals.")


def _interval(value: float | None, low: float | None, high: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.3f}" + (f" [{low:.3f}, {high:.3f}]" if low is not None and high is not None else "")
