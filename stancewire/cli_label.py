"""``stancewire label`` (a folder of articles) and ``stancewire serve`` (the HTTP service)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

# --quantize / --no-quantize, or neither: the model's own choice (int8_default in its config.json).
QuantizeOption = Annotated[
    bool | None,
    typer.Option(
        "--quantize/--no-quantize",
        help="int8 encoder (~1.8x faster) or full precision; default: the model's choice (shipped default: int8).",
    ),
]

console = Console()
err_console = Console(stderr=True)


def label(
    folder: Annotated[Path, typer.Argument(help="Folder of .txt/.md/.html/.json/.jsonl articles (read recursively).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output file; errors.jsonl is written beside it.")],
    summarise: Annotated[
        bool, typer.Option("--summarise", "--summarize", help="Also summarise every article.")
    ] = False,
    targets: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated stance targets for every article. Default: the article's own (JSON), "
            "else the actors the gazetteer finds plus 'ceasefire'."
        ),
    ] = None,
    workers: Annotated[int, typer.Option(help="Summary worker threads (each loads its own LLM).")] = 1,
    resume: Annotated[bool, typer.Option(help="Continue an earlier run: skip articles already in --out.")] = False,
    overwrite: Annotated[bool, typer.Option(help="Replace an existing --out instead of refusing.")] = False,
    output_format: Annotated[
        str | None, typer.Option("--format", help="jsonl (default), csv or parquet; --engine ray: parquet only.")
    ] = None,
    model: Annotated[str, typer.Option(help="Labeller name or saved model folder.")] = "default",
    summarizer: Annotated[str, typer.Option(help="Summarisation method (with --summarise).")] = "label-aware",
    llm: Annotated[str | None, typer.Option(help="LLM spec for LLM summarisers, e.g. 'llama-cpp:/m.gguf'.")] = None,
    max_mb: Annotated[float, typer.Option(help="Refuse files larger than this many megabytes.")] = 5.0,
    quantize: QuantizeOption = None,
    threads: Annotated[
        str, typer.Option(help="Torch threads: a number, or 'auto' (one per idle core); --engine ray: per actor.")
    ] = "auto",
    engine: Annotated[
        str, typer.Option(help="local (this process) or ray (Ray Data; needs the 'ray' extra, see docs/scaling.md).")
    ] = "local",
    address: Annotated[
        str | None,
        typer.Option(
            help="--engine ray: 'auto' (this machine's cluster) or ray://HOST:PORT; default: start Ray here."
        ),
    ] = None,
    actors: Annotated[
        int | None, typer.Option(help="--engine ray: labelling actors, each loading the model once (default 2).")
    ] = None,
) -> None:
    """Label every article under FOLDER: one record per article, resumable, with a closing report.

    With --engine ray, OUT is a folder of Parquet shards (plus errors.jsonl) and summaries run in --workers
    actors. Exit code 0 when every file was labelled, 1 when some failed (see errors.jsonl), 2 on a usage error.
    """
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from stancewire.inference.batch import BatchSettings
    from stancewire.inference.ray_engine import RayNotInstalled

    try:
        if engine not in ENGINE_FORMATS:
            raise ValueError(f"Unknown --engine {engine!r}; expected one of {sorted(ENGINE_FORMATS)}.")
        settings = BatchSettings(
            targets=[t.strip() for t in targets.split(",") if t.strip()] if targets is not None else None,
            summarise=summarise,
            workers=workers,
            resume=resume,
            overwrite=overwrite,
            format=output_format or ENGINE_FORMATS[engine],
            max_bytes=int(max_mb * 1_000_000),
        )
        options = {"model": model, "summarizer": summarizer, "llm": llm, "quantize": quantize, "threads": threads}
        if engine == "ray":
            run = _ray_run(folder, out, settings, address=address, actors=actors, **options)
        elif address is not None or actors is not None:
            raise ValueError("--address and --actors go with --engine ray; add --engine ray or leave them out.")
        else:
            run = _local_run(folder, out, settings, **options)
    except (FileNotFoundError, ValueError, TypeError, RayNotInstalled) as exc:
        err_console.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False)  # "[ray]" is not markup
        raise typer.Exit(2) from None
    columns = (
        TextColumn("[bold]labelling"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("files · {task.fields[rates]}"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err_console, transient=False) as bar:
        task = bar.add_task("label", total=None, rates="")

        def show(state) -> None:
            seconds = max(state.seconds, 1e-6)
            rates = f"{state.articles / seconds:.1f} articles/s · {state.paragraphs / seconds:.0f} paragraphs/s"
            bar.update(task, total=state.files_total, completed=state.files_done, rates=rates)

        try:
            report = run(show)
        except (FileExistsError, NotADirectoryError, ValueError) as exc:
            err_console.print(f"[red]error:[/red] {exc}", highlight=False)
            raise typer.Exit(2) from None
    console.print(_report_table(report))
    for failure in report.failures[:10]:
        where = failure["path"] + (f":{failure['line']}" if failure.get("line") else "")
        err_console.print(f"[red]failed:[/red] {where}: {failure['reason']}", highlight=False, soft_wrap=True)
    if report.failed:
        err_console.print(f"[red]{report.failed} failed[/red]; every reason is in {report.errors_path}.")
        raise typer.Exit(1)


ENGINE_FORMATS = {"local": "jsonl", "ray": "parquet"}  # --engine -> its default --format


def _local_run(folder: Path, out: Path, settings, *, model, summarizer, llm, quantize, threads):
    """Load the model here; returns ``progress -> report`` running the local engine."""
    from stancewire.inference.analyzer import Analyzer
    from stancewire.inference.batch import label_folder

    method = summarizer if settings.summarise else None  # labelling alone never builds a summariser or an LLM
    analyzer = Analyzer.load(model, summarizer=method, llm=llm, quantize=quantize, num_threads=_threads(threads))
    return lambda show: label_folder(folder, out, analyzer, settings, progress=show)


def _ray_run(folder: Path, out: Path, settings, *, model, summarizer, llm, quantize, threads, address, actors):
    """Check Ray is there; returns ``progress -> report`` running the Ray engine (the actors load the model)."""
    import logging

    from stancewire.inference.ray_engine import RaySettings, check_ray_settings, label_folder_ray, require_ray
    from stancewire.inference.stages import AnalyzerRecipe

    check_ray_settings(settings)
    require_ray()
    per_actor = _threads(threads)
    ray_settings = RaySettings(
        address=address, actors=2 if actors is None else actors, cpus_per_actor=1 if per_actor == "auto" else per_actor
    )
    recipe = AnalyzerRecipe(model=model, summarizer=summarizer, llm=llm, quantize=quantize)
    logging.getLogger("ray.data").setLevel(logging.WARNING)  # the CLI draws its own progress; keep Ray's INFO out
    return lambda show: label_folder_ray(folder, out, recipe, settings, ray_settings, progress=show)


def _report_table(report) -> Table:
    table = Table(title=f"{report.out}  ({report.seconds:.1f} s)")
    table.add_column("count")
    table.add_column("n", justify="right")
    rows = [
        ("files", report.files),
        ("articles labelled", report.articles),
        ("paragraphs labelled", report.paragraphs),
        ("already done (resume)", report.already_done),
        ("skipped", report.skipped),
        ("errors", report.failed),
    ]
    rows += [(f"type: {name}", n) for name, n in sorted(report.type_counts.items())]
    rows += [(f"stance: {name}", n) for name, n in sorted(report.stance_counts.items())]
    for name, n in rows:
        table.add_row(name, str(n), style="red" if name == "errors" and n else None)
    return table


def serve(
    host: Annotated[
        str, typer.Option(help="Address to listen on; anything but loopback needs an API key.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    model: Annotated[str, typer.Option(help="Labeller name or saved model folder.")] = "default",
    summarizer: Annotated[
        str, typer.Option(help="Summarisation method for /v1/summarise and /v1/analyze.")
    ] = "label-aware",
    llm: Annotated[str | None, typer.Option(help="LLM spec for LLM summarisers.")] = None,
    quantize: QuantizeOption = None,
    threads: Annotated[str, typer.Option(help="Torch threads: a number, or 'auto' (one per idle core).")] = "auto",
    max_body_kb: Annotated[int, typer.Option(help="Largest request body, in kilobytes (413 beyond).")] = 1000,
    llm_timeout: Annotated[float, typer.Option(help="Seconds a summary may take before a 504.")] = 120.0,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
) -> None:
    """Serve the labeller and summariser over HTTP (FastAPI; docs at /docs).

    The API key, if any, is read from the STANCEWIRE_API_KEY environment variable.
    """
    import uvicorn

    from stancewire.inference.analyzer import Analyzer
    from stancewire.inference.server import API_KEY_ENV, ServerSettings, check_bind, create_app

    api_key = os.environ.get(API_KEY_ENV) or None
    try:
        check_bind(host, api_key)
        settings = ServerSettings(max_body_bytes=max_body_kb * 1000, llm_timeout=llm_timeout)
        analyzer = Analyzer.load(
            model, summarizer=summarizer, llm=llm, quantize=quantize, num_threads=_threads(threads)
        )
    except (FileNotFoundError, ValueError, TypeError) as exc:
        err_console.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(2) from None
    uvicorn.run(create_app(analyzer, settings, api_key=api_key), host=host, port=port, log_level=log_level)


def _threads(value: str) -> int | str:
    if value == "auto":
        return value
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"--threads must be a positive number or 'auto'; got {value!r}.")
    return int(value)
