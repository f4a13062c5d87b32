"""Commands for writing theses: ``check`` a rules directory, ``test`` rule test files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from signalflow.cli import app
from signalflow.cli.common import fail, friendly_errors, load_settings, print_json

JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


@app.command()
@friendly_errors
def check(
    directory: Annotated[
        Optional[Path], typer.Argument(help="Rules directory or one thesis file (default: SIGNALFLOW_RULES_DIR or ./rules).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Check every thesis file: syntax, names, functions, types, rules, series references.

    Prints each problem as file:line:col: message (warnings too) and exits 1 on any error."""
    from signalflow.errors import ThesisWarning
    from signalflow.thesis.check import check_dir

    settings = load_settings()
    ruleset = check_dir(directory or settings.rules_dir, settings)
    if as_json:
        print_json(
            {
                "ok": ruleset.ok,
                "theses": [t.id for t in ruleset.theses],
                "files": [str(f) for f in ruleset.files],
                "problems": [_problem_json(p) for p in ruleset.problems],
            }
        )
    else:
        for problem in ruleset.problems:
            label = "warning" if isinstance(problem, ThesisWarning) else "error"
            typer.echo(f"{problem.location}: {label}: {problem.problem}" + (f"; {problem.hint}" if problem.hint else ""))
        errors, warnings = len(ruleset.errors), len(ruleset.warnings)
        summary = f"{len(ruleset.files)} file(s), {len(ruleset.theses)} thesis(es) ok"
        if errors or warnings:
            summary += f", {errors} error(s), {warnings} warning(s)"
        typer.echo(summary, err=bool(errors))
    if not ruleset.ok:
        raise typer.Exit(1)


@app.command()
@friendly_errors
def test(
    files: Annotated[list[Path], typer.Argument(help="Rule test files (*.test.yaml).")],
    as_json: JsonOption = False,
) -> None:
    """Run rule test files: literal series in, expected thesis states out.

    Prints expected against got for each failure and exits 1 when any test fails."""
    from rich.progress import Progress

    from signalflow.thesis.testfile import run_test_file

    missing = [f for f in files if not f.is_file()]
    if missing:
        raise fail(f"{missing[0]}: no such test file")
    results = []
    with Progress(transient=True, disable=as_json or len(files) < 2) as progress:
        task = progress.add_task("testing", total=len(files))
        for path in files:
            results.extend(run_test_file(path))
            progress.advance(task)
    failed = [r for r in results if not r.ok]
    if as_json:
        print_json({"ok": not failed, "tests": [r.to_json() for r in results]})
    else:
        for result in results:
            _print_result(result)
        typer.echo(f"{len(results) - len(failed)} passed, {len(failed)} failed", err=bool(failed))
    if failed:
        raise typer.Exit(1)


def _print_result(result) -> None:
    if result.ok:
        typer.echo(f"PASS {result.location}: {result.name}")
        return
    typer.echo(f"FAIL {result.location}: {result.name}")
    if result.error:
        for line in result.error.splitlines():
            typer.echo(f"  {line}")
    for mismatch in result.mismatches:
        e = mismatch.expectation
        typer.echo(f"  {e.location}: at {e.at.isoformat(sep=' ')} thesis {e.thesis}: {mismatch}")


def _problem_json(problem) -> dict:
    from signalflow.errors import ThesisWarning

    loc = problem.location
    return {
        "severity": "warning" if isinstance(problem, ThesisWarning) else "error",
        "path": str(loc.path) if loc.path else None,
        "line": loc.line,
        "column": loc.column,
        "message": problem.problem,
        "hint": problem.hint,
    }
