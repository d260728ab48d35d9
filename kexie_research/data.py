"""The embedded datasets and loading a whole dataset folder.

A dataset folder holds one file per table kind, named ``<kind>.csv`` (or ``.xlsx``,
``.csv.gz``); the shipped synthetic files are named ``<kind>_synthetic.csv``. The
embedded folder is found, in order, from the ``KEXIE_DATASETS`` environment variable,
the package's bundled copy (``kexie_research/_datasets`` in a wheel) or the source tree's
top-level ``datasets/``. User data never has to live there: pass any folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path

import pandas as pd

from .errors import DataValidationError
from .io import file_sha256
from .schema import TABLE_KINDS
from .validate import LoadResult, check_foreign_keys, load_table

__all__ = ["Dataset", "datasets_dir", "real_dir", "synthetic_dir", "plans_dir", "load_real",
           "load_dataset", "find_table_file"]


def datasets_dir() -> Path:
    """Folder of the embedded datasets (see module docstring for the search order)."""
    env = os.environ.get("KEXIE_DATASETS")
    if env:
        return Path(env)
    try:
        bundled = Path(str(resources.files("kexie_research") / "_datasets"))
        if bundled.is_dir():
            return bundled
    except (ModuleNotFoundError, TypeError):  # pragma: no cover
        pass
    return Path(__file__).resolve().parents[1] / "datasets"


def real_dir() -> Path:
    """Folder of data transcribed from the seed documents (with provenance)."""
    return datasets_dir() / "real"


def synthetic_dir() -> Path:
    """Folder of the shipped synthetic data (labelled synthetic in name and content)."""
    return datasets_dir() / "synthetic"


def plans_dir() -> Path:
    """Folder of the shipped simulation plans (TOML)."""
    return datasets_dir() / "plans"


_SUFFIXES = (".csv", ".csv.gz", ".xlsx")


def find_table_file(directory: str | os.PathLike, kind: str) -> Path | None:
    """The file holding table ``kind`` in ``directory`` (``kind.csv``, ``kind_synthetic.csv``...)."""
    d = Path(directory)
    for stem in (kind, f"{kind}_synthetic"):
        for suf in _SUFFIXES:
            p = d / f"{stem}{suf}"
            if p.is_file():
                return p
    return None


@dataclass(frozen=True)
class Dataset:
    """Validated tables of one study (any may be ``None`` when absent).

    ``files`` maps each loaded kind to its path, ``hashes`` to the file's SHA-256, and
    ``loads`` to the :class:`LoadResult` (rejects included).
    """

    representatives: pd.DataFrame | None = None
    trainings: pd.DataFrame | None = None
    curriculum: pd.DataFrame | None = None
    attendance: pd.DataFrame | None = None
    survey: pd.DataFrame | None = None
    cadres: pd.DataFrame | None = None
    hours_log: pd.DataFrame | None = None
    organizations: pd.DataFrame | None = None
    links: pd.DataFrame | None = None
    outputs: pd.DataFrame | None = None
    costs: pd.DataFrame | None = None
    directory: str | None = None
    files: dict[str, str] = field(default_factory=dict)
    hashes: dict[str, str] = field(default_factory=dict)
    loads: dict[str, LoadResult] = field(default_factory=dict, repr=False)
    foreign_key_rejects: pd.DataFrame | None = field(default=None, repr=False)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables present, by kind."""
        return {f.name: getattr(self, f.name) for f in fields(self)
                if f.name in TABLE_KINDS and getattr(self, f.name) is not None}

    @property
    def is_synthetic(self) -> bool:
        return any("_synthetic" in Path(p).name for p in self.files.values())

    def provenance(self) -> dict:
        """Files and SHA-256 hashes (for reports)."""
        return {k: {"file": Path(self.files[k]).name, "sha256": self.hashes[k],
                    "rows": int(len(getattr(self, k)))} for k in sorted(self.files)}


def load_dataset(directory: str | os.PathLike | None = None, *, kinds=None,
                 errors: str = "raise") -> Dataset:
    """Load and validate every table file found in ``directory``.

    Parameters
    ----------
    directory : path-like, optional
        Dataset folder; defaults to the embedded synthetic data (:func:`synthetic_dir`).
    kinds : iterable of str, optional
        Restrict to these table kinds.
    errors : {"raise", "collect"}
        As in :func:`kexie_research.validate.load_table`; with ``"raise"`` any rejected
        row or dangling foreign key raises :class:`DataValidationError`.

    Returns
    -------
    Dataset
    """
    d = Path(directory) if directory is not None else synthetic_dir()
    if not d.is_dir():
        raise FileNotFoundError(f"no such dataset folder: {d}")
    wanted = tuple(kinds) if kinds is not None else TABLE_KINDS
    tables, files, hashes, loads = {}, {}, {}, {}
    for kind in wanted:
        p = find_table_file(d, kind)
        if p is None:
            continue
        res = load_table(p, kind, errors=errors)
        tables[kind] = res.accepted
        files[kind] = str(p)
        hashes[kind] = file_sha256(p)
        loads[kind] = res
    if not tables:
        raise DataValidationError(
            f"no table files in {d} (expected names like representatives.csv, "
            f"attendance.csv; kinds: {', '.join(TABLE_KINDS)})", file=str(d), rule="dataset")
    fk = check_foreign_keys(tables, files={k: Path(v).name for k, v in files.items()})
    if errors == "raise" and len(fk):
        r = fk.iloc[0]
        raise DataValidationError(r["message"] + (f" (and {len(fk) - 1} more)" if len(fk) > 1 else ""),
                                  file=r["file"], row=int(r["row"]), column=r["column"],
                                  value=r["value"], rule="foreign_key")
    return Dataset(**tables, directory=str(d), files=files, hashes=hashes, loads=loads,
                   foreign_key_rejects=fk)


def load_real(name: str) -> pd.DataFrame:
    """A table transcribed from the seed documents, e.g. ``load_real("paper_table1_sessions")``.

    These files carry a ``source`` column naming seed file and table/section; see
    ``datasets/real/SOURCES.md``.
    """
    p = real_dir() / f"{name}.csv"
    if not p.is_file():
        avail = sorted(q.stem for q in real_dir().glob("*.csv"))
        raise FileNotFoundError(f"no real dataset {name!r}; available: {', '.join(avail)}")
    return pd.read_csv(p, encoding="utf-8", keep_default_na=True)
