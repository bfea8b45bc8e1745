/**
 * CSV export, done in the browser: the search's rows fetched page by page (1,000 a request, up to
 * 10,000 rows), written as CSV and handed to the browser as a download.
 */
import { MAX_PAGE, searchApi, type SearchScope } from '../searchApi';
import { csvFileName, toCsv } from './csv';

export const EXPORT_LIMIT = 10_000;

export interface ExportResult {
  rows: number;
  /** True when there were more matching rows than the limit. */
  truncated: boolean;
}

export async function exportCsv(
  scope: SearchScope,
  select: string[] | undefined,
  sourceName: string,
  onProgress: (rows: number) => void,
  signal?: AbortSignal,
): Promise<ExportResult> {
  let header: string[] = [];
  const values: unknown[][] = [];
  let cursor: string | undefined;
  let truncated = false;
  do {
    const page = await searchApi.rows(
      { ...scope, select, limit: Math.min(MAX_PAGE, EXPORT_LIMIT - values.length), cursor },
      signal,
    );
    header = page.columns.map((c) => c.name);
    for (const row of page.rows) values.push(row.values);
    onProgress(values.length);
    cursor = page.next_cursor ?? undefined;
    if (cursor && values.length >= EXPORT_LIMIT) {
      truncated = true;
      break;
    }
  } while (cursor);
  download(toCsv(header, values), csvFileName(sourceName));
  return { rows: values.length, truncated };
}

function download(text: string, name: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  // Give the browser time to start the download before the URL goes.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
