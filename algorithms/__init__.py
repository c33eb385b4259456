"""Search algorithms. One line per algorithm; values are ``module:class``."""

REGISTRY = {
    "random": "algorithms.random_search:RandomSearch",
    "re": "algorithms.regularized_evolution:RegularizedEvolution",
    "sa": "algorithms.simulated_annealing:SimulatedAnnealing",
}
