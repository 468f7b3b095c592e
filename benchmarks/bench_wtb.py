"""Weighted tallying bandits: simulated steps per second, vmapped lax.scan vs a plain Python loop.

Both sides simulate the same thing: UCB1 on a K-arm tallying bandit with memory m (linear
learning-curve losses, Bernoulli noise). The peer is the usual stateful design of Python bandit
libraries (SMPyBandits' Evaluator: an environment object with a history, a policy object with
``choice()`` / ``getReward()``, one Python iteration per round), written as tightly as plain
Python allows: a deque for the window, per-arm sums and counts in lists, numpy only for the
UCB index. theorylab runs 64 seeds of T = 1e5 rounds in one vmapped scan.
"""

import collections
import math
import os
import random
import sys
import time

import jax
import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from _timing import best_of  # noqa: E402

import theorylab.bandits as wtb  # noqa: E402


def make_env(K, m):
    weights = np.linspace(1.0, 0.2, m)
    intercept = np.r_[0.9, np.linspace(0.45, 0.6, K - 1)]
    slope = np.r_[-0.7, np.zeros(K - 1)]
    return weights, intercept, slope


class PythonTallyEnv:
    """Stateful environment: remembers the last m - 1 actions."""

    def __init__(self, weights, intercept, slope, rng):
        self.w = list(weights)
        self.W = float(sum(weights))
        self.c, self.s = list(intercept), list(slope)
        self.history = collections.deque([-1] * (len(weights) - 1), maxlen=max(len(weights) - 1, 1))
        self.rng = rng

    def draw(self, arm):
        tau = self.w[0]
        for j, past in enumerate(self.history, start=1):
            if past == arm:
                tau += self.w[j]
        mean = self.c[arm] + self.s[arm] * tau / self.W
        if len(self.w) > 1:
            self.history.appendleft(arm)
        return 1.0 if self.rng.random() < mean else 0.0


class PythonUCB1:
    def __init__(self, K):
        self.K = K
        self.sums = np.zeros(K)
        self.counts = np.zeros(K)
        self.t = 0

    def choice(self):
        if self.t < self.K:
            return self.t
        index = self.sums / self.counts - np.sqrt(2.0 * math.log(self.t) / self.counts)
        return int(np.argmin(index))

    def getReward(self, arm, loss):  # noqa: N802 (SMPyBandits' name)
        self.sums[arm] += loss
        self.counts[arm] += 1
        self.t += 1


def python_run(K, m, T, seed=0):
    env = PythonTallyEnv(*make_env(K, m), random.Random(seed))
    policy = PythonUCB1(K)
    total = 0.0
    for _ in range(T):
        arm = policy.choice()
        loss = env.draw(arm)
        policy.getReward(arm, loss)
        total += loss
    return total


def main(T=100_000, seeds=64, python_steps=20_000):
    print(f"UCB1 on a weighted tallying bandit; theorylab: {seeds} seeds x T = {T} in one vmapped scan; "
          f"Python loop: {python_steps} rounds, one seed")
    print(f"{'K':>3} {'m':>3} | {'theorylab steps/s':>18} {'(compile)':>10} | {'python steps/s':>15} | ratio")
    rows = []
    for K in (4, 32):
        for m in (5, 50):
            weights, c, s = make_env(K, m)
            env = wtb.TallyingBandit(weights, wtb.LinearLoss(c, s))
            policy = wtb.UCB1(K)
            key = jax.random.PRNGKey(0)

            def run(env=env, policy=policy, key=key):
                out = wtb.simulate_seeds(key, env, policy, T, seeds, trace=False)
                return jax.block_until_ready(out.total_loss)

            t0 = time.perf_counter()
            run()
            first = time.perf_counter() - t0
            t_jax, totals = best_of(run, 3)
            t_py, _ = best_of(lambda K=K, m=m: python_run(K, m, python_steps), 2)
            jax_rate = seeds * T / t_jax
            py_rate = python_steps / t_py
            rows.append((K, m, jax_rate, py_rate))
            print(f"{K:3d} {m:3d} | {jax_rate:18.3e} {first - t_jax:9.1f}s | {py_rate:15.3e} | {jax_rate / py_rate:6.0f}x"
                  f"   (mean loss per round {float(np.mean(totals)) / T:.4f})")
    return rows


if __name__ == "__main__":
    main()
