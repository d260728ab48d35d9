"""Uncertain plan parameters: declared by their path in the plan, drawn by Latin hypercube.

A plan's ``[uncertainty]`` table names parameters by their path and gives each a
distribution, in the spirit of EMA Workbench's parameter declarations::

    [uncertainty]
    "policy.no_show_prob" = { low = 0.0, high = 0.5 }                         # uniform
    "policy.accept_prob.cannot_leave_post" = { dist = "beta", mean = 0.3, sd = 0.1 }
    "sessions[2].capacity" = { low = 60, high = 100, integer = true }

:func:`draw_parameters` draws ``n`` parameter sets (a seeded Latin hypercube: each
parameter's range is cut into ``n`` equally likely strata and every stratum is used once);
:func:`apply_parameters` turns one set into a plan; the engine
(:func:`~kexie_research.simulation.engine.simulate`) runs replications within each set, so
its intervals cover both the parameters and chance, and :func:`variance_share` splits the
variance of an outcome between them by the law of total variance.

Paths name numeric entries of the plan as written in TOML: ``policy.no_show_prob``,
``policy.accept_prob.<segment>[.<modality or group>]``, ``policy.reinvite_share``,
``policy.accept_dispersion``, ``policy.latent_classes[k].accept_prob...``,
``sessions[i].capacity`` / ``hours`` / ``cost_per_person`` / ``cost_fixed`` /
``accept_prob...`` / ``no_show_prob...``, ``modalities.<m>.<field>``, ``effect.<field>``.
What changes the plan's structure (term, population, which sessions are held, targeting,
selection) cannot be uncertain: compare two plans instead.
"""

from __future__ import annotations

import copy
import math
import re
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from ..errors import PlanError
from .vocab import MODALITIES, MODALITY_GROUPS, SEGMENTS, UncertainParameter

__all__ = ["draw_parameters", "apply_parameters", "check_uncertainty", "check_path",
           "latin_hypercube", "variance_share", "VarianceShare", "ppf", "LHS_SPAWN_KEY"]

LHS_SPAWN_KEY = 0x4C4853
"""Spawn key of the parameter draws' stream: ``SeedSequence(seed, spawn_key=(LHS_SPAWN_KEY,))``
(the replications' chunks use keys ``(i,)`` and ``(draw, i)``, so the streams never meet)."""

_PART = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?:\[(\d+)\])?$")
_PROB_FIELDS = ("accept_prob", "no_show_prob")
_SESSION_NUMERIC = ("capacity", "hours", "cost_per_person", "cost_fixed")
_POLICY_NUMERIC = ("reinvite_share", "accept_dispersion")
_MODALITY_FIELDS = ("hours", "cost_per_person", "cost_fixed", "effect_multiplier", "interaction")
_EFFECT_FIELDS = ("gain_per_hour", "saturation_hours", "repeat_factor")
_STRUCTURAL = ("it changes the plan's structure (population, term, which sessions are held, "
               "targeting, selection); compare two plans instead")


def _key(path: str) -> str:
    return f'uncertainty."{path}"'


def _parse(path: str) -> list[tuple[str, int | None]]:
    parts = []
    for raw in path.split("."):
        m = _PART.match(raw.strip())
        if not m:
            raise PlanError(f"{_key(path)}: not a parameter path (e.g. policy.no_show_prob, "
                            f"sessions[2].capacity)")
        parts.append((m.group(1), None if m.group(2) is None else int(m.group(2))))
    return parts


def _prob_tail_ok(tail: list, path: str, *, by_modality: bool) -> None:
    """Segment (and modality) keys after ``accept_prob`` / ``no_show_prob``."""
    if len(tail) > (2 if by_modality else 1) or any(i is not None for _, i in tail):
        raise PlanError(f"{_key(path)}: too deep; give <segment> or <segment>.<modality>")
    if tail and tail[0][0] not in (*SEGMENTS, "default"):
        raise PlanError(f"{_key(path)}: unknown segment {tail[0][0]!r}; allowed: "
                        f"{', '.join(SEGMENTS)}, default")
    if len(tail) == 2 and tail[1][0] not in (*MODALITIES, *MODALITY_GROUPS, "default"):
        raise PlanError(f"{_key(path)}: unknown modality {tail[1][0]!r}; allowed: "
                        f"{', '.join((*MODALITIES, *MODALITY_GROUPS))}, default")


