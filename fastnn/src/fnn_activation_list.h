/* The one list of fastnn's elementwise activations.  Everything else is
 * derived from it: the C enum and the name table (fnn_kernels.h), the loops
 * and the switch that picks one by id (fnn_loops.h), and, through
 * fnn_activation_info(), the Python registry (fastnn.activations: names,
 * ids, what the backward reads, the default weight init).  The Cython enum
 * (fastnn/_kernels.pxd) and the stubs (tools/gen_stubs.py) are checked
 * against it by the tests.
 *
 * X(ID, name, saves, default_init):
 *   ID            FNN_<ID>, the C id; ids are the positions in this list
 *   name          the Python name; its math is the scalar functions
 *                 name_fwd, name_der, name_bwd in fnn_activations.h
 *   saves         what the backward reads: the forward input or output
 *   default_init  the weight init fastnn.Network uses before this activation
 *                 (he_uniform for the ReLU family, glorot_uniform else)
 *
 * Adding an activation: one line here, its three scalar functions in
 * fnn_activations.h, and its docstring entry in fastnn/activations.py.
 */
#ifndef FNN_ACTIVATION_LIST_H
#define FNN_ACTIVATION_LIST_H

#define FNN_ACTIVATION_LIST(X)                                  \
    X(IDENTITY,   identity,   input,  glorot_uniform)           \
    X(SIGMOID,    sigmoid,    output, glorot_uniform)           \
    X(TANH,       tanh,       output, glorot_uniform)           \
    X(RELU,       relu,       input,  he_uniform)               \
    X(LEAKY_RELU, leaky_relu, input,  he_uniform)               \
    X(ELU,        elu,        input,  he_uniform)               \
    X(SOFTPLUS,   softplus,   input,  he_uniform)               \
    X(SILU,       silu,       input,  he_uniform)               \
    X(GELU,       gelu,       input,  he_uniform)               \
    X(GELU_TANH,  gelu_tanh,  input,  he_uniform)

#endif
