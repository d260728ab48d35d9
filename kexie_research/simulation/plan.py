"""Training plans as declared data: frozen dataclasses, read from and written to TOML.

A plan describes the term, the population, the sessions (how many a year, seats, modality,
target groups), the invitation policy (selection, acceptance, no-show), the per-modality
parameters (hours, costs, effect multiplier, interaction) and the effect model. The
format is documented in ``docs/simulation.md``; shipped examples live in
``datasets/plans/``. Every problem raises :class:`~kexie_research.errors.PlanError`
naming the key (``sessions[2].capacity: ...``).

The minimal plan of the issue works as written:

>>> plan = Plan.from_toml_text('''
... [term]
... years = 1
... [population]
... synthetic_size = 1000
... seed = 1
... [[sessions]]
... per_year = 4
... capacity = 100
... modality = "centralized"
... [policy]
... selection = "never_trained_first"
... accept_prob = 1.0
... no_show_prob = 0.0
... ''')
>>> plan.term.years, plan.sessions[0].capacity, plan.policy.selection
(1, 100, 'never_trained_first')
>>> Plan.from_toml_text(plan.to_toml()) == plan
True
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import tomli_w

from ..errors import PlanError
from ..regions import REGIONS, normalize_province
from .vocab import (ACCEPTANCE_MODELS, DISTRIBUTIONS, MODALITIES, MODALITY_GROUPS, SEGMENTS,
                    SELECTIONS, WITHIN, UncertainParameter)

__all__ = [
    "Plan",
    "Term",
    "PopulationSpec",
    "SessionSpec",
    "Policy",
    "LatentClass",
    "UncertainParameter",
    "ACCEPTANCE_MODELS",
    "MODALITY_GROUPS",
    "DISTRIBUTIONS",
    "LIMITS",
    "modality_key",
    "ModalitySpec",
    "EffectModel",
    "SEGMENTS",
    "SELECTIONS",
    "MODALITIES",
    "DEFAULT_MODALITIES",
    "segment_value",
    "resolve_plan",
    "shipped_plans",
]

LIMITS: dict[str, int] = {
    "term.years": 100,
    "sessions.per_year": 1000,
    "sessions.capacity": 1_000_000,
    "sessions": 1000,
    "sessions_held": 5000,
    "population.synthetic_size": 1_000_000,
    "policy.latent_classes": 16,
    "policy.accept_classes": 16,
    "uncertainty": 64,
}
"""Bounds checked when a plan is read, before anything is allocated (exit 2 naming the key):
term length, sessions a year per kind, seats per session, kinds of session, sessions held
in the whole term, synthetic population size, latent classes, Beta-propensity classes and
uncertain parameters. They are far above any real training plan; documented in
``docs/simulation.md``."""

_MODALITY_SYNONYMS = {"centralised": "centralized", "集中": "centralized", "面授": "centralized",
                      "线上": "online", "网络": "online", "视频": "video",
                      "regional_exchange": "exchange", "交流": "exchange",
                      "representative_organised": "rep_organized",
                      "representative_organized": "rep_organized",
                      "rep_organised": "rep_organized", "代表自主": "rep_organized",
                      "读书班": "reading_class", "考察": "study_tour", "混合": "hybrid"}


@dataclass(frozen=True)
class ModalitySpec:
    """Parameters of one delivery mode.

    ``hours`` are class hours of one session; ``cost_per_person`` (yuan per attendee) and
    ``cost_fixed`` (yuan per session) give the cost; ``effect_multiplier`` scales hours into
    effective hours in the effect model; ``interaction`` (0–1) weights the session's
    co-attendee pairs in the cross-region mixing index (1 = residential class with group
    work, 0 = watching a video alone).
    """

    hours: float
    cost_per_person: float
    cost_fixed: float
    effect_multiplier: float = 1.0
    interaction: float = 1.0


# Illustrative defaults (yuan, class hours). Centralised 3-day class: travel + lodging
# ~6,000/person; online platform seats are cheap; multipliers follow the paper's remark that
# interactive exchange beats lectures and self-study is weaker (seed 000 §3). They are
# assumptions to be replaced by the costs table and the effectiveness module's estimates.
DEFAULT_MODALITIES: dict[str, ModalitySpec] = {
    "centralized": ModalitySpec(24, 6000, 50000, 1.0, 1.0),
    "online": ModalitySpec(10, 300, 20000, 0.6, 0.2),
    "video": ModalitySpec(6, 150, 10000, 0.5, 0.0),
    "exchange": ModalitySpec(20, 4000, 40000, 1.1, 1.0),
    "rep_organized": ModalitySpec(12, 1500, 10000, 0.9, 0.8),
    "reading_class": ModalitySpec(16, 2000, 20000, 0.8, 0.5),
    "study_tour": ModalitySpec(24, 8000, 60000, 1.0, 1.0),
    "hybrid": ModalitySpec(16, 3000, 30000, 0.8, 0.6),
}


@dataclass(frozen=True)
class EffectModel:
    """Expected competency gain of one attendance.

    ``gain = gain_per_hour * saturation_hours * (1 - exp(-h / saturation_hours))`` with
    ``h = hours * effect_multiplier`` (effective hours): the first hour adds
    ``gain_per_hour`` points and returns diminish with hours; a person already trained
    gains ``repeat_factor`` times that.
    """

    gain_per_hour: float = 0.6
    saturation_hours: float = 24.0
    repeat_factor: float = 0.5

    def gain(self, hours: float, multiplier: float = 1.0, *, repeat: bool = False) -> float:
        """Expected gain (score points) of one attendance.

        Examples
        --------
        >>> round(EffectModel(1.0, 10.0, 0.5).gain(10.0), 4)  # 10 * (1 - e^-1)
        6.3212
        """
        h = hours * multiplier
        g = self.gain_per_hour * self.saturation_hours * (1.0 - math.exp(-h / self.saturation_hours))
        return g * (self.repeat_factor if repeat else 1.0)


@dataclass(frozen=True)
class Term:
    """The term: ``years`` (≥ 1) and an optional calendar ``start_year`` for labels."""

    years: int
    start_year: int | None = None


@dataclass(frozen=True)
class PopulationSpec:
    """Who can be trained: a representatives ``file`` or ``synthetic_size`` people.

    ``seed`` seeds the synthetic generator (and is the default simulation seed);
    ``congress`` is passed to the generator. A relative ``file`` is read from the plan
    file's folder.
    """

    synthetic_size: int | None = 1600
    file: str | None = None
    seed: int = 0
    congress: int = 10


ProbSpec = float | Mapping[str, "float | Mapping[str, float]"]
"""A probability: a number, a table by segment (``default`` for the others), and for
acceptance, per segment, a number or a table by modality / modality group (``default`` for
the others): ``{cannot_leave_post = {in_person = 0.2, online = 0.9}, default = 0.9}``."""


@dataclass(frozen=True)
class SessionSpec:
    """A kind of session held ``per_year`` times a year (in ``years`` if given).

    Target groups restrict who may be invited: ``regions``, ``provinces`` (provinces or
    delegations) and ``segments``; empty means everyone. ``selection``, ``accept_prob`` and
    ``no_show_prob`` override the policy for this session; ``hours``, ``cost_per_person``
    and ``cost_fixed`` override the modality defaults. ``location`` (host province or
    city) is descriptive.
    """

    capacity: int
    per_year: int = 1
    modality: str = "centralized"
    name: str = ""
    years: tuple[int, ...] = ()
    hours: float | None = None
    location: str | None = None
    regions: tuple[str, ...] = ()
    provinces: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()
    selection: str | None = None
    accept_prob: ProbSpec | None = None
    no_show_prob: ProbSpec | None = None
    cost_per_person: float | None = None
    cost_fixed: float | None = None


@dataclass(frozen=True)
class Policy:
    """How seats are filled.

    selection : {"random", "never_trained_first", "segment_priority"}
        ``random``: uniformly among willing eligible people; ``never_trained_first``:
        untrained willing people first, then trained; ``segment_priority``: segments in
        ``priority`` order first (within them ``within``), then the rest.
    accept_prob, no_show_prob : float or {segment: float}
        Probability that an invited person is willing to come, and that a seated person does
        not show up; a number or a table by segment (``default`` covers unlisted segments).
        Acceptance may also be given by modality within a segment:
        ``{cannot_leave_post = {in_person = 0.2, remote = 0.9}, default = 0.9}``.
    reinvite_share : float
        Share of seats given regardless of training history (committee members, people
        invited for their role): each seat is, with this probability, an "open" seat
        drawn uniformly among the willing.
    acceptance : {"persistent", "per_invitation"}
        ``persistent`` (default): each representative's willingness is drawn once per term
        and kept, separately per *acceptance group* (a modality or modality group where the
        acceptance table distinguishes them, and each session kind with its own
        ``accept_prob``); ``per_invitation``: drawn afresh at every invitation.
    latent_classes : tuple of LatentClass
        Heterogeneity beyond segments: each person belongs to class ``k`` with probability
        ``share`` and follows that class's acceptance (and no-show) probabilities.
    accept_dispersion : float
        Beta-distributed propensity: 0 (default) = none; ``φ`` in (0, 1) gives each person a
        propensity ``P ~ Beta`` with the acceptance as mean and variance ``φ·p(1−p)``,
        discretised into ``accept_classes`` equal-share latent classes (the same quantile in
        every acceptance group: someone reluctant is reluctant everywhere).
    accept_classes : int
        Number of classes the Beta propensity is discretised into (default 5).
    """

    selection: str = "never_trained_first"
    accept_prob: ProbSpec = 1.0
    no_show_prob: ProbSpec = 0.0
    priority: tuple[str, ...] = ()
    within: str = "never_trained_first"
    reinvite_share: float = 0.0
    acceptance: str = "persistent"
    latent_classes: tuple["LatentClass", ...] = ()
    accept_dispersion: float = 0.0
    accept_classes: int = 5


@dataclass(frozen=True)
class LatentClass:
    """A latent behaviour class: a ``share`` of every segment behaves this way.

    ``accept_prob`` and ``no_show_prob`` (same forms as the policy's; ``None`` = the
    policy's) apply to the class's members; a session's own ``accept_prob`` still wins.
    Class membership is drawn once per person and term.
    """

    share: float
    name: str = ""
    accept_prob: ProbSpec | None = None
    no_show_prob: ProbSpec | None = None


@dataclass(frozen=True)
class Plan:
    """A whole training plan. Build with :meth:`from_toml`, :meth:`from_dict` or directly;
    change with :func:`dataclasses.replace`."""

    term: Term
    sessions: tuple[SessionSpec, ...]
    population: PopulationSpec = PopulationSpec()
    policy: Policy = Policy()
    modalities: Mapping[str, ModalitySpec] = field(default_factory=lambda: dict(DEFAULT_MODALITIES))
    effect: EffectModel = EffectModel()
    name: str = ""
    description: str = ""
    base_dir: str | None = field(default=None, compare=False)
    uncertainty: Mapping[str, UncertainParameter] = field(default_factory=dict)

    def __post_init__(self):
        _check_plan(self)

    def __hash__(self) -> int:
        # modalities is a mapping: hash the canonical TOML text (equal plans, equal hashes)
        return hash((self.to_toml(), self.base_dir))

    # ---- construction -------------------------------------------------------------------
    @classmethod
    def from_dict(cls, d: Mapping[str, Any], *, base_dir: str | None = None) -> "Plan":
        """Build a plan from a (TOML-shaped) dictionary; raises PlanError naming the key."""
        return _plan_from_dict(d, base_dir=base_dir)

    @classmethod
    def from_toml_text(cls, text: str, *, base_dir: str | None = None) -> "Plan":
        try:
            d = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise PlanError(f"plan is not valid TOML: {exc}") from None
        return cls.from_dict(d, base_dir=base_dir)

    @classmethod
    def from_toml(cls, path: str | Path) -> "Plan":
        """Read a plan file (relative population files are found beside it)."""
        p = Path(path)
        if not p.is_file():
            raise PlanError(f"plan file not found: {p}")
        try:
            text = p.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise PlanError(f"{p}: plan file is not UTF-8 text") from None
        plan = cls.from_toml_text(text, base_dir=str(p.resolve().parent))
        if not plan.name:
            plan = dataclasses.replace(plan, name=p.stem)
        return plan

    # ---- output -------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """TOML-shaped dictionary (modalities only where they differ from the defaults)."""
        out: dict[str, Any] = {}
        if self.name:
            out["name"] = self.name
        if self.description:
            out["description"] = self.description
        out["term"] = _drop_none({"years": self.term.years, "start_year": self.term.start_year})
        pop = self.population
        out["population"] = _drop_none({
            "synthetic_size": pop.synthetic_size if pop.file is None else None,
            "file": pop.file, "seed": pop.seed,
            "congress": pop.congress if pop.congress != 10 else None})
        out["sessions"] = [_session_to_dict(s) for s in self.sessions]
        pol = self.policy
        out["policy"] = _drop_none({
            "selection": pol.selection, "acceptance": pol.acceptance,
            "accept_prob": _prob_out(pol.accept_prob),
            "no_show_prob": _prob_out(pol.no_show_prob),
            "priority": list(pol.priority) or None,
            "within": pol.within if pol.within != "never_trained_first" else None,
            "reinvite_share": pol.reinvite_share or None,
            "accept_dispersion": pol.accept_dispersion or None,
            "accept_classes": pol.accept_classes if pol.accept_classes != 5 else None,
            "latent_classes": [_drop_none({
                "name": c.name or None, "share": c.share,
                "accept_prob": None if c.accept_prob is None else _prob_out(c.accept_prob),
                "no_show_prob": None if c.no_show_prob is None else _prob_out(c.no_show_prob)})
                for c in pol.latent_classes] or None})
        mods = {m: dataclasses.asdict(v) for m, v in self.modalities.items()
                if DEFAULT_MODALITIES.get(m) != v}
        if mods:
            out["modalities"] = mods
        if self.effect != EffectModel():
            out["effect"] = dataclasses.asdict(self.effect)
        if self.uncertainty:
            out["uncertainty"] = {k: u.to_dict() for k, u in self.uncertainty.items()}
        return out

    def to_toml(self) -> str:
        """The plan as TOML text (round-trips through :meth:`from_toml_text`)."""
        return tomli_w.dumps(self.to_dict())

    # ---- conveniences -------------------------------------------------------------------
    def session_schedule(self) -> list[tuple[int, float, int]]:
        """Held sessions in time order: ``(year, time_in_years, spec_index)``.

        The instances of a spec held ``k`` times a year are interleaved with the others by
        their position ``(i + 1) / k`` in the year (ties keep the file order); the ``M``
        sessions of a year are then evenly spaced, at ``y - 1 + j / M`` for ``j = 1..M``.

        Examples
        --------
        >>> p = Plan(Term(2), (SessionSpec(10, per_year=2), SessionSpec(5, years=(2,))))
        >>> [(y, round(t, 3), k) for y, t, k in p.session_schedule()]
        [(1, 0.5, 0), (1, 1.0, 0), (2, 1.333, 0), (2, 1.667, 0), (2, 2.0, 1)]
        """
        out = []
        for y in range(1, self.term.years + 1):
            inst = []
            for k, s in enumerate(self.sessions):
                if s.years and y not in s.years:
                    continue
                for i in range(s.per_year):
                    inst.append(((i + 1) / s.per_year, k))
            inst.sort(key=lambda t: (t[0], t[1]))
            M = len(inst)
            out.extend((y, round(y - 1 + (j + 1) / M, 10), k) for j, (_, k) in enumerate(inst))
        return out

    def modality(self, name: str) -> ModalitySpec:
        return self.modalities[name]


# ---- helpers ---------------------------------------------------------------------------

def modality_key(table: Mapping[str, float], modality: str) -> str:
    """The key of a by-modality table that applies to ``modality``: the modality itself,
    else its group (:data:`MODALITY_GROUPS`), else ``default``.

    Examples
    --------
    >>> modality_key({"remote": 0.9, "default": 0.2}, "video")
    'remote'
    >>> modality_key({"online": 0.9, "default": 0.2}, "video")
    'default'
    """
    if modality in table:
        return modality
    for g, members in MODALITY_GROUPS.items():
        if modality in members and g in table:
            return g
    return "default"


def segment_value(spec: ProbSpec, segment: str, modality: str | None = None) -> float:
    """Value of a number-or-table probability for ``segment`` (and ``modality`` where the
    table gives acceptance by modality; without one, its ``default`` or in-person value).

    Examples
    --------
    >>> segment_value({"cannot_leave_post": 0.3, "default": 0.9}, "new")
    0.9
    >>> spec = {"cannot_leave_post": {"in_person": 0.2, "remote": 0.9}, "default": 0.9}
    >>> segment_value(spec, "cannot_leave_post", "online"), segment_value(spec, "cannot_leave_post")
    (0.9, 0.2)
    """
    v = spec
    if isinstance(spec, Mapping):
        v = spec[segment] if segment in spec else spec["default"]
    if isinstance(v, Mapping):
        return float(v[modality_key(v, modality or "centralized")])
    return float(v)


def _drop_none(d: dict) -> dict:
    return {k: v for k, v in d.items() if v is not None}


def _prob_out(v):
    if isinstance(v, Mapping):
        return {k: (dict(x) if isinstance(x, Mapping) else float(x)) for k, x in v.items()}
    return float(v)


def _session_to_dict(s: SessionSpec) -> dict:
    d = {
        "name": s.name or None, "per_year": s.per_year, "capacity": s.capacity,
        "modality": s.modality, "years": list(s.years) or None, "hours": s.hours,
        "location": s.location, "regions": list(s.regions) or None,
        "provinces": list(s.provinces) or None, "segments": list(s.segments) or None,
        "selection": s.selection,
        "accept_prob": None if s.accept_prob is None else _prob_out(s.accept_prob),
        "no_show_prob": None if s.no_show_prob is None else _prob_out(s.no_show_prob),
        "cost_per_person": s.cost_per_person, "cost_fixed": s.cost_fixed,
    }
    return _drop_none(d)


def _err(key: str, msg: str) -> PlanError:
    return PlanError(f"{key}: {msg}")


def _check_keys(d: Mapping, allowed: tuple[str, ...], where: str) -> None:
    if not isinstance(d, Mapping):
        raise _err(where, f"must be a table, got {type(d).__name__}")
    for k in d:
        if k not in allowed:
            raise _err(f"{where}.{k}" if where else k,
                       f"unknown key; allowed: {', '.join(allowed)}")


def _int(v, key, *, min_: int | None = None, max_: int | None = None) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        else:
            raise _err(key, f"must be a whole number, got {v!r}")
    if min_ is not None and v < min_:
        raise _err(key, f"must be at least {min_}, got {v}")
    if max_ is not None and v > max_:
        raise _err(key, f"must be at most {max_:,} (documented limit), got {v:,}")
    return v


def _num(v, key, *, lo: float | None = None, hi: float | None = None) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise _err(key, f"must be a number, got {v!r}")
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        rng = f"[{lo if lo is not None else '-inf'}, {hi if hi is not None else 'inf'}]"
        raise _err(key, f"must be in {rng}, got {v}")
    return float(v)


def _str(v, key) -> str:
    if not isinstance(v, str):
        raise _err(key, f"must be text, got {v!r}")
    return v


_MODALITY_KEYS = (*MODALITIES, *MODALITY_GROUPS)


def _modality_table(v, key) -> dict[str, float]:
    out = {}
    for m, p in v.items():
        if m not in _MODALITY_KEYS and m != "default":
            raise _err(f"{key}.{m}", f"unknown modality or modality group; allowed: "
                                     f"{', '.join(_MODALITY_KEYS)}, default")
        out[m] = _num(p, f"{key}.{m}", lo=0.0, hi=1.0)
    if "default" not in out:
        missing = [m for m in MODALITIES if modality_key(out, m) == "default"]
        if missing:
            raise _err(key, f"table must give every modality (or its group) or a 'default' "
                            f"(missing {', '.join(missing)})")
    return out


def _prob(v, key, *, by_modality: bool = False) -> ProbSpec:
    if isinstance(v, Mapping):
        if by_modality and v and all(k in _MODALITY_KEYS or k == "default" for k in v) \
                and any(k in _MODALITY_KEYS for k in v):
            return {"default": _modality_table(v, key)}     # one table by modality for everyone
        out = {}
        for seg, p in v.items():
            if seg not in SEGMENTS and seg != "default":
                raise _err(f"{key}.{seg}", f"unknown segment; allowed: {', '.join(SEGMENTS)}, default")
            if by_modality and isinstance(p, Mapping):
                out[seg] = _modality_table(p, f"{key}.{seg}")
            else:
                out[seg] = _num(p, f"{key}.{seg}", lo=0.0, hi=1.0)
        if "default" not in out and not all(s in out for s in SEGMENTS):
            missing = [s for s in SEGMENTS if s not in out]
            raise _err(key, f"table must give every segment or a 'default' (missing {', '.join(missing)})")
        return out
    return _num(v, key, lo=0.0, hi=1.0)


def _choice(v, allowed, key) -> str:
    v = _str(v, key)
    if v not in allowed:
        raise _err(key, f"{v!r} is not allowed; allowed: {', '.join(allowed)}")
    return v


def _modality(v, key) -> str:
    v = _str(v, key)
    v = _MODALITY_SYNONYMS.get(v.strip().lower(), _MODALITY_SYNONYMS.get(v.strip(), v.strip().lower()))
    if v not in MODALITIES:
        raise _err(key, f"unknown modality; allowed: {', '.join(MODALITIES)}")
    return v


def _str_list(v, key) -> tuple[str, ...]:
    if isinstance(v, str):
        v = [v]
    if not isinstance(v, (list, tuple)):
        raise _err(key, f"must be a list of text, got {v!r}")
    return tuple(_str(x, f"{key}[{i}]") for i, x in enumerate(v))


def _segments(v, key) -> tuple[str, ...]:
    out = _str_list(v, key)
    for i, s in enumerate(out):
        if s not in SEGMENTS:
            raise _err(f"{key}[{i}]", f"unknown segment {s!r}; allowed: {', '.join(SEGMENTS)}")
    return out


def _regions(v, key) -> tuple[str, ...]:
    out = _str_list(v, key)
    for i, s in enumerate(out):
        if s not in REGIONS:
            raise _err(f"{key}[{i}]", f"unknown region {s!r}; allowed: {', '.join(REGIONS)}")
    return out


def _provinces(v, key) -> tuple[str, ...]:
    out = []
    for i, s in enumerate(_str_list(v, key)):
        z = normalize_province(s)
        if z is None:
            raise _err(f"{key}[{i}]", f"unknown province or delegation {s!r}")
        out.append(z)
    return tuple(out)


_SESSION_KEYS = ("name", "per_year", "capacity", "modality", "years", "hours", "location",
                 "regions", "provinces", "segments", "selection", "accept_prob", "no_show_prob",
                 "cost_per_person", "cost_fixed")


def _session_from_dict(d, key, years: int) -> SessionSpec:
    _check_keys(d, _SESSION_KEYS, key)
    if "capacity" not in d:
        raise _err(f"{key}.capacity", "is required (seats per session)")
    yrs = ()
    if "years" in d:
        raw = d["years"] if isinstance(d["years"], list) else [d["years"]]
        if len(raw) > years:
            raise _err(f"{key}.years", f"lists {len(raw)} years; the term has {years}")
        yrs = tuple(_int(y, f"{key}.years", min_=1) for y in raw)
        for y in yrs:
            if y > years:
                raise _err(f"{key}.years", f"year {y} is after the term's last year {years}")
    return SessionSpec(
        capacity=_int(d["capacity"], f"{key}.capacity", min_=1, max_=LIMITS["sessions.capacity"]),
        per_year=_int(d.get("per_year", 1), f"{key}.per_year", min_=0, max_=LIMITS["sessions.per_year"]),
        modality=_modality(d.get("modality", "centralized"), f"{key}.modality"),
        name=_str(d.get("name", ""), f"{key}.name"),
        years=yrs,
        hours=None if d.get("hours") is None else _num(d["hours"], f"{key}.hours", lo=0.0),
        location=None if d.get("location") is None else _str(d["location"], f"{key}.location"),
        regions=_regions(d.get("regions", []), f"{key}.regions"),
        provinces=_provinces(d.get("provinces", []), f"{key}.provinces"),
        segments=_segments(d.get("segments", []), f"{key}.segments"),
        selection=None if d.get("selection") is None else _choice(d["selection"], SELECTIONS, f"{key}.selection"),
        accept_prob=None if d.get("accept_prob") is None else _prob(d["accept_prob"], f"{key}.accept_prob",
                                                                      by_modality=True),
        no_show_prob=None if d.get("no_show_prob") is None else _prob(d["no_show_prob"], f"{key}.no_show_prob"),
        cost_per_person=None if d.get("cost_per_person") is None else _num(d["cost_per_person"], f"{key}.cost_per_person", lo=0.0),
        cost_fixed=None if d.get("cost_fixed") is None else _num(d["cost_fixed"], f"{key}.cost_fixed", lo=0.0),
    )


def _policy_from_dict(pol_d) -> Policy:
    _check_keys(pol_d, ("selection", "accept_prob", "no_show_prob", "priority", "within",
                        "reinvite_share", "acceptance", "latent_classes", "accept_dispersion",
                        "accept_classes"), "policy")
    classes_raw = pol_d.get("latent_classes", [])
    if not isinstance(classes_raw, list):
        raise _err("policy.latent_classes", "must be an array of tables ([[policy.latent_classes]])")
    if len(classes_raw) > LIMITS["policy.latent_classes"]:
        raise _err("policy.latent_classes", f"at most {LIMITS['policy.latent_classes']} classes "
                                            f"(documented limit), got {len(classes_raw)}")
    classes = []
    for i, c in enumerate(classes_raw):
        k = f"policy.latent_classes[{i}]"
        _check_keys(c, ("name", "share", "accept_prob", "no_show_prob"), k)
        if "share" not in c:
            raise _err(f"{k}.share", "is required (the share of representatives in this class)")
        classes.append(LatentClass(
            share=_num(c["share"], f"{k}.share", lo=0.0, hi=1.0),
            name=_str(c.get("name", ""), f"{k}.name"),
            accept_prob=None if c.get("accept_prob") is None
            else _prob(c["accept_prob"], f"{k}.accept_prob", by_modality=True),
            no_show_prob=None if c.get("no_show_prob") is None
            else _prob(c["no_show_prob"], f"{k}.no_show_prob")))
    return Policy(
        selection=_choice(pol_d.get("selection", "never_trained_first"), SELECTIONS, "policy.selection"),
        accept_prob=_prob(pol_d.get("accept_prob", 1.0), "policy.accept_prob", by_modality=True),
        no_show_prob=_prob(pol_d.get("no_show_prob", 0.0), "policy.no_show_prob"),
        priority=_segments(pol_d.get("priority", []), "policy.priority"),
        within=_choice(pol_d.get("within", "never_trained_first"), WITHIN, "policy.within"),
        reinvite_share=_num(pol_d.get("reinvite_share", 0.0), "policy.reinvite_share", lo=0.0, hi=1.0),
        acceptance=_choice(pol_d.get("acceptance", "persistent"), ACCEPTANCE_MODELS, "policy.acceptance"),
        latent_classes=tuple(classes),
        accept_dispersion=_num(pol_d.get("accept_dispersion", 0.0), "policy.accept_dispersion",
                               lo=0.0, hi=0.999),
        accept_classes=_int(pol_d.get("accept_classes", 5), "policy.accept_classes", min_=2,
                            max_=LIMITS["policy.accept_classes"]))


def _uncertainty_from_dict(ud) -> dict[str, UncertainParameter]:
    if not isinstance(ud, Mapping):
        raise _err("uncertainty", f"must be a table of parameter paths, got {type(ud).__name__}")
    if len(ud) > LIMITS["uncertainty"]:
        raise _err("uncertainty", f"at most {LIMITS['uncertainty']} uncertain parameters "
                                  f"(documented limit), got {len(ud)}")
    out = {}
    for path, spec in ud.items():
        k = f'uncertainty."{path}"'
        _check_keys(spec, ("dist", "low", "high", "mode", "mean", "sd", "integer"), k)
        dist = _choice(spec.get("dist", "uniform"), DISTRIBUTIONS, f"{k}.dist")
        vals = {f: None if spec.get(f) is None else _num(spec[f], f"{k}.{f}")
                for f in ("low", "high", "mode", "mean", "sd")}
        integer = spec.get("integer", False)
        if not isinstance(integer, bool):
            raise _err(f"{k}.integer", f"must be true or false, got {integer!r}")
        need = {"uniform": ("low", "high"), "triangular": ("low", "mode", "high"),
                "beta": ("mean", "sd")}[dist]
        for f in need:
            if vals[f] is None:
                raise _err(f"{k}.{f}", f"is required for dist = {dist!r} (needs {', '.join(need)})")
        lo = vals["low"] if vals["low"] is not None else (0.0 if dist == "beta" else None)
        hi = vals["high"] if vals["high"] is not None else (1.0 if dist == "beta" else None)
        if not lo < hi:
            raise _err(k, f"low must be below high, got [{lo}, {hi}]")
        if dist == "triangular" and not lo <= vals["mode"] <= hi:
            raise _err(f"{k}.mode", f"must be within [{lo}, {hi}], got {vals['mode']}")
        if dist == "beta":
            m = (vals["mean"] - lo) / (hi - lo)
            sd = vals["sd"] / (hi - lo)
            if not 0 < m < 1:
                raise _err(f"{k}.mean", f"must be strictly inside [{lo}, {hi}], got {vals['mean']}")
            if not 0 < sd * sd < m * (1 - m):
                raise _err(f"{k}.sd", f"must be above 0 and below sqrt(mean'(1 - mean')) = "
                                      f"{math.sqrt(m * (1 - m)) * (hi - lo):.4g} for this mean")
        out[path] = UncertainParameter(path=path, dist=dist, low=vals["low"], high=vals["high"],
                                       mode=vals["mode"], mean=vals["mean"], sd=vals["sd"],
                                       integer=integer)
    return out


def _plan_from_dict(d: Mapping[str, Any], *, base_dir: str | None) -> Plan:
    _check_keys(d, ("name", "description", "term", "population", "sessions", "policy",
                    "modalities", "effect", "uncertainty"), "")
    if "term" not in d:
        raise _err("term", "is required ([term] with years = N)")
    _check_keys(d["term"], ("years", "start_year"), "term")
    if "years" not in d["term"]:
        raise _err("term.years", "is required")
    term = Term(_int(d["term"]["years"], "term.years", min_=1, max_=LIMITS["term.years"]),
                None if d["term"].get("start_year") is None
                else _int(d["term"]["start_year"], "term.start_year", min_=1900, max_=9999))
    pd_ = d.get("population", {})
    _check_keys(pd_, ("synthetic_size", "file", "seed", "congress"), "population")
    if "synthetic_size" in pd_ and "file" in pd_:
        raise _err("population", "give either synthetic_size or file, not both")
    pop = PopulationSpec(
        synthetic_size=None if "file" in pd_ else _int(pd_.get("synthetic_size", 1600), "population.synthetic_size",
                                                        min_=1, max_=LIMITS["population.synthetic_size"]),
        file=None if "file" not in pd_ else _str(pd_["file"], "population.file"),
        seed=_int(pd_.get("seed", 0), "population.seed", min_=0, max_=2**63 - 1),
        congress=_int(pd_.get("congress", 10), "population.congress", min_=1, max_=99))
    sess_raw = d.get("sessions")
    if not sess_raw:
        raise _err("sessions", "at least one [[sessions]] table is required")
    if not isinstance(sess_raw, list):
        raise _err("sessions", "must be an array of tables ([[sessions]])")
    if len(sess_raw) > LIMITS["sessions"]:
        raise _err("sessions", f"at most {LIMITS['sessions']:,} kinds of session (documented limit), "
                               f"got {len(sess_raw):,}")
    sessions = tuple(_session_from_dict(s, f"sessions[{i}]", term.years) for i, s in enumerate(sess_raw))
    policy = _policy_from_dict(d.get("policy", {}))
    mods = dict(DEFAULT_MODALITIES)
    md = d.get("modalities", {})
    _check_keys(md, MODALITIES, "modalities")
    fields_ = ("hours", "cost_per_person", "cost_fixed", "effect_multiplier", "interaction")
    for m, spec in md.items():
        _check_keys(spec, fields_, f"modalities.{m}")
        base = dataclasses.asdict(DEFAULT_MODALITIES[m])
        for k, v in spec.items():
            hi = 1.0 if k == "interaction" else (1e4 if k == "hours" else 1e12)
            base[k] = _num(v, f"modalities.{m}.{k}", lo=0.0, hi=hi)
        mods[m] = ModalitySpec(**base)
    ed = d.get("effect", {})
    _check_keys(ed, ("gain_per_hour", "saturation_hours", "repeat_factor"), "effect")
    effect = EffectModel(
        gain_per_hour=_num(ed.get("gain_per_hour", 0.6), "effect.gain_per_hour", lo=0.0, hi=100.0),
        saturation_hours=_num(ed.get("saturation_hours", 24.0), "effect.saturation_hours", lo=1e-9, hi=1e4),
        repeat_factor=_num(ed.get("repeat_factor", 0.5), "effect.repeat_factor", lo=0.0, hi=1.0))
    uncertainty = _uncertainty_from_dict(d.get("uncertainty", {}))
    plan = Plan(term=term, sessions=sessions, population=pop, policy=policy, modalities=mods,
                effect=effect, name=_str(d.get("name", ""), "name"),
                description=_str(d.get("description", ""), "description"), base_dir=base_dir,
                uncertainty=uncertainty)
    if uncertainty:
        from .uncertainty import check_uncertainty
        check_uncertainty(plan)
    return plan


def _check_plan(p: Plan) -> None:
    """Invariants for plans built in code (files are checked key by key on the way in)."""
    if not isinstance(p.term, Term) or p.term.years < 1:
        raise _err("term.years", "must be at least 1")
    if p.term.years > LIMITS["term.years"]:
        raise _err("term.years", f"must be at most {LIMITS['term.years']} (documented limit), got {p.term.years:,}")
    if not p.sessions:
        raise _err("sessions", "at least one session is required")
    if len(p.sessions) > LIMITS["sessions"]:
        raise _err("sessions", f"at most {LIMITS['sessions']:,} kinds of session (documented limit)")
    held = 0
    for i, s in enumerate(p.sessions):
        if s.per_year > LIMITS["sessions.per_year"]:
            raise _err(f"sessions[{i}].per_year", f"must be at most {LIMITS['sessions.per_year']:,} "
                                                  f"(documented limit), got {s.per_year:,}")
        if s.capacity > LIMITS["sessions.capacity"]:
            raise _err(f"sessions[{i}].capacity", f"must be at most {LIMITS['sessions.capacity']:,} "
                                                  f"(documented limit), got {s.capacity:,}")
        held += s.per_year * (len(s.years) if s.years else p.term.years)
    if held > LIMITS["sessions_held"]:
        raise _err("sessions", f"the plan holds {held:,} sessions in the term; at most "
                               f"{LIMITS['sessions_held']:,} (documented limit)")
    if p.population.synthetic_size is not None and p.population.file is None \
            and p.population.synthetic_size > LIMITS["population.synthetic_size"]:
        raise _err("population.synthetic_size", f"must be at most {LIMITS['population.synthetic_size']:,} "
                                                f"(documented limit), got {p.population.synthetic_size:,}")
    _check_policy(p.policy)
    for i, s in enumerate(p.sessions):
        if s.modality not in MODALITIES:
            raise _err(f"sessions[{i}].modality", f"unknown modality {s.modality!r}; allowed: {', '.join(MODALITIES)}")
        if s.modality not in p.modalities:
            raise _err(f"sessions[{i}].modality", f"no parameters for modality {s.modality!r}")
        if s.capacity < 1:
            raise _err(f"sessions[{i}].capacity", "must be at least 1")
        if s.per_year < 0:
            raise _err(f"sessions[{i}].per_year", "must be at least 0")
        if s.selection is not None and s.selection not in SELECTIONS:
            raise _err(f"sessions[{i}].selection", f"allowed: {', '.join(SELECTIONS)}")
        for f in ("accept_prob", "no_show_prob"):
            if getattr(s, f) is not None:
                _check_prob_spec(getattr(s, f), f"sessions[{i}].{f}")
        for f in ("hours", "cost_per_person", "cost_fixed"):
            v = getattr(s, f)
            if v is not None and not (isinstance(v, (int, float)) and math.isfinite(v) and 0 <= v <= 1e12):
                raise _err(f"sessions[{i}].{f}", f"must be a number in [0, 1e12], got {v!r}")
        for y in s.years:
            if not 1 <= y <= p.term.years:
                raise _err(f"sessions[{i}].years", f"year {y} outside the term 1..{p.term.years}")
    if p.policy.selection not in SELECTIONS:
        raise _err("policy.selection", f"{p.policy.selection!r} is not allowed; allowed: {', '.join(SELECTIONS)}")
    if p.policy.within not in WITHIN:
        raise _err("policy.within", f"allowed: {', '.join(WITHIN)}")
    uses_priority = p.policy.selection == "segment_priority" or any(
        s.selection == "segment_priority" for s in p.sessions)
    if uses_priority and not p.policy.priority:
        raise _err("policy.priority", "segment_priority needs a priority list of segments")
    if p.population.file is None and not p.population.synthetic_size:
        raise _err("population", "give synthetic_size or file")


def _check_prob_spec(spec, key: str) -> None:
    if isinstance(spec, Mapping):
        for k, v in spec.items():
            _check_prob_spec(v, f"{key}.{k}")
        return
    if isinstance(spec, bool) or not isinstance(spec, (int, float)) or not 0.0 <= spec <= 1.0:
        raise _err(key, f"must be a probability in [0, 1], got {spec!r}")


def _check_policy(pol: Policy) -> None:
    _check_prob_spec(pol.accept_prob, "policy.accept_prob")
    _check_prob_spec(pol.no_show_prob, "policy.no_show_prob")
    if isinstance(pol.reinvite_share, bool) or not 0.0 <= pol.reinvite_share <= 1.0:
        raise _err("policy.reinvite_share", f"must be in [0, 1], got {pol.reinvite_share!r}")
    if pol.acceptance not in ACCEPTANCE_MODELS:
        raise _err("policy.acceptance", f"{pol.acceptance!r} is not allowed; allowed: {', '.join(ACCEPTANCE_MODELS)}")
    if pol.latent_classes:
        if pol.accept_dispersion:
            raise _err("policy.accept_dispersion", "give either latent_classes or accept_dispersion, not both")
        tot = math.fsum(c.share for c in pol.latent_classes)
        if abs(tot - 1.0) > 1e-9:
            raise _err("policy.latent_classes", f"shares must add up to 1, got {tot:.6g}")
        if len(pol.latent_classes) > LIMITS["policy.latent_classes"]:
            raise _err("policy.latent_classes", f"at most {LIMITS['policy.latent_classes']} classes")
    if not 0.0 <= pol.accept_dispersion < 1.0:
        raise _err("policy.accept_dispersion", f"must be in [0, 1), got {pol.accept_dispersion}")
    if not 2 <= pol.accept_classes <= LIMITS["policy.accept_classes"]:
        raise _err("policy.accept_classes", f"must be in 2..{LIMITS['policy.accept_classes']}")


def shipped_plans() -> dict[str, Path]:
    """The plans shipped in ``datasets/plans/``: ``{name: path}``."""
    from ..data import plans_dir

    d = plans_dir()
    return {p.stem: p for p in sorted(d.glob("*.toml"))} if d.is_dir() else {}


def resolve_plan(name_or_path: str | Path) -> Plan:
    """A plan file path, or the name of a shipped plan (``minimal``, ``paper_recommended``...).

    Examples
    --------
    >>> resolve_plan("minimal").term.years
    1
    """
    p = Path(name_or_path)
    if p.is_file():
        return Plan.from_toml(p)
    shipped = shipped_plans()
    if str(name_or_path) in shipped:
        return Plan.from_toml(shipped[str(name_or_path)])
    raise PlanError(f"plan file not found: {name_or_path} (shipped plans: {', '.join(shipped) or 'none'})")
