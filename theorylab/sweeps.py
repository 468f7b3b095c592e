r"""Sweeps: one function mapped over a parameter grid, in chunks, in-process or on a cluster.

:func:`sweep` evaluates ``fn`` at every point of a grid (a pytree of arrays whose leading axis
indexes the points; :func:`product_grid` builds one from axes). Within a chunk of points the work is
``jax.vmap``-ed (or ``lax.map``-ped, ``batch="map"``, when memory says so) inside one compiled
program; across chunks it runs

* in this process (the default),
* on any :class:`concurrent.futures.Executor` (``executor=``): a process pool, a Dask
  ``distributed.Client.get_executor()``, Ray's ``ray.util`` executors; theorylab grows no scheduler
  of its own,
* or across local JAX devices (``devices=``): each chunk is sharded over a one-axis mesh.

**Keys and reproducibility.** With ``key=``, point ``i`` receives ``jax.random.fold_in(key, i)``:
a function of the grid index only, never of the chunking or of where the chunk ran. Every chunk is
padded to the same size, so every chunk runs the same compiled program, and results are
bit-identical between in-process, executor and device-sharded runs with the same ``chunk_size``
(a different chunk size compiles a different program, which may round differently).

**Checkpoints.** With ``checkpoint=DIR`` each finished chunk is written to ``DIR`` (atomically, as
``chunk-NNNNNN.npz``, next to a manifest that fingerprints the grid, the key and the chunking); a
rerun after a crash or a killed worker loads the finished chunks and computes only the missing ones.
A checkpoint written for another function (including the arguments of a ``functools.partial``),
grid, key or chunking is refused rather than mixed in.

The function must be picklable to run on an executor in other processes (a module-level function,
or a ``functools.partial`` of one); in-process and device runs take any callable. The compiled chunk
program is cached per function, keyed by its serialised bytes (a ``functools.partial`` with its
arguments; the last 32), so every chunk an executor sends to a worker reuses the program compiled
for the first, and repeated sweeps of the same function compile once per process.
"""

from __future__ import annotations

import functools
import hashlib
import json
import marshal
import math
import os
import pickle
import sys
import tempfile
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Executor, as_completed
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from theorylab.validation import check_choice, check_integer, check_key, raw_key_data

__all__ = ["sweep", "product_grid", "ProductGrid", "SweepEvent", "BATCH_MODES"]

#: How a chunk's points are evaluated: ``"vmap"`` (one compiled vectorised program), ``"map"``
#: (``lax.map``: one compiled program, one point at a time, less memory), ``"chunk"`` (``fn``
#: receives the whole chunk and batches it itself, e.g. a kernel that vectorises better than a
#: ``vmap``), ``"host"`` (``fn`` is called eagerly per point: for points whose work has different
#: shapes, or that run Python-level code such as a solver with its own compiled programs).
BATCH_MODES = ("vmap", "map", "chunk", "host")


class ProductGrid(NamedTuple):
    """A Cartesian grid flattened to points: ``points`` (a dict of 1-D arrays, one entry per point, in
    C order over ``axes``), the ``axes`` themselves and ``shape``. ``reshape(result)`` gives every
    leaf of a sweep result the grid's shape."""

    points: dict
    axes: dict
    shape: tuple

    def reshape(self, result):
        """Every leaf ``(n_points, ...)`` becomes ``shape + (...)``."""
        return jax.tree.map(lambda a: np.asarray(a).reshape(self.shape + np.shape(a)[1:]), result)


def product_grid(**axes) -> ProductGrid:
    """The Cartesian product of 1-D ``axes`` (keyword order kept): ``product_grid(alpha=a, beta=b)``."""
    if not axes:
        raise ValueError("product_grid needs at least one axis, e.g. product_grid(alpha=[0.1, 0.2])")
    arrays = {}
    for name, values in axes.items():
        a = np.asarray(values)
        if a.ndim != 1 or a.size == 0:
            raise ValueError(f"axis `{name}` must be a non-empty 1-D sequence, got shape {a.shape}")
        arrays[name] = a
    mesh = np.meshgrid(*arrays.values(), indexing="ij")
    points = {name: m.ravel() for name, m in zip(arrays, mesh)}
    return ProductGrid(points, arrays, tuple(a.size for a in arrays.values()))


