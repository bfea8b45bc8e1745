/** CSV export of search results (RFC 4180), safe to open in a spreadsheet. */
import { formatCell } from '../format';

/**
 * Characters that make a spreadsheet read a cell as a formula (`=cmd|…`, `+1+1`, `@SUM(…)`), also after
 * a tab or carriage return: such text cells get a leading apostrophe so they stay text.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/** One cell: text quoted when it holds a comma, quote or line break; formula-like text defused. */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  // Numbers and booleans are data, not formulas: -5 stays -5.
  let text = typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint' ? String(value) : formatCell(value);
  if (typeof value !== 'number' && typeof value !== 'bigint' && FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A whole CSV document: a header line, then one line per row, lines ending in CRLF. */
export function toCsv(header: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const lines = [header.map(csvCell).join(',')];
  for (const row of rows) lines.push(header.map((_, index) => csvCell(row[index])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

/** A file name such as `otelhouse-logs-20240501-120000.csv` (UTC), safe on every system. */
export function csvFileName(sourceName: string, now: Date = new Date()): string {
  const slug = sourceName.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'search';
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `otelhouse-${slug}-${stamp}.csv`;
}
