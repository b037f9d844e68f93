"""Compiler and linker flags for fastnn's extensions, and the OpenMP probe.

setup.py's BuildExt applies these to every extension it builds.  They live
here, free of Cython and numpy, so that tests/packaging/test_build_flags.py can import
them from the checkout without running setup().  The sdist carries this file
(MANIFEST.in), because setup.py imports it.

Conventions:

- fastnn's own flags come first and the user's (CPPFLAGS, CFLAGS, LDFLAGS
  from the environment) come last, so that ``CFLAGS="-O1 -g"`` really gives
  an -O1 build with debug info: GCC and Clang let the last -O / -g win.
  setuptools already puts these variables early on its command lines; they
  are repeated at the end, which changes nothing but their rank.
- The OpenMP probe compiles and links with the user's flags, as the real
  build does: a probe linked without ``-fsanitize=address`` would fail under
  sanitizer flags and silently switch OpenMP off.
- A build that falls back to no OpenMP says so on stderr, and
  ``FASTNN_REQUIRE_OPENMP=1`` turns the fallback into an error (CI's wheel
  build sets it).  ``FASTNN_NO_OPENMP=1`` asks for a build without OpenMP.
- Never -march=native (the wheel must run on any x86-64 CPU; SIMD paths are
  chosen at run time from function-pointer tables, one per level compiled
  with the target attribute, see fastnn/src/fnn_dispatch.h) and
  never -ffast-math (it would set flush-to-zero for the whole process).
- MSVC reads the user's flags from its own CL and LINK environment
  variables, so CFLAGS/LDFLAGS are applied to Unix-style drivers only.
"""
import os
import shlex
import tempfile

OPENMP_PROBE_SOURCE = "#include <omp.h>\nint main(void){return omp_get_max_threads() < 1;}\n"
REQUIRE_OPENMP_VAR = "FASTNN_REQUIRE_OPENMP"
NO_OPENMP_VAR = "FASTNN_NO_OPENMP"


class OpenMPUnavailable(RuntimeError):
    """FASTNN_REQUIRE_OPENMP=1 is set and the build cannot use OpenMP."""


def base_flags(compiler_type):
    """fastnn's own compile flags and the OpenMP flag for a compiler.

    Parameters
    ----------
    compiler_type : str
        distutils' ``compiler.compiler_type`` ("unix", "msvc", "mingw32", ...).

    Returns
    -------
    (list of str, str)
        The optimisation flags, and the flag that switches OpenMP on.
    """
    if compiler_type == "msvc":
        return ["/O2"], "/openmp"
    # -fno-trapping-math lets GCC if-convert the kernels' selects into SIMD
    # blends; it changes no result and, unlike -ffast-math, no FPU mode.
    return ["-O3", "-g0", "-std=gnu11", "-fno-math-errno", "-fno-trapping-math"], "-fopenmp"


def user_flags(environ, compiler_type):
    """The user's flags from CPPFLAGS, CFLAGS and LDFLAGS.

    Parameters
    ----------
    environ : mapping of str to str
        The environment (``os.environ``).
    compiler_type : str
        distutils' compiler type; "msvc" gives no flags (see the module notes).

    Returns
    -------
    (list of str, list of str)
        Compile flags (CPPFLAGS then CFLAGS) and link flags (CFLAGS then
        LDFLAGS: the compiler driver needs options such as -fsanitize or
        -flto when it links, as setuptools' own link line has them).
    """
    if compiler_type == "msvc":
        return [], []
    cppflags, cflags, ldflags = (shlex.split(environ.get(name, ""))
                                 for name in ("CPPFLAGS", "CFLAGS", "LDFLAGS"))
    return cppflags + cflags, cflags + ldflags


def compile_args(compiler_type, have_openmp, own, user_compile):
    """Extra compile arguments for one extension, user flags last.

    Parameters
    ----------
    compiler_type : str
        distutils' compiler type.
    have_openmp : bool
        Whether the build uses OpenMP.
    own : list of str
        The extension's own ``extra_compile_args``.
    user_compile : list of str
        Compile flags from :func:`user_flags`.

    Returns
    -------
    list of str
    """
    base, openmp = base_flags(compiler_type)
    return base + ([openmp] if have_openmp else []) + list(own) + list(user_compile)


def link_args(compiler_type, have_openmp, own, user_link):
    """Extra link arguments for one extension (or the probe), user flags last.

    MSVC links its OpenMP runtime through the objects, so it gets no flag.

    Returns
    -------
    list of str
    """
    _, openmp = base_flags(compiler_type)
    use_flag = have_openmp and compiler_type != "msvc"
    return ([openmp] if use_flag else []) + list(own) + list(user_link)


