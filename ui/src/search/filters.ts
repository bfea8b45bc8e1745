/** Adding "field is (not) value" to a search, from a facet or a side-panel click. */

export type Language = 'lucene' | 'sql';

/**
 * What filters need to know about a source: its role → expression map (`columns` of GET
 * /api/team/sources, e.g. `{service: "ServiceName", event_attributes: "LogAttributes"}`). Optional:
 * without it, the default sources' columns are assumed.
 */
export interface FilterSource {
  columns?: Record<string, unknown> | null;
}

/** Search-language aliases → source roles (as src/otelhouse/query/fields.py ALIASES). */
const ALIASES: Record<string, string> = {
  level: 'severity',
  severity: 'severity',
  service: 'service',
  body: 'body',
  message: 'body',
  msg: 'body',
  trace_id: 'trace_id',
  traceid: 'trace_id',
  span_id: 'span_id',
  spanid: 'span_id',
  parent_span_id: 'parent_span_id',
  span_name: 'span_name',
  name: 'span_name',
  span_kind: 'span_kind',
  kind: 'span_kind',
  status: 'status_code',
  status_code: 'status_code',
  status_message: 'status_message',
};

/** The alias a side panel writes for a column that is a source's role (ServiceName → service). */
const ROLE_ALIAS: Record<string, string> = {
  service: 'service',
  severity: 'severity',
  body: 'body',
  trace_id: 'trace_id',
  span_id: 'span_id',
  parent_span_id: 'parent_span_id',
  span_name: 'span_name',
  span_kind: 'span_kind',
  status_code: 'status_code',
  status_message: 'status_message',
};

/** The default sources' roles, for when the caller does not pass the source's own. */
const DEFAULT_COLUMNS: Record<string, string> = {
  service: 'ServiceName',
  severity: 'SeverityText',
  body: 'Body',
  trace_id: 'TraceId',
  span_id: 'SpanId',
  parent_span_id: 'ParentSpanId',
  span_name: 'SpanName',
  span_kind: 'SpanKind',
  status_code: 'StatusCode',
  status_message: 'StatusMessage',
  event_attributes: 'LogAttributes',
  resource_attributes: 'ResourceAttributes',
};

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A source's expression for a role, as text, when it names one. */
export function roleExpression(source: FilterSource | undefined, role: string): string | undefined {
  const columns = source?.columns;
  if (columns) {
    const found = columns[role];
    return typeof found === 'string' && found.trim() !== '' ? found : undefined;
  }
  return DEFAULT_COLUMNS[role];
}

/** The attribute map columns of a source (event attributes, resource attributes). */
export function attributeMaps(source: FilterSource | undefined): string[] {
  const found = [roleExpression(source, 'event_attributes'), roleExpression(source, 'resource_attributes')];
  return found.filter((m): m is string => m !== undefined && IDENTIFIER.test(m));
}

