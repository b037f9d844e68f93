"""Where the checkout is, for tests that read its files (setup.py, tools/,
pyproject.toml, README.md).  One definition, so that moving a test between
tests/ subfolders cannot silently point it at the wrong folder (the tests
that read the checkout skip when it is absent)."""
import pathlib

TESTS_DIR = pathlib.Path(__file__).resolve().parent
REPO_ROOT = TESTS_DIR.parent
