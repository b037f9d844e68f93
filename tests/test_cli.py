"""``python -m fastnn``, run as a user runs it: a subprocess, from a folder
outside the checkout, importing the fastnn these tests import (installed or
built in place).  Missing optional packages are simulated in the child by an
import hook that makes them look uninstalled.  Argument errors, which argparse
handles the same in or out of process, are checked in process (quicker)."""
import os
import pathlib
import subprocess
import sys

import pytest

import fastnn
from fastnn.__main__ import COMMANDS, main

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# The child: block the named top-level packages, then run ``python -m fastnn``.
# (A meta-path hook rather than sys.modules[name] = None: scipy looks torch up
# in sys.modules and would trip over a None there.)
BLOCKING_RUNNER = """
import runpy, sys
blocked = set(sys.argv[1].split(","))
class Blocked:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in blocked:
            raise ImportError(f"No module named {name!r}")
sys.meta_path.insert(0, Blocked())
sys.argv = ["fastnn", *sys.argv[2:]]
runpy.run_module("fastnn", run_name="__main__", alter_sys=True)
"""
TINY_BENCH = ["bench", "--dtypes", "float32", "--sizes", "1000", "--functions",
              "sigmoid,relu", "--rounds", "1", "--quick", "--no-progress"]


def fastnn_cli(*args, cwd, blocked=()):
    """Run ``python -m fastnn ARGS`` (with `blocked` packages made missing)."""
    # `python -m` puts the cwd first on sys.path; the cwd is a temporary
    # folder, and PYTHONPATH points at the fastnn this test imported.
    env = dict(os.environ, PYTHONPATH=str(pathlib.Path(fastnn.__file__).parent.parent))
    if blocked:
        argv = [sys.executable, "-c", BLOCKING_RUNNER, ",".join(blocked), *args]
    else:
        argv = [sys.executable, "-m", "fastnn", *args]
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300)


def assert_one_line_error(result, *words, status=1):
    """Exit status `status`, nothing on stdout, one line on stderr holding `words`."""
    assert result.returncode == status, result
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    for word in words:
        assert word in line
    return line


def test_version(tmp_path):
    result = fastnn_cli("--version", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.strip() == f"fastnn {fastnn.__version__}"


def test_help_lists_every_command_on_stdout(tmp_path):
    result = fastnn_cli("--help", cwd=tmp_path)
    assert result.returncode == 0 and result.stderr == ""
    for command in COMMANDS:
        assert command in result.stdout


def test_an_unknown_command_is_an_error_on_stderr(tmp_path):
    result = fastnn_cli("frobnicate", cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("usage: python -m fastnn")
    assert "invalid choice: 'frobnicate'" in result.stderr


@pytest.mark.parametrize("args, words", [
    ([], ["required", "COMMAND"]),
    (["--frobnicate", "config"], ["unrecognized arguments: --frobnicate"]),
    (["config", "--frobnicate"], ["python -m fastnn config: error:",
                                  "unrecognized arguments: --frobnicate"]),
    (["bench", "--frobnicate"], ["python -m fastnn bench: error:"]),
    (["demo", "--epochs", "0"], ["python -m fastnn demo: error:", "--epochs",
                                 "at least 1"]),
    (["demo", "--batch-size", "x"], ["--batch-size", "expected an integer"]),
    (["demo", "--learning-rate", "-1"], ["--learning-rate", "above 0"]),
    (["plot-activations"], ["the following arguments are required: FILE.png"]),
])
def test_bad_arguments_go_to_stderr_with_status_2(args, words, capsys):
    with pytest.raises(SystemExit) as exc:
        main(args)
    assert exc.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.startswith("usage: python -m fastnn")
    for word in words:
        assert word in captured.err


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out.startswith(f"usage: python -m fastnn {command}")


def test_config_help_as_a_user_types_it(tmp_path):
    result = fastnn_cli("config", "--help", cwd=tmp_path)
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout.startswith("usage: python -m fastnn config")


def test_config_runs(tmp_path):
    result = fastnn_cli("config", cwd=tmp_path)
    assert result.returncode == 0
    assert "simd target selected" in result.stdout


def test_plot_activations_into_a_missing_folder_is_one_line(tmp_path):
    pytest.importorskip("matplotlib")
    result = fastnn_cli("plot-activations", "nodir/a.png", cwd=tmp_path)
    assert result.stdout == ""
    assert_one_line_error(result, "python -m fastnn plot-activations: error:",
                          "nodir/a.png", "no folder nodir")


def test_plot_activations_without_matplotlib_is_one_line(tmp_path):
    result = fastnn_cli("plot-activations", "a.png", cwd=tmp_path, blocked=["matplotlib"])
    assert result.stdout == ""
    assert_one_line_error(result, "matplotlib", 'pip install "fastnn-cpu[plot]"')
    assert not (tmp_path / "a.png").exists()


@pytest.mark.parametrize("plot, blocked, words", [
    ("x.png", ["matplotlib"], ["python -m fastnn demo: error:", "matplotlib"]),
    ("nodir/x.png", [], ["no folder nodir"]),
])
def test_demo_plot_fails_before_training(plot, blocked, words, tmp_path):
    if not blocked:
        pytest.importorskip("matplotlib")
    result = fastnn_cli("demo", "--epochs", "1", "--quiet", "--plot", plot, cwd=tmp_path,
                        blocked=blocked)
    assert result.stdout == ""                      # nothing trained, nothing printed
    assert_one_line_error(result, *words)


def test_bench_says_each_missing_baseline_once(tmp_path):
    result = fastnn_cli(*TINY_BENCH, cwd=tmp_path, blocked=["torch", "sklearn"])
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.count("PyTorch not installed") == 1
    assert out.count("scikit-learn not installed") == 1
    assert "Kernels, float32, 1 thread" in out and "Network, 1 thread" in out
    table_heads = [line for line in out.splitlines() if line.startswith(("function", "benchmark"))]
    assert len(table_heads) == 2
    assert not any("torch" in head or "sklearn" in head for head in table_heads)


def test_bench_plot_without_matplotlib_fails_before_measuring(tmp_path):
    result = fastnn_cli(*TINY_BENCH, "--plot", "b.png", cwd=tmp_path, blocked=["matplotlib"])
    assert result.stdout == ""
    assert_one_line_error(result, "python -m fastnn bench: error:", "matplotlib")


def test_user_commands_import_nothing_from_the_benchmarks(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(pathlib.Path(fastnn.__file__).parent.parent))
    code = ("import sys, fastnn.demo, fastnn.plots, fastnn._config\n"
            "print(sorted(m for m in sys.modules if m.startswith('fastnn.bench')))")
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
