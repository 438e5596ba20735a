"""Toy sets, the bundled digits and the MNIST/IDX loader (with files the tests write; no network)."""

import gzip
import hashlib
import io
import struct
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlteach import data
from dlteach.data import mnist

TOY = {
    "xor": (data.xor, 2),
    "circles": (data.circles, 2),
    "moons": (data.moons, 2),
    "spirals": (data.spirals, 2),
    "blobs": (data.blobs, 3),
}


@pytest.mark.parametrize("name", sorted(TOY))
def test_toy_sets_shapes_balance_and_determinism(name):
    make, classes = TOY[name]
    X, y = make(n=301, seed=3)
    assert X.shape == (301, 2) and X.dtype == np.float64
    assert y.shape == (301,) and y.dtype == np.int64
    counts = np.bincount(y)
    assert len(counts) == classes and counts.max() - counts.min() <= 1
    X2, y2 = make(n=301, seed=3)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(make(n=301, seed=4)[0], X)
    assert len(np.unique(y[:20])) > 1  # rows are shuffled, not sorted by class


@pytest.mark.parametrize("name", ["xor", "circles", "moons", "spirals"])
def test_noise_is_the_standard_deviation_of_the_jitter(name):
    make, _ = TOY[name]
    clean, y = make(n=2000, noise=0.0, seed=1)
    noisy, y_noisy = make(n=2000, noise=0.3, seed=1)
    np.testing.assert_array_equal(y, y_noisy)
    # Same generator state up to the jitter, so the difference is the jitter alone.
    assert abs((noisy - clean).std() - 0.3) < 0.02


def test_clean_toy_sets_have_their_geometry():
    X, y = data.xor(n=400, noise=0.0, seed=0)
    np.testing.assert_array_equal(y, (np.sign(X[:, 0]) != np.sign(X[:, 1])).astype(int))
    assert np.abs(X).max() <= 1.0
    X, y = data.circles(n=400, noise=0.0, factor=0.3, seed=0)
    np.testing.assert_allclose(np.hypot(*X.T), np.where(y == 0, 1.0, 0.3))
    X, y = data.spirals(n=300, noise=0.0, arms=3, seed=0)
    assert np.bincount(y).tolist() == [100, 100, 100] and np.hypot(*X.T).max() <= 1.0
    X, y = data.blobs(n=3000, centers=4, std=0.5, seed=0)
    means = np.array([X[y == k].mean(axis=0) for k in range(4)])
    np.testing.assert_allclose(means, [[3, 0], [0, 3], [-3, 0], [0, -3]], atol=0.05)


def test_toy_sets_reject_bad_arguments():
    with pytest.raises(ValueError, match="noise must be ≥ 0"):
        data.moons(noise=-0.1)
    with pytest.raises(ValueError, match="n must be an integer of at least 2"):
        data.xor(n=1)
    with pytest.raises(ValueError, match="factor"):
        data.circles(factor=1.5)
    with pytest.raises(ValueError, match="arms must be an integer ≥ 2"):
        data.spirals(arms=1)
    with pytest.raises(ValueError, match="centers must be a positive integer"):
        data.blobs(centers=0)


def test_digits_split_shapes_range_and_determinism():
    d = data.load_digits()
    assert (len(d.X_train), len(d.X_val), len(d.X_test)) == (1078, 359, 360)
    for X, y in [(d.X_train, d.y_train), (d.X_val, d.y_val), (d.X_test, d.y_test)]:
        assert X.shape[1:] == (64,) and X.dtype == np.float64 and y.dtype == np.int64
        assert X.min() == 0.0 and X.max() == 1.0
        assert set(np.unique(y)) == set(range(10))
    # The three parts are disjoint and together are the whole data set.
    from sklearn.datasets import load_digits
    whole = load_digits().data / 16.0
    parts = np.concatenate([d.X_train, d.X_val, d.X_test])
    np.testing.assert_array_equal(np.sort(parts, axis=0), np.sort(whole, axis=0))
    again = data.load_digits()
    np.testing.assert_array_equal(again.X_test, d.X_test)
    assert not np.array_equal(data.load_digits(seed=1).y_test, d.y_test)
    images = data.load_digits(images=True)
    assert images.X_train.shape == (1078, 1, 8, 8)
    np.testing.assert_array_equal(images.X_train.reshape(-1, 64), d.X_train)


