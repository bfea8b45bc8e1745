"""`otelhouse doctor`: is this configuration ready for production? The checks `serve` enforces with
`OTELHOUSE_ENV=production`, run from a shell with the same settings (doctor.py says what each asks)."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from otelhouse.cli_common import fail, load_settings
from otelhouse.doctor import Finding, failed, run_all
from otelhouse.errors import StartupError

STYLE = {"pass": "green", "fail": "bold red", "warn": "yellow", "skip": "dim"}


def doctor(
    as_json: Annotated[bool, typer.Option("--json", help="Print the findings as a JSON list.")] = False,
) -> None:
    """Check the settings, the files they name and the store for production: exit 1 when a check fails
    (warnings and skipped checks do not)."""
    settings = load_settings()
    try:
        findings = asyncio.run(run_all(settings))
    except (StartupError, OSError, ValueError) as error:
        fail(str(error))
    if as_json:
        typer.echo(json.dumps([finding.as_dict() for finding in findings], indent=2))
    else:
        _print(findings)
    if failed(findings):
        raise typer.Exit(1)


def _print(findings: list[Finding]) -> None:
    table = Table(show_lines=True)
    for name in ("check", "status", "detail", "fix"):
        table.add_column(name, overflow="fold")  # setting names and paths are never cut short
    for finding in findings:
        status = f"[{STYLE[finding.status]}]{finding.status}[/]"
        table.add_row(escape(finding.title), status, escape(finding.detail), escape(finding.fix))
    console = Console()
    console.print(table)
    bad = len(failed(findings))
    warned = sum(finding.status == "warn" for finding in findings)
    summary = f"{bad} failed, {warned} warning{'s' if warned != 1 else ''}"
    console.print("[bold red]not ready for production:[/] " + summary if bad else "[green]ready:[/] " + summary)
