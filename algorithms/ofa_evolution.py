"""Evolutionary search over OFA configurations under limits (as OFA's evolution finder).

A population of ``population`` feasible configurations is drawn uniformly; each generation keeps
the best ``parent_ratio`` of it by score and fills the rest with children, half by mutation
(each stage's depth and width, and each kept block's kernel, redrawn with probability
``mutation``; blocks added by a deeper depth get a random kernel) and half by crossover (each
stage's depth, width and each kernel taken from either parent). A child the ``feasible`` check
refuses is redrawn (up to ``tries`` times). ``score`` maps a list of configurations to one
number each (higher is better: a predictor's accuracy); every configuration is scored once.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from nasbench_lab.adapters.dynamicnet.ofa import OFAConfig, OFAStructure
from nasbench_lab.errors import NasLabError


@dataclass(frozen=True)
class EvolutionOptions:
    population: int = 100
    generations: int = 20
    parent_ratio: float = 0.25
    mutation: float = 0.1
    tries: int = 200


def mutate(structure: OFAStructure, config: OFAConfig, rng: np.random.Generator, p: float) -> OFAConfig:
    depths, widths, kernels = [], [], []
    for s, d, w, ks in zip(structure.stages, config.depths, config.widths, config.kernels):
        d2 = int(rng.integers(1, s.max_depth + 1)) if rng.random() < p else d
        widths.append(int(rng.choice(s.widths)) if rng.random() < p else w)
        depths.append(d2)
        if s.kernels:
            kernels.append(tuple(int(rng.choice(s.kernels)) if j >= len(ks) or rng.random() < p else ks[j]
                                 for j in range(d2)))
        else:
            kernels.append(())
    return OFAConfig(tuple(depths), tuple(widths), tuple(kernels))


def crossover(structure: OFAStructure, a: OFAConfig, b: OFAConfig, rng: np.random.Generator) -> OFAConfig:
    depths, widths, kernels = [], [], []
    for i, s in enumerate(structure.stages):
        d = a.depths[i] if rng.random() < 0.5 else b.depths[i]
        widths.append(a.widths[i] if rng.random() < 0.5 else b.widths[i])
        depths.append(d)
        ks: list[int] = []
        for j in range(d if s.kernels else 0):
            options = [k[j] for k in (a.kernels[i], b.kernels[i]) if len(k) > j]
            ks.append(int(options[int(rng.integers(len(options)))]))
        kernels.append(tuple(ks))
    return OFAConfig(tuple(depths), tuple(widths), tuple(kernels))


def evolve(structure: OFAStructure, score: Callable[[Sequence[OFAConfig]], np.ndarray],
           feasible: Callable[[OFAConfig], bool], rng: np.random.Generator,
           options: EvolutionOptions = EvolutionOptions()) -> list[tuple[OFAConfig, float]]:
    """Every feasible configuration scored during the search, best first (ties: first scored)."""
    scores: dict[OFAConfig, float] = {}

    def draw(make: Callable[[], OFAConfig]) -> OFAConfig | None:
        for _ in range(options.tries):
            config = make()
            if feasible(config):
                return config
        return None

    def rate(configs: list[OFAConfig]) -> None:
        new = list(dict.fromkeys(c for c in configs if c not in scores))
        if new:
            scores.update(zip(new, (float(v) for v in score(new))))

    population = [c for c in (draw(lambda: structure.sample(rng)) for _ in range(options.population)) if c is not None]
    if not population:
        raise NasLabError(f"no configuration within the limits among {options.tries} random draws")
    rate(population)
    n_parents = max(1, int(round(options.parent_ratio * options.population)))
    for _ in range(options.generations):
        parents = sorted(dict.fromkeys(population), key=lambda c: -scores[c])[:n_parents]
        children: list[OFAConfig] = []
        n_mutants = (options.population - len(parents)) // 2
        for k in range(options.population - len(parents)):
            if k < n_mutants:
                parent = parents[int(rng.integers(len(parents)))]
                child = draw(lambda: mutate(structure, parent, rng, options.mutation))
            else:
                a, b = (parents[int(i)] for i in rng.integers(len(parents), size=2))
                child = draw(lambda: crossover(structure, a, b, rng))
            if child is not None:
                children.append(child)
        rate(children)
        population = parents + children
    return sorted(scores.items(), key=lambda item: -item[1])
