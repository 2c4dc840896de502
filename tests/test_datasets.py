"""Tests for minitwophase.datasets: bundled sets, the split, IDX and CIFAR readers."""
import gzip
import os
import pickle
from importlib import resources

import numpy as np
import pytest
from hypothesis import given, strategies as st

from minitwophase import datasets as D
from minitwophase.datasets import DatasetError, stratified_split


# ---------------------------------------------------------------- stratified split

def check_split(y, f, tr, va):
    n = len(y)
    assert np.intersect1d(tr, va).size == 0
    assert np.array_equal(np.sort(np.concatenate([tr, va])), np.arange(n))
    for c in np.unique(y):
        n_c = np.count_nonzero(y == c)
        expected = 0 if n_c == 1 else min(max(int(np.floor(f * n_c + 0.5)), 1), n_c - 1)
        assert np.count_nonzero(y[va] == c) == expected, (c, n_c, f)


def test_split_proportions_disjoint_union():
    y = np.repeat(np.arange(4), [10, 20, 7, 1])
    tr, va = stratified_split(y, 0.3, seed=1)
    check_split(y, 0.3, tr, va)
    assert [np.count_nonzero(y[va] == c) for c in range(4)] == [3, 6, 2, 0]


@given(st.lists(st.integers(0, 5), min_size=1, max_size=200),
       st.floats(0.01, 0.99), st.integers(0, 2**32))
def test_split_property(labels, f, seed):
    y = np.array(labels)
    tr, va = stratified_split(y, f, seed=seed)
    check_split(y, f, tr, va)


def test_split_deterministic_and_seed_dependent():
    y = np.tile(np.arange(10), 50)
    a = stratified_split(y, 0.2, seed=7)
    b = stratified_split(y, 0.2, seed=7)
    c = stratified_split(y, 0.2, seed=8)
    assert all(np.array_equal(p, q) for p, q in zip(a, b))
    assert not np.array_equal(a[1], c[1])


def test_split_interleaves_sorted_classes():
    y = np.repeat(np.arange(10), 50)  # sorted by class, like mnist_5k
    tr, _ = stratified_split(y, 0.2, seed=0)
    assert len(np.unique(y[tr][:50])) > 5


@pytest.mark.parametrize("f", [0, 1, -0.1, 1.5, float("nan")])
def test_split_bad_fraction(f):
    with pytest.raises(ValueError, match="val_fraction"):
        stratified_split(np.arange(10) % 2, f)


def test_split_bad_seed_and_labels():
    with pytest.raises(ValueError, match="seed"):
        stratified_split(np.arange(10) % 2, 0.2, seed=-1)
    with pytest.raises(TypeError, match="y"):
        stratified_split(np.linspace(0, 1, 10), 0.2)


# ---------------------------------------------------------------- bundled data

@pytest.mark.parametrize("name,hw,scale", [("digits", 8, 16), ("mnist5k", 28, 255)])
def test_bundled_scaling_split_and_layouts(name, hw, scale):
    images, labels = D.read_bundled(name)
    ds = D.load(name, seed=3)
    assert ds.image_shape == (1, hw, hw) and ds.n_classes == 10 and ds.name == name
    tr, va = stratified_split(labels, 0.2, seed=3)
    check_split(labels, 0.2, tr, va)
    assert ds.X_train.dtype == np.float64 and ds.X_train.shape == (len(tr), hw * hw)
    assert ds.y_train.dtype == np.intp
    np.testing.assert_array_equal(ds.X_train, images[tr].reshape(len(tr), -1) / scale)
    np.testing.assert_array_equal(ds.X_val, images[va].reshape(len(va), -1) / scale)
    np.testing.assert_array_equal(ds.y_train, labels[tr])
    np.testing.assert_array_equal(ds.y_val, labels[va])
    assert ds.X_train.min() == 0.0 and ds.X_train.max() == 1.0
    img = D.load(name, layout="image", seed=3)
    assert img.X_val.shape == (len(va), 1, hw, hw)
    np.testing.assert_array_equal(img.X_val.reshape(len(va), -1), ds.X_val)


