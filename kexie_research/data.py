"""The embedded datasets and loading a whole dataset folder.

A dataset folder holds one file per table kind, named ``<kind>.csv`` (or ``.xlsx``,
``.csv.gz``); the shipped synthetic files are named ``<kind>_synthetic.csv``. Names are
matched without regard to case (``Attendance.CSV`` is the attendance table). Nothing is
skipped or chosen silently: two files for one table (``attendance.csv`` and
``attendance.xlsx``), a table name that is a directory, a FIFO, a device or a dangling
link, and a table whose references point at a table the folder lacks (links without
organisations) are errors naming the file; other files with a table suffix are listed
in :attr:`Dataset.ignored`.

The embedded folder is found, in order, from the ``KEXIE_DATASETS`` environment variable,
the package's bundled copy (``kexie_research/_datasets`` in a wheel) or the source tree's
top-level ``datasets/``. User data never has to live there: pass any folder.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import stat
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path

import pandas as pd

from .errors import DataValidationError
from .io import file_sha256
from .schema import TABLE_KINDS, TABLES
from .validate import REJECT_COLUMNS, LoadResult, check_foreign_keys, load_table

__all__ = ["Dataset", "datasets_dir", "real_dir", "synthetic_dir", "plans_dir", "load_real",
           "load_dataset", "find_table_file", "discover_tables", "ERROR_MODES"]


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
# also recognised, so that they are read (and refused with a reason) rather than skipped
_TABLE_SUFFIXES = _SUFFIXES + (".xlsm", ".xls", ".tsv")
ERROR_MODES = ("raise", "collect", "drop")


def _table_suffix(name: str) -> str | None:
    low = name.lower()
    for suf in sorted(_TABLE_SUFFIXES, key=len, reverse=True):
        if low.endswith(suf):
            return suf
    return None


def _refuse_unusable(p: Path, kind: str) -> None:
    """A table file that is not a readable regular file is an error, never skipped."""
    try:
        st = os.stat(p)
    except FileNotFoundError:
        raise DataValidationError(f"the {kind} table is a link to nothing (a dangling symlink)",
                                  file=str(p), rule="table_file") from None
    except OSError as exc:
        raise DataValidationError(f"the {kind} table cannot be read ({exc.strerror})",
                                  file=str(p), rule="table_file") from None
    if stat.S_ISDIR(st.st_mode):
        raise DataValidationError(f"the {kind} table is a directory, not a file",
                                  file=str(p), rule="table_file")
    if not stat.S_ISREG(st.st_mode):
        what = ("a FIFO" if stat.S_ISFIFO(st.st_mode) else "a device" if
                stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else "not a regular file")
        raise DataValidationError(f"the {kind} table is {what}; tables must be regular files",
                                  file=str(p), rule="table_file")
    if not os.access(p, os.R_OK):
        raise DataValidationError(f"the {kind} table is not readable (permission denied)",
                                  file=str(p), rule="table_file")


def discover_tables(directory: str | os.PathLike) -> tuple[dict[str, Path], tuple[str, ...]]:
    """The table file of each kind in ``directory``, and notes on the files not used.

    A file is the table of ``kind`` when its name, ignoring case, is ``<kind>`` or
    ``<kind>_synthetic`` followed by ``.csv``, ``.csv.gz`` or ``.xlsx`` (``.xls``/``.xlsm``/
    ``.tsv`` are picked up too, so that the reader can say why it refuses them).

    Returns
    -------
    files : dict
        Kind -> path, for the kinds present.
    ignored : tuple of str
        One note per other file with a table suffix (with a suggestion when its name is
        close to a table's).

    Raises
    ------
    DataValidationError
        Two files for one kind (rule ``table_file``, naming both); a table file that is a
        directory, a FIFO, a device, a dangling link or unreadable.

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> _ = (d / "Attendance.CSV").write_text("x"), (d / "reps.csv").write_text("x")
    >>> files, ignored = discover_tables(d)
    >>> files["attendance"].name, ignored
    ('Attendance.CSV', ('reps.csv: not a table name (did you mean representatives?)',))
    """
    d = Path(directory)
    stems = {k: (k, f"{k}_synthetic") for k in TABLE_KINDS}
    by_kind: dict[str, list[Path]] = {}
    ignored: list[str] = []
    for entry in sorted(os.scandir(d), key=lambda e: e.name):
        suf = _table_suffix(entry.name)
        if suf is None or entry.name.startswith("."):
            continue
        stem = entry.name[: -len(suf)].lower()
        kind = next((k for k, names in stems.items() if stem in names), None)
        if kind is None:
            close = [k for k in TABLE_KINDS if len(stem) >= 3 and k.startswith(stem[:3])]
            if len(close) != 1:
                close = difflib.get_close_matches(stem, TABLE_KINDS, n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]}?)" if close else ""
            ignored.append(f"{entry.name}: not a table name{hint}")
            continue
        by_kind.setdefault(kind, []).append(d / entry.name)
    files: dict[str, Path] = {}
    for kind in TABLE_KINDS:
        cands = by_kind.get(kind, [])
        if len(cands) > 1:
            raise DataValidationError(
                f"{len(cands)} files for the {kind} table: {', '.join(p.name for p in cands)}; "
                "keep one (which one is meant cannot be guessed)", file=str(d / cands[0].name),
                rule="table_file")
        if cands:
            _refuse_unusable(cands[0], kind)
            files[kind] = cands[0]
    return files, tuple(ignored)


def find_table_file(directory: str | os.PathLike, kind: str) -> Path | None:
    """The file holding table ``kind`` in ``directory`` (``kind.csv``, ``Kind.CSV``,
    ``kind_synthetic.csv``...), or ``None``; see :func:`discover_tables` for the errors."""
    return discover_tables(directory)[0].get(kind)


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
    ignored: tuple[str, ...] = ()
    errors: str = "raise"
    failed: dict[str, str] = field(default_factory=dict)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables present, by kind."""
        return {f.name: getattr(self, f.name) for f in fields(self)
                if f.name in TABLE_KINDS and getattr(self, f.name) is not None}

    @property
    def is_synthetic(self) -> bool:
        return any("_synthetic" in Path(p).name for p in self.files.values())

    @property
    def n_rejected(self) -> int:
        """Rows rejected over all tables (foreign-key rejects included)."""
        n = sum(r.n_rejected for r in self.loads.values())
        if self.errors != "drop" and self.foreign_key_rejects is not None:
            n += int(self.foreign_key_rejects[["file", "row"]].drop_duplicates().shape[0])
        return n

    def rejects(self) -> pd.DataFrame:
        """Every reject of every table, foreign keys included (``file, row, column, value,
        rule, message``): what ``report --keep-going`` writes to ``rejects.csv``. A table
        refused as a whole (:attr:`failed`) is one row with rule ``table_refused``."""
        parts = [r.rejects for r in self.loads.values() if len(r.rejects)]
        if self.failed:
            parts.append(pd.DataFrame([{"file": f, "row": None, "column": None, "value": None,
                                        "rule": "table_refused", "message": msg}
                                       for f, msg in self.failed.items()]))
        if self.errors != "drop" and self.foreign_key_rejects is not None \
                and len(self.foreign_key_rejects):
            parts.append(self.foreign_key_rejects)
        if not parts:
            return pd.DataFrame(columns=list(REJECT_COLUMNS))
        out = pd.concat(parts, ignore_index=True)[list(REJECT_COLUMNS)]
        out["row"] = out["row"].astype("Int64")
        return out

    def provenance(self) -> dict:
        """Files and SHA-256 hashes (for reports)."""
        return {k: {"file": Path(self.files[k]).name, "sha256": self.hashes[k],
                    "rows": int(len(getattr(self, k)))} for k in sorted(self.files)}


def _missing_references(tables: dict, files: dict, present: set[str]) -> None:
    """A table whose references point at a table the folder lacks cannot be checked: error."""
    for kind, df in tables.items():
        for fk in TABLES[kind].foreign_keys:
            if fk.ref_table in tables or fk.ref_table in present:
                continue   # loaded, or left out on purpose (``kinds=``)
            if fk.column in df.columns and df[fk.column].notna().any():
                raise DataValidationError(
                    f"{fk.column} refers to {fk.ref_table}.{fk.ref_column}, but the folder has no "
                    f"{fk.ref_table} table, so the references cannot be checked; add "
                    f"{fk.ref_table}.csv", file=Path(files[kind]).name, column=fk.column,
                    rule="foreign_key_table")


def _drop_dangling(tables: dict, loads: dict, files: dict, failed=()) -> pd.DataFrame:
    """Reject (remove and record) rows whose foreign keys dangle, until none is left.

    A table refused as a whole (``failed``) resolves no reference."""
    kind_of = {Path(v).name: k for k, v in files.items()}
    found = []
    empty = {k: pd.DataFrame({c: pd.Series(dtype=object) for c in TABLES[k].key or ()})
             for k in failed}
    while True:
        fk = check_foreign_keys({**empty, **tables},
                                files={k: Path(v).name for k, v in files.items()})
        if not len(fk):
            break
        found.append(fk)
        for name, grp in fk.groupby("file", sort=False):
            kind = kind_of[name]
            res = loads[kind]
            add = grp.assign(file=files[kind])[list(REJECT_COLUMNS)]
            rejects = pd.concat([res.rejects, add], ignore_index=True)
            rejects["row"] = rejects["row"].astype("Int64")
            rejects = rejects.sort_values(["row", "column"], kind="stable",
                                          na_position="first").reset_index(drop=True)
            accepted = res.accepted.drop(index=[r for r in grp["row"].astype(int).unique()
                                                if r in res.accepted.index])
            loads[kind] = dataclasses.replace(res, accepted=accepted, rejects=rejects)
            tables[kind] = accepted
    if not found:
        return check_foreign_keys({})
    return pd.concat(found, ignore_index=True)


def load_dataset(directory: str | os.PathLike | None = None, *, kinds=None,
                 errors: str = "raise") -> Dataset:
    """Load and validate every table file found in ``directory``.

    Parameters
    ----------
    directory : path-like, optional
        Dataset folder; defaults to the embedded synthetic data (:func:`synthetic_dir`).
        Table files are found by :func:`discover_tables` (case-insensitive names; two
        files for one table, or a table name that is not a regular file, is an error).
    kinds : iterable of str, optional
        Restrict to these table kinds (references to a table left out this way are not
        checked; references to a table the folder lacks are an error).
    errors : {"raise", "collect", "drop"}
        ``"raise"`` (default): any rejected row or dangling foreign key raises
        :class:`DataValidationError`. ``"collect"``: as in
        :func:`kexie_research.validate.load_table`; rows with dangling foreign keys stay
        in the tables and are listed in ``foreign_key_rejects``. ``"drop"`` (``report
        --keep-going``): like ``"collect"``, but rows whose foreign keys dangle are rejected
        too — removed from the tables and recorded in each table's ``loads[kind].rejects``
        — so that every table is consistent and rows read = accepted + rejected; a table
        file refused as a whole is left out, its reason in :attr:`Dataset.failed`, and the
        rows that refer to it are rejected.

    Returns
    -------
    Dataset
    """
    if errors not in ERROR_MODES:
        raise ValueError(f"errors must be one of {', '.join(ERROR_MODES)}, not {errors!r}")
    d = Path(directory) if directory is not None else synthetic_dir()
    if not d.is_dir():
        if d.exists():
            raise DataValidationError("expected a dataset folder, got a file", file=str(d),
                                      rule="dataset")
        raise FileNotFoundError(f"no such dataset folder: {d}")
    found, ignored = discover_tables(d)
    wanted = tuple(kinds) if kinds is not None else TABLE_KINDS
    tables, files, hashes, loads, failed = {}, {}, {}, {}, {}
    for kind in wanted:
        p = found.get(kind)
        if p is None:
            continue
        try:
            res = load_table(p, kind, errors="raise" if errors == "raise" else "collect")
        except DataValidationError as exc:
            if errors != "drop" or exc.result is not None:
                raise
            failed[kind] = str(exc)
            continue
        tables[kind] = res.accepted
        files[kind] = str(p)
        hashes[kind] = file_sha256(p)
        loads[kind] = res
    if not tables and not failed:
        raise DataValidationError(
            f"no table files in {d} (expected names like representatives.csv, "
            f"attendance.csv; kinds: {', '.join(TABLE_KINDS)})", file=str(d), rule="dataset")
    _missing_references(tables, files, set(found))
    if errors == "drop":
        fk = _drop_dangling(tables, loads, files, failed)
    else:
        fk = check_foreign_keys(tables, files={k: Path(v).name for k, v in files.items()})
    if errors == "raise" and len(fk):
        r = fk.iloc[0]
        raise DataValidationError(r["message"] + (f" (and {len(fk) - 1} more)" if len(fk) > 1 else ""),
                                  file=r["file"], row=int(r["row"]), column=r["column"],
                                  value=r["value"], rule="foreign_key")
    return Dataset(**tables, directory=str(d), files=files, hashes=hashes, loads=loads,
                   foreign_key_rejects=fk, ignored=ignored, errors=errors,
                   failed={str(found[k]): msg for k, msg in failed.items()})


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