# -- MNIST / IDX (small files written here; the network is never used) -------

def idx_bytes(array: np.ndarray, code: int = 0x08) -> bytes:
    return bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


def small_mnist(n_train=12, n_test=6, seed=0):
    rng = np.random.default_rng(seed)
    return {
        "train_images": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train_labels": rng.integers(0, 10, n_train, dtype=np.uint8),
        "test_images": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "test_labels": rng.integers(0, 10, n_test, dtype=np.uint8),
    }


def write_mnist(root, arrays, gzipped=True):
    for part, (name, _) in mnist.FILES.items():
        data = idx_bytes(arrays[part])
        if gzipped:
            (root / name).write_bytes(gzip.compress(data))
        else:
            (root / name.removesuffix(".gz")).write_bytes(data)


def test_parse_idx_reads_every_type_and_byte_order():
    a = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    np.testing.assert_array_equal(mnist.parse_idx(idx_bytes(a)), a)
    b = np.array([[1.5, -2.25], [3.0, 1e6]], dtype=">f4")
    parsed = mnist.parse_idx(idx_bytes(b, code=0x0D))
    assert parsed.dtype == np.float32 and parsed.dtype.isnative
    np.testing.assert_array_equal(parsed, b)
    c = np.array([-70000, 5, 2**30], dtype=">i4")
    np.testing.assert_array_equal(mnist.parse_idx(idx_bytes(c, code=0x0C)), c)


@pytest.mark.parametrize("data, message", [
    (b"\x00\x00", "truncated, 2 bytes is shorter than the 4-byte IDX magic"),
    (b"\x1f\x8b\x08\x03" + bytes(20), r"not an IDX file \(magic number 0x1f8b0803\)"),
    (b"\x00\x00\x07\x01" + bytes(8), r"not an IDX file \(magic number 0x00000701\)"),
    (b"\x00\x00\x08\x03\x00\x00\x00\x02", r"truncated inside the header \(8 bytes, the header needs 16\)"),
    (idx_bytes(np.zeros((3, 28, 28), np.uint8))[:-10], r"truncated, shape \(3, 28, 28\) needs 2368 bytes but the file has 2358"),
    (idx_bytes(np.zeros(5, np.uint8)) + b"x", r"has extra bytes, shape \(5,\) needs 13 bytes but the file has 14"),
])
def test_parse_idx_reports_bad_files(data, message):
    with pytest.raises(ValueError, match=message):
        mnist.parse_idx(data, "some-file")


@pytest.mark.parametrize("gzipped", [True, False])
def test_load_mnist_from_local_files(tmp_path, monkeypatch, gzipped):
    monkeypatch.setattr(mnist, "_fetch", lambda url: pytest.fail("the network was touched"))
    arrays = small_mnist()
    write_mnist(tmp_path, arrays, gzipped)
    split = data.load_mnist(tmp_path)
    assert split.X_train.shape == (10, 784) and split.X_val.shape == (2, 784) and split.X_test.shape == (6, 784)
    assert split.X_train.dtype == np.float32 and split.y_train.dtype == np.int64
    np.testing.assert_array_equal(split.X_train[3], arrays["train_images"][3].reshape(-1) / np.float32(255))
    np.testing.assert_array_equal(split.y_val, arrays["train_labels"][10:])
    np.testing.assert_array_equal(split.y_test, arrays["test_labels"])
    assert 0.0 <= split.X_test.min() and split.X_test.max() <= 1.0
    assert data.load_mnist(tmp_path, images=True).X_test.shape == (6, 1, 28, 28)


def test_load_mnist_without_files_says_where_to_put_them(tmp_path, monkeypatch):
    monkeypatch.setattr(mnist, "_fetch", lambda url: pytest.fail("the network was touched"))
    with pytest.raises(FileNotFoundError, match=r"(?s)missing train-images-idx3-ubyte.gz.*Put the four MNIST files"
                                                r".*" + str(tmp_path.resolve())):
        data.load_mnist(tmp_path)