def test_bundled_counts_and_determinism():
    ds = D.load_mnist5k()
    assert np.array_equal(np.bincount(ds.y_val), [100] * 10)
    assert np.array_equal(np.bincount(ds.y_train), [400] * 10)
    again = D.load("mnist5k")
    assert np.array_equal(ds.X_train, again.X_train) and np.array_equal(ds.y_val, again.y_val)
    # class sizes 178 182 177 183 181 182 181 179 174 180, halves round up -> 901
    assert len(D.load_digits(val_fraction=0.5).y_val) == 901


def test_package_data_and_checksums():
    files = {p.name for p in resources.files("minitwophase.data").iterdir()}
    assert {"digits_8x8.npz", "mnist_5k.npz", "mnist_full.npz", "README.md"} <= files
    sums = D.verify_bundled()
    assert sums["mnist_5k.npz"].startswith("246e0c30")
    assert sums["mnist_full.npz"].startswith("06af5dfe")


def test_bundled_full_mnist_official_split(tmp_path):
    """load("mnist") = the official 60k/10k split; the same arrays as IDX files through mnist:DIR."""
    ds = D.load("mnist")
    assert ds.name == "mnist" and ds.image_shape == (1, 28, 28)
    assert ds.X_train.shape == (60000, 784) and ds.X_val.shape == (10000, 784)
    # the canonical MNIST class counts (LeCun et al.'s training and test sets)
    assert np.bincount(ds.y_train).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert np.bincount(ds.y_val).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    x_tr, y_tr, x_te, y_te = D.read_bundled_split("mnist")
    assert abs(x_tr.mean() - 33.32) < 0.01 and abs(x_tr.std() - 78.57) < 0.01
    for name, arr in [("train-images-idx3-ubyte", x_tr[:50]), ("train-labels-idx1-ubyte", y_tr[:50]),
                      ("t10k-images-idx3-ubyte", x_te[:20]), ("t10k-labels-idx1-ubyte", y_te[:20])]:
        (tmp_path / name).write_bytes(idx_bytes(arr))
    via_idx = D.load(f"mnist:{tmp_path}", layout="image")
    np.testing.assert_array_equal(via_idx.X_train, ds.X_train[:50].reshape(50, 1, 28, 28))
    np.testing.assert_array_equal(via_idx.y_val, ds.y_val[:20])


@pytest.mark.parametrize("kwargs,match", [
    ({"spec": "digitz"}, "spec"), ({"spec": "mnist5"}, "spec"), ({"spec": "mnist:"}, "spec"),
    ({"spec": "cifar10"}, "spec"), ({"spec": "digits", "layout": "nchw"}, "layout"),
    ({"spec": "digits", "val_fraction": 1.0}, "val_fraction"),
])
def test_load_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        D.load(**kwargs)


def test_load_spec_type():
    with pytest.raises(TypeError, match="spec"):
        D.load(None)


# ---------------------------------------------------------------- MNIST IDX

def idx_bytes(arr):
    codes = {np.dtype("u1"): 0x08, np.dtype("i1"): 0x09, np.dtype("i2"): 0x0B,
             np.dtype("i4"): 0x0C, np.dtype("f4"): 0x0D, np.dtype("f8"): 0x0E}
    head = bytes([0, 0, codes[arr.dtype], arr.ndim]) + np.array(arr.shape, ">u4").tobytes()
    return head + arr.astype(arr.dtype.newbyteorder(">")).tobytes()


def write_idx(path, arr, gz=False):
    data = idx_bytes(arr)
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


@pytest.mark.parametrize("dtype", ["u1", "i2", "f8"])
@pytest.mark.parametrize("gz", [False, True])
def test_idx_round_trip(tmp_path, dtype, gz):
    arr = (np.arange(2 * 3 * 5) - 7).reshape(2, 3, 5).astype(dtype) if dtype != "u1" \
        else np.arange(30, dtype=np.uint8).reshape(2, 3, 5)
    out = D.read_idx(write_idx(tmp_path / "a.idx", arr, gz))
    assert out.dtype == np.dtype(dtype) and out.dtype.isnative and out.flags.writeable
    np.testing.assert_array_equal(out, arr)


