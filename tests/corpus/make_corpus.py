"""(Re)create the malformed-input corpus and its manifest, deterministically.

Run from the repository root::

    .venv/bin/python tests/corpus/make_corpus.py            # writes tests/corpus/
    .venv/bin/python tests/corpus/make_corpus.py --out DIR  # writes elsewhere (tests compare)

Every case is declared once below (:data:`CASES`): the bytes of the file (text in a chosen
encoding, raw bytes, or an openpyxl workbook saved with fixed metadata) and what the loader
must do with it. ``manifest.toml`` is written from the same declarations, so the data-driven
test (``tests/test_corpus.py``) and the files never drift apart; a test re-runs this script
into a temporary folder and checks the bytes are identical.

Outcomes
--------
``accept``  loads with no reject; ``n_input`` rows (valid-but-tricky files).
``reject``  loads, but rows are rejected: ``rule`` at ``row``/``column`` with ``value``;
            ``n_input``/``n_accepted`` give the accounting.
``error``   the file as a whole is refused (``DataValidationError`` with ``rule``).
Dataset cases (a folder, ``kind = "dataset"``) go through ``kexie_research.load_dataset``.

Commands
--------
:data:`COMMANDS` (``[[command]]`` in the manifest) are whole command lines run by
``tests/corpus/runner.py`` in child processes, with the time and the peak memory of each
measured: hostile inputs too large to store (a gzip bomb, a 100 MB file, millions of
cells, a workbook whose sheet unpacks to 300 MB — built at test time by the
:data:`SETUPS` they name), FIFOs and devices as inputs or outputs, outputs that are
inputs, bad option values, dataset folders and ``--keep-going``. Each must exit with its
``code`` (never 1), print no traceback, finish within 30 s and stay under 1.5 GB.
"""

from __future__ import annotations

import argparse
import codecs
import datetime as dt
import gzip
import io
import os
import re
import shutil
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent

# ---- valid base tables (header, rows) ---------------------------------------------------
REPS_H = "rep_id,congress,province,delegation_type,sector,is_academician,is_frontline,is_reelected"
REPS = ["R001,10,上海,local_association,university,否,是,0",
        "R002,10,甘肃,local_association,enterprise,no,yes,1",
        "R003,10,广东,local_association,hospital,false,true,false"]
TRN_H = "training_id,name,level,host_province,city,start_date,end_date,modality"
TRN = ["T01,第一期代表履职培训班,national,北京,北京,2022-05-10,2022-05-14,centralized",
       "T02,第二期代表履职培训班,national,浙江,杭州,2022-09-01,2022-09-03,online",
       "T03,第三期代表履职培训班,provincial,四川,成都,2023-04-02,2023-04-06,hybrid"]
CUR_H = "training_id,module_id,title,category,method,lecturer_type,hours"
CUR = ["T01,M1,科协章程解读,theory,lecture,leader,3",
       "T01,M2,履职案例研讨,duty_skills,case,expert,4",
       "T02,M1,建言献策方法,duty_skills,seminar,representative,2.5"]
ATT_H = "rep_id,training_id,hours,completed,role"
ATT = ["R001,T01,32,是,learner", "R002,T01,30,是,learner", "R003,T02,16,否,learner"]
ITEMS = ("needs_fit,curriculum_design,lecturers,content_satisfaction,method_effectiveness,"
         "organisation,study_climate,capability_gain")
SUR_H = f"response_id,training_id,rater_role,{ITEMS}"
SUR = ["S1,T01,learner,5,4,5,4,4,5,5,4", "S2,T01,teacher,4,4,4,4,3,4,4,4",
       "S3,T02,learner,3,3,4,3,3,3,4,3"]
CAD_H = "cadre_id,rank,is_party_member,is_branch_secretary"
CAD = ["C01,bureau,是,否", "C02,division,是,是", "C03,new_hire,否,否"]
HRS_H = "cadre_id,year,hours,days,modality,off_job,category"
HRS = ["C01,2022,40,5,offline,是,general", "C01,2022,12,0,online,否,party_study",
       "C02,2023,56,7,offline,是,system_training"]
ORG_H = ("org_id,name,type,level,province,parent_id,founded_year,members,has_site,"
         "has_facilities,has_staff,has_funding,has_activities,has_rules,active_last_year")
ORG = ["O1,中国科协,cast,national,,,1958,,是,是,是,是,是,是,是",
       "O2,上海市科协,provincial_association,provincial,上海,O1,1958,,是,是,是,是,是,是,是",
       "O3,浦东新区科协,county_association,county,上海,O2,1993,120,是,是,否,是,是,是,是"]
LNK_H = "source_id,target_id,kind,year,weight"
LNK = ["O1,O2,membership,2020,1", "O2,O3,project,2021,2.5", "O3,O1,training,2022,1"]
OUT_H = "rep_id,year,proposals,research_reports,suggestions_adopted"
OUT = ["R001,2022,2,1,1", "R002,2022,0,0,0", "R003,2023,5,2,3"]
CST_H = "training_id,category,amount"
CST = ["T01,venue,120000", "T01,lodging,86000.50", "T02,platform,15000"]

BASE = {"representatives": (REPS_H, REPS), "trainings": (TRN_H, TRN),
        "curriculum": (CUR_H, CUR), "attendance": (ATT_H, ATT), "survey": (SUR_H, SUR),
        "cadres": (CAD_H, CAD), "hours_log": (HRS_H, HRS), "organizations": (ORG_H, ORG),
        "links": (LNK_H, LNK), "outputs": (OUT_H, OUT), "costs": (CST_H, CST)}


def csv_text(header: str, rows: list[str], eol: str = "\n") -> str:
    return eol.join([header, *rows]) + eol


def replace_cell(kind: str, row: int, column: str, value: str) -> str:
    """The base table of ``kind`` with one cell (1-based data row) replaced."""
    header, rows = BASE[kind]
    cols = header.split(",")
    rows = list(rows)
    cells = rows[row - 1].split(",")
    cells[cols.index(column)] = value
    rows[row - 1] = ",".join(cells)
    return csv_text(header, rows)


@dataclass
class Case:
    name: str           # file name inside files/ (or folder name inside datasets/)
    kind: str           # table kind, or "dataset"
    what: str           # one line: what is wrong (or tricky)
    outcome: str        # accept | reject | error
    data: bytes | dict[str, bytes] = b""
    rule: str = ""
    row: int | None = None
    column: str = ""
    value: str = ""
    n_input: int | None = None
    n_accepted: int | None = None
    message: str = ""   # a fragment the message must contain
    cells: list = field(default_factory=list)   # [[row, column, expected str(value)], ...]
    options: list = field(default_factory=list)  # extra CLI options, e.g. ["--sheet", "x"]
    tables: list = field(default_factory=list)   # dataset cases: the tables found (default all)
    keep_going: dict = field(default_factory=dict)  # dataset: kind -> [read, accepted, rejected]


def u8(text: str) -> bytes:
    return text.encode("utf-8")


# ---- Excel workbooks (deterministic bytes) --------------------------------------------------
_FIXED = dt.datetime(2000, 1, 1)


def _xlsx_bytes(build) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    build(wb)
    wb.properties.created = _FIXED
    wb.properties.modified = _FIXED
    wb.properties.creator = "kexie_research corpus"
    buf = io.BytesIO()
    wb.save(buf)
    return _normalize_zip(buf.getvalue())