def check_path(path: str, plan: Plan | None = None) -> list[tuple[str, int | None]]:
    """Parse ``path`` and check it names a numeric, non-structural plan parameter.

    Raises
    ------
    PlanError
        Naming the key ``uncertainty."<path>"``.

    Examples
    --------
    >>> check_path("sessions[2].capacity")
    [('sessions', 2), ('capacity', None)]
    >>> check_path("term.years")
    Traceback (most recent call last):
    ...
    kexie_research.errors.PlanError: uncertainty."term.years": cannot be uncertain: it changes the plan's structure (population, term, which sessions are held, targeting, selection); compare two plans instead
    """
    parts = _parse(path)
    head, idx = parts[0]
    rest = parts[1:]
    names = [n for n, _ in rest]
    if head == "sessions":
        if idx is None or not rest:
            raise PlanError(f"{_key(path)}: name a session and a field, e.g. sessions[0].capacity")
        if plan is not None and idx >= len(plan.sessions):
            raise PlanError(f"{_key(path)}: the plan has {len(plan.sessions)} [[sessions]] "
                            f"(indices 0..{len(plan.sessions) - 1})")
        f = names[0]
        if f in _SESSION_NUMERIC and len(rest) == 1:
            return parts
        if f in _PROB_FIELDS:
            _prob_tail_ok(rest[1:], path, by_modality=f == "accept_prob")
            return parts
        raise PlanError(f"{_key(path)}: cannot be uncertain: {_STRUCTURAL}" if f in (
            "per_year", "years", "modality", "name", "location", "regions", "provinces",
            "segments", "selection") else f"{_key(path)}: unknown session field {f!r}; allowed: "
            f"{', '.join((*_SESSION_NUMERIC, *_PROB_FIELDS))}")
    if idx is not None:
        raise PlanError(f"{_key(path)}: only sessions[...] and policy.latent_classes[...] take an index")
    if head == "policy" and rest:
        f, fi = rest[0]
        if f in _POLICY_NUMERIC and len(rest) == 1 and fi is None:
            return parts
        if f in _PROB_FIELDS and fi is None:
            _prob_tail_ok(rest[1:], path, by_modality=f == "accept_prob")
            return parts
        if f == "latent_classes" and fi is not None and len(rest) >= 2 and rest[1][0] in _PROB_FIELDS:
            if plan is not None and fi >= len(plan.policy.latent_classes):
                raise PlanError(f"{_key(path)}: the plan has {len(plan.policy.latent_classes)} latent classes")
            _prob_tail_ok(rest[2:], path, by_modality=rest[1][0] == "accept_prob")
            return parts
        if f == "latent_classes":
            raise PlanError(f"{_key(path)}: a latent class's accept_prob or no_show_prob may be "
                            f"uncertain (shares must add up to 1: make two plans)")
        raise PlanError(f"{_key(path)}: cannot be uncertain: {_STRUCTURAL}" if f in (
            "selection", "priority", "within", "acceptance", "accept_classes") else
            f"{_key(path)}: unknown policy field {f!r}; allowed: "
            f"{', '.join((*_PROB_FIELDS, *_POLICY_NUMERIC))}, latent_classes[k]...")
    if head == "modalities" and len(rest) == 2 and names[0] in MODALITIES and names[1] in _MODALITY_FIELDS:
        return parts
    if head == "effect" and len(rest) == 1 and names[0] in _EFFECT_FIELDS:
        return parts
    if head in ("term", "population", "name", "description", "uncertainty"):
        raise PlanError(f"{_key(path)}: cannot be uncertain: {_STRUCTURAL}")
    raise PlanError(f"{_key(path)}: not a parameter of the plan (e.g. policy.no_show_prob, "
                    f"sessions[0].capacity, modalities.online.cost_per_person, effect.gain_per_hour)")


def _set_path(d: dict, parts, value: float, path: str) -> None:
    """Set ``value`` at ``parts`` in a TOML-shaped plan dictionary (in place).

    Missing tables are created; a probability given as a number becomes a table with that
    number as ``default`` when the path names one entry; a session's or latent class's own
    probability table starts from the policy's.
    """
    obj: Any = d
    in_prob = False
    for j, (name, idx) in enumerate(parts):
        if idx is not None:
            obj = obj.setdefault(name, [])[idx]
            continue
        if j == len(parts) - 1:
            cur = obj.get(name)
            if isinstance(cur, Mapping):
                raise PlanError(f"{_key(path)}: is a table ({', '.join(map(str, cur))}); name one "
                                f"entry, e.g. {path}.default")
            obj[name] = value
            return
        cur = obj.get(name)
        if name in _PROB_FIELDS and not in_prob:
            if cur is None:
                own = parts[0][0] == "policy" and parts[1][0] == name
                cur = copy.deepcopy(d.get("policy", {}).get(name)) if not own else None
                if cur is None:
                    cur = 1.0 if name == "accept_prob" else 0.0
            in_prob = True
        elif in_prob and cur is None:
            cur = copy.deepcopy(obj.get("default", {}))
        elif cur is None:
            cur = {}
        if not isinstance(cur, Mapping):
            if not in_prob:
                raise PlanError(f"{_key(path)}: {name} is not a table")
            cur = {"default": cur}
        else:
            cur = dict(cur)
        obj[name] = cur
        obj = cur


