"""The small-product kernel (fastnn/src/fnn_train_impl.h) at both vector
widths it is compiled for, driven from C: every shape that fits, op(A) and
op(B) transposed or not, B with gaps between its rows, float and double,
against a plain triple loop.  The values are small integers, so every sum
is exact in any order and a wrong index, a padding lane that leaks into a
column or a read past B shows as a difference (or, where the compiler
links them, under AddressSanitizer and UBSan).

The AVX-512 tile (64-byte vectors: 1-vector panels of 16 floats, 8-row
tiles) runs only on AVX-512 CPUs, so a second build compiles the same
sources with the AVX2 level's vectors widened to 64 bytes, which GCC and
Clang lower to pairs of 32-byte instructions: that code runs here, at
AVX-512's panel shapes."""
import os
import pathlib
import re
import shutil
import subprocess

import pytest

from _cbuild import SOURCE_DIR, build
from _paths import REPO_ROOT

DRIVER = r"""
#include <stdio.h>
#include <stdlib.h>
#include "fnn_dispatch.h"
#include "fnn_train.h"

#define CHECK(T, FN)                                                                  \
    for (int ta = 0; ta < 2; ++ta) for (int tb = 0; tb < 2; ++tb)                     \
    for (int gap = 0; gap < 3; gap += 2)                                              \
    for (int m = 0; m <= 64; m += m < 9 ? 1 : 11)                                     \
    for (int n = 0; n <= 64; n += n < 20 ? 1 : 5)                                     \
    for (int k = 0; k <= 64; k += k < 5 ? 1 : 13) {                                   \
        if (!fnn_small_gemm_fits(m, n, k, sizeof(T))) continue;                       \
        int ldb = (tb ? k : n) + gap, b_rows = tb ? n : k, b_cols = tb ? k : n;       \
        size_t b_size = b_rows ? (size_t)(b_rows - 1) * ldb + b_cols : 0;             \
        T *a = malloc(sizeof(T) * (m * k ? m * k : 1));                               \
        T *b = malloc(sizeof(T) * (b_size ? b_size : 1));                             \
        T *c = malloc(sizeof(T) * (m * n ? m * n : 1));                               \
        for (int i = 0; i < m * k; ++i) a[i] = (T)(i * 7 % 11 - 5);                   \
        for (size_t i = 0; i < b_size; ++i) b[i] = (T)(i * 5 % 13 - 6);               \
        FN(ta, tb, m, n, k, a, ta ? m : k, b, ldb, c, n);                             \
        ++cases;                                                                      \
        for (int i = 0; i < m; ++i) for (int j = 0; j < n; ++j) {                     \
            T s = 0;                                                                  \
            for (int p = 0; p < k; ++p)                                               \
                s += (ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * ldb + p] : b[p * ldb + j]); \
            bad += s != c[i * n + j];                                                 \
        }                                                                             \
        free(a); free(b); free(c);                                                    \
    }

int main(void)
{
    long cases = 0, bad = 0;
    if (fnn_isa_select("avx2") != FNN_ISA_OK || fnn_isa_level() != FNN_ISA_AVX2) {
        printf("no-avx2\n");
        return 0;
    }
    CHECK(float, fnn_small_gemm_f32)
    CHECK(double, fnn_small_gemm_f64)
    printf("%ld %ld\n", cases, bad);
    return 0;
}
"""

SOURCES = ("fnn_train.c", "fnn_kernels.c")


def _run(tmp_path, source_dir):
    program = tmp_path / "small_gemm_check.c"
    program.write_text(DRIVER)
    base = ["-O2", "-std=gnu11"]
    exe = (build(tmp_path, base + ["-g", "-fsanitize=address,undefined",
                                   "-fno-sanitize-recover=all"], program, SOURCES, source_dir)
           or build(tmp_path, base, program, SOURCES, source_dir))
    if exe is None:
        pytest.skip("no working C compiler here (the installed-wheel run removes it)")
    env = {k: v for k, v in os.environ.items() if k != "FASTNN_CPU_CAPABILITY"}
    run = subprocess.run([exe], capture_output=True, text=True, timeout=300, env=env)
    assert run.returncode == 0, run.stderr
    if run.stdout.split() == ["no-avx2"]:
        pytest.skip("this CPU (or build) has no AVX2 level")
    cases, bad = map(int, run.stdout.split())
    assert cases > 10000 and bad == 0


@pytest.mark.skipif(not (SOURCE_DIR / "fnn_train.c").exists(), reason="no checkout here")
def test_small_kernel_is_exact_at_the_avx2_width(tmp_path, plain_env):
    _run(tmp_path, SOURCE_DIR)


@pytest.mark.skipif(not (SOURCE_DIR / "fnn_train.c").exists(), reason="no checkout here")
def test_small_kernel_is_exact_at_the_avx512_width(tmp_path, plain_env):
    widened = tmp_path / "src"
    shutil.copytree(SOURCE_DIR, widened)
    header = widened / "fnn_for_each_isa.h"
    text, count = re.subn(r"(#define ISA isa_x86_64_v3\n.*?#define FNN_VEC_BYTES )32",
                          r"\g<1>64", header.read_text(), flags=re.DOTALL)
    assert count == 1, "the AVX2 level's vector width is no longer where this test looks"
    header.write_text(text)
    _run(tmp_path, widened)


SMALL_PRODUCTS = REPO_ROOT / "benchmarks" / "small_products.c"


@pytest.mark.skipif(not SMALL_PRODUCTS.exists(), reason="no checkout here")
def test_the_small_products_benchmark_builds_and_runs(tmp_path, plain_env):
    # A benchmark is never a timing test; this keeps the README's C-timed
    # product figures reproducible as the sources change.
    scipy = pytest.importorskip("scipy")
    libs = pathlib.Path(scipy.__file__).parent.parent / "scipy.libs"
    blas = sorted(libs.glob("libscipy_openblas-*.so"))
    if not blas:
        pytest.skip(f"no SciPy OpenBLAS in {libs} (a SciPy not from its Linux wheel)")
    exe = build(tmp_path, ["-O2", "-std=gnu11"], SMALL_PRODUCTS, SOURCES,
                link_args=(str(blas[0]), f"-Wl,-rpath,{libs}"))
    if exe is None:
        pytest.skip("no working C compiler here (the installed-wheel run removes it)")
    run = subprocess.run([exe], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "fastnn" in run.stdout or "no small-product kernel" in run.stdout
