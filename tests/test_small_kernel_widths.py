"""The small-product kernel (fastnn/src/fnn_train_impl.h) at both vector
widths it is compiled for, driven from C: every shape that fits, op(A) and
op(B) transposed or not, B with gaps between its rows, float and double,
against a plain triple loop.  Small integers, whose every sum is exact in
any order, show a wrong index or a padding lane that leaks into a column;
random values against sums of fused multiply-adds in order show any other
order; C's gaps and a spare row, filled with a marker, show a write
outside C; AddressSanitizer and UBSan, where the compiler links them, a
read past A or B.

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

from _cbuild import SOURCE_DIR, build, build_or_fail
from _paths import REPO_ROOT

DRIVER = r"""
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "fnn_dispatch.h"
#include "fnn_train.h"

static const int MS[] = { 0, 1, 2, 3, 4, 5, 7, 8, 9, 12, 16, 17, 31, 32, 33, 63, 64 };
static const int NS[] = { 0, 1, 2, 3, 5, 7, 8, 9, 10, 15, 16, 17, 23, 24, 31, 32, 33,
                          40, 47, 48, 49, 63, 64 };
static const int KS[] = { 0, 1, 2, 3, 5, 10, 17, 32, 63, 64 };
#define COUNT(a) (int)(sizeof(a) / sizeof(a[0]))
#define MARK (-12345)

/* exact: small integers (every sum exact in any order); else random values
 * against a reference that sums with one fused multiply-add per p in order
 * p = 0 .. k-1, bit for bit: the kernel's order at every width.  C has a
 * gap after each row and a spare row, filled with MARK and checked after. */
#define CHECK(T, FN, FMA)                                                              \
    for (int exact = 0; exact < 2; ++exact)                                            \
    for (int ta = 0; ta < 2; ++ta) for (int tb = 0; tb < 2; ++tb)                      \
    for (int gap = 0; gap < 3; gap += 2)                                               \
    for (int im = 0; im < COUNT(MS); ++im) for (int in = 0; in < COUNT(NS); ++in)     \
    for (int ik = 0; ik < COUNT(KS); ++ik) {                                           \
        int m = MS[im], n = NS[in], k = KS[ik];                                        \
        if (!fnn_small_gemm_takes(m, n, k, sizeof(T))) continue;                       \
        int lda = (ta ? m : k) + gap, a_rows = ta ? k : m, a_cols = ta ? m : k;        \
        int ldb = (tb ? k : n) + gap, b_rows = tb ? n : k, b_cols = tb ? k : n;        \
        int ldc = n + gap;                                                             \
        size_t a_size = a_rows ? (size_t)(a_rows - 1) * lda + a_cols : 0;              \
        size_t b_size = b_rows ? (size_t)(b_rows - 1) * ldb + b_cols : 0;              \
        size_t c_size = (size_t)(m + 1) * ldc;                                         \
        T *a = malloc(sizeof(T) * (a_size ? a_size : 1));                              \
        T *b = malloc(sizeof(T) * (b_size ? b_size : 1));                              \
        T *c = malloc(sizeof(T) * (c_size ? c_size : 1));                              \
        for (size_t i = 0; i < a_size; ++i)                                            \
            a[i] = exact ? (T)((int)(i * 7 % 11) - 5) : (T)rand() / RAND_MAX - (T)0.5; \
        for (size_t i = 0; i < b_size; ++i)                                            \
            b[i] = exact ? (T)((int)(i * 5 % 13) - 6) : (T)rand() / RAND_MAX - (T)0.5; \
        for (size_t i = 0; i < c_size; ++i) c[i] = (T)MARK;                            \
        FN(ta, tb, m, n, k, a, lda, b, ldb, c, ldc);                                   \
        ++cases;                                                                       \
        for (int i = 0; i <= m; ++i) for (int j = 0; j < ldc; ++j) {                   \
            if (i == m || j >= n) { bad += c[(size_t)i * ldc + j] != (T)MARK; continue; } \
            T s = 0;                                                                   \
            for (int p = 0; p < k; ++p)                                                \
                s = FMA(ta ? a[(size_t)p * lda + i] : a[(size_t)i * lda + p],          \
                        tb ? b[(size_t)j * ldb + p] : b[(size_t)p * ldb + j], s);      \
            bad += s != c[(size_t)i * ldc + j];                                        \
        }                                                                              \
        free(a); free(b); free(c);                                                     \
    }

int main(void)
{
    long cases = 0, bad = 0;
    if (fnn_isa_select("avx2") != FNN_ISA_OK || fnn_isa_level() != FNN_ISA_AVX2) {
        printf("no-avx2\n");
        return 0;
    }
    srand(5);
    CHECK(float, fnn_small_gemm_f32, fmaf)
    CHECK(double, fnn_small_gemm_f64, fma)
    printf("%ld %ld\n", cases, bad);
    return 0;
}
"""

SOURCES = ("fnn_train.c", "fnn_kernels.c")


def _run(tmp_path, source_dir):
    program = tmp_path / "small_gemm_check.c"
    program.write_text(DRIVER)
    # -ffp-contract=fast, as GCC's GNU C default that the extension builds
    # with: the kernel's multiply-adds are FMAs, as the reference's are.
    base = ["-O2", "-std=gnu11", "-ffp-contract=fast"]
    # Under AddressSanitizer and UBSan where this compiler links them (a read
    # past B shows only there); plain otherwise, which must build.
    exe = (build(tmp_path / "asan", base + ["-g", "-fsanitize=address,undefined",
                                            "-fno-sanitize-recover=all"],
                 program, SOURCES, source_dir)
           or build_or_fail(tmp_path / "plain", base, program, SOURCES, source_dir))
    env = {k: v for k, v in os.environ.items() if k != "FASTNN_CPU_CAPABILITY"}
    env["ASAN_OPTIONS"] = "detect_leaks=0"      # LeakSanitizer needs ptrace
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
    exe = build_or_fail(tmp_path, ["-O2", "-std=gnu11"], SMALL_PRODUCTS, SOURCES,
                        link_args=(str(blas[0]), f"-Wl,-rpath,{libs}"))
    run = subprocess.run([exe], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    # The driver selects the level as the extension does (FASTNN_CPU_CAPABILITY).
    from fastnn import _dense
    if _dense.small_product_takes(32, 10, 64, "float32"):
        assert "fastnn" in run.stdout and "OpenBLAS" in run.stdout, run.stdout
    else:
        assert "no small-product kernel" in run.stdout, run.stdout
