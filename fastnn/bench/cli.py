"""``python -m fastnn bench``: fastnn against NumPy, PyTorch and scikit-learn, on this machine.

Usage examples::

    python -m fastnn bench --quick                      # under a minute
    python -m fastnn bench --json run.json --plot run.png
    python -m fastnn bench --groups kernels --dtypes float32 --sizes 1e5 --threads 1,2
    python -m fastnn bench --quick --compare before.json       # run, then compare
    python -m fastnn bench --compare before.json after.json    # compare two saved runs

This module holds the options and the command; the groups they select are
registered in :mod:`fastnn.bench.groups`.
"""
import argparse

from fastnn._cli import CommandError, at_least, check_output_file, check_plot_file
from fastnn.bench.groups import GROUPS
from fastnn.bench.kernel_cases import FUNCTIONS
from fastnn.bench.report import compare, compare_lines, load_json, write_json
from fastnn.bench.run import print_run, run_report

DESCRIPTION = ("Time fastnn's kernels and network against NumPy, PyTorch and "
               "scikit-learn (where installed), interleaved on the same arrays.")
DTYPES = ("float32", "float64")
SIZES = (1_000, 100_000, 10_000_000)


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


class _CompareFiles(argparse.Action):
    """--compare takes one or two files."""

    def __call__(self, parser, namespace, values, option_string=None):
        if len(values) > 2:
            parser.error("--compare takes OLD.json, or OLD.json NEW.json")
        setattr(namespace, self.dest, values)


def add_arguments(parser):
    """The options of ``bench``, on `parser` (an argparse parser)."""
    groups = ",".join(GROUPS)
    parser.add_argument("--quick", action="store_true",
                        help="shorter measurements and a smaller epoch (under a minute)")
    parser.add_argument("--groups", type=_csv("groups", list(GROUPS)), default=list(GROUPS),
                        help=f"comma-separated: {groups} (default all)")
    parser.add_argument("--dtypes", type=_csv("dtypes", DTYPES), default=list(DTYPES),
                        help="comma-separated: float32,float64 (default both)")
    parser.add_argument("--sizes", type=_sizes, default=list(SIZES),
                        help="kernel array sizes, comma-separated (default 1e3,1e5,1e7)")
    parser.add_argument("--functions", type=_csv("functions", FUNCTIONS),
                        default=list(FUNCTIONS), help="activations to time (default all)")
    parser.add_argument("--threads", type=_threads, default=[1],
                        help="thread counts, comma-separated, e.g. 1,2 (default 1)")
    parser.add_argument("--rounds", type=at_least(1), default=None,
                        help="rounds per row (default 9 quick, 25 full; 3/7 for network)")
    parser.add_argument("--json", metavar="FILE", help="write every figure and the header")
    parser.add_argument("--compare", metavar="JSON", nargs="+", action=_CompareFiles,
                        help="OLD.json: compare this run with a saved one; "
                             "OLD.json NEW.json: compare two saved runs without running")
    parser.add_argument("--plot", metavar="FILE.png", help="draw speedups (needs matplotlib)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def _load(path):
    try:
        return load_json(path)
    except (OSError, ValueError) as exc:
        raise CommandError(str(exc)) from None


def run(args):
    """Run (or only compare) and print; returns exit status 0.

    A benchmark never fails on its timings.

    Raises
    ------
    fastnn._cli.CommandError
        Before anything is measured: a --compare file that cannot be read,
        matplotlib missing for --plot, no folder for --plot or --json.
    """
    if args.compare is not None and len(args.compare) == 2:
        for line in compare_lines(compare(_load(args.compare[0]), _load(args.compare[1]))):
            print(line)
        return 0
    old = _load(args.compare[0]) if args.compare else None
    if args.plot:
        check_plot_file(args.plot)
    if args.json:
        check_output_file(args.json)
    run = run_report(args)
    print_run(run)
    if args.json:
        try:
            write_json(run, args.json)
        except OSError as exc:
            raise CommandError(f"cannot write {args.json}: {exc.strerror or exc}") from None
        print(f"Wrote {args.json}")
    if old is not None:
        for line in compare_lines(compare(old, run)):
            print(line)
    if args.plot:
        from fastnn.bench.plot import plot_run
        plot_run(run, args.plot)
        print(f"Wrote {args.plot}")
    return 0
