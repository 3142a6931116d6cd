"""The template, the export, and the round trip YAML -> workbook/CSV -> same report."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner
from openpyxl.worksheet.worksheet import Worksheet

from fuling_compliance import FactSet, evaluate, load_facts, load_facts_data, load_rules
from fuling_compliance.calendar import CHONGQING
from fuling_compliance.cli import app
from fuling_compliance.facts.model import COLLECTIONS, field_kinds
from fuling_compliance.facts.tabular import columns, header
from fuling_compliance.facts.workbook import export, export_workbook, write_template
from fuling_compliance.rules.load import RuleSet

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "fuling-2026q2.yaml"

#: used when the example fact set is absent: every kind of field, findings of each status
SMALL: dict[str, Any] = {
    "format": "fuling-compliance/facts/v1",
    "as_of": "2026-06-30T23:59:59+08:00",
    "commission": {"hotline": "12345", "hotline_published": True,
                   "supervision_phone": "023-72223456"},
    "suppliers": [
        {"id": "S1", "name": "涪陵供电", "utility": "electricity", "hotline": "95598",
         "hotline_published": True, "hotline_accepts": ["enquiry", "help", "complaint"],
         "one_stop_info": ["scope", "procedures"],
         "service_systems": ["first_inquiry", "proxy"]},
        {"id": "S2", "name": "涪陵燃气", "utility": "gas", "hotline": None},
    ],
    "areas": [{"id": "A1", "supplier_id": "S1", "name": "江北"}],
    "outlets": [{"id": "O1", "supplier_id": "S1", "area_id": "A1", "kind": "own",
                 "transport_accessible": True, "signage_uniform": True,
                 "signage_visible": False, "opens": "08:30", "closes": "17:30"}],
    "outlet_days": [{"outlet_id": "O1", "date": "2026-06-05", "scheduled_open": "08:30",
                     "opened_at": "08:41"}],
    "staff": [{"id": "E1", "supplier_id": "S1", "role": "meter_reader", "trained": True,
               "certified": True, "certificate_valid_until": "2026-01-31"}],
    "staff_checks": [{"id": "C1", "staff_id": "E1", "at": "2026-06-05T10:00:00+08:00",
                      "uniform": True, "badge": False, "id_card": True}],
    "appointments": [
        {"id": "V1", "supplier_id": "S1", "customer": "李女士",
         "booked_at": "2026-06-01T10:00:00+08:00",
         "scheduled_start": "2026-06-05T09:00:00+08:00",
         "arrived_at": "2026-06-05T01:20:00+00:00", "status": "completed"},
        {"id": "V2", "supplier_id": "S1", "scheduled_start": "2026-06-06T09:00:00+08:00",
         "status": "scheduled"},
    ],
    "disclosures": [{"supplier_id": "S1", "item": "policies_laws", "published": True,
                     "published_on": "2026-01-05", "channel": "官网"}],
    "business_services": [{"supplier_id": "S1", "business_type": "new_connection",
                           "procedure_published": True, "conditions_published": True,
                           "time_limit": 5, "time_limit_unit": "working_days"}],
    "complaints": [{"id": "T1", "supplier_id": "S1", "received_at": "2026-06-01T09:00:00",
                    "channel": "phone", "phone_line": "12345", "category": "billing",
                    "concerns": "internal", "major": False, "written_record": True,
                    "verified_at": "2026-06-02T09:00:00+08:00"}],
    "surveys": [{"id": "Q1", "supplier_id": "S1", "period_start": "2026-04-01",
                 "period_end": "2026-06-30", "respondents": 200, "satisfied": 170}],
    "assessments": [{"id": "K1", "supplier_id": "S1", "date": "2026-05-01",
                     "methods": ["records", "survey"], "score": 91.5}],
}


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rules()


@pytest.fixture(scope="module")
def example() -> FactSet:
    """The project's example fact set, else a small one built here."""
    return load_facts(EXAMPLE) if EXAMPLE.exists() else load_facts_data(SMALL)


