"""Claims of Amit, Gutfreund & Sompolinsky (1985, 1987): the RS Hopfield model near saturation.

The expected numbers: the T = 0 critical load 0.138 and overlap 0.967 are the values AGS quote
(PRL 1985; Ann. Phys. 1987, section 5), here to four digits. The paper draws the retrieval line
T_M(alpha) as a figure only, so its finite-temperature values (alpha_c(0.2) = 0.12256,
alpha_c(0.5) = 0.05882) come from an independent prototype computation (a det-J fold solve with
different code and quadrature), recorded as P1 in the Hebbian theory note (``docs/theory/hebbian.md``);
they are not our output.
The alpha -> 0 limit is the Curie-Weiss equation m = tanh(beta m), and the spin-glass onset
T_g = 1 + sqrt(alpha) is AGS's closed form (Ann. Phys. 1987, eq. 4.18).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from theorylab.claims._figures import pyplot
from theorylab.claims.base import AtLeast, AtMost, claim, Close, Measurement
from theorylab.statmech.ags import ags_alpha_of_y, ags_critical_load, ags_critical_load_t0, ags_solve


def draw_alpha_c_t0(data):
    """The T = 0 retrieval branch m(alpha) and its fold."""
    plt = pyplot()
    alpha, m, stable = data["alpha"], data["m"], data["stable"]
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.plot(alpha[stable], m[stable], "C0-", label="retrieval branch (stable)")
    ax.plot(alpha[~stable], m[~stable], "C0--", label="unstable branch")
    ax.plot([data["alpha_c"]], [data["m_c"]], "ko", label=fr"fold $\alpha_c$ = {data['alpha_c']:.6f}")
    ax.set_xlabel(r"load $\alpha = K/N$")
    ax.set_ylabel(r"overlap $m$")
    ax.set_title("AGS, T = 0: end of the retrieval phase")
    ax.set_xlim(0, 0.16)
    ax.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    return fig


@claim(
    "ags.alpha_c_t0",
    statement="At T = 0 the retrieval states of the Hopfield model exist up to the critical "
    "load alpha_c = 0.138, where the overlap with the pattern is m_c = 0.967.",
    expected={"alpha_c": Close(0.1379, 1e-4), "m_c": Close(0.9674, 1e-4)},
    sizes={"quick": {"curve_points": 200}, "full": {"curve_points": 2000}},
    source="AGS PRL 1985 and Ann. Phys. 1987 (alpha_c = 0.138, m = 0.967); sympy nsolve of "
    "alpha'(y) = 0 gives 0.137905566 (proofs_checks/ags.py)",
    figure=draw_alpha_c_t0,
)
def measure_alpha_c_t0(key, *, curve_points: int):
    del key  # deterministic
    crit = ags_critical_load_t0()
    if not bool(crit.converged):
        raise RuntimeError(f"the T = 0 fold solve did not converge (status {int(crit.status)})")
    from scipy.special import erf

    y = np.linspace(0.35, 4.0, curve_points)
    ystar = float(np.sqrt(crit.m**2 / (2 * crit.alpha_c * crit.r)))
    return Measurement(
        {"alpha_c": float(crit.alpha_c), "m_c": float(crit.m)},
        data={"alpha": np.asarray(ags_alpha_of_y(jnp.asarray(y))), "m": erf(y), "stable": y >= ystar,
              "alpha_c": float(crit.alpha_c), "m_c": float(crit.m)},
        notes=f"fold of erf(y) = y(sqrt(2 alpha) + 2/sqrt(pi) exp(-y^2)) located by Newton on the "
        f"Moore-Spence system; y* = {ystar:.6f}",
    )


def draw_retrieval_line(data):
    """The RS phase diagram: the retrieval line T_M(alpha) and the spin-glass line."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5, 3.8))
    a_g = np.linspace(0, 0.16, 100)
    ax.plot(data["alpha_c"], data["T"], "C0-", label=r"retrieval line $T_M(\alpha)$")
    ax.plot(a_g, 1 + np.sqrt(a_g), "C3-", label=r"spin-glass line $T_g = 1+\sqrt{\alpha}$")
    ax.plot(data["claimed_alpha_c"], data["claimed_T"], "ko", label="claimed points")
    ax.set_xlim(0, 0.16)
    ax.set_ylim(0, 1.45)
    ax.set_xlabel(r"load $\alpha$")
    ax.set_ylabel("temperature $T$")
    ax.text(0.02, 0.35, "retrieval", fontsize=9)
    ax.text(0.11, 0.6, "spin glass", fontsize=9)
    ax.text(0.005, 1.3, "paramagnet", fontsize=9)
    ax.set_title("AGS replica-symmetric phase diagram")
    ax.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    return fig


