"""``kexie-research evaluate --survey S [--outputs O --representatives R --attendance A]
[--trainings T] [--costs C] [--weights learner=0.5,...] [--json]``."""

from __future__ import annotations

from ..errors import AnalysisError
from ..evaluation import OUTCOMES, evaluate
from ..evaluation.quality import DEFAULT_ROLE_WEIGHTS, parse_weights
from ..evaluation.tables import to_markdown
from ._common import add_json_flag, emit_json, load_arg


def add_parser(sub) -> None:
    w = ",".join(f"{k}={v:g}" for k, v in DEFAULT_ROLE_WEIGHTS.items())
    p = sub.add_parser(
        "evaluate", help="training effectiveness: quality, reliability, learning, DiD, ROI",
        description="Evaluate training effectiveness (Kirkpatrick levels 1–4, Phillips ROI). "
                    "With --survey: per-session quality scores with CIs, rater agreement, "
                    "session ranking, reliability (alpha, omega), factor structure and, when "
                    "pre/post scores exist, learning gains. With --outputs, --attendance and "
                    "--trainings (+ --representatives): difference in differences, event "
                    "study, mixed model and effects by segment. With --costs: cost per "
                    "trained representative and ROI. Parts the data cannot support are "
                    "skipped with the reason.")
    p.add_argument("--survey", metavar="S", help="survey table (quality items, pre/post scores)")
    p.add_argument("--outputs", metavar="O", help="outputs table (duty outputs per representative and year)")
    p.add_argument("--representatives", metavar="R", help="representatives table")
    p.add_argument("--attendance", metavar="A", help="attendance table")
    p.add_argument("--trainings", metavar="T", help="trainings table (session dates, modality)")
    p.add_argument("--costs", metavar="C", help="costs table (yuan per session and item)")
    p.add_argument("--weights", metavar="ROLE=W,...",
                   help=f"rater-role weights (default {w}); roles: learner, teacher, manager, office")
    p.add_argument("--outcome", choices=OUTCOMES, default="proposals", help="duty output to analyse")
    p.add_argument("--cluster", choices=("rep_id", "province"), default="rep_id",
                   help="cluster of the DiD standard errors (default rep_id)")
    p.add_argument("--value-per-unit", type=float, metavar="YUAN",
                   help="monetised value of one unit of the outcome (an assumption) for ROI")
    p.add_argument("--horizon-years", type=float, default=1.0, help="years the effect lasts (ROI)")
    p.add_argument("--n-boot", type=int, default=500, help="bootstrap replicates (default 500)")
    p.add_argument("--no-mixed", action="store_true", help="skip the mixed model (slowest part)")
    p.add_argument("--seed", type=int, default=20240, help="seed of the bootstraps")
    add_json_flag(p)
    p.set_defaults(func=run)


def run(args) -> int:
    if not any([args.survey, args.outputs, args.costs]):
        raise AnalysisError("nothing to evaluate: give --survey, --outputs (with --attendance "
                            "and --trainings) or --costs")
    try:
        weights = parse_weights(args.weights) if args.weights else None
    except ValueError as exc:
        raise AnalysisError(f"--weights: {exc}") from None
    if args.n_boot < 10:
        raise AnalysisError(f"--n-boot must be at least 10, got {args.n_boot}")
    if args.outputs and not (args.attendance and args.trainings):
        raise AnalysisError("--outputs needs --attendance and --trainings (who was trained when)")
    tab = {k: (load_arg(getattr(args, k), k, required=False)) for k in
           ("survey", "outputs", "representatives", "attendance", "trainings", "costs")}
    tab = {k: (v.accepted if v is not None else None) for k, v in tab.items()}
    res = evaluate(**tab, weights=weights, outcome=args.outcome, cluster=args.cluster,
                   value_per_unit=args.value_per_unit, horizon_years=args.horizon_years,
                   n_boot=args.n_boot, mixed=not args.no_mixed, seed=args.seed)
    if args.json:
        emit_json(res.to_dict())
        return 0
    print(_text(res))
    return 0


def _text(res) -> str:
    out = []
    if res.quality is not None:
        ov = res.quality.overall()
        out += ["## Session quality (overall, role-weighted)", "", to_markdown(ov[["training_id", "estimate",
                "std_error", "ci_low", "ci_high", "n"]]), ""]
    if res.agreement is not None:
        icc = res.agreement.icc.set_index("type")
        line = (f"{len(res.agreement.roles)} roles, {res.agreement.n_targets} sessions rated by all: "
                f"ICC(2,1) = {icc.loc['ICC2', 'estimate']:.3f} [{icc.loc['ICC2', 'ci_low']:.3f}, "
                f"{icc.loc['ICC2', 'ci_high']:.3f}], ICC(2,k) = {icc.loc['ICC2k', 'estimate']:.3f}")
        ka = res.agreement.alpha
        if ka is not None:
            line += (f"; Krippendorff's alpha (interval, {ka.n_units} sessions rated by two or more "
                     f"roles) = {ka.alpha:.3f}" + (f" [{ka.ci_low:.3f}, {ka.ci_high:.3f}]" if ka.n_boot else ""))
        out += ["## Agreement between rater roles", "", line, ""]
    if res.reliability is not None:
        out += ["## Reliability", "", to_markdown(res.reliability.scales.rename(columns={"alpha": "estimate"})), ""]
    if res.learning is not None:
        g = res.learning.overall
        out += ["## Learning (pre/post)", "",
                f"mean gain {g.mean_gain:.2f} points [{g.gain_ci_low:.2f}, {g.gain_ci_high:.2f}], "
                f"t = {g.t:.2f}, p = {g.p:.3g}, n = {g.n}; Hedges' g = {g.hedges_g:.3f} "
                f"[{g.ci_low:.3f}, {g.ci_high:.3f}]; normalised gain {g.normalized_gain:.3f}", ""]
    if res.did is not None:
        out += ["## Difference in differences", "", to_markdown(res.did.table), ""]
    if res.event_study is not None:
        out += [f"Pre-trend test: F = {res.event_study.pretrend_F:.2f}, p = {res.event_study.pretrend_p:.3f}", ""]
    if res.heterogeneity is not None:
        out += ["## Effects by segment", "", to_markdown(res.heterogeneity.interactions), ""]
    if res.roi is not None:
        s = res.roi.summary
        out += ["## Cost and return", "", f"total cost {s['total_cost']:,.0f} yuan; "
                f"{s['cost_per_trained']:,.0f} yuan per trained unit ({s['unit']}, n = {s['n_trained']})"
                + (f"; ROI {s['roi_percent']:.1f}% [{s['roi_ci_low']:.1f}%, {s['roi_ci_high']:.1f}%]"
                   if s.get("roi_percent") is not None and s.get("roi_ci_low") is not None else
                   f"; ROI {s['roi_percent']:.1f}%" if s.get("roi_percent") is not None else ""), ""]
    if res.skipped:
        out += ["## Skipped", ""] + [f"- {k}: {v}" for k, v in sorted(res.skipped.items())]
    return "\n".join(out)
