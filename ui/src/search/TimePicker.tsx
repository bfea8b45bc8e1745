/**
 * The time range: presets ("Last hour"), any relative duration ("45m", "3d"), or absolute start and
 * end typed in the user's time zone. Zooming on the chart sets an absolute range too.
 */
import { useState, type KeyboardEvent as ReactKeyboardEvent } from 'react';
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

interface Props {
  value: TimeSpec;
  onChange: (spec: TimeSpec) => void;
}

export function TimePicker({ value, onChange }: Props) {
  const { prefs } = usePrefs();
  const { open, setOpen, ref: wrap } = usePopover();

  const choose = (spec: TimeSpec) => {
    setOpen(false);
    onChange(spec);
  };

  return (
    <div className="search-time" ref={wrap}>
      <button
        type="button"
        className="secondary search-time-button"
        aria-label="Time range"
        aria-haspopup="dialog"
        aria-expanded={open}
        onClick={() => setOpen((v) => !v)}
        data-testid="time-range"
      >
        {specLabel(value, prefs)}
      </button>
      {open && <TimeDialog value={value} onChoose={choose} />}
    </div>
  );
}

function TimeDialog({ value, onChoose }: { value: TimeSpec; onChoose: (spec: TimeSpec) => void }) {
  const { prefs } = usePrefs();
  const zone = prefs.timeZone;
  const zoneName = zone === 'local' ? Intl.DateTimeFormat().resolvedOptions().timeZone : zone;
  const window = specWindow(value);
  const [relative, setRelative] = useState(value.kind === 'relative' ? value.range : '');
  const [start, setStart] = useState(utcToWall(window.start, zone));
  const [end, setEnd] = useState(utcToWall(window.end, zone));
  const [problem, setProblem] = useState<string | null>(null);

  // No <form> here: the picker sits inside the query bar's form, and forms cannot nest.
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

  return (
    <div className="search-popover search-time-dialog" role="dialog" aria-label="Choose a time range">
      <div className="search-time-presets" role="group" aria-label="Relative ranges">
        {RANGES.map((range) => (
          <button
            key={range}
            type="button"
            className={value.kind === 'relative' && value.range === range ? 'small' : 'secondary small'}
            aria-pressed={value.kind === 'relative' && value.range === range}
            onClick={() => onChoose({ kind: 'relative', range })}
          >
            {rangeLabel(range)}
          </button>
        ))}
      </div>
      <div className="search-time-row" onKeyDown={onEnter(applyRelative)}>
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
      <div className="search-time-abs" onKeyDown={onEnter(applyAbsolute)}>
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
      </div>
      {problem && (
        <p className="error small-print" role="alert">
          {problem}
        </p>
      )}
    </div>
  );
}
