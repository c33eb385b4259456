"""Search algorithms. One line per algorithm; values are ``module:class``."""

REGISTRY = {
    "random": "nasbench_lab.algorithms.random_search:RandomSearch",
    "re": "nasbench_lab.algorithms.regularized_evolution:RegularizedEvolution",
    "sa": "nasbench_lab.algorithms.simulated_annealing:SimulatedAnnealing",
    "synflow-rank": "nasbench_lab.algorithms.synflow_rank:SynflowRank",
    "gin-evolution": "nasbench_lab.algorithms.gin_evolution:GINEvolution",
    "gin-sa": "nasbench_lab.algorithms.gin_sa:GINSimulatedAnnealing",
    "nsga2": "nasbench_lab.algorithms.nsga2:NSGA2",
    "re-constrained": "nasbench_lab.algorithms.constrained_evolution:ConstrainedEvolution",
    "sa-constrained": "nasbench_lab.algorithms.constrained_annealing:ConstrainedAnnealing",
    "weighted": "nasbench_lab.algorithms.weighted_evolution:WeightedEvolution",
    "gin-constrained": "nasbench_lab.algorithms.gin_constrained:GINConstrained",
    "gin-pareto": "nasbench_lab.algorithms.gin_pareto:GINPareto",
    "optuna-nsga2": "nasbench_lab.algorithms.optuna_nsga2:OptunaNSGA2",
    "optuna-tpe": "nasbench_lab.algorithms.optuna_tpe:OptunaTPE",
    "optuna-tpe-constrained": "nasbench_lab.algorithms.optuna_tpe_constrained:OptunaTPEConstrained",
}
