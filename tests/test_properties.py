"""Property-based tests (hypothesis) of the loaders and the core computations.

Loaders: random valid tables of every kind round-trip through a file; random garbage never
crashes and always accounts (rows in = accepted + rejected, accepted rows obey every
rule); permuting rows does not change what is accepted. Coverage: never above 1, never
lower with more attendance, invariant to row order. Simulator: deterministic per seed,
the same whatever the number of workers.
"""

from __future__ import annotations

import datetime as dt
import string

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from kexie_research import regions
from kexie_research.errors import DataValidationError
from kexie_research.schema import ORG_LEVELS, TABLE_KINDS, TABLES, get_spec
from kexie_research.validate import _MISSING, load_table, validate_table

SETTINGS = settings(max_examples=4, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])

# ---- strategies: valid cells from the schema ------------------------------------------------

_ID_ALPHABET = string.ascii_letters + string.digits + "_-.中科协代表"
_PROVINCES = sorted(regions.PROVINCES)


def _text(max_size=30):
    # any printable text a person might type; the loader trims cells and reads CR as a line
    # break, and the words in _MISSING mean "empty" (documented in docs/robustness.md)
    return st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")),
                   min_size=1, max_size=max_size).map(str.strip).filter(
        lambda t: t != "" and t.lower() not in _MISSING)


def _ids():
    return st.text(_ID_ALPHABET, min_size=1, max_size=8).map(lambda t: "K" + t)


def _cell(col):
    k = col.kind
    if k == "id":
        return _ids()
    if k == "str":
        return _text(min(30, col.max_length))
    if k == "int":
        lo = int(col.min) if col.min is not None else -10**6
        hi = int(col.max) if col.max is not None else 10**6
        return st.integers(lo, hi)
    if k == "float":
        lo = col.min if col.min is not None else -1e6
        hi = col.max if col.max is not None else 1e6
        return st.floats(lo, hi, allow_nan=False, allow_infinity=False)
    if k == "count":
        return st.integers(0, int(col.max or 10**5))
    if k == "bool":
        return st.booleans()
    if k == "date":
        return st.dates(dt.date(1990, 1, 1), dt.date(2035, 12, 31))
    if k == "category":
        return st.sampled_from(col.allowed)
    if k == "province":
        return st.sampled_from(_PROVINCES)
    raise AssertionError(k)


def _columns(kind):
    """Required columns plus the optional ones that need no cross-column care."""
    spec = get_spec(kind)
    skip = {"region", "participants_qualifier"}
    return [c for c in spec.columns if c.required or (c.name not in skip and c.kind != "str")]


@st.composite
def valid_tables(draw, kind, max_rows=8):
    cols = _columns(kind)
    n = draw(st.integers(1, max_rows))
    rows = []
    for _ in range(n):
        row = {}
        for c in cols:
            if c.nullable and draw(st.integers(0, 4)) == 0:
                row[c.name] = None
            else:
                row[c.name] = draw(_cell(c))
        rows.append(row)
    df = pd.DataFrame(rows, columns=[c.name for c in cols])
    return _make_consistent(kind, df, draw)


def _make_consistent(kind, df, draw):
    spec = get_spec(kind)
    if kind == "trainings":
        a, b = df["start_date"], df["end_date"]
        df["start_date"], df["end_date"] = np.minimum(a, b), np.maximum(a, b)
    if kind == "links":
        df = df[df["source_id"] != df["target_id"]]
    if kind == "organizations":
        # a forest: each parent is an earlier row at the same or a higher level
        df = df.drop_duplicates("org_id").reset_index(drop=True)
        rank = {lv: i for i, lv in enumerate(ORG_LEVELS)}
        parents = []
        for i in range(len(df)):
            cands = [j for j in range(i) if rank[df.at[j, "level"]] <= rank[df.at[i, "level"]]]
            pick = draw(st.sampled_from([None] + cands)) if cands else None
            parents.append(None if pick is None else df.at[pick, "org_id"])
        df["parent_id"] = parents
    if spec.key:
        df = df.drop_duplicates(list(spec.key))
    assume(len(df) > 0)
    return df.reset_index(drop=True)


def _expected(col, v):
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    if col.kind == "date":
        return pd.Timestamp(v)
    if col.kind == "float":
        return float(v)
    return v


