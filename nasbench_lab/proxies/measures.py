"""Zero-cost proxies: one small function each, ``fn(net, batch) -> float`` (higher is better).

All are generic: they see an ``nn.Module`` and a ``Batch`` and sum over the weights of every
``nn.Conv2d`` and ``nn.Linear`` module (the "layers"), as the reference implementation
(Abdelfattah et al. 2021, "Zero-Cost Proxies for Lightweight NAS") does. None of them changes
the network's weights, gradients or buffers. Data-dependent proxies run the network in
training mode (batch statistics in BatchNorm), as the reference does; BatchNorm running
statistics and the module's mode are restored afterwards.
"""
from __future__ import annotations

import functools
import math
from contextlib import contextmanager

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call

from nasbench_lab.core.costs import count_flops, count_params
from .data import Batch

LAYERS = (nn.Conv2d, nn.Linear)


def layers(net: nn.Module) -> list[tuple[str, nn.Module]]:
    """The (name, module) of every Conv2d and Linear module (each shared module once)."""
    return [(name, m) for name, m in net.named_modules() if isinstance(m, LAYERS)]


def _weight_key(module_name: str) -> str:
    return f"{module_name}.weight" if module_name else "weight"


def _loss(net: nn.Module, batch: Batch) -> torch.Tensor:
    return F.cross_entropy(net(batch.inputs), batch.targets)


@contextmanager
def _training(net: nn.Module):
    """Training mode within the block; buffers (BatchNorm running statistics) and the mode are
    restored afterwards, so a proxy leaves no trace on the network."""
    mode = net.training
    saved = [(b, b.detach().clone()) for b in net.buffers()]
    net.train()
    try:
        yield
    finally:
        with torch.no_grad():
            for b, value in saved:
                b.copy_(value)
        net.train(mode)


def _in_training(fn):
    @functools.wraps(fn)
    def wrapped(net: nn.Module, batch: Batch) -> float:
        with _training(net):
            return fn(net, batch)

    return wrapped


def _layer_weights(net: nn.Module) -> list[torch.Tensor]:
    return [m.weight for _, m in layers(net)]


# ---------------------------------------------------------------------------------- SynFlow


def synflow(net: nn.Module, batch: Batch, *, method: str = "auto") -> float:
    """SynFlow (Tanaka et al. 2020), data-free: with every parameter replaced by its absolute
    value in double precision and an input of ones (one image of the batch's shape),
    R = sum of the network's output and the score is sum |theta * dR/dtheta| over the layer
    weights. Build the network without BatchNorm for the reference behaviour.

    ``method="autograd"`` back-propagates R (the reference computation). ``"forward"`` gets the
    same number from one forward pass: in a network whose layers are all linear on
    non-negative inputs (no BatchNorm; ReLU, average pooling, sums), sum_w w dR/dw over one
    layer is the part of R that flows through it, so each activation carries a second channel
    ``c`` (sum over paths of path weight x number of layers on the path), updated by
    ``c' = W (c + a)`` at every layer; the score is the sum of ``c`` at the output. ``"auto"``
    uses ``forward`` when the network declares ``linear_when_positive`` (e.g. NB201 networks
    built without BatchNorm), else ``autograd``."""
    if method not in ("auto", "forward", "autograd"):
        raise ValueError(f"method must be auto, forward or autograd, got {method!r}")
    shape = (1,) + tuple(batch.inputs.shape[1:])
    forward = method == "forward" or (method == "auto" and bool(getattr(net, "linear_when_positive", False)))
    ones = torch.ones(shape, dtype=torch.float64, device=batch.inputs.device)
    if forward:
        modules = list(net.modules())
        with _absolute_float64(modules):
            return _synflow_forward([m for m in modules if isinstance(m, LAYERS)], net, ones)
    params = {n: p.detach().abs().double() for n, p in net.named_parameters()}
    buffers = {n: (b.double() if b.is_floating_point() else b) for n, b in net.named_buffers()}
    weights = [params[_weight_key(name)] for name, _ in layers(net)]
    for w in weights:
        w.requires_grad_(True)
    out = functional_call(net, {**params, **buffers}, (ones,))
    grads = torch.autograd.grad(out.sum(), weights, allow_unused=True)
    with torch.no_grad():
        return float(sum(float((w * g).abs().sum()) for w, g in zip(weights, grads) if g is not None))


@contextmanager
def _absolute_float64(modules: list[nn.Module]):
    """Within the block the modules' parameters are their absolute values in float64 and their
    floating buffers are float64; everything is put back afterwards."""
    saved_params, saved_buffers, seen = [], [], set()
    try:
        with torch.no_grad():
            for m in modules:
                for p in m._parameters.values():
                    if p is None or id(p) in seen:
                        continue
                    seen.add(id(p))
                    saved_params.append((p, p.data))
                    p.data = p.data.abs().to(torch.float64)
                for name, b in m._buffers.items():
                    if b is not None and b.is_floating_point():
                        saved_buffers.append((m, name, b))
                        m._buffers[name] = b.to(torch.float64)
        yield
    finally:
        for p, data in saved_params:
            p.data = data
        for m, name, b in saved_buffers:
            m._buffers[name] = b


