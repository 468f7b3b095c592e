"""theorylab.sweeps: grid order, per-point keys from the grid index, bit-identical results in-process,
on a process pool, on a real Dask cluster and sharded over host devices, and checkpoints that
resume with only the missing chunks computed."""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import theorylab  # noqa: F401
from theorylab.statmech.ags import ags_solve
from theorylab.sweeps import SweepEvent, product_grid, sweep


def ags_point(point):
    """One point of the AGS phase diagram (module level: picklable for other processes)."""
    s = ags_solve(point["alpha"], point["beta"])
    return {"m": s.m, "q": s.q, "converged": s.converged}


def noisy_point(key, point):
    return point["x"] + jax.random.normal(key, (3,))


GRID = product_grid(alpha=np.linspace(0.01, 0.15, 5), beta=np.array([2.0, 5.0, 10.0, 20.0]))


def _equal(a, b):
    return all(np.array_equal(x, y) for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)))


def test_grid_order_and_values_match_the_solver_point_by_point():
    out = sweep(ags_point, GRID.points, chunk_size=7)
    assert out["m"].shape == (20,) and GRID.reshape(out)["m"].shape == (5, 4)
    for i in (0, 6, 13, 19):  # independent: the solver called on that point alone
        s = ags_solve(GRID.points["alpha"][i], GRID.points["beta"][i])
        assert float(out["m"][i]) == pytest.approx(float(s.m), abs=1e-12)
        assert bool(out["converged"][i]) == bool(s.converged)


def test_keys_come_from_the_grid_index_not_the_chunking():
    grid = {"x": np.arange(11.0)}
    key = jax.random.key(3)
    a = sweep(noisy_point, grid, key=key, chunk_size=3)
    b = sweep(noisy_point, grid, key=key, chunk_size=4)
    c = sweep(noisy_point, grid, key=key)
    assert _equal(a, b) and _equal(a, c)
    for i in (0, 5, 10):  # the documented rule: fold_in(key, i)
        ref = grid["x"][i] + np.asarray(jax.random.normal(jax.random.fold_in(key, i), (3,)))
        np.testing.assert_allclose(a[i], ref, rtol=0, atol=1e-15)
    assert not np.array_equal(a, sweep(noisy_point, grid, key=jax.random.key(4), chunk_size=3))


def test_process_pool_is_bit_identical():
    ref = sweep(ags_point, GRID.points, chunk_size=6)
    ctx = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=ctx) as pool:
        out = sweep(ags_point, GRID.points, chunk_size=6, executor=pool)
    assert _equal(ref, out)


def test_real_dask_cluster_is_bit_identical():
    distributed = pytest.importorskip("distributed")
    import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers need not import the tests
    ref = sweep(ags_point, GRID.points, chunk_size=5)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            out = sweep(ags_point, GRID.points, chunk_size=5, executor=client.get_executor())
            workers = set(client.run(os.getpid).values())
    assert len(workers) == 2 and os.getpid() not in workers  # really other processes
    assert _equal(ref, out)


class Interrupt(Exception):
    pass


def test_checkpoint_resumes_only_the_missing_chunks(tmp_path):
    ref = sweep(ags_point, GRID.points, chunk_size=3)

    def stop_after_two(event: SweepEvent):
        if event.kind == "computed" and event.done == 2:
            raise Interrupt

    with pytest.raises(Interrupt):
        sweep(ags_point, GRID.points, chunk_size=3, checkpoint=tmp_path, progress=stop_after_two)
    events = []
    out = sweep(ags_point, GRID.points, chunk_size=3, checkpoint=tmp_path, progress=events.append)
    kinds = [e.kind for e in events]
    assert kinds.count("loaded") == 2 and kinds.count("computed") == 7 - 2  # ceil(20 / 3) = 7 chunks
    assert _equal(ref, out)
    events.clear()
    again = sweep(ags_point, GRID.points, chunk_size=3, checkpoint=tmp_path, progress=events.append)
    assert [e.kind for e in events] == ["loaded"] * 7 and _equal(ref, again)
    with pytest.raises(ValueError, match="another sweep"):
        sweep(ags_point, GRID.points, chunk_size=4, checkpoint=tmp_path)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="same leading length"):
        sweep(ags_point, {"alpha": np.ones(3), "beta": np.ones(4)})
    with pytest.raises(TypeError, match="`executor`"):
        sweep(ags_point, GRID.points, executor="dask")
    with pytest.raises(ValueError, match="`chunk_size` must be >= 1"):
        sweep(ags_point, GRID.points, chunk_size=0)
    with pytest.raises(ValueError, match="one PRNG key"):
        sweep(noisy_point, {"x": np.ones(3)}, key=jax.random.split(jax.random.key(0), 2))
    with pytest.raises(ValueError, match="axis `alpha`"):
        product_grid(alpha=[])


