"""Plan compliance: the 2020–2023 training plan's indicators as data, evaluated on the tables.

The seven quantitative indicators of CAST's 2020–2023 Education and Training Plan (seed 001
§ 一(三)) are kept as declarative rules in ``datasets/real/plan_indicators.toml`` (format
documented in that file's header). This module reads such a rules file and evaluates every
rule on ``cadres`` + ``hours_log`` (and ``curriculum`` for indicator 7): per cadre pass/fail
with the shortfall in hours, days or records; per rank compliance rates; annual off-the-job
rates per year against 30/25/20 %; curriculum shares per class against 70/20/30 %.

Rules are data: a researcher edits thresholds or adds a ``[[rule]]`` in a copy of the file
and passes it (``load_rules(path)``, ``kexie-research compliance --rules FILE``) — no Python.

Metrics (closed set, dispatched by :data:`METRICS`)
---------------------------------------------------
``sum_hours_or_days``
    Per cadre and evaluation year ``Y``: hours and days of matching ``hours_log`` rows in
    years ``Y - window_years + 1 .. Y``; pass when the present thresholds are met
    (``combine = "any"``: either; ``"all"``: both).
``triggered_hours_or_days``
    Cadres with a trigger date (``hired_on``/``appointed_on``): the same sums over the
    trigger year ``T`` and the next ``window_years - 1`` years, evaluated once in year
    ``T + window_years - 1``; if the data end earlier, an unmet rule is ``pending``.
``annual_rate``
    Per year: share of the group's cadres (hired by the year's end when ``hired_on`` is
    known) with at least one matching record with hours or days > 0; pass when the share
    reaches ``threshold_rate``.
``event_count``
    Per cadre and evaluation year: number of matching records in the window; pass when it
    reaches ``threshold_count``.
``curriculum_share``
    Per training: matching modules' weight (``hours`` or module count) over all modules'.

Engine choices (documented in ``docs/coverage_compliance.md``)
--------------------------------------------------------------
- Evaluation years: every data year ``Y`` whose window ``Y - w + 1 .. Y`` lies within the
  years of ``hours_log``; if none does (data shorter than the window), the last data year
  with the partial window — then an unmet rule is ``pending``, not ``fail``.
- A cadre is evaluated in year ``Y`` only when hired by the end of ``Y`` (or ``hired_on``
  unknown); windows are not pro-rated for cadres hired within them.
- ``hedged = true`` rules (the text says 一般, "generally") report a miss as ``warning``;
  pass rates count warnings as misses.
- Shortfalls are ``max(0, threshold - value)`` in the rule's units, 0 for a pass; for a
  miss under ``combine = "any"`` both shortfalls are given (either would close it).
- ``evaluable = false`` rules are reported as not evaluable with their reason, unless they
  list ``optional_columns`` that are all present (non-empty) in the data — then they are
  evaluated (e.g. 6a once ``cadres.role`` exists). ``on_missing_column = "ignore_key"``
  drops an ``applies_to`` key whose optional column is absent and evaluates the rest.
"""

from __future__ import annotations

import math
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from .errors import AnalysisError, PlanError
from .schema import CADRE_ID, DAYS, HOURS, RANK, TABLES, TRAINING_ID, YEAR
from .stats import require_columns

__all__ = [
    "Rule",
    "RuleSet",
    "ComplianceResult",
    "METRICS",
    "load_rules",
    "default_rules_path",
    "evaluate_compliance",
]

STATUSES = ("pass", "fail", "warning", "pending")

_RULE_KEYS = {
    "id", "indicator", "title_zh", "title_en", "metric", "evaluable", "reason",
    "optional_columns", "on_missing_column", "unit", "applies_to", "filter",
    "numerator_filter", "window_years", "trigger", "threshold_hours", "threshold_days",
    "combine", "threshold_rate", "threshold_share", "threshold_count", "weight", "hedged",
    "supplementary", "note", "source", "quote", "extra_quotes",
}
_UNITS = ("cadre", "training", "provincial_association")
_TRIGGERS = ("hired_on", "appointed_on")


def default_rules_path() -> Path:
    """The shipped rules file, ``datasets/real/plan_indicators.toml``."""
    from .data import real_dir

    return real_dir() / "plan_indicators.toml"