def apply_parameters(plan: Plan, values: Mapping[str, float]) -> Plan:
    """The plan with the parameters at ``values`` (``{path: value}``); the result has no
    ``[uncertainty]`` table.

    Raises
    ------
    PlanError
        A path is not a parameter, or a value makes the plan invalid (naming the key).

    Examples
    --------
    >>> from kexie_research.simulation.plan import resolve_plan
    >>> p = apply_parameters(resolve_plan("minimal"), {"policy.no_show_prob": 0.25,
    ...                                                "sessions[0].capacity": 80})
    >>> p.policy.no_show_prob, p.sessions[0].capacity
    (0.25, 80)
    >>> apply_parameters(p, {"policy.accept_prob.cannot_leave_post": 0.3}).policy.accept_prob
    {'default': 1.0, 'cannot_leave_post': 0.3}
    """
    d = plan.to_dict()
    d.pop("uncertainty", None)
    for path, v in values.items():
        parts = check_path(path, plan)
        v = float(v)
        if not math.isfinite(v):
            raise PlanError(f"{_key(path)}: value must be finite, got {v}")
        if parts[-1][0] in ("capacity",) or (parts[-1][0] in ("accept_classes",)):
            v = int(round(v))
        _set_path(d, parts, v, path)
    try:
        return type(plan).from_dict(d, base_dir=plan.base_dir)
    except PlanError as exc:
        shown = ", ".join(f"{k} = {float(x):g}" for k, x in values.items())
        raise PlanError(f"{_key(next(iter(values)))}: {shown} makes the plan invalid: {exc}") from None


def _support(u: UncertainParameter) -> tuple[float, float]:
    lo = u.low if u.low is not None else 0.0
    hi = u.high if u.high is not None else 1.0
    return lo, hi


def check_uncertainty(plan: Plan) -> None:
    """Check every declared path, and that both ends of each range give a valid plan.

    Raises
    ------
    PlanError
        Naming the key ``uncertainty."<path>"``.
    """
    for path, u in plan.uncertainty.items():
        check_path(path, plan)
        lo, hi = _support(u)
        if u.integer:
            lo, hi = math.ceil(lo), math.floor(hi)
            if lo > hi:
                raise PlanError(f"{_key(path)}: no whole number in [{u.low}, {u.high}]")
        for v in (lo, hi):
            try:
                apply_parameters(plan, {path: v})
            except PlanError as exc:
                msg = str(exc)
                raise PlanError(msg if msg.startswith(_key(path)) else f"{_key(path)}: {msg}") from None


# ---- sampling --------------------------------------------------------------------------

