"""fastnn.bench.report and fastnn.bench.run's printing: the JSON file, the
tables, the comparison of runs, and missing baselines said once."""
import copy
import io
import json

import pytest

from fastnn.bench import report, rows
from fastnn.bench.run import print_run


def _result(seconds):
    return {"median": seconds, "q1": seconds, "q3": seconds, "spread": 0.0,
            "samples": [seconds], "calls_per_block": 1}


def _slowed(run, name, kind, factor):
    new = copy.deepcopy(run)
    for row in new["rows"]:
        if (row["name"], row["kind"]) == (name, kind):
            row["results"]["fastnn"]["median"] *= factor
    return new


def test_json_schema(tiny_run_path):
    run = report.load_json(tiny_run_path)
    assert run["schema"] == report.SCHEMA
    assert {"header", "options", "duration_s", "missing", "rows"} <= set(run)
    assert run["options"]["sizes"] == [1000] and run["options"]["threads"] == [1]
    names = [(r["name"], r["kind"]) for r in run["rows"]]
    assert names == [("copyto", "copy"), ("sigmoid", "forward"), ("sigmoid", "backward"),
                     ("relu", "forward"), ("relu", "backward")]
    for row in run["rows"]:
        assert set(rows.ROW_KEYS) <= set(row)
        assert (row["group"], row["dtype"], row["n"], row["threads"], row["unit"]) == \
            ("kernels", "float32", 1000, 1, "element")
        assert isinstance(row["noisy"], bool)
        assert row["unavailable"] == {}             # missing baselines are run-level
        for stats in row["results"].values():
            assert set(stats) == {"median", "q1", "q3", "spread", "samples",
                                  "calls_per_block"}
            assert len(stats["samples"]) == 2
            assert 0 < stats["q1"] <= stats["median"] <= stats["q3"]
    kernel_rows = run["rows"][1:]
    assert all({"fastnn", "numpy"} <= set(r["results"]) for r in kernel_rows)


def test_tables_show_every_row_and_the_ratios(tiny_run_path):
    lines = report.kernel_tables(report.load_json(tiny_run_path))
    text = "\n".join(lines)
    assert "Kernels, float32, 1 thread" in text
    assert "vs numpy" in text and "np.copyto" in text
    assert sum(line.startswith(("sigmoid", "relu")) for line in lines) == 4


def test_load_json_rejects_other_files(tmp_path):
    path = tmp_path / "other.json"
    path.write_text(json.dumps({"benchmarks": []}))
    with pytest.raises(ValueError, match="not a fastnn benchmark run"):
        report.load_json(path)
    path.write_text("{not json")
    with pytest.raises(ValueError, match="not JSON"):
        report.load_json(path)
    path.write_text(json.dumps({"schema": report.SCHEMA, "rows": [{"group": "kernels"}]}))
    with pytest.raises(ValueError, match="a row lacks"):
        report.load_json(path)


def test_compare_flags_only_slowdowns_over_ten_percent(tiny_run_path):
    old = report.load_json(tiny_run_path)
    new = _slowed(_slowed(old, "sigmoid", "forward", 1.25), "relu", "backward", 1.05)
    changes = {c["key"][1:3]: c for c in report.compare(old, new)}
    assert set(changes) == {("sigmoid", "forward"), ("sigmoid", "backward"),
                            ("relu", "forward"), ("relu", "backward")}
    assert changes[("sigmoid", "forward")]["slower"]
    assert changes[("sigmoid", "forward")]["change"] == pytest.approx(0.25)
    assert not changes[("relu", "backward")]["slower"]
    assert not changes[("sigmoid", "backward")]["slower"]
    assert changes[("relu", "forward")]["numpy_change"] == pytest.approx(0.0)


def _network_row(**results):
    return {"group": "network", "name": "mnist-like epoch", "kind": "train",
            "dtype": "float32", "n": 4000, "threads": 1, "unit": "epoch",
            "results": {k.replace("_", " "): _result(v) for k, v in results.items()},
            "noisy": False, "unavailable": {}, "notes": {}, "accuracy": {}}


def test_network_table_prints_fastnn_over_gemm_only():
    row = _network_row(fastnn=0.115, numpy=0.23, gemm_only=0.1)
    lines = report.network_tables({"rows": [row]})
    header = next(line for line in lines if line.startswith("benchmark"))
    data = next(line for line in lines if line.startswith("mnist-like"))
    assert "/gemm" in header and "gemm only" in header
    assert "torch" not in header and "sklearn" not in header    # not timed: no column
    cells = data.split()
    assert "1.15" in cells and "2.00x" in cells


def test_missing_baselines_are_printed_once():
    kernel = {"group": "kernels", "name": "relu", "kind": "forward", "dtype": "float32",
              "n": 1000, "threads": 1, "unit": "element",
              "results": {"fastnn": _result(1e-6), "numpy": _result(2e-6)},
              "noisy": False, "unavailable": {}, "notes": {}, "accuracy": {}}
    run = {"header": {}, "duration_s": 1.0,
           "missing": {"torch": "PyTorch not installed",
                       "sklearn": "scikit-learn not installed"},
           "rows": [kernel, dict(kernel, kind="backward"),
                    _network_row(fastnn=0.1, numpy=0.2)]}
    (line,) = report.missing_lines(run)
    assert "PyTorch not installed" in line and "scikit-learn not installed" in line
    assert report.missing_lines({"rows": []}) == []            # runs saved before the key
    out = io.StringIO()
    run["header"] = {"date": "d", "cpu": "c", "usable_cpus": 1, "logical_cpus": 1,
                     "simd_selected": "s", "simd_compiled": "s", "blas": [],
                     "threads_measured": [1], "openmp": True, "fastnn_threads_default": 1,
                     "versions": {"numpy": "2"}, "env": {}, "warnings": []}
    print_run(run, file=out)
    text = out.getvalue()
    assert text.count("PyTorch not installed") == 1
    assert text.count("scikit-learn not installed") == 1
    assert "Kernels, float32, 1 thread" in text and "Network, 1 thread" in text


def test_network_table_prints_fastnn_over_the_peak_bound():
    row = _network_row(fastnn=0.12, numpy=0.23, gemm_only=0.1, fma_peak=0.08)
    lines = report.network_tables({"rows": [row]})
    header = next(line for line in lines if line.startswith("benchmark"))
    data = next(line for line in lines if line.startswith("mnist-like"))
    assert "/peak" in header and "fma peak" in header
    assert "1.50" in data.split()