class SweepEvent(NamedTuple):
    """What ``progress`` receives after every chunk: ``kind`` is ``"computed"`` or ``"loaded"`` (from
    the checkpoint), ``chunk`` its index, ``done`` / ``total`` the chunks finished so far / in all,
    ``seconds`` since the sweep started."""

    kind: str
    chunk: int
    done: int
    total: int
    seconds: float


# ------------------------------------------------------------------------------------------ chunks
def _points(grid) -> int:
    leaves = jax.tree.leaves(grid)
    if not leaves:
        raise ValueError("`grid` must be a pytree of arrays (a leading axis over the grid points), got no arrays")
    sizes = {int(np.shape(leaf)[0]) if np.ndim(leaf) else -1 for leaf in leaves}
    if len(sizes) != 1 or -1 in sizes:
        raise ValueError(f"every leaf of `grid` must have the same leading length (one entry per point), got {sorted(sizes)}")
    n = sizes.pop()
    if n == 0:
        raise ValueError("`grid` has no points")
    return n


def _chunk_slice(grid, start: int, size: int, n: int, pad: bool = True):
    """Points ``start .. start + size`` and their grid indices (the key indices). Positions past the
    end repeat the last point (equal chunk shapes); their indices run past ``n`` and are dropped.
    ``pad=False`` (host chunks, which compile nothing) stops at the end instead."""
    idx = np.arange(start, start + size if pad else min(start + size, n))
    return jax.tree.map(lambda a: np.asarray(a)[np.minimum(idx, n - 1)], grid), idx


def _chunk_keys(key_data, indices):
    """Point keys ``fold_in(key, i)`` for a chunk's grid indices (a batch of typed keys)."""
    return jax.vmap(lambda kd, i: jax.random.fold_in(jax.random.wrap_key_data(kd), i))(key_data, indices)


def _compiled(fn, with_key: bool, batch: str):
    if batch == "chunk":  # fn batches the chunk itself
        def whole(args):
            key_data, indices, points = args
            return fn(_chunk_keys(key_data, indices), points) if with_key else fn(points)

        return jax.jit(whole)

    def per_point(args):
        if with_key:
            key_data, index, point = args
            return fn(jax.random.fold_in(jax.random.wrap_key_data(key_data), index), point)
        _, _, point = args
        return fn(point)

    if batch == "vmap":
        return jax.jit(jax.vmap(per_point))
    return jax.jit(lambda args: jax.lax.map(per_point, args))


_PROGRAMS: OrderedDict = OrderedDict()  # (function bytes or object, with_key, batch) -> chunk program; the last 32


def _serialised(fn) -> tuple[str | None, bytes | None]:
    """``fn`` serialised, and how: ``("pickle", bytes)`` (a module-level function by reference, a
    ``functools.partial`` with its arguments), ``("cloudpickle", bytes)`` (closures and ``__main__``
    functions by value, with what they captured, where cloudpickle is installed) or ``(None, None)``."""
    try:
        return "pickle", pickle.dumps(fn)
    except Exception:
        pass
    try:
        import cloudpickle

        return "cloudpickle", cloudpickle.dumps(fn)
    except Exception:
        return None, None


def _callables(fn) -> tuple:
    """The function objects inside ``fn`` (a ``functools.partial``'s function and callable arguments)."""
    if isinstance(fn, functools.partial):
        inner = [fn.func] + [a for a in (*fn.args, *fn.keywords.values()) if callable(a)]
        return tuple(c for f in inner for c in _callables(f))
    return (fn,)


def _code(fn) -> bytes:
    """The bytecode of the functions inside ``fn``: a function pickled by reference (by its name) is
    told apart from a redefinition under the same name."""
    out = b""
    for f in _callables(fn):
        code = getattr(f, "__code__", None)
        out += marshal.dumps(code) if code is not None else repr(type(f)).encode()
    return out


