"""OTLP AnyValue -> the string the ClickHouse exporter stores.

Attribute maps are `Map(String, String)`, so every value is rendered as text the way the
collector's pdata `Value.AsString()` does it: ints in decimal, bools as true/false, doubles
like a JSON number (ES6 rules), bytes as standard base64, arrays and maps as compact JSON
with sorted keys and HTML-safe escapes (Go's encoding/json).
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Iterable
from decimal import Decimal

from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue


def format_double(value: float) -> str:
    """A float64 as Go's encoding/json writes it: shortest round-trip digits, exponent
    only below 1e-6 or from 1e21 on, no `.0` on integral values."""
    if math.isnan(value):
        return "json: unsupported value: NaN"
    if math.isinf(value):
        return "json: unsupported value: " + ("+Inf" if value > 0 else "-Inf")
    magnitude = abs(value)
    text = repr(value)
    if magnitude != 0 and (magnitude < 1e-6 or magnitude >= 1e21):
        mantissa, _, exponent = text.partition("e")
        if mantissa.endswith(".0"):
            mantissa = mantissa[:-2]
        sign = exponent[0]
        digits = exponent[1:].lstrip("0") if sign == "-" else exponent[1:]
        if sign == "-" and len(digits) < 2 and len(exponent[1:]) == 2:
            return f"{mantissa}e-{digits}"
        return f"{mantissa}e{exponent}"
    if "e" in text:
        text = format(Decimal(text), "f")
    if text.endswith(".0"):
        text = text[:-2]
    return text


def _json_string(text: str) -> str:
    text = json.dumps(text, ensure_ascii=False)
    for char, escape in _GO_ESCAPES:
        text = text.replace(char, escape)
    return text


_GO_ESCAPES = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029"))


def _json(value: AnyValue) -> str:
    """A value as compact JSON like Go's encoding/json of pdata's AsRaw(): map keys sorted,
    bytes as base64 strings, doubles in JSON number form. Non-finite doubles cannot be JSON."""
    which = value.WhichOneof("value")
    if which == "string_value":
        return _json_string(value.string_value)
    if which == "int_value":
        return str(value.int_value)
    if which == "bool_value":
        return "true" if value.bool_value else "false"
    if which == "double_value":
        if not math.isfinite(value.double_value):
            raise ValueError("non-finite double")
        return format_double(value.double_value)
    if which == "bytes_value":
        return _json_string(base64.b64encode(value.bytes_value).decode())
    if which == "array_value":
        return "[" + ",".join(_json(v) for v in value.array_value.values) + "]"
    if which == "kvlist_value":
        items = {kv.key: kv.value for kv in value.kvlist_value.values}
        return "{" + ",".join(_json_string(k) + ":" + _json(items[k]) for k in sorted(items)) + "}"
    return "null"


def render(value: AnyValue) -> str:
    """Any OTLP value as the exporter's string."""
    which = value.WhichOneof("value")
    if which == "string_value":
        return value.string_value
    if which == "int_value":
        return str(value.int_value)
    if which == "bool_value":
        return "true" if value.bool_value else "false"
    if which == "double_value":
        return format_double(value.double_value)
    if which == "bytes_value":
        return base64.b64encode(value.bytes_value).decode()
    if which in ("array_value", "kvlist_value"):
        try:
            return _json(value)
        except ValueError:
            return ""
    return ""


def render_into(kvs: Iterable[KeyValue], keys: list[str], values: list[str]) -> None:
    """Append each attribute's key and rendered value; the hot path of every decoder."""
    add_key = keys.append
    add_value = values.append
    for kv in kvs:
        add_key(kv.key)
        value = kv.value
        if value.WhichOneof("value") == "string_value":
            add_value(value.string_value)
        else:
            add_value(render(value))


def render_pairs(kvs: Iterable[KeyValue]) -> tuple[list[str], list[str]]:
    keys: list[str] = []
    values: list[str] = []
    render_into(kvs, keys, values)
    return keys, values
