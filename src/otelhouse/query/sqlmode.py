"""SQL mode: the user writes a ClickHouse WHERE expression themselves.

It is checked here to be one expression over the source's own rows — no second statement, no
settings or output format, no subquery, no table function, no dictionary or system table, no comments
or query parameters, balanced parentheses — and is then wrapped in parentheses, so it can only narrow
the time range it is ANDed with. The check is a guard for clear messages, not the security boundary:
the query also runs with the read-only guardrails (`readonly=1` on the embedded store, the read-only
query user on a server), which make ClickHouse itself refuse anything but reading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from otelhouse.errors import BadQuery
from otelhouse.query.model import SourceModel

MAX_SQL_CHARS = 10_000

# Keywords that have no place inside one WHERE expression (statements, clauses, set operations).
_FORBIDDEN_KEYWORDS = {
    "select": "subqueries (SELECT) are not allowed in SQL mode",
    "with": "WITH (common table expressions) is not allowed in SQL mode",
    "union": "UNION is not allowed in SQL mode: write one condition",
    "intersect": "INTERSECT is not allowed in SQL mode: write one condition",
    "except": "EXCEPT is not allowed in SQL mode: write one condition",
    "settings": "SETTINGS cannot be changed from a search",
    "format": "FORMAT cannot be set from a search",
    "into": "INTO (OUTFILE) is not allowed in SQL mode",
    "outfile": "INTO OUTFILE is not allowed in SQL mode",
    "insert": "writes are not allowed: SQL mode takes one WHERE condition",
    "alter": "writes are not allowed: SQL mode takes one WHERE condition",
    "delete": "writes are not allowed: SQL mode takes one WHERE condition",
    "update": "writes are not allowed: SQL mode takes one WHERE condition",
    "drop": "writes are not allowed: SQL mode takes one WHERE condition",
    "truncate": "writes are not allowed: SQL mode takes one WHERE condition",
    "create": "writes are not allowed: SQL mode takes one WHERE condition",
    "attach": "writes are not allowed: SQL mode takes one WHERE condition",
    "detach": "writes are not allowed: SQL mode takes one WHERE condition",
    "rename": "writes are not allowed: SQL mode takes one WHERE condition",
    "optimize": "writes are not allowed: SQL mode takes one WHERE condition",
    "grant": "access changes are not allowed in SQL mode",
    "revoke": "access changes are not allowed in SQL mode",
    "kill": "KILL is not allowed in SQL mode",
    "system": "system tables and SYSTEM statements are not allowed in SQL mode",
    "information_schema": "system tables are not allowed in SQL mode",
    "join": "JOIN is not allowed in SQL mode: write one condition over this source's columns",
    "from": None,  # allowed only inside extract/trim/substring, see `_check_from`
    "limit": "LIMIT is not allowed in SQL mode: write one condition",
    "order": "ORDER BY is not allowed in SQL mode: write one condition",
    "group": "GROUP BY is not allowed in SQL mode: write one condition",
    "having": "HAVING is not allowed in SQL mode: write one condition",
    "where": "write the condition without WHERE",
    "prewhere": "PREWHERE is not allowed in SQL mode: write one condition",
    "global": "GLOBAL IN/JOIN is not allowed in SQL mode",
}

# Functions that read outside the row (tables, files, the network, dictionaries, other servers) or
# that only waste the server's time. Table functions are listed too: used as a function, their name
# would be refused by ClickHouse anyway, but the message here is clearer.
_FORBIDDEN_FUNCTIONS = frozenset(
    name.lower()
    for line in (
        "url urlCluster s3 s3Cluster s3Queue file fileCluster remote remoteSecure cluster clusterAllReplicas mysql",
        "postgresql jdbc odbc hdfs hdfsCluster input executable executablePool azureBlobStorage gcs sqlite mongodb",
        "azureBlobStorageCluster redis iceberg icebergS3 icebergAzure icebergHDFS icebergLocal icebergCluster",
        "icebergS3Cluster deltaLake deltaLakeCluster deltaLakeLocal deltaLakeS3 deltaLakeAzure hudi hudiCluster",
        "merge dictionary view viewIfPermitted viewExplain values generateRandom generate_series generateSeries",
        "numbers numbers_mt zeros zeros_mt null loop fuzzJSON fuzzQuery paimon paimonS3 paimonAzure paimonHDFS",
        "paimonLocal arrowFlight ytsaurus timeSeriesData timeSeriesMetrics timeSeriesTags timeSeriesSelector",
        "mergeTreeIndex mergeTreeProjection mergeTreeAnalyzeIndexes prometheusQuery prometheusQueryRange",
        "showSettings dictGet dictGetOrDefault dictGetOrNull dictHas dictGetHierarchy dictIsIn dictGetChildren",
        "dictGetDescendants dictGetAll dictGetString dictGetInt8 dictGetInt16 dictGetInt32 dictGetInt64",
        "dictGetUInt8 dictGetUInt16 dictGetUInt32 dictGetUInt64 dictGetFloat32 dictGetFloat64 dictGetDate",
        "dictGetDateTime dictGetUUID dictGetIPv4 dictGetIPv6 dictGetStringOrDefault joinGet joinGetOrNull",
        "sleep sleepEachRow getSetting getSettingOrDefault getServerSetting getMergeTreeSetting getMacro shardNum",
        "shardCount hostName fqdn currentUser currentProfiles enabledProfiles currentRoles enabledRoles",
        "defaultRoles getOSKernelVersion filesystemAvailable filesystemCapacity filesystemUnreserved",
        "getClientHTTPHeader initialQueryID queryID catboostEvaluate naiveBayesClassifier evalMLMethod",
        "modelEvaluate addressToLine addressToLineWithInlines addressToSymbol demangle transactionID",
        "transactionLatestSnapshot transactionOldestSnapshot globalIn globalNotIn globalInIgnoreSet",
        "globalNotInIgnoreSet globalNullIn globalNotNullIn",
    )
    for name in line.split(" ")
)

# Words an expression may hold besides column names, function names and type names.
_EXPRESSION_KEYWORDS = frozenset(
    [
        "and",
        "or",
        "not",
        "in",
        "is",
        "null",
        "like",
        "ilike",
        "between",
        "case",
        "when",
        "then",
        "else",
        "end",
        "true",
        "false",
        "interval",
        "as",
        "distinct",
        "for",
        "both",
        "leading",
        "trailing",
        "from",
        "nan",
        "inf",
        "date",
        "timestamp",
        "time",
        "array",
        "tuple",
        "map",
        "nanosecond",
        "nanoseconds",
        "microsecond",
        "microseconds",
        "millisecond",
        "milliseconds",
        "second",
        "seconds",
        "minute",
        "minutes",
        "hour",
        "hours",
        "day",
        "days",
        "week",
        "weeks",
        "month",
        "months",
        "quarter",
        "quarters",
        "year",
        "years",
    ]
)

# Keywords that may legitimately follow `FROM` inside an expression: extract(DAY FROM x),
# trim(BOTH ' ' FROM x), substring(x FROM 2 FOR 3).
_FROM_FUNCTIONS = frozenset({"extract", "trim", "substring", "substr", "position", "overlay"})


@dataclass(frozen=True)
class _Token:
    kind: str  # word | quoted | string | number | op
    text: str
    position: int


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"(?:0[xX][0-9A-Fa-f]+|0[bB][01]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)")
_OPERATORS = ("->", "<=", ">=", "!=", "<>", "==", "||", "::", "(", ")", "[", "]", ",", "+", "-", "*", "/", "%",
              "=", "<", ">", ".", ":", "?")  # fmt: skip


def where_sql(text: str, source: SourceModel) -> str:
    """A user-written SQL WHERE expression, checked (see the module doc) and wrapped in parentheses to
    AND with the time range. Raises BadQuery."""
    if not text or not text.strip():
        raise BadQuery("the SQL condition is empty: write a WHERE expression such as SeverityText = 'ERROR'")
    if len(text) > MAX_SQL_CHARS:
        raise BadQuery(f"the SQL condition is too long ({len(text)} characters; at most {MAX_SQL_CHARS})")
    tokens = _lex(text)
    _check(tokens, text)
    _check_names(tokens, source)
    return f"({text.strip()})"


def _lex(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    index, length = 0, len(text)
    while index < length:
        char = text[index]
        if char.isspace():
            index += 1
            continue
        if text.startswith(("--", "/*"), index) or char == "#":
            raise _refuse("comments are not allowed in SQL mode", index)
        if char == ";":
            raise _refuse("only one expression is allowed: remove the ';'", index)
        if char in "{}":
            raise _refuse("query parameters ({…}) are not allowed in SQL mode: write the value itself", index)
        if char == "$":
            raise _refuse("'$' (heredoc strings) is not allowed in SQL mode: use '…' strings", index)
        if char == "'":
            end = _string_end(text, index, "'")
            tokens.append(_Token("string", text[index : end + 1], index))
            index = end + 1
            continue
        if char in '`"':
            end = _string_end(text, index, char)
            tokens.append(_Token("quoted", _unquote(text[index + 1 : end], char), index))
            index = end + 1
            continue
        number = _NUMBER.match(text, index)
        if number is not None and (char.isdigit() or (char == "." and number.end() > index + 1)):
            tokens.append(_Token("number", number.group(0), index))
            index = number.end()
            continue
        word = _WORD.match(text, index)
        if word is not None:
            tokens.append(_Token("word", word.group(0), index))
            index = word.end()
            continue
        operator = next((op for op in _OPERATORS if text.startswith(op, index)), None)
        if operator is None:
            raise _refuse(f"unexpected character {char!r} in the SQL condition", index)
        if operator == "?":
            raise _refuse("query parameters (?) are not allowed in SQL mode: write the value itself", index)
        tokens.append(_Token("op", operator, index))
        index += len(operator)
    return tokens


def _string_end(text: str, start: int, quote: str) -> int:
    """Index of the closing quote of a literal or quoted identifier opened at `start`
    (backslash escapes and doubled quotes, as ClickHouse reads them)."""
    index = start + 1
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2
            continue
        if char == quote:
            if index + 1 < len(text) and text[index + 1] == quote:
                index += 2
                continue
            return index
        index += 1
    kind = "string" if quote == "'" else "quoted name"
    raise _refuse(f"unclosed {kind} starting at position {start}", start)


def _unquote(inner: str, quote: str) -> str:
    return re.sub(r"\\(.)", r"\1", inner.replace(quote * 2, quote), flags=re.DOTALL)


def _check(tokens: list[_Token], text: str) -> None:
    depth = 0
    brackets = 0
    calls: list[str] = []  # the function (or "") each open parenthesis belongs to
    for index, token in enumerate(tokens):
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        previous = tokens[index - 1] if index > 0 else None
        if token.kind == "op":
            if token.text == "(":
                depth += 1
                calls.append(previous.text.lower() if previous is not None and previous.kind == "word" else "")
            elif token.text == ")":
                depth -= 1
                if depth < 0:
                    raise _refuse("unbalanced ')': the condition must be one expression", token.position)
                calls.pop()
            elif token.text == "[":
                brackets += 1
            elif token.text == "]":
                brackets -= 1
                if brackets < 0:
                    raise _refuse("unbalanced ']'", token.position)
            continue
        if token.kind not in ("word", "quoted"):
            continue
        name = token.text.lower()
        is_call = following is not None and following.kind == "op" and following.text == "("
        if token.kind == "word" and name in _FORBIDDEN_KEYWORDS and not (is_call and name == "format"):
            if name == "from":
                _check_from(calls, token)
                continue
            message = _FORBIDDEN_KEYWORDS[name]
            assert message is not None
            raise _refuse(message, token.position)
        if name in ("system", "information_schema") or name.startswith("system."):
            raise _refuse("system tables are not allowed in SQL mode", token.position)
        if is_call and name in _FORBIDDEN_FUNCTIONS:
            raise _refuse(
                f"{token.text}() is not allowed in SQL mode: it reads outside this source's rows", token.position
            )
        if name in ("in",) and token.kind == "word":
            _check_in(following, token)
    if depth != 0:
        raise _refuse("unbalanced '(': the condition must be one expression", len(text))
    if brackets != 0:
        raise _refuse("unbalanced '['", len(text))


def _check_names(tokens: list[_Token], source: SourceModel) -> None:
    """Every name that is not a function call, a keyword, a type or a lambda parameter must be a column
    of the source's table: nothing else (another table, a dictionary) can be named."""
    columns = set(source.schema)
    lambdas = _lambda_parameters(tokens)
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if (token.kind == "op" and token.text == "::") or (token.kind == "word" and token.text.lower() == "as"):
            index = _skip_type(tokens, index + 1)
            continue
        if token.kind not in ("word", "quoted"):
            index += 1
            continue
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        if token.kind == "word" and following is not None and following.kind == "op" and following.text == "(":
            index += 1  # a function call; its name was checked in `_check`
            continue
        if (token.kind == "word" and token.text.lower() in _EXPRESSION_KEYWORDS) or token.text in lambdas:
            index += 1
            continue
        # A dotted name (`Events.Name`, `ResourceAttributes.keys`): the longest prefix that is a column.
        name, end = token.text, index
        while end + 2 < len(tokens) and tokens[end + 1].text == "." and tokens[end + 2].kind in ("word", "quoted"):
            name, end = f"{name}.{tokens[end + 2].text}", end + 2
        parts = name.split(".")
        if not any(".".join(parts[:n]) in columns for n in range(len(parts), 0, -1)):
            raise _refuse(_unknown_column(name, source), token.position)
        index = end + 1


