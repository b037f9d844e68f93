"""Model files under failure and attack: atomic saves, path types, hostile
archives, byte order."""
import io
import json
import os
import struct
import subprocess
import sys
import textwrap
import threading
import tracemalloc
import zipfile

import numpy as np
import pytest

import fastnn
from fastnn._npz import ModelArchive, check_path, write_npz_atomic


def _net(sizes=(3, 5, 2), seed=0):
    return fastnn.Network(list(sizes), ["relu", "softmax"], seed=seed)


def _members(path):
    with np.load(path, allow_pickle=False) as data:
        return dict(data)


def _write_members(path, members, extra=()):
    """An .npz of ``members`` (name -> array) plus ``extra`` raw (name, bytes)."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, value in members.items():
            buf = io.BytesIO()
            np.save(buf, value)
            archive.writestr(name + ".npy", buf.getvalue())
        for name, raw in extra:
            archive.writestr(name, raw)


# ------------------------------------------------------------------ path types

@pytest.mark.parametrize("bad", [None, 123, 3.5, ["m.npz"], object()])
def test_save_and_load_refuse_non_paths(tmp_path, bad):
    net = _net()
    with pytest.raises(TypeError, match="path must be a str, bytes or os.PathLike"):
        net.save(bad)
    with pytest.raises(TypeError, match="path must be a str, bytes or os.PathLike"):
        fastnn.Network.load(bad)


def test_save_refuses_a_file_descriptor_and_leaves_it_open(tmp_path):
    target = tmp_path / "caller.bin"
    with open(target, "wb") as f:
        with pytest.raises(TypeError):
            _net().save(f.fileno())
        f.write(b"still mine")              # the descriptor was neither used nor closed
    assert target.read_bytes() == b"still mine"


def test_bytes_paths_work_both_ways(tmp_path):
    net = _net()
    path = os.fsencode(tmp_path / "m.npz")
    net.save(path)
    loaded = fastnn.Network.load(path)
    assert loaded._flat.tobytes() == net._flat.tobytes()
    assert check_path(path) == os.fsdecode(path)


# ------------------------------------------------------------------ atomic saves

def test_failed_save_leaves_previous_file_intact_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "m.npz"
    old = _net(seed=1)
    old.save(path)
    before = path.read_bytes()

    def broken_savez(f, **arrays):
        f.write(b"partial junk" * 1000)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez", broken_savez)
    with pytest.raises(OSError, match="No space left"):
        _net(seed=2).save(path)
    with pytest.raises(OSError):
        _net(seed=2).save(tmp_path / "new.npz")
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.npz"]
    monkeypatch.undo()
    assert fastnn.Network.load(path)._flat.tobytes() == old._flat.tobytes()


def test_save_is_interrupted_cleanly_by_keyboard_interrupt(tmp_path, monkeypatch):
    path = tmp_path / "m.npz"
    _net().save(path)
    before = path.read_bytes()
    monkeypatch.setattr(np, "savez", lambda f, **a: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):
        _net(seed=3).save(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]


def test_save_on_a_full_file_size_limit_keeps_the_old_model(tmp_path):
    """A real short write: RLIMIT_FSIZE makes write() fail with EFBIG past
    the limit, as a full disk fails with ENOSPC."""
    path = tmp_path / "m.npz"
    small = _net((3, 4, 2))
    small.save(path)
    before = path.read_bytes()
    script = textwrap.dedent(f"""
        import resource, signal, sys
        import fastnn
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, ({len(before) + 4096}, resource.RLIM_INFINITY))
        big = fastnn.Network([200, 300, 10], ["relu", "softmax"], seed=0)
        try:
            big.save({str(path)!r})
        except OSError as exc:
            print("OSError", exc.errno)
            sys.exit(0)
        sys.exit("save did not fail")
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("OSError")
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]


# The system's own folders: the test run's PATH may hold only a venv.
_SYSTEM_PATH = os.pathsep.join([os.defpath, "/usr/sbin", "/sbin", "/usr/bin", "/bin"])


def _system_command(name):
    import shutil
    return shutil.which(name, path=_SYSTEM_PATH) or name


def _mount_tmpfs(where, options):
    where.mkdir()
    try:
        done = subprocess.run([_system_command("mount"), "-t", "tmpfs", "-o", options,
                               "tmpfs", str(where)], capture_output=True)
    except FileNotFoundError:
        return False
    return done.returncode == 0