def _same(a, b) -> bool:
    if b is None:
        return a is None or pd.isna(a)
    if isinstance(b, float):
        return float(a) == b
    return a == b


def _to_text(v):
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, float):
        return repr(v)
    return str(v)


# ---- loaders ------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", TABLE_KINDS)
@SETTINGS
@given(data=st.data(), encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]),
       eol=st.sampled_from(["\n", "\r\n"]))
def test_valid_tables_round_trip_through_a_file(kind, data, encoding, eol, tmp_path_factory):
    df = data.draw(valid_tables(kind))
    text = df.map(_to_text).to_csv(index=False, lineterminator=eol)
    p = tmp_path_factory.mktemp("rt") / f"{kind}.csv"
    p.write_bytes(text.encode(encoding))
    # GB18030 bytes can also be valid UTF-8 by accident; name it as a user would
    res = load_table(p, kind, encoding="gb18030" if encoding == "gb18030" else None)
    assert res.n_input == res.n_accepted == len(df)
    spec = get_spec(kind)
    for c in _columns(kind):
        got = res.accepted[c.name].tolist()
        for g, v in zip(got, df[c.name].tolist()):
            assert _same(g, _expected(c, v)), (c.name, g, v)
    if "region" in spec.column_names:   # derived from the province
        assert res.accepted["region"].tolist() == [regions.province_region(p)
                                                   for p in res.accepted["province"]]


@pytest.mark.parametrize("kind", TABLE_KINDS)
@SETTINGS
@given(data=st.data())
def test_typed_frames_validate_as_they_are(kind, data):
    """Python values (bools, ints, Timestamps) validate like their text."""
    df = data.draw(valid_tables(kind))
    res = validate_table(df, kind)
    assert res.ok, res.rejects.to_dict("records")
    assert res.n_accepted == len(df)


_GARBAGE = st.one_of(
    st.none(), st.text(max_size=12), st.integers(-10**12, 10**12),
    st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
    st.sampled_from(["约70", "140多", "NaN", "inf", "-0", "1e400", "是", "2022-02-30", "２０２２",
                     "=1+1", "\x00", "\ufeff", "１２", "1,000", " ", "N/A", "0x10", "1_000",
                     "2022年13月1日", "上海市", "learner ", "TRUE", "1.0", "99999999999999999999"]),
    st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)),
)


@st.composite
def garbage_tables(draw, kind, valid_share=True):
    """A valid table with a random share of cells replaced by garbage."""
    df = draw(valid_tables(kind, max_rows=10)).astype(object)
    n_bad = draw(st.integers(0, df.size))
    for _ in range(n_bad):
        i = draw(st.integers(0, len(df) - 1))
        j = draw(st.integers(0, df.shape[1] - 1))
        df.iat[i, j] = draw(_GARBAGE)
    if len(df) > 1 and draw(st.booleans()):   # duplicate a row to exercise the keys
        df = pd.concat([df, df.iloc[[draw(st.integers(0, len(df) - 1))]]], ignore_index=True)
    return df


def _assert_accepted_obey_rules(res, kind):
    spec = get_spec(kind)
    acc = res.accepted
    for c in spec.columns:
        if c.name not in acc.columns:
            continue
        s = acc[c.name]
        if not c.nullable:
            assert s.notna().all(), c.name
        vals = s.dropna()
        if c.kind in ("int", "float", "count") and len(vals):
            v = vals.astype(float)
            assert np.isfinite(v).all()
            if c.min is not None:
                assert (v >= c.min).all(), c.name
            if c.max is not None:
                assert (v <= c.max).all(), c.name
        if c.kind == "category" and len(vals):
            assert vals.isin(c.allowed).all(), c.name
        if c.kind == "province" and len(vals):
            assert vals.isin(regions.PROVINCES.keys() | set(regions.DELEGATIONS)).all()
    if spec.key:
        assert not acc.duplicated(list(spec.key)).any()
    if kind == "trainings":
        assert (acc["end_date"] >= acc["start_date"]).all()
    if kind == "links":
        assert (acc["source_id"] != acc["target_id"]).all()
    if kind == "organizations":   # a forest whose parents are all accepted, at or above
        parent = dict(zip(acc["org_id"], acc["parent_id"]))
        level = dict(zip(acc["org_id"], acc["level"]))
        rank = {lv: i for i, lv in enumerate(ORG_LEVELS)}
        for o, p in parent.items():
            if p is None or (not isinstance(p, str) and pd.isna(p)):
                continue
            assert p in parent, (o, p)
            assert rank[level[p]] <= rank[level[o]]
            seen, node = set(), o
            while isinstance(node, str) and node in parent:
                assert node not in seen, "cycle accepted"
                seen.add(node)
                node = parent[node]


