"""Classification datasets of the ``dynamicnet`` benchmark, as tensors.

``digits``   scikit-learn's 8x8 digits (1,797 images, 10 classes, bundled with scikit-learn),
             pixels / 16, stratified split 60/20/20 (1,078 / 359 / 360) with random_state 0.
``mnist1d``  MNIST-1D (Greydanus 2020): 5,000 signals of length 40, 10 classes, generated
             locally by the ``mnist1d`` package with its default arguments (seed 42, no
             download); its 4,000 training signals split stratified 80/20 (3,200 / 800) with
             random_state 0 into train / validation, its 1,000 test signals are the test set.
             Shape (1, 40): one channel, so conv blocks are 1-D.
``cifar10``  the CIFAR-10 python batches (``cifar-10-batches-py``, read with
             ``nasbench_lab.infra.image_batches``) from a local directory. Train = the first 45,000
             images of ``data_batch_1..5``, validation = the last 5,000, test = ``test_batch``;
             per-channel standardisation with training statistics.
``tensors``  your own arrays: an ``.npz`` with ``x_train, y_train, x_val, y_val, x_test,
             y_test`` (x as (N, features), (N, C, L) or (N, C, H, W), integer labels 0..K-1).
"""
from __future__ import annotations

import random
import zipfile
import zlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from nasbench_lab.errors import BenchmarkFileError, NasLabError
from nasbench_lab.infra.files import check_regular
from nasbench_lab.infra.image_batches import CIFAR10_TEST, CIFAR10_TRAIN, read_images
from nasbench_lab.live import data_fingerprint

SPLIT_SEED = 0


@dataclass(frozen=True)
class ClassificationData:
    """Train / validation / test tensors (x float32, y int64) and an identity for the cache."""

    name: str
    train_x: Any
    train_y: Any
    val_x: Any
    val_y: Any
    test_x: Any
    test_y: Any
    num_classes: int
    fingerprint: str

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(int(s) for s in self.train_x.shape[1:])

    @property
    def data_id(self) -> str:
        return f"{self.name}:{self.fingerprint}"


def from_arrays(name: str, x_train, y_train, x_val, y_val, x_test, y_test, fingerprint: str | None = None) -> ClassificationData:
    """Check user arrays and turn them into tensors."""
    import torch

    parts = {"train": (x_train, y_train), "val": (x_val, y_val), "test": (x_test, y_test)}
    xs, ys = {}, {}
    for part, (x, y) in parts.items():
        x = np.asarray(x)
        y = np.asarray(y)
        if x.ndim not in (2, 3, 4):
            raise NasLabError(f"{name}: x_{part} must have shape (N, features), (N, C, L) or (N, C, H, W), got {x.shape}")
        if y.ndim != 1 or len(y) != len(x) or len(x) == 0:
            raise NasLabError(f"{name}: y_{part} must be a non-empty 1-D array with one label per row of x_{part}")
        if not np.issubdtype(y.dtype, np.integer) or y.min() < 0:
            raise NasLabError(f"{name}: y_{part} must hold integer class labels >= 0")
        if not (np.issubdtype(x.dtype, np.number) or x.dtype == np.bool_) or np.iscomplexobj(x):
            raise NasLabError(f"{name}: x_{part} must hold real numbers, got dtype {x.dtype}")
        if not np.isfinite(x).all():
            raise NasLabError(f"{name}: x_{part} holds NaN or inf")
        xs[part], ys[part] = x.astype(np.float32), y.astype(np.int64)
    shapes = {x.shape[1:] for x in xs.values()}
    if len(shapes) != 1:
        raise NasLabError(f"{name}: train, validation and test samples differ in shape: {sorted(shapes)}")
    num_classes = int(max(y.max() for y in ys.values())) + 1
    if num_classes < 2:
        raise NasLabError(f"{name}: need at least 2 classes")
    fp = fingerprint or data_fingerprint(*xs.values(), *ys.values())
    t = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in xs.items()}
    u = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in ys.items()}
    return ClassificationData(name, t["train"], u["train"], t["val"], u["val"], t["test"], u["test"], num_classes, fp)


def generate_mnist1d() -> dict[str, np.ndarray]:
    """MNIST-1D from ``mnist1d.data.make_dataset`` with the package's default arguments
    (generated, never downloaded). The generator seeds Python's and numpy's global random
    state (and its import may draw from them); both are restored afterwards."""
    py_state, np_state = random.getstate(), np.random.get_state()
    try:
        try:
            from mnist1d.data import get_dataset_args, make_dataset
        except ImportError:
            raise NasLabError("dataset 'mnist1d' needs the mnist1d package: pip install mnist1d") from None
        return make_dataset(get_dataset_args())
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)


