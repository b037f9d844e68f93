"""Reading an .npz file that may be corrupted or crafted, without pickle:
every failure becomes a ValueError with the reason, and no array header can
make NumPy allocate more than the archive holds."""
import math
import struct
import zipfile
import zlib

import numpy as np

# What reading a corrupted or crafted .npz can raise: zipfile (BadZipFile,
# NotImplementedError for unknown compression methods or zip versions,
# RuntimeError for encrypted members), zlib, struct, numpy's .npy parser
# (ValueError), truncation (EOFError, OSError).
_READ_ERRORS = (OSError, EOFError, zipfile.BadZipFile, NotImplementedError, RuntimeError,
                ValueError, KeyError, zlib.error, struct.error)


def _read_npy_member(archive, info):
    """One array of an .npz archive, after checking that the size its header
    declares is no more than the data the archive holds for it (a crafted
    header could otherwise make numpy allocate terabytes)."""
    with archive.open(info) as f:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, _, dtype = np.lib.format.read_array_header_2_0(f)
        else:
            raise ValueError(f"unsupported .npy format version {version}")
    declared = math.prod(shape) * dtype.itemsize
    if declared > info.file_size:
        raise ValueError(f"{info.filename} declares {declared} bytes of data but holds "
                         f"{info.file_size}")
    with archive.open(info) as f:
        return np.lib.format.read_array(f, allow_pickle=False)


def read_npz(path):
    """{name: array} of an .npz file; ValueError, with the reason, for
    anything that keeps it from being read."""
    try:
        with zipfile.ZipFile(path) as archive:
            arrays = {}
            for info in archive.infolist():
                if not info.filename.endswith(".npy"):
                    raise ValueError(f"unexpected member {info.filename!r}")
                arrays[info.filename[:-4]] = _read_npy_member(archive, info)
            return arrays
    except FileNotFoundError:
        raise ValueError(f"model file {str(path)!r} does not exist") from None
    except _READ_ERRORS as exc:
        raise ValueError(f"cannot read model file {str(path)!r} (truncated, corrupted or "
                         f"not an .npz file): {type(exc).__name__}: {exc}") from None
