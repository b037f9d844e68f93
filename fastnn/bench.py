"""``python -m fastnn bench``: fastnn against NumPy, PyTorch and scikit-learn, on this machine.

Usage examples::

    python -m fastnn bench --quick                      # under a minute
    python -m fastnn bench --json run.json --plot run.png
    python -m fastnn bench --groups kernels --dtypes float32 --sizes 1e5 --threads 1,2
    python -m fastnn bench --quick --compare before.json       # run, then compare
    python -m fastnn bench --compare before.json after.json    # compare two saved runs

The modules behind it, one concern each: ``_bench_kernels`` (kernel cases and
their NumPy/torch baselines), ``_bench_network`` and ``_bench_mlp`` (training
and dense-layer cases), ``_bench_timing`` (interleaved medians),
``_bench_machine`` (the header), ``_bench_report`` (tables, JSON, compare) and
``_bench_plot`` (the PNG).
"""
import argparse
import contextlib
import sys
import time
import warnings

import numpy as np

import fastnn
from fastnn import _bench_kernels as kernels
from fastnn import _bench_network as network
from fastnn._bench_machine import format_header, machine_header
from fastnn._bench_report import (SCHEMA, compare, compare_lines, kernel_tables, load_json,
                                  network_tables, write_json)
from fastnn._bench_timing import Budget, is_noisy, measure

GROUPS = ("kernels", "network")
DTYPES = ("float32", "float64")
SIZES = (1_000, 100_000, 10_000_000)
# --quick keeps every row but measures each for less time, and shrinks the
# 784-256-10 epoch; --rounds overrides either.
# Many short blocks rather than a few long ones: on a shared machine a block
# that another process preempts becomes one outlier the median ignores.
KERNEL_BUDGET = {"quick": Budget(rounds=9, min_rounds=3, block_s=3e-4, row_s=0.12),
                 "full": Budget(rounds=25, min_rounds=5, block_s=1e-3, row_s=1.2)}
NETWORK_BUDGET = {"quick": Budget(rounds=3, min_rounds=3, block_s=0.0, row_s=0.5),
                  "full": Budget(rounds=7, min_rounds=5, block_s=0.0, row_s=8.0)}


def _csv(kind, choices=None):
    """An argparse type for comma-separated lists, checked against `choices`."""
    def parse(text):
        items = [item.strip() for item in text.split(",") if item.strip()]
        if not items:
            raise argparse.ArgumentTypeError(f"expected a comma-separated list of {kind}")
        if choices is not None:
            unknown = [i for i in items if i not in choices]
            if unknown:
                raise argparse.ArgumentTypeError(
                    f"unknown {kind} {', '.join(unknown)}; choose from {', '.join(choices)}")
        return items
    return parse


def _counts(kind, expected, minimum, convert=int):
    """An argparse type for comma-separated whole numbers >= minimum;
    `expected` says what a bad item should have been."""
    def parse(text):
        try:
            values = [convert(item) for item in _csv(kind)(text)]
        except ValueError:
            raise argparse.ArgumentTypeError(f"{expected}, got {text!r}") from None
        if any(v < minimum for v in values):
            raise argparse.ArgumentTypeError(f"{kind} must be at least {minimum}")
        return values
    return parse


_sizes = _counts("sizes", "sizes must be numbers like 1e5", 10,
                 convert=lambda item: int(float(item)))
_threads = _counts("thread counts", "threads must be integers like 1,2", 1)