def _program_key(fn, with_key: bool, batch: str):
    """The compiled-program cache key. For a function that pickles by reference (a module-level
    function, or a partial of one): its pickled bytes and the function objects themselves, so that the
    new partial each executor task unpickles finds the program compiled for the previous chunk while a
    function redefined under the same name does not; for one that only cloudpickle serialises (shipped
    by value: closures, ``__main__`` functions on a worker): those bytes, which carry the code; the
    object itself when it does not serialise; ``None`` (compile per call) when it is not hashable."""
    how, data = _serialised(fn)
    if how == "pickle":
        return (how, hashlib.sha256(data).hexdigest(), _callables(fn), with_key, batch)
    if how == "cloudpickle":
        return (how, hashlib.sha256(data).hexdigest(), with_key, batch)
    try:
        hash(fn)
    except TypeError:
        return None
    return ("object", fn, with_key, batch)


def _run_host(fn, key_data, chunk, indices):
    """A host chunk: ``fn`` called eagerly on one point at a time, outputs stacked."""
    keys = None if key_data is None else _chunk_keys(
        jnp.broadcast_to(jnp.asarray(key_data), (indices.size,) + key_data.shape), jnp.asarray(indices, jnp.uint32))
    outs = []
    for j in range(indices.size):
        point = jax.tree.map(lambda a: a[j], chunk)
        out = fn(keys[j], point) if keys is not None else fn(point)
        outs.append(jax.tree.map(np.asarray, out))
    return jax.tree.map(lambda *leaves: np.stack(leaves), *outs)


def _run_chunk(fn, key_data, chunk, indices, batch: str, devices=None):
    """Evaluate one padded chunk; returns host (NumPy) leaves. Runs wherever the executor puts it."""
    if batch == "host":
        return _run_host(fn, key_data, chunk, indices)
    with_key = key_data is not None
    cache_key = _program_key(fn, with_key, batch)
    program = None if cache_key is None else _PROGRAMS.get(cache_key)
    if program is None:
        program = _compiled(fn, with_key, batch)
        if cache_key is not None:
            _PROGRAMS[cache_key] = program
            while len(_PROGRAMS) > 32:
                _PROGRAMS.popitem(last=False)
    kd = (np.zeros((indices.size, 2), np.uint32) if key_data is None
          else np.broadcast_to(key_data, (indices.size,) + key_data.shape))
    args = (jnp.asarray(kd), jnp.asarray(indices, jnp.uint32), jax.tree.map(jnp.asarray, chunk))
    if devices is not None:
        from jax.sharding import Mesh, NamedSharding, PartitionSpec

        mesh = Mesh(np.asarray(devices), ("points",))
        sharding = NamedSharding(mesh, PartitionSpec("points"))
        args = jax.device_put(args, sharding)
    out = program(args)
    return jax.tree.map(np.asarray, out)


# ------------------------------------------------------------------------------------------ checkpoints
def _function_fingerprint(fn) -> bytes:
    """The function's serialised bytes (a ``functools.partial`` carries its arguments: another key,
    model or setting baked into the task is another sweep) and its bytecode (a function redefined
    under the same name is another sweep); its qualified name and bytecode when it does not
    serialise."""
    _, data = _serialised(fn)
    if data is None:
        target = fn.func if isinstance(fn, functools.partial) else fn
        data = f"{getattr(target, '__module__', '')}.{getattr(target, '__qualname__', repr(target))}".encode()
    return data + _code(fn)


def _fingerprint(fn, grid, key_data, chunk_size: int, n: int, batch: str) -> str:
    h = hashlib.sha256()
    h.update(_function_fingerprint(fn))
    h.update(json.dumps([n, chunk_size, batch, str(jax.tree.structure(grid))]).encode())
    for leaf in jax.tree.leaves(grid):
        a = np.ascontiguousarray(np.asarray(leaf))
        h.update(str((a.dtype, a.shape)).encode())
        h.update(a.tobytes())
    h.update(b"nokey" if key_data is None else np.asarray(key_data).tobytes())
    return h.hexdigest()


