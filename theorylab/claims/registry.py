"""The papers theorylab checks, and discovery of their claims.

Each paper's claims live in ``theorylab.claims.<paper_id>``, each registered by the
:func:`~theorylab.claims.base.claim` decorator on its ``measure`` function;
:func:`all_claims` collects them through :data:`~theorylab.claims.base.CLAIM_REGISTRY` (the
mechanism that also finds the sympy checks of :mod:`theorylab.proofs_checks`) and orders them by
paper, as listed in :data:`PAPERS`.
"""

from __future__ import annotations

import equinox as eqx

from theorylab.claims.base import CLAIM_REGISTRY, Claim

__all__ = ["Paper", "PAPERS", "all_claims", "select_claims", "get_claim"]


class Paper(eqx.Module):
    """A paper whose claims the registry holds: id, short title and full citation."""

    id: str
    short: str
    citation: str


PAPERS: dict[str, Paper] = {
    p.id: p
    for p in [
        Paper(
            "ags",
            "Hopfield model near saturation (replica symmetric)",
            "D. J. Amit, H. Gutfreund, H. Sompolinsky, 'Storing infinite numbers of patterns in a "
            "spin-glass model of neural networks', Phys. Rev. Lett. 55 (1985) 1530; 'Statistical "
            "mechanics of neural networks near saturation', Ann. Phys. 173 (1987) 30.",
        ),
        Paper(
            "mi",
            "Mutual-information estimation in high dimensions",
            "E. Abdelaleem, K. M. Martini, I. Nemenman, 'Accurate estimation of mutual information "
            "in high dimensional data' (2025).",
        ),
        Paper(
            "sns",
            "Sinkhorn-Newton-Sparse optimal transport",
            "X. Tang et al., 'Accelerating Sinkhorn algorithm with sparse Newton iterations', ICLR 2024.",
        ),
        Paper(
            "quantile",
            "Flexible model aggregation for quantile regression",
            "R. Fakoor, T. Kim, J. Mueller, A. J. Smola, R. J. Tibshirani, 'Flexible model "
            "aggregation for quantile regression', JMLR 24 (2023).",
        ),
        Paper(
            "sparse",
            "Sparse linear regression on random supports",
            "G. Chandrasekaran, R. Meka, K. Stavropoulos, 'Sparse linear regression is easy on "
            "random supports' (2025).",
        ),
        Paper(
            "hebbian",
            "Dense Hebbian networks, supervised (replica symmetric)",
            "E. Agliari et al., 'Dense Hebbian neural networks: a replica symmetric picture of "
            "supervised learning', Physica A 626 (2023) 129076.",
        ),
        Paper(
            "franz_parisi",
            "Franz-Parisi potentials and continual learning",
            "C. Li, Z. Huang, W. Zou, H. Huang, 'Statistical mechanics of continual learning: "
            "variational principle and mean-field potential', Phys. Rev. E 108 (2023).",
        ),
        Paper(
            "dsd",
            "Sample complexity of CNN vs LCN vs FCN (Dynamic Signal Distribution)",
            "A. Lahoti, S. Karp, E. Winston, A. Singh, Y. Li, 'Role of locality and weight sharing "
            "in image-based tasks: a sample complexity separation between CNNs, LCNs, and FCNs', ICLR 2024.",
        ),
        Paper(
            "wtb",
            "Weighted tallying bandits",
            "D. Malik, C. Igoe, Y. Li, A. Singh, 'Weighted tallying bandits: overcoming "
            "intractability via repeated exposure optimality', ICML 2023.",
        ),
        Paper(
            "pn",
            "The p-n criterion for exponential families",
            "Y. Sheena, 'MLE convergence speed to information projection of exponential family: "
            "criterion for model dimension and sample size' (2021).",
        ),
    ]
}


def all_claims() -> list[Claim]:
    """Every registered claim, in paper order (then in the order its module defines them)."""
    claims = [c for _, c in CLAIM_REGISTRY.collect()]
    unknown = sorted({c.paper for c in claims} - set(PAPERS))
    if unknown:
        raise ValueError(f"claims registered under unknown paper id(s) {unknown}; known papers: {', '.join(PAPERS)}")
    rank = {pid: i for i, pid in enumerate(PAPERS)}
    return sorted(claims, key=lambda c: rank[c.paper])  # stable: module order within a paper


def select_claims(papers=None, ids=None) -> list[Claim]:
    """Claims of the given papers and/or with the given ids (``None`` = no filter).

    Unknown paper ids or claim ids raise ``ValueError`` listing the valid ones.
    """
    if papers:
        unknown = sorted(set(papers) - set(PAPERS))
        if unknown:
            raise ValueError(f"unknown paper id(s) {unknown}; known papers: {', '.join(PAPERS)}")
    claims = all_claims()
    if ids:
        known = {c.id for c in claims}
        unknown = sorted(set(ids) - known)
        if unknown:
            raise ValueError(f"unknown claim id(s) {unknown}; run `theorylab list` to see the {len(known)} known claims")
    return [c for c in claims if (not papers or c.paper in papers) and (not ids or c.id in ids)]


def get_claim(claim_id: str) -> Claim:
    """The claim with this id."""
    return select_claims(ids=[claim_id])[0]
