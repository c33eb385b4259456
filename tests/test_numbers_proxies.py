"""Every zero-cost proxy on a network small enough to compute its value by hand: a 1x1 convolution
over two pixels, ReLU, and a linear classifier (float64, fixed weights, a fixed batch of five).

The reference values below use numpy only: the forward pass and the back-propagated gradients
written out for this network, each proxy's published formula on them, GraSP's Hessian-gradient
product by central finite differences of those gradients, NASWOT's kernel from Hamming
distances. The product computes through torch (autograd and hooks) and must agree."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from nasbench_lab.proxies import PROXIES, get_proxy
from nasbench_lab.proxies.data import Batch
from nasbench_lab.proxies.measures import synflow

CHANNELS_IN, HIDDEN, PIXELS, CLASSES, IMAGES = 3, 4, 2, 3, 5

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def parameters() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(11)
    return {"w1": rng.normal(size=(HIDDEN, CHANNELS_IN)), "b1": rng.normal(scale=0.3, size=HIDDEN),
            "w2": rng.normal(scale=0.5, size=(CLASSES, HIDDEN * PIXELS)), "b2": rng.normal(scale=0.3, size=CLASSES)}


def batch_arrays() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(12)
    return rng.normal(size=(IMAGES, CHANNELS_IN, PIXELS)), np.array([0, 2, 1, 2, 0])


def torch_net(p: dict[str, np.ndarray]) -> nn.Module:
    net = nn.Sequential(nn.Conv2d(CHANNELS_IN, HIDDEN, 1), nn.ReLU(), nn.Flatten(), nn.Linear(HIDDEN * PIXELS, CLASSES))
    net = net.double()
    with torch.no_grad():
        net[0].weight.copy_(torch.from_numpy(p["w1"]).view(HIDDEN, CHANNELS_IN, 1, 1))
        net[0].bias.copy_(torch.from_numpy(p["b1"]))
        net[3].weight.copy_(torch.from_numpy(p["w2"]))
        net[3].bias.copy_(torch.from_numpy(p["b2"]))
    return net


def torch_batch(x: np.ndarray, y: np.ndarray) -> Batch:
    return Batch(torch.from_numpy(x).view(IMAGES, CHANNELS_IN, 1, PIXELS), torch.from_numpy(y), CLASSES, "hand-made")


# ------------------------------------------------------------------------- by hand (numpy)


def forward(p, x):
    """z1[b, h, pixel] (convolution output), its ReLU flattened channel-major as torch does, z2 (logits)."""
    z1 = np.einsum("hi,bip->bhp", p["w1"], x) + p["b1"][None, :, None]
    flat = np.maximum(z1, 0).reshape(len(x), -1)
    return z1, flat, flat @ p["w2"].T + p["b2"]


def backward(p, x, y):
    """Mean cross-entropy: dL/dz2, dL/dz1 and the weight gradients."""
    z1, flat, z2 = forward(p, x)
    soft = np.exp(z2 - z2.max(1, keepdims=True))
    soft /= soft.sum(1, keepdims=True)
    d2 = (soft - np.eye(CLASSES)[y]) / len(x)
    d1 = (d2 @ p["w2"]).reshape(z1.shape) * (z1 > 0)
    return {"z1": z1, "z2": z2, "d1": d1, "d2": d2, "w1": np.einsum("bhp,bip->hi", d1, x), "w2": d2.T @ flat}


def hessian_times_gradient(p, x, y, eps=1e-6):
    """H g for the weights (biases fixed), by central differences of the gradient along g."""
    g = backward(p, x, y)
    shifted = [backward({**p, "w1": p["w1"] + s * eps * g["w1"], "w2": p["w2"] + s * eps * g["w2"]}, x, y) for s in (1, -1)]
    assert all(((s["z1"] > 0) == (g["z1"] > 0)).all() for s in shifted)  # no ReLU switches within the step
    return {w: (shifted[0][w] - shifted[1][w]) / (2 * eps) for w in ("w1", "w2")}


def by_hand(p, x, y) -> dict[str, float]:
    g = backward(p, x, y)
    hg = hessian_times_gradient(p, x, y)
    # Jacobian of the summed logits with respect to each image, and the correlation of its rows
    ones_back = (np.ones(CLASSES) @ p["w2"]).reshape(HIDDEN, PIXELS)
    jac = np.einsum("hi,hp,bhp->bip", p["w1"], ones_back, (g["z1"] > 0)).reshape(IMAGES, -1)
    centred = jac - jac.mean(1, keepdims=True)
    unit = centred / np.sqrt((centred ** 2).sum(1, keepdims=True))
    v = np.linalg.eigvalsh(unit @ unit.T)
    # NASWOT: K[i, j] = units whose ReLU input has the same sign for images i and j
    codes = (g["z1"] > 0).reshape(IMAGES, -1)
    kernel = codes.shape[1] - (codes[:, None, :] != codes[None, :, :]).sum(-1)
    # SynFlow: |weights|, input of ones, R = sum of the logits; each layer's sum |w dR/dw|
    a1, a2 = np.abs(p["w1"]), np.abs(p["w2"])
    hidden = (a1.sum(1) + np.abs(p["b1"]))[:, None].repeat(PIXELS, 1).reshape(-1)  # z1 on the ones image
    back = a2.sum(0).reshape(HIDDEN, PIXELS).sum(1)  # dR/dz1 summed over pixels
    layer_outputs = HIDDEN * PIXELS
    return {
        "snip": float(np.abs(p["w1"] * g["w1"]).sum() + np.abs(p["w2"] * g["w2"]).sum()),
        "grad_norm": float(np.linalg.norm(g["w1"]) + np.linalg.norm(g["w2"])),
        "grasp": float(-(p["w1"] * hg["w1"]).sum() - (p["w2"] * hg["w2"]).sum()),
        "fisher": float(0.5 * ((g["z1"] * g["d1"]).sum(2) ** 2).mean(0).sum() + 0.5 * ((g["z2"] * g["d2"]) ** 2).mean(0).sum()),
        "jacob_cov": float(-np.sum(np.log(v + 1e-5) + 1 / (v + 1e-5))),
        "nwot": float(np.linalg.slogdet(kernel.astype(float))[1]),
        "synflow": float(hidden @ a2.sum(0) + back @ a1.sum(1)),
        "params": (HIDDEN * CHANNELS_IN + HIDDEN + CLASSES * layer_outputs + CLASSES) / 1e6,
        "flops": (layer_outputs * CHANNELS_IN + layer_outputs + CLASSES * layer_outputs + CLASSES) / 1e6,
    }


# -------------------------------------------------------------------------------- tests


@pytest.fixture(scope="module")
def expected() -> dict[str, float]:
    p, (x, y) = parameters(), batch_arrays()
    codes = (forward(p, x)[0] > 0).reshape(IMAGES, -1)
    assert len({c.tobytes() for c in codes}) == IMAGES  # distinct codes: NASWOT's kernel is not singular
    return by_hand(p, x, y)


def test_the_hand_computation_covers_every_proxy(expected):
    assert set(expected) == set(PROXIES)
    assert all(math.isfinite(v) and v != 0 for v in expected.values())


@pytest.mark.parametrize("name", sorted(PROXIES))
def test_proxy_equals_its_value_by_hand(name, expected):
    p, (x, y) = parameters(), batch_arrays()
    net = torch_net(p)
    assert get_proxy(name)(net, torch_batch(x, y)) == pytest.approx(expected[name], rel=1e-6)
    assert all(np.array_equal(a.detach().numpy().reshape(b.shape), b) for a, b in zip(net.parameters(), p.values()))


def test_synflow_by_forward_pass_and_its_log_report(expected):
    """The forward-pass SynFlow gives the same number; the registry reports it as log10."""
    p, (x, y) = parameters(), batch_arrays()
    assert synflow(torch_net(p), torch_batch(x, y), method="forward") == pytest.approx(expected["synflow"], rel=1e-9)
    spec = get_proxy("synflow")
    assert spec.report(spec(torch_net(p), torch_batch(x, y))) == pytest.approx(math.log10(expected["synflow"]), rel=1e-9)
