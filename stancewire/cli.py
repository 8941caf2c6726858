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
