"""Bad and extreme input, property-based: a clear error, a finite answer, or a flagged result.

For the most-used public functions of every area, hypothesis replaces one argument of a valid call
by a bad or extreme value (NaN, infinities, zero, negatives, 1e-300 / 1e300, empty or mis-shaped
arrays, wrong types, bad PRNG keys) and classifies what comes back:

* ``error``: ``ValueError`` or ``TypeError`` raised by theorylab's own code, whose message names an
  argument of the call in backticks (the package's convention: "`alpha` must be > 0, got -1.0");
* ``finite``: a result whose floating values are all finite;
* ``flagged``: a result that says it failed (``converged`` false, or a non-success ``status``);

anything else (an error from JAX or NumPy internals, a message that names no argument, a NaN or
infinity in an unflagged result) fails the test. Examples are derandomised and bounded (the
suite's hypothesis profile). Set ``THEORYLAB_BAD_INPUT_LOG=path`` to append one JSON line per
example (function, argument, value, outcome): the counts in the closing notes come from it.
"""

from __future__ import annotations

import json
import math
from typing import NamedTuple
import os
import re
import traceback

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import theorylab
from theorylab import bandits, infogeo
from theorylab.learning import dsd
from theorylab.numerics import ConvergenceError, fixed_point, gauss_hermite, gauss_legendre, kinked_gaussian_rule, newton
from theorylab.statmech import franz_parisi as FP
from theorylab.statmech import hebbian as H
from theorylab.statmech.ags import ags_solve

import theorylab.estimators.mutual_information as mi  # noqa: E402
import theorylab.estimators.quantile as Q  # noqa: E402
import theorylab.estimators.sparse as S  # noqa: E402
import theorylab.estimators.transport as T  # noqa: E402

import theorylab.estimators  # noqa: E402

# where theorylab's own code lives (the estimators folder is mapped into the package)
PACKAGE_ROOTS = tuple({os.path.dirname(os.path.abspath(m.__file__)) + os.sep for m in (theorylab, theorylab.estimators)})
KEY = jax.random.key(0)

# ---------------------------------------------------------------------------------------------- values
SCALARS = [math.nan, math.inf, -math.inf, 0.0, -1.0, -1e-300, 1e-300, 5e-324, 1e300, -1e300, 1e-12, 1e12]
NON_NUMBERS = [None, "abc", True, [1.0, [2.0]], {"a": 1}, 1 + 2j]
SIZES = [-1, 0, 2.5, True, "3", None, np.nan]  # (a huge size is a legitimate request for huge memory)
INTEGERS = SIZES + [10**9]  # step limits: a huge budget must neither allocate nor hang
KEYS = [0, None, "key", np.zeros(3, np.uint32), np.zeros((2, 3)), 1.5]


def bad_scalar():
    return st.sampled_from(SCALARS + NON_NUMBERS)


def bad_integer(size=False):
    return st.sampled_from(SIZES if size else INTEGERS)


def bad_array(shape):
    """A valid-looking array with one entry replaced, an empty or mis-shaped array, or junk."""
    n = int(np.prod(shape))

    def poke(args):
        value, index = args
        a = np.random.default_rng(1).normal(size=shape)
        a.flat[index % n] = value
        return a

    poked = st.tuples(st.sampled_from([math.nan, math.inf, -math.inf, 1e300, -1e300]), st.integers(0, 10**6)).map(poke)
    misshaped = st.sampled_from([np.zeros((0,) + tuple(shape[1:])), np.ones(tuple(shape) + (2,)), np.ones(3),
                                 np.float64(1.0), np.ones((1,) * len(shape))])
    scaled = st.sampled_from([1e300, 1e-300, 0.0]).map(lambda s: np.random.default_rng(2).normal(size=shape) * s)
    return st.one_of(poked, misshaped, scaled, st.sampled_from(NON_NUMBERS))


# ---------------------------------------------------------------------------------------------- verdict
_FLOAT_KINDS = "fc"


# Fields that are non-finite by documented design: iteration records are NaN past the last step
# (power-of-two buffers), and a normal-theory interval has infinite degrees of freedom.
DOCUMENTED_NON_FINITE = {"errors", "dof", "valid_loss", "C"}  # T0State.C: "NaN for P >= 4"


