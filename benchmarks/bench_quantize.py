"""Does int8 quantisation keep accuracy? Types macro-F1 (and stance macro-F1) on a labelled split,
full precision against int8 (per-channel weights, deciding with the thresholds tuned on dev for the int8
network when the model has them), plus how often the two agree, and how often each one's types change
when the same paragraphs are run one per batch instead of in batches of 64.

The rule this measures: quantise by default only if types macro-F1 stays within 0.5 points and the labels
do not depend on batch composition.

    .venv/bin/python benchmarks/bench_quantize.py --model default --data fixtures/test.jsonl
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
from _common import ROOT, load_model, machine
from sklearn.metrics import f1_score

from stancewire.inference.engine import EncoderSettings, LabelEngine
from stancewire.models.schema import load_articles


def scores(engine: LabelEngine, articles) -> tuple[dict, list]:
    """Types macro-F1, stance macro-F1 and the predictions of ``engine`` on gold ``articles``."""
    names = engine.taxonomy.type_names
    start = time.perf_counter()
    predictions = engine.label_groups([([p.text for p in a.paragraphs], a.targets) for a in articles])
    seconds = time.perf_counter() - start
    gold_types, pred_types, gold_stance, pred_stance = [], [], [], []
    for article, labelled in zip(articles, predictions):
        for paragraph, prediction in zip(article.paragraphs, labelled):
            gold_types.append([n in paragraph.types for n in names])
            pred_types.append([n in prediction.types for n in names])
            for target, label in paragraph.stance.items():
                gold_stance.append(label)
                pred_stance.append(prediction.stance[target])
    result = {
        "types_macro_f1": round(
            100 * f1_score(np.array(gold_types), np.array(pred_types), average="macro", zero_division=0), 2
        ),
        "stance_macro_f1": round(100 * f1_score(gold_stance, pred_stance, average="macro", zero_division=0), 2),
        "seconds": round(seconds, 1),
    }
    return result, [p for labelled in predictions for p in labelled]


def changed(batched: list, alone: list) -> float:
    """Share of paragraphs whose predicted types differ between two runs of the same inputs."""
    return round(float(np.mean([a.types != b.types for a, b in zip(batched, alone)])), 4)


def main() -> None:
    """Score the model in full precision and in int8 on the split and print one JSON report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="default", help="Name, folder, or 'untrained-minilm'.")
    parser.add_argument("--data", default=str(ROOT / "fixtures" / "test.jsonl"))
    args = parser.parse_args()
    articles = load_articles(args.data)
    model = load_model(args.model)
    full, full_predictions = scores(LabelEngine(model, EncoderSettings(quantize=False, num_threads="auto")), articles)
    int8, int8_predictions = scores(LabelEngine(model, EncoderSettings(quantize=True)), articles)
    _, full_alone = scores(LabelEngine(model, EncoderSettings(batch_size=1, quantize=False)), articles)
    _, int8_alone = scores(LabelEngine(model, EncoderSettings(batch_size=1, quantize=True)), articles)
    same_types = np.mean([a.types == b.types for a, b in zip(full_predictions, int8_predictions)])
    same_stance = np.mean([a.stance == b.stance for a, b in zip(full_predictions, int8_predictions)])
    report = {
        "model": args.model,
        "data": args.data,
        "paragraphs": len(full_predictions),
        "machine_at_start": machine(),
        "fp32": full,
        "int8": int8,
        "types_macro_f1_drop_points": round(full["types_macro_f1"] - int8["types_macro_f1"], 2),
        "paragraphs_with_identical_types": round(float(same_types), 4),
        "paragraphs_with_identical_stances": round(float(same_stance), 4),
        "int8_thresholds_tuned_on_dev": bool(getattr(getattr(model, "config", None), "int8_thresholds", None)),
        "paragraphs_whose_types_change_alone_vs_batched": {
            "fp32": changed(full_predictions, full_alone),
            "int8": changed(int8_predictions, int8_alone),
        },
    }
    report["quantize_by_default"] = (
        report["types_macro_f1_drop_points"] <= 0.5
        and report["paragraphs_whose_types_change_alone_vs_batched"]["int8"] == 0
    )
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
