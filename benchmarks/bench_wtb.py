"""Weighted tallying bandits: simulated steps per second, batched lax.scan vs a plain Python loop.

Both sides simulate the same thing: UCB1 on a K-arm tallying bandit with memory m (linear
learning-curve losses, Bernoulli noise). The peer is the usual stateful design of Python bandit
libraries (SMPyBandits' Evaluator: an environment object with a history, a policy object with
``choice()`` / ``getReward()``, one Python iteration per round), written as tightly as plain
Python allows: a deque for the window, per-arm sums and counts in lists, numpy only for the
UCB index. theorylab runs 64 seeds of T = 1e5 rounds in one batched scan (arms on axis 0,
seeds on the minor axis), in float64 and in float32.
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
    print(f"UCB1 on a weighted tallying bandit; theorylab: {seeds} seeds x T = {T} in one batched scan "
          f"(float64, and float32 via dtype=); Python loop: {python_steps} rounds, one seed, float64; "
          f"device: {jax.devices()[0].device_kind}")
    print(f"{'K':>3} {'m':>3} | {'f64 steps/s':>12} {'(compile)':>9} {'f32 steps/s':>12} | {'python steps/s':>14} | "
          f"{'f64 ratio':>9} {'f32 ratio':>9}")
    rows = []
    for K in (4, 32):
        for m in (5, 50):
            weights, c, s = make_env(K, m)
            env = wtb.TallyingBandit(weights, wtb.LinearLoss(c, s))
            policy = wtb.UCB1(K)
            key = jax.random.PRNGKey(0)
            rates, losses = {}, {}
            for name, dtype in (("f64", None), ("f32", "float32")):

                def run(env=env, policy=policy, key=key, dtype=dtype):
                    out = wtb.simulate_seeds(key, env, policy, T, seeds, trace=False, dtype=dtype)
                    return jax.block_until_ready(out.total_loss)

                t0 = time.perf_counter()
                run()
                first = time.perf_counter() - t0
                t_jax, totals = best_of(run, 3)
                rates[name] = seeds * T / t_jax
                losses[name] = float(np.mean(totals)) / T
                if name == "f64":
                    compile_s = first - t_jax
            t_py, _ = best_of(lambda K=K, m=m: python_run(K, m, python_steps), 2)
            py_rate = python_steps / t_py
            rows.append((K, m, rates["f64"], rates["f32"], py_rate))
            print(f"{K:3d} {m:3d} | {rates['f64']:12.3e} {compile_s:8.1f}s {rates['f32']:12.3e} | {py_rate:14.3e} | "
                  f"{rates['f64'] / py_rate:8.0f}x {rates['f32'] / py_rate:8.0f}x   (mean loss per round "
                  f"{losses['f64']:.4f} / {losses['f32']:.4f})")
    return rows


if __name__ == "__main__":
    main()
