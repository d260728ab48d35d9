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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from .errors import AnalysisError, PlanError
from .schema import CADRE_ID, DAYS, HOURS, RANK, TABLES, TRAINING_ID, YEAR
from .stats import require_columns
from .tomlcheck import MAX_DEPTH, TomlChecker, key_path, nesting_depth, read_toml

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
    "supplementary", "note", "source", "quote", "extra_quotes", "reason_zh",
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
    reason_zh: str = ""
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

    def reason_text(self, lang: str = "en") -> str:
        """Why the rule is not evaluable, in ``lang`` (the rules file's ``reason_zh`` for
        Chinese; the English ``reason`` where a file gives no Chinese)."""
        _check_lang(lang)
        return (self.reason_zh or self.reason) if lang == "zh" else self.reason

    def threshold_text(self, lang: str = "en") -> str:
        """The pass test in words.

        Examples
        --------
        >>> r = Rule("2a", 2, "sum_hours_or_days", threshold_hours=450, threshold_days=75, window_years=4)
        >>> r.threshold_text(), r.threshold_text("zh")
        ('>= 450 h or >= 75 d in 4 y', '4年内 ≥450学时或≥75天')
        >>> Rule("3a", 3, "annual_rate", threshold_rate=0.3).threshold_text("zh")
        '调训率 ≥30%'
        """
        _check_lang(lang)
        zh = lang == "zh"
        if self.metric in ("sum_hours_or_days", "triggered_hours_or_days"):
            parts = []
            if self.threshold_hours is not None:
                parts.append(f"≥{self.threshold_hours:g}学时" if zh else f">= {self.threshold_hours:g} h")
            if self.threshold_days is not None:
                parts.append(f"≥{self.threshold_days:g}天" if zh else f">= {self.threshold_days:g} d")
            if zh:
                return f"{self.window_years}年内 " + ("且" if self.combine == "all" else "或").join(parts)
            joiner = " and " if self.combine == "all" else " or "
            return joiner.join(parts) + f" in {self.window_years} y"
        if self.metric == "annual_rate":
            return f"调训率 ≥{self.threshold_rate:.0%}" if zh else f"rate >= {self.threshold_rate:.0%}"
        if self.metric == "event_count":
            return (f"{self.window_years}年内 ≥{self.threshold_count}次" if zh
                    else f">= {self.threshold_count} record(s) in {self.window_years} y")
        if self.metric == "curriculum_share":
            if zh:
                return f"占比 ≥{self.threshold_share:.0%}（{'课时' if self.weight == 'hours' else '课程数'}）"
            return f"share >= {self.threshold_share:.0%} ({self.weight})"
        return ""


def _check_lang(lang: str) -> None:
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', not {lang!r}")


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


_TOP_KEYS = ("schema_version", "seed", "days_per_month", "metrics", "rule")


def _check_value(v: Any, col, key: str, chk: TomlChecker):
    """One filter value, checked against the column's kind and allowed values (synonyms of a
    category become its code)."""
    if col.kind == "category" and col.allowed:
        if isinstance(v, str) and v in col.synonyms:
            return col.synonyms[v]
        return chk.choice(v, col.allowed, key)
    if col.kind == "bool":
        return chk.boolean(v, key)
    if col.kind in ("int", "count"):
        return chk.integer(v, key)
    if col.kind == "float":
        return chk.number(v, key)
    return chk.text(v, key)


def _check_filter(spec, name: str, table: str, chk: TomlChecker) -> dict:
    """A filter table: keys are columns of ``table``, values (or lists of values) of the
    column's type — ``applies_to = { rank = 5 }`` names ``applies_to.rank``."""
    if spec is None:
        return {}
    chk.table(spec, name, hint='e.g. { category = "initial" }')
    cols = TABLES[table].column_names
    out = {}
    for k, v in spec.items():
        key = key_path(name, k)
        if k not in cols:
            raise chk.fail(key, f"{k!r} is not a column of {table} (columns: {', '.join(cols)})")
        col = TABLES[table].column(k)
        vals = chk.scalar_or_list(v, key, lambda x, kk: _check_value(x, col, kk, chk))
        out[k] = vals if isinstance(v, list) else vals[0]
    return out


def _optional_columns(v, chk: TomlChecker) -> tuple[str, ...]:
    cols = chk.text_list(v, "optional_columns", allow_scalar=False)
    for i, c in enumerate(cols):
        t, _, col = c.partition(".")
        if t not in TABLES or col not in TABLES[t].column_names:
            raise chk.fail(key_path("optional_columns", i),
                           f"{c!r} is not a 'table.column' of the data model")
    return cols


