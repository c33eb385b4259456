"""``dynamicnet``: the DynamicNet space with live training (no table covers it).

A query builds the network, trains it with the benchmark's fixed recipe on the training split
and returns the validation accuracy (%); the test accuracy (%) is computed afterwards from the
trained weights, for reporting only. Costs (``nasbench_lab.core.costs``): ``params_m`` (trainable parameters, millions), ``flops_m``
(multiply-accumulates of the conv and linear layers for one sample, in millions: the
convention of NAS-Bench-201's FLOPs), ``latency_ms`` (median CPU time of one forward pass on
one sample, measured with the benchmark's thread count), and the microcontroller limits of
``costs.py``, computed from the layer shapes: ``flash_kb`` (parameter storage in KiB, weights at
``flash_bits``, biases at 32 bits, batch-norms folded into the layer before them) and
``peak_kb`` (peak activation memory in KiB at batch 1, activations at ``activation_bits``). Results are cached in
``<cache_dir>/live/dynamicnet.sqlite`` (see ``nasbench_lab.live``). The datasets are read by
``data.py``, the space is ``space.py``.

Datasets
--------
``digits``   scikit-learn's 8x8 digits (1,797 images, 10 classes, bundled with scikit-learn),
             pixels / 16, stratified split 60/20/20 (1,078 / 359 / 360) with random_state 0.
``mnist1d``  MNIST-1D: signals of length 40, 10 classes, generated locally by the ``mnist1d``
             package (default arguments); train / validation 3,200 / 800 (stratified from its
             4,000 training signals, random_state 0), test its 1,000 test signals. Conv blocks
             are 1-D here, and architectures matter: the package's paper reports logistic
             regression ~32 %, an MLP ~68 %, a CNN ~94 %.
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
max_train=0) which are part of the cache key; ``flash_bits`` and ``activation_bits`` (8, 16 or 32;
default 8, as on a microcontroller), part of the cost-model key only (training does not depend on
them); ``threads`` (torch threads per training, default
1: deterministic and fair when runs share the machine; 0 leaves torch's setting alone), ``latency_repeats`` (20) and ``cache``
(true; false keeps results in memory for this process only), which are not; ``device`` (the
torch device of training: cpu, cuda or auto; latency is measured on the CPU whatever it is;
rows trained on a GPU are cached apart from the CPU's).
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from nasbench_lab.infra import cache_layout
from nasbench_lab.core.benchmark import BenchmarkSpec
from nasbench_lab.infra.settings import Settings
from nasbench_lab.errors import BenchmarkFileError, NasLabError
from nasbench_lab.live import (
    FAILED_VALUE,
    Diverged,
    LiveBenchmark,
    Recipe,
    TrainResult,
    accuracy,
    fit_classifier,
    measure_latency,
    split_options,
)
from nasbench_lab.live.costs import MeasuredCosts, cost_key
from nasbench_lab.live.fidelity import ResumableTraining
from nasbench_lab.infra.parallel import torch_threads
from nasbench_lab.infra.torch_device import device_type

from .costs import LayerGraph, check_bits, device_costs
from .data import ClassificationData, cifar10_data, digits_data, from_arrays, mnist1d_data, tensors_data
from .space import DynamicNetSpace

NAME = "dynamicnet"
DATASETS = ("digits", "mnist1d", "cifar10", "tensors")
#: Datasets generated or bundled locally (no file needed).
LOCAL_DATA = {"digits": digits_data, "mnist1d": mnist1d_data}
COSTS = ("params_m", "flops_m", "latency_ms", "flash_kb", "peak_kb")
#: Settings.files keys of the datasets read from disk.
FILE_KEYS = {"cifar10": "dynamicnet/cifar10", "tensors": "dynamicnet/tensors"}
#: Options that are not part of the recipe (they do not change results; ``device``: the torch
#: device of training, cpu | cuda | auto, whose non-CPU rows are cached apart).
EXTRA_OPTIONS: dict[str, Any] = {"threads": 1, "latency_repeats": 20, "cache": True, "flash_bits": 8, "activation_bits": 8,
                                 "device": "cpu"}


class _Trainer:
    """Search side: builds, trains and validates. Holds training and validation data only."""

    def __init__(self, space: DynamicNetSpace, data: ClassificationData, recipe: Recipe, threads: int | None,
                 latency_repeats: int, device: str = "cpu") -> None:
        self.space, self.recipe, self.device = space, recipe, device
        self.train_x, self.train_y, self.val_x, self.val_y = data.train_x, data.train_y, data.val_x, data.val_y
        self.threads, self.latency_repeats = threads, latency_repeats

    def __call__(self, arch) -> TrainResult:
        start = time.perf_counter()
        with torch_threads(self.threads):
            net = self.space.build(arch, seed=self.recipe.seed)
            costs = self.costs(net)  # latency measured on the CPU; training and validation on ``device``
            try:
                fit_classifier(net, self.train_x, self.train_y, self.recipe, self.device)
                valid = accuracy(net, self.val_x, self.val_y)
            except Diverged as exc:
                return TrainResult.failed(str(exc), costs, time.perf_counter() - start)
            weights = net.get_flat_weights().cpu().numpy()
        return TrainResult("ok", valid, costs, weights, time.perf_counter() - start)

    def costs(self, net) -> dict[str, float]:
        """The measured costs of a training row (in the caller's torch thread setting)."""
        return {"params_m": net.param_count() / 1e6, "flops_m": net.macs() / 1e6,
                "latency_ms": measure_latency(net, self.val_x[:1], self.latency_repeats)}

    def finisher(self, record):
        """``finish`` of a resumable training: its full training recorded as a cache row by ``record``."""
        def finish(arch, net, valid: float, seconds: float) -> None:
            with torch_threads(self.threads):
                costs = self.costs(net if net is not None else self.space.build(arch, seed=self.recipe.seed))
                result = (TrainResult("ok", valid, costs, net.get_flat_weights().numpy(), seconds) if net is not None
                          else TrainResult.failed("the loss became non-finite (resumed training)", costs, seconds))
            record(arch, result)

        return finish


class _Scorer:
    """Report side: test accuracy of trained weights."""

    def __init__(self, space: DynamicNetSpace, data: ClassificationData, threads: int | None) -> None:
        self.space, self.test_x, self.test_y, self.threads = space, data.test_x, data.test_y, threads

    def __call__(self, arch, weights: np.ndarray) -> float:
        with torch_threads(self.threads):
            net = self.space.build(arch)
            net.set_flat_weights(weights)
            try:
                return accuracy(net, self.test_x, self.test_y)
            except Diverged:
                return FAILED_VALUE


class _CostMeasure:
    """Builds an architecture (untrained) and measures its costs."""

    def __init__(self, space: DynamicNetSpace, sample, threads: int | None, repeats: int, bits: tuple[int, int]) -> None:
        self.space, self.sample, self.threads, self.repeats, self.bits = space, sample, threads, repeats, bits

    def __call__(self, arch) -> dict[str, float]:
        with torch_threads(self.threads):
            net = self.space.build(arch, seed=0)
            return {"params_m": net.param_count() / 1e6, "flops_m": net.macs() / 1e6,
                    "latency_ms": measure_latency(net, self.sample, self.repeats), **device_costs(net, *self.bits)}


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
        flash_bits: int = 8,
        activation_bits: int = 8,
        space: DynamicNetSpace | None = None,
        name: str = NAME,
        device: str = "cpu",
    ) -> None:
        recipe = recipe or Recipe()
        device = device_type(device, f"{name}.device")  # resolved: auto -> cuda or cpu
        self.bits = (check_bits(flash_bits, f"{name}.flash_bits"), check_bits(activation_bits, f"{name}.activation_bits"))
        space = space or DynamicNetSpace(data.input_shape, data.num_classes)
        if space.input_shape != data.input_shape or space.num_classes != data.num_classes:
            raise NasLabError(f"the space expects inputs {space.input_shape} and {space.num_classes} classes; "
                              f"the data has {data.input_shape} and {data.num_classes}")
        self.data_name = data.name
        self._sample, self._threads, self._latency_repeats = data.val_x[:1], threads if threads > 0 else None, latency_repeats
        self.cache_path = cache_layout.live(cache_dir, name) if cache_dir is not None else None
        torch_n = threads if threads > 0 else None  # threads <= 0: leave torch's thread count alone
        super().__init__(
            name=name,
            dataset=data.name,
            space=space,
            recipe=recipe,
            data_id=data.data_id,
            trainer=_Trainer(space, data, recipe, torch_n, latency_repeats, device),
            scorer=_Scorer(space, data, torch_n),
            cache_path=cache_layout.live(cache_dir, name) if cache_dir is not None else None,
            search_metric="valid_acc",
            report_metric="test_acc",
            costs=COSTS,
            note=f"live training, {recipe.describe()}; accuracies in %; regret n/a (no known best)",
            device=device,
        )

    def costs(self, arch) -> dict[str, float]:
        """The training row's measured costs, with ``flash_kb`` and ``peak_kb`` computed from the
        layer shapes at this benchmark's precisions (so rows trained under other settings serve
        the right values)."""
        return {**super().costs(arch), **device_costs(LayerGraph.of(*self.space.to_layers(arch)), *self.bits)}

    def cost_fn(self, names):
        """The cost model: the network built (not trained) and measured, ``params_m``,
        ``flops_m``, ``latency_ms`` (median of ``latency_repeats`` forward passes, batch 1,
        this CPU), ``flash_kb`` and ``peak_kb`` (at ``flash_bits`` / ``activation_bits``), cached in
        ``<cache_dir>/live/<name>-costs.sqlite`` under a key naming the precisions and the cost
        names (rows cached before a cost was added are not served); holds no test data."""
        measure = _CostMeasure(self.space, self._sample, self._threads, self._latency_repeats, self.bits)
        path = self.cache_path.with_name(f"{self.name}-costs.sqlite") if self.cache_path is not None else None
        # locals only: the function must not reach the benchmark (and through it the test data)
        name, space, shape = self.name, self.space, tuple(self._sample.shape)
        threads, repeats, (flash_bits, activation_bits) = self._threads, self._latency_repeats, self.bits

        def key(arch) -> str:
            return cost_key(benchmark=name, arch=space.canonical(arch), input=shape, classes=space.num_classes,
                            threads=threads, repeats=repeats, costs=COSTS, flash_bits=flash_bits,
                            activation_bits=activation_bits)

        costs = MeasuredCosts(measure, key, space.format, path)
        wanted = tuple(names)
        return lambda arch: {n: v for n, v in costs(arch).items() if n in wanted}

    @property
    def max_epochs(self) -> int:
        """The full training: the recipe's epochs."""
        return self.recipe.epochs

    def fidelity_fn(self) -> ResumableTraining:
        """``(arch, epochs) -> validation accuracy`` after ``epochs`` of the recipe's schedule,
        resuming partly trained networks from the states kept in the live cache; a full
        training becomes an ordinary cache row (``nasbench_lab.live.fidelity``; no test data)."""
        t = self._trainer
        ledger, key, record = self.full_training_recorder()
        return ResumableTraining(self.space.build, t.train_x, t.train_y, t.val_x, t.val_y, self.recipe,
                                 ledger=ledger, key=key, finish=t.finisher(record), threads=t.threads,
                                 device=t.device)

    def score_weights(self, arch, weights: np.ndarray) -> float:
        """Report side: the test accuracy of ``arch`` with trained ``weights``."""
        return self._scorer(arch, weights)

    @classmethod
    def from_arrays(cls, name: str, x_train, y_train, x_val, y_val, x_test, y_test, **kwargs) -> "DynamicNetBenchmark":
        """A benchmark on your own arrays (``dataset`` = ``name``)."""
        return cls(from_arrays(name, x_train, y_train, x_val, y_val, x_test, y_test), **kwargs)


