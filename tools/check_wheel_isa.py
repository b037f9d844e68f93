#!/usr/bin/env python3
"""Check that a wheel's x86-64 extension needs nothing beyond the baseline ISA.

A fastnn wheel must run on every x86-64 CPU.  The kernel loops are compiled
three times with the ``target("arch=...")`` attribute (baseline, x86-64-v3,
x86-64-v4; fastnn/src/fnn_for_each_isa.h) and a table of function pointers
picks one at load time, so AVX/AVX-512 code is allowed only inside those
copies: the functions whose symbol names carry ``_isa_x86_64_v3`` or
``_isa_x86_64_v4`` (or GCC's ``target_clones`` markers ``.arch_x86_64_v3``,
``.arch_x86_64_v4``).  Everything else, the Cython
module included, must stay within x86-64 baseline (SSE2).  A stray
``-march=native`` or ``-mavx2`` would show up here as VEX/EVEX code, ymm/zmm or
mask registers, or SSE3..SSE4.2/BMI/popcnt instructions outside the clones.

Usage::

    python tools/check_wheel_isa.py dist/fastnn_cpu-*.whl [more wheels or .so]
    python tools/check_wheel_isa.py --self-test     # needs a C compiler

Needs ``objdump`` (GNU binutils).  Libraries that auditwheel vendored
(``*.libs/``, e.g. libgomp) are the system's and are not checked.  Exit
status 0 when clean, 1 when something beyond the baseline was found, 2 on a
usage error.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile

# Symbol-name markers of the run-time-dispatched clones (GCC names them
# "<fn>.arch_x86_64_v3" and may add ".cold", ".part.0", ... after that).
CLONE_MARKERS = ("_isa_x86_64_v3", "_isa_x86_64_v4", ".arch_x86_64_v3", ".arch_x86_64_v4")

# Registers that do not exist on a baseline x86-64: AVX ymm, AVX-512 zmm and
# opmask k0-k7 (AT&T syntax, as objdump prints by default).
EXTENDED_REGISTER = re.compile(r"%(?:ymm|zmm)\d+|%k[0-7]\b")

# Instructions beyond SSE2 that are not VEX/EVEX encoded (those all start
# with "v" in objdump's output and are caught by that rule).  SSE3, SSSE3,
# SSE4.1, SSE4.2, POPCNT/LZCNT/BMI1/BMI2, MOVBE, ADX, AES/CLMUL, and the
# x86-64-v2 additions CMPXCHG16B and LAHF/SAHF.  `tzcnt` is absent on
# purpose: GCC emits `rep bsf` for baseline code, which disassembles as
# tzcnt and behaves identically for the non-zero inputs it is used on.
BEYOND_BASELINE = frozenset("""
    addsubps addsubpd haddps haddpd hsubps hsubpd lddqu movddup movshdup
    movsldup fisttp fisttps fisttpl fisttpll monitor mwait
    pabsb pabsw pabsd palignr phaddw phaddd phaddsw phsubw phsubd phsubsw
    pmaddubsw pmulhrsw pshufb psignb psignw psignd
    blendpd blendps blendvpd blendvps dppd dpps extractps insertps movntdqa
    mpsadbw packusdw pblendvb pblendw pcmpeqq pextrb pextrd pextrq pinsrb
    pinsrd pinsrq pmaxsb pmaxsd pmaxud pmaxuw pminsb pminsd pminud pminuw
    pmovsxbw pmovsxbd pmovsxbq pmovsxwd pmovsxwq pmovsxdq pmovzxbw pmovzxbd
    pmovzxbq pmovzxwd pmovzxwq pmovzxdq pmuldq pmulld ptest roundps roundpd
    roundss roundsd phminposuw
    crc32 crc32b crc32w crc32l crc32q pcmpestri pcmpestrm pcmpistri
    pcmpistrm pcmpgtq
    popcnt lzcnt andn bextr blsi blsmsk blsr bzhi mulx pdep pext rorx sarx
    shlx shrx movbe adcx adox
    aesenc aesenclast aesdec aesdeclast aesimc aeskeygenassist pclmulqdq
    cmpxchg16b lahf sahf