def test_idx_gzip_detected_by_content_not_name(tmp_path):
    arr = np.arange(12, dtype=np.uint8).reshape(3, 4)
    np.testing.assert_array_equal(D.read_idx(write_idx(tmp_path / "plain.gz", arr)), arr)
    np.testing.assert_array_equal(D.read_idx(write_idx(tmp_path / "zipped", arr, gz=True)), arr)


def make_mnist(directory, gz=True, n=(30, 20), dot_names=False, rng=None):
    rng = rng or np.random.default_rng(0)
    directory.mkdir(exist_ok=True)
    raw = {}
    for part, k in zip(("train", "t10k"), n):
        images = rng.integers(0, 256, (k, 28, 28), dtype=np.uint8)
        labels = (np.arange(k) % 10).astype(np.uint8)
        raw[part] = images, labels
        for kind, arr in (("images-idx3", images), ("labels-idx1", labels)):
            name = f"{part}-{kind}-ubyte"
            if dot_names:
                name = name.replace("-idx", ".idx")
            write_idx(directory / (name + (".gz" if gz else "")), arr, gz)
    return raw


@pytest.mark.parametrize("gz,dot_names", [(True, False), (False, False), (False, True)])
def test_load_mnist_official_split(tmp_path, gz, dot_names):
    raw = make_mnist(tmp_path / "m", gz=gz, dot_names=dot_names)
    ds = D.load(f"mnist:{tmp_path / 'm'}", layout="image")
    assert ds.name == "mnist" and ds.image_shape == (1, 28, 28)
    np.testing.assert_array_equal(ds.X_train[:, 0], raw["train"][0] / 255)
    np.testing.assert_array_equal(ds.y_train, raw["train"][1])
    np.testing.assert_array_equal(ds.X_val[:, 0], raw["t10k"][0] / 255)
    np.testing.assert_array_equal(ds.y_val, raw["t10k"][1])
    assert "official test set" in ds.description


def test_load_mnist_split_of_training_set(tmp_path):
    raw = make_mnist(tmp_path / "m")
    ds = D.load_mnist(tmp_path / "m", val_fraction=0.5, seed=2)
    tr, va = stratified_split(raw["train"][1], 0.5, seed=2)
    np.testing.assert_array_equal(ds.X_val, raw["train"][0][va].reshape(len(va), -1) / 255)
    np.testing.assert_array_equal(ds.y_train, raw["train"][1][tr])


def test_idx_errors(tmp_path):
    arr = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    good = idx_bytes(arr)
    cases = {"trunc": (good[:-1], "truncated"), "trail": (good + b"\0", "trailing"),
             "head": (good[:9], "truncated header"), "tiny": (good[:2], "truncated"),
             "junk": (b"GIF89a....", "not an IDX file"),
             "badgz": (gzip.compress(good)[:-12], "gzip")}
    for name, (data, match) in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(DatasetError, match=match) as err:
            D.read_idx(tmp_path / name)
        assert str(tmp_path / name) in str(err.value)
    with pytest.raises(DatasetError, match="wrong magic.*0x00000801.*0x00000803"):
        D.read_idx(write_idx(tmp_path / "x", arr), magic=0x801)
    with pytest.raises(FileNotFoundError, match="nothere"):
        D.read_idx(tmp_path / "nothere")