def _float_leaves(result):
    if hasattr(result, "_fields"):  # a NamedTuple result: skip the documented fields
        parts = [getattr(result, f) for f in result._fields if f not in DOCUMENTED_NON_FINITE]
        return [leaf for part in parts for leaf in _float_leaves(part)]
    if isinstance(result, dict):
        return [leaf for v in result.values() for leaf in _float_leaves(v)]
    leaves = []
    for leaf in jax.tree.leaves(result):
        if isinstance(leaf, (float, np.floating)) or (hasattr(leaf, "dtype") and np.asarray(leaf).dtype.kind in _FLOAT_KINDS):
            leaves.append(np.asarray(leaf))
    return leaves


def _flagged(result) -> bool:
    converged = getattr(result, "converged", None)
    if converged is not None and not isinstance(converged, property):
        try:
            return not bool(np.all(np.asarray(converged)))
        except Exception:  # noqa: BLE001
            return False
    status = getattr(result, "status", None)
    if status is not None:
        try:
            return bool(np.any(np.asarray(status) != 0))
        except Exception:  # noqa: BLE001
            return False
    return False


def _raised_in_theorylab(err: BaseException) -> bool:
    frames = traceback.extract_tb(err.__traceback__)
    return bool(frames) and any(frames[-1].filename.startswith(root) for root in PACKAGE_ROOTS)


def verdict(call, arguments) -> tuple[str, str]:
    """Run ``call``; return (outcome, detail). Outcomes starting with ``bad`` fail the test."""
    try:
        result = call()
    except ConvergenceError as err:  # a solver that failed and said so (the throw=True convention)
        return ("flagged", str(err)[:120]) if _raised_in_theorylab(err) else ("bad: foreign ConvergenceError", str(err))
    except (ValueError, TypeError) as err:
        message = str(err)
        if not _raised_in_theorylab(err):
            return "bad: error from outside theorylab", f"{type(err).__name__}: {message[:200]}"
        named = re.findall(r"`([^`]+)`", message)
        if not any(any(a == n or n.startswith(a) or a in n for a in arguments) for n in named):
            return "bad: error names no argument", f"{type(err).__name__}: {message[:200]}"
        return "error", message[:120]
    except Exception as err:  # noqa: BLE001
        return "bad: unexpected exception", f"{type(err).__name__}: {str(err)[:200]}"
    if _flagged(result):
        return "flagged", ""
    leaves = _float_leaves(result)
    if all(np.all(np.isfinite(leaf)) for leaf in leaves):
        return "finite", ""
    return "bad: non-finite unflagged result", repr(result)[:200]


def _log(function, argument, value, outcome, detail):
    path = os.environ.get("THEORYLAB_BAD_INPUT_LOG")
    if path:
        with open(path, "a") as fh:
            fh.write(json.dumps(dict(function=function, argument=argument, value=repr(value)[:80], outcome=outcome,
                                     detail=detail)) + "\n")


def check(function: str, build, argument: str, value, arguments):
    """Call ``build(value)`` and assert the verdict is not bad (with a readable failure message)."""
    outcome, detail = verdict(lambda: build(value), arguments)
    _log(function, argument, value, outcome, detail)
    assert not outcome.startswith("bad"), f"{function}({argument}={value!r}): {outcome}: {detail}"


def corrupt(function, call, bad_values, arguments=None, max_examples=None):
    """A hypothesis test body: ``bad_values`` maps argument names to strategies of bad values; ``call(**kw)``."""
    names = sorted(bad_values)
    arguments = tuple(arguments or names)

    @given(st.sampled_from(names).flatmap(lambda n: st.tuples(st.just(n), bad_values[n])))
    def run(case):
        name, value = case
        check(function, lambda v: call(**{name: v}), name, value, arguments)

    return run if max_examples is None else settings(max_examples=max_examples)(run)


# ---------------------------------------------------------------------------------------------- transport
_rng = np.random.default_rng(0)
_X, _Y = _rng.random((12, 2)), _rng.random((10, 2))
_C = ((_X[:, None] - _Y[None]) ** 2).sum(-1)
_A, _B = np.full(12, 1 / 12), np.full(10, 1 / 10)


def _ot(solver, cost=_C, a=_A, b=_B, eps=0.05, tol=1e-8, max_steps=None, init=None):
    extra = {} if max_steps is None else ({"max_steps": max_steps} if solver is T.sinkhorn else {"max_newton_steps": max_steps})
    return solver(cost, a, b, eps=eps, tol=tol, init=init, **extra)


