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


@pytest.fixture(scope="module")
def package_copy(tmp_path_factory):
    """A folder holding only a copy of the imported fastnn (and the libraries
    a repaired wheel vendors beside it), for mypy and stubtest to run in.

    Run in the folder that holds the imported package, they would take it as
    a source root: for an installed wheel that is site-packages, whose
    other modules then "shadow library modules" and fail the run."""
    import shutil
    root = tmp_path_factory.mktemp("typed")
    shutil.copytree(PACKAGE, root / "fastnn",
                    ignore=shutil.ignore_patterns("__pycache__", "*.c", "build"))
    vendored = PACKAGE.parent / "fastnn_cpu.libs"
    if vendored.is_dir():
        shutil.copytree(vendored, root / vendored.name)
    return root


def _run_mypy(root, *args):
    import subprocess
    import sys
    pytest.importorskip("mypy")
    return subprocess.run([sys.executable, "-m", *args], cwd=root,
                          capture_output=True, text=True, timeout=600)


@pytest.mark.timeout(600)
def test_mypy_strict_passes_on_the_typed_modules(package_copy):
    files = [str(Path(*m.split(".")).with_suffix(".py")) if m != "fastnn.network"
             else "fastnn/network" for m in TYPED_MODULES]
    result = _run_mypy(package_copy, "mypy", "--strict", "--follow-imports=silent",
                       "--no-incremental",
                       *files, "fastnn/__init__.pyi")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.timeout(600)
def test_stubtest_finds_the_typed_modules_consistent(package_copy):
    result = _run_mypy(package_copy, "mypy.stubtest", *TYPED_MODULES)
    assert result.returncode == 0, result.stdout + result.stderr


COMPILED = ["fastnn._kernels", "fastnn._dense", "fastnn._trainer"]


def test_compiled_stubs_match_the_compiled_modules(package_copy):
    """stubtest: every compiled name is in a stub, with the runtime's kind and
    signature (Cython's own module artefacts are allowlisted)."""
    allowlist = Path(__file__).parent / "stubtest_allowlist.txt"
    run = _run_mypy(package_copy, "mypy.stubtest", *COMPILED, "--allowlist", str(allowlist))
    assert run.returncode == 0, run.stdout + run.stderr


def test_stubs_pass_mypy_strict(package_copy):
    stubs = [package_copy / "fastnn" / f for f in ("_kernels.pyi", "_dense.pyi", "_trainer.pyi",
                                   "activations.pyi", "__init__.pyi")]
    run = _run_mypy(package_copy, "mypy", "--strict", "--no-incremental", *map(str, stubs))
    # The untyped .py modules the stubs import are not checked here.
    errors = [line for line in run.stdout.splitlines() if ".pyi:" in line]
    assert not errors, "\n".join(errors)
