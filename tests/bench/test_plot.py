"""fastnn.bench.plot: the --plot picture (headless: the Agg canvas)."""
import pytest

from fastnn.bench import plot
from fastnn.bench.report import load_json

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _with_network_row(run, impls):
    run["rows"].append({"group": "network", "name": "digits epoch", "kind": "train",
                        "dtype": "float32", "n": 1348, "threads": 1, "unit": "epoch",
                        "results": {impl: {"median": 4e-3} for impl in impls},
                        "noisy": False, "unavailable": {}, "notes": {}, "accuracy": {}})
    return run


def test_bench_plot_is_written(tiny_run_path, tmp_path):
    pytest.importorskip("matplotlib")
    run = _with_network_row(load_json(tiny_run_path), ["fastnn", "numpy", "sklearn"])
    path = tmp_path / "bench.png"
    plot.plot_run(run, str(path))
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 20_000


def test_title_names_only_the_baselines_that_ran(tiny_run_path):
    run = load_json(tiny_run_path)
    for row in run["rows"]:                       # as if torch were not installed
        row["results"].pop("torch", None)
    title = plot.title(run)
    assert title.startswith("fastnn vs NumPy (")
    assert "PyTorch" not in title and "scikit-learn" not in title
    full = _with_network_row(load_json(tiny_run_path), ["fastnn", "torch", "sklearn"])
    assert plot.title(full).startswith("fastnn vs NumPy, PyTorch, scikit-learn (")


def test_a_run_without_rows_is_refused():
    pytest.importorskip("matplotlib")
    with pytest.raises(ValueError, match="no rows"):
        plot.plot_run({"rows": []}, "unused.png")