def _lambda_parameters(tokens: list[_Token]) -> set[str]:
    """Names bound by lambdas: `x -> …` and `(x, y) -> …`."""
    names: set[str] = set()
    for index, token in enumerate(tokens):
        if token.kind != "op" or token.text != "->" or index == 0:
            continue
        previous = tokens[index - 1]
        if previous.kind == "word":
            names.add(previous.text)
        elif previous.text == ")":
            back = index - 2
            while back >= 0 and tokens[back].text != "(":
                if tokens[back].kind == "word":
                    names.add(tokens[back].text)
                back -= 1
    return names


def _skip_type(tokens: list[_Token], index: int) -> int:
    """Past a type name such as `String`, `Nullable(String)`, `Decimal(10, 2)` (after AS or ::)."""
    if index < len(tokens) and tokens[index].kind in ("word", "quoted", "string"):
        index += 1
        if index < len(tokens) and tokens[index].text == "(":
            depth = 0
            while index < len(tokens):
                depth += {"(": 1, ")": -1}.get(tokens[index].text, 0)
                index += 1
                if depth == 0:
                    break
    return index


def _unknown_column(name: str, source: SourceModel) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(source.schema), n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return f"unknown column {name!r} in {source.table}: SQL mode reads only this source's columns{hint}"


def _check_from(calls: list[str], token: _Token) -> None:
    if not calls or calls[-1] not in _FROM_FUNCTIONS:
        raise _refuse("FROM is not allowed in SQL mode: write one condition over this source's columns", token.position)


def _check_in(following: _Token | None, token: _Token) -> None:
    """`x IN (…)` only: `x IN some_table` would read another table."""
    if following is None or not (following.kind == "op" and following.text == "("):
        raise _refuse("IN takes a list in parentheses, e.g. ServiceName IN ('api', 'web')", token.position)


def _refuse(message: str, position: int) -> BadQuery:
    return BadQuery(f"{message} (at position {position})", position=position)
