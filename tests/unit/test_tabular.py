"""Facts from workbooks and CSV folders (issue 7): conversions, layout, and every error.

Workbooks here are written with openpyxl directly, not with the library's writer, so
the reader is tested against files it did not make; ``data/sheets/gb18030`` holds CSV
files as Chinese Excel saves them.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from fuling_compliance import FactsError, Problem, load_facts
from fuling_compliance.calendar import CHONGQING
from fuling_compliance.errors import sheet_file
from fuling_compliance.facts.tabular import is_tabular, notes, parse_datetime, parse_time, sources

DATA = Path(__file__).parent / "data" / "sheets"
UTC = dt.UTC

SUPPLIERS = [["id", "name"], ["S1", "涪陵供电"], ["S2", "涪陵燃气"]]


def book(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    """A workbook written by openpyxl itself, one sheet per entry, rows from A1."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return path


def rejected(*paths: Path) -> list[Problem]:
    with pytest.raises(FactsError) as info:
        load_facts(list(paths))
    return info.value.problems


def rendered(problems: list[Problem], lang: str = "en") -> str:
    return "\n".join(p.render(lang) for p in problems)


def cached(path: Path, cell: str, value: str, text: bool = False) -> Path:
    """Give the formula in ``cell`` of the first sheet a cached value, as Excel would."""
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    kind = ' t="str"' if text else ""
    sheet, count = re.subn(rf'<c r="{cell}"([^>]*)>(<f>.*?</f>)<v\s*(?:/>|></v>)',
                           rf'<c r="{cell}"\1{kind}>\2<v>{value}</v>', sheet)
    assert count == 1
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


# --------------------------------------------------------------------------- headers


def test_headers_by_key_label_or_both_with_or_without_guidance(tmp_path: Path) -> None:
    path = book(tmp_path / "f.xlsx", {
        "suppliers": [["编号 (id)", "名称", "utility", "热线已公开（hotline_published）"],
                      ["说明：必填", "说明：文本", "说明：下拉选择", "说明：是/否"],
                      ["S1", "涪陵供电", "供电", "是"]],
        "供电供气企业": [["id", "name"], ["S2", "涪陵燃气"]],
        "辖区 (areas)": [["id", "supplier_id", "name"], ["A1", "S1", "江北"]],
    })
    facts = load_facts(path)
    assert [s.id for s in facts.suppliers] == ["S1", "S2"]
    assert facts.suppliers[0].utility == "electricity"
    assert facts.suppliers[0].hotline_published is True
    assert facts.areas[0].supplier_id == "S1"
    assert facts.warnings == ()


def test_second_row_is_data_unless_every_cell_is_guidance(tmp_path: Path) -> None:
    path = book(tmp_path / "f.xlsx", {"suppliers": [
        ["id", "name"], ["说明：必填", "涪陵供电"], ["S2", "x"]]})
    # "说明：必填" in the id column with a real name beside it is data, not guidance
    facts = load_facts(path)
    assert [s.id for s in facts.suppliers] == ["说明：必填", "S2"]


def test_unknown_columns_and_sheets_are_kept_as_warnings(tmp_path: Path) -> None:
    path = book(tmp_path / "f.xlsx", {
        "suppliers": [["id", "name", "负责人"], ["S1", "涪陵供电", "张三"]],
        "Sheet9": [["whatever"], [1]],
        "Sheet1": [],
    })
    facts = load_facts(path)
    assert facts.suppliers[0].extra == {"负责人": "张三"}
    assert any("unknown field '负责人'" in w and "suppliers!C2" in w for w in facts.warnings)
    assert any("unknown collection 'Sheet9'" in w and "Sheet9!A1" in w for w in facts.warnings)
    assert len(facts.warnings) == 2