@dataclass(frozen=True)
class Rule:
    """One indicator rule (fields as documented in the rules file's header)."""

    id: str
    indicator: int
    metric: str
    title_zh: str = ""
    title_en: str = ""
    evaluable: bool = True
    reason: str = ""
    unit: str = "cadre"
    applies_to: dict = field(default_factory=dict)
    filter: dict = field(default_factory=dict)
    numerator_filter: dict = field(default_factory=dict)
    window_years: int | None = None
    trigger: str | None = None
    threshold_hours: float | None = None
    threshold_days: float | None = None
    combine: str | None = None
    threshold_rate: float | None = None
    threshold_share: float | None = None
    threshold_count: int | None = None
    weight: str | None = None
    hedged: bool = False
    supplementary: bool = False
    optional_columns: tuple[str, ...] = ()
    on_missing_column: str = "not_evaluable"
    note: str = ""
    source: str = ""
    quote: str = ""
    extra_quotes: tuple[str, ...] = ()

    def title(self, lang: str = "en") -> str:
        return (self.title_zh if lang == "zh" else self.title_en) or self.title_en or self.title_zh or self.id

    def threshold_text(self) -> str:
        """The pass test in words, e.g. ``">= 450 h or >= 75 d in 4 y"``."""
        if self.metric in ("sum_hours_or_days", "triggered_hours_or_days"):
            parts = []
            if self.threshold_hours is not None:
                parts.append(f">= {self.threshold_hours:g} h")
            if self.threshold_days is not None:
                parts.append(f">= {self.threshold_days:g} d")
            joiner = " and " if self.combine == "all" else " or "
            return joiner.join(parts) + f" in {self.window_years} y"
        if self.metric == "annual_rate":
            return f"rate >= {self.threshold_rate:.0%}"
        if self.metric == "event_count":
            return f">= {self.threshold_count} record(s) in {self.window_years} y"
        if self.metric == "curriculum_share":
            return f"share >= {self.threshold_share:.0%} ({self.weight})"
        return ""


@dataclass(frozen=True)
class RuleSet:
    """The rules of one file, in file order."""

    rules: tuple[Rule, ...]
    schema_version: int = 1
    days_per_month: float = 30
    path: str | None = None

    def get(self, rule_id: str) -> Rule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(f"no rule {rule_id!r}; rules: {', '.join(r.id for r in self.rules)}")

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(r.id for r in self.rules)


def _err(rule_id: Any, msg: str, path) -> PlanError:
    where = f"{Path(path).name}: " if path else ""
    return PlanError(f"{where}rule {rule_id!r}: {msg}")


def _num(v, name, rid, path, lo=None, hi=None):
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)) or (isinstance(v, float) and math.isnan(v)):
        raise _err(rid, f"{name} must be a number, not {v!r}", path)
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        rng = f"[{lo}, {hi}]" if hi is not None else f">= {lo}"
        raise _err(rid, f"{name} must be in {rng}, not {v!r}", path)
    return v


def _check_filter(spec, name, table, rid, path) -> dict:
    if spec is None:
        return {}
    if not isinstance(spec, dict):
        raise _err(rid, f"{name} must be a table (e.g. {{ category = \"initial\" }}), not {spec!r}", path)
    cols = TABLES[table].column_names
    for k, v in spec.items():
        if k not in cols:
            raise _err(rid, f"{name} key {k!r} is not a column of {table} "
                            f"(columns: {', '.join(cols)})", path)
        if isinstance(v, list) and not v:
            raise _err(rid, f"{name} key {k!r} has an empty list of values", path)
    return dict(spec)


