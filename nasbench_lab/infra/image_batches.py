"""One safe reader for the image datasets' Python batch files.

CIFAR-10 (``data_batch_1..5``, ``test_batch``; labels under ``labels``), CIFAR-100 (``train``,
``test``; ``fine_labels``) and ImageNet16 (``train_data_batch_1..10``, ``val_data``; 1-based
``labels``) ship as pickled dicts holding a ``data`` array (one row of pixels per image, uint8)
and a label list. A pickle can run code when loaded, so these files are read with a restricted
unpickler that builds nothing but plain containers, numbers, strings and numpy arrays; any other
object (a function, a class, ``os.system``, ``builtins.eval``...) is refused with a
``BenchmarkFileError`` naming the file.

Python 2 pickles (the original files) are decoded with ``latin1``, the encoding numpy arrays
need; keys stored as bytes (``b"data"``) and as text (``"data"``) are both accepted.
"""
from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import numpy as np

from nasbench_lab.errors import BenchmarkFileError

CIFAR10_TRAIN = tuple(f"data_batch_{i}" for i in range(1, 6))
CIFAR10_TEST = "test_batch"
CIFAR100_TRAIN, CIFAR100_TEST = "train", "test"
IMAGENET16_TRAIN = tuple(f"train_data_batch_{i}" for i in range(1, 11))
IMAGENET16_VAL = "val_data"
#: dataset -> (candidate sub-directories, training files, label key)
TRAINING_SETS = {
    "cifar10": (("", "cifar-10-batches-py"), CIFAR10_TRAIN, "labels"),
    "cifar100": (("", "cifar-100-python"), (CIFAR100_TRAIN,), "fine_labels"),
    "ImageNet16-120": (("", "ImageNet16", "ImageNet16-120"), IMAGENET16_TRAIN, "labels"),
}
#: per-channel mean and std (0-255 scale) used by NAS-Bench-201's training pipeline
NORMALISATION = {
    "cifar10": ((125.3, 123.0, 113.9), (63.0, 62.1, 66.7)),
    "cifar100": ((129.3, 124.1, 112.4), (68.2, 65.4, 70.4)),
    "ImageNet16-120": ((122.68, 116.66, 104.01), (63.22, 61.26, 65.09)),
}


class _BatchUnpickler(pickle.Unpickler):
    """Image batches hold a dict of bytes, lists and numpy arrays: nothing else is loaded."""

    ALLOWED = {("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "_reconstruct"),
               ("numpy._core.multiarray", "_reconstruct"), ("numpy.core.multiarray", "scalar"),
               ("numpy._core.multiarray", "scalar"), ("_codecs", "encode")}

    def find_class(self, module: str, name: str):
        if (module, name) in self.ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"unexpected object {module}.{name} in an image batch")


def _text_keys(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise TypeError(f"expected a dict, got {type(raw).__name__}")
    return {k.decode("latin1") if isinstance(k, bytes) else k: v for k, v in raw.items()}


def load_batch_file(path: str | Path, what: str = "image batch") -> dict[str, Any]:
    """The dict stored in a batch file (keys as text). A missing, corrupt or unsafe file
    raises ``BenchmarkFileError`` naming ``what`` and the path."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            return _text_keys(_BatchUnpickler(fh, encoding="latin1").load())
    except Exception as exc:  # corrupt file, unsafe object, wrong format
        raise BenchmarkFileError(f"cannot read {what} {path}: {exc}") from None


def read_images(path: str | Path, label_key: str = "labels", what: str = "image batch") -> tuple[np.ndarray, np.ndarray]:
    """``data`` as uint8 (images x pixels, as stored) and the labels under ``label_key`` as
    int64, from one batch file. Shapes are the caller's to check."""
    batch = load_batch_file(path, what)
    try:
        data = np.asarray(batch["data"], dtype=np.uint8)
        labels = np.asarray(batch[label_key], dtype=np.int64)
    except Exception as exc:  # missing key, values that are not arrays of numbers
        raise BenchmarkFileError(f"cannot read {what} {path}: {exc}") from None
    return data, labels
