"""Fixed-point iteration and Newton against problems with known solutions."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import optimize

from theorylab.numerics import ConvergenceError, Status, fixed_point, newton

DOTTIE = optimize.brentq(lambda x: np.cos(x) - x, 0.0, 1.0)  # independent root of cos x = x


@pytest.mark.parametrize("method", ["picard", "anderson"])
def test_fixed_point_of_cosine(method):
    sol = fixed_point(lambda x, _: jnp.cos(x), jnp.array(1.0), method=method, tol=1e-13)
    assert int(sol.status) == Status.SUCCESS
    assert float(sol.value) == pytest.approx(DOTTIE, abs=1e-12)
    assert float(sol.residual) <= 1e-13 * (1 + abs(float(sol.value)))  # the stopping rule


def _linear_problem(n=6, seed=0, rho=0.95):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(n, n))
    A *= rho / np.max(np.abs(np.linalg.eigvals(A)))
    b = rng.normal(size=n)
    return A, b, np.linalg.solve(np.eye(n) - A, b)  # x = A x + b


def test_anderson_beats_picard_on_a_slow_linear_contraction():
    A, b, x_star = _linear_problem()
    g = lambda x, args: args[0] @ x + args[1]
    args = (jnp.asarray(A), jnp.asarray(b))
    pic = fixed_point(g, jnp.zeros(6), args, method="picard", tol=1e-11, max_steps=20000)
    aa = fixed_point(g, jnp.zeros(6), args, method="anderson", memory=6, tol=1e-11)
    for sol in (pic, aa):
        assert sol.converged
        np.testing.assert_allclose(np.asarray(sol.value), x_star, atol=1e-9)
    assert int(aa.num_steps) * 5 < int(pic.num_steps)


def test_damping_is_applied_exactly():
    # x -> -x has the fixed point 0; undamped Picard oscillates forever, damping 0.5 lands in one step
    g = lambda x, _: -x
    undamped = fixed_point(g, jnp.array(1.0), method="picard", max_steps=50)
    assert int(undamped.status) == Status.MAX_STEPS and not bool(undamped.converged)
    damped = fixed_point(g, jnp.array(1.0), method="picard", damping=0.5)
    assert bool(damped.converged) and int(damped.num_steps) == 2
    assert float(damped.value) == 0.0


def test_nonfinite_iteration_is_reported():
    sol = fixed_point(lambda x, _: jnp.log(x - 2.0), jnp.array(1.0), method="picard")
    assert int(sol.status) == Status.NONFINITE


def test_fixed_point_on_a_pytree_and_under_vmap_and_jit():
    def g(state, c):
        return {"a": jnp.cos(state["a"]) * c, "b": 0.5 * state["b"] + 1.0}

    solve = jax.jit(jax.vmap(lambda c: fixed_point(g, {"a": jnp.array(0.3), "b": jnp.array(0.0)}, c, tol=1e-12)))
    cs = jnp.array([0.5, 1.0])
    sol = solve(cs)
    assert np.all(np.asarray(sol.converged))
    for c, a in zip(np.asarray(cs), np.asarray(sol.value["a"])):
        assert a == pytest.approx(optimize.brentq(lambda x: c * np.cos(x) - x, -2, 2), abs=1e-10)
    np.testing.assert_allclose(np.asarray(sol.value["b"]), 2.0, atol=1e-10)


def test_throw_raises_and_raise_if_failed():
    with pytest.raises(Exception, match="did not converge"):
        fixed_point(lambda x, _: -x, jnp.array(1.0), method="picard", max_steps=5, throw=True)
    sol = fixed_point(lambda x, _: -x, jnp.array(1.0), method="picard", max_steps=5)
    with pytest.raises(ConvergenceError, match="maximum number of steps"):
        sol.raise_if_failed("toy map")


@pytest.mark.parametrize(
    "kwargs,match",
    [({"damping": 1.0}, r"`damping` must lie in \[0.0, 1.0\)"), ({"method": "newton"}, r"`method` must be one of"),
     ({"memory": 0}, r"`memory` must be >= 1"), ({"max_steps": 0}, r"`max_steps` must be >= 1")],
)
def test_fixed_point_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        fixed_point(lambda x, _: x, jnp.array(1.0), **kwargs)


@given(st.floats(0.05, 0.9), st.floats(-5, 5))
def test_fixed_point_of_affine_map_property(slope, shift):
    sol = fixed_point(lambda x, a: a[0] * x + a[1], jnp.array(0.0), (slope, shift), tol=1e-12)
    assert bool(sol.converged)
    assert float(sol.value) == pytest.approx(shift / (1 - slope), abs=1e-10 * max(1, abs(shift / (1 - slope))))


def test_newton_known_roots():
    sol = newton(lambda x, a: x**2 - a, jnp.array(1.0), 2.0)
    assert bool(sol.converged) and float(sol.value) == pytest.approx(np.sqrt(2.0), abs=1e-14)
    # a 2-D system with the root (1, 2): x^2 + y^2 = 5, x y = 2
    F = lambda v, _: jnp.stack([v[0] ** 2 + v[1] ** 2 - 5.0, v[0] * v[1] - 2.0])
    sol = newton(F, jnp.array([0.8, 2.5]))
    np.testing.assert_allclose(np.asarray(sol.value), [1.0, 2.0], atol=1e-12)
    assert float(sol.residual) < 1e-12


def test_newton_reports_failure_without_a_root():
    sol = newton(lambda x, _: x**2 + 1.0, jnp.array(0.5), max_steps=30)
    assert not bool(sol.converged)
    assert int(sol.status) != Status.SUCCESS
    with pytest.raises(Exception, match="did not converge"):
        newton(lambda x, _: x**2 + 1.0, jnp.array(0.5), max_steps=30, throw=True)


@given(st.floats(0.1, 50.0))
def test_newton_vmaps_and_matches_closed_form(a):
    sols = jax.vmap(lambda c: newton(lambda x, cc: x**3 - cc, jnp.array(1.0), c))(jnp.array([a, 2 * a]))
    assert np.all(np.asarray(sols.converged))
    np.testing.assert_allclose(np.asarray(sols.value), np.cbrt([a, 2 * a]), rtol=1e-12)


def test_residual_tol_rejects_loose_solutions():
    # optimistix stops on the step size; requiring a residual below 1e-300 cannot be met
    sol = newton(lambda x, _: x**2 - 2.0, jnp.array(1.0), residual_tol=1e-300)
    assert int(sol.status) == Status.FAILED
