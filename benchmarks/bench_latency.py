"""Time to first answer: import time, cold and warm first call, steady call, per headline function.

Every figure comes from a fresh Python process (``python -c``), so nothing compiled in one
measurement helps the next except through the persistent compilation cache, which each process is
pointed at explicitly with ``THEORYLAB_CACHE_DIR``:

* **import**: seconds to import the area's module *after* ``import jax`` (the cost theorylab adds);
* **cold**: the first call in a process whose compilation cache directory is empty;
* **warm**: the first call in a new process whose cache was filled by the cold process;
* **steady**: the best of three further calls in the warm process (compiled, data on device);
* **peer**: the peer's first call in a fresh process (after its import), where a peer exists.

Each column is the median over ``--repeats`` (default 3) independent cold/warm process pairs.
Usage::

    python benchmarks/bench_latency.py                 # every case
    python benchmarks/bench_latency.py --only sinkhorn ksg --repeats 1
    python benchmarks/bench_latency.py --json out.json  # also write the raw figures

The cases are small, typical problems (a notebook's first call), not throughput benchmarks; the
other scripts in ``benchmarks/`` time the large cases against peers.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap

# Each case: the theorylab import, data setup (NumPy only, not timed), the call, and the optional
# peer (import, call). Calls end in a host value so that the time includes the computation.
OT_SETUP = ("rng = np.random.default_rng(0); x, y = rng.random((200, 2)), rng.random((200, 2));"
            " C = ((x[:, None] - y[None]) ** 2).sum(-1); a = b = np.full(200, 1 / 200)")
MI_SETUP = "rng = np.random.default_rng(0); x = rng.normal(size=(2000, 1)); y = x + rng.normal(size=(2000, 1))"
SPARSE_SETUP = ("rng = np.random.default_rng(0); X = rng.normal(size=(100, 200)); w = np.zeros(200); w[:5] = 1.0;"
                " y = X @ w + 0.5 * rng.normal(size=100)")
CASES: dict[str, dict[str, str]] = {
    "sinkhorn": dict(
        imp="import theorylab.estimators.transport as T",
        setup=OT_SETUP,
        call="float(T.sinkhorn(C, a, b, eps=1e-2).marginal_error)",
        peer_imp="import ot", peer="float(ot.sinkhorn(a, b, C, 1e-2, method='sinkhorn_log', stopThr=1e-8).sum())",
        peer_name="POT sinkhorn_log",
    ),
    "sinkhorn-ott": dict(
        imp="import theorylab.estimators.transport as T",
        setup=OT_SETUP,
        call="float(T.sinkhorn(C, a, b, eps=1e-2).marginal_error)",
        peer_imp="from ott.geometry import geometry; from ott.solvers import linear",
        peer="float(linear.solve(geometry.Geometry(cost_matrix=C, epsilon=1e-2), a=a, b=b, threshold=1e-8).reg_ot_cost)",
        peer_name="OTT-JAX sinkhorn",
    ),
    "sns": dict(
        imp="import theorylab.estimators.transport as T",
        setup=OT_SETUP,
        call="float(T.sns(C, a, b, eps=1e-2).marginal_error)",
    ),
    "ksg": dict(
        imp="import theorylab.estimators.mutual_information as mi; import jax",
        setup=MI_SETUP,
        call="float(mi.ksg(jax.random.key(0), x, y, standard_error=False))",
        peer_imp="from sklearn.feature_selection import mutual_info_regression",
        peer="float(mutual_info_regression(x, y[:, 0], n_neighbors=5, random_state=0)[0])",
        peer_name="scikit-learn mutual_info_regression",
    ),
    "estimate_with_ci": dict(
        imp="import theorylab.estimators.mutual_information as mi; import jax",
        setup=MI_SETUP,
        call="float(mi.estimate_with_ci(jax.random.key(0), x, y).value)",
    ),
    "gaussian_mi": dict(
        imp="import theorylab.estimators.mutual_information as mi",
        setup="rng = np.random.default_rng(0); x = rng.normal(size=(2000, 3)); y = x @ rng.normal(size=(3, 3)) + rng.normal(size=(2000, 3))",
        call="float(mi.gaussian_mi(x, y))",
        peer_imp="import statsmodels.api as sm",
        peer="float(-0.5 * np.log(np.linalg.det(np.eye(3) - (B := np.linalg.lstsq(sm.add_constant(x), y, rcond=None)[0][1:]).T"
             " @ np.cov(x.T) @ B @ np.linalg.inv(np.cov(y.T)))))",  # one regression, not two
        peer_name="NumPy/statsmodels regression R^2 formula",
    ),
    "lasso": dict(
        imp="import theorylab.estimators.sparse as S",
        setup=SPARSE_SETUP,
        call="float(S.lasso(X, y, 0.1).dual_gap)",
        peer_imp="from sklearn.linear_model import Lasso",
        peer="float(Lasso(alpha=0.1, tol=1e-8, max_iter=10000).fit(X, y).coef_.sum())",
        peer_name="scikit-learn Lasso",
    ),
    "lasso_cv": dict(
        imp="import theorylab.estimators.sparse as S",
        setup=SPARSE_SETUP,
        call="float(S.lasso_cv(X, y).alpha)",
        peer_imp="from sklearn.linear_model import LassoCV",
        peer="float(LassoCV(alphas=30, eps=1e-3, cv=5, tol=1e-6).fit(X, y).alpha_)",
        peer_name="scikit-learn LassoCV",
    ),
    "fit_aggregator": dict(
        imp="import theorylab.estimators.quantile as Q; import jax",
        setup="rng = np.random.default_rng(0); taus = np.array([0.1, 0.5, 0.9]); y = rng.normal(size=500);"
              " Z = y[:, None, None] + rng.normal(size=(500, 3, 1)) + np.array([-1.28, 0.0, 1.28])",
        call="float(Q.fit_aggregator(jax.random.key(0), Z, y, taus, steps=500).final_loss)",
    ),
    "cqr_offsets": dict(
        imp="import theorylab.estimators.quantile as Q",
        setup="rng = np.random.default_rng(0); taus = np.array([0.05, 0.25, 0.5, 0.75, 0.95]); y = rng.normal(size=1000);"
              " q = y[:, None] * 0.0 + np.array([-1.6, -0.7, 0.0, 0.7, 1.6])",
        call="float(Q.cqr_offsets(y, q, taus).lower[0])",
        peer_imp="from mapie.conformity_scores import AbsoluteConformityScore",
        peer="float(np.quantile(np.maximum(q[:, 0] - y, y - q[:, -1]), 0.9, method='higher'))",
        peer_name="NumPy conformal quantile (MAPIE imported)",
    ),
    "rs_solve": dict(
        imp="from theorylab.statmech import hebbian as H",
        setup="",
        call="float(H.rs_solve(H.DenseHebbian(4), H.DatasetParams.from_rho(0.1), 0.001, 100.0).m)",
    ),
    "fp_potential": dict(
        imp="from theorylab.statmech import franz_parisi as FP",
        setup="q = np.linspace(0.0, 0.9, 50)",
        call="float(FP.potential(q, 0.62).dV.sum())",
    ),
    "fp_task1": dict(
        imp="from theorylab.statmech import franz_parisi as FP",
        setup="",
        call="float(FP.ContinualPerceptron(beta=20.0).task1(1.0).q)",
    ),
    "dsd_error_curves": dict(
        imp="from theorylab.learning import dsd; import jax, jax.numpy as jnp",
        setup="",
        call="float(np.sum(dsd.error_curves(jax.random.key(0), dsd.DSD(4, 8, 0.5, dtype=jnp.float32),"
             " dsd.TwoStep('cnn', 0.5), np.array([16, 32, 64, 128]), num_seeds=4, test_samples=4096)))",
    ),
    "simulate_seeds": dict(
        imp="from theorylab import bandits as wtb; import jax",
        setup="",
        call="float(wtb.simulate_seeds(jax.random.key(0), wtb.TallyingBandit(np.ones(5) / 5, wtb.LinearLoss("
             "np.array([0.2, 0.3, 0.4, 0.5]), np.array([0.5, 0.4, 0.3, 0.2]))), wtb.UCB1(4), 2000, 16, trace=False).total_loss.mean())",
    ),
    "risk_coefficients": dict(
        imp="from theorylab import infogeo",
        setup="fam = infogeo.mvn(3); truth = infogeo.truth_from_model(fam, fam.theta_init)",
        call="float(infogeo.risk_coefficients(fam, truth, fam.theta_init).C2)",
    ),
}

_CHILD = """
import time, json, sys
t0 = time.perf_counter()
import jax
t_jax = time.perf_counter() - t0
import numpy as np
t0 = time.perf_counter()
{imp}
t_import = time.perf_counter() - t0
{setup}
t0 = time.perf_counter()
value = {call}
t_first = time.perf_counter() - t0
steady = []
for _ in range({steady}):
    t0 = time.perf_counter()
    {call}
    steady.append(time.perf_counter() - t0)