@lru_cache(maxsize=1)
def mnist1d_data() -> ClassificationData:
    from sklearn.model_selection import train_test_split

    d = generate_mnist1d()
    x = np.asarray(d["x"], dtype=np.float32)[:, None, :]
    y = np.asarray(d["y"], dtype=np.int64)
    x_te = np.asarray(d["x_test"], dtype=np.float32)[:, None, :]
    y_te = np.asarray(d["y_test"], dtype=np.int64)
    x_tr, x_va, y_tr, y_va = train_test_split(x, y, test_size=0.2, random_state=SPLIT_SEED, stratify=y)
    return from_arrays("mnist1d", x_tr, y_tr, x_va, y_va, x_te, y_te)


@lru_cache(maxsize=1)
def digits_data() -> ClassificationData:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    x = (d.images / 16.0).astype(np.float32)[:, None, :, :]
    y = d.target.astype(np.int64)
    x_tr, x_rest, y_tr, y_rest = train_test_split(x, y, test_size=0.4, random_state=SPLIT_SEED, stratify=y)
    x_va, x_te, y_va, y_te = train_test_split(x_rest, y_rest, test_size=0.5, random_state=SPLIT_SEED, stratify=y_rest)
    return from_arrays("digits", x_tr, y_tr, x_va, y_va, x_te, y_te)


def _read_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    if not path.is_file():
        raise BenchmarkFileError(f"CIFAR-10 batch not found: {path} (expected the cifar-10-batches-py directory)")
    data, labels = read_images(path, "labels", "CIFAR-10 batch")
    if data.ndim != 2 or data.shape[1] != 3072 or len(labels) != len(data):
        raise BenchmarkFileError(f"{path}: expected data of shape (N, 3072) and N labels, got {data.shape}, {len(labels)}")
    return data.reshape(-1, 3, 32, 32), labels


@lru_cache(maxsize=2)
def cifar10_data(directory: str, max_train: int = 0) -> ClassificationData:
    """The python batches; train = first 45,000, validation = last 5,000 training images."""
    root = Path(directory).expanduser()
    if not root.exists():
        raise BenchmarkFileError(f"CIFAR-10 directory not found: {root}")
    if (root / "cifar-10-batches-py").is_dir():
        root = root / "cifar-10-batches-py"
    batches = [_read_batch(root / name) for name in CIFAR10_TRAIN]
    x = np.concatenate([b[0] for b in batches])
    y = np.concatenate([b[1] for b in batches])
    x_test, y_test = _read_batch(root / CIFAR10_TEST)
    fingerprint = data_fingerprint(x, y, x_test, y_test)
    n_val = min(5000, len(x) // 10) if len(x) < 50000 else 5000
    x_tr, y_tr, x_va, y_va = x[:-n_val], y[:-n_val], x[-n_val:], y[-n_val:]
    if max_train:
        x_tr, y_tr = x_tr[:max_train], y_tr[:max_train]
    mean = x_tr.mean(axis=(0, 2, 3), keepdims=True) / 255.0
    std = x_tr.std(axis=(0, 2, 3), keepdims=True) / 255.0

    def norm(a: np.ndarray) -> np.ndarray:
        return ((a.astype(np.float32) / 255.0 - mean) / std).astype(np.float32)

    return from_arrays("cifar10", norm(x_tr), y_tr, norm(x_va), y_va, norm(x_test), y_test, fingerprint=fingerprint)


@lru_cache(maxsize=2)
def tensors_data(path: str) -> ClassificationData:
    keys = ("x_train", "y_train", "x_val", "y_val", "x_test", "y_test")
    try:
        check_regular(path, "tensors file")
        with np.load(path, allow_pickle=False) as f:
            missing = [k for k in keys if k not in f.files]
            if missing:
                raise BenchmarkFileError(f"{path} lacks {', '.join(missing)} (needs {', '.join(keys)})")
            arrays = [f[k] for k in keys]
    except FileNotFoundError:
        raise BenchmarkFileError(f"tensors file not found: {path}") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as exc:  # truncated or not an .npz
        raise BenchmarkFileError(f"cannot read tensors file {path}: {exc}") from None
    return from_arrays("tensors", *arrays)
