"""The conventions page (``docs/conventions.md``), checked mechanically on the whole public API.

Walks every package of theorylab (``theorylab.*``, ``theorylab.estimators.*``,
``theorylab.proofs_checks``), takes each public name in its ``__all__``, and checks the rules that
can be read off signatures and classes:

* every public function, class and public method has a docstring;
* randomness: a parameter ``key`` is the first parameter (after ``self``), positional and required;
  no public signature takes an integer seed (``seed``, ``rng``, ``random_state``, ...) and the
  replication count is spelled ``num_seeds``;
* solvers: a public callable with a step limit or a tolerance takes ``throw`` (keyword, default
  ``False``); limits are spelled ``max_steps`` (or ``max_<stage>_steps``) and tolerances ``tol``;
* status-bearing results (a ``status`` field) have ``converged``, ``num_steps``, ``message`` and
  ``raise_if_failed``;
* estimates with an error: a class with ``confidence_interval`` has the signature
  ``confidence_interval(self, level=0.95, *, ...)``, and ``value``, ``standard_error`` and ``__float__``;
* object idioms: a public class is an ``equinox.Module`` (models, configurations, estimators), a
  ``NamedTuple`` (results and states), an ``Enum``, an exception, a ``typing.Protocol`` or a NumPyro
  distribution; never a plain or dataclass class;
* plug-in points are typed ``Protocol``s exported by their package;
* no module of the package imports the top-level names ``estimators`` or ``proofs_checks``.
"""

from __future__ import annotations

import ast
import dataclasses
import enum
import importlib
import inspect
import pathlib
import pkgutil
import re
import textwrap

import equinox as eqx
import jax
import numpyro.distributions as npd
import pytest

import theorylab

ROOT = pathlib.Path(__file__).resolve().parents[1]

# --------------------------------------------------------------------------------------------------
# collecting the public API


def _packages() -> list:
    mods = []
    for root in ("theorylab", "theorylab.estimators", "theorylab.proofs_checks"):
        pkg = importlib.import_module(root)
        mods.append(pkg)
        for info in pkgutil.walk_packages(pkg.__path__, root + "."):
            if info.ispkg:
                mods.append(importlib.import_module(info.name))
    return mods


PACKAGES = _packages()


def _public_objects():
    seen = {}
    for mod in PACKAGES:
        for name in getattr(mod, "__all__", ()):
            obj = getattr(mod, name)
            if inspect.ismodule(obj) or not (inspect.isclass(obj) or callable(obj)):
                continue
            seen.setdefault(id(obj), (f"{mod.__name__}.{name}", obj))
    return sorted(seen.values(), key=lambda t: t[0])


PUBLIC = _public_objects()


def _callables():
    """(qualified name, callable, skip-first) for functions, classes and public methods."""
    out = []
    for qual, obj in PUBLIC:
        if inspect.isclass(obj):
            if issubclass(obj, (BaseException, enum.Enum)) or _is_protocol(obj):
                continue
            out.append((qual, obj, False))
            for attr, member in vars(obj).items():
                if attr.startswith("_") or not inspect.isfunction(member):
                    continue
                out.append((f"{qual}.{attr}", member, True))
        else:
            out.append((qual, obj, False))
    return out


def _signature(fn):
    try:
        return inspect.signature(fn)
    except (TypeError, ValueError):
        return None


def _params(fn, skip_first):
    sig = _signature(fn)
    if sig is None:
        return []
    params = list(sig.parameters.values())
    return params[1:] if skip_first and params else params


def _is_protocol(cls) -> bool:
    return bool(getattr(cls, "_is_protocol", False))


def _is_namedtuple(cls) -> bool:
    return issubclass(cls, tuple) and hasattr(cls, "_fields")


def _fields(cls) -> tuple[str, ...]:
    if _is_namedtuple(cls):
        return cls._fields
    if dataclasses.is_dataclass(cls):
        return tuple(f.name for f in dataclasses.fields(cls))
    return ()