@claim(
    "ags.retrieval_line",
    statement="The retrieval phase ends on a line T_M(alpha) that decreases from alpha_c(0) = 0.138: "
    "alpha_c = 0.12256 at T = 0.2 and 0.05882 at T = 0.5, continuous to T = 0 (0.1379 at T = 0.05).",
    expected={
        "alpha_c(T=0.05)": Close(0.1379, 5e-4),
        "alpha_c(T=0.2)": Close(0.12256, 3e-4),
        "alpha_c(T=0.5)": Close(0.05882, 3e-4),
    },
    sizes={"quick": {"order": 48, "step": 0.05}, "full": {"order": 96, "step": 0.01}},
    source="AGS Ann. Phys. 1987 draws T_M(alpha) (fig. 2) without a table; values from an "
    "independent fold computation (prototype measurement P1 of the Hebbian theory note, docs/theory/hebbian.md; "
    "tolerance 3e-4)",
    figure=draw_retrieval_line,
)
def measure_retrieval_line(key, *, order: int, step: float):
    del key
    T_claim = np.array([0.05, 0.2, 0.5])
    T_curve = np.round(np.arange(step, 0.9 + 1e-9, step), 6)
    T_all = np.unique(np.concatenate([[0.0], T_claim, T_curve]))
    line = ags_critical_load(jnp.asarray(T_all), order=order)
    ok = np.asarray(line.converged)
    if not ok[np.isin(T_all, T_claim)].all():
        raise RuntimeError("the fold solve failed at a claimed temperature")
    alpha_c = np.asarray(line.alpha_c)
    at = {t: float(alpha_c[np.argmin(np.abs(T_all - t))]) for t in T_claim}

    return Measurement(
        {"alpha_c(T=0.05)": at[0.05], "alpha_c(T=0.2)": at[0.2], "alpha_c(T=0.5)": at[0.5]},
        data={"alpha_c": alpha_c[ok], "T": T_all[ok], "claimed_alpha_c": [at[t] for t in T_claim],
              "claimed_T": T_claim},
        notes=f"fold in log(alpha) of the three AGS equations, warm-started along T; kink-aware "
        f"Gauss-Legendre quadrature with {order} nodes per panel; {int(ok.sum())}/{ok.size} "
        f"temperatures converged",
    )


@claim(
    "ags.curie_weiss_limit",
    statement="As alpha -> 0 the AGS equations reduce to the Curie-Weiss equation m = tanh(beta m); "
    "at beta = 2 the retrieval overlap is m = 0.957504.",
    expected={"m": Close(0.957504, 1e-6)},
    sizes={"quick": {"order": 48}, "full": {"order": 96}},
    source="root of m = tanh(2m) (scipy brentq: 0.9575040240772688)",
)
def measure_curie_weiss(key, *, order: int):
    del key
    state = ags_solve(0.0, 2.0, order=order)
    if not bool(state.converged):
        raise RuntimeError(f"AGS solve at alpha = 0 did not converge (status {int(state.status)})")
    return Measurement({"m": float(state.m)}, notes=f"Newton on the AGS equations at alpha = 0, beta = 2; residual {float(state.residual):.1e}")


def draw_spin_glass_onset(data):
    """The m = 0 spin-glass order q against T / T_g, one curve per load."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for (alpha, (ratio, q)), color in zip(data.items(), ("C0", "C1", "C2", "C3")):
        ax.plot(ratio, q, "o-", ms=3, color=color, label=fr"$\alpha$ = {alpha}")
    ax.axvline(1.0, color="k", lw=0.8, ls=":")
    ax.set_xlabel(r"$T / (1+\sqrt{\alpha})$")
    ax.set_ylabel(r"spin-glass order $q$ (m = 0)")
    ax.set_title("AGS: the spin-glass order appears at $T_g$")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


@claim(
    "ags.spin_glass_onset",
    statement="Without retrieval (m = 0) the spin-glass order q appears continuously below "
    "T_g = 1 + sqrt(alpha): q = 0 above T_g and q > 0 below it.",
    expected={
        "q(0.95 T_g, alpha=0.05)": AtLeast(1e-3),
        "q(1.05 T_g, alpha=0.05)": AtMost(1e-8),
        "q(0.95 T_g, alpha=0.1)": AtLeast(1e-3),
        "q(1.05 T_g, alpha=0.1)": AtMost(1e-8),
    },
    sizes={"quick": {"curve_points": 16}, "full": {"curve_points": 80}},
    source="AGS Ann. Phys. 1987: T_g = 1 + sqrt(alpha) from linearising q = E tanh^2 at q = 0",
    figure=draw_spin_glass_onset,
)
def measure_spin_glass_onset(key, *, curve_points: int):
    del key
    values, curves = {}, {}
    dropped = 0
    for alpha in (0.05, 0.1):
        t_g = 1.0 + np.sqrt(alpha)
        ratios = np.concatenate([[0.95, 1.05], np.linspace(0.8, 1.2, curve_points)])
        betas = jnp.asarray(1.0 / (ratios * t_g))
        solve = jax.vmap(lambda b: ags_solve(alpha, b, (0.0, 0.5, 1.0), solver="picard", damping=0.0, max_steps=20000))
        states = solve(betas)
        ok = np.asarray(states.converged)
        if not ok[:2].all():
            raise RuntimeError(f"spin-glass branch solve failed at alpha = {alpha} (status {np.asarray(states.status)[:2]})")
        q = np.asarray(states.q)
        values[f"q(0.95 T_g, alpha={alpha})"] = float(q[0])
        values[f"q(1.05 T_g, alpha={alpha})"] = float(q[1])
        curve = np.argsort(ratios[2:])
        keep = curve[ok[2:][curve]]  # points at the critical slowing-down that did not converge are not drawn
        dropped += int((~ok[2:]).sum())
        curves[alpha] = (ratios[2:][keep], q[2:][keep])
    return Measurement(values, data=curves, notes="undamped Picard iteration of the m = 0 branch from q = 0.5; "
                       f"{dropped} curve point(s) not converged (critical slowing down) and not drawn")
