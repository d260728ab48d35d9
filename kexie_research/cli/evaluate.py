"""``kexie-research evaluate --survey S [--outputs O --representatives R --attendance A]
[--trainings T] [--costs C] [--weights learner=0.5,...] [--json]``, or a DiD on a
researcher's own panel: ``--panel P --unit U --time T --cohort G --outcome Y``.

Defaults are :data:`kexie_research.evaluation.summary.DEFAULTS`, the report's defaults:
the same seed gives the same numbers here and in the report's effectiveness section.
"""

from __future__ import annotations

import math

from ..errors import AnalysisError, DataValidationError
from ..evaluation import OUTCOMES, evaluate
from ..evaluation.quality import _ICC_OUTCOMES, DEFAULT_ROLE_WEIGHTS, parse_weights
from ..evaluation.summary import DEFAULTS
from ..report.tables import to_markdown
from ._common import add_json_flag, emit_json, load_arg

_PANEL_HELP = ("a researcher's own long panel (CSV/XLSX, one row per unit and period) for the "
               "DiD and event study; name its columns with --unit, --time, --cohort (first "
               "treated period; 0 or empty = never treated) and --outcome (any number)")


def add_parser(sub) -> None:
    w = ",".join(f"{k}={v:g}" for k, v in DEFAULT_ROLE_WEIGHTS.items())
    p = sub.add_parser(
        "evaluate", help="training effectiveness: quality, reliability, learning, DiD, ROI",
        description="Evaluate training effectiveness (Kirkpatrick levels 1–4, Phillips ROI). "
                    "With --survey: per-session quality scores with CIs, rater agreement, "
                    "session ranking, reliability (alpha, omega), factor structure, learning "
                    "gains and the design of the next study. With --outputs, --attendance and "
                    "--trainings (+ --representatives): difference in differences, event "
                    "study, mixed model and effects by segment. With --panel: DiD and event "
                    "study on your own panel. With --costs: cost per trained representative "
                    "and ROI. Parts the data cannot support are skipped with the reason.")
    p.add_argument("--survey", metavar="S", help="survey table (quality items, pre/post scores)")
    p.add_argument("--outputs", metavar="O", help="outputs table (duty outputs per representative and year)")
    p.add_argument("--representatives", metavar="R", help="representatives table")
    p.add_argument("--attendance", metavar="A", help="attendance table")
    p.add_argument("--trainings", metavar="T", help="trainings table (session dates, modality)")
    p.add_argument("--costs", metavar="C", help="costs table (yuan per session and item)")
    p.add_argument("--panel", metavar="P", help=_PANEL_HELP)
    p.add_argument("--unit", metavar="COL", help="--panel: unit id column")
    p.add_argument("--time", metavar="COL", help="--panel: period column (whole numbers, e.g. year)")
    p.add_argument("--cohort", metavar="COL", help="--panel: first treated period (0 = never treated)")
    p.add_argument("--weights", metavar="ROLE=W,...",
                   help=f"rater-role weights (default {w}); roles: learner, teacher, manager, office")
    p.add_argument("--outcome", metavar="COL", default=DEFAULTS["outcome"],
                   help=f"outcome of the DiD: one of {', '.join(OUTCOMES)} with --outputs (default "
                        f"{DEFAULTS['outcome']}), any numeric column with --panel")
    p.add_argument("--cluster", metavar="COL",
                   help="cluster of the DiD standard errors (rep_id or province with --outputs; a "
                        "column constant within units with --panel; default: the unit)")
    p.add_argument("--control", choices=("auto", "never_treated", "not_yet_treated"),
                   default=DEFAULTS["control"], help="controls of the group-time DiD (default auto: "
                   "never treated if any, else not yet treated; the output says which)")
    p.add_argument("--base-period", choices=("varying", "universal"), default=DEFAULTS["base_period"],
                   help="base period of pre-treatment cells (default varying, as R's did)")
    p.add_argument("--se", choices=("bootstrap", "analytic"), default=DEFAULTS["se"],
                   help="group-time standard errors: cluster bootstrap (default) or influence function")
    p.add_argument("--late-cohorts", choices=("never_treated", "drop"), default=DEFAULTS["late_cohorts"],
                   help="units first treated after the last period (default: never treated, as R)")
    p.add_argument("--post-rule", choices=("mid_year", "session_year", "next_year"),
                   default=DEFAULTS["post_rule"],
                   help="--outputs: first year counted as trained (default mid_year: the session's "
                        "year if it ended by 30 June, else the next)")
    p.add_argument("--leads", type=int, metavar="L", help="bin the event study before -L (default: no binning)")
    p.add_argument("--lags", type=int, metavar="K", help="bin the event study after +K (default: no binning)")
    p.add_argument("--design-outcome", choices=_ICC_OUTCOMES, default=DEFAULTS["design_outcome"],
                   help="outcome whose between-session ICC plans the next study (default gain)")
    p.add_argument("--value-per-unit", type=float, metavar="YUAN",
                   help="monetised value of one unit of the outcome (an assumption) for ROI")
    p.add_argument("--horizon-years", type=float, default=DEFAULTS["horizon_years"],
                   help=f"years the effect lasts (ROI; default {DEFAULTS['horizon_years']:g})")
    p.add_argument("--n-boot", type=int, default=DEFAULTS["n_boot"],
                   help=f"bootstrap replicates (default {DEFAULTS['n_boot']})")
    p.add_argument("--level", type=float, default=DEFAULTS["level"], help="confidence level (default 0.95)")
    p.add_argument("--no-mixed", action="store_true", help="skip the mixed model (slowest part)")
    p.add_argument("--seed", type=int, default=DEFAULTS["seed"],
                   help=f"seed of the bootstraps (default {DEFAULTS['seed']}, as the report)")
    add_json_flag(p)
    p.set_defaults(func=run)