def _parse_rule(raw: dict, metrics: dict, path) -> Rule:
    rid = raw.get("id")
    if not isinstance(rid, str) or not rid.strip():
        raise PlanError(f"{Path(path).name + ': ' if path else ''}a [[rule]] has no string 'id' "
                        f"(keys: {', '.join(sorted(raw))})")
    unknown = sorted(set(raw) - _RULE_KEYS)
    if unknown:
        raise _err(rid, f"unknown field(s) {', '.join(unknown)}; allowed: {', '.join(sorted(_RULE_KEYS))}",
                   path)
    for req in ("indicator", "metric"):
        if req not in raw:
            raise _err(rid, f"missing required field {req!r}", path)
    metric = raw["metric"]
    if metric not in metrics:
        raise _err(rid, f"unknown metric {metric!r}; allowed metrics: {', '.join(metrics)}", path)
    ind = raw["indicator"]
    if isinstance(ind, bool) or not isinstance(ind, int):
        raise _err(rid, f"indicator must be an integer, not {ind!r}", path)
    evaluable = raw.get("evaluable", True)
    if not isinstance(evaluable, bool):
        raise _err(rid, f"evaluable must be true or false, not {evaluable!r}", path)
    if not evaluable and not str(raw.get("reason", "")).strip():
        raise _err(rid, "evaluable = false needs a 'reason'", path)
    unit = raw.get("unit", "training" if metric == "curriculum_share" else "cadre")
    if unit not in _UNITS:
        raise _err(rid, f"unit must be one of {', '.join(_UNITS)}, not {unit!r}", path)
    omc = raw.get("on_missing_column", "not_evaluable")
    if omc not in ("not_evaluable", "ignore_key"):
        raise _err(rid, f"on_missing_column must be 'not_evaluable' or 'ignore_key', not {omc!r}", path)
    opt = raw.get("optional_columns", [])
    if not isinstance(opt, list) or any(not isinstance(c, str) or "." not in c for c in opt):
        raise _err(rid, f"optional_columns must be a list of 'table.column', not {opt!r}", path)
    for c in opt:
        t, col = c.split(".", 1)
        if t not in TABLES or col not in TABLES[t].column_names:
            raise _err(rid, f"optional column {c!r} is not a column of the data model", path)
    applies = raw.get("applies_to", {})
    applies = _check_filter(applies, "applies_to", "cadres", rid, path)
    hours_metric = metric != "curriculum_share"
    flt = _check_filter(raw.get("filter"), "filter", "hours_log", rid, path)
    num_f = _check_filter(raw.get("numerator_filter"), "numerator_filter",
                          "hours_log" if hours_metric else "curriculum", rid, path)
    w = raw.get("window_years")
    if w is not None and (isinstance(w, bool) or not isinstance(w, int) or w < 1):
        raise _err(rid, f"window_years must be an integer >= 1, not {w!r}", path)
    th_h = _num(raw.get("threshold_hours"), "threshold_hours", rid, path, lo=0)
    th_d = _num(raw.get("threshold_days"), "threshold_days", rid, path, lo=0)
    th_r = _num(raw.get("threshold_rate"), "threshold_rate", rid, path, lo=0, hi=1)
    th_s = _num(raw.get("threshold_share"), "threshold_share", rid, path, lo=0, hi=1)
    th_c = _num(raw.get("threshold_count"), "threshold_count", rid, path, lo=0)
    combine = raw.get("combine")
    if combine is not None and combine not in ("any", "all"):
        raise _err(rid, f"combine must be 'any' or 'all', not {combine!r}", path)
    trigger = raw.get("trigger")
    weight = raw.get("weight")
    # metric-specific fields
    if metric in ("sum_hours_or_days", "triggered_hours_or_days"):
        if th_h is None and th_d is None:
            raise _err(rid, f"{metric} needs threshold_hours and/or threshold_days", path)
        if th_h is not None and th_d is not None and combine is None:
            raise _err(rid, "both threshold_hours and threshold_days given: set combine = \"any\" "
                            "or \"all\"", path)
        if w is None:
            raise _err(rid, f"{metric} needs window_years", path)
    if metric == "triggered_hours_or_days" and trigger not in _TRIGGERS:
        raise _err(rid, f"trigger must be one of {', '.join(_TRIGGERS)}, not {trigger!r}", path)
    if metric == "annual_rate":
        if th_r is None:
            raise _err(rid, "annual_rate needs threshold_rate (a fraction 0..1)", path)
        if w is None:
            w = 1
    if metric == "event_count":
        if th_c is None:
            raise _err(rid, "event_count needs threshold_count", path)
        if w is None:
            raise _err(rid, "event_count needs window_years", path)
    if metric == "curriculum_share":
        if th_s is None:
            raise _err(rid, "curriculum_share needs threshold_share (a fraction 0..1)", path)
        if weight not in ("hours", "modules"):
            raise _err(rid, f"curriculum_share needs weight = \"hours\" or \"modules\", not {weight!r}", path)
        if not num_f:
            raise _err(rid, "curriculum_share needs a numerator_filter", path)
    for b in ("hedged", "supplementary"):
        if not isinstance(raw.get(b, False), bool):
            raise _err(rid, f"{b} must be true or false", path)
    return Rule(
        id=rid, indicator=ind, metric=metric, title_zh=str(raw.get("title_zh", "")),
        title_en=str(raw.get("title_en", "")), evaluable=evaluable,
        reason=str(raw.get("reason", "")), unit=unit, applies_to=applies, filter=flt,
        numerator_filter=num_f, window_years=w, trigger=trigger, threshold_hours=th_h,
        threshold_days=th_d, combine=combine or "any", threshold_rate=th_r,
        threshold_share=th_s, threshold_count=th_c, weight=weight,
        hedged=bool(raw.get("hedged", False)), supplementary=bool(raw.get("supplementary", False)),
        optional_columns=tuple(opt), on_missing_column=omc, note=str(raw.get("note", "")),
        source=str(raw.get("source", "")), quote=str(raw.get("quote", "")),
        extra_quotes=tuple(raw.get("extra_quotes", ())))


def load_rules(source: str | os.PathLike | dict | RuleSet | None = None) -> RuleSet:
    """Read and check a rules file (TOML) — by default the shipped plan indicators.

    Parameters
    ----------
    source : path, dict or RuleSet, optional
        A TOML file in the format of ``datasets/real/plan_indicators.toml``, or the
        already-parsed dictionary.

    Returns
    -------
    RuleSet

    Raises
    ------
    PlanError
        Broken TOML, an unknown metric (naming the rule id), a missing or ill-typed field,
        a filter on a column the data model does not have, duplicate ids.

    Examples
    --------
    >>> rs = load_rules()
    >>> rs.get("2a").threshold_hours, rs.get("2a").threshold_days, rs.get("7c").weight
    (450, 75, 'modules')
    >>> load_rules({"rule": [{"id": "x", "indicator": 9, "metric": "median_hours"}]})
    Traceback (most recent call last):
    ...
    kexie_research.errors.PlanError: rule 'x': unknown metric 'median_hours'; allowed metrics: sum_hours_or_days, triggered_hours_or_days, annual_rate, event_count, curriculum_share
    """
    if isinstance(source, RuleSet):
        return source
    path = None
    if isinstance(source, dict):
        data = source
    else:
        path = Path(source) if source is not None else default_rules_path()
        try:
            with open(path, "rb") as fh:
                data = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise PlanError(f"{path.name}: not valid TOML: {exc}") from None
    if "rule" not in data or not isinstance(data["rule"], list) or not data["rule"]:
        raise PlanError(f"{Path(path).name + ': ' if path else ''}no [[rule]] tables found")
    declared = data.get("metrics")
    if declared is not None:
        unknown = [m for m in declared if m not in METRICS]
        if unknown:
            raise PlanError(f"{Path(path).name + ': ' if path else ''}the file declares metric(s) "
                            f"{', '.join(map(repr, unknown))} this engine does not implement; "
                            f"implemented: {', '.join(METRICS)}")
    rules = [_parse_rule(r, METRICS, path) for r in data["rule"]]
    seen = set()
    for r in rules:
        if r.id in seen:
            raise _err(r.id, "duplicate rule id", path)
        seen.add(r.id)
    dpm = data.get("days_per_month", 30)
    return RuleSet(rules=tuple(rules), schema_version=int(data.get("schema_version", 1)),
                   days_per_month=float(dpm), path=None if path is None else str(path))


