"""``python -m fastnn plot-activations FILE.png``: each activation and its derivative.

Both curves are computed by fastnn's own kernels on [-5, 5] (the forward
function and its ``_derivative``), so the picture doubles as a visual check
of the kernels.  Needs matplotlib (the ``plot`` extra).
"""
import numpy as np

import fastnn
from fastnn._cli import check_plot_file, save_figure
from fastnn._plotting import new_figure

DESCRIPTION = ("Draw each activation and its derivative on [-5, 5] "
               "(computed by fastnn's kernels) to an image file.")

# The four classic activations first, then the rest; (name, title, keyword
# arguments).
# Leaky ReLU is drawn with alpha 0.1 rather than the default 0.01 so that its
# negative slope is visible at this scale; the title says so.
PANELS = [
    ("sigmoid", r"sigmoid: $1 / (1 + e^{-x})$", {}),
    ("tanh", "tanh", {}),
    ("relu", "ReLU: max(0, x)", {}),
    ("leaky_relu", r"leaky ReLU, $\alpha = 0.1$", {"alpha": 0.1}),
    ("elu", r"ELU, $\alpha = 1$", {"alpha": 1.0}),
    ("softplus", r"softplus: $\log(1 + e^{x})$", {}),
    ("silu", r"SiLU (swish): $x\,\sigma(x)$", {}),
    ("gelu", "GELU (exact, erf)", {"approximate": "none"}),
    ("gelu", "GELU (tanh approximation)", {"approximate": "tanh"}),
    ("identity", "identity", {}),
]
X_MIN, X_MAX, POINTS = -5.0, 5.0, 1001
# A derivative step larger than this between neighbouring points is a jump
# (ReLU's at 0): the curve is broken there instead of drawn as a vertical line.
JUMP = 0.2


def activation_curves(name, x, **params):
    """(f(x), f'(x)) of activation `name` by fastnn's kernels.

    Parameters
    ----------
    name : str
        An elementwise activation of fastnn (not softmax).
    x : ndarray of float64
    **params
        Its parameter (alpha or approximate).

    Returns
    -------
    tuple of ndarray
    """
    forward = getattr(fastnn, name)
    derivative = getattr(fastnn, f"{name}_derivative")
    return forward(x, **params), derivative(x, **params)


def break_jumps(x, y, jump=JUMP):
    """Copies of x and y with NaN inserted where y jumps, so no riser is drawn."""
    cuts = np.flatnonzero(np.abs(np.diff(y)) > jump) + 1
    return np.insert(x, cuts, np.nan), np.insert(y, cuts, np.nan)


def plot_activations(path, columns=5):
    """Draw every activation and its derivative on [-5, 5] to `path`.

    Parameters
    ----------
    path : str
        Output image file (PNG by its extension).
    columns : int
        Panels per row.

    Raises
    ------
    ImportError
        If matplotlib is not installed.
    fastnn._cli.CommandError
        If the file cannot be written.
    """
    x = np.linspace(X_MIN, X_MAX, POINTS)
    rows = -(-len(PANELS) // columns)
    figure = new_figure(3.6 * columns, 3.4 * rows + 0.8)
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    for ax, (name, title, params) in zip(axes, PANELS):
        y, dy = activation_curves(name, x, **params)
        ax.axhline(0, color="black", linewidth=0.8)
        ax.axvline(0, color="black", linewidth=0.8)
        ax.plot(x, y, color="#1f77b4", linewidth=2.2, label="f(x)")
        ax.plot(*break_jumps(x, dy), color="#d62728", linewidth=1.8, linestyle="--",
                label="f'(x)")
        if np.any(np.abs(np.diff(dy)) > JUMP):       # show the value taken at the jump
            at_zero = activation_curves(name, np.zeros(1), **params)[1][0]
            ax.plot([0.0], [at_zero], "o", color="#d62728", markersize=5)
        ax.set_title(title, fontsize=11)
        ax.set_xlim(X_MIN, X_MAX)
        ax.grid(True, alpha=0.3)
        ax.set_xlabel("x", fontsize=10)
    for ax in axes[len(PANELS):]:
        ax.set_axis_off()
    handles, labels = axes[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="upper right", fontsize=11, ncol=2, frameon=False)
    figure.suptitle("fastnn activations f(x) and derivatives f'(x) on [-5, 5], "
                    "computed by fastnn's kernels", fontsize=13)
    figure.tight_layout(rect=(0, 0, 1, 0.94))
    save_figure(figure, path)


def add_arguments(parser):
    """``plot-activations FILE.png``, on `parser` (an argparse parser)."""
    parser.add_argument("file", metavar="FILE.png", help="where to write the image")


def run(args):
    """Draw to ``args.file``; returns exit status 0.

    Raises
    ------
    fastnn._cli.CommandError
        If matplotlib or the output folder is missing, or the file cannot be
        written.
    """
    check_plot_file(args.file)
    plot_activations(args.file)
    print(f"Wrote {args.file}")
    return 0
