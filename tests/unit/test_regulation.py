"""The regulation as data under ``rules/regulation/`` and the version a rule set encodes.

A rule's quote (``clause_text``) is checked against the text of the version named in
``rules/ruleset.yaml``; a changed clause names every rule whose quote no longer matches;
a final text beside the draft can be chosen; coverage reports against the version chosen.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

import fuling_compliance
from fuling_compliance import RulesError, load_rules, validate_rule_files
from fuling_compliance.cli import app
from fuling_compliance.reports.coverage import coverage
from fuling_compliance.rules.regulation import regulation

ROOT = Path(__file__).resolve().parents[2]
DRAFT = ROOT / "rules" / "regulation" / "2023-draft.yaml"


def copy_rules(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", target)
    return target


def test_the_draft_of_2023_ships_under_rules_and_is_what_the_rules_encode() -> None:
    reg = regulation()
    assert (reg.version, reg.status) == ("2023-draft", "draft")
    assert Path(reg.file or "").resolve() == DRAFT.resolve()
    assert "征求意见稿" in reg.title_zh
    settings = yaml.safe_load((ROOT / "rules" / "ruleset.yaml").read_text(encoding="utf-8"))
    assert settings == {"format": "fuling-compliance/ruleset/v1", "regulation": "2023-draft"}
    assert load_rules().regulation == reg
    package = Path(fuling_compliance.__file__).parent
    assert not (package / "data" / "regulation.yaml").exists()


def test_the_text_keeps_every_clause_and_reason_the_rules_and_coverage_need() -> None:
    data = yaml.safe_load(DRAFT.read_text(encoding="utf-8"))
    reg = regulation()
    assert list(reg.clauses) == [str(c) for c in data["clauses"]]
    assert set(reg.not_machine_checkable) == {str(c) for c in data["not_machine_checkable"]}
    # every English reason is whole (a comma inside {...} once cut one short)
    assert all(set(v) == {"zh", "en"} for v in data["not_machine_checkable"].values())
    assert reg.not_machine_checkable["2"][1].endswith("not a duty")
    assert {r.clause for r in load_rules()} <= set(reg.clauses)


def test_a_changed_clause_names_every_rule_whose_quote_no_longer_matches(
        tmp_path: Path) -> None:
    rules = copy_rules(tmp_path)
    path = rules / "regulation" / "2023-draft.yaml"
    old = regulation().clauses["3.2.4"].zh
    new = "供电供气企业上门服务应准时到达；确需更改的应提前与用户沟通争得同意。"
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    expected = {r.id for r in load_rules() if r.clause == "3.2.4"
                and any(piece not in new for piece in r.clause_text.split("……"))}
    assert expected  # the change breaks at least one quote
    problems = validate_rule_files([rules])
    named = {p.record for p in problems if p.code == "clause_text"}
    assert named == expected
    assert all(p.file and p.file.startswith(str(rules)) and p.line for p in problems)
    assert all("2023-draft" in p.message for p in problems)


def test_a_final_text_beside_the_draft_is_chosen_by_ruleset_yaml(tmp_path: Path) -> None:
    rules = copy_rules(tmp_path)
    text = DRAFT.read_text(encoding="utf-8")
    final = text.replace("version: 2023-draft", "version: 2024-final") \
        .replace("status: draft", "status: final") \
        .replace("(征求意见稿)", "")
    (rules / "regulation" / "2024-final.yaml").write_text(final, encoding="utf-8")
    assert load_rules([rules]).regulation.version == "2023-draft"  # still the draft
    (rules / "ruleset.yaml").write_text(
        "format: fuling-compliance/ruleset/v1\nregulation: 2024-final\n", encoding="utf-8")
    ruleset = load_rules([rules])
    assert (ruleset.regulation.version, ruleset.regulation.status) == ("2024-final", "final")
    result = coverage(ruleset, [])
    assert (result.version, result.status) == ("2024-final", "final")
    cli = CliRunner().invoke(app, ["coverage", "--rules", str(rules), "--format", "json"])
    assert cli.exit_code == 0, cli.output
    assert '"version": "2024-final"' in cli.stdout


def test_an_unknown_version_is_a_located_error_with_the_versions_there_are(
        tmp_path: Path) -> None:
    rules = copy_rules(tmp_path)
    (rules / "ruleset.yaml").write_text(
        "format: fuling-compliance/ruleset/v1\nregulation: 2023-draf\n", encoding="utf-8")
    with pytest.raises(RulesError) as caught:
        load_rules([rules])
    [problem] = caught.value.problems
    assert (problem.file, problem.line, problem.column) == (str(rules / "ruleset.yaml"), 2, 1)
    assert "did you mean '2023-draft'" in problem.message
    assert "2023-draft" in problem.message_zh


def test_a_rules_folder_without_ruleset_yaml_encodes_the_bundled_choice(
        tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    shutil.copy(ROOT / "rules" / "3.2-staff-visits.yaml", folder)
    assert load_rules([folder]).regulation.version == "2023-draft"


# (case, replace this, with this, code, words)
TEXT_CASES = [
    ("no status", "status: draft\n", "", "status", "draft or final"),
    ("unknown status", "status: draft", "status: drafts", "status", "did you mean 'draft'"),
    ("clause id not quoted text", "  3.1.1:\n", "  3.1.1x:\n", "clause_id", "clause id"),
    ("reason of no clause", "  3.3.5: {zh:", "  3.3.9: {zh:", "unknown_clause",
     "not in `clauses`"),
    ("comma in a flow mapping", "en: 'scope; used to validate facts, not a duty'",
     "en: scope; used to validate facts, not a duty", "unknown_key", "put text with commas"),
]


@pytest.mark.parametrize(("old", "new", "code", "words"), [c[1:] for c in TEXT_CASES],
                         ids=[c[0] for c in TEXT_CASES])
def test_a_broken_regulation_text_is_reported_where_it_is_broken(
        tmp_path: Path, old: str, new: str, code: str, words: str) -> None:
    rules = copy_rules(tmp_path)
    path = rules / "regulation" / "2023-draft.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(RulesError) as caught:
        load_rules([rules])
    matching = [p for p in caught.value.problems if p.code == code]
    assert matching, [p.render("en") for p in caught.value.problems]
    assert matching[0].file == str(path) and matching[0].line is not None
    assert words in matching[0].message