print("RESULT" + json.dumps(dict(jax=t_jax, imp=t_import, first=t_first, steady=min(steady) if steady else None,
                                 value=value)))
"""


def _child(code: str, cache_dir: str | None, timeout: float) -> dict:
    env = dict(os.environ)
    env.pop("JAX_COMPILATION_CACHE_DIR", None)
    if cache_dir is None:
        env["THEORYLAB_NO_COMPILATION_CACHE"] = "1"
    else:
        env.pop("THEORYLAB_NO_COMPILATION_CACHE", None)
        env["THEORYLAB_CACHE_DIR"] = cache_dir
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=timeout)
    for line in out.stdout.splitlines():
        if line.startswith("RESULT"):
            return json.loads(line[len("RESULT"):])
    raise RuntimeError(f"child failed:\n{out.stderr[-3000:]}")


def _code(imp, setup, call, steady):
    return textwrap.dedent(_CHILD).format(imp=imp, setup=setup or "pass", call=call, steady=steady)


def measure(name: str, repeats: int = 3, timeout: float = 600.0) -> dict:
    case = CASES[name]
    cold, warm, steady, imp = [], [], [], []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory(prefix="theorylab-latency-") as cache:
            c = _child(_code(case["imp"], case["setup"], case["call"], 0), cache, timeout)
            w = _child(_code(case["imp"], case["setup"], case["call"], 3), cache, timeout)
        cold.append(c["first"])
        warm.append(w["first"])
        steady.append(w["steady"])
        imp.append(min(c["imp"], w["imp"]))
    row = dict(case=name, imp=statistics.median(imp), cold=statistics.median(cold), warm=statistics.median(warm),
               steady=statistics.median(steady), peer=None, peer_name=case.get("peer_name"))
    if "peer" in case:
        peers = [_child(_code(case["peer_imp"] + "\n" + case["setup"], "", case["peer"], 0), None, timeout)["first"]
                 for _ in range(repeats)]
        row["peer"] = statistics.median(peers)
    return row


def _fmt(t):
    if t is None:
        return "-"
    return f"{t * 1e3:.1f} ms" if t < 0.1 else f"{t:.2f} s"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", choices=sorted(CASES), help="cases to run (default: all)")
    parser.add_argument("--repeats", type=int, default=3, help="fresh cold/warm process pairs per case (median)")
    parser.add_argument("--json", help="also write the rows to this JSON file")
    args = parser.parse_args(argv)
    names = args.only or list(CASES)
    print("| call | import (after jax) | cold first call | warm first call | steady call | peer first call |")
    print("|---|---|---|---|---|---|")
    rows = []
    for name in names:
        row = measure(name, args.repeats)
        rows.append(row)
        peer = "-" if row["peer"] is None else f"{_fmt(row['peer'])} ({row['peer_name']})"
        print(f"| {name} | {_fmt(row['imp'])} | {_fmt(row['cold'])} | {_fmt(row['warm'])} | {_fmt(row['steady'])} "
              f"| {peer} |", flush=True)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=1)


if __name__ == "__main__":
    main()
