"""The type stubs (.pyi) list every public name and match the runtime
signatures, so they cannot silently drift from the code.  (The full check is
``python -m mypy.stubtest fastnn --ignore-missing-stub``.)"""
import ast
import inspect
from pathlib import Path

import pytest

import fastnn
import fastnn.activations

PACKAGE = Path(fastnn.__file__).parent


def _stub(module_file):
    return ast.parse((PACKAGE / module_file).read_text())


def _stub_all(tree):
    for node in tree.body:
        if isinstance(node, ast.Assign) and node.targets[0].id == "__all__":
            return [elt.value for elt in node.value.elts]
    raise AssertionError("stub has no __all__")


def _stub_functions(tree):
    """name -> parameter names of each def (the overloads of one name agree)."""
    found = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            args = node.args
            names = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
            found.setdefault(node.name, []).append(names)
    return found


@pytest.mark.parametrize("module,stub", [(fastnn, "__init__.pyi"),
                                         (fastnn.activations, "activations.pyi")])
def test_stub_all_matches_runtime(module, stub):
    assert sorted(_stub_all(_stub(stub))) == sorted(module.__all__)
    assert (PACKAGE / "py.typed").exists()


def test_stub_signatures_match_runtime():
    functions = _stub_functions(_stub("activations.pyi"))
    for name in fastnn.activations.__all__:
        obj = getattr(fastnn.activations, name)
        if not inspect.isfunction(obj):
            continue
        runtime = list(inspect.signature(obj).parameters)
        assert name in functions, name
        for overload in functions[name]:
            assert overload == runtime, (name, overload, runtime)


# The Python-level API typed inline (the network package, optimizers,
# losses, dense layer, data sets, argument checks): mypy --strict passes
# on it, and stubtest finds its annotations consistent with the runtime.
TYPED_MODULES = ["fastnn.network", "fastnn.optimizers", "fastnn.losses", "fastnn.dense",
                 "fastnn.datasets", "fastnn._validation"]


def _run_mypy(*args):
    import subprocess
    import sys
    pytest.importorskip("mypy")
    return subprocess.run([sys.executable, "-m", *args], cwd=PACKAGE.parent,
                          capture_output=True, text=True, timeout=600)


@pytest.mark.timeout(600)
def test_mypy_strict_passes_on_the_typed_modules():
    files = [str(Path(*m.split(".")).with_suffix(".py")) if m != "fastnn.network"
             else "fastnn/network" for m in TYPED_MODULES]
    result = _run_mypy("mypy", "--strict", "--follow-imports=silent", "--no-incremental",
                       *files, "fastnn/__init__.pyi")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.timeout(600)
def test_stubtest_finds_the_typed_modules_consistent():
    result = _run_mypy("mypy.stubtest", *TYPED_MODULES)
    assert result.returncode == 0, result.stdout + result.stderr


COMPILED = ["fastnn._kernels", "fastnn._dense", "fastnn._trainer"]


def test_compiled_stubs_match_the_compiled_modules():
    """stubtest: every compiled name is in a stub, with the runtime's kind and
    signature (Cython's own module artefacts are allowlisted)."""
    allowlist = Path(__file__).parent / "stubtest_allowlist.txt"
    run = _run_mypy("mypy.stubtest", *COMPILED, "--allowlist", str(allowlist))
    assert run.returncode == 0, run.stdout + run.stderr


def test_stubs_pass_mypy_strict():
    stubs = [PACKAGE / f for f in ("_kernels.pyi", "_dense.pyi", "_trainer.pyi",
                                   "activations.pyi", "__init__.pyi")]
    run = _run_mypy("mypy", "--strict", "--no-incremental", *map(str, stubs))
    # The untyped .py modules the stubs import are not checked here.
    errors = [line for line in run.stdout.splitlines() if ".pyi:" in line]
    assert not errors, "\n".join(errors)
