/** Choosing the result columns: add (columns, aliases, attributes), remove, reorder, or go back to the default. */
import { useId, useState } from 'react';
import { usePopover } from '../ui/usePopover';

interface Props {
  /** The columns shown now (the source's default when none were chosen). */
  current: string[];
  /** Whether the user chose them (else they are the source's default). */
  chosen: boolean;
  /** Suggestions for the "add" box. */
  suggestions: string[];
  onChange: (columns: string[] | null) => void;
  onOpen: () => void;
}

export function ColumnChooser({ current, chosen, suggestions, onChange, onOpen }: Props) {
  const { open, setOpen, ref: wrap } = usePopover();
  const [adding, setAdding] = useState('');
  const listId = useId();

  const move = (index: number, step: number) => {
    const next = [...current];
    const [item] = next.splice(index, 1);
    if (item === undefined) return;
    next.splice(index + step, 0, item);
    onChange(next);
  };

  const add = () => {
    const name = adding.trim();
    if (name === '' || current.includes(name)) return;
    onChange([...current, name]);
    setAdding('');
  };

  return (
    <div className="search-columns" ref={wrap}>
      <button
        type="button"
        className="secondary small"
        aria-haspopup="dialog"
        aria-expanded={open}
        onClick={() => {
          if (!open) onOpen();
          setOpen((v) => !v);
        }}
      >
        Columns
      </button>
      {open && (
        <div className="search-popover search-columns-dialog" role="dialog" aria-label="Choose columns">
          <ol className="search-columns-list">
            {current.map((column, index) => (
              <li key={column}>
                <code>{column}</code>
                <span className="search-columns-actions">
                  <button
                    type="button"
                    className="secondary small"
                    aria-label={`Move ${column} up`}
                    disabled={index === 0}
                    onClick={() => move(index, -1)}
                  >
                    ↑
                  </button>
                  <button
                    type="button"
                    className="secondary small"
                    aria-label={`Move ${column} down`}
                    disabled={index === current.length - 1}
                    onClick={() => move(index, 1)}
                  >
                    ↓
                  </button>
                  <button
                    type="button"
                    className="secondary small"
                    aria-label={`Remove column ${column}`}
                    disabled={current.length === 1}
                    onClick={() => onChange(current.filter((c) => c !== column))}
                  >
                    ✕
                  </button>
                </span>
              </li>
            ))}
          </ol>
          <div
            className="search-columns-add"
            onKeyDown={(e) => {
              if (e.key === 'Enter') {
                e.preventDefault();
                add();
              }
            }}
          >
            <input
              aria-label="Add column"
              placeholder="ServiceName, LogAttributes['http.route'], …"
              list={listId}
              value={adding}
              onChange={(e) => setAdding(e.target.value)}
              spellCheck={false}
            />
            <datalist id={listId}>
              {suggestions
                .filter((s) => !current.includes(s))
                .map((s) => (
                  <option key={s} value={s} />
                ))}
            </datalist>
            <button type="button" className="small" onClick={add} disabled={adding.trim() === ''}>
              Add
            </button>
          </div>
          {chosen && (
            <button type="button" className="secondary small" onClick={() => onChange(null)}>
              Reset to the source’s default
            </button>
          )}
        </div>
      )}
    </div>
  );
}
