"""theorylab: recent statistical theory as objects you can compute with, in JAX.

Importing theorylab turns on JAX's 64-bit mode (``jax_enable_x64``): the replica equations,
fold locations and exact references in this package need float64. Code that wants float32 can
still ask for it explicitly (``jnp.float32`` arrays stay float32).
"""

import jax as _jax

_jax.config.update("jax_enable_x64", True)

__version__ = "0.1.0.dev0"

__all__ = ["__version__"]
