"""Array builders shared by the tests."""
import numpy as np


def unaligned_copy(arr):
    """A copy of arr whose data start one byte past an aligned address."""
    arr = np.asarray(arr)
    buf = np.zeros(arr.nbytes + 1, np.uint8)
    out = buf[1:].view(arr.dtype).reshape(arr.shape)
    out[...] = arr
    assert not out.flags.aligned
    return out
