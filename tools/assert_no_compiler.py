#!/usr/bin/env python3
"""Fail unless no C compiler can be reached from this environment.

CI runs the test suite against the installed wheel with PATH cut down to the
virtual environment's bin folder and CC/CXX set to /bin/false, to prove that
users need no compiler.  This script checks that the cut worked: no compiler
is found on PATH, and both the compiler Python was built with (sysconfig CC,
what setuptools would call) and $CC fail to compile a trivial file.
Exit status 0 when no compiler is reachable, 1 otherwise.
"""
import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tempfile

COMPILER_NAMES = ("cc", "gcc", "clang", "c++", "g++", "clang++", "icx", "tcc")


def compiles(command, source, workdir):
    """True if `command source -c` produces an object file."""
    obj = os.path.join(workdir, "probe.o")
    try:
        done = subprocess.run([*command, "-c", source, "-o", obj],
                              capture_output=True, cwd=workdir, timeout=60)
    except (FileNotFoundError, PermissionError):
        return False
    return done.returncode == 0 and os.path.exists(obj)


def main():
    problems = [f"{name} found at {shutil.which(name)}"
                for name in COMPILER_NAMES if shutil.which(name)]
    candidates = {"sysconfig CC": sysconfig.get_config_var("CC") or "cc",
                  "$CC": os.environ.get("CC", "cc")}
    with tempfile.TemporaryDirectory() as tmp:
        source = os.path.join(tmp, "probe.c")
        with open(source, "w") as f:
            f.write("int probe(void) { return 42; }\n")
        for label, command in candidates.items():
            if compiles(shlex.split(command), source, tmp):
                problems.append(f"{label} ({command}) compiles")
    for problem in problems:
        print("compiler reachable:", problem)
    print("no compiler reachable" if not problems else "FAILED: a compiler is reachable")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
