"""The plug-in point for MI estimators: the :class:`MIEstimator` protocol and the name registry.

Anything with the members of :class:`MIEstimator` can be given to the protocol functions
(:func:`~theorylab.estimators.mutual_information.estimate_with_ci`, :func:`subsample`,
:func:`bootstrap`); the built-in estimators (:class:`KSG`, :class:`GaussianMI`, :class:`NeuralMI`)
register their names here when their modules are imported, so ``estimator="ksg"`` works without this
module importing them (which would make an import cycle).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

__all__ = ["MIEstimator", "register_estimator", "resolve_estimator", "estimator_names"]


@runtime_checkable
class MIEstimator(Protocol):
    """What the subsampling protocol needs of an estimator.

    ``statistic(key, x, y)`` must be a pure JAX function returning the estimate in nats (the
    protocol maps it with ``vmap`` over disjoint chunks, or with ``lax.map`` when the estimator sets
    ``chunk_batching = "map"``), and the object must be hashable with equal configurations comparing
    equal (it is a static argument of the compiled programs: frozen :class:`equinox.Module`
    estimators with static fields are).

    Optional: ``bias_exponent_floor(dim_x, dim_y)``, the smallest exponent :math:`a` of a bias law
    :math:`N^{-a}` the protocol should allow when it widens the interval
    (:func:`~theorylab.estimators.mutual_information.protocol.slowest_bias_exponent`; 1/4 without it);
    ``reference_estimator``, a model-free estimator that a model-based one must agree with (the
    Gaussian estimator names KSG); and ``model_test(x, y)``, a test of the estimator's model on the whole
    sample returning an object with ``statistic`` and ``p_value`` (the Gaussian estimator's is
    :func:`~theorylab.estimators.mutual_information.gaussian_copula_test`).
    """

    name: str
    uses_neighbours: bool  #: nearest-neighbour estimators refuse resampling with replacement
    min_reliable_samples: int  #: chunks smaller than this make the verdict unreliable

    def min_samples(self, dim_x: int = 1, dim_y: int = 1) -> int:  # pragma: no cover - protocol
        """Smallest chunk the estimator can be evaluated on."""
        ...

    def statistic(self, key, x, y) -> Any:  # pragma: no cover - protocol
        """The estimate in nats, a pure function of ``(N, dx)`` and ``(N, dy)`` arrays."""
        ...


_REGISTRY: dict[str, Callable[..., MIEstimator]] = {}


def register_estimator(name: str, factory: Callable[..., MIEstimator]) -> None:
    """Make ``estimator=name`` resolve to ``factory(**options)``."""
    _REGISTRY[name] = factory


def estimator_names() -> tuple[str, ...]:
    """The names :func:`resolve_estimator` accepts."""
    return tuple(_REGISTRY)


def resolve_estimator(estimator, **kwargs) -> MIEstimator:
    """An estimator object from a registered name (``"ksg"``, ``"ksg1"``, ``"ksg2"``, ``"gaussian"``,
    ``"neural"``) configured by ``kwargs``, or ``estimator`` itself when it follows :class:`MIEstimator`."""
    if isinstance(estimator, str):
        if estimator not in _REGISTRY:
            raise ValueError(f"`estimator` must be one of {', '.join(map(repr, _REGISTRY))} or an estimator "
                             f"object, got {estimator!r}")
        return _REGISTRY[estimator](**kwargs)
    if kwargs:
        raise TypeError(f"estimator options {sorted(kwargs)} only apply when `estimator` is given by name")
    if not isinstance(estimator, MIEstimator):
        missing = [a for a in ("name", "uses_neighbours", "min_reliable_samples", "min_samples", "statistic")
                   if not hasattr(estimator, a)]
        raise TypeError(f"`estimator` must be a name or follow the MIEstimator protocol; {estimator!r} lacks "
                        f"{', '.join(f'`{m}`' for m in missing)}")
    return estimator
