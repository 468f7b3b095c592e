"""Sweeps beyond one process: speed-up of a phase diagram on a local Dask cluster, the overhead per
chunk, and a projection to many workers.

* Phase diagram: the AGS equations (Picard iteration, 2000 steps, no early stop on the slow points)
  on an (alpha, beta) grid, ``theorylab.sweeps.sweep`` in-process vs on a 2-worker
  ``distributed.LocalCluster`` (processes, one thread each), same chunk size; the cluster run is
  timed after a warm-up sweep so that both sides have compiled.
* Overhead per chunk: a trivial function over many one-point chunks on the same cluster; the time
  per chunk is the scheduling, pickling and transfer cost.
* One core per process: the same sweep with the in-process run pinned to one core (a subprocess
  under ``os.sched_setaffinity``) and each cluster worker pinned to its own core. This isolates what
  the cluster path scales: on this 2-core machine XLA already spreads one process's chunk over both
  cores, so the unpinned comparison above cannot show a 2-worker speed-up.
* ``theorylab verify`` on the claims of one paper (default ``franz_parisi``, the slowest quick
  claims), in-process vs ``--workers 2``, each a fresh process with a warm compilation cache (a first
  untimed in-process run fills it); wall time of the whole command.
* Projection to W workers: ``T(W) = max(T_1 / W, chunks * overhead / W) + overhead`` where ``T_1``
  is the in-process compute time; it assumes perfectly divisible work and a scheduler that keeps up
  (said plainly: an estimate, not a measurement).

Run: ``python benchmarks/bench_sweeps.py [--paper P]`` (needs ``dask[distributed]``). It prints a
table.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import numpy as np

import theorylab  # noqa: F401
from theorylab.statmech.ags import ags_solve
from theorylab.sweeps import product_grid, sweep

GRID = product_grid(alpha=np.linspace(0.01, 0.2, 48), beta=np.linspace(1.0, 30.0, 48))
CHUNK = 288  # 8 chunks of 288 points


def ags_point(point):
    s = ags_solve(point["alpha"], point["beta"], init=(0.5, 0.5, 1.0), solver="picard", damping=0.5,
                  tol=1e-300, max_steps=2000)  # tol below reach: every point runs its 2000 steps
    return s.m


def tiny(point):
    return point["x"] + 1.0


def _pin_all_threads(core: int) -> int:
    """Pin every thread of this process (and the threads it starts later) to ``core``."""
    for tid in os.listdir("/proc/self/task"):
        os.sched_setaffinity(int(tid), {core})
    return os.getpid()


def _in_process_time() -> float:
    sweep(ags_point, GRID.points, chunk_size=CHUNK)  # compile
    t0 = time.perf_counter()
    sweep(ags_point, GRID.points, chunk_size=CHUNK)
    return time.perf_counter() - t0


def one_core_per_process():
    """In-process on one core (a fresh pinned process) vs two workers pinned to one core each."""
    import distributed

    code = ("import os; os.sched_setaffinity(0, {0}); import sys; sys.path.insert(0, 'benchmarks'); "
            "import bench_sweeps as b; print(b._in_process_time())")
    t_one = float(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True,
                                 cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__)))).stdout.split()[-1])
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            for core, address in enumerate(sorted(client.scheduler_info()["workers"])):
                client.run(_pin_all_threads, core, workers=[address])
            ex = client.get_executor()
            sweep(ags_point, GRID.points, chunk_size=CHUNK, executor=ex)  # compile on the workers
            t0 = time.perf_counter()
            sweep(ags_point, GRID.points, chunk_size=CHUNK, executor=ex)
            t_two = time.perf_counter() - t0
    print(f"| one core per process: in-process on 1 core {t_one:.2f} s | 2 pinned workers {t_two:.2f} s "
          f"| speed-up {t_one / t_two:.2f}x |")


def verify_speedup(paper: str = "franz_parisi"):
    """Wall time of ``theorylab verify --paper PAPER`` in-process and on a 2-worker local cluster."""
    base = [sys.executable, "-m", "theorylab", "verify", "--paper", paper, "--no-progress"]
    subprocess.run(base, check=True, capture_output=True)  # fill the compilation cache

    def timed(extra):
        t0 = time.perf_counter()
        subprocess.run(base + extra, check=True, capture_output=True)
        return time.perf_counter() - t0

    t_in, t_two = timed([]), timed(["--workers", "2"])
    print(f"| theorylab verify --paper {paper} | in-process {t_in:.1f} s | --workers 2 {t_two:.1f} s "
          f"| speed-up {t_in / t_two:.2f}x |")


def main():
    import distributed

    sweep(ags_point, GRID.points, chunk_size=CHUNK)  # compile
    t0 = time.perf_counter()
    ref = sweep(ags_point, GRID.points, chunk_size=CHUNK)
    t_local = time.perf_counter() - t0
    chunks = -(-GRID.points["alpha"].size // CHUNK)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            ex = client.get_executor()
            sweep(ags_point, GRID.points, chunk_size=CHUNK, executor=ex)  # compile on the workers
            t0 = time.perf_counter()
            out = sweep(ags_point, GRID.points, chunk_size=CHUNK, executor=ex)
            t_dask = time.perf_counter() - t0
            small = {"x": np.arange(200.0)}
            sweep(tiny, small, chunk_size=1, executor=ex)
            t0 = time.perf_counter()
            sweep(tiny, small, chunk_size=1, executor=ex)
            overhead = (time.perf_counter() - t0) / 200 * 2  # two workers served the 200 chunks
    assert np.array_equal(ref, out), "cluster and in-process results differ"
    print(f"| phase diagram, {GRID.points['alpha'].size} points in {chunks} chunks of {CHUNK} "
          f"({t_local / chunks:.2f} s each in-process) | in-process {t_local:.2f} s | 2 workers {t_dask:.2f} s "
          f"| speed-up {t_local / t_dask:.2f}x |")
    print(f"| overhead per chunk (200 one-point chunks, 2 workers) | {overhead * 1e3:.1f} ms |")
    for w in (2, 8, 64):
        proj = max(t_local / w, chunks * overhead / w) + overhead
        print(f"| projected, {w} workers, same sweep | {proj:.2f} s ({t_local / proj:.1f}x) |")
    one_core_per_process()
    verify_speedup(sys.argv[sys.argv.index("--paper") + 1] if "--paper" in sys.argv else "franz_parisi")


if __name__ == "__main__":
    main()
