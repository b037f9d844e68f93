"""python -m fastnn: the subcommand dispatcher."""
import os
import pathlib
import subprocess
import sys

import fastnn
from fastnn.__main__ import COMMANDS, main


def test_help_lists_every_subcommand(capsys):
    assert main(["--help"]) == 0
    text = capsys.readouterr().out
    for command in COMMANDS:
        assert command in text


def test_unknown_or_missing_subcommand_is_an_error(capsys):
    assert main(["frobnicate"]) == 2
    assert "usage" in capsys.readouterr().err
    assert main([]) == 2


def test_config_subcommand_runs_as_a_module(tmp_path):
    # The child imports the fastnn this test imported (installed or built in
    # place), from a cwd outside the checkout: `python -m` puts cwd first on
    # sys.path, and an uncompiled source folder there would shadow it.
    env = dict(os.environ, PYTHONPATH=str(pathlib.Path(fastnn.__file__).parent.parent))
    result = subprocess.run([sys.executable, "-m", "fastnn", "config"], cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0
    assert "simd target selected" in result.stdout
