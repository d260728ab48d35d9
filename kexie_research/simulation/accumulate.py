"""Online aggregation of simulation chunks: memory flat in the number of replications.

The engine runs replications in chunks of :data:`~.engine.CHUNK`; an :class:`Accumulator`
folds each chunk into fixed-size state and the chunk's arrays are dropped. Counts of
people are integers, so their distributions are kept as exact histograms
(``numpy.bincount``): term-end coverage, untrained people, provinces reached, coverage by
province / segment / region and time to 80 % / 100 % have *exact* percentiles whatever the
number of replications. Per-year and per-session coverage are exact while ``years ×
(population + 1)`` (``sessions × (population + 1)``) stays within :data:`HIST_BINS`;
beyond, they are binned to that budget (resolution stated in the result's provenance).
Means and standard deviations of every output come from all replications (exact integer
sums; Chan's pairwise update for floats, in chunk order). Percentiles of the float
outputs (cost, gain, mixing, Gini) come from the kept replicates: all of them up to
:data:`KEEP_REPLICATES`, beyond that every ``k``-th (a systematic sample, listed in
``replicates``). Partial accumulators from several workers merge exactly, in chunk
order, so results never depend on the worker count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..regions import PROVINCES_31, province_region

__all__ = ["Accumulator", "OutputLayout", "SimulationResult", "KEEP_REPLICATES", "HIST_BINS"]

KEEP_REPLICATES = 100_000
"""Per-replication rows kept in ``SimulationResult.replicates`` (beyond: every k-th)."""
HIST_BINS = 1 << 21
"""Bin budget of the per-year and per-session coverage histograms (each)."""

_REP_COLUMNS = ("coverage", "untrained", "cost", "gain_per_rep", "mixing", "years_to_80pct",
                "years_to_100pct", "gini_province", "draw")


# ---------------------------------------------------------------------------------------
# quantiles like numpy's, from sorted data or from histograms

def _lerp(a: float, b: float, t: float) -> float:
    d = b - a
    return b - d * (1 - t) if t >= 0.5 else a + d * t


def _order_stat(cum: np.ndarray, j: int) -> int:
    """Bin of the ``j``-th smallest value (0-based) given cumulative counts."""
    return int(np.searchsorted(cum, j, side="right"))


def hist_quantile(counts: np.ndarray, q: float, *, scale: float = 1.0, offset: float = 0.0,
                  width: int = 1, cum: np.ndarray | None = None) -> float:
    """``numpy.quantile(x, q)`` (linear method) of the sample whose histogram is ``counts``
    (bin ``b`` holds the value ``(offset + b * width) * scale``; with ``width > 1`` the bin's
    centre).

    Examples
    --------
    >>> x = np.array([3, 1, 4, 1, 5, 9, 2, 6])
    >>> c = np.bincount(x)
    >>> [hist_quantile(c, q) for q in (0.05, 0.5, 0.95)] == np.quantile(x, [0.05, 0.5, 0.95]).tolist()
    True
    """
    cum = np.cumsum(counts) if cum is None else cum
    n = int(cum[-1]) if len(cum) else 0
    if n == 0:
        return float("nan")
    v = (n - 1) * q
    lo = int(math.floor(v))
    hi = min(lo + 1, n - 1)
    g = v - lo
    centre = (width - 1) / 2.0

    def val(j):
        return (offset + _order_stat(cum, j) * width + centre) * scale

    a = val(lo)
    return a if hi == lo else _lerp(a, val(hi), g)


def hist_inverted_cdf(counts: np.ndarray, q: float) -> int:
    """Bin of ``numpy.quantile(x, q, method="inverted_cdf")``."""
    cum = np.cumsum(counts)
    n = int(cum[-1])
    j = max(int(math.ceil(n * q)) - 1, 0)
    return _order_stat(cum, j)


def _sorted_quantile(x: np.ndarray, q: float) -> float:
    return float(np.quantile(x, q)) if x.size else float("nan")


# ---------------------------------------------------------------------------------------
# running moments (Chan et al.), merged in chunk order

def _moments(x: np.ndarray) -> tuple[int, float, float, float]:
    """``(n, fsum, mean, M2)`` of the finite values of ``x`` (two-pass within the chunk)."""
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    if not x.size:
        return 0, 0.0, 0.0, 0.0
    s = math.fsum(x.tolist())
    m = s / x.size
    return x.size, s, m, float(((x - m) ** 2).sum())


def _combine(parts) -> tuple[int, float, float]:
    """Combine ``(n, fsum, mean, M2)`` parts in order: ``(n, mean, sd)``."""
    n, mean, m2 = 0, 0.0, 0.0
    total = []
    for nb, sb, mb, m2b in parts:
        if nb == 0:
            continue
        total.append(sb)
        if n == 0:
            n, mean, m2 = nb, mb, m2b
            continue
        d = mb - mean
        tot = n + nb
        mean = mean + d * nb / tot
        m2 = m2 + m2b + d * d * n * nb / tot
        n = tot
    if n == 0:
        return 0, float("nan"), float("nan")
    return n, math.fsum(total) / n, (math.sqrt(m2 / (n - 1)) if n > 1 else float("nan"))


# ---------------------------------------------------------------------------------------
# layout: what is reported, fixed across parameter draws

@dataclass(frozen=True)
class OutputLayout:
    """The output structure shared by every parameter draw of a run."""

    n: int
    session_names: tuple
    session_years: np.ndarray      # int[S]
    session_times: np.ndarray      # float[S]
    session_modalities: tuple
    session_capacities: np.ndarray  # int[S] (as written)
    years: int
    labels: dict = field(default_factory=dict)    # kind -> (names, sizes)
    traj_width: int = 1
    year_width: int = 1

    @property
    def n_sessions(self) -> int:
        return len(self.session_names)

    @classmethod
    def from_compiled(cls, cp) -> "OutputLayout":
        S = len(cp.sessions)
        N = cp.n
        traj_width = max(1, math.ceil(S * (N + 1) / HIST_BINS)) if S else 1
        year_width = max(1, math.ceil(cp.years * (N + 1) / HIST_BINS))
        return cls(n=N, session_names=tuple(s.name for s in cp.sessions),
                   session_years=np.array([s.year for s in cp.sessions], dtype=np.int64),
                   session_times=np.array([s.time for s in cp.sessions], dtype=float),
                   session_modalities=tuple(s.modality for s in cp.sessions),
                   session_capacities=np.array([s.capacity for s in cp.sessions], dtype=np.int64),
                   years=cp.years, labels=dict(cp.labels),
                   traj_width=traj_width, year_width=year_width)


# ---------------------------------------------------------------------------------------
# the accumulator

def _gini_rows(x: np.ndarray) -> np.ndarray:
    """Gini coefficient of each row (unweighted across groups)."""
    if x.shape[1] == 0:
        return np.zeros(x.shape[0])
    s = np.sort(x, axis=1)
    n = s.shape[1]
    tot = s.sum(axis=1)
    i = np.arange(1, n + 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        g = (2.0 * (s * i).sum(axis=1)) / (n * tot) - (n + 1.0) / n
    return np.where(tot > 0, g, 0.0)


class Accumulator:
    """Fixed-size running state of a simulation run (see the module docstring).

    Parameters
    ----------
    layout : OutputLayout
    keep_every : int
        Keep replication ``i`` (global index) in ``replicates`` when ``i % keep_every == 0``.
    n_chunks, total : int, optional
        Chunks and replications of the whole run: the accumulator then stores each chunk's
        moments and kept rows in preallocated arrays (a few bytes per chunk, the kept rows
        at most :data:`KEEP_REPLICATES`) instead of a list; partial accumulators of workers
        keep the list and are folded into the run's.
    """

    _MOMENTS = ("cost", "gain", "mixing", "gini")

    def __init__(self, layout: OutputLayout, *, keep_every: int = 1, n_chunks: int | None = None,
                 total: int | None = None):
        L = layout
        N, S, Y = L.n, L.n_sessions, L.years
        self.layout = L
        self.keep_every = int(keep_every)
        self.n = 0
        self.final = np.zeros(N + 1, dtype=np.int64)
        self.n_year_bins = (N // L.year_width) + 1
        self.year = np.zeros(Y * self.n_year_bins, dtype=np.int64)
        self.n_traj_bins = (N // L.traj_width) + 1
        self.traj = np.zeros(S * self.n_traj_bins, dtype=np.int64)
        self.attended = np.zeros(S, dtype=np.int64)
        self.t80 = np.zeros(S + 1, dtype=np.int64)
        self.t100 = np.zeros(S + 1, dtype=np.int64)
        self.reached = np.zeros(len(PROVINCES_31) + 1, dtype=np.int64)
        self.has_groups = False
        self.n_split = 0
        self.label_hist = {k: np.zeros(int(v[1].sum()) + len(v[0]), dtype=np.int64)
                           for k, v in L.labels.items()}
        self.chunks: list[dict] = []        # per chunk: index, draw, moments, kept rows
        self.compact = n_chunks is not None
        if self.compact:
            self.mom = np.zeros((int(n_chunks), len(self._MOMENTS), 4))
            self.chunk_draw = np.full(int(n_chunks), -1, dtype=np.int64)
            self.draw_int: dict[int, list[int]] = {}
            n_keep = -(-int(total) // self.keep_every)
            self.kept_arr = {c: np.zeros(n_keep, dtype=np.int64 if c in ("untrained", "draw") else float)
                             for c in _REP_COLUMNS}
            self.kept_mask = np.zeros(n_keep, dtype=bool)

    def _store(self, rec: dict) -> None:
        if not self.compact:
            self.chunks.append(rec)
            return
        c = rec["chunk"]
        self.chunk_draw[c] = rec["draw"]
        for j, name in enumerate(self._MOMENTS):
            self.mom[c, j] = rec[name]
        d = self.draw_int.setdefault(rec["draw"], [0, 0, 0])
        d[0] += rec["n"]
        d[1] += rec["final_sum"]
        d[2] += rec["final_sq"]
        if "kept" in rec:
            k = rec["kept"]
            pos = rec["kept_pos"] + np.arange(len(k["coverage"]))
            for col, v in k.items():
                self.kept_arr[col][pos] = v
            self.kept_mask[pos] = True

    # ---- folding a chunk in --------------------------------------------------------------
    def add(self, raw: dict, *, chunk: int, draw: int = 0, start: int = 0) -> None:
        """Fold one chunk's per-replication arrays (from ``run_chunk``) in.

        ``chunk`` orders the chunks, ``start`` is the global index of its first replication.
        """
        L = self.layout
        N, S = L.n, L.n_sessions
        covered = np.asarray(raw["covered"])
        R = covered.shape[0] if covered.ndim == 2 else len(raw["cost"])
        final = covered[:, -1].astype(np.int64) if S else np.zeros(R, dtype=np.int64)
        self.n += R
        self.final += np.bincount(final, minlength=N + 1)
        # coverage at each year end
        yb = self.n_year_bins
        cols = []
        for y in range(1, L.years + 1):
            idx = np.flatnonzero(L.session_years <= y)
            cols.append(covered[:, idx[-1]] if idx.size else np.zeros(R, dtype=covered.dtype))
        ymat = np.stack(cols, axis=1).astype(np.int64)
        if L.year_width > 1:
            ymat //= L.year_width
        self.year += np.bincount((ymat + np.arange(L.years) * yb).ravel(), minlength=self.year.size)
        if S:
            tb = self.n_traj_bins
            cv = covered.astype(np.int64)
            if L.traj_width > 1:
                cv //= L.traj_width
            cv += np.arange(S) * tb
            self.traj += np.bincount(cv.ravel(), minlength=self.traj.size)
            self.attended += np.asarray(raw["attended"], dtype=np.int64).sum(axis=0)
        # coverage never falls, so the first session reaching a level is the number of
        # sessions below it (S = not reached within the term)
        t80 = (covered < math.ceil(0.8 * N - 1e-9)).sum(axis=1) if S else np.zeros(R, dtype=np.int64)
        t100 = (covered < N).sum(axis=1) if S else np.zeros(R, dtype=np.int64)
        self.t80 += np.bincount(t80, minlength=S + 1)
        self.t100 += np.bincount(t100, minlength=S + 1)
        cost = np.asarray(raw["cost"], dtype=float)
        gain = np.asarray(raw["gain"], dtype=float) / N
        den = np.asarray(raw["mix_den"], dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            mixing = np.where(den > 0, np.asarray(raw["mix_num"]) / np.where(den > 0, den, 1), np.nan)
        gini = np.full(R, np.nan)
        if raw.get("untrained_by") is not None:
            rows = raw.get("split_rows")
            g, _ = self._groups(raw["untrained_by"])
            if rows is None or len(rows) == R:
                gini = g
            else:
                gini[rows] = g          # the other replications have no breakdown drawn
            self.n_split += len(g)
        rec = {"chunk": int(chunk), "draw": int(draw), "n": R,
               "final_sum": int(final.sum()), "final_sq": int((final * final).sum()),
               "cost": _moments(cost), "gain": _moments(gain), "mixing": _moments(mixing),
               "gini": _moments(gini)}
        k = self.keep_every
        first = (-start) % k
        keep = np.arange(first, R, k)
        rec["kept_pos"] = (start + first) // k
        if keep.size:
            times = np.append(L.session_times, np.inf)
            rec["kept"] = {
                "coverage": final[keep] / N, "untrained": (N - final[keep]).astype(np.int64),
                "cost": cost[keep], "gain_per_rep": gain[keep], "mixing": mixing[keep],
                "years_to_80pct": times[t80[keep]], "years_to_100pct": times[t100[keep]],
                "gini_province": gini[keep], "draw": np.full(keep.size, int(draw), dtype=np.int64)}
        self._store(rec)

    def _groups(self, by: dict) -> tuple[np.ndarray, np.ndarray]:
        L = self.layout
        self.has_groups = True
        gini = reached = None
        for kind, (names, sizes) in L.labels.items():
            u = np.asarray(by[kind], dtype=np.int64)
            offs = np.concatenate([[0], np.cumsum(sizes + 1)[:-1]])
            self.label_hist[kind] += np.bincount((u + offs).ravel(), minlength=self.label_hist[kind].size)
            if kind == "province":
                cov = 1.0 - u / np.maximum(sizes, 1)
                gini = _gini_rows(cov)
                is31 = np.isin(np.array(names, dtype=object), PROVINCES_31)
                reached = ((u < sizes)[:, is31]).sum(axis=1).astype(np.int64)
                self.reached += np.bincount(reached, minlength=self.reached.size)
        return gini, reached

    # ---- merging ---------------------------------------------------------------------------
    def merge(self, other: "Accumulator") -> "Accumulator":
        """Add another accumulator's state (same layout); chunk records keep their order."""
        for name in ("final", "year", "traj", "attended", "t80", "t100", "reached"):
            getattr(self, name).__iadd__(getattr(other, name))
        for k in self.label_hist:
            self.label_hist[k] += other.label_hist[k]
        self.n += other.n
        self.n_split += other.n_split
        self.has_groups |= other.has_groups
        for rec in sorted(other.chunks, key=lambda r: r["chunk"]):
            self._store(rec)
        return self

    # ---- reading out ---------------------------------------------------------------------------
    def _ordered(self) -> list[dict]:
        return sorted(self.chunks, key=lambda r: r["chunk"])

    def moment_parts(self, name: str, draw: int | None = None) -> list[tuple]:
        """``(n, fsum, mean, M2)`` of output ``name`` per chunk, in chunk order."""
        if self.compact:
            j = self._MOMENTS.index(name)
            rows = np.flatnonzero(self.chunk_draw >= 0) if draw is None else \
                np.flatnonzero(self.chunk_draw == draw)
            return [(int(m[0]), float(m[1]), float(m[2]), float(m[3])) for m in self.mom[rows, j]]
        return [r[name] for r in self._ordered() if draw is None or r["draw"] == draw]

    def draw_stats(self) -> dict[int, dict]:
        """Per parameter draw: replications, mean and variance of term-end coverage, mean cost."""
        N = self.layout.n
        if self.compact:
            sums = self.draw_int
        else:
            sums = {}
            for r in self._ordered():
                d = sums.setdefault(r["draw"], [0, 0, 0])
                d[0] += r["n"]
                d[1] += r["final_sum"]
                d[2] += r["final_sq"]
        res = {}
        for k, (n, s, ss) in sums.items():
            var = (n * ss - s * s) / (n * (n - 1)) / (N * N) if n > 1 else float("nan")
            res[k] = {"n": n, "coverage_mean": s / (n * N), "coverage_var": var,
                      "cost_mean": _combine(self.moment_parts("cost", k))[1]}
        return res

    def kept(self) -> dict[str, np.ndarray]:
        if self.compact:
            return {c: v[self.kept_mask] for c, v in self.kept_arr.items()}
        parts = [r["kept"] for r in self._ordered() if "kept" in r]
        if not parts:
            return {c: np.zeros(0) for c in _REP_COLUMNS}
        return {c: np.concatenate([p[c] for p in parts]) for c in _REP_COLUMNS}

    @staticmethod
    def int_interval(counts: np.ndarray, transform=None, *, decreasing: bool = False,
                     width: int = 1) -> dict:
        """mean, sd, p05, p50, p95 of ``transform(v)`` for the integer output ``v`` whose
        histogram is ``counts`` (bin ``b`` = values ``b·width .. b·width + width − 1``; with
        ``width = 1`` exact, else the bin centre). ``transform`` is monotone (``decreasing``
        if it reverses the order), applied to order statistics as numpy's linear quantile
        would to the transformed sample."""
        f = transform or float
        c = np.asarray(counts, dtype=np.int64)
        n = int(c.sum())
        if n == 0:
            nan = float("nan")
            return {"mean": nan, "sd": nan, "p05": nan, "p50": nan, "p95": nan}
        nz = np.flatnonzero(c)
        centre = (width - 1) / 2.0
        if width == 1:
            s = sum(int(c[b]) * int(b) for b in nz)
            ss = sum(int(c[b]) * int(b) * int(b) for b in nz)
            m_raw = s / n
            var_raw = (n * ss - s * s) / (n * (n - 1)) if n > 1 else float("nan")
        else:
            v = nz * width + centre
            m_raw = float((c[nz] * v).sum() / n)
            var_raw = float((c[nz] * (v - m_raw) ** 2).sum() / (n - 1)) if n > 1 else float("nan")
        # a monotone affine transform maps mean and sd; others: only percentiles matter
        slope = f(1.0) - f(0.0)
        mean = f(m_raw)
        sd = abs(slope) * math.sqrt(max(var_raw, 0.0)) if var_raw == var_raw else float("nan")
        cum = np.cumsum(c)

        def stat(j):
            jj = n - 1 - j if decreasing else j
            return f(_order_stat(cum, jj) * width + centre)

        out = {"mean": mean, "sd": sd}
        for p in (0.05, 0.5, 0.95):
            v = (n - 1) * p
            lo = int(math.floor(v))
            hi = min(lo + 1, n - 1)
            a = stat(lo)
            out[f"p{int(round(p * 100)):02d}"] = a if hi == lo else _lerp(a, stat(hi), v - lo)
        return out