def _metric_fields(metric: str, f: dict, chk: TomlChecker) -> None:
    """The fields each metric needs (``f`` holds the checked values; ``window_years`` of
    annual rates defaults to 1 here)."""
    if metric in ("sum_hours_or_days", "triggered_hours_or_days"):
        if f["threshold_hours"] is None and f["threshold_days"] is None:
            raise chk.fail("", f"{metric} needs threshold_hours and/or threshold_days")
        if f["threshold_hours"] is not None and f["threshold_days"] is not None and f["combine"] is None:
            raise chk.fail("", "both threshold_hours and threshold_days given: set combine = \"any\" "
                               "or \"all\"")
        if f["window_years"] is None:
            raise chk.fail("window_years", f"is required by {metric}")
    if metric == "triggered_hours_or_days" and f["trigger"] is None:
        raise chk.fail("trigger", f"is required by {metric}; allowed: {', '.join(_TRIGGERS)}")
    if metric == "annual_rate":
        if f["threshold_rate"] is None:
            raise chk.fail("threshold_rate", "is required by annual_rate (a fraction 0..1)")
        if f["window_years"] is None:
            f["window_years"] = 1
    if metric == "event_count":
        if f["threshold_count"] is None:
            raise chk.fail("threshold_count", "is required by event_count")
        if f["window_years"] is None:
            raise chk.fail("window_years", "is required by event_count")
    if metric == "curriculum_share":
        if f["threshold_share"] is None:
            raise chk.fail("threshold_share", "is required by curriculum_share (a fraction 0..1)")
        if f["weight"] is None:
            raise chk.fail("weight", "is required by curriculum_share: \"hours\" or \"modules\"")
        if not f["numerator_filter"]:
            raise chk.fail("numerator_filter", "is required by curriculum_share")


def _parse_rule(raw: Any, index: int, metrics: dict, chk: TomlChecker) -> Rule:
    """One ``[[rule]]`` table, every field type-checked and named by its key."""
    raw = chk.table(raw, f"rule[{index}]", hint="[[rule]]")
    rid = raw.get("id")
    if not isinstance(rid, str) or not rid.strip():
        raise chk.fail(f"rule[{index}].id", f"a [[rule]] needs a text 'id', got {rid!r} "
                                            f"(keys: {', '.join(sorted(map(str, raw)))})")
    c = chk.at(f"rule {rid!r}: ")
    unknown = sorted(set(raw) - _RULE_KEYS)
    if unknown:
        raise c.fail("", f"unknown field(s) {', '.join(unknown)}; allowed: {', '.join(sorted(_RULE_KEYS))}")
    for req in ("indicator", "metric"):
        if req not in raw:
            raise c.fail(req, "is required")
    metric = raw["metric"]
    if metric not in metrics:
        raise c.fail("", f"unknown metric {metric!r}; allowed metrics: {', '.join(metrics)}")
    opt = lambda k, check, **kw: None if raw.get(k) is None else check(raw[k], k, **kw)  # noqa: E731

    def as_written(v, k, **kw):  # checked, kept as written (450 stays an int in the outputs)
        c.number(v, k, **kw)
        return v

    evaluable = c.boolean(raw.get("evaluable", True), "evaluable")
    reason = c.text(raw.get("reason", ""), "reason")
    if not evaluable and not reason.strip():
        raise c.fail("reason", "is required when evaluable = false")
    hours_metric = metric != "curriculum_share"
    f = {
        "window_years": opt("window_years", c.integer, lo=1, allow_integral_float=False),
        "threshold_hours": opt("threshold_hours", as_written, lo=0),
        "threshold_days": opt("threshold_days", as_written, lo=0),
        "threshold_rate": opt("threshold_rate", as_written, lo=0, hi=1),
        "threshold_share": opt("threshold_share", as_written, lo=0, hi=1),
        "threshold_count": opt("threshold_count", c.integer, lo=0, allow_integral_float=False),
        "combine": opt("combine", lambda v, k: c.choice(v, ("any", "all"), k)),
        "trigger": opt("trigger", lambda v, k: c.choice(v, _TRIGGERS, k)),
        "weight": opt("weight", lambda v, k: c.choice(v, ("hours", "modules"), k)),
        "numerator_filter": _check_filter(raw.get("numerator_filter"), "numerator_filter",
                                          "hours_log" if hours_metric else "curriculum", c),
    }
    _metric_fields(metric, f, c)
    text = {k: c.text(raw.get(k, ""), k) for k in ("title_zh", "title_en", "reason_zh", "note",
                                                   "source", "quote")}
    return Rule(
        id=rid, indicator=c.integer(raw["indicator"], "indicator", allow_integral_float=False),
        metric=metric, title_zh=text["title_zh"], title_en=text["title_en"], evaluable=evaluable,
        reason=reason, reason_zh=text["reason_zh"],
        unit=c.choice(raw.get("unit", "training" if metric == "curriculum_share" else "cadre"), _UNITS, "unit"),
        applies_to=_check_filter(raw.get("applies_to", {}), "applies_to", "cadres", c),
        filter=_check_filter(raw.get("filter"), "filter", "hours_log", c),
        numerator_filter=f["numerator_filter"], window_years=f["window_years"], trigger=f["trigger"],
        threshold_hours=f["threshold_hours"], threshold_days=f["threshold_days"],
        combine=f["combine"] or "any", threshold_rate=f["threshold_rate"],
        threshold_share=f["threshold_share"], threshold_count=f["threshold_count"], weight=f["weight"],
        hedged=c.boolean(raw.get("hedged", False), "hedged"),
        supplementary=c.boolean(raw.get("supplementary", False), "supplementary"),
        optional_columns=_optional_columns(raw.get("optional_columns", []), c),
        on_missing_column=c.choice(raw.get("on_missing_column", "not_evaluable"),
                                   ("not_evaluable", "ignore_key"), "on_missing_column"),
        note=text["note"], source=text["source"], quote=text["quote"],
        extra_quotes=c.text_list(raw.get("extra_quotes", []), "extra_quotes", allow_scalar=False))


