"""OTLP/JSON <-> protobuf messages, as the OTLP specification defines the JSON encoding.

OTLP/JSON is the protobuf JSON mapping with these differences, all handled here:

- `traceId`, `spanId` and `parentSpanId` (spans, links, log records, exemplars) are
  case-insensitive hex strings, not base64; an empty string is an empty id.
- Field names are lowerCamelCase; the original snake_case names are accepted too.
- Enums may be integers (what senders must use) or names; 64-bit integers may be JSON
  numbers or decimal strings.
- Unknown fields are ignored, so newer senders work with this receiver.

Parsing costs one `json.loads`, one walk that touches only the id fields (rewriting hex to
the base64 that `json_format` expects) and one `ParseDict`.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from typing import Any, TypeVar

from google.protobuf import json_format
from google.protobuf.message import Message
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from otelhouse.ingest.errors import BadPayload

__all__ = ["parse_json", "to_json"]

M = TypeVar("M", bound=Message)

TRACE_ID_BYTES = 16
SPAN_ID_BYTES = 8

# Where the id fields live, per request type: a key maps to a nested spec (for an object or a
# list of objects) or to the byte length of the id it holds. Keys are lowerCamelCase here;
# `_with_snake_case` adds the proto field names.
_Spec = dict[str, "_Spec | int"]

_IDS: _Spec = {"traceId": TRACE_ID_BYTES, "spanId": SPAN_ID_BYTES}
_SPAN: _Spec = {**_IDS, "parentSpanId": SPAN_ID_BYTES, "links": _IDS}
_POINTS_WITH_EXEMPLARS: _Spec = {"dataPoints": {"exemplars": _IDS}}


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", lambda m: "_" + m.group(1).lower(), name)


def _with_snake_case(spec: _Spec) -> _Spec:
    out: _Spec = {}
    for key, sub in spec.items():
        value = sub if isinstance(sub, int) else _with_snake_case(sub)
        out[key] = value
        out[_snake(key)] = value
    return out


_SPECS: dict[str, _Spec] = {
    ExportTraceServiceRequest.DESCRIPTOR.full_name: _with_snake_case(
        {"resourceSpans": {"scopeSpans": {"spans": _SPAN}}}
    ),
    ExportLogsServiceRequest.DESCRIPTOR.full_name: _with_snake_case(
        {"resourceLogs": {"scopeLogs": {"logRecords": _IDS}}}
    ),
    ExportMetricsServiceRequest.DESCRIPTOR.full_name: _with_snake_case(
        {
            "resourceMetrics": {
                "scopeMetrics": {
                    "metrics": {
                        "gauge": _POINTS_WITH_EXEMPLARS,
                        "sum": _POINTS_WITH_EXEMPLARS,
                        "histogram": _POINTS_WITH_EXEMPLARS,
                        "exponentialHistogram": _POINTS_WITH_EXEMPLARS,
                    }
                }
            }
        }
    ),
}

_HEX = re.compile(r"[0-9A-Fa-f]*")

# (value, id length in bytes, path for messages) -> replacement value
_Convert = Callable[[object, int, str], object]


def _walk(node: dict[str, Any], spec: _Spec, path: str, convert: _Convert) -> None:
    """Rewrite, in place, every id field that `spec` locates under `node`.

    Values of the wrong JSON type are left alone for `ParseDict` to report."""
    for key, sub in spec.items():
        value = node.get(key)
        if value is None:
            continue
        where = f"{path}.{key}" if path else key
        if isinstance(sub, int):
            node[key] = convert(value, sub, where)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, dict):
                    _walk(item, sub, f"{where}[{index}]", convert)
        elif isinstance(value, dict):
            _walk(value, sub, where, convert)


def _hex_to_base64(value: object, size: int, where: str) -> object:
    if not isinstance(value, str):
        raise BadPayload(f"{where}: an id must be a hex string, got {_json_type(value)}")
    if not value:
        return value
    if len(value) != 2 * size or not _HEX.fullmatch(value):
        shown = value if len(value) <= 64 else value[:64] + "..."
        raise BadPayload(f"{where}: not {2 * size} hex characters: {shown!r}")
    return base64.b64encode(bytes.fromhex(value)).decode("ascii")


def _base64_to_hex(value: object, size: int, where: str) -> object:
    if not isinstance(value, str):  # pragma: no cover - MessageToDict writes bytes as strings
        return value
    return base64.b64decode(value).hex()


def _json_type(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    if value is None:
        return "null"
    return "a string"


def _reject_constant(name: str) -> object:
    raise ValueError(f'{name} is not valid JSON (write non-finite doubles as the strings "NaN", "Infinity")')


def _spec_for(message_type: type[Message]) -> _Spec:
    try:
        return _SPECS[message_type.DESCRIPTOR.full_name]
    except KeyError:
        raise TypeError(f"not an OTLP export request type: {message_type.__name__}") from None


def parse_json(message_type: type[M], body: bytes) -> M:
    """Parse an OTLP/JSON request body into `message_type` (one of the three
    Export*ServiceRequest classes). Raises `BadPayload` saying what is wrong and where."""
    spec = _spec_for(message_type)
    name = message_type.DESCRIPTOR.name
    try:
        document = json.loads(body, parse_constant=_reject_constant)
    except RecursionError:
        raise BadPayload("invalid JSON: nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, NaN/Infinity literals
        raise BadPayload(f"invalid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise BadPayload(f"the body must be a JSON object (an {name}), got {_json_type(document)}")
    _walk(document, spec, "", _hex_to_base64)
    message: M = message_type()
    try:
        json_format.ParseDict(document, message, ignore_unknown_fields=True)
    except json_format.ParseError as exc:
        raise BadPayload(f"invalid {name}: {exc}") from None
    except RecursionError:  # pragma: no cover - ParseDict limits depth itself
        raise BadPayload(f"invalid {name}: nested too deeply") from None
    return message


def to_json(message: Message) -> bytes:
    """A message as OTLP/JSON: lowerCamelCase keys, enums as integers, 64-bit integers as
    decimal strings, unset fields left out (so an export response carries `partialSuccess`
    only when it was set) and, in export requests, trace and span ids as lowercase hex."""
    document = json_format.MessageToDict(message, preserving_proto_field_name=False, use_integers_for_enums=True)
    spec = _SPECS.get(message.DESCRIPTOR.full_name)
    if spec is not None:
        _walk(document, spec, "", _base64_to_hex)
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