# ---------------------------------------------------------------------------------------
# the result

@dataclass(frozen=True)
class SimulationResult:
    """Outcome of a Monte Carlo run of a plan.

    Tables: ``by_year`` (coverage at each year end), ``trajectory`` (after each session),
    ``by_province`` / ``by_segment`` / ``by_region`` (coverage at term end), ``replicates``
    (one row per kept replication: coverage, untrained, cost, gain per representative,
    mixing, years to 80 % / 100 %, Gini across provinces — NaN where the term-end
    breakdown was not drawn, see ``engine.SPLIT_REPLICATES`` —, parameter draw) and
    ``parameter_draws`` (one row per parameter set when the plan declares
    ``[uncertainty]``: the values and the set's mean coverage and cost). ``summary`` holds
    the headline numbers with intervals (mean, sd, p05, p50, p95). ``uncertainty`` says what
    the intervals cover: chance alone, or the declared parameters and chance, with the share
    of the variance of term-end coverage due to the parameters.
    """

    plan_name: str
    n_population: int
    replications: int
    seed: int
    engine: str
    summary: dict
    by_year: "object"
    trajectory: "object"
    by_province: "object"
    by_segment: "object"
    by_region: "object"
    replicates: "object"
    provenance: dict = field(default_factory=dict)
    uncertainty: dict = field(default_factory=dict)
    parameter_draws: "object" = None

    @property
    def coverage_mean(self) -> float:
        return self.summary["coverage"]["mean"]

    @property
    def coverage_p05(self) -> float:
        return self.summary["coverage"]["p05"]

    @property
    def coverage_p95(self) -> float:
        return self.summary["coverage"]["p95"]

    @property
    def cost_mean(self) -> float:
        return self.summary["cost"]["mean"]

    def to_dict(self) -> dict:
        """JSON-able dictionary (the ``simulate --json`` output)."""
        s = self.summary
        out = {
            "plan": self.plan_name, "engine": self.engine, "population": self.n_population,
            "replications": self.replications, "seed": self.seed,
            "coverage_mean": s["coverage"]["mean"], "coverage_p05": s["coverage"]["p05"],
            "coverage_p95": s["coverage"]["p95"], "coverage": s["coverage"],
            "uncertainty": self.uncertainty,
            "years_to_80pct": s["years_to_80pct"], "years_to_100pct": s["years_to_100pct"],
            "cost_mean": s["cost"]["mean"], "cost": s["cost"],
            "gain_per_rep": s["gain_per_rep"], "mixing": s["mixing"],
            "gini_province": s["gini_province"], "untrained": s["untrained"],
            "provinces_reached": s["provinces_reached"],
            "p_full_coverage": s["p_full_coverage"],
            "by_year": self.by_year.to_dict(orient="records"),
            "by_province": self.by_province.to_dict(orient="records"),
            "by_segment": self.by_segment.to_dict(orient="records"),
            "by_region": self.by_region.to_dict(orient="records"),
            "provenance": self.provenance,
        }
        if self.parameter_draws is not None and len(self.parameter_draws):
            out["parameter_draws"] = self.parameter_draws.to_dict(orient="records")
        return out


