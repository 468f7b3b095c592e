"""The float policy: functions whose mathematics needs float64 refuse to run when x64 has been
switched off after importing theorylab (a subprocess, so the switch does not leak into other tests)."""

from __future__ import annotations

import subprocess
import sys

PROBE = r"""
import jax, numpy as np
import theorylab
from theorylab.statmech.ags import ags_solve
from theorylab.statmech import hebbian as H, franz_parisi as FP
import theorylab.estimators.sparse as S
import theorylab.infogeo as ig
jax.config.update("jax_enable_x64", False)
calls = {
    "ags_solve": lambda: ags_solve(0.05, 10.0),
    "rs_solve": lambda: H.rs_solve(H.DenseHebbian(4), H.DatasetParams(), 0.01, 60.0),
    "potential": lambda: FP.potential(0.3, 0.6),
    "lasso": lambda: S.lasso(np.eye(4), np.ones(4), 0.1),
    "mle": lambda: ig.mle(ig.normal(), np.array([0.0, 1.0])),
}
for name, call in calls.items():
    try:
        call()
    except RuntimeError as err:
        assert "float64" in str(err) and "jax_enable_x64" in str(err), (name, err)
        print("refused", name)
    else:
        print("ran", name)
"""


def test_float64_functions_refuse_to_run_without_x64():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                         env={**__import__("os").environ, "JAX_PLATFORMS": "cpu"})
    assert out.returncode == 0, out.stderr
    lines = out.stdout.split()
    assert lines.count("refused") == 5, out.stdout
