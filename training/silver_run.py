"""``stancewire silver``: label a folder or JSONL file with an LLM and write silver data in our article schema.

The run reads as its steps: read the articles, set up the prompt, labeller and cache, label every
paragraph (cached answers cost nothing), compare with the current classifier, write the silver file and
the failures file. Each silver paragraph carries ``confidence`` (its lowest per-label confidence), which
``stancewire train`` filters on, and a ``silver`` block with the per-label confidences and provenance
(model, prompt version, confidence method, k, agreement with the classifier).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from stancewire.models.schema import Article, article_from_record, iter_json_lines, record_problems
from stancewire.models.taxonomy import Taxonomy, load_taxonomy
from stancewire.training.silver_cache import SilverCache, cache_path_for
from stancewire.training.silver_label import SilverLabel, SilverLabeler
from stancewire.training.silver_prompt import (
    PROMPT_VERSION,
    Encoder,
    SilverPrompt,
    default_examples_path,
    load_selector,
)

Progress = Callable[[int, int], None]


@dataclass
class SilverConfig:
    """Settings of a silver-labelling run.

    Args:
        llm: Backend spec (``"llama-cpp"``, ``"openai:http://127.0.0.1:11434/v1#qwen2.5:7b"``, ...).
        taxonomy: ``"default"`` or a taxonomy file.
        examples: Labelled JSONL whose paragraphs are the worked examples (``None``: ``fixtures/train.jsonl``).
        shots: Worked examples per paragraph (0: none).
        confidence: ``"auto"``, ``"logprobs"`` or ``"agreement"``.
        k: Samples for the agreement method. temperature: Their sampling temperature.
        max_tokens: Answer budget per call. seed: First seed.
        classifier: A labeller name or folder to compare against (``None``: no comparison).
        targets: Targets for every paragraph, overriding the articles' own.
        retry_failed: Ask again for paragraphs whose cached answer had failed.
        use_cache: Keep answers in ``<out stem>.cache.jsonl`` beside the output (resume and free reruns).

    Example:
        >>> SilverConfig(k=5).to_dict()["k"]
        5
    """

    llm: str = "llama-cpp"
    taxonomy: str = "default"
    examples: str | None = None
    shots: int = 3
    confidence: str = "auto"
    k: int = 3
    temperature: float = 0.7
    max_tokens: int = 192
    seed: int = 0
    classifier: str | None = None
    targets: list[str] | None = None
    retry_failed: bool = False
    use_cache: bool = True

    def __post_init__(self) -> None:
        if self.shots < 0 or self.k < 1 or self.max_tokens < 1:
            raise ValueError(
                f"Need shots >= 0, k >= 1 and max_tokens >= 1; got shots={self.shots}, k={self.k}, "
                f"max_tokens={self.max_tokens}."
            )

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of every setting."""
        return asdict(self)


@dataclass
class SilverReport:
    """What a run did: counts, cost, and where the files are.

    Example:
        >>> SilverReport("s.jsonl", "s.failed.jsonl", None, "m", "silver.v1:x", "agreement.v1").to_dict()["failed"]
        0
    """

    out: str
    failed_path: str
    cache_path: str | None
    model: str
    prompt: str
    method: str
    articles: int = 0
    paragraphs: int = 0
    labelled: int = 0
    failed: int = 0
    llm_calls: int = 0
    cache_hits: int = 0
    mapped: int = 0
    mean_confidence: float | None = None
    classifier: str | None = None
    mean_classifier_agreement: float | None = None
    read_problems: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)


def failed_path_for(out: str | Path) -> Path:
    """The failures file beside an output file: ``silver.jsonl`` -> ``silver.failed.jsonl``."""
    out = Path(out)
    return out.with_name(f"{out.stem}.failed.jsonl")


def read_articles(source: str | Path, taxonomy: Taxonomy) -> tuple[list[Article], list[str]]:
    """Articles from a JSONL file, a folder of JSONL files, or a folder (or file) of .txt/.md/.html articles.

    Gold labels in the input are ignored. Returns the articles and the problems of unreadable lines or files.
    """
    source = Path(source)
    if not source.exists():
        raise FileNotFoundError(f"No input file or folder at {source}; give a .jsonl file or a folder of articles.")
    files = sorted(source.rglob("*")) if source.is_dir() else [source]
    jsonl = [f for f in files if f.suffix.lower() in (".jsonl", ".ndjson")]
    if jsonl:
        return _read_jsonl(jsonl, taxonomy)
    return _read_documents([f for f in files if f.is_file()])