CALLABLES = _callables()

# --------------------------------------------------------------------------------------------------
# the rules


def test_the_walk_covers_every_package():
    """Every package folder of the source tree is walked, and each one has an ``__all__``."""
    names = {m.__name__ for m in PACKAGES}
    for folder, prefix in (("theorylab", "theorylab"), ("estimators", "theorylab.estimators"),
                           ("proofs_checks", "theorylab.proofs_checks")):
        for init in (ROOT / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / folder).as_posix()
            name = prefix if rel == "." else f"{prefix}.{rel.replace('/', '.')}"
            assert name in names, name
    missing = [m.__name__ for m in PACKAGES if m is not theorylab and not hasattr(m, "__all__")]
    assert not missing, missing
    assert len(PUBLIC) > 250


def test_every_public_name_has_a_docstring():
    bad = [q for q, obj, _ in CALLABLES if not (inspect.getdoc(obj) or "").strip()]
    assert not bad, f"{len(bad)} public names without a docstring: {bad}"


SEED_NAMES = {"seed", "rng", "rng_key", "prng_key", "random_state", "prng"}
REPLICATION_NAMES = {"seeds", "reps", "n_seeds", "num_reps", "n_reps", "replicates", "num_replicates"}


def test_key_is_first_and_required():
    bad = []
    for qual, fn, skip in CALLABLES:
        params = _params(fn, skip)
        names = [p.name for p in params]
        if "key" in names:
            p = params[0]
            if p.name != "key":
                bad.append(f"{qual}: key is parameter {names.index('key') + 1}, not the first")
            elif p.default is not inspect.Parameter.empty:
                bad.append(f"{qual}: key has a default")
            elif p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
                bad.append(f"{qual}: key is keyword-only")
        for name in names:
            if name in SEED_NAMES:
                bad.append(f"{qual}: takes `{name}` (use a `key` first)")
            if name in REPLICATION_NAMES:
                bad.append(f"{qual}: replication count `{name}` (spell it `num_seeds`)")
    assert not bad, "\n".join(bad)


def _validates_key(fn) -> bool:
    """The body checks its key (``check_key``), hands it on as a first argument to a public
    theorylab function (which checks it), or does not use it (``del key``)."""
    try:
        src = textwrap.dedent(inspect.getsource(inspect.unwrap(fn)))
    except (OSError, TypeError):
        return True
    if "check_key(" in src or "del key" in src:
        return True
    for node in ast.walk(ast.parse(src)):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Name) and node.args[0].id == "key":
            callee = ast.unparse(node.func)
            if not callee.startswith(("jax.random", "jr.")) and not callee.split(".")[-1].startswith("_"):
                return True
    return False


def test_random_functions_check_their_key():
    """Every public callable that takes a key validates it (an int or ``None`` gets theorylab's
    error naming ``key``, not JAX's "invalid PRNG key data")."""
    bad = [q for q, fn, skip in CALLABLES
           if (params := _params(fn, skip)) and params[0].name == "key" and not _validates_key(fn)]
    assert not bad, bad


LIMIT_RE = re.compile(r"^(max_?iters?|maxiter|n_iters?|num_iters?|max_iterations|iterations|max_newton|max_sinkhorn)$")
TOL_NAMES = {"tolerance", "rtol", "atol", "threshold_tol", "eps_tol"}


def _is_limit(name: str) -> bool:
    return name == "max_steps" or (name.startswith("max_") and name.endswith("_steps"))


STATUS_RESULTS = {obj.__name__ for _, obj in PUBLIC if inspect.isclass(obj) and "status" in _fields(obj)}


