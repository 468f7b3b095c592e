"""Every registered claim, at its quick size, must be reproduced."""

import jax
import pytest

from theorylab.claims import Verdict, all_claims, run_claim


@pytest.fixture(autouse=True)
def _release_compiled_programs_per_claim():
    """Claims share no compiled programs: drop them after each one (see conftest.py)."""
    yield
    jax.clear_caches()


@pytest.mark.parametrize("claim", [c for c in all_claims() if not c.full_only], ids=lambda c: c.id)
def test_quick_claim_is_reproduced(claim):
    result = run_claim(jax.random.key(0), claim, size="quick")
    assert result.verdict is Verdict.REPRODUCED, (
        f"{claim.id}: {result.verdict.value}; expected {claim.describe_expected()}; "
        f"measured {result.describe_measured()}\n{result.notes}"
    )


@pytest.mark.slow
@pytest.mark.parametrize("claim", all_claims(), ids=lambda c: c.id)
def test_full_claim_is_reproduced(claim):
    result = run_claim(jax.random.key(0), claim, size="full")
    assert result.verdict is Verdict.REPRODUCED, f"{claim.id}: measured {result.describe_measured()}"
