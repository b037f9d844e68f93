"""The Trainer's scikit-learn loss mode against scikit-learn's own
loss and gradient (float64), and the import guards."""
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("sklearn")
import scipy.sparse as sp  # noqa: E402
from sklearn.neural_network import MLPClassifier as SkMLPClassifier  # noqa: E402
from sklearn.neural_network import MLPRegressor as SkMLPRegressor  # noqa: E402

from fastnn import MLPClassifier, MLPRegressor  # noqa: E402
from fastnn.estimators._lbfgs import FullBatchObjective  # noqa: E402


def _problems():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(37, 5))
    yield SkMLPClassifier, MLPClassifier, {}, X, rng.integers(0, 4, 37)       # softmax
    yield SkMLPClassifier, MLPClassifier, {}, X, rng.integers(0, 2, 37)       # one logistic
    yield SkMLPClassifier, MLPClassifier, {}, X, rng.integers(0, 2, (37, 3))  # multilabel
    yield SkMLPRegressor, MLPRegressor, {}, X, rng.normal(size=(37, 2))
    yield SkMLPRegressor, MLPRegressor, {"loss": "poisson"}, X, rng.poisson(2.0, 37)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("problem", list(range(5)))
def test_loss_and_gradient_equal_sklearns(problem, weighted):
    sk_cls, cls, extra, X, y = list(_problems())[problem]
    sw = np.random.default_rng(1).uniform(0.2, 2.0, len(X)) if weighted else None
    kw = dict(hidden_layer_sizes=(6, 4), activation="tanh", solver="lbfgs", alpha=0.3,
              max_iter=3, random_state=0, **extra)
    with pytest.warns(Warning):
        sk = sk_cls(**kw).fit(X, y, sample_weight=sw)
        ours = cls(dtype="float64", **kw).fit(X, y, sample_weight=sw)
    packed = np.concatenate([W.ravel() for W in sk.coefs_] + list(sk.intercepts_))
    units = [X.shape[1], 6, 4, sk.n_outputs_]
    Y = sk._label_binarizer.transform(y) if sk_cls is SkMLPClassifier else y.reshape(len(y), -1)
    ref_loss, ref_grad = sk._loss_grad_lbfgs(
        packed, X, Y.astype(np.float64), sw, [X] + [None] * 3, [None] * 3,
        [np.empty((a, b)) for a, b in zip(units[:-1], units[1:])],
        [np.empty(b) for b in units[1:]])
    T = ours._validate_input(X, y, False, reset=False)[1]
    Yc, labels = ours._targets(T)
    objective = FullBatchObjective(ours._make_trainer(len(X)), ours._flat, ours._grads,
                                   ours._as_compiled(X), Yc, labels, sw)
    loss, grad = objective(packed)
    assert loss == pytest.approx(ref_loss, rel=1e-10)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-9, atol=1e-12)
    # The CSR gather path computes the same.
    sparse = FullBatchObjective(ours._make_trainer(len(X)), ours._flat, ours._grads,
                                ours._as_compiled(sp.csr_matrix(X)), Yc, labels, sw)
    loss_csr, grad_csr = sparse(packed)
    assert loss_csr == pytest.approx(loss, rel=1e-12)
    np.testing.assert_allclose(grad_csr, grad, rtol=1e-12, atol=1e-14)


def test_bad_csr_is_refused():
    X = sp.random(20, 5, density=0.5, format="csr", random_state=0)
    y = np.arange(20) % 2
    est = MLPClassifier(max_iter=1, dtype="float64").fit(X, y)
    data, indices, indptr = est._as_compiled(X)
    trainer = est._make_trainer(8)
    bad = indices.copy()
    bad[0] = 99
    perm = np.arange(20, dtype=np.int64)
    with pytest.raises(ValueError, match="CSR"):
        trainer.run((data, bad, indptr), np.zeros((20, 1)), None, perm,
                    est._stochastic.kernel_args())
    with pytest.raises(ValueError, match="sample_weight"):
        trainer.run((data, indices, indptr), np.zeros((20, 1)), None, perm,
                    est._stochastic.kernel_args(), np.ones(3))


def test_import_fastnn_never_imports_sklearn():
    code = "import sys, fastnn; assert 'sklearn' not in sys.modules, 'sklearn imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_missing_sklearn_names_the_extra():
    code = ("import sys; sys.modules['sklearn'] = None; import fastnn\n"
            "try:\n    fastnn.MLPClassifier\nexcept ImportError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True).stdout
    assert 'pip install "fastnn-cpu[sklearn]"' in out
