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
    setuptools = pytest.importorskip("setuptools")  # noqa: F841  (brings its distutils)
    from distutils import ccompiler, sysconfig
    compiler = ccompiler.new_compiler()
    sysconfig.customize_compiler(compiler)
    if compiler.compiler_type != "unix":
        pytest.skip("these C drivers need a Unix C compiler")
    try:
        objs = compiler.compile([str(program)] + [str(source_dir / s) for s in sources],
                                output_dir=str(tmp_path), include_dirs=[str(source_dir)],
                                extra_postargs=flags + ["-pthread"])
        exe = str(tmp_path / "driver")
        compiler.link_executable(objs, exe, extra_postargs=flags + ["-pthread", *link_args],
                                 libraries=["m"])
    except Exception:
        return None
    return exe
