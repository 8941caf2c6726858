"""The ``stancewire`` command line. Each command parses its arguments, calls one library function and
prints what it returns; the library itself never prints."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

import stancewire

app = typer.Typer(help="Label, summarise and evaluate news about armed conflicts.", no_args_is_help=True)
data_app = typer.Typer(help="Validate and describe labelled data files.", no_args_is_help=True)
app.add_typer(data_app, name="data")
console = Console()
err_console = Console(stderr=True)


def _version_callback(value: bool) -> None:
    if value:
        console.print(f"stancewire {stancewire.__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version_callback, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """stancewire: paragraph types, stance per target, faithful summaries, and model evaluation."""


@data_app.command("check")
def data_check(
    path: Annotated[Path, typer.Argument(help="A .jsonl file or a folder of split files (train/dev/test.jsonl).")],
    taxonomy: Annotated[
        str, typer.Option(help="'default' or a taxonomy JSON/YAML file whose labels are accepted.")
    ] = "default",
    max_problems: Annotated[int, typer.Option(help="Print at most this many problems.")] = 200,
) -> None:
    """Validate labelled files and print label counts per split. Exit code 1 on any problem."""
    from stancewire.cli_render import split_table
    from stancewire.training.checks import check_data

    try:
        report = check_data(path, taxonomy=stancewire.load_taxonomy(taxonomy))
    except (FileNotFoundError, ValueError) as exc:
        err_console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    console.print(split_table(report.splits, stancewire.load_taxonomy(taxonomy)))
    for problem in report.problems[:max_problems]:
        err_console.print(f"[red]error:[/red] {problem}", highlight=False, soft_wrap=True)
    if len(report.problems) > max_problems:
        err_console.print(f"... and {len(report.problems) - max_problems} more problems.")
    if not report.ok:
        err_console.print(f"[red]{len(report.problems)} problem(s) found.[/red]")
        raise typer.Exit(1)
    console.print("[green]No problems found.[/green]")


@data_app.command("split")
def data_split(
    sources: Annotated[list[Path], typer.Argument(help="Labelled article files or folders to split.")],
    out: Annotated[Path, typer.Option(help="Folder for train.jsonl, dev.jsonl and test.jsonl.")],
    seed: Annotated[int, typer.Option(help="First seed of the search for a well-stratified split.")] = 0,
) -> None:
    """Split articles 70/15/15 by article, stratified by conflict, with every label in every split."""
    from stancewire.training.splits import split_articles, write_splits

    try:
        articles = [a for source in sources for a in stancewire.load_articles(source)]
    except (FileNotFoundError, ValueError) as exc:
        err_console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    plan = split_articles(articles, seed=seed)
    for split, path in write_splits(plan, out).items():
        console.print(f"{split}: {len(plan.splits[split])} articles -> {path}")
    console.print(f"seed {plan.seed}; worst label coverage {plan.worst_coverage:.2f} (1.00 = perfectly proportional)")


@data_app.command("agreement")
def data_agreement(
    gold: Annotated[Path, typer.Argument(help="Gold data (file or folder of split files).")],
    second: Annotated[Path, typer.Argument(help="Second annotator's labels of a sample (JSONL).")],
) -> None:
    """Cohen's kappa per label between gold labels and a second annotator's blind labels."""
    from stancewire.cli_render import agreement_table
    from stancewire.training.agreement import agreement

    try:
        rows = agreement(gold, second)
    except (FileNotFoundError, ValueError) as exc:
        err_console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    console.print(agreement_table(rows))


DocumentsOption = Annotated[
    Path, typer.Option(help="JSON lines {id, document} (paragraphs separated by newlines), e.g. an XSum file.")
]


@data_app.command("attach-text")
def data_attach_text(
    standoff: Annotated[Path, typer.Argument(help="Stand-off labels: document ids, line numbers, hashes, labels.")],
    documents: DocumentsOption,
    out: Annotated[Path, typer.Option(help="Where to write the labelled articles (JSONL, our schema).")],
) -> None:
    """Join stand-off labels with the external documents they label, for evaluation runs (never commit OUT)."""
    from stancewire.eval.standoff import attach_file

    _run_standoff(lambda: attach_file(standoff, documents, out), out)


@data_app.command("strip-text")
def data_strip_text(
    labelled: Annotated[Path, typer.Argument(help="Labelled articles whose ids are PREFIX + document id.")],
    documents: DocumentsOption,
    out: Annotated[Path, typer.Option(help="Where to write the stand-off labels (JSONL without any text).")],
    prefix: Annotated[str, typer.Option(help="Prefix of the article ids before the document id.")] = "xsum-",
) -> None:
    """Keep only labels, line numbers and hashes of labelled external articles, so the labels can be shared."""
    from stancewire.eval.standoff import strip_file

    _run_standoff(lambda: strip_file(labelled, documents, out, prefix=prefix), out)


def _run_standoff(job, out: Path) -> None:
    try:
        count = job()
    except (FileNotFoundError, ValueError) as exc:
        err_console.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    console.print(f"{count} articles -> {out}")


def _register_commands() -> None:
    """Attach the commands defined in their own modules (each keeps its heavy imports inside the command)."""
    from stancewire import cli_label, cli_silver, cli_summarise, cli_train
    from stancewire.cli_eval import eval_app

    app.command("label")(cli_label.label)
    app.command("summarise")(cli_summarise.summarise)
    app.command("serve")(cli_label.serve)
    app.command("train")(cli_train.train)
    app.command("silver")(cli_silver.silver)
    app.add_typer(cli_silver.review_app, name="review")
    app.add_typer(eval_app, name="eval")


_register_commands()


def main() -> None:
    """Entry point of the ``stancewire`` console script."""
    app()


__all__ = ["app", "main"]
