"""Every symbolic check in proofs_checks/ must hold."""

import pytest

from theorylab.proofs_checks import all_checks


@pytest.mark.parametrize("name,check", all_checks(), ids=[n for n, _ in all_checks()])
def test_symbolic_check(name, check):
    result = check()
    assert result.ok, f"{name}: {result.detail}"
