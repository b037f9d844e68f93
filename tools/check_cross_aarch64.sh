#!/usr/bin/env bash
# Cross-compile fastnn's C for aarch64 Linux, to catch x86-only code before
# the aarch64 wheel build (cibuildwheel on an arm runner) does.
#
# Compiles fastnn/src/fnn_kernels.c and the Cython-generated module with the
# release flags of setup.py plus -Wall -Wextra -Werror, links them into a
# shared object with OpenMP, and checks that every symbol left undefined is
# a Python/NumPy C-API symbol (resolved by the interpreter at import).
# The Python and NumPy headers are the host's (x86-64 LP64 Linux, the same
# data model as aarch64 Linux): a compile check, not a runnable build.
#
# Needs: Debian's cross compiler (apt-get install -y gcc-aarch64-linux-gnu),
# Cython and NumPy in the Python that runs it.  Not run by .ci/run: the cross
# compiler is not pip-installable.
set -euo pipefail
cd "$(dirname "$0")/.."
cc="${CROSS_CC:-aarch64-linux-gnu-gcc}"
python="${PYTHON:-python3}"
command -v "$cc" >/dev/null || { echo "$cc not found: apt-get install -y gcc-aarch64-linux-gnu" >&2; exit 2; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
flags=(-O3 -g0 -std=gnu11 -fno-math-errno -fno-trapping-math -fopenmp -fPIC)
numpy_inc="$("$python" -c 'import numpy; print(numpy.get_include())')"
python_inc="$("$python" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')"

for c in fastnn/src/*.c; do
    echo "== $c ($("$cc" -dumpfullversion), -Wall -Wextra -Werror)"
    "$cc" "${flags[@]}" -Wall -Wextra -Werror -c "$c" -o "$tmp/c_$(basename "$c" .c).o"
done

for pyx in fastnn/*.pyx; do
    name="$(basename "$pyx" .pyx)"
    echo "== $pyx (Cython -> C, then $cc)"
    "$python" -m cython -3 "$pyx" -o "$tmp/$name.c"
    "$cc" "${flags[@]}" -Ifastnn/src -I"$numpy_inc" -I"$python_inc" \
        -DNPY_NO_DEPRECATED_API=NPY_1_7_API_VERSION -c "$tmp/$name.c" -o "$tmp/$name.o"
done

# One shared object per extension module, each with the C sources (as setup.py
# links them; the elementwise module does not call fnn_train.c).
for pyx in fastnn/*.pyx; do
    name="$(basename "$pyx" .pyx)"
    echo "== link $name as an aarch64 shared object"
    objs=("$tmp/$name.o" "$tmp"/c_*.o)
    "$cc" -shared -fopenmp "${objs[@]}" -lm -o "$tmp/${name}_aarch64.so"
    # Undefined symbols that are not the Python/NumPy C API would fail at import.
    unresolved="$("$cc" -shared -fopenmp -Wl,--no-undefined "${objs[@]}" -lm -o /dev/null 2>&1 \
        | grep -o "undefined reference to \`[^']*'" | sed "s/undefined reference to \`//; s/'$//" \
        | grep -v -E '^_?_?Py|^PyArray|gemm_$' | sort -u || true)"
    if [[ -n "$unresolved" ]]; then
        echo "unresolved non-Python symbols in $name:" >&2
        echo "$unresolved" >&2
        exit 1
    fi
    "${cc%gcc}readelf" -h "$tmp/${name}_aarch64.so" | grep -E "Type:|Machine:"
done
echo "aarch64 cross-compile: ok"
