"""HyperDX's search language, parsed with luqum and translated to a parameterised ClickHouse WHERE clause.

The rules (query -> meaning); "case-insensitive" folds ASCII letters, as ClickHouse's `lower` and
`positionCaseInsensitive` do, so what the index sees and what the condition checks agree:

| query                       | meaning                                                                      |
| --------------------------- | ---------------------------------------------------------------------------- |
| `timeout`                   | the implicit column (else the body) has the whole token `timeout`, any case  |
| `auth-service`, `user\\:42`  | every token of the term is a whole token, and the term is a substring         |
| `"connection refused"`      | the phrase is a substring (any case), and its tokens are whole tokens        |
| `auth-*`, `*fail*`, `a?c`   | pattern, `*` any text, `?` one character, anchored at token edges unless `*` |
| `a b`, `a AND b`, `a && b`  | both                                                                         |
| `a OR b`, `a \\|\\| b`        | either                                                                       |
| `NOT a`, `-a`               | not                                                                          |
| `f:v`                       | the field's value contains `v` (any case); numbers, times, bools: equal      |
| `f:"v"`                     | the field's value is exactly `v`                                             |
| `f:v*`, `f:*v*`, `f:v?`     | the whole value matches the pattern (any case)                               |
| `f:*` / `-f:*`              | the field is present (map key present, string non-empty) / missing           |
| `f:>10` `>=` `<` `<=`       | numeric comparison (strings through `toFloat64OrNull`; not a number -> false) |
| `f:[1 TO 5]`, `{1 TO 5}`    | inclusive / exclusive range; `*` leaves a side open; `[* TO *]` = present     |
| `f:(a OR b)`                | the field operators applied to each term inside                              |
| `f:>=x` with text `x`       | compares text (byte order); on DateTime columns ISO times compare as times   |
| `duration:>100`             | milliseconds (the `duration` alias); `Duration:>100` is the column's own ns  |
| `http.status_code:500`      | an attribute named alone: true if the event or the resource attributes match |
| `LogAttributes.k8s.x:v`     | a map path: the map column, a dot, the key                                   |

Field names are resolved by `query.fields.resolve` (columns, aliases, map paths, attribute names).
Every value and map key is a parameter (`Params`); no user text is written into the SQL.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from luqum import tree
from luqum.exceptions import IllegalCharacterError, ParseError, ParseSyntaxError
from luqum.thread import parse as luqum_parse  # one lexer per thread: PLY's own is not thread-safe

from otelhouse.errors import BadQuery
from otelhouse.query.fields import (
    ARRAY,
    BOOL,
    DATE,
    DATETIME,
    NUMBER,
    STRING,
    Field,
    Target,
    expression_target,
    resolve,
)
from otelhouse.query.keys import KnownKeys
from otelhouse.query.model import Params, SourceModel

MAX_QUERY_CHARS = 10_000
MAX_CLAUSES = 500

# ClickHouse's token separators (hasToken, tokenbf_v1): every ASCII character but letters and digits.
_SEPARATOR = re.compile(r"[\x00-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f]+")
_SEPARATOR_CLASS = r"[\x00-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f]"
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_REGEX_SPECIALS = set("\\.^$|?*+()[]{}")

STAR, ONE = object(), object()  # wildcard markers among a word's characters
Part = str | object
_Leaf = Callable[[Target], str]


def ascii_lower(text: str) -> str:
    return text.translate(_ASCII_LOWER)


def tokens(text: str) -> list[str]:
    """The tokens ClickHouse's hasToken sees in `text` (non-ASCII characters are part of tokens)."""
    return [token for token in _SEPARATOR.split(text) if token]


def translate(text: str, source: SourceModel, params: Params, keys: KnownKeys | None = None) -> str:
    """The WHERE SQL of a search in HyperDX's language ("1" when text is blank); values only via params.
    Raises BadQuery with a clear message (and the position of a syntax error) for bad input."""
    if not text or not text.strip():
        return "1"
    if len(text) > MAX_QUERY_CHARS:
        raise BadQuery(f"the search is too long ({len(text)} characters; at most {MAX_QUERY_CHARS})")
    normalized, origin = _normalize(text)
    try:
        parsed = luqum_parse(normalized)
    except (ParseSyntaxError, IllegalCharacterError, ParseError) as exc:
        raise _syntax_error(text, str(exc), origin) from None
    except RecursionError:
        raise BadQuery("the search is nested too deeply") from None
    translator = _Translator(source, _SharedParams(params), keys)
    try:
        sql = translator.node(parsed, None)
    except RecursionError:
        raise BadQuery("the search is nested too deeply") from None
    return sql if sql in ("1", "0") else f"({sql})"


