"""Input validation at the public boundary.

Every public function of theorylab checks its arguments with these helpers, so that bad input
raises a ``ValueError`` or ``TypeError`` that names the argument, says what was wrong and what was
expected. Value checks (finiteness, ranges, simplex) need concrete numbers: when an argument is a
JAX tracer (the function is being traced under ``jit``/``vmap``) they are skipped and only static
properties (shape, dtype kind) are checked. Inside compiled code, solvers report a status instead.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

__all__ = [
    "is_traced",
    "as_float_array",
    "host_real_array",
    "check_finite",
    "check_key",
    "raw_key_data",
    "check_positive",
    "check_axis",
    "check_in_range",
    "check_integer",
    "check_batch_shape",
    "check_step_limit",
    "check_finite_start",
    "step_bound",
    "check_choice",
    "check_shape",
    "check_simplex",
    "check_spins",
    "float_dtype",
    "promote_float",
    "python_scalar",
    "require_x64",
]


def is_traced(x: Any) -> bool:
    """True when ``x`` is an abstract JAX value (inside ``jit``/``vmap``/``grad`` tracing)."""
    return isinstance(x, jax.core.Tracer)


def _describe(x: Any) -> str:
    if isinstance(x, (np.ndarray, jax.Array)):
        return f"an array of shape {tuple(x.shape)} and dtype {x.dtype}"
    return f"{type(x).__name__} {x!r}"[:120]


def _host_float(x: Any, name: str) -> np.ndarray:
    """``x`` as a float NumPy array, or ``TypeError`` naming ``name`` (strings, None, ragged lists...)."""
    if isinstance(x, (str, bytes)) or x is None or isinstance(x, (bool, np.bool_)):
        raise TypeError(f"`{name}` must be a real number or array of real numbers, got {_describe(x)}")
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError) as err:
        raise TypeError(f"`{name}` must be a real number or array of real numbers, got {_describe(x)} ({err})") from None
    return arr


def _got(arr: np.ndarray, bad: np.ndarray) -> str:
    """``got -1.0`` for a scalar; ``got 3 offending entries of an array of shape (5,), e.g. -1.0``."""
    if arr.ndim == 0:
        return f"got {arr.item()!r}"
    first = arr[bad].ravel()[0].item()
    return f"got {int(np.sum(bad))} offending entr{'y' if np.sum(bad) == 1 else 'ies'} in an array of shape {arr.shape}, e.g. {first!r}"


def host_real_array(x: Any, name: str) -> np.ndarray:
    """``x`` (concrete) as a NumPy array of real numbers, without a trip to the device; ``TypeError``
    naming ``name`` for strings, ``None``, ragged lists, booleans, complex or object data."""
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"`{name}` must be a real number or array of real numbers, got {_describe(x)}")
    try:
        arr = np.asarray(x)
    except Exception as err:  # ragged lists and the like
        raise TypeError(f"`{name}` could not be converted to a numeric array: {err}") from None
    if arr.dtype == bool or arr.dtype.kind not in "iuf":
        raise TypeError(f"`{name}` must be real-valued (integer or float), got dtype {arr.dtype}")
    return arr


def as_float_array(x: Any, name: str, *, ndim: int | None = None, dtype=None):
    """Convert ``x`` to a floating JAX array, checking it is numeric and has ``ndim`` dimensions.

    Booleans, strings, objects and complex numbers raise ``TypeError``; integers are promoted to
    the default float dtype (float64 when x64 is on, which importing theorylab enables).
    """
    if not is_traced(x):
        host_real_array(x, name)
    out = jnp.asarray(x)
    if not jnp.issubdtype(out.dtype, jnp.floating):
        out = out.astype(dtype or jnp.result_type(float))
    elif dtype is not None:
        out = out.astype(dtype)
    if ndim is not None and out.ndim != ndim:
        raise ValueError(
            f"`{name}` must have {ndim} dimension(s), got shape {tuple(out.shape)}"
        )
    return out


def check_finite(x: Any, name: str):
    """Raise ``ValueError`` if ``x`` holds a NaN or an infinity. Returns ``x``."""
    if is_traced(x):
        return x
    arr = np.asarray(x)
    if arr.dtype.kind in "fc" and not np.all(np.isfinite(arr)):
        n_bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(f"`{name}` must be finite, but {n_bad} entr{'y is' if n_bad == 1 else 'ies are'} NaN or infinite")
    return x


def raw_key_data(key) -> np.ndarray:
    """The raw ``uint32`` data of a typed or raw PRNG key (or a batch of them), as NumPy: the form a
    key travels in to another process (``jax.random.wrap_key_data`` turns it back into typed keys)."""
    if jnp.issubdtype(key.dtype, jax.dtypes.prng_key):
        return np.asarray(jax.random.key_data(key))
    return np.asarray(key)


def check_key(key: Any, name: str = "key"):
    """Check that ``key`` is a JAX PRNG key and return it.

    Accepts a typed key (``jax.random.key(seed)``) and a raw ``uint32[2]`` key
    (``jax.random.PRNGKey(seed)``), batched ones included (leading axes). Anything else (an int,
    ``None``, a float array, a ``uint32[3]`` array) raises ``TypeError`` naming the argument and
    showing how to make one. Under tracing only the dtype and trailing shape are checked.
    """
    if isinstance(key, (bool, np.bool_)) or isinstance(key, numbers.Integral):
        raise TypeError(
            f"`{name}` must be a JAX PRNG key, got the integer {key!r}; pass jax.random.key({key!r}) instead"
        )
    hint = "make one with jax.random.key(seed) and split it with jax.random.split"
    if key is None or not hasattr(key, "dtype") or not hasattr(key, "shape"):
        raise TypeError(f"`{name}` must be a JAX PRNG key, got {_describe(key)}; {hint}")
    if jnp.issubdtype(key.dtype, jax.dtypes.prng_key):
        return key
    if key.dtype == np.uint32 and tuple(key.shape)[-1:] == (2,):
        return key
    raise TypeError(
        f"`{name}` must be a JAX PRNG key (typed, or uint32 with last axis 2), got {_describe(key)}; {hint}"
    )


def check_positive(x: Any, name: str, *, strict: bool = True, allow_inf: bool = False):
    """Raise ``ValueError`` unless every entry of ``x`` is ``> 0`` (``>= 0`` if not strict)."""
    if is_traced(x):
        return x
    arr = _host_float(x, name)
    if np.any(np.isnan(arr)) or (not allow_inf and np.any(np.isinf(arr))):
        raise ValueError(f"`{name}` must be a finite number, got {_describe(x)}")
    ok = arr > 0 if strict else arr >= 0
    if not np.all(ok):
        bound = "> 0" if strict else ">= 0"
        raise ValueError(f"`{name}` must be {bound}, {_got(arr, ~ok)}")
    return x


def check_axis(values: Any, name: str, *, strict: bool = True) -> np.ndarray:
    """One axis of a parameter grid: a 1-D array of finite numbers ``> 0`` (``>= 0`` if not strict),
    returned as NumPy float64; ``ValueError`` naming ``name`` otherwise."""
    arr = np.asarray(as_float_array(values, name, ndim=1))
    check_finite(arr, name)
    check_positive(arr, name, strict=strict)
    return arr


def check_in_range(
    x: Any,
    name: str,
    lower: float | None = None,
    upper: float | None = None,
    *,
    closed: tuple[bool, bool] = (True, True),
):
    """Raise ``ValueError`` unless ``lower (<)<= x (<)<= upper`` entrywise.

    ``closed=(True, False)`` means the interval ``[lower, upper)``.
    """
    if is_traced(x):
        return x
    arr = _host_float(x, name)
    if np.any(np.isnan(arr)):
        raise ValueError(f"`{name}` must not be NaN")
    ok = np.ones(arr.shape, bool)
    if lower is not None:
        ok &= arr >= lower if closed[0] else arr > lower
    if upper is not None:
        ok &= arr <= upper if closed[1] else arr < upper
    if not np.all(ok):
        lo = "-inf" if lower is None else repr(lower)
        hi = "inf" if upper is None else repr(upper)
        interval = f"{'[' if closed[0] else '('}{lo}, {hi}{']' if closed[1] else ')'}"
        raise ValueError(f"`{name}` must lie in {interval}, {_got(arr, ~ok)}")
    return x


def check_integer(x: Any, name: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return ``x`` as a Python ``int``; ``TypeError`` for non-integers, ``ValueError`` out of range.

    Accepts Python and NumPy integers and integral floats such as ``3.0``; rejects ``True``.
    """
    if isinstance(x, bool) or isinstance(x, np.bool_):
        raise TypeError(f"`{name}` must be an integer, got bool {x!r}")
    if isinstance(x, numbers.Integral):
        value = int(x)
    elif isinstance(x, numbers.Real) and float(x).is_integer():
        value = int(x)
    elif isinstance(x, (np.ndarray, jax.Array)) and np.ndim(x) == 0 and not is_traced(x):
        return check_integer(np.asarray(x).item(), name, minimum=minimum, maximum=maximum)
    else:
        raise TypeError(f"`{name}` must be an integer, got {_describe(x)}")
    if minimum is not None and value < minimum:
        raise ValueError(f"`{name}` must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"`{name}` must be <= {maximum}, got {value}")
    return value


def check_step_limit(x: Any, name: str = "max_steps", *, minimum: int = 1):
    """A step limit that may be traced: a concrete value is checked like :func:`check_integer` and
    returned as a Python ``int``; a traced integer scalar (inside ``jit``, where the eager entry point
    has checked it) is returned unchanged, so that changing the limit compiles nothing new."""
    if is_traced(x):
        if jnp.ndim(x) != 0 or not jnp.issubdtype(jnp.result_type(x), jnp.integer):
            raise TypeError(f"`{name}` must be an integer scalar, got {_describe(x)}")
        return x
    return check_integer(x, name, minimum=minimum)


def check_finite_start(x0: Any, name: str = "x0") -> None:
    """A solver's starting point (any pytree) must be finite when it is concrete; traced starting
    points are the caller's responsibility (the solver then reports ``NONFINITE``)."""
    leaves = jax.tree.leaves(x0)
    if not leaves:
        raise TypeError(f"`{name}` must be an array (or a pytree of arrays) of starting values, got {_describe(x0)}")
    for i, leaf in enumerate(leaves):
        if not is_traced(leaf):
            arr = np.asarray(leaf) if isinstance(leaf, (np.ndarray, jax.Array)) else _host_float(leaf, name)
            if arr.dtype.kind not in "iufc":
                raise TypeError(f"`{name}` must hold real numbers, got {_describe(leaf)}")
            bad = int(np.sum(~np.isfinite(arr))) if arr.dtype.kind in "fc" else 0
            if bad:
                where = name if len(leaves) == 1 else f"{name} (leaf {i})"
                raise ValueError(f"`{where}` must be finite: the starting point holds {bad} NaN or infinite "
                                 f"entr{'y' if bad == 1 else 'ies'}")


def step_bound(max_steps: int, *, minimum: int = 16) -> int:
    """The static loop bound for a traced step limit: the next power of two ``>= max_steps`` (at
    least ``minimum``), so that limits in one octave share a compiled program."""
    return max(int(minimum), 1 << (int(max_steps) - 1).bit_length())


def check_batch_shape(shape: Any, name: str = "batch_shape") -> tuple[int, ...]:
    """Return ``shape`` as a tuple of Python ints, each ``>= 1`` (``()`` for no batch)."""
    return tuple(check_integer(b, name, minimum=1) for b in tuple(shape))


def check_choice(x: Any, name: str, choices: Iterable[Any]):
    """Raise ``ValueError`` unless ``x`` is one of ``choices``. Returns ``x``."""
    choices = tuple(choices)
    if x not in choices:
        raise ValueError(f"`{name}` must be one of {', '.join(map(repr, choices))}; got {x!r}")
    return x


def check_shape(x: Any, name: str, expected: Sequence[int | None]):
    """Raise ``ValueError`` unless ``x.shape`` matches ``expected`` (``None`` = any length)."""
    shape = tuple(np.shape(x))
    if len(shape) != len(expected) or any(e is not None and s != e for s, e in zip(shape, expected)):
        pretty = "(" + ", ".join("*" if e is None else str(e) for e in expected) + (",)" if len(expected) == 1 else ")")
        raise ValueError(f"`{name}` must have shape {pretty}, got {shape}")
    return x


def check_simplex(p: Any, name: str, *, axis: int = -1, atol: float = 1e-8):
    """Raise ``ValueError`` unless ``p`` is non-negative and sums to one along ``axis``."""
    if is_traced(p):
        return p
    arr = np.asarray(p, dtype=float)
    check_finite(arr, name)
    if np.any(arr < 0):
        raise ValueError(f"`{name}` must be a probability vector: it has negative entries (minimum {arr.min()!r})")
    sums = arr.sum(axis=axis)
    if not np.allclose(sums, 1.0, rtol=0.0, atol=atol):
        worst = float(np.max(np.abs(sums - 1.0)))
        raise ValueError(
            f"`{name}` must sum to 1 along axis {axis} (tolerance {atol:g}); the worst sum is off by {worst:.3e}"
        )
    return p


def check_spins(s: Any, name: str):
    """Raise ``ValueError`` unless every entry of ``s`` is ``+1`` or ``-1``."""
    if is_traced(s):
        return s
    arr = np.asarray(s)
    if not np.all((arr == 1) | (arr == -1)):
        raise ValueError(f"`{name}` must contain only +1 and -1 entries")
    return s


def float_dtype(dtype: Any, name: str = "dtype"):
    """The float policy's dtype: ``None`` is the default float (float64 under theorylab), anything
    else must be a floating dtype (``TypeError`` naming ``name`` otherwise)."""
    out = jnp.dtype(jnp.result_type(float) if dtype is None else dtype)
    if not jnp.issubdtype(out, jnp.floating):
        raise TypeError(f"`{name}` must be a floating dtype (float32 or float64), got {out}")
    return out


def python_scalar(value: Any) -> Any:
    """NumPy and 0-d JAX scalars become Python numbers; anything else is returned unchanged.

    Used as the converter of static configuration fields (frozen ``equinox.Module`` configs), which
    must hold plain hashable values.
    """
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0 and not is_traced(value):
        return value.item()
    return value


def promote_float(*arrays: Any):
    """Convert arrays to one common floating dtype, never narrower than the default float
    (float64 under theorylab). Returns a tuple."""
    dtype = jnp.promote_types(jnp.result_type(*[jnp.asarray(a).dtype for a in arrays]), jnp.dtype(float))
    return tuple(jnp.asarray(a, dtype=dtype) for a in arrays)


def require_x64(what: str) -> None:
    """Raise ``RuntimeError`` if JAX's 64-bit mode is off (``what`` names the computation that needs it).

    Importing theorylab turns float64 on; this catches code that turned it off again.
    """
    if not jax.config.jax_enable_x64:
        raise RuntimeError(
            f"{what} needs float64, but jax_enable_x64 is off; call "
            "jax.config.update('jax_enable_x64', True) (importing theorylab does this)"
        )