@pytest.fixture
def small_disk(tmp_path):
    """A 64 KiB tmpfs where this process may mount one (root), else None."""
    where = tmp_path / "disk"
    if not _mount_tmpfs(where, "size=64k"):
        yield None
        return
    try:
        yield where
    finally:
        subprocess.run([_system_command("umount"), str(where)], check=False)


def test_save_on_a_full_disk_keeps_the_old_model(small_disk, tmp_path):
    if small_disk is None:
        # RLIMIT_FSIZE above exercises the same write failure.
        pytest.skip("cannot mount a tmpfs here (needs root)")
    path = small_disk / "m.npz"
    _net((3, 4, 2)).save(path)
    before = path.read_bytes()
    with pytest.raises(OSError):
        fastnn.Network([100, 200, 10], ["relu", "softmax"], seed=0).save(path)   # ~80 KB
    assert path.read_bytes() == before
    assert [p.name for p in small_disk.iterdir()] == ["m.npz"]


def test_save_into_a_read_only_directory_raises_and_writes_nothing(tmp_path):
    where = tmp_path / "ro"
    if os.geteuid() == 0:
        # root ignores permission bits; a read-only mount stops it.
        if not _mount_tmpfs(where, "size=64k,ro"):
            pytest.skip("root without mount permission cannot make a read-only directory")
    else:
        where.mkdir()
        where.chmod(0o555)
    try:
        with pytest.raises(OSError):
            _net().save(where / "m.npz")
        assert list(where.iterdir()) == []
    finally:
        if os.geteuid() == 0:
            subprocess.run([_system_command("umount"), str(where)], check=False)
        else:
            where.chmod(0o755)


def test_saved_file_has_the_usual_permissions(tmp_path):
    path = tmp_path / "m.npz"
    _net().save(path)
    umask = os.umask(0)
    os.umask(umask)
    assert (path.stat().st_mode & 0o777) == (0o666 & ~umask)


# ------------------------------------------------------------------ hostile files

def _load_in_thread(path, seconds=10):
    """Network.load(path) in a thread; (exception or None, finished)."""
    outcome = []

    def run():
        try:
            fastnn.Network.load(path)
            outcome.append(None)
        except BaseException as exc:          # noqa: BLE001 -- reported to the test
            outcome.append(exc)
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    return (outcome[0] if outcome else None), not thread.is_alive()


def test_load_refuses_a_fifo_without_blocking(tmp_path):
    fifo = tmp_path / "model.npz"
    os.mkfifo(fifo)
    exc, finished = _load_in_thread(fifo)
    assert finished, "load blocked on a FIFO with no writer"
    assert isinstance(exc, ValueError) and "not a regular file" in str(exc)


def test_load_refuses_a_link_to_a_device(tmp_path):
    link = tmp_path / "model.npz"
    link.symlink_to("/dev/zero")
    exc, finished = _load_in_thread(link)
    assert finished
    assert isinstance(exc, ValueError) and "not a regular file" in str(exc)


def test_load_refuses_a_directory(tmp_path):
    with pytest.raises(ValueError, match="directory"):
        fastnn.Network.load(tmp_path)


def _patch_sizes(data, member, file_size):
    """Set the uncompressed size that the zip directory states for member."""
    data = bytearray(data)
    name = member.encode()
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        n_name = struct.unpack_from("<H", data, at + 28)[0]
        if bytes(data[at + 46:at + 46 + n_name]) == name:
            struct.pack_into("<I", data, at + 24, file_size)
        at = data.find(b"PK\x01\x02", at + 4)
    return bytes(data)


def _peak_bytes(fn):
    tracemalloc.start()
    try:
        fn()
    except ValueError:
        pass
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def test_a_directory_claiming_4_gb_allocates_nothing_large(tmp_path):
    good = tmp_path / "good.npz"
    _net().save(good)
    bad = tmp_path / "bad.npz"
    bad.write_bytes(_patch_sizes(good.read_bytes(), "W0.npy", 4_000_000_000))
    peak = _peak_bytes(lambda: fastnn.Network.load(bad))
    assert peak < 8 << 20, f"load allocated {peak} bytes for a {bad.stat().st_size}-byte file"


