"""``dynamicnet``: the DynamicNet space with live training (no table covers it).

A query builds the network, trains it with the benchmark's fixed recipe on the training split
and returns the validation accuracy (%); the test accuracy (%) is computed afterwards from the
trained weights, for reporting only. Costs: ``params`` (trainable parameters), ``mflops``
(multiply-accumulates of the conv and linear layers for one sample, in millions: the
convention of NAS-Bench-201's FLOPs) and ``latency_ms`` (median CPU time of one forward pass on
one sample, measured with the benchmark's thread count). Results are cached in
``<cache_dir>/live/dynamicnet.sqlite`` (see ``nasbench_lab.live``).

Datasets
--------
``digits``   scikit-learn's 8x8 digits (1,797 images, 10 classes, bundled with scikit-learn),
             pixels / 16, stratified split 60/20/20 (1,078 / 359 / 360) with random_state 0.
``cifar10``  the CIFAR-10 python batches (``cifar-10-batches-py``) from a local directory:
             ``--benchmark-file dynamicnet/cifar10=DIR`` or ``$NASBENCH_LAB_CIFAR10``. Train =
             the first 45,000 images of ``data_batch_1..5``, validation = the last 5,000, test =
             ``test_batch``; per-channel standardisation with training statistics.
``tensors``  your own arrays: an ``.npz`` with ``x_train, y_train, x_val, y_val, x_test,
             y_test`` (x as (N, features) or (N, C, H, W), integer labels 0..K-1), given by
             ``--benchmark-file dynamicnet/tensors=FILE``. From Python, use
             ``DynamicNetBenchmark.from_arrays(...)``.

Options (``--benchmark-option dynamicnet.NAME=VALUE``): the ``Recipe`` fields (epochs=20,
batch_size=64, optimizer=adam, lr=0.003, momentum=0.9, weight_decay=0, schedule=cosine, seed=0,
max_train=0) which are part of the cache key; ``threads`` (torch threads per training, default
1: deterministic and fair when runs share the machine), ``latency_repeats`` (20) and ``cache``
(true; false keeps results in memory for this process only), which are not.
"""
from __future__ import annotations

import pickle
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from nasbench_lab.benchmark import BenchmarkSpec
from nasbench_lab.config import Settings
from nasbench_lab.errors import BenchmarkFileError, NasLabError
from nasbench_lab.live import (
    FAILED_VALUE,
    Diverged,
    LiveBenchmark,
    Recipe,
    TrainResult,
    accuracy,
    data_fingerprint,
    fit_classifier,
    measure_latency,
    split_options,
    torch_threads,
)

from .dynamicnet_space import DynamicNetSpace

NAME = "dynamicnet"
DATASETS = ("digits", "cifar10", "tensors")
COSTS = ("params", "mflops", "latency_ms")
#: Settings.files keys of the datasets read from disk.
FILE_KEYS = {"cifar10": "dynamicnet/cifar10", "tensors": "dynamicnet/tensors"}
#: Options that are not part of the recipe (they do not change results).
EXTRA_OPTIONS: dict[str, Any] = {"threads": 1, "latency_repeats": 20, "cache": True}
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
        if x.ndim not in (2, 4):
            raise NasLabError(f"{name}: x_{part} must have shape (N, features) or (N, C, H, W), got {x.shape}")
        if y.ndim != 1 or len(y) != len(x) or len(x) == 0:
            raise NasLabError(f"{name}: y_{part} must be a non-empty 1-D array with one label per row of x_{part}")
        if not np.issubdtype(y.dtype, np.integer) or y.min() < 0:
            raise NasLabError(f"{name}: y_{part} must hold integer class labels >= 0")
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


class _BatchUnpickler(pickle.Unpickler):
    """CIFAR-10 batches hold a dict of bytes, lists and numpy arrays: nothing else is loaded."""

    ALLOWED = {("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "_reconstruct"),
               ("numpy._core.multiarray", "_reconstruct"), ("numpy.core.multiarray", "scalar"),
               ("numpy._core.multiarray", "scalar"), ("_codecs", "encode")}

    def find_class(self, module: str, name: str):
        if (module, name) in self.ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"unexpected object {module}.{name} in a CIFAR-10 batch")


