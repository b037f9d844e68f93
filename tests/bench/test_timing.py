"""fastnn.bench.timing: what the interleaved timing records (not how fast anything is)."""
import pytest

from fastnn.bench.timing import Budget, is_noisy, measure, median_ratio, summarize


def test_summarize_median_quartiles_and_spread():
    stats = summarize([4.0, 1.0, 3.0, 2.0, 5.0], calls_per_block=7)
    assert (stats.q1, stats.median, stats.q3) == (2.0, 3.0, 4.0)
    assert stats.spread == pytest.approx(2.0 / 3.0)
    assert stats.calls_per_block == 7
    assert stats.as_dict()["samples"] == [4.0, 1.0, 3.0, 2.0, 5.0]
    with pytest.raises(ValueError, match="samples"):
        summarize([])


def test_measure_interleaves_the_implementations():
    order = []
    impls = {"a": lambda: order.append("a"), "b": lambda: order.append("b")}
    stats = measure(impls, Budget(rounds=4, min_rounds=4, block_s=0.0, row_s=10.0))
    assert set(stats) == {"a", "b"} and all(len(s.samples) == 4 for s in stats.values())
    # after warm-up (and calibration, skipped for a call preempted past
    # SLOW_CALL_S), one block per round, the starting side alternating.
    assert order[-8:] == ["a", "b", "b", "a", "a", "b", "b", "a"]
    assert len(order) in (10, 11, 12)


def test_noisy_rows_and_ratios():
    steady, shaky = summarize([1.0, 1.0, 1.0, 1.0]), summarize([1.0, 2.0, 3.0, 4.0])
    assert not is_noisy({"a": steady}) and is_noisy({"a": steady, "b": shaky})
    assert median_ratio(steady, summarize([3.0])) == 3.0