def parse_args(argv):
    """The command line as an argparse.Namespace (see ``--help``)."""
    parser = argparse.ArgumentParser(
        prog="python -m fastnn bench",
        description="Time fastnn's kernels and network against NumPy, PyTorch and "
                    "scikit-learn (where installed), interleaved on the same arrays.")
    parser.add_argument("--quick", action="store_true",
                        help="shorter measurements and a smaller epoch (under a minute)")
    parser.add_argument("--groups", type=_csv("groups", GROUPS), default=list(GROUPS),
                        help="comma-separated: kernels,network (default both)")
    parser.add_argument("--dtypes", type=_csv("dtypes", DTYPES), default=list(DTYPES),
                        help="comma-separated: float32,float64 (default both)")
    parser.add_argument("--sizes", type=_sizes, default=list(SIZES),
                        help="kernel array sizes, comma-separated (default 1e3,1e5,1e7)")
    parser.add_argument("--functions", type=_csv("functions", kernels.FUNCTIONS),
                        default=list(kernels.FUNCTIONS),
                        help="activations to time (default all)")
    parser.add_argument("--threads", type=_threads, default=[1],
                        help="thread counts, comma-separated, e.g. 1,2 (default 1)")
    parser.add_argument("--rounds", type=int, default=None,
                        help="rounds per row (default 9 quick, 25 full; 3/7 for network)")
    parser.add_argument("--json", metavar="FILE", help="write every figure and the header")
    parser.add_argument("--compare", metavar="JSON", nargs="+",
                        help="OLD.json: compare this run with a saved one; "
                             "OLD.json NEW.json: compare two saved runs without running")
    parser.add_argument("--plot", metavar="FILE.png", help="draw speedups (needs matplotlib)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    if args.compare is not None and len(args.compare) > 2:
        parser.error("--compare takes OLD.json, or OLD.json NEW.json")
    if args.rounds is not None and args.rounds < 1:
        parser.error("--rounds must be at least 1")
    return args


def _budgets(args):
    mode = "quick" if args.quick else "full"
    kernel, net = KERNEL_BUDGET[mode], NETWORK_BUDGET[mode]
    if args.rounds is not None:
        kernel = Budget(args.rounds, min(args.rounds, kernel.min_rounds), kernel.block_s,
                        kernel.row_s)
        net = Budget(args.rounds, min(args.rounds, net.min_rounds), net.block_s, net.row_s)
    return kernel, net


@contextlib.contextmanager
def thread_limits(threads, torch):
    """fastnn's OpenMP, the BLAS libraries and torch all at `threads`."""
    previous = fastnn.get_num_threads()
    torch_previous = torch.get_num_threads() if torch is not None else None
    fastnn.set_num_threads(threads)
    if torch is not None:
        torch.set_num_threads(threads)
    try:
        from threadpoolctl import threadpool_limits
        limiter = threadpool_limits(limits=threads)
    except ImportError:
        limiter = contextlib.nullcontext()
    try:
        with limiter:
            yield
    finally:
        fastnn.set_num_threads(previous)
        if torch is not None:
            torch.set_num_threads(torch_previous)


def _plan(args):
    """The rows to run, as (threads, group, dtype, size, label) in run order."""
    plan = []
    for threads in args.threads:
        if "kernels" in args.groups:
            for dtype in args.dtypes:
                for n in args.sizes:
                    plan.append((threads, "kernels", dtype, n, "copyto"))
                    plan.extend((threads, "kernels", dtype, n, f"{f} {kind}")
                                for f in args.functions for kind in kernels.KINDS)
        if "network" in args.groups:
            for dtype in args.dtypes:
                plan.extend((threads, "network", dtype, None, name)
                            for name in ("digits", "mnist-like", "dense"))
    return plan


def _row(group, name, kind, dtype, n, threads, unit, stats, unavailable=None, notes=None,
         accuracy=None):
    return {"group": group, "name": name, "kind": kind, "dtype": dtype, "n": int(n),
            "threads": threads, "unit": unit,
            "results": {k: s.as_dict() for k, s in stats.items()},
            "noisy": is_noisy(stats), "unavailable": unavailable or {},
            "notes": notes or {}, "accuracy": accuracy or {}}


class _ArrayCache:
    """Holds the arrays of one (dtype, n) at a time: 1e7 float64 needs 400 MB."""

    def __init__(self):
        self.key, self.arrays = None, None

    def get(self, dtype, n):
        if self.key != (dtype, n):
            self.arrays = None
            self.arrays = kernels.Arrays(dtype, n)
            self.key = (dtype, n)
        return self.arrays


def _kernel_row(label, dtype, n, threads, cache, torch, budget):
    arrays = cache.get(dtype, n)
    if label == "copyto":
        case = kernels.copy_case(arrays)
    else:
        function, kind = label.split()
        case = kernels.kernel_case(function, kind, arrays, torch)
    stats = measure(case.impls, budget)
    unavailable = {} if torch is not None else {"torch": "PyTorch not installed"}
    return _row("kernels", case.function, case.kind, dtype, n, threads, "element", stats,
                unavailable, case.notes)


def _network_row(name, dtype, threads, torch, sklearn_mlp, quick, budget):
    if name == "digits":
        case = network.digits_case(dtype, torch, sklearn_mlp)
        kind = "train"
    elif name == "mnist-like":
        samples = network.MNIST_SAMPLES_QUICK if quick else network.MNIST_SAMPLES
        case = network.mnist_like_case(dtype, samples, torch, sklearn_mlp)
        kind = "train"
    else:
        case = network.dense_case(dtype)
        kind = "layer"
    stats = measure(case.impls, budget) if case.impls else {}
    accuracy = {impl: fn() for impl, fn in case.accuracy.items()}
    return _row("network", case.name, kind, case.dtype, case.n, threads, case.unit, stats,
                case.unavailable, case.notes, accuracy)


def _progress(total, disable):
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total, desc="fastnn bench", unit="row", file=sys.stderr,
                disable=disable, leave=False)


