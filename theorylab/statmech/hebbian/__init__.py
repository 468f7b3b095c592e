"""Dense Hebbian networks: replica-symmetric theory of supervised learning, transitions, Monte Carlo.

Seed paper: E. Agliari, L. Albanese, F. Alemanno, A. Alessandrelli, A. Barra, F. Giannotti,
D. Lotito, D. Pedreschi, "Dense Hebbian neural networks: a replica symmetric picture of supervised
learning", Physica A 626 (2023) 129076. The paper's body could not be read; the equations here are
derived from first principles (the theory note ``docs/theory/hebbian.md``, (H1)-(H11)) and checked by sympy
(``proofs_checks/hebbian.py``) and Monte Carlo. Which normalisations remain unverified is listed
in :mod:`theorylab.statmech.hebbian.model` and in ``docs/conventions.md``.

* :mod:`~theorylab.statmech.hebbian.model`: the network (``P``, index convention, ``kappa``) and
  the example noise (``r``, ``M``, exact or CLT law, dataset entropy ``rho``);
* :mod:`~theorylab.statmech.hebbian.rs`: RS free entropy and self-consistency equations (``P = 2``
  dispatched to AGS), solved by Newton with a status, with branch stability;
* :mod:`~theorylab.statmech.hebbian.zero_temperature`: closed erf forms at ``T = 0``, critical loads;
* :mod:`~theorylab.statmech.hebbian.transitions`: retrieval lines as folds located to machine precision;
* :mod:`~theorylab.statmech.hebbian.phases`: phase diagrams on grids;
* :mod:`~theorylab.statmech.hebbian.montecarlo`: Glauber dynamics on power sums, no P-body tensor.
"""

from theorylab.statmech.hebbian.model import (
    DatasetParams,
    DenseHebbian,
    SiteLaw,
    double_factorial,
    hermite_coefficients_of_power,
    site_law_clt,
)
from theorylab.statmech.hebbian.montecarlo import (
    GlauberTrace,
    HebbianDataset,
    energy,
    field_noise_variance,
    flip_costs,
    glauber,
    mean_field_sample,
    power_sums,
    sample_dataset,
    sample_examples,
)
from theorylab.statmech.hebbian.phases import (
    PARAMAGNET,
    RETRIEVAL,
    RETRIEVAL_METASTABLE,
    SPIN_GLASS,
    PhaseDiagram,
    phase_diagram,
    plot_phase_diagram,
)
from theorylab.statmech.hebbian.rs import (
    RSState,
    mattis_overlap,
    paramagnet_free_entropy,
    rs_free_entropy,
    rs_map,
    rs_residual,
    rs_solve,
    rs_solve_grid,
    site_averages,
)
from theorylab.statmech.hebbian.transitions import (
    CriticalLine,
    LowLoadTransition,
    critical_load,
    retrieval_transition_low_load,
    spinodal_low_load,
)
from theorylab.statmech.hebbian.zero_temperature import (
    CriticalPoint,
    T0State,
    capacity_constant,
    critical_load_t0,
    critical_load_t0_vs_rho,
    spin_glass_energy_t0,
    t0_averages,
    t0_energy,
    t0_solve,
)

__all__ = [
    "CriticalLine", "CriticalPoint", "DatasetParams", "DenseHebbian", "GlauberTrace", "HebbianDataset",
    "LowLoadTransition", "PARAMAGNET", "PhaseDiagram", "RETRIEVAL", "RETRIEVAL_METASTABLE", "RSState",
    "SPIN_GLASS", "SiteLaw", "T0State", "capacity_constant", "critical_load", "critical_load_t0",
    "critical_load_t0_vs_rho", "double_factorial", "energy", "field_noise_variance", "flip_costs", "glauber",
    "hermite_coefficients_of_power", "mattis_overlap", "mean_field_sample", "paramagnet_free_entropy", "phase_diagram",
    "plot_phase_diagram", "power_sums", "retrieval_transition_low_load", "rs_free_entropy", "rs_map",
    "rs_residual", "rs_solve", "rs_solve_grid", "sample_dataset", "sample_examples", "site_averages",
    "site_law_clt", "spin_glass_energy_t0", "spinodal_low_load", "t0_averages", "t0_energy", "t0_solve",
]
