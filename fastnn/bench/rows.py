"""What a benchmark row is, and what a group hands the runner to make one.

A row is a JSON-ready dict (see :mod:`fastnn.bench.report` for the whole run)::

    {"group": str, "name": str, "kind": str, "dtype": str, "n": int,
     "threads": int, "unit": "element" | "epoch" | "call",
     "results": {impl: Stats.as_dict()}, "noisy": bool,
     "unavailable": {impl: reason}, "notes": {impl: note},
     "accuracy": {impl: float}}

A group plans its rows as :class:`Planned` entries; the runner calls each
one's ``measure`` with a :class:`Context` (threads, budget, baselines).
"""
from dataclasses import dataclass
from functools import partial
from typing import Callable

from fastnn.bench.baselines import Loaded
from fastnn.bench.timing import Budget, is_noisy

ROW_KEYS = ("group", "name", "kind", "dtype", "n", "threads", "unit", "results", "noisy",
            "unavailable", "notes", "accuracy")


@dataclass
class Context:
    """What measuring one row needs from the run.

    Attributes
    ----------
    threads : int
        The thread count everything is pinned to.
    budget : Budget
        How long to measure (the group's, for --quick or not, --rounds applied).
    quick : bool
        --quick: groups may also shrink their problems.
    baselines : Loaded
        The optional libraries of the run (None where not installed).
    """
    threads: int
    budget: Budget
    quick: bool
    baselines: Loaded


@dataclass
class Planned:
    """One row a group will measure: a label for the progress bar, and how."""
    label: str
    measure: Callable[[Context], dict]


def plan_per_dtype(options, names, measure):
    """One :class:`Planned` per (dtype, row name), dtype by dtype.

    Parameters
    ----------
    options : argparse.Namespace
        ``dtypes`` of ``python -m fastnn bench``.
    names : iterable of str
        The group's row names, in run order.
    measure : callable
        ``measure(name, dtype, context)`` -> row dict.

    Returns
    -------
    list of Planned
        Labelled "<dtype> <name>".
    """
    names = list(names)
    return [Planned(f"{dtype} {name}", partial(measure, name, dtype))
            for dtype in options.dtypes for name in names]


def make_row(group, name, kind, dtype, n, threads, unit, stats, unavailable=None,
             notes=None, accuracy=None):
    """A row dict from timing Stats per implementation (see the module docstring)."""
    return {"group": group, "name": name, "kind": kind, "dtype": dtype, "n": int(n),
            "threads": threads, "unit": unit,
            "results": {k: s.as_dict() for k, s in stats.items()},
            "noisy": is_noisy(stats), "unavailable": unavailable or {},
            "notes": notes or {}, "accuracy": accuracy or {}}


def row_key(row):
    """What identifies a row across runs."""
    return (row["group"], row["name"], row["kind"], row["dtype"], row["n"], row["threads"])


def median(row, impl):
    """Median seconds per call of `impl` in `row`, or None if not measured."""
    result = row["results"].get(impl)
    return None if result is None else result["median"]


def speedup(row, baseline):
    """baseline time / fastnn time (above 1: fastnn is faster), or None."""
    fast, base = median(row, "fastnn"), median(row, baseline)
    if fast is None or base is None or fast <= 0:
        return None
    return base / fast