def test_header_problems(tmp_path: Path) -> None:
    path = book(tmp_path / "f.xlsx", {
        "suppliers": SUPPLIERS,
        "areas": [["name", "名称"], ["x", "y"]],                  # no id/supplier_id; dup
        "outlets": [[], ["id", "supplier_id"]],                   # header not on row 1
        "staff": [["甲", "乙"], ["x", "y"]],                       # nothing a field
        "appointments": [["id", "supplier_id"], ["V1", "S1", "stray"]],
    })
    text = rendered(rejected(path))
    assert "areas!B1: areas.name: column 'name' appears twice (also column A)" in text
    assert "areas!C1: areas: required column(s) missing: 编号 (id), 企业编号 (supplier_id)" in text
    assert "outlets!A1: outlets: row 1 must be the header row" in text
    assert "staff!A1: staff: row 1 names no field of staff" in text
    assert "appointments!C2: appointments: a value in column C, which has no header" in text


def test_empty_sheets_and_header_only_sheets_are_no_records(tmp_path: Path) -> None:
    path = book(tmp_path / "f.xlsx", {"suppliers": SUPPLIERS, "areas": [],
                                      "outlets": [["id", "supplier_id", "area_id"]],
                                      "commission": [["hotline"]]})
    facts = load_facts(path)
    assert facts.areas == () and facts.outlets == () and facts.commission is None


# --------------------------------------------------------------------------- conversions


def test_enumerations_booleans_and_lists_take_labels_and_keys(tmp_path: Path) -> None:
    path = book(tmp_path / "f.xlsx", {
        "suppliers": [["id", "utility", "hotline_published", "hotline_accepts", "one_stop_info"],
                      ["S1", "供电", "是", "咨询、求助、投诉", "无"],
                      ["S2", "gas", "N", "enquiry, help", None],
                      ["S3", "供电供气", 1, "咨询，投诉", "办事程序,受理时限"],
                      ["S4", "Both", True, "complaint", "scope (业务受理范围)"],
                      ["S5", None, "0", None, None],
                      ["S6", None, "FALSE", None, None],
                      ["S7", None, False, None, None],
                      ["S8", None, "y", None, None]],
        "areas": [["id", "supplier_id"], ["A1", "S1"]],
        "outlets": [["id", "supplier_id", "area_id", "kind"],
                    ["O1", "S1", "A1", "其它代办网点"], ["O2", "S1", "A1", "其他代办网点"],
                    ["O3", "S1", "A1", "银行"]],
    })
    facts = load_facts(path)
    s = {x.id: x for x in facts.suppliers}
    assert [s[i].utility for i in ("S1", "S2", "S3", "S4")] == [
        "electricity", "gas", "both", "both"]
    assert [s[f"S{i}"].hotline_published for i in range(1, 9)] == [
        True, False, True, True, False, False, False, True]
    assert s["S1"].hotline_accepts == ["enquiry", "help", "complaint"]
    assert s["S2"].hotline_accepts == ["enquiry", "help"]
    assert s["S3"].hotline_accepts == ["enquiry", "complaint"]
    assert s["S1"].one_stop_info == []            # 无: none at all
    assert s["S2"].one_stop_info is None          # empty: unknown
    assert s["S3"].one_stop_info == ["procedures", "time_limits"]
    assert s["S4"].one_stop_info == ["scope"]
    assert [o.kind for o in facts.outlets] == ["partner", "partner", "bank"]


def test_empty_cells_are_null(tmp_path: Path) -> None:
    path = book(tmp_path / "f.xlsx", {
        "suppliers": SUPPLIERS,
        "appointments": [["id", "supplier_id", "customer", "booked_at", "arrived_at", "status"],
                         ["V1", "S1", "   ", None, "", "已预约"]],
    })
    visit = load_facts(path).appointments[0]
    assert (visit.customer, visit.booked_at, visit.arrived_at) == (None, None, None)