def _returns_status_result(fn) -> bool:
    sig = _signature(fn)
    if sig is None or sig.return_annotation is inspect.Signature.empty:
        return False
    text = sig.return_annotation if isinstance(sig.return_annotation, str) else getattr(
        sig.return_annotation, "__name__", str(sig.return_annotation))
    return any(re.search(rf"\b{name}\b", text) for name in STATUS_RESULTS)


def test_solver_entry_points_take_throw_and_share_spellings():
    """A solver entry point is a public callable with a step limit or one that returns a
    status-bearing result; each takes ``throw`` (keyword-only, default False)."""
    bad = []
    assert len(STATUS_RESULTS) >= 15, sorted(STATUS_RESULTS)
    for qual, fn, skip in CALLABLES:
        params = {p.name: p for p in _params(fn, skip)}
        for name in params:
            if LIMIT_RE.match(name):
                bad.append(f"{qual}: step limit spelled `{name}` (use max_steps / max_<stage>_steps)")
            if name in TOL_NAMES:
                bad.append(f"{qual}: tolerance spelled `{name}` (use tol)")
        solver = any(_is_limit(n) for n in params) or (
            _returns_status_result(fn) and not qual.endswith(".raise_if_failed"))
        if "throw" in params:
            p = params["throw"]
            if p.default is not False or p.kind is not p.KEYWORD_ONLY:
                bad.append(f"{qual}: throw must be keyword-only with default False")
        elif solver and not inspect.isclass(fn):
            bad.append(f"{qual}: a solver entry point (step limit or status-bearing result) without `throw`")
    assert not bad, "\n".join(bad)


STATUS_MEMBERS = ("converged", "num_steps", "message", "raise_if_failed")


def test_status_bearing_results_share_one_shape():
    bad = []
    for qual, obj in PUBLIC:
        if not inspect.isclass(obj) or "status" not in _fields(obj):
            continue
        for member in STATUS_MEMBERS:
            if not hasattr(obj, member):
                bad.append(f"{qual}: has `status` but no `{member}`")
        for old in ("n_iter", "success", "n_sinkhorn", "path_converged"):
            if old in _fields(obj):
                bad.append(f"{qual}: field `{old}` (see the conventions page)")
    assert not bad, "\n".join(bad)


def test_interval_methods_share_one_signature():
    bad = []
    found = 0
    for qual, obj in PUBLIC:
        if not inspect.isclass(obj) or not hasattr(obj, "confidence_interval"):
            continue
        found += 1
        params = list(inspect.signature(obj.confidence_interval).parameters.values())
        if [p.name for p in params[:2]] != ["self", "level"] or params[1].default != 0.95:
            bad.append(f"{qual}.confidence_interval{inspect.signature(obj.confidence_interval)}")
        if any(p.kind is not p.KEYWORD_ONLY for p in params[2:]):
            bad.append(f"{qual}.confidence_interval: extra arguments must be keyword-only")
        for member in ("value", "standard_error", "__float__"):
            if not hasattr(obj, member) and member not in _fields(obj):
                bad.append(f"{qual}: has confidence_interval but no `{member}`")
    assert found >= 4
    assert not bad, "\n".join(bad)


def _allowed_class(cls) -> bool:
    return (
        issubclass(cls, eqx.Module)
        or _is_namedtuple(cls)
        or issubclass(cls, (enum.Enum, BaseException))
        or _is_protocol(cls)
        or issubclass(cls, npd.Distribution)
    )


def test_one_idiom_for_objects():
    bad = [f"{q} ({type(obj).__name__}: {[b.__name__ for b in obj.__mro__[1:3]]})"
           for q, obj in PUBLIC if inspect.isclass(obj) and not _allowed_class(obj)]
    assert not bad, "public classes outside the idioms:\n" + "\n".join(bad)


def test_plug_in_points_are_protocols():
    from theorylab.bandits import LossModel, Policy
    from theorylab.estimators.mutual_information import MIEstimator

    for proto in (MIEstimator, Policy, LossModel):
        assert _is_protocol(proto) and getattr(proto, "_is_runtime_protocol", False), proto