@pytest.mark.parametrize("solver", [T.sinkhorn, T.sns], ids=["sinkhorn", "sns"])
def test_entropic_ot(solver):
    corrupt(solver.__name__, lambda **kw: _ot(solver, **kw), {
        "cost": bad_array(_C.shape), "a": bad_array(_A.shape), "b": bad_array(_B.shape), "eps": bad_scalar(),
        "tol": bad_scalar(), "max_steps": bad_integer(),
        "init": st.sampled_from([(np.full(12, np.nan), np.zeros(10)), (np.zeros(3), np.zeros(10)), "x"]),
    }, arguments=("cost", "a", "b", "eps", "tol", "max_steps", "max_newton_steps", "init"))()


def test_wasserstein_1d():
    corrupt("wasserstein_1d", lambda x=_A * 3, y=_B, p=1.0: T.wasserstein_1d(x, None, y, None, p=p),
            {"x": bad_array((12,)), "y": bad_array((10,)), "p": bad_scalar()})()


# ---------------------------------------------------------------------------------------------- MI
_MX = _rng.normal(size=(200, 2))
_MY = _MX @ np.array([[1.0, 0.3], [0.2, 1.0]]) + _rng.normal(size=(200, 2))


def test_ksg():
    corrupt("ksg", lambda key=KEY, x=_MX, y=_MY, k=5: mi.ksg(key, x, y, k=k), {
        "key": st.sampled_from(KEYS), "x": bad_array(_MX.shape), "y": bad_array(_MY.shape), "k": bad_integer(size=True),
    })()


def test_gaussian_mi():
    corrupt("gaussian_mi", lambda x=_MX, y=_MY: mi.gaussian_mi(x, y), {"x": bad_array(_MX.shape), "y": bad_array(_MY.shape)})()


@settings(max_examples=8)
@given(st.sampled_from(["key", "x", "level"]).flatmap(
    lambda n: st.tuples(st.just(n), {"key": st.sampled_from(KEYS), "x": bad_array(_MX.shape), "level": bad_scalar()}[n])))
def test_estimate_with_ci(case):
    name, value = case
    kw = {"key": KEY, "x": _MX, "level": 0.95, name: value}
    check("estimate_with_ci", lambda v: mi.estimate_with_ci(kw["key"], kw["x"], _MY, level=kw["level"], gammas=(1, 2, 3)),
          name, value, ("key", "x", "level"))


def test_bounds():
    corrupt("infonce", lambda scores=np.eye(4): mi.infonce(scores), {"scores": bad_array((4, 4))})()


# ---------------------------------------------------------------------------------------------- quantile
_TAUS = np.array([0.1, 0.5, 0.9])
_QY = _rng.normal(size=40)
_QZ = _QY[:, None, None] + _rng.normal(size=(40, 2, 1)) + np.array([-1.28, 0.0, 1.28])


def test_scores():
    corrupt("interval_score", lambda y=_QY, lower=_QY - 1, upper=_QY + 1, alpha=0.2: Q.interval_score(y, lower, upper, alpha), {
        "y": bad_array((40,)), "lower": bad_array((40,)), "upper": bad_array((40,)), "alpha": bad_scalar(),
    })()


def test_monotonize():
    corrupt("monotonize", lambda q=_QZ[:, 0], axis=-1, method="sort": Q.monotonize(q, method, axis=axis), {
        "q": bad_array((40, 3)), "axis": bad_integer(), "method": st.sampled_from(["bogus", None, 3]),
    })()


def test_fit_aggregator():
    corrupt("fit_aggregator", lambda key=KEY, Z=_QZ, y=_QY, taus=_TAUS, steps=20, learning_rate=0.05, margin=0.0:
            Q.fit_aggregator(key, Z, y, taus, steps=steps, learning_rate=learning_rate, margin=margin), {
        "key": st.sampled_from(KEYS), "Z": bad_array(_QZ.shape), "y": bad_array((40,)), "taus": bad_array((3,)),
        "steps": bad_integer(size=True), "learning_rate": bad_scalar(), "margin": bad_scalar(),
    }, max_examples=12)()


def test_cqr_offsets():
    q = np.stack([_QY - 1.5, _QY, _QY + 1.5], axis=1)
    corrupt("cqr_offsets", lambda y_cal=_QY, q_cal=q, taus=_TAUS: Q.cqr_offsets(y_cal, q_cal, taus), {
        "y_cal": bad_array((40,)), "q_cal": bad_array((40, 3)), "taus": bad_array((3,)),
    })()


# ---------------------------------------------------------------------------------------------- sparse
_SX = _rng.normal(size=(30, 12))
_SYV = _SX[:, :2] @ np.array([1.0, -1.0]) + 0.1 * _rng.normal(size=30)