def test_excel_date_time_and_datetime_cells_are_chongqing_time(tmp_path: Path) -> None:
    path = book(tmp_path / "f.xlsx", {
        "suppliers": SUPPLIERS,
        "areas": [["id", "supplier_id"], ["A1", "S1"]],
        "outlets": [["id", "supplier_id", "area_id", "opens", "closes"],
                    ["O1", "S1", "A1", dt.time(8, 30), dt.time(17, 0)]],
        "outlet_days": [["outlet_id", "date", "scheduled_open", "opened_at"],
                        ["O1", dt.date(2026, 6, 5), dt.time(8, 30), dt.time(8, 41, 5)]],
        "appointments": [["id", "supplier_id", "scheduled_start", "arrived_at"],
                         ["V1", "S1", dt.datetime(2026, 6, 5, 9, 0),
                          dt.datetime(2026, 6, 5, 9, 0, 59)]],
    })
    facts = load_facts(path)
    assert (facts.outlets[0].opens, facts.outlets[0].closes) == (dt.time(8, 30), dt.time(17))
    day = facts.outlet_days[0]
    assert (day.date, day.opened_at) == (dt.date(2026, 6, 5), dt.time(8, 41, 5))
    assert day.record_id() == "O1:2026-06-05"
    visit = facts.appointments[0]
    assert visit.scheduled_start == dt.datetime(2026, 6, 5, 1, 0, tzinfo=UTC)
    assert visit.scheduled_start is not None
    assert visit.scheduled_start.utcoffset() == dt.timedelta(hours=8)
    assert visit.arrived_at == dt.datetime(2026, 6, 5, 9, 0, 59, tzinfo=CHONGQING)


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-06-05T09:00:00+08:00", dt.datetime(2026, 6, 5, 9, tzinfo=CHONGQING)),
    ("2026-06-05 09:00", dt.datetime(2026, 6, 5, 9, tzinfo=CHONGQING)),
    ("2026-06-05T01:00:00Z", dt.datetime(2026, 6, 5, 9, tzinfo=CHONGQING)),
    ("2026-06-05T09:00:00+00:00", dt.datetime(2026, 6, 5, 17, tzinfo=CHONGQING)),
    ("2026年6月5日 9:00", dt.datetime(2026, 6, 5, 9, tzinfo=CHONGQING)),
    ("2026年6月5日9时30分", dt.datetime(2026, 6, 5, 9, 30, tzinfo=CHONGQING)),
    ("2026年06月05日 下午3点半", dt.datetime(2026, 6, 5, 15, 30, tzinfo=CHONGQING)),
    ("2026/6/5 9:00", dt.datetime(2026, 6, 5, 9, tzinfo=CHONGQING)),
    ("2026/6/5 9:00:30", dt.datetime(2026, 6, 5, 9, 0, 30, tzinfo=CHONGQING)),
    ("2026.6.5 12:00 PM", dt.datetime(2026, 6, 5, 12, tzinfo=CHONGQING)),
    ("2026-6-5 凌晨12点", dt.datetime(2026, 6, 5, 0, tzinfo=CHONGQING)),
    ("2026年6月5日", dt.date(2026, 6, 5)),
    ("2026/6/5", dt.date(2026, 6, 5)),
    ("6/5/2026 9:00", None),
    ("2026年13月5日", None),
    ("明天上午", None),
])
def test_datetime_text(text: str, expected: Any) -> None:
    assert parse_datetime(text) == expected
    if isinstance(expected, dt.datetime):
        parsed = parse_datetime(text)
        assert isinstance(parsed, dt.datetime) and parsed.tzinfo is not None


@pytest.mark.parametrize(("text", "expected"), [
    ("09:00", dt.time(9)), ("9:00", dt.time(9)), ("8:30:15", dt.time(8, 30, 15)),
    ("9点", dt.time(9)), ("9点半", dt.time(9, 30)), ("9时05分", dt.time(9, 5)),
    ("下午2:30", dt.time(14, 30)), ("中午12点", dt.time(12)), ("25:00", None), ("九点", None),
])
def test_time_text(text: str, expected: dt.time | None) -> None:
    assert parse_time(text) == expected


