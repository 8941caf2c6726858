"""Bootstrap intervals and the paired test on synthetic per-article statistics."""

from __future__ import annotations

import numpy as np

from stancewire.eval.bootstrap import bootstrap, paired_test, point_estimate


def accuracy(sums):
    with np.errstate(invalid="ignore"):
        return {"accuracy": sums["correct"] / sums["items"]}


def articles(n, p, seed):
    rng = np.random.default_rng(seed)
    items = rng.integers(1, 6, size=n).astype(float)
    return {"correct": rng.binomial(items.astype(int), p).astype(float), "items": items}


def test_interval_contains_the_point_estimate_and_shrinks_with_more_data():
    widths = []
    for n in (20, 400):
        stats = articles(n, 0.7, seed=n)
        value, low, high = bootstrap(stats, accuracy, n_resamples=500, seed=1)["accuracy"]
        assert low <= value <= high
        assert float(value) == stats["correct"].sum() / stats["items"].sum()
        widths.append(high - low)
    assert widths[1] < widths[0] / 2


def test_same_seed_same_interval_and_other_seed_differs():
    stats = articles(50, 0.6, seed=3)
    a = bootstrap(stats, accuracy, n_resamples=200, seed=7)["accuracy"]
    b = bootstrap(stats, accuracy, n_resamples=200, seed=7)["accuracy"]
    c = bootstrap(stats, accuracy, n_resamples=200, seed=8)["accuracy"]
    assert a[1] == b[1] and a[2] == b[2]
    assert (a[1], a[2]) != (c[1], c[2])


def test_paired_test_finds_a_planted_difference_and_none_between_identical_systems():
    good = articles(80, 0.9, seed=1)
    rng = np.random.default_rng(2)
    worse = {"items": good["items"], "correct": np.maximum(good["correct"] - rng.integers(0, 2, size=80), 0)}
    planted = paired_test(good, worse, accuracy, ("accuracy",), n_resamples=500, seed=0)["accuracy"]
    assert planted.delta > 0 and planted.p_value < 0.01 and planted.low > 0
    same = paired_test(good, dict(good), accuracy, ("accuracy",), n_resamples=500, seed=0)["accuracy"]
    assert same.delta == 0.0 and same.p_value == 1.0 and not same.significant()


def test_undefined_metric_gives_no_interval():
    stats = {"correct": np.zeros(5), "items": np.zeros(5)}
    value, low, high = bootstrap(stats, accuracy, n_resamples=50)["accuracy"]
    assert np.isnan(value) and np.isnan(low) and np.isnan(high)
    assert np.isnan(point_estimate(stats, accuracy)["accuracy"])
