"""What do LLM silver labels buy the fast classifier? Gold-only vs gold+silver vs gold+confident silver.

The experiment reads as its steps:

1. split the training articles into a small **gold** part (e.g. 30%, stratified by conflict) and the rest;
2. label the rest with the LLM (:func:`~stancewire.training.silver_run.run_silver`, worked examples drawn
   from the gold part only) and score those **silver** labels against the hidden gold labels;
3. train the chosen model kind three times: on gold only, on gold + all silver, and on gold + silver whose
   confidence reaches the threshold;
4. score each on the test set with 95% bootstrap intervals over articles, and test each against gold-only
   with a paired bootstrap / randomisation test.

Run ``python -m stancewire.training.distill_experiment --llm llama-cpp --model-kind tfidf-logreg --out runs/distill``.
The LLM answers are cached in the output folder, so a rerun (another model kind, another threshold) costs no
LLM call. Results go to ``results.json`` and ``results.md`` there.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import random
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from stancewire.eval.bootstrap import paired_test
from stancewire.eval.classify import ClassificationEvaluator, ClassifyConfig, EvalDataset, load_dataset
from stancewire.eval.scoring import classifier_metrics
from stancewire.models.predictions import ParagraphPrediction
from stancewire.models.schema import Article, Paragraph, load_articles
from stancewire.models.taxonomy import load_taxonomy
from stancewire.training.config import MODEL_KINDS, TrainingConfig
from stancewire.training.run import train
from stancewire.training.silver_run import SilverConfig, run_silver

METRICS = ("types_macro_f1", "types_micro_f1", "stance_semeval_f1", "stance_macro_f1")
"""Reported metrics: types macro/micro-F1, stance F1 over favor/against (SemEval) and over all three classes."""


@dataclasses.dataclass
class ExperimentConfig:
    """Settings of one distillation experiment.

    Example:
        >>> ExperimentConfig(out="runs/distill").gold_share
        0.3
    """

    out: str
    llm: str = "llama-cpp"
    model_kind: str = "tfidf-logreg"
    train: str = "fixtures/train.jsonl"
    dev: str = "fixtures/dev.jsonl"
    test: str = "fixtures/test.jsonl"
    gold_share: float = 0.3
    threshold: float = 0.5
    keep_share: float | None = None
    max_silver_articles: int | None = None
    silver_weight: float = 0.5
    shots: int = 3
    confidence: str = "auto"
    k: int = 3
    seed: int = 13
    n_resamples: int = 1000

    def __post_init__(self) -> None:
        if self.model_kind not in MODEL_KINDS:
            raise ValueError(f"model_kind must be one of {list(MODEL_KINDS)}; got {self.model_kind!r}.")
        if not 0 < self.gold_share < 1:
            raise ValueError(f"gold_share must be between 0 and 1 (e.g. 0.3); got {self.gold_share}.")
        if self.keep_share is not None and not 0 < self.keep_share <= 1:
            raise ValueError(
                f"keep_share must be in (0, 1] (e.g. 0.5 keeps the most confident half); got {self.keep_share}."
            )


def split_gold(articles: Sequence[Article], share: float, seed: int) -> tuple[list[Article], list[Article]]:
    """``share`` of the articles of each conflict (at least one) as gold; the rest, shuffled, to be silver-labelled."""
    rng = random.Random(seed)
    by_conflict: dict[str, list[Article]] = {}
    for article in articles:
        by_conflict.setdefault(article.conflict, []).append(article)
    gold, rest = [], []
    for conflict in sorted(by_conflict):
        group = sorted(by_conflict[conflict], key=lambda a: a.id)
        rng.shuffle(group)
        cut = max(1, round(share * len(group)))
        gold += group[:cut]
        rest += group[cut:]
    rng.shuffle(rest)  # conflicts mixed, so that a cap on silver articles keeps every conflict
    return gold, rest


def run_experiment(config: ExperimentConfig, progress=None, llm: Any = None) -> dict[str, Any]:
    """Split, silver-label, score the silver labels, train three variants and score them on test.

    Args:
        config: The experiment's settings.
        progress: Called with ``(done, total)`` paragraphs while silver-labelling.
        llm: A chat model object to use instead of ``config.llm`` (tests pass a fake).
    """
    started, out = time.perf_counter(), Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    taxonomy = load_taxonomy("default")
    gold, rest = split_gold(load_articles(config.train, taxonomy), config.gold_share, config.seed)
    rest = rest[: config.max_silver_articles] if config.max_silver_articles is not None else rest
    _write(out / "gold.jsonl", gold)
    _write(out / "unlabelled.jsonl", [_unlabelled(a) for a in rest])
    silver_settings = SilverConfig(
        llm=config.llm, examples=str(out / "gold.jsonl"), shots=config.shots, confidence=config.confidence, k=config.k
    )
    labelling_started = time.perf_counter()
    silver = run_silver(out / "unlabelled.jsonl", out / "silver.jsonl", silver_settings, llm=llm, progress=progress)
    labelling_seconds = time.perf_counter() - labelling_started
    silver_articles = load_articles(out / "silver.jsonl", taxonomy)
    threshold = resolve_threshold(config, silver_articles)
    quality = silver_quality(rest, silver_articles, threshold, config.n_resamples, config.seed)
    variants = {"gold only": None, "gold + silver": 0.0, f"gold + silver (confidence >= {threshold:.3g})": threshold}
    test = load_dataset(config.test, taxonomy=taxonomy)
    evaluator = ClassificationEvaluator(test, ClassifyConfig(n_resamples=config.n_resamples, seed=config.seed))
    reports, rows = {}, {}
    for name, floor in variants.items():
        model_dir = out / "models" / _slug(name)
        result = train(_training_config(config, out, model_dir, floor))
        reports[name] = evaluator.evaluate(result.model)
        rows[name] = {
            "silver_paragraphs": 0 if floor is None else _count_kept(silver_articles, floor),
            **{m: reports[name]["metrics"][m] for m in METRICS},
            "train_seconds": round(result.seconds, 1),
        }
    baseline = reports["gold only"]["_stats"]
    for name in list(variants)[1:]:
        tests = paired_test(
            reports[name]["_stats"], baseline, classifier_metrics, METRICS, n_resamples=config.n_resamples
        )
        rows[name]["vs_gold_only"] = {m: r.to_dict() for m, r in tests.items()}
    results = {
        "config": dataclasses.asdict(config),
        "threshold": threshold,
        "data": {
            "gold_articles": len(gold),
            "gold_paragraphs": sum(len(a.paragraphs) for a in gold),
            "silver_articles": len(rest),
            "silver_paragraphs": silver.paragraphs,
            "test_articles": len(test.articles),
        },
        "silver_run": {**silver.to_dict(), "seconds": round(labelling_seconds, 1)},
        "silver_quality": quality,
        "variants": rows,
        "silver_weighting": f"weighted rows (weight {config.silver_weight:g})",
        "seconds": round(time.perf_counter() - started, 1),
    }
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    (out / "results.md").write_text(results_markdown(results), encoding="utf-8")
    return results


def resolve_threshold(config: ExperimentConfig, silver: Sequence[Article]) -> float:
    """``config.threshold``, or with ``keep_share`` the confidence that keeps that share of silver paragraphs.

    A small model's raw token probabilities are low across the board, so a fixed threshold can keep nothing;
    a share is comparable across models.
    """
    if config.keep_share is None:
        return config.threshold
    confidences = sorted((p.confidence or 0.0 for a in silver for p in a.paragraphs), reverse=True)
    if not confidences:
        return config.threshold
    return float(confidences[max(0, math.ceil(config.keep_share * len(confidences)) - 1)])


def silver_quality(
    hidden: Sequence[Article], silver: Sequence[Article], threshold: float, n_resamples: int = 1000, seed: int = 13
) -> dict[str, Any]:
    """Silver labels scored against the hidden gold labels: all of them, and those above the threshold."""
    gold_by_text = {(a.id, p.text): p for a in hidden for p in a.paragraphs}
    out = {}
    for name, floor in (("all", 0.0), (f"confidence >= {threshold:.3g}", threshold)):
        articles, predictions = [], []
        for article in silver:
            kept = [
                p
                for p in article.paragraphs
                if (p.confidence or 0.0) >= floor and (article.id, p.text) in gold_by_text
            ]
            if not kept:
                continue
            gold = [gold_by_text[(article.id, p.text)] for p in kept]
            articles.append(dataclasses.replace(article, paragraphs=gold))
            predictions.append([ParagraphPrediction(p.text, list(p.types), {}, dict(p.stance)) for p in kept])
        if not articles:
            out[name] = {"paragraphs": 0}
            continue
        dataset = EvalDataset(name=f"silver-{name}", articles=articles, labels=load_taxonomy("default").type_names)
        evaluator = ClassificationEvaluator(dataset, ClassifyConfig(n_resamples=n_resamples, seed=seed))
        report = evaluator.evaluate(_SilverModel(), predictions=predictions)
        out[name] = {
            "paragraphs": sum(len(a.paragraphs) for a in articles),
            **{m: report["metrics"][m] for m in METRICS},
        }
    return out


class _SilverModel:
    """Stands in for a model when scoring ready-made silver predictions."""

    name = "silver"
    taxonomy = load_taxonomy("default")


def _training_config(config: ExperimentConfig, out: Path, model_dir: Path, floor: float | None) -> TrainingConfig:
    silver_file = str(out / "silver.jsonl") if floor is not None else None  # every trainer weighs silver rows
    return TrainingConfig(
        train=str(out / "gold.jsonl"),
        dev=config.dev,
        test=config.test,
        output_dir=str(model_dir),
        model=config.model_kind,
        seed=config.seed,
        silver=silver_file,
        silver_weight=config.silver_weight,
        silver_min_confidence=floor or 0.0,
    )


def _kept(article: Article, floor: float) -> list[Paragraph]:
    return [p for p in article.paragraphs if (p.confidence or 0.0) >= floor]


def _count_kept(articles: Sequence[Article], floor: float) -> int:
    return sum(len(_kept(a, floor)) for a in articles)


def _unlabelled(article: Article) -> Article:
    return dataclasses.replace(article, paragraphs=[Paragraph(p.text) for p in article.paragraphs])


def _write(path: Path, articles: Sequence[Article]) -> None:
    path.write_text("".join(json.dumps(a.to_dict(), ensure_ascii=False) + "\n" for a in articles), encoding="utf-8")


def _slug(name: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in name).strip("-").replace("--", "-")


def _cell(estimate: dict[str, float | None]) -> str:
    if estimate.get("value") is None:
        return "n/a"
    return f"{estimate['value']:.3f} [{estimate['low']:.3f}, {estimate['high']:.3f}]"


def results_markdown(results: dict[str, Any]) -> str:
    """The results as Markdown tables: silver quality, and test scores of the three variants."""
    config, data, run = results["config"], results["data"], results["silver_run"]
    lines = [
        f"LLM `{run['model']}` ({run['method']}, prompt `{run['prompt']}`), model kind `{config['model_kind']}`, "
        f"gold share {config['gold_share']}, seed {config['seed']}; silver {results['silver_weighting']}.",
        "",
        f"Gold: {data['gold_articles']} articles / {data['gold_paragraphs']} paragraphs. Silver: "
        f"{run['labelled']} of {data['silver_paragraphs']} paragraphs labelled ({run['failed']} failed), "
        f"{run['llm_calls']} LLM calls in {run['seconds'] / 60:.1f} min. Test: {data['test_articles']} articles.",
        "",
        "Silver labels against the hidden gold labels (95% bootstrap intervals over articles):",
        "",
        "| silver subset | paragraphs | types macro-F1 | types micro-F1 | stance F1 (favor/against) "
        "| stance macro-F1 |",
        "|---|---|---|---|---|---|",
    ]
    for name, row in results["silver_quality"].items():
        cells = [_cell(row[m]) for m in METRICS] if row["paragraphs"] else ["n/a"] * len(METRICS)
        lines.append(f"| {name} | {row['paragraphs']} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Test scores of the distilled classifier (95% bootstrap intervals over articles; p from a paired "
        "randomisation test against gold only):",
        "",
        "| training data | silver paragraphs | types macro-F1 | types micro-F1 | stance F1 (favor/against) "
        "| stance macro-F1 | Δ types macro-F1 vs gold only (p) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, row in results["variants"].items():
        delta = row.get("vs_gold_only", {}).get("types_macro_f1")
        change = (
            ""
            if delta is None
            else f"{delta['delta']:+.3f} [{delta['low']:+.3f}, {delta['high']:+.3f}] (p={delta['p_value']:.2f})"
        )
        lines.append(
            f"| {name} | {row['silver_paragraphs']} | " + " | ".join(_cell(row[m]) for m in METRICS) + f" | {change} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m stancewire.training.distill_experiment --llm SPEC --model-kind KIND --out DIR``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    defaults = ExperimentConfig(out="runs/distill")
    parser.add_argument("--out", default=defaults.out, help="Output folder (data splits, silver, models, results).")
    parser.add_argument("--llm", default=defaults.llm, help="LLM spec, e.g. llama-cpp or openai:URL#MODEL.")
    parser.add_argument("--model-kind", default=defaults.model_kind, choices=MODEL_KINDS)
    for name in ("train", "dev", "test"):
        parser.add_argument(f"--{name}", default=getattr(defaults, name), help=f"{name} data (JSONL).")
    parser.add_argument("--gold-share", type=float, default=defaults.gold_share, help="Share of train kept as gold.")
    parser.add_argument("--threshold", type=float, default=defaults.threshold, help="Silver confidence threshold.")
    parser.add_argument(
        "--silver-weight", type=float, default=defaults.silver_weight, help="Loss weight of silver rows."
    )
    parser.add_argument("--keep-share", type=float, default=None, help="Set the threshold to keep this share.")
    parser.add_argument("--max-silver-articles", type=int, default=None, help="Label only this many articles.")
    parser.add_argument("--shots", type=int, default=defaults.shots, help="Worked examples per paragraph.")
    parser.add_argument("--confidence", default=defaults.confidence, help="auto, logprobs or agreement.")
    parser.add_argument("--k", type=int, default=defaults.k, help="Samples for the agreement confidence.")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--n-resamples", type=int, default=defaults.n_resamples, help="Bootstrap resamples.")
    args = parser.parse_args(argv)
    config = ExperimentConfig(**{k.replace("-", "_"): v for k, v in vars(args).items()})
    results = run_experiment(config, progress=_print_progress)
    print()
    print(results_markdown(results))
    return 0


def _print_progress(done: int, total: int) -> None:
    if done == total or done % 25 == 0:
        print(f"silver: {done}/{total} paragraphs", flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
