"""Label Studio as the review tool: tasks with the LLM's labels as pre-annotations, and reading the export back.

``export`` writes ``review.json`` (tasks, most doubtful first, each with a ``predictions`` entry holding the
LLM's labels and its confidence) and ``review.label-studio.xml`` (the labelling interface: a multiple
choice of type labels and one stance choice per target). Create a project with that interface, import
the tasks, review, then export the project as JSON and pass that file to ``stancewire review import``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

from stancewire.models.jsonfile import read_json_file
from stancewire.models.taxonomy import Taxonomy
from stancewire.training.review import ReviewDecision, ReviewItem, register_exporter

TYPES_CONTROL = "types"
STANCE_PREFIX = "stance:"


@register_exporter("label-studio")
def write_label_studio(items: Sequence[ReviewItem], out: Path, taxonomy: Taxonomy) -> list[Path]:
    """Write the tasks (``out``) and the labelling interface (``<out stem>.label-studio.xml``)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tasks = [_task(rank, item) for rank, item in enumerate(items, 1)]
    out.write_text(json.dumps(tasks, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    interface = out.with_name(f"{out.stem}.label-studio.xml")
    targets = list(dict.fromkeys(t for item in items for t in item.targets))
    interface.write_text(labelling_interface(taxonomy.type_names, targets), encoding="utf-8")
    return [out, interface]


def labelling_interface(type_names: Sequence[str], targets: Sequence[str]) -> str:
    """The Label Studio XML: the paragraph, its metadata, the type choices and a stance choice per target."""
    choices = "".join(f"    <Choice value={quoteattr(n)}/>\n" for n in type_names)
    stances = "".join(
        f"  <Header value={quoteattr('Stance toward ' + t)}/>\n"
        f'  <Choices name={quoteattr(STANCE_PREFIX + t)} toName="text" choice="single-radio">\n'
        '    <Choice value="favor"/>\n    <Choice value="against"/>\n    <Choice value="none"/>\n  </Choices>\n'
        for t in targets
    )
    return (
        "<View>\n"
        '  <Header value="$title"/>\n'
        '  <Text name="text" value="$text"/>\n'
        '  <Header value="Targets: $targets | LLM confidence: $confidence | disputed: $disputed"/>\n'
        f'  <Choices name="{TYPES_CONTROL}" toName="text" choice="multiple">\n{choices}  </Choices>\n'
        f"{stances}"
        "</View>\n"
    )


def _task(rank: int, item: ReviewItem) -> dict[str, Any]:
    clf = item.classifier or {}
    data = {
        **{k: item.article.get(k, "") for k in ("title", "source", "date", "conflict")},
        "item_id": item.item_id,
        "article_id": item.article["id"],
        "index": item.index,
        "text": item.text,
        "targets": "; ".join(item.targets),
        "target_list": list(item.targets),
        "status": item.status,
        "priority": round(item.priority, 4),
        "confidence": "" if item.confidence is None else round(item.confidence, 3),
        "disputed": "; ".join(clf.get("disputed", [])),
        "llm": {"model": item.model, "prompt": item.prompt, "status": item.status, "types": item.types,
                "stance": item.stance if item.status == "ok" else {}, "confidence": item.confidence},
    }  # fmt: skip
    task: dict[str, Any] = {"id": rank, "data": data}
    if item.status == "ok":
        result = [_choices(TYPES_CONTROL, item.types)] if item.types else []
        result += [_choices(STANCE_PREFIX + t, [s]) for t, s in item.stance.items()]
        task["predictions"] = [
            {"model_version": item.prompt or item.model, "score": item.confidence or 0.0, "result": result}
        ]
    return task


def _choices(name: str, values: list[str]) -> dict[str, Any]:
    return {"from_name": name, "to_name": "text", "type": "choices", "value": {"choices": values}}


def read_label_studio_decisions(
    path: Path, taxonomy: Taxonomy, annotator: str | None
) -> tuple[list[ReviewDecision], int]:
    """Decisions from a Label Studio JSON export: each task's latest completed annotation.

    A task without an annotation (or only cancelled ones) is skipped. A target the annotator gave no
    stance for counts as ``none``. The annotator is the Label Studio user (e-mail, else id), else ``annotator``.
    """
    tasks = read_json_file(path, "Label Studio export")
    if not isinstance(tasks, list):
        raise ValueError(f"{path}: expected a Label Studio JSON export (a list of tasks); got {type(tasks).__name__}.")
    decisions, skipped = [], 0
    for number, task in enumerate(tasks):
        where = f"{path}: task {task.get('id', number) if isinstance(task, dict) else number}"
        annotations = [a for a in (task.get("annotations") or []) if not a.get("was_cancelled")]
        if not annotations:
            skipped += 1
            continue
        data, annotation = task.get("data") or {}, annotations[-1]
        listed = [t.strip() for t in str(data.get("targets", "")).split(";") if t.strip()]
        targets = list(data.get("target_list") or listed)
        types, stance = _read_result(annotation.get("result") or [], targets, taxonomy, where)
        llm = data.get("llm") or {}
        who = _user(annotation.get("completed_by")) or annotator
        if not who:
            raise ValueError(f"{where}: the annotation names no user; pass --annotator NAME.")
        changed = types != llm.get("types") or stance != llm.get("stance")
        decisions.append(
            ReviewDecision(
                article={"id": str(data.get("article_id", "")),
                         **{k: data.get(k, "") for k in ("title", "source", "date", "conflict")}},
                index=int(data.get("index", 0)), text=str(data.get("text", "")), targets=targets,
                types=types, stance=stance, annotator=who, decision="edit" if changed else "accept", llm=llm,
            )
        )  # fmt: skip
    return decisions, skipped


def _read_result(
    result: list[dict[str, Any]], targets: list[str], taxonomy: Taxonomy, where: str
) -> tuple[list[str], dict[str, str]]:
    types, stance = [], dict.fromkeys(targets, "none")
    for region in result:
        name, choices = region.get("from_name", ""), (region.get("value") or {}).get("choices") or []
        if name == TYPES_CONTROL:
            for choice in choices:
                label = taxonomy.canonical(str(choice))
                if label is None:
                    known = list(taxonomy.type_names)
                    raise ValueError(f"{where}: unknown type label {choice!r}; expected one of {known}.")
                types.append(label)
        elif name.startswith(STANCE_PREFIX) and name[len(STANCE_PREFIX) :] in stance and choices:
            value = str(choices[0]).strip().lower()
            if value not in taxonomy.stances:
                raise ValueError(f"{where}: stance {value!r} for {name}; expected one of {list(taxonomy.stances)}.")
            stance[name[len(STANCE_PREFIX) :]] = value
    return [n for n in taxonomy.type_names if n in types], stance


def _user(completed_by: Any) -> str:
    if isinstance(completed_by, dict):
        return str(completed_by.get("email") or completed_by.get("id") or "")
    return f"label-studio-user-{completed_by}" if completed_by not in (None, "") else ""