class _SharedParams(Params):
    """The caller's Params, reusing one placeholder for a value used twice (a key or a value searched
    in both attribute maps), so the parameters stay few and readable."""

    def __init__(self, inner: Params) -> None:
        super().__init__()
        self.inner = inner
        self.values = inner.values
        self._seen: dict[tuple[str, str, str], str] = {}

    def add(self, value: object, ch_type: str = "String") -> str:
        key = (ch_type, type(value).__name__, repr(value))
        if key not in self._seen:
            self._seen[key] = self.inner.add(value, ch_type)
        return self._seen[key]


# --- before parsing ------------------------------------------------------------------------------


def _normalize(text: str) -> tuple[str, list[int]]:
    """Rewrite what luqum does not read as HyperDX means it, keeping a map to original positions:
    `&&`/`||` standing alone -> AND/OR; `://` and the rest of a URL -> escaped (a URL is one word);
    a minus right after `>`, `>=`, `<`, `<=`, or opening a range bound -> escaped (a negative number,
    not NOT)."""
    out: list[str] = []
    origin: list[int] = []

    def emit(chunk: str, at: int) -> None:
        out.extend(chunk)
        origin.extend([at] * len(chunk))

    index, quoted, in_range, length = 0, False, False, len(text)
    while index < length:
        char = text[index]
        if char == "\\" and index + 1 < length:
            emit(text[index : index + 2], index)
            index += 2
            continue
        if char == '"':
            quoted = not quoted
        elif not quoted:
            pair = text[index : index + 2]
            before = "".join(out[-1:])
            after = text[index + 2 : index + 3]
            if pair in ("&&", "||") and before in ("", " ", "\t", "\n", "(", ")") and after in _WORD_END:
                emit(" AND " if pair == "&&" else " OR ", index)
                index += 2
                continue
            if text.startswith("://", index):
                # The rest of the URL (host, port, path) is part of the same word.
                emit("\\:\\/\\/", index)
                index += 3
                while index < length and not text[index].isspace() and text[index] not in '()"':
                    emit(text[index] if text[index].isalnum() else "\\" + text[index], index)
                    index += 1
                continue
            if char in "[{" and before == ":":
                in_range = True
            elif char in "]}":
                in_range = False
            elif char == "-" and _starts_a_number(out, in_range):
                emit("\\-", index)
                index += 1
                continue
        emit(char, index)
        index += 1
    return "".join(out), origin


_WORD_END = ("", " ", "\t", "\n", "(", ")")


def _starts_a_number(out: list[str], in_range: bool) -> bool:
    """A minus here is a number's sign: right after a comparison, or at the start of a range bound."""
    last = "".join(out[-2:])
    if last.endswith((">", "<", ">=", "<=")):
        return True
    return in_range and (last.endswith(("[", "{")) or last[-1:].isspace())


_POSITION = re.compile(r"position (\d+)")


def _syntax_error(text: str, message: str, origin: list[int]) -> BadQuery:
    match = _POSITION.search(message)
    if match is not None:
        at = int(match.group(1))
        position = origin[at] if at < len(origin) else len(text)
        near = text[position : position + 20]
        return BadQuery(f"syntax error at position {position} (near {near!r}) in the search", position=position)
    if "end" in message:
        return BadQuery(
            "syntax error at the end of the search: an operator without a term after it, or an unclosed "
            "parenthesis or quote",
            position=len(text),
        )
    return BadQuery("syntax error in the search", position=None)


# --- terms ---------------------------------------------------------------------------------------


def _word_parts(raw: str) -> list[Part]:
    """The characters of a luqum word with escapes removed, unescaped `*` and `?` as wildcard markers."""
    parts: list[Part] = []
    index = 0
    while index < len(raw):
        char = raw[index]
        if char == "\\" and index + 1 < len(raw):
            parts.append(raw[index + 1])
            index += 2
            continue
        parts.append(STAR if char == "*" else ONE if char == "?" else char)
        index += 1
    return parts


def _literal(parts: list[Part]) -> str:
    return "".join(part for part in parts if isinstance(part, str))


def _has_wildcard(parts: list[Part]) -> bool:
    return any(part is STAR or part is ONE for part in parts)


def _unescape(raw: str) -> str:
    return re.sub(r"\\(.)", r"\1", raw, flags=re.DOTALL)


def _phrase_text(raw: str) -> str:
    """A luqum phrase without its quotes and with `\\"` and `\\\\` unescaped."""
    inner = raw[1:-1] if len(raw) >= 2 and raw[0] == raw[-1] == '"' else raw
    return _unescape(inner)


