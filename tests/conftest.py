"""Shared test configuration.

Hypothesis runs under a deterministic profile ("ci": derandomized, bounded examples, no deadline
because JAX compiles on first call) so every run of the suite sees the same examples. Set
HYPOTHESIS_PROFILE=dev locally for a randomized, longer search.
"""

import gc
import os

import jax
import pytest
from hypothesis import HealthCheck, settings

import theorylab  # noqa: F401  (turns on float64)

settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=25,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

assert jax.config.jax_enable_x64, "theorylab must enable float64 on import"


@pytest.fixture(autouse=True, scope="module")
def _release_compiled_programs():
    """Drop JAX's compiled programs after each test module.

    Every jitted shape keeps an XLA:CPU executable (and its LLVM code mappings) alive for the life of
    the process. Without this, one xdist worker grew to 11 GB and ~50,000 memory mappings (the
    kernel's limit is 65,530), and LLVM crashed it with a segmentation fault while compiling
    (CI, test_transport_cost_monotone_in_eps; reproduced locally). With it the workers stayed under
    10,300 mappings over the whole suite. Modules share almost no programs, so clearing costs little.
    """
    yield
    jax.clear_caches()
    gc.collect()