def test_devices_sharding_is_bit_identical_in_a_subprocess():
    """Four host CPU devices (XLA flag, so in a fresh process): sharded chunks equal the in-process run."""
    code = textwrap.dedent("""
        import jax, numpy as np
        import theorylab
        from theorylab.sweeps import sweep
        assert len(jax.devices()) == 4, jax.devices()
        f = lambda k, p: p["x"] * jax.random.normal(k, (2,)) + jax.numpy.sin(p["x"])
        grid = {"x": np.linspace(0.0, 3.0, 13)}
        a = sweep(f, grid, key=jax.random.key(0), chunk_size=8)
        b = sweep(f, grid, key=jax.random.key(0), chunk_size=8, devices=jax.devices())
        assert np.array_equal(a, b), np.max(np.abs(a - b))
        print("OK", a.shape)
    """)
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=4")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.returncode == 0 and "OK (13, 2)" in out.stdout, out.stderr[-2000:]


def logged_point(point):
    """Doubles ``point["i"]``, taking 0.1 s and logging the index and the process (the fault test)."""

    def record(i):
        import time as _time

        _time.sleep(0.1)
        with open(os.path.join(os.environ["THEORYLAB_SWEEP_TEST_LOG"], f"{os.getpid()}.log"), "a") as fh:
            fh.write(f"{int(i)}\n")
        return np.asarray(2.0 * i, np.float64)

    return jax.pure_callback(record, jax.ShapeDtypeStruct((), jnp.float64), point["i"], vmap_method="sequential")


def test_killing_a_worker_loses_nothing(tmp_path, monkeypatch):
    """A worker is killed (SIGKILL) mid-sweep on a real 2-worker Dask cluster: the sweep completes
    with every point right, and only points of the chunk the dead worker held are computed again
    (finished chunks are released as soon as their result is back, so a lost worker cannot make the
    cluster recompute them)."""
    distributed = pytest.importorskip("distributed")
    import signal
    import threading
    import time

    import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    monkeypatch.setenv("THEORYLAB_SWEEP_TEST_LOG", str(tmp_path))
    grid = {"i": np.arange(32.0)}
    chunk = 2
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            pids = list(client.run(os.getpid).values())
            result = {}
            runner = threading.Thread(target=lambda: result.setdefault(
                "out", sweep(logged_point, grid, chunk_size=chunk, executor=client.get_executor())))
            runner.start()
            victim = pids[0]
            log = tmp_path / f"{victim}.log"
            # no wall-time limit: wait for the victim's third point (or the end of the sweep)
            while (not log.exists() or len(log.read_text().split()) < 3) and runner.is_alive():
                time.sleep(0.05)
            assert runner.is_alive(), "the sweep finished before a worker could be killed mid-sweep"
            os.kill(victim, signal.SIGKILL)  # mid-chunk: it has logged 3 points, an odd number
            runner.join()
    assert "out" in result, "the sweep did not finish"
    np.testing.assert_array_equal(result["out"], 2.0 * grid["i"])  # nothing lost
    counts = np.zeros(32, int)
    for f in tmp_path.glob("*.log"):
        for line in f.read_text().split():
            counts[int(line)] += 1
    assert counts.min() >= 1
    twice = int(np.sum(counts > 1))
    print(f"points computed twice: {twice} (chunk size {chunk})")
    assert twice <= chunk  # the killed chunk only


def test_verify_on_a_local_dask_cluster_matches_in_process(tmp_path):
    """`theorylab verify --workers 2`: claims run as tasks on a real local Dask cluster; the measured
    values, verdicts and figures equal the in-process run's (a claim's key depends on its id only)."""
    pytest.importorskip("distributed")
    import json

    ids = ["ags.curie_weiss_limit", "ags.alpha_c_t0", "quantile.engel_lp", "pn.bregman_coefficients"]
    base = [sys.executable, "-m", "theorylab", "verify", "--json", "--no-progress"] + [a for i in ids for a in ("--claim", i)]
    runs = {}
    for name, extra in (("local", []), ("cluster", ["--workers", "2"])):
        report = tmp_path / name
        out = subprocess.run(base + extra + ["--report", str(report)], capture_output=True, text=True)
        assert out.returncode == 0, out.stderr[-2000:]
        runs[name] = (json.loads(out.stdout), sorted(p.name for p in (report / "figures").glob("*")) if (report / "figures").exists() else [])
    strip = lambda rows: [(r["id"], r["verdict"], r["measured"]) for r in rows]  # noqa: E731
    assert strip(runs["local"][0]) == strip(runs["cluster"][0])
    # the selection's (registry) order, whatever order the tasks finished in
    assert [r["id"] for r in runs["cluster"][0]] == [r["id"] for r in runs["local"][0]]
    assert sorted(r["id"] for r in runs["cluster"][0]) == sorted(ids)
    assert runs["local"][1] == runs["cluster"][1]


