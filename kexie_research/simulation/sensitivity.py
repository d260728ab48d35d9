"""Global sensitivity of plan outcomes to uncertain parameters (SALib), and a tornado.

Sobol indices (Saltelli/Jansen estimators, Sobol' sequence design; Saltelli et al. 2010)
and Morris elementary effects (Morris 1991; Campolongo et al. 2007) come from SALib
(Herman & Usher 2017). Each design point is simulated with *common random numbers* (the
same seed for every point) by default, so that Monte Carlo noise does not masquerade as a
parameter effect.

References
----------
Saltelli, A. et al. (2010). Variance based sensitivity analysis of model output. Computer
Physics Communications 181, 259–270.
Morris, M. D. (1991). Factorial sampling plans for preliminary computational experiments.
Technometrics 33, 161–174.
Herman, J. & Usher, W. (2017). SALib: an open-source Python library for sensitivity
analysis. Journal of Open Source Software 2(9), 97.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd

from ..errors import AnalysisError
from .plan import Plan
from .sweep import OUTPUTS, PARAMETERS, evaluate_points

__all__ = ["SensitivityResult", "sobol_analysis", "morris_analysis", "tornado", "METHODS"]


@dataclass(frozen=True)
class SensitivityResult:
    """Indices per parameter (``indices``) and the evaluated design (``design``).

    For ``sobol``: columns ``S1, S1_conf, ST, ST_conf``; for ``morris``:
    ``mu_star, mu_star_conf, sigma``; for ``tornado``: ``low, high, output_low,
    output_high, swing`` (and ``base`` in ``baseline``).
    """

    method: str
    output: str
    indices: pd.DataFrame
    design: pd.DataFrame
    baseline: float | None = None

    def to_dict(self) -> dict:
        return {"method": self.method, "output": self.output, "baseline": self.baseline,
                "indices": self.indices.to_dict(orient="records")}


def _problem(ranges: Mapping[str, tuple[float, float]]) -> dict:
    if not ranges:
        raise AnalysisError("sensitivity analysis needs at least one parameter")
    for k in ranges:
        if k not in PARAMETERS:
            raise AnalysisError(f"unknown parameter {k!r}; allowed: {', '.join(PARAMETERS)}")
    return {"num_vars": len(ranges), "names": list(ranges),
            "bounds": [list(map(float, v)) for v in ranges.values()]}


def _check_output(output: str) -> None:
    if output not in OUTPUTS:
        raise ValueError(f"output must be one of {', '.join(OUTPUTS)}, not {output!r}")


def sobol_analysis(plan: Plan, ranges: Mapping[str, tuple[float, float]], *,
                   n_base: int = 32, replications: int = 200, seed: int = 0,
                   output: str = "coverage_mean", workers: int = 1, executor=None,
                   progress: bool = False) -> SensitivityResult:
    """First-order and total Sobol indices of ``output``.

    The design has ``n_base * (d + 2)`` points (no second-order terms); ``n_base`` should
    be a power of two.
    """
    from SALib.analyze import sobol as sobol_an
    from SALib.sample import sobol as sobol_sa

    _check_output(output)
    prob = _problem(ranges)
    X = sobol_sa.sample(prob, int(n_base), calc_second_order=False, seed=int(seed) % (2**31))
    pts = pd.DataFrame(X, columns=prob["names"])
    res = evaluate_points(plan, pts, replications=replications, seed=seed,
                          common_random_numbers=True, workers=workers, executor=executor,
                          progress=progress)
    Y = res[output].to_numpy(float)
    if not np.isfinite(Y).all():
        raise AnalysisError(f"output {output} is undefined at some points; choose another output")
    si = sobol_an.analyze(prob, Y, calc_second_order=False, seed=int(seed) % (2**31),
                          print_to_console=False)
    ind = pd.DataFrame({"parameter": prob["names"], "S1": si["S1"], "S1_conf": si["S1_conf"],
                        "ST": si["ST"], "ST_conf": si["ST_conf"]})
    return SensitivityResult("sobol", output, ind, res)


def morris_analysis(plan: Plan, ranges: Mapping[str, tuple[float, float]], *,
                    trajectories: int = 10, levels: int = 4, replications: int = 200,
                    seed: int = 0, output: str = "coverage_mean", workers: int = 1,
                    executor=None, progress: bool = False) -> SensitivityResult:
    """Morris elementary effects (``trajectories * (d + 1)`` points)."""
    from SALib.analyze import morris as morris_an
    from SALib.sample import morris as morris_sa

    _check_output(output)
    prob = _problem(ranges)
    X = morris_sa.sample(prob, int(trajectories), num_levels=int(levels), seed=int(seed) % (2**31))
    pts = pd.DataFrame(X, columns=prob["names"])
    res = evaluate_points(plan, pts, replications=replications, seed=seed,
                          common_random_numbers=True, workers=workers, executor=executor,
                          progress=progress)
    Y = res[output].to_numpy(float)
    si = morris_an.analyze(prob, X, Y, num_levels=int(levels), seed=int(seed) % (2**31),
                           print_to_console=False)
    ind = pd.DataFrame({"parameter": prob["names"], "mu_star": si["mu_star"],
                        "mu_star_conf": si["mu_star_conf"], "sigma": si["sigma"]})
    return SensitivityResult("morris", output, ind.sort_values("mu_star", ascending=False,
                                                               ignore_index=True), res)


def tornado(plan: Plan, ranges: Mapping[str, tuple[float, float]], *, replications: int = 500,
            seed: int = 0, output: str = "coverage_mean", workers: int = 1,
            executor=None) -> SensitivityResult:
    """One parameter at a time at its low and high end, the others at the plan's values
    (common random numbers); sorted by swing, largest first."""
    _check_output(output)
    _problem(ranges)
    rows = [{}]
    for k, (lo, hi) in ranges.items():
        rows += [{k: lo}, {k: hi}]
    names = list(ranges)
    res = []
    from .sweep import _outputs, apply_parameters
    from .engine import Simulator
    from .population import load_population
    pop = load_population(plan)
    for r in rows:
        p = apply_parameters(plan, r)
        out = _outputs(Simulator(p, pop).run(replications=replications, seed=seed))
        res.append({**{n: r.get(n, np.nan) for n in names}, **out})
    design = pd.DataFrame(res)
    base = float(design[output].iloc[0])
    ind = []
    for j, k in enumerate(names):
        lo_out = float(design[output].iloc[1 + 2 * j])
        hi_out = float(design[output].iloc[2 + 2 * j])
        ind.append({"parameter": k, "low": ranges[k][0], "high": ranges[k][1],
                    "output_low": lo_out, "output_high": hi_out, "swing": abs(hi_out - lo_out)})
    ind = pd.DataFrame(ind).sort_values("swing", ascending=False, ignore_index=True)
    return SensitivityResult("tornado", output, ind, design, baseline=base)


METHODS = {"sobol": sobol_analysis, "morris": morris_analysis, "tornado": tornado}
