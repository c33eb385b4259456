"""NATS-Bench size space (``sss``): the search space (``space``), its network (``network``) and
its benchmark from the official files (``nats-sss``)."""
from nasbench_lab.core.space_entry import SpaceEntry

ENTRY = SpaceEntry(
    name="nats-size",
    space=f"{__name__}.space:NATSSizeSpace",
    benchmarks={"nats-sss": "nasbench_lab.adapters.official.nats:NATS_SSS_SPEC"},
    network=f"{__name__}.network:make_builder",
)
