"""Once-for-All (Cai et al. 2020) on the DynamicNet space: one elastic supernet trained by
progressive shrinking, an accuracy predictor fitted on inherited-weight accuracies, evolution
under device limits, then the query budget spent on the best candidates (standalone training).

The supernet and the search are library functions (``ofa_search``: ``ofa_supernet``, ``plan``)
that ``nasbench-lab ofa`` calls too; the limits are in the cost vocabulary (``ofa_limits``)."""
from __future__ import annotations

import time
from typing import Any

from nasbench_lab.core.algorithm import Algorithm
from nasbench_lab.core.context import RunContext
from nasbench_lab.errors import NasLabError
from nasbench_lab.core.hyperparams import MAX_SEED, MAX_THREADS, hyperparameter, integer, number, one_of, text
from nasbench_lab.core.oracle import Oracle
from nasbench_lab.infra.torch_device import DEVICES
from nasbench_lab.core.space import SearchSpace
from nasbench_lab.core.spend import spend_down

from .ofa_limits import LIMITS, limit_bounds
from .ofa_search import Candidate, OFASearchSettings, OFASupernetSettings, plan

__all__ = ["Candidate", "OnceForAll"]


class OnceForAll(Algorithm):
    """Once-for-All: progressive-shrinking supernet (cached), predictor on inherited accuracies, evolution under limits, best candidates trained standalone."""

    structure: str = hyperparameter("cnn", one_of("cnn", "mlp"), "OFA macro structure: cnn (conv stage of up to 3 "
                                    "blocks + dense stage of up to 2) or mlp (one dense stage)")
    schedule: str = hyperparameter("", text(), "JSON progressive-shrinking schedule file (\"\" = the built-in one)")
    supernet_seed: int = hyperparameter(0, integer(0, MAX_SEED), "supernet seed (the same for every run: one cached supernet)")
    batch_size: int = hyperparameter(64, integer(2, 1 << 20), "supernet mini-batch")
    kd_ratio: float = hyperparameter(1.0, number(0), "weight of in-place distillation in supernet training")
    predictor: str = hyperparameter("gin", one_of("gin", "mlp"), "accuracy predictor: gin (graph form) or mlp (flat)")
    samples: int = hyperparameter(150, integer(3), "random configurations scored by inherited accuracy to fit the predictor")
    recalibration: int = hyperparameter(512, integer(2), "training inputs BatchNorm statistics are re-estimated on")
    eval_samples: int = hyperparameter(0, integer(0), "validation inputs of an inherited accuracy (0 = all)")
    population: int = hyperparameter(100, integer(2), "evolution population")
    generations: int = hyperparameter(20, integer(0), "evolution generations")
    parent_ratio: float = hyperparameter(0.25, number(0, 1, open_low=True), "share of the population kept as parents")
    mutation: float = hyperparameter(0.1, number(0, 1), "probability that a mutation redraws each depth, width, kernel")
    rerank: int = hyperparameter(40, integer(0), "best predicted candidates re-scored by inherited accuracy")
    max_params: int = hyperparameter(0, integer(0), "limit on parameters (cost params_m x 1e6; 0 = none)")
    max_flops_m: float = hyperparameter(0.0, number(0), "limit on MMACs (cost flops_m; 0 = none)")
    max_latency_ms: float = hyperparameter(0.0, number(0), "limit on latency, batch 1, this CPU (cost latency_ms; 0 = none)")
    max_peak_kb: float = hyperparameter(0.0, number(0), "limit on peak activation KiB at 8 bits (cost peak_kb; 0 = none)")
    max_flash_kb: float = hyperparameter(0.0, number(0), "limit on parameter KiB at 8 bits (cost flash_kb; 0 = none)")
    threads: int = hyperparameter(1, integer(1, MAX_THREADS), "torch threads")
    device: str = hyperparameter("cpu", one_of(*DEVICES), "torch device of supernet training: cpu, cuda or auto")

    def setup(self) -> None:
        self.supernet_settings, self.search_settings = settings_of(self.hyperparameter_values())
        self.record: dict[str, Any] = {}

    def hyperparameter_values(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.hyperparameters()}

    @classmethod
    def check_space(cls, space: SearchSpace) -> None:
        from nasbench_lab.adapters.dynamicnet.space import DynamicNetSpace

        super().check_space(space)
        if not isinstance(space, DynamicNetSpace):
            raise NasLabError(f"ofa searches the dynamicnet space only, not {space.name!r}")

    def run(self, oracle: Oracle, context: RunContext | None = None) -> None:
        context = self.context_for(oracle, context)
        start = time.perf_counter()
        feasible = oracle.feasible if oracle.problem.constraints else None
        if not context.dataset:
            raise NasLabError("ofa needs the run's dataset: run it through the runner or pass a RunContext")
        found = plan(self.space, self.supernet_settings, self.search_settings, context.dataset, context.settings,
                     self.rng, feasible)
        self.record = dict(found.record)
        context.record_compute(time.perf_counter() - start)
        queried = spend_down((c.arch for c in found.ranked), oracle, self.space, self.rng, fill=False)
        self.record["queried"] = [self.space.format(a) for a in queried]
        if not oracle.exhausted and len(found.ranked) < oracle.budget:
            self.record["note"] = f"only {len(found.ranked)} feasible configurations were found; budget left unspent"
        context.save_artefact("ofa.json", self.record)  # schedule, limits, predictor, ranking: beside the run file


def settings_of(values: dict[str, Any]) -> tuple[OFASupernetSettings, OFASearchSettings]:
    """The supernet and search settings of checked ``ofa`` hyper-parameter ``values`` (the limit
    hyper-parameters become bounds in the cost vocabulary)."""
    supernet = OFASupernetSettings(structure=values["structure"], schedule=values["schedule"],
                                   seed=values["supernet_seed"], batch_size=values["batch_size"],
                                   kd_ratio=values["kd_ratio"], device=values["device"])
    names = ("predictor", "samples", "recalibration", "eval_samples", "population", "generations", "parent_ratio",
             "mutation", "rerank", "threads")
    bounds = limit_bounds({k: values[k] for k in LIMITS})
    return supernet, OFASearchSettings(**{k: values[k] for k in names}, bounds=bounds)
