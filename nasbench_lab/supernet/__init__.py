"""Weight-sharing supernets: the protocol every supernet implements (``protocol``), the mixed
choice over candidate modules (``mixed``) and the one training loop all one-shot methods share
(``training``). Supernets of concrete spaces live with their space (``adapters/<space>/supernet.py``)
and are found through ``SUPERNETS`` by the space's name."""
from __future__ import annotations

from .protocol import SUPERNETS, SearchData, Supernet, SupernetConfig, supernet_provider

__all__ = ["SUPERNETS", "SearchData", "Supernet", "SupernetConfig", "supernet_provider"]
