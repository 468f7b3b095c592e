"""Regret curves with seed bands (matplotlib imported lazily)."""

from __future__ import annotations

import numpy as np

__all__ = ["plot_regret_curves"]


def plot_regret_curves(curves, *, ax=None, band=(0.1, 0.9), every: int | None = None, xlabel="round t",
                       ylabel="complete policy regret"):
    """Plot the seed mean of each ``(num_seeds, T)`` regret curve with a quantile band.

    ``curves`` maps a label to an array; ``band`` gives the lower and upper quantile over seeds;
    ``every`` thins the curves to about 400 points by default. Returns the axes.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 3.6))
    for i, (label, values) in enumerate(curves.items()):
        values = np.atleast_2d(np.asarray(values, dtype=float))
        horizon = values.shape[-1]
        step = every or max(1, horizon // 400)
        idx = np.arange(step - 1, horizon, step)
        t = idx + 1
        color = f"C{i}"
        ax.plot(t, values[:, idx].mean(axis=0), color=color, label=label)
        if values.shape[0] > 1:
            lo, hi = np.quantile(values[:, idx], band, axis=0)
            ax.fill_between(t, lo, hi, color=color, alpha=0.2, lw=0)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)
    return ax
