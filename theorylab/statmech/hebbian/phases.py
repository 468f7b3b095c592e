r"""Phase diagrams of the RS theory on a grid of loads and temperatures.

At every grid point three RS states are computed (all ``vmap``-ed over the grid, one compile):

* **retrieval**: :func:`~theorylab.statmech.hebbian.rs.rs_solve` from ``(n, q) = (1, 1)``; it counts
  if it converged, is linearly stable and has :math:`n > 10^{-6}`;
* **spin glass**: the ``n = 0`` branch from ``q = 1``; it counts if it converged with :math:`q > 10^{-6}`;
* **paramagnet**: ``n = q = 0``, free entropy :math:`\ln 2 + \xi(1)/2` (``P >= 4``). Its RS entropy
  :math:`\ln 2 - \xi(1)/2` turns negative at low temperature, where the paramagnet is unphysical
  (it is replaced by a frozen, replica-symmetry-broken state); there it does not count.

The label is the counted state with the highest free entropy: :data:`PARAMAGNET` (0),
:data:`SPIN_GLASS` (1, including the frozen region), :data:`RETRIEVAL_METASTABLE` (2: retrieval
exists and is stable but another state has a higher free entropy) or :data:`RETRIEVAL` (3). This is
a replica-symmetric reading: the true low-temperature glass phase needs replica symmetry breaking
(Albanese et al., arXiv 2312.09638), which shifts the capacity only slightly.

The retrieval boundary drawn on the diagrams is not the grid edge but the fold line of
:func:`~theorylab.statmech.hebbian.transitions.critical_load`, located to machine precision.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from theorylab.statmech.hebbian.model import (
    DatasetParams,
    DenseHebbian,
    check_model_and_data,
)
from theorylab.statmech.hebbian.rs import RSState, paramagnet_free_entropy, solve_state
from theorylab.validation import check_axis, check_integer

__all__ = ["PhaseDiagram", "phase_diagram", "plot_phase_diagram", "PARAMAGNET", "SPIN_GLASS", "RETRIEVAL_METASTABLE", "RETRIEVAL"]

PARAMAGNET, SPIN_GLASS, RETRIEVAL_METASTABLE, RETRIEVAL = 0, 1, 2, 3
LABEL_NAMES = ("paramagnet", "spin glass", "retrieval (metastable)", "retrieval")


class PhaseDiagram(NamedTuple):
    """Labels and RS states on an ``(alphas, betas)`` grid (arrays of shape ``(len(alphas), len(betas))``)."""

    alphas: np.ndarray
    betas: np.ndarray
    labels: np.ndarray
    retrieval: RSState
    spin_glass: RSState
    paramagnet_free_entropy: np.ndarray

    def fraction(self, label: int) -> float:
        """Fraction of grid points with ``label``."""
        return float(np.mean(self.labels == label))


def phase_diagram(model: DenseHebbian, data: DatasetParams, alphas, betas, *, order: int = 32, warmup: int = 30,
                  executor=None, devices=None, checkpoint=None, chunk_size: int | None = None,
                  progress=False) -> PhaseDiagram:
    """RS phase diagram over ``alphas x betas`` (every point solved, ``vmap`` over the flattened grid).

    By default one compiled program solves the whole grid in this process. With ``executor`` (a
    :class:`concurrent.futures.Executor`, e.g. a Dask ``client.get_executor()``), ``devices`` (local
    JAX devices) or ``checkpoint`` (a directory; a rerun computes only unfinished chunks) the grid
    goes through :func:`theorylab.sweeps.sweep` in chunks of ``chunk_size`` points; runs with the same
    ``chunk_size`` are bit-identical wherever they ran (the single-program default may differ from
    them at rounding level). ``progress`` as in :func:`~theorylab.sweeps.sweep`.
    """
    check_model_and_data(model, data)
    alphas = check_axis(alphas, "alphas", strict=False)
    betas = check_axis(betas, "betas")
    order = check_integer(order, "order", minimum=2)
    warmup = check_integer(warmup, "warmup", minimum=0)
    A, B = np.meshgrid(alphas, betas, indexing="ij")
    if executor is None and devices is None and checkpoint is None:
        ret, sg, para, labels = _grid(model, data.site_law(), jnp.asarray(A.ravel()), jnp.asarray(B.ravel()), order,
                                      jnp.asarray(warmup))  # warmup traced: changing it compiles nothing new
    else:
        from theorylab.sweeps import sweep

        n = A.size
        law = jax.tree.map(lambda v: np.broadcast_to(np.asarray(v), (n,) + np.shape(v)), data.site_law())
        points = {"alpha": A.ravel(), "beta": B.ravel(), "law": law, "warmup": np.full(n, warmup)}
        ret, sg, para, labels = sweep(functools.partial(_phase_at, model, order), points, chunk_size=chunk_size,
                                      executor=executor, devices=devices, checkpoint=checkpoint, progress=progress)
    shape = A.shape
    reshape = lambda s: RSState(*(np.asarray(f).reshape(shape) for f in s))
    return PhaseDiagram(alphas, betas, np.asarray(labels).reshape(shape), reshape(ret), reshape(sg), np.asarray(para).reshape(shape))


@functools.partial(jax.jit, static_argnums=(0, 4))
def _grid(model, law, alphas, betas, order, warmup):
    return jax.vmap(lambda a, b: _phase_point(model, law, order, warmup, a, b))(alphas, betas)


def _phase_at(model, order, point):
    """One grid point for :func:`theorylab.sweeps.sweep` (module level: picklable for a cluster). The
    site law (arrays) and ``warmup`` travel with the point, as data of the compiled chunk program:
    another law or warm-up compiles nothing new."""
    return _phase_point(model, point["law"], order, point["warmup"], point["alpha"], point["beta"])


def _phase_point(model, law, order, warmup, alpha, beta):
    size = 3 if model.P == 2 else 2
    x_ret = jnp.asarray([1.0, 1.0, 0.0][:size])
    x_sg = jnp.asarray([0.0, 1.0, 0.0][:size])
    ret = solve_state(model, law, alpha, beta, x_ret, warmup=warmup, order=order, tol=1e-10, max_steps=40)
    sg = solve_state(model, law, alpha, beta, x_sg, warmup=warmup, order=order, tol=1e-10, max_steps=40)
    A_para = paramagnet_free_entropy(alpha, beta, model)
    if model.P == 2:
        para_ok = model.reduced_beta(beta) * (1.0 + jnp.sqrt(alpha)) < 1.0  # above T_g = 1 + sqrt(alpha)
    else:
        b = beta * model.scale
        para_ok = jnp.log(2.0) - 0.5 * b * b * alpha * model.noise_covariance(1.0) >= 0.0
    ret_ok = ret.converged & ret.stable & (ret.n > 1e-6)
    sg_ok = sg.converged & (sg.q > 1e-6) & (jnp.abs(sg.n) < 1e-8)
    neg = -jnp.inf
    A_r = jnp.where(ret_ok, ret.free_entropy, neg)
    A_s = jnp.where(sg_ok, sg.free_entropy, neg)
    A_p = jnp.where(para_ok, A_para, neg)
    other = jnp.maximum(A_s, A_p)
    label = jnp.where(
        ret_ok,
        jnp.where(A_r >= other, RETRIEVAL, RETRIEVAL_METASTABLE),
        jnp.where(A_p >= A_s, PARAMAGNET, SPIN_GLASS),
    )
    # no paramagnet and no glass solution found: the frozen region of the RS paramagnet
    label = jnp.where(~ret_ok & ~para_ok & ~sg_ok, SPIN_GLASS, label)
    return ret, sg, A_para, label


def plot_phase_diagram(diagram: PhaseDiagram, model: DenseHebbian, *, line=None, ax=None):
    """Draw the labels against load and reduced temperature :math:`T' = 1/(2\\beta\\kappa)`.

    ``line`` (optional) is a :class:`~theorylab.statmech.hebbian.transitions.CriticalLine` drawn on top.
    Returns the matplotlib axes.
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 4))
    T = 1.0 / np.asarray(model.reduced_beta(diagram.betas))
    cmap = ListedColormap(["#f2f2f2", "#c6dbef", "#fdd0a2", "#a1d99b"])
    ax.pcolormesh(diagram.alphas, T, diagram.labels.T, cmap=cmap, vmin=-0.5, vmax=3.5, shading="nearest")
    for k, name in enumerate(LABEL_NAMES):
        ax.plot([], [], "s", color=cmap(k), label=name, ms=8)
    if line is not None:
        ok = np.asarray(line.converged)
        T_line = 1.0 / np.asarray(model.reduced_beta(np.asarray(line.beta)))
        ax.plot(np.asarray(line.alpha_c)[ok], T_line[ok], "k-", lw=1.5, label=r"fold $\alpha_c(T)$")
    ax.set_xlabel(r"load $\alpha$" + (r" $= K/N$" if model.P == 2 else rf" $= K/N^{{{model.P - 1}}}$"))
    ax.set_ylabel(r"reduced temperature $T' = 1/(2\beta\kappa)$")
    ax.legend(fontsize=7, loc="upper right")
    return ax
