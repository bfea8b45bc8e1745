/** A table of the chart's groups: one row per group, one column per series (its whole-range value). */
import { useMemo, useState } from 'react';
import type { ChartAnswer } from '../chartsApi';
import { formatValue, tableRows } from './series';

type Sort = { column: number; descending: boolean };

export function TableTile({
  answer,
  label,
  format = formatValue,
}: {
  answer: ChartAnswer;
  label: string;
  format?: (value: number | null) => string;
}) {
  const table = useMemo(() => tableRows(answer), [answer]);
  const groups = table.groupColumns.length;
  // Columns: the group-by fields first, then the series; sorting starts on the first series, largest first.
  const [sort, setSort] = useState<Sort>({ column: groups, descending: true });
  const rows = useMemo(() => {
    const sorted = [...table.rows];
    sorted.sort((a, b) => {
      const cell = (row: typeof a) =>
        sort.column < groups ? (row.group[sort.column] ?? '') : (row.cells[sort.column - groups] ?? null);
      const x = cell(a);
      const y = cell(b);
      let order: number;
      if (typeof x === 'string' || typeof y === 'string') order = String(x).localeCompare(String(y));
      else order = (x ?? -Infinity) - (y ?? -Infinity);
      return sort.descending ? -order : order;
    });
    return sorted;
  }, [table, sort, groups]);

  const headers = [...table.groupColumns, ...table.columns];
  return (
    <div className="chart-table-wrap">
      <table className="chart-table" aria-label={label}>
        <thead>
          <tr>
            {headers.map((header, column) => (
              <th
                key={column}
                className={column >= groups ? 'chart-num' : undefined}
                aria-sort={sort.column === column ? (sort.descending ? 'descending' : 'ascending') : 'none'}
              >
                <button
                  type="button"
                  className="chart-sort"
                  onClick={() =>
                    setSort((old) => ({ column, descending: old.column === column ? !old.descending : column >= groups }))
                  }
                >
                  {header}
                  {sort.column === column ? (sort.descending ? ' ↓' : ' ↑') : ''}
                </button>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.key}>
              {row.group.map((value, i) => (
                <td key={`g${i}`}>{value}</td>
              ))}
              {row.cells.map((value, i) => (
                <td key={`c${i}`} className="chart-num">
                  {format(value)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