def _check_options(args) -> None:
    """Nonsense numbers exit 2 with one line naming the option."""
    def num(opt, v, lo, hi, *, lo_open=False, hi_open=False, what=""):
        if v is None:
            return
        ok = math.isfinite(v) and (v > lo if lo_open else v >= lo) and (v < hi if hi_open else v <= hi)
        if not ok:
            raise AnalysisError(f"{opt} must be {what}, got {v!r}")

    num("--value-per-unit", args.value_per_unit, 0, 1e12, what="a finite number of yuan between 0 and 1e12")
    num("--horizon-years", args.horizon_years, 0, 100, lo_open=True, what="a number of years in (0, 100]")
    num("--level", args.level, 0, 1, lo_open=True, hi_open=True, what="between 0 and 1 (e.g. 0.95)")
    if not 10 <= args.n_boot <= 100_000:
        raise AnalysisError(f"--n-boot must be at least 10 (and at most 100000), got {args.n_boot}")
    if args.seed < 0:
        raise AnalysisError(f"--seed must be >= 0, got {args.seed}")
    if args.leads is not None and args.leads < 2:
        raise AnalysisError(f"--leads must be at least 2 (one lead besides the reference), got {args.leads}")
    if args.lags is not None and args.lags < 0:
        raise AnalysisError(f"--lags must be >= 0, got {args.lags}")


def _load_panel(args):
    from ..io import read_raw_table

    missing = [o for o in ("unit", "time", "cohort") if not getattr(args, o)]
    if missing:
        raise AnalysisError("--panel needs " + ", ".join(f"--{o}" for o in missing)
                            + " (the names of its columns)")
    raw = read_raw_table(args.panel)
    if raw.problems:
        row, col, value, rule, message = raw.problems[0]
        raise DataValidationError(message, file=str(args.panel), row=row, column=col, value=value, rule=rule)
    return raw.frame


