"""Every examples/dask_*.py script runs to the end in its --small form."""
import os
import pathlib
import subprocess
import sys

import pytest

pytest.importorskip("dask.array")
pytest.importorskip("dask.dataframe")
pytest.importorskip("distributed")
pytest.importorskip("dask_ml")
pytest.importorskip("sklearn")

import fastnn                                  # noqa: E402

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"
SCRIPTS = ["dask_model_search.py", "dask_out_of_core.py", "dask_batch_inference.py"]


@pytest.mark.timeout(240)
@pytest.mark.parametrize("script", SCRIPTS)
def test_example_runs_on_a_local_cluster(script):
    path = EXAMPLES / script
    assert path.is_file(), f"{path} is missing"
    # The script imports the fastnn these tests import (in place or installed).
    env = dict(os.environ)
    fastnn_root = str(pathlib.Path(fastnn.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join([fastnn_root, env.get("PYTHONPATH", "")])
    done = subprocess.run([sys.executable, str(path), "--small"], env=env, cwd=str(EXAMPLES),
                          capture_output=True, text=True, timeout=200)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip(), "the example printed no result"
