r"""Variational lower bounds on MI from a critic's score matrix :math:`S_{ij} = f(x_i, y_j)`.

Diagonal entries score joint pairs, off-diagonal entries score pairs from the product of the
marginals. With :math:`B` the batch size (Poole et al., ICML 2019; the forms of NeuralMI,
``neural_mi/estimators/bounds.py``):

* InfoNCE (van den Oord et al. 2018): :math:`\log B + \tfrac1B\sum_i(S_{ii} - \log\sum_j e^{S_{ij}})`,
  never above :math:`\log B`;
* TUBA: :math:`1 + \overline{S_{ii}} - \exp(\mathrm{logmeanexp}_{i\ne j} S_{ij})`;
* NWJ (Nguyen, Wainwright & Jordan 2010): TUBA of :math:`S - 1`;
* DV / MINE (Donsker-Varadhan; Belghazi et al. 2018): :math:`\overline{S_{ii}} - \mathrm{logmeanexp}_{i\ne j} S_{ij}`;
* JS (f-GAN): :math:`-\overline{\mathrm{softplus}(-S_{ii})} - \overline{\mathrm{softplus}(S_{ij})}_{i\ne j}`,
  a training objective (not an MI value);
* SMILE (Song & Ermon 2020): the DV value of :math:`\mathrm{clip}(S, -\tau, \tau)`; its training
  objective has the JS gradient on the clipped scores (:func:`smile_objective`).

All are pure, numerically stable (the off-diagonal log-mean-exp masks the diagonal with
:math:`-\infty` inside one ``logsumexp``) and ``jit``/``vmap``-able over leading batch axes.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.nn import softplus
from jax.scipy.special import logsumexp

from theorylab.validation import as_float_array, check_finite, is_traced

__all__ = ["infonce", "nwj", "tuba", "dv", "js", "smile", "smile_objective", "BOUNDS"]


def _square(scores):
    s = scores if is_traced(scores) else as_float_array(scores, "scores")
    if s.ndim < 2 or s.shape[-1] != s.shape[-2]:
        raise ValueError(f"`scores` must be a (..., B, B) matrix, got shape {tuple(s.shape)}")
    if s.shape[-1] < 2:
        raise ValueError("`scores` needs B >= 2 (one off-diagonal pair at least)")
    if not is_traced(scores):  # the bounds are training objectives: traced scores pass unchecked
        check_finite(s, "scores")
    return s


def _diag_mean(s):
    return jnp.mean(jnp.diagonal(s, axis1=-2, axis2=-1), axis=-1)


def _offdiag_logmeanexp(s):
    b = s.shape[-1]
    eye = jnp.eye(b, dtype=bool)
    masked = jnp.where(eye, -jnp.inf, s)
    return logsumexp(masked, axis=(-2, -1)) - jnp.log(b * (b - 1.0))


def infonce(scores):
    """InfoNCE lower bound (nats); at most log B."""
    s = _square(scores)
    b = s.shape[-1]
    return jnp.log(b) + jnp.mean(jnp.diagonal(s, axis1=-2, axis2=-1) - logsumexp(s, axis=-1), axis=-1)


def tuba(scores):
    """TUBA lower bound (nats)."""
    s = _square(scores)
    return 1.0 + _diag_mean(s) - jnp.exp(_offdiag_logmeanexp(s))


def nwj(scores):
    """NWJ lower bound (nats): TUBA of ``scores - 1``."""
    return tuba(_square(scores) - 1.0)


def dv(scores):
    """Donsker-Varadhan (MINE) lower bound (nats)."""
    s = _square(scores)
    return _diag_mean(s) - _offdiag_logmeanexp(s)


def js(scores):
    """Jensen-Shannon (f-GAN) objective: a training signal, not an MI value."""
    s = _square(scores)
    b = s.shape[-1]
    eye = jnp.eye(b, dtype=bool)
    off = jnp.sum(jnp.where(eye, 0.0, softplus(s)), axis=(-2, -1)) / (b * (b - 1.0))
    return -jnp.mean(softplus(-jnp.diagonal(s, axis1=-2, axis2=-1)), axis=-1) - off


def smile(scores, clip: float = 5.0):
    """SMILE estimate: the DV bound on scores clipped to ``[-clip, clip]``."""
    return dv(jnp.clip(_square(scores), -clip, clip))


def smile_objective(scores, clip: float = 5.0):
    """SMILE training objective: value of :func:`smile`, gradient of :func:`js` on the clipped scores."""
    c = jnp.clip(_square(scores), -clip, clip)
    j = js(c)
    return j + jax.lax.stop_gradient(dv(c) - j)


#: name -> (value function, training objective)
BOUNDS = {
    "infonce": (infonce, infonce),
    "nwj": (nwj, nwj),
    "tuba": (tuba, tuba),
    "dv": (dv, dv),
    "js": (dv, js),
    "smile": (smile, smile_objective),
}
