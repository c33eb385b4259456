"""Search algorithms. One line per algorithm; values are ``module:class``."""

REGISTRY = {
    "random": "nasbench_lab.algorithms.random_search:RandomSearch",
    "re": "nasbench_lab.algorithms.regularized_evolution:RegularizedEvolution",
    "sa": "nasbench_lab.algorithms.simulated_annealing:SimulatedAnnealing",
    "synflow-rank": "nasbench_lab.algorithms.synflow_rank:SynflowRank",
    "gin-evolution": "nasbench_lab.algorithms.gin_evolution:GINEvolution",
    "gin-sa": "nasbench_lab.algorithms.gin_sa:GINSimulatedAnnealing",
    "darts": "nasbench_lab.algorithms.darts:Darts",
    "gdas": "nasbench_lab.algorithms.gdas:Gdas",
    "pc-darts": "nasbench_lab.algorithms.pc_darts:PcDarts",
    "drnas": "nasbench_lab.algorithms.drnas:Drnas",
    "darts-es": "nasbench_lab.algorithms.darts_es:DartsEs",
    "spos": "nasbench_lab.algorithms.spos:Spos",
}
