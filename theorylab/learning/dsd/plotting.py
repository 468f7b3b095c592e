"""Plots of DSD sample-complexity results (matplotlib imported lazily)."""

from __future__ import annotations

import numpy as np

__all__ = ["plot_error_curves", "plot_sample_complexity"]


def plot_error_curves(results, *, ax=None, band=(0.1, 0.9)):
    """Seed-mean test error against the training-set size for each result (a ``label -> result``
    mapping), with a quantile band over seeds, the target (dashed) and N* (dot). Returns the axes."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 3.6))
    for i, (label, r) in enumerate(results.items()):
        color = f"C{i}"
        ax.plot(r.n_grid, r.mean_errors, color=color, label=label)
        if r.errors.shape[0] > 1:
            lo, hi = np.quantile(r.errors, band, axis=0)
            ax.fill_between(r.n_grid, lo, hi, color=color, alpha=0.2, lw=0)
        ax.axhline(r.target, color=color, ls="--", lw=0.8)
        if np.isfinite(r.n_star):
            ax.plot([r.n_star], [r.target], "o", color=color, ms=4)
    ax.set_xscale("log")
    ax.set_xlabel("training samples N")
    ax.set_ylabel("test error")
    ax.legend(fontsize=8)
    return ax


def plot_sample_complexity(results, over: str = "k", *, fits=None, ax=None, level: float = 0.95):
    """N* against ``k`` or ``d`` on log-log axes, one line per label of ``results``
    (``label -> list of SampleComplexity``), bootstrap intervals as error bars, and the fitted
    slope in the legend when ``fits`` (``label -> ExponentFit``) is given. Returns the axes."""
    import matplotlib.pyplot as plt

    if over not in ("k", "d"):
        raise ValueError(f"`over` must be 'k' or 'd', got {over!r}")
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 3.6))
    for i, (label, rs) in enumerate(results.items()):
        x = np.array([getattr(r, over) for r in rs], dtype=float)
        n = np.array([r.n_star for r in rs])
        ci = np.array([r.confidence_interval(level) for r in rs])
        err = np.vstack([n - ci[:, 0], np.where(np.isfinite(ci[:, 1]), ci[:, 1] - n, 0.0)])
        text = label
        if fits and label in fits:
            f = fits[label]
            lo, hi = f.confidence_interval(level)
            text += f" (slope {f.value:.2f} [{lo:.2f}, {hi:.2f}])"
            ax.plot(x, np.exp(f.intercept) * x**f.value, color=f"C{i}", lw=0.8, ls=":")
        ax.errorbar(x, n, yerr=err, fmt="o-", color=f"C{i}", ms=4, capsize=2, label=text)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(over)
    ax.set_ylabel("N* (samples to reach the target)")
    ax.legend(fontsize=8)
    return ax