def _accounting(res):
    rows = set(res.rejects["row"].dropna().astype(int))
    assert res.n_input == res.n_accepted + res.n_rejected
    assert set(res.accepted.index).isdisjoint(rows)
    assert set(res.accepted.index) | rows == set(range(1, res.n_input + 1))
    assert res.rejects["rule"].notna().all() and res.rejects["message"].notna().all()


@pytest.mark.parametrize("kind", TABLE_KINDS)
@SETTINGS
@given(data=st.data())
def test_garbage_never_crashes_and_always_accounts(kind, data):
    df = data.draw(garbage_tables(kind))
    try:
        res = validate_table(df, kind)
    except DataValidationError:
        return   # a table-level problem, ours, with a message
    _accounting(res)
    _assert_accepted_obey_rules(res, kind)


@pytest.mark.parametrize("kind", TABLE_KINDS)
@SETTINGS
@given(data=st.data())
def test_row_order_does_not_change_what_is_accepted(kind, data):
    df = data.draw(garbage_tables(kind))
    perm = data.draw(st.permutations(range(len(df))))
    a = validate_table(df, kind)
    b = validate_table(df.iloc[list(perm)].reset_index(drop=True), kind)
    assert a.n_accepted == b.n_accepted and a.n_rejected == b.n_rejected

    def rows(res):
        acc = res.accepted.astype(object).where(res.accepted.notna(), None)
        return sorted(map(repr, acc.itertuples(index=False)))

    spec = get_spec(kind)
    if spec.key:
        # with a repeated key the first row is kept, so compare rows whose key is unique
        key = list(spec.key)
        counts = df[key].astype(str).value_counts()
        unique = {k if isinstance(k, tuple) else (k,) for k, n in counts.items() if n == 1}

        def keep(res):
            m = [tuple(str(x) for x in t) in unique
                 for t in res.accepted[key].astype(object).itertuples(index=False)]
            return type(res)(res.kind, res.accepted[m], res.rejects, res.n_input)

        assert rows(keep(a)) == rows(keep(b))
        assert sorted(map(str, a.accepted[key].itertuples(index=False))) == \
            sorted(map(str, b.accepted[key].itertuples(index=False)))
    else:
        assert rows(a) == rows(b)


# ---- coverage -----------------------------------------------------------------------------------

from kexie_research import coverage  # noqa: E402


@st.composite
def coverage_inputs(draw):
    n_reps = draw(st.integers(1, 12))
    reps = pd.DataFrame({"rep_id": [f"R{i}" for i in range(n_reps)],
                         "province": draw(st.lists(st.sampled_from(["上海", "甘肃", "广东"]),
                                                   min_size=n_reps, max_size=n_reps))})
    n_tr = draw(st.integers(1, 5))
    starts = draw(st.lists(st.dates(dt.date(2018, 1, 1), dt.date(2023, 12, 1)),
                           min_size=n_tr, max_size=n_tr))
    lengths = draw(st.lists(st.integers(0, 10), min_size=n_tr, max_size=n_tr))
    trainings = pd.DataFrame({"training_id": [f"T{j}" for j in range(n_tr)],
                              "start_date": pd.to_datetime(starts),
                              "end_date": pd.to_datetime([s + dt.timedelta(days=d)
                                                          for s, d in zip(starts, lengths)])})
    row = st.fixed_dictionaries({
        # some ids unknown on purpose: they must be reported, not counted
        "rep_id": st.sampled_from(list(reps["rep_id"]) + ["R404"]),
        "training_id": st.sampled_from(list(trainings["training_id"]) + ["T404"]),
        "hours": st.one_of(st.none(), st.sampled_from([0.0, 1.5, 8.0, 32.0])),
        "completed": st.booleans()})
    att = pd.DataFrame(draw(st.lists(row, max_size=30)),
                       columns=["rep_id", "training_id", "hours", "completed"])
    extra = pd.DataFrame(draw(st.lists(row, max_size=10)), columns=att.columns)
    return reps, att, trainings, extra