# ---- evaluation -----------------------------------------------------------------------------

def _present(df: pd.DataFrame | None, col: str) -> bool:
    return df is not None and col in df.columns and bool(df[col].notna().any())


def _match(df: pd.DataFrame, spec: dict) -> pd.Series:
    """Rows of ``df`` matching every key of ``spec`` (list = any of; scalar = equality)."""
    m = pd.Series(True, index=df.index)
    for k, v in spec.items():
        col = df[k]
        vals = v if isinstance(v, list) else [v]
        if all(isinstance(x, bool) for x in vals):
            col = col.astype("boolean") if not pd.api.types.is_bool_dtype(col) else col
            hit = col.isin(vals)
        else:
            hit = col.astype(object).isin(vals)
        m &= hit.fillna(False).astype(bool)
    return m


@dataclass
class _Ctx:
    cadres: pd.DataFrame
    log: pd.DataFrame
    years: list[int]
    data_years: tuple[int, int] | None
    curriculum: pd.DataFrame | None
    trainings: pd.DataFrame | None
    messages: list[str]


def _applies(rule: Rule, ctx: _Ctx) -> tuple[pd.DataFrame | None, str]:
    """Cadres the rule applies to, or (None, reason) when it cannot be evaluated."""
    spec = dict(rule.applies_to)
    opt_cols = {c.split(".", 1)[1] for c in rule.optional_columns if c.startswith("cadres.")}
    for k in list(spec):
        if not _present(ctx.cadres, k):
            if k in opt_cols and rule.on_missing_column == "ignore_key":
                del spec[k]
                ctx.messages.append(f"rule {rule.id}: optional column cadres.{k} absent — "
                                    f"applies_to key {k!r} ignored")
            else:
                return None, f"column cadres.{k} is absent or empty"
    return ctx.cadres[_match(ctx.cadres, spec)], ""


def _eval_years(rule: Rule, ctx: _Ctx) -> list[tuple[int, bool]]:
    """(year, window_complete) pairs to evaluate."""
    if ctx.data_years is None:
        return []
    y0, y1 = ctx.data_years
    w = rule.window_years or 1
    full = [(y, True) for y in ctx.years if y - w + 1 >= y0]
    if full:
        return full
    return [(max(ctx.years), False)]


def _employed(cad: pd.DataFrame, year: int) -> pd.DataFrame:
    if "hired_on" not in cad.columns:
        return cad
    h = pd.to_datetime(cad["hired_on"])
    return cad[h.isna() | (h.dt.year <= year)]


def _status(passed: np.ndarray, complete, hedged: bool) -> np.ndarray:
    miss = "warning" if hedged else "fail"
    complete = np.broadcast_to(np.asarray(complete, dtype=bool), passed.shape)
    return np.where(passed, "pass", np.where(complete, miss, "pending"))


def _sum_test(rule: Rule, hours: np.ndarray, days: np.ndarray):
    tests = []
    if rule.threshold_hours is not None:
        tests.append(hours >= rule.threshold_hours)
    if rule.threshold_days is not None:
        tests.append(days >= rule.threshold_days)
    passed = np.logical_or.reduce(tests) if rule.combine == "any" else np.logical_and.reduce(tests)
    sh = (np.where(passed, 0.0, np.maximum(0.0, rule.threshold_hours - hours))
          if rule.threshold_hours is not None else np.full(hours.shape, np.nan))
    sd = (np.where(passed, 0.0, np.maximum(0.0, rule.threshold_days - days))
          if rule.threshold_days is not None else np.full(days.shape, np.nan))
    return passed, sh, sd


def _outcome_frame(rule: Rule, cad: pd.DataFrame, year, hours, days, count, passed, sh, sd, sc,
                   complete) -> pd.DataFrame:
    n = len(cad)
    return pd.DataFrame({
        "rule_id": rule.id, "indicator": rule.indicator, "metric": rule.metric,
        CADRE_ID: cad[CADRE_ID].to_numpy(), RANK: cad[RANK].to_numpy() if RANK in cad else None,
        "year": np.broadcast_to(np.asarray(year), (n,)).astype(int),
        "hours": hours, "days": days, "count": count,
        "threshold_hours": rule.threshold_hours, "threshold_days": rule.threshold_days,
        "threshold_count": rule.threshold_count,
        "shortfall_hours": sh, "shortfall_days": sd, "shortfall_count": sc,
        "status": _status(np.asarray(passed, bool), complete, rule.hedged),
    })


