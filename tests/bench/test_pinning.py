"""fastnn.bench.threads: every library at one thread count, restored afterwards."""
import pytest

import fastnn
from fastnn.bench.threads import pin_threads


def test_fastnn_and_blas_are_pinned_and_restored():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    before = fastnn.get_num_threads()
    blas_before = [i["num_threads"] for i in threadpoolctl.threadpool_info()
                   if i["user_api"] == "blas"]
    with pin_threads(1) as blas_pinned:
        assert blas_pinned
        assert fastnn.get_num_threads() == 1
        assert all(i["num_threads"] == 1 for i in threadpoolctl.threadpool_info()
                   if i["user_api"] == "blas")
    assert fastnn.get_num_threads() == before
    assert [i["num_threads"] for i in threadpoolctl.threadpool_info()
            if i["user_api"] == "blas"] == blas_before


def test_torch_is_pinned_and_restored_even_after_an_error():
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    with pytest.raises(RuntimeError):
        with pin_threads(1, torch):
            assert torch.get_num_threads() == 1
            raise RuntimeError("a failing row")
    assert torch.get_num_threads() == before
