"""Folder throughput: ``label_folder`` on generated articles (about 10 paragraphs each), no summaries.

Articles are generated in a temporary folder (never committed) from fixtures/*.jsonl: each paragraph
joins the first half of one fixture paragraph's sentences with the second half of another's, so nearly
every paragraph is new text (the engine encodes identical inputs once, which would flatter a corpus of
repeats). Files are written as .txt, .md, .html and .json in turn. Reports wall time, articles/s,
paragraphs/s, encoder passes/s (a paragraph costs one pass for its types plus one per target; one pass in
all for a packed model, ``stance_encoding="packed"``) and peak
memory of the whole process (model included).

    .venv/bin/python benchmarks/bench_folder.py --model default --articles 1000 [--quantize | --no-quantize]
"""

from __future__ import annotations

import argparse
import html
import json
import random
import re
import tempfile
import time
from pathlib import Path

from _common import fixture_paragraphs, load_model, machine, peak_rss_mb

from stancewire.inference.analyzer import Analyzer
from stancewire.inference.batch import BatchSettings, label_folder
from stancewire.inference.output import read_records

SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“])")


def new_paragraph(rng: random.Random, pool: list[list[str]]) -> str:
    """The first half of one paragraph's sentences followed by the second half of another's."""
    first, second = rng.choice(pool), rng.choice(pool)
    return " ".join(first[: max(1, len(first) // 2)] + second[len(second) // 2 :])


def write_articles(folder: Path, count: int, seed: int = 0) -> int:
    """Write ``count`` articles of 6 to 14 paragraphs; returns the number of paragraphs written."""
    rng = random.Random(seed)
    pool = [SENTENCE_END.split(text) for text in fixture_paragraphs()]
    total = 0
    for i in range(count):
        paragraphs = [new_paragraph(rng, pool) for _ in range(rng.randint(6, 14))]
        total += len(paragraphs)
        title = f"Generated article {i}"
        kind = ("txt", "md", "html", "json")[i % 4]
        if kind == "txt":
            text = title + "\n\n" + "\n\n".join(paragraphs)
        elif kind == "md":
            text = f"# {title}\n\n*2024-05-01*\n\n" + "\n\n".join(paragraphs)
        elif kind == "html":
            body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
            text = (
                f"<html><head><title>{title}</title></head><body><nav>Home | World | Subscribe</nav>"
                f"<article><h1>{title}</h1>{body}</article><footer>Cookie settings</footer></body></html>"
            )
        else:
            text = json.dumps({"id": f"g{i}", "title": title, "paragraphs": [{"text": p} for p in paragraphs]})
        (folder / f"{i // 100:02d}" / f"article-{i:04d}.{kind}").parent.mkdir(exist_ok=True)
        (folder / f"{i // 100:02d}" / f"article-{i:04d}.{kind}").write_text(text, encoding="utf-8")
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="default", help="Name, folder, or 'untrained-minilm'.")
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--targets", default=None, help="Comma-separated targets; default: the gazetteer's.")
    parser.add_argument(
        "--quantize",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="int8 (--quantize) or full precision (--no-quantize); default: the model's choice, as the CLI.",
    )
    parser.add_argument("--threads", default="auto")
    args = parser.parse_args()

    started = machine()
    threads = args.threads if args.threads == "auto" else int(args.threads)
    analyzer = Analyzer.load(load_model(args.model), summarizer=None, quantize=args.quantize, num_threads=threads)
    targets = None if args.targets is None else [t for t in args.targets.split(",") if t]
    with tempfile.TemporaryDirectory(prefix="stancewire-bench-") as tmp:
        folder = Path(tmp) / "news"
        folder.mkdir()
        written = write_articles(folder, args.articles)
        start, start_cpu = time.perf_counter(), time.process_time()
        report = label_folder(folder, Path(tmp) / "out.jsonl", analyzer, BatchSettings(targets=targets))
        seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - start_cpu
        records = list(read_records(Path(tmp) / "out.jsonl"))
    texts = [p["text"] for r in records for p in r["paragraphs"]]
    packed = getattr(analyzer.engine.labeler.config, "stance_encoding", "pair") == "packed"
    passes = sum(1 if packed else 1 + len(r["targets"]) for r in records for _ in r["paragraphs"])
    import torch

    print(
        json.dumps(
            {
                "model": args.model,
                "quantize": args.quantize,
                "ran_int8": analyzer.engine.quantized,
                "torch_threads": torch.get_num_threads(),
                "machine_at_start": started,
                "load_1min_at_end": machine()["load_1min"],
                "articles": report.articles,
                "failed": report.failed,
                "paragraphs_written": written,
                "paragraphs_labelled": report.paragraphs,
                "distinct_paragraphs": len(set(texts)),
                "targets_per_article": round(sum(len(r["targets"]) for r in records) / max(1, len(records)), 2),
                "stance_encoding": "packed" if packed else "pair",
                "encoder_passes": passes,
                "seconds": round(seconds, 1),
                "cpu_seconds": round(cpu_seconds, 1),
                "articles_per_second": round(report.articles / seconds, 2),
                "paragraphs_per_second": round(report.paragraphs / seconds, 1),
                "encoder_passes_per_second": round(passes / seconds, 1),
                "peak_rss_mb": round(peak_rss_mb(), 1),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
