"""The persistent compilation cache: on by default in the XDG cache directory, never overriding a
location the user chose, off on request, and used by a second process (checked through JAX's own
cache-hit monitoring event, not through time)."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import pytest

PROBE = r"""
import json, jax
from jax._src import monitoring
hits = []
monitoring.register_event_listener(lambda name, **kw: hits.append(name) if name == "/jax/compilation_cache/cache_hits" else None)
import theorylab
import theorylab.estimators.transport as T
import numpy as np
C = np.abs(np.subtract.outer(np.linspace(0, 1, 20), np.linspace(0, 1, 20)))
r = T.sinkhorn(C, eps=0.1)
print(json.dumps({"dir": jax.config.jax_compilation_cache_dir, "min": jax.config.jax_persistent_cache_min_compile_time_secs,
                  "max": jax.config.jax_compilation_cache_max_size,
                  "converged": bool(r.converged), "hits": len(hits)}))
"""


def _run(env_extra: dict, tmp_path: pathlib.Path) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("JAX_COMPILATION_CACHE_DIR", "THEORYLAB_NO_COMPILATION_CACHE", "THEORYLAB_CACHE_DIR")}
    env.update({"XDG_CACHE_HOME": str(tmp_path / "xdg"), "JAX_PLATFORMS": "cpu"}, **env_extra)
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_cache_is_on_by_default_and_a_second_process_hits_it(tmp_path):
    first = _run({}, tmp_path)
    expected = tmp_path / "xdg" / "theorylab" / "jax"
    assert pathlib.Path(first["dir"]) == expected and first["converged"]
    assert first["min"] == pytest.approx(0.05) and first["max"] == 2 * 1024**3
    assert any(expected.iterdir()), "nothing was written to the cache"
    second = _run({}, tmp_path)
    assert second["hits"] >= 1 and second["converged"]


def test_a_user_cache_location_is_never_overridden(tmp_path):
    mine = tmp_path / "mine"
    out = _run({"JAX_COMPILATION_CACHE_DIR": str(mine)}, tmp_path)
    assert pathlib.Path(out["dir"]) == mine
    assert not (tmp_path / "xdg" / "theorylab").exists()


def test_opt_out(tmp_path):
    out = _run({"THEORYLAB_NO_COMPILATION_CACHE": "1"}, tmp_path)
    assert out["dir"] in (None, "") and not (tmp_path / "xdg" / "theorylab").exists()


def test_clear_compilation_cache(tmp_path, monkeypatch):
    from theorylab import compilation_cache as cc

    directory = tmp_path / "cache"
    directory.mkdir()
    (directory / "entry").write_text("x")
    monkeypatch.setattr(cc, "compilation_cache_dir", lambda: directory)
    cc.clear_compilation_cache()
    assert directory.exists() and not any(directory.iterdir())
