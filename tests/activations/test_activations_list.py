"""The one list of activations (fastnn/src/fnn_activation_list.h) and every
table derived from it agree: the Cython enum, the C loop switch, the Python
registry, the default inits and the generated stubs."""
import math
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import fastnn
from fastnn import _kernels, activations
from _paths import REPO_ROOT as ROOT

TABLE = _kernels.activation_table()

# Independent float64 formulas, one per name, so that a kernel reached
# through the wrong id cannot pass.
_FORMULAS = {
    "identity": lambda x: x,
    "sigmoid": lambda x: 1 / (1 + math.exp(-x)),
    "tanh": math.tanh,
    "relu": lambda x: max(x, 0.0),
    "leaky_relu": lambda x: x if x >= 0 else 0.01 * x,
    "elu": lambda x: x if x >= 0 else math.expm1(x),
    "softplus": lambda x: math.log1p(math.exp(x)),
    "silu": lambda x: x / (1 + math.exp(-x)),
    "gelu": lambda x: 0.5 * x * math.erfc(-x / math.sqrt(2)),
    "gelu_tanh": lambda x: 0.5 * x * (1 + math.tanh(math.sqrt(2 / math.pi)
                                                   * (x + 0.044715 * x ** 3))),
}


def test_table_ids_are_positions_and_names_unique():
    assert [entry[1] for entry in TABLE] == list(range(len(TABLE)))
    assert len({entry[0] for entry in TABLE}) == len(TABLE)
    assert all(saves in ("input", "output") for _, _, saves, _ in TABLE)
    assert all(init in ("he_uniform", "glorot_uniform") for _, _, _, init in TABLE)


def test_cython_enum_matches_c_list_by_name():
    enum = {member.name: int(member) for member in _kernels.fnn_activation}
    assert enum == {f"FNN_{name.upper()}": i for name, i, _, _ in TABLE}
    assert _kernels.ACTIVATION_IDS == {name: i for name, i, _, _ in TABLE}


@pytest.mark.parametrize("name,kernel_id", [(e[0], e[1]) for e in TABLE])
def test_loop_switch_sends_each_id_to_its_own_kernel(name, kernel_id):
    x = np.array([-2.5, -0.75, 0.0, 0.3, 1.7, 3.0])
    param = 0.01 if name == "leaky_relu" else 1.0 if name == "elu" else 0.0
    got = _kernels.elementwise(0, kernel_id, x, None, param)
    want = np.array([_FORMULAS[name](float(v)) for v in x])
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


def test_ids_past_the_list_are_refused():
    with pytest.raises(ValueError):
        _kernels.elementwise(0, len(TABLE), np.zeros(3))
    with pytest.raises(ValueError):
        _kernels.backward(len(TABLE), np.zeros(3), np.zeros(3))


def test_registry_is_built_from_the_list():
    for name, kernel_id, saves, init in TABLE:
        act = fastnn.get_activation(name)
        assert (act.kernel_id, act.saves, act.default_init) == (kernel_id, saves, init)
    assert set(fastnn.ACTIVATIONS) == {e[0] for e in TABLE} | {"softmax"}
    assert fastnn.ACTIVATIONS["softmax"].default_init == "glorot_uniform"


def test_every_public_activation_has_its_docstrings():
    public = {e[0] for e in TABLE} - set(activations._VARIANT_OF)
    assert public == set(activations._DOCS)


def test_he_init_family_is_the_relu_family():
    he = {name for name, _, _, init in TABLE if init == "he_uniform"}
    assert he == {"relu", "leaky_relu", "elu", "softplus", "silu", "gelu", "gelu_tanh"}


def test_generated_stubs_and_enum_are_up_to_date():
    if not (ROOT / "tools" / "gen_stubs.py").exists() or not (ROOT / "fastnn").is_dir():
        pytest.skip("needs the source checkout")
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import gen_stubs
    finally:
        sys.path.pop(0)
    package = pathlib.Path(fastnn.__file__).resolve().parent
    generated = gen_stubs.generated_files()
    for path, text in generated.items():
        # Compare against the files of the fastnn under test where it has them
        # (an installed wheel carries the stubs, not the .pxd).
        installed = package / path.name
        target = installed if installed.exists() else path
        assert target.read_text() == text, f"{path.name} is stale: run tools/gen_stubs.py"