def run(args) -> int:
    if not any([args.survey, args.outputs, args.costs, args.panel]):
        raise AnalysisError("nothing to evaluate: give --survey, --outputs (with --attendance "
                            "and --trainings), --panel or --costs")
    _check_options(args)
    try:
        weights = parse_weights(args.weights) if args.weights else None
    except ValueError as exc:
        raise AnalysisError(f"--weights: {exc}") from None
    if args.outputs and not (args.attendance and args.trainings):
        raise AnalysisError("--outputs needs --attendance and --trainings (who was trained when)")
    if args.outputs and args.panel:
        raise AnalysisError("give either --outputs (the built-in tables) or --panel (your own panel), not both")
    if args.outputs and args.outcome not in OUTCOMES:
        raise AnalysisError(f"--outcome must be one of {', '.join(OUTCOMES)} with --outputs, got {args.outcome!r}")
    if not args.panel and args.cluster not in (None, "rep_id", "province"):
        raise AnalysisError(f"--cluster must be rep_id or province with --outputs, got {args.cluster!r}")
    tab = {k: (load_arg(getattr(args, k), k, required=False)) for k in
           ("survey", "outputs", "representatives", "attendance", "trainings", "costs")}
    tab = {k: (v.accepted if v is not None else None) for k, v in tab.items()}
    panel = _load_panel(args) if args.panel else None
    try:
        res = evaluate(**tab, panel=panel, unit=args.unit, time=args.time, cohort=args.cohort,
                       weights=weights, outcome=args.outcome, cluster=args.cluster, control=args.control,
                       base_period=args.base_period, se=args.se, late_cohorts=args.late_cohorts,
                       post_rule=args.post_rule, leads=args.leads, lags=args.lags,
                       value_per_unit=args.value_per_unit, horizon_years=args.horizon_years,
                       n_boot=args.n_boot, mixed=not args.no_mixed, seed=args.seed, level=args.level,
                       design_outcome=args.design_outcome)
    except ValueError as exc:
        raise AnalysisError(str(exc)) from None
    if args.json:
        emit_json(res.to_dict())
        return 0
    print(_text(res))
    return 0


def _text(res) -> str:
    out = []
    if res.quality is not None:
        ov = res.quality.overall()
        out += [f"## Session quality (overall, role-weighted; {res.quality.interval} intervals on the 1–5 scale)",
                "", to_markdown(ov[["training_id", "estimate", "std_error", "ci_low", "ci_high", "n", "df"]]), ""]
    if res.ranking is not None:
        t = res.ranking.table
        cols = ["training_id", "estimate", "rank", "rank_low", "rank_high", "indistinguishable_from_above"]
        out += [f"## Session ranking ({res.ranking.n_boot} bootstrap replicates)", "", to_markdown(t[cols]), ""]
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
    if res.design is not None:
        d = res.design
        out += ["## Design of the next study", "",
                f"d = {d.effect_size:g}: {d.n_srs} people per arm (simple random sampling); sampling whole "
                f"sessions of {d.cluster_size:g} with between-session ICC {d.icc:.3f} ({d.icc_source} on "
                f"{d.outcome}): {d.n_per_arm} people in {d.clusters_per_arm} sessions per arm", ""]
    if res.did is not None:
        c = res.did.choices
        out += ["## Difference in differences", "", to_markdown(res.did.table), "",
                f"group-time controls: {c.get('control')} (requested {c.get('control_requested')}); base period "
                f"{c.get('base_period')}; SE {c.get('se')}, clustered by {c.get('cluster')}", ""]
    if res.event_study is not None:
        es = res.event_study
        b = es.binned
        out += [f"Pre-trend test: F = {es.pretrend_F:.2f}, p = {es.pretrend_p:.3f} (event study "
                + ("not binned" if b["leads"] is None and b["lags"] is None else f"binned at {b}") + ")", ""]
    if res.heterogeneity is not None:
        out += ["## Effects by segment", "", to_markdown(res.heterogeneity.interactions), ""]
    if res.roi is not None:
        s = res.roi.summary
        out += ["## Cost and return", "", f"total cost {s['total_cost']:,.0f} yuan; "
                f"{s['cost_per_trained']:,.0f} yuan per trained unit ({s['unit']}, n = {s['n_trained']})"
                + (f"; ROI {s['roi_percent']:.1f}% [{s['roi_ci_low']:.1f}%, {s['roi_ci_high']:.1f}%]"
                   if s.get("roi_percent") is not None and s.get("roi_ci_low") is not None else
                   f"; ROI {s['roi_percent']:.1f}%" if s.get("roi_percent") is not None else ""), ""]
    if res.notes:
        out += ["## Notes", ""] + [f"- {n}" for n in res.notes] + [""]
    if res.skipped:
        out += ["## Skipped", ""] + [f"- {k}: {v}" for k, v in sorted(res.skipped.items())]
    return "\n".join(out)
