"""Every code block of the README runs, as written, on the bundled data.

* ``python`` blocks run in order in one namespace, from the repository's root;
* ``sh`` blocks: each line is a shell command;
* plain blocks (a console session): each ``$ `` line is a shell command, and the first
  line shown after it (up to a ``…``) must begin a line of what it printed (or wrote to
  its ``--output`` file).

Commands run in order in a scratch folder holding copies of ``examples/``, ``rules/``,
``features/`` and ``schemas/`` of this checkout (``$ echo $?`` checks the exit code of
the command before it), with ``fuling-compliance`` on the ``PATH`` running this
checkout's package. They must exit 0 or 1 (findings), never print a traceback. A block
that installs, needs the network or stands for a file of the reader's own is marked
just above its fence, explicitly: ``<!-- readme-test: skip (why) -->``, or
``<!-- readme-test: skip-command "words" (why) -->`` for the commands containing words.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import fuling_compliance

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
SRC = Path(fuling_compliance.__file__).resolve().parents[1]
MARK = re.compile(r"<!-- readme-test: (skip|skip-command \"([^\"]+)\") \((.+)\) -->")


@dataclass
class Block:
    line: int
    lang: str
    text: str
    skip: str | None = None
    skip_commands: list[str] = field(default_factory=list)


def blocks() -> list[Block]:
    out: list[Block] = []
    lines = README.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        if lines[i].startswith("```"):
            lang = lines[i][3:].strip()
            start = i
            i += 1
            body: list[str] = []
            while not lines[i].startswith("```"):
                body.append(lines[i])
                i += 1
            block = Block(start + 1, lang, "\n".join(body) + "\n")
            mark = MARK.fullmatch(lines[start - 1].strip()) if start else None
            if mark and mark.group(1) == "skip":
                block.skip = mark.group(3)
            elif mark:
                block.skip_commands.append(mark.group(2))
            out.append(block)
        i += 1
    return out


BLOCKS = blocks()


def test_every_block_is_run_or_marked() -> None:
    assert {b.lang for b in BLOCKS} <= {"python", "sh", "", "yaml"}
    assert len([b for b in BLOCKS if b.skip is None]) >= 5


@pytest.mark.parametrize("block", [b for b in BLOCKS if b.lang == "yaml" and not b.skip],
                         ids=lambda b: f"README.md:{b.line}")
def test_yaml_blocks_are_valid_files(block: Block, tmp_path: Path) -> None:
    """A file shown in full is one the library reads (a rule or waiver file)."""
    from fuling_compliance import load_rules
    from fuling_compliance.rules.waivers import load_waivers

    path = tmp_path / "shown.yaml"
    path.write_text(block.text, encoding="utf-8")
    if "fuling-compliance/rules/v1" in block.text:
        assert len(load_rules(path)) >= 1
    elif "fuling-compliance/waivers/v1" in block.text:
        load_waivers([path], load_rules())
    else:
        from fuling_compliance.yaml_source import read_document

        assert read_document(path)[1] == []


# ----------------------------------------------------------------------------- commands
@dataclass
class Command:
    line: int
    text: str
    expected: str | None


def commands() -> list[Command]:
    out: list[Command] = []
    for block in BLOCKS:
        if block.skip or block.lang not in ("sh", ""):
            continue
        lines = block.text.splitlines()
        for n, line in enumerate(lines):
            if block.lang == "sh":
                text = line.split("#", 1)[0].strip()
                expected = None
            elif line.startswith("$ "):
                text = line[2:].strip()
                after = lines[n + 1] if n + 1 < len(lines) else ""
                expected = None if after.startswith("$ ") or not after.strip() else after
            else:
                continue
            if text and not any(words in text for words in block.skip_commands):
                out.append(Command(block.line + n + 1, text, expected))
    return out


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    folder = tmp_path_factory.mktemp("readme")
    for name in ("examples", "rules", "features", "schemas"):  # copies: commands write
        shutil.copytree(ROOT / name, folder / name)
    bin_dir = folder / ".bin"
    bin_dir.mkdir()
    shim = bin_dir / "fuling-compliance"
    shim.write_text(f"#!/bin/sh\nexec {shlex.quote(sys.executable)} -m fuling_compliance "
                    '"$@"\n', encoding="utf-8")
    shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
           "PYTHONPATH": str(SRC), "COLUMNS": "200"}
    return folder, env


def _normal(text: str) -> str:
    return " ".join(text.split())


#: the exit code of the command run last (``$ echo $?`` shows it)
_LAST: dict[str, int] = {}


@pytest.mark.parametrize("command", commands(), ids=lambda c: f"README.md:{c.line}")
def test_commands_run(command: Command, scratch: tuple[Path, dict[str, str]]) -> None:
    folder, env = scratch
    if command.text == "echo $?":
        assert command.expected is not None and _LAST["code"] == int(command.expected)
        return
    words = shlex.split(command.text, comments=True)
    if words[0] == "fuling-compliance" and not set(command.text) & set("|<>;&$`"):
        # in-process for speed (the shell's own features go through the shell below)
        from click.testing import CliRunner

        from fuling_compliance.cli import app

        with contextlib.chdir(folder):
            ran = CliRunner().invoke(app, words[1:])
        if ran.exception is not None and not isinstance(ran.exception, SystemExit):
            raise ran.exception
        code, stdout, stderr = ran.exit_code, ran.stdout, ran.stderr
    else:
        result = subprocess.run(command.text, shell=True, cwd=folder, env=env,
                                capture_output=True, text=True, timeout=300)
        code, stdout, stderr = result.returncode, result.stdout, result.stderr
    _LAST["code"] = code
    assert code in (0, 1), (command.text, stderr)
    assert "Traceback" not in stderr
    if command.expected is None:
        return
    printed = stdout + "\n" + stderr
    written = re.search(r"--output (\S+)", command.text)
    if written and not written.group(1).endswith((".html", ".xlsx")):
        printed += "\n" + (folder / written.group(1)).read_text(encoding="utf-8-sig")
    want = _normal(command.expected.split("…")[0])
    lines = [_normal(line) for line in printed.splitlines()]
    assert any(line.startswith(want) for line in lines), (command.text, want, printed[:2000])


def test_python_blocks_run(monkeypatch: pytest.MonkeyPatch,
                           scratch: tuple[Path, dict[str, str]]) -> None:
    """In the scratch folder, after the commands (which write the reports it reads)."""
    monkeypatch.chdir(scratch[0])
    namespace: dict[str, object] = {"__name__": "readme"}
    ran = 0
    for block in BLOCKS:
        if block.lang != "python" or block.skip:
            continue
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(block.text, f"README.md:{block.line}", "exec"), namespace)
        ran += 1
    assert ran >= 2
    assert "VIS-02 SM-P14 not_applicable -> fail" in printed.getvalue()