def _read_jsonl(files: list[Path], taxonomy: Taxonomy) -> tuple[list[Article], list[str]]:
    articles, problems = [], []
    for file in files:
        for line, record in iter_json_lines(file):
            found = record_problems(record, taxonomy, strict=False)
            found = [p for p in found if "label" not in p and "stance" not in p]  # input labels are not used
            if found:
                problems.append(f"{file}:{line}: {found[0]}")
                continue
            article = article_from_record(record, str(file), line)
            articles.append(article)
    return articles, problems


def _read_documents(files: list[Path]) -> tuple[list[Article], list[str]]:
    try:
        from stancewire.inference.readers import ReadError, read_file, supported_suffixes
    except ImportError as exc:  # the readers live in the inference package, which may be absent
        raise ValueError(f"Reading text files needs stancewire.inference.readers ({exc}); give JSONL.") from None
    articles, problems = [], []
    for file in (f for f in files if f.suffix.lower() in supported_suffixes()):
        try:
            content = read_file(file)
        except ReadError as exc:
            problems.append(str(exc))
            continue
        articles.extend(content.articles)
        problems.extend(str(p) for p in content.problems)
    if not articles and not problems:
        raise ValueError(f"Found no article file in {files[0].parent if files else 'the input'}.")
    return articles, problems


def run_silver(
    source: str | Path,
    out: str | Path,
    config: SilverConfig,
    *,
    llm: Any = None,
    classifier: Any = None,
    encoder: Encoder | None = None,
    progress: Progress | None = None,
) -> SilverReport:
    """Label every paragraph of ``source`` with the LLM and write ``out`` (silver data) and its failures file.

    Args:
        source: Input JSONL file or folder.
        out: The silver JSONL file to write (its cache and failures files go beside it).
        config: The run's settings.
        llm: A chat model object to use instead of ``config.llm`` (tests pass a scripted fake).
        classifier: A labeller to compare with instead of loading ``config.classifier``.
        encoder: The sentence encoder for choosing worked examples (``None``: bundled MiniLM, loaded if needed).
        progress: Called with ``(done, total)`` paragraphs after each paragraph.
    """
    taxonomy = load_taxonomy(config.taxonomy)
    articles, read_problems = read_articles(source, taxonomy)
    out = Path(out)
    labeler = build_labeler(config, taxonomy, out, llm=llm, encoder=encoder)
    if classifier is None and config.classifier:
        from stancewire.models.registry import load_labeler

        classifier = load_labeler(config.classifier)
    report = SilverReport(
        out=str(out),
        failed_path=str(failed_path_for(out)),
        cache_path=str(labeler.cache.path) if labeler.cache.path else None,
        model=labeler.llm.name,
        prompt=labeler.prompt.fingerprint(),
        method=labeler.method,
        articles=len(articles),
        classifier=getattr(classifier, "name", None) if classifier is not None else None,
        read_problems=read_problems,
    )
    try:
        records, failures = _label_all(articles, labeler, classifier, config, report, progress)
    finally:
        labeler.cache.close()
    _write_jsonl(out, records)
    _write_jsonl(failed_path_for(out), failures)
    report.llm_calls, report.cache_hits = labeler.calls, labeler.cache_hits
    return report


def build_labeler(
    config: SilverConfig, taxonomy: Taxonomy, out: Path | None, *, llm: Any = None, encoder: Encoder | None = None
) -> SilverLabeler:
    """The prompt (with its worked-example pool), the cache beside ``out`` and the labeller of a run."""
    examples = config.examples or (default_examples_path() if config.shots else None)
    if config.shots and examples is None:
        raise FileNotFoundError(
            "No worked-example file: fixtures/train.jsonl is not beside this installation. Pass --examples "
            "GOLD.jsonl (labelled articles) or --shots 0."
        )
    selector = load_selector(examples, taxonomy, encoder) if config.shots else None
    cache = SilverCache(cache_path_for(out) if config.use_cache and out is not None else None)
    return SilverLabeler(
        llm if llm is not None else config.llm,
        SilverPrompt(taxonomy, selector, config.shots),
        method=config.confidence,
        k=config.k,
        temperature=config.temperature,
        max_tokens=config.max_tokens,
        seed=config.seed,
        cache=cache,
        retry_failed=config.retry_failed,
    )


