"""Franz-Parisi potentials: the spherical p-spin model and continual learning of a binary perceptron.

* :mod:`~theorylab.statmech.franz_parisi.pspin`: the classic RS potential ``dV(q; T, p)`` with its
  inner saddle solved by bisection (implicit gradients), stationary points, ``T_d``, ``T_K`` and
  the complexity (Franz & Parisi 1995);
* :mod:`~theorylab.statmech.franz_parisi.perceptron`: the continual-learning potential of Li, Huang,
  Zou & Huang (Phys. Rev. E 2023), reconstructed from the authors' code: task-1 saddle points on
  both branches, continuation in ``alpha``, the first-order transition, and task 2 with the task-1
  equilibrium as prior and reference;
* :mod:`~theorylab.statmech.franz_parisi.training`: variational continual learning in field space
  (Adam, ``vmap`` over seeds), the theory's gradient-training counterpart.
"""

from theorylab.statmech.franz_parisi import perceptron, pspin, training
from theorylab.statmech.franz_parisi.perceptron import *  # noqa: F401,F403
from theorylab.statmech.franz_parisi.pspin import *  # noqa: F401,F403
from theorylab.statmech.franz_parisi.training import *  # noqa: F401,F403

__all__ = pspin.__all__ + perceptron.__all__ + training.__all__