def test_lasso():
    corrupt("lasso", lambda X=_SX, y=_SYV, alpha=0.1, tol=1e-8, max_steps=1000: S.lasso(X, y, alpha, tol=tol, max_steps=max_steps), {
        "X": bad_array(_SX.shape), "y": bad_array((30,)), "alpha": bad_scalar(), "tol": bad_scalar(),
        "max_steps": bad_integer(),
    })()


def test_make_design_and_problem():
    corrupt("make_design", lambda key=KEY, n=20, d=8: S.make_design(key, "gaussian", n, d), {
        "key": st.sampled_from(KEYS), "n": bad_integer(size=True), "d": bad_integer(size=True),
    })()
    design = S.make_design(KEY, "gaussian", 20, 8)
    corrupt("make_problem", lambda key=KEY, design=design, k=2, sigma=0.5: S.make_problem(key, design, k, sigma), {
        "key": st.sampled_from(KEYS), "design": st.sampled_from(["gaussian", None, _SX]), "k": bad_integer(size=True),
        "sigma": bad_scalar(),
    })()


# ---------------------------------------------------------------------------------------------- replica theory
def test_ags_solve():
    corrupt("ags_solve", lambda alpha=0.05, beta=10.0, tol=1e-11, max_steps=100, damping=0.5:
            ags_solve(alpha, beta, tol=tol, max_steps=max_steps, damping=damping), {
        "alpha": st.one_of(bad_scalar(), st.just(np.array([0.05, 0.06]))), "beta": bad_scalar(), "tol": bad_scalar(),
        "max_steps": bad_integer(), "damping": bad_scalar(),
    })()


def test_rs_and_t0_solve():
    model, data = H.DenseHebbian(4), H.DatasetParams.from_rho(0.1)
    corrupt("rs_solve", lambda alpha=0.001, beta=100.0, tol=1e-11, max_steps=60, init=None:
            H.rs_solve(model, data, alpha, beta, init, tol=tol, max_steps=max_steps), {
        "alpha": bad_scalar(), "beta": bad_scalar(), "tol": bad_scalar(), "max_steps": bad_integer(),
        "init": bad_array((2,)),
    })()
    corrupt("t0_solve", lambda alpha=0.01, init=None: H.t0_solve(model, data, alpha, init), {
        "alpha": bad_scalar(), "init": bad_array((1,)),
    })()


def test_fp_potential():
    corrupt("potential", lambda q=0.5, T=0.6, T_ref=None: FP.potential(q, T, 3, T_ref), {
        "q": st.one_of(bad_scalar(), bad_array((3,))), "T": st.one_of(bad_scalar(), bad_array((2,))),
        "T_ref": bad_scalar(),
    })()
    corrupt("has_secondary_minimum", lambda T=0.6, points=200: FP.has_secondary_minimum(T, points=points), {
        "T": bad_scalar(), "points": bad_integer(size=True),
    })()


def test_fp_task1():
    corrupt("task1", lambda beta=20.0, alpha=1.0, max_newton_steps=40: FP.ContinualPerceptron(beta=beta).task1(
        alpha, max_newton_steps=max_newton_steps), {
        "beta": bad_scalar(), "alpha": bad_scalar(), "max_newton_steps": bad_integer(),
    }, max_examples=6)()


# ---------------------------------------------------------------------------------------------- DSD
def test_dsd():
    corrupt("DSD", lambda k=4, d=3, sigma=0.5: dsd.DSD(k, d, sigma).sample_labeled(KEY, 8), {
        "k": bad_integer(size=True), "d": bad_integer(size=True), "sigma": bad_scalar(),
    })()
    dist = dsd.DSD(4, 3, 0.5)
    params = dsd.init_params(KEY, "cnn", 4, 3, scale=1.0)
    corrupt("test_error", lambda key=KEY, arch="cnn", params=params, samples=256:
            dsd.test_error(key, arch, params, dist, samples=samples), {
        "key": st.sampled_from(KEYS), "arch": st.sampled_from(["lcn", "fcn", "rnn", None]),
        "params": st.sampled_from([dsd.init_params(KEY, "lcn", 4, 3), None, np.ones(3)]), "samples": bad_integer(size=True),
    })()
    corrupt("theory_rates", lambda k=4, d=3, sigma=0.5: dsd.theory_rates(k, d, sigma), {
        "k": bad_integer(size=True), "d": bad_integer(size=True), "sigma": bad_scalar(),
    })()
    corrupt("oracle_error", lambda b=0.5, h=4e-4: dsd.oracle_error(dist, b, h=h), {"b": bad_scalar(), "h": bad_scalar()})()
    corrupt("lsa", lambda u=np.ones(3), b=0.5: dsd.lsa(u, b), {"b": bad_scalar()})()