def _number(text: str) -> float | None:
    if not _NUMBER.match(text.strip()):
        return None
    value = float(text)
    return value if math.isfinite(value) else None


def _moment(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _like_pattern(parts: list[Part]) -> str:
    """A LIKE pattern (lower-case ASCII) for the whole value: `*` -> %, `?` -> _, the user's own
    %, _ and backslashes escaped."""
    out = []
    for part in parts:
        if part is STAR:
            out.append("%")
        elif part is ONE:
            out.append("_")
        else:
            char = ascii_lower(str(part))
            out.append("\\" + char if char in "\\%_" else char)
    return "".join(out)


def _regex_pattern(parts: list[Part]) -> str:
    """A re2 pattern (lower-case ASCII) for a wildcard term on the implicit column: anchored at token
    edges on each side that does not start or end with `*`."""
    out = ["(?s)"]
    if parts[0] is not STAR:
        out.append(f"(?:^|{_SEPARATOR_CLASS})")
    for part in parts:
        if part is STAR:
            out.append(".*")
        elif part is ONE:
            out.append(".")
        else:
            char = ascii_lower(str(part))
            out.append("\\" + char if char in _REGEX_SPECIALS else char)
    if parts[-1] is not STAR:
        out.append(f"(?:{_SEPARATOR_CLASS}|$)")
    return "".join(out)


def _complete_tokens(parts: list[Part]) -> list[str]:
    """Tokens of a wildcard term that must appear whole (bounded by separators or anchored edges), so
    the token index can narrow the scan."""
    found: list[str] = []
    chunk: list[str] = []
    bounded_left = parts[0] is not STAR and parts[0] is not ONE
    for index, part in enumerate([*parts, STAR]):
        if isinstance(part, str):
            chunk.append(part)
            continue
        text = ascii_lower("".join(chunk))
        is_end = index == len(parts)
        bounded_right = is_end and parts[-1] is not STAR and parts[-1] is not ONE
        pieces = _SEPARATOR.split(text)
        for position, token in enumerate(pieces):
            if not token:
                continue
            left_ok = position > 0 or bounded_left
            right_ok = position < len(pieces) - 1 or bounded_right
            if left_ok and right_ok:
                found.append(token)
        chunk = []
        bounded_left = False
    return list(dict.fromkeys(found))


@dataclass
class _Translator:
    source: SourceModel
    params: Params
    keys: KnownKeys | None
    clauses: int = 0

    # --- tree ---

    def node(self, node: tree.Item, field: Field | None) -> str:
        if isinstance(node, (tree.AndOperation, tree.UnknownOperation)):
            return self._join([self.node(child, field) for child in node.children], "AND")
        if isinstance(node, tree.OrOperation):
            return self._join([self.node(child, field) for child in node.children], "OR")
        if isinstance(node, (tree.Not, tree.Prohibit)):
            return self._not(self.node(node.a, field))
        if isinstance(node, tree.Plus):
            return self.node(node.a, field)
        if isinstance(node, (tree.Group, tree.FieldGroup)):
            return self.node(node.expr, field)
        if isinstance(node, tree.SearchField):
            if field is not None:
                raise BadQuery(
                    f"{field.name}:{node.name}:… names two fields; put a value with ':' in quotes "
                    f'({field.name}:"{node.name}:…") or escape the colon with a backslash'
                )
            if _has_wildcard(_word_parts(node.name)):
                raise BadQuery(f"a field name cannot hold wildcards: {node.name}")
            name = _unescape(node.name)
            return self.node(node.expr, resolve(name, self.source, self.params, self.keys))
        if isinstance(node, tree.Word):
            self._count()
            parts = _word_parts(node.value)
            if field is None:
                return self._implicit_word(parts)
            return self._field_word(field, parts)
        if isinstance(node, tree.Phrase):
            self._count()
            text = _phrase_text(node.value)
            return (
                self._implicit_text(text) if field is None else self._any(field, lambda t: self._exact(t, text, field))
            )
        if isinstance(node, (tree.Range, tree.From, tree.To)):
            self._count()
            if field is None:
                raise BadQuery("a comparison or range needs a field, e.g. duration:>100 or level:[a TO c]")
            return self._range(field, node)
        if isinstance(node, tree.Regex):
            raise BadQuery("regular expressions (/…/) are not supported: use wildcards such as auth-* or *fail*")
        if isinstance(node, (tree.Fuzzy, tree.Proximity)):
            raise BadQuery("fuzzy and proximity searches (~) are not supported: use a phrase or wildcards")
        if isinstance(node, tree.Boost):
            raise BadQuery("boosts (^) are not supported: a search filters, it does not rank")
        raise BadQuery(f"this part of the search is not supported: {node!s}")

    def _count(self) -> None:
        self.clauses += 1
        if self.clauses > MAX_CLAUSES:
            raise BadQuery(f"the search has too many terms (at most {MAX_CLAUSES})")

    @staticmethod
    def _join(parts: list[str], operator: str) -> str:
        parts = [part for part in parts if not (operator == "AND" and part == "1")] or ["1"]
        return parts[0] if len(parts) == 1 else "(" + f" {operator} ".join(parts) + ")"

    @staticmethod
    def _not(sql: str) -> str:
        return "0" if sql == "1" else f"NOT ({sql})"

    # --- the implicit column ---

    def _implicit(self) -> Target:
        expression = self.source.expr("implicit_column") or self.source.expr("body")
        if expression is None:
            raise BadQuery(
                f"source {self.source.name!r} has no body or implicit column to search bare words in: "
                "name a field (field:value), or have an admin set the source's implicit column"
            )
        return expression_target(self.source, expression)

    def _implicit_word(self, parts: list[Part]) -> str:
        if not _has_wildcard(parts):
            return self._implicit_text(_literal(parts))
        if all(part is STAR for part in parts):
            return "1"
        target = self._implicit()
        column = f"lower({target.sql})"
        clauses = [f"hasToken({column}, {self.params.add(token)})" for token in _complete_tokens(parts)]
        clauses.append(f"match({column}, {self.params.add(_regex_pattern(parts))})")
        return _nullsafe(target, " AND ".join(clauses))

    def _implicit_text(self, text: str) -> str:
        """A word or a phrase on the implicit column: whole tokens through the token index, and the
        whole text as a substring when it is more than one token."""
        if text == "":
            return "1"
        target = self._implicit()
        lowered = ascii_lower(text)
        found = list(dict.fromkeys(tokens(lowered)))
        clauses = [f"hasToken(lower({target.sql}), {self.params.add(token)})" for token in found]
        if found != [lowered]:
            clauses.append(f"positionCaseInsensitive({target.sql}, {self.params.add(text)}) > 0")
        return _nullsafe(target, " AND ".join(clauses))

    # --- fields ---

    def _any(self, field: Field, leaf: _Leaf) -> str:
        """A condition on a field: true when any of its targets satisfies it."""
        parts = [leaf(target) for target in field.targets]
        return self._join(parts, "OR")

    def _field_word(self, field: Field, parts: list[Part]) -> str:
        if all(part is STAR for part in parts):
            return self._any(field, lambda t: t.exists)
        if _has_wildcard(parts):
            return self._any(field, lambda t: self._pattern(field, t, parts))
        text = _literal(parts)
        return self._any(field, lambda t: self._contains(field, t, text))

    def _contains(self, field: Field, target: Target, text: str) -> str:
        if target.kind == STRING:
            sql = f"positionCaseInsensitive({target.sql}, {self.params.add(text)}) > 0"
            return _nullsafe(target, _keyed(target, sql, text != ""))
        if target.kind == ARRAY:
            if target.element == NUMBER:
                return f"arrayExists(_v -> _v = {self._number_param(field, text, 1.0)}, {target.sql})"
            element = "_v" if target.element == STRING else "toString(_v)"
            return f"arrayExists(_v -> positionCaseInsensitive({element}, {self.params.add(text)}) > 0, {target.sql})"
        return self._equal(field, target, text)

    def _exact(self, target: Target, text: str, field: Field | None = None) -> str:
        if target.kind == STRING:
            return _nullsafe(target, _keyed(target, f"{target.sql} = {self.params.add(text)}", text != ""))
        if target.kind == ARRAY:
            if target.element == STRING:
                return f"has({target.sql}, {self.params.add(text)})"
            return f"arrayExists(_v -> toString(_v) = {self.params.add(text)}, {target.sql})"
        return self._equal(field, target, text)

    def _equal(self, field: Field | None, target: Target, text: str) -> str:
        name = field.name if field is not None else "this field"
        if target.kind == NUMBER:
            return _nullsafe(target, f"{target.sql} = {self._number_param(field, text, target.scale)}")
        if target.kind == BOOL:
            flag = {"true": 1, "1": 1, "false": 0, "0": 0}.get(text.strip().lower())
            if flag is None:
                raise BadQuery(f"{name} is true or false; {text!r} is neither")
            return _nullsafe(target, f"{target.sql} = {self.params.add(flag, 'UInt8')}")
        if target.kind in (DATETIME, DATE):
            return _nullsafe(target, f"{target.sql} = {self._time_param(name, target, text)}")
        return _nullsafe(target, f"toString({target.sql}) = {self.params.add(text)}")

    def _pattern(self, field: Field, target: Target, parts: list[Part]) -> str:
        pattern = self.params.add(_like_pattern(parts))
        if target.kind == STRING:
            needs_text = any(part is not STAR for part in parts)  # '' matches only a pattern of stars
            return _nullsafe(target, _keyed(target, f"lower({target.sql}) LIKE {pattern}", needs_text))
        if target.kind == ARRAY and target.element == STRING:
            return f"arrayExists(_v -> lower(_v) LIKE {pattern}, {target.sql})"
        raise BadQuery(f"wildcards (* and ?) work on text fields; {field.name} is not text")

    def _number_param(self, field: Field | None, text: str, scale: float) -> str:
        value = _number(text)
        if value is None:
            name = field.name if field is not None else "this field"
            raise BadQuery(f"{name} holds numbers; {text!r} is not a number")
        return self.params.add(value * scale, "Float64")

    def _time_param(self, name: str, target: Target, text: str) -> str:
        moment = _moment(text)
        if moment is None:
            raise BadQuery(f'{name} holds times; write an ISO time such as "2024-05-01T12:00:00Z", not {text!r}')
        if target.kind == DATE:
            return self.params.add(moment.date().isoformat(), "Date")
        return self.params.add(moment.strftime("%Y-%m-%d %H:%M:%S.%f"), "DateTime64(6, 'UTC')")

    # --- comparisons and ranges ---

    def _range(self, field: Field, node: tree.Range | tree.From | tree.To) -> str:
        if isinstance(node, tree.From):
            bounds = [(">=" if node.include else ">", _bound_text(node.a, field))]
        elif isinstance(node, tree.To):
            bounds = [("<=" if node.include else "<", _bound_text(node.a, field))]
        else:
            bounds = [
                (">=" if node.include_low else ">", _bound_text(node.low, field)),
                ("<=" if node.include_high else "<", _bound_text(node.high, field)),
            ]
        closed = [(op, text) for op, text in bounds if text is not None]
        if not closed:
            return self._any(field, lambda t: t.exists)
        numeric = all(_number(text) is not None for _, text in closed)
        return self._any(
            field, lambda t: self._join([self._compare(field, t, op, text, numeric) for op, text in closed], "AND")
        )

    def _compare(self, field: Field, target: Target, op: str, text: str, numeric: bool) -> str:
        if target.kind == NUMBER:
            return _nullsafe(target, f"{target.sql} {op} {self._number_param(field, text, target.scale)}")
        if target.kind in (DATETIME, DATE):
            return _nullsafe(target, f"{target.sql} {op} {self._time_param(field.name, target, text)}")
        if target.kind == STRING:
            if numeric:
                value = self._number_param(field, text, 1.0)
                return _keyed(target, f"ifNull(toFloat64OrNull({target.sql}) {op} {value}, 0)", True)
            sql = f"{target.sql} {op} {self.params.add(text)}"
            # '' is below every other text: only > and >= a non-empty text need the key.
            return _nullsafe(target, _keyed(target, sql, op in (">", ">=") and text != ""))
        raise BadQuery(f"{field.name} cannot be compared with {op}: it is not a number, a time or text")


def _bound_text(node: tree.Item, field: Field) -> str | None:
    """The text of a range bound; None for `*` (open)."""
    if isinstance(node, tree.Word):
        parts = _word_parts(node.value)
        if parts == [STAR]:
            return None
        if _has_wildcard(parts):
            raise BadQuery(f"a range bound of {field.name} cannot hold wildcards")
        return _literal(parts)
    if isinstance(node, tree.Phrase):
        return _phrase_text(node.value)
    if isinstance(node, tree.Prohibit) and isinstance(node.a, tree.Word):
        return "-" + _literal(_word_parts(node.a.value))
    raise BadQuery(f"a range or comparison on {field.name} takes a number, a time or a word")


def _keyed(target: Target, sql: str, implies_key: bool) -> str:
    """`mapContains(…) AND sql` for a map value when a missing key (read as '') could not satisfy
    `sql`: the same meaning, but the index on the map's keys can skip granules."""
    return f"({target.exists} AND {sql})" if target.keyed and implies_key else sql


def _nullsafe(target: Target, sql: str) -> str:
    """Keep conditions two-valued (true/false, never NULL), so NOT is the exact complement."""
    return f"ifNull({sql}, 0)" if target.nullable else sql