def _label_all(articles, labeler, classifier, config, report, progress) -> tuple[list[dict], list[dict]]:
    records, failures, confidences, agreements = [], [], [], []
    total = sum(len(a.paragraphs) for a in articles)
    report.paragraphs = total
    for article in articles:
        targets = list(config.targets) if config.targets is not None else article_targets(article)
        texts = [p.text for p in article.paragraphs]
        reference = _classifier_predictions(classifier, texts, targets)
        paragraphs = []
        for index, text in enumerate(texts):
            label = labeler.label(text, targets)
            report.mapped += len(label.mapped)
            if label.status != "ok":
                report.failed += 1
                failures.append(_failure_record(article, index, text, targets, label))
            else:
                report.labelled += 1
                comparison = compare_with_classifier(label, reference[index]) if reference else None
                confidences.append(label.confidence or 0.0)
                if comparison is not None:
                    agreements.append(comparison["agreement"])
                paragraphs.append(_silver_paragraph(index, text, label, comparison, report.classifier))
            if progress is not None:
                progress(report.labelled + report.failed, total)
        if paragraphs:
            records.append({**_metadata(article), "targets": targets, "paragraphs": paragraphs, "summary": ""})
    report.mean_confidence = round(sum(confidences) / len(confidences), 4) if confidences else None
    report.mean_classifier_agreement = round(sum(agreements) / len(agreements), 4) if agreements else None
    return records, failures


def article_targets(article: Article) -> list[str]:
    """The article's own targets; for articles read from text files, the gazetteer's default targets."""
    if article.targets:
        return list(article.targets)
    if article.path.lower().endswith((".jsonl", ".ndjson", ".json")):
        return []
    try:
        from stancewire.inference.targets import resolve_targets
    except ImportError:
        return []
    return resolve_targets(article.text, None, [])[0]


def _classifier_predictions(classifier: Any, texts: list[str], targets: list[str]) -> list[Any]:
    if classifier is None or not texts:
        return []
    predictions = classifier.predict(texts, targets=targets or None)
    return predictions if isinstance(predictions, list) else [predictions]


def compare_with_classifier(label: SilverLabel, prediction: Any) -> dict[str, Any]:
    """How far the classifier agrees: Jaccard of the type sets, share of equal stances, and what differs.

    ``agreement`` is the mean of the two (the type Jaccard alone when there is no target).
    """
    llm_types, clf_types = set(label.types), set(prediction.types)
    union = llm_types | clf_types
    jaccard = len(llm_types & clf_types) / len(union) if union else 1.0
    targets = list(label.stance)
    same = [label.stance[t] == prediction.stance.get(t, "none") for t in targets]
    stance_agreement = sum(same) / len(same) if same else None
    parts = [jaccard] + ([stance_agreement] if stance_agreement is not None else [])
    disputed = [f"type:{n}" for n in sorted(union - (llm_types & clf_types))]
    disputed += [f"stance:{t}" for t, ok in zip(targets, same) if not ok]
    return {
        "types": list(prediction.types),
        "stance": {t: prediction.stance.get(t, "none") for t in targets},
        "types_jaccard": round(jaccard, 4),
        "stance_agreement": None if stance_agreement is None else round(stance_agreement, 4),
        "agreement": round(sum(parts) / len(parts), 4),
        "disputed": disputed,
    }


def _silver_paragraph(index: int, text: str, label: SilverLabel, comparison, classifier_name) -> dict[str, Any]:
    silver = {
        "index": index,
        "status": label.status,
        "label_confidence": label.label_confidence,
        "model": label.model,
        "prompt_version": PROMPT_VERSION,
        "prompt": label.prompt,
        "method": label.method,
        "k": label.k,
        "mapped": label.mapped,
    }
    if comparison is not None:
        silver["classifier"] = {"name": classifier_name, **comparison}
    labels = {"types": label.types, "stance": label.stance, "confidence": label.confidence}
    return {"text": text, **labels, "silver": silver}


def _failure_record(article: Article, index: int, text: str, targets: list[str], label: SilverLabel) -> dict:
    return {
        **_metadata(article),
        "index": index,
        "text": text,
        "targets": targets,
        "model": label.model,
        "prompt": label.prompt,
        "problems": label.problems,
        "raw": label.raw,
    }


def _metadata(article: Article) -> dict[str, Any]:
    return {
        "id": article.id,
        "title": article.title,
        "source": article.source,
        "date": article.date,
        "conflict": article.conflict,
    }


def _write_jsonl(path: Path, records: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(path.name + ".tmp")
    with scratch.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    scratch.replace(path)
