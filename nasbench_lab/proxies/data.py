"""Batches for data-dependent proxies: from a local dataset directory, or synthetic.

A directory holds the datasets in their usual Python formats (nothing is downloaded):

* CIFAR-10: ``data_batch_1`` (pickled dict with ``data``, ``labels``), directly in the directory
  or in ``cifar-10-batches-py/``;
* CIFAR-100: ``train`` (``data``, ``fine_labels``), directly or in ``cifar-100-python/``;
* ImageNet16-120: ``train_data_batch_1`` (``data``, 1-based ``labels``; the 120 first classes
  are kept), directly or in ``ImageNet16/``.

The file is read with ``nasbench_lab.infra.image_batches`` (a restricted unpickler: a batch file that
would build anything but containers and numpy arrays is refused).

The batch is ``batch_size`` images drawn without replacement from that training file with
``numpy.random.default_rng(seed)``, scaled to [0, 1] and normalised with the per-channel
mean/std NAS-Bench-201 trains with.

Without a directory the batch is **synthetic**: pixels i.i.d. standard normal (the scale of
normalised images), labels uniform over the classes, both from ``default_rng(seed)``.
``Batch.source`` says which data was used; every proxy output repeats it.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from nasbench_lab.core.benchmark import resolve_dataset
from nasbench_lab.errors import BenchmarkFileError
from nasbench_lab.infra.image_batches import NORMALISATION, read_images

#: dataset -> (classes, image size, candidate sub-directories, training file, label key)
DATASETS = {
    "cifar10": (10, 32, ("", "cifar-10-batches-py"), "data_batch_1", "labels"),
    "cifar100": (100, 32, ("", "cifar-100-python"), "train", "fine_labels"),
    "ImageNet16-120": (120, 16, ("", "ImageNet16", "ImageNet16-120"), "train_data_batch_1", "labels"),
}
DEFAULT_BATCH = 64


@dataclass(frozen=True)
class Batch:
    """Inputs (float32, N x 3 x H x W), integer targets, the number of classes, and a
    one-line description of where the data came from."""

    inputs: torch.Tensor
    targets: torch.Tensor
    num_classes: int
    source: str


def canonical_dataset(dataset: str) -> str:
    return resolve_dataset(dataset, tuple(DATASETS), "proxy data")


def shape_batch(dataset: str) -> Batch:
    """A one-image batch of zeros: the input shape, for data-free proxies."""
    ds = canonical_dataset(dataset)
    classes, size = DATASETS[ds][:2]
    return Batch(torch.zeros(1, 3, size, size), torch.zeros(1, dtype=torch.long), classes,
                 "none: data-free (input shape only)")


def synthetic_batch(dataset: str, batch_size: int = DEFAULT_BATCH, seed: int = 0) -> Batch:
    ds = canonical_dataset(dataset)
    classes, size = DATASETS[ds][:2]
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch_size, 3, size, size)).astype(np.float32)
    y = rng.integers(0, classes, size=batch_size)
    return Batch(torch.from_numpy(x), torch.from_numpy(y).long(), classes,
                 f"synthetic: {batch_size} images of i.i.d. N(0,1) pixels, uniform labels, seed {seed}")


def _find(image_dir: Path, subdirs, name: str) -> Path | None:
    for sub in subdirs:
        path = image_dir / sub / name if sub else image_dir / name
        if path.is_file():
            return path
    return None


def load_batch(dataset: str, image_dir: str | Path | None = None, batch_size: int = DEFAULT_BATCH,
               seed: int = 0) -> Batch:
    """A batch of real images from ``image_dir`` or, without one, a synthetic batch."""
    if not isinstance(batch_size, int) or batch_size < 2:
        raise BenchmarkFileError(f"the proxy batch needs at least 2 images, got {batch_size!r}")
    if image_dir is None:
        return synthetic_batch(dataset, batch_size, seed)
    ds = canonical_dataset(dataset)
    classes, size, subdirs, filename, label_key = DATASETS[ds]
    root = Path(image_dir).expanduser()
    if not root.is_dir():
        raise BenchmarkFileError(f"image directory not found: {root}")
    path = _find(root, subdirs, filename)
    if path is None:
        where = " or ".join(str(root / s / filename) if s else str(root / filename) for s in subdirs)
        raise BenchmarkFileError(f"no {ds} training file in {root}: expected {where}")
    data, labels = read_images(path, label_key, f"{ds} batch file")
    if ds == "ImageNet16-120":
        keep = labels <= classes
        data, labels = data[keep], labels[keep] - 1
    if data.ndim != 2 or data.shape[1] != 3 * size * size or len(data) != len(labels) or len(data) < batch_size:
        raise BenchmarkFileError(
            f"{path}: expected at least {batch_size} images of 3x{size}x{size}, found data {data.shape}"
        )
    rng = np.random.default_rng(seed)
    pick = np.sort(rng.choice(len(data), size=batch_size, replace=False))
    images = data[pick].reshape(batch_size, 3, size, size).astype(np.float32) / 255.0
    mean, std = (np.asarray(v, dtype=np.float32).reshape(1, 3, 1, 1) / 255.0 for v in NORMALISATION[ds])
    x = (images - mean) / std
    return Batch(torch.from_numpy(x), torch.from_numpy(labels[pick]), classes,
                 f"{ds}: {batch_size} training images from {path}, seed {seed}")