def _core(res):
    import json

    from kexie_research.io import dumps_json

    d = json.loads(dumps_json(res.to_dict()))
    d["unknown_attendance"] = sorted(map(repr, res.unknown_attendance.drop(columns="row")
                                         .itertuples(index=False)))
    d.pop("messages")
    return d


@settings(max_examples=20, deadline=None)
@given(coverage_inputs(), st.booleans(), st.booleans())
def test_coverage_bounded_monotone_and_order_free(inp, with_trainings, require_completed):
    reps, att, trainings, extra = inp
    tr = trainings if with_trainings else None
    kw = dict(by="province", require_completed=require_completed)
    res = coverage.compute_coverage(reps, att, tr, **kw)
    assert 0 <= res.trained <= res.total == len(reps)
    assert 0.0 <= res.coverage <= 1.0
    assert res.ci_low <= res.coverage + 1e-12 and res.coverage <= res.ci_high + 1e-12
    assert 0.0 <= res.ci_low and res.ci_high <= 1.0
    assert (res.groups["coverage"].between(0, 1)).all()
    assert res.groups["trained"].sum() == res.trained
    if len(res.curve):
        assert res.curve["coverage"].is_monotonic_increasing
        assert res.curve["coverage"].max() <= 1.0

    # more attendance never lowers coverage (nor anyone's trained status)
    more = coverage.compute_coverage(reps, pd.concat([att, extra], ignore_index=True), tr, **kw)
    assert more.trained >= res.trained and more.coverage >= res.coverage
    assert set(more.untrained_ids) <= set(res.untrained_ids)
    assert (more.groups.set_index("group")["trained"]
            >= res.groups.set_index("group")["trained"]).all()

    # permuting the rows of every input changes nothing
    rng = np.random.default_rng(len(att) * 31 + len(reps))
    p_reps = reps.iloc[rng.permutation(len(reps))]
    p_att = att.iloc[rng.permutation(len(att))]
    p_tr = None if tr is None else tr.iloc[rng.permutation(len(tr))]
    again = coverage.compute_coverage(p_reps, p_att, p_tr, **kw)
    assert _core(again) == _core(res)


@settings(max_examples=15, deadline=None)
@given(coverage_inputs())
def test_coverage_window_never_exceeds_ever_trained(inp):
    reps, att, trainings, _ = inp
    res = coverage.compute_coverage(reps, att, trainings, window_years=4)
    assert set(res.untrained_ids) <= set(res.not_trained_within_window)
    assert set(res.not_trained_within_window) <= set(reps["rep_id"])


# ---- simulator -----------------------------------------------------------------------------------

from kexie_research import simulation  # noqa: E402


@st.composite
def plans(draw):
    sessions = [{"per_year": draw(st.integers(1, 4)), "capacity": draw(st.integers(5, 120)),
                 "modality": draw(st.sampled_from(["centralized", "online", "hybrid"]))}
                for _ in range(draw(st.integers(1, 3)))]
    policy = {"selection": draw(st.sampled_from(sorted(simulation.SELECTIONS))),
              "accept_prob": draw(st.floats(0.3, 1.0)),
              "no_show_prob": draw(st.floats(0.0, 0.3))}
    if policy["selection"] == "segment_priority":
        policy["priority"] = list(draw(st.permutations(simulation.SEGMENTS)))[:2]
    return simulation.Plan.from_dict({
        "term": {"years": draw(st.integers(1, 3))},
        "population": {"synthetic_size": draw(st.integers(50, 400)), "seed": draw(st.integers(0, 99))},
        "sessions": sessions, "policy": policy})


def _sim_dict(res):
    from kexie_research.io import dumps_json
    return dumps_json(res.to_dict())


@settings(max_examples=10, deadline=None)
@given(plans(), st.integers(0, 2**32 - 1))
def test_simulator_is_deterministic_per_seed_and_bounded(plan, seed):
    a = simulation.simulate(plan, replications=30, seed=seed)
    b = simulation.simulate(plan, replications=30, seed=seed)
    assert _sim_dict(a) == _sim_dict(b)
    eps = 1e-9
    assert -eps <= a.coverage_p05 <= a.coverage_p95 <= 1.0 + eps
    assert -eps <= a.coverage_mean <= 1.0 + eps
    seats = sum(s.capacity * s.per_year for s in plan.sessions) * plan.term.years
    assert a.coverage_mean * plan.population.synthetic_size <= seats + 1e-9


