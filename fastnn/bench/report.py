"""The benchmark report's output: tables, the JSON file and the comparison of two runs.

A run is a dict (the JSON schema, version SCHEMA)::

    {"schema": "fastnn-bench/1",
     "header": {...machine header...},
     "options": {"groups": [...], "dtypes": [...], "sizes": [...], "threads": [...],
                 "quick": bool},
     "duration_s": float,
     "missing": {baseline: reason},    # optional libraries not installed
     "rows": [{"group": "kernels" | "network",
               "name": str,            # activation, or network benchmark
               "kind": str,            # forward | backward | copy | train | layer
               "dtype": str, "n": int, "threads": int,
               "unit": "element" | "epoch" | "call",
               "results": {impl: {"median": s, "q1": s, "q3": s, "spread": float,
                                  "samples": [s, ...], "calls_per_block": int}},
               "noisy": bool,
               "unavailable": {impl: reason}, "notes": {impl: note},
               "accuracy": {impl: float}}]}

Times are seconds per call; a kernel call processes ``n`` elements.
"""
import json
import math

from fastnn.bench.rows import ROW_KEYS, median, row_key, speedup

SCHEMA = "fastnn-bench/1"
SLOWDOWN = 0.10                 # --compare flags fastnn rows slower by more than this
KERNEL_BASELINES = ("numpy", "torch")
NETWORK_IMPLS = ("fastnn", "numpy", "torch", "sklearn", "gemm only", "fma peak")
NETWORK_BASELINES = ("numpy", "torch", "sklearn")     # "vs" columns: baseline / fastnn
GEMM_FLOOR = "gemm only"                              # "/gemm" column: fastnn / it
PEAK_BOUND = "fma peak"                               # "/peak" column: fastnn / it


def _fmt_n(n):
    exponent = int(round(math.log10(n))) if n > 0 else 0
    return f"1e{exponent}" if n > 0 and 10 ** exponent == n else str(n)


def _fmt_ratio(value):
    return "-" if value is None else f"{value:.2f}x"


def _fmt_ns(seconds, n):
    return "-" if seconds is None else f"{seconds / n * 1e9:.3f}"


def _fmt_time(seconds):
    if seconds is None:
        return "n/a"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.1f} us"