class _Checkpoint:
    def __init__(self, directory: str, fingerprint: str, n_chunks: int):
        self.dir = os.fspath(directory)
        os.makedirs(self.dir, exist_ok=True)
        manifest = os.path.join(self.dir, "manifest.json")
        if os.path.exists(manifest):
            with open(manifest) as fh:
                old = json.load(fh)
            if old.get("fingerprint") != fingerprint:
                raise ValueError(f"`checkpoint` directory {self.dir!r} holds another sweep (function, grid, key or chunking); "
                                 "use a new directory (or delete it to start over)")
        else:
            self._atomic_write(manifest, json.dumps({"fingerprint": fingerprint, "chunks": n_chunks}).encode())

    def path(self, i: int) -> str:
        return os.path.join(self.dir, f"chunk-{i:06d}.npz")

    def load(self, i: int):
        """Chunk ``i``'s result leaves, or ``None`` when it was not finished."""
        p = self.path(i)
        if not os.path.exists(p):
            return None
        with np.load(p) as data:
            return [data[f"leaf{j}"] for j in range(len(data.files))]

    def save(self, i: int, result) -> None:
        buf = tempfile.NamedTemporaryFile(dir=self.dir, suffix=".tmp", delete=False)
        try:
            np.savez(buf, **{f"leaf{j}": leaf for j, leaf in enumerate(jax.tree.leaves(result))})
            buf.close()
            os.replace(buf.name, self.path(i))
        finally:
            if os.path.exists(buf.name):
                os.unlink(buf.name)

    def save_structure(self, treedef) -> None:
        """The result's pytree structure (as a template with integer leaves), written before the first
        chunk, so that a rerun that loads every chunk rebuilds the result without evaluating ``fn``."""
        path = os.path.join(self.dir, "structure.pkl")
        if not os.path.exists(path):
            self._atomic_write(path, pickle.dumps(jax.tree.unflatten(treedef, range(treedef.num_leaves))))

    def load_structure(self):
        path = os.path.join(self.dir, "structure.pkl")
        if not os.path.exists(path):
            raise ValueError(f"`checkpoint` directory {self.dir!r} holds finished chunks but not the result's structure "
                             "(structure.pkl, written before the first chunk); use a new directory")
        with open(path, "rb") as fh:
            return jax.tree.structure(pickle.load(fh))

    @staticmethod
    def _atomic_write(path: str, data: bytes) -> None:
        tmp = path + ".tmp"
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)


def _print_progress(event: SweepEvent) -> None:
    end = "\n" if event.done == event.total else ""
    sys.stderr.write(f"\rsweep: {event.done}/{event.total} chunks ({event.seconds:.1f} s){end}")
    sys.stderr.flush()


