"""Model files: ``.npz`` archives written atomically and read as untrusted.

Writing goes to a temporary file in the target's directory, flushed and
fsynced before ``os.replace`` puts it in place, so a failed save (full disk,
no permission, an exception while serialising) leaves whatever was at the
path before untouched and no partial file behind.

Reading treats the file as hostile.  Only a regular file is opened (a FIFO
would block forever, ``/dev/zero`` would never end); the JSON config is
read first, and the caller turns it into the exact list of arrays it needs
with their shapes; only those members are read, each .npy header is checked
against that list before its data is inflated, and no read inflates more
bytes than the expected array holds, whatever sizes the zip directory or
the header claim.  No pickle is ever loaded.  Every failure is a
``ValueError`` naming the file and saying why; a path of the wrong type is a
``TypeError``.
"""
import io
import json
import math
import os
import secrets
import stat
import struct
import zipfile
import zlib
from typing import Any, Callable, Mapping, Union

import numpy as np

# What reading a corrupted or crafted .npz can raise: zipfile (BadZipFile,
# NotImplementedError for unknown compression methods or zip versions,
# RuntimeError for encrypted members), zlib, struct, numpy's .npy parser
# (ValueError), truncation (EOFError, OSError).
_READ_ERRORS = (OSError, EOFError, zipfile.BadZipFile, NotImplementedError, RuntimeError,
                ValueError, KeyError, zlib.error, struct.error)

# A .npy header is at most a few hundred bytes; numpy itself refuses
# headers above 10 kB unless told otherwise.
_MAX_HEADER = 10_000 + 12
_CONFIG_MEMBER = "config"
_MAX_CONFIG_BYTES = 1 << 20


def check_path(path: Any, name: str = "path") -> str:
    """``path`` as a ``str`` file-system path.

    Parameters
    ----------
    path : str, bytes or os.PathLike
    name : str
        The argument's name in error messages.

    Returns
    -------
    str

    Raises
    ------
    TypeError
        For anything else, file descriptors (int) included: writing through
        a caller's descriptor would close it.
    """
    if isinstance(path, (str, bytes, os.PathLike)):
        path = os.fspath(path)
        if isinstance(path, (str, bytes)):
            return os.fsdecode(path)
    raise TypeError(f"{name} must be a str, bytes or os.PathLike file path, "
                    f"got {type(path).__name__}")


# ---------------------------------------------------------------- writing

def write_npz_atomic(path: Union[str, bytes, "os.PathLike[str]"],
                     arrays: Mapping[str, np.ndarray]) -> None:
    """Write ``arrays`` as an uncompressed .npz at ``path``, atomically.

    Parameters
    ----------
    path : str, bytes or os.PathLike
        Written as given (no extension is added).
    arrays : dict of str to numpy.ndarray

    Raises
    ------
    TypeError
        If path is not a path.
    OSError
        If the file cannot be written; the previous file at ``path``, if
        any, is unchanged and no temporary file is left.
    """
    path = os.path.abspath(check_path(path))
    directory, base = os.path.split(path)
    tmp = os.path.join(directory, f".{base}.{secrets.token_hex(6)}.tmp")
    # 0o666 through the umask: the same mode open(path, "wb") would give.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)  # type: ignore[arg-type]  # numpy types **kwds loosely
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_directory(directory)


def _fsync_directory(directory: str) -> None:
    """Make the rename itself durable (best effort: not every file system
    lets a directory be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ---------------------------------------------------------------- reading

def open_regular(path: str, what: str = "model file") -> io.BufferedReader:
    """A binary file object for ``path`` if it is a regular file; any other
    outcome is a ValueError naming ``what`` and the path.

    O_NONBLOCK keeps a FIFO from blocking the open; fstat on the opened
    descriptor (not a stat of the name before) leaves no window to swap the
    file for another."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise ValueError(f"no {what} at {path!r}: it does not exist") from None
    except OSError as exc:
        raise ValueError(f"cannot read {what} {path!r}: {exc.strerror}") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = "a directory" if stat.S_ISDIR(mode) else "not a regular file"
            raise ValueError(f"cannot read {what} {path!r}: it is {kind}")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _read_header(raw: bytes, what: str) -> tuple[tuple[int, ...], bool, np.dtype, int]:
    """(shape, fortran_order, dtype, header length) of .npy bytes."""
    buf = io.BytesIO(raw)
    version = np.lib.format.read_magic(buf)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(buf)
    elif version in ((2, 0), (3, 0)):
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(buf)
    else:
        raise ValueError(f"{what}: unsupported .npy format version {version}")
    if dtype.hasobject:
        raise ValueError(f"{what} holds Python objects, which are never loaded")
    return shape, fortran, dtype, buf.tell()


