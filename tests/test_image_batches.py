"""The one reader of CIFAR / ImageNet16 python batch files: formats, corrupt files, and pickles
that would run code (refused by every path that reads batches: proxies and DynamicNet alike)."""
import builtins
import os
import pickle

import numpy as np
import pytest

from nasbench_lab.adapters.dynamicnet.data import cifar10_data
from nasbench_lab.errors import BenchmarkFileError
from nasbench_lab.infra.image_batches import load_batch_file, read_images
from nasbench_lab.proxies import load_batch


class _RunsCommand:
    """Unpickling this calls os.system(command)."""

    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


class _Evaluates:
    """Unpickling this calls builtins.eval(expression)."""

    def __init__(self, expression):
        self.expression = expression

    def __reduce__(self):
        return (builtins.eval, (self.expression,))


def _dump(path, obj):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        pickle.dump(obj, fh)


def _images(n, pixels, rng):
    return rng.integers(0, 256, (n, pixels), dtype=np.uint8)


def test_text_and_bytes_keys_and_label_keys(tmp_path):
    rng = np.random.default_rng(0)
    data = _images(6, 3072, rng)
    _dump(tmp_path / "a", {"data": data, "labels": list(rng.integers(0, 10, 6))})
    _dump(tmp_path / "b", {b"data": data, b"fine_labels": [1, 2, 3, 4, 5, 6], b"filenames": [b"x.png"] * 6})
    x, y = read_images(tmp_path / "a")
    assert x.dtype == np.uint8 and np.array_equal(x, data) and y.dtype == np.int64 and len(y) == 6
    x, y = read_images(tmp_path / "b", "fine_labels")
    assert np.array_equal(x, data) and y.tolist() == [1, 2, 3, 4, 5, 6]
    assert set(load_batch_file(tmp_path / "b")) == {"data", "fine_labels", "filenames"}


@pytest.mark.parametrize("content", [b"not a pickle", b"", pickle.dumps([1, 2, 3])])
def test_corrupt_files_name_the_file(tmp_path, content):
    path = tmp_path / "data_batch_1"
    path.write_bytes(content)
    with pytest.raises(BenchmarkFileError, match=r"cannot read CIFAR-10 batch .*data_batch_1"):
        read_images(path, what="CIFAR-10 batch")
    _dump(tmp_path / "nolabels", {"data": np.zeros((2, 3), np.uint8)})
    with pytest.raises(BenchmarkFileError, match="nolabels.*'labels'"):
        read_images(tmp_path / "nolabels")


def _payloads(marker):
    yield _RunsCommand(f"touch {marker}")
    yield _Evaluates(f"open({str(marker)!r}, 'w').close()")


def test_code_running_pickles_are_refused_by_the_reader(tmp_path):
    marker = tmp_path / "ran"
    for k, payload in enumerate(_payloads(marker)):
        path = tmp_path / f"evil{k}"
        _dump(path, {"data": payload, "labels": [0]})
        with pytest.raises(BenchmarkFileError, match=rf"cannot read image batch .*evil{k}: unexpected object"):
            read_images(path)
    assert not marker.exists()


def test_code_running_pickles_are_refused_by_the_proxy_batches(tmp_path):
    marker = tmp_path / "ran"
    for k, payload in enumerate(_payloads(marker)):
        root = tmp_path / str(k)
        _dump(root / "cifar-10-batches-py" / "data_batch_1", {"data": payload, "labels": [0, 1]})
        _dump(root / "train_data_batch_1", payload)
        with pytest.raises(BenchmarkFileError, match=r"cannot read cifar10 batch file .*data_batch_1: unexpected object"):
            load_batch("cifar10", root, batch_size=2)
        with pytest.raises(BenchmarkFileError, match=r"ImageNet16-120 batch file .*train_data_batch_1: unexpected object"):
            load_batch("ImageNet16-120", root, batch_size=2)
    assert not marker.exists()


def test_code_running_pickles_are_refused_by_the_dynamicnet_data(tmp_path):
    marker = tmp_path / "ran"
    rng = np.random.default_rng(0)
    for k, payload in enumerate(_payloads(marker)):
        root = tmp_path / str(k)
        for name in [f"data_batch_{i}" for i in range(1, 6)]:
            _dump(root / name, {b"data": _images(4, 3072, rng), b"labels": [0, 1, 2, 3]})
        _dump(root / "test_batch", {b"data": _images(4, 3072, rng), b"labels": payload})
        with pytest.raises(BenchmarkFileError, match=r"cannot read CIFAR-10 batch .*test_batch: unexpected object"):
            cifar10_data(str(root))
    assert not marker.exists()
