"""Paragraphs/s of ``Analyzer.label`` against a plain transformers loop over the same weights, in one run.

The plain loop is what one writes first: for each paragraph, tokenise it alone and run the network (types),
then once more per target (stance), under ``torch.no_grad``, no sorting or batching (a packed model: one row
per paragraph with its targets). ``Analyzer.label``
sorts every paragraph and (target, paragraph) pair by token length, pads each batch to its own longest row
and runs under ``torch.inference_mode``; the int8 variant is ``quantize=True`` (calibrated when the model
carries int8 ranges). The variants alternate for ``--repeats`` rounds so that a loaded machine slows them alike.

    .venv/bin/python benchmarks/bench_label.py --model default --paragraphs 300 --targets Israel,ceasefire
"""

from __future__ import annotations

import argparse
import json
import time

import torch
from _common import load_model, machine, peak_rss_mb, sample_paragraphs

from stancewire.inference.analyzer import Analyzer
from stancewire.inference.engine import idle_cores
from stancewire.models.packed_inputs import packed_row, pad_packed


def plain_loop(model, texts: list[str], targets: list[str]) -> list[list[float]]:
    """One paragraph (and one pair) at a time through ``model.network``; returns type probabilities.

    For a packed model (``stance_encoding="packed"``) the plain loop runs what that model computes, one row per
    paragraph holding the paragraph and its targets, so the ratio compares like with like.
    """
    tokenizer, network, max_length = model.tokenizer, model.network, model.config.max_length
    network.eval()
    out = []
    with torch.no_grad():
        for text in texts:
            if model.config.stance_encoding == "packed":
                row = pad_packed([packed_row(tokenizer, text, targets, max_length)], tokenizer.pad_token_id or 0)
                output = network(**row, all_blocks=True)
                output["stance_logits"].softmax(-1)
                out.append(torch.sigmoid(output["type_logits"])[0].tolist())
                continue
            encoded = tokenizer(text, truncation=True, max_length=max_length, return_tensors="pt")
            out.append(torch.sigmoid(network(**encoded)["type_logits"])[0].tolist())
            for target in targets:
                pair = tokenizer(target, text, truncation="only_second", max_length=max_length, return_tensors="pt")
                network(**pair)["stance_logits"].softmax(-1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="default", help="Name, folder, or 'untrained-minilm'.")
    parser.add_argument("--paragraphs", type=int, default=300)
    parser.add_argument("--targets", default="Israel,ceasefire", help="Comma-separated stance targets.")
    parser.add_argument("--threads", default="auto", help="Torch threads for every variant: a number or 'auto'.")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()

    started = machine()
    threads = idle_cores() if args.threads == "auto" else int(args.threads)
    torch.set_num_threads(threads)
    model = load_model(args.model)
    targets = [t for t in args.targets.split(",") if t]
    texts = sample_paragraphs(args.paragraphs)
    fast = Analyzer.load(model, summarizer=None, num_threads=None, quantize=False)
    int8 = Analyzer.load(model, summarizer=None, num_threads=None, quantize=True)
    variants = {
        "plain_loop": lambda: plain_loop(model, texts, targets),
        "analyzer_fp32": lambda: fast.label(texts, targets=targets),
        "analyzer_int8": lambda: int8.label(texts, targets=targets),
    }
    plain_loop(model, texts[:8], targets)  # warm-up: first calls allocate and pick kernels
    fast.label(texts[:8], targets=targets)
    int8.label(texts[:8], targets=targets)
    seconds = {name: 0.0 for name in variants}
    cpu = {name: 0.0 for name in variants}
    for _ in range(args.repeats):
        for name, run in variants.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            run()
            seconds[name] += time.perf_counter() - start
            cpu[name] += time.process_time() - start_cpu
    plain = torch.tensor(plain_loop(model, texts[:50], targets))
    names = model.taxonomy.type_names
    batched = torch.tensor([[p.type_scores[n] for n in names] for p in fast.label(texts[:50], targets=targets)])
    rates = {name: args.paragraphs * args.repeats / s for name, s in seconds.items()}
    report = {
        "model": args.model,
        "paragraphs": args.paragraphs,
        "targets": targets,
        "stance_encoding": model.config.stance_encoding,
        "encoder_rows_per_paragraph": 1 if model.config.stance_encoding == "packed" else 1 + len(targets),
        "threads": threads,
        "machine_at_start": started,
        "load_1min_at_end": machine()["load_1min"],
        "paragraphs_per_second": {k: round(v, 2) for k, v in rates.items()},
        "speedup_vs_plain_loop": {k: round(v / rates["plain_loop"], 2) for k, v in rates.items()},
        "cpu_seconds_per_100_paragraphs": {
            k: round(100 * v / (args.paragraphs * args.repeats), 2) for k, v in cpu.items()
        },
        "max_abs_diff_fp32_vs_plain": float((plain - batched).abs().max()),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
