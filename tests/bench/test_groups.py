"""fastnn.bench.groups: the registry is what the command offers, and a group
is one entry: a new one runs, prints and loads its baselines with no other change."""
import io

import pytest

from fastnn.bench import baselines, groups, run
from fastnn.bench.rows import Planned, make_row
from fastnn.bench.timing import Budget, measure


def test_every_group_is_complete():
    for name, group in groups.GROUPS.items():
        assert group.name == name
        assert set(group.budgets) == {"quick", "full"}
        assert set(group.baselines) <= set(baselines.BASELINES)


def test_groups_option_offers_the_registry(parse_bench):
    assert parse_bench([]).groups == list(groups.GROUPS)
    with pytest.raises(SystemExit):
        parse_bench(["--groups", "nope"])


def _toy_plan(options):
    def row(context):
        numpy = context.baselines.get("numpy")
        stats = measure({"fastnn": lambda: None, "numpy": lambda: numpy.zeros(1)},
                        context.budget)
        return make_row("toy", "noop", "call", "float64", 1, context.threads, "call",
                        stats)
    return [Planned("noop", row)]


def _toy_tables(run_dict):
    return [f"toy row {r['name']} t{r['threads']}" for r in run_dict["rows"]
            if r["group"] == "toy"]


def test_a_new_group_is_one_registry_entry(monkeypatch, parse_bench):
    toy = groups.Group("toy", _toy_plan, ("numpy",), _toy_tables,
                       {"quick": Budget(1, 1, 0.0, 0.1), "full": Budget(1, 1, 0.0, 0.1)})
    monkeypatch.setitem(groups.GROUPS, "toy", toy)
    options = parse_bench(["--groups", "toy", "--threads", "1,2", "--no-progress"])
    result = run.run_report(options)
    assert [(r["group"], r["threads"]) for r in result["rows"]] == [("toy", 1), ("toy", 2)]
    assert set(result["rows"][0]["results"]) == {"fastnn", "numpy"}
    out = io.StringIO()
    run.print_run(result, file=out)
    assert "toy row noop t1" in out.getvalue() and "toy row noop t2" in out.getvalue()