def _window_sums(log: pd.DataFrame, ids, y_from: int, y_to: int):
    w = log[(log[YEAR] >= y_from) & (log[YEAR] <= y_to)]
    g = w.groupby(CADRE_ID).agg(hours=(HOURS, "sum"), days=(DAYS, "sum"), count=(HOURS, "size"))
    g = g.reindex(ids).fillna(0)
    return g["hours"].to_numpy(float), g["days"].to_numpy(float), g["count"].to_numpy(int)


def _m_sum(rule: Rule, ctx: _Ctx) -> dict:
    cad, why = _applies(rule, ctx)
    if cad is None:
        return {"not_evaluable": why}
    log = ctx.log[_match(ctx.log, rule.filter)]
    frames = []
    for y, complete in _eval_years(rule, ctx):
        c = _employed(cad, y)
        h, d, n = _window_sums(log, c[CADRE_ID], y - rule.window_years + 1, y)
        passed, sh, sd = _sum_test(rule, h, d)
        frames.append(_outcome_frame(rule, c, y, h, d, n, passed, sh, sd, np.nan, complete))
    return {"outcomes": frames}


def _m_triggered(rule: Rule, ctx: _Ctx) -> dict:
    cad, why = _applies(rule, ctx)
    if cad is None:
        return {"not_evaluable": why}
    if rule.trigger not in ctx.cadres.columns:
        return {"not_evaluable": f"column cadres.{rule.trigger} is absent"}
    if ctx.data_years is None:
        return {"outcomes": []}
    y0, y1 = ctx.data_years
    trig = pd.to_datetime(cad[rule.trigger])
    cad = cad[trig.notna()].assign(_t=trig[trig.notna()].dt.year.astype(int))
    w = rule.window_years
    before = cad["_t"] + w - 1 < y0
    if before.any():
        ctx.messages.append(f"rule {rule.id}: {int(before.sum())} cadre(s) whose {rule.trigger} "
                            f"window ends before the first data year {y0} not evaluated")
    cad = cad[~before]
    log = ctx.log[_match(ctx.log, rule.filter)]
    frames = []
    for t, c in cad.groupby("_t", sort=True):
        end = t + w - 1
        complete = end <= y1
        h, d, n = _window_sums(log, c[CADRE_ID], t, min(end, y1))
        passed, sh, sd = _sum_test(rule, h, d)
        frames.append(_outcome_frame(rule, c, end, h, d, n, passed, sh, sd, np.nan, complete))
    return {"outcomes": frames}


def _m_event(rule: Rule, ctx: _Ctx) -> dict:
    if rule.unit != "cadre":
        return {"not_evaluable": f"unit {rule.unit!r} needs a table keyed by it; this engine "
                                 "evaluates cadre and training rules"}
    cad, why = _applies(rule, ctx)
    if cad is None:
        return {"not_evaluable": why}
    log = ctx.log[_match(ctx.log, rule.filter)]
    frames = []
    for y, complete in _eval_years(rule, ctx):
        c = _employed(cad, y)
        h, d, n = _window_sums(log, c[CADRE_ID], y - rule.window_years + 1, y)
        passed = n >= rule.threshold_count
        sc = np.where(passed, 0, np.maximum(0, rule.threshold_count - n))
        frames.append(_outcome_frame(rule, c, y, h, d, n, passed, np.nan, np.nan, sc, complete))
    return {"outcomes": frames}


def _m_rate(rule: Rule, ctx: _Ctx) -> dict:
    cad, why = _applies(rule, ctx)
    if cad is None:
        return {"not_evaluable": why}
    num = ctx.log[_match(ctx.log, rule.numerator_filter)
                  & ((ctx.log[HOURS] > 0) | (ctx.log[DAYS] > 0))]
    rows, per_cadre = [], []
    for y in ctx.years:
        c = _employed(cad, y)
        hit = c[CADRE_ID].isin(set(num.loc[num[YEAR] == y, CADRE_ID]))
        n, k = len(c), int(hit.sum())
        rate = k / n if n else float("nan")
        passed = n > 0 and rate >= rule.threshold_rate - 1e-12
        need = max(0, math.ceil(rule.threshold_rate * n - 1e-9) - k) if n else 0
        rows.append({"rule_id": rule.id, "indicator": rule.indicator, "year": int(y),
                     "group_size": n, "n_trained": k, "rate": rate,
                     "threshold_rate": rule.threshold_rate,
                     "status": "pass" if passed else ("warning" if rule.hedged else "fail") if n else "no_data",
                     "shortfall_rate": max(0.0, rule.threshold_rate - rate) if n else float("nan"),
                     "shortfall_cadres": need})
        per_cadre.append(pd.DataFrame({CADRE_ID: c[CADRE_ID].to_numpy(),
                                       RANK: c[RANK].to_numpy() if RANK in c else None,
                                       "year": int(y), "trained": hit.to_numpy()}))
    return {"rates": rows, "rate_members": [f.assign(rule_id=rule.id, indicator=rule.indicator)
                                            for f in per_cadre]}


