"""Interactive explorers (ipywidgets) over the analysis API, for the notebooks.

Each explorer is a class whose controls are attributes and whose ``.result`` is the
analysis result recomputed when a control changes; display it in a notebook by leaving
it as the last expression of a cell. Importing this subpackage imports ipywidgets; the
package root never does. See ``docs/notebooks.md``.
"""

from .common import LANGS, Debouncer, Explorer, default_export_dir, mc_size, quick_mode, tr
from .data_tour import ValidationExplorer, dataset_overview, write_messy_example
from .coverage import CoverageExplorer
from .compliance import ComplianceExplorer
from .effectiveness import QualityExplorer
from .gallery import FigureGallery, figure_index, paper_figures_dir
from .networks import NetworkExplorer
from .scenario import ScenarioExplorer
from .simulator import PlanSimulator, controls_from_plan, plan_from_controls

__all__ = [
    "LANGS", "Debouncer", "Explorer", "default_export_dir", "mc_size", "quick_mode", "tr",
    "ValidationExplorer", "dataset_overview", "write_messy_example",
    "CoverageExplorer", "ComplianceExplorer", "QualityExplorer", "NetworkExplorer",
    "PlanSimulator", "plan_from_controls", "controls_from_plan", "ScenarioExplorer",
    "FigureGallery", "figure_index", "paper_figures_dir",
]