def load_rules(source: str | os.PathLike | dict | RuleSet | None = None) -> RuleSet:
    """Read and check a rules file (TOML) — by default the shipped plan indicators.

    Every value is checked through :class:`kexie_research.tomlcheck.TomlChecker` (the
    package's one TOML validator): types, ranges, closed sets and the columns and values of
    ``applies_to`` / ``filter`` / ``numerator_filter``; unknown keys are refused, listing the
    allowed ones; nesting deeper than :data:`kexie_research.tomlcheck.MAX_DEPTH` is refused.

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
        Broken TOML, an unknown metric (naming the rule id), a missing or ill-typed field
        (naming the rule and the key: ``rule '2a': applies_to.rank: must be one of ...``),
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
    >>> load_rules({"days_per_month": "thirty", "rule": []})
    Traceback (most recent call last):
    ...
    kexie_research.errors.PlanError: days_per_month: must be a number, got 'thirty'
    """
    if isinstance(source, RuleSet):
        return source
    path = None
    if isinstance(source, dict):
        data = source
        if nesting_depth(data) > MAX_DEPTH:
            raise PlanError(f"the rules are nested deeper than {MAX_DEPTH} levels")
    else:
        path = Path(source) if source is not None else default_rules_path()
        data = read_toml(path, error=PlanError, what="rules file")
    chk = TomlChecker(PlanError, f"{path.name}: " if path else "")
    chk.keys(data, _TOP_KEYS)
    dpm = chk.number(data.get("days_per_month", 30), "days_per_month", lo=1, hi=31)
    version = chk.integer(data.get("schema_version", 1), "schema_version", lo=1, allow_integral_float=False)
    declared = data.get("metrics")
    if declared is not None:
        unknown = [m for m in chk.text_list(declared, "metrics", allow_scalar=False) if m not in METRICS]
        if unknown:
            raise chk.fail("metrics", f"the file declares metric(s) {', '.join(map(repr, unknown))} this "
                                      f"engine does not implement; implemented: {', '.join(METRICS)}")
    raw_rules = chk.tables(data.get("rule"), "rule", hint="[[rule]] tables")
    rules = [_parse_rule(r, i, METRICS, chk) for i, r in enumerate(raw_rules)]
    seen = set()
    for r in rules:
        if r.id in seen:
            raise chk.at(f"rule {r.id!r}: ").fail("", "duplicate rule id")
        seen.add(r.id)
    return RuleSet(rules=tuple(rules), schema_version=version, days_per_month=dpm,
                   path=None if path is None else str(path))


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
        Per rule: ``rule_id``, ``indicator``, ``title_zh``, ``title_en``, ``metric``,
        ``test`` and ``test_zh`` (the pass test in words, :meth:`Rule.threshold_text`),
        ``evaluated`` (bool), ``reason`` and ``reason_zh``, ``n_evaluated``, ``n_pass``, ``n_fail``,
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
        ``rule_id``, ``indicator``, ``reason``, ``reason_zh``.
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
    ctx = _context(cadres, hours_log, curriculum, trainings, years)
    parts = _run_rules(rs, ctx)
    rules_df = pd.DataFrame(parts["rule_rows"])
    return ComplianceResult(
        outcomes=parts["outcomes"], rules=rules_df, indicators=_indicator_table(rules_df),
        by_rank=_by_rank(parts["outcomes"], parts["members"]), rates=parts["rates"],
        curriculum=parts["curriculum"],
        not_evaluable=pd.DataFrame(parts["not_evaluable"],
                                   columns=["rule_id", "indicator", "reason", "reason_zh"]),
        years=tuple(ctx.years), n_cadres=int(len(ctx.cadres)), rules_file=rs.path,
        messages=tuple(ctx.messages))