def test_text_cells_in_iso_and_chinese_forms(tmp_path: Path) -> None:
    path = book(tmp_path / "f.xlsx", {
        "suppliers": SUPPLIERS,
        "areas": [["id", "supplier_id"], ["A1", "S1"]],
        "outlets": [["id", "supplier_id", "area_id", "opens"], ["O1", "S1", "A1", "8点半"]],
        "outlet_days": [["outlet_id", "date", "opened_at"], ["O1", "2026年6月5日", "08:29"]],
        "appointments": [["id", "supplier_id", "scheduled_start", "arrived_at", "booked_at"],
                         ["V1", "S1", "2026年6月5日 9:00", "2026-06-05T01:10:00Z",
                          "2026/6/1 10:00"]],
    })
    facts = load_facts(path)
    assert facts.outlets[0].opens == dt.time(8, 30)
    assert facts.outlet_days[0].date == dt.date(2026, 6, 5)
    assert facts.outlet_days[0].opened_at == dt.time(8, 29)
    visit = facts.appointments[0]
    assert visit.scheduled_start == dt.datetime(2026, 6, 5, 9, tzinfo=CHONGQING)
    assert visit.arrived_at == dt.datetime(2026, 6, 5, 9, 10, tzinfo=CHONGQING)
    assert visit.booked_at == dt.datetime(2026, 6, 1, 10, tzinfo=CHONGQING)


def test_a_time_typed_into_a_datetime_cell_is_not_a_datetime(tmp_path: Path) -> None:
    path = book(tmp_path / "f.xlsx", {"suppliers": SUPPLIERS, "appointments": [
        ["id", "supplier_id", "scheduled_start"], ["V1", "S1", dt.datetime(1899, 12, 30, 8, 30)]]})
    assert "appointments!C2: appointments[V1].scheduled_start: a time of day without a date" \
        in rendered(rejected(path))


def test_numbers_ids_and_phone_numbers(tmp_path: Path) -> None:
    path = book(tmp_path / "f.xlsx", {
        "suppliers": [["id", "hotline"], [101, 95598], ["S2", "023-7228 5119"]],
        "surveys": [["id", "supplier_id", "respondents", "satisfied"],
                    ["Q1", 101, 200.0, "180"]],
        "assessments": [["id", "supplier_id", "score"], ["K1", "101", 92.5], ["K2", "S2", "88"]],
    })
    facts = load_facts(path)
    assert [(s.id, s.hotline) for s in facts.suppliers] == [("101", "95598"),
                                                         ("S2", "023-7228 5119")]
    assert (facts.surveys[0].respondents, facts.surveys[0].satisfied) == (200, 180)
    assert [a.score for a in facts.assessments] == [92.5, 88.0]


def test_commission_is_a_one_row_sheet(tmp_path: Path) -> None:
    path = book(tmp_path / "f.xlsx", {"区经济信息委": [
        ["投诉热线 (hotline)", "hotline_published", "监督电话"], ["12345", "是", "023-72223456"]]})
    # the header 投诉热线 (hotline) is read by its key in brackets
    commission = load_facts(path).commission
    assert commission is not None
    assert (commission.hotline, commission.hotline_published) == ("12345", True)
    assert commission.supervision_phone == "023-72223456"
    two = book(tmp_path / "two.xlsx", {"commission": [["hotline"], ["12345"], ["12346"]]})
    assert "commission!A3: commission: the commission sheet must have one row only" in \
        rendered(rejected(two))


def test_as_of_and_format_from_the_guide_sheet(tmp_path: Path) -> None:
    path = book(tmp_path / "f.xlsx", {
        "说明": [["填报说明"], [], ["判断时点 (as_of)", dt.datetime(2026, 6, 30, 23, 59, 59)],
                 ["格式 (format)", "fuling-compliance/facts/v1"], ["as_of 是判断时点"]],
        "suppliers": SUPPLIERS})
    facts = load_facts(path)
    assert facts.as_of == dt.datetime(2026, 6, 30, 23, 59, 59, tzinfo=CHONGQING)
    bad = book(tmp_path / "bad.xlsx", {"说明": [["as_of", "月底"], ["format", "v2"]]})
    text = rendered(rejected(bad))
    assert "说明!B1: as_of: expected a date and time" in text
    assert "说明!B2: format: format must be 'fuling-compliance/facts/v1'" in text


# --------------------------------------------------------------------------- cell errors


