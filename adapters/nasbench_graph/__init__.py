"""NAS-Bench-Graph (Qin et al., NeurIPS 2022): the package's canonical form (``canonical``), the
search space (``space``) and the benchmark (``benchmark``)."""