def latin_hypercube(n: int, d: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` points in ``[0, 1)^d``: every column hits each of the ``n`` strata once.

    Examples
    --------
    >>> u = latin_hypercube(5, 2, np.random.default_rng(0))
    >>> sorted(np.floor(u[:, 0] * 5).astype(int).tolist())
    [0, 1, 2, 3, 4]
    """
    u = np.empty((int(n), int(d)))
    for j in range(int(d)):
        u[:, j] = (rng.permutation(int(n)) + rng.random(int(n))) / n
    return u


def ppf(u: UncertainParameter, q: np.ndarray) -> np.ndarray:
    """Quantile function of a declared distribution at probabilities ``q``.

    Examples
    --------
    >>> ppf(UncertainParameter("x", low=60, high=100, integer=True), np.array([0.0, 0.999])).tolist()
    [60.0, 100.0]
    >>> round(float(ppf(UncertainParameter("x", "triangular", 0, 2, mode=1), np.array([0.5]))[0]), 6)
    1.0
    """
    q = np.asarray(q, dtype=float)
    lo, hi = _support(u)
    if u.dist == "uniform":
        if u.integer:
            a, b = math.ceil(lo), math.floor(hi)
            return np.minimum(np.floor(a + q * (b - a + 1)), b)
        return lo + q * (hi - lo)
    if u.dist == "triangular":
        c = (u.mode - lo) / (hi - lo)
        x = np.where(q < c, lo + np.sqrt(q * (hi - lo) * (u.mode - lo)),
                     hi - np.sqrt((1 - q) * (hi - lo) * (hi - u.mode)))
    elif u.dist == "beta":
        from scipy.special import betaincinv

        m = (u.mean - lo) / (hi - lo)
        s = u.sd / (hi - lo)
        nu = m * (1 - m) / (s * s) - 1.0
        x = lo + (hi - lo) * betaincinv(m * nu, (1 - m) * nu, q)
    else:  # pragma: no cover - checked when the plan is read
        raise PlanError(f"{_key(u.path)}.dist: unknown distribution {u.dist!r}")
    return np.clip(np.round(x), math.ceil(lo), math.floor(hi)) if u.integer else x


def draw_parameters(plan: Plan, n: int, seed: int | np.random.SeedSequence = 0):
    """``n`` parameter sets for the plan's ``[uncertainty]`` table (Latin hypercube).

    Parameters
    ----------
    plan : Plan
    n : int
        Number of sets (rows).
    seed : int or SeedSequence
        The draws come from ``SeedSequence(seed, spawn_key=(LHS_SPAWN_KEY,))``: the same
        seed gives the same sets, for any plan with the same declarations — so several
        plans or levers can be evaluated over the *same* draws (common random numbers).

    Returns
    -------
    DataFrame
        Column ``draw`` (0..n−1) and one column per path.

    Examples
    --------
    >>> from kexie_research.simulation.plan import Plan, resolve_plan
    >>> import dataclasses
    >>> p = Plan.from_toml_text(resolve_plan("minimal").to_toml()
    ...     + '[uncertainty]\\n"policy.no_show_prob" = { low = 0.0, high = 0.5 }\\n')
    >>> d = draw_parameters(p, 4, seed=1)
    >>> list(d.columns), len(d), bool(d["policy.no_show_prob"].between(0, 0.5).all())
    (['draw', 'policy.no_show_prob'], 4, True)
    """
    import pandas as pd

    n = int(n)
    if n < 1:
        raise PlanError("--parameter-draws must be at least 1")
    if not plan.uncertainty:
        raise PlanError("uncertainty: the plan declares no uncertain parameters")
    entropy = seed.entropy if isinstance(seed, np.random.SeedSequence) else int(seed)
    rng = np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=(LHS_SPAWN_KEY,)))
    paths = list(plan.uncertainty)
    u = latin_hypercube(n, len(paths), rng)
    cols = {"draw": np.arange(n)}
    for j, p in enumerate(paths):
        cols[p] = ppf(plan.uncertainty[p], u[:, j])
    return pd.DataFrame(cols)


# ---- the law of total variance -----------------------------------------------------------

@dataclass(frozen=True)
class VarianceShare:
    """Split of an outcome's variance between parameters and chance.

    ``share`` = Var(E[Y | θ]) / Var(Y) estimated from ``draws`` parameter sets with
    ``replications`` each: the between-draw variance of the draw means, less its chance
    part (mean within-draw variance / replications), over the total; ``se`` is its
    bootstrap standard error over draws (the Monte Carlo error of the split itself).
    """

    share: float
    se: float
    var_parameters: float
    var_chance: float
    draws: int
    replications: int


def variance_share(means: np.ndarray, variances: np.ndarray, replications: int, *,
                   rng: np.random.Generator | None = None, n_boot: int = 500) -> VarianceShare:
    """Share of the variance due to the parameters (law of total variance).

    Parameters
    ----------
    means, variances : arrays
        Per parameter set: mean and sample variance (ddof 1) of the outcome over its
        replications.
    replications : int
        Replications per set.

    Examples
    --------
    >>> v = variance_share(np.array([0.2, 0.4, 0.6, 0.8]), np.full(4, 0.0), 10)
    >>> round(v.share, 6), round(v.var_parameters, 6)
    (1.0, 0.066667)
    """
    m = np.asarray(means, dtype=float)
    v = np.asarray(variances, dtype=float)
    D = len(m)
    R = int(replications)

    def split(mm, vv):
        within = float(vv.mean()) if len(vv) else 0.0
        between = float(mm.var(ddof=1)) if len(mm) > 1 else 0.0
        vp = max(between - within / R, 0.0) if R > 0 else between
        tot = vp + within
        return (vp / tot if tot > 0 else 0.0), vp, within

    share, vp, vc = split(m, v)
    se = float("nan")
    if D > 2:
        rng = np.random.default_rng(0) if rng is None else rng
        idx = rng.integers(0, D, size=(int(n_boot), D))
        boots = np.array([split(m[i], v[i])[0] for i in idx])
        se = float(boots.std(ddof=1))
    return VarianceShare(share=share, se=se, var_parameters=vp, var_chance=vc, draws=D,
                         replications=R)
