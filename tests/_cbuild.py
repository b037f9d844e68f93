"""Building small C programs against fastnn/src with the compiler
setuptools uses, for the tests that drive the C sources directly (the
thread pool, the small-product kernel at every vector width).  Skipped
where no Unix compiler is present (the installed-wheel run removes it)."""
import pytest

from _paths import REPO_ROOT

SOURCE_DIR = REPO_ROOT / "fastnn" / "src"


def build(tmp_path, flags, program, sources, source_dir=SOURCE_DIR, link_args=()):
    """The C file `program` linked with `sources` of `source_dir` under
    `flags` (and `link_args`) into tmp_path/driver, or None if it does not
    build."""
    exe, _ = _compile_and_link(tmp_path, flags, program, sources, source_dir, link_args)
    return exe


def build_or_fail(tmp_path, flags, program, sources, source_dir=SOURCE_DIR, link_args=()):
    """build(), but a program that does not build fails the test (with the
    compiler's message) unless no C program builds here at all, which
    skips it: a driver that stops compiling must not pass as a skip."""
    exe, error = _compile_and_link(tmp_path, flags, program, sources, source_dir, link_args)
    if exe is not None:
        return exe
    trivial = tmp_path / "trivial.c"
    trivial.write_text("int main(void) { return 0; }\n")
    if _compile_and_link(tmp_path / "trivial", [], trivial, (), source_dir, ())[0] is None:
        pytest.skip("no working C compiler here (the installed-wheel run removes it)")
    pytest.fail(f"{program.name} does not build with {flags}: {error}")


def _compile_and_link(tmp_path, flags, program, sources, source_dir, link_args):
    setuptools = pytest.importorskip("setuptools")  # noqa: F841  (brings its distutils)
    from distutils import ccompiler, sysconfig
    compiler = ccompiler.new_compiler()
    sysconfig.customize_compiler(compiler)
    if compiler.compiler_type != "unix":
        pytest.skip("these C drivers need a Unix C compiler")
    tmp_path.mkdir(parents=True, exist_ok=True)
    try:
        objs = compiler.compile([str(program)] + [str(source_dir / s) for s in sources],
                                output_dir=str(tmp_path), include_dirs=[str(source_dir)],
                                extra_postargs=flags + ["-pthread"])
        exe = str(tmp_path / "driver")
        compiler.link_executable(objs, exe, extra_postargs=flags + ["-pthread", *link_args],
                                 libraries=["m"])
    except Exception as error:      # distutils' CompileError, LinkError, or an OSError
        return None, str(error)
    return exe, None
