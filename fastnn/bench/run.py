"""Running a benchmark report: the selected groups' rows at each thread count.

Every library is pinned to one thread count at a time
(:func:`fastnn.bench.threads.pin_threads`); rows run in their groups'
order; the result is the run dict of :mod:`fastnn.bench.report`.
"""
import sys
import time
import warnings

import numpy as np

from fastnn.bench import baselines
from fastnn.bench.groups import GROUPS
from fastnn.bench.machine import format_header, machine_header
from fastnn.bench.report import SCHEMA, missing_lines
from fastnn.bench.rows import Context
from fastnn.bench.threads import pin_threads
from fastnn.bench.timing import Budget


def budget_of(group, options):
    """The group's Budget for ``--quick`` or not, with ``--rounds`` applied."""
    budget = group.budgets["quick" if options.quick else "full"]
    if options.rounds is None:
        return budget
    return Budget(options.rounds, min(options.rounds, budget.min_rounds), budget.block_s,
                  budget.row_s)


def plan(options):
    """Every row to run, as (threads, group, Planned) in run order."""
    return [(threads, GROUPS[name], planned)
            for threads in options.threads
            for name in GROUPS if name in options.groups
            for planned in GROUPS[name].plan(options)]


def _progress(total, disable):
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total, desc="fastnn bench", unit="row", file=sys.stderr,
                disable=disable, leave=False)


def run_rows(options, loaded):
    """Measure every planned row; returns the list of row dicts.

    Parameters
    ----------
    options : argparse.Namespace
        The options of ``python -m fastnn bench``.
    loaded : fastnn.bench.baselines.Loaded
        The optional baselines.
    """
    planned = plan(options)
    bar = _progress(len(planned), options.no_progress)
    rows = []
    try:
        for threads in options.threads:
            with pin_threads(threads, loaded.get("torch")):
                for t, group, entry in planned:
                    if t != threads:
                        continue
                    if bar is not None:
                        bar.set_postfix_str(f"{group.name} {entry.label} t{threads}")
                    context = Context(threads, budget_of(group, options), options.quick,
                                      loaded)
                    rows.append(entry.measure(context))
                    if bar is not None:
                        bar.update()
    finally:
        if bar is not None:
            bar.close()
    return rows


def _options(options):
    return {"groups": options.groups, "dtypes": options.dtypes, "sizes": options.sizes,
            "functions": options.functions, "threads": options.threads,
            "quick": options.quick, "rounds": options.rounds}


def run_report(options):
    """Measure what `options` selects; returns the run dict (the JSON schema)."""
    selected = [GROUPS[name] for name in GROUPS if name in options.groups]
    loaded = baselines.load(name for group in selected for name in group.baselines)
    started = time.perf_counter()
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        rows = run_rows(options, loaded)
    return {"schema": SCHEMA, "header": machine_header(options.threads),
            "options": _options(options), "duration_s": time.perf_counter() - started,
            "missing": loaded.missing, "rows": rows}


def print_run(run, file=None):
    """Header, missing baselines (once each) and every group's tables of a run."""
    file = file or sys.stdout
    lines = format_header(run["header"]) + missing_lines(run)
    for group in GROUPS.values():
        lines += group.tables(run)
    for line in lines:
        print(line, file=file)
    print(f"\nMeasured in {run['duration_s']:.0f} s.", file=file)
