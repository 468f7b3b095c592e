"""The built wheel installs exactly one top-level import package, ``theorylab``.

The repository folders ``estimators/`` and ``proofs_checks/`` are mapped to
``theorylab.estimators`` and ``theorylab.proofs_checks`` in ``pyproject.toml``. This test builds
the wheel from the working tree, installs it (no dependencies) into a scratch virtual environment,
and lists what appeared in that environment's site-packages.
"""

from __future__ import annotations

import pathlib
import subprocess
import sys
import sysconfig
import venv
import zipfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _site_packages(env: pathlib.Path) -> pathlib.Path:
    (path,) = {p.resolve() for p in env.glob("lib*/python*/site-packages")}
    return path


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> pathlib.Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
        check=True, cwd=out,
    )
    (whl,) = out.glob("theorylab-*.whl")
    return whl


def test_wheel_maps_every_source_package_under_theorylab(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"theorylab"}
    # every package folder of the source tree is in the wheel, under its theorylab name
    expected = set()
    for folder, prefix in (("theorylab", "theorylab"), ("estimators", "theorylab/estimators"),
                           ("proofs_checks", "theorylab/proofs_checks")):
        for init in (ROOT / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / folder).as_posix()
            expected.add(f"{prefix}/{rel}/__init__.py".replace("/./", "/"))
    assert expected <= set(names), sorted(expected - set(names))


def test_installed_wheel_leaves_only_theorylab_at_top_level(wheel, tmp_path):
    env = tmp_path / "env"
    venv.EnvBuilder(with_pip=True).create(env)
    python = env / "bin" / "python"
    before = {p.name for p in _site_packages(env).iterdir()}
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)], check=True)
    added = {p.name for p in _site_packages(env).iterdir()} - before
    assert {a for a in added if not a.endswith(".dist-info")} == {"theorylab"}, added
    assert any(a.startswith("theorylab-") and a.endswith(".dist-info") for a in added)
    # the installed copy imports, with its dependencies taken from this environment (PYTHONPATH
    # does not process .pth files, so the editable install of the checkout stays out of the way)
    code = (
        "import theorylab.estimators.sparse as s, theorylab.proofs_checks as p, importlib.util as u;"
        "print(s.__file__); print(p.__file__);"
        "print(u.find_spec('estimators'), u.find_spec('proofs_checks'))"
    )
    res = subprocess.run(
        [str(python), "-c", code], capture_output=True, text=True, cwd=tmp_path,
        env={"PYTHONPATH": sysconfig.get_paths()["purelib"], "PATH": "/usr/bin:/bin", "JAX_PLATFORMS": "cpu"},
    )
    assert res.returncode == 0, res.stderr
    sparse_file, checks_file, specs = res.stdout.strip().splitlines()
    site = str(_site_packages(env))
    assert sparse_file.startswith(site) and checks_file.startswith(site)
    assert specs == "None None"
