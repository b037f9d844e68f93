import numpy as np

import fastnn


def test_sigmoid_matches_reference_on_a_small_grid(dtype):
    x = np.linspace(-5, 5, 101).astype(dtype)
    ref = 1 / (1 + np.exp(-x.astype(np.float64)))
    np.testing.assert_allclose(fastnn.sigmoid(x), ref, rtol=4 * np.finfo(dtype).eps)
