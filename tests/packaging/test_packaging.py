"""Packaging facts: one version everywhere, and an installed wheel that holds
what users need (extension, stubs marker, data) and no build leftovers.

The installed-distribution tests apply when fastnn was pip-installed (the
README's and CI's way).  Run from a source tree built in place, they skip;
CI sets FASTNN_TEST_INSTALLED=1, which turns that skip into a failure, so the
wheel run cannot silently test the checkout instead.
"""
import importlib.metadata
import os
import pathlib
import re
import sys

import pytest

import fastnn
import fastnn._version
from _paths import REPO_ROOT

DIST_NAME = "fastnn-cpu"
PACKAGE_DIR = pathlib.Path(fastnn.__file__).resolve().parent
# PEP 440 public version, e.g. 0.1.0, 1.2.0rc1, 1.2.0.post1, 1.3.0.dev2.
PEP440 = re.compile(r"^\d+(\.\d+)*((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?$")
MUST_BE_INSTALLED = os.environ.get("FASTNN_TEST_INSTALLED") == "1"


def installed_distribution():
    """The fastnn-cpu distribution that provides the imported fastnn, or None."""
    try:
        dist = importlib.metadata.distribution(DIST_NAME)
    except importlib.metadata.PackageNotFoundError:
        return None
    if dist.read_text("RECORD") is None:
        return None          # an egg-info of a source tree, not an installation
    init = dist.locate_file("fastnn/__init__.py")
    if pathlib.Path(init).resolve() != pathlib.Path(fastnn.__file__).resolve():
        return None          # installed, but the fastnn imported is another copy
    return dist


@pytest.fixture(scope="module")
def dist():
    found = installed_distribution()
    if found is None:
        message = f"fastnn imported from {PACKAGE_DIR}, not from an installed {DIST_NAME}"
        if MUST_BE_INSTALLED:
            pytest.fail(message)
        pytest.skip(message)
    return found


def test_fastnn_is_imported_from_the_environment_when_testing_a_wheel():
    if not MUST_BE_INSTALLED:
        pytest.skip("FASTNN_TEST_INSTALLED is not set: testing whichever fastnn imports")
    assert pathlib.Path(sys.prefix).resolve() in PACKAGE_DIR.parents
    assert REPO_ROOT not in PACKAGE_DIR.parents


def test_version_is_a_pep440_string_from_version_module():
    assert fastnn.__version__ is fastnn._version.__version__
    assert PEP440.match(fastnn.__version__), fastnn.__version__


def test_installed_version_equals_package_version(dist):
    assert dist.version == fastnn.__version__


def test_pyproject_reads_the_version_from_version_module():
    pyproject = REPO_ROOT / "pyproject.toml"
    if not pyproject.exists():
        pytest.skip("tests run without the source tree next to them")
    text = pyproject.read_text()
    project = text.split("[project]", 1)[1].split("\n[", 1)[0]
    assert re.search(r'^dynamic\s*=\s*\[[^\]]*"version"', project, re.M)
    assert not re.search(r"^version\s*=", project, re.M), "version must not be static"
    assert re.search(r'^version\s*=\s*\{\s*attr\s*=\s*"fastnn\._version\.__version__"\s*\}',
                     text, re.M)


def test_changelog_has_an_entry_for_this_version():
    changelog = REPO_ROOT / "CHANGELOG.md"
    if not changelog.exists():
        pytest.skip("tests run without the source tree next to them")
    headings = re.findall(r"^## \[?([^\]\s]+)\]?", changelog.read_text(), re.M)
    assert fastnn.__version__ in headings


def test_installed_files_hold_extension_and_typing_marker_but_no_sources(dist):
    files = [str(f) for f in dist.files if str(f).startswith("fastnn/")]
    assert "fastnn/py.typed" in files
    assert any(re.match(r"fastnn/_kernels\..*\.(so|pyd)$", f) for f in files), files
    leftovers = [f for f in files if f.endswith((".c", ".h", ".pyx", ".pxd", ".o"))]
    assert leftovers == []
    assert not any(f.startswith(("tests/", "build/")) for f in map(str, dist.files))


def test_installed_package_has_every_stub_and_data_file_of_the_source(dist):
    # package-data in pyproject.toml must pick up stubs, py.typed and data/*.
    source_package = REPO_ROOT / "fastnn"
    if not source_package.is_dir():
        pytest.skip("tests run without the source tree next to them")
    wanted = [p for p in source_package.rglob("*")
              if p.is_file() and "__pycache__" not in p.parts
              and (p.suffix == ".pyi" or p.name == "py.typed" or "data" in p.relative_to(source_package).parts[:1])]
    assert wanted, "the source tree has at least fastnn/py.typed"
    for source_file in wanted:
        rel = source_file.relative_to(source_package)
        installed = PACKAGE_DIR / rel
        assert installed.is_file(), f"fastnn/{rel.as_posix()} missing from the installed package"
        assert installed.read_bytes() == source_file.read_bytes(), rel
