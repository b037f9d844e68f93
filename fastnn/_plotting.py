"""Headless matplotlib figures for the commands that draw (plot-activations,
demo --plot, bench --plot): one place says how a figure is made and what to
install when matplotlib is missing."""

INSTALL_HINT = 'plotting needs matplotlib: pip install "fastnn-cpu[plot]"'


def require_matplotlib():
    """Import matplotlib or say how to get it.

    Raises
    ------
    ImportError
        If matplotlib is not installed; the message names the ``plot`` extra.
    """
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise ImportError(INSTALL_HINT) from None


def new_figure(width, height, dpi=110):
    """A matplotlib Figure on the Agg canvas: no display, no pyplot global state.

    Parameters
    ----------
    width, height : float
        Size in inches.
    dpi : int
        Resolution of the saved image.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ImportError
        If matplotlib is not installed, saying how to get it.
    """
    require_matplotlib()
    from matplotlib.figure import Figure
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    figure = Figure(figsize=(width, height), dpi=dpi)
    FigureCanvasAgg(figure)
    return figure
