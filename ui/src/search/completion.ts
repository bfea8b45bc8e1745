/** Field-name completion in the query box: which word the caret is on, and what it could become. */
import type { Language } from '../searchState';

export interface Token {
  /** Where the word starts and ends in the text (end exclusive). */
  start: number;
  end: number;
  prefix: string;
}

export interface Candidate {
  /** What is inserted (and shown). */
  label: string;
  /** Where it comes from: "alias", "column", "LogAttributes", … */
  detail: string;
}

const LUCENE_FIELD = /[\w.@-]/;
const SQL_FIELD = /[\w.]/;
const KEYWORDS = new Set(['AND', 'OR', 'NOT', 'TO']);

/** Whether `caret` is inside a quoted string (quotes escaped by a backslash do not count). */
function insideQuotes(text: string, caret: number, quote: string): boolean {
  let open = false;
  for (let i = 0; i < caret; i += 1) {
    const ch = text[i];
    if (ch === '\\') i += 1;
    else if (ch === quote) open = !open;
  }
  return open;
}

/**
 * The field name being typed at `caret`, or null when the caret is not on one: inside quotes, in a
 * value (after `field:`), or on a keyword. A leading `-` (NOT) is not part of the name.
 */
export function completionToken(text: string, caret: number, language: Language): Token | null {
  if (caret < 0 || caret > text.length) return null;
  const fieldChar = language === 'sql' ? SQL_FIELD : LUCENE_FIELD;
  if (insideQuotes(text, caret, language === 'sql' ? "'" : '"')) return null;
  let start = caret;
  while (start > 0 && fieldChar.test(text[start - 1] ?? '')) start -= 1;
  let end = caret;
  while (end < text.length && fieldChar.test(text[end] ?? '')) end += 1;
  while (language === 'lucene' && text[start] === '-' && start < caret) start += 1;
  if (start >= caret) return null;
  const before = text[start - 1];
  // `field:val|` is a value; in SQL, `x = val|` is too, but a name after an operator is common, so allow it.
  if (language === 'lucene' && before === ':') return null;
  if (language === 'sql' && (before === "'" || before === '.')) return null;
  const prefix = text.slice(start, caret);
  if (KEYWORDS.has(prefix) || /^\d/.test(prefix)) return null;
  // Already followed by `:` (Lucene): the name is complete.
  if (language === 'lucene' && text[end] === ':') return null;
  return { start, end, prefix };
}

/** Candidates starting with the prefix first, then containing it; any case; at most `limit`. */
export function suggest(prefix: string, candidates: readonly Candidate[], limit = 8): Candidate[] {
  const wanted = prefix.toLowerCase();
  if (wanted === '') return [];
  const starts: Candidate[] = [];
  const contains: Candidate[] = [];
  for (const candidate of candidates) {
    const label = candidate.label.toLowerCase();
    if (label === wanted) continue;
    if (label.startsWith(wanted)) starts.push(candidate);
    else if (label.includes(wanted)) contains.push(candidate);
  }
  return [...starts, ...contains].slice(0, limit);
}

/** The text with the token replaced by the field, followed by `:` (Lucene) or a space (SQL). */
export function applyCompletion(
  text: string,
  token: Token,
  field: string,
  language: Language,
): { text: string; caret: number } {
  const inserted = field + (language === 'sql' ? ' ' : ':');
  return { text: text.slice(0, token.start) + inserted + text.slice(token.end), caret: token.start + inserted.length };
}

/** The roles a source maps to columns (`service` → `ServiceName`), as `GET /api/team/sources` gives them. */
export type SourceColumns = Partial<Record<string, string | number | null | Record<string, string>>>;

/** Search aliases and the source role they need (see query/fields.py). */
const ALIASES: [string, string][] = [
  ['level', 'severity'],
  ['service', 'service'],
  ['body', 'body'],
  ['trace_id', 'trace_id'],
  ['span_id', 'span_id'],
  ['parent_span_id', 'parent_span_id'],
  ['span_name', 'span_name'],
  ['span_kind', 'span_kind'],
  ['duration', 'duration'],
  ['status', 'status_code'],
];
const ROLES = [
  'displayed_timestamp',
  'timestamp',
  'service',
  'severity',
  'body',
  'trace_id',
  'span_id',
  'parent_span_id',
  'span_name',
  'span_kind',
  'status_code',
  'status_message',
  'duration',
];
const SIMPLE_COLUMN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Every field a user might mean: aliases, the source's columns, and attribute keys seen in the data. */
export function fieldCandidates(
  columns: SourceColumns | undefined,
  keys: readonly { key: string; map: string }[],
  language: Language,
): Candidate[] {
  const out = new Map<string, Candidate>();
  const add = (label: string, detail: string) => {
    if (!out.has(label)) out.set(label, { label, detail });
  };
  if (language === 'lucene' && columns) {
    for (const [alias, role] of ALIASES) if (typeof columns[role] === 'string') add(alias, 'alias');
  }
  for (const role of ROLES) {
    const column = columns?.[role];
    if (typeof column === 'string' && SIMPLE_COLUMN.test(column)) add(column, 'column');
  }
  for (const { key, map } of keys) {
    if (language === 'sql') add(`${map}['${key.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}']`, map);
    else if (/^[\w.@-]+$/.test(key)) add(key, map);
  }
  return [...out.values()];
}
