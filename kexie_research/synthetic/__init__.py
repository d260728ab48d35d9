"""Calibrated, seeded synthetic data for a whole CAST congress study.

The generator builds representatives of the 9th congress, the six national training
sessions after it exactly as the paper's Table 1 reports them (584 distinct
representatives from 31 provinces), synthetic provincial and online sessions, curricula,
attendance, quality-survey responses with pre/post tests, duty outputs with a planted
training effect, costs, cadres with training-hours logs, and a national-scale organisation
network calibrated to the enterprise-association survey (26,708 in 2021). Randomness comes
only from ``numpy.random.SeedSequence`` / ``Generator``; the same seed gives byte-identical
files. The shipped default dataset (``datasets/synthetic/``) is
:func:`kexie_research.calibration.generate_dataset` ``(dir, seed=20240)``: writing the folder
with its calibration report needs the analyses, which the generator does not import.

See ``docs/synthetic.md`` for the model, every assumption and :data:`PLANTED_EFFECTS`.
"""

from ._common import DEFAULT_SEED, GENERATOR_VERSION, source_label
from .dataset import GZIPPED_KINDS, generate_tables, write_dataset
from .effects import PLANTED_EFFECTS
from .network import HELIX_CLASSES, NETWORK_SIZES, generate_network
from .people import DELEGATION_SHARES, TARGET_SHARES, generate_cadres, generate_representatives
from .training import NINTH_SESSIONS, SYNTHETIC_SESSIONS, treated_from_year

__all__ = [
    "PLANTED_EFFECTS",
    "GENERATOR_VERSION",
    "DEFAULT_SEED",
    "DELEGATION_SHARES",
    "TARGET_SHARES",
    "HELIX_CLASSES",
    "NETWORK_SIZES",
    "NINTH_SESSIONS",
    "SYNTHETIC_SESSIONS",
    "GZIPPED_KINDS",
    "generate_representatives",
    "generate_cadres",
    "generate_network",
    "generate_tables",
    "write_dataset",
    "treated_from_year",
    "source_label",
]
