"""The model card (``README.md``) written beside a trained model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stancewire.models.versions import current_versions
from stancewire.training.config import TrainingConfig


def write_model_card(
    directory: Path,
    config: TrainingConfig,
    metrics: dict[str, dict[str, float]],
    seconds: float,
    epochs_run: float,
    stats: dict[str, Any],
    notes: list[str] | None = None,
) -> Path:
    """Write ``README.md`` with scores per split, training time, data statistics and the settings.

    ``notes`` are sentences printed under the scores table (for example the int8 verdict).
    """
    if config.model == "paragraph-classifier":
        method = f"Encoder `{config.base_model}`, " + (
            "full fine-tuning" if config.full else f"LoRA r={config.lora_r}"
        )
    elif config.model == "ensemble":
        members = ", ".join(f"`{m}`" for m in config.members or [])
        method = f"Weighted average of {members} (weights chosen on dev)"
    else:
        method = f"Baseline `{config.model}` (logistic regression on fixed features)"
    lines = [
        f"# stancewire {config.model} ({directory.name})",
        "",
        "Types (multi-label) and stance toward each target for news paragraphs about armed conflicts.",
        f"{method}; per-label thresholds tuned on dev.",
        "",
        "## Scores",
        "",
        "| split | types macro-F1 | types micro-F1 | stance F1 (favor/against) | stance macro-F1 (3 classes) |",
        "|---|---|---|---|---|",
    ]
    for split, values in metrics.items():
        lines.append(
            f"| {split} | {values['types_macro_f1']:.3f} | {values['types_micro_f1']:.3f} | "
            f"{values['stance_fa_f1']:.3f} | {values['stance_macro_f1']:.3f} |"
        )
    if any("int8" in split for split in metrics):
        lines += [
            "",
            "Rows marked int8: the same model with its Linear layers in int8 (`quantize=True`: per-channel "
            "weights, input ranges calibrated on training paragraphs), deciding with its own thresholds tuned on dev.",
        ]
    for note in notes or []:
        lines += ["", note]
    lines += [
        "",
        f"Training time: {seconds / 60:.1f} min on a 2-core CPU"
        + (f" ({epochs_run:g} epochs, early stopping on dev)." if epochs_run else "."),
        "",
        "## Data",
        "",
        "| split | articles | paragraphs | favor | against | none |",
        "|---|---|---|---|---|---|",
    ]
    for split, values in stats.items():
        stance = values["stance"]
        lines.append(
            f"| {split} | {values['articles']} | {values['paragraphs']} | {stance.get('favor', 0)} | "
            f"{stance.get('against', 0)} | {stance.get('none', 0)} |"
        )
    if "train" in stats:
        lines += ["", "Positive paragraphs per type in train: "]
        lines.append(", ".join(f"{k} {v}" for k, v in stats["train"]["types"].items()) + ".")
    lines += ["", "## Settings", "", "```"]
    lines += [f"{k}: {v}" for k, v in config.to_dict().items()]
    lines += ["```", "", "Versions: " + ", ".join(f"{k} {v}" for k, v in current_versions().items()) + ".", ""]
    path = directory / "README.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
