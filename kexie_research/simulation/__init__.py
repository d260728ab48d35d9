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

__all__ = [
    "Plan", "Term", "PopulationSpec", "SessionSpec", "Policy", "ModalitySpec", "EffectModel",
    "SEGMENTS", "SELECTIONS", "MODALITIES", "DEFAULT_MODALITIES",
    "Population", "load_population", "population_from_frame",
    "CompiledPlan", "SimulationResult", "Simulator", "compile_plan", "simulate",
    "simulate_individuals", "simulate_reference_loop",
]