def test_every_cell_problem_at_once_with_sheet_and_cell_in_both_languages(
        tmp_path: Path) -> None:
    path = book(tmp_path / "facts.xlsx", {
        "suppliers": [["id", "utility", "hotline_published"],
                      ["S1", "电力", "可能"], ["S1", "gas", "是"]],
        "appointments": [["id", "supplier_id", "scheduled_start", "arrived_at", "status"],
                         ["V1", "S1", dt.date(2026, 6, 5), "6/5/2026 9:00", "done"],
                         ["V2", "S9", 46178.375, None, "已预约"]],
        "outlet_days": [["outlet_id", "date"], ["O1", "2026-06-05 09:00"]],
        "surveys": [["id", "supplier_id", "respondents", "satisfied"],
                    ["Q1", "S1", "二十", -1]],
    })
    problems = rejected(path)
    en = rendered(problems, "en")
    zh = rendered(problems, "zh")
    expected_en = [
        "facts.xlsx, suppliers!B2: suppliers[S1].utility: '电力' is not a value of utility",
        "facts.xlsx, suppliers!C2: suppliers[S1].hotline_published: expected yes or no",
        "facts.xlsx, suppliers!A3: suppliers[S1].id: duplicate id 'S1'",
        "facts.xlsx, appointments!C2: appointments[V1].scheduled_start: a date without a time",
        "facts.xlsx, appointments!D2: appointments[V1].arrived_at: expected a date and time",
        "facts.xlsx, appointments!E2: appointments[V1].status: 'done' is not a value of status",
        "facts.xlsx, appointments!B3: appointments[V2].supplier_id: supplier_id 'S9' refers to",
        "facts.xlsx, appointments!C3: appointments[V2].scheduled_start: a number (46178.375)",
        "facts.xlsx, outlet_days!B2: outlet_days[O1:2026-06-05 09:00].date: "
        "'2026-06-05 09:00' has a time of day",
        "facts.xlsx, surveys!C2: surveys[Q1].respondents: expected a whole number, got '二十'",
        "facts.xlsx, surveys!D2: surveys[Q1].satisfied: must not be negative (got -1)",
    ]
    for line in expected_en:
        assert line in en, line
    assert ("facts.xlsx，工作表 appointments 单元格 D2: appointments[V1].arrived_at: "
            "应填日期时间") in zh
    assert "「电力」不是「业务类型」的可选值；可填：供电、供气、供电供气" in zh
    assert "应填 是/否（或 Y/N、1/0），实际为「可能」" in zh
    assert "facts.xlsx，工作表 outlet_days 单元格 B2" in zh
    assert len(problems) == len(expected_en)
    # the place is also in the problem's fields, for programs
    first = next(p for p in problems if p.field == "arrived_at")
    assert (first.sheet, first.line, first.column) == ((str(path), "appointments"), 2, 4)
    assert first.file == sheet_file(str(path), "appointments")


def test_a_required_field_that_cannot_be_read_is_reported_once(tmp_path: Path) -> None:
    path = book(tmp_path / "f.xlsx", {"suppliers": SUPPLIERS, "disclosures": [
        ["supplier_id", "item", "published"], ["S1", "营业执照", "是"]]})
    problems = rejected(path)
    assert len(problems) == 1
    assert "disclosures!B2: disclosures[S1:营业执照].item: '营业执照' is not a value" in \
        rendered(problems)


def test_formulas_are_read_as_cached_values(tmp_path: Path) -> None:
    path = book(tmp_path / "f.xlsx", {"suppliers": [
        ["id", "name", "hotline_published"],
        ["S1", '="涪陵"&"供电"', "=1=1"], ["S2", "=1/0", "=TRUE()"]]})
    cached(path, "B2", "涪陵供电", text=True)
    cached(path, "C2", "1")
    problems = rejected(path)
    text = rendered(problems)
    # S1 is read from the cached values; S2's formulas were never calculated or failed
    assert "suppliers!B3: suppliers[S2].name: a formula without a saved value" in text
    assert "suppliers!C3: suppliers[S2].hotline_published: a formula without a saved value" \
        in text
    assert len(problems) == 2
    book(tmp_path / "ok.xlsx", {"suppliers": [["id", "name"], ["S1", '="涪陵"&"供电"']]})
    cached(tmp_path / "ok.xlsx", "B2", "涪陵供电", text=True)
    assert load_facts(tmp_path / "ok.xlsx").suppliers[0].name == "涪陵供电"


