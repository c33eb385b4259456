"""NAS-Bench-Graph (Qin et al., NeurIPS 2022): the package's canonical form (``canonical``), the
search space (``space``) and the benchmark (``benchmark``)."""
from nasbench_lab.core.space_entry import SpaceEntry

ENTRY = SpaceEntry(
    name="nasbench-graph",
    space=f"{__name__}.space:NasBenchGraphSpace",
    benchmarks={"nasbench-graph": f"{__name__}.benchmark:SPEC"},
)
