"""The torch device of a request (``RunRequest.device``, the CLI's ``--device``): given to every
algorithm that declares a ``device`` hyper-parameter and every benchmark that takes a ``device``
option (live training), unless they set their own; so ``config.json`` records it per algorithm
and benchmark, and a run is reproduced from its configuration. Missing CUDA is found here,
before any run starts.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Mapping, Sequence

from nasbench_lab.core.algorithm import Algorithm
from nasbench_lab.core.hyperparams import declared
from nasbench_lab.core.loading import benchmark_spec
from nasbench_lab.errors import NasLabError, ParameterError
from nasbench_lab.infra.settings import Settings
from nasbench_lab.infra.torch_device import check_device_name, resolve_device

#: The hyper-parameter / benchmark option holding a torch device.
DEVICE = "device"


def check_request_device(device: str | None) -> None:
    """``device`` (None: not given) spelt right and available (``ParameterError`` naming ``device``)."""
    if device is not None and check_device_name(device) != "cpu":
        resolve_device(device)


def device_params(device: str | None, classes: Mapping[str, type[Algorithm]],
                  given: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """``given`` hyper-parameters with ``device`` added for the algorithms declaring it that do
    not set it themselves."""
    out = {name: dict(values) for name, values in given.items()}
    if device is None:
        return out
    for name, cls in classes.items():
        if DEVICE in declared(cls):
            out.setdefault(name, {}).setdefault(DEVICE, device)
    return out


def device_options(device: str | None, benchmarks: Sequence[tuple[str, str | None]], settings: Settings) -> Settings:
    """``settings`` with the ``device`` option added for the benchmarks that take one and do not
    set it themselves (options keyed by the benchmark name as given)."""
    if device is None:
        return settings
    options = {name: dict(values) for name, values in settings.options.items()}
    for name, _ in benchmarks:
        try:
            takes = DEVICE in benchmark_spec(name).options
        except NasLabError:
            continue  # an unknown name: the loader says so
        if takes:
            options.setdefault(name, {}).setdefault(DEVICE, device)
    return replace(settings, options=options)


def check_param_devices(params: Mapping[str, Mapping[str, Any]]) -> None:
    """Every algorithm's ``device`` hyper-parameter available (CUDA asked for and missing: a
    ``ParameterError`` naming ``params``)."""
    for name, values in params.items():
        device = values.get(DEVICE)
        if isinstance(device, str) and device != "cpu":
            try:
                resolve_device(device)
            except ParameterError as exc:
                raise ParameterError("params", f"{name}: {exc}", device) from None
