"""Adapters: search spaces and benchmarks. One line per entry; values are ``module:attribute``."""

#: Search spaces by name.
SPACES = {
    "nb201": "adapters.nb201:NB201Space",
    "nats-size": "adapters.nats_size:NATSSizeSpace",
    "nasbench-graph": "adapters.nasbench_graph:NasBenchGraphSpace",
    "dynamicnet": "adapters.dynamicnet_space:DynamicNetSpace",
}

#: Benchmarks by name (``BenchmarkSpec`` objects). ``table:`` takes a declaration path.
REGISTRY = {
    "nb201-analog": "adapters.nb201_analog:SPEC",
    "nb201": "adapters.table:NB201_SPEC",
    "nb201-official": "adapters.official:NB201_OFFICIAL_SPEC",
    "nats-tss": "adapters.official:NATS_TSS_SPEC",
    "nats-sss": "adapters.official:NATS_SSS_SPEC",
    "nasbench-graph": "adapters.nasbench_graph:SPEC",
    "dynamicnet": "adapters.dynamicnet_bench:SPEC",
    "table:": "adapters.table:spec_from_declaration",
}
