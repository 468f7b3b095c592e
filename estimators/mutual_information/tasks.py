"""Benchmark tasks with known mutual information, as data.

A :class:`MITask` names a joint law of ``(X, Y)`` whose MI is known in closed form (the ground
truths of :mod:`~theorylab.estimators.mutual_information.ground_truth`), optionally seen through an
MI-preserving invertible map applied to ``X`` and ``Y`` separately
(:mod:`~theorylab.estimators.mutual_information.transforms`): multivariate normals with dense or
sparse interactions, Student-t laws, additive uniform noise, a latent Gaussian seen in high
dimension. The families and names follow the benchmark of Czyż et al., "Beyond normal: on the
evaluation of mutual information estimators" (NeurIPS 2023). A task is plain data (a NamedTuple of
strings, numbers and tuples): it pickles, so a calibration study can ship it to a cluster.

:func:`task_suite` lists the suite at a quick and a full size.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from theorylab.estimators.mutual_information import ground_truth as gt
from theorylab.estimators.mutual_information import transforms as tr
from theorylab.validation import check_choice, check_integer, check_key

__all__ = ["MITask", "FAMILIES", "TRANSFORMS", "task_suite", "normal_task", "student_t_task",
           "additive_uniform_task", "latent_gaussian_task"]

#: The joint laws a task can name.
FAMILIES = ("normal_dense", "normal_sparse", "normal_pair", "student_t", "additive_uniform", "latent_gaussian")

#: The MI-preserving maps a task can apply to X and Y (separately, the same map to both).
TRANSFORMS = ("normal_cdf", "half_cube", "asinh", "wiggly", "spiral")


class MITask(NamedTuple):
    """One task: ``family`` and its ``params`` (a tuple of ``(name, value)`` pairs), the split
    ``dim_x`` / ``dim_y``, an optional ``transform`` and the exact ``mutual_information`` in nats."""

    name: str
    family: str
    params: tuple
    dim_x: int
    dim_y: int
    transform: str | None
    mutual_information: float

    def distribution(self):
        """The joint law of the untransformed ``(X, Y)`` as a NumPyro distribution."""
        from theorylab.estimators.mutual_information import distributions as dist

        p = dict(self.params)
        if self.family == "normal_dense":
            return dist.JointGaussian(dist.dense_covariance(self.dim_x, self.dim_y, p["off_diagonal"]), self.dim_x)
        if self.family == "normal_sparse":
            return dist.JointGaussian(dist.sparse_covariance(self.dim_x, self.dim_y, p["n_interacting"],
                                                             p["strength"]), self.dim_x)
        if self.family == "normal_pair":
            return dist.correlated_pair(p["rho"])
        if self.family == "student_t":
            return dist.JointStudentT(jnp.eye(self.dim_x + self.dim_y), self.dim_x, p["df"])
        if self.family == "additive_uniform":
            return dist.AdditiveUniform(p["eps"])
        if self.family == "latent_gaussian":
            return dist.latent_gaussian(jax.random.key(p["embedding_seed"]), self.dim_x, p["rho"], p["noise"])
        raise ValueError(f"unknown task family {self.family!r}; expected one of {FAMILIES}")

    def sample(self, key, n: int):
        """``n`` samples ``(x, y)`` of shapes ``(n, dim_x)`` and ``(n, dim_y)``, transformed."""
        key = check_key(key)
        n = check_integer(n, "n", minimum=1)
        x, y = self.distribution().sample_xy(key, n)
        if self.transform is not None:
            f = _transform(self.transform)
            x, y = f(x), f(y)
        return x, y


def _transform(name: str) -> tr.InvertibleMap:
    check_choice(name, "transform", TRANSFORMS)
    return {"normal_cdf": tr.normal_cdf, "half_cube": tr.half_cube, "asinh": tr.asinh}.get(name) or (
        tr.wiggly() if name == "wiggly" else tr.spiral())


def _with_transform(task: MITask, transform: str | None) -> MITask:
    if transform is None:
        return task
    check_choice(transform, "transform", TRANSFORMS)
    if transform == "spiral" and min(task.dim_x, task.dim_y) < 2:
        raise ValueError(f"the spiral map needs at least two columns in X and in Y; task {task.name!r} has "
                         f"{task.dim_x} x {task.dim_y}")
    return task._replace(name=f"{transform}({task.name})", transform=transform)


def normal_task(dim_x: int, dim_y: int, interactions: str = "dense", *, transform: str | None = None) -> MITask:
    """Multivariate normal: ``"dense"`` (unit variances, every correlation 0.5) or ``"sparse"`` (two
    interacting coordinate pairs with strength 2 and nuisance noise); ``dim_x = dim_y = 1`` with
    ``"pair"`` is the bivariate normal with correlation 0.75."""
    dx = check_integer(dim_x, "dim_x", minimum=1)
    dy = check_integer(dim_y, "dim_y", minimum=1)
    check_choice(interactions, "interactions", ("dense", "sparse", "pair"))
    from theorylab.estimators.mutual_information import distributions as dist

    if interactions == "pair":
        if (dx, dy) != (1, 1):
            raise ValueError(f"`interactions='pair'` is the 1 x 1 bivariate normal, got {dx} x {dy}")
        task = MITask("1v1-normal-0.75", "normal_pair", (("rho", 0.75),), 1, 1, None,
                      float(gt.mi_gaussian_canonical(jnp.asarray([0.75]))))
    elif interactions == "dense":
        cov = dist.dense_covariance(dx, dy, 0.5)
        task = MITask(f"multinormal-dense-{dx}-{dy}", "normal_dense", (("off_diagonal", 0.5),), dx, dy, None,
                      float(gt.mi_gaussian(cov, dx)))
    else:
        p = min(2, dx, dy)
        cov = dist.sparse_covariance(dx, dy, p, 2.0)
        task = MITask(f"multinormal-sparse-{dx}-{dy}", "normal_sparse", (("n_interacting", p), ("strength", 2.0)),
                      dx, dy, None, float(gt.mi_gaussian(cov, dx)))
    return _with_transform(task, transform)


def student_t_task(dim_x: int, dim_y: int, df: float, *, transform: str | None = None) -> MITask:
    """Multivariate Student-t with identity dispersion and ``df`` degrees of freedom (its MI is the
    non-Gaussian correction alone: the dispersion carries no correlation)."""
    dx = check_integer(dim_x, "dim_x", minimum=1)
    dy = check_integer(dim_y, "dim_y", minimum=1)
    df = float(df)
    mi = float(gt.mi_student_t(jnp.eye(dx + dy), dx, df))
    task = MITask(f"student-identity-{dx}-{dy}-df{df:g}", "student_t", (("df", df),), dx, dy, None, mi)
    return _with_transform(task, transform)


def additive_uniform_task(eps: float, *, transform: str | None = None) -> MITask:
    """``X ~ U(0, 1)``, ``Y = X + U(-eps, eps)``."""
    eps = float(eps)
    task = MITask(f"additive-uniform-{eps:g}", "additive_uniform", (("eps", eps),), 1, 1, None,
                  float(gt.mi_additive_uniform(eps)))
    return _with_transform(task, transform)


def latent_gaussian_task(dim: int, rho=(0.9, 0.8), noise: float = 0.5, *, embedding_seed: int = 0,
                         transform: str | None = None) -> MITask:
    """A low-dimensional correlated latent (canonical correlations ``rho``) seen in ``dim``
    dimensions through random orthonormal embeddings (drawn from ``key(embedding_seed)``) plus
    noise of standard deviation ``noise``."""
    dim = check_integer(dim, "dim", minimum=1)
    rho = tuple(float(r) for r in rho)
    mi = float(gt.mi_latent_gaussian(jnp.asarray(rho), noise))
    task = MITask(f"latent-gaussian-{dim}-{dim}-rank{len(rho)}", "latent_gaussian",
                  (("rho", rho), ("noise", float(noise)), ("embedding_seed", int(embedding_seed))), dim, dim, None, mi)
    return _with_transform(task, transform)


def task_suite(size: str = "quick") -> list[MITask]:
    """The MI benchmark suite.

    ``"quick"``: the bivariate normal (rho = 0.75), dense and sparse multivariate normals 2x2 and
    5x5, Student-t 1x1 (df 1) and 2x2 (df 2), additive uniform (eps 0.1), and three transformed
    tasks (normal CDF and wiggly maps of the bivariate normal, half-cube of the dense 2x2 normal).

    ``"full"`` adds dense and sparse normals 3x3 and 25x25, Student-t 3x3 (df 3) and 5x5 (df 5),
    additive uniform eps 0.75, a latent Gaussian in 10 dimensions, and the asinh map of Student-t
    1x1 (df 1) and the spiral map of the sparse 3x3 normal.
    """
    check_choice(size, "size", ("quick", "full"))
    tasks = [normal_task(1, 1, "pair"), normal_task(2, 2, "dense"), normal_task(5, 5, "dense"),
             normal_task(2, 2, "sparse"), normal_task(5, 5, "sparse"), student_t_task(1, 1, 1.0),
             student_t_task(2, 2, 2.0), additive_uniform_task(0.1),
             normal_task(1, 1, "pair", transform="normal_cdf"), normal_task(1, 1, "pair", transform="wiggly"),
             normal_task(2, 2, "dense", transform="half_cube")]
    if size == "full":
        tasks += [normal_task(3, 3, "dense"), normal_task(25, 25, "dense"), normal_task(3, 3, "sparse"),
                  normal_task(25, 25, "sparse"), student_t_task(3, 3, 3.0), student_t_task(5, 5, 5.0),
                  additive_uniform_task(0.75), latent_gaussian_task(10),
                  student_t_task(1, 1, 1.0, transform="asinh"), normal_task(3, 3, "sparse", transform="spiral")]
    return tasks
