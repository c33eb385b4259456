"""The cost vocabulary: the names (and units) every benchmark uses for its costs.

Adapters convert their sources' costs to these names at the boundary; reports read units here.

==================  ======================================================================
cost                meaning
==================  ======================================================================
``params_m``        parameters, in millions (NAS-Bench-201's "params (MB)" is this)
``flops_m``         FLOPs in millions, as the source counts them (NAS-Bench-201 and the
                    network counters here: multiply-accumulates of Conv2d and Linear
                    layers for one input, bias additions included)
``latency_ms``      latency, in milliseconds
``latency_ms:<d>``  latency on device ``<d>``, in milliseconds (e.g. ``latency_ms:pixel3``)
``flash_kb``        parameter storage in KiB at the benchmark's weight precision (a
                    microcontroller's flash; NanoNAS's storage limit)
``peak_kb``         peak activation memory in KiB at batch 1: the largest total size of the
                    tensors alive together during a forward pass (a microcontroller's RAM)
==================  ======================================================================

Also the counters of a PyTorch network's costs (``count_params``, ``count_flops``), shared by
the NB201 cost tables and the ``params``/``flops`` proxies; torch is imported only when called.
"""
from __future__ import annotations

import difflib
from typing import Iterable

from nasbench_lab.errors import UnknownNameError
from nasbench_lab.infra.parallel import torch_threads

#: cost name -> axis label (with unit)
UNITS = {
    "params_m": "parameters (M)",
    "flops_m": "FLOPs (M)",
    "latency_ms": "latency (ms)",
    "flash_kb": "flash (KiB)",
    "peak_kb": "peak activation memory (KiB)",
}
#: costs that may name a device after a colon (``latency_ms:<device>``)
DEVICE_COSTS = ("latency_ms",)


def split_cost(name: str) -> tuple[str, str]:
    """``"latency_ms:pixel3"`` -> ``("latency_ms", "pixel3")``; ``"params_m"`` -> ``("params_m", "")``."""
    base, _, device = str(name).partition(":")
    return base, device


def is_cost(name: object) -> bool:
    """Whether ``name`` is in the vocabulary."""
    if not isinstance(name, str):
        return False
    base, device = split_cost(name)
    if base not in UNITS:
        return False
    if ":" in name:
        return base in DEVICE_COSTS and bool(device.strip()) and device == device.strip()
    return True


def check_cost(name: str, where: str = "") -> str:
    """``name`` if it is in the vocabulary, else an ``UnknownNameError`` naming it."""
    if is_cost(name):
        return name
    base, device = split_cost(name) if isinstance(name, str) else (str(name), "")
    if base in UNITS and base not in DEVICE_COSTS:
        why = f"{base} takes no device qualifier"
    elif base in UNITS:
        why = f"a device name is needed after '{base}:'"
    else:
        hint = difflib.get_close_matches(base, list(UNITS), n=1)
        why = f"did you mean {hint[0]!r}?" if hint else "not a cost name"
    known = ", ".join(list(UNITS) + [f"{c}:<device>" for c in DEVICE_COSTS])
    at = f" in {where}" if where else ""
    raise UnknownNameError(f"unknown cost name {name!r}{at} ({why}); costs are named {known}")


def check_costs(names: Iterable[str], where: str = "") -> tuple[str, ...]:
    """Every name checked by ``check_cost``, as a tuple."""
    return tuple(check_cost(n, where) for n in names)


def cost_label(name: str) -> str:
    """Axis label with unit: ``"parameters (M)"``, ``"latency (ms, pixel3)"``."""
    check_cost(name)
    base, device = split_cost(name)
    label = UNITS[base]
    return label[:-1] + f", {device})" if device else label


# ----------------------------------------------------------------------------- counters


def count_params(net) -> int:
    """Number of parameters of an ``nn.Module`` (every parameter, BatchNorm affine included)."""
    return sum(p.numel() for p in net.parameters())


def count_flops(net, shape) -> int:
    """Multiply-accumulates of one image (``shape`` = the batch shape; only ``shape[1:]`` is used)
    through the Conv2d and Linear modules that run (bias additions included), the convention of
    NAS-Bench-201's FLOPs."""
    import torch
    from torch import nn

    total = 0

    def hook(module, inputs, output):
        nonlocal total
        per_out = output[0].numel()  # one image
        if isinstance(module, nn.Conv2d):
            k = module.in_channels // module.groups * module.kernel_size[0] * module.kernel_size[1]
        else:
            k = module.in_features
        total += per_out * k + (per_out if module.bias is not None else 0)

    modules = [m for _, m in net.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    handles = [m.register_forward_hook(hook) for m in modules]
    was_training = net.training
    try:
        net.eval()
        dtype = next((p.dtype for p in net.parameters()), torch.float32)
        with torch.no_grad(), torch_threads(1):  # one small image: threads only add contention
            net(torch.zeros((1,) + tuple(shape[1:]), dtype=dtype))
    finally:
        net.train(was_training)
        for h in handles:
            h.remove()
    return total
