"""Spreadsheet commands: ``template`` (an empty facts workbook) and ``export``.

The workflow for people who keep records in Excel::

    fuling-compliance template facts.xlsx        # 1. the workbook to fill in
    (fill it in Excel / WPS)                     # 2. one sheet per kind of record
    fuling-compliance check facts.xlsx           # 3. problems by cell, then findings

``export`` turns any fact files (YAML, JSON, workbooks, CSV folders) into a workbook in
the template's layout, or into a folder of CSV files.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from .common import (
    EXITS_PLAIN,
    CannotWrite,
    console_err,
    lang_option,
    max_bytes_option,
    print_warnings,
    rules_option,
)

if TYPE_CHECKING:
    from ..facts.fields import Fields

#: ``facts.workbook.CSV_ENCODINGS``, written out so that ``--help`` need not import
#: openpyxl (a test checks that they agree)
CSV_ENCODINGS = ("utf-8-sig", "utf-8", "gb18030")


def _cannot_write(output: Path, exc: OSError) -> click.FileError:
    return CannotWrite(str(output), hint=exc.strerror or str(exc))


def _refuse_existing(output: Path, force: bool) -> None:
    if force or not output.exists():
        return
    if output.is_dir() and not any(output.iterdir()):
        return
    raise click.BadParameter(f"{output} exists (use --force to overwrite) / 文件已存在",
                             param_hint="OUTPUT")


def _fields(rules_paths: tuple[Path, ...]) -> Fields:
    """The fields the given rules declare (default: the bundled rules')."""
    if not rules_paths:
        from ..facts.fields import default_fields

        return default_fields()
    from ..rules.load import load_rules

    return load_rules(list(rules_paths)).fields


@click.command("template", epilog=EXITS_PLAIN)
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite OUTPUT if it exists.")
@rules_option
@lang_option
def template(output: Path, force: bool, rules_paths: tuple[Path, ...], lang: str) -> None:
    """Write an empty facts workbook to fill in (.xlsx). / 生成填报用的 Excel 模板。

    One sheet per collection with headers 中文标签 (key), a guidance row, date and time
    formats and drop-down lists, and a 「说明」 sheet. The fields the rules declare in
    their fields files (--rules; default: the bundled rules) get their columns too.
    """
    from ..facts.workbook import write_template

    if output.suffix.lower() != ".xlsx":
        raise click.BadParameter("the template is an .xlsx file / 模板文件须以 .xlsx 结尾",
                                 param_hint="OUTPUT")
    _refuse_existing(output, force)
    try:
        write_template(output, _fields(rules_paths))
    except OSError as exc:
        raise _cannot_write(output, exc) from exc
    console_err().print(f"已写入模板 {output}" if lang == "zh" else f"template written: {output}")


@click.command("export", epilog=EXITS_PLAIN)
@click.argument("facts", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--output", "-o", required=True, type=click.Path(path_type=Path),
              help="FILE.xlsx for a workbook, else a folder of CSV files.")
@click.option("--encoding", type=click.Choice(CSV_ENCODINGS), default="utf-8-sig",
              show_default=True, help="Encoding of CSV files (utf-8-sig: UTF-8 with BOM).")
@click.option("--force", is_flag=True, help="Overwrite OUTPUT if it exists.")
@max_bytes_option
@rules_option
@lang_option
def export_cmd(facts: tuple[Path, ...], output: Path, encoding: str, force: bool,
               max_bytes: int | None, rules_paths: tuple[Path, ...], lang: str) -> None:
    """Write FACTS as a workbook or CSV folder. / 把事实数据导出为 Excel 或 CSV。

    FACTS may be YAML or JSON files, workbooks and CSV folders, mixed; they are checked
    as by ``check`` (any problem: nothing is written, exit 2).
    """
    from ..facts import tabular
    from ..facts.load import load_facts
    from ..facts.workbook import export

    suffix = output.suffix.lower()
    if suffix in {".xls", ".xlsm", ".csv"}:
        raise click.BadParameter("write FILE.xlsx, or a folder for CSV files / "
                                 "请写 .xlsx 文件名，或 CSV 文件夹名", param_hint="--output")
    _refuse_existing(output, force)
    factset = load_facts(list(facts), max_bytes=max_bytes, fields=_fields(rules_paths))
    err = console_err()
    for path in facts:
        if tabular.is_tabular(path) and path.exists():
            for note in tabular.notes(path):
                err.print("note: " + note.render(lang))
    print_warnings(factset, lang)
    try:
        written = export(factset, output, encoding=encoding)
    except OSError as exc:
        raise _cannot_write(output, exc) from exc
    what = output if suffix == ".xlsx" else f"{output} ({len(written)} files)"
    err.print(f"已导出 {factset.count()} 条记录到 {what}" if lang == "zh"
              else f"exported {factset.count()} records to {what}")


COMMANDS = [template, export_cmd]