_TRAJ_COLUMNS = ["session", "name", "year", "time", "modality", "capacity", "attended_mean",
                 "coverage_mean", "coverage_p05", "coverage_p50", "coverage_p95"]


def _float_interval(parts, kept: np.ndarray) -> dict:
    n, mean, sd = _combine(parts)
    k = np.asarray(kept, dtype=float)
    k = k[np.isfinite(k)]
    return {"mean": mean, "sd": sd, "p05": _sorted_quantile(k, 0.05),
            "p50": _sorted_quantile(k, 0.5), "p95": _sorted_quantile(k, 0.95)}


def _time_dist(counts: np.ndarray, times: np.ndarray) -> dict:
    """Time to a coverage level from the histogram of the first session reaching it
    (bin ``S`` = never within the term)."""
    n = int(counts.sum())
    S = len(times)
    reached = int(counts[:S].sum())
    share = reached / n if n else 0.0
    tt = np.append(times, np.inf)

    def qq(q):
        if not n:
            return None
        v = float(tt[hist_inverted_cdf(counts, q)])
        return v if math.isfinite(v) else None
    mean_if = float((counts[:S] * times).sum() / reached) if reached else None
    return {"share_reached": share, "mean_if_reached": mean_if,
            "p05": qq(0.05), "p50": qq(0.5), "p95": qq(0.95)}


