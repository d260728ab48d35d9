"""Cross-checks against a well-kept library: diff-diff's CallawaySantAnna (MIT; validated by
its authors against R's ``did``) as an oracle for :mod:`kexie_research.evaluation.group_time`
on panels the R reference does not cover (the embedded synthetic outputs, random staggered
panels with few never-treated units).

The mixed model's closed form is checked against statsmodels' MixedLM in
test_evaluation_causal.py; Krippendorff's alpha against the published worked example in
test_evaluation_quality.py (statsmodels 0.15 has no Krippendorff alpha, and the
``krippendorff`` package on PyPI is GPL-3.0, which this BSD project does not take on).
"""

import warnings

import numpy as np
import pandas as pd
import pytest

from kexie_research.evaluation import build_panel, estimate_group_time

diff_diff = pytest.importorskip("diff_diff")


def _oracle(df, control, **cols):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return diff_diff.CallawaySantAnna(control_group=control, estimation_method="dr").fit(
            df, outcome=cols["outcome"], unit=cols["unit"], time=cols["time"], first_treat=cols["cohort"],
            aggregate="all")


def _compare(ours, theirs):
    cells = ours.cells.set_index(["cohort", "year"])
    gte = theirs.group_time_effects
    assert len(cells) == len(gte)
    for (g, t), r in gte.items():
        c = cells.loc[(int(g), int(t))]
        assert c["estimate"] == pytest.approx(r["effect"], abs=1e-12), (g, t)
        assert c["std_error"] == pytest.approx(r["se"], rel=1e-8), (g, t)
    assert ours.overall["estimate"] == pytest.approx(theirs.overall_att, abs=1e-12)
    assert ours.overall["std_error"] == pytest.approx(theirs.overall_se, rel=1e-8)
    dyn = ours.dynamic.set_index("rel_time")
    for e, r in theirs.event_study_effects.items():
        assert dyn.loc[int(e), "estimate"] == pytest.approx(r["effect"], abs=1e-12), e
        assert dyn.loc[int(e), "std_error"] == pytest.approx(r["se"], rel=1e-8), e
    grp = ours.groups.set_index("cohort")
    for g, r in theirs.group_effects.items():
        assert grp.loc[int(g), "estimate"] == pytest.approx(r["effect"], abs=1e-12), g


@pytest.mark.parametrize("control", ["never_treated", "not_yet_treated"])
def test_group_time_matches_diff_diff_on_the_embedded_outputs(control):
    from kexie_research.data import load_dataset

    ds = load_dataset(kinds=["outputs", "attendance", "trainings"])
    panel = build_panel(ds.outputs, ds.attendance, ds.trainings)
    ours = estimate_group_time(panel, outcome="proposals", control=control, se="analytic")
    # diff-diff codes the never-treated as 0, as R does
    df = panel.assign(cohort=panel["cohort"].fillna(0).astype(int))
    theirs = _oracle(df, control, unit="rep_id", time="year", cohort="cohort", outcome="proposals")
    _compare(ours, theirs)


@pytest.mark.parametrize("seed, control", [(1, "never_treated"), (2, "not_yet_treated"), (3, "not_yet_treated")])
def test_group_time_matches_diff_diff_on_random_staggered_panels(seed, control):
    rng = np.random.default_rng(seed)
    n, years = 240, np.arange(2010, 2018)
    g = rng.choice([0, 2012, 2013, 2015, 2016], size=n, p=[0.1, 0.3, 0.2, 0.2, 0.2])
    a = rng.normal(0, 1, n)
    rows = []
    for i in range(n):
        for t in years:
            eff = (t >= g[i]) * (g[i] > 0) * (0.5 + 0.2 * (t - g[i]))
            rows.append((f"u{i}", t, g[i], a[i] + 0.1 * (t - 2010) + eff + rng.normal(0, 0.5)))
    df = pd.DataFrame(rows, columns=["id", "t", "g", "y"])
    cols = dict(unit="id", time="t", cohort="g", outcome="y")
    ours = estimate_group_time(df, **cols, control=control, se="analytic")
    theirs = _oracle(df, control, **cols)
    _compare(ours, theirs)
