"""Training-plan simulation, optimisation, sweeps and recommendations.

Plans are declared data (:class:`Plan`, TOML files in ``datasets/plans/``); the engine
(:func:`simulate`) is an exact, vectorised Monte Carlo; :mod:`.sweep`,
:mod:`.sensitivity` and :mod:`.discovery` explore uncertain parameters; :mod:`.optimize`
chooses sessions under a budget; :mod:`.recommend` ranks levers. Nothing here imports
matplotlib or ipywidgets.
"""

from .plan import (DEFAULT_MODALITIES, MODALITIES, SEGMENTS, SELECTIONS, EffectModel,
                   ModalitySpec, Plan, Policy, PopulationSpec, SessionSpec, Term)
from .population import Population, load_population, population_from_frame
from .engine import (CompiledPlan, SimulationResult, Simulator, compile_plan, simulate,
                     simulate_individuals, simulate_reference_loop)

# ``apply_parameters`` of .uncertainty (by path) differs from .sweep's (by sweep name):
# import it from its module, ``from kexie_research.simulation.uncertainty import apply_parameters``

_LAZY = {
    "optimize_plan": "optimize", "plan_objective": "optimize", "OptimizationResult": "optimize",
    "run_sweep": "sweep", "PARAMETERS": "sweep", "SweepResult": "sweep",
    "apply_parameters": "sweep", "SweepStore": "store",
    "sobol_analysis": "sensitivity", "morris_analysis": "sensitivity", "tornado": "sensitivity",
    "prim": "discovery", "evaluate_box": "discovery", "failure_cases": "discovery",
    "PrimResult": "discovery", "recommend": "recommend", "LEVERS": "recommend",
    "resolve_plan": "plan", "shipped_plans": "plan",
    "draw_parameters": "uncertainty", "variance_share": "uncertainty",
    "calibrate_acceptance": "behaviour", "AcceptanceCalibration": "behaviour",
    "LatentClass": "plan", "UncertainParameter": "plan", "ACCEPTANCE_MODELS": "plan",
    "MODALITY_GROUPS": "plan", "LIMITS": "plan",
}


def __getattr__(name):
    # heavier modules (scipy.optimize, SALib, pyarrow) load on first use, keeping the CLI's
    # start-up and ``import kexie_research.simulation`` fast
    if name in _LAZY:
        import importlib
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    *_LAZY,
    "Plan", "Term", "PopulationSpec", "SessionSpec", "Policy", "ModalitySpec", "EffectModel",
    "SEGMENTS", "SELECTIONS", "MODALITIES", "DEFAULT_MODALITIES",
    "Population", "load_population", "population_from_frame",
    "CompiledPlan", "SimulationResult", "Simulator", "compile_plan", "simulate",
    "simulate_individuals", "simulate_reference_loop",
]
