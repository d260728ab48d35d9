"""Figures of kexie_research.plots.evaluation: drawn objects, labels in both languages."""

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from kexie_research.evaluation import (build_panel, compute_session_quality, estimate_did,  # noqa: E402
                                       estimate_event_study, estimate_heterogeneity, rank_sessions)
from kexie_research.plots.evaluation import (plot_effects_forest, plot_event_study,  # noqa: E402
                                             plot_quality_profile, plot_rank_intervals)

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "evaluation"))
from simdata import sim_outputs, sim_survey  # noqa: E402


@pytest.fixture(scope="module")
def results():
    s, _ = sim_survey(1, n_sessions=4)
    d = sim_outputs(seed=1, n_reps=150)
    p = build_panel(d["outputs"], d["attendance"], d["trainings"], d["representatives"])
    return {"quality": compute_session_quality(s), "rank": rank_sessions(s, n_boot=50, rng=1),
            "did": estimate_did(p, n_boot=30, rng=1), "es": estimate_event_study(p),
            "het": estimate_heterogeneity(p)}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_quality_profile(results, lang):
    ax = plot_quality_profile(results["quality"], sessions=["S1", "S2", "S3"], lang=lang)
    assert len(ax.containers) == 3  # one errorbar series per session
    assert len(ax.get_xticklabels()) == 8
    assert ("需求契合度" if lang == "zh" else "Needs fit") == ax.get_xticklabels()[0].get_text()
    assert ax.get_legend() is not None
    plt.close(ax.figure)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_forest_plot(results, lang):
    ax = plot_effects_forest(results["het"], overall=results["did"], lang=lang)
    # 2 overall + 3 segments × 2 levels
    assert len(ax.containers) == 8 and len(ax.get_yticklabels()) == 8
    notes = [t.get_text() for t in ax.texts]
    assert len(notes) == 3 and all(("校正" if lang == "zh" else "p_adj") in n for n in notes)
    plt.close(ax.figure)


def test_event_study_plot_marks_reference(results):
    es = results["es"]
    ax = plot_event_study(es, lang="en")
    assert len(ax.containers) == 2  # leads and lags
    plt.close(ax.figure)
    ax = plot_event_study(es, group_time=results["did"], lang="en")
    assert len(ax.containers) == 3  # + group-time dynamic profile
    vlines = [l for l in ax.lines if list(l.get_xdata()) == [es.reference + 0.5] * 2]
    assert vlines, "reference boundary line"
    assert "reference (-1)" in [t.get_text() for t in ax.get_legend().get_texts()]
    assert "pre-trend" in ax.get_title()
    plt.close(ax.figure)


def test_rank_interval_plot(results):
    ax = plot_rank_intervals(results["rank"], lang="zh")
    assert len(ax.collections) == 1 and len(ax.get_yticklabels()) == 4
    plt.close(ax.figure)


def test_outcome_labels_are_translated(results):
    from kexie_research import plots
    from kexie_research.labels import label

    # one home: the outcome names live in kexie_research.labels, not in the plotting module
    assert not hasattr(plots.evaluation, "OUTCOME_LABELS")
    assert [label(o, "zh", kind="outcome") for o in ("proposals", "research_reports", "suggestions_adopted")] == \
        ["建议案", "调研报告", "建议被采纳"]
    assert label("proposals", "en", kind="outcome") == "proposals"
    assert results["es"].outcome == "proposals"
    ax = plot_event_study(results["es"], lang="zh")
    assert ax.get_ylabel() == "效应（建议案）"
    plt.close(ax.figure)
    ax = plot_effects_forest(results["het"], overall=results["did"], lang="zh")
    assert "建议案" in ax.get_xlabel() and "proposals" not in ax.get_xlabel()
    plt.close(ax.figure)
