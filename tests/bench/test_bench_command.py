"""The benchmark report's parts that are not timing: arguments, JSON, compare,
plots, machine header, and that the baselines compute what fastnn computes."""
import copy
import json

import numpy as np
import pytest

import fastnn
from fastnn import _bench_kernels as kernels
from fastnn import _bench_machine as machine
from fastnn import _bench_report as report
from fastnn import bench
from fastnn._bench_mlp import NumpyMLP
from fastnn._bench_timing import Budget, measure, summarize

TINY = ["--groups", "kernels", "--dtypes", "float32", "--sizes", "1000",
        "--functions", "sigmoid,relu", "--rounds", "2", "--no-progress"]


# --------------------------------------------------------------------------
# Arguments
# --------------------------------------------------------------------------

def test_defaults_cover_every_group_dtype_size_and_one_thread():
    args = bench.parse_args([])
    assert args.groups == ["kernels", "network"]
    assert args.dtypes == ["float32", "float64"]
    assert args.sizes == [1_000, 100_000, 10_000_000]
    assert args.threads == [1]
    assert args.functions == kernels.FUNCTIONS
    assert not args.quick and args.json is None and args.compare is None


def test_lists_are_parsed():
    args = bench.parse_args(["--quick", "--groups", "network", "--dtypes", "float64",
                             "--sizes", "1e3, 2.5e4", "--threads", "1,2",
                             "--functions", "tanh,gelu", "--json", "out.json",
                             "--plot", "out.png", "--compare", "old.json"])
    assert args.quick
    assert args.groups == ["network"]
    assert args.dtypes == ["float64"]
    assert args.sizes == [1000, 25000]
    assert args.threads == [1, 2]
    assert args.functions == ["tanh", "gelu"]
    assert (args.json, args.plot, args.compare) == ("out.json", "out.png", ["old.json"])


