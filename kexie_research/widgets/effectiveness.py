"""Quality explorer: how sessions rank on the plan's eight quality dimensions, and how sure.

Wraps :func:`kexie_research.evaluation.rank_sessions` (role-weighted scores with bootstrap
rank intervals) and :func:`~kexie_research.evaluation.compute_session_quality`. The
rater-role weights are a convention (learners 40 %, teachers, class managers and the
teaching office 20 % each); the sliders show how much a ranking depends on it.
"""

from __future__ import annotations

import ipywidgets as widgets
import pandas as pd

from ..data import Dataset, load_dataset
from ..errors import AnalysisError
from ..evaluation import DEFAULT_ROLE_WEIGHTS, RankingResult, compute_rater_agreement, rank_sessions
from ..labels import label
from ..schema import QUALITY_ITEM_NAMES, QUALITY_ITEMS, RATER_ROLES
from .common import Explorer, _escape, display_frame, frame_html, quick_mode

__all__ = ["QualityExplorer"]


class QualityExplorer(Explorer):
    """Rank sessions on a quality dimension with chosen rater-role weights.

    Controls: ``dimension`` (``"overall"`` or one of the eight items), one weight slider per
    rater role in ``weights`` (``weights["learner"]`` ...), ``seed``. ``result`` is the
    :class:`~kexie_research.evaluation.RankingResult`. ``agreement`` is the
    :class:`~kexie_research.evaluation.AgreementResult` of the composite scores (ICCs and
    Krippendorff's alpha between the rater roles; ``None`` with fewer than two roles),
    computed once: it does not depend on the weights, and tells how much they can matter.

    Parameters
    ----------
    dataset : Dataset, optional
        Needs the ``survey`` table; default: the embedded synthetic data.
    n_boot : int, optional
        Bootstrap replicates (default 300; 60 with ``KEXIE_QUICK=1``).
    """

    title = ("培训班质量排名", "Session quality ranking")
    export_name = "quality_ranking"
    description_width = "120px"

    def __init__(self, dataset: Dataset | None = None, *, n_boot: int | None = None, seed: int = 20240, **kw):
        super().__init__(**kw)
        ds = dataset if dataset is not None else load_dataset(kinds=["survey", "trainings"])
        if ds.survey is None:
            raise ValueError("the quality explorer needs the survey table")
        self.dataset = ds
        self.n_boot = int(n_boot) if n_boot is not None else (60 if quick_mode() else 300)
        self._dims = ["overall", *QUALITY_ITEMS]
        self.dimension = widgets.Dropdown(options=self._dims, value="overall")
        self.weights = {r: widgets.FloatSlider(value=DEFAULT_ROLE_WEIGHTS.get(r, 0.0), min=0, max=1,
                                               step=0.05, continuous_update=False)
                        for r in RATER_ROLES}
        self.seed = widgets.IntText(value=seed, layout=widgets.Layout(width="240px"))
        self.summary = widgets.HTML()
        self.summary.add_class("kexie-quality")
        self.agreement_html = widgets.HTML()
        try:
            self.agreement = compute_rater_agreement(ds.survey, n_boot=self.n_boot, rng=seed)
        except AnalysisError as exc:
            self.agreement, self._agreement_reason = None, str(exc)
        self.table_html = widgets.HTML()
        self._finish([self.dimension, self.seed, *self.weights.values()])

    def labels(self):
        return {"dimension": ("维度", "Dimension"), "seed": ("随机种子", "Seed")}

    def option_labels(self):
        names = {"overall": ("综合", "Overall"),
                 **{k: (v["zh"], v["en"]) for k, v in QUALITY_ITEM_NAMES.items()}}
        return {"dimension": [(d, names[d]) for d in self._dims]}

    def _apply_labels(self) -> None:
        super()._apply_labels()
        for r, s in self.weights.items():
            en = label(r, "en", kind="rater_role")
            s.description = self.t(f"权重：{label(r, 'zh', kind='rater_role')}", f"Weight: {en[:1].upper()}{en[1:]}")
            s.style.description_width = "150px"

    def compute(self) -> RankingResult:
        w = {r: s.value for r, s in self.weights.items()}
        if sum(w.values()) <= 0:
            raise ValueError(self.t("至少一个评价角色的权重须大于 0", "at least one rater role needs a positive weight"))
        return rank_sessions(self.dataset.survey, weights=w, dimension=self.dimension.value,
                             n_boot=self.n_boot, small="drop", rng=int(self.seed.value))

    def table(self) -> pd.DataFrame:
        t = self.result.table
        if self.dataset.trainings is not None and "name" in self.dataset.trainings.columns:
            names = self.dataset.trainings.set_index("training_id")["name"]
            t = t.assign(name=t["training_id"].map(names))
        return t

    def render(self) -> None:
        t = self.result.table
        n_top = int((t["tied_rank"] == 1).sum())
        best = t.iloc[0]
        self.summary.value = self.t(
            f"{len(t)} 个班次；点估计第一为 <b>{best['training_id']}</b>（{best['estimate']:.2f} 分，"
            f"排名 {self.result.level:.0%} 区间 {best['rank_low']:.0f}–{best['rank_high']:.0f}）。"
            f"区间重叠后，有 {n_top} 个班次无法与第一名区分——排名比分数更不确定。",
            f"{len(t)} sessions; the point estimate puts <b>{best['training_id']}</b> first "
            f"({best['estimate']:.2f}, {self.result.level:.0%} rank interval {best['rank_low']:.0f}–"
            f"{best['rank_high']:.0f}). {n_top} sessions cannot be told apart from the first once "
            f"intervals overlap: ranks are less certain than scores.")
        self._render_agreement()
        # "rank" here is the session's place, not a cadre's rank
        shown = self.table().rename(columns={"rank": "place"})
        self.table_html.value = frame_html(display_frame(shown, self.lang), max_rows=20,
                                           float_format="{:.2f}")
        self.show_figure()

    def _render_agreement(self) -> None:
        a = self.agreement
        if a is None:
            self.agreement_html.value = self.t("评价角色间一致性：无法计算（", "Agreement between rater roles: "
                                               "not computable (") + _escape(self._agreement_reason) + self.t("）", ")")
            return
        icc2 = a.get("ICC2")
        ka = a.alpha
        alpha = ("" if ka is None else self.t(
            f"；Krippendorff α = {ka.alpha:.2f}（{ka.n_units} 个班次，区间 {ka.ci_low:.2f}–{ka.ci_high:.2f}）",
            f"; Krippendorff's alpha = {ka.alpha:.2f} ({ka.n_units} sessions, interval {ka.ci_low:.2f}–"
            f"{ka.ci_high:.2f})"))
        self.agreement_html.value = "<span style='color:#555'>" + self.t(
            f"评价角色间一致性（综合分，{len(a.roles)} 类角色）：ICC(2,1) = {icc2:.2f}{alpha}。"
            "一致性越低，权重的选择对排名影响越大。",
            f"Agreement between rater roles (composite, {len(a.roles)} roles): ICC(2,1) = {icc2:.2f}{alpha}. "
            "The lower the agreement, the more the weights can change the ranking.") + "</span>"

    def make_figure(self):
        from ..plots.evaluation import plot_rank_intervals

        return plot_rank_intervals(self.result, lang=self.lang).figure

    def caption(self) -> str:
        w = ", ".join(f"{r} {s.value:.2f}" for r, s in self.weights.items())
        return self.t(f"班次质量排名（维度 {self.dimension.value}），自助法 {self.n_boot} 次、种子 {self.seed.value}；"
                      f"评价角色权重：{w}。",
                      f"Session quality ranking (dimension {self.dimension.value}), {self.n_boot} bootstrap "
                      f"replicates, seed {self.seed.value}; rater-role weights: {w}.")

    def layout(self):
        box = widgets.VBox([
            widgets.HBox([self.heading, self.lang_toggle]),
            widgets.HBox([widgets.VBox([self.dimension, *self.weights.values(), self.seed]),
                          widgets.VBox([self.summary, self.agreement_html, self.status, self.image])]),
            widgets.HBox([self.export_figure_button, self.export_table_button]),
            self.table_html,
        ])
        box.add_class("kexie-quality-explorer")
        return box
