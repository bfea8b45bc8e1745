/** Turning API values into text for the page. Everything ends up as a string rendered as text. */

export function formatCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value) && value.length === 0) return '';
  if (typeof value === 'object' && Object.keys(value).length === 0) return '';
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

/** "2024-05-01 12:00:00.123456789" or ISO → "2024-05-01 12:00:00.123": compact for a table. */
export function formatTimestamp(value: unknown): string {
  const text = formatCell(value);
  const match = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(\.\d{1,3})?\d*(Z|[+-]\d{2}:?\d{2})?$/.exec(text);
  if (!match) return text;
  return `${match[1]} ${match[2]}${match[3] ?? ''}`;
}

/** Whether a column holds times (by its ClickHouse type). */
export function isTimeType(type: string): boolean {
  return /^(Nullable\()?DateTime(64)?\b/.test(type);
}

/** Shell-quote for `export NAME=value` lines: single quotes, with embedded ones escaped. */
export function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]*$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
