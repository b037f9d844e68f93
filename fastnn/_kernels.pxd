# The activation ids, taken from fnn_kernels.h so that Python sees the
# header's values (fastnn._kernels.fnn_activation); tests/test_activations_api.py
# checks this list against the header's X-macro list.
cdef extern from "fnn_kernels.h":
    cpdef enum fnn_activation:
        FNN_IDENTITY
        FNN_SIGMOID
        FNN_TANH
        FNN_RELU
        FNN_LEAKY_RELU
        FNN_ELU
        FNN_SOFTPLUS
        FNN_SILU
        FNN_GELU
        FNN_GELU_TANH
