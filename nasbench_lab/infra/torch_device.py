"""The torch device a training runs on: ``cpu``, ``cuda``, ``cuda:N`` or ``auto``.

Not the hardware device of a latency cost (``latency_ms:pixel3``): this is where PyTorch puts
tensors. ``auto`` is CUDA when torch sees a CUDA device, else the CPU. torch is imported only
when a name other than ``cpu`` is resolved (light code may import this module).
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from nasbench_lab.errors import ParameterError

if TYPE_CHECKING:
    import torch

#: The names a user chooses from (``cuda:N`` is accepted too, for one GPU of several).
DEVICES = ("cpu", "cuda", "auto")
_CUDA_INDEX = re.compile(r"cuda:\d{1,3}")


def check_device_name(device: object, parameter: str = "device") -> str:
    """``device`` if it is cpu, cuda, cuda:N or auto, else a ``ParameterError`` naming ``parameter``."""
    if isinstance(device, str) and (device in DEVICES or _CUDA_INDEX.fullmatch(device)):
        return device
    raise ParameterError(parameter, f"{parameter} must be one of {', '.join(DEVICES)} (or cuda:N), got {device!r}",
                         device)


def resolve_device(device: str = "cpu", parameter: str = "device") -> "torch.device":
    """The ``torch.device`` of ``device``: ``auto`` -> cuda if torch sees a CUDA device, else
    cpu; ``cuda`` or ``cuda:N`` without that CUDA device -> a one-line ``ParameterError``."""
    import torch

    name = check_device_name(device, parameter)
    if name == "cpu":
        return torch.device("cpu")
    available = torch.cuda.is_available()
    if name == "auto":
        return torch.device("cuda" if available else "cpu")
    count = torch.cuda.device_count() if available else 0
    index = int(name.partition(":")[2] or 0)
    if index >= count:
        seen = f"torch sees {count} CUDA device{'s' if count != 1 else ''}" if count else "torch sees no CUDA device"
        raise ParameterError(parameter, f"{parameter} {name!r} asked for, but {seen} (cpu or auto run without one)",
                             device)
    return torch.device(name)


def device_type(device: str = "cpu", parameter: str = "device") -> str:
    """The resolved device as a plain string (``cpu``, ``cuda``, ``cuda:1``), for records and
    cache keys; ``cpu`` without importing torch."""
    if check_device_name(device, parameter) == "cpu":
        return "cpu"
    resolved = resolve_device(device, parameter)
    return str(resolved)