def test_simulator_same_result_with_one_or_two_workers():
    plan = simulation.Plan.from_dict({
        "term": {"years": 2}, "population": {"synthetic_size": 500, "seed": 3},
        "sessions": [{"per_year": 3, "capacity": 60, "modality": "centralized"}],
        "policy": {"selection": "random", "accept_prob": 0.8, "no_show_prob": 0.1}})
    from kexie_research.simulation.engine import CHUNK
    reps = 2 * CHUNK + 7   # several chunks, so two workers really split the work
    one = simulation.simulate(plan, replications=reps, seed=11, workers=1)
    two = simulation.simulate(plan, replications=reps, seed=11, workers=2)
    assert _sim_dict(one) == _sim_dict(two)
    other = simulation.simulate(plan, replications=reps, seed=12, workers=1)
    assert _sim_dict(other) != _sim_dict(one)


# ---- the distinct-value fast path of the validator ----------------------------------------------

@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=4),
                          st.sampled_from(["是", "否", "NA", " none ", "上海市", "１２", "1,000",
                                           "learner", "约70", "\x07", "TRUE"])),
                min_size=65, max_size=150))
def test_distinct_value_mapping_equals_plain_map(values):
    """Large text columns are mapped once per distinct value; the result must not change."""
    from kexie_research import validate as v

    s = pd.Series(values, dtype=object)
    for fn in (v._missing_scalar, v._bool_value, lambda x: x.strip() if isinstance(x, str) else x,
               lambda x: regions.normalize_province(x) if isinstance(x, str) else None):
        fast = v._map(s, fn).tolist()
        plain = s.map(fn).tolist()
        assert [None if (not isinstance(a, str) and pd.isna(a)) else a for a in fast] == \
            [None if (not isinstance(b, str) and pd.isna(b)) else b for b in plain]


def _prefixed(i, x):
    """A key made distinct per copy; empty and missing cells stay as they are."""
    from kexie_research.validate import _missing_scalar

    if _missing_scalar(x) or (isinstance(x, str) and x.strip() == ""):
        return x
    return f"P{i}-{x}".strip() if isinstance(x, str) else f"P{i}-{x}"


@pytest.mark.parametrize("kind", ["representatives", "organizations", "survey"])
@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.data_too_large])
@given(data=st.data())
def test_large_tables_validate_like_small_ones(kind, data):
    """A table of > 64 rows (fast path) rejects exactly the rows its pieces reject."""
    base = data.draw(garbage_tables(kind))
    parts = [base.copy() for _ in range(65 // len(base) + 2)]
    key = get_spec(kind).key
    for i, p in enumerate(parts):   # make keys distinct across parts
        for k in key:
            p[k] = p[k].map(lambda x, i=i: _prefixed(i, x))
        if kind == "organizations":
            p["parent_id"] = p["parent_id"].map(lambda x, i=i: _prefixed(i, x))
    big = pd.concat(parts, ignore_index=True)
    assume(len(big) > 64)
    try:
        res = validate_table(big, kind)
    except DataValidationError:
        return
    _accounting(res)
    try:   # the parts differ only in their key prefix
        one = validate_table(parts[0], kind)
    except DataValidationError:
        return
    assert res.n_rejected == one.n_rejected * len(parts)
    assert sorted(res.rejects["rule"]) == sorted(list(one.rejects["rule"]) * len(parts))


def test_wilson_interval_contains_the_estimate_exactly():
    reps = pd.DataFrame({"rep_id": [f"R{i}" for i in range(30)], "province": ["山东"] * 30})
    att = pd.DataFrame({"rep_id": reps["rep_id"], "training_id": ["T1"] * 30})
    res = coverage.compute_coverage(reps, att, by="province")
    assert res.coverage == 1.0
    assert res.ci_low <= res.coverage <= res.ci_high
    g = res.groups.iloc[0]
    assert g["ci_low"] <= g["coverage"] <= g["ci_high"]
