"""Input validation: every helper names the argument and says what was expected."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from theorylab import validation as v


def test_as_float_array_promotes_integers_and_checks_ndim():
    out = v.as_float_array([1, 2, 3], "x", ndim=1)
    assert out.dtype == jnp.float64 and out.shape == (3,)
    with pytest.raises(ValueError, match=r"`x` must have 2 dimension"):
        v.as_float_array([1.0, 2.0], "x", ndim=2)


@pytest.mark.parametrize("bad", ["abc", None, [True, False], np.array([1 + 2j]), [[1, 2], [3]]])
def test_as_float_array_rejects_non_real(bad):
    with pytest.raises(TypeError, match=r"`data`"):
        v.as_float_array(bad, "data")


def test_check_finite_counts_bad_entries():
    with pytest.raises(ValueError, match=r"`w` must be finite, but 2 entries"):
        v.check_finite(np.array([1.0, np.nan, np.inf]), "w")
    v.check_finite(np.array([1.0, 2.0]), "w")


def test_check_positive_strict_and_not():
    with pytest.raises(ValueError, match=r"`beta` must be > 0"):
        v.check_positive(0.0, "beta")
    v.check_positive(0.0, "alpha", strict=False)
    with pytest.raises(ValueError, match=r"`alpha` must be >= 0"):
        v.check_positive(-1e-9, "alpha", strict=False)
    with pytest.raises(ValueError, match=r"finite"):
        v.check_positive(np.inf, "beta")
    v.check_positive(np.inf, "beta", allow_inf=True)


def test_check_in_range_reports_interval():
    with pytest.raises(ValueError, match=r"`damping` must lie in \[0.0, 1.0\)"):
        v.check_in_range(1.0, "damping", 0.0, 1.0, closed=(True, False))
    v.check_in_range(0.999, "damping", 0.0, 1.0, closed=(True, False))
    with pytest.raises(ValueError, match="NaN"):
        v.check_in_range(float("nan"), "r", 0.0, 1.0)


def test_check_integer():
    assert v.check_integer(3.0, "n") == 3
    assert v.check_integer(np.int64(4), "n") == 4
    assert v.check_integer(jnp.asarray(5), "n") == 5
    with pytest.raises(TypeError, match=r"`n` must be an integer, got bool"):
        v.check_integer(True, "n")
    with pytest.raises(TypeError, match=r"`n` must be an integer"):
        v.check_integer(2.5, "n")
    with pytest.raises(ValueError, match=r"`n` must be >= 2, got 1"):
        v.check_integer(1, "n", minimum=2)


def test_check_choice_lists_options():
    with pytest.raises(ValueError, match=r"`method` must be one of 'a', 'b'; got 'c'"):
        v.check_choice("c", "method", ("a", "b"))


def test_check_shape_with_wildcards():
    v.check_shape(np.zeros((3, 4)), "patterns", (None, 4))
    with pytest.raises(ValueError, match=r"`patterns` must have shape \(\*, 5\), got \(3, 4\)"):
        v.check_shape(np.zeros((3, 4)), "patterns", (None, 5))


def test_check_simplex():
    v.check_simplex(np.array([[0.2, 0.8], [1.0, 0.0]]), "p")
    with pytest.raises(ValueError, match=r"`p` must sum to 1"):
        v.check_simplex(np.array([0.2, 0.7]), "p")
    with pytest.raises(ValueError, match=r"negative"):
        v.check_simplex(np.array([-0.1, 1.1]), "p")


def test_check_spins():
    v.check_spins(np.array([1, -1, 1]), "sigma")
    with pytest.raises(ValueError, match=r"`sigma` must contain only \+1 and -1"):
        v.check_spins(np.array([1, 0, -1]), "sigma")


def test_value_checks_are_skipped_under_tracing():
    @jax.jit
    def f(x):
        v.check_positive(x, "x")
        v.check_finite(x, "x")
        return x * 2

    assert float(f(-1.0)) == -2.0  # no concrete value to check: compiled code reports status instead


def test_promote_float():
    a, b = v.promote_float(np.arange(3), np.ones(2, np.float32))
    assert a.dtype == b.dtype == jnp.float64
