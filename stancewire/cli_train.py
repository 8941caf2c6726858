"""``stancewire train``: train the classifier or a baseline from a config file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

console = Console()


def train(
    config: Annotated[Path, typer.Option("--config", "-c", help="Training config (YAML or JSON).")],
    output_dir: Annotated[Path | None, typer.Option(help="Override the config's output_dir.")] = None,
    full: Annotated[
        bool,
        typer.Option(
            "--full",
            help="Fine-tune every weight instead of a LoRA adapter (it wants a lower learning_rate than LoRA, about "
            "1e-4: training/configs/full.yaml).",
        ),
    ] = False,
) -> None:
    """Train a paragraph labeller (the fine-tuned classifier or a baseline) and write it with a model card."""
    from stancewire.training.config import TrainingConfig
    from stancewire.training.run import train as run_training

    try:
        settings = TrainingConfig.from_file(config)
        if output_dir is not None or full:
            settings = TrainingConfig.from_dict(
                {
                    **settings.to_dict(),
                    **({"output_dir": str(output_dir)} if output_dir else {}),
                    "full": full or settings.full,
                }
            )
        result = run_training(settings, progress=True)
    except (FileNotFoundError, ValueError) as exc:
        console.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(2) from None
    table = Table(title=f"{settings.model} -> {result.output_dir}")
    for column in ("split", "types macro-F1", "types micro-F1", "stance F1 (favor/against)", "stance macro-F1"):
        table.add_column(column)
    for split, values in result.metrics.items():
        table.add_row(
            split,
            *(f"{values[k]:.3f}" for k in ("types_macro_f1", "types_micro_f1", "stance_fa_f1", "stance_macro_f1")),
        )
    console.print(table)
    console.print(f"Trained in {result.seconds / 60:.1f} min; model card: {result.output_dir / 'README.md'}")
