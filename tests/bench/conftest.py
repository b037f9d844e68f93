"""Fixtures of the benchmark-report tests (fixtures, not imports: they reach
every test module under any pytest import mode)."""
import pytest

from fastnn.__main__ import main, parse_args
from fastnn.bench.timing import Budget

# Two kernels at one small size, two rounds: a real run in about a second.
TINY = ["--groups", "kernels", "--dtypes", "float32", "--sizes", "1000",
        "--functions", "sigmoid,relu", "--rounds", "2", "--no-progress"]


@pytest.fixture
def tiny_args():
    """Options of a tiny kernels-only run."""
    return list(TINY)


@pytest.fixture
def one_round():
    """One round per row: enough to check what a row holds, not its figures."""
    return Budget(rounds=1, min_rounds=1, block_s=0.0, row_s=0.1)


@pytest.fixture
def parse_bench():
    """argv -> the options ``python -m fastnn bench ARGV`` runs with."""
    return lambda argv: parse_args(["bench", *argv])


@pytest.fixture(scope="session")
def tiny_run_path(tmp_path_factory):
    """A JSON file written by a tiny real ``python -m fastnn bench`` run."""
    path = tmp_path_factory.mktemp("bench") / "run.json"
    assert main(["bench", *TINY, "--json", str(path)]) == 0
    return path
