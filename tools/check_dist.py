#!/usr/bin/env python3
"""Check what fastnn's sdist and wheel hold, against the checkout they came from.

The sdist must carry every tracked source the build needs (Python, Cython,
C sources and headers, stubs, data, build files) so that it builds a wheel by
itself, and no generated or compiled file.  The wheel must carry the compiled
extension for every .pyx, the Python modules, .pyi stubs, py.typed and the
bundled data, and no C/Cython source, tests or build folders; its extension
must have no debug sections (setup.py builds with -g0).

Usage::

    python tools/check_dist.py --source . dist/fastnn_cpu-*.tar.gz wheelhouse/fastnn_cpu-*.whl

Exit status 0 when every check passes, 1 otherwise.  Needs git (to list the
tracked files) and, for the debug-section check, readelf (GNU binutils).
"""
import argparse
import os
import posixpath
import re
import subprocess
import sys
import tarfile
import tempfile
import zipfile

PACKAGE = "fastnn"
# Files every sdist needs besides the package itself.
SDIST_TOP_LEVEL = ("setup.py", "pyproject.toml", "MANIFEST.in", "README.md", "CHANGELOG.md",
                   "tools/_buildflags.py")   # setup.py imports it
# What must never be inside a wheel.
WHEEL_FORBIDDEN_SUFFIXES = (".c", ".h", ".cpp", ".pyx", ".pxd", ".pxi", ".o")
WHEEL_FORBIDDEN_DIRS = ("tests/", "build/", f"{PACKAGE}/src/")
EXTENSION_SUFFIX = re.compile(r"\.(?:cpython-[^/]*\.so|abi3\.so|so|[^/]*\.pyd)$")


def tracked_files(source):
    """Files under version control in the checkout, as posix paths."""
    out = subprocess.run(["git", "-C", source, "ls-files", "-z"], check=True,
                         capture_output=True, text=True).stdout
    return sorted(p for p in out.split("\0") if p)


def sdist_members(path):
    """Paths inside an sdist, without its leading "<name>-<version>/" folder."""
    with tarfile.open(path) as archive:
        names = [m.name for m in archive.getmembers() if m.isfile()]
    return {name.split("/", 1)[1] for name in names if "/" in name}


def check_sdist(path, tracked):
    """Problems with the sdist, as a list of messages."""
    members = sdist_members(path)
    problems = []
    needed = [p for p in tracked if p.startswith(f"{PACKAGE}/") or p.startswith("tests/")]
    needed += [p for p in SDIST_TOP_LEVEL if p in tracked]
    for missing in sorted(set(needed) - members):
        problems.append(f"sdist lacks tracked file {missing}")
    for member in sorted(members):
        generated_c = member.endswith((".c", ".cpp")) and member not in tracked
        compiled = member.endswith((".so", ".pyd", ".o", ".pyc"))
        if generated_c or compiled:
            problems.append(f"sdist holds a generated or compiled file: {member}")
    return problems


def wheel_expected(tracked):
    """(files the wheel must hold, dotted names of the extension modules)."""
    files, extensions = [], []
    for path in tracked:
        if not path.startswith(f"{PACKAGE}/") or path.startswith(f"{PACKAGE}/src/"):
            continue
        if path.endswith(".pyx"):
            extensions.append(path[:-len(".pyx")].replace("/", "."))
        elif path.endswith((".py", ".pyi")) or posixpath.basename(path) == "py.typed" \
                or path.startswith(f"{PACKAGE}/data/"):
            files.append(path)
    return files, extensions


def debug_sections(shared_object):
    """Names of .debug_* / .zdebug_* sections in an ELF file (empty if not ELF)."""
    with open(shared_object, "rb") as f:
        if f.read(4) != b"\x7fELF":
            return []
    listing = subprocess.run(["readelf", "-S", "-W", shared_object], check=True,
                             capture_output=True, text=True).stdout
    return sorted(set(re.findall(r"\.z?debug_\w+", listing)))


def check_wheel(path, tracked):
    """Problems with the wheel, as a list of messages; prints the extension sizes."""
    problems = []
    files, extensions = wheel_expected(tracked)
    with zipfile.ZipFile(path) as archive, tempfile.TemporaryDirectory() as tmp:
        names = archive.namelist()
        for missing in sorted(set(files) - set(names)):
            problems.append(f"wheel lacks {missing}")
        for dotted in extensions:
            stem = dotted.replace(".", "/")
            built = [n for n in names if n.startswith(stem + ".") and EXTENSION_SUFFIX.search(n)]
            if not built:
                problems.append(f"wheel lacks the compiled extension {dotted}")
            for name in built:
                info = archive.getinfo(name)
                print(f"{name}: {info.file_size / 1024:.0f} KiB "
                      f"({info.compress_size / 1024:.0f} KiB compressed)")
                for section in debug_sections(archive.extract(name, tmp)):
                    problems.append(f"{name} has debug section {section} (expected -g0)")
        for name in names:
            if name.endswith(WHEEL_FORBIDDEN_SUFFIXES) or name.startswith(WHEEL_FORBIDDEN_DIRS):
                problems.append(f"wheel holds {name}, which belongs in the sdist only")
    print(f"{os.path.basename(path)}: {os.path.getsize(path) / 1024:.0f} KiB, {len(names)} files")
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", default=".", help="the git checkout the dists were built from")
    parser.add_argument("dists", nargs="+", help="sdists (.tar.gz) and wheels (.whl)")
    args = parser.parse_args(argv)
    tracked = set(tracked_files(args.source))
    problems = []
    for dist in args.dists:
        if dist.endswith(".whl"):
            problems += check_wheel(dist, tracked)
        elif dist.endswith(".tar.gz"):
            problems += check_sdist(dist, tracked)
        else:
            problems.append(f"{dist}: neither an sdist (.tar.gz) nor a wheel (.whl)")
    for problem in problems:
        print("FAIL:", problem)
    print("dist contents:", "FAILED" if problems else "ok")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
