"""``--plot FILE.png``: the benchmark run as a picture (needs matplotlib).

One panel per dtype with fastnn's speedup over NumPy for every function
across sizes (log-log: sizes span decades), and one panel with the training
epochs of every implementation side by side.
"""
from fastnn._cli import save_figure
from fastnn._plotting import new_figure
from fastnn.bench.baselines import labels_of
from fastnn.bench.kernel_cases import FUNCTIONS
from fastnn.bench.report import NETWORK_IMPLS
from fastnn.bench.rows import median, speedup

IMPL_COLORS = {"fastnn": "#d62728", "numpy": "#1f77b4", "torch": "#ff7f0e",
               "sklearn": "#2ca02c", "gemm only": "#7f7f7f", "fma peak": "#bcbcbc"}


# Eleven colours that stay apart (tab10 plus black), one per function.
FUNCTION_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
                   "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#000000"]


def _function_colors():
    return {f: FUNCTION_COLORS[i % len(FUNCTION_COLORS)] for i, f in enumerate(FUNCTIONS)}


def _speedup_panel(ax, rows, dtype, kind, threads, colors):
    """fastnn speedup over NumPy against n for one pass kind, one line per function."""
    ax.set_xscale("log")
    ax.set_yscale("log")
    plotted = False
    for function in FUNCTIONS:
        points = sorted((r["n"], speedup(r, "numpy")) for r in rows
                        if r["name"] == function and r["kind"] == kind
                        and r["dtype"] == dtype and r["threads"] == threads
                        and speedup(r, "numpy") is not None)
        if not points:
            continue
        xs, ys = zip(*points)
        ax.plot(xs, ys, "-", marker="o", markersize=4, color=colors[function],
                label=function, linewidth=1.6)
        plotted = True
    ax.axhline(1.0, color="black", linewidth=1)
    ax.axhline(2.0, color="gray", linewidth=1, linestyle=":")
    what = "forward" if kind == "forward" else "fused backward"
    ax.set_title(f"{what}, {dtype}, {threads} thread{'s' * (threads > 1)}", fontsize=12)
    ax.set_xlabel("elements per call (n)", fontsize=11)
    ax.set_ylabel("speedup over NumPy", fontsize=11)
    ax.grid(True, which="both", alpha=0.3)
    if plotted:
        low, high = ax.get_ylim()
        ax.set_ylim(min(low, 0.5), max(high, 4))
        _ratio_ticks(ax)
    else:
        ax.text(0.5, 0.5, "no kernel rows", ha="center", transform=ax.transAxes)


def _ratio_ticks(ax):
    """Ticks at 1-2-5 steps labelled as ratios (0.5x, 1x, 2x ...)."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter
    low, high = ax.get_ylim()
    ticks = [m * 10.0 ** e for e in range(-3, 4) for m in (1, 2, 5)
             if low <= m * 10.0 ** e <= high]
    ax.yaxis.set_major_locator(FixedLocator(ticks))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}x"))
    ax.yaxis.set_minor_formatter(NullFormatter())


def _training_panel(ax, rows):
    """Horizontal bars: time per epoch (or call) of each implementation, per row."""
    rows = [r for r in rows if r["group"] == "network" and r["results"]]
    if not rows:
        ax.text(0.5, 0.5, "no network rows measured", ha="center", transform=ax.transAxes)
        ax.set_axis_off()
        return
    height = 0.8 / len(NETWORK_IMPLS)
    labels, labelled = [], set()
    for i, r in enumerate(rows):
        labels.append(f"{r['name']}\n{r['dtype']}, n={r['n']}, t{r['threads']}")
        for j, impl in enumerate(NETWORK_IMPLS):
            seconds = median(r, impl)
            y = i + (j - (len(NETWORK_IMPLS) - 1) / 2) * height
            if seconds is not None:
                ax.barh(y, seconds * 1e3, height=height, color=IMPL_COLORS[impl],
                        label=None if impl in labelled else impl)
                labelled.add(impl)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels(labels, fontsize=9)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("milliseconds per epoch (dense: per fwd+bwd call), log scale", fontsize=11)
    ax.set_title("Network: training epoch and dense layer", fontsize=12)
    ax.set_axisbelow(True)                  # grid lines behind the bars, not across them
    ax.grid(True, axis="x", which="both", alpha=0.3)
    ax.legend(fontsize=9, loc="lower right")


def plot_run(run, path):
    """Draw a benchmark run to a PNG file.

    Kernel panels: one column per dtype, forward on top and fused backward
    below, fastnn's speedup over NumPy against n (log-log).  Network panel on
    the right: time per epoch of every implementation.

    Parameters
    ----------
    run : dict
        As built by ``python -m fastnn bench`` (see fastnn.bench.report).
    path : str
        Output file; the format follows its extension (PNG expected).

    Raises
    ------
    ImportError
        If matplotlib is not installed.
    ValueError
        If the run has no rows to plot.
    fastnn._cli.CommandError
        If the file cannot be written.
    """
    kernel_rows = [r for r in run["rows"] if r["group"] == "kernels"]
    dtypes = sorted({r["dtype"] for r in kernel_rows})
    threads = min((r["threads"] for r in kernel_rows), default=1)
    has_network = any(r["group"] == "network" for r in run["rows"])
    columns = len(dtypes) + (1 if has_network else 0)
    if columns == 0:
        raise ValueError("the run has no rows to plot")
    figure = new_figure(6.2 * columns + (1.5 if has_network else 0), 10.5)
    grid = figure.add_gridspec(2, columns)
    colors = _function_colors()
    for column, dtype in enumerate(dtypes):
        for row, kind in enumerate(("forward", "backward")):
            _speedup_panel(figure.add_subplot(grid[row, column]), kernel_rows, dtype, kind,
                           threads, colors)
    if has_network:
        _training_panel(figure.add_subplot(grid[:, columns - 1]), run["rows"])
    if kernel_rows:
        from matplotlib.lines import Line2D
        handles = [Line2D([], [], color=colors[f], marker="o", label=f) for f in FUNCTIONS
                   if any(r["name"] == f for r in kernel_rows)]
        handles.append(Line2D([], [], color="gray", linestyle=":", label="2x"))
        figure.legend(handles=handles, loc="lower center", ncol=min(len(handles), 12),
                      fontsize=10, frameon=False)
    figure.suptitle(title(run), fontsize=13)
    figure.tight_layout(rect=(0, 0.04 if kernel_rows else 0, 1, 0.97))
    save_figure(figure, path)


def title(run):
    """The figure's title: the baselines the run timed (and only those), the CPU."""
    timed = labels_of(impl for r in run["rows"] for impl in r["results"])
    cpu = run.get("header", {}).get("cpu", "")
    return (f"fastnn vs {', '.join(timed) or 'nothing'} ({cpu}); above 1x: fastnn "
            "is faster")
