"""SNS's default switching rule: it finishes where the old fixed N1 did not, Newton starts only where
it pays, a linearly converging Newton hands back to Sinkhorn, budgets say which stage ran out, and
the suite runs through the sweep primitive.

Independent checks: every "converged" is backed by the L1 marginal error recomputed here from the
returned plan; values against POT's log-domain Sinkhorn run in the same test; the suite run on a
process pool against the in-process run.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing

import jax
import jax.numpy as jnp
import numpy as np
import ot as pot
import pytest

from theorylab.estimators import transport as T
from theorylab.numerics import Status


def _l1(r, a, b):
    P = np.asarray(r.plan)
    return np.abs(P.sum(1) - a).sum() + np.abs(P.sum(0) - b).sum()


@pytest.mark.parametrize("p", [1.0, 2.0])
def test_one_d_densities_finish_with_defaults(p):
    """Issue case: |x - y| at eps = 1e-3 stopped at MAX_STEPS with the old N1 = 20 + 50 Newton steps."""
    inst = T.datasets.densities_1d(200, p)
    r = T.sns(inst.cost, inst.a, inst.b, eps=1e-3)
    assert bool(r.converged) and _l1(r, inst.a, inst.b) <= 1e-8
    ref = pot.sinkhorn(inst.a, inst.b, inst.cost, 1e-3, method="sinkhorn_log", stopThr=1e-13, numItermax=100_000)
    assert float(r.transport_cost) == pytest.approx(float(np.sum(ref * inst.cost)), rel=1e-6)


def test_digits_l1_finishes_with_defaults():
    """Issue case: the safety claim's instance needed max_newton=300 by hand."""
    inst = T.datasets.digits_pair()
    r = T.sns(inst.cost, inst.a, inst.b, eps=1 / 1200)
    assert bool(r.converged) and _l1(r, inst.a, inst.b) <= 1e-8


def test_newton_starts_where_sinkhorn_is_slow_and_not_where_it_is_fast():
    slow = T.datasets.random_assignment(jax.random.key(0), 300)
    r = T.sns(slow.cost, eps=1 / 1200)
    plain = T.sinkhorn(slow.cost, eps=1 / 1200, max_steps=500)
    assert not bool(plain.converged)  # Sinkhorn is slow here (independent: the plain solver)
    assert bool(r.converged) and 0 < int(r.newton_steps) <= 20 and int(r.sinkhorn_steps) < 100
    assert _l1(r, slow.a, slow.b) <= 1e-8
    fast = T.datasets.random_assignment(jax.random.key(0), 300)
    r = T.sns(fast.cost, eps=1 / 50)
    assert bool(r.converged) and int(r.newton_steps) == 0 and int(r.last_stage) == 1
    np.testing.assert_allclose(r.plan, T.sinkhorn(fast.cost, eps=1 / 50, tol=1e-12).plan, atol=1e-9 / 300)


def test_a_linearly_converging_newton_hands_back_to_sinkhorn():
    """Four entries per row of a spread-out plan: the sparsified Hessian is truncated, Newton converges
    only linearly, and the rule returns to Sinkhorn, which finishes."""
    inst = T.datasets.point_clouds(jax.random.key(1), 300)
    r = T.sns(inst.cost, eps=1e-2, max_row_nnz=4)
    assert int(r.newton_steps) >= 10 and int(r.last_stage) == 1
    assert bool(r.converged) and _l1(r, inst.a, inst.b) <= 1e-8
    e = np.asarray(r.errors)
    assert np.isfinite(e[: int(r.num_steps)]).all() and np.isnan(e[int(r.num_steps):]).all()


def test_budgets_say_which_stage_ran_out():
    inst = T.datasets.random_assignment(jax.random.key(0), 200)
    r = T.sns(inst.cost, eps=1 / 5000, max_newton_steps=2)
    assert int(r.status) == int(Status.MAX_STEPS) and not bool(r.converged)
    assert "Newton budget ran out after 2 steps" in r.message
    r = T.sns(inst.cost, eps=1 / 5000, max_sinkhorn_steps=15)  # the budget ends stage 1 before the rule can
    assert int(r.sinkhorn_steps) == 15 and (bool(r.converged) or "Newton" in r.message)
    pts = T.datasets.point_clouds(jax.random.key(1), 300)
    r = T.sns(pts.cost, eps=1e-2, max_row_nnz=4, max_sinkhorn_steps=60)
    assert not bool(r.converged) and int(r.last_stage) == 1
    assert "the Sinkhorn budget ran out after 60 sweeps in all" in r.message and "handed back" in r.message


def test_default_vmaps_over_problems():
    Cs = jnp.stack([T.datasets.random_assignment(jax.random.key(s), 60).cost for s in range(3)])
    batched = jax.jit(jax.vmap(lambda C: T.sns(C, eps=1 / 300)))(Cs)
    for i in range(3):
        one = T.sns(Cs[i], eps=1 / 300)
        assert bool(batched.converged[i]) and bool(one.converged)
        np.testing.assert_allclose(batched.plan[i], one.plan, atol=1e-9 / 60)


def test_suite_cases_and_solve_suite_on_a_process_pool(tmp_path):
    quick = T.datasets.benchmark_suite("quick")
    assert len({c.name for c in quick}) == len(quick)
    assert {c.family for c in quick} == {"assignment", "points", "densities", "digits", "random costs",
                                         "skewed marginals"}
    skewed = [c for c in quick if c.family == "skewed marginals"][0].instance
    assert skewed.a.min() < 1e-8 and skewed.a.min() > 0 and abs(skewed.a.sum() - 1) < 1e-12
    cases = [T.datasets.OTCase(T.datasets.densities_1d(100, 2.0), 1e-2, "densities", False),
             T.datasets.OTCase(T.datasets.random_costs(jax.random.key(3), 60, 40), 1e-2, "random costs", False)]
    ref = T.datasets.solve_suite(cases, checkpoint=tmp_path)
    assert ref.converged.all() and (ref.marginal_error <= 1e-8).all()
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        out = T.datasets.solve_suite(cases, executor=pool)
    for field in ("converged", "marginal_error", "sinkhorn_steps", "newton_steps", "status"):
        assert np.array_equal(getattr(ref, field), getattr(out, field))
    with pytest.raises(TypeError, match="`cases`"):
        T.datasets.solve_suite([1, 2])