def _m_curriculum(rule: Rule, ctx: _Ctx) -> dict:
    cur = ctx.curriculum
    if cur is None or cur.empty:
        return {"not_evaluable": "needs the curriculum table (--trainings T --curriculum M)"}
    for k in rule.numerator_filter:
        if k not in cur.columns:
            return {"not_evaluable": f"column curriculum.{k} is absent"}
    hit = _match(cur, rule.numerator_filter)
    hrs = pd.to_numeric(cur[HOURS], errors="coerce").fillna(0.0)
    d = pd.DataFrame({TRAINING_ID: cur[TRAINING_ID].astype(str).to_numpy(),
                      "h": hrs.to_numpy(), "hit_h": np.where(hit, hrs, 0.0),
                      "hit_m": hit.to_numpy().astype(int)})
    g = d.groupby(TRAINING_ID, sort=True).agg(total_hours=("h", "sum"), n_modules=("h", "size"),
                                              hours_matching=("hit_h", "sum"),
                                              modules_matching=("hit_m", "sum")).reset_index()
    with np.errstate(invalid="ignore", divide="ignore"):
        g["share_hours"] = np.where(g["total_hours"] > 0, g["hours_matching"] / g["total_hours"], np.nan)
        g["share_modules"] = g["modules_matching"] / g["n_modules"]
    g["share"] = g["share_hours"] if rule.weight == "hours" else g["share_modules"]
    g.insert(0, "rule_id", rule.id)
    g.insert(1, "indicator", rule.indicator)
    g["weight"] = rule.weight
    g["threshold_share"] = rule.threshold_share
    ok = g["share"] >= rule.threshold_share - 1e-12
    g["status"] = np.where(g["share"].isna(), "no_data",
                           np.where(ok, "pass", "warning" if rule.hedged else "fail"))
    g["shortfall_share"] = np.where(ok | g["share"].isna(), 0.0, rule.threshold_share - g["share"])
    if ctx.trainings is not None and "name" in ctx.trainings.columns:
        names = ctx.trainings.assign(**{TRAINING_ID: ctx.trainings[TRAINING_ID].astype(str)}) \
            .drop_duplicates(TRAINING_ID).set_index(TRAINING_ID)["name"]
        g.insert(2, "name", g[TRAINING_ID].map(names))
    return {"curriculum": g}


METRICS: dict[str, Callable[[Rule, _Ctx], dict]] = {
    "sum_hours_or_days": _m_sum,
    "triggered_hours_or_days": _m_triggered,
    "annual_rate": _m_rate,
    "event_count": _m_event,
    "curriculum_share": _m_curriculum,
}
"""The closed set of metrics: name → evaluator."""


@dataclass(frozen=True)
class ComplianceResult:
    """Outcome of every rule.

    Attributes
    ----------
    outcomes : DataFrame
        Per cadre × rule × evaluation year (cadre-level metrics): ``rule_id``,
        ``indicator``, ``metric``, ``cadre_id``, ``rank``, ``year``, ``hours``, ``days``,
        ``count``, thresholds, ``shortfall_hours``, ``shortfall_days``,
        ``shortfall_count``, ``status`` (pass / fail / warning / pending).
    rules : DataFrame
        Per rule: ``rule_id``, ``indicator``, ``title``, ``metric``, ``test``,
        ``evaluated`` (bool), ``reason``, ``n_evaluated``, ``n_pass``, ``n_fail``,
        ``n_warning``, ``n_pending``, ``pass_rate`` (passes over pass + fail + warning;
        years for annual rates, classes for curriculum shares).
    indicators : DataFrame
        Per indicator (1–7): rules evaluated / not evaluable and the pooled pass rate.
    by_rank : DataFrame
        ``rank``, ``rule_id``, ``indicator``, ``n``, ``value`` and ``measure``:
        ``"pass_rate"`` for cadre-level rules; ``"rate"`` (share of cadre-years with a
        qualifying record) for annual-rate rules.
    rates : DataFrame
        Annual rates per rule and year: ``group_size``, ``n_trained``, ``rate``,
        ``threshold_rate``, ``status``, ``shortfall_rate``, ``shortfall_cadres``.
    curriculum : DataFrame
        Curriculum shares per rule and training: ``share`` (by the rule's weight),
        ``share_hours``, ``share_modules``, ``threshold_share``, ``status``,
        ``shortfall_share``.
    not_evaluable : DataFrame
        ``rule_id``, ``indicator``, ``reason``.
    years : tuple of int
        Years of ``hours_log`` evaluated.
    """

    outcomes: pd.DataFrame
    rules: pd.DataFrame
    indicators: pd.DataFrame
    by_rank: pd.DataFrame
    rates: pd.DataFrame
    curriculum: pd.DataFrame
    not_evaluable: pd.DataFrame
    years: tuple[int, ...]
    n_cadres: int
    rules_file: str | None = None
    messages: tuple[str, ...] = ()

    def shortfalls(self) -> pd.DataFrame:
        """Cadre outcomes that missed (fail or warning), largest shortfall first."""
        o = self.outcomes[self.outcomes["status"].isin(["fail", "warning"])]
        return o.sort_values(["rule_id", "year", CADRE_ID], kind="stable").reset_index(drop=True)

    def to_dict(self) -> dict:
        """JSON-able summary (what ``kexie-research compliance --json`` prints)."""
        sf = self.shortfalls()
        cols = ["rule_id", "indicator", CADRE_ID, RANK, "year", "hours", "days", "count",
                "shortfall_hours", "shortfall_days", "shortfall_count", "status"]
        return {
            "n_cadres": self.n_cadres, "years": list(self.years),
            "rules_file": None if self.rules_file is None else Path(self.rules_file).name,
            "rules": self.rules, "indicators": self.indicators,
            "pass_rates": {r["rule_id"]: r["pass_rate"] for r in self.rules.to_dict(orient="records")},
            "shortfalls": sf[cols] if len(sf) else [],
            "by_rank": self.by_rank, "off_job_rates": self.rates,
            "curriculum_shares": self.curriculum, "not_evaluable": self.not_evaluable,
            "messages": list(self.messages),
        }


