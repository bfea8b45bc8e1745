"""The README's settings table is the documentation users read: it must match the code."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from otelhouse import cli
from otelhouse.settings import Settings

README = (Path(__file__).parents[2] / "README.md").read_text()


def _table_rows() -> dict[str, list[str]]:
    rows = {}
    for line in README.splitlines():
        match = re.match(r"\| `(OTELHOUSE_[A-Z_]+)` \|(.*)\|\s*$", line)
        if match:
            rows[match.group(1)] = [cell.strip() for cell in match.group(2).split("|")]
    return rows


def test_every_setting_is_documented_with_its_flag_and_default() -> None:
    rows = _table_rows()
    flags = set(inspect.signature(cli.serve).parameters)
    for name, field in Settings.model_fields.items():
        env = f"OTELHOUSE_{name.upper()}"
        assert env in rows, f"{env} is missing from the README settings table"
        flag, default, meaning = rows[env][:3]
        assert (flag == f"`--{name.replace('_', '-')}`") == (name in flags), f"{env}: flag column is wrong"
        expected = "(empty)" if field.default in ("", None) else f"`{field.default}`"
        assert default == expected, f"{env}: README says {default}, code says {expected}"
        assert meaning


def test_no_documented_setting_is_unknown() -> None:
    known = {f"OTELHOUSE_{name.upper()}" for name in Settings.model_fields}
    assert set(_table_rows()) <= known


def test_readme_opens_with_the_two_commands() -> None:
    first_block = README.split("```sh", 1)[1].split("```", 1)[0]
    assert "make run" in first_block and "make test" in first_block
