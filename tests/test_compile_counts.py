"""Changing only a number (a tolerance, a step limit, a level) must not compile anything new.

Counted with JAX's own monitoring: every backend compilation (or persistent-cache load) of a jitted
program records the event ``/jax/core/compile/backend_compile_duration``. Each test warms a headline
function up, then calls it again with only such numbers changed and counts the events. This tests
behaviour, not time.
"""

from __future__ import annotations

import contextlib

import jax
import numpy as np
import pytest
from jax._src import monitoring

import theorylab  # noqa: F401  (x64)

COMPILE_EVENT = "/jax/core/compile/backend_compile_duration"


@contextlib.contextmanager
def count_compiles():
    events = []

    def listener(name, duration, **kwargs):
        if name == COMPILE_EVENT:
            events.append(kwargs.get("fun_name", "?"))

    monitoring.register_event_duration_secs_listener(listener)
    try:
        yield events
    finally:
        monitoring.unregister_event_duration_listener(listener)


def _assert_no_new_compiles(first, *others):
    first()  # warm up: compile
    with count_compiles() as events:
        for call in others:
            call()
    assert events == [], f"recompiled {events}"


def _ot_problem(n=30):
    x = np.linspace(0.0, 1.0, n)
    C = (x[:, None] - x[None, :]) ** 2
    return C


def test_sinkhorn_tol_and_max_steps():
    import theorylab.estimators.transport as T

    C = _ot_problem()
    _assert_no_new_compiles(
        lambda: T.sinkhorn(C, eps=0.05, tol=1e-8, max_steps=1000),
        lambda: T.sinkhorn(C, eps=0.05, tol=2e-8, max_steps=1000),
        lambda: T.sinkhorn(C, eps=0.05, tol=1e-9, max_steps=700),  # same 1024-slot trace buffer
        lambda: T.sinkhorn(C, eps=0.07, tol=1e-9, max_steps=900),  # eps is data too
    )


def test_lasso_tol_and_max_steps():
    import theorylab.estimators.sparse as S

    p = S.make_problem(jax.random.key(0), S.make_design(jax.random.key(1), "gaussian", 40, 12), 3, 0.5)
    X, y = np.asarray(p.X), np.asarray(p.y)
    S.lasso_path(X, y, tol=1e-8, max_steps=1000)
    _assert_no_new_compiles(
        lambda: S.lasso(X, y, 0.1, tol=1e-8, max_steps=1000),
        lambda: S.lasso(X, y, 0.05, tol=1e-10, max_steps=500),
        lambda: S.lasso_path(X, y, tol=1e-6, max_steps=300),
    )


def test_sns_tol():
    import theorylab.estimators.transport as T

    C = _ot_problem()
    _assert_no_new_compiles(
        lambda: T.sns(C, eps=0.05, tol=1e-8),
        lambda: T.sns(C, eps=0.05, tol=3e-9),
        lambda: T.sns(C, eps=0.02, tol=1e-7),
        # the switching rule's numbers, the stage budgets and every other number are traced too
        # (buffers: the next power of two above the budgets)
        lambda: T.sns(C, eps=0.05, max_sinkhorn_steps=4000, max_newton_steps=300, basin=0.2, newton_cost=12.0,
                      mass_tol=0.05, shift=2.0, cg_max_steps=500),
    )
    # the paper's fixed N1 is another program (a choice of algorithm); within it, numbers are traced
    _assert_no_new_compiles(
        lambda: T.sns(C, eps=0.05, sinkhorn_steps=20),
        lambda: T.sns(C, eps=0.05, sinkhorn_steps=30, max_newton_steps=400, sinkhorn_extend=200, mass_tol=0.05,
                      shift=2.0, cg_max_steps=500),
    )


def test_replica_solvers_tol_and_damping():
    from theorylab.statmech import hebbian as H
    from theorylab.statmech.ags import ags_solve

    model, data = H.DenseHebbian(4), H.DatasetParams.from_rho(0.1)
    _assert_no_new_compiles(
        lambda: (ags_solve(0.05, 10.0, tol=1e-11), ags_solve(0.05, 10.0, solver="picard", damping=0.5)),
        lambda: ags_solve(0.05, 12.0, tol=1e-9),
        lambda: ags_solve(0.06, 10.0, solver="picard", damping=0.2, tol=1e-9),
    )
    H.rs_solve(model, data, 0.001, 100.0)
    _assert_no_new_compiles(
        lambda: H.rs_solve(model, data, 0.001, 100.0, tol=1e-11),
        lambda: H.rs_solve(model, data, 0.002, 90.0, tol=1e-9),
    )


def test_interval_levels():
    import theorylab.estimators.mutual_information as mi

    x = np.random.default_rng(0).normal(size=(300, 1))
    y = x + np.random.default_rng(1).normal(size=(300, 1))
    est = mi.gaussian_mi(x, y)
    _assert_no_new_compiles(
        lambda: est.confidence_interval(0.95),
        lambda: est.confidence_interval(0.5),
        lambda: mi.gaussian_mi(x * 2.0, y),
    )


