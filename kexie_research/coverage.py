"""Representative coverage over a congress term: who was trained, how fast, who is left out.

The question the module answers is the paper's "full coverage during the term"
(系统化、规范化、全覆盖, seed 000): what share of a term's representatives took part in at
least one training session, how that share grew over the term, which groups lag, who has
never been trained, and who has not been trained within the plan's window ("retrain those
not trained in 4 years", seed 001 § 六(六)).

Counting rules (each is tested in ``tests/test_coverage.py``)
--------------------------------------------------------------
- **Distinct persons vs person-times.** ``trained`` counts distinct representatives with at
  least one *counted* attendance; ``person_times`` counts counted (representative, session)
  pairs; ``repeat_attendance = person_times - trained`` is the number of attendances beyond
  each person's first.
- **Counted attendance.** A row counts when its ``rep_id`` is a representative of the table,
  its ``training_id`` is a known session (when ``trainings`` is given), its ``hours`` are not
  zero, and (with ``require_completed=True``) it was completed. Learners and lecturers both
  count: a representative who lectures takes part in the session.
- **Zero-hour rows do not count as trained.** A row with ``hours == 0`` is a registration
  without attendance (a no-show or a placeholder); it is reported (``n_zero_hour_rows``) and
  left out of ``trained``, ``person_times`` and ``hours``. A missing ``hours`` value (or no
  ``hours`` column) means "hours unknown": the row counts, contributing 0 hours.
- **Unknown ids are reported, never dropped silently.** Attendance rows whose ``rep_id`` is
  not in ``representatives`` or whose ``training_id`` is not in ``trainings`` are listed in
  :attr:`CoverageResult.unknown_attendance` with the reason, and counted in ``messages``.
- **A session's date is its end date.** A representative counts as trained on the last day
  of the session; a session spanning two calendar years (e.g. 2019-12-30 … 2020-01-02)
  belongs to the year in which it ends and lies within a window if it ends inside it.
- **Window.** With ``window_years = N`` and the reference date ``as_of`` (default: the
  latest session end in ``trainings``), the window is ``[as_of - N years, as_of]`` (both
  ends included). ``not_trained_within_window`` lists every representative with no counted
  session ending in the window — including those never trained. Sessions ending after
  ``as_of`` are ignored altogether (coverage "as of" that date).

Inequality across groups (``by=``) is measured on the groups' coverage rates, weighted by
group size: the Gini coefficient ``G = sum_ij p_i p_j |c_i - c_j| / (2 mu)`` and Theil's T
``T = sum_i p_i (c_i / mu) ln(c_i / mu)`` with ``p_i`` the group's share of
representatives, ``c_i`` its coverage and ``mu = sum_i p_i c_i`` the overall coverage
(Cowell 2011, *Measuring Inequality*, ch. 3). Both are 0 when every group has the same
coverage. Theil's T equals ``sum_i s_i ln(s_i / p_i)`` with ``s_i`` the group's share of the
trained: the divergence of who is trained from who is there.

Wilson score intervals (Wilson 1927; Brown, Cai & DasGupta 2001) come from
:func:`statsmodels.stats.proportion.proportion_confint`. When the representatives table
is a sample they are sampling intervals; when it is the whole term (a census) read them as
the uncertainty of a group's underlying training propensity — a small province with a
low bar may be chance.

Cross-region exchange (:func:`compute_exchange`) follows the paper's wish that
representatives of under-developed regions train together with those of developed ones
(seed 000 § 3.2); the indices are defined in its docstring.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd

from .errors import AnalysisError, DataValidationError
from .regions import DEVELOPMENT_TIER, REGIONS, province_region
from .schema import CONGRESS, END_DATE, HOURS, PROVINCE, REGION, REP_ID, START_DATE, TRAINING_ID
from .labels import phrase
from .stats import entropy_bits, require_columns, wilson_interval

__all__ = [
    "CoverageResult",
    "ExchangeResult",
    "CoverageAnalysis",
    "analyse_coverage",
    "BREAKDOWNS",
    "compute_coverage",
    "compute_exchange",
    "wilson_interval",
    "gini",
    "theil",
    "left_out_table",
    "busiest_congress",
    "term_tables",
    "MILESTONES",
]

MILESTONES: tuple[float, ...] = (0.5, 0.8, 1.0)
"""Coverage levels whose first date is reported (50 %, 80 %, 100 %)."""

BREAKDOWNS: tuple[str, ...] = (PROVINCE, REGION, "delegation_type", "sector", "is_frontline",
                               "is_academician", "is_reelected")
"""Representative columns :func:`analyse_coverage` breaks coverage down by (those present)."""


# ---- small statistics ----------------------------------------------------------------------

def gini(rates, weights=None) -> float:
    """Weighted Gini coefficient of group rates (0 = equal, larger = more unequal).

    ``G = sum_ij w_i w_j |x_i - x_j| / (2 mu)`` with weights normalised to sum 1 and
    ``mu = sum_i w_i x_i``; NaN when ``mu == 0`` or there are no groups.

    Examples
    --------
    >>> round(gini([0.5, 1.0]), 4)     # two equal-sized groups: 0.25 * 0.5 * 2 / (2 * 0.75)
    0.1667
    >>> gini([0.3, 0.3, 0.3])
    0.0
    """
    x = np.asarray(rates, dtype=float)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float)
    if x.size == 0 or w.sum() <= 0:
        return float("nan")
    w = w / w.sum()
    mu = float((w * x).sum())
    if mu <= 0:
        return float("nan")
    diff = np.abs(x[:, None] - x[None, :])
    return float((w[:, None] * w[None, :] * diff).sum() / (2 * mu))


def theil(rates, weights=None) -> float:
    """Weighted Theil T index of group rates (0 = equal; ``ln(n)`` at most for n equal groups).

    ``T = sum_i w_i (x_i / mu) ln(x_i / mu)``, with ``0 ln 0 = 0``; NaN when ``mu == 0``.

    Examples
    --------
    >>> round(theil([0.5, 1.0]), 4)    # 0.5*(2/3)ln(2/3) + 0.5*(4/3)ln(4/3)
    0.0566
    """
    x = np.asarray(rates, dtype=float)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float)
    if x.size == 0 or w.sum() <= 0:
        return float("nan")
    w = w / w.sum()
    mu = float((w * x).sum())
    if mu <= 0:
        return float("nan")
    r = x / mu
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(r > 0, r * np.log(np.where(r > 0, r, 1.0)), 0.0)
    return float((w * terms).sum())


# ---- coverage -------------------------------------------------------------------------------

@dataclass(frozen=True)
class CoverageResult:
    """Coverage of one term's representatives (see the module docstring for the rules).

    Attributes
    ----------
    total, trained : int
        Representatives in the table; distinct representatives with a counted attendance.
    coverage : float
        ``trained / total``.
    ci_low, ci_high : float
        Wilson interval of ``coverage`` at ``confidence`` — on a complete roster a
        superpopulation (propensity) interval, see :meth:`ci_meaning`; in JSON
        ``coverage_ci_superpopulation`` (and ``ci_superpopulation`` per group).
    person_times : int
        Counted (representative, session) attendances.
    repeat_attendance : int
        ``person_times - trained``: attendances beyond each person's first.
    n_repeaters : int
        Representatives with two or more counted sessions.
    hours : float
        Hours of the counted attendances.
    groups : DataFrame
        One row per group of ``by``: the group columns, ``group`` (label), ``total``,
        ``trained``, ``coverage``, ``ci_low``, ``ci_high``, ``person_times``, ``hours``,
        ``share_of_reps``, ``share_of_trained``, ``below_threshold``. Empty without ``by``.
    inequality : dict
        ``{"gini": G, "theil": T}`` across the groups (NaN without ``by``).
    curve : DataFrame
        ``date``, ``newly_trained``, ``cumulative_trained``, ``coverage`` — one row per
        session end date (empty without ``trainings``).
    milestones : dict
        Coverage level (0.5, 0.8, 1.0) → first date reaching it, or ``None`` if never.
    days_to : dict
        Coverage level → days from the first counted session's start date, or ``None``.
    untrained_ids : tuple of str
        Representatives never trained (sorted).
    not_trained_within_window : tuple of str or None
        Representatives with no counted session in the window (``None`` without
        ``window_years``); includes the never-trained.
    persons : DataFrame
        Per representative: ``rep_id``, ``n_sessions``, ``hours``, ``first_trained``,
        ``last_trained``, ``trained``, ``within_window``.
    yearly : DataFrame
        Per calendar year of session end: ``year``, ``sessions``, ``person_times``,
        ``distinct_trained``, ``newly_trained``, ``hours``.
    unknown_attendance : DataFrame
        Attendance rows referring to unknown representatives or sessions: ``row``,
        ``rep_id``, ``training_id``, ``reason``.
    n_zero_hour_rows, n_incomplete_rows, n_after_as_of_rows, n_duplicate_rows : int
        Attendance rows left out under each rule.
    spanning_sessions : tuple of str
        Counted sessions whose start and end fall in different calendar years.
    messages : tuple of str
        Human-readable notes on everything left out (English; :meth:`messages_in` gives
        them in either language).
    notes : tuple of (str, dict)
        The same notes as data: a code of :mod:`kexie_research.labels`' ``coverage_note``
        kind and its fields.
    """

    total: int
    trained: int
    coverage: float
    ci_low: float
    ci_high: float
    person_times: int
    repeat_attendance: int
    n_repeaters: int
    hours: float
    groups: pd.DataFrame
    inequality: dict
    curve: pd.DataFrame
    milestones: dict
    days_to: dict
    untrained_ids: tuple[str, ...]
    not_trained_within_window: tuple[str, ...] | None
    persons: pd.DataFrame
    yearly: pd.DataFrame
    unknown_attendance: pd.DataFrame
    n_zero_hour_rows: int = 0
    n_incomplete_rows: int = 0
    n_after_as_of_rows: int = 0
    n_duplicate_rows: int = 0
    spanning_sessions: tuple[str, ...] = ()
    by: tuple[str, ...] = ()
    threshold: float = 0.8
    window_years: float | None = None
    as_of: pd.Timestamp | None = None
    confidence: float = 0.95
    sample: bool = False
    messages: tuple[str, ...] = field(default_factory=tuple)
    notes: tuple[tuple[str, dict], ...] = field(default_factory=tuple)

    def messages_in(self, lang: str = "en") -> tuple[str, ...]:
        """:attr:`messages` in ``lang`` (from :attr:`notes`, the ``(code, fields)`` of each
        message; templates in :mod:`kexie_research.labels`, kind ``"coverage_note"``).

        Examples
        --------
        >>> res = compute_coverage(pd.DataFrame({"rep_id": ["a"]}),
        ...                        pd.DataFrame({"rep_id": ["a", "a"], "training_id": ["S1", "S2"],
        ...                                      "hours": [0, 8]}))
        >>> res.messages_in("zh"), res.messages_in("en") == res.messages
        (('1 条零学时参训记录不计为培训',), True)
        """
        return tuple(phrase(k, _lang(lang), kind="coverage_note", **f) for k, f in self.notes)

    @property
    def ci_interpretation(self) -> str:
        """``"sampling"`` (a sample of representatives) or ``"propensity"`` (a whole term)."""
        return "sampling" if self.sample else "propensity"

    def ci_meaning(self, lang: str = "en") -> str:
        """What the Wilson intervals mean, in words (the report and the JSON say it).

        On a complete roster the coverage itself is known exactly (a count, no sampling
        error); the interval is about the *superpopulation*: the training propensity of
        which this term's record is one realisation (a group's interval says how much of
        its shortfall could be chance). For a sample it is the usual sampling interval for
        the coverage of the population sampled.

        Examples
        --------
        >>> res = compute_coverage(pd.DataFrame({"rep_id": ["a", "b"]}),
        ...                        pd.DataFrame({"rep_id": ["a"], "training_id": ["S1"]}))
        >>> res.ci_meaning("en")[:48]
        'Wilson 95% superpopulation (propensity) interval'
        """
        level = f"{self.confidence:.0%}"
        if self.sample:
            return {"en": f"Wilson {level} sampling interval for the coverage of the population the "
                          "representatives were sampled from.",
                    "zh": f"Wilson {level} 抽样区间：代表为样本，区间估计其所来自总体的覆盖率。"}[_lang(lang)]
        return {"en": f"Wilson {level} superpopulation (propensity) interval: the roster is complete, so the "
                      "coverage itself is exact; the interval describes the underlying training propensity "
                      "of which this term is one realisation, not uncertainty about who was trained.",
                "zh": f"Wilson {level} 超总体（倾向）区间：名单是全体代表，覆盖率本身是精确计数；区间描述的是"
                      "产生本届结果的潜在参训倾向的不确定性，而不是“谁参训了”的不确定性。"}[_lang(lang)]

    def to_dict(self) -> dict:
        """JSON-able summary (what ``kexie-research coverage --json`` prints)."""
        def iso(d):
            return None if d is None else pd.Timestamp(d).date().isoformat()

        groups = []
        for r in self.groups.to_dict(orient="records"):
            g = {k: r[k] for k in ("group", *self.by, "total", "trained", "coverage")}
            g["ci_superpopulation"] = [r["ci_low"], r["ci_high"]]
            g.update({k: r[k] for k in ("person_times", "hours", "share_of_reps", "share_of_trained",
                                        "below_threshold")})
            groups.append(g)
        out = {
            "total": self.total, "trained": self.trained, "coverage": self.coverage,
            "coverage_ci_superpopulation": [self.ci_low, self.ci_high], "confidence": self.confidence,
            "ci_interpretation": self.ci_interpretation, "ci_meaning": self.ci_meaning("en"),
            "person_times": self.person_times, "repeat_attendance": self.repeat_attendance,
            "n_repeaters": self.n_repeaters, "hours": self.hours,
            "by": list(self.by), "threshold": self.threshold, "groups": groups,
            "inequality": dict(self.inequality),
            "groups_below_threshold": [g["group"] for g in groups if g["below_threshold"]],
            "untrained_ids": list(self.untrained_ids),
            "window_years": self.window_years, "as_of": iso(self.as_of),
            "not_trained_within_window": (None if self.not_trained_within_window is None
                                          else list(self.not_trained_within_window)),
            "curve": [{"date": iso(r["date"]), "cumulative_trained": int(r["cumulative_trained"]),
                       "coverage": float(r["coverage"])} for r in self.curve.to_dict(orient="records")],
            "yearly": self.yearly,
            "unknown_attendance": self.unknown_attendance,
            "n_unknown_attendance": int(len(self.unknown_attendance)),
            "n_zero_hour_rows": self.n_zero_hour_rows,
            "n_incomplete_rows": self.n_incomplete_rows,
            "n_after_as_of_rows": self.n_after_as_of_rows,
            "n_duplicate_rows": self.n_duplicate_rows,
            "spanning_sessions": list(self.spanning_sessions),
            "messages": list(self.messages),
        }
        for level in MILESTONES:
            key = f"{round(level * 100)}"
            out[f"time_to_{key}"] = iso(self.milestones.get(level))
            out[f"days_to_{key}"] = self.days_to.get(level)
        return out


def _lang(lang: str) -> str:
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', not {lang!r}")
    return lang


def _as_bool(s: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(s):
        return s.astype("boolean")
    m = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False}
    return s.map(lambda v: m.get(str(v).strip().lower(), v) if isinstance(v, str) else v).astype("boolean")


def _group_label(values) -> str:
    if not isinstance(values, tuple):
        values = (values,)
    return " / ".join("NA" if (v is None or (not isinstance(v, str) and pd.isna(v))) else str(v)
                      for v in values)


def compute_coverage(
    representatives: pd.DataFrame,
    attendance: pd.DataFrame,
    trainings: pd.DataFrame | None = None,
    *,
    by: str | Sequence[str] | None = None,
    window_years: float | None = None,
    threshold: float = 0.8,
    as_of=None,
    require_completed: bool = False,
    sample: bool = False,
    confidence: float = 0.95,
) -> CoverageResult:
    """Coverage of the representatives by the training sessions attended.

    Parameters
    ----------
    representatives : DataFrame
        One row per representative of the term (``rep_id`` unique); other columns are
        available to ``by``.
    attendance : DataFrame
        ``rep_id``, ``training_id`` and optionally ``hours``, ``completed``.
    trainings : DataFrame, optional
        ``training_id``, ``start_date``, ``end_date``; needed for the curve, the yearly
        table, ``window_years`` and ``as_of``, and to flag unknown session ids.
    by : str or sequence of str, optional
        Representative columns to break coverage down by (e.g. ``"province"`` or
        ``["region", "is_frontline"]``; groups are the combinations present).
    window_years : float, optional
        Report ``not_trained_within_window`` for this window (the plan's 4 years).
    threshold : float
        Coverage below which a group is flagged (``below_threshold``), in [0, 1].
    as_of : date-like, optional
        Reference date (default: the latest session end in ``trainings``); sessions ending
        later are ignored.
    require_completed : bool
        Count only attendance rows with ``completed`` true.
    sample : bool
        Whether ``representatives`` is a sample of a larger population. The Wilson
        intervals are the same either way; the flag records how to read them
        (``ci_interpretation``: ``"sampling"`` for a sample, ``"propensity"`` for a whole
        term, where they describe the uncertainty of the underlying training propensity).
    confidence : float
        Level of the Wilson intervals.

    Returns
    -------
    CoverageResult

    Raises
    ------
    DataValidationError
        A required column is missing or ``rep_id`` repeats in ``representatives``.
    AnalysisError
        No representatives; ``window_years``/``as_of`` without ``trainings``.

    Examples
    --------
    >>> reps = pd.DataFrame({"rep_id": ["a", "b", "c", "d"], "province": ["上海", "上海", "甘肃", "甘肃"]})
    >>> att = pd.DataFrame({"rep_id": ["a", "a", "c", "zz"], "training_id": ["S1", "S2", "S1", "S1"],
    ...                     "hours": [16, 8, 16, 16]})
    >>> res = compute_coverage(reps, att, by="province")
    >>> res.total, res.trained, res.coverage, res.person_times, res.repeat_attendance
    (4, 2, 0.5, 3, 1)
    >>> res.untrained_ids, list(res.unknown_attendance["reason"])
    (('b', 'd'), ['unknown rep_id'])
    >>> res.groups[["group", "trained", "coverage"]].values.tolist()
    [['上海', 1, 0.5], ['甘肃', 1, 0.5]]
    """
    if not 0 <= threshold <= 1:
        raise ValueError(f"threshold must be in [0, 1], not {threshold!r}")
    if window_years is not None and not window_years > 0:
        raise ValueError(f"window_years must be > 0, not {window_years!r}")
    by_cols: tuple[str, ...] = () if by is None else ((by,) if isinstance(by, str) else tuple(by))
    reps = _representatives(representatives, by_cols)
    total = int(len(reps))
    require_columns(attendance, (REP_ID, TRAINING_ID), table="attendance")
    if require_completed:
        require_columns(attendance, ("completed",), table="attendance")
    tr = _sessions(trainings)
    if (as_of is not None or window_years is not None) and tr is None:
        raise AnalysisError("as_of and window_years need the trainings table (session dates)")
    as_of_ts = None
    if tr is not None and (as_of is not None or window_years is not None):
        as_of_ts = pd.Timestamp(as_of) if as_of is not None else tr[END_DATE].max()
    c = _counted_attendance(reps, attendance, tr, as_of_ts, require_completed)
    persons = _persons(reps, c.pairs, tr is not None)
    trained = int(persons["trained"].sum())
    not_within = _window(persons, c.pairs, as_of_ts, window_years)
    messages = list(c.messages)
    groups, inequality = _groups(reps, persons, by_cols, total, trained, threshold, confidence, messages)
    tl = _timeline(persons, c.pairs, total, tr is not None, messages)
    lo, hi = wilson_interval(trained, total, confidence)
    person_times = int(len(c.pairs))
    return CoverageResult(
        total=total, trained=trained, coverage=trained / total, ci_low=float(lo),
        ci_high=float(hi), person_times=person_times, repeat_attendance=person_times - trained,
        n_repeaters=int((persons["n_sessions"] >= 2).sum()), hours=float(c.pairs["_hours"].sum()),
        groups=groups.reset_index(drop=True), inequality=inequality, curve=tl["curve"],
        milestones=tl["milestones"], days_to=tl["days_to"],
        untrained_ids=tuple(sorted(persons.loc[~persons["trained"], REP_ID])),
        not_trained_within_window=not_within,
        persons=persons[[REP_ID, "n_sessions", "hours", "first_trained", "last_trained",
                         "trained", "within_window"]],
        yearly=tl["yearly"], unknown_attendance=c.unknown, n_zero_hour_rows=c.n_zero,
        n_incomplete_rows=c.n_incomplete, n_after_as_of_rows=c.n_after, n_duplicate_rows=c.n_dup,
        spanning_sessions=tl["spanning"], by=by_cols, threshold=float(threshold),
        window_years=None if window_years is None else float(window_years), as_of=as_of_ts,
        confidence=float(confidence), sample=bool(sample),
        messages=tuple(phrase(k, "en", kind="coverage_note", **f) for k, f in messages),
        notes=tuple(messages))


# ---- the steps of compute_coverage ------------------------------------------------------------

def _representatives(representatives: pd.DataFrame, by_cols: tuple[str, ...]) -> pd.DataFrame:
    """Step 1: the roster, ``rep_id`` as text, unique, not empty."""
    require_columns(representatives, (REP_ID, *by_cols), table="representatives")
    reps = representatives.copy()
    reps[REP_ID] = reps[REP_ID].astype(str)
    dup = reps[REP_ID][reps[REP_ID].duplicated()]
    if len(dup):
        raise DataValidationError("rep_id must be unique in the representatives table",
                                  column=REP_ID, value=dup.iloc[0], rule="unique")
    if len(reps) == 0:
        raise AnalysisError("no representatives: coverage is undefined")
    return reps


def _sessions(trainings: pd.DataFrame | None) -> pd.DataFrame | None:
    """Step 2: the sessions with parsed dates, one row per ``training_id`` (None without)."""
    if trainings is None:
        return None
    require_columns(trainings, (TRAINING_ID, START_DATE, END_DATE), table="trainings")
    tr = trainings.copy()
    tr[TRAINING_ID] = tr[TRAINING_ID].astype(str)
    tr[START_DATE] = pd.to_datetime(tr[START_DATE])
    tr[END_DATE] = pd.to_datetime(tr[END_DATE])
    return tr.drop_duplicates(TRAINING_ID)


@dataclass(frozen=True)
class _Counted:
    """What step 3 leaves: counted (rep, session) pairs and what was left out, and why."""

    pairs: pd.DataFrame
    unknown: pd.DataFrame
    messages: tuple[tuple[str, dict], ...]
    n_zero: int
    n_incomplete: int
    n_after: int
    n_dup: int


def _unknown_ids(att: pd.DataFrame, reps: pd.DataFrame, tr: pd.DataFrame | None):
    """Attendance rows with an unknown rep_id or training_id (reported, never dropped silently)."""
    known_rep = att[REP_ID].isin(set(reps[REP_ID]))
    known_tr = (att[TRAINING_ID].isin(set(tr[TRAINING_ID])) if tr is not None
                else pd.Series(True, index=att.index))
    reasons = np.where(~known_rep & ~known_tr, "unknown rep_id and training_id",
                       np.where(~known_rep, "unknown rep_id", "unknown training_id"))
    bad = ~(known_rep & known_tr)
    unknown = pd.DataFrame({"row": att.loc[bad, "_row"].to_numpy(),
                            REP_ID: att.loc[bad, REP_ID].to_numpy(),
                            TRAINING_ID: att.loc[bad, TRAINING_ID].to_numpy(),
                            "reason": reasons[bad.to_numpy()]})
    note = None
    if len(unknown):
        n_r = int((~known_rep).sum())
        n_t = int((~known_tr).sum())
        parts = []
        if n_r:
            parts.append(("unknown_rep", {"n": n_r, "examples": ", ".join(
                sorted(set(att.loc[~known_rep, REP_ID]))[:5])}))
        if n_t:
            parts.append(("unknown_training", {"n": n_t, "examples": ", ".join(
                sorted(set(att.loc[~known_tr, TRAINING_ID]))[:5])}))
        note = ("unknown_rows", {"n": len(unknown), "parts": parts})
    return bad, unknown, note


def _counted_attendance(reps: pd.DataFrame, attendance: pd.DataFrame, tr: pd.DataFrame | None,
                        as_of_ts, require_completed: bool) -> _Counted:
    """Step 3: apply the counting rules (module docstring) and collapse to (rep, session) pairs."""
    messages: list[tuple[str, dict]] = []
    att = attendance.copy()
    att["_row"] = att.index
    att[REP_ID] = att[REP_ID].astype(str)
    att[TRAINING_ID] = att[TRAINING_ID].astype(str)
    att["_hours"] = pd.to_numeric(att[HOURS], errors="coerce") if HOURS in att.columns else np.nan
    bad, unknown, msg = _unknown_ids(att, reps, tr)
    if msg:
        messages.append(msg)
    att = att[~bad]
    n_after = 0
    if tr is not None:  # as_of: ignore sessions ending later
        att = att.merge(tr[[TRAINING_ID, START_DATE, END_DATE]], on=TRAINING_ID, how="left")
        if as_of_ts is not None:
            later = att[END_DATE] > as_of_ts
            n_after = int(later.sum())
            if n_after:
                messages.append(("after_as_of", {"n": n_after, "date": as_of_ts.date().isoformat()}))
            att = att[~later]
    zero = att["_hours"].notna() & (att["_hours"] == 0)
    n_zero = int(zero.sum())
    if n_zero:
        messages.append(("zero_hour", {"n": n_zero}))
    att = att[~zero]
    n_incomplete = 0
    if require_completed:
        comp = _as_bool(att["completed"]).fillna(False).astype(bool)
        n_incomplete = int((~comp).sum())
        if n_incomplete:
            messages.append(("incomplete", {"n": n_incomplete}))
        att = att[comp.to_numpy()]
    n_dup = int(att.duplicated([REP_ID, TRAINING_ID]).sum())
    if n_dup:
        messages.append(("duplicate", {"n": n_dup}))
    att = att.assign(_hours=att["_hours"].fillna(0.0).astype(float))
    agg = {"_hours": "sum"}
    if tr is not None:
        agg.update({START_DATE: "first", END_DATE: "first"})
    pairs = att.groupby([REP_ID, TRAINING_ID], sort=True, as_index=False).agg(agg)
    return _Counted(pairs=pairs, unknown=unknown, messages=tuple(messages), n_zero=n_zero,
                    n_incomplete=n_incomplete, n_after=n_after, n_dup=n_dup)


def _persons(reps: pd.DataFrame, pairs: pd.DataFrame, dated: bool) -> pd.DataFrame:
    """Step 4: one row per representative: sessions, hours, first/last trained, trained."""
    per = pairs.groupby(REP_ID).agg(n_sessions=(TRAINING_ID, "size"), hours=("_hours", "sum"))
    if dated:
        dates = pairs.groupby(REP_ID).agg(first_trained=(END_DATE, "min"),
                                          last_trained=(END_DATE, "max"))
        per = per.join(dates)
    persons = reps[[REP_ID]].merge(per.reset_index(), on=REP_ID, how="left")
    persons["n_sessions"] = persons["n_sessions"].fillna(0).astype(int)
    persons["hours"] = persons["hours"].fillna(0.0).astype(float)
    if "first_trained" not in persons.columns:
        persons["first_trained"] = pd.NaT
        persons["last_trained"] = pd.NaT
    persons["trained"] = persons["n_sessions"] > 0
    persons["within_window"] = pd.array([pd.NA] * len(persons), dtype="boolean")
    return persons


def _window(persons: pd.DataFrame, pairs: pd.DataFrame, as_of_ts, window_years) -> tuple[str, ...] | None:
    """Step 5: who has no counted session ending in ``[as_of - window, as_of]`` (fills
    ``persons["within_window"]``); None without a window."""
    if window_years is None:
        return None
    start = as_of_ts - pd.DateOffset(years=int(window_years)) if float(window_years).is_integer() \
        else as_of_ts - pd.Timedelta(days=365.25 * float(window_years))
    ends_in = pairs[(pairs[END_DATE] >= start) & (pairs[END_DATE] <= as_of_ts)]
    ok = set(ends_in[REP_ID])
    persons["within_window"] = persons[REP_ID].isin(ok).astype("boolean")
    return tuple(sorted(persons.loc[~persons[REP_ID].isin(ok), REP_ID]))


_GROUP_COLUMNS = ["group", "total", "trained", "coverage", "ci_low", "ci_high", "person_times", "hours",
                  "share_of_reps", "share_of_trained", "below_threshold"]


def _groups(reps: pd.DataFrame, persons: pd.DataFrame, by_cols: tuple[str, ...], total: int,
            trained: int, threshold: float, confidence: float, messages: list):
    """Step 6: coverage per group of ``by`` with Wilson intervals, flags and inequality."""
    if not by_cols:
        return (pd.DataFrame(columns=_GROUP_COLUMNS),
                {"gini": float("nan"), "theil": float("nan"), "n_groups": 0, "n_below_threshold": 0})
    g = reps[[REP_ID, *by_cols]].merge(persons[[REP_ID, "n_sessions", "hours", "trained"]],
                                       on=REP_ID, how="left")
    grouped = g.groupby(list(by_cols), dropna=False, sort=True)
    groups = grouped.agg(total=(REP_ID, "size"), trained=("trained", "sum"),
                         person_times=("n_sessions", "sum"), hours=("hours", "sum")).reset_index()
    groups["trained"] = groups["trained"].astype(int)
    groups["person_times"] = groups["person_times"].astype(int)
    groups["coverage"] = groups["trained"] / groups["total"]
    glo, ghi = wilson_interval(groups["trained"], groups["total"], confidence)
    groups["ci_low"], groups["ci_high"] = glo, ghi
    groups["share_of_reps"] = groups["total"] / total
    groups["share_of_trained"] = groups["trained"] / trained if trained else np.nan
    groups["below_threshold"] = groups["coverage"] < threshold
    groups.insert(0, "group", [_group_label(tuple(r)) for r in
                               groups[list(by_cols)].itertuples(index=False, name=None)])
    inequality = {"gini": gini(groups["coverage"], groups["total"]),
                  "theil": theil(groups["coverage"], groups["total"]),
                  "n_groups": int(len(groups)),
                  "n_below_threshold": int(groups["below_threshold"].sum())}
    below = groups.loc[groups["below_threshold"], "group"].tolist()
    if below:
        messages.append(("below_threshold", {"n": len(below), "n_groups": len(groups),
                                             "threshold": threshold}))
    return groups, inequality


def _timeline(persons: pd.DataFrame, pairs: pd.DataFrame, total: int, dated: bool,
              messages: list) -> dict:
    """Step 7: the cumulative curve, milestone dates, sessions spanning years, the yearly table."""
    out = {"milestones": {m: None for m in MILESTONES}, "days_to": {m: None for m in MILESTONES},
           "curve": pd.DataFrame(columns=["date", "newly_trained", "cumulative_trained", "coverage"]),
           "yearly": pd.DataFrame(columns=["year", "sessions", "person_times", "distinct_trained",
                                           "newly_trained", "hours"]),
           "spanning": ()}
    if not dated or not len(pairs):
        return out
    first = persons.dropna(subset=["first_trained"]).groupby("first_trained").size()
    curve = pd.DataFrame({"date": first.index, "newly_trained": first.to_numpy().astype(int)})
    curve["cumulative_trained"] = curve["newly_trained"].cumsum().astype(int)
    curve["coverage"] = curve["cumulative_trained"] / total
    out["curve"] = curve
    t0 = pairs[START_DATE].min()
    for m in MILESTONES:
        # tolerance: 1.0 must mean every representative, not 0.9999999
        hit = curve[curve["cumulative_trained"] >= math.ceil(m * total - 1e-9)]
        if len(hit):
            out["milestones"][m] = pd.Timestamp(hit["date"].iloc[0])
            out["days_to"][m] = int((out["milestones"][m] - t0).days)
    sess = pairs.drop_duplicates(TRAINING_ID)
    span = sess[sess[START_DATE].dt.year != sess[END_DATE].dt.year]
    out["spanning"] = tuple(sorted(span[TRAINING_ID]))
    if out["spanning"]:
        messages.append(("spanning", {"n": len(out["spanning"]), "ids": ", ".join(out["spanning"][:5])}))
    p2 = pairs.assign(year=pairs[END_DATE].dt.year)
    first_year = persons.dropna(subset=["first_trained"]).assign(
        year=lambda d: d["first_trained"].dt.year).groupby("year").size()
    yearly = p2.groupby("year").agg(sessions=(TRAINING_ID, "nunique"),
                                    person_times=(REP_ID, "size"),
                                    distinct_trained=(REP_ID, "nunique"),
                                    hours=("_hours", "sum")).reset_index()
    yearly["newly_trained"] = yearly["year"].map(first_year).fillna(0).astype(int)
    yearly = yearly[["year", "sessions", "person_times", "distinct_trained", "newly_trained", "hours"]]
    yearly["year"] = yearly["year"].astype(int)
    out["yearly"] = yearly
    return out


@dataclass(frozen=True)
class CoverageAnalysis:
    """Everything the coverage report shows, from one call (:func:`analyse_coverage`).

    Attributes
    ----------
    congress : object or None
        The term studied (:func:`busiest_congress`).
    result : CoverageResult
        The term's coverage, grouped by province when there is a province column.
    breakdowns : dict
        Column -> :class:`CoverageResult` grouped by it, for every column of ``breakdowns``
        present with a value (``province`` is ``result`` itself).
    exchange : ExchangeResult
        Cross-region exchange of the term's sessions.
    window_years, threshold : float
    """

    congress: object
    result: CoverageResult
    breakdowns: dict
    exchange: ExchangeResult
    window_years: float | None
    threshold: float

    def to_dict(self) -> dict:
        """JSON-able summary: the term's coverage and the inequality per breakdown."""
        return {"congress": None if self.congress is None else int(self.congress),
                **self.result.to_dict(),
                "breakdowns": {c: {"inequality": dict(r.inequality), "groups": r.to_dict()["groups"]}
                               for c, r in self.breakdowns.items()},
                "exchange": self.exchange.to_dict()}


def analyse_coverage(representatives: pd.DataFrame, attendance: pd.DataFrame,
                     trainings: pd.DataFrame | None = None, *, congress="busiest",
                     breakdowns: Sequence[str] = BREAKDOWNS, window_years: float | None = 4,
                     threshold: float = 0.8, confidence: float = 0.95) -> CoverageAnalysis:
    """The coverage pipeline: pick the term, compute its coverage, every breakdown, exchange.

    What the report's coverage section renders (report sections do not compute). The term
    is ``congress`` (default: the congress with most attendance, :func:`busiest_congress`;
    ``None``: every representative); other terms' attendance is left out and unknown ids
    are kept and reported (:func:`term_tables`). ``window_years`` applies only when
    ``trainings`` (the session dates) is given.

    Examples
    --------
    >>> reps = pd.DataFrame({"rep_id": list("abcd"), "province": ["上海", "上海", "甘肃", "甘肃"],
    ...                      "region": ["east", "east", "west", "west"]})
    >>> att = pd.DataFrame({"rep_id": ["a", "c", "d"], "training_id": ["S1", "S1", "S2"]})
    >>> a = analyse_coverage(reps, att)
    >>> a.result.coverage, sorted(a.breakdowns), a.breakdowns["region"].groups["coverage"].tolist()
    (0.75, ['province', 'region'], [0.5, 1.0])
    """
    term = busiest_congress(representatives, attendance) if congress == "busiest" else congress
    reps, att = term_tables(representatives, attendance, term)
    window = window_years if trainings is not None else None
    res = compute_coverage(reps, att, trainings, by=PROVINCE if PROVINCE in reps.columns else None,
                           window_years=window, threshold=threshold, confidence=confidence)
    out = {}
    for col in breakdowns:
        if col not in reps.columns or not reps[col].notna().any():
            continue
        out[col] = res if col == PROVINCE else compute_coverage(reps, att, trainings, by=col,
                                                                threshold=threshold, confidence=confidence)
    return CoverageAnalysis(congress=term, result=res, breakdowns=out,
                            exchange=compute_exchange(reps, att, trainings),
                            window_years=window, threshold=float(threshold))


def busiest_congress(representatives: pd.DataFrame, attendance: pd.DataFrame):
    """The congress whose representatives have the most attendance rows (the term studied).

    ``None`` without a ``congress`` column or representatives; the only congress when there
    is one; the latest when nobody attended.

    Examples
    --------
    >>> reps = pd.DataFrame({"rep_id": ["a", "b", "c"], "congress": [9, 9, 10]})
    >>> int(busiest_congress(reps, pd.DataFrame({"rep_id": ["a", "b", "c"]})))
    9
    """
    if CONGRESS not in representatives.columns or representatives.empty:
        return None
    if representatives[CONGRESS].nunique() <= 1:
        return representatives[CONGRESS].iloc[0]
    c = (attendance[[REP_ID]].astype({REP_ID: str})
         .merge(representatives[[REP_ID, CONGRESS]].astype({REP_ID: str}), on=REP_ID)[CONGRESS]
         .value_counts())
    return c.index[0] if len(c) else representatives[CONGRESS].max()


def term_tables(representatives: pd.DataFrame, attendance: pd.DataFrame,
                congress) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The representatives of ``congress`` and the attendance without other terms' people.

    Attendance of another term's representatives is not "unknown", so it is left out; rows
    whose ``rep_id`` no term knows stay in, so that :func:`compute_coverage` reports them.
    With ``congress`` None (or no ``congress`` column) both tables come back unchanged.
    """
    if congress is None or CONGRESS not in representatives.columns:
        return representatives, attendance
    keep = (representatives[CONGRESS] == congress).fillna(False).to_numpy(dtype=bool)
    others = set(representatives.loc[~keep, REP_ID].astype(str))
    return representatives[keep], attendance[~attendance[REP_ID].astype(str).isin(others)]


def left_out_table(result: CoverageResult, representatives: pd.DataFrame, *,
                   columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Representatives left out: never trained, or (with a window) not trained within it.

    Returns the representatives' rows (``columns``, default all) plus ``status``
    (``"never_trained"`` or ``"not_trained_within_window"``), ``n_sessions`` and
    ``last_trained``, sorted by status and ``rep_id``. Write it with
    :func:`kexie_research.io.write_csv` / :func:`~kexie_research.io.write_xlsx`, which
    neutralise spreadsheet formulas in names.

    Examples
    --------
    >>> reps = pd.DataFrame({"rep_id": ["a", "b"], "name": ["甲", "=HYPERLINK(1)"]})
    >>> att = pd.DataFrame({"rep_id": ["a"], "training_id": ["S1"], "hours": [8]})
    >>> left_out_table(compute_coverage(reps, att), reps)[["rep_id", "status"]].values.tolist()
    [['b', 'never_trained']]
    """
    cols = list(representatives.columns) if columns is None else list(columns)
    if REP_ID not in cols:
        cols = [REP_ID, *cols]
    ids = set(result.untrained_ids)
    if result.not_trained_within_window is not None:
        ids |= set(result.not_trained_within_window)
    reps = representatives[cols].copy()
    reps[REP_ID] = reps[REP_ID].astype(str)
    out = reps[reps[REP_ID].isin(ids)].merge(
        result.persons[[REP_ID, "n_sessions", "last_trained"]], on=REP_ID, how="left")
    out["status"] = np.where(out[REP_ID].isin(set(result.untrained_ids)), "never_trained",
                             "not_trained_within_window")
    return out.sort_values(["status", REP_ID], kind="stable").reset_index(drop=True)


# ---- cross-region exchange -------------------------------------------------------------------

@dataclass(frozen=True)
class ExchangeResult:
    """Who trained with whom across regions.

    Attributes
    ----------
    sessions : DataFrame
        Per session: ``training_id``, ``n_attendees``, ``n_<region>`` and
        ``share_<region>`` for each region (east, central, west, northeast, national),
        ``n_provinces``, ``region_entropy_bits``, ``province_entropy_bits``,
        ``n_underdeveloped``, ``n_developed``, ``mixed`` (both tiers present).
    exposure : float
        Share of under-developed representatives' attendances (person-times) at sessions
        with at least one developed-region co-attendee. NaN without such attendances.
    observed_pairs : float
        ``sum_s u_s d_s``: (under-developed, developed) co-attendee pairs over sessions.
    expected_pairs : float
        The same under random assignment of the attendances to sessions of the same sizes:
        ``sum_s n_s (n_s - 1) U D / (N (N - 1))``.
    mixing_ratio : float
        ``observed_pairs / expected_pairs``; 1 = as mixed as random seating, < 1 = regions
        kept apart (e.g. region-specific sessions), > 1 = deliberately mixed.
    n_underdeveloped, n_developed, n_person_times : int
        ``U``, ``D`` and ``N`` above (person-times, over all sessions).
    province_mix : DataFrame
        Long format: ``training_id``, ``province``, ``region``, ``n``, ``share`` (of the
        session's attendees).
    """

    sessions: pd.DataFrame
    exposure: float
    observed_pairs: float
    expected_pairs: float
    mixing_ratio: float
    n_underdeveloped: int
    n_developed: int
    n_person_times: int
    province_mix: pd.DataFrame = field(default_factory=pd.DataFrame)

    def to_dict(self) -> dict:
        return {"exposure": self.exposure, "mixing_ratio": self.mixing_ratio,
                "observed_pairs": self.observed_pairs, "expected_pairs": self.expected_pairs,
                "n_underdeveloped": self.n_underdeveloped, "n_developed": self.n_developed,
                "n_person_times": self.n_person_times, "sessions": self.sessions,
                "province_mix": self.province_mix}


def _rep_regions(reps: pd.DataFrame) -> pd.Series:
    from_prov = reps[PROVINCE].map(lambda p: province_region(p) if isinstance(p, str) else None) \
        if PROVINCE in reps.columns else pd.Series(None, index=reps.index, dtype=object)
    if REGION in reps.columns:
        given = reps[REGION].astype(object)
        return given.where(given.notna(), from_prov)
    return from_prov


def compute_exchange(representatives: pd.DataFrame, attendance: pd.DataFrame,
                     trainings: pd.DataFrame | None = None, *,
                     require_counted: bool = True) -> ExchangeResult:
    """Region mix of each session and how often under-developed and developed regions met.

    A representative's region is the ``region`` column when given, else the region of
    their ``province``; its development tier is
    :data:`kexie_research.regions.DEVELOPMENT_TIER` (west = under-developed, east =
    developed; central/northeast intermediate; national delegations have no tier).
    Attendance rows with an unknown ``rep_id`` (or, when ``trainings`` is given, an unknown
    ``training_id``) and, with ``require_counted``, zero-hour rows are left out, as in
    :func:`compute_coverage`.

    Indices (term level, over person-times)

    - ``exposure`` = (under-developed attendances at a session with >= 1 developed
      attendee) / (under-developed attendances).
    - ``mixing_ratio`` = observed / expected (under-developed, developed) co-attendee pairs,
      the expectation taken under random assignment of the same attendances to sessions of
      the same sizes (hypergeometric: ``E[u_s d_s] = n_s (n_s - 1) U D / (N (N - 1))``).

    Examples
    --------
    >>> reps = pd.DataFrame({"rep_id": list("abcd"), "province": ["甘肃", "上海", "青海", "北京"]})
    >>> att = pd.DataFrame({"rep_id": list("abcd"), "training_id": ["S1", "S1", "S2", "S2"]})
    >>> ex = compute_exchange(reps, att)
    >>> ex.exposure, ex.observed_pairs, round(ex.mixing_ratio, 4)   # 2 / (2*(2*1)*2*2/(4*3))
    (1.0, 2.0, 1.5)
    """
    require_columns(representatives, (REP_ID,), table="representatives")
    require_columns(attendance, (REP_ID, TRAINING_ID), table="attendance")
    reps = representatives.copy()
    reps[REP_ID] = reps[REP_ID].astype(str)
    reps["_region"] = _rep_regions(reps)
    att = attendance.copy()
    att[REP_ID] = att[REP_ID].astype(str)
    att[TRAINING_ID] = att[TRAINING_ID].astype(str)
    att = att[att[REP_ID].isin(set(reps[REP_ID]))]
    if trainings is not None:
        require_columns(trainings, (TRAINING_ID,), table="trainings")
        att = att[att[TRAINING_ID].isin(set(trainings[TRAINING_ID].astype(str)))]
    if require_counted and HOURS in att.columns:
        h = pd.to_numeric(att[HOURS], errors="coerce")
        att = att[~(h.notna() & (h == 0))]
    att = att.drop_duplicates([REP_ID, TRAINING_ID])
    cols = [REP_ID, "_region"] + ([PROVINCE] if PROVINCE in reps.columns else [])
    a = att[[REP_ID, TRAINING_ID]].merge(reps[cols], on=REP_ID, how="left")
    a["_tier"] = a["_region"].map(lambda r: DEVELOPMENT_TIER.get(r) if isinstance(r, str) else None)
    rows = []
    for tid, s in a.groupby(TRAINING_ID, sort=True):
        n = len(s)
        row = {TRAINING_ID: tid, "n_attendees": n}
        counts = s["_region"].value_counts()
        for r in REGIONS:
            row[f"n_{r}"] = int(counts.get(r, 0))
        for r in REGIONS:
            row[f"share_{r}"] = row[f"n_{r}"] / n
        row["n_provinces"] = int(s[PROVINCE].nunique()) if PROVINCE in s.columns else 0
        row["region_entropy_bits"] = entropy_bits(counts.to_numpy())
        row["province_entropy_bits"] = (entropy_bits(s[PROVINCE].value_counts().to_numpy())
                                        if PROVINCE in s.columns else float("nan"))
        row["n_underdeveloped"] = int((s["_tier"] == "underdeveloped").sum())
        row["n_developed"] = int((s["_tier"] == "developed").sum())
        row["mixed"] = row["n_underdeveloped"] > 0 and row["n_developed"] > 0
        rows.append(row)
    sessions = pd.DataFrame(rows)
    if sessions.empty:
        return ExchangeResult(sessions, float("nan"), 0.0, 0.0, float("nan"), 0, 0, 0)
    if PROVINCE in a.columns:
        mix = (a.assign(_p=a[PROVINCE].astype(object).where(a[PROVINCE].notna(), "NA"))
               .groupby([TRAINING_ID, "_p"], sort=True)
               .agg(region=("_region", "first"), n=(REP_ID, "size")).reset_index()
               .rename(columns={"_p": PROVINCE}))
        mix["share"] = mix["n"] / mix[TRAINING_ID].map(sessions.set_index(TRAINING_ID)["n_attendees"])
    else:
        mix = pd.DataFrame(columns=[TRAINING_ID, PROVINCE, "region", "n", "share"])
    u = sessions["n_underdeveloped"].to_numpy(float)
    d = sessions["n_developed"].to_numpy(float)
    n = sessions["n_attendees"].to_numpy(float)
    U, D, N = u.sum(), d.sum(), n.sum()
    exposure = float(u[d > 0].sum() / U) if U > 0 else float("nan")
    observed = float((u * d).sum())
    expected = float((n * (n - 1)).sum() * U * D / (N * (N - 1))) if N > 1 else 0.0
    ratio = observed / expected if expected > 0 else float("nan")
    return ExchangeResult(sessions=sessions, exposure=exposure, observed_pairs=observed,
                          expected_pairs=expected, mixing_ratio=ratio, n_underdeveloped=int(U),
                          n_developed=int(D), n_person_times=int(N), province_mix=mix)
