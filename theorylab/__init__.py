"""theorylab: recent statistical theory as objects you can compute with, in JAX.

Importing theorylab turns on JAX's 64-bit mode (``jax_enable_x64``): the replica equations,
fold locations and exact references in this package need float64 (the float policy is on the
conventions page). It also switches on JAX's persistent compilation cache in
``$XDG_CACHE_HOME/theorylab/jax``, unless you configured a cache for JAX yourself or set
``THEORYLAB_NO_COMPILATION_CACHE=1`` (see :mod:`theorylab.compilation_cache`).
"""

import jax as _jax

_jax.config.update("jax_enable_x64", True)

from theorylab.compilation_cache import enable_compilation_cache as _enable_compilation_cache  # noqa: E402

_enable_compilation_cache()

__version__ = "0.1.0.dev0"

__all__ = ["__version__"]
