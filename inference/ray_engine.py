"""``stancewire label --engine ray``: the folder pipeline on Ray Data, on this machine or on a Ray cluster.

Ray is an optional extra (``pip install 'stancewire[ray]'``), imported only when a run starts. The steps:
the driver lists the folder; Ray tasks read and parse the files
(:func:`~stancewire.inference.stages.read_files`); a fixed pool of actors labels the articles
(``map_batches`` with the callable class :class:`~stancewire.inference.stages.LabelStage`: one model load per
actor); with summaries a second pool summarises (:class:`~stancewire.inference.stages.SummaryStage`); the driver
writes records to Parquet shards and problems to errors.jsonl
(:class:`~stancewire.inference.sharded_run.ShardedRun`). Every node must see the folder and the model at the
same path and have the same stancewire installed (see docs/scaling.md).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from stancewire.inference.batch import BatchProgress, BatchReport, BatchSettings
from stancewire.inference.sharded_run import ShardedRun
from stancewire.inference.stages import ROW_FIELDS, AnalyzerRecipe, Key, LabelStage, SummaryStage, read_files

RAY_EXTRA = "pip install 'stancewire[ray]'"


class RayNotInstalled(ImportError):
    """``--engine ray`` was asked for but Ray (the ``ray`` extra) is not installed."""


def require_ray() -> Any:
    """The ``ray`` module (with Ray Data); :class:`RayNotInstalled` naming the extra when it is missing.

    Example:
        >>> require_ray().__name__  # doctest: +SKIP
        'ray'
    """
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError as exc:
        raise RayNotInstalled(
            f"--engine ray needs Ray, which is not installed (import failed: {exc}). Install the optional extra: "
            f"{RAY_EXTRA} (in a checkout: pip install -e '.[ray]'), or use the default --engine local."
        ) from None
    return ray


@dataclass(frozen=True)
class RaySettings:
    """Where and how wide a Ray run goes.

    Args:
        address: ``None`` starts a Ray instance on this machine for the run (and stops it after); ``"auto"``
            joins the cluster this machine belongs to; ``"ray://HOST:10001"`` connects through Ray Client;
            ``"HOST:6379"`` joins a cluster by its head's address.
        actors: Labelling actors (each loads the model once and holds it).
        cpus_per_actor: CPUs each labelling actor reserves, and its torch threads.
        memory_per_actor_mb: Memory each labelling actor reserves with Ray's scheduler (``None``: no reservation).
        files_per_block: Files per block: the unit of work (read by one Ray task, labelled by one actor call).
        readers: Ray tasks reading files at once (``None``: one per four actors). They reserve no CPU, since
            reading and parsing cost a few percent of labelling, but each is a process of its own.
        rows_per_shard: Records per Parquet shard.
        num_cpus: CPUs of the Ray instance this run starts (``None``: all); unused when joining a cluster.
        object_store_mb: Object store of the Ray instance this run starts (``None``: Ray's default).
        show_progress: Let Ray Data draw its own progress bars (off: the CLI draws one).

    Example:
        >>> RaySettings(address="auto", actors=4).cpus_per_actor
        1
    """

    address: str | None = None
    actors: int = 2
    cpus_per_actor: int = 1
    memory_per_actor_mb: int | None = None
    files_per_block: int = 16
    readers: int | None = None
    rows_per_shard: int = 1000
    num_cpus: int | None = None
    object_store_mb: int | None = None
    show_progress: bool = False

    def __post_init__(self) -> None:
        counts = {
            "actors": self.actors,
            "cpus_per_actor": self.cpus_per_actor,
            "files_per_block": self.files_per_block,
            "rows_per_shard": self.rows_per_shard,
        }
        for name, value in counts.items():
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a whole number >= 1; got {value!r}.")
        for name in ("readers", "memory_per_actor_mb", "num_cpus", "object_store_mb"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 1):
                raise ValueError(f"{name} must be a whole number >= 1 or None; got {value!r}.")
        if self.address is not None and not (self.address == "auto" or ":" in self.address):
            raise ValueError(
                f"address must be 'auto', 'ray://HOST:PORT' or 'HOST:PORT'; got {self.address!r}. "
                "Leave it out to start Ray on this machine."
            )

    @property
    def reader_tasks(self) -> int:
        """How many Ray tasks read files at once."""
        return self.readers if self.readers is not None else -(-self.actors // 4)


def label_folder_ray(
    root: str | Path,
    out_dir: str | Path,
    recipe: AnalyzerRecipe,
    settings: BatchSettings | None = None,
    ray_settings: RaySettings | None = None,
    progress: Callable[[BatchProgress], None] | None = None,
) -> BatchReport:
    """Label every article file under ``root`` on Ray into Parquet shards in ``out_dir`` (plus errors.jsonl).

    Reading, labelling, records, resume (by content hash) and errors.jsonl are those of
    :func:`~stancewire.inference.batch.label_folder`; ``settings.workers`` sets the summary actors. Each
    labelling actor runs ``ray_settings.cpus_per_actor`` torch threads (``recipe.threads`` is replaced).

    Raises:
        RayNotInstalled: when Ray is not installed.
        NotADirectoryError: when ``root`` is not a folder (or ``out_dir`` is a file).
        FileExistsError: when ``out_dir`` holds shards and neither ``resume`` nor ``overwrite`` is set.
        ValueError: when ``settings.format`` is not ``parquet``.

    Example:
        >>> settings = BatchSettings(format="parquet")
        >>> report = label_folder_ray("news/", "runs/labels", AnalyzerRecipe("default"), settings)  # doctest: +SKIP
        >>> report.articles  # doctest: +SKIP
        1000
    """
    settings = settings or BatchSettings(format="parquet")
    ray_settings = ray_settings or RaySettings()
    check_ray_settings(settings)
    require_ray()
    model = model_for_workers(recipe.model, ray_settings.address)
    recipe = replace(recipe, model=model, threads=ray_settings.cpus_per_actor)
    stream = RayStream(recipe, settings, ray_settings)
    run = ShardedRun(
        Path(root),
        Path(out_dir),
        stream,
        resume=settings.resume,
        overwrite=settings.overwrite,
        rows_per_shard=ray_settings.rows_per_shard,
        progress=progress,
    )
    return run.run()


def check_ray_settings(settings: BatchSettings) -> None:
    """``ValueError`` unless the Ray engine can honour ``settings`` (its output is always Parquet shards).

    Example:
        >>> check_ray_settings(BatchSettings(format="csv"))
        Traceback (most recent call last):
        ...
        ValueError: --engine ray writes Parquet shards; got --format 'csv'. Use --format parquet or leave it out.
    """
    if settings.format != "parquet":
        raise ValueError(
            f"--engine ray writes Parquet shards; got --format {settings.format!r}. "
            "Use --format parquet or leave it out."
        )


def model_for_workers(model: str, address: str | None) -> str:
    """The model as the workers should see it: a folder as an absolute path (their working folder differs).

    Checked here so that a wrong name fails at once rather than in every actor; through Ray Client
    (``ray://``) a folder only the cluster can see is passed on unchecked.

    Raises:
        FileNotFoundError: for a name that is neither a known model nor a folder.

    Example:
        >>> model_for_workers("default", None)
        'default'
    """
    path = Path(model)
    if path.exists():
        return str(path.resolve())
    if address is not None and address.startswith("ray://"):
        return model
    from stancewire.models.registry import available_models

    known = available_models()
    if model not in known:
        raise FileNotFoundError(
            f"No model named {model!r} and no saved model folder at {path}; known names: {known}. "
            "Each Ray actor loads the model itself: give a name or a folder every node can read."
        )
    return model


class RayStream:
    """Files in, batches of rows out, through a Ray Data pipeline (a :data:`~.sharded_run.RowStream`).

    Example:
        >>> stream = RayStream(AnalyzerRecipe("default"), BatchSettings(format="parquet"), RaySettings())
        >>> next(iter(stream([{"file": "/news/a.txt", "name": "a.txt"}], frozenset())))  # doctest: +SKIP
        [{'kind': 'result', 'path': 'a.txt', ...}]
    """

    def __init__(self, recipe: AnalyzerRecipe, settings: BatchSettings, ray_settings: RaySettings) -> None:
        self.recipe, self.settings, self.ray_settings = recipe, settings, ray_settings

    def __call__(self, files: list[dict[str, str]], done: frozenset[Key]) -> Iterator[list[dict[str, Any]]]:
        """Start or join Ray, run the pipeline, and stop Ray again if this call started it."""
        ray = require_ray()
        started = self._connect(ray)
        try:
            for batch in self._dataset(ray, files, done).iter_batches(batch_format="pyarrow", batch_size=None):
                yield batch.to_pylist()
        finally:
            if started:
                ray.shutdown()

    def _connect(self, ray: Any) -> bool:
        """``ray.init`` unless Ray is already running in this process; True when this call started it."""
        if ray.is_initialized():
            return False
        options: dict[str, Any] = {
            "logging_level": logging.WARNING,
            "log_to_driver": False,
            "include_dashboard": False,
        }
        if self.ray_settings.address is not None:
            ray.init(address=self.ray_settings.address, **options)
        else:
            store = self.ray_settings.object_store_mb
            ray.init(
                num_cpus=self.ray_settings.num_cpus,
                object_store_memory=store * 1024 * 1024 if store else None,
                **options,
            )
        return True

    def _dataset(self, ray: Any, files: list[dict[str, str]], done: frozenset[Key]) -> Any:
        """read (tasks) -> label (actor pool) -> summarise (actor pool, optional)."""
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = self.ray_settings.show_progress
        blocks = block_count(len(files), self.ray_settings.files_per_block, self.ray_settings.actors)
        done_ref = [ray.put(done)] if done else []  # in a list: stays a reference until a reader needs it
        dataset = ray.data.from_items(files, override_num_blocks=blocks).map_batches(
            _read_block,
            fn_kwargs={"max_bytes": self.settings.max_bytes, "done_ref": done_ref},
            batch_format="pyarrow",
            batch_size=None,
            compute=ray.data.TaskPoolStrategy(size=self.ray_settings.reader_tasks),
            num_cpus=0,  # reading is a few percent of the work; the actors hold the CPUs
        )
        memory = self.ray_settings.memory_per_actor_mb
        dataset = dataset.map_batches(
            _LabelActor,
            fn_constructor_kwargs={
                "recipe": self.recipe,
                "targets": self.settings.targets,
                "chunk_paragraphs": self.settings.chunk_paragraphs,
                "keep_articles": self.settings.summarise,
            },
            batch_format="pyarrow",
            batch_size=None,  # a block at a time; LabelStage cuts it into encoder calls as the local engine does
            compute=ray.data.ActorPoolStrategy(size=self.ray_settings.actors),
            num_cpus=self.ray_settings.cpus_per_actor,
            memory=memory * 1024 * 1024 if memory else None,
        )
        if self.settings.summarise:
            dataset = dataset.map_batches(
                _SummaryActor,
                fn_constructor_kwargs={"recipe": self.recipe},
                batch_format="pyarrow",
                batch_size=None,
                compute=ray.data.ActorPoolStrategy(size=self.settings.workers),
                num_cpus=1,
            )
        return dataset


def block_count(files: int, files_per_block: int, actors: int) -> int:
    """Blocks to cut the file list into: ``files_per_block`` each, but at least 4 per actor (when there are
    enough files), because an actor takes a block at a time and too few blocks leave actors idle.

    Example:
        >>> block_count(1000, 16, 2), block_count(50, 16, 4), block_count(3, 16, 4)
        (63, 16, 3)
    """
    return max(1, min(files, max(-(-files // files_per_block), 4 * actors)))


# ------------------------------------------------------------------------------------ what runs on the workers
_DONE_CACHE: dict[str, frozenset] = {}  # per worker process: the done keys, fetched once per run


def _read_block(batch: Any, max_bytes: int, done_ref: list) -> Any:
    """Ray task: a block of ``{"file", "name"}`` rows -> the rows of those files."""
    done: frozenset = frozenset()
    if done_ref:
        import ray

        name = done_ref[0].hex()
        if name not in _DONE_CACHE:
            _DONE_CACHE.clear()
            _DONE_CACHE[name] = ray.get(done_ref[0])
        done = _DONE_CACHE[name]
    return rows_to_table(read_files(batch.to_pylist(), max_bytes, done))


class _LabelActor:
    """Ray actor around :class:`~stancewire.inference.stages.LabelStage` (Arrow tables in and out)."""

    def __init__(self, **stage_options: Any) -> None:
        self.stage = LabelStage(**stage_options)

    def __call__(self, batch: Any) -> Any:
        return rows_to_table(self.stage(batch.to_pylist()))


class _SummaryActor:
    """Ray actor around :class:`~stancewire.inference.stages.SummaryStage` (Arrow tables in and out)."""

    def __init__(self, recipe: AnalyzerRecipe) -> None:
        self.stage = SummaryStage(recipe)

    def __call__(self, batch: Any) -> Any:
        return rows_to_table(self.stage(batch.to_pylist()))


def rows_to_table(rows: list[dict[str, Any]]) -> Any:
    """Rows as an Arrow table with fixed column types (so a block of only ``None`` keeps its types).

    Example:
        >>> from stancewire.inference.stages import new_row
        >>> rows_to_table([new_row("done", "a.txt")]).column_names[:3]
        ['kind', 'path', 'line']
    """
    import pyarrow as pa

    types = {"line": pa.int64(), "closes_file": pa.bool_()}
    schema = pa.schema([(name, types.get(name, pa.string())) for name in ROW_FIELDS])
    return pa.Table.from_pylist(rows, schema=schema)