def _prep(df: pd.DataFrame, table: str, cols) -> pd.DataFrame:
    require_columns(df, cols, table=table)
    return df.copy()


def evaluate_compliance(cadres: pd.DataFrame, hours_log: pd.DataFrame,
                        rules: str | os.PathLike | dict | RuleSet | None = None, *,
                        curriculum: pd.DataFrame | None = None,
                        trainings: pd.DataFrame | None = None,
                        years=None) -> ComplianceResult:
    """Evaluate every rule of ``rules`` (default: the shipped plan indicators).

    Parameters
    ----------
    cadres : DataFrame
        ``cadre_id``, ``rank``, ``is_party_member``, ``is_branch_secretary`` and the
        optional ``hired_on``, ``appointed_on``, ``role``, ``unit_type``.
    hours_log : DataFrame
        ``cadre_id``, ``year``, ``hours``, ``days``, ``modality``, ``off_job``,
        ``category``; several rows per cadre and year are summed.
    rules : path, dict or RuleSet, optional
        The rules (see :func:`load_rules`).
    curriculum, trainings : DataFrame, optional
        For the curriculum-share rules (indicator 7); trainings only supply class names.
    years : iterable of int, optional
        Evaluation years (default: every year in ``hours_log``).

    Returns
    -------
    ComplianceResult

    Raises
    ------
    PlanError
        A broken rules file (see :func:`load_rules`).
    AnalysisError
        No cadres.

    Examples
    --------
    >>> cad = pd.DataFrame({"cadre_id": ["c1", "c2"], "rank": ["section", "section"],
    ...                     "is_party_member": [False, False], "is_branch_secretary": [False, False]})
    >>> log = pd.DataFrame({"cadre_id": ["c1", "c2"], "year": [2021, 2021], "hours": [95.0, 40.0],
    ...                     "days": [0.0, 6.0], "modality": ["offline"] * 2, "off_job": [True, False],
    ...                     "category": ["general"] * 2})
    >>> res = evaluate_compliance(cad, log)
    >>> o = res.outcomes[res.outcomes.rule_id == "2b"]
    >>> o[["cadre_id", "status", "shortfall_hours", "shortfall_days"]].values.tolist()
    [['c1', 'pass', 0.0, 0.0], ['c2', 'fail', 50.0, 6.0]]
    >>> res.rates.loc[res.rates.rule_id == "3b", ["rate", "status"]].values.tolist()
    [[0.5, 'pass']]
    """
    rs = load_rules(rules)
    cad = _prep(cadres, "cadres", (CADRE_ID, RANK))
    if len(cad) == 0:
        raise AnalysisError("no cadres: compliance is undefined")
    cad[CADRE_ID] = cad[CADRE_ID].astype(str)
    log = _prep(hours_log, "hours_log", (CADRE_ID, YEAR, HOURS, DAYS))
    log[CADRE_ID] = log[CADRE_ID].astype(str)
    log[YEAR] = pd.to_numeric(log[YEAR]).astype(int)
    log[HOURS] = pd.to_numeric(log[HOURS], errors="coerce").fillna(0.0).astype(float)
    log[DAYS] = pd.to_numeric(log[DAYS], errors="coerce").fillna(0.0).astype(float)
    messages: list[str] = []
    orphan = ~log[CADRE_ID].isin(set(cad[CADRE_ID]))
    if orphan.any():
        messages.append(f"{int(orphan.sum())} hours_log row(s) for cadre_id(s) not in the cadres "
                        f"table ignored (e.g. {', '.join(sorted(set(log.loc[orphan, CADRE_ID]))[:5])})")
        log = log[~orphan]
    data_years = (int(log[YEAR].min()), int(log[YEAR].max())) if len(log) else None
    if years is not None:
        yrs = sorted({int(y) for y in years})
    elif data_years is not None:
        yrs = list(range(data_years[0], data_years[1] + 1))
    else:
        yrs = []
        messages.append("hours_log is empty: no cadre rule can be evaluated")
    ctx = _Ctx(cadres=cad, log=log, years=yrs, data_years=data_years,
               curriculum=None if curriculum is None else curriculum.copy(),
               trainings=trainings, messages=messages)

    outcomes, rates, members, curr, not_eval, rule_rows = [], [], [], [], [], []
    for rule in rs.rules:
        opt_ok = bool(rule.optional_columns) and all(
            _present({"cadres": cad, "hours_log": log, "curriculum": ctx.curriculum}.get(c.split(".")[0]),
                     c.split(".", 1)[1]) for c in rule.optional_columns)
        if not rule.evaluable and not opt_ok:
            res = {"not_evaluable": rule.reason}
        else:
            res = METRICS[rule.metric](rule, ctx)
        base = {"rule_id": rule.id, "indicator": rule.indicator, "title_zh": rule.title_zh,
                "title_en": rule.title_en, "metric": rule.metric, "test": rule.threshold_text(),
                "hedged": rule.hedged, "supplementary": rule.supplementary}
        if "not_evaluable" in res:
            not_eval.append({"rule_id": rule.id, "indicator": rule.indicator,
                             "reason": res["not_evaluable"]})
            rule_rows.append({**base, "evaluated": False, "reason": res["not_evaluable"],
                              "n_evaluated": 0, "n_pass": 0, "n_fail": 0, "n_warning": 0,
                              "n_pending": 0, "pass_rate": float("nan")})
            continue
        st = pd.Series(dtype=object)
        if res.get("outcomes"):
            o = pd.concat(res["outcomes"], ignore_index=True)
            outcomes.append(o)
            st = o["status"]
        if res.get("rates"):
            r = pd.DataFrame(res["rates"])
            rates.append(r)
            members.extend(res["rate_members"])
            st = r["status"]
        if res.get("curriculum") is not None:
            c = res["curriculum"]
            curr.append(c)
            st = c["status"]
        counts = st.value_counts()
        n_p, n_f, n_w, n_pe = (int(counts.get(k, 0)) for k in ("pass", "fail", "warning", "pending"))
        n_ev = n_p + n_f + n_w
        rule_rows.append({**base, "evaluated": True, "reason": "", "n_evaluated": n_ev,
                          "n_pass": n_p, "n_fail": n_f, "n_warning": n_w, "n_pending": n_pe,
                          "pass_rate": n_p / n_ev if n_ev else float("nan")})

    out_cols = ["rule_id", "indicator", "metric", CADRE_ID, RANK, "year", "hours", "days", "count",
                "threshold_hours", "threshold_days", "threshold_count", "shortfall_hours",
                "shortfall_days", "shortfall_count", "status"]
    outcomes_df = pd.concat(outcomes, ignore_index=True) if outcomes else pd.DataFrame(columns=out_cols)
    rates_df = pd.concat(rates, ignore_index=True) if rates else pd.DataFrame(
        columns=["rule_id", "indicator", "year", "group_size", "n_trained", "rate", "threshold_rate",
                 "status", "shortfall_rate", "shortfall_cadres"])
    curr_df = pd.concat(curr, ignore_index=True) if curr else pd.DataFrame(
        columns=["rule_id", "indicator", TRAINING_ID, "share", "share_hours", "share_modules",
                 "threshold_share", "status", "shortfall_share"])
    rules_df = pd.DataFrame(rule_rows)

    # per rank: pass rates of cadre rules, off-the-job rates of annual-rate rules
    br = []
    if len(outcomes_df):
        ev = outcomes_df[outcomes_df["status"].isin(["pass", "fail", "warning"])]
        g = ev.assign(_p=ev["status"].eq("pass")).groupby([RANK, "rule_id", "indicator"], sort=True)
        t = g.agg(n=("_p", "size"), value=("_p", "mean")).reset_index()
        t["measure"] = "pass_rate"
        br.append(t)
    if members:
        m = pd.concat(members, ignore_index=True)
        t = m.groupby([RANK, "rule_id", "indicator"], sort=True).agg(
            n=("trained", "size"), value=("trained", "mean")).reset_index()
        t["measure"] = "rate"
        br.append(t)
    by_rank = (pd.concat(br, ignore_index=True) if br else
               pd.DataFrame(columns=[RANK, "rule_id", "indicator", "n", "value", "measure"]))
    by_rank["n"] = by_rank["n"].astype(int)
    by_rank["value"] = by_rank["value"].astype(float)

    ind_rows = []
    for ind, g in rules_df.groupby("indicator", sort=True):
        ev = g[g["evaluated"]]
        n_ev, n_p = int(ev["n_evaluated"].sum()), int(ev["n_pass"].sum())
        ind_rows.append({"indicator": int(ind), "rules": ", ".join(g["rule_id"]),
                         "rules_evaluated": ", ".join(ev["rule_id"]),
                         "rules_not_evaluable": ", ".join(g.loc[~g["evaluated"], "rule_id"]),
                         "n_evaluated": n_ev, "n_pass": n_p,
                         "pass_rate": n_p / n_ev if n_ev else float("nan")})
    return ComplianceResult(
        outcomes=outcomes_df, rules=rules_df, indicators=pd.DataFrame(ind_rows), by_rank=by_rank,
        rates=rates_df, curriculum=curr_df,
        not_evaluable=pd.DataFrame(not_eval, columns=["rule_id", "indicator", "reason"]),
        years=tuple(yrs), n_cadres=int(len(cad)), rules_file=rs.path, messages=tuple(messages))
