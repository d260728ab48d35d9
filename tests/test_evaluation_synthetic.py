"""The shipped synthetic data: estimates recover the planted effects within their CIs, and
the report's effectiveness section builds on it."""

import numpy as np
import pytest

from kexie_research.data import find_table_file, load_dataset, synthetic_dir

pytestmark = pytest.mark.skipif(find_table_file(synthetic_dir(), "outputs") is None,
                                reason="synthetic data not generated in this checkout")


@pytest.fixture(scope="module")
def ds():
    return load_dataset(kinds=["representatives", "trainings", "attendance", "survey", "outputs", "costs"])


@pytest.fixture(scope="module")
def planted():
    from kexie_research.synthetic.effects import PLANTED_EFFECTS
    return PLANTED_EFFECTS


@pytest.fixture(scope="module")
def realised():
    import json
    return json.loads((synthetic_dir() / "MANIFEST.json").read_text(encoding="utf-8"))["realised"]


@pytest.fixture(scope="module")
def panel(ds):
    from kexie_research.evaluation import build_panel
    return build_panel(ds.outputs, ds.attendance, ds.trainings, ds.representatives, post_rule="mid_year")


def test_learning_gain_recovered(ds, planted):
    from kexie_research.evaluation import compute_learning
    g = compute_learning(ds.survey).overall
    # clipping at 100 trims the realised gain a little below the planted mean
    assert g.gain_ci_low - 0.3 <= planted["pre_post_gain_mean"] <= g.gain_ci_high
    assert g.mean_pre == pytest.approx(planted["pre_score_mean"], abs=1.5)


@pytest.mark.parametrize("outcome", ["proposals", "research_reports", "suggestions_adopted"])
def test_did_recovers_realised_att(panel, realised, outcome):
    from kexie_research.evaluation import estimate_did
    res = estimate_did(panel, outcome=outcome, n_boot=100, rng=1)
    att = realised["did_att_realised"][outcome]
    gt = res.table.set_index("method").loc["group_time"]
    assert gt["ci_low"] <= att <= gt["ci_high"]
    assert res.twfe["ci_low"] <= att <= res.twfe["ci_high"]


def test_mixed_model_and_event_study(panel, realised, planted):
    from kexie_research.evaluation import estimate_event_study, estimate_mixed_model
    m = estimate_mixed_model(panel)
    r = m.table.iloc[0]
    assert r["ci_low"] <= realised["did_att_realised"]["proposals"] <= r["ci_high"] and m.converged
    es = estimate_event_study(panel)
    # planted: no anticipation, leads exactly 0
    assert es.pretrend_p > 0.01
    assert (es.table.query("rel_time < -1")["ci_low"] <= 0).all()


def test_segments_recover_planted_reelection_difference_and_nulls(panel, planted):
    from kexie_research.evaluation import estimate_heterogeneity
    h = estimate_heterogeneity(panel).interactions.set_index("segment")
    extra = planted["did_effect_reelected_extra"]
    assert h.loc["reelected", "ci_low"] <= extra <= h.loc["reelected", "ci_high"]
    assert h.loc["frontline", "ci_low"] <= planted["did_effect_frontline_extra"] <= h.loc["frontline", "ci_high"]
    assert h.loc["modality", "ci_low"] <= planted["did_effect_online_extra"] <= h.loc["modality", "ci_high"]


def test_quality_instrument_structure(ds, planted):
    from kexie_research.evaluation import compute_cfa, compute_efa, compute_reliability
    rel = compute_reliability(ds.survey).scales.iloc[0]
    assert rel["alpha"] > 0.8 and rel["ci_low"] < rel["alpha"] < rel["ci_high"]
    assert compute_efa(ds.survey, rng=1, n_iter=30).n_factors_suggested == 1  # one planted factor
    assert compute_cfa(ds.survey).cfi > 0.95


def test_session_quality_tracks_planted_session_effects(ds, realised):
    from kexie_research.evaluation import compute_session_quality
    q = compute_session_quality(ds.survey, weights={"learner": 1}, small="drop").overall()
    true = q["training_id"].map(realised["session_quality"])
    assert np.corrcoef(q["estimate"], true)[0, 1] > 0.7


def test_report_section_builds(ds, tmp_path):
    from kexie_research.report import build_report
    res = build_report(out_dir=tmp_path, sections=["effectiveness"], dataset=ds, lang="en",
                       quick=True, progress=False)
    s = res.summary["sections"]["effectiveness"]
    assert s["skipped"] == {}
    assert {"quality", "reliability", "learning", "did", "event_study", "mixed", "heterogeneity",
            "power", "roi"} <= set(s)
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "Training effectiveness" in md and "Event study" in md
    for name in ("effectiveness_quality_profile", "effectiveness_event_study",
                 "effectiveness_segments_forest"):
        assert (tmp_path / "figures" / f"{name}.png").is_file()
        assert (tmp_path / "figures" / f"{name}.caption.txt").is_file()


def test_report_section_says_what_is_missing(ds, tmp_path):
    from kexie_research.data import Dataset
    from kexie_research.report import build_report
    only_survey = Dataset(survey=ds.survey, directory=str(tmp_path))
    res = build_report(out_dir=tmp_path / "a", sections=["effectiveness"], dataset=only_survey,
                       lang="en", quick=True, progress=False)
    s = res.summary["sections"]["effectiveness"]
    assert "did" in s["skipped"] and "roi" in s["skipped"] and "learning" in s
    md = (tmp_path / "a" / "report.md").read_text(encoding="utf-8")
    assert "Behaviour and results: no outputs + attendance + trainings data" in md
    empty = Dataset(representatives=ds.representatives, directory=str(tmp_path))
    res = build_report(out_dir=tmp_path / "b", sections=["effectiveness"], dataset=empty,
                       lang="zh", quick=True, progress=False)
    assert res.summary["sections"]["effectiveness"] == {"data_origin": "data", "skipped": True}