def test_idx_declared_size_is_checked_before_decompressing(tmp_path):
    """A 0.8 MB gzip that expands to 784 MB (a header declaring 1,000,000 28x28 images,
    then zeros) is refused from its header: nothing near its size is ever allocated."""
    import tracemalloc
    import zlib
    path = tmp_path / "bomb-idx3-ubyte.gz"
    z = zlib.compressobj(9, zlib.DEFLATED, 31)         # wbits 31: a gzip stream
    zeros = bytes(1 << 20)
    with open(path, "wb") as f:
        f.write(z.compress(idx_bytes(np.zeros((1, 28, 28), np.uint8))[:4]
                           + np.array([1_000_000, 28, 28], ">u4").tobytes()))
        for _ in range(784_000_000 // len(zeros)):
            f.write(z.compress(zeros))
        f.write(z.flush())
    assert path.stat().st_size < 2_000_000
    tracemalloc.start()
    try:
        with pytest.raises(DatasetError, match=r"bomb-idx3-ubyte.gz: declares shape \(1000000, 28, 28\), "
                           r"784,000,000 values; at most 200,000,000"):
            D.read_idx(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10_000_000, peak


@pytest.mark.parametrize("shape,what", [((0, 28, 28), "no samples"), ((5, 0, 0), "no values per sample"),
                                         ((0,), "no samples")])
def test_idx_with_an_empty_dimension_is_refused_with_its_name(tmp_path, shape, what):
    path = write_idx(tmp_path / "empty-idx", np.zeros(shape, np.uint8), gz=True)
    with pytest.raises(DatasetError, match=f"empty-idx: declares shape .*, {what}"):
        D.read_idx(path)


def test_load_names_the_spec_of_a_bad_file(tmp_path):
    make_mnist(tmp_path / "m")
    write_idx(tmp_path / "m" / "t10k-images-idx3-ubyte.gz", np.zeros((0, 28, 28), np.uint8), gz=True)
    with pytest.raises(DatasetError, match=f"^spec 'mnist:{tmp_path / 'm'}': IDX file .*t10k-images"):
        D.load(f"mnist:{tmp_path / 'm'}")


def test_mnist_directory_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        D.load(f"mnist:{tmp_path / 'missing'}")
    make_mnist(tmp_path / "m")
    os.remove(tmp_path / "m" / "t10k-labels-idx1-ubyte.gz")
    with pytest.raises(FileNotFoundError, match="t10k-labels-idx1-ubyte"):
        D.load(f"mnist:{tmp_path / 'm'}")
    # count mismatch
    write_idx(tmp_path / "m" / "t10k-labels-idx1-ubyte", np.zeros(19, np.uint8))
    with pytest.raises(DatasetError, match="20 images but .* 19 labels"):
        D.load(f"mnist:{tmp_path / 'm'}")
    # label out of range
    write_idx(tmp_path / "m" / "t10k-labels-idx1-ubyte", np.full(20, 10, np.uint8))
    with pytest.raises(DatasetError, match="label 10"):
        D.load(f"mnist:{tmp_path / 'm'}")
    # labels and images swapped -> magic
    os.remove(tmp_path / "m" / "t10k-labels-idx1-ubyte")
    write_idx(tmp_path / "m" / "t10k-labels-idx1-ubyte", np.zeros((20, 28, 28), np.uint8))
    with pytest.raises(DatasetError, match="t10k-labels.*magic"):
        D.load(f"mnist:{tmp_path / 'm'}")


# ---------------------------------------------------------------- CIFAR

def write_batch(path, data, labels, label_key=b"labels", protocol=2, old_numpy=False):
    blob = pickle.dumps({b"batch_label": b"test", label_key: labels, b"data": data,
                         b"filenames": [b"x.png"] * len(labels)}, protocol=protocol)
    if old_numpy:  # the real files were written by numpy 1.x under Python 2
        assert b"numpy._core.multiarray\n" in blob
        blob = blob.replace(b"numpy._core.multiarray\n", b"numpy.core.multiarray\n")
    path.write_bytes(blob)


def make_cifar(directory, n_classes=10, n=4, as_lists=False, **kw):
    rng = np.random.default_rng(n_classes)
    directory.mkdir(parents=True, exist_ok=True)
    names, key = (([f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"], b"labels")
                  if n_classes == 10 else (["train", "test"], b"fine_labels"))
    raw = {}
    for name in names:
        data = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
        labels = rng.integers(0, n_classes, n).tolist()
        raw[name] = data, labels
        write_batch(directory / name, data.tolist() if as_lists else data, labels, key, **kw)
    return raw


@pytest.mark.parametrize("kw", [{}, {"old_numpy": True}, {"protocol": 4}, {"protocol": 5},
                                {"as_lists": True}])
def test_cifar10_formats(tmp_path, kw):
    raw = make_cifar(tmp_path / "cifar-10-batches-py", **kw)
    ds = D.load(f"cifar10:{tmp_path}")  # the parent folder works too
    train = np.concatenate([raw[f"data_batch_{i}"][0] for i in range(1, 6)])
    np.testing.assert_array_equal(ds.X_train, train / 255)
    np.testing.assert_array_equal(ds.y_train, sum((raw[f"data_batch_{i}"][1] for i in range(1, 6)), []))
    np.testing.assert_array_equal(ds.X_val, raw["test_batch"][0] / 255)
    assert ds.image_shape == (3, 32, 32) and ds.n_classes == 10 and ds.X_train.shape == (20, 3072)


def test_cifar_channel_major_image(tmp_path):
    r, g, b = (np.arange(1024).reshape(32, 32) % k for k in (251, 13, 7))
    row = np.concatenate([r.ravel(), g.ravel(), b.ravel()]).astype(np.uint8)
    d = tmp_path / "c"
    make_cifar(d)
    write_batch(d / "test_batch", row[None], [3])
    ds = D.load_cifar(d, layout="image")
    assert ds.X_val.shape == (1, 3, 32, 32)
    for c, plane in enumerate((r, g, b)):
        np.testing.assert_array_equal(ds.X_val[0, c], plane / 255)
    assert ds.X_val[0, 1, 2, 5] == g[2, 5] / 255  # channel, row, column


def test_cifar100_fine_labels(tmp_path):
    raw = make_cifar(tmp_path / "cifar-100-python", n_classes=100, n=30)
    ds = D.load(f"cifar100:{tmp_path / 'cifar-100-python'}", val_fraction=0.5)
    assert ds.n_classes == 100 and ds.name == "cifar100"
    assert len(ds.y_train) + len(ds.y_val) == 30  # test set left out
    assert set(ds.y_val) <= set(raw["train"][1])


def test_malicious_pickle_refused(tmp_path):
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return os.system, (f"touch {marker}",)

    d = tmp_path / "c"
    make_cifar(d)
    (d / "data_batch_2").write_bytes(pickle.dumps({b"data": Evil(), b"labels": []}, protocol=2))
    with pytest.raises(DatasetError, match=r"data_batch_2.*refusing to load global (posix|os|nt)\.system"):
        D.load(f"cifar10:{d}")
    assert not marker.exists()


def test_a_pickle_with_a_persistent_id_is_refused_in_one_line(tmp_path):
    d = tmp_path / "c"
    make_cifar(d)
    (d / "data_batch_2").write_bytes(b"\x80\x02P0\n.")          # PERSID opcode, then STOP
    with pytest.raises(DatasetError, match="data_batch_2.*refusing persistent id") as err:
        D.load(f"cifar10:{d}")
    assert "\n" not in str(err.value)


def test_cifar_errors(tmp_path):
    d = tmp_path / "c"
    make_cifar(d)
    good = (d / "data_batch_3").read_bytes()
    (d / "data_batch_3").write_bytes(good[: len(good) // 2])
    with pytest.raises(DatasetError, match="data_batch_3.*corrupt, truncated"):
        D.load_cifar(d)
    bad = {"labels out of range": ((np.zeros((2, 3072), np.uint8), [0, 10]), r"\[0, 9\]"),
           "count mismatch": ((np.zeros((2, 3072), np.uint8), [0]), "2 images need 2"),
           "row length": ((np.zeros((2, 3000), np.uint8), [0, 1]), r"\(N, 3072\)"),
           "pixel range": ((np.full((1, 3072), 300), [0]), r"\[0, 255\]")}
    for (data, labels), match in bad.values():
        write_batch(d / "data_batch_3", data, labels)
        with pytest.raises(DatasetError, match="data_batch_3.*" + match):
            D.load_cifar(d)
    (d / "data_batch_3").write_bytes(pickle.dumps([1, 2]))
    with pytest.raises(DatasetError, match="expected a dict"):
        D.load_cifar(d)
    write_batch(d / "data_batch_3", np.zeros((1, 3072), np.uint8), [0], label_key=b"fine_labels")
    with pytest.raises(DatasetError, match="expected keys"):
        D.load_cifar(d)
    os.remove(d / "data_batch_3")
    with pytest.raises(FileNotFoundError, match="data_batch_3"):
        D.load_cifar(d)
    with pytest.raises(FileNotFoundError, match="cifar-100-python"):
        D.load(f"cifar100:{tmp_path / 'nope'}")
