"""Report section: the data used, validation accounting and provenance."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ... import labels
from .. import ReportContext, Section


def build(ctx: ReportContext) -> Section:
    ds = ctx.dataset
    rows = []
    for kind, res in ds.loads.items():
        rows.append({
            "table": kind if ctx.lang == "en" else f"{labels.label(kind, 'zh', kind='table')}（{kind}）",
            "file": Path(ds.files[kind]).name,
            "encoding": res.encoding or "xlsx",
            "rows_read": res.n_input,
            "accepted": res.n_accepted,
            "rejected": res.n_rejected,
            "sha256": ds.hashes[kind][:12],
        })
    table = pd.DataFrame(rows)
    table = table.rename(columns={c: labels.column_label(c, ctx.lang) for c in table.columns})
    n_fk = 0 if ds.foreign_key_rejects is None else len(ds.foreign_key_rejects)
    sec = Section("data", ctx.t("数据与来源", "Data and provenance"), data_origin=ctx.origin)
    synth = ds.is_synthetic
    sec.blocks.append(ctx.text(
        ctx.t("本报告所用数据" + ("为**合成数据**（由带种子的生成器按种子文献校准生成，非真实个人）。"
                                  if synth else "来自用户提供的目录。")
              + f"所有表均经数据模型校验：读入行数 = 接受 + 拒绝；跨表外键不匹配 {n_fk} 处。",
              "The data are " + ("**synthetic** (a seeded generator calibrated to the seed "
                                 "documents; no real persons). " if synth else "the user's folder. ")
              + "Every table was validated against the data model: rows read = accepted + "
              f"rejected; {n_fk} dangling cross-table references.")))
    sec.blocks.append(ctx.table("data_tables", table, ctx.t("表1 数据表与校验", "Table 1. Tables and validation")))
    sec.summary = {
        "synthetic": synth,
        "tables": {k: {"rows": int(r.n_input), "accepted": int(r.n_accepted),
                       "rejected": int(r.n_rejected)} for k, r in ds.loads.items()},
        "foreign_key_problems": int(n_fk),
    }
    return sec