def load_data(dataset: str, settings: Settings, max_train: int = 0) -> ClassificationData:
    """The train / validation / test tensors of one of ``DATASETS`` (files from ``settings``)."""
    if dataset in LOCAL_DATA:
        return LOCAL_DATA[dataset]()
    if dataset not in FILE_KEYS:
        raise NasLabError(f"benchmark 'dynamicnet' has no dataset {dataset!r}; it has {', '.join(DATASETS)}")
    path = settings.files.get(FILE_KEYS[dataset])
    if path is None:
        hint = "$NASBENCH_LAB_CIFAR10 or " if dataset == "cifar10" else ""
        raise BenchmarkFileError(
            f"dataset {dataset!r} of benchmark 'dynamicnet' needs a local path: set {hint}"
            f"--benchmark-file {FILE_KEYS[dataset]}=PATH"
        )
    return cifar10_data(str(path), max_train) if dataset == "cifar10" else tensors_data(str(path))


def load(dataset: str, settings: Settings) -> DynamicNetBenchmark:
    options: Mapping[str, Any] = (getattr(settings, "options", None) or {}).get(NAME, {})
    recipe, extra = split_options(options, EXTRA_OPTIONS, NAME)
    if extra["threads"] < 0 or extra["latency_repeats"] < 1:
        raise NasLabError("dynamicnet options need threads >= 0 and latency_repeats >= 1")
    return DynamicNetBenchmark(
        load_data(dataset, settings, recipe.max_train),
        recipe=recipe,
        cache_dir=settings.cache_dir if extra["cache"] else None,
        threads=extra["threads"],
        latency_repeats=extra["latency_repeats"],
        flash_bits=extra["flash_bits"],
        activation_bits=extra["activation_bits"],
        device=extra["device"],
    )


SPEC = BenchmarkSpec(
    name=NAME,
    description="DynamicNet MLPs and small CNNs (1-D on mnist1d), trained live on CPU (results cached in SQLite)",
    datasets=DATASETS,
    load=load,
    options=(*Recipe.fields(), *EXTRA_OPTIONS),
    search_metric="valid_acc",
    report_metric="test_acc",
    costs=COSTS,
    note="live training: every new architecture is trained (on digits, 20 epochs: an MLP ~1 s, "
         "a CNN up to tens of seconds, on one CPU thread; on mnist1d 3-10 s of CPU); regret n/a; "
         "set the recipe with --benchmark-option dynamicnet.epochs=20 etc.",
    needs="cifar10: --benchmark-file dynamicnet/cifar10=DIR or $NASBENCH_LAB_CIFAR10 (cifar-10-batches-py); "
          "tensors: --benchmark-file dynamicnet/tensors=FILE.npz",
)
