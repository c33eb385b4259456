"""Search data for the NB201 supernet: the benchmark's own images, or the digits proxy task.

With an image directory (``--image-dir`` / ``$NASBENCH_LAB_IMAGES``) the whole training set of
the dataset (CIFAR-10 ``data_batch_1..5``, CIFAR-100 ``train``, ImageNet16-120
``train_data_batch_1..10``, first 120 classes) is read with the restricted batch reader,
normalised as NAS-Bench-201 trains, and split 50/50 as the DARTS/NB201 search papers do: the
first half trains weights, the second half trains architectures. About 0.6 GB of float32 for
CIFAR-10.

Without one, the **proxy task**: scikit-learn's digits (1,797 8x8 images), upsampled bilinearly
to the dataset's input size, repeated on 3 channels, standardised; split 50/50 by a fixed
stratified permutation (the same for every run). ``SearchData.proxy`` is True and its
``source`` says so.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from nasbench_lab.errors import BenchmarkFileError
from nasbench_lab.infra.image_batches import NORMALISATION, TRAINING_SETS, read_images
from nasbench_lab.infra.settings import Settings
from nasbench_lab.supernet import SearchData

from .network import DATASETS, dataset_shape
from nasbench_lab.core.benchmark import resolve_dataset


def digits_proxy(size: int) -> SearchData:
    """scikit-learn digits as ``size`` x ``size`` x 3 images, halves split by a fixed permutation."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = torch.from_numpy(digits.images.astype(np.float32) / 16.0).unsqueeze(1)
    x = torch.nn.functional.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
    x = ((x - x.mean()) / x.std()).repeat(1, 3, 1, 1).contiguous()
    y = torch.from_numpy(digits.target.astype(np.int64))
    order = np.argsort(np.random.default_rng(0).permutation(len(y)) % 2, kind="stable")  # 50/50
    half = len(y) // 2 + len(y) % 2
    train, valid = torch.from_numpy(order[:half]), torch.from_numpy(order[half:])
    return SearchData((x[train], y[train]), (x[valid], y[valid]),
                      f"proxy task: scikit-learn digits upsampled to {size}x{size}x3, 50/50 split "
                      f"({len(train)}/{len(valid)}); not the benchmark's images", proxy=True)


def _training_set(dataset: str, root: Path) -> tuple[np.ndarray, np.ndarray, list[Path]]:
    subdirs, files, label_key = TRAINING_SETS[dataset]
    found = []
    for name in files:
        path = next((root / s / name for s in subdirs if (root / s / name).is_file()), None)
        if path is None:
            raise BenchmarkFileError(f"no {dataset} training file {name} in {root} "
                                     f"(looked in {', '.join(str(root / s) for s in subdirs)})")
        found.append(path)
    parts = [read_images(p, label_key, f"{dataset} batch file") for p in found]
    data, labels = np.concatenate([d for d, _ in parts]), np.concatenate([lab for _, lab in parts])
    if dataset == "ImageNet16-120":
        keep = labels <= 120
        data, labels = data[keep], labels[keep] - 1
    return data, labels, found


def image_data(dataset: str, image_dir: Path) -> SearchData:
    """The dataset's training set from ``image_dir``, normalised, split into halves."""
    _, size = dataset_shape(dataset)
    root = Path(image_dir).expanduser()
    if not root.is_dir():
        raise BenchmarkFileError(f"image directory not found: {root}")
    data, labels, files = _training_set(dataset, root)
    if data.ndim != 2 or data.shape[1] != 3 * size * size or len(data) != len(labels) or len(data) < 4:
        raise BenchmarkFileError(f"{files[0]}: expected images of 3x{size}x{size}, found data {data.shape}")
    mean, std = (np.asarray(v, dtype=np.float32).reshape(1, 3, 1, 1) for v in NORMALISATION[dataset])
    x = torch.from_numpy((data.reshape(-1, 3, size, size).astype(np.float32) - mean) / std)
    y = torch.from_numpy(labels)
    half = len(y) // 2
    return SearchData((x[:half], y[:half]), (x[half:], y[half:]),
                      f"{dataset}: training set from {root}, first half weights / second half "
                      f"architecture ({half}/{len(y) - half})", proxy=False)


def search_data(dataset: str | None, settings: Settings, *, seed: int = 0) -> SearchData:
    """The provider's data: the benchmark's images when ``settings.image_dir`` is set, else the
    digits proxy (``seed`` is not used: the split is fixed)."""
    ds = resolve_dataset(dataset or "cifar10", tuple(DATASETS), "nb201 supernet")
    if settings.image_dir is not None:
        return image_data(ds, settings.image_dir)
    return digits_proxy(dataset_shape(ds)[1])
