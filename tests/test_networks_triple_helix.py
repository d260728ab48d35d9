"""Triple-helix synergy: check values, a hand-computed table, four helices, units, bootstrap."""

from itertools import product

import numpy as np
import pandas as pd
import pytest

from kexie_research.errors import AnalysisError
from kexie_research.networks import build_graph
from kexie_research.networks.triple_helix import (DIMS3, DIMS4, co_information,
                                                  compute_triple_helix, entropy_bits,
                                                  mutual_information, presence_table,
                                                  triple_helix, triple_helix_by)


def _presence(cells: dict, dims=DIMS3) -> pd.DataFrame:
    """Rows repeated by count; cells keyed by bit strings like '110' (u, i, g)."""
    rows = []
    for bits, n in cells.items():
        rows += [[c == "1" for c in bits]] * n
    return pd.DataFrame(rows, columns=list(dims))


def test_check_values():
    xor = _presence({"000": 1, "011": 1, "101": 1, "110": 1})
    copy = _presence({"000": 1, "111": 1})
    indep = _presence({"".join(b): 1 for b in product("01", repeat=3)})
    assert triple_helix(xor).T == pytest.approx(-1.0, abs=1e-12)
    assert triple_helix(copy).T == pytest.approx(1.0, abs=1e-12)
    assert triple_helix(indep).T == pytest.approx(0.0, abs=1e-12)
    # pairwise: XOR pairs are independent, copy pairs share one bit
    assert all(v == pytest.approx(0, abs=1e-12) for v in triple_helix(xor).pairwise.values())
    assert all(v == pytest.approx(1) for v in triple_helix(copy).pairwise.values())


def test_hand_computed_contingency_table():
    # 8 collaborations: 000 ×2, 110 ×2, 011 ×2, 111 ×2 (u, i, g)
    # H_u = 1 (4/8); H_i = H(2/8, 6/8) = 0.811278; H_g = 1 (4/8)
    # H_ui: 00 (2), 11 (4), 01 (2) -> 1.5; H_ug: 00, 10, 01, 11 each 2 -> 2;
    # H_ig: 00 (2), 10 (2), 11 (4) -> 1.5; H_uig: four equal cells -> 2
    # T = 1 + 0.811278 + 1 - 1.5 - 2 - 1.5 + 2 = -0.188722 bits
    h_i = -(0.25 * np.log2(0.25) + 0.75 * np.log2(0.75))
    p = _presence({"000": 2, "110": 2, "011": 2, "111": 2})
    r = triple_helix(p)
    assert r.T == pytest.approx(1 + h_i + 1 - 1.5 - 2 - 1.5 + 2, abs=1e-12)
    assert r.T == pytest.approx(-0.188722, abs=1e-6)
    assert r.pairwise["university-industry"] == pytest.approx(1 + h_i - 1.5)
    assert r.pairwise["university-government"] == pytest.approx(0.0, abs=1e-12)
    assert r.pairwise["industry-government"] == pytest.approx(h_i + 1 - 1.5)
    assert r.entropies["university-industry-government"] == pytest.approx(2.0)
    assert r.table["weight"].sum() == 8 and r.n_units == 8
    # the same table given as counts
    t = np.zeros((2, 2, 2))
    t[0, 0, 0] = t[1, 1, 0] = t[0, 1, 1] = t[1, 1, 1] = 2
    assert co_information(t) == pytest.approx(r.T)
    assert mutual_information(t, (0, 1)) == pytest.approx(r.pairwise["university-industry"])


def test_four_helix_sign_convention():
    # copy: +1 bit in any dimension; parity: -1 bit in 3 dims, +1 bit in 4
    copy4 = _presence({"0000": 1, "1111": 1}, DIMS4)
    assert triple_helix(copy4, dims=DIMS4).T == pytest.approx(1.0)
    parity4 = _presence({"".join(b) + str(sum(map(int, b)) % 2): 1
                         for b in product("01", repeat=3)}, DIMS4)
    assert triple_helix(parity4, dims=DIMS4).T == pytest.approx(1.0)
    # a fourth helix that copies the first: I(X1;X2;X3;X1) = I(X1;X2;X3) - I(X1;X2;X3|X1) = 0 - 0
    ind = _presence({"".join(b) + b[0]: 1 for b in product("01", repeat=3)}, DIMS4)
    assert triple_helix(ind, dims=DIMS4).T == pytest.approx(0.0, abs=1e-12)


def test_co_information_recursion_on_random_tables():
    # I(X1..X4) = I(X1;X2;X3) - I(X1;X2;X3 | X4), with the conditional term averaged over X4
    rng = np.random.default_rng(11)
    for _ in range(20):
        t = rng.random((2, 2, 2, 2))
        t /= t.sum()
        p4 = t.sum(axis=(0, 1, 2))
        cond = sum(p4[k] * co_information(t[..., k]) for k in range(2))
        assert co_information(t) == pytest.approx(co_information(t.sum(axis=3)) - cond, abs=1e-12)
        # 3-D: equals the explicit formula of Leydesdorff
        s = t.sum(axis=3)
        H = lambda axes: entropy_bits(s.sum(axis=tuple(a for a in range(3) if a not in axes)))  # noqa: E731
        explicit = (H((0,)) + H((1,)) + H((2,)) - H((0, 1)) - H((0, 2)) - H((1, 2)) + H((0, 1, 2)))
        assert co_information(s) == pytest.approx(explicit, abs=1e-12)