/** A value quoted for the search language: "…" with backslashes and quotes escaped. */
export function quoteLucene(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** A string literal for ClickHouse SQL: '…' with backslashes and quotes escaped. */
export function quoteSql(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * A field name written so the search parser reads it as one name: characters that end a term or start
 * an operator (spaces, `:`, brackets, quotes, wildcards, a leading `-`, …) get a backslash; the server
 * removes the backslashes again.
 */
export function escapeLuceneField(name: string): string {
  let out = '';
  for (let i = 0; i < name.length; i += 1) {
    const char = name.charAt(i);
    const special = /[\s:^~(){}[\]\\"*?!]/.test(char) || (i === 0 && /[/'+\-<>]/.test(char));
    out += special ? `\\${char}` : char;
  }
  return out;
}

/**
 * The field a side-panel value filters on: a column's alias when the column is one of the source's
 * roles (ServiceName → service), else the column; a map entry as `Map.key` (the map path the search
 * language reads).
 */
export function rowField(source: FilterSource | undefined, column: string, key?: string): string {
  if (key !== undefined) return `${column}.${key}`;
  for (const [role, alias] of Object.entries(ROLE_ALIAS)) {
    if (roleExpression(source, role) === column) return alias;
  }
  return column;
}

/** A ClickHouse identifier: as it is when plain, else backquoted. */
function sqlIdentifier(name: string): string {
  return IDENTIFIER.test(name) ? name : `\`${name.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``;
}

/** The SQL condition "field is (not) value": aliases → the source's expressions, map paths → `M['k']`,
 * an attribute named alone → either attribute map. */
export function sqlCondition(field: string, value: string, exclude: boolean, source?: FilterSource): string {
  const op = exclude ? '!=' : '=';
  const literal = quoteSql(value);
  const role = ALIASES[field.toLowerCase()];
  const expression = role !== undefined ? roleExpression(source, role) : undefined;
  if (expression !== undefined) {
    const target = IDENTIFIER.test(expression) ? expression : `(${expression})`;
    return `${target} ${op} ${literal}`;
  }
  const maps = attributeMaps(source);
  const dot = field.indexOf('.');
  if (dot > 0) {
    const head = field.slice(0, dot);
    const map = maps.find((m) => m.toLowerCase() === head.toLowerCase()) ?? (/Attributes$/.test(head) ? head : undefined);
    if (map !== undefined) return `${sqlIdentifier(map)}[${quoteSql(field.slice(dot + 1))}] ${op} ${literal}`;
    if (maps.length > 0) {
      // An attribute named alone (a facet's key): true when either map holds the value.
      const either = maps.map((m) => `${m}[${quoteSql(field)}] = ${literal}`).join(' OR ');
      return exclude ? `NOT (${either})` : `(${either})`;
    }
  }
  return `${sqlIdentifier(field)} ${op} ${literal}`;
}

/** Where `term` stands alone in `query` (not part of a longer term, not negated). */
function findTerm(query: string, term: string, negations: string[]): number {
  let from = 0;
  for (;;) {
    const at = query.indexOf(term, from);
    if (at < 0) return -1;
    const before = query.slice(0, at);
    const after = query.charAt(at + term.length);
    const startOk = at === 0 || /[\s(]$/.test(before);
    const endOk = after === '' || /[\s)]/.test(after);
    const negated = negations.some((n) => before.endsWith(n));
    if (startOk && endOk && !negated) return at;
    from = at + 1;
  }
}

/**
 * The query with `positive` (or, when `negate`, the first of `negatives`) in it: an opposite term already
 * there is replaced in place, and a term already there is not added again.
 */
function toggleTerm(
  query: string,
  positive: string,
  negatives: string[],
  negate: boolean,
  join: (current: string, term: string) => string,
): string {
  const current = query.trim();
  const prefixes = negatives.filter((n) => n.endsWith(positive)).map((n) => n.slice(0, n.length - positive.length));
  const positiveAt = findTerm(current, positive, prefixes);
  const negative = negatives
    .map((n) => ({ at: findTerm(current, n, []), length: n.length }))
    .find((found) => found.at >= 0);
  const wanted = negate ? (negatives[0] ?? positive) : positive;
  const replace = (at: number, length: number) => current.slice(0, at) + wanted + current.slice(at + length);
  if (negate) {
    if (negative) return current;
    if (positiveAt >= 0) return replace(positiveAt, positive.length);
  } else {
    if (positiveAt >= 0) return current;
    if (negative) return replace(negative.at, negative.length);
  }
  return current === '' ? wanted : join(current, wanted);
}

/**
 * The query with "field is value" (or "is not") added: `field:"value"` / `-field:"value"` in the search
 * language, `AND field = '…'` in SQL. When the opposite term is already there it is replaced, and the
 * same term is not added twice.
 */
export function addFilter(
  query: string,
  language: Language,
  field: string,
  value: string,
  exclude: boolean,
  source?: FilterSource,
): string {
  if (language === 'sql') {
    const positive = sqlCondition(field, value, false, source);
    const negative = sqlCondition(field, value, true, source);
    const hasOr = (q: string) => /\bor\b/i.test(q);
    // AND binds tighter than OR: a search with an OR is kept whole in parentheses.
    return toggleTerm(query, positive, [negative], exclude, (q, term) => `${hasOr(q) ? `(${q})` : q} AND ${term}`);
  }
  const positive = `${escapeLuceneField(field)}:${quoteLucene(value)}`;
  const hasOr = (q: string) => /(^|[\s)])(OR|\|\|)([\s(]|$)/.test(q);
  return toggleTerm(query, positive, [`-${positive}`, `NOT ${positive}`], exclude, (q, term) =>
    hasOr(q) ? `(${q}) ${term}` : `${q} ${term}`,
  );
}

/** The fixed parts of an event pattern (`request <*> took <*> ms` → "request", "took", "ms"). */
export function patternParts(pattern: string): string[] {
  return pattern
    .split('<*>')
    .map((part) => part.trim())
    .filter((part) => /[\p{L}\p{N}]/u.test(part));
}

/**
 * The query narrowed to the rows a pattern describes: each fixed part of the pattern as a phrase the
 * body must contain (any case). Null when the pattern has no fixed part to search for.
 */
export function patternSearch(query: string, language: Language, pattern: string, source?: FilterSource): string | null {
  const parts = patternParts(pattern);
  if (parts.length === 0) return null;
  const current = query.trim();
  if (language === 'sql') {
    const body = roleExpression(source, 'body') ?? 'Body';
    const target = IDENTIFIER.test(body) ? body : `(${body})`;
    const terms = parts.map((part) => `positionCaseInsensitive(${target}, ${quoteSql(part)}) > 0`).join(' AND ');
    if (current === '') return terms;
    return `${/\bor\b/i.test(current) ? `(${current})` : current} AND ${terms}`;
  }
  const terms = parts.map(quoteLucene).join(' ');
  if (current === '') return terms;
  return `${/(^|[\s)])(OR|\|\|)([\s(]|$)/.test(current) ? `(${current})` : current} ${terms}`;
}

/** The select expression of one key of a map column, e.g. `LogAttributes['http.route']`. */
export function mapColumn(column: string, key: string): string {
  return `${column}[${quoteSql(key)}]`;
}
