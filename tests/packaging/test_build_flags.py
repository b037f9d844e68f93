"""The build's flag logic (tools/_buildflags.py, used by setup.py's BuildExt):
the user's CPPFLAGS/CFLAGS/LDFLAGS come last, the OpenMP probe compiles and
links with them, and a fallback to no OpenMP is loud or, with
FASTNN_REQUIRE_OPENMP=1, an error.

The module is read from the checkout next to this file, so these tests also
run when the suite tests an installed wheel (CI runs tests/ of the checkout).
They skip only where tests/ was copied without the source tree.
"""
import importlib.util
import os
import types

import pytest

from _paths import REPO_ROOT

BUILDFLAGS_PATH = REPO_ROOT / "tools" / "_buildflags.py"
USER_FLAG_VARS = ("CPPFLAGS", "CFLAGS", "LDFLAGS")


@pytest.fixture(scope="module")
def bf():
    if not BUILDFLAGS_PATH.is_file():
        pytest.skip(f"source tree absent: {BUILDFLAGS_PATH} not found next to the tests")
    spec = importlib.util.spec_from_file_location("fastnn_buildflags", BUILDFLAGS_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def last_optimisation(args):
    """The -O level GCC/Clang use: the last -O flag wins."""
    return [a for a in args if a.startswith("-O")][-1]


class FakeCompiler:
    """Records the arguments the probe passes; fails where told to."""

    def __init__(self, compiler_type="unix", fail_at=None):
        self.compiler_type = compiler_type
        self.fail_at = fail_at
        self.compile_postargs = self.link_postargs = None

    def compile(self, sources, output_dir=None, extra_postargs=None):
        self.compile_postargs = list(extra_postargs)
        if self.fail_at == "compile":
            raise RuntimeError("omp.h: No such file or directory")
        return [os.path.join(output_dir, "omp_check.o")]

    def link_executable(self, objects, name, extra_postargs=None):
        self.link_postargs = list(extra_postargs)
        if self.fail_at == "link":
            raise RuntimeError("undefined reference to `__asan_init'")


def fake_extension(define_macros):
    return types.SimpleNamespace(extra_compile_args=[], extra_link_args=[],
                                 define_macros=define_macros)


# --- user flags -------------------------------------------------------------

def test_user_flags_split_like_a_shell(bf):
    compile_flags, link_flags = bf.user_flags(
        dict(CPPFLAGS="-DA=1 -I'/opt/my dir'", CFLAGS="-O1 -fsanitize=address",
            LDFLAGS="-L/opt/lib -fsanitize=address"), "unix")
    assert compile_flags == ["-DA=1", "-I/opt/my dir", "-O1", "-fsanitize=address"]
    # The driver needs CFLAGS' -fsanitize/-flto when it links, then LDFLAGS.
    assert link_flags == ["-O1", "-fsanitize=address", "-L/opt/lib", "-fsanitize=address"]


def test_no_user_flags_from_an_empty_environment(bf):
    assert bf.user_flags({}, "unix") == ([], [])


def test_msvc_takes_no_unix_flags(bf):
    # cl.exe and link.exe read the CL and LINK variables themselves.
    assert bf.user_flags(dict(CFLAGS="-O1", LDFLAGS="-lm"), "msvc") == ([], [])


# --- ordering ---------------------------------------------------------------

def test_user_compile_flags_come_last_and_win(bf):
    args = bf.compile_args("unix", True, ["-DOWN"], ["-O1", "-g", "-fsanitize=address"])
    assert args[-3:] == ["-O1", "-g", "-fsanitize=address"]
    assert last_optimisation(args) == "-O1"
    assert args.index("-g0") < args.index("-g")
    assert args.index("-fopenmp") < args.index("-DOWN") < args.index("-O1")


def test_default_compile_flags_are_optimised_portable_and_without_debug_info(bf):
    for compiler_type in ("unix", "mingw32", "msvc"):
        for have_openmp in (True, False):
            args = bf.compile_args(compiler_type, have_openmp, [], [])
            assert "-ffast-math" not in args and "/fp:fast" not in args
            assert not any(a.startswith(("-march=", "/arch:")) for a in args)
            assert ("-fopenmp" in args or "/openmp" in args) == have_openmp
    unix = bf.compile_args("unix", True, [], [])
    assert last_optimisation(unix) == "-O3" and "-g0" in unix


def test_link_flags_put_openmp_first_and_user_last(bf):
    assert bf.link_args("unix", True, ["-lown"], ["-fsanitize=address"]) == \
        ["-fopenmp", "-lown", "-fsanitize=address"]
    assert bf.link_args("unix", False, [], ["-lm"]) == ["-lm"]
    assert bf.link_args("msvc", True, [], []) == []


# --- the OpenMP probe -------------------------------------------------------

def test_probe_compiles_and_links_with_the_user_flags(bf):
    compiler = FakeCompiler()
    user_compile, user_link = bf.user_flags(
        dict(CFLAGS="-O1 -fsanitize=address", LDFLAGS="-L/x"), "unix")
    assert bf.probe_openmp(compiler, user_compile, user_link) == (True, "")
    assert compiler.compile_postargs == ["-fopenmp", "-O1", "-fsanitize=address"]
    assert compiler.link_postargs == ["-fopenmp", "-O1", "-fsanitize=address", "-L/x"]


@pytest.mark.parametrize("stage", ["compile", "link"])
def test_probe_failure_gives_the_compiler_error(bf, stage):
    ok, reason = bf.probe_openmp(FakeCompiler(fail_at=stage), [], [])
    assert not ok
    assert ("omp.h" if stage == "compile" else "__asan_init") in reason


# --- the OpenMP decision ----------------------------------------------------

def probe_returning(ok, reason=""):
    calls = []

    def probe():
        calls.append(1)
        return ok, reason
    probe.calls = calls
    return probe


def test_openmp_is_used_when_the_probe_passes(bf):
    assert bf.choose_openmp({}, probe_returning(True)) == (True, "")


def test_failed_probe_falls_back_with_its_reason(bf):
    assert bf.choose_openmp({}, probe_returning(False, "LinkError: x")) == (False, "LinkError: x")


def test_required_openmp_makes_a_failed_probe_an_error(bf):
    with pytest.raises(bf.OpenMPUnavailable, match="FASTNN_REQUIRE_OPENMP=1.*LinkError: x"):
        bf.choose_openmp(dict(FASTNN_REQUIRE_OPENMP="1"), probe_returning(False, "LinkError: x"))
    assert bf.choose_openmp(dict(FASTNN_REQUIRE_OPENMP="1"), probe_returning(True)) == (True, "")


def test_no_openmp_request_skips_the_probe_and_contradicts_require(bf):
    probe = probe_returning(True)
    used, reason = bf.choose_openmp(dict(FASTNN_NO_OPENMP="1"), probe)
    assert not used and "FASTNN_NO_OPENMP=1" in reason and probe.calls == []
    with pytest.raises(bf.OpenMPUnavailable, match="FASTNN_NO_OPENMP"):
        bf.choose_openmp(dict(FASTNN_NO_OPENMP="1", FASTNN_REQUIRE_OPENMP="1"), probe)


def test_fallback_warning_is_loud_and_says_what_to_do(bf):
    text = bf.fallback_warning("LinkError: undefined reference to `__asan_init'")
    assert "WARNING" in text and "WITHOUT OpenMP" in text
    assert "__asan_init" in text
    assert "FASTNN_REQUIRE_OPENMP=1" in text and "show_config()" in text


# --- every extension --------------------------------------------------------

def test_every_extension_gets_the_flags_and_its_own_build_macro(bf):
    shared_macros = [("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")]
    first, second = fake_extension(shared_macros), fake_extension(shared_macros)
    second.extra_compile_args = ["-DSECOND"]
    compiler = FakeCompiler()
    used, _ = bf.configure_extensions(compiler, [first, second], dict(CFLAGS="-O1 -g"))
    assert used
    for ext in (first, second):
        assert ext.extra_compile_args[-2:] == ["-O1", "-g"]
        assert ext.extra_link_args == ["-fopenmp", "-O1", "-g"]
        macros = dict(ext.define_macros)
        assert macros["FNN_BUILD_FLAGS"] == '"' + " ".join(ext.extra_compile_args) + '"'
        assert macros["NPY_NO_DEPRECATED_API"] == "NPY_1_7_API_VERSION"
    assert "-DSECOND" in second.extra_compile_args and "-DSECOND" not in first.extra_compile_args
    # The shared list is not appended to (that would define the macro twice).
    assert shared_macros == [("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")]


def test_extensions_without_openmp_get_no_openmp_flag(bf):
    ext = fake_extension([])
    used, reason = bf.configure_extensions(FakeCompiler(fail_at="link"), [ext], {})
    assert not used and "__asan_init" in reason
    assert "-fopenmp" not in ext.extra_compile_args + ext.extra_link_args


def test_build_macro_escapes_quotes_and_backslashes(bf):
    assert bf.c_string_macro('-DNAME="a b" -IC:\\x') == '"-DNAME=\\"a b\\" -IC:\\\\x"'


def test_setup_py_hands_every_extension_to_the_flag_logic(bf):
    setup_py = (REPO_ROOT / "setup.py").read_text()
    assert "_buildflags.configure_extensions(" in setup_py
    assert "self.extensions" in setup_py
    assert "fallback_warning(" in setup_py and "OpenMPUnavailable" in setup_py


# --- with the real compiler -------------------------------------------------

def real_compiler(monkeypatch):
    """The C compiler setuptools would use, without the caller's flags or preloads."""
    setuptools = pytest.importorskip("setuptools")  # noqa: F841  (brings its distutils)
    from distutils import ccompiler, sysconfig
    for name in USER_FLAG_VARS + ("LD_PRELOAD",):
        monkeypatch.delenv(name, raising=False)
    compiler = ccompiler.new_compiler()
    sysconfig.customize_compiler(compiler)
    return compiler


def links(compiler, tmp_path, flags):
    """True if a plain C program compiles and links with `flags`."""
    src = tmp_path / "plain.c"
    src.write_text("int main(void){return 0;}\n")
    try:
        objs = compiler.compile([str(src)], output_dir=str(tmp_path), extra_postargs=flags)
        compiler.link_executable(objs, str(tmp_path / "plain"), extra_postargs=flags)
    except Exception:
        return False
    return True


def test_real_probe_links_under_sanitizer_flags(bf, monkeypatch, tmp_path):
    compiler = real_compiler(monkeypatch)
    if compiler.compiler_type != "unix" or not links(compiler, tmp_path, []):
        pytest.skip("no working Unix C compiler here (the installed-wheel run removes it)")
    if not bf.probe_openmp(compiler, [], [])[0]:
        pytest.skip("this compiler has no OpenMP")
    sanitize = ["-O1", "-fsanitize=address"]
    if not links(compiler, tmp_path, sanitize):
        pytest.skip("this compiler cannot link AddressSanitizer programs")
    user_compile, user_link = bf.user_flags(dict(CFLAGS=" ".join(sanitize)), "unix")
    assert bf.probe_openmp(compiler, user_compile, user_link) == (True, "")

