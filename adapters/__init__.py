"""Adapters: search spaces and benchmarks. One line per entry; values are ``module:attribute``."""

#: Search spaces by name.
SPACES = {
    "nb201": "nasbench_lab.adapters.nb201.space:NB201Space",
    "nats-size": "nasbench_lab.adapters.nats_size.space:NATSSizeSpace",
    "nasbench-graph": "nasbench_lab.adapters.nasbench_graph.space:NasBenchGraphSpace",
    "dynamicnet": "nasbench_lab.adapters.dynamicnet.space:DynamicNetSpace",
}

#: Benchmarks by name (``BenchmarkSpec`` objects). ``table:`` takes a declaration path.
REGISTRY = {
    "nb201-analog": "nasbench_lab.adapters.nb201.analog:SPEC",
    "nb201": "nasbench_lab.adapters.table:NB201_SPEC",
    "nb201-official": "nasbench_lab.adapters.official.nb201:NB201_OFFICIAL_SPEC",
    "nats-tss": "nasbench_lab.adapters.official.nats:NATS_TSS_SPEC",
    "nats-sss": "nasbench_lab.adapters.official.nats:NATS_SSS_SPEC",
    "nasbench-graph": "nasbench_lab.adapters.nasbench_graph.benchmark:SPEC",
    "dynamicnet": "nasbench_lab.adapters.dynamicnet.benchmark:SPEC",
    "table:": "nasbench_lab.adapters.table:spec_from_declaration",
}

#: Cost functions by name (``dataset -> {cost: array by architecture index}``), for a table
#: declaration's ``"computed_costs"``.
COST_FUNCTIONS = {
    "nb201": "nasbench_lab.adapters.nb201.costs:cost_arrays",
}
