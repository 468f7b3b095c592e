"""Learners for the LSA networks: the two-step gradient algorithm and full-batch gradient descent.

Both are orthogonally equivariant (their updates are built from inner products with the data),
which is the class of algorithms the DSD lower bounds cover. Every learner takes a training pool
``x`` of shape ``(n, k, d)``, labels ``y`` and a 0/1 ``mask`` selecting the samples it may use, so
one compiled function serves every sample size (nested subsets of one pool, ``vmap`` over masks).

* :class:`TwoStep` (a reconstruction, ``docs/theory/dsd.md``): two projected gradient steps on the correlation
  loss ``-mean(y f(x))``. The first at threshold 0 from ``w0`` (the linear regime: from
  ``w0 = 0`` the step is the correlation ``mean(y x)`` in the architecture's parametrisation), the
  second at threshold ``b``, each followed by normalising every filter to the unit sphere.
  ``step_sizes = (inf, inf)`` (the default) takes each step's direction alone, as the
  prototypes of the theory note (P3); the secondary sources quote ``eta_1 = 1, eta_2 = 1e3 k`` with an initialisation of
  variance ``1/(100 k^2 d^2)``, which ``TwoStep.paper(k, d)`` builds.
* :class:`GradientDescent`: full-batch gradient descent on the squared loss ``(f(x) - y)^2`` (the
  paper's risk per the secondary sources; ``loss="logistic"`` is the alternative) from a small
  random initialisation, the filters projected onto the unit ball and the threshold onto
  ``b >= 0`` after every step. With unit-norm filters the logistic loss drives the threshold to
  0 (a larger output is always cheaper), so GD then learns a linear classifier and stops at the
  linear floor; the squared loss trades the noise units' variance against the signal's shrinkage
  and learns ``b > 0`` (measured: see the tests). A grid of weight and threshold
  learning rates is run at once (``vmap``) and the pair with the lowest error on a validation
  pool is kept (the authors picked the best test error; we keep test data out of the choice).
  The default grid is ten times the authors' ({1e-1, 1e-2, 1e-3} x {1e-2, 1e-3, 1e-4}): with
  unit-norm filters and no output weight our outputs are smaller, and at the authors' rates the
  threshold never left 0 in 2000 steps (measured, FCN k = 8, d = 16). The initial filters are
  ``N(0, 0.1^2)`` per entry: from a much smaller start the FCN's neurons stay alike and it learns
  the linear rule (measured: init 0.01 stops at the linear floor, init 0.1 reaches 0.008).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp

from theorylab.learning.dsd.networks import (
    Params,
    apply,
    check_architecture,
    filter_shape,
    normalize_filters,
    preactivations,
    unit_derivative,
)
from theorylab.validation import as_float_array, check_choice, check_finite, check_integer, check_key, check_positive

__all__ = ["TwoStep", "GradientDescent", "GDResult", "correlation_gradient", "masked_mean"]


def masked_mean(values, mask):
    """Mean of ``values`` (leading axis = samples) over the samples with ``mask = 1``."""
    m = mask.astype(values.dtype)
    return jnp.tensordot(m, values, axes=(0, 0)) / jnp.maximum(jnp.sum(m), 1.0)


def correlation_gradient(arch: str, w, b, x, y, mask):
    """``mean_n mask_n y_n grad_w f(x_n; w, b)`` with ``phi_b' = 1[|u| >= b]`` (the ascent
    direction of the correlation ``mean(y f)``), in the shape of ``w``."""
    u = preactivations(arch, w, x)  # (n, units)
    gate = unit_derivative(u, b) * (mask * y).astype(x.dtype)[:, None]  # (n, units)
    total = jnp.maximum(jnp.sum(mask.astype(x.dtype)), 1.0)
    if arch == "cnn":
        return jnp.einsum("nk,nkd->d", gate, x) / total
    if arch == "lcn":
        return jnp.einsum("nk,nkd->kd", gate, x) / total
    return jnp.einsum("nj,nkd->jkd", gate, x) / total


class TwoStep(eqx.Module):
    """The two-step learner; ``fit(key, x, y, mask) -> Params`` (threshold ``b`` at prediction)."""

    arch: str = eqx.field(static=True)
    width: int | None = eqx.field(static=True)
    b: jax.Array
    step_sizes: tuple
    init_scale: float = eqx.field(static=True)

    def __init__(self, arch: str, b=0.4, *, step_sizes=(math.inf, math.inf), init_scale: float = 0.0,
                 width: int | None = None):
        self.arch = check_architecture(arch)
        b = as_float_array(b, "b", ndim=0)
        check_finite(b, "b")
        check_positive(b, "b", strict=False)
        self.b = b
        if len(step_sizes) != 2:
            raise ValueError(f"`step_sizes` must hold two step sizes (eta_1, eta_2), got {len(step_sizes)}")
        for i, eta in enumerate(step_sizes):
            check_positive(as_float_array(eta, f"step_sizes[{i}]", ndim=0), f"step_sizes[{i}]", allow_inf=True)
        self.step_sizes = tuple(float(e) for e in step_sizes)
        self.init_scale = float(check_positive(as_float_array(init_scale, "init_scale", ndim=0), "init_scale",
                                               strict=False))
        # an FCN from w0 = 0 gives every neuron the same filter (allowed, documented)
        self.width = None if width is None else check_integer(width, "width", minimum=1)

    @classmethod
    def paper(cls, arch: str, k: int, d: int, b=0.4, width=None) -> "TwoStep":
        """The secondary sources' hyper-parameters (unverified): ``eta_1 = 1``, ``eta_2 = 1e3 k``,
        initial filters ``N(0, 1/(100 k^2 d^2))``."""
        return cls(arch, b, step_sizes=(1.0, 1e3 * k), init_scale=1.0 / (10.0 * k * d), width=width)

    def fit(self, key, x, y, mask) -> Params:
        """The two projected ascent steps on the rows of ``(x, y)`` selected by ``mask``."""
        key = check_key(key)
        k, d = x.shape[-2], x.shape[-1]
        shape = filter_shape(self.arch, k, d, self.width)
        w = self.init_scale * jax.random.normal(key, shape, x.dtype) if self.init_scale else jnp.zeros(shape, x.dtype)
        for eta, threshold in zip(self.step_sizes, (jnp.zeros((), x.dtype), self.b.astype(x.dtype))):
            g = correlation_gradient(self.arch, w, threshold, x, y, mask)
            # unit(w + eta g) = unit(w / eta + g): eta = inf keeps the step's direction alone
            w = normalize_filters(self.arch, w / eta + g)
        return Params(w, self.b.astype(x.dtype))


class GDResult(NamedTuple):
    params: Params  #: the kept run's parameters
    lr: jax.Array  #: its weight learning rate
    bias_lr: jax.Array  #: its threshold learning rate
    validation_error: jax.Array  #: its validation error
    final_loss: jax.Array  #: its final training loss


class GradientDescent(eqx.Module):
    """Full-batch projected gradient descent (squared or logistic loss) over a learning-rate grid."""

    arch: str = eqx.field(static=True)
    steps: int = eqx.field(static=True)
    width: int | None = eqx.field(static=True)
    lrs: jax.Array
    bias_lrs: jax.Array
    init_scale: jax.Array
    b0: jax.Array
    loss_name: str = eqx.field(static=True)

    def __init__(self, arch: str, *, steps: int = 1000, lrs=(1.0, 1e-1, 1e-2), bias_lrs=(1e-1, 1e-2, 1e-3),
                 init_scale: float = 0.1, b0: float = 0.0, loss: str = "squared", width: int | None = None):
        self.arch = check_architecture(arch)
        self.loss_name = check_choice(loss, "loss", ("squared", "logistic"))
        self.steps = check_integer(steps, "steps", minimum=1)
        lrs = as_float_array(lrs, "lrs", ndim=1)
        bias_lrs = as_float_array(bias_lrs, "bias_lrs", ndim=1)
        for name, grid in (("lrs", lrs), ("bias_lrs", bias_lrs)):
            if grid.shape[0] == 0:
                raise ValueError(f"`{name}` must hold at least one learning rate (the grid searched), got none")
            check_finite(grid, name)
        check_positive(lrs, "lrs")
        check_positive(bias_lrs, "bias_lrs", strict=False)
        grid_w, grid_b = jnp.meshgrid(lrs, bias_lrs, indexing="ij")
        self.lrs, self.bias_lrs = grid_w.ravel(), grid_b.ravel()
        init_scale = as_float_array(init_scale, "init_scale", ndim=0)
        check_positive(init_scale, "init_scale")  # from w = 0 every relu gradient vanishes
        self.init_scale = init_scale
        b0 = as_float_array(b0, "b0", ndim=0)
        check_positive(b0, "b0", strict=False)
        self.b0 = b0
        self.width = None if width is None else check_integer(width, "width", minimum=1)

    def loss(self, params: Params, x, y, mask):
        """Masked mean of the training loss (squared or logistic) of the network's outputs."""
        out = apply(self.arch, params, x)
        if self.loss_name == "squared":
            return masked_mean((out - y) ** 2, mask)
        return masked_mean(jax.nn.softplus(-y * out), mask)

    def run(self, key, x, y, mask, lr, bias_lr) -> tuple[Params, jax.Array]:
        """One run at one pair of learning rates: final parameters and training loss."""
        key = check_key(key)
        k, d = x.shape[-2], x.shape[-1]
        shape = filter_shape(self.arch, k, d, self.width)
        params = Params(self.init_scale.astype(x.dtype) * jax.random.normal(key, shape, x.dtype), self.b0.astype(x.dtype))
        grad = jax.grad(self.loss)

        def step(p, _):
            g = grad(p, x, y, mask)
            w = normalize_filters(self.arch, p.w - lr.astype(x.dtype) * g.w, mode="ball")
            b = jnp.maximum(p.b - bias_lr.astype(x.dtype) * g.b, 0.0)
            return Params(w, b), None

        params, _ = jax.lax.scan(step, params, None, length=self.steps)
        return params, self.loss(params, x, y, mask)

    def fit_grid(self, key, x, y, mask, x_valid, y_valid) -> GDResult:
        """Every learning-rate pair from the same initialisation; keep the best on validation."""
        params, losses = jax.vmap(lambda lr, blr: self.run(key, x, y, mask, lr, blr))(self.lrs, self.bias_lrs)
        outputs = jax.vmap(lambda p: apply(self.arch, p, x_valid))(params)
        errors = jnp.mean(jnp.sign(outputs) != y_valid, axis=-1)
        best = jnp.argmin(errors)
        pick = jax.tree.map(lambda a: a[best], params)
        return GDResult(pick, self.lrs[best], self.bias_lrs[best], errors[best], losses[best])

    def fit(self, key, x, y, mask, x_valid=None, y_valid=None) -> Params:
        """Gradient descent from ``key``'s initialisation; with several learning-rate pairs the
        validation data ``(x_valid, y_valid)`` choose among them (see :meth:`fit_grid`)."""
        if x_valid is None:  # a single learning-rate pair needs no validation data
            if self.lrs.shape[0] != 1:
                raise ValueError("GradientDescent over a learning-rate grid needs validation data (x_valid, y_valid)")
            return self.run(key, x, y, mask, self.lrs[0], self.bias_lrs[0])[0]
        return self.fit_grid(key, x, y, mask, x_valid, y_valid).params
