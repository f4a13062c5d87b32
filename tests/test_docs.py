"""Contract tests that keep the documentation honest."""

from __future__ import annotations

import re

import typer
import typer.main
from typer.testing import CliRunner

import signalflow
from signalflow.cli import app
from signalflow.settings import settings_table

from .conftest import PROJECT_ROOT

README = (PROJECT_ROOT / "README.md").read_text()


def _commands() -> dict:
    """Every command by its full name ('run', 'config show', ...)."""
    group = typer.main.get_command(app)
    found: dict = {}

    def visit(command, prefix: str) -> None:
        if hasattr(command, "commands"):
            for name, sub in command.commands.items():
                visit(sub, f"{prefix} {name}".strip())
        else:
            found[prefix] = command

    visit(group, "")
    return found


def test_the_settings_table_is_current():
    block = re.search(r"<!-- settings-table.*?-->\n(.*?)\n<!-- /settings-table -->", README, re.S)
    assert block, "README lost its settings table markers"
    assert block.group(1) == settings_table(), "regenerate it with `python -m signalflow.settings`"


def test_every_command_is_in_the_readme_and_has_help():
    missing = [name for name in _commands() if f"signalflow {name}" not in README]
    assert missing == []
    for name, command in _commands().items():
        assert command.help, f"`signalflow {name}` has no help text"
        result = CliRunner().invoke(app, [*name.split(), "--help"])
        assert result.exit_code == 0, (name, result.output)


def test_reporting_commands_offer_json():
    quiet = {"run", "db upgrade", "db current", "test", "check", "plot", "report", "demo", "ack"}
    without = [
        name
        for name, command in _commands().items()
        if name not in quiet and not any("--json" in p.opts for p in command.params)
    ]
    assert without == []


def test_readme_test_command_is_what_ci_runs():
    ci = (PROJECT_ROOT / ".ci" / "run").read_text()
    assert "python -m pytest" in README and "python -m pytest" in ci
    assert 'pip install -e ".[dev]"' in README and 'pip install -e ".[dev]"' in ci


def test_exported_members_exist():
    for name in signalflow.__all__:
        assert hasattr(signalflow, name), name


def test_the_functions_table_is_current():
    from signalflow.thesis.functions_spec import functions_table

    doc = (PROJECT_ROOT / "docs" / "thesis-format.md").read_text()
    block = re.search(r"<!-- functions-table.*?-->\n(.*?)\n<!-- /functions-table -->", doc, re.S)
    assert block, "docs/thesis-format.md lost its functions table markers"
    assert block.group(1) == functions_table(), "regenerate it with `python -m signalflow.thesis.functions_spec`"