def test_the_counter_sees_a_real_recompilation():
    """Not vacuous: a new shape is counted."""
    import theorylab.estimators.transport as T

    T.sinkhorn(_ot_problem(20), eps=0.05)
    with count_compiles() as events:
        T.sinkhorn(_ot_problem(21), eps=0.05)
    assert events, "a new shape should compile"


def test_newton_step_limit_is_traced():
    """numerics.newton: optimistix needs a static loop bound, so the limit is traced under a
    power-of-two bound; the result equals optimistix's own at every limit (checked here)."""
    import jax.numpy as jnp
    import optimistix as optx

    from theorylab.numerics import Status, newton

    f = lambda x, _: x**3 - 2.0  # noqa: E731
    for limit in (1, 3, 5, 6, 9):
        ours = newton(f, jnp.asarray(1.0), max_steps=limit)
        peer = optx.root_find(f, optx.Newton(rtol=1e-10, atol=1e-10), jnp.asarray(1.0), max_steps=limit, throw=False)
        assert float(ours.value) == float(peer.value)
        assert int(ours.num_steps) == int(peer.stats["num_steps"])
        assert (int(ours.status) == int(Status.SUCCESS)) == bool(peer.result == optx.RESULTS.successful)
    solve = jax.jit(lambda m: newton(f, jnp.asarray(1.0), max_steps=m, max_steps_bound=64))
    _assert_no_new_compiles(lambda: solve(3), lambda: solve(40), lambda: solve(7))


def test_replica_solvers_step_limits():
    from theorylab.statmech import hebbian as H
    from theorylab.statmech.ags import ags_solve

    _assert_no_new_compiles(
        lambda: (ags_solve(0.05, 10.0, max_steps=100), ags_solve(0.05, 10.0, solver="anderson", max_steps=5000)),
        lambda: ags_solve(0.05, 10.0, max_steps=70),  # same octave as 100: one program
        lambda: ags_solve(0.05, 10.0, solver="anderson", max_steps=300),  # a while_loop: any limit
    )
    model, data = H.DenseHebbian(4), H.DatasetParams.from_rho(0.1)
    _assert_no_new_compiles(
        lambda: H.rs_solve(model, data, 0.001, 100.0, max_steps=60),
        lambda: H.rs_solve(model, data, 0.001, 100.0, max_steps=40, warmup=10),
    )
    _assert_no_new_compiles(
        lambda: H.t0_solve(model, data, 0.01),
        lambda: H.t0_solve(model, data, 0.012, tol=1e-11, max_steps=80),
    )


def test_franz_parisi_task1_temperature_and_budget():
    from theorylab.statmech import franz_parisi as FP

    _assert_no_new_compiles(
        lambda: FP.ContinualPerceptron(beta=20.0).task1(1.0),
        lambda: FP.ContinualPerceptron(beta=15.0).task1(1.2),  # beta is data
        lambda: FP.ContinualPerceptron(beta=20.0).task1(1.0, max_newton_steps=50, warm_steps=10, step_size=0.5),
    )


def test_aggregator_learning_rate_and_weight_decay():
    import theorylab.estimators.quantile as Q

    rng = np.random.default_rng(0)
    y = rng.normal(size=60)
    Z = y[:, None, None] + rng.normal(size=(60, 2, 1)) + np.array([-1.0, 0.0, 1.0])
    taus = np.array([0.2, 0.5, 0.8])
    key = jax.random.key(0)
    _assert_no_new_compiles(
        lambda: Q.fit_aggregator(key, Z, y, taus, steps=50),
        lambda: Q.fit_aggregator(key, Z, y, taus, steps=50, learning_rate=0.01, weight_decay=1e-3),
        lambda: Q.fit_aggregator(key, Z, y, taus, steps=50, crossing_weight=0.5, margin=0.1),
    )


def test_monte_carlo_risk_few_programs():
    """The MC risk pads n to the next power of two (masked means) and runs equal batches: a sweep
    over n within one octave, and a replicate count that is not a multiple of the batch, compile
    nothing new."""
    from theorylab import infogeo

    fam = infogeo.normal()
    sampler = lambda k, shape: jax.random.normal(k, shape)  # noqa: E731
    theta = fam.theta_init
    _assert_no_new_compiles(
        lambda: infogeo.risk_monte_carlo(jax.random.key(0), fam, sampler, 40, 200, theta_star=theta, batch=100),
        lambda: infogeo.risk_monte_carlo(jax.random.key(1), fam, sampler, 50, 250, theta_star=theta, batch=100),
        lambda: infogeo.risk_monte_carlo(jax.random.key(2), fam, sampler, 33, 120, theta_star=theta, batch=100),
    )
