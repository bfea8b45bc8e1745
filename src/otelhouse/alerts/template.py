"""Filling a webhook's body template and an alert's message with the alert's fields.

A placeholder is `{{alert.name}}` (or `{{name}}`): a field name between double braces, nothing more —
no expressions, no code. An unknown name is left as written, so a typo shows in the notification.

A template that is JSON is filled value by value, so the result is JSON whatever the values hold: a
string that is one placeholder alone becomes the field's own value (a number stays a number), other
strings get the values written into them. Any other template is filled as plain text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\}\}")
Fields = Mapping[str, Any]


def _lookup(fields: Fields, name: str) -> tuple[bool, Any]:
    if name in fields:
        return True, fields[name]
    if f"alert.{name}" in fields:
        return True, fields[f"alert.{name}"]
    return False, None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, (list, tuple)):
        return ", ".join(_text(item) for item in value)
    return str(value)


def render_text(template: str, fields: Fields) -> str:
    def fill(match: re.Match[str]) -> str:
        found, value = _lookup(fields, match.group(1))
        return _text(value) if found else match.group(0)

    return _PLACEHOLDER.sub(fill, template)


def _fill_json(node: Any, fields: Fields) -> Any:
    if isinstance(node, str):
        whole = _PLACEHOLDER.fullmatch(node.strip())
        if whole is not None:
            found, value = _lookup(fields, whole.group(1))
            if found:
                return list(value) if isinstance(value, tuple) else value
        return render_text(node, fields)
    if isinstance(node, list):
        return [_fill_json(item, fields) for item in node]
    if isinstance(node, dict):
        return {render_text(key, fields): _fill_json(value, fields) for key, value in node.items()}
    return node


def render_body(template: str, fields: Fields) -> tuple[bytes, str]:
    """The request body and its content type."""
    try:
        parsed = json.loads(template)
    except ValueError:
        return render_text(template, fields).encode("utf-8"), "text/plain; charset=utf-8"
    return json.dumps(_fill_json(parsed, fields)).encode("utf-8"), "application/json"