""".split())

# Mnemonics that start with "v" but are baseline instructions.
V_BUT_BASELINE = frozenset({"verr", "verw"})

FUNCTION_HEADER = re.compile(r"^[0-9a-f]+ <(?P<name>[^>]+)>:$")


def is_clone(function_name):
    """True for a function that the ifunc resolver only runs on v3/v4 CPUs."""
    return any(marker in function_name for marker in CLONE_MARKERS)


def offending(mnemonic, operands):
    """Why one instruction is beyond the x86-64 baseline, or None."""
    if mnemonic.startswith("v") and mnemonic not in V_BUT_BASELINE:
        return "VEX/EVEX-encoded (AVX or later)"
    if EXTENDED_REGISTER.search(operands):
        return "ymm/zmm/mask register (AVX or later)"
    if mnemonic in BEYOND_BASELINE:
        return "beyond SSE2"
    return None


def parse_instruction(line):
    """(mnemonic, operands) of one objdump -d line, or None for other lines."""
    parts = line.split("\t")
    if len(parts) < 2 or not re.match(r"^\s*[0-9a-f]+:$", parts[0]):
        return None
    fields = parts[-1].split()
    # Skip prefixes such as "rep", "lock", "notrack", "data16", "cs".
    while fields and fields[0] in {"rep", "repz", "repnz", "repe", "repne", "lock",
                                   "notrack", "data16", "cs", "ds", "bnd", "addr32"}:
        fields = fields[1:]
    if not fields:
        return None
    return fields[0], " ".join(fields[1:])


def is_x86_64_elf(path):
    """True when path is a 64-bit ELF object for x86-64 (e_machine 62)."""
    with open(path, "rb") as f:
        header = f.read(20)
    return header[:4] == b"\x7fELF" and header[4] == 2 and header[18:20] == b"\x3e\x00"


def scan_shared_object(path):
    """Disassemble one ELF object and sort its functions into clones, clean and bad.

    Returns
    -------
    dict with keys "functions" (int), "clones" (int), "clone_avx" (int:
    clones that do use AVX+, a sign that the clone detection is right) and
    "violations" (list of (function, mnemonic, operands, reason)).
    """
    objdump = shutil.which("objdump")
    if objdump is None:
        raise RuntimeError("objdump not found: install GNU binutils")
    listing = subprocess.run([objdump, "-d", "--no-show-raw-insn", "-w", path],
                             check=True, capture_output=True, text=True).stdout
    result = {"functions": 0, "clones": 0, "clone_avx": 0, "violations": []}
    function, clone, clone_uses_avx = None, False, False
    for line in listing.splitlines():
        header = FUNCTION_HEADER.match(line)
        if header:
            result["clone_avx"] += clone and clone_uses_avx
            function = header.group("name")
            clone, clone_uses_avx = is_clone(function), False
            result["functions"] += 1
            result["clones"] += clone
            continue
        instruction = parse_instruction(line)
        if instruction is None or function is None:
            continue
        reason = offending(*instruction)
        if reason is None:
            continue
        if clone:
            clone_uses_avx = True
        else:
            result["violations"].append((function, *instruction, reason))
    result["clone_avx"] += clone and clone_uses_avx
    return result


def extension_modules(wheel, workdir):
    """Extract a wheel's own compiled modules (not auditwheel's vendored libs)."""
    paths = []
    with zipfile.ZipFile(wheel) as archive:
        for name in archive.namelist():
            top = name.split("/", 1)[0]
            if top.endswith(".libs") or top.endswith(".dist-info"):
                continue
            if name.endswith(".so") or ".so." in os.path.basename(name):
                paths.append(archive.extract(name, workdir))
    return paths


def check(paths, max_report=20):
    """Scan wheels and/or shared objects; print a summary; return the exit code."""
    failed = False
    with tempfile.TemporaryDirectory() as workdir:
        objects = []
        for path in paths:
            if path.endswith(".whl"):
                found = extension_modules(path, workdir)
                if not found:
                    print(f"{path}: no compiled extension in the wheel", file=sys.stderr)
                    failed = True
                objects += found
            else:
                objects.append(path)
        for obj in objects:
            name = os.path.basename(obj)
            if not is_x86_64_elf(obj):
                print(f"{name}: not an x86-64 ELF object, nothing to check")
                continue
            result = scan_shared_object(obj)
            bad = result["violations"]
            print(f"{name}: {result['functions']} functions, {result['clones']} v3/v4 clones "
                  f"skipped ({result['clone_avx']} of them use AVX+), "
                  f"{len(bad)} instructions beyond x86-64 baseline elsewhere")
            for function, mnemonic, operands, reason in bad[:max_report]:
                print(f"  {function}: {mnemonic} {operands}  [{reason}]")
            if len(bad) > max_report:
                print(f"  ... and {len(bad) - max_report} more")
            failed |= bool(bad)
    return 1 if failed else 0


SELF_TEST_SOURCE = r"""
#include <stddef.h>
void scale(float *x, ptrdiff_t n, float c) { for (ptrdiff_t i = 0; i < n; ++i) x[i] *= c; }
__attribute__((target_clones("default", "arch=x86-64-v3")))
void scale_dispatched(float *x, ptrdiff_t n, float c) { for (ptrdiff_t i = 0; i < n; ++i) x[i] *= c; }
"""


def self_test():
    """Show the checker can fail: -mavx2 code is flagged, baseline + clones pass."""
    cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if not cc:
        print("self-test: no C compiler found", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "isa_probe.c")
        with open(src, "w") as f:
            f.write(SELF_TEST_SOURCE)
        outcomes = {}
        for label, flags in (("baseline", []), ("avx2", ["-mavx2"])):
            obj = os.path.join(tmp, f"isa_probe_{label}.so")
            subprocess.run([cc, "-O3", "-fPIC", "-shared", *flags, src, "-o", obj], check=True)
            result = scan_shared_object(obj)
            outcomes[label] = result
            print(f"self-test {label}: {len(result['violations'])} violations, "
                  f"{result['clone_avx']} clones using AVX+")
    ok = (not outcomes["baseline"]["violations"] and outcomes["baseline"]["clone_avx"] >= 1
          and len(outcomes["avx2"]["violations"]) > 0)
    print("self-test:", "ok" if ok else "FAILED")
    return 0 if ok else 1


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", help="wheels (.whl) or shared objects (.so)")
    parser.add_argument("--self-test", action="store_true",
                        help="compile a probe with and without -mavx2 and check both")
    args = parser.parse_args(argv)
    if args.self_test:
        status = self_test()
        if status or not args.paths:
            return status
    if not args.paths:
        parser.error("give at least one wheel or shared object")
    return check(args.paths)


if __name__ == "__main__":
    sys.exit(main())
