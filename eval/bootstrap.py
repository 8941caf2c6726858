"""Article-level bootstrap intervals and paired significance tests over summed statistics.

Each scored item (an article) contributes a block of additive statistics: label counts, a confusion matrix,
calibration bin sums, ROUGE score sums. A metric is a function of the summed statistics, vectorised over a
leading resample axis. Resampling articles (not paragraphs) keeps the paragraphs of one article together,
since they are not independent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

Stats = Mapping[str, np.ndarray]
"""Per-article statistics: name -> array of shape ``(n_articles, ...)``."""
MetricFn = Callable[[dict[str, np.ndarray]], dict[str, np.ndarray]]
"""Summed statistics (shape ``(B, ...)`` each) -> metrics (shape ``(B, ...)`` each)."""


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its bootstrap interval (``None`` when undefined).

    Example:
        >>> Estimate(0.5, 0.4, 0.6).to_dict()
        {'value': 0.5, 'low': 0.4, 'high': 0.6}
    """

    value: float | None
    low: float | None
    high: float | None

    def to_dict(self) -> dict[str, float | None]:
        """JSON-ready dict."""
        return {"value": self.value, "low": self.low, "high": self.high}


@dataclass(frozen=True)
class PairedResult:
    """Difference ``a - b`` of one metric on the same articles, its paired bootstrap interval and p-value.

    The p-value comes from approximate randomisation: each article's outputs are swapped between the two
    systems with probability 1/2, and p is the share of shuffles whose absolute difference reaches the
    observed one (two-sided, with the +1 correction).

    Example:
        >>> PairedResult(0.1, 0.02, 0.18, 0.01).significant(0.05)
        True
    """

    delta: float | None
    low: float | None
    high: float | None
    p_value: float | None

    def significant(self, alpha: float = 0.05) -> bool:
        """True when the p-value is below ``alpha``."""
        return self.p_value is not None and self.p_value < alpha

    def to_dict(self) -> dict[str, float | None]:
        """JSON-ready dict."""
        return {"delta": self.delta, "low": self.low, "high": self.high, "p_value": self.p_value}


def _n_items(stats: Stats) -> int:
    sizes = {len(v) for v in stats.values()}
    if len(sizes) != 1:
        raise ValueError(f"All statistics need one row per article; got row counts {sorted(sizes)}.")
    return sizes.pop()


def _weighted_sums(weights: np.ndarray, stats: Stats) -> dict[str, np.ndarray]:
    """Sum each statistic over articles with one weight row per resample: ``(B, n) x (n, ...) -> (B, ...)``."""
    return {k: np.tensordot(weights, np.asarray(v, dtype=float), axes=(1, 0)) for k, v in stats.items()}


def _as_float(x: float) -> float | None:
    return None if x is None or np.isnan(x) else float(x)


def _mixed_sums(swap: np.ndarray, own: Stats, other: Stats) -> dict[str, np.ndarray]:
    """Summed statistics where article ``i`` of resample ``r`` comes from ``other`` when ``swap[r, i]`` is 1."""
    kept, swapped = _weighted_sums(1.0 - swap, own), _weighted_sums(swap, other)
    return {k: kept[k] + swapped[k] for k in kept}


def point_estimate(stats: Stats, metric_fn: MetricFn) -> dict[str, np.ndarray]:
    """The metrics on all articles (no resampling), without the resample axis."""
    weights = np.ones((1, _n_items(stats)))
    return {k: v[0] for k, v in metric_fn(_weighted_sums(weights, stats)).items()}


def resample_weights(n_items: int, n_resamples: int, rng: np.random.Generator, batch: int) -> list[np.ndarray]:
    """How often each article is drawn in each resample, in batches of at most ``batch`` resamples."""
    out, left = [], n_resamples
    while left > 0:
        size = min(batch, left)
        out.append(rng.multinomial(n_items, np.full(n_items, 1.0 / n_items), size=size).astype(float))
        left -= size
    return out


