/** One big number: the first series' value over the whole range. */
import { formatValue } from './series';

export function NumberTile({
  value,
  label,
  format = formatValue,
}: {
  value: number | null;
  label: string;
  format?: (value: number | null) => string;
}) {
  return (
    <div className="chart-number" role="group" aria-label={label}>
      <div className="chart-number-value" data-testid="chart-number">
        {format(value)}
      </div>
      <div className="chart-number-label muted">{label}</div>
    </div>
  );
}
