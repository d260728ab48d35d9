"""Exception types of kexie_research.

Every error that a user can cause (bad data, a bad plan file, a bad option) is one of
these; the CLI turns them into a one-line message and exit code 2. Anything else is a
bug and exits 1.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "KexieError",
    "DataValidationError",
    "PlanError",
    "HierarchyError",
    "AnalysisError",
    "MissingColumnsError",
    "UnsafeOutputError",
]


class KexieError(Exception):
    """Base class of every error kexie_research raises on purpose."""


class DataValidationError(KexieError, ValueError):
    """A table (or file) breaks a rule of the data model.

    Parameters
    ----------
    message : str
        What is wrong, in words.
    file, row, column, value, rule : optional
        Where: the file, the 1-based data row (header excluded), the column, the offending
        value and the name of the rule it breaks. ``None`` where it does not apply (e.g. a
        missing column has no row).
    result : LoadResult, optional
        When raised by a loader, the full outcome (accepted rows and every reject), so that
        callers can still write the rejects file.

    Examples
    --------
    >>> e = DataValidationError("not a date", file="t.csv", row=3, column="start_date",
    ...                         value="2022-13-01", rule="date")
    >>> str(e)
    "t.csv, row 3, column 'start_date', value '2022-13-01': not a date [rule: date]"
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
        value: Any = None,
        rule: str | None = None,
        result: Any = None,
    ) -> None:
        self.message = message
        self.file = file
        self.row = row
        self.column = column
        self.value = value
        self.rule = rule
        self.result = result
        super().__init__(self._format())

    def _format(self) -> str:
        where = []
        if self.file is not None:
            where.append(str(self.file))
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        if self.value is not None:
            v = str(self.value)
            if len(v) > 60:
                v = v[:57] + "..."
            where.append(f"value {v!r}")
        head = ", ".join(where)
        tail = f" [rule: {self.rule}]" if self.rule else ""
        return f"{head}: {self.message}{tail}" if head else f"{self.message}{tail}"


class PlanError(KexieError, ValueError):
    """A simulation plan file or plan object is invalid (names the key and the rule)."""


class HierarchyError(DataValidationError):
    """The organisation hierarchy is not a forest (cycle, orphan, level inversion)."""


class AnalysisError(KexieError, ValueError):
    """The data are valid but cannot support the requested analysis (e.g. one response)."""


class MissingColumnsError(DataValidationError, AnalysisError):
    """A table lacks columns an analysis needs (raised by :func:`kexie_research.stats.require_columns`).

    Both a :class:`DataValidationError` (the table breaks the data model: ``column`` is the
    first missing one, ``rule`` is ``"required_column"``) and an :class:`AnalysisError` (the
    analysis cannot run), so callers catching either keep working.

    Attributes
    ----------
    table : str
        The table's name (``"attendance"``, ``"organizations"``, ...).
    missing : tuple of str
        Every missing column, in the order asked for.

    Examples
    --------
    >>> str(MissingColumnsError("attendance", ("hours", "year"), ("rep_id",)))
    "column 'hours': the attendance table lacks column(s) hours, year (has: rep_id) [rule: required_column]"
    """

    def __init__(self, table: str, missing, present=()) -> None:
        self.table = str(table)
        self.missing = tuple(str(c) for c in missing)
        self.present = tuple(str(c) for c in present)
        super().__init__(f"the {self.table} table lacks column(s) {', '.join(self.missing)} "
                         f"(has: {', '.join(map(str, present)) or 'no columns'})",
                         column=self.missing[0] if self.missing else None, rule="required_column")

    def __reduce__(self):  # picklable across worker processes
        return (type(self), (self.table, self.missing, self.present))


class UnsafeOutputError(KexieError, PermissionError):
    """A write would land outside the chosen output directory or clobber a user file."""