def test_bootstrap_interval_reproducible_and_covers():
    rng = np.random.default_rng(3)
    p = pd.DataFrame(rng.random((400, 3)) < [0.4, 0.6, 0.5], columns=list(DIMS3))
    a = triple_helix(p, n_boot=300, rng=5)
    b = triple_helix(p, n_boot=300, rng=5)
    assert a.ci == b.ci
    assert a.ci[0] <= a.T <= a.ci[1]
    assert set(a.pairwise_ci) == set(a.pairwise)
    # weighted (fractional) path: index resampling
    p["w"] = rng.random(400) + 0.5
    c = triple_helix(p, weight="w", n_boot=200, rng=1)
    assert c.ci[0] <= c.T <= c.ci[1]


def _toy_graph():
    orgs = pd.DataFrame({"org_id": ["E1", "E2", "U1", "G1", "S1"],
                         "type": ["enterprise", "enterprise", "university", "cast", "national_society"],
                         "province": ["江苏", "湖南", "江苏", None, "湖南"]})
    links = pd.DataFrame({
        "source_id": ["E1", "E1", "E2", "E2", "U1"],
        "target_id": ["U1", "G1", "U1", "S1", "S1"],
        "project_id": ["P1", "P1", "P2", "P3", None],
        "year": [2019, 2020, 2021, 2021, 2018]})
    return build_graph(orgs, links)


def test_presence_table_units_and_fractional_weights():
    p = presence_table(_toy_graph()).set_index("unit_id")
    # P1 = {E1, U1, G1}: u, i, g; P2 = {E2, U1}: u, i; P3 = {E2, S1}: i, g
    assert p.loc["P1", list(DIMS3)].tolist() == [True, True, True]
    assert p.loc["P2", list(DIMS3)].tolist() == [True, True, False]
    assert p.loc["P3", list(DIMS3)].tolist() == [False, True, True]
    assert p.loc["P1", "year"] == 2019 and p.loc["P1", "provinces"] == ("江苏",)
    assert p.loc["P3", "provinces"] == ("湖南",)
    # k: E1 1, U1 2, G1 1, E2 2, S1 1 -> P1 = 1 + 1/2 + 1 = 2.5; P2 = 1/2 + 1/2; P3 = 1/2 + 1
    assert p["w_fractional"].tolist() == [2.5, 1.0, 1.5]
    assert p["w_fractional"].sum() == 5  # every organisation carries weight one
    ego = presence_table(_toy_graph(), unit="ego").set_index("unit_id")
    # U1's ego: U1, E1, E2, S1 (all link kinds) -> u, i, g; G1's ego: G1, E1 -> i, g
    assert ego.loc["U1", list(DIMS3)].tolist() == [True, True, True]
    assert ego.loc["G1", list(DIMS3)].tolist() == [False, True, True]
    assert ego.loc["G1", "provinces"] == ()
    assert ego["w_fractional"].sum() == pytest.approx(5)
    four = presence_table(_toy_graph(), dims=DIMS4).set_index("unit_id")
    assert four.loc["P3", list(DIMS4)].tolist() == [False, True, False, True]


def test_compute_and_slices():
    g = _toy_graph()
    full = compute_triple_helix(g, n_boot=0)
    frac = compute_triple_helix(g, counting="fractional", n_boot=0)
    assert full.total_weight == 3 and frac.total_weight == 5
    assert full.counting == "full" and frac.counting == "fractional"
    p = presence_table(g)
    by = triple_helix_by(p, "province", min_units=1, n_boot=0).set_index("slice")
    assert by.loc["江苏", "n_units"] == 2 and by.loc["湖南", "n_units"] == 2
    yr = triple_helix_by(p, "year", min_units=2, n_boot=0).set_index("slice")
    assert yr.loc[2021, "n_units"] == 2 and np.isnan(yr.loc[2019, "T"])
    binned = triple_helix_by(p, "year", bins=[2015, 2020, 2025], min_units=1, n_boot=0)
    assert binned["slice"].tolist() == ["2015–2019", "2020–2024"]
    with pytest.raises(ValueError, match="counting must be one of"):
        compute_triple_helix(g, counting="whole")
    with pytest.raises(AnalysisError, match="project_id"):
        compute_triple_helix(build_graph(pd.DataFrame({"org_id": ["a", "b"], "type": ["lab", "lab"]}),
                                         pd.DataFrame({"source_id": ["a"], "target_id": ["b"]})))
    with pytest.raises(AnalysisError, match="empty"):
        triple_helix(pd.DataFrame(columns=list(DIMS3)))
