"""The behaviour model: who is willing to come, with memory and heterogeneity.

Acceptance
----------
``[policy] acceptance = "persistent"`` (the default): a representative's willingness is
drawn **once per term** and kept, so someone who declines is not refilled by the same
person at the next invitation. Willingness is drawn separately per *acceptance group*:

* the policy's (or a latent class's) ``accept_prob``: one group per entry of a by-modality
  table (``{cannot_leave_post = {in_person = 0.2, remote = 0.9}}``: two groups for those
  who cannot leave their posts, in-person and remote courses), or one group for everything
  where acceptance does not depend on the modality;
* a session kind with its own ``accept_prob``: its own group (the same person is asked
  again each time that kind of session is held, and answers the same).

Draws for different groups are independent given the person's latent class.
``acceptance = "per_invitation"``: willingness is drawn afresh at every invitation (the
engine's model before persistence; same numbers for the same seed).

Heterogeneity
-------------
``[[policy.latent_classes]]`` (``share``, ``accept_prob``, ``no_show_prob``) or
``accept_dispersion = φ`` (a Beta-distributed propensity with the acceptance as mean and
variance ``φ·p(1−p)``, discretised into ``accept_classes`` equal-share classes, each taking
the Beta's mean within its quantile band). Class membership is drawn once per person and
term. In the engine, classes and willingness patterns are *cells* of the exact
hypergeometric updates (drawn once per replication by a multinomial per cell), so the fixed
seat numbers keep their effect on the spread.

Calibration
-----------
:func:`calibrate_acceptance` estimates acceptance (and no-shows) with Beta posteriors from
invitation records, and says what attendance records alone can and cannot identify.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from ..errors import AnalysisError, PlanError
from .plan import MODALITY_GROUPS, SEGMENTS, Plan, ProbSpec, modality_key, segment_value

__all__ = ["BehaviourClass", "behaviour_classes", "acceptance_key", "cell_types",
           "AcceptanceCalibration", "calibrate_acceptance", "MAX_TYPES"]

MAX_TYPES = 256
"""At most this many behaviour types (class × willingness pattern) per cell: each
independent acceptance group doubles them under persistent acceptance."""


@dataclass(frozen=True)
class BehaviourClass:
    """One latent class: its share and its acceptance and no-show specifications."""

    name: str
    share: float
    accept_prob: ProbSpec
    no_show_prob: ProbSpec


def _map_leaves(spec, fn):
    if isinstance(spec, Mapping):
        return {k: _map_leaves(v, fn) for k, v in spec.items()}
    return fn(float(spec))


def _beta_band_means(p: float, phi: float, k: int) -> list[float]:
    """Mean of ``Beta(mean p, variance φ p(1−p))`` within each of ``k`` equal-probability
    bands (lowest first); they average to ``p`` exactly."""
    if p <= 0.0 or p >= 1.0 or phi <= 0.0:
        return [p] * k
    from scipy.special import betainc, betaincinv

    nu = 1.0 / phi - 1.0
    a, b = p * nu, (1.0 - p) * nu
    edges = [0.0] + [float(betaincinv(a, b, j / k)) for j in range(1, k)] + [1.0]
    # E[P; P <= x] = p * I_x(a + 1, b)
    cum = [p * float(betainc(a + 1.0, b, x)) for x in edges]
    return [min(max(k * (cum[j + 1] - cum[j]), 0.0), 1.0) for j in range(k)]


def behaviour_classes(plan: Plan) -> tuple[BehaviourClass, ...]:
    """The plan's latent classes (one class ``all`` when it declares none).

    Examples
    --------
    >>> from kexie_research.simulation.plan import Policy, SessionSpec, Term
    >>> p = Plan(Term(1), (SessionSpec(5),), policy=Policy(accept_prob=0.5, accept_dispersion=0.2,
    ...                                                      accept_classes=4))
    >>> cls = behaviour_classes(p)
    >>> [round(c.accept_prob, 3) for c in cls], round(sum(c.accept_prob for c in cls) / 4, 12)
    ([0.21, 0.415, 0.585, 0.79], 0.5)
    """
    pol = plan.policy
    if pol.latent_classes:
        return tuple(BehaviourClass(
            c.name or f"class{i + 1}", float(c.share),
            c.accept_prob if c.accept_prob is not None else pol.accept_prob,
            c.no_show_prob if c.no_show_prob is not None else pol.no_show_prob)
            for i, c in enumerate(pol.latent_classes))
    if pol.accept_dispersion > 0:
        k = int(pol.accept_classes)
        cache: dict[float, list[float]] = {}

        def band(j):
            def f(p):
                if p not in cache:
                    cache[p] = _beta_band_means(p, float(pol.accept_dispersion), k)
                return cache[p][j]
            return f
        return tuple(BehaviourClass(f"propensity{j + 1}of{k}", 1.0 / k,
                                    _map_leaves(pol.accept_prob, band(j)), pol.no_show_prob)
                     for j in range(k))
    return (BehaviourClass("all", 1.0, pol.accept_prob, pol.no_show_prob),)


def acceptance_key(plan: Plan, spec_index: int, segment: str,
                   cls: BehaviourClass) -> tuple[tuple, float]:
    """``(acceptance group, probability)`` of a session kind for a segment and class.

    The group is ``("session", k)`` for a session kind with its own ``accept_prob``, else
    ``("policy", key)`` with ``key`` the by-modality table's entry that applies (``"all"``
    where acceptance does not depend on the modality).

    Examples
    --------
    >>> from kexie_research.simulation.plan import Policy, SessionSpec, Term
    >>> acc = {"cannot_leave_post": {"in_person": 0.2, "remote": 0.9}, "default": 0.8}
    >>> p = Plan(Term(1), (SessionSpec(5), SessionSpec(5, modality="video")),
    ...          policy=Policy(accept_prob=acc))
    >>> c = behaviour_classes(p)[0]
    >>> acceptance_key(p, 1, "cannot_leave_post", c), acceptance_key(p, 1, "new", c)
    ((('policy', 'remote'), 0.9), (('policy', 'all'), 0.8))
    """
    s = plan.sessions[spec_index]
    if s.accept_prob is not None:
        spec, head = s.accept_prob, ("session", spec_index)
    else:
        spec, head = cls.accept_prob, ("policy",)
    v = spec
    if isinstance(spec, Mapping):
        v = spec[segment] if segment in spec else spec["default"]
    if isinstance(v, Mapping):
        key = modality_key(v, s.modality)
        p = float(v[key])
    else:
        key = "all"
        p = float(v)
    return head + (key,), p


@dataclass(frozen=True)
class CellTypes:
    """Behaviour types of one cell: probabilities, class index and, per session kind, the
    probability that a member of the type accepts an invitation."""

    prob: np.ndarray             # float[T]
    cls: np.ndarray              # int[T]
    accept: np.ndarray           # float[T, n_specs] (0/1 under persistent acceptance)
    show: np.ndarray             # float[T] probability of showing up once seated


def cell_types(plan: Plan, classes: tuple[BehaviourClass, ...], segment: str,
               spec_indices, *, persistent: bool) -> CellTypes:
    """Behaviour types of people of ``segment`` who can be invited to ``spec_indices``.

    Under persistent acceptance a type is (class, willingness in each random acceptance
    group); per invitation it is the class alone.
    """
    n_specs = len(plan.sessions)
    probs, cls_idx, acc_rows, show = [], [], [], []
    for ci, c in enumerate(classes):
        keyed = {}
        for k in spec_indices:
            key, p = acceptance_key(plan, k, segment, c)
            keyed[k] = (key, p)
        ns = segment_value(c.no_show_prob, segment)
        if not persistent:
            row = np.zeros(n_specs)
            for k, (_, p) in keyed.items():
                row[k] = p
            probs.append(c.share)
            cls_idx.append(ci)
            acc_rows.append(row)
            show.append(1.0 - ns)
            continue
        group_p: dict[tuple, float] = {}
        for key, p in keyed.values():
            group_p[key] = p
        random_groups = sorted((g for g, p in group_p.items() if 0.0 < p < 1.0), key=repr)
        if len(random_groups) > 8 or len(classes) * 2 ** len(random_groups) > MAX_TYPES:
            raise PlanError(f"policy.acceptance: persistent acceptance for segment {segment!r} "
                            f"needs {len(classes)} x 2^{len(random_groups)} behaviour types "
                            f"(above {MAX_TYPES}): too many independent acceptance groups "
                            f"(session kinds with their own accept_prob); merge them or use "
                            f"acceptance = \"per_invitation\"")
        for pattern in itertools.product((1, 0), repeat=len(random_groups)):
            w = dict(zip(random_groups, pattern))
            pr = c.share
            for g, bit in w.items():
                pr *= group_p[g] if bit else 1.0 - group_p[g]
            row = np.zeros(n_specs)
            for k, (key, p) in keyed.items():
                row[k] = float(w[key]) if key in w else (1.0 if p >= 1.0 else 0.0)
            probs.append(pr)
            cls_idx.append(ci)
            acc_rows.append(row)
            show.append(1.0 - ns)
    prob = np.array(probs, dtype=float)
    keep = prob > 0.0
    if not keep.any():          # every class has share 0 except rounding: keep the first
        keep[0] = True
    prob = prob[keep] / prob[keep].sum()
    return CellTypes(prob=prob, cls=np.array(cls_idx, dtype=np.int64)[keep],
                     accept=np.array(acc_rows, dtype=float).reshape(len(probs), n_specs)[keep],
                     show=np.array(show, dtype=float)[keep])


# ---------------------------------------------------------------------------------------
# calibration from records

@dataclass(frozen=True)
class AcceptanceCalibration:
    """Acceptance (and no-show) estimates from records, with what they can and cannot say.

    ``estimates``: one row per segment and acceptance group (``modality_group``):
    ``parameter`` (``accept_prob`` / ``no_show_prob`` / ``accept_prob_lower_bound``),
    ``n`` (trials), ``k`` (successes), posterior ``mean``, ``sd``, ``low``, ``high`` (90 %
    equal-tailed interval of a Beta(1 + k, 1 + n − k) posterior, uniform prior),
    ``identified`` (bool) and ``note``. ``identified`` says whether the records carry the
    information at all; ``notes`` lists what cannot be estimated and why. ``persistence``
    compares persistent with per-invitation acceptance where people were invited more than
    once (``None`` without invitation records).
    """

    estimates: "object"
    identified: bool
    notes: tuple[str, ...]
    persistence: dict | None = None
    source: str = ""
    uncertainty: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"identified": self.identified, "notes": list(self.notes), "source": self.source,
                "persistence": self.persistence, "uncertainty": self.uncertainty,
                "estimates": self.estimates.to_dict(orient="records")}

    def to_uncertainty_toml(self) -> str:
        """The identified acceptance estimates as an ``[uncertainty]`` table (Beta, posterior
        mean and sd) to paste into a plan."""
        lines = ["[uncertainty]"]
        for path, u in self.uncertainty.items():
            lines.append(f'"{path}" = {{ dist = "beta", mean = {u["mean"]:.4f}, sd = {u["sd"]:.4f} }}')
        return "\n".join(lines) + "\n"


def _beta_summary(k: int, n: int) -> dict:
    from scipy.special import betaincinv

    a, b = 1.0 + k, 1.0 + n - k
    mean = a / (a + b)
    sd = math.sqrt(a * b / ((a + b) ** 2 * (a + b + 1.0)))
    return {"mean": mean, "sd": sd, "low": float(betaincinv(a, b, 0.05)),
            "high": float(betaincinv(a, b, 0.95))}


def _group_of_modality(m: str) -> str:
    for g, members in MODALITY_GROUPS.items():
        if m in members:
            return g
    return "in_person"


_TRUE = {"true", "1", "yes", "y", "t", "accepted", "accept", "是", "接受"}


def _as_bool(x) -> bool:
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, float, np.integer, np.floating)) and not (isinstance(x, float) and math.isnan(x)):
        return bool(x)
    return str(x).strip().lower() in _TRUE


def _from_invitations(invitations, seg, group) -> tuple[list, list, dict | None, dict]:
    """Posterior rows, notes, persistence check and [uncertainty] entries from invitations."""
    need = {"rep_id", "training_id", "accepted"}
    if not need <= set(invitations.columns):
        raise AnalysisError(f"calibrate_acceptance: the invitations table needs columns {sorted(need)}")
    rows, notes, uncertainty = [], [], {}
    inv = invitations.copy()
    inv["rep_id"] = inv["rep_id"].astype(str)
    unknown = sorted(set(inv["rep_id"]) - set(seg.index))
    if unknown:
        raise AnalysisError(f"calibrate_acceptance: invitations name {len(unknown)} people not in "
                            f"the roster (first: {unknown[0]!r})")
    inv["segment"] = inv["rep_id"].map(seg)
    inv["group"] = [group(t) for t in inv["training_id"]]
    inv["acc"] = [_as_bool(x) for x in inv["accepted"]]
    for (g, grp), d in inv.groupby(["segment", "group"], sort=True):
        k, n = int(d["acc"].sum()), len(d)
        b = _beta_summary(k, n)
        rows.append({"segment": g, "modality_group": grp, "parameter": "accept_prob", "n": n,
                     "k": k, **b, "identified": True,
                     "note": "accepted / invited (Beta posterior, uniform prior)"})
        path = f"policy.accept_prob.{g}" + ("" if grp == "all" else f".{grp}")
        uncertainty[path] = {"dist": "beta", "mean": b["mean"], "sd": b["sd"]}
        if "attended" in d.columns:
            acc = d[d["acc"]]
            if len(acc):
                att = [_as_bool(x) for x in acc["attended"]]
                k2, n2 = len(att) - int(sum(att)), len(att)
                rows.append({"segment": g, "modality_group": grp, "parameter": "no_show_prob",
                             "n": n2, "k": k2, **_beta_summary(k2, n2), "identified": True,
                             "note": "accepted but absent / accepted"})
    # persistence: people invited more than once within a group
    multi = inv.groupby(["rep_id", "group"])["acc"].agg(["size", "sum"])
    multi = multi[multi["size"] >= 2]
    persistence = None
    if len(multi):
        mixed = int(((multi["sum"] > 0) & (multi["sum"] < multi["size"])).sum())
        p_hat = float(inv["acc"].mean())
        expected = float(np.mean([1 - p_hat ** s - (1 - p_hat) ** s for s in multi["size"]]))
        persistence = {"people_invited_repeatedly": int(len(multi)), "both_accepted_and_declined": mixed,
                       "share_mixed": mixed / len(multi), "share_mixed_if_per_invitation": expected,
                       "note": "0 under persistent acceptance; the per-invitation model expects "
                               "share_mixed_if_per_invitation (pooled acceptance); a share between "
                               "the two suggests persistence with some change of mind, or "
                               "heterogeneity (latent classes)"}
    else:
        notes.append("No one was invited twice in the same acceptance group: persistent and "
                     "per-invitation acceptance cannot be told apart from these records.")
    notes.append("Acceptance is identified from invitation records (accepted / invited).")
    return rows, notes, persistence, uncertainty


def _from_attendance(attendance, seg, seg_sizes) -> tuple[list, list]:
    """What attendance alone says: a lower bound per segment, and why no more."""
    rows = []
    notes = [
        "Acceptance is NOT identified: the records have attendance but no invitations. "
        "A representative who never attended may not have been invited, or may have "
        "declined; attendance counts are the product of seats, invitations and "
        "acceptance and cannot separate them.",
        "What attendance does give: the share of each segment who attended at least "
        "once, a lower bound on the share willing under persistent acceptance (everyone "
        "who came was willing), and the repeat-attendance rate (person-times per "
        "distinct person), which bears on the open-seat share, not on acceptance.",
        "No-shows are not identified either (seated but absent people leave no "
        "attendance row). Record invitations (rep_id, training_id, accepted, attended) "
        "to estimate both."]
    if attendance is None:
        return rows, notes
    if "rep_id" not in attendance.columns:
        raise AnalysisError("calibrate_acceptance: the attendance table has no 'rep_id' column")
    att = attendance
    if "role" in att.columns:
        att = att[att["role"].astype(str) == "learner"]
    came = set(att["rep_id"].astype(str)) & set(seg.index)
    for g in [x for x in SEGMENTS if x in seg_sizes.index]:
        n = int(seg_sizes[g])
        k = int(sum(1 for r in seg.index[seg == g] if r in came))
        rows.append({"segment": g, "modality_group": "all", "parameter": "accept_prob_lower_bound",
                     "n": n, "k": k, **_beta_summary(k, n), "identified": False,
                     "note": "share who attended at least once: a lower bound on the share "
                             "willing (persistent model), not an estimate of acceptance"})
    return rows, notes


def calibrate_acceptance(representatives, attendance=None, *, invitations=None, trainings=None,
                         by_modality: bool = True) -> AcceptanceCalibration:
    """Estimate acceptance from records, with uncertainty, and say what is identified.

    Parameters
    ----------
    representatives : DataFrame
        The roster (``rep_id`` and the segment flags, or a ``segment`` column).
    attendance : DataFrame, optional
        Who attended which session (``rep_id``, ``training_id``).
    invitations : DataFrame, optional
        One row per invitation: ``rep_id``, ``training_id``, ``accepted`` (bool) and
        optionally ``attended`` (bool). Only these identify acceptance.
    trainings : DataFrame, optional
        ``training_id`` and ``modality``, to estimate acceptance by modality group.
    by_modality : bool
        Split estimates by modality group (``in_person`` / ``remote``) when trainings give
        the modality.

    Returns
    -------
    AcceptanceCalibration
        With invitations: Beta posteriors of acceptance per segment (and modality group) —
        ``accept_prob`` from accepted/invited —, of no-shows among those who accepted, and a
        persistence check: among people invited more than once in a group, the share who
        both accepted and declined (0 under persistent acceptance; ``1 − p^k − (1 − p)^k``
        expected per invitation). Without invitations acceptance is **not identified**: a
        representative who never attended may not have been invited, or declined; the
        result then gives, per segment, only the share who attended at least once — a
        lower bound on the share willing under persistent acceptance — with the notes
        saying so.

    Examples
    --------
    >>> import pandas as pd
    >>> reps = pd.DataFrame({"rep_id": ["a", "b", "c", "d"],
    ...                      "segment": ["new", "new", "cannot_leave_post", "cannot_leave_post"]})
    >>> inv = pd.DataFrame({"rep_id": ["a", "b", "c", "d", "c"], "training_id": ["T1"] * 4 + ["T2"],
    ...                     "accepted": [True, True, False, True, False]})
    >>> cal = calibrate_acceptance(reps, invitations=inv, by_modality=False)
    >>> e = cal.estimates.set_index(["segment", "parameter"])
    >>> cal.identified, int(e.loc[("new", "accept_prob"), "k"]), float(round(e.loc[("new", "accept_prob"), "mean"], 3))
    (True, 2, 0.75)
    >>> att = pd.DataFrame({"rep_id": ["a"], "training_id": ["T1"]})
    >>> calibrate_acceptance(reps, att).identified
    False
    """
    import pandas as pd

    from .population import population_from_frame

    reps = representatives
    if "rep_id" not in reps.columns:
        raise AnalysisError("calibrate_acceptance: the representatives table has no 'rep_id' column")
    if "segment" in reps.columns:
        seg = reps.set_index(reps["rep_id"].astype(str))["segment"].astype(str)
    else:
        tmp = reps.copy()
        if "province" not in tmp.columns:
            tmp["province"] = "全国学会"
        seg = population_from_frame(tmp).people.set_index("rep_id")["segment"]
    seg_sizes = seg.value_counts()
    mod_of = {}
    if trainings is not None and {"training_id", "modality"} <= set(trainings.columns):
        mod_of = dict(zip(trainings["training_id"].astype(str), trainings["modality"].astype(str)))

    def group(tid) -> str:
        if not by_modality or not mod_of:
            return "all"
        return _group_of_modality(mod_of.get(str(tid), "centralized"))

    if invitations is not None:
        rows, notes, persistence, uncertainty = _from_invitations(invitations, seg, group)
        src = "invitations"
    else:
        rows, notes = _from_attendance(attendance, seg, seg_sizes)
        persistence, uncertainty = None, {}
        src = "attendance" if attendance is not None else "none"
    cols = ["segment", "modality_group", "parameter", "n", "k", "mean", "sd", "low", "high",
            "identified", "note"]
    est = pd.DataFrame(rows, columns=cols)
    return AcceptanceCalibration(estimates=est, identified=invitations is not None, notes=tuple(notes),
                                 persistence=persistence, source=src, uncertainty=uncertainty)