def probe_openmp(compiler, user_compile, user_link):
    """Whether a small OpenMP program compiles and links with the user's flags.

    Parameters
    ----------
    compiler : distutils CCompiler
        The compiler the extensions are built with.
    user_compile, user_link : list of str
        Flags from :func:`user_flags`.

    Returns
    -------
    (bool, str)
        True and "" when it builds; False and the compiler's error otherwise.
    """
    _, openmp = base_flags(compiler.compiler_type)
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "omp_check.c")
        with open(src, "w") as f:
            f.write(OPENMP_PROBE_SOURCE)
        try:
            objs = compiler.compile([src], output_dir=tmp,
                                    extra_postargs=[openmp] + list(user_compile))
            compiler.link_executable(objs, os.path.join(tmp, "omp_check"),
                                     extra_postargs=link_args(compiler.compiler_type, True,
                                                              [], user_link))
        except Exception as exc:          # CompileError, LinkError, a missing compiler
            return False, f"{type(exc).__name__}: {exc}"
    return True, ""


def choose_openmp(environ, probe):
    """Decide whether the build uses OpenMP.

    Parameters
    ----------
    environ : mapping of str to str
        The environment: FASTNN_NO_OPENMP=1 asks for no OpenMP,
        FASTNN_REQUIRE_OPENMP=1 makes its absence an error.
    probe : callable () -> (bool, str)
        Runs the OpenMP probe (:func:`probe_openmp` with its arguments bound);
        not called when FASTNN_NO_OPENMP=1.

    Returns
    -------
    (bool, str)
        Whether to use OpenMP, and why not when it is not used.

    Raises
    ------
    OpenMPUnavailable
        If FASTNN_REQUIRE_OPENMP=1 and OpenMP is switched off or fails the probe.
    """
    required = environ.get(REQUIRE_OPENMP_VAR) == "1"
    if environ.get(NO_OPENMP_VAR) == "1":
        reason = f"{NO_OPENMP_VAR}=1 is set"
        if required:
            raise OpenMPUnavailable(f"{REQUIRE_OPENMP_VAR}=1, but {reason}")
        return False, reason
    ok, reason = probe()
    if not ok and required:
        raise OpenMPUnavailable(
            f"{REQUIRE_OPENMP_VAR}=1, but a test OpenMP program does not compile and link "
            f"with the OpenMP flag and CPPFLAGS/CFLAGS/LDFLAGS: {reason}")
    return ok, reason


def configure_extensions(compiler, extensions, environ):
    """Give every extension fastnn's flags, then the user's; decide OpenMP once.

    Sets each extension's ``extra_compile_args`` and ``extra_link_args``
    (keeping its own between fastnn's and the user's) and records the compile
    flags in the FNN_BUILD_FLAGS macro, which fastnn.show_config() prints.

    Parameters
    ----------
    compiler : distutils CCompiler
        build_ext's compiler.
    extensions : list of setuptools Extension
        build_ext's ``self.extensions``: all of them are configured.
    environ : mapping of str to str
        The environment (``os.environ``).

    Returns
    -------
    (bool, str)
        Whether OpenMP is used, and why not when it is not.

    Raises
    ------
    OpenMPUnavailable
        From :func:`choose_openmp`.
    """
    compiler_type = compiler.compiler_type
    user_compile, user_link = user_flags(environ, compiler_type)
    have_openmp, why_not = choose_openmp(
        environ, lambda: probe_openmp(compiler, user_compile, user_link))
    for ext in extensions:
        ext.extra_compile_args = compile_args(compiler_type, have_openmp,
                                              ext.extra_compile_args, user_compile)
        ext.extra_link_args = link_args(compiler_type, have_openmp, ext.extra_link_args, user_link)
        # A new list each time: extensions may share one define_macros list.
        ext.define_macros = [m for m in ext.define_macros if m[0] != "FNN_BUILD_FLAGS"] + [
            ("FNN_BUILD_FLAGS", c_string_macro(" ".join(ext.extra_compile_args)))]
    return have_openmp, why_not


def fallback_warning(reason):
    """The message a build without OpenMP prints on stderr.

    Parameters
    ----------
    reason : str
        Why OpenMP is off (from :func:`choose_openmp`).

    Returns
    -------
    str
    """
    rule = "!" * 78
    return "\n".join([
        rule,
        "fastnn WARNING: building WITHOUT OpenMP: every kernel will run on ONE thread.",
        f"  why: {reason}",
        "  The OpenMP probe compiles and links with CPPFLAGS, CFLAGS and LDFLAGS; flags",
        "  that need a runtime (e.g. -fsanitize=...) must link too.",
        "  fastnn.show_config() reports 'openmp: disabled' for this build.",
        f"  Set {REQUIRE_OPENMP_VAR}=1 to make this an error.",
        rule,
    ])


def c_string_macro(text):
    """`text` as the value of a C string macro (-DNAME=value), quotes escaped.

    Returns
    -------
    str
        A C string literal.
    """
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
