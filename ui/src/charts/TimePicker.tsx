/** The time range of a page: a relative range, or a window chosen by dragging across a chart. */
import { formatInstant } from '../prefs';
import { usePrefs } from '../prefsContext';
import { RANGES, rangeLabel, type TimeSelection } from './chartState';

export function TimePicker({
  time,
  fallback,
  onChange,
}: {
  time: TimeSelection;
  /** The relative range to go back to from a zoomed-in window. */
  fallback: string;
  onChange: (time: TimeSelection) => void;
}) {
  const { prefs } = usePrefs();
  if (time.kind === 'absolute') {
    return (
      <div className="chart-zoomed">
        <span>
          {formatInstant(time.start, prefs, { ms: false })} – {formatInstant(time.end, prefs, { ms: false })}
        </span>
        <button type="button" className="secondary small" onClick={() => onChange({ kind: 'relative', range: fallback })}>
          Back to {rangeLabel(fallback).toLowerCase()}
        </button>
      </div>
    );
  }
  const ranges: string[] = (RANGES as readonly string[]).includes(time.range) ? [...RANGES] : [time.range, ...RANGES];
  return (
    <select aria-label="Time range" value={time.range} onChange={(e) => onChange({ kind: 'relative', range: e.target.value })}>
      {ranges.map((r) => (
        <option key={r} value={r}>
          {rangeLabel(r)}
        </option>
      ))}
    </select>
  );
}

/** The window of a drag-selection on a chart (Unix seconds) as a time selection. */
export function zoomTo(start: number, end: number): TimeSelection {
  return {
    kind: 'absolute',
    start: new Date(Math.floor(start) * 1000).toISOString(),
    end: new Date(Math.ceil(end) * 1000).toISOString(),
  };
}