def _normalize_zip(data: bytes) -> bytes:
    """Rewrite a zip with fixed member timestamps so the same workbook gives the same bytes."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=(2000, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":   # openpyxl stamps the save time here
                body = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                              rb"\g<1>2000-01-01T00:00:00Z\g<2>", body)
            dst.writestr(zi, body)
    return out.getvalue()


def _sheet(ws, header: str, rows: list[str]) -> None:
    ws.append(header.split(","))
    for r in rows:
        ws.append([_xl_value(v) for v in r.split(",")])


def _xl_value(v: str):
    try:
        return int(v)
    except ValueError:
        pass
    try:
        return float(v)
    except ValueError:
        return v if v != "" else None


def xlsx_merged_header() -> bytes:
    def build(wb):
        ws = wb.active
        ws.title = "attendance"
        ws.append(["2022年代表培训出勤表", None, None, None, None])
        ws.merge_cells("A1:E1")
        _sheet(ws, ATT_H, ATT)
    return _xlsx_bytes(build)


def xlsx_merged_in_header_row() -> bytes:
    def build(wb):
        ws = wb.active
        _sheet(ws, CAD_H, CAD)
        ws.merge_cells("C1:D1")
    return _xlsx_bytes(build)


def xlsx_extra_sheets() -> bytes:
    def build(wb):
        ws = wb.active
        ws.title = "说明"
        ws.append(["本表为示例"])
        _sheet(wb.create_sheet("Sheet2"), REPS_H, REPS)
    return _xlsx_bytes(build)


def xlsx_extra_sheets_named() -> bytes:
    def build(wb):
        ws = wb.active
        ws.title = "说明"
        ws.append(["本表为示例"])
        _sheet(wb.create_sheet("trainings"), TRN_H, TRN)
    return _xlsx_bytes(build)


def xlsx_valid_dates() -> bytes:
    def build(wb):
        ws = wb.active
        ws.append(TRN_H.split(","))
        for r in TRN:
            cells = [_xl_value(v) for v in r.split(",")]
            cells[5] = dt.datetime.fromisoformat(cells[5])
            cells[6] = dt.datetime.fromisoformat(cells[6])
            ws.append(cells)
    return _xlsx_bytes(build)


def xlsx_bad_cell() -> bytes:
    def build(wb):
        ws = wb.active
        _sheet(ws, HRS_H, HRS)
        ws["C3"] = -12
    return _xlsx_bytes(build)


def xlsx_beyond_header() -> bytes:
    def build(wb):
        ws = wb.active
        _sheet(ws, CST_H, CST)
        ws["E3"] = "备注：含税"
    return _xlsx_bytes(build)


def xlsx_empty() -> bytes:
    return _xlsx_bytes(lambda wb: None)


def xlsx_formula() -> bytes:
    def build(wb):
        ws = wb.active
        _sheet(ws, OUT_H, OUT)
        ws["C2"] = "=1+1"   # a formula with no cached value: read as empty
    return _xlsx_bytes(build)


def xlsx_far_cell() -> bytes:
    """A valid sheet plus one stray cell at XFD1048576: the sheet declares a grid of
    17 billion cells (a reader that walks the declared grid runs out of memory)."""
    def build(wb):
        ws = wb.active
        _sheet(ws, ATT_H, ATT)
        ws["XFD1048576"] = "stray"
    return _xlsx_bytes(build)


def xlsx_far_blank() -> bytes:
    """A valid sheet plus a formatted but empty cell at A1048576 (a million empty rows
    declared)."""
    def build(wb):
        from openpyxl.styles import Font

        ws = wb.active
        _sheet(ws, ATT_H, ATT)
        ws["A1048576"].font = Font(bold=True)
    return _xlsx_bytes(build)


def gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


# ---- the cases --------------------------------------------------------------------------------
def cases() -> list[Case]:
    C: list[Case] = []
    add = C.append
    dup_row = lambda kind, i: csv_text(BASE[kind][0], BASE[kind][1] + [BASE[kind][1][i]])  # noqa: E731

    # encodings and BOMs ------------------------------------------------------------------
    reps = csv_text(REPS_H, REPS)
    add(Case("reps_utf8_bom.csv", "representatives", "UTF-8 with BOM (valid)", "accept",
             codecs.BOM_UTF8 + u8(reps), n_input=3))
    add(Case("reps_gbk.csv", "representatives", "GBK/GB18030 as saved by Chinese Excel (valid)",
             "accept", reps.encode("gbk"), n_input=3, cells=[[1, "province", "上海"]]))
    add(Case("reps_utf16_bom.csv", "representatives", "UTF-16 with BOM (valid)", "accept",
             reps.encode("utf-16"), n_input=3))
    add(Case("trn_utf16le_nobom.csv", "trainings", "UTF-16-LE without BOM", "error",
             csv_text(TRN_H, TRN).encode("utf-16-le"), rule="encoding", message="UTF-16"))
    add(Case("trn_latin1.csv", "trainings", "latin-1 text (é) that is neither UTF-8 nor GBK",
             "error", csv_text(TRN_H, ["T08,Atelier franco-chinois,city,Beijing,Beijing,2022-01-01,"
                                       "2022-01-02,online",
                                       "T09,Séminaire à Pékin,city,Beijing,Beijing,2022-01-03,"
                                       "2022-01-04,online"]).encode("latin-1"), rule="encoding"))
    add(Case("reps_shiftjis.csv", "representatives", "Shift-JIS text: decodes as GB18030 "
             "mojibake, caught by the province rule", "reject",
             csv_text(REPS_H, ["R001,10,東京都,local_association,university,0,1,0",
                               "R002,10,大阪府,local_association,enterprise,0,1,1"])
             .encode("shift_jis"), rule="province", row=1, column="province", n_input=2,
             n_accepted=0))
    add(Case("att_truncated_utf8.csv", "attendance", "UTF-8 cut in the middle of a character",
             "error", u8(csv_text(ATT_H, ATT[:2] + ["R003,T02,16,否,学员"]))[:-3],
             rule="encoding", message="truncated"))
    add(Case("cur_utf8_one_bad_byte.csv", "curriculum", "UTF-8 with one corrupt byte "
             "(must not fall back to GB18030 mojibake)", "error",
             u8(csv_text(CUR_H, CUR)).replace("研讨".encode(), b"\xff\xfe\xfd", 1),
             rule="encoding", message="UTF-8"))
    add(Case("cad_unknown_encoding.csv", "cadres", "an encoding name that does not exist "
             "(--encoding)", "error", u8(csv_text(CAD_H, CAD)), rule="encoding",
             options=["--encoding", "klingon-8"]))
    add(Case("cad_nul_bytes.csv", "cadres", "NUL bytes (binary content)", "error",
             u8(csv_text(CAD_H, CAD)).replace(b"C02", b"C\x000\x002"), rule="format"))
    add(Case("cad_nul_late.csv", "cadres", "one NUL byte after the first 4 KiB", "error",
             u8(csv_text(CAD_H, CAD + [f"X{i:04d},section,是,否" for i in range(600)]
                         + ["Z\x00,section,是,否"])), rule="format"))
    add(Case("org_binary.csv", "organizations", "a PNG renamed to .csv", "error",
             b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), rule="format"))

    # line endings, delimiters, whitespace ---------------------------------------------------
    add(Case("att_crlf.csv", "attendance", "Windows CRLF line endings (valid)", "accept",
             u8(csv_text(ATT_H, ATT, "\r\n")), n_input=3))
    add(Case("att_mixed_eol.csv", "attendance", "mixed CRLF / LF / CR line endings (valid)",
             "accept", u8(ATT_H + "\r\n" + ATT[0] + "\n" + ATT[1] + "\r" + ATT[2] + "\r\n"),
             n_input=3))
    add(Case("lnk_semicolon.csv", "links", "semicolon-delimited (European Excel) (valid)",
             "accept", u8(csv_text(LNK_H.replace(",", ";"), [r.replace(",", ";") for r in LNK])),
             n_input=3))
    add(Case("cst_quoted_newline.csv", "costs", "quoted cell with a newline and a comma "
             "inside an optional column (valid)", "accept",
             u8(csv_text(CST_H + ",source", [CST[0] + ',"合同A,\n第2页"', CST[1] + ",x",
                                             CST[2] + ",y"])), n_input=3))
    add(Case("out_blank_lines.csv", "outputs", "blank lines between rows (skipped, valid)",
             "accept", u8(OUT_H + "\n\n" + OUT[0] + "\n\n\n" + OUT[1] + "\n" + OUT[2] + "\n\n"),
             n_input=3))
    add(Case("reps_fullwidth.csv", "representatives", "full-width digits, padded cells, "
             "Chinese synonyms (valid)", "accept",
             u8(csv_text(REPS_H, ["R001,１０, 上海市 ,local_association,高校,否,是,0"] + REPS[1:])),
             n_input=3, cells=[[1, "congress", "10"], [1, "province", "上海"],
                               [1, "sector", "university"]]))

    # empty, header-only, ragged ----------------------------------------------------------------
    add(Case("trn_empty.csv", "trainings", "empty file (0 bytes)", "error", b"",
             rule="non_empty"))
    add(Case("trn_whitespace.csv", "trainings", "only blank lines", "error", b"\n \r\n\t\n",
             rule="non_empty"))
    add(Case("cur_header_only.csv", "curriculum", "header, no rows", "error",
             u8(CUR_H + "\n"), rule="non_empty"))
    add(Case("sur_header_only_bom.csv", "survey", "BOM + header, no rows", "error",
             codecs.BOM_UTF8 + u8(SUR_H + "\r\n"), rule="non_empty"))
    add(Case("att_ragged_long.csv", "attendance", "a row with an extra field", "reject",
             u8(csv_text(ATT_H, [ATT[0], ATT[1] + ",extra", ATT[2]])), rule="field_count", row=2,
             n_input=3, n_accepted=2, message="6 fields"))
    add(Case("att_ragged_short.csv", "attendance", "a row with a missing field", "reject",
             u8(csv_text(ATT_H, [ATT[0], ATT[1], "R003,T02,16"])), rule="field_count", row=3,
             n_input=3, n_accepted=2, message="3 fields"))
    add(Case("lnk_unclosed_quote.csv", "links", "an unclosed quote swallowing the rest (the "
             "file is refused, naming the row and column where the quote opens)",
             "error", u8(csv_text(LNK_H, [LNK[0], 'O2,"O3,project,2021,2.5', LNK[2]])),
             rule="unclosed_quote", row=2, column="target_id", message="unclosed quote"))

    # columns -------------------------------------------------------------------------------------
    add(Case("reps_missing_column.csv", "representatives", "required column missing (sector)",
             "error", u8(csv_text(REPS_H.replace(",sector", ""),
                                  [",".join(r.split(",")[:4] + r.split(",")[5:]) for r in REPS])),
             rule="required_column", column="sector"))
    add(Case("att_duplicate_column.csv", "attendance", "the same column twice", "error",
             u8(csv_text(ATT_H + ",hours", [r + ",1" for r in ATT])), rule="duplicate_column",
             column="hours"))
    add(Case("cst_empty_header_cell.csv", "costs", "an empty header cell", "error",
             u8(csv_text(CST_H + ",", [r + ",x" for r in CST])), rule="header"))
    add(Case("hrs_extra_columns.csv", "hours_log", "user columns beyond the schema (valid, kept)",
             "accept", u8(csv_text(HRS_H + ",备注", [r + ",无" for r in HRS])), n_input=3,
             cells=[[1, "备注", "无"]]))
    add(Case("out_wrong_kind.csv", "", "columns of no known table (kind not given)", "error",
             u8("foo,bar\n1,2\n"), rule="guess_kind"))

    # keys -----------------------------------------------------------------------------------------
    add(Case("reps_duplicate_id.csv", "representatives", "the same rep_id twice", "reject",
             u8(dup_row("representatives", 0)), rule="unique_key", row=4, column="rep_id",
             value="R001", n_input=4, n_accepted=3, message="first at row 1"))
    add(Case("trn_duplicate_id.csv", "trainings", "the same training_id twice", "reject",
             u8(dup_row("trainings", 1)), rule="unique_key", row=4, column="training_id",
             value="T02", n_input=4, n_accepted=3))
    add(Case("att_duplicate_pair.csv", "attendance", "the same person and session twice",
             "reject", u8(dup_row("attendance", 2)), rule="unique_key", row=4,
             column="rep_id+training_id", value="R003/T02", n_input=4, n_accepted=3))
    add(Case("cur_duplicate_module.csv", "curriculum", "module id repeated within a session",
             "reject", u8(dup_row("curriculum", 0)), rule="unique_key", row=4, n_input=4,
             n_accepted=3))
    add(Case("sur_empty_id.csv", "survey", "an empty response_id", "reject",
             u8(replace_cell("survey", 2, "response_id", "")), rule="required_value", row=2,
             column="response_id", n_input=3, n_accepted=2))
    add(Case("cad_control_char_id.csv", "cadres", "an id with a control character",
             "reject", u8(replace_cell("cadres", 1, "cadre_id", "C\x0701")), rule="id_chars",
             row=1, column="cadre_id", n_input=3, n_accepted=2))

    # dates ------------------------------------------------------------------------------------------
    add(Case("trn_bad_date.csv", "trainings", "a date that does not exist", "reject",
             u8(replace_cell("trainings", 2, "start_date", "2022-02-30")), rule="date", row=2,
             column="start_date", value="2022-02-30", n_input=3, n_accepted=2))
    add(Case("trn_text_date.csv", "trainings", "a date in words", "reject",
             u8(replace_cell("trainings", 1, "end_date", "五月中旬")), rule="date", row=1,
             column="end_date", value="五月中旬", n_input=3, n_accepted=2))
    add(Case("trn_end_before_start.csv", "trainings", "ends before it starts", "reject",
             u8(replace_cell("trainings", 3, "end_date", "2023-03-01")), rule="end_after_start",
             row=3, column="end_date", value="2023-03-01", n_input=3, n_accepted=2))
    add(Case("trn_year_2263.csv", "trainings", "a date in year 2263 (beyond pandas' "
             "nanosecond range)", "reject", u8(replace_cell("trainings", 2, "end_date", "2263-01-01")),
             rule="date", row=2, column="end_date", value="2263-01-01", n_input=3, n_accepted=2))
    add(Case("trn_date_formats.csv", "trainings", "dates as 2022/5/10, 2022年9月1日, "
             "2023.04.02 (valid)", "accept",
             u8(csv_text(TRN_H, [TRN[0].replace("2022-05-10", "2022/05/10"),
                                 TRN[1].replace("2022-09-01", "2022年9月1日"),
                                 TRN[2].replace("2023-04-02", "2023.04.02")])),
             n_input=3, cells=[[2, "start_date", "2022-09-01 00:00:00"]]))
    add(Case("cad_bad_hired_on.csv", "cadres", "an optional date that does not parse",
             "reject", u8(csv_text(CAD_H + ",hired_on", [CAD[0] + ",2019-07-01",
                                                         CAD[1] + ",2020-13-01",
                                                         CAD[2] + ","])),
             rule="date", row=2, column="hired_on", value="2020-13-01", n_input=3, n_accepted=2))

    # numbers, hours, Likert, counts -------------------------------------------------------------
    add(Case("att_negative_hours.csv", "attendance", "negative hours", "reject",
             u8(replace_cell("attendance", 2, "hours", "-3")), rule="range", row=2,
             column="hours", value="-3", n_input=3, n_accepted=2))
    add(Case("att_absurd_hours.csv", "attendance", "absurd hours (9999 for one session)",
             "reject", u8(replace_cell("attendance", 1, "hours", "9999")), rule="range", row=1,
             column="hours", value="9999", n_input=3, n_accepted=2))
    add(Case("att_count_in_hours.csv", "attendance", "'约30' in a plain numeric column",
             "reject", u8(replace_cell("attendance", 3, "hours", "约30")), rule="number", row=3,
             column="hours", value="约30", n_input=3, n_accepted=2,
             message="looks like a count 30 (approx)"))
    add(Case("out_count_in_int.csv", "outputs", "'140多' where a plain number is expected",
             "reject", u8(replace_cell("outputs", 1, "proposals", "140多")), rule="number",
             row=1, column="proposals", value="140多", n_input=3, n_accepted=2,
             message="looks like a count 140 (at_least)"))
    add(Case("hrs_absurd_hours.csv", "hours_log", "absurd yearly hours (10000)", "reject",
             u8(replace_cell("hours_log", 3, "hours", "10000")), rule="range", row=3,
             column="hours", value="10000", n_input=3, n_accepted=2))
    add(Case("hrs_days_over_year.csv", "hours_log", "more days than a year has", "reject",
             u8(replace_cell("hours_log", 1, "days", "400")), rule="range", row=1,
             column="days", value="400", n_input=3, n_accepted=2))
    add(Case("hrs_infinite.csv", "hours_log", "an overflowing number (1e400)", "reject",
             u8(replace_cell("hours_log", 2, "hours", "1e400")), rule="finite", row=2,
             column="hours", value="1e400", n_input=3, n_accepted=2))
    add(Case("hrs_year_fraction.csv", "hours_log", "a fractional year", "reject",
             u8(replace_cell("hours_log", 1, "year", "2022.5")), rule="integer", row=1,
             column="year", value="2022.5", n_input=3, n_accepted=2))
    add(Case("sur_likert_high.csv", "survey", "Likert 6 on a 1–5 scale", "reject",
             u8(replace_cell("survey", 1, "lecturers", "6")), rule="range", row=1,
             column="lecturers", value="6", n_input=3, n_accepted=2))
    add(Case("sur_likert_zero.csv", "survey", "Likert 0 on a 1–5 scale", "reject",
             u8(replace_cell("survey", 3, "needs_fit", "0")), rule="range", row=3,
             column="needs_fit", value="0", n_input=3, n_accepted=2))
    add(Case("sur_likert_half.csv", "survey", "Likert 3.5", "reject",
             u8(replace_cell("survey", 2, "study_climate", "3.5")), rule="integer", row=2,
             column="study_climate", value="3.5", n_input=3, n_accepted=2))
    add(Case("sur_likert_words.csv", "survey", "Likert as words (非常满意)", "reject",
             u8(replace_cell("survey", 2, "capability_gain", "非常满意")), rule="number", row=2,
             column="capability_gain", value="非常满意", n_input=3, n_accepted=2))
    add(Case("sur_score_over_100.csv", "survey", "post-test score above 100", "reject",
             u8(csv_text(SUR_H + ",pre_score,post_score",
                         [SUR[0] + ",60,80", SUR[1] + ",,", SUR[2] + ",70,120"])),
             rule="range", row=3, column="post_score", value="120", n_input=3, n_accepted=2))
    add(Case("trn_participants_qualified.csv", "trainings", "participants '约70', '140多', "
             "'150余名' (parsed, qualifier kept)", "accept",
             u8(csv_text(TRN_H + ",participants_reported",
                         [TRN[0] + ",约70", TRN[1] + ",140多", TRN[2] + ",150余名"])),
             n_input=3, cells=[[1, "participants_reported", "70"],
                               [1, "participants_qualifier", "approx"],
                               [2, "participants_reported", "140"],
                               [2, "participants_qualifier", "at_least"],
                               [3, "participants_reported", "150"],
                               [3, "participants_qualifier", "at_least"]]))
    add(Case("trn_participants_words.csv", "trainings", "participants 'seventy' (not a count)",
             "reject", u8(csv_text(TRN_H + ",participants_reported",
                                   [TRN[0] + ",seventy", TRN[1] + ",66", TRN[2] + ","])),
             rule="count", row=1, column="participants_reported", value="seventy", n_input=3,
             n_accepted=2))
    add(Case("trn_participants_huge.csv", "trainings", "participants '99999999999999999999多' "
             "(a count beyond any integer type)", "reject",
             u8(csv_text(TRN_H + ",participants_reported",
                         [TRN[0] + ",66", TRN[1] + ",99999999999999999999多", TRN[2] + ","])),
             rule="range", row=2, column="participants_reported", value="99999999999999999999多",
             n_input=3, n_accepted=2))
    add(Case("trn_capacity_count.csv", "trainings", "'约100' as capacity (a plain number "
             "column)", "reject", u8(csv_text(TRN_H + ",capacity",
                                              [TRN[0] + ",约100", TRN[1] + ",80", TRN[2] + ","])),
             rule="number", row=1, column="capacity", value="约100", n_input=3, n_accepted=2,
             message="looks like a count 100 (approx)"))
    add(Case("cur_hours_text.csv", "curriculum", "hours 'half a day'", "reject",
             u8(replace_cell("curriculum", 2, "hours", "半天")), rule="number", row=2,
             column="hours", value="半天", n_input=3, n_accepted=2))
    add(Case("cst_negative_amount.csv", "costs", "a negative cost", "reject",
             u8(replace_cell("costs", 3, "amount", "-15000")), rule="range", row=3,
             column="amount", value="-15000", n_input=3, n_accepted=2))
    add(Case("cst_thousands.csv", "costs", "amounts with thousands separators and full-width "
             "digits (valid)", "accept",
             u8(csv_text(CST_H, ['T01,venue,"120,000"', "T01,lodging,８６０００.５０", CST[2]])),
             n_input=3, cells=[[1, "amount", "120000.0"], [2, "amount", "86000.5"]]))
    add(Case("lnk_zero_weight.csv", "links", "a tie of weight 0", "reject",
             u8(replace_cell("links", 1, "weight", "0")), rule="range", row=1, column="weight",
             value="0", n_input=3, n_accepted=2))
    add(Case("out_huge_int.csv", "outputs", "a 20-digit number in a whole-number column",
             "reject", u8(replace_cell("outputs", 3, "suggestions_adopted", "99999999999999999999")),
             rule="range", row=3, column="suggestions_adopted", value="99999999999999999999",
             n_input=3, n_accepted=2))
    add(Case("out_nan_text.csv", "outputs", "'NaN' / 'N/A' in required numbers", "reject",
             u8(replace_cell("outputs", 2, "research_reports", "N/A")), rule="required_value",
             row=2, column="research_reports", n_input=3, n_accepted=2))

    # categories, booleans, provinces ------------------------------------------------------------
    add(Case("reps_bad_bool.csv", "representatives", "a yes/no cell saying 'maybe'", "reject",
             u8(replace_cell("representatives", 3, "is_academician", "maybe")), rule="boolean",
             row=3, column="is_academician", value="maybe", n_input=3, n_accepted=2))
    add(Case("reps_bad_sector.csv", "representatives", "a sector outside the list", "reject",
             u8(replace_cell("representatives", 1, "sector", "军队")), rule="allowed_values",
             row=1, column="sector", value="军队", n_input=3, n_accepted=2))
    add(Case("reps_region_clash.csv", "representatives", "region contradicts province",
             "reject", u8(csv_text(REPS_H + ",region", [REPS[0] + ",west", REPS[1] + ",west",
                                                        REPS[2] + ","])),
             rule="region_matches_province", row=1, column="region", value="west", n_input=3,
             n_accepted=2))
    add(Case("cad_bad_rank.csv", "cadres", "a rank outside the list", "reject",
             u8(replace_cell("cadres", 2, "rank", "厅级")), rule="allowed_values", row=2,
             column="rank", value="厅级", n_input=3, n_accepted=2))
    add(Case("hrs_bad_modality.csv", "hours_log", "modality 'both'", "reject",
             u8(replace_cell("hours_log", 2, "modality", "both")), rule="allowed_values", row=2,
             column="modality", value="both", n_input=3, n_accepted=2))
    add(Case("trn_bad_province.csv", "trainings", "an unknown host province", "reject",
             u8(replace_cell("trainings", 2, "host_province", "火星")), rule="province", row=2,
             column="host_province", value="火星", n_input=3, n_accepted=2))
    add(Case("trn_qualifier_bad.csv", "trainings", "a qualifier outside exact/approx/at_least",
             "reject", u8(csv_text(TRN_H + ",participants_reported,participants_qualifier",
                                   [TRN[0] + ",70,roughly", TRN[1] + ",66,exact", TRN[2] + ",,"])),
             rule="allowed_values", row=1, column="participants_qualifier", value="roughly",
             n_input=3, n_accepted=2))

    # huge fields -------------------------------------------------------------------------------------
    add(Case("cur_long_title.csv", "curriculum", "a 5,000-character title (over max_length)",
             "reject", u8(replace_cell("curriculum", 1, "title", "长" * 5000)),
             rule="max_length", row=1, column="title", n_input=3, n_accepted=2))
    add(Case("trn_huge_field.csv", "trainings", "a 200,000-character cell (runaway field)",
             "error", u8(replace_cell("trainings", 2, "name", "x" * 200_000)),
             rule="field_size"))

    # organisation hierarchy and links ------------------------------------------------------------
    org = lambda rows: u8(csv_text(ORG_H, rows))  # noqa: E731
    add(Case("org_cycle.csv", "organizations", "a cycle O2 → O3 → O2", "reject",
             org([ORG[0], ORG[1].replace(",O1,", ",O3,"), ORG[2]]), rule="no_cycles", row=2,
             column="parent_id", n_input=3, n_accepted=1, message="cycle"))
    add(Case("org_self_parent.csv", "organizations", "an organisation that is its own parent",
             "reject", org([ORG[0], ORG[1].replace(",O1,", ",O2,"), ORG[2]]), rule="no_cycles",
             row=2, column="parent_id", value="O2", n_input=3, n_accepted=1))
    add(Case("org_orphan.csv", "organizations", "a parent that is not in the table", "reject",
             org([ORG[0], ORG[1], ORG[2].replace(",O2,", ",O99,")]), rule="parent_exists", row=3,
             column="parent_id", value="O99", n_input=3, n_accepted=2, message="orphan"))
    add(Case("org_child_above_parent.csv", "organizations", "a provincial body under a county "
             "one", "reject", org([ORG[0], ORG[1].replace(",O1,", ",O3,"),
                                   ORG[2].replace(",O2,", ",O1,")]),
             rule="parent_level_not_below", row=2, column="level", value="provincial",
             n_input=3, n_accepted=2))
    add(Case("org_long_cycle.csv", "organizations", "a 200-long cycle", "reject",
             org([ORG[0]] + [f"X{i},节点{i},other,national,,X{(i + 1) % 200},,,,,,,,,"
                             for i in range(200)]), rule="no_cycles", row=2, column="parent_id",
             n_input=201, n_accepted=1))
    add(Case("org_bad_type.csv", "organizations", "an organisation type outside the list",
             "reject", org([ORG[0], ORG[1].replace("provincial_association", "ngo"), ORG[2]]),
             rule="allowed_values", row=2, column="type", value="ngo", n_input=3, n_accepted=1))
    add(Case("org_rejected_parent.csv", "organizations", "a valid child of a rejected parent "
             "(rejected too: no dangling parent_id)", "reject",
             org([ORG[0], ORG[1].replace(",1958,", ",1858年,"), ORG[2]]), rule="parent_exists",
             row=3, column="parent_id", value="O2", n_input=3, n_accepted=1,
             message="was rejected (row 2)"))
    add(Case("org_duplicate_orphan_first.csv", "organizations", "a repeated org_id whose "
             "first row is an orphan (judged on the kept, first row)", "reject",
             org([ORG[0], ORG[2].replace(",O2,", ",O99,"), ORG[2].replace(",O2,", ",O1,")]),
             rule="parent_exists", row=2, column="parent_id", value="O99", n_input=3,
             n_accepted=1))
    add(Case("lnk_self_loop.csv", "links", "a tie from an organisation to itself", "reject",
             u8(replace_cell("links", 2, "target_id", "O2")), rule="no_self_loop", row=2,
             column="target_id", value="O2", n_input=3, n_accepted=2))
    add(Case("lnk_bad_kind.csv", "links", "a tie kind outside the list", "reject",
             u8(replace_cell("links", 3, "kind", "friendship")), rule="allowed_values", row=3,
             column="kind", value="friendship", n_input=3, n_accepted=2))
    add(Case("lnk_year_future.csv", "links", "a tie formed in year 3022", "reject",
             u8(replace_cell("links", 1, "year", "3022")), rule="range", row=1, column="year",
             value="3022", n_input=3, n_accepted=2))

    # Excel -------------------------------------------------------------------------------------------
    add(Case("att_merged_title.xlsx", "attendance", "a merged title row above the header",
             "error", xlsx_merged_header(), rule="header", message="merged"))
    add(Case("cad_merged_header.xlsx", "cadres", "two header cells merged", "error",
             xlsx_merged_in_header_row(), rule="header", message="C1:D1"))
    add(Case("reps_extra_sheets.xlsx", "representatives", "two sheets, none named after the "
             "table", "error", xlsx_extra_sheets(), rule="sheet", message="Sheet2"))
    add(Case("reps_extra_sheets_pick.xlsx", "representatives", "two sheets, the table chosen "
             "with --sheet (valid)", "accept", xlsx_extra_sheets(), n_input=3,
             options=["--sheet", "Sheet2"]))
    add(Case("trn_sheet_named.xlsx", "trainings", "extra sheet, one named after the table "
             "(valid)", "accept", xlsx_extra_sheets_named(), n_input=3))
    add(Case("trn_excel_dates.xlsx", "trainings", "real Excel dates (valid)", "accept",
             xlsx_valid_dates(), n_input=3, cells=[[1, "end_date", "2022-05-14 00:00:00"]]))
    add(Case("hrs_negative.xlsx", "hours_log", "negative hours in a workbook", "reject",
             xlsx_bad_cell(), rule="range", row=2, column="hours", value="-12", n_input=3,
             n_accepted=2))
    add(Case("cst_beyond_header.xlsx", "costs", "a note in a column with no header", "reject",
             xlsx_beyond_header(), rule="field_count", row=2, n_input=3, n_accepted=2))
    add(Case("out_empty.xlsx", "outputs", "a workbook with an empty sheet", "error",
             xlsx_empty(), rule="non_empty"))
    add(Case("out_formula.xlsx", "outputs", "a formula cell with no cached value", "reject",
             xlsx_formula(), rule="required_value", row=1, column="proposals", n_input=3,
             n_accepted=2))
    add(Case("cst_not_a_workbook.xlsx", "costs", "CSV text saved with an .xlsx name", "error",
             u8(csv_text(CST_H, CST)), rule="format"))
    add(Case("cst_legacy.xls", "costs", "a legacy .xls file", "error", b"\xd0\xcf\x11\xe0" * 8,
             rule="format"))
    add(Case("att_truncated.csv.gz", "attendance", "a truncated gzip file", "error",
             gzip.compress(u8(csv_text(ATT_H, ATT)), mtime=0)[:-12], rule="format"))
    add(Case("att_gzip_ok.csv.gz", "attendance", "a gzip-compressed CSV (valid)", "accept",
             gzip.compress(u8(csv_text(ATT_H, ATT)), mtime=0), n_input=3))


    # decimal marks (issue 15: "3,5" hours read as 35) -------------------------------------
    semi = lambda header, rows: u8(csv_text(header.replace(",", ";"), rows))  # noqa: E731
    add(Case("att_decimal_comma.csv", "attendance", "';'-separated with decimal commas: 3,5 "
             "hours is 3.5, never 35 (valid)", "accept",
             semi(ATT_H, ["R001;T01;3,5;是;learner", "R002;T01;30;是;learner",
                          "R003;T02;16,25;否;learner"]), n_input=3,
             cells=[[1, "hours", "3.5"], [2, "hours", "30.0"], [3, "hours", "16.25"]]))
    add(Case("cst_decimal_comma_grouped.csv", "costs", "';'-separated, 1.234,5 (thousands "
             "point, decimal comma): 1234.5, never 1.2345 (valid)", "accept",
             semi(CST_H, ["T01;venue;1.234,5", "T01;lodging;86.000,50", "T02;platform;15000"]),
             n_input=3, cells=[[1, "amount", "1234.5"], [2, "amount", "86000.5"]]))
    add(Case("cst_quoted_decimal_comma.csv", "costs", 'quoted "1,5" costs in a comma-separated '
             "file: 1.5, never 15 (valid)", "accept",
             u8(csv_text(CST_H, ['T01,venue,"1,5"', 'T01,lodging,"2,75"', "T02,platform,15000"])),
             n_input=3, cells=[[1, "amount", "1.5"], [2, "amount", "2.75"]]))
    add(Case("cst_thousands_grouped.csv", "costs", "thousands separators in well-formed groups "
             "with a decimal point: 12,345.5 and 1,000 (valid)", "accept",
             u8(csv_text(CST_H, ['T01,venue,"12,345.5"', 'T01,lodging,"1,000"', "T02,platform,0.5"])),
             n_input=3, cells=[[1, "amount", "12345.5"], [2, "amount", "1000.0"]]))
    add(Case("att_decimal_ambiguous.csv", "attendance", "';'-separated, '1,234' and no other "
             "number showing the decimal mark: 1234 or 1.234? (rejected, not guessed)", "reject",
             semi(ATT_H, ["R001;T01;1,234;是;learner", "R002;T01;30;是;learner",
                          "R003;T02;16;否;learner"]), rule="decimal_mark", row=1, column="hours",
             value="1,234", n_input=3, n_accepted=2, message="ambiguous"))
    add(Case("att_decimal_mixed.csv", "attendance", "decimal commas and decimal points in one "
             "file (both rejected, naming both)", "reject",
             u8(csv_text(ATT_H, ['R001,T01,"3,5",是,learner', "R002,T01,3.5,是,learner",
                                 "R003,T02,16,否,learner"])), rule="decimal_mark", row=1,
             column="hours", value="3,5", n_input=3, n_accepted=1,
             message="mixes decimal commas (row 1"))
    add(Case("cst_thousands_vs_decimal_comma.csv", "costs", '"120,000" in a comma-separated '
             'file whose other cost "1,5" has a decimal comma (120000 or 120? rejected)', "reject",
             u8(csv_text(CST_H, ['T01,venue,"1,5"', 'T01,lodging,"120,000"', "T02,platform,15000"])),
             rule="decimal_mark", row=2, column="amount", value="120,000", n_input=3,
             n_accepted=2))
    add(Case("cst_malformed_groups.csv", "costs", "a thousands separator outside well-formed "
             "groups (1,00,000)", "reject",
             u8(csv_text(CST_H, ['T01,venue,"1,00,000"', CST[1], CST[2]])), rule="number", row=1,
             column="amount", value="1,00,000", n_input=3, n_accepted=2))

    # identifiers (issue 15: R1, R１ and R1 + zero-width space were three people) ------------
    add(Case("reps_unicode_ids.csv", "representatives", "R001, Ｒ００１ (full-width) and R001 + a "
             "zero-width space are one person: duplicates naming both rows", "reject",
             u8(csv_text(REPS_H, [REPS[0], REPS[1].replace("R002", "Ｒ００１"),
                                  REPS[2].replace("R003", "R001\u200b")])),
             rule="unique_key", row=2, column="rep_id", value="R001", n_input=3, n_accepted=1,
             message="row 2 'Ｒ００１' and row 1 'R001'"))
    add(Case("att_invisible_ids.csv", "attendance", "identifiers with a non-breaking space, a "
             "zero-width space, full-width letters (valid: normalised)", "accept",
             u8(csv_text(ATT_H, ["\u00a0R001,T01,32,是,learner", "R002\u200b,T０１,30,是,learner",
                                 "Ｒ003,T02\ufeff,16,否,learner"])), n_input=3,
             cells=[[1, "rep_id", "R001"], [2, "rep_id", "R002"], [2, "training_id", "T01"],
                    [3, "rep_id", "R003"], [3, "training_id", "T02"]]))

    # more encodings (issue 15: mojibake accepted; UTF-32 called "binary content") -------------
    gbk_rows = csv_text(REPS_H, REPS[:2]).encode("gbk")
    add(Case("reps_mixed_gbk_then_utf8.csv", "representatives", "rows 1-2 saved as GBK, row 3 "
             "as UTF-8 (mixed encodings, refused naming the row)", "error",
             gbk_rows + u8(REPS[2] + "\n"), rule="encoding", row=3, message="mixed encodings"))
    add(Case("reps_mixed_utf8_then_gbk.csv", "representatives", "row 1 saved as UTF-8, rows 2-3 "
             "as GBK (mixed encodings, refused naming the row)", "error",
             u8(csv_text(REPS_H, REPS[:1])) + ("\n".join(REPS[1:]) + "\n").encode("gbk"),
             rule="encoding", row=2, message="mixed encodings"))
    add(Case("reps_utf32_bom.csv", "representatives", "UTF-32 with BOM (valid)", "accept",
             reps.encode("utf-32"), n_input=3, cells=[[1, "province", "上海"]]))
    add(Case("trn_utf32le_nobom.csv", "trainings", "UTF-32-LE without BOM (one line naming the "
             "encoding, not 'binary content')", "error", csv_text(TRN_H, TRN).encode("utf-32-le"),
             rule="encoding", message="UTF-32-LE"))

    # resources: read only the cells that exist; limits (large inputs: tests/corpus/runner.py) ----
    add(Case("att_cell_at_xfd1048576.xlsx", "attendance", "a stray cell at XFD1048576 (a "
             "declared grid of 17 billion cells; only existing cells are read)", "reject",
             xlsx_far_cell(), rule="field_count", row=4, value="stray", n_input=4, n_accepted=3))
    add(Case("att_blank_cell_a1048576.xlsx", "attendance", "a formatted empty cell at A1048576 "
             "(a million empty rows declared) (valid)", "accept", xlsx_far_blank(), n_input=3))
    add(Case("cst_truncated.xlsx", "costs", "a workbook cut short (one line, not openpyxl's "
             "several)", "error", xlsx_beyond_header()[:-300], rule="format",
             message="not a readable .xlsx workbook"))
    add(Case("att_gzip_over_limit.csv.gz", "attendance", "a .csv.gz inflating beyond the input "
             "limit (lowered to 64K for the test)", "error",
             gz(u8(csv_text(ATT_H, ATT * 3000))), rule="size_limit", message="decompresses",
             options=["--max-input-bytes", "64K"]))
    add(Case("att_over_cell_limit.csv", "attendance", "more cells than the cell limit (lowered "
             "to 1000 for the test)", "error", u8(csv_text(ATT_H, ATT * 100)), rule="size_limit",
             message="cells", options=["--max-cells", "1000"]))
    add(Case("cst_xlsx_over_limit.xlsx", "costs", "a workbook larger than the input limit "
             "(lowered to 1K for the test)", "error", xlsx_beyond_header(), rule="size_limit",
             options=["--max-input-bytes", "1K"]))

    # a directory where a file is expected -----------------------------------------------------------
    add(Case("a_directory.csv", "attendance", "a directory instead of a file", "error",
             {}, rule="format"))

    # dataset folders (foreign keys across tables) ---------------------------------------------------
    reps_b, trn_b = u8(csv_text(REPS_H, REPS)), u8(csv_text(TRN_H, TRN))
    add(Case("ds_unknown_rep", "dataset", "attendance for a representative who does not exist",
             "error", {"representatives.csv": reps_b, "trainings.csv": trn_b,
                       "attendance.csv": u8(replace_cell("attendance", 2, "rep_id", "R404"))},
             rule="foreign_key", row=2, column="rep_id", value="R404", message="attendance"))
    add(Case("ds_unknown_session", "dataset", "attendance at a session that does not exist",
             "error", {"representatives.csv": reps_b, "trainings.csv": trn_b,
                       "attendance.csv": u8(replace_cell("attendance", 3, "training_id", "T99"))},
             rule="foreign_key", row=3, column="training_id", value="T99"))
    add(Case("ds_link_unknown_org", "dataset", "a tie to an organisation that does not exist",
             "error", {"organizations.csv": u8(csv_text(ORG_H, ORG)),
                       "links.csv": u8(replace_cell("links", 1, "target_id", "O77"))},
             rule="foreign_key", row=1, column="target_id", value="O77"))
    add(Case("ds_hours_unknown_cadre", "dataset", "hours logged for an unknown cadre", "error",
             {"cadres.csv": u8(csv_text(CAD_H, CAD)),
              "hours_log.csv": u8(replace_cell("hours_log", 3, "cadre_id", "C09"))},
             rule="foreign_key", row=3, column="cadre_id", value="C09"))
    add(Case("ds_bad_row", "dataset", "a dataset whose trainings table has a bad date", "error",
             {"representatives.csv": reps_b,
              "trainings.csv": u8(replace_cell("trainings", 1, "start_date", "2022-13-40"))},
             rule="date", row=1, column="start_date", value="2022-13-40"))
    add(Case("ds_valid", "dataset", "a small consistent dataset (valid)", "accept",
             {"representatives.csv": reps_b, "trainings.csv": trn_b,
              "attendance.csv": u8(csv_text(ATT_H, ATT)), "curriculum.csv": u8(csv_text(CUR_H, CUR)),
              "survey.csv": u8(csv_text(SUR_H, SUR)), "outputs.csv": u8(csv_text(OUT_H, OUT)),
              "costs.csv": u8(csv_text(CST_H, CST)), "cadres.csv": u8(csv_text(CAD_H, CAD)),
              "hours_log.csv": u8(csv_text(HRS_H, HRS)),
              "organizations.csv": u8(csv_text(ORG_H, ORG)), "links.csv": u8(csv_text(LNK_H, LNK))},
             n_input=3))
    add(Case("ds_empty", "dataset", "a folder with no table files", "error", {"README.txt": b"x"},
             rule="dataset"))
    # dataset folders: discovery (issues 14 and 15) --------------------------------------------
    att_b = u8(csv_text(ATT_H, ATT))
    add(Case("ds_case_insensitive", "dataset", "table files named REPRESENTATIVES.csv, "
             "Trainings.CSV, Attendance.Csv (found, whatever the case) (valid)", "accept",
             {"REPRESENTATIVES.csv": reps_b, "Trainings.CSV": trn_b, "Attendance.Csv": att_b},
             n_input=3, tables=["representatives", "trainings", "attendance"]))
    add(Case("ds_csv_and_xlsx", "dataset", "attendance.csv and attendance.xlsx both present "
             "(which one is meant cannot be guessed)", "error",
             {"representatives.csv": reps_b, "trainings.csv": trn_b, "attendance.csv": att_b,
              "attendance.xlsx": _xlsx_bytes(lambda wb: _sheet(wb.active, ATT_H, ATT))},
             rule="table_file", message="attendance.csv, attendance.xlsx"))
    add(Case("ds_table_is_directory", "dataset", "attendance.csv is a directory (was skipped "
             "silently)", "error", {"representatives.csv": reps_b, "trainings.csv": trn_b,
                                    "attendance.csv/": b""},
             rule="table_file", message="is a directory"))
    add(Case("ds_links_without_orgs", "dataset", "links without an organizations table (the "
             "foreign-key check was skipped silently)", "error",
             {"links.csv": u8(csv_text(LNK_H, LNK))}, rule="foreign_key_table",
             column="source_id", message="no organizations table"))
    add(Case("ds_keep_going", "dataset", "3 bad rows of 9: an unknown province, attendance of "
             "the rejected representative and at an unknown session (refused; analysed with "
             "--keep-going)", "error",
             {"representatives.csv": u8(replace_cell("representatives", 2, "province", "火星")),
              "trainings.csv": trn_b,
              "attendance.csv": u8(replace_cell("attendance", 3, "training_id", "T99"))},
             rule="province", row=2, column="province", value="火星",
             keep_going={"representatives": [3, 2, 1], "trainings": [3, 3, 0],
                         "attendance": [3, 1, 2]}))
    add(Case("ds_table_refused", "dataset", "representatives.csv is binary (refused as a whole): "
             "with --keep-going the other tables load and the attendance that refers to it is "
             "rejected", "error",
             {"representatives.csv": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "trainings.csv": trn_b,
              "attendance.csv": att_b}, rule="format",
             keep_going={"trainings": [3, 3, 0], "attendance": [3, 0, 3]}))

    return C


# ---- commands: hostile inputs built at test time, options, outputs ------------------------------

def _setup_bomb(tmp: Path) -> None:
    """bomb.csv.gz: 240 KB inflating to 100 MB of valid-looking attendance rows."""
    line = "R0001,T01,16,是,learner\n".encode()
    block = line * 100_000
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)   # gzip container
    with open(tmp / "bomb.csv.gz", "wb") as fh:
        fh.write(comp.compress(ATT_H.encode() + b"\n"))
        for _ in range(100_000_000 // len(block)):
            fh.write(comp.compress(block))
        fh.write(comp.flush())


def _setup_big(tmp: Path) -> None:
    """big.csv: a 100 MB file (sparse: no disk used), over the 64 MiB input limit."""
    with open(tmp / "big.csv", "wb") as fh:
        fh.write(ATT_H.encode() + b"\n")
        fh.truncate(100 * 1024 ** 2)


def _setup_many_cells(tmp: Path) -> None:
    """many.csv: 4.2 million one-cell rows (8 MB), over the 4 million cell limit."""
    with open(tmp / "many.csv", "wb") as fh:
        fh.write(b"rep_id\n" + b"R\n" * 4_200_000)


def _setup_sheet_bomb(tmp: Path) -> None:
    """bomb.xlsx: a workbook whose sheet XML unpacks to 300 MB (more than 4 x 64 MiB)."""
    src = zipfile.ZipFile(io.BytesIO(_xlsx_bytes(lambda wb: _sheet(wb.active, ATT_H, ATT))))
    with zipfile.ZipFile(tmp / "bomb.xlsx", "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                with dst.open(info.filename, "w", force_zip64=True) as fh:
                    head, tail = body.split(b"<sheetData>", 1)
                    fh.write(head + b"<sheetData>")
                    pad = b" " * (1 << 20)
                    for _ in range(300):
                        fh.write(pad)
                    fh.write(tail)
            else:
                dst.writestr(info.filename, body)


def _setup_specials(tmp: Path) -> None:
    """A FIFO as a table and as a plan, a link to /dev/zero named like a table."""
    os.mkfifo(tmp / "pipe.csv")
    os.mkfifo(tmp / "pipe.toml")
    os.symlink("/dev/zero", tmp / "zero.csv")


def _setup_copies(tmp: Path) -> None:
    """Inputs the commands must not destroy: copies of corpus tables and of a shipped plan,
    a hard link, a plain file where a folder is expected, a folder of the user's notes, a
    dataset folder whose attendance table is a link to a device."""
    for name in ("att_negative_hours.csv", "reps_utf8_bom.csv", "att_crlf.csv",
                 "cad_bad_rank.csv", "hrs_extra_columns.csv"):
        shutil.copyfile(HERE / "files" / name, tmp / name)
    os.link(tmp / "att_negative_hours.csv", tmp / "att_link.csv")
    plans = HERE.parents[1] / "datasets" / "plans"
    shutil.copyfile(plans / "minimal.toml", tmp / "plan.toml")
    (tmp / "afile").write_text("not a folder\n", encoding="utf-8")
    (tmp / "mine").mkdir()
    (tmp / "mine" / "notes.txt").write_text("my own notes\n", encoding="utf-8")
    shutil.copytree(HERE / "datasets" / "ds_valid", tmp / "ds")
    (tmp / "ds_dev").mkdir()
    for name in ("representatives.csv", "trainings.csv"):
        shutil.copyfile(HERE / "datasets" / "ds_valid" / name, tmp / "ds_dev" / name)
    os.symlink("/dev/zero", tmp / "ds_dev" / "attendance.csv")


SETUPS = {"bomb": _setup_bomb, "big": _setup_big, "many_cells": _setup_many_cells,
          "sheet_bomb": _setup_sheet_bomb, "specials": _setup_specials, "copies": _setup_copies}


@dataclass
class Command:
    name: str
    what: str
    args: list           # {corpus} = tests/corpus, {tmp} = the runner's scratch folder
    code: int            # expected exit code (0 or 2; never 1)
    expect: str = ""     # a fragment stderr (or stdout, for code 0) must contain
    setup: str = ""      # a key of SETUPS, run once before the commands
    unchanged: list = field(default_factory=list)   # files whose bytes must not change
    creates: list = field(default_factory=list)     # files the command must write
    env: dict = field(default_factory=dict)


def commands() -> list[Command]:
    C: list[Command] = []
    add = C.append
    T, K = "{tmp}/", "{corpus}/"
    quick = ["--sections", "data", "--quick", "--no-progress"]
    # resource exhaustion
    add(Command("gzip_bomb", "a 240 KB .csv.gz inflating to 100 MB", ["validate", T + "bomb.csv.gz",
                "--kind", "attendance"], 2, "decompresses to more than 67,108,864", "bomb"))
    add(Command("gzip_bomb_limit_raised", "the same bomb with --max-input-bytes 128M: read, then "
                "stopped by the cell limit (memory stays bounded)", ["validate", T + "bomb.csv.gz",
                "--kind", "attendance", "--max-input-bytes", "128M"], 2, "more than 4,000,000 cells",
                "bomb"))
    add(Command("big_file", "a 100 MB CSV (over the 64 MiB limit)", ["validate", T + "big.csv",
                "--kind", "attendance"], 2, "[rule: size_limit]", "big"))
    add(Command("many_cells", "4.2 million cells in 8 MB", ["validate", T + "many.csv"], 2,
                "more than 4,000,000 cells", "many_cells"))
    add(Command("xlsx_sheet_bomb", "a workbook whose sheet XML unpacks to 300 MB",
                ["validate", T + "bomb.xlsx", "--kind", "attendance"], 2, "[rule: size_limit]",
                "sheet_bomb"))
    add(Command("xlsx_far_cell", "one cell at XFD1048576 (was: MemoryError after 52 s)",
                ["validate", K + "files/att_cell_at_xfd1048576.xlsx", "--kind", "attendance"], 2,
                "[rule: field_count]"))
    add(Command("xlsx_far_blank", "a blank cell at A1048576 (was: 34 s, 1.45 GB)",
                ["validate", K + "files/att_blank_cell_a1048576.xlsx", "--kind", "attendance"], 0,
                "3 rows read, 3 accepted"))
    add(Command("dev_zero", "/dev/zero as a table", ["validate", "/dev/zero", "--kind", "attendance"],
                2, "[rule: regular_file]"))
    add(Command("fifo_table", "a FIFO as a table (was: hangs)", ["validate", T + "pipe.csv",
                "--kind", "attendance"], 2, "a FIFO", "specials"))
    add(Command("dev_zero_link", "a link to /dev/zero named like a table",
                ["validate", T + "zero.csv", "--kind", "attendance"], 2, "a device", "specials"))
    add(Command("fifo_plan", "a FIFO as a plan file", ["simulate", "--plan", T + "pipe.toml"], 2,
                "a FIFO", "specials"))
    add(Command("limit_from_env", "KEXIE_MAX_INPUT_BYTES lowers the limit",
                ["validate", K + "files/att_crlf.csv", "--kind", "attendance"], 2,
                "KEXIE_MAX_INPUT_BYTES", env={"KEXIE_MAX_INPUT_BYTES": "10"}))
    add(Command("limit_env_not_a_size", "KEXIE_MAX_CELLS that is not a number",
                ["validate", K + "files/att_crlf.csv", "--kind", "attendance"], 2,
                "KEXIE_MAX_CELLS", env={"KEXIE_MAX_CELLS": "lots"}))
    add(Command("limit_option_not_a_size", "--max-input-bytes lots",
                ["validate", K + "files/att_crlf.csv", "--max-input-bytes", "lots"], 2, "not a size"))
    # clobbering
    add(Command("rejects_is_input", "validate X --rejects X (was: the input overwritten)",
                ["validate", T + "att_negative_hours.csv", "--kind", "attendance", "--rejects",
                 T + "att_negative_hours.csv"], 2, "also an input", "copies",
                unchanged=[T + "att_negative_hours.csv"]))
    add(Command("rejects_is_hard_link", "--rejects a hard link of the input",
                ["validate", T + "att_negative_hours.csv", "--kind", "attendance", "--rejects",
                 T + "att_link.csv"], 2, "also an input", "copies",
                unchanged=[T + "att_negative_hours.csv"]))
    add(Command("rejects_dev_null", "--rejects /dev/null (as root it was replaced by a file)",
                ["validate", K + "files/att_negative_hours.csv", "--kind", "attendance",
                 "--rejects", "/dev/null"], 2, "character device"))
    add(Command("rejects_fifo", "--rejects a FIFO (was: turned into a regular file)",
                ["validate", K + "files/att_negative_hours.csv", "--kind", "attendance",
                 "--rejects", T + "pipe.csv"], 2, "FIFO", "specials"))
    add(Command("rejects_directory", "--rejects a directory", ["validate",
                K + "files/att_negative_hours.csv", "--kind", "attendance", "--rejects", T + "mine"],
                2, "is a directory", "copies", unchanged=[T + "mine/notes.txt"]))
    add(Command("rejects_written", "--rejects a new file (the ordinary case)",
                ["validate", K + "files/att_negative_hours.csv", "--kind", "attendance",
                 "--rejects", T + "rejects_new.csv"], 2, "1 rejected", creates=[T + "rejects_new.csv"]))
    add(Command("export_is_input", "coverage --export onto its own attendance input",
                ["coverage", "--representatives", T + "reps_utf8_bom.csv", "--attendance",
                 T + "att_crlf.csv", "--export", T + "att_crlf.csv"], 2, "also an input", "copies",
                unchanged=[T + "att_crlf.csv"]))
    add(Command("compliance_export_is_input", "compliance --export onto its hours input",
                ["compliance", "--cadres", T + "cad_bad_rank.csv", "--hours",
                 T + "hrs_extra_columns.csv", "--export", T + "hrs_extra_columns.csv"], 2,
                "also an input", "copies", unchanged=[T + "hrs_extra_columns.csv"]))
    add(Command("untrained_out_dev_null", "simulate --untrained-out /dev/null",
                ["simulate", "--plan", "minimal", "--untrained-out", "/dev/null"], 2,
                "character device"))
    add(Command("plan_out_is_plan", "optimize --plan-out onto its own plan file",
                ["optimize", "--plan", T + "plan.toml", "--budget", "1e6", "--plan-out",
                 T + "plan.toml"], 2, "also an input", "copies", unchanged=[T + "plan.toml"]))
    add(Command("report_out_is_file", "report --out an existing file",
                ["report", "--data", K + "datasets/ds_valid", "--out", T + "afile", *quick], 2,
                "is a file, not a folder", "copies", unchanged=[T + "afile"]))
    add(Command("report_out_is_data", "report --out the data folder itself",
                ["report", "--data", T + "ds", "--out", T + "ds", *quick], 2, "also an input",
                "copies", unchanged=[T + "ds/attendance.csv"]))
    add(Command("report_out_holds_data", "report --out a folder holding the data folder",
                ["report", "--data", T + "ds", "--out", "{tmp}", *quick], 2, "holds the input",
                "copies", unchanged=[T + "ds/attendance.csv"]))
    add(Command("report_out_user_folder", "report --out a folder of the user's files (the "
                "report replaces its folder whole)", ["report", "--data", K + "datasets/ds_valid",
                "--out", T + "mine", *quick], 2, "refusing to replace", "copies",
                unchanged=[T + "mine/notes.txt"]))
    # exit codes for bad option values
    for v in ("nan", "inf", "1e6", "-1"):
        add(Command(f"window_years_{v}", f"coverage --window-years {v}",
                    ["coverage", "--representatives", K + "files/reps_utf8_bom.csv",
                     "--attendance", K + "files/att_crlf.csv", "--window-years", v], 2,
                    "--window-years"))
    seeded = {"report": ["report", "--out", T + "never"], "figures": ["figures", "--out", T + "never"],
              "generate": ["generate", "--out", T + "never"],
              "evaluate": ["evaluate", "--survey", K + "files/sur_likert_high.csv"],
              "network": ["network", "--orgs", K + "datasets/ds_valid/organizations.csv",
                          "--links", K + "datasets/ds_valid/links.csv"],
              "simulate": ["simulate", "--plan", "minimal"],
              "optimize": ["optimize", "--plan", "minimal"], "sweep": ["sweep", "--plan", "minimal"],
              "recommend": ["recommend", "--plan", "minimal"]}
    for cmd, args in seeded.items():
        add(Command(f"seed_negative_{cmd}", f"{cmd} --seed -1", [*args, "--seed", "-1"], 2,
                    "whole number from 0 to 4294967295"))
    add(Command("seed_too_large", "report --seed 2**64", ["report", "--out", T + "never",
                "--seed", str(2 ** 64)], 2, "whole number from 0 to 4294967295"))
    add(Command("seed_too_large_simulate", "simulate --seed 2**32", ["simulate", "--plan",
                "minimal", "--seed", str(2 ** 32)], 2, "--seed must be a whole number"))
    # dataset folders
    add(Command("validate_folder", "validate DIR on a valid folder: one line per table",
                ["validate", K + "datasets/ds_valid"], 0, "links table, encoding utf-8; 3 rows read"))
    add(Command("validate_folder_rejects", "validate DIR: rows read = accepted + rejected per "
                "table, references checked", ["validate", K + "datasets/ds_keep_going", "--rejects",
                T + "folder_rejects.csv"], 2, "attendance table, encoding utf-8; 3 rows read, 1 "
                "accepted, 2 rejected", creates=[T + "folder_rejects.csv"]))
    add(Command("report_stops_on_bad_rows", "report without --keep-going names the first "
                "reject and the option", ["report", "--data", K + "datasets/ds_keep_going",
                "--out", T + "kg_stop", *quick], 2, "--keep-going"))
    add(Command("report_keep_going", "report --keep-going: accepted rows analysed, rejects "
                "written", ["report", "--data", K + "datasets/ds_keep_going", "--out", T + "kg",
                "--keep-going", *quick], 0, "3 row(s) rejected",
                creates=[T + "kg/rejects.csv", T + "kg/summary.json"]))
    add(Command("report_case_insensitive", "report --data with Attendance.Csv etc.",
                ["report", "--data", K + "datasets/ds_case_insensitive", "--out", T + "ci", *quick],
                0, "report written", creates=[T + "ci/report.md"]))
    add(Command("report_device_in_folder", "report --data with attendance.csv a link to "
                "/dev/zero (was: skipped silently)", ["report", "--data", T + "ds_dev", "--out",
                T + "dev_out", *quick], 2, "[rule: table_file]", "copies"))
    return C


def _command_toml(c: Command) -> list[str]:
    out = ["[[command]]"]
    for k in ("name", "what", "args", "code", "expect", "setup", "unchanged", "creates", "env"):
        v = getattr(c, k)
        if v in ("", [], {}):
            continue
        out.append(f"{k} = {_toml_value(v)}")
    return out + [""]


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(x)}" for k, x in v.items()) + " }"
    s = str(v).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{s}"'


def manifest_text(cs: list[Case]) -> str:
    out = ["# Malformed-input corpus: one [[case]] per file (written by make_corpus.py; do not",
           "# edit by hand — change CASES there and re-run it).",
           "# outcome: accept (n_input rows, no reject) | reject (rule at row/column) |",
           "#          error (the whole file refused with rule)", ""]
    for c in cs:
        out.append("[[case]]")
        path = ("datasets/" if c.kind == "dataset" else "files/") + c.name
        fields_ = [("file", path), ("kind", c.kind), ("what", c.what), ("outcome", c.outcome),
                   ("rule", c.rule), ("row", c.row), ("column", c.column), ("value", c.value),
                   ("n_input", c.n_input), ("n_accepted", c.n_accepted),
                   ("message", c.message), ("cells", c.cells), ("options", c.options),
                   ("tables", c.tables), ("keep_going", c.keep_going)]
        for k, v in fields_:
            if v is None or v == "" or v == [] or v == {}:
                continue
            out.append(f"{k} = {_toml_value(v)}")
        out.append("")
    out += ["# Whole command lines run by tests/corpus/runner.py (time and memory measured)", ""]
    for c in commands():
        out += _command_toml(c)
    return "\n".join(out)


def write_corpus(out: Path) -> list[Case]:
    cs = cases()
    names = [c.name for c in cs]
    assert len(names) == len(set(names)), "duplicate case names"
    for sub in ("files", "datasets"):
        if (out / sub).exists():
            shutil.rmtree(out / sub)
        (out / sub).mkdir(parents=True)
    for c in cs:
        if c.kind == "dataset":
            d = out / "datasets" / c.name
            d.mkdir()
            for fname, data in sorted(c.data.items()):
                if fname.endswith("/"):      # a directory where a table file is expected
                    (d / fname).mkdir()
                    (d / fname / ".keep").write_bytes(b"")
                    continue
                (d / fname).write_bytes(data)
        elif isinstance(c.data, dict):   # a directory where a file is expected
            (out / "files" / c.name).mkdir()
            (out / "files" / c.name / ".keep").write_bytes(b"")
        else:
            (out / "files" / c.name).write_bytes(c.data)
    (out / "manifest.toml").write_bytes(manifest_text(cs).encode("utf-8"))
    return cs


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=HERE, help="folder to write (default: tests/corpus)")
    args = ap.parse_args(argv)
    cs = write_corpus(args.out)
    print(f"{len(cs)} cases written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