def test_excel_error_values_are_problems(tmp_path: Path) -> None:
    path = book(tmp_path / "f.xlsx", {"suppliers": [["id", "name"], ["S1", "=1/0"]]})
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    parts["xl/worksheets/sheet1.xml"] = re.sub(
        rb'<c r="B2"><f>1/0</f><v\s*(?:/>|></v>)', b'<c r="B2" t="e"><f>1/0</f><v>#DIV/0!</v>',
        parts["xl/worksheets/sheet1.xml"])
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    assert "suppliers!B2: suppliers[S1].name: the cell holds the Excel error #DIV/0!" in \
        rendered(rejected(path))


def test_external_link_formulas_use_the_cached_value_and_fetch_nothing(tmp_path: Path) -> None:
    path = book(tmp_path / "f.xlsx", {"suppliers": [
        ["id", "hotline"], ["S1", "='https://example.invalid/[rates.xlsx]Sheet1'!A1"]]})
    cached(path, "B2", "95598", text=True)
    assert load_facts(path).suppliers[0].hotline == "95598"


def test_macro_workbooks_are_read_without_their_macros(tmp_path: Path) -> None:
    path = book(tmp_path / "f.xlsm", {"suppliers": SUPPLIERS})
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("xl/vbaProject.bin", b"Attribute VB_Name = \"AutoOpen\"")
    assert is_tabular(path)
    assert [s.id for s in load_facts(path).suppliers] == ["S1", "S2"]


