"""What the ``python -m fastnn`` commands share: argument types and the
errors reported as one line on stderr.

Conventions: bad arguments are argparse errors (usage and message on stderr,
exit status 2); a command that cannot do its job once started (a file it
cannot read or write, matplotlib missing) raises :class:`CommandError`,
which ``fastnn.__main__`` prints as ``python -m fastnn CMD: error: ...`` on
stderr with exit status 1.  Both are checked before any long work starts.
"""
import argparse
import os

from fastnn._plotting import require_matplotlib


class CommandError(Exception):
    """A command failed for a reason the user can fix; the message says which."""


def at_least(minimum, convert=int, kind="an integer"):
    """An argparse type: a number parsed by `convert`, at least `minimum`.

    Parameters
    ----------
    minimum : int or float
    convert : callable
        str -> number (int or float).
    kind : str
        What a bad value should have been, for the error message.
    """
    def parse(text):
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {kind}, got {text!r}") from None
        if not value >= minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {text}")
        return value
    return parse


def positive_float(text):
    """An argparse type: a float above zero."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be above 0, got {text}")
    return value


def check_output_file(path):
    """Fail now, not after the work, when `path` cannot be written.

    Raises
    ------
    CommandError
        If the folder `path` goes into does not exist or is not a folder.
    """
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise CommandError(f"cannot write {path}: no folder {os.path.dirname(path) or '.'}")


def check_plot_file(path):
    """:func:`check_output_file`, and that matplotlib is there to draw it.

    Raises
    ------
    CommandError
        If matplotlib is missing (saying what to install) or the folder is.
    """
    try:
        require_matplotlib()
    except ImportError as exc:
        raise CommandError(str(exc)) from None
    check_output_file(path)


def save_figure(figure, path, **kwargs):
    """figure.savefig(path), an OSError (disk full, no permission) as CommandError."""
    try:
        figure.savefig(path, **kwargs)
    except OSError as exc:
        raise CommandError(f"cannot write {path}: {exc.strerror or exc}") from None
