"""``python -m fastnn bench``: its options, the rows they plan, and the
command's own errors (run in process; tests/test_cli.py runs it as a user does)."""
import json

import pytest

from fastnn.__main__ import main
from fastnn.bench import estimator_cases, kernel_cases, run
from fastnn.bench.groups import GROUPS
from fastnn.bench.report import load_json, write_json


def test_defaults_cover_every_group_dtype_size_and_one_thread(parse_bench):
    args = parse_bench([])
    assert args.groups == ["kernels", "network", "inference", "estimators"] == list(GROUPS)
    assert args.dtypes == ["float32", "float64"]
    assert args.sizes == [1_000, 100_000, 10_000_000]
    assert args.threads == [1]
    assert args.functions == kernel_cases.FUNCTIONS
    assert not args.quick and args.json is None and args.compare is None
    assert args.rounds is None and args.plot is None and not args.no_progress


def test_lists_are_parsed(parse_bench):
    args = parse_bench(["--quick", "--groups", "network", "--dtypes", "float64",
                        "--sizes", "1e3, 2.5e4", "--threads", "1,2",
                        "--functions", "tanh,gelu", "--json", "out.json",
                        "--plot", "out.png", "--compare", "old.json", "--rounds", "4"])
    assert args.quick
    assert args.groups == ["network"]
    assert args.dtypes == ["float64"]
    assert args.sizes == [1000, 25000]
    assert args.threads == [1, 2]
    assert args.functions == ["tanh", "gelu"]
    assert (args.json, args.plot, args.compare) == ("out.json", "out.png", ["old.json"])
    assert args.rounds == 4


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
    (["--rounds", "two"], "expected an integer"),
    (["--frobnicate"], "unrecognized arguments: --frobnicate"),
])
def test_bad_arguments_exit_2_with_a_message(argv, message, parse_bench, capsys):
    with pytest.raises(SystemExit) as exc:
        parse_bench(argv)
    assert exc.value.code == 2
    captured = capsys.readouterr()
    assert message in captured.err and captured.out == ""
    assert "python -m fastnn bench" in captured.err


def test_quick_plan_keeps_every_row_and_threads_multiply_it(parse_bench):
    one = run.plan(parse_bench(["--quick"]))
    two = run.plan(parse_bench(["--quick", "--threads", "1,2"]))
    per_size = 1 + 2 * len(kernel_cases.FUNCTIONS)       # copyto + forward/backward each
    n_estimator_rows = 2 * len(estimator_cases.ROWS)
    # kernels + 3 network rows per dtype + 2 networks x 3 batches of inference
    # (float32) + the estimator rows
    assert len(one) == 2 * 3 * per_size + 2 * 3 + 6 + n_estimator_rows
    assert len(two) == 2 * len(one)
    assert [t for t, _, _ in two] == [1] * len(one) + [2] * len(one)
    assert [g.name for _, g, _ in one] == (["kernels"] * (6 * per_size) + ["network"] * 6
                                           + ["inference"] * 6
                                           + ["estimators"] * n_estimator_rows)


def test_rounds_override_every_group_budget(parse_bench):
    for name, group in GROUPS.items():
        assert run.budget_of(group, parse_bench([])) == group.budgets["full"]
        assert run.budget_of(group, parse_bench(["--quick"])) == group.budgets["quick"]
        budget = run.budget_of(group, parse_bench(["--rounds", "2"]))
        assert budget.rounds == 2 and budget.min_rounds <= 2


def test_compare_two_saved_files_runs_nothing(tiny_run_path, tmp_path, capsys):
    slowed = load_json(tiny_run_path)
    for row in slowed["rows"]:
        if (row["name"], row["kind"]) == ("relu", "forward"):
            row["results"]["fastnn"]["median"] *= 1.5
    new_path = tmp_path / "new.json"
    write_json(slowed, new_path)
    capsys.readouterr()
    assert main(["bench", "--compare", str(tiny_run_path), str(new_path)]) == 0
    out = capsys.readouterr().out
    assert "fastnn benchmark" not in out                  # no header: nothing was run
    rows = [line for line in out.splitlines() if line.startswith(("sigmoid", "relu"))]
    assert len(rows) == 4
    flagged = [line for line in rows if "SLOWER" in line]
    assert len(flagged) == 1 and flagged[0].startswith("relu forward")
    assert "+50.0%" in flagged[0]
    assert "4 rows compared, 1 slower by more than 10%" in out


def test_run_then_compare_prints_tables_json_and_comparison(tiny_run_path, tiny_args,
                                                            tmp_path, capsys):
    path = tmp_path / "again.json"
    assert main(["bench", *tiny_args, "--json", str(path),
                 "--compare", str(tiny_run_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("fastnn benchmark")
    assert "Kernels, float32, 1 thread" in out and f"Wrote {path}" in out
    assert "4 rows compared" in out
    assert json.loads(path.read_text())["options"]["functions"] == ["sigmoid", "relu"]


@pytest.mark.parametrize("extra, message", [
    (["--compare", "{tmp}/missing.json"], "missing.json"),
    (["--compare", "{tmp}/bad.json"], "not JSON"),
    (["--json", "{tmp}/nodir/run.json"], "no folder"),
])
def test_unusable_files_fail_before_measuring(extra, message, tiny_args, tmp_path, capsys):
    (tmp_path / "bad.json").write_text("{not json")
    argv = ["bench", *tiny_args, *(a.format(tmp=tmp_path) for a in extra)]
    assert main(argv) == 1
    captured = capsys.readouterr()
    assert captured.out == ""                              # nothing was measured
    (line,) = captured.err.splitlines()
    assert line.startswith("python -m fastnn bench: error: ") and message in line