def test_load_mnist_reports_a_truncated_or_wrong_file(tmp_path):
    arrays = small_mnist()
    write_mnist(tmp_path, arrays)
    labels = tmp_path / "train-labels-idx1-ubyte.gz"
    labels.write_bytes(gzip.compress(idx_bytes(arrays["train_labels"]))[:-6])
    with pytest.raises(ValueError, match=rf"(?s)train-labels-idx1-ubyte.gz: corrupt or truncated gzip"
                                         rf".*Delete {labels}, or call load_mnist\({str(tmp_path)!r}, download=True\)"):
        data.load_mnist(tmp_path)
    good = gzip.compress(idx_bytes(arrays["train_labels"]))
    labels.write_bytes(good[:-8] + bytes([good[-8] ^ 1]) + good[-7:])  # wrong CRC-32 in the trailer
    with pytest.raises(ValueError, match="train-labels-idx1-ubyte.gz: corrupt or truncated gzip file .*CRC"):
        data.load_mnist(tmp_path)
    labels.write_bytes(gzip.compress(idx_bytes(arrays["train_images"])))  # images where labels belong
    with pytest.raises(ValueError, match=r"expected IDX magic 0x00000801 \(unsigned bytes, N\)"):
        data.load_mnist(tmp_path)
    labels.write_bytes(gzip.compress(idx_bytes(arrays["train_labels"][:-1])))
    with pytest.raises(ValueError, match="train set: 12 images but 11 labels"):
        data.load_mnist(tmp_path)
    labels.write_bytes(gzip.compress(idx_bytes(arrays["train_labels"] + 10)))
    with pytest.raises(ValueError, match="labels must be digits 0–9"):
        data.load_mnist(tmp_path)


HUGE = [(2**31, 2**31, 2**31), (0, 1114, 1177, 2651621, 2652874), (0, 2**32 - 1, 2**32 - 1)]


@pytest.mark.parametrize("dims", HUGE)
def test_a_size_beyond_int64_is_a_named_error(dims, tmp_path):
    header = bytes([0, 0, 0x08, len(dims)]) + struct.pack(f">{len(dims)}I", *dims)
    with pytest.raises(ValueError, match=rf"^IDX data: shape \({dims[0]}, .* is too large for an array"):
        mnist.parse_idx(header)
    write_mnist(tmp_path, small_mnist())
    (tmp_path / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(header))
    with pytest.raises(ValueError, match="t10k-images-idx3-ubyte.gz: shape .* is too large"):
        data.load_mnist(tmp_path)


@settings(max_examples=300, deadline=None)
@given(code=st.sampled_from(sorted(mnist.IDX_TYPES)), payload=st.binary(max_size=40),
       dims=st.lists(st.integers(0, 3) | st.sampled_from([2**16, 2**31, 2**32 - 1]) | st.integers(0, 2**32 - 1),
                     max_size=6))
def test_any_idx_header_gives_its_array_or_a_named_value_error(code, dims, payload):
    data = bytes([0, 0, code, len(dims)]) + struct.pack(f">{len(dims)}I", *dims) + payload
    for read in (mnist.parse_idx, lambda d: mnist.parse_idx(mnist._read_idx(io.BytesIO(d), "IDX data"))):
        try:
            array = read(data)
        except ValueError as error:
            assert str(error).startswith("IDX data: ")
        else:
            assert array.shape == tuple(dims) and array.nbytes == len(payload)


