"""Search algorithms. One line per algorithm; values are ``module:class``."""

REGISTRY = {
    "random": "algorithms.random_search:RandomSearch",
    "re": "algorithms.regularized_evolution:RegularizedEvolution",
    "sa": "algorithms.simulated_annealing:SimulatedAnnealing",
    "synflow-rank": "algorithms.synflow_rank:SynflowRank",
    "gin-evolution": "algorithms.gin_evolution:GINEvolution",
    "gin-sa": "algorithms.gin_sa:GINSimulatedAnnealing",
}
