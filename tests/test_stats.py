"""The shared statistics helpers (kexie_research.stats): one home, checked against oracles."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from kexie_research import stats
from kexie_research.errors import AnalysisError, DataValidationError, MissingColumnsError


# ---- Wilson ---------------------------------------------------------------------------------
@pytest.mark.parametrize("n", [1, 3, 10, 13, 30, 97, 400])
@pytest.mark.parametrize("confidence", [0.8, 0.9, 0.95, 0.99])
def test_wilson_matches_statsmodels(n, confidence):
    k = np.arange(n + 1)
    lo, hi = stats.wilson_interval(k, n, confidence)
    slo, shi = proportion_confint(k, n, alpha=1 - confidence, method="wilson")
    np.testing.assert_allclose(lo, slo, rtol=0, atol=1e-15)
    np.testing.assert_allclose(hi, shi, rtol=0, atol=1e-15)


def test_wilson_contains_the_estimate_at_the_edges():
    # statsmodels (and the old copy in evaluation/power.py) give 0.9999999999999999 for 10/10
    # and 5.6e-17 for 0/3: the bound lies a few ulps on the wrong side of the estimate
    n = np.arange(1, 401)
    for k in (np.zeros_like(n), n):
        lo, hi = stats.wilson_interval(k, n)
        p = k / n
        assert (lo <= p).all() and (p <= hi).all() and (lo >= 0).all() and (hi <= 1).all()
    assert float(stats.wilson_interval(10, 10)[1]) == 1.0
    assert float(stats.wilson_interval(0, 3)[0]) == 0.0


def test_wilson_nan_without_trials_and_bad_confidence():
    lo, hi = stats.wilson_interval([0, 2], [0, 4])
    assert np.isnan(lo[0]) and np.isnan(hi[0]) and 0 < lo[1] < 0.5 < hi[1] < 1
    with pytest.raises(ValueError, match="confidence"):
        stats.wilson_interval(1, 2, 1.5)


def test_power_simulation_interval_contains_its_estimate():
    # every replicate rejects (effect 5 SD): power 1.0, whose Wilson upper bound must be 1.0 —
    # the copy evaluation/power.py had gave 0.9999999999999999 for 10/10
    from kexie_research.evaluation.power import simulate_power_mixed

    r = simulate_power_mixed(5.0, n_clusters=4, cluster_size=5, icc=0.0, n_sims=10, rng=1)
    assert r.power == 1.0 and r.n_failed == 0
    assert r.ci_low <= r.power <= r.ci_high == 1.0
    assert (r.ci_low, r.ci_high) == tuple(float(x) for x in stats.wilson_interval(10, 10))


def test_one_wilson_in_the_package():
    import kexie_research.coverage as coverage
    import kexie_research.evaluation.power as power

    assert coverage.wilson_interval is stats.wilson_interval
    assert not hasattr(power, "_wilson")


# ---- entropy, co-information ----------------------------------------------------------------
def test_entropy_bits_counts_and_probabilities():
    assert stats.entropy_bits([2, 1, 1]) == pytest.approx(1.5)          # hand-computed: ½·1 + 2·¼·2
    assert stats.entropy_bits([0.5, 0.25, 0.25]) == pytest.approx(1.5)
    assert stats.entropy_bits([]) == 0.0 and stats.entropy_bits([0, 0]) == 0.0
    assert stats.entropy_bits([5]) == 0.0


def test_co_information_reference_values():
    # DOMAIN.md § 6: XOR → −1 bit, copy → +1 bit, independent → 0
    xor = np.zeros((2, 2, 2))
    xor[0, 0, 0] = xor[0, 1, 1] = xor[1, 0, 1] = xor[1, 1, 0] = 0.25
    copy = np.zeros((2, 2, 2))
    copy[0, 0, 0] = copy[1, 1, 1] = 0.5
    rng = np.random.default_rng(3)
    a, b, c = (rng.dirichlet([1, 1]) for _ in range(3))
    indep = np.einsum("i,j,k->ijk", a, b, c)
    assert stats.co_information(xor) == pytest.approx(-1.0)
    assert stats.co_information(copy) == pytest.approx(1.0)
    assert stats.co_information(indep) == pytest.approx(0.0, abs=1e-12)
    assert stats.mutual_information(copy, (0, 2)) == pytest.approx(1.0)
    with pytest.raises(AnalysisError, match="empty"):
        stats.co_information(np.zeros((2, 2, 2)))


def test_co_information_equals_the_explicit_entropy_sum():
    rng = np.random.default_rng(11)
    for _ in range(20):
        t = rng.dirichlet(np.ones(8)).reshape(2, 2, 2)
        H = lambda *axes: stats.entropy_bits(t.sum(axis=tuple(a for a in range(3) if a not in axes)))  # noqa: E731
        explicit = H(0) + H(1) + H(2) - H(0, 1) - H(0, 2) - H(1, 2) + H(0, 1, 2)
        assert stats.co_information(t) == pytest.approx(explicit, abs=1e-12)


def test_one_co_information_in_the_package():
    import importlib

    th = importlib.import_module("kexie_research.networks.triple_helix")  # (the package re-exports
    eff = importlib.import_module("kexie_research.synthetic.effects")     # a function of that name)

    assert th.co_information is stats.co_information and th.entropy_bits is stats.entropy_bits
    # the generator's planted T (pattern probabilities) goes through the same function
    pats = eff._TH["patterns"]
    t = np.zeros((2, 2, 2))
    for k, p in zip(pats, eff._TH["synergy_provinces"]):
        t[tuple(k)] += p
    assert eff.PLANTED_EFFECTS["triple_helix_T_bits"]["synergy_provinces"] == round(stats.co_information(t), 4)


# ---- require_columns ------------------------------------------------------------------------
def test_require_columns_one_error_naming_table_and_every_missing_column():
    df = pd.DataFrame({"rep_id": ["a"], "x": [1]})
    stats.require_columns(df, ["rep_id"], table="representatives")
    with pytest.raises(MissingColumnsError) as e:
        stats.require_columns(df, ["rep_id", "training_id", "hours"], table="attendance")
    err = e.value
    assert err.table == "attendance" and err.missing == ("training_id", "hours")
    assert isinstance(err, DataValidationError) and isinstance(err, AnalysisError)
    assert err.column == "training_id" and err.rule == "required_column"
    assert "attendance" in str(err) and "training_id, hours" in str(err) and "has: rep_id, x" in str(err)
    again = pickle.loads(pickle.dumps(err))        # crosses worker processes intact
    assert str(again) == str(err) and again.missing == err.missing
    with pytest.raises(AnalysisError, match="survey table is required"):
        stats.require_columns(None, ["a"], table="survey")
    with pytest.raises(TypeError, match="DataFrame"):
        stats.require_columns([1, 2], ["a"], table="links")


@pytest.mark.parametrize("call", ["coverage", "networks", "evaluation", "compliance"])
def test_every_analysis_raises_the_same_missing_column_error(call):
    from kexie_research.compliance import evaluate_compliance
    from kexie_research.coverage import compute_coverage
    from kexie_research.evaluation import compute_learning
    from kexie_research.networks import build_graph

    bad = pd.DataFrame({"nope": [1]})
    calls = {
        "coverage": lambda: compute_coverage(bad, pd.DataFrame({"rep_id": [], "training_id": []})),
        "networks": lambda: build_graph(bad, pd.DataFrame({"source_id": [], "target_id": []})),
        "evaluation": lambda: compute_learning(bad),
        "compliance": lambda: evaluate_compliance(bad, pd.DataFrame()),
    }
    with pytest.raises(MissingColumnsError, match="lacks column"):
        calls[call]()


def test_require_columns_has_one_definition():
    import ast
    from pathlib import Path

    import kexie_research

    root = Path(kexie_research.__file__).parent
    homes = [str(p.relative_to(root)) for p in root.rglob("*.py")
             for node in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
             if isinstance(node, ast.FunctionDef) and node.name in NAMES]
    # (synthetic/effects.py keeps _co_information: an adaptor from helix patterns to a table)
    assert sorted(homes) == ["stats.py"] * 5, homes


NAMES = ("require_columns", "_require_columns", "wilson_interval", "_wilson", "entropy_bits",
         "_entropy_bits", "co_information", "subset_entropies", "_subset_entropies", "_entropy_axes")
