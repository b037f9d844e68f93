"""The README's activation table ("Where each activation lives") agrees with
the registry: one row per ``fastnn.ACTIVATIONS`` entry in its order, with the
registry's ``saves`` and ``default_init``, Python names that exist, and the
C scalar functions that the activation list's naming rule gives (and, in a
checkout, that fnn_activations.h defines)."""
import re

import pytest

import fastnn
from _paths import REPO_ROOT

README = REPO_ROOT / "README.md"
HEADER = "| activation | forward, derivative, backward (`fastnn.`) |"
C_HEADER = REPO_ROOT / "fastnn" / "src" / "fnn_activations.h"


def _cells(line):
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


@pytest.fixture(scope="module")
def rows():
    if not README.is_file():
        pytest.skip(f"{README} not found next to the tests")
    lines = README.read_text(encoding="utf-8").splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith(HEADER)), None)
    assert start is not None, f"README.md lost its activation table ({HEADER!r})"
    table = []
    for line in lines[start + 2:]:           # after the header and the --- row
        if not line.startswith("|"):
            break
        table.append(_cells(line))
    return table


def _names(cell):
    """The `code` names in a table cell."""
    return re.findall(r"`([A-Za-z_]\w*)`", cell)


def test_one_row_per_registry_entry_in_order(rows):
    assert [_names(row[0])[0] for row in rows] == list(fastnn.ACTIVATIONS)


def test_saves_and_default_init_match_the_registry(rows):
    for row in rows:
        act = fastnn.ACTIVATIONS[_names(row[0])[0]]
        assert (row[3], row[4]) == (act.saves, act.default_init), row


def test_python_names_exist(rows):
    for row in rows:
        names = [n for n in _names(row[1]) if n not in ("approximate",)]
        assert names, row
        for name in names:
            assert callable(getattr(fastnn, name, None)), f"fastnn.{name} in README: {row}"


def test_c_functions_follow_the_list_and_exist(rows):
    header = C_HEADER.read_text() if C_HEADER.is_file() else None
    for row in rows:
        name = _names(row[0])[0]
        if fastnn.ACTIVATIONS[name].kernel_id is None:      # softmax: row loops only
            continue
        wanted = [f"{name}_fwd", f"{name}_der", f"{name}_bwd"]
        assert _names(row[2])[:3] == wanted, row
        if header is not None:
            for fn in wanted:
                assert f"NAME({fn})(" in header, f"{fn} not defined in fnn_activations.h"


def test_readme_states_conventions_not_sources():
    if not README.is_file():
        pytest.skip(f"{README} not found next to the tests")
    text = README.read_text(encoding="utf-8").lower()
    for phrase in ("article", "issue tracker", "issue #"):
        assert phrase not in text, phrase
