"""Command line: ``python -m fastnn [--version] COMMAND [options]``.

Each command lives in its own module, which provides ``DESCRIPTION``,
``add_arguments(parser)`` and ``run(args) -> exit status``.  Bad arguments
exit with status 2 (argparse: usage and error on stderr); a command that
fails once started raises :class:`fastnn._cli.CommandError`, printed here as
one line on stderr with status 1.
"""
import argparse
import importlib
import sys

from fastnn._cli import CommandError
from fastnn._version import __version__

PROG = "python -m fastnn"
# command -> (module, one-line summary shown by --help)
COMMANDS = {
    "config": ("fastnn._config", "print build and run-time configuration"),
    "demo": ("fastnn.demo", "train a 64-64-10 network on the digits"),
    "bench": ("fastnn.bench.cli", "benchmark fastnn against NumPy, PyTorch and scikit-learn"),
    "plot-activations": ("fastnn.plots", "draw the activations and their derivatives"),
}


def build_parser():
    """The argparse parser of ``python -m fastnn``, one subparser per command."""
    parser = argparse.ArgumentParser(
        prog=PROG, description="fastnn: small, fast neural networks on the CPU.")
    parser.add_argument("--version", action="version", version=f"fastnn {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True,
                                     title="commands")
    for name, (module_name, summary) in COMMANDS.items():
        module = importlib.import_module(module_name)
        sub = commands.add_parser(name, help=summary, description=module.DESCRIPTION)
        module.add_arguments(sub)
        sub.set_defaults(run=module.run, command_parser=sub)
    return parser


def parse_args(argv):
    """The parsed command line (argparse.Namespace with ``run``); exits 2 on bad arguments.

    An unknown option is reported with its command's usage line, not the
    top-level one.
    """
    args, unknown = build_parser().parse_known_args(argv)
    if unknown:
        args.command_parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    return args


def main(argv=None):
    """Run ``python -m fastnn``; returns the exit status.

    Parameters
    ----------
    argv : list of str, optional
        The arguments after ``python -m fastnn``; ``sys.argv[1:]`` by default.

    Returns
    -------
    int
        0 on success, 1 when the command failed (message on stderr).

    Raises
    ------
    SystemExit
        From argparse: status 0 after ``--help``/``--version``, 2 for bad
        arguments or an unknown command.
    """
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        return args.run(args) or 0
    except CommandError as exc:
        print(f"{PROG} {args.command}: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
