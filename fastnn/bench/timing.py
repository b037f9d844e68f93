"""Interleaved timing: fastnn and its baselines round by round, medians with spread.

A shared 2-core machine drifts (other processes, frequency, cache state), so
implementations are never timed one after the other in long stretches: each
round times one block of calls of every implementation, in an order that
rotates from round to round, and the figure kept is the median over rounds
with the interquartile range as its spread.
"""
from dataclasses import dataclass, asdict
import gc
import math
import time
from typing import Callable, Dict, List

import numpy as np

# A row whose IQR exceeds this fraction of its median is marked untrustworthy.
NOISY_SPREAD = 0.25
# Calls slower than this are not timed again for calibration after warm-up.
SLOW_CALL_S = 5e-3


@dataclass
class Budget:
    """How long to measure one row.

    Attributes
    ----------
    rounds : int
        Rounds wanted (each times every implementation once).
    min_rounds : int
        Rounds kept even when a row is slow.
    block_s : float
        Minimum duration of one timed block (calls are repeated to reach it,
        so timer resolution and loop overhead stay negligible).
    row_s : float
        Time budget of one row; rounds are cut down to it, not below min_rounds.
    """
    rounds: int = 9
    min_rounds: int = 3
    block_s: float = 2e-3
    row_s: float = 0.5


@dataclass
class Stats:
    """Seconds per call of one implementation over the rounds."""
    median: float
    q1: float
    q3: float
    spread: float          # (q3 - q1) / median
    samples: List[float]
    calls_per_block: int

    def as_dict(self):
        return asdict(self)


def summarize(samples, calls_per_block=1):
    """Stats of per-call times (seconds).

    Parameters
    ----------
    samples : sequence of float
        One per round, seconds per call; at least one.
    calls_per_block : int

    Returns
    -------
    Stats
    """
    if len(samples) == 0:
        raise ValueError("samples must not be empty")
    q1, median, q3 = (float(v) for v in np.percentile(samples, [25, 50, 75]))
    spread = (q3 - q1) / median if median > 0 else math.inf
    return Stats(median, q1, q3, spread, [float(s) for s in samples], int(calls_per_block))


def _time_block(fn, calls):
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls


def measure(impls: Dict[str, Callable[[], object]], budget: Budget) -> Dict[str, Stats]:
    """Time every implementation, interleaved round by round.

    Parameters
    ----------
    impls : dict of str to callable
        Zero-argument callables working on preallocated arrays.
    budget : Budget

    Returns
    -------
    dict of str to Stats
        Seconds per call, same keys as `impls`.
    """
    names = list(impls)
    gc_was_enabled = gc.isenabled()
    gc.disable()            # a collection inside a block would land on one side only
    try:
        # Warm-up: caches, page tables, lazy initialisation (torch, BLAS threads).
        single = {}
        for name in names:
            warm = _time_block(impls[name], 1)
            # A call this slow is far above timer resolution and its cold start
            # is small beside it: the warm-up doubles as calibration.
            single[name] = warm if warm >= SLOW_CALL_S else max(
                _time_block(impls[name], 1), 1e-9)
        calls = {name: max(1, math.ceil(budget.block_s / single[name])) for name in names}
        per_round = sum(calls[name] * single[name] for name in names)
        rounds = max(budget.min_rounds,
                     min(budget.rounds, int(budget.row_s / max(per_round, 1e-9))))
        samples = {name: [] for name in names}
        for r in range(rounds):
            for i in range(len(names)):
                name = names[(r + i) % len(names)]
                samples[name].append(_time_block(impls[name], calls[name]))
    finally:
        if gc_was_enabled:
            gc.enable()
    return {name: summarize(samples[name], calls[name]) for name in names}


def median_ratio(a: Stats, b: Stats):
    """b.median / a.median (how many times faster `a` is than `b`)."""
    return b.median / a.median if a.median > 0 else math.nan


def is_noisy(stats: Dict[str, Stats]):
    """True when any implementation's spread is too wide to trust the row."""
    return any(s.spread > NOISY_SPREAD for s in stats.values())
