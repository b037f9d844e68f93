"""Byte order and alignment: the C loops read native, aligned floats only,
so anything else must be converted (input) or written through a buffer (out)."""
import numpy as np
import pytest

import fastnn
from _arrays import unaligned_copy


@pytest.mark.parametrize("order", [">", "<"])
def test_non_native_byte_order_input(dtype, order):
    x = np.linspace(-6, 6, 1001).astype(np.dtype(dtype).newbyteorder(order))
    expected = fastnn.sigmoid(x.astype(dtype))
    got = fastnn.sigmoid(x)
    assert got.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(got, expected)


def test_non_native_byte_order_out(dtype):
    x = np.linspace(-6, 6, 1001).astype(dtype)
    out = np.empty(x.shape, np.dtype(dtype).newbyteorder(">"))
    fastnn.tanh(x, out=out)
    np.testing.assert_array_equal(out.astype(dtype), fastnn.tanh(x))


def test_misaligned_input_and_out(dtype):
    values = np.linspace(-6, 6, 1001)
    x = unaligned_copy(values.astype(dtype))
    expected = fastnn.silu(values.astype(dtype))
    np.testing.assert_array_equal(fastnn.silu(x), expected)
    fastnn.silu(x, out=x)                      # in place through a buffer
    np.testing.assert_array_equal(x, expected)


def test_softmax_into_non_native_out(dtype):
    x = np.random.default_rng(0).standard_normal((4, 7)).astype(dtype)
    out = np.empty(x.shape, np.dtype(dtype).newbyteorder(">"))
    fastnn.softmax(x, out=out)
    np.testing.assert_array_equal(out.astype(dtype), fastnn.softmax(x))