def _comparable(facts: FactSet) -> dict[str, Any]:
    """Every record's values, disclosures without the id the loader derives from the file."""
    out: dict[str, Any] = {"as_of": facts.as_of}
    for collection in COLLECTIONS:
        rows = []
        for record in facts.records(collection):
            values = record.to_dict()
            if collection == "disclosures":
                values.pop("id")
            rows.append(values)
        out[collection] = rows
    return out


# --------------------------------------------------------------------------- round trip


@pytest.mark.parametrize("target", ["facts.xlsx", "csv-utf8", "csv-gb18030"])
def test_round_trip_gives_an_identical_report(tmp_path: Path, rules: RuleSet, example: FactSet,
                                              target: str) -> None:
    output = tmp_path / target
    export(example, output, encoding="gb18030" if target.endswith("gb18030") else "utf-8-sig")
    back = load_facts(output)
    assert back.warnings == ()
    assert back.count() == example.count()
    before = evaluate(rules, example)
    after = evaluate(rules, back)
    assert json.loads(after.to_json()) == json.loads(before.to_json())
    assert after.summary.get("fail") > 0


def test_round_trip_keeps_every_value(tmp_path: Path, example: FactSet) -> None:
    export(example, tmp_path / "facts.xlsx")
    back = load_facts(tmp_path / "facts.xlsx")
    before, after = _comparable(example), _comparable(back)
    for collection in ("as_of", *COLLECTIONS):
        rows = before[collection]
        if isinstance(rows, list):
            # an empty string and an empty cell are both "none" in the spec
            rows = [{k: (None if v == "" else v) for k, v in row.items()} for row in rows]
        assert after[collection] == rows, collection


def test_small_fact_set_round_trip(tmp_path: Path, rules: RuleSet) -> None:
    facts = load_facts_data(SMALL)
    for target in ("small.xlsx", "small-csv"):
        export(facts, tmp_path / target)
        back = load_facts(tmp_path / target)
        assert _comparable(back) == _comparable(facts)
        assert evaluate(rules, back).to_json() == evaluate(rules, facts).to_json()


def test_values_that_need_care_survive_the_export(tmp_path: Path) -> None:
    facts = load_facts_data({
        "suppliers": [{"id": "=HYPERLINK(\"x\")", "name": "+86 23 1234", "hotline": "0095598",
                       "hotline_accepts": [], "crm_code": "X-1"}],
        "appointments": [{"id": "V1", "supplier_id": "=HYPERLINK(\"x\")",
                          "scheduled_start": "2026-06-05T09:00:00.250000+08:00",
                          "arrived_at": "2026-06-05T09:00:00-05:00"}],
        "disclosures": [{"id": "D-7", "supplier_id": "=HYPERLINK(\"x\")", "item": "other",
                         "published": True}],
    })
    for target in ("care.xlsx", "care-csv"):
        export(facts, tmp_path / target)
        back = load_facts(tmp_path / target)
        supplier = back.suppliers[0]
        assert supplier.id == '=HYPERLINK("x")'  # text, never a formula
        assert (supplier.name, supplier.hotline) == ("+86 23 1234", "0095598")
        assert supplier.hotline_accepts == []
        assert supplier.extra == {"crm_code": "X-1"}
        visit = back.appointments[0]
        assert visit.scheduled_start == facts.appointments[0].scheduled_start
        assert visit.arrived_at == dt.datetime(2026, 6, 5, 22, tzinfo=CHONGQING)
        assert back.disclosures[0].record_id() == "D-7"
    workbook = openpyxl.load_workbook(tmp_path / "care.xlsx")
    cell = workbook["suppliers"]["A3"]
    assert (cell.value, cell.data_type) == ('=HYPERLINK("x")', "s")


