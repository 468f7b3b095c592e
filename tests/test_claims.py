"""The claim registry, runner, report and CLI, on synthetic claims whose outcome is known."""

import json
import math

import jax
import pytest

from theorylab import cli
from theorylab.claims import (
    PAPERS,
    AtLeast,
    AtMost,
    Between,
    Claim,
    Close,
    Measurement,
    Verdict,
    all_claims,
    claim_key,
    format_table,
    registry,
    results_to_json,
    run_claim,
    select_claims,
    write_report,
)

KEY = jax.random.key(0)

ISSUE_PAPER_IDS = {"ags", "mi", "sns", "quantile", "sparse", "hebbian", "franz_parisi", "dsd", "wtb", "pn"}


def _claim(measure, expected=None, cid="ags.synthetic", figure=None):
    return Claim(id=cid, paper="ags", statement="a synthetic claim", expected=expected or {"x": Close(1.0, 0.1)},
                 measure=measure, sizes={"quick": {"n": 1}, "full": {"n": 2}}, source="test", figure=figure)


def test_expectations_judge():
    assert Close(1.0, 0.1).judge(1.05) and not Close(1.0, 0.1).judge(1.2)
    assert AtMost(0.0).judge(-1) and not AtMost(0.0).judge(1e-9)
    assert AtLeast(2.0).judge(2.0) and not AtLeast(2.0).judge(1.9)
    assert Between(0, 1).judge(0.5) and not Between(0, 1).judge(1.5)
    for exp in (Close(1.0, 0.1), AtMost(1.0), AtLeast(0.0), Between(0, 1)):
        assert not exp.judge(math.nan)  # NaN is never a reproduction
    with pytest.raises(ValueError):
        Close(1.0, 0.0)
    with pytest.raises(ValueError):
        Between(2, 1)


def test_claim_definition_is_validated():
    with pytest.raises(ValueError, match="claim id must look like"):
        Claim(id="Bad", paper="ags", statement="", expected={"x": Close(1, 1)}, measure=lambda k: None)
    with pytest.raises(TypeError, match="must be an Expectation"):
        Claim(id="ags.x", paper="ags", statement="", expected={"x": 1.0}, measure=lambda k: None)
    with pytest.raises(ValueError, match="sizes must define"):
        Claim(id="ags.x", paper="ags", statement="", expected={"x": Close(1, 1)}, measure=lambda k: None,
              sizes={"quick": {}})


def test_run_claim_verdicts_and_size_passing():
    seen = {}

    def measure(key, n):
        seen["n"] = n
        return Measurement({"x": 1.0 + 0.01 * n})

    claim = _claim(measure)
    assert run_claim(KEY, claim).verdict is Verdict.REPRODUCED and seen["n"] == 1
    assert run_claim(KEY, claim, size="full").verdict is Verdict.REPRODUCED and seen["n"] == 2
    bad = _claim(lambda key, n: Measurement({"x": 5.0}))
    res = run_claim(KEY, bad)
    assert res.verdict is Verdict.NOT_REPRODUCED and res.measured == {"x": 5.0}


def test_errors_become_error_verdicts():
    def boom(key, n):
        raise RuntimeError("solver exploded")

    res = run_claim(KEY, _claim(boom))
    assert res.verdict is Verdict.ERROR and "solver exploded" in res.error
    missing = run_claim(KEY, _claim(lambda key, n: Measurement({"y": 1.0})))
    assert missing.verdict is Verdict.ERROR and "lacks" in missing.error


def test_claim_key_depends_on_id_and_seed_only():
    import jax

    a, b = claim_key(KEY, "ags.a"), claim_key(KEY, "ags.b")
    assert not (jax.random.key_data(a) == jax.random.key_data(b)).all()
    assert (jax.random.key_data(claim_key(jax.random.key(0), "ags.a")) == jax.random.key_data(a)).all()
    assert not (jax.random.key_data(claim_key(jax.random.key(1), "ags.a")) == jax.random.key_data(a)).all()


def test_registry_covers_issue_paper_ids_and_is_consistent():
    assert set(PAPERS) == ISSUE_PAPER_IDS
    claims = all_claims()
    assert len({c.id for c in claims}) == len(claims)
    assert all(c.paper in PAPERS and c.source for c in claims)
    assert {c.paper for c in claims} >= {"ags"}


def test_select_claims_rejects_unknown_ids():
    with pytest.raises(ValueError, match="unknown paper id"):
        select_claims(papers=["nope"])
    with pytest.raises(ValueError, match="unknown claim id"):
        select_claims(ids=["ags.nope"])
    assert [c.paper for c in select_claims(papers=["ags"])] == ["ags"] * len(select_claims(papers=["ags"]))


