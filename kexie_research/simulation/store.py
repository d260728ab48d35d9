"""A streaming, provenance-tagged Parquet store for sweep results.

A store is a folder (conventionally named ``something.parquet``) of Parquet part files,
read as one table through :mod:`pyarrow.dataset`. A sweep writes a part file for every
batch of points as soon as the batch is done, so a large sweep never has to fit in memory;
a later run appends more part files (``extend``). Every row carries its provenance: the
run id, point id, parameter values, seed (entropy and spawn key), replications, plan name
and hash, and package version. Part files are written atomically through
:func:`kexie_research.io.atomic_write_bytes`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pandas as pd

from ..errors import KexieError
from ..io import atomic_write_bytes

__all__ = ["SweepStore", "PROVENANCE_COLUMNS"]

PROVENANCE_COLUMNS = ("run_id", "point_id", "seed_entropy", "seed_spawn_key", "replications",
                      "plan_name", "plan_sha256", "package_version", "method")


@dataclass(frozen=True)
class SweepStore:
    """A folder of Parquet parts holding sweep rows.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> st = SweepStore(tempfile.mkdtemp() + "/s.parquet")
    >>> _ = st.append(pd.DataFrame({"point_id": [0, 1], "coverage_mean": [0.5, 0.7]}), run_id="r1")
    >>> _ = st.append(pd.DataFrame({"point_id": [2], "coverage_mean": [0.9]}), run_id="r1")
    >>> st.load()["coverage_mean"].tolist(), st.next_point_id()
    ([0.5, 0.7, 0.9], 3)
    """

    path: Path

    def __init__(self, path) -> None:
        object.__setattr__(self, "path", Path(path))

    # ---- writing ------------------------------------------------------------------------
    def append(self, df: pd.DataFrame, *, run_id: str, metadata: dict | None = None) -> Path:
        """Write ``df`` as a new part file (atomic); returns its path."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        if self.path.exists() and not self.path.is_dir():
            raise KexieError(f"{self.path} exists and is not a sweep store folder")
        self.path.mkdir(parents=True, exist_ok=True)
        k = len(list(self.path.glob(f"part-{run_id}-*.parquet")))
        part = self.path / f"part-{run_id}-{k:05d}.parquet"
        table = pa.Table.from_pandas(df.reset_index(drop=True), preserve_index=False)
        meta = dict(table.schema.metadata or {})
        meta[b"kexie_research"] = json.dumps(metadata or {}, sort_keys=True, ensure_ascii=False).encode()
        table = table.replace_schema_metadata(meta)
        buf = pa.BufferOutputStream()
        pq.write_table(table, buf, compression="zstd")
        return atomic_write_bytes(part, buf.getvalue().to_pybytes(), root=self.path)

    # ---- reading ------------------------------------------------------------------------
    def parts(self) -> list[Path]:
        return sorted(self.path.glob("part-*.parquet")) if self.path.is_dir() else []

    def exists(self) -> bool:
        return bool(self.parts())

    def load(self, columns=None) -> pd.DataFrame:
        """All rows (sorted by ``point_id`` when present)."""
        import pyarrow.dataset as ds

        parts = self.parts()
        if not parts:
            return pd.DataFrame()
        t = ds.dataset([str(p) for p in parts], format="parquet").to_table(columns=columns)
        df = t.to_pandas()
        if "point_id" in df.columns:
            df = df.sort_values("point_id", kind="stable").reset_index(drop=True)
        return df

    def iter_batches(self, batch_size: int = 65536) -> Iterator[pd.DataFrame]:
        """Stream the rows in record batches (for stores larger than memory)."""
        import pyarrow.dataset as ds

        parts = self.parts()
        if not parts:
            return
        for b in ds.dataset([str(p) for p in parts], format="parquet").to_batches(batch_size=batch_size):
            yield b.to_pandas()

    def next_point_id(self) -> int:
        """The first unused point id (for extending a sweep)."""
        import pyarrow.dataset as ds
        import pyarrow.compute as pc

        parts = self.parts()
        if not parts:
            return 0
        col = ds.dataset([str(p) for p in parts], format="parquet").to_table(columns=["point_id"])["point_id"]
        return int(pc.max(col).as_py()) + 1 if len(col) else 0

    def metadata(self) -> list[dict]:
        """The metadata of every part (plan text, parameters, seed, version)."""
        import pyarrow.parquet as pq

        out = []
        for p in self.parts():
            m = pq.read_schema(p).metadata or {}
            out.append(json.loads(m.get(b"kexie_research", b"{}")))
        return out
