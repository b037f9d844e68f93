# The ids the training loop shares with Python, taken from fnn_train.h so
# that Python sees the header's values (fastnn._trainer.fnn_loss, ...).
cdef extern from "fnn_train.h":
    cpdef enum fnn_loss:
        FNN_MSE
        FNN_BCE
        FNN_CE
        FNN_POISSON
    cpdef enum fnn_optimizer:
        FNN_SGD
        FNN_ADAM
