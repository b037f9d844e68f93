"""The registry of benchmark groups: one entry per group, in report order.

A group is a name (``--groups``), the function that plans its rows for the
command-line options, the optional libraries it compares against (loaded
once per run, each missing one reported once), the function that prints its
tables from a run, and its measuring budgets.  Adding a group is one entry
here plus its own module of cases.
"""
from dataclasses import dataclass
from typing import Callable, Dict, List, Tuple

from fastnn.bench import (estimator_cases, inference_cases, kernel_cases, network_cases,
                          report)
from fastnn.bench.rows import Planned
from fastnn.bench.timing import Budget


@dataclass(frozen=True)
class Group:
    """One group of rows of ``python -m fastnn bench``.

    Attributes
    ----------
    name : str
        Its ``--groups`` name and the ``group`` field of its rows.
    plan : callable
        argparse.Namespace -> list of :class:`fastnn.bench.rows.Planned`: its
        rows for one thread count, in run order.
    baselines : tuple of str
        Optional libraries it times (keys of fastnn.bench.baselines.BASELINES).
    tables : callable
        run dict -> list of printed lines (its tables and footnotes).
    budgets : dict
        "quick" and "full" -> :class:`fastnn.bench.timing.Budget` per row.
    """
    name: str
    plan: Callable[[object], List[Planned]]
    baselines: Tuple[str, ...]
    tables: Callable[[dict], List[str]]
    budgets: Dict[str, Budget]


GROUPS = {group.name: group for group in [
    # Many short blocks rather than a few long ones: on a shared machine a
    # block that another process preempts becomes one outlier the median ignores.
    Group("kernels", kernel_cases.plan, ("torch",), report.kernel_tables,
          {"quick": Budget(rounds=9, min_rounds=3, block_s=3e-4, row_s=0.12),
           "full": Budget(rounds=25, min_rounds=5, block_s=1e-3, row_s=1.2)}),
    # Whole epochs: one call per block.
    Group("network", network_cases.plan, ("torch", "sklearn"), report.network_tables,
          {"quick": Budget(rounds=3, min_rounds=3, block_s=0.0, row_s=0.5),
           "full": Budget(rounds=7, min_rounds=5, block_s=0.0, row_s=8.0)}),
    # Calls of microseconds to milliseconds: short blocks, many rounds.
    Group("inference", inference_cases.plan, ("onnxruntime", "torch", "sklearn"),
          inference_cases.tables,
          {"quick": Budget(rounds=9, min_rounds=3, block_s=2e-3, row_s=0.3),
           "full": Budget(rounds=31, min_rounds=7, block_s=5e-3, row_s=3.0)}),
    # Whole fits against scikit-learn's MLPClassifier: one fit per block.
    Group("estimators", estimator_cases.plan, ("sklearn",), estimator_cases.tables,
          {"quick": Budget(rounds=3, min_rounds=3, block_s=0.0, row_s=1.0),
           "full": Budget(rounds=5, min_rounds=3, block_s=0.0, row_s=15.0)}),
]}
