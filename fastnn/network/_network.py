"""The public multi-layer perceptron class, assembled from its concerns:
the model (fastnn/network/_model.py), predictions (_prediction.py), the
training loop (_training.py) and persistence (_persistence.py); the
loss-dependent behaviour is one task object (_tasks.py)."""
from typing import Any, Optional, Sequence, Union

from fastnn.network._interop import _InteropMixin
from fastnn.network._model import ActivationSpec
from fastnn.network._persistence import _PersistenceMixin
from fastnn.network._training import _TrainingMixin

__all__ = ["Network"]


class Network(_TrainingMixin, _PersistenceMixin, _InteropMixin):
    """A fully connected network trained with mini-batch gradient descent.

    Parameters
    ----------
    layer_sizes : sequence of int
        ``[n_inputs, hidden..., n_outputs]``, each at least 1.
    activations : str, Activation, or a sequence of them
        One activation per layer (``len(layer_sizes) - 1``), the last for
        the output layer; a single one applies to every layer.  Each is a
        name from :data:`fastnn.ACTIVATIONS`, a name with its parameter
        (``("leaky_relu", {"alpha": 0.1})``, ``("elu", {"alpha": 0.5})``)
        or an :class:`fastnn.Activation`.  Softmax needs at least two units.
    loss : str, optional
        "mse", "binary_cross_entropy" (sigmoid output) or "cross_entropy"
        (softmax output).  Default: cross-entropy for a softmax output,
        binary cross-entropy for sigmoid, else MSE.
    dtype : {"float32", "float64"}, default "float32"
        Dtype of parameters and computation.
    seed : int or None, default None
        Seed of the ``numpy.random.Generator`` that draws the initial weights
        and shuffles the mini-batches: same seed and data, one thread ->
        bitwise the same weights after :meth:`fit`.
    init : str or sequence of str, optional
        "glorot_uniform", "glorot_normal", "he_uniform" or "he_normal", for
        all layers or per layer.  Default: He-uniform for the ReLU family,
        Glorot-uniform otherwise.  Biases start at zero.
    l2 : float, default 0.0
        Adds ``0.5 * l2 * sum ||W||^2`` (weights only) to the loss.

    Notes
    -----
    Threads: the calls that change a network (:meth:`fit`,
    :meth:`partial_fit`, :meth:`set_params`, unpickling into it) and those
    that must see it whole (:meth:`save`, pickling, copying) hold a
    per-network lock, so two threads training one network train it one
    after the other.  :meth:`predict`, :meth:`forward` and the other
    read-only calls take no lock: during a fit in another thread they are
    memory-safe (the parameter buffer is allocated once and never
    reallocated) and see the weights as the training loop is updating
    them, possibly a mix of consecutive mini-batch updates.  Training
    releases the GIL.  At one thread (``fastnn.set_num_threads(1)``) the
    training loop's own passes run on the calling thread and only the BLAS
    products use BLAS's threads; at more (fastnn's count, at most BLAS's,
    which ``threadpoolctl.threadpool_limits`` sets) the whole epoch runs on
    fastnn's threads, large products split into single-threaded BLAS calls,
    while BLAS is held at one thread.  A given thread count gives the same
    bits every time, unless two epochs run at once: the pool takes one, and
    the other runs on its own thread, its products unsplit.

    Copies: ``pickle``, :func:`copy.deepcopy` and :func:`copy.copy` (the
    same independent copy as deepcopy) keep the configuration, the
    parameters, the optimizer's state and the shuffle generator's state,
    so training a copy continues bitwise as the original would.
    Unpickling checks what it reads as :meth:`load` does, but pickle
    itself executes code from the bytes before any check: only unpickle
    data you trust.  :meth:`save` and :meth:`load` are the format that
    never executes code.

    Raises
    ------
    ValueError
        For a layer size below 1, a wrong number of activations, an unknown
        activation/loss/init name, a softmax over one unit, a loss that does
        not fit the output activation, or a negative l2.
    TypeError
        For arguments of the wrong type.

    Examples
    --------
    >>> import fastnn
    >>> X, y = fastnn.datasets.make_spirals(200, seed=0)
    >>> net = fastnn.Network([2, 32, 2], ["tanh", "softmax"], seed=0)
    >>> history = net.fit(X, y, epochs=5)
    >>> net.predict(X[:3]).shape
    (3,)
    """

    def __init__(self, layer_sizes: Sequence[int],
                 activations: Union[ActivationSpec, Sequence[ActivationSpec]] = "relu",
                 loss: Optional[str] = None, dtype: Any = "float32", seed: Optional[int] = None,
                 init: Union[str, Sequence[str], None] = None, l2: float = 0.0) -> None:
        init_rng = self._configure(layer_sizes, activations, loss, dtype, seed, init, l2)
        self._initialise(init_rng)

    def __repr__(self) -> str:
        return (f"Network({self.layer_sizes}, activations={self.activations}, "
                f"loss={self.loss!r}, dtype={self.dtype.name!r})")
