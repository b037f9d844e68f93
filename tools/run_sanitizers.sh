#!/usr/bin/env bash
# Run the whole test suite against an AddressSanitizer + UndefinedBehavior-
# Sanitizer build of fastnn, and fail on any report.
#
#   1. copy the checkout's tracked files (as they are in the working tree)
#      into a throwaway folder, so the checkout's own build is never touched;
#   2. make a fresh venv there with the build requirements, the runtime
#      dependencies and the [test] extra, all read from pyproject.toml (pip's
#      cache is used as usual, so a warm cache makes this quick);
#   3. build the extensions in place with the sanitizers passed through
#      CFLAGS only, as a user would (setup.py puts them last and links the
#      OpenMP probe with them; FASTNN_REQUIRE_OPENMP=1 fails the step if
#      OpenMP still dropped out), and check show_config() says so;
#   4. run the suite with the ASan runtime preloaded into CPython (which is
#      not built with ASan), every sanitizer report written to a file, and
#      fail if pytest fails or any process, children included, wrote one.
#
# UBSan is built with -fno-sanitize-recover=all, so its first report stops
# the process, as ASan's does.  Leak detection is off: CPython keeps its
# interned objects and module state to the end by design, and would bury a
# real report in thousands of "leaks".  PYTHONMALLOC=malloc routes Python's
# own small objects through malloc, so ASan watches them too.
#
# Usage: tools/run_sanitizers.sh [pytest arguments, default: the whole suite]
# Environment: PYTHON (python3), CC (gcc), FASTNN_CI_KEEP=1 keeps the folder.
set -euo pipefail
cd "$(dirname "$0")/.."
checkout="$(pwd)"
python="${PYTHON:-python3}"
cc="${CC:-gcc}"
started=$(date +%s)
elapsed() { echo "$(( $(date +%s) - started )) s"; }

work="$(mktemp -d "${TMPDIR:-/tmp}/fastnn-sanitizers.XXXXXX")"
if [[ -z "${FASTNN_CI_KEEP:-}" ]]; then
    trap 'rm -rf "$work"' EXIT
else
    echo "sanitizers: keeping $work"
fi

echo "sanitizers: copy of the checkout in $work/src"
mkdir -p "$work/src"
git -C "$checkout" ls-files -z | tar -C "$checkout" --null -T - -cf - | tar -C "$work/src" -xf -
cd "$work/src"

echo "sanitizers: venv with the build, runtime and test requirements from pyproject.toml ($(elapsed))"
"$python" -m venv "$work/venv"
py="$work/venv/bin/python"
"$py" -m pip install --quiet --upgrade pip
"$py" -c 'import tomllib' 2>/dev/null || "$py" -m pip install --quiet tomli   # Python < 3.11
"$py" - > "$work/requirements.txt" <<'EOF'
try:
    import tomllib
except ModuleNotFoundError:
    import tomli as tomllib
with open("pyproject.toml", "rb") as f:
    meta = tomllib.load(f)
wanted = (meta["build-system"]["requires"] + meta["project"]["dependencies"]
          + meta["project"]["optional-dependencies"]["test"])
print("\n".join(wanted))
EOF
"$py" -m pip install --quiet --only-binary=:all: -r "$work/requirements.txt"

# libstdc++ is preloaded with the ASan runtime: CPython does not link it, so
# when ASan starts it cannot find the real __cxa_throw, and the first C++
# exception thrown by a third-party extension (matplotlib's ft2font raises
# one on import) stops the process with "CHECK failed ... real___cxa_throw".
asan_runtime="$(realpath "$("$cc" -print-file-name=libasan.so)")"
cxx_runtime="$(realpath "$("$cc" -print-file-name=libstdc++.so.6)")"
for runtime in "$asan_runtime" "$cxx_runtime"; do
    if [[ ! -f "$runtime" ]]; then
        echo "sanitizers: $cc has no $(basename "$runtime") (install gcc's libasan and libstdc++)" >&2
        exit 1
    fi
done

sanitize="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
echo "sanitizers: in-place build with CFLAGS=\"-O1 -g $sanitize\" ($(elapsed))"
CFLAGS="-O1 -g $sanitize" FASTNN_REQUIRE_OPENMP=1 \
    "$py" setup.py build_ext --inplace > "$work/build.log" 2>&1 || {
    cat "$work/build.log" >&2
    echo "sanitizers: the sanitizer build failed" >&2
    exit 1
}
grep '^fastnn:' "$work/build.log" || true

reports="$work/reports"
mkdir -p "$reports"
sanitized=(env LD_PRELOAD="$asan_runtime:$cxx_runtime" PYTHONMALLOC=malloc
    ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:log_path=$reports/asan"
    UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$reports/ubsan")

# The build must be the sanitized one, from this copy, with OpenMP and with
# the user's flags last (the -O1 wins over setup.py's -O3).
"${sanitized[@]}" "$py" - "$work/src" "-O1 -g $sanitize" <<'EOF'
import pathlib, sys
import fastnn
from fastnn import _config
src, user_flags = pathlib.Path(sys.argv[1]), sys.argv[2]
where = pathlib.Path(fastnn.__file__).resolve()
assert src.resolve() in where.parents, f"fastnn imported from {where}, not from {src}"
facts = _config.config()
assert facts["openmp"] == "enabled", facts
assert facts["compiler flags"].endswith(user_flags), facts["compiler flags"]
fastnn.show_config()
EOF

echo "sanitizers: test suite under ASan + UBSan ($(elapsed))"
status=0
"${sanitized[@]}" "$py" -m pytest -p no:cacheprovider -q "${@:-tests}" || status=$?

found=("$reports"/*)
if [[ -e "${found[0]}" ]]; then
    for report in "${found[@]}"; do
        echo "=== sanitizer report $(basename "$report")" >&2
        cat "$report" >&2
    done
    echo "sanitizers: FAILED, ${#found[@]} sanitizer report(s) ($(elapsed))" >&2
    exit 1
fi
if [[ $status -eq 5 ]]; then
    echo "sanitizers: pytest collected no tests" >&2
    exit 1
elif [[ $status -ne 0 ]]; then
    echo "sanitizers: FAILED, pytest exit status $status ($(elapsed))" >&2
    exit "$status"
fi
echo "sanitizers: no report, suite passed under ASan + UBSan in $(elapsed)"
