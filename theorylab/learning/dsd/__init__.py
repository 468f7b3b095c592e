"""DSD sample-complexity tasks: CNN vs LCN vs FCN on the Dynamic Signal Distribution.

Seed paper: A. Lahoti, S. Karp, E. Winston, A. Singh, Y. Li, "Role of locality and weight sharing
in image-based tasks: a sample complexity separation between CNNs, LCNs, and FCNs", ICLR 2024.
Only the abstract could be read; the distribution, the architectures and the two-step algorithm
are reconstructed from the public reviews (``docs/theory/dsd.md``, equations (D1)-(D6)).

* :class:`DSD` (a NumPyro distribution) and its closed forms: :func:`moments`,
  :func:`linear_floor`, :func:`oracle_error` (exact convolution), :func:`bayes_error`;
* networks (:func:`init_params`, :func:`apply`, :func:`lsa`) and learners :class:`TwoStep`,
  :class:`GradientDescent`;
* :func:`test_error`, :func:`error_curves`, :func:`sample_complexity` (N* with a bootstrap
  interval), :func:`sweep`, :func:`fit_exponent`, :func:`theory_rates`, :func:`theory_exponent`;
* :func:`plot_sample_complexity`, :func:`plot_error_curves`.
"""

from theorylab.learning.dsd import complexity, distribution, networks, plotting, training
from theorylab.learning.dsd.complexity import *  # noqa: F401,F403
from theorylab.learning.dsd.distribution import *  # noqa: F401,F403
from theorylab.learning.dsd.networks import *  # noqa: F401,F403
from theorylab.learning.dsd.plotting import *  # noqa: F401,F403
from theorylab.learning.dsd.training import *  # noqa: F401,F403

__all__ = distribution.__all__ + networks.__all__ + training.__all__ + complexity.__all__ + plotting.__all__