def test_export_writes_labels_and_real_cells(tmp_path: Path) -> None:
    facts = load_facts_data(SMALL)
    export_workbook(facts, tmp_path / "f.xlsx")
    workbook = openpyxl.load_workbook(tmp_path / "f.xlsx")
    suppliers = _sheet(workbook, "suppliers")
    row = {suppliers.cell(1, c).value: suppliers.cell(3, c).value
           for c in range(1, suppliers.max_column + 1)}
    assert row["业务类型 (utility)"] == "供电"
    assert row["热线已公开 (hotline_published)"] == "是"
    assert row["热线受理内容 (hotline_accepts)"] == "咨询、求助、投诉"
    assert row["服务制度 (service_systems)"] == "首问负责制、帮办代办制"
    visits = _sheet(workbook, "appointments")
    assert visits["E3"].value == dt.datetime(2026, 6, 5, 9, 0)
    assert visits["E3"].number_format == "yyyy-mm-dd hh:mm"
    assert _sheet(workbook, "outlet_days")["B3"].value == dt.datetime(2026, 6, 5)
    guide = _sheet(workbook, "说明")
    assert _setting(guide, "判断时点 (as_of)") == dt.datetime(2026, 6, 30, 23, 59, 59)


# --------------------------------------------------------------------------- template


def _sheet(workbook: openpyxl.Workbook, title: str) -> Worksheet:
    sheet = workbook[title]
    assert isinstance(sheet, Worksheet)
    return sheet


def _setting(guide: Worksheet, label: str) -> Any:
    for row in guide.iter_rows():
        if row[0].value == label:
            return row[1].value
    raise AssertionError(label)


def _validations(sheet: Worksheet) -> dict[str, str | None]:
    """Column letter -> the drop-down list of the validation covering row 3."""
    found: dict[str, str | None] = {}
    for rule in sheet.data_validations.dataValidation:
        for cells in rule.sqref.ranges:
            found[cells.coord.split(":")[0].rstrip("0123456789")] = rule.formula1
    return found


def test_template_layout(tmp_path: Path) -> None:
    path = write_template(tmp_path / "facts.xlsx")
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == ["说明", *COLLECTIONS]
    for collection in COLLECTIONS:
        sheet = _sheet(workbook, collection)
        fields = columns(collection)
        assert [c.value for c in sheet[1]] == [header(f) for f in fields]
        assert all(str(c.value).startswith("说明：") for c in sheet[2])
        assert sheet.freeze_panes == "A3"
        assert sheet.max_row == 2
        kinds = field_kinds(collection)
        rules = _validations(sheet)
        for index, field in enumerate(fields, start=1):
            letter = openpyxl.utils.get_column_letter(index)
            kind, _allowed = kinds[field]
            number_format = sheet.column_dimensions[letter].number_format
            expected = {"date": "yyyy-mm-dd", "time": "hh:mm", "datetime": "yyyy-mm-dd hh:mm",
                        "string": "@"}.get(kind, "General")
            assert number_format == expected, (collection, field)
            if kind == "bool":
                assert rules[letter] == '"是,否"'
            elif kind == "enum":
                labels = {"scheduled": "已预约", "completed": "已完成", "cancelled": "已取消"}
                if field == "status":
                    assert rules[letter] == '"' + ",".join(labels.values()) + '"'
                assert rules[letter] is not None and len(rules[letter] or "") <= 255
            elif kind == "list":
                assert rules[letter] is None  # a prompt listing the values, no drop-down
            else:
                assert letter not in rules
    assert "id" not in columns("outlet_days") + columns("business_services") + columns(
        "disclosures")
    guide = _sheet(workbook, "说明")
    text = "\n".join(str(c.value) for row in guide.iter_rows() for c in row if c.value)
    for needed in ("空白", "尚未发生", "是/否", "UTC+08:00", "区经济信息委", "appointments!D7",
                   *COLLECTIONS):
        assert needed in text
    assert _setting(guide, "格式 (format)") == "fuling-compliance/facts/v1"
    assert _setting(guide, "判断时点 (as_of)") is None


def test_empty_template_is_an_empty_fact_set(tmp_path: Path) -> None:
    facts = load_facts(write_template(tmp_path / "facts.xlsx"))
    assert facts.count() == 0 and facts.warnings == () and facts.as_of is None


