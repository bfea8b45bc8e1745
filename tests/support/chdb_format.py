"""ClickHouse's own parser on statements, through `formatQuery` in a chDB subprocess (the test process may
already host another chDB engine, and chDB allows one per process)."""

from __future__ import annotations

import json
import subprocess
import sys

_SCRIPT = """
import json, sys, chdb
out = []
for sql in json.load(sys.stdin):
    try:
        literal = "'" + sql.replace("\\\\", "\\\\\\\\").replace("'", "\\\\'") + "'"
        result = chdb.query("SELECT formatQuery(" + literal + ")", "JSONEachRow")
        out.append({"ok": json.loads(result.bytes().decode().strip()).popitem()[1]})
    except Exception as exc:
        out.append({"error": str(exc)})
json.dump(out, sys.stdout)
"""


def format_queries(statements: list[str]) -> list[dict[str, str]]:
    """For each statement, {"ok": ClickHouse's formatting of it} or {"error": why it does not parse}."""
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT], input=json.dumps(statements), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout))
