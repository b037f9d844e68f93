"""Regressions found by an adversarial review of the estimators and the
compiled trainer: each failed before its fix."""
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import fastnn
from fastnn import _kernels

def test_trainer_refuses_an_unknown_activation_id():
    n = 3 * 4 + 4 + 4 * 2 + 2
    with pytest.raises(ValueError, match="act"):
        _kernels.Trainer([3, 4, 2], [999, _kernels.SOFTMAX_ID], [0.0, 0.0], [False, True],
                         0, 0.0, 8, np.zeros(n), np.zeros(n), [0, 16], [12, 24])


def test_sample_weights_overflowing_their_sum_raise():
    pytest.importorskip("sklearn")
    rng = np.random.RandomState(0)
    X = rng.randn(40, 3)
    y = (X[:, 0] > 0).astype(int)
    with pytest.raises(ValueError):
        clf = fastnn.MLPClassifier(max_iter=5, random_state=0)
        clf.fit(X, y, sample_weight=np.full(40, 1e308))
        assert np.isfinite(clf.loss_)


def test_predict_on_a_corrupt_csr_raises_instead_of_crashing(tmp_path):
    pytest.importorskip("sklearn")
    code = textwrap.dedent("""
        import warnings, numpy as np, scipy.sparse as sp
        import fastnn
        warnings.simplefilter("ignore")
        rng = np.random.RandomState(0)
        X = rng.randn(40, 3); y = (X[:, 0] > 0).astype(int)
        clf = fastnn.MLPClassifier(max_iter=5, random_state=0).fit(X, y)
        A = sp.csr_matrix(X); A.indptr[5] = 10**6
        try:
            clf.predict(A)
        except ValueError:
            print("ValueError")
    """)
    # The fastnn this test imported, not the checkout's uncompiled source.
    import os
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(fastnn.__file__)))
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                         capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0 and run.stdout.strip() == "ValueError", run.stderr[-500:]