def test_template_filled_in_excel_style(tmp_path: Path) -> None:
    path = write_template(tmp_path / "facts.xlsx")
    workbook = openpyxl.load_workbook(path)
    _setting_cell(_sheet(workbook, "说明"), "判断时点 (as_of)").value = dt.datetime(2026, 6, 30)
    _sheet(workbook, "suppliers").append(["S1", "涪陵供电", "供电", "95598", "是", "咨询、投诉"])
    _sheet(workbook, "appointments").append(
        ["V1", "S1", "李女士", dt.datetime(2026, 6, 1, 10), "2026年6月5日 9:00",
         dt.datetime(2026, 6, 5, 9, 12), "已完成"])
    workbook.save(path)
    facts = load_facts(path)
    assert facts.as_of == dt.datetime(2026, 6, 30, tzinfo=CHONGQING)
    assert facts.suppliers[0].hotline_accepts == ["enquiry", "complaint"]
    visit = facts.appointments[0]
    assert (visit.status, visit.arrived_at) == (
        "completed", dt.datetime(2026, 6, 5, 9, 12, tzinfo=CHONGQING))


def _setting_cell(guide: Worksheet, label: str) -> Any:
    for row in guide.iter_rows():
        if row[0].value == label:
            return row[1]
    raise AssertionError(label)


# --------------------------------------------------------------------------- commands


def test_template_command(tmp_path: Path) -> None:
    runner = CliRunner()
    target = tmp_path / "facts.xlsx"
    result = runner.invoke(app, ["template", str(target)])
    assert result.exit_code == 0, result.output
    assert target.exists()
    again = runner.invoke(app, ["template", str(target)])
    assert again.exit_code == 2 and "--force" in again.output
    assert runner.invoke(app, ["template", str(target), "--force"]).exit_code == 0
    assert runner.invoke(app, ["template", str(tmp_path / "facts.csv")]).exit_code == 2
    nowhere = runner.invoke(app, ["template", str(tmp_path / "no" / "such" / "f.xlsx")])
    assert nowhere.exit_code == 2 and "Could not open file" in nowhere.output


def test_export_command_and_check_agree(tmp_path: Path, example: FactSet) -> None:
    runner = CliRunner()
    source = tmp_path / "facts.yaml"
    if EXAMPLE.exists():
        source.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    else:
        source.write_text(json.dumps(SMALL, ensure_ascii=False), encoding="utf-8")
    reports = []
    for target in ("out.xlsx", "out-csv"):
        result = runner.invoke(app, ["export", str(source), "-o", str(tmp_path / target),
                                     "--lang", "en"])
        assert result.exit_code == 0, result.output
        assert f"exported {example.count()} records" in result.output
    for facts in (source, tmp_path / "out.xlsx", tmp_path / "out-csv"):
        result = runner.invoke(app, ["check", str(facts), "--format", "json"])
        assert result.exit_code == 1, result.output
        reports.append(json.loads(result.stdout))
    assert reports[0] == reports[1] == reports[2]
    refused = runner.invoke(app, ["export", str(source), "-o", str(tmp_path / "out.xlsx")])
    assert refused.exit_code == 2


def test_export_command_notes_the_csv_encoding(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "suppliers.csv").write_bytes("编号,名称\nS1,涪陵供电\n".encode("gb18030"))
    result = CliRunner().invoke(app, ["export", str(folder), "-o", str(tmp_path / "o.xlsx"),
                                      "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "suppliers.csv: read as GB18030" in result.output


def test_check_a_bad_workbook_lists_every_cell(tmp_path: Path) -> None:
    path = write_template(tmp_path / "facts.xlsx")
    workbook = openpyxl.load_workbook(path)
    _sheet(workbook, "suppliers").append(["S1", "涪陵供电", "电力", "95598", "可能"])
    _sheet(workbook, "appointments").append(
        ["V1", "S9", "李女士", dt.date(2026, 6, 1), "6/5/2026 9:00", None, "已完成"])
    workbook.save(path)
    runner = CliRunner()
    zh = runner.invoke(app, ["check", str(path)])
    en = runner.invoke(app, ["check", str(path), "--lang", "en"])
    assert zh.exit_code == en.exit_code == 2
    assert "5 problems" in en.output
    for cell in ("suppliers!C3", "suppliers!E3", "appointments!B3", "appointments!D3",
                 "appointments!E3"):
        assert f"facts.xlsx, {cell}:" in en.output, cell
    assert "工作表 appointments 单元格 D3" in zh.output
    assert "只有日期没有时间" in zh.output
