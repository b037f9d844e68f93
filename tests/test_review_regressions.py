"""Regressions found by the adversarial review; xfail(strict) where the
fix belongs to a file under concurrent edit (the reason names the fix)."""
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


@pytest.mark.xfail(strict=True, reason=(
    "BaseMLP.fit accepts sample weights whose sum overflows to inf (each 1e308): "
    "the per-batch loss is inf/inf, loss_ is NaN and fit returns as if it converged, "
    "where scikit-learn raises; fix in fastnn/estimators/_base.py after "
    "_check_sample_weight: raise ValueError('sample_weight must have a finite sum') "
    "unless np.isfinite(sample_weight.sum())"))
def test_sample_weights_overflowing_their_sum_raise():
    pytest.importorskip("sklearn")
    rng = np.random.RandomState(0)
    X = rng.randn(40, 3)
    y = (X[:, 0] > 0).astype(int)
    with pytest.raises(ValueError):
        clf = fastnn.MLPClassifier(max_iter=5, random_state=0)
        clf.fit(X, y, sample_weight=np.full(40, 1e308))
        assert np.isfinite(clf.loss_)


@pytest.mark.xfail(strict=True, reason=(
    "BaseMLP._forward hands a CSR matrix whose indptr points past its data straight "
    "to scipy's sparse product, which reads out of bounds and segfaults (fit already "
    "refuses the same matrix through the compiled gather); fix in "
    "fastnn/estimators/_base.py _forward: X.check_format(full_check=True) for sparse X, "
    "re-raised as ValueError naming X"))
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
    # Run outside the checkout: there fastnn/ is the uncompiled source.
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0 and run.stdout.strip() == "ValueError", run.stderr[-500:]