def test_an_unused_member_that_inflates_to_hundreds_of_mb_is_never_read(tmp_path):
    good = tmp_path / "good.npz"
    net = _net()
    net.save(good)
    bomb = tmp_path / "bomb.npz"
    with zipfile.ZipFile(bomb, "w") as archive:
        with zipfile.ZipFile(good) as source:
            for info in source.infolist():
                archive.writestr(info.filename, source.read(info))
        info = zipfile.ZipInfo("padding.npy")
        info.compress_type = zipfile.ZIP_DEFLATED
        chunk = bytes(1 << 20)
        with archive.open(info, "w", force_zip64=True) as member:
            for _ in range(256):                     # 256 MiB of zeros, ~256 KB on disk
                member.write(chunk)
    assert bomb.stat().st_size < 16 << 20
    tracemalloc.start()
    loaded = fastnn.Network.load(bomb)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert loaded._flat.tobytes() == net._flat.tobytes()
    assert peak < 8 << 20


def test_a_used_member_inflating_past_its_header_is_refused_early(tmp_path):
    good = tmp_path / "good.npz"
    _net().save(good)
    members = _members(good)
    header = io.BytesIO()
    np.save(header, members["W0"])
    bomb = tmp_path / "bomb.npz"
    with zipfile.ZipFile(bomb, "w") as archive:
        for name, value in members.items():
            if name == "W0":
                continue
            buf = io.BytesIO()
            np.save(buf, value)
            archive.writestr(name + ".npy", buf.getvalue())
        info = zipfile.ZipInfo("W0.npy")
        info.compress_type = zipfile.ZIP_DEFLATED
        chunk = bytes(1 << 20)
        with archive.open(info, "w", force_zip64=True) as member:
            member.write(header.getvalue())
            for _ in range(256):                     # 256 MiB past the 60 bytes W0 holds
                member.write(chunk)
    peak = _peak_bytes(lambda: fastnn.Network.load(bomb))
    with pytest.raises(ValueError, match="more data than its header"):
        fastnn.Network.load(bomb)
    assert peak < 8 << 20


def test_a_pickled_member_is_never_loaded(tmp_path):
    good = tmp_path / "good.npz"
    _net().save(good)
    members = _members(good)
    members["W0"] = np.array([[object()] * 5] * 3, dtype=object)
    bad = tmp_path / "bad.npz"
    with zipfile.ZipFile(bad, "w") as archive:
        for name, value in members.items():
            buf = io.BytesIO()
            np.save(buf, value, allow_pickle=True)
            archive.writestr(name + ".npy", buf.getvalue())
    with pytest.raises(ValueError, match="Python objects"):
        fastnn.Network.load(bad)


def test_corrupted_data_bytes_fail_the_crc_check(tmp_path):
    good = tmp_path / "good.npz"
    _net().save(good)
    data = bytearray(good.read_bytes())
    with zipfile.ZipFile(good) as archive:
        info = archive.getinfo("W0.npy")
    # The local header is 30 bytes + name; flip the last data byte of W0.
    data[info.header_offset + 30 + len("W0.npy") + info.file_size - 1] ^= 0xFF
    bad = tmp_path / "bad.npz"
    bad.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="CRC|cannot read"):
        fastnn.Network.load(bad)


def test_a_config_too_large_is_refused(tmp_path):
    good = tmp_path / "good.npz"
    _net().save(good)
    members = _members(good)
    members["config"] = np.array("x" * (1 << 19))          # 2 MiB as UTF-32
    bad = tmp_path / "bad.npz"
    _write_members(bad, members)
    with pytest.raises(ValueError, match="declares .* more than"):
        fastnn.Network.load(bad)


def test_a_config_claiming_more_layers_than_stored_arrays_is_refused_on_its_length(tmp_path):
    # 100,000 claimed layers fit the config size limit; the file holds three
    # arrays.  Refused before the claimed sizes are checked one by one.
    good = tmp_path / "good.npz"
    _net().save(good)
    members = _members(good)
    config = json.loads(str(members["config"]))
    config["layer_sizes"] = [3] * 100_001
    config["activations"] = "relu"
    members["config"] = np.array(json.dumps(config, separators=(",", ":")))
    bad = tmp_path / "bad.npz"
    _write_members(bad, {k: members[k] for k in ("config", "W0", "b0")})
    with pytest.raises(ValueError, match=r"layer_sizes claims 100000 layers, but only 3 "
                                         r"arrays are stored") as info:
        fastnn.Network.load(bad)
    assert repr(str(bad)) in str(info.value)


def _npy(value):
    buf = io.BytesIO()
    np.save(buf, value, allow_pickle=True)
    return buf.getvalue()


