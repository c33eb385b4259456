"""Once-for-All checks: a subnet extracted from the elastic supernet (sliced weights, kernel
transforms applied, batch-norm statistics carried over) computes what the supernet computes at
that configuration, and survives the ``.npz`` round trip bit for bit."""
from __future__ import annotations

import numpy as np

from nasbench_lab.checks.check import Check, Measurement
from nasbench_lab.checks.context import ValidationContext


def extraction_run(context: ValidationContext) -> Measurement:
    """Largest |difference| between ``OFASupernet.run(x, config)`` and the extracted standalone
    ``DynamicNet`` (and its ``.npz`` reload), over the largest, the smallest and sampled
    configurations of the MNIST-1D and digits ``cnn`` structures, after a short progressive
    shrinking so that the kernel transforms and batch-norm statistics are not at their initial values."""
    import tempfile
    from pathlib import Path

    import torch

    from nasbench_lab.adapters.dynamicnet import DynamicNet
    from nasbench_lab.adapters.dynamicnet.ofa import OFASupernet, preset
    from nasbench_lab.adapters.dynamicnet.ofa.shrinking import ALL, Phase, TrainOptions, train_progressive
    from nasbench_lab.adapters.dynamicnet.space import DynamicNetSpace
    from nasbench_lab.infra.parallel import torch_threads
    from nasbench_lab.supernet.evaluation import recalibrate_bn

    count = context.pick(6, 40)
    schedule = [Phase("largest", 1, 3e-3), Phase("all", 1, 1e-3, ALL, ALL, ALL, 2)]
    worst, reload_worst, checked = 0.0, 0.0, 0
    with torch_threads(1), tempfile.TemporaryDirectory(prefix="ofa-check-") as tmp:
        for shape in ((1, 40), (1, 8, 8)):
            generator = torch.Generator().manual_seed(0)
            x, y = torch.randn(64, *shape, generator=generator), torch.randint(0, 10, (64,), generator=generator)
            net = OFASupernet(preset(DynamicNetSpace(shape, 10), "cnn"), seed=0)
            train_progressive(net, (x, y), schedule, TrainOptions(batch_size=32))
            structure, rng = net.structure, np.random.default_rng(0)
            for config in [structure.largest(), structure.smallest()] + [structure.sample(rng) for _ in range(count)]:
                recalibrate_bn(net, net.arch_weights(structure.arch(config)), x)
                sub = net.extract(config)
                net.eval()
                path = Path(tmp) / "sub.npz"
                sub.save(path)
                with torch.no_grad():
                    expected = net.run(x, config)
                    worst = max(worst, float((sub(x) - expected).abs().max()))
                    reload_worst = max(reload_worst, float((DynamicNet.load(path)(x) - sub(x)).abs().max()))
                checked += 1
    return Measurement(worst, n=checked, conditions={"npz reload identical": reload_worst == 0.0},
                       detail=f"{checked} configurations of the MNIST-1D and digits cnn structures (largest, "
                              f"smallest, sampled) after one short progressive-shrinking pass; .npz reload max "
                              f"|difference| {reload_worst:g}")


CHECKS = [
    Check(name="ofa-extraction", family="ofa",
          title="OFA subnet extracted to a standalone DynamicNet vs the elastic supernet: max |output difference|",
          reproduces="Once-for-All (Cai et al. 2020): get_active_subnet keeps the subnet's function",
          reference=0.0, tolerance=1e-6, digits=7, run=extraction_run,
          command="nasbench-lab validate --only ofa-extraction", seconds={"quick": 3, "full": 10},
          note="float32 arithmetic in another order (sliced, transformed kernels): equal to 1e-6, "
               "the project's tolerance"),
]