# ------------------------------------------------------------------------------------------ sweep
def sweep(fn: Callable, grid, *, key=None, chunk_size: int | None = None, executor: Executor | None = None,
          devices=None, checkpoint: str | os.PathLike | None = None, batch: str = "vmap", progress=False):
    """Evaluate ``fn`` at every point of ``grid``; results stacked in grid order.

    Parameters
    ----------
    fn:
        ``fn(point)``, or ``fn(key, point)`` when ``key`` is given; ``point`` is one slice of ``grid``
        (the same pytree without the leading axis). Pure and ``vmap``-able; returns a pytree of arrays.
    grid:
        A pytree of arrays sharing a leading axis (one entry per point), e.g. ``product_grid(...).points``.
    key:
        PRNG key; point ``i`` gets ``jax.random.fold_in(key, i)`` (independent of the chunking).
    chunk_size:
        Points per chunk (default: all points in one chunk in-process; about four chunks per worker
        thread of an executor otherwise). Every chunk has this size (the last one is padded).
    executor:
        A :class:`concurrent.futures.Executor` that runs chunks (``fn`` must then be picklable).
    devices:
        Local JAX devices to shard each chunk over (``jax.devices()`` for all); ``chunk_size`` is
        rounded up to a multiple of their number.
    checkpoint:
        A directory for finished chunks; a rerun computes only the missing ones.
    batch:
        ``"vmap"`` (default), ``"map"`` (``lax.map``: one point at a time, less memory), ``"chunk"``
        (``fn(keys, points)`` / ``fn(points)`` gets the whole padded chunk, ``keys`` a batch of point
        keys, and returns leaves with the chunk's leading axis) or ``"host"`` (``fn`` runs eagerly on
        one point at a time, as NumPy values: points whose work has different shapes, or code with
        its own compiled programs). See :data:`BATCH_MODES`.
    progress:
        ``True`` prints a progress line on stderr; a callable receives a :class:`SweepEvent` per chunk.

    Returns
    -------
    The pytree ``fn`` returns, every leaf with a leading axis of length ``n_points`` (NumPy arrays).
    """
    n = _points(grid)
    check_choice(batch, "batch", BATCH_MODES)
    key_data = None
    if key is not None:
        key = check_key(key)
        typed = key if jax.dtypes.issubdtype(key.dtype, jax.dtypes.prng_key) else jax.random.wrap_key_data(key)
        if typed.shape != ():
            raise ValueError(f"`key` must be one PRNG key (per-point keys are derived from it by fold_in), got a "
                             f"batch of shape {typed.shape}")
        if str(jax.random.key_impl(typed)) != str(jax.random.key_impl(jax.random.key(0))):
            raise ValueError("`key` must use JAX's default PRNG implementation (its raw data is sent to the workers)")
        key_data = raw_key_data(typed)
    if executor is not None and not isinstance(executor, Executor):
        raise TypeError(f"`executor` must be a concurrent.futures.Executor (e.g. distributed.Client.get_executor()), "
                        f"got {type(executor).__name__}")
    if executor is not None and devices is not None:
        raise ValueError("give `executor` or `devices`, not both")
    if devices is not None:
        devices = list(devices)
        if not devices:
            raise ValueError("`devices` is empty")
        if batch == "host":
            raise ValueError("`devices` shards compiled chunks; batch='host' runs Python per point (use an `executor`)")
    if chunk_size is None:
        if executor is not None:
            workers = getattr(executor, "_max_workers", None) or os.cpu_count() or 1
            chunk_size = max(1, math.ceil(n / (4 * workers)))
        else:
            chunk_size = n
    chunk_size = check_integer(chunk_size, "chunk_size", minimum=1)
    if devices is not None:
        chunk_size = len(devices) * math.ceil(chunk_size / len(devices))
    n_chunks = math.ceil(n / chunk_size)
    store = (None if checkpoint is None
             else _Checkpoint(checkpoint, _fingerprint(fn, grid, key_data, chunk_size, n, batch), n_chunks))
    report = _print_progress if progress is True else (progress or None)
    start = time.perf_counter()
    results: dict[int, Any] = {}
    treedef = None

    def finished(kind, i):
        if report is not None:
            report(SweepEvent(kind, i, len(results), n_chunks, time.perf_counter() - start))

    todo = []
    for i in range(n_chunks):
        loaded = None if store is None else store.load(i)
        if loaded is not None:
            results[i] = loaded
            finished("loaded", i)
        else:
            todo.append(i)

    def keep(i, out):
        nonlocal treedef
        treedef = jax.tree.structure(out)
        if store is not None:
            store.save_structure(treedef)  # first: a saved chunk always has its structure beside it
            store.save(i, out)
        results[i] = jax.tree.leaves(out)
        finished("computed", i)

    pad = batch != "host"  # host chunks compile nothing: no padding to equal shapes
    if executor is None:
        for i in todo:
            chunk, idx = _chunk_slice(grid, i * chunk_size, chunk_size, n, pad=pad)
            keep(i, _run_chunk(fn, key_data, chunk, idx, batch, devices))
    else:
        futures = {}
        for i in todo:
            chunk, idx = _chunk_slice(grid, i * chunk_size, chunk_size, n, pad=pad)
            futures[executor.submit(_run_chunk, fn, key_data, chunk, idx, batch)] = i
        for fut in as_completed(futures):
            # drop every reference once the result is here: a cluster then forgets the chunk, and a
            # worker lost later does not make it compute the chunk again
            i = futures.pop(fut)
            out = fut.result()
            del fut
            keep(i, out)
    if treedef is None:  # every chunk came from the checkpoint, whose structure was written first
        treedef = store.load_structure()
    leaves = [np.concatenate([results[i][j] for i in range(n_chunks)])[:n] for j in range(treedef.num_leaves)]
    return jax.tree.unflatten(treedef, leaves)