# ---------------------------------------------------------------------------------------------- bandits
_LOSS = bandits.LinearLoss(np.array([0.2, 0.4]), np.array([0.5, 0.3]))


def test_bandits():
    corrupt("TallyingBandit", lambda weights=np.ones(3) / 3, noise_scale=0.5:
            bandits.TallyingBandit(weights, _LOSS, noise_scale=noise_scale), {
        "weights": bad_array((3,)), "noise_scale": bad_scalar(),
    })()
    env = bandits.TallyingBandit(np.ones(3) / 3, _LOSS)
    corrupt("simulate", lambda key=KEY, horizon=50: bandits.simulate(key, env, bandits.UCB1(2), horizon), {
        "key": st.sampled_from(KEYS), "horizon": bad_integer(size=True),
    })()
    corrupt("check_reo", lambda tol=1e-12: bandits.check_reo(env, tol=tol), {"tol": bad_scalar()})()


# ---------------------------------------------------------------------------------------------- p-n criterion
def test_pn_criterion():
    x = np.random.default_rng(3).exponential(size=40)
    families = [infogeo.exponential(), infogeo.poisson(), infogeo.bernoulli(), infogeo.normal()]
    corrupt("pn_criterion", lambda family=infogeo.exponential(), x=x, eps=0.05: infogeo.pn_criterion(family, x, eps), {
        "family": st.sampled_from(families + ["normal", None]), "x": bad_array((40,)), "eps": bad_scalar(),
    })()
    fam = infogeo.normal()

    class OutsideDomain(NamedTuple):  # the documented answer: +inf when theta_q is outside the domain
        converged: bool = False

    def kl(theta_p=fam.theta_init, theta_q=fam.theta_init):
        out = infogeo.kl_divergence(fam, theta_p, theta_q)
        if np.isposinf(out) and not bool(fam.in_domain(jnp.asarray(theta_q, float))):
            return OutsideDomain()
        return out

    corrupt("kl_divergence", kl, {
        "theta_p": bad_array((2,)), "theta_q": bad_array((2,)),
    })()


# ---------------------------------------------------------------------------------------------- numerics
def test_quadrature_rules():
    corrupt("gauss_legendre", lambda order=8, lower=-1.0, upper=1.0: gauss_legendre(order, lower, upper), {
        "order": bad_integer(size=True), "lower": bad_scalar(), "upper": bad_scalar(),
    })()
    corrupt("gauss_hermite", lambda order=8: gauss_hermite(order), {"order": st.sampled_from(INTEGERS + [400, 401, 2001])})()
    corrupt("kinked_gaussian_rule", lambda kink=0.3, width=0.5: kinked_gaussian_rule(kink, width), {
        "kink": bad_scalar(), "width": bad_scalar(),
    })()


def test_root_finders():
    f = lambda x, _: x**3 - 2.0  # noqa: E731
    # x0 may be any pytree, and f decides what it accepts: only non-numbers that are not pytrees here
    starts = st.sampled_from(SCALARS + [None, "abc", 1 + 2j])
    corrupt("newton", lambda x0=jnp.asarray(1.0), tol=1e-10, max_steps=50: newton(f, x0, tol=tol, max_steps=max_steps), {
        "x0": starts, "tol": bad_scalar(), "max_steps": bad_integer(),
    })()
    g = lambda x, _: jnp.cos(x)  # noqa: E731
    corrupt("fixed_point", lambda x0=jnp.asarray(0.5), tol=1e-10, max_steps=500, damping=0.0:
            fixed_point(g, x0, tol=tol, max_steps=max_steps, damping=damping), {
        "x0": starts, "tol": bad_scalar(), "max_steps": bad_integer(), "damping": bad_scalar(),
    })()


def test_the_verdict_is_not_vacuous():
    """The classifier itself: a JAX-internal error, an unnamed message and an unflagged NaN are bad."""
    assert verdict(lambda: jnp.ones(3) + jnp.ones(4), ("x",))[0].startswith("bad")
    assert verdict(lambda: float("nan"), ("x",))[0].startswith("bad")
    assert verdict(lambda: theorylab.validation.check_positive(-1.0, "x"), ("x",))[0] == "error"
    assert verdict(lambda: theorylab.validation.check_positive(-1.0, "y"), ("x",))[0].startswith("bad")
    assert verdict(lambda: newton(lambda x, _: x**2 + 1.0, jnp.asarray(1.0), max_steps=3), ("x0",))[0] == "flagged"