def test_table_json_and_report(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def draw(data):
        fig, ax = plt.subplots()
        ax.plot(*data)
        return fig

    def measure(key, n):
        return Measurement({"x": 1.0}, data=([0, 1], [0, 1]), notes="a line")

    drawn = _claim(measure, figure=draw)
    results = [run_claim(KEY, drawn), run_claim(KEY, _claim(lambda k, n: Measurement({"x": 3.0}), cid="ags.other"))]
    assert run_claim(KEY, drawn, figure=False).figure is None  # measuring alone draws nothing
    table = format_table(results)
    assert "ags.synthetic" in table and "NOT reproduced" in table and "2 claims: 1 reproduced, 1 not reproduced" in table
    data = json.loads(results_to_json(results))
    assert {"id", "paper", "statement", "expected", "measured", "verdict", "seconds"} <= set(data[0])
    assert [d["verdict"] for d in data] == ["reproduced", "not_reproduced"]
    path = write_report(results, tmp_path / "rep")
    text = open(path).read()
    assert "figures/ags.synthetic.png" in text and (tmp_path / "rep" / "figures" / "ags.synthetic.png").stat().st_size > 1000
    assert json.loads((tmp_path / "rep" / "results.json").read_text())[1]["id"] == "ags.other"


@pytest.fixture
def synthetic_registry(monkeypatch):
    claims = [
        _claim(lambda k, n: Measurement({"x": 1.0}), cid="ags.good"),
        _claim(lambda k, n: Measurement({"x": 9.0}), cid="ags.bad"),
    ]
    monkeypatch.setattr(registry, "all_claims", lambda: claims)
    return claims


def test_cli_verify_json_and_exit_codes(synthetic_registry, capsys):
    assert cli.main(["verify", "--claim", "ags.good", "--json", "--no-progress"]) == 0
    out = capsys.readouterr()
    data = json.loads(out.out)
    assert data[0]["id"] == "ags.good" and data[0]["verdict"] == "reproduced"
    assert "ags.good" in out.err  # the table goes to stderr with --json
    # not reproduced: exit 0 by default, 1 with --strict
    assert cli.main(["verify", "--no-progress"]) == 0
    assert cli.main(["verify", "--strict", "--no-progress"]) == 1
    capsys.readouterr()
    assert cli.main(["verify", "--paper", "unknown", "--no-progress"]) == 2
    assert "unknown paper id" in capsys.readouterr().err


def test_cli_error_exit_code(monkeypatch, capsys):
    def boom(key, n):
        raise RuntimeError("x")

    monkeypatch.setattr(registry, "all_claims", lambda: [_claim(boom)])
    assert cli.main(["verify", "--no-progress"]) == 1


def test_cli_list_and_report(synthetic_registry, capsys, tmp_path):
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    assert "ags.good" in out and "franz_parisi" in out
    assert cli.main(["verify", "--claim", "ags.good", "--report", str(tmp_path / "r"), "--no-progress"]) == 0
    assert (tmp_path / "r" / "report.md").exists()


def test_full_only_claims_are_skipped_in_the_quick_run(monkeypatch, capsys):
    heavy = Claim(id="ags.heavy", paper="ags", statement="heavy", expected={"x": Close(1.0, 0.1)},
                  measure=lambda k, n: Measurement({"x": 1.0}), sizes={"quick": {"n": 1}, "full": {"n": 2}},
                  source="test", full_only=True)
    monkeypatch.setattr(registry, "all_claims", lambda: [heavy, _claim(lambda k, n: Measurement({"x": 1.0}))])
    assert cli.main(["verify", "--no-progress", "--json"]) == 0
    out = capsys.readouterr()
    assert [d["id"] for d in json.loads(out.out)] == ["ags.synthetic"] and "only with --full: ags.heavy" in out.err
    assert cli.main(["verify", "--no-progress", "--json", "--full"]) == 0
    assert {d["id"] for d in json.loads(capsys.readouterr().out)} == {"ags.heavy", "ags.synthetic"}
    assert cli.main(["list"]) == 0 and "ags.heavy  [--full only]" in capsys.readouterr().out


def test_cli_checks_the_report_directory_before_running_anything(synthetic_registry, tmp_path, capsys, monkeypatch):
    """Regression: an unwritable --report ran every claim first, then died with a traceback."""
    import theorylab.claims as claims_pkg

    def never(*args, **kwargs):
        raise AssertionError("a claim ran although the report could not be written")

    monkeypatch.setattr(claims_pkg, "run_claims", never)
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    assert cli.main(["verify", "--no-progress", "--report", str(blocker / "report")]) == 2
    assert "cannot write the report" in capsys.readouterr().err


def test_a_failing_figure_keeps_the_verdict_and_says_so():
    def draw(data):
        raise RuntimeError("no ink")

    result = run_claim(KEY, _claim(lambda k, n: Measurement({"x": 1.0}), figure=draw))
    assert result.verdict is Verdict.REPRODUCED and result.figure is None
    assert "figure failed: RuntimeError: no ink" in result.notes


def test_claims_are_registered_next_to_their_measure_and_never_plot_while_measuring():
    """Every registered claim comes from the @claim decorator on its measure function, in the module
    of its paper, and the measure function holds no plotting code (figures are drawn by the claim's
    separate ``figure`` function, from ``Measurement.data``)."""
    import inspect

    from theorylab.claims.base import CLAIM_REGISTRY

    registered = dict(CLAIM_REGISTRY.collect())
    claims = all_claims()
    assert {c.id for c in claims} == set(registered)
    for c in claims:
        assert c.measure.__module__ == f"theorylab.claims.{c.paper}", c.id
        source = inspect.getsource(c.measure)
        assert source.lstrip().startswith("@claim("), c.id  # the registration sits on the function
        body = source[source.index("\ndef "):]
        assert "pyplot" not in body and "plt." not in body, c.id
        if c.figure is not None:
            assert c.figure.__module__ == c.measure.__module__, c.id


def test_registry_refuses_a_duplicate_claim_id():
    import theorylab.claims.ags  # noqa: F401  (registers ags.alpha_c_t0)
    from theorylab.claims.base import claim

    with pytest.raises(ValueError, match="duplicate claim 'ags.alpha_c_t0'"):
        claim("ags.alpha_c_t0", statement="again", expected={"x": Close(1, 1)})(
            type("F", (), {"__module__": "theorylab.claims.other"})())
