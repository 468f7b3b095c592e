"""Shared test configuration.

Hypothesis runs under a deterministic profile ("ci": derandomized, bounded examples, no deadline
because JAX compiles on first call) so every run of the suite sees the same examples. Set
HYPOTHESIS_PROFILE=dev locally for a randomized, longer search.
"""

import os

import jax
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
