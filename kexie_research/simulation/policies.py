"""Selection policies as ordered tiers of (training state, segment) groups.

Every policy fills a session's seats tier by tier: all willing eligible people of the first
tier are candidates first, uniformly at random within the tier; when a tier runs out, the
next one is used. This single rule expresses all policies exactly (and is what both the
vectorised engine and the per-person reference loop implement):

=========================  =====================================================
``random``                 one tier: everyone
``never_trained_first``    untrained, then trained
``segment_priority``       segments in ``priority`` order, then the others; with
                           ``within = "never_trained_first"`` all untrained people
                           (by segment priority) come before all trained ones
=========================  =====================================================
"""

from __future__ import annotations

from typing import Callable

from .plan import SEGMENTS, SELECTIONS, WITHIN

__all__ = ["tier_rank", "tier_keys", "POLICIES"]

Key = tuple[int, str]  # (state 0 untrained / 1 trained, segment)


def _random(priority, within) -> list[list[Key]]:
    return [[(s, g) for s in (0, 1) for g in SEGMENTS]]


def _never_trained_first(priority, within) -> list[list[Key]]:
    return [[(0, g) for g in SEGMENTS], [(1, g) for g in SEGMENTS]]


def _segment_priority(priority, within) -> list[list[Key]]:
    if within not in WITHIN:
        raise ValueError(f"within must be one of {', '.join(WITHIN)}, not {within!r}")
    rest = [g for g in SEGMENTS if g not in priority]
    groups = [[g] for g in priority] + ([rest] if rest else [])
    if within == "random":
        return [[(s, g) for s in (0, 1) for g in grp] for grp in groups]
    return [[(s, g) for g in grp] for s in (0, 1) for grp in groups]


POLICIES: dict[str, Callable] = {
    "random": _random,
    "never_trained_first": _never_trained_first,
    "segment_priority": _segment_priority,
}
assert tuple(POLICIES) == SELECTIONS


def tier_keys(selection: str, priority=(), within: str = "never_trained_first") -> list[list[Key]]:
    """The tiers of a policy, first tier first.

    Examples
    --------
    >>> tier_keys("never_trained_first")[0][:2]
    [(0, 'new'), (0, 'reelected')]
    >>> [t[0] for t in tier_keys("segment_priority", ("cannot_leave_post",))]
    [(0, 'cannot_leave_post'), (0, 'new'), (1, 'cannot_leave_post'), (1, 'new')]
    """
    try:
        fn = POLICIES[selection]
    except KeyError:
        raise ValueError(f"selection must be one of {', '.join(POLICIES)}, not {selection!r}") from None
    return fn(tuple(priority), within)


def tier_rank(selection: str, priority=(), within: str = "never_trained_first") -> dict[Key, int]:
    """``{(state, segment): tier index}`` for a policy (lower index = invited first).

    Examples
    --------
    >>> r = tier_rank("never_trained_first")
    >>> r[(0, "new")], r[(1, "new")]
    (0, 1)
    """
    return {k: i for i, tier in enumerate(tier_keys(selection, priority, within)) for k in tier}
