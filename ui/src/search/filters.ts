/** Adding "field is (not) value" to a search, from a facet or a side-panel click. */

export type Language = 'lucene' | 'sql';

/** A value quoted for the search language: "…" with backslashes and quotes escaped. */
export function quoteLucene(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** A string literal for ClickHouse SQL: '…' with backslashes and quotes escaped. */
export function quoteSql(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** The query with `field:"value"` (or `-field:"value"`) added; in SQL mode an `AND field = '…'` term. */
export function addFilter(query: string, language: Language, field: string, value: string, exclude: boolean): string {
  const current = query.trim();
  if (language === 'sql') {
    const term = `${field} ${exclude ? '!=' : '='} ${quoteSql(value)}`;
    return current === '' ? term : `(${current}) AND ${term}`;
  }
  const term = `${exclude ? '-' : ''}${field}:${quoteLucene(value)}`;
  return current === '' ? term : `${current} ${term}`;
}
