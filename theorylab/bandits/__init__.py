"""Weighted tallying bandits: reactive losses, repeated exposure optimality, complete policy regret.

Seed paper: D. Malik, C. Igoe, Y. Li, A. Singh, "Weighted tallying bandits: overcoming
intractability via repeated exposure optimality", ICML 2023. Only the abstract could be read;
the conventions (tally counting the current play, the block schedule of the elimination
algorithm, its confidence radius) are theorylab's documented reconstructions (``docs/conventions``).

* :class:`TallyingBandit` - the environment as a pure ``init`` / ``step`` kernel;
* loss models :class:`LinearLoss`, :class:`ThresholdLoss`, :class:`TabulatedLoss`, :class:`CallableLoss`;
* policies :func:`se_wtb`, :func:`successive_elimination`, :class:`UCB1`, :class:`EXP3`,
  :class:`EpsilonGreedy`, :class:`FixedSequence`;
* :func:`simulate` / :func:`simulate_seeds` (one ``lax.scan``; seeds advance together in one
  batched kernel, float64 or float32);
* :func:`check_reo`, :func:`optimal_costs` (exact DP), :func:`complete_policy_regret`.
"""

from theorylab.bandits.environment import EnvState, StepOutcome, TallyingBandit, feasible_tallies
from theorylab.bandits.losses import CallableLoss, LinearLoss, LossModel, TabulatedLoss, ThresholdLoss
from theorylab.bandits.plotting import plot_regret_curves
from theorylab.bandits.policies import (
    EXP3,
    UCB1,
    EliminationState,
    EXP3State,
    MeanState,
    Policy,
    EpsilonGreedy,
    FixedSequence,
    SuccessiveElimination,
    confidence_radius,
    se_wtb,
    successive_elimination,
)
from theorylab.bandits.regret import (
    REOResult,
    check_reo,
    complete_policy_regret,
    constant_policy_costs,
    optimal_cost_brute_force,
    optimal_costs,
)
from theorylab.bandits.simulation import RunTotals, Trajectory, simulate, simulate_policies, simulate_seeds

__all__ = [
    "CallableLoss",
    "EXP3",
    "EXP3State",
    "EliminationState",
    "EnvState",
    "EpsilonGreedy",
    "FixedSequence",
    "LinearLoss",
    "LossModel",
    "MeanState",
    "Policy",
    "REOResult",
    "RunTotals",
    "StepOutcome",
    "SuccessiveElimination",
    "TabulatedLoss",
    "TallyingBandit",
    "ThresholdLoss",
    "Trajectory",
    "UCB1",
    "check_reo",
    "complete_policy_regret",
    "confidence_radius",
    "constant_policy_costs",
    "feasible_tallies",
    "optimal_cost_brute_force",
    "optimal_costs",
    "plot_regret_curves",
    "se_wtb",
    "simulate",
    "simulate_seeds",
    "simulate_policies",
    "successive_elimination",
]
