"""solver="lbfgs": scipy's L-BFGS-B over the compiled full-batch loss and
gradient (:meth:`fastnn._kernels.Trainer.loss_and_grad_full`): one Trainer
for all calls, X read in place, no allocation per call but the float64
gradient handed to scipy."""
import numpy as np
import scipy.optimize
from sklearn.utils.optimize import _check_optimize_result

__all__ = ["FullBatchObjective", "fit_lbfgs"]


class FullBatchObjective:
    """``f(x) -> (loss, grad)`` over all rows, for scipy.optimize.minimize.

    Parameters
    ----------
    trainer : fastnn._kernels.Trainer
        Built on ``flat`` and ``grads`` with a batch of all the rows.
    flat, grads : numpy.ndarray
        The parameter and gradient vectors the trainer reads and writes.
    X : numpy.ndarray or CSR triple
        Dense X (read in place) or a CSR (data, indices, indptr) triple
        (its rows gathered into the trainer's batch buffer each call).
    Y, labels, sample_weight : numpy.ndarray or None
        As :meth:`fastnn._kernels.Trainer.run`.
    """

    def __init__(self, trainer, flat, grads, X, Y, labels, sample_weight):
        self.trainer, self.flat, self.grads = trainer, flat, grads
        self.X, self.Y, self.labels, self.sample_weight = X, Y, labels, sample_weight
        self.n_calls = 0
        if not isinstance(X, np.ndarray):
            n = X[2].shape[0] - 1
            self._all_rows = np.arange(n, dtype=np.int64)

    def __call__(self, x):
        self.n_calls += 1
        np.copyto(self.flat, x, casting="unsafe")
        if isinstance(self.X, np.ndarray):
            loss = self.trainer.loss_and_grad_full(self.X, self.Y, self.labels,
                                                   self.sample_weight)
        else:
            loss_sum, _, bad, _ = self.trainer.run(self.X, self.Y, self.labels,
                                                   self._all_rows, None, self.sample_weight)
            loss = loss_sum / self._all_rows.size if bad < 0 else np.nan
        return loss, self.grads.astype(np.float64)


def fit_lbfgs(estimator, objective):
    """Minimise; sets estimator.n_iter_ and loss_ and leaves the optimum in
    objective.flat (scikit-learn's maxiter, maxfun, gtol=tol; a
    ConvergenceWarning when max_iter is reached)."""
    options = {"maxfun": estimator.max_fun, "maxiter": estimator.max_iter,
               "gtol": estimator.tol}
    # scipy >= 1.15 deprecates L-BFGS-B's own printing: report per iteration here.
    callback = _print_progress if estimator.verbose else None
    result = scipy.optimize.minimize(objective, objective.flat.astype(np.float64),
                                     method="L-BFGS-B", jac=True, options=options,
                                     callback=callback)
    estimator.n_iter_ = _check_optimize_result("lbfgs", result, estimator.max_iter)
    estimator.loss_ = float(result.fun)
    np.copyto(objective.flat, result.x, casting="unsafe")


def _print_progress(intermediate_result):
    print(f"L-BFGS-B iteration, loss = {intermediate_result.fun:.8f}")