def _hostile_files(good):
    """(name, bytes) of files Network.load must refuse, made from ``good``."""
    raw = good.read_bytes()
    members = _members(good)
    rest = {k: v for k, v in members.items() if k != "W0"}
    w0 = _npy(members["W0"])

    def archive(arrays, extra=()):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            for name, value in arrays.items():
                zf.writestr(name + ".npy", _npy(value))
            for name, data in extra:
                zf.writestr(name, data)
        return buf.getvalue()

    nan_w0 = members["W0"].copy()
    nan_w0[0, 0] = np.nan
    yield "empty", b""
    yield "random bytes", np.random.default_rng(0).bytes(4096)
    yield "text", b"not a model\n"
    for cut in (10, len(raw) // 2, len(raw) - 1):
        yield f"truncated to {cut} bytes", raw[:cut]
    yield "empty zip", archive({})
    yield "zip of other members", archive({"a": np.zeros(3)})
    yield "config too large", archive(dict(members, config=np.array("x" * (1 << 19))))
    yield "object member", archive(dict(members, W0=members["W0"].astype(object)))
    yield "unknown .npy version", archive(rest, [("W0.npy", b"\x93NUMPY\x09\x00" + w0[8:])])
    yield "more data than declared", archive(rest, [("W0.npy", w0 + bytes(8))])
    yield "less data than declared", archive(rest, [("W0.npy", w0[:-8])])
    yield "NaN weight", archive(dict(members, W0=nan_w0))


def test_every_load_error_names_the_file(tmp_path):
    good = tmp_path / "good.npz"
    _net().save(good)
    for i, (what, data) in enumerate(_hostile_files(good)):
        path = tmp_path / f"hostile{i}.npz"
        path.write_bytes(data)
        with pytest.raises(ValueError) as info:
            fastnn.Network.load(path)
        assert type(info.value) is ValueError, what
        assert repr(str(path)) in str(info.value), f"{what}: {info.value}"
    for path in (tmp_path / "missing.npz", tmp_path):
        with pytest.raises(ValueError, match="does not exist|directory") as info:
            fastnn.Network.load(path)
        assert repr(str(path)) in str(info.value)


# ------------------------------------------------------------------ byte order

def test_a_big_endian_file_loads_and_converts(tmp_path):
    net = fastnn.Network([4, 6, 3], ["tanh", "softmax"], dtype="float64", seed=0)
    good = tmp_path / "good.npz"
    net.save(good)
    members = _members(good)
    swapped = {k: (v.astype(v.dtype.newbyteorder(">")) if v.dtype.kind == "f" else v)
               for k, v in members.items()}
    assert swapped["W0"].dtype.str == ">f8"
    big = tmp_path / "big.npz"
    _write_members(big, swapped)
    loaded = fastnn.Network.load(big)
    assert loaded._flat.tobytes() == net._flat.tobytes()
    assert loaded.params[0][0].dtype.isnative


def test_a_fortran_ordered_array_loads_with_its_values(tmp_path):
    net = _net()
    good = tmp_path / "good.npz"
    net.save(good)
    members = _members(good)
    members["W0"] = np.asfortranarray(members["W0"])
    path = tmp_path / "f.npz"
    _write_members(path, members)
    loaded = fastnn.Network.load(path)
    np.testing.assert_array_equal(loaded.params[0][0], net.params[0][0])


def test_model_archive_reads_only_named_members(tmp_path):
    good = tmp_path / "good.npz"
    _net().save(good)
    with ModelArchive(good) as archive:
        config = archive.read_config()
        assert config["layer_sizes"] == [3, 5, 2]
        assert archive.has("W0") and not archive.has("W9")
        with pytest.raises(ValueError, match="misses array W9"):
            archive.read_array("W9", (1,), np.float32)
        with pytest.raises(ValueError, match=r"W0 is float32\(3, 5\), the config needs"):
            archive.read_array("W0", (5, 3), np.float32)


def test_write_npz_atomic_round_trip(tmp_path):
    arrays = {"a": np.arange(6.0).reshape(2, 3), "config": np.array(json.dumps({"k": 1}))}
    write_npz_atomic(tmp_path / "x.npz", arrays)
    back = _members(tmp_path / "x.npz")
    np.testing.assert_array_equal(back["a"], arrays["a"])


@pytest.mark.parametrize("nested", ["[" * 100_000 + "]" * 100_000,
                                    '{"a":' * 40_000 + "1" + "}" * 40_000])
def test_a_deeply_nested_config_raises_value_error(tmp_path, nested):
    # Small enough for the config size limit, deep enough for json's
    # recursion limit: still a ValueError naming the file.
    path = tmp_path / "deep.npz"
    _write_members(path, {"config": np.array(nested)})
    with pytest.raises(ValueError, match="unreadable config"):
        fastnn.Network.load(path)