@pytest.mark.parametrize(("name", "content", "message"), [
    ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "old Excel 97-2003 (.xls)"),
    ("locked.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64, "password-protected"),
    ("text.xlsx", b"id,name\nS1,x\n", "not an .xlsx workbook"),
])
def test_unreadable_workbooks_are_refused(tmp_path: Path, name: str, content: bytes,
                                          message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert message in rendered(rejected(path))


def test_a_workbook_that_unpacks_too_large_is_refused(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    path = book(tmp_path / "f.xlsx", {"suppliers": [["id", "name"]] + [[f"S{i}", "x" * 200]
                                                                       for i in range(200)]})
    monkeypatch.setenv("FULING_MAX_BYTES", str(path.stat().st_size + 10))
    assert "would unpack to" in rendered(rejected(path))


def test_nothing_is_loaded_from_a_partly_bad_workbook(tmp_path: Path) -> None:
    good = book(tmp_path / "good.xlsx", {"suppliers": SUPPLIERS})
    bad = book(tmp_path / "bad.xlsx", {"appointments": [
        ["id", "supplier_id", "status"], ["V1", "S1", "已预约"], ["V2", "S1", "??"]]})
    problems = rejected(good, bad)
    assert len(problems) == 1 and problems[0].sheet == (str(bad), "appointments")


# --------------------------------------------------------------------------- CSV


def test_gb18030_csv_folder_as_chinese_excel_saves_it() -> None:
    folder = DATA / "gb18030"
    facts = load_facts(folder)
    assert [s.name for s in facts.suppliers] == ["国网重庆市电力公司涪陵供电分公司",
                                                 "涪陵燃气有限责任公司"]
    assert facts.suppliers[1].hotline_accepts == ["enquiry", "complaint"]
    first, second = facts.appointments
    assert first.arrived_at == dt.datetime(2026, 6, 5, 9, 10, tzinfo=CHONGQING)
    assert second.customer == "王先生\r\n（江东街道）"
    assert second.scheduled_start == dt.datetime(2026, 6, 6, 15, tzinfo=CHONGQING)
    assert second.arrived_at is None and second.status == "scheduled"
    assert [n.render("en") for n in notes(folder)] == [
        f"{folder / 'appointments.csv'}: read as GB18030",
        f"{folder / 'suppliers.csv'}: read as GB18030"]


@pytest.mark.parametrize(("encoding", "shown"), [
    ("utf-8", "UTF-8"), ("utf-8-sig", "UTF-8 (BOM)"), ("gb18030", "GB18030")])
def test_csv_encodings_are_detected_and_reported(tmp_path: Path, encoding: str,
                                                 shown: str) -> None:
    (tmp_path / "suppliers.csv").write_text("编号,名称\nS1,涪陵供电\n", encoding=encoding)
    assert load_facts(tmp_path).suppliers[0].name == "涪陵供电"
    assert notes(tmp_path)[0].message == f"read as {shown}"


@pytest.mark.parametrize(("content", "message"), [
    ("编号,名称\nS1,涪陵供电\n".encode("utf-16"), "UTF-16 text"),
    (b"id,name\nS1,\x80\xff\n", "neither UTF-8 nor GB18030"),
])
def test_csv_in_other_encodings_is_refused(tmp_path: Path, content: bytes, message: str) -> None:
    (tmp_path / "suppliers.csv").write_bytes(content)
    assert message in rendered(rejected(tmp_path))


def test_csv_problems_name_file_line_and_column(tmp_path: Path) -> None:
    (tmp_path / "suppliers.csv").write_text("id,name\nS1,x\n", encoding="utf-8")
    (tmp_path / "appointments.csv").write_text(
        "id,supplier_id,customer,scheduled_start,status\n"
        '"V1",S1,"李女士\n(江东)",2026-06-05 09:00,已预约\n'
        "V2,S1,王先生,明天,已预约\n", encoding="utf-8")
    problems = rejected(tmp_path)
    assert len(problems) == 1
    place = str(tmp_path / "appointments.csv")
    assert problems[0].render("en").startswith(
        f"{place}, line 4, column 4: appointments[V2].scheduled_start: expected a date")
    assert problems[0].render("zh").startswith(f"{place}，第 4 行第 4 列: ")


def test_a_single_csv_file_and_a_mixed_folder(tmp_path: Path) -> None:
    (tmp_path / "ref.yaml").write_text("suppliers:\n  - {id: S1, name: 涪陵供电}\n",
                                       encoding="utf-8")
    (tmp_path / "上门服务.csv").write_text("id,supplier_id\nV1,S1\n", encoding="utf-8")
    (tmp_path / "~$facts.xlsx").write_bytes(b"lock file")
    (tmp_path / "README.txt").write_text("not facts", encoding="utf-8")
    facts = load_facts(tmp_path)
    assert [v.id for v in facts.appointments] == ["V1"]
    facts = load_facts([tmp_path / "ref.yaml", tmp_path / "上门服务.csv"])
    assert facts.appointments[0].supplier_id == "S1"


def test_yaml_and_workbook_mixed(tmp_path: Path) -> None:
    (tmp_path / "ref.yaml").write_text("suppliers:\n  - {id: S1}\n", encoding="utf-8")
    path = book(tmp_path / "june.xlsx", {"appointments": [["id", "supplier_id"], ["V1", "S1"]]})
    assert load_facts([tmp_path / "ref.yaml", path]).appointments[0].id == "V1"


def test_an_empty_folder_is_a_problem(tmp_path: Path) -> None:
    assert "no .csv, .xlsx, .yaml or .json files" in rendered(rejected(tmp_path))


def test_sources_are_one_per_sheet(tmp_path: Path) -> None:
    path = book(tmp_path / "f.xlsx", {"suppliers": SUPPLIERS, "areas": [["id", "supplier_id"]],
                                      "Sheet1": []})
    names = [name for name, _read in sources(path)]
    assert names == [sheet_file(str(path), "suppliers"), sheet_file(str(path), "areas")]
    document, problems = sources(path)[0][1]()
    assert problems == []
    assert document.key_pos["suppliers"] == (1, 1)
    assert document["suppliers"][1].key_pos == {"id": (3, 1), "name": (3, 2)}
