"""The ``signalflow`` command: a thin face over the same functions the daemon uses.

Each command group lives in its own module and registers itself on :data:`app` when
imported. Heavy libraries (pandas, sqlalchemy, slack_sdk) are imported inside the command
functions, so ``signalflow --help`` starts fast.
"""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="signalflow",
    help=(
        "Watch AI-infrastructure investment theses point in time: collect filings, macro "
        "series and news, evaluate Soft Warnings and Kill Switches, and notify."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain help: rich's help panels print a `<bool>` type beside every flag.
    rich_markup_mode=None,
)

# One module per command group; each registers its commands on `app` when imported.
_COMMAND_MODULES = [
    "signalflow.cli.core",
    "signalflow.cli.init",
    "signalflow.cli.alerts",
    "signalflow.cli.plan",
    "signalflow.cli.efficiency",
    "signalflow.cli.news",
    "signalflow.cli.thesis",
    "signalflow.cli.series",
    "signalflow.cli.analysis",
    "signalflow.cli.hypotheses",
    "signalflow.cli.viz",
]

for _module in _COMMAND_MODULES:
    importlib.import_module(_module)


def main() -> None:
    app()
