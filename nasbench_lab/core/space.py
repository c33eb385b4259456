"""The SearchSpace protocol: architectures are plain immutable, hashable values."""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Callable, Hashable, Iterator

import numpy as np

from nasbench_lab.errors import ArchError
from nasbench_lab.core.graph import ArchGraph

Arch = Hashable


class SearchSpace(ABC):
    """A set of architectures with sampling, one-change moves and the graph encoding."""

    name: str = "space"

    @abstractmethod
    def sample(self, rng: np.random.Generator) -> Arch:
        """A uniformly random architecture."""

    @abstractmethod
    def neighbours(self, arch: Arch) -> list[Arch]:
        """Every architecture one change away from ``arch``, in a fixed order."""

    def mutate(self, arch: Arch, rng: np.random.Generator) -> Arch:
        """One random change: a uniform pick among ``neighbours(arch)``."""
        options = self.neighbours(arch)
        return options[int(rng.integers(len(options)))]

    @abstractmethod
    def encode(self, arch: Arch) -> ArchGraph:
        """The architecture as a DAG with operations on nodes."""

    @abstractmethod
    def decode(self, graph: ArchGraph) -> Arch:
        """The inverse of ``encode``; raises ``ArchError`` for graphs outside the space."""

    @abstractmethod
    def parse(self, text: str) -> Arch:
        """Parse the space's string form; raises ``ArchError`` naming what is wrong."""

    @abstractmethod
    def format(self, arch: Arch) -> str:
        """The space's string form (inverse of ``parse``)."""

    def canonical(self, arch: Arch) -> str:
        """A hash shared by architectures that compute the same function (default: the string)."""
        return self.format(arch)


class FiniteSpace(SearchSpace):
    """A search space whose members can be enumerated by index ``0 .. size - 1``."""

    size: int

    @abstractmethod
    def index(self, arch: Arch) -> int:
        """Position of ``arch`` in the enumeration."""

    @abstractmethod
    def arch_at(self, i: int) -> Arch:
        """The architecture at position ``i``."""

    def sample(self, rng: np.random.Generator) -> Arch:
        return self.arch_at(int(rng.integers(self.size)))

    def __iter__(self) -> Iterator[Arch]:
        return (self.arch_at(i) for i in range(self.size))

    def __len__(self) -> int:
        return self.size


#: Extra draws allowed, after the first, to find an architecture not seen before.
DEFAULT_RETRIES = 1000


def draw_unseen(
    draw: Callable[[], Arch], seen: Callable[[Arch], bool], retries: int = DEFAULT_RETRIES
) -> tuple[Arch, bool]:
    """Call ``draw`` until it gives an architecture for which ``seen`` is false, at most
    ``1 + retries`` times. Returns ``(arch, True)`` for the first unseen one, else the last
    draw and False (the caller decides: use it anyway, scan, or give up)."""
    arch = draw()
    for _ in range(retries):
        if not seen(arch):
            return arch, True
        arch = draw()
    return arch, not seen(arch)


def sample_unseen(
    space: SearchSpace, rng: np.random.Generator, seen: Callable[[Arch], bool], retries: int = DEFAULT_RETRIES
) -> Arch | None:
    """A uniformly random architecture for which ``seen`` is false: ``1 + retries`` samples,
    then, in a finite space, a scan in random order; None when every architecture is seen."""
    arch, fresh = draw_unseen(lambda: space.sample(rng), seen, retries)
    if fresh:
        return arch
    if isinstance(space, FiniteSpace):
        for i in rng.permutation(space.size):
            arch = space.arch_at(int(i))
            if not seen(arch):
                return arch
    return None


def random_mutations(space: SearchSpace, arch: Arch, rng: np.random.Generator, most: int) -> Arch:
    """``arch`` after 1..``most`` one-change mutations: one, then each further one with
    probability 1/2 (the count is drawn first, then the mutations)."""
    mutations = 1
    while mutations < most and rng.random() < 0.5:
        mutations += 1
    for _ in range(mutations):
        arch = space.mutate(arch, rng)
    return arch


def crossover(space: SearchSpace, a: Arch, b: Arch, rng: np.random.Generator) -> Arch | None:
    """Uniform crossover of two architectures that are (nested) tuples of the same shape: every
    leaf comes from ``a`` or ``b`` with equal probability. The child is canonicalised when the
    space can (``space.canonicalise``) and returned only if it is a member of the space."""

    def mix(x, y):
        if isinstance(x, tuple) and isinstance(y, tuple) and len(x) == len(y):
            return tuple(mix(p, q) for p, q in zip(x, y))
        return x if rng.random() < 0.5 else y

    return valid_member(space, mix(a, b))


def valid_member(space: SearchSpace, arch: Any) -> Arch | None:
    """``arch`` (canonicalised if the space can) if it belongs to the space, else None."""
    try:
        canonicalise: Callable | None = getattr(space, "canonicalise", None)
        if canonicalise is not None:
            arch = canonicalise(arch)
        if isinstance(space, FiniteSpace):
            space.index(arch)
        else:
            space.encode(arch)
        return arch
    except (ArchError, ValueError, TypeError, IndexError, KeyError):
        return None
