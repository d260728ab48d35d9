"""The simulation's closed vocabularies and the declaration of an uncertain parameter.

A base module of :mod:`kexie_research.simulation`: :mod:`.plan` (reading plans) and
:mod:`.uncertainty` (checking and drawing declared parameters) both use it, so neither has
to import the other at module level.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SEGMENTS", "SELECTIONS", "WITHIN", "ACCEPTANCE_MODELS", "DISTRIBUTIONS",
           "MODALITIES", "MODALITY_GROUPS", "UncertainParameter"]

SEGMENTS: tuple[str, ...] = ("new", "reelected", "frontline", "cannot_leave_post")
"""The paper's representative segments (seed 000 §3.2), one per person.

A person's segment is decided by precedence: ``cannot_leave_post`` (``can_leave_post`` is
false) > ``frontline`` (``is_frontline``) > ``reelected`` (``is_reelected``) > ``new``.
"""

SELECTIONS: tuple[str, ...] = ("random", "never_trained_first", "segment_priority")
WITHIN: tuple[str, ...] = ("never_trained_first", "random")
ACCEPTANCE_MODELS: tuple[str, ...] = ("persistent", "per_invitation")
"""``persistent``: a representative's willingness is drawn once per term (per acceptance
group) and kept, so a decline is not refilled by the same person later; ``per_invitation``:
drawn afresh at every invitation (the engine's model before persistence existed)."""
DISTRIBUTIONS: tuple[str, ...] = ("uniform", "triangular", "beta")

MODALITIES: tuple[str, ...] = ("centralized", "online", "video", "exchange", "rep_organized",
                               "reading_class", "study_tour", "hybrid")

MODALITY_GROUPS: dict[str, tuple[str, ...]] = {
    "in_person": ("centralized", "exchange", "rep_organized", "reading_class", "study_tour", "hybrid"),
    "remote": ("online", "video"),
}
"""Modality groups an acceptance table may name instead of single modalities: ``remote``
courses can be taken without leaving the post (seed 000 §3: video/online self-study for
representatives who cannot leave their posts); everything else needs the person in the
room."""


@dataclass(frozen=True)
class UncertainParameter:
    """An uncertain plan parameter, declared by its ``path`` in the plan.

    dist : {"uniform", "triangular", "beta"}
        ``uniform`` on [``low``, ``high``]; ``triangular`` on [``low``, ``high``] with
        ``mode``; ``beta`` with ``mean`` and ``sd`` on [``low``, ``high``] (default [0, 1]).
    integer : bool
        Whole numbers: a uniform draw is uniform over the integers ``low..high``, the others
        are rounded.
    """

    path: str
    dist: str = "uniform"
    low: float | None = None
    high: float | None = None
    mode: float | None = None
    mean: float | None = None
    sd: float | None = None
    integer: bool = False

    def to_dict(self) -> dict:
        d = {"dist": self.dist if self.dist != "uniform" else None, "low": self.low,
             "high": self.high, "mode": self.mode, "mean": self.mean, "sd": self.sd,
             "integer": True if self.integer else None}
        return {k: v for k, v in d.items() if v is not None}