class ModelArchive:
    """An .npz model file opened for checked reading (a context manager).

    Parameters
    ----------
    path : str, bytes or os.PathLike

    Raises
    ------
    TypeError
        If path is not a path.
    ValueError
        If the file is missing, not a regular file, or not a zip archive.
    """

    def __init__(self, path: Union[str, bytes, "os.PathLike[str]"]) -> None:
        self.path = check_path(path)
        self._file = open_regular(self.path)
        try:
            self._zip = zipfile.ZipFile(self._file)
        except _READ_ERRORS as exc:
            self._file.close()
            raise self._error(exc) from None

    def __enter__(self) -> "ModelArchive":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the archive and its file."""
        self._zip.close()
        self._file.close()

    def _error(self, exc: BaseException) -> ValueError:
        return ValueError(f"cannot read model file {self.path!r} (truncated, corrupted or "
                          f"not an .npz file): {type(exc).__name__}: {exc}")

    @property
    def n_members(self) -> int:
        """How many members the archive's directory lists (read when it was
        opened, so this costs nothing)."""
        return len(self._zip.NameToInfo)

    def has(self, name: str) -> bool:
        """Whether the archive has an array ``name``."""
        return name + ".npy" in self._zip.NameToInfo

    def _member(self, name: str) -> zipfile.ZipInfo:
        if not self.has(name):
            raise ValueError(f"{self.path!r} misses array {name}")
        return self._zip.NameToInfo[name + ".npy"]

    def _read(self, name: str,
              check: Callable[[tuple[int, ...], np.dtype], int]) -> np.ndarray:
        """Read member ``name``: ``check(shape, dtype, info)`` sees its header
        and returns the most data bytes it may hold, before any data is
        inflated."""
        info = self._member(name)
        try:
            with self._zip.open(info) as member:
                head = member.read(_MAX_HEADER)
                shape, fortran, dtype, offset = _read_header(head, f"{name}.npy")
                declared = math.prod(shape) * dtype.itemsize
                if declared > info.file_size:
                    raise ValueError(f"{name}.npy declares {declared} bytes of data but "
                                     f"holds {info.file_size}")
                limit = check(shape, dtype)
                if declared > limit:
                    raise ValueError(f"{name}.npy declares {declared} bytes of data, more "
                                     f"than the {limit} expected")
                data = head[offset:offset + declared]
                if len(data) < declared:
                    data += member.read(declared - len(data))
                # Reading on to the member's end makes zipfile check its CRC.
                if len(data) == declared and (head[offset + declared:] or member.read(1)):
                    raise ValueError(f"{name}.npy holds more data than its header "
                                     f"declares ({declared} bytes)")
        except ValueError as exc:
            # The checks' own messages say what is wrong; each names the file.
            if str(exc).startswith(repr(self.path)):
                raise
            if str(exc).startswith(name):
                raise ValueError(f"{self.path!r}: {exc}") from None
            raise self._error(exc) from None
        except _READ_ERRORS as exc:
            raise self._error(exc) from None
        if len(data) != declared:
            raise self._error(EOFError(f"{name}.npy ends after {len(data)} of "
                                       f"{declared} data bytes"))
        flat = np.frombuffer(data, dtype)
        return flat.reshape(shape, order="F") if fortran else flat.reshape(shape)

    def read_config(self) -> dict[str, Any]:
        """The JSON object stored as the string array ``config``.

        Returns
        -------
        dict

        Raises
        ------
        ValueError
            If there is no config, it is not a string, or not a JSON object.
        """
        if not self.has(_CONFIG_MEMBER):
            raise ValueError(f"{self.path!r} is not a fastnn model: no config entry")

        def check(shape: tuple[int, ...], dtype: np.dtype) -> int:
            if dtype.kind != "U" or shape != ():
                raise ValueError(f"{self.path!r} is not a fastnn model: its config is "
                                 f"{dtype}{shape}, not a string")
            return _MAX_CONFIG_BYTES

        text = str(self._read(_CONFIG_MEMBER, check)[()])
        try:
            config = json.loads(text)
        # A small config can nest deeper than json's recursion limit.
        except (ValueError, RecursionError) as exc:
            raise ValueError(f"{self.path!r} has an unreadable config: {exc}") from None
        if not isinstance(config, dict):
            raise ValueError(f"{self.path!r} has an unreadable config: not a JSON object")
        return config

    def read_array(self, name: str, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
        """Array ``name``, which must have exactly ``shape`` and ``dtype``'s
        kind and size in any byte order, as a native-order, writeable copy.

        Raises
        ------
        ValueError
            If it is missing, has another shape or dtype, or cannot be read.
        """
        dtype = np.dtype(dtype)
        shape = tuple(shape)

        def check(found_shape: tuple[int, ...], found_dtype: np.dtype) -> int:
            if found_shape != shape or found_dtype.newbyteorder("=") != dtype:
                raise ValueError(f"{self.path!r}: {name} is {found_dtype.newbyteorder('=')}"
                                 f"{found_shape}, the config needs {dtype}{shape}")
            return int(math.prod(shape)) * int(dtype.itemsize)

        native: np.ndarray = self._read(name, check).astype(dtype.newbyteorder("="), order="C")
        return native
