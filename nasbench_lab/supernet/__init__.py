"""Weight-sharing supernets: the protocol every supernet implements (``protocol``), the mixed
choice over candidate modules (``mixed``) and the one training loop all one-shot methods share
(``training``). Supernets of concrete spaces live with their space (``adapters/<space>/supernet.py``)
named by the space's entry (``SpaceEntry.supernet``) and found by the space's name
(``supernet_provider``)."""
from __future__ import annotations

from nasbench_lab.supernet.provider import SearchData, Supernet, SupernetConfig, supernet_provider, supernet_spaces

__all__ = ["SearchData", "Supernet", "SupernetConfig", "supernet_provider", "supernet_spaces"]