def _synflow_forward(layer_modules: list[nn.Module], net: nn.Module, ones: torch.Tensor) -> float:
    def hook(module: nn.Module, _inputs, output: torch.Tensor) -> torch.Tensor:
        a, c = output.chunk(2)  # W a + b, W c + b
        if module.bias is not None:
            bias = module.bias.view(1, -1, *([1] * (output.dim() - 2)))
            return torch.cat([a, (c - bias) + (a - bias)])
        return torch.cat([a, c + a])

    handles = [m.register_forward_hook(hook) for m in layer_modules]
    try:
        with torch.no_grad():
            out = net(torch.cat([ones, torch.zeros_like(ones)]))
    finally:
        for h in handles:
            h.remove()
    return float(out.chunk(2)[1].sum())


# ---------------------------------------------------------------------- gradient-based proxies


@_in_training
def snip(net: nn.Module, batch: Batch) -> float:
    """SNIP (Lee et al. 2019): sum |theta * dL/dtheta| over layer weights, L = cross-entropy."""
    weights = _layer_weights(net)
    grads = torch.autograd.grad(_loss(net, batch), weights, allow_unused=True)
    with torch.no_grad():
        return float(sum(float((w * g).abs().sum()) for w, g in zip(weights, grads) if g is not None))


@_in_training
def grad_norm(net: nn.Module, batch: Batch) -> float:
    """Sum over layers of the Euclidean norm of dL/dW (cross-entropy loss)."""
    weights = _layer_weights(net)
    grads = torch.autograd.grad(_loss(net, batch), weights, allow_unused=True)
    return float(sum(float(g.norm()) for g in grads if g is not None))


@_in_training
def grasp(net: nn.Module, batch: Batch) -> float:
    """GraSP (Wang et al. 2020): sum of -theta * (H g) over layer weights, g = dL/dtheta,
    H the Hessian of L (Hessian-gradient product by double back-propagation)."""
    weights = _layer_weights(net)
    grads = torch.autograd.grad(_loss(net, batch), weights, create_graph=True, allow_unused=True)
    pairs = [(w, g) for w, g in zip(weights, grads) if g is not None]
    if not pairs:
        return 0.0
    z = sum((g * g.detach()).sum() for _, g in pairs)
    hg = torch.autograd.grad(z, [w for w, _ in pairs], allow_unused=True)
    with torch.no_grad():
        return float(sum(float((-w * h).sum()) for (w, _), h in zip(pairs, hg) if h is not None))


@_in_training
def fisher(net: nn.Module, batch: Batch) -> float:
    """Fisher (Turner et al. 2020): for the output activation z of every layer, per channel
    0.5 * mean over the batch of (sum over positions of z * dL/dz)^2, summed."""
    acts: list[torch.Tensor] = []

    def hook(_module, _inputs, output):
        acts.append(output)

    handles = [m.register_forward_hook(hook) for _, m in layers(net)]
    try:
        loss = _loss(net, batch)
    finally:
        for h in handles:
            h.remove()
    live = [a for a in acts if a.requires_grad]
    grads = torch.autograd.grad(loss, live, allow_unused=True)
    total = 0.0
    for a, g in zip(live, grads):
        if g is None:
            continue
        per = (a * g).detach()
        if per.dim() > 2:
            per = per.flatten(2).sum(-1)
        total += float(per.pow(2).mean(0).mul(0.5).sum())
    return total


@_in_training
def jacob_cov(net: nn.Module, batch: Batch) -> float:
    """Jacobian covariance (Mellor et al. 2020, v1): J = d(sum of outputs)/d(input) per image;
    with the eigenvalues v of the correlation matrix of the rows of J and k = 1e-5, the score
    is -sum(log(v + k) + 1/(v + k)). NaN when some image has a constant Jacobian."""
    x = batch.inputs.detach().clone().requires_grad_(True)
    (jac,) = torch.autograd.grad(net(x).sum(), x)
    rows = jac.reshape(len(x), -1).double().cpu().numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.corrcoef(rows)
    if not np.isfinite(corr).all():
        return math.nan
    v = np.linalg.eigvalsh(corr)
    k = 1e-5
    with np.errstate(invalid="ignore", divide="ignore"):
        return float(-np.sum(np.log(v + k) + 1.0 / (v + k)))


@_in_training
def nwot(net: nn.Module, batch: Batch) -> float:
    """NASWOT (Mellor et al. 2021): binary codes of every ReLU's input (> 0) per image,
    K = C C^T + (1 - C)(1 - C)^T summed over ReLUs, score = log |det K|."""
    k = torch.zeros(len(batch.inputs), len(batch.inputs), dtype=torch.float64, device=batch.inputs.device)

    def hook(_module, inputs, _output):
        code = (inputs[0].detach() > 0).flatten(1).double()
        k.add_(code @ code.t()).add_((1 - code) @ (1 - code).t())

    handles = [m.register_forward_hook(hook) for m in net.modules() if isinstance(m, nn.ReLU)]
    try:
        with torch.no_grad():
            net(batch.inputs)
    finally:
        for h in handles:
            h.remove()
    return float(torch.linalg.slogdet(k).logabsdet)


# ---------------------------------------------------------------------------------- costs


def params(net: nn.Module, batch: Batch) -> float:
    """Number of parameters, in millions (as NAS-Bench-201's "params (MB)")."""
    return count_params(net) / 1e6


def flops(net: nn.Module, batch: Batch) -> float:
    """FLOPs in millions (multiply-accumulates of Conv2d and Linear for one image)."""
    return count_flops(net, tuple(batch.inputs.shape)) / 1e6