@pytest.mark.parametrize("argv, message", [
    (["--groups", "kernel"], "unknown groups kernel"),
    (["--dtypes", "float16"], "unknown dtypes float16"),
    (["--sizes", "big"], "sizes must be numbers"),
    (["--sizes", "5"], "at least 10"),
    (["--threads", "0"], "at least 1"),
    (["--threads", "1,x"], "threads must be integers"),
    (["--functions", "swish"], "unknown functions swish"),
    (["--compare", "a.json", "b.json", "c.json"], "OLD.json NEW.json"),
    (["--rounds", "0"], "at least 1"),
])
def test_bad_arguments_exit_with_a_message(argv, message, capsys):
    with pytest.raises(SystemExit) as exc:
        bench.parse_args(argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_quick_plan_keeps_every_row_and_threads_multiply_it():
    one = bench._plan(bench.parse_args(["--quick"]))
    two = bench._plan(bench.parse_args(["--quick", "--threads", "1,2"]))
    per_size = 1 + 2 * len(kernels.FUNCTIONS)          # copyto + forward/backward each
    assert len(one) == 2 * 3 * per_size + 2 * 3        # kernels + 3 network rows per dtype
    assert len(two) == 2 * len(one)


# --------------------------------------------------------------------------
# A tiny real run and its JSON
# --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    path = tmp_path_factory.mktemp("bench") / "run.json"
    assert bench.main(TINY + ["--json", str(path)]) == 0
    return path


def test_json_schema(tiny_run):
    run = report.load_json(tiny_run)
    assert run["schema"] == report.SCHEMA
    assert {"header", "options", "duration_s", "rows"} <= set(run)
    assert run["options"]["sizes"] == [1000] and run["options"]["threads"] == [1]
    names = [(r["name"], r["kind"]) for r in run["rows"]]
    assert names == [("copyto", "copy"), ("sigmoid", "forward"), ("sigmoid", "backward"),
                     ("relu", "forward"), ("relu", "backward")]
    for row in run["rows"]:
        assert set(report.ROW_KEYS) <= set(row)
        assert (row["group"], row["dtype"], row["n"], row["threads"], row["unit"]) == \
            ("kernels", "float32", 1000, 1, "element")
        assert isinstance(row["noisy"], bool)
        for stats in row["results"].values():
            assert set(stats) == {"median", "q1", "q3", "spread", "samples",
                                  "calls_per_block"}
            assert len(stats["samples"]) == 2
            assert 0 < stats["q1"] <= stats["median"] <= stats["q3"]
    kernel_rows = run["rows"][1:]
    assert all({"fastnn", "numpy"} <= set(r["results"]) for r in kernel_rows)


def test_tables_show_every_row_and_the_ratios(tiny_run):
    lines = report.kernel_tables(report.load_json(tiny_run))
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


# --------------------------------------------------------------------------
# --compare
# --------------------------------------------------------------------------

def _slowed(run, name, kind, factor):
    new = copy.deepcopy(run)
    for row in new["rows"]:
        if (row["name"], row["kind"]) == (name, kind):
            row["results"]["fastnn"]["median"] *= factor
    return new


def test_compare_flags_only_slowdowns_over_ten_percent(tiny_run):
    old = report.load_json(tiny_run)
    new = _slowed(_slowed(old, "sigmoid", "forward", 1.25), "relu", "backward", 1.05)
    changes = {c["key"][1:3]: c for c in report.compare(old, new)}
    assert set(changes) == {("sigmoid", "forward"), ("sigmoid", "backward"),
                            ("relu", "forward"), ("relu", "backward")}
    assert changes[("sigmoid", "forward")]["slower"]
    assert changes[("sigmoid", "forward")]["change"] == pytest.approx(0.25)
    assert not changes[("relu", "backward")]["slower"]
    assert not changes[("sigmoid", "backward")]["slower"]
    assert changes[("relu", "forward")]["numpy_change"] == pytest.approx(0.0)


def test_compare_two_saved_files_from_the_command_line(tiny_run, tmp_path, capsys):
    new_path = tmp_path / "new.json"
    report.write_json(_slowed(report.load_json(tiny_run), "relu", "forward", 1.5), new_path)
    capsys.readouterr()
    assert bench.main(["--compare", str(tiny_run), str(new_path)]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith(("sigmoid", "relu"))]
    assert len(rows) == 4
    flagged = [line for line in rows if "SLOWER" in line]
    assert len(flagged) == 1 and flagged[0].startswith("relu forward")
    assert "+50.0%" in flagged[0]
    assert "4 rows compared, 1 slower by more than 10%" in out


# --------------------------------------------------------------------------
# Plots (headless: the Agg canvas, no display needed)
# --------------------------------------------------------------------------

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_bench_plot_is_written(tiny_run, tmp_path):
    pytest.importorskip("matplotlib")
    from fastnn._bench_plot import plot_run
    run = report.load_json(tiny_run)
    run["rows"].append({"group": "network", "name": "digits epoch", "kind": "train",
                        "dtype": "float32", "n": 1348, "threads": 1, "unit": "epoch",
                        "results": {"numpy": {"median": 4e-3}}, "noisy": False,
                        "unavailable": {"fastnn": "not in this build"}, "notes": {},
                        "accuracy": {}})
    path = tmp_path / "bench.png"
    plot_run(run, str(path))
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 20_000


def test_plot_activations_is_written(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    from fastnn.plots import plot_activations_main
    path = tmp_path / "act.png"
    assert plot_activations_main([str(path)]) == 0
    assert path.read_bytes().startswith(PNG_SIGNATURE)
    assert str(path) in capsys.readouterr().out


def test_activation_curves_come_from_the_kernels():
    from fastnn.plots import PANELS, activation_curves, break_jumps
    x = np.linspace(-5, 5, 11)
    for name, _, params in PANELS:
        y, dy = activation_curves(name, x, **params)
        assert y.shape == dy.shape == x.shape and np.all(np.isfinite(y))
    y, dy = activation_curves("relu", np.array([-1.0, 0.0, 2.0]))
    np.testing.assert_array_equal(dy, [0.0, 1.0, 1.0])        # the article's f'(0) = 1
    xs, ys = break_jumps(np.array([-1.0, -0.5, 0.5, 1.0]), np.array([0.0, 0.0, 1.0, 1.0]))
    assert np.isnan(ys[2]) and np.isnan(xs[2]) and len(ys) == 5


# --------------------------------------------------------------------------
# Machine header
# --------------------------------------------------------------------------

def test_header_says_what_was_measured_on():
    header = machine.machine_header([1], environ={})
    compiled, selected = fastnn._kernels.simd_info()
    assert header["simd_selected"] == selected and header["simd_compiled"] == compiled
    assert header["threads_measured"] == [1]
    assert header["versions"]["numpy"] == np.__version__
    assert header["versions"]["fastnn"] == fastnn.__version__
    assert header["cpu"] and header["warnings"] == []
    json.dumps(header)                                   # JSON-serialisable
    lines = machine.format_header(header)
    assert any(line.startswith("CPU:") for line in lines)
    assert any(selected in line for line in lines)
    assert any(line.startswith("BLAS:") for line in lines)


def test_header_lists_blas_from_threadpoolctl():
    pytest.importorskip("threadpoolctl")
    blas = machine.blas_libraries()
    assert blas, "NumPy's BLAS should be loaded"
    assert {"library", "version", "kernel", "threads", "path"} <= set(blas[0])


def test_openblas_variables_give_a_warning_line():
    env = {"OPENBLAS_CORETYPE": "Haswell", "OPENBLAS_L2_SIZE": "1048576"}
    warnings = machine.environment_warnings(env)
    assert len(warnings) == 2
    assert "OPENBLAS_CORETYPE=Haswell" in warnings[0] and "OPENBLAS_L2_SIZE" in warnings[1]
    header = machine.machine_header([1], environ=env)
    assert header["env"]["OPENBLAS_CORETYPE"] == "Haswell"
    assert warnings[0] in machine.format_header(header)
    assert machine.environment_warnings({"OMP_NUM_THREADS": "1"}) == []


def test_several_threads_without_passive_openmp_give_a_warning_line():
    assert machine.environment_warnings({}, threads=[1]) == []
    (line,) = machine.environment_warnings({}, threads=[1, 2])
    assert "OMP_WAIT_POLICY=PASSIVE" in line
    assert machine.environment_warnings({"OMP_WAIT_POLICY": "passive"}, threads=[2]) == []
    header = machine.machine_header([1, 2], environ={"OMP_WAIT_POLICY": "PASSIVE"})
    assert header["warnings"] == [] and header["env"]["OMP_WAIT_POLICY"] == "PASSIVE"


def test_cpu_model_is_read_from_cpuinfo(tmp_path):
    path = tmp_path / "cpuinfo"
    path.write_text("processor\t: 0\nvendor_id\t: GenuineIntel\n"
                    "model name\t: Example CPU @ 3.00GHz\n")
    assert machine.cpu_model(str(path)) == "Example CPU @ 3.00GHz"
    assert machine.cpu_model(str(tmp_path / "missing"))       # falls back, never empty


# --------------------------------------------------------------------------
# Timing machinery (what it records, not how fast anything is)
# --------------------------------------------------------------------------

def test_summarize_median_quartiles_and_spread():
    stats = summarize([4.0, 1.0, 3.0, 2.0, 5.0], calls_per_block=7)
    assert (stats.q1, stats.median, stats.q3) == (2.0, 3.0, 4.0)
    assert stats.spread == pytest.approx(2.0 / 3.0)
    assert stats.calls_per_block == 7
    with pytest.raises(ValueError, match="samples"):
        summarize([])


def test_measure_interleaves_the_implementations():
    order = []
    impls = {"a": lambda: order.append("a"), "b": lambda: order.append("b")}
    stats = measure(impls, Budget(rounds=4, min_rounds=4, block_s=0.0, row_s=10.0))
    assert set(stats) == {"a", "b"} and all(len(s.samples) == 4 for s in stats.values())
    # after warm-up (and calibration, skipped for a call preempted past
    # SLOW_CALL_S), one block per round, the starting side alternating.
    assert order[-8:] == ["a", "b", "b", "a", "a", "b", "b", "a"]
    assert len(order) in (10, 11, 12)


# --------------------------------------------------------------------------
# The baselines compute what fastnn computes
# --------------------------------------------------------------------------

@pytest.mark.parametrize("function", kernels.FUNCTIONS)
@pytest.mark.parametrize("kind", kernels.KINDS)
def test_numpy_baseline_matches_fastnn(function, kind):
    arrays = kernels.Arrays(np.float64, 1000)
    expected = kernels.numpy_reference(function, kind, arrays)
    if expected is None:
        pytest.skip("scipy (erf) not installed")
    case = kernels.kernel_case(function, kind, arrays)
    case.impls["fastnn"]()
    got = arrays.view2d(arrays.out) if function == "softmax" else arrays.out
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)


def test_numpy_mlp_gradients_match_finite_differences():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((6, 4))
    y = rng.integers(0, 3, 6)
    mlp = NumpyMLP([4, 5, 3], X, y, batch_size=6)

    def loss():
        p = mlp._forward(X, 6)
        return -np.mean(np.log(p[np.arange(6), y]))

    mlp._forward(X, 6)
    mlp._backward(X, y, 6)
    analytic = [g.copy() for g in mlp.grads]
    for k, param in enumerate(mlp.W + mlp.b):
        for index in [(0,) * param.ndim, tuple(s - 1 for s in param.shape)]:
            saved = param[index]
            param[index] = saved + 1e-6
            up = loss()
            param[index] = saved - 1e-6
            down = loss()
            param[index] = saved
            assert analytic[k][index] == pytest.approx((up - down) / 2e-6, rel=1e-5,
                                                       abs=1e-9)


def test_dense_row_reports_fastnn_or_why_not():
    pytest.importorskip("scipy")
    from fastnn import _bench_network as network
    row = bench._network_row("dense", "float32", 1, None, None, True,
                             Budget(rounds=1, min_rounds=1, block_s=0.0, row_s=0.1))
    assert {"numpy", "gemm only"} <= set(row["results"])
    assert "fastnn" in row["results"] or "fastnn" in row["unavailable"]
    assert row["n"] == network.DENSE_BATCH and row["unit"] == "call"


def test_network_rows_use_the_network_api_when_present(monkeypatch):
    """With fastnn.Network / dense_* / datasets present (faked here, as the issue-3
    API), the rows time fastnn beside the baselines and read its accuracy."""
    import types
    from fastnn import _bench_network as network
    calls = []

    class FakeNetwork:
        def __init__(self, sizes, activations, loss, dtype, seed):
            calls.append(("init", tuple(sizes), tuple(activations), loss, dtype))

        def partial_fit(self, X, y, batch_size, optimizer):
            calls.append(("partial_fit", len(X), batch_size, optimizer))

        def score(self, X, y):
            return 0.5

    rng = np.random.default_rng(0)
    fake_datasets = types.SimpleNamespace(
        load_digits=lambda: (rng.integers(0, 17, (200, 64)), rng.integers(0, 10, 200)))
    saved = object()
    monkeypatch.setattr(fastnn, "Network", FakeNetwork, raising=False)
    monkeypatch.setattr(fastnn, "datasets", fake_datasets, raising=False)
    monkeypatch.setattr(fastnn, "dense_forward",
                        lambda X, W, b, activation="relu", out=None: (out, saved),
                        raising=False)
    monkeypatch.setattr(fastnn, "dense_backward",
                        lambda g, X, W, s, activation="relu", need_grad_X=True:
                        calls.append(("dense_backward", s is saved)), raising=False)
    budget = Budget(rounds=1, min_rounds=1, block_s=0.0, row_s=0.1)
    digits = bench._network_row("digits", "float32", 1, None, None, True, budget)
    assert {"fastnn", "numpy"} <= set(digits["results"])
    assert digits["accuracy"]["fastnn"] == 0.5 and "data" not in digits["unavailable"]
    assert calls[0] == ("init", (64, 64, 10), ("relu", "softmax"), "cross_entropy",
                        "float32")
    fits = [c for c in calls if c[0] == "partial_fit"]
    assert len(fits) >= 2 and all(c[1:3] == (150, 32) for c in fits)
    # One Adam object for every epoch: its state carries over, as the baselines' does.
    assert isinstance(fits[0][3], fastnn.Adam)
    assert all(c[3] is fits[0][3] for c in fits)
    dense = bench._network_row("dense", "float32", 1, None, None, True, budget)
    assert "fastnn" in dense["results"] and "fastnn" not in dense["unavailable"]
    assert ("dense_backward", True) in calls
    lines = report.network_tables({"rows": [digits, dense]})
    assert any("vs numpy" in line for line in lines)


def test_unreadable_compare_file_is_an_error_not_a_traceback(tmp_path, capsys):
    assert bench.main(["--compare", str(tmp_path / "missing.json"), "--no-progress"]) == 1
    assert "missing.json" in capsys.readouterr().err


def test_dense_forward_returning_only_A_is_timed_with_a_note(monkeypatch):
    seen = []
    monkeypatch.setattr(fastnn, "dense_forward",
                        lambda X, W, b, activation="relu", out=None: out, raising=False)
    monkeypatch.setattr(fastnn, "dense_backward",
                        lambda g, X, W, s, activation="relu", need_grad_X=True:
                        seen.append(s.shape), raising=False)
    row = bench._network_row("dense", "float64", 1, None, None, True,
                             Budget(rounds=1, min_rounds=1, block_s=0.0, row_s=0.1))
    assert "fastnn" in row["results"] and seen[-1] == (256, 128)
    assert "A is passed" in row["notes"]["fastnn"]
    assert any("A is passed" in line for line in report.network_tables({"rows": [row]}))


def test_fastnn_trainer_keeps_its_adam_state_across_epochs():
    from fastnn import _bench_network as network
    X, y = network.synthetic_data(100, 8, 3, "float32")
    trainer = network.FastnnTrainer([8, 6, 3], X, y, batch_size=32)
    trainer.epoch()
    m_after_one = trainer.optimizer._state[0].copy()
    trainer.epoch()
    assert trainer.optimizer.step == 2 * 4                  # 4 batches (32, 32, 32, 4) per epoch
    assert trainer.net.optimizer is trainer.optimizer
    assert not np.array_equal(trainer.optimizer._state[0], m_after_one)


def test_gemm_only_epoch_runs_the_products_of_each_batch():
    pytest.importorskip("scipy")
    from scipy.linalg.blas import get_blas_funcs
    from fastnn import _bench_network as network
    real_gemm = get_blas_funcs("gemm", dtype=np.float64)
    shapes = []

    def counting_gemm(alpha, a, b, trans_a=0, trans_b=0, c=None, overwrite_c=0):
        out = real_gemm(alpha, a, b, trans_a=trans_a, trans_b=trans_b, c=c,
                        overwrite_c=overwrite_c)
        assert np.shares_memory(out, c)                      # written in place, no copy
        shapes.append(out.T.shape)
        return out

    X = np.random.default_rng(1).standard_normal((10, 6))
    floor = network.GemmOnlyEpoch([6, 5, 3], X, batch_size=4, gemm=counting_gemm)
    floor.epoch()
    # 3 batches (4, 4, 2 rows), 5 products each: Z0, Z1, grad_W1, dA0, grad_W0.
    assert shapes[-5:] == [(2, 5), (2, 3), (5, 3), (2, 5), (6, 5)]
    assert len(shapes) == 15
    last, m = X[8:], 2
    Z0 = last @ floor.W[0]
    np.testing.assert_allclose(floor.Z[0][:m], Z0, rtol=1e-12)
    np.testing.assert_allclose(floor.Z[1][:m], Z0 @ floor.W[1], rtol=1e-12)
    dA0 = floor.dZ_out[:m] @ floor.W[1].T
    np.testing.assert_allclose(floor.dA[0][:m], dA0, rtol=1e-12)
    np.testing.assert_allclose(floor.grad_W[1], Z0.T @ floor.dZ_out[:m], rtol=1e-12)
    np.testing.assert_allclose(floor.grad_W[0], last.T @ dA0, rtol=1e-12)


def test_network_table_prints_fastnn_over_gemm_only():
    def result(seconds):
        return {"median": seconds, "q1": seconds, "q3": seconds, "spread": 0.0,
                "samples": [seconds], "calls_per_block": 1}
    row = {"group": "network", "name": "mnist-like epoch", "kind": "train",
           "dtype": "float32", "n": 4000, "threads": 1, "unit": "epoch",
           "results": {"fastnn": result(0.115), "numpy": result(0.23),
                       "gemm only": result(0.1)},
           "noisy": False, "unavailable": {}, "notes": {}, "accuracy": {}}
    lines = report.network_tables({"rows": [row]})
    header = next(line for line in lines if line.startswith("benchmark"))
    data = next(line for line in lines if line.startswith("mnist-like"))
    assert "/gemm" in header and "gemm only" in header
    cells = data.split()
    assert "1.15" in cells and "2.00x" in cells
