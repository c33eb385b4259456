"""Second-order quantities of the architecture objective: the DARTS second-order hypergradient
(finite differences) and the dominant Hessian eigenvalue of the validation loss w.r.t. the
alphas (RobustDARTS), by power iteration with Hessian-vector products."""
from __future__ import annotations

from typing import Callable, Sequence

import torch

Loss = Callable[[], torch.Tensor]


def _grads(loss: torch.Tensor, params: Sequence[torch.Tensor], **kwargs) -> list[torch.Tensor]:
    return [g if g is not None else torch.zeros_like(p)
            for g, p in zip(torch.autograd.grad(loss, list(params), allow_unused=True, **kwargs), params)]


@torch.no_grad()
def _add(params: Sequence[torch.Tensor], vectors: Sequence[torch.Tensor], scale: float) -> None:
    for p, v in zip(params, vectors):
        p.add_(v, alpha=scale)


def second_order_hypergradient(train_loss: Loss, valid_loss: Loss, weights: Sequence[torch.Tensor],
                               alphas: Sequence[torch.Tensor], xi: float, weight_decay: float = 0.0,
                               r: float = 0.01) -> list[torch.Tensor]:
    """DARTS' second-order gradient of ``L_val(w', alpha)`` w.r.t. alpha, with the virtual step
    ``w' = w - xi (grad_w L_train(w, alpha) + weight_decay w)``:

        grad_alpha L_val(w', alpha) - xi * H_{alpha w} L_train(w, alpha) . grad_{w'} L_val(w', alpha)

    the mixed second derivative by central differences at ``w +- eps v`` (``eps = r / |v|``,
    DARTS' choice). ``weights`` are modified in place and restored."""
    saved = [w.detach().clone() for w in weights]
    step = _grads(train_loss(), weights)
    with torch.no_grad():
        for w, g in zip(weights, step):
            w.sub_(g + weight_decay * w, alpha=xi)
    valid = _grads(valid_loss(), list(alphas) + list(weights))
    d_alpha, v = valid[:len(alphas)], valid[len(alphas):]
    norm = torch.sqrt(sum((x * x).sum() for x in v))
    eps = r / float(norm) if float(norm) > 0 else r
    with torch.no_grad():
        for w, s in zip(weights, saved):
            w.copy_(s)
    _add(weights, v, eps)
    plus = _grads(train_loss(), alphas)
    _add(weights, v, -2 * eps)
    minus = _grads(train_loss(), alphas)
    with torch.no_grad():
        for w, s in zip(weights, saved):
            w.copy_(s)
    return [d - xi * (p - m) / (2 * eps) for d, p, m in zip(d_alpha, plus, minus)]


def dominant_eigenvalue(loss: Loss, params: Sequence[torch.Tensor], iterations: int = 20,
                        generator: torch.Generator | None = None) -> float:
    """The largest-magnitude eigenvalue of the Hessian of ``loss()`` w.r.t. ``params`` by power
    iteration on Hessian-vector products (double back-propagation); the start vector is drawn
    from ``generator``."""
    grads = _grads(loss(), params, create_graph=True)
    v = [torch.randn(p.shape, generator=generator).to(p.device) for p in params]
    value = 0.0
    for _ in range(iterations):
        norm = torch.sqrt(sum((x * x).sum() for x in v))
        v = [x / norm for x in v]
        hv = _grads(sum((g * x).sum() for g, x in zip(grads, v)), params, retain_graph=True)
        value = float(sum((h * x).sum() for h, x in zip(hv, v)))
        v = [h.detach() for h in hv]
    return value