def _group_tables(acc: Accumulator):
    import pandas as pd

    L = acc.layout
    out = {}
    for kind, (names, sizes) in L.labels.items():
        h = acc.label_hist[kind]
        rows = []
        pos = 0
        for j, nm in enumerate(names):
            size = int(sizes[j])
            c = h[pos:pos + size + 1]
            pos += size + 1
            iv = acc.int_interval(c, lambda u, s=size: 1.0 - u / s, decreasing=True)
            um = acc.int_interval(c)["mean"]
            row = {kind: nm, "n": size, "coverage_mean": iv["mean"], "coverage_p05": iv["p05"],
                   "coverage_p95": iv["p95"], "untrained_mean": um}
            if kind == "province":
                row["region"] = province_region(nm) or "national"
            rows.append(row)
        out[kind] = pd.DataFrame(rows)
    return out


def build_result(acc: Accumulator, *, plan_name: str, seed: int, engine: str,
                 population_source: str, seats: int, uncertainty: dict | None = None,
                 parameter_draws=None) -> SimulationResult:
    """Read a :class:`SimulationResult` out of an accumulator."""
    import pandas as pd

    from .. import __version__

    L = acc.layout
    N, S, R = L.n, L.n_sessions, acc.n
    kept = acc.kept()
    cov_iv = acc.int_interval(acc.final, lambda v: v / N)
    by_year = []
    yb = acc.n_year_bins
    for y in range(1, L.years + 1):
        c = acc.year[(y - 1) * yb:y * yb]
        iv = acc.int_interval(c, lambda v: v / N, width=L.year_width)
        by_year.append({"year": y, "coverage_mean": iv["mean"], "coverage_p05": iv["p05"],
                        "coverage_p50": iv["p50"], "coverage_p95": iv["p95"],
                        "sessions": int((L.session_years == y).sum())})
    traj = []
    tb = acc.n_traj_bins
    for k in range(S):
        iv = acc.int_interval(acc.traj[k * tb:(k + 1) * tb], lambda v: v / N, width=L.traj_width)
        traj.append({"session": k + 1, "name": L.session_names[k], "year": int(L.session_years[k]),
                     "time": float(L.session_times[k]), "modality": L.session_modalities[k],
                     "capacity": int(L.session_capacities[k]),
                     "attended_mean": float(acc.attended[k] / R) if R else float("nan"),
                     "coverage_mean": iv["mean"], "coverage_p05": iv["p05"],
                     "coverage_p50": iv["p50"], "coverage_p95": iv["p95"]})
    groups = _group_tables(acc) if acc.has_groups else {k: pd.DataFrame() for k in L.labels}
    nan_iv = {"mean": float("nan"), "sd": float("nan"), "p05": float("nan"),
              "p50": float("nan"), "p95": float("nan")}
    reached_iv = acc.int_interval(acc.reached) if acc.has_groups else nan_iv
    summary = {
        "coverage": cov_iv,
        "years_to_80pct": _time_dist(acc.t80, L.session_times),
        "years_to_100pct": _time_dist(acc.t100, L.session_times),
        "p_full_coverage": float(acc.final[N] / R) if R else float("nan"),
        "cost": _float_interval(acc.moment_parts("cost"), kept["cost"]),
        "gain_per_rep": _float_interval(acc.moment_parts("gain"), kept["gain_per_rep"]),
        "mixing": _float_interval(acc.moment_parts("mixing"), kept["mixing"]),
        "gini_province": _float_interval(acc.moment_parts("gini"), kept["gini_province"])
        if acc.has_groups else nan_iv,
        "provinces_reached": reached_iv,
        "untrained": acc.int_interval(acc.final, lambda v: N - v, decreasing=True),
        "sessions": S,
        "seats": int(seats),
    }
    replicates = pd.DataFrame({"replication": np.arange(len(kept["coverage"])) * acc.keep_every,
                               **kept})
    if not (uncertainty or {}).get("parameter_draws"):
        replicates = replicates.drop(columns=["draw"])
    prov = {"package_version": __version__, "seed": int(seed), "engine": engine,
            "population": population_source, "replications": int(R),
            "replicates_kept_every": acc.keep_every,
            "breakdown_replications": int(acc.n_split),
            "percentiles": {"coverage, untrained, provinces, groups, time to 80%/100%": "exact (histograms of counts)",
                            "by_year": "exact" if L.year_width == 1 else f"binned by {L.year_width} people",
                            "trajectory": "exact" if L.traj_width == 1 else f"binned by {L.traj_width} people",
                            "cost, gain, mixing, gini": "from the kept replicates"
                            + ("" if acc.keep_every == 1 else f" (every {acc.keep_every}th)")}}
    return SimulationResult(
        plan_name=plan_name or "plan", n_population=N, replications=int(R), seed=int(seed),
        engine=engine, summary=summary, by_year=pd.DataFrame(by_year),
        trajectory=pd.DataFrame(traj, columns=_TRAJ_COLUMNS), by_province=groups["province"],
        by_segment=groups["segment"], by_region=groups["region"], replicates=replicates,
        provenance=prov, uncertainty=uncertainty or {}, parameter_draws=parameter_draws)