@pytest.mark.parametrize("folder", ["theorylab", "estimators", "proofs_checks", "tests", "benchmarks", "docs"])
def test_no_top_level_estimators_or_proofs_checks_imports(folder):
    bad = []
    files = list((ROOT / folder).rglob("*.py"))
    for path in files:
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            bad += [f"{path.relative_to(ROOT)}: {n}" for n in names
                    if n.split(".")[0] in ("estimators", "proofs_checks")]
    for path in (ROOT / folder).rglob("*.md"):  # tutorial code cells and examples
        bad += [f"{path.relative_to(ROOT)}: {line.strip()}" for line in path.read_text().splitlines()
                if re.match(r"\s*(from|import)\s+(estimators|proofs_checks)\b", line)]
    assert not bad, bad


def test_the_rules_would_catch_a_violation():
    """The checks above are not vacuous: a deliberately bad signature trips each of them."""

    def sample(n, key=None, *, seed=0, max_iter=10, tol=1e-8):
        pass

    params = _params(sample, False)
    assert [p.name for p in params][0] != "key"
    assert {p.name for p in params} & SEED_NAMES
    assert any(LIMIT_RE.match(p.name) for p in params)
    assert "throw" not in {p.name for p in params}

    @dataclasses.dataclass
    class Loose:
        status: int = 0

    assert not _allowed_class(Loose)
    assert not all(hasattr(Loose, m) for m in STATUS_MEMBERS)


def test_configs_are_modules_not_namedtuples():
    """Configurations (they validate themselves) use the module idiom; NamedTuples are results and states."""
    bad = [q for q, obj in PUBLIC if inspect.isclass(obj) and _is_namedtuple(obj) and hasattr(obj, "validate")]
    assert not bad, bad


def _int_key_calls():
    import numpy as np

    import theorylab.bandits as wtb
    import theorylab.estimators.mutual_information as mi
    import theorylab.estimators.quantile as qa
    import theorylab.estimators.sparse as sp
    import theorylab.estimators.transport as ot
    import theorylab.infogeo as ig
    from theorylab.claims import all_claims, run_claim
    from theorylab.learning import dsd

    x = np.linspace(0.0, 1.0, 40)[:, None]
    env = wtb.TallyingBandit([1.0, 0.5], wtb.LinearLoss([0.5, 0.6], [0.0, 0.0]))
    return {
        "ksg": lambda k: mi.ksg(k, x, x ** 2),
        "estimate_with_ci": lambda k: mi.estimate_with_ci(k, x, x ** 2),
        "make_design": lambda k: sp.make_design(k, "gaussian", 10, 5),
        "simulate": lambda k: wtb.simulate(k, env, wtb.UCB1(2), 10),
        "risk_monte_carlo": lambda k: ig.risk_monte_carlo(k, ig.normal(), lambda kk, s: jax.random.normal(kk, s),
                                                          5, 10, theta_star=ig.normal().theta_init),
        "bayes_error": lambda k: dsd.bayes_error(k, dsd.DSD(2, 3, 0.3)),
        "fit_aggregator": lambda k: qa.fit_aggregator(k, np.zeros((4, 2, 1)), np.zeros(4), [0.5]),
        "random_assignment": lambda k: ot.datasets.random_assignment(k, 5),
        "run_claim": lambda k: run_claim(k, all_claims()[0]),
    }


def _bad_keys():
    import numpy as np

    return {"int": 0, "None": None, "str": "seed", "uint32[3]": np.zeros(3, np.uint32), "float": 1.5}


@pytest.mark.parametrize("name", sorted(_int_key_calls()))
def test_an_invalid_key_gets_theorylabs_error(name):
    call = _int_key_calls()[name]
    for label, bad in _bad_keys().items():
        with pytest.raises(TypeError, match="`key` must be a JAX PRNG key"):
            call(bad)
