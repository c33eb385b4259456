"""NAS-Bench-201 / NATS-Bench topology cell: the search space (``space``), the NAS-Bench-201
network (``network``), its parameter and FLOP costs (``costs``), its supernet (``supernet``) and
the ``nb201-analog`` benchmark of the analog-nasbench wheel (``analog``). The space's other
benchmarks read the same cell from a packed table (``nb201``) or the official files
(``nb201-official``, ``nats-tss``)."""
from nasbench_lab.core.space_entry import SpaceEntry

ENTRY = SpaceEntry(
    name="nb201",
    space=f"{__name__}.space:NB201Space",
    benchmarks={
        "nb201-analog": f"{__name__}.analog:SPEC",
        "nb201": "nasbench_lab.adapters.table:NB201_SPEC",
        "nb201-official": "nasbench_lab.adapters.official.nb201:NB201_OFFICIAL_SPEC",
        "nats-tss": "nasbench_lab.adapters.official.nats:NATS_TSS_SPEC",
    },
    network=f"{__name__}.network:make_builder",
    supernet=f"{__name__}.supernet",
    cost_functions={"nb201": f"{__name__}.costs:cost_arrays"},
)
