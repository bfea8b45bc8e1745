/** A table of records, one row each, with the row's actions in a last column. Styled by styles/team.css. */
import type { ReactNode } from 'react';

export interface Column<T> {
  title: string;
  cell: (row: T) => ReactNode;
  className?: string;
}

export function RecordTable<T>({
  rows,
  rowKey,
  columns,
  actions,
  rowData,
}: {
  rows: readonly T[];
  rowKey: (row: T) => string | number;
  columns: Column<T>[];
  /** The row's buttons; without it the table has no actions column. */
  actions?: (row: T) => ReactNode;
  /** data-* attributes of a row, for scripts and tests that find a record by id. */
  rowData?: (row: T) => Record<`data-${string}`, string | number>;
}) {
  return (
    <div className="table-wrap">
      <table className="team-table">
        <thead>
          <tr>
            {columns.map((column) => (
              <th key={column.title}>{column.title}</th>
            ))}
            {actions && <th aria-label="Actions" />}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={rowKey(row)} {...rowData?.(row)}>
              {columns.map((column) => (
                <td key={column.title} className={column.className}>
                  {column.cell(row)}
                </td>
              ))}
              {actions && <td className="team-actions">{actions(row)}</td>}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