def _read_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    if not path.is_file():
        raise BenchmarkFileError(f"CIFAR-10 batch not found: {path} (expected the cifar-10-batches-py directory)")
    try:
        with open(path, "rb") as fh:
            batch = _BatchUnpickler(fh, encoding="bytes").load()
        data = np.asarray(batch[b"data"], dtype=np.uint8)
        labels = np.asarray(batch[b"labels"], dtype=np.int64)
    except (pickle.UnpicklingError, EOFError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise BenchmarkFileError(f"cannot read CIFAR-10 batch {path}: {exc}") from None
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
    batches = [_read_batch(root / f"data_batch_{i}") for i in range(1, 6)]
    x = np.concatenate([b[0] for b in batches])
    y = np.concatenate([b[1] for b in batches])
    x_test, y_test = _read_batch(root / "test_batch")
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
        with np.load(path, allow_pickle=False) as f:
            missing = [k for k in keys if k not in f.files]
            if missing:
                raise BenchmarkFileError(f"{path} lacks {', '.join(missing)} (needs {', '.join(keys)})")
            arrays = [f[k] for k in keys]
    except FileNotFoundError:
        raise BenchmarkFileError(f"tensors file not found: {path}") from None
    except (OSError, ValueError) as exc:
        raise BenchmarkFileError(f"cannot read tensors file {path}: {exc}") from None
    return from_arrays("tensors", *arrays)


class _Trainer:
    """Search side: builds, trains and validates. Holds training and validation data only."""

    def __init__(self, space: DynamicNetSpace, data: ClassificationData, recipe: Recipe, threads: int, latency_repeats: int) -> None:
        self.space, self.recipe = space, recipe
        self.train_x, self.train_y, self.val_x, self.val_y = data.train_x, data.train_y, data.val_x, data.val_y
        self.threads, self.latency_repeats = threads, latency_repeats

    def __call__(self, arch) -> TrainResult:
        start = time.perf_counter()
        with torch_threads(self.threads):
            net = self.space.build(arch, seed=self.recipe.seed)
            costs = {"params": float(net.param_count()), "mflops": net.macs() / 1e6,
                     "latency_ms": measure_latency(net, self.val_x[:1], self.latency_repeats)}
            try:
                fit_classifier(net, self.train_x, self.train_y, self.recipe)
                valid = accuracy(net, self.val_x, self.val_y)
            except Diverged as exc:
                return TrainResult.failed(str(exc), costs, time.perf_counter() - start)
            weights = net.get_flat_weights().numpy()
        return TrainResult("ok", valid, costs, weights, time.perf_counter() - start)


class _Scorer:
    """Report side: test accuracy of trained weights."""

    def __init__(self, space: DynamicNetSpace, data: ClassificationData, threads: int) -> None:
        self.space, self.test_x, self.test_y, self.threads = space, data.test_x, data.test_y, threads

    def __call__(self, arch, weights: np.ndarray) -> float:
        with torch_threads(self.threads):
            net = self.space.build(arch)
            net.set_flat_weights(weights)
            try:
                return accuracy(net, self.test_x, self.test_y)
            except Diverged:
                return FAILED_VALUE


class DynamicNetBenchmark(LiveBenchmark):
    """Live training of DynamicNet architectures on one classification dataset."""

    def __init__(
        self,
        data: ClassificationData,
        *,
        recipe: Recipe | None = None,
        cache_dir: Path | None = None,
        threads: int = 1,
        latency_repeats: int = 20,
        space: DynamicNetSpace | None = None,
        name: str = NAME,
    ) -> None:
        recipe = recipe or Recipe()
        space = space or DynamicNetSpace(data.input_shape, data.num_classes)
        if space.input_shape != data.input_shape or space.num_classes != data.num_classes:
            raise NasLabError(f"the space expects inputs {space.input_shape} and {space.num_classes} classes; "
                              f"the data has {data.input_shape} and {data.num_classes}")
        self.data_name = data.name
        super().__init__(
            name=name,
            dataset=data.name,
            space=space,
            recipe=recipe,
            data_id=data.data_id,
            trainer=_Trainer(space, data, recipe, threads, latency_repeats),
            scorer=_Scorer(space, data, threads),
            cache_path=Path(cache_dir) / "live" / f"{name}.sqlite" if cache_dir is not None else None,
            search_metric="valid_acc",
            report_metric="test_acc",
            costs=COSTS,
            note=f"live training, {recipe.describe()}; accuracies in %; regret n/a (no known best)",
        )

    @classmethod
    def from_arrays(cls, name: str, x_train, y_train, x_val, y_val, x_test, y_test, **kwargs) -> "DynamicNetBenchmark":
        """A benchmark on your own arrays (``dataset`` = ``name``)."""
        return cls(from_arrays(name, x_train, y_train, x_val, y_val, x_test, y_test), **kwargs)


def load(dataset: str, settings: Settings) -> DynamicNetBenchmark:
    options: Mapping[str, Any] = (getattr(settings, "options", None) or {}).get(NAME, {})
    recipe, extra = split_options(options, EXTRA_OPTIONS, NAME)
    if extra["threads"] < 0 or extra["latency_repeats"] < 1:
        raise NasLabError("dynamicnet options need threads >= 0 and latency_repeats >= 1")
    if dataset == "digits":
        data = digits_data()
    else:
        path = settings.files.get(FILE_KEYS[dataset])
        if path is None:
            hint = "$NASBENCH_LAB_CIFAR10 or " if dataset == "cifar10" else ""
            raise BenchmarkFileError(
                f"dataset {dataset!r} of benchmark 'dynamicnet' needs a local path: set {hint}"
                f"--benchmark-file {FILE_KEYS[dataset]}=PATH"
            )
        data = cifar10_data(str(path), recipe.max_train) if dataset == "cifar10" else tensors_data(str(path))
    return DynamicNetBenchmark(
        data,
        recipe=recipe,
        cache_dir=settings.cache_dir if extra["cache"] else None,
        threads=extra["threads"],
        latency_repeats=extra["latency_repeats"],
    )


SPEC = BenchmarkSpec(
    name=NAME,
    description="DynamicNet MLPs and small CNNs, trained live on CPU (results cached in SQLite)",
    datasets=DATASETS,
    load=load,
    search_metric="valid_acc",
    report_metric="test_acc",
    costs=COSTS,
    note="live training: every new architecture is trained (on digits, 20 epochs: an MLP ~1 s, "
         "a CNN up to tens of seconds, on one CPU thread); regret n/a; "
         "set the recipe with --benchmark-option dynamicnet.epochs=20 etc.",
    needs="cifar10: --benchmark-file dynamicnet/cifar10=DIR or $NASBENCH_LAB_CIFAR10 (cifar-10-batches-py); "
          "tensors: --benchmark-file dynamicnet/tensors=FILE.npz",
)
