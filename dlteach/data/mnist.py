"""MNIST from its four IDX files: parsed with numpy, downloaded only when asked, checked by SHA-256.

An IDX file is a 4-byte magic number (two zero bytes, a type code, the number of
dimensions), one big-endian 32-bit size per dimension, then the data in C order.
Images are 0x00000803 (unsigned bytes, 3 dimensions: N × 28 × 28) and labels 0x00000801 (N).
"""

from __future__ import annotations

import gzip
import hashlib
import math
import os
import struct
import tempfile
import urllib.request
import zlib
from pathlib import Path

import numpy as np

from .digits import Split

MIRRORS = ("https://ossci-datasets.s3.amazonaws.com/mnist/", "https://storage.googleapis.com/cvdf-datasets/mnist/")
FILES = {  # part: (file name, SHA-256 of the gzipped file)
    "train_images": ("train-images-idx3-ubyte.gz", "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"),
    "train_labels": ("train-labels-idx1-ubyte.gz", "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"),
    "test_images": ("t10k-images-idx3-ubyte.gz", "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"),
    "test_labels": ("t10k-labels-idx1-ubyte.gz", "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"),
}
CHUNK = 1 << 20  # bytes read at a time
IDX_TYPES = {0x08: "u1", 0x09: "i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def _header(data: bytes, name: str) -> tuple[tuple, np.dtype, int, int]:
    """Shape, dtype, header length and total length in bytes declared by the IDX header that ``data`` starts with."""
    if len(data) < 4:
        raise ValueError(f"{name}: truncated, {len(data)} bytes is shorter than the 4-byte IDX magic number")
    if data[0] != 0 or data[1] != 0 or data[2] not in IDX_TYPES:
        raise ValueError(f"{name}: not an IDX file (magic number 0x{data[:4].hex()})")
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{name}: truncated inside the header ({len(data)} bytes, the header needs {header})")
    shape = struct.unpack(f">{ndim}I", data[4:header])
    dtype = np.dtype(IDX_TYPES[data[2]])
    if math.prod(d or 1 for d in shape) * dtype.itemsize > np.iinfo(np.intp).max:  # Python ints: no overflow
        raise ValueError(f"{name}: shape {shape} is too large for an array")
    return shape, dtype, header, header + math.prod(shape) * dtype.itemsize


def parse_idx(data: bytes, name: str = "IDX data") -> np.ndarray:
    """The array stored in IDX bytes; a ValueError naming ``name`` if they are not exactly an IDX file."""
    shape, dtype, header, expected = _header(data, name)
    if len(data) != expected:
        problem = "truncated" if len(data) < expected else "has extra bytes"
        raise ValueError(f"{name}: {problem}, shape {shape} needs {expected} bytes but the file has {len(data)}")
    return np.frombuffer(data, dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def _read_idx(f, name: str) -> bytearray:
    """The IDX bytes from the binary stream ``f``, read up to one byte past the length its header declares."""
    data = bytearray(f.read(4))
    data += f.read(4 * data[3]) if len(data) == 4 else b""
    shape, _, _, expected = _header(data, name)
    while len(data) <= expected and (chunk := f.read(min(CHUNK, expected + 1 - len(data)))):
        data += chunk
    if len(data) > expected:
        raise ValueError(f"{name}: has extra bytes, shape {shape} needs {expected} bytes but the file has more")
    return data


def _read(path: Path) -> bytearray:
    """The IDX bytes of ``path``, gunzipped (as a stream, never past the declared length) when it starts
    with the gzip signature."""
    with path.open("rb") as f:
        if f.read(2) != b"\x1f\x8b":
            f.seek(0)
            return _read_idx(f, str(path))
        f.seek(0)
        try:
            with gzip.GzipFile(fileobj=f) as unzipped:
                return _read_idx(unzipped, str(path))
        except (EOFError, OSError, zlib.error) as err:
            raise ValueError(f"{path}: corrupt or truncated gzip file ({err})") from None


def _load(path: Path, part: str) -> np.ndarray:
    """The array in ``path``, checked to be the MNIST ``part`` it stands for."""
    array = parse_idx(_read(path), str(path))
    shape, magic = ((None, 28, 28), 0x803) if part.endswith("images") else ((None,), 0x801)
    if array.dtype != np.uint8 or array.ndim != len(shape) or any(
            want is not None and got != want for got, want in zip(array.shape, shape)):
        wanted = " × ".join("N" if s is None else str(s) for s in shape)
        raise ValueError(f"{path}: expected IDX magic 0x{magic:08x} (unsigned bytes, {wanted}), "
                         f"got {array.dtype} of shape {array.shape}")
    if part.endswith("labels") and array.size and array.max() > 9:
        raise ValueError(f"{path}: labels must be digits 0–9, found {array.max()}")
    return array


def _fetch(url: str) -> bytes:
    """The bytes at ``url`` (the only function here that touches the network)."""
    with urllib.request.urlopen(url, timeout=60) as response:
        return response.read()


def _write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file in the same folder, then rename: a reader never sees half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _download(root: Path, name: str, sha256: str) -> None:
    problems = []
    for mirror in MIRRORS:
        try:
            data = _fetch(mirror + name)
        except OSError as err:
            problems.append(f"{mirror + name}: {err}")
            continue
        digest = hashlib.sha256(data).hexdigest()
        if digest != sha256:
            problems.append(f"{mirror + name}: SHA-256 {digest} does not match the expected {sha256}")
            continue
        _write_atomically(root / name, data)
        return
    raise ConnectionError(f"could not download {name}; it was not saved.\n  " + "\n  ".join(problems)
                          + f"\n{_where_to_put(root)}")


def _where_to_put(root: Path) -> str:
    names = ", ".join(name for name, _ in FILES.values())
    return (f"Put the four MNIST files ({names}; gzipped or not) in {root.resolve()} "
            f"or call load_mnist({str(root)!r}, download=True) where the network is available.")


def _find(root: Path, name: str) -> Path | None:
    for candidate in (root / name, root / name.removesuffix(".gz")):
        if candidate.is_file():
            return candidate
    return None


def load_mnist(root, download: bool = False, images: bool = False) -> Split:
    """MNIST from the folder ``root``, as a :class:`Split` scaled to [0, 1] (float32).

    Training uses the first 50,000 training images, validation the last 10,000 (one sixth), and test
    the 10,000 test images. X has shape (N, 784), or (N, 1, 28, 28) with ``images=True``.
    Missing files are downloaded only with ``download=True`` (each verified by SHA-256 and
    written atomically); a truncated or corrupt file raises a ValueError naming it, or with
    ``download=True`` is downloaded again.
    """
    root = Path(root)
    missing = [name for name, _ in FILES.values() if _find(root, name) is None]
    if missing and not download:
        raise FileNotFoundError(f"MNIST is not in {root.resolve()}: missing {', '.join(missing)}.\n"
                                + _where_to_put(root))
    if missing:
        root.mkdir(parents=True, exist_ok=True)
        for name, sha256 in FILES.values():
            if name in missing:
                _download(root, name, sha256)

    arrays = {}
    for part, (name, sha256) in FILES.items():
        path = _find(root, name)
        try:
            arrays[part] = _load(path, part)
        except ValueError as err:
            if not download:
                raise ValueError(f"{err}\nDelete {path.absolute()}, or call load_mnist({str(root)!r}, download=True) "
                                 "to replace it with a verified download.") from None
            _download(root, name, sha256)  # a damaged copy in the cache is replaced by a verified one
            arrays[part] = _load(root / name, part)
    for split in ("train", "test"):
        n_images, n_labels = len(arrays[f"{split}_images"]), len(arrays[f"{split}_labels"])
        if n_images != n_labels:
            raise ValueError(f"MNIST {split} set: {n_images} images but {n_labels} labels")

    def prepare(x):
        x = x.astype(np.float32) / np.float32(255)
        return x[:, None] if images else x.reshape(len(x), -1)

    X, y = prepare(arrays["train_images"]), arrays["train_labels"].astype(np.int64)
    n_train = len(X) - len(X) // 6
    return Split(X[:n_train], y[:n_train], X[n_train:], y[n_train:],
                 prepare(arrays["test_images"]), arrays["test_labels"].astype(np.int64))
