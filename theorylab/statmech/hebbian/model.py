r"""The supervised dense Hebbian network: interaction order, index convention, example noise.

**Data** (Agliari et al., Physica A 626 (2023) 129076, section 2, in our notation). ``K`` archetypes
:math:`\xi^\mu \in \{\pm1\}^N` (Rademacher entries); for each one, ``M`` examples
:math:`\eta^{\mu,a}_i = \xi^\mu_i \chi^{\mu,a}_i` with :math:`P(\chi = +1) = (1+r)/2`. ``r`` is the
data quality, ``M`` the data quantity. Supervision groups the examples by label, so the network
sees the class means :math:`\bar\eta^\mu_i = \xi^\mu_i \bar\chi^\mu_i`, with

.. math::

    \mathbb{E}\bar\chi = r, \qquad \operatorname{Var}\bar\chi = \frac{1-r^2}{M}, \qquad
    \rho = \frac{1-r^2}{M r^2}, \qquad \mathcal{R} = \mathbb{E}\bar\chi^2 = r^2(1+\rho).

``rho`` is the *dataset entropy*. The network uses unit-variance patterns
:math:`\tilde\eta = \bar\eta/\sqrt{\mathcal R}`; the site variable of the theory is
:math:`y = \bar\chi/\sqrt{\mathcal R}` (:math:`\mathbb{E}y^2 = 1`, :math:`\mathbb{E}y = 1/\sqrt{1+\rho}`).

**Energy.** :math:`-\beta H = b N \sum_\mu n_\mu^P` with :math:`n_\mu = N^{-1}\sum_i \tilde\eta^\mu_i\sigma_i`
and :math:`b = \beta\kappa`. Two index conventions are *different models* (they differ at
:math:`O(1)`):

* ``"distinct"``: the P-body tensor sums over distinct indices only; the pattern-noise covariance is
  :math:`\xi(q) = b^2\alpha\,P!\,q^P`;
* ``"all"``: the tensor sums over all index tuples (the overlap form :math:`n^P`); writing
  :math:`x^P = \sum_k c_k \mathrm{He}_k(x)`, :math:`\xi(q) = b^2\alpha\sum_{k\ge1} c_k^2 k!\, q^k`.

Here :math:`\alpha = K/N^{P-1}` (the Baldi-Venkatesh high load). The field-noise factor
:math:`\nu = \xi'(1)/(b^2\alpha P^2)` is :math:`(P-1)!` (distinct) and :math:`(2P-3)!!` (all).

**Normalisations not verified against the paper** (its body could not be read): :math:`\kappa = 1/P!`
(so :math:`\beta' = 2\beta\kappa = 2\beta/P!` is the reduced inverse temperature), the
:math:`\mathcal{R}^{P/2}` scaling of the tensor, and which index convention the paper's theory uses.
Zero-temperature results depend only on the convention. For ``P = 2`` the model is the Hopfield
network with a Hebbian coupling :math:`(1/N)\sum_\mu\tilde\eta^\mu_i\tilde\eta^\mu_j` and load
:math:`\alpha = K/N`; with :math:`\kappa = 1/2` its inverse temperature is AGS's :math:`\beta`.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import gammaln
from numpy.polynomial import hermite_e

from theorylab.validation import (
    python_scalar,
    check_choice,
    check_finite,
    check_in_range,
    check_integer,
    check_positive,
    is_traced,
)

__all__ = ["DenseHebbian", "DatasetParams", "SiteLaw", "hermite_coefficients_of_power", "double_factorial", "check_model_and_data"]

CONVENTIONS = ("distinct", "all")
LAWS = ("exact", "clt")


def double_factorial(k: int) -> int:
    """:math:`k!! = k(k-2)(k-4)\\cdots` (1 for ``k <= 0``)."""
    return 1 if k <= 0 else k * double_factorial(k - 2)


def hermite_coefficients_of_power(P: int) -> np.ndarray:
    r"""Coefficients :math:`c_k` of :math:`x^P = \sum_{k=0}^P c_k \mathrm{He}_k(x)` (probabilists' Hermite)."""
    P = check_integer(P, "P", minimum=0)
    return hermite_e.poly2herme(np.eye(P + 1)[P])


class SiteLaw(NamedTuple):
    r"""The law of the site variable :math:`y = \bar\chi/\sqrt{\mathcal R}` (a pytree).

    ``atoms``/``weights`` hold the exact law (``M + 1`` atoms); for the CLT law they are ``None`` and
    :math:`y = \text{mean} + \text{std}\,\lambda` with :math:`\lambda \sim N(0, 1)`.
    """

    atoms: jnp.ndarray | None
    weights: jnp.ndarray | None
    mean: jnp.ndarray
    std: jnp.ndarray

    @property
    def is_gaussian(self) -> bool:
        return self.atoms is None


class DatasetParams(eqx.Module):
    r"""Example noise of the supervised protocol: quality ``r``, quantity ``M`` and the law of :math:`\bar\chi`.

    Use :meth:`from_rho` for the CLT law at a given dataset entropy ``rho`` (only ``rho`` matters then).

    Parameters
    ----------
    r:
        Data quality in ``(0, 1]``: :math:`P(\chi = +1) = (1 + r)/2`.
    M:
        Examples per archetype, ``>= 1``; an integer for ``law="exact"``. ``M = inf`` (no example
        noise, :math:`\rho = 0`) is allowed with ``law="clt"``.
    law:
        The exact law is :math:`\bar\chi = (2B - M)/M` with :math:`B \sim \mathrm{Bin}(M, (1+r)/2)`;
        the CLT law (large ``M``) is :math:`\bar\chi/r = 1 + \sqrt\rho\,\lambda` with :math:`\lambda\sim N(0,1)`.
    """

    r: float = eqx.field(default=1.0, static=True, converter=python_scalar)
    M: float = eqx.field(default=math.inf, static=True, converter=python_scalar)
    law: str = eqx.field(default="clt", static=True)

    def __check_init__(self):
        check_choice(self.law, "law", LAWS)
        check_finite(self.r, "r")
        check_in_range(self.r, "r", 0.0, 1.0, closed=(False, True))
        if self.law == "exact":
            if isinstance(self.M, bool) or not (isinstance(self.M, (int, np.integer)) or float(self.M).is_integer()):
                raise ValueError(f"`M` must be an integer number of examples for law='exact', got {self.M!r}")
            check_integer(self.M, "M", minimum=1)
        else:
            check_positive(self.M, "M", allow_inf=True)
            if not self.M >= 1:
                raise ValueError(f"`M` (examples per archetype) must be >= 1, got {self.M!r}")

    @classmethod
    def from_rho(cls, rho: float) -> DatasetParams:
        r"""CLT law with dataset entropy ``rho >= 0`` (``rho = 0``: no example noise).

        Represented as ``M = 1`` and :math:`r = 1/\sqrt{1+\rho}`, which has this ``rho``.
        """
        check_finite(rho, "rho")
        check_positive(rho, "rho", strict=False)
        if rho == 0:
            return cls(1.0, math.inf, "clt")
        return cls(1.0 / math.sqrt(1.0 + float(rho)), 1.0, "clt")

    @property
    def rho(self) -> float:
        r""":math:`\rho = (1 - r^2)/(M r^2)`."""
        return 0.0 if math.isinf(self.M) else (1.0 - self.r**2) / (self.M * self.r**2)

    @property
    def second_moment(self) -> float:
        r""":math:`\mathcal R = \mathbb{E}\bar\chi^2 = r^2(1 + \rho)`."""
        return self.r**2 * (1.0 + self.rho)

    def site_law(self) -> SiteLaw:
        """The law of :math:`y` for the theory (exact atoms or the Gaussian mean/std)."""
        clt = site_law_clt(self.rho)
        if self.law == "clt":
            return clt
        M = int(self.M)
        k = jnp.arange(M + 1, dtype=float)
        p = (1.0 + self.r) / 2.0
        log_w = gammaln(M + 1.0) - gammaln(k + 1.0) - gammaln(M - k + 1.0) + k * jnp.log(p)
        log_w = log_w + (M - k) * (jnp.log1p(-p) if p < 1 else jnp.where(k == M, 0.0, -jnp.inf))
        weights = jnp.exp(log_w)
        atoms = (2.0 * k - M) / M / math.sqrt(self.second_moment)
        return SiteLaw(atoms, weights / weights.sum(), clt.mean, clt.std)


def site_law_clt(rho) -> SiteLaw:
    """CLT site law at a (possibly traced) dataset entropy ``rho`` (for sweeps over ``rho``)."""
    if not is_traced(rho):  # host arithmetic: eager JAX operations would each compile in a new process
        r = np.asarray(rho, dtype=float)
        return SiteLaw(None, None, 1.0 / np.sqrt(1.0 + r), np.sqrt(r / (1.0 + r)))
    rho = jnp.asarray(rho, dtype=float)
    return SiteLaw(None, None, 1.0 / jnp.sqrt(1.0 + rho), jnp.sqrt(rho / (1.0 + rho)))


class DenseHebbian(eqx.Module):
    r"""A dense Hebbian network: interaction order ``P`` (even), index ``convention`` and scale ``kappa``.

    ``kappa`` defaults to :math:`1/P!` (so :math:`b = \beta/P!`); see the module notes on which
    normalisations are unverified. ``P = 2`` is the Hopfield model, solved with the AGS equations.
    """

    P: int = eqx.field(default=4, static=True, converter=python_scalar)
    convention: str = eqx.field(default="distinct", static=True)
    kappa: float | None = eqx.field(default=None, static=True, converter=python_scalar)

    def __check_init__(self):
        P = check_integer(self.P, "P", minimum=2)
        if P % 2:
            raise ValueError(
                f"`P` must be even (got {P}): the theory uses the symmetry sigma -> -sigma, which an odd "
                "interaction order breaks"
            )
        check_choice(self.convention, "convention", CONVENTIONS)
        if self.kappa is not None:
            check_finite(self.kappa, "kappa")
            check_positive(self.kappa, "kappa")

    @property
    def scale(self) -> float:
        """:math:`\\kappa` (``1/P!`` unless given)."""
        return 1.0 / math.factorial(self.P) if self.kappa is None else float(self.kappa)

    @property
    def noise_factor(self) -> int:
        r""":math:`\nu`: :math:`(P-1)!` (distinct) or :math:`(2P-3)!!` (all); the field-noise variance at
        :math:`q = 1` is :math:`b^2\alpha P^2\nu`."""
        if self.convention == "distinct":
            return math.factorial(self.P - 1)
        return double_factorial(2 * self.P - 3)

    def _coefficients(self):
        """(powers k, weights w_k) with phi(q) = sum_k w_k q^k."""
        P = self.P
        if self.convention == "distinct" or P == 2:
            return (P,), (float(math.factorial(P)),)
        c = hermite_coefficients_of_power(P)
        ks = tuple(k for k in range(1, P + 1) if c[k] != 0)
        return ks, tuple(float(c[k] ** 2 * math.factorial(k)) for k in ks)

    def noise_covariance(self, q):
        r""":math:`\varphi(q)` with :math:`\xi(q) = b^2\alpha\,\varphi(q)`: the pattern-noise covariance per unit load."""
        ks, ws = self._coefficients()
        return sum(w * q**k for k, w in zip(ks, ws))

    def noise_covariance_prime(self, q):
        r""":math:`\varphi'(q)`."""
        ks, ws = self._coefficients()
        return sum(w * k * q ** (k - 1) for k, w in zip(ks, ws))

    def reduced_beta(self, beta):
        r""":math:`\beta' = 2\beta\kappa` (AGS's :math:`\beta` for ``P = 2``, ``kappa = 1/2``)."""
        return 2.0 * self.scale * beta


def check_model_and_data(model, data=None) -> None:
    """Raise ``TypeError`` unless ``model`` is a :class:`DenseHebbian` (and ``data`` a :class:`DatasetParams`)."""
    if not isinstance(model, DenseHebbian):
        raise TypeError(f"`model` must be a DenseHebbian, got {type(model).__name__}")
    if data is not None and not isinstance(data, DatasetParams):
        raise TypeError(f"`data` must be a DatasetParams, got {type(data).__name__}")