def test_hebbian_phase_diagram_on_a_cluster_and_resumed(tmp_path):
    """`phase_diagram(executor=..., checkpoint=..., chunk_size=...)`: a real 2-worker Dask cluster and a
    resumed checkpointed run agree bit for bit (same chunk size), and with the default single-program
    run on every label (the states to rounding)."""
    distributed = pytest.importorskip("distributed")
    from theorylab.statmech import hebbian as H

    model, data = H.DenseHebbian(4), H.DatasetParams.from_rho(0.1)
    alphas, betas = np.linspace(0.0005, 0.004, 5), np.linspace(20.0, 200.0, 4)
    default = H.phase_diagram(model, data, alphas, betas)

    def stop_after_one(event):
        if event.kind == "computed":
            raise Interrupt

    with pytest.raises(Interrupt):
        H.phase_diagram(model, data, alphas, betas, checkpoint=tmp_path, chunk_size=6, progress=stop_after_one)
    events = []
    resumed = H.phase_diagram(model, data, alphas, betas, checkpoint=tmp_path, chunk_size=6, progress=events.append)
    assert [e.kind for e in events].count("computed") == 3  # 4 chunks of 6 points, 1 already on disk
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            remote = H.phase_diagram(model, data, alphas, betas, executor=client.get_executor(), chunk_size=6)
    assert _equal(tuple(remote), tuple(resumed))
    np.testing.assert_array_equal(remote.labels, default.labels)
    np.testing.assert_allclose(remote.retrieval.m, default.retrieval.m, rtol=0, atol=1e-12)


# ------------------------------------------------------------------------- batch modes
def _squares_chunk(points):
    """A chunk function that batches itself (batch="chunk")."""
    return {"y": points["x"] ** 2, "s": jnp.cumsum(jnp.ones_like(points["x"]))}


CALLS = []


def _ragged_point(point):
    """Host mode: a point whose work has its own shape (n), reduced to a fixed-shape result."""
    CALLS.append(int(point["n"]))
    v = np.arange(int(point["n"]), dtype=float)
    return {"sum": v.sum(), "sq": (v ** 2).sum()}


def test_chunk_and_host_modes_agree_with_the_definition(tmp_path):
    grid = {"x": np.linspace(-1.0, 2.0, 10)}
    out = sweep(_squares_chunk, grid, chunk_size=4, batch="chunk")
    np.testing.assert_array_equal(out["y"], grid["x"] ** 2)  # closed form
    # chunk mode hands fn the whole padded chunk: positions within the chunk, 1..4, 1..4, 1..4 (last padded)
    np.testing.assert_array_equal(out["s"], [1, 2, 3, 4, 1, 2, 3, 4, 1, 2])
    keyed = sweep(lambda keys, p: jax.vmap(jax.random.normal)(keys) + p["x"], grid, key=jax.random.key(5),
                  chunk_size=3, batch="chunk")
    np.testing.assert_array_equal(keyed, sweep(lambda k, p: jax.random.normal(k) + p["x"], grid,
                                               key=jax.random.key(5), chunk_size=3))
    ns = {"n": np.array([3, 10, 1, 7, 5])}
    CALLS.clear()
    host = sweep(_ragged_point, ns, chunk_size=2, batch="host", checkpoint=tmp_path)
    assert sorted(CALLS) == sorted(ns["n"].tolist())  # no padded point was computed
    n = ns["n"]
    np.testing.assert_array_equal(host["sum"], n * (n - 1) / 2)  # sum_{i<n} i
    np.testing.assert_array_equal(host["sq"], (n - 1) * n * (2 * n - 1) / 6)  # sum_{i<n} i^2
    CALLS.clear()
    again = sweep(_ragged_point, ns, chunk_size=2, batch="host", checkpoint=tmp_path)
    assert CALLS == [] and _equal(host, again)  # every chunk loaded; the structure too, without calling fn
    with pytest.raises(ValueError, match="batch='host'"):
        sweep(_ragged_point, ns, batch="host", devices=jax.devices())
    with pytest.raises(ValueError, match="`batch`"):
        sweep(_ragged_point, ns, batch="threads")


def test_a_function_redefined_under_its_name_is_another_sweep(tmp_path, monkeypatch):
    """A notebook redefines `point`: pickled by reference both look alike, yet the second sweep must
    compile the new code and must not load the first one's checkpoint."""
    import types

    scratch = types.ModuleType("scratch_sweep_module")
    monkeypatch.setitem(sys.modules, scratch.__name__, scratch)
    exec("def point(p):\n    return p['x'] * 2.0", scratch.__dict__)
    grid = {"x": np.arange(4.0)}
    first = sweep(scratch.point, grid, checkpoint=tmp_path)
    exec("def point(p):\n    return p['x'] * 3.0", scratch.__dict__)
    np.testing.assert_array_equal(first, 2.0 * grid["x"])
    np.testing.assert_array_equal(sweep(scratch.point, grid), 3.0 * grid["x"])
    with pytest.raises(ValueError, match="another sweep"):
        sweep(scratch.point, grid, checkpoint=tmp_path)
