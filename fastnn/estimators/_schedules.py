"""Optimizer hyperparameters and learning-rate schedules, set from Python
between epochs as scikit-learn's stochastic optimizers do.

The compiled update uses PyTorch's formulas (fastnn/optimizers.py): SGD
keeps ``buf = momentum * buf + g`` and steps ``lr * buf`` (Nesterov:
``lr * (g + momentum * buf)``), which equals scikit-learn's velocity form
while the learning rate is constant; Adam divides by
``sqrt(v) / sqrt(1 - beta_2^t) + epsilon`` where scikit-learn divides by
``sqrt(v) + epsilon`` after scaling the step, so epsilon weighs slightly
differently.
"""
import numpy as np

from fastnn import _kernels

__all__ = ["StochasticState"]


class StochasticState:
    """The state of "sgd" or "adam" across epochs and partial_fit calls.

    Parameters
    ----------
    estimator : BaseMLP
        Reads solver, learning_rate, learning_rate_init, power_t, momentum,
        nesterovs_momentum, beta_1, beta_2, epsilon.
    n_params : int
    dtype : numpy.dtype
    """

    def __init__(self, estimator, n_params, dtype):
        self.solver = estimator.solver
        self.schedule = estimator.learning_rate if self.solver == "sgd" else "constant"
        self.learning_rate_init = float(estimator.learning_rate_init)
        self.learning_rate = self.learning_rate_init
        self.power_t = float(estimator.power_t)
        momentum = float(estimator.momentum) if self.solver == "sgd" else 0.0
        self.args = dict(kind=_kernels.OPTIMIZER_IDS[self.solver], lr=self.learning_rate,
                         momentum=momentum,
                         nesterov=int(bool(estimator.nesterovs_momentum) and momentum > 0),
                         beta1=float(estimator.beta_1), beta2=float(estimator.beta_2),
                         eps=float(estimator.epsilon), step=0, s1=None, s2=None)
        if self.solver == "adam":
            self.args["s1"] = np.zeros(n_params, dtype)
            self.args["s2"] = np.zeros(n_params, dtype)
        elif momentum > 0:
            self.args["s1"] = np.zeros(n_params, dtype)

    def kernel_args(self):
        """The dict of :meth:`fastnn._kernels.Trainer.run`."""
        self.args["lr"] = self.learning_rate
        return self.args

    def iteration_ends(self, samples_seen):
        """"invscaling": ``lr = learning_rate_init / (samples_seen + 1) ** power_t``."""
        if self.schedule == "invscaling":
            self.learning_rate = self.learning_rate_init / (samples_seen + 1) ** self.power_t

    def trigger_stopping(self, msg, verbose):
        """True to stop; "adaptive" instead divides the rate by 5 while it
        is above 1e-6."""
        if self.schedule != "adaptive":
            if verbose:
                print(msg + " Stopping.")
            return True
        if self.learning_rate <= 1e-6:
            if verbose:
                print(msg + " Learning rate too small. Stopping.")
            return True
        self.learning_rate /= 5.0
        if verbose:
            print(msg + f" Setting learning rate to {self.learning_rate:f}")
        return False