def bootstrap(
    stats: Stats,
    metric_fn: MetricFn,
    *,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 13,
) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Percentile bootstrap over articles.

    Args:
        stats: Per-article additive statistics.
        metric_fn: Computes metrics from summed statistics, vectorised over the first axis.
        n_resamples: Number of resamples.
        confidence: Interval coverage, e.g. 0.95.
        seed: Seed of the resampling generator (same seed, same intervals).

    Returns:
        metric name -> ``(value, low, high)`` arrays (scalars for scalar metrics). Resamples in which a
        metric is undefined are ignored; an interval with no defined resample is ``nan``.
    """
    n = _n_items(stats)
    if n == 0:
        raise ValueError("Cannot bootstrap over zero articles; the data set is empty.")
    point = point_estimate(stats, metric_fn)
    rng = np.random.default_rng(seed)
    draws: dict[str, list[np.ndarray]] = {k: [] for k in point}
    for weights in resample_weights(n, n_resamples, rng, batch=max(1, 2_000_000 // max(n, 1))):
        for k, v in metric_fn(_weighted_sums(weights, stats)).items():
            draws[k].append(v)
    tail = (1.0 - confidence) / 2 * 100
    out = {}
    for k, value in point.items():
        samples = np.concatenate(draws[k], axis=0)
        low, high = _nanpercentiles(samples, (tail, 100 - tail))
        out[k] = (np.asarray(value), low, high)
    return out


def _nanpercentiles(samples: np.ndarray, qs: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Percentiles over axis 0 ignoring ``nan``; ``nan`` where a column has no defined sample."""
    any_defined = (~np.isnan(samples)).any(axis=0)
    # Columns with no defined value are zero-filled (then masked) so nanpercentile does not warn.
    low, high = np.nanpercentile(np.where(any_defined, samples, 0.0), qs, axis=0)
    return np.where(any_defined, low, np.nan), np.where(any_defined, high, np.nan)


def estimates(results: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]], name: str) -> Estimate:
    """The :class:`Estimate` of a scalar metric from :func:`bootstrap` output."""
    value, low, high = results[name]
    return Estimate(_as_float(float(value)), _as_float(float(low)), _as_float(float(high)))


def paired_test(
    stats_a: Stats,
    stats_b: Stats,
    metric_fn: MetricFn,
    metrics: tuple[str, ...],
    *,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 13,
) -> dict[str, PairedResult]:
    """Compare two systems scored on the same articles, metric by metric.

    Args:
        stats_a: Per-article statistics of system A.
        stats_b: Per-article statistics of system B (same articles, same order).
        metric_fn: As in :func:`bootstrap`.
        metrics: Names of scalar metrics to compare.
        n_resamples: Resamples for the interval and shuffles for the p-value.
        confidence: Coverage of the interval of the difference.
        seed: Seed (same seed, same result).

    Returns:
        metric name -> :class:`PairedResult` of ``A - B``.
    """
    n = _n_items(stats_a)
    if n != _n_items(stats_b) or set(stats_a) != set(stats_b):
        raise ValueError("Paired comparison needs both systems scored on the same articles with the same statistics.")
    point_a, point_b = point_estimate(stats_a, metric_fn), point_estimate(stats_b, metric_fn)
    observed = {m: float(point_a[m] - point_b[m]) for m in metrics}
    rng = np.random.default_rng(seed)
    deltas: dict[str, list[np.ndarray]] = {m: [] for m in metrics}
    extreme = dict.fromkeys(metrics, 0)
    shuffles = dict.fromkeys(metrics, 0)
    batch = max(1, 2_000_000 // max(n, 1))
    for weights in resample_weights(n, n_resamples, rng, batch=batch):
        a, b = metric_fn(_weighted_sums(weights, stats_a)), metric_fn(_weighted_sums(weights, stats_b))
        for m in metrics:
            deltas[m].append(a[m] - b[m])
    left = n_resamples
    while left > 0:
        size = min(batch, left)
        swap = rng.integers(0, 2, size=(size, n)).astype(float)
        a, b = metric_fn(_mixed_sums(swap, stats_a, stats_b)), metric_fn(_mixed_sums(swap, stats_b, stats_a))
        for m in metrics:
            diff = np.abs(a[m] - b[m])
            defined = ~np.isnan(diff)
            # A tolerance so that float noise on identical systems still counts as "as extreme".
            extreme[m] += int((diff[defined] >= abs(observed[m]) - 1e-12).sum())
            shuffles[m] += int(defined.sum())
        left -= size
    tail = (1.0 - confidence) / 2 * 100
    out = {}
    for m in metrics:
        low, high = _nanpercentiles(np.concatenate(deltas[m]), (tail, 100 - tail))
        p = (extreme[m] + 1) / (shuffles[m] + 1) if not np.isnan(observed[m]) else None
        out[m] = PairedResult(_as_float(observed[m]), _as_float(float(low)), _as_float(float(high)), p)
    return out