def test_a_gzip_bomb_is_refused_after_reading_one_byte_too_many(tmp_path):
    write_mnist(tmp_path, small_mnist())
    one_image = gzip.compress(idx_bytes(np.zeros((1, 28, 28), np.uint8)))
    bomb = tmp_path / "train-images-idx3-ubyte.gz"
    bomb.write_bytes(one_image + gzip.compress(bytes(1 << 20)) * 300)  # 0.3 MB that inflates to 300 MB
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=rf"{bomb}: has extra bytes, shape \(1, 28, 28\) needs 800 bytes"):
            data.load_mnist(tmp_path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert bomb.stat().st_size < 400_000 and peak < 4 << 20


def _serve(monkeypatch, files, calls, fail_first_mirror=False):
    """Fake ``_fetch`` serving ``files`` (name → bytes); the expected SHA-256 sums are theirs."""
    monkeypatch.setattr(mnist, "FILES", {part: (name, hashlib.sha256(files[name]).hexdigest())
                                         for part, (name, _) in mnist.FILES.items()})

    def fetch(url):
        calls.append(url)
        if fail_first_mirror and url.startswith(mnist.MIRRORS[0]):
            raise OSError("mirror down")
        return files[url.rsplit("/", 1)[1]]

    monkeypatch.setattr(mnist, "_fetch", fetch)


def test_download_verifies_and_caches_atomically(tmp_path, monkeypatch):
    arrays = small_mnist()
    files = {name: gzip.compress(idx_bytes(arrays[part])) for part, (name, _) in mnist.FILES.items()}
    calls = []
    _serve(monkeypatch, files, calls, fail_first_mirror=True)
    root = tmp_path / "cache" / "mnist"
    split = data.load_mnist(root, download=True)
    np.testing.assert_array_equal(split.y_test, arrays["test_labels"])
    assert len(calls) == 8  # each file: the first mirror fails, the second serves it
    assert sorted(p.name for p in root.iterdir()) == sorted(files)  # no temporary files left
    for name, content in files.items():
        assert (root / name).read_bytes() == content
    calls.clear()
    data.load_mnist(root, download=True)
    assert calls == []  # cached: no second download


def test_a_damaged_file_in_the_cache_is_downloaded_again(tmp_path, monkeypatch):
    arrays = small_mnist()
    files = {name: gzip.compress(idx_bytes(arrays[part])) for part, (name, _) in mnist.FILES.items()}
    calls = []
    _serve(monkeypatch, files, calls)
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    damaged = tmp_path / "train-images-idx3-ubyte.gz"
    damaged.write_bytes(files[damaged.name][:-100])
    split = data.load_mnist(tmp_path, download=True)
    np.testing.assert_array_equal(split.X_val[0], arrays["train_images"][10].reshape(-1) / np.float32(255))
    assert calls == [mnist.MIRRORS[0] + damaged.name] and damaged.read_bytes() == files[damaged.name]


def test_download_rejects_a_checksum_mismatch_and_saves_nothing(tmp_path, monkeypatch):
    arrays = small_mnist()
    files = {name: gzip.compress(idx_bytes(arrays[part])) for part, (name, _) in mnist.FILES.items()}
    _serve(monkeypatch, files, [])
    good = files["t10k-labels-idx1-ubyte.gz"]
    tampered = dict(files, **{"t10k-labels-idx1-ubyte.gz": good[:-1] + bytes([good[-1] ^ 0xFF])})
    monkeypatch.setattr(mnist, "_fetch", lambda url: tampered[url.rsplit("/", 1)[1]])
    with pytest.raises(ConnectionError, match=r"(?s)could not download t10k-labels-idx1-ubyte.gz; it was not saved"
                                              r".*SHA-256 [0-9a-f]{64} does not match"):
        data.load_mnist(tmp_path, download=True)
    assert not (tmp_path / "t10k-labels-idx1-ubyte.gz").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


def test_download_without_network_says_where_to_put_the_files(tmp_path, monkeypatch):
    def offline(url):
        raise OSError("Name or service not known")

    monkeypatch.setattr(mnist, "_fetch", offline)
    with pytest.raises(ConnectionError, match=r"(?s)Name or service not known.*Put the four MNIST files"):
        data.load_mnist(tmp_path, download=True)
    assert list(tmp_path.iterdir()) == []


def test_an_interrupted_write_leaves_nothing_behind(tmp_path, monkeypatch):
    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(mnist.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        mnist._write_atomically(tmp_path / "file.gz", b"data")
    assert list(tmp_path.iterdir()) == []


def test_known_checksums_are_the_published_ones():
    assert {name: sha[:12] for name, sha in mnist.FILES.values()} == {
        "train-images-idx3-ubyte.gz": "440fcabf73cc", "train-labels-idx1-ubyte.gz": "3552534a0a55",
        "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c", "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00"}
