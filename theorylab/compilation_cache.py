"""JAX's persistent compilation cache, switched on for theorylab by default.

Compiling a solver is most of the first call's cost (seconds on a 2-core machine). With the cache on,
a new Python process that calls the same function on the same shapes loads the compiled program from
disk instead of compiling it again.

Where it lives: ``$THEORYLAB_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/theorylab/jax`` (``XDG_CACHE_HOME``
defaults to ``~/.cache``), following the XDG base-directory rules.

What theorylab never overrides: a cache location you configured for JAX yourself
(``JAX_COMPILATION_CACHE_DIR`` in the environment, or ``jax.config.update("jax_compilation_cache_dir",
...)`` before importing theorylab) is left as it is, and so is a minimum compile time you set with
``JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS`` or a size bound set with
``JAX_COMPILATION_CACHE_MAX_SIZE``. Otherwise programs that took at least :data:`MIN_COMPILE_SECONDS`
to compile are cached (JAX's own default, 1 s, would skip most of them), up to
:data:`MAX_CACHE_BYTES` (least recently used entries are evicted first).

Opting out: set ``THEORYLAB_NO_COMPILATION_CACHE=1`` before importing theorylab. To empty the cache, call
:func:`clear_compilation_cache` (or delete the directory :func:`compilation_cache_dir` returns).
"""

from __future__ import annotations

import os
import pathlib
import shutil

import jax

__all__ = ["MIN_COMPILE_SECONDS", "MAX_CACHE_BYTES", "compilation_cache_dir", "enable_compilation_cache", "clear_compilation_cache"]

#: Programs that compile faster than this are not written to the cache.
MIN_COMPILE_SECONDS = 0.05

#: Size bound of the cache; least recently used entries go first. With a bound JAX also locks the
#: directory (``filelock``), so parallel processes (pytest-xdist, a Dask cluster) never read a
#: half-written entry.
MAX_CACHE_BYTES = 2 * 1024**3

_OPT_OUT = "THEORYLAB_NO_COMPILATION_CACHE"


def _default_dir() -> pathlib.Path:
    if os.environ.get("THEORYLAB_CACHE_DIR"):
        return pathlib.Path(os.environ["THEORYLAB_CACHE_DIR"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(pathlib.Path.home() / ".cache")
    return pathlib.Path(base).expanduser() / "theorylab" / "jax"


def compilation_cache_dir() -> pathlib.Path | None:
    """The directory JAX's persistent compilation cache uses now (``None`` when it is off)."""
    value = jax.config.jax_compilation_cache_dir
    return None if not value else pathlib.Path(value)


def enable_compilation_cache() -> pathlib.Path | None:
    """Switch the cache on in theorylab's directory unless the user configured or refused one.

    Called once when theorylab is imported; returns the directory in use (``None`` when opted out).
    """
    if os.environ.get(_OPT_OUT, "").strip().lower() not in ("", "0", "false", "no"):
        return compilation_cache_dir()
    if jax.config.jax_compilation_cache_dir or os.environ.get("JAX_COMPILATION_CACHE_DIR"):
        return compilation_cache_dir()  # the user's choice stands
    directory = _default_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None  # a read-only home: run without the cache rather than fail the import
    jax.config.update("jax_compilation_cache_dir", str(directory))
    if "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS" not in os.environ:
        jax.config.update("jax_persistent_cache_min_compile_time_secs", MIN_COMPILE_SECONDS)
    if "JAX_COMPILATION_CACHE_MAX_SIZE" not in os.environ:
        jax.config.update("jax_compilation_cache_max_size", MAX_CACHE_BYTES)
    return directory


def clear_compilation_cache() -> None:
    """Delete every entry of the current cache directory (the directory itself is kept)."""
    directory = compilation_cache_dir()
    if directory is None or not directory.exists():
        return
    for entry in directory.iterdir():
        if entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