def _context(cadres, hours_log, curriculum, trainings, years) -> _Ctx:
    """Checked copies of the tables, the evaluation years and the data notes so far."""
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
    return _Ctx(cadres=cad, log=log, years=yrs, data_years=data_years,
                curriculum=None if curriculum is None else curriculum.copy(),
                trainings=trainings, messages=messages)


def _run_rules(rs: RuleSet, ctx: _Ctx) -> dict:
    """Every rule's metric: outcome, rate and curriculum tables, rate members, rule rows."""
    cad, log = ctx.cadres, ctx.log
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
                "title_en": rule.title_en, "metric": rule.metric, "test": rule.threshold_text("en"),
                "test_zh": rule.threshold_text("zh"), "hedged": rule.hedged,
                "supplementary": rule.supplementary}
        if "not_evaluable" in res:
            reason_zh = rule.reason_text("zh") if res["not_evaluable"] == rule.reason else res["not_evaluable"]
            not_eval.append({"rule_id": rule.id, "indicator": rule.indicator,
                             "reason": res["not_evaluable"], "reason_zh": reason_zh})
            rule_rows.append({**base, "evaluated": False, "reason": res["not_evaluable"],
                              "reason_zh": reason_zh, "n_evaluated": 0, "n_pass": 0, "n_fail": 0,
                              "n_warning": 0, "n_pending": 0, "pass_rate": float("nan")})
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
        rule_rows.append({**base, "evaluated": True, "reason": "", "reason_zh": "", "n_evaluated": n_ev,
                          "n_pass": n_p, "n_fail": n_f, "n_warning": n_w, "n_pending": n_pe,
                          "pass_rate": n_p / n_ev if n_ev else float("nan")})

    out_cols = ["rule_id", "indicator", "metric", CADRE_ID, RANK, "year", "hours", "days", "count",
                "threshold_hours", "threshold_days", "threshold_count", "shortfall_hours",
                "shortfall_days", "shortfall_count", "status"]
    return {
        "outcomes": pd.concat(outcomes, ignore_index=True) if outcomes else pd.DataFrame(columns=out_cols),
        "rates": pd.concat(rates, ignore_index=True) if rates else pd.DataFrame(
            columns=["rule_id", "indicator", "year", "group_size", "n_trained", "rate", "threshold_rate",
                     "status", "shortfall_rate", "shortfall_cadres"]),
        "curriculum": pd.concat(curr, ignore_index=True) if curr else pd.DataFrame(
            columns=["rule_id", "indicator", TRAINING_ID, "share", "share_hours", "share_modules",
                     "threshold_share", "status", "shortfall_share"]),
        "members": members, "not_evaluable": not_eval, "rule_rows": rule_rows,
    }


def _by_rank(outcomes_df: pd.DataFrame, members: list) -> pd.DataFrame:
    """Per rank: pass rates of cadre rules, off-the-job rates of annual-rate rules."""
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
    return by_rank


def _indicator_table(rules_df: pd.DataFrame) -> pd.DataFrame:
    """Per indicator: its rules, which were evaluated, the pooled pass rate."""
    ind_rows = []
    for ind, g in rules_df.groupby("indicator", sort=True):
        ev = g[g["evaluated"]]
        n_ev, n_p = int(ev["n_evaluated"].sum()), int(ev["n_pass"].sum())
        ind_rows.append({"indicator": int(ind), "rules": ", ".join(g["rule_id"]),
                         "rules_evaluated": ", ".join(ev["rule_id"]),
                         "rules_not_evaluable": ", ".join(g.loc[~g["evaluated"], "rule_id"]),
                         "n_evaluated": n_ev, "n_pass": n_p,
                         "pass_rate": n_p / n_ev if n_ev else float("nan")})
    return pd.DataFrame(ind_rows)
