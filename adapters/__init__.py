"""Adapters: search spaces and benchmarks. One line per entry; values are ``module:attribute``."""

#: Search spaces by name.
SPACES = {
    "nb201": "adapters.nb201:NB201Space",
}

#: Benchmarks by name (``BenchmarkSpec`` objects). ``table:`` takes a declaration path.
REGISTRY = {
    "nb201-analog": "adapters.nb201_analog:SPEC",
    "nb201": "adapters.table:NB201_SPEC",
    "table:": "adapters.table:spec_from_declaration",
}