def run_benchmarks(args, torch, sklearn_mlp):
    """Measure every planned row; returns the list of row dicts."""
    kernel_budget, network_budget = _budgets(args)
    plan = _plan(args)
    bar = _progress(len(plan), args.no_progress)
    cache, rows = _ArrayCache(), []
    try:
        for threads in args.threads:
            with thread_limits(threads, torch):
                for t, group, dtype, n, label in plan:
                    if t != threads:
                        continue
                    if bar is not None:
                        bar.set_postfix_str(f"{group} {dtype} {label} {n or ''} t{threads}")
                    if group == "kernels":
                        rows.append(_kernel_row(label, dtype, n, threads, cache, torch,
                                                kernel_budget))
                    else:
                        rows.append(_network_row(label, dtype, threads, torch, sklearn_mlp,
                                                 args.quick, network_budget))
                    if bar is not None:
                        bar.update()
    finally:
        if bar is not None:
            bar.close()
    return rows


def _options(args):
    return {"groups": args.groups, "dtypes": args.dtypes, "sizes": args.sizes,
            "functions": args.functions, "threads": args.threads, "quick": args.quick,
            "rounds": args.rounds}


def print_run(run, file=None):
    """Header and tables of a run."""
    file = file or sys.stdout
    for line in format_header(run["header"]) + kernel_tables(run) + network_tables(run):
        print(line, file=file)
    print(f"\nMeasured in {run['duration_s']:.0f} s.", file=file)


def main(argv=None):
    """Entry point of ``python -m fastnn bench``; returns the exit status.

    A benchmark never fails: the status is 0 whatever the timings, 1 when an
    input file cannot be read or matplotlib is missing for ``--plot``, 2 for
    bad arguments.
    """
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        if args.compare is not None and len(args.compare) == 2:
            changes = compare(load_json(args.compare[0]), load_json(args.compare[1]))
            for line in compare_lines(changes):
                print(line)
            return 0
        old = load_json(args.compare[0]) if args.compare else None
        if args.plot:
            from fastnn._bench_plot import new_figure
            new_figure(1, 1)                    # fails now, not after the run
    except (OSError, ValueError, ImportError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    run = run_report(args)
    print_run(run)
    if args.json:
        write_json(run, args.json)
        print(f"Wrote {args.json}")
    if old is not None:
        for line in compare_lines(compare(old, run)):
            print(line)
    if args.plot:
        from fastnn._bench_plot import plot_run
        plot_run(run, args.plot)
        print(f"Wrote {args.plot}")
    return 0


def run_report(args):
    """Measure what `args` selects; returns the run dict (the JSON schema)."""
    torch = kernels.import_torch()
    sklearn_mlp = network.import_sklearn_mlp() if "network" in args.groups else None
    if "network" in args.groups:
        import scipy.linalg  # noqa: F401  (loads its BLAS so the header lists it)
    started = time.perf_counter()
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        rows = run_benchmarks(args, torch, sklearn_mlp)
    return {"schema": SCHEMA, "header": machine_header(args.threads),
            "options": _options(args), "duration_s": time.perf_counter() - started,
            "rows": rows}