def _table(header, rows):
    """Aligned text table: first three columns left, numbers right.  Columns
    with no figure in any row (a baseline not installed) are left out."""
    keep = [i for i in range(len(header))
            if i < 3 or any(r[i] not in ("-", "n/a", "") for r in rows)]
    header = [header[i] for i in keep]
    rows = [[r[i] for i in keep] for r in rows]
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]

    def line(cells):
        return "  ".join(str(c).ljust(w) if i < 3 else str(c).rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()
    return [line(header), line(["-" * w for w in widths])] + [line(r) for r in rows]


def missing_lines(run):
    """One line naming the optional baselines the run could not time, if any.

    Their columns are left out of every table, so this is said once here
    rather than beside each row.
    """
    missing = run.get("missing") or {}
    if not missing:
        return []
    return [f"Not timed: {'; '.join(missing.values())} (their columns are left out)"]


def kernel_tables(run):
    """Lines of the kernel tables: one per (threads, dtype)."""
    rows = [r for r in run["rows"] if r["group"] == "kernels"]
    copy_time = {(r["dtype"], r["n"], r["threads"]): median(r, "numpy")
                 for r in rows if r["kind"] == "copy"}
    lines = []
    for threads in sorted({r["threads"] for r in rows}):
        for dtype in sorted({r["dtype"] for r in rows}):
            body = []
            for r in rows:
                if r["threads"] != threads or r["dtype"] != dtype:
                    continue
                if r["kind"] == "copy":
                    body.append(["np.copyto", "copy", _fmt_n(r["n"]), "-",
                                 _fmt_ns(median(r, "numpy"), r["n"]), "-", "-", "-", "-",
                                 _fmt_spread(r)])
                    continue
                # Prefer the copy interleaved in the row itself over the copy row.
                copy = median(r, "copyto") or copy_time.get((r["dtype"], r["n"],
                                                             r["threads"]))
                fast = median(r, "fastnn")
                vs_copy = (f"{fast / copy:.2f}" if copy and fast and r["n"] >= 10 ** 6
                           else "-")
                body.append([r["name"], r["kind"], _fmt_n(r["n"]),
                             _fmt_ns(fast, r["n"]), _fmt_ns(median(r, "numpy"), r["n"]),
                             _fmt_ns(median(r, "torch"), r["n"]),
                             _fmt_ratio(speedup(r, "numpy")), _fmt_ratio(speedup(r, "torch")),
                             vs_copy, _fmt_spread(r)])
            if not body:
                continue
            lines.append("")
            lines.append(f"Kernels, {dtype}, {threads} thread{'s' * (threads > 1)}: ns per "
                         "element (at n=1e3 also us per call); speedup = baseline time / "
                         "fastnn time; /copyto = fastnn time / np.copyto time")
            lines.extend(_table(["function", "pass", "n", "fastnn", "numpy", "torch",
                                 "vs numpy", "vs torch", "/copyto", "spread"], body))
    if any(r["noisy"] for r in rows):
        lines.append("! = spread (IQR/median) over 25% for some side: "
                     "the machine was busy, re-run before trusting that row")
    notes = {f"  {r['name']}: {impl}: {note}" for r in rows
             for impl, note in {**r["unavailable"], **r["notes"]}.items()}
    return lines + sorted(notes)


def _fmt_spread(row):
    worst = max((res["spread"] for res in row["results"].values()), default=0.0)
    return f"{worst * 100:.0f}%" + (" !" if row["noisy"] else "")


def _fmt_floor(row, floor_impl=GEMM_FLOOR):
    """fastnn time / the floor's time (1.0 = nothing but the matrix
    products, or for PEAK_BOUND: the FMA units' peak), or "-"."""
    fast, floor = median(row, "fastnn"), median(row, floor_impl)
    return f"{fast / floor:.2f}" if fast and floor else "-"


def thread_tables(rows, label, caption, header, body_row, notes_of=None):
    """Lines of one table per thread count, then the footnotes of all of them.

    Parameters
    ----------
    rows : list of dict
        The group's rows (any thread counts).
    label : str
        Start of each title line: "<label>, <n> thread(s): <caption>".
    caption : str
        What the table shows, after the thread count in its title.
    header : list of str
        Column names, for :func:`_table`.
    body_row : callable
        row dict -> list of cells of its table line.
    notes_of : callable, optional
        row dict -> footnotes of that row; each distinct one is printed once,
        in first-seen order, after the last table.

    Returns
    -------
    list of str
    """
    lines, notes = [], []
    for threads in sorted({r["threads"] for r in rows}):
        group_rows = [r for r in rows if r["threads"] == threads]
        for note in (n for r in group_rows for n in (notes_of(r) if notes_of else ())):
            if note not in notes:
                notes.append(note)
        lines.append("")
        lines.append(f"{label}, {threads} thread{'s' * (threads > 1)}: {caption}")
        lines.extend(_table(header, [body_row(r) for r in group_rows]))
    lines.extend(f"  {n}" for n in notes)
    return lines


def _network_line(row):
    return ([row["name"], row["dtype"], str(row["n"])]
            + [_fmt_time(median(row, impl)) if impl in row["results"] else "-"
               for impl in NETWORK_IMPLS]
            + [_fmt_ratio(speedup(row, impl)) for impl in NETWORK_BASELINES]
            + [_fmt_floor(row), _fmt_floor(row, PEAK_BOUND), _fmt_spread(row)])


def _network_notes(row):
    notes = []
    if row.get("accuracy"):
        notes.append(f"{row['name']} {row['dtype']} t{row['threads']}: test accuracy "
                     + ", ".join(f"{k} {v:.3f}" for k, v in row["accuracy"].items()))
    notes += [f"{row['name']}: {impl}: {why}"
              for impl, why in {**row.get("unavailable", {}), **row.get("notes", {})}.items()]
    return notes


def network_tables(run):
    """Lines of the network table (one per thread count) and its footnotes."""
    rows = [r for r in run["rows"] if r["group"] == "network"]
    return thread_tables(
        rows, "Network",
        "time per epoch (wall clock around the whole call, every side keeping its "
        "optimizer state) or per call; speedup = baseline time / fastnn time; /gemm = "
        "fastnn time / time of its matrix products alone; /peak = fastnn time / its "
        "FLOPs at the FMA units' peak",
        ["benchmark", "dtype", "n", *NETWORK_IMPLS, *(f"vs {i}" for i in NETWORK_BASELINES),
         "/gemm", "/peak", "spread"],
        _network_line, _network_notes)


def write_json(run, path):
    """Write a run to `path` as JSON."""
    with open(path, "w", encoding="utf-8") as f:
        json.dump(run, f, indent=1)
        f.write("\n")


def load_json(path):
    """Read and check a run written by :func:`write_json`.

    Raises
    ------
    ValueError
        If the file is not a fastnn benchmark run of this schema.
    """
    try:
        with open(path, encoding="utf-8") as f:
            run = json.load(f)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not JSON ({exc})") from None
    if not isinstance(run, dict) or run.get("schema") != SCHEMA:
        raise ValueError(f"{path}: not a fastnn benchmark run (schema {SCHEMA!r} expected)")
    for row in run.get("rows", []):
        missing = [k for k in ROW_KEYS if k not in row]
        if missing:
            raise ValueError(f"{path}: a row lacks {', '.join(missing)}")
    return run


def compare(old, new, threshold=SLOWDOWN):
    """Per-row change of fastnn's median between two runs.

    Parameters
    ----------
    old, new : dict
        Runs (as loaded by :func:`load_json`).
    threshold : float
        Relative slowdown above which a row is flagged.

    Returns
    -------
    list of dict
        One per row measured in both with fastnn: ``key``, ``old``, ``new``
        (seconds), ``change`` (new/old - 1), ``numpy_change`` (the same for
        the NumPy baseline, a gauge of machine drift, or None) and ``slower``
        (bool).
    """
    old_rows = {row_key(r): r for r in old["rows"]}
    changes = []
    for row in new["rows"]:
        before = old_rows.get(row_key(row))
        if before is None:
            continue
        impl = "fastnn" if "fastnn" in row["results"] else None
        if impl is None or impl not in before["results"]:
            continue
        change = median(row, impl) / median(before, impl) - 1
        numpy_change = None
        if median(row, "numpy") and median(before, "numpy"):
            numpy_change = median(row, "numpy") / median(before, "numpy") - 1
        changes.append({"key": row_key(row), "old": median(before, impl),
                        "new": median(row, impl), "change": change,
                        "numpy_change": numpy_change, "slower": change > threshold,
                        "noisy": bool(row["noisy"] or before["noisy"])})
    return changes


def compare_lines(changes, threshold=SLOWDOWN):
    """The comparison as printed lines."""
    body = []
    for c in changes:
        group, name, kind, dtype, n, threads = c["key"]
        body.append([f"{name} {kind}", dtype, f"{_fmt_n(n)} t{threads}",
                     _fmt_time(c["old"]), _fmt_time(c["new"]), f"{c['change']:+.1%}",
                     "-" if c["numpy_change"] is None else f"{c['numpy_change']:+.1%}",
                     ("SLOWER" if c["slower"] else "") + (" (noisy)" if c["noisy"] else "")])
    lines = ["", f"Comparison with the old run (fastnn median; numpy's change shows machine "
                 f"drift; SLOWER = more than {threshold:.0%} slower)"]
    lines.extend(_table(["row", "dtype", "n", "old", "new", "change", "numpy", "flag"], body))
    slower = sum(c["slower"] for c in changes)
    lines.append(f"{len(changes)} rows compared, {slower} slower by more than {threshold:.0%}")
    return lines
