/**
 * The time range picker of every page with a time range (Search, Charts, dashboards, Services): presets
 * ("Last hour"), any relative duration ("45m", "3d"), or absolute start and end typed in the user's time
 * zone. Dragging across a chart sets an absolute range too (`zoomSpec` in ../time.ts).
 */
import { useState, type KeyboardEvent as ReactKeyboardEvent, type ReactNode } from 'react';
import { usePrefs } from '../prefsContext';
import {
  absoluteSpec,
  durationMs,
  RANGES,
  rangeLabel,
  specLabel,
  specWindow,
  utcToWall,
  wallToUtc,
  type TimeSpec,
} from '../time';
import { usePopover } from '../ui/usePopover';
import '../styles/time.css';

interface Props {
  value: TimeSpec;
  onChange: (spec: TimeSpec) => void;
  /** Said under the absolute range, e.g. that a dashboard saves relative ranges only. */
  absoluteNote?: ReactNode;
}

export function TimePicker({ value, onChange, absoluteNote }: Props) {
  const { prefs } = usePrefs();
  const { open, setOpen, ref: wrap } = usePopover();

  const choose = (spec: TimeSpec) => {
    setOpen(false);
    onChange(spec);
  };

  return (
    <div className="time-picker" ref={wrap}>
      <button
        type="button"
        className="secondary time-button"
        aria-label="Time range"
        aria-haspopup="dialog"
        aria-expanded={open}
        onClick={() => setOpen((v) => !v)}
        data-testid="time-range"
        title={value.kind === 'absolute' ? 'An absolute time range' : undefined}
      >
        {specLabel(value, prefs)}
      </button>
      {open && <TimeDialog value={value} onChoose={choose} absoluteNote={absoluteNote} />}
    </div>
  );
}

function TimeDialog({
  value,
  onChoose,
  absoluteNote,
}: {
  value: TimeSpec;
  onChoose: (spec: TimeSpec) => void;
  absoluteNote?: ReactNode;
}) {
  const { prefs } = usePrefs();
  const zone = prefs.timeZone;
  const zoneName = zone === 'local' ? Intl.DateTimeFormat().resolvedOptions().timeZone : zone;
  const window = specWindow(value);
  const [relative, setRelative] = useState(value.kind === 'relative' ? value.range : '');
  const [start, setStart] = useState(utcToWall(window.start, zone));
  const [end, setEnd] = useState(utcToWall(window.end, zone));
  const [problem, setProblem] = useState<string | null>(null);

  // No <form> here: on Search the picker sits inside the query bar's form, and forms cannot nest.
  const onEnter = (apply: () => void) => (event: ReactKeyboardEvent) => {
    if (event.key === 'Enter') {
      event.preventDefault();
      apply();
    }
  };

  function applyRelative() {
    const text = relative.trim().toLowerCase().replace(/^last\s+/, '').replace(/\s+/g, '');
    if (durationMs(text) === null) {
      setProblem('Type a duration such as 45m, 3h, 2d or 1w (1 minute to 400 days).');
      return;
    }
    onChoose({ kind: 'relative', range: text });
  }

  function applyAbsolute() {
    const a = wallToUtc(start, zone);
    const b = wallToUtc(end, zone);
    if (a === null || b === null) {
      setProblem('Type times as YYYY-MM-DD HH:MM[:SS].');
      return;
    }
    const spec = absoluteSpec(a, b);
    if (!spec) {
      setProblem('The start and the end must differ.');
      return;
    }
    onChoose(spec);
  }

  const current = (range: string) => value.kind === 'relative' && value.range === range;
  return (
    <div className="popover time-dialog" role="dialog" aria-label="Choose a time range">
      <div className="time-presets" role="group" aria-label="Relative ranges">
        {RANGES.map((range) => (
          <button
            key={range}
            type="button"
            className={current(range) ? 'small' : 'secondary small'}
            aria-pressed={current(range)}
            onClick={() => onChoose({ kind: 'relative', range })}
          >
            {rangeLabel(range)}
          </button>
        ))}
      </div>
      <div className="time-row" onKeyDown={onEnter(applyRelative)}>
        <label>
          Last
          <input
            value={relative}
            onChange={(e) => setRelative(e.target.value)}
            placeholder="45m, 3h, 2d"
            aria-label="Relative range"
            size={8}
          />
        </label>
        <button type="button" className="secondary small" onClick={applyRelative}>
          Apply
        </button>
      </div>
      <div className="time-row time-abs" onKeyDown={onEnter(applyAbsolute)}>
        <label>
          From
          <input value={start} onChange={(e) => setStart(e.target.value)} aria-label="Start time" spellCheck={false} />
        </label>
        <label>
          To
          <input value={end} onChange={(e) => setEnd(e.target.value)} aria-label="End time" spellCheck={false} />
        </label>
        <button type="button" className="small" onClick={applyAbsolute}>
          Apply range
        </button>
        <p className="muted small-print">Times in {zoneName} (change it in Preferences).</p>
        {absoluteNote && <p className="muted small-print">{absoluteNote}</p>}
      </div>
      {problem && (
        <p className="error small-print" role="alert">
          {problem}
        </p>
      )}
    </div>
  );
}
