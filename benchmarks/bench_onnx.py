"""Would ONNX Runtime make the encoder fast enough? The MiniLM-L6 encoder through torch against the same
weights exported to ONNX (torch.export, dynamic batch and length) and run by ONNX Runtime, alternating in
one run, on length-sorted batches of fixture paragraphs; also the largest difference between the outputs.

Needs packages stancewire does not install (ONNX Runtime is not a dependency):

    .venv/bin/pip install onnxruntime onnx onnxscript
    .venv/bin/python benchmarks/bench_onnx.py --paragraphs 1024 --threads 2
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from _common import machine, sample_paragraphs
from transformers import AutoModel, AutoTokenizer

from stancewire.models.hub import minilm_path


class LastHidden(torch.nn.Module):
    """The encoder with positional inputs and one output, as the ONNX exporter wants it."""

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Last hidden state of every token."""
        return self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state


def export(model: torch.nn.Module, example: dict, path: Path) -> None:
    """Write ``model`` to ``path`` as ONNX with dynamic batch size and sequence length."""
    batch, length = torch.export.Dim("batch", max=4096), torch.export.Dim("length", max=512)
    shapes = {"input_ids": {0: batch, 1: length}, "attention_mask": {0: batch, 1: length}}
    torch.onnx.export(
        LastHidden(model),
        (example["input_ids"], example["attention_mask"]),
        str(path),
        input_names=["input_ids", "attention_mask"],
        output_names=["last_hidden_state"],
        dynamic_shapes=shapes,
        dynamo=True,
        optimize=True,
    )


def main() -> None:
    """Time both paths on the same batches and print one JSON report."""
    import onnxruntime as ort

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paragraphs", type=int, default=1024)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    tokenizer = AutoTokenizer.from_pretrained(str(minilm_path()))
    model = AutoModel.from_pretrained(str(minilm_path())).eval()
    texts = sorted(sample_paragraphs(args.paragraphs), key=len)
    batches = [
        tokenizer(texts[i : i + 32], padding=True, truncation=True, max_length=160, return_tensors="pt")
        for i in range(0, len(texts), 32)
    ]
    options = ort.SessionOptions()
    options.intra_op_num_threads = args.threads
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "minilm.onnx"
        export(model, batches[len(batches) // 2], path)
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def run_torch() -> list[np.ndarray]:
        with torch.inference_mode():
            return [model(**dict(b)).last_hidden_state.numpy() for b in batches]

    def run_ort() -> list[np.ndarray]:
        feeds = ({"input_ids": b["input_ids"].numpy(), "attention_mask": b["attention_mask"].numpy()} for b in batches)
        return [session.run(None, feed)[0] for feed in feeds]

    report = {"machine": machine(), "paragraphs": len(texts), "threads": args.threads}
    run_torch(), run_ort()  # warm-up
    seconds: dict[str, list[float]] = {"torch": [], "onnxruntime": []}
    for _ in range(args.rounds):
        for name, run in (("torch", run_torch), ("onnxruntime", run_ort)):
            start = time.perf_counter()
            outputs = run()
            seconds[name].append(time.perf_counter() - start)
            if name == "torch":
                reference = outputs
    best = {name: min(values) for name, values in seconds.items()}
    report["paragraphs_per_second"] = {name: round(len(texts) / s, 1) for name, s in best.items()}
    report["onnxruntime_vs_torch"] = round(best["torch"] / best["onnxruntime"], 2)
    report["max_abs_difference"] = float(max(np.abs(a - b).max() for a, b in zip(reference, outputs, strict=True)))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
